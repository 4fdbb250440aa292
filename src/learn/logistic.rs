//! L2-regularised logistic regression on sparse rows, solved in the dual by coordinate descent
//! (Yu, Huang and Lin 2011, the method of LIBLINEAR's `-s 7`), as a linfa estimator.
//!
//! Minimises `½‖w‖² + Σᵢ Cᵢ log(1 + exp(−yᵢ wᵀxᵢ))` where `Cᵢ = C × class weight × sample weight`;
//! the bias is an extra feature of constant value and is regularised like the other weights.

use crate::error::{Error, Result};
use crate::features::{CsrMatrix, RowSubset};
use linfa::dataset::Records;
use linfa::traits::{Fit, PredictInplace};
use linfa::{DatasetBase, ParamGuard};
use ndarray::Array1;
use serde::{Deserialize, Serialize};

/// Records whose rows can be read as sparse index/value slices.
pub trait SparseRecords: Records<Elem = f32> {
    /// Row `i` as index and value slices.
    fn sparse_row(&self, i: usize) -> (&[u32], &[f32]);
}

impl SparseRecords for CsrMatrix {
    fn sparse_row(&self, i: usize) -> (&[u32], &[f32]) {
        self.row(i)
    }
}

impl SparseRecords for RowSubset<'_> {
    fn sparse_row(&self, i: usize) -> (&[u32], &[f32]) {
        self.row(i)
    }
}

/// How the two classes are weighted against each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClassWeight {
    /// Every row counts the same.
    None,
    /// Each class counts as much in total: weight `n / (2 × n_class)`.
    Balanced,
}

/// Checked hyperparameters of [`LogisticRegression`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticValidParams {
    /// Inverse regularisation strength.
    pub c: f64,
    /// Stop when the largest dual sub-problem gradient falls below this.
    pub tolerance: f64,
    /// At most this many passes over the rows.
    pub max_iter: u32,
    /// Value of the constant bias feature (0 disables the bias).
    pub bias: f64,
    /// Class weighting.
    pub class_weight: ClassWeight,
    /// Seed of the row order shuffling.
    pub seed: u64,
}

/// Unchecked hyperparameters; `check()` turns them into [`LogisticValidParams`].
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticParams(LogisticValidParams);

/// The estimator's namespace, in linfa's style: `LogisticRegression::params()`.
pub struct LogisticRegression;

/// Default stopping tolerance (largest dual gradient): LIBLINEAR's default for its dual solvers.
pub const DEFAULT_TOLERANCE: f64 = 0.1;

impl LogisticRegression {
    /// Default hyperparameters: C = 4, tolerance [`DEFAULT_TOLERANCE`], 300 passes, bias 1,
    /// balanced classes.
    pub fn params() -> LogisticParams {
        LogisticParams(LogisticValidParams {
            c: 4.0,
            tolerance: DEFAULT_TOLERANCE,
            max_iter: 300,
            bias: 1.0,
            class_weight: ClassWeight::Balanced,
            seed: 1,
        })
    }
}

impl LogisticParams {
    /// Sets the inverse regularisation strength.
    pub fn c(mut self, c: f64) -> Self {
        self.0.c = c;
        self
    }
    /// Sets the stopping tolerance.
    pub fn tolerance(mut self, t: f64) -> Self {
        self.0.tolerance = t;
        self
    }
    /// Sets the maximum number of passes.
    pub fn max_iter(mut self, n: u32) -> Self {
        self.0.max_iter = n;
        self
    }
    /// Sets the class weighting.
    pub fn class_weight(mut self, w: ClassWeight) -> Self {
        self.0.class_weight = w;
        self
    }
    /// Sets the value of the bias feature.
    pub fn bias(mut self, b: f64) -> Self {
        self.0.bias = b;
        self
    }
    /// Sets the shuffling seed.
    pub fn seed(mut self, s: u64) -> Self {
        self.0.seed = s;
        self
    }
}

impl ParamGuard for LogisticParams {
    type Checked = LogisticValidParams;
    type Error = Error;

