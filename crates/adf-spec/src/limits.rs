//! Explicit limits: any input, however large or broken, ends in diagnostics in bounded time and
//! memory. Documented in `docs/spec.md` ("Limits").

/// The largest spec file accepted, in bytes (16 MiB). ADF's own objects are far smaller.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// The deepest nesting of mappings and sequences accepted in a file.
pub const MAX_DEPTH: usize = 128;

/// The most YAML nodes one file may produce, counting every node that an alias (`*name`)
/// copies. This bounds "billion laughs" alias bombs.
pub const MAX_NODES: usize = 1_000_000;

/// ADF: at most 80 activities per pipeline, counting the activities inside containers
/// (ForEach, Until, IfCondition, Switch).
pub const MAX_ACTIVITIES_PER_PIPELINE: usize = 80;

/// ADF: at most 50 parameters per pipeline.
pub const MAX_PARAMETERS_PER_PIPELINE: usize = 50;

/// ADF: at most 200 KB per pipeline object (its JSON).
pub const MAX_PIPELINE_BYTES: usize = 200 * 1024;

/// ADF: at most 100 KB per dataset or linked service object (its JSON).
pub const MAX_DATASET_OR_LINKED_SERVICE_BYTES: usize = 100 * 1024;

/// ADF: at most 5,000 entities (pipelines, datasets, triggers, linked services, data flows,
/// integration runtimes) per factory.
pub const MAX_ENTITIES_PER_FACTORY: usize = 5_000;
