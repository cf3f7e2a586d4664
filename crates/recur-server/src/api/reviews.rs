//! A product's reviews summed up: negative share, aspects with quotes, whether it is held
//! back from campaigns (`recur_engine::product_pain_points`), and the summary saved by
//! `recur analyze` (`recur_engine::load_summary`; the server never runs the language model).
//! Reviewers are never named.

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
    /// The summary of its reviews saved by `recur analyze --product ID --summary` (or
    /// `recur analyze --summaries N`); `null` when none was saved. The server never runs the
    /// language model.
    pub(crate) summary: Option<SavedReviewSummary>,
}

/// One bullet of a saved summary.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SummaryBullet {
    /// The bullet.
    pub(crate) text: String,
    /// Ids of the reviews it cites.
    pub(crate) citations: Vec<String>,
    /// `model` (the language model, and it passed the citation check) or `template` (the
    /// template of the top aspects).
    pub(crate) path: String,
}

/// A summary of the product's reviews saved in the workspace: bullets citing the reviews they
/// rest on, and what it rests on.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SavedReviewSummary {
    /// The bullets.
    pub(crate) bullets: Vec<SummaryBullet>,
    /// `model` when the bullets are the language model's, `template` when the template's.
    pub(crate) path: String,
    /// The language model that was asked, if one was.
    pub(crate) writer: Option<String>,
    /// Why the template was used, when it was.
    pub(crate) note: Option<String>,
    /// When it was written (RFC 3339, UTC).
    pub(crate) written_at: String,
    /// The product's reviews when it was written.
    pub(crate) reviews: usize,
    /// Whether the product's review count changed since (run `recur analyze --product ID
    /// --summary` again).
    pub(crate) stale: bool,
}

impl SavedReviewSummary {
    fn of(s: recur_engine::SavedSummary, reviews_now: usize) -> Self {
        SavedReviewSummary {
            stale: s.is_stale(reviews_now),
            bullets: s
                .bullets
                .into_iter()
                .map(|b| SummaryBullet {
                    text: b.text,
                    citations: b.citations,
                    path: b.path.to_string(),
                })
                .collect(),
            path: s.path.to_string(),
            writer: s.writer,
            note: s.note,
            written_at: s.written_at,
            reviews: s.reviews,
        }
    }
}

fn polarity(p: Polarity) -> &'static str {
    match p {
        Polarity::Negative => "negative",
        Polarity::Neutral => "neutral",
        Polarity::Positive => "positive",
    }
}

/// A product's pain points from its reviews: negative share, aspects with their negative
/// share and example quotes (by review id), whether it is held back and why, and the summary
/// `recur analyze` saved (`null` when none was; stale when the review count changed since).
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
    let (report, saved) = blocking(move || {
        let Some(report) = recur_engine::product_pain_points(&shop.ws, &product)? else {
            return Ok(None);
        };
        let saved = recur_engine::load_summary(&shop.ws, &product)?;
        Ok(Some((report, saved)))
    })
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
        summary: saved.map(|s| SavedReviewSummary::of(s, report.reviews)),
        held_back: report.held_back,
        held_back_reason: report.held_back_reason,
    }))
}
