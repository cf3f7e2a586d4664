//! recur's customer-service assistant, as plain synchronous Rust over a
//! [`recur_retrieval::KnowledgeIndex`]:
//!
//! - [`parse_knowledge`]: FAQ files (JSON, JSON lines, CSV, Markdown) and policy documents
//!   (Markdown, chunked by heading) into passages;
//! - [`Assistant::answer`]: one turn — [`escalation`] rules (refund, cancellation, complaint,
//!   account security, a person asked for, anger), the order tool for the signed-in customer
//!   only, retrieval with a confidence check (low confidence escalates), then a quoted passage or
//!   the model's answer over numbered passages, checked by [`validate_answer`] (every number,
//!   name, product and link must be in a cited passage) and replaced by the quote when it fails;
//! - [`Router`]: a first message to a support flow and subflow from agent guidelines.
//!
//! Personal data typed by a customer is [`redact`]ed before anything else sees the question.
//!
//! ```
//! use recur_assist::{Assistant, AssistOptions, Conversation, parse_knowledge};
//! use recur_retrieval::KnowledgeIndex;
//! # fn main() -> Result<(), recur_assist::Error> {
//! let faq = br#"[{"question": "How long do refunds take?",
//!                 "answer": "Refunds reach your card within 5 working days."}]"#;
//! let mut index = KnowledgeIndex::in_memory()?;
//! index.replace_source("faq.json", "v1", parse_knowledge("faq.json", faq, None)?, None)?;
//! let mut assistant = Assistant {
//!     index: &index, embedder: None, writer: None, orders: None, products: &[],
//!     options: AssistOptions::default(),
//! };
//! let mut chat = Conversation::default();
//! let a = assistant.answer(&mut chat, "how long does a refund take", None)?;
//! assert_eq!(a.answer, "Refunds reach your card within 5 working days. [1]");
//! assert_eq!(a.citations[0].id, "faq.json#0");
//! let a = assistant.answer(&mut chat, "I want my money back for order #5512 NOW", None)?;
//! assert!(a.escalate);
//! # Ok(()) }
//! ```

mod assistant;
mod bleu;
mod error;
mod escalate;
mod grounding;
mod intent;
mod knowledge;
mod language;
mod orders;

pub use assistant::{
    Answer, AnswerMode, AnswerStyle, AssistOptions, Assistant, Citation, Conversation, Role,
    Writer, confidence, redact,
};
pub use bleu::char_bleu;
pub use error::{Error, Result};
pub use escalate::{Escalation, EscalationReason, escalation};
pub use grounding::{Violation, citation_markers, strip_markers, validate_answer};
pub use intent::{Route, Router};
pub use knowledge::{KnowledgeKind, parse_knowledge};
pub use language::Lang;
pub use orders::{OrderFacts, OrderLookup, OrderQuestion, order_answer, order_question};
