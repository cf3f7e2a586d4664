//! Coercion of source text into typed canonical values.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use crate::error::{Error, Result};

/// Why a value could not be coerced: a short reason code and a message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bad {
    pub(crate) reason: &'static str,
    pub(crate) message: String,
}

fn bad(reason: &'static str, message: String) -> Bad {
    Bad { reason, message }
}

/// The largest magnitude of a money value recur stores: analytics sum money as
/// `DECIMAL(20, 6)`, whose largest value is just under 10^14; a bound 10x below leaves room for
/// the sums of many rows.
pub(crate) const MAX_MONEY: f64 = 1e13;

/// Earliest instant stored (1678-01-01 UTC, in microseconds): analytics compute with
/// nanosecond timestamps, which end at 1677-09-21 and 2262-04-11.
pub(crate) const MIN_TIME_MICROS: i64 = -9_214_560_000_000_000;
/// Latest instant stored (2262-01-01 UTC, in microseconds).
pub(crate) const MAX_TIME_MICROS: i64 = 9_214_646_400_000_000;

/// A money value (price, amount) within what storage and analytics can represent.
pub(crate) fn check_money(field: &str, v: f64) -> Result<f64, Bad> {
    if v.is_finite() && v.abs() < MAX_MONEY {
        Ok(v)
    } else {
        Err(bad(
            "out_of_range",
            format!(
                "`{field}` = {v} is outside the range recur stores (below 10^13 in magnitude); check the column's unit and decimal separator, or leave the row out"
            ),
        ))
    }
}

pub(crate) fn parse_int(s: &str) -> Result<i64, Bad> {
    let t = s.trim();
    if let Ok(v) = t.parse::<i64>() {
        return Ok(v);
    }
    // Accept "3.0" but not "3.5".
    match t.parse::<f64>() {
        Ok(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        Ok(_) => Err(bad("bad_number", format!("`{t}` is not a whole number"))),
        Err(_) => Err(bad("bad_number", format!("`{t}` is not a whole number"))),
    }
}

pub(crate) fn parse_decimal(s: &str, decimal_comma: bool) -> Result<f64, Bad> {
    let t = s.trim();
    let owned;
    let t = if decimal_comma {
        owned = t.replace('.', "").replace(',', ".");
        owned.as_str()
    } else {
        t
    };
    let t = t.strip_prefix(['$', '£', '€', '¥']).unwrap_or(t);
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(bad("bad_number", format!("`{}` is not a number", s.trim()))),
    }
}

pub(crate) fn parse_bool(s: &str) -> Result<bool, Bad> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Ok(true),
        "false" | "f" | "no" | "n" | "0" => Ok(false),
        other => Err(bad(
            "bad_bool",
            format!("`{other}` is not true/false (or yes/no, 1/0)"),
        )),
    }
}

pub(crate) fn parse_rating(s: &str) -> Result<i64, Bad> {
    let v = parse_decimal(s, false)
        .map_err(|_| bad("bad_rating", format!("`{}` is not a rating", s.trim())))?;
    if (1.0..=5.0).contains(&v) && v.fract() == 0.0 {
        Ok(v as i64)
    } else {
        Err(bad(
            "bad_rating",
            format!("rating `{}` is outside 1..5 or not whole", s.trim()),
        ))
    }
}

/// Parses timestamps into microseconds since the Unix epoch (UTC).
#[derive(Debug, Clone)]
pub(crate) struct TimeParser {
    format: TimeFormat,
    tz: Option<Tz>,
}

#[derive(Debug, Clone)]
enum TimeFormat {
    Auto,
    Unix,
    UnixMs,
    WithOffset(String),
    DateTime(String),
    Date(String),
}

impl TimeParser {
    pub(crate) fn new(format: Option<&str>, timezone: Option<&str>) -> Result<TimeParser> {
        let tz = match timezone {
            None => None,
            Some(name) if name.eq_ignore_ascii_case("utc") => None,
            Some(name) => Some(
                name.parse::<Tz>()
                    .map_err(|_| Error::TimeZone(name.to_owned()))?,
            ),
        };
        let format = match format {
            None | Some("auto") => TimeFormat::Auto,
            Some("unix") => TimeFormat::Unix,
            Some("unix_ms") => TimeFormat::UnixMs,
            Some(f) if f.contains("%z") || f.contains("%:z") || f.contains("%#z") => {
                TimeFormat::WithOffset(f.to_owned())
            }
            Some(f)
                if ["%H", "%I", "%M", "%S", "%T", "%R"]
                    .iter()
                    .any(|p| f.contains(p)) =>
            {
                TimeFormat::DateTime(f.to_owned())
            }
            Some(f) => TimeFormat::Date(f.to_owned()),
        };
        Ok(TimeParser { format, tz })
    }

