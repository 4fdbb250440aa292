//! The training pipeline: vocabulary, vectors, then per label a hold-out fit for calibration and
//! thresholds and a final fit on all the label's rows.

use crate::error::{Error, Result};
use crate::eval::metrics::roc_auc;
use crate::eval::split::is_held_out;
use crate::eval::{evaluate, LabelMetrics};
use crate::experts::{plan_heads, HeadPlan, MixturePlan, Role};
use crate::features::label_idf::{
    column_document_frequencies, known_on_some_rows_only, label_idf_scale,
};
use crate::features::{
    CsrMatrix, DocumentFrequencies, RowSubset, SparseVec, Vectorizer, VectorizerScratch,
    Vocabulary, VocabularyConfig, BYTES_PER_COUNTED_KEY,
};
use crate::io::TrainingSet;
use crate::learn::thresholds::{best_f1_threshold, precision_threshold, recall_threshold};
use crate::learn::{
    BlockDual, Calibration, LinearModel, LogisticRegression, LogisticValidParams, StreamingParams,
    Thresholds,
};
use crate::memory::format_size;
use crate::model::card::LabelCard;
use crate::model::{log_odds, LabelModel, Mixture, Model, ModelCard};
use crate::text::{Analyzer, AnalyzerConfig};
use linfa::traits::Fit;
use linfa::{DatasetBase, ParamGuard};
use ndarray::Array1;
use rayon::prelude::*;
use std::sync::Mutex;

/// Everything that decides how a model is trained.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub analyzer: AnalyzerConfig,
    pub vocabulary: VocabularyConfig,
    pub learner: LogisticValidParams,
    /// Share of rows held out for calibration and thresholds.
    pub validation_fraction: f64,
    /// Held-out recall the review threshold must reach.
    pub review_recall: f64,
    /// Held-out precision a block threshold must reach.
    pub block_precision: f64,
    /// Free-form notes for the card (data sources, licences).
    pub data_notes: Vec<String>,
    /// How much of the NB-scaled model to blend into the plain one.
    pub nb_blend: NbBlend,
    /// Memory the training may use, in bytes (`None`: [`crate::memory::default_limit`]). When the
    /// exact solver's matrix would not fit, the streaming learner is used.
    pub memory_limit: Option<u64>,
    /// Settings of the streaming learner.
    pub streaming: StreamingParams,
    /// Weight rows so that every input file carrying a label has the same total weight for
    /// it (see [`source_weights`]).
    pub balance_sources: bool,
    /// Labels trained as a mixture of per-source experts (see [`crate::experts`]).
    pub source_experts: Vec<String>,
    /// Weigh each label's features by IDF over the rows that carry the label rather than over
    /// all rows (see [`crate::features::label_idf`]); only differs for labels that some input
    /// files lack.
    pub label_idf: bool,
}

/// Blending of a plain logistic regression with one on naive-Bayes-scaled features (NB-LR,
/// Wang and Manning 2012; see [`NbScaling`] for the two scalings). Both are linear in the same
/// features, so the blend is one linear model and scoring costs the same.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NbBlend {
    /// Plain logistic regression only.
    Off,
    /// Choose the NB scaling and the blend weight per label by ROC AUC: by 5-fold
    /// cross-validation for labels with fewer than 10,000 rows (which also choose C among ½, 1
    /// and 2 times the configured one), else on the held-out rows.
    Auto,
    /// A fixed weight in [0, 1] of the model on log-count-ratio-scaled features.
    Fixed(f32),
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            analyzer: AnalyzerConfig::default(),
            vocabulary: VocabularyConfig::default(),
            learner: LogisticRegression::params()
                .check()
                .expect("default hyperparameters are valid"),
            validation_fraction: 0.1,
            review_recall: 0.8,
            block_precision: 0.9,
            data_notes: Vec::new(),
            nb_blend: NbBlend::Auto,
            memory_limit: None,
            streaming: StreamingParams::default(),
            balance_sources: false,
            source_experts: Vec::new(),
            label_idf: true,
        }
    }
}

/// Which solver a training run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LearnerKind {
    /// The whole matrix in memory, dual coordinate descent (and the NB blend).
    Exact,
    /// Rows re-vectorised chunk by chunk each epoch, AdaGrad (no NB blend).
    Streaming,
}

/// The memory estimate a training run decided by.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryPlan {
    pub limit: u64,
    /// Texts, targets and vocabulary, held in either mode.
    pub baseline: u64,
    /// Mean stored entries per vectorised row, measured on a sample.
    pub mean_nnz: f64,
    /// Bytes of the whole CSR matrix.
    pub matrix: u64,
    /// Peak bytes of the exact solver: matrix, NB-scaled copies and solver state, plus baseline.
    pub exact_peak: u64,
    pub learner: LearnerKind,
    /// Rows vectorised at a time by the streaming learner.
    pub chunk_rows: usize,
}

/// Every label note of a model trained by the streaming learner starts with this.
pub const STREAMING_NOTE: &str = "streaming learner:";

/// Rows whose stored entries are counted to estimate the matrix size.
const NNZ_SAMPLE_ROWS: usize = 2000;

/// The program, its allocator's slack and small tables, counted once.
const RUNTIME_BYTES: u64 = 64 << 20;

/// Dual solver state per row and fit: two dual variables, ‖x‖², upper bound, order (bytes).
const SOLVER_BYTES_PER_ROW: u64 = 40;

impl MemoryPlan {
    /// Measures the rows on a sample and decides between the exact and the streaming learner.
    pub fn estimate(
        set: &TrainingSet,
        vectorizer: &Vectorizer,
        options: &TrainOptions,
        limit: u64,
    ) -> Self {
        let n = set.texts.len();
        let stride = (n / NNZ_SAMPLE_ROWS).max(1);
        let sample: Vec<&String> = set.texts.iter().step_by(stride).collect();
        let sampled = vectorizer.vectorize_all(&sample);
        let mean_nnz = sampled.nnz() as f64 / sampled.nrows().max(1) as f64;
        let row_bytes = 8.0 + mean_nnz * 8.0;
        let matrix = (n as f64 * row_bytes) as u64;
        let labels = set.labels.len() as u64;
        let nb = options.nb_blend != NbBlend::Off;
        // Per label the hold-out fits run first (with the NB blend: the plain model and two
        // NB-scaled ones, each of these on a column-scaled copy of the rows it fits), then the
        // final fits (the plain model and at most one NB-scaled one); two copies and four
        // solvers a label bound both stages. With IDF per label, the plain model of a label
        // that some rows lack fits a column-scaled copy too.
        let own_idf = if options.label_idf {
            set.targets
                .iter()
                .filter(|t| known_on_some_rows_only(t))
                .count() as u64
        } else {
            0
        };
        let copies = if nb { 2 * labels } else { 0 } + own_idf;
        let fits = 2 * labels * if nb { 2 } else { 1 };
        let baseline = set
            .texts
            .iter()
            .map(|t| t.capacity() as u64 + 32)
            .sum::<u64>()
            + n as u64 * (labels + 1)
            + vectorizer.nfeatures() as u64 * 40;
        // Vectorising holds the per-thread parts and the joined matrix at once; the parts'
        // memory, freed in small pieces, mostly stays with the allocator (measured: 4.8 GiB at
        // 200k rows with the NB blend, 4.4 × the matrix). Fitting then adds the NB-scaled
        // copies and the solvers' state.
        let exact_peak = RUNTIME_BYTES
            + baseline
            + matrix * (2 + copies)
            + n as u64 * SOLVER_BYTES_PER_ROW * fits;
        let learner = if exact_peak <= limit {
            LearnerKind::Exact
        } else {
            LearnerKind::Streaming
        };
        // Two chunks live at once (one being learnt from, the next being vectorised) within a
        // quarter of what the baseline leaves.
        let spare = limit.saturating_sub(baseline) / 4;
        let chunk_rows = ((spare as f64 / (2.0 * row_bytes)) as usize).clamp(256, 16_384);
        MemoryPlan {
            limit,
            baseline,
            mean_nnz,
            matrix,
            exact_peak,
            learner,
            chunk_rows,
        }
    }

    /// One line for people.
    pub fn describe(&self, rows: usize) -> String {
        let what = match self.learner {
            LearnerKind::Exact => "exact solver (whole matrix in memory)".to_string(),
            LearnerKind::Streaming => format!(
                "streaming learner ({} rows vectorised at a time; NB blend off)",
                self.chunk_rows
            ),
        };
        format!(
            "{rows} rows × {:.0} stored entries a row: matrix {}, exact training peak about {}, memory limit {}: {what}",
            self.mean_nnz,
            format_size(self.matrix),
            format_size(self.exact_peak),
            format_size(self.limit),
        )
    }
}

/// Receives progress of a training run (the CLI draws it; tests ignore it).
pub trait Progress: Sync {
    /// A new stage begins.
    fn stage(&self, name: &str);
    /// Something the user should know about how the training runs (the learner chosen).
    fn note(&self, _message: &str) {}
}

