//! The import use case: read, coerce, classify, de-duplicate, stage and commit atomically.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Datelike};
use recur_core::{EventType, FieldKind, OrderStatus, Table};
use serde::Serialize;
use sha2::{Digest, Sha256};
use xxhash_rust::xxh3::Xxh3;

use crate::accounting::Accounting;
use crate::coerce::{self, Bad, TimeParser};
use crate::error::{Error, Result};
use crate::mapping::{Format, Mapping};
use crate::source::{self, Apply, Input, Parallel, Prepare, Row};
use crate::spool::Spool;
use crate::store::{ImportRecord, Store, StoredFile};
use crate::writer::{TableWriter, Val};

/// Reports progress of a long import (bytes of the source consumed).
pub trait Progress {
    /// Called when the source size is known.
    fn start(&self, total_bytes: u64);
    /// Called periodically with the bytes consumed so far.
    fn advance(&self, bytes: u64);
}

/// A [`Progress`] that shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: u64) {}
    fn advance(&self, _: u64) {}
}

/// What to import.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// Target table.
    pub table: Table,
    /// Source file (plain or gzip).
    pub path: PathBuf,
    /// Format; taken from the mapping, then the file name, when absent.
    pub format: Option<Format>,
    /// Column mapping.
    pub mapping: Mapping,
    /// How the mapping was chosen (`preset online-retail`, a file path, `canonical names`).
    pub mapping_label: String,
}

/// How an import reads its source.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// Threads that parse, map and type a CSV file, chunk by chunk (rows are still
    /// de-duplicated, counted and stored in file order, so the result does not depend on it).
    /// 0: the machine's available parallelism, chunks only with 4 cores or more (on 2 cores
    /// the copying between threads costs more than a second parser gains); 1: one reader, no
    /// chunks; more: that many parsing threads.
    pub threads: usize,
    /// Size of a CSV chunk in bytes; a file no larger than one chunk is read by one reader.
    pub chunk_bytes: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            threads: 0,
            chunk_bytes: 1 << 20,
        }
    }
}

impl ImportOptions {
    fn parallel(&self) -> Parallel {
        Parallel {
            threads: self.threads,
            chunk_bytes: self.chunk_bytes.max(1),
        }
    }
}

/// The result of an import.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// Id of this import, or of the earlier import of the same content.
    pub import_id: String,
    /// Target table.
    pub table: String,
    /// Source path.
    pub source: String,
    /// True when the same content was imported before and nothing was done.
    pub already_imported: bool,
    /// Row accounting (of the earlier import when `already_imported`).
    pub accounting: Accounting,
    /// Quarantine file with the rows that were not imported.
    pub quarantine_file: Option<PathBuf>,
    /// Parquet files written.
    pub files_written: usize,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// SHA-256 of a file, hex encoded.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        action: "open",
        source,
    })?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|source| Error::Io {
            path: path.to_owned(),
            action: "read",
            source,
        })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

impl ImportRequest {
    /// Checks the mapping against the table and tells the format: the request's, else the
    /// mapping's, else the file name's.
    fn checked_format(&self) -> Result<Format> {
        self.mapping.validate(self.table)?;
        self.format
            .or(self.mapping.format)
            .or_else(|| Format::from_path(&self.path))
            .ok_or_else(|| Error::UnknownFormat(self.path.clone()))
    }
}

/// Imports one file into the store. Either the whole import is committed or nothing changes.
pub fn import(store: &Store, req: &ImportRequest, progress: &dyn Progress) -> Result<ImportReport> {
    import_with(store, req, progress, &ImportOptions::default())
}

