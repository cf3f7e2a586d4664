//! Saved models: `model.safetensors`, `config.json`, `items.json` (the item vocabulary) and
//! `training.json` (what training did), plus `item_text.safetensors` when text is fused.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Tensor};
use candle_nn::{VarBuilder, VarMap};
use recur_core::ComputeDevice;

use crate::data::ItemVocab;
use crate::device::candle_device;
use crate::error::{Error, Result};
use crate::model::{Config, Model};
use crate::train::{Trained, TrainingReport};

/// A model read back from its folder.
pub struct SavedModel {
    /// The model.
    pub model: Model,
    /// Its items.
    pub vocab: ItemVocab,
    /// What training did.
    pub report: Option<TrainingReport>,
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::BadArtefact {
        path: path.into(),
        reason: e.to_string(),
    })?;
    std::fs::write(path, text).map_err(|e| Error::io(path, e))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::BadArtefact {
            path: path.into(),
            reason: "missing; train a model first (`recur train`)".into(),
        },
        _ => Error::io(path, e),
    })?;
    serde_json::from_str(&text).map_err(|e| Error::BadArtefact {
        path: path.into(),
        reason: format!("unreadable: {e}"),
    })
}

/// Writes a trained model into `dir` (created if needed). Files are written beside and
/// renamed, so a folder is never left half-replaced.
pub fn save(dir: &Path, trained: &Trained, vocab: &ItemVocab) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let cfg = trained.model.config();
    let tmp = dir.join("model.safetensors.tmp");
    trained.varmap.save(&tmp)?;
    if let Some(t) = trained.model.item_text() {
        let path = dir.join("item_text.safetensors");
        let map: HashMap<String, Tensor> = [("item_text".to_owned(), t.clone())].into();
        candle_core::safetensors::save(&map, &path)?;
    }
    write_json(&dir.join("config.json"), cfg)?;
    write_json(&dir.join("items.json"), vocab)?;
    write_json(&dir.join("training.json"), &trained.report)?;
    let path = dir.join("model.safetensors");
    std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))
}

/// Reads a model folder written by [`save`], onto the CPU.
pub fn load(dir: &Path) -> Result<SavedModel> {
    load_on(dir, ComputeDevice::Cpu)
}

/// Like [`load`], onto `device`.
pub fn load_on(dir: &Path, device: ComputeDevice) -> Result<SavedModel> {
    let cfg: Config = read_json(&dir.join("config.json"))?;
    let mut vocab: ItemVocab = read_json(&dir.join("items.json"))?;
    vocab.reindex();
    if vocab.len() != cfg.num_items {
        return Err(Error::BadArtefact {
            path: dir.into(),
            reason: format!(
                "items.json has {} items but config.json says {}",
                vocab.len(),
                cfg.num_items
            ),
        });
    }
    let device = candle_device(device)?;
    let item_text = if cfg.text_dim > 0 {
        let path = dir.join("item_text.safetensors");
        let mut map = candle_core::safetensors::load(&path, &device)?;
        Some(map.remove("item_text").ok_or_else(|| Error::BadArtefact {
            path: path.clone(),
            reason: "no `item_text` tensor".into(),
        })?)
    } else {
        None
    };
    let weights = dir.join("model.safetensors");
    if !weights.exists() {
        return Err(Error::BadArtefact {
            path: weights,
            reason: "missing; train a model first (`recur train`)".into(),
        });
    }
    let mut varmap = VarMap::new();
    let model = Model::new(
        &cfg,
        VarBuilder::from_varmap(&varmap, DType::F32, &device),
        item_text,
    )?;
    varmap.load(&weights).map_err(|e| Error::BadArtefact {
        path: weights.clone(),
        reason: format!("weights do not match config.json: {e}"),
    })?;
    let report_path = dir.join("training.json");
    let report = report_path
        .exists()
        .then(|| read_json(&report_path))
        .transpose()?;
    Ok(SavedModel {
        model,
        vocab,
        report,
    })
}
