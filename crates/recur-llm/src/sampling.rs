//! Sampling settings and the per-step sampler (candle's `LogitsProcessor` plus a repetition
//! penalty and token masks).

use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How to pick each next token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SamplingParams {
    /// Softmax temperature; 0 picks the most likely token (greedy).
    pub temperature: f64,
    /// Nucleus sampling: keep the smallest set of tokens whose probability reaches this.
    pub top_p: Option<f64>,
    /// Keep only the k most likely tokens.
    pub top_k: Option<usize>,
    /// Divides positive (multiplies negative) logits of tokens seen in the last
    /// `repeat_last_n` tokens; 1 is off.
    pub repetition_penalty: f32,
    /// Window of the repetition penalty.
    pub repeat_last_n: usize,
    /// Seed of the random choices; the same seed gives the same text.
    pub seed: u64,
    /// Most tokens to generate.
    pub max_tokens: usize,
    /// Texts that end the answer (not included in it).
    pub stop: Vec<String>,
    /// Number of answers (sample i uses seed + i).
    pub n: usize,
}

impl Default for SamplingParams {
    fn default() -> Self {
        SamplingParams {
            temperature: 0.7,
            top_p: Some(0.9),
            top_k: Some(40),
            repetition_penalty: 1.1,
            repeat_last_n: 64,
            seed: 0,
            max_tokens: 256,
            stop: Vec::new(),
            n: 1,
        }
    }
}

impl SamplingParams {
    /// Greedy decoding: always the most likely token, no penalty.
    pub fn greedy(max_tokens: usize) -> SamplingParams {
        SamplingParams {
            temperature: 0.0,
            top_p: None,
            top_k: None,
            repetition_penalty: 1.0,
            max_tokens,
            ..Default::default()
        }
    }

    /// Checks the ranges; the message names the bad setting.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::BadRequest(m));
        if !(0.0..=10.0).contains(&self.temperature) {
            return bad(format!(
                "temperature {} is outside 0..=10",
                self.temperature
            ));
        }
        if let Some(p) = self.top_p
            && !(p > 0.0 && p <= 1.0)
        {
            return bad(format!("top_p {p} must be in (0, 1]"));
        }
        if self.top_k == Some(0) {
            return bad("top_k must be at least 1".into());
        }
        if self.repetition_penalty.is_nan() || self.repetition_penalty <= 0.0 {
            return bad(format!(
                "repetition_penalty {} must be positive",
                self.repetition_penalty
            ));
        }
        if self.max_tokens == 0 {
            return bad("max_tokens must be at least 1".into());
        }
        if self.n == 0 || self.n > 64 {
            return bad(format!("n = {} must be between 1 and 64", self.n));
        }
        if self.stop.iter().any(String::is_empty) {
            return bad("stop sequences must not be empty".into());
        }
        Ok(())
    }
}

pub(crate) struct Sampler {
    inner: LogitsProcessor,
    penalty: f32,
    window: usize,
    /// Sampling temperature (0: greedy).
    temperature: f64,
    /// Top-k: only the k likeliest allowed tokens can be picked.
    top_k: Option<usize>,
}

impl Sampler {
    pub(crate) fn new(p: &SamplingParams, seed: u64) -> Sampler {
        let sampling = if p.temperature <= 0.0 {
            Sampling::ArgMax
        } else {
            match (p.top_k, p.top_p) {
                (Some(k), Some(tp)) if tp < 1.0 => Sampling::TopKThenTopP {
                    k,
                    p: tp,
                    temperature: p.temperature,
                },
                (Some(k), _) => Sampling::TopK {
                    k,
                    temperature: p.temperature,
                },
                (None, Some(tp)) if tp < 1.0 => Sampling::TopP {
                    p: tp,
                    temperature: p.temperature,
                },
                _ => Sampling::All {
                    temperature: p.temperature,
                },
            }
        };
        Sampler {
            inner: LogitsProcessor::from_sampling(seed, sampling),
            penalty: p.repetition_penalty,
            window: p.repeat_last_n,
            temperature: if p.temperature <= 0.0 {
                0.0
            } else {
                p.temperature
            },
            top_k: p.top_k,
        }
    }

