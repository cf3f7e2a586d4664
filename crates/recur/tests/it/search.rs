//! `recur search` and `recur eval search` as a user runs them.

use serde_json::Value;

use crate::{recur, stderr, stdout, tiny_workspace};

fn json(o: &std::process::Output) -> Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

#[test]
fn search_json_has_the_documented_keys() {
    let dir = tiny_workspace();
    let d = dir.path();
    let r = json(&recur(
        d,
        &[
            "search",
            "house coffee under 20",
            "--customer",
            "A",
            "--json",
        ],
    ));
    let intent = &r["intent"];
    for key in ["category", "price_min", "price_max", "terms"] {
        assert!(intent.get(key).is_some(), "missing intent.{key}: {r}");
    }
    assert_eq!(intent["price_max"], 20.0, "{r}");
    assert_eq!(intent["category"], "Grocery > Coffee", "{r}");
    let method = r["method"].as_str().unwrap();
    assert!(method == "bm25" || method == "hybrid", "{r}");
    let results = r["results"].as_array().unwrap();
    assert!(!results.is_empty(), "{r}");
    for key in ["product_id", "title", "score"] {
        assert!(
            results[0].get(key).is_some(),
            "missing results[].{key}: {r}"
        );
    }
    assert_eq!(results[0]["product_id"], "coffee", "{r}");
    // No model trained: said so, not an error.
    assert!(r["personalised"].is_null(), "{r}");

    // Words only, in text.
    let o = recur(d, &["search", "kettle", "--no-embed", "-k", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Kettle"), "{}", stdout(&o));
    assert!(stdout(&o).contains("method: bm25"), "{}", stdout(&o));
}

#[test]
fn search_mistakes_exit_1() {
    let dir = tiny_workspace();
    let d = dir.path();
    let o = recur(d, &["search", "  "]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // The tiny shop has no searches to evaluate.
    let o = recur(d, &["eval", "search", "--no-embed", "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("no search"), "{}", stderr(&o));
    let empty = tempfile::tempdir().unwrap();
    assert!(recur(empty.path(), &["init", "."]).status.success());
    let o = recur(empty.path(), &["search", "tea"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("no products"), "{}", stderr(&o));
}
