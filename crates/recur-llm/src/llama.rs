//! The Llama-family decoder (Llama, SmolLM, Mistral-style, Qwen2 with q/k/v biases), written
//! here so every position's logits are available and weights can be re-quantised at load;
//! with 8-bit weights on the CPU it runs the one-token path of `fast.rs`.

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, IndexOp, Module, Tensor};
use candle_nn::Embedding;
use candle_transformers::quantized_nn::RmsNorm;

use crate::error::{Error, Result};
use crate::fast::{KvCache, Q8Matrix, Q8Rows, Q8Vec, attend, rms_norm, rope};
use crate::gguf::GgufFile;
use crate::model_info::{ModelInfo, WeightFormat, count_types};

/// A weight matrix: 8-bit blocks for the Llama path (prompts and decoding), or candle's
/// quantised matrix, optionally with an f32 copy for prompts, where a dense product is much
/// faster than candle's row-by-row quantised kernels.
enum Linear {
    Eight(Q8Matrix),
    Candle { q: QMatMul, dense: Option<Tensor> },
}

impl Linear {
    /// The 8-bit matrix (present whenever the decode path is on: checked at load).
    fn q8(&self) -> &Q8Matrix {
        match self {
            Linear::Eight(m) => m,
            Linear::Candle { .. } => unreachable!("8-bit matrices are checked at load"),
        }
    }

    fn is_8bit(&self) -> bool {
        matches!(self, Linear::Eight(_))
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let rows = x.elem_count() / x.dim(candle_core::D::Minus1)?;
        match self {
            Linear::Eight(q8) => {
                // All positions at once, split across threads.
                let mut dims = x.dims().to_vec();
                let k = dims.pop().unwrap_or(1);
                let data = x.flatten_all()?.to_vec1::<f32>()?;
                let mut xs = Q8Rows::default();
                xs.quantize(&data, k);
                let mut out = vec![0f32; rows * q8.rows()];
                q8.gemm(&xs, &mut out);
                dims.push(q8.rows());
                Tensor::from_vec(out, dims, x.device())
            }
            Linear::Candle { dense: Some(w), .. } if rows > 1 => {
                let mut dims = x.dims().to_vec();
                let k = dims.pop().unwrap_or(1);
                dims.push(w.dim(0)?);
                x.reshape((rows, k))?.matmul(&w.t()?)?.reshape(dims)
            }
            Linear::Candle { q, .. } => q.forward(x),
        }
    }
}

struct Layer {
    attn_norm: RmsNorm,
    /// The norms' weights and the q/k/v biases as plain vectors (decode path).
    attn_norm_w: Vec<f32>,
    ffn_norm_w: Vec<f32>,
    qkv_bias_v: Option<Vec<f32>>,
    /// q, k and v projections stacked into one matrix (one pass over the input).
    qkv: Linear,
    /// Biases of q, k and v, stacked (Qwen2).
    qkv_bias: Option<Tensor>,
    wo: Linear,
    ffn_norm: RmsNorm,
    /// Gate and up projections stacked.
    gate_up: Linear,
    down: Linear,
    cache: Option<(Tensor, Tensor)>,
}

pub(crate) struct Llama {
    embed: Embedding,
    layers: Vec<Layer>,
    norm: RmsNorm,
    output: Linear,
    n_head: usize,
    n_kv_head: usize,
    head_dim: usize,
    neox: bool,
    cos: Tensor,
    sin: Tensor,
    device: Device,
    /// The one-token decode path, when every matrix has an 8-bit copy.
    fast: Option<FastState>,
}

/// State of the one-token decode path: the KV cache of record (the prompt path reads and
/// extends it too), the rotary frequencies and reused buffers.
struct FastState {
    eps: f32,
    norm_w: Vec<f32>,
    inv_freq: Vec<f32>,
    kv: Vec<KvCache>,
    x: Vec<f32>,
    xn: Vec<f32>,
    xq: Q8Vec,
    qkv: Vec<f32>,
    att: Vec<f32>,
    proj: Vec<f32>,
    gu: Vec<f32>,
    hidden: Vec<f32>,
    logits: Vec<f32>,
    /// Candle's threads or one thread for decode steps, whichever measures faster.
    threads: crate::threads::Adaptive,
}

