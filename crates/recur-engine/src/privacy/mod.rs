//! Erasure and retention across every store a workspace keeps.
//!
//! ```text
//!  erase_customers ── data/ (Parquet rows, quarantined lines)   recur-ingest, atomic
//!                  ── campaign/ledger.sqlite (pseudonym, hashed suppression, vacuumed)
//!                  ── live/ event logs, exports, analysis files, copy audits (CSV, JSONL)
//!                  ── reports and documents naming the customer (removed: write again)
//!                  └─ privacy-audit.jsonl (one line: counts and paths, no personal data)
//!  apply_retention ── clears personal fields of customers inactive for N days
//! ```

mod files;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;

use recur_core::{SECONDS_PER_DAY, Traces};
use serde::Serialize;

pub use files::ScrubbedFile;

use crate::campaign::{CampaignStore, LEDGER_FILE};
use crate::error::{Error, Result};
use crate::live::hold_live_log;
use crate::workspace::Workspace;

/// The audit file of erasure and retention runs, in the workspace folder.
pub const PRIVACY_AUDIT_FILE: &str = "privacy-audit.jsonl";

/// What erasing customers removed, store by store. Holds no customer id.
#[derive(Debug, Clone, Serialize)]
pub struct Erasure {
    /// Customers asked for.
    pub customers: usize,
    /// Stored rows removed, per table.
    pub rows_removed: BTreeMap<String, u64>,
    /// Quarantined source rows removed.
    pub quarantine_rows_removed: u64,
    /// Ledger rows made anonymous (assignments, messages, features, redemptions).
    pub ledger_rows: usize,
    /// Text files that held a trace (exports, event logs, analysis files, reports).
    pub files: Vec<ScrubbedFile>,
    /// When it ran (seconds since the epoch).
    pub at: i64,
    /// The audit file the run was recorded in.
    pub audit_file: PathBuf,
}

impl Erasure {
    /// Whether nothing held the customers any more (a repeated erasure).
    pub fn is_noop(&self) -> bool {
        self.rows_removed.values().all(|&n| n == 0)
            && self.quarantine_rows_removed == 0
            && self.ledger_rows == 0
            && self.files.is_empty()
    }
}

/// What a retention run cleared.
#[derive(Debug, Clone, Serialize)]
pub struct Retention {
    /// Days without activity after which personal fields are cleared.
    pub days: u32,
    /// Customers inactive that long whose personal fields were still stored.
    pub customers: usize,
    /// Customers rows whose personal fields were cleared.
    pub fields_cleared: u64,
    /// When it ran (seconds since the epoch).
    pub at: i64,
    /// The audit file the run was recorded in.
    pub audit_file: PathBuf,
}

/// Customer ids from a file: one per line (a CSV's first column; a `customer_id` header
/// line and blank lines are skipped).
pub fn read_customer_ids(path: &std::path::Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|error| Error::ReadInput {
        path: path.to_owned(),
        error,
    })?;
    Ok(text
        .lines()
        .map(|l| l.split(',').next().unwrap_or("").trim().trim_matches('"'))
        .filter(|id| !id.is_empty() && *id != "customer_id")
        .map(str::to_owned)
        .collect())
}

