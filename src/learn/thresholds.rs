//! Choosing decision thresholds on held-out probabilities.

use serde::{Deserialize, Serialize};

/// Thresholds on a label's calibrated probability.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// At or above it the label is flagged and the comment goes to review: the highest cut
    /// whose held-out recall reaches the review recall target.
    pub review: f32,
    /// At or above it the comment is blocked (lowest threshold whose held-out precision reaches
    /// the block precision target); `None` when no threshold reached the target.
    pub block: Option<f32>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            review: 0.5,
            block: None,
        }
    }
}

/// Scores sorted in descending order with the cumulative true/false positive counts at each
/// distinct score (everything at or above that score predicted positive).
fn sweep(probs: &[f32], labels: &[bool]) -> Vec<(f32, u32, u32, f32)> {
    let mut pairs: Vec<(f32, bool)> = probs.iter().copied().zip(labels.iter().copied()).collect();
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut out = Vec::new();
    let (mut tp, mut fp) = (0u32, 0u32);
    for (i, &(p, t)) in pairs.iter().enumerate() {
        if t {
            tp += 1;
        } else {
            fp += 1;
        }
        let next = pairs.get(i + 1).map(|x| x.0);
        if next != Some(p) {
            // Threshold halfway to the next lower score, so that held-out noise matters less.
            let cut = next.map_or(p, |n| (p + n) / 2.0);
            out.push((cut, tp, fp, p));
        }
    }
    out
}

/// The threshold with the best F1 on `probs` against `labels`, and that F1.
pub fn best_f1_threshold(probs: &[f32], labels: &[bool]) -> Option<(f32, f64)> {
    let positives = labels.iter().filter(|&&t| t).count() as f64;
    if positives == 0.0 {
        return None;
    }
    let mut best: Option<(f32, f64)> = None;
    for (cut, tp, fp, _) in sweep(probs, labels) {
        let precision = tp as f64 / (tp + fp) as f64;
        let recall = tp as f64 / positives;
        let f1 = if tp == 0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        if best.is_none_or(|(_, b)| f1 > b) {
            best = Some((cut, f1));
        }
    }
    best
}

/// The highest threshold at which recall is at least `target`.
pub fn recall_threshold(probs: &[f32], labels: &[bool], target: f64) -> Option<f32> {
    let positives = labels.iter().filter(|&&t| t).count() as f64;
    if positives == 0.0 {
        return None;
    }
    sweep(probs, labels)
        .into_iter()
        .find(|&(_, tp, _, _)| tp as f64 / positives >= target)
        .map(|(cut, ..)| cut)
}

/// The lowest threshold at which precision is at least `target` with at least `min_hits`
/// true positives at or above it.
pub fn precision_threshold(
    probs: &[f32],
    labels: &[bool],
    target: f64,
    min_hits: u32,
) -> Option<f32> {
    let mut found = None;
    for (cut, tp, fp, _) in sweep(probs, labels) {
        if tp >= min_hits && tp as f64 / (tp + fp) as f64 >= target {
            found = Some(cut);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_f1_separates_clean_scores() {
        let probs = [0.9, 0.8, 0.7, 0.3, 0.2, 0.1];
        let labels = [true, true, true, false, false, false];
        let (t, f1) = best_f1_threshold(&probs, &labels).unwrap();
        assert!((f1 - 1.0).abs() < 1e-9);
        assert!(t > 0.3 && t <= 0.7, "threshold {t}");
        assert!(best_f1_threshold(&probs, &[false; 6]).is_none());
    }

    #[test]
    fn recall_target_picks_the_highest_qualifying_cut() {
        let probs = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
        let labels = [true, false, true, false, true, false];
        // Two of three positives are at or above 0.7: recall 2/3.
        let t = recall_threshold(&probs, &labels, 0.6).unwrap();
        assert!(t > 0.6 && t <= 0.7, "threshold {t}");
        let t = recall_threshold(&probs, &labels, 1.0).unwrap();
        assert!(t > 0.4 && t <= 0.5, "threshold {t}");
        assert_eq!(recall_threshold(&probs, &[false; 6], 0.5), None);
    }

    #[test]
    fn precision_target_picks_the_lowest_qualifying_cut() {
        let probs = [0.95, 0.9, 0.85, 0.8, 0.6, 0.4];
        let labels = [true, true, true, false, true, false];
        // Precision 1.0 holds down to 0.85; at 0.6 it is 4/5.
        let t = precision_threshold(&probs, &labels, 0.9, 2).unwrap();
        assert!(t > 0.8 && t <= 0.85, "threshold {t}");
        assert_eq!(precision_threshold(&probs, &labels, 0.9, 10), None);
    }
}
