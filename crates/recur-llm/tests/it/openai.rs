use std::net::TcpListener;
use std::time::Duration;

use recur_llm::{
    EndpointConfig, Error, JsonSchema, Message, OpenAiClient, SamplingParams, StructuredMode,
};
use recur_test::{Requests, http_server};
use serde_json::Value;

/// The fake OpenAI-compatible server: answers each request with the next canned (status,
/// body) and records what it received; returns its `/v1` URL.
fn mock(answers: Vec<(u16, String)>) -> (String, Requests) {
    let (base, seen) = http_server(answers);
    (format!("{base}/v1"), seen)
}

fn client(url: &str) -> OpenAiClient {
    let mut cfg = EndpointConfig::new(url, "tiny-model");
    cfg.api_key = Some("sk-test".into());
    cfg.backoff = Duration::from_millis(10);
    cfg.timeout = Duration::from_secs(5);
    OpenAiClient::new(cfg)
}

#[test]
fn chat_retries_server_errors_then_answers() {
    let ok = r#"{"choices":[{"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":2}}"#;
    let (url, seen) = mock(vec![(503, "busy".into()), (200, ok.into())]);
    let out = client(&url)
        .chat(
            &[Message::user("Hi")],
            &SamplingParams {
                seed: 3,
                ..Default::default()
            },
            None,
        )
        .unwrap();
    assert_eq!(out[0].text, "Hello!");
    assert_eq!(out[0].prompt_tokens, 9);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "one retry after the 503");
    assert_eq!(seen[1].path, "/v1/chat/completions");
    assert_eq!(
        seen[1].header("authorization").map(str::to_ascii_lowercase),
        Some("bearer sk-test".to_owned())
    );
    let body: serde_json::Value = serde_json::from_slice(&seen[1].body).unwrap();
    assert_eq!(body["model"], "tiny-model");
    assert_eq!(body["messages"][0]["content"], "Hi");
    assert_eq!(body["seed"], 3);
}

#[test]
fn client_errors_are_not_retried_and_name_the_status() {
    let (url, seen) = mock(vec![
        (401, r#"{"error":"bad key"}"#.into()),
        (200, "{}".into()),
    ]);
    let err = client(&url)
        .chat(&[Message::user("Hi")], &SamplingParams::default(), None)
        .unwrap_err();
    assert!(matches!(err, Error::Http { status: 401, .. }), "{err}");
    assert!(err.to_string().contains("bad key"));
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn schema_answers_are_checked() {
    let schema = JsonSchema::parse(
        r#"{"type":"object","required":["subject"],"properties":{"subject":{"type":"string"}}}"#,
    )
    .unwrap();
    let good =
        r#"{"choices":[{"message":{"content":"{\"subject\": \"Hi\"}"},"finish_reason":"stop"}]}"#;
    let bad = r#"{"choices":[{"message":{"content":"{\"title\": 1}"},"finish_reason":"stop"}]}"#;
    let (url, seen) = mock(vec![(200, good.into()), (200, bad.into())]);
    let c = client(&url);
    assert_eq!(
        c.chat(
            &[Message::user("x")],
            &SamplingParams::default(),
            Some(&schema)
        )
        .unwrap()[0]
            .text,
        r#"{"subject": "Hi"}"#
    );
    let body: serde_json::Value = serde_json::from_slice(&seen.lock().unwrap()[0].body).unwrap();
    assert_eq!(
        body["response_format"]["json_schema"]["schema"]["required"][0],
        "subject"
    );
    let err = c
        .chat(
            &[Message::user("x")],
            &SamplingParams::default(),
            Some(&schema),
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("does not match the schema"),
        "{err}"
    );
}

#[test]
fn embeddings_come_back_in_input_order() {
    let body = r#"{"data":[{"index":1,"embedding":[0.0,1.0]},{"index":0,"embedding":[1.0,0.0]}]}"#;
    let (url, seen) = mock(vec![(200, body.into())]);
    let v = client(&url).embed(&["a", "b"]).unwrap();
    assert_eq!(v, vec![vec![1.0, 0.0], vec![0.0, 1.0]]);
    assert_eq!(seen.lock().unwrap()[0].path, "/v1/embeddings");
}

#[test]
fn an_unreachable_endpoint_says_so_after_retries() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = client(&format!("http://127.0.0.1:{port}/v1"))
        .embed(&["a"])
        .unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("is the server running"), "{err}");
}

