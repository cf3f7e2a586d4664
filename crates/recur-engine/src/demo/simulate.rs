//! The demo's simulated customers: what each would do with and without each offer, from the
//! synthetic shop's ground truth.

use std::collections::{BTreeMap, HashMap};

use recur_campaign::{
    Assignment, CampaignSpec, Candidate, Language, OfferKind, OfferSpec, Outcome, Plan, holdout_key,
};

use recur_core::OrderStatus;

use crate::campaign::customer_features;
use crate::clv::WorkspaceValue;

/// Gross margin assumed for profit in the demo.
pub(super) const DEMO_MARGIN: f64 = 0.4;

/// A simulated round: the observed outcomes and the truth behind them.
pub(super) struct Simulated {
    /// Observed outcome of every treated and held-out customer.
    pub(super) outcomes: Vec<Outcome>,
    /// True incremental purchasers among the treated (sum of their true uplifts).
    pub(super) true_incremental_purchasers: f64,
    /// True incremental profit after offer cost among the treated.
    pub(super) true_incremental_profit: f64,
}

/// Per-customer facts the demo campaign needs.
pub(super) struct DemoCustomer {
    /// The customer as the planner sees them.
    pub(super) candidate: Candidate,
    /// Their values of the features plans record (`p_alive`, `clv`, ...).
    pub(super) features: [f64; 6],
    /// First name for the message.
    pub(super) first_name: String,
    /// E-mail address.
    pub(super) email: String,
    /// P(purchase within the goal) without any offer: the simulation's truth.
    pub(super) p0: f64,
    /// P(purchase within the goal) with each offer (in the spec's order).
    pub(super) p1: Vec<f64>,
    /// Uniform draw shared by both potential outcomes (common random numbers).
    pub(super) u: f64,
    /// Favourite category (index into the synthetic shop's categories).
    pub(super) favourite: Option<usize>,
}

/// How much of a 20 % coupon's effect an offer carries.
fn offer_strength(o: &OfferSpec) -> f64 {
    // Simulation assumption: the ground truth's coupon uplift is the effect of a 20 % coupon;
    // weaker offers carry part of it.
    match o.kind {
        OfferKind::None => 0.25,
        OfferKind::FreeShipping => 0.6,
        OfferKind::PercentOff => (o.percent.unwrap_or(0.0) / 20.0).min(1.0),
    }
}

/// Simulates the goal window of a planned round: each treated customer buys with the
/// probability their offer gives them, each held-out customer with their baseline probability,
/// from a draw shared by both potential outcomes and shifted by `seed` per round.
pub(super) fn simulate(
    customers: &[DemoCustomer],
    plan: &Plan,
    spec: &CampaignSpec,
    seed: u64,
) -> Simulated {
    let mut outcomes = Vec::new();
    let (mut true_purchasers, mut true_profit) = (0.0, 0.0);
    for (c, p) in customers.iter().zip(&plan.customers) {
        let value = c.candidate.order_value;
        let u = (c.u + (seed as f64) * 0.618_033_988_749_894_9).fract();
        let (prob, cost) = match p.assignment {
            Assignment::Treated { offer, .. } => {
                let o = &spec.offers[offer];
                let p1 = c.p1[offer];
                true_purchasers += p1 - c.p0;
                true_profit += (p1 - c.p0) * value * DEMO_MARGIN - p1 * o.redemption_cost(value);
                (p1, o.redemption_cost(value))
            }
            Assignment::Holdout => (c.p0, 0.0),
            Assignment::Excluded { .. } => continue,
        };
        let purchased = u < prob;
        outcomes.push(Outcome {
            customer_id: c.candidate.customer_id.clone(),
            purchased,
            revenue: if purchased { value } else { 0.0 },
            offer_cost: if purchased { cost } else { 0.0 },
        });
    }
    Simulated {
        outcomes,
        true_incremental_purchasers: true_purchasers,
        true_incremental_profit: true_profit,
    }
}

