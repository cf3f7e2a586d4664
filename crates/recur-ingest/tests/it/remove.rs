//! Undoing an import: rows, quarantine file and accounting go; ids are never reused.

use recur_core::Table;
use recur_ingest::{Error, Mapping};

use crate::{Env, ORDERS_HEADER};

fn orders(ids: std::ops::Range<u32>, bad: bool) -> String {
    let mut s = ORDERS_HEADER.to_owned();
    for i in ids {
        s.push_str(&format!(
            "o{i},c{},2024-01-1{} 10:00:00,p1,1,2.5,EUR\n",
            i % 4,
            i % 9
        ));
    }
    if bad {
        s.push_str("ox,c1,not a date,p1,1,2.5,EUR\n");
    }
    s
}

fn stored_rows(env: &Env) -> u64 {
    env.store
        .manifest()
        .unwrap()
        .files
        .iter()
        .map(|f| f.rows)
        .sum()
}

#[test]
fn removing_an_import_takes_its_rows_and_quarantine_and_keeps_the_others() {
    let env = Env::new();
    let a = env.file("a.csv", orders(0..20, false));
    let b = env.file("b.csv", orders(100..130, true));
    let ra = env.import(Table::Orders, &a, Mapping::default()).unwrap();
    let rb = env.import(Table::Orders, &b, Mapping::default()).unwrap();
    assert_eq!(stored_rows(&env), 50);
    let quarantine = rb.quarantine_file.clone().unwrap();
    assert!(quarantine.exists());

    let removal = env.store.remove_import(&rb.import_id).unwrap();
    assert_eq!(removal.removed.rows_removed, 30);
    assert_eq!(removal.removed.import.id, rb.import_id);
    assert!(removal.removed.files_removed >= 1);
    assert!(removal.later_imports_with_duplicates.is_empty());
    assert_eq!(stored_rows(&env), 20);
    assert!(
        !quarantine.exists(),
        "the quarantine file goes with its import"
    );
    let manifest = env.store.manifest().unwrap();
    assert_eq!(manifest.imports.len(), 1);
    assert_eq!(manifest.imports[0].id, ra.import_id);
    assert_eq!(manifest.removed_imports.len(), 1);
    for f in &manifest.files {
        assert!(env.store.root().join(&f.path).exists());
        assert_eq!(f.import_id, ra.import_id);
    }

    // The same file can be imported again (it is no longer "already imported"), under a new id.
    let again = env.import(Table::Orders, &b, Mapping::default()).unwrap();
    assert!(!again.already_imported);
    assert_eq!(again.accounting.imported, 30);
    assert_ne!(again.import_id, rb.import_id, "ids are never reused");
    assert_eq!(again.import_id, "i0003");
    assert_eq!(stored_rows(&env), 50);
}

#[test]
fn unknown_ids_are_a_user_error_and_later_duplicates_are_reported() {
    let env = Env::new();
    let err = env.store.remove_import("i0001").unwrap_err();
    assert!(matches!(err, Error::NoSuchImport { .. }), "{err:?}");
    assert!(err.is_user_error());
    assert!(err.to_string().contains("recur import list"), "{err}");

    let a = env.file("a.csv", orders(0..20, false));
    let b = env.file("b.csv", orders(10..30, false));
    let ra = env.import(Table::Orders, &a, Mapping::default()).unwrap();
    let rb = env.import(Table::Orders, &b, Mapping::default()).unwrap();
    assert_eq!(rb.accounting.duplicates, 10);
    let removal = env.store.remove_import(&ra.import_id).unwrap();
    // o10..o19 were stored by the first import only: the report names the later import.
    assert_eq!(
        removal.later_imports_with_duplicates,
        vec![rb.import_id.clone()]
    );
    assert_eq!(stored_rows(&env), 10);
    let err = env.store.remove_import(&ra.import_id).unwrap_err();
    assert!(err.to_string().contains(&rb.import_id), "{err}");
}
