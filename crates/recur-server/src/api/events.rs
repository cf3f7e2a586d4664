//! `POST /v1/events`: one event or a batch, durable before the answer.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::{Extension, Json};
use recur_engine::{LiveEvent, LiveKind, MAX_ID_BYTES, Scope};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::metrics::ShopLabels;
use crate::state::AppState;

/// Most events in one batch.
pub(crate) const MAX_BATCH: usize = 10_000;

/// Kind of event.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum EventType {
    View,
    Search,
    AddToCart,
    Purchase,
    Review,
}

/// One event from the shop's site.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventIn {
    /// What happened.
    #[serde(rename = "type")]
    pub(crate) kind: EventType,
    /// The customer's id in the shop.
    pub(crate) customer_id: String,
    /// The product (every type but `search`).
    pub(crate) product_id: Option<String>,
    /// When it happened (RFC 3339); default: when the server received it.
    pub(crate) occurred_at: Option<String>,
    /// Idempotency key: an event posted again with the same key is not stored twice.
    pub(crate) event_id: Option<String>,
    /// Search text (`search`).
    pub(crate) search_text: Option<String>,
    /// Anonymous session id.
    pub(crate) session_id: Option<String>,
    /// Order id (`purchase`).
    pub(crate) order_id: Option<String>,
    /// Units (`purchase`, default 1; negative for a return).
    pub(crate) quantity: Option<i64>,
    /// Price of one unit (`purchase`).
    pub(crate) unit_price: Option<f64>,
    /// ISO 4217 currency (`purchase`).
    pub(crate) currency: Option<String>,
    /// Stars 1-5 (`review`).
    pub(crate) rating: Option<u8>,
    /// Review text (`review`).
    pub(crate) review_text: Option<String>,
}

/// Several events at once (up to 10,000); stored all or none.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventBatch {
    /// The events.
    pub(crate) events: Vec<EventIn>,
    /// Idempotency key of the batch: event `i` without its own `event_id` gets
    /// `<key>#<i>`, so a retried batch stores nothing twice.
    pub(crate) idempotency_key: Option<String>,
}

/// A single event or a batch. Describes the body in the OpenAPI document; the handler reads
/// the body itself so that an invalid event is named with its index and field.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
#[expect(dead_code, reason = "only its schema is used")]
pub(crate) enum EventsBody {
    /// A batch.
    Batch(EventBatch),
    /// One event.
    One(Box<EventIn>),
}

/// What was stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct IngestResult {
    /// Events stored (durable on disk before this answer).
    pub(crate) accepted: usize,
    /// Events whose idempotency key was seen before (stored earlier, not again).
    pub(crate) duplicates: usize,
    /// Sequence number of the last event in the log.
    pub(crate) last_seq: u64,
    /// Events waiting to be folded into the snapshot.
    pub(crate) queue_depth: usize,
}

fn kind(k: EventType) -> LiveKind {
    match k {
        EventType::View => LiveKind::View,
        EventType::Search => LiveKind::Search,
        EventType::AddToCart => LiveKind::AddToCart,
        EventType::Purchase => LiveKind::Purchase,
        EventType::Review => LiveKind::Review,
    }
}

fn live_event(e: EventIn, now_micros: i64) -> Result<(Option<String>, LiveEvent), String> {
    let occurred_at = match &e.occurred_at {
        None => now_micros,
        Some(t) => chrono::DateTime::parse_from_rfc3339(t)
            .map_err(|err| {
                format!("field `occurred_at` is not an RFC 3339 time ({err}); send e.g. 2026-03-01T12:00:00Z")
            })?
            .timestamp_micros(),
    };
    if let Some(k) = &e.event_id
        && (k.is_empty() || k.len() > MAX_ID_BYTES)
    {
        return Err(format!(
            "field `event_id` must be 1 to {MAX_ID_BYTES} bytes"
        ));
    }
    let event = LiveEvent {
        kind: kind(e.kind),
        customer_id: e.customer_id.into(),
        product_id: e.product_id,
        occurred_at,
        search_text: e.search_text,
        session_id: e.session_id,
        order_id: e.order_id,
        quantity: e.quantity,
        unit_price: e.unit_price,
        currency: e.currency,
        rating: e.rating,
        review_text: e.review_text,
    }
    .validated()
    .map_err(|err| err.to_string())?;
    Ok((e.event_id, event))
}

