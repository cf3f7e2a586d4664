//! Sending under concurrency and outages: one sender per campaign, retryable errors pause
//! the run instead of failing messages, and failed messages can be re-queued.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use recur_campaign::{
    Assignment, Deliver, DeliveryError, Draft, Error, Ledger, Outgoing, Plan, PlanSummary,
    PlannedCustomer, Segment, SendOptions, send_pending,
};

const N: usize = 12;

fn message(i: usize) -> Outgoing {
    Outgoing {
        campaign: "autumn".into(),
        customer_id: format!("C{i:03}").into(),
        email: Some(format!("c{i}@example.com")),
        message: Draft {
            subject: "Back in stock".into(),
            preheader: String::new(),
            body: "Hello again.".into(),
        },
        offer: "message only".into(),
        coupon_code: None,
        offer_expires: None,
    }
}

/// A ledger with campaign "autumn" planned for C000..C011 and their messages queued.
fn queued_ledger(path: &std::path::Path) -> Ledger {
    let mut ledger = Ledger::open(path).unwrap();
    let customers: Vec<PlannedCustomer> = (0..N)
        .map(|i| PlannedCustomer {
            customer_id: format!("C{i:03}").into(),
            segment: Segment::AtRisk,
            assignment: Assignment::Treated {
                offer: 0,
                expected_profit: 0.0,
                expected_cost: 0.0,
            },
        })
        .collect();
    let plan = Plan {
        campaign: "autumn".into(),
        customers,
        summary: PlanSummary {
            candidates: N,
            eligible: N,
            holdout: 0,
            treated: N,
            by_offer: vec![("message only".into(), N)],
            excluded: vec![],
            expected_profit: 0.0,
            expected_cost: 0.0,
        },
        guard_rails: Vec::new(),
    };
    ledger.record_plan("id = \"autumn\"", &plan, 1).unwrap();
    ledger
        .queue(&(0..N).map(message).collect::<Vec<_>>())
        .unwrap();
    ledger
}

/// Counts deliveries per Message-ID; fails the first `fail_first` calls (retryable or not),
/// and takes `delay` per call.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<HashMap<String, usize>>>,
    calls: Arc<Mutex<usize>>,
    fail_first: usize,
    retryable: bool,
    delay: Duration,
}

impl Deliver for Receiver {
    fn deliver(&mut self, _: &Outgoing, id: &str) -> Result<String, DeliveryError> {
        std::thread::sleep(self.delay);
        let mut calls = self.calls.lock().unwrap();
        *calls += 1;
        if *calls <= self.fail_first {
            return Err(DeliveryError {
                retryable: self.retryable,
                message: if self.retryable {
                    "HTTP 503"
                } else {
                    "HTTP 400"
                }
                .into(),
            });
        }
        *self.got.lock().unwrap().entry(id.to_owned()).or_default() += 1;
        Ok("ok".into())
    }
}

fn fast() -> SendOptions {
    SendOptions {
        backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(4),
        max_attempts: 5,
        now: 1_700_000_000,
        ..SendOptions::default()
    }
}

#[test]
fn two_sends_at_once_deliver_each_message_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    drop(queued_ledger(&path));
    let receiver = Receiver {
        delay: Duration::from_millis(15),
        ..Receiver::default()
    };
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let (path, mut r) = (path.clone(), receiver.clone());
            std::thread::spawn(move || {
                let ledger = Ledger::open(&path).unwrap();
                send_pending(&ledger, "autumn", &mut r, &fast(), &mut |_, _| {})
            })
        })
        .collect();
    let results: Vec<_> = runs.into_iter().map(|h| h.join().unwrap()).collect();
    let busy = results
        .iter()
        .filter(|r| matches!(r, Err(Error::Busy { .. })))
        .count();
    let sent: usize = results.iter().flatten().map(|r| r.sent).sum();
    assert_eq!(sent, N, "{results:?}");
    let got = receiver.got.lock().unwrap();
    assert_eq!(got.len(), N);
    assert!(got.values().all(|&n| n == 1), "{got:?}");
    // Either the second run found the lock taken, or it started after the first finished
    // and found nothing left to send.
    assert!(
        busy == 1 || results.iter().flatten().any(|r| r.sent == 0),
        "{results:?}"
    );
    if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
        assert!(e.is_user_error());
        assert!(e.to_string().contains("right now"), "{e}");
    }
}

#[test]
fn a_held_lock_refuses_a_second_sender_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = queued_ledger(&dir.path().join("ledger.sqlite"));
    let held = ledger.lock_sends("autumn").unwrap();
    let other = Ledger::open(&dir.path().join("ledger.sqlite")).unwrap();
    let mut r = Receiver::default();
    let e = send_pending(&other, "autumn", &mut r, &fast(), &mut |_, _| {}).unwrap_err();
    assert!(matches!(e, Error::Busy { .. }), "{e}");
    assert_eq!(*r.calls.lock().unwrap(), 0);
    drop(held);
    let done = send_pending(&other, "autumn", &mut r, &fast(), &mut |_, _| {}).unwrap();
    assert_eq!(done.sent, N);
}

