//! Human and machine renderings of command results.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use comfy_table::{Table as Grid, presets::UTF8_FULL_CONDENSED};
use recur_engine::model::SuiteReport;
use recur_engine::prelude::{ImportReport, Profile, Report};
use recur_engine::{CustomerRecommendations, DemoOutcome, DemoRecommendations};

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn grid(header: &[&str]) -> Grid {
    let mut g = Grid::new();
    g.load_preset(UTF8_FULL_CONDENSED);
    g.set_header(header.iter().copied());
    g
}

pub(crate) fn import_json(r: &ImportReport) -> Result<String> {
    let a = &r.accounting;
    let doc = serde_json::json!({
        "import_id": r.import_id,
        "table": r.table,
        "source": r.source,
        "already_imported": r.already_imported,
        "read": a.read,
        "imported": a.imported,
        "quarantined": a.quarantined,
        "duplicates": a.duplicates,
        "balanced": a.is_balanced(),
        "by_reason": a.by_reason,
        "flags": a.flags,
        "blank_lines": a.blank_lines,
        "quarantine_file": r.quarantine_file,
        "files_written": r.files_written,
        "seconds": r.seconds,
    });
    Ok(serde_json::to_string_pretty(&doc)?)
}

pub(crate) fn import_text(r: &ImportReport) -> String {
    let mut s = String::new();
    if r.already_imported {
        let _ = writeln!(
            s,
            "`{}` was already imported into `{}` as {} (same SHA-256); nothing changed. Its accounting:",
            r.source, r.table, r.import_id
        );
    } else {
        let _ = writeln!(
            s,
            "Imported `{}` into `{}` as {} in {:.2} s:",
            r.source, r.table, r.import_id, r.seconds
        );
    }
    let _ = writeln!(s, "{}", r.accounting);
    if let Some(q) = &r.quarantine_file {
        let _ = writeln!(
            s,
            "Quarantined rows (file, line, column, reason, raw row): {}",
            q.display()
        );
    }
    s
}

pub(crate) fn report_text(r: &Report) -> String {
    let mut s = String::new();
    let o = &r.overview;
    let _ = writeln!(s, "Overview");
    let _ = writeln!(
        s,
        "  {} customers, {} orders, revenue {:.2} {}",
        o.customers,
        o.orders,
        o.revenue,
        o.currencies.join("/")
    );
    let _ = writeln!(s, "  orders from {} to {}", o.first_order, o.last_order);
    let statuses = o
        .lines_by_status
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        s,
        "  order lines: {statuses}; without customer id: {}",
        o.anonymous_lines
    );
    let rr = &r.repurchase_rate;
    let _ = writeln!(s, "\nRepurchase rate\n  {}", rr.definition);
    let mut g = grid(&["within", "eligible customers", "bought again", "rate"]);
    for w in &rr.windows {
        g.add_row(vec![
            format!("{} days", w.days),
            w.eligible_customers.to_string(),
            w.repurchasers.to_string(),
            pct(w.rate),
        ]);
    }
    let _ = writeln!(s, "{g}");
    let _ = writeln!(
        s,
        "  customers with 2+ orders: {} of {} ({})",
        rr.customers_with_2plus_orders,
        rr.customers,
        pct(rr.share_with_2plus_orders)
    );
    let _ = writeln!(
        s,
        "\nRFM segments (rank-based quintiles of recency, frequency, monetary)"
    );
    let mut g = grid(&[
        "segment",
        "customers",
        "share",
        "revenue",
        "revenue share",
        "avg days since order",
        "avg orders",
    ]);
    for seg in &r.rfm_segments {
        g.add_row(vec![
            seg.segment.clone(),
            seg.customers.to_string(),
            pct(seg.share),
            format!("{:.0}", seg.revenue),
            pct(seg.revenue_share),
            format!("{:.0}", seg.avg_recency_days),
            format!("{:.1}", seg.avg_orders),
        ]);
    }
    let _ = writeln!(s, "{g}");
    let months = r
        .cohorts
        .iter()
        .map(|c| c.retention.len())
        .max()
        .unwrap_or(1)
        .min(13);
    let _ = writeln!(
        s,
        "\nMonthly cohort retention (share of the cohort ordering in month +k)"
    );
    let mut header: Vec<String> = vec!["cohort".into(), "customers".into()];
    header.extend((1..months).map(|k| format!("+{k}")));
    let mut g = Grid::new();
    g.load_preset(UTF8_FULL_CONDENSED);
    g.set_header(header);
    for c in &r.cohorts {
        let mut row = vec![c.cohort.clone(), c.customers.to_string()];
        row.extend((1..months).map(|k| {
            c.retention
                .get(k)
                .map(|v| format!("{:.0}%", v * 100.0))
                .unwrap_or_default()
        }));
        g.add_row(row);
    }
    let _ = writeln!(s, "{g}");
    let d = &r.inter_purchase.overall;
    let _ = writeln!(
        s,
        "\nDays between orders: {} gaps, median {:.0}, mean {:.0}, p10 {:.0}, p25 {:.0}, p75 {:.0}, p90 {:.0}",
        d.count, d.median, d.mean, d.p10, d.p25, d.p75, d.p90
    );
    let mut g = grid(&[
        "category",
        "buyers",
        "bought again",
        "median days between",
        "p25",
        "p75",
    ]);
    for c in &r.inter_purchase.by_category {
        let days = |v: f64| {
            if c.gaps.count == 0 {
                "-".to_owned()
            } else {
                format!("{v:.0}")
            }
        };
        g.add_row(vec![
            c.category.clone(),
            c.buyers.to_string(),
            pct(c.repeat_share),
            days(c.gaps.median),
            days(c.gaps.p25),
            days(c.gaps.p75),
        ]);
    }
    let _ = writeln!(s, "{g}");
    s
}

