//! `recur keys`: API keys of the workspace for `recur serve` (create, list, revoke).

use std::process::ExitCode;

use anyhow::Result;
use recur_engine::{ApiKeys, Scope};

use crate::cli::KeysCommand;
use crate::context::{Context, print_json};
use crate::error::usage;

pub(crate) fn run(ctx: &Context, cmd: &KeysCommand) -> Result<ExitCode> {
    let ws = ctx.open_workspace(&[])?;
    match cmd {
        KeysCommand::Create { scope, label, json } => {
            let scopes = scope
                .iter()
                .map(|s| {
                    s.parse::<Scope>()
                        .map_err(|e| usage(format!("--scope: {e}")))
                })
                .collect::<Result<Vec<_>>>()?;
            let (record, key) = ApiKeys::create(&ws, &scopes, label.as_deref().unwrap_or(""))?;
            if *json {
                print_json(&serde_json::json!({
                    "id": record.id, "scopes": record.scopes, "key": key,
                }))?;
            } else {
                println!("{key}");
                eprintln!(
                    "Key {} with scopes {} made. It is shown once: store it now (recur keeps only its hash).",
                    record.id,
                    record
                        .scopes
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        KeysCommand::List { json } => {
            let keys = ApiKeys::open(&ws)?;
            if *json {
                let list: Vec<_> = keys
                    .records()
                    .iter()
                    .map(|r| serde_json::json!({"id": r.id, "label": r.label, "scopes": r.scopes, "created_at": r.created_at}))
                    .collect();
                print_json(&list)?;
            } else if keys.records().is_empty() {
                println!("No keys yet; make one with `recur keys create --scope read`.");
            } else {
                for r in keys.records() {
                    let scopes: Vec<&str> = r.scopes.iter().map(|s| s.as_str()).collect();
                    println!(
                        "{}  {}  {}  {}",
                        r.id,
                        r.created_at,
                        scopes.join(","),
                        r.label
                    );
                }
            }
        }
        KeysCommand::Revoke { id } => {
            if !ApiKeys::revoke(&ws, id)? {
                return Err(usage(format!(
                    "no key with id `{id}`; `recur keys list` shows the ids"
                )));
            }
            println!("Key {id} revoked; a running server refuses it from its next request.");
        }
    }
    Ok(ExitCode::SUCCESS)
}
