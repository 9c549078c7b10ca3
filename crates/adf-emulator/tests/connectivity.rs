//! `POST …/factories/F/testConnectivity` at the router (no socket): the outcomes that need no
//! outside process (not testable locally, an endpoint that does not answer, a Key Vault secret
//! the emulator was not given), the ARM errors, and that no message echoes a secret. Blob
//! storage against Azurite and PostgreSQL are tested end to end (tests/e2e/connectivity.rs).
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{ADF, Emu};
use serde_json::{Value, json};

const KEY: &str = "c2VjcmV0LWtleS1ub3QtdG8tYmUtc2hvd24=";

fn test_path(factory: &str) -> String {
    format!("{factory}/testConnectivity?{ADF}")
}

/// A local port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn the_error(body: &Value) -> (&str, &str) {
    (
        body["errors"][0]["code"].as_str().unwrap_or_default(),
        body["errors"][0]["message"].as_str().unwrap_or_default(),
    )
}

#[tokio::test]
async fn a_type_the_emulator_cannot_reach_is_not_testable_locally() {
    let emu = Emu::new();
    let factory = emu.factory("rg", "fac").await;
    let answer = emu
        .post(
            &test_path(&factory),
            json!({"linkedService": {"name": "sql", "properties": {
                "type": "AzureSqlDatabase",
                "typeProperties": {"connectionString": format!("Server=tcp:x.database.windows.net;Password={KEY}")}
            }}}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["succeeded"], false);
    assert_eq!(
        the_error(&answer.body),
        (
            "NotTestableLocally",
            "not testable locally: AzureSqlDatabase"
        )
    );
    assert!(answer.header("x-ms-request-id").is_some());

    // A stored linked service by name (the `linkedServiceName` form).
    let put = emu
        .put(
            &format!("{factory}/linkedservices/vault?{ADF}"),
            json!({"properties": {"type": "AzureKeyVault", "typeProperties": {"baseUrl": "https://v.vault.azure.net/"}}}),
        )
        .await;
    assert!(put.status.is_success(), "{}", put.text);
    let answer = emu
        .post(&test_path(&factory), json!({"linkedServiceName": "vault"}))
        .await;
    assert_eq!(
        the_error(&answer.body),
        ("NotTestableLocally", "not testable locally: AzureKeyVault")
    );
}

#[tokio::test]
async fn a_blob_endpoint_that_does_not_answer_fails_without_showing_the_key() {
    let emu = Emu::new();
    let factory = emu.factory("rg", "fac").await;
    let port = closed_port();
    let connection = format!(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={KEY};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    );
    for body in [
        json!({"linkedService": {"name": "blob", "properties": {
            "type": "AzureBlobStorage", "typeProperties": {"connectionString": connection}
        }}}),
        json!({"linkedService": {"name": "blob", "properties": {
            "type": "AzureStorage",
            "typeProperties": {"connectionString": {"type": "SecureString", "value": connection}}
        }}}),
    ] {
        let answer = emu.post(&test_path(&factory), body).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        assert_eq!(answer.body["succeeded"], false, "{}", answer.text);
        let (_, message) = the_error(&answer.body);
        assert!(
            message.contains(&format!("127.0.0.1:{port}")),
            "names the endpoint: {message}"
        );
        assert!(!answer.text.contains(KEY), "{}", answer.text);
    }
}

#[tokio::test]
async fn parameters_bind_from_the_request_or_the_defaults() {
    let emu = Emu::new();
    let factory = emu.factory("rg", "fac").await;
    let (default_port, given_port) = (closed_port(), closed_port());
    let service = json!({"name": "blob", "properties": {
        "type": "AzureBlobStorage",
        "parameters": {
            "port": {"type": "String", "defaultValue": default_port.to_string()},
            "key": {"type": "String", "defaultValue": KEY}
        },
        "typeProperties": {
            "connectionString": "@{concat('DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=', linkedService().key, ';BlobEndpoint=http://127.0.0.1:', linkedService().port, '/devstoreaccount1')}"
        }
    }});
    let answer = emu
        .post(&test_path(&factory), json!({"linkedService": service}))
        .await;
    let (_, message) = the_error(&answer.body);
    assert!(message.contains(&format!(":{default_port}/")), "{message}");
    assert!(!answer.text.contains(KEY), "{}", answer.text);

    let answer = emu
        .post(
            &test_path(&factory),
            json!({"linkedService": service, "parameters": {"port": given_port.to_string()}}),
        )
        .await;
    let (_, message) = the_error(&answer.body);
    assert!(message.contains(&format!(":{given_port}/")), "{message}");
}

#[tokio::test]
async fn key_vault_references_resolve_as_in_a_run() {
    let emu = Emu::with(|config| {
        config
            .key_vault_secrets
            .insert(Some("tc-vault"), "pg-password", KEY);
    });
    let factory = emu.factory("rg", "fac").await;
    let put = emu
        .put(
            &format!("{factory}/linkedservices/vault?{ADF}"),
            json!({"properties": {"type": "AzureKeyVault", "typeProperties": {"baseUrl": "https://tc-vault.vault.azure.net/"}}}),
        )
        .await;
    assert!(put.status.is_success(), "{}", put.text);
    let port = closed_port();
    let with_secret = |secret: &str| {
        json!({"linkedService": {"name": "pg", "properties": {
            "type": "PostgreSqlV2",
            "typeProperties": {
                "server": "127.0.0.1", "port": port, "database": "adf",
                "username": "adf", "sslMode": 0,
                "password": {"type": "AzureKeyVaultSecret", "secretName": secret,
                             "store": {"referenceName": "vault", "type": "LinkedServiceReference"}}
            }
        }}})
    };
    // A secret the emulator was not given: the test fails and says which.
    let answer = emu
        .post(&test_path(&factory), with_secret("other-secret"))
        .await;
    assert_eq!(answer.body["succeeded"], false, "{}", answer.text);
    let (_, message) = the_error(&answer.body);
    assert!(message.contains("other-secret"), "{message}");
    // A secret it was given: resolved, then the connection is tried (and fails: no server).
    let answer = emu
        .post(&test_path(&factory), with_secret("pg-password"))
        .await;
    let (code, message) = the_error(&answer.body);
    assert_eq!(code, "PostgreSqlConnectionFailed", "{message}");
    assert!(!answer.text.contains(KEY), "{}", answer.text);
}

#[tokio::test]
async fn a_postgres_server_that_does_not_answer_fails_the_test() {
    let emu = Emu::new();
    let factory = emu.factory("rg", "fac").await;
    let port = closed_port();
    let answer = emu
        .post(
            &test_path(&factory),
            json!({"linkedService": {"name": "pg", "properties": {
                "type": "AzurePostgreSql",
                "typeProperties": {
                    "connectionString": format!("host=127.0.0.1;port={port};database=adf;uid=adf;password={KEY}")
                }
            }}}),
        )
        .await;
    assert_eq!(answer.body["succeeded"], false, "{}", answer.text);
    let (code, message) = the_error(&answer.body);
    assert_eq!(code, "PostgreSqlConnectionFailed");
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(!answer.text.contains(KEY), "{}", answer.text);
}

#[tokio::test]
async fn arm_errors_come_first() {
    let emu = Emu::new();
    let factory = emu.factory("rg", "fac").await;
    let body = json!({"linkedService": {"properties": {"type": "AzureSqlDatabase"}}});
    let missing = emu
        .post(
            &test_path(&common::factory_path("rg", "nope")),
            body.clone(),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "ResourceNotFound");
    let no_version = emu
        .post(&format!("{factory}/testConnectivity"), body.clone())
        .await;
    assert_eq!(no_version.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_version.code(), "MissingApiVersionParameter");
    let empty = emu.post(&test_path(&factory), json!({})).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(empty.code(), "BadRequest");
    let unknown = emu
        .post(&test_path(&factory), json!({"linkedServiceName": "none"}))
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    // Other ARM paths still reach the control plane.
    assert_eq!(
        emu.get(&format!("{factory}?{ADF}")).await.status,
        StatusCode::OK
    );
}
