//! The workspace's knowledge base: `recur kb import FILE` parses a knowledge file into
//! passages and replaces that source's passages in `knowledge/` (unchanged passages keep their
//! vectors); the catalog is one more source, rebuilt from the imported catalog table.

use std::path::{Path, PathBuf};

use recur_assist::{KnowledgeKind, parse_knowledge};
use recur_retrieval::{KnowledgeIndex, Passage, SourceInfo};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::EmbedAdapter;
use crate::error::{Error, Result};
use crate::workspace::Workspace;

/// The knowledge folder inside a workspace.
pub const KNOWLEDGE_DIR: &str = "knowledge";

/// The source name the catalog's passages are stored under.
pub const CATALOG_SOURCE: &str = "catalog";

/// What `recur kb import` did.
#[derive(Debug, Clone, Serialize)]
pub struct KnowledgeImport {
    /// The source's name (the file name).
    pub source: String,
    /// `faq`, `policy` or `catalog`.
    pub kind: String,
    /// Passages the source now holds.
    pub passages: usize,
    /// New or changed passages.
    pub added: usize,
    /// Passages gone or changed.
    pub removed: usize,
    /// Passages kept as they were.
    pub unchanged: usize,
    /// Passages embedded now.
    pub embedded: usize,
    /// The file was byte-identical to the last import, so nothing was done.
    pub unchanged_file: bool,
    /// What embeds the passages (empty: words only).
    pub embedder: String,
}

/// The knowledge folder of the workspace at `root`.
pub fn knowledge_dir(root: &Path) -> PathBuf {
    root.join(KNOWLEDGE_DIR)
}

fn open_index(root: &Path) -> Result<KnowledgeIndex> {
    Ok(KnowledgeIndex::open(&knowledge_dir(root))?)
}

/// Imports a knowledge file into the workspace at `root` (a folder; it need not hold data).
pub fn import_knowledge(
    root: &Path,
    file: &Path,
    kind: Option<KnowledgeKind>,
    embedder: Option<&dyn recur_llm::Embed>,
) -> Result<KnowledgeImport> {
    let bytes = std::fs::read(file).map_err(|error| Error::ReadInput {
        path: file.to_owned(),
        error,
    })?;
    let source = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.display().to_string());
    let hash = format!("{:x}", Sha256::digest(&bytes));
    let passages = parse_knowledge(&source, &bytes, kind)?;
    let kind_name = passages.first().map(|p| p.kind.clone()).unwrap_or_default();
    replace(root, &source, &hash, kind_name, passages, embedder)
}

fn replace(
    root: &Path,
    source: &str,
    hash: &str,
    kind: String,
    passages: Vec<Passage>,
    embedder: Option<&dyn recur_llm::Embed>,
) -> Result<KnowledgeImport> {
    let mut index = open_index(root)?;
    let adapter = embedder.map(EmbedAdapter);
    let embedder_id = adapter
        .as_ref()
        .map(recur_retrieval::Embedder::id)
        .unwrap_or_default();
    if let Some(info) = index.source(source)
        && info.content_hash == hash
        && index.embedder_id() == embedder_id
    {
        return Ok(KnowledgeImport {
            source: source.to_owned(),
            kind,
            passages: info.passages,
            added: 0,
            removed: 0,
            unchanged: info.passages,
            embedded: 0,
            unchanged_file: true,
            embedder: embedder_id,
        });
    }
    let count = passages.len();
    let u = index.replace_source(
        source,
        hash,
        passages,
        adapter
            .as_ref()
            .map(|a| a as &dyn recur_retrieval::Embedder),
    )?;
    Ok(KnowledgeImport {
        source: source.to_owned(),
        kind,
        passages: count,
        added: u.added,
        removed: u.removed,
        unchanged: u.unchanged,
        embedded: u.embedded,
        unchanged_file: false,
        embedder: embedder_id,
    })
}

