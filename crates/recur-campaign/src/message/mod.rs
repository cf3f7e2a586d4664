//! Grounded messages: the facts a message may use, validators that reject anything else, and
//! the template every rejected draft falls back to.
//!
//! A draft (from a language model or a person) may state only what the engine supplied:
//! product titles and prices, the offer with its code and expiry, the favourite category.
//! Validators reject any other number, price, percentage, coupon-like code or catalog product,
//! any e-mail address or phone number, configured forbidden claims, the wrong language, and
//! over-long fields. Customer names never reach the writer: the `{first_name}` placeholder is
//! filled in after validation.

use recur_core::MessagePath;
use serde::{Deserialize, Serialize};

mod template;
mod validate;

pub use template::template;
pub use validate::{Violation, validate};

/// Language of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English.
    En,
    /// Chinese.
    Zh,
}

/// A product the message may mention, with its real title and price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductFact {
    /// Catalog title.
    pub title: String,
    /// Unit price.
    pub price: f64,
}

/// The offer the message carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferFact {
    /// Percentage off, if the offer is a discount.
    pub percent_off: Option<f64>,
    /// Free shipping.
    pub free_shipping: bool,
    /// Coupon code.
    pub code: Option<String>,
    /// Last day the offer is valid (YYYY-MM-DD).
    pub expires: Option<String>,
}

/// Everything a message may state. Contains no customer PII.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// Shop name.
    pub shop: String,
    /// Message language.
    pub language: Language,
    /// Currency symbol or code used with prices.
    pub currency: String,
    /// The customer's favourite category, if known.
    pub favourite_category: Option<String>,
    /// Recommended products.
    pub products: Vec<ProductFact>,
    /// The offer, if any.
    pub offer: Option<OfferFact>,
}

/// A message: subject, preheader and body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// Subject line.
    pub subject: String,
    /// Preheader (inbox preview text).
    pub preheader: String,
    /// Body (plain text; `{first_name}` is replaced after validation).
    pub body: String,
}

/// Rules beyond the facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    /// Longest subject, in characters.
    pub max_subject: usize,
    /// Longest preheader, in characters.
    pub max_preheader: usize,
    /// Longest body, in characters.
    pub max_body: usize,
    /// Phrases that must not appear (case-insensitive).
    pub forbidden: Vec<String>,
    /// Every product title in the catalog: naming one that was not supplied is rejected.
    pub catalog_titles: Vec<String>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            max_subject: 80,
            max_preheader: 140,
            max_body: 1200,
            forbidden: [
                "guaranteed",
                "risk-free",
                "risk free",
                "cure",
                "clinically proven",
                "lowest price",
                "free forever",
                "保证",
                "最低价",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
            catalog_titles: Vec::new(),
        }
    }
}

/// A price as messages write it: `12.50 USD` for codes, `$12.50` for symbols.
pub fn money(v: f64, currency: &str) -> String {
    if currency.chars().all(|c| c.is_ascii_uppercase()) {
        format!("{v:.2} {currency}")
    } else {
        format!("{currency}{v:.2}")
    }
}

pub(crate) fn trim_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// A validated message and how it was obtained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// The message, placeholders not yet filled.
    pub draft: Draft,
    /// How it was produced.
    pub path: MessagePath,
    /// Violations of the rejected drafts, in order.
    pub rejected: Vec<Vec<Violation>>,
}

/// A message writer (a language model behind a prompt, or a person): the facts and the
/// violations of its previous draft in, a draft (or nothing) out.
pub type Writer<'a> = dyn FnMut(&Facts, &[Violation]) -> Option<Draft> + 'a;

/// Writes a message: asks `writer` (facts, feedback from the last rejection) for up to
/// `attempts` drafts and keeps the first that validates; otherwise uses the template.
pub fn compose(
    facts: &Facts,
    rules: &Rules,
    attempts: usize,
    writer: Option<&mut Writer<'_>>,
) -> Message {
    let Some(writer) = writer else {
        return Message {
            draft: template(facts),
            path: MessagePath::TemplateOnly,
            rejected: Vec::new(),
        };
    };
    let mut rejected: Vec<Vec<Violation>> = Vec::new();
    for attempt in 0..attempts {
        let feedback = rejected.last().map(Vec::as_slice).unwrap_or(&[]);
        let Some(draft) = writer(facts, feedback) else {
            break;
        };
        let v = validate(&draft, facts, rules);
        if v.is_empty() {
            return Message {
                draft,
                path: if attempt == 0 {
                    MessagePath::FirstDraft
                } else {
                    MessagePath::Retried
                },
                rejected,
            };
        }
        rejected.push(v);
    }
    Message {
        draft: template(facts),
        path: MessagePath::Template,
        rejected,
    }
}

