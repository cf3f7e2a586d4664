//! One turn of the assistant: escalation rules, the order tool, retrieval with a confidence
//! check, then an answer that is either a quoted passage or the language model's answer over
//! the retrieved passages, validated and replaced by the quote when it states anything the
//! passages do not.

use std::time::Instant;

use recur_retrieval::{Embedder, Hit, KnowledgeIndex, SearchOptions, content_terms};
use serde::Serialize;

use crate::error::Result;
use crate::escalate::{EscalationReason, escalation};
use crate::grounding::{Violation, citation_markers, validate_answer};
use crate::language::Lang;
use crate::orders::{OrderLookup, order_answer, order_question};

/// Who said a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The customer.
    Customer,
    /// The assistant.
    Assistant,
}

/// The turns so far (personal data already removed from customer turns).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Conversation {
    /// (who, what) in order.
    pub turns: Vec<(Role, String)>,
}

impl Conversation {
    /// The last customer turn before the current one.
    fn previous_question(&self) -> Option<&str> {
        self.turns
            .iter()
            .rev()
            .find(|(r, _)| *r == Role::Customer)
            .map(|(_, t)| t.as_str())
    }
}

/// A chat model the assistant can ask (the engine adapts the local GGUF model or an endpoint).
pub trait Writer {
    /// Answers `prompt` after the `history` turns, following `system`.
    fn write(
        &mut self,
        system: &str,
        history: &[(Role, String)],
        prompt: &str,
    ) -> std::result::Result<String, String>;
}

/// How answers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerStyle {
    /// Quote a confidently matched FAQ entry; let the model answer otherwise.
    Auto,
    /// Always let the model answer (validated; the quote is the fallback).
    Model,
    /// Never use the model: quote the best passage.
    Quote,
}

/// How an answer came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerMode {
    /// The model's answer passed validation.
    Generated,
    /// A passage quoted (by choice, or because the model's answers failed validation).
    Quoted,
    /// From the customer's orders.
    Orders,
    /// Handed to a person.
    Escalated,
}

/// Settings of the assistant.
#[derive(Debug, Clone)]
pub struct AssistOptions {
    /// Passages given to the model.
    pub passages: usize,
    /// Below this confidence the question goes to a person.
    pub min_confidence: f64,
    /// At or above this confidence an FAQ entry is quoted as is (style `auto`).
    pub quote_confidence: f64,
    /// How answers are written.
    pub style: AnswerStyle,
    /// Attempts of the model before the quote (each retry is told what was wrong).
    pub attempts: usize,
    /// Languages whose queries also search by embedding (the default model is English-only;
    /// Chinese leans on BM25 with the segmenter).
    pub dense_languages: Vec<Lang>,
    /// Weight of the BM25 ranking beside the embedding ranking when the query is embedded
    /// (without an embedding BM25 ranks alone). Paraphrased questions match an FAQ better by
    /// meaning than by shared words, so the default leans on the embedding; see BENCHMARKS.md.
    pub dense_bm25_weight: f64,
    /// Added to a passage's cosine per share of the question's words it holds, when the
    /// question is embedded ([`SearchOptions::word_weight`]): near-ties between FAQ entries the
    /// embedding finds equally close go to the one with the customer's words. See BENCHMARKS.md.
    pub dense_word_weight: f64,
}

impl Default for AssistOptions {
    fn default() -> Self {
        AssistOptions {
            passages: 3,
            min_confidence: 0.5,
            quote_confidence: 0.6,
            style: AnswerStyle::Auto,
            attempts: 2,
            dense_languages: vec![Lang::En],
            dense_bm25_weight: 0.0,
            dense_word_weight: 0.1,
        }
    }
}

impl AssistOptions {
    /// The search settings for `k` passages, with or without a query embedding.
    pub fn search_options(&self, k: usize, embedded: bool) -> SearchOptions {
        SearchOptions {
            k: k.max(1),
            bm25_weight: if embedded {
                self.dense_bm25_weight
            } else {
                1.0
            },
            word_weight: if embedded {
                self.dense_word_weight
            } else {
                0.0
            },
            ..SearchOptions::default()
        }
    }
}

/// A cited passage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Citation {
    /// The `[n]` marker in the answer.
    pub marker: usize,
    /// Passage id (`orders:ID` for the customer's orders).
    pub id: String,
    /// Its source.
    pub source: String,
    /// Its title.
    pub title: String,
}

