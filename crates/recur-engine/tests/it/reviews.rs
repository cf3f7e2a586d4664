//! Reviews closing the loop: a product reviewed far worse than the rest of its category is
//! held back from a campaign's messages and from recommendations (stars judge the reviews
//! when no review model is trained), the plan says why, a product at its category's rate is
//! not; one product's pain points.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use recur_engine::model::Exclude;
use recur_engine::prelude::*;
use recur_engine::{
    CampaignStore, HELD_BACK_FILE, RecsOptions, WorkspaceRecommender, generate_workspace_campaign,
    negative_reviewers, plan_workspace_campaign, product_pain_points, train_workspace,
    workspace_held_back,
};

use crate::{campaign_write, import};

/// 2026-04-01 00:00 UTC.
const PLANNED_AT: i64 = 1_775_001_600;

const SPEC: &str = r#"
id = "soap"
goal_days = 30
channel = "email"
holdout_share = 0.2

[[offers]]
name = "message only"
kind = "none"
"#;

/// A shop of four soaps (`s0` the best seller) and two candles; 40 customers with four or
/// five orders each; 30 reviews
/// per soap: `s0` 80 % one or two stars, `s1`-`s3` 10 %; the candles 2 of 12 each.
fn review_shop() -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ws = Workspace::init(d).unwrap();
    let mut catalog = String::from("product_id,title,category,price,currency\n");
    for p in 0..4 {
        writeln!(catalog, "s{p},Soap {p},Bath > Soap,5,EUR").unwrap();
    }
    for p in 0..2 {
        writeln!(catalog, "c{p},Candle {p},Home > Candles,9,EUR").unwrap();
    }
    let mut orders = String::from(
        "order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency,status\n",
    );
    let mut customers = String::from("customer_id,email,name,locale,email_consent\n");
    for c in 0..40 {
        writeln!(customers, "u{c},u{c}@example.com,User {c},en,true").unwrap();
        // Everyone bought s0 in January; then another soap or a candle.
        writeln!(
            orders,
            "o{c}a,u{c},2026-01-{:02}T10:00:00Z,s0,1,5,EUR,completed",
            1 + c % 28
        )
        .unwrap();
        let other = ["s1", "s2", "s3", "c0", "c1"][c % 5];
        writeln!(
            orders,
            "o{c}b,u{c},2026-02-{:02}T10:00:00Z,{other},1,{},EUR,completed",
            1 + c % 27,
            5 + c % 4
        )
        .unwrap();
        // Two more orders each, so the behaviour model has histories to learn from.
        let next = ["s2", "s3", "c0", "c1", "s1"][c % 5];
        writeln!(
            orders,
            "o{c}d,u{c},2026-01-{:02}T15:00:00Z,{other},1,6,EUR,completed",
            1 + c % 28
        )
        .unwrap();
        writeln!(
            orders,
            "o{c}e,u{c},2026-02-{:02}T15:00:00Z,{next},1,7,EUR,completed",
            1 + c % 27
        )
        .unwrap();
        if c % 2 == 0 {
            writeln!(
                orders,
                "o{c}c,u{c},2026-03-{:02}T10:00:00Z,s0,{},5,EUR,completed",
                1 + c % 28,
                1 + c % 3
            )
            .unwrap();
        }
    }
    let mut reviews = String::from("customer_id,product_id,rating,review_text,reviewed_at\n");
    for (p, n, bad_every) in [
        ("s0", 30, 0),
        ("s1", 30, 10),
        ("s2", 30, 10),
        ("s3", 30, 10),
    ]
    .into_iter()
    .chain([("c0", 12, 6), ("c1", 12, 6)])
    {
        for r in 0..n {
            let bad = if bad_every == 0 {
                r % 5 != 0
            } else {
                r % bad_every == 0
            };
            let (stars, text) = if bad {
                (1 + r % 2, "Broke after a week, disappointed")
            } else {
                (4 + r % 2, "Lovely, would buy again")
            };
            writeln!(
                reviews,
                "rv-{p}-{r},{p},{stars},\"{text}\",2026-03-{:02}T12:00:00Z",
                1 + r % 28
            )
            .unwrap();
        }
    }
    for (table, name, text) in [
        (Table::Catalog, "catalog.csv", catalog),
        (Table::Orders, "orders.csv", orders),
        (Table::Customers, "customers.csv", customers),
        (Table::Reviews, "reviews.csv", reviews),
    ] {
        import(&ws, table, &campaign_write(d, name, &text));
    }
    (dir, ws)
}

