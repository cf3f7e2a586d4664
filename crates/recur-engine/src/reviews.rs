//! Review intelligence on a workspace (`recur reviews train|analyze`, `recur eval reviews`):
//! the stored reviews read through the query session, the sentiment model trained on their
//! stars (or on a labelled file) and saved under `models/reviews`, then aspects, pain points
//! and held-back products per product and category (categories from the catalog). Reviewers'
//! customer ids are never read.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use recur_analytics::Cell;
use recur_reviews::{
    Analysis, AnalyzeOptions, DatasetFormat, EvalOptions, Evaluation, Example, HeldBack,
    HoldBackRule, Polarity, ProductReport, Review, SentimentModel, TrainOptions,
};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::workspace::Workspace;

/// Folder of the review sentiment model inside a workspace.
pub const REVIEWS_MODEL_DIR: &str = "models/reviews";

/// Fewest three-star reviews with text for the model to learn a neutral class.
pub const MIN_NEUTRAL: usize = 20;

/// What `recur reviews train` did.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewTrainOutcome {
    /// Where the model was saved.
    pub model_dir: PathBuf,
    /// Where the labels came from: `stars` or the labelled file.
    pub source: String,
    /// Labelled reviews trained on.
    pub examples: usize,
    /// Reviews per class.
    pub class_counts: BTreeMap<Polarity, usize>,
    /// Classes the model tells apart.
    pub classes: Vec<Polarity>,
    /// Held-out accuracy while choosing the penalty.
    pub validation_accuracy: f64,
    /// Held-out macro-F1 while choosing the penalty.
    pub validation_macro_f1: f64,
    /// Seconds to train.
    pub train_seconds: f64,
}

/// The workspace's reviews (row key `import_id:source_line`, month `YYYY-MM`, the catalog's
/// category of the product). Reviewer ids are not read.
pub fn workspace_reviews(ws: &Workspace) -> Result<Vec<Review>> {
    let session = ws.session_with(false)?;
    let categories: HashMap<String, String> = session
        .catalog_entries()
        .map_err(crate::Error::from)?
        .into_iter()
        .filter_map(|e| Some((e.product_id, e.category?)))
        .collect();
    let rows = session
        .query(
            "SELECT product_id, rating, review_text, CAST(reviewed_at AS VARCHAR) AS reviewed, \
             import_id, source_line FROM reviews ORDER BY import_id, source_line",
        )
        .map_err(crate::Error::from)?
        .rows;
    let text = |c: &Cell| match c {
        Cell::Null => String::new(),
        other => other.to_string(),
    };
    Ok(rows
        .iter()
        .map(|r| {
            let product_id = text(&r[0]);
            let reviewed = text(&r[3]);
            Review {
                key: format!("{}:{}", text(&r[4]), text(&r[5])),
                category: categories.get(&product_id).cloned(),
                product_id,
                month: (reviewed.len() >= 7).then(|| reviewed[..7].to_owned()),
                stars: match r[1] {
                    Cell::Int(s) => Some(s),
                    _ => None,
                },
                text: text(&r[2]),
            }
        })
        .collect())
}

/// Trains the sentiment model on the workspace's reviews (stars give the labels: 1-2
/// negative, 4-5 positive, 3 neutral when there are at least [`MIN_NEUTRAL`] of them) or, with
/// `labelled`, on a labelled file; saves it under [`REVIEWS_MODEL_DIR`].
pub fn train_workspace_reviews(
    ws: &Workspace,
    labelled: Option<(&Path, DatasetFormat)>,
    opts: &TrainOptions,
) -> Result<ReviewTrainOutcome> {
    let (examples, source) = match labelled {
        Some((path, format)) => {
            let data = recur_reviews::read_dataset(path, format)?;
            let examples = data
                .reviews
                .into_iter()
                .map(|r| Example {
                    text: r.text,
                    label: r.label,
                })
                .collect::<Vec<_>>();
            (examples, path.display().to_string())
        }
        None => {
            let reviews = workspace_reviews(ws)?;
            let mut examples: Vec<Example> = reviews
                .into_iter()
                .filter(|r| !r.text.trim().is_empty())
                .filter_map(|r| {
                    Some(Example {
                        label: Polarity::from_stars(r.stars?)?,
                        text: r.text,
                    })
                })
                .collect();
            let neutral = examples
                .iter()
                .filter(|e| e.label == Polarity::Neutral)
                .count();
            if neutral < MIN_NEUTRAL {
                examples.retain(|e| e.label != Polarity::Neutral);
            }
            if examples.is_empty() {
                return Err(Error::NoReviews);
            }
            (examples, "stars".to_owned())
        }
    };
    let started = Instant::now();
    let model = recur_reviews::train(&examples, opts)?;
    let train_seconds = started.elapsed().as_secs_f64();
    let dir = ws.root().join(REVIEWS_MODEL_DIR);
    model.save(&dir)?;
    let mut class_counts = BTreeMap::new();
    for e in &examples {
        *class_counts.entry(e.label).or_insert(0) += 1;
    }
    let cfg = model.config();
    Ok(ReviewTrainOutcome {
        model_dir: dir,
        source,
        examples: examples.len(),
        class_counts,
        classes: cfg.classes.clone(),
        validation_accuracy: cfg.validation_accuracy,
        validation_macro_f1: cfg.validation_macro_f1,
        train_seconds,
    })
}

