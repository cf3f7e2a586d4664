//! Campaign use cases: measuring lift on a randomised experiment, and the demo's campaign loop.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use recur_campaign::{
    Assignment, CampaignSpec, Candidate, Facts, Features, HillstromReport, Language, Ledger,
    LiftReport, OfferFact, OfferKind, OfferSpec, Outcome, Outgoing, Plan, PlanSummary, ProductFact,
    Response, Rules, SendCounts, SendOptions, SendReport, SmtpDelivery, UpliftConfig, UpliftModel,
    WebhookDelivery, compose, export_files, holdout_key, measure_lift, personalise, plan,
    plan_exploration, send_pending, validate,
};
use serde::Serialize;

use crate::clv::{WorkspaceValue, iso_day};
use crate::error::Result;

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

/// The offer as a message fact: its kind, the customer's code, and the last valid day
/// (`send_day` + the offer's validity; none for a message without incentive).
fn offer_fact(o: &OfferSpec, campaign: &str, customer: &str, send_day: i64) -> OfferFact {
    OfferFact {
        percent_off: o.percent,
        free_shipping: o.kind == OfferKind::FreeShipping,
        code: o.coupon_code(campaign, customer),
        expires: (o.kind != OfferKind::None).then(|| iso_day(send_day + i64::from(o.valid_days))),
    }
}

/// Writes one message from `facts` (validated; from `writer` when given, with one retry on
/// the validator's feedback, else the template), counts the path it took, and fills in the
/// first name afterwards. None when the draft was rejected.
#[allow(clippy::too_many_arguments)]
fn write_message(
    facts: &Facts,
    rules: &Rules,
    campaign: &str,
    customer: &str,
    offer: &str,
    first_name: Option<&str>,
    email: Option<String>,
    paths: &mut BTreeMap<String, usize>,
    writer: Option<&mut recur_campaign::Writer<'_>>,
) -> Option<Outgoing> {
    let message = compose(facts, rules, 2, writer);
    if let Some(v) = validate(&message.draft, facts, rules).first() {
        *paths.entry(format!("template rejected: {v}")).or_default() += 1;
        return None;
    }
    *paths.entry(format!("{:?}", message.path)).or_default() += 1;
    let o = facts.offer.as_ref();
    Some(Outgoing {
        campaign: campaign.to_owned(),
        customer_id: customer.to_owned(),
        email,
        message: personalise(&message.draft, first_name, facts.language),
        offer: offer.to_owned(),
        coupon_code: o.and_then(|o| o.code.clone()),
        offer_expires: o.and_then(|o| o.expires.clone()),
    })
}

/// A campaign recorded in the workspace's ledger: the ledger, its definition, the day it was
/// planned, and the campaign folder.
fn open_recorded(
    ws: &crate::Workspace,
    campaign: &str,
) -> Result<(Ledger, CampaignSpec, i64, PathBuf)> {
    let dir = ws.root().join("campaign");
    let path = dir.join(LEDGER_FILE);
    let not_found = || crate::error::Error::BadSetting {
        key: "campaign".into(),
        value: campaign.to_owned(),
        hint: format!(
            "no such campaign in {}; plan it first with `recur campaign plan --spec FILE`",
            path.display()
        ),
    };
    if !path.exists() {
        return Err(not_found());
    }
    let ledger = Ledger::open(&path)?;
    let (spec_text, created_at) = ledger.campaign(campaign)?.ok_or_else(not_found)?;
    let spec = CampaignSpec::parse(&spec_text, &path)?;
    Ok((ledger, spec, created_at.div_euclid(86_400), dir))
}

/// The send ledger's file name inside a campaign folder.
pub const LEDGER_FILE: &str = "ledger.sqlite";

/// Where messages go.
#[derive(Debug, Clone)]
pub enum ChannelConfig {
    /// An SMTP relay.
    Smtp {
        /// Host.
        host: String,
        /// Port.
        port: u16,
        /// Sender, such as `Shop <news@shop.example>`.
        from: String,
    },
    /// A webhook.
    Webhook {
        /// URL.
        url: String,
        /// HMAC secret.
        secret: String,
    },
}

