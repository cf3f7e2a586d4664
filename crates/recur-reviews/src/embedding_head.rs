//! The embedding-head comparison of [`crate::evaluate_with_embedder`]: the training reviews
//! (up to a limit, sampled with the seed) embedded by the caller's sentence embedder, a
//! [`DenseHead`] trained on them with the n-gram model's selection protocol, and scored on
//! the same test split, with its speed from raw text (embedding included).

use std::time::Instant;

use serde::Serialize;

use crate::datasets::LabelledReview;
use crate::dense::{DenseOptions, train_dense};
use crate::error::{Error, Result};
use crate::model::Polarity;
use crate::rng::Rng;

/// Sentence embeddings of texts, made by the caller (this crate never embeds).
pub trait TextEmbedder {
    /// One vector per text, in input order.
    fn embed(&self, texts: &[&str]) -> std::result::Result<Vec<Vec<f32>>, String>;

    /// What embeds (model folder or endpoint), for the report.
    fn name(&self) -> String;
}

/// Default of [`crate::EvalOptions::embedding_limit`].
pub const DEFAULT_EMBEDDING_LIMIT: usize = 20_000;

/// Texts handed to the embedder at a time.
const BATCH: usize = 256;

/// How the embedding head was trained and timed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmbeddingHeadRun {
    /// What embedded the reviews.
    pub embedder: String,
    /// Length of the vectors.
    pub dimensions: usize,
    /// Training reviews the head was trained on (a seeded sample when over the limit).
    pub train_reviews: usize,
    /// Training reviews of the split (what the n-gram model was trained on).
    pub train_reviews_available: usize,
    /// The most training reviews embedded (`--embedding-limit`).
    pub embedding_limit: usize,
    /// Test reviews scored (the whole test split).
    pub test_reviews: usize,
    /// Seconds to embed the training reviews.
    pub embed_seconds: f64,
    /// Seconds to fit the head (penalty choice and final fit).
    pub fit_seconds: f64,
    /// Seconds to embed and classify the test reviews.
    pub test_seconds: f64,
    /// The L2 penalty chosen on held-out training vectors.
    pub lambda: f64,
    /// Whether classes were weighted equally.
    pub balanced: bool,
    /// The decision threshold chosen (two classes).
    pub threshold: f64,
}

/// The head's predictions on the test texts, with how it was trained and timed.
pub(crate) struct HeadOutcome {
    pub(crate) predicted: Vec<Polarity>,
    pub(crate) run: EmbeddingHeadRun,
}

/// Embeds `texts` in batches.
fn embed_all(embedder: &dyn TextEmbedder, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(BATCH) {
        let vectors = embedder.embed(chunk).map_err(Error::Embedding)?;
        if vectors.len() != chunk.len() {
            return Err(Error::Embedding(format!(
                "{} vectors for {} texts",
                vectors.len(),
                chunk.len()
            )));
        }
        out.extend(vectors);
    }
    Ok(out)
}

/// Trains the head on up to `limit` of `train` (sampled with `seed`) and predicts `test`.
pub(crate) fn run_head(
    embedder: &dyn TextEmbedder,
    train: &[&LabelledReview],
    test: &[&LabelledReview],
    limit: usize,
    seed: u64,
) -> Result<HeadOutcome> {
    let mut ids: Vec<usize> = (0..train.len()).collect();
    if ids.len() > limit {
        Rng::new(seed ^ 0x5eed_e4be_dd00).shuffle(&mut ids);
        ids.truncate(limit);
        ids.sort_unstable();
    }
    let texts: Vec<&str> = ids.iter().map(|&i| train[i].text.as_str()).collect();
    let labels: Vec<Polarity> = ids.iter().map(|&i| train[i].label).collect();
    let started = Instant::now();
    let vectors = embed_all(embedder, &texts)?;
    let embed_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let head = train_dense(
        &vectors,
        &labels,
        &DenseOptions {
            seed,
            ..DenseOptions::default()
        },
    )?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let test_texts: Vec<&str> = test.iter().map(|r| r.text.as_str()).collect();
    let predicted: Vec<Polarity> = embed_all(embedder, &test_texts)?
        .iter()
        .map(|v| head.predict(v))
        .collect();
    let test_seconds = started.elapsed().as_secs_f64();
    Ok(HeadOutcome {
        predicted,
        run: EmbeddingHeadRun {
            embedder: embedder.name(),
            dimensions: vectors.first().map_or(0, Vec::len),
            train_reviews: ids.len(),
            train_reviews_available: train.len(),
            embedding_limit: limit,
            test_reviews: test.len(),
            embed_seconds,
            fit_seconds,
            test_seconds,
            lambda: head.lambda(),
            balanced: head.balanced(),
            threshold: head.threshold(),
        },
    })
}
