use recur_reviews::{
    AnalyzeOptions, Example, Polarity, TrainOptions, analyze, template_summary, train,
    validate_bullet,
};

use crate::shop;

#[test]
fn aspects_from_planted_phrases_and_a_badly_reviewed_product_is_held_back() {
    let reviews = shop(5);
    let examples: Vec<Example> = reviews
        .iter()
        .map(|r| Example {
            text: r.text.clone(),
            label: Polarity::from_stars(r.stars.unwrap()).unwrap(),
        })
        .collect();
    let opts = TrainOptions {
        lambdas: vec![1e-3, 1e-4],
        ..TrainOptions::default()
    };
    let model = train(&examples, &opts).unwrap();
    let a = analyze(&reviews, Some(&model), &AnalyzeOptions::default());
    assert!(a.model_used);
    assert_eq!(a.reviews, reviews.len());
    let p0 = a.products.iter().find(|p| p.product_id == "p0").unwrap();
    let names: Vec<&str> = p0.aspects.iter().map(|x| x.aspect.as_str()).collect();
    for planted in ["lather", "pump bottle", "包装", "物流"] {
        assert!(names.contains(&planted), "{planted} not in {names:?}");
    }
    assert!(p0.held_back, "{p0:?}");
    assert!(
        p0.held_back_reason
            .as_deref()
            .unwrap()
            .contains("the rest of `soap`")
    );
    assert_eq!(a.held_back.len(), 1, "{:?}", a.held_back);
    assert_eq!(a.held_back[0].product_id, "p0");
    let pump = p0
        .aspects
        .iter()
        .find(|x| x.aspect == "pump bottle")
        .unwrap();
    assert!(pump.negative_share > 0.5, "{pump:?}");
    assert!(!pump.trend.is_empty());
    assert_eq!(pump.examples.len(), 3);
    for q in &pump.examples {
        let review = reviews.iter().find(|r| r.key == q.review).unwrap();
        assert!(
            recur_reviews::clean(&review.text).contains(&q.text),
            "{q:?}"
        );
    }
    // A well-reviewed product is not held back and its planted aspect is mostly positive.
    let p1 = a.products.iter().find(|p| p.product_id == "p1").unwrap();
    assert!(!p1.held_back);
    let lather = p1.aspects.iter().find(|x| x.aspect == "lather").unwrap();
    assert!(lather.negative_share < 0.5, "{lather:?}");
    // Categories carry the same aspects.
    let soap = a.categories.iter().find(|c| c.category == "soap").unwrap();
    assert_eq!(soap.products, 6);
    assert!(soap.aspects.iter().any(|x| x.aspect == "lather"));
    // The template summary cites quotes that pass the validator.
    let bullets = template_summary(p0, 3);
    assert!(!bullets.is_empty());
    for b in &bullets {
        let cited: Vec<&str> = b
            .citations
            .iter()
            .map(|k| reviews.iter().find(|r| &r.key == k).unwrap().text.as_str())
            .collect();
        assert_eq!(validate_bullet(b, &cited), Ok(()), "{b:?}");
    }
}

#[test]
fn stars_stand_in_without_a_model_and_empty_input_is_fine() {
    let reviews = shop(6);
    let a = analyze(&reviews, None, &AnalyzeOptions::default());
    assert!(!a.model_used);
    assert!(a.held_back.iter().any(|h| h.product_id == "p0"));
    let empty = analyze(&[], None, &AnalyzeOptions::default());
    assert_eq!(empty.reviews, 0);
    assert!(empty.products.is_empty());
}
