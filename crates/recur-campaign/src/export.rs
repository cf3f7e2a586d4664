//! File delivery: the messages of a campaign as CSV files shaped for Braze and Klaviyo
//! imports, and as JSON lines.

use recur_core::CustomerId;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::message::Draft;

/// One personalised message ready to go out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outgoing {
    /// Campaign id.
    pub campaign: String,
    /// Customer id (Braze `external_id`).
    pub customer_id: CustomerId,
    /// E-mail address (needed by Klaviyo; never part of a prompt or a log line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The message with placeholders filled.
    pub message: Draft,
    /// Offer name.
    pub offer: String,
    /// Coupon code, if any.
    pub coupon_code: Option<String>,
    /// Last valid day of the offer (YYYY-MM-DD).
    pub offer_expires: Option<String>,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

fn csv_err(path: &Path) -> impl Fn(csv::Error) -> Error + '_ {
    move |e| Error::Io {
        path: path.to_owned(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// Writes `braze.csv` (external_id + custom attributes), `klaviyo.csv` (Email + properties)
/// and `messages.jsonl` into `dir`, each through a temporary file renamed into place, and
/// returns their paths. Recipients without an e-mail address are left out of `klaviyo.csv`
/// only (Klaviyo keys profiles by e-mail).
pub fn export_files(dir: &Path, messages: &[Outgoing]) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let attrs = |m: &Outgoing| -> Vec<String> {
        vec![
            m.campaign.clone(),
            m.message.subject.clone(),
            m.message.preheader.clone(),
            m.message.body.clone(),
            m.offer.clone(),
            m.coupon_code.clone().unwrap_or_default(),
            m.offer_expires.clone().unwrap_or_default(),
        ]
    };
    const ATTRS: [&str; 7] = [
        "recur_campaign",
        "recur_subject",
        "recur_preheader",
        "recur_body",
        "recur_offer",
        "recur_coupon_code",
        "recur_offer_expires",
    ];
    let mut written = Vec::new();
    let write_csv = |name: &str, header: Vec<&str>, rows: Vec<Vec<String>>| -> Result<PathBuf> {
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        {
            let mut w = csv::Writer::from_path(&tmp).map_err(csv_err(&tmp))?;
            w.write_record(&header).map_err(csv_err(&tmp))?;
            for r in rows {
                // Subject lines, categories and ids can begin with `=`: never a formula.
                w.write_record(
                    r.iter()
                        .map(|c| recur_core::spreadsheet_safe(c).into_owned()),
                )
                .map_err(csv_err(&tmp))?;
            }
            w.flush().map_err(io_err(&tmp))?;
        }
        std::fs::rename(&tmp, &path).map_err(io_err(&path))?;
        Ok(path)
    };
    let mut header = vec!["external_id"];
    header.extend(ATTRS);
    written.push(write_csv(
        "braze.csv",
        header,
        messages
            .iter()
            .map(|m| {
                let mut r = vec![m.customer_id.to_string()];
                r.extend(attrs(m));
                r
            })
            .collect(),
    )?);
    let mut header = vec!["Email", "External ID"];
    header.extend(ATTRS);
    written.push(write_csv(
        "klaviyo.csv",
        header,
        messages
            .iter()
            .filter_map(|m| {
                let email = m.email.clone()?;
                let mut r = vec![email, m.customer_id.to_string()];
                r.extend(attrs(m));
                Some(r)
            })
            .collect(),
    )?);
    let path = dir.join("messages.jsonl");
    let tmp = dir.join(".messages.jsonl.tmp");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(io_err(&tmp))?);
        for m in messages {
            let line = serde_json::to_string(m).map_err(|e| Error::Io {
                path: tmp.clone(),
                source: std::io::Error::other(e.to_string()),
            })?;
            writeln!(f, "{line}").map_err(io_err(&tmp))?;
        }
        f.flush().map_err(io_err(&tmp))?;
    }
    std::fs::rename(&tmp, &path).map_err(io_err(&path))?;
    written.push(path);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_for_braze_klaviyo_and_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        let m = |id: &str, email: Option<&str>| Outgoing {
            campaign: "c1".into(),
            customer_id: id.into(),
            email: email.map(str::to_owned),
            message: Draft {
                subject: "New picks, \"just\" for you".into(),
                preheader: "15% off".into(),
                body: "Hi Ada,\nline two".into(),
            },
            offer: "15% off".into(),
            coupon_code: Some("BACK15-7F3A".into()),
            offer_expires: Some("2026-12-31".into()),
        };
        let files = export_files(
            dir.path(),
            &[m("A1", Some("ada@example.com")), m("B2", None)],
        )
        .unwrap();
        assert_eq!(files.len(), 3);
        let mut braze = csv::Reader::from_path(dir.path().join("braze.csv")).unwrap();
        assert_eq!(braze.headers().unwrap().get(0), Some("external_id"));
        let rows: Vec<csv::StringRecord> = braze.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get(4), Some("Hi Ada,\nline two"));
        assert_eq!(rows[0].get(2), Some("New picks, \"just\" for you"));
        let mut klaviyo = csv::Reader::from_path(dir.path().join("klaviyo.csv")).unwrap();
        assert_eq!(klaviyo.headers().unwrap().get(0), Some("Email"));
        assert_eq!(klaviyo.records().count(), 1, "no e-mail, no Klaviyo row");
        let jsonl = std::fs::read_to_string(dir.path().join("messages.jsonl")).unwrap();
        assert_eq!(jsonl.lines().count(), 2);
        let v: serde_json::Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
        assert_eq!(v["coupon_code"], "BACK15-7F3A");
        assert!(!dir.path().join(".braze.csv.tmp").exists());
    }

    #[test]
    fn formula_cells_are_written_as_text() {
        let dir = tempfile::tempdir().unwrap();
        let m = Outgoing {
            campaign: "c1".into(),
            customer_id: "=cmd|' /C calc'!A0".into(),
            email: Some("@evil.example".into()),
            message: Draft {
                subject: "+SUM(1,2)".into(),
                preheader: "-2+3".into(),
                body: "\tbody".into(),
            },
            offer: "-15".into(),
            coupon_code: None,
            offer_expires: None,
        };
        export_files(dir.path(), &[m]).unwrap();
        for name in ["braze.csv", "klaviyo.csv"] {
            let mut r = csv::Reader::from_path(dir.path().join(name)).unwrap();
            let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
            for cell in &rows[0] {
                let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
                assert!(!risky || cell == "-15", "{name}: {cell:?}");
            }
            assert!(rows[0].iter().any(|c| c == "'=cmd|' /C calc'!A0"), "{name}");
        }
    }
}
