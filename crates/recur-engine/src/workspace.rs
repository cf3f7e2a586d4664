//! A recur workspace: `recur.toml` plus a data folder of imported tables.

use std::path::{Path, PathBuf};

use recur_analytics::{AnalysisOptions, Report, Session, TableFiles};
use recur_core::Table;
use recur_ingest::{ImportRemoval, ImportReport, ImportRequest, Manifest, Progress, Store};

use crate::config::{SETTINGS_FILE, Settings};
use crate::error::{Error, Result};

/// An opened workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    settings: Settings,
    store: Store,
}

impl Workspace {
    /// Creates a workspace in `dir` (idempotent: existing settings and data are kept).
    /// [`Error::NotAFolder`] when `dir`, or a folder above it, is a regular file.
    pub fn init(dir: &Path) -> Result<Workspace> {
        if let Some(file) = dir.ancestors().find(|p| p.is_file()) {
            return Err(Error::NotAFolder {
                path: file.to_owned(),
            });
        }
        std::fs::create_dir_all(dir).map_err(|error| Error::Io {
            path: dir.to_owned(),
            action: "create",
            error,
        })?;
        let settings_path = dir.join(SETTINGS_FILE);
        if !settings_path.exists() {
            std::fs::write(&settings_path, Settings::template()).map_err(|error| Error::Io {
                path: settings_path.clone(),
                action: "write",
                error,
            })?;
        }
        let settings = Settings::from_file(&settings_path)?;
        let store = Store::create(&dir.join(&settings.data_dir))?;
        Ok(Workspace {
            root: dir.to_owned(),
            settings,
            store,
        })
    }

    /// Opens the workspace in `dir` with settings already layered by the caller.
    pub fn open_with(dir: &Path, settings: Settings) -> Result<Workspace> {
        if !dir.join(SETTINGS_FILE).exists() {
            return Err(Error::NoWorkspace(dir.to_owned()));
        }
        let store = Store::open(&dir.join(&settings.data_dir))?;
        Ok(Workspace {
            root: dir.to_owned(),
            settings,
            store,
        })
    }

    /// Opens the workspace in `dir` with the settings of its `recur.toml`.
    pub fn open(dir: &Path) -> Result<Workspace> {
        let path = dir.join(SETTINGS_FILE);
        if !path.exists() {
            return Err(Error::NoWorkspace(dir.to_owned()));
        }
        Self::open_with(dir, Settings::from_file(&path)?)
    }

    /// The same workspace computing on `device` (this run only; `recur.toml` is unchanged).
    pub fn with_device(mut self, device: recur_core::ComputeDevice) -> Workspace {
        self.settings.device = device;
        self
    }

    /// The workspace folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The effective settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The store of imported tables.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// The manifest of stored tables and imports.
    pub fn manifest(&self) -> Result<Manifest> {
        Ok(self.store.manifest()?)
    }

    /// Imports one file.
    pub fn import(&self, req: &ImportRequest, progress: &dyn Progress) -> Result<ImportReport> {
        Ok(recur_ingest::import(&self.store, req, progress)?)
    }

    /// Undoes one import (`i0003`): its stored rows, quarantine file and accounting, in one
    /// commit of the manifest.
    pub fn remove_import(&self, id: &str) -> Result<ImportRemoval> {
        Ok(self.store.remove_import(id)?)
    }

    /// A query session over the stored tables.
    pub fn session(&self) -> Result<Session> {
        self.session_with(true)
    }

    /// A query session whose `customers` table has its personal columns only if `personal`.
    pub fn session_with(&self, personal: bool) -> Result<Session> {
        let mut files = TableFiles::new();
        for t in Table::ALL {
            files = files.with(t, self.store.table_files(t)?);
        }
        let limit = match self.settings.analytics.memory_limit_mb {
            0 => recur_analytics::default_memory_limit(),
            mb => usize::try_from(mb.saturating_mul(1 << 20)).unwrap_or(usize::MAX),
        };
        Ok(Session::open_bounded(&files, personal, limit)?)
    }

    /// Analysis options from the settings.
    pub fn analysis_options(&self) -> AnalysisOptions {
        AnalysisOptions {
            repurchase_days: self.settings.analytics.repurchase_days,
            histogram_bin_days: self.settings.analytics.histogram_bin_days,
            ..AnalysisOptions::default()
        }
    }

    /// Runs every analysis.
    pub fn analyze(&self) -> Result<Report> {
        Ok(self.session()?.report(&self.analysis_options())?)
    }
}
