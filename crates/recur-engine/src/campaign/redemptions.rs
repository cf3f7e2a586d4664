//! Importing a shop's coupon redemptions into the ledger.

use std::path::Path;

use recur_campaign::RedemptionImport;

use super::store::CampaignStore;
use crate::error::Result;
use crate::workspace::Workspace;

/// Imports a shop's coupon redemption export (CSV: `code,order_id,discount[,redeemed_at]`)
/// into the workspace's ledger; codes are matched to the campaign and customer they were issued
/// to, unknown codes are listed. Re-importing adds nothing. [`Error::NoLedger`] when no
/// campaign was planned in the workspace (redemptions belong to planned campaigns).
///
/// [`Error::NoLedger`]: crate::error::Error::NoLedger
pub fn import_workspace_redemptions(ws: &Workspace, file: &Path) -> Result<RedemptionImport> {
    let mut store = CampaignStore::open(ws)?;
    Ok(recur_campaign::import_redemptions(
        &mut store.ledger,
        file,
        chrono::Utc::now().timestamp(),
    )?)
}
