use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Exp, Gamma, LogNormal};
use recur_core::{CustomerId, EventType, OrderStatus};

use crate::catalog::{ADJECTIVES, BRANDS, CATEGORIES, Product};

/// Generator settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    /// Seed of every random choice.
    pub seed: u64,
    /// Number of customers.
    pub customers: usize,
    /// Number of products.
    pub products: usize,
    /// First day of the simulated year.
    pub start: NaiveDate,
    /// Length of the simulation in days.
    pub days: i64,
    /// Anonymous browsing sessions.
    pub anonymous_sessions: usize,
    /// Whether to add a few deliberately bad rows to the exported files.
    pub bad_rows: bool,
    /// Probability that an exploratory purchase (after the first) is announced by a search
    /// for its category [`SEARCH_LEAD_DAYS`] before it, in a session of its own (0: none).
    /// Drawn from a generator of its own, so orders and other events do not depend on it.
    pub search_led: f64,
}

/// How long before the purchase it announces a search-led purchase's search comes: uniform
/// between these days.
pub const SEARCH_LEAD_DAYS: std::ops::Range<f64> = 7.0..90.0;

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            seed: 42,
            customers: 5_000,
            products: 300,
            start: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
            days: 365,
            anonymous_sessions: 3_000,
            bad_rows: true,
            search_led: 0.6,
        }
    }
}

/// A synthetic customer (with synthetic personal data).
#[derive(Debug, Clone)]
pub struct Customer {
    /// Id (`C00001`).
    pub id: String,
    /// Full name (personal data).
    pub name: String,
    /// E-mail (personal data).
    pub email: String,
    /// Country.
    pub country: String,
    /// `en` or `zh`.
    pub locale: String,
    /// Account creation.
    pub signup_at: DateTime<Utc>,
    /// Marketing consent.
    pub email_consent: bool,
}

/// The hidden parameters of one customer.
#[derive(Debug, Clone)]
pub struct GroundTruth {
    /// Customer id.
    pub customer_id: CustomerId,
    /// Exploratory purchase rate per year.
    pub lambda_per_year: f64,
    /// Dropout probability after each purchase.
    pub dropout_p: f64,
    /// When the customer became inactive (None: still alive at the end).
    pub churned_at: Option<DateTime<Utc>>,
    /// `persuadable`, `sure_thing`, `lost_cause` or `sleeping_dog`.
    pub coupon_type: &'static str,
    /// Change in the probability of buying within 30 days when offered a coupon.
    pub coupon_uplift: f64,
    /// Favourite category (largest affinity).
    pub favourite_category: String,
}

/// One order line.
#[derive(Debug, Clone)]
pub struct OrderLine {
    /// Order id.
    pub order_id: String,
    /// Customer id.
    pub customer_id: CustomerId,
    /// Order time.
    pub ordered_at: DateTime<Utc>,
    /// Product index.
    pub product: usize,
    /// Quantity.
    pub quantity: i64,
    /// Unit price.
    pub unit_price: f64,
    /// completed, cancelled or returned.
    pub status: OrderStatus,
}

/// One behaviour event.
#[derive(Debug, Clone)]
pub struct Event {
    /// Customer id (None for anonymous sessions).
    pub customer_id: Option<CustomerId>,
    /// Session id.
    pub session_id: String,
    /// Time.
    pub at: DateTime<Utc>,
    /// view, search, add_to_cart or purchase.
    pub kind: EventType,
    /// Product index.
    pub product: Option<usize>,
    /// Search text.
    pub search: Option<String>,
}

/// One review.
#[derive(Debug, Clone)]
pub struct Review {
    /// Customer id.
    pub customer_id: CustomerId,
    /// Product index.
    pub product: usize,
    /// Stars.
    pub rating: i64,
    /// Text.
    pub text: String,
    /// Time.
    pub at: DateTime<Utc>,
    /// Language.
    pub language: String,
}

/// A generated shop.
#[derive(Debug, Clone)]
pub struct Shop {
    /// Settings used.
    pub config: SynthConfig,
    /// Products.
    pub products: Vec<Product>,
    /// Customers.
    pub customers: Vec<Customer>,
    /// Hidden parameters per customer.
    pub truth: Vec<GroundTruth>,
    /// Order lines in time order.
    pub orders: Vec<OrderLine>,
    /// Events in time order.
    pub events: Vec<Event>,
    /// Reviews.
    pub reviews: Vec<Review>,
}

