//! Quantised decoder-only transformers read from GGUF files.
//!
//! Llama-family models (Llama, SmolLM, Mistral-style and Qwen2, which adds q/k/v biases) are
//! implemented here so that every position's logits are available (perplexity) and weights can
//! be re-quantised at load; Gemma 3 uses candle-transformers' implementation (last position only).

use candle_core::quantized::GgmlDType;
use candle_core::{Device, Tensor};
use candle_transformers::models::quantized_gemma3;

use crate::error::{Error, Result};
use crate::gguf::GgufFile;
use crate::llama::Llama;

/// How to store the weights after loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightFormat {
    /// As shipped in the file.
    #[default]
    AsShipped,
    /// Re-quantise 4- and 5-bit blocks to Q8_0 at load (candle has SIMD kernels for Q8_0; it
    /// has none for Q4_1/Q5_x).
    Q8_0,
}

impl std::str::FromStr for WeightFormat {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "as-shipped" | "asshipped" | "native" => Ok(WeightFormat::AsShipped),
            "q8_0" | "q8" => Ok(WeightFormat::Q8_0),
            _ => Err(format!("unknown weight format `{s}` (as-shipped or q8_0)")),
        }
    }
}

/// Shape facts about a loaded model.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelInfo {
    /// `general.architecture`.
    pub architecture: String,
    /// `general.name`, when present.
    pub name: Option<String>,
    /// Transformer blocks.
    pub layers: usize,
    /// Hidden size.
    pub embedding: usize,
    /// Longest context the model was trained for (tokens).
    pub context_length: usize,
    /// Weight formats of the matrices after loading, with counts.
    pub weight_types: Vec<(String, usize)>,
    /// Whether prompts run on f32 copies of the weights (see `LocalOptions::dense_prompt_bytes`).
    pub dense_prompt: bool,
    /// Whether generated tokens take the 8-bit one-token decode path (Llama family with
    /// `q8_0` weights); otherwise candle's quantised kernels.
    pub decode_8bit: bool,
}

pub(crate) enum Decoder {
    Llama(Box<Llama>),
    Gemma3(Box<quantized_gemma3::ModelWeights>, Device),
}

impl Decoder {
    pub(crate) fn load(
        file: &mut GgufFile,
        device: &Device,
        format: WeightFormat,
        dense_limit: u64,
    ) -> Result<(Decoder, ModelInfo)> {
        let md = file.metadata();
        let arch = md.str("general.architecture")?.to_owned();
        let name = md.opt_str("general.name").map(str::to_owned);
        match arch.as_str() {
            "llama" | "qwen2" | "mistral" => {
                let (model, mut info) = Llama::load(file, &arch, device, format, dense_limit)?;
                info.name = name;
                Ok((Decoder::Llama(Box::new(model)), info))
            }
            "gemma3" => {
                if format != WeightFormat::AsShipped {
                    return Err(Error::BadRequest(
                        "re-quantisation to Q8_0 is available for Llama-family models only; load Gemma 3 files with llm.weights = \"as-shipped\" (or --weights as-shipped)".into(),
                    ));
                }
                let layers = md.u32("gemma3.block_count")? as usize;
                let embedding = md.u32("gemma3.embedding_length")? as usize;
                let context_length = md.opt_u32("gemma3.context_length").unwrap_or(8192) as usize;
                let weight_types =
                    count_types(file.content.tensor_infos.values().map(|t| t.ggml_dtype));
                let content = std::mem::replace(&mut file.content, empty_content());
                let model =
                    quantized_gemma3::ModelWeights::from_gguf(content, &mut file.reader, device)?;
                let info = ModelInfo {
                    architecture: arch,
                    name,
                    layers,
                    embedding,
                    context_length,
                    weight_types,
                    dense_prompt: false,
                    decode_8bit: false,
                };
                Ok((Decoder::Gemma3(Box::new(model), device.clone()), info))
            }
            other => Err(Error::BadModel {
                path: file.path.clone(),
                reason: format!(
                    "architecture `{other}` is not supported (llama, qwen2, mistral, gemma3 are)"
                ),
            }),
        }
    }

    /// Runs `tokens` at positions `pos..`; returns logits `[n, vocab]` for the last position, or
    /// for every position when `all` (Llama family only).
    pub(crate) fn forward(&mut self, tokens: &[u32], pos: usize, all: bool) -> Result<Tensor> {
        match self {
            Decoder::Llama(m) => m.forward(tokens, pos, all),
            Decoder::Gemma3(m, device) => {
                if all {
                    return Err(Error::BadRequest(
                        "per-position logits are not available for Gemma 3".into(),
                    ));
                }
                let x = Tensor::new(tokens, &*device)?.unsqueeze(0)?;
                Ok(m.forward(&x, pos)?)
            }
        }
    }

    pub(crate) fn supports_all_logits(&self) -> bool {
        matches!(self, Decoder::Llama(_))
    }
}

fn empty_content() -> candle_core::quantized::gguf_file::Content {
    candle_core::quantized::gguf_file::Content {
        magic: candle_core::quantized::gguf_file::VersionedMagic::GgufV3,
        metadata: Default::default(),
        tensor_infos: Default::default(),
        tensor_data_offset: 0,
    }
}

pub(crate) fn count_types(types: impl Iterator<Item = GgmlDType>) -> Vec<(String, usize)> {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for t in types {
        *counts.entry(format!("{t:?}")).or_default() += 1;
    }
    counts.into_iter().collect()
}
