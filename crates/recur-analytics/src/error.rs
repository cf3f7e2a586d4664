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
    /// The query engine failed: a bug in recur or a damaged Parquet file.
    #[error("query failed (a bug in recur or a damaged data file; please report it): {0}")]
    Engine(#[from] datafusion::error::DataFusionError),
    /// Internal error.
    #[error("internal error (a bug in recur, please report it): {0}")]
    Internal(String),
}
