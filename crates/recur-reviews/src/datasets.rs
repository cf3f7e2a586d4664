//! Labelled review files: the online-shopping layout (CSV `cat,label,review`, label 1
//! positive / 0 negative, Chinese) and Amazon review JSON lines (`overall` stars, `summary`,
//! `reviewText`, `asin`; 4-5 stars positive, 1-2 negative, 3 left out).

use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::Polarity;

/// The layout of a labelled file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetFormat {
    /// CSV with the header `cat,label,review`; label 1 positive, 0 negative.
    OnlineShopping,
    /// JSON lines with `overall` (stars), `summary`, `reviewText` and `asin`.
    AmazonReviews,
}

/// One labelled review of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledReview {
    /// The review's key: its 1-based line (row) in the file.
    pub key: String,
    /// Text (Amazon: the summary, a line break, the body).
    pub text: String,
    /// Label.
    pub label: Polarity,
    /// The product (Amazon `asin`) or category (`cat`) it belongs to.
    pub group: String,
}

/// A labelled file's reviews and what was left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Reviews with a label, in file order.
    pub reviews: Vec<LabelledReview>,
    /// Rows left out: three stars (Amazon) or no text at all.
    pub left_out: usize,
}

/// Reads a labelled file.
pub fn read_dataset(path: &Path, format: DatasetFormat) -> Result<Dataset> {
    let file = std::fs::File::open(path).map_err(|error| Error::ReadInput {
        path: path.to_owned(),
        error,
    })?;
    let reader = std::io::BufReader::new(file);
    match format {
        DatasetFormat::OnlineShopping => online_shopping(path, reader),
        DatasetFormat::AmazonReviews => amazon(path, reader),
    }
}

fn bad(path: &Path, line: usize, message: String, hint: &'static str) -> Error {
    Error::BadInput {
        path: PathBuf::from(path),
        line,
        message,
        hint,
    }
}

fn online_shopping(path: &Path, reader: impl std::io::Read) -> Result<Dataset> {
    const HINT: &str = "the online-shopping layout is CSV with the header `cat,label,review` and labels 1 (positive) or 0 (negative)";
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| bad(path, 1, e.to_string(), HINT))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').trim() == name)
            .ok_or_else(|| bad(path, 1, format!("no `{name}` column"), HINT))
    };
    let (cat, label, review) = (col("cat")?, col("label")?, col("review")?);
    let mut out = Dataset {
        reviews: Vec::new(),
        left_out: 0,
    };
    for (n, record) in csv.records().enumerate() {
        let line = n + 2;
        let record = record.map_err(|e| bad(path, line, e.to_string(), HINT))?;
        let text = record.get(review).unwrap_or("").to_owned();
        let label = match record.get(label).map(str::trim) {
            Some("1") => Polarity::Positive,
            Some("0") => Polarity::Negative,
            other => {
                return Err(bad(
                    path,
                    line,
                    format!("label `{}`", other.unwrap_or("")),
                    HINT,
                ));
            }
        };
        if text
            .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
            .is_empty()
        {
            out.left_out += 1;
            continue;
        }
        out.reviews.push(LabelledReview {
            key: format!("line {line}"),
            text,
            label,
            group: record.get(cat).unwrap_or("").to_owned(),
        });
    }
    Ok(out)
}

#[derive(Deserialize)]
struct AmazonLine {
    overall: f64,
    #[serde(default, rename = "reviewText")]
    review_text: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    asin: Option<String>,
}

fn amazon(path: &Path, reader: impl BufRead) -> Result<Dataset> {
    const HINT: &str = "the amazon-reviews layout is one JSON object per line with `overall` (1-5 stars) and `reviewText` and/or `summary`";
    let mut out = Dataset {
        reviews: Vec::new(),
        left_out: 0,
    };
    for (n, line) in reader.lines().enumerate() {
        let line_no = n + 1;
        let line = line.map_err(|e| bad(path, line_no, e.to_string(), HINT))?;
        if line.trim().is_empty() {
            continue;
        }
        let row: AmazonLine =
            serde_json::from_str(&line).map_err(|e| bad(path, line_no, e.to_string(), HINT))?;
        let stars = row.overall.round() as i64;
        let label = match Polarity::from_stars(stars) {
            Some(Polarity::Neutral) => {
                out.left_out += 1;
                continue;
            }
            Some(p) => p,
            None => {
                return Err(bad(
                    path,
                    line_no,
                    format!("`overall` {}", row.overall),
                    HINT,
                ));
            }
        };
        let text = match (row.summary.as_deref(), row.review_text.as_deref()) {
            (Some(s), Some(t)) => format!("{s}\n{t}"),
            (Some(s), None) => s.to_owned(),
            (None, Some(t)) => t.to_owned(),
            (None, None) => String::new(),
        };
        if text.trim().is_empty() {
            out.left_out += 1;
            continue;
        }
        out.reviews.push(LabelledReview {
            key: format!("line {line_no}"),
            text,
            label,
            group: row.asin.unwrap_or_default(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_layouts() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("zh.csv");
        std::fs::write(
            &csv,
            "cat,label,review\n书籍,1,\u{feff}很好看\n书籍,0,\"太差, 退货\"\n水果,1,\n",
        )
        .unwrap();
        let d = read_dataset(&csv, DatasetFormat::OnlineShopping).unwrap();
        assert_eq!(d.reviews.len(), 2);
        assert_eq!(d.left_out, 1);
        assert_eq!(d.reviews[1].text, "太差, 退货");
        assert_eq!(d.reviews[1].label, Polarity::Negative);
        let json = dir.path().join("en.json");
        std::fs::write(
            &json,
            "{\"overall\": 5.0, \"reviewText\": \"Love it\", \"summary\": \"Great\", \"asin\": \"A\"}\n{\"overall\": 3.0, \"reviewText\": \"meh\"}\n{\"overall\": 1.0, \"summary\": \"Awful\"}\n",
        )
        .unwrap();
        let d = read_dataset(&json, DatasetFormat::AmazonReviews).unwrap();
        assert_eq!(d.reviews.len(), 2);
        assert_eq!(d.left_out, 1);
        assert_eq!(d.reviews[0].text, "Great\nLove it");
        std::fs::write(&json, "{\"overall\": 9}\n").unwrap();
        let e = read_dataset(&json, DatasetFormat::AmazonReviews).unwrap_err();
        assert!(e.is_user_error());
        assert!(e.to_string().contains(":1:"));
    }
}
