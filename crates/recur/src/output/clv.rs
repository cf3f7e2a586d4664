//! Customer value: fitted parameters, customer scores, and the calibration/holdout
//! evaluations (CDNOW reference and workspace).

use std::fmt::Write as _;

use super::{grid, pct};

/// The CDNOW reference evaluation: fits against the published values, holdout and tracking.
pub(crate) fn cdnow_text(e: &recur_bench::CdnowEvaluation) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "CDNOW sample, 39-week calibration, fitted from raw transactions (CDNOW_sample.txt):"
    );
    for (name, m) in [
        ("BG/NBD", &e.bgnbd),
        ("Pareto/NBD", &e.pareto_nbd),
        ("Gamma-Gamma", &e.gamma_gamma),
    ] {
        let _ = writeln!(
            s,
            "\n{name} ({} customers){}",
            m.customers,
            if m.within_1pct {
                ""
            } else {
                "  -- NOT within 1% of the published values"
            }
        );
        let mut g = grid(&[
            "parameter",
            "fitted",
            "std. error",
            "published",
            "relative error",
        ]);
        for (k, v) in &m.params {
            let published = m
                .published
                .get(k)
                .map(|p| format!("{p}"))
                .unwrap_or_default();
            let rel = m.relative_error.get(k).map(|r| pct(*r)).unwrap_or_default();
            g.add_row(vec![
                (*k).to_owned(),
                format!("{v:.4}"),
                estimate(m.std_errors.get(k).copied().unwrap_or(f64::NAN)),
                published,
                rel,
            ]);
        }
        if let Some(p) = m.published.get("log_likelihood") {
            g.add_row(vec![
                "log-likelihood".to_owned(),
                format!("{:.1}", m.log_likelihood),
                String::new(),
                format!("{p}"),
                m.relative_error
                    .get("log_likelihood")
                    .map(|r| pct(*r))
                    .unwrap_or_default(),
            ]);
        }
        let _ = writeln!(s, "{g}");
    }
    let c = &e.summary_check;
    let _ = writeln!(
        s,
        "\nSummary from transactions vs cdnow_customers_summary.csv: {} vs {} customers, frequency equal for {}, max |recency diff| {:.3} weeks, max |T diff| {:.3} weeks",
        c.customers_from_transactions,
        c.customers_in_summary_file,
        c.frequency_equal,
        c.max_recency_diff,
        c.max_t_diff
    );
    let _ = writeln!(
        s,
        "Frequency/spend correlation among repeat buyers: {:.3} (Gamma-Gamma assumes independence)",
        e.frequency_spend_correlation
    );
    let _ = writeln!(
        s,
        "\nCustomers by repeat purchases in calibration: actual vs BG/NBD expected"
    );
    let mut g = grid(&["repeat purchases", "actual", "BG/NBD"]);
    for b in &e.calibration_frequency {
        g.add_row(vec![
            b.repeat_purchases.clone(),
            format!("{:.0}", b.actual),
            format!("{:.1}", b.bgnbd),
        ]);
    }
    let _ = writeln!(s, "{g}");
    s.push_str(&holdout_text(&[
        ("BG/NBD", &e.holdout.bgnbd),
        ("Pareto/NBD", &e.holdout.pareto_nbd),
    ]));
    let _ = writeln!(
        s,
        "\nCumulative repeat purchases (every 13th week; --json has all {}):",
        e.tracking.len()
    );
    let mut g = grid(&["week", "period", "actual", "BG/NBD", "Pareto/NBD"]);
    for w in e
        .tracking
        .iter()
        .filter(|w| w.week % 13 == 0 || w.week as usize == e.tracking.len())
    {
        g.add_row(vec![
            w.week.to_string(),
            if w.holdout { "holdout" } else { "calibration" }.to_owned(),
            format!("{:.0}", w.actual),
            format!("{:.1}", w.bgnbd),
            format!("{:.1}", w.pareto_nbd),
        ]);
    }
    let _ = writeln!(s, "{g}");
    s
}

/// Holdout accuracy of one or more models: totals, per-customer errors and the
/// conditional-expectation table by calibration frequency.
fn holdout_text(models: &[(&str, &recur_engine::prelude::HoldoutEvaluation)]) -> String {
    let mut s = String::new();
    let Some((_, first)) = models.first() else {
        return s;
    };
    let _ = writeln!(
        s,
        "\nHoldout ({:.1} weeks, {} customers): repeat purchases predicted from calibration vs actual",
        first.holdout_length, first.customers
    );
    let mut header = vec!["".to_owned()];
    header.extend(models.iter().map(|(n, _)| (*n).to_owned()));
    let mut g = grid(&header.iter().map(String::as_str).collect::<Vec<_>>());
    g.add_row(
        std::iter::once("actual total".to_owned())
            .chain(models.iter().map(|(_, m)| format!("{:.0}", m.actual_total)))
            .collect::<Vec<_>>(),
    );
    for (label, f) in [
        (
            "predicted total",
            (|m: &recur_engine::prelude::HoldoutEvaluation| format!("{:.1}", m.predicted_total))
                as fn(&_) -> String,
        ),
        ("per-customer MAE", |m| format!("{:.3}", m.mae)),
        ("per-customer RMSE", |m| format!("{:.3}", m.rmse)),
        ("AUC (buys again)", |m| format!("{:.3}", m.auc)),
    ] {
        g.add_row(
            std::iter::once(label.to_owned())
                .chain(models.iter().map(|(_, m)| f(m)))
                .collect::<Vec<_>>(),
        );
    }
    let _ = writeln!(s, "{g}");
    let _ = writeln!(
        s,
        "Mean holdout purchases by calibration repeat purchases (conditional expectations):"
    );
    let mut header = vec![
        "repeat purchases".to_owned(),
        "customers".to_owned(),
        "actual".to_owned(),
    ];
    header.extend(models.iter().map(|(n, _)| (*n).to_owned()));
    let mut g = grid(&header.iter().map(String::as_str).collect::<Vec<_>>());
    for (i, b) in first.by_frequency.iter().enumerate() {
        let mut row = vec![
            b.frequency.clone(),
            b.customers.to_string(),
            format!("{:.2}", b.actual),
        ];
        row.extend(
            models
                .iter()
                .map(|(_, m)| format!("{:.2}", m.by_frequency[i].predicted)),
        );
        g.add_row(row);
    }
    let _ = writeln!(s, "{g}");
    s
}

