//! Typed column buffers flushed to Parquet, one writer per month partition.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use arrow::array::{
    ArrayRef, BooleanBuilder, FixedSizeBinaryBuilder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder, UInt64Builder,
};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use recur_core::{FieldKind, Table};

use crate::error::{Error, Result};

const BATCH_ROWS: usize = 65_536;

/// A coerced value of one canonical field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val<'a> {
    Null,
    Str(std::borrow::Cow<'a, str>),
    I64(i64),
    F64(f64),
    Ts(i64),
    Bool(bool),
}

enum Col {
    Str(StringBuilder),
    I64(Int64Builder),
    F64(Float64Builder),
    Ts(TimestampMicrosecondBuilder),
    Bool(BooleanBuilder),
}

impl Col {
    fn new(kind: FieldKind) -> Col {
        match kind {
            FieldKind::Text | FieldKind::Status | FieldKind::EventType => {
                Col::Str(StringBuilder::new())
            }
            FieldKind::Integer | FieldKind::Rating => Col::I64(Int64Builder::new()),
            FieldKind::Decimal => Col::F64(Float64Builder::new()),
            FieldKind::Timestamp => {
                Col::Ts(TimestampMicrosecondBuilder::new().with_timezone("UTC"))
            }
            FieldKind::Bool => Col::Bool(BooleanBuilder::new()),
        }
    }

    fn push(&mut self, v: &Val<'_>) {
        match (self, v) {
            (Col::Str(b), Val::Str(s)) => b.append_value(s),
            (Col::I64(b), Val::I64(x)) => b.append_value(*x),
            (Col::F64(b), Val::F64(x)) => b.append_value(*x),
            (Col::Ts(b), Val::Ts(x)) => b.append_value(*x),
            (Col::Bool(b), Val::Bool(x)) => b.append_value(*x),
            (Col::Str(b), _) => b.append_null(),
            (Col::I64(b), _) => b.append_null(),
            (Col::F64(b), _) => b.append_null(),
            (Col::Ts(b), _) => b.append_null(),
            (Col::Bool(b), _) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Col::Str(b) => Arc::new(b.finish()),
            Col::I64(b) => Arc::new(b.finish()),
            Col::F64(b) => Arc::new(b.finish()),
            Col::Ts(b) => Arc::new(b.finish()),
            Col::Bool(b) => Arc::new(b.finish()),
        }
    }
}

struct Partition {
    cols: Vec<Col>,
    hash: FixedSizeBinaryBuilder,
    import: StringBuilder,
    line: UInt64Builder,
    buffered: usize,
    rows: u64,
    path: PathBuf,
}

/// How every stored Parquet file is written (imports and rewrites alike).
pub(crate) fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(BATCH_ROWS * 2))
        // Unique per row: a dictionary would only cost time.
        .set_column_dictionary_enabled("row_hash".into(), false)
        .set_column_dictionary_enabled("source_line".into(), false)
        .build()
}

/// Encodes batches into Parquet files on a second thread, so parsing and encoding overlap.
struct Encoder {
    tx: Option<SyncSender<(PathBuf, RecordBatch)>>,
    handle: Option<JoinHandle<Result<()>>>,
}

impl Encoder {
    fn start(schema: SchemaRef) -> Encoder {
        let (tx, rx) = sync_channel::<(PathBuf, RecordBatch)>(4);
        let handle = std::thread::spawn(move || -> Result<()> {
            let mut writers: HashMap<PathBuf, ArrowWriter<File>> = HashMap::new();
            for (path, batch) in rx {
                let w = match writers.entry(path) {
                    Entry::Occupied(e) => e.into_mut(),
                    Entry::Vacant(e) => {
                        let file = File::create(e.key()).map_err(|source| Error::Io {
                            path: e.key().clone(),
                            action: "create a staged file",
                            source,
                        })?;
                        let props = writer_properties();
                        e.insert(ArrowWriter::try_new(file, schema.clone(), Some(props))?)
                    }
                };
                w.write(&batch)?;
            }
            for (_, w) in writers {
                w.close()?;
            }
            Ok(())
        });
        Encoder {
            tx: Some(tx),
            handle: Some(handle),
        }
    }

    fn send(&mut self, path: PathBuf, batch: RecordBatch) -> Result<()> {
        let sent = self
            .tx
            .as_ref()
            .is_some_and(|tx| tx.send((path, batch)).is_ok());
        if sent {
            return Ok(());
        }
        self.finish()?;
        Err(Error::Internal(
            "the Parquet encoder stopped before the import finished".into(),
        ))
    }

