//! [`ReportSections`] from the demo's stage results: histograms, totals, the model choice in
//! words, the campaign rounds and message paths.

use recur_core::{MessagePath, MessageTally};

use super::sections::{
    BehaviourSection, Bin, CampaignSection, HoldoutCheck, ModelRow, OfferCount,
    PAIN_POINT_PRODUCTS, PathCount, ReportSections, ReportSummary, ReviewSection, RoundSection,
    Section, TOP_AT_RISK, TransformerRun, ValueSection,
};
use crate::clv::{CustomerValue, WorkspaceEvaluation, WorkspaceValue};
use crate::demo::{CampaignDemo, CampaignRound, DemoOutcome, DemoRecommendations, StageError};
use crate::summaries::{LIKELY_GONE_P_ALIVE, likely_gone};

impl<T> Section<T> {
    /// The section of a stage's result, its data made by `f`.
    fn of<S>(stage: &Result<S, StageError>, f: impl FnOnce(&S) -> T) -> Self {
        match stage {
            Ok(s) => Section::Ready { data: f(s) },
            Err(e) => Section::Failed {
                error: e.message.clone(),
                user_error: e.user_error,
            },
        }
    }
}

impl ReviewSection {
    /// The section of a review analysis: held-back products first, then the others by
    /// negative share; each product's aspects most negative first.
    pub fn of(a: &recur_reviews::Analysis) -> Self {
        let mut products = a.products.clone();
        products.sort_by(|x, y| {
            y.held_back
                .cmp(&x.held_back)
                .then_with(|| y.negative_share.total_cmp(&x.negative_share))
                .then_with(|| y.reviews.cmp(&x.reviews))
                .then_with(|| x.product_id.cmp(&y.product_id))
        });
        products.truncate(PAIN_POINT_PRODUCTS.max(a.held_back.len()));
        for p in &mut products {
            p.aspects.sort_by(|x, y| {
                y.negative_share
                    .total_cmp(&x.negative_share)
                    .then_with(|| y.mentions.cmp(&x.mentions))
            });
        }
        ReviewSection {
            reviews: a.reviews,
            negative_share: a.negative_share,
            basis: if a.model_used {
                "sentiment model"
            } else {
                "stars"
            }
            .into(),
            held_back: a.held_back.clone(),
            products,
            summaries: Vec::new(),
        }
    }

    /// The section with the `saved` summaries, each marked stale when its product's review
    /// count in `a` differs from the one it rests on; most reviewed first.
    pub fn with_summaries(
        mut self,
        a: &recur_reviews::Analysis,
        saved: Vec<crate::SavedSummary>,
    ) -> Self {
        let mut summaries: Vec<ReportSummary> = saved
            .into_iter()
            .map(|summary| {
                let reviews_now = a
                    .products
                    .iter()
                    .find(|p| p.product_id == summary.product_id)
                    .map_or(0, |p| p.reviews);
                ReportSummary {
                    stale: summary.is_stale(reviews_now),
                    reviews_now,
                    summary,
                }
            })
            .collect();
        summaries.sort_by(|x, y| {
            y.reviews_now
                .cmp(&x.reviews_now)
                .then_with(|| x.summary.product_id.cmp(&y.summary.product_id))
        });
        self.summaries = summaries;
        self
    }

    /// The review section of a workspace (see [`crate::workspace_pain_points`]) with its saved
    /// summaries (see [`crate::saved_summaries`]): not run without reviews, the error when they
    /// cannot be read.
    pub fn of_workspace(ws: &crate::Workspace) -> Section<ReviewSection> {
        let analysis = crate::reviews::workspace_pain_points(ws)
            .and_then(|a| a.map(|a| Ok((crate::saved_summaries(ws)?, a))).transpose());
        match analysis {
            Ok(Some((saved, a))) => Section::Ready {
                data: ReviewSection::of(&a).with_summaries(&a, saved),
            },
            Ok(None) => Section::NotRun {
                reason: "No reviews were imported (`recur import reviews --file FILE`).".into(),
            },
            Err(e) => Section::Failed {
                error: e.to_string(),
                user_error: e.is_user_error(),
            },
        }
    }
}

impl HoldoutCheck {
    /// The BG/NBD figures of a workspace evaluation.
    pub fn of(e: &WorkspaceEvaluation) -> Self {
        let h = &e.bgnbd_holdout;
        HoldoutCheck {
            calibration_end: e.calibration_end.clone(),
            observation_end: e.observation_end.clone(),
            customers: h.customers,
            actual_total: h.actual_total,
            predicted_total: h.predicted_total,
            mae: h.mae,
            auc: h.auc,
        }
    }
}

