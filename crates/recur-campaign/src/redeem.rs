//! Coupon redemptions reported by the shop: matched to the campaign and customer each code was
//! issued to, so lift reports use the discount actually granted instead of an estimate.

use std::collections::HashMap;
use std::path::Path;

use recur_core::Group;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ledger::{Ledger, Redemption};
use crate::spec::CampaignSpec;

/// What importing a redemption file did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RedemptionImport {
    /// Data rows read.
    pub rows: usize,
    /// Rows whose code was issued by a recorded campaign.
    pub matched: usize,
    /// Of those, not recorded before.
    pub new: usize,
    /// Rows whose code no recorded campaign issued: (line, code). Kept out of the ledger and
    /// listed, never dropped silently.
    pub unknown_codes: Vec<(u64, String)>,
    /// Matched rows per campaign.
    pub by_campaign: Vec<(String, usize)>,
}

const HINT: &str = "the file needs a header with `code`, `order_id` and `discount` (and optionally `redeemed_at` as YYYY-MM-DD or RFC 3339)";

fn parse_time(s: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
}

/// Reads a CSV of redemptions (`code,order_id,discount[,redeemed_at]`, any column order, extra
/// columns ignored) and records those whose code a recorded campaign issued. A malformed row
/// stops the import with its line and nothing is recorded; re-importing the same file adds
/// nothing.
pub fn import_redemptions(ledger: &mut Ledger, path: &Path, now: i64) -> Result<RedemptionImport> {
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    import_redemptions_from(ledger, path, file, now)
}

/// [`import_redemptions`] from any reader (bytes in memory, a pipe); `path` names the source
/// in messages.
pub fn import_redemptions_from(
    ledger: &mut Ledger,
    path: &Path,
    input: impl std::io::Read,
    now: i64,
) -> Result<RedemptionImport> {
    let bad = |line: u64, message: String| Error::BadRow {
        path: path.to_owned(),
        line,
        message,
        hint: HINT,
    };
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let headers = reader.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(c_code), Some(c_order), Some(c_discount)) =
        (col("code"), col("order_id"), col("discount"))
    else {
        return Err(bad(
            1,
            format!(
                "missing column(s); found: {}",
                headers.iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    };
    let c_at = col("redeemed_at");

    // Every code the recorded campaigns issued.
    let mut issued: HashMap<String, (String, recur_core::CustomerId)> = HashMap::new();
    for c in ledger.campaigns()? {
        let spec = CampaignSpec::parse(&c.spec, Path::new(&c.id))?;
        for a in ledger.assignments(&c.id)? {
            if let (Some(o), Group::Treated) = (a.offer, a.group)
                && let Some(code) = spec
                    .offers
                    .get(o)
                    .and_then(|o| o.coupon_code(&c.id, &a.customer))
            {
                issued.insert(code.to_ascii_uppercase(), (c.id.clone(), a.customer));
            }
        }
    }

    let mut report = RedemptionImport::default();
    let mut rows = Vec::new();
    let mut per_campaign: HashMap<String, usize> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            bad(line, e.to_string())
        })?;
        let line = record.position().map_or(0, |p| p.line());
        report.rows += 1;
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let code = field(c_code);
        if code.is_empty() {
            return Err(bad(line, "`code` is empty".into()));
        }
        let discount: f64 = field(c_discount).parse().map_err(|_| {
            bad(
                line,
                format!("`discount` = {:?} is not a number", field(c_discount)),
            )
        })?;
        if !discount.is_finite() || discount < 0.0 {
            return Err(bad(
                line,
                format!("`discount` = {discount} must be a non-negative amount"),
            ));
        }
        let redeemed_at = match c_at.map(field).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(parse_time(s).ok_or_else(|| {
                bad(
                    line,
                    format!("`redeemed_at` = {s:?} is not YYYY-MM-DD or RFC 3339"),
                )
            })?),
        };
        let Some((campaign, customer)) = issued.get(&code.to_ascii_uppercase()) else {
            report.unknown_codes.push((line, code.to_owned()));
            continue;
        };
        report.matched += 1;
        *per_campaign.entry(campaign.clone()).or_default() += 1;
        rows.push(Redemption {
            campaign: campaign.clone(),
            customer: customer.clone(),
            code: code.to_owned(),
            order_id: field(c_order).to_owned(),
            discount,
            redeemed_at,
        });
    }
    report.new = ledger.record_redemptions(&path.display().to_string(), &rows, now)?;
    report.by_campaign = per_campaign.into_iter().collect();
    report.by_campaign.sort();
    Ok(report)
}
