//! `recur llm generate|chat|perplexity|bench`: the language model from the command line
//! (a local GGUF file or an OpenAI-compatible endpoint).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use recur_engine::Settings;
use recur_engine::llm::{Generation, JsonSchema, Message, SamplingParams};

use crate::cli::{LlmCommand, ModelArgs, SamplingArgs};
use crate::context::{Context, print_json};
use crate::error::usage;
use crate::models;

pub(crate) fn run(ctx: &Context, cmd: &LlmCommand) -> Result<ExitCode> {
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
        } => generate(
            ctx,
            &GenerateArgs {
                prompt,
                system: system.as_deref(),
                raw: *raw,
                json_schema: json_schema.as_deref(),
                n: *n,
                json: *json,
            },
            sa,
            model,
        ),
        LlmCommand::Chat {
            system,
            sampling: sa,
            model,
        } => chat(ctx, system.as_deref(), sa, model),
        LlmCommand::Perplexity {
            file,
            window,
            json,
            model,
        } => perplexity(ctx, file, *window, *json, model),
        LlmCommand::Bench {
            prompt_tokens,
            gen_tokens,
            runs,
            model,
        } => {
            let (s, path, _) = llm_settings(ctx, model)?;
            local_only(
                ctx,
                "bench",
                "it times the local model's prompt and generation steps, which an OpenAI-compatible endpoint does not report",
                model,
                &s,
            )?;
            let b = recur_bench::bench_llm(
                &s.llm,
                &path,
                *prompt_tokens,
                *gen_tokens,
                *runs,
                s.device,
            )?;
            print_json(&b)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Settings with the model flags applied, the local model's path and the endpoint's API key.
fn llm_settings(ctx: &Context, m: &ModelArgs) -> Result<(Settings, PathBuf, Option<String>)> {
    let mut s = ctx.settings_or_defaults()?;
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
    let path = models::llm_path(ctx, &s);
    let key = models::api_key(&s);
    Ok((s, path, key))
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

/// Token counts and speeds on stderr, unless quiet.
fn stats(quiet: bool, g: &Generation) {
    if !quiet {
        eprintln!("{}", stats_line(g));
    }
}

/// `[N prompt tokens at X tok/s; M generated at Y tok/s; finish: F]` when the times are known
/// (the local model); otherwise (an endpoint) the counts it reported and the total time.
fn stats_line(g: &Generation) -> String {
    match (
        g.prompt_tokens_per_second(),
        g.generation_tokens_per_second(),
    ) {
        (Some(pp), Some(tg)) => format!(
            "[{} prompt tokens at {pp:.0} tok/s; {} generated at {tg:.1} tok/s; finish: {:?}]",
            g.prompt_tokens, g.completion_tokens, g.finish_reason
        ),
        _ if g.prompt_tokens == 0 && g.completion_tokens == 0 => format!(
            "[token counts not reported; {:.1} s in all; finish: {:?}]",
            g.total_seconds, g.finish_reason
        ),
        _ => format!(
            "[{} prompt tokens; {} generated; {:.1} s in all; finish: {:?}]",
            g.prompt_tokens, g.completion_tokens, g.total_seconds, g.finish_reason
        ),
    }
}

/// Refuses `command` with `--endpoint`/`--endpoint-model`: it runs only on the local model.
/// Without those flags, a configured `llm.endpoint` gets a note that the local model is used.
fn local_only(ctx: &Context, command: &str, why: &str, m: &ModelArgs, s: &Settings) -> Result<()> {
    if m.endpoint.is_some() || m.endpoint_model.is_some() {
        return Err(usage(format!(
            "`recur llm {command}` cannot use an endpoint: {why}; drop --endpoint and \
             --endpoint-model to use the local model (--model)"
        )));
    }
    if !s.llm.endpoint.is_empty() && !ctx.quiet {
        eprintln!(
            "note: llm.endpoint is set, but `recur llm {command}` uses the local model ({why})"
        );
    }
    Ok(())
}

fn stream_to_stdout(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

/// The flags of `llm generate` besides sampling and model.
struct GenerateArgs<'a> {
    prompt: &'a str,
    system: Option<&'a str>,
    raw: bool,
    json_schema: Option<&'a Path>,
    n: usize,
    json: bool,
}

/// The JSON schema in `path` (`--json-schema`).
fn read_schema(path: &Path) -> Result<JsonSchema> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        usage(format!(
            "could not read the JSON schema `{}` (--json-schema): {e}; check the path",
            path.display()
        ))
    })?;
    JsonSchema::parse(&text)
        .map_err(recur_engine::Error::from)
        .with_context(|| format!("in {}", path.display()))
}

