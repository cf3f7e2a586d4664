//! A campaign on the tiny shop through the engine: plan, generate (template), send to a local
//! fake SMTP server exactly once, evaluate; and the typed errors for what is missing.

use std::path::Path;

use recur_engine::prelude::*;
use recur_engine::{
    CampaignStore, ChannelConfig, LEDGER_FILE, SendRun, SmtpSecurity, evaluate_workspace_campaign,
    generate_workspace_campaign, import_workspace_redemptions, plan_workspace_campaign,
    send_campaign,
};

use crate::{import, tiny_workspace};

/// 2024-03-01 00:00 UTC: the campaign is planned then, so its 30-day goal window holds some of
/// the tiny shop's orders.
const PLANNED_AT: i64 = 1_709_251_200;

const SPEC: &str = r#"
id = "spring"
goal_days = 30
channel = "email"
holdout_share = 0.2

[[offers]]
name = "message only"
kind = "none"

[[offers]]
name = "10% off"
kind = "percent_off"
percent = 10
code_prefix = "SPRING10"
"#;

/// The tiny shop's customers with addresses and consent (E has none).
const CUSTOMERS: &str = "customer_id,email,name,locale,email_consent\n\
    A,ann@example.com,Ann Lee,en,true\n\
    B,bo@example.com,Bo Chen,zh-CN,true\n\
    C,cy@example.com,Cy Park,en,true\n\
    D,di@example.com,Di Ross,en,true\n\
    E,ed@example.com,Ed Wu,en,false\n";

