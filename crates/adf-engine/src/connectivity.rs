//! A linked service's connection test, asked of the factory: ADF Studio's "Test connection".
//!
//! UNVERIFIED: `POST {factory}/testConnectivity?api-version=2018-06-01` is not in the
//! published swagger; Microsoft called it UI-only (Azure/azure-sdk-for-python#3214). The shape
//! is the one the clients that use it send and read: azure.datafactory.tools
//! (`private/Test-LinkedServiceConnection.ps1`, after Simon D'Morias' 2018 post "ADFv2 -
//! Testing Linked Services") posts `{"linkedService": <the linked service>}`, with the values
//! of a parameterised linked service written into `properties.parameters`, and reads
//! `succeeded`; Python clients read `errors[0].message` when it is false.
//!
//! adfctl sends the spec's body (its secrets as the spec resolves them, so a key that was
//! never deployed can still be tested), each parameter's value written as its `defaultValue`.
//! A reply's message is scrubbed of every secret value of the body before anyone sees it.

use adf_arm::{ArmClient, ArmError, Idempotency};
use adf_core::{ADF_API_VERSION, DesiredResource, FactoryTarget};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// The error code with which the adfctl emulator says it cannot reach a linked service's store
/// ("not testable locally: TYPE"). Real ADF never sends it.
pub const NOT_TESTABLE_LOCALLY: &str = "NotTestableLocally";

/// The version of the document `adfctl test-connection --format json` prints.
pub const CONNECTION_REPORT_FORMAT_VERSION: &str = "1";

/// How many tests run at once.
const PARALLELISM: usize = 4;

/// How one test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The factory connected.
    Passed,
    /// The factory could not connect (or refused the linked service).
    Failed,
    /// The factory cannot test it (the emulator, for stores it cannot reach).
    Skipped,
}

impl Verdict {
    /// `passed`, `failed`, `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Skipped => "skipped",
        }
    }
}

/// The outcome of one linked service's test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionTest {
    /// The linked service's name.
    pub name: String,
    /// Its type (`AzureBlobStorage`).
    pub kind: String,
    /// Passed, failed or skipped.
    pub verdict: Verdict,
    /// ADF's error code, when it did not pass.
    pub code: Option<String>,
    /// ADF's message, when it did not pass (never holding a secret of the body).
    pub message: Option<String>,
}

/// What to test: a linked service of the spec and the values of its parameters.
#[derive(Debug, Clone)]
pub struct ConnectionRequest {
    /// The linked service as the spec wants it.
    pub resource: DesiredResource,
    /// Parameter values by name; the others keep their `defaultValue`.
    pub parameters: Map<String, Value>,
}

/// A parameter value for a parameter the linked service does not declare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownParameter {
    /// The parameter as given.
    pub parameter: String,
    /// The parameters the linked service declares.
    pub declared: Vec<String>,
}

/// The parameters a linked service body (`{"properties": …}`) declares.
pub fn declared_parameters(body: &Value) -> Vec<String> {
    body.pointer("/properties/parameters")
        .and_then(Value::as_object)
        .map(|declared| declared.keys().cloned().collect())
        .unwrap_or_default()
}

/// The declared parameters of `request` that have neither a given value nor a
/// `defaultValue`: the test cannot bind them.
pub fn unbound_parameters(request: &ConnectionRequest) -> Vec<String> {
    let Some(declared) = request
        .resource
        .body
        .pointer("/properties/parameters")
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    declared
        .iter()
        .filter(|(key, declaration)| {
            !request.parameters.contains_key(*key) && declaration.get("defaultValue").is_none()
        })
        .map(|(key, _)| key.clone())
        .collect()
}

/// The body of `testConnectivity` for `request`: `{"linkedService": {"name", "properties"}}`,
/// each given parameter value written as its parameter's `defaultValue`.
pub fn request_body(request: &ConnectionRequest) -> Result<Value, UnknownParameter> {
    let mut properties = request
        .resource
        .body
        .get("properties")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let declared = declared_parameters(&request.resource.body);
    for (key, value) in &request.parameters {
        let Some(declaration) = properties
            .pointer_mut(&format!(
                "/parameters/{}",
                adf_core::secret::escape_pointer_token(key)
            ))
            .and_then(Value::as_object_mut)
        else {
            return Err(UnknownParameter {
                parameter: key.clone(),
                declared,
            });
        };
        declaration.insert("defaultValue".into(), value.clone());
    }
    Ok(json!({
        "linkedService": {
            "name": request.resource.address.name,
            "properties": properties,
        }
    }))
}

