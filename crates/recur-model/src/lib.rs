//! recur's behaviour model: a GPT-style causal transformer trained on each customer's event
//! sequence (items, event kinds, time gaps, repeats, and searches as tokens of their own) that predicts the next items and the time
//! to the next purchase, the baselines it must beat (popularity, item k-NN, personal
//! popularity, TIFU-KNN), and the evaluation protocols (leave-one-out with full ranking, next
//! basket).
//!
//! ```
//! use std::sync::atomic::AtomicBool;
//! use recur_model::{Config, Exclude, Sequence, TrainConfig, Validation, recommend, train, TransformerRecommender};
//!
//! # fn main() -> Result<(), recur_model::Error> {
//! // Customers who buy 1 then 2 then 3.
//! let seqs: Vec<Sequence> = (0..40).map(|c| Sequence::from_items(format!("c{c}"), vec![1, 2, 3])).collect();
//! let validation = Validation { inputs: vec![seqs[0].prefix(2)], targets: vec![vec![3]] };
//! let mut cfg = Config::small(3);
//! cfg.hidden = 16; cfg.ffn = 32; cfg.layers = 1; cfg.dropout = 0.0;
//! let tc = TrainConfig { epochs: 30, batch_size: 8, warmup_steps: 5, patience: 30, ..TrainConfig::default() };
//! let trained = train(&cfg, &tc, &seqs, &validation, None, None, &mut (), &AtomicBool::new(false))?;
//! let rec = TransformerRecommender::new(trained.model);
//! let top = recommend(&rec, &seqs[0].prefix(2), 1, Exclude::Nothing)?;
//! assert_eq!(top[0].0, 3);
//! # Ok(())
//! # }
//! ```

mod artefact;
mod baselines;
mod data;
mod device;
mod encode;
mod error;
mod eval;
mod metrics;
mod model;
mod optim;
mod query;
mod recommender;
mod scoring;
mod suite;
mod train;
mod xent;

pub use artefact::{SavedModel, load, load_on, save};
pub use baselines::{ItemKnn, ItemKnnConfig, PersonalPopularity, Popularity, TifuConfig, TifuKnn};
pub use data::{
    BasketData, EVENT_KINDS, EventKind, ItemVocab, Search, Sequence, SequenceData,
    load_history_future, load_user_item_pairs,
};
pub use device::candle_device;
pub use encode::{
    Batch, NEXT_PURCHASE_DAYS, RepeatFeatures, SearchFeatures, TIME_CLASSES, Window, encode,
};
pub use error::{Error, Result};
pub use eval::{
    ModelScore, Split, best_on_validation, last_orders, leave_one_out, measure, next_basket,
    score_model,
};
pub use metrics::{MetricSums, hit_at_k, ndcg_at_k, recall_at_k, top_k};
pub use model::{Config, Model};
pub use query::{QUERY_DIM, query_features};
pub use recommender::{Exclude, Recommender, apply_exclusion, recommend};
pub use recur_core::ComputeDevice;
pub use scoring::{TransformerRecommender, next_purchase, score_histories};
pub use suite::{SuiteOptions, SuiteReport, config_for, run_suite};
pub use train::{
    EpochReport, StopReason, TrainConfig, TrainObserver, Trained, TrainingReport, Validation,
    train, untrained, validate,
};
