//! Uplift modelling: a T-learner of two gradient-boosted classifiers (forust), Qini and
//! uplift curves, and the targeting comparison against random selection.
//!
//! Why forust-ml: a pure-Rust, histogram-based gradient-boosting machine (XGBoost-style
//! log-loss objective, depth/leaf limits, L2, subsampling, seeds) that builds on stable Rust
//! and trains tens of thousands of rows in a second. Its successor by the same author,
//! perpetual, needs a nightly compiler (`#![feature(array_ptr_get)]`); linfa has single trees
//! only, smartcore's forests give no log-loss boosting, gbdt-rs has been unmaintained since
//! 2021.

use forust_ml::objective::ObjectiveType;
use forust_ml::{GradientBooster, Matrix};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::stats::{Estimate, Rng, percentile_interval};

/// A feature table, column by column.
#[derive(Debug, Clone, Default)]
pub struct Features {
    /// Column names.
    pub names: Vec<String>,
    /// Columns, each with one value per customer.
    pub columns: Vec<Vec<f64>>,
}

impl Features {
    /// Customers (rows).
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }

    /// The rows at `idx`, as a new table.
    pub fn select(&self, idx: &[usize]) -> Features {
        Features {
            names: self.names.clone(),
            columns: self
                .columns
                .iter()
                .map(|c| idx.iter().map(|&i| c[i]).collect())
                .collect(),
        }
    }

    fn column_major(&self) -> Vec<f64> {
        self.columns.iter().flatten().copied().collect()
    }
}

/// Settings of the uplift model's boosters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UpliftConfig {
    /// Boosting rounds.
    pub iterations: usize,
    /// Learning rate.
    pub learning_rate: f32,
    /// Maximum tree depth.
    pub max_depth: usize,
    /// Minimum hessian weight per leaf (log-loss: about p(1-p) per customer).
    pub min_leaf_weight: f32,
    /// Seed of the boosters.
    pub seed: u64,
}

impl Default for UpliftConfig {
    /// Shallow, slowly learning trees: uplift is a small difference of two probabilities,
    /// so both models are regularised rather than fitted hard.
    fn default() -> Self {
        UpliftConfig {
            iterations: 100,
            learning_rate: 0.05,
            max_depth: 3,
            min_leaf_weight: 5.0,
            seed: 42,
        }
    }
}

/// A T-learner: P(outcome | x, treated) and P(outcome | x, control) from two log-loss boosters;
/// the uplift is their difference.
pub struct UpliftModel {
    treated: GradientBooster,
    control: GradientBooster,
}

impl std::fmt::Debug for UpliftModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpliftModel")
            .field("treated_trees", &self.treated.trees.len())
            .field("control_trees", &self.control.trees.len())
            .finish()
    }
}

fn booster(cfg: &UpliftConfig, seed: u64) -> GradientBooster {
    GradientBooster::default()
        .set_objective_type(ObjectiveType::LogLoss)
        .set_iterations(cfg.iterations)
        .set_learning_rate(cfg.learning_rate)
        .set_max_depth(cfg.max_depth)
        .set_min_leaf_weight(cfg.min_leaf_weight)
        .set_seed(seed)
        // Sequential: histogram sums in a fixed order, so the same seed gives the same model.
        .set_parallel(false)
}

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

impl UpliftModel {
    /// Fits on customers with features `x`, treatment flags and binary outcomes (0 or 1).
    pub fn fit(x: &Features, treated: &[bool], y: &[f64], cfg: &UpliftConfig) -> Result<Self> {
        let idx_t: Vec<usize> = (0..treated.len()).filter(|&i| treated[i]).collect();
        let idx_c: Vec<usize> = (0..treated.len()).filter(|&i| !treated[i]).collect();
        for (group, idx) in [("treated", &idx_t), ("control", &idx_c)] {
            let positives = idx.iter().filter(|&&i| y[i] > 0.0).count();
            if positives == 0 || positives == idx.len() {
                return Err(Error::Insufficient {
                    what: "an uplift model".into(),
                    reason: format!(
                        "the {group} group ({} customers) has {positives} positive outcomes; both outcomes must occur in both groups",
                        idx.len()
                    ),
                });
            }
        }
        let fit_one = |idx: &[usize], seed: u64| -> Result<GradientBooster> {
            let sub = x.select(idx);
            let data = sub.column_major();
            let m = Matrix::new(&data, idx.len(), sub.columns.len());
            let yy: Vec<f64> = idx.iter().map(|&i| y[i]).collect();
            let mut b = booster(cfg, seed);
            b.fit_unweighted(&m, &yy, None)
                .map_err(|e| Error::Model(e.to_string()))?;
            Ok(b)
        };
        Ok(UpliftModel {
            treated: fit_one(&idx_t, cfg.seed)?,
            control: fit_one(&idx_c, cfg.seed.wrapping_add(1))?,
        })
    }

