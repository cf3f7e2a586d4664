//! The self-contained HTML report: charts drawn by Chart.js (inlined, works offline).
//!
//! `mod.rs` renders the page and the analytics; `sections.rs` holds the data of the sections
//! on customer value, the behaviour model and campaigns ([`ReportSections`], serialisable: the
//! page embeds it as JSON) and `build.rs` assembles it from the demo's stage results;
//! `html.rs` renders their headings and tables, `sections.js` their charts.

mod build;
mod html;
mod sections;

use recur_analytics::Report;
use recur_ingest::ImportRecord;

pub use sections::{
    BehaviourSection, Bin, CampaignSection, HoldoutCheck, ModelRow, OfferCount,
    PAIN_POINT_PRODUCTS, PathCount, ReportSections, ReportSummary, ReviewSection, RoundSection,
    SampleMessage, Section, TOP_AT_RISK, TransformerRun, ValueSection,
};

use crate::{CHART_JS, CHART_MATRIX_JS as MATRIX_JS};
const SECTIONS_JS: &str = include_str!("sections.js");

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// Makes JSON safe inside a `<script>` element: `<`, `>` and `&` (which JSON has only inside
/// strings) become `\u` escapes, so no text can close the element or open a comment.
fn script_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// Renders the report of the analytics alone as one HTML document with inline data, styles
/// and chart code (see [`render_report`] for the sections on value, model and campaigns).
pub fn render_html(title: &str, report: &Report, imports: &[ImportRecord]) -> String {
    render_report(title, report, imports, &ReportSections::default())
}

