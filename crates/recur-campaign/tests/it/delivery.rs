//! Delivery against local SMTP and HTTP servers started by the tests (`recur-test`'s fakes): exactly once per
//! recipient across a crash, retries, signatures, suppression, dry runs, erasure.

use std::collections::BTreeMap;
use std::time::Duration;

use recur_campaign::{
    Assignment, Deliver, DeliveryError, Draft, Group, Ledger, Outgoing, Plan, PlanSummary,
    PlannedCustomer, Segment, SendOptions, SendStatus, SendWindow, SmtpDelivery, SmtpSecurity,
    WebhookDelivery, send_pending, webhook_signature,
};
use recur_test::{http_server, smtp_server};

fn message(i: usize) -> Outgoing {
    Outgoing {
        campaign: "spring".into(),
        customer_id: format!("C{i:03}").into(),
        email: Some(format!("c{i}@example.com")),
        message: Draft {
            subject: "New picks for you".into(),
            preheader: "10% off".into(),
            body: format!("Hi {i},\nhere is 10% off."),
        },
        offer: "10% off".into(),
        coupon_code: Some(format!("BACK10-{i:05}")),
        offer_expires: Some("2026-12-31".into()),
    }
}

/// Delivers through `inner`, then "crashes" (panics) after `after` hand-overs: either before
/// handing the next message over, or after the channel accepted it but before the ledger
/// could record that.
struct Crashing<D> {
    inner: D,
    after: usize,
    done: usize,
    after_accept: bool,
}

impl<D: Deliver> Deliver for Crashing<D> {
    fn deliver(&mut self, m: &Outgoing, id: &str) -> Result<String, DeliveryError> {
        if self.done == self.after && !self.after_accept {
            panic!("simulated crash before hand-over");
        }
        let r = self.inner.deliver(m, id)?;
        self.done += 1;
        if self.done == self.after + 1 && self.after_accept {
            panic!("simulated crash after the server accepted the message");
        }
        Ok(r)
    }
}

/// A ledger with the campaign "spring" recorded: C000..C009 treated, H000..H002 held out.
fn ledger_with_plan(path: &std::path::Path) -> Ledger {
    let mut ledger = Ledger::open(path).unwrap();
    let customers = (0..10)
        .map(|i| PlannedCustomer {
            customer_id: format!("C{i:03}").into(),
            segment: Segment::AtRisk,
            assignment: Assignment::Treated {
                offer: 0,
                expected_profit: 1.0,
                expected_cost: 0.5,
            },
        })
        .chain((0..3).map(|i| PlannedCustomer {
            customer_id: format!("H{i:03}").into(),
            segment: Segment::AtRisk,
            assignment: Assignment::Holdout,
        }))
        .collect();
    let plan = Plan {
        campaign: "spring".into(),
        customers,
        summary: PlanSummary {
            candidates: 13,
            eligible: 13,
            holdout: 3,
            treated: 10,
            by_offer: vec![("10% off".into(), 10)],
            excluded: vec![],
            expected_profit: 10.0,
            expected_cost: 5.0,
        },
        guard_rails: Vec::new(),
    };
    assert!(ledger.record_plan("id = \"spring\"", &plan, 1).unwrap());
    assert!(
        !ledger.record_plan("id = \"spring\"", &plan, 2).unwrap(),
        "recorded once"
    );
    let groups = ledger.assignments("spring").unwrap();
    assert_eq!(
        groups.iter().filter(|g| g.group == Group::Holdout).count(),
        3
    );
    ledger
}

fn opts() -> SendOptions {
    SendOptions {
        backoff: Duration::from_millis(5),
        now: 1_700_000_000,
        ..SendOptions::default()
    }
}

