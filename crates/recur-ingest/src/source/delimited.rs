//! CSV: read by one `csv` reader, or, for a file larger than one chunk and more than one
//! thread, cut into chunks at record boundaries ([`super::chunk`]) that worker threads parse,
//! map and prepare while the calling thread applies the prepared rows in input order. Both
//! ways give the same rows, the same line numbers and the same problems, in the same order.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, Read};
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};

use csv::ByteRecord;
use recur_core::Table;

use super::chunk::{self, Chunker, Piece};
use super::{
    Apply, Input, MAX_ROW_BYTES, Parallel, Prepare, Problem, Resolved, Row, RowSink, Sequential,
    cell, corrupt, decode, open_text, resolve,
};
use crate::error::{Error, Result};
use crate::mapping::{Encoding, Header, Mapping};

/// Available cores from which an import left to choose parses CSV in chunks.
const MIN_AUTO_CORES: usize = 4;

/// Reads a CSV source: in parallel when that can help, else with one reader.
pub(super) fn read_csv<P: Prepare, S: Apply<P>>(
    input: Input<'_>,
    table: Table,
    mapping: &Mapping,
    par: Parallel,
    prep: &P,
    sink: &mut S,
    count: Arc<AtomicU64>,
) -> Result<()> {
    let delimiter = mapping.delimiter_byte(input.path);
    let workers = par.workers();
    // Chunks cost extra work (each row's values are copied out of its chunk, and freed on
    // another thread): measured on 2 cores, that outweighs a second parser. Left to choose,
    // chunks are used only with cores to spare for the merge and Parquet threads as well.
    let worth_it = match par.threads {
        0 => workers >= MIN_AUTO_CORES,
        n => n > 1,
    };
    let size = match input.bytes {
        Some(b) => b.len() as u64,
        None => std::fs::metadata(input.path).map_or(0, |m| m.len()),
    };
    if worth_it && chunk::supports(delimiter) && size > par.chunk_bytes as u64 {
        let par = Parallel {
            threads: workers,
            chunk_bytes: par.chunk_bytes,
        };
        return read_parallel(input, table, mapping, par, prep, sink, count);
    }
    read_one(input, table, mapping, &mut Sequential { prep, sink }, count)
}

/// A `csv` reader over bytes of the stream. `at_start`: the bytes begin the stream (after any
/// byte-order mark `open_text` skipped). The `csv` reader drops a byte-order mark at the very
/// start of its input; a chunk that begins later in the stream is fed its first byte alone,
/// so that bytes which happen to look like one are kept, as the whole-stream reader keeps them.
pub(super) fn reader(bytes: &[u8], delimiter: u8, at_start: bool) -> csv::Reader<FirstByte<'_>> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(FirstByte {
            bytes,
            alone: !at_start,
        })
}

/// Reads a byte slice, the first byte alone when `alone`.
pub(super) struct FirstByte<'a> {
    bytes: &'a [u8],
    alone: bool,
}

impl Read for FirstByte<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = self.bytes.len().min(buf.len());
        if self.alone && n > 0 {
            n = 1;
            self.alone = false;
        }
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

/// The header's names, or `None` when the first record is data (no header, or `auto` and its
/// first cell is a number).
fn header_names(rec: &ByteRecord, header: Header) -> Option<Vec<String>> {
    let names: Vec<String> = rec
        .iter()
        .map(|b| String::from_utf8_lossy(b).trim().to_owned())
        .collect();
    if header == Header::Auto && names.first().is_some_and(|n| n.parse::<f64>().is_ok()) {
        None
    } else {
        Some(names)
    }
}

/// What turning a record into a row needs.
struct Layout {
    resolved: Resolved,
    /// Fields of the header, when there is one.
    width: Option<usize>,
    delimiter: u8,
    encoding: Encoding,
}

impl Layout {
    fn new(
        resolved: Resolved,
        header: Option<&[String]>,
        mapping: &Mapping,
        delimiter: u8,
    ) -> Self {
        Layout {
            resolved,
            width: header.map(<[String]>::len),
            delimiter,
            encoding: mapping.encoding,
        }
    }

