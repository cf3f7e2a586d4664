//! Errors: [`ApiError`] is what a client gets (one JSON shape, a stable code, what to do, the
//! request id); [`Error`] is what can stop the server from starting.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A workspace could not be opened or served.
    #[error(transparent)]
    Engine(#[from] recur_engine::Error),
    /// The address could not be bound.
    #[error(
        "cannot listen on {addr}: {error}; choose another address with --addr (or stop what runs there)"
    )]
    Bind {
        /// The address.
        addr: String,
        /// OS error.
        error: std::io::Error,
    },
    /// Serving failed.
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
    /// Two workspaces were given the same name.
    #[error(
        "two workspaces are served under the name `{0}`; give each folder a different last path component"
    )]
    DuplicateShop(String),
}

impl Error {
    /// Whether the error is the user's to fix (address in use, settings) rather than a bug.
    pub fn is_user_error(&self) -> bool {
        match self {
            Error::Engine(e) => e.is_user_error(),
            Error::Bind { .. } | Error::DuplicateShop(_) => true,
            Error::Serve(_) => false,
        }
    }
}

/// Result alias for starting the server.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// The error.
    pub(crate) error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ErrorDetail {
    /// Stable machine-readable code (`unauthorized`, `forbidden`, `not_found`,
    /// `invalid_request`, `rate_limited`, `payload_too_large`, `unavailable`, `internal`;
    /// campaigns: `not_approved`, `approval_outdated`, `nothing_to_approve`,
    /// `send_in_progress`, `delivery_not_configured`).
    pub(crate) code: String,
    /// What went wrong and what to do.
    pub(crate) message: String,
    /// The request's id (also in the `x-request-id` header); quote it in reports.
    pub(crate) request_id: String,
}

/// An error answer; the request-id layer renders it as [`ErrorBody`].
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    /// Seconds for a `Retry-After` header.
    pub(crate) retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
    }

    /// 409: the request conflicts with the campaign's state (`code` says how).
    pub(crate) fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub(crate) fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// A bug: the client is told so; the detail goes to the server's log under the request
    /// id (see `ops::request_layer`), never into the answer.
    pub(crate) fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail)
    }

    /// The code a status gets when no handler chose one (framework rejections).
    pub(crate) fn code_for(status: StatusCode) -> &'static str {
        match status {
            StatusCode::BAD_REQUEST => "bad_request",
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::CONFLICT => "conflict",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::UNPROCESSABLE_ENTITY => "invalid_request",
            StatusCode::TOO_MANY_REQUESTS => "rate_limited",
            StatusCode::SERVICE_UNAVAILABLE => "unavailable",
            s if s.is_client_error() => "bad_request",
            _ => "internal",
        }
    }
}

impl From<recur_engine::Error> for ApiError {
    fn from(e: recur_engine::Error) -> Self {
        use recur_engine::Error as E;
        let message = e.to_string();
        match &e {
            E::NoSuchCampaign { .. } | E::NoLedger { .. } => ApiError::not_found(message),
            E::Model(m) if m.is_user_error() => {
                if message.starts_with("unknown ") {
                    ApiError::not_found(message)
                } else {
                    ApiError::unavailable(message)
                }
            }
            E::NoModel => ApiError::unavailable(message),
            E::Ingest(recur_engine::IngestError::Locked(_))
            | E::Retrieval(recur_engine::RetrievalError::Busy { .. }) => {
                ApiError::unavailable(format!("{message}; retry in a few seconds"))
            }
            E::NotApproved { .. } => ApiError::conflict("not_approved", message),
            E::ApprovalOutdated { .. } => ApiError::conflict("approval_outdated", message),
            E::NothingToApprove { .. } => ApiError::conflict("nothing_to_approve", message),
            E::Campaign(recur_engine::CampaignError::Busy { campaign, .. }) => ApiError::conflict(
                "send_in_progress",
                format!(
                    "campaign `{campaign}` is being sent by another run right now; wait for it (GET /v1/campaigns/{campaign}/sends) and send again if messages are left: nothing is ever sent twice"
                ),
            ),
            _ if e.is_user_error() => ApiError::invalid(message),
            _ => ApiError::internal(message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let mut response = status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}
