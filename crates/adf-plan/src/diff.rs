//! The diff: desired against live, resource by resource.

use crate::normalise::normalise_in_place;
use crate::scope::{self, ScopeReport};
use crate::{
    Action, LiveResource, LiveState, Plan, PlanMode, PlanOptions, ResourceChange, fingerprint,
    merge, order,
};
use adf_core::pattern::folder_of;
use adf_core::secret::{self, ARM_MASK, REDACTED};
use adf_core::{
    DesiredResource, DesiredState, Kind, ResourceAddress, RuntimeStatePolicy, TriggerRuntimeState,
};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Plans `desired` against `live`. Pure: the same inputs always give the same plan.
pub fn plan(desired: &DesiredState, live: &LiveState, options: &PlanOptions) -> Plan {
    let scoped = scoped(desired, live, options);
    let (desired, live, scope) = match &scoped {
        Some((desired, live, report)) => (desired, live, Some(report.clone())),
        None => (desired, live, None),
    };
    let mut notes = Vec::new();
    let mut unmanaged = Vec::new();
    let mut kept = Vec::new();
    let changes = match options.mode {
        PlanMode::Apply => plan_apply(
            desired,
            live,
            options,
            (&mut unmanaged, &mut kept),
            &mut notes,
        ),
        PlanMode::Destroy => plan_destroy(
            desired,
            live,
            options,
            (&mut unmanaged, &mut kept),
            &mut notes,
        ),
    };
    let mut changes = order::order(changes, desired, live, &mut notes);
    for change in &mut changes {
        change.overrides = options
            .overrides
            .iter()
            .filter(|o| {
                o.address == change.address
                    && options.mode == PlanMode::Apply
                    && change.action != Action::Delete
            })
            .cloned()
            .collect();
    }
    unmanaged.sort();
    kept.sort();
    // Declared external and live: left alone (a destroy of the whole factory takes them).
    let mut external: Vec<ResourceAddress> = live
        .resources
        .iter()
        .map(|r| &r.address)
        .filter(|a| desired.is_external(a) && !changes.iter().any(|c| &c.address == *a))
        .cloned()
        .collect();
    external.sort();
    Plan {
        target: desired.target.clone(),
        mode: options.mode,
        changes,
        unmanaged,
        kept,
        external,
        notes,
        scope,
    }
}

/// The desired and live states limited to `options.scope`, and what it pulled in and left
/// out (`None` for the whole spec: nothing to limit). Destroy deletes only what the patterns name: never a
/// dependency, the factory or the resource group.
fn scoped(
    desired: &DesiredState,
    live: &LiveState,
    options: &PlanOptions,
) -> Option<(DesiredState, LiveState, ScopeReport)> {
    if options.scope.is_everything() {
        return None;
    }
    let (selected, mut report) = scope::select(desired, &options.scope);
    let destroy = options.mode == PlanMode::Destroy;
    let mut in_scope = live.clone();
    in_scope.resources.retain(|resource| {
        let address = &resource.address;
        if !address.kind.is_factory_child() {
            return !destroy;
        }
        if desired.is_external(address) {
            // Listed as external, whatever the scope; a scoped destroy never takes one.
            return !destroy;
        }
        // What the spec defines is in scope as the selection says (by the spec's folder, not
        // the live one); a live entity the spec does not define, as the patterns say of it.
        let keep = if desired.get(address).is_some() {
            selected.get(address).is_some() && !(destroy && report.dependencies.contains(address))
        } else {
            // A scoped destroy deletes only what the spec defines.
            !destroy && options.scope.selects(address, folder_of(&resource.body))
        };
        if !keep && !report.out_of_scope.contains(address) {
            report.out_of_scope.push(address.clone());
        }
        keep
    });
    if destroy {
        in_scope.other_resources_in_group = None;
        // Nothing is pulled in to be deleted (others may still need it), and nothing needs
        // to exist for a delete.
        report.dependencies.clear();
        report.excluded_dependencies.clear();
    }
    report.out_of_scope.sort();
    Some((selected, in_scope, report))
}

