//! A sentiment head on dense vectors (sentence embeddings made elsewhere): each coordinate
//! standardised by the mean and spread of the reviews a fit sees, then the same logistic
//! regression and the same choice of penalty, class weighting, temperature and threshold as
//! the n-gram model ([`crate::logreg`]). This crate never embeds: the caller hands it plain
//! `f32` vectors, so the embedding runtime stays out of it.

use crate::error::{Error, Result};
use crate::logreg::{Chosen, Protocol, Rows, logits, select_and_fit, softmax};
use crate::model::Polarity;
use crate::train::MIN_EXAMPLES;

/// Settings of [`train_dense`].
#[derive(Debug, Clone, PartialEq)]
pub struct DenseOptions {
    /// Seed of the held-out folds.
    pub seed: u64,
    /// Share held out to choose the penalty when there are more than 20,000 vectors.
    pub validation_share: f64,
    /// L2 penalties tried, largest first. Standardised dense features want larger penalties
    /// than sparse tf-idf ones, so the grid is its own.
    pub lambdas: Vec<f64>,
    /// Most L-BFGS iterations per fit.
    pub max_iterations: u64,
}

impl Default for DenseOptions {
    fn default() -> Self {
        Self {
            seed: 42,
            validation_share: 0.15,
            lambdas: vec![1e-1, 1e-2, 1e-3, 1e-4, 1e-5],
            max_iterations: 100,
        }
    }
}

/// A logistic-regression head on dense vectors, trained by [`train_dense`].
#[derive(Debug, Clone, PartialEq)]
pub struct DenseHead {
    classes: Vec<Polarity>,
    mean: Vec<f32>,
    scale: Vec<f32>,
    params: Vec<f64>,
    temperature: f64,
    threshold: f64,
    lambda: f64,
    balanced: bool,
    validation_macro_f1: f64,
}

impl DenseHead {
    /// The classes it tells apart, in order.
    pub fn classes(&self) -> &[Polarity] {
        &self.classes
    }

    /// The L2 penalty chosen on held-out vectors.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }

    /// Whether classes were weighted equally.
    pub fn balanced(&self) -> bool {
        self.balanced
    }

    /// The decision threshold on the second class's calibrated probability (two classes).
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// Held-out macro-F1 of the chosen setting.
    pub fn validation_macro_f1(&self) -> f64 {
        self.validation_macro_f1
    }

    /// The polarity of a vector (of the training vectors' length; a shorter one is read as
    /// padded with the mean, so it never panics).
    pub fn predict(&self, vector: &[f32]) -> Polarity {
        let d = self.mean.len();
        let k = self.classes.len();
        let mut idx = Vec::with_capacity(d);
        let mut val = Vec::with_capacity(d);
        for (j, ((&x, &m), &s)) in vector.iter().zip(&self.mean).zip(&self.scale).enumerate() {
            idx.push(j as u32);
            val.push((x - m) * s);
        }
        let mut z = [0.0; 3];
        logits(&self.params, d, k, (&idx, &val), &mut z);
        let t = self.temperature;
        let (p, _) = softmax(&[z[0] / t, z[1] / t, z[2] / t], k);
        let best = if k == 2 {
            usize::from(p[1] >= self.threshold)
        } else {
            (0..k).fold(0, |b, c| if p[c] > p[b] { c } else { b })
        };
        self.classes
            .get(best)
            .copied()
            .unwrap_or(Polarity::Positive)
    }
}

/// Mean and inverse spread of each coordinate over `ids` (spread 0 gives scale 1).
fn standardiser(vectors: &[Vec<f32>], ids: &[usize], d: usize) -> (Vec<f32>, Vec<f32>) {
    let n = ids.len().max(1) as f64;
    let mut mean = vec![0f64; d];
    for &i in ids {
        for (m, &x) in mean.iter_mut().zip(&vectors[i]) {
            *m += f64::from(x);
        }
    }
    mean.iter_mut().for_each(|m| *m /= n);
    let mut var = vec![0f64; d];
    for &i in ids {
        for ((v, &x), &m) in var.iter_mut().zip(&vectors[i]).zip(&mean) {
            *v += (f64::from(x) - m).powi(2);
        }
    }
    let scale = var
        .iter()
        .map(|&v| {
            let sd = (v / n).sqrt();
            if sd > 1e-12 { (1.0 / sd) as f32 } else { 1.0 }
        })
        .collect();
    (mean.iter().map(|&m| m as f32).collect(), scale)
}

