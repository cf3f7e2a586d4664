//! `recur train`: train the behaviour model (transformer) on the workspace, compare it with
//! the baselines on each customer's last order, and save it with the model to use.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use anyhow::Result;

use crate::cli::TrainArgs;
use crate::context::{Context, print_json};
use crate::models;
use crate::output;
use crate::training::{TrainBar, options};

pub(crate) fn run(ctx: &Context, args: &TrainArgs) -> Result<ExitCode> {
    let ws = ctx.open_workspace(&[])?;
    let embedder = if args.item_text {
        Some(models::configured_embedder(ctx)?)
    } else {
        None
    };
    let mut bar = TrainBar::new(ctx.quiet_or(args.json));
    let outcome = recur_engine::train_workspace(
        &ws,
        &options(&args.training, false, ws.settings().device),
        embedder.as_deref(),
        &mut bar,
        &AtomicBool::new(false),
    );
    bar.finish();
    let outcome = outcome?;
    if args.json {
        print_json(&outcome)?;
    } else {
        print!("{}", output::suite_text(&outcome.evaluation));
        println!(
            "\nSaved to {}; recommendations will use `{}` (best validation NDCG@10).",
            outcome.model_dir.display(),
            outcome.selection.chosen
        );
    }
    Ok(ExitCode::SUCCESS)
}
