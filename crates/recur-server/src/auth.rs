//! API keys on every `/v1` request but the OpenAPI document and its page: the key picks the
//! workspace and its scopes; each key has a token bucket.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use recur_engine::{KeyRecord, Scope};

use crate::error::ApiError;
use crate::state::{AppState, Shop};

/// Who is calling: the key's workspace and record.
#[derive(Clone)]
pub(crate) struct Caller {
    pub(crate) shop: Arc<Shop>,
    pub(crate) key: KeyRecord,
}

impl Caller {
    /// 403 unless the key has `scope`.
    pub(crate) fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.key.allows(scope) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "this key (`{}`) lacks the `{scope}` scope; make one with `recur keys create --scope {scope}`",
                    self.key.id
                ),
            ))
        }
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets per key id.
pub(crate) struct RateLimiter {
    rate: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub(crate) fn new(rate: f64) -> Self {
        RateLimiter {
            rate: rate.max(0.1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token; `Err(seconds to wait)` when the bucket is empty.
    pub(crate) fn take(&self, key: &str) -> Result<(), f64> {
        let burst = self.rate * 2.0;
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let b = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * self.rate).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err((1.0 - b.tokens) / self.rate)
        }
    }
}

fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let v = v.trim();
        return v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .map(str::trim);
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Resolves the key, checks its rate, and hands the [`Caller`] to the handler.
pub(crate) async fn authenticate(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(presented) = presented_key(request.headers()) else {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "no API key; send `Authorization: Bearer KEY` (make one with `recur keys create --scope read`)",
        )
        .into_response();
    };
    let found = state
        .shops
        .iter()
        .find_map(|s| s.key(presented).map(|k| (s.clone(), k)));
    let Some((shop, key)) = found else {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the API key is not valid for any workspace served here; check it, or make one with `recur keys create`",
        )
        .into_response();
    };
    if let Err(wait) = state.limiter.take(&key.id) {
        let secs = wait.ceil().max(1.0) as u64;
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "this key made more than {} requests a second; retry after {secs} s",
                state.config.rate_limit_per_second
            ),
        );
        e.retry_after = Some(secs);
        return e.into_response();
    }
    request.extensions_mut().insert(Caller { shop, key });
    next.run(request).await
}
