//! The workspace store: partitioned Parquet files listed in an atomically replaced manifest.
//!
//! Layout under the data folder:
//!
//! ```text
//! manifest.json                       the only source of truth: files not listed are ignored
//! orders/month=2011-01/i0001-0.parquet
//! catalog/i0002-0.parquet
//! quarantine/i0001-orders.csv         rows that could not be imported, with file, line, reason
//! .staging/i0003/                     files of an import in progress
//! .lock                               held while an import writes
//! ```
//!
//! An import writes into `.staging`, moves its files into place and then replaces
//! `manifest.json` with one rename. A crash at any point leaves the previous manifest, which
//! lists only complete files; leftovers are swept by the next write.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use recur_core::Table;
use serde::{Deserialize, Serialize};

use crate::accounting::Accounting;
use crate::erase::ErasureRecord;
use crate::error::{Error, Result};
use crate::remove::RemovedImport;

const MANIFEST: &str = "manifest.json";
const FORMAT_VERSION: u32 = 1;

/// One stored Parquet file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFile {
    /// Table it belongs to.
    pub table: String,
    /// Path relative to the data folder.
    pub path: String,
    /// Rows in the file.
    pub rows: u64,
    /// Month partition (`2011-01`) for partitioned tables.
    pub partition: Option<String>,
    /// Import that wrote it.
    pub import_id: String,
}

/// The record of one import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRecord {
    /// Sequential id (`i0001`).
    pub id: String,
    /// Target table.
    pub table: String,
    /// Source path as given.
    pub source: String,
    /// SHA-256 of the source bytes.
    pub source_sha256: String,
    /// Source size in bytes.
    pub source_bytes: u64,
    /// Source format.
    pub format: String,
    /// Preset or mapping file used.
    pub mapping: String,
    /// Fingerprint of the mapping's content (format, encoding, dates, columns, rules): the
    /// same file imported with another mapping (say after fixing `date_format`) is another
    /// import. Empty in manifests written before it was recorded.
    #[serde(default)]
    pub mapping_fingerprint: String,
    /// When the import finished (RFC 3339).
    pub finished_at: String,
    /// Row accounting.
    pub accounting: Accounting,
    /// Quarantine file relative to the data folder, when rows were quarantined.
    pub quarantine_file: Option<String>,
}

/// The manifest: every import and every stored file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Manifest format version.
    pub format_version: u32,
    /// Imports in order.
    pub imports: Vec<ImportRecord>,
    /// Stored files.
    pub files: Vec<StoredFile>,
    /// Erasure and retention runs, in order (counts only: no customer ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub erasures: Vec<ErasureRecord>,
    /// Imports undone by `recur import remove`, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed_imports: Vec<RemovedImport>,
}

impl Manifest {
    /// The id the next import gets: ids are never reused, removed imports included.
    pub fn next_import_id(&self) -> String {
        format!(
            "i{:04}",
            self.imports.len() + self.removed_imports.len() + 1
        )
    }

    /// Files of one table.
    pub fn files_of(&self, table: Table) -> impl Iterator<Item = &StoredFile> {
        self.files.iter().filter(move |f| f.table == table.name())
    }

    /// An earlier import of the same content into the same table with the same mapping
    /// (a record without a fingerprint matches any mapping).
    pub fn find_import(
        &self,
        table: Table,
        sha256: &str,
        mapping_fingerprint: &str,
    ) -> Option<&ImportRecord> {
        self.imports.iter().find(|i| {
            i.table == table.name()
                && i.source_sha256 == sha256
                && (i.mapping_fingerprint.is_empty()
                    || i.mapping_fingerprint == mapping_fingerprint)
        })
    }
}

/// A recur data folder.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

fn io<'a>(path: &'a Path, action: &'static str) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        path: path.to_owned(),
        action,
        source,
    }
}

impl Store {
    /// Creates an empty store (idempotent: an existing manifest is kept).
    pub fn create(root: &Path) -> Result<Store> {
        fs::create_dir_all(root).map_err(io(root, "create the data folder"))?;
        let store = Store {
            root: root.to_owned(),
        };
        if !store.manifest_path().exists() {
            store.write_manifest(&Manifest {
                format_version: FORMAT_VERSION,
                ..Manifest::default()
            })?;
        }
        Ok(store)
    }

    /// Opens an existing store.
    pub fn open(root: &Path) -> Result<Store> {
        let store = Store {
            root: root.to_owned(),
        };
        if !store.manifest_path().exists() {
            return Err(Error::NotAWorkspace(root.to_owned()));
        }
        Ok(store)
    }

