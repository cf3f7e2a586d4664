//! The `recur` command-line tool.
//!
//! `main` parses the command line, runs the command and maps an error to an exit code: 1 when
//! the user can fix it, 3 for an internal error (see [`error`]). Each command lives in its own
//! module under `commands/`; `output/` formats results.

mod cli;
mod commands;
mod context;
mod error;
mod models;
mod output;
mod progress;
mod training;

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
            eprintln!("error: {}", error::message(&err));
            let user = error::is_user_error(&err);
            if !user {
                eprintln!("(exit 3: internal error; please report it with the command you ran)");
            }
            ExitCode::from(if user { 1 } else { 3 })
        }
    }
}
