//! Grounded messages: the facts a message may use, validators that reject anything else, and
//! the template every rejected draft falls back to.
//!
//! A draft (from a language model or a person) may state only what the engine supplied:
//! product titles and prices, the offer with its code and expiry, the favourite category.
//! Validators reject any other number, price, percentage, coupon-like code or catalog product,
//! any e-mail address or phone number, configured forbidden claims, the wrong language, and
//! over-long fields. Customer names never reach the writer: the `{first_name}` placeholder is
//! filled in after validation.

use serde::{Deserialize, Serialize};

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

/// Why a draft was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Violation {
    /// A number the engine did not supply (price, percentage, date part, quantity).
    UnsuppliedNumber {
        /// Field.
        field: &'static str,
        /// The number as written.
        text: String,
    },
    /// A coupon-like code other than the supplied one.
    UnsuppliedCode {
        /// Field.
        field: &'static str,
        /// The code.
        code: String,
    },
    /// A catalog product that was not among the supplied recommendations.
    UnsuppliedProduct {
        /// Field.
        field: &'static str,
        /// Its title.
        title: String,
    },
    /// A supplied price stated without its product's title on the same line (an invented
    /// product given a real price).
    PriceWithoutProduct {
        /// Field.
        field: &'static str,
        /// The price as written.
        price: String,
        /// The product that has that price.
        product: String,
    },
    /// Placeholder text left unfilled, such as `[product_name]` (only `{first_name}` is filled
    /// in later).
    Placeholder {
        /// Field.
        field: &'static str,
        /// The placeholder.
        text: String,
    },
    /// A supplied fact the message must carry is missing (the coupon code, or every
    /// recommended product).
    MissingFact {
        /// What is missing.
        what: String,
    },
    /// Personal data (an e-mail address or a phone number).
    PersonalData {
        /// Field.
        field: &'static str,
        /// What was found.
        what: &'static str,
    },
    /// A forbidden claim.
    ForbiddenClaim {
        /// Field.
        field: &'static str,
        /// The phrase.
        phrase: String,
    },
    /// The text is not in the customer's language.
    WrongLanguage {
        /// Expected language.
        expected: Language,
    },
    /// A field is too long.
    TooLong {
        /// Field.
        field: &'static str,
        /// Its length in characters.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// A field is empty.
    Empty {
        /// Field.
        field: &'static str,
    },
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Violation::UnsuppliedNumber { field, text } => write!(
                f,
                "{field}: the number `{text}` was not supplied; use only the given prices, discount and date"
            ),
            Violation::UnsuppliedCode { field, code } => write!(
                f,
                "{field}: the code `{code}` was not supplied; use only the given coupon code"
            ),
            Violation::UnsuppliedProduct { field, title } => write!(
                f,
                "{field}: `{title}` is not one of the recommended products; mention only those"
            ),
            Violation::PriceWithoutProduct {
                field,
                price,
                product,
            } => write!(
                f,
                "{field}: the price {price} must stand next to its product, `{product}`; name products by their exact titles"
            ),
            Violation::Placeholder { field, text } => write!(
                f,
                "{field}: `{text}` is a placeholder; write the actual words from the facts"
            ),
            Violation::MissingFact { what } => {
                write!(f, "the message must include {what}")
            }
            Violation::PersonalData { field, what } => {
                write!(f, "{field}: contains {what}; never include personal data")
            }
            Violation::ForbiddenClaim { field, phrase } => {
                write!(f, "{field}: the claim `{phrase}` is not allowed")
            }
            Violation::WrongLanguage { expected } => write!(
                f,
                "the message must be written in {}",
                match expected {
                    Language::En => "English",
                    Language::Zh => "Chinese",
                }
            ),
            Violation::TooLong { field, chars, max } => {
                write!(f, "{field}: {chars} characters, at most {max}")
            }
            Violation::Empty { field } => write!(f, "{field} is empty"),
        }
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF)
}

