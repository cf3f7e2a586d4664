//! The text files recur (or the shop) keeps in a workspace, scrubbed of erased customers:
//! CSV and JSON-lines files lose the records that hold a trace; other text files that hold
//! one (a written report) are removed, to be written again.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use recur_core::{Traces, is_customer_id_name};
use serde::Serialize;

use crate::error::{Error, Result};

/// A text file that held traces of erased customers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScrubbedFile {
    /// Path relative to the workspace.
    pub path: String,
    /// Records (CSV rows, JSON lines) removed; 0 when the whole file was removed.
    pub records_removed: u64,
    /// Whether the whole file was removed (a report or document naming the customer: write
    /// it again with the command that made it).
    pub removed: bool,
}

enum Kind {
    Csv(u8),
    Lines,
    Document,
}

fn kind(path: &Path) -> Option<Kind> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "csv" => Kind::Csv(b','),
        "tsv" => Kind::Csv(b'\t'),
        "jsonl" | "ndjson" | "log" => Kind::Lines,
        "json" | "html" | "htm" | "txt" | "md" | "xml" => Kind::Document,
        _ => return None,
    })
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl Fn(std::io::Error) -> Error + 'a {
    move |error| Error::Io {
        path: path.to_owned(),
        action,
        error,
    }
}

