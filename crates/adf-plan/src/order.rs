//! Ordering: which change must finish before which.
//!
//! An edge `a → b` means "b starts after a finished". Edges come from the hierarchy (resource
//! group → factory → children) and from the `{referenceName, type}` references inside the
//! bodies: desired bodies order creates and updates (the referenced first), live bodies order
//! deletes (the referencing first). A live resource that is updated to drop a reference to a
//! resource being deleted is updated first (this also stops a started trigger before the
//! pipeline it pointed at goes away).

use crate::diff::references;
use crate::{Action, LiveState, ResourceChange};
use adf_core::{DesiredState, Kind, ResourceAddress};
use std::collections::{HashMap, HashSet, VecDeque};

/// Fills `depends_on` and sorts `changes` into execution order (no-ops last).
pub(crate) fn order(
    changes: Vec<ResourceChange>,
    desired: &DesiredState,
    live: &LiveState,
    notes: &mut Vec<String>,
) -> Vec<ResourceChange> {
    let index: HashMap<ResourceAddress, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.address.clone(), i))
        .collect();
    let action_of = |address: &ResourceAddress| index.get(address).map(|&i| changes[i].action);
    let find_kind = |kind: Kind| changes.iter().position(|c| c.kind() == kind);
    let group = find_kind(Kind::ResourceGroup);
    let factory = find_kind(Kind::Factory);
    let active = |i: usize| changes[i].action != Action::NoOp;
    let removes = |i: usize| matches!(changes[i].action, Action::Delete | Action::Replace);

    let desired_by_address: HashMap<&ResourceAddress, &adf_core::DesiredResource> =
        desired.resources.iter().map(|r| (&r.address, r)).collect();
    // Who references whom in live state, computed once (and only when something is deleted:
    // a converged factory's plan reads no live body here): referenced → referrers.
    let mut live_referrers: HashMap<ResourceAddress, Vec<&ResourceAddress>> = HashMap::new();
    let any_delete = changes.iter().any(|c| c.action == Action::Delete);
    for resource in live.resources.iter().filter(|_| any_delete) {
        for reference in references(&resource.body) {
            live_referrers
                .entry(reference)
                .or_default()
                .push(&resource.address);
        }
    }
    let mut predecessors: Vec<Vec<usize>> = vec![Vec::new(); changes.len()];
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    let mut edge = |from: usize, to: usize| {
        if from != to && active(from) && active(to) && seen.insert((from, to)) {
            predecessors[to].push(from);
        }
    };

    for (i, change) in changes.iter().enumerate() {
        if !active(i) {
            continue;
        }
        let kind = change.kind();
        let writes = change.action.writes();
        let deletes = change.action == Action::Delete;
        // Hierarchy.
        for (parent, parent_kind) in [(group, Kind::ResourceGroup), (factory, Kind::Factory)] {
            let Some(parent) = parent else { continue };
            if parent_kind >= kind {
                continue;
            }
            if writes && changes[parent].action.writes() {
                edge(parent, i);
            }
            if deletes && removes(parent) {
                if changes[parent].action == Action::Replace {
                    // Gone with the replaced parent: the explicit DELETE comes after it and
                    // finds nothing (a delete of a missing entity succeeds). Before it, the
                    // live references of recreated siblings would forbid it.
                    edge(parent, i);
                } else {
                    edge(i, parent);
                }
            }
        }
        // Creates and updates: what the desired body references goes first.
        if writes && let Some(resource) = desired_by_address.get(&change.address) {
            for reference in resource.references() {
                if let Some(&j) = index.get(&reference)
                    && changes[j].action.writes()
                {
                    edge(j, i);
                }
            }
        }
        // Deletes: what still references the deleted resource (by its live body) goes first:
        // deleted before it, or updated to drop the reference before it.
        if deletes {
            let referrers = live_referrers
                .get(&change.address)
                .map_or(&[][..], Vec::as_slice);
            for &other in referrers {
                match (index.get(other), action_of(other)) {
                    (Some(&j), Some(Action::Delete | Action::Update)) => edge(j, i),
                    (Some(&j), Some(Action::Replace)) if !removes_parent(&changes, factory) => {
                        edge(j, i)
                    }
                    (_, Some(Action::Replace | Action::Delete | Action::Update)) => {}
                    _ => notes.push(format!(
                        "{other} still references {}, which this plan deletes",
                        change.address
                    )),
                }
            }
        }
    }

    let levels = levels(&changes, &predecessors, notes);
    let depends_on: Vec<Vec<ResourceAddress>> = predecessors
        .iter()
        .map(|preds| {
            let mut depends: Vec<ResourceAddress> =
                preds.iter().map(|&j| changes[j].address.clone()).collect();
            depends.sort();
            depends
        })
        .collect();
    let levels: Vec<Option<usize>> = (0..changes.len())
        .map(|i| active(i).then_some(levels[i]))
        .collect();
    // The changes are moved, not cloned: their bodies are most of a plan's memory.
    let mut with_keys: Vec<(Option<usize>, SortKey, ResourceChange)> = changes
        .into_iter()
        .zip(levels)
        .zip(depends_on)
        .map(|((mut change, level), depends)| {
            change.depends_on = depends;
            (level, sort_key(&change), change)
        })
        .collect();
    // No-ops (level None) sort after every active change.
    with_keys.sort_by(|a, b| {
        let level = |l: &Option<usize>| l.unwrap_or(usize::MAX);
        level(&a.0).cmp(&level(&b.0)).then_with(|| a.1.cmp(&b.1))
    });
    with_keys.into_iter().map(|(_, _, change)| change).collect()
}

