//! Customers' event sequences over an item vocabulary, and the two public benchmark formats.

use recur_core::CustomerId;
use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};

/// What a customer did with an item. `0` is reserved for padding in model inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[repr(u8)]
pub enum EventKind {
    /// Bought it.
    Purchase = 1,
    /// Looked at its page.
    View = 2,
    /// Put it in the cart.
    Cart = 3,
    /// A search: no item (index 0), the query text in [`Sequence::searches`]. Search tokens
    /// are made from it when the model reads searches (`Config::query_dim`).
    Search = 4,
}

/// Number of event-kind ids including padding.
pub const EVENT_KINDS: usize = 5;

/// Item ids as the shop knows them, mapped to dense indices `1..=len` (`0` is padding).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ItemVocab {
    ids: Vec<String>,
    #[serde(skip)]
    index: HashMap<String, u32>,
}

impl ItemVocab {
    /// An empty vocabulary.
    pub fn new() -> Self {
        Self::default()
    }

    /// A vocabulary from ids in index order (index 1 first).
    pub fn from_ids(ids: Vec<String>) -> Self {
        let index = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i as u32 + 1))
            .collect();
        Self { ids, index }
    }

    /// The index of `id`, adding it when new.
    pub fn intern(&mut self, id: &str) -> u32 {
        if let Some(&ix) = self.index.get(id) {
            return ix;
        }
        self.ids.push(id.to_owned());
        let ix = self.ids.len() as u32;
        self.index.insert(id.to_owned(), ix);
        ix
    }

    /// The index of a known id.
    pub fn get(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// The shop's id of an index (`None` for padding or out of range).
    pub fn id(&self, index: u32) -> Option<&str> {
        (index as usize)
            .checked_sub(1)
            .and_then(|i| self.ids.get(i))
            .map(String::as_str)
    }

    /// Number of items (padding excluded).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Ids in index order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// Rebuilds the lookup table after deserialisation.
    pub(crate) fn reindex(&mut self) {
        self.index = self
            .ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i as u32 + 1))
            .collect();
    }
}

/// One customer's events in time order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sequence {
    /// The shop's customer id.
    pub customer: CustomerId,
    /// Item index per event (`1..=vocab.len()`).
    pub items: Vec<u32>,
    /// Event kind per event (`EventKind as u8`).
    pub events: Vec<u8>,
    /// Unix seconds per event; empty when the source has no times.
    pub times: Vec<i64>,
    /// Basket (order) number per event, non-decreasing; equal numbers were bought together.
    pub baskets: Vec<u32>,
    /// The customer's searches, in time order, beside the item events (they have no item, so
    /// baselines and splits never see them; the transformer reads them as tokens when its
    /// config says so).
    pub searches: Vec<Search>,
}

/// One search of a customer, placed between item events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Search {
    /// Index of the first item event after it (`len()` of the sequence when it is the latest).
    pub before: usize,
    /// Unix seconds (0 when unknown).
    pub time: i64,
    /// The query as typed.
    pub text: String,
}

impl Sequence {
    /// A purchase sequence with one item per basket and no times.
    pub fn from_items(customer: impl Into<CustomerId>, items: Vec<u32>) -> Self {
        let n = items.len();
        Self {
            customer: customer.into(),
            events: vec![EventKind::Purchase as u8; n],
            baskets: (0..n as u32).collect(),
            times: Vec::new(),
            items,
            searches: Vec::new(),
        }
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The first `n` events, with the searches before the `n`-th (a search after the last
    /// kept event is left out, as the events after it are).
    pub fn prefix(&self, n: usize) -> Sequence {
        let n = n.min(self.len());
        Sequence {
            customer: self.customer.clone(),
            items: self.items[..n].to_vec(),
            events: self.events[..n].to_vec(),
            times: if self.times.is_empty() {
                Vec::new()
            } else {
                self.times[..n].to_vec()
            },
            baskets: self.baskets[..n].to_vec(),
            searches: self
                .searches
                .iter()
                .take_while(|q| q.before < n)
                .cloned()
                .collect(),
        }
    }

    /// Number of events before the last basket starts.
    pub fn last_basket_start(&self) -> usize {
        match self.baskets.last() {
            None => 0,
            Some(&b) => self
                .baskets
                .iter()
                .rposition(|&x| x != b)
                .map_or(0, |i| i + 1),
        }
    }

    /// Checks lengths and index ranges.
    pub fn validate(&self, vocab_len: usize) -> Result<()> {
        let n = self.items.len();
        let bad = |what: &str| {
            Err(Error::NotEnoughData(format!(
                "customer `{}`: {what}",
                self.customer
            )))
        };
        if self.events.len() != n || self.baskets.len() != n {
            return bad("items, events and baskets differ in length");
        }
        if !self.times.is_empty() && self.times.len() != n {
            return bad("times and items differ in length");
        }
        if self.items.iter().any(|&i| i == 0 || i as usize > vocab_len) {
            return bad("an item index is outside the vocabulary");
        }
        if self.baskets.windows(2).any(|w| w[1] < w[0]) {
            return bad("basket numbers go backwards");
        }
        if self.times.windows(2).any(|w| w[1] < w[0]) {
            return bad("events are not in time order");
        }
        if self.searches.iter().any(|q| q.before > n)
            || self.searches.windows(2).any(|w| w[1].before < w[0].before)
        {
            return bad("a search is placed outside the events or out of order");
        }
        Ok(())
    }
}

/// Sequences over one vocabulary.
#[derive(Debug, Clone, Default)]
pub struct SequenceData {
    /// Items.
    pub vocab: ItemVocab,
    /// One sequence per customer.
    pub sequences: Vec<Sequence>,
}

impl SequenceData {
    /// Number of events in all sequences.
    pub fn events(&self) -> usize {
        self.sequences.iter().map(Sequence::len).sum()
    }
}

/// A next-basket task: each customer's history and the basket that followed it.
#[derive(Debug, Clone, Default)]
pub struct BasketData {
    /// Items.
    pub vocab: ItemVocab,
    /// Histories (baskets flattened, `baskets` numbering them).
    pub history: Vec<Sequence>,
    /// The next basket of each history (same order), distinct items.
    pub future: Vec<Vec<u32>>,
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// Reads the SASRec-format Amazon Beauty file: `user item` per line, chronological per user.
/// Item and user ids are kept as written; items are indexed in order of first appearance.
pub fn load_user_item_pairs(path: &Path) -> Result<SequenceData> {
    let text = read(path)?;
    let mut vocab = ItemVocab::new();
    let mut order: Vec<String> = Vec::new();
    let mut by_user: HashMap<String, Vec<u32>> = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(user), Some(item), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Error::BadInput {
                path: path.into(),
                line: n + 1,
                reason: format!(
                    "expected `user item` (two fields separated by whitespace), found `{line}`"
                ),
            });
        };
        let ix = vocab.intern(item);
        by_user
            .entry(user.to_owned())
            .or_insert_with(|| {
                order.push(user.to_owned());
                Vec::new()
            })
            .push(ix);
    }
    if by_user.is_empty() {
        return Err(Error::BadInput {
            path: path.into(),
            line: 0,
            reason: "the file has no interactions".into(),
        });
    }
    let sequences = order
        .into_iter()
        .map(|u| {
            let items = by_user.remove(&u).unwrap_or_default();
            Sequence::from_items(u, items)
        })
        .collect();
    Ok(SequenceData { vocab, sequences })
}

