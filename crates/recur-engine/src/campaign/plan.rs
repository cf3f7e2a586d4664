//! Planning a campaign on a workspace: uplift learned from the ledger's past campaigns, or
//! exploration.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use recur_campaign::{
    BUILTIN_ATTRIBUTES, CampaignSpec, Candidate, FairnessTable, Features, Group, GroupLifts,
    GuardRailChange, Language, Ledger, OfferBasis, OfferEvidence, OfferModels, Outcome,
    PastCampaign, PastRow, Plan, PlanSummary, UpliftConfig, attribute_value, lift_by_group,
    offer_fairness, plan_exploration, shop_attributes,
};
use recur_core::{Day, SECONDS_PER_DAY};
use serde::Serialize;

use super::evaluate::window_spend;
use super::features::{customer_features, feature_names};
use super::store::CampaignStore;
use crate::clv::iso_day;
use crate::error::{Error, Result};
use crate::reviews::{HeldBackProducts, workspace_held_back};
use crate::workspace::Workspace;

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
    /// How offers fall across segments, languages and countries: each group's offer rate beside the
    /// overall rate, flagged below four fifths of it (groups of fewer than 30 never flagged).
    pub fairness: Vec<FairnessTable>,
    /// What the spec's `[fairness]` guard rails changed in the plan (empty: none set, nothing
    /// to change, or an exploration plan, which gives every group offers by the same draw).
    pub guard_rails: Vec<GuardRailChange>,
    /// Products its messages will not promote because their reviews are well below their
    /// category's (`[reviews]` settings), each with its negative share, the share it was
    /// compared with and the review counts; recorded with the plan.
    pub held_back: HeldBackProducts,
    /// Whether this run recorded the plan (false: it was recorded before and kept).
    pub newly_recorded: bool,
    /// The ledger holding it.
    pub ledger: PathBuf,
}

/// The customer ids an audience's SQL returns (its first column, as text).
fn audience_ids(ws: &Workspace, sql: &str) -> Result<BTreeSet<String>> {
    let result = crate::query::query_workspace(ws, sql, false)?;
    Ok(result
        .rows
        .iter()
        .filter_map(|r| r.first())
        .map(|c| c.to_string().trim().to_owned())
        .filter(|id| !id.is_empty())
        .collect())
}

/// The fairness file of a recorded campaign, in its folder.
pub const FAIRNESS_FILE: &str = "fairness.json";

/// The held-back products of a recorded campaign, in its folder.
pub const HELD_BACK_FILE: &str = "held-back.json";

