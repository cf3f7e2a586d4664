//! recur as a service: `recur serve`.
//!
//! An HTTP API under `/v1` (JSON; described by an OpenAPI 3.1 document generated from the
//! handlers at `/v1/openapi.json`, browsable at `/v1/docs`), live events in (durable before
//! the answer, folded into the stored tables in the background), API keys with scopes per
//! workspace, Prometheus metrics, health checks and the dashboard at `/`. The engine does
//! the work; this crate only speaks HTTP.
//!
//! ```text
//!  lib.rs         router, serve (graceful shutdown), the background compaction loop
//!  state.rs       Shop (one workspace: keys, event log, snapshot, cache), AppState, ServerConfig
//!  auth.rs        keys → workspace + scopes; per-key token buckets
//!  ops.rs         request ids, the one error shape, access log, health, metrics
//!  api/           events, customers, insights (analytics, value, model, products), campaigns,
//!                 sends (approve, send in the background, its state), assist, search
//!                 (products for a query), reviews (a product's pain points)
//!  openapi.rs     the OpenAPI document
//!  dashboard.rs   the dashboard and the API page (assets embedded: works offline)
//! ```
//!
//! ```no_run
//! # async fn run() -> recur_server::Result<()> {
//! use recur_server::{AppState, ServerConfig, Shop, serve};
//!
//! let ws = recur_engine::Workspace::open(std::path::Path::new("shop"))?;
//! let state = AppState::new(vec![Shop::open(ws)?], ServerConfig::default())?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await.map_err(
//!     |error| recur_server::Error::Bind { addr: "127.0.0.1:8080".into(), error })?;
//! serve(listener, state, std::future::pending()).await
//! # }
//! ```

mod api;
mod auth;
mod dashboard;
mod error;
mod metrics;
mod openapi;
mod ops;
mod state;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, header};
use axum::routing::{get, post};
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use error::{Error, Result};
pub use state::{AppState, ServerConfig, SharedEmbedder, Shop};

use crate::api::{assist, campaigns, customers, events, insights, reviews, search, sends};

/// The OpenAPI document the server serves (for tools and tests).
pub fn openapi_json() -> String {
    openapi::document()
}

/// The application: every route, the auth, request-id, CORS and body-limit layers.
pub fn router(state: Arc<AppState>) -> Router {
    let v1 = Router::new()
        .route("/events", post(events::post_events))
        .route("/customers", get(customers::list))
        .route("/customers/{id}", get(customers::get_customer))
        .route(
            "/customers/{id}/recommendations",
            get(customers::recommendations),
        )
        .route("/customers/{id}/messages", get(customers::messages))
        .route("/products/{id}/similar", get(insights::similar))
        .route("/products/{id}/reviews", get(reviews::product_reviews))
        .route("/search", get(search::search))
        .route("/status", get(insights::status))
        .route("/analytics", get(insights::analytics))
        .route("/segments", get(insights::segments))
        .route("/value", get(insights::value))
        .route("/model", get(insights::model))
        .route("/campaigns", get(campaigns::list).post(campaigns::plan))
        .route("/campaigns/{id}", get(campaigns::detail))
        .route("/campaigns/{id}/lift", get(campaigns::lift))
        .route("/campaigns/{id}/generate", post(campaigns::generate))
        .route("/campaigns/{id}/approve", post(sends::approve))
        .route("/campaigns/{id}/send", post(sends::send))
        .route("/campaigns/{id}/sends", get(sends::sends))
        .route("/assist", post(assist::ask))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ));
    let origins: Vec<HeaderValue> = state
        .config
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim()).ok())
        .collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            "x-api-key".parse().unwrap_or(header::AUTHORIZATION),
        ]);
    Router::new()
        .nest("/v1", v1)
        .route("/v1/openapi.json", get(dashboard::openapi))
        .route("/v1/docs", get(dashboard::api_page))
        .route("/health/live", get(ops::live))
        .route("/health/ready", get(ops::ready))
        .route("/metrics", get(ops::metrics))
        .route("/", get(dashboard::index))
        .route("/assets/{name}", get(dashboard::asset))
        .fallback(ops::fallback)
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::request_layer,
        ))
        .layer(cors)
        .with_state(state)
}

/// Puts the calling thread (and the threads it starts) at the lowest CPU priority: Linux's
/// idle policy, which runs only when no other thread wants the core (measured: the event
/// log's p99 during a compaction fell from 98-346 ms at nice 19 to 38-92 ms), else the
/// lowest nice value. Best effort: where the OS refuses, the work runs at normal priority.
fn lowest_priority() {
    #[cfg(target_os = "linux")]
    {
        use thread_priority::{
            NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
            set_thread_priority_and_policy, thread_native_id,
        };
        if set_thread_priority_and_policy(
            thread_native_id(),
            ThreadPriority::Min,
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle),
        )
        .is_ok()
        {
            return;
        }
    }
    let _ = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min);
}

/// A thread at the lowest CPU priority for the background work, so that compactions and
/// snapshot rebuilds (which start query runtimes of their own: their threads inherit the
/// priority) yield the cores to requests.
struct Background {
    jobs: std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>,
}

