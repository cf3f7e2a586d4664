//! `recur init [DIR]`: create a workspace (recur.toml and a data folder).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use recur_engine::SETTINGS_FILE;
use recur_engine::prelude::Workspace;

use crate::context::Context;
use crate::error::require_creatable_dir;

pub(crate) fn run(ctx: &Context, dir: Option<&Path>) -> Result<ExitCode> {
    let dir = dir.unwrap_or(&ctx.workspace);
    let flag = if dir == ctx.workspace {
        "--workspace"
    } else {
        "DIR"
    };
    require_creatable_dir(dir, flag)?;
    let ws = Workspace::init(dir)?;
    println!("Workspace ready at {}", ws.root().display());
    println!("  settings: {}", ws.root().join(SETTINGS_FILE).display());
    println!(
        "  data:     {}",
        ws.root().join(&ws.settings().data_dir).display()
    );
    println!(
        "Next: recur import orders --file orders.csv   (run inside the workspace or pass --workspace)"
    );
    Ok(ExitCode::SUCCESS)
}
