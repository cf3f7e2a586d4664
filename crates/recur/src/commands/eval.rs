//! `recur eval recs`: recommendation quality of the transformer and every baseline side by
//! side on a dataset (NDCG@10, HR@10, Recall@10, training seconds). `recur eval copy` lives in
//! `eval_copy.rs`, `recur eval assist` in `eval_assist.rs`, `recur eval search` in `eval_search.rs`,
//! `recur eval timing` in `eval_timing.rs`.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use anyhow::Result;
use recur_bench::RecsFormat;

use crate::cli::{EvalCommand, RecsFormatArg};
use crate::context::{Context, print_json};
use crate::output;
use crate::training::{TrainBar, options};

pub(crate) fn run(ctx: &Context, cmd: &EvalCommand) -> Result<ExitCode> {
    let (dataset, format, training, baselines_only, json) = match cmd {
        EvalCommand::Recs {
            dataset,
            format,
            training,
            baselines_only,
            json,
        } => (dataset, format, training, baselines_only, json),
        EvalCommand::Copy(args) => return super::eval_copy::run(ctx, args),
        EvalCommand::Assist(args) => return super::eval_assist::run(ctx, args),
        EvalCommand::Reviews(args) => return super::eval_reviews::run(ctx, args),
        EvalCommand::Search(args) => return super::eval_search::run(ctx, args),
        EvalCommand::Timing(args) => return super::eval_timing::run(ctx, args),
    };
    let format = match format {
        RecsFormatArg::Beauty => RecsFormat::Beauty,
        RecsFormatArg::Tafeng => RecsFormat::Tafeng,
        RecsFormatArg::Workspace => RecsFormat::Workspace,
    };
    let mut bar = TrainBar::new(ctx.quiet_or(*json));
    let result = recur_bench::evaluate_recs(
        dataset,
        format,
        &options(
            training,
            *baselines_only,
            ctx.settings_or_defaults()?.device,
        ),
        &mut bar,
        &AtomicBool::new(false),
    );
    bar.finish();
    let result = result?;
    if *json {
        print_json(&result)?;
    } else {
        println!(
            "{} ({:?}): {} customers, {} events\n{}\n",
            result.dataset.display(),
            result.format,
            result.customers,
            result.events,
            result.protocol
        );
        print!("{}", output::suite_text(&result.report));
    }
    Ok(ExitCode::SUCCESS)
}
