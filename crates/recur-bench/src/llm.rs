//! Prompt and generation speed of the local language model, like llama-bench.

use std::path::Path;
use std::time::Instant;

use recur_engine::llm::ComputeDevice;
use recur_engine::{LlmSettings, Result, open_local};
use recur_llm::SamplingParams;
use serde::Serialize;

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
    device: ComputeDevice,
) -> Result<LlmBench> {
    let t0 = Instant::now();
    let mut m = open_local(s, model, device)?;
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
        m.forget_cached_prompt();
        let g = m.generate(&prompt, &params, None, &mut |_| {})?.remove(0);
        // The local model always times both steps.
        pp.push(g.prompt_tokens_per_second().unwrap_or(0.0));
        tg.push(g.generation_tokens_per_second().unwrap_or(0.0));
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
