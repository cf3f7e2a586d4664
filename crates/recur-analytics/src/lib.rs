//! Retention analytics for recur as SQL on Apache DataFusion.
//!
//! The main entry point is [`Session`]: it registers a workspace's Parquet files (as listed by
//! its manifest) as tables `orders`, `catalog`, `events`, `reviews` and `customers`, adds the
//! base views `sales` (completed lines of known customers, with category) and
//! `customer_orders` (one row per order), and answers:
//!
//! * [`Session::repurchase_rate`]: of the customers whose first completed order lies at least
//!   N days before the data end, the share who order again within N days of it; plus the share
//!   of customers with two or more orders.
//! * [`Session::cohorts`]: monthly cohort retention (cohort = month of first order).
//! * [`Session::inter_purchase`]: days between consecutive orders, overall and per category.
//! * [`Session::rfm_segments`]: rank-based RFM quintiles and the eleven named segments.
//! * [`Session::profile`]: one customer at a glance.
//!
//! ```no_run
//! use recur_analytics::{AnalysisOptions, Session, TableFiles};
//! use recur_core::Table;
//!
//! let files = TableFiles::new().with(Table::Orders, vec!["data/orders/month=2011-01/i0001-0.parquet".into()]);
//! let session = Session::open(&files).unwrap();
//! let rate = session.repurchase_rate(&AnalysisOptions::default()).unwrap();
//! println!("{:.1}% buy again within {} days", rate.rate * 100.0, rate.days);
//! ```

mod error;
mod extract;
mod metrics;
mod orders;
mod products;
mod query;
mod rfm;
mod searches;
mod session;

pub use error::{Error, Result};
pub use metrics::{
    AnalysisOptions, Bin, CategoryGaps, CohortRow, Distribution, InterPurchase, Overview,
    ProductTitle, Recipient, RepurchaseRate, RepurchaseWindow,
};
pub use orders::{CatalogEntry, OrderLine};
pub use products::{ProductFacts, UNCATEGORIZED};
pub use query::{Cell, QueryResult};
pub use recur_core::Segment;
pub use rfm::{CategoryShare, CustomerScore, Profile, SegmentSummary};
pub use searches::SearchEvent;
pub use session::{Session, TableFiles, default_memory_limit};

use serde::Serialize;

/// Everything `recur analyze` shows.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// Size and span.
    pub overview: Overview,
    /// Repurchase rate.
    pub repurchase_rate: RepurchaseRate,
    /// Cohort retention matrix.
    pub cohorts: Vec<CohortRow>,
    /// Inter-purchase times.
    pub inter_purchase: InterPurchase,
    /// RFM segments.
    pub rfm_segments: Vec<SegmentSummary>,
}

impl Session {
    /// Runs every analysis.
    pub fn report(&self, opts: &AnalysisOptions) -> Result<Report> {
        Ok(Report {
            overview: self.overview()?,
            repurchase_rate: self.repurchase_rate(opts)?,
            cohorts: self.cohorts()?,
            inter_purchase: self.inter_purchase(opts)?,
            rfm_segments: self.rfm_segments()?,
        })
    }
}