impl Llama {
    pub(crate) fn load(
        file: &mut GgufFile,
        arch: &str,
        device: &Device,
        format: WeightFormat,
        dense_limit: u64,
    ) -> Result<(Llama, ModelInfo)> {
        let md = file.metadata();
        let key = |k: &str| format!("{arch}.{k}");
        let n_head = md.u32(&key("attention.head_count"))? as usize;
        let n_kv_head = md
            .opt_u32(&key("attention.head_count_kv"))
            .unwrap_or(n_head as u32) as usize;
        let layers_n = md.u32(&key("block_count"))? as usize;
        let n_embd = md.u32(&key("embedding_length"))? as usize;
        let eps = f64::from(md.f32(&key("attention.layer_norm_rms_epsilon"))?);
        let freq_base = md.opt_f32(&key("rope.freq_base")).unwrap_or(10_000.0);
        let head_dim = n_embd / n_head;
        let rope_dim = md
            .opt_u32(&key("rope.dimension_count"))
            .map_or(head_dim, |d| d as usize);
        let context_length = md.opt_u32(&key("context_length")).unwrap_or(4096) as usize;
        let neox = arch == "qwen2";
        if rope_dim != head_dim {
            return Err(Error::BadModel {
                path: file.path.clone(),
                reason: format!(
                    "partial rotary embeddings ({rope_dim} of {head_dim}) are not supported"
                ),
            });
        }
        let path = file.path.clone();
        let mut types = Vec::new();
        // f32 copies for prompt processing when they fit the budget.
        let dense_bytes: u64 = file
            .content
            .tensor_infos
            .values()
            .filter(|t| t.shape.rank() == 2)
            .map(|t| t.shape.elem_count() as u64 * 4)
            .sum();
        // The 8-bit path (prompts and decoding): when 8-bit weights were asked for, or the file
        // has them.
        let decode_8bit = format == WeightFormat::Q8_0
            || file
                .content
                .tensor_infos
                .values()
                .filter(|t| t.shape.rank() == 2)
                .all(|t| t.ggml_dtype == GgmlDType::Q8_0);
        // f32 copies for prompts otherwise, when they fit the budget.
        let dense_prompt = !decode_8bit && dense_bytes <= dense_limit;
        let mut tensor = |name: &str| -> Result<QTensor> {
            file.content
                .tensor(&mut file.reader, name, device)
                .map_err(|e| Error::BadModel {
                    path: path.clone(),
                    reason: format!("tensor `{name}`: {e}"),
                })
        };
        let names: std::collections::HashSet<String> =
            file.content.tensor_infos.keys().cloned().collect();
        let has = |names: &std::collections::HashSet<String>, name: &str| names.contains(name);
        let matmul = |parts: Vec<QTensor>, types: &mut Vec<GgmlDType>| -> Result<Linear> {
            let parts = parts
                .into_iter()
                .map(|t| requantize(t, format, device))
                .collect::<Result<Vec<_>>>()?;
            types.extend(parts.iter().map(QTensor::dtype));
            let t = stack_rows(parts, device)?;
            if decode_8bit
                && device.is_cpu()
                && let Some(m) = Q8Matrix::from_qtensor(&t, device)?
            {
                return Ok(Linear::Eight(m));
            }
            let dense = if dense_prompt {
                Some(t.dequantize(device)?)
            } else {
                None
            };
            Ok(Linear::Candle {
                q: QMatMul::from_qtensor(t)?,
                dense,
            })
        };
        let embed_q = tensor("token_embd.weight")?;
        let embed = embed_q.dequantize(device)?;
        let output = if has(&names, "output.weight") {
            tensor("output.weight")?
        } else {
            embed_q
        };
        let output = matmul(vec![output], &mut types)?;
        let norm_q = tensor("output_norm.weight")?;
        let norm_w = norm_q.dequantize(device)?.to_vec1::<f32>()?;
        let norm = RmsNorm::from_qtensor(norm_q, eps)?;
        let mut layers = Vec::with_capacity(layers_n);
        for i in 0..layers_n {
            let p = format!("blk.{i}");
            let bias = |n: &str,
                        tensor: &mut dyn FnMut(&str) -> Result<QTensor>|
             -> Result<Option<Tensor>> {
                let name = format!("{p}.{n}.bias");
                if has(&names, &name) {
                    Ok(Some(tensor(&name)?.dequantize(device)?))
                } else {
                    Ok(None)
                }
            };
            let biases = [
                bias("attn_q", &mut tensor)?,
                bias("attn_k", &mut tensor)?,
                bias("attn_v", &mut tensor)?,
            ];
            let qkv_bias = match biases {
                [Some(q), Some(k), Some(v)] => Some(Tensor::cat(&[q, k, v], 0)?),
                [None, None, None] => None,
                _ => {
                    return Err(Error::BadModel {
                        path: path.clone(),
                        reason: format!("{p}: only some of q/k/v have biases"),
                    });
                }
            };
            let qkv_bias_v = match &qkv_bias {
                Some(b) => Some(b.to_vec1::<f32>()?),
                None => None,
            };
            let attn_norm_q = tensor(&format!("{p}.attn_norm.weight"))?;
            let ffn_norm_q = tensor(&format!("{p}.ffn_norm.weight"))?;
            let attn_norm_w = attn_norm_q.dequantize(device)?.to_vec1::<f32>()?;
            let ffn_norm_w = ffn_norm_q.dequantize(device)?.to_vec1::<f32>()?;
            let qkv = vec![
                tensor(&format!("{p}.attn_q.weight"))?,
                tensor(&format!("{p}.attn_k.weight"))?,
                tensor(&format!("{p}.attn_v.weight"))?,
            ];
            let gate_up = vec![
                tensor(&format!("{p}.ffn_gate.weight"))?,
                tensor(&format!("{p}.ffn_up.weight"))?,
            ];
            layers.push(Layer {
                attn_norm: RmsNorm::from_qtensor(attn_norm_q, eps)?,
                attn_norm_w,
                ffn_norm_w,
                qkv_bias_v,
                qkv: matmul(qkv, &mut types)?,
                qkv_bias,
                wo: matmul(
                    vec![tensor(&format!("{p}.attn_output.weight"))?],
                    &mut types,
                )?,
                ffn_norm: RmsNorm::from_qtensor(ffn_norm_q, eps)?,
                gate_up: matmul(gate_up, &mut types)?,
                down: matmul(vec![tensor(&format!("{p}.ffn_down.weight"))?], &mut types)?,
                cache: None,
            });
        }
        let positions = context_length.min(32_768);
        let inv: Vec<f32> = (0..head_dim)
            .step_by(2)
            .map(|i| 1.0 / freq_base.powf(i as f32 / head_dim as f32))
            .collect();
        let inv_freq = inv.clone();
        let inv = Tensor::new(inv.as_slice(), device)?;
        let t = Tensor::arange(0u32, positions as u32, device)?
            .to_dtype(DType::F32)?
            .unsqueeze(1)?;
        let freqs = t.broadcast_mul(&inv.unsqueeze(0)?)?;
        let all_fast = output.is_8bit()
            && layers.iter().all(|l| {
                l.qkv.is_8bit() && l.wo.is_8bit() && l.gate_up.is_8bit() && l.down.is_8bit()
            });
        let fast = all_fast.then(|| FastState {
            eps: eps as f32,
            norm_w,
            inv_freq,
            kv: (0..layers.len()).map(|_| KvCache::default()).collect(),
            x: Vec::new(),
            xn: Vec::new(),
            xq: Q8Vec::default(),
            qkv: Vec::new(),
            att: Vec::new(),
            proj: Vec::new(),
            gu: Vec::new(),
            hidden: Vec::new(),
            logits: Vec::new(),
            threads: Default::default(),
        });
        let model = Llama {
            embed: Embedding::new(embed, n_embd),
            layers,
            norm,
            output,
            n_head,
            n_kv_head,
            head_dim,
            neox,
            cos: freqs.cos()?,
            sin: freqs.sin()?,
            device: device.clone(),
            fast,
        };
        let info = ModelInfo {
            architecture: arch.to_owned(),
            name: None,
            layers: layers_n,
            embedding: n_embd,
            context_length: positions,
            weight_types: count_types(types.into_iter()),
            dense_prompt,
            decode_8bit: model.fast.is_some(),
        };
        Ok((model, info))
    }

