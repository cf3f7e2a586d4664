//! The analytics report: overview, repurchase rate, RFM segments, cohorts and inter-purchase
//! times as tables; one customer's profile; the report's tables as CSV rows.

use std::fmt::Write as _;

use comfy_table::{Table as Grid, presets::UTF8_FULL_CONDENSED};
use recur_engine::prelude::{Profile, Report};

use super::{grid, pct};

/// The whole report as text tables.
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
            seg.segment.to_string(),
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

/// One customer's RFM profile.
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

/// One CSV file of the report: its file name and its rows, the header first.
pub(crate) struct CsvTable {
    pub(crate) name: &'static str,
    pub(crate) rows: Vec<Vec<String>>,
}

/// The report's tables as CSV rows, one file each (`--format csv`).
pub(crate) fn report_tables(r: &Report) -> Vec<CsvTable> {
    let mut tables = Vec::new();
    let mut emit = |name: &'static str, header: &[&str], rows: Vec<Vec<String>>| {
        let mut all: Vec<Vec<String>> = vec![header.iter().map(|h| (*h).to_owned()).collect()];
        all.extend(rows);
        tables.push(CsvTable { name, rows: all });
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
    );
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
    );
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
                    s.segment.to_string(),
                    s.customers.to_string(),
                    s.share.to_string(),
                    s.revenue.to_string(),
                    s.revenue_share.to_string(),
                    s.avg_recency_days.to_string(),
                    s.avg_orders.to_string(),
                ]
            })
            .collect(),
    );
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
    );
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
    );
    tables
}
