//! Operations: request ids, the one error shape, access log lines, health and metrics.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody, ErrorDetail};
use crate::metrics::{RouteLabels, ShopLabels};
use crate::state::AppState;

/// A request id: unique within a run, sortable, free of anything the client sent.
fn request_id(state: &AppState) -> String {
    let n = state.next_request.fetch_add(1, Ordering::Relaxed);
    format!("{:x}-{n:x}", state.started.elapsed().as_micros())
}

fn error_response(status: StatusCode, code: &str, message: String, id: &str) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.to_owned(),
            message,
            request_id: id.to_owned(),
        },
    };
    (status, Json(body)).into_response()
}

/// Gives each request an id (the `x-request-id` header), renders every error in the one
/// JSON shape, records latency by route, and writes an access log line without personal
/// data (the route template, never the path with its ids).
pub(crate) async fn request_layer(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let id = request_id(&state);
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    // A declared length over the limit is refused before a byte of the body is read (the
    // body limit below still guards a chunked body that grows past it).
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let response = match declared {
        Some(n) if n > state.config.max_body_bytes as u64 => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the body is {n} bytes, over this server's limit of {} bytes; send the events in smaller batches",
                state.config.max_body_bytes
            ),
        )
        .into_response(),
        _ => next.run(request).await,
    };
    let status = response.status();
    let mut response = if let Some(e) = response.extensions().get::<ApiError>().cloned() {
        if e.status.is_server_error() && e.code == "internal" {
            // The detail (which may name files or carry a backtrace) stays in the log.
            let detail = e.message.lines().next().unwrap_or_default();
            eprintln!(
                "{}",
                serde_json::json!({"level": "error", "request_id": id, "route": route, "error": detail})
            );
            error_response(
                e.status,
                e.code,
                format!(
                    "internal error (a bug); the server log has the details under request id {id}; please report it"
                ),
                &id,
            )
        } else {
            let mut r = error_response(e.status, e.code, e.message, &id);
            if let Some(secs) = e.retry_after {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            r
        }
    } else if (status.is_client_error() || status.is_server_error())
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_none_or(|v| !v.as_bytes().starts_with(b"application/json"))
    {
        // A rejection by the framework (bad JSON, wrong content type, body too large).
        let text = axum::body::to_bytes(response.into_body(), 16 * 1024)
            .await
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let message = if text.trim().is_empty() {
            status
                .canonical_reason()
                .unwrap_or("request failed")
                .to_owned()
        } else {
            text
        };
        error_response(status, ApiError::code_for(status), message, &id)
    } else {
        response
    };
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    let elapsed = started.elapsed();
    state
        .metrics
        .latency
        .get_or_create(&RouteLabels {
            method: method.clone(),
            route: route.clone(),
            status: response.status().as_u16(),
        })
        .observe(elapsed.as_secs_f64());
    if state.config.access_log {
        let line = serde_json::json!({
            "at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "request_id": id,
            "method": method,
            "route": route,
            "status": response.status().as_u16(),
            "ms": (elapsed.as_secs_f64() * 1e6).round() / 1e3,
        });
        eprintln!("{line}");
    }
    response
}

/// Liveness and readiness.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Health {
    /// `live` or `ready`.
    pub(crate) status: &'static str,
    /// Seconds since the server started.
    pub(crate) uptime_seconds: u64,
    /// Workspaces served.
    pub(crate) shops: usize,
}

/// The process is up.
#[utoipa::path(get, path = "/health/live", tag = "operations",
    responses((status = 200, description = "The process answers", body = Health)))]
pub(crate) async fn live(State(state): State<Arc<AppState>>) -> Json<Health> {
    Json(Health {
        status: "live",
        uptime_seconds: state.started.elapsed().as_secs(),
        shops: state.shops.len(),
    })
}

/// Every workspace has a snapshot to answer from.
#[utoipa::path(get, path = "/health/ready", tag = "operations",
    responses((status = 200, description = "Ready to answer", body = Health)))]
pub(crate) async fn ready(State(state): State<Arc<AppState>>) -> Json<Health> {
    Json(Health {
        status: "ready",
        uptime_seconds: state.started.elapsed().as_secs(),
        shops: state.shops.len(),
    })
}

/// Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus metrics (OpenMetrics text)", content_type = "application/openmetrics-text", body = String)))]
pub(crate) async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    for shop in &state.shops {
        state
            .metrics
            .queue
            .get_or_create(&ShopLabels {
                shop: shop.name.clone(),
            })
            .set(i64::try_from(shop.log.depth()).unwrap_or(i64::MAX));
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
        .into_response()
}

/// Unknown routes.
pub(crate) async fn fallback() -> ApiError {
    ApiError::not_found(
        "no such route; the API is described at /v1/openapi.json and browsable at /v1/docs",
    )
}
