//! `recur reviews train|analyze`: the review sentiment model trained on the workspace's stars
//! (or a labelled file), then aspects, pain points and held-back products per product and
//! category.

use std::process::ExitCode;

use anyhow::Result;
use comfy_table::{Table as Grid, presets::UTF8_FULL_CONDENSED};
use recur_engine::review_intel::{
    Analysis, AnalyzeOptions, DatasetFormat, ProductReport, TrainOptions,
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
    if let Some(m) = args.margin.filter(|m| !(0.0..=1.0).contains(m)) {
        return Err(usage(format!(
            "--margin `{m}` is not a share; give a number between 0 and 1 (0.2: 20 points above the category)"
        )));
    }
    if args.min_reviews == Some(0) {
        return Err(usage(
            "--min-reviews `0` would judge products without reviews; give 1 or more (default 10)",
        ));
    }
    let ws = ctx.open_workspace(&[
        (
            "reviews.min_reviews",
            args.min_reviews.map(|n| n.to_string()),
        ),
        (
            "reviews.hold_back_margin",
            args.margin.map(|m| m.to_string()),
        ),
    ])?;
    let opts = AnalyzeOptions {
        aspects_per_group: args.aspects,
        hold_back: recur_engine::hold_back_rule(&ws),
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
    } else if let Some(p) = analysis.products.first().filter(|_| args.product.is_some()) {
        print!("{}", pain_points_text(p));
    } else {
        print!("{}", analysis_text(&analysis, args.top));
    }
    Ok(ExitCode::SUCCESS)
}

/// One product's pain points: its negative share, whether it is held back and why, then each
/// aspect (most negative first) with its negative share and up to three quotes with their
/// review ids.
pub(crate) fn pain_points_text(p: &ProductReport) -> String {
    let mut out = format!(
        "Product {}{}: {} reviews, {} negative{}.\n",
        p.product_id,
        p.category
            .as_deref()
            .map_or(String::new(), |c| format!(" ({c})")),
        p.reviews,
        pct(p.negative_share),
        p.mean_stars
            .map_or(String::new(), |s| format!(", {s:.1} stars on average"))
    );
    match &p.held_back_reason {
        Some(why) => out.push_str(&format!(
            "Held back from campaign messages and recommendations: {why}.\n"
        )),
        None => out.push_str("Not held back.\n"),
    }
    if p.aspects.is_empty() {
        out.push_str("No aspect is mentioned often enough to report.\n");
        return out;
    }
    let mut aspects: Vec<_> = p.aspects.iter().collect();
    aspects.sort_by(|x, y| {
        y.negative_share
            .total_cmp(&x.negative_share)
            .then_with(|| y.mentions.cmp(&x.mentions))
    });
    out.push_str("Pain points (aspects, most negative first):\n");
    for a in aspects {
        out.push_str(&format!(
            "  {}: {} mentions, {} negative\n",
            a.aspect,
            a.mentions,
            pct(a.negative_share)
        ));
        for q in a.examples.iter().take(3) {
            out.push_str(&format!(
                "    [{}] ({}) \"{}\"\n",
                q.review, q.polarity, q.text
            ));
        }
    }
    out
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
