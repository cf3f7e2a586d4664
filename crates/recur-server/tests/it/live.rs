//! Live events folded into the stored tables, and kept across a restart.

use std::time::{Duration, Instant};

use recur_engine::{Scope, Workspace};
use serde_json::json;

use crate::{Running, get, key, post, quiet, shop_workspace};

fn wait_for(mut ok: impl FnMut() -> bool, what: &str) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn purchases_are_compacted_into_the_orders_once_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let ws = shop_workspace(dir.path(), 5);
    let k = key(&ws, &[Scope::Read, Scope::WriteEvents]);
    let imports_before = ws.manifest().unwrap().imports.len();
    let config = recur_server::ServerConfig {
        compact_seconds: 1,
        ..quiet()
    };
    let customer;
    let orders_before;
    {
        let server = Running::start(vec![ws], config.clone());
        let s = &server.base;
        customer = get(s, "/v1/customers?limit=1", Some(&k)).json[0]["customer_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let p = get(s, &format!("/v1/customers/{customer}"), Some(&k)).json;
        orders_before = p["rfm"]["frequency"].as_u64().unwrap();
        let product = p["recent_orders"][0]["product_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let purchase = json!({"events": [{
            "type": "purchase", "customer_id": customer, "product_id": product,
            "order_id": "live-order-1", "quantity": 2, "unit_price": 12.5, "currency": "EUR",
            "occurred_at": "2030-01-01T10:00:00Z", "event_id": "live-order-1/1"
        }]});
        assert_eq!(
            post(s, "/v1/events", Some(&k), &purchase).json["accepted"],
            1
        );
        wait_for(
            || {
                let st = get(s, "/v1/status", Some(&k)).json;
                st["queue_depth"] == 0 && st["snapshot_through_seq"].as_u64() >= Some(1)
            },
            "the compaction",
        );
        let p = get(s, &format!("/v1/customers/{customer}"), Some(&k)).json;
        assert_eq!(
            p["rfm"]["frequency"].as_u64(),
            Some(orders_before + 1),
            "{p}"
        );
        assert_eq!(p["live"]["events"], 0, "the snapshot holds it now: {p}");
        // Posted again after compaction: still a duplicate.
        let again = post(s, "/v1/events", Some(&k), &purchase).json;
        assert_eq!(
            (again["accepted"].as_u64(), again["duplicates"].as_u64()),
            (Some(0), Some(1))
        );
    }
    // Restart: the import is there once, the key still remembered, nothing imported again.
    let ws = Workspace::open(dir.path()).unwrap();
    let live_imports: Vec<_> = ws
        .manifest()
        .unwrap()
        .imports
        .into_iter()
        .skip(imports_before)
        .collect();
    assert_eq!(live_imports.len(), 1, "{live_imports:?}");
    assert_eq!(live_imports[0].accounting.imported, 1);
    let server = Running::start(vec![ws], config);
    let s = &server.base;
    let p = get(s, &format!("/v1/customers/{customer}"), Some(&k)).json;
    assert_eq!(p["rfm"]["frequency"].as_u64(), Some(orders_before + 1));
    let again = post(
        s,
        "/v1/events",
        Some(&k),
        &json!({"type": "view", "customer_id": customer, "product_id": "x", "event_id": "live-order-1/1"}),
    )
    .json;
    assert_eq!(again["duplicates"], 1, "{again}");
}

#[test]
fn acknowledged_events_wait_in_the_log_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let ws = shop_workspace(dir.path(), 6);
    let k = key(&ws, &[Scope::Read, Scope::WriteEvents]);
    {
        let server = Running::start(vec![ws], quiet());
        let s = &server.base;
        for i in 0..5 {
            let r = post(
                s,
                "/v1/events",
                Some(&k),
                &json!({"type": "search", "customer_id": "c-live", "search_text": format!("query {i}"), "event_id": format!("q{i}")}),
            );
            assert_eq!(r.json["accepted"], 1, "{}", r.text);
        }
    }
    let server = Running::start(vec![Workspace::open(dir.path()).unwrap()], quiet());
    let s = &server.base;
    let p = get(s, "/v1/customers/c-live", Some(&k)).json;
    assert_eq!(p["live"]["searches"], 5, "{p}");
    assert_eq!(get(s, "/v1/status", Some(&k)).json["queue_depth"], 5);
}
