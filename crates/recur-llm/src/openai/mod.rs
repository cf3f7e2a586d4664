//! OpenAI-compatible HTTP endpoints (`/v1/chat/completions`, `/v1/embeddings`): Ollama, vLLM,
//! llama.cpp's server, llama-cpp-python's server and hosted APIs.
//!
//! Servers differ in what they accept: schema-constrained output is asked for the way the
//! server understands (see [`StructuredMode`]), a server that ignores `n` gets the remaining
//! answers asked one by one, and only transient failures are retried.

mod http;
mod structured;

use std::sync::atomic::AtomicU8;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::json_schema::JsonSchema;
use crate::local::{FinishReason, Generation};
use crate::sampling::SamplingParams;
use crate::template::Message;

pub use structured::StructuredMode;

/// The chat path under the base URL.
const CHAT: &str = "/chat/completions";

/// Where and how to reach an endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointConfig {
    /// Base URL up to and including `/v1`, e.g. `http://localhost:11434/v1`.
    pub base_url: String,
    /// Bearer token, if the endpoint wants one.
    pub api_key: Option<String>,
    /// Model name the endpoint serves.
    pub model: String,
    /// Limit for one request.
    pub timeout: Duration,
    /// Attempts after the first on transient failures: connection errors, timeouts, 408, 429,
    /// 502, 503, 504 and plain 500s (never on other 4xx, nor on a 5xx saying "unsupported").
    pub retries: u32,
    /// First back-off pause (doubles after each retry).
    pub backoff: Duration,
}

impl EndpointConfig {
    /// Defaults for a base URL and model: 120 s timeout, 3 retries from 500 ms.
    pub fn new(base_url: &str, model: &str) -> EndpointConfig {
        EndpointConfig {
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key: None,
            model: model.to_owned(),
            timeout: Duration::from_secs(120),
            retries: 3,
            backoff: Duration::from_millis(500),
        }
    }
}

/// A client for one OpenAI-compatible endpoint.
#[derive(Debug)]
pub struct OpenAiClient {
    config: EndpointConfig,
    agent: ureq::Agent,
    /// The [`StructuredMode`] that worked, as its code (0: none yet).
    mode: AtomicU8,
}

impl OpenAiClient {
    /// A client; nothing is sent until the first call.
    pub fn new(config: EndpointConfig) -> OpenAiClient {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .build()
            .new_agent();
        OpenAiClient {
            config,
            agent,
            mode: AtomicU8::new(0),
        }
    }

    /// The endpoint's settings.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// The model and URL, and how structured output is asked for once that is known.
    pub fn describe(&self) -> String {
        let mut s = format!("{} at {}", self.config.model, self.config.base_url);
        if let Some(mode) = self.structured_mode() {
            s.push_str(&format!(" (structured output: {mode})"));
        }
        s
    }

    /// Chat completion: `params.n` answers (asked for with `n`; when the server gives fewer,
    /// the rest are asked one by one, answer `i` with seed `seed + i`). With `schema`, the
    /// server is asked for JSON of that shape (see [`StructuredMode`]) and every answer is
    /// checked against it.
    pub fn chat(
        &self,
        messages: &[Message],
        params: &SamplingParams,
        schema: Option<&JsonSchema>,
    ) -> Result<Vec<Generation>> {
        params.validate()?;
        let mut out = self.chat_request(messages, params, params.seed, params.n, schema)?;
        out.truncate(params.n);
        while out.len() < params.n {
            let seed = params.seed.wrapping_add(out.len() as u64);
            let more = self.chat_request(messages, params, seed, 1, schema)?;
            out.extend(more.into_iter().take(1));
        }
        Ok(out)
    }

    /// One chat request for `n` answers; at least one comes back.
    fn chat_request(
        &self,
        messages: &[Message],
        params: &SamplingParams,
        seed: u64,
        n: usize,
        schema: Option<&JsonSchema>,
    ) -> Result<Vec<Generation>> {
        let started = Instant::now();
        let mut body = json!({
            "model": self.config.model,
            "messages": messages,
            "temperature": params.temperature,
            "max_tokens": params.max_tokens,
            "seed": seed,
            "n": n,
        });
        if let Some(p) = params.top_p {
            body["top_p"] = json!(p);
        }
        if !params.stop.is_empty() {
            body["stop"] = json!(params.stop);
        }
        let (answer, mode) = match schema {
            Some(schema) => {
                let (answer, mode) = self.post_structured(&body, schema)?;
                (answer, Some((schema, mode)))
            }
            None => (self.post(CHAT, &body)?, None),
        };
        let url = self.url(CHAT);
        let bad = |what: &str| Error::BadAnswer {
            url: url.clone(),
            reason: format!(
                "{what}; is llm.endpoint an OpenAI-compatible /v1 URL? answer: {}",
                http::clip(&answer.to_string())
            ),
        };
        let choices = answer
            .get("choices")
            .and_then(Value::as_array)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| bad("no `choices`"))?;
        let usage = answer.get("usage");
        let count = |k: &str| {
            usage
                .and_then(|u| u.get(k))
                .and_then(Value::as_u64)
                .unwrap_or(0) as usize
        };
        let seconds = started.elapsed().as_secs_f64();
        choices
            .iter()
            .map(|c| {
                let text = c
                    .pointer("/message/content")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("a choice without message.content"))?;
                let cut_short = c.get("finish_reason").and_then(Value::as_str) == Some("length");
                let text = match mode {
                    Some((schema, mode)) => {
                        structured::check_answer(&url, text, schema, mode, cut_short)?
                    }
                    None => text.to_owned(),
                };
                let finish_reason = if cut_short {
                    FinishReason::Length
                } else if schema.is_some() {
                    FinishReason::Complete
                } else {
                    FinishReason::Stop
                };
                Ok(Generation {
                    text,
                    tokens: Vec::new(),
                    finish_reason,
                    prompt_tokens: count("prompt_tokens"),
                    completion_tokens: count("completion_tokens") / choices.len(),
                    prompt_seconds: 0.0,
                    generation_seconds: 0.0,
                    total_seconds: seconds,
                })
            })
            .collect()
    }

    /// Embeddings, one vector per text, in input order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let answer = self.post(
            "/embeddings",
            &json!({"model": self.config.model, "input": texts}),
        )?;
        let bad = |what: &str| Error::BadAnswer {
            url: self.url("/embeddings"),
            reason: format!("{what}; is embed.endpoint an OpenAI-compatible /v1 URL?"),
        };
        let data = answer
            .get("data")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no `data`"))?;
        let mut out = vec![Vec::new(); texts.len()];
        for (pos, item) in data.iter().enumerate() {
            let i = item
                .get("index")
                .and_then(Value::as_u64)
                .map_or(pos, |i| i as usize);
            let v = item
                .get("embedding")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("an item without `embedding`"))?;
            let slot = out.get_mut(i).ok_or_else(|| bad("index out of range"))?;
            *slot = v
                .iter()
                .map(|x| x.as_f64().unwrap_or(f64::NAN) as f32)
                .collect();
        }
        if out.iter().any(Vec::is_empty) {
            return Err(bad("fewer vectors than texts"));
        }
        Ok(out)
    }
}
