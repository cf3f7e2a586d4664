//! The copy audit: one line per written message in `campaign/<ID>/copy-audit.jsonl` (who, in
//! which language and format, how it was written, the final text before the name is filled in,
//! the facts it was given, the writer's free text, the violations of rejected drafts, seconds),
//! and the summary `recur eval copy` prints from it.

use recur_core::CustomerId;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use recur_campaign::{
    Facts, Format, FreeText, Language, MessagePath, OfferFact, ProductFact, Rules, Violation,
    validate,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// File name of the audit in a campaign's folder.
pub const COPY_AUDIT_FILE: &str = "copy-audit.jsonl";

/// How a message was written, as the audit names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CopyPath {
    /// The model's first draft passed.
    Model,
    /// The model's retry, with the validator's feedback, passed.
    ModelAfterRetry,
    /// The model's drafts were rejected (or it failed): the template went out.
    Template,
    /// The model was not asked: the template went out.
    TemplateOnly,
}

impl From<MessagePath> for CopyPath {
    fn from(p: MessagePath) -> Self {
        match p {
            MessagePath::FirstDraft => CopyPath::Model,
            MessagePath::Retried => CopyPath::ModelAfterRetry,
            MessagePath::Template => CopyPath::Template,
            MessagePath::TemplateOnly => CopyPath::TemplateOnly,
        }
    }
}

/// The facts a message was given, as the audit records them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditFacts {
    /// Products with title and price.
    pub products: Vec<ProductFact>,
    /// Percentage off.
    pub percent_off: Option<f64>,
    /// Free shipping.
    pub free_shipping: bool,
    /// Coupon code.
    pub code: Option<String>,
    /// Last valid day.
    pub expires: Option<String>,
    /// Shop name.
    pub shop: String,
    /// Currency.
    pub currency: String,
    /// Favourite category.
    #[serde(default)]
    pub favourite_category: Option<String>,
    /// Link.
    #[serde(default)]
    pub link: Option<String>,
}

impl AuditFacts {
    /// The audit's view of `facts`.
    pub fn of(facts: &Facts) -> AuditFacts {
        let o = facts.offer.as_ref();
        AuditFacts {
            products: facts.products.clone(),
            percent_off: o.and_then(|o| o.percent_off),
            free_shipping: o.is_some_and(|o| o.free_shipping),
            code: o.and_then(|o| o.code.clone()),
            expires: o.and_then(|o| o.expires.clone()),
            shop: facts.shop.clone(),
            currency: facts.currency.clone(),
            favourite_category: facts.favourite_category.clone(),
            link: facts.link.clone(),
        }
    }

    /// Facts again, to re-check a recorded message.
    fn facts(&self, language: Language) -> Facts {
        let offer = (self.percent_off.is_some()
            || self.free_shipping
            || self.code.is_some()
            || self.expires.is_some())
        .then(|| OfferFact {
            percent_off: self.percent_off,
            free_shipping: self.free_shipping,
            code: self.code.clone(),
            expires: self.expires.clone(),
        });
        Facts {
            shop: self.shop.clone(),
            language,
            currency: self.currency.clone(),
            favourite_category: self.favourite_category.clone(),
            products: self.products.clone(),
            offer,
            link: self.link.clone(),
            customer: Default::default(),
        }
    }
}

/// One audited message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopyAudit {
    /// Customer id.
    pub customer_id: CustomerId,
    /// Language.
    pub language: Language,
    /// Message format (e-mail, SMS, push).
    pub channel: Format,
    /// How it was written.
    pub path: CopyPath,
    /// Final subject (`{first_name}` not filled in).
    pub subject: String,
    /// Final preheader.
    #[serde(default)]
    pub preheader: String,
    /// Final body (`{first_name}` not filled in).
    pub body: String,
    /// The facts it was given.
    pub facts: AuditFacts,
    /// What the model wrote last (accepted or not); none when it was not asked or failed.
    #[serde(default)]
    pub free_text: Option<FreeText>,
    /// The kinds of the violations of each rejected draft, in order.
    #[serde(default)]
    pub rejected: Vec<Vec<String>>,
    /// Seconds spent writing it.
    pub seconds: f64,
}

