//! Explanations: which tokens pushed a label's score up, and where they are in the input.
//!
//! A linear model's margin is a sum of `weight × value` over features. Each feature's share is
//! split evenly over its occurrences and, for word pairs, over the tokens the pair covers;
//! comment-level cues (shouting) are reported on their own.

use crate::features::extract::NO_TOKEN;
use crate::features::FeatureOrigin;
use crate::text::AnalyzedDoc;
use serde::{Deserialize, Serialize};

/// One token's contribution to a label's margin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenContribution {
    /// The token as written in the input.
    pub text: String,
    /// Start and end of the token in the input, in characters (Unicode scalar values).
    pub start: usize,
    pub end: usize,
    /// Contribution to the label's raw margin (log-odds before calibration).
    pub weight: f32,
    /// For a comment-level cue (capitals), its name; the span is then the whole comment.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cue: Option<String>,
}

/// Why a label scored what it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelExplanation {
    pub label: String,
    pub score: f32,
    /// Tokens that pushed the score up, strongest first.
    pub tokens: Vec<TokenContribution>,
}

/// Sums contributions per token for one label.
///
/// `weight_of(feature)` gives the label's weight times the feature's value in the comment.
pub fn token_contributions(
    doc: &AnalyzedDoc,
    input: &str,
    origins: &[FeatureOrigin],
    weight_of: impl Fn(u32) -> f32,
    top: usize,
) -> Vec<TokenContribution> {
    let ntok = doc.tokens.len();
    let mut occurrences: rustc_hash::FxHashMap<u32, u32> = Default::default();
    for o in origins {
        *occurrences.entry(o.feature).or_insert(0) += 1;
    }
    // One slot per token plus one for comment-level cues.
    let mut sums = vec![0f32; ntok + 1];
    for o in origins {
        let share = weight_of(o.feature) / occurrences[&o.feature] as f32;
        if o.first_token == NO_TOKEN {
            sums[ntok] += share;
            continue;
        }
        let (a, b) = (o.first_token as usize, o.last_token as usize);
        let per = share / (b - a + 1) as f32;
        for s in &mut sums[a..=b] {
            *s += per;
        }
    }
    let mut ranked: Vec<(usize, f32)> = sums
        .iter()
        .copied()
        .enumerate()
        .filter(|&(_, w)| w > 0.0)
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked.truncate(top);
    ranked
        .into_iter()
        .map(|(i, weight)| {
            if i == ntok {
                return TokenContribution {
                    text: input.to_string(),
                    start: 0,
                    end: input.chars().count(),
                    weight,
                    cue: Some("written in capitals".into()),
                };
            }
            let t = &doc.tokens[i];
            let (bs, be) = doc
                .normalized
                .input_span(input, t.start as usize, t.end as usize);
            TokenContribution {
                text: input[bs..be].to_string(),
                start: input[..bs].chars().count(),
                end: input[..be].chars().count(),
                weight,
                cue: None,
            }
        })
        .collect()
}
