//! Values storage and analytics cannot represent are quarantined, never stored; a quarantined
//! row is kept whole; the mapping takes part in an import's identity.

use recur_core::Table;
use recur_ingest::Mapping;

use crate::{Env, ORDERS_HEADER};

#[test]
fn out_of_range_money_and_dates_are_quarantined_with_a_reason() {
    let env = Env::new();
    let rows = [
        "o1,c1,2024-01-10 10:00:00,p1,1,10.5,EUR",
        "o2,c1,0001-01-01,p1,1,10.5,EUR",
        "o3,c2,9999-12-31 23:59:59,p1,1,10.5,EUR",
        "o4,c2,2024-01-11 10:00:00,p1,1,1e308,EUR",
        "o5,c3,2024-01-12 10:00:00,p1,1,inf,EUR",
        "o6,c3,2024-01-12 10:00:00,p1,9000000000000,5000,EUR",
        "o7,c3,2024-01-13 10:00:00,p1,2,3.25,EUR",
    ];
    let path = env.file("o.csv", format!("{ORDERS_HEADER}{}\n", rows.join("\n")));
    let r = env
        .import(Table::Orders, &path, Mapping::default())
        .unwrap();
    assert_eq!((r.accounting.read, r.accounting.imported), (7, 2));
    let q = env.quarantine(&r);
    let reasons: Vec<(u64, &str)> = q.iter().map(|(l, _, why)| (*l, why.as_str())).collect();
    assert_eq!(
        reasons,
        [
            (3, "date_out_of_range"),
            (4, "date_out_of_range"),
            (5, "out_of_range"),
            (6, "bad_number"),
            (7, "out_of_range"),
        ]
    );
}

#[test]
fn unix_epochs_that_overflow_are_quarantined_not_a_panic() {
    let env = Env::new();
    let path = env.file(
        "o.csv",
        format!(
            "{ORDERS_HEADER}o1,c1,1700000000,p1,1,2.5,EUR\no2,c1,9223372036854775807,p1,1,2.5,EUR\n"
        ),
    );
    let mapping = Mapping {
        date_format: Some("unix".into()),
        ..Mapping::default()
    };
    let r = env.import(Table::Orders, &path, mapping).unwrap();
    assert_eq!(r.accounting.imported, 1);
    assert_eq!(env.quarantine(&r)[0].2, "date_out_of_range");
}

#[test]
fn a_long_quarantined_row_is_kept_whole() {
    let env = Env::new();
    let long_title = "x".repeat(10_000);
    let row = format!("o1,c1,not a date,p-{long_title},1,2.5,EUR");
    let path = env.file("o.csv", format!("{ORDERS_HEADER}{row}\n"));
    let r = env
        .import(Table::Orders, &path, Mapping::default())
        .unwrap();
    let q = r.quarantine_file.clone().unwrap();
    let mut rdr = csv::Reader::from_path(q).unwrap();
    let rec = rdr.records().next().unwrap().unwrap();
    assert_eq!(&rec[5], row.as_str());
}

#[test]
fn the_same_file_with_a_fixed_mapping_is_imported_again() {
    let env = Env::new();
    let path = env.file(
        "o.csv",
        format!("{ORDERS_HEADER}o1,c1,10/01/2024,p1,1,2.5,EUR\no2,c1,11/01/2024,p1,1,2.5,EUR\n"),
    );
    let first = env
        .import(Table::Orders, &path, Mapping::default())
        .unwrap();
    assert_eq!(
        first.accounting.imported, 0,
        "day-first dates need date_format"
    );
    let fixed = Mapping {
        date_format: Some("%d/%m/%Y".into()),
        ..Mapping::default()
    };
    let second = env.import(Table::Orders, &path, fixed.clone()).unwrap();
    assert!(!second.already_imported);
    assert_eq!(second.accounting.imported, 2);
    // The same mapping again is recognised.
    let third = env.import(Table::Orders, &path, fixed).unwrap();
    assert!(third.already_imported);
}
