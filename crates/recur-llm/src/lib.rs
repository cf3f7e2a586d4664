//! recur's language runtime: a local GGUF language model and sentence embeddings in pure Rust
//! (candle), or any OpenAI-compatible endpoint behind the same two traits.
//!
//! - [`LocalModel`]: Llama-family (Llama, SmolLM, Qwen2) and Gemma 3 GGUF files; the tokenizer
//!   is built from the file's metadata, chats are rendered with the file's own Jinja template
//!   (ChatML when it has none); temperature / top-k / top-p / repetition-penalty sampling with a
//!   seed, stop sequences, streaming that never splits a character, JSON-schema-constrained
//!   output, and perplexity.
//! - [`LocalEmbedder`]: BERT sentence embeddings (all-MiniLM-L6-v2), mean-pooled and normalised.
//! - [`OpenAiClient`]: `/v1/chat/completions` and `/v1/embeddings` with timeouts, retries of
//!   transient failures, and schema-constrained output in whichever [`StructuredMode`] the
//!   server accepts.
//!
//! ```no_run
//! use recur_llm::{JsonSchema, LocalModel, LocalOptions, Message, SamplingParams};
//!
//! # fn main() -> Result<(), recur_llm::Error> {
//! let mut model = LocalModel::load("models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf".as_ref(), &LocalOptions::default())?;
//! let schema = JsonSchema::parse(r#"{"type":"object","required":["subject"],"properties":{"subject":{"type":"string","maxLength":60}}}"#)?;
//! let params = SamplingParams { seed: 1, max_tokens: 80, ..SamplingParams::default() };
//! let answers = model.chat(&[Message::user("Write an e-mail subject about tea.")], &params, Some(&schema), &mut |_| {})?;
//! let doc: serde_json::Value = serde_json::from_str(&answers[0].text).unwrap();
//! assert!(doc["subject"].is_string());
//! # Ok(())
//! # }
//! ```

mod backend;
mod bert;
mod bert_ops;
mod decoder;
mod device;
mod embed;
mod error;
mod fast;
mod gguf;
mod json_schema;
mod llama;
mod local;
mod model_info;
mod openai;
mod sampling;
mod template;
mod threads;
mod tokenizer;

pub use backend::{Embed, Generate};
pub use device::candle_device;
pub use embed::{LocalEmbedder, cosine};
pub use error::{Error, Result};
pub use json_schema::JsonSchema;
pub use local::{FinishReason, Generation, LocalModel, LocalOptions, Perplexity};
pub use model_info::{ModelInfo, WeightFormat};
pub use openai::{EndpointConfig, OpenAiClient, StructuredMode};
pub use recur_core::ComputeDevice;
pub use sampling::SamplingParams;
pub use template::{CHATML, ChatTemplate, Message};
pub use tokenizer::{SUPPORTED_PRE, TextTokenizer, TokenStream};
