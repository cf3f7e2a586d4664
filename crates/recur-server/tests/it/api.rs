//! Keys and scopes, the error shape, live events in profiles and recommendations.

use recur_engine::Scope;
use serde_json::json;

use crate::schema::conforms;
use crate::{Running, get, key, post, post_raw, quiet, shop_workspace};

#[test]
fn keys_pick_the_workspace_and_scopes_limit_what_they_do() {
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = shop_workspace(&a_dir.path().join("shop-a"), 1);
    let b = shop_workspace(&b_dir.path().join("shop-b"), 2);
    let read_a = key(&a, &[Scope::Read]);
    let events_a = key(&a, &[Scope::WriteEvents]);
    let personal_a = key(&a, &[Scope::Read, Scope::Personal]);
    let read_b = key(&b, &[Scope::Read]);
    let server = Running::start(vec![a, b], quiet());
    let s = &server.base;
    let doc = get(s, "/v1/openapi.json", None).json;

    // No key, a wrong key, a key with one character changed.
    for k in [
        None,
        Some("rk_00000000_0000"),
        Some(&read_a[..read_a.len() - 1]),
    ] {
        let a = get(s, "/v1/status", k);
        assert_eq!(a.status, 401, "{}", a.text);
        assert_eq!(a.json["error"]["code"], "unauthorized");
        assert_eq!(
            a.json["error"]["request_id"].as_str(),
            a.request_id.as_deref()
        );
        conforms(&doc, "get", "/v1/status", 401, &a.json);
    }
    // Each key sees its own workspace only.
    assert_eq!(get(s, "/v1/status", Some(&read_a)).json["shop"], "shop-a");
    assert_eq!(get(s, "/v1/status", Some(&read_b)).json["shop"], "shop-b");
    // Outside the scope: 403 with what to do.
    let denied = post(
        s,
        "/v1/events",
        Some(&read_a),
        &json!({"type": "view", "customer_id": "x", "product_id": "p"}),
    );
    assert_eq!(denied.status, 403, "{}", denied.text);
    assert!(
        denied.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("write-events")
    );
    let denied = get(s, "/v1/segments", Some(&events_a));
    assert_eq!(denied.status, 403);
    // Personal data only with the personal scope.
    let customer = get(s, "/v1/customers?limit=1", Some(&read_a)).json[0]["customer_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let plain = get(s, &format!("/v1/customers/{customer}"), Some(&read_a)).json;
    assert!(plain["contact"].is_null(), "{plain}");
    assert!(!plain.to_string().contains('@'));
    let full = get(s, &format!("/v1/customers/{customer}"), Some(&personal_a)).json;
    assert!(
        full["contact"]["email"]
            .as_str()
            .is_some_and(|e| e.contains('@')),
        "{full}"
    );
    // shop-b's key does not see shop-a's customer.
    let other = get(s, &format!("/v1/customers/{customer}"), Some(&read_b));
    if other.status == 200 {
        // The synthetic shops share id patterns; the answer must then be shop-b's record.
        assert_ne!(other.json, plain);
    } else {
        assert_eq!(other.status, 404);
    }
}

#[test]
fn errors_share_one_shape() {
    let dir = tempfile::tempdir().unwrap();
    let ws = shop_workspace(dir.path(), 3);
    let k = key(&ws, &[Scope::Admin]);
    let config = recur_server::ServerConfig {
        max_body_bytes: 64 * 1024,
        ..quiet()
    };
    let server = Running::start(vec![ws], config);
    let s = &server.base;
    for a in [
        get(s, "/v1/no-such-route", Some(&k)),
        post_raw(s, "/v1/events", &k, "{not json"),
        post(
            s,
            "/v1/events",
            Some(&k),
            &json!({"type": "teleport", "customer_id": "c"}),
        ),
        post(s, "/v1/events", Some(&k), &json!({"events": []})),
        get(s, "/v1/customers?limit=100000", Some(&k)),
        get(s, "/v1/customers/x/recommendations?k=0", Some(&k)),
    ] {
        assert!((400..500).contains(&a.status), "{} {}", a.status, a.text);
        let e = &a.json["error"];
        assert!(
            e["code"].as_str().is_some_and(|c| !c.is_empty()),
            "{}",
            a.text
        );
        assert!(
            e["message"].as_str().is_some_and(|m| m.len() > 10),
            "{}",
            a.text
        );
        assert_eq!(e["request_id"].as_str(), a.request_id.as_deref());
    }
    // A body over the limit is refused before it is read: only the headers are sent, and
    // the answer comes without waiting for the body.
    let (status, body) = headers_only_post(s, "/v1/events", &k, 300_000);
    assert_eq!(status, 413, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    assert_eq!(json["error"]["code"], "payload_too_large", "{body}");
}

/// Sends a POST's headers declaring `length` bytes of body, and none of the body; returns
/// the status and body of the answer (read with a timeout, so a server that waits for the
/// body fails the test instead of hanging it).
fn headers_only_post(base: &str, path: &str, key: &str, length: usize) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                raw.extend_from_slice(&buf[..n]);
                // Enough once the headers and a JSON body have arrived.
                let text = String::from_utf8_lossy(&raw);
                if let Some((_, body)) = text.split_once("\r\n\r\n")
                    && body.trim_end().ends_with('}')
                {
                    break;
                }
            }
            Err(e) => panic!("no answer without the body: {e}"),
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn posted_events_show_in_the_profile_and_recommendations_at_once_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let ws = shop_workspace(dir.path(), 4);
    let k = key(&ws, &[Scope::Read, Scope::WriteEvents]);
    let server = Running::start(vec![ws], quiet());
    let s = &server.base;
    let doc = get(s, "/v1/openapi.json", None).json;
    let customer = get(s, "/v1/customers?limit=1", Some(&k)).json[0]["customer_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = get(
        s,
        &format!("/v1/customers/{customer}/recommendations?k=5"),
        Some(&k),
    )
    .json;
    let product = before["items"][0]["product_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let batch = json!({
        "idempotency_key": "batch-1",
        "events": [
            {"type": "view", "customer_id": customer, "product_id": product},
            {"type": "add_to_cart", "customer_id": customer, "product_id": product},
            {"type": "search", "customer_id": customer, "search_text": "decaf beans"},
        ]
    });
    let first = post(s, "/v1/events", Some(&k), &batch);
    assert_eq!(first.status, 200, "{}", first.text);
    conforms(&doc, "post", "/v1/events", 200, &first.json);
    assert_eq!(
        (
            first.json["accepted"].as_u64(),
            first.json["duplicates"].as_u64()
        ),
        (Some(3), Some(0))
    );
    // The same batch again (a client retry) stores nothing.
    let again = post(s, "/v1/events", Some(&k), &batch);
    assert_eq!(
        (
            again.json["accepted"].as_u64(),
            again.json["duplicates"].as_u64()
        ),
        (Some(0), Some(3))
    );
    let profile = get(s, &format!("/v1/customers/{customer}"), Some(&k)).json;
    assert_eq!(profile["live"]["events"], 3, "{profile}");
    assert_eq!(profile["live"]["recent_searches"][0], "decaf beans");
    let after = get(
        s,
        &format!("/v1/customers/{customer}/recommendations?k=5"),
        Some(&k),
    )
    .json;
    assert_eq!(after["live_events"], 3, "{after}");
    // The view and the cart are product events the model scores (the search is not yet).
    assert_eq!(
        after["history_events"].as_u64().unwrap(),
        before["history_events"].as_u64().unwrap() + 2
    );
    // A brand-new customer is known from live events alone.
    let one = post(
        s,
        "/v1/events",
        Some(&k),
        &json!({"type": "view", "customer_id": "new-visitor", "product_id": product, "event_id": "e-1"}),
    );
    assert_eq!(one.json["accepted"], 1, "{}", one.text);
    let recs = get(s, "/v1/customers/new-visitor/recommendations?k=3", Some(&k));
    assert_eq!(recs.status, 200, "{}", recs.text);
    assert_eq!(recs.json["items"].as_array().unwrap().len(), 3);
    // An invalid event in a batch stores none of it, and says which and why.
    let bad = post(
        s,
        "/v1/events",
        Some(&k),
        &json!({"events": [
            {"type": "view", "customer_id": customer, "product_id": product},
            {"type": "purchase", "customer_id": customer, "product_id": product, "order_id": "o1", "unit_price": -3, "currency": "EUR"}
        ]}),
    );
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(
        bad.text.contains("events[1]") && bad.text.contains("unit_price"),
        "{}",
        bad.text
    );
    assert_eq!(
        get(s, &format!("/v1/customers/{customer}"), Some(&k)).json["live"]["events"],
        3
    );
    let metrics = get(s, "/metrics", None).text;
    assert!(
        metrics.contains("recur_events_ingested_total{shop="),
        "{metrics}"
    );
    assert!(
        metrics.contains("recur_http_request_duration_seconds_bucket{"),
        "{metrics}"
    );
    assert!(
        metrics.contains("route=\"/v1/customers/{id}/recommendations\""),
        "{metrics}"
    );
    assert!(!metrics.contains(&customer));
}

