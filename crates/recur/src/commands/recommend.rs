//! `recur recommend --customer ID`: the products a customer is most likely to want next, from
//! the model `recur train` saved.

use std::process::ExitCode;

use anyhow::Result;
use recur_engine::WorkspaceRecommender;
use recur_engine::model::Exclude;

use crate::cli::RecommendArgs;
use crate::context::{Context, print_json};
use crate::output;

pub(crate) fn run(ctx: &Context, args: &RecommendArgs) -> Result<ExitCode> {
    let ws = ctx.open_workspace(&[])?;
    let rec = WorkspaceRecommender::open(&ws)?;
    let exclude = if args.exclude_seen {
        Exclude::Seen
    } else {
        Exclude::Nothing
    };
    let out = rec.recommend(&args.customer, args.k, exclude)?;
    if args.json {
        print_json(&out)?;
    } else {
        print!("{}", output::recommendations_text(&out));
    }
    Ok(ExitCode::SUCCESS)
}
