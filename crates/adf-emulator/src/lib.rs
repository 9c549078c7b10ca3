//! A local ARM-compatible Data Factory server with an embedded SQLite store.
//!
//! The emulator answers the Azure Resource Manager REST API for resource groups, data
//! factories and their child entities (linked services, datasets, pipelines, triggers, data
//! flows, integration runtimes, global parameters) and the runs API, with ARM's and ADF's
//! status codes, body shapes and rules (ARM-FACTS.md). It is a library with a thin binary entry
//! (`adfctl emulator`):
//!
//! - [`start`] binds a socket and serves in the background ([`RunningEmulator`]);
//! - [`router`] returns the axum router, for tests that need no socket;
//! - [`EmulatorState`] also offers hooks to move runs along by hand;
//! - [`RunEngine`] executes runs (activities, Copy through Blob REST to Azurite or Azure
//!   Storage, see [`blob`]) and fires started schedule triggers on the [`Clock`]; [`start`]
//!   starts one, and [`Scheduler`] runs the trigger scheduler one pass at a time for tests.
//!
//! The library never reads environment variables, installs no logger and no signal handler:
//! the caller passes an [`EmulatorConfig`] in.

mod arm;
pub mod blob;
mod config;
mod copy;
mod error;
mod executor;
mod http;
mod rng;
pub mod runs;
mod schedule;
mod service;
mod stats;
mod store;
mod throttle;

pub use config::{BucketLimit, Clock, DEVELOPMENT_BLOB_ENDPOINT, EmulatorConfig, ThrottleLimits};
pub use error::EmulatorError;
pub use runs::{ActivityRunRecord, PipelineRunInfo, RunStatus};

use adf_core::Kind;
use arm::{ArmRequest, Reply, Route};
use error::ArmError;
use rng::XorShift;
use serde_json::{Value, json};
use stats::{Injected, Stats};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use store::{Scope, Store};
use throttle::Throttle;

/// The shared state of one emulator: its settings, store, fault generator, throttle buckets
/// and counters. Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct EmulatorState {
    inner: Arc<Inner>,
}

struct Inner {
    config: EmulatorConfig,
    store: Mutex<Store>,
    rng: Mutex<XorShift>,
    throttle: Mutex<Throttle>,
    stats: Mutex<Stats>,
    /// Runs being executed: their cancel signal and the child runs they started.
    active_runs: Mutex<HashMap<String, ActiveRun>>,
    /// Wakes the run engine (createRun, a trigger firing).
    wake: tokio::sync::Notify,
    /// The Copy activity's HTTP client (Blob REST).
    http: reqwest::Client,
    /// Pipeline runs whose state is still alive (their tasks may still hold this state).
    live_runs: Arc<AtomicUsize>,
}

/// Counts a live pipeline run; the last field of the run's state, so it drops after the
/// run's clone of [`EmulatorState`].
pub(crate) struct LiveGuard(Arc<AtomicUsize>);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

struct ActiveRun {
    cancel: tokio::sync::watch::Sender<bool>,
    children: Vec<String>,
    /// Activity runs still InProgress (id → record), closed as Cancelled on cancel.
    open: HashMap<String, ActivityRunRecord>,
}

