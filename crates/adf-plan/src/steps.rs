//! A plan compiled to the requests apply sends: Terraform's rule that the plan describes the
//! apply entirely. The engine executes these steps and decides nothing; the planner's tests
//! interpret the same steps.
//!
//! Three phases, as ADF's trigger rules require (a started trigger refuses PUT and DELETE):
//! 1. stop the started triggers the plan must change or delete;
//! 2. the plan's waves, in order (the steps of one wave are independent of each other);
//! 3. start the triggers whose desired state is Started.
//!
//! A stop or start of an event trigger (`BlobEventsTrigger`, `CustomEventsTrigger`) is marked
//! [`Step::event_trigger`]: ADF refuses to update, start or delete such a trigger while its
//! Event Grid subscription is provisioning or deprovisioning, so the engine settles the
//! subscription around the POST (see [`Step::event_trigger`]). Whether a trigger is one is
//! read from its body's `type`: the live body for a stop, the desired one for a start.
//!
//! Pure: the bodies come from the desired state; what they keep of the live state
//! (read-merge-write of the factory and the group, the secrets' salt, a carried-over
//! `encryptedCredential`) from the live state the plan was made against; new salts from the
//! source the caller injects.

use crate::{Action, LiveState, Plan, ResourceChange, fingerprint};
use adf_core::path::api_version;
use adf_core::{DesiredState, ResourceAddress};
use serde_json::Value;

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

/// What one step sends. Paths are ARM paths (no host, no api-version).
#[derive(Clone, PartialEq)]
pub enum Request {
    /// `POST {path}` (a trigger's `…/stop` or `…/start`).
    Post {
        /// The action's path.
        path: String,
    },
    /// `DELETE {path}`.
    Delete {
        /// The resource's path.
        path: String,
    },
    /// `PUT {path}` with `body`, which holds secret values: never print it.
    Put {
        /// The resource's path.
        path: String,
        /// The body.
        body: Value,
    },
    /// `DELETE {path}`, then `PUT {path}` with `body` (a replace).
    DeleteThenPut {
        /// The resource's path.
        path: String,
        /// The body (secret values: never print it).
        body: Value,
    },
}

/// Bodies hold secret values: Debug shows the method and the path only.
impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::Post { path } => write!(f, "POST {path}"),
            Request::Delete { path } => write!(f, "DELETE {path}"),
            Request::Put { path, .. } => write!(f, "PUT {path}"),
            Request::DeleteThenPut { path, .. } => write!(f, "DELETE+PUT {path}"),
        }
    }
}

/// One request of the apply, with what it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The resource.
    pub address: ResourceAddress,
    /// The plan's action on it.
    pub action: Action,
    /// The phase.
    pub phase: Phase,
    /// The api-version of the request.
    pub api_version: &'static str,
    /// What is sent.
    pub request: Request,
    /// Steps of earlier waves that must have been applied (else this one is skipped).
    pub depends_on: Vec<ResourceAddress>,
    /// A stop or start of an event trigger. The engine then also settles its Event Grid
    /// subscription: after a stop it unsubscribes and waits until the subscription is
    /// `Disabled` (so that the PUT or DELETE that follows is accepted); a start is retried
    /// while the subscription is still changing, then waited on until it is `Enabled`.
    pub event_trigger: bool,
}

/// The whole apply, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Steps {
    /// Phase 1 (independent of each other).
    pub stops: Vec<Step>,
    /// Phase 2: each wave's steps are independent of each other; waves run in order.
    pub waves: Vec<Vec<Step>>,
    /// Phase 3 (independent of each other).
    pub starts: Vec<Step>,
}

impl Steps {
    /// How many requests steps there are in all.
    pub fn len(&self) -> usize {
        self.stops.len() + self.waves.iter().map(Vec::len).sum::<usize>() + self.starts.len()
    }

    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why a plan cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// The plan writes a resource the desired state does not define (a plan and a desired
    /// state that do not belong together).
    #[error("{address}: the plan writes it, but the spec does not define it")]
    NotInSpec {
        /// The resource.
        address: ResourceAddress,
    },
}

