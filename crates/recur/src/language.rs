//! `recur llm ...` and `recur embed`: the language runtime from the command line.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use recur_engine::llm::{Generation, JsonSchema, Message, SamplingParams, cosine};
use recur_engine::{DEFAULT_EMBED, DEFAULT_LLM, Settings};

use crate::cli::{Cli, EmbedArgs, LlmCommand, ModelArgs, SamplingArgs};
use crate::commands::settings_or_defaults;

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

fn resolve(setting: &Path, default_rel: &str, workspace: &Path) -> PathBuf {
    let candidates = model_candidates(setting, default_rel, workspace);
    candidates
        .iter()
        .find(|p| p.exists())
        .cloned()
        .unwrap_or_else(|| candidates[0].clone())
}

fn llm_settings(cli: &Cli, m: &ModelArgs) -> Result<(Settings, PathBuf, Option<String>)> {
    let mut s = settings_or_defaults(&cli.workspace)?;
    let flags = [
        (
            "llm.model",
            m.model.as_ref().map(|p| p.display().to_string()),
        ),
        ("llm.weights", m.weights.clone()),
        ("llm.endpoint", m.endpoint.clone()),
        ("llm.endpoint_model", m.endpoint_model.clone()),
    ];
    for (k, v) in flags {
        if let Some(v) = v {
            s.set(k, &v).with_context(|| {
                format!("from --{}", k.trim_start_matches("llm.").replace('_', "-"))
            })?;
        }
    }
    let path = resolve(&s.llm.model, DEFAULT_LLM, &cli.workspace);
    let key = std::env::var(&s.llm.api_key_env)
        .ok()
        .filter(|k| !k.is_empty());
    Ok((s, path, key))
}

/// The workspace's configured generator (local model or endpoint).
/// Where the configured local model file is (or would be) for `s`.
pub(crate) fn default_model_path(workspace: &Path, s: &Settings) -> PathBuf {
    resolve(&s.llm.model, DEFAULT_LLM, workspace)
}

pub(crate) fn configured_generator(
    workspace: &Path,
    s: &Settings,
) -> Result<Box<dyn recur_engine::llm::Generate>> {
    let path = resolve(&s.llm.model, DEFAULT_LLM, workspace);
    let key = std::env::var(&s.llm.api_key_env)
        .ok()
        .filter(|k| !k.is_empty());
    Ok(recur_engine::open_generator(&s.llm, &path, key)?)
}

fn sampling(a: &SamplingArgs, n: usize) -> SamplingParams {
    SamplingParams {
        temperature: a.temperature,
        top_p: (a.top_p < 1.0).then_some(a.top_p),
        top_k: (a.top_k > 0).then_some(a.top_k),
        repetition_penalty: a.repeat_penalty,
        repeat_last_n: 64,
        seed: a.seed,
        max_tokens: a.max_tokens,
        stop: a.stop.clone(),
        n,
    }
}

fn stats(quiet: bool, g: &Generation) {
    if !quiet {
        eprintln!(
            "[{} prompt tokens at {:.0} tok/s; {} generated at {:.1} tok/s; finish: {:?}]",
            g.prompt_tokens,
            g.prompt_tokens_per_second(),
            g.completion_tokens,
            g.generation_tokens_per_second(),
            g.finish_reason
        );
    }
}

