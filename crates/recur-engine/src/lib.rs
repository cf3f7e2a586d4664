//! recur's use cases: workspaces, imports, analytics, customer value, the behaviour model,
//! campaigns, reports and the demo pipeline. The command-line binary and any server call
//! only this crate.
//!
//! The main entry point is [`Workspace`]: [`Workspace::init`] / [`Workspace::open`], then
//! [`Workspace::import`] and [`Workspace::analyze`]; every other use case takes a `&Workspace`.
//! [`run_demo`] is the whole pipeline in one call.
//!
//! ```text
//!  lib.rs ── flat re-exports, prelude
//!  ├── workspace.rs     Workspace: recur.toml + data folder; import, session, analyze
//!  ├── config.rs        Settings (recur.toml, layered by the caller)
//!  ├── clv.rs           customer value: BG/NBD + Gamma-Gamma fit, scores, holdout check
//!  ├── recs.rs          behaviour model: train on a workspace, recommend to a customer
//!  ├── language.rs      open the language model / embedder (local file or endpoint)
//!  ├── copywriter.rs    prompts and JSON schema for drafting a message with the model
//!  ├── campaign/        campaigns on a workspace, one file per use case:
//!  │   ├── plan.rs          plan_workspace_campaign   (spec + ledger's past campaigns ─► plan)
//!  │   ├── generate.rs      generate_workspace_campaign (plan ─► validated messages, queued)
//!  │   ├── send.rs          send_campaign             (queue ─► SMTP / webhook, exactly once)
//!  │   ├── evaluate.rs      evaluate_workspace_campaign (orders in the window ─► lift)
//!  │   ├── redemptions.rs   import_workspace_redemptions
//!  │   └── store.rs, features.rs, writer.rs   ledger + typed not-found errors; shared helpers
//!  ├── demo/            run_demo: synthetic shop ─► import ─► analyze ─► value ─► model
//!  │   ├── outcome.rs       DemoOutcome (stage results, typed errors) and its JSON
//!  │   ├── campaign.rs      the demo's two-round campaign loop
//!  │   └── simulate.rs      simulated customers from the shop's ground truth
//!  ├── keys.rs          API keys: hashed, scoped, shown once
//!  ├── live/            live events: durable log, idempotency keys, compaction into tables
//!  ├── privacy/         erasure and retention across every store, with an audit line
//!  ├── query.rs         users' own read-only SQL (`recur sql`), personal columns hidden
//!  ├── serving.rs       ShopView: the in-memory snapshot a server answers from
//!  ├── reviews.rs       review intelligence: train the sentiment model, aspects, held back
//!  ├── review_summary/  a product's review summary (model or template), saved for the report
//!  ├── report/          the self-contained HTML report
//!  │   ├── sections.rs      ReportSections: value, model, campaign data (serialisable)
//!  │   └── html.rs, sections.js   their tables and charts
//!  └── error.rs         Error (user error or bug: Error::is_user_error), Result
//! ```
//!
//! ```text
//!  source files ──► recur-ingest ──► data/ (Parquet by month + manifest.json)
//!  (CSV, JSONL,       map, coerce,         │
//!   Parquet, gz)      quarantine,          ▼
//!                     account        recur-analytics (DataFusion SQL)
//!                                          │  repurchase, cohorts, gaps, RFM
//!                                          ▼
//!                     recur-clv (value) · recur-model (recommendations) · recur-campaign
//!                                          │
//!                                          ▼
//!                                    CLI tables / JSON / CSV / HTML report
//! ```
//!
//! Reference evaluations on public datasets (CDNOW, Hillstrom, Beauty, Ta-Feng) and
//! benchmarks are not use cases: they live in the `recur-bench` crate.
//!
//! ```
//! use recur_engine::prelude::*;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let ws = Workspace::init(dir.path()).unwrap();
//! assert_eq!(ws.settings().analytics.repurchase_days, 90);
//! assert!(ws.manifest().unwrap().imports.is_empty());
//! ```

