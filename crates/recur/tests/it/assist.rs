//! `recur kb` and `recur assist` as a user runs them: knowledge files in, cited answers and
//! escalations out, order questions limited to the signed-in customer.

use serde_json::Value;

use crate::{recur, stderr, stdout, testdata, tiny_workspace};

fn json(o: &std::process::Output) -> Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

#[test]
fn knowledge_import_answers_with_citations_and_escalates() {
    let dir = tiny_workspace();
    let d = dir.path();
    let faq = testdata("assist/faq_small.csv");
    let policy = testdata("assist/policies.md");
    let r = json(&recur(
        d,
        &["kb", "import", faq.to_str().unwrap(), "--json"],
    ));
    assert_eq!(r["source"], "faq_small.csv");
    assert_eq!(r["kind"], "faq");
    assert_eq!(r["passages"], 8);
    let r = json(&recur(
        d,
        &["kb", "import", policy.to_str().unwrap(), "--json"],
    ));
    assert_eq!(r["kind"], "policy");
    // The same file again changes nothing.
    let r = json(&recur(
        d,
        &["kb", "import", faq.to_str().unwrap(), "--json"],
    ));
    assert_eq!(r["unchanged_file"], true);
    let r = json(&recur(d, &["kb", "import", "--catalog", "--json"]));
    assert_eq!(r["source"], "catalog");
    let list = json(&recur(d, &["kb", "list", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 3);

    // One question, the documented keys.
    let a = json(&recur(
        d,
        &[
            "assist",
            "--no-llm",
            "--question",
            "what is your returns policy",
            "--json",
        ],
    ));
    for key in ["answer", "citations", "escalate", "reason", "language"] {
        assert!(a.get(key).is_some(), "missing {key}: {a}");
    }
    assert_eq!(a["escalate"], false, "{a}");
    assert_eq!(a["language"], "en");
    assert!(!a["citations"].as_array().unwrap().is_empty(), "{a}");

    let a = json(&recur(
        d,
        &[
            "assist",
            "--no-llm",
            "--question",
            "I was charged twice, I want my money back NOW",
            "--json",
        ],
    ));
    assert_eq!(a["escalate"], true, "{a}");
    assert_eq!(a["reason_code"], "refund", "{a}");

    // Order questions: customer A's orders only.
    let a = json(&recur(
        d,
        &[
            "assist",
            "--no-llm",
            "--customer",
            "A",
            "--question",
            "where is my order?",
            "--json",
        ],
    ));
    assert_eq!(a["mode"], "orders", "{a}");
    let text = a["answer"].as_str().unwrap();
    assert!(text.contains("a3"), "{text}");
    assert!(!text.contains("b1"), "{text}");

    // Removing a source.
    let o = recur(d, &["kb", "remove", "faq_small.csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        json(&recur(d, &["kb", "list", "--json"]))
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn a_chat_on_stdin_carries_the_conversation() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let faq = testdata("assist/faq_small.md");
    let o = recur(
        dir.path(),
        &["kb", "import", faq.to_str().unwrap(), "--no-embed"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let mut child = Command::new(env!("CARGO_BIN_EXE_recur"))
        .args(["assist", "--no-llm", "--json"])
        .current_dir(dir.path())
        .env_remove("RECUR_WORKSPACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("how do I return something?\n我要投诉\nexit\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let answers: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 2, "{}", stdout(&out));
    assert_eq!(answers[1]["language"], "zh");
    assert_eq!(answers[1]["escalate"], true);
}

#[test]
fn knowledge_mistakes_exit_1_and_say_where() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad = d.join("faq.json");
    std::fs::write(&bad, "{\n \"questions\": [\n  {\"question\": \"x\", }\n]}").unwrap();
    let o = recur(d, &["kb", "import", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("faq.json:3"), "{}", stderr(&o));
    let o = recur(d, &["kb", "import", "nope.json"]);
    assert_eq!(o.status.code(), Some(1));
    let o = recur(
        d,
        &["kb", "import", bad.to_str().unwrap(), "--kind", "manual"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("faq or policy"), "{}", stderr(&o));
    let o = recur(d, &["kb", "remove", "never-imported.md"]);
    assert_eq!(o.status.code(), Some(1));
    let o = recur(d, &["eval", "assist", "--faq", "x.json"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "clap: --questions is required with --faq"
    );
}

#[test]
fn eval_assist_reports_every_key() {
    let dir = tempfile::tempdir().unwrap();
    let faq = testdata("assist/faq_zh.json");
    // Blank lines are skipped but counted: `misses` give the file's own line numbers.
    let questions = dir.path().join("questions.jsonl");
    let text = std::fs::read_to_string(testdata("assist/faq_zh_questions.jsonl")).unwrap();
    std::fs::write(&questions, format!("\n{}", text.replacen('\n', "\n\n", 3))).unwrap();
    let r = json(&recur(
        dir.path(),
        &[
            "eval",
            "assist",
            "--faq",
            faq.to_str().unwrap(),
            "--questions",
            questions.to_str().unwrap(),
            "--no-llm",
            "--json",
        ],
    ));
    for key in [
        "recall_at_1",
        "recall_at_5",
        "grounded_share",
        "escalation_recall",
        "escalation_precision",
        "p50_seconds",
    ] {
        let v = r[key].as_f64().unwrap_or_else(|| panic!("{key}: {r}"));
        assert!(
            (0.0..=1.0).contains(&v) || key == "p50_seconds",
            "{key} = {v}"
        );
    }
    // Quoted answers are grounded by construction.
    assert_eq!(r["grounded_share"], 1.0, "{r}");
    // Every wrong answer and wrong hand-over is listed with its line, and nothing else.
    let lines: Vec<Value> = std::fs::read_to_string(&questions)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
        .collect();
    let answerable = r["answerable"].as_f64().unwrap();
    let unanswerable = r["questions"].as_f64().unwrap() - answerable;
    let wrong = answerable * (1.0 - r["answer_accuracy"].as_f64().unwrap())
        + unanswerable * (1.0 - r["escalation_recall"].as_f64().unwrap());
    let misses = r["misses"].as_array().unwrap();
    assert_eq!(misses.len() as f64, wrong.round(), "{r}");
    for m in misses {
        let line = &lines[m["line"].as_u64().unwrap() as usize - 1];
        assert_eq!(m["question"], line["question"], "{m}");
        assert_eq!(m["faq_index"], line["faq_index"], "{m}");
        // A miss is a hand-over of an answerable question, or an answer that should not be.
        let escalated = m["escalated"].as_bool().unwrap();
        assert!(
            line["faq_index"].is_null() != escalated || !m["cited_index"].is_null(),
            "{m}"
        );
    }
}