/// What llama-cpp-python 0.3's server answers to `response_format: {"type": "json_schema"}`.
const LLAMA_CPP_PYTHON_500: &str = r#"{"error":{"message":"[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', 'ctx': {'expected': \"'text' or 'json_object'\"}}]","type":"internal_server_error","param":null,"code":null}}"#;

fn draft_schema() -> JsonSchema {
    JsonSchema::parse(
        r#"{"type":"object","required":["subject","body"],"properties":{"subject":{"type":"string","maxLength":60},"body":{"type":"string"}}}"#,
    )
    .unwrap()
}

/// A chat answer whose choices have these contents.
fn answer(contents: &[&str]) -> String {
    let choices: Vec<Value> = contents
        .iter()
        .map(|c| serde_json::json!({"message": {"role": "assistant", "content": c}, "finish_reason": "stop"}))
        .collect();
    serde_json::json!({"choices": choices, "usage": {"prompt_tokens": 12, "completion_tokens": 8}})
        .to_string()
}

const DRAFT: &str = r#"{"subject": "Tea time", "body": "Your sencha is waiting."}"#;

fn bodies(seen: &Requests) -> Vec<Value> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

fn draft(c: &OpenAiClient) -> Result<String, Error> {
    c.chat(
        &[
            Message::system("You write e-mails."),
            Message::user("Draft one."),
        ],
        &SamplingParams::default(),
        Some(&draft_schema()),
    )
    .map(|mut a| a.remove(0).text)
}

#[test]
fn a_server_without_json_schema_gets_json_object_from_then_on() {
    let (url, seen) = mock(vec![
        (500, LLAMA_CPP_PYTHON_500.into()),
        (200, answer(&[DRAFT])),
        (200, answer(&[DRAFT])),
    ]);
    let c = client(&url);
    assert_eq!(c.structured_mode(), None);
    assert_eq!(draft(&c).unwrap(), DRAFT);
    assert_eq!(c.structured_mode(), Some(StructuredMode::JsonObject));
    assert!(c.describe().contains("json_object"), "{}", c.describe());
    assert_eq!(draft(&c).unwrap(), DRAFT);
    let b = bodies(&seen);
    assert_eq!(b.len(), 3, "one refused try, then one request per draft");
    assert_eq!(b[0]["response_format"]["type"], "json_schema");
    assert_eq!(b[0]["response_format"]["json_schema"]["strict"], true);
    for later in &b[1..] {
        assert_eq!(later["response_format"]["type"], "json_object");
        assert_eq!(later["response_format"]["schema"]["required"][0], "subject");
    }
}

