//! A product's review summary written by the language model and grounded by citation
//! (`recur analyze --product ID --summary`): the product's quotes are retrieved and numbered
//! (its aspects' quotes, then its lowest- and highest-starred reviews; see
//! [`recur_reviews::summary_quotes`]), the model answers with schema-constrained JSON whose
//! bullets cite quote numbers from an `enum` of the numbers supplied (it cannot cite what it
//! was not shown) and whose text holds no digit; the numbers are mapped back to review keys and
//! every bullet must pass [`recur_reviews::validate_bullet`] against the full texts of the
//! reviews it cites. A rejected bullet is dropped; when none survives the model is asked once
//! more with the reasons, and then the template summary of the top aspects is shown instead.
//! Each bullet says which path wrote it. The prompt holds review texts only: no reviewer, no
//! customer id, no review key.
//!
//! `prompt.rs` holds the schema, the prompt and the check of an answer; `store.rs` saves a
//! summary in the workspace (`reviews/summaries/`) for the report and the server, which never
//! run the model themselves.

mod prompt;
mod store;

use std::collections::HashMap;
use std::time::Instant;

use recur_campaign::Language;
use recur_llm::{Generate, SamplingParams};
use recur_reviews::{Analysis, AnalyzeOptions, ProductReport, Review, SourceQuote};
use serde::{Deserialize, Serialize};

pub use prompt::{BULLET_CHARS, summary_prompt, summary_schema};
pub use store::{
    SUMMARIES_DIR, SavedBullet, SavedSummary, load_summary, save_summary, saved_summaries,
    summary_file,
};

use crate::error::Result;
use crate::reviews::{hold_back_rule, optional_model, workspace_reviews};
use crate::workspace::Workspace;
use prompt::check_answer;

/// How a summary is written.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryOptions {
    /// Most bullets.
    pub bullets: usize,
    /// Lowest- and highest-starred reviews quoted beside the aspects' quotes (each).
    pub top_reviews: usize,
    /// Most quotes shown to the model.
    pub max_quotes: usize,
    /// Most reviews one bullet may cite.
    pub max_citations: usize,
    /// Seed of the model's sampling (the same seed writes the same summary).
    pub seed: u64,
    /// Most tokens the model writes per attempt.
    pub max_tokens: usize,
    /// Ask the model once more, with the reasons, when none of its bullets passes.
    pub retry: bool,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        Self {
            bullets: 3,
            top_reviews: 2,
            max_quotes: 10,
            max_citations: 3,
            seed: 0,
            max_tokens: 200,
            retry: true,
        }
    }
}

/// Who wrote a bullet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BulletPath {
    /// The language model, and it passed the validator.
    Model,
    /// The template of the top aspects.
    Template,
}

impl std::fmt::Display for BulletPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BulletPath::Model => "model",
            BulletPath::Template => "template",
        })
    }
}

/// One bullet of a summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryBullet {
    /// The bullet.
    pub text: String,
    /// Row keys of the reviews it cites.
    pub citations: Vec<String>,
    /// The numbers of the quotes it cites (see [`ReviewSummary::quotes`]).
    pub quotes: Vec<usize>,
    /// Who wrote it.
    pub path: BulletPath,
    /// Reviews the model cited that hold none of the bullet's words, dropped from `citations`.
    pub unsupported_citations: usize,
}

/// A bullet of the model's that was dropped, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RejectedBullet {
    /// Attempt it came from (1, 2).
    pub attempt: usize,
    /// The bullet.
    pub text: String,
    /// The quote numbers it cited.
    pub quotes: Vec<usize>,
    /// Why it was dropped.
    pub reason: String,
    /// Its words found in none of the reviews it cites.
    pub unsupported: Vec<String>,
}

