//! recur campaigns: randomised holdouts, uplift targeting and measured lift.
//!
//! - [`assign_holdout`]: a stratified holdout that is a stable function of (campaign, customer).
//! - [`mean_difference`]: treated vs holdout effects with confidence intervals.
//! - [`UpliftModel`], [`qini`], [`compare_targeting`]: who to target because the offer changes
//!   their behaviour, and how much better that is than random targeting.
//! - [`compose`], [`validate`], [`template`]: messages grounded in the facts the engine
//!   supplies; anything else is rejected and the template takes over.
//! - [`CampaignSpec`], [`plan`]: a TOML definition becomes an audience with a stratified
//!   holdout and, per customer, the offer with the highest expected incremental profit.
//! - [`Ledger`], [`send_pending`], [`SmtpDelivery`], [`WebhookDelivery`]: idempotent,
//!   resumable delivery recorded in SQLite, with consent/suppression and retries.
//! - [`measure_lift`]: treated vs holdout repurchase, revenue and profit with intervals.
//! - [`evaluate_hillstrom`]: all of the above on the Hillstrom e-mail experiment.
//!
//! ```
//! use recur_campaign::{assign_holdout, mean_difference};
//!
//! let audience = [("c1", "Loyal"), ("c2", "Loyal"), ("c3", "At Risk"), ("c4", "At Risk")];
//! let holdout = assign_holdout("spring-winback", &audience, 0.5);
//! assert_eq!(holdout.iter().filter(|h| **h).count(), 2);
//!
//! let e = mean_difference(&[1.0, 0.0, 1.0, 1.0], &[0.0, 0.0, 1.0, 0.0], 0.95).unwrap();
//! assert_eq!(e.effect, 0.5);
//! ```

mod deliver;
mod error;
mod export;
mod fairness;
mod guard;
mod hillstrom;
mod holdout;
mod learn;
mod ledger;
mod message;
mod outcome;
mod plan;
mod redeem;
mod spec;
mod stats;
mod uplift;

pub use deliver::{
    Deliver, DeliveryError, MAX_CONNECTIONS, SendOptions, SendReport, SmtpDelivery, SmtpSecurity,
    WebhookDelivery, send_pending, webhook_signature,
};
pub use error::{Error, Result};
pub use export::{Outgoing, export_files};
pub use fairness::{FOUR_FIFTHS, FairnessGroup, FairnessTable, MIN_GROUP_SIZE, offer_fairness};
pub use guard::{GuardRailChange, attribute_value, shop_attributes};
pub use hillstrom::{ArmReport, HillstromReport, Targeting, evaluate_hillstrom};
pub use holdout::{assign_holdout, holdout_key};
pub use learn::{OfferEvidence, OfferModels, PastCampaign, PastRow};
pub use ledger::{
    Approval, CustomerMessage, ERASED_PREFIX, Ledger, MessagesFingerprint, Pending,
    RecordedAssignment, RecordedCampaign, Redemption, SendCounts, SendLock, SendStatus, erased_key,
    message_id,
};
pub use message::{
    CustomerContext, Draft, Facts, Format, FreeText, Language, MAX_FIRST_NAME_CHARS, Message,
    OfferFact, ProductFact, ProductSource, Rules, Violation, Writer, assemble, compose,
    free_text_pattern, money, personalise, sms_limit, template, template_text, validate,
};
pub use outcome::{GroupLifts, Lift, LiftReport, Outcome, lift_by_group, measure_lift};
pub use plan::{
    Assignment, Candidate, Exclusion, Plan, PlanSummary, PlannedCustomer, Response, offer_value,
    plan, plan_exploration,
};
pub use recur_core::{Group, Interval, MessagePath, MessageTally, OfferBasis, Segment};
pub use redeem::{RedemptionImport, import_redemptions, import_redemptions_from};
pub use spec::{
    Audience, BUILTIN_ATTRIBUTES, CampaignSpec, Channel, FairnessRules, OfferKind, OfferSpec,
    SendWindow,
};
pub use stats::{Effect, Estimate, Rng, mean_difference, percentile_interval, z_value};
pub use uplift::{
    Features, Qini, QiniPoint, TargetingComparison, UpliftConfig, UpliftModel, compare_targeting,
    qini,
};