/// Fills `{first_name}` after validation (the only place a name enters a message).
pub fn personalise(draft: &Draft, first_name: Option<&str>, language: Language) -> Draft {
    let name = first_name.map(str::trim).filter(|n| !n.is_empty());
    let fill = |s: &str| match (name, language) {
        (Some(n), _) => s.replace("{first_name}", n),
        (None, Language::En) => s.replace("{first_name}", "there"),
        (None, Language::Zh) => s.replace("{first_name}，", "").replace("{first_name}", ""),
    };
    Draft {
        subject: fill(&draft.subject),
        preheader: fill(&draft.preheader),
        body: fill(&draft.body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn facts(language: Language) -> Facts {
        Facts {
            shop: "Northwind Beauty".into(),
            language,
            currency: "$".into(),
            favourite_category: Some("skin care".into()),
            products: vec![
                ProductFact {
                    title: "Hydrating Serum 30ml".into(),
                    price: 24.9,
                },
                ProductFact {
                    title: "Night Cream".into(),
                    price: 32.0,
                },
            ],
            offer: Some(OfferFact {
                percent_off: Some(15.0),
                free_shipping: false,
                code: Some("BACK15".into()),
                expires: Some("2026-12-31".into()),
            }),
        }
    }

    fn rules() -> Rules {
        Rules {
            catalog_titles: vec![
                "Hydrating Serum 30ml".into(),
                "Night Cream".into(),
                "Vitamin C Booster".into(),
            ],
            ..Rules::default()
        }
    }

    fn draft(body: &str) -> Draft {
        Draft {
            subject: "Your skin care favourites are back".into(),
            preheader: "15% off with code BACK15 until 2026-12-31".into(),
            body: body.into(),
        }
    }

    #[test]
    fn templates_pass_their_own_validators() {
        for lang in [Language::En, Language::Zh] {
            let f = facts(lang);
            let t = template(&f);
            assert_eq!(validate(&t, &f, &rules()), vec![], "{t:?}");
            assert!(t.body.contains("Hydrating Serum 30ml") && t.body.contains("BACK15"));
        }
    }

    #[test]
    fn codes_with_digits_are_not_phone_numbers() {
        let mut f = facts(Language::En);
        if let Some(o) = f.offer.as_mut() {
            o.code = Some("BACK10-12345".into());
            o.percent_off = Some(10.0);
        }
        let t = template(&f);
        assert_eq!(validate(&t, &f, &rules()), vec![], "{t:?}");
        // The same digits outside the supplied code are still caught.
        let d = draft("Call 10-12345 now.");
        assert!(
            validate(&d, &f, &rules())
                .iter()
                .any(|v| matches!(v, Violation::PersonalData { .. }))
        );
    }

    #[test]
    fn a_grounded_draft_passes() {
        let d = draft(
            "Hi {first_name}, the Night Cream ($32.00) is waiting. Use BACK15 for 15% off until 2026-12-31.",
        );
        assert_eq!(validate(&d, &facts(Language::En), &rules()), vec![]);
    }

    #[test]
    fn adversarial_drafts_are_rejected() {
        let f = facts(Language::En);
        let r = rules();
        // Each case on its own (the missing code and products have their own test).
        let kinds = |body: &str| -> Vec<Violation> {
            validate(&draft(body), &f, &r)
                .into_iter()
                .filter(|v| !matches!(v, Violation::MissingFact { .. }))
                .collect()
        };
        // Placeholders left in.
        assert!(matches!(
            &kinds("See our [product_name] today.")[..],
            [Violation::Placeholder { text, .. }] if text == "[product_name]"
        ));
        // The facts the message exists for are missing.
        let bare = Draft {
            subject: "We miss you".into(),
            preheader: "Come back soon".into(),
            body: "We miss you!".into(),
        };
        let missing = validate(&bare, &f, &r);
        assert_eq!(
            missing
                .iter()
                .filter(|v| matches!(v, Violation::MissingFact { .. }))
                .count(),
            2,
            "{missing:?}"
        );
        // Invented product from the catalog.
        assert!(matches!(
            kinds("Try our Vitamin C Booster today.")[..],
            [Violation::UnsuppliedProduct { .. }]
        ));
        // Wrong price.
        assert_eq!(
            kinds("The Night Cream is now only $29.99."),
            vec![Violation::UnsuppliedNumber {
                field: "body",
                text: "29.99".into()
            }]
        );
        // A real price given to an invented product.
        let p0 = f.products[0].clone();
        let invented = format!("Cherry Petal Shampoo at {:.2} USD", p0.price);
        assert!(
            matches!(&kinds(&invented)[..], [Violation::PriceWithoutProduct { product, .. }] if *product == p0.title),
            "{:?}",
            kinds(&invented)
        );
        let fine = format!("{} at {:.2} USD", p0.title, p0.price);
        assert!(kinds(&fine).is_empty(), "{:?}", kinds(&fine));
        // Wrong percentage.
        assert!(matches!(
            kinds("Take 20% off everything.")[..],
            [Violation::UnsuppliedNumber { .. }]
        ));
        // Made-up code.
        assert_eq!(
            kinds("Use code VIP2026NOW at checkout."),
            vec![Violation::UnsuppliedCode {
                field: "body",
                code: "VIP2026NOW".into()
            }]
        );
        // Wrong date.
        assert!(
            kinds("Hurry, the offer ends 2026-11-30.")
                .iter()
                .any(|v| matches!(v, Violation::UnsuppliedNumber { text, .. } if text == "11"))
        );
        // Leaked e-mail address and phone number.
        assert!(kinds("Reply to jane.doe@example.com for help.").contains(
            &Violation::PersonalData {
                field: "body",
                what: "an e-mail address"
            }
        ));
        assert!(kinds("Call us on 555-0134 567.").iter().any(|v| matches!(
            v,
            Violation::PersonalData {
                what: "a phone number",
                ..
            }
        )));
        // Forbidden claim.
        assert!(matches!(
            kinds("Results guaranteed.")[..],
            [Violation::ForbiddenClaim { .. }]
        ));
        // Wrong language.
        let zh = facts(Language::Zh);
        assert!(
            validate(&template(&f), &zh, &r).contains(&Violation::WrongLanguage {
                expected: Language::Zh
            })
        );
        assert!(
            validate(&template(&zh), &f, &r).contains(&Violation::WrongLanguage {
                expected: Language::En
            })
        );
        // Over length.
        let long = "Night Cream. ".repeat(200);
        assert!(
            kinds(&long)
                .iter()
                .any(|v| matches!(v, Violation::TooLong { .. }))
        );
    }

    #[test]
    fn compose_retries_with_feedback_then_falls_back() {
        let f = facts(Language::En);
        let r = rules();
        // First draft invents a price; the retry (seeing the feedback) fixes it.
        let mut calls = 0;
        let mut writer = |_: &Facts, feedback: &[Violation]| {
            calls += 1;
            Some(if feedback.is_empty() {
                draft("Night Cream for $19.")
            } else {
                draft("Night Cream for $32.00.")
            })
        };
        let m = compose(&f, &r, 3, Some(&mut writer));
        assert_eq!(m.path, MessagePath::Retried);
        assert_eq!(m.rejected.len(), 1);
        assert_eq!(calls, 2);
        // A writer that never complies ends at the template.
        let mut stubborn = |_: &Facts, _: &[Violation]| Some(draft("Use SAVE50 now!"));
        let m = compose(&f, &r, 2, Some(&mut stubborn));
        assert_eq!((m.path, m.rejected.len()), (MessagePath::Template, 2));
        assert_eq!(m.draft, template(&f));
        assert_eq!(compose(&f, &r, 2, None).path, MessagePath::TemplateOnly);
    }

    #[test]
    fn names_are_filled_after_validation() {
        let t = template(&facts(Language::En));
        let p = personalise(&t, Some("Ada"), Language::En);
        assert!(p.body.starts_with("Hi Ada,"));
        let anon = personalise(&t, None, Language::En);
        assert!(anon.body.starts_with("Hi there,"));
        let zh = personalise(&template(&facts(Language::Zh)), None, Language::Zh);
        assert!(zh.body.starts_with("您好"), "{}", zh.body);
    }
}
