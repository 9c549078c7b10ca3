//! The one state object both rooms share: the settings and the store, the control plane's
//! throttle buckets, fault generator and counters, and the runtime's bookkeeping of the runs it
//! executes (cancel signals, child runs, open activity runs) and its wake-up signal.
//!
//! The store is one writer connection, under a mutex ([`EmulatorState::with_store`]: writes
//! are serialised), and a small pool of read-only connections ([`EmulatorState::with_reader`]),
//! so that reads run concurrently with each other and with writes.
//!
//! `control::dispatch` is where the rooms meet: the control plane's service answers on a
//! connection and returns its side effects as values; they are carried out after the
//! connection is released.

use crate::config::EmulatorConfig;
use crate::error::EmulatorError;
use crate::harness::Harness;
use crate::ledger::{self, ActivityRunRecord, InvokedBy, PipelineRun, PipelineRunInfo, RunStatus};
use crate::rng::XorShift;
use crate::stats::{Injected, Stats};
use crate::store::{Scope, Store};
use crate::throttle::Throttle;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The shared state of one emulator: its settings, store, fault generator, throttle buckets
/// and counters. Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct EmulatorState {
    inner: Arc<Inner>,
}

struct Inner {
    config: EmulatorConfig,
    /// Read-only connections; a reader takes the first free one. Declared before the writer,
    /// so they close first: the writer's drop releases the data directory.
    readers: Vec<Mutex<Store>>,
    /// The writer.
    store: Mutex<Store>,
    /// Where a reader waits when every connection is busy (round robin).
    next_reader: AtomicUsize,
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
    /// The test harness: mocks and finished runs' variables.
    harness: Mutex<Harness>,
    /// WebHook activities waiting for their callback.
    webhooks: crate::webhooks::Webhooks,
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
        // One reader per core keeps every core busy with reads; two at least, so that a read
        // never waits for another on a small machine.
        let reader_count = std::thread::available_parallelism()
            .map_or(2, std::num::NonZeroUsize::get)
            .max(2);
        let readers = (0..reader_count)
            .map(|_| store.open_reader().map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        let seed = config
            .seed
            .unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0);
        let throttle = Throttle::new(config.throttle_limits);
        let http = crate::config::blob_http_client_builder()
            .build()
            .map_err(|e| EmulatorError::Server(format!("cannot build the HTTP client: {e}")))?;
        Ok(EmulatorState {
            inner: Arc::new(Inner {
                store: Mutex::new(store),
                readers,
                next_reader: AtomicUsize::new(0),
                rng: Mutex::new(XorShift::new(seed)),
                throttle: Mutex::new(throttle),
                stats: Mutex::new(Stats::default()),
                active_runs: Mutex::new(HashMap::new()),
                live_runs: Arc::new(AtomicUsize::new(0)),
                harness: Mutex::new(Harness::default()),
                webhooks: crate::webhooks::Webhooks::default(),
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

    pub(crate) fn with_harness<T>(&self, f: impl FnOnce(&mut Harness) -> T) -> T {
        f(&mut lock(&self.inner.harness))
    }

    /// Runs `f` on the writer connection (alone: writes are serialised).
    pub(crate) fn with_store<T>(&self, f: impl FnOnce(&EmulatorConfig, &mut Store) -> T) -> T {
        f(&self.inner.config, &mut lock(&self.inner.store))
    }

    /// Runs `f` on a read-only connection: the first free one, or, when all are busy, the next
    /// in turn once it is free. Concurrent with other readers and with the writer.
    pub(crate) fn with_reader<T>(&self, f: impl FnOnce(&EmulatorConfig, &Store) -> T) -> T {
        let readers = &self.inner.readers;
        for reader in readers {
            let guard = match reader.try_lock() {
                Ok(guard) => guard,
                Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => continue,
            };
            return f(&self.inner.config, &guard);
        }
        let turn = self.inner.next_reader.fetch_add(1, Ordering::Relaxed) % readers.len();
        f(&self.inner.config, &lock(&readers[turn]))
    }

    // ---------- the run engine's bookkeeping ----------

    /// WebHook activities waiting for their callback (both rooms use it).
    pub(crate) fn webhooks(&self) -> &crate::webhooks::Webhooks {
        &self.inner.webhooks
    }

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

    /// The count of live pipeline runs ([`LiveGuard`]).
    pub(crate) fn live_runs(&self) -> Arc<AtomicUsize> {
        self.inner.live_runs.clone()
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
        self.with_store(|_, store| ledger::transition(store, run_id, from, to, message, now))
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
                record.cancel(now);
                let _ = self.update_activity_run(&activity_id, &record);
            }
            if id != run_id {
                // Children are not cancelled through the API: mark them here.
                let finished = self
                    .pipeline_run(&id)
                    .is_some_and(|run| run.status.is_terminal());
                if !finished {
                    let _ = self.set_pipeline_run_status(&id, RunStatus::Cancelled, "");
                }
            }
            pending.extend(children);
        }
    }

    /// A pipeline run, typed.
    pub(crate) fn pipeline_run(&self, run_id: &str) -> Option<PipelineRun> {
        self.with_store(|_, store| ledger::pipeline_run(store, run_id))
            .ok()
            .flatten()
            .map(|(_, run)| run)
    }

    /// The pipeline runs in `status`, oldest first, typed, with their factories.
    pub(crate) fn runs_with_status(
        &self,
        status: RunStatus,
    ) -> Result<Vec<(Scope, PipelineRun)>, EmulatorError> {
        self.with_store(|_, store| ledger::runs_with_status(store, status))
    }

    /// Creates a child run of `pipeline` (ExecutePipeline) in `status` (Queued, or InProgress
    /// when the caller executes it itself), atomically with respect to the engine's polling.
    /// Returns the run and the pipeline's stored name.
    pub(crate) fn create_child_run(
        &self,
        scope: &Scope,
        pipeline: &str,
        parameters: &Value,
        invoked_by: InvokedBy,
        status: RunStatus,
    ) -> Result<Option<(PipelineRun, String)>, EmulatorError> {
        let now = self.config().clock.now();
        self.with_store(|_, store| {
            ledger::create_child_run(store, scope, pipeline, parameters, invoked_by, status, now)
        })
    }

    /// Replaces an activity run's document (status, end, output, error).
    pub(crate) fn update_activity_run(
        &self,
        id: &str,
        record: &ActivityRunRecord,
    ) -> Result<(), EmulatorError> {
        self.with_store(|_, store| ledger::update_activity_run(store, id, record))
    }

    // ---------- hooks for a run executor ----------

    /// The pipeline runs in `status`, oldest first.
    pub fn pipeline_runs_with_status(
        &self,
        status: RunStatus,
    ) -> Result<Vec<PipelineRunInfo>, EmulatorError> {
        Ok(self
            .runs_with_status(status)?
            .into_iter()
            .map(|(scope, run)| PipelineRunInfo {
                subscription: scope.subscription,
                resource_group: scope.group,
                factory: scope.factory,
                pipeline_name: run.pipeline_name.clone(),
                run_id: run.run_id.clone(),
                document: run.to_json(),
            })
            .collect())
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
        self.with_store(|_, store| ledger::set_status(store, run_id, status, message, now))
    }

    /// Records an activity run of a pipeline run; returns its id, or `None` if the run is unknown.
    pub fn add_activity_run(
        &self,
        run_id: &str,
        record: &ActivityRunRecord,
    ) -> Result<Option<String>, EmulatorError> {
        self.with_store(|_, store| ledger::add_activity_run(store, run_id, record))
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

    /// Fires a trigger for the occurrence `scheduled` (`trigger().scheduledTime`).
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
        self.with_store(|_, store| ledger::fire_trigger(store, &scope, trigger, scheduled, now))
    }
}
