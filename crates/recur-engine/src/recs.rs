//! Behaviour-model use cases: sequences from a workspace, training with model selection,
//! recommendations for a customer.

use recur_core::CustomerId;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use recur_model::{
    Config, EventKind, Exclude, ItemKnn, ItemKnnConfig, PersonalPopularity, Popularity,
    Recommender, Search, Sequence, SequenceData, SuiteOptions, SuiteReport, TifuConfig, TifuKnn,
    TrainConfig, TrainObserver, TransformerRecommender, config_for, last_orders, run_suite,
};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::live::{LiveEvent, LiveKind};
use crate::workspace::Workspace;

/// Folder of the trained behaviour model inside a workspace.
pub const MODEL_DIR: &str = "models/behaviour";

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
    /// Where the transformer trains (the workspace's `device` setting).
    pub device: recur_core::ComputeDevice,
    /// Let the transformer read customers' searches (as tokens of their own) when the data
    /// has any; `false` ignores them (the ablation).
    pub searches: bool,
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
            device: recur_core::ComputeDevice::Cpu,
            searches: true,
        }
    }
}

/// The transformer's architecture and training settings for `num_items` items and the
/// training sequences `train`, with the overrides of `opts` (width, learning rate, dropout,
/// negatives) and the items left out of the ranking. Public for the reference evaluations
/// (`recur-bench`), which train it the same way on public datasets.
pub fn transformer_settings(
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
        device: opts.device,
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
    if !opts.searches {
        cfg.query_dim = 0;
    }
    (cfg, tc)
}

