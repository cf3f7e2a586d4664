//! Training: full-softmax cross-entropy over the catalogue (sampled softmax for very large
//! ones), AdamW with warm-up and cosine decay, seeded dropout and batching, early stopping on
//! validation NDCG, checkpoints that resume exactly where they stopped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use recur_core::ComputeDevice;

use crate::data::Sequence;
use crate::device::candle_device;
use crate::encode::{Window, encode, targets};
use crate::error::{Error, Result};
use crate::metrics::{MetricSums, top_k};
use crate::model::{Config, Model, decays, init_seeded};
use crate::optim::AdamW;
use crate::recommender::{Exclude, apply_exclusion};
use crate::scoring::score_histories;
use crate::xent::softmax_cross_entropy;

/// Optimisation settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainConfig {
    /// Most epochs.
    pub epochs: usize,
    /// Sequences per batch.
    pub batch_size: usize,
    /// Peak learning rate.
    pub learning_rate: f64,
    /// AdamW weight decay on weight matrices.
    pub weight_decay: f64,
    /// Linear warm-up steps.
    pub warmup_steps: usize,
    /// Epochs without a better validation NDCG before stopping.
    pub patience: usize,
    /// Seed of initialisation, batching and dropout.
    pub seed: u64,
    /// Wall-clock budget: no epoch starts that would likely end after it.
    pub max_seconds: Option<f64>,
    /// Weight of the time-to-next-purchase loss.
    pub time_loss_weight: f64,
    /// Sampled softmax with this many uniformly drawn negatives per batch (0: full softmax
    /// over the whole catalogue; catalogues no larger than the count also use full softmax).
    pub negatives: usize,
    /// Cut-off of the validation metrics.
    pub k: usize,
    /// Whether validation ranks items the customer already has.
    pub exclude: Exclude,
    /// Where training runs (results on a GPU match the CPU's up to floating-point rounding).
    #[serde(default)]
    pub device: ComputeDevice,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 200,
            batch_size: 128,
            learning_rate: 1e-3,
            weight_decay: 0.01,
            warmup_steps: 200,
            patience: 5,
            seed: 42,
            max_seconds: None,
            time_loss_weight: 0.2,
            negatives: 2048,
            k: 10,
            exclude: Exclude::Nothing,
            device: ComputeDevice::Cpu,
        }
    }
}

/// Held-out next items for early stopping: each input history and what followed it.
#[derive(Debug, Clone, Default)]
pub struct Validation {
    /// Histories.
    pub inputs: Vec<Sequence>,
    /// The items that followed each history.
    pub targets: Vec<Vec<u32>>,
}

/// One epoch's figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochReport {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean next-item cross-entropy.
    pub loss: f64,
    /// Mean time-to-next-purchase cross-entropy (when trained).
    pub time_loss: Option<f64>,
    /// Validation NDCG@k.
    pub ndcg: f64,
    /// Validation HR@k.
    pub hit_rate: f64,
    /// Seconds since training started.
    pub elapsed_seconds: f64,
    /// Whether this epoch is the best so far.
    pub best: bool,
}

/// Why training ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    /// All epochs ran.
    Epochs,
    /// Validation NDCG stopped improving.
    EarlyStopping,
    /// The time budget was spent.
    TimeBudget,
    /// The caller asked to stop (Ctrl-C); a checkpoint was saved when configured.
    Interrupted,
}

/// What training did.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainingReport {
    /// Every epoch, in order.
    pub epochs: Vec<EpochReport>,
    /// The epoch whose weights were kept.
    pub best_epoch: usize,
    /// Its validation NDCG@k.
    pub best_ndcg: f64,
    /// Why it ended.
    pub stopped: StopReason,
    /// Training windows per epoch.
    pub windows: usize,
    /// Seconds spent (including validation).
    pub seconds: f64,
}

/// Hooks for progress display.
pub trait TrainObserver {
    /// Training starts (or resumes) with this many epochs of this many steps.
    fn on_start(&mut self, _epochs: usize, _steps_per_epoch: usize) {}
    /// A step finished with this loss.
    fn on_step(&mut self, _epoch: usize, _step: usize, _loss: f32) {}
    /// An epoch finished.
    fn on_epoch(&mut self, _report: &EpochReport) {}
}

impl TrainObserver for () {}

/// A trained model with its variables.
pub struct Trained {
    /// The model (best validation weights).
    pub model: Model,
    /// Its variables (for saving).
    pub varmap: VarMap,
    /// What happened.
    pub report: TrainingReport,
}

