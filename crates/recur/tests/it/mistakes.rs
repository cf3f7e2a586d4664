//! Every command walked through its most likely user mistakes: each exits 1 (never 3, an
//! internal error, nor 101, a panic) with a message that names what is wrong.

use std::path::Path;

use super::{recur, stderr, tiny_workspace};

/// Runs `recur ARGS` in `dir` and checks it is reported as the user's mistake, with `fragment`
/// in the message and each cause printed once.
#[track_caller]
fn mistake(dir: &Path, args: &[&str], fragment: &str) {
    let o = recur(dir, args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "recur {args:?}:\n{err}");
    assert!(
        err.contains(fragment),
        "recur {args:?}: expected `{fragment}` in:\n{err}"
    );
    assert!(!err.contains("internal error"), "recur {args:?}:\n{err}");
    assert!(
        err.matches("(os error").count() <= 1,
        "recur {args:?}: a cause printed twice:\n{err}"
    );
}

#[test]
fn commands_that_need_a_workspace_say_so_outside_one() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["analyze"][..],
        &["import", "orders", "--file", "orders.csv"],
        &["clv", "fit"],
        &["clv", "predict"],
        &["clv", "evaluate"],
        &["campaign", "plan", "--spec", "winback.toml"],
        &["campaign", "generate", "--campaign", "winback"],
        &["campaign", "evaluate", "--campaign", "winback"],
        &["campaign", "redemptions", "--file", "redemptions.csv"],
        &["train"],
        &["recommend", "--customer", "A"],
    ] {
        mistake(dir.path(), args, "no recur workspace at `.`");
    }
}

#[test]
fn import_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    assert!(recur(dir.path(), &["init", "."]).status.success());
    mistake(
        dir.path(),
        &["import", "orders", "--file", "missing.csv"],
        "missing.csv",
    );
    mistake(
        dir.path(),
        &["import", "orders", "--preset", "shopify", "--file", "x.csv"],
        "no preset `shopify`",
    );
    mistake(
        dir.path(),
        &[
            "import",
            "orders",
            "--mapping",
            "nope.toml",
            "--file",
            "x.csv",
        ],
        "nope.toml",
    );
}

#[test]
fn analyze_mistakes() {
    let dir = tiny_workspace();
    mistake(dir.path(), &["analyze", "--customer", "NOBODY"], "NOBODY");
    std::fs::write(dir.path().join("taken.txt"), "not a folder").unwrap();
    mistake(
        dir.path(),
        &["analyze", "--format", "csv", "--out", "taken.txt"],
        "taken.txt",
    );
}

#[test]
fn folders_that_are_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file.txt"), "not a folder").unwrap();
    mistake(dir.path(), &["init", "file.txt/shop"], "file.txt");
    mistake(dir.path(), &["init", "file.txt"], "file.txt");
    mistake(dir.path(), &["demo", "--dir", "file.txt"], "file.txt");
}

#[test]
fn campaign_mistakes() {
    let dir = tiny_workspace();
    let ws = dir.path();
    mistake(
        ws,
        &["campaign", "plan", "--spec", "missing.toml"],
        "missing.toml",
    );
    std::fs::write(ws.join("broken.toml"), "id = \"x\"\ngoal_days = [\n").unwrap();
    mistake(
        ws,
        &["campaign", "plan", "--spec", "broken.toml"],
        "broken.toml",
    );
    std::fs::write(
        ws.join("ok.toml"),
        "id = \"x\"\ngoal_days = 30\nchannel = \"email\"\n\
         [[offers]]\nname = \"message only\"\nkind = \"none\"\n",
    )
    .unwrap();
    mistake(
        ws,
        &[
            "campaign",
            "plan",
            "--spec",
            "ok.toml",
            "--as-of",
            "not-a-date",
        ],
        "as-of",
    );
    for sub in ["generate", "evaluate"] {
        mistake(
            ws,
            &["campaign", sub, "--campaign", "nope"],
            "no campaign ledger",
        );
    }
    mistake(
        ws,
        &["campaign", "send", "--campaign", "nope", "--dry-run"],
        "ledger",
    );
    mistake(
        ws,
        &[
            "campaign",
            "send",
            "--campaign",
            "nope",
            "--smtp",
            "no-port",
        ],
        "HOST:PORT",
    );
    mistake(
        ws,
        &["campaign", "redemptions", "--file", "missing.csv"],
        "missing.csv",
    );
    mistake(
        ws,
        &["campaign", "evaluate", "--hillstrom", "missing.csv"],
        "missing.csv",
    );
}

#[test]
fn model_mistakes() {
    let dir = tiny_workspace();
    mistake(dir.path(), &["recommend", "--customer", "A"], "recur train");
    // A device this build cannot use is named with the ones it can, before any model loads.
    mistake(
        dir.path(),
        &["--device", "tpu", "recommend", "--customer", "A"],
        "not a valid device",
    );
    if !cfg!(feature = "cuda") {
        mistake(
            dir.path(),
            &["train", "--device", "cuda", "--max-seconds", "1"],
            "--features cuda",
        );
    }
    let empty = tempfile::tempdir().unwrap();
    let e = empty.path();
    mistake(
        e,
        &[
            "llm",
            "generate",
            "--prompt",
            "hi",
            "--model",
            "missing.gguf",
        ],
        "missing.gguf",
    );
    mistake(
        e,
        &[
            "llm",
            "generate",
            "--prompt",
            "hi",
            "--json-schema",
            "missing.json",
        ],
        "missing.json",
    );
    mistake(
        e,
        &["llm", "perplexity", "--file", "missing.txt"],
        "missing.txt",
    );
    // Perplexity and bench need the local model: an endpoint is refused, not ignored.
    for command in [
        &["llm", "perplexity", "--file", "missing.txt"][..],
        &["llm", "bench"][..],
    ] {
        let mut args = command.to_vec();
        args.extend(["--endpoint", "http://127.0.0.1:9/v1"]);
        mistake(e, &args, "cannot use an endpoint");
        mistake(e, &args, "drop --endpoint");
    }
    mistake(e, &["embed", "--file", "missing.txt"], "missing.txt");
    mistake(e, &["embed"], "nothing to embed");
    mistake(
        e,
        &["clv", "evaluate", "--cdnow", "missing-dir"],
        "missing-dir",
    );
    mistake(
        e,
        &["clv", "bench", "--cdnow-master", "missing.txt"],
        "missing.txt",
    );
    mistake(
        e,
        &["eval", "recs", "--dataset", "missing", "--format", "beauty"],
        "missing",
    );
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_recur"))
        .args(["presets"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the first line is written (as `| head -0` would).
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert!(matches!(status.code(), Some(0 | 141)), "{status:?} {err}");
}
