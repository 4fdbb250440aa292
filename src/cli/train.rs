//! `moderato train`: labelled CSV files in, model file and card out.

use super::{set_threads, Outcome};
use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use linfa::ParamGuard;
use moderato::features::VocabularyConfig;
use moderato::io::train_config::TrainConfig;
use moderato::io::{LabelledSpec, TrainingSet};
use moderato::learn::logistic::DEFAULT_TOLERANCE;
use moderato::learn::{ClassWeight, LogisticRegression, StreamingParams};
use moderato::model::file;
use moderato::text::{AnalyzerConfig, CharBlock, Language};
use moderato::train::{train, NbBlend, Progress, TrainOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct TrainArgs {
    /// Labelled CSV file, optionally with label mappings: `file.csv` or
    /// `file.csv:offensive=abusive,hate=hs` (model label = column). Repeat for several files.
    #[arg(
        long = "input",
        short = 'i',
        required_unless_present = "config",
        value_name = "FILE[:LABEL=COLUMN,...]"
    )]
    inputs: Vec<String>,
    /// Training config (JSON): inputs with label mappings, labels, languages, output, data
    /// notes. Inputs given with --input are added to the config's.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where to write the model; the card goes beside it as `<name>.card.md`.
    #[arg(
        long,
        short = 'o',
        value_name = "FILE",
        required_unless_present = "config"
    )]
    output: Option<PathBuf>,
    /// Column holding the text (default: text, comment_text, comment, content, message, body).
    #[arg(long)]
    text_column: Option<String>,
    /// Labels to learn, comma-separated (default: every 0/1, true/false or yes/no column).
    #[arg(long, value_delimiter = ',')]
    labels: Option<Vec<String>>,
    /// Stemming languages, comma-separated, main one first (any of the 18 Snowball languages,
    /// by name or ISO code).
    /// [default: english]
    #[arg(long, value_delimiter = ',')]
    language: Option<Vec<Language>>,
    /// Do not undo obfuscation (leetspeak, look-alike letters, letters written apart ...).
    #[arg(long)]
    no_deobfuscate: bool,
    /// The fastest model to score: word n-grams only, neither stemmed nor de-obfuscated (the
    /// same as `--char-ngrams 0 --no-stem --no-deobfuscate`). Such a model scores through the
    /// direct path, about twice as fast as the default, at a lower ROC AUC (see README).
    #[arg(long, conflicts_with_all = ["char_ngrams", "char_block"])]
    fast: bool,
    /// Do not stem words.
    #[arg(long)]
    no_stem: bool,
    /// Longest word n-gram (1-3).
    #[arg(long, default_value_t = 2)]
    word_ngrams: u8,
    /// Character n-gram range within words, as MIN-MAX, or 0 to disable.
    #[arg(long, default_value = "2-5")]
    char_ngrams: String,
    /// How a comment's character n-gram block is built: exact (TF-IDF of the n-grams counted
    /// over the whole comment) or per-word (the sum of each distinct word's own n-gram vector,
    /// weighted by 1 + ln of its occurrences; cheaper to score). Also `"char_block"` in a
    /// config.
    /// [default: per-word]
    #[arg(long, value_name = "exact|per-word")]
    char_block: Option<CharBlock>,
    /// Minimum number of comments a feature must occur in.
    #[arg(long, default_value_t = 2)]
    min_df: u32,
    /// Maximum number of word features.
    #[arg(long, default_value_t = 200_000)]
    max_word_features: u32,
    /// Maximum number of character n-gram features.
    #[arg(long, default_value_t = 200_000)]
    max_char_features: u32,
    /// Inverse regularisation strength of the logistic regression. With `--nb-blend auto`, labels
    /// with fewer than 10,000 rows choose ½, 1 or 2 times it by cross-validation.
    #[arg(long, default_value_t = 4.0)]
    c: f64,
    /// Stopping tolerance of the solver (largest dual gradient). The default is LIBLINEAR's for
    /// its dual solvers; 0.01 takes about 1.5 times the passes for the same test ROC AUC to
    /// four decimals on the shared datasets (docs/quality.md).
    #[arg(long, default_value_t = DEFAULT_TOLERANCE)]
    tolerance: f64,
    /// Blend in a logistic regression on naive-Bayes-scaled features: auto (scaling, log-count or
    /// mean-value ratios, and weight chosen per label by cross-validation or on the held-out
    /// rows), off, or a fixed weight in [0, 1] of the log-count-ratio model.
    #[arg(long, default_value = "auto", value_parser = parse_nb_blend)]
    nb_blend: NbBlend,
    /// Class weighting: balanced or none.
    #[arg(long, default_value = "balanced", value_parser = parse_class_weight)]
    class_weight: ClassWeight,
    /// Share of rows held out for calibration and thresholds.
    #[arg(long, default_value_t = 0.1)]
    validation: f64,
    /// Held-out recall the review threshold must reach.
    #[arg(long, default_value_t = 0.8)]
    review_recall: f64,
    /// Held-out precision the block threshold must reach.
    #[arg(long, default_value_t = 0.9)]
    block_precision: f64,
    /// Weight rows so that every input file carrying a label has the same total weight for it
    /// (for sources of very different sizes; also `"balance_sources": true` in a config).
    #[arg(long)]
    balance_sources: bool,
    /// Labels to train as a gated mixture of source experts, comma-separated: one classifier
    /// per input file carrying the label, trained on that file alone, and a gate that weighs
    /// them by how much a comment is like each file (for sources that differ, such as forum
    /// posts and tweets; also `"source_experts": [...]` in a config).
    #[arg(long, value_delimiter = ',')]
    source_experts: Vec<String>,
    /// Weigh every label's features by IDF over all training rows. By default a label that
    /// some input files lack uses IDF over the rows that carry it (also `"shared_idf": true`
    /// in a config).
    #[arg(long)]
    shared_idf: bool,
    /// A note on the data for the model card (source, licence); repeatable.
    #[arg(long = "data-note")]
    data_notes: Vec<String>,
    /// Seed for the hold-out split and the solver's row order.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Memory the training may use, e.g. 4G or 512M [default: 4G, or half the machine's memory
    /// when that is less]. When the vectorised rows would not fit, training switches from the
    /// exact solver to a streaming learner that re-vectorises the rows chunk by chunk.
    #[arg(long, value_name = "SIZE", value_parser = parse_memory_limit)]
    memory_limit: Option<u64>,
    /// Most passes over all rows of the streaming learner (used when the rows do not fit in
    /// memory; it stops earlier at the solver's tolerance).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    epochs: u32,
    /// Passes of the streaming learner over each block of rows while it is in memory.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    block_passes: u32,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    quiet: bool,
}

