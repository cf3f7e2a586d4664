//! Training the n-gram model: hashed tf-idf features (buckets in fewer than `min_df` reviews
//! left out) and the shared logistic regression and selection protocol of [`crate::logreg`]
//! (idf computed on the reviews each fit sees).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::features::{FeatureSettings, idf, raw_features};
use crate::logreg::{Chosen, Protocol, Rows, select_and_fit};
use crate::model::{ModelConfig, Polarity, SentimentModel, format_version};

/// A review with its label (from stars or a labelled file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// Review text.
    pub text: String,
    /// Label.
    pub label: Polarity,
}

/// Settings of a training run.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// Seed of the validation split.
    pub seed: u64,
    /// Features.
    pub features: FeatureSettings,
    /// Share of the training reviews held out to choose the penalty and the temperature.
    pub validation_share: f64,
    /// L2 penalties tried, largest first (each fit starts from the previous one).
    pub lambdas: Vec<f64>,
    /// Most L-BFGS iterations per fit.
    pub max_iterations: u64,
    /// Features (hash buckets) in fewer training reviews than this are left out.
    pub min_df: u32,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            seed: 42,
            features: FeatureSettings::default(),
            validation_share: 0.15,
            lambdas: vec![1e-4, 3e-5, 1e-5, 3e-6],
            max_iterations: 40,
            min_df: 2,
        }
    }
}

/// Fewest labelled reviews a model is trained on.
pub const MIN_EXAMPLES: usize = 10;

/// Trains a sentiment model on labelled reviews. The classes are those present (two or
/// three); each needs at least two reviews. Deterministic for a given seed.
pub fn train(examples: &[Example], opts: &TrainOptions) -> Result<SentimentModel> {
    if !(0.05..=0.5).contains(&opts.validation_share) {
        return Err(Error::BadOption {
            name: "validation_share",
            value: opts.validation_share.to_string(),
            hint: "give a share between 0.05 and 0.5",
        });
    }
    if opts.lambdas.is_empty() || opts.features.buckets_log2 > 24 || opts.features.buckets_log2 < 8
    {
        return Err(Error::BadOption {
            name: "lambdas / buckets_log2",
            value: format!("{:?} / {}", opts.lambdas, opts.features.buckets_log2),
            hint: "give at least one penalty and between 8 and 24 bits of buckets",
        });
    }
    let mut classes: Vec<Polarity> = examples.iter().map(|e| e.label).collect();
    classes.sort_unstable();
    classes.dedup();
    let count = |c: Polarity| examples.iter().filter(|e| e.label == c).count();
    if examples.len() < MIN_EXAMPLES || classes.len() < 2 || classes.iter().any(|&c| count(c) < 2) {
        return Err(Error::NotEnoughData(format!(
            "{} labelled reviews in {} class(es) ({}); training needs at least {MIN_EXAMPLES} reviews and two of each of at least two classes (negative: 1-2 stars, positive: 4-5)",
            examples.len(),
            classes.len(),
            classes
                .iter()
                .map(|&c| format!("{c} {}", count(c)))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let k = classes.len();
    let buckets = opts.features.buckets();
    let labels: Vec<usize> = examples
        .iter()
        .map(|e| classes.iter().position(|&c| c == e.label).unwrap_or(0))
        .collect();
    // Buckets of at least `min_df` reviews, numbered densely: the parameters the fits see.
    let hashed: Vec<Vec<(u32, u32)>> = examples
        .iter()
        .map(|e| raw_features(&e.text, &opts.features))
        .collect();
    let mut df = vec![0u32; buckets];
    for r in &hashed {
        for &(b, _) in r {
            df[b as usize] += 1;
        }
    }
    let mut dense = vec![u32::MAX; buckets];
    let mut d = 0usize;
    for (b, &f) in df.iter().enumerate() {
        if f >= opts.min_df.max(1) {
            dense[b] = d as u32;
            d += 1;
        }
    }
    drop(df);
    let raw: Vec<Vec<(u32, u32)>> = hashed
        .into_iter()
        .map(|r| {
            r.into_iter()
                .filter_map(|(b, c)| {
                    let j = dense[b as usize];
                    (j != u32::MAX).then_some((j, c))
                })
                .collect()
        })
        .collect();

    // The penalty, weighting, temperature and threshold chosen on held-out reviews, idf
    // computed on the reviews each fit sees.
    let protocol = Protocol {
        seed: opts.seed,
        validation_share: opts.validation_share,
        lambdas: &opts.lambdas,
        max_iterations: opts.max_iterations,
    };
    let chosen = select_and_fit(&labels, k, d, &protocol, |fit_ids, val_ids| {
        let fit_raw: Vec<&Vec<(u32, u32)>> = fit_ids.iter().map(|&i| &raw[i]).collect();
        let fit_idf = idf(&fit_raw, d);
        let fit_rows = Rows::new(&fit_raw, &fit_idf);
        let val_raw: Vec<&Vec<(u32, u32)>> = val_ids.iter().map(|&i| &raw[i]).collect();
        let val_rows = Rows::new(&val_raw, &fit_idf);
        (fit_rows, val_rows, fit_idf)
    })?;
    let Chosen {
        params: p,
        state: all_idf,
        lambda,
        balanced,
        temperature,
        threshold,
        macro_f1: f1,
        accuracy: acc,
    } = chosen;

    let config = ModelConfig {
        format_version: format_version(),
        features: opts.features.clone(),
        classes,
        biases: p[(k - 1) * d..].iter().map(|&b| b as f32).collect(),
        temperature: temperature as f32,
        threshold: threshold as f32,
        lambda,
        balanced,
        examples: examples.len(),
        validation_accuracy: acc,
        validation_macro_f1: f1,
    };
    // Back to buckets: a left-out bucket has idf 0, so it weighs nothing, as in training.
    let mut idf_full = vec![0f32; buckets];
    let mut weights = vec![0f32; (k - 1) * buckets];
    for (b, &j) in dense.iter().enumerate() {
        if j != u32::MAX {
            idf_full[b] = all_idf[j as usize];
            for c in 0..k - 1 {
                weights[c * buckets + b] = p[c * d + j as usize] as f32;
            }
        }
    }
    Ok(SentimentModel::new(config, &idf_full, &weights))
}
