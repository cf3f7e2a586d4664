//! The HTML of the customer-value, behaviour-model and campaign sections: headings, figures and
//! tables (every text escaped), and the canvases `sections.js` draws into from the embedded
//! [`ReportSections`] JSON. A failed stage shows its error instead; one that did not run says
//! why.

use std::fmt::Write as _;

use recur_core::Interval;
use recur_model::StopReason;

use super::sections::{
    BehaviourSection, CampaignSection, ReportSections, ReportSummary, ReviewSection, RoundSection,
    SampleMessage, Section, ValueSection,
};
use super::{esc, pct};
use crate::BulletPath;
use crate::campaign::CopyPath;

/// One `<section>`: its data rendered by `ready`, or the stage's error, or why it did not run;
/// nothing when the report leaves it out.
fn section<T>(
    id: &str,
    title: &str,
    s: Option<&Section<T>>,
    ready: impl FnOnce(&T) -> String,
) -> String {
    let body = match s {
        None => return String::new(),
        Some(Section::Ready { data }) => ready(data),
        Some(Section::Failed { error, user_error }) => format!(
            "<p class=error><b>This stage failed{}:</b> {}</p>",
            if *user_error {
                ""
            } else {
                " (an internal error: please report it)"
            },
            esc(error)
        ),
        Some(Section::NotRun { reason }) => format!("<p class=note>{}</p>", esc(reason)),
    };
    format!("<section id={id}><h2>{}</h2>{body}</section>\n", esc(title))
}

/// The three sections, in order.
pub(super) fn sections_html(s: &ReportSections, currency: &str) -> String {
    let mut out = section("value", "Customer value", s.value.as_ref(), |v| {
        value_html(v, currency)
    });
    out += &section(
        "behaviour",
        "Behaviour model",
        s.behaviour.as_ref(),
        behaviour_html,
    );
    out += &section("campaigns", "Campaigns", s.campaigns.as_ref(), |c| {
        campaign_html(c, currency)
    });
    out += &section(
        "reviews",
        "Review pain points",
        s.reviews.as_ref(),
        review_html,
    );
    out
}

