//! Parameter recovery on simulated data and degenerate inputs.

use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Exp, Gamma};
use recur_clv::{BgNbd, CustomerSummary, Error, GammaGamma, ParetoNbd};

fn summary(id: usize, x: f64, tx: f64, t: f64, m: f64) -> CustomerSummary {
    CustomerSummary {
        customer_id: format!("c{id}").into(),
        frequency: x,
        recency: tx,
        t,
        monetary: m,
        holdout_frequency: 0.0,
        holdout_spend: 0.0,
    }
}

/// Simulates the BG/NBD story: Gamma(r, alpha) rates, Beta(a, b) dropout after each purchase,
/// observation windows T between 26 and 52 weeks.
fn simulate_bgnbd(p: BgNbd, n: usize, seed: u64) -> Vec<CustomerSummary> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let rate = Gamma::new(p.r, 1.0 / p.alpha).unwrap();
    let drop = Beta::new(p.a, p.b).unwrap();
    (0..n)
        .map(|i| {
            let lambda: f64 = rate.sample(&mut rng);
            let pd: f64 = drop.sample(&mut rng);
            let t_obs = rng.random_range(26.0..52.0);
            let (mut t, mut x, mut tx) = (0.0, 0.0, 0.0);
            let exp = Exp::new(lambda.max(1e-12)).unwrap();
            loop {
                t += exp.sample(&mut rng);
                if t > t_obs {
                    break;
                }
                x += 1.0;
                tx = t;
                if rng.random::<f64>() < pd {
                    break;
                }
            }
            summary(i, x, tx, t_obs, 0.0)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    /// The well-identified functions of the parameters come back: the mean purchase rate r/alpha
    /// and the mean dropout probability a/(a+b).
    #[test]
    fn bgnbd_recovers_simulated_parameters(r in 0.3f64..2.0, alpha in 2.0f64..10.0, a in 0.5f64..2.0, b in 2.0f64..6.0, seed in 0u64..1000) {
        let truth = BgNbd { r, alpha, a, b };
        let data = simulate_bgnbd(truth, 6000, seed);
        let (fit, report) = BgNbd::fit(&data).unwrap();
        let rate_err = ((fit.r / fit.alpha) / (r / alpha) - 1.0).abs();
        let drop_err = ((fit.a / (fit.a + fit.b)) / (a / (a + b)) - 1.0).abs();
        prop_assert!(rate_err < 0.15, "mean rate off by {rate_err}: fit {fit:?} truth {truth:?}");
        prop_assert!(drop_err < 0.25, "mean dropout off by {drop_err}: fit {fit:?} truth {truth:?}");
        prop_assert!(report.std_errors.iter().all(|s| s.is_finite() && *s > 0.0));
        // The fit is at least as likely as the truth.
        let ll_truth: f64 = data.iter().map(|c| truth.log_likelihood(c.frequency, c.recency, c.t)).sum();
        prop_assert!(report.log_likelihood >= ll_truth - 1e-6);
    }

    /// P(alive) is a probability and never rises with longer silence.
    #[test]
    fn p_alive_is_monotone_in_silence(x in 1.0f64..20.0, tx in 1.0f64..30.0, gap in 0.0f64..30.0) {
        let p = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
        let now = p.p_alive(x.round(), tx, tx + gap);
        let later = p.p_alive(x.round(), tx, tx + gap + 5.0);
        prop_assert!((0.0..=1.0).contains(&now) && later <= now + 1e-12);
    }
}

/// Simulates the Pareto/NBD story: Gamma(r, alpha) purchase rates, Gamma(s, beta) dropout
/// rates with exponential lifetimes, 39-week observation.
fn simulate_pareto(p: ParetoNbd, n: usize, seed: u64) -> Vec<CustomerSummary> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let rate = Gamma::new(p.r, 1.0 / p.alpha).unwrap();
    let death = Gamma::new(p.s, 1.0 / p.beta).unwrap();
    (0..n)
        .map(|i| {
            let lambda: f64 = rate.sample(&mut rng);
            let mu: f64 = death.sample(&mut rng);
            let life = Exp::new(mu.max(1e-12)).unwrap().sample(&mut rng);
            let t_obs = 39.0;
            let end = life.min(t_obs);
            let exp = Exp::new(lambda.max(1e-12)).unwrap();
            let (mut t, mut x, mut tx) = (0.0, 0.0, 0.0);
            loop {
                t += exp.sample(&mut rng);
                if t > end {
                    break;
                }
                x += 1.0;
                tx = t;
            }
            summary(i, x, tx, t_obs, 0.0)
        })
        .collect()
}

