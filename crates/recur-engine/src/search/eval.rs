//! `recur eval search`: how well product search finds what customers went on to buy.
//!
//! Every search of a known customer that is followed by a completed purchase of the same
//! customer within [`WINDOW_DAYS`] days is one test case; the products bought in that window
//! are the relevant ones. Each method ranks the workspace's products for the search text and
//! is scored by Recall@10 and NDCG@10 (binary gains), averaged over the test cases:
//!
//! - `bm25`: words only;
//! - `embeddings`: cosine over the sentence embeddings only;
//! - `hybrid`: both fused by reciprocal rank (what `recur search` does);
//! - `hybrid_personalised`: the hybrid candidates re-ranked by [`blend`] with a personal
//!   signal computed only from the customer's completed purchases strictly before the search:
//!   `times the customer bought the product + 0.1 x times they bought in its category`;
//! - `hybrid_model` (when a behaviour model is trained): the same blend with the behaviour
//!   model's scores of the customer's history cut strictly before the search. The history is
//!   cut, but the model's weights were trained on the whole period (later purchases included),
//!   so this figure is optimistic and reported beside, not instead of, the one above.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use serde::Serialize;

use super::intent::parse_query;
use super::{Candidate, ProductIndex, blend};
use crate::error::{Error, Result};
use crate::recs::{MODEL_DIR, WorkspaceRecommender};
use crate::workspace::Workspace;

/// Days after a search in which a purchase counts as what the search was for.
pub(crate) const WINDOW_DAYS: i64 = 14;

/// Cut-off of the metrics.
const AT: usize = 10;

/// One method's quality.
#[derive(Debug, Clone, Serialize)]
pub struct SearchMethodScore {
    /// Mean share of the purchased products in the top 10.
    #[serde(rename = "recall@10")]
    pub recall_at_10: f64,
    /// Mean NDCG@10 of the purchased products (binary gains).
    #[serde(rename = "ndcg@10")]
    pub ndcg_at_10: f64,
    /// Searches evaluated.
    pub searches: usize,
}

/// The evaluation of product search on a workspace.
#[derive(Debug, Clone, Serialize)]
pub struct SearchEvaluation {
    /// Searches evaluated (followed by a purchase within the window).
    pub searches: usize,
    /// Searches of known customers with text in the workspace.
    pub searches_total: usize,
    /// The window in days.
    pub window_days: i64,
    /// Products searched over.
    pub products: usize,
    /// What embedded products and queries (empty: none, so only `bm25` and the personalised
    /// BM25 ranking are measured).
    pub embedder: String,
    /// The personal signal of `hybrid_personalised`, exactly.
    pub personal_signal: &'static str,
    /// The behaviour model used by `hybrid_model`, when one is trained.
    pub model: Option<String>,
    /// Scores per method (`bm25`, `embeddings`, `hybrid`, `hybrid_personalised`, `hybrid_model`).
    pub methods: BTreeMap<String, SearchMethodScore>,
    /// Methods not measured, and why.
    pub skipped: Vec<String>,
    /// Seconds the evaluation took.
    pub seconds: f64,
}

const PERSONAL_SIGNAL: &str = "purchases strictly before the search: times the customer bought the product + 0.1 x times they bought in its category";

#[derive(Default)]
struct Tally {
    recall: f64,
    ndcg: f64,
    n: usize,
}

impl Tally {
    fn add(&mut self, ranked: &[&str], relevant: &HashSet<&str>) {
        let mut hits = 0usize;
        let mut dcg = 0.0;
        for (r, p) in ranked.iter().take(AT).enumerate() {
            if relevant.contains(p) {
                hits += 1;
                dcg += 1.0 / ((r + 2) as f64).log2();
            }
        }
        let ideal: f64 = (0..relevant.len().min(AT))
            .map(|r| 1.0 / ((r + 2) as f64).log2())
            .sum();
        self.recall += hits as f64 / relevant.len().max(1) as f64;
        if ideal > 0.0 {
            self.ndcg += dcg / ideal;
        }
        self.n += 1;
    }

    fn score(&self) -> SearchMethodScore {
        let n = self.n.max(1) as f64;
        SearchMethodScore {
            recall_at_10: self.recall / n,
            ndcg_at_10: self.ndcg / n,
            searches: self.n,
        }
    }
}

struct Ranked {
    bm25: Vec<Candidate>,
    embeddings: Option<Vec<Candidate>>,
    hybrid: Option<Vec<Candidate>>,
}

fn ids(c: &[Candidate]) -> Vec<&str> {
    c.iter().map(|c| c.product.as_str()).collect()
}

fn blended<'a>(c: &'a [Candidate], personal: &HashMap<String, f64>) -> Vec<&'a str> {
    blend(c, personal)
        .into_iter()
        .map(|(i, _, _)| c[i].product.as_str())
        .collect()
}

