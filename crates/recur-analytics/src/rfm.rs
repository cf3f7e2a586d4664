//! RFM scores (quintiles) and the standard named segments; customer profiles.

use recur_core::{CustomerId, Segment};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::extract::{f64s, i64s, strings};
use crate::session::Session;

/// SQL of the `rfm` view. Scores are rank-based quintiles: score = 1 + floor(5 (rank - 1) / n)
/// with `RANK()` giving ties the lowest rank, so equal values always get equal scores and the
/// result does not depend on row order. R ranks by recency (most days since the last order
/// first), F by number of orders, M by gross revenue. FM = round((F + M) / 2). Revenue is
/// summed as a decimal (exact, so the same in any row order; a float sum over parallel
/// partitions differs in the last bits from run to run and can reorder ties).
pub(crate) fn rfm_sql(as_of: f64) -> String {
    let name = |s: Segment| quote(s.as_str());
    let (champions, loyal, potential, new, promising) = (
        name(Segment::Champions),
        name(Segment::Loyal),
        name(Segment::PotentialLoyalists),
        name(Segment::New),
        name(Segment::Promising),
    );
    let (attention, sleep, at_risk, cant_lose, hibernating, lost) = (
        name(Segment::NeedAttention),
        name(Segment::AboutToSleep),
        name(Segment::AtRisk),
        name(Segment::CantLoseThem),
        name(Segment::Hibernating),
        name(Segment::Lost),
    );
    format!(
        "WITH c AS (
           SELECT customer_id, COUNT(*) AS frequency,
                  CAST(SUM(CAST(revenue AS DECIMAL(20, 6))) AS DOUBLE) AS monetary,
                  ({as_of} - date_part('epoch', MAX(ordered_at))) / 86400.0 AS recency_days
           FROM customer_orders GROUP BY customer_id),
         s AS (
           SELECT *,
             1 + CAST(FLOOR(5.0 * (RANK() OVER (ORDER BY recency_days DESC) - 1) / COUNT(*) OVER ()) AS BIGINT) AS r_score,
             1 + CAST(FLOOR(5.0 * (RANK() OVER (ORDER BY frequency) - 1) / COUNT(*) OVER ()) AS BIGINT) AS f_score,
             1 + CAST(FLOOR(5.0 * (RANK() OVER (ORDER BY monetary) - 1) / COUNT(*) OVER ()) AS BIGINT) AS m_score
           FROM c),
         fm AS (SELECT *, CAST(FLOOR((f_score + m_score) / 2.0 + 0.5) AS BIGINT) AS fm_score FROM s)
         SELECT customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, fm_score,
           CASE
             WHEN r_score = 5 AND fm_score >= 4 THEN {champions}
             WHEN r_score IN (3, 4) AND fm_score >= 4 THEN {loyal}
             WHEN r_score >= 4 AND fm_score IN (2, 3) THEN {potential}
             WHEN r_score = 5 AND fm_score = 1 THEN {new}
             WHEN r_score = 4 AND fm_score = 1 THEN {promising}
             WHEN r_score = 3 AND fm_score = 3 THEN {attention}
             WHEN r_score = 3 AND fm_score <= 2 THEN {sleep}
             WHEN r_score <= 2 AND fm_score IN (3, 4) THEN {at_risk}
             WHEN r_score <= 2 AND fm_score = 5 THEN {cant_lose}
             WHEN r_score = 2 AND fm_score <= 2 THEN {hibernating}
             ELSE {lost}
           END AS segment
         FROM fm"
    )
}

/// Size and value of one segment.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SegmentSummary {
    /// Segment.
    pub segment: Segment,
    /// Customers in it.
    pub customers: u64,
    /// Share of all customers.
    pub share: f64,
    /// Gross revenue of its customers.
    pub revenue: f64,
    /// Share of all revenue.
    pub revenue_share: f64,
    /// Mean days since the last order.
    pub avg_recency_days: f64,
    /// Mean number of orders.
    pub avg_orders: f64,
}

/// RFM values and scores of one customer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CustomerScore {
    /// Customer.
    pub customer_id: CustomerId,
    /// Days since the last order (to the data end).
    pub recency_days: f64,
    /// Completed orders.
    pub frequency: u64,
    /// Gross revenue.
    pub monetary: f64,
    /// Recency score 1-5 (5 = most recent).
    pub r: u8,
    /// Frequency score 1-5.
    pub f: u8,
    /// Monetary score 1-5.
    pub m: u8,
    /// Segment.
    pub segment: Segment,
}

/// A category a customer buys.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CategoryShare {
    /// Category.
    pub category: String,
    /// Orders containing it.
    pub orders: u64,
    /// Revenue from it.
    pub revenue: f64,
}

/// One customer at a glance.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Profile {
    /// RFM values, scores and segment.
    pub score: CustomerScore,
    /// First order (UTC).
    pub first_order: String,
    /// Last order (UTC).
    pub last_order: String,
    /// Days from the last order to the data end.
    pub days_since_last_order: f64,
    /// Top categories by orders then revenue.
    pub favourite_categories: Vec<CategoryShare>,
}

