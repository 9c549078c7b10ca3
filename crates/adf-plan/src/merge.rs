//! Read, merge, write: the bodies adfctl PUTs for the resource group and the factory.
//!
//! A factory carries settings a spec may not manage (git repository configuration, global
//! parameters set in Studio, encryption, networking). A plain PUT of the spec's body would wipe
//! them, so the engine PUTs the live body with the spec's fields laid over it, and the planner
//! compares exactly that merged body with the live one. Both use [`merged`], so what the plan
//! shows is what apply writes.
//!
//! The merge: every top-level key the spec sets replaces the live one, except `properties`,
//! whose keys are laid over the live `properties` one by one. Everything below that level is
//! replaced whole (a spec's `tags` are the tags; its `globalParameters` are all of them).
//! Factory children are not merged: their PUT replaces the entity, and the spec is
//! authoritative.

use crate::normalise;
use adf_core::{DesiredResource, Kind};
use serde_json::Value;

/// Whether resources of `kind` are written by read-merge-write (the resource group and the
/// factory) rather than by replacing the whole entity.
pub fn is_merged(kind: Kind) -> bool {
    matches!(kind, Kind::ResourceGroup | Kind::Factory)
}

/// The desired body laid over the live one (see the module docs); the desired body itself for
/// factory children or when nothing is live.
pub fn merged(kind: Kind, desired: &Value, live: Option<&Value>) -> Value {
    let (Some(Value::Object(live)), Value::Object(wanted), true) = (live, desired, is_merged(kind))
    else {
        return desired.clone();
    };
    let mut out = live.clone();
    for (key, value) in wanted {
        match (key.as_str(), out.get_mut(key), value) {
            ("properties", Some(Value::Object(live_properties)), Value::Object(properties)) => {
                for (name, inner) in properties {
                    live_properties.insert(name.clone(), inner.clone());
                }
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(out)
}

/// The body to PUT for a desired resource, given the live body (if any): for the resource
/// group and the factory the merged body without read-only fields; for children the desired
/// body (the engine adds the secrets fingerprint with
/// [`crate::fingerprint::body_with_fingerprint`]). It holds secret values: never log it.
pub fn put_body(resource: &DesiredResource, live: Option<&Value>) -> Value {
    let kind = resource.address.kind;
    if !is_merged(kind) {
        return resource.body.clone();
    }
    let mut body = merged(kind, &resource.body, live);
    normalise::strip(kind, &mut body, Some(&resource.body), false);
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn factory_merge_keeps_unmanaged_settings() {
        let live = json!({"id": "/x", "name": "f", "location": "East US", "eTag": "\"1\"",
            "tags": {"a": "1"},
            "properties": {"provisioningState": "Succeeded", "createTime": "t", "version": "2018-06-01",
                "repoConfiguration": {"type": "FactoryGitHubConfiguration"},
                "globalParameters": {"old": {"type": "String", "value": "x"}}}});
        let desired = json!({"location": "eastus", "tags": {"b": "2"},
            "properties": {"globalParameters": {"new": {"type": "Int", "value": 1}}}});
        let merged = merged(Kind::Factory, &desired, Some(&live));
        assert_eq!(merged["tags"], json!({"b": "2"}));
        assert_eq!(
            merged["properties"]["repoConfiguration"]["type"],
            "FactoryGitHubConfiguration"
        );
        assert_eq!(
            merged["properties"]["globalParameters"],
            json!({"new": {"type": "Int", "value": 1}})
        );
        let resource = DesiredResource {
            address: adf_core::ResourceAddress::new(Kind::Factory, "f"),
            path: "/f".into(),
            body: desired,
            secrets: vec![],
            runtime_state: None,
        };
        let put = put_body(&resource, Some(&live));
        assert_eq!(put["location"], "eastus");
        assert!(put.get("id").is_none() && put.get("eTag").is_none());
        assert!(put["properties"].get("provisioningState").is_none());
        assert!(put["properties"].get("repoConfiguration").is_some());
    }
}
