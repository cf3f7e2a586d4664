//! The demo's campaign loop on the synthetic shop: an exploration round, uplift models learned
//! from it, a targeted round whose messages are written, exported and queued.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use recur_campaign::{
    Assignment, CampaignSpec, Candidate, CustomerContext, FOUR_FIFTHS, Facts, FairnessTable,
    Features, GroupLifts, GuardRailChange, Ledger, LiftReport, MessageTally, OfferModels, Outcome,
    Outgoing, PastCampaign, PastRow, PlanSummary, ProductFact, ProductSource, Rules, UpliftConfig,
    export_files, measure_lift, plan_exploration,
};
use recur_core::{Day, Segment};
use serde::Serialize;

use super::simulate::{DEMO_MARGIN, DemoCustomer, ShopCustomers, shop_customers, simulate};
use crate::campaign::{
    COPY_AUDIT_FILE, CopyAudit, LEDGER_FILE, MIN_PER_ARM, MessageWriter, Recipient,
    candidate_lifts, feature_names, offer_fact, plan_fairness, write_audit,
};
use crate::clv::WorkspaceValue;
use crate::config::LlmSettings;
use crate::error::Result;
use crate::language::open_generator;
use crate::report::SampleMessage;
use crate::workspace::Workspace;

/// The demo's campaign: win back lapsing customers with one of four offers.
const DEMO_SPEC: &str = r#"
id = "demo-winback"
goal_days = 30
channel = "file"
holdout_share = 0.2
frequency_cap_days = 14

[audience]
segments = ["At Risk", "Can't Lose Them", "About to Sleep", "Need Attention", "Hibernating", "Promising", "Potential Loyalists"]

[[offers]]
name = "message only"
kind = "none"

[[offers]]
name = "free shipping"
kind = "free_shipping"
cost = 4.0

[[offers]]
name = "10% off"
kind = "percent_off"
percent = 10
code_prefix = "BACK10"

[[offers]]
name = "20% off"
kind = "percent_off"
percent = 20
code_prefix = "BACK20"
"#;

/// One campaign round of the demo: what was planned, what the holdout measured, and the
/// truth the synthetic shop knows.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignRound {
    /// Campaign id.
    pub campaign: String,
    /// How offers were chosen.
    pub targeting: &'static str,
    /// The plan's counts.
    pub plan: PlanSummary,
    /// Treated vs holdout, measured on the simulated outcomes.
    pub lift: LiftReport,
    /// True incremental purchasers among the treated (sum of their true uplifts).
    pub true_incremental_purchasers: f64,
    /// True incremental profit after offer cost among the treated.
    pub true_incremental_profit: f64,
    /// How the round's offers fall across segments, languages and countries.
    pub fairness: Vec<FairnessTable>,
    /// Measured lift per language and per country.
    pub lift_by_group: Vec<GroupLifts>,
}

/// The demo's round 2 planned again with a fairness guard rail (a what-if, not sent).
#[derive(Debug, Clone, Serialize)]
pub struct GuardedRound {
    /// The guard rail: every group's valuable-offer rate at least this share of the overall.
    pub min_ratio: f64,
    /// What it changed, per group.
    pub changes: Vec<GuardRailChange>,
    /// Customers contacted.
    pub treated: usize,
    /// How the offers fall across groups with the guard rail.
    pub fairness: Vec<FairnessTable>,
    /// True incremental purchasers among the treated (simulated shop).
    pub true_incremental_purchasers: f64,
    /// True incremental profit after offer cost among the treated (simulated shop).
    pub true_incremental_profit: f64,
}

/// A message the language model wrote, with the customer's segment.
#[derive(Debug, Clone, Serialize)]
pub struct DraftedSample {
    /// The customer's RFM segment.
    pub segment: Segment,
    /// The message as it goes out (without the address).
    pub message: Outgoing,
}

