//! The training pipeline: vocabulary, vectors, then per label a hold-out fit for calibration and
//! thresholds and a final fit on all the label's rows.

use crate::error::{Error, Result};
use crate::eval::metrics::roc_auc;
use crate::eval::split::is_held_out;
use crate::eval::{evaluate, LabelMetrics};
use crate::features::{
    CsrMatrix, DocumentFrequencies, RowSubset, Vectorizer, Vocabulary, VocabularyConfig,
};
use crate::io::TrainingSet;
use crate::learn::thresholds::{best_f1_threshold, precision_threshold, recall_threshold};
use crate::learn::{Calibration, LinearModel, LogisticRegression, LogisticValidParams, Thresholds};
use crate::model::card::LabelCard;
use crate::model::{LabelModel, Model, ModelCard};
use crate::text::{Analyzer, AnalyzerConfig};
use linfa::traits::{Fit, Predict};
use linfa::{DatasetBase, ParamGuard};
use ndarray::Array1;
use rayon::prelude::*;

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
        }
    }
}

/// Receives progress of a training run (the CLI draws it; tests ignore it).
pub trait Progress: Sync {
    /// A new stage begins.
    fn stage(&self, name: &str);
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
    progress.stage("counting features");
    let freqs = DocumentFrequencies::count(&analyzer, &set.texts);
    let vocabulary = Vocabulary::select(&freqs, &options.vocabulary);
    if vocabulary.is_empty() {
        return Err(Error::Training(format!(
            "no feature occurs in {} or more comments; lower --min-df or give more data",
            options.vocabulary.min_df
        )));
    }
    crate::interrupt::check()?;
    let vectorizer = Vectorizer::new(analyzer, vocabulary);
    progress.stage("vectorising");
    let x = vectorizer.vectorize_all(&set.texts);
    let held: Vec<bool> = set
        .texts
        .iter()
        .map(|t| is_held_out(t, options.validation_fraction, options.learner.seed))
        .collect();
    crate::interrupt::check()?;
    progress.stage("fitting classifiers");
    let fitted: Vec<(LabelModel, LinearModel, LabelCard)> = set
        .labels
        .par_iter()
        .zip(set.targets.par_iter())
        .map(|(name, targets)| train_label(&x, name, targets, &held, options))
        .collect::<Result<_>>()?;
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
        let calibration = Calibration::fit(&margins, &truth).unwrap_or_else(|e| {
            notes.push(format!("{e}; using the plain logistic function"));
            Calibration::default()
        });
        let probs: Vec<f32> = margins
            .iter()
            .map(|&m| calibration.probability(m))
            .collect();
        // The lower of the recall-target cut and the best-F1 cut: recall is at least the target,
        // and more when that costs little precision.
        let best_f1 = best_f1_threshold(&probs, &truth).map(|(t, _)| t);
        let review = match (
            recall_threshold(&probs, &truth, options.review_recall),
            best_f1,
        ) {
            (Some(r), Some(f)) => r.min(f),
            (r, f) => r.or(f).unwrap_or(0.5),
        };
        let block =
            precision_threshold(&probs, &truth, options.block_precision, 5).map(|b| b.max(review));
        let thresholds = Thresholds { review, block };
        let metrics = Some(evaluate(name, &probs, &truth, review));
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
