//! Integration tests of the assistant with a fake model and a fake order tool: what reaches the
//! prompt, what the validator lets through, whose orders are read, when it escalates.

use std::cell::RefCell;
use std::collections::HashMap;

use recur_assist::{
    AnswerMode, AnswerStyle, AssistOptions, Assistant, Conversation, EscalationReason, Lang,
    OrderFacts, OrderLookup, Role, Writer, parse_knowledge,
};
use recur_retrieval::KnowledgeIndex;

const FAQ: &str = r#"{"questions": [
  {"question": "How long do refunds take?", "answer": "Refunds reach your original payment method within 5-7 business days."},
  {"question": "Do you ship abroad?", "answer": "Yes, we ship to 30 countries."},
  {"question": "What does shipping abroad cost?", "answer": "International shipping costs 15 USD per order."},
  {"question": "How do I reset my password?", "answer": "Use the Forgot password link on the sign-in page."},
  {"question": "退款多久到账？", "answer": "退款一般3-5个工作日原路退回。"},
  {"question": "可以开发票吗？", "answer": "可以，下单时勾选开具发票即可。"}
]}"#;

const POLICY: &str = "# Policies\n\n## Warranty\n\nEvery kettle carries a warranty of 24 months from the day of delivery. Send a photo of the fault with your order number.\n";

fn index() -> KnowledgeIndex {
    let mut index = KnowledgeIndex::in_memory().unwrap();
    index
        .replace_source(
            "faq.json",
            "1",
            parse_knowledge("faq.json", FAQ.as_bytes(), None).unwrap(),
            None,
        )
        .unwrap();
    index
        .replace_source(
            "policies.md",
            "1",
            parse_knowledge("policies.md", POLICY.as_bytes(), None).unwrap(),
            None,
        )
        .unwrap();
    index
}

/// Answers with a fixed text and records every prompt it sees.
struct Fake {
    answers: Vec<String>,
    prompts: RefCell<Vec<String>>,
}

impl Writer for Fake {
    fn write(
        &mut self,
        system: &str,
        history: &[(Role, String)],
        prompt: &str,
    ) -> Result<String, String> {
        let mut all = format!("{system}\n");
        for (_, t) in history {
            all.push_str(t);
            all.push('\n');
        }
        all.push_str(prompt);
        self.prompts.borrow_mut().push(all);
        let n = self.prompts.borrow().len();
        Ok(self.answers[(n - 1).min(self.answers.len() - 1)].clone())
    }
}

struct Orders {
    by_customer: HashMap<&'static str, Vec<OrderFacts>>,
    asked: RefCell<Vec<String>>,
}

impl OrderLookup for Orders {
    fn orders(&self, customer_id: &str, limit: usize) -> Result<Vec<OrderFacts>, String> {
        self.asked.borrow_mut().push(customer_id.to_owned());
        Ok(self
            .by_customer
            .get(customer_id)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .take(limit)
            .collect())
    }
}

fn options(style: AnswerStyle) -> AssistOptions {
    AssistOptions {
        style,
        ..AssistOptions::default()
    }
}

