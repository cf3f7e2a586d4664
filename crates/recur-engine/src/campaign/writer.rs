//! Writing one campaign message: grounded facts in, a validated draft out (language model or
//! template), the first name filled in afterwards, the path each message took counted.

use std::collections::BTreeMap;

use std::time::Instant;

use recur_campaign::{
    Facts, FreeText, MessagePath, MessageTally, Outgoing, Rules, Violation, compose, personalise,
    validate,
};
use recur_llm::Generate;

use super::audit::{AuditFacts, CopyAudit, violation_kind};

/// Who a message goes to and what it offers.
pub(crate) struct Recipient<'a> {
    /// Customer id.
    pub(crate) customer: &'a str,
    /// The offer's name.
    pub(crate) offer: &'a str,
    /// First name, filled in after validation (never shown to the language model).
    pub(crate) first_name: Option<&'a str>,
    /// E-mail address.
    pub(crate) email: Option<String>,
}

/// Writes the messages of one campaign: the first `llm_drafts` are drafted by `generator`
/// (each with its own seed, validated, one retry on the validator's feedback, the template
/// otherwise), the rest use the validated template.
pub(crate) struct MessageWriter<'r, 'g> {
    /// Validation rules.
    rules: &'r Rules,
    /// Campaign id.
    campaign: &'r str,
    /// The language model, if any.
    generator: Option<&'g mut dyn Generate>,
    /// Messages the language model may draft.
    llm_drafts: usize,
    /// Messages it was asked to draft so far.
    drafted: usize,
    /// Languages the model drafts in (others: the template).
    languages: Vec<recur_campaign::Language>,
    /// Path taken (or failure) → count.
    paths: BTreeMap<MessageTally, usize>,
    /// One audit line per written message.
    audit: Vec<CopyAudit>,
}

impl<'r, 'g> MessageWriter<'r, 'g> {
    /// A writer for `campaign` under `rules`.
    pub(crate) fn new(
        rules: &'r Rules,
        campaign: &'r str,
        generator: Option<&'g mut dyn Generate>,
        llm_drafts: usize,
    ) -> Self {
        MessageWriter {
            rules,
            campaign,
            generator,
            llm_drafts,
            drafted: 0,
            languages: vec![recur_campaign::Language::En, recur_campaign::Language::Zh],
            paths: BTreeMap::new(),
            audit: Vec::new(),
        }
    }

    /// Drafts with the model only in `languages` (the rest use the template).
    pub(crate) fn with_languages(mut self, languages: Vec<recur_campaign::Language>) -> Self {
        self.languages = languages;
        self
    }

    /// The audit lines so far, one per written message.
    pub(crate) fn audit(&self) -> &[CopyAudit] {
        &self.audit
    }

    /// Messages the language model was asked to draft so far.
    pub(crate) fn drafted(&self) -> usize {
        self.drafted
    }

    /// How the messages were produced (path → count), consuming the writer.
    pub(crate) fn into_paths(self) -> BTreeMap<MessageTally, usize> {
        self.paths
    }

    /// Writes one message from `facts` for `to` and returns it with the path it took (whether
    /// the language model was asked shows in [`drafted`](Self::drafted)). None when even the
    /// template was rejected (counted as such).
    pub(crate) fn write(
        &mut self,
        facts: &Facts,
        to: Recipient<'_>,
    ) -> Option<(Outgoing, MessagePath)> {
        let seed = (self.drafted < self.llm_drafts
            && self.generator.is_some()
            && self.languages.contains(&facts.language))
        .then(|| {
            self.drafted += 1;
            self.drafted as u64
        });
        let mut failures = Vec::new();
        let started = Instant::now();
        let mut last_text: Option<FreeText> = None;
        let message = match (seed, self.generator.as_deref_mut()) {
            (Some(seed), Some(g)) => {
                let mut llm = crate::copywriter::llm_writer(g, self.rules, seed, &mut failures);
                let mut writer = |f: &Facts, format, feedback: &[Violation]| {
                    let t = llm(f, format, feedback);
                    if t.is_some() {
                        last_text.clone_from(&t);
                    }
                    t
                };
                compose(facts, self.rules, 2, Some(&mut writer))
            }
            _ => compose(facts, self.rules, 2, None),
        };
        let seconds = started.elapsed().as_secs_f64();
        // A failed call that a later one made up for is not a failure of the message.
        if message.path == MessagePath::Template {
            for f in failures {
                *self.paths.entry(MessageTally::ModelFailed(f)).or_default() += 1;
            }
        }
        if let Some(v) = validate(&message.draft, facts, self.rules).first() {
            *self
                .paths
                .entry(MessageTally::TemplateRejected(v.to_string()))
                .or_default() += 1;
            return None;
        }
        *self
            .paths
            .entry(MessageTally::Written(message.path))
            .or_default() += 1;
        self.audit.push(CopyAudit {
            customer_id: to.customer.into(),
            language: facts.language,
            channel: self.rules.format,
            path: message.path.into(),
            subject: message.draft.subject.clone(),
            preheader: message.draft.preheader.clone(),
            body: message.draft.body.clone(),
            facts: AuditFacts::of(facts),
            free_text: last_text,
            rejected: message
                .rejected
                .iter()
                .map(|vs| vs.iter().map(violation_kind).collect())
                .collect(),
            seconds,
        });
        let o = facts.offer.as_ref();
        let out = Outgoing {
            campaign: self.campaign.to_owned(),
            customer_id: to.customer.into(),
            email: to.email,
            message: personalise(&message.draft, to.first_name, facts.language),
            offer: to.offer.to_owned(),
            coupon_code: o.and_then(|o| o.code.clone()),
            offer_expires: o.and_then(|o| o.expires.clone()),
        };
        Some((out, message.path))
    }
}
