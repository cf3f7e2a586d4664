//! Customers: profile, recommendations, messages, the list by value at risk.

use std::sync::Arc;

use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use recur_engine::model::Exclude;
use recur_engine::{CustomerView, Scope};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::blocking;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::CachedRecs;

/// RFM values and scores.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Rfm {
    /// Days since the last order (to the data's end).
    pub(crate) recency_days: f64,
    /// Completed orders.
    pub(crate) frequency: u64,
    /// Gross revenue.
    pub(crate) monetary: f64,
    /// Recency score 1-5.
    pub(crate) r: u8,
    /// Frequency score 1-5.
    pub(crate) f: u8,
    /// Monetary score 1-5.
    pub(crate) m: u8,
}

/// Customer value (BG/NBD + Gamma-Gamma).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Value {
    /// Customer id.
    pub(crate) customer_id: String,
    /// Probability the customer is still active.
    pub(crate) p_alive: f64,
    /// Expected purchase days in the next 90 days.
    pub(crate) expected_purchases_90d: f64,
    /// Expected spend per purchase.
    pub(crate) expected_spend: f64,
    /// 12-month value.
    pub(crate) clv_12m: f64,
    /// Value lost if the customer has churned.
    pub(crate) value_at_risk: f64,
    /// Repeat purchase days so far.
    pub(crate) repeat_purchases: f64,
    /// Weeks since the last purchase.
    pub(crate) weeks_since_last_purchase: f64,
}

impl From<&recur_engine::CustomerValue> for Value {
    fn from(v: &recur_engine::CustomerValue) -> Self {
        Value {
            customer_id: v.customer_id.to_string(),
            p_alive: v.p_alive,
            expected_purchases_90d: v.expected_purchases_90d,
            expected_spend: v.expected_spend,
            clv_12m: v.clv_12m,
            value_at_risk: v.value_at_risk,
            repeat_purchases: v.repeat_purchases,
            weeks_since_last_purchase: v.weeks_since_last_purchase,
        }
    }
}

/// One order line.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OrderLine {
    /// Order id.
    pub(crate) order_id: String,
    /// When (RFC 3339).
    pub(crate) ordered_at: String,
    /// Product id.
    pub(crate) product_id: String,
    /// Title, when the catalogue has it.
    pub(crate) title: Option<String>,
}

/// Activity since the snapshot (live events).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LiveActivity {
    /// Events.
    pub(crate) events: usize,
    /// Views.
    pub(crate) views: usize,
    /// Searches.
    pub(crate) searches: usize,
    /// Add-to-cart events.
    pub(crate) carts: usize,
    /// Purchased lines.
    pub(crate) purchases: usize,
    /// Reviews.
    pub(crate) reviews: usize,
    /// Latest event time (RFC 3339).
    pub(crate) last_event_at: Option<String>,
    /// Latest searches, newest first.
    pub(crate) recent_searches: Vec<String>,
}

/// Contact data: only for keys with the `personal` scope.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Contact {
    /// Name.
    pub(crate) name: Option<String>,
    /// E-mail address.
    pub(crate) email: Option<String>,
}

/// One customer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Customer {
    /// Customer id.
    pub(crate) customer_id: String,
    /// RFM segment (`Champions`, `At Risk`, ...); absent without completed orders.
    pub(crate) segment: Option<String>,
    /// RFM values and scores.
    pub(crate) rfm: Option<Rfm>,
    /// Customer value.
    pub(crate) value: Option<Value>,
    /// The category bought most.
    pub(crate) favourite_category: Option<String>,
    /// The latest order lines, newest first.
    pub(crate) recent_orders: Vec<OrderLine>,
    /// Activity since the snapshot.
    pub(crate) live: LiveActivity,
    /// Contact data (only with the `personal` scope).
    pub(crate) contact: Option<Contact>,
}

