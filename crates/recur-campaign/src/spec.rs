//! Campaign definitions (TOML).
//!
//! ```toml
//! id = "winback-2026-12"
//! goal_days = 30                     # success: a purchase within 30 days of the send
//! channel = "email"                  # email | file | webhook
//! holdout_share = 0.1
//! frequency_cap_days = 14            # no two campaign messages to one customer within 14 days
//! budget = 2000.0                    # expected offer cost, in the shop's currency
//! send_window = { start_hour = 9, end_hour = 18, timezone = "Europe/Berlin" }
//!
//! [audience]
//! segments = ["At Risk", "Can't Lose Them"]
//! min_p_alive = 0.2
//! min_days_since_last_order = 45
//! sql = "SELECT customer_id FROM rfm WHERE monetary > 500"   # optional: ids from `recur sql`'s tables
//! negative_reviewers = false         # true: only customers who left a 1-2 star review (service recovery)
//! negative_review_days = 90          # with it: reviews of the last 90 days only
//!
//! [[offers]]
//! name = "none"
//! kind = "none"
//!
//! [[offers]]
//! name = "10% off"
//! kind = "percent_off"
//! percent = 10
//! valid_days = 14
//! code_prefix = "BACK"
//!
//! [fairness]                         # optional guard rails
//! min_ratio = 0.8                    # every group (30+) gets valuable offers at >= 0.8x the overall rate
//! attributes = ["segment", "tier"]  # default: segment, language, country and the file's columns
//! same_offer = false                 # true: one offer for everyone the targeting decides on
//! groups_file = "tiers.csv"          # the shop's own attributes: customer_id,tier,...
//! ```

use std::path::Path;

use recur_core::Segment;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What an offer gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    /// A message without an incentive.
    None,
    /// Free shipping.
    FreeShipping,
    /// A percentage off the next order.
    PercentOff,
}

/// One candidate offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferSpec {
    /// Name shown in plans and reports.
    pub name: String,
    /// Kind.
    pub kind: OfferKind,
    /// Percentage off (`percent_off` only).
    #[serde(default)]
    pub percent: Option<f64>,
    /// Cost per redemption for fixed-cost offers (free shipping), in the shop's currency.
    #[serde(default)]
    pub cost: Option<f64>,
    /// Days the offer stays valid after the send.
    #[serde(default = "default_valid_days")]
    pub valid_days: u32,
    /// Prefix of the per-customer coupon codes.
    #[serde(default)]
    pub code_prefix: Option<String>,
}

fn default_valid_days() -> u32 {
    14
}

impl OfferSpec {
    /// The customer's coupon code for this offer in `campaign` (stable; None without a
    /// `code_prefix`).
    pub fn coupon_code(&self, campaign: &str, customer: &str) -> Option<String> {
        self.code_prefix.as_ref().map(|prefix| {
            format!(
                "{prefix}-{:05X}",
                crate::holdout::holdout_key(campaign, customer) & 0xFFFFF
            )
        })
    }

    /// Expected cost of one redemption on an order worth `order_value`.
    pub fn redemption_cost(&self, order_value: f64) -> f64 {
        match self.kind {
            OfferKind::None => 0.0,
            OfferKind::FreeShipping => self.cost.unwrap_or(0.0),
            OfferKind::PercentOff => order_value * self.percent.unwrap_or(0.0) / 100.0,
        }
    }
}

