//! `recur eval timing`: the behaviour model's time-to-next-purchase head against BG/NBD. Both
//! see only the workspace's data up to the calibration end; each customer who bought by then
//! gets each model's P(purchase within the horizon), scored against the orders that followed.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use anyhow::Result;
use recur_bench::{TimingEvaluation, TimingOptions};

use crate::cli::EvalTimingArgs;
use crate::context::{Context, print_json};
use crate::training::{TrainBar, options};

pub(crate) fn run(ctx: &Context, args: &EvalTimingArgs) -> Result<ExitCode> {
    let mut bar = TrainBar::new(ctx.quiet_or(args.json));
    let result = recur_bench::evaluate_timing(
        &ctx.workspace,
        &TimingOptions {
            calibration_end: args.calibration_end,
            horizon_days: args.horizon_days,
        },
        &options(&args.training, false, ctx.settings_or_defaults()?.device),
        &mut bar,
        &AtomicBool::new(false),
    );
    bar.finish();
    let r = result?;
    if args.json {
        print_json(&r)?;
    } else {
        print!("{}", text(&r));
    }
    Ok(ExitCode::SUCCESS)
}

fn text(r: &TimingEvaluation) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let t = &r.training;
    let _ = writeln!(
        s,
        "Calibration up to {} ({} events, {} products, {} customers); outcome: a purchase from the next day to {} ({} days; last purchase in the data {}).",
        r.calibration_end,
        t.events,
        t.items,
        t.customers,
        r.horizon_end,
        r.horizon_days,
        r.last_purchase_day
    );
    let _ = writeln!(
        s,
        "Transformer: {} epochs in {:.0} s, best epoch {} ({:?}).",
        t.report.epochs.len(),
        t.report.seconds,
        t.report.best_epoch,
        t.report.stopped
    );
    let _ = writeln!(
        s,
        "{} customers who bought by the calibration end, {} bought in the horizon: base rate {:.3}.\n",
        r.customers, r.buyers, r.base_rate
    );
    let models = [
        ("time head (as shown)", &r.time_head),
        ("time head since cut", &r.time_head_since_cut),
        ("BG/NBD", &r.bgnbd),
    ];
    let _ = writeln!(
        s,
        "{:<22} {:>7} {:>7} {:>9} {:>10}",
        "model", "AUC", "Brier", "log loss", "mean P"
    );
    for (name, m) in models {
        let _ = writeln!(
            s,
            "{name:<22} {:>7.3} {:>7.4} {:>9.4} {:>10.3}",
            m.auc, m.brier, m.log_loss, m.mean_predicted
        );
    }
    let _ = writeln!(
        s,
        "\nCalibration by decile of the prediction (mean predicted / observed rate, customers):"
    );
    let _ = writeln!(
        s,
        "{:>6} {:>22} {:>22} {:>22}",
        "decile", models[0].0, models[1].0, models[2].0
    );
    let columns = [
        &r.time_head.deciles,
        &r.time_head_since_cut.deciles,
        &r.bgnbd.deciles,
    ];
    for d in 0..r.bgnbd.deciles.len() {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| {
                c.get(d).map_or_else(String::new, |b| {
                    format!(
                        "{:.3} / {:.3} ({})",
                        b.mean_predicted, b.observed_rate, b.customers
                    )
                })
            })
            .collect();
        let _ = writeln!(
            s,
            "{:>6} {:>22} {:>22} {:>22}",
            d + 1,
            cells[0],
            cells[1],
            cells[2]
        );
    }
    let _ = writeln!(s, "({:.0} s)", r.seconds);
    s
}
