//! The Script activity on a PostgreSQL linked service: script blocks of queries and
//! non-queries, with named (`@name`) and positional (`$1`) parameters, run statement by
//! statement on one connection.
//!
//! Sources (Microsoft Learn):
//! - "Transform data by using the Script activity",
//!   https://learn.microsoft.com/azure/data-factory/transform-data-using-script: the JSON
//!   (`linkedServiceName`, `scripts[]` with `text`, `type` Query (default) or NonQuery,
//!   `parameters[]` with `name`, `value`, `type`, `direction`, `size`; `scriptReference`;
//!   `logSettings`), and the output ("Activity output": `resultSetCount`, `resultSets[]` of
//!   `rowCount` and `rows`, `recordsAffected`, `outputParameters`, `outputLogs`,
//!   `outputTruncated`; "the output is collected every time a script block is executed. The
//!   final output is the merged result of all script block outputs. The output parameter with
//!   same name in different script block will get overwritten.");
//! - "Script activity in Data Factory" for Azure Database for PostgreSQL,
//!   https://learn.microsoft.com/azure/postgresql/integration/how-to-data-factory-script-activity-azure:
//!   named parameters `@name` ("recommended") and positional `$1`, `$2`... (`name` null);
//!   output parameters with a null value, "the name set in the UI output row is used for the
//!   name of outputParameters", their values from the `CALL`'s result row (the page's sample:
//!   a procedure's OUT `output1`, `output2` fill the parameters `output10`, `output20` in
//!   order); `scriptBlockExecutionTimeout`; `logSettings.logDestination` `ActivityOutput`
//!   collects `RAISE NOTICE` messages.
//!
//! A block of several statements runs in one transaction (a failure leaves nothing of the
//! block), as Npgsql runs a batch; a block of one statement runs on its own (so `VACUUM` or
//! `CREATE DATABASE` work). UNVERIFIED: ADF's transaction handling is not documented.

use crate::runtime::activities::database::{Side, activity_error, connect};
use crate::runtime::activities::{name_of, parse_timespan};
use crate::runtime::context::{ActivityError, Run};
use crate::runtime::datasets::{linked_service, not_supported, text};
use crate::runtime::postgres::{self, Parameter, PgConnection, PgError};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Rows kept per result set; more set `outputTruncated` (UNVERIFIED: the documented limit is
/// the output's size; Lookup's 5,000 rows are taken as the row limit).
const MAX_ROWS: usize = 5000;
/// The largest output in bytes of its JSON before rows are dropped ("The output size is limited
/// to 2MB" for the activity output log destination; UNVERIFIED for rows).
const MAX_OUTPUT_BYTES: usize = 4 * 1024 * 1024;

/// One script block, evaluated.
struct Block {
    text: String,
    query: bool,
    parameters: Vec<Parameter>,
}

fn blocks(properties: &Value) -> Result<Vec<Block>, ActivityError> {
    let scripts = properties
        .get("scripts")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::new();
    for script in scripts {
        let kind = text(script.get("type"));
        let query = match kind.to_ascii_lowercase().as_str() {
            "" | "query" => true,
            "nonquery" => false,
            _ => {
                return Err(ActivityError::user(
                    "2200",
                    format!("The script type '{kind}' is invalid; use Query or NonQuery."),
                ));
            }
        };
        let parameters = script
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|p| Parameter {
                name: p
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .filter(|n| !n.is_empty()),
                kind: text(p.get("type")),
                value: p.get("value").cloned().unwrap_or(Value::Null),
                direction: match text(p.get("direction")) {
                    d if d.is_empty() => "Input".to_owned(),
                    d => d,
                },
            })
            .collect();
        out.push(Block {
            text: text(script.get("text")),
            query,
            parameters,
        });
    }
    Ok(out)
}

/// Runs a Script activity; returns ADF's output object.
pub(crate) async fn execute(
    run: Arc<Run>,
    activity: &Value,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    let started = Instant::now();
    let reference = activity.get("linkedServiceName").ok_or_else(|| {
        ActivityError::user(
            "2200",
            format!(
                "The Script activity '{}' has no linkedServiceName.",
                name_of(activity)
            ),
        )
    })?;
    let service = linked_service(&run, reference, item)?;
    if !postgres::is_linked_service(&service.kind) {
        return Err(not_supported(format_args!(
            "a Script on a {} linked service (PostgreSQL linked services are supported)",
            service.kind
        )));
    }
    let properties = run.eval(
        &activity.get("typeProperties").cloned().unwrap_or(json!({})),
        item,
    )?;
    if properties
        .get("scriptReference")
        .is_some_and(|r| !r.is_null())
    {
        return Err(not_supported(
            "a Script's scriptReference (use inline scripts)",
        ));
    }
    let log_destination = text(properties.pointer("/logSettings/logDestination"));
    let logs_to_output = match log_destination.as_str() {
        "" => properties.get("logSettings").is_some_and(|s| !s.is_null()),
        "ActivityOutput" => true,
        "ExternalStore" => {
            return Err(not_supported(
                "a Script's logSettings.logDestination ExternalStore (use ActivityOutput)",
            ));
        }
        other => {
            return Err(ActivityError::user(
                "2200",
                format!("The log destination '{other}' is invalid."),
            ));
        }
    };
    // The documented default: 02:00:00 per block.
    let block_timeout = parse_timespan(&text(properties.get("scriptBlockExecutionTimeout")))
        .unwrap_or(Duration::from_secs(2 * 3600));
    let blocks = blocks(&properties)?;
    let connection = connect(&run, &service, None).await?;
    let mut output = Output::default();
    for block in &blocks {
        run_block(&connection, block, block_timeout, &mut output)
            .await
            .map_err(|e| activity_error(e, None::<Side>, &service.name))?;
        if logs_to_output {
            output.logs.extend(connection.take_notices());
        }
    }
    Ok(output.into_json(logs_to_output, started.elapsed()))
}