#[test]
fn an_endpoint_that_keeps_failing_pauses_the_run_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = queued_ledger(&dir.path().join("ledger.sqlite"));
    // Down for the first 50 requests (503): the first message uses up its attempts, the run
    // pauses with everything still queued, nothing failed.
    let mut down = Receiver {
        fail_first: 50,
        retryable: true,
        ..Receiver::default()
    };
    let r = send_pending(&ledger, "autumn", &mut down, &fast(), &mut |_, _| {}).unwrap();
    assert_eq!((r.sent, r.failed, r.left_queued), (0, 0, N), "{r:?}");
    let why = r.paused.expect("the run pauses");
    assert!(
        why.contains("HTTP 503") && why.contains("left queued"),
        "{why}"
    );
    assert_eq!(ledger.counts("autumn").unwrap().queued, N);
    // Reruns until the endpoint is back deliver every message exactly once.
    let mut runs = 1;
    loop {
        let r = send_pending(&ledger, "autumn", &mut down, &fast(), &mut |_, _| {}).unwrap();
        runs += 1;
        assert_eq!(r.failed, 0);
        if r.paused.is_none() {
            break;
        }
        assert!(runs < 20, "never recovered");
    }
    let c = ledger.counts("autumn").unwrap();
    assert_eq!((c.sent, c.queued, c.failed), (N, 0, 0));
    assert!(down.got.lock().unwrap().values().all(|&n| n == 1));
}

#[test]
fn failed_messages_are_requeued_with_the_same_message_ids() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = queued_ledger(&dir.path().join("ledger.sqlite"));
    let mut rejecting = Receiver {
        fail_first: 3,
        retryable: false,
        ..Receiver::default()
    };
    let ids_before: Vec<String> = ledger
        .pending("autumn")
        .unwrap()
        .into_iter()
        .map(|p| p.message_id)
        .collect();
    let r = send_pending(&ledger, "autumn", &mut rejecting, &fast(), &mut |_, _| {}).unwrap();
    assert_eq!((r.sent, r.failed), (N - 3, 3));
    // A rerun alone does not touch failed messages.
    let r = send_pending(&ledger, "autumn", &mut rejecting, &fast(), &mut |_, _| {}).unwrap();
    assert_eq!((r.sent, r.failed, r.requeued), (0, 0, 0));
    let opts = SendOptions {
        retry_failed: true,
        ..fast()
    };
    let r = send_pending(&ledger, "autumn", &mut rejecting, &opts, &mut |_, _| {}).unwrap();
    assert_eq!((r.requeued, r.sent, r.failed), (3, 3, 0));
    let got = rejecting.got.lock().unwrap();
    let mut delivered: Vec<&String> = got.keys().collect();
    delivered.sort();
    let mut expected: Vec<&String> = ids_before.iter().collect();
    expected.sort();
    assert_eq!(delivered, expected, "same Message-IDs after re-queueing");
}

/// A [`Receiver`] that can work in parallel: forks share its counters.
#[derive(Clone, Default)]
struct Parallel {
    inner: Receiver,
    in_flight: Arc<Mutex<(usize, usize)>>,
}

impl Deliver for Parallel {
    fn deliver(&mut self, m: &Outgoing, id: &str) -> Result<String, DeliveryError> {
        {
            let mut f = self.in_flight.lock().unwrap();
            f.0 += 1;
            f.1 = f.1.max(f.0);
        }
        let r = self.inner.deliver(m, id);
        self.in_flight.lock().unwrap().0 -= 1;
        r
    }

    fn fork(&self) -> Option<Box<dyn Deliver + Send>> {
        Some(Box::new(self.clone()))
    }
}

#[test]
fn parallel_connections_deliver_each_message_once_and_pause_together() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = queued_ledger(&dir.path().join("ledger.sqlite"));
    let mut r = Parallel {
        inner: Receiver {
            delay: Duration::from_millis(20),
            ..Receiver::default()
        },
        ..Parallel::default()
    };
    let opts = SendOptions {
        connections: 4,
        ..fast()
    };
    let mut seen = Vec::new();
    let report = send_pending(&ledger, "autumn", &mut r, &opts, &mut |done, total| {
        seen.push((done, total))
    })
    .unwrap();
    assert_eq!((report.sent, report.failed, report.paused), (N, 0, None));
    let got = r.inner.got.lock().unwrap().clone();
    assert_eq!(got.len(), N);
    assert!(got.values().all(|n| *n == 1), "{got:?}");
    let most = r.in_flight.lock().unwrap().1;
    assert!((2..=4).contains(&most), "{most} deliveries at once");
    assert_eq!(seen.first(), Some(&(0, N)));
    assert_eq!(seen.last(), Some(&(N, N)));
    let counts = ledger.counts("autumn").unwrap();
    assert_eq!((counts.sent, counts.sending, counts.queued), (N, 0, 0));

    // An endpoint that is down: every worker gives up on its message, the run pauses once,
    // and nothing is failed or lost.
    let dir = tempfile::tempdir().unwrap();
    let ledger = queued_ledger(&dir.path().join("ledger.sqlite"));
    let mut down = Parallel {
        inner: Receiver {
            fail_first: usize::MAX,
            retryable: true,
            ..Receiver::default()
        },
        ..Parallel::default()
    };
    let report = send_pending(&ledger, "autumn", &mut down, &opts, &mut |_, _| {}).unwrap();
    assert_eq!((report.sent, report.failed), (0, 0));
    assert_eq!(report.left_queued, N);
    assert!(report.paused.is_some());
    let counts = ledger.counts("autumn").unwrap();
    assert_eq!((counts.queued, counts.sending, counts.failed), (N, 0, 0));
}
