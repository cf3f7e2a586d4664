//! What a shopper's query asks for, by rules: a price range from phrases ("under 20", "below
//! $30", "between 10 and 20", "10-20", "over 50", "cheap", "20元以下", "低于30", "便宜"), a
//! category of the catalog whose name the query uses, and the remaining salient words.
//!
//! Rules rather than a constrained-decoding model: the phrases are few and fixed, rules run in
//! microseconds, never invent a category the catalog lacks, and are tested exhaustively.

use serde::Serialize;

/// The understood intent of a query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchIntent {
    /// The catalog category the query names (its full path), when one matches.
    pub category: Option<String>,
    /// Lowest price asked for.
    pub price_min: Option<f64>,
    /// Highest price asked for (for "cheap": the category's lower-third price).
    pub price_max: Option<f64>,
    /// Whether the query asked for something cheap without a number.
    pub cheap: bool,
    /// Salient words left once price phrases, category words and function words are taken out.
    pub terms: Vec<String>,
}

/// A query with its price phrases taken out.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParsedQuery {
    /// The words left, as typed (lower-cased), for retrieval.
    pub(crate) text: String,
    /// The words left, one by one.
    pub(crate) words: Vec<String>,
    pub(crate) price_min: Option<f64>,
    pub(crate) price_max: Option<f64>,
    pub(crate) cheap: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Num(f64),
    /// A run of CJK characters.
    Cjk(String),
    Dash,
    Less,
    More,
}

const CURRENCY_WORDS: &[&str] = &[
    "usd", "eur", "gbp", "cny", "rmb", "dollar", "dollars", "euro", "euros", "pound", "pounds",
    "bucks", "yuan",
];
const CHEAP_WORDS: &[&str] = &[
    "cheap",
    "cheaper",
    "cheapest",
    "budget",
    "affordable",
    "inexpensive",
];
const PRICE_WORDS: &[&str] = &["price", "priced", "cost", "costs", "costing", "for"];
const CJK_MAX_BEFORE: &[&str] = &[
    "低于",
    "少于",
    "小于",
    "不超过",
    "不到",
    "不高于",
    "以内",
    "最多",
];
const CJK_MIN_BEFORE: &[&str] = &["高于", "超过", "大于", "多于", "不低于", "至少"];
const CJK_MAX_AFTER: &[&str] = &["元以下", "块以下", "以下", "元以内", "块以内", "以内"];
const CJK_MIN_AFTER: &[&str] = &["元以上", "块以上", "以上"];
const CJK_RANGE: &[&str] = &["到", "至", "元到", "块到", "元至", "~"];
const CJK_CURRENCY: &[&str] = &["元", "块", "块钱"];
const CJK_CHEAP: &[&str] = &["便宜", "实惠", "平价"];

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
        || matches!(c, '～' | '－')
}

fn tokenize(query: &str) -> Vec<Tok> {
    let lower = query.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit() || chars[i] == '.' || chars[i] == ',')
            {
                i += 1;
            }
            let s: String = chars[start..i].iter().filter(|c| **c != ',').collect();
            let s = s.trim_end_matches('.');
            match s.parse::<f64>() {
                Ok(v) if v.is_finite() => out.push(Tok::Num(v)),
                _ => out.push(Tok::Word(s.to_owned())),
            }
            // "20k" and "20eur" stay a number followed by a word.
        } else if c.is_alphanumeric() && !is_cjk(c) {
            let start = i;
            while i < chars.len()
                && chars[i].is_alphanumeric()
                && !is_cjk(chars[i])
                && !chars[i].is_ascii_digit()
            {
                i += 1;
            }
            out.push(Tok::Word(chars[start..i].iter().collect()));
        } else if is_cjk(c) {
            let start = i;
            while i < chars.len() && is_cjk(chars[i]) {
                i += 1;
            }
            out.push(Tok::Cjk(chars[start..i].iter().collect()));
        } else {
            match c {
                '-' | '–' | '—' | '~' => out.push(Tok::Dash),
                '<' | '≤' => out.push(Tok::Less),
                '>' | '≥' => out.push(Tok::More),
                _ => {}
            }
            i += 1;
        }
    }
    out
}

fn word(t: Option<&Tok>) -> Option<&str> {
    match t {
        Some(Tok::Word(w)) => Some(w),
        _ => None,
    }
}

fn num(t: Option<&Tok>) -> Option<f64> {
    match t {
        Some(Tok::Num(v)) => Some(*v),
        _ => None,
    }
}

