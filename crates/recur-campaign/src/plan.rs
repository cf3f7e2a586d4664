//! Planning: audience, holdout, and the offer per customer that maximises expected
//! incremental profit within budget.

use recur_core::{CustomerId, Segment};
use serde::Serialize;

use crate::guard::{GuardRailChange, common_offer, enforce_min_ratio};
use crate::holdout::{assign_holdout, holdout_key};
use crate::message::Language;
use crate::spec::{Audience, CampaignSpec, OfferSpec};

/// What the planner knows about one customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// Customer id.
    pub customer_id: CustomerId,
    /// RFM segment.
    pub segment: Segment,
    /// P(alive).
    pub p_alive: f64,
    /// 12-month CLV.
    pub clv: f64,
    /// Days since the last order.
    pub days_since_last_order: u32,
    /// Favourite category.
    pub favourite_category: Option<String>,
    /// Message language.
    pub language: Language,
    /// Country, when known (fairness reports and guard rails group by it).
    pub country: Option<String>,
    /// The shop's own attributes of the customer (name → value), from the spec's
    /// `fairness.groups_file`.
    pub groups: std::collections::BTreeMap<String, String>,
    /// Whether the customer consented to marketing messages (and has not unsubscribed).
    pub consent: bool,
    /// Days since the last campaign message, if any.
    pub days_since_last_message: Option<u32>,
    /// Expected value of the customer's next order.
    pub order_value: f64,
}

/// A model's view of one customer's response to one offer within the goal window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Response {
    /// P(purchase) without any message.
    pub p_control: f64,
    /// P(purchase) with the message and offer.
    pub p_treated: f64,
}

/// Why a customer is not contacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// Outside the audience filters.
    NotInAudience,
    /// No marketing consent, or unsubscribed.
    NoConsent,
    /// Messaged too recently (frequency cap).
    FrequencyCap,
    /// No offer is expected to pay for itself: sure things (would buy anyway) and sleeping
    /// dogs (would buy less) are left alone.
    NoProfitableOffer,
    /// The budget ran out before this customer.
    Budget,
}

/// A customer's place in the campaign.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "group", rename_all = "snake_case")]
pub enum Assignment {
    /// Receives `offer`.
    Treated {
        /// Index into the spec's offers.
        offer: usize,
        /// Expected incremental profit.
        expected_profit: f64,
        /// Expected offer cost.
        expected_cost: f64,
    },
    /// Randomly held out to measure lift.
    Holdout,
    /// Not contacted.
    Excluded {
        /// Why.
        reason: Exclusion,
    },
}

/// One planned customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedCustomer {
    /// Customer id.
    pub customer_id: CustomerId,
    /// Segment (the holdout's stratum).
    pub segment: Segment,
    /// Assignment.
    pub assignment: Assignment,
}

/// Counts of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanSummary {
    /// Customers considered.
    pub candidates: usize,
    /// In the audience (after filters, consent and the frequency cap).
    pub eligible: usize,
    /// Held out.
    pub holdout: usize,
    /// To be contacted.
    pub treated: usize,
    /// Per offer name: customers.
    pub by_offer: Vec<(String, usize)>,
    /// Per exclusion reason: customers.
    pub excluded: Vec<(Exclusion, usize)>,
    /// Sum of expected incremental profit of the treated.
    pub expected_profit: f64,
    /// Sum of expected offer cost of the treated.
    pub expected_cost: f64,
}

/// A campaign plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// Campaign id.
    pub campaign: String,
    /// Every candidate, in input order.
    pub customers: Vec<PlannedCustomer>,
    /// Counts.
    pub summary: PlanSummary,
    /// What the spec's fairness guard rails changed (empty: none set, or nothing to change).
    pub guard_rails: Vec<GuardRailChange>,
}

