//! A product's review summary through the engine with a deterministic writer in place of the
//! language model: a bullet citing a review that lacks its words is dropped, the template is
//! shown when every bullet is, citations are real review keys of the product, and the prompt
//! holds review texts but no customer id.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;

use recur_engine::llm::{FinishReason, Generate, Generation, JsonSchema, Message, SamplingParams};
use recur_engine::prelude::*;
use recur_engine::{
    BulletPath, SUMMARIES_DIR, SavedSummary, SummaryOptions, load_summary, product_review_summary,
    save_summary, saved_summaries, workspace_reviews,
};

use crate::{campaign_write, import};

/// Twelve reviews of `p1` (pump complaints, smell praise) and four of `p2`; customers `cust-N`.
fn shop() -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::init(dir.path()).unwrap();
    let mut csv = String::from("customer_id,product_id,rating,review_text,reviewed_at\n");
    let texts = [
        (1, "The pump broke after a week"),
        (2, "Pump broke on day two, sadly"),
        (1, "The pump broke and leaked everywhere"),
        (5, "Lovely smell and soft hands"),
        (4, "Lovely smell, very gentle soap"),
        (5, "The smell is lovely and it lasts"),
    ];
    for round in 0..2 {
        for (i, (stars, text)) in texts.iter().enumerate() {
            writeln!(
                csv,
                "cust-{round}{i},p1,{stars},\"{text} ({round})\",2026-03-{:02}T12:00:00Z",
                1 + i
            )
            .unwrap();
        }
    }
    for i in 0..4 {
        writeln!(
            csv,
            "cust-9{i},p2,5,\"Nice candle smell {i}\",2026-03-01T12:00:00Z"
        )
        .unwrap();
    }
    import(
        &ws,
        Table::Reviews,
        &campaign_write(dir.path(), "reviews.csv", &csv),
    );
    (dir, ws)
}

/// A writer that reads the numbered quotes from the prompt and answers with `answer(quotes)`.
struct Scripted {
    prompts: Rc<RefCell<Vec<String>>>,
    answer: fn(&[(usize, String)]) -> String,
}

