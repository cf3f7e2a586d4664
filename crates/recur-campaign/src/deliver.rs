//! Delivery channels (SMTP, signed webhooks) and the resumable send loop over the ledger.

use std::time::Duration;

use hmac::{Hmac, Mac};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{SmtpTransport, Transport};
use serde::Serialize;
use sha2::Sha256;

use crate::error::Result;
use crate::export::Outgoing;
use crate::ledger::{Ledger, Pending, SendStatus};

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryError {
    /// Whether trying again may help (network errors, 4xx SMTP / 5xx HTTP answers).
    pub retryable: bool,
    /// What happened.
    pub message: String,
}

/// A channel that delivers one message. `message_id` is stable per (campaign, customer): a
/// message re-sent after a crash carries the same id, so the receiver can drop the repeat.
pub trait Deliver {
    /// Delivers the message; returns the channel's receipt.
    fn deliver(
        &mut self,
        m: &Outgoing,
        message_id: &str,
    ) -> std::result::Result<String, DeliveryError>;

    /// Another handle on the same channel for a parallel worker (sharing its connection
    /// pool), or `None` when the channel delivers one message at a time.
    fn fork(&self) -> Option<Box<dyn Deliver + Send>> {
        None
    }
}

/// Most connections (parallel deliveries) one send run opens.
pub const MAX_CONNECTIONS: usize = 64;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// No TLS: only for a relay on the same machine or network (Postfix, a test server).
    #[default]
    Plain,
    /// STARTTLS required (usually port 587); the certificate is checked against the web PKI.
    StartTls,
    /// Implicit TLS from the first byte (usually port 465).
    Tls,
}

/// SMTP to a relay or provider, reusing pooled connections (up to [`MAX_CONNECTIONS`] at once).
#[derive(Clone)]
pub struct SmtpDelivery {
    transport: SmtpTransport,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpDelivery")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl SmtpDelivery {
    /// A server at `host:port`, sending as `from` (for example `Shop <news@shop.example>`),
    /// secured by `security`, logging in with `credentials` (user, password) when given.
    pub fn new(
        host: &str,
        port: u16,
        from: &str,
        timeout: Duration,
        security: SmtpSecurity,
        credentials: Option<(String, String)>,
    ) -> std::result::Result<Self, DeliveryError> {
        let from: Mailbox = from.parse().map_err(|e| DeliveryError {
            retryable: false,
            message: format!("sender `{from}` is not a valid address: {e}"),
        })?;
        let tls_error = |e: lettre::transport::smtp::Error| DeliveryError {
            retryable: false,
            message: format!("cannot set up TLS for `{host}`: {e}"),
        };
        let builder = match security {
            SmtpSecurity::Plain => SmtpTransport::builder_dangerous(host),
            SmtpSecurity::StartTls => SmtpTransport::starttls_relay(host).map_err(tls_error)?,
            SmtpSecurity::Tls => SmtpTransport::relay(host).map_err(tls_error)?,
        };
        let pool = lettre::transport::smtp::PoolConfig::new().max_size(MAX_CONNECTIONS as u32);
        let mut builder = builder.port(port).timeout(Some(timeout)).pool_config(pool);
        if let Some((user, password)) = credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(SmtpDelivery {
            transport: builder.build(),
            from,
        })
    }
}

impl Deliver for SmtpDelivery {
    fn deliver(
        &mut self,
        m: &Outgoing,
        message_id: &str,
    ) -> std::result::Result<String, DeliveryError> {
        let Some(to) = &m.email else {
            return Err(DeliveryError {
                retryable: false,
                message: "the customer has no e-mail address".into(),
            });
        };
        let to: Mailbox = to.parse().map_err(|_| DeliveryError {
            retryable: false,
            // The address itself stays out of the message (it would end up in logs).
            message: "the customer's e-mail address is not valid".into(),
        })?;
        let email = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.message.subject.clone())
            .message_id(Some(message_id.to_owned()))
            .header(ContentType::TEXT_PLAIN)
            .body(m.message.body.clone())
            .map_err(|e| DeliveryError {
                retryable: false,
                message: format!("could not build the e-mail: {e}"),
            })?;
        self.transport
            .send(&email)
            .map(|r| r.code().to_string())
            .map_err(|e| DeliveryError {
                // Worth retrying: 4xx answers, time-outs and connection failures. Not: 5xx
                // answers, and client or TLS errors (a server without the required STARTTLS,
                // a bad certificate) that no retry changes.
                retryable: e.is_transient()
                    || e.is_timeout()
                    || !(e.is_permanent() || e.is_client() || e.is_tls()),
                message: e.to_string(),
            })
    }

    fn fork(&self) -> Option<Box<dyn Deliver + Send>> {
        Some(Box::new(self.clone()))
    }
}

