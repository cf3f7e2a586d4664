//! Routing a customer's first message to a support flow and subflow, from the shop's agent
//! guidelines (the ABCD layout: `{flow: {description, subflows: {subflow: {instructions,
//! actions}}}}`), by retrieval over each subflow's name, instructions and actions.

use recur_retrieval::{Embedder, KnowledgeIndex, Passage, SearchOptions};
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// A routing decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    /// The flow's display name.
    pub flow: String,
    /// The subflow's display name.
    pub subflow: String,
    /// Fused retrieval score of the winner.
    pub score: f64,
}

/// Routes messages over a set of guidelines.
pub struct Router {
    index: KnowledgeIndex,
    embedder_id: String,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("subflows", &self.index.passages().len())
            .finish()
    }
}

fn strings_of(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings_of(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings_of(x, out)),
        _ => {}
    }
}

impl Router {
    /// Builds the router from a guidelines JSON document; `file` names it in errors.
    pub fn from_guidelines(
        file: &str,
        json: &[u8],
        embedder: Option<&dyn Embedder>,
    ) -> Result<Router> {
        let bad = |reason: String| Error::BadGuidelines {
            file: file.to_owned(),
            reason,
        };
        let v: Value =
            serde_json::from_slice(json).map_err(|e| bad(format!("line {}: {e}", e.line())))?;
        let flows = v
            .as_object()
            .ok_or_else(|| bad("the top level is not an object".into()))?;
        let mut passages = Vec::new();
        for (flow, body) in flows {
            let description = body
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let subflows = body
                .get("subflows")
                .and_then(Value::as_object)
                .ok_or_else(|| bad(format!("flow `{flow}` has no `subflows` object")))?;
            for (subflow, detail) in subflows {
                let mut texts = Vec::new();
                strings_of(detail, &mut texts);
                passages.push(Passage {
                    id: format!("{flow}\u{1f}{subflow}"),
                    source: "guidelines".into(),
                    kind: "subflow".into(),
                    title: format!("{subflow} ({flow})"),
                    text: format!("{description}\n{}", texts.join("\n")),
                    meta: Default::default(),
                });
            }
        }
        if passages.is_empty() {
            return Err(bad("no subflows".into()));
        }
        let mut index = KnowledgeIndex::in_memory()?;
        index.replace_source("guidelines", "", passages, embedder)?;
        Ok(Router {
            index,
            embedder_id: embedder.map(Embedder::id).unwrap_or_default(),
        })
    }

    /// The best flow and subflow for `message`.
    pub fn route(&self, message: &str, embedder: Option<&dyn Embedder>) -> Result<Option<Route>> {
        let vector = match embedder {
            Some(e) if e.id() == self.embedder_id => e
                .embed(&[message])
                .map_err(recur_retrieval::Error::Embed)?
                .pop(),
            _ => None,
        };
        let hits = self.index.search(
            message,
            vector.as_deref(),
            &SearchOptions {
                k: 1,
                ..SearchOptions::default()
            },
        )?;
        Ok(hits.first().and_then(|h| {
            let (flow, subflow) = h.passage.id.split_once('\u{1f}')?;
            Some(Route {
                flow: flow.to_owned(),
                subflow: subflow.to_owned(),
                score: h.score,
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_words_without_an_embedder() {
        let g = br#"{
          "Shipping Issue": {"description": "Problems with delivery.", "subflows": {
             "Missing Package": {"instructions": ["The package never arrived; check the tracking."], "actions": []},
             "Change Address": {"instructions": ["Update the shipping address on an order."], "actions": []}}},
          "Account Access": {"description": "Logging in.", "subflows": {
             "Reset Password": {"instructions": ["Send a password reset link."], "actions": []}}}
        }"#;
        let r = Router::from_guidelines("g.json", g, None).unwrap();
        let route = r.route("I forgot my password", None).unwrap().unwrap();
        assert_eq!(
            (route.flow.as_str(), route.subflow.as_str()),
            ("Account Access", "Reset Password")
        );
        let route = r.route("my package never arrived", None).unwrap().unwrap();
        assert_eq!(route.subflow, "Missing Package");
        assert!(
            Router::from_guidelines("g.json", b"[1]", None)
                .unwrap_err()
                .is_user_error()
        );
    }
}
