//! The credential chain against mocked Entra ID, GitHub OIDC and ARM endpoints (wiremock).
//!
//! azure_identity only accepts https authority hosts, so the chain is configured with the
//! authority `https://login.test` and an azure_core transport that sends those requests to the
//! local mock server instead: the real azure_identity code paths run unchanged.

use std::sync::Arc;
use std::time::Duration;

use adf_arm::{
    ArmClient, ArmClientOptions, ArmError, ChainSettings, Credential, CredentialError,
    GithubOidcSettings, SecretString,
};
use azure_core::http::{AsyncRawResponse, HttpClient, Request, Transport};
use serde_json::json;
use url::Url;
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const API: &str = "2018-06-01";
const FACTORY: &str =
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataFactory/factories/f";

/// Sends azure_identity's https requests to the mock server over http.
#[derive(Debug)]
struct ToMockServer {
    target: Url,
    client: reqwest::Client,
}

#[async_trait::async_trait]
impl HttpClient for ToMockServer {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let mut request = request.clone();
        let url = request.url_mut();
        // The configured authority, or IMDS (169.254.169.254) for managed identity.
        assert!(
            matches!(url.host_str(), Some("login.test" | "169.254.169.254")),
            "unexpected host {url}"
        );
        url.set_scheme("http").expect("scheme");
        url.set_host(self.target.host_str()).expect("host");
        url.set_port(self.target.port()).expect("port");
        self.client.execute_request(&request).await
    }
}

fn mocked(login: &MockServer) -> ChainSettings {
    ChainSettings {
        authority_host: Some("https://login.test".to_string()),
        managed_identity: false,
        azure_cli: false,
        transport: Some(Transport::new(Arc::new(ToMockServer {
            target: Url::parse(&login.uri()).expect("url"),
            client: reqwest::Client::new(),
        }))),
        ..ChainSettings::default()
    }
}

fn arm_client(arm: &MockServer, settings: ChainSettings) -> ArmClient {
    let mut options = ArmClientOptions::new(Url::parse(&arm.uri()).expect("url"));
    options.credential = Credential::Chain(settings);
    options.retry.max_retries = 0;
    ArmClient::new(options).expect("client")
}

fn token_response(token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token
    }))
}

async fn arm_expecting(token: &str, times: u64) -> MockServer {
    let arm = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(FACTORY))
        .and(header("authorization", format!("Bearer {token}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": "f"})))
        .expect(times)
        .mount(&arm)
        .await;
    arm
}

#[tokio::test]
async fn service_principal_token_is_fetched_once_and_cached() {
    let login = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("client_id=app-id"))
        .and(body_string_contains("client_secret=sp-secret-value"))
        .and(body_string_contains("management.azure.com%2F.default"))
        .respond_with(token_response("sp-token"))
        .expect(1)
        .mount(&login)
        .await;
    let arm = arm_expecting("sp-token", 2).await;
    let settings = ChainSettings {
        tenant_id: Some(TENANT.into()),
        client_id: Some("app-id".into()),
        client_secret: Some(SecretString::new("sp-secret-value")),
        ..mocked(&login)
    };
    let client = arm_client(&arm, settings);
    client.get(FACTORY, API).await.expect("first get");
    client
        .get(FACTORY, API)
        .await
        .expect("second get uses the cached token");
}

#[tokio::test]
async fn sovereign_cloud_scope_is_requested() {
    let login = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains(
            "management.usgovcloudapi.net%2F.default",
        ))
        .respond_with(token_response("gov-token"))
        .expect(1)
        .mount(&login)
        .await;
    let arm = arm_expecting("gov-token", 1).await;
    let settings = ChainSettings {
        cloud: adf_arm::Cloud::UsGovernment,
        tenant_id: Some(TENANT.into()),
        client_id: Some("app-id".into()),
        client_secret: Some(SecretString::new("s")),
        ..mocked(&login)
    };
    arm_client(&arm, settings)
        .get(FACTORY, API)
        .await
        .expect("get");
}

