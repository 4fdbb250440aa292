//! Learning: the sparse logistic regression (a linfa estimator), calibration and thresholds.

pub mod calibration;
pub mod logistic;
pub mod streaming;
pub mod thresholds;

pub use calibration::Calibration;
pub use logistic::{
    ClassWeight, LinearModel, LogisticParams, LogisticRegression, LogisticValidParams,
};
pub use streaming::{BlockDual, StreamingParams};
pub use thresholds::Thresholds;