/// Numbers as written in `text` ("19.90", "20", "2026-12-31" gives 2026, 12, 31).
fn numbers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let decimal_point = (c == '.' || c == ',')
            && !cur.is_empty()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if c.is_ascii_digit() || decimal_point {
            cur.push(if c == ',' { '.' } else { c });
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Coupon-like tokens: 4+ ASCII letters/digits, all letters upper case, at least one digit or
/// at least six letters (SAVE20, WELCOME10, SPRINGSALE).
fn codes(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_')
        .filter(|t| {
            let letters = t.chars().filter(char::is_ascii_alphabetic).count();
            let digits = t.chars().filter(char::is_ascii_digit).count();
            t.len() >= 4
                && letters >= 2
                && t.chars()
                    .filter(char::is_ascii_alphabetic)
                    .all(|c| c.is_ascii_uppercase())
                && (digits > 0 || letters >= 6)
        })
        .map(str::to_owned)
        .collect()
}

fn number_value(s: &str) -> Option<f64> {
    s.parse::<f64>().ok()
}

/// The numbers a message may state, from the facts.
fn allowed_numbers(facts: &Facts) -> Vec<f64> {
    let mut v: Vec<f64> = Vec::new();
    for p in &facts.products {
        v.push(p.price);
        v.extend(numbers(&p.title).iter().filter_map(|s| number_value(s)));
    }
    if let Some(o) = &facts.offer {
        v.extend(o.percent_off);
        for s in [&o.code, &o.expires].into_iter().flatten() {
            v.extend(numbers(s).iter().filter_map(|s| number_value(s)));
        }
    }
    for s in std::iter::once(&facts.shop).chain(&facts.favourite_category) {
        v.extend(numbers(s).iter().filter_map(|s| number_value(s)));
    }
    v
}

/// `text` with every YYYY-MM-DD date replaced by a space.
fn without_iso_dates(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let is_date = |i: usize| {
        i + 10 <= b.len()
            && b[i..i + 10].iter().enumerate().all(|(k, c)| match k {
                4 | 7 => *c == '-',
                _ => c.is_ascii_digit(),
            })
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if is_date(i) {
            out.push(' ');
            i += 10;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// Checks a draft against the facts and rules; empty when it may be sent.
pub fn validate(draft: &Draft, facts: &Facts, rules: &Rules) -> Vec<Violation> {
    let mut out = Vec::new();
    let allowed = allowed_numbers(facts);
    // Numbers supplied for something other than a price (discount, date, code, titles).
    let other_numbers = allowed_numbers(&Facts {
        products: facts
            .products
            .iter()
            .map(|p| ProductFact {
                title: p.title.clone(),
                price: f64::NAN,
            })
            .collect(),
        ..facts.clone()
    });
    let supplied_text: String = facts
        .products
        .iter()
        .map(|p| p.title.as_str())
        .chain(facts.offer.iter().filter_map(|o| o.code.as_deref()))
        .chain([facts.shop.as_str(), facts.currency.as_str()])
        .chain(facts.favourite_category.as_deref())
        .collect::<Vec<_>>()
        .join("\n");
    let fields: [(&'static str, &str, usize); 3] = [
        ("subject", &draft.subject, rules.max_subject),
        ("preheader", &draft.preheader, rules.max_preheader),
        ("body", &draft.body, rules.max_body),
    ];
    for (field, text, max) in fields {
        let chars = text.chars().count();
        if text.trim().is_empty() {
            out.push(Violation::Empty { field });
        } else if chars > max {
            out.push(Violation::TooLong { field, chars, max });
        }
        for n in numbers(text) {
            let ok = number_value(&n).is_some_and(|v| allowed.iter().any(|a| (a - v).abs() < 1e-9));
            if !ok {
                out.push(Violation::UnsuppliedNumber { field, text: n });
            }
        }
        for code in codes(text) {
            if !supplied_text.contains(&code) {
                out.push(Violation::UnsuppliedCode { field, code });
            }
        }
        for (open, close) in [('[', ']'), ('{', '}'), ('<', '>')] {
            let mut rest = text;
            while let Some(a) = rest.find(open) {
                let Some(b) = rest[a..].find(close) else {
                    break;
                };
                let inner = &rest[a..a + b + 1];
                if inner != "{first_name}" && inner.len() > 2 {
                    out.push(Violation::Placeholder {
                        field,
                        text: inner.to_owned(),
                    });
                }
                rest = &rest[a + b + 1..];
            }
        }
        // A price belongs next to its product: a line stating a supplied price must name a
        // product with that price.
        for line in text.lines() {
            let line_lower = line.to_lowercase();
            for n in numbers(line) {
                let Some(v) = number_value(&n) else { continue };
                if other_numbers.iter().any(|a| (a - v).abs() < 1e-9) {
                    continue;
                }
                let owners: Vec<&ProductFact> = facts
                    .products
                    .iter()
                    .filter(|p| (p.price - v).abs() < 1e-9)
                    .collect();
                if !owners.is_empty()
                    && !owners
                        .iter()
                        .any(|p| line_lower.contains(&p.title.to_lowercase()))
                {
                    out.push(Violation::PriceWithoutProduct {
                        field,
                        price: n,
                        product: owners[0].title.clone(),
                    });
                }
            }
        }
        let lower = text.to_lowercase();
        for title in &rules.catalog_titles {
            let supplied = facts.products.iter().any(|p| &p.title == title);
            if !supplied && !title.is_empty() && lower.contains(&title.to_lowercase()) {
                out.push(Violation::UnsuppliedProduct {
                    field,
                    title: title.clone(),
                });
            }
        }
        if text.split_whitespace().any(|w| {
            let at = w.find('@');
            at.is_some_and(|i| i > 0 && w[i + 1..].contains('.'))
        }) {
            out.push(Violation::PersonalData {
                field,
                what: "an e-mail address",
            });
        }
        // A phone number: 7+ digits in a run that allows spaces, dashes, dots and parentheses
        // (ISO dates, whose numbers are checked above, and supplied codes and titles are not
        // phone numbers).
        let mut scrubbed = without_iso_dates(text);
        for supplied in supplied_text.lines().filter(|l| !l.is_empty()) {
            scrubbed = scrubbed.replace(supplied, " ");
        }
        let mut run = 0;
        let mut phone = false;
        for c in scrubbed.chars() {
            if c.is_ascii_digit() {
                run += 1;
                phone |= run >= 7;
            } else if !matches!(c, ' ' | '-' | '.' | '(' | ')' | '+') {
                run = 0;
            }
        }
        if phone {
            out.push(Violation::PersonalData {
                field,
                what: "a phone number",
            });
        }
        for phrase in &rules.forbidden {
            if lower.contains(&phrase.to_lowercase()) {
                out.push(Violation::ForbiddenClaim {
                    field,
                    phrase: phrase.clone(),
                });
            }
        }
    }
    // Language: share of CJK among the letters the writer chose (supplied titles, names and
    // codes, which may be in another script, do not count).
    let mut all = format!("{} {} {}", draft.subject, draft.preheader, draft.body);
    for supplied in supplied_text.lines().chain(["{first_name}"]) {
        if !supplied.is_empty() {
            all = all.replace(supplied, " ");
        }
    }
    let (mut cjk, mut latin) = (0usize, 0usize);
    for c in all.chars() {
        if is_cjk(c) {
            cjk += 1;
        } else if c.is_alphabetic() {
            latin += 1;
        }
    }
    // The facts the message exists for must be in it.
    let all = format!("{}\n{}\n{}", draft.subject, draft.preheader, draft.body).to_lowercase();
    if let Some(code) = facts.offer.as_ref().and_then(|o| o.code.as_deref())
        && !all.contains(&code.to_lowercase())
    {
        out.push(Violation::MissingFact {
            what: format!("the coupon code {code}"),
        });
    }
    if !facts.products.is_empty()
        && !facts
            .products
            .iter()
            .any(|p| all.contains(&p.title.to_lowercase()))
    {
        out.push(Violation::MissingFact {
            what: "at least one of the recommended products by its exact title".into(),
        });
    }
    let letters = (cjk + latin).max(1) as f64;
    let wrong = match facts.language {
        Language::En => cjk as f64 / letters > 0.05,
        Language::Zh => (cjk as f64) / letters < 0.5,
    };
    if wrong {
        out.push(Violation::WrongLanguage {
            expected: facts.language,
        });
    }
    out
}

/// A price as messages write it: `12.50 USD` for codes, `$12.50` for symbols.
pub fn money(v: f64, currency: &str) -> String {
    if currency.chars().all(|c| c.is_ascii_uppercase()) {
        format!("{v:.2} {currency}")
    } else {
        format!("{currency}{v:.2}")
    }
}

fn trim_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// The deterministic template used when no writer is configured or every draft was rejected.
/// It states only the facts, so it always passes [`validate`] for in-limit facts.
pub fn template(facts: &Facts) -> Draft {
    let offer_line = facts.offer.as_ref().map(|o| {
        let what = match (o.percent_off, o.free_shipping, facts.language) {
            (Some(p), _, Language::En) => format!("{}% off your next order", trim_number(p)),
            (Some(p), _, Language::Zh) => format!("下一单立减{}%", trim_number(p)),
            (None, true, Language::En) => "free shipping on your next order".to_owned(),
            (None, true, Language::Zh) => "下一单免运费".to_owned(),
            (None, false, Language::En) => "a thank-you from us".to_owned(),
            (None, false, Language::Zh) => "一份心意".to_owned(),
        };
        let code = o.code.as_ref().map(|c| match facts.language {
            Language::En => format!(" with code {c}"),
            Language::Zh => format!("，优惠码 {c}"),
        });
        let until = o.expires.as_ref().map(|d| match facts.language {
            Language::En => format!(", valid until {d}"),
            Language::Zh => format!("，有效期至 {d}"),
        });
        format!(
            "{what}{}{}",
            code.unwrap_or_default(),
            until.unwrap_or_default()
        )
    });
    let products: Vec<String> = facts
        .products
        .iter()
        .map(|p| format!("- {} ({})", p.title, money(p.price, &facts.currency)))
        .collect();
    match facts.language {
        Language::En => {
            let subject = match &facts.favourite_category {
                Some(c) => format!("New picks in {c} for you"),
                None => format!("We picked something for you at {}", facts.shop),
            };
            let preheader = offer_line
                .clone()
                .map(|o| format!("Enjoy {o}."))
                .unwrap_or_else(|| "Have a look at what we picked for you.".to_owned());
            let mut body = "Hi {first_name},\n\nwe thought you might like these:\n".to_owned();
            for p in &products {
                body.push_str(p);
                body.push('\n');
            }
            if let Some(o) = &offer_line {
                body.push_str(&format!("\nEnjoy {o}.\n"));
            }
            body.push_str(&format!("\nSee you soon,\n{}", facts.shop));
            Draft {
                subject,
                preheader,
                body,
            }
        }
        Language::Zh => {
            let subject = match &facts.favourite_category {
                Some(c) => format!("为您挑选的{c}新品"),
                None => format!("{}为您精选好物", facts.shop),
            };
            let preheader = offer_line
                .clone()
                .map(|o| format!("专属优惠：{o}。"))
                .unwrap_or_else(|| "看看我们为您挑选的商品。".to_owned());
            let mut body = "{first_name}，您好：\n\n我们觉得您可能会喜欢这些商品：\n".to_owned();
            for p in &products {
                body.push_str(p);
                body.push('\n');
            }
            if let Some(o) = &offer_line {
                body.push_str(&format!("\n专属优惠：{o}。\n"));
            }
            body.push_str(&format!("\n期待您的再次光临！\n{}", facts.shop));
            Draft {
                subject,
                preheader,
                body,
            }
        }
    }
}

/// How a message was produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessagePath {
    /// The writer's first draft passed.
    FirstDraft,
    /// A retry with the validator's feedback passed.
    Retried,
    /// Every draft was rejected: the template was used.
    Template,
    /// No writer configured: the template was used.
    TemplateOnly,
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
