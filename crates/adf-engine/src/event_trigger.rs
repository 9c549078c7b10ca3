//! The stop and start of an event trigger (`BlobEventsTrigger`, `CustomEventsTrigger`), whose
//! Event Grid subscription must settle before ADF accepts the next change: the most reported
//! deploy failure of event triggers is ADF's `400 BadRequest` "Resource cannot be updated
//! during provisioning" (Azure-Player/azure.datafactory.tools#484,
//! hashicorp/terraform-provider-azurerm#32570) on a PUT or start made while the subscription is
//! still provisioning.
//!
//! Expected flow (the plan marks the steps, [`adf_plan::Step::event_trigger`]):
//! - stop: POST `…/stop`, POST `…/unsubscribeFromEvents` (not followed: ADF answers 202 with a
//!   `Location`, or 200 when already unsubscribed), then poll `…/getEventSubscriptionStatus`
//!   until `Disabled`;
//! - start: POST `…/start`, repeated while ADF refuses it because the subscription is changing
//!   (waiting for it to settle between attempts, [`EventSubscriptionWait::start_attempts`] in
//!   all), then poll until `Enabled`.
//!
//! Guarantees: every wait is bounded ([`EventSubscriptionWait::timeout`]), polls back off
//! (doubling from `first_poll` to `max_poll`), and a failure says the trigger and the state its
//! subscription was last seen in. Every request is idempotent, so a re-run converges.
//!
//! Caveats: a start that times out waiting for `Enabled` leaves the trigger started (ADF will
//! finish provisioning on its own); the step is still reported failed, since events are not
//! delivered yet.

use adf_arm::{ArmClient, ArmError, Idempotency};
use serde_json::Value;
use std::time::Duration;
use tokio::time::Instant;

/// The bounds of the waits for an event trigger's Event Grid subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSubscriptionWait {
    /// How long one wait for a subscription state may take (ADF takes seconds to a few
    /// minutes; azure.datafactory.tools waits up to 5 minutes).
    pub timeout: Duration,
    /// The pause before the second status poll; doubled after each poll, up to `max_poll`.
    pub first_poll: Duration,
    /// The longest pause between two status polls.
    pub max_poll: Duration,
    /// Attempts of a start that ADF refuses while the subscription is changing.
    pub start_attempts: u32,
}

impl Default for EventSubscriptionWait {
    fn default() -> Self {
        EventSubscriptionWait {
            timeout: Duration::from_secs(300),
            first_poll: Duration::from_millis(500),
            max_poll: Duration::from_secs(10),
            start_attempts: 5,
        }
    }
}

/// Stops an event trigger and waits until its subscription is `Disabled`. `stop_path` is the
/// step's `…/triggers/T/stop`.
pub(crate) async fn stop(
    client: &ArmClient,
    stop_path: &str,
    version: &str,
    name: &str,
    wait: &EventSubscriptionWait,
) -> Result<(), String> {
    let trigger = trigger_path(stop_path);
    post_when_settled(client, stop_path, version, name, wait).await?;
    // ADF's stop unsubscribes too; asking explicitly covers a service that does not.
    let unsubscribe = format!("{trigger}/unsubscribeFromEvents");
    if let Err(error) = client
        .begin_post(&unsubscribe, version, None, Idempotency::Idempotent)
        .await
        && !is_busy(&error)
    {
        return Err(format!(
            "trigger '{name}': unsubscribeFromEvents failed: {error}"
        ));
    }
    wait_until(client, trigger, version, name, "Disabled", wait).await
}

/// Starts an event trigger (retrying while ADF refuses because its subscription is changing)
/// and waits until its subscription is `Enabled`. `start_path` is the step's
/// `…/triggers/T/start`.
pub(crate) async fn start(
    client: &ArmClient,
    start_path: &str,
    version: &str,
    name: &str,
    wait: &EventSubscriptionWait,
) -> Result<(), String> {
    let trigger = trigger_path(start_path);
    post_when_settled(client, start_path, version, name, wait).await?;
    wait_until(client, trigger, version, name, "Enabled", wait).await
}

