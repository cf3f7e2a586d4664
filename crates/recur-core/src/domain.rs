//! The words of the domain that several crates share: RFM segments, experiment groups, days
//! and intervals. Each has one spelling for people (`Display`) and, where it is stored or
//! serialised, one canonical spelling, so a rename is a compile error rather than a silent
//! mismatch between crates.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Expected};

/// Seconds in a day.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// One of the eleven named RFM segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// Bought recently, often and much.
    Champions,
    /// Frequent and valuable, not the most recent.
    Loyal,
    /// Recent customers with average frequency and spend.
    PotentialLoyalists,
    /// Bought very recently for the first time.
    New,
    /// Recent, low frequency and spend.
    Promising,
    /// Average recency, frequency and spend.
    NeedAttention,
    /// Below-average recency and value.
    AboutToSleep,
    /// Valuable customers who have not bought for a while.
    AtRisk,
    /// The most valuable customers, gone quiet.
    CantLoseThem,
    /// Long ago, low value.
    Hibernating,
    /// Lowest recency, frequency and spend.
    Lost,
}

impl Segment {
    /// All segments, in display order.
    pub const ALL: [Segment; 11] = [
        Self::Champions,
        Self::Loyal,
        Self::PotentialLoyalists,
        Self::New,
        Self::Promising,
        Self::NeedAttention,
        Self::AboutToSleep,
        Self::AtRisk,
        Self::CantLoseThem,
        Self::Hibernating,
        Self::Lost,
    ];

    /// The segment's name, as analytics write it and campaign definitions name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Champions => "Champions",
            Self::Loyal => "Loyal",
            Self::PotentialLoyalists => "Potential Loyalists",
            Self::New => "New",
            Self::Promising => "Promising",
            Self::NeedAttention => "Need Attention",
            Self::AboutToSleep => "About to Sleep",
            Self::AtRisk => "At Risk",
            Self::CantLoseThem => "Can't Lose Them",
            Self::Hibernating => "Hibernating",
            Self::Lost => "Lost",
        }
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Segment {
    type Err = Error;

    /// Parses a segment name; case, spaces, hyphens, underscores and apostrophes do not matter
    /// (`at_risk`, `cant lose them`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = |t: &str| {
            t.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        };
        let wanted = key(s);
        Self::ALL
            .into_iter()
            .find(|seg| key(seg.as_str()) == wanted)
            .ok_or_else(|| Error::InvalidValue {
                what: "RFM segment",
                value: s.to_owned(),
                expected: Expected(&[
                    "Champions",
                    "Loyal",
                    "Potential Loyalists",
                    "New",
                    "Promising",
                    "Need Attention",
                    "About to Sleep",
                    "At Risk",
                    "Can't Lose Them",
                    "Hibernating",
                    "Lost",
                ]),
            })
    }
}

impl Serialize for Segment {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Segment {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A customer's group in a campaign with a randomised holdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// Receives the message (and its offer).
    Treated,
    /// Randomly held out: receives nothing, so the difference to the treated is the lift.
    Holdout,
    /// In the audience but not contacted (no consent, frequency cap, no offer pays...).
    Excluded,
}

impl Group {
    /// The canonical spelling, as stored in the send ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Treated => "treated",
            Self::Holdout => "holdout",
            Self::Excluded => "excluded",
        }
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Group {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "treated" => Ok(Self::Treated),
            "holdout" => Ok(Self::Holdout),
            "excluded" => Ok(Self::Excluded),
            _ => Err(Error::InvalidValue {
                what: "campaign group",
                value: s.to_owned(),
                expected: Expected(&["treated", "holdout", "excluded"]),
            }),
        }
    }
}

/// A calendar day in UTC, counted in days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Day(pub i64);

impl Day {
    /// The UTC day that contains `seconds` since the epoch (days before 1970 included).
    pub fn of_timestamp(seconds: i64) -> Day {
        Day(seconds.div_euclid(SECONDS_PER_DAY))
    }

    /// Seconds since the epoch at the start (00:00 UTC) of the day.
    pub fn start_timestamp(self) -> i64 {
        self.0.saturating_mul(SECONDS_PER_DAY)
    }

