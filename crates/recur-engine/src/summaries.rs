//! Headline figures computed from an analytics [`Report`](recur_analytics::Report) and the
//! customer-value scores: cohort averages, what the win-back segments weigh, the categories
//! bought again most often, and the customers more likely gone than not.
//!
//! Front ends (the command line, the HTML report) only format these figures.

use recur_analytics::{CategoryGaps, CohortRow, Segment, SegmentSummary};

use crate::CustomerValue;

/// RFM segments of customers who used to buy well but have not ordered for a while: the
/// first audience for a win-back campaign.
pub const WIN_BACK_SEGMENTS: [Segment; 2] = [Segment::AtRisk, Segment::CantLoseThem];

/// Customers whose BG/NBD P(alive) is below this are more likely gone than not.
pub const LIKELY_GONE_P_ALIVE: f64 = 0.5;

/// Categories need at least this many repeat gaps before their repurchase cycle is quoted.
pub const MIN_REPEAT_GAPS: u64 = 20;

/// Mean over the cohorts of the share of a cohort that ordered in month offset `month`
/// (`month` = 1 is the month after the first order). Cohorts too young to have that month are
/// left out; 0 when no cohort has it.
pub fn mean_cohort_retention(cohorts: &[CohortRow], month: usize) -> f64 {
    let shares: Vec<f64> = cohorts
        .iter()
        .filter_map(|c| c.retention.get(month).copied())
        .collect();
    if shares.is_empty() {
        0.0
    } else {
        shares.iter().sum::<f64>() / shares.len() as f64
    }
}

/// What the [`WIN_BACK_SEGMENTS`] weigh in a shop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WinBackAudience {
    /// Customers in those segments.
    pub customers: u64,
    /// Their revenue.
    pub revenue: f64,
    /// Their share of all revenue (0 when the shop has no revenue).
    pub revenue_share: f64,
}

/// Customers and revenue of the [`WIN_BACK_SEGMENTS`] among `segments`, and their share of
/// `total_revenue`.
pub fn win_back_audience(segments: &[SegmentSummary], total_revenue: f64) -> WinBackAudience {
    let risk: Vec<&SegmentSummary> = segments
        .iter()
        .filter(|s| WIN_BACK_SEGMENTS.contains(&s.segment))
        .collect();
    let customers: u64 = risk.iter().map(|s| s.customers).sum();
    let revenue: f64 = risk.iter().map(|s| s.revenue).sum();
    WinBackAudience {
        customers,
        revenue,
        revenue_share: if total_revenue > 0.0 {
            revenue / total_revenue
        } else {
            0.0
        },
    }
}

/// The categories bought again most often (highest repeat share first, ties in input order),
/// among those with at least [`MIN_REPEAT_GAPS`] gaps; at most `top` of them.
pub fn repeat_categories(by_category: &[CategoryGaps], top: usize) -> Vec<&CategoryGaps> {
    let mut cycles: Vec<&CategoryGaps> = by_category
        .iter()
        .filter(|c| c.gaps.count >= MIN_REPEAT_GAPS)
        .collect();
    cycles.sort_by(|a, b| b.repeat_share.total_cmp(&a.repeat_share));
    cycles.truncate(top);
    cycles
}

/// Customers more likely gone than not, and the value at stake.
#[derive(Debug, Clone)]
pub struct LikelyGone<'a> {
    /// Customers with P(alive) below [`LIKELY_GONE_P_ALIVE`], highest value at risk first.
    pub customers: Vec<&'a CustomerValue>,
    /// Their yearly value at risk, together.
    pub value_at_risk: f64,
}

/// The customers among `values` with P(alive) below [`LIKELY_GONE_P_ALIVE`], ranked by
/// yearly value at risk (ties in input order), with their total value at risk.
pub fn likely_gone(values: &[CustomerValue]) -> LikelyGone<'_> {
    let mut customers: Vec<&CustomerValue> = values
        .iter()
        .filter(|c| c.p_alive < LIKELY_GONE_P_ALIVE)
        .collect();
    customers.sort_by(|a, b| b.value_at_risk.total_cmp(&a.value_at_risk));
    let value_at_risk = customers.iter().map(|c| c.value_at_risk).sum();
    LikelyGone {
        customers,
        value_at_risk,
    }
}

/// Orders `customers` by 12-month CLV, highest first (ties keep their order).
pub fn sort_by_clv(customers: &mut [CustomerValue]) {
    customers.sort_by(|a, b| b.clv_12m.total_cmp(&a.clv_12m));
}

