//! What identifies a customer in text recur wrote: used to erase them from every store.

use std::collections::BTreeSet;

/// Shortest personal value searched for inside text: shorter ones (an initial, a two-letter
/// name) would match other customers' words.
pub const MIN_TRACE_CHARS: usize = 4;

/// The traces of customers being erased: their ids, matched as whole fields or whole tokens
/// (so `C17` never matches `C170`), and identifying personal values (e-mail, phone),
/// matched anywhere in a text, ignoring case.
///
/// ```
/// use recur_core::Traces;
///
/// let t = Traces::new(["C17".to_owned()]).with_values(["ann@example.com".to_owned()]);
/// assert!(t.field_matches("C17"));
/// assert!(!t.field_matches("C170"));
/// assert!(t.text_matches(r#"{"customer_id":"C17"}"#));
/// assert!(!t.text_matches(r#"{"customer_id":"C170"}"#));
/// assert!(t.text_matches("mail to ANN@example.com failed"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Traces {
    ids: BTreeSet<String>,
    values: Vec<String>,
}

impl Traces {
    /// Traces of these customer ids (blank ids are ignored).
    pub fn new(ids: impl IntoIterator<Item = String>) -> Traces {
        Traces {
            ids: ids
                .into_iter()
                .map(|id| id.trim().to_owned())
                .filter(|id| !id.is_empty())
                .collect(),
            values: Vec::new(),
        }
    }

    /// Adds personal values to look for (those under [`MIN_TRACE_CHARS`] are ignored).
    pub fn with_values(mut self, values: impl IntoIterator<Item = String>) -> Traces {
        for v in values {
            let v = v.trim().to_lowercase();
            if v.chars().count() >= MIN_TRACE_CHARS && !self.values.contains(&v) {
                self.values.push(v);
            }
        }
        self
    }

    /// The customer ids.
    pub fn ids(&self) -> &BTreeSet<String> {
        &self.ids
    }

    /// Whether there is nothing to look for.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty() && self.values.is_empty()
    }

    /// Whether one field (a CSV cell, a JSON string) is or holds a trace: it equals an id
    /// (spaces around ignored) or contains a personal value.
    pub fn field_matches(&self, field: &str) -> bool {
        self.ids.contains(field.trim()) || self.contains_value(field)
    }

    /// Whether free text holds a trace: an id as a whole token (not inside a longer word or
    /// number) or a personal value anywhere.
    pub fn text_matches(&self, text: &str) -> bool {
        self.ids.iter().any(|id| contains_token(text, id)) || self.contains_value(text)
    }

    /// Whether `text` holds one of the personal values (ids not looked for).
    pub fn holds_value(&self, text: &str) -> bool {
        self.contains_value(text)
    }

    fn contains_value(&self, text: &str) -> bool {
        if self.values.is_empty() {
            return false;
        }
        let lower = text.to_lowercase();
        // Bounded like a token, and not inside a longer address (`ann@x.com` is not in
        // `joann@x.com` or `jo.ann@x.com`).
        let part = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+');
        self.values.iter().any(|v| bounded(&lower, v, part))
    }
}

/// Whether a column or key name is one that holds customer ids (`customer_id`, `External ID`,
/// `customerId`, `user_id`...).
///
/// ```
/// assert!(recur_core::is_customer_id_name("External ID"));
/// assert!(!recur_core::is_customer_id_name("product_id"));
/// ```
pub fn is_customer_id_name(name: &str) -> bool {
    let n: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    matches!(
        n.as_str(),
        "customerid" | "customer" | "externalid" | "userid" | "clientid" | "memberid" | "buyerid"
    )
}

/// `needle` occurs in `text` with no ASCII letter or digit, `_` or `-` right before or after
/// it (ids are written in ASCII; Chinese text may touch them).
fn contains_token(text: &str, needle: &str) -> bool {
    bounded(text, needle, |c| {
        c.is_ascii_alphanumeric() || c == '_' || c == '-'
    })
}

/// `needle` occurs in `text` with no `word` character right before or after it; a point
/// followed by a letter or digit joins too (`17850` is not in `17850.5` or `1.17850`,
/// `ann@x.com` not in `jo.ann@x.com`, but it is in `ann@x.com.` at a sentence's end).
fn bounded(text: &str, needle: &str, word: impl Fn(char) -> bool) -> bool {
    if needle.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(pos) = text.get(from..).and_then(|t| t.find(needle)) {
        let start = from + pos;
        let end = start + needle.len();
        let mut before = text[..start].chars().rev();
        let mut after = text[end..].chars();
        let joined = |c: Option<char>, next: Option<char>| {
            c.is_some_and(&word)
                || (c == Some('.') && next.is_some_and(|n| n.is_ascii_alphanumeric()))
        };
        let (b1, a1) = (before.next(), after.next());
        if !joined(b1, before.next()) && !joined(a1, after.next()) {
            return true;
        }
        from = start + needle.chars().next().map_or(1, char::len_utf8);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_whole_tokens_only() {
        let t = Traces::new(["17850".to_owned(), " ".to_owned()]);
        assert_eq!(t.ids().len(), 1);
        assert!(t.text_matches("17850,2010-12-01,85123A"));
        assert!(t.text_matches("customer 17850."));
        assert!(!t.text_matches("178501,x"));
        assert!(!t.text_matches("x-17850"));
        assert!(!t.text_matches("117850 17850a"));
        assert!(t.text_matches("117850 17850"));
        assert!(!t.text_matches("price 17850.00"));
        assert!(!t.text_matches("price 0.17850"));
        assert!(t.text_matches("customer 17850. Next"));
        assert!(t.field_matches(" 17850 "));
        assert!(!t.field_matches("17850 x"));
    }

    #[test]
    fn values_match_anywhere_ignoring_case_and_short_ones_are_ignored() {
        let t = Traces::default().with_values(["Zoë Canary".to_owned(), "Al".to_owned()]);
        assert!(t.text_matches("Dear ZOË CANARY,"));
        let mail = Traces::default().with_values(["ann@x.com".to_owned()]);
        assert!(mail.text_matches("to: ann@x.com."));
        assert!(!mail.text_matches("joann@x.com") && !mail.text_matches("jo.ann@x.com"));
        assert!(!t.text_matches("Dear Al,"));
        assert!(!t.is_empty());
        assert!(Traces::new(Vec::new()).is_empty());
    }

    #[test]
    fn multibyte_text_around_ids_is_safe() {
        let t = Traces::new(["C1".to_owned()]);
        assert!(t.text_matches("您好C1。"));
        assert!(!t.text_matches("您好C1x"));
        assert!(!t.text_matches("ééé"));
    }
}
