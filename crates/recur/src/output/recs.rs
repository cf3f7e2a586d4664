//! The behaviour model: the comparison with the baselines and recommendations.

use std::fmt::Write as _;

use recur_engine::model::SuiteReport;
use recur_engine::{CustomerRecommendations, DemoRecommendations};

use super::grid;

/// The transformer and the baselines side by side.
pub(crate) fn suite_text(r: &SuiteReport) -> String {
    let mut s = String::new();
    let mut g = grid(&[
        "model",
        "NDCG@10",
        "HR@10",
        "Recall@10",
        "validation NDCG@10",
        "train s",
        "score s",
    ]);
    for m in &r.models {
        g.add_row(vec![
            m.model.clone(),
            format!("{:.4}", m.ndcg),
            format!("{:.4}", m.hit_rate),
            format!("{:.4}", m.recall),
            format!("{:.4}", m.validation_ndcg),
            format!("{:.1}", m.train_seconds),
            format!("{:.1}", m.score_seconds),
        ]);
    }
    let _ = writeln!(
        s,
        "{} test customers, {} items ranked (full ranking), history items {}:",
        r.test_customers,
        r.items,
        match r.exclude {
            recur_engine::model::Exclude::Seen => "left out",
            recur_engine::model::Exclude::Nothing => "ranked too",
        }
    );
    let _ = writeln!(s, "{g}");
    if let Some(t) = &r.transformer {
        let _ = writeln!(
            s,
            "transformer: {} epochs in {:.0} s, best epoch {} ({:?})",
            t.epochs.len(),
            t.seconds,
            t.best_epoch,
            t.stopped
        );
    }
    let _ = writeln!(s, "best on validation: {}", r.best_on_validation);
    s
}

/// One customer's recommendations.
pub(crate) fn recommendations_text(r: &CustomerRecommendations) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "customer {} ({} events in history), ranked by {}{}",
        r.customer_id,
        r.history_events,
        r.model,
        r.p_purchase_90d
            .map(|p| format!("; P(purchase within 90 days) {:.0}%", p * 100.0))
            .unwrap_or_default()
    );
    let mut g = grid(&["#", "product", "title", "price", "score", "seen before"]);
    for (i, it) in r.items.iter().enumerate() {
        g.add_row(vec![
            (i + 1).to_string(),
            it.product_id.clone(),
            it.title.clone().unwrap_or_default(),
            it.price.map(|p| format!("{p:.2}")).unwrap_or_default(),
            format!("{:.3}", it.score),
            if it.seen_before { "yes" } else { "" }.to_owned(),
        ]);
    }
    let _ = writeln!(s, "{g}");
    s
}

/// The demo's behaviour-model stage and its recommendations to customers at risk.
pub(crate) fn demo_recommendations_text(r: &DemoRecommendations) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nBehaviour model: who wants what next (each customer's last order held out):"
    );
    s.push_str(&suite_text(&r.training.evaluation));
    let _ = writeln!(
        s,
        "\nRecommendations for the customers with the most value at risk (model: {}):",
        r.training.selection.chosen
    );
    for c in &r.at_risk {
        let items: Vec<String> = c
            .items
            .iter()
            .map(|i| i.title.clone().unwrap_or_else(|| i.product_id.clone()))
            .collect();
        let _ = writeln!(
            s,
            "  {}{}: {}",
            c.customer_id,
            c.p_purchase_90d
                .map(|p| format!(" (P(buys within 90 days) {:.0}%)", p * 100.0))
                .unwrap_or_default(),
            items.join("; ")
        );
    }
    s
}
