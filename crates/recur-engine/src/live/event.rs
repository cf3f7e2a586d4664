//! One live event: what a shop's site posts, validated before it is logged.

use recur_core::CustomerId;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Longest id (customer, product, order) accepted, in bytes.
pub const MAX_ID_BYTES: usize = 200;
/// Longest free text (search, review) accepted, in bytes.
pub const MAX_TEXT_BYTES: usize = 10_000;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveKind {
    /// A product page was viewed.
    View,
    /// A search.
    Search,
    /// A product went into the cart.
    AddToCart,
    /// A product was bought (one order line).
    Purchase,
    /// A product was reviewed.
    Review,
}

impl LiveKind {
    /// The name in the API and the log.
    pub fn as_str(self) -> &'static str {
        match self {
            LiveKind::View => "view",
            LiveKind::Search => "search",
            LiveKind::AddToCart => "add_to_cart",
            LiveKind::Purchase => "purchase",
            LiveKind::Review => "review",
        }
    }
}

/// A validated live event, as logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveEvent {
    /// What happened.
    pub kind: LiveKind,
    /// Who did it.
    pub customer_id: CustomerId,
    /// The product (every kind but search).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    /// When, in Unix microseconds (UTC).
    pub occurred_at: i64,
    /// Search text (search).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_text: Option<String>,
    /// Anonymous session id, when the site has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Order id (purchase; lines of one order share it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Units (purchase; default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    /// Price of one unit (purchase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<f64>,
    /// ISO 4217 currency (purchase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Stars 1-5 (review).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    /// Review text (review).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_text: Option<String>,
}

fn bad(field: &str, message: impl Into<String>) -> Error {
    Error::BadEvent {
        field: field.to_owned(),
        message: message.into(),
    }
}

fn check_id(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(bad(field, "is empty; give the shop's id"));
    }
    if value.len() > MAX_ID_BYTES {
        return Err(bad(
            field,
            format!("is longer than {MAX_ID_BYTES} bytes; ids are short codes"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(bad(field, "holds control characters; ids are printable"));
    }
    Ok(())
}

fn check_text(field: &str, value: &str) -> Result<()> {
    if value.len() > MAX_TEXT_BYTES {
        return Err(bad(
            field,
            format!("is longer than {MAX_TEXT_BYTES} bytes; shorten it"),
        ));
    }
    Ok(())
}

/// Earliest and latest instants accepted (1970 to 2200), in Unix microseconds: the stores
/// and analytics handle every instant in between.
const EARLIEST_MICROS: i64 = 0;
const LATEST_MICROS: i64 = 7_258_118_400_000_000;

impl LiveEvent {
    /// An event of `kind` by `customer_id` at `occurred_at` (Unix microseconds), every other
    /// field empty: set the ones the kind needs, then [`LiveEvent::validated`].
    pub fn new(kind: LiveKind, customer_id: CustomerId, occurred_at: i64) -> LiveEvent {
        LiveEvent {
            kind,
            customer_id,
            occurred_at,
            product_id: None,
            search_text: None,
            session_id: None,
            order_id: None,
            quantity: None,
            unit_price: None,
            currency: None,
            rating: None,
            review_text: None,
        }
    }

    /// Checks the fields the kind needs and fills defaults (quantity 1); the error names
    /// the field and what to do.
    pub fn validated(mut self) -> Result<LiveEvent> {
        check_id("customer_id", &self.customer_id)?;
        if !(EARLIEST_MICROS..=LATEST_MICROS).contains(&self.occurred_at) {
            return Err(bad(
                "occurred_at",
                "is outside 1970-01-01 .. 2200-01-01; send the real time of the event",
            ));
        }
        match (&self.product_id, self.kind) {
            (Some(p), _) => check_id("product_id", p)?,
            (None, LiveKind::Search) => {}
            (None, kind) => {
                return Err(bad(
                    "product_id",
                    format!("is missing; a {} event names its product", kind.as_str()),
                ));
            }
        }
        if let Some(s) = &self.session_id {
            check_id("session_id", s)?;
        }
        match self.kind {
            LiveKind::Search => {
                let text = self.search_text.as_deref().unwrap_or_default();
                if text.trim().is_empty() {
                    return Err(bad("search_text", "is missing; a search carries its text"));
                }
                check_text("search_text", text)?;
            }
            LiveKind::Purchase => {
                match &self.order_id {
                    Some(o) => check_id("order_id", o)?,
                    None => return Err(bad("order_id", "is missing; a purchase names its order")),
                }
                let q = *self.quantity.get_or_insert(1);
                if q == 0 || q.abs() > 1_000_000 {
                    return Err(bad("quantity", "must be a non-zero whole number of units"));
                }
                match self.unit_price {
                    Some(p) if p.is_finite() && (0.0..1e9).contains(&p) => {}
                    Some(_) => {
                        return Err(bad("unit_price", "must be a price from 0 to 1,000,000,000"));
                    }
                    None => return Err(bad("unit_price", "is missing; a purchase has a price")),
                }
                match self.currency.as_deref().map(str::trim) {
                    Some(c) if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => {
                        self.currency = Some(c.to_ascii_uppercase());
                    }
                    _ => {
                        return Err(bad(
                            "currency",
                            "must be a three-letter ISO 4217 code such as EUR",
                        ));
                    }
                }
            }
            LiveKind::Review => {
                if !matches!(self.rating, Some(1..=5)) {
                    return Err(bad("rating", "must be whole stars from 1 to 5"));
                }
                if let Some(t) = &self.review_text {
                    check_text("review_text", t)?;
                }
            }
            LiveKind::View | LiveKind::AddToCart => {}
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> LiveEvent {
        LiveEvent {
            product_id: Some("p1".into()),
            ..LiveEvent::new(LiveKind::View, "c1".into(), 1_700_000_000_000_000)
        }
    }

    #[test]
    fn each_kind_needs_its_fields() {
        assert!(view().validated().is_ok());
        let mut e = view();
        e.product_id = None;
        assert!(
            e.validated()
                .unwrap_err()
                .to_string()
                .contains("product_id")
        );
        let mut e = view();
        e.kind = LiveKind::Purchase;
        assert!(
            e.clone()
                .validated()
                .unwrap_err()
                .to_string()
                .contains("order_id")
        );
        e.order_id = Some("o1".into());
        e.unit_price = Some(f64::INFINITY);
        assert!(
            e.clone()
                .validated()
                .unwrap_err()
                .to_string()
                .contains("unit_price")
        );
        e.unit_price = Some(9.5);
        e.currency = Some("eur".into());
        let ok = e.validated().unwrap();
        assert_eq!(
            (ok.quantity, ok.currency.as_deref()),
            (Some(1), Some("EUR"))
        );
        let mut e = view();
        e.kind = LiveKind::Review;
        e.rating = Some(6);
        assert!(e.validated().unwrap_err().to_string().contains("rating"));
        let mut e = view();
        e.occurred_at = -1;
        assert!(e.validated().is_err());
        let mut e = view();
        e.customer_id = " ".into();
        assert!(e.validated().is_err());
    }
}