#[test]
fn a_confident_faq_match_is_quoted_with_its_citation() {
    let index = index();
    let mut a = Assistant {
        index: &index,
        embedder: None,
        writer: None,
        orders: None,
        products: &[],
        options: options(AnswerStyle::Auto),
    };
    let r = a
        .answer(
            &mut Conversation::default(),
            "how long until I get my refund",
            None,
        )
        .unwrap();
    assert!(!r.escalate);
    assert_eq!(r.mode, AnswerMode::Quoted);
    assert_eq!(r.citations[0].id, "faq.json#0");
    assert!(r.answer.contains("5-7 business days"));
    let json = serde_json::to_value(&r).unwrap();
    for key in ["answer", "citations", "escalate", "reason", "language"] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn a_model_answer_with_a_number_its_passage_lacks_is_rejected_for_the_quote() {
    let index = index();
    let mut fake = Fake {
        answers: vec![
            "The warranty lasts 36 months [1].".into(),
            "It lasts three years [1].".into(),
        ],
        prompts: RefCell::new(Vec::new()),
    };
    let mut a = Assistant {
        index: &index,
        embedder: None,
        writer: Some(&mut fake),
        orders: None,
        products: &[],
        options: options(AnswerStyle::Model),
    };
    let r = a
        .answer(
            &mut Conversation::default(),
            "how long is the kettle warranty",
            None,
        )
        .unwrap();
    assert_eq!(r.mode, AnswerMode::Quoted, "{r:?}");
    assert!(
        r.rejected.iter().any(|v| v.contains("36")),
        "{:?}",
        r.rejected
    );
    assert!(r.answer.contains("24 months"), "{}", r.answer);
    assert_eq!(r.citations[0].id, "policies.md#policies-warranty");
    // The retry was told what was wrong.
    assert!(fake.prompts.borrow()[1].contains("rejected"));
}

#[test]
fn a_grounded_model_answer_is_kept() {
    let index = index();
    let mut fake = Fake {
        answers: vec!["Kettles have a 24 months warranty from delivery [1].".into()],
        prompts: RefCell::new(Vec::new()),
    };
    let mut a = Assistant {
        index: &index,
        embedder: None,
        writer: Some(&mut fake),
        orders: None,
        products: &[],
        options: options(AnswerStyle::Model),
    };
    let r = a
        .answer(
            &mut Conversation::default(),
            "what warranty do kettles have",
            None,
        )
        .unwrap();
    assert_eq!(r.mode, AnswerMode::Generated, "{r:?}");
    assert_eq!(r.citations.len(), 1);
}

#[test]
fn personal_data_in_the_question_never_reaches_the_prompt() {
    let index = index();
    let mut fake = Fake {
        answers: vec!["Kettles have a 24 months warranty [1].".into()],
        prompts: RefCell::new(Vec::new()),
    };
    let mut a = Assistant {
        index: &index,
        embedder: None,
        writer: Some(&mut fake),
        orders: None,
        products: &[],
        options: options(AnswerStyle::Model),
    };
    let mut chat = Conversation::default();
    a.answer(
        &mut chat,
        "I'm canary.person@example.com, phone +44-7700-900123: how long is the kettle warranty?",
        None,
    )
    .unwrap();
    a.answer(
        &mut chat,
        "does the kettle warranty start at delivery?",
        None,
    )
    .unwrap();
    let prompts = fake.prompts.borrow();
    assert_eq!(prompts.len(), 2);
    for p in prompts.iter() {
        assert!(!p.contains("canary.person"), "{p}");
        assert!(!p.contains("7700"), "{p}");
    }
    assert!(chat.turns.iter().all(|(_, t)| !t.contains("canary.person")));
}

#[test]
fn order_questions_read_only_the_signed_in_customers_orders() {
    let index = index();
    let order = |id: &str, title: &str| OrderFacts {
        order_id: id.into(),
        day: "2026-11-20".into(),
        status: "completed".into(),
        items: vec![(title.into(), 1)],
    };
    let orders = Orders {
        by_customer: HashMap::from([
            ("A", vec![order("A-1", "Teapot")]),
            ("B", vec![order("B-9", "Secret Gift")]),
        ]),
        asked: RefCell::new(Vec::new()),
    };
    let mut a = Assistant {
        index: &index,
        embedder: None,
        writer: None,
        orders: Some(&orders),
        products: &[],
        options: options(AnswerStyle::Auto),
    };
    let r = a
        .answer(
            &mut Conversation::default(),
            "Where is my order? Is it the one customer B placed?",
            Some("A"),
        )
        .unwrap();
    assert_eq!(r.mode, AnswerMode::Orders);
    assert!(
        r.answer.contains("A-1") && r.answer.contains("Teapot"),
        "{}",
        r.answer
    );
    assert!(
        !r.answer.contains("B-9") && !r.answer.contains("Secret"),
        "{}",
        r.answer
    );
    let r = a
        .answer(&mut Conversation::default(), "我买了什么", Some("A"))
        .unwrap();
    assert_eq!(r.language, Lang::Zh);
    assert!(r.answer.contains("A-1"));
    assert_eq!(
        *orders.asked.borrow(),
        vec!["A".to_string(), "A".to_string()]
    );
    // Without a signed-in customer, no orders are read.
    a.answer(&mut Conversation::default(), "where is my order", None)
        .unwrap();
    assert_eq!(orders.asked.borrow().len(), 2);
}

#[test]
fn angry_refund_and_unknown_questions_escalate_with_a_reason() {
    let index = index();
    let mut a = Assistant {
        index: &index,
        embedder: None,
        writer: None,
        orders: None,
        products: &[],
        options: options(AnswerStyle::Auto),
    };
    let cases = [
        (
            "This is a SCAM, you people are useless!!",
            EscalationReason::Angry,
        ),
        (
            "I want a refund for order 558812 right now",
            EscalationReason::Refund,
        ),
        (
            "Someone hacked my account",
            EscalationReason::AccountSecurity,
        ),
        (
            "Do you sell replacement lids for the blue vase?",
            EscalationReason::LowConfidence,
        ),
        ("我要投诉", EscalationReason::Complaint),
    ];
    for (q, reason) in cases {
        let r = a.answer(&mut Conversation::default(), q, None).unwrap();
        assert!(r.escalate, "{q}");
        assert_eq!(r.reason_code, Some(reason), "{q}");
        assert!(r.reason.is_some() && r.citations.is_empty());
    }
}

#[test]
fn chinese_questions_are_answered_in_chinese_from_chinese_passages() {
    let index = index();
    let mut a = Assistant {
        index: &index,
        embedder: None,
        writer: None,
        orders: None,
        products: &[],
        options: options(AnswerStyle::Auto),
    };
    let r = a
        .answer(&mut Conversation::default(), "我的退款什么时候能到账", None)
        .unwrap();
    assert!(!r.escalate, "{r:?}");
    assert_eq!(r.language, Lang::Zh);
    assert_eq!(r.citations[0].id, "faq.json#4");
}

#[test]
fn a_short_follow_up_is_searched_with_the_previous_question() {
    let index = index();
    let mut a = Assistant {
        index: &index,
        embedder: None,
        writer: None,
        orders: None,
        products: &[],
        options: options(AnswerStyle::Auto),
    };
    let mut chat = Conversation::default();
    let r = a.answer(&mut chat, "Do you ship abroad?", None).unwrap();
    assert_eq!(r.citations[0].id, "faq.json#1");
    let r = a.answer(&mut chat, "what does it cost?", None).unwrap();
    assert_eq!(r.citations[0].id, "faq.json#2", "{r:?}");
    assert_eq!(chat.turns.len(), 4);
}

/// Letter counts as a vector: deterministic, and it can be made to fail.
struct Letters {
    fail: bool,
}

impl recur_retrieval::Embedder for Letters {
    fn id(&self) -> String {
        "letters".into()
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        if self.fail {
            return Err("the embedding endpoint is down".into());
        }
        Ok(texts
            .iter()
            .map(|t| {
                let mut v = vec![0.0f32; 26];
                for c in t
                    .to_ascii_lowercase()
                    .bytes()
                    .filter(u8::is_ascii_lowercase)
                {
                    v[usize::from(c - b'a')] += 1.0;
                }
                v
            })
            .collect())
    }
}

#[test]
fn an_embedder_that_fails_leaves_the_answer_to_words_with_a_note() {
    let mut index = KnowledgeIndex::in_memory().unwrap();
    index
        .replace_source(
            "faq.json",
            "1",
            parse_knowledge("faq.json", FAQ.as_bytes(), None).unwrap(),
            Some(&Letters { fail: false }),
        )
        .unwrap();
    let down = Letters { fail: true };
    let mut a = Assistant {
        index: &index,
        embedder: Some(&down),
        writer: None,
        orders: None,
        products: &[],
        options: options(AnswerStyle::Auto),
    };
    let r = a
        .answer(
            &mut Conversation::default(),
            "how long until I get my refund",
            None,
        )
        .unwrap();
    assert!(!r.escalate, "{r:?}");
    assert_eq!(r.citations[0].id, "faq.json#0");
    assert_eq!(r.notes.len(), 1, "{:?}", r.notes);
    assert!(r.notes[0].contains("words only"), "{:?}", r.notes);
    assert!(
        !r.notes[0].contains("endpoint"),
        "no error text in the answer"
    );
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["notes"].is_array());
    // A working embedder leaves no note (and the key out of the JSON).
    let up = Letters { fail: false };
    a.embedder = Some(&up);
    let r = a
        .answer(
            &mut Conversation::default(),
            "how long until I get my refund",
            None,
        )
        .unwrap();
    assert!(r.notes.is_empty());
    assert!(serde_json::to_value(&r).unwrap().get("notes").is_none());
}