fn stream_to_stdout(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

pub(crate) fn llm(cli: &Cli, cmd: &LlmCommand) -> Result<ExitCode> {
    match cmd {
        LlmCommand::Generate {
            prompt,
            system,
            raw,
            json_schema,
            n,
            json,
            sampling: sa,
            model,
        } => {
            let (s, path, key) = llm_settings(cli, model)?;
            let schema = match json_schema {
                Some(p) => {
                    let text = std::fs::read_to_string(p)
                        .with_context(|| format!("reading the JSON schema {}", p.display()))?;
                    Some(
                        JsonSchema::parse(&text)
                            .map_err(recur_engine::Error::from)
                            .with_context(|| format!("in {}", p.display()))?,
                    )
                }
                None => None,
            };
            let params = sampling(sa, *n);
            let stream = !*json;
            let mut sink = |t: &str| {
                if stream {
                    stream_to_stdout(t)
                }
            };
            let answers = if *raw {
                if schema.is_some() || !s.llm.endpoint.is_empty() {
                    anyhow::bail!("--raw works with the local model and without --json-schema");
                }
                let mut m = recur_engine::open_local(&s.llm, &path)?;
                m.complete(prompt, &params, &mut sink)
                    .map_err(recur_engine::Error::from)?
            } else {
                let mut g = recur_engine::open_generator(&s.llm, &path, key)?;
                let messages = recur_engine::single_turn(system.as_deref(), prompt);
                g.chat(&messages, &params, schema.as_ref(), &mut sink)
                    .map_err(recur_engine::Error::from)?
            };
            if *json {
                let docs: Vec<_> = answers
                    .iter()
                    .map(|g| {
                        serde_json::json!({
                            "text": g.text,
                            "finish_reason": g.finish_reason,
                            "prompt_tokens": g.prompt_tokens,
                            "completion_tokens": g.completion_tokens,
                            "prompt_tokens_per_second": g.prompt_tokens_per_second(),
                            "generation_tokens_per_second": g.generation_tokens_per_second(),
                        })
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({"answers": docs}))?
                );
            } else {
                println!();
                for (i, g) in answers.iter().enumerate().skip(1) {
                    println!(
                        "--- answer {} (seed {}) ---\n{}",
                        i + 1,
                        params.seed + i as u64,
                        g.text
                    );
                }
                if let Some(first) = answers.first() {
                    stats(cli.quiet, first);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        LlmCommand::Chat {
            system,
            sampling: sa,
            model,
        } => {
            let (s, path, key) = llm_settings(cli, model)?;
            let mut g = recur_engine::open_generator(&s.llm, &path, key)?;
            let params = sampling(sa, 1);
            eprintln!(
                "{} — type a message; /reset forgets, /quit ends.",
                g.describe()
            );
            let mut history: Vec<Message> = system.iter().map(Message::system).collect();
            let stdin = std::io::stdin();
            let mut turn = 0u64;
            loop {
                eprint!("> ");
                let mut line = String::new();
                if stdin.lock().read_line(&mut line)? == 0 {
                    break;
                }
                let line = line.trim();
                match line {
                    "" => continue,
                    "/quit" | "/exit" => break,
                    "/reset" => {
                        history.retain(|m| m.role == "system");
                        eprintln!("(conversation forgotten)");
                        continue;
                    }
                    _ => {}
                }
                history.push(Message::user(line));
                let p = SamplingParams {
                    seed: params.seed.wrapping_add(turn),
                    ..params.clone()
                };
                turn += 1;
                let answer = g
                    .chat(&history, &p, None, &mut stream_to_stdout)
                    .map_err(recur_engine::Error::from)?
                    .remove(0);
                println!();
                stats(cli.quiet, &answer);
                history.push(Message::assistant(answer.text));
            }
            Ok(ExitCode::SUCCESS)
        }
        LlmCommand::Perplexity {
            file,
            window,
            json,
            model,
        } => {
            let (s, path, _) = llm_settings(cli, model)?;
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            let mut m = recur_engine::open_local(&s.llm, &path)?;
            let p = m
                .perplexity(&text, *window)
                .map_err(recur_engine::Error::from)?;
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"model": path, "file": file, "result": p})
                    )?
                );
            } else {
                println!(
                    "perplexity {:.3} (mean NLL {:.4} nats/token) over {} tokens of {} in windows of {} tokens; {:.1} s",
                    p.perplexity,
                    p.mean_nll,
                    p.tokens,
                    file.display(),
                    p.window,
                    p.seconds
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        LlmCommand::Bench {
            prompt_tokens,
            gen_tokens,
            runs,
            model,
        } => {
            let (s, path, _) = llm_settings(cli, model)?;
            let b = recur_bench::bench_llm(&s.llm, &path, *prompt_tokens, *gen_tokens, *runs)?;
            println!("{}", serde_json::to_string_pretty(&b)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub(crate) fn embed(cli: &Cli, a: &EmbedArgs) -> Result<ExitCode> {
    let mut s = settings_or_defaults(&cli.workspace)?;
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
        let body =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        texts.extend(
            body.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned),
        );
    }
    if texts.is_empty() {
        anyhow::bail!(
            "nothing to embed: give texts as arguments or --file FILE (one text per line)"
        );
    }
    let folder = resolve(&s.embed.model, DEFAULT_EMBED, &cli.workspace);
    let key = std::env::var(&s.llm.api_key_env)
        .ok()
        .filter(|k| !k.is_empty());
    let started = std::time::Instant::now();
    let e = recur_engine::open_embedder(&s.embed, &folder, key, s.llm.timeout_seconds)?;
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
    if a.json {
        let items: Vec<_> = texts
            .iter()
            .zip(&vectors)
            .map(|(t, v)| serde_json::json!({"text": t, "embedding": v}))
            .collect();
        println!(
            "{}",
            serde_json::to_string(&serde_json::json!({
                "model": e.describe(),
                "dimension": vectors.first().map_or(0, Vec::len),
                "embeddings": items,
            }))?
        );
    } else {
        println!(
            "{} vectors of {} dimensions from {}",
            vectors.len(),
            vectors.first().map_or(0, Vec::len),
            e.describe()
        );
        let shown = texts.len().min(8);
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

/// The embedder recur.toml and RECUR_* configure (no flags).
pub(crate) fn configured_embedder(cli: &Cli) -> Result<Box<dyn recur_engine::llm::Embed>> {
    let s = settings_or_defaults(&cli.workspace)?;
    let folder = resolve(&s.embed.model, DEFAULT_EMBED, &cli.workspace);
    let key = std::env::var(&s.llm.api_key_env)
        .ok()
        .filter(|k| !k.is_empty());
    Ok(recur_engine::open_embedder(
        &s.embed,
        &folder,
        key,
        s.llm.timeout_seconds,
    )?)
}
