//! `recur customers`: erase customers from every store; clear inactive customers' personal
//! fields (retention).

use std::process::ExitCode;

use anyhow::Result;
use recur_engine::{Erasure, Retention, apply_retention, erase_customers, read_customer_ids};

use crate::cli::CustomersCommand;
use crate::context::{Context, print_json};
use crate::error::{require_file, usage};

pub(crate) fn run(ctx: &Context, cmd: &CustomersCommand) -> Result<ExitCode> {
    let now = chrono::Utc::now().timestamp();
    match cmd {
        CustomersCommand::Erase { ids, from, json } => {
            let mut all = ids.clone();
            if let Some(path) = from {
                require_file(path, "--from")?;
                let listed = read_customer_ids(path)?;
                if listed.is_empty() {
                    return Err(usage(format!(
                        "`{}` holds no customer id; give one id per line",
                        path.display()
                    )));
                }
                all.extend(listed);
            }
            if all.iter().all(|id| id.trim().is_empty()) {
                return Err(usage("no customer id to erase: give ids or --from FILE"));
            }
            let ws = ctx.open_workspace(&[])?;
            let erasure = erase_customers(&ws, &all, now)?;
            if *json {
                print_json(&erasure)?;
            } else {
                print!("{}", erasure_text(&erasure));
            }
        }
        CustomersCommand::Retain { days, json } => {
            let ws =
                ctx.open_workspace(&[("customers.retention_days", days.map(|d| d.to_string()))])?;
            let retention = apply_retention(&ws, ws.settings().customers.retention_days, now)?;
            if *json {
                print_json(&retention)?;
            } else {
                print!("{}", retention_text(&retention));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn erasure_text(e: &Erasure) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    if e.is_noop() {
        let _ = writeln!(
            s,
            "Nothing held the {} customer(s) any more: already erased, or never imported.",
            e.customers
        );
    } else {
        let rows: Vec<String> = e
            .rows_removed
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(t, n)| format!("{n} {t}"))
            .collect();
        let _ = writeln!(s, "Erased {} customer(s).", e.customers);
        let _ = writeln!(
            s,
            "  Stored rows removed: {}; quarantined lines removed: {}.",
            if rows.is_empty() {
                "none".to_owned()
            } else {
                rows.join(", ")
            },
            e.quarantine_rows_removed
        );
        let _ = writeln!(
            s,
            "  Send ledger: {} row(s) made anonymous; the customers stay suppressed.",
            e.ledger_rows
        );
        for f in &e.files {
            if f.removed {
                let _ = writeln!(
                    s,
                    "  {}: removed (it named a customer); write it again with the command that made it.",
                    f.path
                );
            } else {
                let _ = writeln!(s, "  {}: {} record(s) removed.", f.path, f.records_removed);
            }
        }
    }
    let _ = writeln!(
        s,
        "Recorded in {} (counts only). Files exported outside the workspace, and source files \
         that may be imported again, are the shop's to erase.",
        e.audit_file.display()
    );
    s
}

fn retention_text(r: &Retention) -> String {
    format!(
        "Customers inactive for {} days with personal fields stored: {}; fields cleared on {} \
         row(s) (orders and behaviour kept).\nRecorded in {}.\n",
        r.days,
        r.customers,
        r.fields_cleared,
        r.audit_file.display()
    )
}
