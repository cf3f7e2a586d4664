//! Behaviour-model use cases: sequences from a workspace, training with model selection,
//! recommendations for a customer, and the offline evaluation on public datasets.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use recur_model::{
    BasketData, Config, EventKind, Exclude, ItemKnn, ItemKnnConfig, PersonalPopularity, Popularity,
    Recommender, Sequence, SequenceData, SuiteOptions, SuiteReport, TifuConfig, TifuKnn,
    TrainConfig, TrainObserver, TransformerRecommender, config_for, last_orders, leave_one_out,
    next_basket, run_suite,
};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::workspace::Workspace;

/// Folder of the trained behaviour model inside a workspace.
pub const MODEL_DIR: &str = "models/behaviour";

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

/// Settings of a behaviour-model run.
#[derive(Debug, Clone)]
pub struct RecsOptions {
    /// Seed of initialisation, batching and dropout.
    pub seed: u64,
    /// Most epochs.
    pub epochs: usize,
    /// Training time budget in seconds.
    pub max_seconds: Option<f64>,
    /// Skip the transformer (baselines only).
    pub baselines_only: bool,
    /// Override of the transformer's width.
    pub hidden: Option<usize>,
    /// Override of the learning rate.
    pub learning_rate: Option<f64>,
    /// Override of the dropout.
    pub dropout: Option<f32>,
    /// Override of the negatives per batch (0: full softmax).
    pub negatives: Option<usize>,
}

impl Default for RecsOptions {
    fn default() -> Self {
        Self {
            seed: 42,
            epochs: 200,
            max_seconds: Some(19.0 * 60.0),
            baselines_only: false,
            hidden: None,
            learning_rate: None,
            dropout: None,
            negatives: None,
        }
    }
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

fn model_settings(
    num_items: usize,
    train: &[Sequence],
    opts: &RecsOptions,
    exclude: Exclude,
) -> (Config, TrainConfig) {
    let mut cfg = config_for(num_items, train);
    if let Some(h) = opts.hidden {
        cfg.hidden = h;
        cfg.ffn = 4 * h;
    }
    let mut tc = TrainConfig {
        epochs: opts.epochs,
        seed: opts.seed,
        max_seconds: opts.max_seconds,
        exclude,
        learning_rate: 3e-3,
        ..TrainConfig::default()
    };
    if let Some(lr) = opts.learning_rate {
        tc.learning_rate = lr;
    }
    if let Some(d) = opts.dropout {
        cfg.dropout = d;
    }
    if let Some(n) = opts.negatives {
        tc.negatives = n;
    }
    (cfg, tc)
}

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
    let transformer =
        (!opts.baselines_only).then(|| model_settings(num_items, &split.train, opts, exclude));
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

/// Every known customer's purchases (one basket per order) and product views / cart additions,
/// in time order, over the products they touch.
pub fn workspace_sequences(ws: &Workspace) -> Result<SequenceData> {
    sequences_from(&ws.session()?)
}

fn sequences_from(session: &recur_analytics::Session) -> Result<SequenceData> {
    let lines = session.purchase_lines()?;
    let events = session.item_events()?;
    // (time, order-or-event key, kind, product) per customer.
    let mut per: HashMap<String, Vec<(i64, String, u8, String)>> = HashMap::new();
    for (c, o, t, p) in lines {
        per.entry(c)
            .or_default()
            .push((t, o, EventKind::Purchase as u8, p));
    }
    for (n, (c, t, kind, p)) in events.into_iter().enumerate() {
        let k = match kind.as_str() {
            "view" => EventKind::View,
            "add_to_cart" => EventKind::Cart,
            _ => continue,
        };
        per.entry(c)
            .or_default()
            .push((t, format!("\u{0}event-{n}"), k as u8, p));
    }
    let mut customers: Vec<String> = per.keys().cloned().collect();
    customers.sort();
    let mut data = SequenceData::default();
    for c in customers {
        let mut rows = per.remove(&c).unwrap_or_default();
        rows.sort_by(|a, b| (a.0, &a.1, &a.3).cmp(&(b.0, &b.1, &b.3)));
        let mut seq = Sequence {
            customer: c,
            ..Sequence::default()
        };
        let mut basket = 0u32;
        let mut last_key: Option<String> = None;
        for (t, key, kind, p) in rows {
            if last_key.as_ref().is_some_and(|k| *k != key) {
                basket += 1;
            }
            last_key = Some(key);
            seq.items.push(data.vocab.intern(&p));
            seq.events.push(kind);
            seq.times.push(t);
            seq.baskets.push(basket);
        }
        data.sequences.push(seq);
    }
    if data.sequences.is_empty() {
        return Err(Error::Model(recur_model::Error::NotEnoughData(
            "the workspace has no completed orders of known customers; import orders first".into(),
        )));
    }
    Ok(data)
}

/// Which recommender a workspace uses, and why.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ModelSelection {
    /// Name of the chosen model (`transformer` or a baseline).
    pub chosen: String,
    /// Validation NDCG@10 of every model.
    pub validation_ndcg: Vec<(String, f64)>,
}

