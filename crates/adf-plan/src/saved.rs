//! Saved plans (`plan --out FILE`, `apply FILE`): the plan, the desired bodies with every
//! secret redacted, where each secret comes from (an environment variable name, never a
//! value), the live etags the plan saw, and fingerprints so that apply can refuse a plan that
//! is stale, aimed elsewhere, damaged or edited.
//!
//! The file is versioned JSON with its own serde types (see `docs/plan-format.md`). Its
//! `checksum` (SHA-256 of the rest) catches truncation and accidental edits; it is not a
//! signature: anyone who can write the file can recompute it.

use crate::{Action, LiveState, Plan, PlanMode, PlanOptions, ResourceChange, fingerprint};
use adf_core::secret::{self, REDACTED};
use adf_core::{
    DesiredResource, DesiredState, FactoryTarget, Kind, ResourceAddress, RuntimeStatePolicy,
    SecretSlot, TriggerRuntimeState,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The saved-plan format version this build writes and reads.
pub const FORMAT_VERSION: &str = "1";

/// The `kind` every saved plan carries, to tell it from other JSON files.
const KIND: &str = "adfctl-saved-plan";

/// Why a saved plan cannot be used. Messages never contain a secret value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SavedPlanError {
    /// The file ends early.
    #[error("the plan file is truncated (it ends early); make a new plan with `adfctl plan --out`")]
    Truncated,
    /// Not JSON, or not a saved plan.
    #[error("not an adfctl saved plan: {0}")]
    NotAPlan(String),
    /// Written by another format version.
    #[error(
        "the plan file has format_version {found:?}; this adfctl reads version {FORMAT_VERSION}: make a new plan with this adfctl"
    )]
    UnsupportedVersion {
        /// The version found in the file.
        found: String,
    },
    /// The checksum does not match the content.
    #[error("the plan file was modified after it was written (checksum mismatch); make a new plan")]
    Tampered,
    /// The plan is for another factory.
    #[error("the plan is for {planned}, not {given}; make a new plan for this target")]
    TargetMismatch {
        /// `subscription/resourceGroup/factory` of the plan.
        planned: String,
        /// `subscription/resourceGroup/factory` asked for.
        given: String,
    },
    /// Live state changed since the plan was made.
    #[error(
        "live state changed since the plan was made ({}); make a new plan",
        .changed.join(", ")
    )]
    Stale {
        /// What changed, one entry per resource (`pipeline/x: etag changed`).
        changed: Vec<String>,
    },
    /// A secret's environment variable is not set.
    #[error("{address}: environment variable {variable} (a secret at {pointer}) is not set")]
    MissingSecret {
        /// The resource.
        address: String,
        /// The JSON pointer.
        pointer: String,
        /// The environment variable.
        variable: String,
    },
    /// A secret written literally in the spec cannot be restored from the plan file.
    #[error(
        "{address}: the secret at {pointer} is not taken from the environment, so a saved plan cannot carry it; use `secretFromEnv`, or apply the spec directly"
    )]
    SecretNotReproducible {
        /// The resource.
        address: String,
        /// The JSON pointer.
        pointer: String,
    },
    /// A secret's value differs from the one planned.
    #[error("{}", secrets_changed_message(.variables))]
    SecretsChanged {
        /// The environment variables whose value differs, sorted; empty when the plan file
        /// cannot tell (it predates [`SavedPlan::variable_fingerprints`]).
        variables: Vec<String>,
    },
}

/// The message of [`SavedPlanError::SecretsChanged`]: names the variables, never a value.
fn secrets_changed_message(variables: &[String]) -> String {
    match variables {
        [] => "a secret value in the environment differs from the one the plan was made with; make a new plan".into(),
        [variable] => format!(
            "the value of environment variable {variable} is not the one the plan was made with; set it back, or make a new plan"
        ),
        several => format!(
            "the values of environment variables {} are not the ones the plan was made with; set them back, or make a new plan",
            several.join(", ")
        ),
    }
}

