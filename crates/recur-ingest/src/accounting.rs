//! Row accounting: every row read is imported, quarantined or a duplicate, by reason.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Counts by reason for each outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByReason {
    /// Imported rows by class (order status, event type, ...).
    pub imported: BTreeMap<String, u64>,
    /// Quarantined rows by reason code.
    pub quarantined: BTreeMap<String, u64>,
    /// Duplicate rows by kind.
    pub duplicates: BTreeMap<String, u64>,
}

/// The accounting of one import. `read == imported + quarantined + duplicates` always holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accounting {
    /// Data rows read from the source (header and blank lines excluded).
    pub read: u64,
    /// Rows stored.
    pub imported: u64,
    /// Rows written to the quarantine file instead.
    pub quarantined: u64,
    /// Rows identical to one stored earlier (in this file or a previous import).
    pub duplicates: u64,
    /// The three outcomes broken down by reason.
    pub by_reason: ByReason,
    /// Notable properties of imported rows (already counted in `imported`), e.g.
    /// `anonymous` orders without customer id or `zero_price` lines.
    pub flags: BTreeMap<String, u64>,
    /// Blank lines skipped in line-based formats (not rows).
    pub blank_lines: u64,
}

impl Accounting {
    pub(crate) fn imported(&mut self, class: &str) {
        self.read += 1;
        self.imported += 1;
        *self.by_reason.imported.entry(class.to_owned()).or_default() += 1;
    }

    pub(crate) fn quarantined(&mut self, reason: &str) {
        self.read += 1;
        self.quarantined += 1;
        *self
            .by_reason
            .quarantined
            .entry(reason.to_owned())
            .or_default() += 1;
    }

    pub(crate) fn duplicate(&mut self, kind: &str) {
        self.read += 1;
        self.duplicates += 1;
        *self
            .by_reason
            .duplicates
            .entry(kind.to_owned())
            .or_default() += 1;
    }

    pub(crate) fn flag(&mut self, flag: &str) {
        *self.flags.entry(flag.to_owned()).or_default() += 1;
    }

    /// Whether the totals add up, overall and by reason.
    pub fn is_balanced(&self) -> bool {
        let sum = |m: &BTreeMap<String, u64>| m.values().sum::<u64>();
        self.read == self.imported + self.quarantined + self.duplicates
            && sum(&self.by_reason.imported) == self.imported
            && sum(&self.by_reason.quarantined) == self.quarantined
            && sum(&self.by_reason.duplicates) == self.duplicates
    }
}

impl fmt::Display for Accounting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line =
            |f: &mut fmt::Formatter<'_>, label: &str, n: u64| writeln!(f, "  {label:<44}{n:>12}");
        line(f, "rows read", self.read)?;
        line(f, "imported", self.imported)?;
        for (k, v) in &self.by_reason.imported {
            line(f, &format!("  {k}"), *v)?;
        }
        line(f, "quarantined", self.quarantined)?;
        for (k, v) in &self.by_reason.quarantined {
            line(f, &format!("  {k}"), *v)?;
        }
        line(f, "duplicates", self.duplicates)?;
        for (k, v) in &self.by_reason.duplicates {
            line(f, &format!("  {k}"), *v)?;
        }
        if !self.flags.is_empty() {
            writeln!(f, "  of the imported rows:")?;
            for (k, v) in &self.flags {
                line(f, &format!("  {k}"), *v)?;
            }
        }
        if self.blank_lines > 0 {
            line(f, "blank lines skipped (not rows)", self.blank_lines)?;
        }
        let check = if self.is_balanced() {
            "adds up"
        } else {
            "DOES NOT ADD UP (a bug)"
        };
        write!(f, "  read = imported + quarantined + duplicates: {check}")
    }
}
