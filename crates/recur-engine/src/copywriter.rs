//! Campaign copy from the language model: a message writer for `recur_campaign::compose` that
//! asks the configured generator for `{subject, preheader, body}` as schema-constrained JSON,
//! from the facts only (no personal data enters the prompt), with the validator's feedback on
//! a retry. Drafts that still break a rule are replaced by the template by `compose`.

use recur_campaign::{Draft, Facts, Language, Rules, Violation, money};
use recur_llm::{Generate, JsonSchema, Message, SamplingParams};

/// The JSON schema of a draft, with the rules' length limits.
pub fn draft_schema(rules: &Rules) -> JsonSchema {
    let schema = serde_json::json!({
        "type": "object",
        "required": ["subject", "preheader", "body"],
        "properties": {
            "subject": {"type": "string", "minLength": 1, "maxLength": rules.max_subject},
            "preheader": {"type": "string", "maxLength": rules.max_preheader},
            "body": {"type": "string", "minLength": 1, "maxLength": rules.max_body.min(600)},
        }
    });
    JsonSchema::from_value(&schema).expect("the draft schema compiles")
}

/// The prompt for one message: instructions and the facts, plus what was wrong last time.
pub fn draft_prompt(facts: &Facts, feedback: &[Violation]) -> Vec<Message> {
    let language = match facts.language {
        Language::En => "English",
        Language::Zh => "Simplified Chinese",
    };
    let system = format!(
        "You write short, warm marketing e-mails for the shop {shop}. Write in {language}. \
         Use only the facts given: never mention another product, price, percentage, code or date. \
         Name products only by their exact titles, each with its price on the same line. \
         Start the body with the greeting placeholder {{first_name}}. Answer with JSON.",
        shop = facts.shop
    );
    let mut lines = vec![format!(
        "Write an e-mail that invites the customer back to {}.",
        facts.shop
    )];
    if let Some(c) = &facts.favourite_category {
        lines.push(format!("Their favourite category: {c}."));
    }
    for p in &facts.products {
        lines.push(format!(
            "Recommended product: {} at {}.",
            p.title,
            money(p.price, &facts.currency)
        ));
    }
    if let Some(o) = &facts.offer {
        if let Some(pct) = o.percent_off {
            lines.push(format!("Offer: {pct}% off the next order."));
        }
        if o.free_shipping {
            lines.push("Offer: free shipping on the next order.".into());
        }
        if let Some(code) = &o.code {
            lines.push(format!("Coupon code: {code}."));
        }
        if let Some(d) = &o.expires {
            lines.push(format!("The offer is valid until {d}."));
        }
    }
    if !feedback.is_empty() {
        lines.push("Your previous draft was rejected. Fix these problems:".into());
        lines.extend(feedback.iter().map(|v| format!("- {v}")));
    }
    vec![Message::system(system), Message::user(lines.join("\n"))]
}

/// A writer for `compose`: each call asks `generator` for one draft (seeded by `seed` and a
/// counter, so a rerun writes the same drafts). None when the generator fails.
pub fn llm_writer<'a>(
    generator: &'a mut dyn Generate,
    rules: &Rules,
    seed: u64,
    failures: &'a mut Vec<String>,
) -> impl FnMut(&Facts, &[Violation]) -> Option<Draft> + 'a {
    let schema = draft_schema(rules);
    let mut calls = 0u64;
    move |facts: &Facts, feedback: &[Violation]| {
        let params = SamplingParams {
            seed: seed.wrapping_add(calls),
            max_tokens: 220,
            temperature: 0.7,
            ..Default::default()
        };
        calls += 1;
        let answer = match generator.chat(
            &draft_prompt(facts, feedback),
            &params,
            Some(&schema),
            &mut |_| {},
        ) {
            Ok(mut a) => a.remove(0),
            Err(e) => {
                failures.push(e.to_string());
                return None;
            }
        };
        let doc: serde_json::Value = serde_json::from_str(&answer.text).ok()?;
        Some(Draft {
            subject: doc["subject"].as_str()?.to_owned(),
            preheader: doc["preheader"].as_str()?.to_owned(),
            body: doc["body"].as_str()?.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use recur_campaign::{OfferFact, ProductFact};

    fn facts() -> Facts {
        Facts {
            shop: "Tea House".into(),
            language: Language::En,
            currency: "USD".into(),
            favourite_category: Some("Green tea".into()),
            products: vec![ProductFact {
                title: "Sencha 100 g".into(),
                price: 8.5,
            }],
            offer: Some(OfferFact {
                percent_off: Some(10.0),
                free_shipping: false,
                code: Some("TEA-7KQ2".into()),
                expires: Some("2026-12-10".into()),
            }),
        }
    }

    #[test]
    fn the_prompt_carries_every_fact_and_the_feedback() {
        let v = Violation::UnsuppliedCode {
            field: "body",
            code: "FREE50".into(),
        };
        let m = draft_prompt(&facts(), &[v]);
        let user = &m[1].content;
        for needle in [
            "Green tea",
            "Sencha 100 g at 8.50 USD",
            "10% off",
            "TEA-7KQ2",
            "2026-12-10",
            "FREE50",
        ] {
            assert!(user.contains(needle), "{needle} missing from {user}");
        }
        assert!(
            m[0].content.contains("{first_name}"),
            "names are placeholders, filled in later"
        );
    }

    #[test]
    fn the_schema_follows_the_rules() {
        let rules = Rules {
            max_subject: 5,
            ..Rules::default()
        };
        let s = draft_schema(&rules);
        assert!(
            s.validate(&serde_json::json!({"subject": "Hi", "preheader": "", "body": "x"}))
                .is_ok()
        );
        assert!(
            s.validate(
                &serde_json::json!({"subject": "Hello there", "preheader": "", "body": "x"})
            )
            .is_err()
        );
    }
}
