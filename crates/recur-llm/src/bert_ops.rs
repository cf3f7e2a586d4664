//! Element-wise kernels and attention for the packed CPU BERT encoder (`crate::bert`).
//!
//! The default build targets baseline x86-64 (SSE2), where candle's element-wise operations run
//! one value at a time (its GELU's scalar `erf` alone took 8 % of an embedding run). Here each
//! kernel is plain loops that the compiler vectorises for the instruction set `pulp` finds at
//! run time (AVX2/FMA, NEON), with `exp` and `erf` as branch-free polynomials so that those
//! loops vectorise too. Rows (or sequences, for attention) are split across candle's worker
//! threads.

use std::ops::Range;
use std::sync::Mutex;

/// Accumulator lanes for sums (enough for two AVX2 registers; the compiler keeps them there).
const LANES: usize = 16;

/// Rows per work item when rows are split across threads.
const CHUNK_ROWS: usize = 16;

/// Runs `f(first_row, rows)` over chunks of `out` (rows of `width` values) on candle's threads.
pub(crate) fn par_rows(out: &mut [f32], width: usize, f: impl Fn(usize, &mut [f32]) + Sync) {
    let slots: Vec<Mutex<&mut [f32]>> =
        out.chunks_mut(CHUNK_ROWS * width).map(Mutex::new).collect();
    candle_core::utils::barrier_pool().execute_chunked(slots.len(), |items: Range<usize>| {
        for c in items {
            let mut rows = slots[c].lock().unwrap_or_else(|e| e.into_inner());
            f(c * CHUNK_ROWS, &mut rows);
        }
    });
}

/// `exp(x)` to about 2 ulp for `x` in the f32 range (Cephes' `expf` polynomial), without
/// branches or library calls so that loops over it vectorise.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let n = (x * std::f32::consts::LOG2_E + 0.5).floor();
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let mut p = 1.987_569_1e-4f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 0.166_666_65;
    p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    // 2^n from the bits of n + 127 + 1.5 * 2^23, whose low mantissa bits hold the integer
    // n + 127 (in 1..=254 after the clamp): unlike a float-to-int cast, this vectorises.
    let biased = (n + (127.0 + 12_582_912.0)).to_bits() << 23;
    e * f32::from_bits(biased)
}

/// `erf(x)` to 1.5e-7 (Abramowitz and Stegun 7.1.26), branch-free.
#[inline(always)]
fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_8 + t * (-1.453_152_1 + t * 1.061_405_4))));
    (1.0 - poly * exp(-a * a)).copysign(x)
}

/// Sum in [`LANES`] partial sums (vectorisable, unlike a sequential f32 sum).
#[inline(always)]
fn sum(x: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = x.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for (a, v) in acc.iter_mut().zip(c) {
            *a += v;
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Layer norm of `a + bias + res` per row into `out`, scaled by `w` and shifted by `b`: the
/// residual connection and the dense layer's bias folded into the norm's pass over the row.
pub(crate) struct AddNorm<'a> {
    pub a: &'a [f32],
    pub bias: &'a [f32],
    pub res: &'a [f32],
    pub w: &'a [f32],
    pub b: &'a [f32],
    pub eps: f32,
    pub out: &'a mut [f32],
}

impl pulp::WithSimd for AddNorm<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let n = self.w.len();
        let rows = self.out.chunks_exact_mut(n);
        for (o, (a, r)) in rows.zip(self.a.chunks_exact(n).zip(self.res.chunks_exact(n))) {
            for (((o, a), r), bias) in o.iter_mut().zip(a).zip(r).zip(self.bias) {
                *o = a + bias + r;
            }
            let mean = sum(o) / n as f32;
            for v in o.iter_mut() {
                *v -= mean;
            }
            let mut acc = [0f32; LANES];
            for c in o.chunks_exact(LANES) {
                for (a, v) in acc.iter_mut().zip(c) {
                    *a += v * v;
                }
            }
            let tail: f32 = o
                .chunks_exact(LANES)
                .remainder()
                .iter()
                .map(|v| v * v)
                .sum();
            let var = (acc.iter().sum::<f32>() + tail) / n as f32;
            let inv = 1.0 / (var + self.eps).sqrt();
            for ((v, w), b) in o.iter_mut().zip(self.w).zip(self.b) {
                *v = *v * inv * w + b;
            }
        }
    }
}

