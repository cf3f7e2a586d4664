//! Customer value for recur: BG/NBD, Pareto/NBD and Gamma-Gamma, fitted by maximum likelihood.
//!
//! The main entry points are [`summarize`] (transactions to per-customer frequency, recency, T
//! and mean repeat spend, with a calibration/holdout split), the models' `fit` functions,
//! which return the estimates and a [`FitReport`] (standard errors, log-likelihood), the
//! [`Scorer`] (P(alive), expected purchases, expected spend, CLV for any number of customers)
//! and the holdout evaluation ([`evaluate_holdout`], [`cumulative_tracking`]).
//! Parameters are optimised in log space: BG/NBD and Gamma-Gamma by damped Newton steps with
//! their analytic gradients and Hessians, Pareto/NBD by L-BFGS (argmin) with its analytic
//! gradient. Degenerate data (a single customer, only one-time buyers, zero-length
//! periods, invalid values) is an [`Error`], never NaN estimates.
//!
//! ```
//! use recur_clv::{summarize, BgNbd, TimeUnit, Transaction};
//!
//! let tx: Vec<Transaction> = (0..200)
//!     .flat_map(|c| {
//!         let n = c % 4;
//!         (0..=n).map(move |k| Transaction { customer_id: format!("c{c}").into(), day: (c % 50) + 30 * k, amount: 10.0 })
//!     })
//!     .collect();
//! let data = summarize(&tx, 180, 365, TimeUnit::Weeks);
//! let (model, report) = BgNbd::fit(&data).unwrap();
//! assert!(report.log_likelihood < 0.0 && model.r > 0.0);
//! assert!((0.0..=1.0).contains(&model.p_alive(2.0, 8.0, 20.0)));
//! ```

mod bgnbd;
mod error;
mod evaluate;
mod fit;
mod gamma_gamma;
mod grouped;
mod pareto;
mod probability;
mod score;
mod special;
mod summary;
mod validate;

pub use bgnbd::BgNbd;
pub use error::{Error, Result};
pub use evaluate::{
    CountModel, FrequencyBucket, HoldoutEvaluation, TrackingPoint, auc, cumulative_tracking,
    evaluate_holdout,
};
pub use fit::FitReport;
pub use gamma_gamma::{GammaGamma, frequency_spend_correlation};
pub use pareto::ParetoNbd;
pub use probability::{CalibrationBin, ProbabilityScores, score_probabilities};
pub use score::{Score, Scorer, Valuation};
pub use summary::{CustomerSummary, TimeUnit, Transaction, summarize};
