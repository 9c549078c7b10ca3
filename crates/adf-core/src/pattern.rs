//! Entity patterns: the one syntax for naming a set of factory entities, used by `prune.keep`,
//! `external`, `overrides[].target` and `--include`/`--exclude`.
//!
//! `KIND/NAME` or `KIND.NAME` (the form azure.datafactory.tools users know), optionally
//! followed by `@FOLDER`:
//! - `KIND` is `*` or a kind as an address prefix (`pipeline`), a spec key (`pipelines`) or a
//!   Studio folder (`integrationRuntime`), without case;
//! - `NAME` and `FOLDER` hold `*` for any run of characters and compare without case;
//! - `@FOLDER` matches an entity whose `folder.name` is `FOLDER`, or lies below it
//!   (`@Staging` matches `Staging/Daily`).
//!
//! A name never holds `.` or `/` (ADF's naming rules), so both separators are unambiguous.

use crate::naming::fold;
use crate::{Kind, ResourceAddress};
use std::fmt;

/// A parsed entity pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityPattern {
    text: String,
    /// `None` for `*`.
    kind: Option<Kind>,
    /// Folded.
    name: String,
    /// Folded; `None` when the pattern names no folder.
    folder: Option<String>,
}

/// Why a text is not an entity pattern: the message, and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an entity pattern: {reason}")]
pub struct PatternError {
    /// The text as given.
    pub text: String,
    /// What is wrong.
    pub reason: String,
}

impl PatternError {
    /// The hint every pattern error shares.
    pub fn hint() -> String {
        let kinds: Vec<&str> = Kind::CHILDREN.iter().map(|k| k.address_prefix()).collect();
        format!(
            "write KIND/NAME or KIND.NAME, optionally @FOLDER: KIND is `*` or one of {}; NAME and FOLDER may hold `*`, as in `pipeline/Load*` or `*.*@Staging`",
            kinds.join(", ")
        )
    }
}

impl EntityPattern {
    /// Parses `KIND/NAME[@FOLDER]` or `KIND.NAME[@FOLDER]`.
    pub fn parse(text: &str) -> Result<EntityPattern, PatternError> {
        let error = |reason: &str| PatternError {
            text: text.to_owned(),
            reason: reason.to_owned(),
        };
        let (rest, folder) = match text.split_once('@') {
            Some((rest, folder)) if !folder.is_empty() => (rest, Some(fold(folder))),
            Some(_) => return Err(error("nothing follows `@`")),
            None => (text, None),
        };
        let Some((kind, name)) = rest.split_once(['/', '.']) else {
            return Err(error("it has no `/` (or `.`) between KIND and NAME"));
        };
        if name.is_empty() {
            return Err(error("NAME is empty (write `*` for every name)"));
        }
        if name.contains(['/', '.']) {
            return Err(error("NAME holds a `/` or `.`, which no ADF name has"));
        }
        let kind = if kind == "*" {
            None
        } else {
            Some(parse_kind(kind).ok_or_else(|| error(&format!("`{kind}` is not a kind")))?)
        };
        Ok(EntityPattern {
            text: text.to_owned(),
            kind,
            name: fold(name),
            folder,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The kind the pattern is limited to (`None`: every kind).
    pub fn kind(&self) -> Option<Kind> {
        self.kind
    }

    /// Whether the pattern names one entity exactly (no `*`, no folder).
    pub fn is_exact(&self) -> bool {
        self.kind.is_some() && !self.name.contains('*') && self.folder.is_none()
    }

    /// The one entity an exact pattern names ([`EntityPattern::is_exact`]), with its name as
    /// written (the pattern itself compares without case); `None` for any other pattern.
    pub fn address(&self) -> Option<ResourceAddress> {
        let kind = self.kind.filter(|_| self.is_exact())?;
        let (_, name) = self.text.split_once(['/', '.'])?;
        Some(ResourceAddress::new(kind, name))
    }

    /// Whether the pattern matches an entity at `address` whose folder (`properties.folder.name`)
    /// is `folder`. A pattern with `@FOLDER` never matches an entity without a folder.
    pub fn matches(&self, address: &ResourceAddress, folder: Option<&str>) -> bool {
        if self.kind.is_some_and(|kind| kind != address.kind)
            || !glob(&self.name, &fold(&address.name))
        {
            return false;
        }
        match (&self.folder, folder) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(pattern), Some(folder)) => {
                let folder = fold(folder);
                // The folder itself or any folder above it.
                let mut prefix = String::new();
                folder.split('/').any(|segment| {
                    if !prefix.is_empty() {
                        prefix.push('/');
                    }
                    prefix.push_str(segment);
                    glob(pattern, &prefix)
                })
            }
        }
    }
}

impl fmt::Display for EntityPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A kind by address prefix (`pipeline`), spec key (`pipelines`) or Studio folder, without case.
fn parse_kind(text: &str) -> Option<Kind> {
    Kind::CHILDREN.into_iter().find(|kind| {
        [
            Some(kind.address_prefix()),
            kind.spec_key(),
            kind.studio_folder(),
        ]
        .into_iter()
        .flatten()
        .any(|name| name.eq_ignore_ascii_case(text))
    })
}

/// The entity's folder path (`properties.folder.name`), if it has one.
pub fn folder_of(body: &serde_json::Value) -> Option<&str> {
    body.pointer("/properties/folder/name")
        .and_then(serde_json::Value::as_str)
}

/// `*`-only glob matching (no other special character).
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn address(kind: Kind, name: &str) -> ResourceAddress {
        ResourceAddress::new(kind, name)
    }