impl Generate for Scripted {
    fn chat(
        &mut self,
        messages: &[Message],
        _params: &SamplingParams,
        schema: Option<&JsonSchema>,
        _on_text: &mut dyn FnMut(&str),
    ) -> recur_engine::llm::Result<Vec<Generation>> {
        assert!(schema.is_some(), "summaries are schema-constrained");
        let prompt: String = messages
            .iter()
            .map(|m| m.content.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let quotes: Vec<(usize, String)> = prompt
            .lines()
            .filter_map(|l| {
                let rest = l.strip_prefix('[')?;
                let (n, text) = rest.split_once("] ")?;
                Some((n.parse().ok()?, text.to_owned()))
            })
            .collect();
        let text = (self.answer)(&quotes);
        if let Some(s) = schema {
            let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
            s.validate(&doc)
                .expect("the scripted answer fits the schema");
        }
        self.prompts.borrow_mut().push(prompt);
        Ok(vec![Generation {
            text,
            tokens: Vec::new(),
            finish_reason: FinishReason::Complete,
            prompt_tokens: 0,
            completion_tokens: 0,
            prompt_seconds: 0.0,
            generation_seconds: 0.0,
            total_seconds: 0.0,
        }])
    }

    fn describe(&self) -> String {
        "scripted writer".into()
    }
}

fn first(quotes: &[(usize, String)], needle: &str) -> usize {
    quotes
        .iter()
        .find(|(_, t)| t.to_lowercase().contains(needle))
        .map(|(n, _)| *n)
        .unwrap_or_else(|| panic!("no quote with {needle}: {quotes:?}"))
}

/// One grounded bullet on the pump, one on the smell citing a pump review, one invented.
fn mixed(quotes: &[(usize, String)]) -> String {
    let pump = first(quotes, "pump broke after a week");
    let smell = first(quotes, "lovely smell");
    serde_json::json!({"bullets": [
        {"text": "The pump broke after a week.", "cites": [pump]},
        {"text": "Lovely smell and soft hands.", "cites": [pump]},
        {"text": "Lovely smell.", "cites": [smell]},
    ]})
    .to_string()
}

/// Nothing any review says.
fn invented(quotes: &[(usize, String)]) -> String {
    let n = quotes[0].0;
    serde_json::json!({"bullets": [{"text": "Waterproof and dishwasher safe.", "cites": [n]}]})
        .to_string()
}

fn writer(answer: fn(&[(usize, String)]) -> String) -> (Scripted, Rc<RefCell<Vec<String>>>) {
    let prompts = Rc::new(RefCell::new(Vec::new()));
    (
        Scripted {
            prompts: prompts.clone(),
            answer,
        },
        prompts,
    )
}

#[test]
fn summary_bullets_cite_real_reviews_that_hold_their_words() {
    let (_dir, ws) = shop();
    let (mut g, prompts) = writer(mixed);
    let s = product_review_summary(&ws, "p1", Some(&mut g), &SummaryOptions::default())
        .unwrap()
        .expect("reviewed");
    let sum = &s.summary;
    assert_eq!(sum.path, BulletPath::Model, "{sum:#?}");
    assert_eq!(sum.attempts, 1, "{sum:#?}");
    assert_eq!(sum.proposed, 3);
    // (a) the smell bullet citing a pump review is dropped, with the words it lacks.
    assert_eq!(sum.rejected.len(), 1);
    assert_eq!(sum.rejected[0].text, "Lovely smell and soft hands.");
    assert!(sum.rejected[0].unsupported.contains(&"lovely".to_owned()));
    assert_eq!(sum.bullets.len(), 2);
    // (c) citations are keys of the product's own reviews, whose texts hold the bullet's words.
    let reviews = workspace_reviews(&ws).unwrap();
    for b in &sum.bullets {
        assert_eq!(b.path, BulletPath::Model);
        assert!(!b.citations.is_empty());
        for (key, n) in b.citations.iter().zip(&b.quotes) {
            let r = reviews
                .iter()
                .find(|r| &r.key == key)
                .expect("a stored review");
            assert_eq!(r.product_id, "p1");
            let q = sum.quotes.iter().find(|q| q.number == *n).unwrap();
            assert_eq!(&q.review, key);
        }
    }
    let pump = &sum.bullets[0];
    let text = &reviews
        .iter()
        .find(|r| r.key == pump.citations[0])
        .unwrap()
        .text;
    assert!(text.to_lowercase().contains("pump broke"), "{text}");
    // The prompt quotes review texts, never a customer id or a review key.
    let prompt = prompts.borrow().join("\n");
    assert!(prompt.contains("pump broke"));
    assert!(!prompt.contains("cust-"));
    assert!(!prompt.contains(&pump.citations[0]));
}

#[test]
fn the_template_is_shown_when_every_bullet_is_rejected_or_no_model_is_there() {
    let (_dir, ws) = shop();
    let (mut g, prompts) = writer(invented);
    let s = product_review_summary(&ws, "p1", Some(&mut g), &SummaryOptions::default())
        .unwrap()
        .expect("reviewed")
        .summary;
    // (b) asked twice (the second time told why), then the template.
    assert_eq!(s.attempts, 2);
    assert_eq!(s.rejected.len(), 2);
    assert!(prompts.borrow()[1].contains("waterproof"));
    assert_eq!(s.path, BulletPath::Template);
    assert!(!s.bullets.is_empty());
    assert!(s.bullets.iter().all(|b| b.path == BulletPath::Template));
    assert!(s.note.as_deref().unwrap().contains("citation check"));
    for b in &s.bullets {
        let t: Vec<&str> = b.citations.iter().map(String::as_str).collect();
        assert!(!t.is_empty());
    }

    let none = product_review_summary(&ws, "p1", None, &SummaryOptions::default())
        .unwrap()
        .unwrap()
        .summary;
    assert_eq!(none.path, BulletPath::Template);
    assert_eq!(none.attempts, 0);
    assert!(none.note.unwrap().contains("no language model"));
    assert!(
        product_review_summary(&ws, "nope", None, &SummaryOptions::default())
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_saved_summary_round_trips_and_is_stale_once_new_reviews_come_in() {
    let (dir, ws) = shop();
    assert!(load_summary(&ws, "p1").unwrap().is_none());
    assert!(saved_summaries(&ws).unwrap().is_empty());
    let (mut g, _) = writer(mixed);
    let s = product_review_summary(&ws, "p1", Some(&mut g), &SummaryOptions::default())
        .unwrap()
        .expect("reviewed");
    let saved = SavedSummary::new(&s.summary, s.pain_points.reviews);
    assert_eq!(saved.reviews, 12);
    assert_eq!(saved.path, BulletPath::Model);
    assert_eq!(saved.writer.as_deref(), Some("scripted writer"));
    let file = save_summary(&ws, &saved).unwrap();
    assert_eq!(file, dir.path().join(SUMMARIES_DIR).join("p1.json"));
    // Written whole: no temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path().join(SUMMARIES_DIR))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["p1.json"]);
    let back = load_summary(&ws, "p1").unwrap().expect("saved");
    assert_eq!(back, saved);
    assert_eq!(back.bullets[0].citations, s.summary.bullets[0].citations);
    assert!(!back.is_stale(12));
    // A product id that is no file name is saved under a safe one and read back.
    let odd = SavedSummary {
        product_id: "../shelf/p 2?".into(),
        ..saved.clone()
    };
    let odd_file = save_summary(&ws, &odd).unwrap();
    assert_eq!(odd_file.parent(), file.parent());
    assert_eq!(load_summary(&ws, "../shelf/p 2?").unwrap(), Some(odd));
    assert_eq!(saved_summaries(&ws).unwrap().len(), 2);

    // A new review of p1: the saved summary rests on 12, the product has 13.
    import(
        &ws,
        Table::Reviews,
        &campaign_write(
            dir.path(),
            "more.csv",
            "customer_id,product_id,rating,review_text,reviewed_at\n\
             cust-x,p1,1,\"The pump broke again\",2026-04-01T12:00:00Z\n",
        ),
    );
    let now = recur_engine::ReviewSummarizer::open(&ws).unwrap();
    assert_eq!(now.reviews_of("p1"), Some(13));
    assert_eq!(now.most_reviewed()[0], ("p1".to_owned(), 13));
    assert!(load_summary(&ws, "p1").unwrap().unwrap().is_stale(13));

    // A file cut short counts as none saved (the next run writes it again), not as an error.
    std::fs::write(&file, "{\"product_id\": \"p1\", \"bull").unwrap();
    assert_eq!(load_summary(&ws, "p1").unwrap(), None);

    // Erasing a customer removes the saved summaries, which may quote their reviews.
    save_summary(&ws, &saved).unwrap();
    recur_engine::erase_customers(&ws, &["cust-x".to_owned()], 1_800_000_000).unwrap();
    assert!(saved_summaries(&ws).unwrap().is_empty());
    assert!(!dir.path().join(SUMMARIES_DIR).exists());
}

#[test]
fn the_report_shows_saved_summaries_beside_pain_points_and_marks_stale_ones() {
    let (dir, ws) = shop();
    import(&ws, Table::Orders, &crate::testdata("tiny-shop/orders.csv"));
    let report = ws.analyze().unwrap();
    let imports = ws.manifest().unwrap().imports;
    let html = |ws: &Workspace| {
        let sections = recur_engine::ReportSections {
            reviews: Some(recur_engine::ReviewSection::of_workspace(ws)),
            ..Default::default()
        };
        recur_engine::render_report("t", &report, &imports, &sections)
    };
    // None saved: the report says so and names the commands that write them.
    let page = html(&ws);
    assert!(page.contains("none saved"), "no summary yet");
    assert!(page.contains("recur analyze --summaries N"));
    assert!(page.contains("Saved review summaries: 0."));

    let (mut g, _) = writer(mixed);
    let s = product_review_summary(&ws, "p1", Some(&mut g), &SummaryOptions::default())
        .unwrap()
        .unwrap();
    let mut saved = SavedSummary::new(&s.summary, s.pain_points.reviews);
    saved.bullets[0].text = "The pump broke <b>fast</b>".into();
    save_summary(&ws, &saved).unwrap();
    let template = product_review_summary(&ws, "p2", None, &SummaryOptions::default())
        .unwrap()
        .unwrap();
    // p2's summary rests on fewer reviews than it has now: stale.
    save_summary(&ws, &SavedSummary::new(&template.summary, 3)).unwrap();

    let page = html(&ws);
    let key = &saved.bullets[0].citations[0];
    assert!(
        page.contains("The pump broke &lt;b&gt;fast&lt;/b&gt;"),
        "escaped"
    );
    assert!(
        page.contains(&format!("({key}; model)")),
        "cited keys and who wrote it"
    );
    assert!(page.contains("written by scripted writer"));
    assert!(page.contains("rests on 12 reviews"));
    assert!(page.contains("<b class=stale>stale: 4 reviews now</b>"));
    assert_eq!(page.matches("class=stale").count(), 1, "p1's is up to date");
    assert!(page.contains("Saved review summaries: 2."));
    let recur_engine::Section::Ready { data } = recur_engine::ReviewSection::of_workspace(&ws)
    else {
        panic!("reviews are there");
    };
    assert_eq!(data.summaries.len(), 2);
    assert_eq!(data.summaries[0].summary.product_id, "p1");
    assert!(!data.summaries[0].stale && data.summaries[1].stale);
    drop(dir);
}