/// Who may receive the campaign. Every filter is optional; all given filters must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// RFM segments to include (empty: all); an unknown name is an error.
    #[serde(default)]
    pub segments: Vec<Segment>,
    /// Lowest P(alive).
    #[serde(default)]
    pub min_p_alive: Option<f64>,
    /// Highest P(alive).
    #[serde(default)]
    pub max_p_alive: Option<f64>,
    /// Lowest 12-month CLV.
    #[serde(default)]
    pub min_clv: Option<f64>,
    /// Fewest days since the last order.
    #[serde(default)]
    pub min_days_since_last_order: Option<u32>,
    /// Most days since the last order.
    #[serde(default)]
    pub max_days_since_last_order: Option<u32>,
    /// Favourite categories to include (empty: all).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Locales to include, such as "en" or "zh" (empty: all).
    #[serde(default)]
    pub locales: Vec<String>,
    /// SQL returning the customer ids to include (its first column), such as
    /// `SELECT customer_id FROM rfm WHERE monetary > 500`; run by the engine over the
    /// workspace (`recur sql` sees the same tables).
    #[serde(default)]
    pub sql: Option<String>,
    /// The ids `sql` returned, filled in by whoever runs it (not part of the definition).
    #[serde(skip)]
    pub sql_ids: Option<std::collections::BTreeSet<String>>,
    /// Only customers who left a negative review (service recovery rather than promotion):
    /// one or two stars; a review without stars counts when the workspace's review model
    /// judges its text negative.
    #[serde(default)]
    pub negative_reviewers: bool,
    /// With `negative_reviewers`: only reviews written in the last this many days before the
    /// plan (none: any time).
    #[serde(default)]
    pub negative_review_days: Option<u32>,
    /// The ids of the negative reviewers, filled in by whoever plans (not part of the
    /// definition); with `negative_reviewers` and none filled in, nobody is in the audience.
    #[serde(skip)]
    pub negative_reviewer_ids: Option<std::collections::BTreeSet<String>>,
}

/// Delivery channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// E-mail via SMTP.
    Email,
    /// A file for Braze or Klaviyo imports.
    File,
    /// A signed webhook.
    Webhook,
}

/// Hours of the day (shop time) in which messages go out; `recur campaign send` stops at the
/// window's end and says when it opens again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendWindow {
    /// First hour (0-23).
    pub start_hour: u8,
    /// Hour after the last (1-24).
    pub end_hour: u8,
    /// IANA time zone of the hours, such as `Europe/Berlin` (default UTC).
    #[serde(default)]
    pub timezone: Option<String>,
}

impl SendWindow {
    fn tz(&self) -> chrono_tz::Tz {
        self.timezone
            .as_deref()
            .and_then(|t| t.parse().ok())
            .unwrap_or(chrono_tz::UTC)
    }

    /// Whether `ts` (seconds since the epoch) falls inside the window.
    pub fn contains(&self, ts: i64) -> bool {
        use chrono::Timelike;
        let Some(t) = chrono::DateTime::from_timestamp(ts, 0) else {
            return false;
        };
        let hour = t.with_timezone(&self.tz()).hour();
        (u32::from(self.start_hour)..u32::from(self.end_hour)).contains(&hour)
    }

    /// The first full hour at or after `ts` that is inside the window (`ts` itself when it is).
    pub fn next_open(&self, ts: i64) -> i64 {
        if self.contains(ts) {
            return ts;
        }
        let mut t = ts - ts.rem_euclid(3600) + 3600;
        // Time zones shift by whole or half hours; two days of hours always find the window.
        for _ in 0..48 * 2 {
            if self.contains(t) {
                return t;
            }
            t += 1800;
        }
        t
    }

    /// The window as people read it, e.g. `09:00-18:00 Europe/Berlin`.
    pub fn describe(&self) -> String {
        format!(
            "{:02}:00-{:02}:00 {}",
            self.start_hour,
            self.end_hour,
            self.timezone.as_deref().unwrap_or("UTC")
        )
    }
}