/// A product's review summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewSummary {
    /// Product id.
    pub product_id: String,
    /// Language of the product's reviews, which the model is asked to write in.
    pub language: Language,
    /// `model` when the bullets are the model's, `template` when they are the template's.
    pub path: BulletPath,
    /// The bullets.
    pub bullets: Vec<SummaryBullet>,
    /// Why the template is shown, when it is.
    pub note: Option<String>,
    /// What wrote the model's bullets (model file or endpoint), when one was asked.
    pub writer: Option<String>,
    /// Times the model was asked.
    pub attempts: usize,
    /// Bullets the model proposed, over all attempts.
    pub proposed: usize,
    /// The model's bullets that were dropped.
    pub rejected: Vec<RejectedBullet>,
    /// The quotes the model was shown, numbered.
    pub quotes: Vec<SourceQuote>,
    /// Seconds to write the summary (the model's time included).
    pub seconds: f64,
}

/// A product's review pain points and its summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductSummary {
    /// The product's pain points (see [`crate::product_pain_points`]).
    pub pain_points: ProductReport,
    /// Its summary.
    pub summary: ReviewSummary,
}

/// One product's pain points and summary (see [`summarize_reviews`]) from the workspace's
/// reviews, judged by the review model when one is trained, else by stars; `Ok(None)` when the
/// product has no reviews.
pub fn product_review_summary(
    ws: &Workspace,
    product: &str,
    generator: Option<&mut dyn Generate>,
    opts: &SummaryOptions,
) -> Result<Option<ProductSummary>> {
    Ok(ReviewSummarizer::open(ws)?.summarize(product, generator, opts))
}

/// The workspace's reviews read and analysed once, to summarise many products in one run
/// (`recur analyze --summaries N`).
#[derive(Debug, Clone)]
pub struct ReviewSummarizer {
    reviews: Vec<Review>,
    analysis: Analysis,
}

impl ReviewSummarizer {
    /// Reads the workspace's reviews and analyses them (the review model when one is trained,
    /// else stars; the `[reviews]` rule).
    pub fn open(ws: &Workspace) -> Result<Self> {
        let reviews = workspace_reviews(ws)?;
        let model = optional_model(ws)?;
        let analysis = recur_reviews::analyze(
            &reviews,
            model.as_ref(),
            &AnalyzeOptions {
                hold_back: hold_back_rule(ws),
                ..AnalyzeOptions::default()
            },
        );
        Ok(ReviewSummarizer { reviews, analysis })
    }

    /// The reviewed products with their review counts, most reviewed first (ties by id).
    pub fn most_reviewed(&self) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = self
            .analysis
            .products
            .iter()
            .map(|p| (p.product_id.clone(), p.reviews))
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// The product's reviews now; `None` when it has none.
    pub fn reviews_of(&self, product: &str) -> Option<usize> {
        self.report(product).map(|p| p.reviews)
    }

    fn report(&self, product: &str) -> Option<&ProductReport> {
        self.analysis
            .products
            .iter()
            .find(|p| p.product_id == product)
    }

    /// The product's pain points and summary (see [`summarize_reviews`]); `None` when it has
    /// no reviews.
    pub fn summarize(
        &self,
        product: &str,
        generator: Option<&mut dyn Generate>,
        opts: &SummaryOptions,
    ) -> Option<ProductSummary> {
        let report = self.report(product)?.clone();
        let own: Vec<Review> = self
            .reviews
            .iter()
            .filter(|r| r.product_id == product)
            .cloned()
            .collect();
        let summary = summarize_reviews(&report, &own, generator, opts);
        Some(ProductSummary {
            pain_points: report,
            summary,
        })
    }
}

