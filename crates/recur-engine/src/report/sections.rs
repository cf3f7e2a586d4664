//! The report's sections beyond the analytics (customer value, behaviour model, campaigns) as
//! plain serialisable data, assembled from what the demo computed. The HTML report embeds them
//! as JSON and draws its charts from it; a dashboard can serve the same document.
//!
//! The builders from the demo's stage results are in `build.rs`.

use recur_campaign::{FairnessTable, Lift};
use recur_clv::FitReport;
use recur_core::{CustomerId, Segment};
use recur_model::StopReason;
use serde::Serialize;

use crate::campaign::CopyPath;
use crate::clv::CustomerValue;
use crate::recs::CustomerRecommendations;

/// Customers listed by value at risk in the customer-value section.
pub const TOP_AT_RISK: usize = 10;

/// One section of the report: its data, why the stage behind it failed, or why it did not run.
/// Serialised with a `status` tag: `{"status": "ready", "data": …}`,
/// `{"status": "failed", "error": …, "user_error": …}` or `{"status": "not_run", "reason": …}`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Section<T> {
    /// The stage ran; what it produced.
    Ready {
        /// The section's data.
        data: T,
    },
    /// The stage failed.
    Failed {
        /// The error's message.
        error: String,
        /// Whether the error is the user's to fix rather than a bug.
        user_error: bool,
    },
    /// The stage did not run.
    NotRun {
        /// Why not.
        reason: String,
    },
}

/// The sections the HTML report adds to the analytics; `None` leaves a section out (the report
/// of analytics alone).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportSections {
    /// Customer value (BG/NBD + Gamma-Gamma).
    pub value: Option<Section<ValueSection>>,
    /// The behaviour model: the comparison with the baselines, recommendations.
    pub behaviour: Option<Section<BehaviourSection>>,
    /// The campaign rounds.
    pub campaigns: Option<Section<CampaignSection>>,
    /// What the reviews say: pain points and products held back.
    pub reviews: Option<Section<ReviewSection>>,
}

/// Products with pain points listed in the review section.
pub const PAIN_POINT_PRODUCTS: usize = 10;

/// What the reviews say: the products held back from campaigns and recommendations and the
/// pain points of the products reviewed worst (aspects with their negative share and quotes
/// with their review keys).
#[derive(Debug, Clone, Serialize)]
pub struct ReviewSection {
    /// Reviews read.
    pub reviews: usize,
    /// Share of them negative.
    pub negative_share: f64,
    /// How reviews were judged: `sentiment model` or `stars`.
    pub basis: String,
    /// Products held back, with the reason.
    pub held_back: Vec<recur_reviews::HeldBack>,
    /// Held-back products, then the others by negative share (at most
    /// [`PAIN_POINT_PRODUCTS`]), each with its aspects, most negative first.
    pub products: Vec<recur_reviews::ProductReport>,
    /// The saved summaries of the reviewed products (`recur analyze --product ID --summary`,
    /// `recur analyze --summaries N`), most reviewed first; the report never runs the model.
    pub summaries: Vec<ReportSummary>,
}

/// A saved review summary as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ReportSummary {
    /// The summary.
    pub summary: crate::SavedSummary,
    /// The product's reviews now.
    pub reviews_now: usize,
    /// Whether the product's review count changed since it was written.
    pub stale: bool,
}

/// One bar of a histogram: values in `[from, to)` (`to` is `None` for the open last bar).
#[derive(Debug, Clone, Serialize)]
pub struct Bin {
    /// Lower bound (inclusive).
    pub from: f64,
    /// Upper bound (exclusive), `None` when open-ended.
    pub to: Option<f64>,
    /// Values in the bin.
    pub count: usize,
}

/// The purchase model's calibration/holdout check, when one was run.
#[derive(Debug, Clone, Serialize)]
pub struct HoldoutCheck {
    /// Last calibration day (ISO date).
    pub calibration_end: String,
    /// Last holdout day (ISO date).
    pub observation_end: String,
    /// Customers evaluated.
    pub customers: usize,
    /// Repeat purchases in the holdout period, actual.
    pub actual_total: f64,
    /// Repeat purchases in the holdout period, predicted by BG/NBD.
    pub predicted_total: f64,
    /// Mean absolute error per customer.
    pub mae: f64,
    /// AUC of "buys again in the holdout period".
    pub auc: f64,
}

