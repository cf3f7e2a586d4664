//! `recur train`, `recur recommend`, `recur eval recs`: the behaviour model.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use anyhow::Result;
use indicatif::ProgressBar;
use recur_bench::{RecsFormat, bench_recommend, evaluate_recs};
use recur_engine::model::{EpochReport, Exclude, TrainObserver};
use recur_engine::{RecsOptions, WorkspaceRecommender, train_workspace};

use crate::cli::{
    BenchCommand, Cli, EvalCommand, RecommendArgs, RecsFormatArg, TrainArgs, TrainingArgs,
};
use crate::output;

/// A progress bar over training steps with the loss and the validation metrics.
struct TrainBar {
    bar: ProgressBar,
    quiet: bool,
}

impl TrainBar {
    fn new(quiet: bool) -> Self {
        let bar = crate::progress::styled_bar(
            quiet,
            "{spinner} epoch {prefix} [{bar:30}] {pos}/{len} {msg} ({eta})",
        );
        Self { bar, quiet }
    }
}

impl TrainObserver for TrainBar {
    fn on_start(&mut self, _epochs: usize, steps_per_epoch: usize) {
        self.bar.set_length(steps_per_epoch as u64);
    }

    fn on_step(&mut self, epoch: usize, step: usize, loss: f32) {
        self.bar.set_prefix(epoch.to_string());
        self.bar.set_position(step as u64 + 1);
        if step.is_multiple_of(10) {
            self.bar.set_message(format!("loss {loss:.3}"));
        }
    }

    fn on_epoch(&mut self, r: &EpochReport) {
        if !self.quiet {
            self.bar.println(format!(
                "epoch {:>3}  loss {:.4}  validation NDCG@10 {:.4}  HR@10 {:.4}  {:>5.0} s{}",
                r.epoch,
                r.loss,
                r.ndcg,
                r.hit_rate,
                r.elapsed_seconds,
                if r.best { "  (best)" } else { "" }
            ));
        }
        self.bar.set_position(0);
    }
}

fn options(t: &TrainingArgs, baselines_only: bool) -> RecsOptions {
    RecsOptions {
        seed: t.seed,
        epochs: t.epochs,
        max_seconds: Some(t.max_seconds),
        baselines_only,
        hidden: t.hidden,
        learning_rate: t.learning_rate,
        dropout: t.dropout,
        negatives: t.negatives,
    }
}

pub(crate) fn train(cli: &Cli, args: &TrainArgs) -> Result<ExitCode> {
    let ws = crate::commands::open_workspace(&cli.workspace)?;
    let embedder = if args.item_text {
        Some(crate::language::configured_embedder(cli)?)
    } else {
        None
    };
    let mut bar = TrainBar::new(cli.quiet || args.json);
    let outcome = train_workspace(
        &ws,
        &options(&args.training, false),
        embedder.as_deref(),
        &mut bar,
        &AtomicBool::new(false),
    );
    bar.bar.finish_and_clear();
    let outcome = outcome?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
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

pub(crate) fn recommend(cli: &Cli, args: &RecommendArgs) -> Result<ExitCode> {
    let ws = crate::commands::open_workspace(&cli.workspace)?;
    let rec = WorkspaceRecommender::open(&ws)?;
    let exclude = if args.exclude_seen {
        Exclude::Seen
    } else {
        Exclude::Nothing
    };
    let out = rec.recommend(&args.customer, args.k, exclude)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", output::recommendations_text(&out));
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn eval(cli: &Cli, cmd: &EvalCommand) -> Result<ExitCode> {
    let EvalCommand::Recs {
        dataset,
        format,
        training,
        baselines_only,
        json,
    } = cmd;
    let format = match format {
        RecsFormatArg::Beauty => RecsFormat::Beauty,
        RecsFormatArg::Tafeng => RecsFormat::Tafeng,
        RecsFormatArg::Workspace => RecsFormat::Workspace,
    };
    let mut bar = TrainBar::new(cli.quiet || *json);
    let result = evaluate_recs(
        dataset,
        format,
        &options(training, *baselines_only),
        &mut bar,
        &AtomicBool::new(false),
    );
    bar.bar.finish_and_clear();
    let result = result?;
    if *json {
        println!("{}", serde_json::to_string_pretty(&result)?);
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

pub(crate) fn bench(cmd: &BenchCommand) -> Result<ExitCode> {
    let BenchCommand::Recommend {
        items,
        history,
        runs,
        json,
    } = cmd;
    let r = bench_recommend(*items, *history, *runs, 42)?;
    if *json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        println!(
            "top-10 for one customer ({} items, {}-event history, {} calls, CANDLE_NUM_THREADS={}): p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, mean {:.2} ms",
            r.items,
            r.history,
            r.runs,
            std::env::var("CANDLE_NUM_THREADS").unwrap_or_else(|_| "all cores".into()),
            r.p50_ms,
            r.p95_ms,
            r.p99_ms,
            r.mean_ms
        );
    }
    Ok(ExitCode::SUCCESS)
}