#[test]
fn pareto_nbd_recovers_simulated_parameters() {
    let truth = ParetoNbd {
        r: 0.55,
        alpha: 10.58,
        s: 0.61,
        beta: 11.67,
    };
    let data = simulate_pareto(truth, 4000, 11);
    let (fit, report) = ParetoNbd::fit(&data).unwrap();
    let rate_err = ((fit.r / fit.alpha) / (truth.r / truth.alpha) - 1.0).abs();
    assert!(
        rate_err < 0.15,
        "mean purchase rate off by {rate_err}: {fit:?}"
    );
    let ll_truth: f64 = data
        .iter()
        .map(|c| truth.log_likelihood(c.frequency, c.recency, c.t))
        .sum();
    assert!(
        report.log_likelihood >= ll_truth - 1e-6,
        "{} < {ll_truth}",
        report.log_likelihood
    );
}

#[test]
fn degenerate_data_gets_clear_errors() {
    let once: Vec<_> = (0..50).map(|i| summary(i, 0.0, 0.0, 30.0, 0.0)).collect();
    let e = BgNbd::fit(&once).unwrap_err();
    assert!(matches!(e, Error::NotIdentifiable { .. }));
    assert!(
        e.to_string().contains("every customer bought only once"),
        "{e}"
    );
    assert!(e.to_string().contains("what to do:"), "{e}");

    let single = [summary(0, 3.0, 10.0, 20.0, 5.0)];
    assert!(
        BgNbd::fit(&single)
            .unwrap_err()
            .to_string()
            .contains("1 customer(s)")
    );

    let zero: Vec<_> = (0..5).map(|i| summary(i, 0.0, 0.0, 0.0, 0.0)).collect();
    assert!(
        ParetoNbd::fit(&zero)
            .unwrap_err()
            .to_string()
            .contains("zero-length")
    );

    let mut bad: Vec<_> = (0..5).map(|i| summary(i, 1.0, 2.0, 3.0, 1.0)).collect();
    bad[3].recency = -1.0;
    let e = BgNbd::fit(&bad).unwrap_err().to_string();
    assert!(
        e.contains("customer `c3`") && e.contains("non-negative"),
        "{e}"
    );
    bad[3].recency = f64::NAN;
    assert!(GammaGamma::fit(&bad).is_err());
}

/// Predictions against reference values computed with Python `lifetimes` 0.11.3 at the same
/// parameters (BetaGeoFitter / ParetoNBDFitter with `params_` set by hand).
#[test]
fn predictions_match_lifetimes_reference_values() {
    let close = |got: f64, want: f64, what: &str| {
        assert!(
            (got - want).abs() < 1e-6 * want.abs().max(1.0),
            "{what}: {got} vs {want}"
        );
    };
    let bg = BgNbd {
        r: 0.2426,
        alpha: 4.4136,
        a: 0.7929,
        b: 2.4259,
    };
    close(bg.p_alive(2.0, 20.0, 32.0), 0.638_030_58, "BG/NBD P(alive)");
    close(bg.p_alive(7.0, 30.0, 38.0), 0.700_470_69, "BG/NBD P(alive)");
    close(
        bg.expected_purchases(39.0, 0.0, 0.0, 32.0),
        0.227_330_315,
        "BG/NBD E[Y(39)]",
    );
    close(
        bg.expected_purchases(39.0, 2.0, 20.0, 32.0),
        1.244_614_948,
        "BG/NBD E[Y(39)]",
    );
    close(
        bg.expected_purchases(39.0, 7.0, 30.0, 38.0),
        3.702_393_283,
        "BG/NBD E[Y(39)]",
    );
    close(
        bg.expected_purchases_new(39.0),
        1.195_047_682,
        "BG/NBD E[X(39)]",
    );
    close(
        bg.probability_of_purchases(2, 39.0),
        0.085_324_231,
        "BG/NBD P(X(39)=2)",
    );

    let pn = ParetoNbd {
        r: 0.5533,
        alpha: 10.5777,
        s: 0.6062,
        beta: 11.6688,
    };
    close(pn.p_alive(0.0, 0.0, 32.0), 0.341_111_171, "Pareto P(alive)");
    close(
        pn.p_alive(2.0, 20.0, 32.0),
        0.744_956_239,
        "Pareto P(alive)",
    );
    close(
        pn.p_alive(7.0, 30.0, 38.0),
        0.805_283_224,
        "Pareto P(alive)",
    );
    close(
        pn.expected_purchases(39.0, 0.0, 0.0, 32.0),
        0.140_451_191,
        "Pareto E[Y(39)]",
    );
    close(
        pn.expected_purchases(39.0, 2.0, 20.0, 32.0),
        1.415_472_450,
        "Pareto E[Y(39)]",
    );
    close(
        pn.expected_purchases(39.0, 7.0, 30.0, 38.0),
        4.048_630_536,
        "Pareto E[Y(39)]",
    );
    close(
        pn.expected_purchases_new(39.0),
        1.213_493_586,
        "Pareto E[X(39)]",
    );
}

