//! The knowledge index: passages in [`Stored`](crate::store) files, their words in a tantivy
//! index (BM25), their unit vectors for exact cosine; a search fuses both rankings by
//! reciprocal rank.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

use crate::analyzer::{ANALYZER, analyzer, content_terms, terms};
use crate::error::{Error, Result};
use crate::passage::Passage;
use crate::store::{SourceInfo, Stored};

/// Turns texts into unit vectors (the engine adapts its sentence embedder to this).
pub trait Embedder {
    /// Identifies the model; vectors of different embedders are never compared.
    fn id(&self) -> String;
    /// One vector per text, in order.
    fn embed(&self, texts: &[&str]) -> std::result::Result<Vec<Vec<f32>>, String>;
}

/// The constant of reciprocal-rank fusion (Cormack et al. 2009): each list adds 1/(K + rank).
pub const RRF_K: f64 = 60.0;

/// How to search.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// Hits to return.
    pub k: usize,
    /// Candidates taken from each ranking before fusion.
    pub candidates: usize,
    /// Only passages of these kinds (all when empty).
    pub kinds: Vec<String>,
    /// Weight of the BM25 ranking in the fusion (the cosine ranking weighs 1).
    pub bm25_weight: f64,
    /// Added to each candidate's cosine, times the share of the query's content words the
    /// passage holds, before the cosine ranking (0: by cosine alone). A linear blend of the
    /// two scores, unlike the rank fusion above: words reorder only passages whose cosines are
    /// within this weight of each other, which settles near-ties the embedding cannot
    /// (`damaged during shipping` against `damaged by improper use`) by the customer's words.
    pub word_weight: f64,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            k: 5,
            candidates: 50,
            kinds: Vec::new(),
            bm25_weight: 1.0,
            word_weight: 0.0,
        }
    }
}

/// One search result.
#[derive(Debug, Clone)]
pub struct Hit<'a> {
    /// The passage.
    pub passage: &'a Passage,
    /// Reciprocal-rank fusion score.
    pub score: f64,
    /// BM25 score and 1-based rank, when the words matched.
    pub bm25: Option<(f32, usize)>,
    /// Cosine similarity and 1-based rank in the cosine ranking (after the word blend of
    /// [`SearchOptions::word_weight`]), when vectors were compared.
    pub cosine: Option<(f32, usize)>,
    /// Share of the query's content words found in the passage (0-1).
    pub coverage: f64,
}

/// What a source import changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SourceUpdate {
    /// Passages new or changed.
    pub added: usize,
    /// Passages of the previous import that are gone or changed.
    pub removed: usize,
    /// Passages kept as they were (their vectors reused).
    pub unchanged: usize,
    /// Passages embedded in this update.
    pub embedded: usize,
}

struct Fields {
    id: Field,
    source: Field,
    kind: Field,
    title: Field,
    text: Field,
}

/// A knowledge index in a folder.
pub struct KnowledgeIndex {
    /// The folder; `None` for an index kept in memory only.
    dir: Option<PathBuf>,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    stored: Stored,
    by_id: HashMap<String, usize>,
}

impl std::fmt::Debug for KnowledgeIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnowledgeIndex")
            .field("dir", &self.dir)
            .field("passages", &self.stored.passages.len())
            .finish()
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text_options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        source: b.add_text_field("source", STRING),
        kind: b.add_text_field("kind", STRING),
        title: b.add_text_field("title", text_options.clone()),
        text: b.add_text_field("text", text_options),
    };
    (b.build(), fields)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

impl KnowledgeIndex {
    /// Opens the index in `dir`, creating an empty one if there is none. A full-text index
    /// that does not match the stored passages (a crash between the two commits) is rebuilt.
    pub fn open(dir: &Path) -> Result<KnowledgeIndex> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let text_dir = dir.join("tantivy");
        std::fs::create_dir_all(&text_dir).map_err(io(&text_dir))?;
        let (schema, fields) = schema();
        let directory = MmapDirectory::open(&text_dir).map_err(|e| Error::Damaged {
            path: text_dir.clone(),
            reason: e.to_string(),
        })?;
        let index = Index::open_or_create(directory, schema)?;
        index.tokenizers().register(ANALYZER, analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let stored = Stored::load(dir)?;
        let by_id = stored
            .passages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
        let mut me = KnowledgeIndex {
            dir: Some(dir.to_owned()),
            index,
            reader,
            fields,
            stored,
            by_id,
        };
        let payload = me.index.load_metas()?.payload;
        let expected = me.stored.state.generation.to_string();
        if payload.as_deref() != Some(expected.as_str()) && !me.stored.passages.is_empty() {
            let writer = me.writer()?;
            writer.delete_all_documents()?;
            for p in &me.stored.passages {
                writer.add_document(me.document(p))?;
            }
            me.commit(writer)?;
        }
        Ok(me)
    }

