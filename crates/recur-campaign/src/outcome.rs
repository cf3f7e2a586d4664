//! Measured lift: treated vs holdout once outcomes are known.

use std::collections::{BTreeMap, HashMap};

use recur_core::{CustomerId, Interval, Segment};
use serde::Serialize;

use crate::plan::{Assignment, Plan, PlannedCustomer};
use crate::stats::{Effect, mean_difference};

/// What a customer did within the goal window after the send.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// Customer id.
    pub customer_id: CustomerId,
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

/// Outcomes of one plan's customers split into treated and held out, by a key per customer.
struct Split<'a> {
    groups: BTreeMap<String, TreatedAndHeld<'a>>,
    all: TreatedAndHeld<'a>,
}

/// Contacted and held-out customers with their outcomes (a missing outcome is "did not buy",
/// taken from `missing`), grouped by `key` (`None`: left out of the groups).
fn split<'a>(
    plan: &'a Plan,
    by_id: &HashMap<&str, &'a Outcome>,
    missing: &'a HashMap<&'a str, Outcome>,
    key: &dyn Fn(&PlannedCustomer) -> Option<String>,
) -> Split<'a> {
    let mut groups: BTreeMap<String, TreatedAndHeld<'a>> = BTreeMap::new();
    let mut all: TreatedAndHeld<'a> = Default::default();
    for c in plan
        .customers
        .iter()
        .filter(|c| !matches!(c.assignment, Assignment::Excluded { .. }))
    {
        let id = c.customer_id.as_str();
        let Some(o) = by_id.get(id).copied().or_else(|| missing.get(id)) else {
            continue;
        };
        let treated = matches!(c.assignment, Assignment::Treated { .. });
        for g in key(c)
            .map(|k| groups.entry(k).or_default())
            .into_iter()
            .chain([&mut all])
        {
            if treated { g.0.push(o) } else { g.1.push(o) }
        }
    }
    Split { groups, all }
}

/// Customers contacted or held out who have no outcome: they did not buy.
fn missing_outcomes<'a>(
    plan: &'a Plan,
    by_id: &HashMap<&str, &Outcome>,
) -> HashMap<&'a str, Outcome> {
    plan.customers
        .iter()
        .filter(|c| {
            !matches!(c.assignment, Assignment::Excluded { .. })
                && !by_id.contains_key(c.customer_id.as_str())
        })
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
        .collect()
}

/// Measures lift: each contacted customer against the randomised holdout, overall and per
/// segment. Customers contacted or held out without an outcome count as not buying.
pub fn measure_lift(plan: &Plan, outcomes: &[Outcome], margin: f64, confidence: f64) -> LiftReport {
    let by_id: HashMap<&str, &Outcome> = outcomes
        .iter()
        .map(|o| (o.customer_id.as_str(), o))
        .collect();
    let missing = missing_outcomes(plan, &by_id);
    let segment_of: HashMap<&str, Segment> = plan
        .customers
        .iter()
        .map(|c| (c.segment.as_str(), c.segment))
        .collect();
    // Segments in alphabetical order of their names, as reports list them.
    let split = split(plan, &by_id, &missing, &|c| {
        Some(c.segment.as_str().to_owned())
    });
    LiftReport {
        campaign: plan.campaign.clone(),
        margin,
        confidence,
        missing_outcomes: missing.len(),
        overall: lift(&split.all.0, &split.all.1, margin, confidence),
        by_segment: split
            .groups
            .iter()
            .filter_map(|(name, (t, h))| {
                let l = lift(t, h, margin, confidence)?;
                Some((*segment_of.get(name.as_str())?, l))
            })
            .collect(),
    }
}

/// Lift per group of one attribute (language, country...): whether a campaign that helps
/// overall helps every group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupLifts {
    /// The attribute.
    pub attribute: String,
    /// Groups with at least two treated and two held-out customers, by name.
    pub groups: Vec<(String, Lift)>,
    /// Groups too small to compare (fewer than two in an arm).
    pub too_small: Vec<String>,
}

