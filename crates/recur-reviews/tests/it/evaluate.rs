use std::io::Write;

use recur_reviews::{DatasetFormat, EvalOptions, Polarity, TrainOptions, evaluate};

use crate::planted;

fn quick() -> EvalOptions {
    EvalOptions {
        train: TrainOptions {
            lambdas: vec![1e-3, 1e-4],
            ..TrainOptions::default()
        },
        ..EvalOptions::default()
    }
}

#[test]
fn evaluates_both_formats_with_baselines_and_duplicates_removed() {
    let dir = tempfile::tempdir().unwrap();
    let data = planted(25, 9);
    let csv = dir.path().join("zh.csv");
    let mut f = std::fs::File::create(&csv).unwrap();
    writeln!(f, "cat,label,review").unwrap();
    for e in &data {
        let label = u8::from(e.label == Polarity::Positive);
        writeln!(f, "书籍,{label},\"{}\"", e.text.replace('"', "\"\"")).unwrap();
    }
    // Two exact duplicates.
    writeln!(f, "书籍,1,\"{}\"", data[0].text).unwrap();
    writeln!(f, "书籍,1,\"{}\"", data[2].text).unwrap();
    drop(f);
    let r = evaluate(&csv, DatasetFormat::OnlineShopping, &quick()).unwrap();
    assert_eq!(r.duplicates_removed, 2);
    assert_eq!(r.left_out, 1);
    assert!(r.accuracy > 0.9, "{r:?}");
    assert_eq!(r.baselines.len(), 2);
    assert_eq!(r.baselines[0].name, "majority");
    assert_eq!(
        r.train_reviews + r.test_reviews,
        r.reviews - r.duplicates_removed
    );
    assert!(r.reviews_per_second > 0.0 && r.aspects_seconds.is_some());

    let json = dir.path().join("en.json");
    let mut f = std::fs::File::create(&json).unwrap();
    for (i, e) in data.iter().enumerate() {
        let stars = if e.label == Polarity::Positive { 5 } else { 1 };
        let line = serde_json::json!({"overall": stars, "reviewText": e.text, "summary": "", "asin": format!("A{}", i % 3)});
        writeln!(f, "{line}").unwrap();
    }
    writeln!(
        f,
        "{}",
        serde_json::json!({"overall": 3.0, "reviewText": "so so"})
    )
    .unwrap();
    drop(f);
    let r = evaluate(&json, DatasetFormat::AmazonReviews, &quick()).unwrap();
    assert_eq!(r.left_out, 2, "three stars and the empty text");
    assert!(r.macro_f1 > 0.8, "{r:?}");
    assert_eq!(r.class_balance[&Polarity::Negative], 25);
}
