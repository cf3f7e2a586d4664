//! `recur presets`: list the built-in column-mapping presets.

use std::process::ExitCode;

use anyhow::Result;
use recur_engine::prelude::PRESETS;

pub(crate) fn run() -> Result<ExitCode> {
    for (name, doc) in PRESETS {
        println!("{name:<16}{doc}");
    }
    Ok(ExitCode::SUCCESS)
}
