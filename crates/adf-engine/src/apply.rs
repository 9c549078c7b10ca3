//! Executing a plan's steps ([`adf_plan::steps`]): the stops, then the waves in order (the steps
//! of one wave in parallel, `parallelism` at most), then the starts. The steps say every request;
//! this module only sends them and reports.
//!
//! A failed step does not stop the others: steps that depend on it (directly or through a
//! failed or skipped step) are skipped, in-flight steps finish, and the report says exactly
//! what was applied. Every step is idempotent (PUT, DELETE that accepts 404, start/stop), so
//! a re-run after any failure or crash converges.
//!
//! A stop or start of an event trigger also settles its Event Grid subscription, within
//! bounds ([`crate::event_trigger`]).

use crate::event_trigger::{self, EventSubscriptionWait};
use adf_arm::{ArmClient, ArmError, Idempotency};
use adf_core::ResourceAddress;
pub use adf_plan::Phase;
use adf_plan::{Action, Request, Step, Steps};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// How to apply.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Changes of one wave that may run at once.
    pub parallelism: usize,
    /// Set it (on SIGINT or SIGTERM, say) to stop starting steps: those in flight finish, the
    /// others are reported as skipped.
    pub stop: Arc<AtomicBool>,
    /// The bounds of the waits for event triggers' Event Grid subscriptions (steps marked
    /// [`Step::event_trigger`]).
    pub event_subscription: EventSubscriptionWait,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            parallelism: 16,
            stop: Arc::default(),
            event_subscription: EventSubscriptionWait::default(),
        }
    }
}

impl ApplyOptions {
    /// Options with `parallelism` and a stop flag nobody sets.
    pub fn with_parallelism(parallelism: usize) -> Self {
        ApplyOptions {
            parallelism,
            ..ApplyOptions::default()
        }
    }
}

/// Why a step was skipped when the apply was asked to stop.
pub const INTERRUPTED: &str = "interrupted before it started";

/// Progress, for the CLI to show.
#[derive(Debug, Clone)]
pub enum ApplyEvent {
    /// A step began.
    Started {
        /// The resource.
        address: ResourceAddress,
        /// The plan's action.
        action: Action,
        /// The phase.
        phase: Phase,
    },
    /// A step ended.
    Finished(StepOutcome),
}

/// How one step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepStatus {
    /// Done.
    Applied,
    /// ARM refused or the request failed; the message has ARM's code and request id.
    Failed(String),
    /// Not attempted, because something it depends on failed.
    Skipped(String),
}

/// One step's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOutcome {
    /// The resource.
    pub address: ResourceAddress,
    /// The plan's action.
    pub action: Action,
    /// The phase.
    pub phase: Phase,
    /// How it ended.
    pub status: StepStatus,
}

/// Everything apply did, in the order steps ended.
#[derive(Debug, Clone, Default)]
pub struct ApplyReport {
    /// One entry per step attempted or skipped.
    pub outcomes: Vec<StepOutcome>,
}

impl ApplyReport {
    /// Whether every step was applied.
    pub fn succeeded(&self) -> bool {
        self.outcomes
            .iter()
            .all(|outcome| outcome.status == StepStatus::Applied)
    }

    /// The steps that failed or were skipped.
    pub fn problems(&self) -> impl Iterator<Item = &StepOutcome> {
        self.outcomes
            .iter()
            .filter(|outcome| outcome.status != StepStatus::Applied)
    }

    /// Counts of (applied, failed, skipped) steps.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for outcome in &self.outcomes {
            match outcome.status {
                StepStatus::Applied => counts.0 += 1,
                StepStatus::Failed(_) => counts.1 += 1,
                StepStatus::Skipped(_) => counts.2 += 1,
            }
        }
        counts
    }
}

/// Called for every event; must be cheap.
pub type Observer = Arc<dyn Fn(&ApplyEvent) + Send + Sync>;

struct Shared {
    client: ArmClient,
    event_subscription: EventSubscriptionWait,
    observer: Observer,
    broken: Mutex<HashSet<ResourceAddress>>,
    report: Mutex<ApplyReport>,
}

impl Shared {
    fn finish(&self, address: &ResourceAddress, action: Action, phase: Phase, status: StepStatus) {
        if status != StepStatus::Applied
            && let Ok(mut broken) = self.broken.lock()
        {
            broken.insert(address.clone());
        }
        let outcome = StepOutcome {
            address: address.clone(),
            action,
            phase,
            status,
        };
        (self.observer)(&ApplyEvent::Finished(outcome.clone()));
        if let Ok(mut report) = self.report.lock() {
            report.outcomes.push(outcome);
        }
    }

