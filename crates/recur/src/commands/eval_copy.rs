//! `recur eval copy --campaign ID [--sample N] [--model PATH] [--json]`: how well the language
//! model writes a campaign's copy (accepted first time, after a retry, template; violations by
//! kind; distinct-2; seconds per draft), per language and format.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::EvalCopyArgs;
use crate::context::{Context, print_json};
use crate::models;
use crate::output;
use crate::progress;

pub(crate) fn run(ctx: &Context, a: &EvalCopyArgs) -> Result<ExitCode> {
    let ws = ctx.open_workspace(&[])?;
    let sample = a.sample.or(a.model.as_ref().map(|_| 100));
    let mut generator = match sample {
        Some(_) => {
            let mut s = ws.settings().clone();
            if let Some(m) = &a.model {
                s.llm.model.clone_from(m);
                s.llm.endpoint.clear();
            }
            Some(models::configured_generator(ctx, &s)?)
        }
        None => None,
    };
    let bar = progress::count_bar(ctx.quiet_or(a.json), "drafting messages");
    let result = recur_engine::evaluate_campaign_copy(
        &ws,
        recur_engine::CopyRun {
            campaign: a.campaign.clone(),
            sample,
            seed: a.seed,
            generator: generator
                .as_mut()
                .map(|g| &mut **g as &mut dyn recur_engine::llm::Generate),
            shop: a.shop.clone(),
            currency: a.currency.clone(),
            languages: (!a.languages.is_empty()).then(|| {
                a.languages
                    .iter()
                    .map(|l| recur_engine::Language::of_locale(Some(l)))
                    .collect()
            }),
        },
        &mut |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
    );
    bar.finish_and_clear();
    let result = result?;
    if a.json {
        print_json(&result)?;
    } else {
        print!("{}", output::copy_text(&result));
    }
    Ok(ExitCode::SUCCESS)
}
