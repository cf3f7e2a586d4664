//! `recur eval assist`: retrieval recall, groundedness, escalation and latency on an FAQ with a
//! file of differently worded questions; intent routing accuracy on agent guidelines.

use std::collections::BTreeMap;
use std::path::Path;

use recur_assist::{
    AnswerMode, AssistOptions, Conversation, KnowledgeKind, Lang, Router, parse_knowledge,
    validate_answer,
};
use recur_llm::{Embed, Generate};
use recur_retrieval::{KnowledgeIndex, SearchOptions};
use serde::{Deserialize, Serialize};

use super::{EmbedAdapter, ShopAssistant};
use crate::error::{Error, Result};

/// The FAQ evaluation's figures.
#[derive(Debug, Clone, Serialize)]
pub struct FaqEvaluation {
    /// Questions read.
    pub questions: usize,
    /// Questions the FAQ answers (`faq_index` not null).
    pub answerable: usize,
    /// Share of answerable questions whose first retrieved passage carries the right answer.
    pub recall_at_1: f64,
    /// Share whose right answer is among the first five passages.
    pub recall_at_5: f64,
    /// Share of the answers given (not escalated) whose every number, name and product is in a
    /// passage they cite, checked again after the assistant's own validator.
    pub grounded_share: f64,
    /// Share of the unanswerable or action-needing questions that were escalated.
    pub escalation_recall: f64,
    /// Share of escalations that were of such questions.
    pub escalation_precision: f64,
    /// Share of answerable questions answered (not escalated) with the right FAQ entry cited
    /// first.
    pub answer_accuracy: f64,
    /// Median seconds per answer.
    pub p50_seconds: f64,
    /// 90th percentile seconds per answer.
    pub p90_seconds: f64,
    /// Answers by how they came about.
    pub modes: BTreeMap<String, usize>,
    /// Escalation recall by the question's `kind`, when the file gives kinds.
    pub escalation_recall_by_kind: BTreeMap<String, f64>,
}

/// Intent routing accuracy.
#[derive(Debug, Clone, Serialize)]
pub struct IntentEvaluation {
    /// Messages routed.
    pub messages: usize,
    /// Share routed to the right flow.
    pub flow_accuracy: f64,
    /// Share routed to the right subflow (and flow).
    pub subflow_accuracy: f64,
}

#[derive(Deserialize)]
struct Question {
    faq_index: Option<usize>,
    question: String,
    #[serde(default)]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct IntentLine {
    flow: String,
    subflow: String,
    message: String,
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|error| Error::ReadInput {
        path: path.to_owned(),
        error,
    })
}

fn jsonl<T: for<'de> Deserialize<'de>>(path: &Path, hint: &'static str) -> Result<Vec<T>> {
    let bytes = read(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        out.push(serde_json::from_str(line).map_err(|e| Error::BadInput {
            path: path.to_owned(),
            line: i + 1,
            message: format!("column {}: {e}", e.column()),
            hint,
        })?);
    }
    Ok(out)
}

fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn share(n: usize, d: usize) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
}

fn percentile(mut v: Vec<f64>, q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let i = ((v.len() - 1) as f64 * q).round() as usize;
    v[i]
}

