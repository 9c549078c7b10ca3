//! ARM client: credentials, retries, pacing, paging, long-running operations, typed errors.
//!
//! [`ArmClient`] speaks to Azure Resource Manager (or the local emulator) with ARM paths from
//! `adf_core::FactoryTarget`. It is the only crate that knows HTTP on the client side, and it
//! never reads environment variables: the CLI builds [`ArmClientOptions`] and, for Azure,
//! [`ChainSettings::from_env`] from the variables it read. See `docs/arm-client.md`.

// `ArmError` keeps ARM's code, message, target, request and correlation ids, method and path
// by value; it is returned at most once per network round trip, so its size does not matter
// and boxing it would only make matching on it clumsier for callers.
#![allow(clippy::result_large_err)]

mod client;
mod cloud;
mod credential;
mod error;
mod lro;
mod pacing;
mod retry;
mod secret;
mod stats;

pub use client::{ArmClient, ArmClientOptions, ArmResponse, is_loopback};
pub use cloud::{Cloud, UnknownCloud};
pub use credential::{
    Attempt, AttemptOutcome, ChainSettings, Credential, CredentialError, GITHUB_OIDC_AUDIENCE,
    GithubOidcSettings, LOCAL_TOKEN, SourceKind,
};
pub use error::ArmError;
pub use lro::{LroOptions, Poller};
pub use pacing::{Bucket, PacingOptions, remaining_from_headers, spacing};
pub use retry::{Decision, Idempotency, Outcome, RetryOptions, RetryPolicy, parse_retry_after};
pub use secret::SecretString;
pub use stats::RequestStats;