/// `out = gelu(a + bias)` per row, with the exact (erf) GELU that BERT uses.
pub(crate) struct BiasGelu<'a> {
    pub a: &'a [f32],
    pub bias: &'a [f32],
    pub out: &'a mut [f32],
}

impl pulp::WithSimd for BiasGelu<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let n = self.bias.len();
        for (o, a) in self.out.chunks_exact_mut(n).zip(self.a.chunks_exact(n)) {
            for ((o, a), b) in o.iter_mut().zip(a).zip(self.bias) {
                let x = a + b;
                *o = 0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2));
            }
        }
    }
}

/// Self-attention within one sequence of packed rows: `qkv` holds, per token, the query, key
/// and value projections without their biases (`3 * heads * head_dim` values); `bias` holds
/// the three biases; `out` gets one row of `heads * head_dim` values per token. No mask is
/// needed because the sequence has no padding.
pub(crate) struct Attention<'a> {
    pub qkv: &'a [f32],
    pub bias: &'a [f32],
    pub heads: usize,
    pub head_dim: usize,
    pub out: &'a mut [f32],
    /// Scratch: the head's keys transposed (`head_dim x len`).
    pub kt: &'a mut Vec<f32>,
    /// Scratch: one query's scores (`len`).
    pub scores: &'a mut Vec<f32>,
}

impl pulp::WithSimd for Attention<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let Self {
            qkv,
            bias,
            heads,
            head_dim,
            out,
            kt,
            scores,
        } = self;
        let width = heads * head_dim;
        let row = 3 * width;
        let len = qkv.len() / row;
        let scale = 1.0 / (head_dim as f32).sqrt();
        kt.resize(head_dim * len, 0.0);
        scores.resize(len, 0.0);
        let mut q = vec![0f32; head_dim];
        for h in 0..heads {
            let (qo, ko, vo) = (h * head_dim, width + h * head_dim, 2 * width + h * head_dim);
            for (j, tok) in qkv.chunks_exact(row).enumerate() {
                for d in 0..head_dim {
                    kt[d * len + j] = tok[ko + d] + bias[ko + d];
                }
            }
            for (i, tok) in qkv.chunks_exact(row).enumerate() {
                for ((q, x), b) in q.iter_mut().zip(&tok[qo..qo + head_dim]).zip(&bias[qo..]) {
                    *q = (x + b) * scale;
                }
                scores.fill(0.0);
                for (qd, kd) in q.iter().zip(kt.chunks_exact(len)) {
                    for (s, k) in scores.iter_mut().zip(kd) {
                        *s = qd.mul_add(*k, *s);
                    }
                }
                let max = scores.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v));
                for s in scores.iter_mut() {
                    *s = exp(*s - max);
                }
                let inv = 1.0 / sum(scores);
                let o = &mut out[i * width + h * head_dim..][..head_dim];
                o.fill(0.0);
                for (p, tok) in scores.iter().zip(qkv.chunks_exact(row)) {
                    for (o, v) in o.iter_mut().zip(&tok[vo..vo + head_dim]) {
                        *o = p.mul_add(*v, *o);
                    }
                }
                // The probabilities sum to one, so the value bias adds once.
                for (o, b) in o.iter_mut().zip(&bias[vo..vo + head_dim]) {
                    *o = *o * inv + b;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_and_erf_match_the_library_functions() {
        for i in -2000..=2000 {
            let x = i as f32 * 0.04;
            let (have, want) = (exp(x), x.exp());
            assert!(
                (have - want).abs() <= 4e-7 * want,
                "exp({x}): {have} vs {want}"
            );
        }
        // erf from its series, in f64, on [-4, 4].
        for i in -400..=400 {
            let x = i as f64 * 0.01;
            let mut term = x;
            let mut want = x;
            for n in 1..200 {
                term *= -x * x / n as f64;
                want += term / (2 * n + 1) as f64;
            }
            want *= 2.0 / std::f64::consts::PI.sqrt();
            let have = erf(x as f32) as f64;
            assert!((have - want).abs() < 3e-7, "erf({x}): {have} vs {want}");
        }
    }
}
