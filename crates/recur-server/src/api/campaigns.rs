//! Campaigns: list, detail (groups, sends, copy paths, sample messages), measured lift,
//! plan and generate.

use axum::extract::{Path, Query};
use axum::{Extension, Json};
use recur_engine::{CampaignSummary, CopyAudit, Scope};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::blocking;
use crate::auth::Caller;
use crate::error::ApiError;

/// Messages by state.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Sends {
    /// Queued.
    pub(crate) queued: usize,
    /// Being sent.
    pub(crate) sending: usize,
    /// Sent.
    pub(crate) sent: usize,
    /// Failed.
    pub(crate) failed: usize,
    /// Suppressed.
    pub(crate) suppressed: usize,
}

/// A campaign at a glance.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Campaign {
    /// Id.
    pub(crate) id: String,
    /// When it was planned (RFC 3339).
    pub(crate) planned_at: String,
    /// Customers treated.
    pub(crate) treated: usize,
    /// Customers in the randomised holdout.
    pub(crate) holdout: usize,
    /// Customers excluded (consent, caps).
    pub(crate) excluded: usize,
    /// Messages by state.
    pub(crate) sends: Sends,
}

fn campaign_of(c: &CampaignSummary) -> Campaign {
    Campaign {
        id: c.id.clone(),
        planned_at: c.planned_at.clone(),
        treated: c.treated,
        holdout: c.holdout,
        excluded: c.excluded,
        sends: Sends {
            queued: c.sends.queued,
            sending: c.sends.sending,
            sent: c.sends.sent,
            failed: c.sends.failed,
            suppressed: c.sends.suppressed,
        },
    }
}

/// The workspace's campaigns.
#[utoipa::path(get, path = "/v1/campaigns", tag = "campaigns",
    responses((status = 200, description = "Campaigns", body = Vec<Campaign>)),
    security(("bearer" = [])))]
pub(crate) async fn list(
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<Campaign>>, ApiError> {
    caller.require(Scope::Read)?;
    let (_, view) = caller.shop.view();
    Ok(Json(view.campaigns().iter().map(campaign_of).collect()))
}

/// A message as written, with the path it took through validation.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WrittenMessage {
    /// Customer id.
    pub(crate) customer_id: String,
    /// `model`, `model_after_retry`, `template` or `template_only`.
    pub(crate) path: String,
    /// Language.
    pub(crate) language: String,
    /// Subject.
    pub(crate) subject: String,
    /// Body (before the first name is filled in).
    pub(crate) body: String,
    /// The validator's reasons for rejected drafts.
    pub(crate) rejected: Vec<Vec<String>>,
}

/// One campaign in full.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CampaignDetail {
    /// The summary.
    pub(crate) campaign: Campaign,
    /// Messages per validation path.
    pub(crate) message_paths: std::collections::BTreeMap<String, usize>,
    /// The first messages written (at most 20).
    pub(crate) messages: Vec<WrittenMessage>,
    /// How the plan's offers fell across segments, languages, countries and the shop's own
    /// attributes (`fairness`), and what its guard rails changed (`guard_rails`), as recorded
    /// with the plan; null for plans recorded before recur kept it.
    #[schema(value_type = Object)]
    pub(crate) fairness: Option<recur_engine::RecordedFairness>,
}

fn text_of<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn written(a: &CopyAudit) -> WrittenMessage {
    WrittenMessage {
        customer_id: a.customer_id.to_string(),
        path: text_of(&a.path),
        language: a.language.tag().to_owned(),
        subject: a.subject.clone(),
        body: a.body.clone(),
        rejected: a.rejected.clone(),
    }
}

/// A campaign: groups, sends, how its messages were written, a sample of them.
#[utoipa::path(get, path = "/v1/campaigns/{id}", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id")),
    responses((status = 200, description = "The campaign", body = CampaignDetail),
        (status = 404, description = "Unknown campaign", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn detail(
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<CampaignDetail>, ApiError> {
    caller.require(Scope::Read)?;
    let (_, view) = caller.shop.view();
    let summary = view
        .campaigns()
        .iter()
        .find(|c| c.id == id)
        .map(campaign_of)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no campaign `{id}` in this workspace; GET /v1/campaigns lists them"
            ))
        })?;
    let shop = caller.shop.clone();
    let (audit, fairness) = blocking(move || {
        Ok((
            recur_engine::campaign_copy_audit(&shop.ws, &id)?,
            recur_engine::campaign_fairness(&shop.ws, &id)?,
        ))
    })
    .await?;
    let mut paths = std::collections::BTreeMap::new();
    for a in &audit {
        *paths.entry(text_of(&a.path)).or_insert(0) += 1;
    }
    Ok(Json(CampaignDetail {
        campaign: summary,
        message_paths: paths,
        messages: audit.iter().take(20).map(written).collect(),
        fairness,
    }))
}