    /// Predicted probabilities per customer: (if treated, if not).
    pub fn predict_probabilities(&self, x: &Features) -> Vec<(f64, f64)> {
        let data = x.column_major();
        let m = Matrix::new(&data, x.rows(), x.columns.len());
        let p1 = self.treated.predict(&m, false);
        let p0 = self.control.predict(&m, false);
        // Log-odds to probabilities.
        p1.iter()
            .zip(&p0)
            .map(|(a, b)| (sigmoid(*a), sigmoid(*b)))
            .collect()
    }

    /// Predicted uplift (treated minus control probability) per customer.
    pub fn predict(&self, x: &Features) -> Vec<f64> {
        self.predict_probabilities(x)
            .into_iter()
            .map(|(a, b)| a - b)
            .collect()
    }
}

/// A point of the Qini curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QiniPoint {
    /// Share of customers targeted, best predicted uplift first.
    pub fraction: f64,
    /// Incremental outcomes among them per customer in the whole set:
    /// (Y_t(k) - Y_c(k) N_t(k) / N_c(k)) / N.
    pub incremental: f64,
}

/// Qini curve and its summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Qini {
    /// Qini coefficient: the area between the Qini curve and the random-targeting diagonal,
    /// both axes as shares of all customers (0 = no better than random).
    pub coefficient: f64,
    /// Area under the Qini curve (AUUC), same scale.
    pub auuc: f64,
    /// The curve at `bins` + 1 evenly spaced fractions.
    pub curve: Vec<QiniPoint>,
}

/// The Qini curve of `scores` (higher = target first) on a randomised set: Radcliffe's
/// incremental outcomes g(k) = Y_t(k) - Y_c(k) N_t(k) / N_c(k) over the top k customers.
pub fn qini(scores: &[f64], treated: &[bool], y: &[f64], bins: usize) -> Qini {
    let n = scores.len();
    let mut order: Vec<usize> = (0..n).collect();
    // Best first; ties keep input order so the curve is deterministic.
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut g = Vec::with_capacity(n + 1);
    g.push(0.0);
    let (mut yt, mut yc, mut nt, mut nc) = (0.0, 0.0, 0.0, 0.0);
    for &i in &order {
        if treated[i] {
            yt += y[i];
            nt += 1.0;
        } else {
            yc += y[i];
            nc += 1.0;
        }
        let inc = if nc > 0.0 { yt - yc * nt / nc } else { yt };
        g.push(inc / n.max(1) as f64);
    }
    let total = *g.last().unwrap_or(&0.0);
    // Trapezoid areas over fractions k / n.
    let step = 1.0 / n.max(1) as f64;
    let auuc: f64 = g.windows(2).map(|w| (w[0] + w[1]) / 2.0 * step).sum();
    let random = total / 2.0;
    let bins = bins.max(1);
    let curve = (0..=bins)
        .map(|b| {
            let k = (b * n) / bins;
            QiniPoint {
                fraction: k as f64 / n.max(1) as f64,
                incremental: g[k],
            }
        })
        .collect();
    Qini {
        coefficient: auuc - random,
        auuc,
        curve,
    }
}

