//! The desired state: what the spec says should exist, ready to diff against live ARM state.

use crate::address::ResourceAddress;
use crate::kind::Kind;
use crate::path::FactoryTarget;
use crate::secret;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One secret value inside a desired body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretSlot {
    /// JSON pointer (RFC 6901) into the body, to the secret string.
    pub pointer: String,
    /// The environment variable the value came from (`secretFromEnv`), if any. A saved plan
    /// records this instead of the value, and `apply PLANFILE` reads the variable again.
    pub from_env: Option<String>,
}

/// Whether a trigger should be running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TriggerRuntimeState {
    /// Started: the trigger fires.
    Started,
    /// Stopped: the trigger exists but does not fire.
    Stopped,
}

/// What a spec asks of a trigger's runtime state (its `runtimeState`, or the spec-wide
/// `triggerRuntimeState`): a state, or to keep the live one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuntimeStatePolicy {
    /// Started: the trigger fires (the default).
    Started,
    /// Stopped: the trigger exists but does not fire.
    Stopped,
    /// Whatever state the trigger has live: operations own it. A trigger that must be stopped
    /// to be written is started again only if it was started; a new trigger is created
    /// stopped (as ADF creates every trigger, and as azure.datafactory.tools'
    /// `TriggerStartMethod = KeepPreviousState` leaves new triggers).
    Keep,
}

impl RuntimeStatePolicy {
    /// The spellings a spec may use, as written there.
    pub const NAMES: [&'static str; 3] = ["Started", "Stopped", "Keep"];

    /// Parses one of [`RuntimeStatePolicy::NAMES`] (exactly: ADF's own spelling).
    pub fn parse(text: &str) -> Option<RuntimeStatePolicy> {
        match text {
            "Started" => Some(RuntimeStatePolicy::Started),
            "Stopped" => Some(RuntimeStatePolicy::Stopped),
            "Keep" => Some(RuntimeStatePolicy::Keep),
            _ => None,
        }
    }

    /// `Started`, `Stopped` or `Keep`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuntimeStatePolicy::Started => "Started",
            RuntimeStatePolicy::Stopped => "Stopped",
            RuntimeStatePolicy::Keep => "Keep",
        }
    }

    /// The state the trigger should end in, given its live state (`None`: it does not exist).
    pub fn resolve(self, live: Option<TriggerRuntimeState>) -> TriggerRuntimeState {
        match self {
            RuntimeStatePolicy::Started => TriggerRuntimeState::Started,
            RuntimeStatePolicy::Stopped => TriggerRuntimeState::Stopped,
            RuntimeStatePolicy::Keep => live.unwrap_or(TriggerRuntimeState::Stopped),
        }
    }
}

impl From<TriggerRuntimeState> for RuntimeStatePolicy {
    fn from(state: TriggerRuntimeState) -> Self {
        match state {
            TriggerRuntimeState::Started => RuntimeStatePolicy::Started,
            TriggerRuntimeState::Stopped => RuntimeStatePolicy::Stopped,
        }
    }
}

/// One resource the spec wants to exist.
#[derive(Clone, PartialEq)]
pub struct DesiredResource {
    /// `kind/name`.
    pub address: ResourceAddress,
    /// The ARM path (no host, no api-version).
    pub path: String,
    /// The exact JSON body to PUT: `{"properties": {…}}` for factory children,
    /// `{"location": …, "tags": …, …}` for the resource group and the factory.
    pub body: Value,
    /// The secret values inside `body` (beyond every `SecureString` value, which is always
    /// secret) and where they came from. Nothing may print the values they point at.
    pub secrets: Vec<SecretSlot>,
    /// For triggers: whether the trigger should be started (the default) or stopped, or keep
    /// its live state.
    pub runtime_state: Option<RuntimeStatePolicy>,
}

impl DesiredResource {
    /// The body with every secret replaced by [`secret::REDACTED`]: the only form to display.
    pub fn redacted_body(&self) -> Value {
        secret::redact(&self.body, &self.secret_pointers_listed())
    }

    fn secret_pointers_listed(&self) -> Vec<String> {
        self.secrets
            .iter()
            .map(|slot| slot.pointer.clone())
            .collect()
    }

    /// Every pointer to a secret in the body: the listed ones and every `SecureString` value.
    pub fn all_secret_pointers(&self) -> Vec<String> {
        let mut pointers = self.secret_pointers_listed();
        for pointer in secret::secure_string_pointers(&self.body) {
            if !pointers.contains(&pointer) {
                pointers.push(pointer);
            }
        }
        pointers
    }

