//! A product's summary as bullets with citations: the template (its top aspects, each with a
//! quote it cites) and the validator any written bullet must pass: every content word of the
//! bullet occurs in the reviews it cites (numbers and the template's own words aside).

use serde::Serialize;

use crate::aspects::ProductReport;
use crate::text::{Token, normalise, tokens};

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

/// Checks a bullet against the texts of the reviews it cites: `Err` lists the content words
/// (Latin words of three letters or more, Chinese words of two characters or more) found in
/// none of them. A bullet that cites nothing fails with its every content word.
pub fn validate_bullet(bullet: &Bullet, cited_texts: &[&str]) -> Result<(), Vec<String>> {
    let cited: Vec<String> = cited_texts.iter().map(|t| normalise(t)).collect();
    let mut missing = Vec::new();
    tokens(&normalise(&bullet.text), |t| {
        let w = match t {
            Token::Word(w) if w.chars().count() >= 3 && !w.chars().all(|c| c.is_ascii_digit()) => w,
            Token::Han(w) if w.chars().count() >= 2 => w,
            _ => return,
        };
        if TEMPLATE_WORDS.contains(&w) || cited.iter().any(|c| c.contains(w)) {
            return;
        }
        if !missing.iter().any(|m| m == w) {
            missing.push(w.to_owned());
        }
    });
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
}