/// A plan as saved to a file.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedPlan {
    /// The plan (changes with redacted bodies, etags, dependencies).
    pub plan: Plan,
    /// Whether it was made with `--prune`.
    pub prune: bool,
    /// Whether the spec manages the resource group.
    pub resource_group_managed: bool,
    /// Whether the spec manages the factory (`factory.managed`).
    pub factory_managed: bool,
    /// The entities the spec declares `external`.
    pub external: Vec<ResourceAddress>,
    /// The desired resources with every secret [`REDACTED`]; their `secrets` slots say which
    /// environment variable each value comes from.
    pub desired: Vec<DesiredResource>,
    /// SHA-256 of the redacted desired state (see [`desired_fingerprint`]).
    pub desired_fingerprint: String,
    /// A [`fingerprint`] of every secret value restorable from the environment, so apply can
    /// refuse when one changed; `None` when there are none.
    pub secrets_fingerprint: Option<String>,
    /// A [`fingerprint`] per environment variable (of the secrets it supplies), so that a
    /// refusal can name the variable that changed. Checked only when
    /// [`SavedPlan::secrets_fingerprint`] does not match; empty in files written before it.
    pub variable_fingerprints: BTreeMap<String, String>,
}

impl SavedPlan {
    /// Saves `plan`, made from `desired` with `options`. `secrets_salt` is random bytes from
    /// the caller (16 or more), used for the secrets fingerprint.
    pub fn new(
        plan: &Plan,
        desired: &DesiredState,
        options: &PlanOptions,
        secrets_salt: &[u8],
    ) -> SavedPlan {
        let redacted: Vec<DesiredResource> = desired
            .resources
            .iter()
            .map(|r| DesiredResource {
                body: r.redacted_body(),
                ..r.clone()
            })
            .collect();
        let pairs = env_secret_pairs(desired);
        let variable_fingerprints: BTreeMap<String, String> = env_secret_pairs_by_variable(desired)
            .into_iter()
            .map(|(variable, pairs)| {
                (
                    variable,
                    fingerprint::fingerprint(secrets_salt, &borrow(&pairs)),
                )
            })
            .collect();
        let secrets_fingerprint = match variable_fingerprints.values().next() {
            None => None,
            // One variable supplies every secret: its pairs are all the pairs, so its
            // fingerprint is the whole one (a KDF run saved).
            Some(only) if variable_fingerprints.len() == 1 => Some(only.clone()),
            Some(_) => Some(fingerprint::fingerprint(secrets_salt, &borrow(&pairs))),
        };
        SavedPlan {
            plan: plan.clone(),
            prune: options.prune,
            resource_group_managed: desired.resource_group_managed,
            factory_managed: desired.factory_managed,
            external: desired.external.clone(),
            desired: redacted,
            desired_fingerprint: desired_fingerprint(desired),
            secrets_fingerprint,
            variable_fingerprints,
        }
    }

    /// The options the plan was made with.
    pub fn options(&self) -> PlanOptions {
        PlanOptions {
            mode: self.plan.mode,
            prune: self.prune,
            keep_unmanaged: Vec::new(),
            ..PlanOptions::apply()
        }
    }

    /// Refuses a plan made for another subscription, resource group or factory.
    pub fn check_target(&self, target: &FactoryTarget) -> Result<(), SavedPlanError> {
        let same = self
            .plan
            .target
            .subscription
            .eq_ignore_ascii_case(&target.subscription)
            && self
                .plan
                .target
                .resource_group
                .eq_ignore_ascii_case(&target.resource_group)
            && self
                .plan
                .target
                .factory
                .eq_ignore_ascii_case(&target.factory);
        if same {
            Ok(())
        } else {
            Err(SavedPlanError::TargetMismatch {
                planned: target_text(&self.plan.target),
                given: target_text(target),
            })
        }
    }

