//! `recur sql`: the user's own read-only SQL over the workspace.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::SqlArgs;
use crate::context::{Context, print_json};
use crate::output::{query_csv, query_text};

pub(crate) fn run(ctx: &Context, args: &SqlArgs) -> Result<ExitCode> {
    let ws = ctx.open_workspace(&[])?;
    let result = recur_engine::query_workspace(&ws, &args.query, args.personal)?;
    if args.json {
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = result
            .rows
            .iter()
            .map(|row| {
                result
                    .columns
                    .iter()
                    .cloned()
                    .zip(
                        row.iter()
                            .map(|c| serde_json::to_value(c).unwrap_or_default()),
                    )
                    .collect()
            })
            .collect();
        print_json(&rows)?;
    } else if args.csv {
        print!("{}", query_csv(&result)?);
    } else {
        print!("{}", query_text(&result));
    }
    Ok(ExitCode::SUCCESS)
}