/// POSTs a start or stop, repeated while ADF refuses it because the subscription is changing
/// (a previous apply's start may still be provisioning), waiting for it to settle between
/// attempts; [`EventSubscriptionWait::start_attempts`] in all.
async fn post_when_settled(
    client: &ArmClient,
    action_path: &str,
    version: &str,
    name: &str,
    wait: &EventSubscriptionWait,
) -> Result<(), String> {
    let trigger = trigger_path(action_path);
    let action = action_path.rsplit('/').next().unwrap_or(action_path);
    let attempts = wait.start_attempts.max(1);
    let mut attempt = 1;
    loop {
        match client
            .post(action_path, version, None, Idempotency::Idempotent)
            .await
        {
            Ok(_) => return Ok(()),
            Err(error) if is_busy(&error) && attempt < attempts => {
                attempt += 1;
                settle(client, trigger, version, name, wait).await?;
            }
            Err(error) if is_busy(&error) => {
                let state = status(client, trigger, version)
                    .await
                    .unwrap_or_else(|_| "Unknown".to_owned());
                return Err(format!(
                    "trigger '{name}': {action} refused {attempts} times while its event subscription was changing (last seen {state}): {error}"
                ));
            }
            Err(error) => return Err(error.to_string()),
        }
    }
}

/// The trigger's path from the path of one of its actions.
fn trigger_path(action_path: &str) -> &str {
    action_path
        .rsplit_once('/')
        .map_or(action_path, |(trigger, _)| trigger)
}

/// ADF's refusal while the subscription is changing (400, "Resource cannot be updated during
/// provisioning").
fn is_busy(error: &ArmError) -> bool {
    matches!(error, ArmError::Api { status: 400, message, .. }
        if message.to_ascii_lowercase().contains("cannot be updated during provisioning"))
}

/// The subscription's status (`Enabled`, `Provisioning`, `Deprovisioning`, `Disabled`,
/// `Unknown`).
async fn status(client: &ArmClient, trigger: &str, version: &str) -> Result<String, ArmError> {
    let path = format!("{trigger}/getEventSubscriptionStatus");
    let response = client
        .post(&path, version, None, Idempotency::Idempotent)
        .await?;
    Ok(response
        .body
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("Unknown")
        .to_owned())
}

/// Waits until the subscription is neither provisioning nor deprovisioning.
async fn settle(
    client: &ArmClient,
    trigger: &str,
    version: &str,
    name: &str,
    wait: &EventSubscriptionWait,
) -> Result<(), String> {
    poll(client, trigger, version, name, wait, "settled", |state| {
        state != "Provisioning" && state != "Deprovisioning"
    })
    .await
}

async fn wait_until(
    client: &ArmClient,
    trigger: &str,
    version: &str,
    name: &str,
    wanted: &str,
    wait: &EventSubscriptionWait,
) -> Result<(), String> {
    poll(client, trigger, version, name, wait, wanted, |state| {
        state == wanted
    })
    .await
}

/// Polls the status with backoff until `done` holds, or the bound passes.
async fn poll(
    client: &ArmClient,
    trigger: &str,
    version: &str,
    name: &str,
    wait: &EventSubscriptionWait,
    wanted: &str,
    done: impl Fn(&str) -> bool,
) -> Result<(), String> {
    let deadline = Instant::now() + wait.timeout;
    let mut pause = wait.first_poll;
    loop {
        let state = status(client, trigger, version).await.map_err(|error| {
            format!("trigger '{name}': cannot read its event subscription status: {error}")
        })?;
        if done(&state) {
            return Ok(());
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(format!(
                "trigger '{name}': its event subscription is still {state} after {}s (waiting for {wanted}); \
                 ADF refuses to update, start or delete the trigger until it settles",
                wait.timeout.as_secs_f64()
            ));
        }
        tokio::time::sleep(pause.min(deadline - now)).await;
        pause = (pause * 2).min(wait.max_poll.max(wait.first_poll));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_paths_name_their_trigger() {
        assert_eq!(
            trigger_path("/s/factories/f/triggers/t/stop"),
            "/s/factories/f/triggers/t"
        );
    }

    #[test]
    fn only_the_provisioning_refusal_is_retried() {
        let api = |status: u16, message: &str| ArmError::Api {
            status,
            code: "BadRequest".into(),
            message: message.into(),
            target: None,
            request_id: None,
            correlation_id: None,
            method: "POST".into(),
            path: "/t/start".into(),
        };
        assert!(is_busy(&api(
            400,
            "Resource cannot be updated during provisioning"
        )));
        assert!(!is_busy(&api(400, "Cannot update enabled Trigger")));
        assert!(!is_busy(&api(
            409,
            "Resource cannot be updated during provisioning"
        )));
    }
}