pub(crate) fn profile_text(p: &Profile) -> String {
    let mut s = String::new();
    let c = &p.score;
    let _ = writeln!(s, "Customer {}", c.customer_id);
    let _ = writeln!(
        s,
        "  segment:               {} (R{} F{} M{})",
        c.segment, c.r, c.f, c.m
    );
    let _ = writeln!(s, "  orders:                {}", c.frequency);
    let _ = writeln!(s, "  revenue:               {:.2}", c.monetary);
    let _ = writeln!(
        s,
        "  first / last order:    {} / {}",
        p.first_order, p.last_order
    );
    let _ = writeln!(s, "  days since last order: {:.0}", p.days_since_last_order);
    let cats = p
        .favourite_categories
        .iter()
        .map(|c| format!("{} ({} orders)", c.category, c.orders))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(s, "  favourite categories:  {cats}");
    s
}

fn write_file(path: &Path, rows: Vec<Vec<String>>) -> Result<()> {
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("creating {}", path.display()))?;
    for r in rows {
        w.write_record(&r)?;
    }
    w.flush()?;
    Ok(())
}

pub(crate) fn write_csv(r: &Report, out: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut files = Vec::new();
    let mut emit = |name: &str, header: &[&str], rows: Vec<Vec<String>>| -> Result<()> {
        let path = out.join(name);
        let mut all = vec![header.iter().map(|h| (*h).to_owned()).collect()];
        all.extend(rows);
        write_file(&path, all)?;
        files.push(path);
        Ok(())
    };
    emit(
        "repurchase_rate.csv",
        &["days", "eligible_customers", "repurchasers", "rate"],
        r.repurchase_rate
            .windows
            .iter()
            .map(|w| {
                vec![
                    w.days.to_string(),
                    w.eligible_customers.to_string(),
                    w.repurchasers.to_string(),
                    w.rate.to_string(),
                ]
            })
            .collect(),
    )?;
    emit(
        "cohorts.csv",
        &[
            "cohort",
            "month_offset",
            "cohort_customers",
            "active_customers",
            "retention",
        ],
        r.cohorts
            .iter()
            .flat_map(|c| {
                c.active
                    .iter()
                    .zip(&c.retention)
                    .enumerate()
                    .map(move |(k, (a, v))| {
                        vec![
                            c.cohort.clone(),
                            k.to_string(),
                            c.customers.to_string(),
                            a.to_string(),
                            v.to_string(),
                        ]
                    })
            })
            .collect(),
    )?;
    emit(
        "rfm_segments.csv",
        &[
            "segment",
            "customers",
            "share",
            "revenue",
            "revenue_share",
            "avg_recency_days",
            "avg_orders",
        ],
        r.rfm_segments
            .iter()
            .map(|s| {
                vec![
                    s.segment.clone(),
                    s.customers.to_string(),
                    s.share.to_string(),
                    s.revenue.to_string(),
                    s.revenue_share.to_string(),
                    s.avg_recency_days.to_string(),
                    s.avg_orders.to_string(),
                ]
            })
            .collect(),
    )?;
    emit(
        "inter_purchase_histogram.csv",
        &["from_days", "to_days", "count"],
        r.inter_purchase
            .overall
            .histogram
            .iter()
            .map(|b| {
                vec![
                    b.from_days.to_string(),
                    b.to_days.map(|t| t.to_string()).unwrap_or_default(),
                    b.count.to_string(),
                ]
            })
            .collect(),
    )?;
    emit(
        "category_cycles.csv",
        &[
            "category",
            "buyers",
            "repeat_share",
            "gaps",
            "p25_days",
            "median_days",
            "p75_days",
        ],
        r.inter_purchase
            .by_category
            .iter()
            .map(|c| {
                vec![
                    c.category.clone(),
                    c.buyers.to_string(),
                    c.repeat_share.to_string(),
                    c.gaps.count.to_string(),
                    c.gaps.p25.to_string(),
                    c.gaps.median.to_string(),
                    c.gaps.p75.to_string(),
                ]
            })
            .collect(),
    )?;
    Ok(files)
}

