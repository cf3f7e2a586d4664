//! The language runtime as use cases: open the configured generator and embedder (local model
//! or endpoint), perplexity, and a throughput benchmark.

use std::path::Path;
use std::time::{Duration, Instant};

use recur_llm::{
    Embed, EndpointConfig, Generate, LocalEmbedder, LocalModel, LocalOptions, Message,
    OpenAiClient, SamplingParams, WeightFormat,
};
use serde::Serialize;

use crate::config::{EmbedSettings, LlmSettings};
use crate::error::{Error, Result};

fn weights(s: &LlmSettings) -> Result<WeightFormat> {
    s.weights.parse().map_err(|hint| Error::BadSetting {
        key: "llm.weights".into(),
        value: s.weights.clone(),
        hint,
    })
}

fn endpoint(
    base: &str,
    model: &str,
    key: Option<String>,
    timeout: u32,
    what: &str,
) -> Result<OpenAiClient> {
    if model.is_empty() {
        return Err(Error::BadSetting {
            key: format!("{what}.endpoint_model"),
            value: String::new(),
            hint: format!("{what}.endpoint is set; also name the model the endpoint serves"),
        });
    }
    let mut cfg = EndpointConfig::new(base, model);
    cfg.api_key = key;
    cfg.timeout = Duration::from_secs(u64::from(timeout));
    Ok(OpenAiClient::new(cfg))
}

/// The configured text generator: the endpoint when `llm.endpoint` is set, else the local file.
pub fn open_generator(
    s: &LlmSettings,
    model: &Path,
    api_key: Option<String>,
) -> Result<Box<dyn Generate>> {
    if !s.endpoint.is_empty() {
        return Ok(Box::new(endpoint(
            &s.endpoint,
            &s.endpoint_model,
            api_key,
            s.timeout_seconds,
            "llm",
        )?));
    }
    Ok(Box::new(open_local(s, model)?))
}

/// The local GGUF model with the configured weight format.
pub fn open_local(s: &LlmSettings, model: &Path) -> Result<LocalModel> {
    Ok(LocalModel::load(
        model,
        &LocalOptions {
            weights: weights(s)?,
            ..LocalOptions::default()
        },
    )?)
}

/// The configured embedder.
pub fn open_embedder(
    s: &EmbedSettings,
    folder: &Path,
    api_key: Option<String>,
    timeout: u32,
) -> Result<Box<dyn Embed>> {
    if !s.endpoint.is_empty() {
        return Ok(Box::new(endpoint(
            &s.endpoint,
            &s.endpoint_model,
            api_key,
            timeout,
            "embed",
        )?));
    }
    Ok(Box::new(LocalEmbedder::load(folder)?))
}

/// One timing run of [`bench_llm`].
#[derive(Debug, Clone, Serialize)]
pub struct LlmBench {
    /// Model file.
    pub model: String,
    /// Weight format after loading.
    pub weights: String,
    /// Seconds to load.
    pub load_seconds: f64,
    /// Prompt length.
    pub prompt_tokens: usize,
    /// Tokens generated per run.
    pub generated_tokens: usize,
    /// Prompt-processing speed of each run (tokens/s).
    pub prompt_tokens_per_second: Vec<f64>,
    /// Generation speed of each run (tokens/s).
    pub generation_tokens_per_second: Vec<f64>,
    /// Medians.
    pub median_prompt_tokens_per_second: f64,
    /// Medians.
    pub median_generation_tokens_per_second: f64,
}

/// Prompt and generation speed like llama-bench: a prompt of `prompt_tokens` tokens, then
/// `gen_tokens` greedy tokens (end-of-turn ignored), `runs` times.
pub fn bench_llm(
    s: &LlmSettings,
    model: &Path,
    prompt_tokens: usize,
    gen_tokens: usize,
    runs: usize,
) -> Result<LlmBench> {
    let t0 = Instant::now();
    let mut m = open_local(s, model)?;
    let load_seconds = t0.elapsed().as_secs_f64();
    let base = m.tokenizer().encode(
        "The customer bought green tea, a ceramic teapot and two packs of biscuits. ",
        false,
    )?;
    let prompt: Vec<u32> = base
        .iter()
        .copied()
        .cycle()
        .take(prompt_tokens.max(1))
        .collect();
    let mut params = SamplingParams::greedy(gen_tokens.max(2));
    // llama-bench ignores end of sequence; here the prompt never ends a turn, and a stop token
    // simply ends a run early (its count is what is timed).
    params.stop.clear();
    let (mut pp, mut tg) = (Vec::new(), Vec::new());
    let mut generated = 0;
    for _ in 0..runs.max(1) {
        let g = m.generate(&prompt, &params, None, &mut |_| {})?.remove(0);
        pp.push(g.prompt_tokens_per_second());
        tg.push(g.generation_tokens_per_second());
        generated = g.completion_tokens;
    }
    Ok(LlmBench {
        model: model.display().to_string(),
        weights: format!("{:?}", m.info().weight_types),
        load_seconds,
        prompt_tokens: prompt.len(),
        generated_tokens: generated,
        median_prompt_tokens_per_second: median(&pp),
        median_generation_tokens_per_second: median(&tg),
        prompt_tokens_per_second: pp,
        generation_tokens_per_second: tg,
    })
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() { 0.0 } else { v[v.len() / 2] }
}

/// A chat of one user turn (and an optional system turn).
pub fn single_turn(system: Option<&str>, prompt: &str) -> Vec<Message> {
    let mut m = Vec::new();
    if let Some(s) = system {
        m.push(Message::system(s));
    }
    m.push(Message::user(prompt));
    m
}
