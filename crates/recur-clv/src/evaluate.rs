//! Calibration/holdout evaluation: how well a fitted model predicts the holdout period.
//!
//! Three views, as tables and as series a chart can draw: predicted vs actual repeat
//! purchases per calibration-frequency bucket (the conditional-expectation plot of Fader,
//! Hardie & Lee 2005), weekly cumulative repeat purchases of the whole cohort (the tracking
//! plot), and per-customer accuracy (mean absolute error, and the AUC of "buys again in the
//! holdout" ranked by the predicted purchases).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::bgnbd::BgNbd;
use crate::pareto::ParetoNbd;
use crate::summary::{CustomerSummary, TimeUnit, Transaction};

/// What the evaluation needs from a purchase-count model.
pub trait CountModel {
    /// Probability the customer is still active at T.
    fn p_alive(&self, x: f64, tx: f64, t: f64) -> f64;
    /// Expected purchases in the next `horizon`, given the history.
    fn expected_purchases(&self, horizon: f64, x: f64, tx: f64, t: f64) -> f64;
    /// Expected repeat purchases of a new customer in their first `t`.
    fn expected_purchases_new(&self, t: f64) -> f64;
}

impl CountModel for BgNbd {
    fn p_alive(&self, x: f64, tx: f64, t: f64) -> f64 {
        BgNbd::p_alive(self, x, tx, t)
    }
    fn expected_purchases(&self, horizon: f64, x: f64, tx: f64, t: f64) -> f64 {
        BgNbd::expected_purchases(self, horizon, x, tx, t)
    }
    fn expected_purchases_new(&self, t: f64) -> f64 {
        BgNbd::expected_purchases_new(self, t)
    }
}

impl CountModel for ParetoNbd {
    fn p_alive(&self, x: f64, tx: f64, t: f64) -> f64 {
        ParetoNbd::p_alive(self, x, tx, t)
    }
    fn expected_purchases(&self, horizon: f64, x: f64, tx: f64, t: f64) -> f64 {
        ParetoNbd::expected_purchases(self, horizon, x, tx, t)
    }
    fn expected_purchases_new(&self, t: f64) -> f64 {
        ParetoNbd::expected_purchases_new(self, t)
    }
}

/// Customers with the same number of calibration repeat purchases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrequencyBucket {
    /// Calibration repeat purchases ("0", "1", ..., or "7+" for the last bucket).
    pub frequency: String,
    /// Customers in the bucket.
    pub customers: usize,
    /// Mean actual repeat purchases in the holdout.
    pub actual: f64,
    /// Mean predicted repeat purchases in the holdout.
    pub predicted: f64,
}

/// A model's holdout accuracy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HoldoutEvaluation {
    /// Holdout length in the summary's time unit.
    pub holdout_length: f64,
    /// Customers evaluated.
    pub customers: usize,
    /// Total actual repeat purchases in the holdout.
    pub actual_total: f64,
    /// Total predicted repeat purchases in the holdout.
    pub predicted_total: f64,
    /// Per calibration-frequency bucket (0, 1, ..., `max_bucket`+).
    pub by_frequency: Vec<FrequencyBucket>,
    /// Mean absolute error of the per-customer holdout purchase count.
    pub mae: f64,
    /// Root mean squared error of the same.
    pub rmse: f64,
    /// Area under the ROC curve of "buys at least once in the holdout", customers ranked by
    /// predicted holdout purchases (0.5 = random, 1 = perfect).
    pub auc: f64,
}

