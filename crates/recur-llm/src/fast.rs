//! A lean path for decoding one token at a time with Llama-family models.
//!
//! Decoding is memory-bound: every weight is read once per token, and the arithmetic around the
//! matrix products is tiny. Through candle's tensor operations, per-operation overhead (about
//! 20 operations per layer, each allocating its output) and candle's one-row-at-a-time 8-bit
//! dot products took more than half of each token. Here the weights are 8-bit blocks of 32 with
//! f32 scales (the same values as GGUF's Q8_0, whose f16 scales candle converts on every use),
//! four rows share each load of the quantised activation, and norms, rotary embeddings,
//! attention over the KV cache, SiLU and residuals run in plain loops over reused buffers. The
//! kernels are compiled for AVX2/FMA or NEON at run time by `pulp` and split across candle's
//! worker threads.
//!
//! The activation is quantised exactly as candle's `BlockQ8_0::from_float` does (scale
//! rounded to f16), so each block's integer dot product equals candle's; only the order of
//! the f32 additions differs.

use std::ops::Range;
use std::sync::Mutex;

use candle_core::Device;
use candle_core::quantized::{GgmlDType, QTensor};
use half::f16;

use crate::error::Result;

/// Values per quantisation block.
pub(crate) const QK: usize = 32;

/// Four rows' blocks at one column block: their scales, then their 32 values each. A matrix is
/// stored group of four rows by group, column block by column block, so a product reads it as
/// one sequential stream.
#[derive(Clone, Copy)]
#[repr(C)]
struct Block4 {
    d: [f32; 4],
    qs: [[i8; QK]; 4],
}

/// A weight matrix of 8-bit blocks, `rows x cols`, one f32 scale per 32 values; rows are
/// padded with zeros to a multiple of four.
pub(crate) struct Q8Matrix {
    rows: usize,
    cols: usize,
    blocks: Vec<Block4>,
}

/// An activation vector quantised to 8-bit blocks.
#[derive(Default)]
pub(crate) struct Q8Vec {
    qs: Vec<[i8; QK]>,
    d: Vec<f32>,
}

impl Q8Vec {
    /// Quantises `x` (length a multiple of 32) as candle's `BlockQ8_0::from_float` does.
    pub(crate) fn quantize(&mut self, x: &[f32]) {
        let nb = x.len() / QK;
        self.qs.resize(nb, [0; QK]);
        self.d.resize(nb, 0.0);
        for (b, xs) in x.chunks_exact(QK).enumerate() {
            let amax = xs.iter().fold(0f32, |m, v| m.max(v.abs()));
            let d = amax / 127.0;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            self.d[b] = f16::from_f32(d).to_f32();
            for (q, v) in self.qs[b].iter_mut().zip(xs) {
                // Rounds half away from zero like `f32::round` (|v * id| <= 127), without the
                // libm call, so that the loop vectorises.
                let t = v * id;
                *q = (t + 0.5f32.copysign(t)) as i8;
            }
        }
    }
}

/// Several activation rows (a prompt's positions), each quantised to 8-bit blocks.
#[derive(Default)]
pub(crate) struct Q8Rows {
    rows: usize,
    qs: Vec<[i8; QK]>,
    d: Vec<f32>,
}

impl Q8Rows {
    /// Quantises the rows of `x` (`rows x cols`, row-major) as [`Q8Vec::quantize`] does.
    pub(crate) fn quantize(&mut self, x: &[f32], cols: usize) {
        let mut v = Q8Vec::default();
        self.rows = x.len() / cols;
        self.qs.clear();
        self.d.clear();
        for row in x.chunks_exact(cols) {
            v.quantize(row);
            self.qs.extend_from_slice(&v.qs);
            self.d.extend_from_slice(&v.d);
        }
    }
}

