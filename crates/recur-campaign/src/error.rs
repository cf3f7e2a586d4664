use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a campaign computation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input file has a malformed row.
    #[error("{path}:{line}: {message}; {hint}")]
    BadRow {
        /// File.
        path: PathBuf,
        /// 1-based line number (the header is line 1).
        line: u64,
        /// What is wrong.
        message: String,
        /// What to do.
        hint: &'static str,
    },
    /// A campaign definition is invalid.
    #[error("campaign definition `{path}` is invalid: {message}")]
    BadSpec {
        /// File.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The send ledger failed.
    #[error("send ledger `{path}`: {message}")]
    Ledger {
        /// Database file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// An input file could not be read.
    #[error("could not read `{path}`: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// OS error.
        #[source]
        source: std::io::Error,
    },
    /// The data cannot support the requested estimate.
    #[error("cannot estimate {what}: {reason}")]
    Insufficient {
        /// The estimate.
        what: String,
        /// Why not.
        reason: String,
    },
    /// Another run is sending the same campaign right now.
    #[error(
        "another `recur campaign send` is delivering campaign `{campaign}` right now (lock `{lock}`); wait for it to finish and run again if messages are left: nothing is ever sent twice"
    )]
    Busy {
        /// Campaign.
        campaign: String,
        /// The lock file held by the other run.
        lock: PathBuf,
    },
    /// The gradient-boosting library failed (a bug or an invariant broken by the input).
    #[error("uplift model training failed: {0}")]
    Model(String),
}

impl Error {
    /// Whether the error is the user's to fix (input) rather than a bug.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, Error::Model(_))
    }
}
