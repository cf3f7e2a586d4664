//! Grounded messages: the facts a message may use, the free text a writer adds, the message
//! the engine assembles from both, validators that reject anything unsupplied, and the
//! template every rejected draft falls back to.
//!
//! Grounded by construction: a writer (a language model or a person) writes only free text,
//! a subject idea, an opening, why the picked products suit this customer and a closing, and
//! picks which supplied product leads. Every fact (product titles and prices, the discount,
//! free shipping, the coupon code and its expiry, the shop's name, the link, the customer's
//! first name) is a slot the engine fills in [`assemble`]. Validators stay as the last line of
//! defence on the assembled message: no number, price, percentage, coupon-like code or catalog
//! product that was not supplied, no e-mail address or phone number, no configured forbidden
//! claim, the customer's language, each format's length (an SMS counts GSM-7 or UCS-2
//! characters). Customer names never reach the writer: `{first_name}` is filled in after
//! validation.

use recur_core::{MessagePath, Segment};
use serde::{Deserialize, Serialize};

mod assemble;
mod validate;

pub use assemble::{assemble, template, template_text};
pub use validate::{Violation, free_text_pattern, sms_limit, validate};

/// Language of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English.
    En,
    /// Chinese (Simplified).
    Zh,
}

impl Language {
    /// The language of a customer's locale (`zh`, `zh-CN`, `zh_TW`... are Chinese; anything
    /// else, or none, English).
    pub fn of_locale(locale: Option<&str>) -> Language {
        match locale {
            Some(l) if l.trim().to_ascii_lowercase().starts_with("zh") => Language::Zh,
            _ => Language::En,
        }
    }

    /// The BCP 47 tag written in audits and reports.
    pub fn tag(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Zh => "zh-CN",
        }
    }
}

/// What kind of message a campaign sends; each has its own fields and length rules.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// E-mail: subject, preheader and body.
    #[default]
    Email,
    /// SMS: one body of at most 160 GSM-7 characters (70 when it needs Unicode, as Chinese
    /// does), with the link slot.
    Sms,
    /// Push notification: a title (the subject) and a short body.
    Push,
}

impl Format {
    /// The name used in specs, audits and reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::Email => "email",
            Format::Sms => "sms",
            Format::Push => "push",
        }
    }
}

/// A product the message may mention, with its real title and price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductFact {
    /// Catalog title (or the title on the shop's order lines when there is no catalog).
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

/// Where the message's products come from, so the writer can say why they suit the customer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductSource {
    /// The behaviour model's recommendations from the customer's history.
    #[default]
    Recommended,
    /// Best sellers of the customer's favourite category.
    FavouriteCategory,
    /// Products the customer bought before.
    PastPurchases,
    /// The shop's best sellers.
    ShopBestSellers,
}

/// What the writer may know about the customer: nothing personal (no name, e-mail, phone,
/// address or id), only the situation the copy should speak to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerContext {
    /// RFM segment.
    pub segment: Option<Segment>,
    /// Days since the last order.
    pub days_since_last_order: Option<u32>,
    /// Completed orders so far.
    pub orders: Option<u32>,
    /// Where the products come from.
    pub product_source: ProductSource,
}

/// Everything a message may state. Contains no customer PII.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// Shop name (empty when not configured: the message then names no shop).
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
    /// The link an SMS or push message carries (the shop's landing page), if any.
    #[serde(default)]
    pub link: Option<String>,
    /// The customer's situation, for the writer (never stated as a fact).
    #[serde(default)]
    pub customer: CustomerContext,
}

/// A message: subject, preheader and body (an SMS has only a body; a push message a subject
/// as its title and a body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// Subject line (push: title; SMS: empty).
    pub subject: String,
    /// Preheader (inbox preview text; empty for SMS and push).
    pub preheader: String,
    /// Body (plain text; `{first_name}` is replaced after validation).
    pub body: String,
}

/// What a writer adds to the facts: free text only, and which supplied product leads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreeText {
    /// Subject line (e-mail) or title (push); unused for SMS.
    pub subject: String,
    /// One or two sentences that open the message (the SMS and push text).
    pub opening: String,
    /// Why the products suit this customer (e-mail).
    pub reason: String,
    /// A short closing line before the shop's name (e-mail).
    pub closing: String,
    /// Index into the facts' products of the one to put first.
    pub lead: Option<usize>,
}

