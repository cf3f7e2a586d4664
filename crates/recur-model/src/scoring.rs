//! Inference with a trained transformer: scores for all items, time to next purchase.

use candle_core::D;

use crate::data::Sequence;
use crate::encode::{Batch, TIME_CLASSES, Window, encode};
use crate::error::Result;
use crate::model::Model;
use crate::recommender::Recommender;

/// Batches of the non-empty histories (at most 256 each), scoring after the last event.
fn last_position_batches(
    model: &Model,
    histories: &[&Sequence],
    with_repeats: bool,
) -> Result<Vec<(Vec<usize>, Batch)>> {
    let cfg = model.config();
    let device = model.device();
    let live: Vec<usize> = (0..histories.len())
        .filter(|&i| !histories[i].is_empty())
        .collect();
    live.chunks(256)
        .map(|chunk| {
            let ws: Vec<Window<'_>> = chunk
                .iter()
                .map(|&i| Window {
                    seq: histories[i],
                    start: 0,
                    end: histories[i].len(),
                    all_positions: false,
                })
                .collect();
            let batch = encode(&ws, cfg.max_len, cfg.num_items, with_repeats, device)?;
            Ok((chunk.to_vec(), batch))
        })
        .collect()
}

/// Scores of every item (`num_items + 1` each) after each history. Empty histories get the
/// model's item bias (its notion of popularity).
pub fn score_histories(model: &Model, histories: &[&Sequence]) -> Result<Vec<Vec<f32>>> {
    let mut out = vec![Vec::new(); histories.len()];
    if histories.iter().any(|h| h.is_empty()) {
        let prior = model.item_bias()?;
        for (i, h) in histories.iter().enumerate() {
            if h.is_empty() {
                out[i] = prior.clone();
            }
        }
    }
    let items = model.item_table()?;
    for (chunk, batch) in last_position_batches(model, histories, model.config().repeat_aware)? {
        let hidden = model.forward(&batch, &items, None)?;
        let logits = model.scores(&hidden, &items, &batch)?.detach();
        for (row, i) in logits.to_vec2::<f32>()?.into_iter().zip(chunk) {
            out[i] = row;
        }
    }
    Ok(out)
}

/// Probability of each time-to-next-purchase class ([`crate::NEXT_PURCHASE_DAYS`]) after each
/// history; `None` when the model has no time head or a history is empty.
pub fn next_purchase(
    model: &Model,
    histories: &[&Sequence],
) -> Result<Vec<Option<[f32; TIME_CLASSES]>>> {
    let mut out = vec![None; histories.len()];
    if !model.config().time_head {
        return Ok(out);
    }
    let items = model.item_table()?;
    for (chunk, batch) in last_position_batches(model, histories, false)? {
        let hidden = model.forward(&batch, &items, None)?;
        if let Some(t) = model.time_logits(&hidden)? {
            let p = candle_nn::ops::softmax(&t, D::Minus1)?.detach();
            for (row, i) in p.to_vec2::<f32>()?.into_iter().zip(chunk) {
                let mut a = [0f32; TIME_CLASSES];
                a.copy_from_slice(&row[..TIME_CLASSES]);
                out[i] = Some(a);
            }
        }
    }
    Ok(out)
}

/// A trained transformer as a [`Recommender`].
pub struct TransformerRecommender {
    model: Model,
}

impl TransformerRecommender {
    /// Wraps a model.
    pub fn new(model: Model) -> Self {
        Self { model }
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }
}

impl Recommender for TransformerRecommender {
    fn name(&self) -> &str {
        "transformer"
    }
    fn score_batch(&self, histories: &[&Sequence]) -> Result<Vec<Vec<f32>>> {
        score_histories(&self.model, histories)
    }
}