#[test]
fn the_assistant_answers_from_the_shops_knowledge_and_guards_order_questions() {
    let dir = tempfile::tempdir().unwrap();
    let ws = shop_workspace(&dir.path().join("shop"), 3);
    let faq =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/assist/faq_zh.json");
    recur_engine::import_knowledge(ws.root(), &faq, None, None).unwrap();
    let read = key(&ws, &[Scope::Read]);
    let personal = key(&ws, &[Scope::Read, Scope::Personal]);
    let server = Running::start(vec![ws], quiet());
    let s = &server.base;

    let a = post(
        s,
        "/v1/assist",
        Some(&read),
        &json!({"question": "退货运费谁出"}),
    );
    assert_eq!(a.status, 200, "{}", a.text);
    for k in ["answer", "citations", "escalate", "reason", "language"] {
        assert!(a.json.get(k).is_some(), "{k}: {}", a.text);
    }
    assert_eq!(a.json["language"], "zh");

    let a = post(
        s,
        "/v1/assist",
        Some(&read),
        &json!({"question": "我要投诉你们的快递"}),
    );
    assert_eq!(a.json["escalate"], true, "{}", a.text);
    assert_eq!(a.json["reason_code"], "complaint");

    // Order questions need the personal scope, and read only the named customer's orders.
    let ask = json!({"question": "我的订单到哪了", "customer_id": "C00001"});
    assert_eq!(post(s, "/v1/assist", Some(&read), &ask).status, 403);
    let a = post(s, "/v1/assist", Some(&personal), &ask);
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json["mode"], "orders", "{}", a.text);
    assert!(
        a.json["citations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["source"] == "orders")
    );

    for bad in [
        json!({"question": ""}),
        json!({"question": "x", "history": [{"role": "agent", "text": "y"}]}),
    ] {
        let a = post(s, "/v1/assist", Some(&read), &bad);
        assert_eq!(a.status, 422, "{}", a.text);
        assert_eq!(a.json["error"]["code"], "invalid_request", "{}", a.text);
    }
}

