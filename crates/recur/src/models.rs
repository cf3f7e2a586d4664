//! Where the language and embedding models are, and opening them as the settings say.

use std::path::{Path, PathBuf};

use anyhow::Result;
use recur_engine::{DEFAULT_EMBED, DEFAULT_LLM, Settings};

use crate::context::Context;

/// The models folder: RECUR_MODELS_DIR, else ./models, else the checkout this binary was built from.
fn model_candidates(setting: &Path, default_rel: &str, workspace: &Path) -> Vec<PathBuf> {
    if setting.is_absolute() {
        return vec![setting.to_owned()];
    }
    let mut out = Vec::new();
    if setting == Path::new("models").join(default_rel) {
        if let Ok(dir) = std::env::var("RECUR_MODELS_DIR") {
            out.push(PathBuf::from(dir).join(default_rel));
        }
        out.push(setting.to_owned());
        out.push(workspace.join(setting));
        out.push(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(setting),
        );
    } else {
        out.push(setting.to_owned());
        out.push(workspace.join(setting));
    }
    out
}

/// The first candidate for `setting` that exists, else the first candidate.
fn resolve(setting: &Path, default_rel: &str, workspace: &Path) -> PathBuf {
    let candidates = model_candidates(setting, default_rel, workspace);
    candidates
        .iter()
        .find(|p| p.exists())
        .cloned()
        .unwrap_or_else(|| candidates[0].clone())
}

/// Where the configured local language model file is (or would be) for `s`.
pub(crate) fn llm_path(ctx: &Context, s: &Settings) -> PathBuf {
    resolve(&s.llm.model, DEFAULT_LLM, &ctx.workspace)
}

/// Where the configured embedding model folder is (or would be) for `s`.
pub(crate) fn embed_path(ctx: &Context, s: &Settings) -> PathBuf {
    resolve(&s.embed.model, DEFAULT_EMBED, &ctx.workspace)
}

/// The endpoint API key named by `llm.api_key_env`, when it is set and not empty.
pub(crate) fn api_key(s: &Settings) -> Option<String> {
    std::env::var(&s.llm.api_key_env)
        .ok()
        .filter(|k| !k.is_empty())
}

/// The generator `s` configures (local model or endpoint).
pub(crate) fn configured_generator(
    ctx: &Context,
    s: &Settings,
) -> Result<Box<dyn recur_engine::llm::Generate>> {
    Ok(recur_engine::open_generator(
        &s.llm,
        &llm_path(ctx, s),
        api_key(s),
        s.device,
    )?)
}

/// The embedder recur.toml and RECUR_* configure (no flags).
pub(crate) fn configured_embedder(ctx: &Context) -> Result<Box<dyn recur_engine::llm::Embed>> {
    let s = ctx.settings_or_defaults()?;
    Ok(recur_engine::open_embedder(
        &s.embed,
        &embed_path(ctx, &s),
        api_key(&s),
        s.llm.timeout_seconds,
        s.device,
    )?)
}

/// The configured embedder, or `None` (with a note on stderr) when the local model folder is
/// missing and no endpoint is set: the assistant then searches by words only.
pub(crate) fn optional_embedder(
    ctx: &Context,
    s: &Settings,
) -> Result<Option<Box<dyn recur_engine::llm::Embed>>> {
    Ok(shared_embedder(ctx, s)?.map(|e| e as Box<dyn recur_engine::llm::Embed>))
}

/// [`optional_embedder`], for sharing between threads (a server's requests).
pub(crate) fn shared_embedder(
    ctx: &Context,
    s: &Settings,
) -> Result<Option<Box<dyn recur_engine::llm::Embed + Send + Sync>>> {
    let folder = embed_path(ctx, s);
    if s.embed.endpoint.is_empty() && !folder.join("config.json").exists() {
        eprintln!(
            "note: no embedding model at {} (run scripts/setup-models); searching by words only",
            folder.display()
        );
        return Ok(None);
    }
    Ok(Some(recur_engine::open_embedder(
        &s.embed,
        &folder,
        api_key(s),
        s.llm.timeout_seconds,
        s.device,
    )?))
}

/// The configured generator, or `None` (with a note on stderr) when the local model file is
/// missing and no endpoint is set: answers then quote passages.
pub(crate) fn optional_generator(
    ctx: &Context,
    s: &Settings,
) -> Result<Option<Box<dyn recur_engine::llm::Generate>>> {
    let path = llm_path(ctx, s);
    if s.llm.endpoint.is_empty() && !path.exists() {
        eprintln!(
            "note: no language model at {} (run scripts/setup-models); answers quote passages",
            path.display()
        );
        return Ok(None);
    }
    Ok(Some(configured_generator(ctx, s)?))
}
