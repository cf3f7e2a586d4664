//! The send ledger: an embedded SQLite database that records every campaign's holdout and
//! every message's state, so sending is idempotent and resumable.
//!
//! A message moves `queued` → `sending` → `sent` (or `failed`, `suppressed`); each step is
//! committed before the next begins. After a crash, `queued` and `sending` rows are sent again
//! with the same Message-ID (the idempotency key), `sent` rows never are.

use std::path::Path;

use recur_core::{CustomerId, Group, Segment};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result};
use crate::export::Outgoing;
use crate::plan::{Assignment, Plan};

mod analysis;
mod approval;
mod erase;
mod history;
mod lock;

pub use approval::{Approval, MessagesFingerprint};
pub use erase::{ERASED_PREFIX, erased_key};
pub use history::CustomerMessage;
pub use lock::SendLock;

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    // 1: campaigns, their recorded groups, sends, suppressions.
    "CREATE TABLE campaigns (
        id TEXT PRIMARY KEY,
        spec TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE assignments (
        campaign TEXT NOT NULL REFERENCES campaigns(id),
        customer TEXT NOT NULL,
        segment TEXT NOT NULL,
        grp TEXT NOT NULL CHECK (grp IN ('treated', 'holdout', 'excluded')),
        offer INTEGER,
        PRIMARY KEY (campaign, customer)
    );
    CREATE TABLE sends (
        campaign TEXT NOT NULL REFERENCES campaigns(id),
        customer TEXT NOT NULL,
        message_id TEXT NOT NULL UNIQUE,
        payload TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'suppressed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        sent_at INTEGER,
        PRIMARY KEY (campaign, customer)
    );
    CREATE INDEX sends_by_customer ON sends (customer, sent_at);
    CREATE TABLE suppressions (
        customer TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        at INTEGER NOT NULL
    );",
    // 2: features recorded at planning (what uplift models learn from later) and coupon
    // redemptions reported by the shop.
    "CREATE TABLE feature_names (
        campaign TEXT PRIMARY KEY REFERENCES campaigns(id),
        names TEXT NOT NULL
    );
    CREATE TABLE features (
        campaign TEXT NOT NULL REFERENCES campaigns(id),
        customer TEXT NOT NULL,
        vals TEXT NOT NULL,
        PRIMARY KEY (campaign, customer)
    );
    CREATE TABLE redemptions (
        campaign TEXT NOT NULL REFERENCES campaigns(id),
        customer TEXT NOT NULL,
        code TEXT NOT NULL,
        order_id TEXT NOT NULL,
        discount REAL NOT NULL,
        redeemed_at INTEGER,
        PRIMARY KEY (campaign, customer, order_id)
    );
    CREATE TABLE redemption_imports (
        source TEXT NOT NULL,
        rows INTEGER NOT NULL,
        at INTEGER NOT NULL
    );",
    // 3: approvals of a campaign's messages (who, when, a fingerprint of what was approved).
    "CREATE TABLE approvals (
        campaign TEXT PRIMARY KEY REFERENCES campaigns(id),
        approved_by TEXT NOT NULL,
        approved_at INTEGER NOT NULL,
        messages INTEGER NOT NULL,
        fingerprint TEXT NOT NULL
    );",
];

/// State of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SendStatus {
    /// Waiting to be sent.
    Queued,
    /// Handed to the channel; not yet confirmed (a crash leaves it here).
    Sending,
    /// Confirmed by the channel.
    Sent,
    /// Given up after retries.
    Failed,
    /// Not sent: the customer unsubscribed after the plan was made.
    Suppressed,
}

impl SendStatus {
    fn as_str(self) -> &'static str {
        match self {
            SendStatus::Queued => "queued",
            SendStatus::Sending => "sending",
            SendStatus::Sent => "sent",
            SendStatus::Failed => "failed",
            SendStatus::Suppressed => "suppressed",
        }
    }

    fn parse(s: &str) -> SendStatus {
        match s {
            "sending" => SendStatus::Sending,
            "sent" => SendStatus::Sent,
            "failed" => SendStatus::Failed,
            "suppressed" => SendStatus::Suppressed,
            _ => SendStatus::Queued,
        }
    }
}

