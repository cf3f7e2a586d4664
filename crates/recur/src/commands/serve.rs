//! `recur serve`: the HTTP API, live events and the dashboard for one or more workspaces.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use recur_engine::Workspace;
use recur_server::{ServerConfig, Shop};

use crate::cli::ServeArgs;
use crate::context::Context;

/// The server settings from the layered settings and the flags.
fn config(s: &recur_engine::Settings) -> ServerConfig {
    ServerConfig {
        cors_origins: s
            .serve
            .cors_origins
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect(),
        rate_limit_per_second: f64::from(s.serve.rate_limit),
        max_body_bytes: s.serve.max_body_bytes as usize,
        compact_seconds: u64::from(s.serve.compact_seconds),
        access_log: s.serve.access_log,
        ..ServerConfig::default()
    }
}

/// Opens each workspace (its first snapshot runs the analyses) and serves them.
pub(crate) fn serve_workspaces(
    ctx: &Context,
    first: Workspace,
    more: &[PathBuf],
    addr: &str,
    say: impl FnOnce(std::net::SocketAddr),
) -> Result<()> {
    let config = config(first.settings());
    let mut shops = vec![Shop::open(first)?];
    for dir in more {
        let sub = Context {
            workspace: dir.clone(),
            ..ctx.clone()
        };
        shops.push(Shop::open(sub.open_workspace(&[])?)?);
    }
    recur_server::run(addr, shops, config, say)?;
    Ok(())
}

pub(crate) fn run(ctx: &Context, args: &ServeArgs) -> Result<ExitCode> {
    let flags = [
        ("serve.addr", args.addr.clone()),
        ("serve.cors_origins", args.cors_origins.clone()),
        ("serve.rate_limit", args.rate_limit.map(|r| r.to_string())),
        (
            "serve.access_log",
            args.no_access_log.then(|| "false".to_owned()),
        ),
    ];
    let ws = ctx.open_workspace(&flags)?;
    let addr = ws.settings().serve.addr.clone();
    let quiet = ctx.quiet;
    if !quiet {
        eprintln!("Reading the workspace (analytics, customer value, behaviour model)...");
    }
    serve_workspaces(ctx, ws, &args.also, &addr, |bound| {
        if !quiet {
            eprintln!(
                "Serving on http://{bound}/ (dashboard), http://{bound}/v1/docs (API); Ctrl-C stops."
            );
        }
    })?;
    Ok(ExitCode::SUCCESS)
}