const FIRST: &[&str] = &[
    "Alex", "Sam", "Maria", "Li", "Wei", "Emma", "Noah", "Olivia", "Chen", "Lucas", "Mia", "Hana",
    "Omar", "Sofia", "Jun", "Ava",
];
const LAST: &[&str] = &[
    "Smith", "Wang", "Garcia", "Zhang", "Brown", "Liu", "Müller", "Chen", "Taylor", "Kim", "Rossi",
    "Silva",
];
const COUNTRIES: &[&str] = &["US", "GB", "DE", "FR", "CA", "AU"];

fn season(day_of_year: u32) -> f64 {
    let d = f64::from(day_of_year);
    let xmas = (-((d - 335.0) / 22.0).powi(2)).exp();
    let summer = (-((d - 200.0) / 30.0).powi(2)).exp();
    1.0 + 0.9 * xmas - 0.3 * summer
}

fn pick_weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

fn products(rng: &mut ChaCha8Rng, n: usize) -> Vec<Product> {
    (0..n)
        .map(|i| {
            let category = i % CATEGORIES.len();
            let spec = &CATEGORIES[category];
            let noun = spec.nouns[(i / CATEGORIES.len()) % spec.nouns.len()];
            let adj = ADJECTIVES[rng.random_range(0..ADJECTIVES.len())];
            let brand = BRANDS[rng.random_range(0..BRANDS.len())];
            let price_noise: f64 = LogNormal::new(0.0, 0.35)
                .map(|d| d.sample(rng))
                .unwrap_or(1.0);
            let price = ((spec.median_price * price_noise).round() - 0.01).max(0.99);
            let rank = (i / CATEGORIES.len()) as f64 + 1.0;
            Product {
                id: format!("P{:04}", i + 1),
                title: format!("{brand} {adj} {noun}"),
                description: format!(
                    "{adj} {} by {brand}. {}",
                    noun.to_lowercase(),
                    if spec.consumable {
                        "Runs out; most customers reorder it."
                    } else {
                        "Built to last for years."
                    }
                ),
                category,
                brand: brand.to_owned(),
                price,
                popularity: 1.0 / rank.powf(0.8),
                quality: (4.1 + 0.5 * (rng.random::<f64>() - 0.5) * 2.0).clamp(2.5, 4.9),
            }
        })
        .collect()
}

struct Sim<'a> {
    rng: ChaCha8Rng,
    products: &'a [Product],
    by_category: Vec<Vec<usize>>,
    end: DateTime<Utc>,
    orders: Vec<OrderLine>,
    events: Vec<Event>,
    reviews: Vec<Review>,
    next_order: u64,
    next_session: u64,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    Explore,
    Replenish(usize),
}

