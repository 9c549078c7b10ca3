//! Shared spec arguments (`-f`, `--var`) and loading, flattened into every command that reads a spec.
