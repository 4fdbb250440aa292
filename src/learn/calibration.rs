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
    /// Fits `a` and `b` on held-out margins and their true labels.
    pub fn fit(margins: &[f32], labels: &[bool]) -> Result<Self> {
        let params = PlattParams::<f32, ()>::default()
            .maxiter(200)
            .check()
            .map_err(|e| Error::Training(format!("calibration settings: {e}")))?;
        let (a, b) =
            platt_newton_method(ArrayView1::from(margins), ArrayView1::from(labels), &params)
                .map_err(|e| Error::Training(format!("calibration failed: {e}")))?;
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
}
