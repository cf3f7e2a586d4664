//! Campaign copy: the `eval copy` summary, and drafted messages printed side by side.

use std::fmt::Write as _;

use recur_engine::{CopyEvaluation, CopyShares};

use super::{grid, pct};

fn shares_row(name: &str, s: &CopyShares) -> Vec<String> {
    vec![
        name.to_owned(),
        s.drafted.to_string(),
        pct(s.accepted_share),
        pct(s.first_time_share),
        pct(s.after_retry_share),
        pct(s.template_share),
        format!("{:.2}", s.distinct_2),
        format!("{:.2}", s.seconds_per_draft),
    ]
}

/// `recur eval copy` as text.
pub(crate) fn copy_text(e: &CopyEvaluation) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Campaign {}: copy written by {} ({} drafted, {} template-only messages not counted).",
        e.campaign,
        e.model
            .as_deref()
            .unwrap_or("the writer of the last `campaign generate`"),
        e.all.drafted,
        e.template_only
    );
    let mut rows = vec![shares_row("all", &e.all)];
    for (k, v) in &e.by_language {
        rows.push(shares_row(&format!("language {k}"), v));
    }
    for (k, v) in &e.by_channel {
        rows.push(shares_row(&format!("format {k}"), v));
    }
    let mut g = grid(&[
        "",
        "drafted",
        "accepted",
        "first time",
        "after retry",
        "template",
        "distinct-2",
        "s/draft",
    ]);
    for r in rows {
        g.add_row(r);
    }
    let _ = writeln!(s, "{g}");
    if e.violations.is_empty() {
        let _ = writeln!(s, "Violations caught in rejected drafts: none.");
    } else {
        let v: Vec<String> = e
            .violations
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        let _ = writeln!(s, "Violations caught in rejected drafts: {}.", v.join(", "));
    }
    let _ = writeln!(
        s,
        "Unsupplied facts in the final messages (checked again against their recorded facts): {}.",
        e.unsupplied_facts
    );
    let _ = writeln!(s, "Audit: {}", e.audit.display());
    s
}

/// Wraps `text` to lines of at most `width` characters (words longer than that are cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split(' ') {
            let mut word = word.to_owned();
            while word.chars().count() > width {
                let head: String = word.chars().take(width).collect();
                if !line.is_empty() {
                    out.push(std::mem::take(&mut line));
                }
                out.push(head);
                word = word.chars().skip(width).collect();
            }
            let len = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
            if len > width && !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        out.push(line);
    }
    out
}

/// Two texts in columns of `width` characters (CJK characters count as two).
pub(crate) fn side_by_side(left: &str, right: &str, width: usize) -> String {
    let cols = |c: char| {
        if matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6)
        {
            2
        } else {
            1
        }
    };
    // Wrap by display columns: a CJK line holds half as many characters.
    let wrap_cols = |t: &str| -> Vec<String> {
        wrap(t, width)
            .into_iter()
            .flat_map(|l| {
                let mut parts = Vec::new();
                let mut cur = String::new();
                let mut w = 0;
                for c in l.chars() {
                    if w + cols(c) > width {
                        parts.push(std::mem::take(&mut cur));
                        w = 0;
                    }
                    w += cols(c);
                    cur.push(c);
                }
                parts.push(cur);
                parts
            })
            .collect()
    };
    let (a, b) = (wrap_cols(left), wrap_cols(right));
    let mut s = String::new();
    for i in 0..a.len().max(b.len()) {
        let l = a.get(i).map_or("", String::as_str);
        let pad = width.saturating_sub(l.chars().map(cols).sum());
        let r = b.get(i).map_or("", String::as_str);
        let _ = writeln!(s, "    {l}{}  | {r}", " ".repeat(pad));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_and_nothing_is_lost() {
        let s = side_by_side(
            "Hi there,\nwelcome back to the shop",
            "您好：\n好久不见",
            12,
        );
        let lines: Vec<&str> = s.lines().collect();
        assert!(lines.iter().all(|l| l.find('|') == Some(4 + 12 + 2)), "{s}");
        for word in ["welcome", "back", "shop", "好久不见"] {
            assert!(s.contains(word), "{word} missing from\n{s}");
        }
    }
}