/// [`import`] with explicit [`ImportOptions`] (the result is the same for any options).
pub fn import_with(
    store: &Store,
    req: &ImportRequest,
    progress: &dyn Progress,
    options: &ImportOptions,
) -> Result<ImportReport> {
    let started = Instant::now();
    let format = req.checked_format()?;
    let meta = std::fs::metadata(&req.path).map_err(|source| Error::Io {
        path: req.path.clone(),
        action: "read",
        source,
    })?;
    let _lock = store.lock()?;
    let mut manifest = store.manifest()?;
    store.sweep(&manifest)?;
    // A pipe (`--file /dev/stdin`) can be read only once but is read twice (hash, then rows):
    // spool it into the store first.
    let spool = if meta.is_file() || meta.is_dir() {
        None
    } else {
        Some(Spool::copy(store, &req.path)?)
    };
    let (source_path, meta) = match &spool {
        Some(s) => (s.path.as_path(), s.meta.clone()),
        None => (req.path.as_path(), meta),
    };
    let sha = sha256_file(source_path)?;
    let fingerprint = req.mapping.fingerprint();
    if let Some(prev) = manifest.find_import(req.table, &sha, &fingerprint) {
        return Ok(ImportReport {
            import_id: prev.id.clone(),
            table: req.table.name().to_owned(),
            source: req.path.display().to_string(),
            already_imported: true,
            accounting: prev.accounting.clone(),
            quarantine_file: prev.quarantine_file.as_ref().map(|q| store.root().join(q)),
            files_written: 0,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    let import_id = manifest.next_import_id();
    let staging = store.staging_dir(&import_id)?;
    let existing = existing_hashes(store, req.table)?;
    progress.start(meta.len());
    let rules = Classifier::new(req, &sha)?;
    let mut conv = Converter::new(req, &import_id, Some(&staging), existing, progress);
    source::read(
        Input::file(source_path),
        format,
        req.table,
        &req.mapping,
        options.parallel(),
        &rules,
        &mut conv,
    )?;
    let Converter {
        acc,
        writer,
        quarantine,
        ..
    } = conv;
    let written = writer.finish()?;
    let quarantine_rel = match quarantine {
        Some(mut q) => {
            q.flush().map_err(|source| Error::Io {
                path: staging.clone(),
                action: "write the quarantine file",
                source,
            })?;
            Some(format!("quarantine/{import_id}-{}.csv", req.table.name()))
        }
        None => None,
    };
    if !acc.is_balanced() {
        return Err(Error::Internal(format!(
            "row accounting does not add up: {acc:?}"
        )));
    }
    let mut moves: Vec<(PathBuf, String)> = written
        .iter()
        .map(|w| (w.staged.clone(), w.relative.clone()))
        .collect();
    if let Some(rel) = &quarantine_rel {
        moves.push((staging.join("quarantine.csv"), rel.clone()));
    }
    manifest.files.extend(written.iter().map(|w| StoredFile {
        table: req.table.name().to_owned(),
        path: w.relative.clone(),
        rows: w.rows,
        partition: w.partition.clone(),
        import_id: import_id.clone(),
    }));
    manifest.imports.push(ImportRecord {
        id: import_id.clone(),
        table: req.table.name().to_owned(),
        source: req.path.display().to_string(),
        source_sha256: sha,
        source_bytes: meta.len(),
        format: format.as_str().to_owned(),
        mapping: req.mapping_label.clone(),
        mapping_fingerprint: fingerprint,
        finished_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        accounting: acc.clone(),
        quarantine_file: quarantine_rel.clone(),
    });
    store.commit(&moves, &manifest)?;
    // The lock is held: nothing else stages, so the whole staging area can go.
    if let Some(parent) = staging.parent() {
        let _ = std::fs::remove_dir_all(parent);
    }
    Ok(ImportReport {
        import_id,
        table: req.table.name().to_owned(),
        source: req.path.display().to_string(),
        already_imported: false,
        accounting: acc,
        quarantine_file: quarantine_rel.map(|q| store.root().join(q)),
        files_written: written.len(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Reads and classifies every row of `req`'s file as [`import`] would (imported, quarantined,
/// duplicate within the file), writing nothing: checks a file before importing it.
pub fn check(req: &ImportRequest) -> Result<Accounting> {
    check_with(req, &ImportOptions::default())
}

/// [`check`] with explicit [`ImportOptions`].
pub fn check_with(req: &ImportRequest, options: &ImportOptions) -> Result<Accounting> {
    check_input(req, Input::file(&req.path), options)
}

/// [`check`] on bytes already in memory, as if they were the file `req.path` names (which
/// is not read): what the parsers' fuzz harness drives.
pub fn check_bytes(req: &ImportRequest, bytes: &[u8]) -> Result<Accounting> {
    check_input(
        req,
        Input {
            path: &req.path,
            bytes: Some(bytes),
        },
        &ImportOptions::default(),
    )
}

fn check_input(
    req: &ImportRequest,
    input: Input<'_>,
    options: &ImportOptions,
) -> Result<Accounting> {
    let format = req.checked_format()?;
    let rules = Classifier::new(req, &"0".repeat(64))?;
    let mut conv = Converter::new(req, "check", None, HashSet128::default(), &NoProgress);
    source::read(
        input,
        format,
        req.table,
        &req.mapping,
        options.parallel(),
        &rules,
        &mut conv,
    )?;
    if !conv.acc.is_balanced() {
        return Err(Error::Internal(format!(
            "row accounting does not add up: {:?}",
            conv.acc
        )));
    }
    Ok(conv.acc)
}

/// Row hashes are already uniformly distributed: hash them by folding, not re-hashing.
#[derive(Default)]
struct FoldHasher(u64);

impl Hasher for FoldHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 ^= u64::from_le_bytes(b);
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = (v as u64) ^ ((v >> 64) as u64);
    }
}

type HashSet128 = HashSet<u128, BuildHasherDefault<FoldHasher>>;

fn existing_hashes(store: &Store, table: Table) -> Result<HashSet128> {
    use arrow::array::{Array, AsArray};
    use parquet::arrow::ProjectionMask;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let mut set = HashSet128::default();
    let hash_col = table.fields().len();
    for path in store.table_files(table)? {
        let file = File::open(&path).map_err(|source| Error::Io {
            path: path.clone(),
            action: "open a stored file",
            source,
        })?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
        let mask = ProjectionMask::roots(builder.parquet_schema(), [hash_col]);
        for batch in builder.with_projection(mask).build()? {
            let batch = batch?;
            let col = batch.column(0).as_fixed_size_binary();
            for i in 0..col.len() {
                let mut b = [0u8; 16];
                b.copy_from_slice(col.value(i));
                set.insert(u128::from_le_bytes(b));
            }
        }
    }
    Ok(set)
}

/// Per-row typing and table rules: everything about a row that does not depend on other rows.
/// Shared by the threads that parse a CSV file in chunks.
struct Classifier {
    table: Table,
    mapping: Mapping,
    time: TimeParser,
    line_prefix: String,
    idx: FieldIdx,
}

/// A row after [`Classifier`]: quarantined, or typed values ready for de-duplication.
enum Prepared<'a> {
    Quarantine {
        line: u64,
        column: Option<String>,
        reason: &'static str,
        message: String,
        raw: String,
    },
    Row {
        line: u64,
        vals: Vec<Val<'a>>,
        hash: u128,
        class: &'static str,
        flags: Vec<&'static str>,
        partition: Option<i32>,
    },
}

/// The state of an import as a whole: accounting, de-duplication, the quarantine file and the
/// Parquet writer. Rows reach it in file order.
struct Converter<'p> {
    source_name: String,
    acc: Accounting,
    writer: TableWriter,
    stored: HashSet128,
    seen: HashSet128,
    quarantine: Option<csv::Writer<Box<dyn Write>>>,
    /// Where staged files go; `None` for a check, which writes nothing.
    staging: Option<PathBuf>,
    progress: &'p dyn Progress,
}

/// Indexes of the fields the table rules need.
#[derive(Default)]
struct FieldIdx {
    order_id: Option<usize>,
    customer_id: Option<usize>,
    quantity: Option<usize>,
    unit_price: Option<usize>,
    amount: Option<usize>,
    status: Option<usize>,
    session_id: Option<usize>,
    event_type: Option<usize>,
    product_id: Option<usize>,
    search_text: Option<usize>,
    time: Option<usize>,
}

impl Classifier {
    fn new(req: &ImportRequest, sha: &str) -> Result<Self> {
        let t = req.table;
        let idx = FieldIdx {
            order_id: t.field_index("order_id"),
            customer_id: t.field_index("customer_id"),
            quantity: t.field_index("quantity"),
            unit_price: t.field_index("unit_price"),
            amount: t.field_index("amount"),
            status: t.field_index("status"),
            session_id: t.field_index("session_id"),
            event_type: t.field_index("event_type"),
            product_id: t.field_index("product_id"),
            search_text: t.field_index("search_text"),
            time: t.time_field().and_then(|f| t.field_index(f)),
        };
        Ok(Classifier {
            table: t,
            time: TimeParser::new(
                req.mapping.date_format.as_deref(),
                req.mapping.timezone.as_deref(),
            )?,
            mapping: req.mapping.clone(),
            line_prefix: format!("{}-L", sha.get(..8).unwrap_or(sha)),
            idx,
        })
    }
}

impl<'p> Converter<'p> {
    fn new(
        req: &ImportRequest,
        import_id: &str,
        staging: Option<&Path>,
        existing: HashSet128,
        progress: &'p dyn Progress,
    ) -> Self {
        let t = req.table;
        Converter {
            source_name: req.path.display().to_string(),
            acc: Accounting::default(),
            writer: match staging {
                Some(dir) => TableWriter::new(t, dir, import_id),
                None => TableWriter::dry(t),
            },
            stored: existing,
            seen: HashSet128::default(),
            quarantine: None,
            staging: staging.map(Path::to_owned),
            progress,
        }
    }

    fn quarantine(
        &mut self,
        line: u64,
        column: Option<&str>,
        reason: &str,
        message: &str,
        raw: &str,
    ) -> Result<()> {
        self.acc.quarantined(reason);
        if self.quarantine.is_none() {
            let out: Box<dyn Write> = match &self.staging {
                Some(dir) => {
                    let path = dir.join("quarantine.csv");
                    Box::new(File::create(&path).map_err(|source| Error::Io {
                        path,
                        action: "create the quarantine file",
                        source,
                    })?)
                }
                None => Box::new(std::io::sink()),
            };
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "source_file",
                "line",
                "column",
                "reason",
                "message",
                "raw_row",
            ])
            .map_err(|e| Error::Internal(format!("writing quarantine file: {e}")))?;
            self.quarantine = Some(w);
        }
        // The whole row, however long: the quarantine is where it is recovered from.
        if let Some(w) = self.quarantine.as_mut() {
            // Opened in a spreadsheet, a raw row that begins with `=` must stay text (a leading
            // `'` is added, as for every CSV recur writes).
            w.write_record(
                [
                    self.source_name.as_str(),
                    &line.to_string(),
                    column.unwrap_or(""),
                    reason,
                    message,
                    raw,
                ]
                .map(|c| recur_core::spreadsheet_safe(c).into_owned()),
            )
            .map_err(|e| Error::Internal(format!("writing quarantine file: {e}")))?;
        }
        Ok(())
    }
}

impl Classifier {
    /// Coerces one row; `Err((field index, Bad))` names the failing field.
    fn coerce<'a>(&self, row: &Row<'a>) -> std::result::Result<Vec<Val<'a>>, (Option<usize>, Bad)> {
        let fields = self.table.fields();
        let mut vals = Vec::with_capacity(fields.len());
        for (i, spec) in fields.iter().enumerate() {
            let text: Option<Cow<'a, str>> = match self.mapping.constants.get(spec.name) {
                Some(c) => Some(Cow::Owned(c.clone())),
                None if Some(i) == self.idx.order_id && self.mapping.rules.order_id_from_line => {
                    Some(Cow::Owned(format!("{}{}", self.line_prefix, row.line)))
                }
                None => row.cells.get(i).cloned().flatten(),
            };
            let Some(text) = text else {
                if spec.required {
                    return Err((
                        Some(i),
                        Bad {
                            reason: "missing_value",
                            message: format!("`{}` is empty; it is required", spec.name),
                        },
                    ));
                }
                vals.push(Val::Null);
                continue;
            };
            let err = |b: Bad| (Some(i), b);
            let v = match spec.kind {
                FieldKind::Text => Val::Str(match text {
                    Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
                    Cow::Owned(s) => Cow::Owned(s.trim().to_owned()),
                }),
                FieldKind::Integer => Val::I64(coerce::parse_int(&text).map_err(err)?),
                FieldKind::Decimal => Val::F64(
                    coerce::parse_decimal(&text, self.mapping.decimal_comma)
                        .and_then(|v| coerce::check_money(spec.name, v))
                        .map_err(err)?,
                ),
                FieldKind::Timestamp => Val::Ts(self.time.parse(&text).map_err(err)?),
                FieldKind::Rating => Val::I64(coerce::parse_rating(&text).map_err(err)?),
                FieldKind::Bool => Val::Bool(coerce::parse_bool(&text).map_err(err)?),
                FieldKind::Status => Val::Str(Cow::Borrowed(
                    text.parse::<OrderStatus>()
                        .map_err(|e| {
                            err(Bad {
                                reason: "bad_status",
                                message: e.to_string(),
                            })
                        })?
                        .as_str(),
                )),
                FieldKind::EventType => Val::Str(Cow::Borrowed(
                    text.parse::<EventType>()
                        .map_err(|e| {
                            err(Bad {
                                reason: "bad_event_type",
                                message: e.to_string(),
                            })
                        })?
                        .as_str(),
                )),
            };
            vals.push(v);
        }
        Ok(vals)
    }

    /// Table rules: derived values, classification and flags. Returns the class; `flags` are
    /// counted only if the row is stored (not a duplicate).
    fn classify(
        &self,
        vals: &mut [Val<'_>],
        flags: &mut Vec<&'static str>,
    ) -> std::result::Result<&'static str, (Option<usize>, Bad)> {
        let get_f = |vals: &[Val<'_>], i: Option<usize>| match i.map(|i| &vals[i]) {
            Some(Val::F64(x)) => Some(*x),
            _ => None,
        };
        let is_null = |vals: &[Val<'_>], i: Option<usize>| i.is_none_or(|i| vals[i] == Val::Null);
        match self.table {
            Table::Orders => {
                let (Some(qi), Some(pi), Some(ai), Some(si)) = (
                    self.idx.quantity,
                    self.idx.unit_price,
                    self.idx.amount,
                    self.idx.status,
                ) else {
                    return Err((
                        None,
                        Bad {
                            reason: "internal",
                            message: "orders schema lacks pricing fields".into(),
                        },
                    ));
                };
                let qty = match vals[qi] {
                    Val::I64(q) => q,
                    _ => 0,
                };
                match (get_f(vals, Some(pi)), get_f(vals, Some(ai))) {
                    (Some(p), None) => vals[ai] = Val::F64(round_cents(p * qty as f64)),
                    (None, Some(a)) => {
                        vals[pi] = Val::F64(if qty != 0 { a / qty as f64 } else { a })
                    }
                    (Some(_), Some(_)) => {}
                    (None, None) => {
                        return Err((
                            Some(pi),
                            Bad {
                                reason: "missing_value",
                                message: "neither `unit_price` nor `amount` is given".into(),
                            },
                        ));
                    }
                }
                // A price times a large quantity can leave the range even when both are in it.
                if let Some(a) = get_f(vals, Some(ai)) {
                    coerce::check_money("amount", a).map_err(|b| (Some(ai), b))?;
                }
                let price = get_f(vals, Some(pi)).unwrap_or(0.0);
                if price < 0.0 {
                    return Err((
                        Some(pi),
                        Bad {
                            reason: "negative_price",
                            message: format!(
                                "unit price `{price}` is negative: a price adjustment or write-off is not a sale; record it outside the orders table"
                            ),
                        },
                    ));
                }
                let mut status = match &vals[si] {
                    Val::Str(s) => s.parse::<OrderStatus>().unwrap_or(OrderStatus::Completed),
                    _ => OrderStatus::Completed,
                };
                if let (Some(prefix), Some(Val::Str(id))) = (
                    &self.mapping.rules.cancelled_order_prefix,
                    self.idx.order_id.map(|i| &vals[i]),
                ) && id.starts_with(prefix.as_str())
                {
                    status = OrderStatus::Cancelled;
                }
                if status == OrderStatus::Completed && qty < 0 {
                    status = OrderStatus::Returned;
                    flags.push("negative_quantity_as_return");
                }
                vals[si] = Val::Str(Cow::Borrowed(status.as_str()));
                if is_null(vals, self.idx.customer_id) {
                    flags.push("anonymous_no_customer_id");
                }
                if price == 0.0 {
                    flags.push("zero_price");
                }
                if qty == 0 {
                    flags.push("zero_quantity");
                }
                Ok(status.as_str())
            }
            Table::Events => {
                if is_null(vals, self.idx.customer_id) && is_null(vals, self.idx.session_id) {
                    return Err((
                        self.idx.customer_id,
                        Bad {
                            reason: "missing_value",
                            message: "event has neither `customer_id` nor `session_id`".into(),
                        },
                    ));
                }
                let et = match self.idx.event_type.map(|i| &vals[i]) {
                    Some(Val::Str(s)) => s.parse::<EventType>().unwrap_or(EventType::View),
                    _ => EventType::View,
                };
                if et.needs_product() && is_null(vals, self.idx.product_id) {
                    return Err((
                        self.idx.product_id,
                        Bad {
                            reason: "missing_value",
                            message: format!("a `{et}` event needs `product_id`"),
                        },
                    ));
                }
                if et == EventType::Search && is_null(vals, self.idx.search_text) {
                    return Err((
                        self.idx.search_text,
                        Bad {
                            reason: "missing_value",
                            message: "a `search` event needs `search_text`".into(),
                        },
                    ));
                }
                if is_null(vals, self.idx.customer_id) {
                    flags.push("anonymous_session_only");
                }
                Ok(et.as_str())
            }
            Table::Catalog => Ok("product"),
            Table::Reviews => Ok("review"),
            Table::Customers => Ok("customer"),
        }
    }
}