impl Q8Matrix {
    /// The matrix of a quantised tensor `[rows, cols]`: Q8_0 blocks are taken as they are
    /// (scales widened to f32); other formats are dequantised and quantised to 8 bits. None
    /// when the columns are not a multiple of 32.
    pub(crate) fn from_qtensor(t: &QTensor, device: &Device) -> Result<Option<Q8Matrix>> {
        let (rows, cols) = t.shape().dims2()?;
        if cols % QK != 0 {
            return Ok(None);
        }
        let nb = cols / QK;
        // Row-major blocks first: (scale, values) per row and column block.
        let mut row_blocks: Vec<(f32, [i8; QK])> = Vec::with_capacity(rows * nb);
        if t.dtype() == GgmlDType::Q8_0 {
            let data = t.data()?;
            // A Q8_0 block: f16 scale (little-endian), then 32 signed bytes.
            for block in data.chunks_exact(2 + QK) {
                let mut qs = [0i8; QK];
                for (q, &b) in qs.iter_mut().zip(&block[2..]) {
                    *q = b as i8;
                }
                row_blocks.push((f16::from_le_bytes([block[0], block[1]]).to_f32(), qs));
            }
        } else {
            let dense = t.dequantize(device)?.flatten_all()?.to_vec1::<f32>()?;
            let mut v = Q8Vec::default();
            for row in dense.chunks_exact(cols) {
                v.quantize(row);
                row_blocks.extend(v.d.iter().copied().zip(v.qs.iter().copied()));
            }
        }
        let groups = rows.div_ceil(4);
        let mut blocks = Vec::with_capacity(groups * nb);
        for g in 0..groups {
            for b in 0..nb {
                let mut blk = Block4 {
                    d: [0.0; 4],
                    qs: [[0; QK]; 4],
                };
                for i in 0..4 {
                    if let Some(&(d, qs)) = row_blocks
                        .get((g * 4 + i) * nb + b)
                        .filter(|_| g * 4 + i < rows)
                    {
                        blk.d[i] = d;
                        blk.qs[i] = qs;
                    }
                }
                blocks.push(blk);
            }
        }
        Ok(Some(Q8Matrix { rows, cols, blocks }))
    }

    /// Rows.
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// `out = self · x` for the quantised activation `x`, rows split across candle's threads.
    pub(crate) fn gemv(&self, x: &Q8Vec, out: &mut [f32]) {
        debug_assert_eq!(x.qs.len() * QK, self.cols);
        debug_assert_eq!(out.len(), self.rows);
        // Work items of 64 rows (16 groups); each writes only its own slice of `out`.
        const ROWS: usize = 64;
        let slots: Vec<Mutex<&mut [f32]>> = out.chunks_mut(ROWS).map(Mutex::new).collect();
        crate::threads::chunked(slots.len(), |items: Range<usize>| {
            for item in items {
                let mut slot = slots[item].lock().unwrap_or_else(|e| e.into_inner());
                let first_group = item * ROWS / 4;
                #[cfg(target_arch = "x86_64")]
                if let Some(simd) = pulp::x86::V3::try_new() {
                    pulp::Simd::vectorize(
                        simd,
                        GroupsAvx2 {
                            simd,
                            m: self,
                            x,
                            first_group,
                            out: &mut slot,
                        },
                    );
                    continue;
                }
                pulp::Arch::new().dispatch(GroupsKernel {
                    m: self,
                    x,
                    first_group,
                    out: &mut slot,
                });
            }
        });
    }

    /// `out[r][c] = self.row(c) · x.row(r)` for every activation row `r`, with `out` row-major
    /// `[x rows][self rows]`. The activation rows are split across candle's threads; each
    /// group of four weight rows is read once per chunk of activation rows.
    pub(crate) fn gemm(&self, x: &Q8Rows, out: &mut [f32]) {
        let m = x.rows;
        debug_assert_eq!(x.qs.len() * QK, m * self.cols);
        debug_assert_eq!(out.len(), m * self.rows);
        if m == 0 {
            return;
        }
        // Up to 8 chunks of an even number of rows (the kernel takes rows in pairs).
        let per_item = m.div_ceil(m.div_ceil(2).min(8)).next_multiple_of(2);
        let n = self.rows;
        let slots: Vec<Mutex<&mut [f32]>> = out.chunks_mut(per_item * n).map(Mutex::new).collect();
        crate::threads::chunked(slots.len(), |items: Range<usize>| {
            for item in items {
                let mut slot = slots[item].lock().unwrap_or_else(|e| e.into_inner());
                let first_row = item * per_item;
                #[cfg(target_arch = "x86_64")]
                if let Some(simd) = pulp::x86::V3::try_new() {
                    pulp::Simd::vectorize(
                        simd,
                        GemmAvx2 {
                            simd,
                            m: self,
                            x,
                            first_row,
                            out: &mut slot,
                        },
                    );
                    continue;
                }
                // Elsewhere: one activation row at a time through the portable kernel.
                let nb = self.cols / QK;
                let mut v = Q8Vec::default();
                for (k, row_out) in slot.chunks_mut(n).enumerate() {
                    let r = first_row + k;
                    v.qs.clear();
                    v.qs.extend_from_slice(&x.qs[r * nb..(r + 1) * nb]);
                    v.d.clear();
                    v.d.extend_from_slice(&x.d[r * nb..(r + 1) * nb]);
                    pulp::Arch::new().dispatch(GroupsKernel {
                        m: self,
                        x: &v,
                        first_group: 0,
                        out: row_out,
                    });
                }
            }
        });
    }