fn plan_apply(
    desired: &DesiredState,
    live: &LiveState,
    options: &PlanOptions,
    (unmanaged, kept): (&mut Vec<ResourceAddress>, &mut Vec<ResourceAddress>),
    notes: &mut Vec<String>,
) -> Vec<ResourceChange> {
    let prune = options.prune;
    // Entities owned elsewhere (`prune.keep`): neither pruned nor drift.
    let mut resources: Vec<&DesiredResource> = desired.resources.iter().collect();
    // The resource group and the factory decide whether their children are recreated.
    resources.sort_by_key(|r| r.address.kind);
    let live_by_address: HashMap<&ResourceAddress, &LiveResource> =
        live.resources.iter().map(|r| (&r.address, r)).collect();
    let desired_addresses: HashSet<&ResourceAddress> =
        desired.resources.iter().map(|r| &r.address).collect();
    let mut replaced_parent: Option<ResourceAddress> = None;
    // The group and the factory first: when one is replaced, its children are recreated and
    // keep their bodies; otherwise a child's no-op keeps none (see `slim`).
    let merged = resources
        .iter()
        .take_while(|r| merge::is_merged(r.address.kind))
        .count();
    let mut compared = compare_all(&resources[..merged], &live_by_address, false);
    let parent_replaced = compared.iter().zip(&resources).any(|(change, resource)| {
        // An unmanaged group that cannot change in place is left as it is, not replaced.
        let unmanaged_group =
            resource.address.kind == Kind::ResourceGroup && !desired.resource_group_managed;
        change.action == Action::Replace && !unmanaged_group
    });
    compared.extend(compare_all(
        &resources[merged..],
        &live_by_address,
        !parent_replaced,
    ));
    let mut changes = Vec::new();
    for (resource, mut change) in resources.into_iter().zip(compared) {
        let live_resource = live_by_address.get(&resource.address).copied();
        let kind = resource.address.kind;
        if let Some(parent) = &replaced_parent {
            if live_resource.is_some() {
                recreate(&mut change, resource, parent);
            }
        } else if change.action == Action::Replace && merge::is_merged(kind) {
            if kind == Kind::ResourceGroup && !desired.resource_group_managed {
                notes.push(format!(
                    "{}: {}; the group is not managed by the spec (managed: false), so adfctl leaves it as it is",
                    resource.address,
                    change.reason.as_deref().unwrap_or("cannot change in place")
                ));
                change = unchanged(change);
            } else {
                replaced_parent = Some(resource.address.clone());
            }
        }
        changes.push(change);
    }
    for live_resource in &live.resources {
        let address = &live_resource.address;
        if !address.kind.is_factory_child() || desired_addresses.contains(address) {
            continue;
        }
        if let Some(parent) = &replaced_parent {
            let mut change = deletion(live_resource, desired);
            change.reason = Some(format!("deleted with {parent}"));
            change.needs_stop = false;
            changes.push(change);
            if desired.is_external(address) {
                notes.push(format!(
                    "{address} is external (owned elsewhere) and goes with {parent}: adfctl cannot create it again"
                ));
            }
        } else if desired.is_external(address) {
            // Owned elsewhere: listed in `Plan::external`, never changed.
        } else if kept_by(options, live_resource) {
            kept.push(address.clone());
        } else if prune && address.kind == Kind::ManagedVirtualNetwork {
            // ADF's API has no DELETE for a managed virtual network: it goes with the factory.
            notes.push(format!(
                "{address} is not in the spec but is not pruned: ADF cannot delete a factory's managed virtual network"
            ));
            unmanaged.push(address.clone());
        } else if prune {
            changes.push(deletion(live_resource, desired));
        } else {
            unmanaged.push(address.clone());
        }
    }
    changes
}