/// The assistant's reply to one question.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    /// What the customer reads.
    pub answer: String,
    /// Passages the answer rests on.
    pub citations: Vec<Citation>,
    /// Whether a person must take over.
    pub escalate: bool,
    /// Why (for the agent), when escalating.
    pub reason: Option<String>,
    /// The reason's stable code.
    pub reason_code: Option<EscalationReason>,
    /// The language of the question (and the answer).
    pub language: Lang,
    /// How the answer came about.
    pub mode: AnswerMode,
    /// Retrieval confidence of the best passage (0-1).
    pub confidence: f64,
    /// Why the model's answers were rejected, when they were.
    pub rejected: Vec<String>,
    /// What did not go as configured but did not stop the answer (for example the question
    /// could not be embedded, so passages were ranked by words only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Seconds taken.
    pub seconds: f64,
}

/// The parts one turn needs; the caller owns them.
pub struct Assistant<'a> {
    /// The knowledge.
    pub index: &'a KnowledgeIndex,
    /// The query embedder (the one the index was built with), if any.
    pub embedder: Option<&'a dyn Embedder>,
    /// The model, if any (without one, answers are quotes).
    pub writer: Option<&'a mut dyn Writer>,
    /// The order tool, if the assistant may use the workspace's orders.
    pub orders: Option<&'a dyn OrderLookup>,
    /// Catalog titles the validator watches for.
    pub products: &'a [String],
    /// Settings.
    pub options: AssistOptions,
}

/// Replaces e-mail addresses and phone-like digit runs by placeholders, so that personal data
/// typed by a customer never reaches a prompt or a log.
pub fn redact(text: &str) -> String {
    let mut out = Vec::new();
    for word in text.split(' ') {
        // Punctuation around a word ("me@x.com," or "+44 7700:") stays; the word goes.
        let core = word.trim_matches(|c: char| {
            matches!(
                c,
                ',' | ';' | ':' | '!' | '?' | '"' | '\'' | '<' | '>' | '，' | '：' | '；'
            )
        });
        let (start, end) = match word.find(core) {
            Some(i) if !core.is_empty() => (i, i + core.len()),
            _ => (0, word.len()),
        };
        let digits = core.chars().filter(char::is_ascii_digit).count();
        let phone_chars = core
            .chars()
            .all(|c| c.is_ascii_digit() || "+-().".contains(c));
        let replacement = if core.contains('@') && core.contains('.') {
            Some("[email]")
        } else if digits >= 9 && phone_chars {
            Some("[phone]")
        } else {
            None
        };
        match replacement {
            Some(r) => out.push(format!("{}{r}{}", &word[..start], &word[end..])),
            None => out.push(word.to_owned()),
        }
    }
    out.join(" ")
}

fn handoff(reason: EscalationReason, lang: Lang) -> &'static str {
    use EscalationReason as R;
    match (lang, reason) {
        (Lang::En, R::LowConfidence) => {
            "I'm not sure I can answer that correctly, so I'm passing your question to a colleague who will get back to you."
        }
        (Lang::En, R::Refund | R::Cancellation | R::AccountSecurity) => {
            "This needs a colleague who can act on your account. I'm passing your request on and they will get back to you."
        }
        (Lang::En, R::Complaint) => {
            "I'm sorry to hear that. I'm passing this to a colleague who will look into it and get back to you."
        }
        (Lang::En, R::HumanRequested) => {
            "Of course. I'm passing you to a colleague who will get back to you."
        }
        (Lang::En, R::Angry) => {
            "I'm sorry about this. I'm passing your message to a colleague who will help you personally."
        }
        (Lang::Zh, R::LowConfidence) => {
            "这个问题我不确定能准确回答，已为您转给同事，他们会尽快回复您。"
        }
        (Lang::Zh, R::Refund | R::Cancellation | R::AccountSecurity) => {
            "这需要同事为您的账户进行处理，已为您转交，他们会尽快回复您。"
        }
        (Lang::Zh, R::Complaint) => {
            "很抱歉给您带来不好的体验，已为您转给同事跟进处理，他们会尽快回复您。"
        }
        (Lang::Zh, R::HumanRequested) => "好的，正在为您转接人工客服。",
        (Lang::Zh, R::Angry) => "非常抱歉给您带来困扰，已为您转给同事专门处理。",
    }
}

