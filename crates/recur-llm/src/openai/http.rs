//! One POST to an endpoint, what its failure means (worth retrying, the server refusing a
//! request format, or final), and the retry loop with back-off.

use std::io::ErrorKind;
use std::time::Duration;

use serde_json::Value;

use crate::error::Error;

use super::OpenAiClient;

/// What a failed request means for what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Failure {
    /// Worth another try after a pause: connection errors, timeouts, 408, 429, 502, 503, 504.
    Transient,
    /// A plain HTTP 500: worth a few more tries, but on a first structured request it may also
    /// mean that the server chokes on the `response_format` it was sent.
    ServerError,
    /// The server refuses the request as written (400, 415, 422, 501, or a 4xx/5xx whose body
    /// says a format is unsupported or invalid): another `response_format` may work; sending the
    /// same again will not.
    Refused,
    /// Final: a wrong key, a wrong URL, a wrong model... Retrying cannot help.
    Final,
}

/// A request that failed: the error to report and what it means.
#[derive(Debug)]
pub(super) struct Failed {
    pub(super) error: Error,
    pub(super) kind: Failure,
}

/// Whether an error body says that the request's format / `response_format` is unsupported or
/// invalid (as llama-cpp-python's server does with HTTP 500 for `json_schema`).
pub(super) fn says_unsupported(body: &str) -> bool {
    let b = body.to_ascii_lowercase();
    let about_format = ["response_format", "json_schema", "json_object", "format"]
        .iter()
        .any(|w| b.contains(w));
    let refusal = [
        "unsupported",
        "not supported",
        "invalid",
        "input should be",
        "literal_error",
        "unknown",
        "unrecognized",
        "not implemented",
        "not allowed",
        "must be",
    ]
    .iter()
    .any(|w| b.contains(w));
    about_format && refusal
}

/// What an HTTP error status (with its body) means.
fn classify(status: u16, body: &str) -> Failure {
    match status {
        408 | 429 | 502..=504 => Failure::Transient,
        400 | 415 | 422 | 501 => Failure::Refused,
        _ if says_unsupported(body) => Failure::Refused,
        500 => Failure::ServerError,
        _ => Failure::Final,
    }
}

/// What to do about an HTTP error status, for the error message.
fn hint(status: u16) -> &'static str {
    match status {
        401 | 403 => "; check the API key (the variable that llm.api_key_env names)",
        404 => "; check llm.endpoint (the base URL up to and including /v1) and llm.endpoint_model",
        429 => "; the server is rate-limiting: wait, or lower the request rate",
        _ => "",
    }
}

impl OpenAiClient {
    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url)
    }

    /// One POST of `body` to `path`, no retry.
    pub(super) fn send_once(&self, path: &str, body: &Value) -> Result<Value, Failed> {
        let url = self.url(path);
        let fail = |error, kind| Failed { error, kind };
        let text = serde_json::to_string(body)
            .map_err(|e| fail(Error::BadRequest(e.to_string()), Failure::Final))?;
        let mut req = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json");
        if let Some(key) = &self.config.api_key {
            req = req.header("Authorization", &format!("Bearer {key}"));
        }
        let mut resp = req.send(&text).map_err(|e| self.transport(&url, e))?;
        let status = resp.status().as_u16();
        let answer = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| self.transport(&url, e))?;
        if (200..300).contains(&status) {
            return serde_json::from_str(&answer).map_err(|e| {
                fail(
                    Error::BadAnswer {
                        url: url.clone(),
                        reason: format!(
                            "not JSON ({e}): {}; is llm.endpoint an OpenAI-compatible /v1 URL?",
                            clip(&answer)
                        ),
                    },
                    Failure::Final,
                )
            });
        }
        Err(fail(
            Error::Http {
                url,
                status,
                body: clip(&answer),
                hint: hint(status).to_owned(),
            },
            classify(status, &answer),
        ))
    }

    /// A failure below HTTP: timeouts, refused connections, unknown hosts, broken answers.
    fn transport(&self, url: &str, e: ureq::Error) -> Failed {
        let unreachable = |reason: String| Error::Unreachable {
            url: url.to_owned(),
            reason,
        };
        let (error, kind) = match e {
            ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => (
                unreachable(format!(
                    "could not connect within {} s; is the server running and reachable? check llm.endpoint",
                    self.config.timeout.as_secs_f64()
                )),
                Failure::Transient,
            ),
            ureq::Error::Timeout(_) => (
                Error::Timeout {
                    url: url.to_owned(),
                    seconds: self.config.timeout.as_secs_f64(),
                },
                Failure::Transient,
            ),
            ureq::Error::Io(io) if io.kind() == ErrorKind::ConnectionRefused => (
                unreachable("connection refused; is the server running? check llm.endpoint".into()),
                Failure::Transient,
            ),
            ureq::Error::HostNotFound => (
                unreachable("host not found; check the host name in llm.endpoint".into()),
                Failure::Transient,
            ),
            ureq::Error::BadUri(u) => (
                unreachable(format!(
                    "not a valid URL ({u}); llm.endpoint should look like http://localhost:11434/v1"
                )),
                Failure::Final,
            ),
            other => (
                unreachable(format!("{other}; check llm.endpoint and the server's log")),
                Failure::Transient,
            ),
        };
        Failed { error, kind }
    }

    /// POST with retries of transient failures and plain 500s (at most `retries` more tries,
    /// pausing `backoff`, doubled each time); refusals and final errors come back at once.
    pub(super) fn post(&self, path: &str, body: &Value) -> Result<Value, Error> {
        let mut pause = self.config.backoff;
        let mut attempt = 0;
        loop {
            let failed = match self.send_once(path, body) {
                Ok(v) => return Ok(v),
                Err(f) => f,
            };
            if !matches!(failed.kind, Failure::Transient | Failure::ServerError)
                || attempt >= self.config.retries
            {
                return Err(failed.error);
            }
            attempt += 1;
            self.pause(&mut pause);
        }
    }

    /// Sleeps `pause`, then doubles it.
    pub(super) fn pause(&self, pause: &mut Duration) {
        std::thread::sleep(*pause);
        *pause *= 2;
    }
}

/// The start of `s`, for error messages.
pub(super) fn clip(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        assert_eq!(classify(503, "busy"), Failure::Transient);
        assert_eq!(classify(429, ""), Failure::Transient);
        assert_eq!(classify(500, "Internal Server Error"), Failure::ServerError);
        assert_eq!(classify(400, "bad"), Failure::Refused);
        assert_eq!(classify(401, "bad key"), Failure::Final);
        assert_eq!(classify(404, "no such model"), Failure::Final);
        let llama_cpp_python = r#"{"error":{"message":"[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}]","type":"internal_server_error","param":null,"code":null}}"#;
        assert_eq!(classify(500, llama_cpp_python), Failure::Refused);
        assert_eq!(
            classify(500, "response_format json_schema is not supported"),
            Failure::Refused
        );
        assert_eq!(classify(500, "CUDA out of memory"), Failure::ServerError);
    }

    #[test]
    fn clip_keeps_whole_characters() {
        let long = "é".repeat(400);
        let c = clip(&long);
        assert_eq!(c.chars().count(), 301);
        assert!(c.ends_with('…'));
    }
}
