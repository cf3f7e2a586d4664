//! The local runtime: a GGUF model, its tokenizer and chat template, generation and perplexity.

use std::path::{Path, PathBuf};
use std::time::Instant;

use recur_core::ComputeDevice;
use serde::Serialize;

use crate::decoder::Decoder;
use crate::device::candle_device;
use crate::error::{Error, Result};
use crate::gguf::GgufFile;
use crate::json_schema::{JsonSchema, Matcher};
use crate::model_info::{ModelInfo, WeightFormat};
use crate::sampling::{Sampler, SamplingParams};
use crate::template::{ChatTemplate, Message};
use crate::tokenizer::{TextTokenizer, TokenStream};

/// Why generation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model ended its turn.
    Stop,
    /// A stop sequence appeared.
    StopSequence,
    /// The JSON document is complete.
    Complete,
    /// `max_tokens` was reached.
    Length,
}

/// One generated answer.
#[derive(Debug, Clone, Serialize)]
pub struct Generation {
    /// The answer.
    pub text: String,
    /// The generated token ids (empty for HTTP endpoints).
    pub tokens: Vec<u32>,
    /// Why it ended.
    pub finish_reason: FinishReason,
    /// Prompt tokens run (tokens shared with the previous prompt, whose keys and values were
    /// still cached, are not run again and not counted).
    pub prompt_tokens: usize,
    /// Tokens generated.
    pub completion_tokens: usize,
    /// Seconds spent on the prompt (0 when not known: HTTP endpoints do not say).
    pub prompt_seconds: f64,
    /// Seconds spent generating (0 when not known: HTTP endpoints do not say).
    pub generation_seconds: f64,
    /// Seconds for the whole answer: prompt and generation, or the HTTP request.
    pub total_seconds: f64,
}

impl Generation {
    /// Prompt tokens per second, when the prompt's time is known.
    pub fn prompt_tokens_per_second(&self) -> Option<f64> {
        (self.prompt_seconds > 0.0).then(|| self.prompt_tokens as f64 / self.prompt_seconds)
    }
    /// Generated tokens per second (the first token comes with the prompt and is not counted),
    /// when the generation's time is known.
    pub fn generation_tokens_per_second(&self) -> Option<f64> {
        (self.generation_seconds > 0.0)
            .then(|| self.completion_tokens.saturating_sub(1) as f64 / self.generation_seconds)
    }
}

/// Perplexity of a text under the model.
#[derive(Debug, Clone, Serialize)]
pub struct Perplexity {
    /// Tokens scored (all but the first).
    pub tokens: usize,
    /// Mean negative log-likelihood per token (nats).
    pub mean_nll: f64,
    /// exp(mean_nll).
    pub perplexity: f64,
    /// Context window used (tokens).
    pub window: usize,
    /// Seconds taken.
    pub seconds: f64,
}

/// Options for loading a local model.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// Weight storage after loading.
    pub weights: WeightFormat,
    /// A chat template to use instead of the file's own.
    pub chat_template: Option<String>,
    /// Keep f32 copies of the weight matrices for prompt processing when they take at most
    /// this many bytes (0: never). Default 1 GiB: small models (SmolLM2-135M needs 0.6 GB)
    /// process prompts several times faster; large ones stay quantised only.
    pub dense_prompt_bytes: u64,
    /// Where the model runs (the 8-bit decode path is CPU-only; on a GPU candle's kernels run).
    pub device: ComputeDevice,
}

impl Default for LocalOptions {
    fn default() -> Self {
        LocalOptions {
            weights: WeightFormat::default(),
            chat_template: None,
            dense_prompt_bytes: 1 << 30,
            device: ComputeDevice::Cpu,
        }
    }
}

/// How many leading tokens `a` and `b` share.
fn shared_prefix(a: &[u32], b: &[u32]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// A GGUF model on this machine.
pub struct LocalModel {
    path: PathBuf,
    decoder: Decoder,
    tokenizer: TextTokenizer,
    template: ChatTemplate,
    info: ModelInfo,
    /// Prompt tokens whose keys and values sit at the start of the cache: a prompt that begins
    /// with them (campaign drafts share their instructions) runs only the rest.
    cached: Vec<u32>,
}

impl std::fmt::Debug for LocalModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalModel")
            .field("path", &self.path)
            .field("info", &self.info)
            .finish()
    }
}

impl LocalModel {
    /// Loads a GGUF file (CPU).
    pub fn load(path: &Path, options: &LocalOptions) -> Result<LocalModel> {
        LocalModel::from_gguf(GgufFile::open(path)?, options)
    }

    /// Loads a GGUF model from the bytes of its file, held in memory; `label` names it in
    /// messages (the parsers' fuzz harness drives this).
    pub fn load_bytes(label: &Path, bytes: Vec<u8>, options: &LocalOptions) -> Result<LocalModel> {
        LocalModel::from_gguf(GgufFile::from_bytes(label, bytes)?, options)
    }

