//! Baselines every shop's model is compared with: global popularity, item co-occurrence k-NN,
//! personal purchase frequency (P-Pop) and TIFU-KNN (personal plus neighbours' frequency).

use std::collections::HashMap;

use recur_core::CustomerId;

use crate::data::Sequence;
use crate::error::Result;
use crate::recommender::Recommender;

fn popularity_counts(train: &[Sequence], vocab_len: usize) -> Vec<f32> {
    let mut counts = vec![0f32; vocab_len + 1];
    for s in train {
        for &i in &s.items {
            counts[i as usize] += 1.0;
        }
    }
    counts[0] = 0.0;
    counts
}

/// Popularity scaled so the most popular item scores `scale`: a tie-break (tiny scale) or a
/// fallback below personal counts (scale < 1).
fn scaled_popularity(train: &[Sequence], vocab_len: usize, scale: f32) -> Vec<f32> {
    let counts = popularity_counts(train, vocab_len);
    let max = counts.iter().copied().fold(1.0, f32::max);
    counts.iter().map(|c| scale * c / max).collect()
}

/// The most bought items overall.
#[derive(Debug, Clone)]
pub struct Popularity {
    counts: Vec<f32>,
}

impl Popularity {
    /// Counts every item in the training sequences.
    pub fn fit(train: &[Sequence], vocab_len: usize) -> Self {
        Self {
            counts: popularity_counts(train, vocab_len),
        }
    }
}

impl Recommender for Popularity {
    fn name(&self) -> &str {
        "popularity"
    }
    fn score_batch(&self, histories: &[&Sequence]) -> Result<Vec<Vec<f32>>> {
        Ok(histories.iter().map(|_| self.counts.clone()).collect())
    }
}

/// Items that appear near the customer's recent items in other customers' sequences.
#[derive(Debug, Clone)]
pub struct ItemKnn {
    /// Per item, its nearest items with cosine-normalised co-occurrence weights.
    neighbours: Vec<Vec<(u32, f32)>>,
    tie_break: Vec<f32>,
    recency_decay: f32,
    history_len: usize,
}

/// Settings of [`ItemKnn`].
#[derive(Debug, Clone, Copy)]
pub struct ItemKnnConfig {
    /// Co-occurrences count within this many positions of each other.
    pub window: usize,
    /// Neighbours kept per item.
    pub neighbours: usize,
    /// Weight of the history item `d` steps before the last: `decay^d`.
    pub recency_decay: f32,
    /// Most recent history items used.
    pub history_len: usize,
}

impl Default for ItemKnnConfig {
    fn default() -> Self {
        Self {
            window: 3,
            neighbours: 100,
            recency_decay: 0.7,
            history_len: 10,
        }
    }
}

impl ItemKnn {
    /// Counts co-occurrences within `window` positions (closer pairs weigh more).
    pub fn fit(train: &[Sequence], vocab_len: usize, cfg: ItemKnnConfig) -> Self {
        let counts = popularity_counts(train, vocab_len);
        let mut co: Vec<HashMap<u32, f32>> = vec![HashMap::new(); vocab_len + 1];
        for s in train {
            for (a, &i) in s.items.iter().enumerate() {
                let end = (a + cfg.window + 1).min(s.items.len());
                for (b, &j) in s.items.iter().enumerate().take(end).skip(a + 1) {
                    if i == j {
                        continue;
                    }
                    let w = 1.0 / (b - a) as f32;
                    *co[i as usize].entry(j).or_default() += w;
                    *co[j as usize].entry(i).or_default() += w;
                }
            }
        }
        let neighbours = co
            .into_iter()
            .enumerate()
            .map(|(i, row)| {
                let mut row: Vec<(u32, f32)> = row
                    .into_iter()
                    .map(|(j, w)| (j, w / (counts[i] * counts[j as usize]).sqrt().max(1.0)))
                    .collect();
                row.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                row.truncate(cfg.neighbours);
                row
            })
            .collect();
        Self {
            neighbours,
            tie_break: scaled_popularity(train, vocab_len, 1e-6),
            recency_decay: cfg.recency_decay,
            history_len: cfg.history_len,
        }
    }
}

impl ItemKnn {
    /// An item's nearest items with their similarity, most similar first (empty for an
    /// unknown item).
    pub fn neighbours_of(&self, item: u32) -> &[(u32, f32)] {
        self.neighbours
            .get(item as usize)
            .map_or(&[], Vec::as_slice)
    }
}

impl Recommender for ItemKnn {
    fn name(&self) -> &str {
        "item-knn"
    }
    fn score_batch(&self, histories: &[&Sequence]) -> Result<Vec<Vec<f32>>> {
        Ok(histories
            .iter()
            .map(|h| {
                let mut scores = self.tie_break.clone();
                let mut w = 1.0;
                for &i in h.items.iter().rev().take(self.history_len) {
                    if let Some(row) = self.neighbours.get(i as usize) {
                        for &(j, sim) in row {
                            scores[j as usize] += w * sim;
                        }
                    }
                    w *= self.recency_decay;
                }
                scores
            })
            .collect())
    }
}

/// The customer's own most frequent items, then global popularity.
#[derive(Debug, Clone)]
pub struct PersonalPopularity {
    tie_break: Vec<f32>,
}

impl PersonalPopularity {
    /// Global counts break ties among items the customer has not bought.
    pub fn fit(train: &[Sequence], vocab_len: usize) -> Self {
        Self {
            tie_break: scaled_popularity(train, vocab_len, 0.5),
        }
    }
}

