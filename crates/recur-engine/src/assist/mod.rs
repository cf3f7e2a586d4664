//! The customer-service assistant over a workspace: its knowledge base, the language model and
//! embedder the settings configure, and the workspace's orders as the order tool.

mod eval;
mod knowledge;

use std::path::Path;

use recur_assist::{
    Answer, AnswerStyle, AssistOptions, Assistant, Conversation, OrderFacts, OrderLookup, Role,
    Writer,
};
use recur_llm::{Embed, Generate, Message, SamplingParams};
use recur_retrieval::KnowledgeIndex;

use crate::config::AssistSettings;
use crate::error::Result;
use crate::workspace::Workspace;

pub use eval::{
    FaqEvaluation, FaqMiss, IntentEvaluation, JddcEvaluation, evaluate_faq, evaluate_intents,
    evaluate_jddc,
};
pub use knowledge::{
    CATALOG_SOURCE, KNOWLEDGE_DIR, KnowledgeHit, KnowledgeImport, import_catalog_knowledge,
    import_knowledge, knowledge_dir, knowledge_sources, remove_knowledge, search_knowledge,
};

/// A sentence embedder as retrieval sees it.
pub(crate) struct EmbedAdapter<'a>(pub(crate) &'a dyn Embed);

impl recur_retrieval::Embedder for EmbedAdapter<'_> {
    fn id(&self) -> String {
        self.0.describe()
    }

    fn embed(&self, texts: &[&str]) -> std::result::Result<Vec<Vec<f32>>, String> {
        self.0.embed(texts).map_err(|e| e.to_string())
    }
}

/// A chat model as the assistant sees it: greedy, short answers.
struct ChatWriter<'a> {
    generator: &'a mut dyn Generate,
    params: SamplingParams,
}

impl Writer for ChatWriter<'_> {
    fn write(
        &mut self,
        system: &str,
        history: &[(Role, String)],
        prompt: &str,
    ) -> std::result::Result<String, String> {
        let mut messages = vec![Message::system(system)];
        for (role, text) in history {
            messages.push(match role {
                Role::Customer => Message::user(text.clone()),
                Role::Assistant => Message::assistant(text.clone()),
            });
        }
        messages.push(Message::user(prompt));
        let out = self
            .generator
            .chat(&messages, &self.params, None, &mut |_| {})
            .map_err(|e| e.to_string())?;
        Ok(out.into_iter().next().map(|g| g.text).unwrap_or_default())
    }
}

/// The workspace's orders, for the signed-in customer only.
struct WorkspaceOrders<'a> {
    ws: &'a Workspace,
    session: std::cell::OnceCell<recur_analytics::Session>,
}

impl OrderLookup for WorkspaceOrders<'_> {
    fn orders(
        &self,
        customer_id: &str,
        limit: usize,
    ) -> std::result::Result<Vec<OrderFacts>, String> {
        let session = match self.session.get() {
            Some(s) => s,
            None => {
                let s = self.ws.session().map_err(|e| e.to_string())?;
                self.session.get_or_init(|| s)
            }
        };
        let lines = session
            .orders_of(customer_id, limit)
            .map_err(|e| e.to_string())?;
        let mut out: Vec<OrderFacts> = Vec::new();
        for l in lines {
            match out.last_mut() {
                Some(o) if o.order_id == l.order_id => o.items.push((l.title, l.quantity)),
                _ => out.push(OrderFacts {
                    order_id: l.order_id,
                    day: l.day,
                    status: l.status,
                    items: vec![(l.title, l.quantity)],
                }),
            }
        }
        Ok(out)
    }
}

/// The options the settings give.
pub fn assist_options(s: &AssistSettings) -> AssistOptions {
    AssistOptions {
        passages: s.passages as usize,
        min_confidence: s.min_confidence,
        quote_confidence: s.quote_confidence,
        dense_bm25_weight: s.bm25_weight,
        dense_word_weight: s.word_weight,
        style: match s.style.as_str() {
            "model" => AnswerStyle::Model,
            "quote" => AnswerStyle::Quote,
            _ => AnswerStyle::Auto,
        },
        ..AssistOptions::default()
    }
}

/// The assistant of one workspace, for one conversation or many.
pub struct ShopAssistant<'a> {
    index: KnowledgeIndex,
    embedder: Option<&'a dyn Embed>,
    generator: Option<&'a mut dyn Generate>,
    workspace: Option<&'a Workspace>,
    products: Vec<String>,
    options: AssistOptions,
}

impl std::fmt::Debug for ShopAssistant<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopAssistant")
            .field("index", &self.index)
            .finish()
    }
}

/// Most tokens of one answer.
const ANSWER_TOKENS: usize = 96;

impl<'a> ShopAssistant<'a> {
    /// Opens the knowledge of the workspace folder `root`; `workspace` (when the folder holds
    /// data) gives the order tool and the catalog titles the validator watches for.
    pub fn open(
        root: &Path,
        workspace: Option<&'a Workspace>,
        embedder: Option<&'a dyn Embed>,
        generator: Option<&'a mut dyn Generate>,
        options: AssistOptions,
    ) -> Result<ShopAssistant<'a>> {
        let index = KnowledgeIndex::open(&knowledge_dir(root))?;
        let products = index
            .passages()
            .iter()
            .filter(|p| p.kind == "catalog")
            .map(|p| p.title.clone())
            .collect();
        Ok(ShopAssistant {
            index,
            embedder,
            generator,
            workspace,
            products,
            options,
        })
    }

    /// An assistant over an index already built (evaluation).
    pub(crate) fn over(
        index: KnowledgeIndex,
        embedder: Option<&'a dyn Embed>,
        generator: Option<&'a mut dyn Generate>,
        options: AssistOptions,
    ) -> ShopAssistant<'a> {
        ShopAssistant {
            index,
            embedder,
            generator,
            workspace: None,
            products: Vec::new(),
            options,
        }
    }

    /// The knowledge index.
    pub fn index(&self) -> &KnowledgeIndex {
        &self.index
    }

    /// Answers one question of `conversation` (as `customer`, when signed in).
    pub fn ask(
        &mut self,
        conversation: &mut Conversation,
        question: &str,
        customer: Option<&str>,
    ) -> Result<Answer> {
        let adapter = self.embedder.map(EmbedAdapter);
        let orders = self.workspace.map(|ws| WorkspaceOrders {
            ws,
            session: std::cell::OnceCell::new(),
        });
        let mut writer = self.generator.as_deref_mut().map(|g| ChatWriter {
            generator: g,
            params: SamplingParams {
                temperature: 0.0,
                max_tokens: ANSWER_TOKENS,
                stop: vec!["\n\n".into()],
                ..SamplingParams::default()
            },
        });
        let mut assistant = Assistant {
            index: &self.index,
            embedder: adapter
                .as_ref()
                .map(|a| a as &dyn recur_retrieval::Embedder),
            writer: writer.as_mut().map(|w| w as &mut dyn Writer),
            orders: orders.as_ref().map(|o| o as &dyn OrderLookup),
            products: &self.products,
            options: self.options.clone(),
        };
        Ok(assistant.answer(conversation, question, customer)?)
    }
}
