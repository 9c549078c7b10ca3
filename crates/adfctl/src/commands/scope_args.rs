//! `--include` / `--exclude`: the part of the spec a plan, apply or destroy covers.

use crate::error::CliError;
use adf_core::EntityPattern;
use adf_core::pattern::PatternError;
use adf_plan::Scope;

/// The selection flags (`#[command(flatten)]` it).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ScopeArgs {
    /// Cover only the entities matching PATTERN (`pipeline/Load*`, `pipeline.Load*`,
    /// `*.*@Staging` for a Studio folder), plus the entities they reference. Repeatable.
    #[arg(long, value_name = "PATTERN")]
    pub include: Vec<String>,

    /// Leave out the entities matching PATTERN, even when a selected entity references them
    /// (they must then exist live). Repeatable.
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,
}

impl ScopeArgs {
    /// The spec's `scope:` patterns with the flags' added; an error names the flag and the
    /// pattern.
    pub fn scope(&self, loaded: &adf_spec::Loaded) -> Result<Scope, CliError> {
        let parse = |flag: &str, texts: &[String]| {
            texts
                .iter()
                .map(|text| {
                    EntityPattern::parse(text).map_err(|error| {
                        CliError::with_hint(format!("--{flag}: {error}"), PatternError::hint())
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let mut include = loaded.scope_include.clone();
        include.extend(parse("include", &self.include)?);
        let mut exclude = loaded.scope_exclude.clone();
        exclude.extend(parse("exclude", &self.exclude)?);
        Ok(Scope { include, exclude })
    }
}
