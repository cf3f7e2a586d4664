//! The main job: a shop (synthetic or Online Retail) into a fresh workspace, analysed, valued,
//! a behaviour model trained, a campaign loop simulated, reported.
//!
//! `mod.rs` runs the stages; `outcome.rs` holds what they produced (each optional stage's
//! result or typed error) and its JSON document; `campaign.rs` is the campaign loop and
//! `simulate.rs` the simulated customers it runs on.

mod campaign;
mod outcome;
mod simulate;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use recur_core::Table;
use recur_ingest::{ImportRequest, Mapping, Progress};
use recur_synth::SynthConfig;

pub use campaign::{CampaignDemo, CampaignRound, DraftedSample, GuardedRound, demo_campaign};
pub use outcome::{DemoOutcome, DemoRecommendations, DemoStage, StageError};

use crate::clv::{CustomerValue, WorkspaceValue, customer_value};
use crate::config::LlmSettings;
use crate::error::{Error, Result};
use crate::recs::{RecsOptions, WorkspaceRecommender, train_workspace};
use crate::report::{ReportSections, render_report};
use crate::workspace::Workspace;

const MARKER: &str = ".recur-demo";

/// Which shop the demo runs on.
#[derive(Debug, Clone)]
pub enum DemoSource {
    /// The embedded synthetic shop.
    Synthetic(SynthConfig),
    /// The UCI Online Retail export at this path.
    OnlineRetail(PathBuf),
}

/// Demo settings.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Workspace folder (created; reused when it holds an earlier demo).
    pub dir: PathBuf,
    /// Data source.
    pub source: DemoSource,
    /// The language model for campaign drafts (settings and model file), when one is there.
    pub llm: Option<(LlmSettings, PathBuf)>,
    /// Campaign messages drafted by the language model (the rest use the validated template).
    pub llm_drafts: usize,
    /// Where the language and behaviour models compute.
    pub device: recur_core::ComputeDevice,
}

/// Trains the behaviour model with a short budget and recommends to the five customers with
/// the most value at risk.
fn demo_recommendations(
    ws: &Workspace,
    value: Option<&WorkspaceValue>,
) -> Result<DemoRecommendations> {
    let opts = RecsOptions {
        epochs: 40,
        max_seconds: Some(45.0),
        device: ws.settings().device,
        ..RecsOptions::default()
    };
    let training = train_workspace(ws, &opts, None, &mut (), &AtomicBool::new(false))?;
    let rec = WorkspaceRecommender::open(ws)?;
    let mut at_risk = Vec::new();
    if let Some(v) = value {
        let mut order: Vec<&CustomerValue> = v.customers.iter().collect();
        order.sort_by(|a, b| {
            b.value_at_risk
                .total_cmp(&a.value_at_risk)
                .then_with(|| a.customer_id.cmp(&b.customer_id))
        });
        for c in order.into_iter().take(5) {
            if let Ok(r) = rec.recommend(&c.customer_id, 3, recur_model::Exclude::Nothing) {
                at_risk.push(r);
            }
        }
    }
    Ok(DemoRecommendations { training, at_risk })
}

/// Observer of the demo's stages.
pub trait DemoObserver {
    /// A stage begins.
    fn stage(&self, name: &str);
    /// Progress of the import running now.
    fn import_progress(&self) -> &dyn Progress;
}

/// Creates (or reuses) the demo's workspace in `dir`: [`Error::DemoDirTaken`] when `dir` is a
/// file or a folder with something else in it.
fn prepare_dir(dir: &Path) -> Result<Workspace> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::DemoDirTaken(dir.to_owned()));
    }
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map_err(|error| Error::Io {
                path: dir.to_owned(),
                action: "list",
                error,
            })?
            .next()
            .is_none();
        if !empty && !dir.join(MARKER).exists() {
            return Err(Error::DemoDirTaken(dir.to_owned()));
        }
    }
    let ws = Workspace::init(dir)?;
    let marker = dir.join(MARKER);
    std::fs::write(
        &marker,
        "created by `recur demo`; safe to delete the whole folder\n",
    )
    .map_err(|error| Error::Io {
        path: marker,
        action: "write",
        error,
    })?;
    Ok(ws)
}

