//! Reading a live factory for `export`: its live state, as the spec exporter's input.

use crate::EngineError;
use adf_arm::ArmClient;
use adf_core::{FactoryTarget, Kind};
use adf_plan::normalise;
use adf_spec::export::{ExportEntity, ExportInput};

/// Reads the factory `target` names (and its group) as export input, server-owned fields
/// removed; `None` when the factory does not exist.
pub async fn read_factory(
    client: &ArmClient,
    target: &FactoryTarget,
    manage_resource_group: bool,
) -> Result<Option<ExportInput>, EngineError> {
    let live = crate::refresh(client, target, false).await?;
    Ok(export_input(target, &live, manage_resource_group))
}

/// The live state as export input: server-owned fields removed (adf-plan's normalisation, with
/// the body itself as the "desired" side so that nothing the user set is dropped).
pub(crate) fn export_input(
    target: &FactoryTarget,
    live: &adf_plan::LiveState,
    manage_resource_group: bool,
) -> Option<ExportInput> {
    let factory = live
        .resources
        .iter()
        .find(|r| r.address.kind == Kind::Factory)?;
    let group = live
        .resources
        .iter()
        .find(|r| r.address.kind == Kind::ResourceGroup)
        .map(|r| normalise::normalise(Kind::ResourceGroup, &r.body, Some(&r.body)));
    let entities = live
        .resources
        .iter()
        .filter(|r| r.address.kind.is_factory_child())
        .map(|r| ExportEntity {
            kind: r.address.kind,
            name: r.address.name.clone(),
            body: normalise::normalise(r.address.kind, &r.body, Some(&r.body)),
            runtime_state: r
                .runtime_state()
                .filter(|_| r.address.kind == Kind::Trigger),
        })
        .collect();
    Some(ExportInput {
        target: FactoryTarget {
            factory: factory.address.name.clone(),
            ..target.clone()
        },
        resource_group: group,
        manage_resource_group,
        factory: normalise::normalise(Kind::Factory, &factory.body, Some(&factory.body)),
        entities,
    })
}