    fn check_ref(&self) -> Result<&LogisticValidParams> {
        let p = &self.0;
        if !(p.c.is_finite() && p.c > 0.0) {
            return Err(Error::Config(format!("C must be positive, not {}", p.c)));
        }
        if !(p.tolerance.is_finite() && p.tolerance > 0.0) {
            return Err(Error::Config(format!(
                "tolerance must be positive, not {}",
                p.tolerance
            )));
        }
        if p.max_iter == 0 {
            return Err(Error::Config("max_iter must be at least 1".into()));
        }
        if !(p.bias.is_finite() && p.bias >= 0.0) {
            return Err(Error::Config(format!("bias must be >= 0, not {}", p.bias)));
        }
        Ok(p)
    }

    fn check(self) -> Result<LogisticValidParams> {
        self.check_ref()?;
        Ok(self.0)
    }
}

/// A fitted linear model: raw margin `wᵀx + b`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    pub weights: Vec<f32>,
    pub bias: f32,
    /// Passes the solver made.
    pub iterations: u32,
}

impl LinearModel {
    /// The margin of one sparse row.
    #[inline]
    pub fn margin(&self, indices: &[u32], values: &[f32]) -> f32 {
        let mut m = self.bias;
        for (&j, &x) in indices.iter().zip(values) {
            m += self.weights[j as usize] * x;
        }
        m
    }
}

impl<R: SparseRecords> PredictInplace<R, Array1<f32>> for LinearModel {
    fn predict_inplace(&self, x: &R, y: &mut Array1<f32>) {
        for (i, out) in y.iter_mut().enumerate() {
            let (idx, val) = x.sparse_row(i);
            *out = self.margin(idx, val);
        }
    }

    fn default_target(&self, x: &R) -> Array1<f32> {
        Array1::zeros(x.nsamples())
    }
}

impl<R: SparseRecords> Fit<R, Array1<bool>, Error> for LogisticValidParams {
    type Object = LinearModel;

    fn fit(&self, dataset: &DatasetBase<R, Array1<bool>>) -> Result<LinearModel> {
        let x = &dataset.records;
        let y = &dataset.targets;
        let n = x.nsamples();
        if n == 0 || y.len() != n {
            return Err(Error::Training(format!(
                "{} rows and {} targets: nothing to fit",
                n,
                y.len()
            )));
        }
        let positives = y.iter().filter(|&&t| t).count();
        if positives == 0 || positives == n {
            return Err(Error::Training(
                "a label needs both positive and negative rows".into(),
            ));
        }
        let (wp, wn) = match self.class_weight {
            ClassWeight::None => (1.0, 1.0),
            ClassWeight::Balanced => (
                n as f64 / (2.0 * positives as f64),
                n as f64 / (2.0 * (n - positives) as f64),
            ),
        };
        let sample = dataset.weights();
        let upper: Vec<f64> = (0..n)
            .map(|i| {
                let cw = if y[i] { wp } else { wn };
                let sw = sample.map_or(1.0, |s| s[i] as f64);
                self.c * cw * sw
            })
            .collect();
        solve_dual(x, y, &upper, self)
    }
}

