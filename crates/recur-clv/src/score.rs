//! Batch scoring: P(alive), expected purchases, expected spend and CLV per customer.

use serde::Serialize;

use crate::bgnbd::BgNbd;
use crate::gamma_gamma::GammaGamma;
use crate::summary::CustomerSummary;

/// Customers per unit of parallel work.
const CHUNK: usize = 8192;

/// How customers are valued.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Valuation {
    /// Horizon of `expected_purchases`, in the summary's time unit.
    pub horizon: f64,
    /// CLV horizon in months.
    pub months: u32,
    /// Profit margin applied to spend (1.0 = revenue).
    pub margin: f64,
    /// Discount rate per month.
    pub monthly_discount: f64,
    /// Length of a month in the summary's time unit (weeks: 365.25 / 12 / 7).
    pub unit_per_month: f64,
}

impl Default for Valuation {
    /// 90 days in weeks, 12 months, revenue, 1 % a month.
    fn default() -> Self {
        Valuation {
            horizon: 90.0 / 7.0,
            months: 12,
            margin: 1.0,
            monthly_discount: 0.01,
            unit_per_month: 365.25 / 12.0 / 7.0,
        }
    }
}

/// One customer's scores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Score {
    /// Probability the customer is still active.
    pub p_alive: f64,
    /// Expected purchases within the valuation horizon.
    pub expected_purchases: f64,
    /// Expected spend per purchase.
    pub expected_spend: f64,
    /// Discounted value over the valuation months.
    pub clv: f64,
}

/// Scores customers with a fitted BG/NBD and Gamma-Gamma model.
#[derive(Debug, Clone, Copy)]
pub struct Scorer {
    /// Purchase model.
    pub bgnbd: BgNbd,
    /// Spend model.
    pub gamma_gamma: GammaGamma,
    /// Valuation settings.
    pub valuation: Valuation,
}

impl Scorer {
    /// Scores one customer.
    pub fn score(&self, c: &CustomerSummary) -> Score {
        let (x, tx, t) = (c.frequency, c.recency, c.t);
        let v = &self.valuation;
        let expected_spend = self.gamma_gamma.expected_spend(x, c.monetary);
        let mut clv = 0.0;
        let mut prev = 0.0;
        for m in 1..=v.months {
            let cum = self
                .bgnbd
                .expected_purchases(f64::from(m) * v.unit_per_month, x, tx, t);
            clv += (cum - prev) * expected_spend * v.margin
                / (1.0 + v.monthly_discount).powi(m as i32);
            prev = cum;
        }
        Score {
            p_alive: self.bgnbd.p_alive(x, tx, t),
            expected_purchases: self.bgnbd.expected_purchases(v.horizon, x, tx, t),
            expected_spend,
            clv,
        }
    }

    /// Scores every customer, in order, on all cores (fixed chunks, so the output does not
    /// depend on the number of threads). Memory is one [`Score`] per customer; stream very
    /// large bases through it in slices.
    pub fn score_all(&self, data: &[CustomerSummary]) -> Vec<Score> {
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
        if threads <= 1 || data.len() <= CHUNK {
            return data.iter().map(|c| self.score(c)).collect();
        }
        let per = data.len().div_ceil(threads).div_ceil(CHUNK) * CHUNK;
        std::thread::scope(|s| {
            let handles: Vec<_> = data
                .chunks(per)
                .map(|part| s.spawn(move || part.iter().map(|c| self.score(c)).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("scoring worker panicked"))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clv_sums_discounted_monthly_increments() {
        let s = Scorer {
            bgnbd: BgNbd {
                r: 0.243,
                alpha: 4.414,
                a: 0.793,
                b: 2.426,
            },
            gamma_gamma: GammaGamma {
                p: 6.25,
                q: 3.74,
                gamma: 15.44,
            },
            valuation: Valuation {
                months: 2,
                margin: 0.5,
                monthly_discount: 0.1,
                ..Valuation::default()
            },
        };
        let c = CustomerSummary {
            customer_id: "c".into(),
            frequency: 2.0,
            recency: 30.0,
            t: 38.0,
            monetary: 30.0,
            holdout_frequency: 0.0,
            holdout_spend: 0.0,
        };
        let m = s.valuation.unit_per_month;
        let e1 = s.bgnbd.expected_purchases(m, 2.0, 30.0, 38.0);
        let e2 = s.bgnbd.expected_purchases(2.0 * m, 2.0, 30.0, 38.0);
        let spend = s.gamma_gamma.expected_spend(2.0, 30.0);
        let want = e1 * spend * 0.5 / 1.1 + (e2 - e1) * spend * 0.5 / 1.21;
        let got = s.score(&c);
        assert!((got.clv - want).abs() < 1e-12, "{} vs {want}", got.clv);
        let many = vec![c; 20_000];
        let all = s.score_all(&many);
        assert_eq!(all.len(), 20_000);
        assert!(all.iter().all(|v| *v == got));
    }
}
