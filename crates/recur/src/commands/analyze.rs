//! `recur analyze`: repurchase rate, cohort retention, inter-purchase times and RFM segments
//! (as tables, JSON or CSV files), one customer's profile, or one product's review pain
//! points (`--product`: judged by the review model when trained, else by stars) and, with
//! `--summary`, a summary of its reviews whose every bullet cites the reviews it rests on.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use recur_engine::prelude::{Error, Report};

use crate::cli::{AnalyzeArgs, OutputFormat};
use crate::context::{Context, print_json};
use crate::error::{require_creatable_dir, usage};
use crate::models;
use crate::output;

pub(crate) fn run(ctx: &Context, args: &AnalyzeArgs) -> Result<ExitCode> {
    let ws = ctx.open_workspace(&[(
        "analytics.repurchase_days",
        args.repurchase_days.map(|d| d.to_string()),
    )])?;
    let format = if args.json {
        OutputFormat::Json
    } else {
        args.format
    };
    if let Some(id) = &args.product {
        let no_reviews = || {
            usage(format!(
                "no reviews of product `{id}`; check the id (`recur sql \"SELECT DISTINCT product_id FROM reviews\"`) or import reviews with `recur import reviews --file FILE`"
            ))
        };
        if args.summary {
            let settings = ws.settings();
            let path = models::llm_path(ctx, settings);
            let mut generator = if args.no_llm {
                None
            } else if settings.llm.endpoint.is_empty() && !path.exists() {
                eprintln!(
                    "note: no language model at {} (run scripts/setup-models); the summary is the template's",
                    path.display()
                );
                None
            } else {
                Some(models::configured_generator(ctx, settings)?)
            };
            let opts = recur_engine::SummaryOptions {
                seed: args.seed,
                ..recur_engine::SummaryOptions::default()
            };
            let Some(s) = recur_engine::product_review_summary(
                &ws,
                id,
                generator
                    .as_deref_mut()
                    .map(|g| g as &mut dyn recur_engine::llm::Generate),
                &opts,
            )?
            else {
                return Err(no_reviews());
            };
            match format {
                OutputFormat::Json => print_json(&s)?,
                OutputFormat::Table | OutputFormat::Csv => {
                    print!("{}", super::reviews::pain_points_text(&s.pain_points));
                    print!("{}", output::review_summary_text(&s.summary));
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        let Some(p) = recur_engine::product_pain_points(&ws, id)? else {
            return Err(no_reviews());
        };
        match format {
            OutputFormat::Json => print_json(&p)?,
            OutputFormat::Table | OutputFormat::Csv => {
                print!("{}", super::reviews::pain_points_text(&p));
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(id) = &args.customer {
        let profile = ws.session()?.profile(id).map_err(Error::from)?;
        let value = recur_engine::customer_value(&ws)
            .ok()
            .and_then(|v| v.customers.into_iter().find(|c| c.customer_id == *id));
        match format {
            OutputFormat::Json => {
                print_json(&serde_json::json!({"profile": profile, "value": value}))?;
            }
            OutputFormat::Table | OutputFormat::Csv => {
                print!("{}", output::profile_text(&profile));
                if let Some(v) = value {
                    print!("{}", output::value_lines(&v));
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    // A folder that cannot be created is reported before the analysis runs.
    let csv_out = match format {
        OutputFormat::Csv => {
            let out = args
                .out
                .clone()
                .unwrap_or_else(|| ws.root().join("analytics"));
            require_creatable_dir(&out, "--out")?;
            Some(out)
        }
        OutputFormat::Json | OutputFormat::Table => None,
    };
    let report = ws.analyze()?;
    if let Some(out) = csv_out {
        for f in write_csv(&report, &out)? {
            println!("wrote {}", f.display());
        }
    } else if format == OutputFormat::Json {
        print_json(&report)?;
    } else {
        print!("{}", output::report_text(&report));
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the report's tables into `out`, one CSV file each; returns the files.
fn write_csv(report: &Report, out: &Path) -> Result<Vec<PathBuf>> {
    let failed = |path: &Path, e: &dyn std::fmt::Display| {
        usage(format!(
            "could not write `{}`: {e}; choose a folder you can write to with --out",
            path.display()
        ))
    };
    std::fs::create_dir_all(out).map_err(|e| failed(out, &e))?;
    let mut files = Vec::new();
    for table in output::report_tables(report) {
        let path = out.join(table.name);
        let mut w = csv::Writer::from_path(&path).map_err(|e| failed(&path, &e))?;
        for row in &table.rows {
            w.write_record(
                row.iter()
                    .map(|c| recur_engine::spreadsheet_safe(c).into_owned()),
            )
            .map_err(|e| failed(&path, &e))?;
        }
        w.flush().map_err(|e| failed(&path, &e))?;
        files.push(path);
    }
    Ok(files)
}
