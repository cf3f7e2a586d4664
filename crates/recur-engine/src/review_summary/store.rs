//! Saved review summaries: `recur analyze --product ID --summary` (or `--summaries N`) writes
//! one JSON file per product under [`SUMMARIES_DIR`], atomically (a temporary file renamed
//! into place), and the HTML report and the server read them; neither runs the model. A
//! summary rests on the product's review count when it was written: with another count now it
//! is stale (see [`SavedSummary::is_stale`]).

use std::path::{Path, PathBuf};

use recur_campaign::Language;
use serde::{Deserialize, Serialize};

use super::{BulletPath, ReviewSummary};
use crate::error::{Error, Result};
use crate::workspace::Workspace;

/// Folder of the saved review summaries inside a workspace, one `<product>.json` each.
pub const SUMMARIES_DIR: &str = "reviews/summaries";

/// Longest product id kept as is in a file name; longer ones are cut and hashed.
const NAME_CHARS: usize = 80;

/// One bullet of a saved summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedBullet {
    /// The bullet.
    pub text: String,
    /// Keys (`import:line`) of the reviews it cites.
    pub citations: Vec<String>,
    /// Who wrote it: the model (and it passed the citation check) or the template.
    pub path: BulletPath,
}

/// A product's review summary as saved in the workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedSummary {
    /// Product id.
    pub product_id: String,
    /// The product's reviews when the summary was written.
    pub reviews: usize,
    /// When it was written (RFC 3339, UTC).
    pub written_at: String,
    /// Language of the bullets.
    pub language: Language,
    /// `model` when the bullets are the model's, `template` when they are the template's.
    pub path: BulletPath,
    /// The model (file or endpoint) that was asked, if one was.
    pub writer: Option<String>,
    /// Why the template was used, when it was.
    pub note: Option<String>,
    /// The bullets with the reviews they cite.
    pub bullets: Vec<SavedBullet>,
}

impl SavedSummary {
    /// The saved form of `summary`, written now from the product's `reviews`.
    pub fn new(summary: &ReviewSummary, reviews: usize) -> Self {
        SavedSummary {
            product_id: summary.product_id.clone(),
            reviews,
            written_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            language: summary.language,
            path: summary.path,
            writer: summary.writer.clone(),
            note: summary.note.clone(),
            bullets: summary
                .bullets
                .iter()
                .map(|b| SavedBullet {
                    text: b.text.clone(),
                    citations: b.citations.clone(),
                    path: b.path,
                })
                .collect(),
        }
    }

    /// Whether the product's review count now, `reviews_now`, differs from the one the summary
    /// rests on (new reviews came in, or some were erased): it should be written again.
    pub fn is_stale(&self, reviews_now: usize) -> bool {
        reviews_now != self.reviews
    }
}

/// The file name of `product`'s summary: the id itself when it is made of letters, digits,
/// `-`, `_` and `.` (not first) and is short; else the id with other characters as `_`, cut
/// to 80 characters, then a hash of the whole id, so two ids never share a file.
fn file_name(product: &str) -> String {
    let plain = !product.is_empty()
        && product.chars().count() <= NAME_CHARS
        && !product.starts_with('.')
        && product
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain {
        return format!("{product}.json");
    }
    let safe: String = product
        .chars()
        .take(NAME_CHARS)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let hash = xxhash_rust::xxh3::xxh3_64(product.as_bytes());
    format!("{safe}-{hash:016x}.json")
}

/// Where `product`'s summary is saved in the workspace.
pub fn summary_file(ws: &Workspace, product: &str) -> PathBuf {
    ws.root().join(SUMMARIES_DIR).join(file_name(product))
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |error| Error::Io {
        path: path.to_path_buf(),
        action,
        error,
    }
}

/// Saves `summary` (replacing the product's earlier one) and returns its file. The file is
/// written beside and renamed into place: a reader sees the old summary or the new one.
pub fn save_summary(ws: &Workspace, summary: &SavedSummary) -> Result<PathBuf> {
    let path = summary_file(ws, &summary.product_id);
    let dir = ws.root().join(SUMMARIES_DIR);
    std::fs::create_dir_all(&dir).map_err(io("create", &dir))?;
    let text = serde_json::to_string_pretty(summary).map_err(|e| Error::Io {
        path: path.clone(),
        action: "encode",
        error: std::io::Error::other(e),
    })?;
    let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
    let written = (|| {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp).map_err(io("write", &tmp))?;
        f.write_all(text.as_bytes()).map_err(io("write", &tmp))?;
        f.sync_all().map_err(io("write", &tmp))?;
        std::fs::rename(&tmp, &path).map_err(io("replace", &path))
    })();
    if written.is_err() {
        // Best effort: the error being returned matters more than a leftover temporary file.
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    Ok(path)
}

fn read(path: &Path) -> Result<Option<SavedSummary>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("read", path)(e)),
    };
    // A file that does not decode (cut short, an older layout) counts as none saved: the
    // summaries are derived data, and the next `recur analyze --summaries` writes it again.
    Ok(serde_json::from_str(&text).ok())
}

/// `product`'s saved summary; `Ok(None)` when none was saved (or its file no longer decodes).
pub fn load_summary(ws: &Workspace, product: &str) -> Result<Option<SavedSummary>> {
    Ok(read(&summary_file(ws, product))?.filter(|s| s.product_id == product))
}

/// Every saved summary of the workspace, by product id; a file that cannot be read as one is
/// left out.
pub fn saved_summaries(ws: &Workspace) -> Result<Vec<SavedSummary>> {
    let dir = ws.root().join(SUMMARIES_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io("read", &dir)(e)),
    };
    let mut out: Vec<SavedSummary> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| read(&p).ok().flatten())
        .collect();
    out.sort_by(|a, b| a.product_id.cmp(&b.product_id));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_the_id_when_safe_and_hashed_otherwise() {
        assert_eq!(file_name("p1"), "p1.json");
        assert_eq!(file_name("B00X-4.v2"), "B00X-4.v2.json");
        let odd = file_name("../etc/passwd");
        assert!(
            odd.starts_with("___etc_passwd-") && odd.ends_with(".json"),
            "{odd}"
        );
        assert!(!odd.contains('/'));
        // Ids that map to the same characters still get their own files.
        assert_ne!(file_name("a/b"), file_name("a?b"));
        assert_ne!(file_name("a b"), file_name("a_b"));
        let long = "x".repeat(200);
        assert!(file_name(&long).len() < NAME_CHARS + 30);
        assert_ne!(file_name(""), ".json");
        assert!(file_name("商品").ends_with(".json") && file_name("商品").is_ascii());
    }
}
