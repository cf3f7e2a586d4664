//! The answer validator: an answer may state only what the passages it cites contain. Every
//! number (digits, Chinese numerals, English number words before a unit), month or weekday,
//! product title, link or capitalised name in the answer must occur in a cited passage; an
//! answer without a valid citation is rejected too.

use serde::Serialize;

use crate::language::{Lang, is_han};

/// Why an answer was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Violation {
    /// The answer is empty.
    Empty,
    /// No `[n]` citation of a supplied passage.
    NoCitation,
    /// `[n]` where no passage n was supplied.
    UnknownCitation {
        /// The marker.
        marker: usize,
    },
    /// A number (price, duration, date part, quantity) the cited passages do not contain.
    UnsupportedNumber {
        /// As written.
        text: String,
    },
    /// A month, weekday, link or capitalised name the cited passages do not contain.
    UnsupportedName {
        /// As written.
        text: String,
    },
    /// A product of the catalog the cited passages do not mention.
    UnsupportedProduct {
        /// Its title.
        title: String,
    },
    /// An e-mail address or phone number not in the cited passages.
    PersonalData,
    /// Not in the customer's language.
    WrongLanguage {
        /// Expected.
        expected: Lang,
    },
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Violation::Empty => f.write_str("the answer is empty"),
            Violation::NoCitation => f.write_str("the answer cites no passage; cite like [1]"),
            Violation::UnknownCitation { marker } => {
                write!(f, "[{marker}] is not a supplied passage")
            }
            Violation::UnsupportedNumber { text } => {
                write!(
                    f,
                    "`{text}` is not in the cited passages; state only their numbers"
                )
            }
            Violation::UnsupportedName { text } => {
                write!(f, "`{text}` is not in the cited passages")
            }
            Violation::UnsupportedProduct { title } => {
                write!(f, "the product `{title}` is not in the cited passages")
            }
            Violation::PersonalData => f.write_str("the answer contains contact details"),
            Violation::WrongLanguage { expected } => write!(f, "answer in {expected}"),
        }
    }
}

/// The `[n]` markers of `text`, in order of first appearance, without repeats.
pub fn citation_markers(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'[' {
            let mut j = i + 1;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j > i + 1 && j < b.len() && b[j] == b']' {
                if let Ok(n) = text[i + 1..j].parse::<usize>()
                    && !out.contains(&n)
                {
                    out.push(n);
                }
                i = j;
            }
        }
        i += 1;
    }
    out
}

/// `text` without its `[n]` markers.
pub fn strip_markers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('[') {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && tail.as_bytes().get(digits) == Some(&b']') {
            rest = &tail[digits + 1..];
        } else {
            out.push('[');
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// Checks `answer` against `passages` (the texts of the supplied passages, marker n = index
/// n-1) and the catalog's product titles.
pub fn validate_answer(
    answer: &str,
    passages: &[String],
    products: &[String],
    lang: Lang,
) -> Vec<Violation> {
    let mut out = Vec::new();
    if answer.trim().is_empty() {
        return vec![Violation::Empty];
    }
    let markers = citation_markers(answer);
    let mut cited: Vec<&str> = Vec::new();
    for &m in &markers {
        match passages.get(m.wrapping_sub(1)) {
            Some(p) if m >= 1 => cited.push(p),
            _ => out.push(Violation::UnknownCitation { marker: m }),
        }
    }
    if cited.is_empty() {
        out.push(Violation::NoCitation);
    }
    let body = strip_markers(answer);
    let source = cited.join("\n");
    let source_lower = source.to_lowercase();
    let allowed = numbers_in(&source, false);
    for (text, value) in numbers_in(&body, true) {
        if !allowed.iter().any(|(_, v)| (v - value).abs() < 1e-9) {
            out.push(Violation::UnsupportedNumber { text });
        }
    }
    for name in names_in(&body) {
        if !source_lower.contains(&name.to_lowercase()) {
            out.push(Violation::UnsupportedName { text: name });
        }
    }
    let body_lower = body.to_lowercase();
    for title in products {
        let t = title.trim().to_lowercase();
        if t.chars().count() >= 4 && body_lower.contains(&t) && !source_lower.contains(&t) {
            out.push(Violation::UnsupportedProduct {
                title: title.clone(),
            });
        }
    }
    if (body.contains('@') && !source.contains('@')) || has_phone(&body) && !has_phone(&source) {
        out.push(Violation::PersonalData);
    }
    if Lang::detect(&body) != lang {
        out.push(Violation::WrongLanguage { expected: lang });
    }
    out.dedup();
    out
}

fn has_phone(text: &str) -> bool {
    let mut digits = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            if digits >= 7 {
                return true;
            }
        } else if !matches!(c, ' ' | '-' | '.' | '(' | ')' | '+') {
            digits = 0;
        }
    }
    false
}

