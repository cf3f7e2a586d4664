//! Approving a campaign's messages before they go out: who, when, and a fingerprint of the
//! messages approved, recorded in the send ledger. Writing the messages again changes the
//! fingerprint, so an approval covers exactly the messages a person saw.

use recur_campaign::{Approval, MessagesFingerprint};
use serde::Serialize;

use super::store::CampaignStore;
use crate::error::{Error, Result};
use crate::workspace::Workspace;

/// A recorded approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalRecord {
    /// Who approved: an API key's label, or `cli`.
    pub approved_by: String,
    /// When (UTC, RFC 3339).
    pub approved_at: String,
    /// Messages approved.
    pub messages: usize,
    /// Fingerprint of the messages approved.
    pub fingerprint: String,
}

/// A campaign's approval and whether it still covers its messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalStatus {
    /// Campaign.
    pub campaign: String,
    /// The latest approval, if any.
    pub approval: Option<ApprovalRecord>,
    /// The messages as they are now.
    pub current: MessagesFingerprint,
    /// Whether there is an approval and it matches the messages as they are now.
    pub valid: bool,
}

fn record(a: &Approval) -> ApprovalRecord {
    ApprovalRecord {
        approved_by: a.approved_by.clone(),
        approved_at: chrono::DateTime::from_timestamp(a.approved_at, 0)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default(),
        messages: a.approved.messages,
        fingerprint: a.approved.fingerprint.clone(),
    }
}

/// The approval state of `campaign` in `store` ([`Error::NoSuchCampaign`] when unknown).
pub(crate) fn approval_of(store: &CampaignStore, campaign: &str) -> Result<ApprovalStatus> {
    store.recorded(campaign)?;
    let current = store.ledger.messages_fingerprint(campaign)?;
    let approval = store.ledger.approval(campaign)?;
    let valid = approval.as_ref().is_some_and(|a| a.approved == current);
    Ok(ApprovalStatus {
        campaign: campaign.to_owned(),
        approval: approval.as_ref().map(record),
        current,
        valid,
    })
}

impl ApprovalStatus {
    /// `Ok` when there is an approval and it matches the messages as they are now;
    /// [`Error::NotApproved`] or [`Error::ApprovalOutdated`] otherwise.
    pub fn require(&self) -> Result<()> {
        match &self.approval {
            None => Err(Error::NotApproved {
                campaign: self.campaign.clone(),
            }),
            Some(a) if !self.valid => Err(Error::ApprovalOutdated {
                campaign: self.campaign.clone(),
                approved: a.messages,
                now: self.current.messages,
            }),
            Some(_) => Ok(()),
        }
    }
}

/// Records that `by` (an API key's label, or `cli`) approved the messages of `campaign` as
/// they are now in the ledger (count and fingerprint), replacing an earlier approval.
///
/// Errors: [`Error::NoLedger`], [`Error::NoSuchCampaign`], and [`Error::NothingToApprove`]
/// when no messages were written yet.
pub fn approve_campaign(
    ws: &Workspace,
    campaign: &str,
    by: &str,
    now: i64,
) -> Result<ApprovalStatus> {
    let store = CampaignStore::open(ws)?;
    store.recorded(campaign)?;
    if store.ledger.messages_fingerprint(campaign)?.messages == 0 {
        return Err(Error::NothingToApprove {
            campaign: campaign.to_owned(),
        });
    }
    store.ledger.approve(campaign, by, now)?;
    approval_of(&store, campaign)
}

/// The approval state of `campaign` (errors: [`Error::NoLedger`], [`Error::NoSuchCampaign`]).
pub fn campaign_approval(ws: &Workspace, campaign: &str) -> Result<ApprovalStatus> {
    approval_of(&CampaignStore::open(ws)?, campaign)
}
