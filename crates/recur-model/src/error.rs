use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a behaviour-model call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input file has a line that cannot be read.
    #[error("{path}:{line}: {reason}")]
    BadInput {
        /// File.
        path: PathBuf,
        /// 1-based line (0 when the whole file is at fault).
        line: usize,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The data cannot train or evaluate a model (too few customers, no item twice...).
    #[error("not enough data: {0}")]
    NotEnoughData(String),
    /// A setting is out of range.
    #[error("invalid setting: {0}")]
    BadConfig(String),
    /// A saved model folder is missing a file or does not match this version.
    #[error("model folder `{path}`: {reason}")]
    BadArtefact {
        /// Folder or file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A customer id the model has never seen.
    #[error(
        "unknown customer `{0}`: the workspace has no orders or product events of this id; check the id (see `recur analyze --customer`)"
    )]
    UnknownCustomer(String),
    /// A product the model never saw.
    #[error(
        "unknown product `{0}`: no customer's history holds it, so the model has no neighbours for it; check the id or retrain after importing its orders or views"
    )]
    UnknownProduct(String),
    /// A file could not be read or written (the OS error follows in the error chain).
    #[error("cannot read or write `{path}`")]
    Io {
        /// File.
        path: PathBuf,
        /// OS error.
        #[source]
        source: std::io::Error,
    },
    /// A tensor operation failed (an internal error).
    #[error("tensor: {0}")]
    Candle(#[from] candle_core::Error),
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
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// Whether the caller's input or settings are at fault (as opposed to an internal error).
    /// Files are ones the caller named (datasets, model folders), so I/O errors count as theirs.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, Self::Candle(_))
    }
}
