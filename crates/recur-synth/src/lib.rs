//! A seeded synthetic shop: customers, a catalog, a year of orders, browsing, searches and
//! reviews, plus the ground truth that generated them (saved for later evaluation).
//!
//! The main entry point is [`generate`]; [`Shop::write`] writes the shop as the files a shop
//! would export (`catalog.csv`, `customers.csv`, `orders.csv`, `events.jsonl`, `reviews.csv`)
//! and `ground_truth.csv`.
//!
//! # Generative process
//!
//! * **Catalog**: ten categories, seven consumables with a replenishment cycle (coffee ~28
//!   days, pet food ~30, ..., vitamins ~60) and three durables (appliances, audio, furniture)
//!   that are not bought twice. Products have log-normal prices around the category median,
//!   Zipf-like popularity and a latent quality that drives review stars.
//! * **Customers** are acquired through the year, more in November and December. Each has a
//!   purchase rate `lambda ~ Gamma(1.2, 2.5)` per year and a dropout probability
//!   `p ~ Beta(1.2, 4)` after every purchase (the BG/NBD story), a category affinity drawn from
//!   a Dirichlet(0.6) and a locale (80 % `en`, 20 % `zh`).
//! * **Orders** arrive from two sources while the customer is alive: exploratory purchases, a
//!   Poisson process with rate `lambda x season(t)` (a peak before Christmas, a dip in summer,
//!   drawn by thinning), and **replenishments**: after buying a consumable, with probability
//!   0.65 the customer comes back after `cycle x LogNormal(0, 0.25)` days for the same
//!   product (80 %) or another of that category. Each purchase may end the relationship
//!   (probability `p`). 3 % of orders are cancelled and 2 % of lines returned.
//! * **Events**: every order comes with a session of views (and a search 35 % of the time)
//!   and add-to-cart events minutes before the purchase; customers also browse without buying,
//!   and anonymous sessions browse too.
//! * **Search-led purchases** make searches informative beyond the session they are in: with
//!   probability [`SynthConfig::search_led`] (0.6 by default) an exploratory purchase (not a
//!   replenishment) is announced by a search for its category, one of the category's phrases
//!   (`decaf coffee` before coffee), uniformly 7 to 90 days before it
//!   ([`SEARCH_LEAD_DAYS`]), in a session of its own (id `Q…`) with no product views, so the
//!   query is the only trace of the intent; none is made before the customer's acquisition
//!   (so the first order has none). Every such search is followed by a purchase in its
//!   category within 90 days. They are drawn from a generator of their own, so orders, the
//!   other events and the ground truth are the same with `search_led = 0`.
//! * **Reviews**: 15 % of purchased lines get a review 2-20 days later, stars around the
//!   product's quality, text in the customer's language.
//! * **Coupon sensitivity** (ground truth, `ground_truth.csv`): the change in the probability
//!   of buying within 30 days if offered a coupon. 45 % persuadables (+5 to +25 points), 30 %
//!   sure things and 15 % lost causes (0), 10 % sleeping dogs (-2 to -10 points).
//! * A handful of deliberately bad rows (a duplicate line, an unreadable date, a negative
//!   price) show the importer's quarantine and accounting; [`SynthConfig::bad_rows`] turns
//!   them off.
//!
//! ```
//! let shop = recur_synth::generate(&recur_synth::SynthConfig { customers: 50, ..Default::default() });
//! assert_eq!(shop.customers.len(), 50);
//! assert!(!shop.orders.is_empty());
//! ```

mod catalog;
mod generate;
mod write;

pub use catalog::{CATEGORIES, CategorySpec, Product};
pub use generate::{
    Customer, Event, GroundTruth, OrderLine, Review, SEARCH_LEAD_DAYS, Shop, SynthConfig, generate,
};
pub use write::{Error, ShopFiles};