/// Ignores progress.
pub struct NoProgress;

impl Progress for NoProgress {
    fn stage(&self, _: &str) {}
}

/// Trains a model on a training set.
pub fn train(set: &TrainingSet, options: &TrainOptions, progress: &dyn Progress) -> Result<Model> {
    options.analyzer.validate().map_err(Error::Config)?;
    if !(0.0..0.9).contains(&options.validation_fraction) {
        return Err(Error::Config(format!(
            "validation fraction must be in [0, 0.9), not {}",
            options.validation_fraction
        )));
    }
    if set.texts.is_empty() {
        return Err(Error::Training("no usable rows in the input".into()));
    }
    let analyzer = Analyzer::new(options.analyzer.clone());
    let limit = options
        .memory_limit
        .unwrap_or_else(crate::memory::default_limit);
    progress.stage("counting features");
    // A quarter of the budget for the table of distinct keys.
    let max_keys = (limit / 4 / BYTES_PER_COUNTED_KEY).max(1 << 16) as usize;
    let freqs = DocumentFrequencies::count_bounded(&analyzer, &set.texts, max_keys)?;
    let vocabulary = Vocabulary::select(&freqs, &options.vocabulary);
    let mut general_notes = Vec::new();
    if freqs.pruned_up_to() > 0 {
        let note = format!(
            "the table of distinct features outgrew its share of the memory limit ({max_keys} keys) and features in at most {} comments at that point were pruned while counting; document frequencies of rare features are lower bounds",
            freqs.pruned_up_to()
        );
        progress.note(&note);
        general_notes.push(note);
    }
    drop(freqs);
    if vocabulary.is_empty() {
        return Err(Error::Training(format!(
            "no feature occurs in {} or more comments; lower --min-df or give more data",
            options.vocabulary.min_df
        )));
    }
    crate::interrupt::check()?;
    let vectorizer = Vectorizer::new(analyzer, vocabulary);
    let held: Vec<bool> = set
        .texts
        .iter()
        .map(|t| is_held_out(t, options.validation_fraction, options.learner.seed))
        .collect();
    let plan = MemoryPlan::estimate(set, &vectorizer, options, limit);
    progress.note(&plan.describe(set.texts.len()));
    let outputs = set.labels.len();
    let mut mixtures = Vec::new();
    let heads: Vec<(LabelModel, LinearModel, LabelCard)> = match plan.learner {
        LearnerKind::Exact => {
            let crate::experts::Plan {
                heads: plans,
                mixtures: mixture_plans,
                pooled: notes,
            } = plan_heads(set, &options.source_experts)?;
            for (label, n) in &notes {
                progress.note(&format!("label '{}': {n}", set.labels[*label]));
            }
            progress.stage("vectorising");
            let x = vectorizer.vectorize_all(&set.texts);
            let df_all = options
                .label_idf
                .then(|| column_document_frequencies(&x, |_| true));
            crate::interrupt::check()?;
            progress.stage("fitting classifiers");
            // The held-out rows of each mixture's label, which its experts and gates score.
            let mixture_rows: Vec<Vec<u32>> = mixture_plans
                .iter()
                .map(|m| {
                    let targets = &set.targets[m.label];
                    (0..targets.len() as u32)
                        .filter(|&r| targets[r as usize].is_some() && held[r as usize])
                        .collect()
                })
                .collect();
            let mut fitted: Vec<FittedHead> = plans
                .par_iter()
                .map(|h| {
                    let (weights, eval_rows) = match h.role {
                        Role::Label => (
                            options
                                .balance_sources
                                .then(|| source_weights(set, &h.targets))
                                .flatten(),
                            &[][..],
                        ),
                        Role::Expert { mixture, .. } | Role::Gate { mixture, .. } => {
                            (None, &mixture_rows[mixture][..])
                        }
                    };
                    let column_scale = df_all
                        .as_deref()
                        .and_then(|df| label_idf_scale(&x, df, &h.targets));
                    let data = LabelData {
                        x: &x,
                        targets: &h.targets,
                        weights: weights.as_deref(),
                        column_scale: column_scale.as_deref(),
                    };
                    train_label(data, &h.name, &held, eval_rows, options)
                })
                .collect::<Result<_>>()?;
            for (m, rows) in mixture_plans.iter().zip(&mixture_rows) {
                mixtures.push(finish_mixture(set, m, rows, &plans, &mut fitted, options)?);
            }
            for (label, n) in notes {
                fitted[label].2.notes.push(n);
            }
            fitted
                .into_iter()
                .map(|(head, linear, card, _)| (head, linear, card))
                .collect()
        }
        LearnerKind::Streaming => {
            if options.nb_blend != NbBlend::Off {
                progress.note("the NB blend is off with the streaming learner");
            }
            if options.balance_sources {
                progress.note("source balancing is off with the streaming learner");
            }
            if options.label_idf && set.targets.iter().any(|t| known_on_some_rows_only(t)) {
                let note = "IDF per label is off with the streaming learner: every label weighs its features by the IDF of all rows";
                progress.note(note);
                general_notes.push(note.to_string());
            }
            if !options.source_experts.is_empty() {
                let note = "source experts are off with the streaming learner: every label is trained pooled";
                progress.note(note);
                general_notes.push(note.to_string());
            }
            train_streaming(set, &vectorizer, &held, options, &plan, progress)?
        }
    };
    let mut cards = Vec::new();
    let mut linear_heads = Vec::new();
    for (i, (head, linear, mut card)) in heads.into_iter().enumerate() {
        if i < outputs {
            card.notes.extend(general_notes.iter().cloned());
            cards.push(card);
        }
        linear_heads.push((head, linear));
    }
    let vocab = vectorizer.vocabulary();
    let card = ModelCard {
        moderato_version: env!("CARGO_PKG_VERSION").to_string(),
        labels: cards,
        training_files: set.files.clone(),
        data_notes: options.data_notes.clone(),
        analyzer: options.analyzer.clone(),
        vocabulary: options.vocabulary.clone(),
        word_features: vocab.word_features() as u64,
        char_features: (vocab.len() - vocab.word_features()) as u64,
        learner: options.learner.clone(),
        nb_blend: options.nb_blend,
        validation_fraction: options.validation_fraction,
        review_recall_target: options.review_recall,
        block_precision_target: options.block_precision,
        rows: set.texts.len() as u64,
    };
    let mut model = Model::with_mixtures(vectorizer, linear_heads, outputs, mixtures, card);
    progress.stage("precomputing the lexicon");
    model.precompute_lexicon(&set.texts);
    Ok(model)
}

/// A trained head: classifier parts, card, and calibrated probabilities of the rows it was
/// asked to score from its hold-out fit.
type FittedHead = (LabelModel, LinearModel, LabelCard, Vec<f32>);

