//! The test endpoints under `/_emulator/` (not ARM, not subject to auth or faults), for
//! `adfctl test` and other tools: mocks, a finished run's variables, PostgreSQL fixtures
//! through a factory's own linked service, and the answer of a private link's owner to a
//! managed private endpoint (approve or reject: what happens on the target resource in Azure). Beside the two rooms, as the router is: it uses the
//! shared state and the runtime's PostgreSQL client, and neither room imports it.
//!
//! Every endpoint names its factory with `?factory=/subscriptions/S/resourceGroups/G/providers/Microsoft.DataFactory/factories/F`.

use crate::harness::{Mock, scope_of};
use crate::runtime::postgres;
use crate::state::EmulatorState;
use crate::store::Scope;
use adf_core::Kind;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

type Params = Query<HashMap<String, String>>;

fn plain(status: StatusCode, text: impl Into<String>) -> Response {
    (status, text.into()).into_response()
}

fn json_reply(body: Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// The factory the query names, or the reply that says how to name it.
fn factory(query: &HashMap<String, String>) -> Result<Scope, Box<Response>> {
    query
        .get("factory")
        .and_then(|path| scope_of(path))
        .ok_or_else(|| {
            Box::new(plain(
                StatusCode::BAD_REQUEST,
                "give the factory: ?factory=/subscriptions/S/resourceGroups/G/providers/Microsoft.DataFactory/factories/F",
            ))
        })
}

/// `PUT /_emulator/mocks?factory=F`: replaces the factory's mocked activities (a JSON list;
/// see [`crate::harness`]).
pub(crate) async fn put_mocks(
    State(state): State<EmulatorState>,
    Query(query): Params,
    body: Bytes,
) -> Response {
    let scope = match factory(&query) {
        Ok(scope) => scope,
        Err(response) => return *response,
    };
    match serde_json::from_slice::<Vec<Mock>>(&body) {
        Ok(mocks) => {
            state.with_harness(|harness| harness.set_mocks(&scope, mocks));
            StatusCode::NO_CONTENT.into_response()
        }
        Err(error) => plain(StatusCode::BAD_REQUEST, format!("invalid mocks: {error}")),
    }
}

/// `GET /_emulator/runs/RUN_ID/variables`: a finished run's variables, `{"variables": {...}}`.
pub(crate) async fn run_variables(
    State(state): State<EmulatorState>,
    Path(run_id): Path<String>,
) -> Response {
    match state.with_harness(|harness| harness.variables(&run_id).cloned()) {
        Some(variables) => json_reply(json!({ "variables": variables })),
        None => plain(
            StatusCode::NOT_FOUND,
            format!("no finished run {run_id} (variables are kept once a run ends)"),
        ),
    }
}

/// The body of the PostgreSQL fixture endpoints.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct TableRequest {
    /// The factory's PostgreSQL linked service (its settings, Key Vault references resolved).
    linked_service: String,
    /// `sql`: statements to run.
    #[serde(default)]
    statement: Option<String>,
    /// `load` and `read`: the table (`public.orders`).
    #[serde(default)]
    table: Option<String>,
    /// `load`: the rows (JSON objects, keys are columns).
    #[serde(default)]
    rows: Vec<Map<String, Value>>,
    /// `read`: SQL `ORDER BY` (`id`).
    #[serde(default)]
    order_by: Option<String>,
}

/// `POST /_emulator/postgres/{sql|load|read}?factory=F`: runs statements, replaces a table's
/// rows (`DELETE` then insert), or reads them (`{"rows": [...]}`, typed as a Lookup returns
/// them), through the factory's linked service.
pub(crate) async fn postgres_fixture(
    State(state): State<EmulatorState>,
    Path(action): Path<String>,
    Query(query): Params,
    body: Bytes,
) -> Response {
    let scope = match factory(&query) {
        Ok(scope) => scope,
        Err(response) => return *response,
    };
    let request: TableRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => return plain(StatusCode::BAD_REQUEST, format!("invalid request: {error}")),
    };
    let settings = match postgres::settings_for(&state, &scope, &request.linked_service) {
        Ok(settings) => settings,
        Err(error) => return plain(StatusCode::BAD_REQUEST, error),
    };
    let no_table = || plain(StatusCode::BAD_REQUEST, "give the `table`");
    let failed =
        |error: postgres::PgError| plain(StatusCode::UNPROCESSABLE_ENTITY, error.to_string());
    match action.as_str() {
        "sql" => {
            let Some(statement) = &request.statement else {
                return plain(StatusCode::BAD_REQUEST, "give the `statement`");
            };
            match postgres::run_statements(&settings, statement).await {
                Ok(()) => StatusCode::NO_CONTENT.into_response(),
                Err(error) => failed(error),
            }
        }
        "load" => {
            let Some(table) = request.table.clone() else {
                return no_table();
            };
            let replaced = async {
                postgres::run_statements(&settings, &format!("DELETE FROM {table}")).await?;
                postgres::load_rows(&settings, &table, &request.rows).await
            };
            match replaced.await {
                Ok(count) => json_reply(json!({ "rowsWritten": count })),
                Err(error) => failed(error),
            }
        }
        "read" => {
            let Some(table) = request.table.clone() else {
                return no_table();
            };
            match postgres::read_rows(&settings, &table, request.order_by.as_deref()).await {
                Ok(rows) => json_reply(json!({ "rows": rows })),
                Err(error) => failed(error),
            }
        }
        other => plain(
            StatusCode::NOT_FOUND,
            format!("no PostgreSQL fixture action `{other}`: sql, load or read"),
        ),
    }
}

/// `POST /_emulator/privateEndpoints/{approve|reject}?factory=F&name=NAME`: the owner of the
/// target resource approves or rejects a managed private endpoint's private link (in Azure,
/// on the storage account, SQL server, ... the endpoint points at). The endpoint's
/// `connectionState` becomes `Approved` or `Rejected`; a new endpoint is `Pending` until then.
/// The network is `default` unless `&network=` says otherwise.
pub(crate) async fn private_endpoint_answer(
    State(state): State<EmulatorState>,
    Path(action): Path<String>,
    Query(query): Params,
) -> Response {
    let scope = match factory(&query) {
        Ok(scope) => scope,
        Err(response) => return *response,
    };
    let status = match action.as_str() {
        "approve" => "Approved",
        "reject" => "Rejected",
        other => {
            return plain(
                StatusCode::NOT_FOUND,
                format!("no private endpoint action `{other}`: approve or reject"),
            );
        }
    };
    let Some(name) = query.get("name") else {
        return plain(StatusCode::BAD_REQUEST, "give the endpoint: &name=NAME");
    };
    let network = query.get("network").map_or("default", String::as_str);
    let stored_name = format!("{network}/{name}");
    let answered = state.with_store(|_, store| {
        let Some(mut row) = store.entity(&scope, Kind::ManagedPrivateEndpoint, &stored_name)?
        else {
            return Ok(None);
        };
        if let Value::Object(properties) = &mut row.body {
            properties.insert(
                "connectionState".into(),
                json!({
                    "status": status,
                    "description": format!("{status} by the emulator's test API"),
                    "actionsRequired": "None",
                }),
            );
        }
        store
            .put_entity(
                &scope,
                Kind::ManagedPrivateEndpoint,
                &row.name,
                &row.body,
                &row.etag,
            )
            .map(|()| Some(status))
    });
    match answered {
        Ok(Some(status)) => json_reply(json!({ "status": status })),
        Ok(None) => plain(
            StatusCode::NOT_FOUND,
            format!("no managed private endpoint {name} in network {network}"),
        ),
        Err(error) => plain(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()),
    }
}