/// The saved sentiment model of the workspace.
pub fn workspace_review_model(ws: &Workspace) -> Result<SentimentModel> {
    let dir = ws.root().join(REVIEWS_MODEL_DIR);
    if !dir.join(recur_reviews::CONFIG_FILE).exists() {
        return Err(Error::NoReviewModel(dir));
    }
    Ok(SentimentModel::load(&dir)?)
}

/// Aspects, pain points and held-back products of the workspace's reviews, with the saved
/// model (see [`train_workspace_reviews`]).
pub fn analyze_workspace_reviews(ws: &Workspace, opts: &AnalyzeOptions) -> Result<Analysis> {
    let model = workspace_review_model(ws)?;
    let reviews = workspace_reviews(ws)?;
    if reviews.is_empty() {
        return Err(Error::NoReviews);
    }
    Ok(recur_reviews::analyze(&reviews, Some(&model), opts))
}

/// The products held back from campaign messages and recommendations, and on what basis.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct HeldBackProducts {
    /// Whether holding back is on (`reviews.hold_back`); when off, `products` is empty.
    pub enabled: bool,
    /// How reviews were judged: `sentiment model`, `stars` (no model trained) or `no reviews`.
    pub basis: String,
    /// Fewest reviews of a product (and of the rest of its category) to judge it.
    pub min_reviews: usize,
    /// How far its negative share must exceed the rest of its category's.
    pub margin: f64,
    /// The products held back, most negative first, with the reason.
    pub products: Vec<HeldBack>,
}

impl HeldBackProducts {
    /// Whether `product` is held back.
    pub fn contains(&self, product: &str) -> bool {
        self.products.iter().any(|h| h.product_id == product)
    }

    /// The held-back product ids.
    pub fn ids(&self) -> std::collections::HashSet<String> {
        self.products.iter().map(|h| h.product_id.clone()).collect()
    }
}

/// The workspace's rule for holding products back (`[reviews]` settings).
pub fn hold_back_rule(ws: &Workspace) -> HoldBackRule {
    let s = &ws.settings().reviews;
    HoldBackRule {
        min_reviews: s.min_reviews as usize,
        margin: s.hold_back_margin,
    }
}

/// The products the workspace's reviews hold back from campaign messages and recommendations
/// (`[reviews]` settings): a product with at least `min_reviews` reviews whose negative share
/// is at least `hold_back_margin` above the rest of its category's. Reviews are judged by the
/// sentiment model when one is trained, else by their stars (1-2 negative; a review without
/// stars is not negative), so the loop closes without `recur reviews train`. Empty when
/// `reviews.hold_back` is off or there are no reviews.
pub fn workspace_held_back(ws: &Workspace) -> Result<HeldBackProducts> {
    let rule = hold_back_rule(ws);
    let mut out = HeldBackProducts {
        enabled: ws.settings().reviews.hold_back,
        basis: "no reviews".into(),
        min_reviews: rule.min_reviews,
        margin: rule.margin,
        products: Vec::new(),
    };
    if !out.enabled {
        return Ok(out);
    }
    let reviews = workspace_reviews(ws)?;
    if reviews.is_empty() {
        return Ok(out);
    }
    let model = optional_model(ws)?;
    out.basis = if model.is_some() {
        "sentiment model"
    } else {
        "stars"
    }
    .into();
    out.products = recur_reviews::held_back(&reviews, model.as_ref(), &rule);
    Ok(out)
}