/// Compares `model`'s conditional expectations for the next `holdout_length` with the
/// customers' actual holdout purchases (`holdout_frequency`). Customers with
/// `max_bucket` or more calibration repeat purchases share the last bucket.
pub fn evaluate_holdout(
    model: &(impl CountModel + ?Sized),
    data: &[CustomerSummary],
    holdout_length: f64,
    max_bucket: u32,
) -> HoldoutEvaluation {
    let predicted: Vec<f64> = data
        .iter()
        .map(|c| model.expected_purchases(holdout_length, c.frequency, c.recency, c.t))
        .collect();
    let cap = f64::from(max_bucket);
    let mut buckets: BTreeMap<u32, (usize, f64, f64)> = BTreeMap::new();
    let (mut abs, mut sq) = (0.0, 0.0);
    for (c, p) in data.iter().zip(&predicted) {
        let b = buckets
            .entry(c.frequency.min(cap) as u32)
            .or_insert((0, 0.0, 0.0));
        b.0 += 1;
        b.1 += c.holdout_frequency;
        b.2 += p;
        abs += (c.holdout_frequency - p).abs();
        sq += (c.holdout_frequency - p).powi(2);
    }
    let n = data.len().max(1) as f64;
    let labels: Vec<bool> = data.iter().map(|c| c.holdout_frequency > 0.0).collect();
    HoldoutEvaluation {
        holdout_length,
        customers: data.len(),
        actual_total: data.iter().map(|c| c.holdout_frequency).sum(),
        predicted_total: predicted.iter().sum(),
        by_frequency: buckets
            .into_iter()
            .map(|(k, (count, actual, pred))| FrequencyBucket {
                frequency: if k == max_bucket {
                    format!("{k}+")
                } else {
                    k.to_string()
                },
                customers: count,
                actual: actual / count as f64,
                predicted: pred / count as f64,
            })
            .collect(),
        mae: abs / n,
        rmse: (sq / n).sqrt(),
        auc: auc(&predicted, &labels),
    }
}

/// Area under the ROC curve by the Mann-Whitney statistic, ties counted as one half.
/// 0.5 when either class is empty.
pub fn auc(scores: &[f64], labels: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut rank_sum, mut positives) = (0.0, 0.0);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        // Ranks i+1..=j+1 share their mean.
        let mean_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if labels[k] {
                rank_sum += mean_rank;
                positives += 1.0;
            }
        }
        i = j + 1;
    }
    let negatives = scores.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return 0.5;
    }
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}

/// One period of the cumulative tracking series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackingPoint {
    /// Period number (1 = the first period after `start`).
    pub period: u32,
    /// Whether the period ends after the calibration end.
    pub holdout: bool,
    /// Actual cumulative repeat purchases of the cohort by the end of the period.
    pub actual: f64,
    /// Predicted cumulative repeat purchases.
    pub predicted: f64,
}