impl Sim<'_> {
    fn product_in(&mut self, category: usize) -> usize {
        let ids = &self.by_category[category];
        let w: Vec<f64> = ids.iter().map(|&p| self.products[p].popularity).collect();
        let i = pick_weighted(&mut self.rng, &w);
        self.by_category[category][i]
    }

    fn session(&mut self) -> String {
        self.next_session += 1;
        format!("S{:07}", self.next_session)
    }

    fn browse(
        &mut self,
        customer: Option<&str>,
        at: DateTime<Utc>,
        category: usize,
        buy: &[usize],
    ) -> DateTime<Utc> {
        let session = self.session();
        let mut t = at;
        let cust = customer.map(str::to_owned);
        if self.rng.random::<f64>() < 0.35 {
            let s = CATEGORIES[category].searches;
            let q = s[self.rng.random_range(0..s.len())].to_owned();
            self.events.push(Event {
                customer_id: cust.clone().map(Into::into),
                session_id: session.clone(),
                at: t,
                kind: EventType::Search,
                product: None,
                search: Some(q),
            });
            t += Duration::seconds(self.rng.random_range(5..60));
        }
        let views = self.rng.random_range(1..5);
        for _ in 0..views {
            let p = self.product_in(category);
            self.events.push(Event {
                customer_id: cust.clone().map(Into::into),
                session_id: session.clone(),
                at: t,
                kind: EventType::View,
                product: Some(p),
                search: None,
            });
            t += Duration::seconds(self.rng.random_range(10..180));
        }
        for &p in buy {
            self.events.push(Event {
                customer_id: cust.clone().map(Into::into),
                session_id: session.clone(),
                at: t,
                kind: EventType::View,
                product: Some(p),
                search: None,
            });
            t += Duration::seconds(self.rng.random_range(10..120));
            self.events.push(Event {
                customer_id: cust.clone().map(Into::into),
                session_id: session.clone(),
                at: t,
                kind: EventType::AddToCart,
                product: Some(p),
                search: None,
            });
            t += Duration::seconds(self.rng.random_range(5..60));
        }
        t
    }

    fn order(&mut self, c: &Customer, at: DateTime<Utc>, lines: &[(usize, i64)], category: usize) {
        let buy: Vec<usize> = lines.iter().map(|l| l.0).collect();
        let paid_at = self.browse(Some(&c.id), at, category, &buy);
        self.next_order += 1;
        let order_id = format!("O{:07}", self.next_order);
        let cancelled = self.rng.random::<f64>() < 0.03;
        for &(p, q) in lines {
            let status = if cancelled {
                OrderStatus::Cancelled
            } else if self.rng.random::<f64>() < 0.02 {
                OrderStatus::Returned
            } else {
                OrderStatus::Completed
            };
            self.orders.push(OrderLine {
                order_id: order_id.clone(),
                customer_id: c.id.clone().into(),
                ordered_at: paid_at,
                product: p,
                quantity: q,
                unit_price: self.products[p].price,
                status,
            });
            if status == OrderStatus::Completed {
                if let Some(last) = self.events.last() {
                    let session_id = last.session_id.clone();
                    self.events.push(Event {
                        customer_id: Some(c.id.clone().into()),
                        session_id,
                        at: paid_at,
                        kind: EventType::Purchase,
                        product: Some(p),
                        search: None,
                    });
                }
                if self.rng.random::<f64>() < 0.15 {
                    self.review(c, p, paid_at);
                }
            }
        }
    }

    fn review(&mut self, c: &Customer, p: usize, at: DateTime<Utc>) {
        let q = self.products[p].quality;
        let rating = (q + (self.rng.random::<f64>() - 0.5) * 2.4)
            .round()
            .clamp(1.0, 5.0) as i64;
        let title = &self.products[p].title;
        let text = if c.locale == "zh" {
            match rating {
                5 => "非常满意，质量很好，会再买。".to_owned(),
                4 => "不错，物流很快，性价比高。".to_owned(),
                3 => "一般般，和描述差不多。".to_owned(),
                _ => "不太满意，包装破损，质量一般。".to_owned(),
            }
        } else {
            match rating {
                5 => format!("Love the {title}. Will buy again."),
                4 => format!("Good {title}, fast delivery."),
                3 => format!("The {title} is okay, nothing special."),
                _ => format!("Disappointed with the {title}; arrived damaged."),
            }
        };
        let at = at + Duration::days(self.rng.random_range(2..21));
        if at < self.end {
            self.reviews.push(Review {
                customer_id: c.id.clone().into(),
                product: p,
                rating,
                text,
                at,
                language: c.locale.clone(),
            });
        }
    }
}

