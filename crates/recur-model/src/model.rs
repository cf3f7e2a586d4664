//! The behaviour model: a causal (GPT-style) transformer over customers' event sequences,
//! in candle's shape (`Config`, `Model::new(&cfg, vb)`, `forward`).

use candle_core::{D, DType, Module, Tensor};
use candle_nn::{Linear, VarBuilder};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::data::EVENT_KINDS;
use crate::encode::{Batch, GAP_BUCKETS, REPEAT_BUCKETS, TIME_CLASSES};
use crate::error::{Error, Result};

/// Model hyper-parameters, saved as `config.json` beside the weights.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Config {
    /// Items in the vocabulary (padding excluded).
    pub num_items: usize,
    /// Most recent events the model reads.
    pub max_len: usize,
    /// Width of every embedding and hidden state.
    pub hidden: usize,
    /// Transformer blocks.
    pub layers: usize,
    /// Attention heads (divides `hidden`).
    pub heads: usize,
    /// Width of the feed-forward layer.
    pub ffn: usize,
    /// Dropout on embeddings, attention and residual branches while training.
    pub dropout: f32,
    /// Embed the time between events (and whether they share a basket).
    pub time_features: bool,
    /// Embed whether an item was seen before, and add a learned repeat bonus to the scores of
    /// items in the history (how often, how long ago).
    pub repeat_aware: bool,
    /// Predict the time to the next purchase (classes of [`crate::NEXT_PURCHASE_DAYS`]).
    pub time_head: bool,
    /// Width of fixed item-text features fused into the item embeddings (0: none).
    pub text_dim: usize,
    /// Width of the searches' query features ([`crate::QUERY_DIM`]): each search of a
    /// customer is a token whose input is its query's hashed words and trigrams, projected by
    /// a learned layer (`query_proj`). 0: searches are ignored (models saved before searches
    /// were read).
    #[serde(default)]
    pub query_dim: usize,
}

impl Config {
    /// A small default for `num_items` items (64 wide, 2 blocks, 1 head).
    pub fn small(num_items: usize) -> Self {
        Self {
            num_items,
            max_len: 50,
            hidden: 64,
            layers: 2,
            heads: 1,
            ffn: 256,
            dropout: 0.3,
            time_features: true,
            repeat_aware: true,
            time_head: true,
            text_dim: 0,
            query_dim: 0,
        }
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::BadConfig(m));
        if self.num_items == 0 {
            return bad("the model needs at least one item".into());
        }
        if self.hidden == 0 || self.heads == 0 || !self.hidden.is_multiple_of(self.heads) {
            return bad(format!(
                "hidden ({}) must be a positive multiple of heads ({})",
                self.hidden, self.heads
            ));
        }
        if self.max_len < 2 || self.layers == 0 || self.ffn == 0 {
            return bad("max_len >= 2, layers >= 1 and ffn >= 1 are required".into());
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return bad(format!("dropout {} is not in [0, 1)", self.dropout));
        }
        if self.query_dim != 0 && self.query_dim != crate::query::QUERY_DIM {
            return bad(format!(
                "query_dim {} is neither 0 (searches ignored) nor {} (the query features' width)",
                self.query_dim,
                crate::query::QUERY_DIM
            ));
        }
        Ok(())
    }
}

/// Layer normalisation from differentiable primitives (candle's fused kernel has no backward).
#[derive(Debug, Clone)]
struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
}

impl LayerNorm {
    fn new(size: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            weight: vb.get_with_hints(size, "weight", candle_nn::Init::Const(1.0))?,
            bias: vb.get_with_hints(size, "bias", candle_nn::Init::Const(0.0))?,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mean = x.mean_keepdim(D::Minus1)?;
        let x = x.broadcast_sub(&mean)?;
        let var = x.sqr()?.mean_keepdim(D::Minus1)?;
        let x = x.broadcast_div(&(var + 1e-6)?.sqrt()?)?;
        Ok(x.broadcast_mul(&self.weight)?.broadcast_add(&self.bias)?)
    }
}