    /// The blocks of row group `g`.
    #[inline(always)]
    fn group(&self, g: usize) -> &[Block4] {
        let nb = self.cols / QK;
        &self.blocks[g * nb..(g + 1) * nb]
    }
}

/// Writes the rows of `out` (rows `4 * first_group ..`) from the groups they belong to.
#[inline(always)]
fn for_groups(first_group: usize, out: &mut [f32], mut group: impl FnMut(usize) -> [f32; 4]) {
    for (k, chunk) in out.chunks_mut(4).enumerate() {
        let r = group(first_group + k);
        chunk.copy_from_slice(&r[..chunk.len()]);
    }
}

/// The portable kernel: plain loops, vectorised by the compiler for the instruction set
/// `pulp` dispatches to.
struct GroupsKernel<'a> {
    m: &'a Q8Matrix,
    x: &'a Q8Vec,
    first_group: usize,
    out: &'a mut [f32],
}

impl pulp::WithSimd for GroupsKernel<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let Self {
            m,
            x,
            first_group,
            out,
        } = self;
        for_groups(first_group, out, |g| {
            let mut acc = [[0f32; 8]; 4];
            for (blk, (xq, xd)) in m.group(g).iter().zip(x.qs.iter().zip(&x.d)) {
                for (i, acc) in acc.iter_mut().enumerate() {
                    let s = dot_lanes(&blk.qs[i], xq);
                    let scale = blk.d[i] * xd;
                    for (a, v) in acc.iter_mut().zip(s) {
                        *a += v as f32 * scale;
                    }
                }
            }
            [hsum(&acc[0]), hsum(&acc[1]), hsum(&acc[2]), hsum(&acc[3])]
        });
    }
}

/// The AVX2 kernel (llama.cpp's Q8_0 dot product): per 32-value block, |x| times w with x's
/// signs in unsigned-by-signed byte pairs (`maddubs`), widened to 8 i32 lanes, scaled and
/// accumulated in f32 lanes; the four rows of a group share each activation block.
#[cfg(target_arch = "x86_64")]
struct GroupsAvx2<'a> {
    simd: pulp::x86::V3,
    m: &'a Q8Matrix,
    x: &'a Q8Vec,
    first_group: usize,
    out: &'a mut [f32],
}

#[cfg(target_arch = "x86_64")]
impl pulp::WithSimd for GroupsAvx2<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        use std::arch::x86_64::__m256i;
        let Self {
            simd,
            m,
            x,
            first_group,
            out,
        } = self;
        let ones = simd.avx._mm256_set1_epi16(1);
        for_groups(first_group, out, |g| {
            let mut acc = [simd.avx._mm256_setzero_ps(); 4];
            for (blk, (xq, xd)) in m.group(g).iter().zip(x.qs.iter().zip(&x.d)) {
                let xv: __m256i = pulp::cast(*xq);
                let ax = simd.avx2._mm256_sign_epi8(xv, xv);
                for (i, acc) in acc.iter_mut().enumerate() {
                    let w: __m256i = pulp::cast(blk.qs[i]);
                    let sy = simd.avx2._mm256_sign_epi8(w, xv);
                    let d16 = simd.avx2._mm256_maddubs_epi16(ax, sy);
                    let q = simd
                        .avx
                        ._mm256_cvtepi32_ps(simd.avx2._mm256_madd_epi16(d16, ones));
                    let scale = simd.avx._mm256_set1_ps(blk.d[i] * xd);
                    *acc = simd.fma._mm256_fmadd_ps(q, scale, *acc);
                }
            }
            acc.map(|a| hsum(&pulp::cast::<_, [f32; 8]>(a)))
        });
    }
}

