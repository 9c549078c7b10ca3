//! ArmClient against wiremock: retries, idempotency, paging, LROs, 404s, typed and malformed
//! errors, pacing, headers. No real Azure.

use std::time::{Duration, Instant};

use adf_arm::{
    ArmClient, ArmClientOptions, ArmError, Credential, Idempotency, PacingOptions, RetryOptions,
    SecretString,
};
use serde_json::{Value, json};
use url::Url;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const API: &str = "2018-06-01";
const PIPELINE: &str =
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataFactory/factories/f/pipelines/p";
const FACTORY: &str =
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataFactory/factories/f";

fn options(server: &MockServer) -> ArmClientOptions {
    let mut options = ArmClientOptions::new(Url::parse(&server.uri()).expect("server url"));
    options.retry = RetryOptions {
        max_retries: 3,
        initial_delay: Duration::from_millis(1),
        max_delay: Duration::from_secs(5),
    };
    options.pacing.enabled = false;
    options.lro.default_poll_interval = Duration::from_millis(1);
    options
}

fn client(server: &MockServer) -> ArmClient {
    ArmClient::new(options(server)).expect("client")
}

fn arm_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("x-ms-request-id", "req-1234")
        .insert_header("x-ms-correlation-request-id", "corr-5678")
        .set_body_json(
            json!({"error": {"code": code, "message": message, "target": null, "details": null}}),
        )
}

fn ok_json(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("x-ms-request-id", "req-ok")
        .set_body_json(body)
}

