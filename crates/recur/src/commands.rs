//! Command implementations: parse settings once, call the engine, print.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use recur_engine::prelude::*;
use recur_engine::{KEYS, SETTINGS_FILE};

use crate::cli::{
    AnalyzeArgs, CampaignCommand, Cli, ClvCommand, Command, DemoArgs, FormatArg, ImportArgs,
    OutputFormat, TableArg,
};
use crate::output;
use crate::progress::{self, Bar, Stages};

pub(crate) fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Init { ref dir } => init(dir.as_deref().unwrap_or(&cli.workspace)),
        Command::Import(ref args) => import(&cli, args),
        Command::Analyze(ref args) => analyze(&cli, args),
        Command::Llm(ref cmd) => crate::language::llm(&cli, cmd),
        Command::Embed(ref args) => crate::language::embed(&cli, args),
        Command::Demo(ref args) => demo(&cli, args),
        Command::Train(ref args) => crate::behaviour::train(&cli, args),
        Command::Recommend(ref args) => crate::behaviour::recommend(&cli, args),
        Command::Eval(ref cmd) => crate::behaviour::eval(&cli, cmd),
        Command::Bench(ref cmd) => crate::behaviour::bench(cmd),
        Command::Clv(ClvCommand::Fit { json }) => {
            let v = recur_engine::customer_value(&open(&cli.workspace, &[])?)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"bgnbd": v.bgnbd, "gamma_gamma": v.gamma_gamma})
                    )?
                );
            } else {
                print!(
                    "{}",
                    output::fits_text(&[
                        ("BG/NBD (weeks)", &v.bgnbd),
                        ("Gamma-Gamma", &v.gamma_gamma)
                    ])
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Clv(ClvCommand::Predict { json, top }) => {
            let mut v = recur_engine::customer_value(&open(&cli.workspace, &[])?)?;
            v.customers.sort_by(|a, b| b.clv_12m.total_cmp(&a.clv_12m));
            if json {
                println!("{}", serde_json::to_string_pretty(&v.customers)?);
            } else {
                print!(
                    "{}",
                    output::values_text(&v.customers[..top.min(v.customers.len())])
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Clv(ClvCommand::Bench {
            ref cdnow_master,
            runs,
            ref write_summary,
            synthetic_customers,
        }) => {
            let b = recur_bench::bench_cdnow_master(
                cdnow_master,
                runs,
                write_summary.as_deref(),
                synthetic_customers,
            )?;
            println!("{}", serde_json::to_string_pretty(&b)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Clv(ClvCommand::Evaluate {
            cdnow: Some(ref cdnow),
            json,
            ..
        }) => {
            let eval = recur_bench::evaluate_cdnow(cdnow)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&eval)?);
            } else {
                print!("{}", output::cdnow_text(&eval));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Clv(ClvCommand::Evaluate {
            cdnow: None,
            holdout_days,
            json,
        }) => {
            let eval = recur_engine::evaluate_workspace(&open(&cli.workspace, &[])?, holdout_days)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&eval)?);
            } else {
                print!("{}", output::workspace_eval_text(&eval));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Campaign(CampaignCommand::Evaluate {
            campaign: Some(ref campaign),
            margin,
            json,
            ..
        }) => {
            let r = recur_engine::evaluate_workspace_campaign(
                &open(&cli.workspace, &[])?,
                campaign,
                margin,
            )?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "Goal window {} .. {}: {} purchase day(s) of campaign customers found.",
                    r.window_start, r.window_end, r.purchase_days_in_window
                );
                if r.purchase_days_in_window == 0 {
                    println!(
                        "No orders in the window yet: import the orders up to {} and run this again.",
                        r.window_end
                    );
                }
                println!("Offer cost: {}.", r.offer_cost_basis);
                print!("{}", output::lift_text(&r.lift));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Campaign(CampaignCommand::Evaluate {
            hillstrom: Some(ref hillstrom),
            seed,
            json,
            ..
        }) => {
            let r = recur_bench::evaluate_hillstrom(hillstrom, seed)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                print!("{}", output::hillstrom_text(&r));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Campaign(CampaignCommand::Generate {
            ref campaign,
            ref shop,
            ref currency,
            llm_drafts,
            json,
        }) => {
            let ws = open(&cli.workspace, &[])?;
            let mut generator = if llm_drafts > 0 {
                Some(crate::language::configured_generator(
                    &cli.workspace,
                    ws.settings(),
                )?)
            } else {
                None
            };
            let bar = progress::count_bar(cli.quiet || json, "writing messages");
            let g = recur_engine::generate_workspace_campaign(
                &ws,
                campaign,
                shop,
                currency,
                generator
                    .as_mut()
                    .map(|g| &mut **g as &mut dyn recur_engine::llm::Generate),
                llm_drafts,
                &mut |done, total| {
                    bar.set_length(total as u64);
                    bar.set_position(done as u64);
                },
            )?;
            bar.finish_and_clear();
            if json {
                println!("{}", serde_json::to_string_pretty(&g)?);
            } else {
                let paths: Vec<String> = g
                    .message_paths
                    .iter()
                    .map(|(p, n)| format!("{}: {n}", output::path_label(p)))
                    .collect();
                println!("Campaign {}: messages {}.", g.campaign, paths.join(", "));
                println!("Products: {}.", g.product_source);
                println!("Newly queued in the send ledger: {}.", g.queued);
                if let Some(d) = g.files.first().and_then(|f| f.parent()) {
                    println!("ESP import files: {}", d.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Campaign(CampaignCommand::Evaluate { .. }) => {
            unreachable!("clap requires --campaign or --hillstrom")
        }
        Command::Campaign(CampaignCommand::Plan {
            ref spec,
            margin,
            ref as_of,
            json,
        }) => {
            let now = match as_of {
                None => chrono::Utc::now().timestamp(),
                Some(day) => chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                    .map_err(|_| recur_engine::Error::BadSetting {
                        key: "as-of".into(),
                        value: day.clone(),
                        hint: "use a day as YYYY-MM-DD, for example 2026-11-01".into(),
                    })?
                    .and_hms_opt(12, 0, 0)
                    .expect("noon exists")
                    .and_utc()
                    .timestamp(),
            };
            let p = recur_engine::plan_workspace_campaign(
                &open(&cli.workspace, &[])?,
                spec,
                margin,
                now,
            )?;
            if json {
                println!("{}", serde_json::to_string_pretty(&p)?);
            } else {
                let s = &p.summary;
                println!(
                    "Campaign {}: {} customers considered, {} eligible, {} held out, {} to contact.",
                    p.campaign, s.candidates, s.eligible, s.holdout, s.treated
                );
                println!("Offers ({}):", p.targeting);
                for (offer, n) in &s.by_offer {
                    println!("  {offer}: {n}");
                }
                for e in &p.evidence {
                    println!(
                        "  {} ({}): {} treated ({} bought) vs {} held out ({} bought) in {}{}{}",
                        e.offer,
                        e.basis,
                        e.treated,
                        e.treated_buyers,
                        e.holdout,
                        e.holdout_buyers,
                        if e.campaigns.is_empty() {
                            "no past campaign".to_owned()
                        } else {
                            e.campaigns.join(", ")
                        },
                        e.held_out_qini
                            .filter(|_| e.no_model.is_none())
                            .map_or(String::new(), |q| format!("; held-out Qini {q:.5}")),
                        e.no_model
                            .as_ref()
                            .map_or(String::new(), |why| format!(" — {why}"))
                    );
                }
                for (id, why) in &p.not_learned_from {
                    println!("  not learned from {id}: {why}");
                }
                for (why, n) in &s.excluded {
                    let why = serde_json::to_value(why)?;
                    let why = why.as_str().unwrap_or_default().replace('_', " ");
                    println!("  not contacted ({why}): {n}");
                }
                println!(
                    "{} in {}",
                    if p.newly_recorded {
                        "Recorded (holdout fixed from now on)"
                    } else {
                        "Already recorded; the recorded holdout is kept"
                    },
                    p.ledger.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Campaign(CampaignCommand::Redemptions { ref file, json }) => {
            let r = recur_engine::import_workspace_redemptions(&open(&cli.workspace, &[])?, file)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
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
                for (line, code) in r.unknown_codes.iter().take(10) {
                    println!("  line {line}: code {code} was not issued by any recorded campaign");
                }
                if r.unknown_codes.len() > 10 {
                    println!(
                        "  ... and {} more (--json lists all)",
                        r.unknown_codes.len() - 10
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Campaign(CampaignCommand::Send {
            ref campaign,
            ref dir,
            ref smtp,
            smtp_security,
            ref smtp_user,
            ref smtp_password,
            ignore_send_window,
            ref from,
            ref webhook,
            ref webhook_secret,
            dry_run,
            json,
        }) => {
            let security = match smtp_security {
                crate::cli::SmtpSecurityArg::Plain => recur_engine::SmtpSecurity::Plain,
                crate::cli::SmtpSecurityArg::Starttls => recur_engine::SmtpSecurity::StartTls,
                crate::cli::SmtpSecurityArg::Tls => recur_engine::SmtpSecurity::Tls,
            };
            let credentials = match (smtp_user, smtp_password) {
                (Some(u), Some(p)) => Some((u.clone(), p.clone())),
                (Some(_), None) => {
                    return Err(recur_engine::Error::BadSetting {
                        key: "smtp-user".into(),
                        value: String::new(),
                        hint: "a login needs its password: set RECUR_SMTP_PASSWORD".into(),
                    }
                    .into());
                }
                _ => None,
            };
            let dir = dir
                .clone()
                .unwrap_or_else(|| cli.workspace.join("campaign"));
            let channel = match (smtp, webhook) {
                (_, Some(url)) => recur_engine::ChannelConfig::Webhook {
                    url: url.clone(),
                    secret: webhook_secret.clone().ok_or_else(|| {
                        recur_engine::Error::BadSetting {
                            key: "webhook-secret".into(),
                            value: String::new(),
                            hint: "--webhook needs a signing secret: set RECUR_WEBHOOK_SECRET or pass --webhook-secret".into(),
                        }
                    })?,
                },
                (Some(addr), None) => {
                    let (host, port) = addr
                        .rsplit_once(':')
                        .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
                        .ok_or_else(|| recur_engine::Error::BadSetting {
                            key: "smtp".into(),
                            value: addr.clone(),
                            hint: "use HOST:PORT, for example localhost:1025".into(),
                        })?;
                    recur_engine::ChannelConfig::Smtp {
                        host: host.to_owned(),
                        port,
                        from: from.clone(),
                        security,
                        credentials,
                    }
                }
                // Dry run without a channel: nothing is delivered, so any channel will do.
                (None, None) => recur_engine::ChannelConfig::Smtp {
                    host: "localhost".into(),
                    port: 25,
                    from: from.clone(),
                    security,
                    credentials,
                },
            };
            let bar = progress::count_bar(cli.quiet || json || dry_run, "sending");
            let out = recur_engine::send_campaign(
                &dir,
                campaign,
                &channel,
                dry_run,
                ignore_send_window,
                &mut |done, total| {
                    bar.set_length(total as u64);
                    bar.set_position(done as u64);
                },
            )?;
            bar.finish_and_clear();
            if json {
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                let r = &out.run;
                if dry_run {
                    println!(
                        "{}: {} message(s) would be sent (dry run).",
                        out.campaign, r.would_send
                    );
                } else {
                    println!(
                        "{}: sent {} ({} re-sent after an interrupted run), failed {}, suppressed {}.",
                        out.campaign, r.sent, r.resent_after_crash, r.failed, r.suppressed
                    );
                }
                if r.deferred > 0 {
                    println!(
                        "{} message(s) left queued: outside the campaign's send window; it opens {} (run again then, or pass --ignore-send-window).",
                        r.deferred,
                        r.window_opens.as_deref().unwrap_or("later")
                    );
                }
                let t = &out.totals;
                println!(
                    "Ledger: {} sent, {} queued, {} in flight, {} failed, {} suppressed.",
                    t.sent, t.queued, t.sending, t.failed, t.suppressed
                );
            }
            Ok(if out.run.failed > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Presets => {
            for (name, doc) in PRESETS {
                println!("{name:<16}{doc}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Like [`settings`], but without a workspace the defaults (with the environment) apply.
pub(crate) fn settings_or_defaults(workspace: &Path) -> Result<Settings> {
    if workspace.join(SETTINGS_FILE).exists() {
        return settings(workspace);
    }
    let mut s = Settings::default();
    for (key, env, _) in KEYS {
        if let Ok(v) = std::env::var(env) {
            s.set(key, &v)
                .with_context(|| format!("from environment variable {env}"))?;
        }
    }
    Ok(s)
}

/// Settings layered as defaults < recur.toml < RECUR_* environment (flags are applied by callers).
fn settings(workspace: &Path) -> Result<Settings> {
    let path = workspace.join(SETTINGS_FILE);
    if !path.exists() {
        return Err(Error::NoWorkspace(workspace.to_owned()).into());
    }
    let mut s = Settings::from_file(&path)?;
    for (key, env, _) in KEYS {
        if let Ok(v) = std::env::var(env) {
            s.set(key, &v)
                .with_context(|| format!("from environment variable {env}"))?;
        }
    }
    Ok(s)
}

/// The workspace with settings from recur.toml and RECUR_* variables.
pub(crate) fn open_workspace(workspace: &Path) -> Result<Workspace> {
    open(workspace, &[])
}

fn open(workspace: &Path, flags: &[(&str, Option<String>)]) -> Result<Workspace> {
    let mut s = settings(workspace)?;
    for (key, value) in flags {
        if let Some(v) = value {
            s.set(key, v)?;
        }
    }
    Ok(Workspace::open_with(workspace, s)?)
}

fn init(dir: &Path) -> Result<ExitCode> {
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

fn table(t: TableArg) -> Table {
    match t {
        TableArg::Orders => Table::Orders,
        TableArg::Catalog => Table::Catalog,
        TableArg::Events => Table::Events,
        TableArg::Reviews => Table::Reviews,
        TableArg::Customers => Table::Customers,
    }
}

fn import(cli: &Cli, args: &ImportArgs) -> Result<ExitCode> {
    let ws = open(&cli.workspace, &[])?;
    let t = table(args.table);
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
    let format = args.format.map(|f| match f {
        FormatArg::Csv => Format::Csv,
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Parquet => Format::Parquet,
        FormatArg::Whitespace => Format::Whitespace,
    });
    let req = ImportRequest {
        table: t,
        path: args.file.clone(),
        format,
        mapping,
        mapping_label: label,
    };
    let bar = Bar::new(cli.quiet || args.json);
    let report = ws.import(&req, &bar);
    bar.finish();
    let report = report?;
    if args.json {
        println!("{}", output::import_json(&report)?);
    } else {
        print!("{}", output::import_text(&report));
    }
    Ok(ExitCode::SUCCESS)
}

fn analyze(cli: &Cli, args: &AnalyzeArgs) -> Result<ExitCode> {
    let ws = open(
        &cli.workspace,
        &[(
            "analytics.repurchase_days",
            args.repurchase_days.map(|d| d.to_string()),
        )],
    )?;
    let format = if args.json {
        OutputFormat::Json
    } else {
        args.format
    };
    if let Some(id) = &args.customer {
        let profile = ws.session()?.profile(id).map_err(Error::from)?;
        let value = recur_engine::customer_value(&ws)
            .ok()
            .and_then(|v| v.customers.into_iter().find(|c| c.customer_id == *id));
        match format {
            OutputFormat::Json => println!(
                "{}",
                serde_json::to_string_pretty(
                    &serde_json::json!({"profile": profile, "value": value})
                )?
            ),
            OutputFormat::Table | OutputFormat::Csv => {
                print!("{}", output::profile_text(&profile));
                if let Some(v) = value {
                    print!("{}", output::value_lines(&v));
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let report = ws.analyze()?;
    match format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        OutputFormat::Table => print!("{}", output::report_text(&report)),
        OutputFormat::Csv => {
            let out = args
                .out
                .clone()
                .unwrap_or_else(|| ws.root().join("analytics"));
            let files = output::write_csv(&report, &out)?;
            for f in files {
                println!("wrote {}", f.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn demo(cli: &Cli, args: &DemoArgs) -> Result<ExitCode> {
    let dir: PathBuf = if args.dir.is_absolute() {
        args.dir.clone()
    } else {
        cli.workspace.join(&args.dir)
    };
    let source = match &args.online_retail {
        Some(p) => DemoSource::OnlineRetail(p.clone()),
        None => DemoSource::Synthetic(SynthConfig {
            seed: args.seed,
            customers: args.customers,
            ..SynthConfig::default()
        }),
    };
    let quiet = cli.quiet || args.json;
    let stages = Stages {
        bar: Bar::new(quiet),
        quiet,
    };
    // The local language model drafts a few campaign messages when the set-up fetched it.
    let settings = recur_engine::Settings::default();
    let model = crate::language::default_model_path(&cli.workspace, &settings);
    let llm = model.exists().then(|| (settings.llm.clone(), model));
    let outcome = run_demo(
        &DemoOptions {
            dir,
            source,
            llm,
            llm_drafts: args.llm_drafts,
        },
        &stages,
    );
    stages.bar.finish();
    let outcome = outcome?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome.to_json())?);
    } else {
        print!("{}", output::demo_text(&outcome));
    }
    Ok(ExitCode::SUCCESS)
}
