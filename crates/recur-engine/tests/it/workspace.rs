//! Creating, opening and importing into a workspace.

use recur_engine::prelude::*;

use crate::{import, testdata, tiny_workspace};

#[test]
fn init_import_analyze_and_reimport() {
    let (dir, ws) = tiny_workspace();
    assert!(dir.path().join(recur_engine::SETTINGS_FILE).exists());
    let manifest = ws.manifest().unwrap();
    assert_eq!(manifest.imports.len(), 2);
    let report = ws.analyze().unwrap();
    assert_eq!(report.repurchase_rate.customers_with_2plus_orders, 3);
    // Opening it again sees the same data; importing the same file again adds nothing.
    let again = Workspace::open(dir.path()).unwrap();
    let r = import(&again, Table::Orders, &testdata("tiny-shop/orders.csv"));
    assert!(r.already_imported);
    assert_eq!(again.analyze().unwrap(), report);
}

#[test]
fn open_without_a_workspace_is_the_users_error() {
    let dir = tempfile::tempdir().unwrap();
    let e = Workspace::open(dir.path()).unwrap_err();
    assert!(matches!(e, Error::NoWorkspace(_)), "{e}");
    assert!(e.is_user_error());
    assert!(e.to_string().contains("recur init"), "{e}");
}

#[test]
fn init_on_a_file_is_the_users_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("orders.csv");
    std::fs::write(&file, "x").unwrap();
    for target in [file.clone(), file.join("ws")] {
        let e = Workspace::init(&target).unwrap_err();
        assert!(
            matches!(&e, Error::NotAFolder { path } if *path == file),
            "{target:?}: {e}"
        );
        assert!(e.is_user_error());
        assert!(e.to_string().contains("is a file, not a folder"), "{e}");
    }
}
