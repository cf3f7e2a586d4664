//! Schema-constrained answers from servers that each understand a different `response_format`
//! (or none): the modes, in the order they are tried, and the check of what comes back.

use std::fmt;
use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::json_schema::JsonSchema;

use super::http::{Failure, clip};
use super::{CHAT, OpenAiClient};

/// How an endpoint is asked for JSON of a schema. A client tries them in this order and keeps
/// the first that the server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructuredMode {
    /// `response_format: {"type": "json_schema", "json_schema": {"name", "schema", "strict"}}`
    /// (OpenAI, vLLM, Ollama, llama.cpp's own server).
    JsonSchema,
    /// `response_format: {"type": "json_object", "schema": ...}` (llama-cpp-python's server).
    JsonObject,
    /// No `response_format`: the schema goes into the system message as an instruction and the
    /// answer is only checked here (nothing constrains the model).
    Prompt,
}

impl StructuredMode {
    /// The mode to try when the server refuses this one.
    fn next(self) -> Option<StructuredMode> {
        match self {
            StructuredMode::JsonSchema => Some(StructuredMode::JsonObject),
            StructuredMode::JsonObject => Some(StructuredMode::Prompt),
            StructuredMode::Prompt => None,
        }
    }

    pub(super) fn code(self) -> u8 {
        match self {
            StructuredMode::JsonSchema => 1,
            StructuredMode::JsonObject => 2,
            StructuredMode::Prompt => 3,
        }
    }

    pub(super) fn from_code(code: u8) -> Option<StructuredMode> {
        match code {
            1 => Some(StructuredMode::JsonSchema),
            2 => Some(StructuredMode::JsonObject),
            3 => Some(StructuredMode::Prompt),
            _ => None,
        }
    }
}

impl fmt::Display for StructuredMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StructuredMode::JsonSchema => "response_format json_schema",
            StructuredMode::JsonObject => "response_format json_object with schema",
            StructuredMode::Prompt => "schema in the prompt, checked locally",
        })
    }
}

/// `body` (a chat request) asking for JSON of `schema` in `mode`.
pub(super) fn with_mode(body: &Value, schema: &JsonSchema, mode: StructuredMode) -> Value {
    let mut body = body.clone();
    match mode {
        StructuredMode::JsonSchema => {
            body["response_format"] = json!({
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": schema.raw(), "strict": true},
            });
        }
        StructuredMode::JsonObject => {
            body["response_format"] = json!({"type": "json_object", "schema": schema.raw()});
        }
        StructuredMode::Prompt => {
            let instruction = format!(
                "Answer with one JSON document and nothing else: no explanation, no Markdown code \
                 fence. It must match this JSON schema:\n{}",
                schema.raw()
            );
            if let Some(turns) = body.get_mut("messages").and_then(Value::as_array_mut) {
                match turns.first_mut() {
                    Some(first) if first.get("role").and_then(Value::as_str) == Some("system") => {
                        let text = first.get("content").and_then(Value::as_str).unwrap_or("");
                        first["content"] = json!(format!("{text}\n\n{instruction}"));
                    }
                    _ => turns.insert(0, json!({"role": "system", "content": instruction})),
                }
            }
        }
    }
    body
}

impl OpenAiClient {
    /// The way this client asks its server for schema-constrained JSON, once a structured
    /// request has succeeded (`None` before).
    pub fn structured_mode(&self) -> Option<StructuredMode> {
        StructuredMode::from_code(self.mode.load(Ordering::Relaxed))
    }

    fn remember(&self, mode: StructuredMode) {
        self.mode.store(mode.code(), Ordering::Relaxed);
    }

    /// POSTs the chat `body` asking for JSON of `schema`; returns the answer and the mode it
    /// was asked in.
    ///
    /// Starts with the remembered mode (else `json_schema`). A refusal (4xx, or a 5xx whose body
    /// says the format is unsupported) moves on to the next mode for good; while no mode is
    /// known yet, a plain 500 also moves on (llama-cpp-python answers `json_schema` that way),
    /// but only for this round. Transient failures, and a 500 in the last mode, pause and start
    /// a new round, at most `retries` times. The mode that works is remembered.
    pub(super) fn post_structured(
        &self,
        body: &Value,
        schema: &JsonSchema,
    ) -> Result<(Value, StructuredMode)> {
        let known = self.structured_mode();
        let probing = known.is_none();
        let mut first = known.unwrap_or(StructuredMode::JsonSchema);
        let mut pause = self.config.backoff;
        let mut attempt = 0;
        loop {
            let mut mode = first;
            let error = loop {
                let failed = match self.send_once(CHAT, &with_mode(body, schema, mode)) {
                    Ok(answer) => {
                        self.remember(mode);
                        return Ok((answer, mode));
                    }
                    Err(f) => f,
                };
                match (failed.kind, mode.next()) {
                    (Failure::Refused, Some(next)) => {
                        first = next;
                        mode = next;
                    }
                    (Failure::ServerError, Some(next)) if probing => mode = next,
                    (Failure::Transient | Failure::ServerError, _) => break failed.error,
                    _ => return Err(failed.error),
                }
            };
            if attempt >= self.config.retries {
                return Err(error);
            }
            attempt += 1;
            self.pause(&mut pause);
        }
    }
}

