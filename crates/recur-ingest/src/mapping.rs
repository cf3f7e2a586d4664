//! Column mappings: how a source file's columns become canonical fields.

use std::collections::BTreeMap;
use std::path::Path;

use recur_core::Table;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// File format of an import source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Delimited text with optional header (comma by default).
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// Apache Parquet.
    Parquet,
    /// Columns separated by runs of spaces or tabs (the CDNOW files).
    Whitespace,
}

impl Format {
    /// Guesses nothing: maps a file extension (after an optional `.gz`) to a format.
    pub fn from_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let ext = name.rsplit('.').next()?;
        match ext {
            "csv" | "tsv" => Some(Format::Csv),
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            "parquet" | "pq" => Some(Format::Parquet),
            _ => None,
        }
    }

    /// The spelling used in mappings and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Parquet => "parquet",
            Format::Whitespace => "whitespace",
        }
    }
}

/// Text encoding of a CSV or whitespace source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// UTF-8 (rows with invalid bytes are quarantined).
    #[default]
    Utf8,
    /// ISO-8859-1: every byte is a character.
    Latin1,
}

/// Where a canonical field comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ColumnRef {
    /// A column named in the header (or a JSON key).
    Name(String),
    /// A 1-based column position, for files without a header.
    Position(usize),
}

impl std::fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ColumnRef::Name(n) => write!(f, "{n}"),
            ColumnRef::Position(p) => write!(f, "#{p}"),
        }
    }
}

/// Whether the first line is a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Header {
    /// The first line names the columns.
    #[default]
    Yes,
    /// There is no header; columns are referenced by position.
    No,
    /// The first line is a header if its first field is not a number (CDNOW ships both ways).
    Auto,
}

/// Rules that derive values no column holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Orders whose id starts with this prefix are cancellations (Online Retail: `C`).
    pub cancelled_order_prefix: Option<String>,
    /// Build `order_id` from the source line number when the file has no order id (CDNOW:
    /// each line is one transaction).
    #[serde(default)]
    pub order_id_from_line: bool,
}

/// A column mapping, read from a TOML file or a preset.
///
/// ```toml
/// format = "csv"
/// timezone = "Europe/London"
/// date_format = "%Y-%m-%d %H:%M:%S"
/// [columns]
/// order_id = "InvoiceNo"
/// [constants]
/// currency = "GBP"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Source format; taken from the file extension when absent.
    pub format: Option<Format>,
    /// Field delimiter for CSV (one character; `\t` for TSV).
    pub delimiter: Option<String>,
    /// Whether the first line is a header.
    #[serde(default)]
    pub header: Header,
    /// Text encoding.
    #[serde(default)]
    pub encoding: Encoding,
    /// IANA time zone for timestamps without an offset (default UTC).
    pub timezone: Option<String>,
    /// chrono format string for timestamps (`unix` / `unix_ms` for epoch numbers); automatic
    /// ISO-8601 detection when absent.
    pub date_format: Option<String>,
    /// Decimal numbers are written with a comma (`3,50`).
    #[serde(default)]
    pub decimal_comma: bool,
    /// canonical field -> source column. Fields not listed are looked up by their own name.
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnRef>,
    /// canonical field -> constant value for every row (for example `currency = "GBP"`).
    #[serde(default)]
    pub constants: BTreeMap<String, String>,
    /// Derivation rules.
    #[serde(default)]
    pub rules: Rules,
}

/// Names of the built-in presets.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "online-retail",
        "UCI Online Retail export (InvoiceNo, StockCode, ..., Country), GBP, Europe/London",
    ),
    (
        "cdnow",
        "CDNOW transactions: customer id, YYYYMMDD date, number of CDs, dollar value (master file)",
    ),
    (
        "cdnow-sample",
        "CDNOW 1/10 sample: customer id, id in sample, date, CDs, dollars",
    ),
];

