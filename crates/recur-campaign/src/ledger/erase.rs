//! Erasure: a customer's ledger rows under a pseudonym, the customer kept suppressed under a
//! hash of the id.

use rusqlite::params;

use super::Ledger;
use crate::error::{Error, Result};

/// The pseudonym prefix of erased customers' ledger rows (`erased-000001`).
pub const ERASED_PREFIX: &str = "erased-";

/// How an erased customer is listed among the suppressions: a hash of their id, so the
/// ledger can still refuse to contact them without keeping the id itself.
pub fn erased_key(customer: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("recur-erased\0{customer}").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("erased:{hex}")
}

impl Ledger {
    /// Erases a customer from the ledger; see [`Ledger::erase_customers`].
    pub fn erase_customer(&mut self, customer: &str, now: i64) -> Result<usize> {
        self.erase_customers(&[customer], now)
    }

    /// Erases customers from the ledger: every row about them (assignments, messages,
    /// planning features, redemptions) now names a pseudonym (`erased-000001`) with no link to
    /// the id left in the file (message ids, coupon codes and error texts, which derive from or
    /// may hold the customer's data, are replaced or cleared); message payloads (address,
    /// personalised text) become a tombstone and queued messages are suppressed. Each customer
    /// stays suppressed under a hash of the id, so a later import that brings them back never
    /// gets them contacted. Freed pages are overwritten and the write-ahead log truncated, so
    /// no copy of the old rows stays in the files. Group records stay for the campaigns'
    /// measurements, which leave the erased out of both groups. Returns the rows changed (0 on
    /// a second run).
    pub fn erase_customers(&mut self, customers: &[&str], now: i64) -> Result<usize> {
        let err = self.err();
        self.conn
            .pragma_update(None, "secure_delete", "ON")
            .map_err(&err)?;
        let tx = self.conn.transaction().map_err(&err)?;
        let mut n = 0;
        for customer in customers {
            let erased: i64 = tx
                .query_row(
                    "SELECT COUNT(*) FROM suppressions WHERE reason = 'erased'",
                    [],
                    |r| r.get(0),
                )
                .map_err(&err)?;
            let pseudonym = format!("{ERASED_PREFIX}{:06}", erased + 1);
            n += tx
                .execute(
                    "UPDATE sends SET payload = '{\"erased\":true}', customer = ?2,
                       message_id = ?2 || ':' || campaign, last_error = NULL,
                       status = CASE WHEN status IN ('queued', 'sending') THEN 'suppressed' ELSE status END
                     WHERE customer = ?1",
                    params![customer, pseudonym],
                )
                .map_err(&err)?;
            n += tx
                .execute(
                    "UPDATE redemptions SET customer = ?2, code = '' WHERE customer = ?1",
                    params![customer, pseudonym],
                )
                .map_err(&err)?;
            for table in ["assignments", "features"] {
                n += tx
                    .execute(
                        &format!("UPDATE {table} SET customer = ?2 WHERE customer = ?1"),
                        params![customer, pseudonym],
                    )
                    .map_err(&err)?;
            }
            n += tx
                .execute(
                    "DELETE FROM suppressions WHERE customer = ?1",
                    params![customer],
                )
                .map_err(&err)?;
            tx.execute(
                "INSERT INTO suppressions (customer, reason, at) VALUES (?1, 'erased', ?2)
                 ON CONFLICT (customer) DO NOTHING",
                params![erased_key(customer), now],
            )
            .map_err(&err)?;
        }
        tx.commit().map_err(&err)?;
        if n > 0 {
            let busy: i64 = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
                .map_err(&err)?;
            if busy != 0 {
                return Err(Error::Ledger {
                    path: self.path.clone(),
                    message: "another process is using the ledger (a campaign send?), so the old rows are still in its write-ahead log; run the erasure again when it is done".into(),
                });
            }
            self.conn.execute_batch("VACUUM;").map_err(&err)?;
        }
        Ok(n)
    }
}
