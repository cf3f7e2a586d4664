//! `recur assist`: the customer-service assistant, one question (`--question`) or a chat on the
//! terminal; answers cite their passages, and escalations say why.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Result;
use recur_engine::{Answer, Conversation, ShopAssistant, assist_options};

use crate::cli::AssistArgs;
use crate::context::Context;
use crate::models;

pub(crate) fn run(ctx: &Context, a: &AssistArgs) -> Result<ExitCode> {
    let mut s = ctx.settings_or_defaults()?;
    if let Some(style) = &a.style {
        s.set("assist.style", style)?;
    }
    let workspace = if ctx.workspace.join(recur_engine::SETTINGS_FILE).exists() {
        Some(ctx.open_workspace(&[])?)
    } else {
        None
    };
    let embedder = models::optional_embedder(ctx, &s)?;
    let mut generator = if a.no_llm || s.assist.style == "quote" {
        None
    } else {
        models::optional_generator(ctx, &s)?
    };
    let mut assistant = ShopAssistant::open(
        &ctx.workspace,
        workspace.as_ref(),
        embedder.as_deref(),
        generator
            .as_deref_mut()
            .map(|g| g as &mut dyn recur_engine::llm::Generate),
        assist_options(&s.assist),
    )?;
    if assistant.index().passages().is_empty() {
        eprintln!(
            "note: no knowledge in {}; add some with `recur kb import FILE`",
            ctx.workspace.display()
        );
    }
    let mut chat = Conversation::default();
    if let Some(q) = &a.question {
        let answer = assistant.ask(&mut chat, q, a.customer.as_deref())?;
        show(&answer, a.json)?;
        return Ok(ExitCode::SUCCESS);
    }
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    loop {
        if !a.json {
            write!(out, "you> ")?;
            out.flush()?;
        }
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 {
            break;
        }
        let q = line.trim();
        if q.is_empty() {
            continue;
        }
        if matches!(q, "exit" | "quit" | "/exit" | "/quit") {
            break;
        }
        let answer = assistant.ask(&mut chat, q, a.customer.as_deref())?;
        show(&answer, a.json)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn show(a: &Answer, json: bool) -> Result<()> {
    if json {
        // One line per answer, so a chat's answers can be read as JSON lines.
        println!("{}", serde_json::to_string(a)?);
        return Ok(());
    }
    println!("assistant> {}", a.answer);
    for c in &a.citations {
        println!("  [{}] {} ({})", c.marker, c.title, c.id);
    }
    if a.escalate {
        println!(
            "  -> handed to a person: {}",
            a.reason.as_deref().unwrap_or("no reason given")
        );
    }
    for note in &a.notes {
        eprintln!("  note: {note}");
    }
    Ok(())
}
