//! Moderation: decisions from scores, and explanations of scores.

pub mod duplicates;
pub mod explain;
pub mod policy;
pub mod report;

pub use explain::{LabelExplanation, TokenContribution};
pub use policy::{decide, Decision, Verdict};
