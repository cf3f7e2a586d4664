//! `recur bench recommend`: latency of one customer's top-10 recommendation with the default
//! transformer (percentiles). `recur bench fuzz`: the parsers under mutated inputs.

use std::process::ExitCode;

use anyhow::Result;
use recur_bench::{FuzzOptions, FuzzReport, FuzzTarget};

use crate::cli::BenchCommand;
use crate::context::{Context, print_json};
use crate::models;
use crate::progress;

/// Seed of the synthetic catalogue and histories.
const SEED: u64 = 42;

pub(crate) fn run(ctx: &Context, cmd: &BenchCommand) -> Result<ExitCode> {
    match cmd {
        BenchCommand::Recommend {
            items,
            history,
            runs,
            json,
        } => recommend(*items, *history, *runs, *json),
        BenchCommand::Fuzz {
            target,
            inputs,
            seed,
            threads,
            out,
            json,
        } => {
            let targets: Vec<FuzzTarget> = if target.iter().any(|t| t == "all") {
                FuzzTarget::ALL.to_vec()
            } else {
                target
                    .iter()
                    .map(|name| {
                        FuzzTarget::parse(name).ok_or_else(|| recur_engine::Error::BadSetting {
                            key: "--target".into(),
                            value: name.clone(),
                            hint: format!(
                                "one of {} or all",
                                FuzzTarget::ALL.map(FuzzTarget::name).join(", ")
                            ),
                        })
                    })
                    .collect::<Result<_, _>>()?
            };
            let temp = std::env::temp_dir().join(format!("recur-fuzz-{}", std::process::id()));
            let dir = out.clone().unwrap_or_else(|| temp.clone());
            let settings = ctx.settings_or_defaults()?;
            let opts = FuzzOptions {
                inputs: *inputs,
                seed: *seed,
                threads: threads
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
                dir,
                model: models::llm_path(ctx, &settings),
            };
            let mut reports = Vec::new();
            for t in targets {
                if t == FuzzTarget::Tokenizer
                    && !opts.model.exists()
                    && target.iter().any(|t| t == "all")
                {
                    eprintln!(
                        "tokenizer: skipped, no model at {} (scripts/setup-models fetches it)",
                        opts.model.display()
                    );
                    continue;
                }
                let bar = progress::count_bar(ctx.quiet_or(*json), t.name());
                bar.set_length(*inputs);
                let r = recur_bench::fuzz(t, &opts, &|done| bar.set_position(done));
                bar.finish_and_clear();
                let r = r.map_err(|hint| recur_engine::Error::BadSetting {
                    key: "bench fuzz".into(),
                    value: t.name().into(),
                    hint,
                })?;
                if !*json {
                    println!("{}", fuzz_line(&r));
                }
                reports.push(r);
            }
            if *json {
                print_json(&reports)?;
            }
            let panics: u64 = reports.iter().map(|r| r.panics).sum();
            if out.is_none() {
                if panics > 0 {
                    // Keep the crashing inputs: they are the regression tests to write.
                    let _ = std::fs::remove_dir_all(temp.join("scratch"));
                    eprintln!("crashing inputs kept in {}", temp.join("crashes").display());
                } else {
                    let _ = std::fs::remove_dir_all(&temp);
                }
            }
            Ok(if panics > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

fn fuzz_line(r: &FuzzReport) -> String {
    format!(
        "{:<12} {:>12} inputs  {:>6.1}% accepted  {} panics  {:.1} s  ({:.0} inputs/s on {} threads){}",
        r.target.name(),
        r.inputs,
        100.0 * r.accepted as f64 / r.inputs.max(1) as f64,
        r.panics,
        r.seconds,
        r.inputs as f64 / r.seconds.max(1e-9),
        r.threads,
        r.crashes
            .first()
            .map(|p| format!("; first crash: {}", p.display()))
            .unwrap_or_default()
    )
}

fn recommend(items: usize, history: usize, runs: usize, json: bool) -> Result<ExitCode> {
    let r = recur_bench::bench_recommend(items, history, runs, SEED)?;
    if json {
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