/// The state of a campaign's messages after a send run.
#[derive(Debug, Clone, Serialize)]
pub struct SendOutcome {
    /// Campaign.
    pub campaign: String,
    /// What this run did.
    pub run: SendReport,
    /// All of the campaign's messages by state.
    pub totals: SendCounts,
}

/// Sends the queued messages of `campaign` from the ledger in `campaign_dir` through `channel`
/// (dry run: only counts them). Safe to interrupt and run again: confirmed messages are never
/// sent twice, and the one in flight is re-sent with the same Message-ID.
pub fn send_campaign(
    campaign_dir: &Path,
    campaign: &str,
    channel: &ChannelConfig,
    dry_run: bool,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<SendOutcome> {
    let path = campaign_dir.join(LEDGER_FILE);
    if !path.exists() {
        return Err(crate::error::Error::BadSetting {
            key: "campaign ledger".into(),
            value: path.display().to_string(),
            hint: "no send ledger here; run `recur demo` (or plan a campaign) first".into(),
        });
    }
    let ledger = Ledger::open(&path)?;
    let opts = SendOptions {
        dry_run,
        now: chrono::Utc::now().timestamp(),
        ..SendOptions::default()
    };
    let timeout = std::time::Duration::from_secs(30);
    let run = match channel {
        ChannelConfig::Smtp { host, port, from } => {
            let mut smtp = SmtpDelivery::new(host, *port, from, timeout).map_err(|e| {
                crate::error::Error::BadSetting {
                    key: "from".into(),
                    value: from.clone(),
                    hint: e.message,
                }
            })?;
            send_pending(&ledger, campaign, &mut smtp, &opts, progress)?
        }
        ChannelConfig::Webhook { url, secret } => {
            let mut hook = WebhookDelivery::new(url, secret.as_bytes(), timeout);
            send_pending(&ledger, campaign, &mut hook, &opts, progress)?
        }
    };
    Ok(SendOutcome {
        campaign: campaign.to_owned(),
        run,
        totals: ledger.counts(campaign)?,
    })
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
    /// How the round-2 messages were produced (path → count).
    pub message_paths: BTreeMap<String, usize>,
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
            features: [
                v.p_alive,
                v.clv_12m,
                s.recency_days,
                s.frequency as f64,
                s.monetary,
                v.expected_spend,
            ],
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

    // Uplift models per offer from round 1: customers who got the offer vs the holdout.
    let outcome_of: HashMap<&str, &Outcome> =
        out1.iter().map(|o| (o.customer_id.as_str(), o)).collect();
    let features = |idx: &[usize]| Features {
        names: [
            "p_alive",
            "clv",
            "recency_days",
            "orders",
            "revenue",
            "expected_spend",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect(),
        columns: (0..6)
            .map(|k| idx.iter().map(|&i| customers[i].features[k]).collect())
            .collect(),
    };
    let all: Vec<usize> = (0..customers.len()).collect();
    let x_all = features(&all);
    let mut probs: Vec<Vec<(f64, f64)>> = Vec::new(); // per offer, per customer: (p1, p0)
    for k in 0..spec.offers.len() {
        let rows: Vec<usize> = plan1
            .customers
            .iter()
            .enumerate()
            .filter(|(_, c)| match c.assignment {
                Assignment::Treated { offer, .. } => offer == k,
                Assignment::Holdout => true,
                Assignment::Excluded { .. } => false,
            })
            .map(|(i, _)| i)
            .collect();
        let treated: Vec<bool> = rows
            .iter()
            .map(|&i| plan1.customers[i].assignment != Assignment::Holdout)
            .collect();
        let y: Vec<f64> = rows
            .iter()
            .map(|&i| {
                let id = customers[i].candidate.customer_id.as_str();
                f64::from(u8::from(outcome_of.get(id).is_some_and(|o| o.purchased)))
            })
            .collect();
        let model = UpliftModel::fit(&features(&rows), &treated, &y, &UpliftConfig::default())?;
        probs.push(model.predict_probabilities(&x_all));
    }
    let index: HashMap<&str, usize> = customers
        .iter()
        .enumerate()
        .map(|(i, c)| (c.candidate.customer_id.as_str(), i))
        .collect();

    // Round 2: offers by predicted incremental profit.
    let mut spec2 = spec.clone();
    spec2.id = "demo-winback-2".into();
    let response = |c: &Candidate, o: &OfferSpec| {
        let k = spec2
            .offers
            .iter()
            .position(|x| x.name == o.name)
            .unwrap_or(0);
        let (p1, p0) = probs[k][index[c.customer_id.as_str()]];
        Response {
            p_control: p0,
            p_treated: p1,
        }
    };
    let plan2 = plan(&spec2, &candidates, DEMO_MARGIN, &response);
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
        outgoing.extend(write_message(
            &facts,
            &rules,
            &spec2.id,
            &c.candidate.customer_id,
            &o.name,
            Some(&c.first_name),
            Some(c.email.clone()),
            &mut paths,
            None,
        ));
    }
    let files = export_files(out_dir, &outgoing)?;
    // Record both plans (their holdouts) and queue round 2's messages in the send ledger, so
    // `recur campaign send` can deliver them exactly once.
    let now = chrono::Utc::now().timestamp();
    let mut ledger = Ledger::open(&out_dir.join(LEDGER_FILE))?;
    ledger.record_plan(DEMO_SPEC, &plan1, now)?;
    ledger.record_plan(
        &DEMO_SPEC.replace("demo-winback", "demo-winback-2"),
        &plan2,
        now,
    )?;
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
        message_paths: paths,
        queued,
        ledger: out_dir.join(LEDGER_FILE),
        sample_message: outgoing.first().cloned().map(|mut m| {
            // The sample is printed: keep the address out of the terminal.
            m.email = None;
            m
        }),
        files,
    })
}