    /// One token at `pos` through the 8-bit decode path; returns the logits.
    fn step(&mut self, token: u32, pos: usize) -> Result<&[f32]> {
        let Some(f) = self.fast.as_mut() else {
            return Err(Error::BadRequest("no 8-bit decode path".into()));
        };
        let (n_head, n_kv, hd) = (self.n_head, self.n_kv_head, self.head_dim);
        let (dq, dkv) = (n_head * hd, n_kv * hd);
        let stride = dkv;
        if f.kv.first().is_some_and(|c| c.k.len() < pos * stride) {
            return Err(Error::BadRequest(format!(
                "position {pos} is past the {} cached positions",
                f.kv[0].k.len() / stride
            )));
        }
        f.threads.begin();
        let started = std::time::Instant::now();
        f.x = self
            .embed
            .embeddings()
            .get(token as usize)?
            .to_vec1::<f32>()?;
        let n = f.x.len();
        f.xn.resize(n, 0.0);
        let cos: Vec<f32> = f.inv_freq.iter().map(|w| (pos as f32 * w).cos()).collect();
        let sin: Vec<f32> = f.inv_freq.iter().map(|w| (pos as f32 * w).sin()).collect();
        for (layer, cache) in self.layers.iter().zip(&mut f.kv) {
            rms_norm(&f.x, &layer.attn_norm_w, f.eps, &mut f.xn);
            f.xq.quantize(&f.xn);
            let qkv = layer.qkv.q8();
            f.qkv.resize(qkv.rows(), 0.0);
            qkv.gemv(&f.xq, &mut f.qkv);
            if let Some(bias) = &layer.qkv_bias_v {
                for (v, b) in f.qkv.iter_mut().zip(bias) {
                    *v += b;
                }
            }
            for h in 0..n_head + n_kv {
                rope(&mut f.qkv[h * hd..(h + 1) * hd], &cos, &sin, self.neox);
            }
            cache.k.truncate(pos * stride);
            cache.v.truncate(pos * stride);
            cache.k.extend_from_slice(&f.qkv[dq..dq + dkv]);
            cache.v.extend_from_slice(&f.qkv[dq + dkv..dq + 2 * dkv]);
            f.att.resize(dq, 0.0);
            attend(&f.qkv[..dq], cache, pos + 1, (n_head, n_kv), hd, &mut f.att);
            f.xq.quantize(&f.att);
            let wo = layer.wo.q8();
            f.proj.resize(wo.rows(), 0.0);
            wo.gemv(&f.xq, &mut f.proj);
            for (x, p) in f.x.iter_mut().zip(&f.proj) {
                *x += p;
            }
            rms_norm(&f.x, &layer.ffn_norm_w, f.eps, &mut f.xn);
            f.xq.quantize(&f.xn);
            let gate_up = layer.gate_up.q8();
            f.gu.resize(gate_up.rows(), 0.0);
            gate_up.gemv(&f.xq, &mut f.gu);
            let ff = f.gu.len() / 2;
            f.hidden.resize(ff, 0.0);
            for (i, h) in f.hidden.iter_mut().enumerate() {
                let g = f.gu[i];
                *h = g / (1.0 + (-g).exp()) * f.gu[ff + i];
            }
            f.xq.quantize(&f.hidden);
            let down = layer.down.q8();
            f.proj.resize(down.rows(), 0.0);
            down.gemv(&f.xq, &mut f.proj);
            for (x, p) in f.x.iter_mut().zip(&f.proj) {
                *x += p;
            }
        }
        rms_norm(&f.x, &f.norm_w, f.eps, &mut f.xn);
        f.xq.quantize(&f.xn);
        let output = self.output.q8();
        f.logits.resize(output.rows(), 0.0);
        output.gemv(&f.xq, &mut f.logits);
        f.threads.end(started.elapsed());
        Ok(&f.logits)
    }

