//! recur's reference evaluations and benchmarks: the checks that the models reproduce published
//! results on public datasets, and timings of the models. They are not use cases of a shop's
//! workspace (those live in `recur-engine`), so they live here, beside it.
//!
//! | Function | Dataset | What it checks | CLI |
//! |---|---|---|---|
//! | [`evaluate_cdnow`] | CDNOW sample | BG/NBD, Pareto/NBD, Gamma-Gamma fits vs the papers; 39-week holdout | `recur clv evaluate --cdnow` |
//! | [`bench_cdnow_master`] | CDNOW master | fit and scoring time | `recur clv bench` |
//! | [`evaluate_hillstrom`] | Hillstrom e-mail | randomised effects; uplift vs random targeting | `recur campaign evaluate --hillstrom` |
//! | [`evaluate_recs`] | Amazon Beauty, Ta-Feng, a workspace | transformer vs baselines (NDCG, HR) | `recur eval recs` |
//! | [`evaluate_timing`] | a workspace | the behaviour model's time head vs BG/NBD: P(purchase within the horizon) after a calibration end (AUC, Brier, log loss, deciles) | `recur eval timing` |
//! | [`bench_recommend`] | synthetic histories | latency of one customer's top 10 | `recur bench recommend` |
//! | [`bench_llm`] | a GGUF model | prompt and generation speed | `recur llm bench` |
//! | [`fuzz`] | mutated inputs | no parser panics (CSV, whitespace, JSON lines, Parquet, mappings, specs, redemptions, JSON schemas, GGUF, tokenizer) | `recur bench fuzz` |
//!
//! Errors are the engine's [`recur_engine::Error`], so callers classify them (user error or
//! bug) the same way as the use cases'.
//!
//! ```
//! let e = recur_bench::evaluate_hillstrom(std::path::Path::new("missing.csv"), 1).unwrap_err();
//! assert!(e.is_user_error());
//! ```

mod cdnow;
mod fuzz;
mod hillstrom;
mod llm;
mod recs;
mod timing;

pub use cdnow::{
    CalibrationFrequency, CdnowBench, CdnowEvaluation, CdnowHoldout, FitTiming, ModelCheck,
    SummaryCheck, TrackingWeek, bench_cdnow_master, evaluate_cdnow,
};
pub use fuzz::{FuzzOptions, FuzzReport, FuzzTarget, fuzz};
pub use hillstrom::evaluate_hillstrom;
pub use llm::{LlmBench, bench_llm};
pub use recs::{RecommendLatency, RecsEvaluation, RecsFormat, bench_recommend, evaluate_recs};
pub use timing::{TimingEvaluation, TimingOptions, TimingTraining, evaluate_timing};
