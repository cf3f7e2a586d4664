//! `recur campaign generate --campaign ID`: write a planned campaign's messages (grounded in
//! the workspace's orders and catalog, validated), queue them in the send ledger and export
//! Braze/Klaviyo/JSONL files.

use std::process::ExitCode;

use anyhow::Result;

use crate::context::{Context, print_json};
use crate::models;
use crate::output;
use crate::progress;

pub(crate) fn run(
    ctx: &Context,
    campaign: &str,
    shop: &str,
    currency: &str,
    llm_drafts: usize,
    json: bool,
) -> Result<ExitCode> {
    let ws = ctx.open_workspace(&[])?;
    let mut generator = if llm_drafts > 0 {
        Some(models::configured_generator(ctx, ws.settings())?)
    } else {
        None
    };
    let bar = progress::count_bar(ctx.quiet_or(json), "writing messages");
    let g = recur_engine::generate_workspace_campaign(
        &ws,
        campaign,
        shop,
        currency,
        generator
            .as_mut()
            .map(|g| &mut **g as &mut dyn recur_engine::llm::Generate),
        llm_drafts,
        &mut |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
    )?;
    bar.finish_and_clear();
    if json {
        print_json(&g)?;
    } else {
        print!("{}", output::generate_text(&g));
    }
    Ok(ExitCode::SUCCESS)
}
