//! Approving and sending campaigns: an approval records who (the key's label), when and a
//! fingerprint of the messages; a send runs in the background through the delivery target
//! the workspace configures (`[delivery]`), only while the approval matches the messages.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::Path;
use axum::http::StatusCode;
use axum::{Extension, Json};
use recur_engine::{ApprovalStatus, ChannelConfig, Scope, SendOutcome};
use serde::Serialize;
use utoipa::ToSchema;

use super::blocking;
use super::campaigns::Sends;
use crate::auth::Caller;
use crate::error::ApiError;

/// The latest send run of each campaign started through the API.
#[derive(Default)]
pub(crate) struct SendJobs(Mutex<HashMap<String, Arc<Mutex<SendRun>>>>);

/// An approval as recorded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Approved {
    /// Who approved: the API key's label, or `cli`.
    pub(crate) approved_by: String,
    /// When (RFC 3339).
    pub(crate) approved_at: String,
    /// Messages approved.
    pub(crate) messages: usize,
    /// Fingerprint (SHA-256) of the messages approved.
    pub(crate) fingerprint: String,
}

/// A campaign's approval and whether it still covers the messages.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Approval {
    /// Campaign id.
    pub(crate) campaign: String,
    /// The latest approval (null: none).
    pub(crate) approval: Option<Approved>,
    /// Messages in the ledger now.
    pub(crate) messages: usize,
    /// Fingerprint of the messages now.
    pub(crate) fingerprint: String,
    /// Whether the approval matches the messages as they are now (a send needs it).
    pub(crate) valid: bool,
}

fn approval_of(s: &ApprovalStatus) -> Approval {
    Approval {
        campaign: s.campaign.clone(),
        approval: s.approval.as_ref().map(|a| Approved {
            approved_by: a.approved_by.clone(),
            approved_at: a.approved_at.clone(),
            messages: a.messages,
            fingerprint: a.fingerprint.clone(),
        }),
        messages: s.current.messages,
        fingerprint: s.current.fingerprint.clone(),
        valid: s.valid,
    }
}

/// Why a send run stopped early.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct RunError {
    /// Stable code (as in error answers).
    pub(crate) code: String,
    /// What went wrong and what to do.
    pub(crate) message: String,
}

/// A send run started through the API.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct SendRun {
    /// `running`, `done` or `failed`.
    pub(crate) state: String,
    /// Who started it (the key's label).
    pub(crate) requested_by: String,
    /// When it started (RFC 3339).
    pub(crate) started_at: String,
    /// When it ended (RFC 3339; null while running).
    pub(crate) finished_at: Option<String>,
    /// Messages handled so far in this run.
    pub(crate) handled: usize,
    /// Messages this run has to handle (known once it began).
    pub(crate) pending: usize,
    /// Delivered in this run.
    pub(crate) sent: usize,
    /// Given up in this run (`recur campaign send --retry-failed` queues them again).
    pub(crate) failed: usize,
    /// Skipped: the customer is suppressed.
    pub(crate) suppressed: usize,
    /// Left queued: outside the campaign's send window.
    pub(crate) deferred: usize,
    /// When the send window opens again, if messages were deferred.
    pub(crate) window_opens: Option<String>,
    /// Why the run paused (the target kept failing); the rest stay queued.
    pub(crate) paused: Option<String>,
    /// Why the run failed (state `failed`).
    pub(crate) error: Option<RunError>,
}

/// A campaign's sending: the latest API run, the ledger's totals and the approval.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SendState {
    /// Campaign id.
    pub(crate) campaign: String,
    /// The delivery target the workspace configures: `webhook`, `smtp`, or null (none: the
    /// server does not send).
    pub(crate) delivery: Option<String>,
    /// The latest send run started through the API since the server started (null: none).
    pub(crate) run: Option<SendRun>,
    /// All of the campaign's messages by state (from the send ledger).
    pub(crate) totals: Sends,
    /// The approval.
    pub(crate) approval: Approval,
}

fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn delivery_kind(c: Option<&ChannelConfig>) -> Option<String> {
    c.map(|c| {
        match c {
            ChannelConfig::Webhook { .. } => "webhook",
            ChannelConfig::Smtp { .. } => "smtp",
        }
        .to_owned()
    })
}

/// The state of `id`'s sending in `caller`'s shop.
async fn state_of(caller: &Caller, id: String) -> Result<SendState, ApiError> {
    let shop = caller.shop.clone();
    let key = id.clone();
    let (approval, totals) = blocking(move || {
        let approval = recur_engine::campaign_approval(&shop.ws, &key)?;
        let store = recur_engine::CampaignStore::open(&shop.ws)?;
        Ok((approval, store.ledger.counts(&key)?))
    })
    .await?;
    let run = caller.shop.sends.latest(&id);
    Ok(SendState {
        campaign: id,
        delivery: delivery_kind(caller.shop.delivery.as_ref()),
        run,
        totals: Sends {
            queued: totals.queued,
            sending: totals.sending,
            sent: totals.sent,
            failed: totals.failed,
            suppressed: totals.suppressed,
        },
        approval: approval_of(&approval),
    })
}

impl SendJobs {
    fn latest(&self, id: &str) -> Option<SendRun> {
        let jobs = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        jobs.get(id).map(|j| {
            j.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone()
        })
    }

    /// Registers a new run of `id` unless one is running; returns its record.
    fn begin(&self, id: &str, by: &str) -> Option<Arc<Mutex<SendRun>>> {
        let mut jobs = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(j) = jobs.get(id)
            && j.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .state
                == "running"
        {
            return None;
        }
        let run = Arc::new(Mutex::new(SendRun {
            state: "running".into(),
            requested_by: by.to_owned(),
            started_at: now_text(),
            finished_at: None,
            handled: 0,
            pending: 0,
            sent: 0,
            failed: 0,
            suppressed: 0,
            deferred: 0,
            window_opens: None,
            paused: None,
            error: None,
        }));
        jobs.insert(id.to_owned(), run.clone());
        Some(run)
    }
}