    /// Microseconds since the epoch, within [`MIN_TIME_MICROS`, `MAX_TIME_MICROS`]: dates
    /// outside (such as the "no date" values `0001-01-01` and `9999-12-31`) are refused with a
    /// reason rather than stored where analytics cannot read them.
    pub(crate) fn parse(&self, s: &str) -> Result<i64, Bad> {
        let micros = self.parse_any(s)?;
        if (MIN_TIME_MICROS..=MAX_TIME_MICROS).contains(&micros) {
            Ok(micros)
        } else {
            Err(bad(
                "date_out_of_range",
                format!(
                    "`{}` is outside the dates recur stores (1678-01-01 to 2261-12-31); a placeholder such as 0001-01-01 or 9999-12-31 means \"no date\": leave the row out or fill in the real date",
                    s.trim()
                ),
            ))
        }
    }

    fn parse_any(&self, s: &str) -> Result<i64, Bad> {
        let t = s.trim();
        let fail = |hint: &str| bad("bad_date", format!("`{t}` is not a date/time{hint}"));
        let range = |unit: &str| {
            bad(
                "date_out_of_range",
                format!(
                    "`{t}` {unit} is outside the dates recur stores (1678-01-01 to 2261-12-31)"
                ),
            )
        };
        match &self.format {
            TimeFormat::Unix => t
                .parse::<i64>()
                .map_err(|_| fail(" (expected unix seconds)"))?
                .checked_mul(1_000_000)
                .ok_or_else(|| range("unix seconds")),
            TimeFormat::UnixMs => t
                .parse::<i64>()
                .map_err(|_| fail(" (expected unix milliseconds)"))?
                .checked_mul(1_000)
                .ok_or_else(|| range("unix milliseconds")),
            TimeFormat::WithOffset(f) => DateTime::parse_from_str(t, f)
                .map(|d| d.timestamp_micros())
                .map_err(|_| fail(&format!(" in format `{f}`"))),
            TimeFormat::DateTime(f) => NaiveDateTime::parse_from_str(t, f)
                .map_err(|_| fail(&format!(" in format `{f}`")))
                .and_then(|n| self.localize(n, t)),
            TimeFormat::Date(f) => NaiveDate::parse_from_str(t, f)
                .map_err(|_| fail(&format!(" in format `{f}`")))
                .and_then(|d| self.localize(d.and_hms_opt(0, 0, 0).unwrap_or_default(), t)),
            TimeFormat::Auto => self.parse_auto(t),
        }
    }

    fn localize(&self, naive: NaiveDateTime, text: &str) -> Result<i64, Bad> {
        let Some(tz) = self.tz else {
            return Ok(naive.and_utc().timestamp_micros());
        };
        match tz.from_local_datetime(&naive) {
            LocalResult::Single(d) => Ok(d.timestamp_micros()),
            // A repeated hour at the end of daylight saving time: take the first occurrence.
            LocalResult::Ambiguous(first, _) => Ok(first.timestamp_micros()),
            LocalResult::None => Err(bad(
                "bad_date",
                format!(
                    "`{text}` does not exist in time zone {tz} (skipped by a daylight-saving change)"
                ),
            )),
        }
    }

    fn parse_auto(&self, t: &str) -> Result<i64, Bad> {
        if let Some(n) = parse_iso_fast(t) {
            return self.localize(n, t);
        }
        if let Ok(d) = DateTime::parse_from_rfc3339(t) {
            return Ok(d.timestamp_micros());
        }
        if let Ok(d) = DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f%:z") {
            return Ok(d.timestamp_micros());
        }
        if t.len() == 8
            && t.bytes().all(|b| b.is_ascii_digit())
            && let Ok(d) = NaiveDate::parse_from_str(t, "%Y%m%d")
        {
            return self.localize(d.and_hms_opt(0, 0, 0).unwrap_or_default(), t);
        }
        if t.contains('/') {
            return Err(bad(
                "bad_date",
                format!(
                    "`{t}` is ambiguous (day/month or month/day?); set date_format in the mapping, e.g. \"%m/%d/%Y %H:%M\" or \"%d/%m/%Y %H:%M\""
                ),
            ));
        }
        Err(bad(
            "bad_date",
            format!(
                "`{t}` is not an ISO-8601 date/time; set date_format in the mapping (chrono syntax, e.g. \"%d.%m.%Y %H:%M\")"
            ),
        ))
    }
}

