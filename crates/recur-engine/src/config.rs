//! Settings: defaults < `recur.toml` < `RECUR_*` environment < command-line flags.
//!
//! This crate reads only the file layer; the binary applies the environment and flags through
//! [`Settings::set`], so every layer goes through the same validation.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The settings file name.
pub const SETTINGS_FILE: &str = "recur.toml";

/// Typed, validated settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where imported tables live, relative to the workspace.
    pub data_dir: PathBuf,
    /// Analytics settings.
    pub analytics: AnalyticsSettings,
}

/// Analytics settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyticsSettings {
    /// N of the repurchase rate (days).
    pub repurchase_days: u32,
    /// Width of inter-purchase histogram bins (days).
    pub histogram_bin_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("data"),
            analytics: AnalyticsSettings::default(),
        }
    }
}

impl Default for AnalyticsSettings {
    fn default() -> Self {
        AnalyticsSettings {
            repurchase_days: 90,
            histogram_bin_days: 14,
        }
    }
}

/// Every settings key, its environment variable and its meaning (documented in the README).
pub const KEYS: &[(&str, &str, &str)] = &[
    (
        "data_dir",
        "RECUR_DATA_DIR",
        "folder of imported tables, relative to the workspace",
    ),
    (
        "analytics.repurchase_days",
        "RECUR_REPURCHASE_DAYS",
        "N of the repurchase rate, in days",
    ),
    (
        "analytics.histogram_bin_days",
        "RECUR_HISTOGRAM_BIN_DAYS",
        "width of inter-purchase histogram bins, in days",
    ),
];

impl Settings {
    /// Reads `recur.toml` over the defaults.
    pub fn from_file(path: &Path) -> Result<Settings> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            action: "read",
            source,
        })?;
        toml::from_str(&text).map_err(|e| Error::Config {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }

    /// Sets one key from text (an environment variable or a flag).
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let days = |v: &str| -> Result<u32> {
            match v.trim().parse::<u32>() {
                Ok(n) if (1..=3650).contains(&n) => Ok(n),
                _ => Err(Error::BadSetting {
                    key: key.to_owned(),
                    value: v.to_owned(),
                    hint: "expected whole days from 1 to 3650".into(),
                }),
            }
        };
        match key {
            "data_dir" => self.data_dir = PathBuf::from(value),
            "analytics.repurchase_days" => self.analytics.repurchase_days = days(value)?,
            "analytics.histogram_bin_days" => self.analytics.histogram_bin_days = days(value)?,
            _ => {
                return Err(Error::BadSetting {
                    key: key.to_owned(),
                    value: value.to_owned(),
                    hint: format!(
                        "unknown key; known keys: {}",
                        KEYS.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
                    ),
                });
            }
        }
        Ok(())
    }

    /// The commented settings file `recur init` writes.
    pub fn template() -> String {
        let d = Settings::default();
        format!(
            "# recur workspace settings.\n\
             # Precedence: built-in defaults < this file < RECUR_* environment variables < command-line flags.\n\n\
             # Folder of imported tables (Parquet + manifest.json), relative to this file.\n\
             data_dir = \"{}\"\n\n\
             [analytics]\n\
             # Repurchase rate: share of customers who buy again within this many days of their first order.\n\
             repurchase_days = {}\n\
             # Width of the inter-purchase time histogram bins, in days.\n\
             histogram_bin_days = {}\n",
            d.data_dir.display(),
            d.analytics.repurchase_days,
            d.analytics.histogram_bin_days
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses_to_defaults() {
        let s: Settings = toml::from_str(&Settings::template()).unwrap();
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn set_validates() {
        let mut s = Settings::default();
        s.set("analytics.repurchase_days", "30").unwrap();
        assert_eq!(s.analytics.repurchase_days, 30);
        assert!(s.set("analytics.repurchase_days", "0").is_err());
        let e = s.set("analytics.nope", "1").unwrap_err().to_string();
        assert!(e.contains("known keys"), "{e}");
        assert!(toml::from_str::<Settings>("[analytics]\nrepurchase_day = 3").is_err());
    }
}
