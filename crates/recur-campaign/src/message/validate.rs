//! Validators: a draft may state only the facts the engine supplied.

use serde::Serialize;

use super::{Draft, Facts, Format, FreeText, Language, ProductFact, Rules};

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
    /// The writer's free text speaks of an offer, stock or price itself (the engine states the
    /// offer; the writer would be inventing one).
    OfferInFreeText {
        /// The words.
        words: String,
    },
    /// The writer's free text speaks as "I" (the shop speaks as "we") or apologises.
    Voice {
        /// The words.
        words: String,
    },
    /// A character the writer's own text may not hold: a sign of prices, codes, links or
    /// markup, or a letter of another script (see [`free_text_pattern`]).
    ForbiddenCharacter {
        /// Field.
        field: &'static str,
        /// The character.
        character: String,
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
            Violation::OfferInFreeText { words } => write!(
                f,
                "`{words}`: do not write about offers, codes, prices or stock; the shop adds the offer"
            ),
            Violation::Voice { words } => write!(
                f,
                "`{words}`: write as the shop (\"we\"), warmly, without apologies"
            ),
            Violation::ForbiddenCharacter { field, character } => write!(
                f,
                "{field}: `{character}` may not be used; write plain words in the customer's language (prices, codes and links are the shop's to add)"
            ),
        }
    }
}

/// Signs the writer's own text may not hold in any language: those of prices, percentages,
/// codes, links, mentions and markup (numerals are checked apart).
const FORBIDDEN_SIGNS: &str = "$€£¥￥＄%％@＠#{}[]<>＜＞\\/_|~^*+=&";

/// The JSON-schema `pattern` of the writer's free text in `language`, which the local decoder
/// enforces: no numerals, no signs of prices, percentages, codes, links, mentions or markup, no
/// line breaks or tabs, and no letters of another script. English keeps to ASCII letters: a letter such as "â" would let a word
/// dodge the forbidden words ("dealâ" is not "deal") and is how mojibake ("â€™") looks;
/// typographic quotes and dashes (U+2010 and up) stay. Chinese holds no Latin letters. The
/// validators reject the same signs and the letters of those ranges in whatever a writer sends
/// ([`Violation::ForbiddenCharacter`]), outside the supplied titles and names; they let pass
/// the other characters of U+0080-U+00BF (a no-break space, `°`, `«`), which state no fact.
pub fn free_text_pattern(language: Language) -> String {
    let signs: String = FORBIDDEN_SIGNS
        .chars()
        .map(|c| match c {
            '\\' | '[' | ']' => format!("\\{c}"),
            c => c.to_string(),
        })
        .collect();
    let common = format!(r"\d０-９{signs}\n\r\t");
    match language {
        Language::En => format!("^[^{common}\\u0080-\\u024f\\u3400-\\u9fff\\uf900-\\ufaff]*$"),
        Language::Zh => format!("^[^{common}A-Za-zＡ-Ｚａ-ｚ]*$"),
    }
}

