//! Integration tests of the knowledge index: planted passages found in both languages,
//! incremental updates, reopening, and recovery from a crash between the two commits.

use std::cell::Cell;

use recur_retrieval::{Embedder, KnowledgeIndex, Passage, SearchOptions};

fn passage(source: &str, id: &str, title: &str, text: &str) -> Passage {
    Passage {
        id: id.into(),
        source: source.into(),
        kind: "faq".into(),
        title: title.into(),
        text: text.into(),
        meta: Default::default(),
    }
}

fn faq() -> Vec<Passage> {
    vec![
        passage(
            "faq",
            "faq#0",
            "How long do refunds take?",
            "Refunds reach your card within 5 working days.",
        ),
        passage(
            "faq",
            "faq#1",
            "Do you ship abroad?",
            "We ship to 30 countries; customs fees are paid on delivery.",
        ),
        passage(
            "faq",
            "faq#2",
            "发票怎么开？",
            "下单时勾选开具发票，电子发票会发到您的邮箱。",
        ),
        passage(
            "faq",
            "faq#3",
            "退款多久到账？",
            "退款一般3-5个工作日原路退回。",
        ),
        passage(
            "faq",
            "faq#4",
            "How do I reset my password?",
            "Use the 'Forgot password' link on the sign-in page.",
        ),
    ]
}

/// A toy embedder: bag of letters, so texts sharing letters are similar; counts its calls.
struct Letters {
    texts: Cell<usize>,
}

impl Embedder for Letters {
    fn id(&self) -> String {
        "letters-v1".into()
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        self.texts.set(self.texts.get() + texts.len());
        Ok(texts
            .iter()
            .map(|t| {
                let mut v = vec![0.0; 26];
                for c in t
                    .to_ascii_lowercase()
                    .bytes()
                    .filter(u8::is_ascii_lowercase)
                {
                    v[usize::from(c - b'a')] += 1.0;
                }
                v
            })
            .collect())
    }
}

#[test]
fn planted_passages_are_found_in_english_and_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = KnowledgeIndex::open(dir.path()).unwrap();
    index.replace_source("faq", "h1", faq(), None).unwrap();
    let top = |q: &str| {
        index.search(q, None, &SearchOptions::default()).unwrap()[0]
            .passage
            .id
            .clone()
    };
    assert_eq!(top("when will I get my refund"), "faq#0");
    assert_eq!(top("shipping to other countries"), "faq#1");
    // Chinese queries worded differently reach Chinese passages through the segmenter.
    assert_eq!(top("我想要开发票"), "faq#2");
    assert_eq!(top("退款什么时候能到"), "faq#3");
    let hits = index
        .search("退款什么时候能到", None, &SearchOptions::default())
        .unwrap();
    assert!(hits[0].coverage > 0.0 && hits[0].bm25.is_some());
}

#[test]
fn reimport_replaces_only_what_changed_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let e = Letters {
        texts: Cell::new(0),
    };
    let mut index = KnowledgeIndex::open(dir.path()).unwrap();
    let u = index.replace_source("faq", "h1", faq(), Some(&e)).unwrap();
    assert_eq!((u.added, u.unchanged, u.removed, u.embedded), (5, 0, 0, 5));
    let first_calls = e.texts.get();

    let mut changed = faq();
    changed[1].text = "We ship to 45 countries.".into();
    changed.pop();
    let u = index
        .replace_source("faq", "h2", changed, Some(&e))
        .unwrap();
    assert_eq!((u.added, u.unchanged, u.removed, u.embedded), (1, 3, 2, 1));
    assert_eq!(
        e.texts.get() - first_calls,
        2,
        "only the changed passage (title and body) is embedded"
    );
    index
        .replace_source(
            "policy",
            "p1",
            vec![passage(
                "policy",
                "policy#a",
                "Returns",
                "Return within 30 days.",
            )],
            Some(&e),
        )
        .unwrap();
    drop(index);

    let index = KnowledgeIndex::open(dir.path()).unwrap();
    assert_eq!(index.passages().len(), 5);
    assert!(index.passage("faq#4").is_none());
    assert_eq!(
        index.passage("faq#1").unwrap().text,
        "We ship to 45 countries."
    );
    assert_eq!(index.source("faq").unwrap().content_hash, "h2");
    let q = e.embed(&["ship countries"]).unwrap().pop().unwrap();
    let hits = index
        .search("ship countries", Some(&q), &SearchOptions::default())
        .unwrap();
    assert_eq!(hits[0].passage.id, "faq#1");
    assert!(hits[0].cosine.is_some() && hits[0].bm25.is_some());
    // Kinds filter both rankings.
    let only = SearchOptions {
        kinds: vec!["policy".into()],
        ..SearchOptions::default()
    };
    let hits = index
        .search("ship countries return", Some(&q), &only)
        .unwrap();
    assert!(hits.iter().all(|h| h.passage.kind == "policy"));
}

