//! `moderato obfuscate`: rewrite the text column of a CSV file the way people dodge filters,
//! to measure how robust a model is (`eval` on the result).

use super::Outcome;
use anyhow::bail;
use anyhow::{Context, Result};
use clap::Args;
use moderato::eval::obfuscate::{obfuscate_with, TRANSFORMS};
use moderato::io::readers::{find_text_column, read_headers};
use std::path::PathBuf;

#[derive(Args)]
pub struct ObfuscateArgs {
    /// CSV file to read.
    input: PathBuf,
    /// Column holding the text (detected as for `score` when absent).
    #[arg(long)]
    text_column: Option<String>,
    /// Share of words (three letters or more) to rewrite.
    #[arg(long, default_value_t = 0.3)]
    rate: f64,
    /// Seed of the random choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Kinds of rewriting to choose from, comma-separated (default: all of leet, punct, mask,
    /// run, spaced, separated, homoglyph, zero-width, combining, fullwidth, case).
    #[arg(long, value_delimiter = ',')]
    kinds: Vec<String>,
}

pub fn run(args: ObfuscateArgs) -> Result<Outcome> {
    let mut kinds: Vec<&'static str> = Vec::new();
    for k in &args.kinds {
        match TRANSFORMS.iter().find(|t| **t == k.trim()) {
            Some(t) => kinds.push(t),
            None => bail!(
                "unknown kind of obfuscation {k:?} (known: {})",
                TRANSFORMS.join(", ")
            ),
        }
    }
    if kinds.is_empty() {
        kinds.extend_from_slice(TRANSFORMS);
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(&args.input)
        .with_context(|| format!("cannot open {}", args.input.display()))?;
    let headers = read_headers(&mut reader, &args.input)?;
    let text = find_text_column(&headers, args.text_column.as_deref(), &args.input)?;
    let mut writer = csv::Writer::from_writer(std::io::stdout().lock());
    writer.write_record(&headers)?;
    for record in reader.records() {
        let record = record.with_context(|| format!("reading {}", args.input.display()))?;
        let row: Vec<String> = record
            .iter()
            .enumerate()
            .map(|(i, f)| {
                if i == text {
                    obfuscate_with(f, args.rate, args.seed, &kinds)
                } else {
                    f.to_string()
                }
            })
            .collect();
        writer.write_record(&row)?;
    }
    writer.flush()?;
    Ok(Outcome::Done)
}
