//! Likelihood evaluation at scale: customers with the same (x, t_x, T) are one weighted group,
//! terms that depend only on x are computed once per distinct x, and groups are summed in
//! fixed-size chunks on scoped threads.
//!
//! The chunking is fixed (not tied to the number of threads) and chunk sums are added in
//! order, so a fit gives bit-identical results on any machine.

use crate::summary::CustomerSummary;

/// Groups per chunk: one unit of parallel work.
const CHUNK: usize = 2048;

/// Customers compressed to distinct (x, t_x, T) triples.
#[derive(Debug, Clone)]
pub(crate) struct Grouped {
    /// Distinct frequencies, ascending.
    pub xs: Vec<f64>,
    /// Per group: index into `xs`.
    pub xi: Vec<u32>,
    /// Per group: recency t_x.
    pub tx: Vec<f64>,
    /// Per group: T.
    pub t: Vec<f64>,
    /// Distinct values of t_x and T together, ascending (purchase dates fall on few days,
    /// so functions of alpha + t are computed once per distinct value).
    pub times: Vec<f64>,
    /// Per group: index of t_x in `times`.
    pub txi: Vec<u32>,
    /// Per group: index of T in `times`.
    pub ti: Vec<u32>,
    /// Per group: number of customers.
    pub w: Vec<f64>,
}

impl Grouped {
    pub(crate) fn new(data: &[CustomerSummary]) -> Grouped {
        // Distinct frequencies and times first (few: purchases fall on few days), then each
        // customer's triple as one integer of their ranks, sorted, and the runs counted.
        let (xs, x_rank) = Ranks::of(data.iter().map(|c| c.frequency));
        let (times, t_rank) = Ranks::of(data.iter().flat_map(|c| [c.recency, c.t]));
        let bits = |n: usize| usize::BITS - n.leading_zeros();
        let bt = bits(times.len());
        // Ranks are u32, so a key needs at most 96 bits. Keys sort like the (x, t_x, T)
        // triples, so the groups come in the same order on any machine.
        let mut keys: Vec<u128> = data
            .iter()
            .map(|c| {
                let x = u128::from(x_rank.rank(c.frequency));
                let tx = u128::from(t_rank.rank(c.recency));
                let t = u128::from(t_rank.rank(c.t));
                (x << (2 * bt)) | (tx << bt) | t
            })
            .collect();
        keys.sort_unstable();
        let mask = (1u128 << bt) - 1;
        let mut g = Grouped {
            xs,
            xi: Vec::new(),
            tx: Vec::new(),
            t: Vec::new(),
            times,
            txi: Vec::new(),
            ti: Vec::new(),
            w: Vec::new(),
        };
        let mut last = None;
        for key in keys {
            if last == Some(key) {
                if let Some(w) = g.w.last_mut() {
                    *w += 1.0;
                }
                continue;
            }
            last = Some(key);
            let (x, tx, t) = (key >> (2 * bt), (key >> bt) & mask, key & mask);
            g.xi.push(x as u32);
            g.txi.push(tx as u32);
            g.ti.push(t as u32);
            g.tx.push(g.times[tx as usize]);
            g.t.push(g.times[t as usize]);
            g.w.push(1.0);
        }
        g
    }

    /// `f` applied to every distinct time value.
    pub(crate) fn map_times(&self, f: impl Fn(f64) -> f64) -> Vec<f64> {
        self.times.iter().map(|&t| f(t)).collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.w.len()
    }