impl Mapping {
    /// A fingerprint of everything that changes how rows are read (hex SHA-256 of the mapping
    /// as JSON; maps are ordered, so equal mappings give equal fingerprints).
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        let json = serde_json::to_vec(self).unwrap_or_default();
        sha2::Sha256::digest(&json)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Reads a mapping file.
    pub fn from_file(path: &Path) -> Result<Mapping> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            action: "read the mapping file",
            source,
        })?;
        Self::from_toml(&text).map_err(|message| Error::Mapping {
            path: path.to_owned(),
            message,
        })
    }

    /// Parses mapping TOML.
    pub fn from_toml(text: &str) -> std::result::Result<Mapping, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// A built-in preset for a table.
    pub fn preset(name: &str, table: Table) -> Result<Mapping> {
        let unknown = || Error::UnknownPreset {
            name: name.to_owned(),
            table,
            known: PRESETS
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", "),
        };
        if table != Table::Orders {
            return Err(unknown());
        }
        let cols = |pairs: &[(&str, ColumnRef)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect()
        };
        let name_ref = |s: &str| ColumnRef::Name(s.to_owned());
        let pos = ColumnRef::Position;
        Ok(match name {
            "online-retail" => Mapping {
                format: Some(Format::Csv),
                timezone: Some("Europe/London".into()),
                date_format: None,
                columns: cols(&[
                    ("order_id", name_ref("InvoiceNo")),
                    ("product_id", name_ref("StockCode")),
                    ("product_title", name_ref("Description")),
                    ("quantity", name_ref("Quantity")),
                    ("ordered_at", name_ref("InvoiceDate")),
                    ("unit_price", name_ref("UnitPrice")),
                    ("customer_id", name_ref("CustomerID")),
                    ("country", name_ref("Country")),
                ]),
                constants: [("currency".to_owned(), "GBP".to_owned())].into(),
                rules: Rules {
                    cancelled_order_prefix: Some("C".into()),
                    order_id_from_line: false,
                },
                ..Mapping::default()
            },
            "cdnow" | "cdnow-sample" => {
                let offset = usize::from(name == "cdnow-sample");
                Mapping {
                    format: Some(Format::Whitespace),
                    header: Header::Auto,
                    date_format: Some("%Y%m%d".into()),
                    columns: cols(&[
                        ("customer_id", pos(1)),
                        ("ordered_at", pos(2 + offset)),
                        ("quantity", pos(3 + offset)),
                        ("amount", pos(4 + offset)),
                    ]),
                    constants: [
                        ("currency".to_owned(), "USD".to_owned()),
                        ("product_id".to_owned(), "cd".to_owned()),
                    ]
                    .into(),
                    rules: Rules {
                        cancelled_order_prefix: None,
                        order_id_from_line: true,
                    },
                    ..Mapping::default()
                }
            }
            _ => return Err(unknown()),
        })
    }

    /// The source column for a canonical field (its own name when not mapped).
    pub fn source_for(&self, field: &str) -> ColumnRef {
        self.columns
            .get(field)
            .cloned()
            .unwrap_or_else(|| ColumnRef::Name(field.to_owned()))
    }

    /// Checks that every mapped or constant name is a canonical field of `table`.
    pub fn validate(&self, table: Table) -> Result<()> {
        for key in self.columns.keys().chain(self.constants.keys()) {
            if table.field(key).is_none() {
                return Err(Error::UnknownField {
                    table,
                    field: key.clone(),
                    known: table
                        .fields()
                        .iter()
                        .map(|f| f.name)
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        if let Some(d) = &self.delimiter {
            let d = if d == "\\t" { "\t" } else { d.as_str() };
            if d.len() != 1 {
                return Err(Error::BadOption {
                    option: "delimiter",
                    value: d.to_owned(),
                    hint: "use a single ASCII character such as \",\", \";\" or \"\\t\"",
                });
            }
        }
        Ok(())
    }

    /// The CSV delimiter byte.
    pub(crate) fn delimiter_byte(&self, path: &Path) -> u8 {
        match self.delimiter.as_deref() {
            Some("\\t") => b'\t',
            Some(d) => d.as_bytes()[0],
            None if path.to_string_lossy().to_ascii_lowercase().contains(".tsv") => b'\t',
            None => b',',
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mapping_toml() {
        let m = Mapping::from_toml(
            r#"
            format = "csv"
            delimiter = ";"
            timezone = "Europe/Berlin"
            [columns]
            order_id = "Bestellnummer"
            quantity = 3
            [constants]
            currency = "EUR"
            "#,
        )
        .unwrap();
        assert_eq!(
            m.source_for("order_id"),
            ColumnRef::Name("Bestellnummer".into())
        );
        assert_eq!(m.source_for("quantity"), ColumnRef::Position(3));
        assert_eq!(m.source_for("status"), ColumnRef::Name("status".into()));
        m.validate(Table::Orders).unwrap();
    }

    #[test]
    fn unknown_keys_are_errors() {
        let err = Mapping::from_toml("colums = {}").unwrap_err();
        assert!(err.contains("unknown field `colums`"), "{err}");
        let m = Mapping::from_toml("[columns]\norder = \"x\"").unwrap();
        let err = m.validate(Table::Orders).unwrap_err().to_string();
        assert!(
            err.contains("`order` is not a field of table `orders`"),
            "{err}"
        );
    }

    #[test]
    fn presets_validate() {
        for (name, _) in PRESETS {
            Mapping::preset(name, Table::Orders)
                .unwrap()
                .validate(Table::Orders)
                .unwrap();
        }
        assert!(Mapping::preset("online-retail", Table::Events).is_err());
    }
}