/// Rules beyond the facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    /// The message format, whose fields and lengths apply.
    #[serde(default)]
    pub format: Format,
    /// Longest subject, in characters.
    pub max_subject: usize,
    /// Longest preheader, in characters.
    pub max_preheader: usize,
    /// Longest body, in characters (an SMS is held to [`sms_limit`] as well).
    pub max_body: usize,
    /// Phrases that must not appear (case-insensitive).
    pub forbidden: Vec<String>,
    /// Every product title in the catalog: naming one that was not supplied is rejected.
    pub catalog_titles: Vec<String>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules::for_format(Format::Email)
    }
}

impl Rules {
    /// The default rules of a message format.
    pub fn for_format(format: Format) -> Rules {
        let (max_subject, max_preheader, max_body) = match format {
            Format::Email => (80, 140, 1200),
            Format::Sms => (0, 0, 160),
            Format::Push => (50, 0, 150),
        };
        Rules {
            format,
            max_subject,
            max_preheader,
            max_body,
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

impl Rules {
    /// The words and phrases a writer's free text in `language` may not contain, as entries of
    /// the JSON-schema keyword `x-forbidden-words` that the local decoder enforces: offer talk
    /// and the wrong voice, exactly as the validators check them (whole words, `*` for words
    /// that begin or end with an entry), and the forbidden claims anywhere (`*guaranteed*`).
    /// The validators still check every draft.
    pub fn free_text_forbidden_words(&self, language: Language) -> Vec<String> {
        let mut out = validate::free_text_words(language);
        for claim in &self.forbidden {
            let claim = claim.trim().to_lowercase();
            if claim.chars().any(char::is_alphanumeric) {
                out.push(format!("*{claim}*"));
            }
        }
        out
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

/// A message writer (a language model behind a prompt, or a person): the facts, the format
/// and the violations of its previous draft in, free text (or nothing) out.
pub type Writer<'a> = dyn FnMut(&Facts, Format, &[Violation]) -> Option<FreeText> + 'a;

/// Writes a message: asks `writer` for up to `attempts` free texts, assembles each with the
/// facts and keeps the first message that validates (its free text in the customer's
/// language); otherwise uses the template. A call that brings no free text (the model's
/// answer held none that could be kept) uses up an attempt too: the next call samples anew.
pub fn compose(
    facts: &Facts,
    rules: &Rules,
    attempts: usize,
    writer: Option<&mut Writer<'_>>,
) -> Message {
    let Some(writer) = writer else {
        return Message {
            draft: template(facts, rules.format),
            path: MessagePath::TemplateOnly,
            rejected: Vec::new(),
        };
    };
    let mut rejected: Vec<Vec<Violation>> = Vec::new();
    for attempt in 0..attempts {
        let feedback = rejected.last().map(Vec::as_slice).unwrap_or(&[]);
        let Some(text) = writer(facts, rules.format, feedback) else {
            continue;
        };
        let draft = assemble(&text, facts, rules.format);
        let mut v = validate(&draft, facts, rules);
        for w in validate::check_free_text(&text, facts) {
            if !v.contains(&w) {
                v.push(w);
            }
        }
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
        draft: template(facts, rules.format),
        path: MessagePath::Template,
        rejected,
    }
}

/// The longest first name placed in a message (characters); longer ones are cut.
pub const MAX_FIRST_NAME_CHARS: usize = 40;

/// Fills `{first_name}` after validation (the only place a name enters a message). The name is
/// what the customer typed at sign-up, so it is made safe first: no markup, control or template
/// characters, at most [`MAX_FIRST_NAME_CHARS`] characters.
pub fn personalise(draft: &Draft, first_name: Option<&str>, language: Language) -> Draft {
    let name = first_name.and_then(|n| recur_core::customer_text(n, MAX_FIRST_NAME_CHARS));
    let name = name.as_deref();
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
            link: None,
            customer: CustomerContext::default(),
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
            let t = template(&f, Format::Email);
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
        let t = template(&f, Format::Email);
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
        assert!(validate(&template(&f, Format::Email), &zh, &r).contains(
            &Violation::WrongLanguage {
                expected: Language::Zh
            }
        ));
        assert!(validate(&template(&zh, Format::Email), &f, &r).contains(
            &Violation::WrongLanguage {
                expected: Language::En
            }
        ));
        // Over length.
        let long = "Night Cream. ".repeat(200);
        assert!(
            kinds(&long)
                .iter()
                .any(|v| matches!(v, Violation::TooLong { .. }))
        );
    }

    fn text(opening: &str) -> FreeText {
        FreeText {
            subject: "Your skin care favourites".into(),
            opening: opening.into(),
            reason: "They suit the routine you keep coming back to.".into(),
            closing: "See you soon,".into(),
            lead: Some(1),
        }
    }

    #[test]
    fn signs_and_letters_of_another_script_in_free_text_are_rejected_as_the_decoder_does() {
        // The decoder's pattern is the one it was before the validators shared it.
        assert_eq!(
            validate::free_text_pattern(Language::En),
            r"^[^\d０-９$€£¥￥＄%％@＠#{}\[\]<>＜＞\\/_|~^*+=&\n\r\t\u0080-\u024f\u3400-\u9fff\uf900-\ufaff]*$"
        );
        assert_eq!(
            validate::free_text_pattern(Language::Zh),
            r"^[^\d０-９$€£¥￥＄%％@＠#{}\[\]<>＜＞\\/_|~^*+=&\n\r\tA-Za-zＡ-Ｚａ-ｚ]*$"
        );
        let forbidden = |v: &[Violation]| {
            v.iter().any(|v| {
                matches!(
                    v,
                    Violation::ForbiddenCharacter {
                        field: "opening",
                        ..
                    }
                )
            })
        };
        let mut en = facts(Language::En);
        for opening in [
            "A dealâ waits for you.",
            "We saved these for you, 朋友.",
            "Fresh picks & more for you.",
            "See what is new at shop/new.",
            "Hello {name}, welcome back.",
            "Write to us at hello＠shop.",
        ] {
            let v = validate::check_free_text(&text(opening), &en);
            assert!(forbidden(&v), "{opening}: {v:?}");
        }
        // Supplied titles may hold any character; `{first_name}` is the writer's to use;
        // typographic quotes and dashes stay.
        // The first title is part of the second: removed longest first, neither leaves a letter.
        en.products[0].title = "Brûlée".into();
        en.products[1].title = "Crème Brûlée Balm".into();
        for opening in [
            "Your Crème Brûlée Balm is waiting, {first_name}.",
            "We kept something aside \u{2014} \u{201c}just for you\u{201d}.",
        ] {
            let v = validate::check_free_text(&text(opening), &en);
            assert!(!forbidden(&v), "{opening}: {v:?}");
        }
        let zh = facts(Language::Zh);
        let zh_text = |opening: &str| FreeText {
            subject: "为你挑选的护肤好物".into(),
            opening: opening.into(),
            reason: "它们适合你常用的护理习惯。".into(),
            closing: "期待再见。".into(),
            lead: Some(1),
        };
        assert!(forbidden(&validate::check_free_text(
            &zh_text("欢迎回来，VIP会员。"),
            &zh
        )));
        assert!(forbidden(&validate::check_free_text(
            &zh_text("欢迎回来，ＶＩＰ会员。"),
            &zh
        )));
        assert!(!forbidden(&validate::check_free_text(
            &zh_text("欢迎回来，我们想你了。"),
            &zh
        )));
    }

    #[test]
    fn an_answer_without_free_text_is_asked_again() {
        let f = facts(Language::En);
        let r = rules();
        let mut calls = 0;
        let mut writer = |_: &Facts, _: Format, feedback: &[Violation]| {
            calls += 1;
            assert!(feedback.is_empty());
            (calls > 1).then(|| text("We kept your favourites ready for you."))
        };
        let m = compose(&f, &r, 2, Some(&mut writer));
        assert_eq!((m.path, m.rejected.len()), (MessagePath::Retried, 0));
        assert_eq!(calls, 2);
        // Never any text: the template, after exactly `attempts` calls.
        let mut calls = 0;
        let mut silent = |_: &Facts, _: Format, _: &[Violation]| {
            calls += 1;
            None
        };
        let m = compose(&f, &r, 3, Some(&mut silent));
        assert_eq!((m.path, m.rejected.len()), (MessagePath::Template, 0));
        assert_eq!(calls, 3);
    }

    #[test]
    fn compose_retries_with_feedback_then_falls_back() {
        let f = facts(Language::En);
        let r = rules();
        // First text invents a price; the retry (seeing the feedback) drops it.
        let mut calls = 0;
        let mut writer = |_: &Facts, _: Format, feedback: &[Violation]| {
            calls += 1;
            Some(if feedback.is_empty() {
                text("Night Cream for $19.")
            } else {
                text("We kept your favourites ready for you.")
            })
        };
        let m = compose(&f, &r, 3, Some(&mut writer));
        assert_eq!(m.path, MessagePath::Retried);
        assert_eq!(m.rejected.len(), 1);
        assert_eq!(calls, 2);
        // The lead product comes first, every fact is the engine's.
        let night = m.draft.body.find("- Night Cream ($32.00)").unwrap();
        let serum = m
            .draft
            .body
            .find("- Hydrating Serum 30ml ($24.90)")
            .unwrap();
        assert!(night < serum, "{}", m.draft.body);
        assert!(m.draft.preheader.contains("BACK15") && m.draft.preheader.contains("2026-12-31"));
        // A writer that never complies ends at the template.
        let mut stubborn = |_: &Facts, _: Format, _: &[Violation]| Some(text("Use SAVE50 now!"));
        let m = compose(&f, &r, 2, Some(&mut stubborn));
        assert_eq!((m.path, m.rejected.len()), (MessagePath::Template, 2));
        assert_eq!(m.draft, template(&f, Format::Email));
        assert_eq!(compose(&f, &r, 2, None).path, MessagePath::TemplateOnly);
        // Free text in the wrong language is rejected even though the facts around it are not.
        let mut chinese = |_: &Facts, _: Format, _: &[Violation]| {
            Some(FreeText {
                subject: "为您挑选".into(),
                opening: "好久不见".into(),
                reason: "适合您".into(),
                closing: "期待".into(),
                lead: None,
            })
        };
        let m = compose(&f, &r, 1, Some(&mut chinese));
        assert_eq!(m.path, MessagePath::Template);
        assert!(m.rejected[0].contains(&Violation::WrongLanguage {
            expected: Language::En
        }));
        // Invented offers and a voice that is not the shop's are rejected in free text.
        for (opening, kind) in [
            ("We have a new gift card for you.", "offer"),
            ("The serum is back in stock.", "offer"),
            ("I just love your style.", "voice"),
            ("A special deal' for you.", "offer"),
            ("Sorry about your last order.", "voice"),
            ("Take ¼ off.", "number"),
        ] {
            let mut w = |_: &Facts, _: Format, _: &[Violation]| Some(text(opening));
            let m = compose(&f, &r, 1, Some(&mut w));
            assert_eq!(m.path, MessagePath::Template, "{opening}");
            assert!(
                m.rejected[0].iter().any(|v| match v {
                    Violation::OfferInFreeText { .. } => kind == "offer",
                    Violation::Voice { .. } => kind == "voice",
                    Violation::UnsuppliedNumber { .. } => kind == "number",
                    _ => false,
                }),
                "{opening}: {:?}",
                m.rejected
            );
        }
        // Titles and the category may hold such words: they are the engine's.
        let mut g = f.clone();
        g.products[0].title = "Sale Price Serum".into();
        let mut w = |_: &Facts, _: Format, _: &[Violation]| {
            Some(FreeText {
                reason: "The Sale Price Serum suits your routine.".into(),
                ..text("Welcome back to your routine.")
            })
        };
        assert_eq!(
            compose(&g, &r, 1, Some(&mut w)).path,
            MessagePath::FirstDraft
        );
    }

    #[test]
    fn the_decoder_forbids_the_words_the_validators_reject() {
        let r = rules();
        let en = r.free_text_forbidden_words(Language::En);
        for entry in [
            "discount*",
            "code",
            "i",
            "gift card*",
            "the customer*",
            "*guaranteed*",
        ] {
            assert!(en.iter().any(|e| e == entry), "{entry} missing from {en:?}");
        }
        assert!(
            r.free_text_forbidden_words(Language::Zh)
                .contains(&"*折扣*".to_owned())
        );
        // Every word entry, as the decoder reads it, is one the validators reject (and a word
        // that merely begins with a `*` entry too).
        let f = facts(Language::En);
        for entry in validate::free_text_words(Language::En) {
            let word = entry.trim_end_matches('*');
            let mut openings = vec![format!("We thought of {word} today.")];
            if entry.ends_with('*') {
                openings.push(format!("We thought of {word}ed things today."));
            }
            for opening in openings {
                let v = validate::check_free_text(&text(&opening), &f);
                assert!(
                    v.iter().any(|v| matches!(
                        v,
                        Violation::OfferInFreeText { .. }
                            | Violation::Voice { .. }
                            | Violation::UnsuppliedNumber { .. }
                    )),
                    "{opening}: {v:?}"
                );
            }
        }
    }

    #[test]
    fn numbers_spelled_out_are_unsupplied_but_one_and_title_words_are_not() {
        let mut f = facts(Language::En);
        f.products[1].title = "Three Wishes Candle".into();
        for opening in [
            "Back in four days.",
            "Twenty reasons to come back.",
            "Hundreds of new things.",
            "We have been thinking of you twice.",
            "Our fifth anniversary is here.",
        ] {
            let v = validate::check_free_text(&text(opening), &f);
            assert!(
                v.iter().any(|v| matches!(
                    v,
                    Violation::UnsuppliedNumber {
                        field: "opening",
                        ..
                    }
                )),
                "{opening}: {v:?}"
            );
        }
        for opening in [
            "The one you liked is waiting.",
            "Often the best things come back.",
            "Your Three Wishes Candle misses you.",
        ] {
            let v = validate::check_free_text(&text(opening), &f);
            assert!(
                !v.iter()
                    .any(|v| matches!(v, Violation::UnsuppliedNumber { .. })),
                "{opening}: {v:?}"
            );
        }
    }

    #[test]
    fn every_format_and_language_assembles_a_valid_template() {
        for lang in [Language::En, Language::Zh] {
            for format in [Format::Email, Format::Sms, Format::Push] {
                let mut f = facts(lang);
                f.link = Some("https://shop.example/b".into());
                let r = Rules {
                    catalog_titles: rules().catalog_titles,
                    ..Rules::for_format(format)
                };
                let t = template(&f, format);
                assert_eq!(validate(&t, &f, &r), vec![], "{lang:?} {format:?} {t:?}");
                let all = format!("{} {}", t.subject, t.body);
                assert!(all.contains("BACK15"), "{all}");
                if format == Format::Sms {
                    assert!(t.subject.is_empty() && t.preheader.is_empty());
                    assert!(t.body.chars().count() <= sms_limit(&t.body), "{}", t.body);
                    assert!(t.body.contains("https://shop.example/b"));
                }
            }
        }
    }

    #[test]
    fn sms_length_follows_the_encoding() {
        assert_eq!(sms_limit("Back soon: 10% off with code A1"), 160);
        assert_eq!(sms_limit("好久不见"), 70);
        let f = facts(Language::Zh);
        let r = Rules::for_format(Format::Sms);
        let long = Draft {
            subject: String::new(),
            preheader: String::new(),
            body: format!("{}优惠码 BACK15", "好".repeat(70)),
        };
        assert!(
            validate(&long, &f, &r)
                .iter()
                .any(|v| matches!(v, Violation::TooLong { max: 70, .. }))
        );
        // A long opening is dropped rather than the facts.
        let t = FreeText {
            opening: "好久不见".repeat(20),
            ..FreeText::default()
        };
        let d = assemble(&t, &f, Format::Sms);
        assert!(
            d.body.contains("BACK15") && !d.body.contains("好久不见"),
            "{}",
            d.body
        );
    }

    #[test]
    fn names_are_filled_after_validation() {
        let t = template(&facts(Language::En), Format::Email);
        let p = personalise(&t, Some("Ada"), Language::En);
        assert!(p.body.starts_with("Hi Ada,"));
        let anon = personalise(&t, None, Language::En);
        assert!(anon.body.starts_with("Hi there,"));
        let zh = personalise(
            &template(&facts(Language::Zh), Format::Email),
            None,
            Language::Zh,
        );
        assert!(zh.body.starts_with("您好"), "{}", zh.body);
    }

    #[test]
    fn a_name_the_customer_typed_cannot_carry_markup_or_formulas() {
        let t = template(&facts(Language::En), Format::Email);
        let p = personalise(&t, Some("<script>alert(1)</script>"), Language::En);
        assert!(
            p.body.starts_with("Hi script alert 1 script,"),
            "{}",
            p.body
        );
        assert!(!p.body.contains('<'), "{}", p.body);
        let p = personalise(&t, Some("=cmd|' /C calc'!A0\u{7}"), Language::En);
        assert!(p.body.starts_with("Hi cmd C calc A0,"), "{}", p.body);
        assert!(!p.body.contains('\u{7}'), "{}", p.body);
        let p = personalise(&t, Some("{}<>"), Language::En);
        assert!(p.body.starts_with("Hi there,"), "{}", p.body);
        let long = "A".repeat(500);
        let p = personalise(&t, Some(&long), Language::En);
        assert!(
            p.body.len() < t.body.len() + MAX_FIRST_NAME_CHARS,
            "{}",
            p.body
        );
    }
}
