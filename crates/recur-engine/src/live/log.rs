//! The append-only event log: one JSON line per event, fsynced before a post is answered.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use super::event::LiveEvent;
use super::pending::{KeySet, Pending};
use crate::error::{Error, Result};
use crate::workspace::Workspace;

/// The live folder inside a workspace.
pub const LIVE_DIR: &str = "live";
const LOG_FILE: &str = "events.log";
const KEYS_FILE: &str = "keys.log";
const COMPACTED_FILE: &str = "compacted";
/// How long idempotency keys of compacted events are remembered, in seconds.
pub const KEY_RETENTION_SECONDS: i64 = 7 * 86_400;

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedEvent {
    /// Sequence number (1, 2, ... over the workspace's life).
    pub seq: u64,
    /// Idempotency key (the client's, or one the server made).
    pub key: String,
    /// When the server accepted it (Unix seconds).
    pub received_at: i64,
    /// The event.
    pub event: LiveEvent,
}

/// What an append did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Appended {
    /// Events written (durable).
    pub accepted: usize,
    /// Events whose key was seen before (not written again).
    pub duplicates: usize,
    /// Last sequence number in the log after the append.
    pub last_seq: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct KeyLine {
    key: String,
    at: i64,
}

pub(super) struct LogState {
    pub(super) file: File,
    /// How many times the open log was replaced by a fresh file (by sealing).
    file_generation: u64,
    pub(super) next_seq: u64,
    /// Keys of every event in the log, the sealed logs and compacted recently.
    keys: KeySet,
    /// Events not yet folded into the stored tables' snapshot.
    pending: Pending,
    /// Events through this sequence number are in the served snapshot.
    pub(super) forgotten_through: u64,
}

/// The workspace's event log (one writer: the server that opened it).
pub struct EventLog {
    pub(super) dir: PathBuf,
    pub(super) state: Mutex<LogState>,
    /// The newest open-log generation whose directory entry is on disk: an append to a
    /// fresher file syncs the directory itself before it is acknowledged.
    dir_synced: AtomicU64,
    _lock: File,
}

pub(super) fn io(action: &'static str, path: &Path) -> impl Fn(std::io::Error) -> Error + use<> {
    let path = path.to_owned();
    move |error| Error::Io {
        path: path.clone(),
        action,
        error,
    }
}

/// Reads a log's complete lines; a torn last line (a crash mid-write, never acknowledged)
/// is cut off so the next append starts on a fresh line.
pub(super) fn read_log(path: &Path, truncate_torn: bool) -> Result<Vec<LoggedEvent>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io("read", path)(e)),
    };
    let mut reader = BufReader::new(file);
    let mut out = Vec::new();
    let mut good_bytes = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(io("read", path))?;
        if n == 0 {
            break;
        }
        if line.last() != Some(&b'\n') {
            break;
        }
        match serde_json::from_slice::<LoggedEvent>(&line) {
            Ok(e) => {
                out.push(e);
                good_bytes += n as u64;
            }
            Err(e) => {
                return Err(Error::Config {
                    path: path.to_owned(),
                    message: format!(
                        "event {} is unreadable ({e}); the log was changed by hand: restore it",
                        out.len() + 1
                    ),
                });
            }
        }
    }
    if truncate_torn {
        let len = std::fs::metadata(path).map_err(io("read", path))?.len();
        if len > good_bytes {
            let f = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(io("open", path))?;
            f.set_len(good_bytes).map_err(io("truncate", path))?;
            f.sync_all().map_err(io("sync", path))?;
        }
    }
    Ok(out)
}