/// A webhook: POSTs the message as JSON, signed with HMAC-SHA256 of the body in
/// `X-Recur-Signature: sha256=<hex>`, with the message id in `X-Recur-Message-Id`.
#[derive(Debug, Clone)]
pub struct WebhookDelivery {
    url: String,
    secret: Vec<u8>,
    agent: ureq::Agent,
}

/// The JSON a webhook receives.
#[derive(Debug, Serialize)]
struct WebhookBody<'a> {
    message_id: &'a str,
    #[serde(flatten)]
    message: &'a Outgoing,
}

/// `sha256=<hex of HMAC-SHA256(secret, body)>`.
pub fn webhook_signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

impl WebhookDelivery {
    /// A webhook at `url` (http://...), signing with `secret`.
    pub fn new(url: &str, secret: &[u8], timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .new_agent();
        WebhookDelivery {
            url: url.to_owned(),
            secret: secret.to_vec(),
            agent,
        }
    }
}

impl Deliver for WebhookDelivery {
    fn deliver(
        &mut self,
        m: &Outgoing,
        message_id: &str,
    ) -> std::result::Result<String, DeliveryError> {
        let body = serde_json::to_vec(&WebhookBody {
            message_id,
            message: m,
        })
        .map_err(|e| DeliveryError {
            retryable: false,
            message: e.to_string(),
        })?;
        let resp = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("X-Recur-Message-Id", message_id)
            .header("X-Recur-Signature", &webhook_signature(&self.secret, &body))
            .send(&body[..])
            .map_err(|e| DeliveryError {
                retryable: true,
                message: format!("POST {}: {e}", self.url),
            })?;
        let status = resp.status().as_u16();
        match status {
            200..=299 => Ok(status.to_string()),
            408 | 429 | 500..=599 => Err(DeliveryError {
                retryable: true,
                message: format!("POST {}: HTTP {status}", self.url),
            }),
            _ => Err(DeliveryError {
                retryable: false,
                message: format!("POST {}: HTTP {status}", self.url),
            }),
        }
    }

    fn fork(&self) -> Option<Box<dyn Deliver + Send>> {
        Some(Box::new(self.clone()))
    }
}

/// How to send.
#[derive(Debug, Clone)]
pub struct SendOptions {
    /// List what would go out; send nothing, change nothing.
    pub dry_run: bool,
    /// Attempts per message within one run. A message whose attempts all fail with errors
    /// worth retrying (connection, timeout, HTTP 408/429/5xx, SMTP 4xx) is not failed: it
    /// stays queued and the run pauses, because the endpoint is down rather than the message
    /// bad. Only errors not worth retrying mark a message failed.
    pub max_attempts: u32,
    /// Wait before the first retry; doubles each retry up to `max_backoff`.
    pub backoff: Duration,
    /// Longest wait between two retries.
    pub max_backoff: Duration,
    /// How long one message may keep failing with retryable errors before the run pauses
    /// (the circuit opens): the rest stay queued for the next run.
    pub retry_for: Duration,
    /// Put the campaign's failed messages back in the queue first (same Message-IDs and
    /// idempotency keys, so receivers can de-duplicate).
    pub retry_failed: bool,
    /// Current time (seconds since the epoch) when the run starts; the run's clock advances
    /// from it.
    pub now: i64,
    /// Only send inside this window: the run stops when it closes (the rest stay queued).
    pub window: Option<crate::spec::SendWindow>,
    /// Messages delivered at once (connections to the server), 1 to [`MAX_CONNECTIONS`];
    /// channels that cannot work in parallel deliver one at a time. Each group is marked
    /// `sending` in one commit before hand-over and its outcomes in one commit after, so a
    /// run killed in between re-sends at most this many messages (same Message-IDs).
    pub connections: usize,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions {
            dry_run: false,
            max_attempts: 12,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            retry_for: Duration::from_secs(600),
            retry_failed: false,
            now: 0,
            window: None,
            connections: 32,
        }
    }
}