/// Renders the report as one HTML document with inline data, styles and chart code: the
/// analytics, then the `sections` present (customer value, behaviour model, campaigns; a
/// failed stage shows its error), then the imports.
pub fn render_report(
    title: &str,
    report: &Report,
    imports: &[ImportRecord],
    sections: &ReportSections,
) -> String {
    let o = &report.overview;
    let r = &report.repurchase_rate;
    let at_risk: f64 = report
        .rfm_segments
        .iter()
        .filter(|s| crate::WIN_BACK_SEGMENTS.contains(&s.segment))
        .map(|s| s.revenue)
        .sum();
    let currency = o.currencies.join("/");
    let kpis = [
        ("Customers", o.customers.to_string()),
        ("Orders", o.orders.to_string()),
        ("Revenue", format!("{:.0} {currency}", o.revenue)),
        (&*format!("Repurchase within {} days", r.days), pct(r.rate)),
        ("Customers with 2+ orders", pct(r.share_with_2plus_orders)),
        (
            "Median days between orders",
            format!("{:.0}", report.inter_purchase.overall.median),
        ),
        (
            "Revenue of At Risk + Can't Lose Them",
            format!("{at_risk:.0} {currency}"),
        ),
    ];
    let kpis = html::kpis(&kpis);
    let segments = report
        .rfm_segments
        .iter()
        .map(|s| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.0}</td><td>{}</td><td>{:.0}</td><td>{:.1}</td></tr>",
                esc(s.segment.as_str()), s.customers, pct(s.share), s.revenue, pct(s.revenue_share), s.avg_recency_days, s.avg_orders
            )
        })
        .collect::<String>();
    let categories = report
        .inter_purchase
        .by_category
        .iter()
        .map(|c| {
            let days = |v: f64| if c.gaps.count == 0 { "-".to_owned() } else { format!("{v:.0}") };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.category), c.buyers, pct(c.repeat_share), c.gaps.count, days(c.gaps.p25), days(c.gaps.median), days(c.gaps.p75)
            )
        })
        .collect::<String>();
    let accounting = imports
        .iter()
        .map(|i| {
            let a = &i.accounting;
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&i.id), esc(&i.table), esc(&i.source), a.read, a.imported, a.quarantined, a.duplicates
            )
        })
        .collect::<String>();
    let windows = r
        .windows
        .iter()
        .map(|w| {
            format!(
                "{} days: {} ({} of {})",
                w.days,
                pct(w.rate),
                w.repurchasers,
                w.eligible_customers
            )
        })
        .collect::<Vec<_>>()
        .join(" · ");
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2530}}
header{{background:#1d3557;color:#fff;padding:20px 32px}} header h1{{margin:0;font-size:22px}} header p{{margin:4px 0 0;opacity:.8}}
main{{padding:20px 32px;max-width:1200px}} section{{background:#fff;border-radius:8px;padding:16px 20px;margin:0 0 18px;box-shadow:0 1px 2px #0001}}
h2{{font-size:17px;margin:0 0 10px}} .kpis{{display:flex;flex-wrap:wrap;gap:12px}} .kpi{{background:#fff;border-radius:8px;padding:12px 16px;min-width:150px;box-shadow:0 1px 2px #0001}}
.kpi .v{{font-size:22px;font-weight:600}} .kpi .k{{font-size:12px;color:#5b6675}}
table{{border-collapse:collapse;width:100%;font-size:13px}} th,td{{text-align:right;padding:4px 8px;border-bottom:1px solid #e5e8ec}} th:first-child,td:first-child{{text-align:left}}
.note{{font-size:12px;color:#5b6675}} canvas{{max-height:420px}}
h3{{font-size:14px;margin:16px 0 6px}} .two{{display:grid;grid-template-columns:1fr 1fr;gap:16px;align-items:start}}
.error{{color:#9b2226;background:#fdecea;padding:8px 12px;border-radius:6px}} section .kpis{{margin:0 0 12px}}
.msg{{border:1px solid #e5e8ec;border-radius:6px;padding:8px 12px;margin:8px 0}} .msg pre{{white-space:pre-wrap;font-family:inherit;margin:6px 0 0}}
.sum{{text-align:left;min-width:260px}} .sum ul{{margin:0 0 4px;padding-left:16px}} .stale{{color:#9b2226}}
</style></head><body>
<header><h1>{title}</h1><p>Orders from {first} to {last} · reference date for recency: {last}</p></header>
<main>
{kpis}<br>
<section><h2>Repurchase</h2><p>{definition}</p><p class=note>{windows}</p></section>
<section><h2>Monthly cohort retention</h2><p class=note>Row: month of first order. Column: months since. Cell: share of the cohort that ordered in that month.</p><canvas id=cohorts></canvas></section>
<section><h2>RFM segments</h2><canvas id=segments></canvas>
<table><tr><th>Segment</th><th>Customers</th><th>Share</th><th>Revenue</th><th>Revenue share</th><th>Avg days since last order</th><th>Avg orders</th></tr>{segments}</table></section>
<section><h2>Days between orders</h2><p class=note>Gaps between consecutive orders of the same customer; the last bar is open-ended.</p><canvas id=gaps></canvas></section>
<section><h2>Repurchase cycle by category</h2><table><tr><th>Category</th><th>Buyers</th><th>Bought again</th><th>Gaps</th><th>P25 days</th><th>Median days</th><th>P75 days</th></tr>{categories}</table></section>
{extra}<section><h2>Imports</h2><table><tr><th>Import</th><th>Table</th><th>Source</th><th>Read</th><th>Imported</th><th>Quarantined</th><th>Duplicates</th></tr>{accounting}</table></section>
</main>
<script>{CHART_JS}</script>
<script>{MATRIX_JS}</script>
<script>
const R = {data};
const cohorts = R.cohorts;
const cells = [];
cohorts.forEach((c) => c.retention.forEach((v, k) => {{ if (k > 0) cells.push({{x: k, y: c.cohort, v: v, n: c.active[k]}}); }}));
const maxK = Math.max(1, ...cohorts.map(c => c.retention.length - 1));
const maxV = Math.max(0.01, ...cells.map(c => c.v));
new Chart(document.getElementById('cohorts'), {{
  type: 'matrix',
  data: {{ datasets: [{{ data: cells,
    backgroundColor: (ctx) => {{ const v = ctx.raw ? ctx.raw.v / maxV : 0; return `rgba(29,53,87,${{0.08 + 0.92 * v}})`; }},
    width: ({{chart}}) => (chart.chartArea || {{}}).width / maxK - 2,
    height: ({{chart}}) => (chart.chartArea || {{}}).height / Math.max(1, cohorts.length) - 2 }}] }},
  options: {{ plugins: {{ legend: {{display: false}}, tooltip: {{ callbacks: {{ title: () => '', label: (c) => `cohort ${{c.raw.y}}, month +${{c.raw.x}}: ${{(c.raw.v*100).toFixed(1)}}% (${{c.raw.n}} customers)` }} }} }},
    scales: {{ x: {{ type: 'linear', min: 0.5, max: maxK + 0.5, offset: false, afterBuildTicks: (axis) => {{ axis.ticks = Array.from({{length: maxK}}, (_, i) => ({{value: i + 1}})); }}, ticks: {{ callback: (v) => '+' + v }}, grid: {{display: false}}, title: {{display: true, text: 'months since first order'}} }},
              y: {{ type: 'category', labels: cohorts.map(c => c.cohort), offset: true, title: {{display: true, text: 'cohort'}} }} }} }}
}});
const seg = R.rfm_segments;
new Chart(document.getElementById('segments'), {{
  type: 'bar',
  data: {{ labels: seg.map(s => s.segment), datasets: [
    {{ label: 'share of customers', data: seg.map(s => 100 * s.share), backgroundColor: '#457b9d' }},
    {{ label: 'share of revenue', data: seg.map(s => 100 * s.revenue_share), backgroundColor: '#e76f51' }} ] }},
  options: {{ scales: {{ y: {{ title: {{display: true, text: '%'}} }} }} }}
}});
const h = R.inter_purchase.overall.histogram;
new Chart(document.getElementById('gaps'), {{
  type: 'bar',
  data: {{ labels: h.map(b => b.to_days === null ? `${{b.from_days}}+` : `${{b.from_days}}-${{b.to_days}}`), datasets: [
    {{ label: 'gaps between orders', data: h.map(b => b.count), backgroundColor: '#2a9d8f' }} ] }},
  options: {{ scales: {{ x: {{ title: {{display: true, text: 'days'}} }}, y: {{ title: {{display: true, text: 'count'}} }} }} }}
}});
</script>
<script>
const S = {sections_data};
{SECTIONS_JS}
</script>
</body></html>
"#,
        title = esc(title),
        first = esc(&o.first_order),
        last = esc(&o.last_order),
        definition = esc(&r.definition),
        windows = esc(&windows),
        data = script_json(report),
        extra = html::sections_html(sections, &currency),
        sections_data = script_json(sections),
    )
}
