//! Retention metrics as SQL over the base views.

use recur_core::CustomerId;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::extract::{f64s, i64s, one_f64, one_i64, strings};
use crate::session::Session;

/// Options of an analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisOptions {
    /// N of the repurchase rate: a repeat purchase must come within N days of the first.
    pub repurchase_days: u32,
    /// Extra windows reported beside `repurchase_days`.
    pub extra_windows: Vec<u32>,
    /// Width of the inter-purchase histogram bins, in days.
    pub histogram_bin_days: u32,
    /// Number of histogram bins (the last one is open-ended).
    pub histogram_bins: u32,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            repurchase_days: 90,
            extra_windows: vec![30, 60, 180],
            histogram_bin_days: 14,
            histogram_bins: 14,
        }
    }
}

/// Size and span of the data.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Overview {
    /// Customers with at least one completed order.
    pub customers: u64,
    /// Completed orders of known customers.
    pub orders: u64,
    /// Gross revenue of those orders.
    pub revenue: f64,
    /// First order (UTC, RFC 3339).
    pub first_order: String,
    /// Last order, also the reference date for recency.
    pub last_order: String,
    /// Order lines by status, all customers (anonymous included).
    pub lines_by_status: BTreeMap<String, u64>,
    /// Order lines without a customer id.
    pub anonymous_lines: u64,
    /// Currencies seen.
    pub currencies: Vec<String>,
}

/// One repurchase window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RepurchaseWindow {
    /// N in days.
    pub days: u32,
    /// Customers whose first order is at least N days before the data end.
    pub eligible_customers: u64,
    /// Of those, customers with another order within N days of the first.
    pub repurchasers: u64,
    /// repurchasers / eligible_customers.
    pub rate: f64,
}

/// Repurchase rate, defined precisely.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RepurchaseRate {
    /// The definition in words.
    pub definition: String,
    /// The headline window (N = `repurchase_days`).
    pub days: u32,
    /// Headline eligible customers.
    pub eligible_customers: u64,
    /// Headline repurchasers.
    pub repurchasers: u64,
    /// Headline rate.
    pub rate: f64,
    /// Customers with at least one completed order.
    pub customers: u64,
    /// Customers with two or more completed orders.
    pub customers_with_2plus_orders: u64,
    /// customers_with_2plus_orders / customers.
    pub share_with_2plus_orders: f64,
    /// Every window computed, the headline included, by N.
    pub windows: Vec<RepurchaseWindow>,
}

/// One cohort row of the retention matrix.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CohortRow {
    /// Month of the customers' first order (`2011-01`).
    pub cohort: String,
    /// Customers in the cohort.
    pub customers: u64,
    /// Customers with an order in month offset k (k = 0 is the cohort month).
    pub active: Vec<u64>,
    /// `active[k] / customers`.
    pub retention: Vec<f64>,
}

/// A distribution of days between purchases.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Distribution {
    /// Number of gaps.
    pub count: u64,
    /// Mean days.
    pub mean: f64,
    /// 10th percentile.
    pub p10: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub median: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// Histogram bins.
    pub histogram: Vec<Bin>,
}

/// A histogram bin `[from_days, to_days)`; the last bin has no upper bound.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Bin {
    /// Lower bound, days.
    pub from_days: u32,
    /// Upper bound, days (`None` for the open last bin).
    pub to_days: Option<u32>,
    /// Gaps in the bin.
    pub count: u64,
}

/// Inter-purchase times overall and per category.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InterPurchase {
    /// Days between consecutive orders of the same customer.
    pub overall: Distribution,
    /// Days between consecutive orders of the same customer containing the category.
    pub by_category: Vec<CategoryGaps>,
}

/// The repurchase cycle of one category.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CategoryGaps {
    /// Category (`uncategorized` when the catalog does not say).
    pub category: String,
    /// Customers who bought the category.
    pub buyers: u64,
    /// Share of buyers who bought it again.
    pub repeat_share: f64,
    /// Gap distribution.
    pub gaps: Distribution,
}

/// Quantile with linear interpolation (type 7) on sorted data.
pub(crate) fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

