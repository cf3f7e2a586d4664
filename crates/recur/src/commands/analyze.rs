//! `recur analyze`: repurchase rate, cohort retention, inter-purchase times and RFM segments
//! (as tables, JSON or CSV files), one customer's profile, or one product's review pain
//! points (`--product`: judged by the review model when trained, else by stars) and, with
//! `--summary`, a summary of its reviews whose every bullet cites the reviews it rests on,
//! saved in the workspace for the HTML report and the server; `--summaries N` writes and saves
//! those of the N most-reviewed products (resumable: an up-to-date one is skipped).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use recur_engine::prelude::{Error, Report, Workspace};

use crate::cli::{AnalyzeArgs, OutputFormat};
use crate::context::{Context, print_json};
use crate::error::{require_creatable_dir, usage};
use crate::models;
use crate::output;
use crate::progress;

pub(crate) fn run(ctx: &Context, args: &AnalyzeArgs) -> Result<ExitCode> {
    let ws = ctx.open_workspace(&[(
        "analytics.repurchase_days",
        args.repurchase_days.map(|d| d.to_string()),
    )])?;
    let format = if args.json {
        OutputFormat::Json
    } else {
        args.format
    };
    if let Some(n) = args.summaries {
        return summaries(ctx, &ws, args, n, format);
    }
    if let Some(id) = &args.product {
        let no_reviews = || {
            usage(format!(
                "no reviews of product `{id}`; check the id (`recur sql \"SELECT DISTINCT product_id FROM reviews\"`) or import reviews with `recur import reviews --file FILE`"
            ))
        };
        if args.summary {
            let mut generator = summary_writer(ctx, &ws, args.no_llm)?;
            let summarizer = recur_engine::ReviewSummarizer::open(&ws)?;
            let Some(s) = summarizer.summarize(id, as_generate(&mut generator), &opts(args)) else {
                return Err(no_reviews());
            };
            let saved = recur_engine::SavedSummary::new(&s.summary, s.pain_points.reviews);
            let file = recur_engine::save_summary(&ws, &saved)?;
            match format {
                OutputFormat::Json => {
                    let mut doc = serde_json::to_value(&s)?;
                    doc["saved_to"] = serde_json::json!(file);
                    print_json(&doc)?;
                }
                OutputFormat::Table | OutputFormat::Csv => {
                    print!("{}", super::reviews::pain_points_text(&s.pain_points));
                    print!("{}", output::review_summary_text(&s.summary));
                    println!(
                        "  Saved to {} (the HTML report and `recur serve` show it).",
                        file.display()
                    );
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        let Some(p) = recur_engine::product_pain_points(&ws, id)? else {
            return Err(no_reviews());
        };
        match format {
            OutputFormat::Json => print_json(&p)?,
            OutputFormat::Table | OutputFormat::Csv => {
                print!("{}", super::reviews::pain_points_text(&p));
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(id) = &args.customer {
        let profile = ws.session()?.profile(id).map_err(Error::from)?;
        let value = recur_engine::customer_value(&ws)
            .ok()
            .and_then(|v| v.customers.into_iter().find(|c| c.customer_id == *id));
        match format {
            OutputFormat::Json => {
                print_json(&serde_json::json!({"profile": profile, "value": value}))?;
            }
            OutputFormat::Table | OutputFormat::Csv => {
                print!("{}", output::profile_text(&profile));
                if let Some(v) = value {
                    print!("{}", output::value_lines(&v));
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    // A folder that cannot be created is reported before the analysis runs.
    let csv_out = match format {
        OutputFormat::Csv => {
            let out = args
                .out
                .clone()
                .unwrap_or_else(|| ws.root().join("analytics"));
            require_creatable_dir(&out, "--out")?;
            Some(out)
        }
        OutputFormat::Json | OutputFormat::Table => None,
    };
    let report = ws.analyze()?;
    if let Some(out) = csv_out {
        for f in write_csv(&report, &out)? {
            println!("wrote {}", f.display());
        }
    } else if format == OutputFormat::Json {
        print_json(&report)?;
    } else {
        print!("{}", output::report_text(&report));
    }
    Ok(ExitCode::SUCCESS)
}

/// The summaries' writer: none with --no-llm or when no model is set up (a note says so),
/// else the configured model (llm.* settings).
fn summary_writer(
    ctx: &Context,
    ws: &Workspace,
    no_llm: bool,
) -> Result<Option<Box<dyn recur_engine::llm::Generate>>> {
    let settings = ws.settings();
    let path = models::llm_path(ctx, settings);
    if no_llm {
        Ok(None)
    } else if settings.llm.endpoint.is_empty() && !path.exists() {
        eprintln!(
            "note: no language model at {} (run scripts/setup-models); the summaries are the template's",
            path.display()
        );
        Ok(None)
    } else {
        Ok(Some(models::configured_generator(ctx, settings)?))
    }
}

fn as_generate(
    g: &mut Option<Box<dyn recur_engine::llm::Generate>>,
) -> Option<&mut dyn recur_engine::llm::Generate> {
    g.as_deref_mut()
        .map(|g| g as &mut dyn recur_engine::llm::Generate)
}

fn opts(args: &AnalyzeArgs) -> recur_engine::SummaryOptions {
    recur_engine::SummaryOptions {
        seed: args.seed,
        ..recur_engine::SummaryOptions::default()
    }
}

/// `--summaries N`: writes and saves the summaries of the N most-reviewed products, skipping
/// those whose saved summary rests on their present review count.
fn summaries(
    ctx: &Context,
    ws: &Workspace,
    args: &AnalyzeArgs,
    n: usize,
    format: OutputFormat,
) -> Result<ExitCode> {
    if n == 0 {
        return Err(usage(
            "`--summaries 0` summarises nothing; give the number of most-reviewed products to summarise, such as `--summaries 20`",
        ));
    }
    let summarizer = recur_engine::ReviewSummarizer::open(ws)?;
    let top: Vec<(String, usize)> = summarizer.most_reviewed().into_iter().take(n).collect();
    if top.is_empty() {
        return Err(usage(
            "no reviews in this workspace; import them with `recur import reviews --file FILE`",
        ));
    }
    let mut generator = summary_writer(ctx, ws, args.no_llm)?;
    let json = format == OutputFormat::Json;
    let bar = progress::count_bar(ctx.quiet_or(json), "summarising");
    bar.set_length(top.len() as u64);
    let mut run = output::SummaryRun {
        dir: ws.root().join(recur_engine::SUMMARIES_DIR),
        writer: generator.as_ref().map(|g| g.describe()),
        saved: 0,
        skipped: 0,
        products: Vec::with_capacity(top.len()),
    };
    for (product, reviews) in top {
        bar.set_message(product.clone());
        let file = recur_engine::summary_file(ws, &product);
        let item = match recur_engine::load_summary(ws, &product)? {
            // Up to date, unless it is the template's and a model is there to write it now.
            Some(old)
                if !old.is_stale(reviews)
                    && (old.path != recur_engine::BulletPath::Template || generator.is_none()) =>
            {
                run.skipped += 1;
                output::SummaryRunItem {
                    product_id: product,
                    reviews,
                    status: "skipped",
                    path: old.path,
                    file,
                }
            }
            _ => {
                let Some(s) =
                    summarizer.summarize(&product, as_generate(&mut generator), &opts(args))
                else {
                    bar.inc(1);
                    continue;
                };
                let saved = recur_engine::SavedSummary::new(&s.summary, reviews);
                let file = recur_engine::save_summary(ws, &saved)?;
                run.saved += 1;
                output::SummaryRunItem {
                    product_id: product,
                    reviews,
                    status: "saved",
                    path: saved.path,
                    file,
                }
            }
        };
        run.products.push(item);
        bar.inc(1);
    }
    bar.finish_and_clear();
    if json {
        print_json(&run)?;
    } else {
        print!("{}", output::summary_run_text(&run));
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the report's tables into `out`, one CSV file each; returns the files.
fn write_csv(report: &Report, out: &Path) -> Result<Vec<PathBuf>> {
    let failed = |path: &Path, e: &dyn std::fmt::Display| {
        usage(format!(
            "could not write `{}`: {e}; choose a folder you can write to with --out",
            path.display()
        ))
    };
    std::fs::create_dir_all(out).map_err(|e| failed(out, &e))?;
    let mut files = Vec::new();
    for table in output::report_tables(report) {
        let path = out.join(table.name);
        let mut w = csv::Writer::from_path(&path).map_err(|e| failed(&path, &e))?;
        for row in &table.rows {
            w.write_record(
                row.iter()
                    .map(|c| recur_engine::spreadsheet_safe(c).into_owned()),
            )
            .map_err(|e| failed(&path, &e))?;
        }
        w.flush().map_err(|e| failed(&path, &e))?;
        files.push(path);
    }
    Ok(files)
}