impl Background {
    fn start() -> Background {
        let (jobs, rx) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let spawned = std::thread::Builder::new()
            .name("recur-background".into())
            .spawn(move || {
                lowest_priority();
                for job in rx {
                    // A job that panics is reported by its caller (no answer); the thread stays.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                }
            });
        if let Err(e) = spawned {
            eprintln!(
                "{}",
                serde_json::json!({"level": "error", "event": "cannot start the background thread", "error": e.to_string()})
            );
        }
        Background { jobs }
    }

    /// Runs `job` on the background thread and waits for it without blocking the runtime.
    async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(job());
            }))
            .ok()?;
        rx.await.ok()
    }
}

/// Brings each shop's product index up to date for its embedder on a thread of its own at the
/// lowest priority (the first start on a large catalog embeds every product: minutes, which
/// must not hold up compactions); until then searches of that shop are answered 503.
fn prepare_search(state: &Arc<AppState>) {
    let shops: Vec<Arc<Shop>> = state.shops.clone();
    let spawned = std::thread::Builder::new()
        .name("recur-search-index".into())
        .spawn(move || {
            lowest_priority();
            for shop in shops {
                let started = std::time::Instant::now();
                match shop.prepare_search() {
                    Ok(None) => {}
                    Ok(Some(s)) => eprintln!(
                        "{}",
                        serde_json::json!({"level": "info", "shop": shop.name, "event": "search index ready", "products": s.products, "rebuilt": s.rebuilt, "embedder": s.embedder, "seconds": round_ms(started.elapsed().as_secs_f64())})
                    ),
                    Err(e) => eprintln!(
                        "{}",
                        serde_json::json!({"level": "warn", "shop": shop.name, "event": "search stays words only", "error": e.to_string()})
                    ),
                }
            }
        });
    if let Err(e) = spawned {
        eprintln!(
            "{}",
            serde_json::json!({"level": "error", "event": "cannot start the search index thread", "error": e.to_string()})
        );
    }
}

/// Seconds to the millisecond, for log lines.
fn round_ms(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

/// Folds live events into the stored tables when enough wait or enough time passed, and
/// rebuilds a snapshot when the stored tables changed under the server (a `recur import`).
async fn background(state: Arc<AppState>) {
    let worker = Background::start();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        for shop in &state.shops {
            let depth = shop.log.depth();
            let due = shop
                .last_compaction
                .lock()
                .map(|t| t.elapsed() >= Duration::from_secs(state.config.compact_seconds))
                .unwrap_or(true);
            let work = if depth > 0 && (due || depth >= state.config.compact_events) {
                Some(true)
            } else if shop.data_changed() {
                Some(false)
            } else {
                None
            };
            let Some(compact) = work else { continue };
            let s = shop.clone();
            let done = worker
                .run(move || {
                    if compact {
                        s.compact()
                    } else {
                        s.refresh().map(|()| None)
                    }
                })
                .await;
            match done {
                Some(Ok(folded)) => {
                    if let Some(c) = folded {
                        eprintln!(
                            "{}",
                            serde_json::json!({"level": "info", "shop": shop.name, "event": "compacted", "events": c.events, "through_seq": c.through_seq, "fold_seconds": round_ms(c.fold_seconds), "rebuild_seconds": round_ms(c.rebuild_seconds), "at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)})
                        );
                    }
                    if compact {
                        state
                            .metrics
                            .compactions
                            .get_or_create(&metrics::ShopLabels {
                                shop: shop.name.clone(),
                            })
                            .inc();
                    }
                }
                // Logged without data; the next tick tries again (imports are idempotent).
                Some(Err(e)) => eprintln!(
                    "{}",
                    serde_json::json!({"level": "warn", "shop": shop.name, "event": if compact {"compaction failed"} else {"refresh failed"}, "error": e.to_string()})
                ),
                None => eprintln!(
                    "{}",
                    serde_json::json!({"level": "error", "shop": shop.name, "event": if compact {"compaction panicked (a bug)"} else {"refresh panicked (a bug)"}})
                ),
            }
        }
    }
}

/// Serves until `shutdown` completes, then stops taking connections and lets the requests
/// in flight finish (graceful shutdown). Events acknowledged are on disk at every moment.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let worker = tokio::spawn(background(state.clone()));
    prepare_search(&state);
    let app = router(state);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(Error::Serve);
    worker.abort();
    served
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Binds `addr` and serves `shops` until Ctrl-C or SIGTERM, on a runtime of its own (for
/// callers without one). `ready` gets the bound address once the server listens.
pub fn run(
    addr: &str,
    shops: Vec<Shop>,
    config: ServerConfig,
    ready: impl FnOnce(std::net::SocketAddr),
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Serve)?;
    runtime.block_on(async {
        let state = AppState::new(shops, config)?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|error| Error::Bind {
                addr: addr.to_owned(),
                error,
            })?;
        ready(listener.local_addr().map_err(Error::Serve)?);
        serve(listener, state, shutdown_signal()).await
    })
}
