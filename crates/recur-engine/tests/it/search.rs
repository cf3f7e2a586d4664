//! Product search through the engine: a planted product is found in English and (through
//! jieba) in Chinese, price phrases filter, the index is rebuilt when the catalog changes, and a
//! customer's history re-ranks the results the same way every time.

use std::sync::atomic::AtomicBool;

use recur_engine::prelude::*;
use recur_engine::{ProductSearch, ProductSearchOptions, RecsOptions, search_products};

use crate::{import, testdata};

fn shop() -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let ws = Workspace::init(dir.path()).expect("init");
    import(&ws, Table::Catalog, &testdata("search/catalog.csv"));
    import(&ws, Table::Orders, &testdata("search/orders.csv"));
    (dir, ws)
}

fn search(ws: &Workspace, query: &str, customer: Option<&str>) -> ProductSearch {
    let opts = ProductSearchOptions {
        k: 5,
        customer: customer.map(str::to_owned),
    };
    search_products(ws, query, &opts, None).expect("search")
}

fn ids(s: &ProductSearch) -> Vec<&str> {
    s.results.iter().map(|r| r.product_id.as_str()).collect()
}

#[test]
fn a_query_finds_the_planted_product_in_english_and_chinese() {
    let (_dir, ws) = shop();
    let s = search(&ws, "decaf coffee beans", None);
    assert_eq!(s.method, "bm25");
    assert_eq!(ids(&s)[0], "p1", "{s:?}");
    assert_eq!(s.results[0].title, "Swiss Water Decaf Coffee Beans");
    assert_eq!(s.intent.category.as_deref(), Some("Grocery > Coffee"));
    assert_eq!(s.intent.terms, vec!["decaf".to_owned(), "beans".to_owned()]);
    assert!(s.index.rebuilt);
    assert_eq!(s.index.source, "catalog");
    // Chinese through jieba: 低因咖啡 is segmented and finds the Chinese title.
    let s = search(&ws, "低因咖啡", None);
    assert_eq!(ids(&s)[0], "p5", "{s:?}");
    let s = search(&ws, "龙井茶", None);
    assert_eq!(ids(&s)[0], "p6", "{s:?}");
    // The index is reused while the catalog is unchanged.
    assert!(!search(&ws, "kettle", None).index.rebuilt);
}

#[test]
fn price_phrases_set_the_intent_and_filter_known_prices() {
    let (_dir, ws) = shop();
    let s = search(&ws, "coffee beans under 20", None);
    assert_eq!(s.intent.price_max, Some(20.0));
    assert_eq!(s.intent.price_min, None);
    assert!(!s.results.is_empty());
    assert!(
        s.results.iter().all(|r| r.price.is_some_and(|p| p <= 20.0)),
        "{s:?}"
    );
    assert!(!ids(&s).contains(&"p7"), "p7 costs 25: {s:?}");
    let s = search(&ws, "coffee between 20 and 30", None);
    assert_eq!(
        (s.intent.price_min, s.intent.price_max),
        (Some(20.0), Some(30.0))
    );
    assert_eq!(ids(&s), vec!["p7"], "{s:?}");
}

#[test]
fn the_index_follows_the_catalog() {
    let (dir, ws) = shop();
    assert!(search(&ws, "kettle", None).index.rebuilt);
    let extra = dir.path().join("more.csv");
    std::fs::write(
        &extra,
        "product_id,title,description,category,price,currency\np9,Gooseneck Pour-over Kettle,For pour-over coffee,Home > Kitchen,49,EUR\n",
    )
    .expect("write");
    import(&ws, Table::Catalog, &extra);
    let s = search(&ws, "gooseneck kettle", None);
    assert!(s.index.rebuilt);
    assert_eq!(ids(&s)[0], "p9", "{s:?}");
}