/// Every secret value of a linked service's body, to keep out of messages: the spec's secret
/// slots, `SecureString` values and the credential parts of connection strings.
fn secret_values(resource: &DesiredResource) -> Vec<String> {
    let mut values: Vec<String> = resource
        .all_secret_pointers()
        .iter()
        .filter_map(|pointer| resource.body.pointer(pointer))
        .filter_map(|value| match value {
            Value::String(text) => Some(text.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        })
        .collect();
    values.extend(
        adf_core::secret::connection_string_credentials(&resource.body)
            .into_iter()
            .map(|(_, value)| value),
    );
    // Short values would blank out ordinary words; no real key or password is this short.
    values.retain(|value| value.len() >= 4);
    values.sort_by_key(|value| std::cmp::Reverse(value.len()));
    values
}

/// `message` with every secret value of `resource` replaced by
/// [`adf_core::secret::REDACTED`].
pub fn scrub(message: &str, resource: &DesiredResource) -> String {
    let mut out = message.to_owned();
    for secret in secret_values(resource) {
        if out.contains(&secret) {
            out = out.replace(&secret, adf_core::secret::REDACTED);
        }
    }
    out
}

/// Tests one linked service. A reply's `succeeded: false`, and an ARM 400 (the linked service
/// refused as invalid), are [`Verdict::Failed`] with ADF's message; the emulator's
/// [`NOT_TESTABLE_LOCALLY`] is [`Verdict::Skipped`]; any other ARM error (no such factory, no
/// permission, throttled past the retries) is an error.
pub async fn test_connection(
    client: &ArmClient,
    target: &FactoryTarget,
    request: &ConnectionRequest,
    body: &Value,
) -> Result<ConnectionTest, ArmError> {
    let resource = &request.resource;
    let kind = resource
        .body
        .pointer("/properties/type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let outcome = |verdict, code: Option<String>, message: Option<String>| ConnectionTest {
        name: resource.address.name.clone(),
        kind: kind.clone(),
        verdict,
        code,
        message: message.map(|m| scrub(&m, resource)),
    };
    let path = format!("{}/testConnectivity", target.factory_path());
    // A test changes nothing: repeating it after a lost reply is safe.
    let reply = client
        .post(&path, ADF_API_VERSION, Some(body), Idempotency::Idempotent)
        .await;
    let reply = match reply {
        Ok(reply) => reply.body,
        Err(ArmError::Api {
            status: 400,
            code,
            message,
            ..
        }) => return Ok(outcome(Verdict::Failed, Some(code), Some(message))),
        Err(error) => return Err(error),
    };
    if reply.get("succeeded").and_then(Value::as_bool) == Some(true) {
        return Ok(outcome(Verdict::Passed, None, None));
    }
    let first = reply.pointer("/errors/0");
    let code = first
        .and_then(|e| e.get("code"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let message = first
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| Some("the factory reported a failed test without a message".into()));
    let verdict = if code.as_deref() == Some(NOT_TESTABLE_LOCALLY) {
        Verdict::Skipped
    } else {
        Verdict::Failed
    };
    Ok(outcome(verdict, code, message))
}

/// Tests every request (a few at a time), in the order given. The first request that ends in
/// an error (not a failed test) is the error, once every request in flight has finished.
pub async fn test_connections(
    client: &ArmClient,
    target: &FactoryTarget,
    requests: Vec<(ConnectionRequest, Value)>,
) -> Result<Vec<ConnectionTest>, (String, ArmError)> {
    let semaphore = Arc::new(Semaphore::new(PARALLELISM));
    let mut tasks = JoinSet::new();
    for (index, (request, body)) in requests.into_iter().enumerate() {
        let (client, target, semaphore) = (client.clone(), target.clone(), semaphore.clone());
        tasks.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            let outcome = test_connection(&client, &target, &request, &body).await;
            (index, request.resource.address.name.clone(), outcome)
        });
    }
    let mut done = BTreeMap::new();
    let mut first_error: Option<(usize, String, ArmError)> = None;
    while let Some(joined) = tasks.join_next().await {
        let Ok((index, name, outcome)) = joined else {
            continue;
        };
        match outcome {
            Ok(test) => {
                done.insert(index, test);
            }
            Err(error) => {
                if first_error.as_ref().is_none_or(|(i, _, _)| index < *i) {
                    first_error = Some((index, name, error));
                }
            }
        }
    }
    match first_error {
        Some((_, name, error)) => Err((name, error)),
        None => Ok(done.into_values().collect()),
    }
}

/// `adfctl test-connection --format json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ConnectionReport {
    /// `"1"`.
    pub format_version: &'static str,
    /// One entry per linked service, in the order tested.
    #[serde(rename = "linkedServices")]
    pub linked_services: Vec<ConnectionEntry>,
    /// How many passed, failed and were skipped.
    pub summary: ConnectionSummary,
}

