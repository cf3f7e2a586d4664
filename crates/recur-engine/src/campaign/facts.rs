//! What a campaign message may state about a customer, from the workspace: the products (the
//! behaviour model's recommendations, else best sellers of the favourite category, else the
//! customer's own past purchases, else the shop's best sellers; from order lines when there is
//! no catalog), the offer, the language of the customer's locale, and the non-personal
//! situation the writer speaks to (segment, days since the last order, orders so far).
//! Products held back by their reviews when the campaign was planned (`held-back.json`; the
//! workspace's current ones for a plan recorded before) are never shown.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use recur_analytics::{ProductFacts, UNCATEGORIZED};
use recur_campaign::{
    CampaignSpec, CustomerContext, Facts, Language, OfferSpec, ProductFact, ProductSource, Rules,
};
use recur_core::Segment;

use super::features::offer_fact;
use super::plan::recorded_held_back;
use super::store::CampaignStore;
use crate::error::Result;
use crate::workspace::Workspace;

/// Products per message.
const PRODUCTS: usize = 2;

/// Everything needed to write facts for any customer of one campaign.
pub(crate) struct FactSource {
    shop: String,
    currency: String,
    campaign: String,
    send_day: i64,
    link: Option<String>,
    favourites: HashMap<String, String>,
    by_category: HashMap<String, Vec<ProductFact>>,
    past: HashMap<String, Vec<ProductFact>>,
    shop_best: Vec<ProductFact>,
    locales: HashMap<String, Option<String>>,
    situation: HashMap<String, (Segment, u32, u32)>,
    recommender: Option<crate::recs::WorkspaceRecommender>,
    /// Where products come from, in words (for reports).
    pub(crate) product_source: String,
    /// The rules of the campaign's format, with every catalog title.
    pub(crate) rules: Rules,
}

/// Products per key, the held-back titles left out, at most [`PRODUCTS`] each.
fn group(
    rows: Vec<ProductFacts>,
    held_back: &HashSet<String>,
) -> HashMap<String, Vec<ProductFact>> {
    let mut out: HashMap<String, Vec<ProductFact>> = HashMap::new();
    for r in rows {
        if held_back.contains(&r.title) {
            continue;
        }
        let v = out.entry(r.key).or_default();
        if v.len() < PRODUCTS {
            v.push(ProductFact {
                title: r.title,
                price: r.price,
            });
        }
    }
    out
}

