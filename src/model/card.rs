//! The model card: what a model was trained on, how, and how well it did on held-out rows.

use crate::eval::LabelMetrics;
use crate::features::VocabularyConfig;
use crate::learn::LogisticValidParams;
use crate::text::{AnalyzerConfig, CharBlock};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// A training file as the model saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingFile {
    /// The path as given on the command line.
    pub path: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Rows used from the file.
    pub rows: u64,
    /// Rows refused (unusable label values, missing text).
    pub rejected: u64,
    /// Model labels the file carries, with the column each came from.
    pub labels: Vec<String>,
}

/// One label's training facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelCard {
    pub name: String,
    /// Rows that carry the label, and how many of them are positive.
    pub rows: u64,
    pub positives: u64,
    pub review_threshold: f32,
    pub block_threshold: Option<f32>,
    /// Metrics on the held-out rows, at the flag threshold.
    pub validation: Option<LabelMetrics>,
    /// Passes the solver made on the final fit.
    pub solver_passes: u32,
    /// Weight of the NB-scaled model in the final blend (0 = plain logistic regression).
    pub nb_blend: f32,
    /// Anything unusual about this label's training.
    pub notes: Vec<String>,
}

/// Everything a reader needs to know about a model.
///
/// `A` is the type of the analyzer settings: [`AnalyzerConfig`], except when reading a model
/// file of an older format, which stores the settings without later fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard<A = AnalyzerConfig> {
    pub moderato_version: String,
    pub labels: Vec<LabelCard>,
    pub training_files: Vec<TrainingFile>,
    /// Free-form notes on the data (sources, licences).
    pub data_notes: Vec<String>,
    pub analyzer: A,
    pub vocabulary: VocabularyConfig,
    pub word_features: u64,
    pub char_features: u64,
    pub learner: LogisticValidParams,
    /// How the NB blend was set.
    pub nb_blend: crate::train::NbBlend,
    pub validation_fraction: f64,
    pub review_recall_target: f64,
    pub block_precision_target: f64,
    pub rows: u64,
}

fn opt(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_string(), |v| format!("{v:.4}"))
}

impl<A> ModelCard<A> {
    /// The same card with its analyzer settings converted by `f`.
    pub fn map_analyzer<B>(self, f: impl FnOnce(A) -> B) -> ModelCard<B> {
        ModelCard {
            moderato_version: self.moderato_version,
            labels: self.labels,
            training_files: self.training_files,
            data_notes: self.data_notes,
            analyzer: f(self.analyzer),
            vocabulary: self.vocabulary,
            word_features: self.word_features,
            char_features: self.char_features,
            learner: self.learner,
            nb_blend: self.nb_blend,
            validation_fraction: self.validation_fraction,
            review_recall_target: self.review_recall_target,
            block_precision_target: self.block_precision_target,
            rows: self.rows,
        }
    }
}

