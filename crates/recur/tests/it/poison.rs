//! One import never poisons a workspace: edge values real exports carry ("no date" dates,
//! huge or infinite amounts, empty and odd text) are quarantined or stored so that every read
//! command afterwards answers or explains (exit 0 or 1), never fails as a bug (3) or panics.

use crate::{recur, stderr, tiny_workspace};

const EDGE_ORDERS: &str =
    "order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency,status
p1,A,0001-01-01,coffee,1,10,EUR,completed
p2,A,9999-12-31 23:59:59,coffee,1,10,EUR,completed
p3,B,1677-09-21 00:00:00,tea,1,10,EUR,completed
p4,B,2262-04-12 00:00:00,tea,1,10,EUR,completed
p5,C,2024-03-01T10:00:00Z,tea,1,1e308,EUR,completed
p6,C,2024-03-02T10:00:00Z,tea,1,inf,EUR,completed
p7,C,2024-03-03T10:00:00Z,tea,1,-inf,EUR,completed
p8,C,2024-03-04T10:00:00Z,tea,1,NaN,EUR,completed
p9,D,2024-03-05T10:00:00Z,tea,99999999999999999999,1,EUR,completed
p10,D,2024-03-06T10:00:00Z,tea,1,99999999999999.99,EUR,completed
p11,D,2024-03-07T10:00:00Z,tea,0,0,EUR,completed
p12,\"=cmd|' /C calc'!A0\",2024-03-08T10:00:00Z,\u{1F600},1,1,EUR,completed
p13,E,2024-03-09T10:00:00Z,tea,1,0.000001,EUR,returned
p14,E,1970-01-01T00:00:00Z,tea,1,1,EUR,completed
";

#[test]
fn every_read_command_answers_after_an_import_of_edge_values() {
    let dir = tiny_workspace();
    let edge = dir.path().join("edge.csv");
    std::fs::write(&edge, EDGE_ORDERS).unwrap();
    let o = recur(
        dir.path(),
        &[
            "import",
            "orders",
            "--file",
            edge.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let commands: &[&[&str]] = &[
        &["analyze"],
        &["analyze", "--json"],
        &["analyze", "--customer", "C"],
        &["analyze", "--customer", "=cmd|' /C calc'!A0"],
        &["clv", "fit"],
        &["clv", "fit", "--json"],
        &["clv", "predict", "--json"],
        &["clv", "evaluate", "--holdout-days", "90", "--json"],
        &[
            "sql",
            "SELECT sum(amount) AS s, min(ordered_at) AS t FROM orders",
        ],
        &["sql", "SELECT * FROM customer_value"],
        &["import", "list", "--json"],
    ];
    for args in commands {
        let o = recur(dir.path(), args);
        let code = o.status.code();
        assert!(
            matches!(code, Some(0) | Some(1)),
            "`recur {}` exited {code:?}: {}",
            args.join(" "),
            stderr(&o)
        );
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
}
