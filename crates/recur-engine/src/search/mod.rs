//! Product search: `recur search QUERY`. Products for a free-text query from the workspace's
//! product index (`search/`, a `recur-retrieval` index of catalog titles, descriptions and
//! categories; rebuilt whenever the catalog changes), the query's intent by rules
//! ([`SearchIntent`]), and for a known customer a re-ranking by the behaviour model.
//!
//! ```text
//! query ─► intent rules ─► price phrases out ─► BM25 (+ cosine when embedded) ─► RRF
//!                                   │                                            │
//!                                   └── price range filters known prices ◄───────┘
//!                                                                                │
//!             customer? ─► personal rank of the candidates ─► RRF(text rank, personal rank)
//! ```
//!
//! The personal blend is reciprocal-rank fusion restricted to the text candidates: each
//! candidate scores `1/(60 + text rank) + 1/(60 + personal rank)`, where the personal rank
//! orders the same candidates by the behaviour model's score for the customer (ties, and
//! products the model does not know, in text order). Deterministic: equal scores fall back to
//! the text order.

mod eval;
mod intent;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use recur_analytics::CatalogEntry;
use recur_retrieval::{KnowledgeIndex, Passage, RRF_K, SearchOptions};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::assist::EmbedAdapter;
use crate::error::{Error, Result};
use crate::recs::WorkspaceRecommender;
use crate::workspace::Workspace;

pub use eval::{SearchEvaluation, SearchMethodScore, evaluate_search};
pub use intent::SearchIntent;
use intent::{ParsedQuery, parse_query, understand};

/// The product index's folder inside a workspace.
pub const SEARCH_DIR: &str = "search";

/// The index source the products are stored under.
const SOURCE: &str = "products";

/// Candidates taken from retrieval before price filtering and re-ranking.
const CANDIDATES: usize = 100;

/// Where the product index of the workspace at `root` lives.
pub fn search_dir(root: &Path) -> PathBuf {
    root.join(SEARCH_DIR)
}

/// How the product index was brought up to date.
#[derive(Debug, Clone, Serialize)]
pub struct ProductIndexStatus {
    /// Products indexed.
    pub products: usize,
    /// `catalog`, or `order_lines` for a shop without a catalog.
    pub source: &'static str,
    /// Whether the index was (re)built for this call (the catalog or the embedder changed).
    pub rebuilt: bool,
    /// What embedded the products (empty: words only).
    pub embedder: String,
}

/// One product found.
#[derive(Debug, Clone, Serialize)]
pub struct ProductResult {
    /// Product id.
    pub product_id: String,
    /// Title.
    pub title: String,
    /// Final score (higher is better; comparable within one answer only).
    pub score: f64,
    /// Price, when known.
    pub price: Option<f64>,
    /// Category, when known.
    pub category: Option<String>,
    /// Rank by text alone (1-based, after the price filter).
    pub text_rank: usize,
    /// BM25 rank, when the words matched.
    pub bm25_rank: Option<usize>,
    /// Cosine rank, when the query was embedded.
    pub cosine_rank: Option<usize>,
    /// Rank by the customer's personal signal among the candidates, when re-ranked.
    pub personal_rank: Option<usize>,
}

/// The answer to one query.
#[derive(Debug, Clone, Serialize)]
pub struct ProductSearch {
    /// The query as given.
    pub query: String,
    /// What the query asks for.
    pub intent: SearchIntent,
    /// `bm25` (words only: no embedding model, or a query the embedder does not read) or
    /// `hybrid` (BM25 and cosine fused by reciprocal rank).
    pub method: &'static str,
    /// How the results were personalised (`behaviour model (NAME)`), when they were.
    pub personalised: Option<String>,
    /// Why results were not personalised although a customer was given, or other caveats.
    pub notes: Vec<String>,
    /// The product index.
    pub index: ProductIndexStatus,
    /// Text candidates left after the price filter (before `k`).
    pub candidates: usize,
    /// Best first.
    pub results: Vec<ProductResult>,
}