/// [`compare`] of every resource with its live counterpart, in order. Each comparison stands
/// alone (normalising, redacting, fingerprinting secrets), so large specs are split across the
/// machine's cores; the result is the same as one after the other.
fn compare_all(
    resources: &[&DesiredResource],
    live: &HashMap<&ResourceAddress, &LiveResource>,
    slim_noops: bool,
) -> Vec<ResourceChange> {
    const PER_THREAD: usize = 500;
    let one = |resource: &&DesiredResource| {
        let change = compare(resource, live.get(&resource.address).copied());
        if slim_noops { slim(change) } else { change }
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(resources.len() / PER_THREAD);
    if threads <= 1 {
        return resources.iter().map(one).collect();
    }
    let chunk = resources.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = resources
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// A factory child's no-op without its bodies: nothing shows them (every rendering leaves a
/// no-op's bodies out), and in a converged factory of thousands of entities they were most of
/// a plan's memory. What the cost estimate needs of a pipeline or a trigger is kept in
/// `calls`; the live etag stays, for a saved plan's staleness check.
fn slim(mut change: ResourceChange) -> ResourceChange {
    if change.action != Action::NoOp
        || !change.address.kind.is_factory_child()
        || change.live_etag.is_none()
    {
        return change;
    }
    if matches!(change.address.kind, Kind::Pipeline | Kind::Trigger)
        && let Some(body) = change.after.as_deref().or(change.before.as_deref())
    {
        change.calls = crate::cost::calls(body);
    }
    change.before = None;
    change.after = None;
    change
}

/// Destroy: everything live in the factory, then the factory, then the group (when the spec
/// manages them and nothing else is in the group). A factory the spec does not manage
/// (`factory.managed: false`) is kept, and so are its children the spec does not define.
fn plan_destroy(
    desired: &DesiredState,
    live: &LiveState,
    options: &PlanOptions,
    (unmanaged, kept): (&mut Vec<ResourceAddress>, &mut Vec<ResourceAddress>),
    notes: &mut Vec<String>,
) -> Vec<ResourceChange> {
    let mut changes = Vec::new();
    for live_resource in &live.resources {
        let address = &live_resource.address;
        match address.kind {
            Kind::Factory if !desired.factory_managed => {
                let reason = "the spec does not manage it (factory.managed: false)";
                notes.push(format!(
                    "{address} is kept: {reason}; only the entities the spec defines are deleted"
                ));
                let mut change = unchanged(deletion(live_resource, desired));
                change.reason = Some(format!("kept: {reason}"));
                changes.push(change);
            }
            _ if address.kind.is_factory_child()
                && !desired.factory_managed
                && desired.get(address).is_none() =>
            {
                if desired.is_external(address) {
                    // Listed in `Plan::external`.
                } else if kept_by(options, live_resource) {
                    kept.push(address.clone());
                } else {
                    unmanaged.push(address.clone());
                }
            }
            Kind::ManagedVirtualNetwork => {
                // ADF's API has no DELETE for it: it goes with the factory, or stays.
                let mut change = unchanged(deletion(live_resource, desired));
                change.reason = Some(if desired.factory_managed {
                    "goes with the factory (ADF cannot delete it on its own)".into()
                } else {
                    "kept: ADF cannot delete a factory's managed virtual network".into()
                });
                changes.push(change);
            }
            Kind::ResourceGroup => {
                let mut change = deletion(live_resource, desired);
                match keep_group_reason(desired, live) {
                    None => changes.push(change),
                    Some(reason) => {
                        notes.push(format!("{address} is kept: {reason}"));
                        change.action = Action::NoOp;
                        change.reason = Some(format!("kept: {reason}"));
                        changes.push(change);
                    }
                }
            }
            _ => {
                let mut change = deletion(live_resource, desired);
                if desired.is_external(address) {
                    change.reason =
                        Some("external (owned elsewhere), but it goes with the factory".into());
                } else if address.kind.is_factory_child() && desired.get(address).is_none() {
                    change.reason = Some("not in the spec; goes with the factory".into());
                }
                changes.push(change);
            }
        }
    }
    changes
}

/// Whether a `prune.keep` pattern names a live entity: owned elsewhere, never pruned, no drift.
fn kept_by(options: &PlanOptions, resource: &LiveResource) -> bool {
    options
        .keep_unmanaged
        .iter()
        .any(|pattern| pattern.matches(&resource.address, folder_of(&resource.body)))
}

fn keep_group_reason(desired: &DesiredState, live: &LiveState) -> Option<String> {
    if !desired.resource_group_managed {
        return Some("the spec does not manage it (managed: false)".into());
    }
    if !desired.factory_managed {
        // The reader refuses a managed group around an unmanaged factory; a hand-built
        // desired state is held to the same rule here.
        return Some("it holds a factory the spec does not manage (factory.managed: false)".into());
    }
    match &live.other_resources_in_group {
        None => Some("its other contents were not listed".into()),
        Some(others) if others.is_empty() => None,
        Some(others) => {
            let shown: Vec<&str> = others.iter().take(3).map(String::as_str).collect();
            let more = if others.len() > 3 { ", …" } else { "" };
            Some(format!(
                "it holds {} other resource{} ({}{more})",
                others.len(),
                if others.len() == 1 { "" } else { "s" },
                shown.join(", ")
            ))
        }
    }
}

/// A delete of a live resource. The secrets the spec marks (if it defines the resource) are
/// redacted too: ARM may return a value in clear when ADF does not know it is one.
fn deletion(live: &LiveResource, desired: &DesiredState) -> ResourceChange {
    let address = live.address.clone();
    let path = desired.target.resource_path(address.kind, &address.name);
    let pointers = desired
        .get(&address)
        .map(DesiredResource::all_secret_pointers)
        .unwrap_or_default();
    let mut change = ResourceChange::new(address, path, Action::Delete);
    let mut before = live.body.clone();
    normalise_in_place(live.address.kind, &mut before, None);
    secret::redact_in_place(&mut before, &pointers);
    change.before = Some(Arc::new(before));
    change.live_etag = live.etag();
    if live.address.kind == Kind::Trigger {
        let state = live.runtime_state();
        change.runtime_state = Some((state, None));
        change.needs_stop = state == Some(TriggerRuntimeState::Started);
    }
    change
}

/// Turns a change into a no-op (keeping what was compared, for display).
fn unchanged(mut change: ResourceChange) -> ResourceChange {
    change.action = Action::NoOp;
    change.reason = None;
    change.changed_secrets.clear();
    change.body_changed = false;
    change.needs_stop = false;
    change.needs_start = false;
    change
}

/// A live resource that goes away with its replaced parent and is written again after it.
fn recreate(change: &mut ResourceChange, resource: &DesiredResource, parent: &ResourceAddress) {
    change.action = Action::Replace;
    change.reason = Some(format!("recreated with {parent}"));
    change.body_changed = true;
    change.changed_secrets.clear();
    if resource.address.kind == Kind::Trigger {
        // As `compare` resolved it (under `Keep`, the live state).
        let desired_state = change
            .runtime_state
            .and_then(|(_, desired)| desired)
            .unwrap_or(TriggerRuntimeState::Started);
        change.needs_stop = false;
        change.needs_start = desired_state == TriggerRuntimeState::Started;
    }
}

/// Compares one desired resource with its live counterpart.
fn compare(resource: &DesiredResource, live: Option<&LiveResource>) -> ResourceChange {
    let kind = resource.address.kind;
    let pointers = resource.all_secret_pointers();
    let mut change = ResourceChange::new(
        resource.address.clone(),
        resource.path.clone(),
        Action::Create,
    );
    let policy = (kind == Kind::Trigger).then(|| {
        resource
            .runtime_state
            .unwrap_or(RuntimeStatePolicy::Started)
    });
    change.runtime_state_kept = policy == Some(RuntimeStatePolicy::Keep);
    let Some(live) = live else {
        let mut after = resource.body.clone();
        normalise_in_place(kind, &mut after, Some(&resource.body));
        secret::redact_in_place(&mut after, &pointers);
        change.after = Some(Arc::new(after));
        change.body_changed = true;
        if let Some(state) = policy.map(|p| p.resolve(None)) {
            change.runtime_state = Some((None, Some(state)));
            change.needs_start = state == TriggerRuntimeState::Started;
        }
        return change;
    };
    change.live_etag = live.etag();

    // One copy of each side, normalised and redacted in place.
    let mut after = merge::merged(kind, &resource.body, Some(&live.body));
    normalise_in_place(kind, &mut after, Some(&resource.body));
    let mut before = live.body.clone();
    normalise_in_place(kind, &mut before, Some(&resource.body));

    // Secrets: replace each with the same placeholder on both sides, and compare the values
    // apart (in memory only), so a secret never reaches `before`/`after`.
    let mut masked = Vec::new();
    let mut changed_in_clear = Vec::new();
    for pointer in &pointers {
        let desired_value = resource.body.pointer(pointer);
        if let Some(slot) = before.pointer_mut(pointer) {
            if slot.as_str() == Some(ARM_MASK) {
                masked.push(pointer.clone());
            } else if Some(&*slot) != desired_value {
                changed_in_clear.push(pointer.clone());
            }
            *slot = Value::String(REDACTED.to_owned());
        }
        if let Some(slot) = after.pointer_mut(pointer) {
            *slot = Value::String(REDACTED.to_owned());
        }
    }
    // The credential parts of a plain connection string: ARM takes them out (ARM-FACTS §12),
    // so, like a masked secret, only the fingerprint can tell whether they changed.
    for (label, _) in secret::connection_string_credentials(&resource.body) {
        let (pointer, _) = label.split_once('#').unwrap_or((&label, ""));
        match live.body.pointer(pointer).and_then(Value::as_str) {
            Some(text) if secret::connection_string::credentials(text).is_empty() => {
                masked.push(label);
            }
            Some(text) => {
                let desired_text = resource.body.pointer(pointer).and_then(Value::as_str);
                let desired_parts = desired_text.map(secret::connection_string::credentials);
                if desired_parts.as_ref() != Some(&secret::connection_string::credentials(text)) {
                    changed_in_clear.push(label);
                }
            }
            None => {}
        }
    }
    // SecureString values anywhere else (live ones the spec does not mark) are redacted too.
    secret::redact_in_place(&mut before, &[]);
    secret::redact_in_place(&mut after, &[]);

    let mut reasons = Vec::new();
    if let (Some(Value::String(was)), Some(Value::String(will))) =
        (before.get("location"), after.get("location"))
        && merge::is_merged(kind)
        && was != will
    {
        change.action = Action::Replace;
        change.reason = Some(format!("location cannot change in place ({was} → {will})"));
        change.before = Some(Arc::new(before));
        change.after = Some(Arc::new(after));
        change.body_changed = true;
        return change;
    }

    let mut secrets_changed = changed_in_clear;
    if !masked.is_empty() {
        match fingerprint::find(&live.body) {
            Some(annotation) => {
                // The digest covers every secret of the resource. Secrets ARM returned in
                // clear and that changed are known already; to learn whether a masked one
                // changed too, use their live (last written) values in the digest.
                let pairs: Vec<(String, String)> = fingerprint::secret_pairs(resource)
                    .into_iter()
                    .map(|(pointer, value)| {
                        let live_value = secrets_changed
                            .contains(&pointer)
                            .then(|| live_secret(&live.body, &pointer))
                            .flatten();
                        (pointer, live_value.unwrap_or(value))
                    })
                    .collect();
                let borrowed: Vec<(&str, &str)> = pairs
                    .iter()
                    .map(|(p, v)| (p.as_str(), v.as_str()))
                    .collect();
                if fingerprint::matches(annotation, &borrowed) != Some(true) {
                    secrets_changed.extend(masked);
                }
            }
            None => {
                reasons.push(
                    "secrets cannot be compared (no adfctl fingerprint: written outside adfctl); they are written once"
                        .to_owned(),
                );
                secrets_changed.extend(masked);
            }
        }
    }
    secrets_changed.sort();
    secrets_changed.dedup();
    if !secrets_changed.is_empty() && reasons.is_empty() {
        reasons.push("(secret changed)".to_owned());
    }

    let body_changed = before != after || !secrets_changed.is_empty();
    change.body_changed = body_changed;
    change.changed_secrets = secrets_changed;
    change.action = if body_changed {
        Action::Update
    } else {
        Action::NoOp
    };

    if body_changed && crate::carried_credential(resource, Some(&live.body)).is_some() {
        reasons.push(
            "keeps its stored credential (the live encryptedCredential is sent back)".to_owned(),
        );
    }

    // ADF has no update for a managed private endpoint (its PUT on an existing one is
    // refused): a change deletes it and creates it again, which needs approval again.
    if kind == Kind::ManagedPrivateEndpoint && body_changed {
        change.action = Action::Replace;
        reasons.insert(
            0,
            "a managed private endpoint cannot change in place (the new one needs approval again)"
                .to_owned(),
        );
    }

    // ADF refuses to change a tumbling window trigger's startTime in place
    // (TumblingWindowTriggerStartTimeUpdateNotAllowed, ARM-FACTS §7): delete and create.
    let start_time = "/properties/typeProperties/startTime";
    if kind == Kind::Trigger
        && after.pointer("/properties/type").and_then(Value::as_str)
            == Some("TumblingWindowTrigger")
        && before.pointer("/properties/type") == after.pointer("/properties/type")
        && before.pointer(start_time) != after.pointer(start_time)
    {
        change.action = Action::Replace;
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("none").to_owned();
        reasons.insert(
            0,
            format!(
                "a tumbling window trigger's startTime cannot change in place ({} → {})",
                text(before.pointer(start_time)),
                text(after.pointer(start_time))
            ),
        );
    }

    if let Some(policy) = policy {
        let live_state = live.runtime_state();
        // Under `Keep` this is the live state: no start or stop of its own, and a trigger
        // stopped to be written is started again only if it was started.
        let state = policy.resolve(live_state);
        let started = live_state == Some(TriggerRuntimeState::Started);
        change.runtime_state = Some((live_state, Some(state)));
        let wants_started = state == TriggerRuntimeState::Started;
        change.needs_stop = started && (body_changed || !wants_started);
        change.needs_start = wants_started && (!started || body_changed);
        if started != wants_started {
            if change.action == Action::NoOp {
                change.action = Action::Update;
            }
            reasons.push(format!(
                "runtimeState {} → {}",
                state_name(live_state),
                state_name(Some(state))
            ));
        }
    }
    if same_in_order(&before, &after) {
        // Held once: a converged factory's plan is all no-ops, and each body is most of it.
        let body = Arc::new(after);
        change.before = Some(body.clone());
        change.after = Some(body);
    } else {
        change.before = Some(Arc::new(before));
        change.after = Some(Arc::new(after));
    }
    change.reason = (!reasons.is_empty()).then(|| reasons.join("; "));
    change
}

/// The live value of a secret in clear: at a JSON pointer, or (a `pointer#Key` label) the
/// credential part `Key` of the connection string there. Never print it.
fn live_secret(live: &Value, label: &str) -> Option<String> {
    match label.split_once('#') {
        Some((pointer, key)) => {
            secret::connection_string::credentials(live.pointer(pointer)?.as_str()?)
                .into_iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, value)| value.to_owned())
        }
        None => live
            .pointer(label)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
    }
}

