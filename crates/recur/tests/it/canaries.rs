//! Personal data never reaches a message: canaries in every personal column of customers
//! files broken in every way an import can meet, imported as a user would (text and JSON
//! output); nothing printed on stdout or stderr names them. The quarantine file keeps the
//! raw rows (that is where they are recovered from; `recur customers erase` reaches it).

use crate::{recur, stderr, stdout};

const MAIL: &str = "zq.canary@example.net";
const NAME: &str = "Zqcanary Person";
const PHONE: &str = "+44 7700 900777";
const ADDRESS: &str = "7 Canarywharf Row";
const CANARIES: [&str; 5] = [MAIL, NAME, PHONE, ADDRESS, "Zqcanary"];

fn row(id: &str) -> String {
    format!("{id},{MAIL},{NAME},{PHONE},\"{ADDRESS}\",GB,en,2024-01-02,true")
}

const HEADER: &str = "customer_id,email,name,phone,address,country,locale,signup_at,email_consent";

/// Broken customers files: (file name, bytes).
fn broken() -> Vec<(&'static str, Vec<u8>)> {
    let good = row("C1");
    vec![
        // No header: the first customer would be read as the column names.
        ("headerless.csv", format!("{}\n{}\n", row("C1"), row("C2")).into_bytes()),
        // A row with too many and one with too few fields.
        (
            "ragged.csv",
            format!("{HEADER}\n{good},extra,fields\nC3,{MAIL},{NAME}\n").into_bytes(),
        ),
        // An unterminated quote swallowing the rest of the file.
        (
            "quote.csv",
            format!("{HEADER}\nC4,{MAIL},\"{NAME},{PHONE},{ADDRESS},GB,en,2024-01-02,true\n").into_bytes(),
        ),
        // Bad values next to personal ones: date, consent flag, missing id.
        (
            "values.csv",
            format!(
                "{HEADER}\nC5,{MAIL},{NAME},{PHONE},{ADDRESS},GB,en,2024-13-45,true\n\
                 C6,{MAIL},{NAME},{PHONE},{ADDRESS},GB,en,2024-01-02,perhaps\n\
                 ,{MAIL},{NAME},{PHONE},{ADDRESS},GB,en,2024-01-02,true\n"
            )
            .into_bytes(),
        ),
        // Invalid UTF-8 inside a personal field.
        ("latin1.csv", {
            let mut b = format!("{HEADER}\nC7,{MAIL},Zqcanary P").into_bytes();
            b.extend([0xE9, 0xFF]);
            b.extend(format!("rson,{PHONE},{ADDRESS},GB,en,2024-01-02,true\n").into_bytes());
            b
        }),
        // JSON lines: a malformed line, a wrong type, a missing id.
        (
            "customers.jsonl",
            format!(
                "{{\"customer_id\":\"C8\",\"email\":\"{MAIL}\",\"name\":\"{NAME}\"\n\
                 {{\"customer_id\":\"C9\",\"email\":\"{MAIL}\",\"phone\":\"{PHONE}\",\"email_consent\":\"{NAME}\"}}\n\
                 {{\"email\":\"{MAIL}\",\"address\":\"{ADDRESS}\"}}\n\
                 [\"{MAIL}\",\"{NAME}\"]\n"
            )
            .into_bytes(),
        ),
        // The personal columns without the id column at all.
        (
            "noid.csv",
            format!("email,name,phone,address\n{MAIL},{NAME},{PHONE},\"{ADDRESS}\"\n").into_bytes(),
        ),
        // A gzip file that is not gzip.
        ("broken.csv.gz", format!("{HEADER}\n{good}\n").into_bytes()),
    ]
}

#[test]
fn no_import_error_path_prints_a_personal_field() {
    let dir = tempfile::tempdir().unwrap();
    assert!(recur(dir.path(), &["init", "."]).status.success());
    let mut failures = 0;
    for (name, bytes) in broken() {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        for json in [false, true] {
            let mut args = vec![
                "import",
                "customers",
                "-q",
                "--file",
                path.to_str().unwrap(),
            ];
            if json {
                args.push("--json");
            }
            let o = recur(dir.path(), &args);
            assert_ne!(o.status.code(), Some(3), "{name}: {}", stderr(&o));
            failures += usize::from(!o.status.success());
            let printed = format!("{}{}", stdout(&o), stderr(&o)).to_lowercase();
            for canary in CANARIES {
                assert!(
                    !printed.contains(&canary.to_lowercase()),
                    "{name} (json: {json}) printed `{canary}`:\n{printed}"
                );
            }
        }
    }
    assert!(failures >= 2, "some files are refused outright");
    // The quarantine keeps the raw rows for recovery (and erasure reaches them).
    let quarantine = dir.path().join("data/quarantine");
    let mut rows = 0;
    for entry in std::fs::read_dir(&quarantine).unwrap() {
        let mut r = csv::Reader::from_path(entry.unwrap().path()).unwrap();
        rows += r.records().count();
    }
    assert!(rows >= 4, "{rows} quarantined rows");
}
