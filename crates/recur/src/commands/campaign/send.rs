//! `recur campaign send --campaign ID`: send a campaign's queued messages from its send
//! ledger (SMTP or a signed webhook), exactly once per customer: safe to interrupt and run
//! again.

use std::process::ExitCode;

use anyhow::Result;
use recur_engine::{ChannelConfig, Error, SmtpSecurity};

use crate::cli::{SendArgs, SmtpSecurityArg};
use crate::context::{Context, print_json};
use crate::output;
use crate::progress;

pub(crate) fn run(ctx: &Context, args: &SendArgs) -> Result<ExitCode> {
    let channel = channel(args)?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| ctx.workspace.join("campaign"));
    let bar = progress::count_bar(ctx.quiet_or(args.json) || args.dry_run, "sending");
    let out = recur_engine::send_campaign(
        &dir,
        &args.campaign,
        &channel,
        &recur_engine::SendRun {
            dry_run: args.dry_run,
            ignore_window: args.ignore_send_window,
            retry_failed: args.retry_failed,
            retry_for: args
                .retry_minutes
                .map(|m| std::time::Duration::from_secs(m * 60)),
            connections: Some(usize::from(args.connections)),
            // The command line sends without an approval (it says whether there is one).
            require_approval: false,
        },
        &mut |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
    )?;
    bar.finish_and_clear();
    if args.json {
        print_json(&out)?;
    } else {
        print!("{}", output::send_text(&out, args.dry_run));
    }
    // Failed messages, or a run paused by an endpoint that kept failing, need another run.
    Ok(if out.run.failed > 0 || out.run.paused.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The delivery channel the flags describe: a webhook, an SMTP server, or (dry run without
/// either) a placeholder that delivers nothing.
fn channel(args: &SendArgs) -> Result<ChannelConfig> {
    let security = match args.smtp_security {
        SmtpSecurityArg::Plain => SmtpSecurity::Plain,
        SmtpSecurityArg::Starttls => SmtpSecurity::StartTls,
        SmtpSecurityArg::Tls => SmtpSecurity::Tls,
    };
    let credentials = match (&args.smtp_user, &args.smtp_password) {
        (Some(u), Some(p)) => Some((u.clone(), p.clone())),
        (Some(_), None) => {
            return Err(Error::BadSetting {
                key: "smtp-user".into(),
                value: String::new(),
                hint: "a login needs its password: set RECUR_SMTP_PASSWORD".into(),
            }
            .into());
        }
        _ => None,
    };
    Ok(match (&args.smtp, &args.webhook) {
        (_, Some(url)) => ChannelConfig::Webhook {
            url: url.clone(),
            secret: args.webhook_secret.clone().ok_or_else(|| Error::BadSetting {
                key: "webhook-secret".into(),
                value: String::new(),
                hint: "--webhook needs a signing secret: set RECUR_WEBHOOK_SECRET or pass --webhook-secret".into(),
            })?,
        },
        (Some(addr), None) => {
            let (host, port) = addr
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
                .ok_or_else(|| Error::BadSetting {
                    key: "smtp".into(),
                    value: addr.clone(),
                    hint: "use HOST:PORT, for example localhost:1025".into(),
                })?;
            ChannelConfig::Smtp {
                host: host.to_owned(),
                port,
                from: args.from.clone(),
                security,
                credentials,
            }
        }
        // Dry run without a channel: nothing is delivered, so any channel will do.
        (None, None) => ChannelConfig::Smtp {
            host: "localhost".into(),
            port: 25,
            from: args.from.clone(),
            security,
            credentials,
        },
    })
}
