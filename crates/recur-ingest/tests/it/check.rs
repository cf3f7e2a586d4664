//! `check` and `check_bytes`: the import's classification of every row, storing and writing
//! nothing, the same from a file as from the same bytes in memory.

use std::io::Write;

use recur_core::Table;
use recur_ingest::{ImportRequest, Mapping, check, check_bytes};

use crate::{Env, testdata};

fn request(table: Table, path: &std::path::Path, mapping: Mapping) -> ImportRequest {
    ImportRequest {
        table,
        path: path.to_owned(),
        format: None,
        mapping,
        mapping_label: "test".into(),
    }
}

/// Every file below and everything in the test folder, by name and size.
fn listing(env: &Env) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![env.dir.path().to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                out.push((entry.path().display().to_string(), meta.len()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_check_counts_rows_as_the_import_does_from_a_file_or_from_memory_and_writes_nothing() {
    let env = Env::new();
    let retail = std::fs::read(testdata("online-retail-sample.csv")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&retail).unwrap();
    let events = concat!(
        r#"{"event_id":"e1","customer_id":"A","event_type":"view","product_id":"p1","occurred_at":"2024-01-02T10:00:00Z"}"#,
        "\n",
        r#"{"event_id":"e2","customer_id":"A","event_type":"teleport","product_id":"p1","occurred_at":"2024-01-02T10:00:00Z"}"#,
        "\nnot json\n\n",
        r#"{"event_id":"e1","customer_id":"A","event_type":"view","product_id":"p1","occurred_at":"2024-01-02T10:00:00Z"}"#,
        "\n",
    );
    let retail_mapping = || Mapping::preset("online-retail", Table::Orders).unwrap();
    let cases = [
        (
            Table::Orders,
            env.file("retail.csv", &retail),
            retail_mapping(),
        ),
        (
            Table::Orders,
            env.file("retail.csv.gz", gz.finish().unwrap()),
            retail_mapping(),
        ),
        (
            Table::Events,
            env.file("events.jsonl", events),
            Mapping::default(),
        ),
    ];
    for (table, path, mapping) in cases {
        let req = request(table, &path, mapping.clone());
        let before = listing(&env);
        let from_file = check(&req).unwrap();
        let from_memory = check_bytes(&req, &std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(listing(&env), before, "a check wrote a file");
        assert_eq!(from_file, from_memory, "{}", path.display());
        // Into an empty store, so no row is a duplicate of an earlier case's.
        let imported = Env::new().import(table, &path, mapping).unwrap();
        assert_eq!(from_file, imported.accounting, "{}", path.display());
        assert!(
            from_file.quarantined > 0 || table == Table::Orders,
            "{from_file:?}"
        );
    }

    // A damaged Parquet file is the same error either way, never a panic.
    let damaged = testdata("fuzz/parquet-dictionary-bit-width.parquet");
    let req = request(Table::Orders, &damaged, Mapping::default());
    let from_file = check(&req).unwrap_err();
    let from_memory = check_bytes(&req, &std::fs::read(&damaged).unwrap()).unwrap_err();
    assert!(
        matches!(from_file, recur_ingest::Error::Corrupt { .. }),
        "{from_file:?}"
    );
    assert_eq!(from_file.to_string(), from_memory.to_string());
    // Nothing in memory is an empty file.
    let empty = check_bytes(&request(Table::Orders, &damaged, Mapping::default()), b"");
    assert!(
        matches!(empty, Err(recur_ingest::Error::EmptyFile(_))),
        "{empty:?}"
    );
}
