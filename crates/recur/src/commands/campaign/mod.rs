//! `recur campaign ...`: plan a campaign with a randomised holdout, write its messages, approve
//! them, send them once per customer, import coupon redemptions and measure the lift.

mod approve;
mod evaluate;
mod generate;
mod plan;
mod redemptions;
mod send;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::CampaignCommand;
use crate::context::Context;

pub(crate) fn run(ctx: &Context, cmd: &CampaignCommand) -> Result<ExitCode> {
    match cmd {
        CampaignCommand::Plan {
            spec,
            margin,
            as_of,
            json,
        } => plan::run(ctx, spec, *margin, as_of.as_deref(), *json),
        CampaignCommand::Redemptions { file, json } => redemptions::run(ctx, file, *json),
        CampaignCommand::Generate {
            campaign,
            shop,
            currency,
            llm_drafts,
            json,
        } => generate::run(ctx, campaign, shop, currency, *llm_drafts, *json),
        CampaignCommand::Approve { campaign, json } => approve::run(ctx, campaign, *json),
        CampaignCommand::Send(args) => send::run(ctx, args),
        CampaignCommand::Evaluate(args) => evaluate::run(ctx, args),
    }
}
