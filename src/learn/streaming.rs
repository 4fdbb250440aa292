//! Logistic regression for corpora whose vectorised rows do not fit in memory: the dual
//! coordinate descent of [`super::logistic`] run by block minimisation (Yu, Hsieh, Chang and Lin,
//! "Large linear classification when data cannot fit in memory", KDD 2010). Rows arrive a block
//! at a time (re-vectorised chunk by chunk each epoch); only the weights and two dual variables
//! per row are kept, so memory is `O(features + rows)` instead of `O(non-zeros)`.
//!
//! Each visit of a row solves its one-variable dual sub-problem exactly, as the exact solver
//! does, so any visiting order decreases the same objective
//! `½‖w‖² + Σᵢ C κᵢ log(1 + exp(−yᵢ wᵀxᵢ))` and converges to the exact solver's optimum; only
//! the order differs (blocks of rows in a new random order each epoch, and optionally several
//! passes over a block while it is in memory).

use super::logistic::{ClassWeight, LinearModel, LogisticValidParams};

/// Settings of the streaming learner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreamingParams {
    /// At most this many passes over all rows (fewer when the solver's tolerance is met).
    pub epochs: u32,
    /// Passes over each block of rows while it is vectorised in memory.
    pub block_passes: u32,
}

impl Default for StreamingParams {
    fn default() -> Self {
        StreamingParams {
            epochs: 3,
            block_passes: 1,
        }
    }
}

/// One label's logistic regression, fitted by dual coordinate descent over streamed rows.
#[derive(Debug, Clone)]
pub struct BlockDual {
    w: Vec<f64>,
    wb: f64,
    /// Two dual variables per row of the corpus (0 until the row is first visited).
    alpha: Vec<f64>,
    bias: f64,
    pos_c: f64,
    neg_c: f64,
    inner_eps: f64,
    inner_eps_min: f64,
    /// This epoch's Newton steps, visits and largest sub-problem gradient.
    newton_steps: usize,
    visits: usize,
    gmax: f64,
    epochs: u32,
}

impl BlockDual {
    /// A solver over `nfeatures` features for a corpus of `corpus_rows` rows, of which `rows`
    /// carry the label and `positives` are positive, with the exact solver's C, class
    /// weighting, bias value and tolerance (its `max_iter` and `seed` do not apply).
    pub fn new(
        nfeatures: usize,
        corpus_rows: usize,
        rows: usize,
        positives: usize,
        params: &LogisticValidParams,
    ) -> Self {
        let (c, bias, tolerance) = (params.c, params.bias, params.tolerance);
        let (wp, wn) = match params.class_weight {
            ClassWeight::Balanced if positives > 0 && positives < rows => (
                rows as f64 / (2.0 * positives as f64),
                rows as f64 / (2.0 * (rows - positives) as f64),
            ),
            _ => (1.0, 1.0),
        };
        BlockDual {
            w: vec![0.0; nfeatures],
            wb: 0.0,
            alpha: vec![0.0; 2 * corpus_rows],
            bias,
            pos_c: c * wp,
            neg_c: c * wn,
            inner_eps: 1e-2,
            inner_eps_min: tolerance.min(1e-8),
            newton_steps: 0,
            visits: 0,
            gmax: 0.0,
            epochs: 0,
        }
    }

    /// Solves the dual sub-problem of corpus row `i` with target `y` (the exact solver's step).
    pub fn visit(&mut self, i: usize, y: bool, idx: &[u32], val: &[f32]) {
        let (yi, c) = if y {
            (1.0, self.pos_c)
        } else {
            (-1.0, self.neg_c)
        };
        let bias = self.bias;
        if self.alpha[2 * i] == 0.0 {
            // First visit: the exact solver's starting point for this row.
            self.alpha[2 * i] = (0.001 * c).min(1e-8);
            self.alpha[2 * i + 1] = c - self.alpha[2 * i];
            let coef = yi * self.alpha[2 * i];
            for (&j, &v) in idx.iter().zip(val) {
                self.w[j as usize] += coef * v as f64;
            }
            self.wb += coef * bias;
        }
        let mut wx = self.wb * bias;
        let mut a = bias * bias;
        for (&j, &v) in idx.iter().zip(val) {
            wx += self.w[j as usize] * v as f64;
            a += (v as f64) * (v as f64);
        }
        let b = yi * wx;
        let (i1, i2, sign) = if 0.5 * a * (self.alpha[2 * i + 1] - self.alpha[2 * i]) + b < 0.0 {
            (2 * i + 1, 2 * i, -1.0)
        } else {
            (2 * i, 2 * i + 1, 1.0)
        };
        let alpha_old = self.alpha[i1];
        let mut z = alpha_old;
        if c - z < 0.5 * c {
            z *= 0.1;
        }
        let mut gp = a * (z - alpha_old) + sign * b + (z / (c - z)).ln();
        self.gmax = self.gmax.max(gp.abs());
        let mut inner = 0;
        while inner <= 100 {
            if gp.abs() < self.inner_eps {
                break;
            }
            let gpp = a + c / (c - z) / z;
            let tmpz = z - gp / gpp;
            z = if tmpz <= 0.0 { z * 0.1 } else { tmpz };
            gp = a * (z - alpha_old) + sign * b + (z / (c - z)).ln();
            self.newton_steps += 1;
            inner += 1;
        }
        if inner > 0 {
            self.alpha[i1] = z;
            self.alpha[i2] = c - z;
            let delta = sign * (z - alpha_old) * yi;
            for (&j, &v) in idx.iter().zip(val) {
                self.w[j as usize] += delta * v as f64;
            }
            self.wb += delta * bias;
        }
        self.visits += 1;
    }

