//! `recur import TABLE --file FILE`: import a file into a table, with full row accounting;
//! `recur import list` and `recur import remove ID`.

use std::process::ExitCode;

use anyhow::Result;
use recur_engine::prelude::{Error, Format, ImportRequest, Mapping, Table};

use crate::cli::{FormatArg, ImportAction, ImportArgs, TableArg};
use crate::context::{Context, print_json};
use crate::output;
use crate::progress::Bar;

fn table(t: TableArg) -> Table {
    match t {
        TableArg::Orders => Table::Orders,
        TableArg::Catalog => Table::Catalog,
        TableArg::Events => Table::Events,
        TableArg::Reviews => Table::Reviews,
        TableArg::Customers => Table::Customers,
    }
}

fn format(f: FormatArg) -> Format {
    match f {
        FormatArg::Csv => Format::Csv,
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Parquet => Format::Parquet,
        FormatArg::Whitespace => Format::Whitespace,
    }
}

pub(crate) fn run(ctx: &Context, args: &ImportArgs) -> Result<ExitCode> {
    let ws = ctx.open_workspace(&[])?;
    match &args.action {
        Some(ImportAction::List { json }) => {
            let manifest = ws.manifest()?;
            if *json {
                print_json(&output::imports_json(&manifest))?;
            } else {
                print!("{}", output::imports_text(&manifest));
            }
            return Ok(ExitCode::SUCCESS);
        }
        Some(ImportAction::Remove { id, json }) => {
            let removal = ws.remove_import(id)?;
            if *json {
                print_json(&removal)?;
            } else {
                print!("{}", output::removal_text(&removal));
            }
            return Ok(ExitCode::SUCCESS);
        }
        None => {}
    }
    // clap requires both when no action is given.
    let (Some(table_arg), Some(file)) = (args.table, &args.file) else {
        anyhow::bail!("internal error: `recur import` needs a table and --file");
    };
    let t = table(table_arg);
    let (mapping, label) = match (&args.mapping, &args.preset) {
        (Some(path), _) => (
            Mapping::from_file(path).map_err(Error::from)?,
            path.display().to_string(),
        ),
        (None, Some(name)) => (
            Mapping::preset(name, t).map_err(Error::from)?,
            format!("preset {name}"),
        ),
        (None, None) => (Mapping::default(), "canonical column names".to_owned()),
    };
    let req = ImportRequest {
        table: t,
        path: file.clone(),
        format: args.format.map(format),
        mapping,
        mapping_label: label,
    };
    let bar = Bar::new(ctx.quiet_or(args.json));
    let report = ws.import(&req, &bar);
    bar.finish();
    let report = report?;
    if args.json {
        print_json(&output::import_json(&report))?;
    } else {
        print!("{}", output::import_text(&report));
    }
    Ok(ExitCode::SUCCESS)
}