const UNITS_EN: &[&str] = &[
    "day", "days", "week", "weeks", "month", "months", "year", "years", "hour", "hours", "minute",
    "minutes", "business", "working", "calendar", "dollars", "dollar", "percent", "times", "items",
    "item", "euros", "pounds", "cents",
];

fn word_value(w: &str) -> Option<f64> {
    const SMALL: &[&str] = &[
        "zero",
        "one",
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
    ];
    const TENS: &[(&str, f64)] = &[
        ("thirty", 30.0),
        ("forty", 40.0),
        ("fifty", 50.0),
        ("sixty", 60.0),
        ("seventy", 70.0),
        ("eighty", 80.0),
        ("ninety", 90.0),
        ("hundred", 100.0),
    ];
    SMALL
        .iter()
        .position(|s| *s == w)
        .map(|i| i as f64)
        .or_else(|| TENS.iter().find(|(s, _)| *s == w).map(|(_, v)| *v))
}

fn han_digit(c: char) -> Option<f64> {
    Some(match c {
        '零' | '〇' => 0.0,
        '一' => 1.0,
        '二' | '两' => 2.0,
        '三' => 3.0,
        '四' => 4.0,
        '五' => 5.0,
        '六' => 6.0,
        '七' => 7.0,
        '八' => 8.0,
        '九' => 9.0,
        _ => return None,
    })
}

fn han_multiplier(c: char) -> Option<f64> {
    Some(match c {
        '十' => 10.0,
        '百' => 100.0,
        '千' => 1000.0,
        '万' => 10_000.0,
        _ => return None,
    })
}

/// The value of a run of Chinese numerals such as 三, 十五, 二十四, 一百.
fn han_value(run: &[char]) -> f64 {
    let mut total = 0.0;
    let mut digit = 0.0;
    for &c in run {
        if let Some(d) = han_digit(c) {
            digit = d;
        } else if let Some(m) = han_multiplier(c) {
            let d = if digit == 0.0 { 1.0 } else { digit };
            if m >= 10_000.0 {
                total = (total + d) * m;
            } else {
                total += d * m;
            }
            digit = 0.0;
        }
    }
    total + digit
}

const HAN_UNITS: &str = "天日周月年个件元块小时分钟次倍折%号";

/// Numbers of `text` with their values. In an answer (`strict`), English number words count
/// only before a unit ("seven days") and a single Chinese 一 only before a unit (一天, not
/// 一下); in the passages every form counts.
fn numbers_in(text: &str, strict: bool) -> Vec<(String, f64)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            let start = i;
            let mut s = String::new();
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || (matches!(chars[i], '.' | ',')
                        && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
            {
                if chars[i] != ',' {
                    s.push(chars[i]);
                }
                i += 1;
            }
            if let Ok(v) = s.parse::<f64>() {
                out.push((chars[start..i].iter().collect(), v));
            }
            continue;
        }
        if han_digit(c).is_some() || han_multiplier(c).is_some() {
            let start = i;
            while i < chars.len()
                && (han_digit(chars[i]).is_some() || han_multiplier(chars[i]).is_some())
            {
                i += 1;
            }
            let run = &chars[start..i];
            let next = chars.get(i).copied();
            let unit_follows = next.is_some_and(|n| HAN_UNITS.contains(n));
            // A lone numeral inside a word (一下, 一些, 统一) is not a number.
            if !strict || run.len() >= 2 || unit_follows {
                out.push((run.iter().collect(), han_value(run)));
            }
            continue;
        }
        if c.is_ascii_alphabetic() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphabetic() {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect::<String>().to_lowercase();
            if let Some(v) = word_value(&word) {
                let next_word: String = chars[i..]
                    .iter()
                    .skip_while(|c| **c == ' ' || **c == '-')
                    .take_while(|c| c.is_ascii_alphabetic())
                    .collect::<String>()
                    .to_lowercase();
                if !strict || UNITS_EN.contains(&next_word.as_str()) {
                    out.push((word, v));
                }
            }
            continue;
        }
        i += 1;
    }
    out
}

const MONTHS_DAYS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "星期一",
    "星期二",
    "星期三",
    "星期四",
    "星期五",
    "星期六",
    "星期日",
    "周一",
    "周二",
    "周三",
    "周四",
    "周五",
    "周六",
    "周日",
];

