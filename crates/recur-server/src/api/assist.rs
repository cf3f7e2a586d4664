//! The customer-service assistant over the shop's knowledge (`recur kb import`): one question,
//! with the conversation so far, answered with citations or handed to a person.

use axum::{Extension, Json};
use recur_engine::llm::Embed;
use recur_engine::{Conversation, Scope, ShopAssistant};
use serde::Deserialize;
use utoipa::ToSchema;

use super::blocking;
use crate::auth::Caller;
use crate::error::ApiError;

/// One earlier turn of the conversation.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct Turn {
    /// `customer` or `assistant`.
    pub(crate) role: String,
    /// What was said.
    pub(crate) text: String,
}

/// A customer's question.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssistRequest {
    /// The question, in English or Chinese (answers come in the question's language).
    pub(crate) question: String,
    /// The customer your site has signed in, for order questions (the key needs the
    /// `personal` scope); only this customer's orders are read.
    pub(crate) customer_id: Option<String>,
    /// Earlier turns, oldest first.
    #[serde(default)]
    pub(crate) history: Vec<Turn>,
}

/// Longest question accepted, in bytes.
const MAX_QUESTION_BYTES: usize = 4_000;

/// Answers a question from the shop's FAQ, policies and catalog (quoted passages, cited), or
/// escalates with the reason: `answer`, `citations`, `escalate`, `reason`, `reason_code`,
/// `language`, `mode`, `confidence`.
#[utoipa::path(post, path = "/v1/assist", tag = "assistant",
    request_body = AssistRequest,
    responses((status = 200, description = "The answer or the escalation", body = Object),
        (status = 422, description = "The question is empty or too long", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn ask(
    Extension(caller): Extension<Caller>,
    Json(req): Json<AssistRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(Scope::Read)?;
    if req.customer_id.is_some() {
        caller.require(Scope::Personal)?;
    }
    if req.question.trim().is_empty() || req.question.len() > MAX_QUESTION_BYTES {
        return Err(ApiError::invalid(format!(
            "`question` must be 1 to {MAX_QUESTION_BYTES} bytes"
        )));
    }
    let mut chat = Conversation::default();
    for t in &req.history {
        let role = match t.role.as_str() {
            "customer" => recur_engine::Role::Customer,
            "assistant" => recur_engine::Role::Assistant,
            other => {
                return Err(ApiError::invalid(format!(
                    "history role `{other}` is neither `customer` nor `assistant`"
                )));
            }
        };
        chat.turns.push((role, recur_engine::redact(&t.text)));
    }
    let shop = caller.shop.clone();
    let answer = blocking(move || {
        let options = recur_engine::assist_options(&shop.ws.settings().assist);
        // Quotes, no generated text, in the request path; retrieval by words and, when the
        // server has an embedding model, sentence embeddings.
        let embedder = shop.assist_embedder();
        let mut assistant = ShopAssistant::open(
            shop.ws.root(),
            Some(&shop.ws),
            embedder.as_deref().map(|e| e as &dyn Embed),
            None,
            options,
        )?;
        assistant.ask(&mut chat, &req.question, req.customer_id.as_deref())
    })
    .await?;
    Ok(Json(
        serde_json::to_value(answer).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}
