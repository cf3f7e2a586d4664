//! Aspect candidates of a clause: nouns and noun compounds found in the text, not from a fixed
//! list. Chinese: jieba's part-of-speech tags (nouns, verbal nouns, two characters or more);
//! English: adjacent content words (no function word, common verb or adverb, polarity word,
//! `-ly` or `-ed` word), singular, as unigrams and bigrams.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::lexicon::{EN_NEGATIVE, EN_POSITIVE, EN_STOP, ZH_NEGATIVE, ZH_POSITIVE, ZH_STOP, words};
use crate::text::{Token, is_han, jieba, tokens};

struct Lists {
    en_skip: HashSet<&'static str>,
    zh_skip: HashSet<&'static str>,
}

fn lists() -> &'static Lists {
    static LISTS: OnceLock<Lists> = OnceLock::new();
    LISTS.get_or_init(|| Lists {
        en_skip: words(EN_STOP)
            .chain(words(EN_POSITIVE))
            .chain(words(EN_NEGATIVE))
            .collect(),
        zh_skip: words(ZH_STOP)
            .chain(words(ZH_POSITIVE))
            .chain(words(ZH_NEGATIVE))
            .collect(),
    })
}

/// A crude English singular: `batteries` → `battery`, `boxes` → `box`, `bottles` → `bottle`.
fn singular(w: &str) -> String {
    if let Some(stem) = w.strip_suffix("ies").filter(|s| s.len() >= 2) {
        return format!("{stem}y");
    }
    for end in ["ses", "xes", "ches", "shes"] {
        if w.ends_with(end) {
            return w[..w.len() - 2].to_owned();
        }
    }
    if w.len() > 3
        && w.ends_with('s')
        && !w.ends_with("ss")
        && !w.ends_with("us")
        && !w.ends_with("is")
    {
        return w[..w.len() - 1].to_owned();
    }
    w.to_owned()
}

fn english_content(w: &str) -> bool {
    w.len() >= 3
        && w.len() <= 24
        && w.chars().all(|c| c.is_ascii_alphabetic())
        && !w.ends_with("ly")
        && !w.ends_with("ed")
        && !lists().en_skip.contains(w)
}

/// Appends the aspect candidates of a normalised clause (duplicates removed by the caller).
pub(crate) fn candidates(clause: &str, out: &mut Vec<String>) {
    if clause.chars().any(is_han) {
        let tags = jieba().tag(clause, false);
        for (i, t) in tags.iter().enumerate() {
            let noun = matches!(t.tag, "n" | "nz" | "vn" | "ng" | "nt" | "an");
            // A verb that opens the clause as the topic of an adverb, adjective or one-character
            // verb (包装很好, 包装破了).
            let opens = i == 0 || tags[i - 1].tag == "c" || tags[i - 1].tag == "x";
            let topic = t.tag == "v"
                && opens
                && tags.get(i + 1).is_some_and(|n| {
                    n.tag.starts_with(['d', 'a', 'z'])
                        || (n.tag == "v" && n.word.chars().count() == 1)
                });
            if (noun || topic)
                && t.word.chars().count() >= 2
                && t.word.chars().all(is_han)
                && !lists().zh_skip.contains(t.word)
            {
                out.push(t.word.to_owned());
            }
        }
    }
    let mut previous: Option<String> = None;
    tokens(clause, |t| match t {
        Token::Word(w) if english_content(w) && english_content(&singular(w)) => {
            let s = singular(w);
            if let Some(p) = previous.take() {
                out.push(format!("{p} {s}"));
            }
            out.push(s.clone());
            previous = Some(s);
        }
        _ => previous = None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(s: &str) -> Vec<String> {
        let mut v = Vec::new();
        candidates(s, &mut v);
        v
    }

    #[test]
    fn english_nouns_and_compounds() {
        let v = of("the battery life is terrible and the bottles leaked");
        assert!(v.contains(&"battery life".to_owned()), "{v:?}");
        assert!(v.contains(&"battery".to_owned()));
        assert!(v.contains(&"bottle".to_owned()));
        assert!(
            !v.iter()
                .any(|t| t == "terrible" || t == "the" || t == "leaked")
        );
        assert_eq!(singular("batteries"), "battery");
        assert_eq!(singular("boxes"), "box");
        assert_eq!(singular("glass"), "glass");
    }

    #[test]
    fn chinese_nouns() {
        let v = of("包装很好，但是物流太慢了");
        assert!(
            v.contains(&"包装".to_owned()) && v.contains(&"物流".to_owned()),
            "{v:?}"
        );
        assert!(!v.iter().any(|t| t == "很" || t == "了"));
    }
}