    /// The data folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn manifest_path(&self) -> PathBuf {
        self.root.join(MANIFEST)
    }

    /// Reads the manifest.
    pub fn manifest(&self) -> Result<Manifest> {
        let path = self.manifest_path();
        let text = fs::read_to_string(&path).map_err(io(&path, "read the manifest"))?;
        serde_json::from_str(&text).map_err(|e| Error::BadManifest {
            path,
            message: e.to_string(),
        })
    }

    /// Absolute paths of a table's stored files, in import order.
    pub fn table_files(&self, table: Table) -> Result<Vec<PathBuf>> {
        Ok(self
            .manifest()?
            .files_of(table)
            .map(|f| self.root.join(&f.path))
            .collect())
    }

    /// Atomically replaces the manifest (write, fsync, rename).
    pub(crate) fn write_manifest(&self, manifest: &Manifest) -> Result<()> {
        let path = self.manifest_path();
        let tmp = self.root.join("manifest.json.tmp");
        let json = serde_json::to_vec_pretty(manifest)
            .map_err(|e| Error::Internal(format!("serialising manifest: {e}")))?;
        let mut f = File::create(&tmp).map_err(io(&tmp, "write the manifest"))?;
        f.write_all(&json).map_err(io(&tmp, "write the manifest"))?;
        f.sync_all().map_err(io(&tmp, "sync the manifest"))?;
        fs::rename(&tmp, &path).map_err(io(&path, "replace the manifest"))?;
        if let Ok(dir) = File::open(&self.root) {
            // Persist the rename itself; not all platforms allow syncing a directory.
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// Takes the write lock; it is released when the guard drops (or the process dies).
    pub(crate) fn lock(&self) -> Result<WriteLock> {
        let path = self.root.join(".lock");
        let file = File::create(&path).map_err(io(&path, "create the lock file"))?;
        match file.try_lock() {
            Ok(()) => Ok(WriteLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => Err(Error::Locked(path)),
            Err(fs::TryLockError::Error(e)) => Err(io(&path, "lock the workspace")(e)),
        }
    }

    /// A fresh staging folder for an import.
    pub(crate) fn staging_dir(&self, import_id: &str) -> Result<PathBuf> {
        let dir = self.root.join(".staging").join(import_id);
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io(&dir, "clear the staging folder"))?;
        }
        fs::create_dir_all(&dir).map_err(io(&dir, "create the staging folder"))?;
        Ok(dir)
    }

    /// Removes what an interrupted import left: staging folders and files no manifest lists.
    /// Call with the write lock held. Returns the number of paths removed.
    pub(crate) fn sweep(&self, manifest: &Manifest) -> Result<usize> {
        let mut removed = 0;
        let staging = self.root.join(".staging");
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(io(&staging, "remove stale staging files"))?;
            removed += 1;
        }
        let listed: BTreeSet<PathBuf> = manifest
            .files
            .iter()
            .map(|f| self.root.join(&f.path))
            .chain(
                manifest
                    .imports
                    .iter()
                    .filter_map(|i| i.quarantine_file.as_ref().map(|q| self.root.join(q))),
            )
            .collect();
        for table in Table::ALL.iter().map(|t| t.name()).chain(["quarantine"]) {
            let dir = self.root.join(table);
            if dir.exists() {
                removed += sweep_dir(&dir, &listed)?;
            }
        }
        Ok(removed)
    }

    /// Moves staged files into place and commits the manifest. `moves` are (staged, relative
    /// destination) pairs.
    pub(crate) fn commit(&self, moves: &[(PathBuf, String)], manifest: &Manifest) -> Result<()> {
        for (from, rel) in moves {
            let to = self.root.join(rel);
            if let Some(parent) = to.parent() {
                fs::create_dir_all(parent).map_err(io(parent, "create a partition folder"))?;
            }
            fs::rename(from, &to).map_err(io(&to, "move an imported file into place"))?;
        }
        self.write_manifest(manifest)
    }
}

fn sweep_dir(dir: &Path, listed: &BTreeSet<PathBuf>) -> Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(dir).map_err(io(dir, "list"))? {
        let path = entry.map_err(io(dir, "list"))?.path();
        if path.is_dir() {
            removed += sweep_dir(&path, listed)?;
        } else if !listed.contains(&path) {
            fs::remove_file(&path).map_err(io(&path, "remove a stale file"))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Holds the workspace write lock.
#[derive(Debug)]
pub(crate) struct WriteLock {
    _file: File,
}
