//! Campaigns: plans, generated messages, sending, redemptions, measured lift, the demo's
//! campaign loop and the Hillstrom evaluation.

use std::fmt::Write as _;

use super::{exclusion_label, grid, pct, with_interval};

/// The Hillstrom e-mail experiment: randomised effects and uplift targeting vs random.
pub(crate) fn hillstrom_text(r: &recur_engine::prelude::HillstromReport) -> String {
    let mut s = format!(
        "Hillstrom e-mail experiment: {} customers randomised to a men's e-mail, a women's e-mail or none.\n\nRandomised effects vs no e-mail ({:.0}% intervals):\n",
        r.customers,
        r.confidence * 100.0
    );
    let mut g = grid(&[
        "e-mail",
        "outcome",
        "treated",
        "no e-mail",
        "effect",
        "interval",
    ]);
    for (arm, a) in [("men's", &r.mens), ("women's", &r.womens)] {
        for (name, e, scale, unit) in [
            ("visit rate", &a.visit, 100.0, " pts"),
            ("conversion rate", &a.conversion, 100.0, " pts"),
            ("spend per customer", &a.spend, 1.0, " $"),
        ] {
            g.add_row(vec![
                arm.to_owned(),
                name.to_owned(),
                format!("{:.3}", e.treated_mean * scale),
                format!("{:.3}", e.control_mean * scale),
                format!("{:+.3}{unit}", e.effect * scale),
                format!("{:+.3} .. {:+.3}", e.ci_low * scale, e.ci_high * scale),
            ]);
        }
    }
    let _ = writeln!(s, "{g}");
    let _ = writeln!(
        s,
        "\nTargeting 30% of the held-out customers (stratified 30% of each arm and the control; {} bootstrap resamples):",
        r.bootstrap_replicates
    );
    let mut g = grid(&[
        "e-mail",
        "outcome",
        "by predicted uplift",
        "interval",
        "at random",
        "interval",
    ]);
    let est = |e: &recur_engine::prelude::TargetingComparison, k: u8| {
        let v = if k == 0 { e.uplift } else { e.random };
        (
            format!("{:.1}", v.estimate),
            format!("{:.1} .. {:.1}", v.ci_low, v.ci_high),
        )
    };
    for (arm, a) in [("men's", &r.mens), ("women's", &r.womens)] {
        let t = &a.targeting;
        for (name, c) in [
            ("incremental visits", &t.visits),
            ("incremental conversions", &t.conversions),
            ("incremental spend ($)", &t.spend),
        ] {
            let (u, ui) = est(c, 0);
            let (rv, ri) = est(c, 1);
            g.add_row(vec![arm.to_owned(), name.to_owned(), u, ui, rv, ri]);
        }
    }
    let _ = writeln!(s, "{g}");
    for (arm, a) in [("men's", &r.mens), ("women's", &r.womens)] {
        let t = &a.targeting;
        let _ = writeln!(
            s,
            "  {arm}: Qini coefficient {:.5} (visits), {:.5} (conversions); trained on {} customers, tested on {}; model: {}",
            t.qini, t.qini_conversion, t.train_customers, t.test_customers, t.model
        );
    }
    let _ = writeln!(
        s,
        "  (Qini coefficient: area between the Qini curve and random targeting, both axes as shares of the customers.)"
    );
    s
}

