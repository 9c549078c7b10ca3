//! Shared helpers for the router-level tests: an emulator on a temporary store, driven with
//! `tower::ServiceExt::oneshot` (no socket).
#![allow(dead_code, clippy::unwrap_used)]

use adf_emulator::{Clock, EmulatorConfig, EmulatorState, router};
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub const SUB: &str = "12345678-1234-1234-1234-12345678abc";
pub const ADF: &str = "api-version=2018-06-01";
pub const RES: &str = "api-version=2021-04-01";

pub struct Emu {
    pub state: EmulatorState,
    pub dir: tempfile::TempDir,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
    /// The body failed mid-way: over a socket, the client sees a dropped connection.
    pub dropped: bool,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

pub fn config(dir: &std::path::Path) -> EmulatorConfig {
    let mut config = EmulatorConfig::new(dir);
    config.seed = Some(1);
    config.clock = Clock::fixed(time::macros::datetime!(2026-01-02 03:04:05.5 UTC));
    config.delete_delay = std::time::Duration::from_secs(3600);
    config
}

impl Emu {
    pub fn new() -> Emu {
        Emu::with(|_| {})
    }

    /// Closes this emulator and opens its store again without any knobs.
    pub fn reopen_clean(self) -> Emu {
        let Emu { state, dir } = self;
        drop(state);
        Emu {
            state: EmulatorState::open(config(dir.path())).unwrap(),
            dir,
        }
    }

    pub fn with(adjust: impl FnOnce(&mut EmulatorConfig)) -> Emu {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path());
        adjust(&mut config);
        Emu {
            state: EmulatorState::open(config).unwrap(),
            dir,
        }
    }