/// Every known customer's purchases (one basket per order) and product views / cart additions,
/// in time order, over the products they touch, with their searches between them (a search
/// comes after the events of the same second).
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
    let mut searches: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    for q in session.search_events()? {
        searches
            .entry(q.customer_id)
            .or_default()
            .push((q.at, q.text));
    }
    let mut customers: Vec<String> = per.keys().cloned().collect();
    customers.sort();
    let mut data = SequenceData::default();
    for c in customers {
        let mut rows = per.remove(&c).unwrap_or_default();
        rows.sort_by(|a, b| (a.0, &a.1, &a.3).cmp(&(b.0, &b.1, &b.3)));
        let mut seq = Sequence {
            customer: c.into(),
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
        if let Some(mut queries) = searches.remove(seq.customer.as_str()) {
            queries.sort();
            seq.searches = queries
                .into_iter()
                .map(|(time, text)| Search {
                    before: seq.times.partition_point(|&t| t <= time),
                    time,
                    text,
                })
                .collect();
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
        transformer: Some(transformer_settings(
            n,
            &split.train,
            opts,
            Exclude::Nothing,
        )),
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
    std::fs::write(&path, text).map_err(|error| Error::Io {
        path: path.clone(),
        action: "write",
        error,
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
    pub customer_id: CustomerId,
    /// The model that ranked them.
    pub model: String,
    /// Events in the customer's history.
    pub history_events: usize,
    /// Probability of a purchase within 90 days. Always `None` today: the transformer's
    /// time head ranked customers barely better than chance when measured against later
    /// orders (`recur eval timing` on UCI Online Retail: AUC 0.54 against BG/NBD's 0.73), so
    /// recur does not show it; a customer's value (BG/NBD P(alive), expected purchases) is
    /// the figure to use.
    pub p_purchase_90d: Option<f32>,
    /// Best first.
    pub items: Vec<RecommendedItem>,
}

/// A loaded recommender for a workspace: the chosen model over its sequences.
pub struct WorkspaceRecommender {
    data: SequenceData,
    index: HashMap<String, usize>,
    model: Box<dyn Recommender>,
    /// Co-occurrence neighbours, for "similar items".
    neighbours: ItemKnn,
    titles: HashMap<String, (Option<String>, Option<f64>)>,
    /// Products never recommended: held back by their reviews (`[reviews]` settings).
    held_back: HashSet<String>,
}

impl WorkspaceRecommender {
    /// Loads the saved model and selection (`recur train` first) and the customers' histories.
    /// Products the reviews hold back ([`crate::workspace_held_back`]: `reviews.hold_back`,
    /// on by default) are left out of every list.
    pub fn open(ws: &Workspace) -> Result<Self> {
        let dir = ws.root().join(MODEL_DIR);
        let saved = recur_model::load_on(&dir, ws.settings().device)?;
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
            // Kept events before each old index, to place the searches among the kept ones.
            let mut kept_before = Vec::with_capacity(s.len() + 1);
            for i in 0..s.len() {
                kept_before.push(out.len());
                let id = fresh.vocab.id(s.items[i]).unwrap_or_default();
                if let Some(ix) = saved.vocab.get(id) {
                    out.items.push(ix);
                    out.events.push(s.events[i]);
                    out.times.push(s.times[i]);
                    out.baskets.push(s.baskets[i]);
                }
            }
            kept_before.push(out.len());
            out.searches = s
                .searches
                .into_iter()
                .map(|q| Search {
                    before: kept_before[q.before],
                    ..q
                })
                .collect();
            data.sequences.push(out);
        }
        let index = data
            .sequences
            .iter()
            .enumerate()
            .map(|(i, s)| (s.customer.to_string(), i))
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
        let neighbours = ItemKnn::fit(&data.sequences, n, ItemKnnConfig::default());
        let held_back = crate::reviews::workspace_held_back(ws)?.ids();
        Ok(Self {
            data,
            index,
            model,
            neighbours,
            titles,
            held_back,
        })
    }

    /// The products left out of every list (held back by their reviews).
    pub fn held_back(&self) -> &HashSet<String> {
        &self.held_back
    }

    /// Leaves out `products` instead (a campaign uses the set recorded with its plan; an
    /// empty set recommends everything).
    pub fn set_held_back(&mut self, products: HashSet<String>) {
        self.held_back = products;
    }

    /// Whether the product at vocabulary index `ix` is held back.
    fn is_held_back(&self, ix: u32) -> bool {
        !self.held_back.is_empty()
            && self
                .data
                .vocab
                .id(ix)
                .is_some_and(|id| self.held_back.contains(id))
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
        self.recommend_with(customer, &[], k, exclude)
    }

    /// Whether the model knows the customer (from the stored tables).
    pub fn knows(&self, customer: &str) -> bool {
        self.index.contains_key(customer)
    }

    /// The top `k` products for a customer whose history continues with `recent` (live
    /// events not yet in the stored tables): the model scores the longer history as it is,
    /// without retraining. A customer only `recent` knows is scored on those events alone.
    pub fn recommend_with(
        &self,
        customer: &str,
        recent: &[LiveEvent],
        k: usize,
        exclude: Exclude,
    ) -> Result<CustomerRecommendations> {
        let stored = self.index.get(customer).map(|&i| &self.data.sequences[i]);
        let extended;
        let history = match (stored, self.extend(stored, customer, recent)) {
            (_, Some(longer)) => {
                extended = longer;
                &extended
            }
            (Some(h), None) => h,
            (None, None) => {
                return Err(Error::Model(recur_model::Error::UnknownCustomer(
                    customer.to_owned(),
                )));
            }
        };
        // Enough more that the held-back products can be dropped and `k` remain.
        let top: Vec<(u32, f32)> = recur_model::recommend(
            self.model.as_ref(),
            history,
            k.saturating_add(self.held_back.len()),
            exclude,
        )?
        .into_iter()
        .filter(|&(ix, _)| !self.is_held_back(ix))
        .take(k)
        .collect();
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
            customer_id: customer.into(),
            model: self.model.name().to_owned(),
            history_events: history.len(),
            // The time head is not shown: see the field's documentation.
            p_purchase_90d: None,
            items,
        })
    }

    /// The stored history followed by the live events on products the model knows; `None`
    /// when no live event adds anything.
    fn extend(
        &self,
        stored: Option<&Sequence>,
        customer: &str,
        recent: &[LiveEvent],
    ) -> Option<Sequence> {
        let mut out = stored.cloned().unwrap_or_else(|| Sequence {
            customer: customer.into(),
            ..Sequence::default()
        });
        let before = out.len();
        let searches_before = out.searches.len();
        let mut basket = out.baskets.last().map_or(0, |b| b + 1);
        let mut last_order: Option<&str> = None;
        for e in recent {
            let kind = match e.kind {
                LiveKind::View => EventKind::View,
                LiveKind::AddToCart => EventKind::Cart,
                LiveKind::Purchase => EventKind::Purchase,
                LiveKind::Search => {
                    if let Some(text) = e.search_text.as_deref().filter(|t| !t.trim().is_empty()) {
                        out.searches.push(Search {
                            before: out.len(),
                            time: e.occurred_at.div_euclid(1_000_000),
                            text: text.to_owned(),
                        });
                    }
                    continue;
                }
                LiveKind::Review => continue,
            };
            let Some(ix) = e.product_id.as_deref().and_then(|p| self.data.vocab.get(p)) else {
                continue;
            };
            // Lines of one order share a basket; every other event is a basket of its own.
            let same_order = kind == EventKind::Purchase
                && last_order.is_some()
                && last_order == e.order_id.as_deref();
            if out.len() > before && !same_order {
                basket += 1;
            }
            last_order = (kind == EventKind::Purchase)
                .then_some(e.order_id.as_deref())
                .flatten();
            out.items.push(ix);
            out.events.push(kind as u8);
            out.times.push(e.occurred_at.div_euclid(1_000_000));
            out.baskets.push(basket);
        }
        (out.len() > before || out.searches.len() > searches_before).then_some(out)
    }

    /// The model's score of every product it knows for `customer`, from the stored history
    /// alone, or from its events strictly before `before` (Unix seconds) when given; `None`
    /// when the model does not know the customer or nothing of the history is left. The
    /// model's weights are the trained ones either way.
    pub(crate) fn product_scores(
        &self,
        customer: &str,
        before: Option<i64>,
    ) -> Result<Option<HashMap<String, f32>>> {
        let Some(stored) = self.index.get(customer).map(|&i| &self.data.sequences[i]) else {
            return Ok(None);
        };
        let truncated;
        let history = match before {
            None => stored,
            Some(t) => {
                let n = stored.times.iter().take_while(|&&x| x < t).count();
                truncated = Sequence {
                    customer: stored.customer.clone(),
                    items: stored.items[..n].to_vec(),
                    events: stored.events[..n].to_vec(),
                    times: stored.times[..n].to_vec(),
                    baskets: stored.baskets[..n].to_vec(),
                    searches: stored
                        .searches
                        .iter()
                        .filter(|q| q.time < t)
                        .cloned()
                        .collect(),
                };
                &truncated
            }
        };
        if history.is_empty() {
            return Ok(None);
        }
        let scores = self
            .model
            .score_batch(&[history])?
            .pop()
            .unwrap_or_default();
        Ok(Some(
            scores
                .into_iter()
                .enumerate()
                .skip(1)
                .filter(|(_, s)| s.is_finite())
                .filter_map(|(ix, s)| {
                    let id = self.data.vocab.id(u32::try_from(ix).ok()?)?;
                    Some((id.to_owned(), s))
                })
                .collect(),
        ))
    }

    /// Products bought or viewed near `product` in customers' histories, most similar first.
    pub fn similar(&self, product: &str, k: usize) -> Result<Vec<RecommendedItem>> {
        let ix =
            self.data.vocab.get(product).ok_or_else(|| {
                Error::Model(recur_model::Error::UnknownProduct(product.to_owned()))
            })?;
        Ok(self
            .neighbours
            .neighbours_of(ix)
            .iter()
            .filter(|&&(j, _)| !self.is_held_back(j))
            .take(k)
            .map(|&(j, score)| {
                let id = self.data.vocab.id(j).unwrap_or_default().to_owned();
                let (title, price) = self.titles.get(&id).cloned().unwrap_or((None, None));
                RecommendedItem {
                    product_id: id,
                    title,
                    price,
                    score,
                    seen_before: false,
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(kind: LiveKind, product: Option<&str>, search: Option<&str>, at: i64) -> LiveEvent {
        LiveEvent {
            product_id: product.map(str::to_owned),
            search_text: search.map(str::to_owned),
            ..LiveEvent::new(kind, "c1".into(), at * 1_000_000)
        }
    }

    #[test]
    fn live_searches_join_the_history_after_the_events_before_them() {
        let mut data = SequenceData::default();
        let p1 = data.vocab.intern("p1");
        data.sequences.push(Sequence {
            customer: "c1".into(),
            items: vec![p1],
            events: vec![EventKind::Purchase as u8],
            times: vec![100],
            baskets: vec![0],
            searches: Vec::new(),
        });
        let rec = WorkspaceRecommender {
            index: HashMap::from([("c1".to_owned(), 0)]),
            model: Box::new(Popularity::fit(&data.sequences, 1)),
            neighbours: ItemKnn::fit(&data.sequences, 1, ItemKnnConfig::default()),
            titles: HashMap::new(),
            held_back: HashSet::new(),
            data,
        };
        let stored = rec.data.sequences.first();
        let recent = [
            live(LiveKind::Search, None, Some("decaf coffee"), 200),
            live(LiveKind::View, Some("p1"), None, 300),
            live(LiveKind::Search, None, Some("  "), 350),
            live(LiveKind::Search, None, Some("dog food"), 400),
        ];
        let out = rec.extend(stored, "c1", &recent).expect("longer");
        assert_eq!(out.items, vec![p1, p1]);
        let placed: Vec<(usize, i64, &str)> = out
            .searches
            .iter()
            .map(|q| (q.before, q.time, q.text.as_str()))
            .collect();
        assert_eq!(placed, vec![(1, 200, "decaf coffee"), (2, 400, "dog food")]);
        // A search alone is news too.
        let only = rec.extend(stored, "c1", &recent[3..]).expect("longer");
        assert_eq!((only.len(), only.searches.len()), (1, 1));
    }
}
