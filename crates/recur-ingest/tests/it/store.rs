//! Idempotent re-import, appends, and atomicity under failure.

use std::io::Write;

use recur_core::Table;
use recur_ingest::{Error, Mapping};

use crate::{Env, ORDERS_HEADER};

fn orders(rows: std::ops::Range<u32>) -> String {
    let mut s = ORDERS_HEADER.to_owned();
    for i in rows {
        s.push_str(&format!(
            "o{i},c{},2024-0{}-1{} 10:00:00,p{},1,{}.5,EUR\n",
            i % 7,
            1 + i % 3,
            i % 9,
            i % 5,
            i % 20
        ));
    }
    s
}

#[test]
fn reimport_is_a_no_op_and_appends_add_only_new_rows() {
    let env = Env::new();
    let first = env.file("a.csv", orders(0..50));
    let r1 = env
        .import(Table::Orders, &first, Mapping::default())
        .unwrap();
    assert_eq!(r1.accounting.imported, 50);
    let before = env.store.manifest().unwrap();

    let again = env
        .import(Table::Orders, &first, Mapping::default())
        .unwrap();
    assert!(again.already_imported);
    assert_eq!(again.import_id, r1.import_id);
    assert_eq!(
        env.store.manifest().unwrap(),
        before,
        "a re-import must not change the manifest"
    );

    // An overlapping export: rows 40..80, of which 40..50 are already stored.
    let second = env.file("b.csv", orders(40..80));
    let r2 = env
        .import(Table::Orders, &second, Mapping::default())
        .unwrap();
    assert_eq!(
        (
            r2.accounting.read,
            r2.accounting.imported,
            r2.accounting.duplicates
        ),
        (40, 30, 10)
    );
    assert_eq!(
        r2.accounting
            .by_reason
            .duplicates
            .get("identical_row_already_stored"),
        Some(&10)
    );
    let m = env.store.manifest().unwrap();
    assert_eq!(m.imports.len(), 2);
    assert_eq!(m.files_of(Table::Orders).map(|f| f.rows).sum::<u64>(), 80);
}

#[test]
fn a_failing_import_leaves_the_previous_state() {
    let env = Env::new();
    let good = env.file("good.csv", orders(0..20));
    env.import(Table::Orders, &good, Mapping::default())
        .unwrap();
    let before = env.store.manifest().unwrap();
    let files_before = env.store.table_files(Table::Orders).unwrap();

    // A gzip file cut off mid-stream: rows are staged, then reading fails.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(orders(100..20_000).as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let cut = env.file("cut.csv.gz", &bytes[..bytes.len() / 2]);
    let err = env
        .import(Table::Orders, &cut, Mapping::default())
        .unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("nothing was imported"), "{err}");
    assert_eq!(env.store.manifest().unwrap(), before);
    assert_eq!(env.store.table_files(Table::Orders).unwrap(), files_before);
    for f in &files_before {
        assert!(f.exists());
    }
}

#[test]
fn leftovers_of_a_crash_are_ignored_and_swept() {
    let env = Env::new();
    let good = env.file("good.csv", orders(0..10));
    env.import(Table::Orders, &good, Mapping::default())
        .unwrap();
    // Simulate a crash after files were moved into place but before the manifest was replaced,
    // and one during staging.
    let root = env.store.root();
    let orphan = root.join("orders/month=2024-01/i0009-0.parquet");
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"half-written").unwrap();
    std::fs::create_dir_all(root.join(".staging/i0008")).unwrap();
    std::fs::write(root.join(".staging/i0008/part-0.parquet"), b"partial").unwrap();
    // Readers only see manifest files.
    assert!(
        !env.store
            .table_files(Table::Orders)
            .unwrap()
            .contains(&orphan)
    );
    // The next import sweeps the leftovers and succeeds.
    let next = env.file("next.csv", orders(10..20));
    let r = env
        .import(Table::Orders, &next, Mapping::default())
        .unwrap();
    assert_eq!(r.accounting.imported, 10);
    assert!(!orphan.exists());
    assert!(!root.join(".staging").exists());
}