/// A violation's kind as the audit counts it (`unsupplied_number`...).
pub(crate) fn violation_kind(v: &Violation) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|x| x["kind"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "other".into())
}

/// Writes the audit lines to `path` (replacing the file whole, so a rerun never mixes runs).
pub(crate) fn write_audit(path: &Path, lines: &[CopyAudit]) -> Result<()> {
    let io = |error: std::io::Error| Error::Io {
        path: path.to_owned(),
        action: "write the copy audit",
        error,
    };
    let tmp = path.with_extension("jsonl.tmp");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(io)?);
    for l in lines {
        let text = serde_json::to_string(l).map_err(|e| io(std::io::Error::other(e)))?;
        writeln!(f, "{text}").map_err(io)?;
    }
    f.into_inner()
        .map_err(|e| io(e.into_error()))?
        .sync_all()
        .map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Reads an audit written by `campaign generate` or `eval copy`.
/// The copy audit of a recorded campaign: how each message was written (none before
/// `campaign generate`). [`Error::NoSuchCampaign`] for an id the ledger does not know.
pub fn campaign_copy_audit(
    ws: &crate::workspace::Workspace,
    campaign: &str,
) -> Result<Vec<CopyAudit>> {
    let store = super::CampaignStore::open(ws)?;
    store.recorded(campaign)?;
    let path = store.dir.join(campaign).join(COPY_AUDIT_FILE);
    if !path.exists() {
        return Ok(Vec::new());
    }
    read_audit(&path)
}

pub(crate) fn read_audit(path: &Path) -> Result<Vec<CopyAudit>> {
    let text = std::fs::read_to_string(path).map_err(|error| Error::Io {
        path: path.to_owned(),
        action: "read the copy audit",
        error,
    })?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| Error::BadInput {
                path: path.to_owned(),
                line: i + 1,
                message: format!("not a copy-audit line ({e})"),
                hint: "run `recur eval copy --campaign ID --sample N` to write the audit anew",
            })
        })
        .collect()
}

/// Shares of one group of drafted messages.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CopyShares {
    /// Messages the model was asked to draft.
    pub drafted: usize,
    /// Share accepted without the template (first time or after one retry).
    pub accepted_share: f64,
    /// Share accepted first time.
    pub first_time_share: f64,
    /// Share accepted after one retry.
    pub after_retry_share: f64,
    /// Share replaced by the template.
    pub template_share: f64,
    /// Distinct word bigrams over all bigrams of the accepted drafts' free text (copies of
    /// one text score low; characters count as words in Chinese).
    pub distinct_2: f64,
    /// Median seconds per drafted message.
    pub seconds_per_draft: f64,
}

/// What `recur eval copy` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopyEvaluation {
    /// Campaign.
    pub campaign: String,
    /// The writer (model or endpoint), when the drafts were written by this run.
    pub model: Option<String>,
    /// All drafted messages together.
    #[serde(flatten)]
    pub all: CopyShares,
    /// Messages that went out as the template because the model was not asked.
    pub template_only: usize,
    /// Violations caught in rejected drafts, by kind.
    pub violations: BTreeMap<String, usize>,
    /// Violations found when every final message is checked again against its recorded facts
    /// (a number, code, product or placeholder that was not supplied); 0 is the only good value.
    pub unsupplied_facts: usize,
    /// Per language (`en`, `zh-CN`).
    pub by_language: BTreeMap<String, CopyShares>,
    /// Per format (`email`, `sms`, `push`).
    pub by_channel: BTreeMap<String, CopyShares>,
    /// The audit file.
    pub audit: PathBuf,
}

fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() && !is_cjk(c) {
            cur.extend(c.to_lowercase());
            continue;
        }
        if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if is_cjk(c) {
            out.push(c.to_string());
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

/// Distinct bigrams / all bigrams over the texts (bigrams do not cross texts); 0 without any.
pub fn distinct_2<'a>(texts: impl IntoIterator<Item = &'a str>) -> f64 {
    let mut all = 0usize;
    let mut seen = std::collections::HashSet::new();
    for t in texts {
        let w = words(t);
        for pair in w.windows(2) {
            all += 1;
            seen.insert((pair[0].clone(), pair[1].clone()));
        }
    }
    if all == 0 {
        0.0
    } else {
        seen.len() as f64 / all as f64
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn shares(lines: &[&CopyAudit]) -> CopyShares {
    let drafted = lines.len();
    let count = |p: CopyPath| lines.iter().filter(|l| l.path == p).count();
    let share = |n: usize| {
        if drafted == 0 {
            0.0
        } else {
            n as f64 / drafted as f64
        }
    };
    let (first, retry, template) = (
        count(CopyPath::Model),
        count(CopyPath::ModelAfterRetry),
        count(CopyPath::Template),
    );
    let accepted_text: Vec<String> = lines
        .iter()
        .filter(|l| matches!(l.path, CopyPath::Model | CopyPath::ModelAfterRetry))
        .filter_map(|l| l.free_text.as_ref())
        .map(|t| format!("{}\n{}\n{}\n{}", t.subject, t.opening, t.reason, t.closing))
        .collect();
    CopyShares {
        drafted,
        accepted_share: share(first + retry),
        first_time_share: share(first),
        after_retry_share: share(retry),
        template_share: share(template),
        distinct_2: distinct_2(
            accepted_text
                .iter()
                .flat_map(|t| t.split('\n'))
                .filter(|s| !s.is_empty()),
        ),
        seconds_per_draft: median(lines.iter().map(|l| l.seconds).collect()),
    }
}

/// Summarises audit lines; `catalog_titles` lets the re-check catch an unsupplied product.
pub(crate) fn evaluate_copy(
    campaign: &str,
    model: Option<String>,
    lines: &[CopyAudit],
    catalog_titles: &[String],
    audit: PathBuf,
) -> CopyEvaluation {
    let drafted: Vec<&CopyAudit> = lines
        .iter()
        .filter(|l| l.path != CopyPath::TemplateOnly)
        .collect();
    let mut violations: BTreeMap<String, usize> = BTreeMap::new();
    for kind in drafted.iter().flat_map(|l| l.rejected.iter().flatten()) {
        *violations.entry(kind.clone()).or_default() += 1;
    }
    let mut unsupplied = 0;
    for l in lines {
        let facts = l.facts.facts(l.language);
        let rules = Rules {
            catalog_titles: catalog_titles.to_vec(),
            ..Rules::for_format(l.channel)
        };
        let draft = recur_campaign::Draft {
            subject: l.subject.clone(),
            preheader: l.preheader.clone(),
            body: l.body.clone(),
        };
        unsupplied += validate(&draft, &facts, &rules)
            .iter()
            .filter(|v| {
                matches!(
                    v,
                    Violation::UnsuppliedNumber { .. }
                        | Violation::UnsuppliedCode { .. }
                        | Violation::UnsuppliedProduct { .. }
                        | Violation::PriceWithoutProduct { .. }
                        | Violation::Placeholder { .. }
                )
            })
            .count();
    }
    let group = |key: &dyn Fn(&CopyAudit) -> String| -> BTreeMap<String, CopyShares> {
        let mut keys: Vec<String> = drafted.iter().map(|l| key(l)).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .map(|k| {
                let part: Vec<&CopyAudit> =
                    drafted.iter().copied().filter(|l| key(l) == k).collect();
                (k, shares(&part))
            })
            .collect()
    };
    CopyEvaluation {
        campaign: campaign.to_owned(),
        model,
        all: shares(&drafted),
        template_only: lines.len() - drafted.len(),
        violations,
        unsupplied_facts: unsupplied,
        by_language: group(&|l| l.language.tag().to_owned()),
        by_channel: group(&|l| l.channel.name().to_owned()),
        audit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_2_counts_repeats_low() {
        let same = ["we miss you dear friend"; 4];
        let varied = [
            "we miss you dear friend",
            "fresh tea is waiting for you",
            "your favourites are back in stock",
            "come and see what is new",
        ];
        assert!((distinct_2(same) - 0.25).abs() < 1e-9);
        assert!((distinct_2(varied) - 1.0).abs() < 1e-9);
        assert!(
            distinct_2(["好久不见"]) > 0.99,
            "characters are words in Chinese"
        );
        assert_eq!(distinct_2(["one"]), 0.0);
    }

    #[test]
    fn the_median_takes_the_middle() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(vec![]), 0.0);
    }
}