/// The AVX2 kernel for several activation rows: four weight rows by two activation rows per
/// step, eight f32 accumulators.
#[cfg(target_arch = "x86_64")]
struct GemmAvx2<'a> {
    simd: pulp::x86::V3,
    m: &'a Q8Matrix,
    x: &'a Q8Rows,
    first_row: usize,
    /// `[activation row][weight row]` for this item's activation rows.
    out: &'a mut [f32],
}

#[cfg(target_arch = "x86_64")]
impl pulp::WithSimd for GemmAvx2<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        use std::arch::x86_64::__m256i;
        let Self {
            simd,
            m,
            x,
            first_row,
            out,
        } = self;
        let n = m.rows;
        let rows = out.len() / n;
        let nb = m.cols / QK;
        let ones = simd.avx._mm256_set1_epi16(1);
        for g in 0..n.div_ceil(4) {
            let group = m.group(g);
            let mut k = 0;
            while k < rows {
                // The second activation row repeats the first at an odd end (result unused).
                let k1 = if k + 1 < rows { k + 1 } else { k };
                let (r0, r1) = (first_row + k, first_row + k1);
                let mut acc = [[simd.avx._mm256_setzero_ps(); 2]; 4];
                for (b, blk) in group.iter().enumerate() {
                    let x0: __m256i = pulp::cast(x.qs[r0 * nb + b]);
                    let x1: __m256i = pulp::cast(x.qs[r1 * nb + b]);
                    let ax = [
                        simd.avx2._mm256_sign_epi8(x0, x0),
                        simd.avx2._mm256_sign_epi8(x1, x1),
                    ];
                    let xs = [x0, x1];
                    let xd = [x.d[r0 * nb + b], x.d[r1 * nb + b]];
                    for (i, acc) in acc.iter_mut().enumerate() {
                        let w: __m256i = pulp::cast(blk.qs[i]);
                        for j in 0..2 {
                            let sy = simd.avx2._mm256_sign_epi8(w, xs[j]);
                            let d16 = simd.avx2._mm256_maddubs_epi16(ax[j], sy);
                            let q = simd
                                .avx
                                ._mm256_cvtepi32_ps(simd.avx2._mm256_madd_epi16(d16, ones));
                            let scale = simd.avx._mm256_set1_ps(blk.d[i] * xd[j]);
                            acc[j] = simd.fma._mm256_fmadd_ps(q, scale, acc[j]);
                        }
                    }
                }
                for (i, acc) in acc.iter().enumerate() {
                    let c = g * 4 + i;
                    if c >= n {
                        break;
                    }
                    out[k * n + c] = hsum(&pulp::cast::<_, [f32; 8]>(acc[0]));
                    if k1 != k {
                        out[k1 * n + c] = hsum(&pulp::cast::<_, [f32; 8]>(acc[1]));
                    }
                }
                k += 2;
            }
        }
    }
}

/// Products of one block summed into 8 lanes (lane `l` holds elements `l, l+8, l+16, l+24`).
#[inline(always)]
fn dot_lanes(w: &[i8; QK], x: &[i8; QK]) -> [i32; 8] {
    let mut s = [0i32; 8];
    for c in 0..QK / 8 {
        for l in 0..8 {
            // Cannot overflow (32 products of at most 128²); wrapping keeps the loop free of
            // overflow checks so that it vectorises.
            s[l] = s[l].wrapping_add(i32::from(w[c * 8 + l]).wrapping_mul(i32::from(x[c * 8 + l])));
        }
    }
    s
}

#[inline(always)]
fn hsum(a: &[f32; 8]) -> f32 {
    ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]))
}

