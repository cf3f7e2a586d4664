//! Ranking metrics and top-k selection.

/// Indices of the `k` highest scores, best first; ties go to the lower index. Entries that are
/// `NEG_INFINITY` or NaN are never returned, so callers exclude items by setting that score.
pub fn top_k(scores: &[f32], k: usize) -> Vec<u32> {
    if k == 0 {
        return Vec::new();
    }
    // One pass keeping the best k sorted (k is small next to the catalogue).
    let mut best: Vec<(f32, u32)> = Vec::with_capacity(k + 1);
    for (i, &s) in scores.iter().enumerate() {
        // NaN and -inf are skipped.
        if s.is_nan() || s == f32::NEG_INFINITY {
            continue;
        }
        if best.len() == k && s <= best[k - 1].0 {
            continue;
        }
        // Insert after every entry with a score >= s (earlier indices win ties).
        let at = best.partition_point(|&(b, _)| b >= s);
        best.insert(at, (s, i as u32));
        best.truncate(k);
    }
    best.into_iter().map(|(_, i)| i).collect()
}

/// NDCG@k of a ranked list against a set of relevant items (binary relevance).
pub fn ndcg_at_k(ranked: &[u32], relevant: &[u32], k: usize) -> f64 {
    if relevant.is_empty() {
        return 0.0;
    }
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, item)| relevant.contains(item))
        .map(|(rank, _)| 1.0 / (rank as f64 + 2.0).log2())
        .sum();
    let ideal: f64 = (0..relevant.len().min(k))
        .map(|rank| 1.0 / (rank as f64 + 2.0).log2())
        .sum();
    dcg / ideal
}

/// Whether any relevant item is in the top `k` (HR@k for one held-out item).
pub fn hit_at_k(ranked: &[u32], relevant: &[u32], k: usize) -> f64 {
    f64::from(u8::from(
        ranked.iter().take(k).any(|i| relevant.contains(i)),
    ))
}

/// Share of the relevant items found in the top `k`.
pub fn recall_at_k(ranked: &[u32], relevant: &[u32], k: usize) -> f64 {
    if relevant.is_empty() {
        return 0.0;
    }
    let found = ranked
        .iter()
        .take(k)
        .filter(|i| relevant.contains(i))
        .count();
    found as f64 / relevant.len() as f64
}

/// Sums of per-customer metrics at one cut-off.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct MetricSums {
    /// Customers counted.
    pub n: usize,
    /// Sum of NDCG@k.
    pub ndcg: f64,
    /// Sum of HR@k.
    pub hit: f64,
    /// Sum of Recall@k.
    pub recall: f64,
}

impl MetricSums {
    /// Adds one customer's ranked list.
    pub fn add(&mut self, ranked: &[u32], relevant: &[u32], k: usize) {
        self.n += 1;
        self.ndcg += ndcg_at_k(ranked, relevant, k);
        self.hit += hit_at_k(ranked, relevant, k);
        self.recall += recall_at_k(ranked, relevant, k);
    }

    /// Adds another partial sum.
    pub fn merge(&mut self, other: &MetricSums) {
        self.n += other.n;
        self.ndcg += other.ndcg;
        self.hit += other.hit;
        self.recall += other.recall;
    }

    /// Mean NDCG.
    pub fn ndcg(&self) -> f64 {
        self.ndcg / self.n.max(1) as f64
    }

    /// Mean hit rate.
    pub fn hit_rate(&self) -> f64 {
        self.hit / self.n.max(1) as f64
    }

    /// Mean recall.
    pub fn recall(&self) -> f64 {
        self.recall / self.n.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndcg_matches_hand_computed_values() {
        // One relevant item at rank 3 (0-based 2): 1/log2(4) = 0.5.
        assert!((ndcg_at_k(&[5, 6, 7, 8], &[7], 10) - 0.5).abs() < 1e-12);
        // At rank 1: 1.
        assert!((ndcg_at_k(&[7, 6], &[7], 10) - 1.0).abs() < 1e-12);
        // Outside the cut-off: 0.
        assert_eq!(ndcg_at_k(&[1, 2, 3], &[3], 2), 0.0);
        // Two relevant at ranks 1 and 3: (1 + 0.5) / (1 + 1/log2(3)).
        let want = 1.5 / (1.0 + 1.0 / 3f64.log2());
        assert!((ndcg_at_k(&[1, 2, 3], &[1, 3], 10) - want).abs() < 1e-12);
    }

    #[test]
    fn hit_and_recall_match_hand_computed_values() {
        assert_eq!(hit_at_k(&[1, 2, 3], &[3], 3), 1.0);
        assert_eq!(hit_at_k(&[1, 2, 3], &[3], 2), 0.0);
        assert!((recall_at_k(&[1, 2, 3], &[3, 4, 9, 1], 3) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn top_k_orders_breaks_ties_by_index_and_skips_excluded() {
        let s = [0.5, 2.0, f32::NEG_INFINITY, 2.0, 1.0];
        assert_eq!(top_k(&s, 3), vec![1, 3, 4]);
        assert_eq!(top_k(&s, 10), vec![1, 3, 4, 0]);
        assert!(top_k(&s, 0).is_empty());
    }
}