/// Erases customers from every store of the workspace: their stored rows (orders, events,
/// reviews, customers), quarantined source lines, ledger rows (made anonymous, kept for the
/// campaigns' measurements, the customer kept suppressed under a hash of the id), event
/// logs, exports and analysis files; reports that name them and saved review summaries are
/// removed. Idempotent; one
/// line without personal data is appended to [`PRIVACY_AUDIT_FILE`]. Refused while a
/// server holds the live event log ([`Error::LiveLogBusy`]). Blank ids are ignored.
pub fn erase_customers(ws: &Workspace, ids: &[String], now: i64) -> Result<Erasure> {
    let ids: BTreeSet<String> = ids
        .iter()
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
        .collect();
    let _live = hold_live_log(ws)?;
    let store = ws.store();
    let values = store.personal_values(&ids)?;
    let traces = Traces::new(ids.iter().cloned()).with_values(values);

    // The stored tables go last: until then a rerun after a kill still finds the customers'
    // e-mail and phone there, to look for in the other stores.
    let campaign_dir = CampaignStore::dir_of(ws);
    let mut ledger_rows = 0;
    if campaign_dir.join(LEDGER_FILE).exists() {
        let mut campaigns = CampaignStore::open_dir(&campaign_dir)?;
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        ledger_rows = campaigns.ledger.erase_customers(&ids, now)?;
    }
    // The ledger (SQLite) is not a text file: the scrub passes it by. Model artefacts hold
    // products, not customers, and the knowledge index holds the shop's FAQ and catalog: a
    // product code equal to a customer id must not remove them.
    let skip = [
        store.root().to_owned(),
        ws.root().join(PRIVACY_AUDIT_FILE),
        ws.root().join("models"),
        crate::assist::knowledge_dir(ws.root()),
    ];
    let files = files::scrub_tree(ws.root(), &skip, &traces)?;
    // Saved review summaries quote and cite reviews, possibly the erased customers' own:
    // derived data, removed with every erasure (before the stored rows, so that a rerun after
    // a kill still removes them; `recur analyze --summaries N` writes them again from the
    // reviews that remain).
    let summaries = ws.root().join(crate::review_summary::SUMMARIES_DIR);
    match std::fs::remove_dir_all(&summaries) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            return Err(Error::Io {
                path: summaries,
                action: "remove",
                error,
            });
        }
    }
    let stored = store.erase_customers(&traces)?;
    let erasure = Erasure {
        customers: ids.len(),
        rows_removed: stored.rows_removed,
        quarantine_rows_removed: stored.quarantine_rows_removed,
        ledger_rows,
        files,
        at: now,
        audit_file: ws.root().join(PRIVACY_AUDIT_FILE),
    };
    audit(ws, "erase", &erasure)?;
    Ok(erasure)
}

/// Clears the personal fields (e-mail, name, phone, address) of customers with no order,
/// event, review or sign-up in the last `days` days before `now`; their orders and
/// behaviour stay for the analyses. Recorded in [`PRIVACY_AUDIT_FILE`].
pub fn apply_retention(ws: &Workspace, days: u32, now: i64) -> Result<Retention> {
    if days == 0 {
        return Err(Error::BadSetting {
            key: "customers.retention_days".into(),
            value: "0".into(),
            hint: "set a number of days in recur.toml ([customers] retention_days = 730) or \
                   pass --days"
                .into(),
        });
    }
    let cutoff = now - i64::from(days) * SECONDS_PER_DAY;
    let inactive: BTreeSet<String> = ws
        .session()?
        .inactive_customers(cutoff)?
        .into_iter()
        .collect();
    let record = ws.store().clear_personal_fields(&inactive)?;
    let retention = Retention {
        days,
        customers: inactive.len(),
        fields_cleared: record.fields_cleared,
        at: now,
        audit_file: ws.root().join(PRIVACY_AUDIT_FILE),
    };
    audit(ws, "retention", &retention)?;
    Ok(retention)
}

fn audit(ws: &Workspace, action: &str, what: &impl Serialize) -> Result<()> {
    let path = ws.root().join(PRIVACY_AUDIT_FILE);
    let mut line = serde_json::json!({ "action": action });
    if let (Some(obj), Ok(serde_json::Value::Object(more))) =
        (line.as_object_mut(), serde_json::to_value(what))
    {
        obj.extend(more.into_iter().filter(|(k, _)| k != "audit_file"));
    }
    let io = |error| Error::Io {
        path: path.clone(),
        action: "append to",
        error,
    };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io)?;
    writeln!(f, "{line}").map_err(io)?;
    f.sync_all().map_err(io)
}