const SYSTEM_EN: &str = "You are a shop's customer service assistant. Answer the customer's question using only the numbered passages. Cite the passage you use like [1]. Do not add prices, numbers, dates, names or products that the passages do not contain. Answer in English, in at most three short sentences.";
const SYSTEM_ZH: &str = "你是网店的客服助手。只根据编号的资料回答顾客的问题，并用[1]这样的编号注明出处。不要添加资料中没有的价格、数字、日期、名称或商品。用中文回答，不超过三句话。";

impl Assistant<'_> {
    /// Answers `question` (from the customer signed in as `customer`, if any) and records the
    /// turn in `conversation`.
    pub fn answer(
        &mut self,
        conversation: &mut Conversation,
        question: &str,
        customer: Option<&str>,
    ) -> Result<Answer> {
        let started = Instant::now();
        let question = redact(question.trim());
        let lang = Lang::detect(&question);
        let mut reply = self.reply(conversation, &question, customer, lang)?;
        reply.seconds = started.elapsed().as_secs_f64();
        conversation.turns.push((Role::Customer, question));
        conversation
            .turns
            .push((Role::Assistant, reply.answer.clone()));
        Ok(reply)
    }

    fn escalated(reason: EscalationReason, lang: Lang, confidence: f64) -> Answer {
        Answer {
            answer: handoff(reason, lang).to_owned(),
            citations: Vec::new(),
            escalate: true,
            reason: Some(reason.describe().to_owned()),
            reason_code: Some(reason),
            language: lang,
            mode: AnswerMode::Escalated,
            confidence,
            rejected: Vec::new(),
            notes: Vec::new(),
            seconds: 0.0,
        }
    }

    fn reply(
        &mut self,
        conversation: &Conversation,
        question: &str,
        customer: Option<&str>,
        lang: Lang,
    ) -> Result<Answer> {
        if let Some(e) = escalation(question) {
            return Ok(Self::escalated(e.reason, lang, 0.0));
        }
        if let (Some(q), Some(orders), Some(customer)) =
            (order_question(question), self.orders, customer)
        {
            // Only the signed-in customer's own orders are ever looked up.
            let facts = orders
                .orders(
                    customer,
                    if q == crate::orders::OrderQuestion::Items {
                        3
                    } else {
                        1
                    },
                )
                .map_err(crate::error::Error::Tool)?;
            let citations = facts
                .iter()
                .enumerate()
                .map(|(i, o)| Citation {
                    marker: i + 1,
                    id: format!("orders:{}", o.order_id),
                    source: "orders".into(),
                    title: format!("order {} ({})", o.order_id, o.day),
                })
                .collect();
            return Ok(Answer {
                answer: order_answer(q, &facts, lang),
                citations,
                escalate: false,
                reason: None,
                reason_code: None,
                language: lang,
                mode: AnswerMode::Orders,
                confidence: 1.0,
                rejected: Vec::new(),
                notes: Vec::new(),
                seconds: 0.0,
            });
        }

        // A short follow-up ("and for Canada?") is searched together with the previous question.
        // Redaction placeholders say nothing about the topic.
        let topic = question.replace("[email]", " ").replace("[phone]", " ");
        let query = match conversation.previous_question() {
            Some(prev) if content_terms(&topic).len() <= 3 => {
                format!(
                    "{} {topic}",
                    prev.replace("[email]", " ").replace("[phone]", " ")
                )
            }
            _ => topic,
        };
        // An embedder that fails (an endpoint down) costs the meaning match, not the answer:
        // the passages are then ranked by words, as for a language without embeddings.
        let mut notes = Vec::new();
        let vector = match self.embedder {
            Some(e)
                if self.options.dense_languages.contains(&lang)
                    && e.id() == self.index.embedder_id() =>
            {
                match e.embed(&[query.as_str()]) {
                    Ok(mut v) => v.pop(),
                    // The error's text stays out of the answer: it can name the endpoint, and the
                    // answer goes to whoever asked.
                    Err(_) => {
                        notes.push(
                            "the question could not be embedded: passages ranked by words only"
                                .to_owned(),
                        );
                        None
                    }
                }
            }
            _ => None,
        };
        let hits = self.index.search(
            &query,
            vector.as_deref(),
            &self
                .options
                .search_options(self.options.passages, vector.is_some()),
        )?;
        let confidence = hits.first().map_or(0.0, confidence);
        if hits.is_empty() || confidence < self.options.min_confidence {
            let mut answer = Self::escalated(EscalationReason::LowConfidence, lang, confidence);
            answer.notes = notes;
            return Ok(answer);
        }
        let citations_of = |hits: &[Hit<'_>], markers: &[usize]| -> Vec<Citation> {
            markers
                .iter()
                .filter_map(|&m| {
                    hits.get(m.wrapping_sub(1)).map(|h| Citation {
                        marker: m,
                        id: h.passage.id.clone(),
                        source: h.passage.source.clone(),
                        title: h.passage.title.clone(),
                    })
                })
                .collect()
        };
        let quote = || quote_of(&hits[0], question);
        let ok = |answer: String, mode: AnswerMode, rejected: Vec<String>| {
            let markers = citation_markers(&answer);
            Answer {
                citations: citations_of(&hits, &markers),
                answer,
                escalate: false,
                reason: None,
                reason_code: None,
                language: lang,
                mode,
                confidence,
                rejected,
                notes: notes.clone(),
                seconds: 0.0,
            }
        };
        let use_model = match self.options.style {
            AnswerStyle::Quote => false,
            AnswerStyle::Model => true,
            AnswerStyle::Auto => {
                !(hits[0].passage.kind == "faq" && confidence >= self.options.quote_confidence)
            }
        };
        let Some(writer) = self.writer.as_deref_mut().filter(|_| use_model) else {
            return Ok(ok(quote(), AnswerMode::Quoted, Vec::new()));
        };
        let texts: Vec<String> = hits.iter().map(|h| h.passage.full_text()).collect();
        let mut prompt = String::new();
        for (i, h) in hits.iter().enumerate() {
            prompt.push_str(&format!("[{}] {}\n\n", i + 1, h.passage.full_text()));
        }
        let (system, label) = match lang {
            Lang::En => (SYSTEM_EN, "Question"),
            Lang::Zh => (SYSTEM_ZH, "问题"),
        };
        prompt.push_str(&format!("{label}: {question}"));
        let history: Vec<(Role, String)> = conversation
            .turns
            .iter()
            .rev()
            .take(4)
            .rev()
            .cloned()
            .collect();
        let mut rejected = Vec::new();
        let mut feedback = String::new();
        for _ in 0..self.options.attempts.max(1) {
            let text = writer
                .write(system, &history, &format!("{prompt}{feedback}"))
                .map_err(crate::error::Error::Model)?;
            let text = text.trim().to_owned();
            let violations = validate_answer(&text, &texts, self.products, lang);
            if violations.is_empty() {
                return Ok(ok(text, AnswerMode::Generated, rejected));
            }
            let why: Vec<String> = violations.iter().map(Violation::to_string).collect();
            feedback = format!(
                "\n\n(Your previous answer was rejected: {}.)",
                why.join("; ")
            );
            rejected.extend(why);
        }
        Ok(ok(quote(), AnswerMode::Quoted, rejected))
    }
}