/// Summarises `report`'s product from its `reviews`: with a generator, bullets the model
/// writes from the numbered quotes, each kept only when its words occur in the reviews it
/// cites; else, or when none is kept, the template of the top aspects. Never fails: a model
/// error is kept in the note and the template shown.
pub fn summarize_reviews(
    report: &ProductReport,
    reviews: &[Review],
    generator: Option<&mut dyn Generate>,
    opts: &SummaryOptions,
) -> ReviewSummary {
    let started = Instant::now();
    let quotes = recur_reviews::summary_quotes(report, reviews, opts.top_reviews, opts.max_quotes);
    let language = if recur_reviews::mostly_chinese_texts(reviews.iter().map(|r| r.text.as_str())) {
        Language::Zh
    } else {
        Language::En
    };
    let texts: HashMap<&str, &str> = reviews
        .iter()
        .map(|r| (r.key.as_str(), r.text.as_str()))
        .collect();
    let mut out = ReviewSummary {
        product_id: report.product_id.clone(),
        language,
        path: BulletPath::Template,
        bullets: Vec::new(),
        note: None,
        writer: None,
        attempts: 0,
        proposed: 0,
        rejected: Vec::new(),
        quotes,
        seconds: 0.0,
    };
    match generator {
        None => out.note = Some("no language model; the template of the top aspects".into()),
        Some(_) if out.quotes.is_empty() => {
            out.note = Some("no review text to quote; the template of the top aspects".into());
        }
        Some(g) => {
            out.writer = Some(g.describe());
            write_with_model(g, &mut out, &texts, opts);
        }
    }
    if out.bullets.is_empty() {
        out.path = BulletPath::Template;
        out.bullets = template_bullets(report, &out.quotes, opts.bullets);
    } else {
        out.path = BulletPath::Model;
    }
    out.seconds = started.elapsed().as_secs_f64();
    out
}

/// The template's bullets, with the numbers of the quotes they cite where shown.
fn template_bullets(
    report: &ProductReport,
    quotes: &[SourceQuote],
    n: usize,
) -> Vec<SummaryBullet> {
    recur_reviews::template_summary(report, n)
        .into_iter()
        .map(|b| SummaryBullet {
            quotes: b
                .citations
                .iter()
                .filter_map(|k| quotes.iter().find(|q| &q.review == k).map(|q| q.number))
                .collect(),
            text: b.text,
            citations: b.citations,
            path: BulletPath::Template,
            unsupported_citations: 0,
        })
        .collect()
}

/// Asks the model (twice at most) and keeps the bullets that pass; the reasons for the others
/// and the model's failures go into `out`.
fn write_with_model(
    g: &mut dyn Generate,
    out: &mut ReviewSummary,
    texts: &HashMap<&str, &str>,
    opts: &SummaryOptions,
) {
    let Some(schema) = summary_schema(out.language, out.quotes.len(), opts) else {
        out.note = Some("the summary schema could not be built; the template".into());
        return;
    };
    let mut feedback: Vec<RejectedBullet> = Vec::new();
    let mut failure = None;
    let tries = if opts.retry { 2 } else { 1 };
    for attempt in 1..=tries {
        out.attempts = attempt;
        let params = SamplingParams {
            seed: opts.seed.wrapping_mul(1_000).wrapping_add(attempt as u64),
            max_tokens: opts.max_tokens,
            temperature: 0.2,
            top_p: Some(0.9),
            // Copying the quotes' words is the point: no penalty for repeating them.
            repetition_penalty: 1.0,
            ..SamplingParams::default()
        };
        let prompt = summary_prompt(out.language, &out.quotes, &feedback, opts.bullets);
        let answer = match g.chat(&prompt, &params, Some(&schema), &mut |_| {}) {
            Ok(mut a) if !a.is_empty() => a.remove(0).text,
            Ok(_) => {
                failure = Some("the language model returned no answer".to_owned());
                continue;
            }
            Err(e) => {
                // A model that fails once fails again: no retry.
                failure = Some(format!("the language model failed: {e}"));
                break;
            }
        };
        let (kept, rejected) = check_answer(&answer, &out.quotes, texts, attempt);
        out.proposed += kept.len() + rejected.len();
        out.rejected.extend(rejected.iter().cloned());
        if !kept.is_empty() {
            out.bullets = kept;
            return;
        }
        failure = None;
        feedback = rejected;
    }
    out.note = Some(failure.unwrap_or_else(|| {
        format!(
            "none of the model's {} bullets passed the citation check; the template of the top aspects",
            out.proposed
        )
    }));
}