/// Completes a mixture label from its trained experts and gates: calibration, thresholds and
/// held-out metrics of the mixture on the label's held-out `rows`, written into the label's
/// head and card (which become the label's).
fn finish_mixture(
    set: &TrainingSet,
    plan: &MixturePlan,
    rows: &[u32],
    heads: &[HeadPlan],
    fitted: &mut [FittedHead],
    options: &TrainOptions,
) -> Result<Mixture> {
    let name = &set.labels[plan.label];
    let parts: Vec<usize> = plan.experts.iter().chain(&plan.gates).copied().collect();
    for &h in &parts {
        if fitted[h].3.len() != rows.len() {
            return Err(Error::Training(format!(
                "label '{name}' cannot be trained as source experts: its head '{}' has too few held-out rows of both classes ({}); train it pooled (drop it from source experts) or give more data",
                heads[h].name,
                fitted[h].2.notes.first().map_or("", String::as_str)
            )));
        }
    }
    let mut mixture = Mixture {
        label: plan.label as u32,
        experts: plan.experts.iter().map(|&h| h as u32).collect(),
        gates: plan.gates.iter().map(|&h| h as u32).collect(),
        calibration: Default::default(),
    };
    let mut probs = vec![0f32; fitted.len()];
    let margins: Vec<f32> = (0..rows.len())
        .map(|i| {
            for &h in &parts {
                probs[h] = fitted[h].3[i];
            }
            log_odds(mixture.raw_probability(&probs))
        })
        .collect();
    let targets = &set.targets[plan.label];
    let truth: Vec<bool> = rows
        .iter()
        .map(|&r| targets[r as usize] == Some(true))
        .collect();
    let mut notes = Vec::new();
    let (calibration, thresholds, metrics) =
        calibrate_and_threshold(name, &margins, &truth, options, &mut notes);
    mixture.calibration = calibration;
    let auc = |h: usize| {
        fitted[h]
            .2
            .validation
            .as_ref()
            .and_then(|m| m.roc_auc)
            .map_or("–".into(), |a| format!("{a:.4}"))
    };
    let experts = plan
        .experts
        .iter()
        .zip(&plan.sources)
        .map(|(&h, src)| {
            format!(
                "{src} ({} rows, held-out ROC AUC {})",
                fitted[h].2.rows,
                auc(h)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let gates = plan
        .gates
        .iter()
        .map(|&h| auc(h))
        .collect::<Vec<_>>()
        .join(", ");
    notes.insert(
        0,
        format!(
            "scored as a gated mixture of source experts, one classifier per input file trained on that file's rows alone: {experts}. The gate, which tells the files apart, has held-out ROC AUC {gates}. Review and block thresholds and the calibration are the mixture's, on the label's held-out rows; NB blend is the gate's"
        ),
    );
    let (head, _, card, _) = &mut fitted[plan.label];
    head.thresholds = thresholds;
    card.review_threshold = thresholds.review;
    card.block_threshold = thresholds.block;
    card.validation = metrics;
    card.rows = targets.iter().filter(|t| t.is_some()).count() as u64;
    card.positives = targets.iter().filter(|&&t| t == Some(true)).count() as u64;
    for n in card.notes.iter_mut() {
        *n = format!("the gate's {n}");
    }
    card.notes.splice(0..0, notes);
    Ok(mixture)
}

/// How the NB-scaled member of the blend scales each feature. Both are naive-Bayes ratios of
/// how strongly a feature goes with the positive class; they differ in how they smooth it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NbScaling {
    /// Wang and Manning's (2012) log-count ratio `ln((p/‖p‖₁)/(q/‖q‖₁))` with `p = 1 + positive
    /// rows with the feature`, `q = 1 + negative rows with the feature` (binarised). Rare
    /// features get large ratios, so it sharpens the model strongly.
    LogCount,
    /// The log ratio of the feature's smoothed mean value in either class,
    /// `ln(((1 + Σ₊ x)/(1 + n₊)) / ((1 + Σ₋ x)/(1 + n₋)))` (the NB-LR of the NB-SVM baselines
    /// on TF-IDF features), rescaled to a root mean square of 1 over the features so that it
    /// re-weights features against each other without changing the overall regularisation.
    /// A milder scaling than [`NbScaling::LogCount`].
    MeanValue,
}

impl NbScaling {
    /// The candidates tried when the blend is chosen automatically, in order of preference on
    /// ties.
    pub const ALL: [NbScaling; 2] = [NbScaling::LogCount, NbScaling::MeanValue];

    /// Words for the card.
    pub fn describe(self) -> &'static str {
        match self {
            NbScaling::LogCount => "log-count ratios",
            NbScaling::MeanValue => "mean-value ratios",
        }
    }
}

/// The per-feature scaling of `scaling` learnt from `rows`.
fn nb_ratios(
    x: &CsrMatrix,
    rows: &[u32],
    targets: &[Option<bool>],
    scaling: NbScaling,
) -> Vec<f32> {
    let mut p = vec![1f64; x.ncols()];
    let mut q = vec![1f64; x.ncols()];
    let (mut np, mut nq) = (0f64, 0f64);
    for &r in rows {
        let (side, n) = if targets[r as usize] == Some(true) {
            (&mut p, &mut np)
        } else {
            (&mut q, &mut nq)
        };
        *n += 1.0;
        let (idx, val) = x.row(r as usize);
        for (&j, &v) in idx.iter().zip(val) {
            side[j as usize] += match scaling {
                NbScaling::LogCount => f64::from(u8::from(v != 0.0)),
                NbScaling::MeanValue => f64::from(v),
            };
        }
    }
    match scaling {
        NbScaling::LogCount => {
            let (sp, sq): (f64, f64) = (p.iter().sum(), q.iter().sum());
            p.iter()
                .zip(&q)
                .map(|(a, b)| ((a / sp) / (b / sq)).ln() as f32)
                .collect()
        }
        NbScaling::MeanValue => {
            let ratios: Vec<f64> = p
                .iter()
                .zip(&q)
                .map(|(a, b)| ((a / (1.0 + np)) / (b / (1.0 + nq))).ln())
                .collect();
            let rms =
                (ratios.iter().map(|r| r * r).sum::<f64>() / ratios.len().max(1) as f64).sqrt();
            let scale = if rms > 0.0 { rms.recip() } else { 1.0 };
            ratios.iter().map(|r| (r * scale) as f32).collect()
        }
    }
}

/// The rows `rows` of `x` with every column `j` multiplied by `scale[j]`, as a matrix of their
/// own (row `i` is `rows[i]`).
fn scaled_rows(x: &CsrMatrix, rows: &[u32], scale: &[f32]) -> CsrMatrix {
    let nnz = rows.iter().map(|&r| x.row(r as usize).0.len()).sum();
    let mut m = CsrMatrix::with_capacity(x.ncols(), rows.len(), nnz);
    let mut row = SparseVec::default();
    for &r in rows {
        let (idx, val) = x.row(r as usize);
        row.clear();
        row.indices.extend_from_slice(idx);
        row.values
            .extend(idx.iter().zip(val).map(|(&j, &v)| v * scale[j as usize]));
        m.push(&row);
    }
    m
}

/// A plain logistic regression and the NB-scaled ones asked for, with the ratios folded into
/// their weights; all are linear in the same features.
struct Fitted {
    plain: LinearModel,
    nb: Vec<(NbScaling, LinearModel)>,
}

impl Fitted {
    /// The NB-scaled model of `scaling`.
    fn nb(&self, scaling: NbScaling) -> Option<&LinearModel> {
        self.nb.iter().find(|(s, _)| *s == scaling).map(|(_, m)| m)
    }

    /// The linear model `(1 − β) × plain + β × nb`.
    fn blend(&self, choice: BlendChoice) -> LinearModel {
        let Some(nb) = self.nb(choice.scaling).filter(|_| choice.beta > 0.0) else {
            return self.plain.clone();
        };
        if choice.beta >= 1.0 {
            return nb.clone();
        }
        let beta = choice.beta;
        let mix = |a: f32, b: f32| (1.0 - beta) * a + beta * b;
        LinearModel {
            weights: self
                .plain
                .weights
                .iter()
                .zip(&nb.weights)
                .map(|(&a, &b)| mix(a, b))
                .collect(),
            bias: mix(self.plain.bias, nb.bias),
            iterations: self.plain.iterations.max(nb.iterations),
        }
    }
}

/// A dataset of `records` and targets `y`, with per-row weights when given.
fn weighted_subset<R: linfa::dataset::Records>(
    records: R,
    y: &Array1<bool>,
    weights: Option<&Array1<f32>>,
) -> DatasetBase<R, Array1<bool>> {
    let d = DatasetBase::new(records, y.clone());
    match weights {
        Some(w) => d.with_weights(w.clone()),
        None => d,
    }
}

/// Per-row weights that give every input file carrying the label the same total weight for
/// it: a file with `k` of the label's `n` known rows, among `s` such files, weighs each row
/// `n / (s·k)`. `None` when only one file carries the label.
pub fn source_weights(set: &TrainingSet, targets: &[Option<bool>]) -> Option<Vec<f32>> {
    let mut spans = Vec::with_capacity(set.files.len());
    let mut start = 0usize;
    for f in &set.files {
        let end = start + f.rows as usize;
        let known = targets[start..end].iter().filter(|t| t.is_some()).count();
        spans.push((start, end, known));
        start = end;
    }
    let carrying = spans.iter().filter(|s| s.2 > 0).count();
    if carrying < 2 || start != targets.len() {
        return None;
    }
    let total: usize = spans.iter().map(|s| s.2).sum();
    let mut weights = vec![0f32; targets.len()];
    for &(a, b, known) in &spans {
        if known > 0 {
            let w = total as f64 / (carrying as f64 * known as f64);
            weights[a..b].fill(w as f32);
        }
    }
    Some(weights)
}

/// What every fit of one label learns from.
#[derive(Clone, Copy)]
struct LabelData<'a> {
    /// The vectorised rows (all of them; fits pick theirs).
    x: &'a CsrMatrix,
    /// Per row: `None` where the label is unknown.
    targets: &'a [Option<bool>],
    /// Per-row weights (source balancing), when used.
    weights: Option<&'a [f32]>,
    /// The label's IDF factors ([`label_idf_scale`]), when its IDF is its own.
    column_scale: Option<&'a [f32]>,
}

