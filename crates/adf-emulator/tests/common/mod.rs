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
