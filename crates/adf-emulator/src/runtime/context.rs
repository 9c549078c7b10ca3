//! The run-time context one pipeline run's activities share, and what an activity returns.

use crate::ledger::{PipelineRun, RunStatus};
use crate::state::{EmulatorState, LiveGuard};
use crate::store::Scope;
use adf_expr::Scope as Names;
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
    /// Evaluation context for the current state (and a ForEach item). It looks names up in
    /// the run when an expression asks for them, instead of copying the run's parameters,
    /// variables and activity results for every evaluation: a ForEach over a GetMetadata's
    /// thousand `childItems` copied that output into every evaluation of every iteration,
    /// which made a ForEach of a thousand Copies quadratic.
    pub fn context<'a>(&'a self, item: Option<&'a Value>) -> RunContext<'a> {
        RunContext {
            run: self,
            item,
            now: self.now(),
            dataset_parameters: Map::new(),
            linked_service_parameters: Map::new(),
        }
    }

    /// Evaluates every expression in `value`.
    pub fn eval(&self, value: &Value, item: Option<&Value>) -> Result<Value, ActivityError> {
        adf_expr::evaluate_value(value, &self.context(item)).map_err(|error| {
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

/// What an expression sees during a run ([`Run::context`]): the run's parameters, system
/// variables, variables and activity results, read when asked for (names exact, else ignoring
/// ASCII case, as [`adf_expr::Bindings`] has them), the ForEach item, one `now` for the whole
/// evaluation, and the dataset's or linked service's parameters being resolved.
pub(crate) struct RunContext<'a> {
    run: &'a Run,
    item: Option<&'a Value>,
    now: OffsetDateTime,
    /// `dataset().x`
    pub dataset_parameters: Map<String, Value>,
    /// `linkedService().x`
    pub linked_service_parameters: Map<String, Value>,
}

/// `key` in `map`, exactly, else ignoring ASCII case.
fn get_key<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(candidate, _)| candidate.eq_ignore_ascii_case(key))
            .map(|(_, value)| value)
    })
}

impl RunContext<'_> {
    /// Runs `f` over the map of `scope` (locked for the variables and activity results).
    fn with_map<T>(&self, scope: Names, f: impl FnOnce(&Map<String, Value>) -> T) -> T {
        let empty = Map::new();
        match scope {
            Names::PipelineParameter => f(&self.run.parameters),
            Names::GlobalParameter => f(&self.run.globals),
            Names::System => f(&self.run.system),
            Names::Variable => f(&lock(&self.run.variables)),
            Names::Activity => f(&lock(&self.run.activities)),
            Names::DatasetParameter => f(&self.dataset_parameters),
            Names::LinkedServiceParameter => f(&self.linked_service_parameters),
            // No trigger outputs in a run's expressions (its parameters carry them), and any
            // scope a later adf-expr adds.
            _ => f(&empty),
        }
    }
}

impl adf_expr::Context for RunContext<'_> {
    fn lookup(&self, scope: Names, name: &str) -> Option<Value> {
        self.with_map(scope, |map| get_key(map, name).cloned())
    }

    fn names(&self, scope: Names) -> Vec<String> {
        self.with_map(scope, |map| map.keys().cloned().collect())
    }

    fn item(&self) -> Option<Value> {
        self.item.cloned()
    }

    fn now(&self) -> OffsetDateTime {
        self.now
    }

    fn new_guid(&self) -> String {
        uuid::Uuid::new_v4().to_string()
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