/// Fits the plain model (unless `plain` is false: a blend of weight 1 does not use it) and one
/// NB-scaled model per scaling in `scalings` on `rows`, in parallel. With the label's IDF
/// factors every model fits the columns scaled by them, folded back into its weights.
fn fit_members(
    data: LabelData<'_>,
    rows: &[u32],
    learner: &LogisticValidParams,
    scalings: &[NbScaling],
    plain: bool,
) -> Result<Fitted> {
    let LabelData {
        x,
        targets,
        weights,
        column_scale,
    } = data;
    let y: Array1<bool> = rows
        .iter()
        .map(|&r| targets[r as usize] == Some(true))
        .collect();
    let row_weights: Option<Array1<f32>> =
        weights.map(|w| rows.iter().map(|&r| w[r as usize]).collect());

    let (plain, nb) = rayon::join(
        || {
            if !plain {
                return Ok(LinearModel {
                    weights: Vec::new(),
                    bias: 0.0,
                    iterations: 0,
                });
            }
            if let Some(scale) = column_scale {
                return fit_scaled(x, rows, scale, &y, row_weights.as_ref(), learner);
            }
            learner.fit(&weighted_subset(
                RowSubset { matrix: x, rows },
                &y,
                row_weights.as_ref(),
            ))
        },
        || {
            scalings
                .par_iter()
                .map(|&scaling| -> Result<(NbScaling, LinearModel)> {
                    let mut ratios = nb_ratios(x, rows, targets, scaling);
                    if let Some(scale) = column_scale {
                        ratios.iter_mut().zip(scale).for_each(|(r, s)| *r *= s);
                    }
                    let m = fit_scaled(x, rows, &ratios, &y, row_weights.as_ref(), learner)?;
                    Ok((scaling, m))
                })
                .collect::<Result<Vec<_>>>()
        },
    );
    Ok(Fitted {
        plain: plain?,
        nb: nb?,
    })
}

/// A logistic regression fitted on `rows` with every column `j` scaled by `scale[j]`, the scale
/// folded into its weights so that it applies to the unscaled rows.
fn fit_scaled(
    x: &CsrMatrix,
    rows: &[u32],
    scale: &[f32],
    y: &Array1<bool>,
    row_weights: Option<&Array1<f32>>,
    learner: &LogisticValidParams,
) -> Result<LinearModel> {
    let scaled = weighted_subset(scaled_rows(x, rows, scale), y, row_weights);
    let mut m = learner.fit(&scaled)?;
    drop(scaled);
    for (w, s) in m.weights.iter_mut().zip(scale) {
        *w *= s;
    }
    Ok(m)
}

/// Blend weights tried when the blend is chosen automatically.
const BLEND_GRID: [f32; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

/// Labels with fewer rows choose their blend by cross-validation, where one held-out part is
/// too small to tell the candidates apart.
pub(crate) const CV_BELOW_ROWS: usize = 10_000;
const CV_FOLDS: u64 = 5;

/// Multiples of the configured C tried by the cross-validation that chooses the blend, in
/// order of preference on ties (the configured C first). Only labels below [`CV_BELOW_ROWS`]
/// choose C: on larger ones the held-out rows decide the blend, and the configured C is kept.
pub(crate) const C_GRID: [f64; 3] = [1.0, 0.5, 2.0];

/// Which NB-scaled model is blended into the plain one, and how much of it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct BlendChoice {
    scaling: NbScaling,
    beta: f32,
}

/// Margins of the plain and the NB-scaled models on the same rows, with the truth.
#[derive(Default)]
struct MemberMargins {
    plain: Vec<f32>,
    nb: Vec<(NbScaling, Vec<f32>)>,
    truth: Vec<bool>,
}

impl MemberMargins {
    fn of(fitted: &Fitted, x: &CsrMatrix, rows: &[u32], targets: &[Option<bool>]) -> Self {
        let margins = |m: &LinearModel| -> Vec<f32> {
            rows.iter()
                .map(|&r| {
                    let (idx, val) = x.row(r as usize);
                    m.margin(idx, val)
                })
                .collect()
        };
        MemberMargins {
            plain: margins(&fitted.plain),
            nb: fitted.nb.iter().map(|(s, m)| (*s, margins(m))).collect(),
            truth: rows
                .iter()
                .map(|&r| targets[r as usize] == Some(true))
                .collect(),
        }
    }

    fn append(&mut self, other: MemberMargins) {
        self.plain.extend(other.plain);
        self.truth.extend(other.truth);
        for (s, m) in other.nb {
            match self.nb.iter_mut().find(|(t, _)| *t == s) {
                Some((_, mine)) => mine.extend(m),
                None => self.nb.push((s, m)),
            }
        }
    }

    /// The margins of a blend.
    fn blended(&self, choice: BlendChoice) -> Vec<f32> {
        match self.nb.iter().find(|(s, _)| *s == choice.scaling) {
            Some((_, nb)) if choice.beta > 0.0 => self
                .plain
                .iter()
                .zip(nb)
                .map(|(&a, &b)| (1.0 - choice.beta) * a + choice.beta * b)
                .collect(),
            _ => self.plain.clone(),
        }
    }

    /// The scaling and blend weight with the best ROC AUC, with that AUC; on ties the earlier
    /// scaling and the smaller weight (β = 0, the plain model alone, first).
    fn choose(&self, fallback: BlendChoice) -> (BlendChoice, Option<f64>) {
        let mut best = (fallback, None::<f64>);
        for &(scaling, _) in &self.nb {
            for beta in BLEND_GRID {
                let choice = BlendChoice { scaling, beta };
                let Some(auc) = roc_auc(&self.blended(choice), &self.truth) else {
                    continue;
                };
                if best.1.is_none_or(|b| auc > b + 1e-9) {
                    best = (choice, Some(auc));
                }
            }
        }
        best
    }
}

/// Out-of-fold margins of the plain and NB-scaled models over `rows` (5 folds by row hash), one
/// set per learner in `learners` (the same folds for all of them).
fn out_of_fold_margins(
    data: LabelData<'_>,
    rows: &[u32],
    learners: &[LogisticValidParams],
    seed: u64,
    scalings: &[NbScaling],
) -> Result<Vec<MemberMargins>> {
    let (x, targets) = (data.x, data.targets);
    let fold_of = |r: u32| xxhash_rust::xxh3::xxh3_64_with_seed(&r.to_le_bytes(), seed) % CV_FOLDS;
    let folds: Vec<(Vec<u32>, Vec<u32>)> = (0..CV_FOLDS)
        .map(|k| rows.iter().partition(|&&r| fold_of(r) != k))
        .filter(|(train, test): &(Vec<u32>, Vec<u32>)| {
            let pos = train
                .iter()
                .filter(|&&r| targets[r as usize] == Some(true))
                .count();
            !test.is_empty() && pos > 0 && pos < train.len()
        })
        .collect();
    // Every (learner, fold) pair is one task, so all of them share the threads.
    let tasks: Vec<(usize, usize)> = (0..learners.len())
        .flat_map(|l| (0..folds.len()).map(move |f| (l, f)))
        .collect();
    let parts: Vec<MemberMargins> = tasks
        .par_iter()
        .map(|&(l, f)| -> Result<_> {
            let (train, test) = &folds[f];
            let fitted = fit_members(data, train, &learners[l], scalings, true)?;
            Ok(MemberMargins::of(&fitted, x, test, targets))
        })
        .collect::<Result<_>>()?;
    let mut all: Vec<MemberMargins> = learners.iter().map(|_| MemberMargins::default()).collect();
    for (&(l, _), part) in tasks.iter().zip(parts) {
        all[l].append(part);
    }
    Ok(all)
}

/// The configured learner with C scaled by each factor of [`C_GRID`].
fn c_candidates(learner: &LogisticValidParams) -> Vec<LogisticValidParams> {
    C_GRID
        .iter()
        .map(|f| LogisticValidParams {
            c: learner.c * f,
            ..learner.clone()
        })
        .collect()
}

/// The C (index into `per_c`, the out-of-fold margins of each candidate C) and the blend with
/// the best ROC AUC, with that AUC; on ties the earlier C, then the blend that
/// [`MemberMargins::choose`] prefers. `None` when no AUC could be computed.
fn choose_c_and_blend(
    per_c: &[MemberMargins],
    fallback: BlendChoice,
) -> Option<(usize, BlendChoice, f64)> {
    let mut best: Option<(usize, BlendChoice, f64)> = None;
    for (i, margins) in per_c.iter().enumerate() {
        let (choice, Some(auc)) = margins.choose(fallback) else {
            continue;
        };
        if best.is_none_or(|(_, _, b)| auc > b + 1e-9) {
            best = Some((i, choice, auc));
        }
    }
    best
}

/// Platt calibration, review and block thresholds and metrics from held-out margins.
fn calibrate_and_threshold(
    name: &str,
    margins: &[f32],
    truth: &[bool],
    options: &TrainOptions,
    notes: &mut Vec<String>,
) -> (Calibration, Thresholds, Option<LabelMetrics>) {
    let calibration = Calibration::fit(margins, truth).unwrap_or_else(|e| {
        notes.push(format!("{e}; using the plain logistic function"));
        Calibration::default()
    });
    let probs: Vec<f32> = margins
        .iter()
        .map(|&m| calibration.probability(m))
        .collect();
    // The lower of the recall-target cut and the best-F1 cut: recall is at least the target,
    // and more when that costs little precision.
    let best_f1 = best_f1_threshold(&probs, truth).map(|(t, _)| t);
    let review = match (
        recall_threshold(&probs, truth, options.review_recall),
        best_f1,
    ) {
        (Some(r), Some(f)) => r.min(f),
        (r, f) => r.or(f).unwrap_or(0.5),
    };
    let block =
        precision_threshold(&probs, truth, options.block_precision, 5).map(|b| b.max(review));
    let thresholds = Thresholds { review, block };
    let metrics = Some(evaluate(name, &probs, truth, review));
    (calibration, thresholds, metrics)
}