    /// The record's cells in canonical order, and what makes it unusable, if anything.
    fn cells<'r>(&self, rec: &'r ByteRecord) -> (Vec<Option<Cow<'r, str>>>, Option<Problem>) {
        let mut problem = None;
        if rec.as_slice().len() > MAX_ROW_BYTES {
            problem = Some(Problem {
                reason: "line_too_long",
                column: None,
                message: format!(
                    "row is {} bytes long; the limit is {MAX_ROW_BYTES} bytes (an unclosed quote can swallow many lines)",
                    rec.as_slice().len()
                ),
            });
        } else if let Some(w) = self.width.filter(|w| *w != rec.len()) {
            problem = Some(Problem {
                reason: "ragged_row",
                column: None,
                message: format!("row has {} fields, the header has {w}", rec.len()),
            });
        }
        let mut cells: Vec<Option<Cow<'_, str>>> = Vec::with_capacity(self.resolved.index.len());
        if problem.is_none() {
            for (i, idx) in self.resolved.index.iter().enumerate() {
                let Some(j) = *idx else {
                    cells.push(None);
                    continue;
                };
                match rec.get(j) {
                    None => cells.push(None),
                    Some(bytes) => match decode(bytes, self.encoding) {
                        Ok(text) => cells.push(cell(text)),
                        Err(at) => {
                            problem = Some(Problem {
                                reason: "invalid_utf8",
                                column: Some(self.resolved.names[i].clone()),
                                message: format!(
                                    "invalid UTF-8 at byte {at} of column `{}`; if the file is ISO-8859-1 set encoding = \"latin1\" in the mapping",
                                    self.resolved.names[i]
                                ),
                            });
                            break;
                        }
                    },
                }
            }
        }
        (cells, problem)
    }

    /// The record as text, for the quarantine file.
    fn raw(&self, rec: &ByteRecord) -> String {
        rec.iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect::<Vec<_>>()
            .join(&(self.delimiter as char).to_string())
    }
}

/// One reader over the whole stream, every row handed to `sink` as it is read.
fn read_one(
    input: Input<'_>,
    table: Table,
    mapping: &Mapping,
    sink: &mut dyn RowSink,
    count: Arc<AtomicU64>,
) -> Result<()> {
    let path = input.path;
    let delimiter = mapping.delimiter_byte(path);
    let input = open_text(input, count.clone())?;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut rec = ByteRecord::new();
    let mut read_rec = |rec: &mut ByteRecord| -> Result<bool> {
        rdr.read_byte_record(rec).map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            corrupt(path, line, &e)
        })
    };
    let header: Option<Vec<String>> = match mapping.header {
        Header::No => None,
        Header::Yes | Header::Auto => {
            if !read_rec(&mut rec)? {
                return Err(Error::EmptyFile(path.to_owned()));
            }
            header_names(&rec, mapping.header)
        }
    };
    let resolved = resolve(path, table, mapping, header.as_deref())?;
    let layout = Layout::new(resolved, header.as_deref(), mapping, delimiter);
    // When the header was auto-detected as data, the first record is a row too.
    let mut pending = header.is_none() && mapping.header == Header::Auto;
    let mut rows = 0u64;
    loop {
        if !pending && !read_rec(&mut rec)? {
            break;
        }
        pending = false;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let raw_fn = || layout.raw(&rec);
        let (cells, problem) = layout.cells(&rec);
        sink.row(Row {
            line,
            cells: &cells,
            columns: &layout.resolved.names,
            problem,
            raw: &raw_fn,
        })?;
        rows += 1;
        if rows.is_multiple_of(65_536) {
            sink.bytes_read(count.load(Ordering::Relaxed));
        }
    }
    sink.bytes_read(count.load(Ordering::Relaxed));
    Ok(())
}

/// A chunk of the stream on its way to a worker; `piece` is the read error that ended the
/// stream, if one did.
struct Job {
    seq: u64,
    piece: Result<Piece>,
    /// The chunk's first record is the header.
    skip_first: bool,
}

/// The prepared rows of one chunk, or why it has none.
type Done<O> = (u64, Result<Vec<O>>);

