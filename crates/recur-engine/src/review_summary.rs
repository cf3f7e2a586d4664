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

use std::collections::HashMap;
use std::time::Instant;

use recur_campaign::Language;
use recur_llm::{Generate, JsonSchema, Message, SamplingParams};
use recur_reviews::{AnalyzeOptions, Bullet, ProductReport, Review, SourceQuote};
use serde::Serialize;

use crate::error::Result;
use crate::reviews::{hold_back_rule, optional_model, workspace_reviews};
use crate::workspace::Workspace;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
    let reviews = workspace_reviews(ws)?;
    if !reviews.iter().any(|r| r.product_id == product) {
        return Ok(None);
    }
    let model = optional_model(ws)?;
    let analysis = recur_reviews::analyze(
        &reviews,
        model.as_ref(),
        &AnalyzeOptions {
            hold_back: hold_back_rule(ws),
            ..AnalyzeOptions::default()
        },
    );
    let Some(report) = analysis
        .products
        .into_iter()
        .find(|p| p.product_id == product)
    else {
        return Ok(None);
    };
    let own: Vec<Review> = reviews
        .into_iter()
        .filter(|r| r.product_id == product)
        .collect();
    let summary = summarize_reviews(&report, &own, generator, opts);
    Ok(Some(ProductSummary {
        pain_points: report,
        summary,
    }))
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

/// The longest bullet, in characters (longer ones let a small model run on past its quote).
pub const BULLET_CHARS: usize = 120;

/// Characters a bullet may not contain: digits (ASCII and full-width; figures are the
/// template's to state), brackets and braces, markup and line breaks; in English, CJK too.
fn forbidden_class(language: Language) -> String {
    let common = r"\d０-９{}\[\]<>＜＞@＠#\\/_|~^*=&\n\r\t";
    match language {
        Language::En => format!("^[^{common}\\u3400-\\u9fff\\uf900-\\ufaff]*$"),
        Language::Zh => format!("^[^{common}]*$"),
    }
}

/// The answer's schema: 1 to `bullets` bullets, each a text of at most [`BULLET_CHARS`]
/// characters without digits, then 1 to `max_citations` of the quote numbers 1..=`quotes` (an
/// enum). None without quotes.
pub fn summary_schema(
    language: Language,
    quotes: usize,
    opts: &SummaryOptions,
) -> Option<JsonSchema> {
    if quotes == 0 || opts.bullets == 0 {
        return None;
    }
    let numbers: Vec<usize> = (1..=quotes).collect();
    let min = if language == Language::Zh { 4 } else { 12 };
    let schema = serde_json::json!({
        "type": "object",
        "required": ["bullets"],
        "properties": {"bullets": {
            "type": "array", "minItems": 1, "maxItems": opts.bullets,
            "items": {
                "type": "object",
                "required": ["text", "cites"],
                "properties": {
                    "cites": {"type": "array", "minItems": 1, "maxItems": opts.max_citations.max(1),
                              "items": {"enum": numbers}},
                    "text": {"type": "string", "minLength": min, "maxLength": BULLET_CHARS,
                             "pattern": forbidden_class(language)}
                }
            }
        }}
    });
    JsonSchema::from_value(&schema).ok()
}

