//! Text preparation shared by the classifier and the aspects: HTML entities and a byte-order
//! mark removed, full-width ASCII folded, lower case; tokens (jieba words for Chinese runs,
//! words for Latin runs, single symbols such as emoji and `!`); clauses.

use std::sync::OnceLock;

use jieba_rs::Jieba;

/// The shared jieba segmenter (its dictionary loads once per process).
pub(crate) fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

/// Whether `c` is a CJK ideograph.
pub(crate) fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0xF900..=0xFAFF)
}

/// Decodes the common HTML entities (named, decimal and hex), turns `<br>`-style tags into
/// spaces, drops a byte-order mark and folds full-width ASCII to ASCII; case is kept. This is
/// the text quotes are taken from.
pub fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find(['&', '<']) {
        push_folded(&mut out, &rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix('<') {
            // A tag: letters (or `/`) right after `<`, closed by `>` within 64 bytes.
            let is_tag = after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/');
            match after.find('>').filter(|&e| is_tag && e < 64) {
                Some(e) => {
                    out.push(' ');
                    rest = &tail[e + 2..];
                }
                None => {
                    out.push('<');
                    rest = &tail[1..];
                }
            }
            continue;
        }
        match tail[1..].find(';').filter(|&e| e > 0 && e <= 10) {
            Some(e) => match entity(&tail[1..=e]) {
                Some(c) => {
                    push_folded(&mut out, c.encode_utf8(&mut [0; 4]));
                    rest = &tail[e + 2..];
                }
                None => {
                    out.push('&');
                    rest = &tail[1..];
                }
            },
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    push_folded(&mut out, rest);
    out
}

fn push_folded(out: &mut String, s: &str) {
    for c in s.chars() {
        match c as u32 {
            0xFEFF | 0x200B => {}
            0xFF01..=0xFF5E => out.push(char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)),
            0x3000 | 0xA0 => out.push(' '),
            _ => out.push(c),
        }
    }
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "rsquo" | "lsquo" => '\'',
        "ldquo" | "rdquo" => '"',
        _ => return None,
    })
}

