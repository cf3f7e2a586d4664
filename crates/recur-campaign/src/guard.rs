//! Guard rails of a plan (`[fairness]` in the spec): one offer for everyone the targeting
//! decides on, and a minimum share of valuable offers for every group large enough to read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::fairness::MIN_GROUP_SIZE;
use crate::plan::{Assignment, Candidate};
use crate::spec::{CampaignSpec, OfferKind};

/// What a guard rail changed for one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardRailChange {
    /// The attribute (`segment`, `language`, `country`).
    pub attribute: String,
    /// The group.
    pub group: String,
    /// Customers moved up to a valuable offer.
    pub upgraded: usize,
    /// Expected offer cost those moves add.
    pub extra_cost: f64,
    /// Expected incremental profit those moves change (negative: the rule's price).
    pub profit_change: f64,
}

/// The value of `c` for `attribute`: a built-in one (`segment`, `language`, `country`) or one
/// of the shop's own (`None`: unknown).
pub fn attribute_value(c: &Candidate, attribute: &str) -> Option<String> {
    match attribute {
        "segment" => Some(c.segment.as_str().to_owned()),
        "language" => Some(c.language.tag().to_owned()),
        "country" => c.country.clone(),
        other => c.groups.get(other).cloned(),
    }
}

/// The shop's own attribute names across `candidates`, sorted.
pub fn shop_attributes(candidates: &[Candidate]) -> Vec<String> {
    let names: std::collections::BTreeSet<&String> =
        candidates.iter().flat_map(|c| c.groups.keys()).collect();
    names.into_iter().cloned().collect()
}

/// The one offer for everyone: the highest expected profit summed over `decided`.
pub(crate) fn common_offer(
    spec: &CampaignSpec,
    decided: &[usize],
    value: &dyn Fn(usize, usize) -> (f64, f64),
) -> Option<usize> {
    (0..spec.offers.len())
        .map(|o| (o, decided.iter().map(|&i| value(i, o).0).sum::<f64>()))
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(o, _)| o)
}

fn valuable(spec: &CampaignSpec, assignment: &Option<Assignment>) -> bool {
    matches!(assignment, Some(Assignment::Treated { offer, .. })
        if spec.offers.get(*offer).is_some_and(|o| o.kind != OfferKind::None))
}