fn scores_from(b: &[datafusion::arrow::record_batch::RecordBatch]) -> Result<Vec<CustomerScore>> {
    let ids = strings(b, "customer_id")?;
    let rec = f64s(b, "recency_days")?;
    let fr = i64s(b, "frequency")?;
    let mo = f64s(b, "monetary")?;
    let r = i64s(b, "r_score")?;
    let f = i64s(b, "f_score")?;
    let m = i64s(b, "m_score")?;
    let seg = strings(b, "segment")?;
    (0..ids.len())
        .map(|i| {
            Ok(CustomerScore {
                customer_id: ids[i].clone().unwrap_or_default().into(),
                recency_days: rec[i].unwrap_or(0.0),
                frequency: fr[i].unwrap_or(0) as u64,
                monetary: mo[i].unwrap_or(0.0),
                r: r[i].unwrap_or(0) as u8,
                f: f[i].unwrap_or(0) as u8,
                m: m[i].unwrap_or(0) as u8,
                segment: segment_of(seg[i].as_deref())?,
            })
        })
        .collect()
}

/// The segment the `rfm` view wrote (it writes only [`Segment`] names).
fn segment_of(name: Option<&str>) -> Result<Segment> {
    name.unwrap_or_default()
        .parse()
        .map_err(|e| Error::Internal(format!("the rfm view wrote an unknown segment: {e}")))
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl Session {
    /// RFM scores of every customer, by customer id.
    pub fn rfm_scores(&self) -> Result<Vec<CustomerScore>> {
        let as_of = self.as_of_epoch()?;
        scores_from(&self.sql(&format!(
            "SELECT * FROM ({}) ORDER BY customer_id",
            rfm_sql(as_of)
        ))?)
    }

    /// Customers, revenue and behaviour of each named segment (all eleven, empty ones too).
    pub fn rfm_segments(&self) -> Result<Vec<SegmentSummary>> {
        let as_of = self.as_of_epoch()?;
        let b = self.sql(&format!(
            "SELECT segment, COUNT(*) AS customers, SUM(monetary) AS revenue, AVG(recency_days) AS recency, AVG(frequency) AS orders
             FROM ({}) GROUP BY segment",
            rfm_sql(as_of)
        ))?;
        let names = strings(&b, "segment")?;
        let customers = i64s(&b, "customers")?;
        let revenue = f64s(&b, "revenue")?;
        let recency = f64s(&b, "recency")?;
        let orders = f64s(&b, "orders")?;
        let total_c: i64 = customers.iter().flatten().sum();
        let total_r: f64 = revenue.iter().flatten().sum();
        Ok(Segment::ALL
            .into_iter()
            .map(|s| {
                let i = names.iter().position(|n| n.as_deref() == Some(s.as_str()));
                let c = i.and_then(|i| customers[i]).unwrap_or(0);
                let r = i.and_then(|i| revenue[i]).unwrap_or(0.0);
                SegmentSummary {
                    segment: s,
                    customers: c as u64,
                    share: if total_c > 0 {
                        c as f64 / total_c as f64
                    } else {
                        0.0
                    },
                    revenue: r,
                    revenue_share: if total_r > 0.0 { r / total_r } else { 0.0 },
                    avg_recency_days: i.and_then(|i| recency[i]).unwrap_or(0.0),
                    avg_orders: i.and_then(|i| orders[i]).unwrap_or(0.0),
                }
            })
            .collect())
    }

    /// A customer's profile.
    pub fn profile(&self, customer_id: &str) -> Result<Profile> {
        let as_of = self.as_of_epoch()?;
        let id = quote(customer_id);
        let b = self.sql(&format!(
            "SELECT * FROM ({}) WHERE customer_id = {id}",
            rfm_sql(as_of)
        ))?;
        let score = scores_from(&b)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::UnknownCustomer(customer_id.to_owned()))?;
        let span = self.sql(&format!(
            "SELECT CAST(MIN(ordered_at) AS VARCHAR) AS first_order, CAST(MAX(ordered_at) AS VARCHAR) AS last_order
             FROM customer_orders WHERE customer_id = {id}"
        ))?;
        let cats = self.sql(&format!(
            "SELECT category, COUNT(DISTINCT order_id) AS orders, SUM(amount) AS revenue FROM sales
             WHERE customer_id = {id} GROUP BY category ORDER BY orders DESC, revenue DESC, category LIMIT 3"
        ))?;
        let favourite_categories = strings(&cats, "category")?
            .into_iter()
            .zip(i64s(&cats, "orders")?)
            .zip(f64s(&cats, "revenue")?)
            .map(|((c, o), r)| CategoryShare {
                category: c.unwrap_or_default(),
                orders: o.unwrap_or(0) as u64,
                revenue: r.unwrap_or(0.0),
            })
            .collect();
        Ok(Profile {
            days_since_last_order: score.recency_days,
            first_order: strings(&span, "first_order")?.remove(0).unwrap_or_default(),
            last_order: strings(&span, "last_order")?.remove(0).unwrap_or_default(),
            score,
            favourite_categories,
        })
    }
}