#[tokio::test]
async fn workload_identity_exchanges_the_federated_token_file() {
    let login = MockServer::start().await;
    let directory = tempfile::tempdir().expect("tempdir");
    let token_file = directory.path().join("token");
    std::fs::write(&token_file, "federated-jwt").expect("write");
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .and(body_string_contains("client_assertion=federated-jwt"))
        .and(body_string_contains("client_id=wi-app"))
        .respond_with(token_response("wi-token"))
        .expect(1)
        .mount(&login)
        .await;
    let arm = arm_expecting("wi-token", 1).await;
    let settings = ChainSettings {
        tenant_id: Some(TENANT.into()),
        client_id: Some("wi-app".into()),
        federated_token_file: Some(token_file),
        ..mocked(&login)
    };
    arm_client(&arm, settings)
        .get(FACTORY, API)
        .await
        .expect("get");
}

#[tokio::test]
async fn github_actions_oidc_token_is_exchanged_as_a_client_assertion() {
    let login = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/_apis/distributedtask/token"))
        .and(query_param("api-version", "2.0"))
        .and(query_param("audience", "api://AzureADTokenExchange"))
        .and(header("authorization", "Bearer gh-request-token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"count": 1, "value": "gh-jwt"})),
        )
        .expect(1)
        .mount(&login)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .and(body_string_contains("client_assertion=gh-jwt"))
        .and(body_string_contains("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"))
        .respond_with(token_response("gh-token"))
        .expect(1)
        .mount(&login)
        .await;
    let arm = arm_expecting("gh-token", 1).await;
    let mut settings = ChainSettings::from_env([
        ("AZURE_TENANT_ID".to_string(), TENANT.to_string()),
        ("AZURE_CLIENT_ID".to_string(), "gh-app".to_string()),
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL".to_string(),
            format!(
                "{}/_apis/distributedtask/token?api-version=2.0",
                login.uri()
            ),
        ),
        (
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN".to_string(),
            "gh-request-token".to_string(),
        ),
    ]);
    let mock = mocked(&login);
    settings.authority_host = mock.authority_host;
    settings.transport = mock.transport;
    settings.managed_identity = false;
    settings.azure_cli = false;
    arm_client(&arm, settings)
        .get(FACTORY, API)
        .await
        .expect("get");
}

async fn credential_error(settings: ChainSettings) -> CredentialError {
    let arm = MockServer::start().await;
    let client = arm_client(&arm, settings);
    match client.get(FACTORY, API).await {
        Err(ArmError::Credential(error)) => {
            assert_eq!(client.stats().total(), 0, "nothing is sent without a token");
            error
        }
        other => panic!("expected a credential error, got {other:?}"),
    }
}

#[tokio::test]
async fn no_credential_lists_every_source_and_how_to_fix_it() {
    let login = MockServer::start().await;
    let error = credential_error(ChainSettings {
        client_id: Some("app-id".into()),
        ..mocked(&login)
    })
    .await;
    insta::assert_snapshot!(error.to_string());
}

#[tokio::test]
async fn a_configured_service_principal_that_fails_ends_the_chain_without_leaking_the_secret() {
    let login = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.",
            "error_codes": [7000215]
        })))
        .expect(1)
        .mount(&login)
        .await;
    let error = credential_error(ChainSettings {
        tenant_id: Some(TENANT.into()),
        client_id: Some("app-id".into()),
        client_secret: Some(SecretString::new("sp-secret-value")),
        azure_cli: true,
        ..mocked(&login)
    })
    .await;
    let text = error.to_string();
    assert!(text.contains("AADSTS7000215"), "{text}");
    assert!(
        text.starts_with("Azure authentication failed: service principal"),
        "{text}"
    );
    assert!(
        !text.contains("Azure CLI"),
        "the CLI must not be tried after a configured source failed: {text}"
    );
    assert!(!text.contains("sp-secret-value"), "{text}");
    assert!(!format!("{error:?}").contains("sp-secret-value"));
}

#[tokio::test]
async fn an_unreadable_federated_token_file_is_reported() {
    let login = MockServer::start().await;
    let error = credential_error(ChainSettings {
        tenant_id: Some(TENANT.into()),
        client_id: Some("app-id".into()),
        federated_token_file: Some("/nonexistent/adfctl/token".into()),
        ..mocked(&login)
    })
    .await;
    let text = error.to_string();
    assert!(
        text.contains("workload identity (AZURE_FEDERATED_TOKEN_FILE"),
        "{text}"
    );
    assert!(text.contains("failed"), "{text}");
}

