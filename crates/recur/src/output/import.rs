//! Import results: the row accounting as text and as one JSON document.

use std::fmt::Write as _;

use recur_engine::prelude::ImportReport;

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
