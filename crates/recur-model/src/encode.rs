//! Turning sequences into model inputs: item, event-kind, time-gap and repeat ids per position,
//! attention masks, the positions whose outputs are needed, and repeat features for scoring.

use candle_core::{Device, Tensor};

use std::collections::HashMap;

use crate::data::{EventKind, Sequence};
use crate::error::Result;
use crate::query::{QUERY_DIM, query_features};

/// Time-gap ids: 0 padding, 1 first event or unknown time, 2 same basket as the previous
/// event, then one id per gap range in [`GAP_DAYS`].
pub(crate) const GAP_BUCKETS: usize = 3 + GAP_DAYS.len();
/// Upper bounds (days, exclusive) of the time-gap ranges; the last range is open.
pub(crate) const GAP_DAYS: [f64; 8] = [1.0, 3.0, 7.0, 14.0, 30.0, 60.0, 120.0, 365.0];
/// Repeat ids: 0 padding, 1 first time, 2 seen once before, 3 seen twice or more.
pub(crate) const REPEAT_BUCKETS: usize = 4;
/// Classes of the time-to-next-purchase head: gaps below each bound (days), then "later".
pub const NEXT_PURCHASE_DAYS: [f64; 7] = [7.0, 14.0, 30.0, 60.0, 90.0, 180.0, 365.0];
/// Number of time-to-next-purchase classes.
pub const TIME_CLASSES: usize = NEXT_PURCHASE_DAYS.len() + 1;
/// History events considered for the repeat features of one position.
const REPEAT_LOOKBACK: usize = 256;

const DAY: f64 = 86_400.0;

#[cfg(test)]
fn gap_bucket(seq: &Sequence, i: usize) -> u32 {
    if i == 0 {
        return 1;
    }
    gap_between(seq, Some(Token::Event(i - 1)), Token::Event(i))
}

/// A position of the model's input: an item event or a search (its index in `searches`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Token {
    Event(usize),
    Search(usize),
}

/// The time-gap id of `cur` after `prev` (`None`: nothing before it).
fn gap_between(seq: &Sequence, prev: Option<Token>, cur: Token) -> u32 {
    let Some(prev) = prev else {
        return 1;
    };
    if let (Token::Event(a), Token::Event(b)) = (prev, cur)
        && seq.baskets[a] == seq.baskets[b]
    {
        return 2;
    }
    let time = |t: Token| match t {
        Token::Event(i) => seq.times.get(i).copied(),
        Token::Search(j) => Some(seq.searches[j].time),
    };
    let (Some(a), Some(b)) = (time(prev), time(cur)) else {
        return 1;
    };
    if seq.times.is_empty() {
        return 1;
    }
    let days = (b - a).max(0) as f64 / DAY;
    // A gap of a year or more shares the last range (the embedding has GAP_BUCKETS rows).
    (3 + GAP_DAYS.iter().take_while(|&&d| days >= d).count() as u32).min(GAP_BUCKETS as u32 - 1)
}

/// The token just before `cur` in the whole sequence (searches included when `searches`).
fn previous(seq: &Sequence, cur: Token, searches: bool) -> Option<Token> {
    let event_before = |i: usize| i.checked_sub(1).map(Token::Event);
    match cur {
        Token::Event(i) if searches => {
            let lo = seq.searches.partition_point(|q| q.before < i);
            let hi = seq.searches.partition_point(|q| q.before <= i);
            if hi > lo {
                Some(Token::Search(hi - 1))
            } else {
                event_before(i)
            }
        }
        Token::Event(i) => event_before(i),
        Token::Search(j) => {
            let before = seq.searches[j].before;
            if j > 0 && seq.searches[j - 1].before == before {
                Some(Token::Search(j - 1))
            } else {
                event_before(before)
            }
        }
    }
}

/// The tokens of events `start..end` (with the searches before each of them and after the
/// last when `searches`), keeping the last `max_len`.
fn tokens(seq: &Sequence, start: usize, end: usize, max_len: usize, searches: bool) -> Vec<Token> {
    let mut out = Vec::with_capacity(end - start);
    let mut q = if searches {
        seq.searches.partition_point(|s| s.before < start)
    } else {
        seq.searches.len()
    };
    for i in start..=end {
        let from = q;
        while q < seq.searches.len() && seq.searches[q].before == i {
            q += 1;
        }
        // The searches after the last event never push that event out of the window.
        let skip = if i == end && end > start {
            (q - from).saturating_sub(max_len - 1)
        } else {
            0
        };
        out.extend((from + skip..q).map(Token::Search));
        if i < end {
            out.push(Token::Event(i));
        }
    }
    let drop = out.len().saturating_sub(max_len);
    out.drain(..drop);
    out
}