    pub async fn raw(&self, request: Request<Body>) -> Answer {
        let response = router(self.state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let (bytes, dropped) = match response.into_body().collect().await {
            Ok(collected) => (collected.to_bytes(), false),
            Err(_) => (axum::body::Bytes::new(), true),
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
            dropped,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut builder = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "127.0.0.1:4000")
            .header("authorization", "Bearer test");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let body = match body {
            Some(value) => {
                builder = builder.header("content-type", "application/json");
                Body::from(value.to_string())
            }
            None => Body::empty(),
        };
        self.raw(builder.body(body).unwrap()).await
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.call(Method::GET, uri, None, &[]).await
    }

    pub async fn put(&self, uri: &str, body: Value) -> Answer {
        self.call(Method::PUT, uri, Some(body), &[]).await
    }

    pub async fn post(&self, uri: &str, body: Value) -> Answer {
        self.call(Method::POST, uri, Some(body), &[]).await
    }

    pub async fn delete(&self, uri: &str) -> Answer {
        self.call(Method::DELETE, uri, None, &[]).await
    }

    /// Creates a group and a factory; returns the factory path (no query).
    pub async fn factory(&self, group: &str, factory: &str) -> String {
        let answer = self
            .put(&group_uri(group), serde_json::json!({"location": "eastus"}))
            .await;
        assert!(answer.status.is_success(), "{}", answer.text);
        let path = factory_path(group, factory);
        let answer = self
            .put(
                &format!("{path}?{ADF}"),
                serde_json::json!({"location": "East US"}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        path
    }
}

pub fn group_uri(group: &str) -> String {
    format!("/subscriptions/{SUB}/resourcegroups/{group}?{RES}")
}

pub fn factory_path(group: &str, factory: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.DataFactory/factories/{factory}"
    )
}

/// The run engine on a router-level emulator with one factory: put entities, run pipelines to
/// their end, read their activity runs.
pub mod running {
    use super::{ADF, Emu};
    use adf_emulator::RunEngine;
    use serde_json::{Value, json};
    use std::time::{Duration, Instant};

    /// Every run, whatever its time (`queryActivityruns`' window).
    pub const WINDOW: &str = r#"{"lastUpdatedAfter": "2000-01-01T00:00:00Z", "lastUpdatedBefore": "2100-01-01T00:00:00Z"}"#;

    /// An emulator with its run engine and one factory.
    pub struct Running {
        pub emu: Emu,
        engine: Option<RunEngine>,
        /// The factory's ARM path.
        pub factory: String,
    }

    impl Running {
        /// A factory `name` in group `rg`, the engine polling every 50 ms.
        pub async fn new(name: &str) -> Running {
            Running::with(name, |_| {}).await
        }

        /// [`Running::new`], with the emulator's settings adjusted.
        pub async fn with(
            name: &str,
            adjust: impl FnOnce(&mut adf_emulator::EmulatorConfig),
        ) -> Running {
            let emu = Emu::with(|c| {
                c.executor_poll = Duration::from_millis(50);
                adjust(c);
            });
            let factory = emu.factory("rg", name).await;
            let engine = Some(RunEngine::start(&emu.state));
            Running {
                emu,
                engine,
                factory,
            }
        }

        /// PUTs an entity (`kind` as in the URL: `pipelines`, `datasets`...).
        pub async fn put(&self, kind: &str, name: &str, properties: Value) {
            let answer = self
                .emu
                .put(
                    &format!("{}/{kind}/{name}?{ADF}", self.factory),
                    json!({ "properties": properties }),
                )
                .await;
            assert!(answer.status.is_success(), "{kind}/{name}: {}", answer.text);
        }

        /// Starts a run; its id.
        pub async fn start_run(&self, pipeline: &str, parameters: Value) -> String {
            let answer = self
                .emu
                .post(
                    &format!("{}/pipelines/{pipeline}/createRun?{ADF}", self.factory),
                    parameters,
                )
                .await;
            assert!(answer.status.is_success(), "{}", answer.text);
            answer.body["runId"].as_str().unwrap().to_owned()
        }

        /// The run document.
        pub async fn get_run(&self, run_id: &str) -> Value {
            self.emu
                .get(&format!("{}/pipelineruns/{run_id}?{ADF}", self.factory))
                .await
                .body
        }

        /// Waits (at most 2 minutes) until the run has ended; the run document.
        pub async fn wait(&self, run_id: &str) -> Value {
            let deadline = Instant::now() + Duration::from_secs(120);
            loop {
                let run = self.get_run(run_id).await;
                let status = run["status"].as_str().unwrap_or_default();
                if ["Succeeded", "Failed", "Cancelled"].contains(&status) {
                    return run;
                }
                assert!(Instant::now() < deadline, "run still {status}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }

        /// Runs `pipeline` to its end: (the run, its activity runs).
        pub async fn run(&self, pipeline: &str, parameters: Value) -> (Value, Vec<Value>) {
            let run_id = self.start_run(pipeline, parameters).await;
            let run = self.wait(&run_id).await;
            (run, self.activities(&run_id).await)
        }

        /// A run's activity runs.
        pub async fn activities(&self, run_id: &str) -> Vec<Value> {
            let answer = self
                .emu
                .post(
                    &format!(
                        "{}/pipelineruns/{run_id}/queryActivityruns?{ADF}",
                        self.factory
                    ),
                    serde_json::from_str(WINDOW).unwrap(),
                )
                .await;
            answer.body["value"].as_array().cloned().unwrap_or_default()
        }

        /// Stops the engine; the emulator, for what a test still reads.
        pub async fn stop(mut self) -> Emu {
            if let Some(engine) = self.engine.take() {
                engine.stop().await;
            }
            self.emu
        }
    }

    /// The activity runs named `name`.
    pub fn named<'a>(activities: &'a [Value], name: &str) -> Vec<&'a Value> {
        activities
            .iter()
            .filter(|a| a["activityName"] == name)
            .collect()
    }

    /// The one activity run named `name`.
    pub fn one<'a>(activities: &'a [Value], name: &str) -> &'a Value {
        let found = named(activities, name);
        assert_eq!(found.len(), 1, "{name} in {activities:#?}");
        found[0]
    }

    /// A SetVariable activity.
    pub fn set(name: &str, variable: &str, value: Value) -> Value {
        json!({"name": name, "type": "SetVariable", "typeProperties": {"variableName": variable, "value": value}})
    }
}