#[tokio::test]
async fn get_sends_api_version_local_token_and_reads_etag_and_request_id() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PIPELINE))
        .and(query_param("api-version", API))
        .and(header("authorization", "Bearer adfctl-local"))
        .and(header("accept", "application/json"))
        .respond_with(ok_json(
            json!({"name": "p", "etag": "e1", "properties": {}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let response = client(&server).get(PIPELINE, API).await.expect("get");
    assert_eq!(response.status, 200);
    assert_eq!(response.body["name"], "p");
    assert_eq!(response.etag.as_deref(), Some("e1"));
    assert_eq!(response.request_id.as_deref(), Some("req-ok"));
}

#[tokio::test]
async fn static_token_and_if_match_are_sent_on_put() {
    let server = MockServer::start().await;
    let body = json!({"properties": {"activities": []}});
    Mock::given(method("PUT"))
        .and(path(PIPELINE))
        .and(header("authorization", "Bearer tok-static"))
        .and(header("if-match", "e1"))
        .and(header("content-type", "application/json"))
        .and(body_json(&body))
        .respond_with(ok_json(json!({"name": "p", "etag": "e2"})))
        .expect(1)
        .mount(&server)
        .await;
    let mut options = options(&server);
    options.credential = Credential::Static(SecretString::new("tok-static"));
    let client = ArmClient::new(options).expect("client");
    let response = client
        .put(PIPELINE, API, &body, Some("e1"))
        .await
        .expect("put");
    assert_eq!(response.etag.as_deref(), Some("e2"));
    assert_eq!(client.stats().put, 1);
    assert_eq!(client.stats().writes(), 1);
}

#[tokio::test]
async fn retries_honour_retry_after_and_then_succeed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ok_json(json!({"name": "p"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let logs = adf_testkit::CapturedLogs::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());
    let started = Instant::now();
    client.get(PIPELINE, API).await.expect("get after retry");
    // The retry shows at the CLI's default level (WARN), with its wait and the reason.
    let text = logs.text();
    assert!(
        text.contains("WARN")
            && text.contains("in 1.0 s (attempt 2 of ")
            && text.contains("HTTP 503"),
        "{text}"
    );
    // A lower bound only: the client waited the second ARM asked for, not the 1 ms backoff.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    let stats = client.stats();
    assert_eq!((stats.get, stats.retries), (2, 1));
}

#[tokio::test]
async fn retries_stop_after_max_retries_with_the_last_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(arm_error(500, "InternalServerError", "boom"))
        .expect(4)
        .mount(&server)
        .await;
    let client = client(&server);
    let error = client.get(PIPELINE, API).await.expect_err("500");
    assert_eq!(error.status(), Some(500));
    assert_eq!(error.code(), Some("InternalServerError"));
    let stats = client.stats();
    assert_eq!((stats.get, stats.retries), (4, 3));
}

#[tokio::test]
async fn throttling_is_retried_and_counted() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(
            arm_error(429, "TooManyRequests", "slow down").insert_header("Retry-After", "0"),
        )
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ok_json(json!({"name": "p"})))
        .mount(&server)
        .await;
    let client = client(&server);
    client
        .put(PIPELINE, API, &json!({}), None)
        .await
        .expect("put");
    let stats = client.stats();
    assert_eq!((stats.put, stats.throttled, stats.retries), (3, 2, 2));
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(arm_error(
            400,
            "TriggerEnabledCannotUpdate",
            "Cannot update enabled Trigger; the trigger needs to be disabled first. ",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let error = client
        .put(PIPELINE, API, &json!({}), None)
        .await
        .expect_err("400");
    assert_eq!(client.stats().retries, 0);
    match &error {
        ArmError::Api {
            status,
            code,
            request_id,
            correlation_id,
            method,
            path,
            ..
        } => {
            assert_eq!(*status, 400);
            assert_eq!(code, "TriggerEnabledCannotUpdate");
            assert_eq!(request_id.as_deref(), Some("req-1234"));
            assert_eq!(correlation_id.as_deref(), Some("corr-5678"));
            assert_eq!(method, "PUT");
            assert_eq!(path, PIPELINE);
        }
        other => panic!("expected Api, got {other:?}"),
    }
    insta::assert_snapshot!(error.to_string(), @"ARM returned 400 TriggerEnabledCannotUpdate: Cannot update enabled Trigger; the trigger needs to be disabled first. (request id req-1234)");
}

#[tokio::test]
async fn non_idempotent_post_is_not_retried_on_500_or_503() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{PIPELINE}/createRun")))
        .respond_with(arm_error(500, "InternalServerError", "maybe started"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{PIPELINE}/other")))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let create_run = format!("{PIPELINE}/createRun");
    let error = client
        .post(
            &create_run,
            API,
            Some(&json!({})),
            Idempotency::NonIdempotent,
        )
        .await
        .expect_err("500");
    assert_eq!(error.status(), Some(500));
    let other = format!("{PIPELINE}/other");
    let error = client
        .post(&other, API, None, Idempotency::NonIdempotent)
        .await
        .expect_err("503");
    assert_eq!(error.code(), Some("ServiceUnavailable"));
    assert_eq!((client.stats().post, client.stats().retries), (2, 0));
}

#[tokio::test]
async fn idempotent_post_is_retried_on_500() {
    let server = MockServer::start().await;
    let stop = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataFactory/factories/f/triggers/t/stop";
    Mock::given(method("POST"))
        .and(path(stop))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(stop))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let client = client(&server);
    let response = client
        .post(stop, API, None, Idempotency::Idempotent)
        .await
        .expect("stop");
    assert_eq!(
        response.body,
        Value::Null,
        "empty 200 body is fine for an action"
    );
    assert_eq!(client.stats().post, 2);
}

#[tokio::test]
async fn non_idempotent_post_is_retried_on_429_which_arm_sends_before_processing() {
    let server = MockServer::start().await;
    let create_run = format!("{PIPELINE}/createRun");
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ok_json(json!({"runId": "r1"})))
        .mount(&server)
        .await;
    let client = client(&server);
    let response = client
        .post(
            &create_run,
            API,
            Some(&json!({})),
            Idempotency::NonIdempotent,
        )
        .await
        .expect("createRun");
    assert_eq!(response.body["runId"], "r1");
    assert_eq!(client.stats().post, 2);
}

/// A port nobody listens on: bind, note the port, close.
fn closed_port_endpoint() -> Url {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    Url::parse(&format!("http://127.0.0.1:{port}")).expect("url")
}

#[tokio::test]
async fn non_idempotent_post_is_retried_when_the_connection_was_refused() {
    // Connection refused proves the request never left: retrying cannot start a second run.
    let mut options = ArmClientOptions::new(closed_port_endpoint());
    options.retry = RetryOptions {
        max_retries: 2,
        initial_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(10),
    };
    let client = ArmClient::new(options).expect("client");
    let error = client
        .post(
            &format!("{PIPELINE}/createRun"),
            API,
            None,
            Idempotency::NonIdempotent,
        )
        .await
        .expect_err("nobody listens");
    assert!(
        matches!(error, ArmError::Transport { connect: true, .. }),
        "{error:?}"
    );
    assert_eq!((client.stats().post, client.stats().retries), (3, 2));
    assert!(
        error.to_string().starts_with("POST /subscriptions/"),
        "{error}"
    );
}

#[tokio::test]
async fn timeouts_are_retried_for_idempotent_requests_only() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok_json(json!({})).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ok_json(json!({})).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let mut options = options(&server);
    options.timeout = Duration::from_millis(300);
    options.retry.max_retries = 1;
    let client = ArmClient::new(options).expect("client");
    let error = client.get(PIPELINE, API).await.expect_err("timeout");
    assert!(matches!(error, ArmError::Timeout { .. }), "{error:?}");
    assert_eq!(client.stats().get, 2);
    let error = client
        .post(
            &format!("{PIPELINE}/createRun"),
            API,
            None,
            Idempotency::NonIdempotent,
        )
        .await
        .expect_err("timeout");
    assert!(matches!(error, ArmError::Timeout { .. }), "{error:?}");
    assert_eq!(
        client.stats().post,
        1,
        "a timed-out createRun may have started a run"
    );
}

#[tokio::test]
async fn not_found_handling_of_get_get_optional_delete_and_head() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(arm_error(
            404,
            "ResourceNotFound",
            "The Resource 'Microsoft.DataFactory/factories/f' under resource group 'rg' was not found.",
        ))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/subscriptions/s/resourcegroups/missing"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/subscriptions/s/resourcegroups/present"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = client(&server);
    let error = client.get(FACTORY, API).await.expect_err("404");
    assert!(error.is_not_found());
    assert_eq!(error.code(), Some("ResourceNotFound"));
    assert_eq!(error.request_id(), Some("req-1234"));
    assert_eq!(
        client.get_optional(FACTORY, API).await.expect("optional"),
        None
    );
    client
        .delete(FACTORY, API)
        .await
        .expect("delete of a missing resource succeeds");
    assert!(
        !client
            .head_exists("/subscriptions/s/resourcegroups/missing", "2021-04-01")
            .await
            .expect("head")
    );
    assert!(
        client
            .head_exists("/subscriptions/s/resourcegroups/present", "2021-04-01")
            .await
            .expect("head")
    );
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test]
async fn a_404_without_a_body_still_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).insert_header("x-ms-request-id", "r404"))
        .mount(&server)
        .await;
    let error = client(&server).get(PIPELINE, API).await.expect_err("404");
    assert!(error.is_not_found());
    assert_eq!(error.code(), Some("NotFound"));
    assert_eq!(error.request_id(), Some("r404"));
}

