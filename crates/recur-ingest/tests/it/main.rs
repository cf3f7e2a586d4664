//! Integration tests of the importer: malformed input, accounting, idempotence, atomicity.

mod check;
mod erase;
mod formats;
mod malformed;
mod parallel;
mod ranges;
mod remove;
mod store;

use std::path::{Path, PathBuf};

use recur_core::Table;
use recur_ingest::{ImportReport, ImportRequest, Mapping, NoProgress, Store, import};

pub(crate) fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

pub(crate) struct Env {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) store: Store,
}

impl Env {
    pub(crate) fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("data")).unwrap();
        Env { dir, store }
    }

    pub(crate) fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    pub(crate) fn import(
        &self,
        table: Table,
        path: &Path,
        mapping: Mapping,
    ) -> recur_ingest::Result<ImportReport> {
        let req = ImportRequest {
            table,
            path: path.to_owned(),
            format: None,
            mapping,
            mapping_label: "test".into(),
        };
        import(&self.store, &req, &NoProgress)
    }

    /// Reads the quarantine file of a report as (line, column, reason) triples.
    pub(crate) fn quarantine(&self, r: &ImportReport) -> Vec<(u64, String, String)> {
        let Some(q) = &r.quarantine_file else {
            return vec![];
        };
        let mut rdr = csv::Reader::from_path(q).unwrap();
        rdr.records()
            .map(|rec| {
                let rec = rec.unwrap();
                (
                    rec[1].parse().unwrap(),
                    rec[2].to_owned(),
                    rec[3].to_owned(),
                )
            })
            .collect()
    }
}

pub(crate) const ORDERS_HEADER: &str =
    "order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency\n";
