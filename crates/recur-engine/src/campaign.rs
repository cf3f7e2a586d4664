//! Campaign use cases: measuring lift on a randomised experiment, and the demo's campaign loop.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use recur_campaign::{
    Assignment, CampaignSpec, Candidate, Facts, Features, HillstromReport, Language, Ledger,
    LiftReport, MessagePath, OfferFact, OfferKind, OfferModels, OfferSpec, Outcome, Outgoing,
    PastCampaign, PastRow, Plan, PlanSummary, ProductFact, Rules, UpliftConfig, compose,
    export_files, holdout_key, measure_lift, personalise, plan_exploration, validate,
};
use serde::Serialize;

use crate::clv::{WorkspaceValue, iso_day};
use crate::error::Result;
use crate::shop_campaign::LEDGER_FILE;

/// Bootstrap replicates behind the targeting intervals.
const REPLICATES: usize = 500;

/// Reproduces the randomised effects of the Hillstrom e-mail experiment (95 % intervals) and
/// compares uplift targeting of the top 30 % with random targeting on a stratified held-out
/// 30 %. Deterministic for a seed.
pub fn evaluate_hillstrom(path: &Path, seed: u64) -> Result<HillstromReport> {
    Ok(recur_campaign::evaluate_hillstrom(
        path, 0.95, REPLICATES, seed,
    )?)
}

/// The customer features uplift models learn from, recorded with every plan.
pub(crate) const FEATURE_NAMES: [&str; 6] = [
    "p_alive",
    "clv",
    "recency_days",
    "orders",
    "revenue",
    "expected_spend",
];

/// A customer's [`FEATURE_NAMES`] from the value models and RFM scores.
pub(crate) fn customer_features(
    v: &crate::clv::CustomerValue,
    s: &recur_analytics::CustomerScore,
) -> [f64; 6] {
    [
        v.p_alive,
        v.clv_12m,
        s.recency_days,
        s.frequency as f64,
        s.monetary,
        v.expected_spend,
    ]
}

/// The offer as a message fact: its kind, the customer's code, and the last valid day
/// (`send_day` + the offer's validity; none for a message without incentive).
pub(crate) fn offer_fact(
    o: &OfferSpec,
    campaign: &str,
    customer: &str,
    send_day: i64,
) -> OfferFact {
    OfferFact {
        percent_off: o.percent,
        free_shipping: o.kind == OfferKind::FreeShipping,
        code: o.coupon_code(campaign, customer),
        expires: (o.kind != OfferKind::None).then(|| iso_day(send_day + i64::from(o.valid_days))),
    }
}

/// Writes one message from `facts` (validated; drafted by `generator` with `seed` when given,
/// with one retry on the validator's feedback, else the template), counts the path it took
/// (and any failure of the language model), and fills in the first name afterwards. None when
/// even the template was rejected.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_message(
    facts: &Facts,
    rules: &Rules,
    campaign: &str,
    customer: &str,
    offer: &str,
    first_name: Option<&str>,
    email: Option<String>,
    paths: &mut BTreeMap<String, usize>,
    generator: Option<(&mut dyn recur_llm::Generate, u64)>,
) -> Option<(Outgoing, MessagePath)> {
    let mut failures = Vec::new();
    let message = match generator {
        Some((g, seed)) => {
            let mut writer = crate::copywriter::llm_writer(g, rules, seed, &mut failures);
            compose(facts, rules, 2, Some(&mut writer))
        }
        None => compose(facts, rules, 2, None),
    };
    for f in failures {
        *paths
            .entry(format!("language model failed: {f}"))
            .or_default() += 1;
    }
    if let Some(v) = validate(&message.draft, facts, rules).first() {
        *paths.entry(format!("template rejected: {v}")).or_default() += 1;
        return None;
    }
    *paths.entry(format!("{:?}", message.path)).or_default() += 1;
    let o = facts.offer.as_ref();
    let out = Outgoing {
        campaign: campaign.to_owned(),
        customer_id: customer.to_owned(),
        email,
        message: personalise(&message.draft, first_name, facts.language),
        offer: offer.to_owned(),
        coupon_code: o.and_then(|o| o.code.clone()),
        offer_expires: o.and_then(|o| o.expires.clone()),
    };
    Some((out, message.path))
}