#[test]
fn a_plain_500_on_the_first_structured_request_tries_the_next_mode_first() {
    let (url, seen) = mock(vec![
        (500, "Internal Server Error".into()),
        (200, answer(&[DRAFT])),
    ]);
    let c = client(&url);
    assert_eq!(draft(&c).unwrap(), DRAFT);
    assert_eq!(c.structured_mode(), Some(StructuredMode::JsonObject));
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn a_server_that_refuses_both_formats_gets_the_schema_in_the_prompt() {
    let (url, seen) = mock(vec![
        (
            400,
            r#"{"error":"response_format is not supported"}"#.into(),
        ),
        (422, r#"{"detail":"unknown field schema"}"#.into()),
        (
            200,
            answer(&[&format!("Here you go:\n```json\n{DRAFT}\n```")]),
        ),
        (200, answer(&["Dear customer, tea is great."])),
        (200, answer(&[r#"{"subject": 7}"#])),
    ]);
    let c = client(&url);
    // The fenced JSON is found, checked and returned bare.
    assert_eq!(draft(&c).unwrap(), DRAFT);
    assert_eq!(c.structured_mode(), Some(StructuredMode::Prompt));
    let b = bodies(&seen);
    assert_eq!(b[1]["response_format"]["type"], "json_object");
    assert!(b[2].get("response_format").is_none(), "{}", b[2]);
    let system = b[2]["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.starts_with("You write e-mails.") && system.contains("\"subject\""),
        "{system}"
    );
    // Later drafts go straight to the prompt; answers that are not JSON of the schema are
    // errors that say so.
    let err = draft(&c).unwrap_err();
    assert!(matches!(err, Error::BadAnswer { .. }), "{err}");
    assert!(err.to_string().contains("not JSON"), "{err}");
    assert!(err.to_string().contains("schema in the prompt"), "{err}");
    let err = draft(&c).unwrap_err();
    assert!(
        err.to_string().contains("does not match the schema"),
        "{err}"
    );
    assert_eq!(seen.lock().unwrap().len(), 5);
}

#[test]
fn a_400_is_not_retried() {
    let (url, seen) = mock(vec![
        (400, r#"{"error":"max_tokens is too large"}"#.into()),
        (200, answer(&["Hello"])),
    ]);
    let err = client(&url)
        .chat(&[Message::user("Hi")], &SamplingParams::default(), None)
        .unwrap_err();
    assert!(matches!(err, Error::Http { status: 400, .. }), "{err}");
    assert!(err.to_string().contains("max_tokens is too large"), "{err}");
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn a_500_that_says_unsupported_is_not_retried() {
    let (url, seen) = mock(vec![
        (500, r#"{"error":"stop: unsupported format"}"#.into()),
        (200, answer(&["Hello"])),
    ]);
    let err = client(&url)
        .chat(&[Message::user("Hi")], &SamplingParams::default(), None)
        .unwrap_err();
    assert!(matches!(err, Error::Http { status: 500, .. }), "{err}");
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn transient_failures_are_retried_and_plain_500s_only_so_often() {
    let (url, seen) = mock(vec![
        (429, "slow down".into()),
        (502, "bad gateway".into()),
        (504, "gateway timeout".into()),
        (200, answer(&["Hello"])),
    ]);
    let out = client(&url)
        .chat(&[Message::user("Hi")], &SamplingParams::default(), None)
        .unwrap();
    assert_eq!(out[0].text, "Hello");
    assert_eq!(seen.lock().unwrap().len(), 4, "three retries");

    let (url, seen) = mock(vec![(500, "Internal Server Error".into()); 6]);
    let err = client(&url)
        .chat(&[Message::user("Hi")], &SamplingParams::default(), None)
        .unwrap_err();
    assert!(matches!(err, Error::Http { status: 500, .. }), "{err}");
    assert_eq!(seen.lock().unwrap().len(), 4, "the first try and 3 retries");
}

#[test]
fn n_answers_come_back_even_from_a_server_that_ignores_n() {
    let (url, seen) = mock(vec![(200, answer(&["one"])), (200, answer(&["two"]))]);
    let params = SamplingParams {
        n: 2,
        seed: 40,
        ..Default::default()
    };
    let out = client(&url)
        .chat(&[Message::user("Hi")], &params, None)
        .unwrap();
    let texts: Vec<_> = out.iter().map(|g| g.text.as_str()).collect();
    assert_eq!(texts, ["one", "two"]);
    let b = bodies(&seen);
    assert_eq!(b.len(), 2);
    assert_eq!(
        (b[0]["n"].as_u64(), b[0]["seed"].as_u64()),
        (Some(2), Some(40))
    );
    assert_eq!(
        (b[1]["n"].as_u64(), b[1]["seed"].as_u64()),
        (Some(1), Some(41))
    );
    // Endpoint answers have no per-step times: no speeds, but the request's time.
    assert_eq!(out[0].prompt_tokens_per_second(), None);
    assert!(out[0].total_seconds > 0.0);

    // A server that honours n is asked once.
    let (url, seen) = mock(vec![(200, answer(&["one", "two"]))]);
    let out = client(&url)
        .chat(&[Message::user("Hi")], &params, None)
        .unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn a_timeout_says_the_server_is_slow_and_how_to_wait_longer() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            held.push(s);
        }
    });
    let mut cfg = EndpointConfig::new(&format!("http://127.0.0.1:{port}/v1"), "slow");
    cfg.timeout = Duration::from_millis(300);
    cfg.retries = 1;
    cfg.backoff = Duration::from_millis(10);
    let err = OpenAiClient::new(cfg)
        .chat(&[Message::user("Hi")], &SamplingParams::default(), None)
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("no answer within 0.3 s"), "{msg}");
    assert!(msg.contains("llm.timeout_seconds"), "{msg}");
    assert!(!msg.contains("is the server running"), "{msg}");
}
