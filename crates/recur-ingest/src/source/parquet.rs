//! Parquet sources: columns read as text (binary ones decoded with the mapping's encoding),
//! and the reader's panics on damaged data turned into errors.

use std::borrow::Cow;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use bytes::Bytes;
use parquet::file::reader::ChunkReader;
use recur_core::Table;

use super::{Input, Problem, Row, RowSink, cell, corrupt, decode, resolve};
use crate::error::{Error, Result};
use crate::mapping::{Encoding, Mapping};

pub(super) fn read_parquet(
    input: Input<'_>,
    table: Table,
    mapping: &Mapping,
    sink: &mut dyn RowSink,
) -> Result<()> {
    let path = input.path;
    if let Some(bytes) = input.bytes {
        if bytes.is_empty() {
            return Err(Error::EmptyFile(path.to_owned()));
        }
        let size = bytes.len() as u64;
        return read_from(
            path,
            Bytes::copy_from_slice(bytes),
            size,
            table,
            mapping,
            sink,
        );
    }
    let file = File::open(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        action: "open",
        source,
    })?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size == 0 {
        return Err(Error::EmptyFile(path.to_owned()));
    }
    read_from(path, file, size, table, mapping, sink)
}

fn read_from<R: ChunkReader + 'static>(
    path: &Path,
    source: R,
    size: u64,
    table: Table,
    mapping: &Mapping,
    sink: &mut dyn RowSink,
) -> Result<()> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    // The Parquet reader asserts on some damaged data (bit widths, lengths) instead of
    // returning an error: a panic there is the file's fault, reported like any other damage.
    let damaged = |line: u64| corrupt(path, line, &"the Parquet data is damaged");
    let guarded = |f: &mut dyn FnMut() -> Result<()>, line: u64| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
            .unwrap_or_else(|_| Err(damaged(line)))
    };
    let mut source = Some(source);
    let mut builder = None;
    guarded(
        &mut || {
            if let Some(source) = source.take() {
                builder = Some(
                    ParquetRecordBatchReaderBuilder::try_new(source)
                        .map_err(|e| corrupt(path, 0, &e))?,
                );
            }
            Ok(())
        },
        0,
    )?;
    let Some(builder) = builder else {
        return Err(damaged(0));
    };
    let header: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let resolved = resolve(path, table, mapping, Some(&header))?;
    let mut builder = Some(builder);
    let mut reader = None;
    guarded(
        &mut || {
            let Some(b) = builder.take() else {
                return Ok(());
            };
            reader = Some(
                b.with_batch_size(8192)
                    .build()
                    .map_err(|e| corrupt(path, 0, &e))?,
            );
            Ok(())
        },
        0,
    )?;
    let Some(mut reader) = reader else {
        return Err(damaged(0));
    };
    let mut row_no = 0u64;
    loop {
        let mut next = None;
        guarded(
            &mut || {
                next = reader.next();
                Ok(())
            },
            row_no,
        )?;
        let Some(batch) = next else {
            break;
        };
        let batch = batch.map_err(|e| corrupt(path, row_no, &e))?;
        let columns: Vec<Option<ParquetColumn>> = resolved
            .index
            .iter()
            .map(|idx| {
                idx.map(|j| match batch.columns().get(j) {
                    Some(column) => ParquetColumn::new(column),
                    None => Err(arrow::error::ArrowError::InvalidArgumentError(format!(
                        "the mapping names column #{} but the file has {}",
                        j + 1,
                        batch.num_columns()
                    ))),
                })
                .transpose()
                .map_err(|e| Error::Corrupt {
                    path: PathBuf::from(path),
                    line: row_no,
                    message: format!("cannot read column as text: {e}"),
                })
            })
            .collect::<Result<_>>()?;
        for r in 0..batch.num_rows() {
            row_no += 1;
            let mut problem = None;
            let mut cells: Vec<Option<Cow<'_, str>>> = Vec::with_capacity(columns.len());
            for (i, c) in columns.iter().enumerate() {
                match c.as_ref().map(|c| c.text(r, mapping.encoding)) {
                    None | Some(Ok(None)) => cells.push(None),
                    Some(Ok(Some(text))) => cells.push(cell(text)),
                    Some(Err(at)) => {
                        problem = Some(Problem {
                            reason: "invalid_utf8",
                            column: Some(resolved.names[i].clone()),
                            message: format!(
                                "invalid UTF-8 at byte {at} of binary column `{}`; if the text is ISO-8859-1 set encoding = \"latin1\" in the mapping",
                                resolved.names[i]
                            ),
                        });
                        cells.push(None);
                    }
                }
            }
            let raw_fn = || {
                columns
                    .iter()
                    .map(|c| c.as_ref().map(|c| c.lossy(r)).unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            sink.row(Row {
                line: row_no,
                cells: &cells,
                columns: &resolved.names,
                problem,
                raw: &raw_fn,
            })?;
        }
        sink.bytes_read(size * row_no / row_no.max(1));
    }
    sink.bytes_read(size);
    Ok(())
}

/// One Parquet column read as text: text columns as stored (the reader has checked their
/// UTF-8), binary ones decoded cell by cell with the mapping's encoding, so bytes that are not
/// text are quarantined instead of read as missing.
enum ParquetColumn {
    Text(arrow::array::ArrayRef),
    Bytes(arrow::array::ArrayRef),
}

impl ParquetColumn {
    fn new(array: &arrow::array::ArrayRef) -> std::result::Result<Self, arrow::error::ArrowError> {
        Ok(match array.data_type() {
            DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
            | DataType::FixedSizeBinary(_) => {
                ParquetColumn::Bytes(arrow::compute::cast(array, &DataType::LargeBinary)?)
            }
            _ => ParquetColumn::Text(arrow::compute::cast(array, &DataType::Utf8)?),
        })
    }

    /// The cell's text, `None` when null, or the byte offset of invalid UTF-8.
    fn text(
        &self,
        row: usize,
        encoding: Encoding,
    ) -> std::result::Result<Option<Cow<'_, str>>, usize> {
        match self {
            ParquetColumn::Text(a) => {
                let s = a.as_string::<i32>();
                Ok((!s.is_null(row)).then(|| Cow::Borrowed(s.value(row))))
            }
            ParquetColumn::Bytes(a) => {
                let b = a.as_binary::<i64>();
                if b.is_null(row) {
                    Ok(None)
                } else {
                    decode(b.value(row), encoding).map(Some)
                }
            }
        }
    }

    /// The cell as text for the quarantine file (invalid bytes replaced).
    fn lossy(&self, row: usize) -> String {
        match self {
            ParquetColumn::Text(a) => {
                let s = a.as_string::<i32>();
                if s.is_null(row) {
                    String::new()
                } else {
                    s.value(row).to_owned()
                }
            }
            ParquetColumn::Bytes(a) => {
                let b = a.as_binary::<i64>();
                if b.is_null(row) {
                    String::new()
                } else {
                    String::from_utf8_lossy(b.value(row)).into_owned()
                }
            }
        }
    }
}
