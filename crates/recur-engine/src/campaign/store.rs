//! The campaign folder of a workspace and its send ledger.

use std::path::{Path, PathBuf};

use recur_campaign::{CampaignSpec, Ledger};
use recur_core::Day;

use crate::error::{Error, Result};
use crate::workspace::Workspace;

/// The send ledger's file name inside a campaign folder.
pub const LEDGER_FILE: &str = "ledger.sqlite";

/// The folder of a workspace's campaigns (`WORKSPACE/campaign`).
const CAMPAIGN_DIR: &str = "campaign";

/// A campaign folder and its opened send ledger.
pub struct CampaignStore {
    /// The campaign folder (messages are exported to `<dir>/<campaign id>/`).
    pub dir: PathBuf,
    /// The send ledger in it.
    pub ledger: Ledger,
}

/// A campaign as recorded in the ledger when it was planned.
#[derive(Debug, Clone)]
pub struct RecordedCampaign {
    /// Its definition, as recorded.
    pub spec: CampaignSpec,
    /// The day it was planned (days since the epoch): the first day of its goal window and
    /// the day its offers count from.
    pub planned_day: i64,
    /// When it was planned (seconds since the epoch).
    pub planned_at: i64,
}

impl CampaignStore {
    /// The campaign folder of `ws`.
    pub fn dir_of(ws: &Workspace) -> PathBuf {
        ws.root().join(CAMPAIGN_DIR)
    }

    /// Opens the ledger of `ws`'s campaign folder; [`Error::NoLedger`] when no campaign was
    /// planned there yet.
    pub fn open(ws: &Workspace) -> Result<CampaignStore> {
        Self::open_dir(&Self::dir_of(ws))
    }

    /// Opens the ledger in the campaign folder `dir`; [`Error::NoLedger`] when there is none.
    pub fn open_dir(dir: &Path) -> Result<CampaignStore> {
        let path = dir.join(LEDGER_FILE);
        if !path.exists() {
            return Err(Error::NoLedger { path });
        }
        Ok(CampaignStore {
            dir: dir.to_owned(),
            ledger: Ledger::open(&path)?,
        })
    }

    /// Opens the ledger of `ws`'s campaign folder, creating the folder and the ledger when
    /// they do not exist yet.
    pub fn create(ws: &Workspace) -> Result<CampaignStore> {
        let dir = Self::dir_of(ws);
        std::fs::create_dir_all(&dir).map_err(|error| Error::Io {
            path: dir.clone(),
            action: "create",
            error,
        })?;
        let ledger = Ledger::open(&dir.join(LEDGER_FILE))?;
        Ok(CampaignStore { dir, ledger })
    }

    /// The ledger file.
    pub fn ledger_path(&self) -> PathBuf {
        self.dir.join(LEDGER_FILE)
    }

    /// The recorded campaign `id`; [`Error::NoSuchCampaign`] when the ledger has none.
    pub fn recorded(&self, id: &str) -> Result<RecordedCampaign> {
        let path = self.ledger_path();
        let (spec_text, created_at) =
            self.ledger
                .campaign(id)?
                .ok_or_else(|| Error::NoSuchCampaign {
                    campaign: id.to_owned(),
                    ledger: path.clone(),
                })?;
        Ok(RecordedCampaign {
            spec: CampaignSpec::parse(&spec_text, &path)?,
            planned_day: Day::of_timestamp(created_at).0,
            planned_at: created_at,
        })
    }
}