/// `x / sqrt(mean(x²) + eps) * w`, into `out`.
pub(crate) fn rms_norm(x: &[f32], w: &[f32], eps: f32, out: &mut [f32]) {
    let ms = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    let scale = (ms + eps).sqrt();
    for ((o, v), w) in out.iter_mut().zip(x).zip(w) {
        *o = v / scale * w;
    }
}

/// Rotary position embedding of one head in place: interleaved pairs `(2i, 2i+1)` (Llama) or
/// halves `(i, i + d/2)` (NeoX, Qwen2), with the position's `cos`/`sin` per pair.
pub(crate) fn rope(x: &mut [f32], cos: &[f32], sin: &[f32], neox: bool) {
    let half = x.len() / 2;
    if neox {
        for i in 0..half {
            let (a, b) = (x[i], x[i + half]);
            x[i] = a * cos[i] - b * sin[i];
            x[i + half] = a * sin[i] + b * cos[i];
        }
    } else {
        for i in 0..half {
            let (a, b) = (x[2 * i], x[2 * i + 1]);
            x[2 * i] = a * cos[i] - b * sin[i];
            x[2 * i + 1] = a * sin[i] + b * cos[i];
        }
    }
}

/// One layer's keys and values by position: `[position][kv head][head dim]`.
#[derive(Default)]
pub(crate) struct KvCache {
    pub(crate) k: Vec<f32>,
    pub(crate) v: Vec<f32>,
}

/// Attention of one query position over `len` cached positions: for each query head, scores
/// against its kv head's keys, softmax, weighted sum of values, into `out` (`[head][dim]`).
/// Heads are split across candle's threads once the context is long enough to pay for it.
pub(crate) fn attend(
    q: &[f32],
    cache: &KvCache,
    len: usize,
    heads: (usize, usize),
    head_dim: usize,
    out: &mut [f32],
) {
    let job = |h: usize, scores: &mut Vec<f32>, oh: &mut [f32]| {
        pulp::Arch::new().dispatch(AttendHead {
            q,
            cache,
            len,
            heads,
            head_dim,
            h,
            scores,
            out: oh,
        });
    };
    if len * heads.0 < 4096 {
        let mut scores = Vec::new();
        for (h, oh) in out.chunks_mut(head_dim).enumerate() {
            job(h, &mut scores, oh);
        }
        return;
    }
    let slots: Vec<Mutex<&mut [f32]>> = out.chunks_mut(head_dim).map(Mutex::new).collect();
    crate::threads::chunked(heads.0, |hs: Range<usize>| {
        let mut scores = Vec::new();
        for h in hs {
            let mut oh = slots[h].lock().unwrap_or_else(|e| e.into_inner());
            job(h, &mut scores, &mut oh);
        }
    });
}

/// One query head's attention, compiled for the instruction set found at run time.
struct AttendHead<'a> {
    q: &'a [f32],
    cache: &'a KvCache,
    len: usize,
    heads: (usize, usize),
    head_dim: usize,
    h: usize,
    scores: &'a mut Vec<f32>,
    out: &'a mut [f32],
}

impl pulp::WithSimd for AttendHead<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let Self {
            q,
            cache,
            len,
            heads: (n_head, n_kv_head),
            head_dim,
            h,
            scores,
            out,
        } = self;
        let rep = n_head / n_kv_head;
        let stride = n_kv_head * head_dim;
        let scale = (1.0 / (head_dim as f64).sqrt()) as f32;
        let kvh = h / rep;
        let qh = &q[h * head_dim..(h + 1) * head_dim];
        scores.resize(len, 0.0);
        for (j, s) in scores.iter_mut().enumerate() {
            let kj = &cache.k[j * stride + kvh * head_dim..][..head_dim];
            *s = dot_f32(qh, kj) * scale;
        }
        let max = scores.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v));
        let mut sum = 0f32;
        for s in scores.iter_mut() {
            *s = (*s - max).exp();
            sum += *s;
        }
        out.fill(0.0);
        let inv = 1.0 / sum;
        for (j, s) in scores.iter().enumerate() {
            let p = s * inv;
            let vj = &cache.v[j * stride + kvh * head_dim..][..head_dim];
            for (o, v) in out.iter_mut().zip(vj) {
                *o += p * v;
            }
        }
    }
}

