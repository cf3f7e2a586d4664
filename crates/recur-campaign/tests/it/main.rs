//! Uplift on simulated experiments, holdout invariants, input errors, and delivery.

mod concurrency;
mod delivery;
mod redemption;

use proptest::prelude::*;
use recur_campaign::{
    Features, Rng, UpliftConfig, UpliftModel, assign_holdout, compare_targeting,
    evaluate_hillstrom, mean_difference, qini,
};

/// A randomised experiment where only customers with x0 > 0.6 respond to the treatment
/// (+25 points) and those with x0 < 0.2 are put off by it (-5 points: sleeping dogs).
fn simulate(n: usize, seed: u64) -> (Features, Vec<bool>, Vec<f64>) {
    let mut rng = Rng::new(seed);
    let u = |rng: &mut Rng| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let mut cols: Vec<Vec<f64>> = (0..3).map(|_| Vec::with_capacity(n)).collect();
    let (mut treated, mut y) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let x: Vec<f64> = (0..3).map(|_| u(&mut rng)).collect();
        let t = rng.below(2) == 1;
        let mut p = 0.1 + 0.1 * x[1];
        if t && x[0] > 0.6 {
            p += 0.25;
        }
        if t && x[0] < 0.2 {
            p -= 0.05;
        }
        for (c, v) in cols.iter_mut().zip(&x) {
            c.push(*v);
        }
        treated.push(t);
        y.push(f64::from(u8::from(u(&mut rng) < p)));
    }
    (
        Features {
            names: vec!["x0".into(), "x1".into(), "x2".into()],
            columns: cols,
        },
        treated,
        y,
    )
}

#[test]
fn uplift_model_finds_the_responsive_customers() {
    let (x_train, t_train, y_train) = simulate(20_000, 1);
    let (x_test, t_test, y_test) = simulate(10_000, 2);
    let model = UpliftModel::fit(&x_train, &t_train, &y_train, &UpliftConfig::default()).unwrap();
    let scores = model.predict(&x_test);
    // The responsive third gets the highest predicted uplift on average.
    let mean = |keep: &dyn Fn(f64) -> bool| {
        let v: Vec<f64> = (0..scores.len())
            .filter(|&i| keep(x_test.columns[0][i]))
            .map(|i| scores[i])
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (hi, lo) = (mean(&|x| x > 0.6), mean(&|x| x < 0.2));
    assert!(
        hi > 0.15 && lo < 0.02,
        "responsive {hi}, sleeping dogs {lo}"
    );
    let q = qini(&scores, &t_test, &y_test, 10);
    assert!(q.coefficient > 0.01, "Qini {}", q.coefficient);
    // Random scores are no better than random targeting (within noise).
    let mut rng = Rng::new(3);
    let noise: Vec<f64> = (0..scores.len()).map(|_| rng.next_u64() as f64).collect();
    assert!(qini(&noise, &t_test, &y_test, 10).coefficient.abs() < 0.01);
    // Targeting the top 30 % by uplift beats a random 30 %, beyond the intervals.
    let c = &compare_targeting(&scores, &t_test, &[&y_test], 0.3, 200, 0.95, 9)[0];
    assert_eq!(c.targeted, 3000);
    assert!(c.uplift.ci_low > c.random.ci_high, "{c:?}");
    // Same data and seed, same model.
    let again = UpliftModel::fit(&x_train, &t_train, &y_train, &UpliftConfig::default()).unwrap();
    assert_eq!(again.predict(&x_test), scores);
}

#[test]
fn uplift_needs_both_outcomes_in_both_groups() {
    let (x, t, _) = simulate(100, 4);
    let y = vec![0.0; 100];
    let e = UpliftModel::fit(&x, &t, &y, &UpliftConfig::default()).unwrap_err();
    assert!(e.to_string().contains("positive outcomes"), "{e}");
}

#[test]
fn hillstrom_rows_are_checked_with_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.csv");
    std::fs::write(
        &path,
        "recency,history_segment,history,mens,womens,zip_code,newbie,channel,segment,visit,conversion,spend\n\
         10,2) $100 - $200,142.44,1,0,Surburban,0,Phone,Womens E-Mail,0,0,0\n\
         6,3) $200 - $350,329.08,1,1,Rural,1,Web,Everyone E-Mail,0,0,0\n",
    )
    .unwrap();
    let e = evaluate_hillstrom(&path, 0.95, 10, 1)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("h.csv:3") && e.contains("Everyone E-Mail"),
        "{e}"
    );
    std::fs::write(&path, "recency,segment\n1,No E-Mail\n").unwrap();
    let e = evaluate_hillstrom(&path, 0.95, 10, 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing column `history_segment`"), "{e}");
}

proptest! {
    /// Every stratum gets exactly round(share × n) holdout customers.
    #[test]
    fn holdout_share_is_exact_per_stratum(sizes in prop::collection::vec(0usize..300, 1..5), share in 0.0f64..1.0) {
        let ids: Vec<(String, String)> = sizes
            .iter()
            .enumerate()
            .flat_map(|(s, &n)| (0..n).map(move |i| (format!("c{s}-{i}"), format!("s{s}"))))
            .collect();
        let audience: Vec<(&str, &str)> = ids.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let h = assign_holdout("camp", &audience, share);
        for (s, &n) in sizes.iter().enumerate() {
            let stratum = format!("s{s}");
            let held = audience.iter().zip(&h).filter(|(c, x)| c.1 == stratum && **x).count();
            prop_assert_eq!(held, (share * n as f64).round() as usize);
        }
    }

    /// The interval contains the estimate, widens with confidence and shrinks with more data.
    #[test]
    fn mean_difference_intervals_behave(seed in 0u64..1000, n in 10usize..400) {
        let mut rng = Rng::new(seed);
        let draw = |rng: &mut Rng, k: usize| -> Vec<f64> { (0..k).map(|_| (rng.below(1000) as f64) / 100.0).collect() };
        let (t, c) = (draw(&mut rng, n), draw(&mut rng, n));
        let e95 = mean_difference(&t, &c, 0.95).unwrap();
        let e99 = mean_difference(&t, &c, 0.99).unwrap();
        prop_assert!(e95.ci_low <= e95.effect && e95.effect <= e95.ci_high);
        prop_assert!(e99.ci_high - e99.ci_low >= e95.ci_high - e95.ci_low);
        let (t4, c4): (Vec<f64>, Vec<f64>) = (t.repeat(4), c.repeat(4));
        let big = mean_difference(&t4, &c4, 0.95).unwrap();
        prop_assert!(big.ci_high - big.ci_low < e95.ci_high - e95.ci_low);
    }
}
