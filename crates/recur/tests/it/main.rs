//! End-to-end tests of the `recur` binary.

mod assist;
mod canaries;
mod customers;
mod endpoint;
mod imports;
mod mistakes;
mod poison;
mod reviews;
mod search;
mod serve;
mod sql;
mod timing;

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
    assert!(
        out.contains("Behaviour model") && out.contains("best on validation"),
        "{out}"
    );
    // The campaign loop ran: both rounds, grounded messages, ESP files, and no address printed.
    assert!(
        out.contains("Campaign loop") && out.contains("2 uplift"),
        "{out}"
    );
    assert!(!out.contains("template rejected"), "{out}");
    assert!(!out.contains("@example.com"), "{out}");
    for f in ["braze.csv", "klaviyo.csv", "messages.jsonl"] {
        assert!(
            dir.path().join("recur-demo/campaign").join(f).exists(),
            "{f}"
        );
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
    let again = recur(dir.path(), &["demo", "-q", "--json", "--llm-drafts", "0"]);
    assert!(again.status.success(), "{}", stderr(&again));
    let doc: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert!(
        doc["imports"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["already_imported"] == true)
    );
    // The behaviour model ran and recommended catalogue products to customers at risk.
    let recs = &doc["recommendations"];
    assert!(
        recs["training"]["evaluation"]["models"]
            .as_array()
            .unwrap()
            .len()
            == 5,
        "{recs}"
    );
    let at_risk = recs["at_risk"].as_array().unwrap();
    assert_eq!(at_risk.len(), 5, "{recs}");
    assert!(at_risk[0]["items"][0]["title"].is_string(), "{recs}");
    // Calibration/holdout evaluation of the customer-value models on the demo shop.
    let ws = dir.path().join("recur-demo");
    let customer = at_risk[0]["customer_id"].as_str().unwrap();
    let o = recur(
        &ws,
        &["recommend", "--customer", customer, "-k", "4", "--json"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["items"].as_array().unwrap().len(), 4);
    let o = recur(&ws, &["recommend", "--customer", "nobody"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("unknown customer `nobody`"),
        "{}",
        stderr(&o)
    );
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
fn analyze_csv_never_writes_a_formula() {
    let dir = tempfile::tempdir().unwrap();
    assert!(recur(dir.path(), &["init", "."]).status.success());
    let catalog = dir.path().join("poisoned.csv");
    std::fs::write(
        &catalog,
        "product_id,title,category,price,currency\n\
         coffee,House Coffee,\"=cmd|' /C calc'!A0\",10,EUR\n\
         tea,Green Tea,@SUM(A1),15,EUR\n",
    )
    .unwrap();
    for (table, file) in [
        ("orders", testdata("tiny-shop/orders.csv")),
        ("catalog", catalog),
    ] {
        let o = recur(
            dir.path(),
            &["import", table, "-q", "--file", file.to_str().unwrap()],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = recur(dir.path(), &["analyze", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut cells = 0;
    let mut quoted = 0;
    for entry in std::fs::read_dir(dir.path().join("analytics")).unwrap() {
        let path = entry.unwrap().path();
        let mut r = csv::Reader::from_path(&path).unwrap();
        for row in r.records() {
            for cell in &row.unwrap() {
                cells += 1;
                quoted += usize::from(cell.starts_with("'=") || cell.starts_with("'@"));
                let formula = cell.starts_with(['=', '+', '@', '\t', '\r'])
                    || (cell.starts_with('-') && cell.parse::<f64>().is_err());
                assert!(!formula, "{}: {cell:?}", path.display());
            }
        }
    }
    assert!(
        cells > 0 && quoted > 0,
        "{cells} cells, {quoted} neutralised"
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

#[test]
fn campaign_send_killed_and_resumed_reaches_everyone_once() {
    let dir = tempfile::tempdir().unwrap();
    // A smaller shop keeps the test short: lettre writes the final "." of each message
    // separately, so Nagle and delayed ACKs cost ~40 ms per message on one connection.
    let o = recur(
        dir.path(),
        &["demo", "-q", "--customers", "600", "--llm-drafts", "0"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let ws = dir.path().join("recur-demo");
    // Plan a campaign from a TOML file: its holdout is recorded once and kept.
    let spec = dir.path().join("winback.toml");
    std::fs::write(
        &spec,
        "id = \"winback-dec\"\ngoal_days = 30\nchannel = \"email\"\nholdout_share = 0.15\n\
         [audience]\nsegments = [\"At Risk\", \"Can't Lose Them\"]\n\
         [[offers]]\nname = \"message only\"\nkind = \"none\"\n\
         [[offers]]\nname = \"15% off\"\nkind = \"percent_off\"\npercent = 15\n",
    )
    .unwrap();
    let plan_args = [
        "campaign",
        "plan",
        "--spec",
        spec.to_str().unwrap(),
        "--json",
    ];
    let o = recur(&ws, &plan_args);
    assert!(o.status.success(), "{}", stderr(&o));
    let first: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(first["newly_recorded"], true);
    let s = &first["summary"];
    assert!(
        s["holdout"].as_u64().unwrap() > 0 && s["treated"].as_u64().unwrap() > 0,
        "{s}"
    );
    let again: serde_json::Value = serde_json::from_slice(&recur(&ws, &plan_args).stdout).unwrap();
    assert_eq!(
        (again["newly_recorded"].clone(), again["summary"].clone()),
        (serde_json::json!(false), s.clone())
    );
    std::fs::write(
        &spec,
        "id = \"x\"\ngoal_days = 30\nchannel = \"email\"\noffers = []\n",
    )
    .unwrap();
    let bad = recur(&ws, &plan_args);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("[[offers]]"), "{}", stderr(&bad));
    let base = ["campaign", "send", "--campaign", "demo-winback-2"];
    // Dry run: counts, sends nothing.
    let o = recur(&ws, &[&base[..], &["--dry-run", "--json"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let queued = doc["run"]["would_send"].as_u64().unwrap() as usize;
    assert!(queued > 50, "{doc}");
    assert_eq!(doc["totals"]["queued"].as_u64().unwrap() as usize, queued);
    // Not approved (the command line sends anyway and says so); approving records who, when
    // and the messages' count and fingerprint.
    assert!(doc["approval"]["approval"].is_null(), "{doc}");
    let approve = [
        "campaign",
        "approve",
        "--campaign",
        "demo-winback-2",
        "--json",
    ];
    let o = recur(&ws, &approve);
    assert!(o.status.success(), "{}", stderr(&o));
    let approved: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(approved["approval"]["approved_by"], "cli", "{approved}");
    assert_eq!(approved["valid"], true, "{approved}");
    assert!(approved["current"]["messages"].as_u64().unwrap() as usize >= queued);
    let o = recur(
        &ws,
        &["campaign", "approve", "--campaign", "no-such-campaign"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));

    let (port, inbox) = recur_test::smtp_server_with_delay(std::time::Duration::from_millis(2));
    let addr = format!("127.0.0.1:{port}");
    // One connection: a kill leaves one message in flight (with N connections, N; each comes
    // again with its Message-ID, as the parallel delivery tests of recur-campaign check).
    let args = [
        &base[..],
        &["--smtp", &addr, "--json", "--connections", "1"],
    ]
    .concat();
    // Start sending, kill the process part-way, then run again.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_recur"))
        .args(&args)
        .current_dir(&ws)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while inbox.lock().unwrap().len() < 20 && start.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = inbox.lock().unwrap().len();
    assert!(before < queued, "killed too late to test resuming");
    let o = recur(&ws, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        doc["totals"]["sent"].as_u64().unwrap() as usize,
        queued,
        "{doc}"
    );
    // A third run has nothing left to send.
    let o = recur(&ws, &args);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["run"]["sent"], 0);
    assert_eq!(doc["approval"]["valid"], true, "sending changes no message");
    std::thread::sleep(std::time::Duration::from_millis(50));
    let got = inbox.lock().unwrap().clone();
    let mut by_rcpt: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> =
        Default::default();
    for (r, id) in &got {
        by_rcpt.entry(r).or_default().insert(id);
    }
    assert_eq!(by_rcpt.len(), queued, "everyone reached");
    assert!(
        by_rcpt.values().all(|ids| ids.len() == 1),
        "one Message-ID each"
    );
    // At most the one message in flight at the kill arrives twice (same Message-ID).
    assert!(
        got.len() <= queued + 1,
        "{} deliveries for {queued}",
        got.len()
    );
}

/// A campaign planned in the past (back-testing on the synthetic shop's 2025 orders) becomes
/// the evidence for the next one: its recorded features and the orders in its goal window train
/// per-offer uplift models; imported coupon redemptions replace the estimated offer cost; a
/// closed send window keeps everything queued.
#[test]
fn past_campaigns_teach_the_next_plan_and_redemptions_set_the_cost() {
    let dir = tempfile::tempdir().unwrap();
    let o = recur(
        dir.path(),
        &["demo", "-q", "--customers", "600", "--llm-drafts", "0"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let ws = dir.path().join("recur-demo");
    let spec = |id: &str, prefix: &str| {
        let path = dir.path().join(format!("{id}.toml"));
        std::fs::write(
            &path,
            format!(
                "id = \"{id}\"\ngoal_days = 30\nchannel = \"email\"\nholdout_share = 0.3\n\
                 send_window = {{ start_hour = 0, end_hour = 1, timezone = \"Pacific/Kiritimati\" }}\n\
                 [[offers]]\nname = \"message only\"\nkind = \"none\"\n\
                 [[offers]]\nname = \"15% off\"\nkind = \"percent_off\"\npercent = 15\ncode_prefix = \"{prefix}\"\n"
            ),
        )
        .unwrap();
        path
    };
    let autumn = spec("autumn", "FALL");
    let plan = |path: &std::path::Path, extra: &[&str]| {
        let args = [
            &[
                "campaign",
                "plan",
                "--spec",
                path.to_str().unwrap(),
                "--json",
            ][..],
            extra,
        ]
        .concat();
        let o = recur(&ws, &args);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let first = plan(&autumn, &["--as-of", "2025-10-01"]);
    assert!(
        first["targeting"].as_str().unwrap().contains("exploration"),
        "{first}"
    );
    // The demo's campaigns were planned today: their windows have not ended.
    assert!(
        first["not_learned_from"]
            .to_string()
            .contains("demo-winback"),
        "{first}"
    );
    let second = plan(&spec("winter", "WINTER"), &[]);
    // On real orders the campaign changed nothing (it was never sent): the planner either
    // trusts a model that held up on held-out customers or explores again; either way it says
    // it learned from autumn.
    let targeting = second["targeting"].as_str().unwrap();
    assert!(targeting.contains("autumn"), "{second}");
    let evidence = second["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 2);
    for e in evidence {
        assert_eq!(e["campaigns"], serde_json::json!(["autumn"]), "{e}");
        assert!(e["treated"].as_u64().unwrap() >= 30 && e["holdout"].as_u64().unwrap() >= 30);
        assert!(e["holdout_buyers"].as_u64().unwrap() > 0, "{e}");
    }
    let s = &second["summary"];
    assert_eq!(
        s["treated"].as_u64().unwrap()
            + s["holdout"].as_u64().unwrap()
            + s["excluded"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x[1].as_u64().unwrap())
                .sum::<u64>(),
        s["candidates"].as_u64().unwrap(),
        "every candidate is accounted for: {s}"
    );

    // Lift of the autumn campaign: estimated cost, then the redeemed discounts.
    let evaluate = || {
        let o = recur(
            &ws,
            &["campaign", "evaluate", "--campaign", "autumn", "--json"],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let before = evaluate();
    assert!(before["purchase_days_in_window"].as_u64().unwrap() > 0);
    assert!(
        before["offer_cost_basis"]
            .as_str()
            .unwrap()
            .starts_with("estimated"),
        "{before}"
    );
    let o = recur(
        &ws,
        &["campaign", "generate", "--campaign", "autumn", "--json"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // The copy audit of the messages just written, summarised (no model asked: all template).
    let o = recur(&ws, &["eval", "copy", "--campaign", "autumn", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in [
        "accepted_share",
        "template_share",
        "distinct_2",
        "seconds_per_draft",
        "by_language",
    ] {
        assert!(e.get(key).is_some(), "{key} missing from {e}");
    }
    assert_eq!(e["drafted"], 0, "{e}");
    assert_eq!(e["unsupplied_facts"], 0, "{e}");
    assert!(e["template_only"].as_u64().unwrap() > 0, "{e}");
    let o = recur(&ws, &["eval", "copy", "--campaign", "nope"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let jsonl = std::fs::read_to_string(ws.join("campaign/autumn/messages.jsonl")).unwrap();
    let code = jsonl
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find_map(|m| m["coupon_code"].as_str().map(str::to_owned))
        .expect("a 15% offer was sent");
    let file = dir.path().join("redemptions.csv");
    std::fs::write(
        &file,
        format!("code,order_id,discount\n{code},O-1,7.50\nNOPE-1,O-2,1.00\n"),
    )
    .unwrap();
    let o = recur(
        &ws,
        &[
            "campaign",
            "redemptions",
            "--file",
            file.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (r["matched"].as_u64(), r["new"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    assert_eq!(r["unknown_codes"], serde_json::json!([[3, "NOPE-1"]]));
    let after = evaluate();
    assert!(
        after["offer_cost_basis"]
            .as_str()
            .unwrap()
            .starts_with("coupon redemptions"),
        "{after}"
    );
    let (b, a) = (&before["lift"]["overall"], &after["lift"]["overall"]);
    assert_eq!(b["repurchase_rate"], a["repurchase_rate"], "same buyers");
    assert!(
        a["profit_per_customer"]["effect"].as_f64() > b["profit_per_customer"]["effect"].as_f64(),
        "one redeemed discount costs less than the estimate for every treated buyer: {b} vs {a}"
    );

    // The send window (00-01 at UTC+14) is closed for all but one hour a day: nothing goes out.
    let o = recur(
        &ws,
        &[
            "campaign",
            "send",
            "--campaign",
            "autumn",
            "--dry-run",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let run = &doc["run"];
    let deferred = run["deferred"].as_u64().unwrap();
    let would = run["would_send"].as_u64().unwrap();
    assert!(
        (deferred > 0 && would == 0 && run["window_opens"].is_string())
            || (deferred == 0 && would > 0),
        "{doc}"
    );
}

#[test]
fn eval_recs_compares_every_baseline_on_a_sequence_file() {
    let dir = tempfile::tempdir().unwrap();
    // 60 customers walking one of two item chains.
    let mut text = String::new();
    for u in 0..60 {
        for k in 0..6 {
            let item = if u % 2 == 0 { 1 + k } else { 20 + k };
            text.push_str(&format!("{u} {item}\n"));
        }
    }
    let file = dir.path().join("seq.txt");
    std::fs::write(&file, text).unwrap();
    let o = recur(
        dir.path(),
        &[
            "eval",
            "recs",
            "--dataset",
            file.to_str().unwrap(),
            "--format",
            "beauty",
            "--epochs",
            "3",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = doc["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["popularity", "item-knn", "p-pop", "tifu-knn", "transformer"]
    );
    for m in doc["models"].as_array().unwrap() {
        assert!(
            m["ndcg@10"].is_f64() && m["hr@10"].is_f64() && m["train_seconds"].is_f64(),
            "{m}"
        );
    }
    // The chains are deterministic: item co-occurrence finds the next item every time.
    let knn = &doc["models"][1];
    assert!((knn["hr@10"].as_f64().unwrap() - 1.0).abs() < 1e-9, "{knn}");
    let bad = recur(
        dir.path(),
        &[
            "eval",
            "recs",
            "--dataset",
            "missing.txt",
            "--format",
            "beauty",
        ],
    );
    assert_eq!(bad.status.code(), Some(1), "{}", stderr(&bad));
}
