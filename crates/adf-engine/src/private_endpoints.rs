//! The approval state of managed private endpoints, read after apply: a new (or replaced)
//! endpoint is `Pending` until the owner of its target resource approves the private link,
//! and the data it should carry does not flow until then.
//!
//! The state is the service's (`properties.connectionState`, EX:ManagedPrivateEndpoints_Get);
//! the plan never compares it. This module only reads it: [`Approval::of`] from a body the
//! refresh already holds, [`read_approvals`] with one GET per endpoint that apply just wrote.

use adf_arm::ArmClient;
use adf_core::{ADF_API_VERSION, ResourceAddress};
use serde_json::Value;

/// An endpoint's `connectionState`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// `Pending`, `Approved`, `Rejected` or `Disconnected` (as the service says it).
    pub status: String,
    /// The service's (or the approver's) description; may be empty.
    pub description: String,
    /// `actionsRequired` (`None` in every public example).
    pub actions_required: String,
    /// The endpoint's `privateLinkResourceId`: where it is approved.
    pub target: Option<String>,
}

impl Approval {
    /// The approval state in an endpoint's ARM body; `None` when the body has none.
    pub fn of(body: &Value) -> Option<Approval> {
        let properties = body.get("properties")?;
        let state = properties.get("connectionState")?;
        let text = |value: &Value, key: &str| {
            value
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let status = text(state, "status");
        if status.is_empty() {
            return None;
        }
        Some(Approval {
            status,
            description: text(state, "description"),
            actions_required: text(state, "actionsRequired"),
            target: properties
                .get("privateLinkResourceId")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// Whether the private link is approved (the only state in which data flows).
    pub fn is_approved(&self) -> bool {
        self.status.eq_ignore_ascii_case("Approved")
    }
}

/// What reading one endpoint's approval state gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalReading {
    /// The endpoint and its state.
    Read(Approval),
    /// The endpoint exists but reports no state.
    Unknown,
    /// The endpoint does not exist (apply failed to create it, or it was deleted since).
    Missing,
    /// The GET failed; the ARM error, as text.
    Failed(String),
}

/// Reads the approval state of each endpoint, one GET each (`path` is its ARM path, as in
/// [`adf_plan::ResourceChange::path`]), in the order given.
pub async fn read_approvals(
    client: &ArmClient,
    endpoints: &[(ResourceAddress, String)],
) -> Vec<(ResourceAddress, ApprovalReading)> {
    let mut readings = Vec::with_capacity(endpoints.len());
    for (address, path) in endpoints {
        let reading = match client.get_optional(path, ADF_API_VERSION).await {
            Ok(Some(response)) => reading_of(&response.body),
            Ok(None) => ApprovalReading::Missing,
            Err(error) => ApprovalReading::Failed(error.to_string()),
        };
        readings.push((address.clone(), reading));
    }
    readings
}

/// The reading of an endpoint's body.
pub fn reading_of(body: &Value) -> ApprovalReading {
    Approval::of(body).map_or(ApprovalReading::Unknown, ApprovalReading::Read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_state_is_read_from_the_example_body() {
        let body = json!({
            "name": "pe",
            "properties": {
                "privateLinkResourceId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a",
                "groupId": "blob",
                "connectionState": {"status": "Pending", "description": "", "actionsRequired": "None"}
            }
        });
        let approval = Approval::of(&body).expect("a state");
        assert_eq!(approval.status, "Pending");
        assert!(!approval.is_approved());
        assert_eq!(approval.actions_required, "None");
        assert_eq!(
            approval.target.as_deref(),
            Some("/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a")
        );
        let approved = json!({"properties": {"connectionState": {"status": "Approved"}}});
        assert!(Approval::of(&approved).is_some_and(|a| a.is_approved()));
    }

    #[test]
    fn a_body_without_a_state_reads_as_unknown() {
        assert_eq!(
            reading_of(&json!({"properties": {}})),
            ApprovalReading::Unknown
        );
        assert_eq!(
            reading_of(&json!({"properties": {"connectionState": {}}})),
            ApprovalReading::Unknown
        );
    }
}
