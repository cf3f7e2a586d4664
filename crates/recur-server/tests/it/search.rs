//! `GET /v1/search` and `GET /v1/products/{id}/reviews`.

use recur_engine::Scope;
use recur_engine::prelude::*;

use crate::{Running, get, key, quiet, shop_workspace};

#[test]
fn search_finds_a_product_by_its_title_and_reviews_show_pain_points() {
    let dir = tempfile::tempdir().unwrap();
    let ws = shop_workspace(&dir.path().join("shop"), 11);
    // The same shop's reviews.
    let shop = recur_synth::generate(&SynthConfig {
        seed: 11,
        customers: 250,
        ..SynthConfig::default()
    });
    let files = shop.write(&dir.path().join("again")).expect("write");
    ws.import(
        &ImportRequest {
            table: Table::Reviews,
            path: files.reviews.clone(),
            format: None,
            mapping: Mapping::default(),
            mapping_label: "canonical column names".into(),
        },
        &NoProgress,
    )
    .expect("import reviews");
    let read = key(&ws, &[Scope::Read]);
    let server = Running::start(vec![ws], quiet());
    let s = &server.base;

    assert_eq!(get(s, "/v1/search?q=coffee", None).status, 401);
    let empty = get(s, "/v1/search?q=%20", Some(&read));
    assert_eq!(empty.status, 400, "{}", empty.text);
    assert_eq!(empty.json["error"]["code"], "bad_request");

    let first = &shop.products[0];
    let q: String = first
        .title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '+' })
        .collect();
    let a = get(s, &format!("/v1/search?q={q}&k=10"), Some(&read));
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(
        a.json["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["product_id"] == first.id.as_str()),
        "{}",
        a.text
    );
    assert!(a.json["method"].is_string());
    let nobody = get(s, "/v1/search?q=coffee&customer=nobody-x", Some(&read));
    assert_eq!(nobody.status, 404, "{}", nobody.text);

    let reviewed = &shop.products[shop.reviews[0].product].id;
    let r = get(s, &format!("/v1/products/{reviewed}/reviews"), Some(&read));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["product_id"], reviewed.as_str());
    assert!(r.json["negative_share"].is_number());
    assert!(r.json.get("customer_id").is_none());
    let none = get(s, "/v1/products/no-such-product/reviews", Some(&read));
    assert_eq!(none.status, 404);
    assert_eq!(none.json["error"]["code"], "not_found");
    assert_eq!(get(s, "/v1/products/x/reviews", None).status, 401);

    let doc = get(s, "/v1/openapi.json", None).json;
    assert!(doc["paths"]["/v1/search"].is_object());
    assert!(doc["paths"]["/v1/products/{id}/reviews"].is_object());
}

/// A stand-in for a sentence-embedding model: letter frequencies (deterministic, instant).
struct Letters;

impl recur_engine::llm::Embed for Letters {
    fn embed(&self, texts: &[&str]) -> recur_engine::llm::Result<Vec<Vec<f32>>> {
        Ok(texts
            .iter()
            .map(|t| {
                let mut v = [0f32; 26];
                for c in t
                    .to_ascii_lowercase()
                    .bytes()
                    .filter(u8::is_ascii_lowercase)
                {
                    v[usize::from(c - b'a')] += 1.0;
                }
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
                v.iter().map(|x| x / norm).collect()
            })
            .collect())
    }

    fn describe(&self) -> String {
        "letter frequencies (test)".into()
    }
}

#[test]
fn searches_add_sentence_embeddings_once_the_background_embedded_the_products() {
    let dir = tempfile::tempdir().unwrap();
    let ws = shop_workspace(&dir.path().join("shop"), 12);
    let read = key(&ws, &[Scope::Read]);
    let shop = recur_server::Shop::open(ws)
        .expect("open the shop")
        .with_embedder(std::sync::Arc::new(Letters));
    let server = Running::start_shops(vec![shop], quiet());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let a = get(&server.base, "/v1/search?q=coffee&k=5", Some(&read));
        // 503 with a retry hint while the products are being embedded, then words and
        // embeddings; never words only (that would store products without vectors).
        if a.status == 200 {
            assert_eq!(a.json["method"], "hybrid", "{}", a.text);
            assert!(
                !a.json["results"].as_array().unwrap().is_empty(),
                "{}",
                a.text
            );
            break;
        }
        assert_eq!(a.status, 503, "{}", a.text);
        assert!(a.text.contains("retry"), "{}", a.text);
        assert!(
            std::time::Instant::now() < deadline,
            "the products were never embedded"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