pub(crate) fn demo_text(d: &DemoOutcome) -> String {
    let r = &d.report;
    let o = &r.overview;
    let rr = &r.repurchase_rate;
    let cur = o.currencies.join("/");
    let mut s = String::new();
    let _ = writeln!(s, "\nrecur demo — workspace {}\n", d.workspace.display());
    let _ = writeln!(s, "Data imported (every row accounted for):");
    let mut g = grid(&[
        "table",
        "read",
        "imported",
        "quarantined",
        "duplicates",
        "note",
    ]);
    for i in &d.imports {
        let a = &i.accounting;
        let note = if i.already_imported {
            format!("already imported as {}", i.import_id)
        } else {
            String::new()
        };
        g.add_row(vec![
            i.table.clone(),
            a.read.to_string(),
            a.imported.to_string(),
            a.quarantined.to_string(),
            a.duplicates.to_string(),
            note,
        ]);
    }
    let _ = writeln!(s, "{g}");
    let _ = writeln!(
        s,
        "\nThe shop at a glance ({} to {}):",
        o.first_order, o.last_order
    );
    let _ = writeln!(
        s,
        "  {} customers placed {} orders worth {:.0} {cur}.",
        o.customers, o.orders, o.revenue
    );
    let _ = writeln!(
        s,
        "  {} of first-time buyers ordered again within {} days; {} of customers have 2+ orders.",
        pct(rr.rate),
        rr.days,
        pct(rr.share_with_2plus_orders)
    );
    let m1: Vec<f64> = r
        .cohorts
        .iter()
        .filter_map(|c| c.retention.get(1).copied())
        .collect();
    let m3: Vec<f64> = r
        .cohorts
        .iter()
        .filter_map(|c| c.retention.get(3).copied())
        .collect();
    let avg = |v: &[f64]| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let _ = writeln!(
        s,
        "  On average {} of a monthly cohort buys again the next month, {} in month 3.",
        pct(avg(&m1)),
        pct(avg(&m3))
    );
    let _ = writeln!(
        s,
        "  Median time between orders: {:.0} days.",
        r.inter_purchase.overall.median
    );
    let mut cycles: Vec<_> = r
        .inter_purchase
        .by_category
        .iter()
        .filter(|c| c.gaps.count >= 20)
        .collect();
    cycles.sort_by(|a, b| b.repeat_share.total_cmp(&a.repeat_share));
    if !cycles.is_empty() {
        let _ = writeln!(
            s,
            "\nWhat comes back, and when (categories bought again most often):"
        );
        for c in cycles.iter().take(5) {
            let _ = writeln!(
                s,
                "  {:<32} {} of buyers buy again, typically after {:.0} days",
                c.category,
                pct(c.repeat_share),
                c.gaps.median
            );
        }
    }
    let _ = writeln!(s, "\nWho to look after (RFM segments):");
    let mut g = grid(&["segment", "customers", "share", "revenue", "revenue share"]);
    for seg in r.rfm_segments.iter().filter(|s| s.customers > 0) {
        g.add_row(vec![
            seg.segment.clone(),
            seg.customers.to_string(),
            pct(seg.share),
            format!("{:.0}", seg.revenue),
            pct(seg.revenue_share),
        ]);
    }
    let _ = writeln!(s, "{g}");
    let risk: Vec<_> = r
        .rfm_segments
        .iter()
        .filter(|s| matches!(s.segment.as_str(), "At Risk" | "Can't Lose Them"))
        .collect();
    let risk_c: u64 = risk.iter().map(|s| s.customers).sum();
    let risk_r: f64 = risk.iter().map(|s| s.revenue).sum();
    let _ = writeln!(
        s,
        "  {risk_c} customers in At Risk / Can't Lose Them brought {risk_r:.0} {cur} ({}) and have not ordered for a while: the first audience for a win-back campaign.",
        pct(if o.revenue > 0.0 {
            risk_r / o.revenue
        } else {
            0.0
        })
    );
    match &d.value {
        Ok(v) => {
            let mut top: Vec<_> = v.customers.iter().filter(|c| c.p_alive < 0.5).collect();
            top.sort_by(|a, b| b.value_at_risk.total_cmp(&a.value_at_risk));
            let _ = writeln!(
                s,
                "\nValuable customers at risk (BG/NBD P(alive) below 50%, ranked by yearly value at risk):"
            );
            let mut g = grid(&[
                "customer",
                "repeat purchases",
                "weeks since last",
                "P(alive)",
                "expected spend",
                "value at risk / year",
            ]);
            for c in top.iter().take(10) {
                g.add_row(vec![
                    c.customer_id.clone(),
                    format!("{:.0}", c.repeat_purchases),
                    format!("{:.0}", c.weeks_since_last_purchase),
                    pct(c.p_alive),
                    format!("{:.0}", c.expected_spend),
                    format!("{:.0}", c.value_at_risk),
                ]);
            }
            let _ = writeln!(s, "{g}");
            let total: f64 = top.iter().map(|c| c.value_at_risk).sum();
            let _ = writeln!(
                s,
                "  {} customers are more likely gone than not; together {total:.0} {cur} a year at risk.",
                top.len()
            );
        }
        Err(e) => {
            let _ = writeln!(s, "\nCustomer value could not be estimated: {e}");
        }
    }
    match &d.recommendations {
        Ok(r) => s.push_str(&demo_recommendations_text(r)),
        Err(e) => {
            let _ = writeln!(s, "\nThe behaviour model could not run: {e}");
        }
    }
    match &d.campaign {
        Some(Ok(c)) => s.push_str(&campaign_demo_text(c, &cur)),
        Some(Err(e)) => {
            let _ = writeln!(s, "\nThe campaign loop could not run: {e}");
        }
        None => {}
    }
    let _ = writeln!(s, "\nReport with charts: {}", d.html.display());
    if let Some(gt) = &d.ground_truth {
        let _ = writeln!(
            s,
            "Ground truth of the synthetic shop (for later evaluation): {}",
            gt.display()
        );
    }
    let _ = writeln!(
        s,
        "Explore further: recur --workspace {} analyze   |   analyze --customer ID   |   analyze --json",
        d.workspace.display()
    );
    s
}

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
                format!("{:.4}", m.std_errors.get(k).copied().unwrap_or(f64::NAN)),
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
            g.add_row(vec![(*n).to_owned(), format!("{v:.4}"), format!("{se:.4}")]);
        }
        let _ = writeln!(s, "{g}");
        if !f.at_bound.is_empty() {
            let _ = writeln!(
                s,
                "  note: {} reached the search bound (e^7): the data do not identify {}; for Pareto/NBD this means one dropout rate for all customers (s/beta)",
                f.at_bound.join(", "),
                if f.at_bound.len() == 1 { "it" } else { "them" }
            );
        }
    }
    s
}

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
            c.customer_id.clone(),
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