/// Worker threads parse chunks; this thread applies them in order. At most a few chunks per
/// worker are in memory at once: the chunker waits for a credit before each chunk, and a
/// credit comes back when a chunk has been applied.
fn read_parallel<P: Prepare, S: Apply<P>>(
    input: Input<'_>,
    table: Table,
    mapping: &Mapping,
    par: Parallel,
    prep: &P,
    sink: &mut S,
    count: Arc<AtomicU64>,
) -> Result<()> {
    let path = input.path;
    let delimiter = mapping.delimiter_byte(path);
    let reader = open_text(input, count.clone())?;
    let workers = par.threads.max(1);
    // Chunks read, parsed or waiting to be applied: enough to keep every worker busy while
    // this thread applies one, few enough to keep memory near one reader's.
    let in_flight = workers + 2;
    std::thread::scope(|s| {
        let (job_tx, job_rx) = sync_channel::<Job>(workers);
        let (credit_tx, credit_rx) = sync_channel::<()>(in_flight);
        for _ in 0..in_flight {
            credit_tx
                .try_send(())
                .map_err(|_| Error::Internal("CSV chunk credits do not fit".into()))?;
        }
        let chunk_bytes = par.chunk_bytes;
        let chunker =
            s.spawn(move || chunk_stream(reader, delimiter, chunk_bytes, job_tx, credit_rx, path));
        let merged = (move || -> Result<()> {
            let (header, first) =
                find_header(&job_rx, &credit_tx, mapping.header, delimiter, path)?;
            let resolved = resolve(path, table, mapping, header.as_deref())?;
            let layout = Arc::new(Layout::new(resolved, header.as_deref(), mapping, delimiter));
            let queue = Arc::new(Mutex::new((first, job_rx)));
            let next = queue
                .lock()
                .ok()
                .and_then(|q| q.0.front().map(|j| j.seq))
                .unwrap_or(0);
            let (done_tx, done_rx) = channel::<Done<P::Out<'static>>>();
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    let (queue, layout, done_tx) = (queue.clone(), layout.clone(), done_tx.clone());
                    s.spawn(move || work(&queue, &layout, prep, &done_tx, path))
                })
                .collect();
            drop(done_tx);
            let merged = merge::<P, S>(&done_rx, &credit_tx, next, sink, &count);
            // Stop the chunker and the workers before waiting for them.
            drop(credit_tx);
            drop(done_rx);
            let mut panicked = false;
            for h in handles {
                panicked |= h.join().is_err();
            }
            merged?;
            if panicked {
                return Err(Error::Internal("a CSV worker thread panicked".into()));
            }
            Ok(())
        })();
        let chunked = chunker.join();
        merged?;
        chunked.map_err(|_| Error::Internal("the CSV chunker thread panicked".into()))
    })
}

/// Cuts the stream into chunks, one per credit, until the end, a read error or no receiver.
fn chunk_stream<R: BufRead>(
    reader: R,
    delimiter: u8,
    chunk_bytes: usize,
    jobs: SyncSender<Job>,
    credits: Receiver<()>,
    path: &Path,
) {
    let mut chunker = Chunker::new(reader, delimiter, chunk_bytes);
    let mut seq = 0u64;
    while credits.recv().is_ok() {
        let piece = match chunker.next_piece() {
            Ok(Some(p)) => Ok(p),
            Ok(None) => return,
            Err(e) => Err(corrupt(path, 0, &e)),
        };
        let failed = piece.is_err();
        let job = Job {
            seq,
            piece,
            skip_first: false,
        };
        if jobs.send(job).is_err() || failed {
            return;
        }
        seq += 1;
    }
}

