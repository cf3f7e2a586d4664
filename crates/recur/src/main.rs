//! The `recur` command-line tool.

mod behaviour;
mod cli;
mod commands;
mod language;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            let user = err
                .downcast_ref::<recur_engine::Error>()
                .is_some_and(recur_engine::Error::is_user_error);
            if !user {
                eprintln!("(exit 3: internal error; please report it with the command you ran)");
            }
            ExitCode::from(if user { 1 } else { 3 })
        }
    }
}
