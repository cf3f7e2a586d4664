use recur_reviews::{Example, Polarity, SentimentModel, TrainOptions, train};

use crate::planted;

fn quick() -> TrainOptions {
    TrainOptions {
        lambdas: vec![1e-3, 1e-4],
        features: recur_reviews::FeatureSettings {
            buckets_log2: 16,
            ..Default::default()
        },
        ..TrainOptions::default()
    }
}

#[test]
fn learns_planted_polarity_words_in_both_languages() {
    let model = train(&planted(30, 1), &quick()).unwrap();
    for (text, want) in [
        ("someone said zorbly", Polarity::Positive),
        ("honestly grimsk", Polarity::Negative),
        ("这个真是好极了", Polarity::Positive),
        ("这个真是糟透了", Polarity::Negative),
        ("混合 text zorbly 😀", Polarity::Positive),
        ("&lt;grimsk&gt;", Polarity::Negative),
    ] {
        let p = model.predict(text);
        assert_eq!(p.label, want, "{text}: {p:?}");
        assert!((p.negative + p.positive - 1.0).abs() < 1e-4);
    }
    // Empty and very long texts are classified without panicking.
    let p = model.predict("");
    assert!(p.negative.is_finite());
    let long = "zorbly ".repeat(20_000);
    assert_eq!(model.predict(&long).label, Polarity::Positive);
    let cfg = model.config();
    assert_eq!(cfg.classes, [Polarity::Negative, Polarity::Positive]);
    assert!(cfg.validation_accuracy > 0.9, "{cfg:?}");
}

#[test]
fn training_is_deterministic_and_saved_models_predict_the_same() {
    let data = planted(20, 2);
    let a = train(&data, &quick()).unwrap();
    let b = train(&data, &quick()).unwrap();
    assert_eq!(a.config(), b.config());
    let dir = tempfile::tempdir().unwrap();
    a.save(dir.path()).unwrap();
    let loaded = SentimentModel::load(dir.path()).unwrap();
    for e in &data {
        assert_eq!(a.predict(&e.text), loaded.predict(&e.text));
    }
    std::fs::write(dir.path().join(recur_reviews::WEIGHTS_FILE), b"short").unwrap();
    let e = SentimentModel::load(dir.path()).unwrap_err();
    assert!(e.is_user_error());
    assert!(e.to_string().contains("recur reviews train"), "{e}");
}

#[test]
fn three_way_with_neutral_reviews() {
    let mut data = planted(20, 3);
    for i in 0..30 {
        data.push(Example {
            text: format!("it is mehbland, {i}"),
            label: Polarity::Neutral,
        });
    }
    let model = train(&data, &quick()).unwrap();
    assert_eq!(model.config().classes.len(), 3);
    let p = model.predict("so mehbland");
    assert_eq!(p.label, Polarity::Neutral, "{p:?}");
    assert!((p.negative + p.neutral + p.positive - 1.0).abs() < 1e-4);
}

#[test]
fn too_little_or_one_class_is_the_users_error() {
    let one_class: Vec<Example> = (0..20)
        .map(|i| Example {
            text: format!("fine {i}"),
            label: Polarity::Positive,
        })
        .collect();
    let e = train(&one_class, &quick()).unwrap_err();
    assert!(e.is_user_error());
    assert!(e.to_string().contains("two of each"), "{e}");
    assert!(train(&[], &quick()).unwrap_err().is_user_error());
}
