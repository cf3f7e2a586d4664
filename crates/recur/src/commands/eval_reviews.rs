//! `recur eval reviews`: the review sentiment model on a labelled file (duplicates removed, a
//! seeded 80/20 split) beside majority-class and lexicon baselines, with training and
//! classification speed and the time of the aspect analysis over every review; with
//! `--embedding-head`, a logistic-regression head on the configured embedder's sentence
//! embeddings (up to `--embedding-limit` training reviews) as baseline `embedding_head`.

use std::process::ExitCode;

use anyhow::Result;
use recur_engine::review_intel::{EvalOptions, TrainOptions};

use crate::cli::EvalReviewsArgs;
use crate::context::{Context, print_json};
use crate::error::{require_file, usage};
use crate::models;

pub(crate) fn run(ctx: &Context, a: &EvalReviewsArgs) -> Result<ExitCode> {
    require_file(&a.dataset, "--dataset")?;
    let embedder = if a.embedding_head {
        let s = ctx.settings_or_defaults()?;
        let folder = models::embed_path(ctx, &s);
        if s.embed.endpoint.is_empty() && !folder.join("config.json").exists() {
            return Err(usage(format!(
                "--embedding-head needs the embedding model, not found at {}: run scripts/setup-models, or set embed.endpoint",
                folder.display()
            )));
        }
        Some(models::configured_embedder(ctx)?)
    } else {
        None
    };
    let opts = EvalOptions {
        seed: a.seed,
        aspects: !a.no_aspects,
        embedding_limit: a.embedding_limit,
        train: TrainOptions {
            seed: a.seed,
            ..TrainOptions::default()
        },
        ..EvalOptions::default()
    };
    let r =
        recur_engine::evaluate_reviews(&a.dataset, a.format.into(), &opts, embedder.as_deref())?;
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
    println!("{:<14} {:>9} {:>9}", "model", "accuracy", "macro-F1");
    println!("{:<14} {:>9.4} {:>9.4}", "recur", r.accuracy, r.macro_f1);
    for b in &r.baselines {
        println!("{:<14} {:>9.4} {:>9.4}", b.name, b.accuracy, b.macro_f1);
    }
    println!(
        "\ntraining {:.1} s (penalty {:e}{}), {:.0} reviews/s on one core",
        r.train_seconds,
        r.lambda,
        if r.balanced { ", classes weighted" } else { "" },
        r.reviews_per_second
    );
    if let Some(h) = &r.embedding_head {
        println!(
            "embedding head ({}, {} dimensions): {} of {} training reviews embedded in {:.1} s, fitted in {:.1} s (penalty {:e}{}); {} test reviews embedded and classified at {:.0} reviews/s",
            h.embedder,
            h.dimensions,
            h.train_reviews,
            h.train_reviews_available,
            h.embed_seconds,
            h.fit_seconds,
            h.lambda,
            if h.balanced { ", classes weighted" } else { "" },
            h.test_reviews,
            h.test_reviews as f64 / h.test_seconds.max(1e-9)
        );
    }
    if let Some(s) = r.aspects_seconds {
        println!(
            "aspects: {} reviews in {s:.1} s, {} aspects found",
            r.aspects_reviews, r.aspects_found
        );
    }
    Ok(ExitCode::SUCCESS)
}