/// What the held-out rows decided for one label.
struct HeldOutChoice {
    blend: BlendChoice,
    /// The learner with the C chosen (the configured one unless cross-validation chose).
    learner: LogisticValidParams,
    calibration: Calibration,
    thresholds: Thresholds,
    metrics: Option<LabelMetrics>,
    notes: Vec<String>,
    /// Calibrated probabilities of the rows asked for.
    eval: Vec<f32>,
}

/// Trains one head on the rows where its targets are known; also returns the calibrated
/// probabilities that its hold-out fit gives `eval_rows` (empty when the held-out part
/// cannot calibrate).
fn train_label(
    data: LabelData<'_>,
    name: &str,
    held: &[bool],
    eval_rows: &[u32],
    options: &TrainOptions,
) -> Result<FittedHead> {
    let LabelData {
        x,
        targets,
        weights,
        column_scale,
    } = data;
    let known: Vec<u32> = (0..targets.len() as u32)
        .filter(|&r| targets[r as usize].is_some())
        .collect();
    let positives = known
        .iter()
        .filter(|&&r| targets[r as usize] == Some(true))
        .count();
    if positives == 0 || positives == known.len() {
        return Err(Error::Training(format!(
            "label '{name}' has {positives} positive rows out of {}: it needs both classes",
            known.len()
        )));
    }
    let (fit_part, held_part): (Vec<u32>, Vec<u32>) =
        known.iter().partition(|&&r| !held[r as usize]);
    let truth: Vec<bool> = held_part
        .iter()
        .map(|&r| targets[r as usize] == Some(true))
        .collect();
    let held_pos = truth.iter().filter(|&&t| t).count();
    let fit_pos = fit_part
        .iter()
        .filter(|&&r| targets[r as usize] == Some(true))
        .count();
    let usable = held_pos >= 2 && held_pos < truth.len() && fit_pos > 0 && fit_pos < fit_part.len();
    let fixed = match options.nb_blend {
        NbBlend::Off => 0.0,
        NbBlend::Auto => 0.5,
        NbBlend::Fixed(b) => b,
    };
    let default_choice = BlendChoice {
        scaling: NbScaling::LogCount,
        beta: fixed,
    };
    // The NB-scaled models the held-out and cross-validation fits need.
    let candidates: &[NbScaling] = match options.nb_blend {
        NbBlend::Off => &[],
        NbBlend::Auto => &NbScaling::ALL,
        NbBlend::Fixed(_) => &[NbScaling::LogCount],
    };

    let holdout = || -> Result<HeldOutChoice> {
        let mut notes = Vec::new();
        if !usable {
            notes.push(format!(
                "only {held_pos} positive of {} held-out rows: calibration and thresholds are defaults (plain logistic, flag at 0.5, no block)",
                truth.len()
            ));
            return Ok(HeldOutChoice {
                blend: default_choice,
                learner: options.learner.clone(),
                calibration: Calibration::default(),
                thresholds: Thresholds::default(),
                metrics: None,
                notes,
                eval: Vec::new(),
            });
        }
        // `c` names the chosen C and `per_c` the best AUC at each candidate C, when C was chosen.
        let note = |choice: BlendChoice, auc: f64, plain: f64, by: &str, c: &str, per_c: &str| {
            if choice.beta > 0.0 {
                format!(
                    "NB blend: {:.2} of the model on features scaled by {}{c}, chosen by ROC AUC on {by} ({auc:.4}; plain logistic regression {plain:.4}{per_c})",
                    choice.beta,
                    choice.scaling.describe(),
                )
            } else {
                format!("NB blend: none{c}, chosen by ROC AUC on {by} (plain logistic regression {plain:.4}{per_c})")
            }
        };
        // Small labels choose C and the blend together by cross-validation; the hold-out fit
        // for calibration then uses the chosen C.
        let (blend, learner) = match options.nb_blend {
            NbBlend::Auto if known.len() < CV_BELOW_ROWS => {
                let by = format!("{CV_FOLDS}-fold cross-validation");
                let learners = c_candidates(&options.learner);
                let oof =
                    out_of_fold_margins(data, &known, &learners, options.learner.seed, candidates)?;
                match choose_c_and_blend(&oof, default_choice) {
                    Some((i, choice, auc)) => {
                        let plain = roc_auc(&oof[i].plain, &oof[i].truth).unwrap_or(f64::NAN);
                        let c = format!(
                            ", and C = {} ({} × the configured {})",
                            learners[i].c, C_GRID[i], options.learner.c
                        );
                        let per_c = C_GRID
                            .iter()
                            .zip(&oof)
                            .map(|(f, m)| {
                                let best = m.choose(default_choice).1.unwrap_or(f64::NAN);
                                format!("{f} × C {best:.4}")
                            })
                            .collect::<Vec<_>>()
                            .join(", ");
                        let per_c = format!("; best blend at {per_c}");
                        notes.push(note(choice, auc, plain, &by, &c, &per_c));
                        (choice, learners[i].clone())
                    }
                    None => (default_choice, options.learner.clone()),
                }
            }
            _ => (default_choice, options.learner.clone()),
        };
        let fitted = fit_members(data, &fit_part, &learner, candidates, true)?;
        let held_margins = MemberMargins::of(&fitted, x, &held_part, targets);
        let blend = match options.nb_blend {
            NbBlend::Auto if known.len() >= CV_BELOW_ROWS => {
                let (choice, auc) = held_margins.choose(default_choice);
                if let Some(auc) = auc {
                    let plain =
                        roc_auc(&held_margins.plain, &held_margins.truth).unwrap_or(f64::NAN);
                    notes.push(note(choice, auc, plain, "the held-out rows", "", ""));
                }
                choice
            }
            _ => blend,
        };
        let margins = held_margins.blended(blend);
        let (calibration, thresholds, metrics) =
            calibrate_and_threshold(name, &margins, &truth, options, &mut notes);
        let eval = MemberMargins::of(&fitted, x, eval_rows, targets)
            .blended(blend)
            .iter()
            .map(|&m| calibration.probability(m))
            .collect();
        Ok(HeldOutChoice {
            blend,
            learner,
            calibration,
            thresholds,
            metrics,
            notes,
            eval,
        })
    };
    let choice = holdout()?;
    let final_scalings: &[NbScaling] = if choice.blend.beta > 0.0 && !candidates.is_empty() {
        std::slice::from_ref(&choice.blend.scaling)
    } else {
        &[]
    };
    let needs_plain = final_scalings.is_empty() || choice.blend.beta < 1.0;
    let final_fit = fit_members(data, &known, &choice.learner, final_scalings, needs_plain)?
        .blend(choice.blend);
    let card = LabelCard {
        name: name.to_string(),
        rows: known.len() as u64,
        positives: positives as u64,
        review_threshold: choice.thresholds.review,
        block_threshold: choice.thresholds.block,
        validation: choice.metrics,
        solver_passes: final_fit.iterations,
        nb_blend: if final_scalings.is_empty() {
            0.0
        } else {
            choice.blend.beta
        },
        notes: {
            let mut notes = choice.notes;
            if column_scale.is_some() {
                notes.push(format!(
                    "features weighed by their IDF over the {} rows that carry this label (of {} in all), folded into its weights",
                    known.len(),
                    targets.len()
                ));
            }
            if let Some(w) = weights {
                let mut per_file: Vec<f32> = known.iter().map(|&r| w[r as usize]).collect();
                per_file.sort_unstable_by(f32::total_cmp);
                per_file.dedup();
                notes.push(format!(
                    "rows weighted so that each of the {} input files carrying this label has the same total weight (row weights {})",
                    per_file.len(),
                    per_file.iter().map(|x| format!("{x:.2}")).collect::<Vec<_>>().join(", ")
                ));
            }
            notes
        },
    };
    let head = LabelModel {
        name: name.to_string(),
        bias: final_fit.bias,
        calibration: choice.calibration,
        thresholds: choice.thresholds,
    };
    Ok((head, final_fit, card, choice.eval))
}

/// One label's streaming fits: the final one on all its rows and, when the held-out part can
/// calibrate, one on the rows outside it.
struct LabelStream {
    label: usize,
    known: usize,
    positives: usize,
    usable_note: Option<String>,
    final_fit: BlockDual,
    holdout_fit: Option<BlockDual>,
}

/// Per-thread buffers for vectorising chunks; indexed by rayon's thread index.
struct Scratches(Vec<Mutex<(VectorizerScratch, SparseVec)>>);

