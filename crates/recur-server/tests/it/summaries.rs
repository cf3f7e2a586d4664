//! `GET /v1/products/{id}/reviews` with the review summary `recur analyze` saved: the server
//! reads the saved file (it never runs the language model), marks it stale when the product's
//! review count changed since, and answers `null` when none was saved.

use std::fmt::Write as _;

use recur_engine::prelude::*;
use recur_engine::{
    SavedSummary, Scope, SummaryOptions, load_summary, product_review_summary, save_summary,
};

use crate::schema::conforms;
use crate::{Running, get, key, quiet};

/// A workspace with reviews only: six of `p1` (pump complaints, smell praise), three of `p2`.
fn reviewed(dir: &std::path::Path) -> Workspace {
    let ws = Workspace::init(dir).expect("init");
    let mut csv = String::from("customer_id,product_id,rating,review_text,reviewed_at\n");
    for (i, (p, stars, text)) in [
        ("p1", 1, "The pump broke after a week"),
        ("p1", 2, "Pump broke on day two, sadly"),
        ("p1", 1, "The pump broke and leaked everywhere"),
        ("p1", 5, "Lovely smell and soft hands"),
        ("p1", 4, "Lovely smell, very gentle soap"),
        ("p1", 5, "The smell is lovely and it lasts"),
        ("p2", 5, "Nice candle smell"),
        ("p2", 4, "Nice candle, burns evenly"),
        ("p2", 5, "Lovely candle smell"),
    ]
    .into_iter()
    .enumerate()
    {
        writeln!(
            csv,
            "cust-{i},{p},{stars},\"{text}\",2026-03-{:02}T12:00:00Z",
            1 + i
        )
        .unwrap();
    }
    let path = dir.join("reviews.csv");
    std::fs::write(&path, csv).unwrap();
    ws.import(
        &ImportRequest {
            table: Table::Reviews,
            path,
            format: None,
            mapping: Mapping::default(),
            mapping_label: "canonical column names".into(),
        },
        &NoProgress,
    )
    .expect("import reviews");
    ws
}

#[test]
fn product_reviews_carry_the_saved_summary_or_null() {
    let dir = tempfile::tempdir().unwrap();
    let ws = reviewed(dir.path());
    // What `recur analyze --product p1 --summary --no-llm` saves.
    let s = product_review_summary(&ws, "p1", None, &SummaryOptions::default())
        .unwrap()
        .expect("reviewed");
    save_summary(&ws, &SavedSummary::new(&s.summary, s.pain_points.reviews)).unwrap();
    let read = key(&ws, &[Scope::Read]);
    let server = Running::start(vec![ws], quiet());
    let b = &server.base;
    let doc = get(b, "/v1/openapi.json", None).json;

    let a = get(b, "/v1/products/p1/reviews", Some(&read));
    assert_eq!(a.status, 200, "{}", a.text);
    conforms(&doc, "get", "/v1/products/{id}/reviews", a.status, &a.json);
    let sum = &a.json["summary"];
    assert_eq!(sum["path"], "template", "{sum}");
    assert_eq!(sum["reviews"], 6);
    assert_eq!(sum["stale"], false);
    assert!(sum["written_at"].as_str().unwrap().ends_with('Z'), "{sum}");
    let bullets = sum["bullets"].as_array().unwrap();
    assert!(!bullets.is_empty(), "{sum}");
    for bullet in bullets {
        assert_eq!(bullet["path"], "template");
        let cites = bullet["citations"].as_array().unwrap();
        assert!(!cites.is_empty() && cites[0].as_str().unwrap().contains(':'));
    }
    assert!(!a.text.contains("cust-"), "reviewers are never named");

    // None saved: `null`, in a body that still conforms.
    let none = get(b, "/v1/products/p2/reviews", Some(&read));
    assert_eq!(none.status, 200, "{}", none.text);
    assert!(none.json["summary"].is_null(), "{}", none.text);
    conforms(
        &doc,
        "get",
        "/v1/products/{id}/reviews",
        none.status,
        &none.json,
    );
    assert_eq!(get(b, "/v1/products/nope/reviews", Some(&read)).status, 404);

    // Saved while the server runs, on fewer reviews than p2 has now: read at once, stale.
    let ws = Workspace::open(dir.path()).unwrap();
    let t = product_review_summary(&ws, "p2", None, &SummaryOptions::default())
        .unwrap()
        .unwrap();
    save_summary(&ws, &SavedSummary::new(&t.summary, 2)).unwrap();
    assert!(load_summary(&ws, "p2").unwrap().is_some());
    let stale = get(b, "/v1/products/p2/reviews", Some(&read));
    assert_eq!(stale.json["summary"]["stale"], true, "{}", stale.text);
    assert_eq!(stale.json["summary"]["reviews"], 2);
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["ProductReviews"]["properties"]["summary"].is_object());
    assert!(schemas["SavedReviewSummary"]["properties"]["stale"].is_object());
}
