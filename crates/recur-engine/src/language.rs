//! The language runtime as use cases: open the configured generator and embedder (local model
//! or endpoint). (Its throughput benchmark is `recur-bench`'s.)

use std::path::Path;
use std::time::Duration;

use recur_core::ComputeDevice;

use recur_llm::{
    Embed, EndpointConfig, Generate, LocalEmbedder, LocalModel, LocalOptions, Message,
    OpenAiClient, WeightFormat,
};

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
    device: ComputeDevice,
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
    Ok(Box::new(open_local(s, model, device)?))
}

/// The local GGUF model with the configured weight format, on `device`.
pub fn open_local(s: &LlmSettings, model: &Path, device: ComputeDevice) -> Result<LocalModel> {
    Ok(LocalModel::load(
        model,
        &LocalOptions {
            weights: weights(s)?,
            device,
            ..LocalOptions::default()
        },
    )?)
}

/// The configured embedder (shareable between threads: a server's requests use one).
pub fn open_embedder(
    s: &EmbedSettings,
    folder: &Path,
    api_key: Option<String>,
    timeout: u32,
    device: ComputeDevice,
) -> Result<Box<dyn Embed + Send + Sync>> {
    if !s.endpoint.is_empty() {
        return Ok(Box::new(endpoint(
            &s.endpoint,
            &s.endpoint_model,
            api_key,
            timeout,
            "embed",
        )?));
    }
    Ok(Box::new(LocalEmbedder::load_on(folder, device)?))
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