/// Compiles `plan` (made from `desired` against `live`) into the steps apply sends. `salt`
/// gives a fresh random salt (16 bytes or more) for each body written without a live
/// fingerprint to reuse (it is used when the body has secrets).
pub fn compile(
    plan: &Plan,
    desired: &DesiredState,
    live: &LiveState,
    salt: &mut dyn FnMut() -> Vec<u8>,
) -> Result<Steps, CompileError> {
    let trigger_step = |change: &ResourceChange, phase: Phase| {
        // A stop acts on the live trigger, a start on the one just written (or kept).
        let body = match phase {
            Phase::Stop => live.get(&change.address).map(|r| &r.body),
            _ => desired
                .get(&change.address)
                .map(|r| &r.body)
                .or_else(|| live.get(&change.address).map(|r| &r.body)),
        };
        Step {
            address: change.address.clone(),
            action: change.action,
            phase,
            api_version: api_version(change.kind()),
            request: Request::Post {
                path: format!("{}/{}", change.path, phase.as_str()),
            },
            depends_on: Vec::new(),
            event_trigger: body.is_some_and(is_event_trigger),
        }
    };
    let mut steps = Steps {
        stops: plan
            .changes
            .iter()
            .filter(|c| c.needs_stop)
            .map(|c| trigger_step(c, Phase::Stop))
            .collect(),
        ..Steps::default()
    };
    for wave in plan.waves() {
        let mut compiled = Vec::new();
        for change in wave {
            let request = match change.action {
                Action::NoOp => continue,
                Action::Delete => Request::Delete {
                    path: change.path.clone(),
                },
                // A trigger whose only change is its runtime state: phases 1 and 3 do it.
                Action::Create | Action::Update if !change.body_changed => continue,
                Action::Create | Action::Update | Action::Replace => {
                    let resource =
                        desired
                            .get(&change.address)
                            .ok_or_else(|| CompileError::NotInSpec {
                                address: change.address.clone(),
                            })?;
                    let body = put_body(resource, change.action, live, salt);
                    let path = change.path.clone();
                    if change.action == Action::Replace {
                        Request::DeleteThenPut { path, body }
                    } else {
                        Request::Put { path, body }
                    }
                }
            };
            compiled.push(Step {
                address: change.address.clone(),
                action: change.action,
                phase: Phase::Change,
                api_version: api_version(change.kind()),
                request,
                depends_on: change.depends_on.clone(),
                event_trigger: false,
            });
        }
        if !compiled.is_empty() {
            steps.waves.push(compiled);
        }
    }
    steps.starts = plan
        .changes
        .iter()
        .filter(|c| c.needs_start)
        .map(|c| trigger_step(c, Phase::Start))
        .collect();
    Ok(steps)
}

/// Whether a trigger body (`{"properties": {"type": …}}`) is an event trigger, whose start
/// subscribes to Event Grid and whose stop unsubscribes.
pub fn is_event_trigger(body: &Value) -> bool {
    body.pointer("/properties/type")
        .and_then(Value::as_str)
        .is_some_and(|kind| matches!(kind, "BlobEventsTrigger" | "CustomEventsTrigger"))
}

/// The body to PUT ([`crate::body_to_put`]: read-merge-write for the factory and the group,
/// the secrets' fingerprint for children). The salt is the live one when there is one, so that
/// an unchanged secret keeps an unchanged annotation; a fresh one otherwise. A child that is
/// replaced (deleted, then created, say with its factory) has no live body to keep anything
/// from: its old `encryptedCredential` belonged to what was deleted.
fn put_body(
    resource: &adf_core::DesiredResource,
    action: Action,
    live: &LiveState,
    salt: &mut dyn FnMut() -> Vec<u8>,
) -> Value {
    let replaced_child = action == Action::Replace && resource.address.kind.is_factory_child();
    let live_body = live
        .get(&resource.address)
        .map(|r| &r.body)
        .filter(|_| !replaced_child);
    let salt = live_body
        .and_then(fingerprint::find)
        .and_then(fingerprint::parse)
        .map(|(salt, _)| salt)
        .unwrap_or_else(salt);
    crate::body_to_put(resource, live_body, &salt)
}