/// [`measure_lift`]'s comparison per group of `attribute`, whose value for a customer id is
/// `value(id)` (`None`: counted as `unknown`).
pub fn lift_by_group(
    plan: &Plan,
    outcomes: &[Outcome],
    margin: f64,
    confidence: f64,
    attribute: &str,
    value: &dyn Fn(&str) -> Option<String>,
) -> GroupLifts {
    let by_id: HashMap<&str, &Outcome> = outcomes
        .iter()
        .map(|o| (o.customer_id.as_str(), o))
        .collect();
    let missing = missing_outcomes(plan, &by_id);
    let split = split(plan, &by_id, &missing, &|c| {
        Some(value(&c.customer_id).unwrap_or_else(|| "unknown".to_owned()))
    });
    let mut groups = Vec::new();
    let mut too_small = Vec::new();
    for (name, (t, h)) in split.groups {
        match lift(&t, &h, margin, confidence) {
            Some(l) => groups.push((name, l)),
            None => too_small.push(name),
        }
    }
    GroupLifts {
        attribute: attribute.to_owned(),
        groups,
        too_small,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{PlanSummary, PlannedCustomer};

    #[test]
    fn lift_by_hand() {
        let mk = |i: usize, seg: Segment, treated: bool| PlannedCustomer {
            customer_id: format!("c{i}").into(),
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
            guard_rails: Vec::new(),
        };
        // Treated: 3 of 4 buy for 100 with a 10 coupon; holdout: 1 of 4 buys for 100.
        // c3 has no outcome recorded: counts as no purchase.
        let mut outcomes: Vec<Outcome> = (0..3)
            .map(|i| Outcome {
                customer_id: format!("c{i}").into(),
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
                customer_id: format!("c{i}").into(),
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

    #[test]
    fn a_campaign_that_helps_one_group_only_shows_it() {
        // 80 customers: even ids in group "en", odd in "zh"; every 4th of each held out.
        // Treated English customers all buy, nobody else does.
        let customers: Vec<PlannedCustomer> = (0..80)
            .map(|i| PlannedCustomer {
                customer_id: format!("c{i}").into(),
                segment: Segment::AtRisk,
                assignment: if (i / 2) % 4 == 0 {
                    Assignment::Holdout
                } else {
                    Assignment::Treated {
                        offer: 0,
                        expected_profit: 0.0,
                        expected_cost: 0.0,
                    }
                },
            })
            .collect();
        let outcomes: Vec<Outcome> = customers
            .iter()
            .enumerate()
            .map(|(i, c)| Outcome {
                customer_id: c.customer_id.clone(),
                purchased: i.is_multiple_of(2) && c.assignment != Assignment::Holdout,
                revenue: 0.0,
                offer_cost: 0.0,
            })
            .collect();
        let plan = Plan {
            campaign: "t".into(),
            customers,
            summary: PlanSummary {
                candidates: 80,
                eligible: 80,
                holdout: 20,
                treated: 60,
                by_offer: vec![],
                excluded: vec![],
                expected_profit: 0.0,
                expected_cost: 0.0,
            },
            guard_rails: Vec::new(),
        };
        let language = |id: &str| {
            let i: usize = id[1..].parse().ok()?;
            (i < 78).then(|| if i.is_multiple_of(2) { "en" } else { "zh" }.to_owned())
        };
        let t = lift_by_group(&plan, &outcomes, 0.5, 0.95, "language", &language);
        assert_eq!(t.attribute, "language");
        let names: Vec<&str> = t.groups.iter().map(|(g, _)| g.as_str()).collect();
        assert_eq!(names, ["en", "zh"]);
        let en = &t.groups[0].1.repurchase_rate;
        let zh = &t.groups[1].1.repurchase_rate;
        assert!(en.effect > 0.9 && en.ci_low > 0.0, "{en:?}");
        assert!(zh.effect.abs() < 1e-12, "{zh:?}");
        assert_eq!(t.too_small, ["unknown"], "c78 and c79 have no language");
        // The same customers overall: a lift, which the groups split.
        let overall = measure_lift(&plan, &outcomes, 0.5, 0.95).overall.unwrap();
        assert!(overall.repurchase_rate.effect > 0.3);
    }
}
