//! Sentence embeddings with a BERT-family model (all-MiniLM-L6-v2 by default): attention-mask
//! mean pooling over the last hidden states, then L2 normalisation, as sentence-transformers
//! does. On the CPU the texts of a batch are packed without padding (`crate::bert`); on other
//! devices candle's `BertModel` runs them, batched by length so that each batch is padded only
//! to its longest text.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use recur_core::ComputeDevice;

use crate::bert::CpuBert;
use crate::device::candle_device;
use crate::error::{Error, Result};

/// Which encoder runs the model.
enum Encoder {
    /// The packed CPU encoder.
    Cpu(CpuBert),
    /// candle's `BertModel` (other devices, or a model the CPU encoder does not support).
    Candle(BertModel),
}

/// A local sentence-embedding model.
pub struct LocalEmbedder {
    dir: PathBuf,
    model: Encoder,
    tokenizer: Tokenizer,
    dim: usize,
    batch: usize,
    device: Device,
}

impl std::fmt::Debug for LocalEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalEmbedder")
            .field("dir", &self.dir)
            .field("dim", &self.dim)
            .finish()
    }
}

impl LocalEmbedder {
    /// Loads `config.json`, `model.safetensors` and `tokenizer.json` from a folder, on the CPU.
    pub fn load(dir: &Path) -> Result<LocalEmbedder> {
        Self::load_on(dir, ComputeDevice::Cpu)
    }

    /// Like [`LocalEmbedder::load`], on `device`.
    pub fn load_on(dir: &Path, device: ComputeDevice) -> Result<LocalEmbedder> {
        let device = candle_device(device)?;
        let file = |name: &str| -> Result<PathBuf> {
            let p = dir.join(name);
            if p.is_file() {
                Ok(p)
            } else {
                Err(Error::ModelNotFound {
                    path: p,
                    hint: "run scripts/setup-models for the default embedding model, or point embed.model at a folder with config.json, model.safetensors and tokenizer.json".into(),
                })
            }
        };
        let read = |p: &Path| {
            std::fs::read(p).map_err(|source| Error::Io {
                path: p.to_owned(),
                source,
            })
        };
        let config_path = file("config.json")?;
        let config: Config =
            serde_json::from_slice(&read(&config_path)?).map_err(|e| Error::BadModel {
                path: config_path.clone(),
                reason: format!("not a BERT config: {e}"),
            })?;
        let weights = file("model.safetensors")?;
        let vb = VarBuilder::from_buffered_safetensors(read(&weights)?, DType::F32, &device)?;
        let bad = |e: candle_core::Error| Error::BadModel {
            path: weights.clone(),
            reason: e.to_string(),
        };
        let cpu = if device.is_cpu() {
            CpuBert::load(vb.clone(), &config).map_err(bad)?
        } else {
            None
        };
        let model = match cpu {
            Some(m) => Encoder::Cpu(m),
            None => Encoder::Candle(BertModel::load(vb, &config).map_err(bad)?),
        };
        let tok_path = file("tokenizer.json")?;
        let mut tokenizer = Tokenizer::from_file(&tok_path).map_err(|e| Error::BadModel {
            path: tok_path.clone(),
            reason: e.to_string(),
        })?;
        // The shipped tokenizer pads every text to 128 tokens; pad each batch to its longest text
        // instead (the mask keeps padding out of the mean either way). sentence-transformers
        // truncates at max_seq_length (256 for MiniLM), not at the tokenizer's 128.
        let max_len = std::fs::read(dir.join("sentence_bert_config.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v.get("max_seq_length").and_then(serde_json::Value::as_u64))
            .map_or(256, |n| n as usize)
            .min(config.max_position_embeddings);
        let pad_id = tokenizer.get_padding().map_or(0, |p| p.pad_id);
        let pad_token = tokenizer
            .get_padding()
            .map_or_else(|| "[PAD]".to_owned(), |p| p.pad_token.clone());
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            pad_id,
            pad_token,
            ..Default::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_len,
                ..Default::default()
            }))
            .map_err(Error::tokenizer)?;
        Ok(LocalEmbedder {
            dir: dir.to_owned(),
            model,
            tokenizer,
            dim: config.hidden_size,
            batch: 32,
            device,
        })
    }

    /// Vector length.
    pub fn dimension(&self) -> usize {
        self.dim
    }

    /// Token ids the model sees for `text` (with `[CLS]` and `[SEP]`).
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>> {
        Ok(self
            .tokenizer
            .encode(text, true)
            .map_err(Error::tokenizer)?
            .get_ids()
            .to_vec())
    }

    /// One unit-length vector per text, in input order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let mut out = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(self.batch) {
            let batch: Vec<&str> = chunk.iter().map(|&i| texts[i]).collect();
            let vectors = self.embed_batch(&batch)?;
            for (&i, v) in chunk.iter().zip(vectors) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let enc = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(Error::tokenizer)?;
        let model = match &self.model {
            Encoder::Cpu(m) => {
                // Padding sits at the end; the packed encoder takes each text's own tokens.
                let seqs: Vec<&[u32]> = enc
                    .iter()
                    .map(|e| {
                        let n = e.get_attention_mask().iter().filter(|&&m| m != 0).count();
                        &e.get_ids()[..n]
                    })
                    .collect();
                return m.embed(&seqs);
            }
            Encoder::Candle(m) => m,
        };
        let dev = &self.device;
        let ids: Vec<Tensor> = enc
            .iter()
            .map(|e| Tensor::new(e.get_ids(), dev))
            .collect::<candle_core::Result<_>>()?;
        let mask: Vec<Tensor> = enc
            .iter()
            .map(|e| Tensor::new(e.get_attention_mask(), dev))
            .collect::<candle_core::Result<_>>()?;
        let ids = Tensor::stack(&ids, 0)?;
        let mask = Tensor::stack(&mask, 0)?;
        let types = ids.zeros_like()?;
        let hidden = model.forward(&ids, &types, Some(&mask))?;
        let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&m)?.sum(1)?;
        let counts = m.sum(1)?.clamp(1e-9, f64::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        Ok(mean.broadcast_div(&norm)?.to_vec2()?)
    }
}

/// Cosine similarity of two vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb).max(1e-12)
}