/// Fast path for `YYYY-MM-DD`, `YYYY-MM-DD HH:MM`, `YYYY-MM-DD HH:MM:SS[.ffffff]` (space or `T`).
fn parse_iso_fast(t: &str) -> Option<NaiveDateTime> {
    let b = t.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = b.get(r)?;
        let mut v = 0u32;
        for &c in s {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        Some(v)
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    if b.len() == 10 {
        return date.and_hms_opt(0, 0, 0);
    }
    if b[10] != b' ' && b[10] != b'T' {
        return None;
    }
    let (h, m) = (num(11..13)?, num(14..16)?);
    if b.get(13) != Some(&b':') {
        return None;
    }
    let (s, rest) = match b.len() {
        16 => (0, 16),
        n if n >= 19 && b[16] == b':' => (num(17..19)?, 19),
        _ => return None,
    };
    let mut micros = 0u32;
    if rest < b.len() {
        if b[rest] != b'.' || b.len() == rest + 1 || b.len() > rest + 7 {
            return None;
        }
        let frac = &t[rest + 1..];
        let digits = num(rest + 1..b.len())?;
        micros = digits * 10u32.pow(6 - frac.len() as u32);
    }
    date.and_hms_micro_opt(h, m, s, micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn micros(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros()
    }

    #[test]
    fn iso_and_zones() {
        let utc = TimeParser::new(None, None).unwrap();
        assert_eq!(
            utc.parse("2011-01-02 08:26:00").unwrap(),
            micros("2011-01-02T08:26:00Z")
        );
        assert_eq!(
            utc.parse("2011-01-02T08:26").unwrap(),
            micros("2011-01-02T08:26:00Z")
        );
        assert_eq!(
            utc.parse("2011-01-02").unwrap(),
            micros("2011-01-02T00:00:00Z")
        );
        assert_eq!(
            utc.parse("2011-01-02 08:26:00.5").unwrap(),
            micros("2011-01-02T08:26:00.5Z")
        );
        assert_eq!(
            utc.parse("2011-01-02T08:26:00+02:00").unwrap(),
            micros("2011-01-02T06:26:00Z")
        );
        assert_eq!(
            utc.parse("19970101").unwrap(),
            micros("1997-01-01T00:00:00Z")
        );
        let london = TimeParser::new(None, Some("Europe/London")).unwrap();
        assert_eq!(
            london.parse("2011-07-01 10:00:00").unwrap(),
            micros("2011-07-01T09:00:00Z")
        );
        assert_eq!(
            london.parse("2011-01-01 10:00:00").unwrap(),
            micros("2011-01-01T10:00:00Z")
        );
        let gap = london.parse("2011-03-27 01:30:00").unwrap_err();
        assert!(
            gap.message.contains("does not exist in time zone"),
            "{gap:?}"
        );
    }

    #[test]
    fn ambiguous_and_bad_dates_explain() {
        let p = TimeParser::new(None, None).unwrap();
        assert!(
            p.parse("1/2/2011 8:26")
                .unwrap_err()
                .message
                .contains("ambiguous")
        );
        assert!(
            p.parse("2011-13-01")
                .unwrap_err()
                .message
                .contains("not an ISO-8601")
        );
        let us = TimeParser::new(Some("%m/%d/%Y %H:%M"), None).unwrap();
        assert_eq!(
            us.parse("12/1/2010 8:26").unwrap(),
            micros("2010-12-01T08:26:00Z")
        );
        assert!(TimeParser::new(None, Some("Mars/Olympus")).is_err());
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_int(" 12 ").unwrap(), 12);
        assert_eq!(parse_int("3.0").unwrap(), 3);
        assert!(parse_int("3.5").is_err());
        assert_eq!(parse_decimal("2,55", true).unwrap(), 2.55);
        assert_eq!(parse_decimal("1.234,5", true).unwrap(), 1234.5);
        assert_eq!(parse_decimal("£2.55", false).unwrap(), 2.55);
        assert!(parse_decimal("NaN", false).is_err());
        assert!(parse_rating("6").is_err());
        assert_eq!(parse_rating("4").unwrap(), 4);
        assert!(parse_bool("yes").unwrap());
    }

    #[test]
    fn values_analytics_cannot_hold_are_refused_with_a_reason() {
        assert_eq!(check_money("amount", 12.5).unwrap(), 12.5);
        for v in [1e13, -1e14, 1e308, f64::INFINITY, f64::NAN] {
            let b = check_money("amount", v).unwrap_err();
            assert_eq!(b.reason, "out_of_range", "{v}");
        }
        let auto = TimeParser::new(None, None).unwrap();
        for t in ["0001-01-01", "9999-12-31", "1677-09-21", "2262-04-12"] {
            let b = auto.parse(t).unwrap_err();
            assert_eq!(b.reason, "date_out_of_range", "{t}");
            assert!(b.message.contains("1678-01-01"), "{}", b.message);
        }
        assert!(auto.parse("1678-01-01").is_ok() && auto.parse("2261-12-31").is_ok());
        for (format, big) in [
            ("unix", "9223372036854775807"),
            ("unix_ms", "-9223372036854775807"),
        ] {
            let p = TimeParser::new(Some(format), None).unwrap();
            assert_eq!(
                p.parse(big).unwrap_err().reason,
                "date_out_of_range",
                "{format}"
            );
            assert_eq!(
                p.parse("10000000000000").unwrap_err().reason,
                "date_out_of_range"
            );
        }
        let unix = TimeParser::new(Some("unix"), None).unwrap();
        assert_eq!(unix.parse("86400").unwrap(), 86_400_000_000);
    }
}
