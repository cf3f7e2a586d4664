//! `recur eval timing`: the time head against BG/NBD on a generated shop, with nothing after the
//! calibration end leaking into the model, its products or the customers scored.

use super::{recur, stderr};

/// 120 customers buying every 10 to 40 days through 2024 (a third stop in the summer), a
/// customer who first buys after the calibration end, and a product sold only after it.
fn orders_csv() -> String {
    let mut s = String::from(
        "order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency,status\n",
    );
    let day0 = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let mut line = |order: &str, customer: &str, day: i64, product: &str| {
        let date = day0 + chrono::Days::new(day as u64);
        s.push_str(&format!(
            "{order},{customer},{date}T10:00:00Z,{product},1,10,EUR,completed\n"
        ));
    };
    for c in 0..120i64 {
        let gap = 10 + (c * 7) % 31;
        let stop = if c % 3 == 0 { 200 } else { 365 };
        let mut day = c % 20;
        let mut k = 0;
        while day < stop {
            let product = format!("p{}", (c + k) % 12);
            line(&format!("o{c}-{k}"), &format!("C{c:03}"), day, &product);
            day += gap + (k * 5) % 9;
            k += 1;
        }
    }
    // Calibration ends on day 270 (2024-09-27).
    line("late-1", "LATE", 300, "p1");
    line("late-2", "LATE", 320, "p2");
    line("new-product", "C001", 330, "only-after-the-cut");
    s
}

#[test]
fn eval_timing_scores_both_models_on_calibration_data_only() {
    let dir = tempfile::tempdir().unwrap();
    assert!(recur(dir.path(), &["init", "."]).status.success());
    let file = dir.path().join("orders.csv");
    std::fs::write(&file, orders_csv()).unwrap();
    let o = recur(
        dir.path(),
        &[
            "import",
            "orders",
            "--file",
            file.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = recur(
        dir.path(),
        &[
            "eval",
            "timing",
            "--calibration-end",
            "2024-09-27",
            "--horizon-days",
            "60",
            "--epochs",
            "2",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Every customer who bought by the cut, and no one else (LATE's orders are all later).
    assert_eq!(doc["customers"], 120, "{doc}");
    assert_eq!(doc["calibration_end"], "2024-09-27");
    assert_eq!(doc["horizon_end"], "2024-11-26");
    let base = doc["base_rate"].as_f64().unwrap();
    assert!(base > 0.3 && base < 1.0, "{doc}");
    // The model's products are those sold by the cut.
    assert_eq!(doc["training"]["items"], 12, "{}", doc["training"]);
    for model in ["time_head", "time_head_since_cut", "bgnbd"] {
        let m = &doc[model];
        for key in ["auc", "brier", "log_loss"] {
            assert!(m[key].is_f64(), "{model}.{key}: {m}");
        }
        let deciles = m["deciles"].as_array().unwrap();
        assert_eq!(deciles.len(), 10, "{m}");
        let counted: u64 = deciles
            .iter()
            .map(|d| d["customers"].as_u64().unwrap())
            .sum();
        assert_eq!(counted, 120, "{m}");
        for d in deciles {
            let p = d["mean_predicted"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&p), "{d}");
        }
    }
    // BG/NBD tells the customers who stopped in the summer from those who did not, in part.
    assert!(
        doc["bgnbd"]["auc"].as_f64().unwrap() > 0.6,
        "{}",
        doc["bgnbd"]
    );

    // A horizon that runs past the data is the user's to fix.
    let late = recur(
        dir.path(),
        &["eval", "timing", "--calibration-end", "2024-11-30"],
    );
    assert_eq!(late.status.code(), Some(1), "{}", stderr(&late));
    assert!(
        stderr(&late).contains("calibration-end"),
        "{}",
        stderr(&late)
    );
}
