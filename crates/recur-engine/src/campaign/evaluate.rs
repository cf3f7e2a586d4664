//! Measuring a recorded campaign's lift on the workspace's orders.

use std::collections::HashMap;

use recur_analytics::Cell;
use recur_campaign::{
    Assignment, Effect, Group, GroupLifts, Language, LiftReport, Outcome, Plan, PlanSummary,
    lift_by_group, mean_difference, measure_lift,
};
use serde::Serialize;

use super::store::{CampaignStore, RecordedCampaign};
use crate::clv::iso_day;
use crate::error::Result;
use crate::workspace::Workspace;

/// Whether each customer bought in `[start_day, end_day]`, and what they spent there, from the
/// workspace's (customer, day, amount) purchase days.
pub(crate) fn window_spend(
    days: &[(String, i64, f64)],
    start_day: i64,
    end_day: i64,
) -> HashMap<&str, f64> {
    let mut window: HashMap<&str, f64> = HashMap::new();
    for (customer, day, amount) in days {
        if (start_day..=end_day).contains(day) {
            *window.entry(customer.as_str()).or_default() += amount;
        }
    }
    window
}

/// Measures a recorded campaign on the workspace's orders: a customer "purchased" when they
/// have a completed order within the campaign's goal window after it was planned; revenue is
/// what they spent in that window. Offer cost comes from the coupon redemptions imported with
/// `recur campaign redemptions` when there are any; otherwise it is estimated: a treated
/// customer who bought is assumed to have redeemed their offer (percentage of the window's
/// revenue, or the free-shipping cost). `offer_cost_basis` says which.
///
/// Errors: [`Error::NoLedger`] when no campaign was planned in the workspace,
/// [`Error::NoSuchCampaign`] when the ledger does not know `campaign`.
///
/// [`Error::NoLedger`]: crate::error::Error::NoLedger
/// [`Error::NoSuchCampaign`]: crate::error::Error::NoSuchCampaign
pub fn evaluate_workspace_campaign(
    ws: &Workspace,
    campaign: &str,
    margin: f64,
) -> Result<WorkspaceLift> {
    let store = CampaignStore::open(ws)?;
    let RecordedCampaign {
        spec,
        planned_day: start_day,
        ..
    } = store.recorded(campaign)?;
    let ledger = &store.ledger;
    let end_day = start_day + i64::from(spec.goal_days);
    let session = ws.session()?;
    let days = session.daily_purchases()?;
    let purchase_days = days
        .iter()
        .filter(|d| (start_day..=end_day).contains(&d.1))
        .count();
    let window = window_spend(&days, start_day, end_day);
    let redeemed = ledger.redemptions(campaign)?;
    let mut customers = Vec::new();
    let mut outcomes = Vec::new();
    for a in ledger.assignments(campaign)? {
        let assignment = match (a.group, a.offer) {
            (Group::Treated, Some(offer)) => Assignment::Treated {
                offer,
                expected_profit: 0.0,
                expected_cost: 0.0,
            },
            (Group::Holdout, _) => Assignment::Holdout,
            _ => continue,
        };
        let revenue = window.get(a.customer.as_str()).copied().unwrap_or(0.0);
        let purchased = revenue > 0.0;
        let offer_cost = match (&assignment, &redeemed) {
            (Assignment::Treated { .. }, Some(r)) => {
                r.get(a.customer.as_str()).copied().unwrap_or(0.0)
            }
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
    // Today's language and country of each customer (segments are the plan's own).
    let languages: HashMap<String, Language> = session
        .contacts()?
        .into_iter()
        .map(|(id, locale, _)| (id, Language::of_locale(locale.as_deref())))
        .collect();
    let countries: HashMap<String, String> = session.customer_countries()?.into_iter().collect();
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
        guard_rails: Vec::new(),
    };
    let beyond_repurchase = beyond_repurchase(&session, &plan, &days, start_day, end_day)?;
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
        by_group: vec![
            lift_by_group(&plan, &outcomes, margin, 0.95, "language", &|id| {
                languages.get(id).map(|l| l.tag().to_owned())
            }),
            lift_by_group(&plan, &outcomes, margin, 0.95, "country", &|id| {
                countries.get(id).cloned()
            }),
        ],
        beyond_repurchase,
    })
}

/// Days after the campaign at which retention is measured.
pub const RETENTION_DAYS: i64 = 90;

/// One outcome beyond repurchase, treated vs holdout.
#[derive(Debug, Clone, Serialize)]
pub struct OutcomeEffect {
    /// `positive_review`, `views`, `searches`, `carts` or `retained_90d`.
    pub metric: &'static str,
    /// What is measured per customer, in words.
    pub definition: &'static str,
    /// Treated mean, holdout mean, difference with its 95% interval; `None` when it cannot be
    /// measured (see `note`).
    pub effect: Option<Effect>,
    /// Why it is missing, when it is.
    pub note: Option<String>,
}

