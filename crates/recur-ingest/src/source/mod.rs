//! Source readers: CSV, whitespace-separated text, JSON lines and Parquet, plain or gzip.
//!
//! Each reader resolves canonical fields to source columns once, then hands every data row to
//! a [`RowSink`] as cells in canonical order, with the problem that makes the row unusable (if
//! any) and a way to render the raw row for the quarantine file.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use recur_core::Table;

mod chunk;
mod delimited;
mod parquet;

use crate::error::{Error, Result};
use crate::mapping::{ColumnRef, Encoding, Format, Header, Mapping};

/// Longest accepted row, in bytes.
pub(crate) const MAX_ROW_BYTES: usize = 1 << 20;

/// Why a whole row is unusable before any field is coerced.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub(crate) reason: &'static str,
    pub(crate) column: Option<String>,
    pub(crate) message: String,
}

/// One data row handed to the sink.
pub(crate) struct Row<'a> {
    pub(crate) line: u64,
    /// Per canonical field: `None` when the source has no such column or the cell is empty.
    pub(crate) cells: &'a [Option<Cow<'a, str>>],
    /// Source column name per canonical field, for messages.
    pub(crate) columns: &'a [String],
    pub(crate) problem: Option<Problem>,
    pub(crate) raw: &'a dyn Fn() -> String,
}

/// Where a source's bytes come from: its file, or memory already holding them (a check of
/// bytes that never touch the disk, as the parsers' fuzz harness runs). `path` names the
/// source in messages either way.
#[derive(Clone, Copy)]
pub(crate) struct Input<'a> {
    pub(crate) path: &'a Path,
    pub(crate) bytes: Option<&'a [u8]>,
}

impl<'a> Input<'a> {
    pub(crate) fn file(path: &'a Path) -> Input<'a> {
        Input { path, bytes: None }
    }
}

/// What a reader hands every row to.
pub(crate) trait RowSink {
    fn row(&mut self, row: Row<'_>) -> Result<()>;
    fn blank_line(&mut self);
    fn bytes_read(&mut self, bytes: u64);
}

/// The per-row work that needs no state of the import as a whole (typing, rules, hashing):
/// for large CSV files it runs on worker threads, one chunk of the file each.
pub(crate) trait Prepare: Sync + 'static {
    /// A prepared row; it may borrow the row's cells.
    type Out<'a>: Send;
    /// Prepares one row.
    fn prepare<'a>(&self, row: Row<'a>) -> Self::Out<'a>;
    /// The same prepared row, owning its values (so it can leave its chunk's thread).
    fn detach<'a>(out: Self::Out<'a>) -> Self::Out<'static>;
}

/// Takes prepared rows in input order (de-duplication, accounting, writing).
pub(crate) trait Apply<P: Prepare> {
    fn apply(&mut self, out: P::Out<'_>) -> Result<()>;
    fn blank_line(&mut self);
    fn bytes_read(&mut self, bytes: u64);
}

/// A [`RowSink`] that prepares every row and applies it at once, on the reading thread.
struct Sequential<'s, P, S> {
    prep: &'s P,
    sink: &'s mut S,
}

impl<P: Prepare, S: Apply<P>> RowSink for Sequential<'_, P, S> {
    fn row(&mut self, row: Row<'_>) -> Result<()> {
        let out = self.prep.prepare(row);
        self.sink.apply(out)
    }
    fn blank_line(&mut self) {
        self.sink.blank_line();
    }
    fn bytes_read(&mut self, bytes: u64) {
        self.sink.bytes_read(bytes);
    }
}

/// How CSV files are read: on how many threads, in chunks of about how many bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Parallel {
    /// Worker threads; 0: the machine's available parallelism; 1: one reader, no chunks.
    pub(crate) threads: usize,
    /// Target chunk size in bytes (a chunk is longer when one record is).
    pub(crate) chunk_bytes: usize,
}

impl Parallel {
    /// The number of worker threads to use.
    fn workers(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        }
    }
}