/// Reviews: the products held back and why, then each listed product's worst aspects with
/// their quotes and review keys.
fn review_html(r: &ReviewSection) -> String {
    let mut s = format!(
        "<p class=note>{} reviews, {} negative (judged by {}). A product whose negative share is well above the rest of its category's is held back from campaign messages and recommendations (<code>[reviews]</code> settings).</p>",
        r.reviews,
        pct(r.negative_share),
        esc(&r.basis)
    );
    if r.held_back.is_empty() {
        s.push_str("<p>No product is held back.</p>");
    } else {
        s.push_str("<h3>Held back</h3><table>");
        s.push_str(&header(&[
            "Product",
            "Category",
            "Reviews",
            "Negative",
            "Compared with",
            "Why",
        ]));
        for h in &r.held_back {
            s.push_str(&row(&[
                esc(&h.product_id),
                esc(h.category.as_deref().unwrap_or("-")),
                h.reviews.to_string(),
                pct(h.negative_share),
                format!(
                    "{} of {} ({})",
                    pct(h.compared_negative_share),
                    h.compared_reviews,
                    esc(&h.compared_with)
                ),
                esc(&h.reason),
            ]));
        }
        s.push_str("</table>");
    }
    s.push_str("<h3>Pain points</h3><table>");
    s.push_str(&header(&[
        "Product",
        "Reviews",
        "Negative",
        "Aspect",
        "Mentions",
        "Negative mentions",
        "Quotes (review)",
        "Saved summary",
    ]));
    let saved = |id: &str| r.summaries.iter().find(|x| x.summary.product_id == id);
    for p in &r.products {
        let summary = saved(&p.product_id).map_or_else(
            || "<div class=sum><span class=note>none saved</span></div>".to_owned(),
            summary_html,
        );
        let name = format!(
            "{}{}",
            esc(&p.product_id),
            if p.held_back {
                " <b>(held back)</b>"
            } else {
                ""
            }
        );
        let aspects: Vec<_> = p.aspects.iter().take(3).collect();
        if aspects.is_empty() {
            s.push_str(&row(&[
                name,
                p.reviews.to_string(),
                pct(p.negative_share),
                "-".into(),
                String::new(),
                String::new(),
                String::new(),
                summary,
            ]));
            continue;
        }
        for (k, a) in aspects.into_iter().enumerate() {
            let quotes: Vec<String> = a
                .examples
                .iter()
                .map(|q| format!("“{}” ({})", esc(&q.text), esc(&q.review)))
                .collect();
            let first = k == 0;
            s.push_str(&row(&[
                if first { name.clone() } else { String::new() },
                if first {
                    p.reviews.to_string()
                } else {
                    String::new()
                },
                if first {
                    pct(p.negative_share)
                } else {
                    String::new()
                },
                esc(&a.aspect),
                a.mentions.to_string(),
                pct(a.negative_share),
                quotes.join("<br>"),
                if first {
                    summary.clone()
                } else {
                    String::new()
                },
            ]));
        }
    }
    s.push_str("</table>");
    let others: Vec<_> = r
        .summaries
        .iter()
        .filter(|x| {
            !r.products
                .iter()
                .any(|p| p.product_id == x.summary.product_id)
        })
        .collect();
    if !others.is_empty() {
        s.push_str("<h3>Other saved summaries</h3><table>");
        s.push_str(&header(&["Product", "Reviews", "Saved summary"]));
        for x in others.iter().take(SUMMARIES_LISTED) {
            s.push_str(&row(&[
                esc(&x.summary.product_id),
                x.reviews_now.to_string(),
                summary_html(x),
            ]));
        }
        s.push_str("</table>");
        if others.len() > SUMMARIES_LISTED {
            let _ = write!(
                s,
                "<p class=note>And {} more (<code>reviews/summaries/</code> in the workspace).</p>",
                others.len() - SUMMARIES_LISTED
            );
        }
    }
    let _ = write!(
        s,
        "<p class=note>Saved review summaries: {}. <code>recur analyze --product ID --summary</code> writes one product's, <code>recur analyze --summaries N</code> those of the N most-reviewed products (the report never runs the language model); each bullet cites the reviews it rests on. A summary is <b>stale</b> when the product's review count changed since it was written: run the command again.</p>",
        r.summaries.len()
    );
    s
}

/// Saved summaries listed beside no pain points.
const SUMMARIES_LISTED: usize = 20;

/// A saved summary: its bullets with the review keys they cite and who wrote each, then the
/// model, the date and the review count it rests on; marked stale when that count changed.
fn summary_html(x: &ReportSummary) -> String {
    let m = &x.summary;
    let bullets: String = m
        .bullets
        .iter()
        .map(|b| {
            format!(
                "<li>{} <span class=note>({}; {})</span></li>",
                esc(&b.text),
                esc(&b.citations.join(", ")),
                b.path
            )
        })
        .collect();
    let by = match (&m.writer, m.path) {
        (Some(w), BulletPath::Model) => format!("written by {}", esc(w)),
        (_, BulletPath::Model) => "written by the language model".to_owned(),
        (_, BulletPath::Template) => "the template of the top aspects".to_owned(),
    };
    let stale = if x.stale {
        format!(" <b class=stale>stale: {} reviews now</b>", x.reviews_now)
    } else {
        String::new()
    };
    format!(
        "<div class=sum><ul>{bullets}</ul><span class=note>{by}; {}; rests on {} reviews</span>{stale}</div>",
        esc(m.written_at.get(..10).unwrap_or(&m.written_at)),
        m.reviews
    )
}

pub(super) fn kpis(items: &[(&str, String)]) -> String {
    let cells: String = items
        .iter()
        .map(|(k, v)| {
            format!(
                "<div class=kpi><div class=v>{}</div><div class=k>{}</div></div>",
                esc(v),
                esc(k)
            )
        })
        .collect();
    format!("<div class=kpis>{cells}</div>")
}

