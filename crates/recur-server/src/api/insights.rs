//! The shop as a whole: status, analytics, segments, customer value, the behaviour model,
//! similar products.

use axum::extract::{Path, Query};
use axum::{Extension, Json};
use recur_engine::Scope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::customers::{RecommendedItem, Value};
use crate::auth::Caller;
use crate::error::ApiError;

/// Something the snapshot could not build.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Problem {
    /// `analytics`, `value`, `model` or `campaigns`.
    pub(crate) part: String,
    /// Why, and what to do.
    pub(crate) message: String,
}

/// The workspace the key belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Status {
    /// Workspace name.
    pub(crate) shop: String,
    /// When the served snapshot was built (RFC 3339).
    pub(crate) snapshot_built_at: String,
    /// Last live event folded into the stored tables.
    pub(crate) snapshot_through_seq: u64,
    /// Live events not yet in the snapshot.
    pub(crate) queue_depth: usize,
    /// Customers known.
    pub(crate) customers: usize,
    /// The model ranking recommendations.
    pub(crate) model: Option<String>,
    /// The key's scopes.
    pub(crate) scopes: Vec<String>,
    /// Parts that could not be built.
    pub(crate) problems: Vec<Problem>,
}

/// What the key sees: workspace, snapshot, queue, problems.
#[utoipa::path(get, path = "/v1/status", tag = "shop",
    responses((status = 200, description = "Status", body = Status)),
    security(("bearer" = [])))]
pub(crate) async fn status(Extension(caller): Extension<Caller>) -> Json<Status> {
    let (_, view) = caller.shop.view();
    Json(Status {
        shop: caller.shop.name.clone(),
        snapshot_built_at: view.built_at().to_owned(),
        snapshot_through_seq: view.through_seq(),
        queue_depth: caller.shop.log.depth(),
        customers: view.customers(),
        model: view.model_name().map(str::to_owned),
        scopes: caller.key.scopes.iter().map(|s| s.to_string()).collect(),
        problems: view
            .problems()
            .iter()
            .map(|p| Problem {
                part: p.part.to_owned(),
                message: p.message.clone(),
            })
            .collect(),
    })
}

fn no_analytics() -> ApiError {
    ApiError::unavailable(
        "the workspace has no analysable orders yet; import orders (`recur import`) or post purchase events",
    )
}

/// Overview, repurchase rate, cohorts, inter-purchase times and RFM segments (the same
/// document as `recur analyze --json`).
#[utoipa::path(get, path = "/v1/analytics", tag = "shop",
    responses(
        (status = 200, description = "The analytics report", body = Object),
        (status = 503, description = "No orders yet", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])))]
