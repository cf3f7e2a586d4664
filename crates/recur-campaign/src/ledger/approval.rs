//! Approvals: who approved a campaign's messages, when, and a fingerprint of exactly what
//! they approved; and replacing queued messages when a campaign is written again.

use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::Ledger;
use crate::error::{Error, Result};
use crate::export::Outgoing;

/// What the messages of a campaign are right now: how many, and a hash of all of them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MessagesFingerprint {
    /// Messages in the ledger (any state).
    pub messages: usize,
    /// SHA-256 over each message's customer, Message-ID and content, in customer order (hex).
    pub fingerprint: String,
}

/// A recorded approval of a campaign's messages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Approval {
    /// Campaign.
    pub campaign: String,
    /// Who approved: an API key's label, or `cli`.
    pub approved_by: String,
    /// When (seconds since the epoch).
    pub approved_at: i64,
    /// The messages approved.
    #[serde(flatten)]
    pub approved: MessagesFingerprint,
}

impl Ledger {
    /// The fingerprint of the campaign's messages: every message in the ledger whatever its
    /// state (sending does not change it; writing the messages again or erasing a customer
    /// does).
    pub fn messages_fingerprint(&self, campaign: &str) -> Result<MessagesFingerprint> {
        let err = self.err();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT customer, message_id, payload FROM sends WHERE campaign = ?1 ORDER BY customer",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(params![campaign], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(&err)?;
        let mut hash = Sha256::new();
        let mut messages = 0;
        for row in rows {
            let (customer, id, payload) = row.map_err(&err)?;
            for part in [customer, id, payload] {
                hash.update((part.len() as u64).to_le_bytes());
                hash.update(part.as_bytes());
            }
            messages += 1;
        }
        let fingerprint = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok(MessagesFingerprint {
            messages,
            fingerprint,
        })
    }

    /// Records that `by` approved the campaign's messages as they are now (replacing an
    /// earlier approval). A campaign with no messages cannot be approved.
    pub fn approve(&self, campaign: &str, by: &str, now: i64) -> Result<Approval> {
        let err = self.err();
        if self.campaign(campaign)?.is_none() {
            return Err(Error::Ledger {
                path: self.path.clone(),
                message: format!("campaign `{campaign}` has no recorded plan; plan it first"),
            });
        }
        let approved = self.messages_fingerprint(campaign)?;
        self.conn
            .execute(
                "INSERT INTO approvals (campaign, approved_by, approved_at, messages, fingerprint)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (campaign) DO UPDATE SET approved_by = excluded.approved_by,
                   approved_at = excluded.approved_at, messages = excluded.messages,
                   fingerprint = excluded.fingerprint",
                params![
                    campaign,
                    by,
                    now,
                    approved.messages as i64,
                    approved.fingerprint
                ],
            )
            .map_err(&err)?;
        Ok(Approval {
            campaign: campaign.to_owned(),
            approved_by: by.to_owned(),
            approved_at: now,
            approved,
        })
    }

    /// The campaign's approval, if it has one (it may no longer match the messages: compare
    /// with [`Ledger::messages_fingerprint`]).
    pub fn approval(&self, campaign: &str) -> Result<Option<Approval>> {
        let err = self.err();
        self.conn
            .query_row(
                "SELECT approved_by, approved_at, messages, fingerprint FROM approvals WHERE campaign = ?1",
                params![campaign],
                |r| {
                    Ok(Approval {
                        campaign: campaign.to_owned(),
                        approved_by: r.get(0)?,
                        approved_at: r.get(1)?,
                        approved: MessagesFingerprint {
                            messages: r.get::<_, i64>(2)? as usize,
                            fingerprint: r.get(3)?,
                        },
                    })
                },
            )
            .optional()
            .map_err(&err)
    }

    /// Replaces the content of messages still queued (never handed to a channel) with the
    /// newly written `messages`, so that what is sent is what was written last (and an
    /// approval of the earlier text no longer matches). Returns how many changed.
    pub fn replace_queued(&mut self, messages: &[Outgoing]) -> Result<usize> {
        let err = self.err();
        let tx = self.conn.transaction().map_err(&err)?;
        let mut changed = 0;
        {
            let mut stmt = tx
                .prepare(
                    "UPDATE sends SET payload = ?3
                     WHERE campaign = ?1 AND customer = ?2 AND status = 'queued' AND payload <> ?3",
                )
                .map_err(&err)?;
            for m in messages {
                let payload = serde_json::to_string(m).map_err(|e| Error::Model(e.to_string()))?;
                changed += stmt
                    .execute(params![m.campaign, m.customer_id.as_str(), payload])
                    .map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)?;
        Ok(changed)
    }
}
