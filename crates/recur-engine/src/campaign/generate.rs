//! Writing a planned campaign's messages: grounded facts from the workspace, validated drafts,
//! queued in the ledger and exported for ESP imports.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use recur_campaign::{Group, MessageTally, export_files};
use serde::Serialize;

use super::audit::{COPY_AUDIT_FILE, write_audit};
use super::facts::FactSource;
use super::store::{CampaignStore, RecordedCampaign};
use super::writer::{MessageWriter, Recipient};
use crate::error::Result;
use crate::workspace::Workspace;

/// What `generate_workspace_campaign` produced.
#[derive(Debug, Clone, Serialize)]
pub struct GeneratedCampaign {
    /// Campaign id.
    pub campaign: String,
    /// Where the recommended products in the messages come from.
    pub product_source: String,
    /// Messages per path (template only, rejected...).
    pub message_paths: BTreeMap<MessageTally, usize>,
    /// Newly queued in the ledger.
    pub queued: usize,
    /// Messages already queued (not yet sent) whose text changed: they now carry the new text.
    pub rewritten: usize,
    /// Files for ESP imports (and the copy audit).
    pub files: Vec<PathBuf>,
}

/// Writes the messages of a planned campaign: for each treated customer, facts from the
/// workspace (see `FactSource`: products from the behaviour model, the favourite category's
/// best sellers, the customer's own past purchases or the shop's best sellers; the recorded
/// offer with a per-customer code and expiry; the language of the customer's locale), a
/// validated message in the campaign's format (e-mail, SMS or push), the name filled in
/// afterwards; then queues them in the ledger, exports Braze/Klaviyo/JSONL files and writes
/// the copy audit (`copy-audit.jsonl`) to `WORKSPACE/campaign/<id>/`. Running it again queues
/// nothing new; messages not yet sent take the text written last (`rewritten`), which
/// invalidates an approval of the earlier text.
///
/// With `generator`, the first `llm_drafts` messages are drafted by the language model (free
/// text only, schema-constrained, the facts filled in by the engine, validated, one retry with
/// feedback, template otherwise); the path each message took is counted in `message_paths`.
///
/// Errors: [`Error::NoLedger`] when no campaign was planned in the workspace,
/// [`Error::NoSuchCampaign`] when the ledger does not know `campaign`.
///
/// [`Error::NoLedger`]: crate::error::Error::NoLedger
/// [`Error::NoSuchCampaign`]: crate::error::Error::NoSuchCampaign
pub fn generate_workspace_campaign(
    ws: &Workspace,
    campaign: &str,
    shop: &str,
    currency: &str,
    generator: Option<&mut dyn recur_llm::Generate>,
    llm_drafts: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<GeneratedCampaign> {
    let mut store = CampaignStore::open(ws)?;
    let RecordedCampaign {
        spec,
        planned_day: send_day,
        ..
    } = store.recorded(campaign)?;
    // One session for the facts and the addresses (each session materialises the sales).
    let session = ws.session()?;
    let source = FactSource::load(ws, &session, &spec, campaign, send_day, shop, currency)?;
    let recipients: HashMap<String, (Option<String>, Option<String>)> = session
        .recipients()?
        .into_iter()
        .map(|r| (r.customer_id.into_string(), (r.name, r.email)))
        .collect();
    let mut writer = MessageWriter::new(&source.rules, campaign, generator, llm_drafts)
        .with_languages(ws.settings().llm.draft_languages());
    let mut outgoing = Vec::new();
    let assignments: Vec<_> = store
        .ledger
        .assignments(campaign)?
        .into_iter()
        .filter(|a| a.group == Group::Treated)
        .collect();
    let total = assignments.len();
    for (done, a) in assignments.into_iter().enumerate() {
        progress(done, total);
        let Some(o) = a.offer.and_then(|offer| spec.offers.get(offer)) else {
            continue;
        };
        let facts = source.facts(&a.customer, o);
        let (name, email) = recipients
            .get(a.customer.as_str())
            .cloned()
            .unwrap_or((None, None));
        let first_name = name.as_deref().and_then(|n| n.split_whitespace().next());
        let message = writer.write(
            &facts,
            Recipient {
                customer: &a.customer,
                offer: &o.name,
                first_name,
                email,
            },
        );
        outgoing.extend(message.map(|(m, _)| m));
    }
    progress(total, total);
    let dir = store.dir.join(campaign);
    let mut files = export_files(&dir, &outgoing)?;
    let audit = dir.join(COPY_AUDIT_FILE);
    write_audit(&audit, writer.audit())?;
    files.push(audit);
    let queued = store.ledger.queue(&outgoing)?;
    // Messages still queued take the new text, so what goes out is what was written last
    // (and an approval of the earlier text no longer covers them).
    let rewritten = store.ledger.replace_queued(&outgoing)?;
    Ok(GeneratedCampaign {
        campaign: campaign.to_owned(),
        product_source: source.product_source.clone(),
        message_paths: writer.into_paths(),
        queued,
        rewritten,
        files,
    })
}
