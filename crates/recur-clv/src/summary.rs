//! Per-customer RFM summaries (frequency, recency, T, mean repeat spend) with a holdout split.

use recur_core::CustomerId;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{Error, Result};

/// One purchase: a customer, a day (days since any fixed epoch) and an amount.
#[derive(Debug, Clone, PartialEq)]
pub struct Transaction {
    /// Customer id.
    pub customer_id: CustomerId,
    /// Day of the purchase.
    pub day: i64,
    /// Amount spent.
    pub amount: f64,
}

/// Unit of recency and T.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// Days.
    Days,
    /// Weeks of seven days.
    Weeks,
}

impl TimeUnit {
    /// Days in one unit.
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Days => 1.0,
            TimeUnit::Weeks => 7.0,
        }
    }
}

/// The sufficient statistics of one customer for the buy-till-you-die models.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerSummary {
    /// Customer id.
    pub customer_id: CustomerId,
    /// Repeat purchase occasions (distinct purchase days after the first) in calibration (x).
    pub frequency: f64,
    /// Time from the first to the last purchase in calibration (t_x).
    pub recency: f64,
    /// Time from the first purchase to the end of calibration (T).
    pub t: f64,
    /// Mean spend per repeat purchase day in calibration (0 without repeats).
    pub monetary: f64,
    /// Purchase days in the holdout period.
    pub holdout_frequency: f64,
    /// Spend in the holdout period.
    pub holdout_spend: f64,
}

impl CustomerSummary {
    /// A summary with only (x, t_x, T) set (tests).
    #[cfg(test)]
    pub(crate) fn of(x: f64, tx: f64, t: f64) -> CustomerSummary {
        CustomerSummary {
            customer_id: "c".into(),
            frequency: x,
            recency: tx,
            t,
            monetary: 0.0,
            holdout_frequency: 0.0,
            holdout_spend: 0.0,
        }
    }

    /// Checks the summary's invariants: finite, non-negative, 0 <= t_x <= T, whole x.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| {
            Err(Error::BadSummary {
                customer: self.customer_id.to_string(),
                reason,
            })
        };
        let vals = [self.frequency, self.recency, self.t, self.monetary];
        if vals.iter().any(|v| !v.is_finite() || *v < 0.0) {
            return bad(format!(
                "values must be finite and non-negative, got x={}, t_x={}, T={}, m={}",
                self.frequency, self.recency, self.t, self.monetary
            ));
        }
        if self.frequency.fract() != 0.0 {
            return bad(format!(
                "frequency {} is not a whole number",
                self.frequency
            ));
        }
        if self.recency > self.t + 1e-9 {
            return bad(format!("recency {} exceeds T {}", self.recency, self.t));
        }
        if self.frequency > 0.0 && self.recency == 0.0 {
            return bad("repeat purchases but zero recency".into());
        }
        Ok(())
    }
}

/// Builds summaries from transactions. Purchases on the same day are one occasion (their
/// amounts add up). Customers whose first purchase is after `calibration_end` are left out;
/// days up to `calibration_end` (inclusive) calibrate, days after it up to `observation_end`
/// (inclusive) are the holdout.
pub fn summarize(
    transactions: &[Transaction],
    calibration_end: i64,
    observation_end: i64,
    unit: TimeUnit,
) -> Vec<CustomerSummary> {
    let mut days: BTreeMap<&str, BTreeMap<i64, f64>> = BTreeMap::new();
    for t in transactions {
        if t.day <= observation_end {
            *days
                .entry(&t.customer_id)
                .or_default()
                .entry(t.day)
                .or_default() += t.amount;
        }
    }
    let u = unit.days();
    days.into_iter()
        .filter_map(|(id, by_day)| {
            let first = *by_day.keys().next()?;
            if first > calibration_end {
                return None;
            }
            let cal: Vec<(i64, f64)> = by_day
                .range(..=calibration_end)
                .map(|(d, a)| (*d, *a))
                .collect();
            let last = cal.last().map_or(first, |(d, _)| *d);
            let repeats = &cal[1..];
            let hold: Vec<f64> = by_day
                .range(calibration_end + 1..)
                .map(|(_, a)| *a)
                .collect();
            Some(CustomerSummary {
                customer_id: id.into(),
                frequency: repeats.len() as f64,
                recency: (last - first) as f64 / u,
                t: (calibration_end - first) as f64 / u,
                monetary: if repeats.is_empty() {
                    0.0
                } else {
                    repeats.iter().map(|r| r.1).sum::<f64>() / repeats.len() as f64
                },
                holdout_frequency: hold.len() as f64,
                holdout_spend: hold.iter().sum(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(c: &str, day: i64, amount: f64) -> Transaction {
        Transaction {
            customer_id: c.into(),
            day,
            amount,
        }
    }

    #[test]
    fn same_day_purchases_are_one_occasion() {
        let tx = [
            t("a", 0, 10.0),
            t("a", 0, 5.0),
            t("a", 7, 20.0),
            t("a", 14, 30.0),
            t("a", 30, 99.0),
            t("b", 21, 1.0),
            t("c", 40, 1.0),
        ];
        let s = summarize(&tx, 28, 35, TimeUnit::Weeks);
        assert_eq!(s.len(), 2, "c starts after calibration");
        let a = &s[0];
        assert_eq!(
            (a.frequency, a.recency, a.t, a.monetary),
            (2.0, 2.0, 4.0, 25.0)
        );
        assert_eq!((a.holdout_frequency, a.holdout_spend), (1.0, 99.0));
        let b = &s[1];
        assert_eq!(
            (b.frequency, b.recency, b.t, b.monetary),
            (0.0, 0.0, 1.0, 0.0)
        );
        a.validate().unwrap();
    }

    #[test]
    fn invalid_summaries_are_named() {
        let s = CustomerSummary {
            customer_id: "z".into(),
            frequency: 2.0,
            recency: 5.0,
            t: 3.0,
            monetary: 1.0,
            holdout_frequency: 0.0,
            holdout_spend: 0.0,
        };
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains("customer `z`") && e.contains("exceeds T"), "{e}");
    }
}
