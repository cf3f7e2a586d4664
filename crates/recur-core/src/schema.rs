use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::error::Error;

/// How a canonical field is typed and coerced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text (UTF-8).
    Text,
    /// A whole number.
    Integer,
    /// A decimal number such as a price (stored as `f64`).
    Decimal,
    /// An instant, stored in UTC with microsecond precision.
    Timestamp,
    /// An [`OrderStatus`](crate::OrderStatus).
    Status,
    /// An [`EventType`](crate::EventType).
    EventType,
    /// A review rating from 1 to 5.
    Rating,
    /// `true`/`false` (also `1`/`0`, `yes`/`no`).
    Bool,
}

impl FieldKind {
    /// The Arrow type the field is stored as.
    pub fn data_type(self) -> DataType {
        match self {
            Self::Text | Self::Status | Self::EventType => DataType::Utf8,
            Self::Integer | Self::Rating => DataType::Int64,
            Self::Decimal => DataType::Float64,
            Self::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Self::Bool => DataType::Boolean,
        }
    }

    /// A short human name for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Integer => "whole number",
            Self::Decimal => "number",
            Self::Timestamp => "date/time",
            Self::Status => "order status",
            Self::EventType => "event type",
            Self::Rating => "rating 1-5",
            Self::Bool => "true/false",
        }
    }
}

/// One canonical field of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// Canonical column name.
    pub name: &'static str,
    /// Type and coercion rule.
    pub kind: FieldKind,
    /// Whether every row must have a value.
    pub required: bool,
    /// Whether the field holds personal data (never sent to a language model or logged).
    pub pii: bool,
    /// One-line description for `recur import --help` and error hints.
    pub doc: &'static str,
}

const fn f(name: &'static str, kind: FieldKind, required: bool, doc: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        kind,
        required,
        pii: false,
        doc,
    }
}

const fn pii(name: &'static str, doc: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        kind: FieldKind::Text,
        required: false,
        pii: true,
        doc,
    }
}

use FieldKind as K;

const ORDERS: &[FieldSpec] = &[
    f(
        "order_id",
        K::Text,
        true,
        "order or invoice number; lines of one order share it",
    ),
    f(
        "customer_id",
        K::Text,
        false,
        "buyer; empty means an anonymous (guest) order",
    ),
    f(
        "ordered_at",
        K::Timestamp,
        true,
        "when the order was placed",
    ),
    f("product_id", K::Text, true, "SKU or product id of the line"),
    f(
        "product_title",
        K::Text,
        false,
        "product name as written on the order",
    ),
    f(
        "quantity",
        K::Integer,
        true,
        "units on the line; negative for returns",
    ),
    f(
        "unit_price",
        K::Decimal,
        false,
        "price of one unit (or give `amount`)",
    ),
    f(
        "amount",
        K::Decimal,
        false,
        "line total; computed as quantity x unit_price when absent",
    ),
    f(
        "currency",
        K::Text,
        true,
        "ISO 4217 code, a column or a constant in the mapping",
    ),
    f(
        "status",
        K::Status,
        false,
        "completed, cancelled or returned (default completed)",
    ),
    f("country", K::Text, false, "shipping or customer country"),
];

const CATALOG: &[FieldSpec] = &[
    f("product_id", K::Text, true, "SKU or product id"),
    f("title", K::Text, true, "product name"),
    f("description", K::Text, false, "product description"),
    f(
        "category",
        K::Text,
        false,
        "category path, levels separated by ` > `",
    ),
    f("brand", K::Text, false, "brand"),
    f("price", K::Decimal, false, "list price"),
    f("currency", K::Text, false, "ISO 4217 code of the price"),
];

const EVENTS: &[FieldSpec] = &[
    f(
        "customer_id",
        K::Text,
        false,
        "known customer (or give `session_id`)",
    ),
    f(
        "session_id",
        K::Text,
        false,
        "anonymous session (or give `customer_id`)",
    ),
    f("occurred_at", K::Timestamp, true, "when the event happened"),
    f(
        "event_type",
        K::EventType,
        true,
        "view, search, add_to_cart or purchase",
    ),
    f(
        "product_id",
        K::Text,
        false,
        "product viewed, carted or bought",
    ),
    f("search_text", K::Text, false, "query text of a search"),
];

