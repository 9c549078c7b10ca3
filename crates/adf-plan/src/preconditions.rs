//! Preconditions: what must already exist live because adfctl may not create it (a resource
//! group or a factory the spec does not manage, the entities it declares `external`). Checked
//! at plan time, before anything is applied, and all reported at once.

use crate::{LiveState, PlanMode};
use adf_core::{DesiredState, Kind, ResourceAddress};

/// At most this many referrers are named in one message.
const REFERRERS_SHOWN: usize = 3;

/// A precondition that does not hold: what is wrong, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmet {
    /// What is missing, and who needs it.
    pub message: String,
    /// What to do next.
    pub hint: String,
}

/// What must exist live for `desired` to be applied, and does not, in `live` (empty: all
/// hold). A missing container hides what it would contain: a missing group is reported alone
/// (its factory and entities cannot exist either), and so is a missing unmanaged factory.
/// Destroy has none: what does not exist is not deleted.
pub fn unmet_preconditions(desired: &DesiredState, live: &LiveState, mode: PlanMode) -> Vec<Unmet> {
    if mode == PlanMode::Destroy {
        return Vec::new();
    }
    let target = &desired.target;
    let group = ResourceAddress::new(Kind::ResourceGroup, &target.resource_group);
    if !desired.resource_group_managed && live.get(&group).is_none() {
        return vec![Unmet {
            message: format!(
                "resource group `{}` does not exist, and the spec says `managed: false` (adfctl may not create it)",
                target.resource_group
            ),
            hint: "ask its owners to create it, or set `resourceGroup.managed: true` in the spec"
                .into(),
        }];
    }
    let factory = ResourceAddress::new(Kind::Factory, &target.factory);
    let factory_exists = live.get(&factory).is_some();
    if !desired.factory_managed && !factory_exists {
        return vec![Unmet {
            message: format!(
                "factory `{}` does not exist in resource group `{}`, and the spec says `factory.managed: false` (adfctl may not create it)",
                target.factory, target.resource_group
            ),
            hint: "ask its owners to create it, check `factory.name`, or set `factory.managed: true` (and `resourceGroup.managed` as needed) to let adfctl create it".into(),
        }];
    }
    desired
        .external
        .iter()
        .filter(|address| live.get(address).is_none())
        .map(|address| missing_external(desired, address, factory_exists))
        .collect()
}

/// What a plan limited by `--include`/`--exclude` needs and does not have: the dependencies
/// an exclude leaves out that do not exist live (the selected entities that reference them
/// could not be written); a replacement of the factory or the group, which would take every
/// entity out of scope with it; and, for a destroy, a deleted entity that a live entity out of
/// scope still references (ARM would refuse the delete part-way).
pub fn unmet_scope(plan: &crate::Plan, live: &LiveState) -> Vec<Unmet> {
    let Some(report) = &plan.scope else {
        return Vec::new();
    };
    let mut unmet: Vec<Unmet> = report
        .excluded_dependencies
        .iter()
        .filter(|address| live.get(address).is_none())
        .map(|address| Unmet {
            message: format!(
                "the selection needs {address}, which --exclude (or `scope.exclude`) leaves out and which does not exist live"
            ),
            hint: "drop the exclude pattern that names it (it then comes in as a dependency), or deploy it first".into(),
        })
        .collect();
    for change in &plan.changes {
        if change.action == crate::Action::Replace && !change.address.kind.is_factory_child() {
            unmet.push(Unmet {
                message: format!(
                    "{} would be replaced, which deletes everything in it, also what --include/--exclude leave out",
                    change.address
                ),
                hint: "plan the whole spec (without --include, --exclude or `scope:`) to replace it".into(),
            });
        }
    }
    if plan.mode == PlanMode::Destroy {
        let deleted: Vec<&ResourceAddress> = plan
            .changes
            .iter()
            .filter(|c| c.action == crate::Action::Delete)
            .map(|c| &c.address)
            .collect();
        for address in &deleted {
            let referrers: Vec<String> = live
                .resources
                .iter()
                .filter(|r| !deleted.contains(&&r.address))
                .filter(|r| adf_core::desired::references(&r.body).contains(address))
                .map(|r| r.address.to_string())
                .collect();
            if !referrers.is_empty() {
                unmet.push(Unmet {
                    message: format!(
                        "{address} cannot be deleted: {} still reference{} it and stay{}",
                        referrers.join(", "),
                        if referrers.len() == 1 { "s" } else { "" },
                        if referrers.len() == 1 { "s" } else { "" }
                    ),
                    hint: "include what references it in the destroy, or leave it out".into(),
                });
            }
        }
    }
    unmet
}

