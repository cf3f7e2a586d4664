//! What the index holds: passages of text, each from one source (a file, the catalog), with the
//! fields retrieval needs and the metadata callers attach.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One retrievable piece of knowledge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    /// Stable id, unique in the index (for example `faq.json#12`); answers cite it.
    pub id: String,
    /// The source the passage came from; re-importing a source replaces all of its passages.
    pub source: String,
    /// What kind of knowledge this is (`faq`, `policy`, `catalog`, `review`, ...).
    pub kind: String,
    /// A short heading: an FAQ question, a policy section's heading path, a product title.
    pub title: String,
    /// The body: an FAQ answer, a section's text, a product description.
    pub text: String,
    /// Free metadata (language, product id, price ...), stored as given.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
}

impl Passage {
    /// Title and body as one text, the way it is embedded and shown.
    pub fn full_text(&self) -> String {
        if self.title.is_empty() {
            self.text.clone()
        } else if self.text.is_empty() {
            self.title.clone()
        } else {
            format!("{}\n{}", self.title, self.text)
        }
    }

    /// A hash of what retrieval sees (title and text): passages whose hash did not change keep
    /// their vectors when their source is re-imported.
    pub(crate) fn content_hash(&self) -> u64 {
        xxhash_rust::xxh3::xxh3_64(self.full_text().as_bytes())
    }
}
