//! What the model reads of a search: a fixed, deterministic bag of the query's words and
//! character trigrams, hashed into [`QUERY_DIM`] signed buckets and scaled to unit length.
//! The model projects it with a learned linear layer (`query_proj`), so searches that share
//! words or spellings ("decaf coffee", "decaf") start close, and no language model has to be
//! loaded to train or to score.

/// Width of a query's hashed features.
pub const QUERY_DIM: usize = 512;

/// FNV-1a over the feature's kind and text.
fn hash(kind: u8, text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in std::iter::once(kind).chain(text.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The hashed features of one query (`QUERY_DIM` values, unit length; all zeros for a query
/// without letters or digits). Words are lower-cased runs of letters and digits; each word
/// and each character trigram of ` word ` adds one signed count.
pub fn query_features(text: &str) -> Vec<f32> {
    let mut out = vec![0f32; QUERY_DIM];
    let lower = text.to_lowercase();
    let mut add = |kind: u8, feature: &str| {
        let h = hash(kind, feature);
        let sign = if h >> 63 == 0 { 1.0 } else { -1.0 };
        out[(h % QUERY_DIM as u64) as usize] += sign;
    };
    for word in lower.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        add(b'w', word);
        let padded: Vec<char> = std::iter::once(' ')
            .chain(word.chars())
            .chain(std::iter::once(' '))
            .collect();
        for tri in padded.windows(3) {
            add(b'c', &tri.iter().collect::<String>());
        }
    }
    let norm = out.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        out.iter_mut().for_each(|v| *v /= norm);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn shared_words_make_queries_close_and_features_deterministic() {
        let decaf = query_features("Decaf coffee");
        assert_eq!(decaf, query_features("decaf  COFFEE!"));
        let near = cosine(&decaf, &query_features("decaf"));
        let far = cosine(&decaf, &query_features("dog food"));
        assert!(near > 0.5 && far.abs() < 0.3, "near {near}, far {far}");
        assert!((cosine(&decaf, &decaf) - 1.0).abs() < 1e-5);
        assert!(query_features("  ?! ").iter().all(|&v| v == 0.0));
        assert!(query_features("咖啡豆").iter().any(|&v| v != 0.0));
    }
}