fn linear(inp: usize, out: usize, bias: bool, vb: VarBuilder) -> Result<Linear> {
    let init = candle_nn::Init::Randn {
        mean: 0.0,
        stdev: 0.02,
    };
    let w = vb.get_with_hints((out, inp), "weight", init)?;
    let b = if bias {
        Some(vb.get_with_hints(out, "bias", candle_nn::Init::Const(0.0))?)
    } else {
        None
    };
    Ok(Linear::new(w, b))
}

/// Dropout whose mask comes from a seeded generator (candle's uses an unseeded one).
fn dropout(x: &Tensor, p: f32, rng: Option<&mut ChaCha8Rng>) -> Result<Tensor> {
    let Some(rng) = rng else {
        return Ok(x.clone());
    };
    if p <= 0.0 {
        return Ok(x.clone());
    }
    let keep = 1.0 / (1.0 - p);
    let mask: Vec<f32> = (0..x.elem_count())
        .map(|_| if rng.random::<f32>() < p { 0.0 } else { keep })
        .collect();
    let mask = Tensor::from_vec(mask, x.shape(), x.device())?;
    Ok(x.mul(&mask)?)
}

#[derive(Debug, Clone)]
struct Block {
    ln1: LayerNorm,
    qkv: Linear,
    proj: Linear,
    ln2: LayerNorm,
    ff1: Linear,
    ff2: Linear,
}

impl Block {
    fn new(cfg: &Config, vb: VarBuilder) -> Result<Self> {
        let h = cfg.hidden;
        Ok(Self {
            ln1: LayerNorm::new(h, vb.pp("ln1"))?,
            qkv: linear(h, 3 * h, true, vb.pp("qkv"))?,
            proj: linear(h, h, true, vb.pp("proj"))?,
            ln2: LayerNorm::new(h, vb.pp("ln2"))?,
            ff1: linear(h, cfg.ffn, true, vb.pp("ff1"))?,
            ff2: linear(cfg.ffn, h, true, vb.pp("ff2"))?,
        })
    }

    /// `x`: `[B * L, H]`.
    fn forward(
        &self,
        cfg: &Config,
        x: &Tensor,
        batch: &Batch,
        mut rng: Option<&mut ChaCha8Rng>,
    ) -> Result<Tensor> {
        let (b, l, h, nh) = (batch.rows, batch.len, cfg.hidden, cfg.heads);
        let dh = h / nh;
        let qkv = self.qkv.forward(&self.ln1.forward(x)?)?;
        let split = |i: usize| -> Result<Tensor> {
            Ok(qkv
                .narrow(1, i * h, h)?
                .reshape((b, l, nh, dh))?
                .transpose(1, 2)?
                .contiguous()?)
        };
        let (q, k, v) = (split(0)?, split(1)?, split(2)?);
        let scores =
            (q.matmul(&k.t()?)? * (1.0 / (dh as f64).sqrt()))?.broadcast_add(&batch.mask)?;
        let attn = candle_nn::ops::softmax(&scores, D::Minus1)?;
        let attn = dropout(&attn, cfg.dropout, rng.as_deref_mut())?;
        let y = attn
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b * l, h))?;
        let y = dropout(&self.proj.forward(&y)?, cfg.dropout, rng.as_deref_mut())?;
        let x = (x + y)?;
        let f = self.ff1.forward(&self.ln2.forward(&x)?)?.relu()?;
        let f = dropout(&self.ff2.forward(&f)?, cfg.dropout, rng)?;
        Ok((x + f)?)
    }
}

/// The transformer. Item embeddings are shared between input and output (scores are dot
/// products with the final hidden state plus a per-item bias).
#[derive(Debug, Clone)]
pub struct Model {
    cfg: Config,
    item_emb: Tensor,
    pos_emb: Tensor,
    event_emb: Tensor,
    gap_emb: Option<Tensor>,
    repeat_emb: Option<Tensor>,
    blocks: Vec<Block>,
    ln_f: LayerNorm,
    out_bias: Tensor,
    repeat_head: Option<Linear>,
    time_head: Option<Linear>,
    text: Option<(Tensor, Linear)>,
    query_proj: Option<Linear>,
}