impl Recommender for PersonalPopularity {
    fn name(&self) -> &str {
        "p-pop"
    }
    fn score_batch(&self, histories: &[&Sequence]) -> Result<Vec<Vec<f32>>> {
        Ok(histories
            .iter()
            .map(|h| {
                let mut scores = self.tie_break.clone();
                for &i in &h.items {
                    scores[i as usize] += 1.0;
                }
                scores
            })
            .collect())
    }
}

/// Settings of [`TifuKnn`] (Hu et al., "Modeling Personalized Item Frequency Information for
/// Next-basket Recommendation", SIGIR 2020); defaults are the paper's Ta-Feng values.
#[derive(Debug, Clone, Copy)]
pub struct TifuConfig {
    /// Baskets per time-decayed group.
    pub group_size: usize,
    /// Decay between baskets within a group.
    pub within_decay: f32,
    /// Decay between groups.
    pub group_decay: f32,
    /// Neighbours blended in.
    pub neighbours: usize,
    /// Weight of the customer's own vector (the rest goes to the neighbours).
    pub alpha: f32,
}

impl Default for TifuConfig {
    fn default() -> Self {
        Self {
            group_size: 7,
            within_decay: 0.9,
            group_decay: 0.7,
            neighbours: 300,
            alpha: 0.7,
        }
    }
}

type SparseVec = Vec<(u32, f32)>;

/// Time-decayed personal item frequency blended with that of the nearest customers (cosine).
#[derive(Debug, Clone)]
pub struct TifuKnn {
    cfg: TifuConfig,
    users: Vec<(CustomerId, SparseVec, f32)>,
    postings: Vec<Vec<(u32, f32)>>,
    tie_break: Vec<f32>,
}

impl TifuKnn {
    /// Builds every training customer's vector and an inverted index over them.
    pub fn fit(train: &[Sequence], vocab_len: usize, cfg: TifuConfig) -> Self {
        let mut postings: Vec<Vec<(u32, f32)>> = vec![Vec::new(); vocab_len + 1];
        let mut users = Vec::with_capacity(train.len());
        for s in train {
            let v = Self::user_vector(&cfg, s);
            let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
            for &(i, x) in &v {
                postings[i as usize].push((users.len() as u32, x));
            }
            users.push((s.customer.clone(), v, norm));
        }
        Self {
            cfg,
            users,
            postings,
            tie_break: scaled_popularity(train, vocab_len, 1e-6),
        }
    }

    fn user_vector(cfg: &TifuConfig, s: &Sequence) -> SparseVec {
        // Baskets as (start, end) ranges, oldest first.
        let mut baskets = Vec::new();
        let mut start = 0;
        for i in 1..=s.items.len() {
            if i == s.items.len() || s.baskets[i] != s.baskets[start] {
                baskets.push((start, i));
                start = i;
            }
        }
        let mut acc: HashMap<u32, f32> = HashMap::new();
        // Groups counted from the most recent basket backwards.
        let groups: Vec<&[(usize, usize)]> = baskets.rchunks(cfg.group_size.max(1)).collect();
        let n_groups = groups.len();
        for (g, group) in groups.iter().enumerate() {
            // g = 0 is the most recent group.
            let gw = cfg.group_decay.powi(g as i32) / n_groups as f32;
            let n = group.len();
            for (b, &(lo, hi)) in group.iter().enumerate() {
                let bw = cfg.within_decay.powi((n - 1 - b) as i32) / n as f32;
                // A basket vector is binary: an item listed twice in one basket counts once.
                let basket = &s.items[lo..hi];
                for (k, &item) in basket.iter().enumerate() {
                    if !basket[..k].contains(&item) {
                        *acc.entry(item).or_default() += gw * bw;
                    }
                }
            }
        }
        let mut v: SparseVec = acc.into_iter().collect();
        v.sort_unstable_by_key(|&(i, _)| i);
        v
    }
}

impl Recommender for TifuKnn {
    fn name(&self) -> &str {
        "tifu-knn"
    }
    fn score_batch(&self, histories: &[&Sequence]) -> Result<Vec<Vec<f32>>> {
        let mut dots = vec![0f32; self.users.len()];
        let mut touched: Vec<u32> = Vec::new();
        Ok(histories
            .iter()
            .map(|h| {
                let v = Self::user_vector(&self.cfg, h);
                let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt().max(1e-12);
                for &(i, x) in &v {
                    for &(u, y) in &self.postings[i as usize] {
                        if dots[u as usize] == 0.0 {
                            touched.push(u);
                        }
                        dots[u as usize] += x * y;
                    }
                }
                let mut sims: Vec<(u32, f32)> = touched
                    .drain(..)
                    .filter_map(|u| {
                        let d = std::mem::take(&mut dots[u as usize]);
                        let (id, _, un) = &self.users[u as usize];
                        (id != &h.customer).then(|| (u, d / (norm * un.max(1e-12))))
                    })
                    .collect();
                let k = self.cfg.neighbours.min(sims.len());
                if k > 0 && sims.len() > k {
                    sims.select_nth_unstable_by(k - 1, |a, b| {
                        b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
                    });
                    sims.truncate(k);
                }
                let mut scores = self.tie_break.clone();
                for &(i, x) in &v {
                    scores[i as usize] += self.cfg.alpha * x;
                }
                if k > 0 {
                    let w = (1.0 - self.cfg.alpha) / k as f32;
                    for &(u, _) in &sims {
                        for &(i, x) in &self.users[u as usize].1 {
                            scores[i as usize] += w * x;
                        }
                    }
                }
                scores
            })
            .collect())
    }
}
