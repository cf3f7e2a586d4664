//! `recur campaign redemptions --file FILE`: import the shop's coupon redemptions, so that lift
//! reports use the discount actually granted.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::context::{Context, print_json};
use crate::error::require_file;

/// Unknown codes listed in the text output (`--json` lists all).
const SHOWN_UNKNOWN_CODES: usize = 10;

pub(crate) fn run(ctx: &Context, file: &Path, json: bool) -> Result<ExitCode> {
    let ws = ctx.open_workspace(&[])?;
    require_file(file, "--file")?;
    let r = recur_engine::import_workspace_redemptions(&ws, file)?;
    if json {
        print_json(&r)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}: {} row(s), {} matched to a campaign's code ({} new), {} unknown code(s).",
        file.display(),
        r.rows,
        r.matched,
        r.new,
        r.unknown_codes.len()
    );
    for (campaign, n) in &r.by_campaign {
        println!("  {campaign}: {n}");
    }
    for (line, code) in r.unknown_codes.iter().take(SHOWN_UNKNOWN_CODES) {
        println!("  line {line}: code {code} was not issued by any recorded campaign");
    }
    if r.unknown_codes.len() > SHOWN_UNKNOWN_CODES {
        println!(
            "  ... and {} more (--json lists all)",
            r.unknown_codes.len() - SHOWN_UNKNOWN_CODES
        );
    }
    Ok(ExitCode::SUCCESS)
}
