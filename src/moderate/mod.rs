//! Moderation: decisions from scores, and explanations of scores.

pub mod explain;
pub mod policy;

pub use explain::{LabelExplanation, TokenContribution};
pub use policy::{decide, Decision, Verdict};