/// [`clean`] and lower case, with runs of white space made one space: what features see.
pub fn normalise(raw: &str) -> String {
    let cleaned = clean(raw);
    let mut out = String::with_capacity(cleaned.len());
    let mut space = true;
    for c in cleaned.chars().flat_map(char::to_lowercase) {
        if c.is_whitespace() {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Whether a text is mostly Chinese: at least a third of its letters are ideographs.
pub(crate) fn mostly_chinese(text: &str) -> bool {
    let (mut han, mut letters) = (0usize, 0usize);
    for c in text.chars() {
        if is_han(c) {
            han += 1;
            letters += 1;
        } else if c.is_alphabetic() {
            letters += 1;
        }
    }
    letters > 0 && han * 3 >= letters
}

/// A token of a normalised text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// A jieba word of a Chinese run.
    Han(&'a str),
    /// A Latin word or number (letters, digits, inner apostrophes).
    Word(&'a str),
    /// One symbol: emoji, `!`, `?` and other punctuation.
    Symbol(&'a str),
}

impl<'a> Token<'a> {
    /// The token's text.
    pub(crate) fn text(self) -> &'a str {
        match self {
            Token::Han(s) | Token::Word(s) | Token::Symbol(s) => s,
        }
    }
}

/// Splits a normalised text into tokens, calling `emit` for each in order.
pub(crate) fn tokens<'a>(text: &'a str, mut emit: impl FnMut(Token<'a>)) {
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if is_han(c) {
            let mut end = start;
            while let Some(&(i, c)) = chars.peek() {
                if !is_han(c) {
                    break;
                }
                end = i + c.len_utf8();
                chars.next();
            }
            for t in jieba().cut(&text[start..end], false) {
                emit(Token::Han(t.word));
            }
        } else if c.is_alphanumeric() {
            let mut end = start;
            while let Some(&(i, c)) = chars.peek() {
                let inner_apostrophe = c == '\'' && end > start;
                if (!c.is_alphanumeric() || is_han(c)) && !inner_apostrophe {
                    break;
                }
                end = i + c.len_utf8();
                chars.next();
            }
            let word = text[start..end].trim_end_matches('\'');
            emit(Token::Word(word));
        } else {
            chars.next();
            if !c.is_whitespace() && !c.is_control() && !matches!(c, '\u{fe0f}' | '\u{200d}') {
                emit(Token::Symbol(&text[start..start + c.len_utf8()]));
            }
        }
    }
}

/// Splits a cleaned text into clauses at sentence and clause punctuation and before
/// contrastive words ("but", "however", 但是, 可是, 不过); returns byte ranges of non-empty
/// clauses, trimmed.
pub(crate) fn clauses(text: &str) -> Vec<(usize, usize)> {
    let mut cuts = Vec::new();
    let mut start = 0;
    let starts_ascii = |here: &str, w: &str| {
        here.len() >= w.len() && here.as_bytes()[..w.len()].eq_ignore_ascii_case(w.as_bytes())
    };
    for (i, c) in text.char_indices() {
        if matches!(
            c,
            '.' | '!'
                | '?'
                | ';'
                | ','
                | '\n'
                | '。'
                | '！'
                | '？'
                | '；'
                | '，'
                | '、'
                | '…'
                | '~'
        ) {
            cuts.push((start, i));
            start = i + c.len_utf8();
        } else if i > start {
            let here = &text[i..];
            let contrast = ["但是", "可是", "不过"].iter().any(|w| here.starts_with(w))
                || [" but ", " however "].iter().any(|w| starts_ascii(here, w));
            if contrast {
                cuts.push((start, i));
                start = i;
            }
        }
    }
    cuts.push((start, text.len()));
    cuts.into_iter()
        .filter_map(|(a, b)| {
            let s = &text[a..b];
            let lead = s.len() - s.trim_start().len();
            let t = s.trim();
            (!t.is_empty()).then_some((a + lead, a + lead + t.len()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_entities_tags_and_bom() {
        assert_eq!(
            clean("\u{feff}Great &amp; cheap<br />really&#33; &#x1F600;"),
            "Great & cheap really! 😀"
        );
        assert_eq!(clean("a & b < c &bogus; &"), "a & b < c &bogus; &");
        assert_eq!(normalise("  ＡＢＣ１２３ \n\n Nice  "), "abc123 nice");
    }

    #[test]
    fn tokens_of_mixed_text() {
        let text = normalise("质量很好 but the bottle's cap broke!! 😀");
        let mut out = Vec::new();
        tokens(&text, |t| out.push(t));
        assert!(out.contains(&Token::Word("bottle's")));
        assert!(out.contains(&Token::Symbol("!")));
        assert!(out.contains(&Token::Symbol("😀")));
        assert!(out.iter().any(|t| matches!(t, Token::Han(_))));
        assert!(mostly_chinese("质量很好 ok"));
        assert!(!mostly_chinese("quality is good 好"));
        assert!(!mostly_chinese(""));
    }

    #[test]
    fn clauses_split_at_punctuation_and_contrast() {
        let text = "Smells great, but the pump broke. 包装很好但是物流太慢";
        let parts: Vec<&str> = clauses(text).iter().map(|&(a, b)| &text[a..b]).collect();
        assert_eq!(
            parts,
            [
                "Smells great",
                "but the pump broke",
                "包装很好",
                "但是物流太慢"
            ]
        );
        assert!(clauses("").is_empty());
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_safe(raw in "\\PC{0,200}") {
            let cleaned = clean(&raw);
            for (a, b) in clauses(&cleaned) {
                proptest::prop_assert!(a < b && cleaned.is_char_boundary(a) && cleaned.is_char_boundary(b));
                proptest::prop_assert_eq!(cleaned[a..b].trim(), &cleaned[a..b]);
            }
            let norm = normalise(&raw);
            proptest::prop_assert!(!norm.starts_with(' ') && !norm.ends_with(' ') && !norm.contains("  "));
            let mut n = 0;
            tokens(&norm, |t| { n += usize::from(!t.text().is_empty()); });
            proptest::prop_assert!(n <= norm.chars().count());
        }

        #[test]
        fn entities_round_trip(s in "[a-z &<>\"']{0,40}") {
            let escaped = s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
            proptest::prop_assert_eq!(clean(&escaped), s);
        }
    }
}