/// Approves the campaign's messages as they are now: records the key's label, the time and
/// the messages' count and fingerprint in the send ledger. Writing the messages again
/// (`POST .../generate` with other text) makes the approval outdated.
#[utoipa::path(post, path = "/v1/campaigns/{id}/approve", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id")),
    responses((status = 200, description = "The recorded approval", body = Approval),
        (status = 404, description = "Unknown campaign", body = crate::error::ErrorBody),
        (status = 409, description = "No messages to approve yet (`nothing_to_approve`)", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn approve(
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Approval>, ApiError> {
    caller.require(Scope::Campaigns)?;
    let shop = caller.shop.clone();
    let by = caller.key.label.clone();
    let status = blocking(move || {
        recur_engine::approve_campaign(&shop.ws, &id, &by, chrono::Utc::now().timestamp())
    })
    .await?;
    Ok(Json(approval_of(&status)))
}

/// Starts sending the campaign's queued messages, exactly once each, through the delivery
/// target the workspace configures (`[delivery]` in recur.toml); answers at once (202) while
/// the run goes on in the background: follow it with `GET .../sends`. Needs an approval that
/// matches the messages as they are now.
#[utoipa::path(post, path = "/v1/campaigns/{id}/send", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id")),
    responses((status = 202, description = "The run started", body = SendState),
        (status = 404, description = "Unknown campaign", body = crate::error::ErrorBody),
        (status = 409, description = "Not approved (`not_approved`), messages changed since the approval (`approval_outdated`), a run is sending it (`send_in_progress`), or no delivery target is configured (`delivery_not_configured`)", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn send(
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<SendState>), ApiError> {
    caller.require(Scope::Campaigns)?;
    let Some(channel) = caller.shop.delivery.clone() else {
        return Err(ApiError::conflict(
            "delivery_not_configured",
            "this workspace configures no delivery target: set `delivery.webhook` (with RECUR_WEBHOOK_SECRET in the server's environment) or `delivery.smtp` in recur.toml, then restart `recur serve`",
        ));
    };
    // Refused at once when not approved (the run checks again before it sends).
    let before = state_of(&caller, id.clone()).await?;
    if !before.approval.valid {
        let shop = caller.shop.clone();
        let key = id.clone();
        blocking(move || recur_engine::campaign_approval(&shop.ws, &key)?.require()).await?;
    }
    let Some(run) = caller.shop.sends.begin(&id, &caller.key.label) else {
        return Err(ApiError::conflict(
            "send_in_progress",
            format!(
                "campaign `{id}` is being sent right now; follow it with GET /v1/campaigns/{id}/sends"
            ),
        ));
    };
    let shop = caller.shop.clone();
    let campaign = id.clone();
    let job = run.clone();
    let spawned = std::thread::Builder::new()
        .name("recur-send".into())
        .spawn(move || {
            let dir = recur_engine::CampaignStore::dir_of(&shop.ws);
            let out = recur_engine::send_campaign(
                &dir,
                &campaign,
                &channel,
                &recur_engine::SendRun {
                    require_approval: true,
                    ..recur_engine::SendRun::default()
                },
                &mut |done, total| {
                    let mut r = job
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    r.handled = done;
                    r.pending = total;
                },
            );
            finish(&job, out);
            // The campaign list counts messages from the snapshot.
            let _ = shop.refresh();
        });
    if let Err(e) = spawned {
        finish(
            &run,
            Err(recur_engine::Error::Io {
                path: "recur-send".into(),
                action: "start a thread for",
                error: e,
            }),
        );
        return Err(ApiError::internal("cannot start the send thread"));
    }
    let state = SendState {
        run: caller.shop.sends.latest(&id),
        ..before
    };
    Ok((StatusCode::ACCEPTED, Json(state)))
}

fn finish(job: &Mutex<SendRun>, out: recur_engine::Result<SendOutcome>) {
    let mut r = job
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    r.finished_at = Some(now_text());
    match out {
        Ok(o) => {
            let run = &o.run;
            r.state = "done".into();
            r.sent = run.sent;
            r.failed = run.failed;
            r.suppressed = run.suppressed;
            r.deferred = run.deferred;
            r.window_opens = run.window_opens.clone();
            r.paused = run.paused.clone();
            r.handled = r.pending.max(r.handled);
        }
        Err(e) => {
            let api = ApiError::from(e);
            let bug = api.status.is_server_error();
            if bug {
                // Details (paths, OS errors) go to the log, never into the answer.
                eprintln!(
                    "{}",
                    serde_json::json!({"level": "error", "event": "campaign send failed", "error": api.message})
                );
            }
            r.state = "failed".into();
            r.error = Some(RunError {
                code: api.code.to_owned(),
                message: if bug {
                    "Something went wrong; the server's log has the details".into()
                } else {
                    api.message
                },
            });
        }
    }
}

/// A campaign's sending: the latest run started through the API (with its progress), the
/// ledger's totals by state, the approval and the delivery target configured.
#[utoipa::path(get, path = "/v1/campaigns/{id}/sends", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id")),
    responses((status = 200, description = "The campaign's sending", body = SendState),
        (status = 404, description = "Unknown campaign", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn sends(
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<SendState>, ApiError> {
    caller.require(Scope::Read)?;
    Ok(Json(state_of(&caller, id).await?))
}