/// The validation path of a message tally, in words.
fn path_label(t: &MessageTally) -> String {
    match t {
        MessageTally::Written(MessagePath::FirstDraft) => "model draft accepted".into(),
        MessageTally::Written(MessagePath::Retried) => "model draft accepted after retry".into(),
        MessageTally::Written(MessagePath::Template) => "template (model drafts rejected)".into(),
        MessageTally::Written(MessagePath::TemplateOnly) => "template".into(),
        MessageTally::ModelFailed(e) => format!("language model failed (template used): {e}"),
        MessageTally::TemplateRejected(v) => format!("not sent, template rejected: {v}"),
    }
}

/// `values` in `bins` bars of `width` from 0 (values below 0 in the first), with an open-ended
/// last bar when `open` (else values past the end go to the last bar). Non-finite values are
/// left out.
fn histogram(values: impl Iterator<Item = f64>, width: f64, bins: usize, open: bool) -> Vec<Bin> {
    let n = bins.max(1) + usize::from(open);
    let mut out: Vec<Bin> = (0..n)
        .map(|i| Bin {
            from: i as f64 * width,
            to: (!open || i + 1 < n).then(|| (i + 1) as f64 * width),
            count: 0,
        })
        .collect();
    for v in values.filter(|v| v.is_finite()) {
        let i = if width > 0.0 {
            (v / width).floor().max(0.0) as usize
        } else {
            0
        };
        out[i.min(n - 1)].count += 1;
    }
    out
}

/// The smallest of 1, 2, 5 × a power of ten that is at least `x` (1 for no positive `x`).
fn nice_step(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let base = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * base)
        .find(|s| *s >= x * (1.0 - 1e-9))
        .unwrap_or(10.0 * base)
}

impl ValueSection {
    /// The section of a customer-value fit.
    pub fn of(v: &WorkspaceValue) -> Self {
        let mut clv: Vec<f64> = v
            .customers
            .iter()
            .map(|c| c.clv_12m)
            .filter(|x| x.is_finite())
            .collect();
        clv.sort_by(f64::total_cmp);
        // Ten bars up to about the 95th percentile, the rest in an open-ended last bar.
        let p95 = clv
            .get((clv.len() * 95 / 100).min(clv.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0);
        let width = nice_step(p95 / 10.0);
        let gone = likely_gone(&v.customers);
        let mut top: Vec<&CustomerValue> = v.customers.iter().collect();
        top.sort_by(|a, b| {
            b.value_at_risk
                .total_cmp(&a.value_at_risk)
                .then_with(|| a.customer_id.cmp(&b.customer_id))
        });
        ValueSection {
            customers: v.customers.len(),
            total_clv_12m: clv.iter().sum(),
            total_value_at_risk: v
                .customers
                .iter()
                .map(|c| c.value_at_risk)
                .filter(|x| x.is_finite())
                .sum(),
            likely_gone_below: LIKELY_GONE_P_ALIVE,
            likely_gone: gone.customers.len(),
            likely_gone_value_at_risk: gone.value_at_risk,
            clv_histogram: histogram(clv.iter().copied(), width, 10, true),
            p_alive_histogram: histogram(v.customers.iter().map(|c| c.p_alive), 0.1, 10, false),
            bgnbd: v.bgnbd.clone(),
            gamma_gamma: v.gamma_gamma.clone(),
            holdout: None,
            top_at_risk: top.into_iter().take(TOP_AT_RISK).cloned().collect(),
        }
    }
}

impl BehaviourSection {
    /// The section of the demo's behaviour-model stage.
    pub fn of(r: &DemoRecommendations) -> Self {
        let e = &r.training.evaluation;
        let chosen = r.training.selection.chosen.clone();
        let models: Vec<ModelRow> = e
            .models
            .iter()
            .map(|m| ModelRow {
                model: m.model.clone(),
                ndcg: m.ndcg,
                hit_rate: m.hit_rate,
                recall: m.recall,
                validation_ndcg: m.validation_ndcg,
                train_seconds: m.train_seconds,
                chosen: m.model == chosen,
            })
            .collect();
        let runner_up = models
            .iter()
            .filter(|m| !m.chosen)
            .max_by(|a, b| a.validation_ndcg.total_cmp(&b.validation_ndcg));
        let best = models.iter().find(|m| m.chosen);
        let why = match (best, runner_up) {
            (Some(b), Some(r)) => format!(
                "Highest NDCG@{k} on the validation orders ({:.4}; next best: {} {:.4}). The test columns are each customer's last order, which the choice did not look at.",
                b.validation_ndcg,
                r.model,
                r.validation_ndcg,
                k = e.k
            ),
            _ => format!("Highest NDCG@{} on the validation orders.", e.k),
        };
        BehaviourSection {
            k: e.k,
            test_customers: e.test_customers,
            items: e.items,
            models,
            chosen,
            why,
            transformer: e.transformer.as_ref().map(|t| TransformerRun {
                epochs: t.epochs.len(),
                best_epoch: t.best_epoch,
                stopped: t.stopped,
                seconds: t.seconds,
            }),
            recommendations: r.at_risk.clone(),
        }
    }
}

impl RoundSection {
    fn of(name: &str, r: &CampaignRound) -> Self {
        RoundSection {
            name: name.to_owned(),
            campaign: r.campaign.clone(),
            targeting: r.targeting.to_owned(),
            eligible: r.plan.eligible,
            treated: r.plan.treated,
            holdout: r.plan.holdout,
            offers: r
                .plan
                .by_offer
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(offer, n)| OfferCount {
                    offer: offer.clone(),
                    customers: *n,
                })
                .collect(),
            lift: r.lift.overall.clone(),
            true_incremental_purchasers: r.true_incremental_purchasers,
            true_incremental_profit: r.true_incremental_profit,
            fairness: r.fairness.clone(),
        }
    }
}

