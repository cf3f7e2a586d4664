//! Product search: a free-text query read for its intent (category, price), products found
//! by their words and, for a customer, re-ranked by the behaviour model
//! (`recur_engine::search_products`).

use axum::extract::Query;
use axum::{Extension, Json};
use recur_engine::llm::Embed;
use recur_engine::{ProductSearchOptions, Scope};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::blocking;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::INDEX_LOCK;

/// Longest query accepted, in bytes.
const MAX_QUERY_BYTES: usize = 1_000;

/// Query of a search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchQuery {
    /// The words a shopper would type (`decaf coffee under 20`).
    q: String,
    /// A customer to re-rank for by the behaviour model.
    customer: Option<String>,
    /// How many products (1-100, default 10).
    k: Option<usize>,
}

/// What the query asks for.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Intent {
    /// The catalog category the query names, when one matches.
    pub(crate) category: Option<String>,
    /// Lowest price asked for.
    pub(crate) price_min: Option<f64>,
    /// Highest price asked for.
    pub(crate) price_max: Option<f64>,
    /// Whether the query asked for something cheap without a number.
    pub(crate) cheap: bool,
    /// Salient words left once price phrases, category words and function words are out.
    pub(crate) terms: Vec<String>,
}

/// One product found.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Found {
    /// Product id.
    pub(crate) product_id: String,
    /// Title.
    pub(crate) title: String,
    /// Score (higher is better; comparable within one answer only).
    pub(crate) score: f64,
    /// Price, when known.
    pub(crate) price: Option<f64>,
    /// Category, when known.
    pub(crate) category: Option<String>,
}

/// The answer to a search.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SearchAnswer {
    /// The query as given.
    pub(crate) query: String,
    /// What the query asks for.
    pub(crate) intent: Intent,
    /// `bm25` (words only) or `hybrid` (words and sentence embeddings).
    pub(crate) method: String,
    /// How the results were personalised, when they were.
    pub(crate) personalised: Option<String>,
    /// Caveats (why results were not personalised, words only...).
    pub(crate) notes: Vec<String>,
    /// Best first.
    pub(crate) results: Vec<Found>,
}

/// Products for a free-text query: its intent, the method, the products best first; with
/// `customer`, re-ranked by the behaviour model. Words and sentence embeddings (`hybrid`) when
/// the server has an embedding model (503 until it has embedded the products after starting),
/// else words only (`bm25`).
#[utoipa::path(get, path = "/v1/search", tag = "products",
    params(SearchQuery),
    responses((status = 200, description = "Products found", body = SearchAnswer),
        (status = 400, description = "The query is empty or too long", body = crate::error::ErrorBody),
        (status = 404, description = "Unknown customer", body = crate::error::ErrorBody),
        (status = 503, description = "The products are still being embedded after the server started: retry in a few seconds", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn search(
    Extension(caller): Extension<Caller>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<SearchAnswer>, ApiError> {
    caller.require(Scope::Read)?;
    if q.q.trim().is_empty() || q.q.len() > MAX_QUERY_BYTES {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "bad_request",
            format!("`q` must be 1 to {MAX_QUERY_BYTES} bytes of words, e.g. ?q=decaf+coffee"),
        ));
    }
    let k = q.k.unwrap_or(10);
    if !(1..=100).contains(&k) {
        return Err(ApiError::invalid("`k` must be 1 to 100"));
    }
    let customer = q.customer.filter(|c| !c.trim().is_empty());
    if let Some(id) = customer.as_deref() {
        let (_, view) = caller.shop.view();
        let recent = caller.shop.recent(&view, id);
        if view.customer(id, &recent).is_none() {
            return Err(ApiError::not_found(
                "no customer with this id in the workspace or its live events; check the id",
            ));
        }
    }
    let Ok(embedder) = caller.shop.search_embedder() else {
        return Err(ApiError::unavailable(
            "the products are being embedded for search after the server started; retry in a few seconds (the log line `search index ready` says when it is done)",
        ));
    };
    let shop = caller.shop.clone();
    let query = q.q;
    let out = blocking(move || {
        let _one = INDEX_LOCK
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let opts = ProductSearchOptions { k, customer };
        recur_engine::search_products(
            &shop.ws,
            &query,
            &opts,
            embedder.as_deref().map(|e| e as &dyn Embed),
        )
    })
    .await?;
    let i = out.intent;
    Ok(Json(SearchAnswer {
        query: out.query,
        intent: Intent {
            category: i.category,
            price_min: i.price_min,
            price_max: i.price_max,
            cheap: i.cheap,
            terms: i.terms,
        },
        method: out.method.to_owned(),
        personalised: out.personalised,
        notes: out.notes,
        results: out
            .results
            .into_iter()
            .map(|r| Found {
                product_id: r.product_id,
                title: r.title,
                score: r.score,
                price: r.price,
                category: r.category,
            })
            .collect(),
    }))
}