pub(crate) fn distribution(mut days: Vec<f64>, opts: &AnalysisOptions) -> Distribution {
    days.sort_by(f64::total_cmp);
    let n = days.len();
    let width = opts.histogram_bin_days.max(1);
    let bins = opts.histogram_bins.max(1);
    let mut histogram: Vec<Bin> = (0..bins)
        .map(|i| Bin {
            from_days: i * width,
            to_days: (i + 1 < bins).then_some((i + 1) * width),
            count: 0,
        })
        .collect();
    for d in &days {
        let i = ((d / f64::from(width)).floor() as usize).min(bins as usize - 1);
        histogram[i].count += 1;
    }
    Distribution {
        count: n as u64,
        mean: if n == 0 {
            0.0
        } else {
            days.iter().sum::<f64>() / n as f64
        },
        p10: quantile(&days, 0.10),
        p25: quantile(&days, 0.25),
        median: quantile(&days, 0.5),
        p75: quantile(&days, 0.75),
        p90: quantile(&days, 0.90),
        histogram,
    }
}

/// A product's latest catalogue title and price: (product id, title, price).
pub type ProductTitle = (String, Option<String>, Option<f64>);

/// A customer's addressing data (personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// Customer id.
    pub customer_id: CustomerId,
    /// Name.
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

impl Session {
    /// The data end: the last completed order of a known customer, epoch seconds.
    pub(crate) fn as_of_epoch(&self) -> Result<f64> {
        let b = self.sql(
            "SELECT date_part('epoch', MAX(ordered_at)) AS t, COUNT(*) AS n FROM customer_orders",
        )?;
        if one_i64(&b, "n")? == 0 {
            return Err(Error::NoOrders);
        }
        one_f64(&b, "t")
    }

    /// Completed purchases of known customers per customer and UTC day (days since
    /// 1970-01-01), amounts summed: the transactions the customer-value models consume.
    pub fn daily_purchases(&self) -> Result<Vec<(String, i64, f64)>> {
        let b = self.sql(
            "SELECT customer_id, CAST(floor(date_part('epoch', ordered_at) / 86400) AS BIGINT) AS day, CAST(SUM(CAST(revenue AS DECIMAL(20, 6))) AS DOUBLE) AS amount
             FROM customer_orders GROUP BY 1, 2 ORDER BY 1, 2",
        )?;
        let ids = strings(&b, "customer_id")?;
        let days = i64s(&b, "day")?;
        let amounts = f64s(&b, "amount")?;
        Ok(ids
            .into_iter()
            .zip(days)
            .zip(amounts)
            .map(|((c, d), a)| (c.unwrap_or_default(), d.unwrap_or(0), a.unwrap_or(0.0)))
            .collect())
    }

    /// Completed order lines of known customers in time order, for sequence models:
    /// (customer, order, epoch seconds, product).
    pub fn purchase_lines(&self) -> Result<Vec<(String, String, i64, String)>> {
        let b = self.sql(
            "SELECT customer_id, order_id, CAST(date_part('epoch', ordered_at) AS BIGINT) AS t, product_id
             FROM sales WHERE product_id IS NOT NULL ORDER BY customer_id, ordered_at, order_id, product_id",
        )?;
        let ids = strings(&b, "customer_id")?;
        let orders = strings(&b, "order_id")?;
        let times = i64s(&b, "t")?;
        let products = strings(&b, "product_id")?;
        Ok(ids
            .into_iter()
            .zip(orders)
            .zip(times)
            .zip(products)
            .map(|(((c, o), t), p)| {
                (
                    c.unwrap_or_default(),
                    o.unwrap_or_default(),
                    t.unwrap_or(0),
                    p.unwrap_or_default(),
                )
            })
            .collect())
    }

    /// Product views and cart additions of known customers in time order:
    /// (customer, epoch seconds, event type, product). Purchases come from orders instead.
    pub fn item_events(&self) -> Result<Vec<(String, i64, String, String)>> {
        let b = self.sql(
            "SELECT customer_id, CAST(date_part('epoch', occurred_at) AS BIGINT) AS t, event_type, product_id
             FROM events
             WHERE customer_id IS NOT NULL AND product_id IS NOT NULL AND event_type <> 'purchase'
             ORDER BY customer_id, occurred_at, product_id",
        )?;
        let ids = strings(&b, "customer_id")?;
        let times = i64s(&b, "t")?;
        let kinds = strings(&b, "event_type")?;
        let products = strings(&b, "product_id")?;
        Ok(ids
            .into_iter()
            .zip(times)
            .zip(kinds)
            .zip(products)
            .map(|(((c, t), k), p)| {
                (
                    c.unwrap_or_default(),
                    t.unwrap_or(0),
                    k.unwrap_or_default(),
                    p.unwrap_or_default(),
                )
            })
            .collect())
    }

