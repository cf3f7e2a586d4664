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
    Analysis, AnalyzeOptions, DatasetFormat, EvalOptions, Evaluation, Example, Polarity, Review,
    SentimentModel, TrainOptions,
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

/// The reference evaluation of the sentiment model on a labelled file (see
/// [`recur_reviews::evaluate`]).
pub fn evaluate_reviews(
    path: &Path,
    format: DatasetFormat,
    opts: &EvalOptions,
) -> Result<Evaluation> {
    Ok(recur_reviews::evaluate(path, format, opts)?)
}
