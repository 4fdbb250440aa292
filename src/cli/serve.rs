//! `moderato serve`: the HTTP service (Perspective-compatible endpoint and moderato's own).

use super::{load_model_with_policy, Outcome};
use anyhow::{Context, Result};
use clap::Args;
use moderato::serve::perspective::AttributeMap;
use moderato::serve::{serve, ServeConfig};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Args)]
pub struct ServeArgs {
    /// Model file (default: models/default.model).
    #[arg(long, short = 'm')]
    model: Option<PathBuf>,
    /// Policy file (JSON) overriding the model's review and block thresholds.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free port, printed on stderr).
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Perspective attribute → model label table (JSON object), replacing the default
    /// (TOXICITY/SEVERE_TOXICITY→toxic, IDENTITY_ATTACK→hate, INSULT/PROFANITY→offensive, SPAM→spam).
    #[arg(long, value_name = "FILE")]
    attribute_map: Option<PathBuf>,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    max_body_bytes: usize,
    /// Longest comment, in characters.
    #[arg(long, default_value_t = 20_000)]
    max_comment_chars: usize,
    /// Most comments in one /v1/score request.
    #[arg(long, default_value_t = 1000)]
    max_batch: usize,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

pub fn run(args: ServeArgs) -> Result<Outcome> {
    let (model, path) = load_model_with_policy(args.model.as_deref(), args.policy.as_deref())?;
    let labels = model.label_names();
    let attributes = match &args.attribute_map {
        Some(p) => {
            let bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
            AttributeMap::parse(&bytes, &labels)
                .map_err(|m| anyhow::anyhow!("{}: {m}", p.display()))?
        }
        None => AttributeMap::default_for(&labels),
    };
    let config = ServeConfig {
        max_body_bytes: args.max_body_bytes,
        max_comment_chars: args.max_comment_chars,
        max_batch: args.max_batch,
        attributes,
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if args.threads > 0 {
        runtime.worker_threads(args.threads);
    }
    let runtime = runtime
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let model_name = path.display().to_string();
    runtime
        .block_on(serve(model, config, args.bind, |addr| {
            eprintln!("moderato: serving {model_name} on http://{addr}");
        }))
        .with_context(|| format!("cannot serve on {}", args.bind))?;
    eprintln!("moderato: stopped");
    Ok(Outcome::Done)
}
