//! Learning who responds to which offer from past randomised campaigns.
//!
//! Each past campaign randomised its audience into treated (per offer) and holdout, so within
//! one campaign the holdout is a valid control for every offer it gave. For an offer of the
//! campaign being planned (matched by name), the learner pools the customers who received it in
//! any past campaign with the holdouts of those same campaigns, and fits one T-learner
//! ([`UpliftModel`]) on the features recorded when each past campaign was planned (not today's,
//! which already show the campaign's effect).
//!
//! Each model is checked by three-fold cross-fitting (random folds stratified by arm): the
//! Qini coefficient of the out-of-fold predictions says whether it ranks customers it did not
//! see better than random, and the offer's average effect comes with its 95 % interval. Both
//! are reported with the plan (`basis`), so a model learned from a campaign too small to show
//! who responds is visible as such; the new campaign's own holdout measures what it did.

use recur_core::{Interval, OfferBasis};
use serde::Serialize;

use crate::error::Result;
use crate::plan::{Candidate, Plan, Response, plan};
use crate::spec::{CampaignSpec, OfferSpec};
use crate::stats::{Rng, mean_difference};
use crate::uplift::{Features, UpliftConfig, UpliftModel, qini};

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
    /// Qini coefficient of the out-of-fold (three-fold cross-fitted) predictions.
    pub held_out_qini: Option<f64>,
    /// Average effect on the purchase rate (treated minus holdout) and its 95 % interval.
    pub average_effect: Option<Interval>,
    /// How the offer's response is predicted: an uplift model (and how far the evidence backs
    /// it) or `not offered`.
    pub basis: OfferBasis,
    /// Why the offer is not offered (`None`: it has a model).
    pub no_model: Option<String>,
}

/// How one offer's response is predicted.
#[derive(Debug)]
enum OfferResponse {
    Model(UpliftModel),
}

/// Per-offer uplift models learned from past campaigns.
#[derive(Debug)]
pub struct OfferModels {
    feature_names: Vec<String>,
    models: Vec<Option<OfferResponse>>,
    /// Per offer of the spec, in order: the evidence and whether it sufficed.
    pub evidence: Vec<OfferEvidence>,
}

impl OfferModels {
    /// Fits one model per offer in `offers` from `past`, using campaigns that recorded the
    /// features `feature_names`. An offer needs `min_per_arm` customers and at least one buyer
    /// and one non-buyer in both arms, and its model must pass the held-out check (see the
    /// module docs); otherwise it falls back to its average effect or is not offered, and its
    /// evidence says why. `cfg.seed` also seeds the split.
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
                held_out_qini: None,
                average_effect: None,
                basis: OfferBasis::NotOffered,
                no_model: None,
            };
            let arm = |t: bool| -> Vec<f64> {
                treated
                    .iter()
                    .zip(&y)
                    .filter(|(a, _)| **a == t)
                    .map(|(_, v)| *v)
                    .collect()
            };
            let effect = mean_difference(&arm(true), &arm(false), 0.95);
            ev.average_effect = effect.map(|e| e.interval());
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
                let significant = effect.is_some_and(|e| e.interval().excludes_zero());
                match validated_model(&x, &treated, &y, cfg)? {
                    Ok((model, q, validated)) => {
                        ev.held_out_qini = q;
                        ev.basis = match (validated, significant) {
                            (true, _) => OfferBasis::Validated,
                            (false, true) => OfferBasis::SignificantAverage,
                            (false, false) => OfferBasis::NotValidated,
                        };
                        Some(OfferResponse::Model(model))
                    }
                    Err(why) => {
                        ev.no_model = Some(why);
                        None
                    }
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

    /// Plans `spec` for `candidates` (the rows of `x`, in the same order) with these models:
    /// an offer's response is its model's prediction (offers matched by name); offers without
    /// a model are not given (no uplift is claimed for them).
    pub fn plan(
        &self,
        spec: &CampaignSpec,
        candidates: &[Candidate],
        x: &Features,
        margin: f64,
    ) -> Plan {
        let probs = self.predict(x);
        let index: std::collections::HashMap<&str, usize> = candidates
            .iter()
            .enumerate()
            .map(|(i, c)| (c.customer_id.as_str(), i))
            .collect();
        let response = |c: &Candidate, o: &OfferSpec| {
            let k = self.evidence.iter().position(|e| e.offer == o.name);
            match k.and_then(|k| probs[k].as_ref()) {
                Some(p) => {
                    let (p1, p0) = p[index[c.customer_id.as_str()]];
                    Response {
                        p_control: p0,
                        p_treated: p1,
                    }
                }
                None => Response {
                    p_control: 0.0,
                    p_treated: 0.0,
                },
            }
        };
        plan(spec, candidates, margin, &response)
    }

    /// Per offer, predicted (P(buy | offer), P(buy | nothing)) per row of `x`; `None` for
    /// offers that are not offered.
    pub fn predict(&self, x: &Features) -> Vec<Option<Vec<(f64, f64)>>> {
        debug_assert_eq!(x.names, self.feature_names);
        self.models
            .iter()
            .map(|m| {
                m.as_ref().map(|m| match m {
                    OfferResponse::Model(m) => m.predict_probabilities(x),
                })
            })
            .collect()
    }
}