fn with_setting(ws: &Workspace, key: &str, value: &str) -> Workspace {
    let mut s = ws.settings().clone();
    s.set(key, value).unwrap();
    Workspace::open_with(ws.root(), s).unwrap()
}

/// Every text file under `dir`, concatenated.
fn all_text(dir: &Path) -> String {
    let mut out = String::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if let Ok(t) = std::fs::read_to_string(&path) {
            out.push_str(&t);
        }
    }
    out
}

#[test]
fn a_badly_reviewed_product_is_held_back_from_plan_messages_and_recommendations() {
    let (dir, ws) = review_shop();

    // Without a review model the stars judge: s0 alone is held back, against its category.
    let h = workspace_held_back(&ws).unwrap();
    assert!(h.enabled);
    assert_eq!(h.basis, "stars");
    let ids: Vec<&str> = h.products.iter().map(|p| p.product_id.as_str()).collect();
    assert_eq!(ids, ["s0"], "{h:?}");
    let s0 = &h.products[0];
    assert_eq!(s0.reviews, 30);
    assert!((s0.negative_share - 0.8).abs() < 1e-9, "{s0:?}");
    assert_eq!(s0.compared_with, "category");
    assert_eq!(s0.category.as_deref(), Some("Bath > Soap"));
    assert_eq!(s0.compared_reviews, 90);
    assert!((s0.compared_negative_share - 0.1).abs() < 1e-9, "{s0:?}");

    // The plan says which products were held back and why, and records it.
    let spec = campaign_write(dir.path(), "soap.toml", SPEC);
    let planned = plan_workspace_campaign(&ws, &spec, 0.4, PLANNED_AT).unwrap();
    assert_eq!(planned.held_back, h);
    let json = serde_json::to_value(&planned).unwrap();
    assert_eq!(json["held_back"]["products"][0]["product_id"], "s0");
    assert!(
        json["held_back"]["products"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("80% of its 30 reviews"),
        "{json}"
    );
    let folder = dir.path().join("campaign").join("soap");
    assert!(folder.join(HELD_BACK_FILE).is_file());

    // Its messages never show s0 (the best seller of everyone's favourite category).
    let generated =
        generate_workspace_campaign(&ws, "soap", "Soap Shop", "EUR", None, 0, &mut |_, _| {})
            .unwrap();
    assert!(
        generated.product_source.contains("1 product(s) held back"),
        "{}",
        generated.product_source
    );
    let text = all_text(&folder);
    assert!(text.contains("Soap 1") || text.contains("Soap 2"), "{text}");
    assert!(!text.contains("Soap 0"), "{text}");

    // Turned off, nothing is held back and the plan says so.
    let off = with_setting(&ws, "reviews.hold_back", "false");
    let h_off = workspace_held_back(&off).unwrap();
    assert!(!h_off.enabled && h_off.products.is_empty());

    // Recommendations leave s0 out unless holding back is off.
    let opts = RecsOptions {
        epochs: 1,
        max_seconds: Some(10.0),
        ..RecsOptions::default()
    };
    train_workspace(&ws, &opts, None, &mut (), &AtomicBool::new(false)).unwrap();
    let rec = WorkspaceRecommender::open(&ws).unwrap();
    assert!(rec.held_back().contains("s0"));
    let all = rec.recommend("u1", 10, Exclude::Nothing).unwrap();
    let listed: Vec<&str> = all.items.iter().map(|i| i.product_id.as_str()).collect();
    assert!(!listed.contains(&"s0"), "{listed:?}");
    assert_eq!(listed.len(), 5, "every other product: {listed:?}");
    let similar = rec.similar("s1", 10).unwrap();
    assert!(similar.iter().all(|i| i.product_id != "s0"));
    let rec_off = WorkspaceRecommender::open(&off).unwrap();
    let all_off = rec_off.recommend("u1", 10, Exclude::Nothing).unwrap();
    assert!(all_off.items.iter().any(|i| i.product_id == "s0"));
}

#[test]
fn a_stricter_rule_holds_nothing_back_and_pain_points_name_the_aspects() {
    let (_dir, ws) = review_shop();
    // Candles at 17 % against the rest of the shop: at its rate, never held back.
    let h = workspace_held_back(&ws).unwrap();
    assert!(!h.products.iter().any(|p| p.product_id.starts_with('c')));
    let strict = with_setting(&ws, "reviews.hold_back_margin", "0.75");
    assert!(workspace_held_back(&strict).unwrap().products.is_empty());
    let few = with_setting(&ws, "reviews.min_reviews", "31");
    assert!(workspace_held_back(&few).unwrap().products.is_empty());

    let p = product_pain_points(&ws, "s0").unwrap().expect("reviewed");
    assert!(p.held_back);
    assert_eq!(p.reviews, 30);
    let worst = p
        .aspects
        .iter()
        .max_by(|a, b| a.negative_share.total_cmp(&b.negative_share))
        .expect("aspects");
    assert!(worst.negative_share > 0.5, "{worst:?}");
    assert!(!worst.examples.is_empty() && worst.examples.len() <= 3);
    assert!(worst.examples.iter().all(|q| q.review.contains(':')));
    assert!(product_pain_points(&ws, "nope").unwrap().is_none());
    let c0 = product_pain_points(&ws, "c0").unwrap().expect("reviewed");
    assert!(!c0.held_back);
}

#[test]
fn the_negative_reviewer_audience_picks_exactly_the_planted_customers() {
    let (dir, ws) = review_shop();
    // Customers u3 and u7 wrote one- and two-star reviews in the last 90 days, u9 one star
    // 200 days ago, u8 five stars, u11 three; the shop's other reviewers are not customers.
    let reviews = "customer_id,product_id,rating,review_text,reviewed_at\n\
        u3,s1,1,Leaked everywhere,2026-03-22T09:00:00Z\n\
        u7,c0,2,Smells odd,2026-03-12T09:00:00Z\n\
        u9,s2,1,Awful,2025-09-13T09:00:00Z\n\
        u8,s2,5,Great,2026-03-20T09:00:00Z\n\
        u11,s3,3,Fine,2026-03-20T09:00:00Z\n";
    import(
        &ws,
        Table::Reviews,
        &campaign_write(dir.path(), "more-reviews.csv", reviews),
    );
    let mut ids: Vec<String> = negative_reviewers(&ws, None, PLANNED_AT)
        .unwrap()
        .into_iter()
        .filter(|id| id.starts_with('u'))
        .collect();
    ids.sort();
    assert_eq!(ids, ["u3", "u7", "u9"]);

    let spec = campaign_write(
        dir.path(),
        "sorry.toml",
        r#"
id = "sorry"
goal_days = 30
channel = "email"
holdout_share = 0.0

[audience]
negative_reviewers = true
negative_review_days = 90

[[offers]]
name = "apology"
kind = "none"
"#,
    );
    let planned = plan_workspace_campaign(&ws, &spec, 0.4, PLANNED_AT).unwrap();
    assert_eq!(planned.summary.eligible, 2, "{:?}", planned.summary);
    let store = CampaignStore::open(&ws).unwrap();
    let mut picked: Vec<String> = store
        .ledger
        .assignments("sorry")
        .unwrap()
        .into_iter()
        .filter(|a| a.group != Group::Excluded)
        .map(|a| a.customer.to_string())
        .collect();
    picked.sort();
    assert_eq!(picked, ["u3", "u7"]);
}

#[test]
fn evaluate_reports_reviews_activity_and_retention_beside_the_lift() {
    let (dir, ws) = review_shop();
    let spec = campaign_write(dir.path(), "soap.toml", SPEC);
    plan_workspace_campaign(&ws, &spec, 0.4, PLANNED_AT).unwrap();
    let store = CampaignStore::open(&ws).unwrap();
    let assignments = store.ledger.assignments("soap").unwrap();
    drop(store);
    let treated: Vec<String> = assignments
        .iter()
        .filter(|a| a.group == Group::Treated)
        .map(|a| a.customer.to_string())
        .collect();
    let held: Vec<String> = assignments
        .iter()
        .filter(|a| a.group == Group::Holdout)
        .map(|a| a.customer.to_string())
        .collect();
    assert!(treated.len() >= 2 && held.len() >= 2, "{assignments:?}");
    // In the goal window every treated customer viewed twice, searched once and wrote a
    // five-star review; the held-out customers did nothing.
    let mut events = String::from("customer_id,event_type,occurred_at,product_id,search_text\n");
    let mut reviews = String::from("customer_id,product_id,rating,review_text,reviewed_at\n");
    for c in &treated {
        writeln!(events, "{c},view,2026-04-05T10:00:00Z,s1,").unwrap();
        writeln!(events, "{c},view,2026-04-06T10:00:00Z,s2,").unwrap();
        writeln!(events, "{c},search,2026-04-06T10:05:00Z,,soap").unwrap();
        writeln!(reviews, "{c},s1,5,Lovely,2026-04-10T10:00:00Z").unwrap();
    }
    import(
        &ws,
        Table::Events,
        &campaign_write(dir.path(), "events.csv", &events),
    );
    import(
        &ws,
        Table::Reviews,
        &campaign_write(dir.path(), "r2.csv", &reviews),
    );

    let r = recur_engine::evaluate_workspace_campaign(&ws, "soap", 0.4).unwrap();
    let metric = |m: &str| {
        r.beyond_repurchase
            .iter()
            .find(|o| o.metric == m)
            .unwrap_or_else(|| panic!("{m}: {:?}", r.beyond_repurchase))
    };
    let views = metric("views").effect.expect("measured");
    assert_eq!((views.treated_mean, views.control_mean), (2.0, 0.0));
    assert_eq!(metric("searches").effect.unwrap().effect, 1.0);
    assert_eq!(metric("carts").effect.unwrap().effect, 0.0);
    let positive = metric("positive_review").effect.unwrap();
    assert_eq!((positive.treated_mean, positive.control_mean), (1.0, 0.0));
    let retained = metric("retained_90d");
    assert!(retained.effect.is_none());
    assert!(
        retained
            .note
            .as_deref()
            .unwrap()
            .contains("not measurable yet")
    );

    // Later, only the held-out customers come back: retention measured, against the treated.
    let mut later = String::from("customer_id,event_type,occurred_at,product_id,search_text\n");
    for c in &held {
        writeln!(later, "{c},view,2026-07-15T10:00:00Z,s1,").unwrap();
    }
    import(
        &ws,
        Table::Events,
        &campaign_write(dir.path(), "later.csv", &later),
    );
    let r = recur_engine::evaluate_workspace_campaign(&ws, "soap", 0.4).unwrap();
    let retained = r
        .beyond_repurchase
        .iter()
        .find(|o| o.metric == "retained_90d")
        .unwrap();
    let e = retained.effect.expect("measurable now");
    assert_eq!((e.treated_mean, e.control_mean), (0.0, 1.0));
    assert!(e.ci_high <= 0.0 + 1e-12, "{e:?}");
}

#[test]
fn the_report_shows_review_pain_points_escaped() {
    let (dir, ws) = review_shop();
    let hostile = "customer_id,product_id,rating,review_text,reviewed_at\n\
        u1,s0,1,\"Broke after a week <script>alert(1)</script>\",2026-03-03T09:00:00Z\n";
    import(
        &ws,
        Table::Reviews,
        &campaign_write(dir.path(), "hostile.csv", hostile),
    );
    let report = ws.analyze().unwrap();
    let imports = ws.manifest().unwrap().imports;
    let sections = recur_engine::ReportSections {
        reviews: Some(recur_engine::ReviewSection::of_workspace(&ws)),
        ..Default::default()
    };
    let html = recur_engine::render_report("t", &report, &imports, &sections);
    assert!(html.contains("<section id=reviews><h2>Review pain points</h2>"));
    assert!(html.contains("<h3>Held back</h3>") && html.contains("s0 <b>(held back)</b>"));
    assert!(!html.contains("<script>alert"), "quotes are escaped");
    let Some(recur_engine::Section::Ready { data }) = &sections.reviews else {
        panic!("{:?}", sections.reviews);
    };
    assert_eq!(data.basis, "stars");
    assert_eq!(data.held_back.len(), 1);
    assert_eq!(data.products[0].product_id, "s0");

    // Without reviews the section says why it is empty.
    let (_d2, bare) = crate::tiny_workspace();
    assert!(matches!(
        recur_engine::ReviewSection::of_workspace(&bare),
        recur_engine::Section::NotRun { .. }
    ));
}
