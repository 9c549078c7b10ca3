//! The pipeline runtime: the run engine ([`engine`]) and its activities ([`activities`], Copy
//! through Blob REST with [`blob`]), and the trigger scheduler ([`schedule`]). It records runs
//! through the run ledger and never touches the control plane.

pub(crate) mod activities;
pub mod blob;
pub(crate) mod context;
pub(crate) mod datasets;
pub(crate) mod engine;
pub(crate) mod formats;
pub(crate) mod postgres;
pub(crate) mod schedule;
pub(crate) mod secrets;

use crate::state::EmulatorState;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The run engine (executes Queued runs) and the trigger scheduler, running in the background.
/// [`crate::start`] starts one when `config.run_engine` is on; router-level tests start their own.
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
            tokio::spawn(engine::engine_loop(state.clone(), signal.clone())),
            tokio::spawn(schedule::scheduler_loop(state.clone(), signal)),
        ];
        RunEngine {
            shutdown,
            tasks,
            live_runs: state.live_runs(),
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