/// Training windows: each sequence cut from its end into pieces of at most `max_len` inputs,
/// each input predicting the event after it.
/// Training windows `(sequence, start, end)` of at most `max_len` tokens each, counting the
/// searches when the model reads them (the searches before each event and after the last).
fn windows(train: &[Sequence], max_len: usize, searches: bool) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    for (s, seq) in train.iter().enumerate() {
        let searches_before = |i: usize| {
            if searches {
                seq.searches.partition_point(|q| q.before <= i)
                    - seq.searches.partition_point(|q| q.before < i)
            } else {
                0
            }
        };
        let mut end = seq.len().saturating_sub(1);
        while end > 0 {
            let mut start = end;
            let mut used = searches_before(end);
            while start > 0 && used + 1 + searches_before(start - 1) <= max_len {
                start -= 1;
                used += 1 + searches_before(start);
            }
            if start == end {
                // Too many searches before `end` to fit: the window keeps its last tokens.
                start = end - 1;
            }
            out.push((s, start, end));
            end = start;
        }
    }
    out
}

fn epoch_rng(seed: u64, epoch: usize) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Batches of similar lengths in a seeded random order.
fn batches(
    wins: &[(usize, usize, usize)],
    batch_size: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..wins.len()).collect();
    order.shuffle(rng);
    let mut out = Vec::new();
    for group in order.chunks(batch_size * 32) {
        let mut group = group.to_vec();
        group.sort_by_key(|&w| wins[w].2 - wins[w].1);
        out.extend(group.chunks(batch_size).map(<[usize]>::to_vec));
    }
    out.shuffle(rng);
    out
}

fn schedule(step: usize, total: usize, warmup: usize, peak: f64) -> f64 {
    if step < warmup {
        return peak * (step + 1) as f64 / warmup as f64;
    }
    let progress = (step - warmup) as f64 / (total.saturating_sub(warmup)).max(1) as f64;
    let cos = 0.5 * (1.0 + (std::f64::consts::PI * progress.min(1.0)).cos());
    peak * (0.1 + 0.9 * cos)
}

/// Validation metrics of `model` (inference mode).
pub fn validate(
    model: &Model,
    validation: &Validation,
    k: usize,
    exclude: Exclude,
) -> Result<MetricSums> {
    let mut sums = MetricSums::default();
    for chunk in (0..validation.inputs.len()).collect::<Vec<_>>().chunks(512) {
        let hist: Vec<&Sequence> = chunk.iter().map(|&i| &validation.inputs[i]).collect();
        let scores = score_histories(model, &hist)?;
        for (mut s, &i) in scores.into_iter().zip(chunk) {
            apply_exclusion(&mut s, &validation.inputs[i], exclude);
            sums.add(&top_k(&s, k), &validation.targets[i], k);
        }
    }
    Ok(sums)
}

fn snapshot(varmap: &VarMap) -> Result<HashMap<String, Tensor>> {
    let data = varmap
        .data()
        .lock()
        .map_err(|_| Error::BadConfig("variables locked by a panicked thread".into()))?;
    data.iter()
        .map(|(k, v)| Ok((k.clone(), v.as_tensor().copy()?.detach())))
        .collect()
}

fn restore(varmap: &VarMap, weights: &HashMap<String, Tensor>) -> Result<()> {
    let data = varmap
        .data()
        .lock()
        .map_err(|_| Error::BadConfig("variables locked by a panicked thread".into()))?;
    for (k, v) in data.iter() {
        if let Some(t) = weights.get(k) {
            v.set(t)?;
        }
    }
    Ok(())
}

#[derive(serde::Serialize, serde::Deserialize)]
struct CheckpointState {
    config: Config,
    train: TrainConfig,
    epochs: Vec<EpochReport>,
    step: usize,
    best_epoch: usize,
    best_ndcg: f64,
    bad_epochs: usize,
    seconds: f64,
}

fn save_tensors(map: &HashMap<String, Tensor>, path: &Path) -> Result<()> {
    let tmp = path.with_extension("tmp");
    candle_core::safetensors::save(map, &tmp)?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// An untrained model with seeded random weights on the CPU (for latency measurements and
/// tests).
pub fn untrained(cfg: &Config, seed: u64) -> Result<Model> {
    let varmap = VarMap::new();
    let model = Model::new(
        cfg,
        VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu),
        None,
    )?;
    init_seeded(&varmap, seed)?;
    Ok(model)
}