    fn is_broken(&self, address: &ResourceAddress) -> bool {
        self.broken
            .lock()
            .map(|broken| broken.contains(address))
            .unwrap_or(true)
    }

    fn first_broken<'a>(&self, addresses: &'a [ResourceAddress]) -> Option<&'a ResourceAddress> {
        addresses.iter().find(|address| self.is_broken(address))
    }
}

/// A fresh random salt for a secret fingerprint ([`adf_plan::compile`]'s source).
pub fn random_salt() -> Vec<u8> {
    uuid::Uuid::new_v4().as_bytes().to_vec()
}

/// Executes `steps` ([`adf_plan::compile`] of a plan), reporting each step to `observer`.
pub async fn apply(
    client: &ArmClient,
    steps: &Steps,
    options: &ApplyOptions,
    observer: Observer,
) -> ApplyReport {
    let shared = Arc::new(Shared {
        client: client.clone(),
        event_subscription: options.event_subscription.clone(),
        observer,
        broken: Mutex::new(HashSet::new()),
        report: Mutex::new(ApplyReport::default()),
    });
    let parallelism = options.parallelism.max(1);
    let stop = &options.stop;
    run_parallel(&shared, &steps.stops, parallelism, stop).await;
    for wave in &steps.waves {
        run_parallel(&shared, wave, parallelism, stop).await;
    }
    run_parallel(&shared, &steps.starts, parallelism, stop).await;
    shared
        .report
        .lock()
        .map(|report| report.clone())
        .unwrap_or_default()
}

/// Runs independent steps, `parallelism` at a time, and waits for all of them.
async fn run_parallel(
    shared: &Arc<Shared>,
    steps: &[Step],
    parallelism: usize,
    stop: &Arc<AtomicBool>,
) {
    let semaphore = Arc::new(Semaphore::new(parallelism));
    let mut tasks = JoinSet::new();
    for step in steps {
        let shared = shared.clone();
        let semaphore = semaphore.clone();
        let step = step.clone();
        let stop = stop.clone();
        tasks.spawn(async move {
            let Ok(_permit) = semaphore.acquire_owned().await else {
                return;
            };
            if stop.load(Ordering::SeqCst) {
                let status = StepStatus::Skipped(INTERRUPTED.into());
                shared.finish(&step.address, step.action, step.phase, status);
                return;
            }
            run_step(&shared, step).await;
        });
    }
    while tasks.join_next().await.is_some() {}
}

async fn run_step(shared: &Shared, step: Step) {
    // A start needs its own change applied; a change needs what it depends on.
    let blocker = if step.phase == Phase::Start {
        shared
            .is_broken(&step.address)
            .then(|| step.address.clone())
    } else {
        shared.first_broken(&step.depends_on).cloned()
    };
    if let Some(blocker) = blocker {
        let reason = format!("{blocker} was not applied");
        shared.finish(
            &step.address,
            step.action,
            step.phase,
            StepStatus::Skipped(reason),
        );
        return;
    }
    (shared.observer)(&ApplyEvent::Started {
        address: step.address.clone(),
        action: step.action,
        phase: step.phase,
    });
    let client = &shared.client;
    let version = step.api_version;
    if step.event_trigger
        && let Request::Post { path } = &step.request
    {
        let (name, wait) = (&step.address.name, &shared.event_subscription);
        let result = match step.phase {
            Phase::Stop => event_trigger::stop(client, path, version, name, wait).await,
            _ => event_trigger::start(client, path, version, name, wait).await,
        };
        let status = result.map_or_else(StepStatus::Failed, |()| StepStatus::Applied);
        shared.finish(&step.address, step.action, step.phase, status);
        return;
    }
    let result: Result<(), ArmError> = async {
        match &step.request {
            Request::Post { path } => {
                client
                    .post(path, version, None, Idempotency::Idempotent)
                    .await?;
            }
            Request::Delete { path } => client.delete(path, version).await?,
            Request::Put { path, body } => {
                client.put(path, version, body, None).await?;
            }
            Request::DeleteThenPut { path, body } => {
                client.delete(path, version).await?;
                client.put(path, version, body, None).await?;
            }
        }
        Ok(())
    }
    .await;
    let status = match result {
        Ok(()) => StepStatus::Applied,
        Err(error) => StepStatus::Failed(error.to_string()),
    };
    shared.finish(&step.address, step.action, step.phase, status);
}
