//! `recur kb`: the assistant's knowledge (import a file or the catalog, list, remove, search).

use std::process::ExitCode;

use anyhow::Result;
use recur_engine::KnowledgeKind;

use crate::cli::KbCommand;
use crate::context::{Context, print_json};
use crate::error::{require_file, usage};
use crate::models;

pub(crate) fn run(ctx: &Context, cmd: &KbCommand) -> Result<ExitCode> {
    match cmd {
        KbCommand::Import {
            file,
            kind,
            catalog,
            no_embed,
            json,
        } => {
            let s = ctx.settings_or_defaults()?;
            let embedder = if *no_embed {
                None
            } else {
                models::optional_embedder(ctx, &s)?
            };
            let kind = match kind {
                Some(k) => Some(KnowledgeKind::parse(k).ok_or_else(|| {
                    usage(format!(
                        "--kind `{k}` is not a knowledge kind; use faq or policy"
                    ))
                })?),
                None => None,
            };
            let report = if *catalog {
                let ws = ctx.open_workspace(&[])?;
                recur_engine::import_catalog_knowledge(&ws, embedder.as_deref())?
            } else {
                let Some(file) = file else {
                    return Err(usage(
                        "give a knowledge file (recur kb import FILE) or --catalog",
                    ));
                };
                require_file(file, "the knowledge file")?;
                std::fs::create_dir_all(&ctx.workspace)?;
                recur_engine::import_knowledge(&ctx.workspace, file, kind, embedder.as_deref())?
            };
            if *json {
                print_json(&report)?;
            } else if report.unchanged_file {
                println!(
                    "{}: unchanged since the last import ({} passages)",
                    report.source, report.passages
                );
            } else {
                println!(
                    "{} ({}): {} passages ({} new or changed, {} removed, {} unchanged; {} embedded{})",
                    report.source,
                    report.kind,
                    report.passages,
                    report.added,
                    report.removed,
                    report.unchanged,
                    report.embedded,
                    if report.embedder.is_empty() {
                        ", words only".to_owned()
                    } else {
                        format!(" with {}", report.embedder)
                    }
                );
            }
        }
        KbCommand::List { json } => {
            let sources = recur_engine::knowledge_sources(&ctx.workspace)?;
            if *json {
                print_json(&sources)?;
            } else if sources.is_empty() {
                println!("no knowledge imported; add some with `recur kb import FILE`");
            } else {
                for s in sources {
                    println!("{}\t{} passages", s.name, s.passages);
                }
            }
        }
        KbCommand::Remove { source } => {
            let n = recur_engine::remove_knowledge(&ctx.workspace, source)?;
            println!("removed {source} ({n} passages)");
        }
        KbCommand::Search { query, k, json } => {
            let s = ctx.settings_or_defaults()?;
            let embedder = models::optional_embedder(ctx, &s)?;
            let hits = recur_engine::search_knowledge(
                &ctx.workspace,
                query,
                *k,
                embedder.as_deref(),
                &recur_engine::assist_options(&s.assist),
            )?;
            if *json {
                print_json(&hits)?;
            } else {
                for (i, h) in hits.iter().enumerate() {
                    println!(
                        "{}. {} (score {:.4}, confidence {:.2})\n   {}\n",
                        i + 1,
                        h.id,
                        h.score,
                        h.confidence,
                        h.title
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
