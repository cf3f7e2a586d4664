//! What a server answers from: a snapshot of a workspace (analytics, customer value, the
//! behaviour model, campaigns) held in memory, plus the live events that came after it.
//!
//! Building a [`ShopView`] runs the analyses once; answering from it is a map lookup (and,
//! for recommendations, one scoring of the customer's history). A part that cannot be
//! built (no orders yet, no trained model, no campaign) is left out and named in
//! [`ShopView::problems`]; the rest still serves.

use std::collections::HashMap;

use recur_analytics::{CustomerScore, Report};
use recur_campaign::{CustomerMessage, SendCounts};
use recur_core::{CustomerId, Group};
use recur_model::Exclude;
use serde::Serialize;

use crate::campaign::CampaignStore;
use crate::clv::{CustomerValue, WorkspaceValue, customer_value};
use crate::error::{Error, Result};
use crate::live::{LiveEvent, LiveKind};
use crate::recs::{
    CustomerRecommendations, MODEL_DIR, ModelSelection, RecommendedItem, WorkspaceRecommender,
};
use crate::workspace::Workspace;

/// Order lines kept per customer for the profile.
const LINES_PER_CUSTOMER: usize = 20;

/// One order line in a customer's history.
#[derive(Debug, Clone, Serialize)]
pub struct PurchaseLine {
    /// Order id.
    pub order_id: String,
    /// When (RFC 3339, UTC).
    pub ordered_at: String,
    /// Product id.
    pub product_id: String,
    /// Catalogue title, when known.
    pub title: Option<String>,
}

/// A campaign at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignSummary {
    /// Campaign id.
    pub id: String,
    /// When it was planned (RFC 3339).
    pub planned_at: String,
    /// Customers treated.
    pub treated: usize,
    /// Customers held out (the randomised control group).
    pub holdout: usize,
    /// Customers excluded (consent, caps).
    pub excluded: usize,
    /// Messages by state.
    pub sends: SendCounts,
}

/// Something the snapshot could not build, and why.
#[derive(Debug, Clone, Serialize)]
pub struct ViewProblem {
    /// Which part (`analytics`, `value`, `model`, `campaigns`).
    pub part: &'static str,
    /// The error, with what to do.
    pub message: String,
}

/// What a customer did since the snapshot (live events).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LiveActivity {
    /// Events since the snapshot.
    pub events: usize,
    /// Product views.
    pub views: usize,
    /// Searches.
    pub searches: usize,
    /// Add-to-cart events.
    pub carts: usize,
    /// Purchased lines.
    pub purchases: usize,
    /// Reviews.
    pub reviews: usize,
    /// Time of the latest (RFC 3339).
    pub last_event_at: Option<String>,
    /// The latest search texts, newest first (at most five).
    pub recent_searches: Vec<String>,
}

impl LiveActivity {
    /// Tallies live events.
    pub fn of(events: &[LiveEvent]) -> LiveActivity {
        let mut a = LiveActivity {
            events: events.len(),
            ..LiveActivity::default()
        };
        for e in events {
            match e.kind {
                LiveKind::View => a.views += 1,
                LiveKind::Search => a.searches += 1,
                LiveKind::AddToCart => a.carts += 1,
                LiveKind::Purchase => a.purchases += 1,
                LiveKind::Review => a.reviews += 1,
            }
        }
        a.last_event_at = events
            .iter()
            .map(|e| e.occurred_at)
            .max()
            .and_then(chrono::DateTime::from_timestamp_micros)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        a.recent_searches = events
            .iter()
            .rev()
            .filter_map(|e| e.search_text.clone())
            .take(5)
            .collect();
        a
    }
}

/// One customer: stored profile and live activity.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerView {
    /// Customer id.
    pub customer_id: CustomerId,
    /// RFM values, scores and segment (absent for a customer with no completed order).
    pub rfm: Option<CustomerScore>,
    /// Customer value (absent when the value models could not be fitted).
    pub value: Option<CustomerValue>,
    /// The category bought most.
    pub favourite_category: Option<String>,
    /// The latest order lines, newest first.
    pub recent_orders: Vec<PurchaseLine>,
    /// What happened since the snapshot.
    pub live: LiveActivity,
}

/// A customer's contact data (personal data: only for callers allowed to see it).
#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    /// Name.
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
}