impl CampaignSection {
    /// The section of the demo's campaign loop.
    pub fn of(c: &CampaignDemo) -> Self {
        CampaignSection {
            confidence: c.exploration.lift.confidence,
            margin: c.exploration.lift.margin,
            rounds: vec![
                RoundSection::of("Round 1: exploration", &c.exploration),
                RoundSection::of("Round 2: uplift targeting", &c.targeted),
            ],
            message_paths: c
                .message_paths
                .iter()
                .map(|(t, n)| PathCount {
                    path: path_label(t),
                    count: *n,
                })
                .collect(),
            llm_drafts: c.llm_drafts,
            queued: c.queued,
            samples: c.report_samples.clone(),
        }
    }
}

impl ReportSections {
    /// The sections of the demo's stages; a failed stage keeps its error, a campaign loop that
    /// did not run (`None`) says why.
    pub fn from_stages(
        value: &Result<WorkspaceValue, StageError>,
        recommendations: &Result<DemoRecommendations, StageError>,
        campaign: Option<&Result<CampaignDemo, StageError>>,
    ) -> Self {
        ReportSections {
            value: Some(Section::of(value, ValueSection::of)),
            behaviour: Some(Section::of(recommendations, BehaviourSection::of)),
            reviews: None,
            campaigns: Some(match campaign {
                Some(c) => Section::of(c, CampaignSection::of),
                None => Section::NotRun {
                    reason: "The campaign loop runs on the synthetic shop only (it simulates the customers' responses from the shop's ground truth) and needs the customer values.".into(),
                },
            }),
        }
    }
}

impl DemoOutcome {
    /// The report sections of this outcome (see [`ReportSections::from_stages`]).
    pub fn report_sections(&self) -> ReportSections {
        ReportSections::from_stages(&self.value, &self.recommendations, self.campaign.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_histograms_count_every_finite_value_once() {
        let bins = histogram(
            [-1.0, 0.0, 0.05, 0.1, 0.99, 1.0, f64::NAN].into_iter(),
            0.1,
            10,
            false,
        );
        assert_eq!(bins.len(), 10);
        assert_eq!(bins.iter().map(|b| b.count).sum::<usize>(), 6);
        assert_eq!((bins[0].count, bins[1].count, bins[9].count), (3, 1, 2));
        assert_eq!(bins[9].to, Some(1.0));
        let open = histogram([5.0, 250.0, 1e9].into_iter(), 20.0, 10, true);
        assert_eq!(open.len(), 11);
        assert_eq!(open[10].to, None);
        assert_eq!((open[0].count, open[10].count), (1, 2));
    }

    #[test]
    fn report_steps_are_round_numbers() {
        for (x, step) in [
            (0.0, 1.0),
            (f64::NAN, 1.0),
            (3.0, 5.0),
            (20.0, 20.0),
            (21.0, 50.0),
            (0.07, 0.1),
            (700.0, 1000.0),
        ] {
            assert!((nice_step(x) - step).abs() < 1e-12, "{x}: {}", nice_step(x));
        }
    }

    #[test]
    fn report_path_labels_name_each_validation_path() {
        assert_eq!(
            path_label(&MessageTally::Written(MessagePath::Retried)),
            "model draft accepted after retry"
        );
        assert!(path_label(&MessageTally::ModelFailed("timeout".into())).contains("timeout"));
    }
}
