//! `moderato inspect`: print a model's card.

use super::{load_model, Outcome};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct InspectArgs {
    /// Model file (default: the shipped default model).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Print the card as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: InspectArgs) -> Result<Outcome> {
    let (model, path) = load_model(args.model.as_deref())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&model.card_json())?);
    } else {
        print!("{}", model.card_markdown(&path.display().to_string()));
    }
    Ok(Outcome::Done)
}