pub(crate) fn value_lines(v: &recur_engine::CustomerValue) -> String {
    format!(
        "  P(alive):              {}\n  expected orders in 90 days: {:.2}\n  CLV (12 months):       {:.2}\n",
        pct(v.p_alive),
        v.expected_purchases_90d,
        v.clv_12m
    )
}

pub(crate) fn hillstrom_text(r: &recur_engine::prelude::HillstromReport) -> String {
    let mut s = format!(
        "Hillstrom e-mail experiment: {} customers randomised to a men's e-mail, a women's e-mail or none.\n\nRandomised effects vs no e-mail ({:.0}% intervals):\n",
        r.customers,
        r.confidence * 100.0
    );
    let mut g = grid(&[
        "e-mail",
        "outcome",
        "treated",
        "no e-mail",
        "effect",
        "interval",
    ]);
    for (arm, a) in [("men's", &r.mens), ("women's", &r.womens)] {
        for (name, e, scale, unit) in [
            ("visit rate", &a.visit, 100.0, " pts"),
            ("conversion rate", &a.conversion, 100.0, " pts"),
            ("spend per customer", &a.spend, 1.0, " $"),
        ] {
            g.add_row(vec![
                arm.to_owned(),
                name.to_owned(),
                format!("{:.3}", e.treated_mean * scale),
                format!("{:.3}", e.control_mean * scale),
                format!("{:+.3}{unit}", e.effect * scale),
                format!("{:+.3} .. {:+.3}", e.ci_low * scale, e.ci_high * scale),
            ]);
        }
    }
    let _ = writeln!(s, "{g}");
    let _ = writeln!(
        s,
        "\nTargeting 30% of the held-out customers (stratified 30% of each arm and the control; {} bootstrap resamples):",
        r.bootstrap_replicates
    );
    let mut g = grid(&[
        "e-mail",
        "outcome",
        "by predicted uplift",
        "interval",
        "at random",
        "interval",
    ]);
    let est = |e: &recur_engine::prelude::TargetingComparison, k: u8| {
        let v = if k == 0 { e.uplift } else { e.random };
        (
            format!("{:.1}", v.estimate),
            format!("{:.1} .. {:.1}", v.ci_low, v.ci_high),
        )
    };
    for (arm, a) in [("men's", &r.mens), ("women's", &r.womens)] {
        let t = &a.targeting;
        for (name, c) in [
            ("incremental visits", &t.visits),
            ("incremental conversions", &t.conversions),
            ("incremental spend ($)", &t.spend),
        ] {
            let (u, ui) = est(c, 0);
            let (rv, ri) = est(c, 1);
            g.add_row(vec![arm.to_owned(), name.to_owned(), u, ui, rv, ri]);
        }
    }
    let _ = writeln!(s, "{g}");
    for (arm, a) in [("men's", &r.mens), ("women's", &r.womens)] {
        let t = &a.targeting;
        let _ = writeln!(
            s,
            "  {arm}: Qini coefficient {:.5} (visits), {:.5} (conversions); trained on {} customers, tested on {}; model: {}",
            t.qini, t.qini_conversion, t.train_customers, t.test_customers, t.model
        );
    }
    let _ = writeln!(
        s,
        "  (Qini coefficient: area between the Qini curve and random targeting, both axes as shares of the customers.)"
    );
    s
}

