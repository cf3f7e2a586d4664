//! Customer-value use cases on a workspace: fit, score, and evaluate on a holdout period.

use recur_clv::{
    BgNbd, CustomerSummary, FitReport, GammaGamma, HoldoutEvaluation, ParetoNbd, Scorer, TimeUnit,
    TrackingPoint, Transaction, Valuation, cumulative_tracking, evaluate_holdout, summarize,
};
use recur_core::CustomerId;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::workspace::Workspace;

/// One customer's value estimates.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerValue {
    /// Customer id.
    pub customer_id: CustomerId,
    /// Repeat purchase days so far.
    pub repeat_purchases: f64,
    /// Weeks since the last purchase.
    pub weeks_since_last_purchase: f64,
    /// Probability the customer is still active (BG/NBD).
    pub p_alive: f64,
    /// Expected purchase days in the next 90 days.
    pub expected_purchases_90d: f64,
    /// Expected spend per purchase (Gamma-Gamma).
    pub expected_spend: f64,
    /// 12-month value at 100 % margin, 1 % monthly discount.
    pub clv_12m: f64,
    /// Value that disappears if the customer has in fact churned: spend-weighted value of
    /// their historical purchase pace times (1 - P(alive)).
    pub value_at_risk: f64,
}

/// Customer-value models fitted on a workspace's orders.
#[derive(Debug, Clone, Serialize)]
pub struct WorkspaceValue {
    /// BG/NBD fit (weeks).
    pub bgnbd: FitReport,
    /// Gamma-Gamma fit.
    pub gamma_gamma: FitReport,
    /// Every customer, by customer id.
    pub customers: Vec<CustomerValue>,
}

/// The workspace's completed purchases of known customers, and the last purchase day.
fn transactions(ws: &Workspace) -> Result<(Vec<Transaction>, i64)> {
    let rows = ws.session()?.daily_purchases()?;
    let end = rows.iter().map(|r| r.1).max().unwrap_or(0);
    let tx = rows
        .into_iter()
        .map(|(customer_id, day, amount)| Transaction {
            customer_id: customer_id.into(),
            day,
            amount,
        })
        .collect();
    Ok((tx, end))
}

/// Fits BG/NBD and Gamma-Gamma on every completed order of known customers (calibration = all
/// data up to the last order) and scores each customer.
pub fn customer_value(ws: &Workspace) -> Result<WorkspaceValue> {
    let (tx, end) = transactions(ws)?;
    let data = summarize(&tx, end, end, TimeUnit::Weeks);
    let (bg, bg_report) = BgNbd::fit(&data)?;
    let (gg, gg_report) = GammaGamma::fit(&data)?;
    let scorer = Scorer {
        bgnbd: bg,
        gamma_gamma: gg,
        valuation: Valuation::default(),
    };
    let customers = data
        .iter()
        .zip(scorer.score_all(&data))
        .map(|(c, s)| {
            // Purchases per week while active, from the customer's own history.
            let pace = if c.t > 0.0 {
                (c.frequency + 1.0) / c.t.max(1.0)
            } else {
                0.0
            };
            CustomerValue {
                customer_id: c.customer_id.clone(),
                repeat_purchases: c.frequency,
                weeks_since_last_purchase: c.t - c.recency,
                p_alive: s.p_alive,
                expected_purchases_90d: s.expected_purchases,
                expected_spend: s.expected_spend,
                clv_12m: s.clv,
                value_at_risk: pace * 52.0 * s.expected_spend * (1.0 - s.p_alive),
            }
        })
        .collect();
    Ok(WorkspaceValue {
        bgnbd: bg_report,
        gamma_gamma: gg_report,
        customers,
    })
}

/// A calibration/holdout evaluation of the purchase models on a workspace.
#[derive(Debug, Clone, Serialize)]
pub struct WorkspaceEvaluation {
    /// Last calibration day (ISO date).
    pub calibration_end: String,
    /// Last holdout day (ISO date).
    pub observation_end: String,
    /// BG/NBD fitted on the calibration period.
    pub bgnbd: FitReport,
    /// Pareto/NBD fitted on the calibration period.
    pub pareto_nbd: FitReport,
    /// BG/NBD holdout accuracy.
    pub bgnbd_holdout: HoldoutEvaluation,
    /// Pareto/NBD holdout accuracy.
    pub pareto_nbd_holdout: HoldoutEvaluation,
    /// Weekly cumulative repeat purchases, actual vs BG/NBD.
    pub tracking: Vec<TrackingPoint>,
}

/// ISO date of a day number (days since 1970-01-01).
pub(crate) fn iso_day(day: i64) -> String {
    recur_core::Day(day).to_string()
}

/// Fits on all orders up to `holdout_days` before the last order and compares predictions
/// for the following `holdout_days` with what customers actually did.
pub fn evaluate_workspace(ws: &Workspace, holdout_days: u32) -> Result<WorkspaceEvaluation> {
    let (tx, end) = transactions(ws)?;
    let start = tx.iter().map(|t| t.day).min().unwrap_or(0);
    let calibration_end = end - i64::from(holdout_days);
    if holdout_days == 0 || calibration_end - start < 2 * i64::from(holdout_days).min(28) {
        return Err(Error::BadSetting {
            key: "holdout-days".into(),
            value: holdout_days.to_string(),
            hint: format!(
                "the orders span {} days; choose a positive holdout that leaves a calibration period at least as long",
                end - start + 1
            ),
        });
    }
    let data: Vec<CustomerSummary> = summarize(&tx, calibration_end, end, TimeUnit::Weeks);
    let (bg, bg_report) = BgNbd::fit(&data)?;
    let (pn, pn_report) = ParetoNbd::fit(&data)?;
    let weeks = f64::from(holdout_days) / 7.0;
    let bgnbd_holdout = evaluate_holdout(&bg, &data, weeks, 7);
    let pareto_nbd_holdout = evaluate_holdout(&pn, &data, weeks, 7);
    for (model, e) in [
        ("BG/NBD", &bgnbd_holdout),
        ("Pareto/NBD", &pareto_nbd_holdout),
    ] {
        if !e.predicted_total.is_finite() {
            return Err(Error::Clv(recur_clv::Error::NotIdentifiable {
                reason: format!(
                    "the {model} fit on the calibration period cannot predict the holdout (its parameters leave the model's domain: {bg:?})"
                ),
                hint: "the data do not identify the model; use a longer calibration period (a smaller --holdout-days) or more customers with repeat purchases",
            }));
        }
    }
    Ok(WorkspaceEvaluation {
        calibration_end: iso_day(calibration_end),
        observation_end: iso_day(end),
        bgnbd_holdout,
        pareto_nbd_holdout,
        tracking: cumulative_tracking(&bg, &tx, start, calibration_end, end, TimeUnit::Weeks),
        bgnbd: bg_report,
        pareto_nbd: pn_report,
    })
}