/// Incremental outcomes of targeting the `idx` customers: (mean_t - mean_c) × |idx|.
fn incremental(idx: &[usize], treated: &[bool], y: &[f64]) -> f64 {
    let (mut yt, mut yc, mut nt, mut nc) = (0.0, 0.0, 0.0, 0.0);
    for &i in idx {
        if treated[i] {
            yt += y[i];
            nt += 1.0;
        } else {
            yc += y[i];
            nc += 1.0;
        }
    }
    if nt == 0.0 || nc == 0.0 {
        return f64::NAN;
    }
    (yt / nt - yc / nc) * idx.len() as f64
}

/// The top `share` of `idx` by score.
fn top(idx: &[usize], scores: &[f64], share: f64) -> Vec<usize> {
    let mut v = idx.to_vec();
    v.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    v.truncate((share * idx.len() as f64).round() as usize);
    v
}

/// Targeting `share` of a randomised set by predicted uplift vs at random.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TargetingComparison {
    /// Customers targeted.
    pub targeted: usize,
    /// Incremental outcomes when the top `share` by predicted uplift is targeted.
    pub uplift: Estimate,
    /// Incremental outcomes when a random `share` is targeted.
    pub random: Estimate,
}

/// Estimates, with percentile bootstrap intervals (`replicates` resamples of the set, seeded),
/// how many incremental outcomes targeting `share` of the customers yields when they are
/// chosen by `scores` and when they are chosen at random. For each outcome in `outcomes`.
pub fn compare_targeting(
    scores: &[f64],
    treated: &[bool],
    outcomes: &[&[f64]],
    share: f64,
    replicates: usize,
    confidence: f64,
    seed: u64,
) -> Vec<TargetingComparison> {
    let n = scores.len();
    let all: Vec<usize> = (0..n).collect();
    let chosen = top(&all, scores, share);
    let targeted = chosen.len();
    let mut rng = Rng::new(seed);
    let mut reps_uplift = vec![Vec::with_capacity(replicates); outcomes.len()];
    let mut reps_random = vec![Vec::with_capacity(replicates); outcomes.len()];
    for _ in 0..replicates {
        let sample: Vec<usize> = (0..n).map(|_| rng.below(n)).collect();
        let best = top(&sample, scores, share);
        let mut shuffled = sample.clone();
        rng.shuffle(&mut shuffled);
        shuffled.truncate(best.len());
        for (k, y) in outcomes.iter().enumerate() {
            reps_uplift[k].push(incremental(&best, treated, y));
            reps_random[k].push(incremental(&shuffled, treated, y));
        }
    }
    outcomes
        .iter()
        .enumerate()
        .map(|(k, y)| TargetingComparison {
            targeted,
            uplift: percentile_interval(
                incremental(&chosen, treated, y),
                std::mem::take(&mut reps_uplift[k]),
                confidence,
            ),
            // The expectation of random targeting: the average effect times the number targeted.
            random: percentile_interval(
                incremental(&all, treated, y) * share,
                std::mem::take(&mut reps_random[k]),
                confidence,
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qini_of_a_perfect_and_a_reversed_ranking() {
        // Four treated (two respond) and four control (none respond).
        let treated = [true, true, true, true, false, false, false, false];
        let y = [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let good = [0.9, 0.8, 0.1, 0.1, 0.5, 0.5, 0.5, 0.5];
        let bad: Vec<f64> = good.iter().map(|v| -v).collect();
        let q_good = qini(&good, &treated, &y, 4);
        let q_bad = qini(&bad, &treated, &y, 4);
        assert!(q_good.coefficient > 0.0 && q_bad.coefficient < 0.0);
        // Both end at the same total: 2 incremental responses over 8 customers.
        assert_eq!(q_good.curve.last().unwrap().incremental, 0.25);
        assert_eq!(q_bad.curve.last().unwrap().incremental, 0.25);
        // Perfect: the first two customers hold both responses (g = 1/8, 2/8 with nc = 0).
        assert_eq!(q_good.curve[1].incremental, 0.25);
    }

    #[test]
    fn incremental_outcomes_by_hand() {
        let treated = [true, true, false, false];
        let y = [1.0, 0.0, 0.0, 0.0];
        // (1/2 - 0) × 4 customers.
        assert_eq!(incremental(&[0, 1, 2, 3], &treated, &y), 2.0);
        assert!(incremental(&[0, 1], &treated, &y).is_nan());
    }
}