impl std::fmt::Debug for EmulatorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorState")
            .field("data_dir", &self.inner.config.data_dir)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock leaves plain data behind; keep serving.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl EmulatorState {
    /// Opens the store under `config.data_dir` and takes its exclusive lock.
    ///
    /// Fails with [`EmulatorError::DataDirInUse`] when another emulator holds the directory.
    pub fn open(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        let store = Store::open(&config.data_dir)?;
        let seed = config
            .seed
            .unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0);
        let throttle = Throttle::new(config.throttle_limits);
        let http = blob::http_client_builder()
            .build()
            .map_err(|e| EmulatorError::Server(format!("cannot build the HTTP client: {e}")))?;
        Ok(EmulatorState {
            inner: Arc::new(Inner {
                store: Mutex::new(store),
                rng: Mutex::new(XorShift::new(seed)),
                throttle: Mutex::new(throttle),
                stats: Mutex::new(Stats::default()),
                active_runs: Mutex::new(HashMap::new()),
                live_runs: Arc::new(AtomicUsize::new(0)),
                wake: tokio::sync::Notify::new(),
                http,
                config,
            }),
        })
    }

    /// The settings this emulator runs with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.inner.config
    }

    /// The request counters, as `GET /_emulator/stats` returns them.
    pub fn stats_json(&self) -> Value {
        lock(&self.inner.stats).to_json()
    }

    pub(crate) fn record(&self, method: &str, status: &str, injected: Injected) {
        lock(&self.inner.stats).record(method, status, injected);
    }

    pub(crate) fn with_rng<T>(&self, f: impl FnOnce(&mut XorShift) -> T) -> T {
        f(&mut lock(&self.inner.rng))
    }

    pub(crate) fn with_throttle<T>(&self, f: impl FnOnce(&mut Throttle) -> T) -> T {
        f(&mut lock(&self.inner.throttle))
    }

    pub(crate) fn with_store<T>(&self, f: impl FnOnce(&EmulatorConfig, &mut Store) -> T) -> T {
        f(&self.inner.config, &mut lock(&self.inner.store))
    }

    pub(crate) fn dispatch(&self, request: &ArmRequest, route: &Route) -> Result<Reply, ArmError> {
        let reply = http::dispatch_locked(self, request, route)?;
        match route {
            Route::PipelineRunAction(_, run_id, action)
                if action.eq_ignore_ascii_case("cancel") =>
            {
                self.signal_cancel(run_id);
            }
            Route::ChildAction(_, _, _, action) if action.eq_ignore_ascii_case("createRun") => {
                self.wake_engine();
            }
            _ => {}
        }
        Ok(reply)
    }

    // ---------- the run engine's bookkeeping ----------

    pub(crate) fn http_client(&self) -> reqwest::Client {
        self.inner.http.clone()
    }

    pub(crate) fn live_guard(&self) -> LiveGuard {
        self.inner.live_runs.fetch_add(1, Ordering::SeqCst);
        LiveGuard(self.inner.live_runs.clone())
    }

    pub(crate) fn wake_engine(&self) {
        self.inner.wake.notify_one();
    }

    pub(crate) fn inner_wake(&self) -> &tokio::sync::Notify {
        &self.inner.wake
    }

    /// Registers a run being executed; the receiver turns true when it is cancelled.
    pub(crate) fn register_run(&self, run_id: &str) -> tokio::sync::watch::Receiver<bool> {
        let mut active = lock(&self.inner.active_runs);
        let entry = active
            .entry(run_id.to_owned())
            .or_insert_with(|| ActiveRun {
                cancel: tokio::sync::watch::channel(false).0,
                children: Vec::new(),
                open: HashMap::new(),
            });
        entry.cancel.subscribe()
    }

    /// Moves a run from one of `from` to `to`; `false` (and no change) when it is in another
    /// status, e.g. cancelled meanwhile.
    pub(crate) fn transition_run(
        &self,
        run_id: &str,
        from: &[RunStatus],
        to: RunStatus,
        message: &str,
    ) -> bool {
        let now = self.config().clock.now();
        self.with_store(|_, store| {
            let Ok(Some((_, mut document))) = store.pipeline_run(run_id) else {
                return false;
            };
            let current = document
                .get("status")
                .and_then(Value::as_str)
                .and_then(RunStatus::parse);
            if !current.is_some_and(|c| from.contains(&c)) {
                return false;
            }
            runs::set_status(&mut document, to, message, now);
            store
                .update_pipeline_run(run_id, &document)
                .unwrap_or(false)
        })
    }

    pub(crate) fn unregister_run(&self, run_id: &str) {
        lock(&self.inner.active_runs).remove(run_id);
    }

    /// Notes an activity run InProgress, so that a cancel can close it.
    pub(crate) fn open_activity(&self, run_id: &str, id: &str, record: &ActivityRunRecord) {
        if let Some(run) = lock(&self.inner.active_runs).get_mut(run_id) {
            run.open.insert(id.to_owned(), record.clone());
        }
    }

    /// Takes an activity run off the open list; `false` when a cancel already closed it.
    pub(crate) fn close_activity(&self, run_id: &str, id: &str) -> bool {
        lock(&self.inner.active_runs)
            .get_mut(run_id)
            .is_some_and(|run| run.open.remove(id).is_some())
    }

    pub(crate) fn add_child_run(&self, parent: &str, child: &str) {
        if let Some(run) = lock(&self.inner.active_runs).get_mut(parent) {
            run.children.push(child.to_owned());
        }
    }

    /// Cancels a run's execution and, recursively, the child runs it started.
    pub(crate) fn signal_cancel(&self, run_id: &str) {
        let mut pending = vec![run_id.to_owned()];
        let mut seen = std::collections::HashSet::new();
        while let Some(id) = pending.pop() {
            if !seen.insert(id.clone()) {
                continue;
            }
            let (children, open, executing) = {
                let mut active = lock(&self.inner.active_runs);
                match active.get_mut(&id) {
                    Some(run) => {
                        run.cancel.send_replace(true);
                        (run.children.clone(), std::mem::take(&mut run.open), true)
                    }
                    None => (Vec::new(), HashMap::new(), false),
                }
            };
            if id == run_id && !executing {
                // Nothing executes it (still queued, claimed but not yet started, or no run
                // engine): the cancel completes now (a task that starts later sees it and does
                // not run). An executing run ends `Cancelled` when its task stops.
                self.transition_run(&id, &[RunStatus::Canceling], RunStatus::Cancelled, "");
            }
            let now = self.config().clock.now();
            for (activity_id, mut record) in open {
                record.status = RunStatus::Cancelled;
                record.end = Some(now);
                record.error = Some(json!({
                    "errorCode": "Cancelled",
                    "message": "The activity was cancelled.",
                    "failureType": "UserError",
                    "target": record.activity_name,
                }));
                let _ = self.update_activity_run(&activity_id, &record);
            }
            if id != run_id {
                // Children are not cancelled through the API: mark them here.
                let finished = self
                    .pipeline_run_document(&id)
                    .and_then(|d| {
                        d.get("status")
                            .and_then(Value::as_str)
                            .and_then(RunStatus::parse)
                    })
                    .is_some_and(RunStatus::is_terminal);
                if !finished {
                    let _ = self.set_pipeline_run_status(&id, RunStatus::Cancelled, "");
                }
            }
            pending.extend(children);
        }
    }

    pub(crate) fn pipeline_run_document(&self, run_id: &str) -> Option<Value> {
        self.with_store(|_, store| store.pipeline_run(run_id))
            .ok()
            .flatten()
            .map(|(_, document)| document)
    }

    /// Creates a child run of `pipeline` (ExecutePipeline) in `status` (Queued, or InProgress
    /// when the caller executes it itself), atomically with respect to the engine's polling.
    pub(crate) fn create_child_run(
        &self,
        scope: &Scope,
        pipeline: &str,
        parameters: &Value,
        invoked_by: Value,
        status: RunStatus,
    ) -> Result<Option<(String, Value, String)>, EmulatorError> {
        let now = self.config().clock.now();
        self.with_store(|_, store| {
            let context = "cannot create a child run";
            let Some(row) = store
                .entity(scope, Kind::Pipeline, pipeline)
                .map_err(EmulatorError::store(context))?
            else {
                return Ok(None);
            };
            let run_id = runs::insert_run(store, scope, &row, parameters, invoked_by, now)
                .map_err(|e| EmulatorError::Server(format!("{context}: {}", e.message)))?;
            let Some((_, mut document)) = store
                .pipeline_run(&run_id)
                .map_err(EmulatorError::store(context))?
            else {
                return Ok(None);
            };
            if status != RunStatus::Queued {
                runs::set_status(&mut document, status, "", now);
                store
                    .update_pipeline_run(&run_id, &document)
                    .map_err(EmulatorError::store(context))?;
            }
            Ok(Some((run_id, document, row.name)))
        })
    }

    /// Replaces an activity run's document (status, end, output, error).
    pub(crate) fn update_activity_run(
        &self,
        id: &str,
        record: &ActivityRunRecord,
    ) -> Result<(), EmulatorError> {
        self.with_store(|_, store| {
            let context = "cannot update an activity run";
            let Some((run_id, _)) = store
                .activity_run(id)
                .map_err(EmulatorError::store(context))?
            else {
                return Ok(());
            };
            let Some((_, run)) = store
                .pipeline_run(&run_id)
                .map_err(EmulatorError::store(context))?
            else {
                return Ok(());
            };
            let document = runs::activity_document(&run, record, id);
            store
                .update_activity_run(id, &document)
                .map_err(EmulatorError::store(context))
        })
    }

    // ---------- hooks for a run executor ----------

    /// The pipeline runs in `status`, oldest first.
    pub fn pipeline_runs_with_status(
        &self,
        status: RunStatus,
    ) -> Result<Vec<PipelineRunInfo>, EmulatorError> {
        self.with_store(|_, store| {
            let mut found = Vec::new();
            for document in store
                .pipeline_runs(None)
                .map_err(EmulatorError::store("cannot list pipeline runs"))?
            {
                if document.get("status").and_then(Value::as_str) != Some(status.as_str()) {
                    continue;
                }
                let run_id = document
                    .get("runId")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let Some((scope, _)) = store
                    .pipeline_run(&run_id)
                    .map_err(EmulatorError::store("cannot read a pipeline run"))?
                else {
                    continue;
                };
                found.push(PipelineRunInfo {
                    subscription: scope.subscription,
                    resource_group: scope.group,
                    factory: scope.factory,
                    pipeline_name: document
                        .get("pipelineName")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    run_id,
                    document,
                });
            }
            Ok(found)
        })
    }

    /// Moves a pipeline run to `status` (stamping `lastUpdated`, and `runEnd`/`durationInMs`
    /// when it ends). Returns whether the run exists.
    pub fn set_pipeline_run_status(
        &self,
        run_id: &str,
        status: RunStatus,
        message: &str,
    ) -> Result<bool, EmulatorError> {
        let now = self.config().clock.now();
        self.with_store(|_, store| {
            let Some((_, mut document)) = store
                .pipeline_run(run_id)
                .map_err(EmulatorError::store("cannot read a pipeline run"))?
            else {
                return Ok(false);
            };
            runs::set_status(&mut document, status, message, now);
            store
                .update_pipeline_run(run_id, &document)
                .map_err(EmulatorError::store("cannot update a pipeline run"))
        })
    }

    /// Records an activity run of a pipeline run; returns its id, or `None` if the run is unknown.
    pub fn add_activity_run(
        &self,
        run_id: &str,
        record: &ActivityRunRecord,
    ) -> Result<Option<String>, EmulatorError> {
        self.with_store(|_, store| {
            let Some((_, run)) = store
                .pipeline_run(run_id)
                .map_err(EmulatorError::store("cannot read a pipeline run"))?
            else {
                return Ok(None);
            };
            let id = uuid::Uuid::new_v4().to_string();
            let document = runs::activity_document(&run, record, &id);
            store
                .insert_activity_run(&id, run_id, &document)
                .map_err(EmulatorError::store("cannot record an activity run"))?;
            Ok(Some(id))
        })
    }

    /// Fires a trigger once, as its schedule would: records a trigger run and a Queued pipeline
    /// run for each pipeline it references. Returns the trigger run id, or `None` when the
    /// factory or trigger does not exist.
    pub fn fire_trigger(
        &self,
        subscription: &str,
        resource_group: &str,
        factory: &str,
        trigger: &str,
    ) -> Result<Option<String>, EmulatorError> {
        let now = self.config().clock.now();
        let fired = self.fire_trigger_at(subscription, resource_group, factory, trigger, now);
        self.wake_engine();
        fired
    }

    /// Fires a trigger for the occurrence `scheduled` (`trigger().scheduledTime`); the trigger's
    /// pipeline parameters may use `@trigger().scheduledTime` and `@trigger().startTime`.
    pub(crate) fn fire_trigger_at(
        &self,
        subscription: &str,
        resource_group: &str,
        factory: &str,
        trigger: &str,
        scheduled: time::OffsetDateTime,
    ) -> Result<Option<String>, EmulatorError> {
        let now = self.config().clock.now();
        let scope = Scope::new(subscription, resource_group, factory);
        self.with_store(|_, store| {
            let context = "cannot fire a trigger";
            let Some(row) = store
                .entity(&scope, Kind::Trigger, trigger)
                .map_err(EmulatorError::store(context))?
            else {
                return Ok(None);
            };
            let trigger_run_id = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
            let trigger_type = row.body.get("type").cloned().unwrap_or(Value::Null);
            let mut triggered = serde_json::Map::new();
            let pipelines = row
                .body
                .get("pipelines")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            store
                .transaction(|store| -> Result<(), ArmError> {
                    for entry in &pipelines {
                        let Some(name) = entry
                            .pointer("/pipelineReference/referenceName")
                            .and_then(Value::as_str)
                        else {
                            continue;
                        };
                        let Some(pipeline) = store.entity(&scope, Kind::Pipeline, name)? else {
                            continue;
                        };
                        let raw = entry.get("parameters").cloned().unwrap_or(json!({}));
                        let mut bindings = adf_expr::Bindings::new(now);
                        bindings
                            .trigger
                            .insert("scheduledTime".into(), json!(service::timestamp(scheduled)));
                        bindings
                            .trigger
                            .insert("startTime".into(), json!(service::timestamp(now)));
                        bindings.trigger.insert("name".into(), json!(row.name));
                        // An expression that cannot be evaluated is passed on as written.
                        let parameters = adf_expr::evaluate_value(&raw, &bindings).unwrap_or(raw);
                        let invoked_by = json!({
                            "id": trigger_run_id,
                            "name": row.name,
                            "invokedByType": trigger_type,
                        });
                        let run_id = runs::insert_run(
                            store,
                            &scope,
                            &pipeline,
                            &parameters,
                            invoked_by,
                            now,
                        )?;
                        triggered.insert(pipeline.name.clone(), json!(run_id));
                    }
                    let document = json!({
                        "triggerName": row.name,
                        "triggerRunId": trigger_run_id,
                        "triggerType": trigger_type,
                        "triggerRunTimestamp": service::timestamp(now),
                        "status": "Succeeded",
                        "message": "",
                        "properties": {
                            "TriggerTime": runs::us_time(now),
                            "ScheduleTime": runs::us_time(scheduled),
                        },
                        "triggeredPipelines": triggered,
                    });
                    store.insert_trigger_run(&scope, &trigger_run_id, &document)?;
                    Ok(())
                })
                .map_err(|e| EmulatorError::Server(format!("{context}: {}", e.message)))?;
            Ok(Some(trigger_run_id))
        })
    }
}

