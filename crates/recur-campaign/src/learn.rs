//! Learning who responds to which offer from past randomised campaigns.
//!
//! Each past campaign randomised its audience into treated (per offer) and holdout, so within
//! one campaign the holdout is a valid control for every offer it gave. For an offer of the
//! campaign being planned (matched by name), the learner pools the customers who received it in
//! any past campaign with the holdouts of those same campaigns, and fits one T-learner
//! ([`UpliftModel`]) on the features recorded when each past campaign was planned (not today's,
//! which already show the campaign's effect).

use serde::Serialize;

use crate::error::Result;
use crate::spec::OfferSpec;
use crate::uplift::{Features, UpliftConfig, UpliftModel};

/// One customer of a past randomised campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct PastRow {
    /// Features as recorded when the campaign was planned.
    pub features: Vec<f64>,
    /// The offer received (by name); `None` for the holdout.
    pub offer: Option<String>,
    /// Whether the customer bought within the campaign's goal window.
    pub purchased: bool,
}

/// A past campaign whose goal window has ended.
#[derive(Debug, Clone, PartialEq)]
pub struct PastCampaign {
    /// Campaign id.
    pub id: String,
    /// Feature names of `rows`.
    pub feature_names: Vec<String>,
    /// Treated and holdout customers.
    pub rows: Vec<PastRow>,
}

/// What the past campaigns say about one offer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfferEvidence {
    /// Offer name.
    pub offer: String,
    /// Past campaigns that gave it.
    pub campaigns: Vec<String>,
    /// Customers who received it.
    pub treated: usize,
    /// Of those, buyers in the goal window.
    pub treated_buyers: usize,
    /// Holdout customers of the same campaigns.
    pub holdout: usize,
    /// Of those, buyers in the goal window.
    pub holdout_buyers: usize,
    /// Why no model was fitted (`None`: the offer has one).
    pub no_model: Option<String>,
}

/// Per-offer uplift models learned from past campaigns.
#[derive(Debug)]
pub struct OfferModels {
    feature_names: Vec<String>,
    models: Vec<Option<UpliftModel>>,
    /// Per offer of the spec, in order: the evidence and whether it sufficed.
    pub evidence: Vec<OfferEvidence>,
}

impl OfferModels {
    /// Fits one model per offer in `offers` from `past`, using campaigns that recorded the
    /// features `feature_names`. An offer needs `min_per_arm` customers and at least one buyer
    /// and one non-buyer in both arms; otherwise it gets no model and its evidence says why.
    pub fn learn(
        offers: &[OfferSpec],
        feature_names: &[String],
        past: &[PastCampaign],
        min_per_arm: usize,
        cfg: &UpliftConfig,
    ) -> Result<OfferModels> {
        let usable: Vec<&PastCampaign> = past
            .iter()
            .filter(|p| p.feature_names == feature_names)
            .collect();
        let mut models = Vec::with_capacity(offers.len());
        let mut evidence = Vec::with_capacity(offers.len());
        for offer in offers {
            let mut columns = vec![Vec::new(); feature_names.len()];
            let mut treated = Vec::new();
            let mut y = Vec::new();
            let mut campaigns = Vec::new();
            for p in &usable {
                if !p.rows.iter().any(|r| r.offer.as_ref() == Some(&offer.name)) {
                    continue;
                }
                campaigns.push(p.id.clone());
                for r in &p.rows {
                    let is_treated = match &r.offer {
                        Some(name) if *name == offer.name => true,
                        Some(_) => continue,
                        None => false,
                    };
                    for (c, v) in columns.iter_mut().zip(&r.features) {
                        c.push(*v);
                    }
                    treated.push(is_treated);
                    y.push(f64::from(u8::from(r.purchased)));
                }
            }
            let count = |arm: bool, buyers: bool| {
                treated
                    .iter()
                    .zip(&y)
                    .filter(|(t, v)| **t == arm && (!buyers || **v > 0.0))
                    .count()
            };
            let mut ev = OfferEvidence {
                offer: offer.name.clone(),
                campaigns,
                treated: count(true, false),
                treated_buyers: count(true, true),
                holdout: count(false, false),
                holdout_buyers: count(false, true),
                no_model: None,
            };
            let model = if ev.campaigns.is_empty() {
                ev.no_model =
                    Some("no past campaign with recorded features gave this offer".into());
                None
            } else if ev.treated < min_per_arm || ev.holdout < min_per_arm {
                ev.no_model = Some(format!(
                    "{} treated and {} holdout customers; at least {min_per_arm} of each are needed",
                    ev.treated, ev.holdout
                ));
                None
            } else {
                let x = Features {
                    names: feature_names.to_vec(),
                    columns,
                };
                match UpliftModel::fit(&x, &treated, &y, cfg) {
                    Ok(m) => Some(m),
                    Err(crate::Error::Insufficient { reason, .. }) => {
                        ev.no_model = Some(reason);
                        None
                    }
                    Err(e) => return Err(e),
                }
            };
            models.push(model);
            evidence.push(ev);
        }
        Ok(OfferModels {
            feature_names: feature_names.to_vec(),
            models,
            evidence,
        })
    }