    /// Whether a forward pass at `pos` may keep the first `pos` cached positions of an earlier,
    /// longer sequence (the 8-bit path's cache is truncated to `pos` before use).
    pub(crate) fn reuses_prefix(&self) -> bool {
        self.fast.is_some()
    }

    pub(crate) fn forward(&mut self, tokens: &[u32], pos: usize, all: bool) -> Result<Tensor> {
        let seq = tokens.len();
        if seq == 0 {
            return Err(Error::BadRequest("nothing to run: no tokens".into()));
        }
        let max = self.cos.dim(0)?;
        if pos + seq > max {
            return Err(Error::BadRequest(format!(
                "the text needs {} tokens of context; this model handles {max}",
                pos + seq
            )));
        }
        if seq == 1 && self.fast.is_some() {
            let device = self.device.clone();
            let logits = self.step(tokens[0], pos)?;
            return Ok(Tensor::from_slice(logits, (1, logits.len()), &device)?);
        }
        let x = Tensor::new(tokens, &self.device)?.unsqueeze(0)?;
        let mut h = self.embed.forward(&x)?;
        let mask = if seq > 1 {
            Some(causal_mask(
                seq,
                pos,
                self.n_head / self.n_kv_head,
                &self.device,
            )?)
        } else {
            None
        };
        let cos = self.cos.narrow(0, pos, seq)?;
        let sin = self.sin.narrow(0, pos, seq)?;
        for (i, layer) in self.layers.iter_mut().enumerate() {
            let residual = h.clone();
            let x = layer.attn_norm.forward(&h)?;
            let attn = attention(
                layer,
                self.fast.as_mut().map(|f| &mut f.kv[i]),
                &x,
                pos,
                mask.as_ref(),
                &cos,
                &sin,
                self.n_head,
                self.n_kv_head,
                self.head_dim,
                self.neox,
            )?;
            let h2 = (attn + residual)?;
            let x = layer.ffn_norm.forward(&h2)?;
            let gu = layer.gate_up.forward(&x)?;
            let ff = gu.dim(candle_core::D::Minus1)? / 2;
            let g = candle_nn::ops::silu(&gu.narrow(candle_core::D::Minus1, 0, ff)?)?;
            let u = gu.narrow(candle_core::D::Minus1, ff, ff)?;
            h = (layer.down.forward(&(g * u)?)? + h2)?;
        }
        let h = if all {
            h.squeeze(0)?
        } else {
            h.i((.., seq - 1, ..))?
        };
        let h = self.norm.forward(&h)?;
        Ok(self.output.forward(&h)?)
    }
}

