//! Folding sealed logs into the stored tables, with the import's row accounting.

use std::path::{Path, PathBuf};

use recur_core::Table;
use recur_ingest::{Format, ImportReport, ImportRequest, Mapping, NoProgress};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::event::{LiveEvent, LiveKind};
use super::log::{EventLog, LoggedEvent, io, read_compacted, sealed_logs, sync_dir, write_atomic};
use crate::error::{Error, Result};
use crate::workspace::Workspace;

/// What one compaction did.
#[derive(Debug, Clone, Serialize)]
pub struct Compaction {
    /// Every event through this sequence number is now in the stored tables.
    pub through_seq: u64,
    /// Events folded in.
    pub events: usize,
    /// The imports it ran (their accounting: imported, duplicates, quarantined).
    pub imports: Vec<ImportReport>,
}

fn rfc3339_micros(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        .unwrap_or_default()
}

fn put(row: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        row.insert(key.to_owned(), v);
    }
}

/// The stored row of an event: its table and canonical columns.
fn row_of(e: &LiveEvent) -> (Table, Value) {
    let at = rfc3339_micros(e.occurred_at);
    let mut row = Map::new();
    row.insert("customer_id".into(), json!(e.customer_id));
    put(
        &mut row,
        "product_id",
        e.product_id.as_ref().map(|p| json!(p)),
    );
    match e.kind {
        LiveKind::Purchase => {
            row.insert("ordered_at".into(), json!(at));
            put(&mut row, "order_id", e.order_id.as_ref().map(|v| json!(v)));
            put(&mut row, "quantity", e.quantity.map(|v| json!(v)));
            put(&mut row, "unit_price", e.unit_price.map(|v| json!(v)));
            put(&mut row, "currency", e.currency.as_ref().map(|v| json!(v)));
            (Table::Orders, Value::Object(row))
        }
        LiveKind::Review => {
            row.insert("reviewed_at".into(), json!(at));
            put(&mut row, "rating", e.rating.map(|v| json!(v)));
            put(
                &mut row,
                "review_text",
                e.review_text.as_ref().map(|v| json!(v)),
            );
            (Table::Reviews, Value::Object(row))
        }
        LiveKind::View | LiveKind::Search | LiveKind::AddToCart => {
            row.insert("occurred_at".into(), json!(at));
            row.insert("event_type".into(), json!(e.kind.as_str()));
            put(
                &mut row,
                "session_id",
                e.session_id.as_ref().map(|v| json!(v)),
            );
            put(
                &mut row,
                "search_text",
                e.search_text.as_ref().map(|v| json!(v)),
            );
            (Table::Events, Value::Object(row))
        }
    }
}

/// Streams a sealed log into one JSONL file per table (deterministic bytes: a rerun after a
/// crash produces the same files, which the store recognises as already imported) and the
/// events' keys into `keys`, one event at a time: memory stays flat however long the log.
fn write_tables(
    log: &Path,
    dir: &Path,
    mut on_key: impl FnMut(&str) -> Result<()>,
) -> Result<(Vec<(Table, PathBuf)>, usize)> {
    use std::io::{BufRead, BufWriter, Write};
    std::fs::create_dir_all(dir).map_err(io("create", dir))?;
    let file = std::fs::File::open(log).map_err(io("read", log))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let tables = [Table::Orders, Table::Events, Table::Reviews];
    let mut writers: [Option<(PathBuf, BufWriter<std::fs::File>)>; 3] = [None, None, None];
    let mut line = Vec::new();
    let mut count = 0;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(io("read", log))?;
        // A torn last line was never acknowledged (see `read_log`).
        if n == 0 || line.last() != Some(&b'\n') {
            break;
        }
        let e: LoggedEvent = serde_json::from_slice(&line).map_err(|e| Error::Config {
            path: log.to_owned(),
            message: format!(
                "event {} is unreadable ({e}); the log was changed by hand: restore it",
                count + 1
            ),
        })?;
        on_key(&e.key)?;
        let (table, row) = row_of(&e.event);
        let slot = tables.iter().position(|t| *t == table).unwrap_or(1);
        if writers[slot].is_none() {
            let path = dir.join(format!("{}.jsonl", table.name()));
            let f = std::fs::File::create(&path).map_err(io("write", &path))?;
            writers[slot] = Some((path, BufWriter::with_capacity(1 << 20, f)));
        }
        if let Some((path, w)) = &mut writers[slot] {
            serde_json::to_writer(&mut *w, &row).map_err(|e| Error::Io {
                path: path.clone(),
                action: "encode",
                error: std::io::Error::other(e),
            })?;
            w.write_all(b"\n").map_err(io("write", path))?;
        }
        count += 1;
    }
    let mut out = Vec::new();
    for (table, slot) in tables.into_iter().zip(writers) {
        if let Some((path, mut w)) = slot {
            w.flush().map_err(io("write", &path))?;
            out.push((table, path));
        }
    }
    Ok((out, count))
}

impl EventLog {
    /// Seals the open log and folds every sealed log into the workspace's tables, oldest
    /// first. Safe to kill at any point: the next call finishes the work, and the store's
    /// content hashes and row de-duplication keep every event stored exactly once.
    /// `None` when there was nothing to fold.
    pub fn compact(&self, ws: &Workspace) -> Result<Option<Compaction>> {
        self.seal()?;
        let sealed = sealed_logs(&self.dir)?;
        if sealed.is_empty() {
            return Ok(None);
        }
        let mut through = read_compacted(&self.dir)?;
        let mut imports = Vec::new();
        let mut count = 0;
        for (last, path) in sealed {
            let work = self.dir.join(format!("compact-{last:020}"));
            let mut keys = self.key_writer()?;
            let (files, events) = write_tables(&path, &work, |k| keys.add(k))?;
            for (table, file) in files {
                imports.push(ws.import(
                    &ImportRequest {
                        table,
                        path: file,
                        format: Some(Format::Jsonl),
                        mapping: Mapping::default(),
                        mapping_label: "live events".into(),
                    },
                    &NoProgress,
                )?);
            }
            keys.finish()?;
            write_atomic(&self.compacted_path(), &last.to_string())?;
            std::fs::remove_file(&path).map_err(io("remove", &path))?;
            std::fs::remove_dir_all(&work).map_err(io("remove", &work))?;
            sync_dir(&self.dir);
            through = through.max(last);
            count += events;
        }
        Ok(Some(Compaction {
            through_seq: through,
            events: count,
            imports,
        }))
    }
}
