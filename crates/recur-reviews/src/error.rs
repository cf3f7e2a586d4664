//! The crate's one error type: the user's mistakes apart from internal failures.

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors of review intelligence.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A dataset or labelled file has a malformed line.
    #[error("{path}:{line}: {message}; {hint}")]
    BadInput {
        /// File.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
        /// What to do.
        hint: &'static str,
    },
    /// Too few labelled reviews, or only one class, to train or evaluate.
    #[error("{0}")]
    NotEnoughData(String),
    /// An option has a value outside its range.
    #[error("option `{name}` = `{value}` is invalid: {hint}")]
    BadOption {
        /// Option.
        name: &'static str,
        /// Value given.
        value: String,
        /// What to do.
        hint: &'static str,
    },
    /// A saved sentiment model is missing, unreadable or from an incompatible version.
    #[error(
        "the review sentiment model in `{path}` cannot be used: {message}; train it again with `recur reviews train`"
    )]
    BadArtefact {
        /// Folder or file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A file the user named could not be read.
    #[error("could not read `{path}`: {error}; check the path and that the file is readable")]
    ReadInput {
        /// File.
        path: PathBuf,
        /// OS error.
        error: std::io::Error,
    },
    /// A file could not be written.
    #[error("could not write `{path}`: {error}")]
    Write {
        /// File.
        path: PathBuf,
        /// OS error.
        error: std::io::Error,
    },
    /// The caller's sentence embedder failed (the embedding-head comparison).
    #[error("the sentence embedder failed: {0}")]
    Embedding(String),
    /// A bug in recur.
    #[error("internal error in review intelligence (a bug; please report it): {0}")]
    Internal(String),
}

impl Error {
    /// Whether the error is the user's to fix (input, options, a stale model) rather than a bug
    /// or the machine's.
    pub fn is_user_error(&self) -> bool {
        match self {
            Error::BadInput { .. }
            | Error::NotEnoughData(_)
            | Error::BadOption { .. }
            | Error::BadArtefact { .. }
            | Error::ReadInput { .. } => true,
            Error::Write { .. } | Error::Embedding(_) | Error::Internal(_) => false,
        }
    }
}
