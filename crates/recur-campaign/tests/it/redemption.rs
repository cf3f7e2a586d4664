//! Coupon redemptions: matched to the campaign and customer each code was issued to.

use recur_campaign::{
    Assignment, CampaignSpec, Ledger, Plan, PlanSummary, PlannedCustomer, Segment,
    import_redemptions,
};

const SPEC: &str = r#"
id = "autumn"
goal_days = 30
channel = "email"

[[offers]]
name = "10% off"
kind = "percent_off"
percent = 10
code_prefix = "FALL"
"#;

fn ledger(dir: &std::path::Path) -> Ledger {
    let mut ledger = Ledger::open(&dir.join("ledger.sqlite")).unwrap();
    let customers = ["A1", "A2", "A3"]
        .iter()
        .map(|c| PlannedCustomer {
            customer_id: (*c).into(),
            segment: Segment::AtRisk,
            assignment: Assignment::Treated {
                offer: 0,
                expected_profit: 0.0,
                expected_cost: 0.0,
            },
        })
        .chain(std::iter::once(PlannedCustomer {
            customer_id: "H1".into(),
            segment: Segment::AtRisk,
            assignment: Assignment::Holdout,
        }))
        .collect();
    let plan = Plan {
        campaign: "autumn".into(),
        customers,
        summary: PlanSummary {
            candidates: 4,
            eligible: 4,
            holdout: 1,
            treated: 3,
            by_offer: vec![],
            excluded: vec![],
            expected_profit: 0.0,
            expected_cost: 0.0,
        },
        guard_rails: Vec::new(),
    };
    ledger.record_plan(SPEC, &plan, 100).unwrap();
    ledger
}

#[test]
fn redemptions_are_matched_by_code_and_unknown_codes_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = ledger(dir.path());
    assert_eq!(
        ledger.redemptions("autumn").unwrap(),
        None,
        "cost unknown before any import"
    );
    let spec = CampaignSpec::parse(SPEC, std::path::Path::new("s.toml")).unwrap();
    let code = |c: &str| spec.offers[0].coupon_code("autumn", c).unwrap();
    let file = dir.path().join("redemptions.csv");
    std::fs::write(
        &file,
        format!(
            "order_id,code,discount,redeemed_at\nO1,{},4.50,2026-11-20\nO2,FALL-00000,3.00,\nO3,{},2.25,2026-11-21T10:00:00Z\n",
            code("A1"),
            code("A2").to_lowercase()
        ),
    )
    .unwrap();
    let r = import_redemptions(&mut ledger, &file, 200).unwrap();
    assert_eq!((r.rows, r.matched, r.new), (3, 2, 2));
    assert_eq!(r.unknown_codes, vec![(3, "FALL-00000".to_owned())]);
    assert_eq!(r.by_campaign, vec![("autumn".to_owned(), 2)]);
    let got = ledger.redemptions("autumn").unwrap().unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got["A1"], 4.5);
    assert_eq!(got["A2"], 2.25);
    let again = import_redemptions(&mut ledger, &file, 300).unwrap();
    assert_eq!((again.matched, again.new), (2, 0), "re-import adds nothing");
}

#[test]
fn a_bad_row_names_its_line_and_records_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = ledger(dir.path());
    let file = dir.path().join("r.csv");
    std::fs::write(
        &file,
        "code,order_id,discount\nFALL-1,O1,1.0\nFALL-2,O2,lots\n",
    )
    .unwrap();
    let e = import_redemptions(&mut ledger, &file, 200)
        .unwrap_err()
        .to_string();
    assert!(e.contains("r.csv:3") && e.contains("discount"), "{e}");
    assert_eq!(ledger.redemptions("autumn").unwrap(), None);
    std::fs::write(&file, "coupon,order\nX,1\n").unwrap();
    let e = import_redemptions(&mut ledger, &file, 200)
        .unwrap_err()
        .to_string();
    assert!(e.contains("found: coupon, order"), "{e}");
}
