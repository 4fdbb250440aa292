//! The training pipeline: vocabulary, vectors, then per label a hold-out fit for calibration and
//! thresholds and a final fit on all the label's rows.

use crate::error::{Error, Result};
use crate::eval::metrics::roc_auc;
use crate::eval::split::is_held_out;
use crate::eval::{evaluate, LabelMetrics};
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
use crate::model::{LabelModel, Model, ModelCard};
use crate::text::{Analyzer, AnalyzerConfig};
use linfa::traits::{Fit, Predict};
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
}

/// Blending of a plain logistic regression with one on naive-Bayes-scaled features (NB-LR,
/// Wang and Manning 2012). Both are linear in the same features, so the blend is one linear
/// model and scoring costs the same.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NbBlend {
    /// Plain logistic regression only.
    Off,
    /// Choose the blend weight per label by ROC AUC: by 5-fold cross-validation for labels with
    /// fewer than 10,000 rows, else on the held-out rows.
    Auto,
    /// A fixed weight of the NB-scaled model in [0, 1].
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
        // Per label a hold-out fit and a final fit may run at once; with the NB blend each also
        // holds a column-scaled copy of the matrix and a second solver.
        let copies = if nb { 2 * labels } else { 0 };
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
    let fitted: Vec<(LabelModel, LinearModel, LabelCard)> = match plan.learner {
        LearnerKind::Exact => {
            progress.stage("vectorising");
            let x = vectorizer.vectorize_all(&set.texts);
            crate::interrupt::check()?;
            progress.stage("fitting classifiers");
            set.labels
                .par_iter()
                .zip(set.targets.par_iter())
                .map(|(name, targets)| train_label(&x, name, targets, &held, options))
                .collect::<Result<_>>()?
        }
        LearnerKind::Streaming => {
            if options.nb_blend != NbBlend::Off {
                progress.note("the NB blend is off with the streaming learner");
            }
            train_streaming(set, &vectorizer, &held, options, &plan, progress)?
        }
    };
    let fitted: Vec<(LabelModel, LinearModel, LabelCard)> = fitted
        .into_iter()
        .map(|(head, linear, mut card)| {
            card.notes.extend(general_notes.iter().cloned());
            (head, linear, card)
        })
        .collect();
    let mut cards = Vec::new();
    let mut heads = Vec::new();
    for (head, linear, card) in fitted {
        cards.push(card);
        heads.push((head, linear));
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
    Ok(Model::new(vectorizer, heads, card))
}

/// Naive-Bayes log-count ratios `ln((p/‖p‖₁)/(q/‖q‖₁))` with `p = 1 + positive rows with the feature`,
/// `q = 1 + negative rows with the feature` (binarised, as in Wang and Manning 2012).
fn nb_ratios(x: &CsrMatrix, rows: &[u32], targets: &[Option<bool>]) -> Vec<f32> {
    let mut p = vec![1f64; x.ncols()];
    let mut q = vec![1f64; x.ncols()];
    for &r in rows {
        let side = if targets[r as usize] == Some(true) {
            &mut p
        } else {
            &mut q
        };
        let (idx, val) = x.row(r as usize);
        for (&j, &v) in idx.iter().zip(val) {
            side[j as usize] += if v != 0.0 { 1.0 } else { 0.0 };
        }
    }
    let (sp, sq): (f64, f64) = (p.iter().sum(), q.iter().sum());
    p.iter()
        .zip(&q)
        .map(|(a, b)| ((a / sp) / (b / sq)).ln() as f32)
        .collect()
}

/// A plain logistic regression and, when NB blending is on, an NB-scaled one with the ratios
/// folded into its weights; both are linear in the same features.
struct FittedPair {
    plain: LinearModel,
    nb: Option<LinearModel>,
}

