//! The model value: vectorizer, one calibrated linear classifier per label (or, for a label
//! trained from several sources with source experts, a gated mixture of classifiers; see
//! [`Mixture`]), thresholds, card.

pub mod card;
mod fast;
pub mod file;
pub mod lexicon;

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
        trained_with_analyzer(texts, labels, |analyzer| analyzer.char_block = char_block)
    }

    /// [`trained`] with the analyzer settings changed by `settings`.
    pub fn trained_with_analyzer(
        texts: &[&str],
        labels: &[(&str, &[bool])],
        settings: impl FnOnce(&mut crate::text::AnalyzerConfig),
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
        settings(&mut options.analyzer);
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

/// A label scored as a gated mixture of per-source experts: `p = Σ gᵢ pᵢ`, where `pᵢ` is the
/// calibrated probability of the expert trained on source `i` alone and `gᵢ` the gate's
/// probability that the comment is like source `i`'s; `p` is then recalibrated on its log-odds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mixture {
    /// The label (an index below [`Model::labels`]'s length) whose probability this is.
    pub label: u32,
    /// Heads of the experts, one per source.
    pub experts: Vec<u32>,
    /// Gate heads: with two experts one head, the probability of the first source (the
    /// second's is its complement); with more, one head per expert, normalised to sum to one.
    pub gates: Vec<u32>,
    /// Calibration of the mixture, applied to the log-odds of `p`.
    pub calibration: Calibration,
}

impl Mixture {
    /// The weight of expert `i` given every head's probability.
    fn gate_weight(&self, heads: &[f32], i: usize) -> f32 {
        let q = |g: u32| heads[g as usize];
        if let [g] = self.gates[..] {
            return if i == 0 { q(g) } else { 1.0 - q(g) };
        }
        let sum: f32 = self.gates.iter().map(|&g| q(g)).sum();
        if sum > 0.0 {
            q(self.gates[i]) / sum
        } else {
            1.0 / self.gates.len() as f32
        }
    }

    /// The weight of each expert given every head's probability.
    pub fn gate_weights(&self, heads: &[f32]) -> Vec<f32> {
        (0..self.experts.len())
            .map(|i| self.gate_weight(heads, i))
            .collect()
    }

    /// The mixture's uncalibrated probability given every head's probability (no allocation:
    /// it runs once per comment).
    pub fn raw_probability(&self, heads: &[f32]) -> f32 {
        self.experts
            .iter()
            .enumerate()
            .map(|(i, &e)| self.gate_weight(heads, i) * heads[e as usize])
            .sum()
    }

    /// The calibrated probability given every head's probability.
    pub fn probability(&self, heads: &[f32]) -> f32 {
        self.calibration
            .probability(log_odds(self.raw_probability(heads)))
    }

    /// Checks that the heads it names exist (`outputs` labels, `heads` heads in all).
    pub fn check(&self, outputs: usize, heads: usize) -> Result<(), String> {
        let gates_fit = if self.experts.len() == 2 {
            self.gates.len() == 1 || self.gates.len() == 2
        } else {
            self.gates.len() == self.experts.len()
        };
        if self.label as usize >= outputs
            || self.experts.len() < 2
            || !gates_fit
            || self
                .experts
                .iter()
                .chain(&self.gates)
                .any(|&h| h as usize >= heads)
        {
            return Err(format!(
                "a source mixture does not fit the model's {outputs} labels and {heads} heads"
            ));
        }
        Ok(())
    }
}

/// `ln(p / (1 − p))`, with `p` kept off 0 and 1.
pub fn log_odds(p: f32) -> f32 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

