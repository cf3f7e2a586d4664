//! Import results: the row accounting as text and as one JSON document.

use std::fmt::Write as _;

use recur_engine::prelude::{ImportRemoval, ImportReport, Manifest};

use super::grid;

/// The import report as a JSON document (the accounting flattened).
pub(crate) fn import_json(r: &ImportReport) -> serde_json::Value {
    let a = &r.accounting;
    serde_json::json!({
        "import_id": r.import_id,
        "table": r.table,
        "source": r.source,
        "already_imported": r.already_imported,
        "read": a.read,
        "imported": a.imported,
        "quarantined": a.quarantined,
        "duplicates": a.duplicates,
        "balanced": a.is_balanced(),
        "by_reason": a.by_reason,
        "flags": a.flags,
        "blank_lines": a.blank_lines,
        "quarantine_file": r.quarantine_file,
        "files_written": r.files_written,
        "seconds": r.seconds,
    })
}

/// What was imported, or that the file was already, and its accounting.
pub(crate) fn import_text(r: &ImportReport) -> String {
    let mut s = String::new();
    if r.already_imported {
        let _ = writeln!(
            s,
            "`{}` was already imported into `{}` as {} (same SHA-256); nothing changed. Its accounting:",
            r.source, r.table, r.import_id
        );
    } else {
        let _ = writeln!(
            s,
            "Imported `{}` into `{}` as {} in {:.2} s:",
            r.source, r.table, r.import_id, r.seconds
        );
    }
    let _ = writeln!(s, "{}", r.accounting);
    if let Some(q) = &r.quarantine_file {
        let _ = writeln!(
            s,
            "Quarantined rows (file, line, column, reason, raw row): {}",
            q.display()
        );
    }
    s
}

/// The workspace's imports (and the removed ones) as one JSON document.
pub(crate) fn imports_json(m: &Manifest) -> serde_json::Value {
    let imports: Vec<serde_json::Value> = m
        .imports
        .iter()
        .map(|i| {
            let rows: u64 = m
                .files
                .iter()
                .filter(|f| f.import_id == i.id)
                .map(|f| f.rows)
                .sum();
            serde_json::json!({
                "id": i.id,
                "table": i.table,
                "source": i.source,
                "format": i.format,
                "mapping": i.mapping,
                "finished_at": i.finished_at,
                "source_sha256": i.source_sha256,
                "source_bytes": i.source_bytes,
                "read": i.accounting.read,
                "imported": i.accounting.imported,
                "quarantined": i.accounting.quarantined,
                "duplicates": i.accounting.duplicates,
                "stored_rows": rows,
                "quarantine_file": i.quarantine_file,
            })
        })
        .collect();
    serde_json::json!({ "imports": imports, "removed": m.removed_imports })
}

/// The workspace's imports as a table, oldest first.
pub(crate) fn imports_text(m: &Manifest) -> String {
    if m.imports.is_empty() && m.removed_imports.is_empty() {
        return "No imports yet: `recur import TABLE --file FILE` adds one.\n".to_owned();
    }
    let mut g = grid(&[
        "id",
        "table",
        "source",
        "finished",
        "read",
        "imported",
        "quarantined",
        "duplicates",
    ]);
    for i in &m.imports {
        let a = &i.accounting;
        g.add_row(vec![
            i.id.clone(),
            i.table.clone(),
            i.source.clone(),
            i.finished_at.clone(),
            a.read.to_string(),
            a.imported.to_string(),
            a.quarantined.to_string(),
            a.duplicates.to_string(),
        ]);
    }
    let mut s = format!("{g}\n");
    for r in &m.removed_imports {
        let _ = writeln!(
            s,
            "Removed {} ({} from `{}`, {} rows) at {}.",
            r.import.id, r.import.table, r.import.source, r.rows_removed, r.removed_at
        );
    }
    s
}

/// What `recur import remove` did.
pub(crate) fn removal_text(r: &ImportRemoval) -> String {
    let i = &r.removed.import;
    let mut s = format!(
        "Removed import {} (`{}` into `{}`): {} stored rows in {} files{}.\n",
        i.id,
        i.source,
        i.table,
        r.removed.rows_removed,
        r.removed.files_removed,
        if i.quarantine_file.is_some() {
            " and its quarantine file"
        } else {
            ""
        }
    );
    if !r.later_imports_with_duplicates.is_empty() {
        let _ = writeln!(
            s,
            "Note: later imports into `{}` counted rows as duplicates that this import may have stored alone: {}. \
             To store those rows again, remove those imports and import their files again.",
            i.table,
            r.later_imports_with_duplicates.join(", ")
        );
    }
    s
}