/// Evaluates product search on the workspace's searches and purchases.
pub fn evaluate_search(
    ws: &Workspace,
    embedder: Option<&dyn recur_llm::Embed>,
) -> Result<SearchEvaluation> {
    let started = Instant::now();
    let index = ProductIndex::open(ws, embedder)?;
    let session = ws.session()?;
    let searches = session.search_events()?;
    // (time, product) of each customer's completed purchases, in time order.
    let mut bought: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    for (c, _, t, p) in session.purchase_lines()? {
        bought.entry(c).or_default().push((t, p));
    }
    let recommender = if ws.root().join(MODEL_DIR).join("config.json").exists() {
        Some(WorkspaceRecommender::open(ws)?)
    } else {
        None
    };
    let category = |p: &str| index.products.get(p).and_then(|e| e.category.as_deref());
    let window = WINDOW_DAYS * 86_400;
    let mut cache: HashMap<String, Ranked> = HashMap::new();
    let mut tallies: BTreeMap<&'static str, Tally> = BTreeMap::new();
    for s in &searches {
        let Some(lines) = bought.get(&s.customer_id) else {
            continue;
        };
        let relevant: HashSet<&str> = lines
            .iter()
            .filter(|(t, _)| *t >= s.at && *t <= s.at + window)
            .map(|(_, p)| p.as_str())
            .collect();
        if relevant.is_empty() {
            continue;
        }
        if !cache.contains_key(&s.text) {
            let parsed = parse_query(&s.text);
            let intent = index.intent(&parsed);
            let vector = index.query_vector(&parsed.text, embedder)?;
            let v = vector.as_deref();
            let ranked = Ranked {
                bm25: index.candidates(&parsed.text, None, true, &intent)?,
                embeddings: match v {
                    Some(v) => Some(index.candidates(&parsed.text, Some(v), false, &intent)?),
                    None => None,
                },
                hybrid: match v {
                    Some(v) => Some(index.candidates(&parsed.text, Some(v), true, &intent)?),
                    None => None,
                },
            };
            cache.insert(s.text.clone(), ranked);
        }
        let Some(r) = cache.get(&s.text) else {
            continue;
        };
        tallies
            .entry("bm25")
            .or_default()
            .add(&ids(&r.bm25), &relevant);
        if let Some(e) = &r.embeddings {
            tallies
                .entry("embeddings")
                .or_default()
                .add(&ids(e), &relevant);
        }
        let base = r.hybrid.as_ref().unwrap_or(&r.bm25);
        if let Some(h) = &r.hybrid {
            tallies.entry("hybrid").or_default().add(&ids(h), &relevant);
        }
        // The personal signal from purchases strictly before the search.
        let mut personal: HashMap<String, f64> = HashMap::new();
        let mut per_category: HashMap<&str, f64> = HashMap::new();
        for (_, p) in lines.iter().take_while(|(t, _)| *t < s.at) {
            *personal.entry(p.clone()).or_default() += 1.0;
            if let Some(c) = category(p) {
                *per_category.entry(c).or_default() += 1.0;
            }
        }
        let mut scores: HashMap<String, f64> = HashMap::new();
        for c in base {
            let own = personal.get(&c.product).copied().unwrap_or(0.0);
            let cat = category(&c.product)
                .and_then(|k| per_category.get(k))
                .copied()
                .unwrap_or(0.0);
            if own + cat > 0.0 {
                scores.insert(c.product.clone(), own + 0.1 * cat);
            }
        }
        tallies
            .entry("hybrid_personalised")
            .or_default()
            .add(&blended(base, &scores), &relevant);
        if let Some(rec) = &recommender {
            let model_scores: HashMap<String, f64> = rec
                .product_scores(&s.customer_id, Some(s.at))?
                .unwrap_or_default()
                .into_iter()
                .map(|(p, v)| (p, f64::from(v)))
                .collect();
            tallies
                .entry("hybrid_model")
                .or_default()
                .add(&blended(base, &model_scores), &relevant);
        }
    }
    let evaluated = tallies.get("bm25").map_or(0, |t| t.n);
    if evaluated == 0 {
        return Err(Error::NoSearches(WINDOW_DAYS));
    }
    let mut skipped = Vec::new();
    if index.status.embedder.is_empty() || embedder.is_none() {
        skipped.push(
            "embeddings, hybrid: no embedding model (run scripts/setup-models); hybrid_personalised re-ranks BM25"
                .to_owned(),
        );
    }
    if recommender.is_none() {
        skipped.push("hybrid_model: no behaviour model is trained (run `recur train`)".to_owned());
    }
    Ok(SearchEvaluation {
        searches: evaluated,
        searches_total: searches.len(),
        window_days: WINDOW_DAYS,
        products: index.status.products,
        embedder: if embedder.is_some() {
            index.status.embedder.clone()
        } else {
            String::new()
        },
        personal_signal: PERSONAL_SIGNAL,
        model: recommender.as_ref().map(|r| r.model_name().to_owned()),
        methods: tallies
            .into_iter()
            .map(|(k, t)| (k.to_owned(), t.score()))
            .collect(),
        skipped,
        seconds: started.elapsed().as_secs_f64(),
    })
}
