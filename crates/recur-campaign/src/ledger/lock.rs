//! One sender per campaign: an advisory lock beside the ledger; and re-queueing failed
//! messages.

use rusqlite::params;

use super::Ledger;
use crate::error::{Error, Result};

/// Held while a run sends a campaign (see [`Ledger::lock_sends`]).
#[derive(Debug)]
pub struct SendLock {
    _file: std::fs::File,
}

impl Ledger {
    /// Takes the campaign's send lock: an advisory lock on a file beside the ledger, held
    /// until the returned guard is dropped (or the process dies, however it ends). A second
    /// sender of the same campaign gets [`Error::Busy`] at once.
    pub fn lock_sends(&self, campaign: &str) -> Result<SendLock> {
        let safe: String = campaign
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let name = format!(
            "{}.send-{safe}-{:016x}.lock",
            self.path
                .file_name()
                .map_or("ledger".into(), |n| n.to_string_lossy()),
            crate::holdout::holdout_key("send-lock", campaign)
        );
        let lock = self.path.with_file_name(name);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock)
            .map_err(|e| Error::Ledger {
                path: lock.clone(),
                message: format!("cannot create the send lock: {e}"),
            })?;
        match file.try_lock() {
            Ok(()) => Ok(SendLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::Busy {
                campaign: campaign.to_owned(),
                lock,
            }),
            Err(std::fs::TryLockError::Error(e)) => Err(Error::Ledger {
                path: lock,
                message: format!("cannot take the send lock: {e}"),
            }),
        }
    }

    /// Puts the campaign's failed messages back in the queue (their Message-IDs unchanged);
    /// returns how many.
    pub fn requeue_failed(&self, campaign: &str) -> Result<usize> {
        let err = self.err();
        self.conn
            .execute(
                "UPDATE sends SET status = 'queued' WHERE campaign = ?1 AND status = 'failed'",
                params![campaign],
            )
            .map_err(&err)
    }
}
