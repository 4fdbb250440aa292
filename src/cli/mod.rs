//! Command-line interface: one module per subcommand; errors become messages and exit codes.
//!
//! Exit codes: 0 success; 1 error (unreadable input, bad model, training failed);
//! 2 usage error; 3 finished, but some rows could not be scored (each reported on stderr or in
//! `--errors FILE`); 130 interrupted (Ctrl-C or SIGTERM).

mod eval;
mod explain;
mod inspect;
mod obfuscate;
mod score;
mod serve;
mod train;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use moderato::model::{file, Model};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Offline comment moderation: train bag-of-words models, score comment files, explain why.
#[derive(Parser)]
#[command(name = "moderato", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model from labelled CSV files.
    Train(train::TrainArgs),
    /// Score comment files (CSV, TSV, JSON Lines, plain text).
    Score(score::ScoreArgs),
    /// Measure a model on labelled CSV files.
    Eval(eval::EvalArgs),
    /// Score one text and show the tokens behind each label's score.
    Explain(explain::ExplainArgs),
    /// Print a model's card.
    Inspect(inspect::InspectArgs),
    /// Rewrite a CSV file's comments as people do to dodge filters (for robustness checks).
    Obfuscate(obfuscate::ObfuscateArgs),
    /// Serve the model over HTTP, with a Perspective-compatible endpoint.
    Serve(serve::ServeArgs),
}

/// Outcome of a subcommand that ran to its end.
pub enum Outcome {
    Done,
    /// Finished, but some rows were in error.
    RowErrors,
    /// Stopped early on Ctrl-C or SIGTERM, after writing what was done.
    Interrupted,
}

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    // The server shuts down on signals by itself; every other command stops cooperatively.
    if !matches!(cli.command, Command::Serve(_)) {
        if let Err(e) = moderato::interrupt::install_signal_handlers() {
            eprintln!("moderato: warning: cannot handle Ctrl-C cleanly: {e}");
        }
    }
    let result = match cli.command {
        Command::Train(a) => train::run(a),
        Command::Score(a) => score::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Obfuscate(a) => obfuscate::run(a),
        Command::Serve(a) => serve::run(a),
    };
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::RowErrors) => ExitCode::from(3),
        Ok(Outcome::Interrupted) => ExitCode::from(moderato::interrupt::EXIT_CODE),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) if is_interrupted(&e) => {
            eprintln!("moderato: interrupted; nothing was written");
            ExitCode::from(moderato::interrupt::EXIT_CODE)
        }
        Err(e) => {
            eprintln!("moderato: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn is_interrupted(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<moderato::Error>(),
            Some(moderato::Error::Interrupted)
        )
    })
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        let io = c
            .downcast_ref::<std::io::Error>()
            .or_else(|| match c.downcast_ref::<moderato::Error>() {
                Some(moderato::Error::Io { error, .. }) => Some(error),
                _ => None,
            })
            .or_else(
                || match c.downcast_ref::<csv::Error>().map(csv::Error::kind) {
                    Some(csv::ErrorKind::Io(e)) => Some(e),
                    _ => None,
                },
            );
        io.is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Where the default model is looked for: `$MODERATO_MODEL`, `./models/default.model`, then
/// `models/default.model` in the source tree the binary was built from.
pub fn default_model_path() -> PathBuf {
    if let Some(p) = std::env::var_os("MODERATO_MODEL") {
        return PathBuf::from(p);
    }
    let local = PathBuf::from(moderato::DEFAULT_MODEL);
    if local.exists() {
        return local;
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join(moderato::DEFAULT_MODEL);
    if built.exists() {
        return built;
    }
    local
}

/// Loads the model at `path`, or the default model.
pub fn load_model(path: Option<&Path>) -> Result<(Model, PathBuf)> {
    let path = path.map_or_else(default_model_path, Path::to_path_buf);
    let model = file::load(&path).with_context(|| {
        if path.exists() {
            "cannot load the model".to_string()
        } else {
            format!(
                "no model at {}; train one with `moderato train` or pass --model",
                path.display()
            )
        }
    })?;
    Ok((model, path))
}

/// Loads the model at `path` (or the default model) and applies a policy file if given.
pub fn load_model_with_policy(
    path: Option<&Path>,
    policy: Option<&Path>,
) -> Result<(Model, PathBuf)> {
    let (mut model, path) = load_model(path)?;
    if let Some(p) = policy {
        let overrides = moderato::moderate::policy::PolicyOverrides::load(p)?;
        model
            .apply_policy(&overrides)
            .map_err(|m| anyhow::anyhow!("{}: {m}", p.display()))?;
    }
    Ok((model, path))
}

/// Sets the number of worker threads (0 = all cores).
pub fn set_threads(threads: usize) -> Result<()> {
    if threads > 0 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .context("cannot start worker threads")?;
    }
    Ok(())
}
