//! The behaviour model on public datasets (Amazon Beauty, Ta-Feng) or a workspace, against
//! every baseline; and the latency of one customer's recommendations.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use recur_engine::{RecsOptions, Result, Workspace, transformer_settings, workspace_sequences};
use recur_model::{
    BasketData, Config, Exclude, Sequence, SuiteOptions, SuiteReport, TrainObserver,
    TransformerRecommender, last_orders, leave_one_out, next_basket, run_suite,
};
use serde::Serialize;

/// Which public dataset layout `recur eval recs` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecsFormat {
    /// `user item` per line, chronological (SASRec's Amazon Beauty): leave-one-out.
    Beauty,
    /// The Ta-Feng history/future JSON of the NBR reality check: next basket.
    Tafeng,
    /// A recur workspace: each customer's last order is the test basket.
    Workspace,
}

/// What `recur eval recs` reports.
#[derive(Debug, Clone, Serialize)]
pub struct RecsEvaluation {
    /// Dataset path.
    pub dataset: PathBuf,
    /// Layout.
    pub format: RecsFormat,
    /// Protocol in words.
    pub protocol: String,
    /// Customers and events read.
    pub customers: usize,
    /// Events (interactions) read.
    pub events: usize,
    /// The comparison.
    #[serde(flatten)]
    pub report: SuiteReport,
}

/// The history and future files of the Ta-Feng split: `path` is the folder holding both,
/// or the history file (the future file is named alike).
fn tafeng_paths(path: &Path) -> (PathBuf, PathBuf) {
    if path.is_dir() {
        return (
            path.join("tafeng_history.json"),
            path.join("tafeng_future.json"),
        );
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().replace("history", "future"))
        .unwrap_or_default();
    (path.to_owned(), path.with_file_name(name))
}

/// Compares the transformer with every baseline on a public dataset or a workspace.
pub fn evaluate_recs(
    dataset: &Path,
    format: RecsFormat,
    opts: &RecsOptions,
    observer: &mut dyn TrainObserver,
    stop: &AtomicBool,
) -> Result<RecsEvaluation> {
    let (split, num_items, customers, events, exclude, protocol) = match format {
        RecsFormat::Beauty => {
            let data = recur_model::load_user_item_pairs(dataset)?;
            (
                leave_one_out(&data),
                data.vocab.len(),
                data.sequences.len(),
                data.events(),
                // Beauty has no repeated user-item pairs, so the usual full-ranking protocol
                // (RecBole, S3-Rec) leaves history items out.
                Exclude::Seen,
                "leave-one-out: last item = test, second to last = validation; full ranking over all items, items already in the history left out".to_owned(),
            )
        }
        RecsFormat::Tafeng => {
            let (h, f) = tafeng_paths(dataset);
            let data: BasketData = recur_model::load_history_future(&h, &f)?;
            let events = data.history.iter().map(Sequence::len).sum();
            (
                next_basket(&data),
                data.vocab.len(),
                data.history.len(),
                events,
                Exclude::Nothing,
                "next basket: full history -> future basket (test), history without its last basket -> last basket (validation); repeats allowed".to_owned(),
            )
        }
        RecsFormat::Workspace => {
            let ws = Workspace::open(dataset)?;
            let data = workspace_sequences(&ws)?;
            (
                last_orders(&data),
                data.vocab.len(),
                data.sequences.len(),
                data.events(),
                Exclude::Nothing,
                "each customer's last order = test basket, the order before = validation; views and cart events feed the histories".to_owned(),
            )
        }
    };
    let transformer = (!opts.baselines_only)
        .then(|| transformer_settings(num_items, &split.train, opts, exclude));
    let options = SuiteOptions {
        k: 10,
        exclude,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        baselines: true,
        transformer,
        checkpoint: None,
        item_text: None,
    };
    let (report, _) = run_suite(&split, num_items, &options, observer, stop)?;
    Ok(RecsEvaluation {
        dataset: dataset.to_owned(),
        format,
        protocol,
        customers,
        events,
        report,
    })
}

/// Latency of single-customer recommendations.
#[derive(Debug, Clone, Serialize)]
pub struct RecommendLatency {
    /// Items in the catalogue.
    pub items: usize,
    /// Events in each history (the model reads the last `max_len`).
    pub history: usize,
    /// Calls timed.
    pub runs: usize,
    /// Median, milliseconds.
    pub p50_ms: f64,
    /// 95th percentile, milliseconds.
    pub p95_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// Mean, milliseconds.
    pub mean_ms: f64,
}

/// Times `recommend` (top 10) for one customer at a time with the default transformer
/// (seeded random weights: latency does not depend on their values) over `items` items and
/// `history`-event histories with repeats and times.
pub fn bench_recommend(
    items: usize,
    history: usize,
    runs: usize,
    seed: u64,
) -> Result<RecommendLatency> {
    use rand::{Rng, SeedableRng};
    let cfg = Config::small(items);
    let model = recur_model::untrained(&cfg, seed)?;
    let rec = TransformerRecommender::new(model);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let histories: Vec<Sequence> = (0..runs.max(1))
        .map(|c| {
            let mut s = Sequence {
                customer: format!("c{c}").into(),
                ..Sequence::default()
            };
            for k in 0..history {
                s.items.push(rng.random_range(1..=items as u32));
                s.events.push(rng.random_range(1..=3));
                s.baskets.push((k / 3) as u32);
                s.times.push((k as i64 / 3) * 86_400 * 7);
            }
            s
        })
        .collect();
    // Warm-up.
    for h in histories.iter().take(10) {
        recur_model::recommend(&rec, h, 10, Exclude::Nothing)?;
    }
    let mut ms: Vec<f64> = Vec::with_capacity(histories.len());
    for h in &histories {
        let t = std::time::Instant::now();
        recur_model::recommend(&rec, h, 10, Exclude::Nothing)?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    ms.sort_by(f64::total_cmp);
    let q = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    Ok(RecommendLatency {
        items,
        history,
        runs: ms.len(),
        p50_ms: q(0.5),
        p95_ms: q(0.95),
        p99_ms: q(0.99),
        mean_ms: mean,
    })
}