/// `estimate [low, high]` with `decimals` digits.
fn with_interval(v: &[f64; 3], decimals: usize) -> String {
    format!(
        "{:.decimals$} [{:.decimals$}, {:.decimals$}]",
        v[0], v[1], v[2]
    )
}

fn campaign_demo_text(c: &recur_engine::CampaignDemo, cur: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nCampaign loop (win-back, 30-day goal, 20% randomised holdout; outcomes simulated from the shop's ground truth, 40% margin):"
    );
    let mut g = grid(&[
        "round",
        "treated",
        "holdout",
        "offers",
        "incremental buyers: measured [95% CI]",
        "true",
        "incremental profit: measured [95% CI]",
        "true",
    ]);
    for (name, r) in [("1 explore", &c.exploration), ("2 uplift", &c.targeted)] {
        let offers = r
            .plan
            .by_offer
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(o, n)| format!("{o}: {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let (buyers, profit) = match &r.lift.overall {
            Some(l) => (
                with_interval(&l.incremental_purchasers, 1),
                with_interval(&l.incremental_profit, 0),
            ),
            None => ("n/a".into(), "n/a".into()),
        };
        g.add_row(vec![
            name.to_owned(),
            r.plan.treated.to_string(),
            r.plan.holdout.to_string(),
            offers,
            buyers,
            format!("{:.1}", r.true_incremental_purchasers),
            profit,
            format!("{:.0}", r.true_incremental_profit),
        ]);
    }
    let _ = writeln!(s, "{g}");
    let excluded: Vec<String> = c
        .targeted
        .plan
        .excluded
        .iter()
        .map(|(why, n)| {
            format!(
                "{n} {}",
                serde_json::to_value(why)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
                    .replace('_', " ")
            )
        })
        .collect();
    let _ = writeln!(
        s,
        "  Round 2 left out: {} (profit in {cur}; sure things and sleeping dogs are not contacted).",
        excluded.join(", ")
    );
    let paths: Vec<String> = c
        .message_paths
        .iter()
        .map(|(p, n)| format!("{}: {n}", path_label(p)))
        .collect();
    let how = if c.llm_drafts > 0 {
        format!(
            "the first {} drafted by the local language model from the facts only, validated, retried with the validator's feedback, template otherwise; the rest validated templates",
            c.llm_drafts
        )
    } else {
        "validated templates; no local language model found (run scripts/setup-models)".to_owned()
    };
    let _ = writeln!(s, "  Messages: {} ({how}).", paths.join(", "));
    let sample = |s: &mut String, label: &str, m: &recur_engine::Outgoing| {
        let _ = writeln!(
            s,
            "  {label} ({}, offer {}):\n    Subject: {}\n    Preheader: {}\n    {}",
            m.customer_id,
            m.offer,
            m.message.subject,
            m.message.preheader,
            m.message.body.replace('\n', "\n    ")
        );
    };
    if let Some(m) = &c.sample_message {
        sample(&mut s, "Sample", m);
    }
    if let Some(m) = &c.llm_sample {
        sample(&mut s, "Written by the language model", m);
    }
    if let Some(f) = c.files.first().and_then(|f| f.parent()) {
        let _ = writeln!(
            s,
            "  ESP import files (Braze, Klaviyo, JSONL): {}",
            f.display()
        );
    }
    s
}

