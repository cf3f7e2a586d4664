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
        // Non-negative finite floats order like their bit patterns: sort the triples and
        // count the runs.
        let mut keys: Vec<(u64, u64, u64)> = data
            .iter()
            .map(|c| (c.frequency.to_bits(), c.recency.to_bits(), c.t.to_bits()))
            .collect();
        keys.sort_unstable();
        let mut counts: Vec<((u64, u64, u64), f64)> = Vec::new();
        for key in keys {
            match counts.last_mut() {
                Some((last, n)) if *last == key => *n += 1.0,
                _ => counts.push((key, 1.0)),
            }
        }
        let mut xs: Vec<f64> = Vec::new();
        let mut g = Grouped {
            xs: Vec::new(),
            xi: Vec::with_capacity(counts.len()),
            tx: Vec::with_capacity(counts.len()),
            t: Vec::with_capacity(counts.len()),
            times: Vec::new(),
            txi: Vec::new(),
            ti: Vec::new(),
            w: Vec::with_capacity(counts.len()),
        };
        for ((x, tx, t), w) in counts {
            let x = f64::from_bits(x);
            if xs.last() != Some(&x) {
                xs.push(x);
            }
            g.xi.push((xs.len() - 1) as u32);
            g.tx.push(f64::from_bits(tx));
            g.t.push(f64::from_bits(t));
            g.w.push(w);
        }
        g.xs = xs;
        let mut times: Vec<u64> = g.tx.iter().chain(&g.t).map(|v| v.to_bits()).collect();
        times.sort_unstable();
        times.dedup();
        let index = |v: &f64| times.binary_search(&v.to_bits()).unwrap_or_default() as u32;
        g.txi = g.tx.iter().map(index).collect();
        g.ti = g.t.iter().map(index).collect();
        g.times = times.into_iter().map(f64::from_bits).collect();
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
