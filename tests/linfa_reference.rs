//! Checks moderato's sparse logistic regression against linfa-logistic on a small dense fixture:
//! both minimise the same L2-regularised log loss, so their weights must agree.

use linfa::traits::Fit;
use linfa::{Dataset, DatasetBase, ParamGuard};
use moderato::features::CsrMatrix;
use moderato::learn::{ClassWeight, LogisticRegression};
use ndarray::{Array1, Array2};

/// A noisy, non-separable two-class problem with 6 features and a constant column.
fn fixture() -> (Vec<Vec<f32>>, Vec<bool>) {
    let mut state = 42u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f64 / (1u64 << 31) as f64) as f32
    };
    let true_w = [1.5f32, -2.0, 0.7, 0.0, -0.4, 1.1];
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    for _ in 0..300 {
        let mut r: Vec<f32> = (0..6).map(|_| next() * 2.0 - 1.0).collect();
        let z: f32 = r.iter().zip(&true_w).map(|(a, b)| a * b).sum::<f32>() + 0.3;
        let p = 1.0 / (1.0 + (-z).exp());
        labels.push(next() < p);
        r.push(1.0); // constant column: the intercept, regularised alike in both
        rows.push(r);
    }
    (rows, labels)
}

#[test]
fn sparse_dual_solver_matches_linfa_logistic() {
    let (rows, labels) = fixture();
    let c = 2.0;

    let ours = LogisticRegression::params()
        .c(c)
        .bias(0.0)
        .class_weight(ClassWeight::None)
        .tolerance(1e-6)
        .max_iter(5000)
        .check()
        .unwrap()
        .fit(&DatasetBase::new(
            CsrMatrix::from_dense(&rows),
            Array1::from(labels.clone()),
        ))
        .unwrap();

    let dense = Array2::from_shape_vec(
        (rows.len(), 7),
        rows.iter().flatten().map(|&v| v as f64).collect(),
    )
    .unwrap();
    let targets = Array1::from(labels.clone());
    let theirs = linfa_logistic::LogisticRegression::default()
        .alpha(1.0 / c)
        .with_intercept(false)
        .gradient_tolerance(1e-8)
        .max_iterations(1000)
        .fit(&Dataset::new(dense, targets))
        .unwrap();
    // linfa-logistic reports weights for its "positive" class, which it picks itself.
    let sign = if theirs.labels().pos.class { 1.0 } else { -1.0 };
    for (j, (a, b)) in ours.weights.iter().zip(theirs.params().iter()).enumerate() {
        let b = sign * b;
        assert!(
            (*a as f64 - b).abs() < 2e-3,
            "weight {j}: moderato {a}, linfa {b}"
        );
    }
}
