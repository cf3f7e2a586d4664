//! One customer's messages across campaigns (the service's customer page and API).

use rusqlite::params;
use serde::Serialize;

use super::{Ledger, SendStatus};
use crate::error::Result;
use crate::export::Outgoing;

/// A message the ledger holds for a customer, without the address it went to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerMessage {
    /// Campaign id.
    pub campaign: String,
    /// Its Message-ID.
    pub message_id: String,
    /// Its state.
    pub status: SendStatus,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// When the channel confirmed it (Unix seconds).
    pub sent_at: Option<i64>,
    /// Subject line (empty for SMS; empty after erasure).
    pub subject: String,
    /// Body as sent (empty after erasure).
    pub body: String,
    /// The offer it carried.
    pub offer: String,
}

impl Ledger {
    /// The customer's messages, newest first (at most `limit`). Erased customers' messages
    /// come back with empty texts.
    pub fn messages_to(&self, customer: &str, limit: usize) -> Result<Vec<CustomerMessage>> {
        let err = self.err();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT campaign, message_id, status, attempts, sent_at, payload FROM sends
                 WHERE customer = ?1 ORDER BY sent_at IS NULL, sent_at DESC, campaign DESC
                 LIMIT ?2",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(params![customer, limit as i64], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })
            .map_err(&err)?;
        let mut out = Vec::new();
        for row in rows {
            let (campaign, message_id, status, attempts, sent_at, payload) = row.map_err(&err)?;
            // An erased message holds a tombstone instead of the payload.
            let message: Option<Outgoing> = serde_json::from_str(&payload).ok();
            let (subject, body, offer) = message.map_or_else(
                || (String::new(), String::new(), String::new()),
                |m| (m.message.subject, m.message.body, m.offer),
            );
            out.push(CustomerMessage {
                campaign,
                message_id,
                status: SendStatus::parse(&status),
                attempts: u32::try_from(attempts).unwrap_or(0),
                sent_at,
                subject,
                body,
                offer,
            });
        }
        Ok(out)
    }
}
