//! Human and machine renderings of command results, by area. These modules only format:
//! figures are computed by the engine (see `recur_engine::summaries`).

mod campaign;
mod clv;
mod copy;
mod demo;
mod import;
mod query;
mod recs;
mod report;
mod review_summary;

use comfy_table::{Table as Grid, presets::UTF8_FULL_CONDENSED};
use recur_engine::prelude::Interval;

pub(crate) use campaign::{
    approval_text, generate_text, hillstrom_text, plan_text, send_text, workspace_lift_text,
};
pub(crate) use clv::{cdnow_text, fits_text, value_lines, values_text, workspace_eval_text};
pub(crate) use copy::copy_text;
pub(crate) use demo::demo_text;
pub(crate) use import::{import_json, import_text, imports_json, imports_text, removal_text};
pub(crate) use query::{query_csv, query_text};
pub(crate) use recs::{recommendations_text, suite_text};
pub(crate) use report::{profile_text, report_tables, report_text};
pub(crate) use review_summary::{
    SummaryRun, SummaryRunItem, review_summary_text, summary_run_text,
};

/// `x` as a percentage with one decimal.
fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A table with `header` in recur's style.
fn grid(header: &[&str]) -> Grid {
    let mut g = Grid::new();
    g.load_preset(UTF8_FULL_CONDENSED);
    g.set_header(header.iter().copied());
    g
}

/// `estimate [low, high]` with `decimals` digits.
fn with_interval(v: &Interval, decimals: usize) -> String {
    format!(
        "{:.decimals$} [{:.decimals$}, {:.decimals$}]",
        v.estimate, v.low, v.high
    )
}

/// A plan's exclusion reason as words (`sure_thing` → `sure thing`).
fn exclusion_label(why: &impl serde::Serialize) -> String {
    serde_json::to_value(why)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
        .replace('_', " ")
}