pub(super) fn sealed_logs(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io("list", dir))? {
        let entry = entry.map_err(io("list", dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(n) = name
            .strip_prefix("sealed-")
            .and_then(|r| r.strip_suffix(".log"))
            .and_then(|n| n.parse::<u64>().ok())
        {
            out.push((n, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

pub(super) fn read_compacted(dir: &Path) -> Result<u64> {
    let path = dir.join(COMPACTED_FILE);
    match std::fs::read_to_string(&path) {
        Ok(t) => t.trim().parse().map_err(|_| Error::Config {
            path: path.clone(),
            message: "is not a sequence number; restore it from a backup".into(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(io("read", &path)(e)),
    }
}

pub(super) fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp).map_err(io("create", &tmp))?;
    f.write_all(text.as_bytes()).map_err(io("write", &tmp))?;
    f.sync_all().map_err(io("sync", &tmp))?;
    std::fs::rename(&tmp, path).map_err(io("replace", path))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")));
    Ok(())
}

pub(super) fn sync_dir(dir: &Path) {
    // Directory fsync makes renames durable (Linux; a no-op error elsewhere is ignored).
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

fn open_append(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io("open", path))
}

/// Takes the live log's lock for a command that rewrites it (erasure): `None` when the
/// workspace has no live log, [`Error::LiveLogBusy`] while a server holds it.
pub(crate) fn hold_live_log(ws: &Workspace) -> Result<Option<File>> {
    let lock_path = ws.root().join(LIVE_DIR).join(".lock");
    if !lock_path.exists() {
        return Ok(None);
    }
    let lock = OpenOptions::new()
        .write(true)
        .open(&lock_path)
        .map_err(io("open", &lock_path))?;
    match lock.try_lock() {
        Ok(()) => Ok(Some(lock)),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::LiveLogBusy(lock_path)),
        Err(std::fs::TryLockError::Error(e)) => Err(io("lock", &lock_path)(e)),
    }
}

impl EventLog {
    /// Opens (creating) the workspace's log; one process at a time holds it.
    pub fn open(ws: &Workspace) -> Result<EventLog> {
        let dir = ws.root().join(LIVE_DIR);
        std::fs::create_dir_all(&dir).map_err(io("create", &dir))?;
        let lock_path = dir.join(".lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io("create", &lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::LiveLogBusy(lock_path));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io("lock", &lock_path)(e)),
        }
        let compacted = read_compacted(&dir)?;
        let now = chrono::Utc::now().timestamp();
        // Keys of recently compacted events; the file is rewritten without expired ones.
        let keys_path = dir.join(KEYS_FILE);
        let mut keys = KeySet::default();
        let mut kept = String::new();
        if let Ok(text) = std::fs::read_to_string(&keys_path) {
            for line in text.lines() {
                if let Ok(k) = serde_json::from_str::<KeyLine>(line)
                    && now - k.at <= KEY_RETENTION_SECONDS
                {
                    kept.push_str(line);
                    kept.push('\n');
                    keys.insert(&k.key);
                }
            }
            write_atomic(&keys_path, &kept)?;
        }
        let mut pending = Pending::default();
        let mut last = compacted;
        let sealed = sealed_logs(&dir)?;
        // A sealed log's name carries its last sequence number even when erasure removed that
        // event: new events never reuse it (a later seal would take the same name).
        last = sealed.iter().map(|s| s.0).fold(last, u64::max);
        let mut files: Vec<(Option<u64>, PathBuf)> =
            sealed.into_iter().map(|s| (Some(s.0), s.1)).collect();
        files.push((None, dir.join(LOG_FILE)));
        for (sealed_through, path) in &files {
            for e in read_log(path, sealed_through.is_none())? {
                last = last.max(e.seq);
                keys.insert(&e.key);
                if e.seq > compacted {
                    pending.push(e);
                }
            }
            if let Some(through) = sealed_through {
                pending.seal(*through);
            }
        }
        let file = open_append(&dir.join(LOG_FILE))?;
        Ok(EventLog {
            dir,
            state: Mutex::new(LogState {
                file,
                // The fresh file's name is synced by the first append (generation 1 > 0).
                file_generation: 1,
                next_seq: last + 1,
                keys,
                pending,
                forgotten_through: compacted,
            }),
            dir_synced: AtomicU64::new(0),
            _lock: lock,
        })
    }

    pub(super) fn lock_state(&self) -> MutexGuard<'_, LogState> {
        // A panic while holding the lock cannot leave the state half-changed (appends
        // change it only after the write succeeded), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes events (key, event) durably, skipping keys seen before (also within the batch).
    /// Returns only after the data reached the disk. Concurrent appends write in turn but
    /// wait for the disk together (the fsync happens outside the lock and covers every write
    /// before it), so a busy log pays about one fsync per round, not one per post.
    pub fn append(&self, batch: Vec<(Option<String>, LiveEvent)>) -> Result<Appended> {
        let now = chrono::Utc::now().timestamp();
        let path = self.dir.join(LOG_FILE);
        let mut lines = Vec::with_capacity(batch.len() * 160);
        let mut logged = Vec::with_capacity(batch.len());
        let mut duplicates = 0;
        let (file, last_seq, generation) = {
            let mut st = self.lock_state();
            let mut batch_keys = HashSet::new();
            let mut seq = st.next_seq;
            for (key, event) in batch {
                let key = key.unwrap_or_else(|| format!("auto-{seq}"));
                if st.keys.contains(&key) || !batch_keys.insert(key.clone()) {
                    duplicates += 1;
                    continue;
                }
                let e = LoggedEvent {
                    seq,
                    key,
                    received_at: now,
                    event,
                };
                serde_json::to_writer(&mut lines, &e).map_err(|e| Error::Io {
                    path: path.clone(),
                    action: "encode",
                    error: std::io::Error::other(e),
                })?;
                lines.push(b'\n');
                logged.push(e);
                seq += 1;
            }
            if logged.is_empty() {
                return Ok(Appended {
                    accepted: 0,
                    duplicates,
                    last_seq: st.next_seq - 1,
                });
            }
            st.file.write_all(&lines).map_err(io("append to", &path))?;
            // Reserved now: a concurrent post of the same key is a duplicate.
            for e in &logged {
                st.keys.insert(&e.key);
            }
            st.next_seq = seq;
            (
                st.file.try_clone().map_err(io("open", &path))?,
                seq - 1,
                st.file_generation,
            )
        };
        let synced = file.sync_data().map(|()| {
            // A log opened by a seal whose directory sync has not finished yet: its name
            // must be on disk too before the events count as stored.
            if self.dir_synced.load(Ordering::Acquire) < generation {
                sync_dir(&self.dir);
                self.dir_synced.fetch_max(generation, Ordering::AcqRel);
            }
        });
        if let Err(error) = synced {
            // Not acknowledged: the keys are released so that the client's retry is stored.
            let mut st = self.lock_state();
            for e in &logged {
                st.keys.remove(&e.key);
            }
            return Err(io("sync", &path)(error));
        }
        let accepted = logged.len();
        let mut st = self.lock_state();
        for e in logged {
            // A compaction that already folded it (and a snapshot that holds it) is not undone.
            if e.seq <= st.forgotten_through {
                continue;
            }
            st.pending.push(e);
        }
        Ok(Appended {
            accepted,
            duplicates,
            last_seq,
        })
    }

    /// The customer's events after sequence number `after` (what a snapshot built through
    /// `after` does not hold yet), oldest first.
    pub fn recent(&self, customer: &str, after: u64) -> Vec<LiveEvent> {
        self.lock_state().pending.recent(customer, after)
    }

    /// The last sequence number folded into the stored tables.
    pub fn compacted_through(&self) -> Result<u64> {
        read_compacted(&self.dir)
    }

    /// Events logged but not yet compacted into the stored tables.
    pub fn depth(&self) -> usize {
        self.lock_state().pending.len()
    }

    /// Forgets events through `seq` (a refreshed snapshot now holds them).
    pub fn forget_through(&self, seq: u64) {
        let dropped = {
            let mut st = self.lock_state();
            st.forgotten_through = st.forgotten_through.max(seq);
            st.pending.take_through(seq)
        };
        // Freed here, after the lock: appends do not wait for it.
        drop(dropped);
    }

    /// The keys file (appended to by compaction).
    pub(super) fn keys_path(&self) -> PathBuf {
        self.dir.join(KEYS_FILE)
    }

    pub(super) fn log_path(&self) -> PathBuf {
        self.dir.join(LOG_FILE)
    }

    pub(super) fn compacted_path(&self) -> PathBuf {
        self.dir.join(COMPACTED_FILE)
    }

    /// Closes the open log for compaction: renames it `sealed-<last seq>.log` and starts a
    /// fresh one. Nothing to seal: `None`.
    pub(super) fn seal(&self) -> Result<Option<u64>> {
        let (last, generation) = {
            let mut st = self.lock_state();
            let path = self.log_path();
            let len = st.file.metadata().map_err(io("read", &path))?.len();
            if len == 0 {
                return Ok(None);
            }
            let last = st.next_seq - 1;
            let sealed = self.dir.join(format!("sealed-{last:020}.log"));
            std::fs::rename(&path, &sealed).map_err(io("seal", &path))?;
            st.file = open_append(&path)?;
            st.file_generation += 1;
            st.pending.seal(last);
            (last, st.file_generation)
        };
        // Outside the lock: appends go on meanwhile, and one that lands in the fresh log
        // before this sync finishes syncs the directory itself (see `append`).
        sync_dir(&self.dir);
        self.dir_synced.fetch_max(generation, Ordering::AcqRel);
        Ok(Some(last))
    }

    /// A writer appending keys of compacted events to the keys file.
    pub(super) fn key_writer(&self) -> Result<KeyWriter> {
        let path = self.keys_path();
        let file = open_append(&path)?;
        Ok(KeyWriter {
            out: std::io::BufWriter::with_capacity(1 << 20, file),
            at: chrono::Utc::now().timestamp(),
            path,
        })
    }
}

/// Appends keys of compacted events to the keys file; durable after [`KeyWriter::finish`].
pub(super) struct KeyWriter {
    out: std::io::BufWriter<File>,
    at: i64,
    path: PathBuf,
}

impl KeyWriter {
    pub(super) fn add(&mut self, key: &str) -> Result<()> {
        serde_json::to_writer(
            &mut self.out,
            &KeyLine {
                key: key.to_owned(),
                at: self.at,
            },
        )
        .map_err(|e| Error::Io {
            path: self.path.clone(),
            action: "encode",
            error: std::io::Error::other(e),
        })?;
        self.out
            .write_all(b"\n")
            .map_err(io("append to", &self.path))
    }

    pub(super) fn finish(self) -> Result<()> {
        let path = self.path;
        let file = self
            .out
            .into_inner()
            .map_err(|e| io("append to", &path)(e.into_error()))?;
        file.sync_data().map_err(io("sync", &path))
    }
}
