//! What product search reads: the searches known customers typed, and the products order
//! lines describe when a shop has no catalog.

use crate::error::Result;
use crate::extract::{f64s, i64s, strings};
use crate::orders::CatalogEntry;
use crate::session::Session;

/// One search of a known customer.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchEvent {
    /// The customer.
    pub customer_id: String,
    /// When (Unix seconds).
    pub at: i64,
    /// The query as typed.
    pub text: String,
}

impl Session {
    /// Searches of known customers with their text, by customer and time.
    pub fn search_events(&self) -> Result<Vec<SearchEvent>> {
        let b = self.sql(
            "SELECT customer_id, CAST(date_part('epoch', occurred_at) AS BIGINT) AS t, search_text
             FROM events
             WHERE event_type = 'search' AND customer_id IS NOT NULL
               AND search_text IS NOT NULL AND TRIM(search_text) <> ''
             ORDER BY customer_id, occurred_at, search_text",
        )?;
        let ids = strings(&b, "customer_id")?;
        let times = i64s(&b, "t")?;
        let texts = strings(&b, "search_text")?;
        Ok(ids
            .into_iter()
            .zip(times)
            .zip(texts)
            .map(|((c, t), q)| SearchEvent {
                customer_id: c.unwrap_or_default(),
                at: t.unwrap_or(0),
                text: q.unwrap_or_default(),
            })
            .collect())
    }

    /// Products as the order lines name them (for a shop without a catalog): the latest
    /// non-empty title written on a line and the median unit price, per product with a title.
    pub fn order_line_products(&self) -> Result<Vec<CatalogEntry>> {
        let b = self.sql(
            "WITH titled AS (
               SELECT product_id, TRIM(product_title) AS title,
                      ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY ordered_at DESC, import_id DESC, source_line DESC) AS rn
               FROM orders WHERE product_title IS NOT NULL AND TRIM(product_title) <> ''),
             prices AS (
               SELECT product_id, CAST(MEDIAN(CAST(unit_price AS DOUBLE)) AS DOUBLE) AS price,
                      MAX(currency) AS currency
               FROM orders WHERE unit_price IS NOT NULL AND unit_price > 0 GROUP BY product_id)
             SELECT t.product_id, t.title, p.price, p.currency
             FROM titled t LEFT JOIN prices p ON t.product_id = p.product_id
             WHERE t.rn = 1 ORDER BY t.product_id",
        )?;
        let ids = strings(&b, "product_id")?;
        let titles = strings(&b, "title")?;
        let prices = f64s(&b, "price")?;
        let currency = strings(&b, "currency")?;
        Ok((0..ids.len())
            .map(|i| CatalogEntry {
                product_id: ids[i].clone().unwrap_or_default(),
                title: titles[i].clone().unwrap_or_default(),
                description: None,
                category: None,
                brand: None,
                price: prices[i],
                currency: currency[i].clone(),
            })
            .collect())
    }
}