    /// An index kept in memory only (for small, derived knowledge such as routing guidelines).
    pub fn in_memory() -> Result<KnowledgeIndex> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        index.tokenizers().register(ANALYZER, analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(KnowledgeIndex {
            dir: None,
            index,
            reader,
            fields,
            stored: Stored::default(),
            by_id: HashMap::new(),
        })
    }

    fn writer(&self) -> Result<IndexWriter> {
        self.index
            .writer_with_num_threads(1, 50_000_000)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => Error::Busy {
                    path: self.dir.clone().unwrap_or_default(),
                },
                e => Error::Tantivy(e),
            })
    }

    fn commit(&mut self, mut writer: IndexWriter) -> Result<()> {
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&self.stored.state.generation.to_string());
        prepared.commit()?;
        writer.wait_merging_threads()?;
        self.reader.reload()?;
        Ok(())
    }

    fn document(&self, p: &Passage) -> TantivyDocument {
        let f = &self.fields;
        doc!(
            f.id => p.id.clone(),
            f.source => p.source.clone(),
            f.kind => p.kind.clone(),
            f.title => p.title.clone(),
            f.text => p.text.clone(),
        )
    }

    /// All passages, in import order.
    pub fn passages(&self) -> &[Passage] {
        &self.stored.passages
    }

    /// The passage with this id.
    pub fn passage(&self, id: &str) -> Option<&Passage> {
        self.by_id.get(id).map(|&i| &self.stored.passages[i])
    }

    /// The imported sources.
    pub fn sources(&self) -> Vec<SourceInfo> {
        self.stored.state.sources.values().cloned().collect()
    }

    /// The source named `name`, if imported.
    pub fn source(&self, name: &str) -> Option<&SourceInfo> {
        self.stored.state.sources.get(name)
    }

    /// Which embedder made the stored vectors (empty when there are none).
    pub fn embedder_id(&self) -> &str {
        &self.stored.state.embedder
    }

    /// Replaces every passage of `source` by `passages` (an empty list removes the source).
    /// Unchanged passages keep their vectors; new and changed ones are embedded with
    /// `embedder` (without one, the index holds no vectors and searches by words only).
    /// Passages are written before the full-text index, which is rebuilt on open if a crash
    /// separated the two.
    pub fn replace_source(
        &mut self,
        source: &str,
        content_hash: &str,
        mut passages: Vec<Passage>,
        embedder: Option<&dyn Embedder>,
    ) -> Result<SourceUpdate> {
        // The passages belong to `source`, whatever they say.
        for p in &mut passages {
            if p.source != source {
                p.source = source.to_owned();
            }
        }
        let mut seen = HashSet::new();
        for p in &passages {
            if !seen.insert(p.id.as_str()) {
                return Err(Error::DuplicateId {
                    id: p.id.clone(),
                    source_name: source.to_owned(),
                });
            }
        }
        let writer = self.writer()?;
        // Another process may have updated the index since this one was opened: start from
        // what is on disk now (the writer lock is held until this update is committed).
        if let Some(dir) = &self.dir {
            self.stored = Stored::load(dir)?;
            self.by_id = self
                .stored
                .passages
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id.clone(), i))
                .collect();
        }
        // Without an embedder the stored vectors stay (new passages get none); vectors of
        // another embedder are dropped and every passage is embedded again.
        let embedder_id = embedder.map_or_else(|| self.stored.state.embedder.clone(), Embedder::id);
        let reuse_vectors = embedder_id == self.stored.state.embedder;
        let mut old: HashMap<&str, (u64, &Vec<Vec<f32>>)> = HashMap::new();
        for (p, v) in self.stored.passages.iter().zip(&self.stored.vectors) {
            if p.source == source {
                old.insert(p.id.as_str(), (p.content_hash(), v));
            }
        }
        let mut update = SourceUpdate::default();
        let mut new_vectors: Vec<Option<Vec<Vec<f32>>>> = Vec::with_capacity(passages.len());
        let mut kept = HashSet::new();
        for p in &passages {
            match old.get(p.id.as_str()) {
                Some((hash, v)) if *hash == p.content_hash() => {
                    update.unchanged += 1;
                    kept.insert(p.id.clone());
                    new_vectors.push(reuse_vectors.then(|| (*v).clone()));
                }
                _ => {
                    update.added += 1;
                    new_vectors.push(None);
                }
            }
        }
        update.removed = old.len() - kept.len();

        let mut all_passages = Vec::new();
        let mut all_vectors: Vec<Option<Vec<Vec<f32>>>> = Vec::new();
        for (p, v) in self.stored.passages.iter().zip(&self.stored.vectors) {
            if p.source != source {
                all_passages.push(p.clone());
                all_vectors.push(reuse_vectors.then(|| v.clone()));
            }
        }
        all_passages.extend(passages);
        all_vectors.extend(new_vectors);
        let mut dim = if reuse_vectors {
            self.stored.state.dim
        } else {
            0
        };
        if let Some(embedder) = embedder {
            let missing: Vec<usize> = (0..all_passages.len())
                .filter(|&i| all_vectors[i].is_none())
                .collect();
            for chunk in missing.chunks(256) {
                let mut texts: Vec<String> = Vec::new();
                let mut owners: Vec<usize> = Vec::new();
                for &i in chunk {
                    let p = &all_passages[i];
                    if !p.title.is_empty() && !p.text.is_empty() {
                        texts.push(p.title.clone());
                        owners.push(i);
                    }
                    texts.push(p.full_text());
                    owners.push(i);
                }
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                let vectors = embedder.embed(&refs).map_err(Error::Embed)?;
                if vectors.len() != refs.len() {
                    return Err(Error::Embed(format!(
                        "{} vectors for {} texts",
                        vectors.len(),
                        refs.len()
                    )));
                }
                for (owner, v) in owners.into_iter().zip(vectors) {
                    if dim == 0 {
                        dim = v.len();
                    }
                    if v.len() != dim {
                        return Err(Error::Embed(format!(
                            "vector of dimension {} where {dim} was expected",
                            v.len()
                        )));
                    }
                    all_vectors[owner]
                        .get_or_insert_with(Vec::new)
                        .push(unit(v));
                }
                update.embedded += chunk.len();
            }
        }
        let vectors: Vec<Vec<Vec<f32>>> = all_vectors
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();

        let mut state = self.stored.state.clone();
        state.generation += 1;
        state.dim = if vectors.iter().any(|v| !v.is_empty()) {
            dim
        } else {
            0
        };
        state.embedder = if state.dim > 0 {
            embedder_id
        } else {
            String::new()
        };
        let count = all_passages.iter().filter(|p| p.source == source).count();
        if count == 0 {
            state.sources.remove(source);
        } else {
            state.sources.insert(
                source.to_owned(),
                SourceInfo {
                    name: source.to_owned(),
                    content_hash: content_hash.to_owned(),
                    passages: count,
                },
            );
        }
        let stored = Stored {
            state,
            passages: all_passages,
            vectors,
        };
        if let Some(dir) = &self.dir {
            stored.save(dir)?;
        }
        self.by_id = stored
            .passages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
        self.stored = stored;

        writer.delete_term(Term::from_field_text(self.fields.source, source));
        for p in self.stored.passages.iter().filter(|p| p.source == source) {
            writer.add_document(self.document(p))?;
        }
        self.commit(writer)?;
        Ok(update)
    }

    /// Searches by words (BM25 over title and text, the title counting double) and, with a
    /// query vector from the same embedder as the stored vectors, by cosine; the two rankings
    /// are fused by reciprocal rank.
    pub fn search(
        &self,
        query: &str,
        query_vector: Option<&[f32]>,
        opts: &SearchOptions,
    ) -> Result<Vec<Hit<'_>>> {
        let mut fused: HashMap<usize, Hit<'_>> = HashMap::new();
        let allowed = |p: &Passage| opts.kinds.is_empty() || opts.kinds.contains(&p.kind);
        let candidates = opts.candidates.max(opts.k).max(1);
        let mut query_terms = content_terms(query);
        if query_terms.is_empty() {
            // A query of function words only ("好的", "ok then") is matched on those words.
            query_terms = terms(query);
            query_terms.dedup();
        }

        for (rank, (score, i)) in self
            .bm25(query, candidates, &opts.kinds)?
            .into_iter()
            .enumerate()
        {
            let hit = fused
                .entry(i)
                .or_insert_with(|| empty_hit(&self.stored.passages[i]));
            hit.bm25 = Some((score, rank + 1));
            hit.score += opts.bm25_weight / (RRF_K + (rank + 1) as f64);
        }
        if let Some(q) = query_vector.filter(|q| q.len() == self.stored.state.dim) {
            let q = unit(q.to_vec());
            let mut scored: Vec<(f32, usize)> = self
                .stored
                .vectors
                .iter()
                .enumerate()
                .filter(|(i, v)| !v.is_empty() && allowed(&self.stored.passages[*i]))
                .map(|(i, v)| {
                    let best = v.iter().map(|x| dot(x, &q)).fold(f32::MIN, f32::max);
                    (best, i)
                })
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            scored.truncate(candidates);
            // The blend reorders the cosine's own candidates only: words never bring in a
            // passage the embedding did not already place near the query.
            let mut blended: Vec<(f64, f32, usize)> = scored
                .into_iter()
                .map(|(cos, i)| {
                    let words = if opts.word_weight > 0.0 {
                        opts.word_weight * coverage(&query_terms, &self.stored.passages[i])
                    } else {
                        0.0
                    };
                    (f64::from(cos) + words, cos, i)
                })
                .collect();
            blended.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(&b.2)));
            for (rank, (_, cos, i)) in blended.into_iter().enumerate() {
                let hit = fused
                    .entry(i)
                    .or_insert_with(|| empty_hit(&self.stored.passages[i]));
                hit.cosine = Some((cos, rank + 1));
                hit.score += 1.0 / (RRF_K + (rank + 1) as f64);
            }
        }
        let mut hits: Vec<(usize, Hit<'_>)> = fused.into_iter().collect();
        hits.sort_by(|a, b| b.1.score.total_cmp(&a.1.score).then(a.0.cmp(&b.0)));
        hits.truncate(opts.k);
        Ok(hits
            .into_iter()
            .map(|(_, mut h)| {
                h.coverage = coverage(&query_terms, h.passage);
                h
            })
            .collect())
    }

    /// BM25 ranking: (score, passage position), best first.
    fn bm25(&self, query: &str, k: usize, kinds: &[String]) -> Result<Vec<(f32, usize)>> {
        // Function words ("my", "how", "的") would rank passages by their phrasing; they count
        // only when the query has nothing else.
        let mut words: Vec<String> = content_terms(query);
        if words.is_empty() {
            words = terms(query);
        }
        words.sort();
        words.dedup();
        if words.is_empty() || self.stored.passages.is_empty() {
            return Ok(Vec::new());
        }
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for w in &words {
            for (field, boost) in [(self.fields.title, 2.0), (self.fields.text, 1.0)] {
                let q = TermQuery::new(
                    Term::from_field_text(field, w),
                    IndexRecordOption::WithFreqs,
                );
                should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
            }
        }
        let mut query: Box<dyn Query> = Box::new(BooleanQuery::new(should));
        if !kinds.is_empty() {
            let kind_any: Vec<(Occur, Box<dyn Query>)> = kinds
                .iter()
                .map(|k| {
                    let q: Box<dyn Query> = Box::new(TermQuery::new(
                        Term::from_field_text(self.fields.kind, k),
                        IndexRecordOption::Basic,
                    ));
                    (Occur::Should, q)
                })
                .collect();
            query = Box::new(BooleanQuery::new(vec![
                (Occur::Must, query),
                (Occur::Must, Box::new(BooleanQuery::new(kind_any))),
            ]));
        }
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(k).order_by_score())?;
        let mut out = Vec::with_capacity(top.len());
        for (score, address) in top {
            let d: TantivyDocument = searcher.doc(address)?;
            let id = d.get_first(self.fields.id).and_then(|v| v.as_str());
            // Documents of a passage no longer stored are skipped (never expected: both are
            // committed together and reconciled on open).
            if let Some(&i) = id.and_then(|id| self.by_id.get(id)) {
                out.push((score, i));
            }
        }
        Ok(out)
    }
}

fn empty_hit(passage: &Passage) -> Hit<'_> {
    Hit {
        passage,
        score: 0.0,
        bm25: None,
        cosine: None,
        coverage: 0.0,
    }
}

/// Share of `query_terms` that occur among the passage's terms.
fn coverage(query_terms: &[String], passage: &Passage) -> f64 {
    if query_terms.is_empty() {
        return 0.0;
    }
    let have: HashSet<String> = terms(&passage.full_text()).into_iter().collect();
    query_terms.iter().filter(|t| have.contains(*t)).count() as f64 / query_terms.len() as f64
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in &mut v {
            *x /= norm;
        }
    }
    v
}