/// Tells a batch from a single event without building the document.
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    events: Option<serde::de::IgnoredAny>,
}

/// Parses the body into keyed events; the first invalid event rejects the whole body.
fn parse(body: &[u8]) -> Result<Vec<(Option<String>, LiveEvent)>, ApiError> {
    let now = chrono::Utc::now().timestamp_micros();
    let probe: Probe = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("the body is not a JSON object ({e}); send one event or {{\"events\": [...]}}"),
        )
    })?;
    if probe.events.is_some() {
        let batch: EventBatch = serde_json::from_slice(body)
            .map_err(|e| ApiError::invalid(format!("the batch is not valid: {e}")))?;
        if batch.events.is_empty() || batch.events.len() > MAX_BATCH {
            return Err(ApiError::invalid(format!(
                "a batch holds 1 to {MAX_BATCH} events; split larger ones"
            )));
        }
        if let Some(k) = &batch.idempotency_key
            && (k.is_empty() || k.len() > MAX_ID_BYTES)
        {
            return Err(ApiError::invalid(format!(
                "field `idempotency_key` must be 1 to {MAX_ID_BYTES} bytes"
            )));
        }
        batch
            .events
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                let (key, event) = live_event(e, now).map_err(|m| {
                    ApiError::invalid(format!("events[{i}]: {m}; nothing was stored"))
                })?;
                let key =
                    key.or_else(|| batch.idempotency_key.as_ref().map(|b| format!("{b}#{i}")));
                Ok((key, event))
            })
            .collect()
    } else {
        let one: EventIn = serde_json::from_slice(body)
            .map_err(|e| ApiError::invalid(format!("the event is not valid: {e}")))?;
        Ok(vec![live_event(one, now).map_err(ApiError::invalid)?])
    }
}

/// Stores events durably (fsync) before answering; recommendations and profiles see them
/// at once, the stored tables after the next compaction.
#[utoipa::path(post, path = "/v1/events", tag = "events",
    request_body(content = EventsBody, description = "One event, or `{\"events\": [...]}`"),
    responses(
        (status = 200, description = "Stored", body = IngestResult),
        (status = 401, description = "No or unknown key", body = crate::error::ErrorBody),
        (status = 403, description = "The key lacks `write-events`", body = crate::error::ErrorBody),
        (status = 422, description = "An event is invalid; nothing stored", body = crate::error::ErrorBody),
        (status = 503, description = "Too many events wait for compaction; retry later", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])))]
pub(crate) async fn post_events(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<IngestResult>, ApiError> {
    caller.require(Scope::WriteEvents)?;
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the events as JSON with `Content-Type: application/json`",
        ));
    }
    let waiting = caller.shop.log.depth();
    if waiting >= state.config.max_queue {
        let mut e = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            format!(
                "{waiting} events wait to be folded into the tables; retry in a few seconds (the same idempotency keys are safe to resend)"
            ),
        );
        e.retry_after = Some(5);
        return Err(e);
    }
    let batch = parse(&body)?;
    let shop = caller.shop.clone();
    let appended = super::blocking(move || shop.log.append(batch)).await?;
    let labels = ShopLabels {
        shop: caller.shop.name.clone(),
    };
    state
        .metrics
        .events
        .get_or_create(&labels)
        .inc_by(appended.accepted as u64);
    state
        .metrics
        .duplicates
        .get_or_create(&labels)
        .inc_by(appended.duplicates as u64);
    Ok(Json(IngestResult {
        accepted: appended.accepted,
        duplicates: appended.duplicates,
        last_seq: appended.last_seq,
        queue_depth: caller.shop.log.depth(),
    }))
}
