//! What the server holds: per workspace (a shop) its keys, event log, snapshot and a cache
//! of recommendations; shared settings, metrics and rate limits.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Instant, SystemTime};

use recur_engine::{ApiKeys, ChannelConfig, EventLog, KeyRecord, LiveEvent, ShopView, Workspace};

use crate::error::Result;
use crate::metrics::Metrics;

/// Settings of a server (from `[serve]` in recur.toml, RECUR_SERVE_* and flags).
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Origins allowed to call the API from a browser (CORS); empty: none.
    pub cors_origins: Vec<String>,
    /// Requests per second one key may make (a burst of twice as many is allowed).
    pub rate_limit_per_second: f64,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Live events are folded into the stored tables at most this often, in seconds.
    pub compact_seconds: u64,
    /// ... or as soon as this many are waiting.
    pub compact_events: usize,
    /// Posts are refused (503, retry later) while this many events wait for compaction,
    /// which bounds the memory they hold.
    pub max_queue: usize,
    /// Write one JSON line per request to stderr.
    pub access_log: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            cors_origins: Vec::new(),
            rate_limit_per_second: 10_000.0,
            max_body_bytes: 4 * 1024 * 1024,
            compact_seconds: 60,
            compact_events: 1_000_000,
            max_queue: 4_000_000,
            access_log: true,
        }
    }
}

/// Recommendations already computed for a customer, valid while neither the snapshot nor
/// the customer's live events change.
pub(crate) struct CachedRecs {
    pub(crate) generation: u64,
    pub(crate) live_events: usize,
    pub(crate) body: Arc<[u8]>,
}

/// One workspace served.
pub struct Shop {
    pub(crate) name: String,
    pub(crate) ws: Workspace,
    pub(crate) keys: RwLock<(ApiKeys, Option<SystemTime>)>,
    pub(crate) log: EventLog,
    pub(crate) view: RwLock<(u64, Arc<ShopView>)>,
    pub(crate) recs: Mutex<HashMap<(String, usize, bool), CachedRecs>>,
    pub(crate) last_compaction: Mutex<Instant>,
    pub(crate) data_stamp: Mutex<Option<SystemTime>>,
    /// Where approved campaigns are delivered (the workspace's `[delivery]` settings).
    pub(crate) delivery: Option<ChannelConfig>,
    /// Send runs started through the API, by campaign (the latest of each).
    pub(crate) sends: crate::api::sends::SendJobs,
    /// Held while the snapshot is rebuilt or live events are compacted (one at a time).
    refresh_lock: Mutex<()>,
    /// Sentence embeddings for product search and the assistant (hybrid retrieval).
    embedder: Option<SharedEmbedder>,
    /// Whether the product index holds the embedder's vectors (searches use words only until
    /// then).
    search_ready: AtomicBool,
}

/// A sentence embedder that a server's requests share.
pub type SharedEmbedder = Arc<dyn recur_engine::llm::Embed + Send + Sync>;

/// One search index update at a time per process: a search may (re)build the product index
/// on disk, and the background brings it up to date after the server starts.
pub(crate) static INDEX_LOCK: Mutex<()> = Mutex::new(());

