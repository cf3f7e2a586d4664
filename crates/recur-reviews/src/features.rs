//! Hashed features of a review: word unigrams and bigrams (jieba words for Chinese), and
//! character n-grams (1-3 for mostly Chinese texts, 2-4 otherwise), weighted by sublinear
//! term frequency times inverse document frequency, unit length.

use serde::{Deserialize, Serialize};

use crate::text::{Token, mostly_chinese, normalise, tokens};

/// How texts become features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSettings {
    /// Hash buckets as a power of two (20: about a million).
    pub buckets_log2: u32,
    /// Word bigrams beside unigrams.
    pub word_bigrams: bool,
    /// Character n-grams beside words.
    pub char_ngrams: bool,
}

impl Default for FeatureSettings {
    fn default() -> Self {
        Self {
            buckets_log2: 20,
            word_bigrams: true,
            char_ngrams: true,
        }
    }
}

impl FeatureSettings {
    /// Number of buckets.
    pub fn buckets(&self) -> usize {
        1 << self.buckets_log2
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = seed;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// A final mix so that nearby FNV values spread over the buckets.
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

/// Appends the bucket of every feature of the normalised `text` (repeats kept: they are the
/// term frequencies).
pub(crate) fn hash_features(text: &str, settings: &FeatureSettings, out: &mut Vec<u32>) {
    let mask = (settings.buckets() - 1) as u64;
    let push = |out: &mut Vec<u32>, h: u64| out.push((mix(h) & mask) as u32);
    let mut previous: Option<u64> = None;
    tokens(text, |t| {
        let kind: &[u8] = match t {
            Token::Han(_) | Token::Word(_) => b"w",
            Token::Symbol(_) => b"s",
        };
        let h = fnv(fnv(FNV_OFFSET, kind), t.text().as_bytes());
        push(out, h);
        if settings.word_bigrams {
            if let Some(p) = previous {
                push(out, fnv(p ^ 0x9e37_79b9_7f4a_7c15, t.text().as_bytes()));
            }
            previous = Some(h);
        }
    });
    if settings.char_ngrams {
        let (lo, hi) = if mostly_chinese(text) { (1, 3) } else { (2, 4) };
        let seed = fnv(FNV_OFFSET, b"c");
        // Each start's n-grams hashed incrementally, one character at a time.
        for (start, first) in text.char_indices() {
            let mut h = seed;
            for (n, c) in text[start..].chars().take(hi).enumerate() {
                h = fnv(h, c.encode_utf8(&mut [0; 4]).as_bytes());
                if n + 1 >= lo && !(n == 0 && first == ' ') {
                    push(out, h ^ (n + 1) as u64);
                }
            }
        }
    }
}

/// Sorted distinct buckets with their counts, from [`hash_features`]' output.
pub(crate) fn counts(buckets: &mut [u32]) -> Vec<(u32, u32)> {
    buckets.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(buckets.len());
    for &b in buckets.iter() {
        match out.last_mut() {
            Some((last, n)) if *last == b => *n += 1,
            _ => out.push((b, 1)),
        }
    }
    out
}

/// The raw features of one review: normalised, hashed, counted.
pub(crate) fn raw_features(text: &str, settings: &FeatureSettings) -> Vec<(u32, u32)> {
    let norm = normalise(text);
    let mut buckets = Vec::with_capacity(norm.len() * 3);
    hash_features(&norm, settings, &mut buckets);
    counts(&mut buckets)
}

/// Inverse document frequencies (smoothed: ln((1 + n) / (1 + df)) + 1) from raw features.
pub(crate) fn idf(docs: &[&Vec<(u32, u32)>], buckets: usize) -> Vec<f32> {
    let mut df = vec![0u32; buckets];
    for d in docs {
        for &(b, _) in d.iter() {
            df[b as usize] += 1;
        }
    }
    let n = docs.len() as f64;
    df.iter()
        .map(|&f| (((1.0 + n) / (1.0 + f64::from(f))).ln() + 1.0) as f32)
        .collect()
}

/// The sublinear term frequency times the inverse document frequency.
pub(crate) fn tf_idf(tf: u32, idf: f32) -> f32 {
    if tf == 1 {
        idf
    } else {
        (1.0 + (tf as f32).ln()) * idf
    }
}

/// Weighted, unit-length features: (1 + ln tf) · idf, divided by the Euclidean norm.
pub(crate) fn weigh(raw: &[(u32, u32)], idf: &[f32]) -> Vec<(u32, f32)> {
    let mut out: Vec<(u32, f32)> = raw
        .iter()
        .map(|&(b, tf)| (b, tf_idf(tf, idf[b as usize])))
        .collect();
    let norm = out.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, v) in &mut out {
            *v /= norm;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_stable_and_unit_length() {
        let s = FeatureSettings {
            buckets_log2: 16,
            ..FeatureSettings::default()
        };
        let a = raw_features("Great smell &amp; the bottle leaked 😀", &s);
        let b = raw_features("great   SMELL & the bottle leaked 😀", &s);
        assert_eq!(a, b);
        let zh = raw_features("质量很好，物流很快", &s);
        assert!(zh.len() > 10);
        let docs = [a.clone(), zh];
        let docs: Vec<&Vec<(u32, u32)>> = docs.iter().collect();
        let w = weigh(&a, &idf(&docs, s.buckets()));
        let norm: f32 = w.iter().map(|(_, v)| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-4);
        assert!(raw_features("", &s).is_empty());
        assert!(weigh(&[], &idf(&docs, s.buckets())).is_empty());
    }
}