/// Rebuilds the catalog source from the workspace's imported catalog: one passage per product
/// (title; description, category, brand and price as its text).
pub fn import_catalog_knowledge(
    ws: &Workspace,
    embedder: Option<&dyn recur_llm::Embed>,
) -> Result<KnowledgeImport> {
    let entries = ws.session()?.catalog_entries()?;
    let mut passages = Vec::with_capacity(entries.len());
    let mut hasher = Sha256::new();
    for e in entries {
        let mut text = Vec::new();
        if let Some(d) = e.description.as_deref().filter(|d| !d.trim().is_empty()) {
            text.push(d.trim().to_owned());
        }
        if let Some(c) = &e.category {
            text.push(format!("Category: {c}"));
        }
        if let Some(b) = &e.brand {
            text.push(format!("Brand: {b}"));
        }
        if let Some(p) = e.price {
            let currency = e.currency.clone().unwrap_or_default();
            text.push(format!("Price: {p:.2} {currency}").trim_end().to_owned());
        }
        let mut meta = std::collections::BTreeMap::new();
        meta.insert("product_id".to_owned(), e.product_id.clone());
        let p = Passage {
            id: format!("{CATALOG_SOURCE}#{}", e.product_id),
            source: CATALOG_SOURCE.into(),
            kind: "catalog".into(),
            title: e.title.trim().to_owned(),
            text: text.join("\n"),
            meta,
        };
        hasher.update(p.id.as_bytes());
        hasher.update(p.full_text().as_bytes());
        passages.push(p);
    }
    let hash = format!("{:x}", hasher.finalize());
    replace(
        ws.root(),
        CATALOG_SOURCE,
        &hash,
        "catalog".into(),
        passages,
        embedder,
    )
}

/// Removes a source's passages; returns how many there were.
pub fn remove_knowledge(root: &Path, source: &str) -> Result<usize> {
    let mut index = open_index(root)?;
    let Some(n) = index.source(source).map(|s| s.passages) else {
        return Err(Error::BadInput {
            path: knowledge_dir(root),
            line: 0,
            message: format!("no knowledge source named `{source}`"),
            hint: "`recur kb list` shows the imported sources",
        });
    };
    index.replace_source(source, "", Vec::new(), None)?;
    Ok(n)
}

/// The imported sources.
pub fn knowledge_sources(root: &Path) -> Result<Vec<SourceInfo>> {
    Ok(open_index(root)?.sources())
}

/// A passage found by `recur kb search`.
#[derive(Debug, Clone, Serialize)]
pub struct KnowledgeHit {
    /// Passage id.
    pub id: String,
    /// Its source.
    pub source: String,
    /// Its kind.
    pub kind: String,
    /// Its title.
    pub title: String,
    /// Its text.
    pub text: String,
    /// Fused score.
    pub score: f64,
    /// BM25 rank, when the words matched.
    pub bm25_rank: Option<usize>,
    /// Cosine similarity, when compared by embedding.
    pub cosine: Option<f32>,
    /// The assistant's confidence in this passage (0-1).
    pub confidence: f64,
}

/// The `k` passages that best match `query`, as the assistant with `options` searches
/// (embedding the query in the languages it embeds when the index has vectors of the same
/// embedder; by words alone when the query cannot be embedded).
pub fn search_knowledge(
    root: &Path,
    query: &str,
    k: usize,
    embedder: Option<&dyn recur_llm::Embed>,
    options: &recur_assist::AssistOptions,
) -> Result<Vec<KnowledgeHit>> {
    let index = open_index(root)?;
    let adapter = embedder.map(EmbedAdapter);
    let vector = match &adapter {
        Some(a)
            if options
                .dense_languages
                .contains(&recur_assist::Lang::detect(query))
                && recur_retrieval::Embedder::id(a) == index.embedder_id() =>
        {
            recur_retrieval::Embedder::embed(a, &[query])
                .ok()
                .and_then(|mut v| v.pop())
        }
        _ => None,
    };
    let hits = index.search(
        query,
        vector.as_deref(),
        &options.search_options(k, vector.is_some()),
    )?;
    Ok(hits
        .iter()
        .map(|h| KnowledgeHit {
            id: h.passage.id.clone(),
            source: h.passage.source.clone(),
            kind: h.passage.kind.clone(),
            title: h.passage.title.clone(),
            text: h.passage.text.clone(),
            score: h.score,
            bm25_rank: h.bm25.map(|(_, r)| r),
            cosine: h.cosine.map(|(c, _)| c),
            confidence: recur_assist::confidence(h),
        })
        .collect())
}