    fn from_gguf(mut file: GgufFile, options: &LocalOptions) -> Result<LocalModel> {
        let path = file.path.clone();
        let path = path.as_path();
        let md = file.metadata();
        let tokenizer = TextTokenizer::from_metadata(md)?;
        let token_text = |key: &str| -> String {
            md.opt_u32(key)
                .map(|id| String::from_utf8_lossy(tokenizer.token_bytes(id)).into_owned())
                .filter(|s| !s.is_empty())
                .or_else(|| {
                    let id = md.opt_u32(key)?;
                    md.strings("tokenizer.ggml.tokens")
                        .ok()?
                        .get(id as usize)
                        .map(|s| (*s).to_owned())
                })
                .unwrap_or_default()
        };
        let (bos, eos) = (
            token_text("tokenizer.ggml.bos_token_id"),
            token_text("tokenizer.ggml.eos_token_id"),
        );
        let template = match (
            &options.chat_template,
            md.opt_str("tokenizer.chat_template"),
        ) {
            (Some(src), _) => ChatTemplate::new(src, &bos, &eos, false)?,
            (None, Some(src)) => ChatTemplate::new(src, &bos, &eos, true)?,
            (None, None) => ChatTemplate::chatml(),
        };
        let device = candle_device(options.device)?;
        let (decoder, info) = Decoder::load(
            &mut file,
            &device,
            options.weights,
            options.dense_prompt_bytes,
        )?;
        Ok(LocalModel {
            path: path.to_owned(),
            decoder,
            tokenizer,
            template,
            info,
            cached: Vec::new(),
        })
    }

    /// The model file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Shape facts.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }

    /// The chat template.
    pub fn template(&self) -> &ChatTemplate {
        &self.template
    }

    /// Renders a chat with the model's template, ready for the assistant's answer.
    pub fn chat_prompt(&self, messages: &[Message]) -> Result<Vec<u32>> {
        let text = self.template.render(messages, true)?;
        self.tokenizer.encode(&text, true)
    }

