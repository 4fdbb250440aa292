//! Typed errors of the moderato library.

use std::path::PathBuf;

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened, read or written.
    /// (The I/O error is part of the message, not a separate cause, so that it is shown once.)
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// An input file is unusable as a whole (no text column, unknown format, ...).
    #[error("{path}: {message}")]
    Input { path: PathBuf, message: String },
    /// One row of an input file is unusable; the rest of the file may be fine.
    #[error("{path}:{line}: {message}")]
    Row {
        path: PathBuf,
        line: u64,
        message: String,
    },
    /// A model file is missing, truncated, corrupted, foreign or of an unknown version.
    #[error("{path}: {message}")]
    Model { path: PathBuf, message: String },
    /// Training cannot proceed (no usable rows, a label with one class, ...).
    #[error("training failed: {0}")]
    Training(String),
    /// Invalid hyperparameters or settings.
    #[error("invalid setting: {0}")]
    Config(String),
    /// Output could not be written.
    #[error("writing output: {0}")]
    Output(String),
    /// The run was interrupted (Ctrl-C or SIGTERM) before it finished.
    #[error("interrupted")]
    Interrupted,
    /// An error reported by linfa.
    #[error(transparent)]
    Linfa(#[from] linfa::Error),
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error,
        }
    }

    /// An input-level error naming the file.
    pub fn input(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Input {
            path: path.into(),
            message: message.into(),
        }
    }

    /// A row-level error naming the file and line.
    pub fn row(path: impl Into<PathBuf>, line: u64, message: impl Into<String>) -> Self {
        Error::Row {
            path: path.into(),
            line,
            message: message.into(),
        }
    }

    /// A model-file error naming the file.
    pub fn model(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Model {
            path: path.into(),
            message: message.into(),
        }
    }

    /// True when the error concerns one row only and processing can go on.
    pub fn is_row_error(&self) -> bool {
        matches!(self, Error::Row { .. })
    }
}

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