/// The length of an English "at most" phrase starting at `i` (the number follows it).
fn max_phrase(t: &[Tok], i: usize) -> Option<usize> {
    let w = |k: usize| word(t.get(i + k));
    match (t.get(i), w(0), w(1), w(2)) {
        (Some(Tok::Less), ..) => Some(if matches!(t.get(i + 1), Some(Tok::Dash)) {
            2
        } else {
            1
        }),
        (_, Some("under" | "below" | "max" | "maximum" | "within" | "upto" | "sub"), ..) => Some(1),
        (_, Some("less" | "cheaper" | "lower" | "fewer"), Some("than"), _) => Some(2),
        (_, Some("up"), Some("to"), _) | (_, Some("at"), Some("most"), _) => Some(2),
        (_, Some("no" | "not"), Some("more"), Some("than")) => Some(3),
        (_, Some("not"), Some("over" | "above"), _) => Some(2),
        _ => None,
    }
}

/// The length of an English "at least" phrase starting at `i`.
fn min_phrase(t: &[Tok], i: usize) -> Option<usize> {
    let w = |k: usize| word(t.get(i + k));
    match (t.get(i), w(0), w(1), w(2)) {
        (Some(Tok::More), ..) => Some(1),
        (_, Some("over" | "above" | "min" | "minimum" | "from" | "exceeding"), ..) => Some(1),
        (_, Some("more" | "higher" | "greater"), Some("than"), _) => Some(2),
        (_, Some("at"), Some("least"), _) => Some(2),
        (_, Some("no" | "not"), Some("less"), Some("than")) => Some(3),
        _ => None,
    }
}

/// A number at `i`, allowing currency words right after it; returns (value, tokens used).
fn amount(t: &[Tok], i: usize) -> Option<(f64, usize)> {
    let v = num(t.get(i))?;
    let mut used = 1;
    if word(t.get(i + 1)).is_some_and(|w| CURRENCY_WORDS.contains(&w)) {
        used += 1;
    }
    Some((v, used))
}

/// Takes the price phrases out of `query`.
pub(crate) fn parse_query(query: &str) -> ParsedQuery {
    let mut toks = tokenize(query);
    let mut used = vec![false; toks.len()];
    let mut price_min: Option<f64> = None;
    let mut price_max: Option<f64> = None;
    let mut cheap = false;
    let mut i = 0;
    while i < toks.len() {
        // between X and Y / from X to Y
        if matches!(word(toks.get(i)), Some("between" | "from"))
            && let Some((a, na)) = amount(&toks, i + 1)
            && matches!(toks.get(i + 1 + na), Some(Tok::Dash) | Some(Tok::Word(_)))
            && (matches!(toks.get(i + 1 + na), Some(Tok::Dash))
                || matches!(word(toks.get(i + 1 + na)), Some("and" | "to")))
            && let Some((b, nb)) = amount(&toks, i + 2 + na)
        {
            let n = 2 + na + nb;
            used[i..i + n].iter_mut().for_each(|u| *u = true);
            price_min = Some(a.min(b));
            price_max = Some(a.max(b));
            i += n;
            continue;
        }
        // X-Y / X to Y / X到Y
        if let Some((a, na)) = amount(&toks, i) {
            let sep = toks.get(i + na);
            let is_sep = matches!(sep, Some(Tok::Dash))
                || matches!(word(sep), Some("to"))
                || matches!(sep, Some(Tok::Cjk(s)) if CJK_RANGE.contains(&s.as_str()));
            if is_sep && let Some((b, nb)) = amount(&toks, i + na + 1) {
                let n = na + 1 + nb;
                used[i..i + n].iter_mut().for_each(|u| *u = true);
                price_min = Some(a.min(b));
                price_max = Some(a.max(b));
                i += n;
                continue;
            }
        }
        if let Some(n) = max_phrase(&toks, i)
            && let Some((v, nv)) = amount(&toks, i + n)
        {
            used[i..i + n + nv].iter_mut().for_each(|u| *u = true);
            price_max = Some(v);
            i += n + nv;
            continue;
        }
        if let Some(n) = min_phrase(&toks, i)
            && let Some((v, nv)) = amount(&toks, i + n)
        {
            used[i..i + n + nv].iter_mut().for_each(|u| *u = true);
            price_min = Some(v);
            i += n + nv;
            continue;
        }
        if word(toks.get(i)).is_some_and(|w| CHEAP_WORDS.contains(&w)) {
            used[i] = true;
            cheap = true;
        }
        i += 1;
    }
    // Chinese: a number with a trigger word in the CJK runs around it.
    for i in 0..toks.len() {
        let Some(v) = num(toks.get(i)) else { continue };
        if used[i] {
            continue;
        }
        let before = match i.checked_sub(1).map(|j| &toks[j]) {
            Some(Tok::Cjk(s)) => Some(s.clone()),
            _ => None,
        };
        let after = match toks.get(i + 1) {
            Some(Tok::Cjk(s)) => Some(s.clone()),
            _ => None,
        };
        let mut hit = false;
        if let Some(b) = &before {
            if let Some(p) = CJK_MAX_BEFORE.iter().find(|p| b.ends_with(*p)) {
                price_max = Some(v);
                toks[i - 1] = Tok::Cjk(b[..b.len() - p.len()].to_owned());
                hit = true;
            } else if let Some(p) = CJK_MIN_BEFORE.iter().find(|p| b.ends_with(*p)) {
                price_min = Some(v);
                toks[i - 1] = Tok::Cjk(b[..b.len() - p.len()].to_owned());
                hit = true;
            }
        }
        if let Some(a) = &after {
            if let Some(p) = CJK_MAX_AFTER.iter().find(|p| a.starts_with(*p)) {
                price_max = Some(v);
                toks[i + 1] = Tok::Cjk(a[p.len()..].to_owned());
                hit = true;
            } else if let Some(p) = CJK_MIN_AFTER.iter().find(|p| a.starts_with(*p)) {
                price_min = Some(v);
                toks[i + 1] = Tok::Cjk(a[p.len()..].to_owned());
                hit = true;
            } else if hit && let Some(p) = CJK_CURRENCY.iter().find(|p| a.starts_with(*p)) {
                toks[i + 1] = Tok::Cjk(a[p.len()..].to_owned());
            }
        }
        if hit {
            used[i] = true;
        }
    }
    let mut words = Vec::new();
    for (t, u) in toks.iter().zip(&used) {
        if *u {
            continue;
        }
        match t {
            Tok::Word(w) => {
                if !CURRENCY_WORDS.contains(&w.as_str()) && !PRICE_WORDS.contains(&w.as_str()) {
                    words.push(w.clone());
                }
            }
            Tok::Cjk(s) => {
                let mut s = s.clone();
                for c in CJK_CHEAP {
                    if s.contains(c) {
                        cheap = true;
                        s = s.replace(c, " ");
                    }
                }
                words.extend(s.split_whitespace().map(str::to_owned));
            }
            Tok::Num(v) => words.push(format!("{v}")),
            Tok::Dash | Tok::Less | Tok::More => {}
        }
    }
    if let (Some(a), Some(b)) = (price_min, price_max)
        && a > b
    {
        price_min = Some(b);
        price_max = Some(a);
    }
    ParsedQuery {
        text: words.join(" "),
        words,
        price_min,
        price_max,
        cheap,
    }
}

