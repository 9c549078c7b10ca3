//! ADF's and ARM's naming rules (ARM-FACTS §10), shared by spec validation and the emulator.

use crate::kind::Kind;

/// A name as ADF and ARM compare it: without case, for every letter (`Å` = `å`), as .NET's
/// ordinal-ignore-case comparison does. The one name-equality rule: [`crate::ResourceAddress`],
/// the spec's checks and the emulator's store all use it.
pub fn folded(name: &str) -> impl Iterator<Item = char> + '_ {
    name.chars().flat_map(char::to_lowercase)
}

/// [`folded`] as a string (a key to store or look a name up by).
pub fn fold(name: &str) -> String {
    folded(name).collect()
}

/// Whether two names are the same name to ADF ([`folded`]).
pub fn same_name(a: &str, b: &str) -> bool {
    folded(a).eq(folded(b))
}

/// Why a name is not valid for its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind_label} name `{name}`: {problem}")]
pub struct NamingError {
    /// Human label of the kind.
    pub kind_label: &'static str,
    /// The offending name.
    pub name: String,
    /// What is wrong with it.
    pub problem: String,
    /// The rule, for hints.
    pub rule: &'static str,
}

/// Characters ADF forbids in child entity names (swagger pattern `^[A-Za-z0-9_][^<>*#.%&:\\+?/]*$`).
pub const FORBIDDEN_ENTITY_CHARS: &[char] =
    &['<', '>', '*', '#', '.', '%', '&', ':', '\\', '+', '?', '/'];

const FACTORY_RULE: &str =
    "3-63 letters, digits and single dashes, starting and ending with a letter or digit";
const ENTITY_RULE: &str = "1-260 characters, starting with a letter, digit or `_`, without any of < > * # . % & : \\ + ? /";
const RESOURCE_GROUP_RULE: &str =
    "1-90 letters, digits, `_`, `-`, `.`, `(` and `)`, not ending with a period";

/// The rule, in words, that names of `kind` must follow.
pub fn rule(kind: Kind) -> &'static str {
    match kind {
        Kind::Factory | Kind::IntegrationRuntime => FACTORY_RULE,
        Kind::ResourceGroup => RESOURCE_GROUP_RULE,
        _ => ENTITY_RULE,
    }
}

/// Checks `name` against the naming rule of `kind`.
pub fn check_name(kind: Kind, name: &str) -> Result<(), NamingError> {
    let problem = match kind {
        Kind::Factory | Kind::IntegrationRuntime => dashed_alphanumeric_problem(name, 3, 63),
        Kind::ResourceGroup => resource_group_problem(name),
        _ => entity_problem(name),
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(NamingError {
            kind_label: kind.label(),
            name: name.to_owned(),
            problem,
            rule: rule(kind),
        }),
    }
}

/// ADF's documentation also forbids dashes in linked service, dataset and data flow names,
/// although the service's enforcement of that is unverified; callers report it as a warning.
pub fn dash_warning(kind: Kind, name: &str) -> Option<String> {
    matches!(kind, Kind::LinkedService | Kind::Dataset | Kind::DataFlow)
        .then_some(())
        .filter(|()| name.contains('-'))
        .map(|()| {
            format!(
                "ADF's naming rules do not allow `-` in {} names",
                kind.label()
            )
        })
}

fn length_problem(name: &str, min: usize, max: usize) -> Option<String> {
    let length = name.chars().count();
    if length < min {
        Some(format!(
            "it has {length} characters, at least {min} are needed"
        ))
    } else if length > max {
        Some(format!(
            "it has {length} characters, at most {max} are allowed"
        ))
    } else {
        None
    }
}

fn dashed_alphanumeric_problem(name: &str, min: usize, max: usize) -> Option<String> {
    if let Some(problem) = length_problem(name, min, max) {
        return Some(problem);
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Some(format!("`{bad}` is not allowed"));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some("it must start and end with a letter or digit".into());
    }
    if name.contains("--") {
        return Some("it must not contain consecutive dashes".into());
    }
    None
}

fn entity_problem(name: &str) -> Option<String> {
    if let Some(problem) = length_problem(name, 1, 260) {
        return Some(problem);
    }
    let first = name.chars().next()?;
    if !(first.is_ascii_alphanumeric() || first == '_') {
        return Some(format!(
            "it must start with a letter, digit or `_`, not `{first}`"
        ));
    }
    if let Some(bad) = name.chars().find(|c| FORBIDDEN_ENTITY_CHARS.contains(c)) {
        return Some(format!("`{bad}` is not allowed"));
    }
    None
}

fn resource_group_problem(name: &str) -> Option<String> {
    if let Some(problem) = length_problem(name, 1, 90) {
        return Some(problem);
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '(' | ')')))
    {
        return Some(format!("`{bad}` is not allowed"));
    }
    if name.ends_with('.') {
        return Some("it must not end with a period".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(kind: Kind, name: &str) -> bool {
        check_name(kind, name).is_ok()
    }

    #[test]
    fn factory_names() {
        assert!(ok(Kind::Factory, "DianesDF"));
        assert!(ok(Kind::Factory, "my-factory-1"));
        assert!(!ok(Kind::Factory, "ab"));
        assert!(!ok(Kind::Factory, "a--b"));
        assert!(!ok(Kind::Factory, "-abc"));
        assert!(!ok(Kind::Factory, "abc_d"));
        assert!(!ok(Kind::Factory, &"a".repeat(64)));
    }

    #[test]
    fn entity_names() {
        assert!(ok(Kind::Pipeline, "copyPipeline"));
        assert!(ok(Kind::Pipeline, "_private pipeline-2"));
        assert!(!ok(Kind::Pipeline, ""));
        assert!(!ok(Kind::Dataset, "ds.in"));
        assert!(!ok(Kind::Dataset, "-x"));
        assert!(!ok(Kind::Trigger, &"t".repeat(261)));
        assert!(dash_warning(Kind::Dataset, "ds-in").is_some());
        assert!(dash_warning(Kind::Pipeline, "p-1").is_none());
    }

    #[test]
    fn resource_group_names() {
        assert!(ok(Kind::ResourceGroup, "DianesRG"));
        assert!(ok(Kind::ResourceGroup, "rg_(test).1"));
        assert!(!ok(Kind::ResourceGroup, "rg."));
        assert!(!ok(Kind::ResourceGroup, "rg/x"));
        let error = check_name(Kind::ResourceGroup, "rg.").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid resource group name `rg.`: it must not end with a period"
        );
    }
}
