//! Candle's worker threads, or the calling thread alone. When another process keeps a core
//! busy, a worker that loses its core stalls every operation at the pool's barrier and two
//! threads decode slower than one (measured: 29 tok/s against 111). The decode loop therefore
//! times both ways every [`PERIOD`] tokens and keeps the faster until the next probe.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Whether the 8-bit kernels run on the calling thread alone (set by the decode loop).
static SOLO: AtomicBool = AtomicBool::new(false);

/// Decode steps between two probes; each probe runs two steps each way, so a wrong way costs
/// at most 2 of these steps.
pub(crate) const PERIOD: u64 = 128;

/// Runs `f` over `0..n` in chunks on candle's threads, or inline when the decode loop found
/// the threads slower.
pub(crate) fn chunked<F: Fn(Range<usize>) + Sync>(n: usize, f: F) {
    let pool = candle_core::utils::barrier_pool();
    if n <= 1 || pool.n_workers() == 0 || SOLO.load(Ordering::Relaxed) {
        f(0..n);
    } else {
        pool.execute_chunked(n, f);
    }
}

/// The decode loop's choice between the pool and one thread, by timing both.
#[derive(Debug, Default)]
pub(crate) struct Adaptive {
    step: u64,
    pooled: Option<Duration>,
    alone: Option<Duration>,
    solo: bool,
}

impl Adaptive {
    /// Sets the way the next step runs: two steps with the pool and two alone at the start of
    /// each period, then the faster.
    pub(crate) fn begin(&self) {
        let solo = match self.step % PERIOD {
            0 | 1 => false,
            2 | 3 => true,
            _ => self.solo,
        };
        SOLO.store(solo, Ordering::Relaxed);
    }

    /// Records how long the step took.
    pub(crate) fn end(&mut self, took: Duration) {
        let keep_min = |slot: &mut Option<Duration>| {
            *slot = Some(slot.map_or(took, |t| t.min(took)));
        };
        match self.step % PERIOD {
            0 => {
                self.pooled = Some(took);
                self.alone = None;
            }
            1 => keep_min(&mut self.pooled),
            2 => self.alone = Some(took),
            3 => {
                keep_min(&mut self.alone);
                if let (Some(p), Some(a)) = (self.pooled, self.alone) {
                    self.solo = a < p;
                }
                SOLO.store(self.solo, Ordering::Relaxed);
            }
            _ => {}
        }
        self.step += 1;
    }

    /// Whether the steps between probes run alone.
    #[cfg(test)]
    fn solo(&self) -> bool {
        self.solo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_faster_way_wins_each_probe() {
        let ms = Duration::from_millis;
        let mut a = Adaptive::default();
        // Pool 10 ms, alone 4 ms (a busy machine): alone.
        for t in [10, 12, 4, 5] {
            a.begin();
            a.end(ms(t));
        }
        assert!(a.solo());
        for _ in 4..PERIOD {
            a.begin();
            a.end(ms(4));
        }
        // The machine is quiet again: pool 3 ms, alone 5 ms.
        for t in [3, 4, 5, 6] {
            a.begin();
            a.end(ms(t));
        }
        assert!(!a.solo());
        // Work still runs either way.
        let sum = std::sync::atomic::AtomicUsize::new(0);
        chunked(100, |r| {
            sum.fetch_add(r.len(), Ordering::Relaxed);
        });
        assert_eq!(sum.into_inner(), 100);
    }
}