/// Trains a head on `vectors` (all of one length) labelled by `labels`. The classes are those
/// present (two or three); each needs at least two vectors. Deterministic for a given seed.
pub fn train_dense(
    vectors: &[Vec<f32>],
    labels: &[Polarity],
    opts: &DenseOptions,
) -> Result<DenseHead> {
    if !(0.05..=0.5).contains(&opts.validation_share) || opts.lambdas.is_empty() {
        return Err(Error::BadOption {
            name: "validation_share / lambdas",
            value: format!("{} / {:?}", opts.validation_share, opts.lambdas),
            hint: "give a share between 0.05 and 0.5 and at least one penalty",
        });
    }
    let d = vectors.first().map_or(0, Vec::len);
    if vectors.len() != labels.len() || d == 0 || vectors.iter().any(|v| v.len() != d) {
        return Err(Error::Internal(format!(
            "{} vectors (first of length {d}, all alike: {}) for {} labels",
            vectors.len(),
            vectors.iter().all(|v| v.len() == d),
            labels.len()
        )));
    }
    let mut classes: Vec<Polarity> = labels.to_vec();
    classes.sort_unstable();
    classes.dedup();
    let count = |c: Polarity| labels.iter().filter(|&&l| l == c).count();
    if labels.len() < MIN_EXAMPLES || classes.len() < 2 || classes.iter().any(|&c| count(c) < 2) {
        return Err(Error::NotEnoughData(format!(
            "{} labelled vectors in {} class(es); the head needs at least {MIN_EXAMPLES} and two of each of at least two classes",
            labels.len(),
            classes.len()
        )));
    }
    let k = classes.len();
    let ys: Vec<usize> = labels
        .iter()
        .map(|l| classes.iter().position(|c| c == l).unwrap_or(0))
        .collect();
    let protocol = Protocol {
        seed: opts.seed,
        validation_share: opts.validation_share,
        lambdas: &opts.lambdas,
        max_iterations: opts.max_iterations,
    };
    let chosen = select_and_fit(&ys, k, d, &protocol, |fit_ids, val_ids| {
        let (mean, scale) = standardiser(vectors, fit_ids, d);
        let rows = |ids: &[usize]| {
            let vs: Vec<&[f32]> = ids.iter().map(|&i| vectors[i].as_slice()).collect();
            Rows::dense(&vs, &mean, &scale)
        };
        (rows(fit_ids), rows(val_ids), (mean.clone(), scale.clone()))
    })?;
    let Chosen {
        params,
        state: (mean, scale),
        lambda,
        balanced,
        temperature,
        threshold,
        macro_f1,
        ..
    } = chosen;
    Ok(DenseHead {
        classes,
        mean,
        scale,
        params,
        temperature,
        threshold,
        lambda,
        balanced,
        validation_macro_f1: macro_f1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Noise in [-1, 1).
    fn noise(rng: &mut Rng) -> f32 {
        (rng.next_u64() % 2000) as f32 / 1000.0 - 1.0
    }

    #[test]
    fn learns_planted_separable_vectors() {
        // Positive vectors lean along coordinate 3, negative ones against it; the other seven
        // coordinates are noise.
        let mut rng = Rng::new(7);
        let mut vectors = Vec::new();
        let mut labels = Vec::new();
        for i in 0..200 {
            let label = if i % 2 == 0 {
                Polarity::Positive
            } else {
                Polarity::Negative
            };
            let sign = if label == Polarity::Positive {
                1.0
            } else {
                -1.0
            };
            let mut v: Vec<f32> = (0..8).map(|_| noise(&mut rng)).collect();
            v[3] = sign * (0.5 + noise(&mut rng).abs());
            vectors.push(v);
            labels.push(label);
        }
        let head = train_dense(&vectors, &labels, &DenseOptions::default()).unwrap();
        assert_eq!(head.classes(), &[Polarity::Negative, Polarity::Positive]);
        let right = vectors
            .iter()
            .zip(&labels)
            .filter(|(v, l)| head.predict(v) == **l)
            .count();
        assert_eq!(right, vectors.len());
        assert!(head.validation_macro_f1() > 0.99);
        let mut probe = vec![0.0; 8];
        probe[3] = 2.0;
        assert_eq!(head.predict(&probe), Polarity::Positive);
        probe[3] = -2.0;
        assert_eq!(head.predict(&probe), Polarity::Negative);
    }

    #[test]
    fn refuses_ragged_or_one_class_input() {
        let opts = DenseOptions::default();
        let ragged = vec![vec![0.0; 4], vec![0.0; 3]];
        assert!(train_dense(&ragged, &[Polarity::Positive; 2], &opts).is_err());
        let same = vec![vec![1.0; 4]; 20];
        let err = train_dense(&same, &[Polarity::Positive; 20], &opts).unwrap_err();
        assert!(matches!(err, Error::NotEnoughData(_)));
    }
}
