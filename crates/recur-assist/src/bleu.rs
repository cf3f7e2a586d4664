//! Sentence BLEU (Papineni et al. 2002) over characters, the usual unit for Chinese: clipped
//! n-gram precisions for n = 1..4 with equal weights, the brevity penalty, and Chen & Cherry's
//! method 1 smoothing (an n-gram order with no match counts 0.1 matches instead of zeroing the
//! score), as `nltk.translate.bleu_score.sentence_bleu` with `SmoothingFunction().method1`.

use std::collections::HashMap;

fn ngrams(chars: &[char], n: usize) -> HashMap<&[char], usize> {
    let mut m = HashMap::new();
    if chars.len() >= n {
        for w in chars.windows(n) {
            *m.entry(w).or_insert(0) += 1;
        }
    }
    m
}

/// BLEU-4 of `candidate` against one `reference`, over non-space characters (0-1).
pub fn char_bleu(candidate: &str, reference: &str) -> f64 {
    let c: Vec<char> = candidate.chars().filter(|c| !c.is_whitespace()).collect();
    let r: Vec<char> = reference.chars().filter(|c| !c.is_whitespace()).collect();
    if c.is_empty() || r.is_empty() {
        return 0.0;
    }
    let mut log_sum = 0.0;
    for n in 1..=4 {
        let cand = ngrams(&c, n);
        let refs = ngrams(&r, n);
        let total: usize = cand.values().sum();
        if total == 0 {
            return 0.0;
        }
        let matched: usize = cand
            .iter()
            .map(|(g, k)| (*k).min(refs.get(g).copied().unwrap_or(0)))
            .sum();
        let p = if matched == 0 {
            0.1 / total as f64
        } else {
            matched as f64 / total as f64
        };
        log_sum += 0.25 * p.ln();
    }
    let bp = if c.len() > r.len() {
        1.0
    } else {
        (1.0 - r.len() as f64 / c.len() as f64).exp()
    };
    bp * log_sum.exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_is_one_and_disjoint_is_near_zero() {
        assert!(
            (char_bleu("好的，这边为您申请换货", "好的，这边为您申请换货") - 1.0).abs() < 1e-12
        );
        // Nothing matches: every order counts 0.1 matches (method 1), as nltk gives.
        let smoothed = (0.1_f64 / 4.0 * 0.1 / 3.0 * 0.1 / 2.0 * 0.1).powf(0.25);
        assert!((char_bleu("abcd", "wxyz") - smoothed).abs() < 1e-12);
        assert!(char_bleu("abcdefghijklmnopqrst", "uvwxyz0123456789ABCD") < 0.01);
        assert_eq!(char_bleu("", "x"), 0.0);
    }

    #[test]
    fn short_candidates_pay_the_brevity_penalty() {
        let full = char_bleu("请您提供一下订单号", "请您提供一下订单号");
        let short = char_bleu("请您提供", "请您提供一下订单号");
        assert!(short < full);
    }
}
