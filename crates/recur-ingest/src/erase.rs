//! Erasure and retention in the store: customers' rows removed, or their personal fields
//! cleared, by rewriting only the files that hold them; atomic like an import.
//!
//! Rewritten files get new names, the manifest is replaced with one rename and the old files
//! are swept afterwards: a crash at any point leaves either the old store or the new one.
//! Each run leaves an [`ErasureRecord`] in the manifest (counts only, no personal data).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, StringArray};
use arrow::compute::filter_record_batch;
use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowWriter, ProjectionMask};
use recur_core::{Table, Traces};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::{Store, StoredFile};
use crate::writer::writer_properties;

/// Tables whose rows belong to a customer (they have a `customer_id` field).
const CUSTOMER_TABLES: [Table; 4] = [
    Table::Orders,
    Table::Events,
    Table::Reviews,
    Table::Customers,
];

/// Personal fields unique enough to find a customer's records by.
const IDENTIFYING: [&str; 2] = ["email", "phone"];

/// Whether a stored value can identify a customer's records: an e-mail address with an `@`
/// and a dot after it, a phone number with at least 7 digits. Placeholders (`none`, `n/a`,
/// `0000`) would match other customers' records.
fn identifying(field: &str, value: &str) -> bool {
    match field {
        "email" => value
            .split_once('@')
            .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.')),
        _ => value.chars().filter(char::is_ascii_digit).count() >= 7,
    }
}

/// What one erasure or retention run did to the store, as kept in the manifest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErasureRecord {
    /// `erase` (rows removed) or `retention` (personal fields cleared).
    pub kind: String,
    /// When it finished (RFC 3339).
    pub finished_at: String,
    /// Customers asked for.
    pub customers: usize,
    /// Rows removed, per table.
    pub rows_removed: BTreeMap<String, u64>,
    /// Customers rows whose personal fields were cleared.
    pub fields_cleared: u64,
    /// Quarantined source rows removed.
    pub quarantine_rows_removed: u64,
    /// Parquet and quarantine files rewritten.
    pub files_rewritten: usize,
}

impl ErasureRecord {
    /// Whether the run changed nothing (the customers were already gone).
    pub fn is_noop(&self) -> bool {
        self.files_rewritten == 0
    }
}