fn row(cells: &[String]) -> String {
    let tds: String = cells.iter().map(|c| format!("<td>{c}</td>")).collect();
    format!("<tr>{tds}</tr>")
}

fn header(cells: &[&str]) -> String {
    let ths: String = cells
        .iter()
        .map(|c| format!("<th>{}</th>", esc(c)))
        .collect();
    format!("<tr>{ths}</tr>")
}

fn value_html(v: &ValueSection, cur: &str) -> String {
    let mut s = kpis(&[
        ("Customers valued", v.customers.to_string()),
        (
            "12-month CLV, all customers",
            format!("{:.0} {cur}", v.total_clv_12m),
        ),
        (
            "Value at risk per year",
            format!("{:.0} {cur}", v.total_value_at_risk),
        ),
        (
            &format!(
                "Likely gone (P(alive) < {:.0}%)",
                v.likely_gone_below * 100.0
            ),
            v.likely_gone.to_string(),
        ),
        (
            "Their value at risk per year",
            format!("{:.0} {cur}", v.likely_gone_value_at_risk),
        ),
    ]);
    s += "<p class=note>BG/NBD (purchase days, in weeks) and Gamma-Gamma (spend per purchase) fitted on every completed order. CLV: 12 months at 100% margin, 1% monthly discount. Value at risk: the customer's yearly spend at their own pace times (1 - P(alive)).</p>";
    s += "<div class=two><div><canvas id=clv></canvas></div><div><canvas id=palive></canvas></div></div>";
    s += "<h3>Model fit</h3><table>";
    s += &header(&[
        "Model",
        "Parameters (estimate ± std. error)",
        "Log-likelihood",
        "Customers",
        "Not identified",
    ]);
    for (name, f) in [("BG/NBD", &v.bgnbd), ("Gamma-Gamma", &v.gamma_gamma)] {
        let params = f
            .names
            .iter()
            .zip(&f.params)
            .zip(f.std_errors.iter().map(Some).chain(std::iter::repeat(None)))
            .map(|((n, p), se)| match se {
                Some(se) if se.is_finite() => format!("{n} = {p:.4} ± {se:.4}"),
                Some(_) => format!("{n} = {p:.4} (not identified)"),
                None => format!("{n} = {p:.4}"),
            })
            .collect::<Vec<_>>()
            .join(", ");
        s += &row(&[
            esc(name),
            esc(&params),
            format!("{:.1}", f.log_likelihood),
            f.customers.to_string(),
            esc(&f.at_bound.join(", ")),
        ]);
    }
    s += "</table>";
    match &v.holdout {
        Some(h) => {
            let _ = write!(
                s,
                "<p>Holdout check (fitted on orders up to {}, predicting to {}): {:.0} repeat purchases predicted, {:.0} actual, over {} customers; MAE {:.3} per customer, AUC {:.3}.</p>",
                esc(&h.calibration_end),
                esc(&h.observation_end),
                h.predicted_total,
                h.actual_total,
                h.customers,
                h.mae,
                h.auc
            );
        }
        None => {
            s += "<p class=note>No holdout check in this report: <code>recur clv evaluate --holdout-days 90</code> fits on all but the last 90 days and compares the predictions with what customers did.</p>"
        }
    }
    let _ = write!(
        s,
        "<h3>Customers with the most value at risk</h3><table>{}",
        header(&[
            "Customer",
            "Repeat purchases",
            "Weeks since last",
            "P(alive)",
            "Expected spend",
            "12-month CLV",
            "Value at risk / year"
        ])
    );
    for c in &v.top_at_risk {
        s += &row(&[
            esc(&c.customer_id),
            format!("{:.0}", c.repeat_purchases),
            format!("{:.0}", c.weeks_since_last_purchase),
            pct(c.p_alive),
            format!("{:.0}", c.expected_spend),
            format!("{:.0}", c.clv_12m),
            format!("{:.0}", c.value_at_risk),
        ]);
    }
    s + "</table>"
}

