//! The model value: vectorizer, one calibrated linear classifier per label, thresholds, card.

pub mod card;
mod fast;
pub mod file;

/// Tiny models trained in memory, for the model's unit tests.
#[cfg(test)]
pub(crate) mod test_models {
    use super::Model;
    use crate::io::TrainingSet;
    use crate::train::{train, NoProgress, TrainOptions};

    /// Trains on `texts` with one `(label, per-text value)` pair per label, every feature kept
    /// (min_df 1), English and German stems, the default character block.
    pub fn trained(texts: &[&str], labels: &[(&str, &[bool])]) -> Model {
        trained_with(texts, labels, crate::text::CharBlock::default())
    }

    /// [`trained`] with the given character block.
    pub fn trained_with(
        texts: &[&str],
        labels: &[(&str, &[bool])],
        char_block: crate::text::CharBlock,
    ) -> Model {
        let set = TrainingSet {
            texts: texts.iter().map(|s| s.to_string()).collect(),
            labels: labels.iter().map(|(name, _)| name.to_string()).collect(),
            targets: labels
                .iter()
                .map(|(_, values)| values.iter().map(|&b| Some(b)).collect())
                .collect(),
            ..Default::default()
        };
        let mut options = TrainOptions::default();
        options.vocabulary.min_df = 1;
        options.analyzer.languages = vec![
            crate::text::Language::English,
            crate::text::Language::German,
        ];
        options.analyzer.char_block = char_block;
        train(&set, &options, &NoProgress).expect("a tiny model trains")
    }
}

use crate::features::{FeatureOrigin, SparseVec, Vectorizer, VectorizerScratch};
use crate::learn::{Calibration, LinearModel, Thresholds};
use crate::moderate::explain::token_contributions;
use crate::moderate::{decide, LabelExplanation, Verdict};
use serde::{Deserialize, Serialize};

pub use card::ModelCard;

/// One label's classifier apart from its weights (which the model stores interleaved).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelModel {
    pub name: String,
    pub bias: f32,
    pub calibration: Calibration,
    pub thresholds: Thresholds,
}

/// A trained moderato model (stored by [`file`]).
#[derive(Debug, Clone)]
pub struct Model {
    vectorizer: Vectorizer,
    labels: Vec<LabelModel>,
    /// Weights stored feature-major: `weights[feature × labels + label]`, so that one comment's
    /// features touch one cache line for all labels.
    weights: Vec<f32>,
    card: ModelCard,
    /// Feature rows of idf and weights for the scoring fast path, built on first use.
    rows: std::sync::OnceLock<Vec<f32>>,
    /// Identifies this model's values to the fast path's caches.
    id: u64,
}

/// A number no other model of this process has, for [`Model::id`].
fn next_model_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Reusable buffers for scoring on one thread.
#[derive(Debug, Default)]
pub struct ScoreScratch {
    vectorizer: VectorizerScratch,
    row: SparseVec,
    margins: Vec<f32>,
    origins: Vec<FeatureOrigin>,
    fast: fast::FastScratch,
}

/// A comment's scores, verdict and (optionally) explanations.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Calibrated probability per label, in the model's label order.
    pub probabilities: Vec<f32>,
    pub verdict: Verdict,
    /// Explanations of the flagged labels (empty unless requested).
    pub explanations: Vec<LabelExplanation>,
    /// The id of an earlier comment of the same batch that this one repeats.
    pub duplicate_of: Option<String>,
}

impl Model {
    /// Assembles a model from a vectorizer and per-label linear models.
    pub fn new(
        vectorizer: Vectorizer,
        labels: Vec<(LabelModel, LinearModel)>,
        card: ModelCard,
    ) -> Self {
        let nf = vectorizer.nfeatures();
        let nl = labels.len();
        let mut weights = vec![0f32; nf * nl];
        let mut heads = Vec::with_capacity(nl);
        for (l, (mut head, linear)) in labels.into_iter().enumerate() {
            for (f, &w) in linear.weights.iter().enumerate().take(nf) {
                weights[f * nl + l] = w;
            }
            head.bias = linear.bias;
            heads.push(head);
        }
        Model::assemble(vectorizer, heads, weights, card)
    }

    /// A model of these parts (weights feature-major).
    pub(crate) fn assemble(
        vectorizer: Vectorizer,
        labels: Vec<LabelModel>,
        weights: Vec<f32>,
        card: ModelCard,
    ) -> Self {
        Model {
            vectorizer,
            labels,
            weights,
            card,
            rows: Default::default(),
            id: next_model_id(),
        }
    }

    /// The per-label heads, in output order.
    pub fn labels(&self) -> &[LabelModel] {
        &self.labels
    }

    /// Label names in output order.
    pub fn label_names(&self) -> Vec<&str> {
        self.labels.iter().map(|l| l.name.as_str()).collect()
    }