fn removes_parent(changes: &[ResourceChange], factory: Option<usize>) -> bool {
    factory.is_some_and(|f| matches!(changes[f].action, Action::Replace | Action::Delete))
}

type SortKey = (u8, i16, String);

/// Within a wave: deletes first (children before parents), then writes in kind order, then
/// by name.
fn sort_key(change: &ResourceChange) -> SortKey {
    let kind = change.kind() as i16;
    match change.action {
        Action::Delete => (0, -kind, adf_core::naming::fold(&change.address.name)),
        _ => (1, kind, adf_core::naming::fold(&change.address.name)),
    }
}

/// The wave of each change: 0 for changes that depend on nothing, else one more than the
/// latest of their predecessors. Changes caught in a cycle (only possible through live
/// references) run after everything else, in kind order, and get a note.
fn levels(
    changes: &[ResourceChange],
    predecessors: &[Vec<usize>],
    notes: &mut Vec<String>,
) -> Vec<usize> {
    // Kahn's algorithm over the active changes; a level is the longest path to the change.
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); changes.len()];
    let mut waiting: Vec<usize> = vec![0; changes.len()];
    for (to, preds) in predecessors.iter().enumerate() {
        waiting[to] = preds.len();
        for &from in preds {
            successors[from].push(to);
        }
    }
    let mut level: Vec<Option<usize>> = vec![None; changes.len()];
    let mut candidate: Vec<usize> = vec![0; changes.len()];
    let mut ready: VecDeque<usize> = (0..changes.len()).filter(|&i| waiting[i] == 0).collect();
    while let Some(i) = ready.pop_front() {
        level[i] = Some(candidate[i]);
        for &next in &successors[i] {
            candidate[next] = candidate[next].max(candidate[i] + 1);
            waiting[next] -= 1;
            if waiting[next] == 0 {
                ready.push_back(next);
            }
        }
    }
    let mut stuck: Vec<usize> = (0..changes.len()).filter(|&i| level[i].is_none()).collect();
    if !stuck.is_empty() {
        stuck.sort_by_key(|&i| sort_key(&changes[i]));
        let names: Vec<String> = stuck
            .iter()
            .map(|&i| changes[i].address.to_string())
            .collect();
        notes.push(format!(
            "dependency cycle (through live references) involving or blocked by {}: they run one at a time, in kind order",
            names.join(", ")
        ));
        let first = level.iter().flatten().max().map_or(0, |l| l + 1);
        for (next, i) in (first..).zip(stuck) {
            level[i] = Some(next);
        }
    }
    level.into_iter().map(|l| l.unwrap_or(0)).collect()
}

/// Groups the active changes into waves from their `depends_on` (see [`crate::Plan::waves`]).
/// A dependency on a change later in the list (a broken cycle) is ignored.
pub(crate) fn waves(changes: &[ResourceChange]) -> Vec<Vec<&ResourceChange>> {
    let mut level_of: HashMap<&ResourceAddress, usize> = HashMap::new();
    let mut waves: Vec<Vec<&ResourceChange>> = Vec::new();
    for change in changes.iter().filter(|c| c.action != Action::NoOp) {
        let level = change
            .depends_on
            .iter()
            .filter_map(|d| level_of.get(d))
            .map(|l| l + 1)
            .max()
            .unwrap_or(0);
        level_of.insert(&change.address, level);
        if waves.len() <= level {
            waves.resize_with(level + 1, Vec::new);
        }
        waves[level].push(change);
    }
    waves.retain(|w| !w.is_empty());
    waves
}