/// Query of the lift.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct LiftQuery {
    /// Gross margin on the extra revenue, 0-1 (default 0.3).
    margin: Option<f64>,
}

/// Measured lift of treated over holdout in the goal window, with confidence intervals (the
/// document `recur campaign evaluate --json` prints).
#[utoipa::path(get, path = "/v1/campaigns/{id}/lift", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id"), LiftQuery),
    responses((status = 200, description = "Lift with intervals", body = Object),
        (status = 404, description = "Unknown campaign", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn lift(
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<LiftQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(Scope::Read)?;
    let margin = q.margin.unwrap_or(0.3);
    if !(0.0..=1.0).contains(&margin) {
        return Err(ApiError::invalid("`margin` must be from 0 to 1"));
    }
    let shop = caller.shop.clone();
    let lift =
        blocking(move || recur_engine::evaluate_workspace_campaign(&shop.ws, &id, margin)).await?;
    Ok(Json(
        serde_json::to_value(&lift).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}

/// A campaign to plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanRequest {
    /// The campaign definition (the TOML `recur campaign plan --spec` reads).
    pub(crate) spec: String,
    /// Gross margin for choosing offers by uplift, 0-1 (default 0.3).
    pub(crate) margin: Option<f64>,
}

/// Plans a campaign: audience, offers by uplift, randomised holdout, recorded once
/// (planning the same id again keeps its groups). Answers the plan document.
#[utoipa::path(post, path = "/v1/campaigns", tag = "campaigns",
    request_body = PlanRequest,
    responses((status = 200, description = "The recorded plan", body = Object),
        (status = 422, description = "The definition is invalid", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn plan(
    Extension(caller): Extension<Caller>,
    Json(req): Json<PlanRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(Scope::Campaigns)?;
    let margin = req.margin.unwrap_or(0.3);
    if !(0.0..=1.0).contains(&margin) {
        return Err(ApiError::invalid("`margin` must be from 0 to 1"));
    }
    let shop = caller.shop.clone();
    let planned = blocking(move || {
        // The definition is kept beside the ledger, named by its content.
        let dir = shop.ws.root().join("campaign").join("specs");
        std::fs::create_dir_all(&dir).map_err(|error| recur_engine::Error::Io {
            path: dir.clone(),
            action: "create",
            error,
        })?;
        let name = format!("{:016x}.toml", fnv(req.spec.as_bytes()));
        let path = dir.join(name);
        std::fs::write(&path, &req.spec).map_err(|error| recur_engine::Error::Io {
            path: path.clone(),
            action: "write",
            error,
        })?;
        let planned = recur_engine::plan_workspace_campaign(
            &shop.ws,
            &path,
            margin,
            chrono::Utc::now().timestamp(),
        )?;
        shop.refresh()?;
        Ok(planned)
    })
    .await?;
    Ok(Json(
        serde_json::to_value(&planned).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Options of generating.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GenerateRequest {
    /// Shop name the messages carry.
    pub(crate) shop: Option<String>,
    /// Currency of the prices (ISO 4217).
    pub(crate) currency: Option<String>,
}

/// Writes the treated customers' messages with the validated template (language-model
/// drafts are a command-line job: `recur campaign generate --llm-drafts N`), queues them
/// and exports the ESP files. Running it again queues nothing new.
#[utoipa::path(post, path = "/v1/campaigns/{id}/generate", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id")),
    request_body = GenerateRequest,
    responses((status = 200, description = "What was written", body = Object),
        (status = 404, description = "Unknown campaign", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn generate(
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Json(req): Json<GenerateRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(Scope::Campaigns)?;
    let shop = caller.shop.clone();
    let generated = blocking(move || {
        let out = recur_engine::generate_workspace_campaign(
            &shop.ws,
            &id,
            req.shop.as_deref().unwrap_or_default(),
            req.currency.as_deref().unwrap_or_default(),
            None,
            0,
            &mut |_, _| {},
        )?;
        shop.refresh()?;
        Ok(out)
    })
    .await?;
    Ok(Json(
        serde_json::to_value(&generated).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}