/// Evaluates the assistant on `faq` (an FAQ file) with `questions` (JSON lines of
/// `{"faq_index": N or null, "question": ...}`; a hit is any entry with the same answer).
pub fn evaluate_faq<'a>(
    faq: &Path,
    questions: &Path,
    embedder: Option<&'a dyn Embed>,
    generator: Option<&'a mut dyn Generate>,
    options: AssistOptions,
) -> Result<FaqEvaluation> {
    let source = faq
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let passages = parse_knowledge(&source, &read(faq)?, Some(KnowledgeKind::Faq))?;
    let answers: Vec<String> = passages.iter().map(|p| normalise(&p.text)).collect();
    let qs: Vec<Question> = jsonl(
        questions,
        "each line must be {\"faq_index\": N or null, \"question\": \"...\"}",
    )?;
    for (i, q) in qs.iter().enumerate() {
        if q.faq_index.is_some_and(|n| n >= answers.len()) {
            return Err(Error::BadInput {
                path: questions.to_owned(),
                line: i + 1,
                message: format!(
                    "faq_index {} is past the FAQ's {} entries",
                    q.faq_index.unwrap_or(0),
                    answers.len()
                ),
                hint: "faq_index counts the FAQ's entries from 0",
            });
        }
    }
    let adapter = embedder.map(EmbedAdapter);
    let mut index = KnowledgeIndex::in_memory()?;
    index.replace_source(
        &source,
        "",
        passages,
        adapter
            .as_ref()
            .map(|a| a as &dyn recur_retrieval::Embedder),
    )?;

    // Retrieval recall, with the query embedded as the assistant does it.
    let (mut hit1, mut hit5) = (0, 0);
    for q in qs.iter().filter(|q| q.faq_index.is_some()) {
        let gold = &answers[q.faq_index.unwrap_or(0)];
        let vector = match (&adapter, Lang::detect(&q.question)) {
            (Some(a), lang) if options.dense_languages.contains(&lang) => {
                recur_retrieval::Embedder::embed(a, &[q.question.as_str()])
                    .map_err(recur_retrieval::Error::Embed)?
                    .pop()
            }
            _ => None,
        };
        let hits = index.search(
            &q.question,
            vector.as_deref(),
            &SearchOptions {
                k: 5,
                ..SearchOptions::default()
            },
        )?;
        let rank = hits
            .iter()
            .position(|h| &normalise(&h.passage.text) == gold);
        hit1 += usize::from(rank == Some(0));
        hit5 += usize::from(rank.is_some());
    }

    let mut assistant = ShopAssistant::over(index, embedder, generator, options);
    let mut seconds = Vec::new();
    let mut modes: BTreeMap<String, usize> = BTreeMap::new();
    let (mut answered, mut grounded, mut correct) = (0, 0, 0);
    let (mut escalated, mut escalated_right, mut unanswerable) = (0, 0, 0);
    let mut by_kind: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for q in &qs {
        let a = assistant.ask(&mut Conversation::default(), &q.question, None)?;
        seconds.push(a.seconds);
        let mode = serde_json::to_value(a.mode)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        *modes.entry(mode).or_default() += 1;
        if q.faq_index.is_none() {
            unanswerable += 1;
            let e = by_kind
                .entry(q.kind.clone().unwrap_or_else(|| "unanswerable".into()))
                .or_default();
            e.0 += 1;
            e.1 += usize::from(a.escalate);
        }
        if a.escalate {
            escalated += 1;
            escalated_right += usize::from(q.faq_index.is_none());
            continue;
        }
        answered += 1;
        if a.mode != AnswerMode::Orders {
            // The independent check: the cited passages, at their markers.
            let top = a.citations.iter().map(|c| c.marker).max().unwrap_or(0);
            let mut texts = vec![String::new(); top];
            for c in &a.citations {
                if let Some(p) = assistant.index().passage(&c.id) {
                    texts[c.marker - 1] = p.full_text();
                }
            }
            grounded += usize::from(validate_answer(&a.answer, &texts, &[], a.language).is_empty());
        }
        if let (Some(n), Some(first)) = (q.faq_index, a.citations.first())
            && assistant
                .index()
                .passage(&first.id)
                .is_some_and(|p| normalise(&p.text) == answers[n])
        {
            correct += 1;
        }
    }
    let answerable = qs.len() - unanswerable;
    Ok(FaqEvaluation {
        questions: qs.len(),
        answerable,
        recall_at_1: share(hit1, answerable),
        recall_at_5: share(hit5, answerable),
        grounded_share: share(grounded, answered),
        escalation_recall: share(escalated_right, unanswerable),
        escalation_precision: share(escalated_right, escalated),
        answer_accuracy: share(correct, answerable),
        p50_seconds: percentile(seconds.clone(), 0.5),
        p90_seconds: percentile(seconds, 0.9),
        modes,
        escalation_recall_by_kind: by_kind
            .into_iter()
            .map(|(k, (n, e))| (k, share(e, n)))
            .collect(),
    })
}

/// Routes each message of `intents` (JSON lines of `{"flow", "subflow", "message"}`) with the
/// flows and subflows of `guidelines`.
pub fn evaluate_intents(
    intents: &Path,
    guidelines: &Path,
    embedder: Option<&dyn Embed>,
) -> Result<IntentEvaluation> {
    let lines: Vec<IntentLine> = jsonl(
        intents,
        "each line must be {\"flow\": ..., \"subflow\": ..., \"message\": ...}",
    )?;
    let adapter = embedder.map(EmbedAdapter);
    let dyn_embedder = adapter
        .as_ref()
        .map(|a| a as &dyn recur_retrieval::Embedder);
    let name = guidelines.display().to_string();
    let router = Router::from_guidelines(&name, &read(guidelines)?, dyn_embedder)?;
    let (mut flow, mut sub) = (0, 0);
    for l in &lines {
        if let Some(r) = router.route(&l.message, dyn_embedder)? {
            let f = r.flow == l.flow;
            flow += usize::from(f);
            sub += usize::from(f && r.subflow == l.subflow);
        }
    }
    Ok(IntentEvaluation {
        messages: lines.len(),
        flow_accuracy: share(flow, lines.len()),
        subflow_accuracy: share(sub, lines.len()),
    })
}
