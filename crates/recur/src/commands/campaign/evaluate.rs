//! `recur campaign evaluate`: a recorded campaign's lift against its randomised holdout
//! (`--campaign ID`), or the Hillstrom e-mail experiment (`--hillstrom FILE`).

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::EvaluateArgs;
use crate::context::{Context, print_json};
use crate::error::require_file;
use crate::output;

pub(crate) fn run(ctx: &Context, args: &EvaluateArgs) -> Result<ExitCode> {
    let EvaluateArgs {
        campaign,
        margin,
        hillstrom,
        seed,
        json,
    } = args;
    match (campaign, hillstrom) {
        (Some(campaign), _) => {
            let r = recur_engine::evaluate_workspace_campaign(
                &ctx.open_workspace(&[])?,
                campaign,
                *margin,
            )?;
            if *json {
                print_json(&r)?;
            } else {
                print!("{}", output::workspace_lift_text(&r));
            }
        }
        (None, Some(hillstrom)) => {
            require_file(hillstrom, "--hillstrom")?;
            let r = recur_bench::evaluate_hillstrom(hillstrom, *seed)?;
            if *json {
                print_json(&r)?;
            } else {
                print!("{}", output::hillstrom_text(&r));
            }
        }
        (None, None) => unreachable!("clap requires --campaign or --hillstrom"),
    }
    Ok(ExitCode::SUCCESS)
}