fn round_cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn row_hash(vals: &[Val<'_>]) -> u128 {
    let mut h = Xxh3::new();
    for v in vals {
        match v {
            Val::Null => h.update(&[0]),
            Val::Str(s) => {
                h.update(&[1]);
                h.update(&(s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
            Val::I64(x) => {
                h.update(&[2]);
                h.update(&x.to_le_bytes());
            }
            Val::F64(x) => {
                h.update(&[3]);
                h.update(&x.to_bits().to_le_bytes());
            }
            Val::Ts(x) => {
                h.update(&[4]);
                h.update(&x.to_le_bytes());
            }
            Val::Bool(x) => h.update(&[5, u8::from(*x)]),
        }
    }
    h.digest128()
}

/// Month number (`year * 12 + month - 1`) of an instant, the partition key.
fn month_key(micros: i64) -> Option<i32> {
    DateTime::from_timestamp_micros(micros).map(|d| d.year() * 12 + d.month0() as i32)
}

impl Prepare for Classifier {
    type Out<'a> = Prepared<'a>;

    fn prepare<'a>(&self, row: Row<'a>) -> Prepared<'a> {
        let quarantine = |column: Option<String>, reason, message| Prepared::Quarantine {
            line: row.line,
            column,
            reason,
            message,
            raw: (row.raw)(),
        };
        if let Some(p) = &row.problem {
            return quarantine(p.column.clone(), p.reason, p.message.clone());
        }
        let mut vals = match self.coerce(&row) {
            Ok(v) => v,
            Err((i, bad)) => {
                let col = i.and_then(|i| row.columns.get(i)).cloned();
                let field = i.map(|i| self.table.fields()[i].name).unwrap_or("");
                let message = match &col {
                    Some(c) if c != field => format!("column `{c}` ({field}): {}", bad.message),
                    _ => bad.message,
                };
                return quarantine(col, bad.reason, message);
            }
        };
        let mut flags = Vec::new();
        let class = match self.classify(&mut vals, &mut flags) {
            Ok(c) => c,
            Err((i, bad)) => {
                let col = i.and_then(|i| row.columns.get(i)).cloned();
                return quarantine(col, bad.reason, bad.message);
            }
        };
        let hash = row_hash(&vals);
        let partition = if self.table.partitioned_by_month() {
            match self.idx.time.map(|i| &vals[i]) {
                Some(Val::Ts(t)) => month_key(*t),
                _ => None,
            }
        } else {
            None
        };
        Prepared::Row {
            line: row.line,
            vals,
            hash,
            class,
            flags,
            partition,
        }
    }

    fn detach<'a>(out: Prepared<'a>) -> Prepared<'static> {
        match out {
            Prepared::Quarantine {
                line,
                column,
                reason,
                message,
                raw,
            } => Prepared::Quarantine {
                line,
                column,
                reason,
                message,
                raw,
            },
            Prepared::Row {
                line,
                vals,
                hash,
                class,
                flags,
                partition,
            } => Prepared::Row {
                line,
                vals: vals.into_iter().map(owned).collect(),
                hash,
                class,
                flags,
                partition,
            },
        }
    }
}

