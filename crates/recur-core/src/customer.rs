//! The customer id: the shop's own identifier of a customer, carried as a type between crates.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// A customer's id as the shop's data gives it (`17850`, `C00017`). Serialised as the bare
/// string, so files and JSON keep their shape; compared with `&str` and `String` directly.
///
/// ```
/// use recur_core::CustomerId;
///
/// let id = CustomerId::from("C00017");
/// assert_eq!(id, "C00017");
/// assert_eq!(id.to_string(), "C00017");
/// assert_eq!(serde_json::to_string(&id).unwrap(), "\"C00017\"");
/// let mut ids = std::collections::BTreeSet::new();
/// ids.insert(id);
/// assert!(ids.contains("C00017"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CustomerId(String);

impl CustomerId {
    /// A customer id from the shop's identifier.
    pub fn new(id: impl Into<String>) -> Self {
        CustomerId(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Deref for CustomerId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for CustomerId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for CustomerId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<String> for CustomerId {
    fn from(s: String) -> Self {
        CustomerId(s)
    }
}

impl From<&String> for CustomerId {
    fn from(s: &String) -> Self {
        CustomerId(s.clone())
    }
}

impl From<&str> for CustomerId {
    fn from(s: &str) -> Self {
        CustomerId(s.to_owned())
    }
}

impl From<CustomerId> for String {
    fn from(id: CustomerId) -> Self {
        id.0
    }
}

impl PartialEq<str> for CustomerId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for CustomerId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for CustomerId {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl PartialEq<CustomerId> for str {
    fn eq(&self, other: &CustomerId) -> bool {
        self == other.0
    }
}

impl PartialEq<CustomerId> for &str {
    fn eq(&self, other: &CustomerId) -> bool {
        *self == other.0
    }
}

impl PartialEq<CustomerId> for String {
    fn eq(&self, other: &CustomerId) -> bool {
        *self == other.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_compare_with_text_both_ways_and_serialise_bare() {
        let id = CustomerId::new("17850");
        let text: String = "17850".into();
        assert_eq!(id, "17850");
        assert_eq!("17850", id);
        assert_eq!(text, id);
        assert_eq!(id, text);
        assert_eq!(&*id, "17850");
        let back: CustomerId = serde_json::from_str("\"17850\"").unwrap();
        assert_eq!(back, id);
        let map: std::collections::HashMap<CustomerId, u32> = [(id.clone(), 1)].into();
        assert_eq!(map.get("17850"), Some(&1));
    }
}
