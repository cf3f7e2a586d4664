//! Integration tests of recur's use cases through the engine's public API: workspaces and
//! imports, a campaign from plan to lift (sent to a local fake SMTP server), the demo's
//! errors, the HTML report's sections, campaign copy (one test with the real SmolLM2). Fast:
//! the tiny test shop, no training.

mod campaign;
mod copy;
mod demo;
mod privacy;
mod report;
mod review_summary;
mod reviews;
mod search;
mod workspace;

use std::path::{Path, PathBuf};

use recur_engine::prelude::*;

/// A file of the repository's `testdata/`.
pub(crate) fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

/// Imports `path` as `table` with canonical column names.
pub(crate) fn import(ws: &Workspace, table: Table, path: &Path) -> ImportReport {
    let req = ImportRequest {
        table,
        path: path.to_owned(),
        format: None,
        mapping: Mapping::default(),
        mapping_label: "canonical column names".into(),
    };
    ws.import(&req, &NoProgress).expect("import")
}

/// Writes `text` to `dir/name` and returns the path.
pub(crate) fn campaign_write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a test file");
    path
}

/// A workspace in a fresh temporary folder with the tiny shop's orders and catalog.
pub(crate) fn tiny_workspace() -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let ws = Workspace::init(dir.path()).expect("init");
    import(&ws, Table::Orders, &testdata("tiny-shop/orders.csv"));
    import(&ws, Table::Catalog, &testdata("tiny-shop/catalog.csv"));
    (dir, ws)
}