#[tokio::test]
async fn a_managed_identity_that_does_not_answer_times_out_and_the_chain_moves_on() {
    let login = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/metadata/identity/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(10)))
        .mount(&login)
        .await;
    let error = credential_error(ChainSettings {
        managed_identity: true,
        managed_identity_timeout: Duration::from_millis(200),
        ..mocked(&login)
    })
    .await;
    let text = error.to_string();
    assert!(
        text.contains("managed identity: failed: no answer within 0.2s"),
        "{text}"
    );
    assert!(
        text.contains("Azure CLI (az account get-access-token): disabled"),
        "{text}"
    );
}

#[tokio::test]
async fn managed_identity_from_imds_is_used_when_nothing_else_is_configured() {
    let login = MockServer::start().await;
    let expires_on = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 3600;
    Mock::given(method("GET"))
        .and(path("/metadata/identity/oauth2/token"))
        .and(query_param("resource", "https://management.azure.com"))
        .and(header("metadata", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "mi-token",
            "expires_in": "3599",
            "expires_on": expires_on.to_string(),
            "resource": "https://management.azure.com",
            "token_type": "Bearer"
        })))
        .expect(1)
        .mount(&login)
        .await;
    let arm = arm_expecting("mi-token", 1).await;
    let settings = ChainSettings {
        managed_identity: true,
        ..mocked(&login)
    };
    arm_client(&arm, settings)
        .get(FACTORY, API)
        .await
        .expect("get");
}

#[test]
fn secrets_never_appear_in_debug_output_of_options_and_settings() {
    let mut settings = ChainSettings::from_env([
        ("AZURE_TENANT_ID".to_string(), TENANT.to_string()),
        ("AZURE_CLIENT_ID".to_string(), "app-id".to_string()),
        (
            "AZURE_CLIENT_SECRET".to_string(),
            "sp-secret-value".to_string(),
        ),
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL".to_string(),
            "https://gh.example/t".to_string(),
        ),
        (
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN".to_string(),
            "gh-request-secret".to_string(),
        ),
    ]);
    settings.github_oidc = Some(GithubOidcSettings {
        request_url: "https://gh.example/t".into(),
        request_token: SecretString::new("gh-request-secret"),
    });
    let options = ArmClientOptions {
        credential: Credential::Chain(settings.clone()),
        ..ArmClientOptions::default()
    };
    let static_options = ArmClientOptions {
        credential: Credential::Static(SecretString::new("static-token-value")),
        ..ArmClientOptions::default()
    };
    let client = ArmClient::new(options.clone()).expect("client");
    let static_client = ArmClient::new(static_options.clone()).expect("client");
    let rendered = [
        format!("{settings:?}"),
        format!("{options:?}"),
        format!("{static_options:?}"),
        format!("{client:?}"),
        format!("{static_client:?}"),
        format!("{}", SecretString::new("sp-secret-value")),
    ];
    for text in rendered {
        for secret in ["sp-secret-value", "gh-request-secret", "static-token-value"] {
            assert!(!text.contains(secret), "{secret} leaked into {text}");
        }
    }
    assert!(
        format!("{settings:?}").contains("app-id"),
        "non-secret ids stay visible"
    );
}

#[tokio::test]
async fn a_401_drops_the_cached_token_and_retries_once_with_a_fresh_one() {
    let login = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(token_response("first-token"))
        .up_to_n_times(1)
        .mount(&login)
        .await;
    Mock::given(method("POST"))
        .respond_with(token_response("second-token"))
        .mount(&login)
        .await;
    let arm = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("authorization", "Bearer first-token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": {"code": "ExpiredAuthenticationToken", "message": "The access token expiry UTC time is earlier than current UTC time."}
        })))
        .expect(1)
        .mount(&arm)
        .await;
    Mock::given(method("POST"))
        .and(header("authorization", "Bearer second-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"runId": "r1"})))
        .expect(1)
        .mount(&arm)
        .await;
    let settings = ChainSettings {
        tenant_id: Some(TENANT.into()),
        client_id: Some("app-id".into()),
        client_secret: Some(SecretString::new("s")),
        ..mocked(&login)
    };
    let client = arm_client(&arm, settings);
    let response = client
        .post(
            &format!("{FACTORY}/pipelines/p/createRun"),
            API,
            None,
            adf_arm::Idempotency::NonIdempotent,
        )
        .await
        .expect("createRun after a token refresh");
    assert_eq!(response.body["runId"], "r1");
    assert_eq!(client.stats().post, 2);
}