/// The stems of a text as retrieval sees them, without function words.
fn stems(text: &str) -> Vec<String> {
    recur_retrieval::content_terms(text)
}

/// The catalog category the query names: the one whose name's words (the last segment of its
/// path counting most) the query covers best; ties go to the more specific path, then to the
/// first in order. Returns the category and the query stems it used.
pub(crate) fn match_category(
    query_stems: &[String],
    categories: &[String],
) -> Option<(String, Vec<String>)> {
    let mut best: Option<(usize, usize, usize, &String, Vec<String>)> = None;
    for c in categories {
        let segments: Vec<&str> = c.split(['>', '/', '|']).map(str::trim).collect();
        let last = segments.last().map(|s| stems(s)).unwrap_or_default();
        let all = stems(c);
        let used: Vec<String> = query_stems
            .iter()
            .filter(|s| all.contains(s))
            .cloned()
            .collect();
        if used.is_empty() {
            continue;
        }
        let in_last = query_stems.iter().filter(|s| last.contains(s)).count();
        let key = (in_last, used.len(), segments.len());
        if best.as_ref().is_none_or(|b| key > (b.0, b.1, b.2)) {
            best = Some((key.0, key.1, key.2, c, used));
        }
    }
    best.map(|(_, _, _, c, used)| (c.clone(), used))
}

