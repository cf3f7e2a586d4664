//! What the model is shown and what it may answer: the JSON schema of a summary (bullets
//! without digits citing quote numbers from an `enum`), the prompt of numbered quotes (review
//! texts only), and the check of an answer against the full texts of the reviews each bullet
//! cites.

use std::collections::HashMap;

use recur_campaign::Language;
use recur_llm::{JsonSchema, Message};
use recur_reviews::{Bullet, SourceQuote};

use super::{BulletPath, RejectedBullet, SummaryBullet, SummaryOptions};

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
pub(super) fn check_answer(
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
