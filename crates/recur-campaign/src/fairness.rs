//! Fairness of a plan: how offers fall across groups of customers (segment, language, country,
//! any attribute the caller supplies). Each group's rate of valuable offers (an incentive:
//! a discount or free shipping) beside the overall rate, flagged by the four-fifths rule when
//! the group is large enough to read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::plan::{Assignment, Exclusion, Plan};
use crate::spec::{CampaignSpec, OfferKind};

/// A group whose offer rate is below this share of the overall rate is flagged (the
/// four-fifths rule of adverse-impact analysis).
pub const FOUR_FIFTHS: f64 = 0.8;

/// Groups with fewer customers than this are reported but never flagged: their rates are too
/// noisy to read.
pub const MIN_GROUP_SIZE: usize = 30;

/// One group of one attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessGroup {
    /// The group's value (a segment, a language...).
    pub group: String,
    /// Customers of the group the offer decision applied to (in the audience, with consent,
    /// not capped, not held out).
    pub size: usize,
    /// Of those, customers contacted (any offer, a plain message included).
    pub offered: usize,
    /// `offered / size`.
    pub offer_rate: f64,
    /// Of those, customers given a valuable offer (a discount or free shipping).
    pub valuable: usize,
    /// `valuable / size`.
    pub valuable_rate: f64,
    /// `valuable_rate` divided by the overall valuable rate; when the campaign has no
    /// valuable offer, `offer_rate` divided by the overall offer rate (absent when the overall
    /// rate is 0).
    pub ratio_to_overall: Option<f64>,
    /// Below [`FOUR_FIFTHS`] of the overall rate with at least [`MIN_GROUP_SIZE`] customers.
    pub flagged: bool,
    /// Fewer than [`MIN_GROUP_SIZE`] customers: shown, never flagged.
    pub small: bool,
}

/// The offer rates of one attribute's groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessTable {
    /// The attribute (`segment`, `language`...).
    pub attribute: String,
    /// Share of all decided customers contacted.
    pub overall_offer_rate: f64,
    /// Share of all decided customers given a valuable offer.
    pub overall_valuable_rate: f64,
    /// Groups, largest first.
    pub groups: Vec<FairnessGroup>,
}

impl FairnessTable {
    /// Whether any group is flagged.
    pub fn any_flagged(&self) -> bool {
        self.groups.iter().any(|g| g.flagged)
    }
}

/// Offer rates by group for `attribute`, whose value for the plan's `i`-th customer is
/// `value(i)` (`None`: the customer is counted as `unknown`); `spec` tells which of the
/// plan's offers are valuable.
///
/// Only customers the offer decision applied to count: the audience filters are the
/// campaign's purpose, consent and frequency caps are the customer's and the shop's rules, and
/// the holdout is random; what remains is whether the targeting gave an offer (treated) or not
/// (no profitable offer, budget).
pub fn offer_fairness(
    plan: &Plan,
    spec: &CampaignSpec,
    attribute: &str,
    value: impl Fn(usize) -> Option<String>,
) -> FairnessTable {
    let is_valuable = |offer: usize| {
        spec.offers
            .get(offer)
            .is_some_and(|o| o.kind != OfferKind::None)
    };
    let any_valuable = spec.offers.iter().any(|o| o.kind != OfferKind::None);
    // Per group: (decided, contacted, valuable).
    let mut by_group: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut all = (0usize, 0usize, 0usize);
    for (i, c) in plan.customers.iter().enumerate() {
        let (got, valuable) = match c.assignment {
            Assignment::Treated { offer, .. } => (true, is_valuable(offer)),
            Assignment::Excluded {
                reason: Exclusion::NoProfitableOffer | Exclusion::Budget,
            } => (false, false),
            _ => continue,
        };
        let entry = by_group
            .entry(value(i).unwrap_or_else(|| "unknown".to_owned()))
            .or_default();
        for t in [entry, &mut all] {
            t.0 += 1;
            t.1 += usize::from(got);
            t.2 += usize::from(valuable);
        }
    }
    let rate = |o: usize, n: usize| if n == 0 { 0.0 } else { o as f64 / n as f64 };
    let overall = rate(all.1, all.0);
    let overall_valuable = rate(all.2, all.0);
    let mut groups: Vec<FairnessGroup> = by_group
        .into_iter()
        .map(|(group, (n, o, v))| {
            let offer_rate = rate(o, n);
            let valuable_rate = rate(v, n);
            let (mine, base) = if any_valuable {
                (valuable_rate, overall_valuable)
            } else {
                (offer_rate, overall)
            };
            let ratio = (base > 0.0).then(|| mine / base);
            let small = n < MIN_GROUP_SIZE;
            FairnessGroup {
                group,
                size: n,
                offered: o,
                offer_rate,
                valuable: v,
                valuable_rate,
                ratio_to_overall: ratio,
                flagged: !small && ratio.is_some_and(|r| r < FOUR_FIFTHS),
                small,
            }
        })
        .collect();
    groups.sort_by(|a, b| b.size.cmp(&a.size).then(a.group.cmp(&b.group)));
    FairnessTable {
        attribute: attribute.to_owned(),
        overall_offer_rate: overall,
        overall_valuable_rate: overall_valuable,
        groups,
    }
}

