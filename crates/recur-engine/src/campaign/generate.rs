//! Writing a planned campaign's messages: grounded facts from the workspace, validated drafts,
//! queued in the ledger and exported for ESP imports.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use recur_campaign::{Facts, Group, Language, MessageTally, ProductFact, Rules, export_files};
use serde::Serialize;

use super::features::offer_fact;
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
    /// Files for ESP imports.
    pub files: Vec<PathBuf>,
}

/// Writes the messages of a planned campaign: for each treated customer, facts from the
/// workspace (favourite category from their orders; two recommended products with catalog title
/// and price from the trained behaviour model, or that category's two best sellers without
/// one; the recorded offer with a per-customer code and expiry), a
/// validated draft (the template until a language model is configured), the name filled in
/// afterwards; then queues them in the ledger and exports Braze/Klaviyo/JSONL files to
/// `WORKSPACE/campaign/<id>/`. Running it again queues nothing new.
///
/// With `generator`, the first `llm_drafts` messages are drafted by the language model (facts
/// only, schema-constrained JSON, validated, one retry with feedback, template otherwise); the
/// path each message took is counted in `message_paths`.
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
    let session = ws.session()?;
    let favourites: HashMap<String, String> = session.favourite_categories()?.into_iter().collect();
    let mut sellers: HashMap<String, Vec<ProductFact>> = HashMap::new();
    for (cat, title, price) in session.best_sellers(2)? {
        sellers
            .entry(cat)
            .or_default()
            .push(ProductFact { title, price });
    }
    // Every catalog title: a draft that names one the facts did not supply is rejected.
    let catalog_titles: Vec<String> = session
        .product_titles()?
        .into_iter()
        .filter_map(|(_, title, _)| title)
        .collect();
    // Recommendations from the trained behaviour model (`recur train`), when there is one.
    let recommender = if ws
        .root()
        .join(crate::recs::MODEL_DIR)
        .join("config.json")
        .exists()
    {
        Some(crate::recs::WorkspaceRecommender::open(ws)?)
    } else {
        None
    };
    let product_source = recommender.as_ref().map_or_else(
        || "best sellers of the customer's favourite category (no behaviour model trained)".to_owned(),
        |r| {
            format!(
                "the behaviour model's recommendations ({}), else best sellers of the favourite category",
                r.model_name()
            )
        },
    );
    let contacts: HashMap<String, Option<String>> = session
        .contacts()?
        .into_iter()
        .map(|(id, locale, _)| (id, locale))
        .collect();
    let recipients: HashMap<String, (Option<String>, Option<String>)> = session
        .recipients()?
        .into_iter()
        .map(|r| (r.customer_id, (r.name, r.email)))
        .collect();
    let rules = Rules {
        catalog_titles,
        ..Rules::default()
    };
    let mut writer = MessageWriter::new(&rules, campaign, generator, llm_drafts);
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
        let Some(offer) = a.offer else {
            continue;
        };
        let Some(o) = spec.offers.get(offer) else {
            continue;
        };
        let language = match contacts.get(&a.customer) {
            Some(Some(l)) if l.starts_with("zh") => Language::Zh,
            _ => Language::En,
        };
        let favourite = favourites.get(&a.customer).cloned();
        let recommended: Vec<ProductFact> = recommender
            .as_ref()
            .and_then(|r| {
                r.recommend(&a.customer, 10, recur_model::Exclude::Nothing)
                    .ok()
            })
            .map(|r| {
                r.items
                    .into_iter()
                    .filter_map(|i| {
                        Some(ProductFact {
                            title: i.title?,
                            price: i.price?,
                        })
                    })
                    .take(2)
                    .collect()
            })
            .unwrap_or_default();
        let facts = Facts {
            shop: shop.to_owned(),
            language,
            currency: currency.to_owned(),
            products: if recommended.is_empty() {
                favourite
                    .as_ref()
                    .and_then(|c| sellers.get(c))
                    .cloned()
                    .unwrap_or_default()
            } else {
                recommended
            },
            favourite_category: favourite,
            offer: Some(offer_fact(o, campaign, &a.customer, send_day)),
        };
        let (name, email) = recipients.get(&a.customer).cloned().unwrap_or((None, None));
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
    let files = export_files(&store.dir.join(campaign), &outgoing)?;
    let queued = store.ledger.queue(&outgoing)?;
    Ok(GeneratedCampaign {
        campaign: campaign.to_owned(),
        product_source,
        message_paths: writer.into_paths(),
        queued,
        files,
    })
}
