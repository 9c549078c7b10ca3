//! The ARM control plane: the HTTP edge ([`http`]: authentication, throttling, fault
//! injection, statistics), the route table and request/reply types ([`arm`]), and the service
//! ([`service`], with the runs API in [`runs_api`]) that answers one request on a store
//! connection (a read-only one for reads, the writer otherwise) and returns its side effects
//! as values.

pub(crate) mod arm;
pub(crate) mod change_data_capture;
pub(crate) mod event_subscription;
mod hidden;
pub(crate) mod http;
pub(crate) mod runs_api;
pub(crate) mod service;
pub(crate) mod webhook;

use crate::state::EmulatorState;
use crate::wire::ArmError;
use arm::{ArmRequest, Reply, Route};
use service::SideEffect;

/// Answers one ARM request, then carries out its side effects (outside the store's lock).
/// Reads go to a read-only connection, concurrently; the rest, and a read that finds a
/// resource-group deletion due, to the writer.
pub(crate) fn dispatch(
    state: &EmulatorState,
    request: &ArmRequest,
    route: &Route,
) -> Result<Reply, ArmError> {
    let read = if service::is_read(request, route) {
        state.with_reader(|config, store| service::read(config, store, request, route))?
    } else {
        None
    };
    let answer = match read {
        Some(answer) => answer,
        None => {
            state.with_store(|config, store| service::dispatch(config, store, request, route))?
        }
    };
    for effect in answer.effects {
        match effect {
            SideEffect::WakeEngine => state.wake_engine(),
            SideEffect::CancelRun(run_id) => state.signal_cancel(&run_id),
        }
    }
    Ok(answer.reply)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::EmulatorConfig;
    use axum::http::{Method, StatusCode};
    use serde_json::{Value, json};
    use std::time::Duration;

    const SUB: &str = "sub";

    fn request(method: Method, path: &str, body: Value) -> (ArmRequest, Route) {
        let segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let version = if path.contains("Microsoft.DataFactory") {
            "2018-06-01"
        } else {
            "2021-04-01"
        };
        let request = ArmRequest {
            method,
            query: vec![("api-version".into(), version.into())],
            if_match: None,
            if_none_match: None,
            base_url: "http://127.0.0.1".into(),
            path: path.to_owned(),
            body: if body.is_null() {
                Default::default()
            } else {
                body.to_string().into()
            },
        };
        (request, Route::parse(&segments))
    }

    fn send(state: &EmulatorState, method: Method, path: &str, body: Value) -> Reply {
        let (request, route) = request(method, path, body);
        dispatch(state, &request, &route).unwrap()
    }

    /// A read is answered while the writer is taken and a write transaction is open on it: it
    /// does not wait for the writer, and it sees the last commit, not the open transaction.
    /// (Were reads still under the writer's lock, the read would never end: the channel's
    /// generous timeout turns that into a failure instead of a hang.)
    #[test]
    fn reads_are_answered_while_a_write_transaction_is_open() {
        let dir = tempfile::tempdir().unwrap();
        let state = EmulatorState::open(EmulatorConfig::new(dir.path())).unwrap();
        let group = format!("/subscriptions/{SUB}/resourcegroups/rg");
        let factory = format!(
            "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.DataFactory/factories/fac"
        );
        let pipeline = format!("{factory}/pipelines/p");
        let body = |description: &str| json!({"properties": {"description": description, "activities": []}});
        for (path, body) in [
            (group.as_str(), json!({"location": "eastus"})),
            (factory.as_str(), json!({"location": "eastus"})),
            (pipeline.as_str(), body("committed")),
        ] {
            assert!(send(&state, Method::PUT, path, body).status.is_success());
        }
        let read = |state: &EmulatorState, path: &str| {
            let reply = send(state, Method::GET, path, Value::Null);
            assert_eq!(reply.status, StatusCode::OK);
            reply.body.unwrap()["properties"]["description"].clone()
        };
        state.with_store(|_, store| {
            store
                .batch(|store| {
                    let (request, route) = request(Method::PUT, &pipeline, body("open"));
                    let config = EmulatorConfig::new(dir.path());
                    service::dispatch(&config, store, &request, &route).unwrap();
                    let (sender, receiver) = std::sync::mpsc::channel();
                    let (reader, path) = (state.clone(), pipeline.clone());
                    std::thread::spawn(move || sender.send(read(&reader, &path)));
                    let seen = receiver
                        .recv_timeout(Duration::from_secs(120))
                        .expect("a read waited for the writer");
                    assert_eq!(seen, json!("committed"));
                })
                .unwrap();
        });
        assert_eq!(
            read(&state, &pipeline),
            json!("open"),
            "committed, so visible"
        );
    }

    #[test]
    fn only_side_effect_free_requests_are_reads() {
        let factory =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataFactory/factories/f";
        let cases = [
            (Method::GET, format!("{factory}/pipelines"), true),
            (Method::GET, format!("{factory}/pipelines/p"), true),
            (
                Method::HEAD,
                "/subscriptions/s/resourcegroups/rg".into(),
                true,
            ),
            (Method::POST, format!("{factory}/queryPipelineRuns"), true),
            (
                Method::POST,
                format!("{factory}/pipelineruns/r/queryActivityruns"),
                true,
            ),
            (Method::PUT, format!("{factory}/pipelines/p"), false),
            (
                Method::POST,
                format!("{factory}/pipelines/p/createRun"),
                false,
            ),
            (
                Method::POST,
                format!("{factory}/pipelineruns/r/cancel"),
                false,
            ),
            (
                Method::GET,
                "/subscriptions/s/operationresults/abc".into(),
                false,
            ),
        ];
        for (method, path, expected) in cases {
            let (request, route) = request(method.clone(), &path, Value::Null);
            assert_eq!(
                service::is_read(&request, &route),
                expected,
                "{method} {path}"
            );
        }
    }
}
