//! `recur eval copy`: how well the language model writes a campaign's copy, from the audit
//! `campaign generate` wrote, or from a fresh sample of the campaign's messages drafted again
//! (nothing is queued or sent).

use recur_campaign::Group;

use super::audit::{COPY_AUDIT_FILE, CopyEvaluation, evaluate_copy, read_audit, write_audit};
use super::facts::FactSource;
use super::store::{CampaignStore, RecordedCampaign};
use super::writer::{MessageWriter, Recipient};
use crate::error::{Error, Result};
use crate::workspace::Workspace;

/// What to evaluate.
pub struct CopyRun<'g> {
    /// Campaign id.
    pub campaign: String,
    /// Draft this many of the campaign's treated customers again (a seeded sample); None reads
    /// the audit of the last `campaign generate`.
    pub sample: Option<usize>,
    /// The sample's seed.
    pub seed: u64,
    /// The writer for a fresh sample (none: the template, which shows the baseline).
    pub generator: Option<&'g mut dyn recur_llm::Generate>,
    /// Shop name the messages carry.
    pub shop: String,
    /// Currency of the prices.
    pub currency: String,
    /// Languages the model drafts in; None: the workspace's `llm.draft_languages`.
    pub languages: Option<Vec<recur_campaign::Language>>,
}

fn sample_key(seed: u64, customer: &str) -> u64 {
    // FNV-1a over the seed and the id: a stable, seeded order.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in customer.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Evaluates a campaign's copy (see [`CopyRun`]); writes `campaign/<ID>/copy-audit.jsonl` when
/// it drafts a fresh sample.
///
/// Errors: [`Error::NoLedger`] / [`Error::NoSuchCampaign`] as for generating;
/// [`Error::NoCopyAudit`] when no audit exists and no sample was asked for.
pub fn evaluate_campaign_copy(
    ws: &Workspace,
    run: CopyRun<'_>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<CopyEvaluation> {
    let store = CampaignStore::open(ws)?;
    let RecordedCampaign {
        spec,
        planned_day: send_day,
        ..
    } = store.recorded(&run.campaign)?;
    let dir = store.dir.join(&run.campaign);
    let audit = dir.join(COPY_AUDIT_FILE);
    // One session for the catalog titles and, for a fresh sample, the facts.
    let session = ws.session()?;
    let catalog_titles: Vec<String> = session
        .product_titles()?
        .into_iter()
        .filter_map(|(_, title, _)| title)
        .collect();
    let Some(n) = run.sample else {
        if !audit.exists() {
            return Err(Error::NoCopyAudit {
                campaign: run.campaign,
            });
        }
        let lines = read_audit(&audit)?;
        return Ok(evaluate_copy(
            &run.campaign,
            None,
            &lines,
            &catalog_titles,
            audit,
        ));
    };
    let source = FactSource::load(
        ws,
        &session,
        &spec,
        &run.campaign,
        send_day,
        &run.shop,
        &run.currency,
    )?;
    let mut treated: Vec<_> = store
        .ledger
        .assignments(&run.campaign)?
        .into_iter()
        .filter(|a| a.group == Group::Treated && a.offer.is_some())
        .collect();
    treated.sort_by_key(|a| (sample_key(run.seed, &a.customer), a.customer.clone()));
    treated.truncate(n);
    let model = run.generator.as_ref().map(|g| g.describe());
    let mut writer = MessageWriter::new(&source.rules, &run.campaign, run.generator, n)
        .with_languages(
            run.languages
                .unwrap_or_else(|| ws.settings().llm.draft_languages()),
        );
    let total = treated.len();
    for (done, a) in treated.iter().enumerate() {
        progress(done, total);
        let Some(o) = a.offer.and_then(|i| spec.offers.get(i)) else {
            continue;
        };
        let facts = source.facts(&a.customer, o);
        // No name or address: the audit holds the message before personalisation.
        writer.write(
            &facts,
            Recipient {
                customer: &a.customer,
                offer: &o.name,
                first_name: None,
                email: None,
            },
        );
    }
    progress(total, total);
    std::fs::create_dir_all(&dir).map_err(|error| Error::Io {
        path: dir.clone(),
        action: "create the campaign folder",
        error,
    })?;
    write_audit(&audit, writer.audit())?;
    Ok(evaluate_copy(
        &run.campaign,
        model,
        writer.audit(),
        &catalog_titles,
        audit,
    ))
}
