//! Measuring a recorded campaign's lift on the workspace's orders.

use std::collections::HashMap;

use recur_campaign::{
    Assignment, Group, GroupLifts, Language, LiftReport, Outcome, Plan, PlanSummary, lift_by_group,
    measure_lift,
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
    /// Treated vs holdout per language and per country: a campaign that helps one group and
    /// not another shows here.
    pub by_group: Vec<GroupLifts>,
}