/// What `recur train` did.
#[derive(Debug, Clone, Serialize)]
pub struct TrainOutcome {
    /// Where the model was saved.
    pub model_dir: PathBuf,
    /// The comparison on the workspace's last orders.
    pub evaluation: SuiteReport,
    /// The model recommendations will use.
    pub selection: ModelSelection,
}

/// Sentence embeddings of every item's catalogue title (its id when it has none), in
/// vocabulary order, in batches of 256.
fn item_text_vectors(
    session: &recur_analytics::Session,
    data: &SequenceData,
    embedder: &dyn recur_llm::Embed,
) -> Result<Vec<Vec<f32>>> {
    let titles: HashMap<String, String> = session
        .product_titles()?
        .into_iter()
        .filter_map(|(p, t, _)| t.map(|t| (p, t)))
        .collect();
    let texts: Vec<&str> = data
        .vocab
        .ids()
        .iter()
        .map(|id| titles.get(id).map_or(id.as_str(), String::as_str))
        .collect();
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(256) {
        out.extend(embedder.embed(chunk)?);
    }
    Ok(out)
}

/// Trains the behaviour model on a workspace, compares it with the baselines on each
/// customer's last order, saves it with the selection in `models/behaviour/`. With an
/// embedder, product titles are embedded and fused into the item embeddings.
pub fn train_workspace(
    ws: &Workspace,
    opts: &RecsOptions,
    embedder: Option<&dyn recur_llm::Embed>,
    observer: &mut dyn TrainObserver,
    stop: &AtomicBool,
) -> Result<TrainOutcome> {
    let session = ws.session()?;
    let data = sequences_from(&session)?;
    let split = last_orders(&data);
    let n = data.vocab.len();
    let options = SuiteOptions {
        k: 10,
        exclude: Exclude::Nothing,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        baselines: true,
        transformer: Some(model_settings(n, &split.train, opts, Exclude::Nothing)),
        // A run that is killed resumes from its last finished epoch.
        checkpoint: Some(ws.root().join(MODEL_DIR).join("checkpoint")),
        item_text: match embedder {
            Some(e) => Some(item_text_vectors(&session, &data, e)?),
            None => None,
        },
    };
    let (report, trained) = run_suite(&split, n, &options, observer, stop)?;
    let trained = trained.ok_or_else(|| {
        Error::Model(recur_model::Error::NotEnoughData(
            "the transformer did not train".into(),
        ))
    })?;
    let dir = ws.root().join(MODEL_DIR);
    recur_model::save(&dir, &trained, &data.vocab)?;
    // The finished model replaces the checkpoint.
    let _ = std::fs::remove_dir_all(dir.join("checkpoint"));
    let selection = ModelSelection {
        chosen: report.best_on_validation.clone(),
        validation_ndcg: report
            .models
            .iter()
            .map(|m| (m.model.clone(), m.validation_ndcg))
            .collect(),
    };
    let path = dir.join("selection.json");
    let text = serde_json::to_string_pretty(&selection).unwrap_or_default();
    std::fs::write(&path, text).map_err(|source| Error::Io {
        path: path.clone(),
        action: "write",
        source,
    })?;
    Ok(TrainOutcome {
        model_dir: dir,
        evaluation: report,
        selection,
    })
}

/// One recommended product.
#[derive(Debug, Clone, Serialize)]
pub struct RecommendedItem {
    /// Product id.
    pub product_id: String,
    /// Catalogue title, when known.
    pub title: Option<String>,
    /// Catalogue price, when known.
    pub price: Option<f64>,
    /// The model's score (higher is better; comparable within one list only).
    pub score: f32,
    /// Whether the customer bought or viewed it before.
    pub seen_before: bool,
}

