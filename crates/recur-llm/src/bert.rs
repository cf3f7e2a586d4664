//! A BERT encoder for the CPU that packs a batch's texts without padding.
//!
//! candle's `BertModel` pads every text of a batch to the longest one, runs each dense layer as a
//! batch of small matrix products over transposed views, and spends about 40 % of its time in
//! scalar element-wise operations (a profile of 2,000 reviews). Here all tokens of a batch are packed into one
//! `tokens x hidden` matrix: the dense layers (query, key and value fused into one product) are
//! single contiguous 2-D products through candle (its `gemm`), attention runs per text over its
//! own tokens only (so no mask and no padding), and biases, GELU, residuals and layer norms are
//! fused vectorised passes (`crate::bert_ops`). The results equal the padded model's up to f32
//! rounding.

use candle_core::{Device, Storage, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{Config, HiddenAct, PositionEmbeddingType};

use crate::bert_ops::{AddNorm, Attention, BiasGelu, par_rows};
use crate::error::{Error, Result};

/// A layer norm's scale and shift.
struct Norm {
    w: Vec<f32>,
    b: Vec<f32>,
}

/// One encoder layer; each weight matrix is stored `in x out`, contiguous.
struct Layer {
    qkv: Tensor,
    qkv_b: Vec<f32>,
    attn_out: Tensor,
    attn_out_b: Vec<f32>,
    attn_norm: Norm,
    up: Tensor,
    up_b: Vec<f32>,
    down: Tensor,
    down_b: Vec<f32>,
    out_norm: Norm,
}

/// The packed CPU encoder; see the module docs.
pub(crate) struct CpuBert {
    word: Vec<f32>,
    position: Vec<f32>,
    token_type: Vec<f32>,
    emb_norm: Norm,
    layers: Vec<Layer>,
    hidden: usize,
    heads: usize,
    max_len: usize,
    eps: f32,
}

fn vec1(vb: &VarBuilder, n: usize, name: &str) -> candle_core::Result<Vec<f32>> {
    vb.get(n, name)?.to_vec1()
}

fn norm(vb: &VarBuilder, n: usize) -> candle_core::Result<Norm> {
    Ok(Norm {
        w: vec1(vb, n, "weight")?,
        b: vec1(vb, n, "bias")?,
    })
}

/// The weights of linear layers that share an input, concatenated and transposed to `in x out`.
fn dense(vbs: &[VarBuilder], out: usize, inp: usize) -> candle_core::Result<(Tensor, Vec<f32>)> {
    let ws = vbs
        .iter()
        .map(|vb| vb.get((out, inp), "weight"))
        .collect::<candle_core::Result<Vec<_>>>()?;
    let w = Tensor::cat(&ws, 0)?.t()?.contiguous()?;
    let mut b = Vec::with_capacity(out * vbs.len());
    for vb in vbs {
        b.extend(vec1(vb, out, "bias")?);
    }
    Ok((w, b))
}

/// An internal error: something the callers guarantee did not hold.
fn bug(what: String) -> Error {
    Error::Candle(candle_core::Error::Msg(format!(
        "{what}; this is a bug in recur, please report it"
    )))
}

/// The f32 values of a contiguous CPU tensor, without copying.
fn with_values<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> R) -> Result<R> {
    let (storage, layout) = t.storage_and_layout();
    match (&*storage, layout.contiguous_offsets()) {
        (Storage::Cpu(cpu), Some((start, end))) => Ok(f(&cpu.as_slice::<f32>()?[start..end])),
        _ => Err(bug(
            "the CPU encoder got a tensor that is not a contiguous CPU tensor".into(),
        )),
    }
}

