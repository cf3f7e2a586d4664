//! `recur reviews train|analyze`: the review sentiment model trained on the workspace's stars
//! (or a labelled file), then aspects, pain points and held-back products per product and
//! category.

use std::process::ExitCode;

use anyhow::Result;
use comfy_table::{Table as Grid, presets::UTF8_FULL_CONDENSED};
use recur_engine::review_intel::{
    Analysis, AnalyzeOptions, DatasetFormat, HoldBackRule, TrainOptions,
};

use crate::cli::{ReviewFormatArg, ReviewsAnalyzeArgs, ReviewsCommand, ReviewsTrainArgs};
use crate::context::{Context, print_json};
use crate::error::{require_file, usage};

pub(crate) fn run(ctx: &Context, cmd: &ReviewsCommand) -> Result<ExitCode> {
    match cmd {
        ReviewsCommand::Train(args) => train(ctx, args),
        ReviewsCommand::Analyze(args) => analyze(ctx, args),
    }
}

impl From<ReviewFormatArg> for DatasetFormat {
    fn from(f: ReviewFormatArg) -> DatasetFormat {
        match f {
            ReviewFormatArg::OnlineShopping => DatasetFormat::OnlineShopping,
            ReviewFormatArg::AmazonReviews => DatasetFormat::AmazonReviews,
        }
    }
}

fn train(ctx: &Context, args: &ReviewsTrainArgs) -> Result<ExitCode> {
    let ws = ctx.open_workspace(&[])?;
    let labelled = match (&args.labelled, args.format) {
        (Some(path), Some(format)) => {
            require_file(path, "--labelled")?;
            Some((path.as_path(), format.into()))
        }
        (Some(_), None) => {
            return Err(usage(
                "--labelled needs --format online-shopping or --format amazon-reviews",
            ));
        }
        (None, _) => None,
    };
    let opts = TrainOptions {
        seed: args.seed,
        ..TrainOptions::default()
    };
    let outcome = recur_engine::train_workspace_reviews(&ws, labelled, &opts)?;
    if args.json {
        print_json(&outcome)?;
    } else {
        let counts: Vec<String> = outcome
            .class_counts
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        println!(
            "Trained on {} reviews from {} ({}) in {:.1} s: held-out accuracy {:.3}, macro-F1 {:.3}.\nSaved to {}; `recur reviews analyze` uses it.",
            outcome.examples,
            outcome.source,
            counts.join(", "),
            outcome.train_seconds,
            outcome.validation_accuracy,
            outcome.validation_macro_f1,
            outcome.model_dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn analyze(ctx: &Context, args: &ReviewsAnalyzeArgs) -> Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.margin) {
        return Err(usage(format!(
            "--margin `{}` is not a share; give a number between 0 and 1 (0.2: 20 points above the category)",
            args.margin
        )));
    }
    let ws = ctx.open_workspace(&[])?;
    let opts = AnalyzeOptions {
        aspects_per_group: args.aspects,
        hold_back: HoldBackRule {
            min_reviews: args.min_reviews,
            margin: args.margin,
        },
        ..AnalyzeOptions::default()
    };
    let mut analysis = recur_engine::analyze_workspace_reviews(&ws, &opts)?;
    if let Some(p) = &args.product {
        analysis.products.retain(|r| &r.product_id == p);
        if analysis.products.is_empty() {
            return Err(usage(format!(
                "no reviews of product `{p}`; check the id (`recur sql \"SELECT DISTINCT product_id FROM reviews\"`)"
            )));
        }
    }
    if args.json {
        print_json(&analysis)?;
    } else {
        print!("{}", analysis_text(&analysis, args.top));
    }
    Ok(ExitCode::SUCCESS)
}

fn grid(header: &[&str]) -> Grid {
    let mut g = Grid::new();
    g.load_preset(UTF8_FULL_CONDENSED);
    g.set_header(header.iter().copied());
    g
}

fn pct(x: f64) -> String {
    format!("{:.0}%", 100.0 * x)
}

fn aspects_line(aspects: &[recur_engine::review_intel::AspectReport], n: usize) -> String {
    aspects
        .iter()
        .take(n)
        .map(|a| {
            format!(
                "{} ({}, {} neg.)",
                a.aspect,
                a.mentions,
                pct(a.negative_share)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The analysis as tables: products (the `top` most reviewed), held-back products with the
/// reason, categories, and the worst aspect of each held-back product with a quote.
fn analysis_text(a: &Analysis, top: usize) -> String {
    let mut out = format!(
        "{} reviews, {} negative (polarity from {}); {} aspects found.\n\n",
        a.reviews,
        pct(a.negative_share),
        if a.model_used {
            "the sentiment model"
        } else {
            "stars"
        },
        a.aspects_found
    );
    let mut g = grid(&[
        "product",
        "category",
        "reviews",
        "negative",
        "stars",
        "aspects (mentions, negative)",
        "held back",
    ]);
    for p in a.products.iter().take(top) {
        g.add_row(vec![
            p.product_id.clone(),
            p.category.clone().unwrap_or_default(),
            p.reviews.to_string(),
            pct(p.negative_share),
            p.mean_stars.map(|s| format!("{s:.1}")).unwrap_or_default(),
            aspects_line(&p.aspects, 4),
            if p.held_back {
                "yes".into()
            } else {
                String::new()
            },
        ]);
    }
    out.push_str(&format!(
        "Products ({} of {}, most reviewed first)\n{g}\n",
        top.min(a.products.len()),
        a.products.len()
    ));
    if a.held_back.is_empty() {
        out.push_str("\nNo product is held back.\n");
    } else {
        out.push_str("\nHeld back\n");
        for h in &a.held_back {
            out.push_str(&format!("  {}: {}\n", h.product_id, h.reason));
            let worst = a
                .products
                .iter()
                .find(|p| p.product_id == h.product_id)
                .and_then(|p| {
                    p.aspects
                        .iter()
                        .max_by(|x, y| x.negative_share.total_cmp(&y.negative_share))
                });
            if let Some(asp) = worst
                && let Some(q) = asp.examples.first()
            {
                out.push_str(&format!(
                    "    worst aspect `{}` ({} negative): \"{}\" [{}]\n",
                    asp.aspect,
                    pct(asp.negative_share),
                    q.text,
                    q.review
                ));
            }
        }
    }
    let mut g = grid(&[
        "category",
        "products",
        "reviews",
        "negative",
        "aspects (mentions, negative)",
    ]);
    for c in &a.categories {
        g.add_row(vec![
            c.category.clone(),
            c.products.to_string(),
            c.reviews.to_string(),
            pct(c.negative_share),
            aspects_line(&c.aspects, 5),
        ]);
    }
    out.push_str(&format!("\nCategories\n{g}\n"));
    out
}
