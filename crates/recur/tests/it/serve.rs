//! `recur serve` as a process: keys made on the command line, kill -9 under ingestion, and
//! the dashboard (with its assistant console) in a real headless browser.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{recur, stderr, stdout, tiny_workspace};

/// A `recur serve` process and the address it printed.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_recur"))
            // Words only: the first embedding of the shop's products would hold searches
            // up for longer than these tests wait (the in-process tests cover embeddings).
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--no-access-log",
                "--no-embed",
            ])
            .current_dir(dir)
            .env_remove("RECUR_WORKSPACE")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start recur serve");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("recur serve printed its address before exiting")
                .expect("read stderr");
            if let Some(rest) = line.strip_prefix("Serving on ") {
                break rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .trim_end_matches('/')
                    .to_owned();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, base }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

fn post_batch(base: &str, key: &str, n: usize) -> Option<serde_json::Value> {
    let events: Vec<_> = (0..50)
        .map(|i| serde_json::json!({"type": "view", "customer_id": format!("c{}", i % 7), "product_id": "coffee"}))
        .collect();
    let body = serde_json::json!({"idempotency_key": format!("batch-{n}"), "events": events});
    let mut r = agent()
        .post(format!("{base}/v1/events"))
        .header("Authorization", format!("Bearer {key}"))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .ok()?;
    if r.status() != 200 {
        return None;
    }
    serde_json::from_str(&r.body_mut().read_to_string().ok()?).ok()
}

fn make_key(dir: &Path, scopes: &[&str]) -> String {
    let mut args = vec!["keys", "create"];
    for s in scopes {
        args.extend(["--scope", s]);
    }
    let o = recur(dir, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o).trim().to_owned()
}

#[test]
fn keys_are_shown_once_and_stored_hashed() {
    let dir = tiny_workspace();
    let key = make_key(dir.path(), &["read", "write-events"]);
    assert!(key.starts_with("rk_"), "{key}");
    let stored = std::fs::read_to_string(dir.path().join("api-keys.json")).unwrap();
    assert!(!stored.contains(key.rsplit('_').next().unwrap()));
    let list = recur(dir.path(), &["keys", "list", "--json"]);
    assert!(!stdout(&list).contains(key.rsplit('_').next().unwrap()));
    assert!(stdout(&list).contains("write-events"));
    let bad = recur(dir.path(), &["keys", "create", "--scope", "root"]);
    assert_eq!(bad.status.code(), Some(1), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("unknown scope"));
}

#[test]
fn a_killed_server_loses_no_acknowledged_event_and_doubles_none() {
    let dir = tiny_workspace();
    let key = make_key(dir.path(), &["read", "write-events"]);
    let server = Server::start(dir.path());
    let base = server.base.clone();
    let k = key.clone();
    // A client posting batches as fast as it can; the server is killed under it.
    let client = std::thread::spawn(move || {
        let mut acknowledged = Vec::new();
        let mut attempted = 0;
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            attempted += 1;
            match post_batch(&base, &k, attempted) {
                Some(r) => acknowledged.push((attempted, r)),
                None => break,
            }
        }
        (acknowledged, attempted)
    });
    std::thread::sleep(Duration::from_millis(1500));
    let mut server = server;
    server.child.kill().expect("kill -9");
    let _ = server.child.wait();
    let (acknowledged, attempted) = client.join().unwrap();
    assert!(
        acknowledged.len() >= 3,
        "too few batches before the kill: {}",
        acknowledged.len()
    );
    // Restart and retry everything that was attempted (the client does not know what the
    // server kept of the batch in flight).
    let server = Server::start(dir.path());
    for n in 1..=attempted {
        post_batch(&server.base, &key, n).expect("the restarted server stores");
    }
    let retried_acknowledged = post_batch(&server.base, &key, 1).unwrap();
    assert_eq!(
        retried_acknowledged["accepted"], 0,
        "{retried_acknowledged}"
    );
    assert_eq!(retried_acknowledged["duplicates"], 50);
    drop(server);
    // The log holds every event of every batch exactly once.
    let log = std::fs::read_to_string(dir.path().join("live/events.log")).unwrap();
    let mut keys: HashMap<String, usize> = HashMap::new();
    for line in log.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a complete log line");
        *keys
            .entry(v["key"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert!(
        keys.values().all(|&n| n == 1),
        "an event is in the log twice"
    );
    for n in 1..=attempted {
        for i in 0..50 {
            assert!(
                keys.contains_key(&format!("batch-{n}#{i}")),
                "batch {n} event {i} is missing"
            );
        }
    }
    assert_eq!(keys.len(), attempted * 50);
}

/// Chromium's flags for a headless run on a machine without network.
fn chromium(profile: &Path, url: &str) -> std::process::Output {
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=20000",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
            url,
        ])
        .output()
        .expect("chromium runs (scripts/setup-test-tools installs it)")
}

