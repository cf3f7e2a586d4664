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
            let batch = encode(
                &ws,
                cfg.max_len,
                cfg.num_items,
                with_repeats,
                cfg.query_dim > 0,
                device,
            )?;
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::data::{EventKind, Search};
    use crate::query::QUERY_DIM;
    use crate::train::{TrainConfig, Validation, train};

    /// Items 1-4 are coffee, 5-8 dog food; every other purchase is announced by a search for
    /// its category, the rest are of a random category.
    fn shop(customers: usize, rng: &mut ChaCha8Rng) -> Vec<Sequence> {
        (0..customers)
            .map(|c| {
                let mut s = Sequence::from_items(format!("c{c}"), Vec::new());
                for k in 0..8usize {
                    let coffee = rng.random::<bool>();
                    if k % 2 == 1 {
                        s.searches.push(Search {
                            before: s.items.len(),
                            time: 0,
                            text: if coffee { "decaf coffee" } else { "dog food" }.into(),
                        });
                    }
                    let base = if coffee { 1 } else { 5 };
                    s.items.push(base + rng.random_range(0..4u32));
                    s.events.push(EventKind::Purchase as u8);
                    s.baskets.push(k as u32);
                }
                s
            })
            .collect()
    }

    fn mean(scores: &[f32], items: std::ops::RangeInclusive<usize>) -> f32 {
        let n = items.clone().count() as f32;
        scores[items].iter().sum::<f32>() / n
    }

    #[test]
    fn a_search_raises_its_category_and_training_stays_deterministic() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let seqs = shop(300, &mut rng);
        let mut cfg = crate::Config::small(8);
        (cfg.hidden, cfg.ffn, cfg.layers, cfg.dropout) = (16, 32, 1, 0.0);
        (cfg.time_features, cfg.repeat_aware, cfg.time_head) = (false, false, false);
        cfg.query_dim = QUERY_DIM;
        assert_eq!(crate::config_for(8, &seqs).query_dim, QUERY_DIM);
        let tc = TrainConfig {
            epochs: 30,
            batch_size: 32,
            warmup_steps: 10,
            patience: 30,
            learning_rate: 1e-2,
            negatives: 0,
            ..TrainConfig::default()
        };
        // Held-out customers, each up to the search before their last purchase.
        let held_out = shop(100, &mut ChaCha8Rng::seed_from_u64(8));
        let validation = Validation {
            inputs: held_out
                .iter()
                .map(|s| {
                    let mut input = s.prefix(7);
                    input.searches.extend(s.searches.last().cloned());
                    input
                })
                .collect(),
            targets: held_out.iter().map(|s| vec![s.items[7]]).collect(),
        };
        let run = || {
            train(
                &cfg,
                &tc,
                &seqs,
                &validation,
                None,
                None,
                &mut (),
                &AtomicBool::new(false),
            )
            .expect("trains")
            .model
        };
        let model = run();
        // A new customer's history, then the same history followed by each search.
        let plain = shop(1, &mut ChaCha8Rng::seed_from_u64(99))
            .remove(0)
            .prefix(4);
        let plain = Sequence {
            searches: Vec::new(),
            ..plain
        };
        let searched = |text: &str| {
            let mut s = plain.clone();
            s.searches.push(Search {
                before: s.len(),
                time: 0,
                text: text.into(),
            });
            s
        };
        let (coffee, dog) = (searched("decaf coffee"), searched("dog food"));
        let scores = score_histories(&model, &[&plain, &coffee, &dog]).expect("scores");
        let lift = |row: usize, items: std::ops::RangeInclusive<usize>| {
            mean(&scores[row], items.clone()) - mean(&scores[0], items)
        };
        assert!(
            lift(1, 1..=4) > 0.5,
            "coffee items after `decaf coffee`: {}",
            lift(1, 1..=4)
        );
        assert!(
            lift(1, 5..=8) < 0.0,
            "dog food after `decaf coffee`: {}",
            lift(1, 5..=8)
        );
        assert!(
            lift(2, 5..=8) > 0.5,
            "dog food after `dog food`: {}",
            lift(2, 5..=8)
        );
        // Same seed, same model: identical scores.
        let again = score_histories(&run(), &[&plain, &coffee, &dog]).expect("scores");
        assert_eq!(scores, again);
        // The switch off: searches are not read at all.
        let off = crate::untrained(
            &crate::Config {
                query_dim: 0,
                ..cfg.clone()
            },
            3,
        )
        .expect("model");
        let blind = score_histories(&off, &[&plain, &coffee]).expect("scores");
        assert_eq!(blind[0], blind[1]);
    }
}
