//! recur's use cases: workspaces, imports, analytics, reports and the demo pipeline.
//!
//! The main entry point is [`Workspace`]; [`run_demo`] is the whole pipeline in one call.
//!
//! ```text
//!  source files ──► recur-ingest ──► data/ (Parquet by month + manifest.json)
//!  (CSV, JSONL,       map, coerce,         │
//!   Parquet, gz)      quarantine,          ▼
//!                     account        recur-analytics (DataFusion SQL)
//!                                          │  repurchase, cohorts, gaps, RFM
//!                                          ▼
//!                                    CLI tables / JSON / CSV / HTML report
//! ```
//!
//! ```
//! use recur_engine::prelude::*;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let ws = Workspace::init(dir.path()).unwrap();
//! assert_eq!(ws.settings().analytics.repurchase_days, 90);
//! assert!(ws.manifest().unwrap().imports.is_empty());
//! ```

mod campaign;
mod cdnow;
mod clv;
mod config;
mod copywriter;
mod demo;
mod error;
mod language;
mod recs;
mod report;
mod shop_campaign;
mod summaries;
mod workspace;

pub use campaign::{CampaignDemo, CampaignRound, demo_campaign, evaluate_hillstrom};
pub use cdnow::{
    CalibrationFrequency, CdnowBench, CdnowEvaluation, CdnowHoldout, FitTiming, ModelCheck,
    SummaryCheck, TrackingWeek, bench_cdnow_master, evaluate_cdnow,
};
pub use clv::{
    CustomerValue, WorkspaceEvaluation, WorkspaceValue, customer_value, evaluate_workspace,
};
pub use config::{
    AnalyticsSettings, DEFAULT_EMBED, DEFAULT_LLM, EmbedSettings, KEYS, LlmSettings, SETTINGS_FILE,
    Settings,
};
pub use copywriter::{draft_prompt, draft_schema, llm_writer};
pub use demo::{DemoObserver, DemoOptions, DemoOutcome, DemoRecommendations, DemoSource, run_demo};
pub use error::{Error, Result};
pub use language::{LlmBench, bench_llm, open_embedder, open_generator, open_local, single_turn};
pub use recs::{
    CustomerRecommendations, MODEL_DIR, ModelSelection, RecommendLatency, RecommendedItem,
    RecsEvaluation, RecsFormat, RecsOptions, TrainOutcome, WorkspaceRecommender, bench_recommend,
    evaluate_recs, train_workspace, workspace_sequences,
};
pub use recur_campaign::{Outgoing, SmtpSecurity};
/// The language runtime (generation, embeddings, schemas, sampling).
pub use recur_llm as llm;
/// The behaviour model (transformer, baselines, evaluation).
pub use recur_model as model;
pub use report::render_html;
pub use shop_campaign::{
    ChannelConfig, GeneratedCampaign, LEDGER_FILE, MIN_PER_ARM, PlannedCampaign, SendOutcome,
    WorkspaceLift, evaluate_workspace_campaign, generate_workspace_campaign,
    import_workspace_redemptions, plan_workspace_campaign, send_campaign,
};
pub use summaries::{
    LIKELY_GONE_P_ALIVE, LikelyGone, MIN_REPEAT_GAPS, WIN_BACK_SEGMENTS, WinBackAudience,
    likely_gone, mean_cohort_retention, repeat_categories, sort_by_clv, win_back_audience,
};
pub use workspace::Workspace;

/// Re-exports of the types callers of the engine need.
pub mod prelude {
    pub use crate::{
        DemoObserver, DemoOptions, DemoSource, Error, Result, Settings, Workspace, run_demo,
    };
    pub use recur_analytics::{AnalysisOptions, Profile, Report, SEGMENTS};
    pub use recur_campaign::{
        ArmReport, Effect, HillstromReport, Lift, LiftReport, TargetingComparison,
    };
    pub use recur_clv::{FitReport, HoldoutEvaluation, TrackingPoint};
    pub use recur_core::{EventType, OrderStatus, Table};
    pub use recur_ingest::{
        Accounting, Format, ImportReport, ImportRequest, Mapping, NoProgress, PRESETS, Progress,
    };
    pub use recur_synth::SynthConfig;
}
