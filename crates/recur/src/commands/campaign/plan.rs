//! `recur campaign plan --spec FILE`: plan a campaign on the workspace's customers and record
//! its randomised holdout in the send ledger.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::context::{Context, print_json};
use crate::error::require_file;
use crate::output;

pub(crate) fn run(
    ctx: &Context,
    spec: &Path,
    margin: f64,
    as_of: Option<&str>,
    json: bool,
) -> Result<ExitCode> {
    let now = match as_of {
        None => chrono::Utc::now().timestamp(),
        Some(day) => noon_of(day)?,
    };
    let ws = ctx.open_workspace(&[])?;
    require_file(spec, "--spec")?;
    let p = recur_engine::plan_workspace_campaign(&ws, spec, margin, now)?;
    if json {
        print_json(&p)?;
    } else {
        print!("{}", output::plan_text(&p));
    }
    Ok(ExitCode::SUCCESS)
}

/// Noon UTC of `day` (YYYY-MM-DD, the `--as-of` flag) as a Unix timestamp.
fn noon_of(day: &str) -> Result<i64> {
    let bad = || recur_engine::Error::BadSetting {
        key: "as-of".into(),
        value: day.to_owned(),
        hint: "use a day as YYYY-MM-DD, for example 2026-11-01".into(),
    };
    let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| bad())?;
    let noon = date.and_hms_opt(12, 0, 0).ok_or_else(bad)?;
    Ok(noon.and_utc().timestamp())
}