/// Takes chunks until the first record: the header (unless the mapping says there is none).
/// Chunks before it hold only blank lines and are dropped. Returns the header and the chunk
/// holding it (flagged to skip it when it is a header).
fn find_header(
    jobs: &Receiver<Job>,
    credits: &SyncSender<()>,
    header: Header,
    delimiter: u8,
    path: &Path,
) -> Result<(Option<Vec<String>>, VecDeque<Job>)> {
    if header == Header::No {
        return Ok((None, VecDeque::new()));
    }
    let mut rec = ByteRecord::new();
    loop {
        let Ok(job) = jobs.recv() else {
            return Err(Error::EmptyFile(path.to_owned()));
        };
        let piece = job.piece?;
        let mut rdr = reader(&piece.bytes, delimiter, job.seq == 0);
        let found = rdr
            .read_byte_record(&mut rec)
            .map_err(|e| Error::Internal(format!("reading a CSV chunk in memory: {e}")))?;
        if found {
            let names = header_names(&rec, header);
            let job = Job {
                seq: job.seq,
                piece: Ok(piece),
                skip_first: names.is_some(),
            };
            return Ok((names, VecDeque::from([job])));
        }
        // A chunk of blank lines: its credit can go back at once.
        let _ = credits.try_send(());
    }
}

/// A worker: parses and prepares chunks until there are none.
fn work<P: Prepare>(
    queue: &Mutex<(VecDeque<Job>, Receiver<Job>)>,
    layout: &Layout,
    prep: &P,
    done: &Sender<Done<P::Out<'static>>>,
    path: &Path,
) {
    loop {
        let job = {
            let Ok(mut q) = queue.lock() else { return };
            match q.0.pop_front() {
                Some(job) => job,
                None => match q.1.recv() {
                    Ok(job) => job,
                    Err(_) => return,
                },
            }
        };
        let seq = job.seq;
        // A panic must not leave the merge waiting for this chunk forever: it becomes the
        // chunk's error.
        let out = std::panic::catch_unwind(AssertUnwindSafe(|| {
            job.piece
                .and_then(|p| prepare_piece(&p, job.skip_first, seq == 0, layout, prep, path))
        }))
        .unwrap_or_else(|_| Err(Error::Internal(format!("parsing CSV chunk {seq} panicked"))));
        if done.send((seq, out)).is_err() {
            return;
        }
    }
}

/// Parses one chunk and prepares its rows (line numbers as in the whole stream).
fn prepare_piece<P: Prepare>(
    piece: &Piece,
    skip_first: bool,
    at_start: bool,
    layout: &Layout,
    prep: &P,
    path: &Path,
) -> Result<Vec<P::Out<'static>>> {
    let mut rdr = reader(&piece.bytes, layout.delimiter, at_start);
    let mut rec = ByteRecord::new();
    // About one row per 48 bytes: most chunks never grow their list.
    let mut out = Vec::with_capacity(piece.bytes.len() / 48 + 1);
    let mut skip = skip_first;
    while rdr
        .read_byte_record(&mut rec)
        .map_err(|e| corrupt(path, 0, &e))?
    {
        if std::mem::take(&mut skip) {
            continue;
        }
        let line = rec.position().map_or(0, |p| p.line()) + piece.lines_before;
        let raw_fn = || layout.raw(&rec);
        let (cells, problem) = layout.cells(&rec);
        let prepared = prep.prepare(Row {
            line,
            cells: &cells,
            columns: &layout.resolved.names,
            problem,
            raw: &raw_fn,
        });
        out.push(P::detach(prepared));
    }
    Ok(out)
}

/// Applies chunks' rows in input order, starting with chunk `next`; the first error (in input
/// order) ends the import, as it would with one reader.
fn merge<P: Prepare, S: Apply<P>>(
    done: &Receiver<Done<P::Out<'static>>>,
    credits: &SyncSender<()>,
    mut next: u64,
    sink: &mut S,
    count: &AtomicU64,
) -> Result<()> {
    let mut waiting: BTreeMap<u64, Result<Vec<P::Out<'static>>>> = BTreeMap::new();
    for (seq, rows) in done {
        waiting.insert(seq, rows);
        while let Some(rows) = waiting.remove(&next) {
            next += 1;
            for row in rows? {
                sink.apply(row)?;
            }
            sink.bytes_read(count.load(Ordering::Relaxed));
            // The chunker may be done and gone: a credit nobody takes is fine.
            let _ = credits.try_send(());
        }
    }
    if !waiting.is_empty() {
        return Err(Error::Internal(format!(
            "CSV chunk {next} never arrived; {} later chunks did",
            waiting.len()
        )));
    }
    sink.bytes_read(count.load(Ordering::Relaxed));
    Ok(())
}