/// The demo's campaign loop.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignDemo {
    /// Round 1: offers at random (exploration), to learn who responds to what.
    pub exploration: CampaignRound,
    /// Round 2: offers chosen by the uplift models trained on round 1.
    pub targeted: CampaignRound,
    /// What round 1 says about each offer (out-of-fold Qini, average effect, basis).
    pub evidence: Vec<recur_campaign::OfferEvidence>,
    /// How the round-2 messages were produced (path → count).
    pub message_paths: BTreeMap<MessageTally, usize>,
    /// Messages the language model was asked to draft (the first ones; the rest use the
    /// validated template).
    pub llm_drafts: usize,
    /// Up to two messages the language model wrote that passed validation, for customers in
    /// different segments, as they go out (without the address).
    pub llm_samples: Vec<DraftedSample>,
    /// Round 2 again with the four-fifths guard rail (`[fairness] min_ratio = 0.8`): what
    /// fairness would cost or gain, against the simulated truth. Not sent.
    pub guarded: GuardedRound,
    /// Round-2 messages newly queued in the send ledger (0 when the demo ran before).
    pub queued: usize,
    /// The send ledger.
    pub ledger: PathBuf,
    /// One personalised round-2 message, as it goes out.
    pub sample_message: Option<Outgoing>,
    /// Files written for the ESP import (Braze, Klaviyo, JSONL).
    pub files: Vec<PathBuf>,
    /// The sample message and the language model's samples as drafted, before the first name
    /// is filled in: what the HTML report shows, so that no name reaches it. Not part of the
    /// JSON (the samples above are).
    #[serde(skip)]
    pub report_samples: Vec<SampleMessage>,
}