pub(crate) fn lift_text(r: &recur_engine::prelude::LiftReport) -> String {
    let mut s = format!(
        "Campaign {}: treated vs randomised holdout ({:.0}% intervals, margin {:.0}%){}\n",
        r.campaign,
        r.confidence * 100.0,
        r.margin * 100.0,
        if r.missing_outcomes > 0 {
            format!(
                "; {} customers without outcome counted as not buying",
                r.missing_outcomes
            )
        } else {
            String::new()
        }
    );
    let mut g = grid(&[
        "customers",
        "treated",
        "holdout",
        "repurchase rate: treated / holdout",
        "lift [CI]",
        "incremental buyers [CI]",
        "incremental profit [CI]",
    ]);
    let row = |name: &str, l: &recur_engine::prelude::Lift| {
        let e = &l.repurchase_rate;
        vec![
            name.to_owned(),
            e.treated.to_string(),
            e.control.to_string(),
            format!("{} / {}", pct(e.treated_mean), pct(e.control_mean)),
            format!(
                "{:+.1} pts [{:+.1}, {:+.1}]",
                e.effect * 100.0,
                e.ci_low * 100.0,
                e.ci_high * 100.0
            ),
            with_interval(&l.incremental_purchasers, 1),
            with_interval(&l.incremental_profit, 0),
        ]
    };
    if let Some(o) = &r.overall {
        g.add_row(row("all", o));
    }
    for (seg, l) in &r.by_segment {
        g.add_row(row(seg, l));
    }
    let _ = writeln!(s, "{g}");
    if r.overall.is_none() {
        let _ = writeln!(
            s,
            "Not enough customers in the treated or holdout group to compare (two each at least)."
        );
    }
    s
}

