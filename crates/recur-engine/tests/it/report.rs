//! The HTML report's sections on customer value, the behaviour model and campaigns: built from
//! the demo's stage results, their data and errors shown, hostile text escaped.

use std::collections::BTreeMap;

use recur_campaign::{Effect, FairnessGroup, FairnessTable, PlanSummary};
use recur_engine::model::{Exclude, ModelScore, SuiteReport};
use recur_engine::prelude::*;
use recur_engine::{
    CampaignDemo, CampaignRound, CopyPath, CustomerRecommendations, CustomerValue,
    DemoRecommendations, DemoStage, GuardedRound, ModelSelection, RecommendedItem, ReportSections,
    SampleMessage, Section, StageError, TrainOutcome, WorkspaceValue, customer_value, render_html,
    render_report,
};

const HOSTILE: &str = "</script><script>alert(1)</script><img src=x onerror=alert(2)>";

/// The tiny shop's analytics and imports.
fn analytics() -> (
    tempfile::TempDir,
    Workspace,
    Report,
    Vec<recur_ingest::ImportRecord>,
) {
    let (dir, ws) = super::tiny_workspace();
    let report = ws.analyze().expect("analyze");
    let imports = ws.manifest().expect("manifest").imports;
    (dir, ws, report, imports)
}

fn fit(names: &[&'static str]) -> FitReport {
    FitReport {
        names: names.to_vec(),
        params: names.iter().map(|_| 0.5).collect(),
        std_errors: names.iter().map(|_| 0.1).collect(),
        log_likelihood: -123.4,
        customers: 3,
        iterations: 10,
        evaluations: 20,
        at_bound: vec![],
    }
}

fn customer(id: &str, p_alive: f64, clv: f64, risk: f64) -> CustomerValue {
    CustomerValue {
        customer_id: id.into(),
        repeat_purchases: 2.0,
        weeks_since_last_purchase: 10.0,
        p_alive,
        expected_purchases_90d: 1.0,
        expected_spend: 40.0,
        clv_12m: clv,
        value_at_risk: risk,
    }
}

fn workspace_value() -> WorkspaceValue {
    WorkspaceValue {
        bgnbd: fit(&["r", "alpha", "a", "b"]),
        gamma_gamma: fit(&["p", "q", "gamma"]),
        customers: vec![
            customer("C-LOW", 0.9, 50.0, 5.0),
            customer("C-TOP", 0.2, 400.0, 900.0),
            customer("C-MID", 0.45, 120.0, 300.0),
        ],
    }
}

fn score(model: &str, ndcg: f64) -> ModelScore {
    ModelScore {
        model: model.into(),
        ndcg,
        hit_rate: ndcg * 2.0,
        recall: ndcg * 1.5,
        validation_ndcg: ndcg + 0.01,
        train_seconds: 1.0,
        score_seconds: 0.1,
    }
}

fn recommendations(title: &str) -> DemoRecommendations {
    let models = vec![score("transformer", 0.31), score("popularity", 0.12)];
    DemoRecommendations {
        training: TrainOutcome {
            model_dir: "models/behaviour".into(),
            selection: ModelSelection {
                chosen: "transformer".into(),
                validation_ndcg: models
                    .iter()
                    .map(|m| (m.model.clone(), m.validation_ndcg))
                    .collect(),
            },
            evaluation: SuiteReport {
                test_customers: 3,
                validation_customers: 3,
                items: 7,
                k: 10,
                exclude: Exclude::Nothing,
                models,
                best_on_validation: "transformer".into(),
                transformer: None,
                transformer_config: None,
            },
        },
        at_risk: vec![CustomerRecommendations {
            customer_id: "C-TOP".into(),
            model: "transformer".into(),
            history_events: 4,
            p_purchase_90d: Some(0.25),
            items: vec![RecommendedItem {
                product_id: "P-9".into(),
                title: Some(title.into()),
                price: Some(9.5),
                score: 1.0,
                seen_before: false,
            }],
        }],
    }
}

fn effect(effect: f64, treated: usize) -> Effect {
    Effect {
        treated_mean: 0.2 + effect,
        control_mean: 0.2,
        effect,
        std_error: 0.02,
        ci_low: effect - 0.04,
        ci_high: effect + 0.04,
        treated,
        control: 20,
    }
}

fn round(campaign: &str, lift: f64) -> CampaignRound {
    let treated = 80;
    let e = effect(lift, treated);
    CampaignRound {
        campaign: campaign.into(),
        targeting: "test targeting",
        plan: PlanSummary {
            candidates: 120,
            eligible: 100,
            holdout: 20,
            treated,
            by_offer: vec![
                ("10% off".into(), 50),
                ("free shipping".into(), 30),
                ("unused".into(), 0),
            ],
            excluded: vec![],
            expected_profit: 0.0,
            expected_cost: 0.0,
        },
        lift: LiftReport {
            campaign: campaign.into(),
            margin: 0.4,
            confidence: 0.95,
            missing_outcomes: 0,
            overall: Some(Lift {
                repurchase_rate: e,
                revenue_per_customer: e,
                profit_per_customer: e,
                incremental_purchasers: Interval::new(
                    lift * 80.0,
                    (lift - 0.04) * 80.0,
                    (lift + 0.04) * 80.0,
                ),
                incremental_profit: Interval::new(100.0, -20.0, 220.0),
                offer_cost: 50.0,
            }),
            by_segment: vec![],
        },
        true_incremental_purchasers: lift * 80.0,
        true_incremental_profit: 90.0,
        fairness: vec![FairnessTable {
            attribute: "country".into(),
            overall_offer_rate: 0.8,
            overall_valuable_rate: 0.5,
            groups: vec![
                FairnessGroup {
                    group: "GB".into(),
                    size: 60,
                    offered: 50,
                    offer_rate: 50.0 / 60.0,
                    valuable: 36,
                    valuable_rate: 0.6,
                    ratio_to_overall: Some(1.2),
                    flagged: false,
                    small: false,
                },
                FairnessGroup {
                    group: "Narnia".into(),
                    size: 40,
                    offered: 30,
                    offer_rate: 0.75,
                    valuable: 12,
                    valuable_rate: 0.3,
                    ratio_to_overall: Some(0.6),
                    flagged: true,
                    small: false,
                },
            ],
        }],
        lift_by_group: vec![],
    }
}

fn campaign(subject: &str, body: &str) -> CampaignDemo {
    CampaignDemo {
        exploration: round("demo-winback", 0.05),
        targeted: round("demo-winback-2", 0.09),
        guarded: GuardedRound {
            min_ratio: 0.8,
            changes: vec![],
            treated: 80,
            fairness: vec![],
            true_incremental_purchasers: 7.0,
            true_incremental_profit: 80.0,
        },
        evidence: vec![],
        message_paths: BTreeMap::from([
            (MessageTally::Written(MessagePath::FirstDraft), 3),
            (MessageTally::Written(MessagePath::Retried), 1),
            (MessageTally::Written(MessagePath::Template), 2),
            (MessageTally::Written(MessagePath::TemplateOnly), 70),
        ]),
        llm_drafts: 6,
        llm_samples: vec![],
        queued: 76,
        ledger: "campaign/ledger.sqlite".into(),
        sample_message: None,
        files: vec![],
        report_samples: vec![SampleMessage {
            customer_id: "C-TOP".into(),
            segment: Some(Segment::AtRisk),
            offer: "10% off".into(),
            path: CopyPath::Model,
            subject: subject.into(),
            preheader: "We kept your favourites".into(),
            body: body.into(),
        }],
    }
}

fn failed(stage: DemoStage, message: &str) -> StageError {
    StageError {
        stage,
        message: message.into(),
        user_error: true,
    }
}

/// The `<section id=…>` of the page (up to its end).
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<section id={id}>"))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = html[start..].find("</section>").expect("section end");
    &html[start..start + end]
}

