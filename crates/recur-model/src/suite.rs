//! The whole comparison: every baseline and the transformer on one split, side by side, and
//! the model a shop should use (best on validation).

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::baselines::{
    ItemKnn, ItemKnnConfig, PersonalPopularity, Popularity, TifuConfig, TifuKnn,
};
use crate::data::Sequence;
use crate::error::Result;
use crate::eval::{ModelScore, Split, best_on_validation, score_model};
use crate::model::Config;
use crate::recommender::{Exclude, Recommender};
use crate::scoring::TransformerRecommender;
use crate::train::{TrainConfig, TrainObserver, Trained, TrainingReport, train};

/// What a comparison produced.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SuiteReport {
    /// Customers in the test set.
    pub test_customers: usize,
    /// Customers in the validation set.
    pub validation_customers: usize,
    /// Items ranked (all of them: full ranking).
    pub items: usize,
    /// Cut-off.
    pub k: usize,
    /// Whether items already in the history were ranked.
    pub exclude: Exclude,
    /// One entry per model.
    pub models: Vec<ModelScore>,
    /// The model with the best validation NDCG.
    pub best_on_validation: String,
    /// The transformer's training, when it ran.
    pub transformer: Option<TrainingReport>,
    /// The transformer's settings.
    pub transformer_config: Option<Config>,
}

/// Which models to run.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    /// Cut-off.
    pub k: usize,
    /// Exclusion policy for ranking.
    pub exclude: Exclude,
    /// Scoring threads for the baselines.
    pub threads: usize,
    /// Run the baselines.
    pub baselines: bool,
    /// Train the transformer with these settings (`None`: baselines only).
    pub transformer: Option<(Config, TrainConfig)>,
    /// Checkpoint folder of the transformer's training (resumes a matching earlier run).
    pub checkpoint: Option<std::path::PathBuf>,
    /// Sentence embeddings of each item's text (row `i` for item `i + 1`), fused into the
    /// transformer's item embeddings so items with few or no interactions still get a
    /// meaningful representation.
    pub item_text: Option<Vec<Vec<f32>>>,
}

fn fit_baselines(data: &[Sequence], n: usize) -> Vec<(Box<dyn Recommender>, f64)> {
    let timed = |f: &dyn Fn() -> Box<dyn Recommender>| {
        let t = Instant::now();
        let m = f();
        (m, t.elapsed().as_secs_f64())
    };
    vec![
        timed(&|| Box::new(Popularity::fit(data, n))),
        timed(&|| Box::new(ItemKnn::fit(data, n, ItemKnnConfig::default()))),
        timed(&|| Box::new(PersonalPopularity::fit(data, n))),
        timed(&|| Box::new(TifuKnn::fit(data, n, TifuConfig::default()))),
    ]
}

/// Runs the baselines and (optionally) the transformer on `split`; returns the report and the
/// trained transformer.
pub fn run_suite(
    split: &Split,
    num_items: usize,
    options: &SuiteOptions,
    observer: &mut dyn TrainObserver,
    stop: &AtomicBool,
) -> Result<(SuiteReport, Option<Trained>)> {
    let mut models = Vec::new();
    let (on_train, on_fit) = if options.baselines {
        (
            fit_baselines(&split.train, num_items),
            fit_baselines(&split.fit, num_items),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    for ((val_model, _), (test_model, secs)) in on_train.iter().zip(&on_fit) {
        models.push(score_model(
            val_model.as_ref(),
            test_model.as_ref(),
            split,
            options.k,
            options.exclude,
            *secs,
            options.threads,
        )?);
    }
    let mut trained = None;
    let mut transformer = None;
    let mut transformer_config = None;
    if let Some((cfg, tc)) = &options.transformer {
        let mut cfg = cfg.clone();
        let text = match &options.item_text {
            Some(rows) => {
                let dim = rows.first().map_or(0, Vec::len);
                if rows.len() != num_items || rows.iter().any(|r| r.len() != dim) || dim == 0 {
                    return Err(crate::Error::BadConfig(format!(
                        "item text: expected {num_items} vectors of one width, got {}",
                        rows.len()
                    )));
                }
                cfg.text_dim = dim;
                let mut flat = vec![0f32; dim];
                for r in rows {
                    flat.extend_from_slice(r);
                }
                Some(candle_core::Tensor::from_vec(
                    flat,
                    (num_items + 1, dim),
                    &crate::device::candle_device(tc.device)?,
                )?)
            }
            None => None,
        };
        let cfg = &cfg;
        let started = Instant::now();
        let t = train(
            cfg,
            tc,
            &split.train,
            &split.validation,
            text,
            options.checkpoint.as_deref(),
            observer,
            stop,
        )?;
        let secs = started.elapsed().as_secs_f64();
        let rec = TransformerRecommender::new(t.model.clone());
        models.push(score_model(
            &rec,
            &rec,
            split,
            options.k,
            options.exclude,
            secs,
            1,
        )?);
        transformer = Some(t.report.clone());
        transformer_config = Some(cfg.clone());
        trained = Some(t);
    }
    let best = best_on_validation(&models)
        .map(|m| m.model.clone())
        .unwrap_or_default();
    Ok((
        SuiteReport {
            test_customers: split.test.inputs.len(),
            validation_customers: split.validation.inputs.len(),
            items: num_items,
            k: options.k,
            exclude: options.exclude,
            models,
            best_on_validation: best,
            transformer,
            transformer_config,
        },
        trained,
    ))
}

/// A transformer configuration suited to the data: time features and the time head only when
/// the data has times, repeat awareness only when customers repeat items, search tokens only
/// when customers searched, dropout by sparsity.
pub fn config_for(num_items: usize, train: &[Sequence]) -> Config {
    let events: usize = train.iter().map(Sequence::len).sum();
    let repeats: usize = train
        .iter()
        .map(|s| {
            let mut seen = std::collections::HashSet::new();
            s.items.iter().filter(|&&i| !seen.insert(i)).count()
        })
        .sum();
    let has_times = train.iter().any(|s| !s.times.is_empty());
    let mut cfg = Config::small(num_items);
    // SASRec's choice: heavy dropout for sparse data (short histories), light for dense.
    let mean_len = events as f64 / train.len().max(1) as f64;
    cfg.dropout = if mean_len < 20.0 { 0.5 } else { 0.2 };
    cfg.time_features = has_times
        || train
            .iter()
            .any(|s| s.baskets.windows(2).any(|w| w[0] == w[1]));
    cfg.time_head = has_times;
    cfg.repeat_aware = repeats as f64 >= 0.01 * events.max(1) as f64;
    if train.iter().any(|s| !s.searches.is_empty()) {
        cfg.query_dim = crate::query::QUERY_DIM;
    }
    cfg
}