impl ModelCard {
    /// Renders the card as Markdown.
    pub fn to_markdown(&self, model_file: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# Model card: {model_file}\n");
        let _ = writeln!(
            s,
            "Trained by moderato {} on {} rows. Labels: {}.\n",
            self.moderato_version,
            self.rows,
            self.labels
                .iter()
                .map(|l| format!("`{}`", l.name))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(s, "## Labels and thresholds\n");
        let _ = writeln!(s, "A label is flagged (decision `review`) at or above its review threshold: the lower of the best-F1 cut and the highest cut whose held-out recall reached {:.0} %. The decision is `block` at or above the block threshold, the lowest cut whose held-out precision reached {:.0} %; `–` means no cut reached it and the label never blocks. Precision, recall and F1 below are on the held-out rows at the review threshold.\n", self.review_recall_target * 100.0, self.block_precision_target * 100.0);
        let _ = writeln!(s, "| label | rows | positives | review threshold | block threshold | held-out ROC AUC | PR AUC | precision | recall | F1 | NB blend |");
        let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|");
        for l in &self.labels {
            let v = l.validation.as_ref();
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.4} | {} | {} | {} | {} | {} | {} | {:.2} |",
                l.name,
                l.rows,
                l.positives,
                l.review_threshold,
                l.block_threshold.map_or("–".into(), |b| format!("{b:.4}")),
                opt(v.and_then(|m| m.roc_auc)),
                opt(v.and_then(|m| m.pr_auc)),
                opt(v.map(|m| m.precision)),
                opt(v.map(|m| m.recall)),
                opt(v.map(|m| m.f1)),
                l.nb_blend,
            );
        }
        for l in &self.labels {
            for n in &l.notes {
                let _ = writeln!(s, "\nNote on `{}`: {n}", l.name);
            }
        }
        let _ = writeln!(s, "\n## Training data\n");
        let _ = writeln!(s, "| file | rows | rejected | labels | sha256 |");
        let _ = writeln!(s, "|---|---|---|---|---|");
        for f in &self.training_files {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | `{}` |",
                f.path,
                f.rows,
                f.rejected,
                f.labels.join(", "),
                f.sha256
            );
        }
        for n in &self.data_notes {
            let _ = writeln!(s, "\n{n}");
        }
        let a = &self.analyzer;
        let _ = writeln!(s, "\n## Settings\n");
        let languages: Vec<&str> = a.languages.iter().map(|l| l.name()).collect();
        let _ = writeln!(s, "- Analyzer: Unicode NFKC folding, lowercase, accents removed from Latin letters, invisible characters dropped; de-obfuscation (look-alike letters, leetspeak, letter runs, letters written apart, masked letters): {}; tokens for words, numbers, URLs, e-mail addresses, @mentions, emoji, currency signs and `!`/`?` runs; stemming: {} ({}).", if a.deobfuscate { "on" } else { "off" }, if a.stem { "on" } else { "off" }, languages.join(", "));
        let _ = writeln!(
            s,
            "- Features: word 1–{} grams; character {}–{} grams within words; cues: {}.",
            a.word_ngram_max,
            a.char_ngram_min,
            a.char_ngram_max,
            if a.cues { "URL, shouting" } else { "off" }
        );
        let _ = writeln!(
            s,
            "- Character block: {}.",
            match a.char_block {
                CharBlock::Exact => "exact (`exact`: sublinear TF × IDF of each n-gram counted over the whole comment)",
                CharBlock::PerWord => "per word (`per-word`: each distinct word's n-gram vector, sublinear TF × IDF within the word, weighted by 1 + ln of the word's occurrences and summed; L2-normalised by the root of the sum of the words' weighted squared norms)",
            }
        );
        let _ = writeln!(s, "- Vocabulary: min_df {}, at most {} word and {} character features; kept {} word and {} character features. Sublinear TF × smoothed IDF from the training corpus, each block L2-normalised.", self.vocabulary.min_df, self.vocabulary.max_word_features, self.vocabulary.max_char_features, self.word_features, self.char_features);
        let p = &self.learner;
        let streaming = !self.labels.is_empty()
            && self.labels.iter().all(|l| {
                l.notes
                    .iter()
                    .any(|n| n.starts_with(crate::train::STREAMING_NOTE))
            });
        if streaming {
            let _ = writeln!(s, "- Learner: L2 logistic regression, C = {}, class weight {:?}, dual coordinate descent run by block minimisation over rows re-vectorised chunk by chunk (the streaming learner, {} epochs) because the vectorised rows did not fit the memory limit, tolerance {}; Platt calibration on the held-out rows. NB blend: off (not available with the streaming learner).", p.c, p.class_weight, self.labels[0].solver_passes, p.tolerance);
        } else {
            let c_choice = if self.nb_blend == crate::train::NbBlend::Auto {
                format!(
                    " (labels with fewer than {} rows choose C among {} times it by cross-validation, together with the blend; see their notes)",
                    crate::train::CV_BELOW_ROWS,
                    crate::train::C_GRID.map(|f| f.to_string()).join(" / ")
                )
            } else {
                String::new()
            };
            let _ = writeln!(s, "- Learner: L2 logistic regression, dual coordinate descent, C = {}{c_choice}, class weight {:?}, tolerance {}, at most {} passes; Platt calibration on the held-out rows. NB blend: {:?} (a second logistic regression on features scaled by naive-Bayes ratios, log-count or mean-value as each label's note says, blended into the first with the per-label weight in the table).", p.c, p.class_weight, p.tolerance, p.max_iter, self.nb_blend);
        }
        let _ = writeln!(s, "- Held-out part: {:.0} % of rows, chosen by a hash of the text; thresholds and calibration come from it, then each label is refitted on all its rows.", self.validation_fraction * 100.0);
        s
    }
}
