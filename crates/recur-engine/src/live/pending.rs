//! What the log keeps in memory between compactions, shaped so that no append waits on work
//! proportional to everything stored: idempotency keys as fingerprints in shards that grow
//! one at a time, and waiting events in segments (one per log file) that a compaction drops
//! whole, outside the log's lock.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use super::event::LiveEvent;
use super::log::LoggedEvent;

/// Shards of the key set: a shard grows (moving its entries) on its own, so an append that
/// triggers a growth moves 1/64 of the keys, not all of them.
const KEY_SHARDS: usize = 64;

/// A key's fingerprint: 128 bits of XXH3 (a collision among a billion keys has odds of about
/// one in 10^21).
fn fingerprint(key: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(key.as_bytes())
}

/// The fingerprint is already a uniform hash: its low 64 bits are the table's hash.
#[derive(Default)]
struct LowBits(u64);

impl Hasher for LowBits {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
}

/// Idempotency keys seen (of events logged, sealed or compacted recently).
pub(super) struct KeySet {
    shards: Vec<HashSet<u128, BuildHasherDefault<LowBits>>>,
}

impl Default for KeySet {
    fn default() -> KeySet {
        KeySet {
            shards: (0..KEY_SHARDS).map(|_| HashSet::default()).collect(),
        }
    }
}

impl KeySet {
    /// The key's fingerprint and its shard: the top bits choose the shard, the low bits the
    /// bucket within it.
    fn locate(key: &str) -> (u128, usize) {
        let fp = fingerprint(key);
        (fp, (fp >> 122) as usize % KEY_SHARDS)
    }

    pub(super) fn contains(&self, key: &str) -> bool {
        let (fp, shard) = Self::locate(key);
        self.shards[shard].contains(&fp)
    }

    /// Adds the key; `false` when it was there already.
    pub(super) fn insert(&mut self, key: &str) -> bool {
        let (fp, shard) = Self::locate(key);
        self.shards[shard].insert(fp)
    }

    pub(super) fn remove(&mut self, key: &str) {
        let (fp, shard) = Self::locate(key);
        self.shards[shard].remove(&fp);
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.shards.iter().map(HashSet::len).sum()
    }
}

/// Events per chunk of a segment.
const CHUNK: usize = 4096;

/// Events of one log file. They sit in fixed-size chunks, each allocated once and never
/// moved: held in one growing vector per customer, a million events were copied whole each
/// time the customers' vectors doubled (hundreds of megabytes at once, under the log's lock,
/// since with even traffic they all double together). Only positions are kept per customer.
pub(super) struct Segment {
    /// The last sequence number it may hold, set when its log was sealed (`None`: the open
    /// log's segment).
    last: Option<u64>,
    chunks: Vec<Vec<LoggedEvent>>,
    /// Where each customer's events are in `chunks` (`CHUNK * chunk + index`), oldest first.
    by_customer: HashMap<String, Vec<usize>>,
    count: usize,
    /// The smallest sequence number it holds (`u64::MAX` when empty).
    first: u64,
}

impl Segment {
    fn open(last: Option<u64>) -> Segment {
        Segment {
            last,
            chunks: Vec::new(),
            by_customer: HashMap::new(),
            count: 0,
            first: u64::MAX,
        }
    }

    fn push(&mut self, e: LoggedEvent) {
        if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let chunk = self.chunks.len() - 1;
        let at = chunk * CHUNK + self.chunks[chunk].len();
        self.first = self.first.min(e.seq);
        self.count += 1;
        let customer = e.event.customer_id.as_str();
        match self.by_customer.get_mut(customer) {
            Some(positions) => positions.push(at),
            None => {
                self.by_customer.insert(customer.to_owned(), vec![at]);
            }
        }
        self.chunks[chunk].push(e);
    }

    /// The customer's events, oldest first.
    fn of<'a>(&'a self, customer: &str) -> impl Iterator<Item = &'a LoggedEvent> + 'a {
        self.by_customer
            .get(customer)
            .into_iter()
            .flatten()
            .filter_map(|&at| self.chunks.get(at / CHUNK)?.get(at % CHUNK))
    }

    /// The segment without its events through `seq` (rebuilt; rare, see `take_through`).
    fn without_through(self, seq: u64) -> Segment {
        let mut kept = Segment::open(self.last);
        for e in self.chunks.into_iter().flatten() {
            if e.seq > seq {
                kept.push(e);
            }
        }
        kept
    }
}

/// Events logged but not yet in the served snapshot, oldest segment first; the last segment
/// is the open log's.
pub(super) struct Pending {
    segments: VecDeque<Segment>,
    count: usize,
}

impl Default for Segment {
    fn default() -> Segment {
        Segment::open(None)
    }
}

impl Default for Pending {
    fn default() -> Pending {
        Pending {
            segments: VecDeque::from([Segment::default()]),
            count: 0,
        }
    }
}

impl Pending {
    /// Events waiting.
    pub(super) fn len(&self) -> usize {
        self.count
    }

    /// Adds an event to the segment of the log it was written to (an append that raced a
    /// seal lands in the sealed log's segment).
    pub(super) fn push(&mut self, e: LoggedEvent) {
        let seq = e.seq;
        let segment = match self
            .segments
            .iter()
            .position(|s| s.last.is_none_or(|last| seq <= last))
        {
            Some(i) => &mut self.segments[i],
            None => self
                .segments
                .back_mut()
                .expect("the open segment is always there"),
        };
        segment.push(e);
        self.count += 1;
    }

