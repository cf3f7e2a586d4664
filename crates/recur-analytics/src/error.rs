/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Analytics errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// There is nothing to analyse.
    #[error(
        "no completed orders with a customer id are stored; import orders first (`recur import orders --file ...`)"
    )]
    NoOrders,
    /// A customer id is not in the data.
    #[error("customer `{0}` has no completed orders in this workspace")]
    UnknownCustomer(String),
    /// An option is out of range.
    #[error("{0}")]
    BadOption(String),
    /// A user's query is not valid (syntax, unknown table or column, a statement that would
    /// write).
    #[error("the query cannot run: {message}")]
    Query {
        /// The engine's message, with the query line and a caret when it names a position.
        message: String,
        /// 1-based line of the position, when the message names one.
        line: Option<usize>,
        /// 1-based column.
        column: Option<usize>,
    },
    /// The analysis needs more memory than the session may use, even spilling to disk.
    #[error(
        "the analysis needs more memory than the {limit_mb} MB recur may use ({message}); raise `analytics.memory_limit_mb` in recur.toml (or RECUR_MEMORY_LIMIT_MB), free disk space in the temporary folder for spilling, or analyse a shorter period"
    )]
    OutOfMemory {
        /// The limit in MB.
        limit_mb: usize,
        /// The query engine's message.
        message: String,
    },
    /// The query engine failed: a bug in recur or a damaged Parquet file.
    #[error("query failed (a bug in recur or a damaged data file; please report it): {0}")]
    Engine(datafusion::error::DataFusionError),
    /// Internal error.
    #[error("internal error (a bug in recur, please report it): {0}")]
    Internal(String),
}

impl From<datafusion::error::DataFusionError> for Error {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        use datafusion::error::DataFusionError;
        match e.find_root() {
            DataFusionError::ResourcesExhausted(message) => Error::OutOfMemory {
                limit_mb: 0,
                message: message.clone(),
            },
            _ => Error::Engine(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_out_of_the_memory_pool_is_not_a_bug() {
        use datafusion::error::DataFusionError;
        let e = Error::from(DataFusionError::Context(
            "sorting".into(),
            Box::new(DataFusionError::ResourcesExhausted("pool full".into())),
        ));
        assert!(matches!(e, Error::OutOfMemory { .. }), "{e:?}");
        assert!(e.to_string().contains("analytics.memory_limit_mb"), "{e}");
        let bug = Error::from(DataFusionError::Internal("x".into()));
        assert!(matches!(bug, Error::Engine(_)));
    }
}