/// The emulator's router: `GET /_emulator/stats` plus every ARM path. Tests drive it with
/// `tower::ServiceExt::oneshot`, no socket needed.
pub fn router(state: EmulatorState) -> axum::Router {
    axum::Router::new()
        .route("/_emulator/stats", axum::routing::get(http::stats))
        .fallback(http::arm_entry)
        .with_state(state)
}

/// An emulator serving in the background. Dropping it without [`RunningEmulator::shutdown`]
/// also stops the server (gracefully, in the background); `shutdown` waits until the store is
/// closed and the data directory released.
#[derive(Debug)]
pub struct RunningEmulator {
    addr: SocketAddr,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    engine: Option<RunEngine>,
}

/// The run engine (executes Queued runs) and the trigger scheduler, running in the background.
/// [`start`] starts one when `config.run_engine` is on; router-level tests start their own.
/// Dropping it stops both (at their next await point).
#[derive(Debug)]
pub struct RunEngine {
    shutdown: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    live_runs: Arc<AtomicUsize>,
}

impl RunEngine {
    /// Starts the engine and the scheduler over `state` (needs a Tokio runtime). Runs left
    /// InProgress by a previous process are marked Failed first.
    pub fn start(state: &EmulatorState) -> RunEngine {
        let (shutdown, signal) = tokio::sync::watch::channel(false);
        let tasks = vec![
            tokio::spawn(executor::engine_loop(state.clone(), signal.clone())),
            tokio::spawn(schedule::scheduler_loop(state.clone(), signal)),
        ];
        RunEngine {
            shutdown,
            tasks,
            live_runs: state.inner.live_runs.clone(),
        }
    }