/// A campaign definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSpec {
    /// Stable id: holdout assignment and send idempotency hang on it.
    pub id: String,
    /// Success: a purchase within this many days of the send.
    pub goal_days: u32,
    /// Channel.
    pub channel: Channel,
    /// What kind of message: `email` (default), `sms` or `push`.
    #[serde(default)]
    pub format: crate::message::Format,
    /// The link SMS and push messages carry (and e-mails show), such as the shop's landing
    /// page for returning customers.
    #[serde(default)]
    pub link: Option<String>,
    /// Share of each segment held out (not contacted) to measure lift.
    #[serde(default = "default_holdout")]
    pub holdout_share: f64,
    /// Minimum days between two campaign messages to one customer (across campaigns).
    #[serde(default = "default_cap")]
    pub frequency_cap_days: u32,
    /// Budget for the expected offer cost.
    #[serde(default)]
    pub budget: Option<f64>,
    /// Send window.
    #[serde(default)]
    pub send_window: Option<SendWindow>,
    /// Audience filters.
    #[serde(default)]
    pub audience: Audience,
    /// Candidate offers (at least one).
    pub offers: Vec<OfferSpec>,
    /// Guard rails on how offers fall across groups of customers.
    #[serde(default)]
    pub fairness: FairnessRules,
}

/// The customer attributes every plan's fairness is reported by; a shop adds its own with
/// [`FairnessRules::groups_file`].
pub const BUILTIN_ATTRIBUTES: [&str; 3] = ["segment", "language", "country"];

/// Optional guard rails of a plan (`[fairness]` in the spec). Exploration plans, which give
/// offers at random, already apply one rule to every group and are left as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FairnessRules {
    /// Every group of `attributes` with enough customers to read gets valuable offers
    /// (discounts, free shipping) at no less than this share of the overall rate (0.8: the
    /// four-fifths rule): customers of a group below it get their most profitable valuable
    /// offer, most profitable first, until it holds. Budget limits yield to it.
    #[serde(default)]
    pub min_ratio: Option<f64>,
    /// The attributes `min_ratio` applies to: `segment`, `language`, `country` or a column of
    /// `groups_file` (empty: all of them).
    #[serde(default)]
    pub attributes: Vec<String>,
    /// One rule for everyone: every customer the targeting decides on gets the same offer,
    /// the one with the highest expected profit over all of them (within the budget, most
    /// profitable first).
    #[serde(default)]
    pub same_offer: bool,
    /// A CSV of the shop's own customer attributes to compare offers across (loyalty tier,
    /// age band, region...): a `customer_id` column and one column per attribute, relative to
    /// the spec file. Each column is reported beside the built-in attributes.
    #[serde(default)]
    pub groups_file: Option<std::path::PathBuf>,
}

impl FairnessRules {
    /// The attributes `min_ratio` applies to, given the shop's own attribute names.
    pub fn attributes(&self, shop_attributes: &[String]) -> Vec<String> {
        if self.attributes.is_empty() {
            BUILTIN_ATTRIBUTES
                .iter()
                .map(|a| (*a).to_owned())
                .chain(shop_attributes.iter().cloned())
                .collect()
        } else {
            self.attributes.clone()
        }
    }
}

fn default_holdout() -> f64 {
    0.1
}

fn default_cap() -> u32 {
    14
}

