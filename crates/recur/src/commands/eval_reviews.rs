//! `recur eval reviews`: the review sentiment model on a labelled file (duplicates removed, a
//! seeded 80/20 split) beside majority-class and lexicon baselines, with training and
//! classification speed and the time of the aspect analysis over every review.

use std::process::ExitCode;

use anyhow::Result;
use recur_engine::review_intel::{EvalOptions, TrainOptions};

use crate::cli::EvalReviewsArgs;
use crate::context::{Context, print_json};
use crate::error::require_file;

pub(crate) fn run(_ctx: &Context, a: &EvalReviewsArgs) -> Result<ExitCode> {
    require_file(&a.dataset, "--dataset")?;
    let opts = EvalOptions {
        seed: a.seed,
        aspects: !a.no_aspects,
        train: TrainOptions {
            seed: a.seed,
            ..TrainOptions::default()
        },
        ..EvalOptions::default()
    };
    let r = recur_engine::evaluate_reviews(&a.dataset, a.format.into(), &opts)?;
    if a.json {
        print_json(&r)?;
        return Ok(ExitCode::SUCCESS);
    }
    let balance: Vec<String> = r
        .class_balance
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    println!(
        "{}: {} labelled reviews ({} left out), {} duplicates removed; classes: {}\ntrain {} / test {} (seed {})\n",
        r.dataset.display(),
        r.reviews,
        r.left_out,
        r.duplicates_removed,
        balance.join(", "),
        r.train_reviews,
        r.test_reviews,
        a.seed
    );
    println!("{:<10} {:>9} {:>9}", "model", "accuracy", "macro-F1");
    println!("{:<10} {:>9.4} {:>9.4}", "recur", r.accuracy, r.macro_f1);
    for b in &r.baselines {
        println!("{:<10} {:>9.4} {:>9.4}", b.name, b.accuracy, b.macro_f1);
    }
    println!(
        "\ntraining {:.1} s (penalty {:e}{}), {:.0} reviews/s on one core",
        r.train_seconds,
        r.lambda,
        if r.balanced { ", classes weighted" } else { "" },
        r.reviews_per_second
    );
    if let Some(s) = r.aspects_seconds {
        println!(
            "aspects: {} reviews in {s:.1} s, {} aspects found",
            r.aspects_reviews, r.aspects_found
        );
    }
    Ok(ExitCode::SUCCESS)
}
