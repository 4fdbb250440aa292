//! moderato: an offline comment-moderation and toxicity classifier.
//!
//! The data takes one path, in training and scoring alike:
//! reader → [`io::Comment`] → [`text::Analyzer`] → [`features::SparseVec`] → [`model::Model`]
//! → per-label probabilities → [`moderate::decide`] → verdict → writer.
//!
//! ```no_run
//! use moderato::model::{file, ScoreScratch};
//! let model = file::load(std::path::Path::new("models/default.model")).unwrap();
//! let mut scratch = ScoreScratch::default();
//! let scored = model.score("you are an idiot", &mut scratch, 3);
//! println!("{:?} {}", scored.probabilities, scored.verdict.decision);
//! ```

pub mod batch;
pub mod error;
pub mod eval;
pub mod experts;
pub mod features;
#[doc(hidden)]
pub mod harness;
pub mod interrupt;
pub mod io;
pub mod learn;
pub mod memory;
pub mod model;
pub mod moderate;
pub mod rng;
pub mod serve;
pub mod text;
pub mod train;

pub use error::{Error, Result};
pub use model::Model;

/// Path of the default model shipped in `models/`, relative to the repository root.
pub const DEFAULT_MODEL: &str = "models/default.model";