#[test]
fn killed_and_resumed_sending_delivers_exactly_once_per_recipient() {
    for after_accept in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("ledger.sqlite");
        let (port, inbox) = smtp_server();
        let smtp = || {
            SmtpDelivery::new(
                "127.0.0.1",
                port,
                "Shop <news@shop.example>",
                Duration::from_secs(5),
                SmtpSecurity::Plain,
                None,
            )
            .unwrap()
        };
        {
            let mut ledger = ledger_with_plan(&db);
            let msgs: Vec<Outgoing> = (0..10).map(message).collect();
            assert_eq!(ledger.queue(&msgs).unwrap(), 10);
            assert_eq!(
                ledger.queue(&msgs).unwrap(),
                0,
                "queuing twice adds nothing"
            );
            let mut crashing = Crashing {
                inner: smtp(),
                after: 4,
                done: 0,
                after_accept,
            };
            let crashed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                send_pending(&ledger, "spring", &mut crashing, &opts(), &mut |_, _| {})
            }));
            assert!(crashed.is_err(), "the run should have crashed");
        }
        // A new process: only what was committed survives.
        let ledger = Ledger::open(&db).unwrap();
        let counts = ledger.counts("spring").unwrap();
        assert_eq!(
            (counts.sent, counts.sending),
            (4, 1),
            "after_accept={after_accept}"
        );
        let report = send_pending(&ledger, "spring", &mut smtp(), &opts(), &mut |_, _| {}).unwrap();
        assert_eq!(report.sent, 6);
        assert_eq!(report.resent_after_crash, 1);
        assert_eq!(ledger.counts("spring").unwrap().sent, 10);
        // Nothing left: a third run sends nothing.
        assert_eq!(
            send_pending(&ledger, "spring", &mut smtp(), &opts(), &mut |_, _| {})
                .unwrap()
                .sent,
            0
        );
        std::thread::sleep(Duration::from_millis(50));
        let got = inbox.lock().unwrap().clone();
        let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (rcpt, id) in &got {
            ids.entry(rcpt.clone()).or_default().push(id.clone());
        }
        assert_eq!(ids.len(), 10, "every recipient got the message");
        for (rcpt, list) in &ids {
            let mut distinct = list.clone();
            distinct.dedup();
            assert_eq!(distinct.len(), 1, "{rcpt}: one Message-ID, {list:?}");
        }
        // Crash before hand-over: no repeat at all. Crash after acceptance: the one message in
        // flight arrives twice with the same Message-ID, which receivers drop.
        assert_eq!(got.len(), if after_accept { 11 } else { 10 });
    }
}

#[test]
fn webhooks_are_signed_and_retried() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = ledger_with_plan(&dir.path().join("l.sqlite"));
    ledger.queue(&[message(1), message(2)]).unwrap();
    // First message: 503 then 200 (retried). Second: 400 (not retried, failed).
    let (base, seen) = http_server(vec![
        (503, String::new()),
        (200, String::new()),
        (400, String::new()),
    ]);
    let url = format!("{base}/hook");
    let mut hook = WebhookDelivery::new(&url, b"s3cret", Duration::from_secs(5));
    let r = send_pending(&ledger, "spring", &mut hook, &opts(), &mut |_, _| {}).unwrap();
    assert_eq!((r.sent, r.failed), (1, 1));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    for request in seen.iter() {
        let sig = request
            .header("x-recur-signature")
            .map(str::to_ascii_lowercase)
            .expect("signature header");
        assert_eq!(sig, webhook_signature(b"s3cret", &request.body));
        let v: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert!(v["message_id"].as_str().unwrap().starts_with('<'));
    }
    let c = ledger.counts("spring").unwrap();
    assert_eq!((c.sent, c.failed), (1, 1));
}

