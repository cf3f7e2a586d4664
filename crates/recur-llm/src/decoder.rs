//! Quantised decoder-only transformers read from GGUF files.
//!
//! Llama-family models (Llama, SmolLM, Mistral-style and Qwen2, which adds q/k/v biases) are
//! implemented here so that every position's logits are available (perplexity) and weights can
//! be re-quantised at load; Gemma 3 uses candle-transformers' implementation (last position only).

use candle_core::{Device, Tensor};
use candle_transformers::models::quantized_gemma3;

use crate::error::{Error, Result};
use crate::gguf::GgufFile;
use crate::llama::Llama;
use crate::model_info::{ModelInfo, WeightFormat, count_types};

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
            // Re-quantisation to Q8_0 is for Llama-family models: Gemma 3 always runs with
            // its weights as shipped (whatever `format` asks), on candle's kernels.
            "gemma3" => {
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

    /// Whether the cache can be cut back to a shared prompt prefix (Llama family with the 8-bit
    /// path; Gemma 3 restarts at position 0).
    pub(crate) fn reuses_prefix(&self) -> bool {
        matches!(self, Decoder::Llama(m) if m.reuses_prefix())
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
