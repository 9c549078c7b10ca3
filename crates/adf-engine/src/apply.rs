//! Executing a plan.
//!
//! Three phases, as ADF's trigger rules require (a started trigger refuses PUT and DELETE):
//! 1. stop the started triggers the plan must change or delete;
//! 2. the plan's waves, in order; the changes of one wave in parallel (`parallelism` at most);
//! 3. start the triggers whose desired state is Started.
//!
//! A failed step does not stop the others: steps that depend on it (directly or through a
//! failed or skipped step) are skipped, in-flight steps finish, and the report says exactly
//! what was applied. Every step is idempotent (PUT, DELETE that accepts 404, start/stop), so
//! a re-run after any failure or crash converges.

use adf_arm::{ArmClient, ArmError, Idempotency};
use adf_core::path::api_version;
use adf_core::{DesiredResource, DesiredState, Kind, ResourceAddress};
use adf_plan::{Action, LiveState, Plan, ResourceChange, fingerprint};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// How to apply.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Changes of one wave that may run at once.
    pub parallelism: usize,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions { parallelism: 16 }
    }
}

/// Which phase a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Stopping a started trigger before it changes.
    Stop,
    /// The change itself (PUT, DELETE, or DELETE then PUT).
    Change,
    /// Starting a trigger after it changed.
    Start,
}

impl Phase {
    /// `stop`, `change` or `start`.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Stop => "stop",
            Phase::Change => "change",
            Phase::Start => "start",
        }
    }
}

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

/// One unit of work with everything it needs (owned, so it can run on a task).
struct Step {
    address: ResourceAddress,
    action: Action,
    path: String,
    kind: Kind,
    depends_on: Vec<ResourceAddress>,
    /// The body to PUT (holds secret values: never logged).
    put_body: Option<Value>,
}

/// Executes `plan`. `desired` supplies the bodies to PUT (with their secret values), `live`
/// the bodies that the factory's read-merge-write and the secret fingerprints' salts need.
pub async fn apply(
    client: &ArmClient,
    plan: &Plan,
    desired: &DesiredState,
    live: &LiveState,
    options: &ApplyOptions,
    observer: Observer,
) -> ApplyReport {
    let shared = Arc::new(Shared {
        client: client.clone(),
        observer,
        broken: Mutex::new(HashSet::new()),
        report: Mutex::new(ApplyReport::default()),
    });
    let parallelism = options.parallelism.max(1);

    // Phase 1: stop the started triggers that must change.
    let stops: Vec<&ResourceChange> = plan.changes.iter().filter(|c| c.needs_stop).collect();
    run_trigger_actions(&shared, &stops, Phase::Stop, parallelism).await;

    // Phase 2: the waves.
    for wave in plan.waves() {
        let semaphore = Arc::new(Semaphore::new(parallelism));
        let mut tasks = JoinSet::new();
        for change in wave {
            if !change.body_changed
                && change.action != Action::Delete
                && change.action != Action::Replace
            {
                continue; // a runtime-state-only trigger change: phases 1 and 3 do it
            }
            let step = Step {
                address: change.address.clone(),
                action: change.action,
                path: change.path.clone(),
                kind: change.kind(),
                depends_on: change.depends_on.clone(),
                put_body: change
                    .action
                    .writes()
                    .then(|| desired.get(&change.address))
                    .flatten()
                    .map(|resource| body_to_put(resource, change.action, live)),
            };
            if change.action.writes() && step.put_body.is_none() {
                shared.finish(
                    &step.address,
                    step.action,
                    Phase::Change,
                    StepStatus::Failed(
                        "the plan changes a resource the spec does not define".into(),
                    ),
                );
                continue;
            }
            let shared = shared.clone();
            let semaphore = semaphore.clone();
            tasks.spawn(async move {
                let Ok(_permit) = semaphore.acquire_owned().await else {
                    return;
                };
                run_change(&shared, step).await;
            });
        }
        while tasks.join_next().await.is_some() {}
    }

    // Phase 3: start the triggers whose desired state is Started.
    let starts: Vec<&ResourceChange> = plan.changes.iter().filter(|c| c.needs_start).collect();
    run_trigger_actions(&shared, &starts, Phase::Start, parallelism).await;

    shared
        .report
        .lock()
        .map(|report| report.clone())
        .unwrap_or_default()
}

async fn run_change(shared: &Shared, step: Step) {
    if let Some(blocker) = shared.first_broken(&step.depends_on) {
        let reason = format!("{blocker} was not applied");
        shared.finish(
            &step.address,
            step.action,
            Phase::Change,
            StepStatus::Skipped(reason),
        );
        return;
    }
    (shared.observer)(&ApplyEvent::Started {
        address: step.address.clone(),
        action: step.action,
        phase: Phase::Change,
    });
    let version = api_version(step.kind);
    let result: Result<(), ArmError> = async {
        if matches!(step.action, Action::Delete | Action::Replace) {
            shared.client.delete(&step.path, version).await?;
        }
        if let Some(body) = &step.put_body {
            shared.client.put(&step.path, version, body, None).await?;
        }
        Ok(())
    }
    .await;
    let status = match result {
        Ok(()) => StepStatus::Applied,
        Err(error) => StepStatus::Failed(error.to_string()),
    };
    shared.finish(&step.address, step.action, Phase::Change, status);
}

async fn run_trigger_actions(
    shared: &Arc<Shared>,
    changes: &[&ResourceChange],
    phase: Phase,
    parallelism: usize,
) {
    let semaphore = Arc::new(Semaphore::new(parallelism));
    let mut tasks = JoinSet::new();
    for change in changes {
        let address = change.address.clone();
        let action = change.action;
        if phase == Phase::Start && shared.is_broken(&address) {
            shared.finish(
                &address,
                action,
                phase,
                StepStatus::Skipped(format!("{address} was not applied")),
            );
            continue;
        }
        let path = format!("{}/{}", change.path, phase.as_str());
        let shared = shared.clone();
        let semaphore = semaphore.clone();
        tasks.spawn(async move {
            let Ok(_permit) = semaphore.acquire_owned().await else {
                return;
            };
            (shared.observer)(&ApplyEvent::Started {
                address: address.clone(),
                action,
                phase,
            });
            let result = shared
                .client
                .post(
                    &path,
                    api_version(Kind::Trigger),
                    None,
                    Idempotency::Idempotent,
                )
                .await;
            let status = match result {
                Ok(_) => StepStatus::Applied,
                Err(error) => StepStatus::Failed(error.to_string()),
            };
            shared.finish(&address, action, phase, status);
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// The body to PUT ([`adf_plan::body_to_put`]: read-merge-write for the factory and the group,
/// the secrets' fingerprint for children). The salt is the live one when there is one, so that
/// an unchanged secret keeps an unchanged annotation; a fresh random one otherwise. A child
/// that is replaced (deleted, then created, say with its factory) has no live body to keep
/// anything from: its old `encryptedCredential` belonged to what was deleted.
fn body_to_put(resource: &DesiredResource, action: Action, live: &LiveState) -> Value {
    let replaced_child = action == Action::Replace && resource.address.kind.is_factory_child();
    let live_body = live
        .get(&resource.address)
        .map(|r| &r.body)
        .filter(|_| !replaced_child);
    let salt = live_body
        .and_then(fingerprint::find)
        .and_then(fingerprint::parse)
        .map(|(salt, _)| salt)
        .unwrap_or_else(|| uuid::Uuid::new_v4().as_bytes().to_vec());
    adf_plan::body_to_put(resource, live_body, &salt)
}
