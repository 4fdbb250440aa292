//! Policy: scores to flags and a decision.
//!
//! A label is flagged when its probability reaches the label's review threshold. The decision is
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
        if p >= t.review {
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
                review: 0.5,
                block: Some(0.9),
            },
            Thresholds {
                review: 0.3,
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

/// Threshold overrides read from a policy file.
///
/// The file is JSON: `{"toxic": {"review": 0.4, "block": 0.95}, "spam": {"block": "never"}}`.
/// A label or threshold left out keeps the model's value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyOverrides {
    pub labels: Vec<(String, LabelOverride)>,
}

/// New thresholds for one label.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LabelOverride {
    pub review: Option<f32>,
    /// `Some(None)` means never block.
    pub block: Option<Option<f32>>,
}

impl PolicyOverrides {
    /// Reads a policy file.
    pub fn load(path: &std::path::Path) -> crate::Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| crate::Error::io(path, e))?;
        Self::parse(&bytes).map_err(|m| crate::Error::input(path, m))
    }

    /// Parses policy JSON.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| format!("invalid policy JSON: {e}"))?;
        let obj = value
            .as_object()
            .ok_or("a policy is a JSON object of labels")?;
        let threshold = |label: &str, key: &str, v: &serde_json::Value| -> Result<f32, String> {
            v.as_f64()
                .filter(|x| (0.0..=1.0).contains(x))
                .map(|x| x as f32)
                .ok_or_else(|| format!("'{label}.{key}' must be a number in [0, 1]"))
        };
        let mut labels = Vec::new();
        for (label, entry) in obj {
            let entry = entry
                .as_object()
                .ok_or_else(|| format!("'{label}' must be an object with review and/or block"))?;
            let mut o = LabelOverride::default();
            for (key, v) in entry {
                match key.as_str() {
                    "review" => o.review = Some(threshold(label, key, v)?),
                    "block" if v.as_str() == Some("never") || v.is_null() => o.block = Some(None),
                    "block" => o.block = Some(Some(threshold(label, key, v)?)),
                    other => {
                        return Err(format!("unknown key '{label}.{other}' (use review, block)"))
                    }
                }
            }
            labels.push((label.clone(), o));
        }
        Ok(PolicyOverrides { labels })
    }

    /// Applies the overrides to per-label thresholds named by `names`.
    pub fn apply(&self, names: &[&str], thresholds: &mut [Thresholds]) -> Result<(), String> {
        for (label, o) in &self.labels {
            let i = names.iter().position(|n| n == label).ok_or_else(|| {
                format!(
                    "the policy names label '{label}', which the model does not have ({})",
                    names.join(", ")
                )
            })?;
            if let Some(r) = o.review {
                thresholds[i].review = r;
            }
            if let Some(b) = o.block {
                thresholds[i].block = b;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod policy_file_tests {
    use super::*;

    #[test]
    fn overrides_named_thresholds_only() {
        let p =
            PolicyOverrides::parse(br#"{"toxic": {"review": 0.4}, "spam": {"block": "never"}}"#)
                .unwrap();
        let mut t = vec![
            Thresholds {
                review: 0.3,
                block: Some(0.9),
            },
            Thresholds {
                review: 0.5,
                block: Some(0.8),
            },
        ];
        p.apply(&["toxic", "spam"], &mut t).unwrap();
        assert_eq!(
            t[0],
            Thresholds {
                review: 0.4,
                block: Some(0.9)
            }
        );
        assert_eq!(
            t[1],
            Thresholds {
                review: 0.5,
                block: None
            }
        );
        assert!(p
            .apply(&["toxic"], &mut t[..1])
            .unwrap_err()
            .contains("'spam'"));
        assert!(PolicyOverrides::parse(br#"{"toxic": {"review": 2}}"#).is_err());
        assert!(PolicyOverrides::parse(br#"{"toxic": {"flag": 0.2}}"#).is_err());
    }
}