fn customer_of(v: CustomerView, contact: Option<Contact>) -> Customer {
    Customer {
        segment: v.rfm.as_ref().map(|r| r.segment.to_string()),
        rfm: v.rfm.map(|r| Rfm {
            recency_days: r.recency_days,
            frequency: r.frequency,
            monetary: r.monetary,
            r: r.r,
            f: r.f,
            m: r.m,
        }),
        value: v.value.as_ref().map(Value::from),
        customer_id: v.customer_id.into_string(),
        favourite_category: v.favourite_category,
        recent_orders: v
            .recent_orders
            .into_iter()
            .map(|l| OrderLine {
                order_id: l.order_id,
                ordered_at: l.ordered_at,
                product_id: l.product_id,
                title: l.title,
            })
            .collect(),
        live: LiveActivity {
            events: v.live.events,
            views: v.live.views,
            searches: v.live.searches,
            carts: v.live.carts,
            purchases: v.live.purchases,
            reviews: v.live.reviews,
            last_event_at: v.live.last_event_at,
            recent_searches: v.live.recent_searches,
        },
        contact,
    }
}

fn unknown_customer() -> ApiError {
    ApiError::not_found(
        "no customer with this id in the workspace or its live events; check the id",
    )
}

/// A customer's profile: segment, RFM, P(alive), CLV, latest orders, live activity.
#[utoipa::path(get, path = "/v1/customers/{id}", tag = "customers",
    params(("id" = String, Path, description = "Customer id")),
    responses(
        (status = 200, description = "The customer", body = Customer),
        (status = 404, description = "Unknown customer", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])))]
pub(crate) async fn get_customer(
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Customer>, ApiError> {
    caller.require(Scope::Read)?;
    let (_, view) = caller.shop.view();
    let recent = caller.shop.recent(&view, &id);
    let found = view.customer(&id, &recent).ok_or_else(unknown_customer)?;
    let contact = if caller.key.allows(Scope::Personal) {
        view.contact(&id).map(|c| Contact {
            name: c.name.clone(),
            email: c.email.clone(),
        })
    } else {
        None
    };
    Ok(Json(customer_of(found, contact)))
}

/// Query of the recommendations.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RecsQuery {
    /// How many products (1-100, default 10).
    k: Option<usize>,
    /// Leave out products the customer already bought or viewed (durable goods).
    exclude_seen: Option<bool>,
}

/// One recommended product.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RecommendedItem {
    /// Product id.
    pub(crate) product_id: String,
    /// Title, when known.
    pub(crate) title: Option<String>,
    /// Price, when known.
    pub(crate) price: Option<f64>,
    /// Score (higher is better; comparable within one list).
    pub(crate) score: f32,
    /// Whether the customer bought or viewed it before.
    pub(crate) seen_before: bool,
}

impl From<recur_engine::RecommendedItem> for RecommendedItem {
    fn from(i: recur_engine::RecommendedItem) -> Self {
        RecommendedItem {
            product_id: i.product_id,
            title: i.title,
            price: i.price,
            score: i.score,
            seen_before: i.seen_before,
        }
    }
}

/// A customer's recommendations.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Recommendations {
    /// Customer id.
    pub(crate) customer_id: String,
    /// The model that ranked them.
    pub(crate) model: String,
    /// Events in the history scored (stored and live).
    pub(crate) history_events: usize,
    /// Live events among them (after the snapshot).
    pub(crate) live_events: usize,
    /// Probability of a purchase within 90 days: always null today (the behaviour model's
    /// time head measured barely better than chance; use the customer's P(alive)).
    pub(crate) p_purchase_90d: Option<f32>,
    /// Best first.
    pub(crate) items: Vec<RecommendedItem>,
}

fn json_bytes(body: Arc<[u8]>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        axum::body::Bytes::copy_from_slice(&body),
    )
        .into_response()
}

/// The products the customer most likely wants next; live events count at once (the model
/// scores the longer history without retraining).
#[utoipa::path(get, path = "/v1/customers/{id}/recommendations", tag = "customers",
    params(("id" = String, Path, description = "Customer id"), RecsQuery),
    responses(
        (status = 200, description = "Recommendations", body = Recommendations),
        (status = 404, description = "Unknown customer", body = crate::error::ErrorBody),
        (status = 503, description = "No model trained yet", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])))]