/// A trained moderato model (stored by [`file`]).
#[derive(Debug, Clone)]
pub struct Model {
    vectorizer: Vectorizer,
    /// Every linear head: the labels first, in output order, then the experts and gates of
    /// source mixtures. A mixture label's own head is its first gate.
    labels: Vec<LabelModel>,
    /// How many of `labels` are output labels.
    outputs: usize,
    mixtures: Vec<Mixture>,
    /// Weights stored feature-major: `weights[feature × heads + head]`, so that one comment's
    /// features touch one cache line for all heads.
    weights: Vec<f32>,
    card: ModelCard,
    /// Feature rows of idf and weights for the scoring fast path, built on first use.
    rows: std::sync::OnceLock<Vec<f32>>,
    /// Identifies this model's values to the fast path's caches.
    id: u64,
    /// Precomputed cache entries of the tokens most common in training.
    lexicon: lexicon::Lexicon,
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
    /// Probability of every head (for source mixtures).
    heads: Vec<f32>,
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
        let outputs = labels.len();
        Model::with_mixtures(vectorizer, labels, outputs, Vec::new(), card)
    }

    /// Assembles a model whose first `outputs` heads are its labels and whose other heads are
    /// the experts and gates of `mixtures`.
    pub fn with_mixtures(
        vectorizer: Vectorizer,
        labels: Vec<(LabelModel, LinearModel)>,
        outputs: usize,
        mixtures: Vec<Mixture>,
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
        Model::assemble(vectorizer, heads, outputs, mixtures, weights, card)
    }

    /// A model of these parts (weights feature-major; see [`Model::with_mixtures`]).
    pub(crate) fn assemble(
        vectorizer: Vectorizer,
        labels: Vec<LabelModel>,
        outputs: usize,
        mixtures: Vec<Mixture>,
        weights: Vec<f32>,
        card: ModelCard,
    ) -> Self {
        Model {
            vectorizer,
            labels,
            outputs,
            mixtures,
            weights,
            card,
            rows: Default::default(),
            id: next_model_id(),
            lexicon: Default::default(),
        }
    }

    /// Precomputes the cache entries of the tokens most common in `texts` (the model's
    /// training texts), so that scoring need not analyse those tokens (see [`lexicon`]).
    pub fn precompute_lexicon<S: AsRef<str> + Sync>(&mut self, texts: &[S]) {
        self.lexicon = self.build_lexicon(texts);
    }

    /// The model card as Markdown (see [`ModelCard::to_markdown`]), with a line on the
    /// lexicon that the model file holds beside the card.
    pub fn card_markdown(&self, model_file: &str) -> String {
        let mut s = self.card.to_markdown(model_file);
        if self.scores_directly() {
            s.push_str("- Scoring: the direct path (no de-obfuscation, stemming or character n-grams): each comment is analysed whole and its word features looked up straight in the vocabulary, with no lexicon and no per-run caches.\n");
        } else if self.lexicon.is_empty() {
            s.push_str("- Lexicon: none.\n");
        } else {
            s.push_str(&format!(
                "- Lexicon: the analysis (stems, character n-gram sums, feature ids) of the {} tokens found in the most training texts (at least two of up to {} texts spread over the set) is stored in the model, so that scoring does not redo it; scores are the same bit for bit without it.\n",
                self.lexicon.len(),
                fast::LEXICON_SAMPLE
            ));
        }
        s
    }

    /// The card as JSON (what `inspect --json` prints and `/v1/model` serves): the card's fields
    /// plus `lexicon_tokens`, the number of tokens in the lexicon (0 when the model has none).
    pub fn card_json(&self) -> serde_json::Value {
        let mut card = serde_json::to_value(&self.card).unwrap_or(serde_json::Value::Null);
        if let Some(fields) = card.as_object_mut() {
            fields.insert("lexicon_tokens".into(), self.lexicon.len().into());
        }
        card
    }

    /// The precomputed token entries (see [`lexicon`]).
    pub fn lexicon(&self) -> &lexicon::Lexicon {
        &self.lexicon
    }

    /// The per-label heads, in output order.
    pub fn labels(&self) -> &[LabelModel] {
        &self.labels[..self.outputs]
    }

    /// Every head: the labels, then the experts and gates of source mixtures.
    pub fn heads(&self) -> &[LabelModel] {
        &self.labels
    }

    /// The labels scored as source mixtures.
    pub fn mixtures(&self) -> &[Mixture] {
        &self.mixtures
    }

    /// Label names in output order.
    pub fn label_names(&self) -> Vec<&str> {
        self.labels().iter().map(|l| l.name.as_str()).collect()
    }

    /// Index of a label by name.
    pub fn label_index(&self, name: &str) -> Option<usize> {
        self.labels().iter().position(|l| l.name == name)
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
        let names: Vec<String> = self.labels().iter().map(|l| l.name.clone()).collect();
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
        self.labels().iter().map(|l| l.thresholds).collect()
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
        let margins = if self.scores_directly() {
            self.margins_direct(text, &mut scratch.fast)
        } else {
            self.margins_fast(text, &mut scratch.fast)
        };
        self.label_probabilities(margins, &mut scratch.heads, out);
    }

    /// Label probabilities from every head's margin; `heads` receives every head's
    /// probability when the model has source mixtures.
    fn label_probabilities(&self, margins: &[f32], heads: &mut Vec<f32>, out: &mut Vec<f32>) {
        let probability = |(l, &m): (&LabelModel, &f32)| l.calibration.probability(m);
        out.clear();
        if self.mixtures.is_empty() {
            out.extend(self.labels.iter().zip(margins).map(probability));
            return;
        }
        heads.clear();
        heads.extend(self.labels.iter().zip(margins).map(probability));
        out.extend_from_slice(&heads[..self.outputs]);
        for mix in &self.mixtures {
            out[mix.label as usize] = mix.probability(heads);
        }
    }

    /// Calibrated probabilities the plain way: vectorise, then dot products (the reference
    /// that the fast path of [`Self::probabilities`] is tested against).
    pub fn probabilities_plain(&self, text: &str, scratch: &mut ScoreScratch, out: &mut Vec<f32>) {
        self.vectorizer
            .vectorize(text, &mut scratch.vectorizer, &mut scratch.row);
        self.margins_of_row(&scratch.row, &mut scratch.margins);
        let margins = std::mem::take(&mut scratch.margins);
        self.label_probabilities(&margins, &mut scratch.heads, out);
        scratch.margins = margins;
    }

    /// Scores `text`: probabilities, verdict and, when `explain_top > 0`, explanations of the
    /// flagged labels with up to `explain_top` tokens each.
    pub fn score(&self, text: &str, scratch: &mut ScoreScratch, explain_top: usize) -> Scored {
        let mut probabilities = Vec::with_capacity(self.outputs);
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
        let mut probabilities = Vec::with_capacity(self.outputs);
        self.probabilities(text, scratch, &mut probabilities);
        let verdict = decide(&self.thresholds(), &probabilities);
        let all: Vec<usize> = (0..self.outputs).collect();
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
        let nh = self.labels.len();
        labels
            .iter()
            .map(|&l| {
                // A mixture's word weights: its experts', each weighted by its gate.
                let heads: Vec<(usize, f32)> =
                    match self.mixtures.iter().find(|m| m.label as usize == l) {
                        Some(mix) => mix
                            .experts
                            .iter()
                            .zip(mix.gate_weights(&scratch.heads))
                            .map(|(&e, g)| (e as usize, g))
                            .collect(),
                        None => vec![(l, 1.0)],
                    };
                LabelExplanation {
                    label: self.labels[l].name.clone(),
                    score: probabilities[l],
                    tokens: token_contributions(
                        scratch.vectorizer.doc(),
                        text,
                        &scratch.origins,
                        |f| {
                            let w: f32 = heads
                                .iter()
                                .map(|&(h, g)| g * self.weights[f as usize * nh + h])
                                .sum();
                            w * values.get(&f).copied().unwrap_or(0.0)
                        },
                        top,
                    ),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{log_odds, Mixture};
    use crate::learn::Calibration;

    fn mixture(gates: Vec<u32>, experts: Vec<u32>) -> Mixture {
        Mixture {
            label: 0,
            experts,
            gates,
            calibration: Calibration { a: -1.0, b: 0.0 },
        }
    }

    #[test]
    fn a_mixture_weighs_its_experts_by_its_gates() {
        // Heads: gate 0.75, experts 0.8 and 0.4.
        let heads = [0.75, 0.8, 0.4];
        let two = mixture(vec![0], vec![1, 2]);
        assert_eq!(two.gate_weights(&heads), vec![0.75, 0.25]);
        assert!((two.raw_probability(&heads) - 0.7).abs() < 1e-6);
        // The plain logistic calibration of the log-odds gives the raw probability back.
        assert!((two.probability(&heads) - 0.7).abs() < 1e-5);
        // One gate per expert, normalised; all-zero gates weigh the experts equally.
        let heads = [0.2, 0.6, 0.9, 0.1, 0.5];
        let three = mixture(vec![0, 1, 2], vec![2, 3, 4]);
        let g = three.gate_weights(&heads);
        assert!((g[0] - 0.2 / 1.7).abs() < 1e-6 && (g.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert_eq!(three.gate_weights(&[0.0; 5]), vec![1.0 / 3.0; 3]);
        assert!(three.check(1, 5).is_ok());
        assert!(three.check(1, 4).is_err(), "head 4 of 4");
        assert!(mixture(vec![0, 1], vec![2, 3, 4]).check(1, 5).is_err());
    }

    #[test]
    fn log_odds_stay_finite_at_the_ends() {
        assert_eq!(log_odds(0.5), 0.0);
        assert!(log_odds(0.0).is_finite() && log_odds(1.0).is_finite());
        assert!(log_odds(0.9) > 2.0);
    }
}
