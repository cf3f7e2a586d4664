//! A product's summary as bullets with citations: the template (its top aspects, each with a
//! quote it cites), the numbered quotes a writer may summarise and cite ([`summary_quotes`]:
//! the aspects' quotes, then the most negative and most positive reviews), and the validator
//! any written bullet must pass: every content word of the bullet occurs in the reviews it
//! cites (numbers, the template's own words and function words aside; negations are content).

use serde::Serialize;

use crate::aspects::{ProductReport, Review};
use crate::text::{Token, clean, mostly_chinese, normalise, tokens};

/// One bullet of a summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bullet {
    /// The bullet's text.
    pub text: String,
    /// Keys of the reviews it cites.
    pub citations: Vec<String>,
}

/// Words of the template itself, which need no citation.
const TEMPLATE_WORDS: &[&str] = &["mentions", "mention", "negative", "reviews", "e", "g"];

/// Words that carry no claim of their own, so a bullet may use them without a citation:
/// English function words and the words a summary frames quotes with ("customers say", "some
/// reviewers find", 顾客表示). Words of judgement (like, dislike, praise, complain) are not
/// among them, nor are negations (`not`, `never`, `don't`, 不): a bullet that judges or
/// denies must cite a review that does.
const FRAME_WORDS: &[&str] = &[
    "the",
    "and",
    "but",
    "for",
    "with",
    "this",
    "that",
    "these",
    "those",
    "they",
    "their",
    "them",
    "its",
    "it's",
    "are",
    "was",
    "were",
    "has",
    "have",
    "had",
    "been",
    "being",
    "also",
    "very",
    "some",
    "many",
    "most",
    "several",
    "few",
    "other",
    "others",
    "which",
    "who",
    "what",
    "when",
    "while",
    "than",
    "then",
    "from",
    "about",
    "into",
    "onto",
    "over",
    "after",
    "before",
    "both",
    "all",
    "any",
    "each",
    "one",
    "ones",
    "can",
    "could",
    "would",
    "will",
    "should",
    "may",
    "might",
    "does",
    "did",
    "get",
    "gets",
    "got",
    "there",
    "here",
    "such",
    "quite",
    "really",
    "overall",
    "though",
    "although",
    "however",
    "because",
    "customers",
    "customer",
    "reviewers",
    "reviewer",
    "buyers",
    "buyer",
    "users",
    "user",
    "people",
    "say",
    "says",
    "said",
    "saying",
    "find",
    "finds",
    "found",
    "report",
    "reports",
    "reported",
    "mention",
    "mentioned",
    "mentions",
    "note",
    "notes",
    "noted",
    "describe",
    "describes",
    "described",
    "feel",
    "feels",
    "felt",
    "think",
    "thinks",
    "product",
    "item",
    "顾客",
    "买家",
    "用户",
    "评论",
    "表示",
    "认为",
    "觉得",
    "提到",
    "反映",
    "一些",
    "很多",
    "部分",
    "其他",
    "产品",
    "商品",
    "这个",
    "这款",
    "他们",
    "但是",
    "而且",
    "以及",
    "还有",
    "因为",
    "所以",
];

/// A review quote numbered for a writer: the writer sees `number` and `text` and cites the
/// number; the review key stays with the engine.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceQuote {
    /// The number the writer cites (1, 2, ...).
    pub number: usize,
    /// The review's row key.
    pub review: String,
    /// The words shown: an aspect's clause, or the review's cleaned text (at most
    /// [`QUOTE_CHARS`] characters, cut at a word).
    pub text: String,
    /// Why it was picked: `aspect` (an aspect's quote), `negative` or `positive` (one of the
    /// lowest- or highest-starred reviews).
    pub kind: String,
    /// The aspect it is a quote of.
    pub aspect: Option<String>,
    /// Stars of the review, if any.
    pub stars: Option<i64>,
}

/// The most characters of a whole review shown as a quote.
pub const QUOTE_CHARS: usize = 240;

/// `text` cut to at most `max` characters, at the last space before the limit when there is
/// one (Chinese has none, so it is cut at the limit), with `…` when cut.
fn cut_at_word(text: &str, max: usize) -> String {
    let t = text.trim();
    if t.chars().count() <= max {
        return t.to_owned();
    }
    let end = t.char_indices().nth(max).map_or(t.len(), |(i, _)| i);
    let head = &t[..end];
    let head = match head.rfind(' ') {
        Some(i) if i > end / 2 => &head[..i],
        _ => head,
    };
    format!("{}…", head.trim_end())
}

