//! `moderato score`: comment files in, one scored row per comment out, in input order.

use super::{load_model_with_policy, set_threads, Outcome};
use anyhow::{Context, Result};
use clap::Args;
use moderato::batch::{score_stream, BatchOptions, BatchSummary};
use moderato::io::{
    open_comments, CsvSink, InputFormat, InputSpec, JsonlSink, OutputFormat, ScoreSink,
};
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
    let out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(BufWriter::with_capacity(
            1 << 16,
            File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(BufWriter::with_capacity(1 << 16, std::io::stdout().lock())),
    };
    let explain = args.explain.unwrap_or(0);
    let mut sink: Box<dyn ScoreSink> = match args.format {
        OutputFormat::Csv => Box::new(CsvSink::new(out, labels, explain > 0)),
        OutputFormat::Jsonl => Box::new(JsonlSink::new(out, labels)),
    };
    let options = BatchOptions {
        explain_top: explain,
        ..BatchOptions::default()
    };
    let many = args.inputs.len() > 1;
    let mut total = BatchSummary::default();
    let quiet = args.quiet;
    let mut on_error = |e: &moderato::Error| {
        if !quiet {
            eprintln!("moderato: {e}");
        }
    };
    for input in &args.inputs {
        let spec = InputSpec {
            path: input.clone(),
            format: args.input_format,
            text_column: args.text_column.clone(),
            id_column: args.id_column.clone(),
        };
        let stream = open_comments(&spec)?;
        let stream: moderato::io::CommentStream = if many {
            let prefix = input.clone();
            Box::new(stream.map(move |r| {
                r.map(|mut c| {
                    c.id = format!("{prefix}:{}", c.id);
                    c
                })
            }))
        } else {
            stream
        };
        let s = score_stream(&model, stream, sink.as_mut(), &mut on_error, &options)?;
        total.read += s.read;
        total.scored += s.scored;
        total.errors += s.errors;
        total.allow += s.allow;
        total.review += s.review;
        total.block += s.block;
    }
    if !args.quiet {
        let secs = start.elapsed().as_secs_f64();
        eprintln!(
            "moderato: read {}, scored {}, errors {}; allow {}, review {}, block {}; {:.2} s ({:.0} comments/s)",
            total.read,
            total.scored,
            total.errors,
            total.allow,
            total.review,
            total.block,
            secs,
            total.scored as f64 / secs.max(1e-9)
        );
    }
    Ok(if total.errors > 0 {
        Outcome::RowErrors
    } else {
        Outcome::Done
    })
}