/// A message waiting to be (re)sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// The message.
    pub message: Outgoing,
    /// Its Message-ID: stable per (campaign, customer), the receiver's idempotency key.
    pub message_id: String,
    /// Its state (`Sending` means a previous run may have delivered it).
    pub status: SendStatus,
    /// Attempts so far.
    pub attempts: u32,
}

/// Counts of a campaign's messages by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SendCounts {
    /// Queued.
    pub queued: usize,
    /// In flight.
    pub sending: usize,
    /// Sent.
    pub sent: usize,
    /// Failed.
    pub failed: usize,
    /// Suppressed.
    pub suppressed: usize,
}

/// A text column parsed into a domain value; a value this version does not know is a
/// conversion error naming the column.
fn parse_column<T>(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<T>
where
    T: std::str::FromStr<Err = recur_core::Error>,
{
    let text: String = row.get(idx)?;
    text.parse().map_err(|e: recur_core::Error| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// A customer's recorded group in a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedAssignment {
    /// Customer id.
    pub customer: CustomerId,
    /// Segment (the holdout's stratum).
    pub segment: Segment,
    /// Treated, holdout or excluded.
    pub group: Group,
    /// Offer index for the treated.
    pub offer: Option<usize>,
}

/// A recorded campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedCampaign {
    /// Id.
    pub id: String,
    /// Its definition (TOML).
    pub spec: String,
    /// When it was planned (seconds since the epoch).
    pub created_at: i64,
}

/// A coupon redemption reported by the shop.
#[derive(Debug, Clone, PartialEq)]
pub struct Redemption {
    /// Campaign whose code was redeemed.
    pub campaign: String,
    /// Customer the code was issued to.
    pub customer: CustomerId,
    /// The code.
    pub code: String,
    /// Order it was redeemed on.
    pub order_id: String,
    /// Discount granted, in the shop's currency.
    pub discount: f64,
    /// When (seconds since the epoch), if known.
    pub redeemed_at: Option<i64>,
}

/// The ledger.
pub struct Ledger {
    conn: Connection,
    path: std::path::PathBuf,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").finish_non_exhaustive()
    }
}

