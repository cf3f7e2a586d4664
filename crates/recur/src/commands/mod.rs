//! The commands, one module each: `run` builds the shared [`Context`] once and dispatches.

mod analyze;
mod assist;
mod bench;
mod campaign;
mod clv;
mod customers;
mod demo;
mod embed;
mod eval;
mod eval_assist;
mod eval_copy;
mod eval_reviews;
mod eval_search;
mod eval_timing;
mod import;
mod init;
mod kb;
mod keys;
mod llm;
mod presets;
mod recommend;
mod reviews;
mod search;
mod serve;
mod sql;
mod train;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::context::Context;

/// Runs the parsed command line.
pub(crate) fn run(cli: Cli) -> Result<ExitCode> {
    let ctx = Context::new(&cli);
    match &cli.command {
        Command::Init { dir } => init::run(&ctx, dir.as_deref()),
        Command::Import(args) => import::run(&ctx, args),
        Command::Analyze(args) => analyze::run(&ctx, args),
        Command::Demo(args) => demo::run(&ctx, args),
        Command::Presets => presets::run(),
        Command::Clv(cmd) => clv::run(&ctx, cmd),
        Command::Campaign(cmd) => campaign::run(&ctx, cmd),
        Command::Llm(cmd) => llm::run(&ctx, cmd),
        Command::Embed(args) => embed::run(&ctx, args),
        Command::Train(args) => train::run(&ctx, args),
        Command::Recommend(args) => recommend::run(&ctx, args),
        Command::Search(args) => search::run(&ctx, args),
        Command::Eval(cmd) => eval::run(&ctx, cmd),
        Command::Bench(cmd) => bench::run(&ctx, cmd),
        Command::Serve(args) => serve::run(&ctx, args),
        Command::Keys(cmd) => keys::run(&ctx, cmd),
        Command::Kb(cmd) => kb::run(&ctx, cmd),
        Command::Assist(args) => assist::run(&ctx, args),
        Command::Customers(cmd) => customers::run(&ctx, cmd),
        Command::Sql(args) => sql::run(&ctx, args),
        Command::Reviews(cmd) => reviews::run(&ctx, cmd),
    }
}