enum Action<'a> {
    Remove(&'a Traces),
    ClearPersonal(&'a BTreeSet<String>),
}

impl Store {
    /// The identifying values (e-mail, phone) the customers table holds for these
    /// customers and for nobody else: what, besides their ids, marks their records in text
    /// files. Names and addresses are not searched for: other customers share them.
    pub fn personal_values(&self, ids: &BTreeSet<String>) -> Result<Vec<String>> {
        // Each value of the customers asked for, and whether anyone else holds it too (a
        // family's shared address would remove the others' records).
        let mut mine: BTreeMap<String, bool> = BTreeMap::new();
        let mut others: Vec<String> = Vec::new();
        for path in self.table_files(Table::Customers)? {
            for batch in read_batches(&path)? {
                let ids_col = string_column(&batch, "customer_id", &path)?;
                let personal: Vec<&StringArray> = IDENTIFYING
                    .iter()
                    .map(|name| string_column(&batch, name, &path))
                    .collect::<Result<_>>()?;
                for row in 0..batch.num_rows() {
                    let asked = ids_col.is_valid(row) && ids.contains(ids_col.value(row).trim());
                    for (name, c) in IDENTIFYING.iter().zip(&personal) {
                        let v = c.is_valid(row).then(|| c.value(row).trim().to_lowercase());
                        let Some(v) = v.filter(|v| identifying(name, v)) else {
                            continue;
                        };
                        if asked {
                            mine.entry(v).or_insert(false);
                        } else {
                            others.push(v);
                        }
                    }
                }
            }
        }
        for v in others {
            if let Some(shared) = mine.get_mut(&v) {
                *shared = true;
            }
        }
        Ok(mine
            .into_iter()
            .filter(|(_, shared)| !shared)
            .map(|(v, _)| v)
            .collect())
    }

    /// Removes every stored row of the customers in `traces` (orders, events, reviews,
    /// customers) and every quarantined source row that holds one of their traces.
    /// Idempotent: a second run finds nothing and rewrites nothing.
    pub fn erase_customers(&self, traces: &Traces) -> Result<ErasureRecord> {
        self.rewrite("erase", traces.ids().len(), &Action::Remove(traces))
    }

    /// Clears the personal fields (e-mail, name, phone, address) of these customers in the
    /// customers table; their orders and behaviour stay. Rows keep their content hash, so
    /// re-importing the same customers file does not bring the fields back.
    pub fn clear_personal_fields(&self, ids: &BTreeSet<String>) -> Result<ErasureRecord> {
        self.rewrite("retention", ids.len(), &Action::ClearPersonal(ids))
    }

    fn rewrite(&self, kind: &str, customers: usize, action: &Action<'_>) -> Result<ErasureRecord> {
        let _lock = self.lock()?;
        let mut manifest = self.manifest()?;
        self.sweep(&manifest)?;
        let mut record = ErasureRecord {
            kind: kind.to_owned(),
            customers,
            ..ErasureRecord::default()
        };
        let generation = manifest.erasures.len() + 1;
        let staging = self.staging_dir(&format!("e{generation:04}"))?;
        let mut moves: Vec<(PathBuf, String)> = Vec::new();
        let mut files: Vec<StoredFile> = Vec::with_capacity(manifest.files.len());
        let touches = |file: &StoredFile| {
            let table = Table::ALL.into_iter().find(|t| t.name() == file.table);
            match (table, action) {
                (Some(t), Action::Remove(_)) => CUSTOMER_TABLES.contains(&t),
                (Some(t), Action::ClearPersonal(_)) => t == Table::Customers,
                (None, _) => false,
            }
        };
        // Files are read and rewritten in parallel; the manifest is then built in order.
        let work: Vec<usize> = (0..manifest.files.len())
            .filter(|&n| touches(&manifest.files[n]))
            .collect();
        let mut outcomes: BTreeMap<usize, Option<FileOutcome>> = in_parallel(&work, |n| {
            let file = &manifest.files[n];
            rewrite_file(
                &self.root().join(&file.path),
                &staging.join(format!("{n}.parquet")),
                action,
            )
        })?
        .into_iter()
        .zip(&work)
        .map(|(o, &n)| (n, o))
        .collect();
        for (n, file) in manifest.files.iter().enumerate() {
            let Some(outcome) = outcomes.remove(&n) else {
                files.push(file.clone());
                continue;
            };
            let staged = staging.join(format!("{n}.parquet"));
            match outcome {
                None => files.push(file.clone()),
                Some(outcome) => {
                    record.files_rewritten += 1;
                    *record.rows_removed.entry(file.table.clone()).or_default() += outcome.removed;
                    record.fields_cleared += outcome.cleared;
                    let kept = file.rows.saturating_sub(outcome.removed);
                    if kept == 0 {
                        continue;
                    }
                    let relative = renamed(&file.path, generation, "parquet");
                    moves.push((staged, relative.clone()));
                    files.push(StoredFile {
                        path: relative,
                        rows: kept,
                        ..file.clone()
                    });
                }
            }
        }
        if let Action::Remove(traces) = action {
            for (n, import) in manifest.imports.iter_mut().enumerate() {
                let Some(rel) = import.quarantine_file.clone() else {
                    continue;
                };
                let staged = staging.join(format!("q{n}.csv"));
                let Some(removed) = scrub_quarantine(&self.root().join(&rel), &staged, traces)?
                else {
                    continue;
                };
                record.files_rewritten += 1;
                record.quarantine_rows_removed += removed;
                let relative = renamed(&rel, generation, "csv");
                moves.push((staged, relative.clone()));
                import.quarantine_file = Some(relative);
            }
        }
        if record.is_noop() {
            let _ = std::fs::remove_dir_all(&staging);
            return Ok(record);
        }
        record.finished_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        manifest.files = files;
        manifest.erasures.push(record.clone());
        self.commit(&moves, &manifest)?;
        // The old files are no longer listed: sweep them now, so no copy of the erased rows
        // outlives the command.
        self.sweep(&manifest)?;
        Ok(record)
    }
}

/// `f` of every item of `work`, on as many threads as the machine has cores; the results
/// in the order of `work`, or the first error.
fn in_parallel<T: Send>(work: &[usize], f: impl Fn(usize) -> Result<T> + Sync) -> Result<Vec<T>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(work.len())
        .max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done: std::sync::Mutex<Vec<(usize, Result<T>)>> = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&item) = work.get(k) else { break };
                    let result = f(item);
                    if let Ok(mut d) = done.lock() {
                        d.push((k, result));
                    }
                }
            });
        }
    });
    let mut done = done
        .into_inner()
        .map_err(|_| Error::Internal("a rewrite thread panicked".into()))?;
    if done.len() != work.len() {
        return Err(Error::Internal("a rewrite thread stopped early".into()));
    }
    done.sort_by_key(|(k, _)| *k);
    done.into_iter().map(|(_, r)| r).collect()
}

