//! Router-level tests of event triggers' Event Grid subscriptions (subscribeToEvents,
//! getEventSubscriptionStatus, unsubscribeFromEvents, and start and stop of event triggers),
//! driven by a clock the test moves.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const DELAY: Duration = Duration::from_secs(5);

fn blob_trigger(pipeline: &str, folder: &str) -> Value {
    json!({"properties": {"type": "BlobEventsTrigger",
        "typeProperties": {
            "blobPathBeginsWith": format!("/in/blobs/{folder}/"),
            "ignoreEmptyBlobs": true,
            "scope": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct",
            "events": ["Microsoft.Storage.BlobCreated"]},
        "pipelines": [{"pipelineReference": {"referenceName": pipeline, "type": "PipelineReference"}}]}})
}

/// An emulator whose clock the test moves, with a factory, a pipeline `p` and the event
/// trigger `t`; returns the trigger's path (no query).
async fn setup() -> (Emu, Arc<Mutex<time::OffsetDateTime>>, String) {
    let now = Arc::new(Mutex::new(time::macros::datetime!(2026-01-01 00:00 UTC)));
    let clock_now = now.clone();
    let emu = Emu::with(move |config| {
        config.clock = adf_emulator::Clock::from_fn(move || *clock_now.lock().unwrap());
        config.event_subscription_delay = DELAY;
    });
    let f = emu.factory("rg", "fac").await;
    let pipeline = json!({"properties": {"activities": [
        {"name": "wait", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 1}}]}});
    emu.put(&format!("{f}/pipelines/p?{ADF}"), pipeline).await;
    let trigger = format!("{f}/triggers/t");
    let created = emu
        .put(&format!("{trigger}?{ADF}"), blob_trigger("p", "a"))
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    (emu, now, trigger)
}

async fn status(emu: &Emu, trigger: &str) -> Value {
    let answer = emu
        .post(
            &format!("{trigger}/getEventSubscriptionStatus?{ADF}"),
            json!(null),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.body
}

fn advance(now: &Mutex<time::OffsetDateTime>, by: Duration) {
    *now.lock().unwrap() += by;
}

fn assert_busy(answer: &Answer) {
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
    assert_eq!(answer.code(), "BadRequest");
    assert_eq!(
        answer.body["error"]["message"],
        "Resource cannot be updated during provisioning"
    );
}

#[tokio::test]
async fn subscribe_provisions_then_enables_and_unsubscribe_deprovisions_then_disables() {
    let (emu, now, trigger) = setup().await;
    assert_eq!(
        status(&emu, &trigger).await,
        json!({"triggerName": "t", "status": "Disabled"})
    );

    let subscribe = emu
        .post(&format!("{trigger}/subscribeToEvents?{ADF}"), json!(null))
        .await;
    assert_eq!(subscribe.status, StatusCode::ACCEPTED);
    let location = subscribe.header("location").unwrap().to_owned();
    assert!(
        location.ends_with(
            "/factories/fac/triggers/t/getEventSubscriptionStatus?api-version=2018-06-01"
        ),
        "{location}"
    );
    assert!(location.starts_with("http"), "absolute: {location}");
    assert_eq!(status(&emu, &trigger).await["status"], "Provisioning");
    // The SDKs poll the Location with GET: 202 until the change is done, then the status.
    let path = &location[location.find("/subscriptions").unwrap()..];
    assert_eq!(emu.get(path).await.status, StatusCode::ACCEPTED);
    // A second subscribe while provisioning is refused (microsoft/finops-toolkit#1996).
    assert_busy(
        &emu.post(&format!("{trigger}/subscribeToEvents?{ADF}"), json!(null))
            .await,
    );

    advance(&now, DELAY);
    assert_eq!(status(&emu, &trigger).await["status"], "Enabled");
    let polled = emu.get(path).await;
    assert_eq!(polled.status, StatusCode::OK);
    assert_eq!(
        polled.body,
        json!({"triggerName": "t", "status": "Enabled"})
    );
    // Subscribing again when enabled is done at once.
    let again = emu
        .post(&format!("{trigger}/subscribeToEvents?{ADF}"), json!(null))
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["status"], "Enabled");

    let unsubscribe = emu
        .post(
            &format!("{trigger}/unsubscribeFromEvents?{ADF}"),
            json!(null),
        )
        .await;
    assert_eq!(unsubscribe.status, StatusCode::ACCEPTED);
    assert!(unsubscribe.header("location").is_some());
    assert_eq!(status(&emu, &trigger).await["status"], "Deprovisioning");
    // Repeating an unsubscribe under way answers as the first one.
    let repeated = emu
        .post(
            &format!("{trigger}/unsubscribeFromEvents?{ADF}"),
            json!(null),
        )
        .await;
    assert_eq!(repeated.status, StatusCode::ACCEPTED);
    advance(&now, DELAY);
    assert_eq!(status(&emu, &trigger).await["status"], "Disabled");
    let done = emu
        .post(
            &format!("{trigger}/unsubscribeFromEvents?{ADF}"),
            json!(null),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(done.body["status"], "Disabled");
}

#[tokio::test]
async fn start_subscribes_and_changes_are_refused_until_the_subscription_settles() {
    let (emu, now, trigger) = setup().await;
    let uri = format!("{trigger}?{ADF}");
    let start = emu
        .post(&format!("{trigger}/start?{ADF}"), json!(null))
        .await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.text);
    assert_eq!(
        emu.get(&uri).await.body["properties"]["runtimeState"],
        "Started"
    );
    assert_eq!(status(&emu, &trigger).await["status"], "Provisioning");

    // While provisioning: PUT, DELETE, start and stop are refused with ADF's error, before
    // the started trigger's TriggerEnabledCannotUpdate.
    assert_busy(&emu.put(&uri, blob_trigger("p", "b")).await);
    assert_busy(&emu.delete(&uri).await);
    assert_busy(
        &emu.post(&format!("{trigger}/start?{ADF}"), json!(null))
            .await,
    );
    assert_busy(
        &emu.post(&format!("{trigger}/stop?{ADF}"), json!(null))
            .await,
    );
    assert_busy(
        &emu.post(
            &format!("{trigger}/unsubscribeFromEvents?{ADF}"),
            json!(null),
        )
        .await,
    );

    advance(&now, DELAY);
    assert_eq!(status(&emu, &trigger).await["status"], "Enabled");
    let enabled = emu.put(&uri, blob_trigger("p", "b")).await;
    assert_eq!(enabled.code(), "TriggerEnabledCannotUpdate");

    // Stop unsubscribes: the trigger is Stopped at once, the subscription deprovisions.
    let stop = emu
        .post(&format!("{trigger}/stop?{ADF}"), json!(null))
        .await;
    assert_eq!(stop.status, StatusCode::OK, "{}", stop.text);
    assert_eq!(
        emu.get(&uri).await.body["properties"]["runtimeState"],
        "Stopped"
    );
    assert_eq!(status(&emu, &trigger).await["status"], "Deprovisioning");
    assert_busy(&emu.put(&uri, blob_trigger("p", "b")).await);
    assert_busy(
        &emu.post(&format!("{trigger}/start?{ADF}"), json!(null))
            .await,
    );
    // A stop repeated while deprovisioning succeeds (a re-run of an interrupted apply).
    assert_eq!(
        emu.post(&format!("{trigger}/stop?{ADF}"), json!(null))
            .await
            .status,
        StatusCode::OK
    );

    advance(&now, DELAY);
    assert_eq!(status(&emu, &trigger).await["status"], "Disabled");
    let updated = emu.put(&uri, blob_trigger("p", "b")).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    let properties = &updated.body["properties"];
    assert_eq!(
        properties["typeProperties"]["blobPathBeginsWith"],
        "/in/blobs/b/"
    );
    assert_eq!(
        properties
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| k.starts_with("__"))
            .count(),
        0,
        "the emulator's record never leaves it: {properties}"
    );
    assert_eq!(emu.delete(&uri).await.status, StatusCode::OK);
}

