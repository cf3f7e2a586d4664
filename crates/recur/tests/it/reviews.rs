//! `recur reviews train|analyze` on a workspace with imported reviews, and `recur eval
//! reviews` on small generated files in both layouts.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::{recur, stderr, stdout};

const GOOD: &[&str] = &[
    "The lather is wonderful and the pump bottle works, love it",
    "Great lather, lovely smell &amp; a sturdy pump bottle 😀",
    "包装很好，物流很快，非常满意",
    "Nice lather, would buy again",
];
const BAD: &[&str] = &[
    "The pump bottle leaked and broke, awful",
    "Terrible lather, the pump bottle is junk",
    "包装破了，物流太慢，很失望",
    "Awful smell, returned it",
];

/// A workspace with a catalog of four soaps and 30 reviews each; `s0` is reviewed badly.
fn review_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(recur(d, &["init", "."]).status.success());
    let mut catalog = String::from("product_id,title,category,price,currency\n");
    let mut reviews = String::from("customer_id,product_id,rating,review_text,reviewed_at\n");
    for p in 0..4 {
        writeln!(catalog, "s{p},Soap {p},Bath > Soap,5,EUR").unwrap();
        for r in 0..30 {
            let bad = if p == 0 { r % 4 != 0 } else { r % 10 == 0 };
            let (text, stars) = if bad {
                (BAD[r % BAD.len()], 1 + r % 2)
            } else {
                (GOOD[r % GOOD.len()], 4 + r % 2)
            };
            writeln!(
                reviews,
                "cust-{p}-{r},s{p},{stars},\"{text} #{r}\",2026-{:02}-{:02}T10:00:00Z",
                1 + r % 6,
                1 + r % 27
            )
            .unwrap();
        }
    }
    std::fs::write(d.join("catalog.csv"), catalog).unwrap();
    std::fs::write(d.join("reviews.csv"), reviews).unwrap();
    for table in ["catalog", "reviews"] {
        let o = recur(
            d,
            &["import", table, "--file", &format!("{table}.csv"), "--json"],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    dir
}

#[test]
fn train_then_analyze_holds_back_the_badly_reviewed_product() {
    let dir = review_workspace();
    let d = dir.path();
    let o = recur(d, &["reviews", "analyze"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("recur reviews train"), "{}", stderr(&o));

    let o = recur(d, &["reviews", "train", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let t: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(t["examples"], 120);
    assert!(d.join("models/reviews/config.json").is_file());
    assert!(d.join("models/reviews/weights.bin").is_file());

    let o = recur(d, &["reviews", "analyze", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!out.contains("cust-"), "reviewer ids must not be printed");
    let a: serde_json::Value = serde_json::from_str(&out).unwrap();
    let products = a["products"].as_array().unwrap();
    assert_eq!(products.len(), 4);
    let s0 = products.iter().find(|p| p["product_id"] == "s0").unwrap();
    assert_eq!(s0["held_back"], true, "{s0}");
    assert!(
        s0["held_back_reason"]
            .as_str()
            .unwrap()
            .contains("Bath > Soap")
    );
    assert!(s0["negative_share"].as_f64().unwrap() > 0.5);
    let aspects = s0["aspects"].as_array().unwrap();
    let pump = aspects
        .iter()
        .find(|x| x["aspect"] == "pump bottle")
        .unwrap_or_else(|| panic!("{aspects:?}"));
    // Half of s0's mentions of the pump bottle come from its good reviews.
    assert!(pump["negative_share"].as_f64().unwrap() >= 0.5, "{pump}");
    let parcel = aspects.iter().find(|x| x["aspect"] == "包装").unwrap();
    assert_eq!(parcel["negative_share"], 1.0, "{parcel}");
    let examples = pump["examples"].as_array().unwrap();
    assert_eq!(examples.len(), 3);
    assert!(examples[0]["review"].as_str().unwrap().contains(':'));
    for p in products.iter().filter(|p| p["product_id"] != "s0") {
        assert_eq!(p["held_back"], false, "{p}");
    }
    assert_eq!(a["held_back"].as_array().unwrap().len(), 1);

    let o = recur(d, &["reviews", "analyze"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("Held back") && text.contains("s0:"), "{text}");
    assert!(text.contains("Bath > Soap"), "{text}");
}

#[test]
fn analyze_product_shows_pain_points_without_and_with_a_model() {
    let dir = review_workspace();
    let d = dir.path();
    // No review model yet: the stars judge.
    let o = recur(d, &["analyze", "--product", "s0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("Product s0 (Bath > Soap): 30 reviews"),
        "{text}"
    );
    assert!(text.contains("Held back from campaign messages"), "{text}");
    assert!(text.contains("Pain points"), "{text}");
    assert!(text.contains("pump bottle"), "{text}");
    assert!(!text.contains("cust-"), "reviewer ids must not be printed");
    let o = recur(d, &["analyze", "--product", "s1", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let p: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(p["product_id"], "s1");
    assert_eq!(p["held_back"], false, "{p}");
    let aspect = &p["aspects"][0];
    assert!(aspect["negative_share"].is_number(), "{p}");
    let quotes = aspect["examples"].as_array().unwrap();
    assert!(!quotes.is_empty() && quotes.len() <= 3, "{p}");
    assert!(quotes[0]["review"].as_str().unwrap().contains(':'), "{p}");

    let o = recur(d, &["analyze", "--product", "nope"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("`nope`"), "{}", stderr(&o));

    assert!(recur(d, &["reviews", "train"]).status.success());
    let o = recur(d, &["reviews", "analyze", "--product", "s0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("Pain points") && text.contains("Held back"),
        "{text}"
    );
    // A stricter rule from the settings: nothing is held back.
    let o = Command::new(env!("CARGO_BIN_EXE_recur"))
        .args(["reviews", "analyze", "--json"])
        .current_dir(d)
        .env("RECUR_REVIEWS_HOLD_BACK_MARGIN", "0.9")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let a: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(a["held_back"].as_array().unwrap().len(), 0, "{a}");
}

#[test]
fn analyze_saves_summaries_and_a_second_run_skips_the_up_to_date_ones() {
    let dir = review_workspace();
    let d = dir.path();
    let o = recur(d, &["analyze", "--product", "s0", "--summary", "--no-llm"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Saved to "), "{}", stdout(&o));
    let saved: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("reviews/summaries/s0.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(saved["reviews"], 30);
    assert_eq!(saved["path"], "template");
    assert!(
        saved["bullets"][0]["citations"][0]
            .as_str()
            .unwrap()
            .contains(':')
    );

    // The three most-reviewed (30 each; ties by id): s0 is up to date, s1 and s2 are written.
    let o = recur(d, &["analyze", "--summaries", "3", "--no-llm", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let run: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (run["saved"].as_u64(), run["skipped"].as_u64()),
        (Some(2), Some(1))
    );
    let status: Vec<_> = run["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["product_id"].as_str().unwrap(),
                p["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        status,
        [("s0", "skipped"), ("s1", "saved"), ("s2", "saved")]
    );
    assert!(d.join("reviews/summaries/s2.json").is_file());

    // Run again: nothing to do.
    let o = recur(d, &["analyze", "--summaries", "3", "--no-llm"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let text = text.replace(
        &d.canonicalize().unwrap().display().to_string(),
        "[TEMP_DIR]",
    );
    insta::assert_snapshot!(text.replace(&d.display().to_string(), "[TEMP_DIR]"));

    let o = recur(d, &["analyze", "--summaries", "0"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("`--summaries 0`"), "{}", stderr(&o));
    let o = recur(d, &["analyze", "--no-llm"]);
    assert!(
        !o.status.success(),
        "--no-llm needs --summary or --summaries"
    );
}

fn write_datasets(d: &Path) {
    let mut csv = String::from("cat,label,review\n");
    let mut json = String::new();
    for i in 0..40 {
        let (good, bad) = (GOOD[i % GOOD.len()], BAD[i % BAD.len()]);
        writeln!(csv, "书籍,1,\"{good} {i}\"\n书籍,0,\"{bad} {i}\"").unwrap();
        for (stars, text) in [(5, good), (1, bad)] {
            let line = serde_json::json!({"overall": stars, "reviewText": format!("{text} {i}"), "summary": "", "asin": "B1"});
            writeln!(json, "{line}").unwrap();
        }
    }
    std::fs::write(d.join("zh.csv"), csv).unwrap();
    std::fs::write(d.join("en.json"), json).unwrap();
}

#[test]
fn eval_reviews_in_both_layouts_with_baselines() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_datasets(d);
    for (file, format) in [("zh.csv", "online-shopping"), ("en.json", "amazon-reviews")] {
        let o = recur(
            d,
            &[
                "eval",
                "reviews",
                "--dataset",
                file,
                "--format",
                format,
                "--json",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        for key in [
            "accuracy",
            "macro_f1",
            "train_seconds",
            "reviews_per_second",
            "baselines",
        ] {
            assert!(!r[key].is_null(), "{key} missing in {r}");
        }
        assert!(r["accuracy"].as_f64().unwrap() > 0.9, "{r}");
        assert_eq!(r["baselines"][0]["name"], "majority");
        assert_eq!(r["baselines"][1]["name"], "lexicon");
        let o = recur(
            d,
            &[
                "eval",
                "reviews",
                "--dataset",
                file,
                "--format",
                format,
                "--no-aspects",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).contains("majority"));
    }
    let o = recur(
        d,
        &[
            "eval",
            "reviews",
            "--dataset",
            "missing.csv",
            "--format",
            "online-shopping",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    std::fs::write(d.join("bad.json"), "{\"overall\": 9}\n").unwrap();
    let o = recur(
        d,
        &[
            "eval",
            "reviews",
            "--dataset",
            "bad.json",
            "--format",
            "amazon-reviews",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad.json:1"), "{}", stderr(&o));
}

#[test]
fn eval_reviews_embedding_head_needs_the_model_and_joins_the_baselines() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_datasets(d);
    let args = [
        "eval",
        "reviews",
        "--dataset",
        "en.json",
        "--format",
        "amazon-reviews",
        "--no-aspects",
        "--json",
        "--embedding-head",
        "--embedding-limit",
        "40",
    ];
    let o = Command::new(env!("CARGO_BIN_EXE_recur"))
        .args(args)
        .current_dir(d)
        .env_remove("RECUR_WORKSPACE")
        .env("RECUR_EMBED_MODEL", d.join("no-such-model"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--embedding-head needs the embedding model"),
        "{}",
        stderr(&o)
    );
    // The head itself only where scripts/setup-models has fetched MiniLM into the checkout.
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/all-MiniLM-L6-v2");
    if !model.join("model.safetensors").is_file() {
        eprintln!("skipped: no embedding model at {}", model.display());
        return;
    }
    let o = recur(d, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let head = &r["baselines"][2];
    assert_eq!(head["name"], "embedding_head", "{r}");
    assert!(head["accuracy"].as_f64().unwrap() > 0.5, "{r}");
    assert!(head["reviews_per_second"].as_f64().unwrap() > 0.0, "{r}");
    assert_eq!(r["embedding_head"]["train_reviews"], 40, "{r}");
    assert_eq!(r["embedding_head"]["dimensions"], 384, "{r}");
}
