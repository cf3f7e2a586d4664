use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Expected};

/// Status of an order line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// A completed sale; the only status that counts as a purchase in analytics.
    Completed,
    /// A cancelled line (for example an Online Retail invoice starting with `C`).
    Cancelled,
    /// Goods returned after a completed sale (a negative quantity on a non-cancelled order).
    Returned,
}

impl OrderStatus {
    /// All statuses, in display order.
    pub const ALL: [OrderStatus; 3] = [Self::Completed, Self::Cancelled, Self::Returned];

    /// The canonical spelling stored in Parquet.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Returned => "returned",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrderStatus {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        Ok(match t.as_str() {
            "completed" | "complete" | "paid" | "fulfilled" | "shipped" | "delivered" => {
                Self::Completed
            }
            "cancelled" | "canceled" | "void" | "voided" => Self::Cancelled,
            "returned" | "refunded" | "return" | "refund" => Self::Returned,
            _ => {
                return Err(Error::InvalidValue {
                    what: "order status",
                    value: s.to_owned(),
                    expected: Expected(&[
                        "completed (paid, fulfilled, shipped, delivered)",
                        "cancelled (canceled, void)",
                        "returned (refunded)",
                    ]),
                });
            }
        })
    }
}

/// Type of a behaviour event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// A product page view.
    View,
    /// A search with free text.
    Search,
    /// A product added to the cart.
    AddToCart,
    /// A purchase of a product.
    Purchase,
}

impl EventType {
    /// All event types.
    pub const ALL: [EventType; 4] = [Self::View, Self::Search, Self::AddToCart, Self::Purchase];

    /// The canonical spelling stored in Parquet.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Search => "search",
            Self::AddToCart => "add_to_cart",
            Self::Purchase => "purchase",
        }
    }

    /// Whether the event must name a product.
    pub fn needs_product(self) -> bool {
        !matches!(self, Self::Search)
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        Ok(match t.as_str() {
            "view" | "page_view" | "product_view" | "pv" => Self::View,
            "search" => Self::Search,
            "add_to_cart" | "addtocart" | "cart" | "add-to-cart" => Self::AddToCart,
            "purchase" | "buy" | "order" | "transaction" => Self::Purchase,
            _ => {
                return Err(Error::InvalidValue {
                    what: "event type",
                    value: s.to_owned(),
                    expected: Expected(&["view", "search", "add_to_cart (cart)", "purchase (buy)"]),
                });
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trip_and_synonyms() {
        for s in OrderStatus::ALL {
            assert_eq!(s.as_str().parse::<OrderStatus>().unwrap(), s);
        }
        assert_eq!(
            " Canceled ".parse::<OrderStatus>().unwrap(),
            OrderStatus::Cancelled
        );
        let err = "lost".parse::<OrderStatus>().unwrap_err().to_string();
        assert!(
            err.starts_with("`lost` is not a valid order status"),
            "{err}"
        );
    }

    #[test]
    fn event_round_trip() {
        for e in EventType::ALL {
            assert_eq!(e.as_str().parse::<EventType>().unwrap(), e);
        }
        assert!(!EventType::Search.needs_product());
    }
}
