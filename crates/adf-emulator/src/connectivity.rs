//! `POST …/factories/{factory}/testConnectivity`: test a linked service's connection, as ADF
//! Studio's "Test connection" button does.
//!
//! UNVERIFIED: the operation is not in the published swagger (../shared/arm-swagger has no
//! `testConnectivity`) and Microsoft said it is "only used in our UI"
//! (Azure/azure-sdk-for-python#3214). Its shape here is the one the clients that call it use:
//! azure.datafactory.tools `private/Test-LinkedServiceConnection.ps1` (after Simon D'Morias'
//! 2018 post "ADFv2 - Testing Linked Services", which found it with Fiddler) sends
//! `{"linkedService": <the linked service as GET returns it>}` with `api-version=2018-06-01`,
//! setting `linkedService.properties.parameters` for a parameterised one, and reads
//! `succeeded`; Python clients read `errors[0].message` when it is false. So:
//!
//! - request: `{"linkedService": {"name"?, "properties": {type, typeProperties, parameters?}}}`
//!   (also, UNVERIFIED, `{"linkedServiceName": NAME}` for a stored one, which one client sends;
//!   and an optional top-level `"parameters": {NAME: VALUE}` for the parameters' values);
//! - reply: 200 `{"succeeded": true, "errors": []}` or
//!   `{"succeeded": false, "errors": [{"code", "message"}]}`.
//!
//! What the emulator tests for real: blob stores (`AzureStorage`, `AzureBlobStorage`,
//! `AzureBlobFS`: List Containers with at most one result, against Azurite or Azure Storage,
//! through the runtime's Blob client) and PostgreSQL (`AzurePostgreSql`, `PostgreSqlV2`,
//! `PostgreSql`: connect and `SELECT 1`, through the runtime's client). Secrets are resolved as
//! in a run (plain, SecureString, Key Vault reference: `runtime::secrets`). Every other type
//! answers `succeeded: false` with the code `NotTestableLocally` and the message
//! `not testable locally: TYPE`, which adfctl reports as skipped.
//!
//! Beside the two rooms, as `test_api.rs` and the router are: the test needs the runtime's
//! clients (async I/O) and the control plane is a synchronous function under the store's lock,
//! so the router sends this one path here before the ARM edge. It applies the edge's
//! authentication and api-version checks and records the request in the statistics; throttling
//! and fault injection do not apply to it. Neither room imports this module.
//!
//! A reply's message never holds a secret: the clients' messages hold none by design (the blob
//! and PostgreSQL errors name endpoints, never keys), and every secret value of the request is
//! also scrubbed from the message before it is sent.

use crate::control::arm::{ApiFamily, percent_decode};
use crate::control::http;
use crate::control::service::check_api_version;
use crate::runtime::datasets::{LinkedService, blob_client_in};
use crate::runtime::postgres;
use crate::state::EmulatorState;
use crate::stats::Injected;
use crate::store::Scope;
use crate::wire::ArmError;
use adf_core::Kind;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use std::time::Duration;

/// The request size limit (ARM's 4 MB).
const MAX_BODY: usize = 4 * 1024 * 1024;

/// How long one test may take before it is reported as failed.
const TEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The code of a linked service the emulator cannot reach: adfctl shows it as skipped.
pub(crate) const NOT_TESTABLE: &str = "NotTestableLocally";

/// The router's fallback: `POST …/testConnectivity` is answered here, everything else by the
/// ARM edge ([`http::arm_entry`]).
pub(crate) async fn arm_entry(State(state): State<EmulatorState>, request: Request) -> Response {
    match factory_of(request.method(), request.uri().path()) {
        Some(scope) => test_connectivity(state, scope, request).await,
        None => http::arm_entry(State(state), request).await,
    }
}

/// The factory of a `POST /subscriptions/S/resourceGroups/G/providers/Microsoft.DataFactory/
/// factories/F/testConnectivity` (segments compared without case, as ARM does).
fn factory_of(method: &Method, path: &str) -> Option<Scope> {
    if method != Method::POST {
        return None;
    }
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode(s, false))
        .collect();
    let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    match lower.as_slice() {
        [
            "subscriptions",
            _,
            "resourcegroups",
            _,
            "providers",
            "microsoft.datafactory",
            "factories",
            _,
            "testconnectivity",
        ] => Some(Scope::new(&segments[1], &segments[3], &segments[7])),
        _ => None,
    }
}

