//! Offline evaluation protocols: leave-one-out next item (full ranking over every item) and
//! next basket (history vs the following basket), run for any set of recommenders.

use std::time::Instant;

use crate::data::{BasketData, EventKind, Sequence, SequenceData};
use crate::error::{Error, Result};
use crate::metrics::{MetricSums, top_k};
use crate::recommender::{Exclude, Recommender, apply_exclusion};
use crate::train::Validation;

/// A split for training, model selection and the final test.
#[derive(Debug, Clone, Default)]
pub struct Split {
    /// What models learn from.
    pub train: Vec<Sequence>,
    /// Held-out next events for early stopping and model selection.
    pub validation: Validation,
    /// Held-out next events for the reported figures.
    pub test: Validation,
    /// What baselines that need no early stopping may use as their data (the test inputs).
    pub fit: Vec<Sequence>,
}

/// Leave-one-out: the last event of each customer is the test target (the rest is its input),
/// the one before it the validation target; customers with fewer than 3 events only train.
pub fn leave_one_out(data: &SequenceData) -> Split {
    let mut split = Split::default();
    for s in &data.sequences {
        let n = s.len();
        if n < 3 {
            split.train.push(s.clone());
            split.fit.push(s.clone());
            continue;
        }
        split.train.push(s.prefix(n - 2));
        split.validation.inputs.push(s.prefix(n - 2));
        split.validation.targets.push(vec![s.items[n - 2]]);
        split.test.inputs.push(s.prefix(n - 1));
        split.test.targets.push(vec![s.items[n - 1]]);
        split.fit.push(s.prefix(n - 1));
    }
    split
}

/// Next basket: the future basket is the test target of the full history; the last history
/// basket is the validation target of the baskets before it.
pub fn next_basket(data: &BasketData) -> Split {
    let mut split = Split::default();
    for (h, future) in data.history.iter().zip(&data.future) {
        split.test.inputs.push(h.clone());
        split.test.targets.push(future.clone());
        split.fit.push(h.clone());
        let cut = h.last_basket_start();
        if cut > 0 {
            let mut last: Vec<u32> = h.items[cut..].to_vec();
            last.sort_unstable();
            last.dedup();
            split.validation.inputs.push(h.prefix(cut));
            split.validation.targets.push(last);
            split.train.push(h.prefix(cut));
        } else {
            split.train.push(h.clone());
        }
    }
    split
}

/// The split of a workspace's purchase histories: each customer's last order is the test
/// basket and the order before it the validation basket. Inputs end with the order before the
/// target order (views and cart additions after it are left out), as when a message goes out
/// some time after an order; training sees everything before the validation order.
pub fn last_orders(data: &SequenceData) -> Split {
    let mut split = Split::default();
    for s in &data.sequences {
        // Distinct purchase baskets, in order.
        let mut orders: Vec<u32> = Vec::new();
        for i in 0..s.len() {
            if s.events[i] == EventKind::Purchase as u8 && orders.last() != Some(&s.baskets[i]) {
                orders.push(s.baskets[i]);
            }
        }
        let start_of = |b: u32| s.baskets.iter().position(|&x| x == b).unwrap_or(0);
        let end_of = |b: u32| s.baskets.iter().rposition(|&x| x == b).map_or(0, |i| i + 1);
        let purchases = |b: u32| -> Vec<u32> {
            let mut v: Vec<u32> = (0..s.len())
                .filter(|&i| s.baskets[i] == b && s.events[i] == EventKind::Purchase as u8)
                .map(|i| s.items[i])
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let n = orders.len();
        if n < 2 {
            split.train.push(s.clone());
            split.fit.push(s.clone());
            continue;
        }
        let test_input = s.prefix(end_of(orders[n - 2]));
        split.test.inputs.push(test_input.clone());
        split.test.targets.push(purchases(orders[n - 1]));
        split.fit.push(test_input);
        if n >= 3 {
            split
                .validation
                .inputs
                .push(s.prefix(end_of(orders[n - 3])));
            split.validation.targets.push(purchases(orders[n - 2]));
            split.train.push(s.prefix(start_of(orders[n - 2])));
        } else {
            split.train.push(s.prefix(start_of(orders[n - 1])));
        }
    }
    split
}

/// One model's figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModelScore {
    /// Model name.
    pub model: String,
    /// NDCG@k on the test targets.
    #[serde(rename = "ndcg@10")]
    pub ndcg: f64,
    /// HR@k.
    #[serde(rename = "hr@10")]
    pub hit_rate: f64,
    /// Recall@k.
    #[serde(rename = "recall@10")]
    pub recall: f64,
    /// NDCG@k on the validation targets (what model selection looks at).
    pub validation_ndcg: f64,
    /// Seconds to fit or train.
    pub train_seconds: f64,
    /// Seconds to score every test customer.
    pub score_seconds: f64,
}

/// Metrics of one recommender on held-out targets (scored on scoped threads).
pub fn measure(
    model: &dyn Recommender,
    held_out: &Validation,
    k: usize,
    exclude: Exclude,
    threads: usize,
) -> Result<MetricSums> {
    let n = held_out.inputs.len();
    if n == 0 {
        return Ok(MetricSums::default());
    }
    let threads = threads.max(1).min(n);
    let per = n.div_ceil(threads);
    let parts: Vec<Result<MetricSums>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || -> Result<MetricSums> {
                    let mut sums = MetricSums::default();
                    let lo = t * per;
                    let hi = ((t + 1) * per).min(n);
                    for start in (lo..hi).step_by(256) {
                        let end = (start + 256).min(hi);
                        let hist: Vec<&Sequence> = held_out.inputs[start..end].iter().collect();
                        let scores = model.score_batch(&hist)?;
                        for (i, mut s) in (start..end).zip(scores) {
                            apply_exclusion(&mut s, &held_out.inputs[i], exclude);
                            sums.add(&top_k(&s, k), &held_out.targets[i], k);
                        }
                    }
                    Ok(sums)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(Error::NotEnoughData("a scoring thread panicked".into()))
                })
            })
            .collect()
    });
    let mut total = MetricSums::default();
    for p in parts {
        total.merge(&p?);
    }
    Ok(total)
}

/// Scores a model on validation and test. `for_validation` is the same kind of model fitted
/// on `split.train` only (so validation targets were never seen); `for_test` may have been
/// fitted on more (`split.fit`).
pub fn score_model(
    for_validation: &dyn Recommender,
    for_test: &dyn Recommender,
    split: &Split,
    k: usize,
    exclude: Exclude,
    train_seconds: f64,
    threads: usize,
) -> Result<ModelScore> {
    let val = measure(for_validation, &split.validation, k, exclude, threads)?;
    let started = Instant::now();
    let test = measure(for_test, &split.test, k, exclude, threads)?;
    Ok(ModelScore {
        model: for_test.name().to_owned(),
        ndcg: test.ndcg(),
        hit_rate: test.hit_rate(),
        recall: test.recall(),
        validation_ndcg: val.ndcg(),
        train_seconds,
        score_seconds: started.elapsed().as_secs_f64(),
    })
}

/// The model with the best validation NDCG (ties: the earlier one).
pub fn best_on_validation(scores: &[ModelScore]) -> Option<&ModelScore> {
    scores
        .iter()
        .fold(None, |best: Option<&ModelScore>, s| match best {
            Some(b) if b.validation_ndcg >= s.validation_ndcg => Some(b),
            _ => Some(s),
        })
}
