//! `recur llm` against a fake OpenAI-compatible endpoint.

use super::{recur, stderr, stdout};

/// A chat answer with one choice.
fn one(text: &str) -> (u16, String) {
    let doc = serde_json::json!({
        "choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 3},
    });
    (200, doc.to_string())
}

#[test]
fn generate_asks_for_the_missing_answers_and_prints_no_made_up_speeds() {
    let dir = tempfile::tempdir().unwrap();
    let (base, seen) = recur_test::http_server(vec![one("First answer"), one("Second answer")]);
    let url = format!("{base}/v1");
    let o = recur(
        dir.path(),
        &[
            "llm",
            "generate",
            "--prompt",
            "Hi",
            "--n",
            "2",
            "--seed",
            "5",
            "--endpoint",
            &url,
            "--endpoint-model",
            "tiny",
        ],
    );
    let (out, err) = (stdout(&o), stderr(&o));
    assert!(o.status.success(), "{err}");
    assert!(out.contains("First answer"), "{out}");
    assert!(
        out.contains("--- answer 2 (seed 6) ---\nSecond answer"),
        "{out}"
    );
    assert!(!err.contains("tok/s"), "{err}");
    assert!(err.contains("9 prompt tokens; 3 generated;"), "{err}");
    assert!(err.contains("s in all"), "{err}");
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.len(),
        2,
        "the server ignored n: the second answer is asked alone"
    );
    let second: serde_json::Value = serde_json::from_slice(&seen[1].body).unwrap();
    assert_eq!(second["seed"], 6);
}