/// Counts bytes read from the underlying file (compressed bytes for gzip).
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens a text source, decompressing gzip (by magic bytes) and rejecting empty or UTF-16 files.
fn open_text<'a>(input: Input<'a>, count: Arc<AtomicU64>) -> Result<Box<dyn BufRead + Send + 'a>> {
    let path = input.path;
    let (inner, capacity): (Box<dyn Read + Send + 'a>, usize) = match input.bytes {
        Some(bytes) => (Box::new(bytes), bytes.len().clamp(64, 1 << 16)),
        None => (
            Box::new(File::open(path).map_err(|source| Error::Io {
                path: path.to_owned(),
                action: "open",
                source,
            })?),
            1 << 16,
        ),
    };
    let mut raw = BufReader::with_capacity(capacity, Counting { inner, count });
    let head = raw.fill_buf().map_err(|source| Error::Io {
        path: path.to_owned(),
        action: "read",
        source,
    })?;
    if head.is_empty() {
        return Err(Error::EmptyFile(path.to_owned()));
    }
    let mut reader: Box<dyn BufRead + Send + 'a> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(raw),
        ))
    } else {
        Box::new(raw)
    };
    let head = reader.fill_buf().map_err(|e| corrupt(path, 0, &e))?;
    if head.is_empty() {
        return Err(Error::EmptyFile(path.to_owned()));
    }
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return Err(Error::Utf16(path.to_owned()));
    }
    if head.starts_with(&[0xef, 0xbb, 0xbf]) {
        reader.consume(3);
    }
    Ok(reader)
}

fn corrupt(path: &Path, line: u64, e: &dyn std::fmt::Display) -> Error {
    Error::Corrupt {
        path: path.to_owned(),
        line,
        message: e.to_string(),
    }
}

/// Source columns resolved for each canonical field.
struct Resolved {
    /// Index into the source record per canonical field (`None`: constant, derived or absent).
    index: Vec<Option<usize>>,
    /// Display name of the source column per canonical field.
    names: Vec<String>,
}

fn resolve(
    path: &Path,
    table: Table,
    mapping: &Mapping,
    header: Option<&[String]>,
) -> Result<Resolved> {
    let mut index = Vec::new();
    let mut names = Vec::new();
    let mut missing = Vec::new();
    for field in table.fields() {
        let derived = mapping.constants.contains_key(field.name)
            || (field.name == "order_id" && mapping.rules.order_id_from_line);
        let src = mapping.source_for(field.name);
        names.push(src.to_string());
        if derived {
            index.push(None);
            continue;
        }
        let found = match (&src, header) {
            (ColumnRef::Position(p), _) => (*p >= 1).then(|| p - 1),
            (ColumnRef::Name(n), Some(h)) => h.iter().position(|c| c == n).or_else(|| {
                h.iter()
                    .position(|c| c.trim().eq_ignore_ascii_case(n.trim()))
            }),
            (ColumnRef::Name(_), None) => None,
        };
        let explicitly_mapped = mapping.columns.contains_key(field.name);
        if found.is_none()
            && (field.required || explicitly_mapped)
            && !optional_pair(table, field.name, mapping)
        {
            missing.push((field.name, src));
        }
        index.push(found);
    }
    if !missing.is_empty() {
        // A first row that holds data (a file without a header) is never printed: it is a
        // customer's record, e-mail and address included.
        let data_cell = header.and_then(|h| h.iter().position(|c| looks_like_data(c)));
        let header = header.filter(|_| data_cell.is_none());
        let found = match (header, data_cell) {
            (Some(h), _) => h
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", "),
            (None, Some(i)) => format!(
                "none: the first row looks like data, not a header (its cell {} holds a value), \
                 so it is not shown; add a header row naming the columns, or refer to columns \
                 by position, e.g. customer_id = 1",
                i + 1
            ),
            (None, None) => {
                "(no header: refer to columns by position, e.g. customer_id = 1)".to_owned()
            }
        };
        let missing_text = missing
            .iter()
            .map(|(f, src)| format!("column `{src}` (for `{f}`)"))
            .collect::<Vec<_>>()
            .join(", ");
        let example = missing
            .iter()
            .map(|(f, _)| {
                let guess = header
                    .and_then(|h| h.iter().find(|c| similar(c, f)))
                    .cloned();
                format!(
                    "    {f} = \"{}\"",
                    guess.unwrap_or_else(|| "<column in your file>".into())
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        return Err(Error::MissingColumns {
            path: path.to_owned(),
            table,
            missing: missing_text,
            found,
            example,
        });
    }
    Ok(Resolved { index, names })
}

/// `unit_price`/`amount` and `customer_id`/`session_id` are required as pairs, checked per row.
fn optional_pair(table: Table, field: &str, mapping: &Mapping) -> bool {
    matches!(
        (table, field),
        (Table::Orders, "unit_price" | "amount") | (Table::Events, "customer_id" | "session_id")
    ) && !mapping.columns.contains_key(field)
}

/// A header cell that is a value rather than a column name: an e-mail address, a number, a
/// date, a phone number (three digits or more), or longer than any column name.
fn looks_like_data(cell: &str) -> bool {
    cell.contains('@')
        || cell.bytes().filter(u8::is_ascii_digit).count() >= 3
        || cell.chars().count() > 64
}

fn similar(column: &str, field: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase()
    };
    let (c, f) = (norm(column), norm(field));
    let f_short = f.trim_end_matches("id").trim_end_matches("at");
    !f_short.is_empty() && (c.contains(f_short) || f.contains(&c))
}

fn decode<'a>(bytes: &'a [u8], encoding: Encoding) -> std::result::Result<Cow<'a, str>, usize> {
    match encoding {
        Encoding::Utf8 => std::str::from_utf8(bytes)
            .map(Cow::Borrowed)
            .map_err(|e| e.valid_up_to()),
        Encoding::Latin1 => Ok(match std::str::from_utf8(bytes) {
            Ok(s) if s.is_ascii() => Cow::Borrowed(s),
            _ => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
        }),
    }
}