/// `orders/month=2011-01/i0001-0.parquet` → `orders/month=2011-01/i0001-0.e0002.parquet`
/// (an earlier generation suffix is replaced).
fn renamed(path: &str, generation: usize, ext: &str) -> String {
    let stem = path.strip_suffix(&format!(".{ext}")).unwrap_or(path);
    let stem = match stem.rsplit_once(".e") {
        Some((base, g)) if g.len() == 4 && g.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => stem,
    };
    format!("{stem}.e{generation:04}.{ext}")
}

struct FileOutcome {
    removed: u64,
    cleared: u64,
}

fn corrupt(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Internal(format!(
        "stored file `{}` could not be read: {e}",
        path.display()
    ))
}

fn read_batches(path: &Path) -> Result<Vec<RecordBatch>> {
    let file = File::open(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        action: "open a stored file",
        source,
    })?;
    ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| corrupt(path, e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| corrupt(path, e))
}

/// Whether the file's `customer_id` column holds any of `ids` (only that column is read).
fn holds_any(path: &Path, ids: &BTreeSet<String>) -> Result<bool> {
    let file = File::open(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        action: "open a stored file",
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| corrupt(path, e))?;
    let mask = ProjectionMask::columns(builder.parquet_schema(), ["customer_id"]);
    for batch in builder
        .with_projection(mask)
        .build()
        .map_err(|e| corrupt(path, e))?
    {
        let batch = batch.map_err(|e| corrupt(path, e))?;
        let col = string_column(&batch, "customer_id", path)?;
        if (0..col.len()).any(|r| col.is_valid(r) && ids.contains(col.value(r).trim())) {
            return Ok(true);
        }
    }
    Ok(false)
}

fn string_column<'a>(batch: &'a RecordBatch, name: &str, path: &Path) -> Result<&'a StringArray> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<StringArray>())
        .ok_or_else(|| corrupt(path, format!("no text column `{name}`")))
}

/// Rewrites one stored file into `staged` when the action changes it; `None` when it holds
/// none of the customers (nothing is written).
fn rewrite_file(path: &Path, staged: &Path, action: &Action<'_>) -> Result<Option<FileOutcome>> {
    let ids = match action {
        Action::Remove(t) => t.ids(),
        Action::ClearPersonal(set) => *set,
    };
    // Most files hold none of the customers: read only their ids to find out.
    if !holds_any(path, ids)? {
        return Ok(None);
    }
    let batches = read_batches(path)?;
    let mut outcome = FileOutcome {
        removed: 0,
        cleared: 0,
    };
    let mut out = Vec::with_capacity(batches.len());
    for batch in &batches {
        let ids = string_column(batch, "customer_id", path)?;
        let hit = |row: usize| {
            ids.is_valid(row) && {
                let id = ids.value(row).trim();
                match action {
                    Action::Remove(t) => t.ids().contains(id),
                    Action::ClearPersonal(set) => set.contains(id),
                }
            }
        };
        match action {
            Action::Remove(_) => {
                let keep: BooleanArray = (0..batch.num_rows()).map(|r| Some(!hit(r))).collect();
                let kept = filter_record_batch(batch, &keep)?;
                outcome.removed += (batch.num_rows() - kept.num_rows()) as u64;
                out.push(kept);
            }
            Action::ClearPersonal(_) => {
                let (cleared, batch) = clear_personal(batch, &hit, path)?;
                outcome.cleared += cleared;
                out.push(batch);
            }
        }
    }
    if outcome.removed == 0 && outcome.cleared == 0 {
        return Ok(None);
    }
    let Some(schema) = batches.first().map(RecordBatch::schema) else {
        return Ok(None);
    };
    let io = |source| Error::Io {
        path: staged.to_owned(),
        action: "write a rewritten file",
        source,
    };
    let file = File::create(staged).map_err(io)?;
    let mut w = ArrowWriter::try_new(file, schema, Some(writer_properties()))?;
    for batch in out.iter().filter(|b| b.num_rows() > 0) {
        w.write(batch)?;
    }
    w.into_inner()?.sync_all().map_err(io)?;
    Ok(Some(outcome))
}

