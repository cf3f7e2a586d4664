//! `recur import list` and `recur import remove ID`: a mistaken import is never permanent.

use crate::{recur, stderr, stdout, testdata, tiny_workspace};

#[test]
fn list_and_remove_an_import() {
    let dir = tiny_workspace();
    let o = recur(dir.path(), &["import", "list", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let imports = list["imports"].as_array().unwrap();
    assert_eq!(imports.len(), 2);
    assert_eq!(imports[0]["id"], "i0001");
    assert_eq!(imports[0]["table"], "orders");
    assert_eq!(imports[1]["table"], "catalog");
    let catalog_rows = imports[1]["stored_rows"].as_u64().unwrap();
    assert!(catalog_rows > 0);

    let text = stdout(&recur(dir.path(), &["import", "list"]));
    assert!(text.contains("i0001") && text.contains("i0002"), "{text}");

    let o = recur(dir.path(), &["import", "remove", "i0002", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let removal: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(removal["removed"]["import"]["id"], "i0002");
    assert_eq!(
        removal["removed"]["rows_removed"].as_u64(),
        Some(catalog_rows)
    );

    let list: serde_json::Value =
        serde_json::from_slice(&recur(dir.path(), &["import", "list", "--json"]).stdout).unwrap();
    assert_eq!(list["imports"].as_array().unwrap().len(), 1);
    assert_eq!(list["removed"][0]["import"]["id"], "i0002");

    // The catalog is gone from the queries, the orders are not.
    let o = recur(
        dir.path(),
        &["sql", "SELECT count(*) AS n FROM catalog", "--json"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows[0]["n"], 0);
    assert!(recur(dir.path(), &["analyze", "--json"]).status.success());

    // Importing the same file again works (a new id), and removing twice is the user's mistake.
    let again = recur(
        dir.path(),
        &[
            "import",
            "catalog",
            "--file",
            testdata("tiny-shop/catalog.csv").to_str().unwrap(),
            "--json",
        ],
    );
    assert!(again.status.success(), "{}", stderr(&again));
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again["already_imported"], false);
    assert_eq!(again["import_id"], "i0003");
    let o = recur(dir.path(), &["import", "remove", "i0002"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("recur import list"), "{}", stderr(&o));
}

#[test]
fn import_still_needs_a_table_and_a_file() {
    let dir = tiny_workspace();
    let o = recur(dir.path(), &["import", "orders"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--file"), "{}", stderr(&o));
    let o = recur(dir.path(), &["import", "remove"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