/// The demo's two campaign rounds, what was left out, and the messages.
pub(crate) fn campaign_demo_text(c: &recur_engine::CampaignDemo, cur: &str) -> String {
    let mut s = String::new();
    // The goal (30 days) and the holdout share (20 %) are the demo campaign's definition in
    // the engine, which the outcome does not carry; margin and confidence come with the lift.
    let lift = &c.exploration.lift;
    let confidence = lift.confidence * 100.0;
    let _ = writeln!(
        s,
        "\nCampaign loop (win-back, 30-day goal, 20% randomised holdout; outcomes simulated from the shop's ground truth, {:.0}% margin):",
        lift.margin * 100.0
    );
    let buyers_header = format!("incremental buyers: measured [{confidence:.0}% CI]");
    let profit_header = format!("incremental profit: measured [{confidence:.0}% CI]");
    let mut g = grid(&[
        "round",
        "treated",
        "holdout",
        "offers",
        &buyers_header,
        "true",
        &profit_header,
        "true",
    ]);
    for (name, r) in [("1 explore", &c.exploration), ("2 uplift", &c.targeted)] {
        let offers = r
            .plan
            .by_offer
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(o, n)| format!("{o}: {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let (buyers, profit) = match &r.lift.overall {
            Some(l) => (
                with_interval(&l.incremental_purchasers, 1),
                with_interval(&l.incremental_profit, 0),
            ),
            None => ("n/a".into(), "n/a".into()),
        };
        g.add_row(vec![
            name.to_owned(),
            r.plan.treated.to_string(),
            r.plan.holdout.to_string(),
            offers,
            buyers,
            format!("{:.1}", r.true_incremental_purchasers),
            profit,
            format!("{:.0}", r.true_incremental_profit),
        ]);
    }
    let _ = writeln!(s, "{g}");
    for (name, r) in [("1", &c.exploration), ("2", &c.targeted)] {
        let flagged: Vec<String> = r
            .fairness
            .iter()
            .flat_map(|t| {
                t.groups.iter().filter(|g| g.flagged).map(move |g| {
                    format!(
                        "{} {} ({:.2})",
                        t.attribute,
                        g.group,
                        g.ratio_to_overall.unwrap_or(0.0)
                    )
                })
            })
            .collect();
        let groups: usize = r.fairness.iter().map(|t| t.groups.len()).sum();
        let _ = writeln!(
            s,
            "  Round {name} fairness of valuable offers over {groups} groups (segment, language, country; under {} of the overall rate flagged, groups of {}+): {}.",
            recur_engine::FOUR_FIFTHS,
            recur_engine::MIN_GROUP_SIZE,
            if flagged.is_empty() {
                "none flagged".to_owned()
            } else {
                format!("flagged {}", flagged.join(", "))
            }
        );
    }
    let fair = &c.guarded;
    let upgraded: Vec<String> = fair
        .changes
        .iter()
        .map(|g| format!("{} {} +{}", g.attribute, g.group, g.upgraded))
        .collect();
    let still: usize = fair
        .fairness
        .iter()
        .map(|t| t.groups.iter().filter(|g| g.flagged).count())
        .sum();
    let _ = writeln!(
        s,
        "  What-if, round 2 with the guard rail [fairness] min_ratio = {}: {} ({} groups still flagged); true incremental buyers {:.1} (vs {:.1}), profit {:.0} {cur} (vs {:.0}).",
        fair.min_ratio,
        if upgraded.is_empty() {
            "nothing to change".to_owned()
        } else {
            format!("valuable offers added for {}", upgraded.join(", "))
        },
        still,
        fair.true_incremental_purchasers,
        c.targeted.true_incremental_purchasers,
        fair.true_incremental_profit,
        c.targeted.true_incremental_profit
    );
    let excluded: Vec<String> = c
        .targeted
        .plan
        .excluded
        .iter()
        .map(|(why, n)| format!("{n} {}", exclusion_label(why)))
        .collect();
    let _ = writeln!(
        s,
        "  Round 2 left out: {} (profit in {cur}; sure things and sleeping dogs are not contacted).",
        excluded.join(", ")
    );
    let paths: Vec<String> = c
        .message_paths
        .iter()
        .map(|(p, n)| format!("{p}: {n}"))
        .collect();
    let how = if c.llm_drafts > 0 {
        format!(
            "the first {} drafted by the local language model from the facts only, validated, retried with the validator's feedback, template otherwise; the rest validated templates",
            c.llm_drafts
        )
    } else {
        "validated templates; no local language model found (run scripts/setup-models)".to_owned()
    };
    let _ = writeln!(s, "  Messages: {} ({how}).", paths.join(", "));
    let sample = |s: &mut String, label: &str, m: &recur_engine::Outgoing| {
        let _ = writeln!(
            s,
            "  {label} ({}, offer {}):\n    Subject: {}\n    Preheader: {}\n    {}",
            m.customer_id,
            m.offer,
            m.message.subject,
            m.message.preheader,
            m.message.body.replace('\n', "\n    ")
        );
    };
    if let Some(m) = &c.sample_message {
        sample(&mut s, "Sample", m);
    }
    match &c.llm_samples[..] {
        [] => {}
        [d] => sample(
            &mut s,
            &format!("Written by the language model ({})", d.segment),
            &d.message,
        ),
        [a, b, ..] => {
            let _ = writeln!(
                s,
                "  Written by the language model for two customers in different segments (the facts filled in by recur):"
            );
            let text = |d: &recur_engine::DraftedSample| {
                format!(
                    "{} ({}, {})
Subject: {}
\n{}",
                    d.message.customer_id,
                    d.segment,
                    d.message.offer,
                    d.message.message.subject,
                    d.message.message.body
                )
            };
            s.push_str(&super::copy::side_by_side(&text(a), &text(b), 48));
        }
    }
    if let Some(f) = c.files.first().and_then(|f| f.parent()) {
        let _ = writeln!(
            s,
            "  ESP import files (Braze, Klaviyo, JSONL): {}",
            f.display()
        );
    }
    s
}

