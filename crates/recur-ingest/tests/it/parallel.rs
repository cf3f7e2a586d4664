//! CSV parsed in chunks on several threads gives exactly what one reader gives: the same
//! accounting, the same quarantine file bytes and the same stored Parquet bytes.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use recur_core::Table;
use recur_ingest::{ImportOptions, ImportReport, ImportRequest, Mapping, NoProgress, import_with};

use crate::{Env, ORDERS_HEADER};

/// Every file under `dir` but the manifest (which holds the time of the import) and the
/// quarantine files (which name the temporary source folder; compared without it), by path.
fn stored_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if !["manifest", "quarantine"]
                .iter()
                .any(|n| path.to_string_lossy().contains(n))
            {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// A quarantine file's text with the source folder (a temporary one) left out.
fn quarantine_text(path: Option<std::path::PathBuf>, env: &Env) -> Option<String> {
    let text = String::from_utf8(std::fs::read(path?).unwrap()).unwrap();
    Some(text.replace(&env.dir.path().display().to_string(), "<dir>"))
}

/// The first line where two texts differ, for a short failure message.
fn first_difference(a: &Option<String>, b: &Option<String>) -> String {
    let (a, b) = (a.as_deref().unwrap_or(""), b.as_deref().unwrap_or(""));
    a.lines().zip(b.lines()).find(|(x, y)| x != y).map_or_else(
        || format!("{} vs {} lines", a.lines().count(), b.lines().count()),
        |(x, y)| format!("{x}\n  vs\n{y}"),
    )
}

/// What a run gives: accounting per import, quarantine text per import, the store's files.
type Outcome = (Vec<String>, Vec<Option<String>>, BTreeMap<String, Vec<u8>>);

/// Imports `files` in turn into a fresh store with `options`: the reports' accounting and
/// quarantine bytes, and the store's files.
fn run(files: &[(&str, &[u8])], options: ImportOptions) -> Outcome {
    let env = Env::new();
    let mut accounting = Vec::new();
    let mut quarantine = Vec::new();
    for (name, bytes) in files {
        let path = env.file(name, bytes);
        let req = ImportRequest {
            table: Table::Orders,
            path,
            format: None,
            mapping: Mapping::default(),
            mapping_label: "test".into(),
        };
        let r: ImportReport = import_with(&env.store, &req, &NoProgress, &options).unwrap();
        accounting.push(serde_json::to_string(&r.accounting).unwrap());
        quarantine.push(quarantine_text(r.quarantine_file, &env));
    }
    (accounting, quarantine, stored_files(env.store.root()))
}

/// Malformed orders: quoted newlines, CRLF and LF, blank lines, bad and ragged rows, invalid
/// UTF-8, a stray quote, duplicates within the file and of an earlier import.
fn malformed(rows: usize, seed: usize) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"\xef\xbb\xbf");
    out.extend_from_slice(ORDERS_HEADER.replace('\n', "\r\n").as_bytes());
    for i in 0..rows {
        let k = i * 7 + seed;
        let day = 1 + k % 28;
        let eol: &[u8] = if k.is_multiple_of(3) { b"\r\n" } else { b"\n" };
        match k % 11 {
            0 => write!(
                out,
                "\"o{i}\",c{},2024-02-{day:02} 10:00:00,\"p\n{}\nx\",1,2.5,EUR",
                k % 5,
                k % 4
            ),
            1 => write!(out, "o{i},c1,not a date,p1,1,2.5,EUR"),
            2 => write!(out, "o{i},c1,2024-02-{day:02},p1"),
            3 => write!(out, "o{},c1,2024-02-01 10:00:00,p1,1,2.5,EUR", i % 4),
            4 => write!(out, "o{i},c\"2,2024-03-{day:02},\"p,\"\"q\"\"\",2,-1,EUR"),
            5 => {
                out.extend_from_slice(b"o\xff,c1,2024-02-01,p1,1,2.5,EUR");
                Ok(())
            }
            6 => write!(out, "\n\no{i},c2,2024-04-{day:02},p2,3,1.25,EUR"),
            _ => write!(
                out,
                "o{i},c{},2024-0{}-{day:02} 08:30:00,p{},{},{}.99,EUR",
                k % 9,
                1 + k % 9,
                k % 13,
                1 + k % 3,
                k % 50
            ),
        }
        .unwrap();
        out.extend_from_slice(eol);
    }
    out
}