/// Recommendations for one customer.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerRecommendations {
    /// Customer id.
    pub customer_id: String,
    /// The model that ranked them.
    pub model: String,
    /// Events in the customer's history.
    pub history_events: usize,
    /// Probability of a purchase within 90 days (the transformer's time head), when known.
    pub p_purchase_90d: Option<f32>,
    /// Best first.
    pub items: Vec<RecommendedItem>,
}

/// A loaded recommender for a workspace: the chosen model over its sequences.
pub struct WorkspaceRecommender {
    data: SequenceData,
    index: HashMap<String, usize>,
    model: Box<dyn Recommender>,
    /// The trained transformer (for the time-to-next-purchase head, whichever model ranks).
    transformer: TransformerRecommender,
    titles: HashMap<String, (Option<String>, Option<f64>)>,
}

impl WorkspaceRecommender {
    /// Loads the saved model and selection (`recur train` first) and the customers' histories.
    pub fn open(ws: &Workspace) -> Result<Self> {
        let dir = ws.root().join(MODEL_DIR);
        let saved = recur_model::load(&dir)?;
        let selection: Option<ModelSelection> = std::fs::read_to_string(dir.join("selection.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        let session = ws.session()?;
        let fresh = sequences_from(&session)?;
        // Histories over the model's vocabulary (products it never saw are left out).
        let mut data = SequenceData {
            vocab: saved.vocab.clone(),
            sequences: Vec::new(),
        };
        for s in fresh.sequences {
            let mut out = Sequence {
                customer: s.customer.clone(),
                ..Sequence::default()
            };
            for i in 0..s.len() {
                let id = fresh.vocab.id(s.items[i]).unwrap_or_default();
                if let Some(ix) = saved.vocab.get(id) {
                    out.items.push(ix);
                    out.events.push(s.events[i]);
                    out.times.push(s.times[i]);
                    out.baskets.push(s.baskets[i]);
                }
            }
            data.sequences.push(out);
        }
        let index = data
            .sequences
            .iter()
            .enumerate()
            .map(|(i, s)| (s.customer.clone(), i))
            .collect();
        let n = data.vocab.len();
        let chosen = selection.map_or_else(|| "transformer".to_owned(), |s| s.chosen);
        let model: Box<dyn Recommender> = match chosen.as_str() {
            "popularity" => Box::new(Popularity::fit(&data.sequences, n)),
            "item-knn" => Box::new(ItemKnn::fit(&data.sequences, n, ItemKnnConfig::default())),
            "p-pop" => Box::new(PersonalPopularity::fit(&data.sequences, n)),
            "tifu-knn" => Box::new(TifuKnn::fit(&data.sequences, n, TifuConfig::default())),
            _ => Box::new(TransformerRecommender::new(saved.model.clone())),
        };
        let titles = session
            .product_titles()?
            .into_iter()
            .map(|(p, t, pr)| (p, (t, pr)))
            .collect();
        Ok(Self {
            data,
            index,
            model,
            transformer: TransformerRecommender::new(saved.model),
            titles,
        })
    }

    /// The model in use.
    pub fn model_name(&self) -> &str {
        self.model.name()
    }

    /// The top `k` products for a customer.
    pub fn recommend(
        &self,
        customer: &str,
        k: usize,
        exclude: Exclude,
    ) -> Result<CustomerRecommendations> {
        let &i = self.index.get(customer).ok_or_else(|| {
            Error::Model(recur_model::Error::UnknownCustomer(customer.to_owned()))
        })?;
        let history = &self.data.sequences[i];
        let top = recur_model::recommend(self.model.as_ref(), history, k, exclude)?;
        let p90 = recur_model::next_purchase(self.transformer.model(), &[history])?
            .pop()
            .flatten()
            .map(|p| {
                let within = recur_model::NEXT_PURCHASE_DAYS
                    .iter()
                    .take_while(|&&d| d <= 90.0)
                    .count();
                p[..within].iter().sum()
            });
        let items = top
            .into_iter()
            .map(|(ix, score)| {
                let id = self.data.vocab.id(ix).unwrap_or_default().to_owned();
                let (title, price) = self.titles.get(&id).cloned().unwrap_or((None, None));
                RecommendedItem {
                    seen_before: history.items.contains(&ix),
                    product_id: id,
                    title,
                    price,
                    score,
                }
            })
            .collect();
        Ok(CustomerRecommendations {
            customer_id: customer.to_owned(),
            model: self.model.name().to_owned(),
            history_events: history.len(),
            p_purchase_90d: p90,
            items,
        })
    }
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
                customer: format!("c{c}"),
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