/// A campaign planned on a workspace.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedCampaign {
    /// Campaign id.
    pub campaign: String,
    /// How offers were chosen.
    pub targeting: &'static str,
    /// Counts.
    pub summary: PlanSummary,
    /// Whether this run recorded the plan (false: it was recorded before and kept).
    pub newly_recorded: bool,
    /// The ledger holding it.
    pub ledger: PathBuf,
}

/// Plans the campaign defined in `spec_path` on the workspace's customers: RFM segment,
/// P(alive) and CLV from the models, locale and consent from the `customers` table (no record
/// means no consent), suppressions and cross-campaign frequency caps from the send ledger in
/// `WORKSPACE/campaign`. With no past randomised campaign to learn from, offers are assigned at
/// random (exploration) and the holdout measures each offer. The plan and its holdout are
/// recorded in the ledger once; planning the same id again keeps the recorded groups.
pub fn plan_workspace_campaign(ws: &crate::Workspace, spec_path: &Path) -> Result<PlannedCampaign> {
    let text = std::fs::read_to_string(spec_path).map_err(|source| crate::error::Error::Io {
        path: spec_path.to_owned(),
        action: "read",
        source,
    })?;
    let spec = CampaignSpec::parse(&text, spec_path)?;
    let value = crate::clv::customer_value(ws)?;
    let session = ws.session()?;
    let scores = session.rfm_scores()?;
    let rfm: HashMap<&str, _> = scores.iter().map(|s| (s.customer_id.as_str(), s)).collect();
    let contacts: HashMap<String, (Option<String>, bool)> = session
        .contacts()?
        .into_iter()
        .map(|(id, locale, consent)| (id, (locale, consent)))
        .collect();
    let dir = ws.root().join("campaign");
    std::fs::create_dir_all(&dir).map_err(|source| crate::error::Error::Io {
        path: dir.clone(),
        action: "create",
        source,
    })?;
    let mut ledger = Ledger::open(&dir.join(LEDGER_FILE))?;
    let now = chrono::Utc::now().timestamp();
    let mut candidates = Vec::new();
    for v in &value.customers {
        let Some(s) = rfm.get(v.customer_id.as_str()) else {
            continue;
        };
        let (locale, consent) = contacts
            .get(&v.customer_id)
            .cloned()
            .unwrap_or((None, false));
        let suppressed = ledger.is_suppressed(&v.customer_id)?;
        let last = ledger.last_sent(&v.customer_id)?;
        candidates.push(Candidate {
            customer_id: v.customer_id.clone(),
            segment: s.segment.clone(),
            p_alive: v.p_alive,
            clv: v.clv_12m,
            days_since_last_order: s.recency_days.max(0.0) as u32,
            favourite_category: None,
            language: if locale.as_deref().is_some_and(|l| l.starts_with("zh")) {
                Language::Zh
            } else {
                Language::En
            },
            consent: consent && !suppressed,
            days_since_last_message: last.map(|t| ((now - t).max(0) / 86_400) as u32),
            order_value: v.expected_spend,
        });
    }
    let plan = plan_exploration(&spec, &candidates);
    let newly_recorded = ledger.record_plan(&text, &plan, now)?;
    Ok(PlannedCampaign {
        campaign: spec.id.clone(),
        targeting: "random offers (exploration): no past randomised campaign to learn uplift from",
        summary: plan.summary,
        newly_recorded,
        ledger: dir.join(LEDGER_FILE),
    })
}

