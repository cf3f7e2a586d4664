//! Importers for recur: CSV, JSON lines and Parquet (plain or gzip) into the workspace's
//! partitioned Parquet store, with a column mapping, type coercion and full row accounting.
//!
//! The main entry point is [`import`]. Every row read is imported, quarantined (with file,
//! line, column and reason) or counted as a duplicate; [`Accounting::is_balanced`] always
//! holds. An import is atomic: files are staged and the manifest is replaced with one rename.
//!
//! ```
//! use recur_core::Table;
//! use recur_ingest::{import, ImportRequest, Mapping, NoProgress, Store};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let csv = dir.path().join("orders.csv");
//! std::fs::write(&csv, "order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency\n\
//!                       o1,c1,2024-01-05 10:00:00,p1,2,9.50,EUR\n\
//!                       o2,c1,not a date,p1,1,9.50,EUR\n").unwrap();
//! let store = Store::create(&dir.path().join("data")).unwrap();
//! let req = ImportRequest {
//!     table: Table::Orders,
//!     path: csv,
//!     format: None,
//!     mapping: Mapping::default(),
//!     mapping_label: "canonical names".into(),
//! };
//! let report = import(&store, &req, &NoProgress).unwrap();
//! assert_eq!((report.accounting.read, report.accounting.imported, report.accounting.quarantined), (2, 1, 1));
//! ```

mod accounting;
mod coerce;
mod erase;
mod error;
mod import;
mod mapping;
mod remove;
mod source;
mod spool;
mod store;
mod writer;

pub use accounting::{Accounting, ByReason};
pub use erase::ErasureRecord;
pub use error::{Error, Result};
pub use import::{
    ImportOptions, ImportReport, ImportRequest, NoProgress, Progress, check, check_bytes,
    check_with, import, import_with, sha256_file,
};
pub use mapping::{ColumnRef, Encoding, Format, Header, Mapping, PRESETS, Rules};
pub use remove::{ImportRemoval, RemovedImport};
pub use store::{ImportRecord, Manifest, Store, StoredFile};