    /// The day `n` days later (earlier for negative `n`).
    pub fn plus(self, n: i64) -> Day {
        Day(self.0.saturating_add(n))
    }

    /// Whole days from `earlier` to `self` (negative when `earlier` is later).
    pub fn days_since(self, earlier: Day) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The day as a date (None beyond the calendar chrono can represent).
    pub fn date(self) -> Option<chrono::NaiveDate> {
        chrono::DateTime::from_timestamp(self.start_timestamp(), 0).map(|t| t.date_naive())
    }
}

impl fmt::Display for Day {
    /// ISO 8601: `2026-12-01`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.date() {
            Some(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            None => write!(f, "day {} since 1970-01-01", self.0),
        }
    }
}

impl FromStr for Day {
    type Err = Error;

    /// Parses `YYYY-MM-DD`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || Error::InvalidValue {
            what: "day",
            value: s.to_owned(),
            expected: Expected(&["a day as YYYY-MM-DD, for example 2026-11-01"]),
        };
        let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| bad())?;
        let t = d
            .and_hms_opt(0, 0, 0)
            .ok_or_else(bad)?
            .and_utc()
            .timestamp();
        Ok(Day::of_timestamp(t))
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An estimate with the bounds of its confidence interval. Serialised as
/// `[estimate, low, high]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Point estimate.
    pub estimate: f64,
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl Interval {
    /// An estimate and its bounds.
    pub fn new(estimate: f64, low: f64, high: f64) -> Interval {
        Interval {
            estimate,
            low,
            high,
        }
    }

    /// Every value multiplied by `k` (bounds swap for a negative `k`).
    pub fn scaled(self, k: f64) -> Interval {
        let (a, b) = (self.low * k, self.high * k);
        Interval::new(self.estimate * k, a.min(b), a.max(b))
    }

    /// Whether the interval excludes zero (the effect is significant at its level).
    pub fn excludes_zero(self) -> bool {
        self.low > 0.0 || self.high < 0.0
    }
}

impl Serialize for Interval {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        [self.estimate, self.low, self.high].serialize(s)
    }
}

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let [estimate, low, high] = <[f64; 3]>::deserialize(d)?;
        Ok(Interval::new(estimate, low, high))
    }
}

/// How a campaign message was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessagePath {
    /// The writer's first draft passed.
    FirstDraft,
    /// A retry with the validator's feedback passed.
    Retried,
    /// Every draft was rejected: the template was used.
    Template,
    /// No writer configured: the template was used.
    TemplateOnly,
}

impl MessagePath {
    /// Whether the language model's own words went out (first draft or retry).
    pub fn by_model(self) -> bool {
        matches!(self, Self::FirstDraft | Self::Retried)
    }

    /// The short name used as a key in counts (`FirstDraft`).
    pub fn key(self) -> &'static str {
        match self {
            Self::FirstDraft => "FirstDraft",
            Self::Retried => "Retried",
            Self::Template => "Template",
            Self::TemplateOnly => "TemplateOnly",
        }
    }
}

impl fmt::Display for MessagePath {
    /// As people read it: `model draft accepted`, `template`...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::FirstDraft => "model draft accepted",
            Self::Retried => "model draft accepted after the validator's feedback",
            Self::Template => "model drafts rejected, template used",
            Self::TemplateOnly => "template",
        })
    }
}

/// What happened to one message while writing a campaign, as counted in its summary: the path
/// it took, a failure of the language model, or a template the validators rejected (the
/// message is then not sent). Serialised as a string key: the path's [`MessagePath::key`] or
/// the failure in words.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageTally {
    /// The message was written this way.
    Written(MessagePath),
    /// The language model failed (the template took over); the error in words.
    ModelFailed(String),
    /// Even the template broke a rule; the violation in words.
    TemplateRejected(String),
}

impl fmt::Display for MessageTally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Written(p) => p.fmt(f),
            Self::ModelFailed(e) => write!(f, "language model failed: {e}"),
            Self::TemplateRejected(v) => write!(f, "template rejected: {v}"),
        }
    }
}

impl Serialize for MessageTally {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Written(p) => s.serialize_str(p.key()),
            other => s.collect_str(other),
        }
    }
}