/// Raises every group below `min_ratio` of the overall valuable-offer rate (groups of at
/// least [`MIN_GROUP_SIZE`] decided customers) by moving its customers without a valuable
/// offer to their most profitable valuable one, most profitable first. Raising one group
/// raises the overall rate too, so it repeats until every group holds (or has nobody left to
/// move).
pub(crate) fn enforce_min_ratio(
    spec: &CampaignSpec,
    candidates: &[Candidate],
    assignment: &mut [Option<Assignment>],
    decided: &[usize],
    min_ratio: f64,
    only: Option<usize>,
    value: &dyn Fn(usize, usize) -> (f64, f64),
) -> Vec<GuardRailChange> {
    // With `same_offer`, the one offer is the only one a group can be raised to.
    let offers: Vec<usize> = (0..spec.offers.len())
        .filter(|&o| spec.offers[o].kind != OfferKind::None)
        .filter(|&o| only.is_none_or(|c| c == o))
        .collect();
    if offers.is_empty() || decided.is_empty() {
        return Vec::new();
    }
    // Each decided customer's best valuable offer: (offer, profit, cost).
    let best: BTreeMap<usize, (usize, f64, f64)> = decided
        .iter()
        .filter_map(|&i| {
            offers
                .iter()
                .map(|&o| {
                    let (p, c) = value(i, o);
                    (o, p, c)
                })
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|b| (i, b))
        })
        .collect();
    let mut changes: BTreeMap<(String, String), GuardRailChange> = BTreeMap::new();
    let n = decided.len() as f64;
    for _pass in 0..64 {
        let mut moved = false;
        for attribute in spec.fairness.attributes(&shop_attributes(candidates)) {
            let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            for &i in decided {
                let g =
                    attribute_value(&candidates[i], &attribute).unwrap_or_else(|| "unknown".into());
                groups.entry(g).or_default().push(i);
            }
            for (group, members) in groups {
                if members.len() < MIN_GROUP_SIZE {
                    continue;
                }
                let total = decided
                    .iter()
                    .filter(|&&i| valuable(spec, &assignment[i]))
                    .count() as f64;
                let mine = members
                    .iter()
                    .filter(|&&i| valuable(spec, &assignment[i]))
                    .count() as f64;
                let size = members.len() as f64;
                // The same arithmetic as the fairness table, so that what holds here is not flagged there.
                if total == 0.0 || (mine / size) / (total / n) >= min_ratio {
                    continue;
                }
                // k more in the group: (mine + k) / size >= r (total + k) / n.
                let share = min_ratio * size / n;
                let need = if share >= 1.0 {
                    size
                } else {
                    ((min_ratio * total * size / n - mine) / (1.0 - share)).ceil()
                };
                let mut movable: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|&i| !valuable(spec, &assignment[i]))
                    .collect();
                movable.retain(|i| best.contains_key(i));
                movable.sort_by(|a, b| best[b].1.total_cmp(&best[a].1).then(a.cmp(b)));
                for i in movable.into_iter().take(need.max(1.0) as usize) {
                    let (offer, profit, cost) = best[&i];
                    let (old_profit, old_cost) = match &assignment[i] {
                        Some(Assignment::Treated {
                            expected_profit,
                            expected_cost,
                            ..
                        }) => (*expected_profit, *expected_cost),
                        _ => (0.0, 0.0),
                    };
                    assignment[i] = Some(Assignment::Treated {
                        offer,
                        expected_profit: profit,
                        expected_cost: cost,
                    });
                    let change = changes
                        .entry((attribute.clone(), group.clone()))
                        .or_insert_with(|| GuardRailChange {
                            attribute: attribute.clone(),
                            group: group.clone(),
                            upgraded: 0,
                            extra_cost: 0.0,
                            profit_change: 0.0,
                        });
                    change.upgraded += 1;
                    change.extra_cost += cost - old_cost;
                    change.profit_change += profit - old_profit;
                    moved = true;
                }
            }
        }
        if !moved {
            break;
        }
    }
    changes.into_values().collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use recur_core::Segment;

    use super::*;
    use crate::fairness::offer_fairness;
    use crate::message::Language;
    use crate::plan::{Plan, Response, plan};
    use crate::spec::OfferSpec;

    fn spec(rules: &str) -> CampaignSpec {
        CampaignSpec::parse(
            &format!(
                "id = \"g\"\ngoal_days = 30\nchannel = \"file\"\nholdout_share = 0.1\n\
                 [[offers]]\nname = \"message\"\nkind = \"none\"\n\
                 [[offers]]\nname = \"20% off\"\nkind = \"percent_off\"\npercent = 20\n{rules}"
            ),
            Path::new("g.toml"),
        )
        .unwrap()
    }

    /// 200 English and 200 Chinese customers.
    fn candidates() -> Vec<Candidate> {
        (0..400)
            .map(|i| Candidate {
                customer_id: format!("c{i}").into(),
                segment: Segment::AtRisk,
                p_alive: 0.5,
                clv: 100.0,
                days_since_last_order: 60,
                favourite_category: None,
                language: if i % 2 == 0 {
                    Language::En
                } else {
                    Language::Zh
                },
                country: Some(if i % 2 == 0 { "GB" } else { "CN" }.into()),
                groups: [(
                    "tier".to_owned(),
                    if i % 4 < 2 { "gold" } else { "basic" }.to_owned(),
                )]
                .into(),
                consent: true,
                days_since_last_message: None,
                order_value: 50.0,
            })
            .collect()
    }

    /// The coupon moves English customers (+30 points) and barely moves Chinese ones (+2):
    /// targeting by profit alone gives the discount to English customers only.
    fn response(c: &Candidate, o: &OfferSpec) -> Response {
        let coupon = o.percent.is_some();
        let lift = match (c.language, coupon) {
            (Language::En, true) => 0.3,
            (Language::Zh, true) => 0.02,
            (_, false) => 0.05,
        };
        Response {
            p_control: 0.1,
            p_treated: 0.1 + lift,
        }
    }

    fn by_language(p: &Plan, s: &CampaignSpec, cands: &[Candidate]) -> crate::FairnessTable {
        offer_fairness(p, s, "language", |i| attribute_value(&cands[i], "language"))
    }

    #[test]
    fn planted_unequal_offers_are_flagged_and_a_minimum_share_lifts_them() {
        let cands = candidates();
        let plain = spec("");
        let p = plan(&plain, &cands, 0.5, &response);
        let t = by_language(&p, &plain, &cands);
        let zh = t.groups.iter().find(|g| g.group == "zh-CN").unwrap();
        assert!(zh.flagged && zh.valuable == 0, "{t:?}");
        assert!(p.guard_rails.is_empty());

        let guarded = spec("[fairness]\nmin_ratio = 0.8\nattributes = [\"language\"]\n");
        let g = plan(&guarded, &cands, 0.5, &response);
        let t = by_language(&g, &guarded, &cands);
        assert!(!t.any_flagged(), "{t:?}");
        let zh = t.groups.iter().find(|g| g.group == "zh-CN").unwrap();
        assert!(zh.ratio_to_overall.unwrap() >= 0.8, "{t:?}");
        assert_eq!(g.guard_rails.len(), 1, "{:?}", g.guard_rails);
        let change = &g.guard_rails[0];
        assert_eq!(
            (change.attribute.as_str(), change.group.as_str()),
            ("language", "zh-CN")
        );
        assert_eq!(change.upgraded, zh.valuable);
        assert!(
            change.profit_change < 0.0 && change.extra_cost > 0.0,
            "{change:?}"
        );
        // The holdout is the same draw with or without the guard rail.
        let held = |p: &Plan| {
            p.customers
                .iter()
                .filter(|c| c.assignment == Assignment::Holdout)
                .map(|c| c.customer_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(held(&p), held(&g));
    }

    #[test]
    fn a_shop_attribute_is_guarded_like_the_built_in_ones() {
        let cands = candidates();
        // Gold-tier customers respond to the coupon, basic ones do not.
        let by_tier = |c: &Candidate, o: &OfferSpec| Response {
            p_control: 0.1,
            p_treated: 0.1
                + match (c.groups["tier"].as_str(), o.percent.is_some()) {
                    ("gold", true) => 0.3,
                    (_, true) => 0.01,
                    (_, false) => 0.05,
                },
        };
        let guarded = spec(
            "[fairness]\nmin_ratio = 0.8\nattributes = [\"tier\"]\ngroups_file = \"tiers.csv\"\n",
        );
        let p = plan(&spec(""), &cands, 0.5, &by_tier);
        let tier = |p: &Plan, s: &CampaignSpec| {
            offer_fairness(p, s, "tier", |i| attribute_value(&cands[i], "tier"))
        };
        assert!(tier(&p, &guarded).any_flagged());
        let g = plan(&guarded, &cands, 0.5, &by_tier);
        assert!(
            !tier(&g, &guarded).any_flagged(),
            "{:?}",
            tier(&g, &guarded)
        );
        assert_eq!(g.guard_rails.len(), 1);
        assert_eq!(
            (
                g.guard_rails[0].attribute.as_str(),
                g.guard_rails[0].group.as_str()
            ),
            ("tier", "basic")
        );
        assert_eq!(shop_attributes(&cands), ["tier"]);
    }

    #[test]
    fn equal_offers_are_not_flagged_and_nothing_changes() {
        let cands = candidates();
        let even = |_: &Candidate, o: &OfferSpec| Response {
            p_control: 0.1,
            p_treated: if o.percent.is_some() { 0.4 } else { 0.12 },
        };
        let guarded = spec("[fairness]\nmin_ratio = 0.8\n");
        let g = plan(&guarded, &cands, 0.5, &even);
        assert!(!by_language(&g, &guarded, &cands).any_flagged());
        assert!(g.guard_rails.is_empty(), "{:?}", g.guard_rails);
        assert_eq!(g, plan(&spec(""), &cands, 0.5, &even));
    }

    #[test]
    fn same_offer_gives_everyone_decided_the_one_best_offer() {
        let cands = candidates();
        let s = spec("[fairness]\nsame_offer = true\n");
        let p = plan(&s, &cands, 0.5, &response);
        let offers: std::collections::BTreeSet<usize> = p
            .customers
            .iter()
            .filter_map(|c| match c.assignment {
                Assignment::Treated { offer, .. } => Some(offer),
                _ => None,
            })
            .collect();
        assert_eq!(
            offers.into_iter().collect::<Vec<_>>(),
            [1],
            "the coupon, for all"
        );
        assert_eq!(p.summary.treated + p.summary.holdout, 400);
        assert!(!by_language(&p, &s, &cands).any_flagged());
        // With a minimum share too, groups are raised to the one offer only.
        let both = spec("[fairness]\nsame_offer = true\nmin_ratio = 0.8\n");
        let p = plan(&both, &cands, 0.5, &response);
        assert!(p.customers.iter().all(|c| match c.assignment {
            Assignment::Treated { offer, .. } => offer == 1,
            _ => true,
        }));
    }

    #[test]
    fn a_bad_minimum_is_refused_with_the_rule() {
        let e = CampaignSpec::parse(
            "id = \"g\"\ngoal_days = 30\nchannel = \"file\"\n[[offers]]\nname = \"m\"\nkind = \"none\"\n[fairness]\nmin_ratio = 1.5\n",
            Path::new("g.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("fairness.min_ratio") && e.contains("four-fifths"),
            "{e}"
        );
        let e = CampaignSpec::parse(
            "id = \"g\"\ngoal_days = 30\nchannel = \"file\"\n[[offers]]\nname = \"m\"\nkind = \"none\"\n[fairness]\nattributes = [\"religion\"]\n",
            Path::new("g.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("religion"), "{e}");
    }
}
