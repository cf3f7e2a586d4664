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
            let mut any = false;
            for (i, l) in logits.iter_mut().enumerate() {
                if allowed(i as u32) {
                    any = true;
                } else {
                    *l = f32::NEG_INFINITY;
                }
            }
            if !any {
                return Err(Error::BadRequest(
                    "no token of the vocabulary can continue the constrained output".into(),
                ));
            }
        }
        let n = logits.len();
        let t = Tensor::from_vec(logits, n, &Device::Cpu)?;
        Ok(self.inner.sample(&t)?)
    }
}
