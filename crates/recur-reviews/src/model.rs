//! The sentiment model: feature settings, inverse document frequencies and the weights of a
//! multinomial logistic regression (the first class is the reference), with a temperature
//! that calibrates its probabilities. Saved as `config.json` plus `weights.bin`
//! (little-endian f32: the idf of every bucket, then each non-reference class's weights).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::features::{FeatureSettings, raw_features, tf_idf};

/// The config file of a saved model.
pub const CONFIG_FILE: &str = "config.json";
/// The weights file of a saved model.
pub const WEIGHTS_FILE: &str = "weights.bin";
const FORMAT_VERSION: u32 = 1;

/// A review's polarity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Polarity {
    /// Dissatisfied.
    Negative,
    /// Neither.
    Neutral,
    /// Satisfied.
    Positive,
}

impl Polarity {
    /// The label stars give: 1-2 negative, 3 neutral, 4-5 positive; `None` outside 1-5.
    pub fn from_stars(stars: i64) -> Option<Polarity> {
        match stars {
            1 | 2 => Some(Polarity::Negative),
            3 => Some(Polarity::Neutral),
            4 | 5 => Some(Polarity::Positive),
            _ => None,
        }
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Polarity::Negative => "negative",
            Polarity::Neutral => "neutral",
            Polarity::Positive => "positive",
        }
    }
}

impl std::fmt::Display for Polarity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The model's verdict on one text.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prediction {
    /// The most probable polarity.
    pub label: Polarity,
    /// Calibrated probability of negative.
    pub negative: f32,
    /// Calibrated probability of neutral (0 for a two-way model).
    pub neutral: f32,
    /// Calibrated probability of positive.
    pub positive: f32,
}

/// What a model was trained with and how it did on its validation split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Version of the file layout.
    pub format_version: u32,
    /// Features.
    pub features: FeatureSettings,
    /// Classes in order; the first is the reference (logit 0).
    pub classes: Vec<Polarity>,
    /// Bias of each non-reference class.
    pub biases: Vec<f32>,
    /// Logits are divided by it before the softmax (fitted on the validation split).
    pub temperature: f32,
    /// Two classes: the second (positive) is predicted when its probability reaches this
    /// (chosen on held-out reviews); three classes: 0.5, the most probable class wins.
    pub threshold: f32,
    /// L2 penalty chosen on the validation split.
    pub lambda: f64,
    /// Whether classes were weighted to equal total weight.
    pub balanced: bool,
    /// Training examples (the validation split included).
    pub examples: usize,
    /// Accuracy on the validation split.
    pub validation_accuracy: f64,
    /// Macro-F1 on the validation split.
    pub validation_macro_f1: f64,
}

/// A trained sentiment classifier.
#[derive(Debug, Clone)]
pub struct SentimentModel {
    pub(crate) config: ModelConfig,
    /// Per bucket: its idf, then each non-reference class's weight (one cache line per
    /// feature when classifying).
    pub(crate) packed: Vec<f32>,
}

impl SentimentModel {
    /// A model from its config, the idf of every bucket and each non-reference class's
    /// weights (class-major).
    pub(crate) fn new(config: ModelConfig, idf: &[f32], weights: &[f32]) -> SentimentModel {
        let d = idf.len();
        let stride = config.classes.len();
        let mut packed = vec![0f32; d * stride];
        for (b, row) in packed.chunks_exact_mut(stride).enumerate() {
            row[0] = idf[b];
            for c in 1..stride {
                row[c] = weights[(c - 1) * d + b];
            }
        }
        SentimentModel { config, packed }
    }