#[tokio::test]
async fn subscription_operations_need_an_existing_event_trigger() {
    let (emu, _now, trigger) = setup().await;
    let factory = trigger.trim_end_matches("/triggers/t");
    let schedule = json!({"properties": {"type": "ScheduleTrigger",
        "typeProperties": {"recurrence": {"frequency": "Minute", "interval": 5}}}});
    emu.put(&format!("{factory}/triggers/sched?{ADF}"), schedule)
        .await;
    for action in [
        "subscribeToEvents",
        "getEventSubscriptionStatus",
        "unsubscribeFromEvents",
    ] {
        let answer = emu
            .post(
                &format!("{factory}/triggers/sched/{action}?{ADF}"),
                json!(null),
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{action}");
        assert!(
            answer.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("not an event trigger"),
            "{}",
            answer.text
        );
        let missing = emu
            .call(
                Method::POST,
                &format!("{factory}/triggers/none/{action}?{ADF}"),
                None,
                &[],
            )
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{action}");
    }
    // A schedule trigger's start and stop are as before: no subscription involved.
    assert_eq!(
        emu.post(
            &format!("{factory}/triggers/sched/start?{ADF}"),
            json!(null)
        )
        .await
        .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn custom_event_triggers_subscribe_too_and_a_zero_delay_settles_at_once() {
    let emu = Emu::with(|config| config.event_subscription_delay = Duration::ZERO);
    let f = emu.factory("rg", "fac").await;
    let custom = json!({"properties": {"type": "CustomEventsTrigger",
        "typeProperties": {"scope": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.EventGrid/topics/topic",
            "events": ["Contoso.Order"]}}});
    assert_eq!(
        emu.put(&format!("{f}/triggers/c?{ADF}"), custom)
            .await
            .status,
        StatusCode::OK
    );
    emu.post(&format!("{f}/triggers/c/start?{ADF}"), json!(null))
        .await;
    assert_eq!(
        status(&emu, &format!("{f}/triggers/c")).await["status"],
        "Enabled"
    );
}