    /// Answers a chat; `schema` constrains the answer to JSON of that shape; `on_text` receives
    /// the first answer's text as it is generated.
    pub fn chat(
        &mut self,
        messages: &[Message],
        params: &SamplingParams,
        schema: Option<&JsonSchema>,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Vec<Generation>> {
        let prompt = self.chat_prompt(messages)?;
        self.generate(&prompt, params, schema, on_text)
    }

    /// Continues raw text (no chat template).
    pub fn complete(
        &mut self,
        text: &str,
        params: &SamplingParams,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Vec<Generation>> {
        let prompt = self.tokenizer.encode(text, true)?;
        self.generate(&prompt, params, None, on_text)
    }

    /// Generates `params.n` answers to a tokenised prompt.
    pub fn generate(
        &mut self,
        prompt: &[u32],
        params: &SamplingParams,
        schema: Option<&JsonSchema>,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Vec<Generation>> {
        params.validate()?;
        if prompt.is_empty() {
            return Err(Error::BadRequest("the prompt is empty".into()));
        }
        let mut out = Vec::with_capacity(params.n);
        for i in 0..params.n {
            let mut sink = |s: &str| {
                if i == 0 {
                    on_text(s)
                }
            };
            out.push(self.generate_one(
                prompt,
                params,
                params.seed.wrapping_add(i as u64),
                schema,
                &mut sink,
            )?);
        }
        Ok(out)
    }

    fn generate_one(
        &mut self,
        prompt: &[u32],
        params: &SamplingParams,
        seed: u64,
        schema: Option<&JsonSchema>,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation> {
        let context = self.info.context_length;
        if prompt.len() >= context {
            return Err(Error::BadRequest(format!(
                "the prompt has {} tokens; the model's context is {context}",
                prompt.len()
            )));
        }
        let room = context - prompt.len();
        let max_new = params.max_tokens.min(room);
        let mut sampler = Sampler::new(params, seed);
        let mut matcher: Option<Matcher> = schema.map(JsonSchema::matcher);
        let mut history: Vec<u32> = prompt.to_vec();
        let mut stream = TokenStream::new(&self.tokenizer);
        let mut text = String::new();
        let mut emitted = 0usize;
        let stop_ids = self.tokenizer.stop_ids().to_vec();
        let started = Instant::now();
        // Reuse the cached prefix this prompt shares with the last one (at least the last prompt
        // token runs, for its logits).
        let reuse = if self.decoder.reuses_prefix() {
            shared_prefix(&self.cached, prompt).min(prompt.len() - 1)
        } else {
            0
        };
        self.cached.clear();
        let mut logits = self.decoder.forward(&prompt[reuse..], reuse, false)?;
        self.cached = prompt.to_vec();
        let prompt_seconds = started.elapsed().as_secs_f64();
        let gen_started = Instant::now();
        let mut finish = FinishReason::Length;
        let mut generated = 0usize;
        // With a schema, max_tokens bounds the free text: when it runs short the matcher takes
        // the shortest way to a complete document, which may need a few more tokens.
        let hard_cap = if matcher.is_some() {
            room.min(max_new + 1024)
        } else {
            max_new
        };
        while generated < hard_cap {
            let row: Vec<f32> = logits.squeeze(0)?.to_vec1()?;
            if let Some(m) = matcher.as_mut()
                && max_new.saturating_sub(generated) <= m.min_remaining() + 1
            {
                m.close();
            }
            let next = {
                let tok = &self.tokenizer;
                match matcher.as_ref() {
                    Some(m) => {
                        // A token whose first byte cannot come next needs no further check.
                        let first = m.first_bytes();
                        let allowed = |id: u32| {
                            let bytes = tok.token_bytes(id);
                            bytes.first().is_some_and(|&b| first[usize::from(b)])
                                && !tok.is_special(id)
                                && m.accepts(bytes)
                        };
                        sampler.pick(row, &history, Some(&allowed))?
                    }
                    None => sampler.pick(row, &history, None)?,
                }
            };
            generated += 1;
            history.push(next);
            if matcher.is_none() && stop_ids.contains(&next) {
                finish = FinishReason::Stop;
                break;
            }
            text.push_str(&stream.push(next));
            if let Some(m) = matcher.as_mut() {
                m.advance(self.tokenizer.token_bytes(next));
                if m.done() {
                    finish = FinishReason::Complete;
                    break;
                }
            }
            if let Some(cut) = find_stop(&text, &params.stop) {
                text.truncate(cut);
                finish = FinishReason::StopSequence;
                break;
            }
            let safe = text.len() - held_back(&text, &params.stop);
            if safe > emitted {
                on_text(&text[emitted..safe]);
                emitted = safe;
            }
            if generated < hard_cap {
                logits = self.decoder.forward(&[next], history.len() - 1, false)?;
            }
        }
        if finish != FinishReason::StopSequence {
            text.push_str(&stream.finish());
        }
        if text.len() > emitted {
            on_text(&text[emitted..]);
        }
        Ok(Generation {
            text,
            tokens: history[prompt.len()..].to_vec(),
            finish_reason: finish,
            prompt_tokens: prompt.len() - reuse,
            completion_tokens: generated,
            prompt_seconds,
            generation_seconds: gen_started.elapsed().as_secs_f64(),
            total_seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// Runs the next prompt in full, even where it begins like the last one (for timing).
    pub fn forget_cached_prompt(&mut self) {
        self.cached.clear();
    }

    /// Logits for the token after `tokens`, which are placed at positions `pos..` after the
    /// `pos` tokens already in the cache (a single token takes the 8-bit decode path when the
    /// model has one; several take the prompt path).
    pub fn next_logits(&mut self, tokens: &[u32], pos: usize) -> Result<Vec<f32>> {
        self.cached.clear();
        Ok(self
            .decoder
            .forward(tokens, pos, false)?
            .flatten_all()?
            .to_vec1::<f32>()?)
    }

    /// Perplexity of `text`, scored in windows of `window` tokens (each window starts fresh).
    pub fn perplexity(&mut self, text: &str, window: usize) -> Result<Perplexity> {
        self.cached.clear();
        if !self.decoder.supports_all_logits() {
            return Err(Error::BadRequest(format!(
                "perplexity is not available for {} models",
                self.info.architecture
            )));
        }
        let window = window.clamp(2, self.info.context_length);
        let ids = self.tokenizer.encode(text, true)?;
        if ids.len() < 2 {
            return Err(Error::BadRequest(
                "the text has fewer than two tokens".into(),
            ));
        }
        let started = Instant::now();
        let (mut nll, mut n) = (0f64, 0usize);
        for chunk in ids.chunks(window) {
            if chunk.len() < 2 {
                continue;
            }
            let logits = self.decoder.forward(chunk, 0, true)?;
            let lsm = candle_nn::ops::log_softmax(&logits, candle_core::D::Minus1)?;
            let rows: Vec<Vec<f32>> = lsm.to_vec2()?;
            for (pos, row) in rows.iter().enumerate().take(chunk.len() - 1) {
                nll -= f64::from(row[chunk[pos + 1] as usize]);
                n += 1;
            }
        }
        let mean = nll / n as f64;
        Ok(Perplexity {
            tokens: n,
            mean_nll: mean,
            perplexity: mean.exp(),
            window,
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}

/// Byte offset of the first stop sequence in `text`.
fn find_stop(text: &str, stops: &[String]) -> Option<usize> {
    stops.iter().filter_map(|s| text.find(s.as_str())).min()
}

/// Bytes at the end of `text` that could be the start of a stop sequence (held back while
/// streaming), on a character boundary.
fn held_back(text: &str, stops: &[String]) -> usize {
    let mut keep = 0;
    for s in stops {
        for (i, _) in s.char_indices().skip(1) {
            if text.ends_with(&s[..i]) {
                keep = keep.max(i);
            }
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_sequences_are_found_and_prefixes_held_back() {
        let stops = vec!["\nUser:".to_owned(), "END".to_owned()];
        assert_eq!(find_stop("hello\nUser: hi", &stops), Some(5));
        assert_eq!(find_stop("hello", &stops), None);
        assert_eq!(held_back("hello\nUs", &stops), 3);
        assert_eq!(held_back("hello EN", &stops), 2);
        assert_eq!(held_back("hello", &stops), 0);
    }
}
