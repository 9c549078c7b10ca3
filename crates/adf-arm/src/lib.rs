//! ARM client: credentials, retries, pacing, paging, long-running operations, typed errors.
//!
//! [`ArmClient`] speaks to Azure Resource Manager (or the local emulator) with ARM paths from
//! `adf_core::FactoryTarget`. It is the only crate that knows HTTP on the client side, and it
//! never reads environment variables: the CLI builds [`ArmClientOptions`] and, for Azure,
//! [`ChainSettings::from_env`] from the variables it read. See `docs/arm-client.md`.
//!
//! # Layers
//!
//! Each module imports only modules below it; nothing imports `client`.
//!
//! - `client`: [`ArmClient`], [`ArmClientOptions`] and the typed operations (get, head, put,
//!   patch, delete, post, list). Builds a URL and a call, hands it to the transport, reads the
//!   answer with `wire`, and follows a started operation with a [`Poller`].
//! - `lro`: [`Poller`] and [`LroOptions`]: the polling state machine and its waits. Sends its
//!   GETs through the transport, not through the client.
//! - `transport`: one request through pacing, token, send and retry; returns the last raw
//!   response (any status) and errors only when no response could be had.
//! - `wire`: what a raw response means: success bodies ([`ArmResponse`]), typed [`ArmError`]s
//!   from error statuses and bodies, headers (`Retry-After`, request ids, `ETag`), whether a
//!   201/202 started an operation and where to poll it, operation status bodies, list pages.
//!   Pure: no I/O.
//! - `error` ([`ArmError`]), `credential` (the credential chain and token source), `retry` (the
//!   pure retry policy), `pacing` (spacing from `x-ms-ratelimit-remaining-*`), `endpoint`
//!   (which URLs may carry the token), `stats`, `cloud`, `secret`: leaves and near-leaves.

// `ArmError` keeps ARM's code, message, target, request and correlation ids, method and path
// by value; it is returned at most once per network round trip, so its size does not matter
// and boxing it would only make matching on it clumsier for callers.
#![allow(clippy::result_large_err)]

mod client;
mod cloud;
mod credential;
mod endpoint;
mod error;
mod lro;
mod pacing;
mod retry;
mod secret;
mod stats;
mod transport;
mod wire;

pub use client::{ArmClient, ArmClientOptions};
pub use cloud::{Cloud, UnknownCloud};
pub use credential::{
    Attempt, AttemptOutcome, ChainSettings, Credential, CredentialError, GITHUB_OIDC_AUDIENCE,
    GithubOidcSettings, LOCAL_TOKEN, SourceKind,
};
pub use endpoint::is_loopback;
pub use error::ArmError;
pub use lro::{LroOptions, Poller};
pub use pacing::{Bucket, PacingOptions, remaining_from_headers, spacing};
pub use retry::{Decision, Idempotency, Outcome, RetryOptions, RetryPolicy};
pub use secret::SecretString;
pub use stats::RequestStats;
pub use wire::{ArmResponse, parse_retry_after};