    /// Whether any offer has a model.
    pub fn any(&self) -> bool {
        self.models.iter().any(Option::is_some)
    }

    /// Whether offer `k` has a model.
    pub fn has(&self, k: usize) -> bool {
        self.models.get(k).is_some_and(Option::is_some)
    }

    /// Per offer, predicted (P(buy | offer), P(buy | nothing)) per row of `x`; `None` for
    /// offers without a model.
    pub fn predict(&self, x: &Features) -> Vec<Option<Vec<(f64, f64)>>> {
        debug_assert_eq!(x.names, self.feature_names);
        self.models
            .iter()
            .map(|m| m.as_ref().map(|m| m.predict_probabilities(x)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::OfferKind;

    fn offer(name: &str) -> OfferSpec {
        OfferSpec {
            name: name.into(),
            kind: OfferKind::None,
            percent: None,
            cost: None,
            code_prefix: None,
            valid_days: 14,
        }
    }

    /// Customers with feature x in [0, 1): the offer "a" lifts buying only where x > 0.5.
    fn campaign(id: &str, n: usize) -> PastCampaign {
        let rows = (0..n)
            .map(|i| {
                let x = (i as f64 * 0.618_034).fract();
                let arm = i % 3; // 0 holdout, 1 offer a, 2 offer b
                let base = (i * 7919) % 10 < 2; // 20 % buy anyway
                let lifted = x > 0.5 && (i * 104_729) % 10 < 5;
                PastRow {
                    features: vec![x],
                    offer: match arm {
                        0 => None,
                        1 => Some("a".into()),
                        _ => Some("b".into()),
                    },
                    purchased: base || (arm == 1 && lifted),
                }
            })
            .collect();
        PastCampaign {
            id: id.into(),
            feature_names: vec!["x".into()],
            rows,
        }
    }

    #[test]
    fn learns_where_an_offer_works_and_reports_missing_evidence() {
        let names = vec!["x".to_owned()];
        let past = [campaign("spring", 3000)];
        let m = OfferModels::learn(
            &[offer("a"), offer("b"), offer("c")],
            &names,
            &past,
            50,
            &UpliftConfig::default(),
        )
        .unwrap();
        assert!(m.has(0) && m.has(1) && !m.has(2));
        assert_eq!(m.evidence[0].treated, 1000);
        assert_eq!(m.evidence[0].holdout, 1000);
        assert_eq!(m.evidence[0].campaigns, ["spring"]);
        assert!(
            m.evidence[2]
                .no_model
                .as_ref()
                .unwrap()
                .contains("no past campaign")
        );
        let x = Features {
            names: names.clone(),
            columns: vec![vec![0.2, 0.9]],
        };
        let p = m.predict(&x);
        let a = p[0].as_ref().unwrap();
        let uplift_low = a[0].0 - a[0].1;
        let uplift_high = a[1].0 - a[1].1;
        assert!(
            uplift_high > uplift_low + 0.2,
            "{uplift_low} vs {uplift_high}"
        );
        assert!(p[2].is_none());
    }

    #[test]
    fn too_little_evidence_or_other_features_give_no_model() {
        let names = vec!["x".to_owned()];
        let m = OfferModels::learn(
            &[offer("a")],
            &names,
            &[campaign("tiny", 30)],
            50,
            &UpliftConfig::default(),
        )
        .unwrap();
        assert!(!m.any());
        assert!(
            m.evidence[0]
                .no_model
                .as_ref()
                .unwrap()
                .contains("at least 50")
        );
        let other = vec!["y".to_owned()];
        let m = OfferModels::learn(
            &[offer("a")],
            &other,
            &[campaign("spring", 3000)],
            50,
            &UpliftConfig::default(),
        )
        .unwrap();
        assert!(m.evidence[0].campaigns.is_empty());
    }
}
