//! Turning sequences into model inputs: item, event-kind, time-gap and repeat ids per position,
//! attention masks, the positions whose outputs are needed, and repeat features for scoring.

use candle_core::{Device, Tensor};

use crate::data::{EventKind, Sequence};
use crate::error::Result;

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

fn gap_bucket(seq: &Sequence, i: usize) -> u32 {
    if i == 0 {
        return 1;
    }
    if seq.baskets[i] == seq.baskets[i - 1] {
        return 2;
    }
    if seq.times.is_empty() {
        return 1;
    }
    let days = (seq.times[i] - seq.times[i - 1]) as f64 / DAY;
    // A gap of a year or more shares the last range (the embedding has GAP_BUCKETS rows).
    (3 + GAP_DAYS.iter().take_while(|&&b| days >= b).count() as u32).min(GAP_BUCKETS as u32 - 1)
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

/// Builds a batch. `max_len` caps each window to its last `max_len` events.
pub fn encode(
    windows: &[Window<'_>],
    max_len: usize,
    num_items: usize,
    with_repeats: bool,
    device: &Device,
) -> Result<Batch> {
    let rows = windows.len();
    let len = windows
        .iter()
        .map(|w| (w.end - w.start).min(max_len))
        .max()
        .unwrap_or(1)
        .max(1);
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
    let vocab = num_items as u32 + 1;
    for (b, w) in windows.iter().enumerate() {
        let start = w.start.max(w.end.saturating_sub(max_len));
        let n = w.end - start;
        let seq = w.seq;
        // Occurrence counts before the window, for the repeat ids.
        let mut seen: std::collections::HashMap<u32, (u32, u32)> = Default::default();
        let look_from = start.saturating_sub(REPEAT_LOOKBACK);
        for i in look_from..start {
            let e = seen.entry(seq.items[i]).or_insert((0, 0));
            e.0 += 1;
            e.1 = seq.baskets[i];
        }
        for t in 0..n {
            let i = start + t;
            let item = seq.items[i];
            let o = b * len + t;
            items[o] = item;
            events[o] = u32::from(seq.events[i]);
            gaps[o] = gap_bucket(seq, i);
            let before = seen.get(&item).map_or(0, |e| e.0);
            repeats[o] = 1 + before.min(2);
            let e = seen.entry(item).or_insert((0, 0));
            e.0 += 1;
            e.1 = seq.baskets[i];
            for k in 0..=t {
                mask[(b * len + t) * len + k] = 0.0;
            }
            if w.all_positions || t == n - 1 {
                let p = positions.len() as u32;
                positions.push(o as u32);
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
        let batch = encode(&w, 50, 3, true, &Device::Cpu).unwrap();
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
    fn long_windows_keep_the_last_events() {
        let a = Sequence::from_items("a", (1..=10).collect());
        let w = [Window {
            seq: &a,
            start: 0,
            end: 10,
            all_positions: false,
        }];
        let batch = encode(&w, 4, 10, false, &Device::Cpu).unwrap();
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
