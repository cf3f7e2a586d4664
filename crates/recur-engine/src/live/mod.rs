//! Live events: what the shop's site posts between imports.
//!
//! ```text
//!  live/events.log        append-only JSON lines, fsynced before a post is acknowledged
//!  live/sealed-N.log      a log closed for compaction (N: its last sequence number)
//!  live/compact-N/        the JSONL files of one sealed log, one per table, being imported
//!  live/compacted         the last sequence number folded into the stored tables
//!  live/keys.log          idempotency keys of compacted events (kept 7 days)
//!  live/.lock             held by the one process that writes the log
//! ```
//!
//! An event is acknowledged only after its line reached the disk; a retried post with the
//! same idempotency key is answered as a duplicate. Compaction seals the log, imports its
//! events through the ordinary import (the same accounting: imported, quarantined,
//! duplicates), records the keys and the sequence number, then removes the sealed log; a
//! crash at any step leaves a state the next compaction completes without doubling a row.
//! Until a refreshed snapshot holds them, [`EventLog::recent`] gives a customer's events
//! so that profiles and recommendations see them within seconds.

mod compact;
mod event;
mod log;
mod pending;

pub use compact::Compaction;
pub use event::{LiveEvent, LiveKind, MAX_ID_BYTES, MAX_TEXT_BYTES};
pub(crate) use log::hold_live_log;
pub use log::{Appended, EventLog, KEY_RETENTION_SECONDS, LIVE_DIR, LoggedEvent};