async fn test_connectivity(state: EmulatorState, scope: Scope, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let reply = match check(&state, &scope, &parts).await {
        Err(error) => reply_error(error),
        Ok(()) => match axum::body::to_bytes(body, MAX_BODY).await {
            Err(_) => reply_error(ArmError::arm(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestContentTooLarge",
                "The request content size exceeds the maximum of 4 MB.",
            )),
            Ok(bytes) => match linked_service_of(&state, &scope, &bytes) {
                Err(error) => reply_error(error),
                Ok(request) => {
                    let outcome = tokio::time::timeout(TEST_TIMEOUT, test(&state, &scope, &request))
                        .await
                        .unwrap_or_else(|_| {
                            Err(failure(
                                "TimedOut",
                                format!(
                                    "The connection test of linked service '{}' did not finish within {} seconds.",
                                    request.name,
                                    TEST_TIMEOUT.as_secs()
                                ),
                            ))
                        });
                    let body = match outcome {
                        Ok(()) => json!({ "succeeded": true, "errors": [] }),
                        Err(Failure { code, message }) => {
                            let message = scrub(&message, &request.secrets);
                            json!({
                                "succeeded": false,
                                "errors": [{ "code": code, "message": message }],
                            })
                        }
                    };
                    (StatusCode::OK, body)
                }
            },
        },
    };
    state.record("POST", reply.0.as_str(), Injected::None);
    let mut response = Response::new(Body::from(reply.1.to_string()));
    *response.status_mut() = reply.0;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        headers.insert("x-ms-request-id", id);
    }
    response
}

fn reply_error(error: ArmError) -> (StatusCode, Value) {
    (error.status, error.body())
}

/// The ARM edge's checks (authentication, api-version, the group and the factory exist),
/// with the same wordings as the control plane's.
async fn check(
    state: &EmulatorState,
    scope: &Scope,
    parts: &axum::http::request::Parts,
) -> Result<(), ArmError> {
    let latency = state.config().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let bearer = authorization.is_some_and(|value| {
        value
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("bearer ")
    });
    if !bearer {
        let message = match authorization {
            None => "Authentication failed. The 'Authorization' header is missing.",
            Some(_) => {
                "Authentication failed. The 'Authorization' header is provided in an invalid format."
            }
        };
        return Err(ArmError::arm(
            StatusCode::UNAUTHORIZED,
            "AuthenticationFailed",
            message,
        ));
    }
    let query = crate::control::arm::parse_query(parts.uri.query().unwrap_or(""));
    let version = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("api-version"))
        .map(|(_, v)| v.as_str());
    check_api_version(ApiFamily::DataFactory, version)?;
    state.with_store(|_, store| {
        let group = store
            .group(&scope.subscription, &scope.group)
            .map_err(|e| ArmError::internal(&e))?;
        if group.is_none() {
            return Err(ArmError::arm(
                StatusCode::NOT_FOUND,
                "ResourceGroupNotFound",
                format!("Resource group '{}' could not be found.", scope.group),
            ));
        }
        let factory = store
            .entity(
                &Scope::new(&scope.subscription, &scope.group, ""),
                Kind::Factory,
                &scope.factory,
            )
            .map_err(|e| ArmError::internal(&e))?;
        match factory {
            Some(_) => Ok(()),
            None => Err(ArmError::arm(
                StatusCode::NOT_FOUND,
                "ResourceNotFound",
                format!(
                    "The Resource 'Microsoft.DataFactory/factories/{}' under resource group '{}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
                    scope.factory, scope.group
                ),
            )),
        }
    })
}

/// The linked service to test, its parameters bound and its `typeProperties` evaluated.
struct TestRequest {
    name: String,
    kind: String,
    properties: Value,
    /// Every secret value in the request, to scrub from messages.
    secrets: Vec<String>,
}

fn bad_request(message: impl Into<String>) -> ArmError {
    ArmError::adf(StatusCode::BAD_REQUEST, "BadRequest", message, None)
}

fn linked_service_of(
    state: &EmulatorState,
    scope: &Scope,
    bytes: &[u8],
) -> Result<TestRequest, ArmError> {
    let body: Value = serde_json::from_slice(bytes).map_err(|e| {
        ArmError::arm(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{e}'."),
        )
    })?;
    let (name, properties) = match (body.get("linkedService"), body.get("linkedServiceName")) {
        (Some(service), _) => (
            service
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            service.get("properties").cloned().unwrap_or(Value::Null),
        ),
        (None, Some(Value::String(name))) => {
            let stored = state
                .with_store(|_, store| store.entity(scope, Kind::LinkedService, name))
                .map_err(|e| ArmError::internal(&e))?
                .ok_or_else(|| {
                    bad_request(format!("The linked service '{name}' does not exist."))
                })?;
            (name.clone(), stored.body)
        }
        _ => {
            return Err(bad_request(
                "The request needs `linkedService` (the linked service to test: {\"name\", \"properties\"}).",
            ));
        }
    };
    let Some(kind) = properties.get("type").and_then(Value::as_str) else {
        return Err(bad_request(
            "The linked service to test has no `properties.type`.",
        ));
    };
    let mut secrets = secret_values(&properties);
    let given = body.get("parameters").cloned().unwrap_or_else(|| json!({}));
    let mut bindings = adf_expr::Bindings::new(state.config().clock.now());
    if let Some(declared) = properties.get("parameters").and_then(Value::as_object) {
        for (key, declaration) in declared {
            let value = given
                .get(key)
                .cloned()
                .or_else(|| declaration.get("defaultValue").cloned())
                .unwrap_or(Value::Null);
            bindings
                .linked_service_parameters
                .insert(key.clone(), value);
        }
    }
    let written = properties
        .get("typeProperties")
        .cloned()
        .unwrap_or(json!({}));
    let evaluated = adf_expr::evaluate_value(&written, &bindings).map_err(|e| {
        bad_request(format!(
            "The linked service '{name}' is invalid: {}",
            scrub(&e.to_string(), &secrets)
        ))
    })?;
    // Values an expression built from parameters (a key passed as a parameter) are secrets too.
    secrets.extend(secret_values(
        &json!({ "typeProperties": evaluated.clone() }),
    ));
    Ok(TestRequest {
        name,
        kind: kind.to_owned(),
        properties: evaluated,
        secrets,
    })
}

