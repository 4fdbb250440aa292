//! `moderato explain`: one text's scores and the tokens behind them.

use super::{load_model_with_policy, Outcome};
use anyhow::Result;
use clap::Args;
use moderato::model::ScoreScratch;
use std::path::PathBuf;

#[derive(Args)]
pub struct ExplainArgs {
    /// The text to explain.
    text: String,
    /// Model file (default: models/default.model).
    #[arg(long, short = 'm')]
    model: Option<PathBuf>,
    /// Policy file (JSON) overriding the model's review and block thresholds.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Tokens to show per label.
    #[arg(long, default_value_t = 8)]
    top: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: ExplainArgs) -> Result<Outcome> {
    let (model, _) = load_model_with_policy(args.model.as_deref(), args.policy.as_deref())?;
    let mut scratch = ScoreScratch::default();
    let scored = model.explain(&args.text, &mut scratch, args.top);
    let names = model.label_names();
    if args.json {
        let flags: Vec<&str> = scored.verdict.flags.iter().map(|&i| names[i]).collect();
        let value = serde_json::json!({
            "text": args.text,
            "decision": scored.verdict.decision,
            "flags": flags,
            "labels": scored.explanations,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(Outcome::Done);
    }
    println!("decision: {}", scored.verdict.decision);
    for (i, e) in scored.explanations.iter().enumerate() {
        let t = model.labels()[i].thresholds;
        let mark = if scored.verdict.flags.contains(&i) {
            "FLAGGED"
        } else {
            ""
        };
        println!(
            "{}: {:.4} (review at {:.3}) {mark}",
            e.label, e.score, t.review
        );
        for tok in &e.tokens {
            println!(
                "    {:<24} +{:.3}  [{}..{}]",
                tok.cue.as_deref().unwrap_or(&tok.text),
                tok.weight,
                tok.start,
                tok.end
            );
        }
    }
    Ok(Outcome::Done)
}