mod assist;
mod campaign;
mod clv;
mod config;
mod copywriter;
mod demo;
mod error;
mod keys;
mod language;
mod live;
mod privacy;
mod query;
mod recs;
mod report;
mod review_summary;
mod reviews;
mod search;
mod serving;
mod summaries;
mod workspace;

pub use assist::{
    CATALOG_SOURCE, FaqEvaluation, FaqMiss, IntentEvaluation, JddcEvaluation, KNOWLEDGE_DIR,
    KnowledgeHit, KnowledgeImport, ShopAssistant, assist_options, evaluate_faq, evaluate_intents,
    evaluate_jddc, import_catalog_knowledge, import_knowledge, knowledge_dir, knowledge_sources,
    remove_knowledge, search_knowledge,
};
pub use campaign::{
    ApprovalRecord, ApprovalStatus, COPY_AUDIT_FILE, CampaignStore, ChannelConfig, CopyAudit,
    CopyEvaluation, CopyPath, CopyRun, CopyShares, FAIRNESS_FILE, GeneratedCampaign,
    HELD_BACK_FILE, LEDGER_FILE, MIN_PER_ARM, OutcomeEffect, PlannedCampaign, RETENTION_DAYS,
    RecordedCampaign, RecordedFairness, SendOutcome, SendRun, WorkspaceLift, approve_campaign,
    campaign_approval, campaign_copy_audit, campaign_fairness, distinct_2, evaluate_campaign_copy,
    evaluate_workspace_campaign, generate_workspace_campaign, import_workspace_redemptions,
    plan_workspace_campaign, send_campaign,
};
pub use clv::{
    CustomerValue, WorkspaceEvaluation, WorkspaceValue, customer_value, evaluate_workspace,
};
pub use config::{
    AnalyticsSettings, AssistSettings, CustomerSettings, DEFAULT_EMBED, DEFAULT_LLM,
    DeliverySettings, EmbedSettings, KEYS, LlmSettings, ReviewSettings, SETTINGS_FILE,
    ServeSettings, Settings,
};
pub use copywriter::{draft_prompt, free_text_schema, llm_writer};
pub use demo::{
    CampaignDemo, CampaignRound, DemoObserver, DemoOptions, DemoOutcome, DemoRecommendations,
    DemoSource, DemoStage, DraftedSample, GuardedRound, StageError, demo_campaign, run_demo,
};
pub use error::{Error, Result};
pub use keys::{ApiKeys, KEYS_FILE, KeyRecord, Scope};
pub use language::{open_embedder, open_generator, open_local, single_turn};
pub use live::{
    Appended, Compaction, EventLog, KEY_RETENTION_SECONDS, LIVE_DIR, LiveEvent, LiveKind,
    LoggedEvent, MAX_ID_BYTES, MAX_TEXT_BYTES,
};
pub use privacy::{
    Erasure, PRIVACY_AUDIT_FILE, Retention, ScrubbedFile, apply_retention, erase_customers,
    read_customer_ids,
};
pub use query::{QUERY_TABLES, query_workspace};
pub use recs::{
    CustomerRecommendations, MODEL_DIR, ModelSelection, RecommendedItem, RecsOptions, TrainOutcome,
    WorkspaceRecommender, train_workspace, transformer_settings, workspace_sequences,
};
pub use recur_analytics::{Cell, QueryResult};
pub use recur_assist::{
    Answer, AnswerMode, AnswerStyle, AssistOptions, Citation, Conversation, EscalationReason,
    KnowledgeKind, Lang, Role, redact,
};
/// Campaign errors (for callers that react to a campaign being sent by another run).
pub use recur_campaign::Error as CampaignError;
pub use recur_campaign::{
    CustomerMessage, FOUR_FIFTHS, Language, MIN_GROUP_SIZE, MessagesFingerprint, Outgoing,
    SendCounts, SendReport, SendStatus, SmtpSecurity,
};
/// Domain-type parse errors (segments, statuses...).
pub use recur_core::Error as CoreError;
/// The rule for every CSV cell recur writes (no formula a spreadsheet would run).
pub use recur_core::spreadsheet_safe;
/// Import and storage errors (for callers that react to a busy workspace).
pub use recur_ingest::Error as IngestError;
/// The language runtime (generation, embeddings, schemas, sampling).
pub use recur_llm as llm;
/// The behaviour model (transformer, baselines, evaluation).
pub use recur_model as model;
pub use recur_retrieval::Error as RetrievalError;
/// Review intelligence (sentiment, aspects, evaluation).
pub use recur_reviews as review_intel;
pub use report::{
    BehaviourSection, Bin, CampaignSection, HoldoutCheck, ModelRow, OfferCount,
    PAIN_POINT_PRODUCTS, PathCount, ReportSections, ReportSummary, ReviewSection, RoundSection,
    SampleMessage, Section, TOP_AT_RISK, TransformerRun, ValueSection, render_html, render_report,
};
pub use review_summary::{
    BULLET_CHARS, BulletPath, ProductSummary, RejectedBullet, ReviewSummarizer, ReviewSummary,
    SUMMARIES_DIR, SavedBullet, SavedSummary, SummaryBullet, SummaryOptions, load_summary,
    product_review_summary, save_summary, saved_summaries, summarize_reviews, summary_file,
    summary_prompt, summary_schema,
};
pub use reviews::{
    HeldBackProducts, MIN_NEUTRAL, REVIEWS_MODEL_DIR, ReviewTrainOutcome,
    analyze_workspace_reviews, evaluate_reviews, hold_back_rule, negative_reviewers,
    product_pain_points, train_workspace_reviews, workspace_held_back, workspace_pain_points,
    workspace_review_model, workspace_reviews,
};
pub use search::{
    ProductIndexStatus, ProductResult, ProductSearch, ProductSearchOptions, SEARCH_DIR,
    SearchEvaluation, SearchIntent, SearchMethodScore, evaluate_search, prepare_product_index,
    search_dir, search_products,
};
pub use serving::{
    CampaignSummary, Contact, CustomerView, LiveActivity, PurchaseLine, ShopView, ViewProblem,
    customer_messages,
};
pub use summaries::{
    LIKELY_GONE_P_ALIVE, LikelyGone, MIN_REPEAT_GAPS, WIN_BACK_SEGMENTS, WinBackAudience,
    likely_gone, mean_cohort_retention, repeat_categories, sort_by_clv, win_back_audience,
};
pub use workspace::Workspace;

