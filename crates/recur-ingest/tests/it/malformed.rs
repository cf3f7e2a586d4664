//! Malformed input: exact errors, quarantine lines and accounting.

use recur_core::Table;
use recur_ingest::{Error, Mapping};

use crate::{Env, ORDERS_HEADER};

#[test]
fn missing_column_names_found_columns_and_mapping() {
    let env = Env::new();
    let f = env.file("o.csv", "Invoice,customer_id,ordered_at,product_id,quantity,unit_price,currency\n1,c,2024-01-01,p,1,2,EUR\n");
    let err = env
        .import(Table::Orders, &f, Mapping::default())
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::MissingColumns { .. }), "{msg}");
    assert!(
        msg.contains("lacks column `order_id` (for `order_id`)"),
        "{msg}"
    );
    assert!(
        msg.contains("Columns found: `Invoice`, `customer_id`"),
        "{msg}"
    );
    assert!(msg.contains("order_id = \""), "{msg}");
    // Nothing was stored.
    assert!(env.store.manifest().unwrap().imports.is_empty());
}

#[test]
fn a_customers_file_without_a_header_is_never_printed() {
    let env = Env::new();
    let f = env.file(
        "customers.csv",
        "C00017,canary.mail@example.com,Canaryname Zed,+44 20 7946 0017,17 Canary Wharf,GB,en,2024-01-02\n\
         C00018,other@example.com,Other Person,+44 20 7946 0018,18 Other Road,GB,en,2024-01-03\n",
    );
    let err = env
        .import(Table::Customers, &f, Mapping::default())
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::MissingColumns { .. }), "{msg}");
    for canary in ["canary", "C00017", "7946", "example.com", "Zed"] {
        assert!(
            !msg.to_lowercase().contains(&canary.to_lowercase()),
            "{canary} in {msg}"
        );
    }
    assert!(msg.contains("looks like data, not a header"), "{msg}");
    assert!(msg.contains("customer_id = 1"), "{msg}");
}

#[test]
fn quarantined_rows_that_look_like_formulas_stay_text() {
    let env = Env::new();
    let body = format!(
        "{ORDERS_HEADER}\
         =HYPERLINK(\"http://x\"),c1,2024-01-01 10:00:00,p1,two,9.5,EUR\n\
         o2,c1,2024-01-02 10:00:00,p1,1,9.5,EUR\n"
    );
    let f = env.file("o.csv", body);
    let r = env.import(Table::Orders, &f, Mapping::default()).unwrap();
    assert_eq!(r.accounting.quarantined, 1);
    let q = std::fs::read_to_string(r.quarantine_file.as_ref().unwrap()).unwrap();
    let mut rdr = csv::Reader::from_reader(q.as_bytes());
    let row = rdr.records().next().unwrap().unwrap();
    assert!(row[5].starts_with("'=HYPERLINK("), "{q}");
    for cell in &row {
        assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell:?} in {q}");
    }
}

#[test]
fn bad_rows_are_quarantined_with_line_column_and_reason() {
    let env = Env::new();
    let body = format!(
        "{ORDERS_HEADER}\
         o1,c1,2024-01-01 10:00:00,p1,2,9.5,EUR\n\
         o2,c1,2024-01-02 10:00:00,p1,two,9.5,EUR\n\
         o3,c1,yesterday,p1,1,9.5,EUR\n\
         o4,c1,2024-01-03 10:00:00,p1,1\n\
         ,c1,2024-01-03 10:00:00,p1,1,9.5,EUR\n\
         o6,c2,2024-01-04 10:00:00,p2,1,abc,EUR\n\
         o7,c2,2024-01-05 10:00:00,p2,1,-3,EUR\n\
         o1,c1,2024-01-01 10:00:00,p1,2,9.5,EUR\n"
    );
    let f = env.file("o.csv", body);
    let r = env.import(Table::Orders, &f, Mapping::default()).unwrap();
    let a = &r.accounting;
    assert_eq!(
        (a.read, a.imported, a.quarantined, a.duplicates),
        (8, 1, 6, 1)
    );
    assert!(a.is_balanced());
    assert_eq!(a.by_reason.quarantined.get("bad_number"), Some(&2));
    assert_eq!(a.by_reason.quarantined.get("bad_date"), Some(&1));
    assert_eq!(a.by_reason.quarantined.get("ragged_row"), Some(&1));
    assert_eq!(a.by_reason.quarantined.get("missing_value"), Some(&1));
    assert_eq!(a.by_reason.quarantined.get("negative_price"), Some(&1));
    assert_eq!(
        a.by_reason.duplicates.get("identical_row_earlier_in_file"),
        Some(&1)
    );
    let q = env.quarantine(&r);
    assert_eq!(
        q,
        vec![
            (3, "quantity".into(), "bad_number".into()),
            (4, "ordered_at".into(), "bad_date".into()),
            (5, String::new(), "ragged_row".into()),
            (6, "order_id".into(), "missing_value".into()),
            (7, "unit_price".into(), "bad_number".into()),
            (8, "unit_price".into(), "negative_price".into()),
        ]
    );
}

