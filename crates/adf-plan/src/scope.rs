//! `--include` / `--exclude`: plan a chosen subset of the spec, plus what it needs.
//!
//! An entity is *selected* when it matches an include pattern (or there is none) and no exclude
//! pattern. The entities a selected one references (`referenceName`s: linked services, datasets,
//! data flows, integration runtimes, pipelines run by `ExecutePipeline`), transitively, come in
//! as *dependencies*, unless an exclude pattern names them: an excluded dependency is not
//! deployed and must already exist live (a precondition). Everything else (the spec's other
//! entities, and live entities the selection does not match) is *out of scope*: not created,
//! updated, deleted, pruned or stopped, and no drift. The resource group and the factory are
//! always in scope. Pure.

use adf_core::pattern::folder_of;
use adf_core::{DesiredState, EntityPattern, ResourceAddress};
use std::collections::BTreeSet;

/// The patterns of a selection. Empty: the whole spec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// `--include`: an entity must match one of these (none: every entity matches).
    pub include: Vec<EntityPattern>,
    /// `--exclude`: an entity matching one of these is left out, dependency or not.
    pub exclude: Vec<EntityPattern>,
}

impl Scope {
    /// Whether the scope is the whole spec.
    pub fn is_everything(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether an entity is selected by the patterns themselves (dependencies aside).
    pub fn selects(&self, address: &ResourceAddress, folder: Option<&str>) -> bool {
        !address.kind.is_factory_child()
            || ((self.include.is_empty()
                || self.include.iter().any(|p| p.matches(address, folder)))
                && !self.excludes(address, folder))
    }

    /// Whether an exclude pattern names the entity.
    pub fn excludes(&self, address: &ResourceAddress, folder: Option<&str>) -> bool {
        self.exclude.iter().any(|p| p.matches(address, folder))
    }
}

/// What a scope selects from a desired state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeReport {
    /// Entities not matched by the patterns but needed by selected ones: planned too.
    pub dependencies: Vec<ResourceAddress>,
    /// Entities needed by selected ones that an exclude pattern names: not planned; they must
    /// exist live.
    pub excluded_dependencies: Vec<ResourceAddress>,
    /// The spec's entities, and live ones, that the scope leaves alone.
    pub out_of_scope: Vec<ResourceAddress>,
}

/// The desired state limited to the scope (selected entities and their dependencies; the
/// resource group and the factory always), and what was pulled in or left out of the spec.
pub fn select(desired: &DesiredState, scope: &Scope) -> (DesiredState, ScopeReport) {
    let mut report = ScopeReport::default();
    if scope.is_everything() {
        return (desired.clone(), report);
    }
    let mut chosen: BTreeSet<ResourceAddress> = desired
        .resources
        .iter()
        .filter(|r| scope.selects(&r.address, folder_of(&r.body)))
        .map(|r| r.address.clone())
        .collect();
    let mut queue: Vec<ResourceAddress> = chosen.iter().cloned().collect();
    let mut excluded = BTreeSet::new();
    while let Some(address) = queue.pop() {
        let Some(resource) = desired.get(&address) else {
            continue;
        };
        for needed in adf_core::desired::references(&resource.body) {
            if chosen.contains(&needed) || excluded.contains(&needed) {
                continue;
            }
            let folder = desired.get(&needed).and_then(|r| folder_of(&r.body));
            if scope.excludes(&needed, folder) || desired.get(&needed).is_none() {
                // Excluded, or not in the spec at all (the spec's checks see to that one).
                if desired.get(&needed).is_some() {
                    excluded.insert(needed);
                }
                continue;
            }
            report.dependencies.push(needed.clone());
            chosen.insert(needed.clone());
            queue.push(needed);
        }
    }
    report.dependencies.sort();
    report.excluded_dependencies = excluded.into_iter().collect();
    report.out_of_scope = desired
        .resources
        .iter()
        .filter(|r| r.address.kind.is_factory_child() && !chosen.contains(&r.address))
        .map(|r| r.address.clone())
        .collect();
    let mut selected = desired.clone();
    selected
        .resources
        .retain(|r| !r.address.kind.is_factory_child() || chosen.contains(&r.address));
    (selected, report)
}