fn missing_external(
    desired: &DesiredState,
    address: &ResourceAddress,
    factory_exists: bool,
) -> Unmet {
    let referrers: Vec<String> = desired
        .resources
        .iter()
        .filter(|resource| resource.references().contains(address))
        .map(|resource| resource.address.to_string())
        .collect();
    let who = match referrers.len() {
        0 => "nothing in the spec references it".to_owned(),
        n if n <= REFERRERS_SHOWN => format!(
            "{} reference{} it",
            referrers.join(", "),
            if n == 1 { "s" } else { "" }
        ),
        n => format!(
            "{} and {} more reference it",
            referrers[..REFERRERS_SHOWN].join(", "),
            n - REFERRERS_SHOWN
        ),
    };
    let factory = &desired.target.factory;
    let place = if factory_exists {
        format!("factory `{factory}`")
    } else {
        format!("factory `{factory}` (which does not exist yet: adfctl would create it without it)")
    };
    Unmet {
        message: format!(
            "external {} `{}` does not exist in {place}; {who}",
            address.kind.address_prefix(),
            address.name
        ),
        hint: format!(
            "its owners must create it first; or correct the name in `external:`, or define it in the spec (and drop `{address}` from `external:`) to let adfctl manage it"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LiveResource;
    use adf_core::{DesiredResource, FactoryTarget};
    use serde_json::json;

    fn desired(group_managed: bool, factory_managed: bool, external: &[&str]) -> DesiredState {
        let target = FactoryTarget {
            subscription: "s".into(),
            resource_group: "rg".into(),
            factory: "f".into(),
        };
        let pipeline = DesiredResource {
            address: ResourceAddress::new(Kind::Pipeline, "p"),
            path: target.resource_path(Kind::Pipeline, "p"),
            body: json!({"properties": {"activities": [{"name": "l", "type": "Lookup",
                "typeProperties": {"dataset": {"referenceName": "shared", "type": "DatasetReference"}}}]}}),
            secrets: vec![],
            runtime_state: None,
        };
        DesiredState {
            target,
            resource_group_managed: group_managed,
            factory_managed,
            external: external
                .iter()
                .filter_map(|text| ResourceAddress::parse(text))
                .collect(),
            resources: vec![pipeline],
        }
    }

    fn live(addresses: &[(Kind, &str)]) -> LiveState {
        LiveState {
            resources: addresses
                .iter()
                .map(|(kind, name)| {
                    LiveResource::new(ResourceAddress::new(*kind, *name), json!({}))
                })
                .collect(),
            other_resources_in_group: None,
        }
    }

    fn messages(unmet: &[Unmet]) -> Vec<&str> {
        unmet.iter().map(|u| u.message.as_str()).collect()
    }

    #[test]
    fn a_missing_container_is_reported_alone() {
        let externals = desired(false, false, &["dataset/shared", "linkedService/kv"]);
        let unmet = unmet_preconditions(&externals, &live(&[]), PlanMode::Apply);
        assert_eq!(unmet.len(), 1);
        assert!(
            unmet[0]
                .message
                .starts_with("resource group `rg` does not exist")
        );
        let unmet = unmet_preconditions(
            &externals,
            &live(&[(Kind::ResourceGroup, "rg")]),
            PlanMode::Apply,
        );
        assert_eq!(
            messages(&unmet),
            [
                "factory `f` does not exist in resource group `rg`, and the spec says `factory.managed: false` (adfctl may not create it)"
            ]
        );
        assert!(unmet[0].hint.contains("factory.managed: true"));
        assert!(unmet_preconditions(&externals, &live(&[]), PlanMode::Destroy).is_empty());
    }

    #[test]
    fn every_missing_external_is_reported_with_who_needs_it() {
        let externals = desired(true, true, &["dataset/shared", "linkedService/kv"]);
        let with_factory = live(&[(Kind::ResourceGroup, "rg"), (Kind::Factory, "f")]);
        let unmet = unmet_preconditions(&externals, &with_factory, PlanMode::Apply);
        assert_eq!(
            messages(&unmet),
            [
                "external dataset `shared` does not exist in factory `f`; pipeline/p references it",
                "external linkedService `kv` does not exist in factory `f`; nothing in the spec references it",
            ]
        );
        assert!(
            unmet[0]
                .hint
                .contains("drop `dataset/shared` from `external:`")
        );
        let mut all = with_factory.clone();
        all.resources
            .extend(live(&[(Kind::Dataset, "SHARED"), (Kind::LinkedService, "kv")]).resources);
        assert!(unmet_preconditions(&externals, &all, PlanMode::Apply).is_empty());
        // A factory adfctl is about to create holds no external yet.
        let unmet = unmet_preconditions(&externals, &live(&[]), PlanMode::Apply);
        assert_eq!(unmet.len(), 2);
        assert!(
            unmet[0].message.contains("which does not exist yet"),
            "{unmet:?}"
        );
    }
}
