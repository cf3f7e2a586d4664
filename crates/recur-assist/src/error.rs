//! Errors of the assistant crate.

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A knowledge file could not be read as the format it claims to be.
    #[error("{file}:{line}: {reason}; {hint}")]
    BadKnowledge {
        /// The file as given.
        file: String,
        /// 1-based line (0 when the whole file is at fault).
        line: usize,
        /// What is wrong.
        reason: String,
        /// What to do.
        hint: String,
    },
    /// A guidelines file for intent routing is not in the expected shape.
    #[error(
        "{file}: not a guidelines file ({reason}); expected an object of flows, each with `subflows` of `instructions`"
    )]
    BadGuidelines {
        /// The file.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// The order tool failed.
    #[error("looking up the customer's orders failed: {0}")]
    Tool(String),
    /// The language model failed.
    #[error("the language model failed: {0}")]
    Model(String),
    /// Retrieval failed.
    #[error(transparent)]
    Retrieval(#[from] recur_retrieval::Error),
}

impl Error {
    /// Whether the user can fix this (a bad file) rather than an internal failure.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Error::BadKnowledge { .. } | Error::BadGuidelines { .. }
        )
    }
}

/// Result with the crate's error.
pub type Result<T> = std::result::Result<T, Error>;
