//! The Delete activity on blob stores (Azure Blob Storage and ADLS Gen2 through its Blob
//! endpoint).
//!
//! Source: https://learn.microsoft.com/azure/data-factory/delete-activity
//! - `dataset` names a file, a folder or a wildcard; `storeSettings.recursive` (default
//!   false) deletes in subfolders too; `wildcardFolderPath`/`wildcardFileName` and
//!   `modifiedDatetimeStart`/`modifiedDatetimeEnd` select as for a copy source; the page's
//!   "Delete specific folders or files" table is what the tests check;
//! - `enableLogging` with `logStorageSettings` writes a log of the deleted files: the emulator
//!   does not write it and refuses the activity unless logging is off;
//! - the output of "Sample output of the Delete activity": `datasetName`, `type`, `prefix`,
//!   `recursive`, `isWildcardUsed`, `maxConcurrentConnections`, `filesDeleted`, `logPath`,
//!   `effectiveIntegrationRuntime`, `executionDuration` (the sample is an Amazon S3 one, whose
//!   `bucketName` a blob store has no counterpart of; left out).
//!
//! UNVERIFIED: a file or container that does not exist fails the activity (a folder or
//! wildcard that matches nothing deletes nothing and succeeds); the codes and wordings of the
//! errors.

use crate::runtime::activities::lookup::runtime_fields;
use crate::runtime::activities::{evaluated, number_of, property};
use crate::runtime::context::{ActivityError, Run};
use crate::runtime::datasets::{
    Dataset, StoreSettings, blob_location, dataset, flag, not_supported, select_blobs,
};
use serde_json::{Value, json};
use std::sync::Arc;

/// Runs a Delete activity; returns ADF's output object.
pub(crate) async fn execute(
    run: Arc<Run>,
    activity: &Value,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    let started = std::time::Instant::now();
    let store_settings = evaluated(&run, activity, "storeSettings", item)?;
    // A Delete activity written before `storeSettings` existed carries `recursive` itself.
    let legacy_recursive = evaluated(&run, activity, "recursive", item)?;
    if flag(Some(&evaluated(&run, activity, "enableLogging", item)?)).unwrap_or(false) {
        return Err(not_supported(
            "Delete with enableLogging true (the log of deleted files in logStorageSettings); set enableLogging to false",
        ));
    }
    let reference = property(activity, "dataset")
        .ok_or_else(|| ActivityError::user("2200", "The Delete activity has no dataset."))?;
    let dataset = dataset(&run, reference, item)?;
    let mut output = match dataset.kind.as_str() {
        "AzureBlob" | "Binary" | "DelimitedText" | "Json" | "Parquet" | "Avro" | "Orc" | "Xml"
        | "Excel" => {
            blob_delete(&run, &dataset, &store_settings, &legacy_recursive, activity).await?
        }
        other => {
            return Err(not_supported(format_args!(
                "Delete on dataset type {other}"
            )));
        }
    };
    runtime_fields(&mut output, started.elapsed());
    Ok(output)
}

async fn blob_delete(
    run: &Run,
    dataset: &Dataset,
    store_settings: &Value,
    legacy_recursive: &Value,
    activity: &Value,
) -> Result<Value, ActivityError> {
    let location = blob_location(run, dataset, "Delete")?;
    let mut settings = StoreSettings::read(store_settings, false)?;
    if store_settings.get("recursive").is_none()
        && let Some(recursive) = flag(Some(legacy_recursive))
    {
        settings.recursive = recursive;
    }
    let max_connections = number_of(store_settings.get("maxConcurrentConnections"))
        .or_else(|| number_of(property(activity, "maxConcurrentConnections")))
        .map_or(1, |n| n.max(1.0) as u64);
    let failed = |message: String| ActivityError::user("2200", message);
    let selection = select_blobs(&location, &settings).await.map_err(|e| {
        failed(format!(
            "ErrorCode=UserErrorFailedBlobFSOperation,'Message=The blob operation failed: {e}.'"
        ))
    })?;
    if !selection.container_exists {
        return Err(failed(format!(
            "ErrorCode=UserErrorSourceBlobNotExist,'Message=The container '{}' does not exist at {}.'",
            location.container,
            location.client.endpoint()
        )));
    }
    if selection.single_file && selection.blobs.is_empty() {
        return Err(failed(format!(
            "ErrorCode=UserErrorSourceBlobNotExist,'Message=The required Blob is missing. ContainerName: {}/{}, path: {}.'",
            location.client.endpoint(),
            location.container,
            selection.prefix
        )));
    }
    let mut deleted: u64 = 0;
    for (blob, _) in &selection.blobs {
        // A blob gone since the listing (deleted by someone else) is not counted.
        let existed = location
            .client
            .delete_blob(&location.container, &blob.name)
            .await
            .map_err(|e| {
                failed(format!(
                    "ErrorCode=UserErrorFailedBlobFSOperation,'Message=Deleting '{}/{}' failed: {e}.'",
                    location.container, blob.name
                ))
            })?;
        deleted += u64::from(existed);
    }
    Ok(json!({
        "datasetName": dataset.name,
        "type": dataset.kind,
        "prefix": selection.prefix,
        "recursive": settings.recursive,
        "isWildcardUsed": selection.wildcard,
        "maxConcurrentConnections": max_connections,
        "filesDeleted": deleted,
        "logPath": null,
    }))
}
