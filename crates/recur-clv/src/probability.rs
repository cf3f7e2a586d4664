//! Probability forecasts of a yes/no outcome ("buys within the horizon") checked against what
//! happened: AUC (rank-based, ties averaged), Brier score, log loss and calibration by decile of
//! the predicted probability; and BG/NBD's probability of at least one purchase in a horizon.

use serde::Serialize;

use crate::BgNbd;
use crate::evaluate::auc;

impl BgNbd {
    /// Probability of at least one purchase in the next `horizon` time units, given the
    /// customer's history (x, t_x, T). A customer alive at T buys at rate λ ~ Gamma(r + x,
    /// α + T) and can only drop out at a purchase, so P(none | alive) = ((α + T) / (α + T +
    /// horizon))^(r + x); a customer who has dropped out buys nothing.
    pub fn probability_of_any_purchase(&self, horizon: f64, x: f64, tx: f64, t: f64) -> f64 {
        if horizon <= 0.0 {
            return 0.0;
        }
        let none_if_alive =
            ((self.alpha + t).ln() - (self.alpha + t + horizon).ln()) * (self.r + x);
        self.p_alive(x, tx, t) * (-none_if_alive.exp_m1())
    }
}

/// One tenth of the customers, by predicted probability (lowest first).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// 1 (lowest predictions) to 10.
    pub decile: usize,
    /// Customers in it.
    pub customers: usize,
    /// Their mean predicted probability.
    pub mean_predicted: f64,
    /// The share of them for whom the outcome happened.
    pub observed_rate: f64,
}

/// How well probabilities forecast a yes/no outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbabilityScores {
    /// Area under the ROC curve (ties count one half; 0.5 when one class is empty).
    pub auc: f64,
    /// Mean squared difference between the probability and the outcome (0 or 1).
    pub brier: f64,
    /// Mean negative log-likelihood of the outcomes (probabilities clamped to [1e-15, 1 - 1e-15]).
    pub log_loss: f64,
    /// Mean of the predictions (compare with the base rate).
    pub mean_predicted: f64,
    /// Customers sorted by prediction and cut into ten groups of equal size (sizes differ by at
    /// most one; fewer than ten customers give fewer groups).
    pub deciles: Vec<CalibrationBin>,
}

/// Scores `predicted` probabilities against `labels` (same length).
pub fn score_probabilities(predicted: &[f64], labels: &[bool]) -> ProbabilityScores {
    assert_eq!(predicted.len(), labels.len(), "one label per prediction");
    let n = predicted.len();
    let y = |i: usize| if labels[i] { 1.0 } else { 0.0 };
    let mean = |sum: f64| if n == 0 { 0.0 } else { sum / n as f64 };
    let brier = mean((0..n).map(|i| (predicted[i] - y(i)).powi(2)).sum());
    let log_loss = mean(
        (0..n)
            .map(|i| {
                let p = predicted[i].clamp(1e-15, 1.0 - 1e-15);
                if labels[i] { -p.ln() } else { -(1.0 - p).ln() }
            })
            .sum(),
    );
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| predicted[a].total_cmp(&predicted[b]).then(a.cmp(&b)));
    let bins = n.min(10);
    let deciles = (0..bins)
        .map(|d| {
            let members = &order[d * n / bins..(d + 1) * n / bins];
            let k = members.len() as f64;
            CalibrationBin {
                decile: d + 1,
                customers: members.len(),
                mean_predicted: members.iter().map(|&i| predicted[i]).sum::<f64>() / k,
                observed_rate: members.iter().map(|&i| y(i)).sum::<f64>() / k,
            }
        })
        .collect();
    ProbabilityScores {
        auc: auc(predicted, labels),
        brier,
        log_loss,
        mean_predicted: mean(predicted.iter().sum()),
        deciles,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_perfect_reversed_and_tied_rankers() {
        let labels = [false, false, true, true, false, true];
        let perfect = [0.1, 0.2, 0.8, 0.9, 0.3, 0.7];
        assert_eq!(score_probabilities(&perfect, &labels).auc, 1.0);
        let reversed: Vec<f64> = perfect.iter().map(|p| 1.0 - p).collect();
        assert_eq!(score_probabilities(&reversed, &labels).auc, 0.0);
        assert_eq!(score_probabilities(&[0.4; 6], &labels).auc, 0.5);
    }

    #[test]
    fn brier_and_log_loss_by_hand() {
        let s = score_probabilities(&[0.8, 0.4], &[true, false]);
        assert!((s.brier - (0.04 + 0.16) / 2.0).abs() < 1e-12);
        assert!((s.log_loss - (-(0.8f64.ln()) - 0.6f64.ln()) / 2.0).abs() < 1e-12);
        // Certain and right costs nothing; certain and wrong is clamped, not infinite.
        assert_eq!(score_probabilities(&[1.0], &[true]).brier, 0.0);
        assert!(score_probabilities(&[1.0], &[false]).log_loss.is_finite());
    }

    #[test]
    fn deciles_cover_every_customer_in_order() {
        let n = 1003;
        let predicted: Vec<f64> = (0..n).map(|i| ((i * 7919) % n) as f64 / n as f64).collect();
        let labels: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
        let s = score_probabilities(&predicted, &labels);
        assert_eq!(s.deciles.len(), 10);
        assert_eq!(s.deciles.iter().map(|d| d.customers).sum::<usize>(), n);
        assert!(
            s.deciles
                .iter()
                .all(|d| d.customers == 100 || d.customers == 101)
        );
        assert!(
            s.deciles
                .windows(2)
                .all(|w| w[0].mean_predicted <= w[1].mean_predicted)
        );
        let positives = s
            .deciles
            .iter()
            .map(|d| d.observed_rate * d.customers as f64)
            .sum::<f64>();
        assert!((positives - labels.iter().filter(|&&l| l).count() as f64).abs() < 1e-9);
        // Fewer customers than ten: one group each; none: no groups.
        assert_eq!(
            score_probabilities(&[0.5, 0.2], &[true, false])
                .deciles
                .len(),
            2
        );
        assert!(score_probabilities(&[], &[]).deciles.is_empty());
    }

    #[test]
    fn bgnbd_any_purchase_matches_the_new_customer_formula_and_bounds() {
        let m = BgNbd {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        };
        // A customer with no history at T = 0 is a new customer: 1 - P(X(t) = 0).
        for h in [1.0, 13.0, 39.0] {
            let any = m.probability_of_any_purchase(h, 0.0, 0.0, 0.0);
            assert!((any - (1.0 - m.probability_of_purchases(0, h))).abs() < 1e-12);
        }
        // At most P(alive) and at most the expected number of purchases.
        let (x, tx, t) = (3.0, 20.0, 38.0);
        let any = m.probability_of_any_purchase(13.0, x, tx, t);
        assert!(any > 0.0 && any <= m.p_alive(x, tx, t));
        assert!(any <= m.expected_purchases(13.0, x, tx, t));
        assert_eq!(m.probability_of_any_purchase(0.0, x, tx, t), 0.0);
        // A customer silent for long is less likely to buy than one who just bought.
        assert!(m.probability_of_any_purchase(13.0, x, 5.0, t) < any);
    }
}
