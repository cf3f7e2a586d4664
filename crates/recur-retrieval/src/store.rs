//! The passages and their vectors on disk, one generation at a time: `passages-N.jsonl` and
//! `vectors-N.bin` are written first, then `state.json` names generation N (written to a
//! temporary file and renamed, so a crash leaves either the old or the new generation whole).

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::passage::Passage;

/// What one source contributed at its last import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// The source's name.
    pub name: String,
    /// A hash of the file (or data) it was imported from, to tell an unchanged re-import.
    pub content_hash: String,
    /// Passages it holds.
    pub passages: usize,
}

/// The index's pointer file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct State {
    /// Generation of the passage and vector files.
    pub generation: u64,
    /// Vector dimension; 0 when no vectors are stored.
    pub dim: usize,
    /// Which embedder made the vectors (vectors of another embedder are not comparable).
    pub embedder: String,
    /// Sources by name.
    pub sources: BTreeMap<String, SourceInfo>,
}

/// Passages in order with up to two unit vectors each (title, and title with body).
#[derive(Debug, Default)]
pub(crate) struct Stored {
    pub state: State,
    pub passages: Vec<Passage>,
    pub vectors: Vec<Vec<Vec<f32>>>,
}

const MAGIC: &[u8; 4] = b"RCV1";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

fn passages_file(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("passages-{generation}.jsonl"))
}

fn vectors_file(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("vectors-{generation}.bin"))
}

impl Stored {
    /// Reads the current generation; an index folder without `state.json` is empty.
    pub(crate) fn load(dir: &Path) -> Result<Stored> {
        let state_path = dir.join("state.json");
        if !state_path.exists() {
            return Ok(Stored::default());
        }
        let bytes = fs::read(&state_path).map_err(io(&state_path))?;
        let state: State = serde_json::from_slice(&bytes).map_err(|e| Error::Damaged {
            path: state_path.clone(),
            reason: e.to_string(),
        })?;
        let p = passages_file(dir, state.generation);
        let file = fs::File::open(&p).map_err(io(&p))?;
        let mut passages = Vec::new();
        for (i, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(io(&p))?;
            let passage: Passage = serde_json::from_str(&line).map_err(|e| Error::Damaged {
                path: p.clone(),
                reason: format!("line {}: {e}", i + 1),
            })?;
            passages.push(passage);
        }
        let v = vectors_file(dir, state.generation);
        let vectors = read_vectors(&v, passages.len(), state.dim)?;
        Ok(Stored {
            state,
            passages,
            vectors,
        })
    }

    /// Writes generation `state.generation` and points `state.json` at it, then removes older
    /// generations.
    pub(crate) fn save(&self, dir: &Path) -> Result<()> {
        let generation = self.state.generation;
        let p = passages_file(dir, generation);
        {
            let mut w = BufWriter::new(fs::File::create(&p).map_err(io(&p))?);
            for passage in &self.passages {
                let line = serde_json::to_string(passage).map_err(|e| Error::Damaged {
                    path: p.clone(),
                    reason: e.to_string(),
                })?;
                writeln!(w, "{line}").map_err(io(&p))?;
            }
            let f = w.into_inner().map_err(|e| Error::Io {
                path: p.clone(),
                source: e.into_error(),
            })?;
            f.sync_all().map_err(io(&p))?;
        }
        let v = vectors_file(dir, generation);
        write_vectors(&v, &self.vectors, self.state.dim)?;
        let state_path = dir.join("state.json");
        let tmp = dir.join("state.json.tmp");
        let json = serde_json::to_vec_pretty(&self.state).map_err(|e| Error::Damaged {
            path: state_path.clone(),
            reason: e.to_string(),
        })?;
        {
            let mut f = fs::File::create(&tmp).map_err(io(&tmp))?;
            f.write_all(&json).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
        }
        fs::rename(&tmp, &state_path).map_err(io(&state_path))?;
        // Older generations are no longer named by state.json.
        if let Ok(entries) = fs::read_dir(dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let old = ["passages-", "vectors-"].iter().any(|prefix| {
                    name.strip_prefix(prefix)
                        .and_then(|rest| rest.split('.').next())
                        .and_then(|g| g.parse::<u64>().ok())
                        .is_some_and(|g| g != generation)
                });
                if old {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        Ok(())
    }
}

fn write_vectors(path: &Path, vectors: &[Vec<Vec<f32>>], dim: usize) -> Result<()> {
    let mut w = BufWriter::new(fs::File::create(path).map_err(io(path))?);
    let mut put = |b: &[u8]| w.write_all(b).map_err(io(path));
    put(MAGIC)?;
    put(&u32::try_from(dim).unwrap_or(u32::MAX).to_le_bytes())?;
    for per_passage in vectors {
        put(&[u8::try_from(per_passage.len()).unwrap_or(u8::MAX)])?;
        for v in per_passage {
            for x in v {
                put(&x.to_le_bytes())?;
            }
        }
    }
    let f = w.into_inner().map_err(|e| Error::Io {
        path: path.to_owned(),
        source: e.into_error(),
    })?;
    f.sync_all().map_err(io(path))
}

fn read_vectors(path: &Path, passages: usize, dim: usize) -> Result<Vec<Vec<Vec<f32>>>> {
    let damaged = |reason: &str| Error::Damaged {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let mut bytes = Vec::new();
    fs::File::open(path)
        .map_err(io(path))?
        .read_to_end(&mut bytes)
        .map_err(io(path))?;
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        return Err(damaged("not a vectors file"));
    }
    let stored_dim = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    if stored_dim != dim {
        return Err(damaged("vector dimension differs from state.json"));
    }
    let mut at = 8;
    let mut out = Vec::with_capacity(passages);
    for _ in 0..passages {
        let count = *bytes.get(at).ok_or_else(|| damaged("truncated"))? as usize;
        at += 1;
        let mut per = Vec::with_capacity(count);
        for _ in 0..count {
            let end = at + 4 * dim;
            let chunk = bytes.get(at..end).ok_or_else(|| damaged("truncated"))?;
            per.push(
                chunk
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            );
            at = end;
        }
        out.push(per);
    }
    if at != bytes.len() {
        return Err(damaged("trailing bytes"));
    }
    Ok(out)
}
