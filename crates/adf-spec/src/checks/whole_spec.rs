//! The checks that need the whole spec. They run on the entities' JSON (which holds
//! substituted names) and take positions from each entity's source map.

use super::MAX_SUGGESTION_CANDIDATES;
use crate::entity::Entity;
use crate::limits;
use crate::sink::Sink;
use crate::suggest;
use crate::yaml::Pos;
use adf_core::rules;
use adf_core::secret::escape_pointer_token;
use adf_core::{Kind, ResourceAddress};
use serde_json::Value as Json;
use std::collections::{HashMap, HashSet};

/// At most this many reference cycles are reported (each costs the length of its path).
const MAX_REPORTED_CYCLES: usize = 100;

/// The checks that need the whole spec, in this order: names, external entities,
/// references, cycles, limits. `external`: the entities declared `external`, with where.
pub(crate) fn spec(sink: &mut Sink<'_>, entities: &[Entity], external: &[(ResourceAddress, Pos)]) {
    let mut checker = Checker { sink };
    checker.check_names(entities);
    checker.check_external(entities, external);
    let external: HashSet<&ResourceAddress> = external.iter().map(|(a, _)| a).collect();
    checker.check_references(entities, &external);
    checker.check_cycles(entities);
    checker.check_limits(entities);
}

struct Checker<'s, 'b> {
    sink: &'s mut Sink<'b>,
}

impl Checker<'_, '_> {
    fn check_names(&mut self, entities: &[Entity]) {
        let mut seen: HashMap<ResourceAddress, &Entity> = HashMap::new();
        for entity in entities {
            let address = ResourceAddress::new(entity.kind, entity.name.clone());
            match seen.get(&address) {
                Some(first) => self.sink.error(
                    "case-duplicate",
                    entity.name_pos,
                    format!(
                        "{} `{}` and `{}` differ only in case; ADF treats them as the same name",
                        entity.kind.label(),
                        first.name,
                        entity.name
                    ),
                    Some(format!(
                        "`{}` is defined at {}:{}:{}; rename one of them",
                        first.name,
                        self.sink.file_name(first.name_pos.file),
                        first.name_pos.line,
                        first.name_pos.column
                    )),
                ),
                None => {
                    seen.insert(address, entity);
                }
            }
        }
        let counted = entities
            .iter()
            .filter(|e| e.kind != Kind::GlobalParameters)
            .count();
        if counted > rules::MAX_ENTITIES_PER_FACTORY
            && let Some(last) = entities.last()
        {
            self.sink.error(
                "limit",
                last.name_pos,
                format!(
                    "the spec defines {counted} entities; ADF allows at most {} per factory",
                    rules::MAX_ENTITIES_PER_FACTORY
                ),
                Some("split the workload across several factories".into()),
            );
        }
    }

    /// An entity is the spec's or another owner's, not both.
    fn check_external(&mut self, entities: &[Entity], external: &[(ResourceAddress, Pos)]) {
        if external.is_empty() {
            return;
        }
        let defined: HashMap<ResourceAddress, &Entity> = entities
            .iter()
            .map(|e| (ResourceAddress::new(e.kind, e.name.clone()), e))
            .collect();
        for (address, pos) in external {
            if let Some(entity) = defined.get(address) {
                self.sink.error(
                    "external-defined",
                    *pos,
                    format!(
                        "{} `{}` is declared external (owned elsewhere), but the spec defines it too",
                        address.kind.label(),
                        address.name
                    ),
                    Some(format!(
                        "remove it from `external` to manage it here, or remove its definition at {}:{}:{} to leave it to its owner",
                        self.sink.file_name(entity.name_pos.file),
                        entity.name_pos.line,
                        entity.name_pos.column
                    )),
                );
            }
        }
    }

    fn check_references(&mut self, entities: &[Entity], external: &HashSet<&ResourceAddress>) {
        // Exact names, and lower-cased names (ADF compares names ignoring case), per kind.
        let mut defined: HashMap<Kind, Vec<&str>> = HashMap::new();
        let mut exact: HashSet<(Kind, &str)> = HashSet::new();
        let mut folded: HashMap<(Kind, String), &str> = HashMap::new();
        for entity in entities {
            defined.entry(entity.kind).or_default().push(&entity.name);
            exact.insert((entity.kind, &entity.name));
            folded
                .entry((entity.kind, adf_core::naming::fold(&entity.name)))
                .or_insert(&entity.name);
        }
        for entity in entities {
            let positions = reference_positions(entity);
            for address in entity.body_references() {
                let pos = positions.get(&address).copied().unwrap_or(entity.name_pos);
                // Declared external: it must exist live, which the plan checks.
                if exact.contains(&(address.kind, address.name.as_str()))
                    || external.contains(&address)
                {
                    continue;
                }
                if let Some(actual) = folded.get(&(address.kind, address.name.to_ascii_lowercase()))
                {
                    self.sink.warning(
                        "reference-case",
                        pos,
                        format!(
                            "{} `{}` is defined as `{actual}`; ADF matches names ignoring case",
                            address.kind.label(),
                            address.name
                        ),
                        Some(format!("write `{actual}` to match the definition")),
                    );
                    continue;
                }
                let names = defined
                    .get(&address.kind)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                // Suggestions compare against every name: skip them for huge specs.
                let names = if names.len() > MAX_SUGGESTION_CANDIDATES {
                    &[][..]
                } else {
                    names
                };
                if address.kind == Kind::IntegrationRuntime
                    && rules::is_auto_resolve_integration_runtime(&address.name)
                {
                    continue;
                }
                let section = address.kind.spec_key().unwrap_or_default();
                let hint = suggest::did_you_mean(&address.name, names.iter().copied())
                    .map(|best| format!("did you mean `{best}`?"))
                    .unwrap_or_else(|| {
                        format!(
                            "define it under `{section}:`, correct the name, or list `{address}` under `external:` if another team owns it"
                        )
                    });
                self.sink.error(
                    "dangling-reference",
                    pos,
                    format!(
                        "{} `{}` references {} `{}`, which the spec does not define",
                        entity.kind.label(),
                        entity.name,
                        address.kind.label(),
                        address.name
                    ),
                    Some(hint),
                );
            }
        }
    }