/// The workspace's calibration/holdout evaluation.
pub(crate) fn workspace_eval_text(e: &recur_engine::WorkspaceEvaluation) -> String {
    let mut s = format!(
        "Calibration up to {}, holdout to {} (weeks).\n",
        e.calibration_end, e.observation_end
    );
    s.push_str(&fits_text(&[
        ("BG/NBD (calibration)", &e.bgnbd),
        ("Pareto/NBD (calibration)", &e.pareto_nbd),
    ]));
    s.push_str(&holdout_text(&[
        ("BG/NBD", &e.bgnbd_holdout),
        ("Pareto/NBD", &e.pareto_nbd_holdout),
    ]));
    if let Some(last) = e.tracking.last() {
        let _ = writeln!(
            s,
            "Cumulative repeat purchases by week {}: actual {:.0}, BG/NBD {:.1} (--json has every week)",
            last.period, last.actual, last.predicted
        );
    }
    s
}

/// A parameter or standard error with four decimals, or in scientific notation when that would
/// print a small non-zero value as 0.0000; `n/a` when it cannot be given.
fn estimate(v: f64) -> String {
    if !v.is_finite() {
        "n/a".to_owned()
    } else if v != 0.0 && v.abs() < 5e-5 {
        format!("{v:.2e}")
    } else {
        format!("{v:.4}")
    }
}

/// Fitted parameters with standard errors, one table per model; parameters the data do not
/// identify get no standard error and a note in words.
pub(crate) fn fits_text(fits: &[(&str, &recur_engine::prelude::FitReport)]) -> String {
    let mut s = String::new();
    for (name, f) in fits {
        let _ = writeln!(
            s,
            "{name}: {} customers, log-likelihood {:.2}, {} iterations",
            f.customers, f.log_likelihood, f.iterations
        );
        let mut g = grid(&["parameter", "estimate", "std. error"]);
        for ((n, v), se) in f.names.iter().zip(&f.params).zip(&f.std_errors) {
            g.add_row(vec![(*n).to_owned(), estimate(*v), estimate(*se)]);
        }
        let _ = writeln!(s, "{g}");
        if f.at_bound.is_empty() {
            if f.std_errors.iter().any(|se| !se.is_finite()) {
                let _ = writeln!(
                    s,
                    "  note: some standard errors cannot be computed (the likelihood is flat there): read those estimates as uncertain"
                );
            }
            continue;
        }
        let named = f.at_bound.join(", ");
        if f.names.contains(&"a") && f.at_bound.contains(&"a") {
            let (a, b) = (f.params[2], f.params[3]);
            let _ = writeln!(
                s,
                "  note: {named} are not identified: the fit finds almost no dropout (mean chance of leaving after a purchase a/(a+b) = {}), so P(alive) is about 1 for everyone and the predictions are those of the NBD without dropout (r, alpha); the holdout comparison shows how well that does. No standard error is given for {named}.",
                estimate(a / (a + b))
            );
        } else {
            let _ = writeln!(
                s,
                "  note: {named} reached the search bound (e^7): the data do not identify {}; for Pareto/NBD this means one dropout rate for all customers (s/beta). No standard error is given for {named}.",
                if f.at_bound.len() == 1 { "it" } else { "them" }
            );
        }
    }
    s
}

/// Customer scores as one table.
pub(crate) fn values_text(values: &[recur_engine::CustomerValue]) -> String {
    let mut g = grid(&[
        "customer",
        "repeat purchases",
        "weeks since last",
        "P(alive)",
        "purchases next 90d",
        "expected spend",
        "CLV 12 months",
    ]);
    for c in values {
        g.add_row(vec![
            c.customer_id.to_string(),
            format!("{:.0}", c.repeat_purchases),
            format!("{:.0}", c.weeks_since_last_purchase),
            pct(c.p_alive),
            format!("{:.2}", c.expected_purchases_90d),
            format!("{:.2}", c.expected_spend),
            format!("{:.2}", c.clv_12m),
        ]);
    }
    format!("{g}\n")
}

/// One customer's value, as lines under the profile.
pub(crate) fn value_lines(v: &recur_engine::CustomerValue) -> String {
    format!(
        "  P(alive):              {}\n  expected orders in 90 days: {:.2}\n  CLV (12 months):       {:.2}\n",
        pct(v.p_alive),
        v.expected_purchases_90d,
        v.clv_12m
    )
}