/// Customer value: distributions, value at risk, the fits, the customers most at risk (by id).
#[derive(Debug, Clone, Serialize)]
pub struct ValueSection {
    /// Customers valued.
    pub customers: usize,
    /// Their 12-month CLV, together.
    pub total_clv_12m: f64,
    /// Their yearly value at risk, together.
    pub total_value_at_risk: f64,
    /// The P(alive) below which a customer is counted as likely gone.
    pub likely_gone_below: f64,
    /// Customers likely gone.
    pub likely_gone: usize,
    /// Their yearly value at risk, together.
    pub likely_gone_value_at_risk: f64,
    /// Histogram of the 12-month CLV (the last bar open-ended).
    pub clv_histogram: Vec<Bin>,
    /// Histogram of P(alive), ten bars of 0.1.
    pub p_alive_histogram: Vec<Bin>,
    /// The BG/NBD fit (weeks).
    pub bgnbd: FitReport,
    /// The Gamma-Gamma fit.
    pub gamma_gamma: FitReport,
    /// The calibration/holdout check, when one was run (the demo does not).
    pub holdout: Option<HoldoutCheck>,
    /// The customers with the most value at risk, highest first (ids only).
    pub top_at_risk: Vec<CustomerValue>,
}

/// One model of the behaviour-model comparison.
#[derive(Debug, Clone, Serialize)]
pub struct ModelRow {
    /// Model name.
    pub model: String,
    /// NDCG@k on the test targets (each customer's last order).
    pub ndcg: f64,
    /// Hit rate@k on the test targets.
    pub hit_rate: f64,
    /// Recall@k on the test targets.
    pub recall: f64,
    /// NDCG@k on the validation targets (what the choice looks at).
    pub validation_ndcg: f64,
    /// Seconds to fit or train.
    pub train_seconds: f64,
    /// Whether this model was chosen.
    pub chosen: bool,
}

/// How the transformer trained.
#[derive(Debug, Clone, Serialize)]
pub struct TransformerRun {
    /// Epochs run.
    pub epochs: usize,
    /// The epoch whose weights were kept.
    pub best_epoch: usize,
    /// Why training ended.
    pub stopped: StopReason,
    /// Seconds spent.
    pub seconds: f64,
}

/// The behaviour model: the transformer against the baselines, the choice, recommendations.
#[derive(Debug, Clone, Serialize)]
pub struct BehaviourSection {
    /// Cut-off of the metrics (NDCG@k, HR@k, Recall@k).
    pub k: usize,
    /// Customers in the test set.
    pub test_customers: usize,
    /// Items ranked (full ranking).
    pub items: usize,
    /// Every model compared.
    pub models: Vec<ModelRow>,
    /// The model recommendations use.
    pub chosen: String,
    /// Why it was chosen, in words.
    pub why: String,
    /// The transformer's training, when it ran.
    pub transformer: Option<TransformerRun>,
    /// Recommendations for the customers with the most value at risk.
    pub recommendations: Vec<CustomerRecommendations>,
}

/// Customers given one offer.
#[derive(Debug, Clone, Serialize)]
pub struct OfferCount {
    /// Offer name.
    pub offer: String,
    /// Customers.
    pub customers: usize,
}

/// One campaign round: groups, offers, measured lift and the simulated truth.
#[derive(Debug, Clone, Serialize)]
pub struct RoundSection {
    /// Round name.
    pub name: String,
    /// Campaign id.
    pub campaign: String,
    /// How offers were chosen.
    pub targeting: String,
    /// Customers in the audience.
    pub eligible: usize,
    /// Customers contacted.
    pub treated: usize,
    /// Customers held out.
    pub holdout: usize,
    /// Customers per offer (offers given to nobody left out).
    pub offers: Vec<OfferCount>,
    /// Treated vs holdout with confidence intervals, `None` when a group was too small.
    pub lift: Option<Lift>,
    /// True incremental purchasers among the treated (simulated shop).
    pub true_incremental_purchasers: f64,
    /// True incremental profit among the treated (simulated shop).
    pub true_incremental_profit: f64,
    /// How the round's offers fall across segments, languages and countries.
    pub fairness: Vec<FairnessTable>,
}

/// Messages that took one validation path.
#[derive(Debug, Clone, Serialize)]
pub struct PathCount {
    /// The path in words.
    pub path: String,
    /// Messages.
    pub count: usize,
}

/// A campaign message as drafted, before the first name is filled in (`{first_name}` stays, so
/// no name reaches the report), without the address.
#[derive(Debug, Clone, Serialize)]
pub struct SampleMessage {
    /// Customer id.
    pub customer_id: CustomerId,
    /// The customer's RFM segment, when known.
    pub segment: Option<Segment>,
    /// Offer name.
    pub offer: String,
    /// How it was written.
    pub path: CopyPath,
    /// Subject line.
    pub subject: String,
    /// Preheader.
    pub preheader: String,
    /// Body (plain text).
    pub body: String,
}

/// The campaign rounds and their messages.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignSection {
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// Margin used for profit.
    pub margin: f64,
    /// The rounds, in order.
    pub rounds: Vec<RoundSection>,
    /// Messages by validation path.
    pub message_paths: Vec<PathCount>,
    /// Messages the language model was asked to draft.
    pub llm_drafts: usize,
    /// Messages queued in the send ledger.
    pub queued: usize,
    /// A few messages as drafted.
    pub samples: Vec<SampleMessage>,
}
