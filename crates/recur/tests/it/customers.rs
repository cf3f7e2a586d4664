//! `recur customers erase` and `recur customers retain` as a user runs them.

use crate::{recur, stderr, stdout, tiny_workspace};

#[test]
fn erase_reaches_files_in_the_workspace_and_repeats_as_a_no_op() {
    let dir = tiny_workspace();
    // A CRM export someone saved inside the workspace.
    std::fs::create_dir_all(dir.path().join("exports")).unwrap();
    std::fs::write(
        dir.path().join("exports/crm.csv"),
        "customer_id,note\nA,called twice\nB,fine\n",
    )
    .unwrap();
    let crm = || std::fs::read_to_string(dir.path().join("exports/crm.csv")).unwrap();

    let o = recur(dir.path(), &["customers", "erase", "A", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["customers"], 1);
    assert_eq!(v["rows_removed"]["orders"], 3, "{v}");
    assert!(
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "exports/crm.csv" && f["records_removed"] == 1),
        "{v}"
    );
    assert_eq!(crm(), "customer_id,note\nB,fine\n");
    assert!(
        !stdout(&o).contains("\"A\""),
        "the output names no customer"
    );

    let again = recur(dir.path(), &["customers", "erase", "A"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("already erased"),
        "{}",
        stdout(&again)
    );
    let audit = std::fs::read_to_string(dir.path().join("privacy-audit.jsonl")).unwrap();
    assert_eq!(audit.lines().count(), 2);

    // The analyses run on without A.
    let o = recur(dir.path(), &["analyze", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn erase_and_retain_mistakes_exit_1_or_2_with_what_to_do() {
    let dir = tiny_workspace();
    let o = recur(dir.path(), &["customers", "erase"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = recur(dir.path(), &["customers", "erase", "--from", "missing.txt"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    std::fs::write(dir.path().join("ids.txt"), "customer_id\n\n").unwrap();
    let o = recur(dir.path(), &["customers", "erase", "--from", "ids.txt"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("no customer id"), "{}", stderr(&o));

    let o = recur(dir.path(), &["customers", "retain"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("retention_days"), "{}", stderr(&o));
    let o = recur(
        dir.path(),
        &["customers", "retain", "--days", "30", "--json"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["days"], 30);
}