    /// Picks a token from `logits` (one row), given the tokens so far; tokens where `allowed`
    /// is false are never picked.
    pub(crate) fn pick(
        &mut self,
        mut logits: Vec<f32>,
        history: &[u32],
        allowed: Option<&dyn Fn(u32) -> bool>,
    ) -> Result<u32> {
        if self.penalty != 1.0 {
            let start = history.len().saturating_sub(self.window);
            let mut seen = std::collections::HashSet::new();
            for &t in &history[start..] {
                if seen.insert(t)
                    && let Some(l) = logits.get_mut(t as usize)
                {
                    *l = if *l >= 0.0 {
                        *l / self.penalty
                    } else {
                        *l * self.penalty
                    };
                }
            }
        }
        if let Some(allowed) = allowed {
            let keep = self.allowed_candidates(&logits, allowed);
            if !keep.iter().any(|k| *k) {
                return Err(Error::BadRequest(
                    "no token of the vocabulary can continue the constrained output".into(),
                ));
            }
            for (l, k) in logits.iter_mut().zip(keep) {
                if !k {
                    *l = f32::NEG_INFINITY;
                }
            }
        }
        let n = logits.len();
        let t = Tensor::from_vec(logits, n, &Device::Cpu)?;
        Ok(self.inner.sample(&t)?)
    }

    /// Which tokens `allowed` lets through, asking it as rarely as possible (a grammar check per
    /// token costs far more than the logits): the most likely tokens are checked first, and
    /// checking stops once the tokens left unchecked could carry at most a millionth of the
    /// allowed probability mass (greedy: at the first allowed token). Those are then treated as
    /// not allowed, which changes the sampling distribution by less than 1e-6. With top-k, it
    /// also stops at the k-th allowed token: top-k keeps no other, so that is exact. When the
    /// best 256 candidates do not settle it, the rest are checked in order of likelihood.
    fn allowed_candidates(&self, logits: &[f32], allowed: &dyn Fn(u32) -> bool) -> Vec<bool> {
        const FIRST: usize = 256;
        let n = logits.len();
        let mut keep = vec![false; n];
        let mut order: Vec<u32> = (0..n as u32).collect();
        let desc = |a: &u32, b: &u32| logits[*b as usize].total_cmp(&logits[*a as usize]);
        let head = FIRST.min(n);
        if n > FIRST {
            order.select_nth_unstable_by(FIRST - 1, desc);
        }
        order[..head].sort_unstable_by(|a, b| desc(a, b).then(a.cmp(b)));
        let best = logits[order[0] as usize];
        let weight = |l: f32| -> f64 {
            if self.temperature > 0.0 {
                (f64::from(l - best) / self.temperature).exp()
            } else {
                0.0
            }
        };
        let mut mass = 0f64;
        let mut found = false;
        let mut kept = 0usize;
        let mut rank = 0;
        while rank < n {
            if rank == head {
                // The best candidates did not settle it: go on through the rest, in order.
                order[head..].sort_unstable_by(|a, b| desc(a, b).then(a.cmp(b)));
            }
            let i = order[rank];
            if allowed(i) {
                keep[i as usize] = true;
                found = true;
                kept += 1;
                mass += weight(logits[i as usize]);
                if self.top_k.is_some_and(|k| kept >= k) {
                    return keep;
                }
            }
            if found {
                // Every token not yet checked is at most as likely as the next in order (the
                // order past `head` is sorted once it is reached; before, the head's last
                // bounds them all).
                let next = order
                    .get(rank + 1)
                    .filter(|_| rank + 1 != head)
                    .map_or(logits[order[head - 1] as usize], |&j| logits[j as usize]);
                let unchecked = (n - rank - 1) as f64;
                if self.temperature == 0.0 || unchecked * weight(next) < 1e-6 * mass {
                    return keep;
                }
            }
            rank += 1;
        }
        keep
    }
}