/// Dot product in 8 lanes (vectorisable; lanes summed at the end).
#[inline(always)]
fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    hsum(&acc) + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Tensor;

    #[test]
    fn gemv_matches_candles_quantised_matmul() {
        let device = Device::Cpu;
        let (rows, cols) = (70, 96);
        let w: Vec<f32> = (0..rows * cols)
            .map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * 0.3)
            .collect();
        let x: Vec<f32> = (0..cols).map(|i| (i as f32 * 0.37).sin()).collect();
        let wt = Tensor::from_vec(w, (rows, cols), &device).unwrap();
        let qt = QTensor::quantize(&wt, GgmlDType::Q8_0).unwrap();
        let m = Q8Matrix::from_qtensor(&qt, &device).unwrap().unwrap();
        let expected = candle_core::quantized::QMatMul::from_qtensor(qt)
            .unwrap()
            .forward(&Tensor::from_vec(x.clone(), (1, cols), &device).unwrap())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let mut xq = Q8Vec::default();
        xq.quantize(&x);
        let mut out = vec![0f32; rows];
        m.gemv(&xq, &mut out);
        for (a, b) in out.iter().zip(&expected) {
            assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }

    use candle_core::Module;

    #[test]
    fn the_portable_kernel_agrees_with_the_dispatched_one() {
        // CPUs without AVX2 (and ARM) run `GroupsKernel`; check it against `gemv` here.
        let device = Device::Cpu;
        let (rows, cols) = (37, 128);
        let w: Vec<f32> = (0..rows * cols)
            .map(|i| ((i * 104_729 % 997) as f32 / 498.0 - 1.0) * 0.5)
            .collect();
        let qt = QTensor::quantize(
            &Tensor::from_vec(w, (rows, cols), &device).unwrap(),
            GgmlDType::Q8_0,
        )
        .unwrap();
        let m = Q8Matrix::from_qtensor(&qt, &device).unwrap().unwrap();
        let x: Vec<f32> = (0..cols).map(|i| (i as f32 * 0.21).cos()).collect();
        let mut xq = Q8Vec::default();
        xq.quantize(&x);
        let mut expected = vec![0f32; rows];
        m.gemv(&xq, &mut expected);
        let mut portable = vec![0f32; rows];
        pulp::Arch::new().dispatch(GroupsKernel {
            m: &m,
            x: &xq,
            first_group: 0,
            out: &mut portable,
        });
        for (a, b) in portable.iter().zip(&expected) {
            assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }

    #[test]
    fn gemm_equals_one_gemv_per_row() {
        let device = Device::Cpu;
        let (rows, cols, m) = (70, 96, 5);
        let w: Vec<f32> = (0..rows * cols)
            .map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * 0.3)
            .collect();
        let wt = Tensor::from_vec(w, (rows, cols), &device).unwrap();
        let qt = QTensor::quantize(&wt, GgmlDType::Q8_0).unwrap();
        let mat = Q8Matrix::from_qtensor(&qt, &device).unwrap().unwrap();
        let x: Vec<f32> = (0..m * cols).map(|i| (i as f32 * 0.37).sin()).collect();
        let mut xs = Q8Rows::default();
        xs.quantize(&x, cols);
        let mut out = vec![0f32; m * rows];
        mat.gemm(&xs, &mut out);
        for r in 0..m {
            let mut v = Q8Vec::default();
            v.quantize(&x[r * cols..(r + 1) * cols]);
            let mut row = vec![0f32; rows];
            mat.gemv(&v, &mut row);
            assert_eq!(&out[r * rows..(r + 1) * rows], &row[..], "row {r}");
        }
    }

    #[test]
    fn rope_variants_rotate_the_right_pairs() {
        let mut x = [1.0, 0.0, 0.0, 1.0];
        rope(&mut x, &[0.0, 1.0], &[1.0, 0.0], false);
        assert_eq!(x, [0.0, 1.0, 0.0, 1.0]);
        let mut x = [1.0, 0.0, 0.0, 1.0];
        rope(&mut x, &[0.0, 1.0], &[1.0, 0.0], true);
        assert_eq!(x, [0.0, 0.0, 1.0, 1.0]);
    }
}
