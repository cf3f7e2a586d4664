//! Campaign approval and sending through the API: approve, send in the background through
//! the shop's configured webhook, exactly once; refusals without (or with an outdated)
//! approval, without a delivery target, while another run holds the campaign, and outside
//! the key's scope.

use std::time::{Duration, Instant};

use recur_engine::{CampaignStore, ChannelConfig, Scope};
use recur_server::Shop;
use serde_json::{Value, json};

use crate::schema::conforms;
use crate::{Running, get, key, post, quiet, shop_workspace};

const SPEC: &str = "id = \"hooked\"\ngoal_days = 30\nchannel = \"webhook\"\nholdout_share = 0.2\n\
                    [[offers]]\nname = \"message\"\nkind = \"none\"\n\
                    [[offers]]\nname = \"10% off\"\nkind = \"percent_off\"\npercent = 10\n";

/// Polls the campaign's sending until its run has ended.
fn finished(base: &str, key: &str, id: &str) -> Value {
    let start = Instant::now();
    loop {
        let a = get(base, &format!("/v1/campaigns/{id}/sends"), Some(key));
        assert_eq!(a.status, 200, "{}", a.text);
        if a.json["run"]["state"] != "running" {
            return a.json;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the send did not end: {}",
            a.text
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn an_approved_campaign_goes_out_once_through_the_configured_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let ws = shop_workspace(&dir.path().join("shop"), 5);
    let planner = key(&ws, &[Scope::Read, Scope::Campaigns]);
    let reader = key(&ws, &[Scope::Read]);
    let (hook, seen) = recur_test::http_server(Vec::new());
    let shop = Shop::open(ws)
        .unwrap()
        .with_delivery(Some(ChannelConfig::Webhook {
            url: format!("{hook}/hook"),
            secret: "s3cret".into(),
        }));
    let server = Running::start_shops(vec![shop], quiet());
    let s = &server.base;
    let doc = get(s, "/v1/openapi.json", None).json;

    let planned = post(s, "/v1/campaigns", Some(&planner), &json!({ "spec": SPEC }));
    assert_eq!(planned.status, 200, "{}", planned.text);
    // Nothing written yet: nothing to approve.
    let a = post(
        s,
        "/v1/campaigns/hooked/approve",
        Some(&planner),
        &json!({}),
    );
    assert_eq!(a.status, 409, "{}", a.text);
    assert_eq!(a.json["error"]["code"], "nothing_to_approve");
    let g = post(
        s,
        "/v1/campaigns/hooked/generate",
        Some(&planner),
        &json!({"shop": "Shop A"}),
    );
    assert_eq!(g.status, 200, "{}", g.text);
    let messages = g.json["queued"].as_u64().unwrap() as usize;
    assert!(messages > 0, "{}", g.text);

    // A read key may look, not approve or send.
    for action in ["approve", "send"] {
        let a = post(
            s,
            &format!("/v1/campaigns/hooked/{action}"),
            Some(&reader),
            &json!({}),
        );
        assert_eq!(a.status, 403, "{action}: {}", a.text);
        assert_eq!(a.json["error"]["code"], "forbidden");
    }
    // Not approved: refused, nothing delivered.
    let a = post(s, "/v1/campaigns/hooked/send", Some(&planner), &json!({}));
    assert_eq!(a.status, 409, "{}", a.text);
    assert_eq!(a.json["error"]["code"], "not_approved", "{}", a.text);
    conforms(&doc, "post", "/v1/campaigns/{id}/send", 409, &a.json);

    let approved = post(
        s,
        "/v1/campaigns/hooked/approve",
        Some(&planner),
        &json!({}),
    );
    assert_eq!(approved.status, 200, "{}", approved.text);
    conforms(
        &doc,
        "post",
        "/v1/campaigns/{id}/approve",
        200,
        &approved.json,
    );
    assert_eq!(approved.json["valid"], true);
    assert_eq!(approved.json["approval"]["approved_by"], "test");
    assert_eq!(approved.json["approval"]["messages"], messages);

    // Written again with other text after the approval: the approval no longer covers them.
    let g = post(
        s,
        "/v1/campaigns/hooked/generate",
        Some(&planner),
        &json!({"shop": "Shop B"}),
    );
    assert_eq!(g.status, 200, "{}", g.text);
    assert_eq!(g.json["queued"], 0);
    assert_eq!(g.json["rewritten"], messages, "{}", g.text);
    let a = post(s, "/v1/campaigns/hooked/send", Some(&planner), &json!({}));
    assert_eq!(a.status, 409, "{}", a.text);
    assert_eq!(a.json["error"]["code"], "approval_outdated", "{}", a.text);
    assert!(
        a.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("approve again")
    );
    let state = get(s, "/v1/campaigns/hooked/sends", Some(&reader));
    assert_eq!(state.status, 200, "{}", state.text);
    conforms(&doc, "get", "/v1/campaigns/{id}/sends", 200, &state.json);
    assert_eq!(state.json["approval"]["valid"], false);
    assert_eq!(state.json["delivery"], "webhook");
    assert!(seen.lock().unwrap().is_empty(), "nothing went out");

    // Approved again: sent in the background, once each.
    let approved = post(
        s,
        "/v1/campaigns/hooked/approve",
        Some(&planner),
        &json!({}),
    );
    assert_eq!(approved.status, 200, "{}", approved.text);
    let started = post(s, "/v1/campaigns/hooked/send", Some(&planner), &json!({}));
    assert_eq!(started.status, 202, "{}", started.text);
    conforms(&doc, "post", "/v1/campaigns/{id}/send", 202, &started.json);
    let done = finished(s, &reader, "hooked");
    conforms(&doc, "get", "/v1/campaigns/{id}/sends", 200, &done);
    assert_eq!(done["run"]["state"], "done", "{done}");
    assert_eq!(done["run"]["sent"], messages, "{done}");
    assert_eq!(done["run"]["requested_by"], "test");
    assert_eq!(done["totals"]["sent"], messages, "{done}");
    // Sending changes no message: the approval still holds, and a second run has nothing left.
    assert_eq!(done["approval"]["valid"], true, "{done}");
    let again = post(s, "/v1/campaigns/hooked/send", Some(&planner), &json!({}));
    assert_eq!(again.status, 202, "{}", again.text);
    let done = finished(s, &reader, "hooked");
    assert_eq!(done["run"]["sent"], 0, "{done}");

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), messages, "one request per message");
    let mut ids: Vec<&str> = seen
        .iter()
        .map(|r| r.header("x-recur-message-id").expect("a Message-ID"))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), messages, "each message once");
    for r in seen.iter() {
        assert_eq!(r.path, "/hook");
        assert!(
            r.body_text().contains("Shop B"),
            "the text approved last went out"
        );
    }
}