#[test]
fn suppression_dry_run_and_erasure() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = ledger_with_plan(&dir.path().join("l.sqlite"));
    let mut unplanned = message(1);
    unplanned.campaign = "autumn".into();
    let e = ledger.queue(&[unplanned]).unwrap_err().to_string();
    assert!(e.contains("no recorded plan"), "{e}");
    ledger
        .queue(&(0..3).map(message).collect::<Vec<_>>())
        .unwrap();
    struct Never;
    impl Deliver for Never {
        fn deliver(&mut self, _: &Outgoing, _: &str) -> Result<String, DeliveryError> {
            panic!("a dry run must not deliver")
        }
    }
    let dry = SendOptions {
        dry_run: true,
        ..opts()
    };
    assert_eq!(
        send_pending(&ledger, "spring", &mut Never, &dry, &mut |_, _| {})
            .unwrap()
            .would_send,
        3
    );
    assert_eq!(
        ledger.counts("spring").unwrap().queued,
        3,
        "dry run changes nothing"
    );
    ledger.suppress("C001", "unsubscribed", 1).unwrap();
    struct Ok1(usize);
    impl Deliver for Ok1 {
        fn deliver(&mut self, _: &Outgoing, _: &str) -> Result<String, DeliveryError> {
            self.0 += 1;
            Ok("250".into())
        }
    }
    let mut ok = Ok1(0);
    let mut seen = Vec::new();
    let r = send_pending(&ledger, "spring", &mut ok, &opts(), &mut |done, total| {
        seen.push((done, total))
    })
    .unwrap();
    assert_eq!(
        seen,
        [(0, 3), (1, 3), (2, 3), (3, 3)],
        "progress per message"
    );
    assert_eq!((r.sent, r.suppressed, ok.0), (2, 1, 2));
    assert_eq!(ledger.last_sent("C000").unwrap(), Some(1_700_000_000));
    assert_eq!(ledger.last_sent("C001").unwrap(), None);
    // Erasure: the payload (address, text) is gone, the customer stays suppressed, and
    // neither the id nor the address is left anywhere in the ledger's files.
    assert!(ledger.erase_customer("C002", 2).unwrap() >= 2);
    assert!(ledger.is_suppressed("C002").unwrap());
    assert!(!ledger.is_suppressed("C000").unwrap());
    let c = ledger.counts("spring").unwrap();
    assert_eq!((c.sent, c.suppressed), (2, 1));
    let bytes = |name: &str| std::fs::read(dir.path().join(name)).unwrap_or_default();
    let files = [bytes("l.sqlite"), bytes("l.sqlite-wal")].concat();
    let has = |needle: &str| files.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(has("C001") && has("c1@example.com"), "the others stay");
    assert!(
        !has("C002") && !has("c2@example.com"),
        "the erased customer is gone"
    );
    assert_eq!(
        ledger.erase_customer("C002", 3).unwrap(),
        0,
        "a second run changes nothing"
    );
    // Reopening applies no migration twice.
    drop(ledger);
    let again = Ledger::open(&dir.path().join("l.sqlite")).unwrap();
    assert_eq!(again.counts("spring").unwrap().sent, 2);
    let _ = SendStatus::Queued;
}

#[test]
fn smtp_logs_in_and_refuses_to_send_in_clear_when_tls_is_required() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = ledger_with_plan(&dir.path().join("ledger.sqlite"));
    ledger
        .queue(&(0..2).map(message).collect::<Vec<_>>())
        .unwrap();
    let (port, inbox) = smtp_server();
    // The test server offers no STARTTLS: a channel that requires it must not fall back.
    let mut tls = SmtpDelivery::new(
        "127.0.0.1",
        port,
        "Shop <news@shop.example>",
        Duration::from_secs(5),
        SmtpSecurity::StartTls,
        Some(("shop".into(), "secret".into())),
    )
    .unwrap();
    let r = send_pending(&ledger, "spring", &mut tls, &opts(), &mut |_, _| {}).unwrap();
    assert_eq!((r.sent, r.failed), (0, 2));
    assert!(
        inbox.lock().unwrap().is_empty(),
        "nothing went out in clear text"
    );
    // Plain SMTP with credentials logs in (AUTH PLAIN of "\0shop\0secret").
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = ledger_with_plan(&dir.path().join("ledger.sqlite"));
    ledger
        .queue(&(0..2).map(message).collect::<Vec<_>>())
        .unwrap();
    let mut plain = SmtpDelivery::new(
        "127.0.0.1",
        port,
        "Shop <news@shop.example>",
        Duration::from_secs(5),
        SmtpSecurity::Plain,
        Some(("shop".into(), "secret".into())),
    )
    .unwrap();
    let r = send_pending(&ledger, "spring", &mut plain, &opts(), &mut |_, _| {}).unwrap();
    assert_eq!(r.sent, 2);
    std::thread::sleep(Duration::from_millis(50));
    let got = inbox.lock().unwrap().clone();
    assert!(
        got.iter()
            .any(|(k, line)| k == "AUTH" && line == "AUTH PLAIN AHNob3AAc2VjcmV0"),
        "{got:?}"
    );
    assert_eq!(got.iter().filter(|(k, _)| k != "AUTH").count(), 2);
}

