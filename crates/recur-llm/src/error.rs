use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a language-runtime call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A model file or folder is missing.
    #[error("model `{path}` not found; {hint}")]
    ModelNotFound {
        /// What was looked for.
        path: PathBuf,
        /// What to do.
        hint: String,
    },
    /// A model file exists but cannot be used.
    #[error("model `{path}` cannot be used: {reason}")]
    BadModel {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A request is invalid (bad sampling settings, an empty prompt, a prompt too long...).
    #[error("{0}")]
    BadRequest(String),
    /// A JSON schema uses something the constrained decoder does not support, or is invalid.
    #[error("JSON schema: {0}")]
    Schema(String),
    /// A chat template failed to render.
    #[error("chat template: {0}")]
    Template(String),
    /// An HTTP endpoint answered with an error status.
    #[error("{url} answered HTTP {status}: {body}{hint}")]
    Http {
        /// Endpoint.
        url: String,
        /// HTTP status.
        status: u16,
        /// The start of the response body.
        body: String,
        /// What to do, starting with `; ` (empty when there is nothing to add).
        hint: String,
    },
    /// An HTTP endpoint could not be reached or its answer could not be read.
    #[error("{url}: {reason}")]
    Unreachable {
        /// Endpoint.
        url: String,
        /// What failed (after retries).
        reason: String,
    },
    /// An HTTP endpoint accepted the request but did not answer within the time limit.
    #[error(
        "{url}: no answer within {seconds} s (after retries); the server is running but too slow \
         for this limit: raise llm.timeout_seconds (RECUR_LLM_TIMEOUT_SECONDS), ask for fewer \
         tokens, or use a smaller model"
    )]
    Timeout {
        /// Endpoint.
        url: String,
        /// The limit for one request, in seconds.
        seconds: f64,
    },
    /// An HTTP endpoint answered, but not with something usable (not the documented shape, or
    /// not JSON of the requested schema).
    #[error("{url} answered, but the answer cannot be used: {reason}")]
    BadAnswer {
        /// Endpoint.
        url: String,
        /// What is wrong with the answer, and what to do.
        reason: String,
    },
    /// A file could not be read.
    #[error("could not read `{path}`: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// OS error.
        #[source]
        source: std::io::Error,
    },
    /// The tensor library failed (a bug, or a model file that lies about its shapes).
    #[error("model computation failed: {0}")]
    Candle(#[from] candle_core::Error),
    /// The tokenizer library failed.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The requested device cannot be used.
    #[error("device `{device}` cannot be used: {reason}")]
    Device {
        /// The device asked for.
        device: recur_core::ComputeDevice,
        /// Why, and what to do.
        reason: String,
    },
}

impl Error {
    /// Whether the error is the user's to fix (input, settings, environment) rather than a bug.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, Error::Candle(_) | Error::Tokenizer(_))
    }

    pub(crate) fn tokenizer(e: impl std::fmt::Display) -> Error {
        Error::Tokenizer(e.to_string())
    }
}
