//! `recur embed`: sentence embeddings of texts (one unit-length vector per text) and their
//! cosine similarities.

use std::process::ExitCode;

use anyhow::Result;
use recur_engine::llm::cosine;

use crate::cli::EmbedArgs;
use crate::context::Context;
use crate::error::usage;
use crate::models;

/// Texts shown in the similarity matrix.
const SHOWN: usize = 8;

pub(crate) fn run(ctx: &Context, a: &EmbedArgs) -> Result<ExitCode> {
    let mut s = ctx.settings_or_defaults()?;
    let flags = [
        (
            "embed.model",
            a.model.as_ref().map(|p| p.display().to_string()),
        ),
        ("embed.endpoint", a.endpoint.clone()),
        ("embed.endpoint_model", a.endpoint_model.clone()),
    ];
    for (k, v) in flags {
        if let Some(v) = v {
            s.set(k, &v)?;
        }
    }
    let mut texts = a.texts.clone();
    if let Some(f) = &a.file {
        let body = std::fs::read_to_string(f).map_err(|e| {
            usage(format!(
                "could not read `{}` (--file): {e}; give a UTF-8 text file with one text per line",
                f.display()
            ))
        })?;
        texts.extend(
            body.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned),
        );
    }
    if texts.is_empty() {
        return Err(usage(
            "nothing to embed: give texts as arguments or --file FILE (one text per line)",
        ));
    }
    let folder = models::embed_path(ctx, &s);
    let started = std::time::Instant::now();
    let e = recur_engine::open_embedder(
        &s.embed,
        &folder,
        models::api_key(&s),
        s.llm.timeout_seconds,
        s.device,
    )?;
    let loaded = started.elapsed().as_secs_f64();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let started = std::time::Instant::now();
    let vectors = e.embed(&refs).map_err(recur_engine::Error::from)?;
    let took = started.elapsed().as_secs_f64();
    if a.timing {
        eprintln!(
            "embedded {} texts in {took:.2} s ({:.1} texts/s; model load {loaded:.2} s)",
            texts.len(),
            texts.len() as f64 / took.max(1e-9)
        );
    }
    let dimension = vectors.first().map_or(0, Vec::len);
    if a.json {
        let items: Vec<_> = texts
            .iter()
            .zip(&vectors)
            .map(|(t, v)| serde_json::json!({"text": t, "embedding": v}))
            .collect();
        // One line (vectors are long), unlike the other commands' pretty JSON.
        println!(
            "{}",
            serde_json::to_string(&serde_json::json!({
                "model": e.describe(),
                "dimension": dimension,
                "embeddings": items,
            }))?
        );
    } else {
        println!(
            "{} vectors of {dimension} dimensions from {}",
            vectors.len(),
            e.describe()
        );
        let shown = texts.len().min(SHOWN);
        println!("cosine similarity:");
        for i in 0..shown {
            let row: Vec<String> = (0..shown)
                .map(|j| format!("{:6.3}", cosine(&vectors[i], &vectors[j])))
                .collect();
            println!("  {} | {}", row.join(" "), texts[i]);
        }
    }
    Ok(ExitCode::SUCCESS)
}
