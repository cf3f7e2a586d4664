//! Domain vocabulary of recur: the canonical shop tables, their fields and Arrow schemas, and
//! the words several crates share (segments, groups, days, intervals, message paths), and the
//! rules for text that leaves recur (spreadsheet-safe cells, customer-chosen words in messages).
//!
//! This crate does no I/O. Importers (`recur-ingest`) coerce source rows into these tables,
//! analytics (`recur-analytics`) query them, and every other crate speaks these names.
//!
//! ```
//! use recur_core::{Table, OrderStatus};
//!
//! let orders = Table::Orders;
//! assert_eq!(orders.name(), "orders");
//! assert!(orders.partitioned_by_month());
//! assert!(orders.field("customer_id").is_some());
//! assert_eq!("cancelled".parse::<OrderStatus>().unwrap(), OrderStatus::Cancelled);
//! let schema = orders.arrow_schema();
//! assert!(schema.field_with_name("ordered_at").is_ok());
//! ```

mod cells;
mod customer;
mod device;
mod domain;
mod error;
mod schema;
mod traces;
mod types;

pub use cells::{customer_text, spreadsheet_safe};
pub use customer::CustomerId;
pub use device::ComputeDevice;
pub use domain::{
    Day, Group, Interval, MessagePath, MessageTally, OfferBasis, SECONDS_PER_DAY, Segment,
};
pub use error::{Error, Expected, Result};
pub use schema::{FieldKind, FieldSpec, META_COLUMNS, Table};
pub use traces::{MIN_TRACE_CHARS, Traces, is_customer_id_name};
pub use types::{EventType, OrderStatus};