/// Names an answer could invent: months and weekdays, links, and capitalised words that do
/// not begin a sentence.
fn names_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = text.to_lowercase();
    for m in MONTHS_DAYS {
        if lower.contains(m) {
            out.push((*m).to_owned());
        }
    }
    for w in text.split_whitespace() {
        if w.contains("://") || w.starts_with("www.") {
            out.push(w.trim_end_matches(['.', ',', ')']).to_owned());
        }
    }
    const COMMON: &[&str] = &["I", "I'm", "I'll", "I've", "I'd", "OK", "FAQ"];
    let mut sentence_start = true;
    for raw in text.split_whitespace() {
        let w = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'');
        let starts_upper = w.chars().next().is_some_and(char::is_uppercase);
        if starts_upper
            && !sentence_start
            && w.chars().count() >= 2
            && !COMMON.contains(&w)
            && !w.chars().any(is_han)
        {
            out.push(w.to_owned());
        }
        sentence_start =
            raw.ends_with(['.', '!', '?', ':', '。', '！', '？']) || raw.ends_with("\n");
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passages() -> Vec<String> {
        vec![
            "Refunds are issued within 5-7 business days to the original payment method.".into(),
            "退款一般3到5个工作日到账，七天无理由退货。".into(),
        ]
    }

    #[test]
    fn a_grounded_answer_passes() {
        let v = validate_answer(
            "Refunds reach your payment method within 5-7 business days [1].",
            &passages(),
            &[],
            Lang::En,
        );
        assert!(v.is_empty(), "{v:?}");
        let v = validate_answer(
            "退款一般3到5个工作日到账，支持七天无理由退货[2]。",
            &passages(),
            &[],
            Lang::Zh,
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn a_number_the_cited_passage_lacks_is_rejected() {
        let v = validate_answer(
            "Refunds take 10 business days [1].",
            &passages(),
            &[],
            Lang::En,
        );
        assert!(
            v.contains(&Violation::UnsupportedNumber { text: "10".into() }),
            "{v:?}"
        );
        let v = validate_answer(
            "Refunds take ten business days [1].",
            &passages(),
            &[],
            Lang::En,
        );
        assert!(
            v.contains(&Violation::UnsupportedNumber { text: "ten".into() }),
            "{v:?}"
        );
        // The number is in passage 2 but the answer cites only passage 1.
        let v = validate_answer("Refunds take 3 days [1].", &passages(), &[], Lang::En);
        assert!(matches!(v[0], Violation::UnsupportedNumber { .. }), "{v:?}");
        let v = validate_answer("退款十五天到账[2]。", &passages(), &[], Lang::Zh);
        assert!(
            v.contains(&Violation::UnsupportedNumber {
                text: "十五".into()
            }),
            "{v:?}"
        );
    }

    #[test]
    fn citations_are_required_and_must_exist() {
        let v = validate_answer(
            "Refunds take 5-7 business days.",
            &passages(),
            &[],
            Lang::En,
        );
        assert!(v.contains(&Violation::NoCitation));
        let v = validate_answer(
            "Refunds take 5-7 business days [3].",
            &passages(),
            &[],
            Lang::En,
        );
        assert!(v.contains(&Violation::UnknownCitation { marker: 3 }));
    }

    #[test]
    fn names_products_and_contacts_must_be_in_the_passages() {
        let v = validate_answer(
            "Refunds go back via PayPal within 5-7 business days [1].",
            &passages(),
            &[],
            Lang::En,
        );
        assert!(
            v.contains(&Violation::UnsupportedName {
                text: "PayPal".into()
            }),
            "{v:?}"
        );
        let v = validate_answer(
            "Try our Green Tea Sampler [1].",
            &passages(),
            &["Green Tea Sampler".into()],
            Lang::En,
        );
        assert!(
            v.contains(&Violation::UnsupportedProduct {
                title: "Green Tea Sampler".into()
            }),
            "{v:?}"
        );
        let v = validate_answer("Write to help@shop.com [1].", &passages(), &[], Lang::En);
        assert!(v.contains(&Violation::PersonalData), "{v:?}");
        let v = validate_answer("We refund on Monday [1].", &passages(), &[], Lang::En);
        assert!(
            v.contains(&Violation::UnsupportedName {
                text: "monday".into()
            }),
            "{v:?}"
        );
    }

    #[test]
    fn lone_numerals_inside_words_are_not_numbers() {
        let v = validate_answer(
            "请您稍等一下，退款会原路返回[2]。",
            &passages(),
            &[],
            Lang::Zh,
        );
        assert!(v.is_empty(), "{v:?}");
        assert_eq!(han_value(&['二', '十', '四']), 24.0);
        assert_eq!(han_value(&['十', '五']), 15.0);
        assert_eq!(han_value(&['一', '百']), 100.0);
    }

    #[test]
    fn markers_are_found_and_stripped() {
        assert_eq!(citation_markers("a [2] b [1][2] [x] [10]"), vec![2, 1, 10]);
        assert_eq!(strip_markers("a [2] b[1]. [x]"), "a  b. [x]");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(answer in "\\PC{0,80}", passage in "\\PC{0,80}") {
            let _ = validate_answer(&answer, &[passage], &[], Lang::En);
            let _ = citation_markers(&answer);
            let _ = strip_markers(&answer);
        }

        #[test]
        fn quoting_a_passage_with_its_marker_always_passes(words in proptest::collection::vec("[a-z]{2,8}|[0-9]{1,4}", 1..12)) {
            let passage = words.join(" ");
            let answer = format!("{passage} [1]");
            let v = validate_answer(&answer, std::slice::from_ref(&passage), &[], Lang::En);
            proptest::prop_assert!(v.is_empty(), "{:?}", v);
        }
    }
}