    /// Closes every file and reports the encoder thread's error, if any.
    fn finish(&mut self) -> Result<()> {
        drop(self.tx.take());
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(Error::Internal(
                "the Parquet encoder thread panicked".into(),
            )),
            None => Err(Error::Internal("the Parquet encoder stopped early".into())),
        }
    }
}

/// Writes a table's rows into staged Parquet files, one per partition.
pub(crate) struct TableWriter {
    table: Table,
    schema: SchemaRef,
    staging: PathBuf,
    import_id: String,
    /// Keyed by month number (`year * 12 + month - 1`) for partitioned tables.
    parts: BTreeMap<Option<i32>, Partition>,
    /// `None` for a dry run: batches are built, then dropped.
    encoder: Option<Encoder>,
}

/// A file the writer produced.
pub(crate) struct Written {
    pub(crate) staged: PathBuf,
    pub(crate) relative: String,
    pub(crate) partition: Option<String>,
    pub(crate) rows: u64,
}

impl TableWriter {
    pub(crate) fn new(table: Table, staging: &Path, import_id: &str) -> TableWriter {
        TableWriter {
            table,
            schema: table.arrow_schema(),
            staging: staging.to_owned(),
            import_id: import_id.to_owned(),
            parts: BTreeMap::new(),
            encoder: Some(Encoder::start(table.arrow_schema())),
        }
    }

    /// A writer that builds every batch as [`TableWriter::new`]'s would and writes nothing:
    /// for checks of a source that store nothing.
    pub(crate) fn dry(table: Table) -> TableWriter {
        TableWriter {
            table,
            schema: table.arrow_schema(),
            staging: PathBuf::new(),
            import_id: "check".to_owned(),
            parts: BTreeMap::new(),
            encoder: None,
        }
    }

    pub(crate) fn push(
        &mut self,
        partition: Option<i32>,
        vals: &[Val<'_>],
        hash: u128,
        line: u64,
    ) -> Result<()> {
        let table = self.table;
        let part = match self.parts.get_mut(&partition) {
            Some(p) => p,
            None => {
                let n = self.parts.len();
                let p = Partition {
                    cols: table.fields().iter().map(|f| Col::new(f.kind)).collect(),
                    hash: FixedSizeBinaryBuilder::new(16),
                    import: StringBuilder::new(),
                    line: UInt64Builder::new(),
                    buffered: 0,
                    rows: 0,
                    path: self.staging.join(format!("part-{n}.parquet")),
                };
                self.parts.entry(partition).or_insert(p)
            }
        };
        for (c, v) in part.cols.iter_mut().zip(vals) {
            c.push(v);
        }
        part.hash
            .append_value(hash.to_le_bytes())
            .map_err(|e| Error::Internal(format!("row hash: {e}")))?;
        part.import.append_value(&self.import_id);
        part.line.append_value(line);
        part.buffered += 1;
        part.rows += 1;
        if part.buffered >= BATCH_ROWS {
            flush(part, &self.schema, self.encoder.as_mut())?;
        }
        Ok(())
    }

    /// Flushes and closes every file.
    pub(crate) fn finish(mut self) -> Result<Vec<Written>> {
        let mut out = Vec::new();
        for (partition, mut part) in std::mem::take(&mut self.parts) {
            flush(&mut part, &self.schema, self.encoder.as_mut())?;
            let file = format!("{}-{}.parquet", self.import_id, out.len());
            let partition =
                partition.map(|k| format!("{:04}-{:02}", k.div_euclid(12), k.rem_euclid(12) + 1));
            let relative = match &partition {
                Some(p) => format!("{}/month={p}/{file}", self.table.name()),
                None => format!("{}/{file}", self.table.name()),
            };
            out.push(Written {
                staged: part.path,
                relative,
                partition,
                rows: part.rows,
            });
        }
        if let Some(encoder) = self.encoder.as_mut() {
            encoder.finish()?;
        }
        Ok(out)
    }
}

fn flush(part: &mut Partition, schema: &SchemaRef, encoder: Option<&mut Encoder>) -> Result<()> {
    if part.buffered == 0 {
        return Ok(());
    }
    let mut arrays: Vec<ArrayRef> = part.cols.iter_mut().map(Col::finish).collect();
    arrays.push(Arc::new(part.hash.finish()));
    arrays.push(Arc::new(part.import.finish()));
    arrays.push(Arc::new(part.line.finish()));
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    part.buffered = 0;
    match encoder {
        Some(encoder) => encoder.send(part.path.clone(), batch),
        None => Ok(()),
    }
}
