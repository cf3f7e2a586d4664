//! What the ledger keeps for later analysis: the features each customer had when a campaign
//! was planned, and the coupon redemptions the shop reports.

use rusqlite::{OptionalExtension, params};

use super::{Ledger, Redemption};
use crate::error::{Error, Result};

impl Ledger {
    /// Records the features each customer had when `campaign` was planned (once; recording
    /// again changes nothing), so later uplift models learn from what was known then.
    pub fn record_features(
        &mut self,
        campaign: &str,
        names: &[String],
        rows: &[(&str, Vec<f64>)],
    ) -> Result<()> {
        let err = self.err();
        let tx = self.conn.transaction().map_err(&err)?;
        let names_json = serde_json::to_string(names).expect("strings serialise");
        let new = tx
            .execute(
                "INSERT OR IGNORE INTO feature_names (campaign, names) VALUES (?1, ?2)",
                params![campaign, names_json],
            )
            .map_err(&err)?
            == 1;
        if new {
            let mut stmt = tx
                .prepare("INSERT INTO features (campaign, customer, vals) VALUES (?1, ?2, ?3)")
                .map_err(&err)?;
            for (customer, vals) in rows {
                let vals = serde_json::to_string(vals).expect("numbers serialise");
                stmt.execute(params![campaign, customer, vals])
                    .map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)
    }

    /// The features recorded for `campaign`: their names and each customer's values (None
    /// when none were recorded, as for campaigns planned before recur recorded them).
    #[allow(clippy::type_complexity)]
    pub fn features(
        &self,
        campaign: &str,
    ) -> Result<Option<(Vec<String>, std::collections::HashMap<String, Vec<f64>>)>> {
        let err = self.err();
        let names: Option<String> = self
            .conn
            .query_row(
                "SELECT names FROM feature_names WHERE campaign = ?1",
                params![campaign],
                |r| r.get(0),
            )
            .optional()
            .map_err(&err)?;
        let Some(names) = names else {
            return Ok(None);
        };
        let corrupt = |what: &str, e: serde_json::Error| Error::Ledger {
            path: self.path.clone(),
            message: format!("recorded {what} of campaign `{campaign}` are not valid JSON: {e}"),
        };
        let names: Vec<String> =
            serde_json::from_str(&names).map_err(|e| corrupt("feature names", e))?;
        let mut stmt = self
            .conn
            .prepare("SELECT customer, vals FROM features WHERE campaign = ?1")
            .map_err(&err)?;
        let rows = stmt
            .query_map(params![campaign], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(&err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(&err)?;
        let mut out = std::collections::HashMap::with_capacity(rows.len());
        for (customer, vals) in rows {
            let vals: Vec<f64> = serde_json::from_str(&vals).map_err(|e| corrupt("features", e))?;
            out.insert(customer, vals);
        }
        Ok(Some((names, out)))
    }

    /// Records a redemption export from `source` (one row per campaign, customer and order;
    /// a row already recorded is kept). Returns how many were new.
    pub fn record_redemptions(
        &mut self,
        source: &str,
        rows: &[Redemption],
        now: i64,
    ) -> Result<usize> {
        let err = self.err();
        let tx = self.conn.transaction().map_err(&err)?;
        tx.execute(
            "INSERT INTO redemption_imports (source, rows, at) VALUES (?1, ?2, ?3)",
            params![source, rows.len() as i64, now],
        )
        .map_err(&err)?;
        let mut new = 0;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT OR IGNORE INTO redemptions (campaign, customer, code, order_id, discount, redeemed_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(&err)?;
            for r in rows {
                new += stmt
                    .execute(params![
                        r.campaign,
                        r.customer.as_str(),
                        r.code,
                        r.order_id,
                        r.discount,
                        r.redeemed_at
                    ])
                    .map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)?;
        Ok(new)
    }

    /// Redemptions recorded for `campaign`: total discount per customer. None when no
    /// redemption export was imported after the campaign was planned (its cost is unknown),
    /// an empty map when one was and nobody redeemed.
    pub fn redemptions(
        &self,
        campaign: &str,
    ) -> Result<Option<std::collections::HashMap<String, f64>>> {
        let err = self.err();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT customer, SUM(discount) FROM redemptions WHERE campaign = ?1 GROUP BY customer",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(params![campaign], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?))
            })
            .map_err(&err)?
            .collect::<rusqlite::Result<std::collections::HashMap<_, _>>>()
            .map_err(&err)?;
        let imported: bool = self
            .conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM redemption_imports i JOIN campaigns c ON c.id = ?1
                 WHERE i.at >= c.created_at)",
                params![campaign],
                |r| r.get(0),
            )
            .map_err(&err)?;
        Ok((imported || !rows.is_empty()).then_some(rows))
    }
}