/// Weekly (or daily) cumulative repeat purchases of the customers whose first purchase lies
/// in `start..=calibration_end`, from `start` to `observation_end`, actual vs predicted by
/// the model's expectation for new customers (each from their own first purchase).
/// Purchases on one day are one occasion, as in [`crate::summarize`].
pub fn cumulative_tracking(
    model: &(impl CountModel + ?Sized),
    transactions: &[Transaction],
    start: i64,
    calibration_end: i64,
    observation_end: i64,
    unit: TimeUnit,
) -> Vec<TrackingPoint> {
    let mut days: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for t in transactions {
        if (start..=observation_end).contains(&t.day) {
            days.entry(&t.customer_id).or_default().push(t.day);
        }
    }
    let step = unit.days().round().max(1.0) as i64;
    let periods = ((observation_end - start + 1) as f64 / step as f64).ceil() as usize;
    let mut repeats = vec![0.0; periods];
    // Customers by first-purchase day: the prediction depends only on that.
    let mut cohort: BTreeMap<i64, f64> = BTreeMap::new();
    for (_, mut d) in days {
        d.sort_unstable();
        d.dedup();
        let first = d[0];
        if first > calibration_end {
            continue;
        }
        *cohort.entry(first).or_default() += 1.0;
        for day in &d[1..] {
            repeats[((day - start) / step) as usize] += 1.0;
        }
    }
    let mut actual = 0.0;
    (0..periods)
        .map(|k| {
            actual += repeats[k];
            // End of period k (exclusive day boundary), in units since each first purchase.
            let end = start + (k as i64 + 1) * step;
            let predicted = cohort
                .iter()
                .filter(|(first, _)| **first < end)
                .map(|(first, n)| {
                    // A purchase on `first` is at the start of that day; time runs to `end`.
                    n * model.expected_purchases_new((end - first - 1) as f64 / unit.days())
                })
                .sum();
            TrackingPoint {
                period: k as u32 + 1,
                holdout: end - 1 > calibration_end,
                actual,
                predicted,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_by_hand() {
        // Perfect ranking, reversed ranking, and ties.
        assert_eq!(auc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]), 1.0);
        assert_eq!(auc(&[0.9, 0.8, 0.2, 0.1], &[false, false, true, true]), 0.0);
        assert_eq!(auc(&[0.5, 0.5, 0.5, 0.5], &[false, true, false, true]), 0.5);
        // Positives at 0.3, 0.7; negatives at 0.1, 0.5, 0.7: pairs won 1+2, tie 0.5 → 3.5/6.
        let a = auc(
            &[0.3, 0.7, 0.1, 0.5, 0.7],
            &[true, true, false, false, false],
        );
        assert!((a - 3.5 / 6.0).abs() < 1e-12, "{a}");
        assert_eq!(auc(&[0.3], &[true]), 0.5);
    }

    struct Constant(f64);

    impl CountModel for Constant {
        fn p_alive(&self, _: f64, _: f64, _: f64) -> f64 {
            1.0
        }
        fn expected_purchases(&self, horizon: f64, _: f64, _: f64, _: f64) -> f64 {
            self.0 * horizon
        }
        fn expected_purchases_new(&self, t: f64) -> f64 {
            self.0 * t
        }
    }

    #[test]
    fn holdout_buckets_and_errors_by_hand() {
        let c = |x: f64, hold: f64| CustomerSummary {
            customer_id: "c".into(),
            frequency: x,
            recency: 1.0,
            t: 10.0,
            monetary: 0.0,
            holdout_frequency: hold,
            holdout_spend: 0.0,
        };
        let data = [
            c(0.0, 0.0),
            c(0.0, 2.0),
            c(1.0, 1.0),
            c(5.0, 3.0),
            c(9.0, 1.0),
        ];
        // Predicts 0.1 per week for 10 weeks = 1 purchase each.
        let e = evaluate_holdout(&Constant(0.1), &data, 10.0, 2);
        let labels: Vec<&str> = e
            .by_frequency
            .iter()
            .map(|b| b.frequency.as_str())
            .collect();
        assert_eq!(labels, ["0", "1", "2+"]);
        assert_eq!(e.by_frequency[0].customers, 2);
        assert_eq!(e.by_frequency[0].actual, 1.0);
        assert_eq!(e.by_frequency[2].actual, 2.0);
        assert!((e.by_frequency[2].predicted - 1.0).abs() < 1e-12);
        assert_eq!(e.actual_total, 7.0);
        assert!((e.predicted_total - 5.0).abs() < 1e-12);
        // |0-1| + |2-1| + 0 + |3-1| + 0 = 4 over 5 customers.
        assert!((e.mae - 0.8).abs() < 1e-12);
        assert!((e.rmse - (6.0f64 / 5.0).sqrt()).abs() < 1e-12);
        // Equal predictions: AUC one half.
        assert_eq!(e.auc, 0.5);
    }

    #[test]
    fn tracking_counts_repeat_days_by_week() {
        let t = |c: &str, day: i64| Transaction {
            customer_id: c.into(),
            day,
            amount: 1.0,
        };
        // a: first day 0, repeats on days 3 (week 1), 3 again (same day), 9 (week 2).
        // b: first day 7, repeat on 20 (week 3). c: first day 15, after calibration end 13.
        let tx = [
            t("a", 0),
            t("a", 3),
            t("a", 3),
            t("a", 9),
            t("b", 7),
            t("b", 20),
            t("c", 15),
        ];
        let pts = cumulative_tracking(&Constant(1.0), &tx, 0, 13, 20, TimeUnit::Weeks);
        let actual: Vec<f64> = pts.iter().map(|p| p.actual).collect();
        assert_eq!(actual, [1.0, 2.0, 3.0]);
        assert_eq!(
            pts.iter().map(|p| p.holdout).collect::<Vec<_>>(),
            [false, false, true]
        );
        // One purchase per week from each first purchase: a at week 1 has had 6/7 weeks
        // (days 0..=6), b has not started.
        assert!((pts[0].predicted - 6.0 / 7.0).abs() < 1e-12);
        assert!((pts[1].predicted - (13.0 / 7.0 + 6.0 / 7.0)).abs() < 1e-12);
    }
}