fn parse_class_weight(s: &str) -> Result<ClassWeight, String> {
    match s {
        "balanced" => Ok(ClassWeight::Balanced),
        "none" => Ok(ClassWeight::None),
        _ => Err(format!("'{s}' is not balanced or none")),
    }
}

fn parse_memory_limit(s: &str) -> Result<u64, String> {
    moderato::memory::parse_size(s).map_err(|e| e.to_string())
}

fn parse_nb_blend(s: &str) -> Result<NbBlend, String> {
    match s {
        "auto" => Ok(NbBlend::Auto),
        "off" => Ok(NbBlend::Off),
        _ => match s.parse::<f32>() {
            Ok(b) if (0.0..=1.0).contains(&b) => Ok(NbBlend::Fixed(b)),
            _ => Err(format!("'{s}' is not auto, off or a weight in [0, 1]")),
        },
    }
}

fn parse_range(s: &str) -> Result<(u8, u8)> {
    if s.trim() == "0" {
        return Ok((0, 0));
    }
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let lo: u8 = a
        .trim()
        .parse()
        .with_context(|| format!("bad n-gram range '{s}'"))?;
    let hi: u8 = b
        .trim()
        .parse()
        .with_context(|| format!("bad n-gram range '{s}'"))?;
    Ok((lo, hi))
}

/// The card's path for a model path: `models/x.model` → `models/x.card.md`.
pub fn card_path(model: &Path) -> PathBuf {
    model.with_extension("card.md")
}

struct Spinner(ProgressBar, Instant, bool);

impl Progress for Spinner {
    fn stage(&self, name: &str) {
        self.0
            .set_message(format!("{name} ({:.1} s)", self.1.elapsed().as_secs_f64()));
    }

    fn note(&self, message: &str) {
        if !self.2 {
            self.0.suspend(|| eprintln!("moderato: {message}"));
        }
    }
}