fn options(threads: usize, chunk_bytes: usize) -> ImportOptions {
    ImportOptions {
        threads,
        chunk_bytes,
    }
}

#[test]
fn chunked_parallel_import_is_byte_identical_to_one_reader() {
    let first = malformed(400, 0);
    let mut second = malformed(400, 0);
    second.truncate(second.len() / 2);
    second.extend_from_slice(&malformed(300, 5)[3..]);
    let files: [(&str, &[u8]); 2] = [("a.csv", &first), ("b.csv", &second)];
    let one = run(&files, options(1, 1 << 20));
    assert!(one.1[0].is_some(), "the fixture quarantines rows");
    assert!(
        one.2.keys().any(|k| k.ends_with(".parquet")),
        "{:?}",
        one.2.keys()
    );
    assert!(
        one.0[1].contains("identical_row_already_stored"),
        "{}",
        one.0[1]
    );
    assert!(
        one.0[0].contains("identical_row_earlier_in_file"),
        "{}",
        one.0[0]
    );
    for (threads, chunk) in [(2, 1), (3, 7), (4, 64), (3, 1000), (0, 4096)] {
        let many = run(&files, options(threads, chunk));
        assert_eq!(
            many.0, one.0,
            "accounting, {threads} threads, chunks of {chunk}"
        );
        assert_eq!(
            many.1, one.1,
            "quarantine, {threads} threads, chunks of {chunk}"
        );
        assert_eq!(
            many.2.keys().collect::<Vec<_>>(),
            one.2.keys().collect::<Vec<_>>(),
            "stored files, {threads} threads, chunks of {chunk}"
        );
        for (path, bytes) in &many.2 {
            assert!(
                one.2[path] == *bytes,
                "stored bytes of {path}, {threads} threads, chunks of {chunk}"
            );
        }
    }
}

#[test]
fn gzip_and_edge_cases_read_in_chunks_match_one_reader() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&malformed(300, 3)).unwrap();
    let gz = gz.finish().unwrap();
    let no_trailing_newline = format!(
        "{ORDERS_HEADER}o1,c1,2024-01-01,p1,1,2,EUR\n\"o2\",c1,2024-01-02,\"p\n2\",1,2,EUR"
    );
    let cases: [(&str, &[u8]); 6] = [
        ("orders.csv.gz", &gz),
        ("header-only.csv", ORDERS_HEADER.as_bytes()),
        ("bom-header-only.csv", b"\xef\xbb\xbforder_id,customer_id,ordered_at,product_id,quantity,unit_price,currency\r\n"),
        ("no-newline.csv", no_trailing_newline.as_bytes()),
        ("blank-first.csv", b"\n\n\r\n"),
        ("unclosed.csv", b"order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency\no1,\"c1,2024-01-01,p1,1,2,EUR\no2,c1,2024-01-02,p1,1,2,EUR\n"),
    ];
    for (name, bytes) in cases {
        let env_one = Env::new();
        let env_many = Env::new();
        let import = |env: &Env, o: ImportOptions| {
            let req = ImportRequest {
                table: Table::Orders,
                path: env.file(name, bytes),
                format: None,
                mapping: Mapping::default(),
                mapping_label: "test".into(),
            };
            import_with(&env.store, &req, &NoProgress, &o).map(|r| {
                (
                    serde_json::to_string(&r.accounting).unwrap(),
                    quarantine_text(r.quarantine_file, env),
                )
            })
        };
        let one = import(&env_one, options(1, 1 << 20));
        let many = import(&env_many, options(3, 2));
        match (&one, &many) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.0, b.0, "{name}");
                assert!(a.1 == b.1, "{name}: {}", first_difference(&a.1, &b.1));
                assert!(
                    stored_files(env_one.store.root()) == stored_files(env_many.store.root()),
                    "{name}"
                );
            }
            (Err(a), Err(b)) => assert_eq!(
                a.to_string()
                    .replace(&env_one.dir.path().display().to_string(), ""),
                b.to_string()
                    .replace(&env_many.dir.path().display().to_string(), ""),
                "{name}"
            ),
            _ => panic!("{name}: {:?} vs {:?}", one.err(), many.err()),
        }
    }
}