    /// Sums `f(range)` over fixed chunks of groups, on several threads when there are at
    /// least `min_parallel` groups (cheap terms need many groups to repay the thread start).
    /// `f` returns the chunk's log-likelihood and gradient contributions.
    pub(crate) fn sum<const K: usize>(
        &self,
        min_parallel: usize,
        f: impl Fn(std::ops::Range<usize>) -> (f64, [f64; K]) + Sync,
    ) -> (f64, [f64; K]) {
        let n = self.len();
        let chunks: Vec<std::ops::Range<usize>> = (0..n.div_ceil(CHUNK))
            .map(|i| i * CHUNK..((i + 1) * CHUNK).min(n))
            .collect();
        let threads = if n < min_parallel {
            1
        } else {
            std::thread::available_parallelism()
                .map_or(1, |t| t.get())
                .min(chunks.len())
        };
        let parts: Vec<(f64, [f64; K])> = if threads <= 1 {
            chunks.into_iter().map(&f).collect()
        } else {
            let f = &f;
            let per = chunks.len().div_ceil(threads);
            std::thread::scope(|s| {
                let handles: Vec<_> = chunks
                    .chunks(per)
                    .map(|mine| s.spawn(move || mine.iter().cloned().map(f).collect::<Vec<_>>()))
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().expect("likelihood worker panicked"))
                    .collect()
            })
        };
        let mut total = (0.0, [0.0; K]);
        for (v, g) in parts {
            total.0 += v;
            for (t, v) in total.1.iter_mut().zip(g) {
                *t += v;
            }
        }
        total
    }
}

/// Ascending distinct values of finite non-negative floats and a map from a value to its
/// rank among them.
struct Ranks(std::collections::HashMap<u64, u32, std::hash::BuildHasherDefault<MixHasher>>);

impl Ranks {
    fn of(values: impl Iterator<Item = f64>) -> (Vec<f64>, Ranks) {
        let mut seen: std::collections::HashMap<u64, u32, _> = Default::default();
        for v in values {
            seen.entry(v.to_bits()).or_insert(0);
        }
        // Non-negative finite floats order like their bit patterns.
        let mut distinct: Vec<u64> = seen.keys().copied().collect();
        distinct.sort_unstable();
        for (rank, v) in distinct.iter().enumerate() {
            seen.insert(*v, rank as u32);
        }
        (
            distinct.into_iter().map(f64::from_bits).collect(),
            Ranks(seen),
        )
    }

    fn rank(&self, v: f64) -> u32 {
        self.0.get(&v.to_bits()).copied().unwrap_or_default()
    }
}

/// A fast mixing hash for the 64-bit patterns of floats (the standard hasher is made to
/// resist adversarial keys, and costs most of the grouping here).
#[derive(Default)]
struct MixHasher(u64);

impl std::hash::Hasher for MixHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        // splitmix64's finaliser: every input bit reaches the low bits (the table's index) and
        // the high bits (its tags); float patterns differ mostly in their high bits.
        let mut z = self.0 ^ v;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        self.0 = z ^ (z >> 31);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_customers_share_a_group() {
        let data = [
            CustomerSummary::of(0.0, 0.0, 30.0),
            CustomerSummary::of(2.0, 5.0, 30.0),
            CustomerSummary::of(0.0, 0.0, 30.0),
            CustomerSummary::of(2.0, 5.0, 31.0),
        ];
        let g = Grouped::new(&data);
        assert_eq!(g.xs, vec![0.0, 2.0]);
        assert_eq!(g.len(), 3);
        assert_eq!(g.w, vec![2.0, 1.0, 1.0]);
        assert_eq!(g.xi, vec![0, 1, 1]);
        assert_eq!(g.times, vec![0.0, 5.0, 30.0, 31.0]);
        assert_eq!(
            (g.txi.clone(), g.ti.clone()),
            (vec![0, 1, 1], vec![2, 2, 3])
        );
        let (total, _) = g.sum::<0>(0, |r| (r.map(|i| g.w[i]).sum(), []));
        assert_eq!(total, 4.0);
    }

    #[test]
    fn chunked_sums_cover_every_group_once() {
        let data: Vec<CustomerSummary> = (0..10_000)
            .map(|i| {
                CustomerSummary::of(
                    f64::from(i % 7),
                    f64::from(i % 13),
                    20.0 + f64::from(i % 17),
                )
            })
            .collect();
        let g = Grouped::new(&data);
        let (customers, [groups]) = g.sum::<1>(0, |r| {
            let len = r.len() as f64;
            (r.map(|i| g.w[i]).sum(), [len])
        });
        assert_eq!(customers, 10_000.0);
        assert_eq!(groups, g.len() as f64);
    }
}