/// Fits the model on all the evidence and checks it by cross-fitting: each of three folds
/// (random, stratified by arm) is predicted by a model fitted on the other two, and the Qini
/// coefficient of those out-of-fold predictions over all the evidence says whether the model
/// ranks customers it did not see better than random. Returns the model, that Qini and whether
/// it is positive; the inner `Err` says why no model could be fitted, the outer one is a
/// library failure.
#[allow(clippy::type_complexity)]
fn validated_model(
    x: &Features,
    treated: &[bool],
    y: &[f64],
    cfg: &UpliftConfig,
) -> Result<std::result::Result<(UpliftModel, Option<f64>, bool), String>> {
    const FOLDS: usize = 3;
    let model = match UpliftModel::fit(x, treated, y, cfg) {
        Ok(m) => m,
        Err(crate::Error::Insufficient { reason, .. }) => return Ok(Err(reason)),
        Err(e) => return Err(e),
    };
    let mut rng = Rng::new(cfg.seed ^ 0x5EED_0FF3);
    let mut fold = vec![0usize; treated.len()];
    for arm in [true, false] {
        let mut idx: Vec<usize> = (0..treated.len()).filter(|&i| treated[i] == arm).collect();
        rng.shuffle(&mut idx);
        for (k, i) in idx.into_iter().enumerate() {
            fold[i] = k % FOLDS;
        }
    }
    let pick = |idx: &[usize]| -> (Features, Vec<bool>, Vec<f64>) {
        (
            x.select(idx),
            idx.iter().map(|&i| treated[i]).collect(),
            idx.iter().map(|&i| y[i]).collect(),
        )
    };
    let mut scores = vec![0f64; treated.len()];
    for f in 0..FOLDS {
        let train: Vec<usize> = (0..treated.len()).filter(|&i| fold[i] != f).collect();
        let test: Vec<usize> = (0..treated.len()).filter(|&i| fold[i] == f).collect();
        let (xt, tt, yt) = pick(&train);
        match UpliftModel::fit(&xt, &tt, &yt, cfg) {
            Ok(m) => {
                for (i, s) in test.iter().zip(m.predict(&x.select(&test))) {
                    scores[*i] = s;
                }
            }
            // A fold too small to fit: no out-of-fold check.
            Err(crate::Error::Insufficient { .. }) => return Ok(Ok((model, None, false))),
            Err(e) => return Err(e),
        }
    }
    let q = qini(&scores, treated, y, 10).coefficient;
    Ok(Ok((model, Some(q), q > 0.0)))
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
        // "a" works where x > 0.5: its model holds up out of fold. "b" does nothing: its
        // model is flagged as not validated and its average effect is zero.
        assert!(m.has(0) && m.has(1) && !m.has(2), "{:?}", m.evidence);
        assert_eq!(m.evidence[0].basis, OfferBasis::Validated);
        assert!(m.evidence[0].held_out_qini.unwrap() > 0.0);
        assert!(
            m.evidence[1].basis == OfferBasis::NotValidated,
            "{:?}",
            m.evidence[1]
        );
        let b = m.evidence[1].average_effect.unwrap();
        assert!(b.low < 0.0 && b.high > 0.0, "{b:?}");
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
        assert!(p[1].is_some() && p[2].is_none());
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