/// One linked service in a [`ConnectionReport`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ConnectionEntry {
    /// The linked service.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: String,
    /// `passed`, `failed` or `skipped`.
    pub result: &'static str,
    /// ADF's error code, when it did not pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// ADF's message, when it did not pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The counts of a [`ConnectionReport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ConnectionSummary {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped (not testable here).
    pub skipped: usize,
}

impl ConnectionSummary {
    /// The counts of `tests`.
    pub fn of(tests: &[ConnectionTest]) -> ConnectionSummary {
        let count = |verdict| tests.iter().filter(|t| t.verdict == verdict).count();
        ConnectionSummary {
            passed: count(Verdict::Passed),
            failed: count(Verdict::Failed),
            skipped: count(Verdict::Skipped),
        }
    }
}

impl ConnectionReport {
    /// The report of `tests`.
    pub fn new(tests: &[ConnectionTest]) -> ConnectionReport {
        ConnectionReport {
            format_version: CONNECTION_REPORT_FORMAT_VERSION,
            linked_services: tests
                .iter()
                .map(|test| ConnectionEntry {
                    name: test.name.clone(),
                    kind: test.kind.clone(),
                    result: test.verdict.as_str(),
                    code: test.code.clone(),
                    message: test.message.clone(),
                })
                .collect(),
            summary: ConnectionSummary::of(tests),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use adf_core::{Kind, ResourceAddress, SecretSlot};

    fn resource(properties: Value, secrets: Vec<SecretSlot>) -> DesiredResource {
        DesiredResource {
            address: ResourceAddress::new(Kind::LinkedService, "store"),
            path: "/x/linkedservices/store".into(),
            body: json!({ "properties": properties }),
            secrets,
            runtime_state: None,
        }
    }

    #[test]
    fn parameter_values_become_defaults_and_unknown_ones_are_refused() {
        let request = ConnectionRequest {
            resource: resource(
                json!({"type": "AzureBlobStorage", "parameters": {"account": {"type": "String", "defaultValue": "a"}}}),
                vec![],
            ),
            parameters: [("account".to_owned(), json!("b"))].into_iter().collect(),
        };
        let body = request_body(&request).unwrap_or_default();
        assert_eq!(body["linkedService"]["name"], "store");
        assert_eq!(
            body["linkedService"]["properties"]["parameters"]["account"]["defaultValue"],
            "b"
        );
        let wrong = ConnectionRequest {
            parameters: [("acount".to_owned(), json!("b"))].into_iter().collect(),
            ..request
        };
        assert_eq!(
            request_body(&wrong),
            Err(UnknownParameter {
                parameter: "acount".into(),
                declared: vec!["account".into()]
            })
        );
    }

    #[test]
    fn messages_never_show_a_secret_of_the_body() {
        let store = resource(
            json!({"type": "AzureBlobStorage", "typeProperties": {
                "connectionString": "AccountName=a;AccountKey=S3cretKey==;EndpointSuffix=x",
                "sasToken": {"type": "SecureString", "value": "sig=T0ken"},
                "password": "pl4inPassword"
            }}),
            vec![SecretSlot {
                pointer: "/properties/typeProperties/password".into(),
                from_env: Some("PW".into()),
            }],
        );
        let scrubbed = scrub(
            "failed with AccountKey=S3cretKey==, sig=T0ken and pl4inPassword",
            &store,
        );
        for secret in ["S3cretKey==", "sig=T0ken", "pl4inPassword"] {
            assert!(!scrubbed.contains(secret), "{scrubbed}");
        }
    }

    #[test]
    fn the_report_is_versioned_and_counts() {
        let tests = vec![
            ConnectionTest {
                name: "a".into(),
                kind: "AzureBlobStorage".into(),
                verdict: Verdict::Passed,
                code: None,
                message: None,
            },
            ConnectionTest {
                name: "b".into(),
                kind: "AzureSqlDatabase".into(),
                verdict: Verdict::Skipped,
                code: Some(NOT_TESTABLE_LOCALLY.into()),
                message: Some("not testable locally: AzureSqlDatabase".into()),
            },
        ];
        let json = serde_json::to_value(ConnectionReport::new(&tests)).unwrap_or_default();
        assert_eq!(json["format_version"], "1");
        assert_eq!(
            json["linkedServices"][0],
            json!({"name": "a", "type": "AzureBlobStorage", "result": "passed"})
        );
        assert_eq!(json["linkedServices"][1]["result"], "skipped");
        assert_eq!(
            json["summary"],
            json!({"passed": 1, "failed": 0, "skipped": 1})
        );
    }
}