    /// Index of a label by name.
    pub fn label_index(&self, name: &str) -> Option<usize> {
        self.labels.iter().position(|l| l.name == name)
    }

    /// The vectorizer (analyzer and vocabulary).
    pub fn vectorizer(&self) -> &Vectorizer {
        &self.vectorizer
    }

    /// The model card.
    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    /// Replaces thresholds from a policy file.
    pub fn apply_policy(
        &mut self,
        policy: &crate::moderate::policy::PolicyOverrides,
    ) -> Result<(), String> {
        let names: Vec<String> = self.labels.iter().map(|l| l.name.clone()).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut thresholds = self.thresholds();
        policy.apply(&names, &mut thresholds)?;
        for (l, t) in self.labels.iter_mut().zip(thresholds) {
            l.thresholds = t;
        }
        Ok(())
    }

    /// Per-label thresholds in label order.
    pub fn thresholds(&self) -> Vec<Thresholds> {
        self.labels.iter().map(|l| l.thresholds).collect()
    }

    fn margins_of_row(&self, row: &SparseVec, margins: &mut Vec<f32>) {
        let nl = self.labels.len();
        margins.clear();
        margins.extend(self.labels.iter().map(|l| l.bias));
        for (&f, &x) in row.indices.iter().zip(&row.values) {
            let base = f as usize * nl;
            for (m, w) in margins.iter_mut().zip(&self.weights[base..base + nl]) {
                *m += w * x;
            }
        }
    }

    /// Calibrated probabilities of every label for `text`, written into `out`.
    pub fn probabilities(&self, text: &str, scratch: &mut ScoreScratch, out: &mut Vec<f32>) {
        let margins = self.margins_fast(text, &mut scratch.fast);
        out.clear();
        out.extend(
            self.labels
                .iter()
                .zip(margins)
                .map(|(l, &m)| l.calibration.probability(m)),
        );
    }

    /// Calibrated probabilities the plain way: vectorise, then dot products (the reference
    /// that the fast path of [`Self::probabilities`] is tested against).
    pub fn probabilities_plain(&self, text: &str, scratch: &mut ScoreScratch, out: &mut Vec<f32>) {
        self.vectorizer
            .vectorize(text, &mut scratch.vectorizer, &mut scratch.row);
        self.margins_of_row(&scratch.row, &mut scratch.margins);
        out.clear();
        out.extend(
            self.labels
                .iter()
                .zip(&scratch.margins)
                .map(|(l, &m)| l.calibration.probability(m)),
        );
    }

    /// Scores `text`: probabilities, verdict and, when `explain_top > 0`, explanations of the
    /// flagged labels with up to `explain_top` tokens each.
    pub fn score(&self, text: &str, scratch: &mut ScoreScratch, explain_top: usize) -> Scored {
        let mut probabilities = Vec::with_capacity(self.labels.len());
        self.probabilities(text, scratch, &mut probabilities);
        let verdict = decide(&self.thresholds(), &probabilities);
        let explanations = if explain_top > 0 && !verdict.flags.is_empty() {
            self.explain_labels(text, scratch, &verdict.flags, &probabilities, explain_top)
        } else {
            Vec::new()
        };
        Scored {
            probabilities,
            verdict,
            explanations,
            duplicate_of: None,
        }
    }

    /// Explains every label of `text`, flagged or not.
    pub fn explain(&self, text: &str, scratch: &mut ScoreScratch, top: usize) -> Scored {
        let mut probabilities = Vec::with_capacity(self.labels.len());
        self.probabilities(text, scratch, &mut probabilities);
        let verdict = decide(&self.thresholds(), &probabilities);
        let all: Vec<usize> = (0..self.labels.len()).collect();
        let explanations = self.explain_labels(text, scratch, &all, &probabilities, top);
        Scored {
            probabilities,
            verdict,
            explanations,
            duplicate_of: None,
        }
    }

    fn explain_labels(
        &self,
        text: &str,
        scratch: &mut ScoreScratch,
        labels: &[usize],
        probabilities: &[f32],
        top: usize,
    ) -> Vec<LabelExplanation> {
        self.vectorizer.vectorize_traced(
            text,
            &mut scratch.vectorizer,
            &mut scratch.row,
            &mut scratch.origins,
        );
        let values: rustc_hash::FxHashMap<u32, f32> = scratch
            .row
            .indices
            .iter()
            .copied()
            .zip(scratch.row.values.iter().copied())
            .collect();
        let nl = self.labels.len();
        labels
            .iter()
            .map(|&l| LabelExplanation {
                label: self.labels[l].name.clone(),
                score: probabilities[l],
                tokens: token_contributions(
                    scratch.vectorizer.doc(),
                    text,
                    &scratch.origins,
                    |f| self.weights[f as usize * nl + l] * values.get(&f).copied().unwrap_or(0.0),
                    top,
                ),
            })
            .collect()
    }
}
