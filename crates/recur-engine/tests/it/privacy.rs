//! Erasure across every store: a canary customer planted in orders, customers, events,
//! reviews, a quarantined line, the send ledger, the exports and the live event log leaves no
//! trace anywhere under the workspace, and everyone else analyses exactly as before.

use std::path::{Path, PathBuf};

use recur_engine::prelude::*;
use recur_engine::{
    EventLog, LiveEvent, PRIVACY_AUDIT_FILE, apply_retention, erase_customers,
    generate_workspace_campaign, plan_workspace_campaign,
};

use crate::{campaign_write, import, testdata};

const CANARY: &str = "ZQCANARY9";
/// A personal value in every personal column, and in the texts the canary wrote.
const CANARY_VALUES: [&str; 6] = [
    CANARY,
    "zq.canary@example.net",
    "Zq Canaryname",
    "+44 7700 900999",
    "9 Canary Wharf Lane",
    "canary-only review words",
];
const PLANNED_AT: i64 = 1_709_251_200;

const SPEC: &str = r#"
id = "spring"
goal_days = 30
channel = "email"
holdout_share = 0.2

[[offers]]
name = "10% off"
kind = "percent_off"
percent = 10
code_prefix = "SPRING10"
"#;

fn tiny_orders() -> String {
    std::fs::read_to_string(testdata("tiny-shop/orders.csv")).unwrap()
}

fn canary_orders() -> String {
    format!(
        "z1,{CANARY},2024-01-03T10:00:00Z,coffee,1,10,EUR,completed\n\
         z2,{CANARY},2024-02-03T10:00:00Z,kettle,1,30,EUR,completed\n\
         z3,{CANARY},not a date,coffee,1,10,EUR,completed\n"
    )
}

const CUSTOMERS: &str = "customer_id,email,name,phone,address,locale,email_consent\n\
    A,ann@example.com,Ann Lee,,,en,true\n\
    B,bo@example.com,Bo Chen,,,zh-CN,true\n\
    C,cy@example.com,Cy Park,,,en,true\n\
    D,di@example.com,Di Ross,,,en,true\n";

fn canary_customer() -> String {
    format!(
        "{},{},{},{},\"{}\",en,true\n",
        CANARY_VALUES[0], CANARY_VALUES[1], CANARY_VALUES[2], CANARY_VALUES[3], CANARY_VALUES[4]
    )
}

fn reviews(with_canary: bool) -> String {
    let mut s = "customer_id,product_id,rating,review_text,reviewed_at\n\
                 A,coffee,5,lovely beans,2024-02-01T10:00:00Z\n"
        .to_owned();
    if with_canary {
        s.push_str(&format!(
            "{CANARY},kettle,2,{},2024-02-10T10:00:00Z\n",
            CANARY_VALUES[5]
        ));
    }
    s
}

