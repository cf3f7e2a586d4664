//! Erasure and retention: the customers' rows and quarantined lines go, nothing else changes,
//! a second run is a no-op, and no stored byte keeps a trace.

use std::collections::BTreeSet;
use std::path::Path;

use arrow::array::{Array, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use recur_core::{Table, Traces};
use recur_ingest::Mapping;

use crate::{Env, ORDERS_HEADER};

const CANARY_ID: &str = "C-CANARY-17";
const CANARY_MAIL: &str = "zoe.canary@example.org";

fn seeded() -> Env {
    let env = Env::new();
    let mut orders = ORDERS_HEADER.to_owned();
    for i in 0..40 {
        let customer = if i % 10 == 3 {
            CANARY_ID.to_owned()
        } else {
            format!("c{}", i % 6)
        };
        orders.push_str(&format!(
            "o{i},{customer},2024-0{}-1{} 10:00:00,p{},1,{}.5,EUR\n",
            1 + i % 3,
            i % 9,
            i % 5,
            1 + i % 20
        ));
    }
    // Quarantined: a bad date on one of the canary's lines and on someone else's.
    orders.push_str(&format!("bad1,{CANARY_ID},not a date,p1,1,2.5,EUR\n"));
    orders.push_str("bad2,c1,not a date,p1,1,2.5,EUR\n");
    let path = env.file("orders.csv", orders);
    env.import(Table::Orders, &path, Mapping::default())
        .unwrap();
    let customers = format!(
        "customer_id,email,name,phone,country\n\
         {CANARY_ID},{CANARY_MAIL},Zoe Canary,+44 7700 900123,GB\n\
         c1,c1@example.org,Ann One,,FR\n\
         c2,c2@example.org,Bo Two,+33 1 23 45 67 89,DE\n\
         c3,family@example.org,Cy Three,+33 1 23 45 67 89,FR\n\
         c4,family@example.org,Di Four,,FR\n"
    );
    let path = env.file("customers.csv", customers);
    env.import(Table::Customers, &path, Mapping::default())
        .unwrap();
    env
}

/// Every string value of every listed file of the store, plus the quarantine files' text.
fn stored_text(env: &Env) -> String {
    let manifest = env.store.manifest().unwrap();
    let mut out = String::new();
    for f in &manifest.files {
        let file = std::fs::File::open(env.store.root().join(&f.path)).unwrap();
        for batch in ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
        {
            let batch = batch.unwrap();
            for col in batch.columns() {
                if let Some(s) = col.as_any().downcast_ref::<StringArray>() {
                    for v in s.iter().flatten() {
                        out.push_str(v);
                        out.push('\n');
                    }
                }
            }
        }
    }
    for entry in walk(env.store.root()) {
        if entry.extension().is_some_and(|e| e == "csv" || e == "json") {
            out.push_str(&std::fs::read_to_string(&entry).unwrap());
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn rows(env: &Env, table: Table) -> u64 {
    env.store
        .manifest()
        .unwrap()
        .files_of(table)
        .map(|f| f.rows)
        .sum()
}

#[test]
fn erasure_removes_the_customers_rows_and_quarantined_lines_only() {
    let env = seeded();
    assert!(stored_text(&env).contains(CANARY_ID));
    let (orders_before, customers_before) =
        (rows(&env, Table::Orders), rows(&env, Table::Customers));

    let ids: BTreeSet<String> = [CANARY_ID.to_owned()].into();
    let values = env.store.personal_values(&ids).unwrap();
    assert!(values.iter().any(|v| v == CANARY_MAIL), "{values:?}");
    // A value another customer shares marks nobody: c3's e-mail is c4's too, c3's phone c2's.
    let shared = env
        .store
        .personal_values(&["c3".to_owned()].into())
        .unwrap();
    assert!(shared.is_empty(), "{shared:?}");
    let traces = Traces::new(ids.clone()).with_values(values);
    let record = env.store.erase_customers(&traces).unwrap();

    assert_eq!(record.rows_removed.get("orders"), Some(&4));
    assert_eq!(record.rows_removed.get("customers"), Some(&1));
    assert_eq!(record.quarantine_rows_removed, 1);
    assert_eq!(rows(&env, Table::Orders), orders_before - 4);
    assert_eq!(rows(&env, Table::Customers), customers_before - 1);
    let text = stored_text(&env);
    for canary in [CANARY_ID, CANARY_MAIL, "Zoe Canary", "7700 900123"] {
        assert!(!text.contains(canary), "`{canary}` is still stored");
    }
    // Everyone else is intact, the other quarantined line included.
    assert!(text.contains("c1@example.org") && text.contains("bad2"));
    let manifest = env.store.manifest().unwrap();
    assert_eq!(manifest.erasures.len(), 1);
    let audit = serde_json::to_string(&manifest.erasures).unwrap();
    assert!(
        !audit.contains(CANARY_ID),
        "the audit keeps counts only: {audit}"
    );

    // Idempotent: nothing left to erase, nothing rewritten, no second record.
    let again = env.store.erase_customers(&traces).unwrap();
    assert!(again.is_noop());
    assert_eq!(env.store.manifest().unwrap(), manifest);

    // Re-importing the same file is recognised as already imported: nothing comes back.
    let report = env
        .import(
            Table::Orders,
            &env.dir.path().join("orders.csv"),
            Mapping::default(),
        )
        .unwrap();
    assert!(report.already_imported);
    assert!(!stored_text(&env).contains(CANARY_ID));
}

#[test]
fn retention_clears_personal_fields_and_keeps_the_rows() {
    let env = seeded();
    let ids: BTreeSet<String> = ["c1".to_owned()].into();
    let record = env.store.clear_personal_fields(&ids).unwrap();
    assert_eq!(record.fields_cleared, 1);
    assert!(record.rows_removed.values().all(|&n| n == 0));
    let text = stored_text(&env);
    assert!(!text.contains("c1@example.org") && !text.contains("Ann One"));
    assert!(text.contains("c2@example.org") && text.contains(CANARY_MAIL));
    assert_eq!(rows(&env, Table::Customers), 5);
    assert!(env.store.clear_personal_fields(&ids).unwrap().is_noop());
}
