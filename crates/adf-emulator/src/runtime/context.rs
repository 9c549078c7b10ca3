//! The run-time context one pipeline run's activities share, and what an activity returns.

use crate::ledger::{PipelineRun, RunStatus};
use crate::state::{EmulatorState, LiveGuard};
use crate::store::Scope;
use adf_expr::Bindings;
use serde_json::{Map, Value, json};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use time::OffsetDateTime;

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Why an activity failed: ADF's `error` object.
#[derive(Debug, Clone)]
pub(crate) struct ActivityError {
    pub code: String,
    pub message: String,
    pub failure_type: String,
}

impl ActivityError {
    pub fn user(code: impl Into<String>, message: impl Into<String>) -> Self {
        ActivityError {
            code: code.into(),
            message: message.into(),
            failure_type: "UserError".into(),
        }
    }

    pub fn system(code: impl Into<String>, message: impl Into<String>) -> Self {
        ActivityError {
            code: code.into(),
            message: message.into(),
            failure_type: "SystemError".into(),
        }
    }

    pub fn to_json(&self, target: &str) -> Value {
        json!({
            "errorCode": self.code,
            "message": self.message,
            "failureType": self.failure_type,
            "target": target,
            "details": "",
        })
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The run-time state of one pipeline run, shared by its activities.
pub(crate) struct Run {
    pub state: EmulatorState,
    pub scope: Scope,
    pub run_id: String,
    pub pipeline_name: String,
    pub parameters: Map<String, Value>,
    pub globals: Map<String, Value>,
    pub system: Map<String, Value>,
    pub variables: Mutex<Map<String, Value>>,
    /// `activity('x')` results: `{output, status, error}`.
    pub activities: Mutex<Map<String, Value>>,
    pub http: reqwest::Client,
    pub depth: usize,
    /// The engine's entry points (nested blocks, child runs).
    pub engine: &'static EngineHooks,
    /// Last: drops after `state`, so that [`crate::RunEngine::stop`] can wait for it.
    pub _live: LiveGuard,
}

impl Run {
    /// Evaluation context for the current state (and a ForEach item).
    pub fn bindings(&self, item: Option<&Value>) -> Bindings {
        let mut bindings = Bindings::new(self.state.config().clock.now())
            .with_guid_source(Arc::new(|| uuid::Uuid::new_v4().to_string()));
        bindings.pipeline_parameters = self.parameters.clone();
        bindings.global_parameters = self.globals.clone();
        bindings.system = self.system.clone();
        bindings.variables = lock(&self.variables).clone();
        bindings.activities = lock(&self.activities).clone();
        bindings.item = item.cloned();
        bindings
    }

    /// Evaluates every expression in `value`.
    pub fn eval(&self, value: &Value, item: Option<&Value>) -> Result<Value, ActivityError> {
        adf_expr::evaluate_value(value, &self.bindings(item)).map_err(|error| {
            ActivityError::user(
                "InvalidTemplate",
                format!("The expression cannot be evaluated: {error}"),
            )
        })
    }

    pub fn now(&self) -> OffsetDateTime {
        self.state.config().clock.now()
    }

    /// Runs a block of activities (a ForEach iteration, an If branch, an Until pass) through
    /// the engine.
    pub fn run_block(
        self: &Arc<Self>,
        activities: Vec<Value>,
        item: Option<Value>,
    ) -> BoxFuture<Outcome> {
        (self.engine.run_block)(self.clone(), activities, item)
    }

    /// Executes a child run (ExecutePipeline with `waitOnCompletion`) in this task, one level
    /// deeper; returns its final status.
    pub fn run_child_pipeline(&self, child: PipelineRun) -> BoxFuture<RunStatus> {
        (self.engine.run_pipeline)(
            self.state.clone(),
            self.scope.clone(),
            child,
            self.depth + 1,
        )
    }
}

/// The engine's entry points that activities call back into, handed over as function pointers
/// so that the activities do not import the engine (which dispatches to them).
pub(crate) struct EngineHooks {
    /// Runs a block of activities in dependency order.
    pub run_block: fn(Arc<Run>, Vec<Value>, Option<Value>) -> BoxFuture<Outcome>,
    /// Executes a pipeline run to its end at a nesting depth.
    pub run_pipeline: fn(EmulatorState, Scope, PipelineRun, usize) -> BoxFuture<RunStatus>,
}

/// Result of a block of activities (a pipeline, a ForEach iteration, an If branch).
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// The first unhandled failure: (activity name, error).
    pub failure: Option<(String, ActivityError)>,
}