fn db(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::Ledger {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// The Message-ID of a campaign's message to a customer.
pub fn message_id(campaign: &str, customer: &str) -> String {
    format!(
        "<{:016x}.{campaign}@recur.invalid>",
        crate::holdout::holdout_key("message-id", &format!("{campaign}\0{customer}"))
    )
}

impl Ledger {
    /// Opens (creating if needed) the ledger at `path` and applies pending migrations.
    pub fn open(path: &Path) -> Result<Ledger> {
        let err = db(path);
        let mut conn = Connection::open(path).map_err(&err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(&err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(&err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(&err)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(&err)?;
        if version as usize > MIGRATIONS.len() {
            return Err(Error::Ledger {
                path: path.to_owned(),
                message: format!(
                    "schema version {version} is newer than this recur knows ({}); upgrade recur",
                    MIGRATIONS.len()
                ),
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction().map_err(&err)?;
            tx.execute_batch(sql).map_err(&err)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(&err)?;
            tx.commit().map_err(&err)?;
        }
        Ok(Ledger {
            conn,
            path: path.to_owned(),
        })
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> Error + use<> {
        let path = self.path.clone();
        move |e| Error::Ledger {
            path: path.clone(),
            message: e.to_string(),
        }
    }

    /// Records a plan: the campaign and every customer's group. A campaign is recorded once;
    /// recording it again keeps the first groups (the holdout must not move).
    /// Returns whether it was new.
    pub fn record_plan(&mut self, spec_toml: &str, plan: &Plan, now: i64) -> Result<bool> {
        let err = self.err();
        let tx = self.conn.transaction().map_err(&err)?;
        let new = tx
            .execute(
                "INSERT OR IGNORE INTO campaigns (id, spec, created_at) VALUES (?1, ?2, ?3)",
                params![plan.campaign, spec_toml, now],
            )
            .map_err(&err)?
            == 1;
        if new {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO assignments (campaign, customer, segment, grp, offer) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(&err)?;
            for c in &plan.customers {
                let (grp, offer) = match c.assignment {
                    Assignment::Treated { offer, .. } => (Group::Treated, Some(offer as i64)),
                    Assignment::Holdout => (Group::Holdout, None),
                    Assignment::Excluded { .. } => (Group::Excluded, None),
                };
                stmt.execute(params![
                    plan.campaign,
                    c.customer_id.as_str(),
                    c.segment.as_str(),
                    grp.as_str(),
                    offer
                ])
                .map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)?;
        Ok(new)
    }

    /// A recorded campaign's definition (TOML) and when it was planned.
    pub fn campaign(&self, id: &str) -> Result<Option<(String, i64)>> {
        let err = self.err();
        self.conn
            .query_row(
                "SELECT spec, created_at FROM campaigns WHERE id = ?1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(&err)
    }

    /// Every recorded campaign, oldest first.
    pub fn campaigns(&self) -> Result<Vec<RecordedCampaign>> {
        let err = self.err();
        let mut stmt = self
            .conn
            .prepare("SELECT id, spec, created_at FROM campaigns ORDER BY created_at, id")
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(RecordedCampaign {
                    id: r.get(0)?,
                    spec: r.get(1)?,
                    created_at: r.get(2)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&err)
    }

    /// The recorded group of each customer of a campaign, by customer id.
    pub fn assignments(&self, campaign: &str) -> Result<Vec<RecordedAssignment>> {
        let err = self.err();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT customer, segment, grp, offer FROM assignments
                 WHERE campaign = ?1 AND substr(customer, 1, length(?2)) <> ?2 ORDER BY customer",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(params![campaign, ERASED_PREFIX], |r| {
                Ok(RecordedAssignment {
                    customer: r.get::<_, String>(0)?.into(),
                    segment: parse_column(r, 1)?,
                    group: parse_column(r, 2)?,
                    offer: r.get::<_, Option<i64>>(3)?.map(|v| v as usize),
                })
            })
            .map_err(&err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&err)
    }

    /// Queues messages (once per campaign and customer; queuing again changes nothing).
    /// Returns how many were new.
    pub fn queue(&mut self, messages: &[Outgoing]) -> Result<usize> {
        let err = self.err();
        for campaign in messages
            .iter()
            .map(|m| m.campaign.as_str())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let known = self
                .conn
                .query_row(
                    "SELECT 1 FROM campaigns WHERE id = ?1",
                    params![campaign],
                    |_| Ok(()),
                )
                .optional()
                .map_err(&err)?
                .is_some();
            if !known {
                return Err(Error::Ledger {
                    path: self.path.clone(),
                    message: format!(
                        "campaign `{campaign}` has no recorded plan (its holdout must be recorded before anything is sent); plan it first"
                    ),
                });
            }
        }
        let tx = self.conn.transaction().map_err(&err)?;
        let mut added = 0;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT OR IGNORE INTO sends (campaign, customer, message_id, payload, status) VALUES (?1, ?2, ?3, ?4, 'queued')",
                )
                .map_err(&err)?;
            for m in messages {
                let payload = serde_json::to_string(m).map_err(|e| Error::Model(e.to_string()))?;
                added += stmt
                    .execute(params![
                        m.campaign,
                        m.customer_id.as_str(),
                        message_id(&m.campaign, &m.customer_id),
                        payload
                    ])
                    .map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)?;
        Ok(added)
    }

    /// Messages of a campaign not yet sent, failed or suppressed, by customer id.
    pub fn pending(&self, campaign: &str) -> Result<Vec<Pending>> {
        let err = self.err();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT payload, message_id, status, attempts FROM sends
                 WHERE campaign = ?1 AND status IN ('queued', 'sending') ORDER BY customer",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(params![campaign], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })
            .map_err(&err)?;
        let mut out = Vec::new();
        for row in rows {
            let (payload, message_id, status, attempts) = row.map_err(&err)?;
            let message: Outgoing = serde_json::from_str(&payload).map_err(|e| Error::Ledger {
                path: self.path.clone(),
                message: format!("unreadable queued message: {e}"),
            })?;
            out.push(Pending {
                message,
                message_id,
                status: SendStatus::parse(&status),
                attempts: attempts as u32,
            });
        }
        Ok(out)
    }

    /// Moves a message to `status` (committed immediately).
    pub fn set_status(
        &self,
        campaign: &str,
        customer: &str,
        status: SendStatus,
        error: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let err = self.err();
        let attempt = i64::from(status == SendStatus::Sending);
        self.conn
            .execute(
                "UPDATE sends SET status = ?3, attempts = attempts + ?4, last_error = ?5,
                   sent_at = CASE WHEN ?3 = 'sent' THEN ?6 ELSE sent_at END
                 WHERE campaign = ?1 AND customer = ?2",
                params![campaign, customer, status.as_str(), attempt, error, now],
            )
            .map_err(&err)?;
        Ok(())
    }

    /// Marks a group of messages `sending` (one attempt each) in one commit, before they
    /// are handed over.
    pub fn mark_sending(&self, campaign: &str, customers: &[&str], now: i64) -> Result<()> {
        let records: Vec<_> = customers
            .iter()
            .map(|c| (*c, SendStatus::Sending, None, 1))
            .collect();
        self.record(campaign, &records, now)
    }

    /// Records the outcomes of a group of deliveries in one commit: (customer, new status,
    /// error, attempts beyond the one counted by [`Ledger::mark_sending`]).
    pub fn record_outcomes(
        &self,
        campaign: &str,
        outcomes: &[(&str, SendStatus, Option<String>, u32)],
        now: i64,
    ) -> Result<()> {
        self.record(campaign, outcomes, now)
    }

    fn record(
        &self,
        campaign: &str,
        rows: &[(&str, SendStatus, Option<String>, u32)],
        now: i64,
    ) -> Result<()> {
        let err = self.err();
        let tx = self.conn.unchecked_transaction().map_err(&err)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "UPDATE sends SET status = ?3, attempts = attempts + ?4, last_error = ?5,
                       sent_at = CASE WHEN ?3 = 'sent' THEN ?6 ELSE sent_at END
                     WHERE campaign = ?1 AND customer = ?2",
                )
                .map_err(&err)?;
            for (customer, status, error, attempts) in rows {
                stmt.execute(params![
                    campaign,
                    customer,
                    status.as_str(),
                    i64::from(*attempts),
                    error,
                    now
                ])
                .map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)
    }

    /// Counts of a campaign's messages by state.
    pub fn counts(&self, campaign: &str) -> Result<SendCounts> {
        let err = self.err();
        let mut stmt = self
            .conn
            .prepare("SELECT status, COUNT(*) FROM sends WHERE campaign = ?1 GROUP BY status")
            .map_err(&err)?;
        let mut c = SendCounts::default();
        let rows = stmt
            .query_map(params![campaign], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize))
            })
            .map_err(&err)?;
        for row in rows {
            let (s, n) = row.map_err(&err)?;
            match SendStatus::parse(&s) {
                SendStatus::Queued => c.queued = n,
                SendStatus::Sending => c.sending = n,
                SendStatus::Sent => c.sent = n,
                SendStatus::Failed => c.failed = n,
                SendStatus::Suppressed => c.suppressed = n,
            }
        }
        Ok(c)
    }

    /// When the customer last received any campaign message (for cross-campaign frequency
    /// caps), as a timestamp.
    pub fn last_sent(&self, customer: &str) -> Result<Option<i64>> {
        let err = self.err();
        self.conn
            .query_row(
                "SELECT MAX(sent_at) FROM sends WHERE customer = ?1 AND status = 'sent'",
                params![customer],
                |r| r.get::<_, Option<i64>>(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(&err)
    }

    /// Adds a customer to the suppression list (unsubscribe, complaint, erasure).
    pub fn suppress(&self, customer: &str, reason: &str, now: i64) -> Result<()> {
        let err = self.err();
        self.conn
            .execute(
                "INSERT INTO suppressions (customer, reason, at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (customer) DO UPDATE SET reason = excluded.reason, at = excluded.at",
                params![customer, reason, now],
            )
            .map_err(&err)?;
        Ok(())
    }

    /// Whether the customer is on the suppression list (erased customers are listed by a
    /// hash of their id, see [`erased_key`]).
    pub fn is_suppressed(&self, customer: &str) -> Result<bool> {
        let err = self.err();
        self.conn
            .query_row(
                "SELECT 1 FROM suppressions WHERE customer = ?1 OR customer = ?2",
                params![customer, erased_key(customer)],
                |_| Ok(()),
            )
            .optional()
            .map(|v| v.is_some())
            .map_err(&err)
    }
}