/// Options of one search.
#[derive(Debug, Clone, Default)]
pub struct ProductSearchOptions {
    /// Results to return.
    pub k: usize,
    /// The customer to personalise for.
    pub customer: Option<String>,
}

/// The workspace's products with the index over them.
pub(crate) struct ProductIndex {
    pub(crate) index: KnowledgeIndex,
    pub(crate) products: HashMap<String, CatalogEntry>,
    pub(crate) categories: Vec<String>,
    pub(crate) status: ProductIndexStatus,
}

fn passage(e: &CatalogEntry) -> Passage {
    let mut text = Vec::new();
    if let Some(d) = e.description.as_deref().filter(|d| !d.trim().is_empty()) {
        text.push(d.trim().to_owned());
    }
    if let Some(c) = e.category.as_deref().filter(|c| !c.trim().is_empty()) {
        text.push(c.trim().to_owned());
    }
    if let Some(b) = e.brand.as_deref().filter(|b| !b.trim().is_empty()) {
        text.push(b.trim().to_owned());
    }
    Passage {
        id: e.product_id.clone(),
        source: SOURCE.into(),
        kind: "product".into(),
        title: e.title.trim().to_owned(),
        text: text.join("\n"),
        meta: Default::default(),
    }
}

impl ProductIndex {
    /// Opens the index of `ws`, rebuilding it when the products changed or when `embedder`
    /// differs from the one that embedded them.
    pub(crate) fn open(
        ws: &Workspace,
        embedder: Option<&dyn recur_llm::Embed>,
    ) -> Result<ProductIndex> {
        let session = ws.session()?;
        let mut source = "catalog";
        let mut entries = session.catalog_entries()?;
        if entries.is_empty() {
            source = "order_lines";
            entries = session.order_line_products()?;
        }
        entries.retain(|e| !e.product_id.is_empty() && !e.title.trim().is_empty());
        if entries.is_empty() {
            return Err(Error::NoProducts);
        }
        let passages: Vec<Passage> = entries.iter().map(passage).collect();
        let mut hasher = Sha256::new();
        for p in &passages {
            hasher.update(p.id.as_bytes());
            hasher.update([0]);
            hasher.update(p.full_text().as_bytes());
            hasher.update([0]);
        }
        let hash = format!("{:x}", hasher.finalize());
        let mut index = KnowledgeIndex::open(&search_dir(ws.root()))?;
        let adapter = embedder.map(EmbedAdapter);
        let wanted_embedder = adapter
            .as_ref()
            .map(recur_retrieval::Embedder::id)
            .unwrap_or_default();
        let stale = index.source(SOURCE).is_none_or(|s| s.content_hash != hash)
            || (!wanted_embedder.is_empty() && index.embedder_id() != wanted_embedder);
        if stale {
            index.replace_source(
                SOURCE,
                &hash,
                passages,
                adapter
                    .as_ref()
                    .map(|a| a as &dyn recur_retrieval::Embedder),
            )?;
        }
        let categories: Vec<String> = entries
            .iter()
            .filter_map(|e| e.category.clone())
            .filter(|c| !c.trim().is_empty())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let status = ProductIndexStatus {
            products: entries.len(),
            source,
            rebuilt: stale,
            embedder: index.embedder_id().to_owned(),
        };
        Ok(ProductIndex {
            index,
            products: entries
                .into_iter()
                .map(|e| (e.product_id.clone(), e))
                .collect(),
            categories,
            status,
        })
    }

    /// The price below which a third of the category's (else the catalog's) priced products
    /// lie: what "cheap" means.
    pub(crate) fn cheap_price(&self, category: Option<&str>) -> Option<f64> {
        let mut prices: Vec<f64> = self
            .products
            .values()
            .filter(|e| category.is_none() || e.category.as_deref() == category)
            .filter_map(|e| e.price)
            .filter(|p| p.is_finite())
            .collect();
        if prices.is_empty() {
            return None;
        }
        prices.sort_by(f64::total_cmp);
        Some(prices[(prices.len() - 1) / 3])
    }