/// The prompt: instructions, then the product's numbered quotes and, on a second attempt, why
/// the first bullets were dropped. Review texts only. No worked example: SmolLM2-135M copied
/// one (a kettle's lid) into every summary; the schema gives the answer its shape.
pub fn summary_prompt(
    language: Language,
    quotes: &[SourceQuote],
    feedback: &[RejectedBullet],
    bullets: usize,
) -> Vec<Message> {
    let list = |qs: &[SourceQuote]| {
        qs.iter()
            .map(|q| format!("[{}] {}", q.number, q.text.replace(['\n', '\r'], " ")))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (system, ask) = match language {
        Language::En => (
            format!(
                "You summarise what customers say in the reviews of one product, for the shop's \
                 team. Write at most {bullets} short bullets in English, each about one thing \
                 customers like or dislike. Use only the numbered quotes: reuse their own words, \
                 add nothing they do not say, write no numbers. Each bullet cites the numbers \
                 of the quotes it rests on. Answer with JSON."
            ),
            "Summarise these review quotes.",
        ),
        Language::Zh => (
            format!(
                "你为商店团队总结顾客对一款商品的评价。用简体中文写最多{bullets}条简短要点，每条说一件顾客喜欢\
                 或不满的事。只能使用带编号的评价原文：沿用原文的词语，不要添加原文没有的内容，不要写数字。\
                 每条要点注明所依据的评价编号。用 JSON 回答。"
            ),
            "请总结这些评价。",
        ),
    };
    let mut user = format!("{ask}\n{}", list(quotes));
    if !feedback.is_empty() {
        user.push_str(match language {
            Language::En => {
                "\nYour previous bullets were rejected. Use only words of the quotes you cite:"
            }
            Language::Zh => "\n上一次的要点未通过检查。只用所引评价里的词语：",
        });
        for r in feedback {
            user.push_str(&format!("\n- \"{}\": {}", r.text, r.reason));
        }
    }
    vec![Message::system(system), Message::user(user)]
}

/// Reads the model's answer into bullets that pass the validator and those that do not.
fn check_answer(
    answer: &str,
    quotes: &[SourceQuote],
    texts: &HashMap<&str, &str>,
    attempt: usize,
) -> (Vec<SummaryBullet>, Vec<RejectedBullet>) {
    let mut kept: Vec<SummaryBullet> = Vec::new();
    let mut rejected = Vec::new();
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(answer) else {
        rejected.push(RejectedBullet {
            attempt,
            text: answer.chars().take(200).collect(),
            quotes: Vec::new(),
            reason: "the answer is not JSON".into(),
            unsupported: Vec::new(),
        });
        return (kept, rejected);
    };
    let items = doc["bullets"].as_array().cloned().unwrap_or_default();
    for item in items {
        let text = item["text"].as_str().unwrap_or_default().trim().to_owned();
        let mut numbers: Vec<usize> = Vec::new();
        for n in item["cites"].as_array().into_iter().flatten() {
            if let Some(n) = n.as_u64().and_then(|n| usize::try_from(n).ok())
                && !numbers.contains(&n)
            {
                numbers.push(n);
            }
        }
        let mut reject = |reason: String, unsupported: Vec<String>| {
            rejected.push(RejectedBullet {
                attempt,
                text: text.clone(),
                quotes: numbers.clone(),
                reason,
                unsupported,
            });
        };
        let cited: Vec<&SourceQuote> = numbers
            .iter()
            .filter_map(|n| quotes.iter().find(|q| q.number == *n))
            .collect();
        if text.is_empty() {
            reject("empty".into(), Vec::new());
            continue;
        }
        if cited.is_empty() || cited.len() != numbers.len() {
            reject("cites a quote it was not shown".into(), Vec::new());
            continue;
        }
        let words = recur_reviews::content_words(&text);
        if words.is_empty() {
            reject("says nothing a review says".into(), Vec::new());
            continue;
        }
        if kept.iter().any(|k| k.text.eq_ignore_ascii_case(&text)) {
            reject("repeats an earlier bullet".into(), Vec::new());
            continue;
        }
        fn text_of<'a>(texts: &HashMap<&str, &'a str>, q: &'a SourceQuote) -> &'a str {
            texts
                .get(q.review.as_str())
                .copied()
                .unwrap_or(q.text.as_str())
        }
        let cited_texts: Vec<&str> = cited.iter().map(|q| text_of(texts, q)).collect();
        let bullet = Bullet {
            text: text.clone(),
            citations: cited.iter().map(|q| q.review.clone()).collect(),
        };
        match recur_reviews::validate_bullet(&bullet, &cited_texts) {
            Ok(()) => {
                // A cited review that holds none of the bullet's words supports nothing in
                // it: the citation is dropped (the bullet keeps the ones that do).
                let supporting: Vec<&SourceQuote> = cited
                    .iter()
                    .copied()
                    .filter(|q| {
                        let t = recur_reviews::normalise(text_of(texts, q));
                        words.iter().any(|w| t.contains(w.as_str()))
                    })
                    .collect();
                kept.push(SummaryBullet {
                    text,
                    citations: supporting.iter().map(|q| q.review.clone()).collect(),
                    quotes: supporting.iter().map(|q| q.number).collect(),
                    path: BulletPath::Model,
                    unsupported_citations: numbers.len() - supporting.len(),
                });
            }
            Err(missing) => {
                let which = numbers
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                reject(
                    format!("not in quote {which}: {}", missing.join(", ")),
                    missing,
                );
            }
        }
    }
    (kept, rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quote(number: usize, review: &str, text: &str) -> SourceQuote {
        SourceQuote {
            number,
            review: review.into(),
            text: text.into(),
            kind: "negative".into(),
            aspect: None,
            stars: Some(1),
        }
    }

    #[test]
    fn the_schema_cites_only_supplied_numbers_and_holds_no_digits() {
        let s = summary_schema(Language::En, 3, &SummaryOptions::default()).unwrap();
        let ok =
            serde_json::json!({"bullets": [{"text": "The pump broke quickly.", "cites": [1, 3]}]});
        assert!(s.validate(&ok).is_ok());
        for bad in [
            serde_json::json!({"bullets": [{"cites": [4], "text": "The pump broke quickly."}]}),
            serde_json::json!({"bullets": [{"cites": [], "text": "The pump broke quickly."}]}),
            serde_json::json!({"bullets": [{"cites": [1], "text": "Broke after 2 weeks, sadly."}]}),
            serde_json::json!({"bullets": [{"cites": [1], "text": "泵很快就坏了，真可惜啊"}]}),
        ] {
            assert!(s.validate(&bad).is_err(), "{bad}");
        }
        let z = summary_schema(Language::Zh, 2, &SummaryOptions::default()).unwrap();
        assert!(
            z.validate(&serde_json::json!({"bullets": [{"cites": [2], "text": "物流很慢"}]}))
                .is_ok()
        );
        assert!(summary_schema(Language::En, 0, &SummaryOptions::default()).is_none());
    }

    #[test]
    fn answers_keep_grounded_bullets_and_say_why_others_go() {
        let quotes = [
            quote(1, "i1:2", "the pump broke"),
            quote(2, "i1:3", "lovely smell"),
        ];
        let texts: HashMap<&str, &str> = [
            ("i1:2", "Sadly the pump broke after a week"),
            ("i1:3", "lovely smell, soft hands"),
        ]
        .into_iter()
        .collect();
        let answer = r#"{"bullets": [
            {"cites": [1], "text": "The pump broke after a week."},
            {"cites": [1], "text": "The pump is waterproof."},
            {"cites": [2, 2, 1], "text": "Lovely smell and soft hands."},
            {"cites": [1], "text": "It is very good."},
            {"cites": [9], "text": "Lovely smell."},
            {"cites": [1], "text": "The pump broke after a week."}]}"#;
        let (kept, rejected) = check_answer(answer, &quotes, &texts, 1);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].citations, ["i1:2"]);
        // Quote 1 holds none of its words: that citation is dropped.
        assert_eq!(kept[1].quotes, [2]);
        assert_eq!(kept[1].citations, ["i1:3"]);
        assert_eq!(kept[1].unsupported_citations, 1);
        assert_eq!(rejected.len(), 4);
        assert_eq!(rejected[0].unsupported, ["waterproof"]);
        assert_eq!(rejected[1].unsupported, ["good"]);
        assert!(rejected[2].reason.contains("not shown"));
        assert!(rejected[3].reason.contains("repeats"));
        let (kept, rejected) = check_answer("not json", &quotes, &texts, 2);
        assert!(kept.is_empty() && rejected[0].attempt == 2);
    }

    #[test]
    fn the_prompt_numbers_quotes_without_review_keys() {
        let quotes = [quote(1, "imp-7:42", "the pump broke")];
        let fb = [RejectedBullet {
            attempt: 1,
            text: "The pump is waterproof.".into(),
            quotes: vec![1],
            reason: "not in quote 1: waterproof".into(),
            unsupported: vec!["waterproof".into()],
        }];
        let m = summary_prompt(Language::En, &quotes, &fb, 3);
        let all: String = m.iter().map(|m| m.content.as_str()).collect();
        assert!(all.contains("[1] the pump broke"));
        assert!(all.contains("waterproof"));
        assert!(!all.contains("imp-7"));
        let z = summary_prompt(Language::Zh, &quotes, &[], 3);
        assert!(z[0].content.contains("简体中文"));
    }
}
