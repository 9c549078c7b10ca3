//! `adfctl test`: pipeline tests that run real pipelines on the local emulator, with fixtures
//! (blobs in Azurite), mocks (activities that cannot or should not run locally) and
//! assertions (run and activity statuses, outputs, variables, output blobs).
//!
//! - [`file`]: the test-file format (`*.test.yaml`) and its reader;
//! - [`environment`]: an in-process emulator and, when needed, Azurite;
//! - [`deploy`]: the spec applied to the emulator (the planner and the engine, as `apply`);
//! - [`runner`]: one test: mocks, fixtures, the run, the checks;
//! - [`report`]: the JUnit XML CI systems read.
//!
//! This crate sits beside the CLI: it depends on the engine (over HTTP) and on the emulator
//! (to start one, and for its blob client), which never depend on each other.

pub mod environment;
pub mod file;
pub mod postgres;
pub mod report;
pub mod runner;

use adf_arm::ArmClient;
use adf_core::DesiredState;

/// Applies `desired` to the factory it targets (normally an empty emulator), as `apply` would.
pub async fn deploy(client: &ArmClient, desired: &DesiredState) -> Result<(), String> {
    let live = adf_engine::refresh(client, &desired.target, false)
        .await
        .map_err(|error| format!("cannot read the emulator's state: {error}"))?;
    let plan = adf_plan::plan(desired, &live, &adf_plan::PlanOptions::apply());
    let steps = adf_plan::compile(&plan, desired, &live, &mut adf_engine::random_salt)
        .map_err(|error| format!("cannot deploy the spec: {error}"))?;
    let observer: adf_engine::Observer = std::sync::Arc::new(|_| {});
    let report = adf_engine::apply(
        client,
        &steps,
        &adf_engine::ApplyOptions::default(),
        observer,
    )
    .await;
    let problems: Vec<String> = report
        .problems()
        .map(|outcome| format!("{}: {:?}", outcome.address, outcome.status))
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the spec did not deploy to the emulator: {}",
            problems.join("; ")
        ))
    }
}
