//! Campaigns on a workspace: plan (uplift learned from past campaigns in the ledger, or
//! exploration), generate grounded messages, send from the ledger, import coupon redemptions,
//! and measure lift against the recorded holdout.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use recur_campaign::{
    Assignment, CampaignSpec, Candidate, Facts, Features, Language, Ledger, LiftReport,
    OfferEvidence, OfferModels, Outcome, PastCampaign, PastRow, Plan, PlanSummary, ProductFact,
    Rules, SendCounts, SendOptions, SendReport, SmtpDelivery, SmtpSecurity, UpliftConfig,
    WebhookDelivery, export_files, measure_lift, plan_exploration, send_pending,
};
use serde::Serialize;

use crate::campaign::{FEATURE_NAMES, customer_features, next_draft, offer_fact, write_message};
use crate::clv::iso_day;
use crate::error::Result;

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
        /// TLS: none (local relay), STARTTLS or implicit TLS.
        security: SmtpSecurity,
        /// Login (user, password), if the server needs one.
        credentials: Option<(String, String)>,
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
/// sent twice, and the one in flight is re-sent with the same Message-ID. Outside the
/// campaign's `send_window` nothing goes out (unless `ignore_window`): the run stops, the rest
/// stay queued, and the outcome says when the window opens.
pub fn send_campaign(
    campaign_dir: &Path,
    campaign: &str,
    channel: &ChannelConfig,
    dry_run: bool,
    ignore_window: bool,
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
    let (spec_text, _) =
        ledger
            .campaign(campaign)?
            .ok_or_else(|| crate::error::Error::BadSetting {
                key: "campaign".into(),
                value: campaign.to_owned(),
                hint: format!(
                    "no such campaign in {}; plan it first with `recur campaign plan --spec FILE`",
                    path.display()
                ),
            })?;
    let spec = CampaignSpec::parse(&spec_text, &path)?;
    let opts = SendOptions {
        dry_run,
        now: chrono::Utc::now().timestamp(),
        window: spec.send_window.filter(|_| !ignore_window),
        ..SendOptions::default()
    };
    let timeout = std::time::Duration::from_secs(30);
    let run = match channel {
        ChannelConfig::Smtp {
            host,
            port,
            from,
            security,
            credentials,
        } => {
            let mut smtp =
                SmtpDelivery::new(host, *port, from, timeout, *security, credentials.clone())
                    .map_err(|e| crate::error::Error::BadSetting {
                        key: "smtp".into(),
                        value: format!("{host}:{port} from {from}"),
                        hint: e.message,
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

/// A campaign planned on a workspace.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedCampaign {
    /// Campaign id.
    pub campaign: String,
    /// How offers were chosen.
    pub targeting: String,
    /// Per offer: what the past campaigns in the ledger say about it (empty when none could
    /// be learned from).
    pub evidence: Vec<OfferEvidence>,
    /// Past campaigns not learned from, and why (window not over, no recorded features...).
    pub not_learned_from: Vec<(String, String)>,
    /// Counts.
    pub summary: PlanSummary,
    /// Whether this run recorded the plan (false: it was recorded before and kept).
    pub newly_recorded: bool,
    /// The ledger holding it.
    pub ledger: PathBuf,
}

/// Customers needed in each arm (offer, holdout) before an offer's uplift model is trusted.
pub const MIN_PER_ARM: usize = 30;

/// Whether each customer bought in `[start_day, end_day]`, and what they spent there, from the
/// workspace's (customer, day, amount) purchase days.
fn window_spend(days: &[(String, i64, f64)], start_day: i64, end_day: i64) -> HashMap<&str, f64> {
    let mut window: HashMap<&str, f64> = HashMap::new();
    for (customer, day, amount) in days {
        if (start_day..=end_day).contains(day) {
            *window.entry(customer.as_str()).or_default() += amount;
        }
    }
    window
}

/// A past campaign not learned from, and why.
type Skipped = (String, String);

/// The past campaigns in `ledger` whose goal window the workspace's orders cover, as
/// learning material; the others with the reason they cannot be used yet.
fn past_campaigns(
    ledger: &Ledger,
    except: &str,
    days: &[(String, i64, f64)],
    now: i64,
) -> Result<(Vec<PastCampaign>, Vec<Skipped>)> {
    let last_day = days.iter().map(|d| d.1).max();
    let mut usable = Vec::new();
    let mut skipped = Vec::new();
    for c in ledger.campaigns()? {
        if c.id == except {
            continue;
        }
        let spec = CampaignSpec::parse(&c.spec, Path::new(&c.id))?;
        let start = c.created_at.div_euclid(86_400);
        let end = start + i64::from(spec.goal_days);
        if end >= now.div_euclid(86_400) {
            skipped.push((
                c.id,
                format!(
                    "its goal window ends {}, not before this plan's day {}",
                    iso_day(end),
                    iso_day(now.div_euclid(86_400))
                ),
            ));
            continue;
        }
        if last_day.is_none_or(|d| d < end) {
            skipped.push((
                c.id,
                format!(
                    "its goal window ends {}; orders are imported up to {}",
                    iso_day(end),
                    last_day.map_or("nothing".into(), iso_day)
                ),
            ));
            continue;
        }
        let Some((names, features)) = ledger.features(&c.id)? else {
            skipped.push((c.id, "no features were recorded when it was planned".into()));
            continue;
        };
        let bought = window_spend(days, start, end);
        let rows = ledger
            .assignments(&c.id)?
            .into_iter()
            .filter_map(|a| {
                let offer = match (a.group.as_str(), a.offer) {
                    ("treated", Some(o)) => Some(spec.offers.get(o)?.name.clone()),
                    ("holdout", _) => None,
                    _ => return None,
                };
                Some(PastRow {
                    features: features.get(&a.customer)?.clone(),
                    offer,
                    purchased: bought.contains_key(a.customer.as_str()),
                })
            })
            .collect();
        usable.push(PastCampaign {
            id: c.id,
            feature_names: names,
            rows,
        });
    }
    Ok((usable, skipped))
}

/// Plans the campaign defined in `spec_path` on the workspace's customers at time `now`
/// (seconds since the epoch; the goal window starts that day): RFM segment, P(alive) and CLV
/// from the models, locale and consent from the `customers` table (no record means no
/// consent), suppressions and cross-campaign frequency caps from the send ledger in
/// `WORKSPACE/campaign`.
///
/// Offers are chosen by uplift learned from the ledger's past randomised campaigns whose goal
/// window the imported orders cover: per offer (matched by name), a T-learner on the features
/// recorded when those campaigns were planned, and each customer gets the offer with the
/// highest expected incremental profit at `margin` (nobody, if none pays). Without such
/// evidence offers are assigned at random (exploration), so that this campaign becomes the
/// evidence. The plan, its holdout and the customers' features are recorded once; planning the
/// same id again keeps the recorded groups.
pub fn plan_workspace_campaign(
    ws: &crate::Workspace,
    spec_path: &Path,
    margin: f64,
    now: i64,
) -> Result<PlannedCampaign> {
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
    let days = session.daily_purchases()?;
    let dir = ws.root().join("campaign");
    std::fs::create_dir_all(&dir).map_err(|source| crate::error::Error::Io {
        path: dir.clone(),
        action: "create",
        source,
    })?;
    let mut ledger = Ledger::open(&dir.join(LEDGER_FILE))?;
    let mut candidates = Vec::new();
    let mut rows: Vec<Vec<f64>> = Vec::new();
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
        rows.push(customer_features(v, s).to_vec());
    }
    let names: Vec<String> = FEATURE_NAMES.iter().map(|s| (*s).to_owned()).collect();
    let (past, not_learned_from) = past_campaigns(&ledger, &spec.id, &days, now)?;
    let models = OfferModels::learn(
        &spec.offers,
        &names,
        &past,
        MIN_PER_ARM,
        &UpliftConfig::default(),
    )?;
    let (plan, targeting) = if models.any() {
        let x = Features {
            names: names.clone(),
            columns: (0..names.len())
                .map(|k| rows.iter().map(|r| r[k]).collect())
                .collect(),
        };
        let plan = models.plan(&spec, &candidates, &x, margin);
        let learned: std::collections::BTreeSet<&str> = models
            .evidence
            .iter()
            .flat_map(|e| e.campaigns.iter().map(String::as_str))
            .collect();
        let modelled: Vec<&str> = models
            .evidence
            .iter()
            .filter(|e| e.no_model.is_none())
            .map(|e| e.offer.as_str())
            .collect();
        let validated: Vec<&str> = models
            .evidence
            .iter()
            .filter(|e| e.basis == "uplift model, validated out of fold")
            .map(|e| e.offer.as_str())
            .collect();
        let targeting = format!(
            "offer with the highest expected incremental profit at margin {margin}: uplift models for {} learned from {}; validated out of fold: {}",
            modelled.join(", "),
            learned.into_iter().collect::<Vec<_>>().join(", "),
            if validated.is_empty() {
                "none (see each offer's basis)".to_owned()
            } else {
                validated.join(", ")
            }
        );
        (plan, targeting)
    } else if past.is_empty() {
        (
            plan_exploration(&spec, &candidates),
            "random offers (exploration): no past randomised campaign to learn uplift from".into(),
        )
    } else {
        (
            plan_exploration(&spec, &candidates),
            format!(
                "random offers (exploration): no offer showed an effect that held up in the past campaigns ({})",
                past.iter()
                    .map(|p| p.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    };
    let newly_recorded = ledger.record_plan(&text, &plan, now)?;
    if newly_recorded {
        let recorded: Vec<(&str, Vec<f64>)> = candidates
            .iter()
            .zip(rows)
            .map(|(c, r)| (c.customer_id.as_str(), r))
            .collect();
        ledger.record_features(&spec.id, &names, &recorded)?;
    }
    Ok(PlannedCampaign {
        campaign: spec.id.clone(),
        targeting,
        evidence: if past.is_empty() {
            Vec::new()
        } else {
            models.evidence
        },
        not_learned_from,
        summary: plan.summary,
        newly_recorded,
        ledger: dir.join(LEDGER_FILE),
    })
}

/// Measures a recorded campaign on the workspace's orders: a customer "purchased" when they
/// have a completed order within the campaign's goal window after it was planned; revenue is
/// what they spent in that window. Offer cost comes from the coupon redemptions imported with
/// `recur campaign redemptions` when there are any; otherwise it is estimated: a treated
/// customer who bought is assumed to have redeemed their offer (percentage of the window's
/// revenue, or the free-shipping cost). `offer_cost_basis` says which.
pub fn evaluate_workspace_campaign(
    ws: &crate::Workspace,
    campaign: &str,
    margin: f64,
) -> Result<WorkspaceLift> {
    let (ledger, spec, start_day, _) = open_recorded(ws, campaign)?;
    let end_day = start_day + i64::from(spec.goal_days);
    let days = ws.session()?.daily_purchases()?;
    let purchase_days = days
        .iter()
        .filter(|d| (start_day..=end_day).contains(&d.1))
        .count();
    let window = window_spend(&days, start_day, end_day);
    let redeemed = ledger.redemptions(campaign)?;
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
        let revenue = window.get(a.customer.as_str()).copied().unwrap_or(0.0);
        let purchased = revenue > 0.0;
        let offer_cost = match (&assignment, &redeemed) {
            (Assignment::Treated { .. }, Some(r)) => r.get(&a.customer).copied().unwrap_or(0.0),
            (Assignment::Treated { offer, .. }, None) if purchased => spec
                .offers
                .get(*offer)
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
        offer_cost_basis: if redeemed.is_some() {
            "coupon redemptions imported for this campaign"
        } else {
            "estimated: every treated buyer redeemed their offer (no redemptions imported)"
        },
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
    /// Where the offer cost comes from.
    pub offer_cost_basis: &'static str,
    /// Treated vs holdout.
    pub lift: LiftReport,
}

/// What `generate_workspace_campaign` produced.
#[derive(Debug, Clone, Serialize)]
pub struct GeneratedCampaign {
    /// Campaign id.
    pub campaign: String,
    /// Where the recommended products in the messages come from.
    pub product_source: String,
    /// Messages per path (template only, rejected...).
    pub message_paths: BTreeMap<String, usize>,
    /// Newly queued in the ledger.
    pub queued: usize,
    /// Files for ESP imports.
    pub files: Vec<PathBuf>,
}

/// Writes the messages of a planned campaign: for each treated customer, facts from the
/// workspace (favourite category from their orders; two recommended products with catalog title
/// and price from the trained behaviour model, or that category's two best sellers without
/// one; the recorded offer with a per-customer code and expiry), a
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
    progress: &mut dyn FnMut(usize, usize),
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
    // Every catalog title: a draft that names one the facts did not supply is rejected.
    let catalog_titles: Vec<String> = session
        .product_titles()?
        .into_iter()
        .filter_map(|(_, title, _)| title)
        .collect();
    // Recommendations from the trained behaviour model (`recur train`), when there is one.
    let recommender = if ws
        .root()
        .join(crate::MODEL_DIR)
        .join("config.json")
        .exists()
    {
        Some(crate::WorkspaceRecommender::open(ws)?)
    } else {
        None
    };
    let product_source = recommender.as_ref().map_or_else(
        || "best sellers of the customer's favourite category (no behaviour model trained)".to_owned(),
        |r| {
            format!(
                "the behaviour model's recommendations ({}), else best sellers of the favourite category",
                r.model_name()
            )
        },
    );
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
    let assignments: Vec<_> = ledger
        .assignments(campaign)?
        .into_iter()
        .filter(|a| a.group == "treated")
        .collect();
    let total = assignments.len();
    for (done, a) in assignments.into_iter().enumerate() {
        progress(done, total);
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
        let recommended: Vec<ProductFact> = recommender
            .as_ref()
            .and_then(|r| {
                r.recommend(&a.customer, 10, recur_model::Exclude::Nothing)
                    .ok()
            })
            .map(|r| {
                r.items
                    .into_iter()
                    .filter_map(|i| {
                        Some(ProductFact {
                            title: i.title?,
                            price: i.price?,
                        })
                    })
                    .take(2)
                    .collect()
            })
            .unwrap_or_default();
        let facts = Facts {
            shop: shop.to_owned(),
            language,
            currency: currency.to_owned(),
            products: if recommended.is_empty() {
                favourite
                    .as_ref()
                    .and_then(|c| sellers.get(c))
                    .cloned()
                    .unwrap_or_default()
            } else {
                recommended
            },
            favourite_category: favourite,
            offer: Some(offer_fact(o, campaign, &a.customer, send_day)),
        };
        let (name, email) = recipients.get(&a.customer).cloned().unwrap_or((None, None));
        let first_name = name.as_deref().and_then(|n| n.split_whitespace().next());
        let drafting = next_draft(&mut generator, &mut drafted, llm_drafts);
        let message = write_message(
            &facts,
            &rules,
            campaign,
            &a.customer,
            &o.name,
            first_name,
            email,
            &mut paths,
            drafting,
        );
        outgoing.extend(message.map(|(m, _)| m));
    }
    progress(total, total);
    let files = export_files(&dir.join(campaign), &outgoing)?;
    let queued = ledger.queue(&outgoing)?;
    Ok(GeneratedCampaign {
        campaign: campaign.to_owned(),
        product_source,
        message_paths: paths,
        queued,
        files,
    })
}

/// Imports a shop's coupon redemption export (CSV: `code,order_id,discount[,redeemed_at]`)
/// into the workspace's ledger; codes are matched to the campaign and customer they were issued
/// to, unknown codes are listed. Re-importing adds nothing.
pub fn import_workspace_redemptions(
    ws: &crate::Workspace,
    file: &Path,
) -> Result<recur_campaign::RedemptionImport> {
    let path = ws.root().join("campaign").join(LEDGER_FILE);
    if !path.exists() {
        return Err(crate::error::Error::BadSetting {
            key: "campaign ledger".into(),
            value: path.display().to_string(),
            hint:
                "no campaign was planned in this workspace; redemptions belong to planned campaigns"
                    .into(),
        });
    }
    let mut ledger = Ledger::open(&path)?;
    Ok(recur_campaign::import_redemptions(
        &mut ledger,
        file,
        chrono::Utc::now().timestamp(),
    )?)
}