fn cell(text: Cow<'_, str>) -> Option<Cow<'_, str>> {
    if text.trim().is_empty() {
        None
    } else {
        Some(text)
    }
}

/// Reads `input`, prepares every data row with `prep` and applies it to `sink` in input order.
pub(crate) fn read<P: Prepare, S: Apply<P>>(
    input: Input<'_>,
    format: Format,
    table: Table,
    mapping: &Mapping,
    par: Parallel,
    prep: &P,
    sink: &mut S,
) -> Result<()> {
    let count = Arc::new(AtomicU64::new(0));
    match format {
        Format::Csv => delimited::read_csv(input, table, mapping, par, prep, sink, count),
        Format::Whitespace => {
            read_whitespace(input, table, mapping, &mut Sequential { prep, sink }, count)
        }
        Format::Jsonl => read_jsonl(input, table, mapping, &mut Sequential { prep, sink }, count),
        Format::Parquet => {
            parquet::read_parquet(input, table, mapping, &mut Sequential { prep, sink })
        }
    }
}

fn read_lines(
    input: Input<'_>,
    count: &Arc<AtomicU64>,
    sink: &mut dyn RowSink,
    mut each: impl FnMut(u64, &[u8], &mut dyn RowSink) -> Result<()>,
) -> Result<()> {
    let path = input.path;
    let mut input = open_text(input, count.clone())?;
    let mut buf = Vec::with_capacity(1024);
    let mut line = 0u64;
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', &mut buf)
            .map_err(|e| corrupt(path, line, &e))?;
        if n == 0 {
            break;
        }
        line += 1;
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            sink.blank_line();
            continue;
        }
        each(line, &buf, sink)?;
        if line.is_multiple_of(65_536) {
            sink.bytes_read(count.load(Ordering::Relaxed));
        }
    }
    sink.bytes_read(count.load(Ordering::Relaxed));
    Ok(())
}

fn too_long(len: usize) -> Problem {
    Problem {
        reason: "line_too_long",
        column: None,
        message: format!("line is {len} bytes long; the limit is {MAX_ROW_BYTES} bytes"),
    }
}

