//! The spec language: YAML files to a validated DesiredState, with every diagnostic at once