/// How far past campaigns back an offer's predicted response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfferBasis {
    /// No model: the offer is not offered.
    NotOffered,
    /// An uplift model that ranks unseen customers better than random (out of fold).
    Validated,
    /// An uplift model whose average effect is significant, though who responds is not
    /// validated out of fold.
    SignificantAverage,
    /// An uplift model that neither validates nor shows a significant average effect.
    NotValidated,
}

impl OfferBasis {
    /// The basis in words, as plans report it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotOffered => "not offered",
            Self::Validated => "uplift model, validated out of fold",
            Self::SignificantAverage => {
                "uplift model; the average effect is significant but who responds is not validated out of fold"
            }
            Self::NotValidated => {
                "uplift model, NOT validated: it does not rank unseen customers better than random and the average effect is not distinguishable from zero; the holdout will tell"
            }
        }
    }
}

impl fmt::Display for OfferBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for OfferBasis {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_round_trip_and_forgive_spelling() {
        for s in Segment::ALL {
            assert_eq!(s.as_str().parse::<Segment>().unwrap(), s);
            assert_eq!(s.to_string(), s.as_str());
        }
        assert_eq!(
            "cant_lose_them".parse::<Segment>().unwrap(),
            Segment::CantLoseThem
        );
        assert_eq!("at-risk".parse::<Segment>().unwrap(), Segment::AtRisk);
        let err = "VIP".parse::<Segment>().unwrap_err().to_string();
        assert!(err.contains("`VIP` is not a valid RFM segment"), "{err}");
        assert!(err.contains("Can't Lose Them"), "{err}");
    }

    #[test]
    fn segment_and_group_serialise_as_their_names() {
        assert_eq!(
            serde_json::to_string(&Segment::CantLoseThem).unwrap(),
            r#""Can't Lose Them""#
        );
        assert_eq!(
            serde_json::to_string(&Group::Holdout).unwrap(),
            r#""holdout""#
        );
        for g in [Group::Treated, Group::Holdout, Group::Excluded] {
            assert_eq!(g.as_str().parse::<Group>().unwrap(), g);
        }
        assert!("control".parse::<Group>().is_err());
    }

    #[test]
    fn days_follow_the_utc_calendar() {
        assert_eq!(Day::of_timestamp(0).to_string(), "1970-01-01");
        assert_eq!(Day::of_timestamp(-1).to_string(), "1969-12-31");
        let d: Day = "2026-12-01".parse().unwrap();
        assert_eq!(d.to_string(), "2026-12-01");
        assert_eq!(Day::of_timestamp(d.start_timestamp() + 86_399), d);
        assert_eq!(d.plus(30).days_since(d), 30);
        assert!("2026-13-01".parse::<Day>().is_err());
        assert_eq!(
            Day(i64::MAX).to_string(),
            format!("day {} since 1970-01-01", i64::MAX)
        );
    }

    #[test]
    fn message_tallies_keep_their_keys_and_read_as_words() {
        let t = MessageTally::Written(MessagePath::FirstDraft);
        assert_eq!(serde_json::to_string(&t).unwrap(), r#""FirstDraft""#);
        assert_eq!(t.to_string(), "model draft accepted");
        let f = MessageTally::ModelFailed("timeout".into());
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#""language model failed: timeout""#
        );
        assert_eq!(
            serde_json::to_string(&MessagePath::TemplateOnly).unwrap(),
            r#""template_only""#
        );
        assert!(MessagePath::Retried.by_model() && !MessagePath::Template.by_model());
        assert_eq!(
            serde_json::to_string(&OfferBasis::Validated).unwrap(),
            r#""uplift model, validated out of fold""#
        );
    }

    #[test]
    fn intervals_serialise_as_triples() {
        let i = Interval::new(1.0, -0.5, 2.5);
        assert_eq!(serde_json::to_string(&i).unwrap(), "[1.0,-0.5,2.5]");
        let back: Interval = serde_json::from_str("[1.0,-0.5,2.5]").unwrap();
        assert_eq!(back, i);
        assert_eq!(i.scaled(-2.0), Interval::new(-2.0, -5.0, 1.0));
        assert!(!i.excludes_zero() && Interval::new(1.0, 0.2, 2.0).excludes_zero());
    }
}
