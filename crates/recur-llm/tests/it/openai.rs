use std::net::TcpListener;
use std::time::Duration;

use recur_llm::{EndpointConfig, Error, JsonSchema, Message, OpenAiClient, SamplingParams};
use recur_test::{Requests, http_server};

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
