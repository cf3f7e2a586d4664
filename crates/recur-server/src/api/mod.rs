//! The `/v1` resources, one file per area.

pub(crate) mod assist;
pub(crate) mod campaigns;
pub(crate) mod customers;
pub(crate) mod events;
pub(crate) mod insights;
pub(crate) mod reviews;
pub(crate) mod search;
pub(crate) mod sends;

use crate::error::ApiError;

/// Runs engine work (queries, models, the ledger, fsync) on the blocking pool, off the
/// threads that serve requests.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> recur_engine::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::internal(format!("a worker task failed: {e}")))?
        .map_err(ApiError::from)
}
