//! A product's review summary as text: each bullet with who wrote it and the review ids it
//! cites, the quotes it cites, and why the template is shown when it is; and what
//! `recur analyze --summaries N` saved and skipped.

use std::path::PathBuf;

use recur_engine::{BulletPath, ReviewSummary};
use serde::Serialize;

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

/// What `recur analyze --summaries N` did with one product.
#[derive(Debug, Serialize)]
pub(crate) struct SummaryRunItem {
    /// Product id.
    pub(crate) product_id: String,
    /// Its reviews now.
    pub(crate) reviews: usize,
    /// `saved`, or `skipped` when its saved summary rests on the same review count.
    pub(crate) status: &'static str,
    /// Who wrote the saved bullets (`model`, `template`).
    pub(crate) path: BulletPath,
    /// The summary's file.
    pub(crate) file: PathBuf,
}

/// What `recur analyze --summaries N` did.
#[derive(Debug, Serialize)]
pub(crate) struct SummaryRun {
    /// Folder of the saved summaries.
    pub(crate) dir: PathBuf,
    /// The model asked, if one was.
    pub(crate) writer: Option<String>,
    /// Summaries written and saved.
    pub(crate) saved: usize,
    /// Products skipped: their saved summary is up to date.
    pub(crate) skipped: usize,
    /// The products, most reviewed first.
    pub(crate) products: Vec<SummaryRunItem>,
}

/// The run's lines: one per product, then the totals and what shows the summaries.
pub(crate) fn summary_run_text(r: &SummaryRun) -> String {
    let mut out = format!(
        "Review summaries of the {} most-reviewed products ({}):\n",
        r.products.len(),
        r.writer
            .as_deref()
            .map_or_else(|| "the template".to_owned(), |w| format!("model {w}"))
    );
    let width = r
        .products
        .iter()
        .map(|p| p.product_id.chars().count())
        .max()
        .unwrap_or(0);
    for p in &r.products {
        out.push_str(&format!(
            "  {:width$}  {:>5} reviews  {} ({})\n",
            p.product_id,
            p.reviews,
            if p.status == "saved" {
                "saved"
            } else {
                "up to date, skipped"
            },
            p.path
        ));
    }
    let model = r
        .products
        .iter()
        .filter(|p| p.status == "saved" && p.path == BulletPath::Model)
        .count();
    out.push_str(&format!(
        "Saved {} ({model} by the model, {} by the template), skipped {} already up to date, in {}.\n\
         The HTML report and `recur serve` (GET /v1/products/ID/reviews) show them.\n",
        r.saved,
        r.saved - model,
        r.skipped,
        r.dir.display()
    ));
    out
}
