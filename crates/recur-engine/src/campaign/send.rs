//! Sending a campaign's queued messages from the ledger, exactly once.

use std::path::Path;

use recur_campaign::{
    SendCounts, SendOptions, SendReport, SmtpDelivery, SmtpSecurity, WebhookDelivery, send_pending,
};
use serde::Serialize;

use super::approve::{ApprovalStatus, approval_of};
use super::store::CampaignStore;
use crate::error::{Error, Result};

/// Where messages go.
#[derive(Debug, Clone)]
pub enum ChannelConfig {
    /// An SMTP relay.
    Smtp {
        /// Host.
        host: String,
        /// Port.
        port: u16,
        /// Sender, such as `Shop <news@shop.example>`.
        from: String,
        /// TLS: none (local relay), STARTTLS or implicit TLS.
        security: SmtpSecurity,
        /// Login (user, password), if the server needs one.
        credentials: Option<(String, String)>,
    },
    /// A webhook.
    Webhook {
        /// URL.
        url: String,
        /// HMAC secret.
        secret: String,
    },
}

/// The state of a campaign's messages after a send run.
#[derive(Debug, Clone, Serialize)]
pub struct SendOutcome {
    /// Campaign.
    pub campaign: String,
    /// What this run did.
    pub run: SendReport,
    /// All of the campaign's messages by state.
    pub totals: SendCounts,
    /// The campaign's approval (as it stood when the run began).
    pub approval: ApprovalStatus,
}

/// How one `send_campaign` run behaves.
#[derive(Debug, Clone, Copy, Default)]
pub struct SendRun {
    /// Only count what would be sent.
    pub dry_run: bool,
    /// Send even outside the campaign's send window.
    pub ignore_window: bool,
    /// Put failed messages back in the queue first (same Message-IDs).
    pub retry_failed: bool,
    /// How long one message may keep failing with retryable errors before the run pauses
    /// (default 10 minutes).
    pub retry_for: Option<std::time::Duration>,
    /// Messages delivered at once, over as many connections (default 32, at most 64).
    pub connections: Option<usize>,
    /// Send only when the campaign's messages are approved as they are now
    /// ([`Error::NotApproved`], [`Error::ApprovalOutdated`] otherwise).
    pub require_approval: bool,
}

/// Sends the queued messages of `campaign` from the ledger in `campaign_dir` through `channel`
/// (dry run: only counts them). Safe to interrupt and run again: confirmed messages are never
/// sent twice, and those in flight are re-sent with the same Message-IDs. Outside the
/// campaign's `send_window` nothing goes out (unless `ignore_window`): the run stops, the rest
/// stay queued, and the outcome says when the window opens.
///
/// Errors: [`Error::NoLedger`] when `campaign_dir` has no ledger, [`Error::NoSuchCampaign`]
/// when the ledger does not know `campaign`; with `run.require_approval`,
/// [`Error::NotApproved`] or [`Error::ApprovalOutdated`] unless the messages are approved as
/// they are now.
pub fn send_campaign(
    campaign_dir: &Path,
    campaign: &str,
    channel: &ChannelConfig,
    run: &SendRun,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<SendOutcome> {
    let SendRun {
        dry_run,
        ignore_window,
        retry_failed,
        retry_for,
        connections,
        require_approval,
    } = *run;
    let store = CampaignStore::open_dir(campaign_dir)?;
    let spec = store.recorded(campaign)?.spec;
    let approval = approval_of(&store, campaign)?;
    if require_approval {
        approval.require()?;
    }
    let ledger = &store.ledger;
    let opts = SendOptions {
        dry_run,
        now: chrono::Utc::now().timestamp(),
        window: spec.send_window.filter(|_| !ignore_window),
        retry_failed,
        retry_for: retry_for.unwrap_or(SendOptions::default().retry_for),
        connections: connections.unwrap_or(SendOptions::default().connections),
        ..SendOptions::default()
    };
    let timeout = std::time::Duration::from_secs(30);
    let run = match channel {
        ChannelConfig::Smtp {
            host,
            port,
            from,
            security,
            credentials,
        } => {
            let mut smtp =
                SmtpDelivery::new(host, *port, from, timeout, *security, credentials.clone())
                    .map_err(|e| Error::BadSetting {
                        key: "smtp".into(),
                        value: format!("{host}:{port} from {from}"),
                        hint: e.message,
                    })?;
            send_pending(ledger, campaign, &mut smtp, &opts, progress)?
        }
        ChannelConfig::Webhook { url, secret } => {
            let mut hook = WebhookDelivery::new(url, secret.as_bytes(), timeout);
            send_pending(ledger, campaign, &mut hook, &opts, progress)?
        }
    };
    Ok(SendOutcome {
        campaign: campaign.to_owned(),
        run,
        totals: ledger.counts(campaign)?,
        approval,
    })
}