/// Chart.js 4.6.1 (UMD build), vendored: the report and the dashboard draw with it offline.
pub const CHART_JS: &str = include_str!("../assets/chart-4.6.1.umd.min.js");
/// The Chart.js matrix chart 2.1.1 (cohort heatmaps), vendored.
pub const CHART_MATRIX_JS: &str = include_str!("../assets/chartjs-chart-matrix-2.1.1.min.js");

/// Re-exports of the types callers of the engine need.
pub mod prelude {
    pub use crate::{
        DemoObserver, DemoOptions, DemoSource, Error, Result, Settings, Workspace, run_demo,
    };
    pub use recur_analytics::{AnalysisOptions, Profile, Report};
    pub use recur_campaign::{
        ArmReport, Effect, HillstromReport, Lift, LiftReport, TargetingComparison,
    };
    pub use recur_clv::{FitReport, HoldoutEvaluation, TrackingPoint};
    pub use recur_core::{
        ComputeDevice, CustomerId, Day, EventType, Group, Interval, MessagePath, MessageTally,
        OfferBasis, OrderStatus, Segment, Table,
    };
    pub use recur_ingest::{
        Accounting, Format, ImportRecord, ImportRemoval, ImportReport, ImportRequest, Manifest,
        Mapping, NoProgress, PRESETS, Progress, RemovedImport,
    };
    pub use recur_synth::SynthConfig;
}