impl CampaignSpec {
    /// Parses and checks a definition; `source` names it in errors.
    pub fn parse(text: &str, source: &Path) -> Result<CampaignSpec> {
        let bad = |message: String| Error::BadSpec {
            path: source.to_owned(),
            message,
        };
        let spec: CampaignSpec = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        if spec.id.trim().is_empty() || spec.id.contains(char::is_whitespace) {
            return Err(bad(format!(
                "`id` = {:?} must be a non-empty name without spaces",
                spec.id
            )));
        }
        if !(0.0..1.0).contains(&spec.holdout_share) {
            return Err(bad(format!(
                "`holdout_share` = {} must be at least 0 and below 1 (0.1 holds out 10%)",
                spec.holdout_share
            )));
        }
        if spec.goal_days == 0 {
            return Err(bad("`goal_days` must be at least 1".into()));
        }
        if spec.format != crate::message::Format::Email && spec.channel == Channel::Email {
            return Err(bad(format!(
                "format = \"{}\" cannot go out by e-mail: set channel = \"file\" (an export for your SMS or push provider) or \"webhook\"",
                spec.format.name()
            )));
        }
        if let Some(link) = &spec.link
            && (!(link.starts_with("https://") || link.starts_with("http://"))
                || link.contains(char::is_whitespace)
                || link.contains(['{', '}', '<', '>']))
        {
            return Err(bad(format!(
                "`link` = {link:?} must be one http:// or https:// address without spaces"
            )));
        }
        if spec.audience.negative_review_days.is_some() && !spec.audience.negative_reviewers {
            return Err(bad(
                "`audience.negative_review_days` needs `audience.negative_reviewers = true`".into(),
            ));
        }
        if spec.audience.negative_review_days == Some(0) {
            return Err(bad(
                "`audience.negative_review_days` must be at least 1 (leave it out for reviews of any time)".into(),
            ));
        }
        if spec.offers.is_empty() {
            return Err(bad(
                "no `[[offers]]`: add at least one (kind = \"none\" sends a message without an incentive)".into(),
            ));
        }
        for (i, o) in spec.offers.iter().enumerate() {
            let at = format!("offers[{i}] (`{}`)", o.name);
            match o.kind {
                OfferKind::PercentOff => match o.percent {
                    Some(p) if p > 0.0 && p < 100.0 => {}
                    _ => {
                        return Err(bad(format!(
                            "{at}: kind = \"percent_off\" needs `percent` between 0 and 100"
                        )));
                    }
                },
                OfferKind::FreeShipping => {
                    if !o.cost.is_some_and(|c| c >= 0.0) {
                        return Err(bad(format!(
                            "{at}: kind = \"free_shipping\" needs `cost` (the shipping cost per redemption)"
                        )));
                    }
                }
                OfferKind::None => {}
            }
        }
        if let Some(r) = spec.fairness.min_ratio
            && !(r > 0.0 && r <= 1.0)
        {
            return Err(bad(format!(
                "`fairness.min_ratio` = {r} must be above 0 and at most 1 (0.8 is the four-fifths rule)"
            )));
        }
        if spec.fairness.groups_file.is_none()
            && let Some(a) = spec
                .fairness
                .attributes
                .iter()
                .find(|a| !BUILTIN_ATTRIBUTES.contains(&a.as_str()))
        {
            return Err(bad(format!(
                "`fairness.attributes` names `{a}`: use segment, language or country, or set `fairness.groups_file` to a CSV of customer_id and a `{a}` column"
            )));
        }
        if let Some(w) = &spec.send_window {
            if w.start_hour >= w.end_hour || w.end_hour > 24 {
                return Err(bad(format!(
                    "`send_window` {}..{} must satisfy 0 <= start_hour < end_hour <= 24",
                    w.start_hour, w.end_hour
                )));
            }
            if let Some(tz) = &w.timezone
                && tz.parse::<chrono_tz::Tz>().is_err()
            {
                return Err(bad(format!(
                    "`send_window.timezone` = {tz:?} is not an IANA time zone; use a name such as \"Europe/Berlin\" or \"Asia/Taipei\""
                )));
            }
        }
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
id = "winback-2026-12"
goal_days = 30
channel = "file"
budget = 2000.0
send_window = { start_hour = 9, end_hour = 18 }

[audience]
segments = ["At Risk", "Can't Lose Them"]
min_p_alive = 0.2

[[offers]]
name = "none"
kind = "none"

[[offers]]
name = "10% off"
kind = "percent_off"
percent = 10
code_prefix = "BACK"

[[offers]]
name = "free shipping"
kind = "free_shipping"
cost = 4.5
"#;

    #[test]
    fn negative_review_days_needs_negative_reviewers() {
        let base = "id = \"t\"\ngoal_days = 30\nchannel = \"file\"\nholdout_share = 0.1\n[[offers]]\nname = \"none\"\nkind = \"none\"\n[audience]\n";
        let parse =
            |audience: &str| CampaignSpec::parse(&format!("{base}{audience}"), Path::new("t.toml"));
        let s = parse("negative_reviewers = true\nnegative_review_days = 90\n").unwrap();
        assert!(s.audience.negative_reviewers);
        assert_eq!(s.audience.negative_review_days, Some(90));
        let e = parse("negative_review_days = 90\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("negative_reviewers = true"), "{e}");
        let e = parse("negative_reviewers = true\nnegative_review_days = 0\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("at least 1"), "{e}");
    }

    #[test]
    fn example_parses_with_defaults() {
        let s = CampaignSpec::parse(EXAMPLE, Path::new("c.toml")).unwrap();
        assert_eq!(s.holdout_share, 0.1);
        assert_eq!(s.frequency_cap_days, 14);
        assert_eq!(s.offers.len(), 3);
        assert_eq!(s.offers[1].valid_days, 14);
        assert_eq!(s.offers[1].redemption_cost(50.0), 5.0);
        assert_eq!(s.offers[2].redemption_cost(50.0), 4.5);
        let code = s.offers[1].coupon_code("c", "A1").unwrap();
        assert!(code.starts_with("BACK-") && code.len() == 10, "{code}");
        assert_eq!(s.offers[1].coupon_code("c", "A1"), Some(code));
        assert_eq!(s.offers[2].coupon_code("c", "A1"), None);
        assert_eq!(
            s.audience.segments,
            [Segment::AtRisk, Segment::CantLoseThem]
        );
    }

    #[test]
    fn an_unknown_segment_is_named_with_the_valid_ones() {
        let text = EXAMPLE.replace("\"Can't Lose Them\"", "\"VIPs\"");
        let e = CampaignSpec::parse(&text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`VIPs` is not a valid RFM segment"), "{e}");
        assert!(e.contains("Potential Loyalists"), "{e}");
    }

    #[test]
    fn send_window_in_the_shops_time_zone() {
        let w = SendWindow {
            start_hour: 9,
            end_hour: 18,
            timezone: Some("Asia/Taipei".into()),
        };
        // 2025-11-26 00:30 UTC = 08:30 in Taipei (UTC+8): closed, opens 01:00 UTC.
        let t = 1_764_117_000;
        assert!(!w.contains(t));
        assert_eq!(w.next_open(t), t + 1800);
        assert!(w.contains(t + 1800));
        // 10:00 UTC = 18:00 Taipei: closed until 01:00 UTC the next day.
        let evening = t + 9 * 3600 + 1800;
        assert!(!w.contains(evening));
        assert_eq!(w.next_open(evening), t + 1800 + 86_400);
        assert_eq!(w.describe(), "09:00-18:00 Asia/Taipei");
    }

    #[test]
    fn mistakes_name_the_field() {
        let e = |text: &str| {
            CampaignSpec::parse(text, Path::new("c.toml"))
                .unwrap_err()
                .to_string()
        };
        let msg = e(&EXAMPLE.replace("percent = 10", "percent = 120"));
        assert!(msg.contains("c.toml") && msg.contains("offers[1]"), "{msg}");
        let msg = e(&EXAMPLE.replace("budget = 2000.0", "budget = 2000.0\nholdout_share = 1.5"));
        assert!(msg.contains("holdout_share"), "{msg}");
        let msg = e(&EXAMPLE.replace("min_p_alive", "min_palive"));
        assert!(msg.contains("min_palive"), "{msg}");
        let msg = e(&EXAMPLE.replace(
            "end_hour = 18",
            "end_hour = 18, timezone = \"Mars/Olympus\"",
        ));
        assert!(msg.contains("send_window.timezone"), "{msg}");
        let msg = e(&EXAMPLE.replace("cost = 4.5", ""));
        assert!(
            msg.contains("free_shipping") && msg.contains("cost"),
            "{msg}"
        );
    }
}
