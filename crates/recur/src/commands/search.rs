//! `recur search QUERY [--customer ID]`: products for a free-text query, the query's intent,
//! and for a customer a re-ranking by the behaviour model (`recur_engine::search_products`).

use std::process::ExitCode;

use anyhow::Result;
use recur_engine::ProductSearchOptions;

use crate::cli::SearchArgs;
use crate::context::{Context, print_json};
use crate::error::usage;
use crate::models;

pub(crate) fn run(ctx: &Context, args: &SearchArgs) -> Result<ExitCode> {
    if args.query.trim().is_empty() {
        return Err(usage(
            "the query is empty; give the words a shopper would type, e.g. recur search \"decaf coffee\"",
        ));
    }
    if args.k == 0 {
        return Err(usage("-k 0 lists nothing; give at least 1"));
    }
    let ws = ctx.open_workspace(&[])?;
    let s = ctx.settings_or_defaults()?;
    let embedder = if args.no_embed {
        None
    } else {
        models::optional_embedder(ctx, &s)?
    };
    let opts = ProductSearchOptions {
        k: args.k,
        customer: args.customer.clone(),
    };
    let out = recur_engine::search_products(&ws, &args.query, &opts, embedder.as_deref())?;
    if args.json {
        print_json(&out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let i = &out.intent;
    let price = match (i.price_min, i.price_max) {
        (Some(a), Some(b)) => format!("{a}-{b}"),
        (Some(a), None) => format!("from {a}"),
        (None, Some(b)) => format!("up to {b}"),
        (None, None) => "any".to_owned(),
    };
    println!(
        "intent: category {}, price {price}, terms [{}]",
        i.category.as_deref().unwrap_or("any"),
        i.terms.join(", ")
    );
    println!(
        "method: {}{} over {} products ({}{})",
        out.method,
        out.personalised
            .as_deref()
            .map(|p| format!(", re-ranked by the {p}"))
            .unwrap_or_default(),
        out.index.products,
        out.index.source,
        if out.index.rebuilt {
            ", index rebuilt"
        } else {
            ""
        }
    );
    for n in &out.notes {
        println!("note: {n}");
    }
    if out.results.is_empty() {
        println!("\nno products match; try fewer or other words");
    } else {
        println!();
        for (n, r) in out.results.iter().enumerate() {
            let price = r.price.map(|p| format!("  {p:.2}")).unwrap_or_default();
            println!(
                "{:>2}. {}  {}{price}  (score {:.4})",
                n + 1,
                r.product_id,
                r.title,
                r.score
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
