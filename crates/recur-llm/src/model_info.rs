//! What a loaded model is (shape facts) and how its weights are stored, shared by the
//! decoders.

use candle_core::quantized::GgmlDType;

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

pub(crate) fn count_types(types: impl Iterator<Item = GgmlDType>) -> Vec<(String, usize)> {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for t in types {
        *counts.entry(format!("{t:?}")).or_default() += 1;
    }
    counts.into_iter().collect()
}