/// Whether the writer's own text in `language` may not hold `c`: the signs and letters that
/// [`free_text_pattern`] forbids (numerals, white space and the non-letters of
/// U+0080-U+00BF apart: they are checked elsewhere, or state nothing).
fn forbidden_char(language: Language, c: char) -> bool {
    if FORBIDDEN_SIGNS.contains(c) {
        return true;
    }
    match language {
        Language::En => {
            (c.is_alphabetic() && ('\u{80}'..='\u{24f}').contains(&c))
                || matches!(c as u32, 0x3400..=0x9FFF | 0xF900..=0xFAFF)
        }
        Language::Zh => c.is_ascii_alphabetic() || matches!(c, 'Ａ'..='Ｚ' | 'ａ'..='ｚ'),
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
    for s in std::iter::once(&facts.shop)
        .chain(&facts.favourite_category)
        .chain(&facts.link)
    {
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
        .chain(facts.link.as_deref())
        .collect::<Vec<_>>()
        .join("\n");
    let body_max = match rules.format {
        Format::Sms => rules.max_body.min(sms_limit(&draft.body)),
        Format::Email | Format::Push => rules.max_body,
    };
    let fields: [(&'static str, &str, usize); 3] = [
        ("subject", &draft.subject, rules.max_subject),
        ("preheader", &draft.preheader, rules.max_preheader),
        ("body", &draft.body, body_max),
    ];
    for (field, text, max) in fields {
        let chars = text.chars().count();
        if text.trim().is_empty() {
            // A field the format does not have (an SMS subject) stays empty.
            if max > 0 {
                out.push(Violation::Empty { field });
            }
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
    let language = wrong_language(
        &format!("{} {} {}", draft.subject, draft.preheader, draft.body),
        facts,
        &supplied_text,
    );
    // The facts the message exists for must be in it.
    let all = format!("{}\n{}\n{}", draft.subject, draft.preheader, draft.body).to_lowercase();
    if let Some(code) = facts.offer.as_ref().and_then(|o| o.code.as_deref())
        && !all.contains(&code.to_lowercase())
    {
        out.push(Violation::MissingFact {
            what: format!("the coupon code {code}"),
        });
    }
    if rules.format == Format::Email
        && !facts.products.is_empty()
        && !facts
            .products
            .iter()
            .any(|p| all.contains(&p.title.to_lowercase()))
    {
        out.push(Violation::MissingFact {
            what: "at least one of the recommended products by its exact title".into(),
        });
    }
    out.extend(language);
    out
}

/// The most characters an SMS of `text` may have in one part: 160 in the GSM-7 alphabet, 70
/// when any character needs Unicode (UCS-2), as Chinese does.
pub fn sms_limit(text: &str) -> usize {
    const GSM7: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                        ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    if text.chars().all(|c| GSM7.contains(c)) {
        160
    } else {
        70
    }
}

/// Words of the writer's free text that speak of an offer, a price or stock (the engine
/// states the offer).
const OFFER_WORDS_EN: &[&str] = &[
    "code",
    "codes",
    "coupon",
    "voucher",
    "discount",
    "gift card",
    "giftcard",
    "sale",
    "deal",
    "promo",
    "percent",
    "price",
    "cheap",
    "free shipping",
    "free delivery",
    "in stock",
    "out of stock",
    "available",
    "expire",
    "event",
    "limited time",
    "today only",
    "points",
];
const OFFER_WORDS_ZH: &[&str] = &[
    "优惠码",
    "优惠券",
    "折扣",
    "打折",
    "礼品卡",
    "免费",
    "包邮",
    "免运费",
    "特价",
    "促销",
    "价格",
    "库存",
    "有货",
    "缺货",
    "积分",
    "限时",
    "活动",
];
const VOICE_EN: &[&str] = &[
    "i",
    "i'm",
    "i've",
    "i'd",
    "i'll",
    "me",
    "my",
    "sorry",
    "apologize",
    "apologise",
    "the customer",
    "this customer",
    "customer is",
];
const VOICE_ZH: &[&str] = &["抱歉", "对不起", "这位顾客", "该顾客"];
/// Numbers spelled out in English ("four days", "twenty percent"): a number is the engine's to
/// write, in words as in digits. "one" is left out: it is mostly not a number ("the one you
/// liked", "one of our favourites"). Chinese numerals are found by [`chinese_numeral`].
const NUMBER_WORDS_EN: &[&str] = &[
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    "hundred",
    "thousand",
    "million",
    "dozen",
    "twice",
    "thrice",
    // Ordinals past "second" (which is mostly not a number: "a second look"); "seventh",
    // "eighth", "eleventh" and the like are taken by the entries they begin with.
    "third",
    "fourth",
    "fifth",
    "sixth",
    "ninth",
    "tenth",
    "twelfth",
    "twentieth",
    "thirtieth",
    "fortieth",
    "fiftieth",
    "hundredth",
    "thousandth",
];

fn offer_words(language: Language) -> &'static [&'static str] {
    match language {
        Language::En => OFFER_WORDS_EN,
        Language::Zh => OFFER_WORDS_ZH,
    }
}

fn number_words(language: Language) -> &'static [&'static str] {
    match language {
        Language::En => NUMBER_WORDS_EN,
        Language::Zh => &[],
    }
}

fn voice_words(language: Language) -> &'static [&'static str] {
    match language {
        Language::En => VOICE_EN,
        Language::Zh => VOICE_ZH,
    }
}

/// A word of the lists above as an entry of the JSON-schema keyword `x-forbidden-words`
/// (recur-llm's decoder enforces it): whole words; a `*` at the end also takes the words that
/// begin with it, at the start those that end with it. English words longer than four letters
/// take the words they begin ("discount*": "discounted"); Chinese, written without spaces,
/// is matched anywhere (`*折扣*`).
fn word_entry(w: &str, language: Language) -> String {
    match language {
        Language::En if w.len() > 4 => format!("{w}*"),
        Language::En => w.to_owned(),
        Language::Zh => format!("*{w}*"),
    }
}

/// Whether `entry` (as [`word_entry`] writes it) is in a text given as its lower-case words
/// joined by single spaces, with a space at each end.
fn entry_found(entry: &str, padded: &str) -> bool {
    let (head, rest) = entry.strip_prefix('*').map_or((" ", entry), |r| ("", r));
    let (body, tail) = rest.strip_suffix('*').map_or((rest, " "), |r| (r, ""));
    padded.contains(&format!("{head}{body}{tail}"))
}

/// The words and phrases free text may not contain in `language` (offer talk, the wrong
/// voice, numbers spelled out), as `x-forbidden-words` entries: the one list both the decoder
/// and [`check_free_text`] use.
pub(crate) fn free_text_words(language: Language) -> Vec<String> {
    offer_words(language)
        .iter()
        .chain(voice_words(language))
        .chain(number_words(language))
        .map(|w| word_entry(w, language))
        .collect()
}

/// `text` as its lower-case words joined by single spaces, with a space at each end, without
/// the supplied titles and favourite category (which may contain any word).
fn own_words(text: &str, facts: &Facts) -> String {
    let mut own = text.to_lowercase();
    for t in facts
        .products
        .iter()
        .map(|p| p.title.to_lowercase())
        .chain(facts.favourite_category.iter().map(|c| c.to_lowercase()))
    {
        own = own.replace(&t, " ");
    }
    // An apostrophe belongs to a word only inside it ("i'm", not "deal'"), as the decoder
    // reads it.
    let tokens: Vec<&str> = own
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .collect();
    format!(" {} ", tokens.join(" "))
}

/// The checks on the writer's own text: its language, no offer or stock talk, the shop's voice.
pub(crate) fn check_free_text(text: &FreeText, facts: &Facts) -> Vec<Violation> {
    let mut out = Vec::new();
    out.extend(free_text_language(text, facts));
    // Any numeral at all (digits of any script, fractions such as ¼, Roman numerals): numbers
    // are the engine's to write.
    let fields = [
        ("subject", &text.subject),
        ("opening", &text.opening),
        ("reason", &text.reason),
        ("closing", &text.closing),
    ];
    // The supplied titles, category and shop name may hold any character, and `{first_name}`
    // is the one placeholder a writer may use.
    let mut supplied: Vec<&str> = facts
        .products
        .iter()
        .map(|p| p.title.as_str())
        .chain([facts.shop.as_str()])
        .chain(facts.favourite_category.as_deref())
        .chain(["{first_name}"])
        .filter(|s| !s.is_empty())
        .collect();
    // Longest first: a title inside another must not break the longer one apart.
    supplied.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
    for (field, t) in fields {
        let mut own = t.clone();
        for s in &supplied {
            own = own.replace(s, " ");
        }
        if let Some(c) = own.chars().find(|&c| forbidden_char(facts.language, c)) {
            out.push(Violation::ForbiddenCharacter {
                field,
                character: c.to_string(),
            });
        }
        let spelled = || {
            let padded = own_words(t, facts);
            number_words(facts.language)
                .iter()
                .find(|w| entry_found(&word_entry(w, facts.language), &padded))
                .map(|w| (*w).to_owned())
        };
        if let Some(c) = t.chars().find(|c| c.is_numeric()) {
            out.push(Violation::UnsuppliedNumber {
                field,
                text: c.to_string(),
            });
        } else if let Some(n) = chinese_numeral(t).or_else(spelled) {
            out.push(Violation::UnsuppliedNumber { field, text: n });
        }
    }
    // Words as the writer chose them: supplied titles and the category may contain any word.
    let padded = own_words(
        &format!(
            "{}\n{}\n{}\n{}",
            text.subject, text.opening, text.reason, text.closing
        ),
        facts,
    );
    let found = |list: &[&str]| -> Vec<String> {
        list.iter()
            .filter(|w| entry_found(&word_entry(w, facts.language), &padded))
            .map(|w| (*w).to_owned())
            .collect()
    };
    let (offer, voice) = (
        found(offer_words(facts.language)),
        found(voice_words(facts.language)),
    );
    if !offer.is_empty() {
        out.push(Violation::OfferInFreeText {
            words: offer.join(", "),
        });
    }
    if !voice.is_empty() {
        out.push(Violation::Voice {
            words: voice.join(", "),
        });
    }
    out
}

/// A Chinese number written in characters (八十四, 十五, 三四): a run of two or more numeral
/// characters that is not just 一 (which also writes 一起, 一直).
fn chinese_numeral(text: &str) -> Option<String> {
    const DIGITS: &str = "零〇一二三四五六七八九十百千万亿";
    let mut run = String::new();
    let mut found = None;
    for c in text.chars().chain(std::iter::once(' ')) {
        if DIGITS.contains(c) {
            run.push(c);
            continue;
        }
        if run.chars().count() >= 2 && run.chars().any(|d| d != '一') {
            found = Some(std::mem::take(&mut run));
            break;
        }
        run.clear();
    }
    found
}

/// Whether the writer's own text is in the customer's language (the facts it may repeat, in
/// any script, do not count); a violation when it is not.
pub(crate) fn free_text_language(text: &FreeText, facts: &Facts) -> Option<Violation> {
    let supplied: Vec<&str> = facts
        .products
        .iter()
        .map(|p| p.title.as_str())
        .chain([facts.shop.as_str()])
        .chain(facts.favourite_category.as_deref())
        .collect();
    wrong_language(
        &format!(
            "{} {} {} {}",
            text.subject, text.opening, text.reason, text.closing
        ),
        facts,
        &supplied.join("\n"),
    )
}

/// Language: the share of CJK among the letters the writer chose (supplied titles, names and
/// codes, which may be in another script, do not count).
fn wrong_language(text: &str, facts: &Facts, supplied_text: &str) -> Option<Violation> {
    let mut all = text.to_owned();
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
    let letters = (cjk + latin).max(1) as f64;
    let wrong = match facts.language {
        Language::En => cjk as f64 / letters > 0.05,
        Language::Zh => (cjk as f64) / letters < 0.5,
    };
    wrong.then_some(Violation::WrongLanguage {
        expected: facts.language,
    })
}

#[cfg(test)]
mod numeral_tests {
    use super::chinese_numeral;

    #[test]
    fn chinese_numbers_in_characters_are_found() {
        assert_eq!(chinese_numeral("无望八十四点").as_deref(), Some("八十四"));
        assert_eq!(chinese_numeral("立减十五").as_deref(), Some("十五"));
        assert_eq!(chinese_numeral("我们一起一直在这里"), None);
        assert_eq!(chinese_numeral("十分喜欢"), None);
    }
}
