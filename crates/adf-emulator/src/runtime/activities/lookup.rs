//! The Lookup activity: reads a dataset's rows and returns the first one or all of them.
//!
//! Source: https://learn.microsoft.com/azure/data-factory/control-flow-lookup-activity
//! ("Supported capabilities" and "Use the Lookup activity result"):
//! - `firstRowOnly` (default true) → `{"firstRow": {...}}`; false → `{"count": N, "value": [...]}`;
//! - at most 5,000 rows: "if the result set contains more records, the first 5000 rows will be
//!   returned";
//! - the output "supports up to 4 MB in size, activity will fail if the size exceeds the limit";
//! - "Structure isn't supported in dataset definitions. For text-format files, use the header
//!   row to provide the column name", and a JSON source's `jsonPathDefinition` is not supported
//!   ("the entire objects will be retrieved").
//!
//! The activity dispatches on the dataset's type: file datasets on blob stores here, database
//! datasets in their store's module.

use crate::runtime::activities::{evaluated, property};
use crate::runtime::context::{ActivityError, Run};
use crate::runtime::datasets::{Dataset, blob_location, dataset, flag, not_supported};
use crate::runtime::formats;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The most rows a Lookup returns; the rest are dropped without an error (ADF's page above).
pub(crate) const MAX_ROWS: usize = 5000;
/// The largest output, in bytes of its JSON; more fails the activity (ADF's page above).
pub(crate) const MAX_OUTPUT_BYTES: usize = 4 * 1024 * 1024;

/// Runs a Lookup activity; returns ADF's output object.
pub(crate) async fn execute(
    run: Arc<Run>,
    activity: &Value,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    let started = std::time::Instant::now();
    let source = evaluated(&run, activity, "source", item)?;
    let first_row_only =
        flag(Some(&evaluated(&run, activity, "firstRowOnly", item)?)).unwrap_or(true);
    // The reference is taken as written: `dataset` evaluates its parameters once.
    let reference = property(activity, "dataset")
        .ok_or_else(|| ActivityError::user("2200", "The Lookup activity has no dataset."))?;
    let dataset = dataset(&run, reference, item)?;
    let limit = if first_row_only { 1 } else { MAX_ROWS };
    let rows = match dataset.kind.as_str() {
        "DelimitedText" | "Json" => file_rows(&run, &dataset, &source, limit).await?,
        kind if crate::runtime::postgres::is_dataset(kind) => {
            super::database::lookup_rows(&run, &dataset, &source, limit).await?
        }
        other => {
            // Fallthrough: every dataset type without an arm above.
            return Err(not_supported(format_args!(
                "Lookup on dataset type {other}"
            )));
        }
    };
    let mut output = output(rows, first_row_only)?;
    runtime_fields(&mut output, started.elapsed());
    Ok(output)
}

/// The rows of a DelimitedText or Json dataset on a blob store (at most `limit`).
async fn file_rows(
    run: &Run,
    dataset: &Dataset,
    source: &Value,
    limit: usize,
) -> Result<Vec<Map<String, Value>>, ActivityError> {
    let location = blob_location(run, dataset, "Lookup")?;
    // Lookup reads through the Copy activity's engine and reports its source errors with
    // code 2100 (UNVERIFIED: seen in reports of failed Lookups, not documented).
    formats::lookup_rows(&location, source, limit)
        .await
        .map_err(|mut error| {
            if error.code == "2200" {
                error.code = "2100".into();
            }
            error
        })
}

/// ADF's Lookup output for rows already limited to [`MAX_ROWS`]: `firstRow` (absent when there
/// is no row, so that `output.firstRow` fails as in ADF: UNVERIFIED, the behaviour is widely
/// reported) or `count` + `value`; more than [`MAX_OUTPUT_BYTES`] fails.
pub(crate) fn output(
    rows: Vec<Map<String, Value>>,
    first_row_only: bool,
) -> Result<Value, ActivityError> {
    let output = if first_row_only {
        match rows.into_iter().next() {
            Some(row) => json!({"firstRow": row}),
            None => json!({}),
        }
    } else {
        json!({"count": rows.len(), "value": rows})
    };
    let size = serde_json::to_vec(&output).map(|v| v.len()).unwrap_or(0);
    if size > MAX_OUTPUT_BYTES {
        // UNVERIFIED: the code and wording of ADF's error; the limit is documented.
        return Err(ActivityError::user(
            "2001",
            format!(
                "The length of execution output is over limit (around 4MB currently). Output size: {size} bytes."
            ),
        ));
    }
    Ok(output)
}

/// The run-time fields ADF adds to the output of the activities that run on an integration
/// runtime (Lookup, GetMetadata, Delete): `effectiveIntegrationRuntime`, `executionDuration`
/// (seconds), `durationInQueue`, `billingReference` (values of the emulator's own).
pub(crate) fn runtime_fields(output: &mut Value, elapsed: std::time::Duration) {
    if let Some(object) = output.as_object_mut() {
        object.insert(
            "effectiveIntegrationRuntime".into(),
            json!("AutoResolveIntegrationRuntime (Local emulator)"),
        );
        object.insert("executionDuration".into(), json!(elapsed.as_secs()));
        object.insert(
            "durationInQueue".into(),
            json!({"integrationRuntimeQueue": 0}),
        );
        object.insert(
            "billingReference".into(),
            json!({
                "activityType": "PipelineActivity",
                "billableDuration": [{"meterType": "AzureIR", "duration": 0.016666666666666666, "unit": "Hours"}],
            }),
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect()
    }

    #[test]
    fn first_row_and_all_rows() {
        let rows = vec![row(&[("a", "1")]), row(&[("a", "2")])];
        let first = output(rows.clone(), true).unwrap();
        assert_eq!(first["firstRow"], json!({"a": "1"}));
        assert!(first.get("count").is_none());
        let all = output(rows, false).unwrap();
        assert_eq!(all["count"], 2);
        assert_eq!(all["value"], json!([{"a": "1"}, {"a": "2"}]));
        let mut with_fields = all.clone();
        runtime_fields(&mut with_fields, std::time::Duration::from_secs(2));
        assert_eq!(
            with_fields["effectiveIntegrationRuntime"],
            "AutoResolveIntegrationRuntime (Local emulator)"
        );
        assert_eq!(with_fields["executionDuration"], 2);
    }

    #[test]
    fn no_rows() {
        assert!(output(Vec::new(), true).unwrap().get("firstRow").is_none());
        assert_eq!(output(Vec::new(), false).unwrap()["count"], 0);
    }

    #[test]
    fn output_over_four_megabytes_fails() {
        let big = "x".repeat(1024 * 1024);
        let rows: Vec<_> = (0..5).map(|_| row(&[("a", &big)])).collect();
        let error = output(rows, false).unwrap_err();
        assert!(error.message.contains("over limit"), "{}", error.message);
    }
}
