//! `recur sql`: the user's own read-only SQL over the workspace.

use crate::{recur, stderr, stdout, tiny_workspace};

#[test]
fn rfm_segments_by_sql_match_the_analysis() {
    let dir = tiny_workspace();
    let o = recur(
        dir.path(),
        &[
            "sql",
            "SELECT segment, count(*) AS customers FROM rfm GROUP BY segment",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let a = recur(dir.path(), &["analyze", "--json"]);
    let analysis: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    let expected: Vec<(String, i64)> = analysis["rfm_segments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["customers"].as_i64().unwrap() > 0)
        .map(|s| {
            (
                s["segment"].as_str().unwrap().to_owned(),
                s["customers"].as_i64().unwrap(),
            )
        })
        .collect();
    let mut got: Vec<(String, i64)> = rows
        .iter()
        .map(|r| {
            (
                r["segment"].as_str().unwrap().to_owned(),
                r["customers"].as_i64().unwrap(),
            )
        })
        .collect();
    got.sort();
    let mut want = expected;
    want.sort();
    assert_eq!(got, want);

    // Customer value, joined; a table and CSV for people and spreadsheets.
    let o = recur(
        dir.path(),
        &[
            "sql",
            "SELECT count(*) AS n FROM customer_value JOIN rfm USING (customer_id)",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("1 row(s)"), "{}", stdout(&o));
    let o = recur(
        dir.path(),
        &["sql", "SELECT '=1+1' AS formula, 2 AS n", "--csv"],
    );
    assert_eq!(stdout(&o), "formula,n\n'=1+1,2\n");
    let o = recur(
        dir.path(),
        &["sql", "SELECT NULL AS n, true AS b, 1.5 AS f", "--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v, serde_json::json!([{"n": null, "b": true, "f": 1.5}]));
}

#[test]
fn personal_columns_need_a_flag_and_mistakes_point_at_the_query() {
    let dir = tiny_workspace();
    std::fs::write(
        dir.path().join("customers.csv"),
        "customer_id,email,name,locale\nA,ann@example.com,Ann Lee,en\n",
    )
    .unwrap();
    let o = recur(
        dir.path(),
        &["import", "customers", "-q", "--file", "customers.csv"],
    );
    assert!(o.status.success(), "{}", stderr(&o));

    let o = recur(dir.path(), &["sql", "SELECT * FROM customers", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stdout(&o).contains("ann@example.com") && !stdout(&o).contains("Ann Lee"));
    let o = recur(dir.path(), &["sql", "SELECT email FROM customers"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--personal"), "{}", stderr(&o));
    let o = recur(
        dir.path(),
        &["sql", "SELECT email FROM customers", "--personal", "--csv"],
    );
    assert_eq!(stdout(&o), "email\nann@example.com\n", "{}", stderr(&o));

    // `FROMM` reads as an alias of `a`; `orders` is where it goes wrong.
    let o = recur(dir.path(), &["sql", "SELECT a\nFROMM orders"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("Line: 2, Column: 7")
            && stderr(&o).contains("\n  FROMM orders\n        ^"),
        "{}",
        stderr(&o)
    );

    // Nothing that writes: no table, no file.
    for q in [
        "CREATE TABLE t AS SELECT 1",
        "COPY orders TO 'out.csv'",
        "SET datafusion.execution.batch_size = 1",
    ] {
        let o = recur(dir.path(), &["sql", q]);
        assert_eq!(o.status.code(), Some(1), "{q}: {}", stderr(&o));
        assert!(stderr(&o).contains("read-only"), "{q}: {}", stderr(&o));
    }
    assert!(!dir.path().join("out.csv").exists());
}
