//! Measured lift: treated vs holdout once outcomes are known.

use std::collections::{BTreeMap, HashMap};

use recur_core::{Interval, Segment};
use serde::Serialize;

use crate::plan::{Assignment, Plan};
use crate::stats::{Effect, mean_difference};

/// What a customer did within the goal window after the send.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// Customer id.
    pub customer_id: String,
    /// Purchased within the goal window.
    pub purchased: bool,
    /// Revenue within the goal window.
    pub revenue: f64,
    /// Cost of the offer they redeemed (0 if none).
    pub offer_cost: f64,
}

/// Treated vs holdout for one group of customers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lift {
    /// Repurchase rate (share who bought within the goal window).
    pub repurchase_rate: Effect,
    /// Revenue per customer.
    pub revenue_per_customer: Effect,
    /// Profit per customer: margin × revenue - offer cost.
    pub profit_per_customer: Effect,
    /// Incremental purchasers: the repurchase effect times the treated customers (with CI).
    pub incremental_purchasers: Interval,
    /// Incremental profit after offer cost: the profit effect times the treated (with CI).
    pub incremental_profit: Interval,
    /// Total offer cost among the treated.
    pub offer_cost: f64,
}

/// Lift of a campaign, overall and per segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiftReport {
    /// Campaign id.
    pub campaign: String,
    /// Margin used for profit.
    pub margin: f64,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// Treated customers without an outcome (counted as no purchase, no revenue).
    pub missing_outcomes: usize,
    /// All customers.
    pub overall: Option<Lift>,
    /// Per segment (segments with fewer than two customers in a group are left out).
    pub by_segment: Vec<(Segment, Lift)>,
}

fn lift(treated: &[&Outcome], holdout: &[&Outcome], margin: f64, confidence: f64) -> Option<Lift> {
    let col = |v: &[&Outcome], f: &dyn Fn(&Outcome) -> f64| -> Vec<f64> {
        v.iter().map(|o| f(o)).collect()
    };
    let bought = |o: &Outcome| f64::from(u8::from(o.purchased));
    let revenue = |o: &Outcome| o.revenue;
    let profit = |o: &Outcome| margin * o.revenue - o.offer_cost;
    let rate = mean_difference(&col(treated, &bought), &col(holdout, &bought), confidence)?;
    let rev = mean_difference(&col(treated, &revenue), &col(holdout, &revenue), confidence)?;
    let prof = mean_difference(&col(treated, &profit), &col(holdout, &profit), confidence)?;
    let n = treated.len() as f64;
    Some(Lift {
        incremental_purchasers: rate.interval().scaled(n),
        incremental_profit: prof.interval().scaled(n),
        offer_cost: treated.iter().map(|o| o.offer_cost).sum(),
        repurchase_rate: rate,
        revenue_per_customer: rev,
        profit_per_customer: prof,
    })
}

/// The outcomes of a segment's treated and held-out customers.
type TreatedAndHeld<'a> = (Vec<&'a Outcome>, Vec<&'a Outcome>);

/// Compares the treated with the randomised holdout of `plan`, overall and per segment.
/// Treated or held-out customers without an outcome count as not having purchased.
pub fn measure_lift(plan: &Plan, outcomes: &[Outcome], margin: f64, confidence: f64) -> LiftReport {
    let by_id: HashMap<&str, &Outcome> = outcomes
        .iter()
        .map(|o| (o.customer_id.as_str(), o))
        .collect();
    let contacted_or_held = |a: &Assignment| !matches!(a, Assignment::Excluded { .. });
    // Customers without an outcome did not buy.
    let missing: HashMap<&str, Outcome> = plan
        .customers
        .iter()
        .filter(|c| contacted_or_held(&c.assignment) && !by_id.contains_key(c.customer_id.as_str()))
        .map(|c| {
            (
                c.customer_id.as_str(),
                Outcome {
                    customer_id: c.customer_id.clone(),
                    purchased: false,
                    revenue: 0.0,
                    offer_cost: 0.0,
                },
            )
        })
        .collect();
    // Segments in alphabetical order of their names, as reports list them.
    let mut groups: BTreeMap<(&str, Segment), TreatedAndHeld<'_>> = BTreeMap::new();
    let (mut all_t, mut all_h) = (Vec::new(), Vec::new());
    for c in plan
        .customers
        .iter()
        .filter(|c| contacted_or_held(&c.assignment))
    {
        let id = c.customer_id.as_str();
        let Some(o) = by_id.get(id).copied().or_else(|| missing.get(id)) else {
            continue;
        };
        let g = groups.entry((c.segment.as_str(), c.segment)).or_default();
        if matches!(c.assignment, Assignment::Treated { .. }) {
            g.0.push(o);
            all_t.push(o);
        } else {
            g.1.push(o);
            all_h.push(o);
        }
    }
    let missing_count = missing.len();
    LiftReport {
        campaign: plan.campaign.clone(),
        margin,
        confidence,
        missing_outcomes: missing_count,
        overall: lift(&all_t, &all_h, margin, confidence),
        by_segment: groups
            .into_iter()
            .filter_map(|((_, s), (t, h))| lift(&t, &h, margin, confidence).map(|l| (s, l)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{PlanSummary, PlannedCustomer};

    #[test]
    fn lift_by_hand() {
        let mk = |i: usize, seg: Segment, treated: bool| PlannedCustomer {
            customer_id: format!("c{i}"),
            segment: seg,
            assignment: if treated {
                Assignment::Treated {
                    offer: 0,
                    expected_profit: 0.0,
                    expected_cost: 0.0,
                }
            } else {
                Assignment::Holdout
            },
        };
        let customers: Vec<PlannedCustomer> =
            (0..8).map(|i| mk(i, Segment::Loyal, i < 4)).collect();
        let plan = Plan {
            campaign: "t".into(),
            customers,
            summary: PlanSummary {
                candidates: 8,
                eligible: 8,
                holdout: 4,
                treated: 4,
                by_offer: vec![],
                excluded: vec![],
                expected_profit: 0.0,
                expected_cost: 0.0,
            },
        };
        // Treated: 3 of 4 buy for 100 with a 10 coupon; holdout: 1 of 4 buys for 100.
        // c3 has no outcome recorded: counts as no purchase.
        let mut outcomes: Vec<Outcome> = (0..3)
            .map(|i| Outcome {
                customer_id: format!("c{i}"),
                purchased: true,
                revenue: 100.0,
                offer_cost: 10.0,
            })
            .collect();
        outcomes.push(Outcome {
            customer_id: "c4".into(),
            purchased: true,
            revenue: 100.0,
            offer_cost: 0.0,
        });
        for i in 5..8 {
            outcomes.push(Outcome {
                customer_id: format!("c{i}"),
                purchased: false,
                revenue: 0.0,
                offer_cost: 0.0,
            });
        }
        let r = measure_lift(&plan, &outcomes, 0.5, 0.95);
        assert_eq!(r.missing_outcomes, 1);
        let o = r.overall.unwrap();
        assert_eq!(o.repurchase_rate.effect, 0.5);
        assert_eq!(o.incremental_purchasers.estimate, 2.0);
        // Profit per customer: treated (40, 40, 40, 0) mean 30; holdout (50, 0, 0, 0) mean 12.5.
        assert!((o.profit_per_customer.effect - 17.5).abs() < 1e-12);
        assert!((o.incremental_profit.estimate - 70.0).abs() < 1e-12);
        assert_eq!(o.offer_cost, 30.0);
        assert_eq!(r.by_segment.len(), 1);
    }
}