    pub(crate) fn intent(&self, parsed: &ParsedQuery) -> SearchIntent {
        understand(parsed, &self.categories, |c| self.cheap_price(c))
    }

    /// Whether `product`'s price (when known) is in the intent's range.
    fn in_range(&self, product: &str, intent: &SearchIntent) -> bool {
        let Some(price) = self.products.get(product).and_then(|e| e.price) else {
            return true;
        };
        intent.price_min.is_none_or(|m| price >= m) && intent.price_max.is_none_or(|m| price <= m)
    }

    /// The query vector, when the index holds vectors of `embedder` and the query is one the
    /// embedder reads (English: the default MiniLM is an English model).
    pub(crate) fn query_vector(
        &self,
        text: &str,
        embedder: Option<&dyn recur_llm::Embed>,
    ) -> Result<Option<Vec<f32>>> {
        let Some(e) = embedder else { return Ok(None) };
        let adapter = EmbedAdapter(e);
        if text.trim().is_empty()
            || recur_assist::Lang::detect(text) != recur_assist::Lang::En
            || recur_retrieval::Embedder::id(&adapter) != self.index.embedder_id()
        {
            return Ok(None);
        }
        Ok(recur_retrieval::Embedder::embed(&adapter, &[text])
            .map_err(recur_retrieval::Error::Embed)?
            .pop())
    }

    /// Text candidates for `text` (words when `words`, meaning when `vector`), best first,
    /// within the intent's price range: (product, score, BM25 rank, cosine rank).
    pub(crate) fn candidates(
        &self,
        text: &str,
        vector: Option<&[f32]>,
        words: bool,
        intent: &SearchIntent,
    ) -> Result<Vec<Candidate>> {
        let opts = SearchOptions {
            k: CANDIDATES,
            candidates: CANDIDATES,
            kinds: Vec::new(),
            bm25_weight: 1.0,
            word_weight: 0.0,
        };
        let hits = self
            .index
            .search(if words { text } else { "" }, vector, &opts)?;
        Ok(hits
            .into_iter()
            .filter(|h| self.in_range(&h.passage.id, intent))
            .map(|h| Candidate {
                product: h.passage.id.clone(),
                score: h.score,
                bm25_rank: h.bm25.map(|b| b.1),
                cosine_rank: h.cosine.map(|c| c.1),
            })
            .collect())
    }
}

/// A product found by text.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub(crate) product: String,
    pub(crate) score: f64,
    pub(crate) bm25_rank: Option<usize>,
    pub(crate) cosine_rank: Option<usize>,
}

