//! The products a message may show: title and price from the catalog, or from the shop's own
//! order lines when the catalog does not have them (a shop without a catalog still has
//! products), ranked as best sellers per category, per customer and for the whole shop.

use crate::error::Result;
use crate::extract::{f64s, strings};
use crate::session::Session;

/// The category of products the catalog does not categorise (never a customer's favourite in
/// a message).
pub const UNCATEGORIZED: &str = "uncategorized";

/// `products(product_id, title, price)`: the catalog's latest title and price, each filled from
/// the latest order line of the product when the catalog lacks it (unit price = amount /
/// quantity, rounded to cents).
const PRODUCTS: &str = "
  cat AS (
    SELECT product_id, title, CAST(price AS DOUBLE) AS price FROM (
      SELECT product_id, title, price,
             ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY import_id DESC, source_line DESC) AS rn
      FROM catalog) WHERE rn = 1),
  line AS (
    SELECT product_id, title, price FROM (
      SELECT product_id, TRIM(product_title) AS title,
             ROUND(CAST(amount AS DOUBLE) / CAST(quantity AS DOUBLE), 2) AS price,
             ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY ordered_at DESC, import_id DESC, source_line DESC) AS rn
      FROM orders
      WHERE quantity > 0 AND amount > 0 AND product_title IS NOT NULL AND TRIM(product_title) <> '')
    WHERE rn = 1),
  products AS (
    SELECT COALESCE(c.product_id, l.product_id) AS product_id,
           COALESCE(c.title, l.title) AS title,
           COALESCE(c.price, l.price) AS price
    FROM cat c FULL OUTER JOIN line l ON c.product_id = l.product_id),
  shown AS (
    SELECT product_id, title, price FROM products
    WHERE title IS NOT NULL AND price IS NOT NULL AND price > 0)";

/// A product as a message shows it, with what it is ranked under.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductFacts {
    /// The category, customer id or empty (shop-wide) the product is ranked under.
    pub key: String,
    /// Title.
    pub title: String,
    /// Unit price.
    pub price: f64,
}

impl Session {
    fn ranked_products(&self, sql: &str) -> Result<Vec<ProductFacts>> {
        let b = self.sql(&format!("WITH {PRODUCTS}, {sql}"))?;
        let keys = strings(&b, "key")?;
        let titles = strings(&b, "title")?;
        let prices = f64s(&b, "price")?;
        Ok(keys
            .into_iter()
            .zip(titles)
            .zip(prices)
            .filter_map(|((k, t), p)| {
                Some(ProductFacts {
                    key: k.unwrap_or_default(),
                    title: t?,
                    price: p?,
                })
            })
            .collect())
    }

    /// The `per_category` best-selling products (by completed order lines) of each category,
    /// best first; products without a title or price are left out.
    pub fn best_sellers(&self, per_category: usize) -> Result<Vec<ProductFacts>> {
        self.ranked_products(&format!(
            "ranked AS (
               SELECT s.category AS key, p.title, p.price,
                      ROW_NUMBER() OVER (PARTITION BY s.category ORDER BY COUNT(*) DESC, s.product_id) AS rn
               FROM sales s JOIN shown p ON s.product_id = p.product_id
               GROUP BY s.category, s.product_id, p.title, p.price)
             SELECT key, title, price FROM ranked WHERE rn <= {per_category} ORDER BY key, rn"
        ))
    }

    /// Each customer's `per_customer` most bought products (by completed order lines, then the
    /// most recent), best first.
    pub fn past_purchases(&self, per_customer: usize) -> Result<Vec<ProductFacts>> {
        self.ranked_products(&format!(
            "ranked AS (
               SELECT s.customer_id AS key, p.title, p.price,
                      ROW_NUMBER() OVER (PARTITION BY s.customer_id
                                         ORDER BY COUNT(*) DESC, MAX(s.ordered_at) DESC, s.product_id) AS rn
               FROM sales s JOIN shown p ON s.product_id = p.product_id
               GROUP BY s.customer_id, s.product_id, p.title, p.price)
             SELECT key, title, price FROM ranked WHERE rn <= {per_customer} ORDER BY key, rn"
        ))
    }

    /// The shop's `n` best-selling products (by completed order lines), best first.
    pub fn shop_best_sellers(&self, n: usize) -> Result<Vec<ProductFacts>> {
        self.ranked_products(&format!(
            "ranked AS (
               SELECT '' AS key, p.title, p.price, COUNT(*) AS lines, s.product_id
               FROM sales s JOIN shown p ON s.product_id = p.product_id
               GROUP BY s.product_id, p.title, p.price)
             SELECT key, title, price FROM ranked ORDER BY lines DESC, product_id LIMIT {n}"
        ))
    }
}
