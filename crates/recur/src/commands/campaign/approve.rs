//! `recur campaign approve --campaign ID`: record that the campaign's messages, as they are now
//! in the send ledger, were reviewed and approved (by `cli`, now, with their count and
//! fingerprint). Writing the messages again makes the approval outdated.

use std::process::ExitCode;

use anyhow::Result;

use crate::context::{Context, print_json};
use crate::output;

pub(crate) fn run(ctx: &Context, campaign: &str, json: bool) -> Result<ExitCode> {
    let ws = ctx.open_workspace(&[])?;
    let status =
        recur_engine::approve_campaign(&ws, campaign, "cli", chrono::Utc::now().timestamp())?;
    if json {
        print_json(&status)?;
    } else {
        print!("{}", output::approval_text(&status));
    }
    Ok(ExitCode::SUCCESS)
}