/// Re-ranks text candidates (best first) with a personal score per product: reciprocal-rank
/// fusion of the text rank and the personal rank among the same candidates (products without
/// a personal score, and ties, keep their text order). Returns (candidate index, fused score,
/// personal rank), best first; ties in the fused score go to the better text rank.
pub(crate) fn blend(
    candidates: &[Candidate],
    personal: &HashMap<String, f64>,
) -> Vec<(usize, f64, usize)> {
    let mut by_personal: Vec<usize> = (0..candidates.len()).collect();
    by_personal.sort_by(|&a, &b| {
        let sa = personal
            .get(&candidates[a].product)
            .copied()
            .unwrap_or(f64::NEG_INFINITY);
        let sb = personal
            .get(&candidates[b].product)
            .copied()
            .unwrap_or(f64::NEG_INFINITY);
        sb.total_cmp(&sa).then(a.cmp(&b))
    });
    let mut personal_rank = vec![0; candidates.len()];
    for (r, &i) in by_personal.iter().enumerate() {
        personal_rank[i] = r + 1;
    }
    let mut out: Vec<(usize, f64, usize)> = (0..candidates.len())
        .map(|i| {
            let fused = 1.0 / (RRF_K + (i + 1) as f64) + 1.0 / (RRF_K + personal_rank[i] as f64);
            (i, fused, personal_rank[i])
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// Brings the workspace's product index up to date for `embedder` (embedding only products
/// that are new or changed) without searching: a server does this once in the background
/// after it starts, rather than in the first search request.
pub fn prepare_product_index(
    ws: &Workspace,
    embedder: Option<&dyn recur_llm::Embed>,
) -> Result<ProductIndexStatus> {
    Ok(ProductIndex::open(ws, embedder)?.status)
}

/// Searches the workspace's products for `query`; with a customer the behaviour model trained
/// in the workspace (`recur train`) re-ranks the candidates for them.
pub fn search_products(
    ws: &Workspace,
    query: &str,
    opts: &ProductSearchOptions,
    embedder: Option<&dyn recur_llm::Embed>,
) -> Result<ProductSearch> {
    let index = ProductIndex::open(ws, embedder)?;
    let parsed = parse_query(query);
    let intent = index.intent(&parsed);
    let mut notes = Vec::new();
    // An embedder that fails (an endpoint down) leaves the words: the search still answers.
    let vector = match index.query_vector(&parsed.text, embedder) {
        Ok(v) => v,
        Err(e) => {
            notes.push(format!("the query could not be embedded ({e}): words only"));
            None
        }
    };
    let candidates = index.candidates(&parsed.text, vector.as_deref(), true, &intent)?;
    let method = if vector.is_some() { "hybrid" } else { "bm25" };
    if embedder.is_none() {
        notes.push("no embedding model: words only (run scripts/setup-models)".to_owned());
    } else if vector.is_none() && notes.is_empty() && !parsed.text.trim().is_empty() {
        notes.push(
            "query not embedded (not English, or the index's vectors are of another embedder): words only"
                .to_owned(),
        );
    }
    let mut personalised = None;
    let mut order: Vec<(usize, f64, Option<usize>)> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (i, c.score, None))
        .collect();
    if let Some(customer) = opts.customer.as_deref() {
        match personal_scores(ws, customer)? {
            Ok((name, scores)) => {
                order = blend(&candidates, &scores)
                    .into_iter()
                    .map(|(i, s, r)| (i, s, Some(r)))
                    .collect();
                personalised = Some(format!("behaviour model ({name})"));
            }
            Err(why) => notes.push(why),
        }
    }
    let results = order
        .into_iter()
        .take(opts.k.max(1))
        .map(|(i, score, personal_rank)| {
            let c = &candidates[i];
            let e = index.products.get(&c.product);
            ProductResult {
                product_id: c.product.clone(),
                title: e.map(|e| e.title.clone()).unwrap_or_default(),
                score,
                price: e.and_then(|e| e.price),
                category: e.and_then(|e| e.category.clone()),
                text_rank: i + 1,
                bm25_rank: c.bm25_rank,
                cosine_rank: c.cosine_rank,
                personal_rank,
            }
        })
        .collect();
    Ok(ProductSearch {
        query: query.to_owned(),
        intent,
        method,
        personalised,
        notes,
        candidates: candidates.len(),
        index: index.status,
        results,
    })
}

/// The behaviour model's name and its score of each product for one customer.
type ModelScores = (String, HashMap<String, f64>);

/// The behaviour model's scores for `customer`, or why there are none (no model trained, a
/// customer the model does not know).
fn personal_scores(
    ws: &Workspace,
    customer: &str,
) -> Result<std::result::Result<ModelScores, String>> {
    if !ws
        .root()
        .join(crate::recs::MODEL_DIR)
        .join("config.json")
        .exists()
    {
        return Ok(Err(
            "not personalised: no behaviour model is trained in this workspace (run `recur train`)"
                .to_owned(),
        ));
    }
    let rec = WorkspaceRecommender::open(ws)?;
    match rec.product_scores(customer, None)? {
        Some(scores) => Ok(Ok((
            rec.model_name().to_owned(),
            scores.into_iter().map(|(p, s)| (p, f64::from(s))).collect(),
        ))),
        None => Ok(Err(
            "not personalised: the behaviour model does not know this customer".to_owned(),
        )),
    }
}