/// The batch with the personal fields of the rows `hit` selects set to null, and how many
/// rows had any to clear.
fn clear_personal(
    batch: &RecordBatch,
    hit: &dyn Fn(usize) -> bool,
    path: &Path,
) -> Result<(u64, RecordBatch)> {
    let schema = batch.schema();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    let mut had_any = vec![false; batch.num_rows()];
    for spec in Table::Customers.fields().iter().filter(|f| f.pii) {
        let Some(idx) = schema.index_of(spec.name).ok() else {
            continue;
        };
        let col = string_column(batch, spec.name, path)?;
        let cleared: StringArray = (0..col.len())
            .map(|r| {
                if col.is_valid(r) && hit(r) {
                    had_any[r] = true;
                    None
                } else {
                    col.is_valid(r).then(|| col.value(r))
                }
            })
            .collect();
        columns[idx] = Arc::new(cleared);
    }
    let n = had_any.iter().filter(|&&h| h).count() as u64;
    Ok((n, RecordBatch::try_new(schema, columns)?))
}

/// Copies a quarantine file without the records that hold a trace (in the raw row or the
/// message); `None` when none does (nothing is written).
fn scrub_quarantine(path: &Path, staged: &Path, traces: &Traces) -> Result<Option<u64>> {
    let read_err = |e: csv::Error| {
        Error::Internal(format!(
            "quarantine file `{}` could not be read: {e}",
            path.display()
        ))
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(read_err)?;
    let mut kept = Vec::new();
    let mut removed = 0;
    for record in reader.records() {
        let record = record.map_err(read_err)?;
        if record.iter().skip(2).any(|cell| traces.text_matches(cell)) {
            removed += 1;
        } else {
            kept.push(record);
        }
    }
    if removed == 0 {
        return Ok(None);
    }
    let write_err = |e: csv::Error| {
        Error::Internal(format!(
            "quarantine file `{}` could not be written: {e}",
            staged.display()
        ))
    };
    let file = File::create(staged).map_err(|source| Error::Io {
        path: staged.to_owned(),
        action: "write a rewritten quarantine file",
        source,
    })?;
    let mut w = csv::Writer::from_writer(BufWriter::new(file));
    w.write_record(reader.headers().map_err(read_err)?)
        .map_err(write_err)?;
    for record in &kept {
        w.write_record(record).map_err(write_err)?;
    }
    let file = w
        .into_inner()
        .map_err(|e| Error::Internal(format!("quarantine file: {e}")))?
        .into_inner()
        .map_err(|e| Error::Internal(format!("quarantine file: {e}")))?;
    file.sync_all().map_err(|source| Error::Io {
        path: staged.to_owned(),
        action: "sync a rewritten quarantine file",
        source,
    })?;
    Ok(Some(removed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_addresses_and_numbers_identify() {
        assert!(identifying("email", "ann@example.com"));
        assert!(!identifying("email", "none"));
        assert!(!identifying("email", "ann@localhost"));
        assert!(identifying("phone", "+44 7700 900123"));
        assert!(!identifying("phone", "0000"));
        assert!(!identifying("phone", "unknown"));
    }

    #[test]
    fn rewritten_files_get_the_generation_once() {
        assert_eq!(
            renamed("orders/month=2011-01/i0001-0.parquet", 2, "parquet"),
            "orders/month=2011-01/i0001-0.e0002.parquet"
        );
        assert_eq!(
            renamed("orders/month=2011-01/i0001-0.e0002.parquet", 3, "parquet"),
            "orders/month=2011-01/i0001-0.e0003.parquet"
        );
        assert_eq!(
            renamed("quarantine/i0003-orders.csv", 1, "csv"),
            "quarantine/i0003-orders.e0001.csv"
        );
    }
}