#[test]
fn the_dashboard_renders_its_charts_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let o = recur(
        dir.path(),
        &[
            "demo",
            "-q",
            "--customers",
            "800",
            "--llm-drafts",
            "0",
            "--dir",
            "shop",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let shop = dir.path().join("shop");
    // The assistant's knowledge (words only: no embedding model needed).
    let faq = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/assist/faq_small.csv");
    let o = recur(
        &shop,
        &["kb", "import", "--no-embed", faq.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let key = make_key(&shop, &["read"]);
    let server = Server::start(&shop);
    let customer = {
        let mut r = agent()
            .get(format!("{}/v1/customers?limit=1", server.base))
            .header("Authorization", format!("Bearer {key}"))
            .call()
            .unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        v[0]["customer_id"].as_str().unwrap().to_owned()
    };
    let product = {
        let mut r = agent()
            .get(format!("{}/v1/search?q=coffee&k=1", server.base))
            .header("Authorization", format!("Bearer {key}"))
            .call()
            .unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        v["results"][0]["product_id"].as_str().unwrap().to_owned()
    };
    let pages = [
        ("overview", "overview".to_owned(), 2),
        ("value", "value".to_owned(), 2),
        ("model", "model".to_owned(), 1),
        ("campaigns", "campaigns".to_owned(), 3),
        ("customer", format!("customer/{customer}"), 1),
        // Product search in the address is run at once.
        ("products", "products/coffee".to_owned(), 0),
        ("product", format!("product/{product}"), 0),
        // The assistant console asks the question in the address at once.
        (
            "assist",
            "assist/When%20will%20I%20get%20my%20refund%3F".to_owned(),
            0,
        ),
    ];
    for (name, hash, min_charts) in pages {
        let profile = tempfile::tempdir().unwrap();
        let out = chromium(
            profile.path(),
            &format!("{}/#{hash}&key={key}", server.base),
        );
        let dom = String::from_utf8_lossy(&out.stdout);
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(
            dom.contains(&format!("data-rendered=\"{name}\"")),
            "page {name} did not finish rendering:\n{dom}\n{log}"
        );
        // Chart.js sizes each canvas it draws on.
        let drawn = dom
            .matches("<canvas")
            .zip(dom.split("<canvas").skip(1))
            .filter(|(_, rest)| {
                rest.split('>')
                    .next()
                    .is_some_and(|tag| tag.contains("box-sizing: border-box"))
            })
            .count();
        assert!(
            drawn >= min_charts,
            "page {name}: {drawn} charts drawn, expected {min_charts}:\n{dom}"
        );
        for bad in ["Uncaught", ":ERROR:CONSOLE", "Refused to"] {
            assert!(
                !log.contains(bad),
                "page {name}: the console shows `{bad}`:\n{log}"
            );
        }
        assert!(!dom.contains(&key), "the key stays out of the page");
        if name == "products" {
            assert!(
                dom.contains("id=\"search-results\"") && dom.contains("<td class=\"text\">"),
                "the search listed products:\n{dom}"
            );
        }
        if name == "product" {
            // Its pain points, or the API's answer that it has no reviews.
            assert!(
                dom.contains("id=\"pain-points\"") || dom.contains("class=\"error\""),
                "the product page shows its reviews:\n{dom}"
            );
            // With reviews, the saved summary (or what writes one).
            assert!(
                !dom.contains("id=\"pain-points\"") || dom.contains("id=\"review-summary\""),
                "the product page shows where its review summary goes:\n{dom}"
            );
        }
        if name == "assist" {
            assert!(
                dom.contains("id=\"assist-answer\"") && !dom.contains("id=\"assist-error\""),
                "the assistant answered:\n{dom}"
            );
            assert!(
                dom.contains("[1]") || dom.contains("id=\"assist-escalation\""),
                "the answer cites a passage or hands over:\n{dom}"
            );
        }
    }
    // The API page lists every operation of the OpenAPI document.
    let profile = tempfile::tempdir().unwrap();
    let out = chromium(profile.path(), &format!("{}/v1/docs", server.base));
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("data-rendered=\"docs\""), "{dom}");
    assert!(dom.matches("class=\"op ").count() >= 15, "{dom}");
    assert!(dom.contains("/v1/customers/{id}/recommendations"));
}