    /// Refuses the plan when live state changed since it was made: an etag differs, a resource
    /// appeared or disappeared. In destroy and prune plans a new live child counts too.
    pub fn check_live(&self, live: &LiveState) -> Result<(), SavedPlanError> {
        let mut changed = Vec::new();
        for change in &self.plan.changes {
            let now = live.get(&change.address);
            let existed = change.before.is_some() || change.live_etag.is_some();
            match now {
                None if existed => changed.push(format!("{}: deleted", change.address)),
                Some(_) if !existed => changed.push(format!("{}: created", change.address)),
                Some(resource) if resource.etag() != change.live_etag => {
                    changed.push(format!("{}: etag changed", change.address))
                }
                Some(resource) => {
                    if let Some((Some(then), _)) = change.runtime_state
                        && resource.runtime_state() != Some(then)
                    {
                        changed.push(format!("{}: runtime state changed", change.address));
                    }
                }
                _ => {}
            }
        }
        for resource in &live.resources {
            let known = self.plan.get(&resource.address).is_some()
                || self.plan.unmanaged.contains(&resource.address)
                || self.plan.kept.contains(&resource.address)
                || self
                    .plan
                    .scope
                    .as_ref()
                    .is_some_and(|scope| scope.out_of_scope.contains(&resource.address))
                || self.plan.external.contains(&resource.address);
            // A spec that does not describe its resource group (or its factory, when it does
            // not manage it) plans nothing for it; nor does a destroy of a selection
            // (`--include`/`--exclude`), which deletes only the entities it names.
            let scoped_destroy = self.plan.mode == PlanMode::Destroy && self.plan.scope.is_some();
            let described = match resource.address.kind {
                Kind::ResourceGroup => false,
                Kind::Factory => self.factory_managed && !scoped_destroy,
                _ => true,
            };
            if !known && described {
                changed.push(format!("{}: created", resource.address));
            }
        }
        for address in &self.plan.external {
            if live.get(address).is_none() {
                changed.push(format!("{address}: deleted (external)"));
            }
        }
        if changed.is_empty() {
            Ok(())
        } else {
            Err(SavedPlanError::Stale { changed })
        }
    }

    /// After [`SavedPlan::check_live`] refused the plan: the changes a plan made now of the
    /// saved desired state (`desired`, from [`SavedPlan::desired_state`]) against `live`, with
    /// the saved plan's [options](SavedPlan::options), would still make (no-ops left out).
    /// The entities the saved plan deliberately left alone are left out too, since its
    /// options no longer name them: those kept by `prune.keep`, and for a plan made with
    /// `--include`/`--exclude` (whose patterns are not saved) every entity it has no change
    /// for. Empty when the plan's changes are all live already: it was applied, or the same
    /// changes were made since. For telling the user; never apply these changes.
    pub fn outstanding(&self, desired: &DesiredState, live: &LiveState) -> Vec<ResourceChange> {
        let scoped = self.plan.scope.is_some();
        let left_alone = |address: &ResourceAddress| {
            self.plan.kept.contains(address) || (scoped && self.plan.get(address).is_none())
        };
        crate::plan(desired, live, &self.options())
            .changes
            .into_iter()
            .filter(|change| change.action != Action::NoOp && !left_alone(&change.address))
            .collect()
    }

    /// Whether `desired` is the desired state this plan was made from (bodies compared
    /// redacted; secret values are checked by [`SavedPlan::desired_state`]).
    pub fn matches_desired(&self, desired: &DesiredState) -> bool {
        desired_fingerprint(desired) == self.desired_fingerprint
    }

