//! OpenAI-compatible HTTP endpoints (`/v1/chat/completions`, `/v1/embeddings`): Ollama, vLLM,
//! llama.cpp's server and hosted APIs.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::json_schema::JsonSchema;
use crate::local::{FinishReason, Generation};
use crate::sampling::SamplingParams;
use crate::template::Message;

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
    /// Attempts after the first on connection errors, 408, 429 and 5xx.
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
}

impl OpenAiClient {
    /// A client; nothing is sent until the first call.
    pub fn new(config: EndpointConfig) -> OpenAiClient {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .build()
            .new_agent();
        OpenAiClient { config, agent }
    }

    /// The endpoint's settings.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    fn post(&self, path: &str, body: &Value) -> Result<Value> {
        let url = format!("{}{path}", self.config.base_url);
        let text = serde_json::to_string(body).map_err(|e| Error::BadRequest(e.to_string()))?;
        let mut pause = self.config.backoff;
        let mut attempt = 0;
        loop {
            let mut req = self
                .agent
                .post(&url)
                .header("Content-Type", "application/json");
            if let Some(key) = &self.config.api_key {
                req = req.header("Authorization", &format!("Bearer {key}"));
            }
            let retryable = match req.send(&text) {
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    let body = resp.body_mut().read_to_string().unwrap_or_default();
                    if (200..300).contains(&status) {
                        return serde_json::from_str(&body).map_err(|e| Error::Unreachable {
                            url: url.clone(),
                            reason: format!("the answer is not JSON ({e}): {}", clip(&body)),
                        });
                    }
                    let err = Error::Http {
                        url: url.clone(),
                        status,
                        body: clip(&body),
                    };
                    if !(status == 408 || status == 429 || status >= 500) {
                        return Err(err);
                    }
                    err
                }
                Err(e) => Error::Unreachable {
                    url: url.clone(),
                    reason: format!("{e} (is the server running? check llm.endpoint)"),
                },
            };
            if attempt >= self.config.retries {
                return Err(retryable);
            }
            attempt += 1;
            std::thread::sleep(pause);
            pause *= 2;
        }
    }

    /// Chat completion; `schema` asks the server for JSON of that shape (`response_format`)
    /// and the answer is checked against it.
    pub fn chat(
        &self,
        messages: &[Message],
        params: &SamplingParams,
        schema: Option<&JsonSchema>,
    ) -> Result<Vec<Generation>> {
        params.validate()?;
        let started = Instant::now();
        let mut body = json!({
            "model": self.config.model,
            "messages": messages,
            "temperature": params.temperature,
            "max_tokens": params.max_tokens,
            "seed": params.seed,
            "n": params.n,
        });
        if let Some(p) = params.top_p {
            body["top_p"] = json!(p);
        }
        if !params.stop.is_empty() {
            body["stop"] = json!(params.stop);
        }
        if let Some(schema) = schema {
            body["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "answer", "schema": schema.raw(), "strict": true}});
        }
        let answer = self.post("/chat/completions", &body)?;
        let bad = |what: &str| Error::Unreachable {
            url: format!("{}/chat/completions", self.config.base_url),
            reason: format!("unexpected answer: {what}"),
        };
        let choices = answer
            .get("choices")
            .and_then(Value::as_array)
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
                    .ok_or_else(|| bad("a choice without message.content"))?
                    .to_owned();
                if let Some(schema) = schema {
                    let doc: Value = serde_json::from_str(&text)
                        .map_err(|e| bad(&format!("the answer is not JSON: {e}")))?;
                    schema
                        .validate(&doc)
                        .map_err(|e| bad(&format!("the answer does not match the schema: {e}")))?;
                }
                let finish_reason = match c.get("finish_reason").and_then(Value::as_str) {
                    Some("length") => FinishReason::Length,
                    _ if schema.is_some() => FinishReason::Complete,
                    _ => FinishReason::Stop,
                };
                Ok(Generation {
                    text,
                    tokens: Vec::new(),
                    finish_reason,
                    prompt_tokens: count("prompt_tokens"),
                    completion_tokens: count("completion_tokens") / choices.len().max(1),
                    prompt_seconds: 0.0,
                    generation_seconds: seconds,
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
        let bad = |what: &str| Error::Unreachable {
            url: format!("{}/embeddings", self.config.base_url),
            reason: format!("unexpected answer: {what}"),
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

fn clip(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}