fn smtp(port: u16) -> ChannelConfig {
    ChannelConfig::Smtp {
        host: "127.0.0.1".into(),
        port,
        from: "Shop <news@shop.example>".into(),
        security: SmtpSecurity::Plain,
        credentials: None,
    }
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn plan_generate_send_once_and_evaluate() {
    let (dir, ws) = tiny_workspace();
    import(
        &ws,
        Table::Customers,
        &write(dir.path(), "customers.csv", CUSTOMERS),
    );
    let spec = write(dir.path(), "spring.toml", SPEC);

    let planned = plan_workspace_campaign(&ws, &spec, 0.4, PLANNED_AT).unwrap();
    assert_eq!(planned.campaign, "spring");
    assert!(planned.newly_recorded);
    assert!(
        planned.targeting.contains("exploration"),
        "{}",
        planned.targeting
    );
    let s = &planned.summary;
    assert!(s.treated > 0, "{s:?}");
    assert_eq!(s.treated + s.holdout, s.eligible, "{s:?}");
    assert!(
        s.excluded.iter().any(|(_, n)| *n > 0),
        "E has no consent: {s:?}"
    );
    assert_eq!(
        planned.ledger,
        dir.path().join("campaign").join(LEDGER_FILE)
    );
    // Fairness by segment and by language: exploration offers every decided customer.
    let attributes: Vec<&str> = planned
        .fairness
        .iter()
        .map(|t| t.attribute.as_str())
        .collect();
    assert_eq!(attributes, ["segment", "language", "country"]);
    for t in &planned.fairness {
        let decided: usize = t.groups.iter().map(|g| g.size).sum();
        assert_eq!(decided, s.treated, "{t:?}");
        assert!(
            t.groups
                .iter()
                .all(|g| g.offered == g.size && g.small && !g.flagged),
            "{t:?}"
        );
    }
    // Planning the same id again keeps the recorded groups.
    let again = plan_workspace_campaign(&ws, &spec, 0.4, PLANNED_AT + 86_400).unwrap();
    assert!(!again.newly_recorded);

    // The recorded campaign, as the store reads it back.
    let store = CampaignStore::open(&ws).unwrap();
    let recorded = store.recorded("spring").unwrap();
    assert_eq!(recorded.planned_day, PLANNED_AT / 86_400);
    assert_eq!(recorded.spec.offers.len(), 2);

    // Messages from the template (no language model), queued once.
    let generated =
        generate_workspace_campaign(&ws, "spring", "Tiny Shop", "EUR", None, 0, &mut |_, _| {})
            .unwrap();
    assert_eq!(generated.queued, s.treated);
    assert_eq!(
        generated.message_paths.keys().collect::<Vec<_>>(),
        [&recur_campaign::MessageTally::Written(
            recur_campaign::MessagePath::TemplateOnly
        )],
        "{:?}",
        generated.message_paths
    );
    assert!(generated.files.iter().all(|f| f.exists()));
    let regenerated =
        generate_workspace_campaign(&ws, "spring", "Tiny Shop", "EUR", None, 0, &mut |_, _| {})
            .unwrap();
    assert_eq!(regenerated.queued, 0, "nothing new to queue");

    // Sent exactly once: a second run has nothing left.
    let (port, inbox) = recur_test::smtp_server();
    let campaign_dir = dir.path().join("campaign");
    let first = send_campaign(
        &campaign_dir,
        "spring",
        &smtp(port),
        &SendRun {
            ignore_window: true,
            ..SendRun::default()
        },
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(first.run.sent, generated.queued, "{first:?}");
    assert_eq!(first.totals.sent, generated.queued);
    let second = send_campaign(
        &campaign_dir,
        "spring",
        &smtp(port),
        &SendRun {
            ignore_window: true,
            ..SendRun::default()
        },
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(second.run.sent, 0, "{second:?}");
    let got = inbox.lock().unwrap().clone();
    let mut recipients: Vec<&str> = got.iter().map(|(r, _)| r.as_str()).collect();
    recipients.sort_unstable();
    recipients.dedup();
    assert_eq!(got.len(), generated.queued, "{got:?}");
    assert_eq!(
        recipients.len(),
        generated.queued,
        "one message each: {got:?}"
    );
    assert!(
        !recipients.contains(&"ed@example.com"),
        "no consent, no message"
    );

    // Lift against the recorded holdout in the goal window.
    let lift = evaluate_workspace_campaign(&ws, "spring", 0.4).unwrap();
    assert_eq!(lift.window_start, "2024-03-01");
    let attributes: Vec<&str> = lift.by_group.iter().map(|t| t.attribute.as_str()).collect();
    assert_eq!(attributes, ["language", "country"], "lift per group");
    assert_eq!(lift.window_end, "2024-03-31");
    assert!(
        lift.offer_cost_basis.starts_with("estimated"),
        "{}",
        lift.offer_cost_basis
    );
}

#[test]
fn missing_ledger_campaign_or_spec_are_typed_user_errors() {
    let (dir, ws) = tiny_workspace();
    let ledger = dir.path().join("campaign").join(LEDGER_FILE);
    let no_ledger = |e: Error| {
        assert!(
            matches!(&e, Error::NoLedger { path } if *path == ledger),
            "{e}"
        );
        assert!(e.is_user_error());
        assert!(
            e.to_string().contains("recur campaign plan --spec FILE"),
            "{e}"
        );
    };
    no_ledger(evaluate_workspace_campaign(&ws, "spring", 0.4).unwrap_err());
    no_ledger(
        generate_workspace_campaign(&ws, "spring", "S", "EUR", None, 0, &mut |_, _| {})
            .unwrap_err(),
    );
    no_ledger(import_workspace_redemptions(&ws, &dir.path().join("r.csv")).unwrap_err());
    no_ledger(
        send_campaign(
            &dir.path().join("campaign"),
            "spring",
            &smtp(1),
            &SendRun {
                dry_run: true,
                ..SendRun::default()
            },
            &mut |_, _| {},
        )
        .unwrap_err(),
    );

    // A spec file that is not there is the user's to fix, with the OS error said once.
    let missing = dir.path().join("missing.toml");
    let e = plan_workspace_campaign(&ws, &missing, 0.4, PLANNED_AT).unwrap_err();
    assert!(
        matches!(&e, Error::ReadInput { path, .. } if *path == missing),
        "{e}"
    );
    assert!(e.is_user_error());
    assert!(
        std::error::Error::source(&e).is_none(),
        "the OS error is in the message: {e}"
    );

    // Once something is planned, an unknown id is a missing campaign.
    let spec = write(dir.path(), "spring.toml", SPEC);
    plan_workspace_campaign(&ws, &spec, 0.4, PLANNED_AT).unwrap();
    let unknown = |e: Error| {
        assert!(
            matches!(&e, Error::NoSuchCampaign { campaign, ledger: l } if campaign == "autumn" && *l == ledger),
            "{e}"
        );
        assert!(e.is_user_error());
        assert!(e.to_string().contains("plan it first"), "{e}");
    };
    unknown(evaluate_workspace_campaign(&ws, "autumn", 0.4).unwrap_err());
    unknown(
        generate_workspace_campaign(&ws, "autumn", "S", "EUR", None, 0, &mut |_, _| {})
            .unwrap_err(),
    );
    unknown(
        send_campaign(
            &dir.path().join("campaign"),
            "autumn",
            &smtp(1),
            &SendRun {
                dry_run: true,
                ..SendRun::default()
            },
            &mut |_, _| {},
        )
        .unwrap_err(),
    );
}

#[test]
fn a_shops_own_attribute_is_reported_beside_the_built_in_ones() {
    let (dir, ws) = tiny_workspace();
    import(
        &ws,
        Table::Customers,
        &write(dir.path(), "customers.csv", CUSTOMERS),
    );
    write(
        dir.path(),
        "tiers.csv",
        "customer_id,tier\nA,gold\nB,basic\nC,gold\n",
    );
    let spec = write(
        dir.path(),
        "spring.toml",
        &format!("{SPEC}\n[fairness]\ngroups_file = \"tiers.csv\"\n"),
    );
    let planned = plan_workspace_campaign(&ws, &spec, 0.4, PLANNED_AT).unwrap();
    let attributes: Vec<&str> = planned
        .fairness
        .iter()
        .map(|t| t.attribute.as_str())
        .collect();
    assert_eq!(attributes, ["segment", "language", "country", "tier"]);
    let tier = &planned.fairness[3];
    let groups: Vec<&str> = tier.groups.iter().map(|g| g.group.as_str()).collect();
    assert!(groups.contains(&"gold"), "{tier:?}");

    // A guard rail on an attribute the file lacks is refused with what to do.
    let bad = write(
        dir.path(),
        "bad.toml",
        &format!(
            "{}\n[fairness]\ngroups_file = \"tiers.csv\"\nattributes = [\"age_band\"]\n",
            SPEC.replace("spring", "autumn")
        ),
    );
    let e = plan_workspace_campaign(&ws, &bad, 0.4, PLANNED_AT).unwrap_err();
    assert!(e.is_user_error(), "{e}");
    assert!(
        e.to_string().contains("age_band") && e.to_string().contains("tiers.csv"),
        "{e}"
    );
    let missing = write(
        dir.path(),
        "missing.toml",
        &format!(
            "{}\n[fairness]\ngroups_file = \"nope.csv\"\n",
            SPEC.replace("spring", "winter")
        ),
    );
    let e = plan_workspace_campaign(&ws, &missing, 0.4, PLANNED_AT).unwrap_err();
    assert!(
        e.is_user_error() && e.to_string().contains("nope.csv"),
        "{e}"
    );
}

#[test]
fn an_audience_given_as_sql_limits_the_plan_to_its_customers() {
    let (dir, ws) = tiny_workspace();
    import(
        &ws,
        Table::Customers,
        &write(dir.path(), "customers.csv", CUSTOMERS),
    );
    let spec = write(
        dir.path(),
        "sql.toml",
        &SPEC.replace(
            "holdout_share = 0.2",
            "holdout_share = 0.2\n[audience]\nsql = \"SELECT customer_id FROM rfm WHERE customer_id IN ('A', 'B')\"",
        ),
    );
    let planned = plan_workspace_campaign(&ws, &spec, 0.4, PLANNED_AT).unwrap();
    let s = &planned.summary;
    assert_eq!(s.eligible, 2, "{s:?}");
    assert_eq!(s.treated + s.holdout, 2, "{s:?}");

    let bad = write(
        dir.path(),
        "bad.toml",
        &SPEC.replace("spring", "autumn").replace(
            "holdout_share = 0.2",
            "holdout_share = 0.2\n[audience]\nsql = \"SELECT customer_id FROM nowhere\"",
        ),
    );
    let e = plan_workspace_campaign(&ws, &bad, 0.4, PLANNED_AT).unwrap_err();
    assert!(
        e.is_user_error() && e.to_string().contains("nowhere"),
        "{e}"
    );
}
