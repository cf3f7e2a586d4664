//! The interface every recommender implements, and the policies applied to its scores.

use crate::data::Sequence;
use crate::error::Result;
use crate::metrics::top_k;

/// Scores every item for a customer's history. Scores have one entry per item plus index 0
/// (padding) is ignored.
pub trait Recommender: Send + Sync {
    /// Short name used in reports (`transformer`, `popularity`...).
    fn name(&self) -> &str;

    /// Scores for each history, one entry per item plus padding each.
    fn score_batch(&self, histories: &[&Sequence]) -> Result<Vec<Vec<f32>>>;
}

/// Whether items the customer already has are recommended again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exclude {
    /// Everything may be recommended (consumables, groceries: repeat purchases are the point).
    #[default]
    Nothing,
    /// Items already in the history are left out (durable goods).
    Seen,
}

/// Applies `exclude` to `scores` in place (padding is always excluded).
pub fn apply_exclusion(scores: &mut [f32], history: &Sequence, exclude: Exclude) {
    if let Some(s) = scores.first_mut() {
        *s = f32::NEG_INFINITY;
    }
    if exclude == Exclude::Seen {
        for &i in &history.items {
            if let Some(s) = scores.get_mut(i as usize) {
                *s = f32::NEG_INFINITY;
            }
        }
    }
}

/// The top `k` items for one history, best first, with their scores.
pub fn recommend(
    model: &dyn Recommender,
    history: &Sequence,
    k: usize,
    exclude: Exclude,
) -> Result<Vec<(u32, f32)>> {
    let mut scores = model.score_batch(&[history])?.pop().unwrap_or_default();
    apply_exclusion(&mut scores, history, exclude);
    Ok(top_k(&scores, k)
        .into_iter()
        .map(|i| (i, scores[i as usize]))
        .collect())
}