    /// The open log was sealed through `last`: its segment closes and a new one opens.
    pub(super) fn seal(&mut self, last: u64) {
        if let Some(open) = self.segments.back_mut() {
            open.last = Some(last);
        }
        self.segments.push_back(Segment::default());
    }

    /// Removes the events through `seq` and returns the segments it emptied, for the caller
    /// to drop after releasing the lock (freeing a million events takes a while).
    pub(super) fn take_through(&mut self, seq: u64) -> Vec<Segment> {
        let mut taken = Vec::new();
        // The open segment stays, even when sealed segments go.
        while self.segments.len() > 1
            && self
                .segments
                .front()
                .is_some_and(|s| s.last.is_some_and(|l| l <= seq))
        {
            if let Some(s) = self.segments.pop_front() {
                self.count -= s.count;
                taken.push(s);
            }
        }
        // A segment that `seq` splits is rebuilt without the events through it: that happens
        // only when a snapshot was built through a sequence number inside a log file (the
        // stored tables changed under the server), never after a compaction (seals split).
        for s in &mut self.segments {
            if s.count == 0 || s.first > seq {
                continue;
            }
            let before = s.count;
            let kept = std::mem::take(s).without_through(seq);
            self.count -= before - kept.count;
            *s = kept;
        }
        taken
    }

    /// The customer's events after `after`, oldest first.
    pub(super) fn recent(&self, customer: &str, after: u64) -> Vec<LiveEvent> {
        self.segments
            .iter()
            .flat_map(|s| s.of(customer))
            .filter(|e| e.seq > after)
            .map(|e| e.event.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::event::LiveKind;

    fn event(seq: u64, customer: &str) -> LoggedEvent {
        LoggedEvent {
            seq,
            key: format!("k{seq}"),
            received_at: 0,
            event: LiveEvent {
                product_id: Some(format!("p{seq}")),
                ..LiveEvent::new(
                    LiveKind::View,
                    customer.into(),
                    i64::try_from(seq).unwrap_or(0),
                )
            },
        }
    }

    fn seqs(p: &Pending, customer: &str, after: u64) -> Vec<i64> {
        p.recent(customer, after)
            .iter()
            .map(|e| e.occurred_at)
            .collect()
    }

    #[test]
    fn keys_are_found_after_many_growths_and_forgotten_when_removed() {
        let mut k = KeySet::default();
        for i in 0..20_000 {
            assert!(k.insert(&format!("batch-{i}#3")));
        }
        assert_eq!(k.len(), 20_000);
        assert!(!k.insert("batch-17#3"));
        assert!(k.contains("batch-19999#3"));
        assert!(!k.contains("batch-20000#3"));
        k.remove("batch-17#3");
        assert!(!k.contains("batch-17#3"));
        assert_eq!(k.len(), 19_999);
    }

    #[test]
    fn segments_drop_whole_and_late_appends_land_in_their_log_segment() {
        let mut p = Pending::default();
        for s in 1..=4 {
            p.push(event(s, if s % 2 == 0 { "a" } else { "b" }));
        }
        // Sealed through 5: event 5 was written before the seal but reaches memory after it.
        p.seal(5);
        p.push(event(6, "a"));
        p.push(event(5, "a"));
        assert_eq!(p.len(), 6);
        assert_eq!(seqs(&p, "a", 0), vec![2, 4, 5, 6]);
        assert_eq!(seqs(&p, "a", 4), vec![5, 6]);
        let taken = p.take_through(5);
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].count, 5);
        assert_eq!(p.len(), 1);
        assert_eq!(seqs(&p, "a", 0), vec![6]);
        assert!(seqs(&p, "b", 0).is_empty());
        // Through a sequence inside the open segment: filtered in place.
        p.push(event(7, "b"));
        assert!(p.take_through(6).is_empty());
        assert_eq!(p.len(), 1);
        assert_eq!(seqs(&p, "b", 0), vec![7]);
        // Nothing waits: the open segment is kept for new events.
        assert!(p.take_through(100).is_empty());
        assert_eq!(p.len(), 0);
        p.push(event(101, "c"));
        assert_eq!(seqs(&p, "c", 0), vec![101]);
    }

    #[test]
    fn events_across_chunks_keep_their_order_and_a_split_segment_keeps_the_rest() {
        let mut p = Pending::default();
        let n = 3 * CHUNK as u64 + 5;
        let at = |s: u64| i64::try_from(s).unwrap_or(0);
        for s in 1..=n {
            p.push(event(s, if s % 3 == 0 { "a" } else { "b" }));
        }
        let a: Vec<i64> = (1..=n).filter(|s| s % 3 == 0).map(at).collect();
        assert_eq!(seqs(&p, "a", 0), a);
        assert_eq!(seqs(&p, "a", n - 3), vec![at(n - 2)]);
        // A snapshot through a sequence number inside the open segment's second chunk.
        let split = CHUNK as u64 + 7;
        assert!(p.take_through(split).is_empty());
        assert_eq!(p.len(), usize::try_from(n - split).unwrap_or(0));
        let rest: Vec<i64> = a.iter().copied().filter(|s| *s > at(split)).collect();
        assert_eq!(seqs(&p, "a", 0), rest);
        p.push(event(n + 1, "a"));
        assert_eq!(seqs(&p, "a", n), vec![at(n + 1)]);
        assert_eq!(p.len(), usize::try_from(n - split + 1).unwrap_or(0));
    }
}