/// The demo's customers with their simulated truth, and each category's two best sellers.
pub(super) struct ShopCustomers {
    /// Every valued customer with an RFM score and a ground truth, in value order.
    pub(super) customers: Vec<DemoCustomer>,
    /// Category index → its two best-selling products (indices into the shop's products).
    pub(super) best_sellers: BTreeMap<usize, Vec<usize>>,
}

/// Joins the value models, the RFM scores and the synthetic shop's people and ground truth into
/// the demo's customers: P(purchase within the goal) without an offer from the true purchase
/// rate (zero for churned customers), with each offer from the true coupon sensitivity.
pub(super) fn shop_customers(
    shop: &recur_synth::Shop,
    value: &WorkspaceValue,
    scores: &[recur_analytics::CustomerScore],
    spec: &CampaignSpec,
) -> ShopCustomers {
    let rfm: HashMap<&str, _> = scores.iter().map(|s| (s.customer_id.as_str(), s)).collect();
    let people: HashMap<&str, &recur_synth::Customer> =
        shop.customers.iter().map(|c| (c.id.as_str(), c)).collect();
    let truth: HashMap<&str, &recur_synth::GroundTruth> = shop
        .truth
        .iter()
        .map(|t| (t.customer_id.as_str(), t))
        .collect();
    // Favourite category from each customer's own orders, and best sellers per category.
    let mut cat_counts: HashMap<&str, BTreeMap<usize, u32>> = HashMap::new();
    let mut sold: BTreeMap<usize, BTreeMap<usize, u32>> = BTreeMap::new();
    for l in shop
        .orders
        .iter()
        .filter(|l| l.status == OrderStatus::Completed)
    {
        let cat = shop.products[l.product].category;
        *cat_counts
            .entry(&l.customer_id)
            .or_default()
            .entry(cat)
            .or_default() += 1;
        *sold.entry(cat).or_default().entry(l.product).or_default() += 1;
    }
    let best_sellers: BTreeMap<usize, Vec<usize>> = sold
        .into_iter()
        .map(|(cat, counts)| {
            let mut v: Vec<(usize, u32)> = counts.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            (cat, v.into_iter().take(2).map(|(p, _)| p).collect())
        })
        .collect();
    let goal_years = f64::from(spec.goal_days) / 365.0;
    let mut customers = Vec::new();
    for v in &value.customers {
        let id = v.customer_id.as_str();
        let (Some(s), Some(p), Some(t)) = (rfm.get(id), people.get(id), truth.get(id)) else {
            continue;
        };
        let favourite = cat_counts
            .get(id)
            .and_then(|m| m.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))))
            .map(|(c, _)| *c);
        let p0 = if t.churned_at.is_none() {
            1.0 - (-t.lambda_per_year * goal_years).exp()
        } else {
            0.0
        };
        let p1 = spec
            .offers
            .iter()
            .map(|o| (p0 + t.coupon_uplift * offer_strength(o)).clamp(0.0, 1.0))
            .collect();
        let u = (holdout_key("demo-outcomes", id) >> 11) as f64 / (1u64 << 53) as f64;
        customers.push(DemoCustomer {
            candidate: Candidate {
                customer_id: v.customer_id.clone(),
                segment: s.segment,
                p_alive: v.p_alive,
                clv: v.clv_12m,
                days_since_last_order: s.recency_days.max(0.0) as u32,
                favourite_category: favourite.map(|c| recur_synth::CATEGORIES[c].path.to_owned()),
                language: if p.locale.starts_with("zh") {
                    Language::Zh
                } else {
                    Language::En
                },
                country: Some(p.country.clone()),
                groups: Default::default(),
                consent: p.email_consent,
                days_since_last_message: None,
                order_value: v.expected_spend,
            },
            features: customer_features(v, s),
            first_name: p.name.split_whitespace().next().unwrap_or("").to_owned(),
            email: p.email.clone(),
            p0,
            p1,
            u,
            favourite,
        });
    }
    ShopCustomers {
        customers,
        best_sellers,
    }
}