/// The customers who left a negative review written from `since` (Unix seconds; `None`: any
/// time) up to `until`: one or two stars, or, for a review without stars, text the review
/// model judges negative (when one is trained). For a campaign audience
/// (`audience.negative_reviewers`); the ids are never printed.
pub fn negative_reviewers(
    ws: &Workspace,
    since: Option<i64>,
    until: i64,
) -> Result<std::collections::BTreeSet<String>> {
    let session = ws.session_with(false)?;
    let rows = session
        .query(
            "SELECT customer_id, rating, review_text, \
             CAST(date_part('epoch', reviewed_at) AS BIGINT) AS at \
             FROM reviews WHERE customer_id IS NOT NULL",
        )
        .map_err(crate::Error::from)?
        .rows;
    let model = optional_model(ws)?;
    let mut out = std::collections::BTreeSet::new();
    for r in &rows {
        let at = match r.get(3) {
            Some(Cell::Int(t)) => Some(*t),
            _ => None,
        };
        let in_window = match (at, since) {
            (_, None) => at.is_none_or(|t| t <= until),
            (Some(t), Some(s)) => (s..=until).contains(&t),
            (None, Some(_)) => false,
        };
        if !in_window {
            continue;
        }
        let negative = match r.get(1) {
            Some(Cell::Int(s)) => Polarity::from_stars(*s) == Some(Polarity::Negative),
            _ => match (&model, r.get(2)) {
                (Some(m), Some(Cell::Text(t))) if !t.trim().is_empty() => {
                    m.predict(&recur_reviews::clean(t)).label == Polarity::Negative
                }
                _ => false,
            },
        };
        if negative && let Some(id) = r.first() {
            let id = id.to_string();
            let id = id.trim();
            if !id.is_empty() {
                out.insert(id.to_owned());
            }
        }
    }
    Ok(out)
}

/// The saved sentiment model, or `None` when none is trained.
pub(crate) fn optional_model(ws: &Workspace) -> Result<Option<SentimentModel>> {
    match workspace_review_model(ws) {
        Ok(m) => Ok(Some(m)),
        Err(Error::NoReviewModel(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Aspects, pain points and held-back products of every reviewed product (the `[reviews]`
/// rule), judged by the sentiment model when one is trained, else by stars; `Ok(None)`
/// without reviews.
pub fn workspace_pain_points(ws: &Workspace) -> Result<Option<Analysis>> {
    let reviews = workspace_reviews(ws)?;
    if reviews.is_empty() {
        return Ok(None);
    }
    let model = optional_model(ws)?;
    let opts = AnalyzeOptions {
        hold_back: hold_back_rule(ws),
        ..AnalyzeOptions::default()
    };
    Ok(Some(recur_reviews::analyze(
        &reviews,
        model.as_ref(),
        &opts,
    )))
}

/// One product's reviews summed up (see [`workspace_pain_points`]): negative share, aspects
/// with their negative share and quotes (review keys kept), whether it is held back;
/// `Ok(None)` when it has no reviews.
pub fn product_pain_points(ws: &Workspace, product: &str) -> Result<Option<ProductReport>> {
    Ok(workspace_pain_points(ws)?
        .and_then(|a| a.products.into_iter().find(|p| p.product_id == product)))
}

/// A sentence embedder as the review evaluation sees it: plain `f32` vectors.
struct ReviewEmbedder<'a>(&'a dyn recur_llm::Embed);

impl recur_reviews::TextEmbedder for ReviewEmbedder<'_> {
    fn embed(&self, texts: &[&str]) -> std::result::Result<Vec<Vec<f32>>, String> {
        self.0.embed(texts).map_err(|e| e.to_string())
    }

    fn name(&self) -> String {
        self.0.describe()
    }
}

/// The reference evaluation of the sentiment model on a labelled file (see
/// [`recur_reviews::evaluate`]); with an embedder, a logistic-regression head on its sentence
/// embeddings joins the baselines as `embedding_head` (see
/// [`recur_reviews::evaluate_with_embedder`]).
pub fn evaluate_reviews(
    path: &Path,
    format: DatasetFormat,
    opts: &EvalOptions,
    embedder: Option<&dyn recur_llm::Embed>,
) -> Result<Evaluation> {
    let adapter = embedder.map(ReviewEmbedder);
    Ok(recur_reviews::evaluate_with_embedder(
        path,
        format,
        opts,
        adapter
            .as_ref()
            .map(|a| a as &dyn recur_reviews::TextEmbedder),
    )?)
}