#[test]
fn a_planned_campaign_shows_its_fairness_and_lift_per_group() {
    let dir = tempfile::tempdir().unwrap();
    let ws = shop_workspace(&dir.path().join("shop"), 3);
    let planner = key(&ws, &[Scope::Read, Scope::Campaigns]);
    let server = Running::start(vec![ws], quiet());
    let s = &server.base;
    let doc = get(s, "/v1/openapi.json", None).json;
    let spec = "id = \"fair\"\ngoal_days = 30\nchannel = \"file\"\nholdout_share = 0.2\n\
                [[offers]]\nname = \"message\"\nkind = \"none\"\n\
                [[offers]]\nname = \"10% off\"\nkind = \"percent_off\"\npercent = 10\n";
    let planned = post(s, "/v1/campaigns", Some(&planner), &json!({ "spec": spec }));
    assert_eq!(planned.status, 200, "{}", planned.text);
    let attributes: Vec<&str> = planned.json["fairness"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["attribute"].as_str().unwrap())
        .collect();
    assert_eq!(attributes, ["segment", "language", "country"]);

    let detail = get(s, "/v1/campaigns/fair", Some(&planner));
    assert_eq!(detail.status, 200, "{}", detail.text);
    conforms(&doc, "get", "/v1/campaigns/{id}", 200, &detail.json);
    assert_eq!(
        detail.json["fairness"]["fairness"], planned.json["fairness"],
        "the fairness recorded with the plan"
    );
    let lift = get(s, "/v1/campaigns/fair/lift", Some(&planner));
    assert_eq!(lift.status, 200, "{}", lift.text);
    let groups: Vec<&str> = lift.json["by_group"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["attribute"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["language", "country"]);
}
