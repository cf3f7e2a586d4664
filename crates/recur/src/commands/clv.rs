//! `recur clv fit|predict|bench|evaluate`: customer value with BG/NBD, Pareto/NBD and
//! Gamma-Gamma.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::cli::ClvCommand;
use crate::context::{Context, print_json};
use crate::error::{require_dir, require_file, usage};
use crate::output;

/// The files `evaluate_cdnow` reads from the `--cdnow` folder.
const CDNOW_FILES: [&str; 2] = ["CDNOW_sample.txt", "cdnow_customers_summary.csv"];

pub(crate) fn run(ctx: &Context, cmd: &ClvCommand) -> Result<ExitCode> {
    match cmd {
        ClvCommand::Fit { json } => {
            let v = recur_engine::customer_value(&ctx.open_workspace(&[])?)?;
            if *json {
                print_json(&serde_json::json!({"bgnbd": v.bgnbd, "gamma_gamma": v.gamma_gamma}))?;
            } else {
                print!(
                    "{}",
                    output::fits_text(&[
                        ("BG/NBD (weeks)", &v.bgnbd),
                        ("Gamma-Gamma", &v.gamma_gamma)
                    ])
                );
            }
        }
        ClvCommand::Predict { json, top } => {
            let mut v = recur_engine::customer_value(&ctx.open_workspace(&[])?)?;
            recur_engine::sort_by_clv(&mut v.customers);
            if *json {
                print_json(&v.customers)?;
            } else {
                let shown = (*top).min(v.customers.len());
                print!("{}", output::values_text(&v.customers[..shown]));
            }
        }
        ClvCommand::Bench {
            cdnow_master,
            runs,
            write_summary,
            synthetic_customers,
        } => {
            require_file(cdnow_master, "--cdnow-master")?;
            let parent = write_summary.as_deref().and_then(Path::parent);
            if let Some(parent) = parent.filter(|p| !p.as_os_str().is_empty()) {
                require_dir(parent, "the folder of --write-summary")?;
            }
            let b = recur_bench::bench_cdnow_master(
                cdnow_master,
                *runs,
                write_summary.as_deref(),
                *synthetic_customers,
            )?;
            print_json(&b)?;
        }
        ClvCommand::Evaluate {
            cdnow: Some(cdnow),
            json,
            ..
        } => {
            require_dir(cdnow, "--cdnow")?;
            for name in CDNOW_FILES {
                if !cdnow.join(name).is_file() {
                    return Err(usage(format!(
                        "--cdnow `{}` has no `{name}`; pass the folder that holds {}",
                        cdnow.display(),
                        CDNOW_FILES.join(" and ")
                    )));
                }
            }
            let eval = recur_bench::evaluate_cdnow(cdnow)?;
            if *json {
                print_json(&eval)?;
            } else {
                print!("{}", output::cdnow_text(&eval));
            }
        }
        ClvCommand::Evaluate {
            cdnow: None,
            holdout_days,
            json,
        } => {
            let eval = recur_engine::evaluate_workspace(&ctx.open_workspace(&[])?, *holdout_days)?;
            if *json {
                print_json(&eval)?;
            } else {
                print!("{}", output::workspace_eval_text(&eval));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