    #[test]
    fn kinds_names_and_folders() {
        let load = EntityPattern::parse("pipeline/Load*").unwrap();
        assert!(load.matches(&address(Kind::Pipeline, "LOADSales"), None));
        assert!(!load.matches(&address(Kind::Dataset, "LoadSales"), None));
        let dotted = EntityPattern::parse("pipelines.Load*").unwrap();
        assert!(dotted.matches(&address(Kind::Pipeline, "LoadSales"), None));
        let any = EntityPattern::parse("*.*@Staging").unwrap();
        assert!(any.matches(&address(Kind::Dataset, "x"), Some("staging")));
        assert!(any.matches(&address(Kind::Dataset, "x"), Some("Staging/Daily")));
        assert!(!any.matches(&address(Kind::Dataset, "x"), Some("StagingOld")));
        assert!(!any.matches(&address(Kind::Dataset, "x"), None));
        let studio = EntityPattern::parse("integrationRuntime/*").unwrap();
        assert_eq!(studio.kind(), Some(Kind::IntegrationRuntime));
        assert!(
            EntityPattern::parse("linkedService/ls_kv")
                .unwrap()
                .is_exact()
        );
        assert!(!load.is_exact());
        let exact = EntityPattern::parse("linkedServices.LS_KV")
            .unwrap()
            .address()
            .unwrap();
        assert_eq!(exact, address(Kind::LinkedService, "ls_kv"));
        assert_eq!(exact.name, "LS_KV");
        assert_eq!(load.address(), None);
    }

    #[test]
    fn malformed_patterns_say_why() {
        for (text, reason) in [
            ("pipeline", "no `/`"),
            ("pipline/x", "`pipline` is not a kind"),
            ("pipeline/", "NAME is empty"),
            ("pipeline/x@", "nothing follows"),
            ("pipeline/a/b", "NAME holds"),
        ] {
            let error = EntityPattern::parse(text).unwrap_err();
            assert!(error.to_string().contains(reason), "{text}: {error}");
        }
        assert!(PatternError::hint().contains("linkedService"));
    }

    #[test]
    fn globs() {
        assert!(glob("a*c", "abc") && glob("*", "") && glob("a*b*c", "aXbYc"));
        assert!(!glob("a*c", "ab") && !glob("abc", "abcd") && !glob("a*a", "a"));
    }
}