#[test]
fn a_customers_history_reranks_deterministically() {
    let (_dir, ws) = shop();
    let plain = search(&ws, "coffee beans", None);
    assert!(plain.personalised.is_none());
    // Without a trained model the search says so and keeps the text order.
    let untrained = search(&ws, "coffee beans", Some("A"));
    assert!(untrained.personalised.is_none());
    assert_eq!(ids(&untrained), ids(&plain));
    assert!(!untrained.notes.is_empty());

    let opts = RecsOptions {
        epochs: 2,
        max_seconds: Some(20.0),
        ..RecsOptions::default()
    };
    recur_engine::train_workspace(&ws, &opts, None, &mut (), &AtomicBool::new(false))
        .expect("train");
    // A keeps buying p7, B keeps buying p1. Which model wins the workspace's selection
    // decides what each one's history implies; the search must follow that model: the
    // personal ranks are the order of its scores among the candidates.
    let a = search(&ws, "coffee beans", Some("A"));
    let b = search(&ws, "coffee beans", Some("B"));
    assert!(a.personalised.is_some(), "{a:?}");
    let rec = recur_engine::WorkspaceRecommender::open(&ws).unwrap();
    for (who, s) in [("A", &a), ("B", &b)] {
        let listed = rec
            .recommend(who, 100, recur_engine::model::Exclude::Nothing)
            .unwrap();
        let score = |id: &str| {
            listed
                .items
                .iter()
                .find(|i| i.product_id == id)
                .map_or(f32::NEG_INFINITY, |i| i.score)
        };
        let mut by_rank: Vec<_> = s.results.iter().collect();
        by_rank.sort_by_key(|r| r.personal_rank.expect("every result ranked"));
        let ordered: Vec<f32> = by_rank.iter().map(|r| score(&r.product_id)).collect();
        assert!(
            ordered.windows(2).all(|w| w[0] >= w[1]),
            "{who}: {ordered:?} {s:?}"
        );
    }
    // Different histories, different personal ranks.
    let ranks = |s: &ProductSearch| {
        let mut v: Vec<_> = s
            .results
            .iter()
            .map(|r| (r.product_id.clone(), r.personal_rank))
            .collect();
        v.sort();
        v
    };
    assert_ne!(ranks(&a), ranks(&b), "{a:?} {b:?}");
    // The same again, the same order and scores.
    let again = search(&ws, "coffee beans", Some("A"));
    assert_eq!(ids(&again), ids(&a));
    let scores = |s: &ProductSearch| s.results.iter().map(|r| r.score).collect::<Vec<_>>();
    assert_eq!(scores(&again), scores(&a));
    // An unknown customer gets the text order with a note.
    let nobody = search(&ws, "coffee beans", Some("nobody"));
    assert!(nobody.personalised.is_none());
    assert_eq!(ids(&nobody), ids(&plain));
}

#[test]
fn without_a_catalog_order_lines_are_searched() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let ws = Workspace::init(dir.path()).expect("init");
    let orders = dir.path().join("orders.csv");
    std::fs::write(
        &orders,
        "order_id,customer_id,ordered_at,product_id,product_title,quantity,unit_price,currency\n\
         o1,A,2024-01-01T10:00:00Z,x1,Decaf Coffee Beans 1kg,1,20,EUR\n\
         o2,B,2024-01-02T10:00:00Z,x2,Green Tea,1,8,EUR\n",
    )
    .expect("write");
    import(&ws, Table::Orders, &orders);
    let s = search(&ws, "decaf", None);
    assert_eq!(s.index.source, "order_lines");
    assert_eq!(ids(&s), vec!["x1"]);
    assert_eq!(s.results[0].price, Some(20.0));
    // Nothing to search at all is the user's to fix.
    let empty = tempfile::tempdir().expect("temporary folder");
    let ws = Workspace::init(empty.path()).expect("init");
    let e = search_products(&ws, "tea", &ProductSearchOptions::default(), None).unwrap_err();
    assert!(e.is_user_error(), "{e}");
}
