//! End-to-end tests of the `recur` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn recur(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_recur"))
        .args(args)
        .current_dir(dir)
        .env_remove("RECUR_WORKSPACE")
        .env_remove("RECUR_REPURCHASE_DAYS")
        .output()
        .expect("run recur")
}

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tiny_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    assert!(recur(dir.path(), &["init", "."]).status.success());
    for (table, file) in [
        ("orders", "tiny-shop/orders.csv"),
        ("catalog", "tiny-shop/catalog.csv"),
    ] {
        let o = recur(
            dir.path(),
            &[
                "import",
                table,
                "--file",
                testdata(file).to_str().unwrap(),
                "--json",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    dir
}

#[test]
fn demo_runs_in_an_empty_folder() {
    let dir = tempfile::tempdir().unwrap();
    let o = recur(dir.path(), &["demo", "-q"]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("Data imported (every row accounted for)"),
        "{out}"
    );
    assert!(out.contains("Who to look after (RFM segments)"), "{out}");
    // The campaign loop ran: both rounds, grounded messages, ESP files, and no address printed.
    assert!(out.contains("Campaign loop") && out.contains("2 uplift"), "{out}");
    assert!(!out.contains("template rejected"), "{out}");
    assert!(!out.contains("@example.com"), "{out}");
    for f in ["braze.csv", "klaviyo.csv", "messages.jsonl"] {
        assert!(dir.path().join("recur-demo/campaign").join(f).exists(), "{f}");
    }
    let html = std::fs::read_to_string(dir.path().join("recur-demo/report.html")).unwrap();
    assert!(
        html.contains("<canvas id=cohorts>") && html.contains("Chart.js"),
        "report lacks charts"
    );
    assert!(
        dir.path()
            .join("recur-demo/shop-export/ground_truth.csv")
            .exists()
    );
    // Running it again reuses the workspace: every file is recognised as already imported.
    let again = recur(dir.path(), &["demo", "-q", "--json"]);
    assert!(again.status.success(), "{}", stderr(&again));
    let doc: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert!(
        doc["imports"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["already_imported"] == true)
    );
    // Calibration/holdout evaluation of the customer-value models on the demo shop.
    let ws = dir.path().join("recur-demo");
    let o = recur(&ws, &["clv", "evaluate", "--holdout-days", "60", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let h = &doc["bgnbd_holdout"];
    assert!(h["actual_total"].as_f64().unwrap() > 0.0);
    assert!(h["auc"].as_f64().unwrap() > 0.6, "{h}");
    assert_eq!(h["by_frequency"].as_array().unwrap().len(), 8);
    assert!(doc["tracking"].as_array().unwrap().len() > 40);
    let o = recur(&ws, &["clv", "evaluate", "--holdout-days", "5000"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("holdout-days"), "{}", stderr(&o));
}

#[test]
fn import_and_analyze_json_keys() {
    let dir = tiny_workspace();
    let o = recur(dir.path(), &["analyze", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in ["repurchase_rate", "rfm_segments", "cohorts"] {
        assert!(doc.get(key).is_some(), "missing {key}");
    }
    assert_eq!(doc["repurchase_rate"]["customers_with_2plus_orders"], 3);
    let o = recur(dir.path(), &["analyze", "--customer", "A"]);
    assert!(
        stdout(&o).contains("segment:               Loyal (R3 F5 M4)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn import_json_accounting_and_reimport() {
    let dir = tempfile::tempdir().unwrap();
    recur(dir.path(), &["init", "."]);
    let file = testdata("online-retail-sample.csv");
    let args = [
        "import",
        "orders",
        "--preset",
        "online-retail",
        "--file",
        file.to_str().unwrap(),
        "--json",
    ];
    let o = recur(dir.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (
            doc["read"].as_u64(),
            doc["imported"].as_u64(),
            doc["quarantined"].as_u64(),
            doc["duplicates"].as_u64()
        ),
        (Some(9), Some(7), Some(1), Some(1))
    );
    assert_eq!(doc["by_reason"]["quarantined"]["negative_price"], 1);
    let o = recur(dir.path(), &args[..args.len() - 1]);
    assert!(
        stdout(&o).contains("was already imported"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn exit_codes_and_messages() {
    let dir = tempfile::tempdir().unwrap();
    let o = recur(dir.path(), &["analyze"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no recur workspace at `.`"),
        "{}",
        stderr(&o)
    );
    let o = recur(dir.path(), &["import", "nonsense", "--file", "x"]);
    assert_eq!(o.status.code(), Some(2));
    recur(dir.path(), &["init", "."]);
    let o = recur(dir.path(), &["import", "orders", "--file", "missing.csv"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("missing.csv"), "{}", stderr(&o));
    let o = recur(
        dir.path(),
        &["import", "orders", "--preset", "shopify", "--file", "x.csv"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no preset `shopify`"), "{}", stderr(&o));
    let o = Command::new(env!("CARGO_BIN_EXE_recur"))
        .args(["analyze"])
        .current_dir(dir.path())
        .env("RECUR_REPURCHASE_DAYS", "zero")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("RECUR_REPURCHASE_DAYS"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn analyze_table_output_is_stable() {
    let dir = tiny_workspace();
    let o = recur(dir.path(), &["analyze", "--repurchase-days", "30"]);
    assert!(o.status.success(), "{}", stderr(&o));
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn analyze_csv_writes_tables() {
    let dir = tiny_workspace();
    let o = recur(dir.path(), &["analyze", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let cohorts = std::fs::read_to_string(dir.path().join("analytics/cohorts.csv")).unwrap();
    assert!(
        cohorts.starts_with(
            "cohort,month_offset,cohort_customers,active_customers,retention\n2024-01,0,2,2,1\n"
        ),
        "{cohorts}"
    );
}

#[test]
fn killed_import_leaves_a_consistent_workspace() {
    let dir = tiny_workspace();
    let before = std::fs::read_to_string(dir.path().join("data/manifest.json")).unwrap();
    let mut big =
        String::from("order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency\n");
    for i in 0..300_000 {
        big.push_str(&format!(
            "k{i},c{},2024-02-{:02} 10:00:00,p{},1,2.5,EUR\n",
            i % 977,
            1 + i % 28,
            i % 31
        ));
    }
    let file = dir.path().join("big.csv");
    std::fs::write(&file, big).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_recur"))
        .args(["import", "orders", "-q", "--file", file.to_str().unwrap()])
        .current_dir(dir.path())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
    child.kill().unwrap();
    child.wait().unwrap();
    // Whenever the kill landed, the manifest is either the old one or a complete new one, and
    // every file it lists exists.
    let after = std::fs::read_to_string(dir.path().join("data/manifest.json")).unwrap();
    let m: serde_json::Value = serde_json::from_str(&after).unwrap();
    if after != before {
        assert_eq!(
            m["imports"].as_array().unwrap().len(),
            3,
            "a half-committed import: {after}"
        );
    }
    for f in m["files"].as_array().unwrap() {
        assert!(
            dir.path()
                .join("data")
                .join(f["path"].as_str().unwrap())
                .exists()
        );
    }
    let o = recur(dir.path(), &["analyze", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // A retry completes the import and sweeps what the killed one left.
    let o = recur(
        dir.path(),
        &["import", "orders", "-q", "--file", file.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!dir.path().join("data/.staging").exists());
}

/// A small file in the Hillstrom format: visits and conversions rise with the e-mails.
fn hillstrom_like(path: &Path, rows: usize) {
    let mut s = String::from(
        "recency,history_segment,history,mens,womens,zip_code,newbie,channel,segment,visit,conversion,spend\n",
    );
    let mut x: u64 = 12345;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) as f64 / (1u64 << 31) as f64
    };
    for _ in 0..rows {
        let arm = (next() * 3.0) as usize;
        let segment = ["No E-Mail", "Mens E-Mail", "Womens E-Mail"][arm];
        let recency = 1 + (next() * 12.0) as u32;
        let p_visit = 0.1 + [0.0, 0.08, 0.04][arm] * if recency < 6 { 2.0 } else { 0.2 };
        let visit = next() < p_visit;
        let conversion = visit && next() < 0.1;
        let spend = if conversion {
            50.0 + next() * 100.0
        } else {
            0.0
        };
        s.push_str(&format!(
            "{recency},2) $100 - $200,{:.2},1,0,{},{},{},{segment},{},{},{spend:.2}\n",
            100.0 + next() * 100.0,
            ["Urban", "Surburban", "Rural"][(next() * 3.0) as usize],
            u8::from(next() < 0.5),
            ["Phone", "Web", "Multichannel"][(next() * 3.0) as usize],
            u8::from(visit),
            u8::from(conversion),
        ));
    }
    std::fs::write(path, s).unwrap();
}

#[test]
fn campaign_evaluate_hillstrom_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hillstrom.csv");
    hillstrom_like(&file, 6000);
    let args = [
        "campaign",
        "evaluate",
        "--hillstrom",
        file.to_str().unwrap(),
        "--json",
    ];
    let o = recur(dir.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for arm in ["mens", "womens"] {
        for outcome in ["visit", "conversion", "spend"] {
            let e = &doc[arm][outcome];
            let (lo, est, hi) = (
                e["ci_low"].as_f64().unwrap(),
                e["effect"].as_f64().unwrap(),
                e["ci_high"].as_f64().unwrap(),
            );
            assert!(lo <= est && est <= hi, "{arm} {outcome}: {e}");
        }
        let t = &doc[arm]["targeting"];
        assert!(t["qini"].is_number(), "{t}");
        for who in ["uplift", "random"] {
            assert!(t["conversions"][who]["estimate"].is_number(), "{t}");
        }
    }
    // The planted men's effect (+8 points doubled for recent customers) is found.
    assert!(doc["mens"]["visit"]["ci_low"].as_f64().unwrap() > 0.0);
    // Same seed, same output; the text form names both arms.
    let again = recur(dir.path(), &args);
    assert_eq!(again.stdout, o.stdout);
    let text = recur(dir.path(), &args[..4]);
    assert!(stdout(&text).contains("men's") && stdout(&text).contains("women's"));
}
