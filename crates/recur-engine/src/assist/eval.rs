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
    /// Every question the assistant got wrong (answered with the wrong entry first, handed over
    /// although the FAQ answers it, or answered although it should have been handed over), in
    /// file order: what to read when a figure moves.
    pub misses: Vec<FaqMiss>,
}

/// One question the assistant got wrong.
#[derive(Debug, Clone, Serialize)]
pub struct FaqMiss {
    /// Line of the questions file (from 1).
    pub line: usize,
    /// The question as written.
    pub question: String,
    /// The question's `kind`, when given.
    pub kind: Option<String>,
    /// The FAQ entry that answers it (`null`: none should).
    pub faq_index: Option<usize>,
    /// First FAQ entry with the cited answer (the lowest index among entries that repeat it),
    /// or `null` when nothing was cited.
    pub cited_index: Option<usize>,
    /// Whether the assistant handed the question to a person.
    pub escalated: bool,
    /// Why it did, as a stable code (`low_confidence`, `action`, `angry`, ...).
    pub reason_code: Option<String>,
    /// Retrieval confidence of the best passage.
    pub confidence: f64,
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

/// The records of a JSON-lines file, each with its line number (from 1); blank lines skipped.
fn jsonl<T: for<'de> Deserialize<'de>>(path: &Path, hint: &'static str) -> Result<Vec<(usize, T)>> {
    let bytes = read(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        out.push((
            i + 1,
            serde_json::from_str(line).map_err(|e| Error::BadInput {
                path: path.to_owned(),
                line: i + 1,
                message: format!("column {}: {e}", e.column()),
                hint,
            })?,
        ));
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
    let qs: Vec<(usize, Question)> = jsonl(
        questions,
        "each line must be {\"faq_index\": N or null, \"question\": \"...\"}",
    )?;
    for &(line, ref q) in &qs {
        if q.faq_index.is_some_and(|n| n >= answers.len()) {
            return Err(Error::BadInput {
                path: questions.to_owned(),
                line,
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
    for (_, q) in qs.iter().filter(|(_, q)| q.faq_index.is_some()) {
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
            &options.search_options(5, vector.is_some()),
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
    let mut misses = Vec::new();
    for &(line, ref q) in &qs {
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
        let cited_index = a.citations.first().and_then(|c| {
            let text = normalise(&assistant.index().passage(&c.id)?.text);
            answers.iter().position(|t| *t == text)
        });
        let right = match q.faq_index {
            None => a.escalate,
            Some(n) => !a.escalate && cited_index.is_some_and(|c| answers[c] == answers[n]),
        };
        if !right {
            misses.push(FaqMiss {
                line,
                question: q.question.clone(),
                kind: q.kind.clone(),
                faq_index: q.faq_index,
                cited_index,
                escalated: a.escalate,
                reason_code: a.reason_code.map(|r| r.code().to_owned()),
                confidence: a.confidence,
            });
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
        correct += usize::from(right && q.faq_index.is_some());
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
        misses,
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
    )?
    .into_iter()
    .map(|(_, l)| l)
    .collect();
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

/// The JDDC evaluation: BLEU of replies against the three human agents' replies.
#[derive(Debug, Clone, Serialize)]
pub struct JddcEvaluation {
    /// Chat-log pairs (customer turn, agent reply) used as knowledge.
    pub knowledge_pairs: usize,
    /// Dev questions with at least one human reply.
    pub questions: usize,
    /// Mean character BLEU-4 of the assistant's replies (escalations reply with the hand-off
    /// sentence) against each human reply.
    pub bleu_assistant: f64,
    /// The same for the assistant's best passage even where it escalated (retrieval with the
    /// conversation, no hand-off).
    pub bleu_retrieval: f64,
    /// The same for plain BM25: the reply to the most similar logged customer turn, the
    /// current question alone.
    pub bleu_bm25_baseline: f64,
    /// Share of questions the assistant escalated.
    pub escalated_share: f64,
}

/// Sessions of a JDDC chat log as alternating (customer, agent) turns.
fn jddc_pairs(chat: &str) -> Vec<recur_retrieval::Passage> {
    let mut out = Vec::new();
    let mut session = String::new();
    let mut customer = String::new();
    let mut agent = String::new();
    let flush =
        |customer: &mut String, agent: &mut String, out: &mut Vec<recur_retrieval::Passage>| {
            if !customer.trim().is_empty() && !agent.trim().is_empty() {
                out.push(recur_retrieval::Passage {
                    id: format!("chat#{}", out.len()),
                    source: "chat".into(),
                    kind: "chat".into(),
                    title: customer.trim().to_owned(),
                    text: agent.trim().to_owned(),
                    meta: Default::default(),
                });
            }
            if !agent.is_empty() {
                customer.clear();
            }
            agent.clear();
        };
    for line in chat.lines() {
        let cols: Vec<&str> = line.splitn(7, '\t').collect();
        if cols.len() < 7 {
            continue;
        }
        if cols[0] != session {
            flush(&mut customer, &mut agent, &mut out);
            customer.clear();
            session = cols[0].to_owned();
        }
        let text = cols[6].trim();
        if cols[2] == "1" {
            if !agent.is_empty() {
                agent.push_str("!@@@!");
            }
            agent.push_str(text);
        } else {
            if !agent.is_empty() {
                flush(&mut customer, &mut agent, &mut out);
            }
            if !customer.is_empty() {
                customer.push_str("!@@@!");
            }
            customer.push_str(text);
        }
    }
    flush(&mut customer, &mut agent, &mut out);
    out
}

/// One dev session: its context questions and the questions to answer.
struct DevSession {
    id: String,
    context: Vec<String>,
    questions: Vec<String>,
}

fn dev_sessions(text: &str) -> Vec<DevSession> {
    let mut out = Vec::new();
    let mut cur: Option<DevSession> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(id) = t
            .strip_prefix("<session ")
            .and_then(|r| r.strip_suffix('>'))
        {
            cur = Some(DevSession {
                id: id.to_owned(),
                context: Vec::new(),
                questions: Vec::new(),
            });
        } else if t.starts_with("</session") {
            out.extend(cur.take());
        } else if let Some(s) = cur.as_mut() {
            if let Some(q) = line.strip_prefix("Q:") {
                s.context.push(q.trim().to_owned());
            } else if t.starts_with("<Q") && t.contains('>') {
                let inner = t.split_once('>').map(|x| x.1).unwrap_or_default();
                let inner = inner.rsplit_once("</Q").map_or(inner, |x| x.0);
                s.questions.push(inner.to_owned());
            }
        }
    }
    out
}

fn dev_answers(text: &str) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut out: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    let mut cur: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(id) = t
            .strip_prefix("<session ")
            .and_then(|r| r.strip_suffix('>'))
        {
            cur = Some(id.to_owned());
            out.entry(id.to_owned()).or_default();
        } else if t.starts_with("</session") {
            cur = None;
        } else if let Some(id) = &cur {
            let refs = t
                .split("<sep>")
                .map(str::trim)
                .filter(|r| !r.is_empty() && *r != "NULL")
                .map(str::to_owned)
                .collect();
            out.entry(id.clone()).or_default().push(refs);
        }
    }
    out
}

fn clean(s: &str) -> String {
    s.replace("!@@@!", "")
}

/// Answers the JDDC dev questions (`dir` holds `chat_0.1per.txt`, `dev_question.txt`,
/// `dev_answer.txt`) from the chat log as knowledge; BLEU against each human reply.
pub fn evaluate_jddc(dir: &Path, options: AssistOptions) -> Result<JddcEvaluation> {
    let text = |name: &str| -> Result<String> {
        Ok(String::from_utf8_lossy(&read(&dir.join(name))?).into_owned())
    };
    let pairs = jddc_pairs(&text("chat_0.1per.txt")?);
    let knowledge_pairs = pairs.len();
    let sessions = dev_sessions(&text("dev_question.txt")?);
    let answers = dev_answers(&text("dev_answer.txt")?);
    let mut index = KnowledgeIndex::in_memory()?;
    index.replace_source("chat", "", pairs, None)?;
    let mut assistant = ShopAssistant::over(index, None, None, options);
    let (mut assistant_sum, mut retrieval_sum, mut baseline_sum, mut n_refs) =
        (0.0, 0.0, 0.0, 0usize);
    let (mut questions, mut escalated) = (0, 0);
    for s in &sessions {
        let Some(refs_of) = answers.get(&s.id) else {
            continue;
        };
        let mut chat = Conversation::default();
        for q in &s.context {
            chat.turns.push((recur_assist::Role::Customer, clean(q)));
        }
        for (i, q) in s.questions.iter().enumerate() {
            let q = clean(q);
            let refs = refs_of.get(i).cloned().unwrap_or_default();
            let answer = assistant.ask(&mut chat, &q, None)?;
            if refs.is_empty() {
                continue;
            }
            questions += 1;
            escalated += usize::from(answer.escalate);
            let best = |query: &str| -> Result<String> {
                Ok(assistant
                    .index()
                    .search(
                        query,
                        None,
                        &SearchOptions {
                            k: 1,
                            ..SearchOptions::default()
                        },
                    )?
                    .first()
                    .map(|h| h.passage.text.clone())
                    .unwrap_or_default())
            };
            let retrieved = {
                // The assistant's query: a short follow-up is searched with the question before it.
                let prev = chat
                    .turns
                    .iter()
                    .rev()
                    .filter(|(r, _)| *r == recur_assist::Role::Customer)
                    .nth(1);
                match prev {
                    Some((_, p)) if recur_retrieval::content_terms(&q).len() <= 3 => {
                        best(&format!("{p} {q}"))?
                    }
                    _ => best(&q)?,
                }
            };
            let baseline = best(&q)?;
            let reply = recur_assist::strip_markers(&answer.answer);
            for r in &refs {
                let r = clean(r);
                assistant_sum += recur_assist::char_bleu(&clean(&reply), &r);
                retrieval_sum += recur_assist::char_bleu(&clean(&retrieved), &r);
                baseline_sum += recur_assist::char_bleu(&clean(&baseline), &r);
                n_refs += 1;
            }
        }
    }
    let mean = |s: f64| if n_refs == 0 { 0.0 } else { s / n_refs as f64 };
    Ok(JddcEvaluation {
        knowledge_pairs,
        questions,
        bleu_assistant: mean(assistant_sum),
        bleu_retrieval: mean(retrieval_sum),
        bleu_bm25_baseline: mean(baseline_sum),
        escalated_share: share(escalated, questions),
    })
}