/// Measures a recorded campaign on the workspace's orders: a customer "purchased" when they
/// have a completed order within the campaign's goal window after it was planned; revenue is
/// what they spent in that window. Offer cost is not in the order data, so it is estimated:
/// a treated customer who bought is assumed to have redeemed their offer (percentage of the
/// window's revenue, or the free-shipping cost).
pub fn evaluate_workspace_campaign(
    ws: &crate::Workspace,
    campaign: &str,
    margin: f64,
) -> Result<WorkspaceLift> {
    let (ledger, spec, start_day, _) = open_recorded(ws, campaign)?;
    let end_day = start_day + i64::from(spec.goal_days);
    let mut window: HashMap<String, f64> = HashMap::new();
    let mut purchase_days = 0;
    for (customer, day, amount) in ws.session()?.daily_purchases()? {
        if (start_day..=end_day).contains(&day) {
            *window.entry(customer).or_default() += amount;
            purchase_days += 1;
        }
    }
    let mut customers = Vec::new();
    let mut outcomes = Vec::new();
    for a in ledger.assignments(campaign)? {
        let assignment = match (a.group.as_str(), a.offer) {
            ("treated", Some(offer)) => Assignment::Treated {
                offer,
                expected_profit: 0.0,
                expected_cost: 0.0,
            },
            ("holdout", _) => Assignment::Holdout,
            _ => continue,
        };
        let revenue = window.get(&a.customer).copied().unwrap_or(0.0);
        let purchased = revenue > 0.0;
        let offer_cost = match assignment {
            Assignment::Treated { offer, .. } if purchased => spec
                .offers
                .get(offer)
                .map_or(0.0, |o| o.redemption_cost(revenue)),
            _ => 0.0,
        };
        outcomes.push(Outcome {
            customer_id: a.customer.clone(),
            purchased,
            revenue,
            offer_cost,
        });
        customers.push(recur_campaign::PlannedCustomer {
            customer_id: a.customer,
            segment: a.segment,
            assignment,
        });
    }
    let plan = Plan {
        campaign: campaign.to_owned(),
        summary: PlanSummary {
            candidates: customers.len(),
            eligible: customers.len(),
            holdout: customers
                .iter()
                .filter(|c| c.assignment == Assignment::Holdout)
                .count(),
            treated: customers
                .iter()
                .filter(|c| c.assignment != Assignment::Holdout)
                .count(),
            by_offer: Vec::new(),
            excluded: Vec::new(),
            expected_profit: 0.0,
            expected_cost: 0.0,
        },
        customers,
    };
    Ok(WorkspaceLift {
        window_start: iso_day(start_day),
        window_end: iso_day(end_day),
        purchase_days_in_window: purchase_days,
        lift: measure_lift(&plan, &outcomes, margin, 0.95),
    })
}

/// A workspace campaign's measured lift and the window it was measured in.
#[derive(Debug, Clone, Serialize)]
pub struct WorkspaceLift {
    /// First day of the goal window (the day the campaign was planned).
    pub window_start: String,
    /// Last day of the goal window.
    pub window_end: String,
    /// Customer purchase days found in the window (0: outcomes not imported yet).
    pub purchase_days_in_window: usize,
    /// Treated vs holdout.
    pub lift: LiftReport,
}

/// What `generate_workspace_campaign` produced.
#[derive(Debug, Clone, Serialize)]
pub struct GeneratedCampaign {
    /// Campaign id.
    pub campaign: String,
    /// Messages per path (template only, rejected...).
    pub message_paths: BTreeMap<String, usize>,
    /// Newly queued in the ledger.
    pub queued: usize,
    /// Files for ESP imports.
    pub files: Vec<PathBuf>,
}