#[test]
fn sends_need_a_configured_target_and_wait_for_another_sender() {
    let dir = tempfile::tempdir().unwrap();
    let ws = shop_workspace(&dir.path().join("shop"), 6);
    let planner = key(&ws, &[Scope::Campaigns, Scope::Read]);
    let campaign_dir = CampaignStore::dir_of(&ws);
    let server = Running::start(vec![ws], quiet());
    let s = &server.base;
    let doc = get(s, "/v1/openapi.json", None).json;
    assert_eq!(
        post(s, "/v1/campaigns", Some(&planner), &json!({ "spec": SPEC })).status,
        200
    );
    assert_eq!(
        post(
            s,
            "/v1/campaigns/hooked/generate",
            Some(&planner),
            &json!({})
        )
        .status,
        200
    );
    assert_eq!(
        post(
            s,
            "/v1/campaigns/hooked/approve",
            Some(&planner),
            &json!({})
        )
        .status,
        200
    );
    // No `[delivery]` target: the server does not send (a request cannot name one).
    let a = post(s, "/v1/campaigns/hooked/send", Some(&planner), &json!({}));
    assert_eq!(a.status, 409, "{}", a.text);
    assert_eq!(a.json["error"]["code"], "delivery_not_configured");
    assert!(
        a.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("delivery.webhook")
    );
    conforms(&doc, "post", "/v1/campaigns/{id}/send", 409, &a.json);
    let a = post(
        s,
        "/v1/campaigns/hooked/send",
        Some(&planner),
        &json!({"url": "http://example.invalid/"}),
    );
    assert_eq!(a.status, 409, "a body changes nothing: {}", a.text);
    drop(server);

    // With a target, while another sender (a `recur campaign send`) holds the campaign: the
    // run stops at once and says so; nothing is sent.
    let (hook, seen) = recur_test::http_server(Vec::new());
    let ws = recur_engine::Workspace::open(&dir.path().join("shop")).unwrap();
    let shop = Shop::open(ws)
        .unwrap()
        .with_delivery(Some(ChannelConfig::Webhook {
            url: hook,
            secret: "s".into(),
        }));
    let server = Running::start_shops(vec![shop], quiet());
    let s = &server.base;
    let store = CampaignStore::open_dir(&campaign_dir).unwrap();
    let lock = store.ledger.lock_sends("hooked").unwrap();
    let a = post(s, "/v1/campaigns/hooked/send", Some(&planner), &json!({}));
    assert_eq!(a.status, 202, "{}", a.text);
    let done = finished(s, &planner, "hooked");
    assert_eq!(done["run"]["state"], "failed", "{done}");
    assert_eq!(done["run"]["error"]["code"], "send_in_progress", "{done}");
    assert!(seen.lock().unwrap().is_empty());
    drop(lock);
    let a = post(s, "/v1/campaigns/hooked/send", Some(&planner), &json!({}));
    assert_eq!(a.status, 202, "{}", a.text);
    let done = finished(s, &planner, "hooked");
    assert_eq!(done["run"]["state"], "done", "{done}");
    assert_eq!(done["run"]["sent"], done["approval"]["messages"], "{done}");
}