/// The quotes a writer may summarise `product` from, numbered from 1, one per review (at most
/// `max`): first its aspects' quotes (most mentioned aspect first, each aspect's first quote
/// before anyone's second; at most `max - 2 * top` of them), then, from `reviews` (the product's; others are skipped), the
/// `top` lowest-starred (one or two stars) and the `top` highest-starred (four or five) reviews
/// with text, longer ones first among equal stars. Reviews without stars are picked only as
/// aspect quotes.
pub fn summary_quotes(
    product: &ProductReport,
    reviews: &[Review],
    top: usize,
    max: usize,
) -> Vec<SourceQuote> {
    let mut out: Vec<SourceQuote> = Vec::new();
    let stars_of = |key: &str| reviews.iter().find(|r| r.key == key).and_then(|r| r.stars);
    let push = |out: &mut Vec<SourceQuote>, q: SourceQuote| {
        if out.len() < max && !out.iter().any(|o| o.review == q.review) && !q.text.is_empty() {
            out.push(SourceQuote {
                number: out.len() + 1,
                ..q
            });
        }
    };
    // Room is left for the whole reviews.
    let aspect_room = max.saturating_sub(2 * top);
    let rounds = product
        .aspects
        .iter()
        .map(|a| a.examples.len())
        .max()
        .unwrap_or(0);
    for round in 0..rounds {
        for a in &product.aspects {
            if out.len() >= aspect_room {
                break;
            }
            if let Some(q) = a.examples.get(round) {
                push(
                    &mut out,
                    SourceQuote {
                        number: 0,
                        review: q.review.clone(),
                        text: cut_at_word(&q.text, QUOTE_CHARS),
                        kind: "aspect".into(),
                        aspect: Some(a.aspect.clone()),
                        stars: stars_of(&q.review),
                    },
                );
            }
        }
    }
    let mut own: Vec<(&Review, i64, usize)> = reviews
        .iter()
        .filter(|r| r.product_id == product.product_id)
        .filter_map(|r| {
            let len = clean(&r.text).trim().chars().count();
            Some((r, r.stars?, len)).filter(|_| len > 0)
        })
        .collect();
    // Longer first (up to the quote's room), then by key for a stable order.
    let by_length = |a: &(&Review, i64, usize), b: &(&Review, i64, usize)| {
        b.2.min(QUOTE_CHARS)
            .cmp(&a.2.min(QUOTE_CHARS))
            .then_with(|| a.0.key.cmp(&b.0.key))
    };
    own.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| by_length(a, b)));
    let negatives: Vec<_> = own.iter().filter(|r| r.1 <= 2).take(top).copied().collect();
    own.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| by_length(a, b)));
    let positives: Vec<_> = own.iter().filter(|r| r.1 >= 4).take(top).copied().collect();
    for (kind, picked) in [("negative", negatives), ("positive", positives)] {
        for (r, stars, _) in picked {
            push(
                &mut out,
                SourceQuote {
                    number: 0,
                    review: r.key.clone(),
                    text: cut_at_word(&clean(&r.text), QUOTE_CHARS),
                    kind: kind.into(),
                    aspect: None,
                    stars: Some(stars),
                },
            );
        }
    }
    out
}

/// Whether most of the texts with letters are mostly Chinese (the language a summary of them is
/// written in).
pub fn mostly_chinese_texts<'a>(texts: impl IntoIterator<Item = &'a str>) -> bool {
    let (mut zh, mut n) = (0usize, 0usize);
    for t in texts {
        if t.chars().any(char::is_alphabetic) {
            n += 1;
            zh += usize::from(mostly_chinese(t));
        }
    }
    n > 0 && zh * 2 > n
}

/// Bullets of the product's top `n` aspects: the aspect, its mentions and negative share, and
/// its first quote, citing that quote's review.
pub fn template_summary(product: &ProductReport, n: usize) -> Vec<Bullet> {
    product
        .aspects
        .iter()
        .take(n)
        .filter_map(|a| {
            let q = a.examples.first()?;
            Some(Bullet {
                text: format!(
                    "{}: {} mentions, {:.0}% negative, e.g. \"{}\"",
                    a.aspect,
                    a.mentions,
                    100.0 * a.negative_share,
                    q.text
                ),
                citations: vec![q.review.clone()],
            })
        })
        .collect()
}

/// The content words of `text`, once each in order of appearance: Latin words of three letters
/// or more and Chinese words of two characters or more, neither numbers, the template's own
/// words nor function words.
pub fn content_words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    tokens(&normalise(text), |t| {
        let w = match t {
            Token::Word(w) if w.chars().count() >= 3 && !w.chars().all(|c| c.is_ascii_digit()) => w,
            Token::Han(w) if w.chars().count() >= 2 => w,
            _ => return,
        };
        if !TEMPLATE_WORDS.contains(&w) && !FRAME_WORDS.contains(&w) && !out.iter().any(|m| m == w)
        {
            out.push(w.to_owned());
        }
    });
    out
}