#[test]
fn removing_a_source_without_an_embedder_keeps_the_other_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let e = Letters {
        texts: Cell::new(0),
    };
    let mut index = KnowledgeIndex::open(dir.path()).unwrap();
    index.replace_source("faq", "h1", faq(), Some(&e)).unwrap();
    index
        .replace_source(
            "policy",
            "p1",
            vec![passage(
                "policy",
                "policy#a",
                "Returns",
                "Return within 30 days.",
            )],
            Some(&e),
        )
        .unwrap();
    index
        .replace_source("policy", "", Vec::new(), None)
        .unwrap();
    assert!(index.source("policy").is_none());
    assert_eq!(index.embedder_id(), "letters-v1");
    let q = e.embed(&["refund"]).unwrap().pop().unwrap();
    let hits = index
        .search("zzz", Some(&q), &SearchOptions::default())
        .unwrap();
    assert!(!hits.is_empty() && hits.iter().all(|h| h.cosine.is_some()));
}

#[test]
fn a_full_text_index_behind_the_passages_is_rebuilt_on_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut index = KnowledgeIndex::open(dir.path()).unwrap();
        index.replace_source("faq", "h1", faq(), None).unwrap();
    }
    // As if the process died after writing the passages but before the full-text commit:
    // the full-text index is from an older generation (here: gone entirely).
    std::fs::remove_dir_all(dir.path().join("tantivy")).unwrap();
    let index = KnowledgeIndex::open(dir.path()).unwrap();
    let hits = index
        .search("password reset", None, &SearchOptions::default())
        .unwrap();
    assert_eq!(hits[0].passage.id, "faq#4");
}

#[test]
fn duplicate_ids_are_refused_and_leave_the_index_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = KnowledgeIndex::open(dir.path()).unwrap();
    index.replace_source("faq", "h1", faq(), None).unwrap();
    let mut bad = faq();
    bad[1].id = "faq#0".into();
    let e = index.replace_source("faq", "h2", bad, None).unwrap_err();
    assert!(e.to_string().contains("faq#0"), "{e}");
    assert_eq!(index.source("faq").unwrap().content_hash, "h1");
    assert_eq!(index.passages().len(), 5);
}

#[test]
fn two_handles_writing_in_turn_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = KnowledgeIndex::open(dir.path()).unwrap();
    let mut b = KnowledgeIndex::open(dir.path()).unwrap();
    // Both can write in turn (the writer lock is held only during an update).
    a.replace_source("faq", "h1", faq(), None).unwrap();
    b.replace_source("other", "o1", vec![passage("other", "o#1", "x", "y")], None)
        .unwrap();
    let c = KnowledgeIndex::open(dir.path()).unwrap();
    assert_eq!(c.passages().len(), 6, "b started from what a had written");
    assert!(c.source("faq").is_some() && c.source("other").is_some());
}

/// Every text gets the same vector: the embedding cannot tell passages apart.
struct Flat;

impl Embedder for Flat {
    fn id(&self) -> String {
        "flat".into()
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        Ok(texts.iter().map(|_| vec![1.0, 0.0]).collect())
    }
}

#[test]
fn the_word_blend_settles_a_cosine_tie_by_the_query_words() {
    let mut index = KnowledgeIndex::in_memory().unwrap();
    index
        .replace_source("faq", "1", faq(), Some(&Flat))
        .unwrap();
    let q = Flat.embed(&["q"]).unwrap().pop().unwrap();
    let by_cosine = SearchOptions {
        bm25_weight: 0.0,
        ..SearchOptions::default()
    };
    // A tie on cosine keeps the passages' order.
    let hits = index
        .search("reset my password", Some(&q), &by_cosine)
        .unwrap();
    assert_eq!(hits[0].passage.id, "faq#0");
    let blended = SearchOptions {
        word_weight: 0.1,
        ..by_cosine
    };
    let hits = index
        .search("reset my password", Some(&q), &blended)
        .unwrap();
    assert_eq!(hits[0].passage.id, "faq#4");
    // The cosine reported is the embedding's own, not the blend.
    assert_eq!(hits[0].cosine, Some((1.0, 1)));
    assert!((hits[0].coverage - 1.0).abs() < 1e-9);
}
