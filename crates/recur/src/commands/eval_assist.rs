//! `recur eval assist`: the assistant on an FAQ with differently worded questions (retrieval
//! recall, groundedness, escalation, latency), or intent routing on agent guidelines.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::EvalAssistArgs;
use crate::context::{Context, print_json};
use crate::error::{require_file, usage};
use crate::models;

pub(crate) fn run(ctx: &Context, a: &EvalAssistArgs) -> Result<ExitCode> {
    let mut s = ctx.settings_or_defaults()?;
    if let Some(style) = &a.style {
        s.set("assist.style", style)?;
    }
    let embedder = if a.no_embed {
        None
    } else {
        models::optional_embedder(ctx, &s)?
    };
    if let (Some(intents), Some(guidelines)) = (&a.intents, &a.guidelines) {
        require_file(intents, "--intents")?;
        require_file(guidelines, "--guidelines")?;
        let r = recur_engine::evaluate_intents(intents, guidelines, embedder.as_deref())?;
        if a.json {
            print_json(&r)?;
        } else {
            println!(
                "{} messages: flow accuracy {:.3}, subflow accuracy {:.3}",
                r.messages, r.flow_accuracy, r.subflow_accuracy
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(dir) = &a.jddc {
        if !dir.is_dir() {
            return Err(usage(format!(
                "--jddc `{}` is not a folder; give the folder with chat_0.1per.txt, dev_question.txt and dev_answer.txt",
                dir.display()
            )));
        }
        let r = recur_engine::evaluate_jddc(dir, recur_engine::assist_options(&s.assist))?;
        if a.json {
            print_json(&r)?;
        } else {
            println!(
                "{} questions, {} knowledge pairs: BLEU assistant {:.4}, retrieval {:.4}, plain BM25 {:.4}; escalated {:.3}",
                r.questions,
                r.knowledge_pairs,
                r.bleu_assistant,
                r.bleu_retrieval,
                r.bleu_bm25_baseline,
                r.escalated_share
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(faq), Some(questions)) = (&a.faq, &a.questions) else {
        return Err(usage(
            "give --faq FILE --questions FILE.jsonl, --intents FILE.jsonl --guidelines FILE, or --jddc DIR",
        ));
    };
    require_file(faq, "--faq")?;
    require_file(questions, "--questions")?;
    let mut generator = if a.no_llm || s.assist.style == "quote" {
        None
    } else {
        models::optional_generator(ctx, &s)?
    };
    let r = recur_engine::evaluate_faq(
        faq,
        questions,
        embedder.as_deref(),
        generator
            .as_deref_mut()
            .map(|g| g as &mut dyn recur_engine::llm::Generate),
        recur_engine::assist_options(&s.assist),
    )?;
    if a.json {
        print_json(&r)?;
    } else {
        println!(
            "{} questions ({} answerable)\n  retrieval Recall@1 {:.3}, Recall@5 {:.3}\n  answers: {:.3} grounded, {:.3} right entry cited first\n  escalation recall {:.3}, precision {:.3}\n  seconds per answer: p50 {:.3}, p90 {:.3}\n  modes: {:?}\n  questions got wrong: {} (each under \"misses\" with --json)",
            r.questions,
            r.answerable,
            r.recall_at_1,
            r.recall_at_5,
            r.grounded_share,
            r.answer_accuracy,
            r.escalation_recall,
            r.escalation_precision,
            r.p50_seconds,
            r.p90_seconds,
            r.modes,
            r.misses.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