impl FactSource {
    /// Loads what the facts of `campaign` (planned on `send_day`) are made of.
    pub(crate) fn load(
        ws: &Workspace,
        session: &recur_analytics::Session,
        spec: &CampaignSpec,
        campaign: &str,
        send_day: i64,
        shop: &str,
        currency: &str,
    ) -> Result<FactSource> {
        let favourites: HashMap<String, String> = session
            .favourite_categories()?
            .into_iter()
            .filter(|(_, c)| c != UNCATEGORIZED && !c.trim().is_empty())
            .collect();
        let held_back = match recorded_held_back(&CampaignStore::dir_of(ws).join(campaign)) {
            Some(h) => h,
            None => crate::reviews::workspace_held_back(ws)?,
        }
        .ids();
        // The titles messages show for them (the ranked lists carry titles, not ids).
        let shown_titles: HashMap<String, String> = session
            .product_titles()?
            .into_iter()
            .filter_map(|(id, title, _)| Some((id, title?)))
            .collect();
        let held_back_titles: HashSet<String> = held_back
            .iter()
            .filter_map(|id| shown_titles.get(id).cloned())
            .collect();
        // Enough more per list that the held-back ones can be dropped.
        let ranked = PRODUCTS + held_back_titles.len();
        let by_category = group(session.best_sellers(ranked)?, &held_back_titles);
        let past = group(session.past_purchases(ranked)?, &held_back_titles);
        let shop_best = session
            .shop_best_sellers(ranked)?
            .into_iter()
            .filter(|r| !held_back_titles.contains(&r.title))
            .take(PRODUCTS)
            .map(|r| ProductFact {
                title: r.title,
                price: r.price,
            })
            .collect();
        // Every catalog title: a draft that names one the facts did not supply is rejected.
        let catalog_titles: Vec<String> = session
            .product_titles()?
            .into_iter()
            .filter_map(|(_, title, _)| title)
            .collect();
        let locales = session
            .contacts()?
            .into_iter()
            .map(|(id, locale, _)| (id, locale))
            .collect();
        let situation = session
            .rfm_scores()?
            .into_iter()
            .map(|s| {
                let days = s.recency_days.max(0.0).round().min(f64::from(u32::MAX)) as u32;
                let orders = u32::try_from(s.frequency).unwrap_or(u32::MAX);
                (s.customer_id.into_string(), (s.segment, days, orders))
            })
            .collect();
        // Recommendations from the trained behaviour model (`recur train`), when there is one.
        let recommender = if ws
            .root()
            .join(crate::recs::MODEL_DIR)
            .join("config.json")
            .exists()
        {
            let mut r = crate::recs::WorkspaceRecommender::open(ws)?;
            r.set_held_back(held_back.clone());
            Some(r)
        } else {
            None
        };
        let fallbacks = "best sellers of the customer's favourite category, else their own past purchases, else the shop's best sellers";
        let mut product_source = recommender.as_ref().map_or_else(
            || format!("{fallbacks} (no behaviour model trained)"),
            |r| {
                format!(
                    "the behaviour model's recommendations ({}), else {fallbacks}",
                    r.model_name()
                )
            },
        );
        if !held_back.is_empty() {
            let _ = write!(
                product_source,
                "; {} product(s) held back by their reviews left out",
                held_back.len()
            );
        }
        Ok(FactSource {
            shop: shop.trim().to_owned(),
            currency: currency.to_owned(),
            campaign: campaign.to_owned(),
            send_day,
            link: spec.link.clone(),
            favourites,
            by_category,
            past,
            shop_best,
            locales,
            situation,
            recommender,
            product_source,
            rules: Rules {
                catalog_titles,
                ..Rules::for_format(spec.format)
            },
        })
    }

    fn products(
        &self,
        customer: &str,
        favourite: Option<&String>,
    ) -> (Vec<ProductFact>, ProductSource) {
        let recommended: Vec<ProductFact> = self
            .recommender
            .as_ref()
            .and_then(|r| {
                r.recommend(customer, 10, recur_model::Exclude::Nothing)
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
                    .take(PRODUCTS)
                    .collect()
            })
            .unwrap_or_default();
        let candidates = [
            (Some(recommended), ProductSource::Recommended),
            (
                favourite.and_then(|c| self.by_category.get(c)).cloned(),
                ProductSource::FavouriteCategory,
            ),
            (
                self.past.get(customer).cloned(),
                ProductSource::PastPurchases,
            ),
            (Some(self.shop_best.clone()), ProductSource::ShopBestSellers),
        ];
        candidates
            .into_iter()
            .find_map(|(p, s)| p.filter(|p| !p.is_empty()).map(|p| (p, s)))
            .unwrap_or((Vec::new(), ProductSource::ShopBestSellers))
    }

    /// The facts of `customer`'s message with offer `offer`.
    pub(crate) fn facts(&self, customer: &str, offer: &OfferSpec) -> Facts {
        let favourite = self.favourites.get(customer);
        let (products, product_source) = self.products(customer, favourite);
        let situation = self.situation.get(customer);
        Facts {
            shop: self.shop.clone(),
            language: Language::of_locale(self.locales.get(customer).and_then(|l| l.as_deref())),
            currency: self.currency.clone(),
            products,
            favourite_category: favourite.cloned(),
            offer: Some(offer_fact(offer, &self.campaign, customer, self.send_day)),
            link: self.link.clone(),
            customer: CustomerContext {
                segment: situation.map(|s| s.0),
                days_since_last_order: situation.map(|s| s.1),
                orders: situation.map(|s| s.2),
                product_source,
            },
        }
    }
}