    /// The desired state to apply: the saved bodies with each secret read again from its
    /// environment variable through `env` (the caller's lookup; this crate reads no
    /// environment). Fails when a variable is unset, when a resource to write has a secret
    /// that no variable provides, or when a value differs from the planned one.
    pub fn desired_state(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<DesiredState, SavedPlanError> {
        let mut resources = Vec::with_capacity(self.desired.len());
        for saved in &self.desired {
            let mut resource = saved.clone();
            let written = self
                .plan
                .get(&saved.address)
                .is_some_and(|c| c.action.writes() && c.body_changed);
            for slot in &saved.secrets {
                let Some(variable) = &slot.from_env else {
                    continue;
                };
                let value = env(variable).ok_or_else(|| SavedPlanError::MissingSecret {
                    address: saved.address.to_string(),
                    pointer: slot.pointer.clone(),
                    variable: variable.clone(),
                })?;
                if let Some(target) = resource.body.pointer_mut(&slot.pointer) {
                    *target = Value::String(value);
                }
            }
            if written {
                for pointer in resource.all_secret_pointers() {
                    if resource.body.pointer(&pointer).and_then(Value::as_str) == Some(REDACTED) {
                        return Err(SavedPlanError::SecretNotReproducible {
                            address: saved.address.to_string(),
                            pointer,
                        });
                    }
                }
                // A credential inside a plain connection string was saved redacted too: it
                // cannot be sent again (it would become the literal placeholder).
                let inline = adf_core::secret::connection_string_credentials(&resource.body);
                if let Some((label, _)) = inline.iter().find(|(_, value)| value == REDACTED) {
                    return Err(SavedPlanError::SecretNotReproducible {
                        address: saved.address.to_string(),
                        pointer: label.clone(),
                    });
                }
            }
            resources.push(resource);
        }
        let state = DesiredState {
            target: self.plan.target.clone(),
            resource_group_managed: self.resource_group_managed,
            factory_managed: self.factory_managed,
            external: self.external.clone(),
            resources,
        };
        let pairs = env_secret_pairs(&state);
        let all_match = match &self.secrets_fingerprint {
            None => pairs.is_empty(),
            Some(annotation) => fingerprint::matches(annotation, &borrow(&pairs)) == Some(true),
        };
        if !all_match {
            return Err(SavedPlanError::SecretsChanged {
                variables: self.changed_variables(&state),
            });
        }
        Ok(state)
    }

    /// The variables whose secrets no longer match their [`SavedPlan::variable_fingerprints`]
    /// entry (one KDF run each, so only called once the whole fingerprint failed); empty when
    /// the file has no such entries and cannot tell.
    fn changed_variables(&self, state: &DesiredState) -> Vec<String> {
        if self.variable_fingerprints.is_empty() {
            return Vec::new();
        }
        env_secret_pairs_by_variable(state)
            .into_iter()
            .filter(|(variable, pairs)| {
                self.variable_fingerprints
                    .get(variable)
                    .is_none_or(|annotation| {
                        fingerprint::matches(annotation, &borrow(pairs)) != Some(true)
                    })
            })
            .map(|(variable, _)| variable)
            .collect()
    }

    /// The file's text (pretty JSON, ending with a newline).
    pub fn to_file_string(&self) -> String {
        let mut document = match serde_json::to_value(self.to_file()) {
            Ok(value) => value,
            Err(_) => Value::Null,
        };
        let checksum = checksum(&document);
        if let Value::Object(map) = &mut document {
            map.insert("checksum".into(), Value::String(checksum));
        }
        let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a saved plan, validating its kind, version, checksum and content.
    pub fn from_file_str(text: &str) -> Result<SavedPlan, SavedPlanError> {
        let mut document: Value = serde_json::from_str(text).map_err(|error| {
            if error.is_eof() {
                SavedPlanError::Truncated
            } else {
                SavedPlanError::NotAPlan(format!(
                    "invalid JSON at line {} column {}",
                    error.line(),
                    error.column()
                ))
            }
        })?;
        let Value::Object(map) = &mut document else {
            return Err(SavedPlanError::NotAPlan("not a JSON object".into()));
        };
        if map.get("kind").and_then(Value::as_str) != Some(KIND) {
            return Err(SavedPlanError::NotAPlan(format!("no \"kind\": \"{KIND}\"")));
        }
        match map.get("format_version") {
            Some(Value::String(version)) if version == FORMAT_VERSION => {}
            Some(Value::String(version)) => {
                return Err(SavedPlanError::UnsupportedVersion {
                    found: version.clone(),
                });
            }
            other => {
                return Err(SavedPlanError::UnsupportedVersion {
                    found: other
                        .map(ToString::to_string)
                        .unwrap_or_else(|| "none".into()),
                });
            }
        }
        let Some(Value::String(stored)) = map.remove("checksum") else {
            return Err(SavedPlanError::Tampered);
        };
        if checksum(&document) != stored {
            return Err(SavedPlanError::Tampered);
        }
        let file: SavedFile = serde_json::from_value(document)
            .map_err(|error| SavedPlanError::NotAPlan(error.to_string()))?;
        file.into_saved()
    }

    fn to_file(&self) -> SavedFile {
        SavedFile {
            kind: KIND.into(),
            format_version: FORMAT_VERSION.into(),
            target: SavedTarget {
                subscription: self.plan.target.subscription.clone(),
                resource_group: self.plan.target.resource_group.clone(),
                factory: self.plan.target.factory.clone(),
            },
            mode: self.plan.mode.as_str().into(),
            prune: self.prune,
            resource_group_managed: self.resource_group_managed,
            factory_managed: self.factory_managed,
            external: self.external.iter().map(ToString::to_string).collect(),
            desired_fingerprint: self.desired_fingerprint.clone(),
            secrets_fingerprint: self.secrets_fingerprint.clone(),
            variable_fingerprints: self.variable_fingerprints.clone(),
            desired: self
                .desired
                .iter()
                .map(|r| SavedDesired {
                    address: r.address.to_string(),
                    path: r.path.clone(),
                    // Redacted again: a caller could have built `desired` by hand.
                    body: secret::redact(&r.body, &pointers(r)),
                    secrets: r
                        .secrets
                        .iter()
                        .map(|s| SavedSlot {
                            pointer: s.pointer.clone(),
                            from_env: s.from_env.clone(),
                        })
                        .collect(),
                    runtime_state: r.runtime_state.map(|p| p.as_str().to_owned()),
                })
                .collect(),
            changes: self.plan.changes.iter().map(SavedChange::from).collect(),
            unmanaged: self
                .plan
                .unmanaged
                .iter()
                .map(ToString::to_string)
                .collect(),
            kept: self.plan.kept.iter().map(ToString::to_string).collect(),
            scoped: self.plan.scope.is_some(),
            out_of_scope: self
                .plan
                .scope
                .iter()
                .flat_map(|scope| scope.out_of_scope.iter().map(ToString::to_string))
                .collect(),
            external_live: self.plan.external.iter().map(ToString::to_string).collect(),
            notes: self.plan.notes.clone(),
        }
    }
}

/// The file text of a saved plan (same as [`SavedPlan::to_file_string`]).
pub fn to_string(saved: &SavedPlan) -> String {
    saved.to_file_string()
}

/// Reads a saved plan (same as [`SavedPlan::from_file_str`]).
pub fn from_str(text: &str) -> Result<SavedPlan, SavedPlanError> {
    SavedPlan::from_file_str(text)
}

impl std::str::FromStr for SavedPlan {
    type Err = SavedPlanError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        SavedPlan::from_file_str(text)
    }
}

fn pointers(resource: &DesiredResource) -> Vec<String> {
    resource.secrets.iter().map(|s| s.pointer.clone()).collect()
}

fn target_text(target: &FactoryTarget) -> String {
    format!(
        "{}/{}/{}",
        target.subscription, target.resource_group, target.factory
    )
}

/// SHA-256 over the desired state with every secret redacted (target, resource-group flag,
/// each resource's address, path, body, secret slots and runtime state), as `sha256:<hex>`.
pub fn desired_fingerprint(desired: &DesiredState) -> String {
    let resources: Vec<Value> = desired
        .resources
        .iter()
        .map(|r| {
            serde_json::json!({
                "address": r.address.to_string(),
                "path": r.path,
                "body": r.redacted_body(),
                "secrets": r.secrets.iter().map(|s| serde_json::json!([s.pointer, s.from_env])).collect::<Vec<_>>(),
                "runtime_state": r.runtime_state.map(RuntimeStatePolicy::as_str),
            })
        })
        .collect();
    let mut document = serde_json::json!({
        "target": target_text(&desired.target),
        "resource_group_managed": desired.resource_group_managed,
        "resources": resources,
    });
    // Only when they differ from their defaults, so that earlier plans keep their digest.
    if !desired.factory_managed {
        document["factory_managed"] = Value::Bool(false);
    }
    if !desired.external.is_empty() {
        document["external"] = desired.external.iter().map(ToString::to_string).collect();
    }
    checksum(&document)
}

/// (`address#pointer`, value) of every secret that comes from an environment variable.
fn env_secret_pairs(desired: &DesiredState) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = env_secret_pairs_by_variable(desired)
        .into_values()
        .flatten()
        .collect();
    pairs.sort();
    pairs
}