/// Every secret value written in a linked service: `SecureString` values and the credential
/// parts of plain connection strings (`AccountKey=…`, `Password=…`).
fn secret_values(properties: &Value) -> Vec<String> {
    let mut values: Vec<String> = adf_core::secret::secure_string_pointers(properties)
        .iter()
        .filter_map(|pointer| properties.pointer(pointer))
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    values.extend(
        adf_core::secret::connection_string_credentials(properties)
            .into_iter()
            .map(|(_, value)| value),
    );
    for key in [
        "password",
        "accountKey",
        "sasToken",
        "sasUri",
        "servicePrincipalKey",
    ] {
        if let Some(Value::String(text)) = properties.pointer(&format!("/typeProperties/{key}")) {
            values.push(text.clone());
        }
    }
    values.retain(|v| v.len() >= 4);
    values
}

/// `message` with every secret value replaced.
fn scrub(message: &str, secrets: &[String]) -> String {
    let mut out = message.to_owned();
    for secret in secrets {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), adf_core::secret::REDACTED);
        }
    }
    out
}

/// Why a test failed: ADF's error code and message.
struct Failure {
    code: String,
    message: String,
}

fn failure(code: &str, message: impl Into<String>) -> Failure {
    Failure {
        code: code.to_owned(),
        message: message.into(),
    }
}

async fn test(state: &EmulatorState, scope: &Scope, request: &TestRequest) -> Result<(), Failure> {
    let name = &request.name;
    match request.kind.as_str() {
        "AzureStorage" | "AzureBlobStorage" | "AzureBlobFS" => {
            let service = LinkedService {
                name: name.clone(),
                kind: request.kind.clone(),
                properties: request.properties.clone(),
            };
            let http = state.http_client();
            let (client, _) = blob_client_in(state, scope, &http, &service, "a connection test")
                .map_err(|e| failure(&e.code, e.message))?;
            client.probe_account().await.map_err(|e| {
                let code = if e.code.is_empty() {
                    "BlobConnectionFailed".to_owned()
                } else {
                    e.code.clone()
                };
                // A transport error's message names the endpoint already.
                let message = if e.status == 0 {
                    e.to_string()
                } else {
                    format!("cannot list the containers of {}: {e}", client.endpoint())
                };
                failure(&code, message)
            })
        }
        kind if postgres::is_linked_service(kind) => {
            let settings = postgres::settings_in(state, Some(scope), kind, &request.properties)
                .map_err(|message| {
                    failure(
                        "PostgreSqlInvalidLinkedService",
                        format!("The linked service '{name}' is invalid: {message}"),
                    )
                })?;
            postgres::run_statements(&settings, "SELECT 1")
                .await
                // The client's messages name the server (`cannot connect to PostgreSQL at
                // HOST:PORT/DB as 'USER': ...`), never the password.
                .map_err(|e| failure("PostgreSqlConnectionFailed", e.to_string()))
        }
        other => Err(failure(
            NOT_TESTABLE,
            format!("not testable locally: {other}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_posts_to_test_connectivity_are_taken() {
        let path = "/subscriptions/s/resourcegroups/rg/providers/Microsoft.DataFactory/factories/F1/testConnectivity";
        let scope = factory_of(&Method::POST, path).expect("a factory");
        // Scopes hold names folded, as ADF compares them.
        let expected = Scope::new("s", "rg", "F1");
        assert_eq!(
            (scope.subscription, scope.group, scope.factory),
            (expected.subscription, expected.group, expected.factory)
        );
        assert!(factory_of(&Method::GET, path).is_none());
        assert!(
            factory_of(
                &Method::POST,
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataFactory/factories/F1/pipelines/p/createRun"
            )
            .is_none()
        );
    }

    #[test]
    fn secrets_are_scrubbed_from_messages() {
        let properties = json!({
            "type": "AzureBlobStorage",
            "typeProperties": {
                "connectionString": "DefaultEndpointsProtocol=http;AccountName=a;AccountKey=c2VjcmV0a2V5",
                "sasToken": {"type": "SecureString", "value": "sv=2020&sig=abcdef"}
            }
        });
        let secrets = secret_values(&properties);
        let message = "bad key c2VjcmV0a2V5 and token sv=2020&sig=abcdef";
        let scrubbed = scrub(message, &secrets);
        assert!(!scrubbed.contains("c2VjcmV0a2V5"), "{scrubbed}");
        assert!(!scrubbed.contains("sig=abcdef"), "{scrubbed}");
    }
}
