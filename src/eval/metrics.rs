//! Quality metrics of a label's scores: ROC AUC and the confusion matrix through linfa, PR AUC
//! (average precision), precision, recall and F1 at a threshold.

use linfa::dataset::Pr;
use linfa::metrics::{BinaryClassification, ToConfusionMatrix};
use ndarray::Array1;
use serde::{Deserialize, Serialize};

/// Counts of a binary confusion matrix.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    pub true_positives: u64,
    pub false_positives: u64,
    pub false_negatives: u64,
    pub true_negatives: u64,
}

/// How well one label's scores match the truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelMetrics {
    pub label: String,
    pub rows: u64,
    pub positives: u64,
    /// Area under the ROC curve (`None` when only one class is present).
    pub roc_auc: Option<f64>,
    /// Area under the precision-recall curve, as average precision.
    pub pr_auc: Option<f64>,
    /// Expected calibration error over 10 equal-width probability bins.
    pub ece: Option<f64>,
    /// Mean score against observed positive rate per bin.
    pub reliability: Vec<ReliabilityBin>,
    pub threshold: f32,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub confusion: Confusion,
}

/// One bin of a reliability table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    pub lower: f64,
    pub upper: f64,
    pub count: u64,
    pub mean_score: f64,
    pub positive_rate: f64,
}

/// Expected calibration error (count-weighted mean |mean score − positive rate| over `bins`
/// equal-width bins) and the reliability table behind it; `None` without rows.
pub fn calibration(
    scores: &[f32],
    labels: &[bool],
    bins: usize,
) -> (Option<f64>, Vec<ReliabilityBin>) {
    if scores.is_empty() || bins == 0 {
        return (None, Vec::new());
    }
    let mut sum = vec![0f64; bins];
    let mut pos = vec![0u64; bins];
    let mut count = vec![0u64; bins];
    for (&p, &t) in scores.iter().zip(labels) {
        let b = ((p.clamp(0.0, 1.0) as f64 * bins as f64) as usize).min(bins - 1);
        sum[b] += p as f64;
        count[b] += 1;
        pos[b] += t as u64;
    }
    let n = scores.len() as f64;
    let mut ece = 0.0;
    let mut table = Vec::new();
    for b in 0..bins {
        if count[b] == 0 {
            continue;
        }
        let c = count[b] as f64;
        let (mean, rate) = (sum[b] / c, pos[b] as f64 / c);
        ece += c / n * (mean - rate).abs();
        table.push(ReliabilityBin {
            lower: b as f64 / bins as f64,
            upper: (b + 1) as f64 / bins as f64,
            count: count[b],
            mean_score: mean,
            positive_rate: rate,
        });
    }
    (Some(ece), table)
}

/// Scores replaced by their normalised ranks (ties share their mean rank), so that linfa's
/// `f32` probabilities keep every distinction the raw scores make.
fn rank_probabilities(scores: &[f32]) -> Vec<Pr> {
    let n = scores.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut ranks = vec![0f64; n];
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0;
        for &k in &order[i..=j] {
            ranks[k] = mean;
        }
        i = j + 1;
    }
    let denom = (n.max(2) - 1) as f64;
    ranks
        .into_iter()
        .map(|r| Pr::new_unchecked((r / denom) as f32))
        .collect()
}

/// ROC AUC computed by linfa on rank-transformed scores; `None` with a single class.
pub fn roc_auc(scores: &[f32], labels: &[bool]) -> Option<f64> {
    let positives = labels.iter().filter(|&&t| t).count();
    if positives == 0 || positives == labels.len() || scores.iter().any(|s| !s.is_finite()) {
        return None;
    }
    let probs = rank_probabilities(scores);
    let roc = probs.as_slice().roc(labels).ok()?;
    Some(roc.area_under_curve() as f64)
}

/// Average precision (area under the precision-recall curve, step-wise); `None` without positives.
pub fn average_precision(scores: &[f32], labels: &[bool]) -> Option<f64> {
    let positives = labels.iter().filter(|&&t| t).count() as f64;
    if positives == 0.0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut tp, mut seen, mut ap) = (0f64, 0f64, 0f64);
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        let mut group_tp = 0f64;
        while j < order.len() && scores[order[j]] == scores[order[i]] {
            if labels[order[j]] {
                group_tp += 1.0;
            }
            j += 1;
        }
        seen += (j - i) as f64;
        tp += group_tp;
        ap += group_tp / positives * (tp / seen);
        i = j;
    }
    Some(ap)
}