/// The transformer and the baselines side by side.
pub(crate) fn suite_text(r: &SuiteReport) -> String {
    let mut s = String::new();
    let mut g = grid(&[
        "model",
        "NDCG@10",
        "HR@10",
        "Recall@10",
        "validation NDCG@10",
        "train s",
        "score s",
    ]);
    for m in &r.models {
        g.add_row(vec![
            m.model.clone(),
            format!("{:.4}", m.ndcg),
            format!("{:.4}", m.hit_rate),
            format!("{:.4}", m.recall),
            format!("{:.4}", m.validation_ndcg),
            format!("{:.1}", m.train_seconds),
            format!("{:.1}", m.score_seconds),
        ]);
    }
    let _ = writeln!(
        s,
        "{} test customers, {} items ranked (full ranking), history items {}:",
        r.test_customers,
        r.items,
        match r.exclude {
            recur_engine::model::Exclude::Seen => "left out",
            recur_engine::model::Exclude::Nothing => "ranked too",
        }
    );
    let _ = writeln!(s, "{g}");
    if let Some(t) = &r.transformer {
        let _ = writeln!(
            s,
            "transformer: {} epochs in {:.0} s, best epoch {} ({:?})",
            t.epochs.len(),
            t.seconds,
            t.best_epoch,
            t.stopped
        );
    }
    let _ = writeln!(s, "best on validation: {}", r.best_on_validation);
    s
}

/// One customer's recommendations.
pub(crate) fn recommendations_text(r: &CustomerRecommendations) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "customer {} ({} events in history), ranked by {}{}",
        r.customer_id,
        r.history_events,
        r.model,
        r.p_purchase_90d
            .map(|p| format!("; P(purchase within 90 days) {:.0}%", p * 100.0))
            .unwrap_or_default()
    );
    let mut g = grid(&["#", "product", "title", "price", "score", "seen before"]);
    for (i, it) in r.items.iter().enumerate() {
        g.add_row(vec![
            (i + 1).to_string(),
            it.product_id.clone(),
            it.title.clone().unwrap_or_default(),
            it.price.map(|p| format!("{p:.2}")).unwrap_or_default(),
            format!("{:.3}", it.score),
            if it.seen_before { "yes" } else { "" }.to_owned(),
        ]);
    }
    let _ = writeln!(s, "{g}");
    s
}

fn demo_recommendations_text(r: &DemoRecommendations) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nBehaviour model: who wants what next (each customer's last order held out):"
    );
    s.push_str(&suite_text(&r.training.evaluation));
    let _ = writeln!(
        s,
        "\nRecommendations for the customers with the most value at risk (model: {}):",
        r.training.selection.chosen
    );
    for c in &r.at_risk {
        let items: Vec<String> = c
            .items
            .iter()
            .map(|i| i.title.clone().unwrap_or_else(|| i.product_id.clone()))
            .collect();
        let _ = writeln!(
            s,
            "  {}{}: {}",
            c.customer_id,
            c.p_purchase_90d
                .map(|p| format!(" (P(buys within 90 days) {:.0}%)", p * 100.0))
                .unwrap_or_default(),
            items.join("; ")
        );
    }
    s
}

/// How a message was written, as people read it (the engine's path names otherwise).
pub(crate) fn path_label(path: &str) -> &str {
    match path {
        "FirstDraft" => "model draft accepted",
        "Retried" => "model draft accepted after the validator's feedback",
        "Template" => "model drafts rejected, template used",
        "TemplateOnly" => "template",
        other => other,
    }
}