/// Reads the Ta-Feng files of "A Next Basket Recommendation Reality Check" (Li et al., 2023):
/// `{user: [[-1], basket, ..., [-1]]}` for the history and the future basket.
pub fn load_history_future(history: &Path, future: &Path) -> Result<BasketData> {
    let parse = |path: &Path| -> Result<Vec<(String, Vec<Vec<i64>>)>> {
        let text = read(path)?;
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| Error::BadInput {
                path: path.into(),
                line: e.line(),
                reason: format!("not a JSON object of baskets: {e}"),
            })?;
        let mut out = Vec::with_capacity(map.len());
        for (user, v) in map {
            let baskets: Vec<Vec<i64>> =
                serde_json::from_value(v).map_err(|e| Error::BadInput {
                    path: path.into(),
                    line: 0,
                    reason: format!("user `{user}`: expected a list of baskets of item ids: {e}"),
                })?;
            let baskets = baskets
                .into_iter()
                .filter(|b| !(b.is_empty() || b.len() == 1 && b[0] == -1))
                .collect();
            out.push((user, baskets));
        }
        Ok(out)
    };
    let hist = parse(history)?;
    let fut: HashMap<String, Vec<Vec<i64>>> = parse(future)?.into_iter().collect();
    let mut users: Vec<(String, Vec<Vec<i64>>)> = hist;
    // Numeric ids sort numerically, so the order does not depend on the JSON map.
    users.sort_by(|a, b| match (a.0.parse::<u64>(), b.0.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.0.cmp(&b.0),
    });
    let mut vocab = ItemVocab::new();
    let mut data = BasketData::default();
    for (user, baskets) in users {
        let Some(next) = fut.get(&user).and_then(|f| f.first()) else {
            continue;
        };
        let mut seq = Sequence {
            customer: user.clone().into(),
            ..Sequence::default()
        };
        for (b, basket) in baskets.iter().enumerate() {
            for &item in basket {
                seq.items.push(vocab.intern(&item.to_string()));
                seq.events.push(EventKind::Purchase as u8);
                seq.baskets.push(b as u32);
            }
        }
        if seq.is_empty() {
            continue;
        }
        let mut target: Vec<u32> = next.iter().map(|i| vocab.intern(&i.to_string())).collect();
        target.sort_unstable();
        target.dedup();
        data.history.push(seq);
        data.future.push(target);
    }
    data.vocab = vocab;
    if data.history.is_empty() {
        return Err(Error::BadInput {
            path: history.into(),
            line: 0,
            reason: "no user has both a history and a future basket".into(),
        });
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_basket_start_finds_the_final_basket() {
        let mut s = Sequence::from_items("c", vec![1, 2, 3, 4]);
        s.baskets = vec![0, 0, 1, 1];
        assert_eq!(s.last_basket_start(), 2);
        s.baskets = vec![0, 0, 0, 0];
        assert_eq!(s.last_basket_start(), 0);
    }

    #[test]
    fn vocab_is_dense_and_one_based() {
        let mut v = ItemVocab::new();
        assert_eq!(v.intern("a"), 1);
        assert_eq!(v.intern("b"), 2);
        assert_eq!(v.intern("a"), 1);
        assert_eq!(v.id(2), Some("b"));
        assert_eq!(v.id(0), None);
    }
}
