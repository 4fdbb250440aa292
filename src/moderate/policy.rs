//! Policy: scores to flags and a decision.
//!
//! A label is flagged when its probability reaches the label's flag threshold. The decision is
//! `block` when any label reaches its block threshold, `review` when any label is flagged,
//! and `allow` otherwise.

use crate::learn::Thresholds;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What to do with a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Publish: no label reached its flag threshold.
    Allow,
    /// Hold for a human moderator: at least one label is flagged.
    Review,
    /// Reject: a label reached its high-precision block threshold.
    Block,
}

impl Decision {
    /// The decision as written in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Review => "review",
            Decision::Block => "block",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Flags (indices of flagged labels) and the decision for one comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub flags: Vec<usize>,
    pub decision: Decision,
}

/// Applies per-label thresholds to per-label probabilities.
pub fn decide(thresholds: &[Thresholds], probabilities: &[f32]) -> Verdict {
    let mut flags = Vec::new();
    let mut decision = Decision::Allow;
    for (i, (t, &p)) in thresholds.iter().zip(probabilities).enumerate() {
        if p >= t.flag {
            flags.push(i);
            decision = decision.max(Decision::Review);
        }
        if t.block.is_some_and(|b| p >= b) {
            decision = Decision::Block;
        }
    }
    Verdict { flags, decision }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_give_flags_and_the_strongest_decision() {
        let t = [
            Thresholds {
                flag: 0.5,
                block: Some(0.9),
            },
            Thresholds {
                flag: 0.3,
                block: None,
            },
        ];
        assert_eq!(decide(&t, &[0.1, 0.1]).decision, Decision::Allow);
        let v = decide(&t, &[0.2, 0.35]);
        assert_eq!((v.flags, v.decision), (vec![1], Decision::Review));
        let v = decide(&t, &[0.95, 0.99]);
        assert_eq!((v.flags, v.decision), (vec![0, 1], Decision::Block));
        assert_eq!(
            decide(&t, &[0.5, 0.0]).flags,
            vec![0],
            "the threshold itself flags"
        );
    }
}