/// Trains a model. `checkpoint`: a folder where each finished epoch is saved and from which a
/// matching earlier run resumes. `stop`: set it (e.g. on Ctrl-C) to stop after the current
/// batch.
#[allow(clippy::too_many_arguments)]
pub fn train(
    cfg: &Config,
    tc: &TrainConfig,
    train_seqs: &[Sequence],
    validation: &Validation,
    item_text: Option<Tensor>,
    checkpoint: Option<&Path>,
    observer: &mut dyn TrainObserver,
    stop: &AtomicBool,
) -> Result<Trained> {
    cfg.validate()?;
    if tc.batch_size == 0 || tc.epochs == 0 {
        return Err(Error::BadConfig(
            "batch_size and epochs must be positive".into(),
        ));
    }
    let device = candle_device(tc.device)?;
    let wins = windows(train_seqs, cfg.max_len, cfg.query_dim > 0);
    if wins.is_empty() {
        return Err(Error::NotEnoughData(
            "no customer has two events, so there is nothing to learn from".into(),
        ));
    }
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
    let item_text = item_text.map(|t| t.to_device(&device)).transpose()?;
    let model = Model::new(cfg, vb, item_text)?;
    init_seeded(&varmap, tc.seed)?;
    let vars: Vec<(String, candle_core::Var, bool)> = {
        let data = varmap
            .data()
            .lock()
            .map_err(|_| Error::BadConfig("variables locked".into()))?;
        let mut v: Vec<_> = data
            .iter()
            .map(|(k, var)| (k.clone(), var.clone(), decays(k)))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    let mut opt = AdamW::new(vars, tc.weight_decay)?;

    let steps_per_epoch = wins.len().div_ceil(tc.batch_size);
    let total_steps = steps_per_epoch * tc.epochs;
    let mut reports: Vec<EpochReport> = Vec::new();
    let mut best_epoch = 0;
    let mut best_ndcg = f64::NEG_INFINITY;
    let mut best_weights = snapshot(&varmap)?;
    let mut bad_epochs = 0;
    let mut carried_seconds = 0.0;

    if let Some(dir) = checkpoint {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let state_path = dir.join("state.json");
        if state_path.exists() {
            let text =
                std::fs::read_to_string(&state_path).map_err(|e| Error::io(&state_path, e))?;
            let state: CheckpointState =
                serde_json::from_str(&text).map_err(|e| Error::BadArtefact {
                    path: state_path.clone(),
                    reason: format!("unreadable checkpoint state: {e}"),
                })?;
            if state.config != *cfg
                || state.train.seed != tc.seed
                || state.train.batch_size != tc.batch_size
            {
                return Err(Error::BadArtefact {
                    path: dir.into(),
                    reason: "the checkpoint was made with other settings; remove the folder or use the same settings".into(),
                });
            }
            let load = |name: &str| -> Result<HashMap<String, Tensor>> {
                Ok(candle_core::safetensors::load(dir.join(name), &device)?)
            };
            restore(&varmap, &load("model.safetensors")?)?;
            opt.load_state(&load("optimizer.safetensors")?, state.step);
            best_weights = load("best.safetensors")?;
            reports = state.epochs;
            best_epoch = state.best_epoch;
            best_ndcg = state.best_ndcg;
            bad_epochs = state.bad_epochs;
            carried_seconds = state.seconds;
        }
    }

    let started = Instant::now();
    let elapsed = |carried: f64| carried + started.elapsed().as_secs_f64();
    let first_epoch = reports.len() + 1;
    observer.on_start(tc.epochs, steps_per_epoch);
    let mut stopped = StopReason::Epochs;
    let sampled = tc.negatives > 0 && cfg.num_items > tc.negatives;
    // The end of the observation window, for censored time-to-next-purchase targets.
    let data_end = train_seqs
        .iter()
        .filter_map(|s| s.times.last().copied())
        .max()
        .unwrap_or(0);

    for epoch in first_epoch..=tc.epochs {
        if bad_epochs >= tc.patience && !reports.is_empty() {
            stopped = StopReason::EarlyStopping;
            break;
        }
        if let Some(budget) = tc.max_seconds {
            let done = reports.len().max(1) as f64;
            let per_epoch = elapsed(carried_seconds) / done;
            if !reports.is_empty() && elapsed(carried_seconds) + per_epoch > budget {
                stopped = StopReason::TimeBudget;
                break;
            }
        }
        let mut rng = epoch_rng(tc.seed, epoch);
        let mut loss_sum = 0.0;
        let mut time_sum = 0.0;
        let mut time_n = 0usize;
        let mut n_batches = 0usize;
        for (step, batch_ix) in batches(&wins, tc.batch_size, &mut rng)
            .into_iter()
            .enumerate()
        {
            if stop.load(Ordering::Relaxed) {
                stopped = StopReason::Interrupted;
                break;
            }
            let ws: Vec<Window<'_>> = batch_ix
                .iter()
                .map(|&w| {
                    let (s, start, end) = wins[w];
                    Window {
                        seq: &train_seqs[s],
                        start,
                        end,
                        all_positions: true,
                    }
                })
                .collect();
            let batch = encode(
                &ws,
                cfg.max_len,
                cfg.num_items,
                cfg.repeat_aware,
                cfg.query_dim > 0,
                &device,
            )?;
            let (next, time) = targets(&ws, &batch, data_end);
            let items = model.item_table()?;
            let hidden = model.forward(&batch, &items, Some(&mut rng))?;
            let loss = if sampled {
                let (logits, cols) =
                    model.sampled_logits(&hidden, &items, &batch, &next, tc.negatives, &mut rng)?;
                softmax_cross_entropy(&logits, cols)?
            } else {
                let logits = model.logits(&hidden, &items, &batch)?;
                softmax_cross_entropy(&logits, next)?
            };
            let mut total = loss.clone();
            if let (Some(tl), false) = (model.time_logits(&hidden)?, time.is_empty()) {
                let tloss = interval_loss(&tl, &time)?;
                time_sum += f64::from(tloss.to_scalar::<f32>()?);
                time_n += 1;
                total = (total + (tloss * tc.time_loss_weight)?)?;
            }
            let grads = total.backward()?;
            let lr = schedule(opt.step, total_steps, tc.warmup_steps, tc.learning_rate);
            opt.step(&grads, lr)?;
            let l = loss.to_scalar::<f32>()?;
            loss_sum += f64::from(l);
            n_batches += 1;
            observer.on_step(epoch, step, l);
        }
        if stopped == StopReason::Interrupted {
            break;
        }
        let sums = validate(&model, validation, tc.k, tc.exclude)?;
        let ndcg = sums.ndcg();
        let improved = ndcg > best_ndcg;
        if improved {
            best_ndcg = ndcg;
            best_epoch = epoch;
            best_weights = snapshot(&varmap)?;
            bad_epochs = 0;
        } else {
            bad_epochs += 1;
        }
        let report = EpochReport {
            epoch,
            loss: loss_sum / n_batches.max(1) as f64,
            time_loss: (time_n > 0).then(|| time_sum / time_n as f64),
            ndcg,
            hit_rate: sums.hit_rate(),
            elapsed_seconds: elapsed(carried_seconds),
            best: improved,
        };
        observer.on_epoch(&report);
        reports.push(report);
        if let Some(dir) = checkpoint {
            save_tensors(&snapshot(&varmap)?, &dir.join("model.safetensors"))?;
            save_tensors(&opt.state(), &dir.join("optimizer.safetensors"))?;
            if improved {
                save_tensors(&best_weights, &dir.join("best.safetensors"))?;
            }
            let state = CheckpointState {
                config: cfg.clone(),
                train: tc.clone(),
                epochs: reports.clone(),
                step: opt.step,
                best_epoch,
                best_ndcg,
                bad_epochs,
                seconds: elapsed(carried_seconds),
            };
            let path: PathBuf = dir.join("state.json");
            let tmp = path.with_extension("tmp");
            let text = serde_json::to_string_pretty(&state).map_err(|e| Error::BadArtefact {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            std::fs::write(&tmp, text).map_err(|e| Error::io(&tmp, e))?;
            std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
        }
    }
    if stopped == StopReason::Epochs && bad_epochs >= tc.patience && reports.len() < tc.epochs {
        stopped = StopReason::EarlyStopping;
    }
    restore(&varmap, &best_weights)?;
    let seconds = elapsed(carried_seconds);
    Ok(Trained {
        model,
        varmap,
        report: TrainingReport {
            epochs: reports,
            best_epoch,
            best_ndcg: best_ndcg.max(0.0),
            stopped,
            windows: wins.len(),
            seconds,
        },
    })
}

/// Negative log-likelihood of interval-valued class targets: `-log P(lo <= class <= hi)`
/// (an exact class when `lo == hi`, a right-censored gap when `hi` is the last class).
fn interval_loss(logits: &Tensor, rows: &[(u32, u32, u32)]) -> Result<Tensor> {
    let device = logits.device();
    let n = rows.len();
    let classes = logits.dim(1)?;
    let pos: Vec<u32> = rows.iter().map(|r| r.0).collect();
    let mut mask = vec![-1e9f32; n * classes];
    for (i, &(_, lo, hi)) in rows.iter().enumerate() {
        for c in lo..=hi {
            mask[i * classes + c as usize] = 0.0;
        }
    }
    let logits = logits.index_select(&Tensor::from_vec(pos, n, device)?, 0)?;
    let logp = candle_nn::ops::log_softmax(&logits, candle_core::D::Minus1)?;
    let masked = (&logp + Tensor::from_vec(mask, (n, classes), device)?)?;
    let max = masked.max_keepdim(1)?;
    let lse = (masked.broadcast_sub(&max)?.exp()?.sum_keepdim(1)?.log()? + max)?;
    Ok(lse.neg()?.mean_all()?)
}
