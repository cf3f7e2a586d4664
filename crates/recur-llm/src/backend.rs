//! One interface for generation and one for embeddings, each with a local implementation (the
//! default) and an OpenAI-compatible HTTP one.

use crate::embed::LocalEmbedder;
use crate::error::Result;
use crate::json_schema::JsonSchema;
use crate::local::{Generation, LocalModel};
use crate::openai::OpenAiClient;
use crate::sampling::SamplingParams;
use crate::template::Message;

/// Something that answers chats.
pub trait Generate {
    /// Answers `messages`; with `schema`, every answer is JSON of that shape. `on_text`
    /// receives the first answer as it is written (all at once for HTTP endpoints).
    fn chat(
        &mut self,
        messages: &[Message],
        params: &SamplingParams,
        schema: Option<&JsonSchema>,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Vec<Generation>>;

    /// What answers (model file or endpoint), for logs and reports.
    fn describe(&self) -> String;
}

/// Something that turns texts into vectors.
pub trait Embed {
    /// One vector per text, in input order.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;

    /// What embeds (model folder or endpoint).
    fn describe(&self) -> String;
}

impl Generate for LocalModel {
    fn chat(
        &mut self,
        messages: &[Message],
        params: &SamplingParams,
        schema: Option<&JsonSchema>,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Vec<Generation>> {
        LocalModel::chat(self, messages, params, schema, on_text)
    }

    fn describe(&self) -> String {
        format!(
            "local {} ({})",
            self.path().display(),
            self.info().architecture
        )
    }
}

impl Generate for OpenAiClient {
    fn chat(
        &mut self,
        messages: &[Message],
        params: &SamplingParams,
        schema: Option<&JsonSchema>,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Vec<Generation>> {
        let out = OpenAiClient::chat(self, messages, params, schema)?;
        if let Some(first) = out.first() {
            on_text(&first.text);
        }
        Ok(out)
    }

    fn describe(&self) -> String {
        OpenAiClient::describe(self)
    }
}

impl Embed for LocalEmbedder {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        LocalEmbedder::embed(self, texts)
    }

    fn describe(&self) -> String {
        format!(
            "local sentence embeddings ({} dimensions)",
            self.dimension()
        )
    }
}

impl Embed for OpenAiClient {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        OpenAiClient::embed(self, texts)
    }

    fn describe(&self) -> String {
        format!("{} at {}", self.config().model, self.config().base_url)
    }
}