/// Feedback, activity and retention of a campaign's customers, treated vs holdout (95%
/// intervals): the share who wrote a positive review (4-5 stars) in the goal window, views,
/// searches and add-to-carts per customer in it, and the share still active (an order or an
/// event) [`RETENTION_DAYS`] days or more after the campaign started, measured once the data
/// reaches that day.
fn beyond_repurchase(
    session: &recur_analytics::Session,
    plan: &Plan,
    days: &[(String, i64, f64)],
    start_day: i64,
    end_day: i64,
) -> Result<Vec<OutcomeEffect>> {
    let day_expr = |col: &str| format!("CAST(floor(date_part('epoch', {col}) / 86400) AS BIGINT)");
    let int = |c: Option<&Cell>| match c {
        Some(Cell::Int(v)) => Some(*v),
        _ => None,
    };
    let text = |c: Option<&Cell>| c.map(ToString::to_string).unwrap_or_default();
    // (customer) → [positive reviews, views, searches, carts] in the window.
    let mut counts: HashMap<String, [f64; 4]> = HashMap::new();
    let mut last_active: HashMap<String, i64> = HashMap::new();
    let mut data_end = i64::MIN;
    for (c, d, _) in days {
        data_end = data_end.max(*d);
        let e = last_active.entry(c.clone()).or_insert(*d);
        *e = (*e).max(*d);
    }
    let reviews = session
        .query(&format!(
            "SELECT customer_id, rating, {} AS day FROM reviews WHERE customer_id IS NOT NULL",
            day_expr("reviewed_at")
        ))
        .map_err(crate::Error::from)?;
    for r in &reviews.rows {
        let (Some(day), Some(stars)) = (int(r.get(2)), int(r.get(1))) else {
            continue;
        };
        if (start_day..=end_day).contains(&day) && stars >= 4 {
            counts.entry(text(r.first())).or_default()[0] += 1.0;
        }
    }
    let events = session
        .query(&format!(
            "SELECT customer_id, event_type, {} AS day, COUNT(*) AS n FROM events \
             WHERE customer_id IS NOT NULL GROUP BY 1, 2, 3",
            day_expr("occurred_at")
        ))
        .map_err(crate::Error::from)?;
    for r in &events.rows {
        let Some(day) = int(r.get(2)) else {
            continue;
        };
        let id = text(r.first());
        data_end = data_end.max(day);
        let e = last_active.entry(id.clone()).or_insert(day);
        *e = (*e).max(day);
        if !(start_day..=end_day).contains(&day) {
            continue;
        }
        let k = match text(r.get(1)).as_str() {
            "view" => 1,
            "search" => 2,
            "add_to_cart" => 3,
            _ => continue,
        };
        counts.entry(id).or_default()[k] += int(r.get(3)).unwrap_or(0) as f64;
    }
    let retained_from = start_day + RETENTION_DAYS;
    let groups = |f: &dyn Fn(&str) -> f64| {
        let (mut t, mut h) = (Vec::new(), Vec::new());
        for c in &plan.customers {
            let v = f(c.customer_id.as_str());
            match c.assignment {
                Assignment::Holdout => h.push(v),
                Assignment::Treated { .. } => t.push(v),
                Assignment::Excluded { .. } => {}
            }
        }
        mean_difference(&t, &h, 0.95)
    };
    let too_small = || Some("fewer than two treated or held-out customers".to_owned());
    let mut out = Vec::new();
    for (k, metric, definition) in [
        (
            0,
            "positive_review",
            "share who wrote a 4-5 star review in the goal window",
        ),
        (1, "views", "product views per customer in the goal window"),
        (2, "searches", "searches per customer in the goal window"),
        (3, "carts", "add-to-carts per customer in the goal window"),
    ] {
        let effect = groups(&|id| {
            counts.get(id).map_or(0.0, |c| {
                if k == 0 {
                    f64::from(u8::from(c[0] > 0.0))
                } else {
                    c[k]
                }
            })
        });
        out.push(OutcomeEffect {
            metric,
            definition,
            note: effect.is_none().then(too_small).flatten(),
            effect,
        });
    }
    let definition = "share with an order or event 90 days or more after the campaign started";
    if data_end < retained_from {
        out.push(OutcomeEffect {
            metric: "retained_90d",
            definition,
            effect: None,
            note: Some(format!(
                "not measurable yet: the data ends {}, retention is measured from {}",
                if data_end == i64::MIN {
                    "before the campaign".to_owned()
                } else {
                    iso_day(data_end)
                },
                iso_day(retained_from)
            )),
        });
    } else {
        let effect = groups(&|id| {
            f64::from(u8::from(
                last_active.get(id).is_some_and(|d| *d >= retained_from),
            ))
        });
        out.push(OutcomeEffect {
            metric: "retained_90d",
            definition,
            note: effect.is_none().then(too_small).flatten(),
            effect,
        });
    }
    Ok(out)
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
    /// Treated vs holdout per language and per country: a campaign that helps one group and
    /// not another shows here.
    pub by_group: Vec<GroupLifts>,
    /// Beyond repurchase, treated vs holdout with 95% intervals: positive reviews written in
    /// the goal window, views, searches and add-to-carts per customer in it, and retention
    /// (still active 90 days after).
    pub beyond_repurchase: Vec<OutcomeEffect>,
}
