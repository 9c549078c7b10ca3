//! The ARM control plane: the HTTP edge ([`http`]: authentication, throttling, fault
//! injection, statistics), the route table and request/reply types ([`arm`]), and the service
//! ([`service`], with the runs API in [`runs_api`]) that answers one request under the store's
//! lock and returns its side effects as values.

pub(crate) mod arm;
pub(crate) mod change_data_capture;
pub(crate) mod event_subscription;
pub(crate) mod http;
pub(crate) mod runs_api;
pub(crate) mod service;
pub(crate) mod webhook;

use crate::state::EmulatorState;
use crate::wire::ArmError;
use arm::{ArmRequest, Reply, Route};
use service::SideEffect;

/// Answers one ARM request, then carries out its side effects (outside the store's lock).
pub(crate) fn dispatch(
    state: &EmulatorState,
    request: &ArmRequest,
    route: &Route,
) -> Result<Reply, ArmError> {
    let answer =
        state.with_store(|config, store| service::dispatch(config, store, request, route))?;
    for effect in answer.effects {
        match effect {
            SideEffect::WakeEngine => state.wake_engine(),
            SideEffect::CancelRun(run_id) => state.signal_cancel(&run_id),
        }
    }
    Ok(answer.reply)
}