/// Generates a shop. The same config (seed included) always gives the same shop.
pub fn generate(config: &SynthConfig) -> Shop {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let products = products(&mut rng, config.products.max(CATEGORIES.len()));
    let mut by_category = vec![Vec::new(); CATEGORIES.len()];
    for (i, p) in products.iter().enumerate() {
        by_category[p.category].push(i);
    }
    let start = config
        .start
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let end = start + Duration::days(config.days);
    let mut sim = Sim {
        rng,
        products: &products,
        by_category,
        end,
        orders: Vec::new(),
        events: Vec::new(),
        reviews: Vec::new(),
        next_order: 0,
        next_session: 0,
    };
    let gamma: Option<Gamma<f64>> = Gamma::new(1.2, 2.5).ok();
    let beta: Option<Beta<f64>> = Beta::new(1.2, 4.0).ok();
    let aff: Option<Gamma<f64>> = Gamma::new(0.6, 1.0).ok();
    let cycle_noise: Option<LogNormal<f64>> = LogNormal::new(0.0, 0.25).ok();
    let day_weights: Vec<f64> = (0..config.days)
        .map(|d| season(((start + Duration::days(d)).ordinal0()) % 366))
        .collect();
    // Search-led purchases draw from a stream of their own (see `SynthConfig::search_led`).
    let mut intent_rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x5EA2_C11E_D000_0001);
    let mut search_sessions = 0u64;
    let mut customers = Vec::with_capacity(config.customers);
    let mut truth = Vec::with_capacity(config.customers);
    for i in 0..config.customers {
        let rng = &mut sim.rng;
        let id = format!("C{:05}", i + 1);
        let first = FIRST[rng.random_range(0..FIRST.len())];
        let last = LAST[rng.random_range(0..LAST.len())];
        let locale = if rng.random::<f64>() < 0.2 {
            "zh"
        } else {
            "en"
        };
        let acquired_day = pick_weighted(rng, &day_weights) as i64;
        let acquired = start
            + Duration::days(acquired_day)
            + Duration::minutes(rng.random_range(8 * 60..23 * 60));
        let c = Customer {
            id: id.clone(),
            name: format!("{first} {last}"),
            email: format!(
                "{}.{}{}@example.com",
                first.to_lowercase(),
                last.to_lowercase().replace('ü', "ue"),
                i + 1
            ),
            country: if locale == "zh" {
                "CN".to_owned()
            } else {
                COUNTRIES[rng.random_range(0..COUNTRIES.len())].to_owned()
            },
            locale: locale.to_owned(),
            signup_at: acquired - Duration::days(rng.random_range(0..30)),
            email_consent: rng.random::<f64>() < 0.85,
        };
        let lambda = gamma.map_or(3.0, |g| g.sample(rng));
        let dropout = beta.map_or(0.2, |b| b.sample(rng));
        let affinity: Vec<f64> = (0..CATEGORIES.len())
            .map(|_| aff.map_or(1.0, |g| g.sample(rng)) + 1e-6)
            .collect();
        let fav = affinity
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |x| x.0);
        let u: f64 = rng.random();
        let (coupon_type, coupon_uplift) = if u < 0.45 {
            ("persuadable", rng.random_range(0.05..0.25))
        } else if u < 0.75 {
            ("sure_thing", 0.0)
        } else if u < 0.90 {
            ("lost_cause", 0.0)
        } else {
            ("sleeping_dog", -rng.random_range(0.02..0.10))
        };
        // Event queue of purchase opportunities; the first purchase happens at acquisition.
        let mut queue: BinaryHeap<Reverse<(i64, Due)>> = BinaryHeap::new();
        queue.push(Reverse((acquired.timestamp(), Due::Explore)));
        let mut owned_durables = vec![false; CATEGORIES.len()];
        let mut churned_at = None;
        let mut first_order = true;
        while let Some(Reverse((ts, due))) = queue.pop() {
            let Some(at) = DateTime::from_timestamp(ts, 0) else {
                break;
            };
            if at >= end {
                break;
            }
            let (category, lines) = {
                let rng = &mut sim.rng;
                match due {
                    Due::Replenish(p) => {
                        let cat = products[p].category;
                        let q = rng.random_range(1..3);
                        (cat, vec![(p, q)])
                    }
                    Due::Explore => {
                        let w: Vec<f64> = affinity
                            .iter()
                            .enumerate()
                            .map(|(k, a)| if owned_durables[k] { 0.0 } else { *a })
                            .collect();
                        let cat = pick_weighted(rng, &w);
                        let mut lines = Vec::new();
                        let n_lines = 1
                            + usize::from(rng.random::<f64>() < 0.3)
                            + usize::from(rng.random::<f64>() < 0.1);
                        let mut cats = vec![cat];
                        for _ in 1..n_lines {
                            let k = pick_weighted(rng, &w);
                            if !cats.contains(&k) {
                                cats.push(k);
                            }
                        }
                        for k in cats {
                            lines.push((
                                k,
                                if CATEGORIES[k].consumable {
                                    rng.random_range(1..3)
                                } else {
                                    1
                                },
                            ));
                        }
                        (cat, lines)
                    }
                }
            };
            let lines: Vec<(usize, i64)> = match due {
                Due::Replenish(_) => lines,
                Due::Explore => lines
                    .into_iter()
                    .map(|(k, q)| (sim.product_in(k), q))
                    .collect(),
            };
            if matches!(due, Due::Explore) && intent_rng.random::<f64>() < config.search_led {
                let lead = intent_rng.random_range(SEARCH_LEAD_DAYS);
                let queries = CATEGORIES[category].searches;
                let q = queries[intent_rng.random_range(0..queries.len())];
                let searched_at = at - Duration::seconds((lead * 86_400.0) as i64);
                if searched_at > acquired {
                    search_sessions += 1;
                    sim.events.push(Event {
                        customer_id: Some(c.id.clone().into()),
                        session_id: format!("Q{search_sessions:07}"),
                        at: searched_at,
                        kind: EventType::Search,
                        product: None,
                        search: Some(q.to_owned()),
                    });
                }
            }
            sim.order(&c, at, &lines, category);
            let rng = &mut sim.rng;
            for &(p, _) in &lines {
                let spec = &CATEGORIES[products[p].category];
                if spec.consumable {
                    if rng.random::<f64>() < 0.65 {
                        let days = spec.cycle_days * cycle_noise.map_or(1.0, |d| d.sample(rng));
                        let next = if rng.random::<f64>() < 0.8 {
                            p
                        } else {
                            products.len() + products[p].category
                        };
                        let due_at = ts + (days * 86_400.0) as i64;
                        if next < products.len() {
                            queue.push(Reverse((due_at, Due::Replenish(next))));
                        } else {
                            let cat = next - products.len();
                            let alt = sim.by_category[cat]
                                [rng.random_range(0..sim.by_category[cat].len())];
                            queue.push(Reverse((due_at, Due::Replenish(alt))));
                        }
                    }
                } else {
                    owned_durables[products[p].category] = true;
                }
            }
            if matches!(due, Due::Explore) || first_order {
                // Next exploratory purchase by thinning a seasonal Poisson process.
                let rate_max = lambda * 1.9 / 365.0;
                let mut t = ts;
                if let Ok(exp) = Exp::new(rate_max.max(1e-9)) {
                    loop {
                        t += (exp.sample(rng) * 86_400.0) as i64;
                        let Some(d) = DateTime::from_timestamp(t, 0) else {
                            break;
                        };
                        if d >= end || rng.random::<f64>() < season(d.ordinal0()) / 1.9 {
                            break;
                        }
                    }
                }
                queue.push(Reverse((t, Due::Explore)));
            }
            first_order = false;
            if rng.random::<f64>() < dropout {
                churned_at = Some(at);
                break;
            }
        }
        // Browsing without buying while alive.
        let alive_until = churned_at.unwrap_or(end);
        let alive_days = (alive_until - acquired).num_days().max(0);
        let browses = ((alive_days as f64 / 30.0) * 0.8).round() as usize;
        for _ in 0..browses {
            let day = sim.rng.random_range(0..=alive_days);
            let at =
                acquired + Duration::days(day) + Duration::minutes(sim.rng.random_range(0..600));
            if at < end {
                let cat = pick_weighted(&mut sim.rng, &affinity);
                sim.browse(Some(&c.id), at, cat, &[]);
            }
        }
        truth.push(GroundTruth {
            customer_id: id.into(),
            lambda_per_year: lambda,
            dropout_p: dropout,
            churned_at,
            coupon_type,
            coupon_uplift,
            favourite_category: CATEGORIES[fav].path.to_owned(),
        });
        customers.push(c);
    }
    for _ in 0..config.anonymous_sessions {
        let day = sim.rng.random_range(0..config.days);
        let at = start + Duration::days(day) + Duration::minutes(sim.rng.random_range(0..1440));
        let cat = sim.rng.random_range(0..CATEGORIES.len());
        sim.browse(None, at, cat, &[]);
    }
    let Sim {
        mut orders,
        mut events,
        mut reviews,
        ..
    } = sim;
    orders.sort_by(|a, b| (a.ordered_at, &a.order_id).cmp(&(b.ordered_at, &b.order_id)));
    events.sort_by(|a, b| (a.at, &a.session_id).cmp(&(b.at, &b.session_id)));
    reviews.sort_by(|a, b| (a.at, &a.customer_id).cmp(&(b.at, &b.customer_id)));
    Shop {
        config: config.clone(),
        products,
        customers,
        truth,
        orders,
        events,
        reviews,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn small() -> SynthConfig {
        SynthConfig {
            customers: 300,
            anonymous_sessions: 50,
            ..SynthConfig::default()
        }
    }

    #[test]
    fn same_seed_same_shop() {
        let a = generate(&small());
        let b = generate(&small());
        assert_eq!(a.orders.len(), b.orders.len());
        assert_eq!(
            a.orders.last().map(|o| o.ordered_at),
            b.orders.last().map(|o| o.ordered_at)
        );
        let c = generate(&SynthConfig { seed: 7, ..small() });
        assert_ne!(a.orders.len(), c.orders.len());
    }

    #[test]
    fn consumables_come_back_durables_do_not() {
        let shop = generate(&small());
        let mut bought: BTreeMap<(String, usize), u32> = BTreeMap::new();
        for o in shop
            .orders
            .iter()
            .filter(|o| o.status == OrderStatus::Completed)
        {
            *bought
                .entry((o.customer_id.to_string(), shop.products[o.product].category))
                .or_default() += 1;
        }
        let repeat_share = |consumable: bool| {
            let v: Vec<u32> = bought
                .iter()
                .filter(|((_, k), _)| CATEGORIES[*k].consumable == consumable)
                .map(|(_, n)| *n)
                .collect();
            v.iter().filter(|n| **n >= 2).count() as f64 / v.len().max(1) as f64
        };
        assert!(
            repeat_share(true) > 0.25,
            "consumables: {}",
            repeat_share(true)
        );
        assert!(
            repeat_share(false) < 0.05,
            "durables: {}",
            repeat_share(false)
        );
    }

    #[test]
    fn searches_announce_purchases_in_their_category() {
        let shop = generate(&small());
        let category_of = |q: &str| CATEGORIES.iter().position(|c| c.searches.contains(&q));
        // Search-led sessions (`Q…`): a purchase in the searched category follows within the
        // lead time, every time; orders do not depend on them.
        let led: Vec<&Event> = shop
            .events
            .iter()
            .filter(|e| e.session_id.starts_with('Q'))
            .collect();
        assert!(led.len() > 50, "{} search-led searches", led.len());
        let followed = |e: &Event| {
            let k = e.search.as_deref().and_then(category_of);
            shop.orders.iter().any(|o| {
                Some(&o.customer_id) == e.customer_id.as_ref()
                    && Some(shop.products[o.product].category) == k
                    && o.ordered_at > e.at
                    && o.ordered_at <= e.at + Duration::days(SEARCH_LEAD_DAYS.end as i64 + 1)
            })
        };
        assert!(led.iter().all(|e| followed(e)));
        assert!(
            led.iter()
                .all(|e| e.kind == EventType::Search && e.product.is_none())
        );
        let without = generate(&SynthConfig {
            search_led: 0.0,
            ..small()
        });
        assert_eq!(without.orders.len(), shop.orders.len());
        assert_eq!(without.events.len() + led.len(), shop.events.len());
        assert!(
            without
                .events
                .iter()
                .all(|e| !e.session_id.starts_with('Q'))
        );
    }

    #[test]
    fn events_and_truth_cover_customers() {
        let shop = generate(&small());
        assert_eq!(shop.truth.len(), 300);
        assert!(shop.events.iter().any(|e| e.kind == EventType::Search));
        assert!(shop.events.iter().any(|e| e.customer_id.is_none()));
        assert!(
            shop.truth
                .iter()
                .any(|t| t.coupon_type == "sleeping_dog" && t.coupon_uplift < 0.0)
        );
        assert!(
            shop.orders
                .iter()
                .all(|o| o.ordered_at >= shop.orders[0].ordered_at)
        );
    }
}