/// What a send run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SendReport {
    /// Left queued because the send window was closed.
    pub deferred: usize,
    /// When the window opens again (UTC, RFC 3339), if messages were deferred.
    pub window_opens: Option<String>,
    /// Delivered in this run.
    pub sent: usize,
    /// Re-sent after a previous run stopped between hand-over and confirmation.
    pub resent_after_crash: usize,
    /// Given up in this run.
    pub failed: usize,
    /// Skipped because the customer is suppressed.
    pub suppressed: usize,
    /// Listed by a dry run.
    pub would_send: usize,
    /// Failed messages put back in the queue by `retry_failed`.
    pub requeued: usize,
    /// Why the run paused (the endpoint kept failing); the messages not sent stay queued.
    pub paused: Option<String>,
    /// Messages left queued because the run paused.
    pub left_queued: usize,
}

/// How one message's delivery ended within a run.
enum Outcome {
    Sent,
    /// Not worth retrying: the message is failed.
    Failed(String),
    /// Retryable errors until the horizon: the endpoint is down, the run pauses.
    Paused {
        error: String,
        attempts: u32,
        seconds: f64,
    },
}

/// Delivers one message, retrying retryable errors with backoff; returns the attempts made
/// and how it ended.
fn try_deliver(channel: &mut dyn Deliver, p: &Pending, opts: &SendOptions) -> (u32, Outcome) {
    let mut wait = opts.backoff;
    let mut attempt = 0;
    let first_try = std::time::Instant::now();
    loop {
        attempt += 1;
        match channel.deliver(&p.message, &p.message_id) {
            Ok(_) => return (attempt, Outcome::Sent),
            Err(e)
                if e.retryable
                    && (attempt >= opts.max_attempts
                        || first_try.elapsed() + wait > opts.retry_for) =>
            {
                let seconds = first_try.elapsed().as_secs_f64();
                return (
                    attempt,
                    Outcome::Paused {
                        error: e.message,
                        attempts: attempt,
                        seconds,
                    },
                );
            }
            Err(e) if e.retryable => {
                std::thread::sleep(wait);
                wait = (wait * 2).min(opts.max_backoff);
            }
            Err(e) => return (attempt, Outcome::Failed(e.message)),
        }
    }
}

/// A delivery worker's panic, carried back to the sending thread.
type WorkerPanic = Box<dyn std::any::Any + Send + 'static>;

/// Delivers a group of messages: in parallel over the forked channels when there are any,
/// else one after another over `channel`. A worker that panicked gives its panic back.
fn deliver_batch(
    channel: &mut dyn Deliver,
    workers: &mut [Box<dyn Deliver + Send>],
    batch: &[&Pending],
    opts: &SendOptions,
) -> Vec<std::result::Result<(u32, Outcome), WorkerPanic>> {
    if workers.is_empty() || batch.len() == 1 {
        return batch
            .iter()
            .map(|p| Ok(try_deliver(channel, p, opts)))
            .collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = workers
            .iter_mut()
            .zip(batch)
            .map(|(w, p)| scope.spawn(move || try_deliver(w.as_mut(), p, opts)))
            .collect();
        handles.into_iter().map(|h| h.join()).collect()
    })
}

