//! Integration tests with the real models that `scripts/setup-models` fetches (SmolLM2-135M
//! Instruct Q4_1 and all-MiniLM-L6-v2), and a local mock of an OpenAI-compatible server.

mod embed;
mod generate;
mod openai;
mod tokenizer;

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};

use recur_llm::{LocalEmbedder, LocalModel, LocalOptions, WeightFormat};

/// The models folder (RECUR_MODELS_DIR, else the checkout's `models/`).
pub(crate) fn models_dir() -> PathBuf {
    let dir = std::env::var_os("RECUR_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models"));
    assert!(
        dir.join("smollm2").is_dir() && dir.join("all-MiniLM-L6-v2").is_dir(),
        "the test models are missing in {}: run scripts/setup-models (the README's commands do)",
        dir.display()
    );
    dir
}

pub(crate) fn smollm_path() -> PathBuf {
    models_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
}

/// One shared SmolLM2 per weight format (loading takes a while; tests take turns).
pub(crate) fn smollm(format: WeightFormat) -> MutexGuard<'static, LocalModel> {
    static SHIPPED: OnceLock<Mutex<LocalModel>> = OnceLock::new();
    static Q8: OnceLock<Mutex<LocalModel>> = OnceLock::new();
    let cell = if format == WeightFormat::Q8_0 {
        &Q8
    } else {
        &SHIPPED
    };
    cell.get_or_init(|| {
        Mutex::new(
            LocalModel::load(
                &smollm_path(),
                &LocalOptions {
                    weights: format,
                    ..LocalOptions::default()
                },
            )
            .expect("SmolLM2 loads"),
        )
    })
    .lock()
    .unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn minilm() -> &'static LocalEmbedder {
    static M: OnceLock<LocalEmbedder> = OnceLock::new();
    M.get_or_init(|| {
        LocalEmbedder::load(&models_dir().join("all-MiniLM-L6-v2")).expect("MiniLM loads")
    })
}
