//! `recur demo`: the whole pipeline on the embedded synthetic shop (or the UCI Online Retail
//! file): import, analytics, customer value, the behaviour model, the campaign loop, and an
//! HTML report.

use std::process::ExitCode;

use anyhow::Result;
use recur_engine::prelude::{DemoOptions, DemoSource, Settings, SynthConfig, run_demo};

use crate::cli::DemoArgs;
use crate::context::{Context, print_json};
use crate::error::{require_creatable_dir, require_file};
use crate::models;
use crate::output;
use crate::progress::{Bar, Stages};

pub(crate) fn run(ctx: &Context, args: &DemoArgs) -> Result<ExitCode> {
    let dir = ctx.in_workspace(&args.dir);
    require_creatable_dir(&dir, "--dir")?;
    let source = match &args.online_retail {
        Some(p) => {
            require_file(p, "--online-retail")?;
            DemoSource::OnlineRetail(p.clone())
        }
        None => DemoSource::Synthetic(SynthConfig {
            seed: args.seed,
            customers: args.customers,
            ..SynthConfig::default()
        }),
    };
    let quiet = ctx.quiet_or(args.json);
    let stages = Stages {
        bar: Bar::new(quiet),
        quiet,
    };
    // The local language model drafts a few campaign messages when the set-up fetched it.
    let settings = Settings::default();
    let model = models::llm_path(ctx, &settings);
    let llm = model.exists().then(|| (settings.llm.clone(), model));
    let outcome = run_demo(
        &DemoOptions {
            dir,
            source,
            llm,
            llm_drafts: args.llm_drafts,
            device: ctx.settings_or_defaults()?.device,
        },
        &stages,
    );
    stages.bar.finish();
    let outcome = outcome?;
    if args.json {
        print_json(&outcome.to_json())?;
    } else {
        print!("{}", output::demo_text(&outcome));
    }
    if args.serve {
        serve_demo(ctx, &outcome.workspace, &args.addr)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Serves the demo workspace with a fresh admin key, printed with the dashboard's address.
fn serve_demo(ctx: &Context, dir: &std::path::Path, addr: &str) -> Result<()> {
    let sub = Context {
        workspace: dir.to_owned(),
        ..ctx.clone()
    };
    let ws = sub.open_workspace(&[("serve.addr", Some(addr.to_owned()))])?;
    let (_, key) =
        recur_engine::ApiKeys::create(&ws, &[recur_engine::Scope::Admin], "recur demo --serve")?;
    eprintln!("Starting the server on the demo workspace...");
    super::serve::serve_workspaces(&sub, ws, &[], addr, true, |bound| {
        println!();
        println!("Dashboard: http://{bound}/#key={key}");
        println!("API:       http://{bound}/v1/docs");
        println!("Key:       {key}   (admin scope; Ctrl-C stops the server)");
    })
}
