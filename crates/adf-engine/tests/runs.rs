//! Following a run (`runs::follow_run`) against a fake ARM (wiremock): the end of a run, the
//! timeout and the interrupt each end the follow, and the last two cancel the run.

mod common;

use adf_core::FactoryTarget;
use adf_engine::runs::{FollowEnd, follow_run};
use common::client;
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn target() -> FactoryTarget {
    FactoryTarget {
        subscription: "sub".into(),
        resource_group: "rg".into(),
        factory: "f".into(),
    }
}

async fn server_with_run(status: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex("/pipelineruns/r1$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"runId": "r1", "pipelineName": "p", "status": status, "message": null}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex("/pipelineruns/r1/cancel$"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

async fn cancels(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path().ends_with("/cancel"))
        .count()
}

#[tokio::test]
async fn a_finished_run_ends_the_follow_with_its_status_reported_once() {
    let server = server_with_run("Succeeded").await;
    let mut seen = Vec::new();
    let end = follow_run(
        &client(&server),
        &target(),
        "r1",
        Duration::from_secs(60),
        std::future::pending(),
        |run, _| seen.push(run.status.clone()),
    )
    .await
    .expect("followed");
    assert!(matches!(end, FollowEnd::Finished(run) if run.status == "Succeeded"));
    assert_eq!(seen, ["Succeeded"]);
    assert_eq!(cancels(&server).await, 0);
}

#[tokio::test]
async fn the_timeout_and_the_interrupt_cancel_the_run() {
    let server = server_with_run("InProgress").await;
    let end = follow_run(
        &client(&server),
        &target(),
        "r1",
        Duration::ZERO,
        std::future::pending(),
        |_, _| {},
    )
    .await
    .expect("followed");
    assert!(matches!(end, FollowEnd::TimedOut));
    assert_eq!(cancels(&server).await, 1);

    let end = follow_run(
        &client(&server),
        &target(),
        "r1",
        Duration::from_secs(60),
        std::future::ready(()),
        |_, _| {},
    )
    .await
    .expect("followed");
    assert!(matches!(end, FollowEnd::Interrupted(Ok(()))));
    assert_eq!(cancels(&server).await, 2);
}