/// Runs the demo pipeline. The stages after the analysis (customer value, behaviour model,
/// campaign loop) do not stop it: each one's error is kept in the [`DemoOutcome`].
pub fn run_demo(opts: &DemoOptions, observer: &dyn DemoObserver) -> Result<DemoOutcome> {
    let ws = prepare_dir(&opts.dir)?.with_device(opts.device);
    let mut imports = Vec::new();
    let mut ground_truth = None;
    let mut synthetic_shop = None;
    let title;
    match &opts.source {
        DemoSource::Synthetic(cfg) => {
            observer.stage("Generating the synthetic shop");
            let shop = recur_synth::generate(cfg);
            let files = shop.write(&opts.dir.join("shop-export"))?;
            ground_truth = Some(files.ground_truth.clone());
            for (table, path) in [
                (Table::Catalog, &files.catalog),
                (Table::Customers, &files.customers),
                (Table::Orders, &files.orders),
                (Table::Events, &files.events),
                (Table::Reviews, &files.reviews),
            ] {
                observer.stage(&format!("Importing {table}"));
                let req = ImportRequest {
                    table,
                    path: path.clone(),
                    format: None,
                    mapping: Mapping::default(),
                    mapping_label: "canonical column names".into(),
                };
                imports.push(ws.import(&req, observer.import_progress())?);
            }
            title = format!(
                "recur demo: synthetic shop (seed {}, {} customers)",
                cfg.seed, cfg.customers
            );
            synthetic_shop = Some(shop);
        }
        DemoSource::OnlineRetail(path) => {
            observer.stage("Importing Online Retail orders");
            let req = ImportRequest {
                table: Table::Orders,
                path: path.clone(),
                format: None,
                mapping: Mapping::preset("online-retail", Table::Orders)?,
                mapping_label: "preset online-retail".into(),
            };
            imports.push(ws.import(&req, observer.import_progress())?);
            title = "recur demo: UCI Online Retail".to_owned();
        }
    }
    observer.stage("Analysing");
    let report = ws.analyze()?;
    observer.stage("Valuing customers (BG/NBD + Gamma-Gamma)");
    let value = customer_value(&ws).map_err(|e| StageError::new(DemoStage::Value, &e));
    observer
        .stage("Behaviour model (transformer vs baselines, recommendations for customers at risk)");
    let recommendations = demo_recommendations(&ws, value.as_ref().ok())
        .map_err(|e| StageError::new(DemoStage::Recommendations, &e));
    let campaign = match (&synthetic_shop, &value) {
        (Some(shop), Ok(v)) => {
            observer.stage("Campaign loop (exploration, uplift models, targeted round)");
            let result = demo_campaign(
                &ws,
                shop,
                v,
                &opts.dir.join("campaign"),
                opts.llm.as_ref(),
                opts.llm_drafts,
            )
            .map_err(|e| StageError::new(DemoStage::Campaign, &e));
            Some(result)
        }
        _ => None,
    };
    observer.stage("Writing the HTML report");
    let html = opts.dir.join("report.html");
    let manifest = ws.manifest()?;
    let mut sections = ReportSections::from_stages(&value, &recommendations, campaign.as_ref());
    sections.reviews = Some(crate::report::ReviewSection::of_workspace(&ws));
    let page = render_report(&title, &report, &manifest.imports, &sections);
    std::fs::write(&html, page).map_err(|error| Error::Io {
        path: html.clone(),
        action: "write",
        error,
    })?;
    Ok(DemoOutcome {
        workspace: opts.dir.clone(),
        imports,
        report,
        html,
        ground_truth,
        value,
        campaign,
        recommendations,
    })
}