pub fn run(args: TrainArgs) -> Result<Outcome> {
    set_threads(args.threads)?;
    let start = Instant::now();
    let (char_min, char_max) = if args.fast {
        (0, 0)
    } else {
        parse_range(&args.char_ngrams)?
    };
    let learner = LogisticRegression::params()
        .c(args.c)
        .tolerance(args.tolerance)
        .class_weight(args.class_weight)
        .seed(args.seed)
        .check()?;
    let options = TrainOptions {
        analyzer: AnalyzerConfig {
            languages: args
                .language
                .clone()
                .unwrap_or_else(|| vec![Language::English]),
            deobfuscate: !(args.no_deobfuscate || args.fast),
            stem: !(args.no_stem || args.fast),
            word_ngram_max: args.word_ngrams,
            char_ngram_min: char_min,
            char_ngram_max: char_max,
            char_block: args
                .char_block
                .unwrap_or(AnalyzerConfig::default().char_block),
            ..AnalyzerConfig::default()
        },
        vocabulary: VocabularyConfig {
            min_df: args.min_df,
            max_word_features: args.max_word_features,
            max_char_features: args.max_char_features,
        },
        learner,
        validation_fraction: args.validation,
        review_recall: args.review_recall,
        block_precision: args.block_precision,
        data_notes: args.data_notes.clone(),
        nb_blend: args.nb_blend,
        memory_limit: args.memory_limit,
        streaming: StreamingParams {
            epochs: args.epochs,
            block_passes: args.block_passes,
        },
        balance_sources: args.balance_sources,
        source_experts: args.source_experts.clone(),
        label_idf: !args.shared_idf,
    };
    if !(0.0..=1.0).contains(&args.block_precision) || !(0.0..=1.0).contains(&args.review_recall) {
        bail!("--block-precision and --review-recall must be between 0 and 1");
    }
    let config = args.config.as_deref().map(TrainConfig::load).transpose()?;
    let mut specs = config.as_ref().map(TrainConfig::specs).unwrap_or_default();
    for s in &args.inputs {
        specs.push(LabelledSpec::parse(s)?);
    }
    let labels = args
        .labels
        .clone()
        .or_else(|| config.as_ref().and_then(|c| c.labels.clone()));
    let output = args
        .output
        .clone()
        .or_else(|| {
            config
                .as_ref()
                .and_then(|c| c.output.as_ref().map(PathBuf::from))
        })
        .context("no --output given and the config names none")?;
    let mut options = options;
    if let Some(c) = &config {
        if let Some(langs) = &c.languages {
            if args.language.is_some() {
                bail!("give the languages either in the config or with --language, not both");
            }
            options.analyzer.languages = langs.clone();
        }
        if let Some(char_block) = c.char_block {
            if args.char_block.is_some() {
                bail!(
                    "give the character block either in the config or with --char-block, not both"
                );
            }
            options.analyzer.char_block = char_block;
        }
        options.data_notes.extend(c.data_notes.iter().cloned());
        options.balance_sources |= c.balance_sources;
        options.label_idf &= !c.shared_idf;
        for l in &c.source_experts {
            if !options.source_experts.contains(l) {
                options.source_experts.push(l.clone());
            }
        }
    }
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(
        ProgressStyle::with_template("{spinner} training: {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.enable_steady_tick(Duration::from_millis(120));
    let progress = Spinner(spinner, start, args.quiet);
    progress.stage("reading input");
    let set = TrainingSet::read(&specs, args.text_column.as_deref(), labels.as_deref())?;
    if !set.rejected.is_empty() && !args.quiet {
        let first: Vec<String> = set
            .rejected
            .iter()
            .take(5)
            .map(|(p, r)| format!("{p}:{}: {}", r.line, r.reason))
            .collect();
        eprintln!(
            "moderato: refused {} rows that cannot be used; first ones:\n  {}",
            set.rejected.len(),
            first.join("\n  ")
        );
    }
    if !args.quiet {
        for note in &set.notes {
            eprintln!("moderato: note: {note}");
        }
    }
    let model = train(&set, &options, &progress)?;
    progress.stage("writing model");
    file::save(&model, &output)?;
    let card = card_path(&output);
    let markdown = model.card_markdown(&output.display().to_string());
    file::write_atomically(&card, markdown.as_bytes())?;
    progress.0.finish_and_clear();
    if !args.quiet {
        eprintln!(
            "moderato: trained {} label(s) on {} rows in {:.2} s; model {}, card {}",
            model.labels().len(),
            set.texts.len(),
            start.elapsed().as_secs_f64(),
            output.display(),
            card.display()
        );
        for l in &model.card().labels {
            let auc = l
                .validation
                .as_ref()
                .and_then(|v| v.roc_auc)
                .map_or("–".to_string(), |a| format!("{a:.4}"));
            eprintln!(
                "  {}: {} rows, {} positive, held-out ROC AUC {}, review at {:.3}, block at {}",
                l.name,
                l.rows,
                l.positives,
                auc,
                l.review_threshold,
                l.block_threshold
                    .map_or("never".into(), |b| format!("{b:.3}"))
            );
        }
    }
    Ok(Outcome::Done)
}