    /// Ends a pass over all rows: returns its largest sub-problem gradient (the exact solver
    /// stops when it falls below the tolerance) and tightens the Newton tolerance as the exact
    /// solver does.
    pub fn end_epoch(&mut self) -> f64 {
        let gmax = self.gmax;
        if self.newton_steps <= self.visits / 10 {
            self.inner_eps = self.inner_eps_min.max(0.1 * self.inner_eps);
        }
        self.newton_steps = 0;
        self.visits = 0;
        self.gmax = 0.0;
        self.epochs += 1;
        gmax
    }

    /// Epochs ended so far.
    pub fn epochs(&self) -> u32 {
        self.epochs
    }

    /// The margin of a row under the current weights.
    pub fn margin(&self, idx: &[u32], val: &[f32]) -> f64 {
        let mut m = self.wb * self.bias;
        for (&j, &v) in idx.iter().zip(val) {
            m += self.w[j as usize] * v as f64;
        }
        m
    }

    /// The weights as a linear model (its passes are the epochs ended).
    pub fn finish(self) -> LinearModel {
        LinearModel {
            weights: self.w.into_iter().map(|v| v as f32).collect(),
            bias: (self.wb * self.bias) as f32,
            iterations: self.epochs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::CsrMatrix;
    use crate::learn::LogisticRegression;
    use linfa::traits::Fit;
    use linfa::{DatasetBase, ParamGuard};
    use ndarray::Array1;

    fn stream(x: &CsrMatrix, y: &[bool], params: &StreamingParams) -> LinearModel {
        let positives = y.iter().filter(|&&t| t).count();
        let n = x.nrows();
        let logistic = LogisticRegression::params().check().expect("valid");
        let mut m = BlockDual::new(x.ncols(), n, n, positives, &logistic);
        let mut rng = crate::rng::SplitMix(7);
        let mut order: Vec<usize> = (0..n).collect();
        for _ in 0..params.epochs {
            for k in (1..order.len()).rev() {
                order.swap(k, rng.below(k + 1));
            }
            // Blocks of 64 rows, each visited `block_passes` times.
            for block in order.chunks(64) {
                for _ in 0..params.block_passes {
                    for &i in block {
                        let (idx, val) = x.row(i);
                        m.visit(i, y[i], idx, val);
                    }
                }
            }
            if m.end_epoch() < 0.01 {
                break;
            }
        }
        m.finish()
    }

    /// A separable problem with sparse rows: positives carry features 0..5, negatives 5..10,
    /// both share noise features 10..20.
    fn separable() -> (CsrMatrix, Vec<bool>) {
        let mut rng = crate::rng::SplitMix(3);
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for i in 0..400 {
            let positive = i % 4 == 0;
            let mut r = vec![0f32; 20];
            let base = if positive { 0 } else { 5 };
            r[base + rng.below(5)] = 1.0;
            r[10 + rng.below(10)] = 0.7;
            rows.push(r);
            y.push(positive);
        }
        (CsrMatrix::from_dense(&rows), y)
    }

    #[test]
    fn recovers_a_separable_problem() {
        let (x, y) = separable();
        let model = stream(&x, &y, &StreamingParams::default());
        for (i, &t) in y.iter().enumerate() {
            let (idx, val) = x.row(i);
            assert_eq!(model.margin(idx, val) > 0.0, t, "row {i}");
        }
    }

    #[test]
    fn agrees_with_the_exact_solver_in_sign_and_order() {
        let (x, y) = separable();
        let exact = LogisticRegression::params()
            .check()
            .expect("valid")
            .fit(&DatasetBase::new(x.clone(), Array1::from(y.clone())))
            .expect("fits");
        let online = stream(
            &x,
            &y,
            &StreamingParams {
                epochs: 50,
                ..Default::default()
            },
        );
        // The class-signal weights have the exact solver's signs ...
        for j in 0..10 {
            assert_eq!(
                online.weights[j] > 0.0,
                exact.weights[j] > 0.0,
                "feature {j}: {} vs {}",
                online.weights[j],
                exact.weights[j]
            );
        }
        // ... and the weights are the exact solver's, up to its tolerance ...
        let scale = exact.weights.iter().fold(0f32, |m, w| m.max(w.abs()));
        for (a, b) in exact.weights.iter().zip(&online.weights) {
            assert!(
                (a - b).abs() <= 0.05 * scale,
                "{a} vs {b} (largest {scale})"
            );
        }
        // ... and the margins rank the rows alike (Spearman-like agreement on pairs).
        let margins = |m: &LinearModel| -> Vec<f32> {
            (0..x.nrows())
                .map(|i| {
                    let (idx, val) = x.row(i);
                    m.margin(idx, val)
                })
                .collect()
        };
        let (a, b) = (margins(&exact), margins(&online));
        let (mut agree, mut pairs) = (0usize, 0usize);
        for i in 0..a.len() {
            for j in (i + 1)..a.len() {
                if (a[i] - a[j]).abs() > 1e-3 {
                    pairs += 1;
                    agree += usize::from((a[i] > a[j]) == (b[i] > b[j]));
                }
            }
        }
        assert!(
            agree as f64 >= 0.9 * pairs as f64,
            "{agree} of {pairs} pairs agree"
        );
    }

    #[test]
    fn one_epoch_gives_a_finite_model() {
        let (x, y) = separable();
        let model = stream(
            &x,
            &y,
            &StreamingParams {
                epochs: 1,
                ..Default::default()
            },
        );
        assert_eq!(model.weights.len(), 20);
        assert!(model.weights.iter().all(|w| w.is_finite()));
    }
}
