//! Platt calibration: raw margins to probabilities, fitted with linfa's Newton method on rows
//! held out from training.

use crate::error::{Error, Result};
use linfa::composing::platt_scaling::{platt_newton_method, PlattParams};
use linfa::ParamGuard;
use ndarray::ArrayView1;
use serde::{Deserialize, Serialize};

/// `p = 1 / (1 + exp(a × margin + b))`, as in linfa's `platt_predict`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub a: f32,
    pub b: f32,
}

impl Default for Calibration {
    /// The plain logistic function of the margin.
    fn default() -> Self {
        Calibration { a: -1.0, b: 0.0 }
    }
}

impl Calibration {
    /// Fits `a` and `b` on held-out margins and their true labels: linfa's Newton method in
    /// double precision, and when its line search gives up (it can on margins that separate
    /// the classes almost perfectly) the same objective minimised by [`platt_fallback`].
    pub fn fit(margins: &[f32], labels: &[bool]) -> Result<Self> {
        let params = PlattParams::<f64, ()>::default()
            .maxiter(200)
            .check()
            .map_err(|e| Error::Training(format!("calibration settings: {e}")))?;
        let wide: Vec<f64> = margins.iter().map(|&m| m as f64).collect();
        let (a, b) =
            match platt_newton_method(ArrayView1::from(&wide), ArrayView1::from(labels), &params) {
                Ok((a, b)) => (a as f32, b as f32),
                Err(_) => platt_fallback(&wide, labels)
                    .map(|(a, b)| (a as f32, b as f32))
                    .ok_or_else(|| Error::Training("calibration failed to converge".into()))?,
            };
        if !(a.is_finite() && b.is_finite()) || a >= 0.0 {
            return Err(Error::Training(
                "calibration produced a non-increasing mapping".into(),
            ));
        }
        Ok(Calibration { a, b })
    }

    /// The calibrated probability of a margin, computed without overflow.
    #[inline]
    pub fn probability(&self, margin: f32) -> f32 {
        let t = self.a * margin + self.b;
        if t >= 0.0 {
            let e = (-t).exp();
            e / (1.0 + e)
        } else {
            1.0 / (1.0 + t.exp())
        }
    }
}

/// Platt's objective (cross-entropy against the smoothed targets of Platt 1999 / Lin, Lin and
/// Weng 2007) minimised by Newton steps with a backtracking line search that may take very
/// small steps; returns `(a, b)` of `p = 1 / (1 + exp(a·m + b))`.
fn platt_fallback(margins: &[f64], labels: &[bool]) -> Option<(f64, f64)> {
    let positives = labels.iter().filter(|&&l| l).count() as f64;
    let negatives = labels.len() as f64 - positives;
    let hi = (positives + 1.0) / (positives + 2.0);
    let lo = 1.0 / (negatives + 2.0);
    let targets: Vec<f64> = labels.iter().map(|&l| if l { hi } else { lo }).collect();
    // Stable log(1 + exp(t)).
    let softplus = |t: f64| {
        if t > 0.0 {
            t + (-t).exp().ln_1p()
        } else {
            t.exp().ln_1p()
        }
    };
    let objective = |a: f64, b: f64| -> f64 {
        margins
            .iter()
            .zip(&targets)
            .map(|(&m, &t)| {
                let f = a * m + b;
                // −[t log p + (1 − t) log(1 − p)] with p = 1 / (1 + e^f).
                t * softplus(f) + (1.0 - t) * softplus(-f)
            })
            .sum()
    };
    let (mut a, mut b) = (0.0, ((negatives + 1.0) / (positives + 1.0)).ln());
    let mut value = objective(a, b);
    for _ in 0..100 {
        let (mut g1, mut g2, mut h11, mut h22, mut h21) = (0.0, 0.0, 1e-12, 1e-12, 0.0);
        for (&m, &t) in margins.iter().zip(&targets) {
            let f = a * m + b;
            let p = if f >= 0.0 {
                (-f).exp() / (1.0 + (-f).exp())
            } else {
                1.0 / (1.0 + f.exp())
            };
            let d1 = t - p;
            let d2 = p * (1.0 - p);
            g1 += m * d1;
            g2 += d1;
            h11 += m * m * d2;
            h22 += d2;
            h21 += m * d2;
        }
        if g1.abs() < 1e-7 && g2.abs() < 1e-7 {
            break;
        }
        let det = h11 * h22 - h21 * h21;
        let (da, db) = if det.abs() > 1e-300 {
            (-(h22 * g1 - h21 * g2) / det, -(-h21 * g1 + h11 * g2) / det)
        } else {
            (-g1, -g2)
        };
        let slope = g1 * da + g2 * db;
        let mut step = 1.0;
        let mut moved = false;
        while step >= 1e-12 {
            let (na, nb) = (a + step * da, b + step * db);
            let next = objective(na, nb);
            if next <= value + 1e-4 * step * slope {
                (a, b, value) = (na, nb, next);
                moved = true;
                break;
            }
            step /= 2.0;
        }
        if !moved {
            break;
        }
    }
    (a.is_finite() && b.is_finite()).then_some((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::composing::platt_scaling::platt_predict;

    #[test]
    fn matches_linfa_and_orders_margins() {
        let margins: Vec<f32> = (0..200).map(|i| (i as f32 - 100.0) / 20.0).collect();
        // Labels true with a probability rising along the margin, deterministically.
        let labels: Vec<bool> = (0..200).map(|i| (i * 37 % 200) < i).collect();
        let cal = Calibration::fit(&margins, &labels).unwrap();
        for &m in &margins {
            let ours = cal.probability(m);
            let theirs = *platt_predict(m, cal.a, cal.b);
            assert!((ours - theirs).abs() < 1e-6);
        }
        assert!(cal.probability(5.0) > cal.probability(-5.0));
        assert!(cal.probability(1e9).is_finite() && cal.probability(-1e9) >= 0.0);
    }

    #[test]
    fn fallback_fits_the_same_objective_as_linfa() {
        let margins: Vec<f64> = (0..300).map(|i| (i as f64 - 150.0) / 30.0).collect();
        let labels: Vec<bool> = (0..300).map(|i| (i * 53 % 300) < i).collect();
        let params = PlattParams::<f64, ()>::default().check().unwrap();
        let (a, b) = platt_newton_method(
            ArrayView1::from(&margins),
            ArrayView1::from(&labels),
            &params,
        )
        .unwrap();
        let (fa, fb) = platt_fallback(&margins, &labels).unwrap();
        assert!(
            (a - fa).abs() < 1e-3 && (b - fb).abs() < 1e-3,
            "{a} {b} vs {fa} {fb}"
        );
    }

    #[test]
    fn calibrates_margins_that_separate_the_classes() {
        // Margins far apart with a few overlaps: a steep but finite mapping.
        let mut margins = Vec::new();
        let mut labels = Vec::new();
        for i in 0..2000 {
            let positive = i % 20 == 0;
            let m = if positive {
                30.0 + (i % 7) as f32
            } else {
                -40.0 - (i % 11) as f32
            };
            margins.push(m);
            labels.push(positive);
        }
        margins.push(-45.0);
        labels.push(true);
        let cal = Calibration::fit(&margins, &labels).unwrap();
        assert!(cal.probability(35.0) > 0.9 && cal.probability(-45.0) < 0.1);
    }
}