#[allow(clippy::too_many_arguments)]
fn attention(
    layer: &mut Layer,
    kv: Option<&mut KvCache>,
    x: &Tensor,
    pos: usize,
    mask: Option<&Tensor>,
    cos: &Tensor,
    sin: &Tensor,
    n_head: usize,
    n_kv_head: usize,
    head_dim: usize,
    neox: bool,
) -> Result<Tensor> {
    let (b, seq, n_embd) = x.dims3()?;
    let mut qkv = layer.qkv.forward(x)?;
    if let Some(bias) = &layer.qkv_bias {
        qkv = qkv.broadcast_add(bias)?;
    }
    let (dq, dkv) = (n_head * head_dim, n_kv_head * head_dim);
    let split = |start: usize, heads: usize| -> Result<Tensor> {
        Ok(qkv
            .narrow(2, start, heads * head_dim)?
            .reshape((b, seq, heads, head_dim))?
            .transpose(1, 2)?
            .contiguous()?)
    };
    let (q, k, v) = (
        split(0, n_head)?,
        split(dq, n_kv_head)?,
        split(dq + dkv, n_kv_head)?,
    );
    let rope = |t: &Tensor| -> Result<Tensor> {
        Ok(if neox {
            candle_nn::rotary_emb::rope(t, cos, sin)?
        } else {
            candle_nn::rotary_emb::rope_i(t, cos, sin)?
        })
    };
    let q = rope(&q)?;
    let k = rope(&k)?;
    let (k, v) = match kv {
        // The decode path's cache is the cache of record: read its first `pos` positions and
        // append these.
        Some(cache) => {
            let stride = n_kv_head * head_dim;
            cache.k.truncate(pos * stride);
            cache.v.truncate(pos * stride);
            let (k_all, v_all) = if pos > 0 {
                if cache.k.len() < pos * stride {
                    return Err(Error::BadRequest(format!(
                        "position {pos} is past the {} cached positions",
                        cache.k.len() / stride
                    )));
                }
                let prefix = |data: &[f32]| -> Result<Tensor> {
                    Ok(
                        Tensor::from_slice(data, (b, pos, n_kv_head, head_dim), x.device())?
                            .transpose(1, 2)?,
                    )
                };
                (
                    Tensor::cat(&[&prefix(&cache.k)?, &k], 2)?,
                    Tensor::cat(&[&prefix(&cache.v)?, &v], 2)?,
                )
            } else {
                (k.clone(), v.clone())
            };
            let by_position = |t: &Tensor| -> Result<Vec<f32>> {
                Ok(t.transpose(1, 2)?.flatten_all()?.to_vec1::<f32>()?)
            };
            cache.k.extend(by_position(&k)?);
            cache.v.extend(by_position(&v)?);
            (k_all.contiguous()?, v_all.contiguous()?)
        }
        None => {
            let (k, v) = match (&layer.cache, pos) {
                (Some((kc, vc)), p) if p > 0 => {
                    (Tensor::cat(&[kc, &k], 2)?, Tensor::cat(&[vc, &v], 2)?)
                }
                _ => (k, v),
            };
            layer.cache = Some((k.clone(), v.clone()));
            (k, v)
        }
    };
    // Grouped-query attention without copying k and v per head: the `rep` query heads that
    // share a kv head are stacked as rows, [b, kv, rep * seq, d] against [b, kv, len, d].
    let rep = n_head / n_kv_head;
    let q = q.reshape((b, n_kv_head, rep * seq, head_dim))?;
    let att = (q.matmul(&k.t()?)? * (1.0 / (head_dim as f64).sqrt()))?;
    let att = match mask {
        Some(m) => att.broadcast_add(m)?,
        None => att,
    };
    let att = candle_nn::ops::softmax_last_dim(&att)?;
    let y = att
        .matmul(&v)?
        .reshape((b, n_head, seq, head_dim))?
        .transpose(1, 2)?
        .reshape((b, seq, n_embd))?;
    Ok(layer.wo.forward(&y)?)
}