/// Sends every pending message of `campaign` through `channel`, `opts.connections` at a
/// time. Each group of messages is marked `sending` (committed) before hand-over and its
/// outcomes (`sent`, `failed`, or back to `queued` when the run pauses) are committed after
/// the channel answers, so a run that is killed and started again skips what was confirmed
/// and re-sends only the messages that were in flight, with the same Message-IDs. Suppressed
/// customers are skipped. `progress` is called with (messages handled, messages pending)
/// before each group and at the end.
pub fn send_pending(
    ledger: &Ledger,
    campaign: &str,
    channel: &mut dyn Deliver,
    opts: &SendOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<SendReport> {
    let mut report = SendReport::default();
    // One sender per campaign: a second run waits for nothing and sends nothing twice.
    let _lock = if opts.dry_run {
        None
    } else {
        Some(ledger.lock_sends(campaign)?)
    };
    if opts.retry_failed && !opts.dry_run {
        report.requeued = ledger.requeue_failed(campaign)?;
    }
    let pending = ledger.pending(campaign)?;
    let total = pending.len();
    let width = opts.connections.clamp(1, MAX_CONNECTIONS);
    let mut workers: Vec<Box<dyn Deliver + Send>> = if width > 1 && !opts.dry_run {
        (0..width).map_while(|_| channel.fork()).collect()
    } else {
        Vec::new()
    };
    let width = width.min(workers.len()).max(1);
    if width == 1 {
        workers.clear();
    }
    let started = std::time::Instant::now();
    let mut next = 0;
    while next < total {
        progress(next, total);
        let now = opts.now + started.elapsed().as_secs() as i64;
        if let Some(w) = &opts.window
            && !w.contains(now)
        {
            report.deferred = total - next;
            report.window_opens = chrono::DateTime::from_timestamp(w.next_open(now), 0)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
            break;
        }
        if opts.dry_run {
            report.would_send += 1;
            next += 1;
            continue;
        }
        let mut batch: Vec<&Pending> = Vec::with_capacity(width);
        for p in &pending[next..(next + width).min(total)] {
            next += 1;
            let customer = p.message.customer_id.as_str();
            if ledger.is_suppressed(customer)? {
                ledger.set_status(campaign, customer, SendStatus::Suppressed, None, opts.now)?;
                report.suppressed += 1;
            } else {
                batch.push(p);
            }
        }
        if batch.is_empty() {
            continue;
        }
        let customers: Vec<&str> = batch
            .iter()
            .map(|p| p.message.customer_id.as_str())
            .collect();
        ledger.mark_sending(campaign, &customers, opts.now)?;
        let outcomes = deliver_batch(channel, &mut workers, &batch, opts);
        let mut records = Vec::with_capacity(batch.len());
        let mut paused = 0;
        let mut panicked = None;
        for (p, result) in batch.iter().zip(outcomes) {
            // A worker that panicked (a bug) leaves its message `sending`: the next run
            // re-sends it with its Message-ID, as after a crash.
            let (attempts, outcome) = match result {
                Ok(done) => done,
                Err(panic) => {
                    panicked = Some(panic);
                    continue;
                }
            };
            let customer = p.message.customer_id.as_str();
            let extra = attempts.saturating_sub(1);
            match outcome {
                Outcome::Sent => {
                    report.sent += 1;
                    report.resent_after_crash += usize::from(p.status == SendStatus::Sending);
                    records.push((customer, SendStatus::Sent, None, extra));
                }
                Outcome::Failed(error) => {
                    report.failed += 1;
                    records.push((customer, SendStatus::Failed, Some(error), extra));
                }
                Outcome::Paused {
                    error,
                    attempts,
                    seconds,
                } => {
                    // The endpoint is down, not the message bad: keep it (and the rest)
                    // queued and stop, instead of failing every message in turn.
                    paused += 1;
                    if report.paused.is_none() {
                        report.paused = Some(format!(
                            "{attempts} attempts over {seconds:.0} s failed ({error})"
                        ));
                    }
                    records.push((customer, SendStatus::Queued, Some(error), extra));
                }
            }
        }
        ledger.record_outcomes(campaign, &records, opts.now)?;
        if let Some(panic) = panicked {
            std::panic::resume_unwind(panic);
        }
        if let Some(why) = report.paused.take() {
            report.left_queued = paused + (total - next);
            report.paused = Some(format!(
                "{why}; {} message(s) left queued: run `recur campaign send` again once the endpoint answers",
                report.left_queued
            ));
            break;
        }
    }
    progress(total, total);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_known_value() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            webhook_signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
