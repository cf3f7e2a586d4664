//! One customer's own orders, line by line (for the assistant's order tool), and the catalog's
//! latest entry per product (for the assistant's knowledge).

use crate::error::Result;
use crate::extract::{f64s, i64s, strings};
use crate::session::Session;

/// One line of a customer's order.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderLine {
    /// The order.
    pub order_id: String,
    /// Day ordered (`YYYY-MM-DD`, UTC).
    pub day: String,
    /// Status as stored.
    pub status: String,
    /// Product title from the catalog, else from the order line, else the product id.
    pub title: String,
    /// Quantity.
    pub quantity: i64,
}

/// A product as the catalog's latest import describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogEntry {
    /// Product id.
    pub product_id: String,
    /// Title.
    pub title: String,
    /// Description, if any.
    pub description: Option<String>,
    /// Category path, if any.
    pub category: Option<String>,
    /// Brand, if any.
    pub brand: Option<String>,
    /// List price, if any.
    pub price: Option<f64>,
    /// Currency of the price, if given.
    pub currency: Option<String>,
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl Session {
    /// The lines of `customer_id`'s `orders` most recent orders (any status), newest order
    /// first. Only this customer's rows are read.
    pub fn orders_of(&self, customer_id: &str, orders: usize) -> Result<Vec<OrderLine>> {
        let id = quote(customer_id);
        let b = self.sql(&format!(
            "WITH latest AS (
               SELECT order_id, MIN(ordered_at) AS ordered_at FROM orders
               WHERE customer_id = {id} GROUP BY order_id
               ORDER BY ordered_at DESC, order_id LIMIT {orders}),
             titles AS (
               SELECT product_id, title FROM (
                 SELECT product_id, title,
                        ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY import_id DESC, source_line DESC) AS rn
                 FROM catalog) WHERE rn = 1)
             SELECT o.order_id, CAST(CAST(l.ordered_at AS DATE) AS VARCHAR) AS day,
                    CAST(o.status AS VARCHAR) AS status,
                    COALESCE(t.title, NULLIF(TRIM(o.product_title), ''), o.product_id) AS title,
                    CAST(o.quantity AS BIGINT) AS quantity
             FROM orders o JOIN latest l ON o.order_id = l.order_id
             LEFT JOIN titles t ON o.product_id = t.product_id
             WHERE o.customer_id = {id}
             ORDER BY l.ordered_at DESC, o.order_id, o.source_line"
        ))?;
        let ids = strings(&b, "order_id")?;
        let days = strings(&b, "day")?;
        let status = strings(&b, "status")?;
        let titles = strings(&b, "title")?;
        let qty = i64s(&b, "quantity")?;
        Ok((0..ids.len())
            .map(|i| OrderLine {
                order_id: ids[i].clone().unwrap_or_default(),
                day: days[i].clone().unwrap_or_default(),
                status: status[i].clone().unwrap_or_default(),
                title: titles[i].clone().unwrap_or_default(),
                quantity: qty[i].unwrap_or(0),
            })
            .collect())
    }

    /// Every product's latest catalog entry, by product id.
    pub fn catalog_entries(&self) -> Result<Vec<CatalogEntry>> {
        let b = self.sql(
            "SELECT product_id, title, description, category, brand,
                    CAST(price AS DOUBLE) AS price, currency FROM (
               SELECT *, ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY import_id DESC, source_line DESC) AS rn
               FROM catalog) WHERE rn = 1 ORDER BY product_id",
        )?;
        let ids = strings(&b, "product_id")?;
        let titles = strings(&b, "title")?;
        let desc = strings(&b, "description")?;
        let cat = strings(&b, "category")?;
        let brand = strings(&b, "brand")?;
        let price = f64s(&b, "price")?;
        let currency = strings(&b, "currency")?;
        Ok((0..ids.len())
            .map(|i| CatalogEntry {
                product_id: ids[i].clone().unwrap_or_default(),
                title: titles[i].clone().unwrap_or_default(),
                description: desc[i].clone(),
                category: cat[i].clone(),
                brand: brand[i].clone(),
                price: price[i],
                currency: currency[i].clone(),
            })
            .collect())
    }
}
