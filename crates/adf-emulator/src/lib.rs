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
//!
//! # Two rooms
//!
//! The crate is two module trees that never import each other, over a shared foundation:
//!
//! - `control`, the ARM control plane: the HTTP edge (`control::http`: authentication,
//!   throttling, fault injection, statistics), the route table and request/reply types
//!   (`control::arm`), and the service (`control::service`, with the runs API in
//!   `control::runs_api`). The service is synchronous and runs under the store's lock; it returns
//!   its reply together with its side effects as values (`SideEffect::WakeEngine` after a
//!   createRun, `SideEffect::CancelRun` after a cancel) instead of acting on the runtime.
//! - `runtime`, the pipeline runtime: the run engine (`runtime::engine`: the polling loop, one
//!   task per run, blocks in dependency order, retries and timeouts), the activities, one module
//!   per family (`runtime::activities::{control_flow, variables, execute_pipeline, copy}`), the
//!   Blob REST client ([`blob`]) and the trigger scheduler (`runtime::schedule`). Activities
//!   call back into the engine (nested blocks, child runs) through function pointers in their
//!   run context (`runtime::context`), so the engine and the activities form no import circle.
//!
//! The foundation both rooms use: `config`; `error` ([`EmulatorError`]); `wire`, a leaf module
//! with the ARM wire format (the error body shape, ids, timestamps, paging tokens); `store`, the
//! SQLite store; `ledger`, the typed run ledger, the one module that reads and writes run
//! documents (pipeline, activity and trigger runs) and answers the run queries; and `state`,
//! the [`EmulatorState`] both rooms share, where the control plane's side effects are carried
//! out once the store's lock is released.

// Shared foundation: settings, errors, the ARM wire format, the store and the run ledger.
mod config;
mod error;
mod harness;
mod key_vault;
mod ledger;
mod rng;
mod shown;
mod state;
mod stats;
mod store;
mod throttle;
mod webhooks;
mod wire;

// The two rooms.
mod control;
mod runtime;

// Beside them, as the router is: the test endpoints (`/_emulator/...`), and a linked
// service's connection test (`POST .../testConnectivity`), which needs the runtime's clients.
mod connectivity;
mod test_api;

// Beside them too: the read-only monitor page (`/`, `/monitor/...`) over the ARM API.
pub mod monitor;

pub use config::{BucketLimit, Clock, DEVELOPMENT_BLOB_ENDPOINT, EmulatorConfig, ThrottleLimits};
pub use error::EmulatorError;
pub use key_vault::{KEY_VAULT_ENV_PREFIX, KeyVaultSecrets};
pub use ledger::{ActivityRunRecord, PipelineRunInfo, RunStatus};
pub use runtime::blob;
pub use runtime::{RunEngine, Scheduler};
pub use state::EmulatorState;

/// The run types an executor works with (also at the crate root).
pub mod runs {
    pub use crate::ledger::{ActivityRunRecord, PipelineRunInfo, RunStatus};
}

use control::http;
use std::net::SocketAddr;

/// The emulator's router: `GET /_emulator/stats` plus every ARM path. Tests drive it with
/// `tower::ServiceExt::oneshot`, no socket needed.
pub fn router(state: EmulatorState) -> axum::Router {
    axum::Router::new()
        .route("/_emulator/stats", axum::routing::get(http::stats))
        .route("/_emulator/mocks", axum::routing::put(test_api::put_mocks))
        .route(
            "/_emulator/runs/{run_id}/variables",
            axum::routing::get(test_api::run_variables),
        )
        .route(
            "/_emulator/postgres/{action}",
            axum::routing::post(test_api::postgres_fixture),
        )
        .route(
            "/_emulator/privateEndpoints/{action}",
            axum::routing::post(test_api::private_endpoint_answer),
        )
        .route(
            "/_emulator/webhooks/{id}",
            axum::routing::post(control::webhook::callback),
        )
        .route(
            "/_emulator/subscriptions",
            axum::routing::get(monitor::subscriptions),
        )
        .route("/", axum::routing::get(monitor::page))
        .route("/monitor", axum::routing::get(monitor::page))
        .route("/monitor/", axum::routing::get(monitor::page))
        .route("/monitor/{*view}", axum::routing::get(monitor::page))
        .route(monitor::SCRIPT_PATH, axum::routing::get(monitor::script))
        .route(monitor::STYLE_PATH, axum::routing::get(monitor::style))
        // `POST .../testConnectivity` goes to `connectivity`, every other ARM path to the edge.
        .fallback(connectivity::arm_entry)
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
    // WebHook activities give endpoints a callback URI on this address.
    let reachable = match addr.ip() {
        ip if ip.is_unspecified() => {
            SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        _ => addr,
    };
    state.webhooks().set_base_url(format!("http://{reachable}"));
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