/// A table of treated vs holdout, one row per group of `first`.
fn lift_grid(first: &str) -> comfy_table::Table {
    grid(&[
        first,
        "treated",
        "holdout",
        "repurchase rate: treated / holdout",
        "lift [CI]",
        "incremental buyers [CI]",
        "incremental profit [CI]",
    ])
}

fn lift_row(name: &str, l: &recur_engine::prelude::Lift) -> Vec<String> {
    let e = &l.repurchase_rate;
    vec![
        name.to_owned(),
        e.treated.to_string(),
        e.control.to_string(),
        format!("{} / {}", pct(e.treated_mean), pct(e.control_mean)),
        format!(
            "{:+.1} pts [{:+.1}, {:+.1}]",
            e.effect * 100.0,
            e.ci_low * 100.0,
            e.ci_high * 100.0
        ),
        with_interval(&l.incremental_purchasers, 1),
        with_interval(&l.incremental_profit, 0),
    ]
}

/// Treated vs holdout, overall and per segment.
pub(crate) fn lift_text(r: &recur_engine::prelude::LiftReport) -> String {
    let mut s = format!(
        "Campaign {}: treated vs randomised holdout ({:.0}% intervals, margin {:.0}%){}\n",
        r.campaign,
        r.confidence * 100.0,
        r.margin * 100.0,
        if r.missing_outcomes > 0 {
            format!(
                "; {} customers without outcome counted as not buying",
                r.missing_outcomes
            )
        } else {
            String::new()
        }
    );
    let mut g = lift_grid("customers");
    let row = lift_row;
    if let Some(o) = &r.overall {
        g.add_row(row("all", o));
    }
    for (seg, l) in &r.by_segment {
        g.add_row(row(seg.as_str(), l));
    }
    let _ = writeln!(s, "{g}");
    if r.overall.is_none() {
        let _ = writeln!(
            s,
            "Not enough customers in the treated or holdout group to compare (two each at least)."
        );
    }
    s
}

