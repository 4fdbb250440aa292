//! `moderato eval`: how good a model is on labelled files.

use super::{load_model_with_policy, set_threads, Outcome};
use anyhow::{bail, Result};
use clap::Args;
use moderato::batch::{probabilities_in, ScratchPool};
use moderato::eval::{evaluate, LabelMetrics};
use moderato::io::labelled::read_labelled;
use moderato::io::{open_comments, InputSpec, LabelledSpec};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct EvalArgs {
    /// Model file (default: models/default.model).
    #[arg(long, short = 'm')]
    model: Option<PathBuf>,
    /// Policy file (JSON) overriding the model's review and block thresholds.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Labelled CSV file, optionally `file.csv:label=column,...`.
    #[arg(
        long = "input",
        short = 'i',
        required = true,
        value_name = "FILE[:LABEL=COLUMN,...]"
    )]
    input: String,
    /// Column holding the text.
    #[arg(long)]
    text_column: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Score the input this many times in this process, each pass with empty per-run caches
    /// (as a fresh `moderato score` starts), and report every pass's time: the first pass pays
    /// for the process's first touches of memory, the later ones run as a long-lived scorer
    /// (or a peer timed in one process) does.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    passes: u32,
    /// Before each pass, score the comments of this file (any input `score` reads; not timed)
    /// through the same per-run caches, so that the pass runs as the later part of a long
    /// input or a long-lived scorer does: common words and chunks already seen, new ones not.
    #[arg(long, value_name = "FILE")]
    warm_up: Option<String>,
}

#[derive(serde::Serialize)]
struct Report<'a> {
    model: String,
    input: &'a str,
    rows: usize,
    rejected_rows: usize,
    mean_roc_auc: Option<f64>,
    /// Seconds of the first scoring pass.
    scoring_seconds: f64,
    /// Seconds of every pass (`--passes`), the first one first.
    pass_seconds: Vec<f64>,
    /// Comments scored (untimed) before each pass (`--warm-up`).
    warm_up_rows: usize,
    labels: Vec<LabelMetrics>,
}

pub fn run(args: EvalArgs) -> Result<Outcome> {
    set_threads(args.threads)?;
    let (model, model_path) =
        load_model_with_policy(args.model.as_deref(), args.policy.as_deref())?;
    let spec = LabelledSpec::parse(&args.input)?;
    let names: Vec<String> = model.label_names().into_iter().map(String::from).collect();
    let file = read_labelled(&spec, args.text_column.as_deref(), Some(&names))?;
    if file.columns.is_empty() {
        bail!(
            "{} has none of the model's labels ({}); map a column with {}:LABEL=COLUMN",
            spec.path,
            names.join(", "),
            spec.path
        );
    }
    for r in file.rejected.iter().take(5) {
        eprintln!("moderato: {}:{}: {}", spec.path, r.line, r.reason);
    }
    let warm_up = match &args.warm_up {
        Some(path) => read_texts(path)?,
        None => Vec::new(),
    };
    // Each pass starts from empty caches (a pool of its own), warmed by `--warm-up` if given,
    // so every pass computes the same probabilities.
    let mut pass_seconds = Vec::new();
    let mut probs = Vec::new();
    for _ in 0..args.passes {
        let pool = ScratchPool::new();
        probabilities_in(&pool, &model, &warm_up);
        let start = Instant::now();
        probs = probabilities_in(&pool, &model, &file.texts);
        pass_seconds.push(start.elapsed().as_secs_f64());
    }
    let scoring_seconds = pass_seconds[0];
    let mut labels = Vec::new();
    for col in &file.columns {
        let li = model
            .label_index(&col.label)
            .expect("columns are model labels");
        let (mut scores, mut truth) = (Vec::new(), Vec::new());
        for (p, v) in probs.iter().zip(&col.values) {
            if let Some(t) = v {
                scores.push(p[li]);
                truth.push(*t);
            }
        }
        labels.push(evaluate(
            &col.label,
            &scores,
            &truth,
            model.labels()[li].thresholds.review,
        ));
    }
    let aucs: Vec<f64> = labels.iter().filter_map(|m| m.roc_auc).collect();
    let report = Report {
        model: model_path.display().to_string(),
        input: &spec.path,
        rows: file.texts.len(),
        rejected_rows: file.rejected.len(),
        mean_roc_auc: (!aucs.is_empty()).then(|| aucs.iter().sum::<f64>() / aucs.len() as f64),
        scoring_seconds,
        pass_seconds,
        warm_up_rows: warm_up.len(),
        labels,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(Outcome::Done);
    }
    let f = |x: Option<f64>| x.map_or("–".to_string(), |v| format!("{v:.4}"));
    println!(
        "model {} on {} ({} rows)",
        report.model, report.input, report.rows
    );
    println!("| label | rows | positives | ROC AUC | PR AUC | ECE | threshold | precision | recall | F1 | TP | FP | FN | TN |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for m in &report.labels {
        let c = m.confusion;
        println!(
            "| {} | {} | {} | {} | {} | {:.4} | {:.4} | {:.4} | {:.4} | {} | {} | {} | {} |",
            m.label,
            m.rows,
            m.positives,
            f(m.roc_auc),
            f(m.pr_auc),
            m.threshold,
            m.precision,
            m.recall,
            m.f1,
            c.true_positives,
            c.false_positives,
            c.false_negatives,
            c.true_negatives
        );
    }
    println!("mean ROC AUC {}", f(report.mean_roc_auc));
    let rates: Vec<String> = report
        .pass_seconds
        .iter()
        .map(|&t| format!("{:.0}", report.rows as f64 / t.max(1e-9)))
        .collect();
    let warm = match report.warm_up_rows {
        0 => String::new(),
        n => format!(", after a warm-up of {n} comments"),
    };
    println!(
        "scoring: {} comments/s ({}{warm})",
        rates.join(", "),
        if rates.len() > 1 {
            "each pass"
        } else {
            "one pass"
        }
    );
    for m in &report.labels {
        println!("\nreliability of {} (10 bins):", m.label);
        println!("| scores | comments | mean score | share positive |");
        println!("|---|---|---|---|");
        for b in &m.reliability {
            println!(
                "| {:.1}–{:.1} | {} | {:.3} | {:.3} |",
                b.lower, b.upper, b.count, b.mean_score, b.positive_rate
            );
        }
    }
    Ok(Outcome::Done)
}

/// The texts of every comment of `path` (format detected as `score` does); the first bad
/// comment is an error.
fn read_texts(path: &str) -> Result<Vec<String>> {
    let spec = InputSpec {
        path: path.to_string(),
        ..InputSpec::default()
    };
    open_comments(&spec)?
        .map(|c| c.map(|c| c.text).map_err(anyhow::Error::from))
        .collect()
}