    /// Stops both loops and waits until every run task has been dropped.
    pub async fn stop(self) {
        self.shutdown.send_replace(true);
        for task in self.tasks {
            // A task that panicked has nothing left to stop.
            let _ = task.await;
        }
        // Aborted activity tasks are dropped by the runtime shortly after; wait for them so
        // that the store (and its directory lock) can be released.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        while self.live_runs.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}

/// The trigger scheduler, one pass at a time, for tests that drive the clock themselves.
#[derive(Debug, Default)]
pub struct Scheduler {
    memory: schedule::Memory,
}

impl Scheduler {
    /// A scheduler that has seen nothing yet (its first pass fires nothing: no backfill).
    pub fn new() -> Self {
        Scheduler::default()
    }

    /// Fires the started schedule triggers' occurrences that fell between the previous pass
    /// and the clock's now; returns the trigger run ids.
    pub fn tick(&mut self, state: &EmulatorState) -> Vec<String> {
        schedule::tick(state, &mut self.memory)
    }
}

impl RunningEmulator {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, lets in-flight requests finish, and closes the store
    /// (releasing the data directory).
    pub async fn shutdown(self) -> Result<(), EmulatorError> {
        if let Some(engine) = self.engine {
            engine.stop().await;
        }
        // The receiver is gone only if the server already stopped; then there is nothing to stop.
        let _ = self.shutdown.send(());
        match self.task.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(EmulatorError::Io {
                context: "emulator server".into(),
                source: error,
            }),
            Err(error) => Err(EmulatorError::Server(error.to_string())),
        }
    }
}

/// Opens the store, binds `listen` (port 0 picks a free port) and serves in the background.
pub async fn start(
    config: EmulatorConfig,
    listen: SocketAddr,
) -> Result<RunningEmulator, EmulatorError> {
    let state = EmulatorState::open(config)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| EmulatorError::Io {
            context: format!("cannot listen on {listen}"),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| EmulatorError::Io {
        context: "cannot read the bound address".into(),
        source,
    })?;
    let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
    let engine = state.config().run_engine.then(|| RunEngine::start(&state));
    let app = router(state);
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                // Either a shutdown request or the handle being dropped stops the server.
                let _ = signal.await;
            })
            .await
    });
    Ok(RunningEmulator {
        addr,
        shutdown,
        task,
        engine,
    })
}
