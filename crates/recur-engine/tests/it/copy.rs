//! Campaign copy through the engine: what a language model is shown (never personal data),
//! what it may add (free text only: every fact in the message is the engine's), the copy audit
//! and `eval copy`'s figures; and the real SmolLM2 writing a sample.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use recur_engine::Language;
use recur_engine::llm::{Generate, Generation, JsonSchema, Message, SamplingParams};
use recur_engine::prelude::*;
use recur_engine::{
    COPY_AUDIT_FILE, CopyPath, CopyRun, evaluate_campaign_copy, generate_workspace_campaign,
    plan_workspace_campaign,
};

use crate::{import, tiny_workspace};

const PLANNED_AT: i64 = 1_709_251_200;

const SPEC: &str = r#"
id = "copy"
goal_days = 30
channel = "file"
holdout_share = 0.2

[[offers]]
name = "10% off"
kind = "percent_off"
percent = 10
code_prefix = "COPY10"
"#;

/// Customers whose personal data are canaries: none may reach a prompt.
const CUSTOMERS: &str = "customer_id,email,name,locale,email_consent\n\
    A,canary-a@leak.example,Qzxcanary Lee,en,true\n\
    B,canary-b@leak.example,Wvkcanary Chen,zh-CN,true\n\
    C,canary-c@leak.example,Jqpcanary Park,en,true\n\
    D,canary-d@leak.example,Xbrcanary Ross,en,true\n";

/// A generator that records every prompt and answers with `answer` (given the language).
struct Recording {
    prompts: Rc<RefCell<Vec<String>>>,
    answer: fn(zh: bool) -> String,
}

impl Generate for Recording {
    fn chat(
        &mut self,
        messages: &[Message],
        _params: &SamplingParams,
        schema: Option<&JsonSchema>,
        _on_text: &mut dyn FnMut(&str),
    ) -> recur_engine::llm::Result<Vec<Generation>> {
        let prompt: Vec<String> = messages.iter().map(|m| m.content.clone()).collect();
        let prompt = prompt.join("\n");
        let zh = prompt.contains("简体中文");
        assert!(schema.is_some(), "drafts are always schema-constrained");
        self.prompts.borrow_mut().push(prompt);
        Ok(vec![Generation {
            text: (self.answer)(zh),
            tokens: Vec::new(),
            finish_reason: recur_engine::llm::FinishReason::Complete,
            prompt_tokens: 0,
            completion_tokens: 0,
            prompt_seconds: 0.0,
            generation_seconds: 0.0,
            total_seconds: 0.0,
        }])
    }

    fn describe(&self) -> String {
        "recording fake".into()
    }
}

fn good(zh: bool) -> String {
    if zh {
        r#"{"subject": "好久不见", "opening": "我们很想念您，欢迎回来看看。", "reason": "这些商品很适合您。", "closing": "祝好"}"#.into()
    } else {
        r#"{"subject": "Picked for you", "opening": "We would love to welcome you back.", "reason": "These suit what you like to buy.", "closing": "Warm wishes"}"#.into()
    }
}

/// What a model without constraints might write: invented numbers, codes and offers.
fn adversarial(_zh: bool) -> String {
    r#"{"subject": "FREE100 inside", "opening": "Take 50% off with code FREE100 until 2031-01-01, call 555-0134-999.", "reason": "Only $1.99 today.", "closing": "Bye"}"#.into()
}

fn planned(dir: &Path, ws: &Workspace) {
    import(
        ws,
        Table::Customers,
        &crate::campaign_write(dir, "customers.csv", CUSTOMERS),
    );
    let spec = crate::campaign_write(dir, "copy.toml", SPEC);
    let p = plan_workspace_campaign(ws, &spec, 0.4, PLANNED_AT).unwrap();
    assert!(p.summary.treated >= 2, "{:?}", p.summary);
}

/// `eval copy` over the audit of the last `campaign generate` of campaign `copy`.
fn from_audit() -> CopyRun<'static> {
    CopyRun {
        campaign: "copy".into(),
        sample: None,
        seed: 0,
        generator: None,
        shop: "Tiny Shop".into(),
        currency: "EUR".into(),
        languages: None,
    }
}