impl Model {
    /// Builds the model; with a `VarMap`-backed builder the weights are created (and
    /// trainable), with a loaded one they are read. `item_text` (`[num_items + 1, text_dim]`,
    /// fixed) is required when `cfg.text_dim > 0`.
    pub fn new(cfg: &Config, vb: VarBuilder, item_text: Option<Tensor>) -> Result<Self> {
        cfg.validate()?;
        let n = cfg.num_items + 1;
        let h = cfg.hidden;
        let emb = |rows: usize, name: &str| {
            vb.get_with_hints(
                (rows, h),
                name,
                candle_nn::Init::Randn {
                    mean: 0.0,
                    stdev: 0.02,
                },
            )
        };
        let text = if cfg.text_dim > 0 {
            let t = item_text.ok_or_else(|| {
                Error::BadConfig("the model fuses item text but no item text was given".into())
            })?;
            if t.dims() != [n, cfg.text_dim] {
                return Err(Error::BadConfig(format!(
                    "item text is {:?}, expected [{n}, {}]",
                    t.dims(),
                    cfg.text_dim
                )));
            }
            Some((t, linear(cfg.text_dim, h, false, vb.pp("text_proj"))?))
        } else {
            None
        };
        Ok(Self {
            item_emb: emb(n, "item_emb")?,
            pos_emb: emb(cfg.max_len, "pos_emb")?,
            event_emb: emb(EVENT_KINDS, "event_emb")?,
            gap_emb: cfg
                .time_features
                .then(|| emb(GAP_BUCKETS, "gap_emb"))
                .transpose()?,
            repeat_emb: cfg
                .repeat_aware
                .then(|| emb(REPEAT_BUCKETS, "repeat_emb"))
                .transpose()?,
            blocks: (0..cfg.layers)
                .map(|i| Block::new(cfg, vb.pp(format!("blocks.{i}"))))
                .collect::<Result<_>>()?,
            ln_f: LayerNorm::new(h, vb.pp("ln_f"))?,
            out_bias: vb.get_with_hints(n, "out_bias", candle_nn::Init::Const(0.0))?,
            repeat_head: cfg
                .repeat_aware
                .then(|| linear(h, 2, true, vb.pp("repeat_head")))
                .transpose()?,
            time_head: cfg
                .time_head
                .then(|| linear(h, TIME_CLASSES, true, vb.pp("time_head")))
                .transpose()?,
            text,
            query_proj: (cfg.query_dim > 0)
                .then(|| linear(cfg.query_dim, h, false, vb.pp("query_proj")))
                .transpose()?,
            cfg: cfg.clone(),
        })
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The device the weights live on.
    pub fn device(&self) -> &candle_core::Device {
        self.item_emb.device()
    }

    /// The fixed item-text features (`[num_items + 1, text_dim]`), when fused.
    pub fn item_text(&self) -> Option<&Tensor> {
        self.text.as_ref().map(|(t, _)| t)
    }

    /// The per-item score bias (what the model predicts with no history), `num_items + 1`.
    pub fn item_bias(&self) -> Result<Vec<f32>> {
        Ok(self.out_bias.detach().to_vec1::<f32>()?)
    }

    /// Item representations `[num_items + 1, hidden]` (id embedding plus projected text).
    pub fn item_table(&self) -> Result<Tensor> {
        match &self.text {
            None => Ok(self.item_emb.clone()),
            Some((t, proj)) => Ok((&self.item_emb + proj.forward(t)?)?),
        }
    }

    /// Final hidden states `[P, hidden]` at the batch's output positions. `rng` turns dropout
    /// on (training).
    pub fn forward(
        &self,
        batch: &Batch,
        items: &Tensor,
        mut rng: Option<&mut ChaCha8Rng>,
    ) -> Result<Tensor> {
        let (b, l, h) = (batch.rows, batch.len, self.cfg.hidden);
        let flat = |t: &Tensor| t.flatten_all();
        let scale = (h as f64).sqrt();
        let mut x = (items.index_select(&flat(&batch.items)?, 0)? * scale)?;
        let pos = self.pos_emb.narrow(0, 0, l)?.repeat((b, 1))?;
        x = (x + pos)?;
        x = (x + self.event_emb.index_select(&flat(&batch.events)?, 0)?)?;
        if let Some(g) = &self.gap_emb {
            x = (x + g.index_select(&flat(&batch.gaps)?, 0)?)?;
        }
        if let Some(r) = &self.repeat_emb {
            x = (x + r.index_select(&flat(&batch.repeats)?, 0)?)?;
        }
        if let (Some(proj), Some(q)) = (&self.query_proj, &batch.searches) {
            // A search token's item is padding; its query stands in for the item.
            let text = (proj.forward(&q.features)? * scale)?;
            x = x.index_add(&q.position, &text, 0)?;
        }
        let mut x = dropout(&x, self.cfg.dropout, rng.as_deref_mut())?;
        for block in &self.blocks {
            x = block.forward(&self.cfg, &x, batch, rng.as_deref_mut())?;
        }
        let x = x.index_select(&batch.positions, 0)?;
        self.ln_f.forward(&x)
    }

    /// Scores `[P, num_items + 1]` of every item after each output position (for training:
    /// the bias rides in the matmul as an extra column, because a broadcast add needs a column
    /// sum in backward, which candle does slowly).
    pub fn logits(&self, hidden: &Tensor, items: &Tensor, batch: &Batch) -> Result<Tensor> {
        let ones = Tensor::ones((hidden.dim(0)?, 1), hidden.dtype(), hidden.device())?;
        let h1 = Tensor::cat(&[hidden, &ones], 1)?;
        let t1 = Tensor::cat(&[items, &self.out_bias.unsqueeze(1)?], 1)?;
        self.add_repeat_bonus(h1.matmul(&t1.t()?)?, hidden, batch)
    }

    /// [`Model::logits`] for inference: no copy of the item table per call.
    pub fn scores(&self, hidden: &Tensor, items: &Tensor, batch: &Batch) -> Result<Tensor> {
        let logits = hidden
            .matmul(&items.t()?)?
            .broadcast_add(&self.out_bias.unsqueeze(0)?)?;
        self.add_repeat_bonus(logits, hidden, batch)
    }

    fn add_repeat_bonus(&self, logits: Tensor, hidden: &Tensor, batch: &Batch) -> Result<Tensor> {
        let (Some(head), Some(rep)) = (&self.repeat_head, &batch.repeat) else {
            return Ok(logits);
        };
        if rep.flat.dim(0)? == 0 {
            return Ok(logits);
        }
        let (p, n) = logits.dims2()?;
        let gates = head.forward(hidden)?.index_select(&rep.position, 0)?;
        let bonus = (gates * &rep.features)?.sum(1)?;
        let flat = logits.flatten_all()?.index_add(&rep.flat, &bonus, 0)?;
        Ok(flat.reshape((p, n))?)
    }

    /// Sampled-softmax training scores: each position is scored against its own target, the
    /// items in its own history (for the repeat bonus) and `negatives` items drawn uniformly
    /// without replacement from the rest; other positions' targets and histories are masked
    /// out, so the negatives stay uniform. Returns `[P, C]` scores and each position's target
    /// column.
    pub fn sampled_logits(
        &self,
        hidden: &Tensor,
        items: &Tensor,
        batch: &Batch,
        next: &[u32],
        negatives: usize,
        rng: &mut ChaCha8Rng,
    ) -> Result<(Tensor, Vec<u32>)> {
        let n_items = self.cfg.num_items as u32;
        let vocab = n_items + 1;
        let p = next.len();
        // Per position: the items it may score besides negatives (target, own history).
        let mut own: Vec<Vec<u32>> = next.iter().map(|&t| vec![t]).collect();
        let rep = match (&self.repeat_head, &batch.repeat) {
            (Some(_), Some(r)) => Some((r.position.to_vec1::<u32>()?, r.flat.to_vec1::<u32>()?)),
            _ => None,
        };
        if let Some((pos, flat)) = &rep {
            for (&pp, &f) in pos.iter().zip(flat) {
                own[pp as usize].push(f % vocab);
            }
        }
        let mut special: Vec<u32> = own.iter().flatten().copied().collect();
        special.sort_unstable();
        special.dedup();
        let col: std::collections::HashMap<u32, u32> = special
            .iter()
            .enumerate()
            .map(|(c, &i)| (i, c as u32))
            .collect();
        let free = (n_items as usize).saturating_sub(special.len());
        let want = negatives.min(free);
        let mut taken: std::collections::HashSet<u32> = special.iter().copied().collect();
        let mut cand = special.clone();
        while cand.len() < special.len() + want {
            let j = rng.random_range(1..=n_items);
            if taken.insert(j) {
                cand.push(j);
            }
        }
        let c = cand.len();
        let s = special.len();
        let mut mask = vec![0f32; p * c];
        if rep.is_some() {
            // With repeat features, every position's own history items are candidates: then
            // every item of the batch (targets and histories, `special`) is a candidate for every
            // position, exactly once, and the uniform negatives stand for the rest of the
            // catalogue with the log-q weight `ln(free / want)`. Without that weight, history
            // items (always present) would be pushed down far harder than other items as
            // negatives and the model would learn that customers never buy again.
            let correction = if want > 0 {
                (free as f32 / want as f32).ln()
            } else {
                0.0
            };
            for row in mask.chunks_exact_mut(c) {
                row[s..].fill(correction);
            }
        } else {
            // Only the position's own target among the batch's targets: negatives stay uniform.
            for (i, row_own) in own.iter().enumerate() {
                let row = &mut mask[i * c..i * c + s];
                row.fill(-1e9);
                for j in row_own {
                    row[col[j] as usize] = 0.0;
                }
            }
        }
        let device = hidden.device();
        let cand_t = Tensor::from_vec(cand, c, device)?;
        let table = Tensor::cat(
            &[
                &items.index_select(&cand_t, 0)?,
                &self.out_bias.index_select(&cand_t, 0)?.unsqueeze(1)?,
            ],
            1,
        )?;
        let ones = Tensor::ones((p, 1), hidden.dtype(), device)?;
        let h1 = Tensor::cat(&[hidden, &ones], 1)?;
        let mut logits = (h1.matmul(&table.t()?)? + Tensor::from_vec(mask, (p, c), device)?)?;
        if let (Some(head), Some(r), Some((pos, flat))) = (&self.repeat_head, &batch.repeat, &rep)
            && !pos.is_empty()
        {
            let remapped: Vec<u32> = pos
                .iter()
                .zip(flat)
                .map(|(&pp, &f)| pp * c as u32 + col[&(f % vocab)])
                .collect();
            let e = remapped.len();
            let gates = head.forward(hidden)?.index_select(&r.position, 0)?;
            let bonus = (gates * &r.features)?.sum(1)?;
            logits = logits
                .flatten_all()?
                .index_add(&Tensor::from_vec(remapped, e, device)?, &bonus, 0)?
                .reshape((p, c))?;
        }
        let targets = next.iter().map(|t| col[t]).collect();
        Ok((logits, targets))
    }

    /// Time-to-next-purchase class scores `[P, TIME_CLASSES]`, when the model has that head.
    pub fn time_logits(&self, hidden: &Tensor) -> Result<Option<Tensor>> {
        self.time_head
            .as_ref()
            .map(|h| h.forward(hidden).map_err(Error::from))
            .transpose()
    }
}

/// Names of parameters that weight decay leaves alone (biases, norms, embeddings).
pub(crate) fn decays(name: &str) -> bool {
    name.ends_with(".weight") && !name.contains("ln")
}

/// Seeded initial values for every variable (candle's CPU generator cannot be seeded).
pub(crate) fn init_seeded(varmap: &candle_nn::VarMap, seed: u64) -> Result<()> {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};
    let data = varmap.data().lock().map_err(|_| {
        Error::BadConfig("the model's variables are locked by a panicked thread".into())
    })?;
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0f32, 0.02).expect("valid normal");
    for name in names {
        let var = &data[name];
        let n = var.elem_count();
        let values: Vec<f32> = if name.ends_with("ln1.weight")
            || name.ends_with("ln2.weight")
            || name.ends_with("ln_f.weight")
        {
            vec![1.0; n]
        } else if name.ends_with("bias") {
            vec![0.0; n]
        } else {
            (0..n).map(|_| normal.sample(&mut rng)).collect()
        };
        var.set(&Tensor::from_vec(values, var.shape(), var.device())?.to_dtype(DType::F32)?)?;
    }
    Ok(())
}