/// The products held back when `campaign` (folder `dir`) was planned; `None` when it was
/// planned before they were recorded (or the file cannot be read).
pub(crate) fn recorded_held_back(dir: &Path) -> Option<HeldBackProducts> {
    let text = std::fs::read_to_string(dir.join(HELD_BACK_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// A recorded plan's fairness, as computed when it was recorded.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RecordedFairness {
    /// Offers by group, per attribute.
    pub fairness: Vec<FairnessTable>,
    /// What the guard rails changed.
    pub guard_rails: Vec<GuardRailChange>,
}

fn write_recorded_fairness(dir: &Path, f: &RecordedFairness) -> Result<()> {
    write_json(dir, FAIRNESS_FILE, f)
}

/// Writes `value` as `dir/file`, atomically (a temporary file renamed).
fn write_json(dir: &Path, file: &str, value: &impl Serialize) -> Result<()> {
    let path = dir.join(file);
    let io = |error| Error::Io {
        path: path.clone(),
        action: "write",
        error,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let text = serde_json::to_string_pretty(value).map_err(|e| io(std::io::Error::other(e)))?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)
}

/// The fairness recorded with `campaign`'s plan (`None`: planned before it was recorded).
pub fn campaign_fairness(ws: &Workspace, campaign: &str) -> Result<Option<RecordedFairness>> {
    let store = CampaignStore::open(ws)?;
    store.recorded(campaign)?;
    let path = store.dir.join(campaign).join(FAIRNESS_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    Ok(serde_json::from_str(&text).ok())
}

/// How a plan's offers fall across segments, languages and countries (`candidates` in the
/// plan's order).
pub(crate) fn plan_fairness(
    plan: &Plan,
    spec: &CampaignSpec,
    candidates: &[Candidate],
) -> Vec<FairnessTable> {
    let shop = shop_attributes(candidates);
    BUILTIN_ATTRIBUTES
        .iter()
        .map(|a| (*a).to_owned())
        .chain(shop)
        .map(|a| {
            offer_fairness(plan, spec, &a, |i| {
                candidates.get(i).and_then(|c| attribute_value(c, &a))
            })
        })
        .collect()
}

/// Measured lift per language, per country and per attribute of the shop's own.
pub(crate) fn candidate_lifts(
    plan: &Plan,
    outcomes: &[Outcome],
    margin: f64,
    candidates: &[Candidate],
) -> Vec<GroupLifts> {
    let by_id: HashMap<&str, &Candidate> = candidates
        .iter()
        .map(|c| (c.customer_id.as_str(), c))
        .collect();
    ["language".to_owned(), "country".to_owned()]
        .into_iter()
        .chain(shop_attributes(candidates))
        .map(|a| {
            lift_by_group(plan, outcomes, margin, 0.95, &a, &|id| {
                by_id.get(id).and_then(|c| attribute_value(c, &a))
            })
        })
        .collect()
}

/// The shop's own customer attributes of `spec`'s `fairness.groups_file` (resolved next to
/// the spec file): customer id → (attribute → value). Empty without such a file.
fn shop_groups(
    spec: &CampaignSpec,
    spec_path: &Path,
) -> Result<HashMap<String, BTreeMap<String, String>>> {
    let Some(file) = &spec.fairness.groups_file else {
        return Ok(HashMap::new());
    };
    let path = spec_path.parent().unwrap_or(Path::new(".")).join(file);
    let bad = |line: usize, message: String| Error::BadInput {
        path: path.clone(),
        line,
        message,
        hint: "give a CSV with a customer_id column and one column per attribute, such as customer_id,tier",
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(&path)
        .map_err(|e| match e.into_kind() {
            csv::ErrorKind::Io(error) => Error::ReadInput {
                path: path.clone(),
                error,
            },
            other => bad(1, format!("{other:?}")),
        })?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad(1, e.to_string()))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let Some(id_col) = header.iter().position(|h| h == "customer_id") else {
        return Err(bad(1, "no `customer_id` column".into()));
    };
    let names: Vec<(usize, &String)> = header
        .iter()
        .enumerate()
        .filter(|(k, h)| *k != id_col && !h.is_empty())
        .collect();
    if let Some((_, clash)) = names
        .iter()
        .find(|(_, h)| BUILTIN_ATTRIBUTES.contains(&h.as_str()))
    {
        return Err(bad(
            1,
            format!("`{clash}` is a built-in attribute recur already reports; rename the column"),
        ));
    }
    for a in &spec.fairness.attributes {
        if !BUILTIN_ATTRIBUTES.contains(&a.as_str()) && !names.iter().any(|(_, h)| *h == a) {
            return Err(bad(
                1,
                format!("`fairness.attributes` names `{a}`, which is not a column of this file"),
            ));
        }
    }
    let mut out = HashMap::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(n + 2, e.to_string()))?;
        let Some(id) = record
            .get(id_col)
            .map(str::trim)
            .filter(|id| !id.is_empty())
        else {
            continue;
        };
        let groups: BTreeMap<String, String> = names
            .iter()
            .filter_map(|(k, name)| {
                let v = record.get(*k)?.trim();
                (!v.is_empty()).then(|| ((*name).clone(), v.to_owned()))
            })
            .collect();
        out.insert(id.to_owned(), groups);
    }
    Ok(out)
}

/// Customers needed in each arm (offer, holdout) before an offer's uplift model is trusted.
pub const MIN_PER_ARM: usize = 30;

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
        let start = Day::of_timestamp(c.created_at).0;
        let end = start + i64::from(spec.goal_days);
        if end >= Day::of_timestamp(now).0 {
            skipped.push((
                c.id,
                format!(
                    "its goal window ends {}, not before this plan's day {}",
                    iso_day(end),
                    iso_day(Day::of_timestamp(now).0)
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
                let offer = match (a.group, a.offer) {
                    (Group::Treated, Some(o)) => Some(spec.offers.get(o)?.name.clone()),
                    (Group::Holdout, _) => None,
                    _ => return None,
                };
                Some(PastRow {
                    features: features.get(a.customer.as_str())?.clone(),
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
///
/// A spec file that cannot be read is [`Error::ReadInput`]; an invalid one is the campaign
/// crate's error with the offending key.
pub fn plan_workspace_campaign(
    ws: &Workspace,
    spec_path: &Path,
    margin: f64,
    now: i64,
) -> Result<PlannedCampaign> {
    let text = std::fs::read_to_string(spec_path).map_err(|error| Error::ReadInput {
        path: spec_path.to_owned(),
        error,
    })?;
    let mut spec = CampaignSpec::parse(&text, spec_path)?;
    let groups = shop_groups(&spec, spec_path)?;
    if let Some(sql) = spec.audience.sql.clone() {
        spec.audience.sql_ids = Some(audience_ids(ws, &sql)?);
    }
    if spec.audience.negative_reviewers {
        let since = spec
            .audience
            .negative_review_days
            .map(|d| now - i64::from(d) * SECONDS_PER_DAY);
        spec.audience.negative_reviewer_ids =
            Some(crate::reviews::negative_reviewers(ws, since, now)?);
    }
    let value = crate::clv::customer_value(ws)?;
    let session = ws.session()?;
    let scores = session.rfm_scores()?;
    let rfm: HashMap<&str, _> = scores.iter().map(|s| (s.customer_id.as_str(), s)).collect();
    let contacts: HashMap<String, (Option<String>, bool)> = session
        .contacts()?
        .into_iter()
        .map(|(id, locale, consent)| (id, (locale, consent)))
        .collect();
    let countries: HashMap<String, String> = session.customer_countries()?.into_iter().collect();
    let days = session.daily_purchases()?;
    let mut store = CampaignStore::create(ws)?;
    let ledger = &mut store.ledger;
    let mut candidates = Vec::new();
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for v in &value.customers {
        let Some(s) = rfm.get(v.customer_id.as_str()) else {
            continue;
        };
        let (locale, consent) = contacts
            .get(v.customer_id.as_str())
            .cloned()
            .unwrap_or((None, false));
        let suppressed = ledger.is_suppressed(&v.customer_id)?;
        let last = ledger.last_sent(&v.customer_id)?;
        candidates.push(Candidate {
            customer_id: v.customer_id.clone(),
            segment: s.segment,
            p_alive: v.p_alive,
            clv: v.clv_12m,
            days_since_last_order: s.recency_days.max(0.0) as u32,
            favourite_category: None,
            language: Language::of_locale(locale.as_deref()),
            country: countries.get(v.customer_id.as_str()).cloned(),
            groups: groups
                .get(v.customer_id.as_str())
                .cloned()
                .unwrap_or_default(),
            consent: consent && !suppressed,
            // Whole days elapsed since the last message.
            days_since_last_message: last.map(|t| ((now - t).max(0) / SECONDS_PER_DAY) as u32),
            order_value: v.expected_spend,
        });
        rows.push(customer_features(v, s).to_vec());
    }
    let names = feature_names();
    let (past, not_learned_from) = past_campaigns(ledger, &spec.id, &days, now)?;
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
        let learned: BTreeSet<&str> = models
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
            .filter(|e| e.basis == OfferBasis::Validated)
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
    let fairness = plan_fairness(&plan, &spec, &candidates);
    let mut held_back = workspace_held_back(ws)?;
    let newly_recorded = ledger.record_plan(&text, &plan, now)?;
    let dir = store.dir.join(&spec.id);
    if newly_recorded {
        let recorded: Vec<(&str, Vec<f64>)> = candidates
            .iter()
            .zip(rows)
            .map(|(c, r)| (c.customer_id.as_str(), r))
            .collect();
        ledger.record_features(&spec.id, &names, &recorded)?;
        write_recorded_fairness(
            &dir,
            &RecordedFairness {
                fairness: fairness.clone(),
                guard_rails: plan.guard_rails.clone(),
            },
        )?;
        write_json(&dir, HELD_BACK_FILE, &held_back)?;
    } else if let Some(recorded) = recorded_held_back(&dir) {
        // The messages of a recorded plan leave out what was held back when it was recorded.
        held_back = recorded;
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
        fairness,
        guard_rails: plan.guard_rails,
        held_back,
        newly_recorded,
        ledger: store.ledger_path(),
    })
}
