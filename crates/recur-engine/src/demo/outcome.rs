//! What the demo produced, each optional stage as a result or a typed error, and the JSON
//! document `recur demo --json` prints.

use std::path::PathBuf;

use recur_analytics::Report;
use recur_ingest::ImportReport;
use serde::Serialize;
use serde_json::{Value, json};

use super::campaign::CampaignDemo;
use crate::clv::WorkspaceValue;
use crate::error::Error;
use crate::recs::{CustomerRecommendations, TrainOutcome};

/// The demo's stages that may fail without stopping it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DemoStage {
    /// Customer value (BG/NBD + Gamma-Gamma).
    Value,
    /// The behaviour model and its recommendations.
    Recommendations,
    /// The campaign loop.
    Campaign,
}

/// Why a demo stage could not run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageError {
    /// The stage.
    pub stage: DemoStage,
    /// The error's message (with what to do, when the user can fix it).
    pub message: String,
    /// Whether the error is the user's to fix rather than a bug (see
    /// [`Error::is_user_error`]).
    pub user_error: bool,
}

impl StageError {
    /// The failure of `stage` with `error`.
    pub fn new(stage: DemoStage, error: &Error) -> Self {
        StageError {
            stage,
            message: error.to_string(),
            user_error: error.is_user_error(),
        }
    }
}

impl std::fmt::Display for StageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StageError {}

/// The demo's behaviour-model stage.
#[derive(Debug, Clone, Serialize)]
pub struct DemoRecommendations {
    /// Training and the comparison with the baselines.
    pub training: TrainOutcome,
    /// Recommendations for the customers with the most value at risk.
    pub at_risk: Vec<CustomerRecommendations>,
}

/// What the demo produced.
#[derive(Debug, Clone)]
pub struct DemoOutcome {
    /// The workspace.
    pub workspace: PathBuf,
    /// Imports run (already imported files report so).
    pub imports: Vec<ImportReport>,
    /// Analytics.
    pub report: Report,
    /// The HTML report.
    pub html: PathBuf,
    /// Ground truth of the synthetic shop.
    pub ground_truth: Option<PathBuf>,
    /// Customer value (BG/NBD + Gamma-Gamma), or why it could not be fitted.
    pub value: Result<WorkspaceValue, StageError>,
    /// The campaign loop (synthetic shop only: it simulates outcomes from the ground truth),
    /// or why it could not run.
    pub campaign: Option<Result<CampaignDemo, StageError>>,
    /// The behaviour model and what it recommends to the customers most at risk, or why it
    /// could not run.
    pub recommendations: Result<DemoRecommendations, StageError>,
}

/// A stage's JSON: its result, or `{"error": message}`.
fn stage_json<T: Serialize>(stage: &Result<T, StageError>) -> Value {
    match stage {
        Ok(v) => serde_json::to_value(v).unwrap_or_default(),
        Err(e) => json!({ "error": e.message }),
    }
}

impl DemoOutcome {
    /// The document `recur demo --json` prints: `workspace`, `report_html`, `ground_truth`,
    /// `imports`, `analytics`, `customer_value` (`bgnbd` and `gamma_gamma` fits),
    /// `recommendations` and `campaign` (null without a synthetic shop); a stage that failed is
    /// `{"error": message}`. Keys are sorted.
    pub fn to_json(&self) -> Value {
        let value = self.value.as_ref().map(|v| {
            json!({
                "bgnbd": v.bgnbd,
                "gamma_gamma": v.gamma_gamma,
            })
        });
        json!({
            "workspace": self.workspace,
            "report_html": self.html,
            "ground_truth": self.ground_truth,
            "imports": self.imports,
            "analytics": self.report,
            "customer_value": stage_json(&value.map_err(Clone::clone)),
            "recommendations": stage_json(&self.recommendations),
            "campaign": self.campaign.as_ref().map(stage_json),
        })
    }
}

impl Serialize for DemoOutcome {
    /// Serialises [`DemoOutcome::to_json`].
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::Workspace;
    use recur_core::Table;
    use recur_ingest::{ImportRequest, Mapping, NoProgress};

    #[test]
    fn demo_json_has_every_key_and_keeps_each_stage_error() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let ws = Workspace::init(dir.path())?;
        let orders = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/tiny-shop/orders.csv");
        let import = ws.import(
            &ImportRequest {
                table: Table::Orders,
                path: orders,
                format: None,
                mapping: Mapping::default(),
                mapping_label: "canonical column names".into(),
            },
            &NoProgress,
        )?;
        let failed = |stage| StageError {
            stage,
            message: format!("{stage:?} failed"),
            user_error: true,
        };
        let mut outcome = DemoOutcome {
            workspace: dir.path().to_owned(),
            imports: vec![import],
            report: ws.analyze()?,
            html: dir.path().join("report.html"),
            ground_truth: None,
            value: Err(failed(DemoStage::Value)),
            campaign: None,
            recommendations: Err(failed(DemoStage::Recommendations)),
        };
        let doc = outcome.to_json();
        let keys: Vec<&str> = doc
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "analytics",
                "campaign",
                "customer_value",
                "ground_truth",
                "imports",
                "recommendations",
                "report_html",
                "workspace"
            ]
        );
        // The value stage's error is kept, not dropped.
        assert_eq!(doc["customer_value"], json!({"error": "Value failed"}));
        assert_eq!(
            doc["recommendations"],
            json!({"error": "Recommendations failed"})
        );
        assert_eq!(doc["campaign"], Value::Null);
        assert!(doc["analytics"]["repurchase_rate"].is_object());
        assert_eq!(doc["imports"][0]["table"], "orders");
        outcome.campaign = Some(Err(failed(DemoStage::Campaign)));
        assert_eq!(
            outcome.to_json()["campaign"],
            json!({"error": "Campaign failed"})
        );
        // Serialising the outcome is the same document.
        assert_eq!(serde_json::to_value(&outcome)?, outcome.to_json());
        // A stage error on its own says which stage and whose error it is.
        assert_eq!(
            serde_json::to_value(failed(DemoStage::Campaign))?,
            json!({"stage": "campaign", "message": "Campaign failed", "user_error": true})
        );
        Ok(())
    }
}