impl FittedPair {
    /// The linear model `(1 − β) × plain + β × nb`.
    fn blend(&self, beta: f32) -> LinearModel {
        let Some(nb) = &self.nb else {
            return self.plain.clone();
        };
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

fn fit_pair(
    x: &CsrMatrix,
    rows: &[u32],
    targets: &[Option<bool>],
    options: &TrainOptions,
) -> Result<FittedPair> {
    let y: Array1<bool> = rows
        .iter()
        .map(|&r| targets[r as usize] == Some(true))
        .collect();
    if options.nb_blend == NbBlend::Off {
        let plain = options
            .learner
            .fit(&DatasetBase::new(RowSubset { matrix: x, rows }, y))?;
        return Ok(FittedPair { plain, nb: None });
    }
    let ratios = nb_ratios(x, rows, targets);
    let scaled = x.scale_columns(&ratios);
    let (plain, nb) = rayon::join(
        || {
            options
                .learner
                .fit(&DatasetBase::new(RowSubset { matrix: x, rows }, y.clone()))
        },
        || {
            options.learner.fit(&DatasetBase::new(
                RowSubset {
                    matrix: &scaled,
                    rows,
                },
                y.clone(),
            ))
        },
    );
    let mut nb = nb?;
    for (w, r) in nb.weights.iter_mut().zip(&ratios) {
        *w *= r;
    }
    Ok(FittedPair {
        plain: plain?,
        nb: Some(nb),
    })
}

/// Blend weights tried on the held-out rows when the blend is chosen automatically.
const BLEND_GRID: [f32; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

/// Labels with fewer rows choose their blend weight by cross-validation, where one held-out
/// part is too small to tell the candidates apart.
const CV_BELOW_ROWS: usize = 10_000;
const CV_FOLDS: u64 = 5;

/// The blend weight with the best ROC AUC on the given margins (the smaller weight on ties).
fn choose_blend(plain: &[f32], nb: &[f32], truth: &[bool], default_beta: f32) -> f32 {
    let mut best = (default_beta, f64::MAX);
    for beta in BLEND_GRID {
        let margins: Vec<f32> = plain
            .iter()
            .zip(nb)
            .map(|(&a, &b)| (1.0 - beta) * a + beta * b)
            .collect();
        let loss = roc_auc(&margins, truth).map_or(f64::MAX, |auc| 1.0 - auc);
        if loss < best.1 - 1e-9 {
            best = (beta, loss);
        }
    }
    best.0
}

/// Out-of-fold margins of the plain and NB-scaled models over `rows` (5 folds by row hash).
fn out_of_fold_margins(
    x: &CsrMatrix,
    rows: &[u32],
    targets: &[Option<bool>],
    options: &TrainOptions,
) -> Result<(Vec<f32>, Vec<f32>, Vec<bool>)> {
    let fold_of = |r: u32| {
        xxhash_rust::xxh3::xxh3_64_with_seed(&r.to_le_bytes(), options.learner.seed) % CV_FOLDS
    };
    let folds: Vec<(Vec<f32>, Vec<f32>, Vec<bool>)> = (0..CV_FOLDS)
        .into_par_iter()
        .map(|k| -> Result<_> {
            let (train, test): (Vec<u32>, Vec<u32>) = rows.iter().partition(|&&r| fold_of(r) != k);
            let pos = train
                .iter()
                .filter(|&&r| targets[r as usize] == Some(true))
                .count();
            if test.is_empty() || pos == 0 || pos == train.len() {
                return Ok((Vec::new(), Vec::new(), Vec::new()));
            }
            let pair = fit_pair(x, &train, targets, options)?;
            let nb = pair.nb.as_ref().unwrap_or(&pair.plain);
            let mut out = (Vec::new(), Vec::new(), Vec::new());
            for &r in &test {
                let (idx, val) = x.row(r as usize);
                out.0.push(pair.plain.margin(idx, val));
                out.1.push(nb.margin(idx, val));
                out.2.push(targets[r as usize] == Some(true));
            }
            Ok(out)
        })
        .collect::<Result<_>>()?;
    let mut all = (Vec::new(), Vec::new(), Vec::new());
    for (a, b, c) in folds {
        all.0.extend(a);
        all.1.extend(b);
        all.2.extend(c);
    }
    Ok(all)
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
    beta: f32,
    calibration: Calibration,
    thresholds: Thresholds,
    metrics: Option<LabelMetrics>,
    notes: Vec<String>,
}

fn train_label(
    x: &CsrMatrix,
    name: &str,
    targets: &[Option<bool>],
    held: &[bool],
    options: &TrainOptions,
) -> Result<(LabelModel, LinearModel, LabelCard)> {
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
    let default_beta = match options.nb_blend {
        NbBlend::Off => 0.0,
        NbBlend::Auto => 0.5,
        NbBlend::Fixed(b) => b,
    };

    let holdout = || -> Result<HeldOutChoice> {
        let mut notes = Vec::new();
        if !usable {
            notes.push(format!(
                "only {held_pos} positive of {} held-out rows: calibration and thresholds are defaults (plain logistic, flag at 0.5, no block)",
                truth.len()
            ));
            return Ok(HeldOutChoice {
                beta: default_beta,
                calibration: Calibration::default(),
                thresholds: Thresholds::default(),
                metrics: None,
                notes,
            });
        }
        let pair = fit_pair(x, &fit_part, targets, options)?;
        let held_rows = RowSubset {
            matrix: x,
            rows: &held_part,
        };
        let margins_of = |m: &LinearModel| -> Vec<f32> {
            let a: Array1<f32> = m.predict(&DatasetBase::new(held_rows, ()));
            a.to_vec()
        };
        let plain = margins_of(&pair.plain);
        let nb = pair.nb.as_ref().map(margins_of);
        let blended = |beta: f32| -> Vec<f32> {
            match &nb {
                Some(nb) => plain
                    .iter()
                    .zip(nb)
                    .map(|(&a, &b)| (1.0 - beta) * a + beta * b)
                    .collect(),
                None => plain.clone(),
            }
        };
        let beta = match (options.nb_blend, &nb) {
            (NbBlend::Auto, Some(nb)) if known.len() < CV_BELOW_ROWS => {
                let (plain_oof, nb_oof, oof_truth) =
                    out_of_fold_margins(x, &known, targets, options)?;
                choose_blend(&plain_oof, &nb_oof, &oof_truth, default_beta)
            }
            (NbBlend::Auto, Some(nb)) => choose_blend(&plain, nb, &truth, default_beta),
            _ => default_beta,
        };
        let margins = blended(beta);
        let (calibration, thresholds, metrics) =
            calibrate_and_threshold(name, &margins, &truth, options, &mut notes);
        Ok(HeldOutChoice {
            beta,
            calibration,
            thresholds,
            metrics,
            notes,
        })
    };
    let (held_out, final_pair) = rayon::join(holdout, || fit_pair(x, &known, targets, options));
    let choice = held_out?;
    let final_fit = final_pair?.blend(choice.beta);
    let card = LabelCard {
        name: name.to_string(),
        rows: known.len() as u64,
        positives: positives as u64,
        review_threshold: choice.thresholds.review,
        block_threshold: choice.thresholds.block,
        validation: choice.metrics,
        solver_passes: final_fit.iterations,
        nb_blend: choice.beta,
        notes: choice.notes,
    };
    let head = LabelModel {
        name: name.to_string(),
        bias: final_fit.bias,
        calibration: choice.calibration,
        thresholds: choice.thresholds,
    };
    Ok((head, final_fit, card))
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
}