fn solve_dual<R: SparseRecords>(
    x: &R,
    y: &Array1<bool>,
    upper: &[f64],
    p: &LogisticValidParams,
) -> Result<LinearModel> {
    let n = x.nsamples();
    let d = x.nfeatures();
    let bias = p.bias;
    let mut w = vec![0f64; d];
    let mut wb = 0f64;
    let mut alpha = vec![0f64; 2 * n];
    let sign_of = |i: usize| if y[i] { 1.0 } else { -1.0 };
    let mut xsq = vec![0f64; n];
    for i in 0..n {
        let (idx, val) = x.sparse_row(i);
        xsq[i] = val.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>() + bias * bias;
        let c = upper[i];
        alpha[2 * i] = (0.001 * c).min(1e-8);
        alpha[2 * i + 1] = c - alpha[2 * i];
        let coef = sign_of(i) * alpha[2 * i];
        for (&j, &v) in idx.iter().zip(val) {
            w[j as usize] += coef * v as f64;
        }
        wb += coef * bias;
    }
    let mut order: Vec<usize> = (0..n).filter(|&i| upper[i] > 0.0).collect();
    let mut rng = crate::rng::SplitMix(p.seed);
    let inner_eps_min = p.tolerance.min(1e-8);
    let mut inner_eps = 1e-2;
    let max_inner = 100;
    let mut iterations = 0;
    while iterations < p.max_iter {
        crate::interrupt::check()?;
        for k in (1..order.len()).rev() {
            let j = rng.below(k + 1);
            order.swap(k, j);
        }
        let mut newton_steps = 0usize;
        let mut gmax = 0f64;
        for &i in &order {
            let yi = sign_of(i);
            let c = upper[i];
            let (idx, val) = x.sparse_row(i);
            let mut wx = wb * bias;
            for (&j, &v) in idx.iter().zip(val) {
                wx += w[j as usize] * v as f64;
            }
            let a = xsq[i];
            let b = yi * wx;
            let (i1, i2, sign) = if 0.5 * a * (alpha[2 * i + 1] - alpha[2 * i]) + b < 0.0 {
                (2 * i + 1, 2 * i, -1.0)
            } else {
                (2 * i, 2 * i + 1, 1.0)
            };
            let alpha_old = alpha[i1];
            let mut z = alpha_old;
            if c - z < 0.5 * c {
                z *= 0.1;
            }
            let mut gp = a * (z - alpha_old) + sign * b + (z / (c - z)).ln();
            gmax = gmax.max(gp.abs());
            let mut inner = 0;
            while inner <= max_inner {
                if gp.abs() < inner_eps {
                    break;
                }
                let gpp = a + c / (c - z) / z;
                let tmpz = z - gp / gpp;
                z = if tmpz <= 0.0 { z * 0.1 } else { tmpz };
                gp = a * (z - alpha_old) + sign * b + (z / (c - z)).ln();
                newton_steps += 1;
                inner += 1;
            }
            if inner > 0 {
                alpha[i1] = z;
                alpha[i2] = c - z;
                let delta = sign * (z - alpha_old) * yi;
                for (&j, &v) in idx.iter().zip(val) {
                    w[j as usize] += delta * v as f64;
                }
                wb += delta * bias;
            }
        }
        iterations += 1;
        if gmax < p.tolerance {
            break;
        }
        if newton_steps <= order.len() / 10 {
            inner_eps = inner_eps_min.max(0.1 * inner_eps);
        }
    }
    Ok(LinearModel {
        weights: w.into_iter().map(|v| v as f32).collect(),
        bias: (wb * bias) as f32,
        iterations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::traits::Predict;

    fn toy() -> (CsrMatrix, Array1<bool>) {
        let rows = vec![
            vec![1.0, 0.0, 0.2],
            vec![0.9, 0.1, 0.0],
            vec![0.8, 0.0, 0.5],
            vec![0.0, 1.0, 0.3],
            vec![0.1, 0.9, 0.0],
            vec![0.0, 0.7, 0.6],
            vec![0.6, 0.5, 0.1],
            vec![0.4, 0.6, 0.2],
        ];
        let y = Array1::from(vec![true, true, true, false, false, false, true, false]);
        (CsrMatrix::from_dense(&rows), y)
    }

    #[test]
    fn separates_a_toy_problem() {
        let (x, y) = toy();
        let ds = DatasetBase::new(x, y.clone());
        let model = LogisticRegression::params()
            .check()
            .unwrap()
            .fit(&ds)
            .unwrap();
        let margins: Array1<f32> = model.predict(&ds);
        for (m, t) in margins.iter().zip(y.iter()) {
            assert_eq!(*m > 0.0, *t, "margin {m} for {t}");
        }
    }

    #[test]
    fn rejects_bad_hyperparameters_and_one_class_data() {
        assert!(LogisticRegression::params().c(0.0).check().is_err());
        assert!(LogisticRegression::params()
            .tolerance(-1.0)
            .check()
            .is_err());
        let (x, _) = toy();
        let ds = DatasetBase::new(x, Array1::from(vec![true; 8]));
        assert!(LogisticRegression::params()
            .check()
            .unwrap()
            .fit(&ds)
            .is_err());
    }

    #[test]
    fn zero_sample_weight_removes_a_row() {
        let (x, y) = toy();
        let mut flipped = y.clone();
        flipped[0] = false;
        let weights = Array1::from(vec![0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
        let params = LogisticRegression::params()
            .class_weight(ClassWeight::None)
            .check()
            .unwrap();
        let a = params
            .fit(&DatasetBase::new(x.clone(), y).with_weights(weights.clone()))
            .unwrap();
        let b = params
            .fit(&DatasetBase::new(x, flipped).with_weights(weights))
            .unwrap();
        for (wa, wb) in a.weights.iter().zip(&b.weights) {
            assert!((wa - wb).abs() < 1e-4);
        }
    }
}
