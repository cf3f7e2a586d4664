//! Retrieval for recur: passages of knowledge (FAQ entries, policy sections, products, review
//! quotes) found by words and by meaning.
//!
//! - Words: BM25 from tantivy over the title and text of each passage; Chinese is segmented by
//!   jieba (search mode) inside a tantivy tokenizer, English lower-cased and stemmed, so
//!   `退款多久到账` finds `退款一般3-5个工作日到账` and "refunds" finds "refund".
//! - Meaning: exact cosine over unit vectors from any sentence embedder (the caller adapts its
//!   model to [`Embedder`]); exact search is fast enough below a million passages.
//! - Fusion: reciprocal rank ([`RRF_K`] = 60), with each hit's BM25 and cosine ranks and the share
//!   of the query's content words it covers, so callers can judge confidence.
//!
//! The index lives in a folder and is updated one source at a time: re-importing a changed
//! file replaces that source's passages and embeds only new or changed ones.
//!
//! ```
//! use recur_retrieval::{KnowledgeIndex, Passage, SearchOptions};
//! # fn main() -> Result<(), recur_retrieval::Error> {
//! let dir = tempfile::tempdir().unwrap();
//! let mut index = KnowledgeIndex::open(dir.path())?;
//! let faq = |id: &str, q: &str, a: &str| Passage {
//!     id: id.into(), source: "faq".into(), kind: "faq".into(),
//!     title: q.into(), text: a.into(), meta: Default::default(),
//! };
//! index.replace_source("faq", "v1", vec![
//!     faq("faq#0", "How long do refunds take?", "Refunds reach your card within 5 working days."),
//!     faq("faq#1", "退款多久到账？", "退款一般3-5个工作日到账。"),
//! ], None)?;
//! let hits = index.search("refund time", None, &SearchOptions::default())?;
//! assert_eq!(hits[0].passage.id, "faq#0");
//! let hits = index.search("我的退款什么时候到", None, &SearchOptions::default())?;
//! assert_eq!(hits[0].passage.id, "faq#1");
//! # Ok(()) }
//! ```

mod analyzer;
mod error;
mod index;
mod passage;
mod store;

pub use analyzer::{content_terms, terms};
pub use error::{Error, Result};
pub use index::{Embedder, Hit, KnowledgeIndex, RRF_K, SearchOptions, SourceUpdate};
pub use passage::Passage;
pub use store::SourceInfo;