/// Scrubs every text file under `root` except those under `skip` and hidden ones (a name
/// starting with `.`). Returns the files that held a trace.
pub(super) fn scrub_tree(
    root: &Path,
    skip: &[PathBuf],
    traces: &Traces,
) -> Result<Vec<ScrubbedFile>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(io("list", &dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for path in entries {
            let hidden = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_none_or(|n| n.starts_with('.'));
            if hidden || skip.iter().any(|s| path.starts_with(s)) {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).map_err(io("inspect", &path))?;
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file()
                && let Some(k) = kind(&path)
                && let Some(mut done) = scrub_file(&path, k, traces)?
            {
                done.path = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                out.push(done);
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn scrub_file(path: &Path, kind: Kind, traces: &Traces) -> Result<Option<ScrubbedFile>> {
    let found = |records_removed, removed| {
        Some(ScrubbedFile {
            path: String::new(),
            records_removed,
            removed,
        })
    };
    match kind {
        Kind::Document => {
            let bytes = std::fs::read(path).map_err(io("read", path))?;
            if !traces.text_matches(&String::from_utf8_lossy(&bytes)) {
                return Ok(None);
            }
            std::fs::remove_file(path).map_err(io("remove", path))?;
            Ok(found(0, true))
        }
        Kind::Lines => Ok(rewrite_lines(path, traces)?.and_then(|n| found(n, false))),
        Kind::Csv(delimiter) => match rewrite_csv(path, delimiter, traces) {
            Ok(n) => Ok(n.and_then(|n| found(n, false))),
            // Not parseable as CSV: treated line by line.
            Err(CsvOrIo::Csv) => Ok(rewrite_lines(path, traces)?.and_then(|n| found(n, false))),
            Err(CsvOrIo::Io(e)) => Err(e),
        },
    }
}

/// A temporary sibling of `path`, renamed over it once complete.
fn replace(path: &Path, tmp: &Path) -> Result<()> {
    std::fs::rename(tmp, path).map_err(io("replace", path))?;
    if let Some(dir) = path.parent()
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

fn tmp_of(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".erasing");
    path.with_file_name(name)
}

/// Whether a JSON line holds a trace. Where the line names its customer (a key such as
/// `customer_id`), only those values are compared with the ids, exactly; otherwise any string
/// equal to an id counts. Personal values count in any string. A line that is not JSON is
/// searched for ids as whole tokens.
fn line_matches(line: &str, traces: &Traces) -> bool {
    fn walk<'a>(v: &'a serde_json::Value, key: Option<&str>, out: &mut Vec<(bool, &'a str)>) {
        match v {
            serde_json::Value::String(s) => out.push((key.is_some_and(is_customer_id_name), s)),
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, key, out)),
            serde_json::Value::Object(o) => o.iter().for_each(|(k, v)| walk(v, Some(k), out)),
            _ => {}
        }
    }
    let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else {
        return traces.text_matches(line);
    };
    let mut strings = Vec::new();
    walk(&value, None, &mut strings);
    let named = strings.iter().any(|(id_key, _)| *id_key);
    strings.iter().any(|(id_key, s)| {
        traces.holds_value(s) || ((*id_key || !named) && traces.field_matches(s))
    })
}

fn rewrite_lines(path: &Path, traces: &Traces) -> Result<Option<u64>> {
    let file = File::open(path).map_err(io("open", path))?;
    let tmp = tmp_of(path);
    let mut w = BufWriter::new(File::create(&tmp).map_err(io("create", &tmp))?);
    let mut removed = 0;
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(io("read", path))?;
        if n == 0 {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        if line_matches(text.trim_end(), traces) {
            removed += 1;
        } else {
            w.write_all(&line).map_err(io("write", &tmp))?;
        }
    }
    finish(w, &tmp, path, removed)
}

fn finish(w: BufWriter<File>, tmp: &Path, path: &Path, removed: u64) -> Result<Option<u64>> {
    let file = w
        .into_inner()
        .map_err(|e| io("write", tmp)(e.into_error()))?;
    if removed == 0 {
        drop(file);
        let _ = std::fs::remove_file(tmp);
        return Ok(None);
    }
    file.sync_all().map_err(io("sync", tmp))?;
    replace(path, tmp)?;
    Ok(Some(removed))
}

enum CsvOrIo {
    Csv,
    Io(Error),
}

fn rewrite_csv(
    path: &Path,
    delimiter: u8,
    traces: &Traces,
) -> std::result::Result<Option<u64>, CsvOrIo> {
    let tmp = tmp_of(path);
    let result = (|| {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_path(path)
            .map_err(|_| CsvOrIo::Csv)?;
        let file = File::create(&tmp).map_err(|e| CsvOrIo::Io(io("create", &tmp)(e)))?;
        let mut w = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_writer(BufWriter::new(file));
        let mut removed = 0;
        // Columns that hold customer ids, by their header; without one, ids are looked for
        // as whole tokens in every cell.
        let mut id_columns: Vec<usize> = Vec::new();
        for (i, record) in reader.byte_records().enumerate() {
            let record = record.map_err(|_| CsvOrIo::Csv)?;
            if i == 0 {
                id_columns = record
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| is_customer_id_name(&String::from_utf8_lossy(h)))
                    .map(|(k, _)| k)
                    .collect();
            }
            let cell = |k: usize| record.get(k).map(String::from_utf8_lossy);
            // A header names columns, never a customer; the first row of a file without a
            // header is compared with the ids exactly.
            let hit = if i == 0 {
                record.iter().any(|c| {
                    let c = String::from_utf8_lossy(c);
                    traces.field_matches(&c) || traces.holds_value(&c)
                })
            } else if id_columns.is_empty() {
                record
                    .iter()
                    .any(|c| traces.text_matches(&String::from_utf8_lossy(c)))
            } else {
                id_columns
                    .iter()
                    .any(|&k| cell(k).is_some_and(|c| traces.field_matches(&c)))
                    || record
                        .iter()
                        .any(|c| traces.holds_value(&String::from_utf8_lossy(c)))
            };
            if hit {
                removed += 1;
            } else {
                w.write_byte_record(&record).map_err(|_| CsvOrIo::Csv)?;
            }
        }
        let inner = w.into_inner().map_err(|_| CsvOrIo::Csv)?;
        finish(inner, &tmp, path, removed).map_err(CsvOrIo::Io)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_json_lines_and_documents_with_a_trace_go() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("campaign/c1")).unwrap();
        std::fs::write(
            root.join("campaign/braze.csv"),
            "external_id,body\nC17,\"Hi Zoe,\nhello\"\nC170,\"Hi Al\"\nC18,\"our C17 kettle\"\n",
        )
        .unwrap();
        std::fs::write(
            root.join("campaign/c1/messages.jsonl"),
            "{\"customer_id\":\"C17\",\"n\":1}\n{\"customer_id\":\"C18\",\"n\":17,\"product\":\"C17\"}\n",
        )
        .unwrap();
        std::fs::write(root.join("report.html"), "<td>C17</td>").unwrap();
        std::fs::write(root.join("notes.md"), "nothing here").unwrap();
        std::fs::create_dir_all(root.join("data")).unwrap();
        std::fs::write(root.join("data/keep.csv"), "customer_id\nC17\n").unwrap();
        let traces = Traces::new(["C17".to_owned()]);
        let done = scrub_tree(root, &[root.join("data")], &traces).unwrap();
        let paths: Vec<(&str, u64, bool)> = done
            .iter()
            .map(|f| (f.path.as_str(), f.records_removed, f.removed))
            .collect();
        assert_eq!(
            paths,
            [
                ("campaign/braze.csv", 1, false),
                ("campaign/c1/messages.jsonl", 1, false),
                ("report.html", 0, true)
            ]
        );
        let braze = std::fs::read_to_string(root.join("campaign/braze.csv")).unwrap();
        assert_eq!(braze, "external_id,body\nC170,Hi Al\nC18,our C17 kettle\n");
        let lines = std::fs::read_to_string(root.join("campaign/c1/messages.jsonl")).unwrap();
        assert_eq!(
            lines,
            "{\"customer_id\":\"C18\",\"n\":17,\"product\":\"C17\"}\n"
        );
        assert!(root.join("notes.md").exists() && root.join("data/keep.csv").exists());
        // A second run finds nothing.
        assert!(
            scrub_tree(root, &[root.join("data")], &traces)
                .unwrap()
                .is_empty()
        );
    }
}