fn in_audience(a: &Audience, c: &Candidate) -> bool {
    let lang = match c.language {
        Language::En => "en",
        Language::Zh => "zh",
    };
    (a.segments.is_empty() || a.segments.contains(&c.segment))
        && a.min_p_alive.is_none_or(|v| c.p_alive >= v)
        && a.max_p_alive.is_none_or(|v| c.p_alive <= v)
        && a.min_clv.is_none_or(|v| c.clv >= v)
        && a.min_days_since_last_order
            .is_none_or(|v| c.days_since_last_order >= v)
        && a.max_days_since_last_order
            .is_none_or(|v| c.days_since_last_order <= v)
        && (a.categories.is_empty()
            || c.favourite_category
                .as_ref()
                .is_some_and(|f| a.categories.contains(f)))
        && (a.locales.is_empty() || a.locales.iter().any(|l| l == lang))
        && a.sql_ids
            .as_ref()
            .is_none_or(|ids| ids.contains(c.customer_id.as_str()))
        && (!a.negative_reviewers
            || a.negative_reviewer_ids
                .as_ref()
                .is_some_and(|ids| ids.contains(c.customer_id.as_str())))
}

/// Expected incremental profit and cost of giving `offer` to `c` at `margin` (share of the
/// order value that is profit before the offer): the uplift in purchase probability times
/// the margin, minus the offer's cost on every redemption (including by customers who
/// would have bought anyway).
pub fn offer_value(c: &Candidate, offer: &OfferSpec, r: Response, margin: f64) -> (f64, f64) {
    let cost = r.p_treated * offer.redemption_cost(c.order_value);
    let gain = (r.p_treated - r.p_control) * c.order_value * margin;
    (gain - cost, cost)
}

/// Audience filters, consent, frequency cap and the stratified holdout: the assignment so far
/// (exclusions and holdout), the candidates left to treat, and how many were eligible.
fn screen(
    spec: &CampaignSpec,
    candidates: &[Candidate],
) -> (Vec<Option<Assignment>>, Vec<usize>, usize) {
    let mut assignment: Vec<Option<Assignment>> = vec![None; candidates.len()];
    let mut eligible = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        let reason = if !in_audience(&spec.audience, c) {
            Some(Exclusion::NotInAudience)
        } else if !c.consent {
            Some(Exclusion::NoConsent)
        } else if c
            .days_since_last_message
            .is_some_and(|d| d < spec.frequency_cap_days)
        {
            Some(Exclusion::FrequencyCap)
        } else {
            None
        };
        match reason {
            Some(reason) => assignment[i] = Some(Assignment::Excluded { reason }),
            None => eligible.push(i),
        }
    }
    let audience: Vec<(&str, &str)> = eligible
        .iter()
        .map(|&i| {
            (
                candidates[i].customer_id.as_str(),
                candidates[i].segment.as_str(),
            )
        })
        .collect();
    let held = assign_holdout(&spec.id, &audience, spec.holdout_share);
    let mut to_treat = Vec::new();
    for (k, &i) in eligible.iter().enumerate() {
        if held[k] {
            assignment[i] = Some(Assignment::Holdout);
        } else {
            to_treat.push(i);
        }
    }
    (assignment, to_treat, eligible.len())
}

/// Builds the plan and its counts from the final assignment.
fn finish(
    spec: &CampaignSpec,
    candidates: &[Candidate],
    assignment: Vec<Option<Assignment>>,
    eligible: usize,
) -> Plan {
    let customers: Vec<PlannedCustomer> = candidates
        .iter()
        .zip(assignment)
        .map(|(c, a)| PlannedCustomer {
            customer_id: c.customer_id.clone(),
            segment: c.segment,
            assignment: a.unwrap_or(Assignment::Excluded {
                reason: Exclusion::NotInAudience,
            }),
        })
        .collect();
    let mut by_offer: Vec<(String, usize)> =
        spec.offers.iter().map(|o| (o.name.clone(), 0)).collect();
    let mut excluded: std::collections::BTreeMap<Exclusion, usize> = Default::default();
    let (mut holdout, mut treated, mut profit, mut cost) = (0, 0, 0.0, 0.0);
    for c in &customers {
        match &c.assignment {
            Assignment::Treated {
                offer,
                expected_profit,
                expected_cost,
            } => {
                treated += 1;
                by_offer[*offer].1 += 1;
                profit += expected_profit;
                cost += expected_cost;
            }
            Assignment::Holdout => holdout += 1,
            Assignment::Excluded { reason } => *excluded.entry(*reason).or_default() += 1,
        }
    }
    Plan {
        campaign: spec.id.clone(),
        summary: PlanSummary {
            candidates: candidates.len(),
            eligible,
            holdout,
            treated,
            by_offer,
            excluded: excluded.into_iter().collect(),
            expected_profit: profit,
            expected_cost: cost,
        },
        customers,
        guard_rails: Vec::new(),
    }
}