/// Checks that `text` (an answer asked for in `mode`) is JSON matching `schema`; returns the
/// JSON text (in prompt mode, without the code fence or prose a model may put around it).
pub(super) fn check_answer(
    url: &str,
    text: &str,
    schema: &JsonSchema,
    mode: StructuredMode,
    cut_short: bool,
) -> Result<String> {
    let candidate = match mode {
        StructuredMode::Prompt => extract_json(text),
        _ => text.trim(),
    };
    let advice = if cut_short {
        "the answer was cut short at max_tokens: allow more tokens"
    } else if mode == StructuredMode::Prompt {
        "this server accepts no response_format, so the schema was only asked for in the \
         prompt and nothing constrained the model: try again, a larger model, or a server with \
         json_schema support"
    } else {
        "the server was asked for JSON of the schema but did not keep to it: try again, or \
         another model or server"
    };
    let bad = |reason: String| Error::BadAnswer {
        url: url.to_owned(),
        reason: format!("{reason} (structured output: {mode}); {advice}"),
    };
    let doc: Value = serde_json::from_str(candidate)
        .map_err(|e| bad(format!("the answer is not JSON ({e}): {}", clip(text))))?;
    schema
        .validate(&doc)
        .map_err(|e| bad(format!("the answer does not match the schema: {e}")))?;
    Ok(candidate.to_owned())
}

/// The JSON document in a model's free-form answer: without a Markdown code fence around it, or
/// from its first `{` to its last `}` when prose surrounds it.
fn extract_json(text: &str) -> &str {
    let t = text.trim();
    let t = match t.strip_prefix("```") {
        Some(rest) => {
            let rest = rest.strip_prefix("json").unwrap_or(rest);
            rest.trim_end().strip_suffix("```").unwrap_or(rest).trim()
        }
        None => t,
    };
    if t.starts_with('{') || t.starts_with('[') {
        return t;
    }
    match (t.find('{'), t.rfind('}')) {
        (Some(a), Some(b)) if a < b => &t[a..=b],
        _ => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> JsonSchema {
        JsonSchema::parse(
            r#"{"type":"object","required":["subject"],"properties":{"subject":{"type":"string"}}}"#,
        )
        .unwrap()
    }

    #[test]
    fn json_is_found_in_fences_and_prose() {
        assert_eq!(extract_json("```json\n{\"a\": 1}\n```"), "{\"a\": 1}");
        assert_eq!(extract_json("```\n{\"a\": 1}```"), "{\"a\": 1}");
        assert_eq!(extract_json("Sure! {\"a\": 1} Enjoy."), "{\"a\": 1}");
        assert_eq!(extract_json("  [1, 2] "), "[1, 2]");
        assert_eq!(extract_json("no json"), "no json");
    }

    #[test]
    fn each_mode_asks_its_own_way() {
        let body = json!({"messages": [{"role": "user", "content": "Hi"}]});
        let s = schema();
        let a = with_mode(&body, &s, StructuredMode::JsonSchema);
        assert_eq!(a["response_format"]["type"], "json_schema");
        assert_eq!(a["response_format"]["json_schema"]["strict"], true);
        assert_eq!(
            a["response_format"]["json_schema"]["schema"]["required"][0],
            "subject"
        );
        let b = with_mode(&body, &s, StructuredMode::JsonObject);
        assert_eq!(b["response_format"]["type"], "json_object");
        assert_eq!(b["response_format"]["schema"]["required"][0], "subject");
        let c = with_mode(&body, &s, StructuredMode::Prompt);
        assert!(c.get("response_format").is_none());
        assert_eq!(c["messages"][0]["role"], "system");
        assert!(
            c["messages"][0]["content"]
                .as_str()
                .unwrap()
                .contains("\"subject\"")
        );
        assert_eq!(c["messages"][1]["content"], "Hi");
        let with_system = json!({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]});
        let d = with_mode(&with_system, &s, StructuredMode::Prompt);
        assert_eq!(d["messages"].as_array().unwrap().len(), 2);
        let sys = d["messages"][0]["content"].as_str().unwrap();
        assert!(sys.starts_with("Be brief.\n\n") && sys.contains("JSON schema"));
    }

    #[test]
    fn answers_are_checked_with_clear_errors() {
        let s = schema();
        let ok = check_answer(
            "u",
            "```json\n{\"subject\":\"Hi\"}\n```",
            &s,
            StructuredMode::Prompt,
            false,
        )
        .unwrap();
        assert_eq!(ok, "{\"subject\":\"Hi\"}");
        let e = check_answer("u", "Hello there", &s, StructuredMode::Prompt, false).unwrap_err();
        assert!(matches!(e, Error::BadAnswer { .. }), "{e}");
        assert!(e.to_string().contains("not JSON"), "{e}");
        let e =
            check_answer("u", "{\"title\":1}", &s, StructuredMode::JsonSchema, false).unwrap_err();
        assert!(e.to_string().contains("does not match the schema"), "{e}");
        let e = check_answer("u", "{\"subj", &s, StructuredMode::JsonObject, true).unwrap_err();
        assert!(e.to_string().contains("max_tokens"), "{e}");
    }

    #[test]
    fn modes_round_trip_through_their_codes() {
        for m in [
            StructuredMode::JsonSchema,
            StructuredMode::JsonObject,
            StructuredMode::Prompt,
        ] {
            assert_eq!(StructuredMode::from_code(m.code()), Some(m));
        }
        assert_eq!(StructuredMode::from_code(0), None);
    }
}