#[test]
fn the_report_shows_value_model_and_campaign_sections_with_their_data() {
    let (_dir, _ws, report, imports) = analytics();
    let campaign = Ok(campaign(
        "Still thinking of it?",
        "Hi {first_name},\nyour code BACK10-X.",
    ));
    let sections = ReportSections::from_stages(
        &Ok(workspace_value()),
        &Ok(recommendations("Night Cream")),
        Some(&campaign),
    );
    let html = render_report("t", &report, &imports, &sections);

    let value = section(&html, "value");
    assert!(value.contains("<h2>Customer value</h2>"), "{value}");
    assert!(value.contains("<canvas id=clv>") && value.contains("<canvas id=palive>"));
    // Value at risk in total (5 + 900 + 300) and of the two likely gone (900 + 300).
    assert!(
        value.contains("1205 ") && value.contains("1200 "),
        "{value}"
    );
    assert!(
        value.contains("BG/NBD")
            && value.contains("Gamma-Gamma")
            && value.contains("alpha = 0.5000 ± 0.1000")
    );
    assert!(
        value.contains("recur clv evaluate"),
        "no holdout check: says how to run one"
    );
    // Customers by value at risk, highest first.
    let top = value.find("C-TOP").expect("top customer");
    let mid = value.find("C-MID").expect("second customer");
    assert!(top < mid && mid < value.find("C-LOW").expect("third customer"));

    let model = section(&html, "behaviour");
    assert!(model.contains("<canvas id=models>"));
    assert!(
        model.contains("Chosen: <b>transformer</b>") && model.contains("next best: popularity"),
        "{model}"
    );
    assert!(model.contains("NDCG@10") && model.contains("0.3100") && model.contains("0.1200"));
    assert!(
        model.contains("Night Cream") && model.contains("25.0%"),
        "{model}"
    );

    let camp = section(&html, "campaigns");
    assert!(camp.contains("<canvas id=lift>") && camp.contains("<canvas id=paths>"));
    assert!(camp.contains("Round 1: exploration") && camp.contains("Round 2: uplift targeting"));
    // Groups, offers (an offer given to nobody left out), the lift in points with its interval.
    assert!(
        camp.contains("<td>80</td><td>20</td>") && camp.contains("10% off: 50, free shipping: 30"),
        "{camp}"
    );
    assert!(!camp.contains("unused"));
    assert!(camp.contains("9.0 [5.0, 13.0]"), "{camp}");
    for path in [
        "model draft accepted",
        "model draft accepted after retry",
        "template (model drafts rejected)",
    ] {
        assert!(camp.contains(&format!("<td>{path}</td>")), "{path}");
    }
    assert!(camp.contains("Still thinking of it?") && camp.contains("Hi {first_name},"));
    // Fairness of each round's offers, the flagged group marked.
    assert!(camp.contains("Fairness of offers"), "{camp}");
    assert!(
        camp.contains("<td>Narnia</td><td>40</td><td>12</td><td>30.0%</td><td>0.60</td><td><b>flagged</b></td>"),
        "{camp}"
    );

    // The same data for the charts (and a dashboard), as JSON.
    let doc = serde_json::to_value(&sections).unwrap();
    assert_eq!(doc["value"]["status"], "ready");
    assert_eq!(
        doc["value"]["data"]["p_alive_histogram"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    let clv_bins: u64 = doc["value"]["data"]["clv_histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert_eq!(clv_bins, 3);
    assert_eq!(doc["behaviour"]["data"]["chosen"], "transformer");
    assert_eq!(doc["campaigns"]["data"]["rounds"][1]["treated"], 80);
    assert!(html.contains("const S = {\"value\":{\"status\":\"ready\""));
    // No names or addresses: the recipients are ids.
    for s in [value, model, camp] {
        let at = s.match_indices('@').map(|(i, _)| &s[i + 1..i + 2]);
        assert!(
            at.into_iter()
                .all(|c| c.starts_with(|c: char| c.is_ascii_digit())),
            "{s}"
        );
    }
}

#[test]
fn a_failed_stage_shows_its_error_instead_of_charts() {
    let (_dir, _ws, report, imports) = analytics();
    let campaign = Err(failed(
        DemoStage::Campaign,
        "the ledger is locked <by another run>",
    ));
    let sections = ReportSections::from_stages(
        &Err(failed(
            DemoStage::Value,
            "BG/NBD did not converge; import more orders",
        )),
        &Err(StageError {
            user_error: false,
            ..failed(DemoStage::Recommendations, "the transformer did not train")
        }),
        Some(&campaign),
    );
    let html = render_report("t", &report, &imports, &sections);
    let value = section(&html, "value");
    assert!(
        value.contains("<p class=error>")
            && value.contains("BG/NBD did not converge; import more orders")
    );
    assert!(!value.contains("<canvas"));
    let model = section(&html, "behaviour");
    assert!(
        model.contains("the transformer did not train") && model.contains("internal error"),
        "{model}"
    );
    assert!(!model.contains("<canvas"));
    let camp = section(&html, "campaigns");
    assert!(
        camp.contains("the ledger is locked &lt;by another run&gt;"),
        "{camp}"
    );
    assert!(!camp.contains("<canvas"));
    assert_eq!(
        serde_json::to_value(&sections.value).unwrap(),
        serde_json::json!({"status": "failed", "error": "BG/NBD did not converge; import more orders", "user_error": true})
    );
    // A campaign loop that did not run says why.
    let sections =
        ReportSections::from_stages(&Ok(workspace_value()), &Ok(recommendations("x")), None);
    assert!(matches!(sections.campaigns, Some(Section::NotRun { .. })));
    let html = render_report("t", &report, &imports, &sections);
    assert!(section(&html, "campaigns").contains("synthetic shop only"));
    // The report of analytics alone has none of the sections.
    let plain = render_html("t", &report, &imports);
    assert!(!plain.contains("<section id=value>") && plain.contains("<canvas id=cohorts>"));
}

#[test]
fn hostile_text_in_messages_and_titles_is_escaped() {
    let (_dir, _ws, report, imports) = analytics();
    let campaign = Ok(campaign(HOSTILE, &format!("Hi {{first_name}},\n{HOSTILE}")));
    let sections = ReportSections::from_stages(
        &Ok(workspace_value()),
        &Ok(recommendations(HOSTILE)),
        Some(&campaign),
    );
    let html = render_report(HOSTILE, &report, &imports, &sections);
    // Only the page's own scripts, no injected image.
    assert_eq!(
        html.matches("<script").count(),
        4,
        "scripts: Chart.js, matrix, analytics, sections"
    );
    assert_eq!(html.matches("</script>").count(), 4);
    assert!(!html.contains("<img"));
    assert!(!html.contains("alert(1)</script>"));
    // The text is there, escaped: in the page and in the embedded JSON.
    assert!(html.contains(
        "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
    ));
    assert!(html.contains("\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"));
}

#[test]
fn the_sections_of_a_real_fit_have_consistent_totals() {
    // The tiny shop is too small to identify the models everywhere; either outcome is shown.
    let (_dir, ws, report, imports) = analytics();
    let v = customer_value(&ws).map_err(|e| StageError::new(DemoStage::Value, &e));
    let sections = ReportSections::from_stages(
        &v,
        &Err(failed(DemoStage::Recommendations, "skipped")),
        None,
    );
    match (&v, &sections.value) {
        (Ok(v), Some(Section::Ready { data })) => {
            assert_eq!(data.customers, v.customers.len());
            assert_eq!(
                data.p_alive_histogram
                    .iter()
                    .map(|b| b.count)
                    .sum::<usize>(),
                v.customers.len()
            );
            assert!(data.top_at_risk.len() <= recur_engine::TOP_AT_RISK);
        }
        (Err(e), Some(Section::Failed { error, .. })) => assert_eq!(error, &e.message),
        other => panic!("{other:?}"),
    }
    let html = render_report("t", &report, &imports, &sections);
    assert!(html.contains("<section id=value>"));
}