/// A workspace's data as a server answers from it.
pub struct ShopView {
    through_seq: u64,
    built_at: String,
    report: Option<Report>,
    value: Option<WorkspaceValue>,
    value_index: HashMap<String, usize>,
    /// Indices into the values, most value at risk first.
    by_risk: Vec<usize>,
    scores: HashMap<String, CustomerScore>,
    favourites: HashMap<String, String>,
    contacts: HashMap<String, Contact>,
    orders: HashMap<String, Vec<PurchaseLine>>,
    recommender: Option<WorkspaceRecommender>,
    selection: Option<ModelSelection>,
    campaigns: Vec<CampaignSummary>,
    problems: Vec<ViewProblem>,
}

fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn campaigns_of(ws: &Workspace) -> Result<Vec<CampaignSummary>> {
    let store = match CampaignStore::open(ws) {
        Ok(s) => s,
        Err(Error::NoLedger { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for c in store.ledger.campaigns()? {
        let groups = store.ledger.assignments(&c.id)?;
        let count = |g: Group| groups.iter().filter(|a| a.group == g).count();
        out.push(CampaignSummary {
            treated: count(Group::Treated),
            holdout: count(Group::Holdout),
            excluded: count(Group::Excluded),
            sends: store.ledger.counts(&c.id)?,
            planned_at: rfc3339(c.created_at),
            id: c.id,
        });
    }
    Ok(out)
}

impl ShopView {
    /// Builds the snapshot of `ws`; `through_seq` is the last live event the stored tables
    /// hold. Parts that cannot be built are listed in [`ShopView::problems`].
    pub fn build(ws: &Workspace, through_seq: u64) -> ShopView {
        let mut problems = Vec::new();
        let note = |problems: &mut Vec<ViewProblem>, part: &'static str, e: &Error| {
            problems.push(ViewProblem {
                part,
                message: e.to_string(),
            });
        };
        let mut view = ShopView {
            through_seq,
            built_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            report: None,
            value: None,
            value_index: HashMap::new(),
            by_risk: Vec::new(),
            scores: HashMap::new(),
            favourites: HashMap::new(),
            contacts: HashMap::new(),
            orders: HashMap::new(),
            recommender: None,
            selection: None,
            campaigns: Vec::new(),
            problems: Vec::new(),
        };
        match ws.session().and_then(|s| {
            let report = s.report(&ws.analysis_options())?;
            let scores = s.rfm_scores()?;
            let favourites = s.favourite_categories()?;
            let lines = s.purchase_lines()?;
            let titles = s.product_titles()?;
            let contacts = s.recipients()?;
            Ok((report, scores, favourites, lines, titles, contacts))
        }) {
            Ok((report, scores, favourites, lines, titles, contacts)) => {
                view.contacts = contacts
                    .into_iter()
                    .map(|r| {
                        let contact = Contact {
                            name: r.name,
                            email: r.email,
                        };
                        (r.customer_id.into_string(), contact)
                    })
                    .collect();
                view.report = Some(report);
                view.scores = scores
                    .into_iter()
                    .map(|s| (s.customer_id.to_string(), s))
                    .collect();
                view.favourites = favourites.into_iter().collect();
                let titles: HashMap<String, Option<String>> =
                    titles.into_iter().map(|(p, t, _)| (p, t)).collect();
                for (customer, order_id, at, product_id) in lines.into_iter().rev() {
                    let kept = view.orders.entry(customer).or_default();
                    if kept.len() < LINES_PER_CUSTOMER {
                        kept.push(PurchaseLine {
                            order_id,
                            ordered_at: rfc3339(at),
                            title: titles.get(&product_id).cloned().flatten(),
                            product_id,
                        });
                    }
                }
            }
            Err(e) => note(&mut problems, "analytics", &e),
        }
        match customer_value(ws) {
            Ok(v) => {
                view.value_index = v
                    .customers
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.customer_id.to_string(), i))
                    .collect();
                let c = &v.customers;
                view.by_risk = (0..c.len()).collect();
                view.by_risk.sort_by(|&a, &b| {
                    c[b].value_at_risk
                        .total_cmp(&c[a].value_at_risk)
                        .then_with(|| c[a].customer_id.cmp(&c[b].customer_id))
                });
                view.value = Some(v);
            }
            Err(e) => note(&mut problems, "value", &e),
        }
        if ws.root().join(MODEL_DIR).join("config.json").exists() {
            match WorkspaceRecommender::open(ws) {
                Ok(r) => view.recommender = Some(r),
                Err(e) => note(&mut problems, "model", &e),
            }
            view.selection =
                std::fs::read_to_string(ws.root().join(MODEL_DIR).join("selection.json"))
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok());
        } else {
            problems.push(ViewProblem {
                part: "model",
                message: "no behaviour model trained yet; run `recur train` (or `recur demo`)"
                    .into(),
            });
        }
        match campaigns_of(ws) {
            Ok(c) => view.campaigns = c,
            Err(e) => note(&mut problems, "campaigns", &e),
        }
        view.problems = problems;
        view
    }

    /// The last live event the snapshot's tables hold.
    pub fn through_seq(&self) -> u64 {
        self.through_seq
    }

    /// When the snapshot was built (RFC 3339).
    pub fn built_at(&self) -> &str {
        &self.built_at
    }

    /// The analytics report.
    pub fn report(&self) -> Option<&Report> {
        self.report.as_ref()
    }

    /// Customer value of every customer and the fits.
    pub fn value(&self) -> Option<&WorkspaceValue> {
        self.value.as_ref()
    }

    /// The behaviour models' comparison and the one in use.
    pub fn model_selection(&self) -> Option<&ModelSelection> {
        self.selection.as_ref()
    }

    /// The model that ranks recommendations, when one is trained.
    pub fn model_name(&self) -> Option<&str> {
        self.recommender
            .as_ref()
            .map(WorkspaceRecommender::model_name)
    }

    /// Campaigns in the ledger.
    pub fn campaigns(&self) -> &[CampaignSummary] {
        &self.campaigns
    }

    /// Parts that could not be built.
    pub fn problems(&self) -> &[ViewProblem] {
        &self.problems
    }

    /// Customers the snapshot knows.
    pub fn customers(&self) -> usize {
        self.scores.len().max(self.value_index.len())
    }

    /// One customer, with `recent` (live events after the snapshot); `None` when neither
    /// the stored tables nor the live events know the id.
    pub fn customer(&self, customer: &str, recent: &[LiveEvent]) -> Option<CustomerView> {
        let rfm = self.scores.get(customer).cloned();
        let value = self
            .value_index
            .get(customer)
            .and_then(|&i| self.value.as_ref().map(|v| v.customers[i].clone()));
        let known = rfm.is_some()
            || value.is_some()
            || self.recommender.as_ref().is_some_and(|r| r.knows(customer));
        if !known && recent.is_empty() {
            return None;
        }
        Some(CustomerView {
            customer_id: customer.into(),
            rfm,
            value,
            favourite_category: self.favourites.get(customer).cloned(),
            recent_orders: self.orders.get(customer).cloned().unwrap_or_default(),
            live: LiveActivity::of(recent),
        })
    }

    /// The customer's contact data (personal data), from the customers table.
    pub fn contact(&self, customer: &str) -> Option<&Contact> {
        self.contacts.get(customer)
    }

    /// Customers ranked by value at risk (highest first), at most `limit`, optionally of
    /// one segment.
    pub fn at_risk(
        &self,
        segment: Option<recur_core::Segment>,
        limit: usize,
    ) -> Vec<CustomerValue> {
        let Some(v) = &self.value else {
            return Vec::new();
        };
        self.by_risk
            .iter()
            .map(|&i| &v.customers[i])
            .filter(|c| {
                segment.is_none_or(|s| {
                    self.scores
                        .get(c.customer_id.as_str())
                        .is_some_and(|r| r.segment == s)
                })
            })
            .take(limit)
            .cloned()
            .collect()
    }

    /// The top `k` products for a customer, scoring the stored history followed by
    /// `recent`. [`Error::NoModel`] when no model is trained.
    pub fn recommend(
        &self,
        customer: &str,
        recent: &[LiveEvent],
        k: usize,
        exclude: Exclude,
    ) -> Result<CustomerRecommendations> {
        self.recommender
            .as_ref()
            .ok_or(Error::NoModel)?
            .recommend_with(customer, recent, k, exclude)
    }

    /// Products similar to `product` (co-occurrence in customers' histories).
    pub fn similar(&self, product: &str, k: usize) -> Result<Vec<RecommendedItem>> {
        self.recommender
            .as_ref()
            .ok_or(Error::NoModel)?
            .similar(product, k)
    }
}

/// The customer's messages in the workspace's campaign ledger, newest first (none when no
/// campaign was planned).
pub fn customer_messages(
    ws: &Workspace,
    customer: &str,
    limit: usize,
) -> Result<Vec<CustomerMessage>> {
    match CampaignStore::open(ws) {
        Ok(store) => Ok(store.ledger.messages_to(customer, limit)?),
        Err(Error::NoLedger { .. }) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}
