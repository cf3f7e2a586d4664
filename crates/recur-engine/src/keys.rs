//! API keys of a workspace: stored hashed, each with scopes; shown once when created.
//!
//! A key reads `rk_<id>_<secret>`: the id (8 hex digits) finds the stored record, the
//! secret (32 hex digits, 128 random bits) is checked against its SHA-256 in constant time.
//! `api-keys.json` in the workspace holds the records; the secret itself is never stored.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};
use crate::workspace::Workspace;

/// The file beside `recur.toml` that holds the workspace's key records.
pub const KEYS_FILE: &str = "api-keys.json";

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Read analytics, profiles, recommendations, campaigns (no personal data).
    Read,
    /// Post events.
    WriteEvents,
    /// Plan, generate and evaluate campaigns.
    Campaigns,
    /// See personal data (names, e-mail addresses, phones) in responses.
    Personal,
    /// Everything above.
    Admin,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 5] = [
        Scope::Read,
        Scope::WriteEvents,
        Scope::Campaigns,
        Scope::Personal,
        Scope::Admin,
    ];

    /// The scope's name on the command line and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::WriteEvents => "write-events",
            Scope::Campaigns => "campaigns",
            Scope::Personal => "personal",
            Scope::Admin => "admin",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                format!(
                    "unknown scope `{s}`; expected one of {}",
                    Scope::ALL.map(Scope::as_str).join(", ")
                )
            })
    }
}

/// A stored key record (no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// Public id (the part after `rk_`).
    pub id: String,
    /// A label for people (what the key is for).
    pub label: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// SHA-256 of the secret, hex.
    pub secret_sha256: String,
    /// When it was made (RFC 3339).
    pub created_at: String,
}

impl KeyRecord {
    /// Whether the key may act in `scope` (`admin` may do everything).
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&Scope::Admin) || self.scopes.contains(&scope)
    }
}

/// The keys of one workspace.
#[derive(Debug, Clone, Default)]
pub struct ApiKeys {
    keys: Vec<KeyRecord>,
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| Error::Io {
        path: PathBuf::from("(system random source)"),
        action: "read",
        error: std::io::Error::other(e.to_string()),
    })?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn keys_path(ws: &Workspace) -> PathBuf {
    ws.root().join(KEYS_FILE)
}

fn read_records(path: &Path) -> Result<Vec<KeyRecord>> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| Error::Config {
            path: path.to_owned(),
            message: format!(
                "{e}; the key file is damaged: restore it or delete it and create new keys"
            ),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(error) => Err(Error::Io {
            path: path.to_owned(),
            action: "read",
            error,
        }),
    }
}

/// Rewrites the key file under an advisory lock (two `keys create` at once both land).
fn update_records<T>(
    ws: &Workspace,
    change: impl FnOnce(&mut Vec<KeyRecord>) -> Result<T>,
) -> Result<T> {
    let path = keys_path(ws);
    let lock_path = path.with_extension("json.lock");
    let io = |action: &'static str, p: &Path| {
        let p = p.to_owned();
        move |error| Error::Io {
            path: p,
            action,
            error,
        }
    };
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io("create", &lock_path))?;
    lock.lock().map_err(io("lock", &lock_path))?;
    let mut records = read_records(&path)?;
    let out = change(&mut records)?;
    let text = serde_json::to_string_pretty(&records).map_err(|e| Error::Io {
        path: path.clone(),
        action: "encode",
        error: std::io::Error::other(e),
    })?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(io("write", &tmp))?;
    std::fs::rename(&tmp, &path).map_err(io("replace", &path))?;
    Ok(out)
}

impl ApiKeys {
    /// Reads the workspace's keys (none when no key was made).
    pub fn open(ws: &Workspace) -> Result<ApiKeys> {
        Ok(ApiKeys {
            keys: read_records(&keys_path(ws))?,
        })
    }

    /// Makes a key; returns its record and the full key, which is shown once and never stored.
    pub fn create(ws: &Workspace, scopes: &[Scope], label: &str) -> Result<(KeyRecord, String)> {
        if scopes.is_empty() {
            return Err(Error::BadSetting {
                key: "scope".into(),
                value: String::new(),
                hint: format!(
                    "give at least one --scope ({})",
                    Scope::ALL.map(Scope::as_str).join(", ")
                ),
            });
        }
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        let secret = random_hex(16)?;
        update_records(ws, |records| {
            let mut id = random_hex(4)?;
            while records.iter().any(|r| r.id == id) {
                id = random_hex(4)?;
            }
            let record = KeyRecord {
                id: id.clone(),
                label: label.to_owned(),
                scopes,
                secret_sha256: sha256_hex(&secret),
                created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            };
            records.push(record.clone());
            Ok((record, format!("rk_{id}_{secret}")))
        })
    }

    /// Removes a key by id; false when there was none.
    pub fn revoke(ws: &Workspace, id: &str) -> Result<bool> {
        update_records(ws, |records| {
            let before = records.len();
            records.retain(|r| r.id != id);
            Ok(records.len() != before)
        })
    }

    /// The stored records.
    pub fn records(&self) -> &[KeyRecord] {
        &self.keys
    }

    /// The record of a presented key, when it is one of ours (constant-time comparison).
    pub fn verify(&self, presented: &str) -> Option<&KeyRecord> {
        let rest = presented.strip_prefix("rk_")?;
        let (id, secret) = rest.split_once('_')?;
        let record = self.keys.iter().find(|r| r.id == id)?;
        let given = sha256_hex(secret);
        bool::from(given.as_bytes().ct_eq(record.secret_sha256.as_bytes())).then_some(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_keys_verify_and_wrong_ones_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::init(dir.path()).unwrap();
        let (rec, key) = ApiKeys::create(&ws, &[Scope::Read, Scope::Read], "site").unwrap();
        assert_eq!(rec.scopes, vec![Scope::Read]);
        let keys = ApiKeys::open(&ws).unwrap();
        assert_eq!(
            keys.verify(&key).map(|r| r.id.as_str()),
            Some(rec.id.as_str())
        );
        assert!(keys.verify(&format!("{key}0")).is_none());
        assert!(keys.verify("rk_00000000_00").is_none());
        assert!(keys.verify("").is_none());
        let stored = std::fs::read_to_string(dir.path().join(KEYS_FILE)).unwrap();
        assert!(!stored.contains(key.rsplit('_').next().unwrap()));
        assert!(ApiKeys::revoke(&ws, &rec.id).unwrap());
        assert!(ApiKeys::open(&ws).unwrap().verify(&key).is_none());
        assert!(ApiKeys::create(&ws, &[], "x").is_err());
    }

    #[test]
    fn admin_allows_every_scope() {
        let r = KeyRecord {
            id: "1".into(),
            label: String::new(),
            scopes: vec![Scope::Admin],
            secret_sha256: String::new(),
            created_at: String::new(),
        };
        assert!(Scope::ALL.iter().all(|&s| r.allows(s)));
        assert_eq!("write-events".parse::<Scope>(), Ok(Scope::WriteEvents));
        assert!("root".parse::<Scope>().is_err());
    }
}