/// The class of a gap until the next purchase.
pub(crate) fn time_class(days: f64) -> u32 {
    NEXT_PURCHASE_DAYS
        .iter()
        .take_while(|&&b| days >= b)
        .count() as u32
}

/// One row of a batch: `seq[start..end]` is the model's input.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    /// The whole sequence (earlier events feed the repeat features).
    pub seq: &'a Sequence,
    /// First input event.
    pub start: usize,
    /// One past the last input event.
    pub end: usize,
    /// Emit every position (training) or only the last (scoring).
    pub all_positions: bool,
}

/// A batch of windows ready for the model.
#[derive(Debug)]
pub struct Batch {
    /// `[B, L]` item ids (0 = padding, right-padded).
    pub items: Tensor,
    /// `[B, L]` event kinds.
    pub events: Tensor,
    /// `[B, L]` time-gap ids.
    pub gaps: Tensor,
    /// `[B, L]` repeat ids.
    pub repeats: Tensor,
    /// `[B, 1, L, L]` additive attention mask (causal and padding).
    pub mask: Tensor,
    /// `[P]` flat `b * L + t` indices of the output positions.
    pub positions: Tensor,
    /// For each output position, the absolute event index in its sequence and the window.
    pub outputs: Vec<(usize, usize)>,
    /// Repeat features of (output position, item) pairs, when the model uses them.
    pub repeat: Option<RepeatFeatures>,
    /// The search tokens' query features, when the model reads searches.
    pub searches: Option<SearchFeatures>,
    /// Batch size.
    pub rows: usize,
    /// Padded length.
    pub len: usize,
}

/// Sparse repeat features: for output position `p` and an item `j` seen up to it.
#[derive(Debug)]
pub struct RepeatFeatures {
    /// `[E]` output position of each entry.
    pub position: Tensor,
    /// `[E]` flat index `p * (num_items + 1) + j` into the logits.
    pub flat: Tensor,
    /// `[E, 2]` log(1 + times seen), 1 / (1 + baskets since last seen).
    pub features: Tensor,
}

/// The search tokens of a batch.
#[derive(Debug)]
pub struct SearchFeatures {
    /// `[Q]` flat `b * L + t` index of each search token.
    pub position: Tensor,
    /// `[Q, QUERY_DIM]` the query's hashed features ([`crate::query_features`]).
    pub features: Tensor,
}