/// Whether two bodies are equal with their object keys in the same order: sharing one for
/// both then changes nothing anyone can see, not even in a saved plan's text. (`==` ignores
/// the order of keys.)
fn same_in_order(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && same_in_order(va, vb))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_in_order(a, b))
        }
        (a, b) => a == b,
    }
}

/// `Started`, `Stopped`, or `absent`.
pub(crate) fn state_name(state: Option<TriggerRuntimeState>) -> &'static str {
    match state {
        Some(TriggerRuntimeState::Started) => "Started",
        Some(TriggerRuntimeState::Stopped) => "Stopped",
        None => "absent",
    }
}

/// The references a live or desired body makes, for ordering.
pub(crate) fn references(body: &Value) -> Vec<ResourceAddress> {
    adf_core::desired::references(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn comparisons_split_across_threads_are_those_made_one_after_the_other() {
        // Enough resources for several threads; every third differs from its live body, every
        // fifth is missing live.
        let resources: Vec<DesiredResource> = (0..1_700)
            .map(|i| DesiredResource {
                address: ResourceAddress::new(Kind::Pipeline, format!("p{i}")),
                path: format!("/pipelines/p{i}"),
                body: json!({"properties": {"description": format!("d{i}"), "activities": []}}),
                secrets: Vec::new(),
                runtime_state: None,
            })
            .collect();
        let live: Vec<LiveResource> = resources
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 5 != 0)
            .map(|(i, r)| {
                let mut body = r.body.clone();
                if i % 3 == 0 {
                    body["properties"]["description"] = json!("changed");
                }
                LiveResource::new(r.address.clone(), body)
            })
            .collect();
        let by_address: HashMap<&ResourceAddress, &LiveResource> =
            live.iter().map(|r| (&r.address, r)).collect();
        let refs: Vec<&DesiredResource> = resources.iter().collect();
        let one_by_one: Vec<ResourceChange> = refs
            .iter()
            .map(|r| compare(r, by_address.get(&r.address).copied()))
            .collect();
        let split = compare_all(&refs, &by_address, false);
        assert!(split == one_by_one);
        let creates = split.iter().filter(|c| c.action == Action::Create).count();
        let updates = split.iter().filter(|c| c.action == Action::Update).count();
        assert_eq!((creates, updates), (340, 453));
    }

    fn desired_child(kind: Kind, name: &str, properties: Value) -> DesiredResource {
        DesiredResource {
            address: ResourceAddress::new(kind, name),
            path: format!("/{name}"),
            body: json!({ "properties": properties }),
            secrets: Vec::new(),
            runtime_state: None,
        }
    }

    #[test]
    fn a_converged_childs_no_op_keeps_no_bodies_and_the_estimate_what_it_needs() {
        let call = |p: &str| {
            json!({"name": "call", "type": "ExecutePipeline",
                "typeProperties": {"pipeline": {"referenceName": p, "type": "PipelineReference"}}})
        };
        let resources = vec![
            desired_child(
                Kind::Pipeline,
                "parent",
                json!({"activities": [call("child")]}),
            ),
            desired_child(Kind::Pipeline, "child", json!({"activities": []})),
            desired_child(Kind::Pipeline, "idle", json!({"activities": []})),
            desired_child(
                Kind::Trigger,
                "nightly",
                json!({"type": "ScheduleTrigger", "runtimeState": "Started",
                    "pipelines": [{"pipelineReference": {"referenceName": "parent", "type": "PipelineReference"}}]}),
            ),
        ];
        let live = LiveState {
            resources: resources
                .iter()
                .map(|r| {
                    let mut body = r.body.clone();
                    body["etag"] = json!("e1");
                    LiveResource::new(r.address.clone(), body)
                })
                .collect(),
            ..LiveState::empty()
        };
        let desired = DesiredState {
            target: adf_core::FactoryTarget {
                subscription: "s".into(),
                resource_group: "rg".into(),
                factory: "f".into(),
            },
            resource_group_managed: true,
            factory_managed: true,
            external: Vec::new(),
            resources: resources.clone(),
        };
        let plan = plan(&desired, &live, &PlanOptions::apply());
        assert!(!plan.has_changes());
        for change in &plan.changes {
            assert!(
                change.before.is_none() && change.after.is_none(),
                "{change:?}"
            );
        }
        let parent = plan
            .get(&ResourceAddress::new(Kind::Pipeline, "parent"))
            .unwrap();
        assert_eq!(parent.calls, ["child"]);
        // The same estimate as from the bodies: the trigger starts parent, which runs child.
        let estimate = crate::cost::of_plan(&plan);
        assert_eq!(estimate.now, estimate.after);
        assert_eq!(estimate.now.pipelines, 3);
        assert_eq!(estimate.now.inactive, ["idle"]);
        assert_eq!(estimate.now, crate::cost::of_desired(&desired));
        // A saved plan carries what the estimate needs.
        let saved =
            crate::saved::SavedPlan::new(&plan, &desired, &PlanOptions::apply(), &[7u8; 16]);
        let back = crate::saved::SavedPlan::from_file_str(&saved.to_file_string()).unwrap();
        assert_eq!(crate::cost::of_plan(&back.plan), estimate);
    }
}