/// What one compaction did, for the server's log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Compacted {
    /// Events folded into the stored tables.
    pub(crate) events: usize,
    /// Every event through this sequence number is stored.
    pub(crate) through_seq: u64,
    /// Seconds sealing the log and importing it.
    pub(crate) fold_seconds: f64,
    /// Seconds rebuilding the served snapshot.
    pub(crate) rebuild_seconds: f64,
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl Shop {
    /// Opens a workspace for serving: its keys, its event log (held: one server per
    /// workspace) and a first snapshot (which runs the analyses: seconds on large shops).
    pub fn open(ws: Workspace) -> Result<Shop> {
        let name = ws
            .root()
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "shop".into());
        let keys = ApiKeys::open(&ws)?;
        let log = EventLog::open(&ws)?;
        let through = log.compacted_through()?;
        let stamp = modified(
            &ws.root()
                .join(&ws.settings().data_dir)
                .join("manifest.json"),
        );
        let view = ShopView::build(&ws, through);
        Ok(Shop {
            keys: RwLock::new((keys, modified(&ws.root().join(recur_engine::KEYS_FILE)))),
            name,
            log,
            view: RwLock::new((1, Arc::new(view))),
            recs: Mutex::new(HashMap::new()),
            last_compaction: Mutex::new(Instant::now()),
            data_stamp: Mutex::new(stamp),
            delivery: None,
            sends: crate::api::sends::SendJobs::default(),
            refresh_lock: Mutex::new(()),
            embedder: None,
            search_ready: AtomicBool::new(false),
            ws,
        })
    }

    /// Product search and the assistant add sentence embeddings from `embedder` to words
    /// (hybrid retrieval); searches do once the background has embedded the products.
    #[must_use]
    pub fn with_embedder(mut self, embedder: SharedEmbedder) -> Shop {
        self.embedder = Some(embedder);
        self
    }

    /// The embedder for a product search: `None` without one. `Err(())` while the background
    /// is still embedding the products: a search then would either wait for it (minutes on a
    /// first start on a large catalog, holding a request thread) or rewrite the index without
    /// vectors for products it has not embedded yet, so it is answered 503 instead.
    pub(crate) fn search_embedder(&self) -> std::result::Result<Option<SharedEmbedder>, ()> {
        match &self.embedder {
            None => Ok(None),
            Some(e) if self.search_ready.load(Ordering::Acquire) => Ok(Some(e.clone())),
            Some(_) => Err(()),
        }
    }

    /// The embedder for the assistant (its knowledge index was embedded when imported).
    pub(crate) fn assist_embedder(&self) -> Option<SharedEmbedder> {
        self.embedder.clone()
    }

    /// Embeds the products the index lacks (background work). `None` without an embedder.
    /// Searches are answered 503 meanwhile (see [`Shop::search_embedder`]): seconds per hundred
    /// new products on the first start on a catalog; later starts find the vectors stored and
    /// embed only new or changed products.
    pub(crate) fn prepare_search(
        &self,
    ) -> recur_engine::Result<Option<recur_engine::ProductIndexStatus>> {
        let Some(embedder) = &self.embedder else {
            return Ok(None);
        };
        let _one = INDEX_LOCK
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let status = recur_engine::prepare_product_index(&self.ws, Some(embedder.as_ref()))?;
        self.search_ready.store(true, Ordering::Release);
        Ok(Some(status))
    }

    /// Delivers approved campaigns (`POST /v1/campaigns/{id}/send`) through `channel`, which
    /// the shop configures (a request never names its target); without one the server does
    /// not send.
    pub fn with_delivery(mut self, channel: Option<ChannelConfig>) -> Shop {
        self.delivery = channel;
        self
    }

    /// The shop's name (its folder's name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The current snapshot and its generation.
    pub(crate) fn view(&self) -> (u64, Arc<ShopView>) {
        let g = self
            .view
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (g.0, g.1.clone())
    }

    /// Rebuilds the snapshot from the stored tables (after a campaign was planned, an
    /// import from the command line...).
    pub(crate) fn refresh(&self) -> recur_engine::Result<()> {
        let _one = self
            .refresh_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let through = self.log.compacted_through()?;
        self.replace_view(ShopView::build(&self.ws, through));
        Ok(())
    }

    /// Folds live events into the stored tables, then rebuilds the snapshot; `None` when
    /// no event was waiting.
    pub(crate) fn compact(&self) -> recur_engine::Result<Option<Compacted>> {
        let _one = self
            .refresh_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let started = Instant::now();
        *self
            .last_compaction
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = started;
        let Some(done) = self.log.compact(&self.ws)? else {
            return Ok(None);
        };
        let fold_seconds = started.elapsed().as_secs_f64();
        // The import changed the manifest: the next check must not rebuild again.
        self.data_changed();
        let rebuilt = Instant::now();
        self.replace_view(ShopView::build(&self.ws, done.through_seq));
        Ok(Some(Compacted {
            events: done.events,
            through_seq: done.through_seq,
            fold_seconds,
            rebuild_seconds: rebuilt.elapsed().as_secs_f64(),
        }))
    }

    /// Serves `view` from now on. The old snapshot and the cached recommendations are freed
    /// after the locks are released: the background thread runs at the lowest priority, and
    /// a request must never wait for it to finish freeing memory under a lock.
    fn replace_view(&self, view: ShopView) {
        let through = view.through_seq();
        let old = {
            let mut g = self
                .view
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let generation = g.0 + 1;
            std::mem::replace(&mut *g, (generation, Arc::new(view)))
        };
        self.log.forget_through(through);
        let cached = std::mem::take(
            &mut *self
                .recs
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        drop(old);
        drop(cached);
    }

    /// The customer's live events after the snapshot.
    pub(crate) fn recent(&self, view: &ShopView, customer: &str) -> Vec<LiveEvent> {
        self.log.recent(customer, view.through_seq())
    }

    /// The record of a presented key; re-reads the key file when it changed (keys made
    /// with `recur keys create` while the server runs work at once).
    pub(crate) fn key(&self, presented: &str) -> Option<KeyRecord> {
        let path = self.ws.root().join(recur_engine::KEYS_FILE);
        {
            let g = self
                .keys
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(r) = g.0.verify(presented) {
                return Some(r.clone());
            }
            if g.1 == modified(&path) {
                return None;
            }
        }
        let fresh = ApiKeys::open(&self.ws).ok()?;
        let found = fresh.verify(presented).cloned();
        *self
            .keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = (fresh, modified(&path));
        found
    }

    /// Whether the stored tables changed since the snapshot (an import from the command
    /// line, say).
    pub(crate) fn data_changed(&self) -> bool {
        let path = self
            .ws
            .root()
            .join(&self.ws.settings().data_dir)
            .join("manifest.json");
        let now = modified(&path);
        let mut g = self
            .data_stamp
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *g == now {
            false
        } else {
            *g = now;
            true
        }
    }
}

/// Everything handlers share.
pub struct AppState {
    pub(crate) shops: Vec<Arc<Shop>>,
    pub(crate) config: ServerConfig,
    pub(crate) metrics: Metrics,
    pub(crate) limiter: crate::auth::RateLimiter,
    pub(crate) started: Instant,
    pub(crate) next_request: std::sync::atomic::AtomicU64,
}

impl AppState {
    /// State for `shops` (at least one) with `config`.
    pub fn new(shops: Vec<Shop>, config: ServerConfig) -> Result<Arc<AppState>> {
        let mut seen = std::collections::HashSet::new();
        for s in &shops {
            if !seen.insert(s.name.clone()) {
                return Err(crate::error::Error::DuplicateShop(s.name.clone()));
            }
        }
        Ok(Arc::new(AppState {
            limiter: crate::auth::RateLimiter::new(config.rate_limit_per_second),
            shops: shops.into_iter().map(Arc::new).collect(),
            config,
            metrics: Metrics::new(),
            started: Instant::now(),
            next_request: std::sync::atomic::AtomicU64::new(1),
        }))
    }

    /// The shops served.
    pub fn shops(&self) -> &[Arc<Shop>] {
        &self.shops
    }
}