    /// Reference cycles (ExecutePipeline chains, linked services through Key Vault, data flows
    /// through flowlets), each reported once with its whole path.
    fn check_cycles(&mut self, entities: &[Entity]) {
        let index: HashMap<ResourceAddress, usize> = entities
            .iter()
            .enumerate()
            .map(|(i, e)| (ResourceAddress::new(e.kind, e.name.clone()), i))
            .collect();
        let edges: Vec<Vec<usize>> = entities
            .iter()
            .map(|e| {
                e.body_references()
                    .iter()
                    .filter_map(|a| index.get(a).copied())
                    .collect()
            })
            .collect();
        // Iterative depth-first search: 0 = unvisited, 1 = on the path, 2 = done.
        let mut state = vec![0u8; entities.len()];
        let mut position_on_path = vec![0usize; entities.len()];
        let mut reported: HashSet<Vec<usize>> = HashSet::new();
        for start in 0..entities.len() {
            if state[start] != 0 {
                continue;
            }
            let mut path: Vec<(usize, usize)> = vec![(start, 0)];
            state[start] = 1;
            while let Some((node, next)) = path.last_mut() {
                let node = *node;
                let Some(&target) = edges[node].get(*next) else {
                    state[node] = 2;
                    path.pop();
                    continue;
                };
                *next += 1;
                match state[target] {
                    0 => {
                        state[target] = 1;
                        position_on_path[target] = path.len();
                        path.push((target, 0));
                    }
                    1 if reported.len() < MAX_REPORTED_CYCLES => {
                        let from = position_on_path[target];
                        let cycle: Vec<usize> = path[from..].iter().map(|(n, _)| *n).collect();
                        let mut key = cycle.clone();
                        key.sort_unstable();
                        if reported.insert(key) {
                            self.report_cycle(entities, &cycle);
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn report_cycle(&mut self, entities: &[Entity], cycle: &[usize]) {
        let Some(&first) = cycle.first() else { return };
        let mut names: Vec<String> = cycle
            .iter()
            .map(|&i| ResourceAddress::new(entities[i].kind, entities[i].name.clone()).to_string())
            .collect();
        names.push(names[0].clone());
        if names.len() > 24 {
            // A very long cycle: its start and its end are enough to find it.
            let omitted = names.len() - 20;
            names.splice(12..names.len() - 8, [format!("… ({omitted} more) …")]);
        }
        let entity = &entities[first];
        let next = cycle.get(1).map_or(first, |&i| i);
        let target = ResourceAddress::new(entities[next].kind, entities[next].name.clone());
        let pos = reference_positions(entity)
            .get(&target)
            .copied()
            .unwrap_or(entity.name_pos);
        let what = match entity.kind {
            Kind::Pipeline => "ExecutePipeline calls form a cycle",
            Kind::LinkedService => "linked services reference each other in a cycle",
            _ => "references form a cycle",
        };
        self.sink.error(
            "cycle",
            pos,
            format!("{what}: {}", names.join(" → ")),
            Some("ADF cannot create or run entities that reference each other in a loop; break the cycle".into()),
        );
    }

    fn check_limits(&mut self, entities: &[Entity]) {
        for entity in entities {
            let Some(limit) = rules::max_object_bytes(entity.kind) else {
                continue;
            };
            let size = serde_json::to_vec(&entity.body).map_or(0, |v| v.len());
            if size > limit {
                self.sink.error(
                    "limit",
                    entity.name_pos,
                    format!(
                        "{} `{}` is {} KB as JSON; ADF allows at most {} KB per {}",
                        entity.kind.label(),
                        entity.name,
                        size.div_ceil(1024),
                        limit / 1024,
                        entity.kind.label()
                    ),
                    Some("move large scripts or schemas out of the object, or split it".into()),
                );
            }
        }
    }
}

/// The position of each `referenceName` in an entity: its JSON (which holds substituted
/// names) walked with the entity's source map.
fn reference_positions(entity: &Entity) -> HashMap<ResourceAddress, Pos> {
    let mut first = HashMap::new();
    if let Some(json) = entity.body.get("properties") {
        let mut pointer = String::from("/properties");
        walk_references(entity, json, &mut pointer, &mut first, 0);
    }
    first
}

fn walk_references(
    entity: &Entity,
    json: &Json,
    pointer: &mut String,
    found: &mut HashMap<ResourceAddress, Pos>,
    depth: usize,
) {
    if depth > limits::MAX_DEPTH + 2 {
        return;
    }
    match json {
        Json::Object(map) => {
            if let (Some(Json::String(name)), Some(Json::String(reference_type))) =
                (map.get("referenceName"), map.get("type"))
                && let Some(kind) = Kind::from_reference_type(reference_type)
            {
                let pos = entity
                    .source_map
                    .get(&format!("{pointer}/referenceName"))
                    .or_else(|| entity.source_map.get(pointer))
                    .unwrap_or(entity.name_pos);
                found
                    .entry(ResourceAddress::new(kind, name.clone()))
                    .or_insert(pos);
            }
            for (key, child) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape_pointer_token(key));
                walk_references(entity, child, pointer, found, depth + 1);
                pointer.truncate(len);
            }
        }
        Json::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&index.to_string());
                walk_references(entity, item, pointer, found, depth + 1);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}