fn behaviour_html(b: &BehaviourSection) -> String {
    let k = b.k;
    let mut s = format!(
        "<p>Chosen: <b>{}</b>. {}</p><p class=note>Each customer's next basket ranked over all {} products; {} test customers.</p><canvas id=models></canvas><table>{}",
        esc(&b.chosen),
        esc(&b.why),
        b.items,
        b.test_customers,
        header(&[
            "Model",
            &format!("NDCG@{k}"),
            &format!("HR@{k}"),
            &format!("Recall@{k}"),
            &format!("Validation NDCG@{k}"),
            "Train s"
        ])
    );
    for m in &b.models {
        let name = if m.chosen {
            format!("<b>{}</b> (chosen)", esc(&m.model))
        } else {
            esc(&m.model)
        };
        s += &row(&[
            name,
            format!("{:.4}", m.ndcg),
            format!("{:.4}", m.hit_rate),
            format!("{:.4}", m.recall),
            format!("{:.4}", m.validation_ndcg),
            format!("{:.1}", m.train_seconds),
        ]);
    }
    s += "</table>";
    if let Some(t) = &b.transformer {
        let _ = write!(
            s,
            "<p class=note>Transformer: {} epochs in {:.0} s, weights of epoch {} kept, stopped by {}.</p>",
            t.epochs,
            t.seconds,
            t.best_epoch,
            match t.stopped {
                StopReason::Epochs => "the epoch limit",
                StopReason::EarlyStopping => "early stopping",
                StopReason::TimeBudget => "the time budget",
                StopReason::Interrupted => "an interruption",
            }
        );
    }
    s += "<h3>Recommendations for the customers with the most value at risk</h3>";
    if b.recommendations.is_empty() {
        s += "<p class=note>None: no customer values to rank customers by, or the model knows none of them.</p>";
        return s;
    }
    s += "<table>";
    s += &header(&[
        "Customer",
        "Ranked by",
        "P(buys within 90 days)",
        "Recommended products",
    ]);
    for r in &b.recommendations {
        let items = r
            .items
            .iter()
            .map(|i| {
                let name = i.title.as_deref().unwrap_or(&i.product_id);
                let seen = if i.seen_before {
                    " (bought or viewed before)"
                } else {
                    ""
                };
                format!("{}{seen}", esc(name))
            })
            .collect::<Vec<_>>()
            .join("; ");
        s += &row(&[
            esc(&r.customer_id),
            esc(&r.model),
            r.p_purchase_90d
                .map(|p| pct(f64::from(p)))
                .unwrap_or_else(|| "-".into()),
            items,
        ]);
    }
    s + "</table>"
}

fn interval(i: &Interval, scale: f64, digits: usize) -> String {
    format!(
        "{:.digits$} [{:.digits$}, {:.digits$}]",
        i.estimate * scale,
        i.low * scale,
        i.high * scale
    )
}