/// Evaluates one label's scores against the truth at `threshold`.
pub fn evaluate(label: &str, scores: &[f32], labels: &[bool], threshold: f32) -> LabelMetrics {
    let predicted: Vec<bool> = scores.iter().map(|&s| s >= threshold).collect();
    let mut c = Confusion::default();
    for (&p, &t) in predicted.iter().zip(labels) {
        match (p, t) {
            (true, true) => c.true_positives += 1,
            (true, false) => c.false_positives += 1,
            (false, true) => c.false_negatives += 1,
            (false, false) => c.true_negatives += 1,
        }
    }
    let (precision, recall, f1) = linfa_scores(&predicted, labels, &c);
    let (ece, reliability) = calibration(scores, labels, 10);
    LabelMetrics {
        ece,
        reliability,
        label: label.to_string(),
        rows: labels.len() as u64,
        positives: c.true_positives + c.false_negatives,
        roc_auc: roc_auc(scores, labels),
        pr_auc: average_precision(scores, labels),
        threshold,
        precision,
        recall,
        f1,
        confusion: c,
    }
}

/// Precision, recall and F1 from linfa's confusion matrix when both classes occur, else from
/// the counts (linfa's matrix is not binary then); 0 where undefined.
///
/// linfa 0.8.1 lays its binary matrix out so that its `precision()` is TP / (TP + FN) and its
/// `recall()` is TP / (TP + FP), the reverse of the usual names; the unit test below pins this.
fn linfa_scores(predicted: &[bool], truth: &[bool], c: &Confusion) -> (f64, f64, f64) {
    let both = |v: &[bool]| v.iter().any(|&x| x) && v.iter().any(|&x| !x);
    let clean = |x: f32| if x.is_finite() { x as f64 } else { 0.0 };
    if both(truth) && c.true_positives > 0 {
        let pred = Array1::from(predicted.to_vec());
        let gt = Array1::from(truth.to_vec());
        if let Ok(cm) = pred.confusion_matrix(&gt) {
            return (
                clean(cm.recall()),
                clean(cm.precision()),
                clean(cm.f1_score()),
            );
        }
    }
    let tp = c.true_positives as f64;
    let precision = if tp > 0.0 {
        tp / (tp + c.false_positives as f64)
    } else {
        0.0
    };
    let recall = if tp > 0.0 {
        tp / (tp + c.false_negatives as f64)
    } else {
        0.0
    };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    (precision, recall, f1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_perfect_random_and_tied_scores() {
        let labels = [false, false, true, true];
        assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &labels), Some(1.0));
        assert_eq!(roc_auc(&[0.9, 0.8, 0.2, 0.1], &labels), Some(0.0));
        assert_eq!(roc_auc(&[0.5; 4], &labels), Some(0.5));
        // One inversion out of four pairs.
        let auc = roc_auc(&[0.1, 0.85, 0.8, 0.9], &labels).unwrap();
        assert!((auc - 0.75).abs() < 1e-6, "{auc}");
        assert_eq!(roc_auc(&[0.1, 0.2], &[true, true]), None);
    }

    #[test]
    fn calibration_error_of_perfect_and_overconfident_scores() {
        // Half of the 0.5 scores are positive: perfectly calibrated.
        let (ece, table) = calibration(&[0.5, 0.5, 0.5, 0.5], &[true, false, true, false], 10);
        assert!(ece.unwrap().abs() < 1e-9);
        assert_eq!(table.len(), 1);
        // Scores of 0.95 with no positives: error 0.95.
        let (ece, _) = calibration(&[0.95, 0.95], &[false, false], 10);
        assert!((ece.unwrap() - 0.95).abs() < 1e-6);
    }

    #[test]
    fn scores_near_one_keep_their_order() {
        let scores = [0.999_94, 0.999_93, 0.999_92, 0.999_91];
        let labels = [true, true, false, false];
        assert_eq!(roc_auc(&scores, &labels), Some(1.0));
    }

    #[test]
    fn average_precision_and_confusion_counts() {
        let scores = [0.9, 0.8, 0.7, 0.6];
        let labels = [true, false, true, false];
        let ap = average_precision(&scores, &labels).unwrap();
        assert!((ap - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-9);
        let m = evaluate("toxic", &scores, &labels, 0.75);
        assert_eq!(m.confusion.true_positives, 1);
        assert_eq!(m.confusion.false_positives, 1);
        assert_eq!(m.confusion.false_negatives, 1);
        assert_eq!(m.confusion.true_negatives, 1);
        assert!((m.precision - 0.5).abs() < 1e-6);
        assert!((m.recall - 0.5).abs() < 1e-6);
        let m = evaluate(
            "toxic",
            &[0.9, 0.8, 0.1, 0.2],
            &[true, false, true, true],
            0.5,
        );
        assert!(
            (m.precision - 0.5).abs() < 1e-6,
            "precision {}",
            m.precision
        );
        assert!((m.recall - 1.0 / 3.0).abs() < 1e-6, "recall {}", m.recall);
    }
}