    /// Its settings and validation scores.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// Calibrated class probabilities of `text`, in [`ModelConfig::classes`] order.
    pub fn probabilities(&self, text: &str) -> Vec<f32> {
        let raw = raw_features(text, &self.config.features);
        let k = self.config.classes.len();
        // Dot products and the norm in one pass: z_c = b_c + w_c · x / |x|.
        let (mut norm, mut dots) = (0f32, [0f32; 2]);
        for &(j, tf) in &raw {
            let row = &self.packed[j as usize * k..(j as usize + 1) * k];
            let v = tf_idf(tf, row[0]);
            norm += v * v;
            for (dot, w) in dots.iter_mut().zip(&row[1..]) {
                *dot += w * v;
            }
        }
        let norm = if norm > 0.0 { norm.sqrt() } else { 1.0 };
        let mut z = vec![0f32; k];
        for (c, zc) in z.iter_mut().enumerate().skip(1) {
            *zc = self.config.biases[c - 1] + dots[c - 1] / norm;
        }
        let t = self.config.temperature.max(1e-3);
        let m = z.iter().fold(f32::MIN, |a, &b| a.max(b / t));
        let e: Vec<f32> = z.iter().map(|&v| (v / t - m).exp()).collect();
        let s: f32 = e.iter().sum();
        e.into_iter().map(|v| v / s).collect()
    }

    /// Classifies one text.
    pub fn predict(&self, text: &str) -> Prediction {
        self.prediction(&self.probabilities(text))
    }

    pub(crate) fn prediction(&self, p: &[f32]) -> Prediction {
        let mut out = Prediction {
            label: self.config.classes[0],
            negative: 0.0,
            neutral: 0.0,
            positive: 0.0,
        };
        let mut best = f32::MIN;
        for (c, &pc) in self.config.classes.iter().zip(p) {
            match c {
                Polarity::Negative => out.negative = pc,
                Polarity::Neutral => out.neutral = pc,
                Polarity::Positive => out.positive = pc,
            }
            if pc > best {
                best = pc;
                out.label = *c;
            }
        }
        if let ([a, b], [_, pb]) = (self.config.classes.as_slice(), p) {
            out.label = if *pb >= self.config.threshold { *b } else { *a };
        }
        out
    }

    /// Writes `config.json` and `weights.bin` into `dir` (created if needed).
    pub fn save(&self, dir: &Path) -> Result<()> {
        let write_err = |path: &Path, error| Error::Write {
            path: path.to_owned(),
            error,
        };
        std::fs::create_dir_all(dir).map_err(|e| write_err(dir, e))?;
        let k = self.config.classes.len();
        let mut bytes = Vec::with_capacity(4 * self.packed.len());
        for c in 0..k {
            for v in self.packed.iter().skip(c).step_by(k) {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
        }
        let weights = dir.join(WEIGHTS_FILE);
        std::fs::write(&weights, bytes).map_err(|e| write_err(&weights, e))?;
        let config = dir.join(CONFIG_FILE);
        let json = serde_json::to_vec_pretty(&self.config)
            .map_err(|e| Error::Internal(format!("serialising the model config: {e}")))?;
        std::fs::write(&config, json).map_err(|e| write_err(&config, e))?;
        Ok(())
    }

    /// Reads a model [`SentimentModel::save`] wrote.
    pub fn load(dir: &Path) -> Result<SentimentModel> {
        let bad = |message: String| Error::BadArtefact {
            path: dir.to_owned(),
            message,
        };
        let config_path = dir.join(CONFIG_FILE);
        let text = std::fs::read(&config_path).map_err(|e| bad(format!("{CONFIG_FILE}: {e}")))?;
        let config: ModelConfig =
            serde_json::from_slice(&text).map_err(|e| bad(format!("{CONFIG_FILE}: {e}")))?;
        if config.format_version != FORMAT_VERSION {
            return Err(bad(format!(
                "format version {} (this recur reads {FORMAT_VERSION})",
                config.format_version
            )));
        }
        let k = config.classes.len();
        if !(2..=3).contains(&k)
            || config.biases.len() != k - 1
            || config.features.buckets_log2 > 26
        {
            return Err(bad("classes, biases or buckets out of range".into()));
        }
        let d = config.features.buckets();
        let bytes = std::fs::read(dir.join(WEIGHTS_FILE))
            .map_err(|e| bad(format!("{WEIGHTS_FILE}: {e}")))?;
        if bytes.len() != 4 * d * k {
            return Err(bad(format!(
                "{WEIGHTS_FILE} has {} bytes, expected {}",
                bytes.len(),
                4 * d * k
            )));
        }
        let mut values: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let weights = values.split_off(d);
        Ok(SentimentModel::new(config, &values, &weights))
    }
}

pub(crate) fn format_version() -> u32 {
    FORMAT_VERSION
}