impl Scratches {
    fn new() -> Self {
        Scratches(
            (0..rayon::current_num_threads().max(1))
                .map(|_| Mutex::new(Default::default()))
                .collect(),
        )
    }

    /// Vectorises the texts of `rows`, in parallel, into a matrix in the same order.
    fn vectorize(&self, vectorizer: &Vectorizer, texts: &[String], rows: &[u32]) -> CsrMatrix {
        let parts: Vec<CsrMatrix> = rows
            .par_chunks(256)
            .map(|part| {
                let slot = rayon::current_thread_index().unwrap_or(0) % self.0.len();
                // A poisoned lock only means another thread panicked; its buffers are reusable.
                let mut guard = self.0[slot].lock().unwrap_or_else(|e| e.into_inner());
                let (scratch, row) = &mut *guard;
                let mut m = CsrMatrix::new(vectorizer.nfeatures());
                for &r in part {
                    vectorizer.vectorize(&texts[r as usize], scratch, row);
                    m.push(row);
                }
                m
            })
            .collect();
        let mut all = CsrMatrix::new(vectorizer.nfeatures());
        for p in &parts {
            all.append(p);
        }
        all
    }
}

/// Trains every label with the streaming learner: each epoch visits the rows in a new random
/// order, vectorising `plan.chunk_rows` of them at a time (the next chunk while the learners
/// update on the current one), so no more than two chunks of vectorised rows exist at once.
/// Held-out margins are then computed by streaming the held-out rows once more.
fn train_streaming(
    set: &TrainingSet,
    vectorizer: &Vectorizer,
    held: &[bool],
    options: &TrainOptions,
    plan: &MemoryPlan,
    progress: &dyn Progress,
) -> Result<Vec<(LabelModel, LinearModel, LabelCard)>> {
    let n = set.texts.len();
    let d = vectorizer.nfeatures();
    let p = &options.learner;
    let epochs = options.streaming.epochs.max(1);
    let mut streams = Vec::new();
    for (label, (name, targets)) in set.labels.iter().zip(&set.targets).enumerate() {
        let known = targets.iter().filter(|t| t.is_some()).count();
        let positives = targets.iter().filter(|&&t| t == Some(true)).count();
        if positives == 0 || positives == known {
            return Err(Error::Training(format!(
                "label '{name}' has {positives} positive rows out of {known}: it needs both classes"
            )));
        }
        let (mut fit_rows, mut fit_pos, mut held_rows, mut held_pos) = (0, 0, 0, 0);
        for (t, &h) in targets.iter().zip(held) {
            if let Some(y) = t {
                if h {
                    held_rows += 1;
                    held_pos += usize::from(*y);
                } else {
                    fit_rows += 1;
                    fit_pos += usize::from(*y);
                }
            }
        }
        let usable = held_pos >= 2 && held_pos < held_rows && fit_pos > 0 && fit_pos < fit_rows;
        let new_fit = |rows, pos| BlockDual::new(d, n, rows, pos, p);
        streams.push(LabelStream {
            label,
            known,
            positives,
            usable_note: (!usable).then(|| format!(
                "only {held_pos} positive of {held_rows} held-out rows: calibration and thresholds are defaults (plain logistic, flag at 0.5, no block)"
            )),
            final_fit: new_fit(known, positives),
            holdout_fit: usable.then(|| new_fit(fit_rows, fit_pos)),
        });
    }
    let scratches = Scratches::new();
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut rng = crate::rng::SplitMix(p.seed);
    let chunk = plan.chunk_rows.max(1);
    let passes = options.streaming.block_passes.max(1);
    for epoch in 0..epochs {
        progress.stage(&format!(
            "streaming epoch {} of at most {epochs}",
            epoch + 1
        ));
        crate::interrupt::check()?;
        for k in (1..order.len()).rev() {
            order.swap(k, rng.below(k + 1));
        }
        let chunks: Vec<&[u32]> = order.chunks(chunk).collect();
        let mut current = scratches.vectorize(vectorizer, &set.texts, chunks[0]);
        for (c, rows) in chunks.iter().enumerate() {
            crate::interrupt::check()?;
            let (next, ()) = rayon::join(
                || {
                    chunks
                        .get(c + 1)
                        .map(|next| scratches.vectorize(vectorizer, &set.texts, next))
                },
                || {
                    let x = &current;
                    streams
                        .par_iter_mut()
                        .flat_map_iter(|s| {
                            let targets = &set.targets[s.label];
                            std::iter::once((&mut s.final_fit, false, targets))
                                .chain(s.holdout_fit.as_mut().map(|h| (h, true, targets)))
                        })
                        .for_each(|(fit, holdout, targets)| {
                            for _ in 0..passes {
                                for (i, &r) in rows.iter().enumerate() {
                                    let r = r as usize;
                                    if holdout && held[r] {
                                        continue;
                                    }
                                    if let Some(y) = targets[r] {
                                        let (idx, val) = x.row(i);
                                        fit.visit(r, y, idx, val);
                                    }
                                }
                            }
                        });
                },
            );
            if let Some(next) = next {
                current = next;
            }
        }
        let mut converged = true;
        for s in &mut streams {
            converged &= s.final_fit.end_epoch() < p.tolerance;
            if let Some(h) = &mut s.holdout_fit {
                converged &= h.end_epoch() < p.tolerance;
            }
        }
        if converged {
            break;
        }
    }
    drop(order);
    // Held-out margins, streamed.
    progress.stage("held-out margins");
    let holdouts: Vec<Option<LinearModel>> = streams
        .iter_mut()
        .map(|s| s.holdout_fit.take().map(BlockDual::finish))
        .collect();
    let held_rows: Vec<u32> = (0..n as u32).filter(|&r| held[r as usize]).collect();
    let mut margins: Vec<(Vec<f32>, Vec<bool>)> = vec![Default::default(); streams.len()];
    for rows in held_rows.chunks(chunk) {
        crate::interrupt::check()?;
        let x = scratches.vectorize(vectorizer, &set.texts, rows);
        for ((s, model), (m, truth)) in streams.iter().zip(&holdouts).zip(&mut margins) {
            let Some(model) = model else { continue };
            for (i, &r) in rows.iter().enumerate() {
                if let Some(y) = set.targets[s.label][r as usize] {
                    let (idx, val) = x.row(i);
                    m.push(model.margin(idx, val));
                    truth.push(y);
                }
            }
        }
    }
    let mut out = Vec::new();
    for (s, (m, truth)) in streams.into_iter().zip(margins) {
        let name = &set.labels[s.label];
        let mut notes = vec![format!(
            "{STREAMING_NOTE} the vectorised rows ({}) did not fit the memory limit ({}), so the same dual coordinate descent ran by block minimisation: rows re-vectorised {} at a time, {passes} passes over each block, {} epochs (at most {epochs}); NB blend off",
            format_size(plan.matrix),
            format_size(plan.limit),
            plan.chunk_rows,
            s.final_fit.epochs()
        )];
        let (calibration, thresholds, metrics) = match s.usable_note {
            Some(note) => {
                notes.push(note);
                (Calibration::default(), Thresholds::default(), None)
            }
            None => calibrate_and_threshold(name, &m, &truth, options, &mut notes),
        };
        let final_fit = s.final_fit.finish();
        let card = LabelCard {
            name: name.clone(),
            rows: s.known as u64,
            positives: s.positives as u64,
            review_threshold: thresholds.review,
            block_threshold: thresholds.block,
            validation: metrics,
            solver_passes: final_fit.iterations,
            nb_blend: 0.0,
            notes,
        };
        let head = LabelModel {
            name: name.clone(),
            bias: final_fit.bias,
            calibration,
            thresholds,
        };
        out.push((head, final_fit, card));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::LabelledSpec;

    fn comments() -> TrainingSet {
        let spec = LabelledSpec::parse(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/training-data/comments.csv"
        ))
        .expect("spec");
        TrainingSet::read(&[spec], None, None).expect("training-data/comments.csv reads")
    }

    #[test]
    fn a_roomy_limit_trains_exactly_and_a_tiny_one_streams() {
        let set = comments();
        let roomy = TrainOptions {
            memory_limit: Some(1 << 40),
            ..TrainOptions::default()
        };
        let exact = train(&set, &roomy, &NoProgress).expect("exact training");
        let default = train(&set, &TrainOptions::default(), &NoProgress).expect("default");
        assert_eq!(
            crate::model::file::to_bytes(&exact).ok(),
            crate::model::file::to_bytes(&default).ok(),
            "a small corpus trains exactly as without a limit"
        );
        let streaming_note = |m: &Model| {
            m.card()
                .labels
                .iter()
                .all(|l| l.notes.iter().any(|n| n.starts_with(STREAMING_NOTE)))
        };
        assert!(!streaming_note(&exact));

        let tiny = TrainOptions {
            memory_limit: Some(64 * 1024),
            ..TrainOptions::default()
        };
        let analyzer = Analyzer::new(tiny.analyzer.clone());
        let freqs = DocumentFrequencies::count(&analyzer, &set.texts);
        let vectorizer = Vectorizer::new(analyzer, Vocabulary::select(&freqs, &tiny.vocabulary));
        let plan = MemoryPlan::estimate(&set, &vectorizer, &tiny, 64 * 1024);
        assert_eq!(plan.learner, LearnerKind::Streaming);
        assert!(plan.mean_nnz > 10.0);

        let streamed = train(&set, &tiny, &NoProgress).expect("streaming training");
        assert!(streaming_note(&streamed));
        assert!(streamed.card().to_markdown("m").contains("streaming"));
        for l in &streamed.card().labels {
            assert_eq!(l.nb_blend, 0.0);
            if let Some(v) = &l.validation {
                assert!(
                    v.roc_auc.unwrap_or(0.0) > 0.6,
                    "{}: {:?}",
                    l.name,
                    v.roc_auc
                );
            }
        }
        // Both models rank an obvious insult above a friendly comment.
        let mut scratch = crate::model::ScoreScratch::default();
        for m in [&exact, &streamed] {
            let bad = m.score("you are a stupid idiot, shut up", &mut scratch, 0);
            let good = m.score("thanks, this was a helpful article", &mut scratch, 0);
            assert!(bad.probabilities[0] > good.probabilities[0]);
        }
    }

    #[test]
    fn source_experts_make_a_mixture_that_scores_alike_on_both_paths_and_after_saving() {
        let mut set = comments();
        // The one file as two sources: its first half and the rest.
        let mut second = set.files[0].clone();
        let half = set.files[0].rows / 2;
        second.path = "second.csv".into();
        second.rows -= half;
        set.files[0].rows = half;
        set.files.push(second);
        let options = TrainOptions {
            source_experts: vec!["toxic".into()],
            ..TrainOptions::default()
        };
        let model = train(&set, &options, &NoProgress).expect("trains");
        assert_eq!(model.label_names(), ["toxic", "spam"]);
        assert_eq!(model.heads().len(), 4, "gate, spam and two experts");
        let mix = &model.mixtures()[0];
        assert_eq!(
            (mix.label, &mix.experts[..], &mix.gates[..]),
            (0, &[2, 3][..], &[0][..])
        );
        let card = &model.card().labels[0];
        assert!(card.notes[0].contains("gated mixture"), "{:?}", card.notes);
        assert_eq!(card.rows, set.texts.len() as u64);
        assert_eq!(
            model.card().labels.len(),
            2,
            "experts are not labels of the card"
        );

        let loaded = crate::model::file::from_bytes(
            &crate::model::file::to_bytes(&model).expect("encodes"),
            std::path::Path::new("m.model"),
        )
        .expect("decodes");
        let mut scratch = crate::model::ScoreScratch::default();
        let texts = [
            "you are a stupid idiot, shut up",
            "thanks, this was a helpful article",
            "check out my channel for free giveaways",
        ];
        for t in texts {
            let (mut fast, mut plain, mut again) = (Vec::new(), Vec::new(), Vec::new());
            model.probabilities(t, &mut scratch, &mut fast);
            model.probabilities_plain(t, &mut scratch, &mut plain);
            loaded.probabilities(t, &mut scratch, &mut again);
            assert_eq!(fast, again, "{t}");
            for (a, b) in fast.iter().zip(&plain) {
                assert!((a - b).abs() < 1e-4, "{t}: {fast:?} {plain:?}");
            }
        }
        let bad = model.explain(texts[0], &mut scratch, 3);
        let good = model.score(texts[1], &mut scratch, 0);
        assert!(bad.probabilities[0] > good.probabilities[0]);
        let words: Vec<&str> = bad.explanations[0]
            .tokens
            .iter()
            .map(|t| t.text.as_str())
            .collect();
        assert!(
            words.iter().any(|w| ["stupid", "idiot"].contains(w)),
            "{words:?}"
        );
    }

    #[test]
    fn idf_per_label_changes_only_the_labels_some_files_lack() {
        let mut set = comments();
        // The first half of the rows comes from a file without the spam column.
        let half = set.texts.len() / 2;
        set.targets[1][..half].fill(None);
        let spam_rows = set.texts.len() - half;
        let own = train(&set, &TrainOptions::default(), &NoProgress).expect("trains");
        let shared_options = TrainOptions {
            label_idf: false,
            ..TrainOptions::default()
        };
        let shared = train(&set, &shared_options, &NoProgress).expect("trains");
        assert_eq!(own.label_names(), ["toxic", "spam"]);
        let idf_note = |m: &Model, label: usize| {
            m.card().labels[label]
                .notes
                .iter()
                .any(|n| n.contains(&format!("IDF over the {spam_rows} rows")))
        };
        assert!(idf_note(&own, 1), "{:?}", own.card().labels[1].notes);
        assert!(!idf_note(&own, 0) && !idf_note(&shared, 1));

        let mut scratch = crate::model::ScoreScratch::default();
        let mut spam_differs = false;
        for t in [
            "you are a stupid idiot, shut up",
            "thanks, this was a helpful article",
            "check out my channel for free giveaways",
            "win a free prize now, click the link",
        ] {
            let (mut a, mut b, mut plain) = (Vec::new(), Vec::new(), Vec::new());
            own.probabilities(t, &mut scratch, &mut a);
            shared.probabilities(t, &mut scratch, &mut b);
            assert_eq!(
                a[0], b[0],
                "toxic, known on every row, is the same model: {t}"
            );
            spam_differs |= a[1] != b[1];
            // The factors are folded into the weights: every scoring path agrees.
            own.probabilities_plain(t, &mut scratch, &mut plain);
            for (x, y) in a.iter().zip(&plain) {
                assert!((x - y).abs() < 1e-4, "{t}: {a:?} {plain:?}");
            }
        }
        assert!(spam_differs, "spam learns with its own IDF");
        let spam = own.score("check out my channel for free giveaways", &mut scratch, 0);
        let clean = own.score("thanks, this was a helpful article", &mut scratch, 0);
        assert!(spam.probabilities[1] > clean.probabilities[1]);
    }

    #[test]
    fn source_weights_give_each_file_carrying_a_label_the_same_total() {
        let file = |rows: u64| crate::model::card::TrainingFile {
            path: format!("{rows}.csv"),
            sha256: String::new(),
            rows,
            rejected: 0,
            labels: Vec::new(),
        };
        let set = TrainingSet {
            texts: vec![String::new(); 6],
            files: vec![file(1), file(3), file(2)],
            ..Default::default()
        };
        // File 1 (one row) and file 2 (three rows) carry the label; file 3 does not.
        let targets = [Some(true), Some(false), Some(true), None, None, None];
        let w = source_weights(&set, &targets).unwrap();
        // 3 known rows, 2 files: the one-row file weighs 1.5, each known row of the other 0.75.
        assert_eq!(w[0], 1.5);
        assert_eq!(&w[1..4], &[0.75, 0.75, 0.75]);
        let total = |range: std::ops::Range<usize>| -> f32 {
            range.filter(|&r| targets[r].is_some()).map(|r| w[r]).sum()
        };
        assert_eq!(total(0..1), total(1..4));
        // One file carrying the label: no weights.
        let only_first = [Some(true), None, None, None, None, None];
        assert!(source_weights(&set, &only_first).is_none());
    }

    #[test]
    fn nb_ratios_favour_features_of_the_positive_class() {
        // Columns: 0 only in positives, 1 only in negatives, 2 in both, 3 nowhere.
        let x = CsrMatrix::from_dense(&[
            vec![0.5, 0.0, 0.5, 0.0],
            vec![0.8, 0.0, 0.2, 0.0],
            vec![0.0, 0.6, 0.4, 0.0],
            vec![0.0, 0.9, 0.1, 0.0],
            vec![0.0, 0.3, 0.7, 0.0],
        ]);
        let targets = [
            Some(true),
            Some(true),
            Some(false),
            Some(false),
            Some(false),
        ];
        let rows = [0, 1, 2, 3, 4];
        for scaling in NbScaling::ALL {
            let r = nb_ratios(&x, &rows, &targets, scaling);
            assert!(r[0] > r[2] && r[2] > r[1], "{scaling:?}: {r:?}");
        }
        // Log-count: ln((p/‖p‖₁)/(q/‖q‖₁)) on binarised counts, p = 1 + [2, 0, 2, 0], q = 1 + [0, 3, 3, 0].
        let r = nb_ratios(&x, &rows, &targets, NbScaling::LogCount);
        let expect = ((3.0f64 / 8.0) / (1.0 / 10.0)).ln() as f32;
        assert!((r[0] - expect).abs() < 1e-6, "{} vs {expect}", r[0]);
        // Mean value: ln(((1 + Σ₊x)/(1 + n₊)) / ((1 + Σ₋x)/(1 + n₋))), scaled to RMS 1.
        let r = nb_ratios(&x, &rows, &targets, NbScaling::MeanValue);
        let raw = [
            ((2.3f64 / 3.0) / (1.0 / 4.0)).ln(),
            ((1.0f64 / 3.0) / (2.8 / 4.0)).ln(),
            ((1.7f64 / 3.0) / (2.2 / 4.0)).ln(),
            ((1.0f64 / 3.0) / (1.0 / 4.0)).ln(),
        ];
        let rms = (raw.iter().map(|v| v * v).sum::<f64>() / 4.0).sqrt();
        for (got, want) in r.iter().zip(raw) {
            assert!((f64::from(*got) - want / rms).abs() < 1e-5, "{r:?}");
        }
        let mean_square = r.iter().map(|v| v * v).sum::<f32>() / 4.0;
        assert!((mean_square - 1.0).abs() < 1e-5);
    }

    #[test]
    fn scaled_rows_are_the_chosen_rows_column_scaled() {
        let x = CsrMatrix::from_dense(&[
            vec![1.0, 0.0, 2.0],
            vec![0.0, 3.0, 0.0],
            vec![4.0, 5.0, 6.0],
        ]);
        let scale = [2.0, -1.0, 0.5];
        let all = x.scale_columns(&scale);
        let picked = scaled_rows(&x, &[2, 0], &scale);
        assert_eq!(picked.nrows(), 2);
        assert_eq!(picked.row(0), all.row(2));
        assert_eq!(picked.row(1), all.row(0));
    }

    #[test]
    fn the_blend_choice_takes_the_best_member_and_prefers_less_on_ties() {
        let truth = vec![false, false, true, true];
        let fallback = BlendChoice {
            scaling: NbScaling::LogCount,
            beta: 0.5,
        };
        // The plain model ranks one pair wrongly, the mean-value model none; blends of a quarter
        // of it or more rank every pair right, so the smallest such weight wins.
        let margins = MemberMargins {
            plain: vec![-1.0, 0.5, 0.2, 1.0],
            nb: vec![
                (NbScaling::LogCount, vec![-1.0, 0.5, 0.2, 1.0]),
                (NbScaling::MeanValue, vec![-1.0, -0.5, 0.5, 1.0]),
            ],
            truth: truth.clone(),
        };
        let (choice, auc) = margins.choose(fallback);
        assert_eq!(choice.scaling, NbScaling::MeanValue);
        assert_eq!(choice.beta, 0.25);
        assert_eq!(auc, Some(1.0));
        // All equal: the plain model alone (the first candidate, β = 0).
        let tied = MemberMargins {
            plain: vec![-1.0, -0.5, 0.5, 1.0],
            nb: vec![
                (NbScaling::LogCount, vec![-1.0, -0.5, 0.5, 1.0]),
                (NbScaling::MeanValue, vec![-1.0, -0.5, 0.5, 1.0]),
            ],
            truth,
        };
        let (choice, _) = tied.choose(fallback);
        assert_eq!(choice.beta, 0.0);
        assert_eq!(tied.blended(choice), tied.plain);
        // Nothing to choose from: the fallback.
        assert_eq!(MemberMargins::default().choose(fallback), (fallback, None));
    }

    #[test]
    fn c_is_chosen_with_the_blend_by_the_best_auc_and_the_configured_c_wins_ties() {
        let fallback = BlendChoice {
            scaling: NbScaling::LogCount,
            beta: 0.5,
        };
        let truth = vec![false, false, true, true];
        let at = |plain: Vec<f32>, nb: Vec<f32>| MemberMargins {
            plain,
            nb: vec![(NbScaling::LogCount, nb)],
            truth: truth.clone(),
        };
        // At the configured C (index 0) one pair is ranked wrongly by every blend; at 2 × C
        // (index 2) the NB model ranks all pairs right.
        let wrong = vec![-1.0, 0.5, 0.2, 1.0];
        let per_c = vec![
            at(wrong.clone(), wrong.clone()),
            at(wrong.clone(), wrong.clone()),
            at(wrong.clone(), vec![-1.0, -0.5, 0.5, 1.0]),
        ];
        let (i, choice, auc) = choose_c_and_blend(&per_c, fallback).unwrap();
        assert_eq!((i, C_GRID[i]), (2, 2.0));
        assert_eq!(choice.beta, 0.25);
        assert_eq!(auc, 1.0);
        // All C equally good: the configured one (the first of the grid).
        let tied = vec![at(wrong.clone(), wrong.clone()), at(wrong.clone(), wrong)];
        assert_eq!(choose_c_and_blend(&tied, fallback).unwrap().0, 0);
        assert_eq!(C_GRID[0], 1.0);
        // Nothing to choose from.
        assert!(choose_c_and_blend(&[MemberMargins::default()], fallback).is_none());
        // The candidates are the configured learner with only C scaled.
        let learner = TrainOptions::default().learner;
        let candidates = c_candidates(&learner);
        assert_eq!(candidates.len(), C_GRID.len());
        for (l, f) in candidates.iter().zip(C_GRID) {
            assert_eq!(l.c, learner.c * f);
            assert_eq!((l.seed, l.tolerance), (learner.seed, learner.tolerance));
        }
    }

    #[test]
    fn a_cross_validated_c_is_on_the_card_and_used_for_the_final_fit() {
        let set = comments();
        let options = TrainOptions::default();
        let analyzer = Analyzer::new(options.analyzer.clone());
        let freqs = DocumentFrequencies::count(&analyzer, &set.texts);
        let vectorizer = Vectorizer::new(analyzer, Vocabulary::select(&freqs, &options.vocabulary));
        let x = vectorizer.vectorize_all(&set.texts);
        let held: Vec<bool> = set
            .texts
            .iter()
            .map(|t| is_held_out(t, options.validation_fraction, options.learner.seed))
            .collect();
        let configured = options.learner.c;
        let mut other_c = 0;
        for (name, targets) in set.labels.iter().zip(&set.targets) {
            let data = LabelData {
                x: &x,
                targets,
                weights: None,
                column_scale: None,
            };
            let (_, fitted, card, _) = train_label(data, name, &held, &[], &options).unwrap();
            let note = card
                .notes
                .iter()
                .find(|n| n.starts_with("NB blend:"))
                .unwrap_or_else(|| panic!("{name}: {:?}", card.notes));
            let c: f64 = note
                .split(", and C = ")
                .nth(1)
                .and_then(|rest| rest.split(' ').next())
                .and_then(|c| c.parse().ok())
                .unwrap_or_else(|| panic!("no C in {note}"));
            assert!(
                C_GRID.iter().any(|f| configured * f == c),
                "{c} is not a multiple of {configured} in {C_GRID:?}: {note}"
            );
            assert!(note.contains("best blend at 1 × C"), "{note}");
            // The final model is the chosen blend refitted on all rows with the chosen C.
            let known: Vec<u32> = (0..targets.len() as u32)
                .filter(|&r| targets[r as usize].is_some())
                .collect();
            let scaling = if note.contains(NbScaling::MeanValue.describe()) {
                NbScaling::MeanValue
            } else {
                NbScaling::LogCount
            };
            let choice = BlendChoice {
                scaling,
                beta: card.nb_blend,
            };
            let refit = |c: f64| {
                let learner = LogisticValidParams {
                    c,
                    ..options.learner.clone()
                };
                let data = LabelData {
                    x: &x,
                    targets,
                    weights: None,
                    column_scale: None,
                };
                fit_members(data, &known, &learner, &[scaling], true)
                    .unwrap()
                    .blend(choice)
            };
            assert_eq!(refit(c).weights, fitted.weights, "{name}");
            if c != configured {
                other_c += 1;
                assert_ne!(refit(configured).weights, fitted.weights, "{name}");
            }
        }
        assert!(other_c > 0, "the fixture chooses another C for some label");
        let model = train(&set, &options, &NoProgress).unwrap();
        assert!(model.card().to_markdown("m").contains("choose C among"));
    }

    #[test]
    fn an_automatic_blend_is_explained_on_the_card_and_a_fixed_one_is_kept() {
        let set = comments();
        let auto = train(&set, &TrainOptions::default(), &NoProgress).expect("auto blend");
        for l in &auto.card().labels {
            let note = l
                .notes
                .iter()
                .find(|n| n.starts_with("NB blend:"))
                .unwrap_or_else(|| panic!("{}: {:?}", l.name, l.notes));
            assert!(note.contains("cross-validation"), "{note}");
            assert!(BLEND_GRID.contains(&l.nb_blend));
        }
        let fixed = TrainOptions {
            nb_blend: NbBlend::Fixed(0.25),
            ..TrainOptions::default()
        };
        let fixed = train(&set, &fixed, &NoProgress).expect("fixed blend");
        for l in &fixed.card().labels {
            assert_eq!(l.nb_blend, 0.25);
            assert!(!l.notes.iter().any(|n| n.starts_with("NB blend:")));
        }
    }
}
