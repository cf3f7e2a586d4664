use std::fmt;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors raised when text does not name a domain value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// A value is not one of the accepted spellings.
    #[error("`{value}` is not a valid {what}; expected one of: {expected}")]
    InvalidValue {
        /// What was being parsed (e.g. "order status").
        what: &'static str,
        /// The offending text.
        value: String,
        /// The accepted spellings, comma separated.
        expected: Expected,
    },
    /// A table name is unknown.
    #[error("unknown table `{0}`; expected one of: orders, catalog, events, reviews, customers")]
    UnknownTable(String),
}

/// A list of accepted spellings, shown in error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected(pub &'static [&'static str]);

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(", "))
    }
}