/// A planned campaign: counts, offers, the evidence behind them, and where it was recorded.
pub(crate) fn plan_text(p: &recur_engine::PlannedCampaign) -> String {
    let mut out = String::new();
    let s = &p.summary;
    let _ = writeln!(
        out,
        "Campaign {}: {} customers considered, {} eligible, {} held out, {} to contact.",
        p.campaign, s.candidates, s.eligible, s.holdout, s.treated
    );
    let _ = writeln!(out, "Offers ({}):", p.targeting);
    for (offer, n) in &s.by_offer {
        let _ = writeln!(out, "  {offer}: {n}");
    }
    for e in &p.evidence {
        let _ = writeln!(
            out,
            "  {} ({}): {} treated ({} bought) vs {} held out ({} bought) in {}{}{}",
            e.offer,
            e.basis,
            e.treated,
            e.treated_buyers,
            e.holdout,
            e.holdout_buyers,
            if e.campaigns.is_empty() {
                "no past campaign".to_owned()
            } else {
                e.campaigns.join(", ")
            },
            e.held_out_qini
                .filter(|_| e.no_model.is_none())
                .map_or(String::new(), |q| format!("; held-out Qini {q:.5}")),
            e.no_model
                .as_ref()
                .map_or(String::new(), |why| format!(" — {why}"))
        );
    }
    for (id, why) in &p.not_learned_from {
        let _ = writeln!(out, "  not learned from {id}: {why}");
    }
    for (why, n) in &s.excluded {
        let _ = writeln!(out, "  not contacted ({}): {n}", exclusion_label(why));
    }
    for t in &p.fairness {
        let _ = writeln!(
            out,
            "Fairness by {}: contacted {:.1} %, valuable offers {:.1} % overall (flagged: under {} of the overall rate, groups of {}+):",
            t.attribute,
            100.0 * t.overall_offer_rate,
            100.0 * t.overall_valuable_rate,
            recur_engine::FOUR_FIFTHS,
            recur_engine::MIN_GROUP_SIZE
        );
        for g in &t.groups {
            let _ = writeln!(
                out,
                "  {}: {} customers, {} contacted ({:.1} %), {} valuable offers ({:.1} %), ratio {}{}",
                g.group,
                g.size,
                g.offered,
                100.0 * g.offer_rate,
                g.valuable,
                100.0 * g.valuable_rate,
                g.ratio_to_overall
                    .map_or_else(|| "-".to_owned(), |r| format!("{r:.2}")),
                if g.flagged {
                    "  FLAGGED"
                } else if g.small {
                    "  (small group)"
                } else {
                    ""
                }
            );
        }
    }
    for g in &p.guard_rails {
        let _ = writeln!(
            out,
            "Guard rail: {} {} raised by {} valuable offer(s) (expected cost +{:.2}, expected profit {:+.2}).",
            g.attribute, g.group, g.upgraded, g.extra_cost, g.profit_change
        );
    }
    out.push_str(&held_back_text(&p.held_back));
    let _ = writeln!(
        out,
        "{} in {}",
        if p.newly_recorded {
            "Recorded (holdout fixed from now on)"
        } else {
            "Already recorded; the recorded holdout is kept"
        },
        p.ledger.display()
    );
    out
}

/// Which products the plan's messages leave out because of their reviews, and why.
fn held_back_text(h: &recur_engine::HeldBackProducts) -> String {
    let mut out = String::new();
    if !h.enabled {
        let _ = writeln!(
            out,
            "Products held back by reviews: none (reviews.hold_back is off)."
        );
        return out;
    }
    if h.products.is_empty() {
        let _ = writeln!(
            out,
            "Products held back by reviews: none ({}; rule: {}+ reviews, negative share {:.0} points above the category's).",
            h.basis,
            h.min_reviews,
            100.0 * h.margin
        );
        return out;
    }
    let _ = writeln!(
        out,
        "Products held back by reviews ({}; not promoted in messages): {}",
        h.basis,
        h.products.len()
    );
    for p in &h.products {
        let _ = writeln!(
            out,
            "  {}: {:.0}% of {} reviews negative vs {:.0}% of {} for its {}",
            p.product_id,
            100.0 * p.negative_share,
            p.reviews,
            100.0 * p.compared_negative_share,
            p.compared_reviews,
            match (p.compared_with.as_str(), &p.category) {
                ("category", Some(c)) => format!("category `{c}`"),
                ("category", None) => "uncategorised products".to_owned(),
                _ => "shop".to_owned(),
            }
        );
    }
    out
}

/// Generated messages: how they were written, the products, what was queued, the ESP files.
pub(crate) fn generate_text(g: &recur_engine::GeneratedCampaign) -> String {
    let mut s = String::new();
    let paths: Vec<String> = g
        .message_paths
        .iter()
        .map(|(p, n)| format!("{p}: {n}"))
        .collect();
    let _ = writeln!(s, "Campaign {}: messages {}.", g.campaign, paths.join(", "));
    let _ = writeln!(s, "Products: {}.", g.product_source);
    let _ = writeln!(s, "Newly queued in the send ledger: {}.", g.queued);
    if g.rewritten > 0 {
        let _ = writeln!(
            s,
            "Rewritten (queued, not yet sent): {}; approve the campaign again before an approved send.",
            g.rewritten
        );
    }
    if let Some(a) = g
        .files
        .iter()
        .find(|f| f.ends_with(recur_engine::COPY_AUDIT_FILE))
    {
        let _ = writeln!(
            s,
            "Copy audit: {} (summary: recur eval copy --campaign {}).",
            a.display(),
            g.campaign
        );
    }
    if let Some(d) = g.files.first().and_then(|f| f.parent()) {
        let _ = writeln!(s, "ESP import files: {}", d.display());
    }
    s
}