fn read_whitespace(
    input: Input<'_>,
    table: Table,
    mapping: &Mapping,
    sink: &mut dyn RowSink,
    count: Arc<AtomicU64>,
) -> Result<()> {
    let mut resolved: Option<Resolved> = None;
    let mut width: Option<usize> = None;
    let mut first = true;
    let path = input.path;
    read_lines(input, &count, sink, |line, bytes, sink| {
        let fields: Vec<&[u8]> = bytes
            .split(|b| b.is_ascii_whitespace())
            .filter(|s| !s.is_empty())
            .collect();
        if first {
            first = false;
            let looks_like_header =
                std::str::from_utf8(fields[0]).map_or(true, |s| s.parse::<f64>().is_err());
            let is_header = match mapping.header {
                Header::Yes => true,
                Header::No => false,
                Header::Auto => looks_like_header,
            };
            if is_header {
                let names: Vec<String> = fields
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect();
                width = Some(names.len());
                resolved = Some(resolve(path, table, mapping, Some(&names))?);
                return Ok(());
            }
            resolved = Some(resolve(path, table, mapping, None)?);
        }
        let Some(res) = resolved.as_ref() else {
            return Err(Error::Internal(
                "whitespace reader lost its column resolution".into(),
            ));
        };
        let raw_fn = || String::from_utf8_lossy(bytes).into_owned();
        let mut problem = (bytes.len() > MAX_ROW_BYTES).then(|| too_long(bytes.len()));
        if problem.is_none()
            && let Some(w) = width.filter(|w| *w != fields.len())
        {
            problem = Some(Problem {
                reason: "ragged_row",
                column: None,
                message: format!("row has {} fields, the header has {w}", fields.len()),
            });
        }
        let mut cells = Vec::with_capacity(res.index.len());
        for (i, idx) in res.index.iter().enumerate() {
            let value = idx.and_then(|j| fields.get(j));
            match value.map(|b| decode(b, mapping.encoding)) {
                None => cells.push(None),
                Some(Ok(text)) => cells.push(cell(text)),
                Some(Err(at)) => {
                    problem.get_or_insert(Problem {
                        reason: "invalid_utf8",
                        column: Some(res.names[i].clone()),
                        message: format!("invalid UTF-8 at byte {at} of column `{}`", res.names[i]),
                    });
                    cells.push(None);
                }
            }
        }
        if problem.is_none()
            && let Some(j) = res.index.iter().flatten().find(|j| **j >= fields.len())
        {
            problem = Some(Problem {
                reason: "ragged_row",
                column: Some(format!("#{}", j + 1)),
                message: format!(
                    "row has {} fields, column #{} is mapped",
                    fields.len(),
                    j + 1
                ),
            });
        }
        sink.row(Row {
            line,
            cells: &cells,
            columns: &res.names,
            problem,
            raw: &raw_fn,
        })
    })
}

fn read_jsonl(
    input: Input<'_>,
    table: Table,
    mapping: &Mapping,
    sink: &mut dyn RowSink,
    count: Arc<AtomicU64>,
) -> Result<()> {
    let keys: Vec<Option<String>> = table
        .fields()
        .iter()
        .map(|f| {
            let derived = mapping.constants.contains_key(f.name)
                || (f.name == "order_id" && mapping.rules.order_id_from_line);
            match (derived, mapping.source_for(f.name)) {
                (true, _) | (_, ColumnRef::Position(_)) => None,
                (false, ColumnRef::Name(n)) => Some(n),
            }
        })
        .collect();
    let names: Vec<String> = table
        .fields()
        .iter()
        .map(|f| mapping.source_for(f.name).to_string())
        .collect();
    read_lines(input, &count, sink, |line, bytes, sink| {
        let raw_fn = || String::from_utf8_lossy(bytes).into_owned();
        let mut problem = (bytes.len() > MAX_ROW_BYTES).then(|| too_long(bytes.len()));
        let mut owned: Vec<Option<String>> = vec![None; keys.len()];
        if problem.is_none() {
            match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(bytes) {
                Err(e) => {
                    problem = Some(Problem {
                        reason: "bad_json",
                        column: Some(format!("char {}", e.column())),
                        message: format!("not a JSON object: {e}"),
                    })
                }
                Ok(obj) => {
                    for (i, key) in keys.iter().enumerate() {
                        let Some(key) = key else { continue };
                        match obj.get(key) {
                            None | Some(serde_json::Value::Null) => {}
                            Some(serde_json::Value::String(s)) => owned[i] = Some(s.clone()),
                            Some(
                                v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_)),
                            ) => owned[i] = Some(v.to_string()),
                            Some(_) => {
                                problem = Some(Problem {
                                    reason: "bad_value",
                                    column: Some(key.clone()),
                                    message: format!(
                                        "key `{key}` holds an array or object; a single value is expected"
                                    ),
                                });
                            }
                        }
                    }
                }
            }
        }
        let cells: Vec<Option<Cow<'_, str>>> = owned
            .iter()
            .map(|o| o.as_deref().and_then(|s| cell(Cow::Borrowed(s))))
            .collect();
        sink.row(Row {
            line,
            cells: &cells,
            columns: &names,
            problem,
            raw: &raw_fn,
        })
    })
}