#[tokio::test]
async fn delete_follows_location_202_202_200() {
    let server = MockServer::start().await;
    let operation = format!(
        "{}/subscriptions/s/operationresults/op1?api-version=2021-04-01",
        server.uri()
    );
    Mock::given(method("DELETE"))
        .and(path("/subscriptions/s/resourcegroups/rg"))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("Location", operation.as_str())
                .insert_header("Retry-After", "0"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/subscriptions/s/operationresults/op1"))
        .and(query_param("api-version", "2021-04-01"))
        .respond_with(ResponseTemplate::new(202).insert_header("Retry-After", "0"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/subscriptions/s/operationresults/op1"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    client
        .delete("/subscriptions/s/resourcegroups/rg", "2021-04-01")
        .await
        .expect("delete");
    let stats = client.stats();
    assert_eq!((stats.delete, stats.get), (1, 3));
}

#[tokio::test]
async fn begin_delete_returns_a_poller_that_reports_progress() {
    let server = MockServer::start().await;
    let operation = format!("{}/subscriptions/s/operationresults/op2", server.uri());
    Mock::given(method("DELETE"))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("Location", operation.as_str())
                .insert_header("Retry-After", "15"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(202).insert_header("Retry-After", "7"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = client(&server);
    let mut poller = client
        .begin_delete("/subscriptions/s/resourcegroups/rg", "2021-04-01")
        .await
        .expect("begin");
    assert!(!poller.is_done());
    assert_eq!(poller.retry_after(), Duration::from_secs(15));
    assert!(!poller.poll().await.expect("poll 1"));
    assert_eq!(poller.retry_after(), Duration::from_secs(7));
    assert!(poller.poll().await.expect("poll 2"));
    assert_eq!(poller.polls(), 2);
    assert_eq!(poller.response().map(|r| r.status), Some(204));
}

#[tokio::test]
async fn retry_after_between_polls_is_capped() {
    let server = MockServer::start().await;
    let operation = format!("{}/op", server.uri());
    Mock::given(method("DELETE"))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("Location", operation.as_str())
                .insert_header("Retry-After", "3600"),
        )
        .mount(&server)
        .await;
    let mut options = options(&server);
    options.lro.max_poll_interval = Duration::from_secs(2);
    let poller = ArmClient::new(options)
        .expect("client")
        .begin_delete(FACTORY, API)
        .await
        .expect("begin");
    assert_eq!(poller.retry_after(), Duration::from_secs(2));
}

#[tokio::test]
async fn azure_async_operation_is_polled_until_succeeded() {
    let server = MockServer::start().await;
    let operation = format!("{}/subscriptions/s/providers/x/operations/o1", server.uri());
    Mock::given(method("DELETE"))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("Azure-AsyncOperation", operation.as_str())
                .insert_header("Retry-After", "0"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ok_json(json!({"status": "InProgress"})).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ok_json(json!({"status": "Succeeded"})))
        .mount(&server)
        .await;
    let client = client(&server);
    client.delete(FACTORY, API).await.expect("delete");
    assert_eq!(client.stats().get, 2);
}

#[tokio::test]
async fn a_failed_async_operation_is_a_typed_error() {
    let server = MockServer::start().await;
    let operation = format!("{}/operations/o2", server.uri());
    Mock::given(method("DELETE"))
        .respond_with(
            ResponseTemplate::new(202).insert_header("Azure-AsyncOperation", operation.as_str()),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ok_json(json!({"status": "Failed", "error": {"code": "ResourceGroupDeletionBlocked", "message": "locked"}})))
        .mount(&server)
        .await;
    let error = client(&server)
        .delete(FACTORY, API)
        .await
        .expect_err("failed");
    assert!(
        matches!(error, ArmError::OperationFailed { .. }),
        "{error:?}"
    );
    assert_eq!(error.code(), Some("ResourceGroupDeletionBlocked"));
    assert_eq!(error.request_id(), Some("req-ok"));
}

#[tokio::test]
async fn put_that_returns_201_with_an_async_operation_polls_then_reads_the_resource() {
    let server = MockServer::start().await;
    let operation = format!("{}/operations/o3", server.uri());
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("Azure-AsyncOperation", operation.as_str())
                .set_body_json(
                    json!({"name": "f", "properties": {"provisioningState": "Creating"}}),
                ),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/operations/o3"))
        .respond_with(ok_json(json!({"status": "Succeeded"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(FACTORY))
        .respond_with(ok_json(
            json!({"name": "f", "properties": {"provisioningState": "Succeeded"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let response = client(&server)
        .put(FACTORY, API, &json!({"location": "eastus"}), None)
        .await
        .expect("put");
    assert_eq!(
        response.body["properties"]["provisioningState"],
        "Succeeded"
    );
}

#[tokio::test]
async fn a_202_without_a_link_or_with_a_foreign_link_is_malformed() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/nolink"))
        .respond_with(ResponseTemplate::new(202).insert_header("x-ms-request-id", "r202"))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/foreign"))
        .respond_with(
            ResponseTemplate::new(202).insert_header("Location", "https://attacker.example/op"),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    let error = client.delete("/nolink", API).await.expect_err("no link");
    assert!(
        matches!(error, ArmError::MalformedResponse { status: 202, .. }),
        "{error:?}"
    );
    assert_eq!(error.request_id(), Some("r202"));
    let error = client.delete("/foreign", API).await.expect_err("foreign");
    assert!(
        error
            .to_string()
            .contains("refusing to follow a link to https://attacker.example"),
        "{error}"
    );
    assert_eq!(client.stats().get, 0);
}

#[tokio::test]
async fn list_follows_next_link_verbatim_across_three_pages_including_an_empty_one() {
    let server = MockServer::start().await;
    let collection = format!("{FACTORY}/pipelines");
    let page2 = format!(
        "{}{collection}?api-version={API}&$skipToken=two",
        server.uri()
    );
    let page3 = format!(
        "{}{collection}?api-version={API}&$skipToken=three",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path(collection.as_str()))
        .and(query_param("$skipToken", "two"))
        .respond_with(ok_json(json!({"value": [], "nextLink": page3})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(collection.as_str()))
        .and(query_param("$skipToken", "three"))
        .respond_with(ok_json(json!({"value": [{"name": "c"}, {"name": "d"}]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(collection.as_str()))
        .respond_with(ok_json(
            json!({"value": [{"name": "a"}, {"name": "b"}], "nextLink": page2}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let items = client.list(&collection, API).await.expect("list");
    let names: Vec<&str> = items
        .iter()
        .filter_map(|item| item["name"].as_str())
        .collect();
    assert_eq!(names, ["a", "b", "c", "d"]);
    assert_eq!(client.stats().get, 3);
}

#[tokio::test]
async fn list_detects_a_next_link_loop() {
    let server = MockServer::start().await;
    let again = format!("{}/list?page=2", server.uri());
    Mock::given(method("GET"))
        .and(path("/list"))
        .respond_with(ok_json(json!({"value": [1], "nextLink": again})))
        .mount(&server)
        .await;
    let client = client(&server);
    let error = client.list("/list", API).await.expect_err("loop");
    assert!(
        matches!(error, ArmError::MalformedResponse { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("nextLink loop"), "{error}");
    assert_eq!(
        client.stats().get,
        2,
        "page 2 fetched once, then the repeat is caught"
    );
}

#[tokio::test]
async fn list_stops_at_the_page_limit() {
    let server = MockServer::start().await;
    // Every page points at a fresh page: only the page limit ends this.
    let base = Url::parse(&server.uri()).expect("url");
    Mock::given(method("GET"))
        .respond_with(move |request: &wiremock::Request| {
            let mut next = base.join(request.url.path()).expect("join");
            let n: u64 = request
                .url
                .query_pairs()
                .find(|(key, _)| key == "n")
                .and_then(|(_, value)| value.parse().ok())
                .unwrap_or(0);
            next.set_query(Some(&format!("n={}", n + 1)));
            ok_json(json!({"value": [], "nextLink": next.as_str()}))
        })
        .mount(&server)
        .await;
    let mut options = options(&server);
    options.max_pages = 5;
    let client = ArmClient::new(options).expect("client");
    let error = client.list("/endless", API).await.expect_err("page limit");
    assert!(error.to_string().contains("more than 5 pages"), "{error}");
    assert_eq!(client.stats().get, 5);
}

async fn malformed(template: ResponseTemplate, call: &str) -> ArmError {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(template.insert_header("x-ms-request-id", "req-bad"))
        .mount(&server)
        .await;
    let client = client(&server);
    let result = match call {
        "get" => client.get(PIPELINE, API).await.map(|_| ()),
        "list" => client.list(PIPELINE, API).await.map(|_| ()),
        "put" => client
            .put(PIPELINE, API, &json!({}), None)
            .await
            .map(|_| ()),
        _ => unreachable!(),
    };
    let error = result.expect_err("malformed");
    assert!(
        matches!(error, ArmError::MalformedResponse { .. }),
        "{call}: {error:?}"
    );
    assert_eq!(error.request_id(), Some("req-bad"), "{error}");
    let text = error.to_string();
    assert!(
        !text.contains("SECRET-IN-BODY"),
        "the body leaked into: {text}"
    );
    error
}

#[tokio::test]
async fn malformed_responses_are_typed_errors_with_the_request_id() {
    let truncated = malformed(
        ResponseTemplate::new(200).set_body_raw(
            r#"{"name":"p","properties":{"password":"SECRET-IN-BODY""#,
            "application/json",
        ),
        "get",
    )
    .await;
    assert!(
        truncated.to_string().contains("not valid JSON"),
        "{truncated}"
    );

    let html = malformed(
        ResponseTemplate::new(200).set_body_raw(
            "<html><body>SECRET-IN-BODY proxy</body></html>",
            "text/html",
        ),
        "get",
    )
    .await;
    assert!(html.to_string().contains("text/html"), "{html}");

    let empty = malformed(ResponseTemplate::new(200), "put").await;
    assert!(empty.to_string().contains("empty body"), "{empty}");

    let array = malformed(
        ResponseTemplate::new(200).set_body_json(json!(["SECRET-IN-BODY"])),
        "get",
    )
    .await;
    assert!(
        array.to_string().contains("expected a JSON object"),
        "{array}"
    );

    let value_not_array = malformed(
        ResponseTemplate::new(200).set_body_json(json!({"value": {"x": "SECRET-IN-BODY"}})),
        "list",
    )
    .await;
    assert!(
        value_not_array.to_string().contains("`value` is an object"),
        "{value_not_array}"
    );

    let next_link_number = malformed(
        ResponseTemplate::new(200).set_body_json(json!({"value": [], "nextLink": 7})),
        "list",
    )
    .await;
    assert!(
        next_link_number
            .to_string()
            .contains("`nextLink` is a number"),
        "{next_link_number}"
    );

    let error_body_not_arm = malformed(
        ResponseTemplate::new(400).set_body_json(json!({"error": "SECRET-IN-BODY"})),
        "get",
    )
    .await;
    assert_eq!(error_body_not_arm.status(), Some(400));
}

#[tokio::test]
async fn an_html_502_from_a_proxy_is_retried_then_reported_as_malformed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(502)
                .insert_header("x-ms-request-id", "req-502")
                .set_body_raw("<html>Bad Gateway</html>", "text/html"),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    let error = client.get(PIPELINE, API).await.expect_err("502");
    assert!(
        matches!(error, ArmError::MalformedResponse { status: 502, .. }),
        "{error:?}"
    );
    assert_eq!(error.request_id(), Some("req-502"));
    assert!(!error.is_not_found());
    assert_eq!(client.stats().get, 4);
}

fn remaining(count: &str) -> ResponseTemplate {
    ok_json(json!({"name": "p"}))
        .insert_header("x-ms-ratelimit-remaining-subscription-reads", count)
}

async fn paced_requests(remaining_reads: &str) -> (u64, u64) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(remaining(remaining_reads))
        .mount(&server)
        .await;
    let mut options = options(&server);
    options.pacing = PacingOptions {
        enabled: true,
        low_watermark: 100,
        max_spacing: Duration::from_millis(20),
        ..PacingOptions::default()
    };
    let client = ArmClient::new(options).expect("client");
    let requests = (0..4).map(|_| client.get(PIPELINE, API));
    for result in futures_join(requests).await {
        result.expect("get");
    }
    (client.stats().get, client.stats().paced)
}

async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut outputs = Vec::new();
    for future in futures {
        outputs.push(future.await);
    }
    outputs
}

#[tokio::test]
async fn pacing_slows_down_when_remaining_is_low_and_not_otherwise() {
    // The first request knows nothing yet; the three after it see "1 read left" and wait.
    assert_eq!(paced_requests("1").await, (4, 3));
    assert_eq!(paced_requests("11999").await, (4, 0));
}

#[tokio::test]
async fn pacing_spaces_concurrent_requests() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(
            ok_json(json!({})).insert_header("x-ms-ratelimit-remaining-subscription-writes", "0"),
        )
        .mount(&server)
        .await;
    let mut options = options(&server);
    options.pacing = PacingOptions {
        enabled: true,
        low_watermark: 100,
        max_spacing: Duration::from_millis(100),
        ..PacingOptions::default()
    };
    let client = ArmClient::new(options).expect("client");
    client
        .put(PIPELINE, API, &json!({}), None)
        .await
        .expect("first");
    let started = Instant::now();
    let body = json!({});
    let (a, b, c) = tokio::join!(
        client.put(PIPELINE, API, &body, None),
        client.put(PIPELINE, API, &body, None),
        client.put(PIPELINE, API, &body, None)
    );
    a.and(b).and(c).expect("puts");
    assert_eq!(client.stats().paced, 3);
    // The first PUT reported 0 writes left, so the next three take consecutive slots 100 ms
    // apart after it: at least ~200 ms from here (lower bound only).
    assert!(
        started.elapsed() >= Duration::from_millis(190),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_plain_http_endpoint_that_is_not_loopback_is_refused() {
    let options = ArmClientOptions::new(Url::parse("http://management.example.com").expect("url"));
    let error = ArmClient::new(options).expect_err("plain http");
    insta::assert_snapshot!(error.to_string(), @"refusing to send Azure credentials over plain http to http://management.example.com/; use an https endpoint, or a loopback address (http://127.0.0.1:PORT) for the local emulator");
    let local = ArmClientOptions::new(Url::parse("http://localhost:8080").expect("url"));
    assert!(ArmClient::new(local).is_ok());
}

#[tokio::test]
async fn paths_keep_their_query_and_get_the_api_version() {
    let server = MockServer::start().await;
    let client = client(&server);
    let url = client
        .resource_url(
            "/subscriptions/s/resourcegroups/rg?forceDeletionTypes=x",
            "2021-04-01",
        )
        .expect("url");
    assert_eq!(
        url.query(),
        Some("forceDeletionTypes=x&api-version=2021-04-01")
    );
    assert!(client.resource_url("no-slash", API).is_err());
}

#[tokio::test]
async fn a_post_without_a_body_sends_content_length_zero() {
    // ARM's front door answers 411 Length Required to a bodiless POST without Content-Length.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("content-length", "0"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .post(
            &format!("{FACTORY}/triggers/t/start"),
            API,
            None,
            Idempotency::Idempotent,
        )
        .await
        .expect("start");
}

#[tokio::test]
async fn waiting_for_an_operation_gives_up_at_the_lro_timeout() {
    let server = MockServer::start().await;
    let operation = format!("{}/op", server.uri());
    Mock::given(method("DELETE"))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("Location", operation.as_str())
                .insert_header("Retry-After", "30"),
        )
        .mount(&server)
        .await;
    let mut options = options(&server);
    options.lro.timeout = Duration::from_secs(10);
    let client = ArmClient::new(options).expect("client");
    let error = client.delete(FACTORY, API).await.expect_err("timeout");
    assert!(matches!(error, ArmError::Timeout { .. }), "{error:?}");
    assert_eq!(
        client.stats().get,
        0,
        "no poll is made that could not finish in time"
    );
}
