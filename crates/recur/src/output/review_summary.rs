//! A product's review summary as text: each bullet with who wrote it and the review ids it
//! cites, the quotes it cites, and why the template is shown when it is.

use recur_engine::{BulletPath, ReviewSummary};

/// The summary's lines.
pub(crate) fn review_summary_text(s: &ReviewSummary) -> String {
    let mut out = match s.path {
        BulletPath::Model => format!(
            "Summary ({}, written by the language model; {} of its {} bullets passed the citation check):\n",
            s.language.tag(),
            s.bullets.len(),
            s.proposed
        ),
        BulletPath::Template => "Summary (the template of the top aspects):\n".to_owned(),
    };
    if s.bullets.is_empty() {
        out.push_str("  (no aspect to summarise)\n");
    }
    for b in &s.bullets {
        out.push_str(&format!(
            "  - [{}] {}\n      cites {}\n",
            b.path,
            b.text,
            b.citations.join(", ")
        ));
        if b.path == BulletPath::Model {
            for n in &b.quotes {
                if let Some(q) = s.quotes.iter().find(|q| q.number == *n) {
                    out.push_str(&format!("      [{}] \"{}\"\n", q.review, q.text));
                }
            }
        }
    }
    if let Some(note) = &s.note {
        out.push_str(&format!("  Note: {note}.\n"));
    }
    if !s.rejected.is_empty() {
        out.push_str(&format!(
            "  {} of the model's bullets dropped (see --json for why).\n",
            s.rejected.len()
        ));
    }
    if let Some(w) = &s.writer {
        out.push_str(&format!(
            "  Model: {w}; {} attempt(s), {:.1} s.\n",
            s.attempts, s.seconds
        ));
    }
    out
}