/// The merged output of the blocks run so far.
#[derive(Default)]
struct Output {
    result_sets: Vec<Value>,
    records_affected: u64,
    output_parameters: Option<Map<String, Value>>,
    logs: Vec<String>,
    truncated: bool,
    size: usize,
}

impl Output {
    fn into_json(self, logs_to_output: bool, elapsed: Duration) -> Value {
        let mut output = json!({
            "resultSetCount": self.result_sets.len(),
            "recordsAffected": self.records_affected,
            "resultSets": self.result_sets,
        });
        if let Some(parameters) = self.output_parameters {
            output["outputParameters"] = Value::Object(parameters);
        }
        if logs_to_output {
            output["outputLogs"] = json!(self.logs.join("\n"));
        }
        if self.truncated {
            output["outputTruncated"] = json!(true);
        }
        let rest = json!({
            "effectiveIntegrationRuntime": "AutoResolveIntegrationRuntime (Local emulator)",
            "executionDuration": elapsed.as_secs(),
            "durationInQueue": {"integrationRuntimeQueue": 0},
            "billingReference": {
                "activityType": "PipelineActivity",
                "billableDuration": [{"meterType": "AzureIR", "duration": 0.016666666666666666, "unit": "Hours"}],
            },
        });
        if let (Some(out), Some(rest)) = (output.as_object_mut(), rest.as_object()) {
            for (key, value) in rest {
                out.insert(key.clone(), value.clone());
            }
        }
        output
    }
}

async fn run_block(
    connection: &PgConnection,
    block: &Block,
    timeout: Duration,
    output: &mut Output,
) -> Result<(), PgError> {
    let statements = postgres::statements(&block.text, &block.parameters);
    let deadline = Instant::now() + timeout;
    let transaction = statements.len() > 1;
    if transaction {
        connection.execute("BEGIN", 0, false, None).await?;
    }
    let mut last_result = None;
    let mut outcome = Ok(());
    for statement in &statements {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match connection
            .execute(statement, MAX_ROWS, false, Some(remaining))
            .await
        {
            Ok(result) => {
                if postgres::changes_rows(statement) {
                    output.records_affected += result.count;
                }
                if let Some(set) = result.result {
                    if block.query {
                        let rows = set.json_rows();
                        let mut value = json!({"rowCount": set.total, "rows": rows});
                        let size = value.to_string().len();
                        if output.size + size > MAX_OUTPUT_BYTES
                            || set.total > set.rows.len() as u64
                        {
                            output.truncated = true;
                        }
                        if output.size + size > MAX_OUTPUT_BYTES {
                            value["rows"] = json!([]);
                        } else {
                            output.size += size;
                        }
                        output.result_sets.push(value);
                    }
                    last_result = Some(set);
                }
            }
            Err(error) => {
                outcome = Err(error);
                break;
            }
        }
    }
    if transaction {
        let end = if outcome.is_ok() {
            "COMMIT"
        } else {
            "ROLLBACK"
        };
        let ended = connection.execute(end, 0, false, None).await;
        if outcome.is_ok() {
            ended?;
        }
    }
    outcome?;
    // Output parameters, in order, from the first row of the block's last result (a CALL's).
    let outputs: Vec<&Parameter> = block.parameters.iter().filter(|p| p.is_output()).collect();
    if !outputs.is_empty() {
        let row = last_result
            .as_ref()
            .and_then(|set| set.json_rows().into_iter().next())
            .unwrap_or_default();
        let parameters = output.output_parameters.get_or_insert_with(Map::new);
        let mut values = row.into_iter().map(|(_, v)| v);
        for (position, parameter) in outputs.iter().enumerate() {
            let name = parameter
                .name
                .clone()
                .unwrap_or_else(|| format!("${}", position + 1));
            parameters.insert(name, values.next().unwrap_or(Value::Null));
        }
    }
    Ok(())
}