/// A value that owns its text.
fn owned(v: Val<'_>) -> Val<'static> {
    match v {
        Val::Null => Val::Null,
        Val::Str(s) => Val::Str(Cow::Owned(s.into_owned())),
        Val::I64(x) => Val::I64(x),
        Val::F64(x) => Val::F64(x),
        Val::Ts(x) => Val::Ts(x),
        Val::Bool(x) => Val::Bool(x),
    }
}

impl Apply<Classifier> for Converter<'_> {
    fn apply(&mut self, out: Prepared<'_>) -> Result<()> {
        match out {
            Prepared::Quarantine {
                line,
                column,
                reason,
                message,
                raw,
            } => self.quarantine(line, column.as_deref(), reason, &message, &raw),
            Prepared::Row {
                line,
                vals,
                hash,
                class,
                flags,
                partition,
            } => {
                if self.stored.contains(&hash) {
                    self.acc.duplicate("identical_row_already_stored");
                    return Ok(());
                }
                if !self.seen.insert(hash) {
                    self.acc.duplicate("identical_row_earlier_in_file");
                    return Ok(());
                }
                self.writer.push(partition, &vals, hash, line)?;
                self.acc.imported(class);
                for f in flags {
                    self.acc.flag(f);
                }
                Ok(())
            }
        }
    }

    fn blank_line(&mut self) {
        self.acc.blank_lines += 1;
    }

    fn bytes_read(&mut self, bytes: u64) {
        self.progress.advance(bytes);
    }
}
