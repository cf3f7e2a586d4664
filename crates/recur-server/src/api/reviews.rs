//! A product's reviews summed up: negative share, aspects with quotes, whether it is held
//! back from campaigns (`recur_engine::product_pain_points`). Reviewers are never named.

use axum::extract::Path;
use axum::{Extension, Json};
use recur_engine::Scope;
use recur_engine::review_intel::Polarity;
use serde::Serialize;
use utoipa::ToSchema;

use super::blocking;
use crate::auth::Caller;
use crate::error::ApiError;

/// A clause of a review that mentions an aspect.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReviewQuote {
    /// The review's id.
    pub(crate) review: String,
    /// The clause, as written (at most 200 characters).
    pub(crate) text: String,
    /// `negative`, `neutral` or `positive`.
    pub(crate) polarity: String,
}

/// One aspect of the product (`battery`, `taste`...).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Aspect {
    /// The phrase.
    pub(crate) aspect: String,
    /// Reviews that mention it.
    pub(crate) mentions: usize,
    /// Share of those mentions that are negative.
    pub(crate) negative_share: f64,
    /// Quotes, negative mentions first.
    pub(crate) examples: Vec<ReviewQuote>,
}

/// A product's reviews summed up.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProductReviews {
    /// Product id.
    pub(crate) product_id: String,
    /// Category, if known.
    pub(crate) category: Option<String>,
    /// Reviews.
    pub(crate) reviews: usize,
    /// Share of reviews judged negative (the review model on the text, else stars).
    pub(crate) negative_share: f64,
    /// Share of reviews with one or two stars, among those with stars.
    pub(crate) star_negative_share: Option<f64>,
    /// Mean stars, among reviews with stars.
    pub(crate) mean_stars: Option<f64>,
    /// Aspects, most mentioned first.
    pub(crate) aspects: Vec<Aspect>,
    /// Whether campaigns and recommendations leave it out (negative share well above its
    /// category's).
    pub(crate) held_back: bool,
    /// Why it is held back.
    pub(crate) held_back_reason: Option<String>,
}

fn polarity(p: Polarity) -> &'static str {
    match p {
        Polarity::Negative => "negative",
        Polarity::Neutral => "neutral",
        Polarity::Positive => "positive",
    }
}

/// A product's pain points from its reviews: negative share, aspects with their negative
/// share and example quotes (by review id), whether it is held back and why.
#[utoipa::path(get, path = "/v1/products/{id}/reviews", tag = "products",
    params(("id" = String, Path, description = "Product id")),
    responses((status = 200, description = "The product's reviews summed up", body = ProductReviews),
        (status = 404, description = "The product has no reviews", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn product_reviews(
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<ProductReviews>, ApiError> {
    caller.require(Scope::Read)?;
    let shop = caller.shop.clone();
    let product = id.clone();
    let report = blocking(move || recur_engine::product_pain_points(&shop.ws, &product))
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "product `{id}` has no reviews in this workspace (import them with `recur import reviews --file FILE`)"
            ))
        })?;
    Ok(Json(ProductReviews {
        product_id: report.product_id,
        category: report.category,
        reviews: report.reviews,
        negative_share: report.negative_share,
        star_negative_share: report.star_negative_share,
        mean_stars: report.mean_stars,
        aspects: report
            .aspects
            .into_iter()
            .map(|a| Aspect {
                aspect: a.aspect,
                mentions: a.mentions,
                negative_share: a.negative_share,
                examples: a
                    .examples
                    .into_iter()
                    .map(|q| ReviewQuote {
                        review: q.review,
                        text: q.text,
                        polarity: polarity(q.polarity).to_owned(),
                    })
                    .collect(),
            })
            .collect(),
        held_back: report.held_back,
        held_back_reason: report.held_back_reason,
    }))
}