/// The language model for the next message, with that message's seed, while fewer than
/// `limit` messages have been drafted (counted in `drafted`); None afterwards.
pub(crate) fn next_draft<'g>(
    generator: &'g mut Option<&mut dyn recur_llm::Generate>,
    drafted: &mut usize,
    limit: usize,
) -> Option<(&'g mut dyn recur_llm::Generate, u64)> {
    if *drafted >= limit {
        return None;
    }
    let g = generator.as_deref_mut()?;
    *drafted += 1;
    Some((g, *drafted as u64))
}

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

/// Gross margin assumed for profit in the demo.
const DEMO_MARGIN: f64 = 0.4;

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
    pub message_paths: BTreeMap<String, usize>,
    /// Messages the language model was asked to draft (the first ones; the rest use the
    /// validated template).
    pub llm_drafts: usize,
    /// The first message the language model wrote that passed validation, as it goes out
    /// (without the address).
    pub llm_sample: Option<Outgoing>,
    /// Round-2 messages newly queued in the send ledger (0 when the demo ran before).
    pub queued: usize,
    /// The send ledger.
    pub ledger: PathBuf,
    /// One personalised round-2 message, as it goes out.
    pub sample_message: Option<Outgoing>,
    /// Files written for the ESP import (Braze, Klaviyo, JSONL).
    pub files: Vec<PathBuf>,
}

/// Per-customer facts the demo campaign needs.
struct DemoCustomer {
    candidate: Candidate,
    features: [f64; 6],
    first_name: String,
    email: String,
    /// P(purchase within the goal) without and with each offer: the simulation's truth.
    p0: f64,
    p1: Vec<f64>,
    /// Uniform draw shared by both potential outcomes (common random numbers).
    u: f64,
    favourite: Option<usize>,
}

fn offer_strength(o: &OfferSpec) -> f64 {
    // Simulation assumption: the ground truth's coupon uplift is the effect of a 20 % coupon;
    // weaker offers carry part of it.
    match o.kind {
        OfferKind::None => 0.25,
        OfferKind::FreeShipping => 0.6,
        OfferKind::PercentOff => (o.percent.unwrap_or(0.0) / 20.0).min(1.0),
    }
}

fn simulate(
    customers: &[DemoCustomer],
    plan: &Plan,
    spec: &CampaignSpec,
    seed: u64,
) -> (Vec<Outcome>, f64, f64) {
    let mut outcomes = Vec::new();
    let (mut true_purchasers, mut true_profit) = (0.0, 0.0);
    for (c, p) in customers.iter().zip(&plan.customers) {
        let value = c.candidate.order_value;
        let u = (c.u + (seed as f64) * 0.618_033_988_749_894_9).fract();
        let (prob, cost) = match p.assignment {
            Assignment::Treated { offer, .. } => {
                let o = &spec.offers[offer];
                let p1 = c.p1[offer];
                true_purchasers += p1 - c.p0;
                true_profit += (p1 - c.p0) * value * DEMO_MARGIN - p1 * o.redemption_cost(value);
                (p1, o.redemption_cost(value))
            }
            Assignment::Holdout => (c.p0, 0.0),
            Assignment::Excluded { .. } => continue,
        };
        let purchased = u < prob;
        outcomes.push(Outcome {
            customer_id: c.candidate.customer_id.clone(),
            purchased,
            revenue: if purchased { value } else { 0.0 },
            offer_cost: if purchased { cost } else { 0.0 },
        });
    }
    (outcomes, true_purchasers, true_profit)
}