/// How sure retrieval is that `hit` answers the query: the cosine of the best vector when the
/// query was embedded, else (or if higher) the share of the query's content words it covers.
pub fn confidence(hit: &Hit<'_>) -> f64 {
    let cosine = hit.cosine.map_or(0.0, |(c, _)| f64::from(c));
    cosine.max(hit.coverage * if hit.bm25.is_some() { 1.0 } else { 0.0 })
}

/// The passage quoted with its marker: an FAQ's whole answer; for other passages the sentences
/// that share most words with the question (the whole text when short).
fn quote_of(hit: &Hit<'_>, question: &str) -> String {
    let p = hit.passage;
    if p.kind == "faq" || p.text.chars().count() <= 320 {
        return format!("{} [1]", p.text.trim());
    }
    let q: Vec<String> = content_terms(question);
    let sentences = split_sentences(&p.text);
    let mut scored: Vec<(usize, usize)> = sentences
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let terms = content_terms(s);
            (q.iter().filter(|t| terms.contains(t)).count(), i)
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut keep: Vec<usize> = scored.iter().take(2).map(|(_, i)| *i).collect();
    keep.sort_unstable();
    let text: Vec<&str> = keep.iter().map(|&i| sentences[i].trim()).collect();
    format!("{} [1]", text.join(" "))
}

fn split_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        cur.push(c);
        if matches!(c, '.' | '!' | '?' | '。' | '！' | '？' | '\n')
            && cur.trim().chars().count() > 1
        {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_is_redacted() {
        assert_eq!(
            redact("I am jane.doe@example.com, call +1-555-010-9999 about order 12345"),
            "I am [email], call [phone] about order 12345"
        );
    }

    #[test]
    fn sentences_split_in_both_languages() {
        assert_eq!(split_sentences("A b. C d? 中文。好").len(), 4);
    }
}
