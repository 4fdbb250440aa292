//! `moderato score`: comment files in, one scored row per comment out, in input order.

use super::{load_model_with_policy, set_threads, Outcome};
use anyhow::{Context, Result};
use clap::Args;
use moderato::batch::{score_stream, BatchOptions, BatchState, BatchSummary};
use moderato::io::{
    open_input, CsvSink, ErrorLog, InputFormat, InputSpec, JsonlSink, OutputFormat, ScoreSink,
};
use moderato::moderate::report::ReportCollector;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct ScoreArgs {
    /// Input files (`-` for standard input). Several files are scored in turn; their ids are
    /// then prefixed with `file:`.
    #[arg(value_name = "FILE", default_value = "-")]
    inputs: Vec<String>,
    /// Model file (default: models/default.model).
    #[arg(long, short = 'm')]
    model: Option<PathBuf>,
    /// Policy file (JSON) overriding the model's review and block thresholds.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Input format: csv, tsv, jsonl or text (default: by extension, else by content).
    #[arg(long)]
    input_format: Option<InputFormat>,
    /// Column (CSV) or field (JSON Lines) holding the text.
    #[arg(long)]
    text_column: Option<String>,
    /// Column or field holding the id (default: id, else the row or line number).
    #[arg(long)]
    id_column: Option<String>,
    /// Output format: csv or jsonl.
    #[arg(long, short = 'f', default_value = "csv")]
    format: OutputFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
    /// Add the tokens behind each flagged label (CSV column `why`, JSON field `why`); the value
    /// is how many tokens per label.
    #[arg(long, num_args = 0..=1, default_missing_value = "5", value_name = "N")]
    explain: Option<usize>,
    /// Write a per-thread report (comments, decisions, flags, worst comments) to this file.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Report format: markdown or json.
    #[arg(long, default_value = "markdown", value_parser = ["markdown", "json"])]
    report_format: String,
    /// Write one record per row that cannot be scored to this file (CSV when it ends in
    /// `.csv`, else JSON Lines) instead of standard error.
    #[arg(long, value_name = "FILE")]
    errors: Option<PathBuf>,
    /// Do not look for copy-paste repeats.
    #[arg(long)]
    no_duplicates: bool,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Print nothing on standard error but errors.
    #[arg(long, short = 'q')]
    quiet: bool,
}

pub fn run(args: ScoreArgs) -> Result<Outcome> {
    set_threads(args.threads)?;
    let start = Instant::now();
    let (model, _) = load_model_with_policy(args.model.as_deref(), args.policy.as_deref())?;
    let labels: Vec<String> = model.label_names().into_iter().map(String::from).collect();
    // Open every input first: a missing file fails before any output, and the CSV header
    // knows whether thread columns are needed.
    let mut inputs = Vec::with_capacity(args.inputs.len());
    for input in &args.inputs {
        let spec = InputSpec {
            path: input.clone(),
            format: args.input_format,
            text_column: args.text_column.clone(),
            id_column: args.id_column.clone(),
        };
        inputs.push((input.clone(), open_input(&spec)?));
    }
    let threaded = inputs.iter().any(|(_, o)| o.threaded);
    let out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(BufWriter::with_capacity(
            1 << 16,
            File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(BufWriter::with_capacity(1 << 16, std::io::stdout().lock())),
    };
    let explain = args.explain.unwrap_or(0);
    let mut sink: Box<dyn ScoreSink> = match args.format {
        OutputFormat::Csv => Box::new(CsvSink::new(out, labels.clone(), explain > 0, threaded)),
        OutputFormat::Jsonl => Box::new(JsonlSink::new(out, labels.clone())),
    };
    let options = BatchOptions {
        explain_top: explain,
        duplicates: !args.no_duplicates,
        ..BatchOptions::default()
    };
    let mut state = BatchState {
        report: args
            .report
            .as_ref()
            .map(|_| ReportCollector::new(labels.clone())),
        ..BatchState::default()
    };
    let many = inputs.len() > 1;
    let mut total = BatchSummary::default();
    let quiet = args.quiet;
    let mut error_log = args.errors.as_deref().map(ErrorLog::create).transpose()?;
    let mut log_failure: Option<moderato::Error> = None;
    let mut on_error = |e: &moderato::Error| match error_log.as_mut() {
        Some(log) => {
            if let Err(failure) = log.record(e) {
                log_failure.get_or_insert(failure);
            }
        }
        None if !quiet => eprintln!("moderato: {e}"),
        None => {}
    };
    for (name, opened) in inputs {
        let stream = opened.stream;
        let stream: moderato::io::CommentStream = if many {
            let prefix = name.clone();
            Box::new(stream.map(move |r| {
                r.map(|mut c| {
                    c.id = format!("{prefix}:{}", c.id);
                    c
                })
            }))
        } else {
            stream
        };
        let s = score_stream(
            &model,
            stream,
            sink.as_mut(),
            &mut on_error,
            &options,
            &mut state,
            &name,
        )?;
        total.read += s.read;
        total.scored += s.scored;
        total.errors += s.errors;
        total.allow += s.allow;
        total.review += s.review;
        total.block += s.block;
        total.duplicates += s.duplicates;
        if s.interrupted {
            total.interrupted = true;
            break;
        }
    }
    if let Some(failure) = log_failure {
        return Err(failure).context("cannot write the error records");
    }
    if let Some(log) = error_log {
        log.finish()?;
    }
    if let (Some(path), Some(report)) = (&args.report, &state.report) {
        let text = if args.report_format == "json" {
            report.to_json()
        } else {
            report.to_markdown()
        };
        std::fs::write(path, text)
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
    }
    if !args.quiet {
        let secs = start.elapsed().as_secs_f64();
        let threads = state.report.as_ref().map_or(String::new(), |r| {
            format!(" in {} threads", r.threads().count())
        });
        let errors_in = args
            .errors
            .as_ref()
            .map_or(String::new(), |p| format!(" (in {})", p.display()));
        let stopped = if total.interrupted {
            "interrupted: "
        } else {
            ""
        };
        eprintln!(
            "moderato: {stopped}read {}, scored {}, errors {}{errors_in}{threads}; allow {}, review {}, block {}; {} repeated copies; {:.2} s ({:.0} comments/s)",
            total.read,
            total.scored,
            total.errors,
            total.allow,
            total.review,
            total.block,
            total.duplicates,
            secs,
            total.scored as f64 / secs.max(1e-9)
        );
    }
    Ok(if total.interrupted {
        Outcome::Interrupted
    } else if total.errors > 0 {
        Outcome::RowErrors
    } else {
        Outcome::Done
    })
}
