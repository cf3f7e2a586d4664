//! `recur eval search`: product search on the workspace's own searches. For each search of a
//! known customer followed by a purchase within 14 days, Recall@10 and NDCG@10 of the products
//! bought, for bm25, embeddings, hybrid and hybrid_personalised (personal signal from the
//! purchases before the search only), plus hybrid_model when a behaviour model is trained.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::EvalSearchArgs;
use crate::context::{Context, print_json};
use crate::models;

pub(crate) fn run(ctx: &Context, args: &EvalSearchArgs) -> Result<ExitCode> {
    let ws = ctx.open_workspace(&[])?;
    let s = ctx.settings_or_defaults()?;
    let embedder = if args.no_embed {
        None
    } else {
        models::optional_embedder(ctx, &s)?
    };
    let r = recur_engine::evaluate_search(&ws, embedder.as_deref())?;
    if args.json {
        print_json(&r)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} searches followed by a purchase within {} days (of {} searches), {} products; embedder: {}",
        r.searches,
        r.window_days,
        r.searches_total,
        r.products,
        if r.embedder.is_empty() {
            "none"
        } else {
            &r.embedder
        }
    );
    println!("{:<22} {:>10} {:>9}", "method", "Recall@10", "NDCG@10");
    for (name, m) in &r.methods {
        println!("{name:<22} {:>10.4} {:>9.4}", m.recall_at_10, m.ndcg_at_10);
    }
    println!("\nhybrid_personalised: {}", r.personal_signal);
    if let Some(m) = &r.model {
        println!(
            "hybrid_model: the behaviour model ({m}) on the history before each search; its weights saw the whole period, so it is optimistic"
        );
    }
    for s in &r.skipped {
        println!("not measured: {s}");
    }
    println!("({:.1} s)", r.seconds);
    Ok(ExitCode::SUCCESS)
}