/// Runs the campaign loop on the synthetic shop: an exploration round with random offers and a
/// randomised holdout, outcomes simulated from the shop's ground-truth coupon sensitivity,
/// lift measured against the holdout; then uplift models per offer trained on that round choose
/// the offers of a second round, whose messages are written (template path; grounded and
/// validated) and exported for Braze/Klaviyo into `out_dir`.
pub fn demo_campaign(
    ws: &Workspace,
    shop: &recur_synth::Shop,
    value: &WorkspaceValue,
    out_dir: &Path,
    llm: Option<&(LlmSettings, PathBuf)>,
    llm_drafts: usize,
) -> Result<CampaignDemo> {
    let spec = CampaignSpec::parse(DEMO_SPEC, Path::new("<demo campaign>"))?;
    let scores = ws.session()?.rfm_scores()?;
    let ShopCustomers {
        customers,
        best_sellers,
    } = shop_customers(shop, value, &scores, &spec);
    let candidates: Vec<Candidate> = customers.iter().map(|c| c.candidate.clone()).collect();

    // Round 1: random offers.
    let plan1 = plan_exploration(&spec, &candidates);
    let round1_outcome = simulate(&customers, &plan1, &spec, 1);
    let lift1 = measure_lift(&plan1, &round1_outcome.outcomes, DEMO_MARGIN, 0.95);

    // Uplift models per offer from round 1 (the same learner `recur campaign plan` uses on
    // the ledger's past campaigns): customers who got the offer vs the holdout.
    let names = feature_names();
    let outcome_of: HashMap<&str, &Outcome> = round1_outcome
        .outcomes
        .iter()
        .map(|o| (o.customer_id.as_str(), o))
        .collect();
    let round1 = PastCampaign {
        id: spec.id.clone(),
        feature_names: names.clone(),
        rows: customers
            .iter()
            .zip(&plan1.customers)
            .filter_map(|(c, p)| {
                let offer = match p.assignment {
                    Assignment::Treated { offer, .. } => Some(spec.offers[offer].name.clone()),
                    Assignment::Holdout => None,
                    Assignment::Excluded { .. } => return None,
                };
                Some(PastRow {
                    features: c.features.to_vec(),
                    offer,
                    purchased: outcome_of
                        .get(c.candidate.customer_id.as_str())
                        .is_some_and(|o| o.purchased),
                })
            })
            .collect(),
    };
    let models = OfferModels::learn(
        &spec.offers,
        &names,
        std::slice::from_ref(&round1),
        MIN_PER_ARM,
        &UpliftConfig::default(),
    )?;
    let x_all = Features {
        names: names.clone(),
        columns: (0..names.len())
            .map(|k| customers.iter().map(|c| c.features[k]).collect())
            .collect(),
    };
    // Round 2: offers by predicted incremental profit.
    let mut spec2 = spec.clone();
    spec2.id = "demo-winback-2".into();
    let plan2 = models.plan(&spec2, &candidates, &x_all, DEMO_MARGIN);
    let round2_outcome = simulate(&customers, &plan2, &spec2, 2);
    // The same round with the four-fifths guard rail, simulated with the same draws.
    let mut spec_fair = spec2.clone();
    spec_fair.fairness.min_ratio = Some(FOUR_FIFTHS);
    let plan_fair = models.plan(&spec_fair, &candidates, &x_all, DEMO_MARGIN);
    let fair_outcome = simulate(&customers, &plan_fair, &spec_fair, 2);
    let guarded = GuardedRound {
        min_ratio: FOUR_FIFTHS,
        fairness: plan_fairness(&plan_fair, &spec_fair, &candidates),
        changes: plan_fair.guard_rails,
        treated: plan_fair.summary.treated,
        true_incremental_purchasers: fair_outcome.true_incremental_purchasers,
        true_incremental_profit: fair_outcome.true_incremental_profit,
    };
    let lift2 = measure_lift(&plan2, &round2_outcome.outcomes, DEMO_MARGIN, 0.95);

    // Messages for round 2: grounded facts, validated template (no language model yet).
    let rules = Rules {
        catalog_titles: shop.products.iter().map(|p| p.title.clone()).collect(),
        ..Rules::default()
    };
    // The demo "sends" on the shop's last order day, so its dates do not depend on today.
    let send_day = shop
        .orders
        .iter()
        .map(|l| Day::of_timestamp(l.ordered_at.timestamp()).0)
        .max()
        .unwrap_or(0);
    let mut outgoing = Vec::new();
    let mut llm_samples: Vec<DraftedSample> = Vec::new();
    // The model is loaded only now, after every estimate above: its kernels change the
    // thread's floating-point state, and the plans must not depend on whether it is present.
    // A model that fails to load leaves the messages to the template.
    let mut loaded = llm
        .filter(|_| llm_drafts > 0)
        .and_then(|(s, path)| open_generator(s, path, None, ws.settings().device).ok());
    let generator: Option<&mut dyn recur_llm::Generate> = match loaded.as_mut() {
        Some(g) => Some(g.as_mut()),
        None => None,
    };
    // The first `llm_drafts` messages are drafted by the language model.
    let mut writer = MessageWriter::new(&rules, &spec2.id, generator, llm_drafts)
        .with_languages(ws.settings().llm.draft_languages());
    for (c, p) in customers.iter().zip(&plan2.customers) {
        let Assignment::Treated { offer, .. } = p.assignment else {
            continue;
        };
        let o = &spec2.offers[offer];
        let facts = Facts {
            shop: "Recur Demo Shop".into(),
            language: c.candidate.language,
            currency: "USD".into(),
            link: None,
            customer: CustomerContext {
                segment: Some(c.candidate.segment),
                days_since_last_order: Some(c.candidate.days_since_last_order),
                orders: Some(c.features[3].max(0.0).round() as u32),
                product_source: ProductSource::FavouriteCategory,
            },
            favourite_category: c.candidate.favourite_category.clone(),
            products: c
                .favourite
                .and_then(|cat| best_sellers.get(&cat))
                .map(|ps| {
                    ps.iter()
                        .map(|&i| ProductFact {
                            title: shop.products[i].title.clone(),
                            price: shop.products[i].price,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            offer: Some(offer_fact(o, &spec2.id, &c.candidate.customer_id, send_day)),
        };
        let before = writer.drafted();
        let message = writer.write(
            &facts,
            Recipient {
                customer: &c.candidate.customer_id,
                offer: &o.name,
                first_name: Some(&c.first_name),
                email: Some(c.email.clone()),
            },
        );
        let by_llm = writer.drafted() > before;
        let Some((message, path)) = message else {
            continue;
        };
        if by_llm
            && path.by_model()
            && llm_samples.len() < 2
            && llm_samples.iter().all(|d| d.segment != c.candidate.segment)
        {
            llm_samples.push(DraftedSample {
                segment: c.candidate.segment,
                message: Outgoing {
                    email: None,
                    ..message.clone()
                },
            });
        }
        outgoing.push(message);
    }
    let drafted = writer.drafted();
    let sample_message = outgoing.get(drafted).or(outgoing.first()).cloned();
    let report_samples = report_samples(
        writer.audit(),
        sample_message
            .iter()
            .chain(llm_samples.iter().map(|d| &d.message)),
        &customers,
    );
    let mut files = export_files(out_dir, &outgoing)?;
    // Where `recur eval copy --campaign demo-winback-2` reads it.
    let audit_dir = out_dir.join(&spec2.id);
    std::fs::create_dir_all(&audit_dir).map_err(|error| crate::error::Error::Io {
        path: audit_dir.clone(),
        action: "create the campaign folder",
        error,
    })?;
    let audit = audit_dir.join(COPY_AUDIT_FILE);
    write_audit(&audit, writer.audit())?;
    files.push(audit);
    let paths = writer.into_paths();
    // Record both plans (their holdouts) and queue round 2's messages in the send ledger, so
    // `recur campaign send` can deliver them exactly once.
    let now = chrono::Utc::now().timestamp();
    let mut ledger = Ledger::open(&out_dir.join(LEDGER_FILE))?;
    let recorded: Vec<(&str, Vec<f64>)> = customers
        .iter()
        .map(|c| (c.candidate.customer_id.as_str(), c.features.to_vec()))
        .collect();
    if ledger.record_plan(DEMO_SPEC, &plan1, now)? {
        ledger.record_features(&spec.id, &names, &recorded)?;
    }
    if ledger.record_plan(
        &DEMO_SPEC.replace("demo-winback", "demo-winback-2"),
        &plan2,
        now,
    )? {
        ledger.record_features(&spec2.id, &names, &recorded)?;
    }
    let queued = ledger.queue(&outgoing)?;
    Ok(CampaignDemo {
        exploration: CampaignRound {
            campaign: spec.id.clone(),
            targeting: "random offers (exploration)",
            fairness: plan_fairness(&plan1, &spec, &candidates),
            lift_by_group: candidate_lifts(
                &plan1,
                &round1_outcome.outcomes,
                DEMO_MARGIN,
                &candidates,
            ),
            plan: plan1.summary,
            lift: lift1,
            true_incremental_purchasers: round1_outcome.true_incremental_purchasers,
            true_incremental_profit: round1_outcome.true_incremental_profit,
        },
        targeted: CampaignRound {
            campaign: spec2.id.clone(),
            targeting: "offer with the highest predicted incremental profit (uplift models from round 1)",
            fairness: plan_fairness(&plan2, &spec2, &candidates),
            lift_by_group: candidate_lifts(
                &plan2,
                &round2_outcome.outcomes,
                DEMO_MARGIN,
                &candidates,
            ),
            plan: plan2.summary,
            lift: lift2,
            true_incremental_purchasers: round2_outcome.true_incremental_purchasers,
            true_incremental_profit: round2_outcome.true_incremental_profit,
        },
        evidence: models.evidence.clone(),
        message_paths: paths,
        llm_drafts: drafted,
        llm_samples,
        guarded,
        queued,
        ledger: out_dir.join(LEDGER_FILE),
        // A template message (the language model's first draft is shown apart).
        sample_message: sample_message.map(|mut m| {
            // The sample is printed: keep the address out of the terminal.
            m.email = None;
            m
        }),
        files,
        report_samples,
    })
}

/// The audited drafts (`{first_name}` not filled in) of the messages in `shown`, with the
/// customers' segments.
fn report_samples<'a>(
    audit: &[CopyAudit],
    shown: impl Iterator<Item = &'a Outgoing>,
    customers: &[DemoCustomer],
) -> Vec<SampleMessage> {
    shown
        .filter_map(|m| {
            let a = audit.iter().find(|a| a.customer_id == m.customer_id)?;
            Some(SampleMessage {
                customer_id: m.customer_id.clone(),
                segment: customers
                    .iter()
                    .find(|c| c.candidate.customer_id == m.customer_id)
                    .map(|c| c.candidate.segment),
                offer: m.offer.clone(),
                path: a.path,
                subject: a.subject.clone(),
                preheader: a.preheader.clone(),
                body: a.body.clone(),
            })
        })
        .collect()
}
