//! Undoing an import: its stored rows, its quarantine file and its accounting go in one
//! manifest commit, so a mistaken import is never permanent.

use std::fs;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::{ImportRecord, Store};

/// An import that was undone, kept in the manifest for the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemovedImport {
    /// The import as it was recorded.
    pub import: ImportRecord,
    /// Stored rows removed with it (fewer than it imported when erasure removed some).
    pub rows_removed: u64,
    /// Parquet files removed.
    pub files_removed: usize,
    /// When it was removed (RFC 3339).
    pub removed_at: String,
}

/// What [`Store::remove_import`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportRemoval {
    /// The removed import.
    pub removed: RemovedImport,
    /// Later imports into the same table that counted duplicates: some of those rows may
    /// have been stored only by the removed import and are now absent. Remove and import
    /// those files again to store them.
    pub later_imports_with_duplicates: Vec<String>,
}

impl Store {
    /// Removes one import (`i0003`): its Parquet files, its quarantine file and its record.
    ///
    /// The manifest is replaced in one rename before any file is deleted, so a kill at any
    /// point leaves either the import in place or its files unlisted (swept by the next
    /// write). Taking the write lock, it refuses while another import or erasure runs.
    pub fn remove_import(&self, id: &str) -> Result<ImportRemoval> {
        let _lock = self.lock()?;
        let mut manifest = self.manifest()?;
        self.sweep(&manifest)?;
        let Some(pos) = manifest.imports.iter().position(|i| i.id == id) else {
            let known: Vec<&str> = manifest.imports.iter().map(|i| i.id.as_str()).collect();
            return Err(Error::NoSuchImport {
                id: id.to_owned(),
                known: if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                },
            });
        };
        let import = manifest.imports.remove(pos);
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut manifest.files)
            .into_iter()
            .partition(|f| f.import_id == import.id);
        manifest.files = kept;
        let later_imports_with_duplicates = manifest.imports[pos..]
            .iter()
            .filter(|i| i.table == import.table && i.accounting.duplicates > 0)
            .map(|i| i.id.clone())
            .collect();
        let removed = RemovedImport {
            rows_removed: gone.iter().map(|f| f.rows).sum(),
            files_removed: gone.len(),
            removed_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            import,
        };
        manifest.removed_imports.push(removed.clone());
        self.write_manifest(&manifest)?;
        let quarantine = removed.import.quarantine_file.iter();
        for rel in gone.iter().map(|f| &f.path).chain(quarantine) {
            let path = self.root().join(rel);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                // Unlisted now: the next write's sweep removes it.
                Err(_) => {}
            }
        }
        Ok(ImportRemoval {
            removed,
            later_imports_with_duplicates,
        })
    }
}
