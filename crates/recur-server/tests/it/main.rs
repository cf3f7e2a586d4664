//! Integration tests of `recur serve` in-process: a small synthetic shop with a quickly
//! trained model, served on a loopback port, called over real HTTP.

mod api;
mod live;
mod schema;
mod search;
mod sends;
mod summaries;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use recur_engine::prelude::*;
use recur_engine::{ApiKeys, RecsOptions, Scope, train_workspace};
use recur_server::{AppState, ServerConfig, Shop};

/// A workspace with a synthetic shop (orders, catalog, events, customers) and a trained
/// behaviour model (a few epochs: enough to score).
pub(crate) fn shop_workspace(dir: &Path, seed: u64) -> Workspace {
    let ws = Workspace::init(dir).expect("init");
    let shop = recur_synth::generate(&SynthConfig {
        seed,
        customers: 250,
        ..SynthConfig::default()
    });
    let files = shop.write(&dir.join("source")).expect("write the shop");
    for (table, path) in [
        (Table::Catalog, &files.catalog),
        (Table::Customers, &files.customers),
        (Table::Orders, &files.orders),
        (Table::Events, &files.events),
    ] {
        ws.import(
            &ImportRequest {
                table,
                path: path.clone(),
                format: None,
                mapping: Mapping::default(),
                mapping_label: "canonical column names".into(),
            },
            &NoProgress,
        )
        .expect("import");
    }
    let opts = RecsOptions {
        epochs: 2,
        max_seconds: Some(20.0),
        ..RecsOptions::default()
    };
    train_workspace(&ws, &opts, None, &mut (), &AtomicBool::new(false)).expect("train");
    ws
}

/// A running server and keys of its first workspace.
pub(crate) struct Running {
    pub(crate) base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Serves `workspaces` on a free loopback port with `config`.
    pub(crate) fn start(workspaces: Vec<Workspace>, config: ServerConfig) -> Running {
        let shops = workspaces
            .into_iter()
            .map(|ws| Shop::open(ws).expect("open the shop"))
            .collect();
        Self::start_shops(shops, config)
    }

    /// Serves `shops` (opened and configured by the caller) on a free loopback port.
    pub(crate) fn start_shops(shops: Vec<Shop>, config: ServerConfig) -> Running {
        let state = AppState::new(shops, config).expect("state");
        Self::start_state(state)
    }

    fn start_state(state: Arc<AppState>) -> Running {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                addr_tx
                    .send(listener.local_addr().expect("addr"))
                    .expect("send");
                recur_server::serve(listener, state, async move {
                    let _ = rx.await;
                })
                .await
                .expect("serve");
            });
        });
        let addr = addr_rx.recv().expect("the server's address");
        Running {
            base: format!("http://{addr}"),
            stop: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Quiet settings for tests (no access log; compaction only when asked).
pub(crate) fn quiet() -> ServerConfig {
    ServerConfig {
        access_log: false,
        compact_seconds: 3600,
        ..ServerConfig::default()
    }
}

/// A key with `scopes` for `ws`.
pub(crate) fn key(ws: &Workspace, scopes: &[Scope]) -> String {
    ApiKeys::create(ws, scopes, "test").expect("key").1
}

/// An HTTP answer: status and parsed JSON (Null when the body is not JSON).
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) json: serde_json::Value,
    pub(crate) text: String,
    pub(crate) request_id: Option<String>,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn answer(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    let mut r = r.expect("the server answers");
    let status = r.status().as_u16();
    let request_id = r
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = r.body_mut().read_to_string().unwrap_or_default();
    Answer {
        status,
        json: serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        text,
        request_id,
    }
}

/// GET with an optional key.
pub(crate) fn get(base: &str, path: &str, key: Option<&str>) -> Answer {
    let mut req = agent().get(format!("{base}{path}"));
    if let Some(k) = key {
        req = req.header("Authorization", format!("Bearer {k}"));
    }
    answer(req.call())
}

/// POST a JSON body with an optional key.
pub(crate) fn post(base: &str, path: &str, key: Option<&str>, body: &serde_json::Value) -> Answer {
    let mut req = agent()
        .post(format!("{base}{path}"))
        .header("Content-Type", "application/json");
    if let Some(k) = key {
        req = req.header("Authorization", format!("Bearer {k}"));
    }
    answer(req.send(body.to_string()))
}

/// POST raw bytes.
pub(crate) fn post_raw(base: &str, path: &str, key: &str, body: &str) -> Answer {
    answer(
        agent()
            .post(format!("{base}{path}"))
            .header("Content-Type", "application/json")
            .header("Authorization", format!("Bearer {key}"))
            .send(body),
    )
}
