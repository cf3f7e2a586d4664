//! Campaigns on a workspace, one file per use case:
//!
//! ```text
//!  plan.rs         spec + customers + ledger's past campaigns ─► recorded plan and holdout
//!  generate.rs     recorded plan + workspace facts ─► validated messages, queued, exported
//!  approve.rs      queued messages ─► an approval (who, when, fingerprint) in the ledger
//!  send.rs         queued messages ─► SMTP / webhook, exactly once
//!  evaluate.rs     recorded plan + orders in the goal window ─► lift vs the holdout
//!  redemptions.rs  coupon redemption export ─► the ledger (the real offer cost)
//!  copy_eval.rs    audit of the written copy, or a fresh sample drafted again ─► shares
//! ```
//!
//! Shared by them (and by the demo's campaign loop): `store.rs` (the campaign folder and its
//! send ledger, with the typed "no ledger" / "no such campaign" errors), `features.rs` (what a
//! plan records about each customer; the offer as a message fact), `facts.rs` (everything a
//! customer's message may state, from the workspace), `writer.rs` (one message: language
//! model or template, validated, personalised, audited) and `audit.rs` (the copy audit file
//! and its summary).

mod approve;
mod audit;
mod copy_eval;
mod evaluate;
mod facts;
mod features;
mod generate;
mod plan;
mod redemptions;
mod send;
mod store;
mod writer;

pub use approve::{ApprovalRecord, ApprovalStatus, approve_campaign, campaign_approval};
pub(crate) use audit::write_audit;
pub use audit::{
    COPY_AUDIT_FILE, CopyAudit, CopyEvaluation, CopyPath, CopyShares, campaign_copy_audit,
    distinct_2,
};
pub use copy_eval::{CopyRun, evaluate_campaign_copy};
pub use evaluate::{OutcomeEffect, RETENTION_DAYS, WorkspaceLift, evaluate_workspace_campaign};
pub(crate) use features::{customer_features, feature_names, offer_fact};
pub use generate::{GeneratedCampaign, generate_workspace_campaign};
pub use plan::{
    FAIRNESS_FILE, HELD_BACK_FILE, MIN_PER_ARM, PlannedCampaign, RecordedFairness,
    campaign_fairness, plan_workspace_campaign,
};
pub(crate) use plan::{candidate_lifts, plan_fairness};
pub use redemptions::import_workspace_redemptions;
pub use send::{ChannelConfig, SendOutcome, SendRun, send_campaign};
pub use store::{CampaignStore, LEDGER_FILE, RecordedCampaign};
pub(crate) use writer::{MessageWriter, Recipient};