/// Checks a bullet against the texts of the reviews it cites: `Err` lists its content words
/// (see [`content_words`]) found in none of them. A bullet that cites nothing fails with its
/// every content word.
pub fn validate_bullet(bullet: &Bullet, cited_texts: &[&str]) -> Result<(), Vec<String>> {
    let cited: Vec<String> = cited_texts.iter().map(|t| normalise(t)).collect();
    let missing: Vec<String> = content_words(&bullet.text)
        .into_iter()
        .filter(|w| !cited.iter().any(|c| c.contains(w.as_str())))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validator_rejects_unsupported_words() {
        let b = Bullet {
            text: "pump: 3 mentions, 67% negative, e.g. \"the pump broke\"".into(),
            citations: vec!["i1:2".into()],
        };
        assert_eq!(
            validate_bullet(&b, &["Sadly the pump broke after a week"]),
            Ok(())
        );
        let bad = Bullet {
            text: "the pump is waterproof".into(),
            citations: vec!["i1:2".into()],
        };
        assert_eq!(
            validate_bullet(&bad, &["the pump broke"]),
            Err(vec!["waterproof".to_owned()])
        );
        let zh = Bullet {
            text: "物流很慢".into(),
            citations: vec![],
        };
        assert!(validate_bullet(&zh, &[]).is_err());
        assert!(validate_bullet(&zh, &["这次物流很慢"]).is_ok());
    }

    #[test]
    fn frame_words_need_no_citation_but_negations_and_judgements_do() {
        let b = |text: &str| Bullet {
            text: text.into(),
            citations: vec!["i1:2".into()],
        };
        let cited = ["The pump broke after a week and the smell is strong."];
        assert_eq!(
            validate_bullet(
                &b("Some customers say the pump broke after a week."),
                &cited
            ),
            Ok(())
        );
        assert_eq!(
            validate_bullet(&b("The smell is not strong."), &cited),
            Err(vec!["not".to_owned()])
        );
        assert_eq!(
            validate_bullet(&b("Customers dislike the smell."), &cited),
            Err(vec!["dislike".to_owned()])
        );
        assert!(validate_bullet(&b("顾客表示物流很慢"), &["物流很慢，包装还行"]).is_ok());
        assert!(validate_bullet(&b("顾客表示物流很快"), &["物流很慢，包装还行"]).is_err());
        assert_eq!(
            content_words("Customers say the pump broke, the PUMP! 3 times"),
            ["pump", "broke", "times"]
        );
    }

    fn review(key: &str, stars: Option<i64>, text: &str) -> Review {
        Review {
            key: key.into(),
            product_id: "p1".into(),
            category: None,
            month: None,
            stars,
            text: text.into(),
        }
    }

    fn report(aspects: &[(&str, &[(&str, &str)])]) -> ProductReport {
        ProductReport {
            product_id: "p1".into(),
            category: None,
            reviews: 6,
            negative_share: 0.5,
            star_negative_share: None,
            mean_stars: None,
            aspects: aspects
                .iter()
                .map(|(name, quotes)| crate::aspects::AspectReport {
                    aspect: (*name).into(),
                    mentions: quotes.len(),
                    negative_share: 0.5,
                    trend: Vec::new(),
                    examples: quotes
                        .iter()
                        .map(|(k, t)| crate::aspects::Quote {
                            review: (*k).into(),
                            text: (*t).into(),
                            polarity: crate::model::Polarity::Negative,
                        })
                        .collect(),
                })
                .collect(),
            held_back: false,
            held_back_reason: None,
        }
    }

    #[test]
    fn quotes_are_numbered_once_per_review_aspects_first() {
        let p = report(&[
            ("pump", &[("r1", "the pump broke"), ("r2", "pump is stiff")]),
            ("smell", &[("r1", "smell is nice"), ("r3", "lovely smell")]),
        ]);
        let mut reviews = vec![
            review("r1", Some(1), "the pump broke, smell is nice"),
            review("r2", Some(2), "pump is stiff"),
            review("r3", Some(5), "lovely smell"),
            review("r4", Some(1), "arrived leaking everywhere, a real mess"),
            review(
                "r5",
                Some(5),
                "best lotion I have bought, soft hands all day",
            ),
            review("r6", None, "no stars here at all"),
            review("r7", Some(5), ""),
        ];
        let mut other = review("x1", Some(1), "another product entirely");
        other.product_id = "p2".into();
        reviews.push(other);
        let q = summary_quotes(&p, &reviews, 2, 10);
        let keys: Vec<&str> = q.iter().map(|q| q.review.as_str()).collect();
        // Round one: pump's r1 (smell's r1 is a repeat); round two: pump's r2, smell's r3;
        // then the lowest starred (r1, r2 taken; r4) and the highest (r3 taken; r5).
        assert_eq!(keys, ["r1", "r2", "r3", "r4", "r5"]);
        assert_eq!(
            q.iter().map(|q| q.number).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
        assert_eq!(q[0].aspect.as_deref(), Some("pump"));
        assert_eq!(q[3].kind, "negative");
        assert_eq!(q[4].kind, "positive");
        assert_eq!(q[4].stars, Some(5));
        assert_eq!(summary_quotes(&p, &reviews, 2, 3).len(), 3);
        let long = review("r9", Some(1), &"word ".repeat(100));
        let q = summary_quotes(&report(&[]), &[long], 1, 5);
        assert!(q[0].text.chars().count() <= QUOTE_CHARS + 1 && q[0].text.ends_with('…'));
    }

    #[test]
    fn the_language_is_the_one_most_reviews_are_in() {
        assert!(mostly_chinese_texts(["物流很慢", "质量很好 good", "ok"]));
        assert!(!mostly_chinese_texts(["物流很慢", "great", "ok", ""]));
        assert!(!mostly_chinese_texts(["", "123"]));
    }
}