#[test]
fn a_closed_send_window_defers_everything_and_says_when_it_opens() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = ledger_with_plan(&dir.path().join("ledger.sqlite"));
    ledger
        .queue(&(0..3).map(message).collect::<Vec<_>>())
        .unwrap();
    struct Never;
    impl Deliver for Never {
        fn deliver(&mut self, _: &Outgoing, _: &str) -> Result<String, DeliveryError> {
            panic!("nothing may go out outside the window")
        }
    }
    // 1_700_000_000 is 2023-11-14 22:13 UTC: outside 09-18 UTC.
    let closed = SendOptions {
        window: Some(SendWindow {
            start_hour: 9,
            end_hour: 18,
            timezone: None,
        }),
        ..opts()
    };
    let r = send_pending(&ledger, "spring", &mut Never, &closed, &mut |_, _| {}).unwrap();
    assert_eq!((r.sent, r.deferred), (0, 3));
    assert_eq!(r.window_opens.as_deref(), Some("2023-11-15T09:00:00Z"));
    assert_eq!(ledger.counts("spring").unwrap().queued, 3);
    // In Tokyo (UTC+9) it is 07:13 on the 15th: still closed, opens at 09:00 JST = 00:00 UTC.
    let tokyo = SendOptions {
        window: Some(SendWindow {
            start_hour: 9,
            end_hour: 18,
            timezone: Some("Asia/Tokyo".into()),
        }),
        ..opts()
    };
    let r = send_pending(&ledger, "spring", &mut Never, &tokyo, &mut |_, _| {}).unwrap();
    assert_eq!(r.window_opens.as_deref(), Some("2023-11-15T00:00:00Z"));
}

#[test]
fn an_approval_covers_the_messages_as_approved_until_they_are_written_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = ledger_with_plan(&dir.path().join("l.sqlite"));
    assert!(ledger.approval("spring").unwrap().is_none());
    let msgs: Vec<Outgoing> = (0..3).map(message).collect();
    ledger.queue(&msgs).unwrap();
    let approved = ledger
        .approve("spring", "key-label", 1_700_000_000)
        .unwrap();
    assert_eq!(approved.approved.messages, 3);
    assert_eq!(approved.approved.fingerprint.len(), 64);
    assert_eq!(ledger.approval("spring").unwrap(), Some(approved.clone()));
    assert!(
        ledger.approve("autumn", "x", 1).is_err(),
        "no such campaign"
    );

    // Sending changes states, not messages: the approval still matches.
    ledger
        .set_status("spring", "C000", SendStatus::Sent, None, 1_700_000_001)
        .unwrap();
    assert_eq!(
        ledger.messages_fingerprint("spring").unwrap(),
        approved.approved
    );
    // The same text written again changes nothing; other text replaces what is still queued.
    assert_eq!(ledger.replace_queued(&msgs).unwrap(), 0);
    let mut rewritten = msgs.clone();
    for m in &mut rewritten {
        m.message.subject = "Other picks for you".into();
    }
    assert_eq!(
        ledger.replace_queued(&rewritten).unwrap(),
        2,
        "C000 was sent"
    );
    let now = ledger.messages_fingerprint("spring").unwrap();
    assert_eq!(now.messages, 3);
    assert_ne!(now.fingerprint, approved.approved.fingerprint);
    let pending = ledger.pending("spring").unwrap();
    assert!(
        pending
            .iter()
            .all(|p| p.message.message.subject == "Other picks for you")
    );
}
