//! Evaluation: metrics and hold-out splits.

pub mod metrics;
pub mod obfuscate;
pub mod split;

pub use metrics::{evaluate, Confusion, LabelMetrics};