#[cfg(test)]
mod tests {
    use recur_core::Segment;

    use super::*;
    use crate::plan::{PlanSummary, PlannedCustomer};

    /// Offer 0 a plain message, offer 1 ten percent off.
    fn spec() -> CampaignSpec {
        CampaignSpec::parse(
            "id = \"c\"\ngoal_days = 30\nchannel = \"email\"\nholdout_share = 0.2\n\
             [[offers]]\nname = \"message\"\nkind = \"none\"\n\
             [[offers]]\nname = \"10% off\"\nkind = \"percent_off\"\npercent = 10\ncode_prefix = \"TEN\"\n",
            std::path::Path::new("spec.toml"),
        )
        .unwrap()
    }

    fn plan(assignments: Vec<Assignment>) -> Plan {
        Plan {
            campaign: "c".into(),
            customers: assignments
                .into_iter()
                .enumerate()
                .map(|(i, assignment)| PlannedCustomer {
                    customer_id: format!("c{i}").into(),
                    segment: Segment::AtRisk,
                    assignment,
                })
                .collect(),
            summary: PlanSummary {
                candidates: 0,
                eligible: 0,
                holdout: 0,
                treated: 0,
                by_offer: Vec::new(),
                excluded: Vec::new(),
                expected_profit: 0.0,
                expected_cost: 0.0,
            },
            guard_rails: Vec::new(),
        }
    }

    fn message() -> Assignment {
        Assignment::Treated {
            offer: 0,
            expected_profit: 1.0,
            expected_cost: 0.0,
        }
    }

    fn treated() -> Assignment {
        Assignment::Treated {
            offer: 1,
            expected_profit: 1.0,
            expected_cost: 0.5,
        }
    }

    fn passed() -> Assignment {
        Assignment::Excluded {
            reason: Exclusion::NoProfitableOffer,
        }
    }

    #[test]
    fn unequal_offers_are_flagged_and_equal_ones_are_not() {
        // Group a: 40 customers, 36 offered; group b: 40 customers, 12 offered.
        let mut a = Vec::new();
        for i in 0..80 {
            let offered = if i < 40 { i < 36 } else { i < 52 };
            a.push(if offered { treated() } else { passed() });
        }
        let p = plan(a);
        let t = offer_fairness(&p, &spec(), "language", |i| {
            Some(if i < 40 { "en" } else { "zh" }.to_owned())
        });
        assert!((t.overall_offer_rate - 48.0 / 80.0).abs() < 1e-12);
        let zh = t.groups.iter().find(|g| g.group == "zh").unwrap();
        assert_eq!((zh.size, zh.offered), (40, 12));
        assert!(zh.flagged && (zh.ratio_to_overall.unwrap() - 0.5).abs() < 1e-12);
        assert!(!t.groups.iter().find(|g| g.group == "en").unwrap().flagged);
        // The same rate in both groups: nothing flagged.
        let even = plan(
            (0..80)
                .map(|i| if i % 2 == 0 { treated() } else { passed() })
                .collect(),
        );
        let t = offer_fairness(&even, &spec(), "language", |i| {
            Some(if i < 40 { "en" } else { "zh" }.to_owned())
        });
        assert!(!t.any_flagged(), "{t:?}");
    }

    #[test]
    fn small_groups_are_shown_but_not_flagged_and_others_do_not_count() {
        let mut a: Vec<Assignment> = (0..60).map(|_| treated()).collect();
        a.extend((0..5).map(|_| passed()));
        a.push(Assignment::Holdout);
        a.push(Assignment::Excluded {
            reason: Exclusion::NoConsent,
        });
        let p = plan(a);
        let t = offer_fairness(&p, &spec(), "segment", |i| {
            (i >= 60).then(|| "rare".to_owned())
        });
        let rare = t.groups.iter().find(|g| g.group == "rare").unwrap();
        assert_eq!(
            (rare.size, rare.offered),
            (5, 0),
            "holdout and no consent not counted"
        );
        assert!(rare.small && !rare.flagged);
        assert_eq!(t.groups[0].group, "unknown");
        assert_eq!(t.groups[0].size, 60);
    }

    #[test]
    fn nobody_offered_has_no_ratio() {
        let p = plan(vec![passed(); 40]);
        let t = offer_fairness(&p, &spec(), "segment", |_| Some("x".into()));
        assert_eq!(t.groups[0].ratio_to_overall, None);
        assert!(!t.any_flagged());
    }

    #[test]
    fn a_group_given_only_plain_messages_is_flagged() {
        // Both groups contacted in full; only group a gets the discount.
        let a: Vec<Assignment> = (0..80)
            .map(|i| if i < 40 { treated() } else { message() })
            .collect();
        let p = plan(a);
        let t = offer_fairness(&p, &spec(), "country", |i| {
            Some(if i < 40 { "GB" } else { "DE" }.to_owned())
        });
        let de = t.groups.iter().find(|g| g.group == "DE").unwrap();
        assert_eq!((de.offered, de.valuable), (40, 0));
        assert!((de.offer_rate - 1.0).abs() < 1e-12);
        assert!(de.flagged, "{t:?}");
        assert!((t.overall_valuable_rate - 0.5).abs() < 1e-12);
    }
}