fn audit_lines(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("campaign/copy").join(COPY_AUDIT_FILE))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn prompts_hold_no_personal_data_and_the_model_adds_free_text_only() {
    let (dir, ws) = tiny_workspace();
    planned(dir.path(), &ws);
    let prompts = Rc::new(RefCell::new(Vec::new()));
    let mut g = Recording {
        prompts: prompts.clone(),
        answer: good,
    };
    let generated = generate_workspace_campaign(
        &ws,
        "copy",
        "Tiny Shop",
        "EUR",
        Some(&mut g),
        100,
        &mut |_, _| {},
    )
    .unwrap();
    let prompts = prompts.borrow();
    assert!(!prompts.is_empty());
    for p in prompts.iter() {
        for canary in ["canary", "leak.example", "Lee", "Chen", "Park", "Ross"] {
            assert!(!p.contains(canary), "`{canary}` reached a prompt:\n{p}");
        }
        // No fact to copy either: the code and the prices are the engine's to write.
        assert!(!p.contains("COPY10"), "{p}");
    }
    let lines = audit_lines(dir.path());
    assert_eq!(lines.len(), generated.queued);
    for l in &lines {
        // `llm.draft_languages` is `en` by default: Chinese messages use the template.
        let expected = if l["language"] == "zh" {
            "template_only"
        } else {
            "model"
        };
        assert_eq!(l["path"], expected, "{l}");
        let code = l["facts"]["code"].as_str().unwrap();
        assert!(l["body"].as_str().unwrap().contains(code), "{l}");
        assert!(!l["body"].as_str().unwrap().contains("canary"), "{l}");
    }
    // A Chinese customer gets Chinese copy.
    for l in lines.iter().filter(|l| l["language"] == "zh") {
        assert!(l["body"].as_str().unwrap().contains("您好"), "{l}");
    }
    let e = evaluate_campaign_copy(&ws, from_audit(), &mut |_, _| {}).unwrap();
    let english = lines.iter().filter(|l| l["language"] == "en").count();
    assert_eq!(e.all.drafted, english);
    assert!((e.all.accepted_share - 1.0).abs() < 1e-9, "{e:?}");
    assert_eq!(e.unsupplied_facts, 0);
    assert!(e.by_language.contains_key("en"), "{e:?}");
    let doc = serde_json::to_value(&e).unwrap();
    for key in [
        "accepted_share",
        "template_share",
        "distinct_2",
        "seconds_per_draft",
        "by_language",
    ] {
        assert!(doc.get(key).is_some(), "{key} missing from {doc}");
    }
}

#[test]
fn invented_facts_never_reach_a_message() {
    let (dir, ws) = tiny_workspace();
    planned(dir.path(), &ws);
    let mut g = Recording {
        prompts: Rc::new(RefCell::new(Vec::new())),
        answer: adversarial,
    };
    generate_workspace_campaign(
        &ws,
        "copy",
        "Tiny Shop",
        "EUR",
        Some(&mut g),
        100,
        &mut |_, _| {},
    )
    .unwrap();
    let messages =
        std::fs::read_to_string(dir.path().join("campaign/copy/messages.jsonl")).unwrap();
    for invented in ["FREE100", "50%", "2031", "555-0134", "1.99"] {
        assert!(
            !messages.contains(invented),
            "{invented} went out:\n{messages}"
        );
    }
    for l in audit_lines(dir.path())
        .iter()
        .filter(|l| l["language"] == "en")
    {
        assert_eq!(l["path"], "template", "{l}");
        assert_eq!(l["rejected"].as_array().unwrap().len(), 2, "one retry: {l}");
    }
    // Without an audit, eval copy says what to run.
    let (_d2, ws2) = tiny_workspace();
    planned(_d2.path(), &ws2);
    let err = evaluate_campaign_copy(&ws2, from_audit(), &mut |_, _| {}).unwrap_err();
    assert!(
        err.is_user_error() && err.to_string().contains("--sample"),
        "{err}"
    );
}

/// The real local model (from scripts/setup-models) writing a fresh sample: every message it
/// wrote or the template replaced carries only supplied facts.
#[test]
fn smollm2_drafts_a_sample_with_only_supplied_facts() {
    let model = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    let (dir, ws) = tiny_workspace();
    planned(dir.path(), &ws);
    let mut g = recur_engine::llm::LocalModel::load(&model, &Default::default())
        .expect("the default model is installed by scripts/setup-models");
    let e = evaluate_campaign_copy(
        &ws,
        CopyRun {
            campaign: "copy".into(),
            sample: Some(3),
            seed: 7,
            generator: Some(&mut g),
            shop: "Tiny Shop".into(),
            currency: "EUR".into(),
            languages: Some(vec![Language::En, Language::Zh]),
        },
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(e.all.drafted, 3, "{e:?}");
    assert_eq!(e.unsupplied_facts, 0, "{e:?}");
    let lines = audit_lines(dir.path());
    assert_eq!(lines.len(), 3);
    for l in &lines {
        let path: CopyPath = serde_json::from_value(l["path"].clone()).unwrap();
        assert_ne!(path, CopyPath::TemplateOnly);
        let body = l["body"].as_str().unwrap();
        assert!(
            body.contains(l["facts"]["code"].as_str().unwrap()),
            "{body}"
        );
        // Digits only where the engine wrote facts: prices, the code, the expiry.
        if let Some(t) = l["free_text"].as_object() {
            for (k, v) in t {
                if let Some(s) = v.as_str() {
                    assert!(!s.chars().any(|c| c.is_ascii_digit()), "{k}: {s}");
                }
            }
        }
    }
}
