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

/// Output piped into a reader that stops early (`recur analyze | head`) ends the command
/// quietly, as for other command-line tools, instead of as a panic. Rust ignores SIGPIPE, so
/// the closed pipe surfaces as a failed `println!`.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        // The Parquet reader asserts on some damaged files; recur-ingest catches that and
        // reports the file as damaged, so its trace would only confuse.
        if info
            .location()
            .is_some_and(|l| l.file().contains("/parquet-"))
        {
            return;
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_closed_stdout();
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
