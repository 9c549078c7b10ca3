//! The test harness: what `adfctl test` (or any test) asks of the emulator beyond ARM.
//!
//! - **Mocks** (`PUT /_emulator/mocks?factory=FACTORY_PATH`, a JSON list): activities that are
//!   not run but given an outcome, chosen by activity name or by type (a name wins), optionally
//!   only in one pipeline. For what cannot run locally (Databricks, Azure Functions, data
//!   flows) or should not in a test. A mocked activity run says so in its output
//!   (`"mocked": true` is never added: the output is the mock's, as the test wrote it).
//! - **Run variables** (`GET /_emulator/runs/RUN_ID/variables`): a finished run's variables,
//!   which ARM does not report.
//!
//! Neither is part of ARM, and nothing here is reachable through an ARM path. The HTTP side is
//! `test_api.rs`; this module is the state, shared by both rooms and importing neither.

use crate::store::Scope;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// How many finished runs' variables are kept (the oldest go first).
const RUN_VARIABLES_KEPT: usize = 10_000;

/// One mocked activity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Mock {
    /// The activity's name (exact).
    #[serde(default)]
    pub activity: Option<String>,
    /// The activity's type (`DatabricksNotebook`), without case.
    #[serde(default, rename = "type")]
    pub activity_type: Option<String>,
    /// Only in this pipeline (without case).
    #[serde(default)]
    pub pipeline: Option<String>,
    /// `Succeeded` (default) or `Failed`.
    #[serde(default)]
    pub status: Option<String>,
    /// The activity's output (`null` when absent).
    #[serde(default)]
    pub output: Value,
    /// A failure's error (`Failed`): `{errorCode, message}`.
    #[serde(default)]
    pub error: Option<MockError>,
    /// How long the activity seems to take.
    #[serde(default)]
    pub duration_ms: Option<u64>,
}

/// A mocked failure.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MockError {
    /// ADF's `errorCode`.
    #[serde(default)]
    pub error_code: Option<String>,
    /// ADF's `message`.
    #[serde(default)]
    pub message: Option<String>,
}

impl Mock {
    /// Whether it mocks this activity; `Some(true)` for a match by name.
    fn matches(&self, pipeline: &str, name: &str, activity_type: &str) -> Option<bool> {
        if self
            .pipeline
            .as_deref()
            .is_some_and(|p| !adf_core::naming::same_name(p, pipeline))
        {
            return None;
        }
        match (&self.activity, &self.activity_type) {
            (Some(activity), _) if activity == name => Some(true),
            (None, Some(t)) if t.eq_ignore_ascii_case(activity_type) => Some(false),
            _ => None,
        }
    }

    /// What the mocked activity returns, after its duration: its output, or (a failure) an
    /// error code and message.
    pub(crate) async fn outcome(&self) -> Result<Value, (String, String)> {
        if let Some(ms) = self.duration_ms {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        let failed = self
            .status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("Failed"));
        if failed {
            let error = self.error.clone().unwrap_or(MockError {
                error_code: None,
                message: None,
            });
            Err((
                error.error_code.unwrap_or_else(|| "MockedFailure".into()),
                error
                    .message
                    .unwrap_or_else(|| "The test's mock failed this activity.".into()),
            ))
        } else {
            Ok(self.output.clone())
        }
    }
}

/// The harness's state: mocks by factory, and finished runs' variables.
#[derive(Debug, Default)]
pub(crate) struct Harness {
    mocks: HashMap<String, Vec<Mock>>,
    variables: HashMap<String, Map<String, Value>>,
    order: VecDeque<String>,
}

fn key(scope: &Scope) -> String {
    adf_core::naming::fold(&format!(
        "{}/{}/{}",
        scope.subscription, scope.group, scope.factory
    ))
}

impl Harness {
    /// Replaces a factory's mocks.
    pub fn set_mocks(&mut self, scope: &Scope, mocks: Vec<Mock>) {
        self.mocks.insert(key(scope), mocks);
    }

    /// The mock for an activity, if any (a match by name before one by type).
    pub fn mock_for(
        &self,
        scope: &Scope,
        pipeline: &str,
        name: &str,
        activity_type: &str,
    ) -> Option<Mock> {
        let mocks = self.mocks.get(&key(scope))?;
        let found = |by_name: bool| {
            mocks
                .iter()
                .find(|m| m.matches(pipeline, name, activity_type) == Some(by_name))
        };
        found(true).or_else(|| found(false)).cloned()
    }

    /// Keeps a finished run's variables.
    pub fn save_variables(&mut self, run_id: &str, variables: Map<String, Value>) {
        if self
            .variables
            .insert(run_id.to_owned(), variables)
            .is_none()
        {
            self.order.push_back(run_id.to_owned());
        }
        while self.order.len() > RUN_VARIABLES_KEPT {
            if let Some(oldest) = self.order.pop_front() {
                self.variables.remove(&oldest);
            }
        }
    }

    /// A finished run's variables.
    pub fn variables(&self, run_id: &str) -> Option<&Map<String, Value>> {
        self.variables.get(run_id)
    }
}

/// The scope of a factory path `/subscriptions/S/resourceGroups/G/providers/Microsoft.DataFactory/factories/F`.
pub(crate) fn scope_of(path: &str) -> Option<Scope> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        [s, sub, g, group, p, _, f, factory]
            if s.eq_ignore_ascii_case("subscriptions")
                && g.eq_ignore_ascii_case("resourceGroups")
                && p.eq_ignore_ascii_case("providers")
                && f.eq_ignore_ascii_case("factories") =>
        {
            Some(Scope::new(sub, group, factory))
        }
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_mock_by_name_wins_over_one_by_type_and_pipelines_limit_them() {
        let scope = scope_of(
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.DataFactory/factories/F",
        )
        .unwrap();
        let mocks: Vec<Mock> = serde_json::from_value(json!([
            {"type": "databricksnotebook", "output": {"by": "type"}},
            {"activity": "Run", "output": {"by": "name"}},
            {"activity": "Other", "pipeline": "p2", "status": "Failed"}
        ]))
        .unwrap();
        let mut harness = Harness::default();
        harness.set_mocks(&scope, mocks);
        let found = |pipeline, name, t| harness.mock_for(&scope, pipeline, name, t);
        assert_eq!(
            found("p", "Run", "DatabricksNotebook").unwrap().output,
            json!({"by": "name"})
        );
        assert_eq!(
            found("p", "Notebook", "DatabricksNotebook").unwrap().output,
            json!({"by": "type"})
        );
        assert!(found("p", "Other", "Wait").is_none());
        assert!(found("P2", "Other", "Wait").is_some());
        assert!(found("p", "run", "Wait").is_none(), "names are exact");
        let other = Scope::new("s", "g", "f2");
        assert!(harness.mock_for(&other, "p", "Run", "Wait").is_none());
        assert!(
            serde_json::from_value::<Vec<Mock>>(json!([{"activty": "x"}])).is_err(),
            "unknown fields are refused"
        );
    }

    #[test]
    fn variables_are_kept_for_a_bounded_number_of_runs() {
        let mut harness = Harness::default();
        for i in 0..(RUN_VARIABLES_KEPT + 5) {
            harness.save_variables(&format!("r{i}"), Map::new());
        }
        assert!(harness.variables("r0").is_none());
        assert!(
            harness
                .variables(&format!("r{RUN_VARIABLES_KEPT}"))
                .is_some()
        );
    }
}
