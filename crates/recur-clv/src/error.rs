/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a model could not be fitted or evaluated.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Error {
    /// The data cannot identify the model's parameters.
    #[error("model not identifiable: {reason}; what to do: {hint}")]
    NotIdentifiable {
        /// What is wrong with the data.
        reason: String,
        /// What to do about it.
        hint: &'static str,
    },
    /// A customer summary is invalid.
    #[error("invalid summary for customer `{customer}`: {reason}")]
    BadSummary {
        /// Customer id.
        customer: String,
        /// What is wrong.
        reason: String,
    },
    /// The optimiser failed.
    #[error(
        "the fit did not converge: {0}; try another calibration period or check the data for outliers"
    )]
    NoConvergence(String),
}