/// Writes the messages of a planned campaign: for each treated customer, facts from the
/// workspace (favourite category from their orders, that category's two best sellers with
/// catalog title and price, the recorded offer with a per-customer code and expiry), a
/// validated draft (the template until a language model is configured), the name filled in
/// afterwards; then queues them in the ledger and exports Braze/Klaviyo/JSONL files to
/// `WORKSPACE/campaign/<id>/`. Running it again queues nothing new.
///
/// With `generator`, the first `llm_drafts` messages are drafted by the language model (facts
/// only, schema-constrained JSON, validated, one retry with feedback, template otherwise); the
/// path each message took is counted in `message_paths`.
pub fn generate_workspace_campaign(
    ws: &crate::Workspace,
    campaign: &str,
    shop: &str,
    currency: &str,
    mut generator: Option<&mut dyn recur_llm::Generate>,
    llm_drafts: usize,
) -> Result<GeneratedCampaign> {
    let (mut ledger, spec, send_day, dir) = open_recorded(ws, campaign)?;
    let session = ws.session()?;
    let favourites: HashMap<String, String> = session.favourite_categories()?.into_iter().collect();
    let mut sellers: HashMap<String, Vec<ProductFact>> = HashMap::new();
    for (cat, title, price) in session.best_sellers(2)? {
        sellers
            .entry(cat)
            .or_default()
            .push(ProductFact { title, price });
    }
    let catalog_titles: Vec<String> = sellers
        .values()
        .flatten()
        .map(|p| p.title.clone())
        .collect();
    let contacts: HashMap<String, Option<String>> = session
        .contacts()?
        .into_iter()
        .map(|(id, locale, _)| (id, locale))
        .collect();
    let recipients: HashMap<String, (Option<String>, Option<String>)> = session
        .recipients()?
        .into_iter()
        .map(|r| (r.customer_id, (r.name, r.email)))
        .collect();
    let rules = Rules {
        catalog_titles,
        ..Rules::default()
    };
    let mut paths: BTreeMap<String, usize> = BTreeMap::new();
    let mut outgoing = Vec::new();
    let mut drafted = 0usize;
    for a in ledger.assignments(campaign)? {
        let (Some(offer), "treated") = (a.offer, a.group.as_str()) else {
            continue;
        };
        let Some(o) = spec.offers.get(offer) else {
            continue;
        };
        let language = match contacts.get(&a.customer) {
            Some(Some(l)) if l.starts_with("zh") => Language::Zh,
            _ => Language::En,
        };
        let favourite = favourites.get(&a.customer).cloned();
        let facts = Facts {
            shop: shop.to_owned(),
            language,
            currency: currency.to_owned(),
            products: favourite
                .as_ref()
                .and_then(|c| sellers.get(c))
                .cloned()
                .unwrap_or_default(),
            favourite_category: favourite,
            offer: Some(offer_fact(o, campaign, &a.customer, send_day)),
        };
        let (name, email) = recipients.get(&a.customer).cloned().unwrap_or((None, None));
        let first_name = name.as_deref().and_then(|n| n.split_whitespace().next());
        let mut failures = Vec::new();
        let mut writer = generator
            .as_deref_mut()
            .filter(|_| drafted < llm_drafts)
            .map(|g| {
                drafted += 1;
                crate::copywriter::llm_writer(g, &rules, drafted as u64, &mut failures)
            });
        let message = write_message(
            &facts,
            &rules,
            campaign,
            &a.customer,
            &o.name,
            first_name,
            email,
            &mut paths,
            writer
                .as_mut()
                .map(|w| w as &mut recur_campaign::Writer<'_>),
        );
        drop(writer);
        for f in failures {
            *paths
                .entry(format!("language model failed: {f}"))
                .or_default() += 1;
        }
        outgoing.extend(message);
    }
    let files = export_files(&dir.join(campaign), &outgoing)?;
    let queued = ledger.queue(&outgoing)?;
    Ok(GeneratedCampaign {
        campaign: campaign.to_owned(),
        message_paths: paths,
        queued,
        files,
    })
}