impl CpuBert {
    /// The encoder for `config` from `vb` (weights with or without a `bert.` prefix), or `None`
    /// when the model needs something this encoder does not do (another activation or
    /// position embedding), in which case candle's `BertModel` runs it.
    pub(crate) fn load(vb: VarBuilder, config: &Config) -> candle_core::Result<Option<CpuBert>> {
        if config.hidden_act != HiddenAct::Gelu
            || config.position_embedding_type != PositionEmbeddingType::Absolute
        {
            return Ok(None);
        }
        let vb = if vb.contains_tensor("embeddings.word_embeddings.weight") {
            vb
        } else {
            vb.pp("bert")
        };
        let (h, inter) = (config.hidden_size, config.intermediate_size);
        let emb = vb.pp("embeddings");
        let word = emb
            .get((config.vocab_size, h), "word_embeddings.weight")?
            .flatten_all()?
            .to_vec1()?;
        let position = emb
            .get(
                (config.max_position_embeddings, h),
                "position_embeddings.weight",
            )?
            .flatten_all()?
            .to_vec1()?;
        // Every token has type 0: only the first row is used.
        let token_type = emb
            .get((config.type_vocab_size, h), "token_type_embeddings.weight")?
            .get(0)?
            .to_vec1()?;
        let emb_norm = norm(&emb.pp("LayerNorm"), h)?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let l = vb.pp(format!("encoder.layer.{i}"));
            let att = l.pp("attention");
            let s = att.pp("self");
            let (qkv, qkv_b) = dense(&[s.pp("query"), s.pp("key"), s.pp("value")], h, h)?;
            let (attn_out, attn_out_b) = dense(&[att.pp("output.dense")], h, h)?;
            let (up, up_b) = dense(&[l.pp("intermediate.dense")], inter, h)?;
            let (down, down_b) = dense(&[l.pp("output.dense")], h, inter)?;
            layers.push(Layer {
                qkv,
                qkv_b,
                attn_out,
                attn_out_b,
                attn_norm: norm(&att.pp("output.LayerNorm"), h)?,
                up,
                up_b,
                down,
                down_b,
                out_norm: norm(&l.pp("output.LayerNorm"), h)?,
            });
        }
        Ok(Some(CpuBert {
            word,
            position,
            token_type,
            emb_norm,
            layers,
            hidden: h,
            heads: config.num_attention_heads,
            max_len: config.max_position_embeddings,
            eps: config.layer_norm_eps as f32,
        }))
    }

    /// Mean-pooled, L2-normalised last hidden states of each token sequence (with `[CLS]` and
    /// `[SEP]`, at most `max_position_embeddings` long).
    pub(crate) fn embed(&self, seqs: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        let h = self.hidden;
        let vocab = self.word.len() / h;
        let tokens: usize = seqs.iter().map(|s| s.len()).sum();
        // Word + position + type embeddings, then the embedding layer norm.
        let mut word = Vec::with_capacity(tokens * h);
        let mut position = Vec::with_capacity(tokens * h);
        for s in seqs {
            if s.len() > self.max_len {
                return Err(bug(format!(
                    "a text of {} tokens reached the encoder, whose limit is {}",
                    s.len(),
                    self.max_len
                )));
            }
            for (p, &id) in s.iter().enumerate() {
                let id = (id as usize).min(vocab - 1);
                word.extend_from_slice(&self.word[id * h..(id + 1) * h]);
                position.extend_from_slice(&self.position[p * h..(p + 1) * h]);
            }
        }
        let mut x = vec![0f32; tokens * h];
        self.add_norm(&word, &self.token_type, &position, &self.emb_norm, &mut x);
        let mut x = Tensor::from_vec(x, (tokens, h), &Device::Cpu)?;
        let mut ctx = vec![0f32; tokens * h];
        for layer in &self.layers {
            let qkv = x.matmul(&layer.qkv)?;
            with_values(&qkv, |qkv| {
                self.attention(seqs, qkv, &layer.qkv_b, &mut ctx)
            })?;
            let ctx_t = Tensor::from_slice(&ctx, (tokens, h), &Device::Cpu)?;
            let a = ctx_t.matmul(&layer.attn_out)?;
            let mut x1 = vec![0f32; tokens * h];
            with_values(&a, |a| {
                with_values(&x, |res| {
                    self.add_norm(a, &layer.attn_out_b, res, &layer.attn_norm, &mut x1)
                })
            })??;
            let x1 = Tensor::from_vec(x1, (tokens, h), &Device::Cpu)?;
            let up = x1.matmul(&layer.up)?;
            let inter = layer.up_b.len();
            let mut g = vec![0f32; tokens * inter];
            with_values(&up, |up| {
                par_rows(&mut g, inter, |r0, out| {
                    let a = &up[r0 * inter..][..out.len()];
                    pulp::Arch::new().dispatch(BiasGelu {
                        a,
                        bias: &layer.up_b,
                        out,
                    });
                })
            })?;
            let g = Tensor::from_vec(g, (tokens, inter), &Device::Cpu)?;
            let down = g.matmul(&layer.down)?;
            let mut x2 = vec![0f32; tokens * h];
            with_values(&down, |d| {
                with_values(&x1, |res| {
                    self.add_norm(d, &layer.down_b, res, &layer.out_norm, &mut x2)
                })
            })??;
            x = Tensor::from_vec(x2, (tokens, h), &Device::Cpu)?;
        }
        with_values(&x, |x| {
            let mut start = 0;
            seqs.iter()
                .map(|s| {
                    let rows = &x[start * h..(start + s.len()) * h];
                    start += s.len();
                    pool(rows, h)
                })
                .collect()
        })
    }

    fn add_norm(&self, a: &[f32], bias: &[f32], res: &[f32], n: &Norm, out: &mut [f32]) {
        let h = self.hidden;
        par_rows(out, h, |r0, out| {
            let (a, res) = (&a[r0 * h..][..out.len()], &res[r0 * h..][..out.len()]);
            pulp::Arch::new().dispatch(AddNorm {
                a,
                bias,
                res,
                w: &n.w,
                b: &n.b,
                eps: self.eps,
                out,
            });
        });
    }

    /// Attention of each sequence over its own rows of `qkv`, into `ctx`.
    fn attention(&self, seqs: &[&[u32]], qkv: &[f32], bias: &[f32], ctx: &mut [f32]) {
        let h = self.hidden;
        let mut slots = Vec::with_capacity(seqs.len());
        let (mut rest, mut start) = (ctx, 0);
        for s in seqs {
            let (mine, tail) = rest.split_at_mut(s.len() * h);
            slots.push(std::sync::Mutex::new((start, mine)));
            rest = tail;
            start += s.len();
        }
        candle_core::utils::barrier_pool().execute_chunked(slots.len(), |items| {
            let (mut kt, mut scores) = (Vec::new(), Vec::new());
            for i in items {
                let mut slot = slots[i].lock().unwrap_or_else(|e| e.into_inner());
                let (start, ref mut out) = *slot;
                let len = out.len() / h;
                pulp::Arch::new().dispatch(Attention {
                    qkv: &qkv[start * 3 * h..(start + len) * 3 * h],
                    bias,
                    heads: self.heads,
                    head_dim: h / self.heads,
                    out,
                    kt: &mut kt,
                    scores: &mut scores,
                });
            }
        });
    }
}

/// The mean of `rows` (each `h` wide), scaled to unit length.
fn pool(rows: &[f32], h: usize) -> Vec<f32> {
    let mut mean = vec![0f32; h];
    for r in rows.chunks_exact(h) {
        for (m, v) in mean.iter_mut().zip(r) {
            *m += v;
        }
    }
    let n = (rows.len() / h).max(1) as f32;
    for m in &mut mean {
        *m /= n;
    }
    let norm = mean.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
    for m in &mut mean {
        *m /= norm;
    }
    mean
}
