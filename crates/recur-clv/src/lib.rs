//! Customer value for recur: BG/NBD, Pareto/NBD and Gamma-Gamma, fitted by maximum likelihood.
//!
//! The main entry points are [`summarize`] (transactions to per-customer frequency, recency, T
//! and mean repeat spend, with a calibration/holdout split) and the models' `fit` functions,
//! which return the estimates and a [`FitReport`] (standard errors, log-likelihood).
//! Parameters are optimised in log space with L-BFGS (argmin); BG/NBD and Gamma-Gamma use
//! analytic gradients. Degenerate data (a single customer, only one-time buyers, zero-length
//! periods, invalid values) is an [`Error`], never NaN estimates.
//!
//! ```
//! use recur_clv::{summarize, BgNbd, TimeUnit, Transaction};
//!
//! let tx: Vec<Transaction> = (0..200)
//!     .flat_map(|c| {
//!         let n = c % 4;
//!         (0..=n).map(move |k| Transaction { customer_id: format!("c{c}"), day: (c % 50) + 30 * k, amount: 10.0 })
//!     })
//!     .collect();
//! let data = summarize(&tx, 180, 365, TimeUnit::Weeks);
//! let (model, report) = BgNbd::fit(&data).unwrap();
//! assert!(report.log_likelihood < 0.0 && model.r > 0.0);
//! assert!((0.0..=1.0).contains(&model.p_alive(2.0, 8.0, 20.0)));
//! ```

mod bgnbd;
mod error;
mod fit;
mod gamma_gamma;
mod grouped;
mod pareto;
mod special;
mod summary;
mod validate;

pub use bgnbd::BgNbd;
pub use error::{Error, Result};
pub use fit::FitReport;
pub use gamma_gamma::{GammaGamma, frequency_spend_correlation};
pub use pareto::ParetoNbd;
pub use summary::{CustomerSummary, TimeUnit, Transaction, summarize};

/// Customer lifetime value over `months` months: expected purchases in each month (from the
/// BG/NBD conditional expectation, in weeks) times expected spend and `margin`, discounted at
/// `monthly_discount` per month.
pub fn clv(
    model: &BgNbd,
    spend: &GammaGamma,
    c: &CustomerSummary,
    months: u32,
    margin: f64,
    monthly_discount: f64,
) -> f64 {
    let weeks_per_month = 365.25 / 12.0 / 7.0;
    let value = spend.expected_spend(c.frequency, c.monetary);
    let mut total = 0.0;
    let mut prev = 0.0;
    for m in 1..=months {
        let cum =
            model.expected_purchases(f64::from(m) * weeks_per_month, c.frequency, c.recency, c.t);
        total += (cum - prev) * value * margin / (1.0 + monthly_discount).powi(m as i32);
        prev = cum;
    }
    total
}
