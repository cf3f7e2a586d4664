//! Estimates with confidence intervals: differences in means (randomised experiments) and
//! percentile bootstrap intervals.

use recur_core::Interval;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

/// A point estimate with a two-sided confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// The estimate.
    pub estimate: f64,
    /// Lower bound.
    pub ci_low: f64,
    /// Upper bound.
    pub ci_high: f64,
}

/// Treatment vs control comparison of one outcome.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Effect {
    /// Mean outcome among the treated.
    pub treated_mean: f64,
    /// Mean outcome in the control group.
    pub control_mean: f64,
    /// Treated minus control.
    pub effect: f64,
    /// Standard error of the difference (unpooled: sqrt(s1^2/n1 + s0^2/n0)).
    pub std_error: f64,
    /// Lower bound of the confidence interval.
    pub ci_low: f64,
    /// Upper bound of the confidence interval.
    pub ci_high: f64,
    /// Treated customers.
    pub treated: usize,
    /// Control customers.
    pub control: usize,
}

/// The two-sided standard-normal quantile for `confidence` (0.95 → 1.959964).
pub fn z_value(confidence: f64) -> f64 {
    let p = 1.0 - (1.0 - confidence) / 2.0;
    Normal::standard().inverse_cdf(p)
}

fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = if x.len() > 1 {
        x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var)
}

impl Effect {
    /// The effect with its confidence interval.
    pub fn interval(&self) -> Interval {
        Interval::new(self.effect, self.ci_low, self.ci_high)
    }
}

/// Difference in means of a randomised experiment with a normal-approximation (Welch, unpooled
/// variance) confidence interval. Both groups need at least two customers.
pub fn mean_difference(treated: &[f64], control: &[f64], confidence: f64) -> Option<Effect> {
    if treated.len() < 2 || control.len() < 2 {
        return None;
    }
    let (m1, v1) = mean_var(treated);
    let (m0, v0) = mean_var(control);
    let se = (v1 / treated.len() as f64 + v0 / control.len() as f64).sqrt();
    let z = z_value(confidence);
    let effect = m1 - m0;
    Some(Effect {
        treated_mean: m1,
        control_mean: m0,
        effect,
        std_error: se,
        ci_low: effect - z * se,
        ci_high: effect + z * se,
        treated: treated.len(),
        control: control.len(),
    })
}

/// Percentile interval of bootstrap replicates around `estimate`.
pub fn percentile_interval(estimate: f64, mut replicates: Vec<f64>, confidence: f64) -> Estimate {
    replicates.retain(|v| v.is_finite());
    if replicates.is_empty() {
        return Estimate {
            estimate,
            ci_low: f64::NAN,
            ci_high: f64::NAN,
        };
    }
    replicates.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0;
    let at = |q: f64| {
        let pos = q * (replicates.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        replicates[lo] + (replicates[hi] - replicates[lo]) * (pos - lo as f64)
    };
    Estimate {
        estimate,
        ci_low: at(tail),
        ci_high: at(1.0 - tail),
    }
}

/// SplitMix64: the seeded generator behind bootstrap resampling and splits.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform integer in 0..n (n > 0), by Lemire's multiply-shift.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles() {
        assert!((z_value(0.95) - 1.959_963_984_540_054).abs() < 1e-12);
        assert!((z_value(0.90) - 1.644_853_626_951_472_2).abs() < 1e-12);
        assert!((z_value(0.99) - 2.575_829_303_548_900_4).abs() < 1e-12);
    }

    #[test]
    fn difference_in_means_by_hand() {
        // Means 0.75 and 0.25, sample variances 0.25 each, n = 4 each:
        // SE = sqrt(0.25/4 + 0.25/4) = 0.353553, CI = 0.5 ± 1.959964 × 0.353553.
        let e = mean_difference(&[1.0, 0.0, 1.0, 1.0], &[0.0, 0.0, 1.0, 0.0], 0.95).unwrap();
        assert_eq!(e.effect, 0.5);
        assert!((e.std_error - 0.125f64.sqrt()).abs() < 1e-15);
        assert!((e.ci_low - (0.5 - 1.959_963_984_540_054 * 0.125f64.sqrt())).abs() < 1e-12);
        assert!((e.ci_high - (0.5 + 1.959_963_984_540_054 * 0.125f64.sqrt())).abs() < 1e-12);
        assert!(mean_difference(&[1.0], &[0.0, 1.0], 0.95).is_none());
    }

    #[test]
    fn percentile_interval_interpolates() {
        let reps: Vec<f64> = (0..=100).map(f64::from).collect();
        let e = percentile_interval(50.0, reps, 0.9);
        assert!((e.ci_low - 5.0).abs() < 1e-12 && (e.ci_high - 95.0).abs() < 1e-12);
    }

    #[test]
    fn rng_is_seeded_and_uniform_enough() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(a.next_u64(), b.next_u64());
        let mut counts = [0usize; 4];
        for _ in 0..40_000 {
            counts[a.below(4)] += 1;
        }
        assert!(
            counts.iter().all(|c| (9_500..10_500).contains(c)),
            "{counts:?}"
        );
    }
}