#[cfg(test)]
mod tests {
    use recur_analytics::Distribution;

    use super::*;

    fn cohort(retention: &[f64]) -> CohortRow {
        CohortRow {
            cohort: "2024-01".into(),
            customers: 10,
            active: retention.iter().map(|r| (r * 10.0) as u64).collect(),
            retention: retention.to_vec(),
        }
    }

    fn segment(name: &str, customers: u64, revenue: f64) -> SegmentSummary {
        SegmentSummary {
            segment: name.parse().unwrap(),
            customers,
            share: 0.0,
            revenue,
            revenue_share: 0.0,
            avg_recency_days: 0.0,
            avg_orders: 0.0,
        }
    }

    fn category(name: &str, repeat_share: f64, gaps: u64) -> CategoryGaps {
        CategoryGaps {
            category: name.into(),
            buyers: 10,
            repeat_share,
            gaps: Distribution {
                count: gaps,
                ..Distribution::default()
            },
        }
    }

    fn value(id: &str, p_alive: f64, value_at_risk: f64, clv_12m: f64) -> CustomerValue {
        CustomerValue {
            customer_id: id.into(),
            repeat_purchases: 1.0,
            weeks_since_last_purchase: 10.0,
            p_alive,
            expected_purchases_90d: 0.1,
            expected_spend: 50.0,
            clv_12m,
            value_at_risk,
        }
    }

    #[test]
    fn cohort_average_leaves_out_cohorts_without_the_month() {
        let cohorts = [
            cohort(&[1.0, 0.2, 0.1, 0.3]),
            cohort(&[1.0, 0.4]),
            cohort(&[1.0]),
        ];
        assert!((mean_cohort_retention(&cohorts, 1) - 0.3).abs() < 1e-12);
        assert!((mean_cohort_retention(&cohorts, 3) - 0.3).abs() < 1e-12);
        assert_eq!(mean_cohort_retention(&cohorts, 5), 0.0);
        assert_eq!(mean_cohort_retention(&[], 1), 0.0);
    }

    #[test]
    fn win_back_audience_sums_the_two_segments() {
        let segments = [
            segment("Champions", 5, 500.0),
            segment("At Risk", 3, 150.0),
            segment("Can't Lose Them", 2, 100.0),
            segment("Hibernating", 7, 50.0),
        ];
        let a = win_back_audience(&segments, 1000.0);
        assert_eq!(a.customers, 5);
        assert!((a.revenue - 250.0).abs() < 1e-12);
        assert!((a.revenue_share - 0.25).abs() < 1e-12);
        assert_eq!(win_back_audience(&segments, 0.0).revenue_share, 0.0);
        assert_eq!(win_back_audience(&[], 10.0).customers, 0);
    }

    #[test]
    fn repeat_categories_need_enough_gaps_and_rank_by_repeat_share() {
        let cats = [
            category("tea", 0.3, 25),
            category("rare", 0.9, 19),
            category("coffee", 0.5, 20),
            category("mugs", 0.3, 40),
            category("filters", 0.1, 100),
        ];
        let names: Vec<&str> = repeat_categories(&cats, 3)
            .iter()
            .map(|c| c.category.as_str())
            .collect();
        assert_eq!(names, ["coffee", "tea", "mugs"]);
        assert_eq!(repeat_categories(&cats, 10).len(), 4);
    }

    #[test]
    fn likely_gone_filters_below_one_half_and_ranks_by_value_at_risk() {
        let values = [
            value("a", 0.9, 500.0, 10.0),
            value("b", 0.2, 30.0, 5.0),
            value("c", 0.49, 70.0, 1.0),
            value("d", 0.5, 900.0, 3.0),
        ];
        let gone = likely_gone(&values);
        let ids: Vec<&str> = gone
            .customers
            .iter()
            .map(|c| c.customer_id.as_str())
            .collect();
        assert_eq!(ids, ["c", "b"]);
        assert!((gone.value_at_risk - 100.0).abs() < 1e-12);
        assert!(likely_gone(&[]).customers.is_empty());
    }

    #[test]
    fn sort_by_clv_puts_the_most_valuable_first() {
        let mut values = vec![
            value("a", 0.9, 0.0, 10.0),
            value("b", 0.9, 0.0, 30.0),
            value("c", 0.9, 0.0, 20.0),
        ];
        sort_by_clv(&mut values);
        let ids: Vec<&str> = values.iter().map(|c| c.customer_id.as_str()).collect();
        assert_eq!(ids, ["b", "c", "a"]);
    }
}