/// The intent of `query` over a catalog with `categories` (`cheap_max`: the price "cheap"
/// means for the matched category, or for the catalog when none matched).
pub(crate) fn understand(
    parsed: &ParsedQuery,
    categories: &[String],
    cheap_max: impl Fn(Option<&str>) -> Option<f64>,
) -> SearchIntent {
    let query_stems = stems(&parsed.text);
    let matched = match_category(&query_stems, categories);
    let category_stems = matched.as_ref().map(|m| m.1.clone()).unwrap_or_default();
    let mut terms: Vec<String> = Vec::new();
    for w in &parsed.words {
        let s = stems(w);
        if s.is_empty() || s.iter().all(|x| category_stems.contains(x)) {
            continue;
        }
        if !terms.contains(w) {
            terms.push(w.clone());
        }
    }
    let category = matched.map(|m| m.0);
    let mut price_max = parsed.price_max;
    if parsed.cheap && price_max.is_none() {
        price_max = cheap_max(category.as_deref());
    }
    SearchIntent {
        category,
        price_min: parsed.price_min,
        price_max,
        cheap: parsed.cheap,
        terms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(q: &str) -> (Option<f64>, Option<f64>, String) {
        let r = parse_query(q);
        (r.price_min, r.price_max, r.text)
    }

    #[test]
    fn english_price_phrases() {
        assert_eq!(
            p("decaf coffee under 20"),
            (None, Some(20.0), "decaf coffee".into())
        );
        assert_eq!(p("tea below $30"), (None, Some(30.0), "tea".into()));
        assert_eq!(
            p("Tea less than 12.50 EUR"),
            (None, Some(12.5), "tea".into())
        );
        assert_eq!(
            p("kettle between 10 and 20"),
            (Some(10.0), Some(20.0), "kettle".into())
        );
        assert_eq!(
            p("kettle between 20 and 10"),
            (Some(10.0), Some(20.0), "kettle".into())
        );
        assert_eq!(
            p("kettle from $10 to $20"),
            (Some(10.0), Some(20.0), "kettle".into())
        );
        assert_eq!(
            p("headphones 50-100"),
            (Some(50.0), Some(100.0), "headphones".into())
        );
        assert_eq!(p("lamp over 40 dollars"), (Some(40.0), None, "lamp".into()));
        assert_eq!(p("lamp at least 40"), (Some(40.0), None, "lamp".into()));
        assert_eq!(p("up to 15 shampoo"), (None, Some(15.0), "shampoo".into()));
        assert_eq!(p("chair <100"), (None, Some(100.0), "chair".into()));
        assert_eq!(p("no more than 9 tea"), (None, Some(9.0), "tea".into()));
        assert_eq!(p("vitamin d"), (None, None, "vitamin d".into()));
        assert_eq!(p("omega 3"), (None, None, "omega 3".into()));
        assert!(parse_query("cheap espresso").cheap);
        assert_eq!(parse_query("cheap espresso").text, "espresso");
    }

    #[test]
    fn chinese_price_phrases() {
        assert_eq!(p("20元以下的咖啡").1, Some(20.0));
        assert_eq!(p("低于30的绿茶"), (None, Some(30.0), "的绿茶".into()));
        assert_eq!(p("100元以上耳机").0, Some(100.0));
        assert_eq!(p("10到20元的茶").0, Some(10.0));
        assert_eq!(p("10到20元的茶").1, Some(20.0));
        assert!(parse_query("便宜的咖啡豆").cheap);
        assert!(!parse_query("便宜的咖啡豆").text.contains("便宜"));
    }

    #[test]
    fn category_and_terms() {
        let cats = vec![
            "Grocery > Coffee".to_owned(),
            "Grocery > Tea".to_owned(),
            "Home > Kitchen".to_owned(),
        ];
        let i = understand(&parse_query("decaf coffee beans under 20"), &cats, |_| None);
        assert_eq!(i.category.as_deref(), Some("Grocery > Coffee"));
        assert_eq!(i.price_max, Some(20.0));
        assert_eq!(i.terms, vec!["decaf".to_owned(), "beans".to_owned()]);
        // "Cheap" is the lower third of the named category's prices.
        let i = understand(&parse_query("cheap kitchen"), &cats, |c| {
            assert_eq!(c, Some("Home > Kitchen"));
            Some(25.0)
        });
        assert_eq!(i.category.as_deref(), Some("Home > Kitchen"));
        assert_eq!(i.price_max, Some(25.0));
        assert!(i.terms.is_empty(), "{i:?}");
        // A query that names no category: the shop's lower third, the words as terms.
        let i = understand(&parse_query("a cheap kettle"), &cats, |c| {
            assert_eq!(c, None);
            Some(12.0)
        });
        assert_eq!(i.category, None);
        assert_eq!(i.price_max, Some(12.0));
        assert!(i.terms.contains(&"kettle".to_owned()), "{i:?}");
        let i = understand(&parse_query("running shoes"), &cats, |_| None);
        assert_eq!(i.category, None);
        assert_eq!(i.terms, vec!["running".to_owned(), "shoes".to_owned()]);
    }

    proptest! {
        #[test]
        fn never_panics(q in ".{0,80}") {
            let parsed = parse_query(&q);
            if let (Some(a), Some(b)) = (parsed.price_min, parsed.price_max) {
                prop_assert!(a <= b);
            }
            let _ = understand(&parsed, &["A > B".to_owned(), "咖啡".to_owned()], |_| Some(1.0));
        }

        #[test]
        fn never_panics_on_price_like_text(q in "[ a-z0-9$.,<>~元以下上到至低于高便宜-]{0,40}") {
            let _ = parse_query(&q);
        }
    }
}