/// Plans a campaign: filters the audience (segments, P(alive), CLV, recency, category,
/// locale), drops customers without consent or within the frequency cap, holds out
/// `holdout_share` of each segment (stable per campaign and customer), and gives each remaining
/// customer the offer with the highest expected incremental profit under `response`. Customers
/// whose best offer does not pay are not contacted; with a budget, the most profitable go
/// first until the expected cost would exceed it.
pub fn plan(
    spec: &CampaignSpec,
    candidates: &[Candidate],
    margin: f64,
    response: &dyn Fn(&Candidate, &OfferSpec) -> Response,
) -> Plan {
    let (mut assignment, to_treat, eligible) = screen(spec, candidates);
    let value = |i: usize, o: usize| {
        let (c, offer) = (&candidates[i], &spec.offers[o]);
        offer_value(c, offer, response(c, offer), margin)
    };
    // `same_offer`: one offer for everyone decided on, profitable for them or not.
    let common = if spec.fairness.same_offer {
        common_offer(spec, &to_treat, &value)
    } else {
        None
    };
    let mut offers: Vec<(usize, usize, f64, f64)> = Vec::new(); // (customer, offer, profit, cost)
    for &i in &to_treat {
        let best = match common {
            Some(o) => {
                let (profit, cost) = value(i, o);
                Some((o, profit.max(f64::MIN_POSITIVE), cost, profit))
            }
            None => (0..spec.offers.len())
                .map(|o| {
                    let (profit, cost) = value(i, o);
                    (o, profit, cost, profit)
                })
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0))),
        };
        match best {
            Some((o, rank, cost, profit)) if rank > 0.0 => offers.push((i, o, profit, cost)),
            _ => {
                assignment[i] = Some(Assignment::Excluded {
                    reason: Exclusion::NoProfitableOffer,
                });
            }
        }
    }
    // Most profitable first; ties by input order.
    offers.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
    let mut spent = 0.0;
    for (i, o, profit, cost) in offers {
        if spec.budget.is_some_and(|b| spent + cost > b) {
            assignment[i] = Some(Assignment::Excluded {
                reason: Exclusion::Budget,
            });
            continue;
        }
        spent += cost;
        assignment[i] = Some(Assignment::Treated {
            offer: o,
            expected_profit: profit,
            expected_cost: cost,
        });
    }
    let changes = match spec.fairness.min_ratio {
        Some(r) => enforce_min_ratio(
            spec,
            candidates,
            &mut assignment,
            &to_treat,
            r,
            common,
            &value,
        ),
        None => Vec::new(),
    };
    let mut plan = finish(spec, candidates, assignment, eligible);
    plan.guard_rails = changes;
    plan
}