/// The (`address#pointer`, value) pairs of the secrets each environment variable supplies.
fn env_secret_pairs_by_variable(desired: &DesiredState) -> BTreeMap<String, Vec<(String, String)>> {
    let mut groups: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for resource in &desired.resources {
        for slot in &resource.secrets {
            let Some(variable) = &slot.from_env else {
                continue;
            };
            if let Some(value) = resource.body.pointer(&slot.pointer) {
                let text = match value {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                groups
                    .entry(variable.clone())
                    .or_default()
                    .push((format!("{}#{}", resource.address, slot.pointer), text));
            }
        }
    }
    for pairs in groups.values_mut() {
        pairs.sort();
    }
    groups
}

/// Pairs as the fingerprint functions take them.
fn borrow(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(p, v)| (p.as_str(), v.as_str()))
        .collect()
}

fn checksum(document: &Value) -> String {
    let text = sorted(document).to_string();
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Keys sorted at every level (nothing dropped), so the checksum ignores key order.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for key in keys {
                out.insert(key.clone(), sorted(&map[key]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

fn state_text(state: TriggerRuntimeState) -> String {
    crate::diff::state_name(Some(state)).to_owned()
}

fn parse_state(text: &str) -> Result<TriggerRuntimeState, SavedPlanError> {
    match text {
        "Started" => Ok(TriggerRuntimeState::Started),
        "Stopped" => Ok(TriggerRuntimeState::Stopped),
        other => Err(SavedPlanError::NotAPlan(format!(
            "unknown runtime state {other:?}"
        ))),
    }
}

fn parse_policy(text: &str) -> Result<RuntimeStatePolicy, SavedPlanError> {
    RuntimeStatePolicy::parse(text)
        .ok_or_else(|| SavedPlanError::NotAPlan(format!("unknown runtime state {text:?}")))
}

fn parse_address(text: &str) -> Result<ResourceAddress, SavedPlanError> {
    ResourceAddress::parse(text)
        .ok_or_else(|| SavedPlanError::NotAPlan(format!("invalid resource address {text:?}")))
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedFile {
    kind: String,
    format_version: String,
    target: SavedTarget,
    mode: String,
    prune: bool,
    resource_group_managed: bool,
    /// `factory.managed` (written only when `false`, so plans that do not use it stay
    /// readable by an adfctl that predates it).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    factory_managed: bool,
    /// The entities the spec declares `external` (written only when there are some).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    external: Vec<String>,
    desired_fingerprint: String,
    secrets_fingerprint: Option<String>,
    /// [`SavedPlan::variable_fingerprints`] (written only when there are some; absent in files
    /// written before it).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    variable_fingerprints: BTreeMap<String, String>,
    desired: Vec<SavedDesired>,
    changes: Vec<SavedChange>,
    unmanaged: Vec<String>,
    /// Live entities kept by `prune.keep` (absent in files written before it existed).
    #[serde(default)]
    kept: Vec<String>,
    /// [`Plan::external`]: the external entities the plan saw live.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    external_live: Vec<String>,
    /// Made with `--include`/`--exclude` (written only then).
    #[serde(default, skip_serializing_if = "is_false")]
    scoped: bool,
    /// With `--include`/`--exclude`: the entities the plan left alone (written only then).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    out_of_scope: Vec<String>,
    notes: Vec<String>,
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_false(value: &bool) -> bool {
    !*value
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedTarget {
    subscription: String,
    resource_group: String,
    factory: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedDesired {
    address: String,
    path: String,
    body: Value,
    secrets: Vec<SavedSlot>,
    runtime_state: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedSlot {
    pointer: String,
    from_env: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedChange {
    address: String,
    path: String,
    action: String,
    reason: Option<String>,
    changed_secrets: Vec<String>,
    live_etag: Option<String>,
    depends_on: Vec<String>,
    runtime_state: Option<[Option<String>; 2]>,
    body_changed: bool,
    needs_stop: bool,
    needs_start: bool,
    /// [`ResourceChange::runtime_state_kept`] (written only when `true`).
    #[serde(default, skip_serializing_if = "is_false")]
    runtime_state_kept: bool,
    before: Option<Value>,
    after: Option<Value>,
    /// [`ResourceChange::calls`] (written only when there are some).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    calls: Vec<String>,
}

impl From<&ResourceChange> for SavedChange {
    fn from(change: &ResourceChange) -> Self {
        SavedChange {
            address: change.address.to_string(),
            path: change.path.clone(),
            action: change.action.as_str().into(),
            reason: change.reason.clone(),
            changed_secrets: change.changed_secrets.clone(),
            live_etag: change.live_etag.clone(),
            depends_on: change.depends_on.iter().map(ToString::to_string).collect(),
            runtime_state: change
                .runtime_state
                .map(|(live, desired)| [live.map(state_text), desired.map(state_text)]),
            body_changed: change.body_changed,
            needs_stop: change.needs_stop,
            needs_start: change.needs_start,
            runtime_state_kept: change.runtime_state_kept,
            before: change.before.as_deref().cloned(),
            after: change.after.as_deref().cloned(),
            calls: change.calls.clone(),
        }
    }
}

impl SavedChange {
    fn into_change(self) -> Result<ResourceChange, SavedPlanError> {
        let action = Action::parse(&self.action)
            .ok_or_else(|| SavedPlanError::NotAPlan(format!("unknown action {:?}", self.action)))?;
        let optional_state = |text: Option<String>| text.as_deref().map(parse_state).transpose();
        let runtime_state = match self.runtime_state {
            Some([live, desired]) => Some((optional_state(live)?, optional_state(desired)?)),
            None => None,
        };
        Ok(ResourceChange {
            address: parse_address(&self.address)?,
            path: self.path,
            action,
            before: self.before.map(std::sync::Arc::new),
            after: self.after.map(std::sync::Arc::new),
            reason: self.reason,
            changed_secrets: self.changed_secrets,
            live_etag: self.live_etag,
            depends_on: self
                .depends_on
                .iter()
                .map(|a| parse_address(a))
                .collect::<Result<_, _>>()?,
            runtime_state,
            body_changed: self.body_changed,
            needs_stop: self.needs_stop,
            needs_start: self.needs_start,
            runtime_state_kept: self.runtime_state_kept,
            // Display only: a saved plan's text was shown when it was made.
            overrides: Vec::new(),
            calls: self.calls,
        })
    }
}

impl SavedFile {
    fn into_saved(self) -> Result<SavedPlan, SavedPlanError> {
        let mode = match self.mode.as_str() {
            "apply" => PlanMode::Apply,
            "destroy" => PlanMode::Destroy,
            other => return Err(SavedPlanError::NotAPlan(format!("unknown mode {other:?}"))),
        };
        let target = FactoryTarget {
            subscription: self.target.subscription,
            resource_group: self.target.resource_group,
            factory: self.target.factory,
        };
        let desired = self
            .desired
            .into_iter()
            .map(|d| {
                Ok(DesiredResource {
                    address: parse_address(&d.address)?,
                    path: d.path,
                    body: d.body,
                    secrets: d
                        .secrets
                        .into_iter()
                        .map(|s| SecretSlot {
                            pointer: s.pointer,
                            from_env: s.from_env,
                        })
                        .collect(),
                    runtime_state: d.runtime_state.as_deref().map(parse_policy).transpose()?,
                })
            })
            .collect::<Result<Vec<_>, SavedPlanError>>()?;
        let changes = self
            .changes
            .into_iter()
            .map(SavedChange::into_change)
            .collect::<Result<Vec<_>, _>>()?;
        let unmanaged = self
            .unmanaged
            .iter()
            .map(|a| parse_address(a))
            .collect::<Result<Vec<_>, _>>()?;
        let kept = self
            .kept
            .iter()
            .map(|a| parse_address(a))
            .collect::<Result<Vec<_>, _>>()?;
        let addresses = |list: &[String]| {
            list.iter()
                .map(|a| parse_address(a))
                .collect::<Result<Vec<_>, _>>()
        };
        let external_live = addresses(&self.external_live)?;
        let external = addresses(&self.external)?;
        let saved = SavedPlan {
            plan: Plan {
                target,
                mode,
                changes,
                unmanaged,
                kept,
                external: external_live,
                notes: self.notes,
                // A saved plan keeps what it left alone (for `check_live`), not the rest.
                scope: (self.scoped || !self.out_of_scope.is_empty())
                    .then(|| {
                        Ok::<_, SavedPlanError>(crate::ScopeReport {
                            out_of_scope: self
                                .out_of_scope
                                .iter()
                                .map(|a| parse_address(a))
                                .collect::<Result<_, _>>()?,
                            ..crate::ScopeReport::default()
                        })
                    })
                    .transpose()?,
            },
            prune: self.prune,
            resource_group_managed: self.resource_group_managed,
            factory_managed: self.factory_managed,
            external,
            desired,
            desired_fingerprint: self.desired_fingerprint,
            secrets_fingerprint: self.secrets_fingerprint,
            variable_fingerprints: self.variable_fingerprints,
        };
        // The embedded desired state must be the one fingerprinted.
        let state = DesiredState {
            target: saved.plan.target.clone(),
            resource_group_managed: saved.resource_group_managed,
            factory_managed: saved.factory_managed,
            external: saved.external.clone(),
            resources: saved.desired.clone(),
        };
        if desired_fingerprint(&state) != saved.desired_fingerprint {
            return Err(SavedPlanError::Tampered);
        }
        Ok(saved)
    }
}