/// Stacks matrices with the same columns and block format row-wise into one.
fn stack_rows(parts: Vec<QTensor>, device: &Device) -> Result<QTensor> {
    if parts.len() == 1 {
        return Ok(parts.into_iter().next().expect("one part"));
    }
    let dtype = parts[0].dtype();
    let cols = parts[0].shape().dims().last().copied().unwrap_or(0);
    let same = parts
        .iter()
        .all(|p| p.dtype() == dtype && p.shape().rank() == 2 && p.shape().dims()[1] == cols);
    if !same {
        // Mixed formats: stack dequantised rows and quantise once to the first part's format.
        let dense = parts
            .iter()
            .map(|p| p.dequantize(device))
            .collect::<candle_core::Result<Vec<_>>>()?;
        return Ok(QTensor::quantize(&Tensor::cat(&dense, 0)?, dtype)?);
    }
    let rows: usize = parts.iter().map(|p| p.shape().dims()[0]).sum();
    let mut bytes = Vec::new();
    for p in &parts {
        bytes.extend_from_slice(&p.data()?);
    }
    let storage =
        candle_core::quantized::QStorage::from_data(std::borrow::Cow::Owned(bytes), device, dtype)?;
    Ok(QTensor::new(storage, (rows, cols))?)
}

/// Additive causal mask `[rep * seq, pos + seq]` (the query rows of `rep` heads stacked): 0
/// where a query may look, -inf after it.
fn causal_mask(seq: usize, pos: usize, rep: usize, device: &Device) -> Result<Tensor> {
    let kv = pos + seq;
    let mask: Vec<f32> = (0..rep * seq)
        .flat_map(|r| {
            let i = r % seq;
            (0..kv).map(move |j| if j > pos + i { f32::NEG_INFINITY } else { 0.0 })
        })
        .collect();
    Ok(Tensor::from_vec(mask, (rep * seq, kv), device)?)
}

fn requantize(t: QTensor, format: WeightFormat, device: &Device) -> Result<QTensor> {
    let low_bit = matches!(
        t.dtype(),
        GgmlDType::Q4_0 | GgmlDType::Q4_1 | GgmlDType::Q5_0 | GgmlDType::Q5_1
    );
    if format == WeightFormat::Q8_0
        && low_bit
        && t.shape().dims().last().is_some_and(|d| d % 32 == 0)
    {
        let f = t.dequantize(device)?;
        return Ok(QTensor::quantize(&f, GgmlDType::Q8_0)?);
    }
    Ok(t)
}
