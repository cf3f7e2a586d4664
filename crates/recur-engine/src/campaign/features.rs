//! What a plan records about each customer, and the offer as a message fact.

use recur_campaign::{OfferFact, OfferKind, OfferSpec};

use crate::clv::{CustomerValue, iso_day};

/// The customer features uplift models learn from, recorded with every plan.
pub(crate) const FEATURE_NAMES: [&str; 6] = [
    "p_alive",
    "clv",
    "recency_days",
    "orders",
    "revenue",
    "expected_spend",
];

/// [`FEATURE_NAMES`] as owned strings, as the uplift models and the ledger take them.
pub(crate) fn feature_names() -> Vec<String> {
    FEATURE_NAMES.iter().map(|s| (*s).to_owned()).collect()
}

/// A customer's [`FEATURE_NAMES`] from the value models and RFM scores.
pub(crate) fn customer_features(v: &CustomerValue, s: &recur_analytics::CustomerScore) -> [f64; 6] {
    [
        v.p_alive,
        v.clv_12m,
        s.recency_days,
        s.frequency as f64,
        s.monetary,
        v.expected_spend,
    ]
}

/// The offer as a message fact: its kind, the customer's code, and the last valid day
/// (`send_day` + the offer's validity; none for a message without incentive).
pub(crate) fn offer_fact(
    o: &OfferSpec,
    campaign: &str,
    customer: &str,
    send_day: i64,
) -> OfferFact {
    OfferFact {
        percent_off: o.percent,
        free_shipping: o.kind == OfferKind::FreeShipping,
        code: o.coupon_code(campaign, customer),
        expires: (o.kind != OfferKind::None).then(|| iso_day(send_day + i64::from(o.valid_days))),
    }
}
