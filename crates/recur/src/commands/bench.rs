//! `recur bench recommend`: latency of one customer's top-10 recommendation with the default
//! transformer (percentiles).

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::BenchCommand;
use crate::context::print_json;

/// Seed of the synthetic catalogue and histories.
const SEED: u64 = 42;

pub(crate) fn run(cmd: &BenchCommand) -> Result<ExitCode> {
    let BenchCommand::Recommend {
        items,
        history,
        runs,
        json,
    } = cmd;
    let r = recur_bench::bench_recommend(*items, *history, *runs, SEED)?;
    if *json {
        print_json(&r)?;
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