    /// The resources this one references (`{referenceName, type: XReference}` objects), and
    /// for a managed private endpoint the managed virtual network it lives in (its parent in
    /// the ARM path, which must exist first).
    pub fn references(&self) -> Vec<ResourceAddress> {
        let mut found = crate::desired::references(&self.body);
        if self.address.kind == Kind::ManagedPrivateEndpoint {
            found.insert(
                0,
                ResourceAddress::new(
                    Kind::ManagedVirtualNetwork,
                    crate::kind::MANAGED_VIRTUAL_NETWORK_NAME,
                ),
            );
        }
        found
    }
}

/// Never prints secrets: the body is shown redacted.
impl std::fmt::Debug for DesiredResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DesiredResource")
            .field("address", &self.address)
            .field("path", &self.path)
            .field("body", &self.redacted_body())
            .field("secrets", &self.secrets)
            .field("runtime_state", &self.runtime_state)
            .finish()
    }
}

/// Everything a spec asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredState {
    /// The subscription, resource group and factory the spec targets.
    pub target: FactoryTarget,
    /// Whether adfctl owns the resource group: may create it, and delete it on destroy.
    pub resource_group_managed: bool,
    /// Whether adfctl owns the factory (`factory.managed`): may create, update, replace and
    /// delete it. When not, the factory is not among `resources`, must exist already, and
    /// only the children the spec defines are written or destroyed.
    pub factory_managed: bool,
    /// Entities the spec references but another owner manages (`external:`): they must exist
    /// live, and are never created, updated or deleted.
    pub external: Vec<ResourceAddress>,
    /// Every resource, the resource group (when the spec describes it) and the factory first.
    pub resources: Vec<DesiredResource>,
}

impl DesiredState {
    /// Finds a resource by address (names compare case-insensitively).
    pub fn get(&self, address: &ResourceAddress) -> Option<&DesiredResource> {
        self.resources.iter().find(|r| &r.address == address)
    }

    /// Whether `address` is declared external (names compare case-insensitively).
    pub fn is_external(&self, address: &ResourceAddress) -> bool {
        self.external.contains(address)
    }

    /// The resources of one kind.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &DesiredResource> {
        self.resources
            .iter()
            .filter(move |r| r.address.kind == kind)
    }
}

/// Every `{ "referenceName": "x", "type": "XReference" }` object inside `body`, as addresses,
/// in document order and without duplicates. References whose name is an expression (not a
/// plain string) are skipped: they cannot be resolved before run time.
pub fn references(body: &Value) -> Vec<ResourceAddress> {
    let mut found = Vec::new();
    collect_references(body, &mut found);
    found
}

fn collect_references(value: &Value, found: &mut Vec<ResourceAddress>) {
    match value {
        Value::Object(map) => {
            if let (Some(Value::String(name)), Some(Value::String(reference_type))) =
                (map.get("referenceName"), map.get("type"))
                && let Some(kind) = Kind::from_reference_type(reference_type)
            {
                let address = ResourceAddress::new(kind, name.clone());
                if !found.contains(&address) {
                    found.push(address);
                }
            }
            for child in map.values() {
                collect_references(child, found);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_references(item, found)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_references_anywhere() {
        let body = json!({"properties": {
            "linkedServiceName": {"referenceName": "ls", "type": "LinkedServiceReference"},
            "activities": [
                {"inputs": [{"referenceName": "dsIn", "type": "DatasetReference"}]},
                {"typeProperties": {"pipeline": {"referenceName": "child", "type": "PipelineReference"}}},
                {"inputs": [{"referenceName": "DSIN", "type": "DatasetReference"}]},
                {"inputs": [{"referenceName": {"value": "@x", "type": "Expression"}, "type": "DatasetReference"}]}
            ]
        }});
        let names: Vec<String> = references(&body).iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            ["linkedService/ls", "dataset/dsIn", "pipeline/child"]
        );
    }

    #[test]
    fn debug_never_prints_secrets() {
        let resource = DesiredResource {
            address: ResourceAddress::new(Kind::LinkedService, "ls"),
            path: "/x".into(),
            body: json!({"properties": {"typeProperties": {
                "connectionString": {"type": "SecureString", "value": "hunter2"}, "sas": "tok3n"}}}),
            secrets: vec![SecretSlot {
                pointer: "/properties/typeProperties/sas".into(),
                from_env: Some("SAS".into()),
            }],
            runtime_state: None,
        };
        let text = format!("{resource:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("tok3n"),
            "{text}"
        );
        assert_eq!(resource.all_secret_pointers().len(), 2);
    }
}
