//! The demo's summary: imports, the shop at a glance, segments, customers at risk, the
//! behaviour model and the campaign loop; and the same as one JSON document.

use std::fmt::Write as _;

use recur_engine::{
    DemoOutcome, LIKELY_GONE_P_ALIVE, WIN_BACK_SEGMENTS, likely_gone, mean_cohort_retention,
    repeat_categories, win_back_audience,
};

use super::{grid, pct};

/// The demo's outcome as text.
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
    let _ = writeln!(
        s,
        "  On average {} of a monthly cohort buys again the next month, {} in month 3.",
        pct(mean_cohort_retention(&r.cohorts, 1)),
        pct(mean_cohort_retention(&r.cohorts, 3))
    );
    let _ = writeln!(
        s,
        "  Median time between orders: {:.0} days.",
        r.inter_purchase.overall.median
    );
    let cycles = repeat_categories(&r.inter_purchase.by_category, 5);
    if !cycles.is_empty() {
        let _ = writeln!(
            s,
            "\nWhat comes back, and when (categories bought again most often):"
        );
        for c in &cycles {
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
            seg.segment.to_string(),
            seg.customers.to_string(),
            pct(seg.share),
            format!("{:.0}", seg.revenue),
            pct(seg.revenue_share),
        ]);
    }
    let _ = writeln!(s, "{g}");
    let risk = win_back_audience(&r.rfm_segments, o.revenue);
    let _ = writeln!(
        s,
        "  {} customers in {} brought {:.0} {cur} ({}) and have not ordered for a while: the first audience for a win-back campaign.",
        risk.customers,
        WIN_BACK_SEGMENTS
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" / "),
        risk.revenue,
        pct(risk.revenue_share)
    );
    match &d.value {
        Ok(v) => {
            let gone = likely_gone(&v.customers);
            let _ = writeln!(
                s,
                "\nValuable customers at risk (BG/NBD P(alive) below {:.0}%, ranked by yearly value at risk):",
                LIKELY_GONE_P_ALIVE * 100.0
            );
            let mut g = grid(&[
                "customer",
                "repeat purchases",
                "weeks since last",
                "P(alive)",
                "expected spend",
                "value at risk / year",
            ]);
            for c in gone.customers.iter().take(10) {
                g.add_row(vec![
                    c.customer_id.to_string(),
                    format!("{:.0}", c.repeat_purchases),
                    format!("{:.0}", c.weeks_since_last_purchase),
                    pct(c.p_alive),
                    format!("{:.0}", c.expected_spend),
                    format!("{:.0}", c.value_at_risk),
                ]);
            }
            let _ = writeln!(s, "{g}");
            let _ = writeln!(
                s,
                "  {} customers are more likely gone than not; together {:.0} {cur} a year at risk.",
                gone.customers.len(),
                gone.value_at_risk
            );
        }
        Err(e) => {
            let _ = writeln!(s, "\nCustomer value could not be estimated: {e}");
        }
    }
    match &d.recommendations {
        Ok(r) => s.push_str(&super::recs::demo_recommendations_text(r)),
        Err(e) => {
            let _ = writeln!(s, "\nThe behaviour model could not run: {e}");
        }
    }
    match &d.campaign {
        Some(Ok(c)) => s.push_str(&super::campaign::campaign_demo_text(c, &cur)),
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