/// One send run (or dry run), what the send window held back, and the ledger's totals.
pub(crate) fn send_text(out: &recur_engine::SendOutcome, dry_run: bool) -> String {
    let mut s = String::new();
    let r = &out.run;
    if dry_run {
        let _ = writeln!(
            s,
            "{}: {} message(s) would be sent (dry run).",
            out.campaign, r.would_send
        );
    } else {
        let _ = writeln!(
            s,
            "{}: sent {} ({} re-sent after an interrupted run), failed {}, suppressed {}.",
            out.campaign, r.sent, r.resent_after_crash, r.failed, r.suppressed
        );
    }
    if r.requeued > 0 {
        let _ = writeln!(
            s,
            "{} failed message(s) put back in the queue (--retry-failed).",
            r.requeued
        );
    }
    if let Some(why) = &r.paused {
        let _ = writeln!(s, "Paused: {why}.");
    }
    if r.deferred > 0 {
        let _ = writeln!(
            s,
            "{} message(s) left queued: outside the campaign's send window; it opens {} (run again then, or pass --ignore-send-window).",
            r.deferred,
            r.window_opens.as_deref().unwrap_or("later")
        );
    }
    let t = &out.totals;
    let _ = writeln!(
        s,
        "Ledger: {} sent, {} queued, {} in flight, {} failed, {} suppressed.",
        t.sent, t.queued, t.sending, t.failed, t.suppressed
    );
    s.push_str(&approval_text(&out.approval));
    s
}

/// Whether a campaign's messages are approved, by whom and when, and whether the approval
/// still covers them.
pub(crate) fn approval_text(a: &recur_engine::ApprovalStatus) -> String {
    match &a.approval {
        None => format!(
            "Approval: none (`recur campaign approve --campaign {}` records one; the API sends only approved campaigns).\n",
            a.campaign
        ),
        Some(r) if a.valid => format!(
            "Approval: by {} at {}, {} message(s), fingerprint {}: matches the messages.\n",
            r.approved_by,
            r.approved_at,
            r.messages,
            &r.fingerprint[..r.fingerprint.len().min(12)]
        ),
        Some(r) => format!(
            "Approval: by {} at {} for {} message(s), but the messages changed since ({} now): approve again.\n",
            r.approved_by, r.approved_at, r.messages, a.current.messages
        ),
    }
}

/// A recorded campaign's goal window, its offer-cost basis and its lift.
pub(crate) fn workspace_lift_text(r: &recur_engine::WorkspaceLift) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Goal window {} .. {}: {} purchase day(s) of campaign customers found.",
        r.window_start, r.window_end, r.purchase_days_in_window
    );
    if r.purchase_days_in_window == 0 {
        let _ = writeln!(
            s,
            "No orders in the window yet: import the orders up to {} and run this again.",
            r.window_end
        );
    }
    let _ = writeln!(s, "Offer cost: {}.", r.offer_cost_basis);
    s.push_str(&lift_text(&r.lift));
    for t in &r.by_group {
        if t.groups.is_empty() {
            continue;
        }
        let mut g = lift_grid(&t.attribute);
        for (name, l) in &t.groups {
            g.add_row(lift_row(name, l));
        }
        let _ = writeln!(s, "By {}:\n{g}", t.attribute);
        if !t.too_small.is_empty() {
            let _ = writeln!(
                s,
                "  too small to compare (under two treated or held out): {}",
                t.too_small.join(", ")
            );
        }
    }
    if !r.beyond_repurchase.is_empty() {
        let _ = writeln!(s, "Beyond repurchase (treated vs holdout, 95% intervals):");
        for o in &r.beyond_repurchase {
            match (&o.effect, &o.note) {
                (Some(e), _) => {
                    let _ = writeln!(
                        s,
                        "  {}: {:.3} vs {:.3}, difference {:+.3} [{:+.3}, {:+.3}] ({})",
                        o.metric,
                        e.treated_mean,
                        e.control_mean,
                        e.effect,
                        e.ci_low,
                        e.ci_high,
                        o.definition
                    );
                }
                (None, note) => {
                    let _ = writeln!(
                        s,
                        "  {}: {} ({})",
                        o.metric,
                        note.as_deref().unwrap_or("not measured"),
                        o.definition
                    );
                }
            }
        }
    }
    s
}