/// Runs the campaign loop on the synthetic shop: an exploration round with random offers and a
/// randomised holdout, outcomes simulated from the shop's ground-truth coupon sensitivity,
/// lift measured against the holdout; then uplift models per offer trained on that round choose
/// the offers of a second round, whose messages are written (template path; grounded and
/// validated) and exported for Braze/Klaviyo into `out_dir`.
pub fn demo_campaign(
    ws: &crate::Workspace,
    shop: &recur_synth::Shop,
    value: &WorkspaceValue,
    out_dir: &Path,
    llm: Option<&(crate::LlmSettings, PathBuf)>,
    llm_drafts: usize,
) -> Result<CampaignDemo> {
    let spec = CampaignSpec::parse(DEMO_SPEC, Path::new("<demo campaign>"))?;
    let scores = ws.session()?.rfm_scores()?;
    let rfm: HashMap<&str, _> = scores.iter().map(|s| (s.customer_id.as_str(), s)).collect();
    let people: HashMap<&str, &recur_synth::Customer> =
        shop.customers.iter().map(|c| (c.id.as_str(), c)).collect();
    let truth: HashMap<&str, &recur_synth::GroundTruth> = shop
        .truth
        .iter()
        .map(|t| (t.customer_id.as_str(), t))
        .collect();
    // Favourite category from each customer's own orders, and best sellers per category.
    let mut cat_counts: HashMap<&str, BTreeMap<usize, u32>> = HashMap::new();
    let mut sold: BTreeMap<usize, BTreeMap<usize, u32>> = BTreeMap::new();
    for l in shop.orders.iter().filter(|l| l.status == "completed") {
        let cat = shop.products[l.product].category;
        *cat_counts
            .entry(&l.customer_id)
            .or_default()
            .entry(cat)
            .or_default() += 1;
        *sold.entry(cat).or_default().entry(l.product).or_default() += 1;
    }
    let best_sellers: BTreeMap<usize, Vec<usize>> = sold
        .into_iter()
        .map(|(cat, counts)| {
            let mut v: Vec<(usize, u32)> = counts.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            (cat, v.into_iter().take(2).map(|(p, _)| p).collect())
        })
        .collect();
    let goal_years = f64::from(spec.goal_days) / 365.0;
    let mut customers = Vec::new();
    for v in &value.customers {
        let id = v.customer_id.as_str();
        let (Some(s), Some(p), Some(t)) = (rfm.get(id), people.get(id), truth.get(id)) else {
            continue;
        };
        let favourite = cat_counts
            .get(id)
            .and_then(|m| m.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))))
            .map(|(c, _)| *c);
        let p0 = if t.churned_at.is_none() {
            1.0 - (-t.lambda_per_year * goal_years).exp()
        } else {
            0.0
        };
        let p1 = spec
            .offers
            .iter()
            .map(|o| (p0 + t.coupon_uplift * offer_strength(o)).clamp(0.0, 1.0))
            .collect();
        let u = (holdout_key("demo-outcomes", id) >> 11) as f64 / (1u64 << 53) as f64;
        customers.push(DemoCustomer {
            candidate: Candidate {
                customer_id: v.customer_id.clone(),
                segment: s.segment.clone(),
                p_alive: v.p_alive,
                clv: v.clv_12m,
                days_since_last_order: s.recency_days.max(0.0) as u32,
                favourite_category: favourite.map(|c| recur_synth::CATEGORIES[c].path.to_owned()),
                language: if p.locale.starts_with("zh") {
                    Language::Zh
                } else {
                    Language::En
                },
                consent: p.email_consent,
                days_since_last_message: None,
                order_value: v.expected_spend,
            },
            features: customer_features(v, s),
            first_name: p.name.split_whitespace().next().unwrap_or("").to_owned(),
            email: p.email.clone(),
            p0,
            p1,
            u,
            favourite,
        });
    }
    let candidates: Vec<Candidate> = customers.iter().map(|c| c.candidate.clone()).collect();

    // Round 1: random offers.
    let plan1 = plan_exploration(&spec, &candidates);
    let (out1, tp1, tprofit1) = simulate(&customers, &plan1, &spec, 1);
    let lift1 = measure_lift(&plan1, &out1, DEMO_MARGIN, 0.95);

    // Uplift models per offer from round 1 (the same learner `recur campaign plan` uses on
    // the ledger's past campaigns): customers who got the offer vs the holdout.
    let names: Vec<String> = FEATURE_NAMES.iter().map(|s| (*s).to_owned()).collect();
    let outcome_of: HashMap<&str, &Outcome> =
        out1.iter().map(|o| (o.customer_id.as_str(), o)).collect();
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
        crate::shop_campaign::MIN_PER_ARM,
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
    let (out2, tp2, tprofit2) = simulate(&customers, &plan2, &spec2, 2);
    let lift2 = measure_lift(&plan2, &out2, DEMO_MARGIN, 0.95);

    // Messages for round 2: grounded facts, validated template (no language model yet).
    let rules = Rules {
        catalog_titles: shop.products.iter().map(|p| p.title.clone()).collect(),
        ..Rules::default()
    };
    // The demo "sends" on the shop's last order day, so its dates do not depend on today.
    let send_day = shop
        .orders
        .iter()
        .map(|l| l.ordered_at.timestamp().div_euclid(86_400))
        .max()
        .unwrap_or(0);
    let mut paths: BTreeMap<String, usize> = BTreeMap::new();
    let mut outgoing = Vec::new();
    let mut drafted = 0usize;
    let mut llm_sample = None;
    // The model is loaded only now, after every estimate above: its kernels change the
    // thread's floating-point state, and the plans must not depend on whether it is present.
    // A model that fails to load leaves the messages to the template.
    let mut loaded = llm
        .filter(|_| llm_drafts > 0)
        .and_then(|(s, path)| crate::language::open_generator(s, path, None).ok());
    let mut generator: Option<&mut dyn recur_llm::Generate> = match loaded.as_mut() {
        Some(g) => Some(g.as_mut()),
        None => None,
    };
    for (c, p) in customers.iter().zip(&plan2.customers) {
        let Assignment::Treated { offer, .. } = p.assignment else {
            continue;
        };
        let o = &spec2.offers[offer];
        let facts = Facts {
            shop: "Recur Demo Shop".into(),
            language: c.candidate.language,
            currency: "USD".into(),
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
        // The first `llm_drafts` messages are drafted by the language model.
        let drafting = next_draft(&mut generator, &mut drafted, llm_drafts);
        let by_llm = drafting.is_some();
        let message = write_message(
            &facts,
            &rules,
            &spec2.id,
            &c.candidate.customer_id,
            &o.name,
            Some(&c.first_name),
            Some(c.email.clone()),
            &mut paths,
            drafting,
        );
        let Some((message, path)) = message else {
            continue;
        };
        if by_llm
            && matches!(path, MessagePath::FirstDraft | MessagePath::Retried)
            && llm_sample.is_none()
        {
            llm_sample = Some(Outgoing {
                email: None,
                ..message.clone()
            });
        }
        outgoing.push(message);
    }
    let files = export_files(out_dir, &outgoing)?;
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
            plan: plan1.summary,
            lift: lift1,
            true_incremental_purchasers: tp1,
            true_incremental_profit: tprofit1,
        },
        targeted: CampaignRound {
            campaign: spec2.id.clone(),
            targeting: "offer with the highest predicted incremental profit (uplift models from round 1)",
            plan: plan2.summary,
            lift: lift2,
            true_incremental_purchasers: tp2,
            true_incremental_profit: tprofit2,
        },
        evidence: models.evidence.clone(),
        message_paths: paths,
        llm_drafts: drafted,
        llm_sample,
        queued,
        ledger: out_dir.join(LEDGER_FILE),
        // A template message (the language model's first draft is shown apart).
        sample_message: outgoing
            .get(drafted)
            .or(outgoing.first())
            .cloned()
            .map(|mut m| {
                // The sample is printed: keep the address out of the terminal.
                m.email = None;
                m
            }),
        files,
    })
}