fn campaign_html(c: &CampaignSection, cur: &str) -> String {
    let conf = format!("{:.0}%", c.confidence * 100.0);
    let mut s = format!(
        "<p class=note>Win-back campaign with a randomised holdout; the customers' responses are simulated from the synthetic shop's ground truth, so the measured lift can be checked against the true one. Intervals: {conf} confidence; profit at {:.0}% margin after offer cost, in {}.</p><canvas id=lift></canvas><table>{}",
        c.margin * 100.0,
        esc(cur),
        header(&[
            "Round",
            "Targeting",
            "Eligible",
            "Treated",
            "Holdout",
            "Offers",
            "Repurchase rate treated / holdout",
            &format!("Lift, points [{conf} CI]"),
            &format!("Incremental buyers [{conf} CI]"),
            "True",
            &format!("Incremental profit [{conf} CI]"),
            "True"
        ])
    );
    for r in &c.rounds {
        let offers = r
            .offers
            .iter()
            .map(|o| format!("{}: {}", esc(&o.offer), o.customers))
            .collect::<Vec<_>>()
            .join(", ");
        let (rates, lift, buyers, profit) = match &r.lift {
            Some(l) => {
                let e = &l.repurchase_rate;
                (
                    format!("{} / {}", pct(e.treated_mean), pct(e.control_mean)),
                    interval(&Interval::new(e.effect, e.ci_low, e.ci_high), 100.0, 1),
                    interval(&l.incremental_purchasers, 1.0, 1),
                    interval(&l.incremental_profit, 1.0, 0),
                )
            }
            None => {
                let na = || "n/a (a group too small)".to_owned();
                (na(), na(), na(), na())
            }
        };
        s += &row(&[
            esc(&r.name),
            esc(&r.targeting),
            r.eligible.to_string(),
            r.treated.to_string(),
            r.holdout.to_string(),
            offers,
            rates,
            lift,
            buyers,
            format!("{:.1}", r.true_incremental_purchasers),
            profit,
            format!("{:.0}", r.true_incremental_profit),
        ]);
    }
    s += "</table>";
    s += &fairness_html(&c.rounds);
    let _ = write!(
        s,
        "<h3>Messages of the last round by validation path</h3><p class=note>{} drafted by the local language model (validated, retried once with the validator's feedback, the template otherwise); the rest validated templates. {} queued for sending.</p><div class=two><div><canvas id=paths></canvas></div><div><table>{}",
        c.llm_drafts,
        c.queued,
        header(&["Path", "Messages"])
    );
    for p in &c.message_paths {
        s += &row(&[esc(&p.path), p.count.to_string()]);
    }
    s += "</table></div></div>";
    if !c.samples.is_empty() {
        s += "<h3>Sample messages</h3><p class=note>As drafted, before the first name is filled in.</p>";
        for m in &c.samples {
            s += &sample_html(m);
        }
    }
    s
}

/// Each round's offers by group beside the overall rate, flagged under four fifths of it.
fn fairness_html(rounds: &[RoundSection]) -> String {
    if rounds.iter().all(|r| r.fairness.is_empty()) {
        return String::new();
    }
    let mut s = format!(
        "<h3>Fairness of offers</h3><p class=note>Share of the customers the targeting decided on (in the audience, consenting, not held out) who got a valuable offer (a discount or free shipping), per group, and its ratio to the overall share; flagged under {} of it (the four-fifths rule) for groups of {} or more.</p><table>{}",
        recur_campaign::FOUR_FIFTHS,
        recur_campaign::MIN_GROUP_SIZE,
        header(&[
            "Round",
            "By",
            "Group",
            "Customers",
            "Valuable offers",
            "Share",
            "Ratio to overall",
            ""
        ])
    );
    for r in rounds {
        for t in &r.fairness {
            for g in &t.groups {
                s += &row(&[
                    esc(&r.name),
                    esc(&t.attribute),
                    esc(&g.group),
                    g.size.to_string(),
                    g.valuable.to_string(),
                    pct(g.valuable_rate),
                    g.ratio_to_overall
                        .map_or_else(|| "-".to_owned(), |x| format!("{x:.2}")),
                    if g.flagged {
                        "<b>flagged</b>".to_owned()
                    } else if g.small {
                        "small group".to_owned()
                    } else {
                        String::new()
                    },
                ]);
            }
        }
    }
    s += "</table>";
    s
}

fn sample_html(m: &SampleMessage) -> String {
    let path = match m.path {
        CopyPath::Model => "model draft accepted",
        CopyPath::ModelAfterRetry => "model draft accepted after retry",
        CopyPath::Template => "template (model drafts rejected)",
        CopyPath::TemplateOnly => "template",
    };
    let segment = m.segment.map(|s| format!(" · {s}")).unwrap_or_default();
    format!(
        "<div class=msg><div class=note>customer {}{} · offer {} · {path}</div><div><b>Subject:</b> {}</div><div class=note>{}</div><pre>{}</pre></div>",
        esc(&m.customer_id),
        esc(&segment),
        esc(&m.offer),
        esc(&m.subject),
        esc(&m.preheader),
        esc(&m.body)
    )
}