/// Plans an exploration campaign, for when no past randomised campaign can tell which offer
/// works for whom: the same audience, consent, frequency-cap and holdout rules as [`plan`],
/// and each contacted customer gets one of the offers at random (stable per campaign and
/// customer; no expected profit is claimed). Its outcomes train the uplift model that
/// [`plan`] then uses.
pub fn plan_exploration(spec: &CampaignSpec, candidates: &[Candidate]) -> Plan {
    let (mut assignment, to_treat, eligible) = screen(spec, candidates);
    let n = spec.offers.len().max(1) as u64;
    let key = format!("{}/offer", spec.id);
    for i in to_treat {
        let offer = (holdout_key(&key, &candidates[i].customer_id) % n) as usize;
        assignment[i] = Some(Assignment::Treated {
            offer,
            expected_profit: 0.0,
            expected_cost: 0.0,
        });
    }
    finish(spec, candidates, assignment, eligible)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn spec(budget: Option<f64>) -> CampaignSpec {
        let mut s = CampaignSpec::parse(
            r#"
id = "t"
goal_days = 30
channel = "file"
holdout_share = 0.2
[audience]
segments = ["At Risk"]
[[offers]]
name = "none"
kind = "none"
[[offers]]
name = "20% off"
kind = "percent_off"
percent = 20
"#,
            Path::new("t.toml"),
        )
        .unwrap();
        s.budget = budget;
        s
    }

    fn cand(i: usize, segment: Segment) -> Candidate {
        Candidate {
            customer_id: format!("c{i}").into(),
            segment,
            p_alive: 0.5,
            clv: 100.0,
            days_since_last_order: 60,
            favourite_category: None,
            language: Language::En,
            country: None,
            groups: Default::default(),
            consent: !i.is_multiple_of(10),
            days_since_last_message: if i % 10 == 1 { Some(3) } else { None },
            order_value: 50.0,
        }
    }

    /// Even customers respond to the coupon (+30 points), odd ones buy anyway (sure things).
    fn response(c: &Candidate, o: &OfferSpec) -> Response {
        let i: usize = c.customer_id[1..].parse().unwrap();
        let coupon = o.percent.is_some();
        match (i.is_multiple_of(2), coupon) {
            (true, true) => Response {
                p_control: 0.1,
                p_treated: 0.4,
            },
            (true, false) => Response {
                p_control: 0.1,
                p_treated: 0.12,
            },
            (false, _) => Response {
                p_control: 0.6,
                p_treated: 0.6,
            },
        }
    }

    #[test]
    fn negative_reviewers_audience_keeps_exactly_the_filled_in_ids() {
        let cands: Vec<Candidate> = (0..40).map(|i| cand(i, Segment::AtRisk)).collect();
        let mut s = spec(None);
        s.audience.negative_reviewers = true;
        // Not filled in: nobody.
        assert!(cands.iter().all(|c| !in_audience(&s.audience, c)));
        s.audience.negative_reviewer_ids = Some(["c3", "c7", "c8"].map(String::from).into());
        let kept: Vec<&str> = cands
            .iter()
            .filter(|c| in_audience(&s.audience, c))
            .map(|c| c.customer_id.as_str())
            .collect();
        assert_eq!(kept, ["c3", "c7", "c8"]);
        // Off: the ids do not matter.
        s.audience.negative_reviewers = false;
        assert!(cands.iter().all(|c| in_audience(&s.audience, c)));
    }

    #[test]
    fn targets_persuadables_with_the_paying_offer() {
        let cands: Vec<Candidate> = (0..200)
            .map(|i| {
                cand(
                    i,
                    if i < 150 {
                        Segment::AtRisk
                    } else {
                        Segment::Loyal
                    },
                )
            })
            .collect();
        let p = plan(&spec(None), &cands, 0.5, &response);
        let s = &p.summary;
        // 150 at risk; 15 without consent (i % 10 == 0), 15 within the cap (i % 10 == 1).
        assert_eq!(s.eligible, 120);
        assert_eq!(s.holdout, 24);
        for c in &p.customers {
            let i: usize = c.customer_id[1..].parse().unwrap();
            match &c.assignment {
                // Coupon: (0.4 - 0.1) x 50 x 0.5 - 0.4 x 10 = 3.5 > none: 0.02 x 25 = 0.5.
                Assignment::Treated {
                    offer,
                    expected_profit,
                    ..
                } => {
                    assert_eq!((i % 2, *offer), (0, 1));
                    assert!((expected_profit - 3.5).abs() < 1e-12);
                }
                Assignment::Excluded {
                    reason: Exclusion::NoProfitableOffer,
                } => {
                    assert_eq!(i % 2, 1, "sure things are not contacted");
                }
                _ => {}
            }
        }
        assert_eq!(
            s.treated + s.holdout + s.excluded.iter().map(|e| e.1).sum::<usize>(),
            200
        );
        // A budget of 40 buys ten coupons (expected cost 4 each).
        let p = plan(&spec(Some(40.0)), &cands, 0.5, &response);
        assert_eq!(p.summary.treated, 10);
        assert!(p.summary.expected_cost <= 40.0);
        assert!(p.summary.excluded.iter().any(|e| e.0 == Exclusion::Budget));
        // Exploration: same holdout, offers spread over the treated.
        let x = plan_exploration(&spec(None), &cands);
        assert_eq!((x.summary.eligible, x.summary.holdout), (120, 24));
        assert_eq!(x.summary.treated, 96);
        assert!(
            x.summary.by_offer.iter().all(|(_, n)| *n > 30),
            "{:?}",
            x.summary.by_offer
        );
        let held = |p: &Plan| -> Vec<bool> {
            p.customers
                .iter()
                .map(|c| c.assignment == Assignment::Holdout)
                .collect()
        };
        assert_eq!(held(&x), held(&plan(&spec(None), &cands, 0.5, &response)));
    }
}