pub(crate) async fn recommendations(
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<RecsQuery>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    let k = q.k.unwrap_or(10);
    if !(1..=100).contains(&k) {
        return Err(ApiError::invalid("`k` must be from 1 to 100"));
    }
    let exclude_seen = q.exclude_seen.unwrap_or(false);
    let shop = caller.shop.clone();
    let (generation, view) = shop.view();
    let recent = shop.recent(&view, &id);
    let cache_key = (id.clone(), k, exclude_seen);
    {
        let cache = shop
            .recs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = cache.get(&cache_key)
            && c.generation == generation
            && c.live_events == recent.len()
        {
            return Ok(json_bytes(c.body.clone()));
        }
    }
    let live_events = recent.len();
    let scored = tokio::task::spawn_blocking(move || {
        let exclude = if exclude_seen {
            Exclude::Seen
        } else {
            Exclude::Nothing
        };
        view.recommend(&id, &recent, k, exclude)
    })
    .await
    .map_err(|e| ApiError::internal(format!("scoring failed: {e}")))?
    .map_err(|e| match e {
        recur_engine::Error::Model(ref m) if m.to_string().starts_with("unknown customer") => {
            unknown_customer()
        }
        other => ApiError::from(other),
    })?;
    let body = Recommendations {
        customer_id: scored.customer_id.into_string(),
        model: scored.model,
        history_events: scored.history_events,
        live_events,
        p_purchase_90d: scored.p_purchase_90d,
        items: scored
            .items
            .into_iter()
            .map(RecommendedItem::from)
            .collect(),
    };
    let bytes: Arc<[u8]> = serde_json::to_vec(&body)
        .map_err(|e| ApiError::internal(e.to_string()))?
        .into();
    let mut cache = shop
        .recs
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if cache.len() >= 200_000 {
        cache.clear();
    }
    cache.insert(
        cache_key,
        CachedRecs {
            generation,
            live_events,
            body: bytes.clone(),
        },
    );
    Ok(json_bytes(bytes))
}

/// Query of the messages.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct MessagesQuery {
    /// How many (1-200, default 20).
    limit: Option<usize>,
}

/// A campaign message to the customer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Message {
    /// Campaign id.
    pub(crate) campaign: String,
    /// Message-ID.
    pub(crate) message_id: String,
    /// `queued`, `sending`, `sent`, `failed` or `suppressed`.
    pub(crate) status: String,
    /// Delivery attempts.
    pub(crate) attempts: u32,
    /// When it was sent (RFC 3339).
    pub(crate) sent_at: Option<String>,
    /// Subject (empty for SMS or after erasure).
    pub(crate) subject: String,
    /// Body (empty after erasure).
    pub(crate) body: String,
    /// The offer.
    pub(crate) offer: String,
}

/// The customer's campaign messages, newest first.
#[utoipa::path(get, path = "/v1/customers/{id}/messages", tag = "customers",
    params(("id" = String, Path, description = "Customer id"), MessagesQuery),
    responses((status = 200, description = "Messages", body = Vec<Message>)),
    security(("bearer" = [])))]
pub(crate) async fn messages(
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<MessagesQuery>,
) -> Result<Json<Vec<Message>>, ApiError> {
    caller.require(Scope::Read)?;
    let limit = q.limit.unwrap_or(20);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("`limit` must be from 1 to 200"));
    }
    let shop = caller.shop.clone();
    let found = blocking(move || recur_engine::customer_messages(&shop.ws, &id, limit)).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|m| Message {
                campaign: m.campaign,
                message_id: m.message_id,
                status: serde_json::to_value(m.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                attempts: m.attempts,
                sent_at: m
                    .sent_at
                    .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                subject: m.subject,
                body: m.body,
                offer: m.offer,
            })
            .collect(),
    ))
}

/// Query of the customer list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Only this RFM segment (e.g. `At Risk`).
    segment: Option<String>,
    /// How many (1-500, default 50).
    limit: Option<usize>,
}

/// Customers by value at risk, highest first.
#[utoipa::path(get, path = "/v1/customers", tag = "customers",
    params(ListQuery),
    responses((status = 200, description = "Customers", body = Vec<Value>)),
    security(("bearer" = [])))]
pub(crate) async fn list(
    Extension(caller): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<Value>>, ApiError> {
    caller.require(Scope::Read)?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("`limit` must be from 1 to 500"));
    }
    let segment =
        match q.segment.as_deref() {
            None | Some("") => None,
            Some(s) => Some(s.parse().map_err(|e: recur_engine::CoreError| {
                ApiError::invalid(format!("`segment`: {e}"))
            })?),
        };
    let (_, view) = caller.shop.view();
    Ok(Json(
        view.at_risk(segment, limit)
            .iter()
            .map(Value::from)
            .collect(),
    ))
}
