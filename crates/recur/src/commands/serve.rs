//! `recur serve`: the HTTP API, live events and the dashboard for one or more workspaces.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use recur_engine::{ChannelConfig, Error, SmtpSecurity, Workspace};
use recur_server::{ServerConfig, SharedEmbedder, Shop};

use crate::cli::ServeArgs;
use crate::context::Context;
use crate::models;

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

/// Where a workspace's approved campaigns go (`[delivery]`; secrets from the environment:
/// RECUR_WEBHOOK_SECRET, RECUR_SMTP_PASSWORD): a webhook, else an SMTP server, else none.
fn delivery(s: &recur_engine::Settings) -> Result<Option<ChannelConfig>> {
    let d = &s.delivery;
    let secret = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if !d.webhook.is_empty() {
        let secret = secret("RECUR_WEBHOOK_SECRET").ok_or_else(|| Error::BadSetting {
            key: "delivery.webhook".into(),
            value: d.webhook.clone(),
            hint: "a webhook needs a signing secret: set RECUR_WEBHOOK_SECRET in the server's environment".into(),
        })?;
        return Ok(Some(ChannelConfig::Webhook {
            url: d.webhook.clone(),
            secret,
        }));
    }
    if d.smtp.is_empty() {
        return Ok(None);
    }
    let (host, port) = d
        .smtp
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
        .ok_or_else(|| Error::BadSetting {
            key: "delivery.smtp".into(),
            value: d.smtp.clone(),
            hint: "use HOST:PORT, for example localhost:1025".into(),
        })?;
    let security = match d.smtp_security.as_str() {
        "starttls" => SmtpSecurity::StartTls,
        "tls" => SmtpSecurity::Tls,
        _ => SmtpSecurity::Plain,
    };
    let credentials = if d.smtp_user.is_empty() {
        None
    } else {
        let password = secret("RECUR_SMTP_PASSWORD").ok_or_else(|| Error::BadSetting {
            key: "delivery.smtp_user".into(),
            value: d.smtp_user.clone(),
            hint: "a login needs its password: set RECUR_SMTP_PASSWORD in the server's environment"
                .into(),
        })?;
        Some((d.smtp_user.clone(), password))
    };
    Ok(Some(ChannelConfig::Smtp {
        host,
        port,
        from: d.smtp_from.clone(),
        security,
        credentials,
    }))
}

/// Opens each workspace (its first snapshot runs the analyses) and serves them.
pub(crate) fn serve_workspaces(
    ctx: &Context,
    first: Workspace,
    more: &[PathBuf],
    addr: &str,
    embed: bool,
    say: impl FnOnce(std::net::SocketAddr),
) -> Result<()> {
    let config = config(first.settings());
    let first_delivery = delivery(first.settings())?;
    // One embedding model for every shop served (the first workspace's settings choose it).
    let embedder: Option<SharedEmbedder> = if embed {
        models::shared_embedder(ctx, first.settings())?.map(SharedEmbedder::from)
    } else {
        None
    };
    let with_embedder = |shop: Shop| match &embedder {
        Some(e) => shop.with_embedder(e.clone()),
        None => shop,
    };
    let mut shops = vec![with_embedder(
        Shop::open(first)?.with_delivery(first_delivery),
    )];
    for dir in more {
        let sub = Context {
            workspace: dir.clone(),
            ..ctx.clone()
        };
        let ws = sub.open_workspace(&[])?;
        let channel = delivery(ws.settings())?;
        shops.push(with_embedder(Shop::open(ws)?.with_delivery(channel)));
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
    serve_workspaces(ctx, ws, &args.also, &addr, !args.no_embed, |bound| {
        if !quiet {
            eprintln!(
                "Serving on http://{bound}/ (dashboard), http://{bound}/v1/docs (API); Ctrl-C stops."
            );
        }
    })?;
    Ok(ExitCode::SUCCESS)
}