fn generate(
    ctx: &Context,
    a: &GenerateArgs<'_>,
    sa: &SamplingArgs,
    model: &ModelArgs,
) -> Result<ExitCode> {
    let (s, path, key) = llm_settings(ctx, model)?;
    let schema = a.json_schema.map(read_schema).transpose()?;
    let params = sampling(sa, a.n);
    let stream = !a.json;
    let mut sink = |t: &str| {
        if stream {
            stream_to_stdout(t)
        }
    };
    let answers = if a.raw {
        if schema.is_some() || !s.llm.endpoint.is_empty() {
            return Err(usage(
                "--raw works with the local model and without --json-schema; drop --raw, or drop --json-schema and --endpoint",
            ));
        }
        let mut m = recur_engine::open_local(&s.llm, &path, s.device)?;
        m.complete(a.prompt, &params, &mut sink)
            .map_err(recur_engine::Error::from)?
    } else {
        let mut g = recur_engine::open_generator(&s.llm, &path, key, s.device)?;
        let messages = recur_engine::single_turn(a.system, a.prompt);
        g.chat(&messages, &params, schema.as_ref(), &mut sink)
            .map_err(recur_engine::Error::from)?
    };
    if a.json {
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
                    "seconds": g.total_seconds,
                })
            })
            .collect();
        print_json(&serde_json::json!({"answers": docs}))?;
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
            stats(ctx.quiet, first);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn chat(
    ctx: &Context,
    system: Option<&str>,
    sa: &SamplingArgs,
    model: &ModelArgs,
) -> Result<ExitCode> {
    let (s, path, key) = llm_settings(ctx, model)?;
    let mut g = recur_engine::open_generator(&s.llm, &path, key, s.device)?;
    let params = sampling(sa, 1);
    eprintln!(
        "{} — type a message; /reset forgets, /quit ends.",
        g.describe()
    );
    let mut history: Vec<Message> = system.into_iter().map(Message::system).collect();
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
        stats(ctx.quiet, &answer);
        history.push(Message::assistant(answer.text));
    }
    Ok(ExitCode::SUCCESS)
}

fn perplexity(
    ctx: &Context,
    file: &Path,
    window: usize,
    json: bool,
    model: &ModelArgs,
) -> Result<ExitCode> {
    let (s, path, _) = llm_settings(ctx, model)?;
    local_only(
        ctx,
        "perplexity",
        "perplexity needs the probability of every token of the text, which an OpenAI-compatible endpoint cannot compute",
        model,
        &s,
    )?;
    let text = std::fs::read_to_string(file).map_err(|e| {
        usage(format!(
            "could not read `{}` (--file): {e}; give a UTF-8 text file",
            file.display()
        ))
    })?;
    let mut m = recur_engine::open_local(&s.llm, &path, s.device)?;
    let p = m
        .perplexity(&text, window)
        .map_err(recur_engine::Error::from)?;
    if json {
        print_json(&serde_json::json!({"model": path, "file": file, "result": p}))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use recur_engine::llm::FinishReason;

    fn answer(prompt_seconds: f64, generation_seconds: f64) -> Generation {
        Generation {
            text: "Hi".into(),
            tokens: Vec::new(),
            finish_reason: FinishReason::Stop,
            prompt_tokens: 22,
            completion_tokens: 11,
            prompt_seconds,
            generation_seconds,
            total_seconds: 2.5,
        }
    }

    #[test]
    fn speeds_only_when_the_times_are_known() {
        let local = stats_line(&answer(0.5, 1.0));
        assert!(
            local.contains("at 44 tok/s") && local.contains("at 10.0 tok/s"),
            "{local}"
        );
        let endpoint = stats_line(&answer(0.0, 0.0));
        assert!(!endpoint.contains("tok/s"), "{endpoint}");
        assert!(
            endpoint.contains("22 prompt tokens; 11 generated; 2.5 s in all"),
            "{endpoint}"
        );
    }
}
