//! The Event Grid subscription of an event trigger (`BlobEventsTrigger`,
//! `CustomEventsTrigger`): a small state machine on the emulator's clock.
//!
//! ```text
//! Disabled ──subscribeToEvents / start──▶ Provisioning ──(delay)──▶ Enabled
//! Enabled ──unsubscribeFromEvents / stop──▶ Deprovisioning ──(delay)──▶ Disabled
//! ```
//!
//! Transitions complete lazily: the stored record says what began and when, and the status
//! observed at `now` is Enabled (or Disabled) once `EmulatorConfig::event_subscription_delay`
//! has passed. So a fixed or fake clock drives it in tests, and nothing runs in the background.
//!
//! While a transition is in progress ADF refuses to change the trigger: `400 BadRequest`,
//! "Resource cannot be updated during provisioning" (Azure-Player/azure.datafactory.tools#484
//! for a start, microsoft/finops-toolkit#1996 for a second subscribeToEvents,
//! hashicorp/terraform-provider-azurerm#32570 for an update). The same refusal during
//! *deprovisioning* is UNVERIFIED (the public reports are all about provisioning).
//!
//! The record is kept in the trigger's stored properties under [`RECORD_KEY`], which
//! [`strip`] removes before a body leaves the emulator, so it survives restarts and goes away
//! with the trigger.

use super::hidden::HiddenKey;
use crate::wire::ArmError;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use std::time::Duration;
use time::OffsetDateTime;

/// Where the record lives in the trigger's stored properties (never returned).
pub(crate) const RECORD_KEY: &str = "__emulatorEventSubscription";

/// The trigger types whose start subscribes to Event Grid.
const EVENT_TRIGGER_TYPES: &[&str] = &["BlobEventsTrigger", "CustomEventsTrigger"];

/// `EventSubscriptionStatus` of the swagger (`Unknown` is never reported by the emulator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Enabled,
    Provisioning,
    Deprovisioning,
    Disabled,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Enabled => "Enabled",
            Status::Provisioning => "Provisioning",
            Status::Deprovisioning => "Deprovisioning",
            Status::Disabled => "Disabled",
        }
    }

    fn parse(text: &str) -> Option<Status> {
        [
            Status::Enabled,
            Status::Provisioning,
            Status::Deprovisioning,
            Status::Disabled,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }

    /// Whether a transition is in progress (ADF then refuses changes to the trigger).
    pub(crate) fn is_transient(self) -> bool {
        matches!(self, Status::Provisioning | Status::Deprovisioning)
    }
}

/// Whether a trigger's stored properties describe an event trigger.
pub(crate) fn is_event_trigger(properties: &Value) -> bool {
    properties
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|kind| EVENT_TRIGGER_TYPES.contains(&kind))
}

/// The subscription's status at `now`; Disabled when the trigger never subscribed.
pub(crate) fn observe(properties: &Value, now: OffsetDateTime, delay: Duration) -> Status {
    let Some(record) = properties.get(RECORD_KEY) else {
        return Status::Disabled;
    };
    let status = record
        .get("status")
        .and_then(Value::as_str)
        .and_then(Status::parse)
        .unwrap_or(Status::Disabled);
    let since_ms = record.get("sinceMs").and_then(Value::as_i64).unwrap_or(0);
    let elapsed_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64 - since_ms;
    let settled = elapsed_ms >= i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
    match status {
        Status::Provisioning if settled => Status::Enabled,
        Status::Deprovisioning if settled => Status::Disabled,
        status => status,
    }
}

/// Records that `status` began at `now` (the trigger's properties must be an object).
pub(crate) fn begin(properties: &mut Value, status: Status, now: OffsetDateTime) {
    if let Value::Object(map) = properties {
        map.insert(
            RECORD_KEY.into(),
            json!({
                "status": status.as_str(),
                "sinceMs": (now.unix_timestamp_nanos() / 1_000_000) as i64,
            }),
        );
    }
}

/// Carries the record of `existing` over to a new body (a PUT keeps it; a caller cannot set
/// it).
pub(crate) fn carry_over(properties: &mut Map<String, Value>, existing: Option<&Value>) {
    HiddenKey(RECORD_KEY).carry_over(properties, existing);
}

/// The properties as returned: without the record.
pub(crate) fn strip(properties: &Value) -> Value {
    HiddenKey(RECORD_KEY).strip(properties)
}

/// `TriggerSubscriptionOperationStatus`.
pub(crate) fn status_body(trigger: &str, status: Status) -> Value {
    json!({ "triggerName": trigger, "status": status.as_str() })
}

/// ADF's refusal while the subscription is changing (sources in the module docs; the status
/// and code are as azure.datafactory.tools#484 logged them, with ADF's explicit nulls).
pub(crate) fn busy(status: Status) -> ArmError {
    debug_assert!(status.is_transient());
    ArmError::adf(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "Resource cannot be updated during provisioning",
        None,
    )
}

/// The refusal of a subscription operation on a trigger that is not an event trigger
/// (UNVERIFIED: code and wording).
pub(crate) fn not_an_event_trigger(trigger: &str, target: String) -> ArmError {
    ArmError::adf(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!(
            "Trigger '{trigger}' is not an event trigger: only BlobEventsTrigger and CustomEventsTrigger subscribe to events."
        ),
        Some(target),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_700_000_000 + seconds).expect("time")
    }

    const DELAY: Duration = Duration::from_secs(2);

    #[test]
    fn a_trigger_that_never_subscribed_is_disabled() {
        let properties = json!({"type": "BlobEventsTrigger"});
        assert_eq!(observe(&properties, at(0), DELAY), Status::Disabled);
        assert!(is_event_trigger(&properties));
        assert!(is_event_trigger(&json!({"type": "CustomEventsTrigger"})));
        assert!(!is_event_trigger(&json!({"type": "ScheduleTrigger"})));
    }

    #[test]
    fn provisioning_becomes_enabled_after_the_delay() {
        let mut properties = json!({"type": "BlobEventsTrigger"});
        begin(&mut properties, Status::Provisioning, at(0));
        assert_eq!(observe(&properties, at(0), DELAY), Status::Provisioning);
        assert_eq!(observe(&properties, at(1), DELAY), Status::Provisioning);
        assert_eq!(observe(&properties, at(2), DELAY), Status::Enabled);
        begin(&mut properties, Status::Deprovisioning, at(10));
        assert_eq!(observe(&properties, at(11), DELAY), Status::Deprovisioning);
        assert_eq!(observe(&properties, at(12), DELAY), Status::Disabled);
        assert_eq!(
            observe(&properties, at(0), Duration::ZERO),
            Status::Deprovisioning,
            "a clock before the record's start leaves the transition in progress"
        );
    }

    #[test]
    fn the_record_is_carried_over_and_never_returned() {
        let mut existing = json!({"type": "BlobEventsTrigger"});
        begin(&mut existing, Status::Provisioning, at(0));
        let mut written = Map::new();
        written.insert(
            RECORD_KEY.into(),
            json!({"status": "Enabled", "sinceMs": 0}),
        );
        written.insert("type".into(), json!("BlobEventsTrigger"));
        carry_over(&mut written, Some(&existing));
        let written = Value::Object(written);
        assert_eq!(observe(&written, at(0), DELAY), Status::Provisioning);
        assert_eq!(strip(&written), json!({"type": "BlobEventsTrigger"}));
    }
}