    /// The latest catalogue title and price of every product: (product, title, price).
    pub fn product_titles(&self) -> Result<Vec<ProductTitle>> {
        let b = self.sql(
            "SELECT product_id, title, CAST(price AS DOUBLE) AS price FROM (
               SELECT product_id, title, price,
                      ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY import_id DESC, source_line DESC) AS rn
               FROM catalog) WHERE rn = 1 ORDER BY product_id",
        )?;
        let ids = strings(&b, "product_id")?;
        let titles = strings(&b, "title")?;
        let prices = f64s(&b, "price")?;
        Ok(ids
            .into_iter()
            .zip(titles)
            .zip(prices)
            .map(|((p, t), pr)| (p.unwrap_or_default(), t, pr))
            .collect())
    }

    /// Contact facts per customer from the `customers` table: (id, locale, marketing consent).
    /// A customer with several records counts as consenting only if every record does.
    pub fn contacts(&self) -> Result<Vec<(String, Option<String>, bool)>> {
        let b = self.sql(
            "SELECT customer_id, MAX(locale) AS locale,
                    MIN(CAST(COALESCE(email_consent, false) AS BIGINT)) AS consent
             FROM customers GROUP BY customer_id ORDER BY customer_id",
        )?;
        let ids = strings(&b, "customer_id")?;
        let locales = strings(&b, "locale")?;
        let consent = i64s(&b, "consent")?;
        Ok(ids
            .into_iter()
            .zip(locales)
            .zip(consent)
            .map(|((c, l), k)| (c.unwrap_or_default(), l, k == Some(1)))
            .collect())
    }

    /// Each customer's country: the `customers` table's when it has one, else the country of
    /// most of the customer's order lines (ties: the first by name). Customers with neither
    /// are absent.
    pub fn customer_countries(&self) -> Result<Vec<(String, String)>> {
        let b = self.sql(
            "WITH profile AS (
                 SELECT customer_id, MAX(country) AS country FROM customers
                 WHERE country IS NOT NULL AND TRIM(country) <> '' GROUP BY customer_id
             ), lines AS (
                 SELECT customer_id, country, COUNT(*) AS n FROM orders
                 WHERE country IS NOT NULL AND TRIM(country) <> '' GROUP BY customer_id, country
             ), ranked AS (
                 SELECT customer_id, country,
                        ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY n DESC, country) AS r
                 FROM lines
             )
             SELECT COALESCE(p.customer_id, o.customer_id) AS customer_id,
                    COALESCE(p.country, o.country) AS country
             FROM profile p FULL OUTER JOIN (SELECT customer_id, country FROM ranked WHERE r = 1) o
                  ON p.customer_id = o.customer_id
             ORDER BY customer_id",
        )?;
        let ids = strings(&b, "customer_id")?;
        let countries = strings(&b, "country")?;
        Ok(ids
            .into_iter()
            .zip(countries)
            .filter_map(|(c, k)| Some((c?, k?.trim().to_owned())))
            .collect())
    }

    /// Customers whose stored personal fields (e-mail, name, phone, address) are still set
    /// and whose last sign of life (an order, event or review, or the sign-up itself) is
    /// before `cutoff` (seconds since the epoch), or who have none at all: the candidates of
    /// a retention run.
    pub fn inactive_customers(&self, cutoff: i64) -> Result<Vec<String>> {
        let b = self.sql(&format!(
            "WITH activity AS (
                 SELECT customer_id, date_part('epoch', ordered_at) AS t FROM orders
                 UNION ALL SELECT customer_id, date_part('epoch', occurred_at) FROM events
                     WHERE customer_id IS NOT NULL
                 UNION ALL SELECT customer_id, date_part('epoch', reviewed_at) FROM reviews
                     WHERE customer_id IS NOT NULL
                 UNION ALL SELECT customer_id, date_part('epoch', signup_at) FROM customers
                     WHERE signup_at IS NOT NULL
             ), last_seen AS (
                 SELECT customer_id, MAX(t) AS t FROM activity GROUP BY customer_id
             )
             SELECT DISTINCT c.customer_id FROM customers c
             LEFT JOIN last_seen l ON l.customer_id = c.customer_id
             WHERE (l.t IS NULL OR l.t < {cutoff})
               AND (c.email IS NOT NULL OR c.name IS NOT NULL
                    OR c.phone IS NOT NULL OR c.address IS NOT NULL)
             ORDER BY c.customer_id"
        ))?;
        Ok(strings(&b, "customer_id")?.into_iter().flatten().collect())
    }

    /// Recipients' addressing data from the `customers` table. Personal data: for delivery
    /// only, never for prompts or logs.
    pub fn recipients(&self) -> Result<Vec<Recipient>> {
        let b = self.sql(
            "SELECT customer_id, MAX(name) AS name, MAX(email) AS email
             FROM customers GROUP BY customer_id ORDER BY customer_id",
        )?;
        let ids = strings(&b, "customer_id")?;
        let names = strings(&b, "name")?;
        let emails = strings(&b, "email")?;
        Ok(ids
            .into_iter()
            .zip(names)
            .zip(emails)
            .map(|((c, n), e)| Recipient {
                customer_id: c.unwrap_or_default().into(),
                name: n,
                email: e,
            })
            .collect())
    }

    /// Each customer's most bought category: (customer, category).
    pub fn favourite_categories(&self) -> Result<Vec<(String, String)>> {
        let b = self.sql(
            "SELECT customer_id, category FROM (
               SELECT customer_id, category,
                      ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY COUNT(*) DESC, category) AS rn
               FROM sales GROUP BY customer_id, category)
             WHERE rn = 1 ORDER BY customer_id",
        )?;
        let ids = strings(&b, "customer_id")?;
        let cats = strings(&b, "category")?;
        Ok(ids
            .into_iter()
            .zip(cats)
            .map(|(c, k)| (c.unwrap_or_default(), k.unwrap_or_default()))
            .collect())
    }

    /// Size and span of the data.
    pub fn overview(&self) -> Result<Overview> {
        let b = self.sql(
            "SELECT COUNT(DISTINCT customer_id) AS customers, COUNT(*) AS orders, SUM(revenue) AS revenue,
                    CAST(MIN(ordered_at) AS VARCHAR) AS first_order, CAST(MAX(ordered_at) AS VARCHAR) AS last_order
             FROM customer_orders",
        )?;
        if one_i64(&b, "orders")? == 0 {
            return Err(Error::NoOrders);
        }
        let s =
            self.sql("SELECT status, COUNT(*) AS n FROM orders GROUP BY status ORDER BY status")?;
        let lines_by_status = strings(&s, "status")?
            .into_iter()
            .zip(i64s(&s, "n")?)
            .map(|(k, v)| (k.unwrap_or_default(), v.unwrap_or(0) as u64))
            .collect();
        let a = self.sql("SELECT COUNT(*) AS n FROM orders WHERE customer_id IS NULL")?;
        let c = self.sql("SELECT DISTINCT currency FROM orders ORDER BY currency")?;
        Ok(Overview {
            customers: one_i64(&b, "customers")? as u64,
            orders: one_i64(&b, "orders")? as u64,
            revenue: one_f64(&b, "revenue")?,
            first_order: strings(&b, "first_order")?.remove(0).unwrap_or_default(),
            last_order: strings(&b, "last_order")?.remove(0).unwrap_or_default(),
            lines_by_status,
            anonymous_lines: one_i64(&a, "n")? as u64,
            currencies: strings(&c, "currency")?.into_iter().flatten().collect(),
        })
    }

    /// Repurchase rate within N days of a first purchase, for each requested N.
    pub fn repurchase_rate(&self, opts: &AnalysisOptions) -> Result<RepurchaseRate> {
        if opts.repurchase_days == 0 {
            return Err(Error::BadOption(
                "the repurchase window must be at least 1 day".into(),
            ));
        }
        let as_of = self.as_of_epoch()?;
        let mut days: Vec<u32> = opts
            .extra_windows
            .iter()
            .copied()
            .chain([opts.repurchase_days])
            .filter(|d| *d > 0)
            .collect();
        days.sort_unstable();
        days.dedup();
        let mut windows = Vec::new();
        for n in days {
            let secs = f64::from(n) * 86_400.0;
            let b = self.sql(&format!(
                "WITH ranked AS (
                   SELECT customer_id, order_id, date_part('epoch', ordered_at) AS t,
                          ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY ordered_at, order_id) AS k
                   FROM customer_orders),
                 first AS (SELECT customer_id, t AS t0 FROM ranked WHERE k = 1 AND t + {secs} <= {as_of}),
                 again AS (
                   SELECT f.customer_id, MAX(CASE WHEN r.k > 1 AND r.t - f.t0 <= {secs} THEN 1 ELSE 0 END) AS again
                   FROM first f JOIN ranked r ON r.customer_id = f.customer_id GROUP BY f.customer_id)
                 SELECT COUNT(*) AS eligible, COALESCE(SUM(again), 0) AS repurchasers FROM again"
            ))?;
            let eligible = one_i64(&b, "eligible")? as u64;
            let repurchasers = one_i64(&b, "repurchasers")? as u64;
            windows.push(RepurchaseWindow {
                days: n,
                eligible_customers: eligible,
                repurchasers,
                rate: ratio(repurchasers, eligible),
            });
        }
        let head = windows
            .iter()
            .find(|w| w.days == opts.repurchase_days)
            .cloned()
            .ok_or_else(|| Error::Internal("headline window missing".into()))?;
        let c = self.sql(
            "SELECT COUNT(*) AS customers, SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END) AS two_plus
             FROM (SELECT customer_id, COUNT(*) AS n FROM customer_orders GROUP BY customer_id)",
        )?;
        let customers = one_i64(&c, "customers")? as u64;
        let two_plus = one_i64(&c, "two_plus")? as u64;
        Ok(RepurchaseRate {
            definition: format!(
                "Of the customers whose first completed order is at least {n} days before the last order in the data, \
                 the share who placed another completed order within {n} days of that first order. \
                 Also: the share of all customers with two or more completed orders.",
                n = opts.repurchase_days
            ),
            days: head.days,
            eligible_customers: head.eligible_customers,
            repurchasers: head.repurchasers,
            rate: head.rate,
            customers,
            customers_with_2plus_orders: two_plus,
            share_with_2plus_orders: ratio(two_plus, customers),
            windows,
        })
    }

    /// Monthly cohort retention: cohort = month of first order; cell k = share of the cohort
    /// with an order in month cohort + k.
    pub fn cohorts(&self) -> Result<Vec<CohortRow>> {
        let b = self.sql(
            "WITH first AS (SELECT customer_id, date_trunc('month', MIN(ordered_at)) AS cohort FROM customer_orders GROUP BY customer_id),
                  act AS (SELECT DISTINCT customer_id, date_trunc('month', ordered_at) AS m FROM customer_orders)
             SELECT to_char(f.cohort, '%Y-%m') AS cohort,
                    CAST((date_part('year', a.m) - date_part('year', f.cohort)) * 12
                         + date_part('month', a.m) - date_part('month', f.cohort) AS BIGINT) AS k,
                    COUNT(*) AS n
             FROM first f JOIN act a ON a.customer_id = f.customer_id
             GROUP BY 1, 2 ORDER BY 1, 2",
        )?;
        let cohorts = strings(&b, "cohort")?;
        let ks = i64s(&b, "k")?;
        let ns = i64s(&b, "n")?;
        let mut rows: Vec<CohortRow> = Vec::new();
        for ((c, k), n) in cohorts.into_iter().zip(ks).zip(ns) {
            let (c, k, n) = (
                c.unwrap_or_default(),
                k.unwrap_or(0) as usize,
                n.unwrap_or(0) as u64,
            );
            if rows.last().is_none_or(|r| r.cohort != c) {
                rows.push(CohortRow {
                    cohort: c,
                    customers: 0,
                    active: Vec::new(),
                    retention: Vec::new(),
                });
            }
            let row = rows
                .last_mut()
                .ok_or_else(|| Error::Internal("cohort row".into()))?;
            if row.active.len() <= k {
                row.active.resize(k + 1, 0);
            }
            row.active[k] = n;
            if k == 0 {
                row.customers = n;
            }
        }
        // Every cohort row spans to the last month with an order, so months without any
        // returning customer show as zeros rather than being cut off.
        let month_index = |s: &str| -> i64 {
            let (y, m) = s.split_once('-').unwrap_or(("0", "0"));
            y.parse::<i64>().unwrap_or(0) * 12 + m.parse::<i64>().unwrap_or(0)
        };
        let last = rows
            .iter()
            .map(|r| month_index(&r.cohort) + r.active.len() as i64 - 1)
            .max()
            .unwrap_or(0);
        for row in &mut rows {
            let span = (last - month_index(&row.cohort) + 1).max(1) as usize;
            row.active.resize(span.max(row.active.len()), 0);
            row.retention = row
                .active
                .iter()
                .map(|a| ratio(*a, row.customers))
                .collect();
        }
        Ok(rows)
    }

    /// Days between consecutive orders, overall and per category.
    pub fn inter_purchase(&self, opts: &AnalysisOptions) -> Result<InterPurchase> {
        let b = self.sql(
            "SELECT (date_part('epoch', ordered_at) - date_part('epoch', prev)) / 86400.0 AS days FROM (
               SELECT ordered_at, LAG(ordered_at) OVER (PARTITION BY customer_id ORDER BY ordered_at, order_id) AS prev
               FROM customer_orders) WHERE prev IS NOT NULL",
        )?;
        let overall = distribution(f64s(&b, "days")?.into_iter().flatten().collect(), opts);
        let c = self.sql(
            "WITH co AS (SELECT customer_id, category, order_id, MIN(ordered_at) AS ordered_at FROM sales GROUP BY 1, 2, 3),
                  g AS (SELECT category, customer_id,
                               (date_part('epoch', ordered_at) - date_part('epoch', LAG(ordered_at) OVER (PARTITION BY customer_id, category ORDER BY ordered_at, order_id))) / 86400.0 AS days
                        FROM co)
             SELECT category, days FROM g ORDER BY category",
        )?;
        let cats = strings(&c, "category")?;
        let days = f64s(&c, "days")?;
        let buyers = self.sql(
            "SELECT category, COUNT(*) AS buyers, SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END) AS repeaters
             FROM (SELECT category, customer_id, COUNT(DISTINCT order_id) AS n FROM sales GROUP BY 1, 2)
             GROUP BY category ORDER BY category",
        )?;
        let mut gaps: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (c, d) in cats.into_iter().zip(days) {
            let entry = gaps.entry(c.unwrap_or_default()).or_default();
            if let Some(d) = d {
                entry.push(d);
            }
        }
        let by_category = strings(&buyers, "category")?
            .into_iter()
            .zip(i64s(&buyers, "buyers")?)
            .zip(i64s(&buyers, "repeaters")?)
            .map(|((c, b), r)| {
                let c = c.unwrap_or_default();
                let (b, r) = (b.unwrap_or(0) as u64, r.unwrap_or(0) as u64);
                CategoryGaps {
                    gaps: distribution(gaps.remove(&c).unwrap_or_default(), opts),
                    category: c,
                    buyers: b,
                    repeat_share: ratio(r, b),
                }
            })
            .collect();
        Ok(InterPurchase {
            overall,
            by_category,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), 2.5);
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 1.0), 4.0);
        assert!((quantile(&v, 0.1) - 1.3).abs() < 1e-12);
    }

    #[test]
    fn histogram_last_bin_is_open() {
        let opts = AnalysisOptions {
            histogram_bin_days: 10,
            histogram_bins: 3,
            ..AnalysisOptions::default()
        };
        let d = distribution(vec![0.0, 9.9, 10.0, 25.0, 400.0], &opts);
        let counts: Vec<u64> = d.histogram.iter().map(|b| b.count).collect();
        assert_eq!(counts, vec![2, 1, 2]);
        assert_eq!(d.histogram[2].to_days, None);
        assert_eq!(d.median, 10.0);
    }
}
