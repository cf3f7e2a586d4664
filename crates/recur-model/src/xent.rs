//! Fused softmax cross-entropy over the whole catalogue. Composing it from candle's primitives
//! allocates a dozen `[positions, items]` temporaries per step (most of an epoch went to page
//! faults); this op reads the logits once forward and writes the gradient once backward.

use std::sync::Arc;

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Shape, Tensor};

use crate::error::Result;

/// `exp(x)` for `x <= 0` (inputs are shifted by the row maximum), accurate to a few 1e-6 relative,
/// written so the compiler vectorises the loops that call it.
#[inline(always)]
fn exp_neg(x: f32) -> f32 {
    let x = if x < -87.0 { -87.0 } else { x };
    // Round to nearest with the 1.5 * 2^23 trick; the rounded integer is then in the low
    // mantissa bits, so no float-to-int conversion (which does not vectorise) is needed.
    const MAGIC: f32 = 12_582_912.0;
    let t = x * std::f32::consts::LOG2_E + MAGIC;
    let n = t - MAGIC;
    let r = x - n * std::f32::consts::LN_2;
    // Taylor polynomial of e^r on |r| <= ln2/2.
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    let ni = t.to_bits().wrapping_sub(MAGIC.to_bits());
    let bits = ni.wrapping_add(127) << 23;
    p * f32::from_bits(bits)
}

/// Row maximum with eight independent lanes (a plain fold does not vectorise).
fn row_max(row: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let chunks = row.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            lanes[k] = if c[k] > lanes[k] { c[k] } else { lanes[k] };
        }
    }
    let mut m = lanes.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for &v in rest {
        m = m.max(v);
    }
    m
}

/// Writes `exp(row - m)` into `out` and returns its sum (eight lanes, vectorised).
fn exp_shifted(row: &[f32], m: f32, out: &mut [f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let mut oc = out.chunks_exact_mut(8);
    let mut rc = row.chunks_exact(8);
    for (o, r) in (&mut oc).zip(&mut rc) {
        for k in 0..8 {
            let e = exp_neg(r[k] - m);
            o[k] = e;
            lanes[k] += e;
        }
    }
    let mut s: f32 = lanes.iter().sum();
    for (o, &r) in oc.into_remainder().iter_mut().zip(rc.remainder()) {
        *o = exp_neg(r - m);
        s += *o;
    }
    s
}

/// `sum(exp(row - m))` without storing it.
fn sum_exp_shifted(row: &[f32], m: f32) -> f32 {
    let mut lanes = [0f32; 8];
    let chunks = row.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            lanes[k] += exp_neg(c[k] - m);
        }
    }
    lanes.iter().sum::<f32>() + rest.iter().map(|&v| exp_neg(v - m)).sum::<f32>()
}

fn row_lse(row: &[f32]) -> f32 {
    let m = row_max(row);
    m + sum_exp_shifted(row, m).ln()
}

fn split_rows<T: Send>(rows: usize, f: impl Fn(std::ops::Range<usize>) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(rows.max(1));
    let per = rows.div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let f = &f;
                s.spawn(move || f(t * per..((t + 1) * per).min(rows)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("cross-entropy worker panicked"))
            .collect()
    })
}

fn contiguous_f32<'a>(storage: &'a CpuStorage, layout: &Layout) -> candle_core::Result<&'a [f32]> {
    let CpuStorage::F32(data) = storage else {
        candle_core::bail!("cross-entropy expects f32 logits")
    };
    let Some((start, end)) = layout.contiguous_offsets() else {
        candle_core::bail!("cross-entropy expects contiguous logits")
    };
    Ok(&data[start..end])
}

struct Xent {
    targets: Arc<Vec<u32>>,
}

impl CustomOp1 for Xent {
    fn name(&self) -> &'static str {
        "softmax-cross-entropy"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (rows, cols) = layout.shape().dims2()?;
        let x = contiguous_f32(storage, layout)?;
        let parts = split_rows(rows, |range| {
            range
                .map(|r| {
                    let row = &x[r * cols..(r + 1) * cols];
                    row_lse(row) - row[self.targets[r] as usize]
                })
                .collect::<Vec<f32>>()
        });
        Ok((CpuStorage::F32(parts.concat()), Shape::from(rows)))
    }

    fn bwd(
        &self,
        arg: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        let grad = arg.apply_op2_no_bwd(
            &grad_res.contiguous()?,
            &XentGrad {
                targets: self.targets.clone(),
            },
        )?;
        Ok(Some(grad))
    }
}

struct XentGrad {
    targets: Arc<Vec<u32>>,
}

impl CustomOp2 for XentGrad {
    fn name(&self) -> &'static str {
        "softmax-cross-entropy-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (rows, cols) = l1.shape().dims2()?;
        let x = contiguous_f32(s1, l1)?;
        let g = contiguous_f32(s2, l2)?;
        let mut out = vec![0f32; rows * cols];
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(rows.max(1));
        let per = rows.div_ceil(threads).max(1);
        std::thread::scope(|s| {
            for (t, block) in out.chunks_mut(per * cols).enumerate() {
                s.spawn(move || {
                    for (o, dst) in block.chunks_exact_mut(cols).enumerate() {
                        let r = t * per + o;
                        let row = &x[r * cols..(r + 1) * cols];
                        let sum = exp_shifted(row, row_max(row), dst);
                        let scale = g[r] / sum;
                        for d in dst.iter_mut() {
                            *d *= scale;
                        }
                        dst[self.targets[r] as usize] -= g[r];
                    }
                });
            }
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

/// Mean cross-entropy of `logits` (`[P, N]`, f32, CPU) against `targets` (`P` column indices).
pub(crate) fn softmax_cross_entropy(logits: &Tensor, targets: Vec<u32>) -> Result<Tensor> {
    let logits = logits.contiguous()?;
    let per_row = logits.apply_op1(Xent {
        targets: Arc::new(targets),
    })?;
    Ok(per_row.mean_all()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn fast_exp_is_accurate() {
        for i in 0..2000 {
            let x = -(i as f32) * 0.04;
            let want = x.exp();
            let got = exp_neg(x);
            assert!(
                (got - want).abs() <= 5e-6 * want.max(1e-30),
                "{x}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn matches_candle_cross_entropy_and_its_gradient() -> Result<()> {
        let dev = Device::Cpu;
        let vals: Vec<f32> = (0..3 * 7)
            .map(|i| ((i * 37 % 11) as f32 - 5.0) * 0.7)
            .collect();
        let targets = vec![2u32, 0, 6];
        let a = Var::from_vec(vals.clone(), (3, 7), &dev)?;
        let ours = softmax_cross_entropy(a.as_tensor(), targets.clone())?;
        let ga = ours
            .backward()?
            .get(a.as_tensor())
            .unwrap()
            .flatten_all()?
            .to_vec1::<f32>()?;
        let b = Var::from_vec(vals, (3, 7), &dev)?;
        let t = Tensor::new(targets.as_slice(), &dev)?;
        let theirs = candle_nn::loss::cross_entropy(b.as_tensor(), &t)?;
        let gb = theirs
            .backward()?
            .get(b.as_tensor())
            .unwrap()
            .flatten_all()?
            .to_vec1::<f32>()?;
        assert!((ours.to_scalar::<f32>()? - theirs.to_scalar::<f32>()?).abs() < 1e-5);
        for (x, y) in ga.iter().zip(&gb) {
            assert!((x - y).abs() < 1e-6, "{x} vs {y}");
        }
        Ok(())
    }
}
