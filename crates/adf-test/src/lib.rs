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

/// Applies `desired` to the factory it targets (normally an empty emulator), as `apply` would,
/// with every trigger stopped: a test runs its pipeline by name, and a schedule firing in the
/// middle would run others. A resource group or factory the spec does not manage
/// (`managed: false`) is created first, as their owners would have; an `external` entity must
/// be defined for the tests (a stub in a test overlay), and its absence is said.
pub async fn deploy(client: &ArmClient, desired: &DesiredState) -> Result<(), String> {
    let mut desired = desired.clone();
    for resource in &mut desired.resources {
        if resource.runtime_state.is_some() {
            resource.runtime_state = Some(adf_core::RuntimeStatePolicy::Stopped);
        }
    }
    let desired = &desired;
    let target = &desired.target;
    let location = desired
        .resources
        .iter()
        .find_map(|r| r.body.get("location").and_then(|l| l.as_str()))
        .unwrap_or("eastus")
        .to_owned();
    let mut owned_elsewhere = Vec::new();
    if !desired.resource_group_managed {
        owned_elsewhere.push((
            target.resource_path(adf_core::Kind::ResourceGroup, &target.resource_group),
            adf_core::RESOURCES_API_VERSION,
        ));
    }
    if !desired.factory_managed {
        owned_elsewhere.push((
            target.resource_path(adf_core::Kind::Factory, &target.factory),
            adf_core::ADF_API_VERSION,
        ));
    }
    for (path, api_version) in owned_elsewhere {
        client
            .put(
                &path,
                api_version,
                &serde_json::json!({"location": location}),
                None,
            )
            .await
            .map_err(|error| format!("cannot create {path} in the emulator: {error}"))?;
    }
    let live = adf_engine::refresh(client, &desired.target, false)
        .await
        .map_err(|error| format!("cannot read the emulator's state: {error}"))?;
    let unmet = adf_plan::unmet_preconditions(desired, &live, adf_plan::PlanMode::Apply);
    if !unmet.is_empty() {
        let said: Vec<String> = unmet.iter().map(|u| u.message.clone()).collect();
        return Err(format!(
            "{}; under test, define each external entity in a test overlay (a stub with the same name)",
            said.join("; ")
        ));
    }
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
        .map(|outcome| match &outcome.status {
            adf_engine::StepStatus::Failed(why) => format!("{}: {why}", outcome.address),
            adf_engine::StepStatus::Skipped(why) => format!("{}: skipped ({why})", outcome.address),
            adf_engine::StepStatus::Applied => outcome.address.to_string(),
        })
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use adf_core::{DesiredResource, FactoryTarget, Kind, ResourceAddress, RuntimeStatePolicy};
    use serde_json::json;

    /// Under test, a started schedule trigger is deployed stopped: tests run pipelines by name.
    #[tokio::test]
    async fn triggers_are_deployed_stopped() {
        let environment =
            environment::Environment::start(None, adf_emulator::KeyVaultSecrets::new())
                .await
                .unwrap();
        let target = FactoryTarget {
            subscription: "00000000-0000-0000-0000-000000000000".into(),
            resource_group: "rg".into(),
            factory: "triggers-stopped".into(),
        };
        let resource = |kind: Kind, name: &str, body: serde_json::Value| DesiredResource {
            address: ResourceAddress::new(kind, name),
            path: target.resource_path(kind, name),
            body,
            secrets: Vec::new(),
            runtime_state: (kind == Kind::Trigger).then_some(RuntimeStatePolicy::Started),
        };
        let desired = DesiredState {
            target: target.clone(),
            resource_group_managed: true,
            factory_managed: true,
            external: Vec::new(),
            resources: vec![
                resource(Kind::ResourceGroup, "rg", json!({"location": "eastus"})),
                resource(
                    Kind::Factory,
                    "triggers-stopped",
                    json!({"location": "eastus"}),
                ),
                resource(
                    Kind::Pipeline,
                    "p",
                    json!({"properties": {"activities": []}}),
                ),
                resource(
                    Kind::Trigger,
                    "everyMinute",
                    json!({"properties": {"type": "ScheduleTrigger",
                        "pipelines": [{"pipelineReference": {"referenceName": "p", "type": "PipelineReference"}}],
                        "typeProperties": {"recurrence": {"frequency": "Minute", "interval": 1,
                            "startTime": "2026-01-01T00:00:00Z", "timeZone": "UTC"}}}}),
                ),
            ],
        };
        deploy(&environment.client, &desired).await.unwrap();
        let trigger = environment
            .client
            .get(
                &target.resource_path(Kind::Trigger, "everyMinute"),
                adf_core::ADF_API_VERSION,
            )
            .await
            .unwrap();
        assert_eq!(trigger.body["properties"]["runtimeState"], "Stopped");
        environment.stop().await;
    }
}
