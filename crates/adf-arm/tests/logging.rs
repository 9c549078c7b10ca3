//! With tracing at TRACE, neither tokens, client secrets nor request bodies reach the logs,
//! while the one-line-per-request debug log is there.

use std::sync::Arc;

use adf_arm::{ArmClient, ArmClientOptions, ChainSettings, Credential, SecretString};
use azure_core::http::{AsyncRawResponse, HttpClient, Request, Transport};
use serde_json::json;
use url::Url;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Debug)]
struct ToMockServer(Url);

#[async_trait::async_trait]
impl HttpClient for ToMockServer {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let mut request = request.clone();
        let url = request.url_mut();
        url.set_scheme("http").expect("scheme");
        url.set_host(self.0.host_str()).expect("host");
        url.set_port(self.0.port()).expect("port");
        reqwest::Client::new().execute_request(&request).await
    }
}

#[tokio::test]
async fn trace_logs_carry_no_token_secret_or_body() {
    let captured = adf_testkit::CapturedLogs::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber());

    let login = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "Bearer", "expires_in": 3599, "access_token": "access-token-value"
        })))
        .mount(&login)
        .await;
    let arm = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("x-ms-request-id", "req-log")
                .set_body_json(json!({"error": {"code": "BadRequest", "message": "no"}})),
        )
        .mount(&arm)
        .await;
    let mut options = ArmClientOptions::new(Url::parse(&arm.uri()).expect("url"));
    options.credential = Credential::Chain(ChainSettings {
        authority_host: Some("https://login.test".into()),
        tenant_id: Some("72f988bf-86f1-41af-91ab-2d7cd011db47".into()),
        client_id: Some("app-id".into()),
        client_secret: Some(SecretString::new("client-secret-value")),
        managed_identity: false,
        azure_cli: false,
        transport: Some(Transport::new(Arc::new(ToMockServer(
            Url::parse(&login.uri()).expect("url"),
        )))),
        ..ChainSettings::default()
    });
    let client = ArmClient::new(options).expect("client");
    let body = json!({"properties": {"typeProperties": {"password": {"type": "SecureString", "value": "body-secret-value"}}}});
    let error = client
        .put(
            "/subscriptions/s/resourceGroups/rg",
            "2021-04-01",
            &body,
            None,
        )
        .await
        .expect_err("400");
    tracing::error!("{error}");

    let logs = captured.text();
    assert!(
        logs.contains("ARM request"),
        "the per-request debug line is missing:\n{logs}"
    );
    assert!(logs.contains("req-log"), "{logs}");
    for secret in [
        "access-token-value",
        "client-secret-value",
        "body-secret-value",
    ] {
        assert!(
            !logs.contains(secret),
            "{secret} leaked into the logs:\n{logs}"
        );
    }
}