const REVIEWS: &[FieldSpec] = &[
    f("customer_id", K::Text, false, "reviewer"),
    f("product_id", K::Text, true, "reviewed product"),
    f("rating", K::Rating, true, "stars from 1 to 5"),
    f("review_text", K::Text, false, "review body"),
    f(
        "reviewed_at",
        K::Timestamp,
        true,
        "when the review was written",
    ),
    f("language", K::Text, false, "language code such as en or zh"),
];

const CUSTOMERS: &[FieldSpec] = &[
    f(
        "customer_id",
        K::Text,
        true,
        "customer id as used in orders and events",
    ),
    pii("email", "e-mail address (personal data)"),
    pii("name", "full name (personal data)"),
    pii("phone", "phone number (personal data)"),
    pii("address", "postal address (personal data)"),
    f("country", K::Text, false, "country"),
    f(
        "locale",
        K::Text,
        false,
        "preferred language such as en or zh-CN",
    ),
    f(
        "signup_at",
        K::Timestamp,
        false,
        "when the account was created",
    ),
    f(
        "email_consent",
        K::Bool,
        false,
        "whether marketing e-mail is allowed",
    ),
];

/// Columns every stored table carries besides its canonical fields.
///
/// `row_hash` identifies a row's content (duplicate detection), `import_id` the import that
/// stored it and `source_line` the line of the source file it came from.
pub const META_COLUMNS: [&str; 3] = ["row_hash", "import_id", "source_line"];

/// The canonical tables of a recur workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// Order lines (one row per product on an order).
    Orders,
    /// Products.
    Catalog,
    /// Behaviour events: views, searches, carts, purchases.
    Events,
    /// Product reviews.
    Reviews,
    /// Customers, including their personal data.
    Customers,
}

impl Table {
    /// All tables.
    pub const ALL: [Table; 5] = [
        Self::Orders,
        Self::Catalog,
        Self::Events,
        Self::Reviews,
        Self::Customers,
    ];

    /// The table's name, as used on the command line and in SQL.
    pub fn name(self) -> &'static str {
        match self {
            Self::Orders => "orders",
            Self::Catalog => "catalog",
            Self::Events => "events",
            Self::Reviews => "reviews",
            Self::Customers => "customers",
        }
    }

    /// The canonical fields, in storage order.
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            Self::Orders => ORDERS,
            Self::Catalog => CATALOG,
            Self::Events => EVENTS,
            Self::Reviews => REVIEWS,
            Self::Customers => CUSTOMERS,
        }
    }

    /// Looks up a canonical field by name.
    pub fn field(self, name: &str) -> Option<&'static FieldSpec> {
        self.fields().iter().find(|f| f.name == name)
    }

    /// Index of a canonical field in [`Table::fields`].
    pub fn field_index(self, name: &str) -> Option<usize> {
        self.fields().iter().position(|f| f.name == name)
    }

    /// Whether stored files are partitioned by calendar month of the event time.
    pub fn partitioned_by_month(self) -> bool {
        matches!(self, Self::Orders | Self::Events)
    }

    /// The timestamp field used for month partitions, if any.
    pub fn time_field(self) -> Option<&'static str> {
        match self {
            Self::Orders => Some("ordered_at"),
            Self::Events => Some("occurred_at"),
            Self::Reviews => Some("reviewed_at"),
            Self::Catalog | Self::Customers => None,
        }
    }

    /// The Arrow schema of the stored table: canonical fields then [`META_COLUMNS`].
    pub fn arrow_schema(self) -> SchemaRef {
        let mut fields: Vec<Field> = self
            .fields()
            .iter()
            .map(|s| Field::new(s.name, s.kind.data_type(), !s.required))
            .collect();
        fields.push(Field::new("row_hash", DataType::FixedSizeBinary(16), false));
        fields.push(Field::new("import_id", DataType::Utf8, false));
        fields.push(Field::new("source_line", DataType::UInt64, false));
        Arc::new(Schema::new(fields))
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Table {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Table::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| Error::UnknownTable(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_have_meta_columns_and_unique_names() {
        for t in Table::ALL {
            let schema = t.arrow_schema();
            assert_eq!(schema.fields().len(), t.fields().len() + META_COLUMNS.len());
            let mut names: Vec<_> = schema.fields().iter().map(|f| f.name().clone()).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), schema.fields().len(), "{t}");
            assert_eq!(t.name().parse::<Table>().unwrap(), t);
        }
    }

    #[test]
    fn pii_only_in_customers() {
        for t in Table::ALL {
            let has_pii = t.fields().iter().any(|f| f.pii);
            assert_eq!(has_pii, t == Table::Customers);
        }
    }
}