/// On data simulated from a known BG/NBD, the model fitted on a calibration period predicts
/// the holdout totals closely and ranks future buyers far better than chance.
#[test]
fn holdout_evaluation_on_simulated_data() {
    let truth = BgNbd {
        r: 0.5,
        alpha: 5.0,
        a: 0.8,
        b: 2.5,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let rate = Gamma::new(truth.r, 1.0 / truth.alpha).unwrap();
    let drop = Beta::new(truth.a, truth.b).unwrap();
    // Simulate 78 weeks per customer; weeks 0-39 calibrate, 39-78 are the holdout.
    let data: Vec<CustomerSummary> = (0..5000)
        .map(|i| {
            let lambda: f64 = rate.sample(&mut rng);
            let pd: f64 = drop.sample(&mut rng);
            let exp = Exp::new(lambda.max(1e-12)).unwrap();
            let (mut t, mut x, mut tx, mut hold) = (0.0, 0.0, 0.0, 0.0);
            loop {
                t += exp.sample(&mut rng);
                if t > 78.0 {
                    break;
                }
                if t <= 39.0 {
                    x += 1.0;
                    tx = t;
                } else {
                    hold += 1.0;
                }
                if rng.random::<f64>() < pd {
                    break;
                }
            }
            let mut s = summary(i, x, tx, 39.0, 0.0);
            s.holdout_frequency = hold;
            s
        })
        .collect();
    let (fit, _) = BgNbd::fit(&data).unwrap();
    let e = recur_clv::evaluate_holdout(&fit, &data, 39.0, 7);
    let ratio = e.predicted_total / e.actual_total;
    assert!((0.9..1.1).contains(&ratio), "predicted/actual {ratio}");
    assert!(e.auc > 0.7, "AUC {}", e.auc);
    assert_eq!(
        e.by_frequency.iter().map(|b| b.customers).sum::<usize>(),
        5000
    );
}

/// Customers who never leave (the NBD without dropout): BG/NBD cannot tell a from b, so the
/// fit says so and gives no standard error for them, instead of printing 0.0000.
#[test]
fn bgnbd_without_dropout_reports_a_and_b_as_not_identified() {
    let truth = BgNbd {
        r: 0.8,
        alpha: 9.0,
        a: 1e-4,
        b: 1e3,
    };
    let data = simulate_bgnbd(truth, 4000, 11);
    let (fit, report) = BgNbd::fit(&data).unwrap();
    assert!(fit.mean_dropout() < BgNbd::NO_DROPOUT, "{fit:?}");
    assert_eq!(report.at_bound, vec!["a", "b"]);
    assert!(report.std_errors[2].is_nan() && report.std_errors[3].is_nan());
    // r and alpha stay identified: the mean purchase rate comes back.
    assert!(
        report.std_errors[..2]
            .iter()
            .all(|s| s.is_finite() && *s > 0.0)
    );
    assert!(
        ((fit.r / fit.alpha) / (truth.r / truth.alpha) - 1.0).abs() < 0.15,
        "{fit:?}"
    );
}
