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

// ADF's object-size and entity-count limits live in `adf_core::rules`, shared with the
// emulator.
