//! Resource addresses such as `pipeline/copyPipeline`.

use crate::kind::Kind;
use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

/// Where a resource lives in adfctl's model: its kind and its name, written `kind/name`
/// (`linkedService/storageLinkedService`, `factory/DianesDF`).
///
/// ADF and ARM compare names case-insensitively, so two addresses are equal when their kinds
/// match and their names are the same name ([`crate::naming::same_name`]: without case, for
/// every letter). The original casing is kept for display.
#[derive(Debug, Clone)]
pub struct ResourceAddress {
    /// The kind of resource.
    pub kind: Kind,
    /// The name as written by the user or returned by ARM.
    pub name: String,
}

impl ResourceAddress {
    /// A new address.
    pub fn new(kind: Kind, name: impl Into<String>) -> Self {
        ResourceAddress {
            kind,
            name: name.into(),
        }
    }

    /// Parses `kind/name`; the kind prefix is case-insensitive.
    pub fn parse(text: &str) -> Option<Self> {
        let (prefix, name) = text.split_once('/')?;
        if name.is_empty() {
            return None;
        }
        Some(ResourceAddress::new(
            Kind::from_address_prefix(prefix)?,
            name,
        ))
    }

    fn folded_name(&self) -> impl Iterator<Item = char> + '_ {
        crate::naming::folded(&self.name)
    }
}

impl PartialEq for ResourceAddress {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && crate::naming::same_name(&self.name, &other.name)
    }
}

impl Eq for ResourceAddress {}

impl Hash for ResourceAddress {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
        for letter in self.folded_name() {
            letter.hash(state);
        }
    }
}

impl PartialOrd for ResourceAddress {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ResourceAddress {
    fn cmp(&self, other: &Self) -> Ordering {
        self.kind
            .cmp(&other.kind)
            .then_with(|| self.folded_name().cmp(other.folded_name()))
    }
}

impl std::fmt::Display for ResourceAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.kind.address_prefix(), self.name)
    }
}

impl serde::Serialize for ResourceAddress {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ResourceAddress {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ResourceAddress::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("invalid resource address `{text}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn display_and_parse_round_trip() {
        let address = ResourceAddress::new(Kind::LinkedService, "storageLinkedService");
        assert_eq!(address.to_string(), "linkedService/storageLinkedService");
        assert_eq!(
            ResourceAddress::parse("linkedservice/storageLinkedService"),
            Some(address)
        );
        assert_eq!(ResourceAddress::parse("pipeline/"), None);
        assert_eq!(ResourceAddress::parse("nonsense/x"), None);
    }

    #[test]
    fn names_compare_case_insensitively_and_keep_case() {
        let a = ResourceAddress::new(Kind::Pipeline, "CopyPipeline");
        let b = ResourceAddress::new(Kind::Pipeline, "copypipeline");
        assert_eq!(a, b);
        let set: HashSet<_> = [a.clone(), b].into_iter().collect();
        assert_eq!(set.len(), 1);
        assert_eq!(a.to_string(), "pipeline/CopyPipeline");
        assert_ne!(a, ResourceAddress::new(Kind::Dataset, "CopyPipeline"));
    }

    #[test]
    fn names_with_non_ascii_letters_compare_as_the_emulator_stores_them() {
        let a = ResourceAddress::new(Kind::Pipeline, "Größe_Ä");
        let b = ResourceAddress::new(Kind::Pipeline, "größe_ä");
        assert_eq!(a, b);
        let set: HashSet<_> = [a.clone(), b].into_iter().collect();
        assert_eq!(set.len(), 1);
        assert_eq!(crate::naming::fold(&a.name), "größe_ä");
        assert_ne!(a, ResourceAddress::new(Kind::Pipeline, "Grosse_A"));
    }
}
