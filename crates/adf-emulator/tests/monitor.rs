//! The monitor page's routes, without a browser: the page and its two files are served from
//! the binary at `/` and under `/monitor/`, with a policy that lets them load nothing else; the
//! one non-ARM call the page makes lists subscriptions; ARM still answers every ARM path.
//! (tests/e2e/monitor.rs loads the page in headless Chromium.)
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use serde_json::json;

async fn get_plain(emu: &Emu, uri: &str) -> Answer {
    // As a browser asks: no Authorization header.
    emu.raw(Request::get(uri).body(Body::empty()).unwrap())
        .await
}

#[tokio::test]
async fn the_page_is_served_at_the_root_and_under_monitor_without_authorization() {
    let emu = Emu::new();
    for path in [
        "/",
        "/monitor",
        "/monitor/",
        "/monitor/subscriptions/S/resourceGroups/G/factories/F",
        "/monitor/subscriptions/S/resourceGroups/G/factories/F/runs/0b1c",
        "/monitor/subscriptions/S/resourceGroups/My%20RG/factories/F/pipelines/p",
    ] {
        let answer = get_plain(&emu, path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(
            answer.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
        assert!(answer.text.starts_with("<!doctype html>"), "{path}");
        assert!(answer.text.contains("/monitor/assets/monitor.js"));
        let policy = answer.header("content-security-policy").unwrap();
        assert!(policy.contains("default-src 'none'") && policy.contains("connect-src 'self'"));
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
    }
}

#[tokio::test]
async fn the_script_and_style_sheet_are_served_with_their_types() {
    let emu = Emu::new();
    let script = get_plain(&emu, "/monitor/assets/monitor.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    // It reads the ARM API at the api-version ARM clients use, through the run queries.
    for needle in [
        "api-version=2018-06-01",
        "queryPipelineRuns",
        "queryActivityruns",
        "queryTriggerRuns",
        "/_emulator/subscriptions",
    ] {
        assert!(script.text.contains(needle), "{needle}");
    }
    let style = get_plain(&emu, "/monitor/assets/monitor.css").await;
    assert_eq!(style.status, StatusCode::OK);
    assert_eq!(
        style.header("content-type"),
        Some("text/css; charset=utf-8")
    );
    assert!(
        get_plain(&emu, "/monitor/assets/missing.js")
            .await
            .text
            .starts_with("<!doctype html>"),
        "an unknown file under /monitor is the page, whose script says what it cannot show"
    );
}

#[tokio::test]
async fn subscriptions_are_those_that_hold_factories() {
    let emu = Emu::new();
    let empty = get_plain(&emu, "/_emulator/subscriptions").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.body, json!({"value": []}));
    emu.factory("rg1", "df-one").await;
    emu.factory("rg2", "df-two").await;
    // A group without a factory does not count.
    let other = "/subscriptions/99999999-0000-0000-0000-000000000000/resourcegroups/empty?api-version=2021-04-01";
    assert!(
        emu.put(other, json!({"location": "eastus"}))
            .await
            .status
            .is_success()
    );
    let answer = get_plain(&emu, "/_emulator/subscriptions").await;
    assert_eq!(
        answer.body,
        json!({"value": [{"id": format!("/subscriptions/{SUB}"), "subscriptionId": SUB}]})
    );
}

#[tokio::test]
async fn arm_paths_still_need_authorization_and_mask_secrets_for_the_page() {
    let emu = Emu::new();
    let factory = emu.factory("rg", "df-monitor").await;
    let ls = json!({"properties": {"type": "AzureStorage", "typeProperties": {
        "connectionString": {"type": "SecureString", "value": "DefaultEndpointsProtocol=https;AccountKey=hunter2"}}}});
    let answer = emu
        .put(&format!("{factory}/linkedservices/ls?{ADF}"), ls)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    // The page's calls are ARM calls: without a bearer token, 401, as for any client.
    let anonymous = get_plain(&emu, &format!("{factory}/pipelines?{ADF}")).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    // With one (the page sends its own), the answers are ARM's, secrets masked.
    let listed = emu.get(&format!("{factory}/linkedservices?{ADF}")).await;
    assert!(!listed.text.contains("hunter2"), "{}", listed.text);
    assert!(listed.text.contains("**********"), "{}", listed.text);
}

#[test]
fn run_page_urls_point_under_monitor() {
    assert_eq!(
        adf_emulator::monitor::run_page_url("http://127.0.0.1:4000", SUB, "rg", "df", "abc"),
        format!(
            "http://127.0.0.1:4000/monitor/subscriptions/{SUB}/resourceGroups/rg/factories/df/runs/abc"
        )
    );
}