/// Builds a batch. `max_len` caps each window to its last `max_len` tokens. With
/// `with_searches`, the sequences' searches become tokens of their own (item 0, event kind
/// search) between the events they came between, and an event's output is read at the last
/// token before the next event (so a search just before a purchase is seen when predicting
/// it); a scoring window ends with the searches after its last event.
pub fn encode(
    windows: &[Window<'_>],
    max_len: usize,
    num_items: usize,
    with_repeats: bool,
    with_searches: bool,
    device: &Device,
) -> Result<Batch> {
    let rows = windows.len();
    let toks: Vec<Vec<Token>> = windows
        .iter()
        .map(|w| {
            let start = w.start.max(w.end.saturating_sub(max_len));
            tokens(w.seq, start, w.end, max_len, with_searches)
        })
        .collect();
    let len = toks.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let mut items = vec![0u32; rows * len];
    let mut events = vec![0u32; rows * len];
    let mut gaps = vec![0u32; rows * len];
    let mut repeats = vec![0u32; rows * len];
    let mut mask = vec![-1e9f32; rows * len * len];
    let mut positions = Vec::new();
    let mut outputs = Vec::new();
    let mut rep_pos = Vec::new();
    let mut rep_flat = Vec::new();
    let mut rep_feat = Vec::new();
    let mut search_pos = Vec::new();
    let mut search_feat: Vec<f32> = Vec::new();
    let mut features: HashMap<&str, Vec<f32>> = HashMap::new();
    let vocab = num_items as u32 + 1;
    for (b, (w, toks)) in windows.iter().zip(&toks).enumerate() {
        let n = toks.len();
        let seq = w.seq;
        let first_event = toks
            .iter()
            .find_map(|t| match t {
                Token::Event(i) => Some(*i),
                Token::Search(_) => None,
            })
            .unwrap_or(w.end);
        // Occurrence counts before the window, for the repeat ids.
        let mut seen: HashMap<u32, (u32, u32)> = HashMap::new();
        let look_from = first_event.saturating_sub(REPEAT_LOOKBACK);
        for i in look_from..first_event {
            let e = seen.entry(seq.items[i]).or_insert((0, 0));
            e.0 += 1;
            e.1 = seq.baskets[i];
        }
        // Each event's output is read at the last token before the next event.
        let mut read_at = vec![usize::MAX; n];
        let mut last_event: Option<usize> = None;
        for (t, tok) in toks.iter().enumerate() {
            if let Token::Event(_) = tok {
                if let Some(e) = last_event {
                    read_at[e] = t - 1;
                }
                last_event = Some(t);
            }
        }
        if let Some(e) = last_event {
            read_at[e] = n - 1;
        }
        for (t, &tok) in toks.iter().enumerate() {
            let o = b * len + t;
            gaps[o] = gap_between(seq, previous(seq, tok, with_searches), tok);
            for k in 0..=t {
                mask[o * len + k] = 0.0;
            }
            let i = match tok {
                Token::Search(j) => {
                    events[o] = u32::from(EventKind::Search as u8);
                    let text = seq.searches[j].text.as_str();
                    let f = features.entry(text).or_insert_with(|| query_features(text));
                    search_pos.push(o as u32);
                    search_feat.extend_from_slice(f);
                    continue;
                }
                Token::Event(i) => i,
            };
            let item = seq.items[i];
            items[o] = item;
            events[o] = u32::from(seq.events[i]);
            let before = seen.get(&item).map_or(0, |e| e.0);
            repeats[o] = 1 + before.min(2);
            let e = seen.entry(item).or_insert((0, 0));
            e.0 += 1;
            e.1 = seq.baskets[i];
            if w.all_positions || i + 1 == w.end {
                let p = positions.len() as u32;
                positions.push((b * len + read_at[t]) as u32);
                outputs.push((i, b));
                if with_repeats {
                    let mut entries: Vec<(&u32, &(u32, u32))> = seen.iter().collect();
                    entries.sort_unstable_by_key(|e| *e.0);
                    for (&j, &(count, last)) in entries {
                        rep_pos.push(p);
                        rep_flat.push(p * vocab + j);
                        rep_feat.push((1.0 + count as f32).ln());
                        rep_feat.push(1.0 / (1.0 + (seq.baskets[i] - last) as f32));
                    }
                }
            }
        }
        // Padding rows attend to themselves so their softmax stays finite.
        for t in n..len {
            mask[(b * len + t) * len + t] = 0.0;
        }
    }
    let ids = |v: Vec<u32>| Tensor::from_vec(v, (rows, len), device);
    let repeat = if with_repeats {
        let e = rep_pos.len();
        Some(RepeatFeatures {
            position: Tensor::from_vec(rep_pos, e, device)?,
            flat: Tensor::from_vec(rep_flat, e, device)?,
            features: Tensor::from_vec(rep_feat, (e, 2), device)?,
        })
    } else {
        None
    };
    let searches = if search_pos.is_empty() {
        None
    } else {
        let q = search_pos.len();
        Some(SearchFeatures {
            position: Tensor::from_vec(search_pos, q, device)?,
            features: Tensor::from_vec(search_feat, (q, QUERY_DIM), device)?,
        })
    };
    let p = positions.len();
    Ok(Batch {
        items: ids(items)?,
        events: ids(events)?,
        gaps: ids(gaps)?,
        repeats: ids(repeats)?,
        mask: Tensor::from_vec(mask, (rows, 1, len, len), device)?,
        positions: Tensor::from_vec(positions, p, device)?,
        outputs,
        repeat,
        searches,
        rows,
        len,
    })
}

/// Training targets of a batch built with `all_positions`: the next item after each output
/// position, and the time-to-next-purchase classes consistent with what followed, where the
/// sequence has times: `(output position, lowest class, highest class)`. A later purchase
/// gives its exact class; none before `data_end` (censoring) says only that the gap is longer
/// than `data_end - t`, so every class from there up is allowed.
pub(crate) fn targets(
    windows: &[Window<'_>],
    batch: &Batch,
    data_end: i64,
) -> (Vec<u32>, Vec<(u32, u32, u32)>) {
    let mut next = Vec::with_capacity(batch.outputs.len());
    let mut time = Vec::new();
    let last = TIME_CLASSES as u32 - 1;
    for (p, &(i, b)) in batch.outputs.iter().enumerate() {
        let seq = windows[b].seq;
        next.push(seq.items[i + 1]);
        if !seq.times.is_empty() {
            let later = (i + 1..seq.len()).find(|&k| {
                seq.events[k] == EventKind::Purchase as u8 && seq.baskets[k] != seq.baskets[i]
            });
            match later {
                Some(k) => {
                    let c = time_class((seq.times[k] - seq.times[i]) as f64 / DAY);
                    time.push((p as u32, c, c));
                }
                None => {
                    let c = time_class((data_end - seq.times[i]).max(0) as f64 / DAY);
                    time.push((p as u32, c, last));
                }
            }
        }
    }
    (next, time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_of_any_length_stay_inside_the_embedding() {
        let day = DAY as i64;
        let seq = Sequence {
            customer: "a".into(),
            items: vec![1, 2, 3, 4],
            events: vec![1; 4],
            times: vec![0, day / 2, 400 * day, 40_000 * day],
            baskets: vec![0, 1, 2, 3],
            searches: Vec::new(),
        };
        let buckets: Vec<u32> = (0..4).map(|i| gap_bucket(&seq, i)).collect();
        assert_eq!(buckets[..2], [1, 3]);
        assert!(
            buckets.iter().all(|&b| (b as usize) < GAP_BUCKETS),
            "{buckets:?}"
        );
    }

    #[test]
    fn windows_pad_right_and_mask_causally() {
        let a = Sequence::from_items("a", vec![1, 2, 1]);
        let b = Sequence::from_items("b", vec![3]);
        let w = [
            Window {
                seq: &a,
                start: 0,
                end: 3,
                all_positions: true,
            },
            Window {
                seq: &b,
                start: 0,
                end: 1,
                all_positions: false,
            },
        ];
        let batch = encode(&w, 50, 3, true, false, &Device::Cpu).unwrap();
        assert_eq!(
            batch.items.to_vec2::<u32>().unwrap(),
            vec![vec![1, 2, 1], vec![3, 0, 0]]
        );
        assert_eq!(
            batch.repeats.to_vec2::<u32>().unwrap(),
            vec![vec![1, 1, 2], vec![1, 0, 0]]
        );
        assert_eq!(batch.positions.to_vec1::<u32>().unwrap(), vec![0, 1, 2, 3]);
        let mask = batch.mask.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        // Row a, query 1 sees keys 0 and 1, not 2.
        assert_eq!(&mask[3..6], &[0.0, 0.0, -1e9]);
        // Row b's padding query 2 sees only itself.
        assert_eq!(&mask[9 + 6..9 + 9], &[-1e9, -1e9, 0.0]);
        // Item 1 at the third position of `a` was seen once before.
        let feats = batch.repeat.unwrap();
        assert_eq!(feats.flat.dims(), &[1 + 2 + 2 + 1]);
    }

    #[test]
    fn searches_become_tokens_read_before_the_next_event() {
        let mut a = Sequence::from_items("a", vec![1, 2, 3]);
        a.searches = vec![
            crate::data::Search {
                before: 1,
                time: 0,
                text: "decaf".into(),
            },
            crate::data::Search {
                before: 3,
                time: 0,
                text: "dog food".into(),
            },
        ];
        let w = |all_positions| Window {
            seq: &a,
            start: 0,
            end: 3,
            all_positions,
        };
        let batch = encode(&[w(true)], 50, 3, false, true, &Device::Cpu).unwrap();
        // item 1, search, item 2, item 3, search.
        assert_eq!(
            batch.items.to_vec2::<u32>().unwrap(),
            vec![vec![1, 0, 2, 3, 0]]
        );
        assert_eq!(
            batch.events.to_vec2::<u32>().unwrap()[0],
            vec![1, 4, 1, 1, 4]
        );
        // Item 1's output is read at the search after it; item 3's at the last search.
        assert_eq!(batch.positions.to_vec1::<u32>().unwrap(), vec![1, 2, 4]);
        assert_eq!(batch.outputs, vec![(0, 0), (1, 0), (2, 0)]);
        let q = batch.searches.unwrap();
        assert_eq!(q.position.to_vec1::<u32>().unwrap(), vec![1, 4]);
        assert_eq!(q.features.dims(), &[2, QUERY_DIM]);
        // Without searches the batch is the plain one.
        let plain = encode(&[w(false)], 50, 3, false, false, &Device::Cpu).unwrap();
        assert_eq!(plain.items.to_vec2::<u32>().unwrap(), vec![vec![1, 2, 3]]);
        assert!(plain.searches.is_none());
        // A short window keeps the last event whatever follows it.
        let short = encode(&[w(false)], 2, 3, false, true, &Device::Cpu).unwrap();
        assert_eq!(short.items.to_vec2::<u32>().unwrap(), vec![vec![3, 0]]);
        assert_eq!(short.outputs, vec![(2, 0)]);
    }

    #[test]
    fn long_windows_keep_the_last_events() {
        let a = Sequence::from_items("a", (1..=10).collect());
        let w = [Window {
            seq: &a,
            start: 0,
            end: 10,
            all_positions: false,
        }];
        let batch = encode(&w, 4, 10, false, false, &Device::Cpu).unwrap();
        assert_eq!(
            batch.items.to_vec2::<u32>().unwrap(),
            vec![vec![7, 8, 9, 10]]
        );
        assert_eq!(batch.outputs, vec![(9, 0)]);
    }

    #[test]
    fn time_classes_follow_the_bounds() {
        assert_eq!(time_class(0.0), 0);
        assert_eq!(time_class(7.0), 1);
        assert_eq!(time_class(400.0), 7);
    }
}