/// A workspace with the tiny shop, the customers and reviews, and the canary or not.
fn workspace(dir: &Path, with_canary: bool) -> Workspace {
    let ws = Workspace::init(dir).unwrap();
    let mut orders = tiny_orders();
    let mut customers = CUSTOMERS.to_owned();
    if with_canary {
        orders.push_str(&canary_orders());
        customers.push_str(&canary_customer());
    }
    import(
        &ws,
        Table::Orders,
        &campaign_write(dir, "src-orders.csv", &orders),
    );
    import(&ws, Table::Catalog, &testdata("tiny-shop/catalog.csv"));
    import(
        &ws,
        Table::Customers,
        &campaign_write(dir, "src-customers.csv", &customers),
    );
    import(
        &ws,
        Table::Reviews,
        &campaign_write(dir, "src-reviews.csv", &reviews(with_canary)),
    );
    ws
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Every stored value of every table, as text.
fn stored_values(ws: &Workspace) -> String {
    let session = ws.session().unwrap();
    let mut out = String::new();
    for table in Table::ALL {
        let columns: Vec<String> = table
            .fields()
            .iter()
            .map(|f| format!("COALESCE(CAST({} AS VARCHAR), '')", f.name))
            .collect();
        let sql = format!(
            "SELECT concat_ws('|', {}) AS row FROM {}",
            columns.join(", "),
            table.name()
        );
        for batch in session.sql(&sql).unwrap() {
            out.push_str(&format!("{batch:?}"));
        }
    }
    out
}

#[test]
fn an_erased_canary_leaves_no_trace_and_the_rest_analyses_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(dir.path(), true);
    // The ledger and the exports: a campaign planned and generated (template copy).
    let spec = campaign_write(dir.path(), "spring.toml", SPEC);
    plan_workspace_campaign(&ws, &spec, 0.4, PLANNED_AT).unwrap();
    generate_workspace_campaign(&ws, "spring", "Tiny Shop", "EUR", None, 0, &mut |_, _| {})
        .unwrap();
    // The live event log: a search the canary made, not yet compacted.
    {
        let log = EventLog::open(&ws).unwrap();
        let event: LiveEvent = serde_json::from_value(serde_json::json!({
            "kind": "search", "customer_id": CANARY, "occurred_at": 1_709_300_000_000_000_i64,
            "search_text": "kettle"
        }))
        .unwrap();
        log.append(vec![(None, event)]).unwrap();
    }
    let ledger = dir.path().join("campaign/ledger.sqlite");
    let ledger_bytes = std::fs::read(&ledger).unwrap();
    assert!(
        ledger_bytes
            .windows(CANARY.len())
            .any(|w| w == CANARY.as_bytes()),
        "the canary was planned"
    );
    assert!(stored_values(&ws).contains(CANARY_VALUES[1]));

    // The sources the shop gave are outside what we check: they are the shop's.
    for name in ["src-orders.csv", "src-customers.csv", "src-reviews.csv"] {
        std::fs::rename(
            dir.path().join(name),
            std::env::temp_dir().join(format!("{}-{name}", std::process::id())),
        )
        .unwrap();
    }
    let erasure = erase_customers(&ws, &[CANARY.to_owned()], PLANNED_AT + 86_400).unwrap();
    assert_eq!(erasure.rows_removed.get("orders"), Some(&2), "{erasure:?}");
    assert_eq!(erasure.rows_removed.get("customers"), Some(&1));
    assert_eq!(erasure.rows_removed.get("reviews"), Some(&1));
    assert_eq!(erasure.quarantine_rows_removed, 1);
    assert!(erasure.ledger_rows >= 1, "{erasure:?}");
    assert!(
        erasure.files.iter().any(|f| f.path.starts_with("live")),
        "{:?}",
        erasure.files
    );

    // No trace: stored values, and the bytes of every file under the workspace.
    let stored = stored_values(&ws);
    let manifest = ws.manifest().unwrap();
    let listed: Vec<PathBuf> = manifest
        .files
        .iter()
        .map(|f| dir.path().join("data").join(&f.path))
        .collect();
    for path in files(dir.path()) {
        if path.extension().is_some_and(|e| e == "parquet") {
            assert!(
                listed.contains(&path),
                "a stale copy is left: {}",
                path.display()
            );
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for canary in CANARY_VALUES {
            assert!(
                !bytes.windows(canary.len()).any(|w| w == canary.as_bytes()),
                "`{canary}` is left in {}",
                path.display()
            );
        }
    }
    for canary in CANARY_VALUES {
        assert!(!stored.contains(canary), "`{canary}` is still stored");
    }
    let audit = std::fs::read_to_string(dir.path().join(PRIVACY_AUDIT_FILE)).unwrap();
    assert_eq!(audit.lines().count(), 1);

    // Everyone else analyses exactly as in a workspace that never had the canary.
    let other = tempfile::tempdir().unwrap();
    let clean = workspace(other.path(), false);
    assert_eq!(ws.analyze().unwrap(), clean.analyze().unwrap());

    // Idempotent; the suppression stays, by hash only.
    let again = erase_customers(&ws, &[CANARY.to_owned()], PLANNED_AT + 2 * 86_400).unwrap();
    assert!(again.is_noop(), "{again:?}");
    let store = recur_engine::CampaignStore::open(&ws).unwrap();
    assert!(store.ledger.is_suppressed(CANARY).unwrap());
}

#[test]
fn retention_clears_personal_fields_of_inactive_customers_only() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(dir.path(), true);
    let before = ws.analyze().unwrap();
    // 2024-03-10: A ordered on 2024-03-01; the canary last did on 2024-02-10 (a review).
    let now = 1_710_028_800;
    let r = apply_retention(&ws, 20, now).unwrap();
    assert!(
        r.customers >= 1 && r.fields_cleared as usize == r.customers,
        "{r:?}"
    );
    let stored = stored_values(&ws);
    assert!(!stored.contains(CANARY_VALUES[1]) && !stored.contains(CANARY_VALUES[4]));
    assert!(
        stored.contains(CANARY),
        "the customer and their orders stay"
    );
    assert!(stored.contains("ann@example.com"), "A is active");
    assert_eq!(ws.analyze().unwrap(), before, "the analyses do not change");
    let e = apply_retention(&ws, 0, now).unwrap_err();
    assert!(
        e.is_user_error() && e.to_string().contains("retention_days"),
        "{e}"
    );
}