pub(crate) async fn analytics(
    Extension(caller): Extension<Caller>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(Scope::Read)?;
    let (_, view) = caller.shop.view();
    let report = view.report().ok_or_else(no_analytics)?;
    Ok(Json(
        serde_json::to_value(report).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}

/// One RFM segment.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Segment {
    /// Name.
    pub(crate) segment: String,
    /// Customers.
    pub(crate) customers: u64,
    /// Share of customers.
    pub(crate) share: f64,
    /// Revenue of its customers.
    pub(crate) revenue: f64,
    /// Share of revenue.
    pub(crate) revenue_share: f64,
    /// Mean days since the last order.
    pub(crate) avg_recency_days: f64,
    /// Mean orders.
    pub(crate) avg_orders: f64,
}

/// RFM segments with size and revenue.
#[utoipa::path(get, path = "/v1/segments", tag = "shop",
    responses((status = 200, description = "Segments", body = Vec<Segment>),
        (status = 503, description = "No orders yet", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn segments(
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<Segment>>, ApiError> {
    caller.require(Scope::Read)?;
    let (_, view) = caller.shop.view();
    let report = view.report().ok_or_else(no_analytics)?;
    Ok(Json(
        report
            .rfm_segments
            .iter()
            .map(|s| Segment {
                segment: s.segment.to_string(),
                customers: s.customers,
                share: s.share,
                revenue: s.revenue,
                revenue_share: s.revenue_share,
                avg_recency_days: s.avg_recency_days,
                avg_orders: s.avg_orders,
            })
            .collect(),
    ))
}

/// One histogram bin.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Bin {
    /// Lower edge (inclusive).
    pub(crate) lo: f64,
    /// Upper edge (exclusive; the last bin includes it).
    pub(crate) hi: f64,
    /// Customers in the bin.
    pub(crate) count: usize,
}

/// Customer value across the shop.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ValueSummary {
    /// Customers valued.
    pub(crate) customers: usize,
    /// Sum of 12-month values.
    pub(crate) total_clv_12m: f64,
    /// Sum of value at risk.
    pub(crate) total_value_at_risk: f64,
    /// Customers with P(alive) under 0.5.
    pub(crate) likely_gone: usize,
    /// Distribution of 12-month value (20 bins up to the 99th percentile, the rest in the last).
    pub(crate) clv_histogram: Vec<Bin>,
    /// Distribution of P(alive) (10 bins of 0.1).
    pub(crate) p_alive_histogram: Vec<Bin>,
    /// The 20 customers with the most value at risk.
    pub(crate) top_at_risk: Vec<Value>,
    /// BG/NBD and Gamma-Gamma fits (parameters, log-likelihood, convergence).
    #[schema(value_type = Object)]
    pub(crate) fits: serde_json::Value,
}

fn histogram(values: &[f64], lo: f64, hi: f64, bins: usize) -> Vec<Bin> {
    let width = ((hi - lo) / bins as f64).max(f64::MIN_POSITIVE);
    let mut out: Vec<Bin> = (0..bins)
        .map(|i| Bin {
            lo: lo + width * i as f64,
            hi: lo + width * (i + 1) as f64,
            count: 0,
        })
        .collect();
    for &v in values {
        if v.is_finite() {
            let i = (((v - lo) / width).floor().max(0.0) as usize).min(bins - 1);
            out[i].count += 1;
        }
    }
    out
}

/// Customer value: totals, distributions, the customers most at risk, the model fits.
#[utoipa::path(get, path = "/v1/value", tag = "shop",
    responses((status = 200, description = "Customer value", body = ValueSummary),
        (status = 503, description = "The value models could not be fitted", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn value(
    Extension(caller): Extension<Caller>,
) -> Result<Json<ValueSummary>, ApiError> {
    caller.require(Scope::Read)?;
    let (_, view) = caller.shop.view();
    let v = view.value().ok_or_else(|| {
        ApiError::unavailable(
            "customer value is not available: the value models could not be fitted on this workspace (see /v1/status)",
        )
    })?;
    let mut clv: Vec<f64> = v.customers.iter().map(|c| c.clv_12m).collect();
    clv.sort_by(f64::total_cmp);
    let p99 = clv
        .get(((clv.len() as f64) * 0.99) as usize)
        .copied()
        .unwrap_or(0.0)
        .max(1e-9);
    let p_alive: Vec<f64> = v.customers.iter().map(|c| c.p_alive).collect();
    Ok(Json(ValueSummary {
        customers: v.customers.len(),
        total_clv_12m: clv.iter().sum(),
        total_value_at_risk: v.customers.iter().map(|c| c.value_at_risk).sum(),
        likely_gone: v.customers.iter().filter(|c| c.p_alive < 0.5).count(),
        clv_histogram: histogram(&clv, 0.0, p99, 20),
        p_alive_histogram: histogram(&p_alive, 0.0, 1.0, 10),
        top_at_risk: view.at_risk(None, 20).iter().map(Value::from).collect(),
        fits: serde_json::json!({ "bgnbd": v.bgnbd, "gamma_gamma": v.gamma_gamma }),
    }))
}

/// A model's validation score.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ModelScore {
    /// Model name.
    pub(crate) model: String,
    /// NDCG@10 on each customer's last order (validation split).
    pub(crate) ndcg_at_10: f64,
}

/// The behaviour model in use and the comparison that chose it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ModelInfo {
    /// The model ranking recommendations.
    pub(crate) in_use: Option<String>,
    /// The model selection chose (best on validation).
    pub(crate) chosen: Option<String>,
    /// Every model compared.
    pub(crate) comparison: Vec<ModelScore>,
}

/// The behaviour model: which one ranks, and how the candidates compared.
#[utoipa::path(get, path = "/v1/model", tag = "shop",
    responses((status = 200, description = "The model", body = ModelInfo)),
    security(("bearer" = [])))]
pub(crate) async fn model(
    Extension(caller): Extension<Caller>,
) -> Result<Json<ModelInfo>, ApiError> {
    caller.require(Scope::Read)?;
    let (_, view) = caller.shop.view();
    let sel = view.model_selection();
    Ok(Json(ModelInfo {
        in_use: view.model_name().map(str::to_owned),
        chosen: sel.map(|s| s.chosen.clone()),
        comparison: sel
            .map(|s| {
                s.validation_ndcg
                    .iter()
                    .map(|(m, n)| ModelScore {
                        model: m.clone(),
                        ndcg_at_10: *n,
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }))
}

/// Query of similar products.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SimilarQuery {
    /// How many (1-100, default 10).
    k: Option<usize>,
}

/// Products bought or viewed near this one in customers' histories.
#[utoipa::path(get, path = "/v1/products/{id}/similar", tag = "products",
    params(("id" = String, Path, description = "Product id"), SimilarQuery),
    responses((status = 200, description = "Similar products", body = Vec<RecommendedItem>),
        (status = 404, description = "Unknown product", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn similar(
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<SimilarQuery>,
) -> Result<Json<Vec<RecommendedItem>>, ApiError> {
    caller.require(Scope::Read)?;
    let k = q.k.unwrap_or(10);
    if !(1..=100).contains(&k) {
        return Err(ApiError::invalid("`k` must be from 1 to 100"));
    }
    let (_, view) = caller.shop.view();
    Ok(Json(
        view.similar(&id, k)?
            .into_iter()
            .map(RecommendedItem::from)
            .collect(),
    ))
}