#[test]
fn quoted_newlines_keep_line_numbers_and_bom_is_stripped() {
    let env = Env::new();
    let body = "\u{feff}order_id,customer_id,ordered_at,product_id,product_title,quantity,unit_price,currency\n\
                o1,c1,2024-01-01,p1,\"two\nline title\",1,1,EUR\n\
                o2,c1,2024-01-02,p1,t,x,1,EUR\n";
    let f = env.file("o.csv", body);
    let r = env.import(Table::Orders, &f, Mapping::default()).unwrap();
    assert_eq!((r.accounting.imported, r.accounting.quarantined), (1, 1));
    // The second data row starts on physical line 4 because the first spans lines 2-3.
    assert_eq!(
        env.quarantine(&r),
        vec![(4, "quantity".into(), "bad_number".into())]
    );
}

#[test]
fn invalid_utf8_is_quarantined_and_latin1_can_be_declared() {
    let env = Env::new();
    let mut body = b"product_id,title\np1,caf".to_vec();
    body.push(0xe9);
    body.extend_from_slice(b"\np2,tea\n");
    let f = env.file("c.csv", &body);
    let r = env.import(Table::Catalog, &f, Mapping::default()).unwrap();
    assert_eq!((r.accounting.imported, r.accounting.quarantined), (1, 1));
    assert_eq!(
        env.quarantine(&r),
        vec![(2, "title".into(), "invalid_utf8".into())]
    );

    let env = Env::new();
    let f = env.file("c.csv", &body);
    let latin1 = Mapping::from_toml("encoding = \"latin1\"").unwrap();
    let r = env.import(Table::Catalog, &f, latin1).unwrap();
    assert_eq!((r.accounting.imported, r.accounting.quarantined), (2, 0));
}

#[test]
fn empty_header_only_and_utf16_files() {
    let env = Env::new();
    let empty = env.file("empty.csv", "");
    let err = env
        .import(Table::Orders, &empty, Mapping::default())
        .unwrap_err();
    assert!(matches!(err, Error::EmptyFile(_)), "{err}");
    assert!(err.to_string().contains("is empty (0 bytes)"));

    let header = env.file("header.csv", ORDERS_HEADER);
    let r = env
        .import(Table::Orders, &header, Mapping::default())
        .unwrap();
    assert_eq!(r.accounting.read, 0);

    let utf16 = env.file("u16.csv", [0xff, 0xfe, b'a', 0]);
    let err = env
        .import(Table::Orders, &utf16, Mapping::default())
        .unwrap_err();
    assert!(err.to_string().contains("UTF-16"), "{err}");
}

#[test]
fn very_long_lines_are_quarantined_with_their_length() {
    let env = Env::new();
    let long = "x".repeat(2 << 20);
    let body = format!("product_id,title\np1,{long}\np2,short\n");
    let f = env.file("c.csv", body);
    let r = env.import(Table::Catalog, &f, Mapping::default()).unwrap();
    assert_eq!((r.accounting.imported, r.accounting.quarantined), (1, 1));
    assert_eq!(
        r.accounting.by_reason.quarantined.get("line_too_long"),
        Some(&1)
    );
}

#[test]
fn ambiguous_dates_ask_for_a_format() {
    let env = Env::new();
    let f = env.file(
        "o.csv",
        format!("{ORDERS_HEADER}o1,c1,1/2/2024 10:00,p1,1,1,EUR\n"),
    );
    let r = env.import(Table::Orders, &f, Mapping::default()).unwrap();
    let q = std::fs::read_to_string(r.quarantine_file.as_ref().unwrap()).unwrap();
    assert!(q.contains("is ambiguous (day/month or month/day?)"), "{q}");
    let env = Env::new();
    let f = env.file(
        "o.csv",
        format!("{ORDERS_HEADER}o1,c1,1/2/2024 10:00,p1,1,1,EUR\n"),
    );
    let us = Mapping::from_toml("date_format = \"%m/%d/%Y %H:%M\"").unwrap();
    assert_eq!(
        env.import(Table::Orders, &f, us)
            .unwrap()
            .accounting
            .imported,
        1
    );
}

#[test]
fn bad_json_lines_and_event_rules() {
    let env = Env::new();
    let body = r#"{"customer_id":"c1","occurred_at":"2024-01-01T10:00:00Z","event_type":"view","product_id":"p1"}
{"customer_id":"c1","occurred_at":"2024-01-01T10:01:00Z","event_type":"search"}
not json

{"session_id":"s9","occurred_at":"2024-01-01T10:02:00Z","event_type":"search","search_text":"tea"}
{"occurred_at":"2024-01-01T10:03:00Z","event_type":"view","product_id":"p1"}
{"customer_id":"c1","occurred_at":"2024-01-01T10:04:00Z","event_type":"teleport","product_id":"p1"}
"#;
    let f = env.file("e.jsonl", body);
    let r = env.import(Table::Events, &f, Mapping::default()).unwrap();
    let a = &r.accounting;
    assert_eq!(
        (a.read, a.imported, a.quarantined, a.blank_lines),
        (6, 2, 4, 1)
    );
    assert_eq!(a.flags.get("anonymous_session_only"), Some(&1));
    let q = env.quarantine(&r);
    let reasons: Vec<_> = q.iter().map(|(l, _, r)| (*l, r.as_str())).collect();
    assert_eq!(
        reasons,
        vec![
            (2, "missing_value"),
            (3, "bad_json"),
            (6, "missing_value"),
            (7, "bad_event_type")
        ]
    );
}
