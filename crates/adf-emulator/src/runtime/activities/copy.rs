//! The Copy activity between blob stores, through real Blob REST calls (Azurite or Azure).
//!
//! Sources and sinks: datasets of type `AzureBlob` (legacy: `folderPath` = `container/path`,
//! `fileName`), `Binary` and `DelimitedText` on an `AzureBlobStorageLocation` (`container`,
//! `folderPath`, `fileName`), over `AzureStorage` or `AzureBlobStorage` linked services
//! (connection string, account key, or SAS). Single-file, folder and wildcard copies; a sink
//! that names no file keeps the source's (relative) name, as ADF does.
//!
//! It streams: a download is cut into blocks of `copy_block_size` which are staged (Put Block)
//! while the next one downloads, then committed (Put Block List). At most about three blocks
//! are in memory per copy, whatever the blob size. Bytes are copied as they are: no format
//! conversion between DelimitedText settings (rows are counted, not parsed).

use crate::runtime::blob::{BlobAccount, BlobClient, BlobError, BlobItem, block_id};
use crate::runtime::context::{ActivityError, Run};
use adf_core::Kind;
use adf_expr::Context as _;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use tokio::time::Instant;

/// Where a dataset points: the store, container, folder and optional file name (or pattern).
#[derive(Debug, Clone)]
struct Location {
    client: BlobClient,
    linked_service_type: String,
    container: String,
    folder: String,
    file: String,
    format: String,
    first_row_as_header: bool,
}

fn text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A secret-bearing property: a plain string or `{type: SecureString, value}`. Key Vault
/// references cannot be resolved locally.
fn secret(value: Option<&Value>, what: &str) -> Result<Option<String>, ActivityError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(object) => match object.get("type").and_then(Value::as_str) {
            Some("SecureString") => Ok(object
                .get("value")
                .and_then(Value::as_str)
                .map(str::to_owned)),
            Some(other) => Err(ActivityError::user(
                "NotSupportedByEmulator",
                format!("not supported by the emulator: {what} of type {other}"),
            )),
            None => Ok(None),
        },
    }
}

fn user(message: impl Into<String>) -> ActivityError {
    ActivityError::user("2200", message)
}

fn entity(run: &Run, kind: Kind, name: &str) -> Result<Value, ActivityError> {
    run.state
        .with_store(|_, store| store.entity(&run.scope, kind, name))
        .map_err(|e| ActivityError::system("InternalError", e.to_string()))?
        .map(|row| row.body)
        .ok_or_else(|| user(format!("The {kind} '{name}' does not exist.")))
}

/// Resolves a `{referenceName, parameters}` dataset reference into a location.
fn resolve(run: &Run, reference: &Value, item: Option<&Value>) -> Result<Location, ActivityError> {
    let name = text(reference.get("referenceName"));
    let dataset = entity(run, Kind::Dataset, &name)?;
    let given = match reference.get("parameters") {
        Some(p) => run.eval(p, item)?,
        None => json!({}),
    };
    let mut bindings = run.bindings(item);
    let mut parameters = Map::new();
    if let Some(declared) = dataset.get("parameters").and_then(Value::as_object) {
        for (key, declaration) in declared {
            let value = given
                .get(key)
                .cloned()
                .or_else(|| declaration.get("defaultValue").cloned())
                .unwrap_or(Value::Null);
            parameters.insert(key.clone(), value);
        }
    }
    bindings.dataset_parameters = parameters;
    let properties = adf_expr::evaluate_value(
        &dataset.get("typeProperties").cloned().unwrap_or(json!({})),
        &bindings,
    )
    .map_err(|e| ActivityError::user("InvalidTemplate", format!("dataset '{name}': {e}")))?;
    let format = text(dataset.get("type"));
    let (container, folder, file) = match format.as_str() {
        "AzureBlob" => {
            let path = text(properties.get("folderPath"));
            let path = path.trim_matches('/');
            let (container, folder) = path.split_once('/').unwrap_or((path, ""));
            (
                container.to_owned(),
                folder.to_owned(),
                text(properties.get("fileName")),
            )
        }
        "Binary" | "DelimitedText" => {
            let location = properties.get("location").cloned().unwrap_or(json!({}));
            let kind = text(location.get("type"));
            if kind != "AzureBlobStorageLocation" {
                return Err(ActivityError::user(
                    "NotSupportedByEmulator",
                    format!(
                        "not supported by the emulator: a {format} dataset on a {kind} location"
                    ),
                ));
            }
            (
                text(location.get("container")),
                text(location.get("folderPath")),
                text(location.get("fileName")),
            )
        }
        other => {
            return Err(ActivityError::user(
                "NotSupportedByEmulator",
                format!("not supported by the emulator: a Copy with a dataset of type {other}"),
            ));
        }
    };
    if container.is_empty() {
        return Err(user(format!("The dataset '{name}' names no container.")));
    }
    let first_row_as_header = properties
        .get("firstRowAsHeader")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let service_name = text(dataset.pointer("/linkedServiceName/referenceName"));
    let (client, linked_service_type) = linked_service(run, &service_name, item)?;
    Ok(Location {
        client,
        linked_service_type,
        container,
        folder: folder.trim_matches('/').to_owned(),
        file,
        format,
        first_row_as_header,
    })
}

fn linked_service(
    run: &Run,
    name: &str,
    item: Option<&Value>,
) -> Result<(BlobClient, String), ActivityError> {
    let service = entity(run, Kind::LinkedService, name)?;
    let kind = text(service.get("type"));
    if kind != "AzureStorage" && kind != "AzureBlobStorage" {
        return Err(ActivityError::user(
            "NotSupportedByEmulator",
            format!("not supported by the emulator: a Copy through a {kind} linked service"),
        ));
    }
    let properties = run.eval(
        &service.get("typeProperties").cloned().unwrap_or(json!({})),
        item,
    )?;
    let development = &run.state.config().development_blob_endpoint;
    let invalid = |e: BlobError| {
        user(format!(
            "The linked service '{name}' is invalid: {}",
            e.message
        ))
    };
    let account = if let Some(connection) =
        secret(properties.get("connectionString"), "connectionString")?
    {
        BlobAccount::from_connection_string(&connection, development).map_err(invalid)?
    } else if let Some(uri) = secret(properties.get("sasUri"), "sasUri")? {
        let token = secret(properties.get("sasToken"), "sasToken")?;
        BlobAccount::from_sas_uri(&uri, token.as_deref()).map_err(invalid)?
    } else if let (Some(endpoint), Some(key)) = (
        properties.get("serviceEndpoint").and_then(Value::as_str),
        secret(properties.get("accountKey"), "accountKey")?,
    ) {
        let account = account_of(endpoint);
        BlobAccount::with_key(endpoint, &account, &key).map_err(invalid)?
    } else {
        return Err(ActivityError::user(
            "NotSupportedByEmulator",
            format!(
                "not supported by the emulator: the authentication of linked service '{name}' (use a connection string, an account key or a SAS URI)"
            ),
        ));
    };
    let kind_label = "AzureBlobStorage".to_owned();
    Ok((BlobClient::new(run.http.clone(), account), kind_label))
}

/// The account name of a blob endpoint: the first label of the host, or the first path segment
/// of a path-style (emulator) endpoint.
fn account_of(endpoint: &str) -> String {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, r)| r);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.split(':').next().unwrap_or(host);
    let is_ip = host.parse::<std::net::IpAddr>().is_ok() || host == "localhost";
    if is_ip {
        path.split('/').next().unwrap_or_default().to_owned()
    } else {
        host.split('.').next().unwrap_or_default().to_owned()
    }
}

/// Glob match: `*` is any run of characters, `?` one character (neither crosses a `/`).
pub(crate) fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' && n[ni] != '/' || p[pi] == n[ni] && p[pi] != '*') {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star
            && n[sn] != '/'
        {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

fn has_wildcard(text: &str) -> bool {
    text.contains('*') || text.contains('?')
}

fn join(folder: &str, name: &str) -> String {
    match (folder.is_empty(), name.is_empty()) {
        (true, _) => name.to_owned(),
        (_, true) => folder.to_owned(),
        _ => format!("{folder}/{name}"),
    }
}

fn split_dir(name: &str) -> (&str, &str) {
    name.rsplit_once('/').unwrap_or(("", name))
}

/// The blobs a source selects, each with its path relative to the selection's base folder.
async fn select_sources(
    source: &Location,
    settings: &Value,
) -> Result<Vec<(BlobItem, String)>, ActivityError> {
    let recursive = settings
        .get("recursive")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let wildcard_folder = text(settings.get("wildcardFolderPath"));
    let wildcard_file = text(settings.get("wildcardFileName"));
    let client = &source.client;
    let missing = |prefix: &str, exists: bool| {
        user(format!(
            "Failure happened on 'Source' side. ErrorCode=UserErrorSourceBlobNotExist,'Type=Microsoft.DataTransfer.Common.Shared.HybridDeliveryException,Message=The required Blob is missing. ContainerName: {}/{}, ContainerExist: {}, BlobPrefix: {prefix}, BlobCount: 0.,Source=Microsoft.DataTransfer.ClientLibrary,'",
            client.endpoint(),
            source.container,
            if exists { "True" } else { "False" },
        ))
    };
    let source_error = |e: BlobError| {
        user(format!(
            "Failure happened on 'Source' side. ErrorCode=UserErrorFailedBlobFSOperation,'Message=The blob operation failed: {e}.'"
        ))
    };
    let exists = client
        .container_exists(&source.container)
        .await
        .map_err(source_error)?;
    let wildcard =
        !wildcard_folder.is_empty() || !wildcard_file.is_empty() || has_wildcard(&source.file);
    if wildcard {
        let folder_glob = if wildcard_folder.is_empty() {
            source.folder.clone()
        } else {
            wildcard_folder.trim_matches('/').to_owned()
        };
        let file_glob = if !wildcard_file.is_empty() {
            wildcard_file
        } else if !source.file.is_empty() {
            source.file.clone()
        } else {
            "*".to_owned()
        };
        // The literal folders before the first wildcard: the listing prefix and the base of
        // relative names.
        let base: String = {
            let cut = folder_glob.find(['*', '?']).unwrap_or(folder_glob.len());
            let literal = &folder_glob[..cut];
            if cut == folder_glob.len() {
                literal.to_owned()
            } else {
                literal
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_owned())
                    .unwrap_or_default()
            }
        };
        if !exists {
            return Err(missing(&join(&folder_glob, &file_glob), false));
        }
        let prefix = if base.is_empty() {
            String::new()
        } else {
            format!("{base}/")
        };
        let listed = client
            .list(&source.container, &prefix)
            .await
            .map_err(source_error)?;
        let mut out = Vec::new();
        for blob in listed {
            let (dir, file) = split_dir(&blob.name);
            if file.is_empty() || !glob(&file_glob, file) {
                continue;
            }
            let folder_ok = glob(&folder_glob, dir)
                || (recursive
                    && dir
                        .match_indices('/')
                        .any(|(i, _)| glob(&folder_glob, &dir[..i])));
            if !folder_ok {
                continue;
            }
            let relative = blob.name[prefix.len()..].to_owned();
            out.push((blob, relative));
        }
        return Ok(out);
    }
    if !source.file.is_empty() {
        let name = join(&source.folder, &source.file);
        if !exists {
            return Err(missing(&name, false));
        }
        let listed = client
            .list(&source.container, &name)
            .await
            .map_err(source_error)?;
        return match listed.into_iter().find(|b| b.name == name) {
            Some(blob) => Ok(vec![(blob, source.file.clone())]),
            None => Err(missing(&name, true)),
        };
    }
    if !exists {
        return Err(missing(&source.folder, false));
    }
    let prefix = if source.folder.is_empty() {
        String::new()
    } else {
        format!("{}/", source.folder)
    };
    let listed = client
        .list(&source.container, &prefix)
        .await
        .map_err(source_error)?;
    Ok(listed
        .into_iter()
        .filter(|b| !b.name.ends_with('/'))
        .filter_map(|b| {
            let relative = b.name[prefix.len()..].to_owned();
            (recursive || !relative.contains('/')).then_some((b, relative))
        })
        .collect())
}

/// What one file copy did.
#[derive(Debug, Default, Clone, Copy)]
struct Copied {
    bytes: u64,
    lines: u64,
    ends_with_newline: bool,
}

/// Streams one blob to another: download in blocks, stage each while the next downloads,
/// commit the list.
async fn copy_one(
    source: &BlobClient,
    source_container: &str,
    source_blob: &str,
    sink: &BlobClient,
    sink_container: &str,
    sink_blob: &str,
    block_size: usize,
) -> Result<Copied, ActivityError> {
    let source_error = |e: BlobError| {
        user(format!(
            "Failure happened on 'Source' side. ErrorCode=UserErrorFailedBlobFSOperation,'Message=Reading '{source_container}/{source_blob}' failed: {e}.'"
        ))
    };
    let sink_error = |e: BlobError| {
        user(format!(
            "Failure happened on 'Sink' side. ErrorCode=UserErrorFailedBlobFSOperation,'Message=Writing '{sink_container}/{sink_blob}' failed: {e}.'"
        ))
    };
    let mut response = source
        .get(source_container, source_blob)
        .await
        .map_err(source_error)?;
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<u8>>(1);
    let read = async move {
        let mut copied = Copied::default();
        let mut block = Vec::with_capacity(block_size);
        loop {
            let chunk = response.chunk().await.map_err(|e| {
                source_error(BlobError {
                    status: 0,
                    code: "ReadFailed".into(),
                    message: e.without_url().to_string(),
                })
            })?;
            let Some(chunk) = chunk else { break };
            copied.bytes += chunk.len() as u64;
            copied.lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
            if let Some(last) = chunk.last() {
                copied.ends_with_newline = *last == b'\n';
            }
            // Fill blocks exactly to `block_size`, so no block ever reallocates.
            let mut rest: &[u8] = &chunk;
            while !rest.is_empty() {
                let take = rest.len().min(block_size - block.len());
                block.extend_from_slice(&rest[..take]);
                rest = &rest[take..];
                if block.len() == block_size {
                    let full = std::mem::replace(&mut block, Vec::with_capacity(block_size));
                    if sender.send(full).await.is_err() {
                        return Ok(copied);
                    }
                }
            }
        }
        if !block.is_empty() {
            let _ = sender.send(block).await;
        }
        Ok::<Copied, ActivityError>(copied)
    };
    let write = async {
        let mut ids = Vec::new();
        while let Some(block) = receiver.recv().await {
            let id = block_id(ids.len());
            sink.put_block(sink_container, sink_blob, &id, block)
                .await
                .map_err(sink_error)?;
            ids.push(id);
        }
        if ids.is_empty() {
            sink.put_blob(sink_container, sink_blob, Vec::new())
                .await
                .map_err(sink_error)?;
        } else {
            sink.put_block_list(sink_container, sink_blob, &ids)
                .await
                .map_err(sink_error)?;
        }
        Ok::<(), ActivityError>(())
    };
    let (copied, ()) = tokio::try_join!(read, write)?;
    Ok(copied)
}

fn reference(activity: &Value, key: &str) -> Result<Value, ActivityError> {
    activity
        .get(key)
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .cloned()
        .ok_or_else(|| user(format!("The Copy activity has no {key} dataset.")))
}

/// Runs a Copy activity; returns ADF's output object.
pub(crate) async fn execute(
    run: Arc<Run>,
    activity: &Value,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    let started = Instant::now();
    let start_time = run.bindings(None).now();
    let properties = run.eval(
        &activity.get("typeProperties").cloned().unwrap_or(json!({})),
        item,
    )?;
    let source = resolve(&run, &reference(activity, "inputs")?, item)?;
    let sink = resolve(&run, &reference(activity, "outputs")?, item)?;
    let source_settings = properties
        .pointer("/source/storeSettings")
        .cloned()
        .unwrap_or_else(|| {
            // Legacy BlobSource: `recursive` sits on the source itself.
            json!({"recursive": properties.pointer("/source/recursive").cloned().unwrap_or(json!(true))})
        });
    let behavior = properties
        .pointer("/sink/storeSettings/copyBehavior")
        .or_else(|| properties.pointer("/sink/copyBehavior"))
        .map(|v| text(Some(v)))
        .unwrap_or_else(|| "PreserveHierarchy".into());
    if behavior == "MergeFiles" {
        return Err(ActivityError::user(
            "NotSupportedByEmulator",
            "not supported by the emulator: copyBehavior MergeFiles",
        ));
    }
    let listing_started = Instant::now();
    let files = select_sources(&source, &source_settings).await?;
    let listing = listing_started.elapsed().as_secs_f64();
    if !sink.file.is_empty() && files.len() > 1 {
        return Err(ActivityError::user(
            "NotSupportedByEmulator",
            "not supported by the emulator: a sink file name with several source files",
        ));
    }
    if !files.is_empty() {
        sink.client.create_container(&sink.container).await.map_err(|e| {
            user(format!(
                "Failure happened on 'Sink' side. ErrorCode=UserErrorFailedBlobFSOperation,'Message=Cannot create the container '{}': {e}.'",
                sink.container
            ))
        })?;
    }
    let block_size = run.state.config().copy_block_size.max(64 * 1024);
    let transfer_started = Instant::now();
    let mut totals = Copied::default();
    let mut rows: u64 = 0;
    for (blob, relative) in &files {
        let target = if !sink.file.is_empty() {
            join(&sink.folder, &sink.file)
        } else if behavior == "FlattenHierarchy" {
            join(&sink.folder, split_dir(relative).1)
        } else {
            join(&sink.folder, relative)
        };
        let copied = copy_one(
            &source.client,
            &source.container,
            &blob.name,
            &sink.client,
            &sink.container,
            &target,
            block_size,
        )
        .await?;
        totals.bytes += copied.bytes;
        let mut lines = copied.lines + u64::from(copied.bytes > 0 && !copied.ends_with_newline);
        if source.first_row_as_header && lines > 0 {
            lines -= 1;
        }
        rows += lines;
    }
    let transfer = transfer_started.elapsed().as_secs_f64();
    let elapsed = started.elapsed().as_secs_f64();
    let throughput = if elapsed > 0.0 {
        (totals.bytes as f64 / 1024.0 / elapsed * 1000.0).round() / 1000.0
    } else {
        0.0
    };
    let round3 = |x: f64| (x * 1000.0).round() / 1000.0;
    let mut output = json!({
        "dataRead": totals.bytes,
        "dataWritten": totals.bytes,
        "filesRead": files.len(),
        "filesWritten": files.len(),
    });
    if source.format == "DelimitedText" {
        output["rowsRead"] = json!(rows);
        output["rowsCopied"] = json!(rows);
        output["rowsSkipped"] = json!(0);
    }
    let extra = json!({
        "sourcePeakConnections": 1,
        "sinkPeakConnections": 1,
        "copyDuration": elapsed.ceil() as u64,
        "throughput": throughput,
        "errors": [],
        "effectiveIntegrationRuntime": "AutoResolveIntegrationRuntime (Local emulator)",
        "usedDataIntegrationUnits": 4,
        "billingReference": {
            "activityType": "DataMovement",
            "billableDuration": [{"meterType": "AzureIR", "duration": round3(4.0 * elapsed / 3600.0), "unit": "DIUHours"}],
        },
        "usedParallelCopies": 1,
        "executionDetails": [{
            "source": {"type": source.linked_service_type},
            "sink": {"type": sink.linked_service_type},
            "status": "Succeeded",
            "start": crate::wire::timestamp(start_time),
            "duration": elapsed.ceil() as u64,
            "usedDataIntegrationUnits": 4,
            "usedParallelCopies": 1,
            "profile": {
                "queue": {"status": "Completed", "duration": 0},
                "transfer": {
                    "status": "Completed",
                    "duration": elapsed.ceil() as u64,
                    "details": {
                        "listingSource": {"type": source.linked_service_type, "workingDuration": round3(listing)},
                        "readingFromSource": {"type": source.linked_service_type, "workingDuration": round3(transfer)},
                        "writingToSink": {"type": sink.linked_service_type, "workingDuration": round3(transfer)},
                    },
                },
            },
            "detailedDurations": {"queuingDuration": 0, "transferDuration": elapsed.ceil() as u64},
        }],
        "dataConsistencyVerification": {"VerificationResult": "NotVerified"},
        "durationInQueue": {"integrationRuntimeQueue": 0},
    });
    if let (Some(out), Some(more)) = (output.as_object_mut(), extra.as_object()) {
        for (k, v) in more {
            out.insert(k.clone(), v.clone());
        }
    }
    Ok(output)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        for (pattern, name, expected) in [
            ("*.csv", "a.csv", true),
            ("*.csv", "a.txt", false),
            ("in?ut.txt", "input.txt", true),
            ("*", "", true),
            ("a*", "a/b", false),
            ("data/*/x", "data/2024/x", true),
            ("data/*", "data", false),
            ("*.*", "file.tar.gz", true),
            ("input", "input", true),
        ] {
            assert_eq!(glob(pattern, name), expected, "{pattern} vs {name}");
        }
    }

    #[test]
    fn account_names() {
        assert_eq!(account_of("https://acct.blob.core.windows.net"), "acct");
        assert_eq!(
            account_of("http://127.0.0.1:10000/devstoreaccount1"),
            "devstoreaccount1"
        );
        assert_eq!(account_of("http://localhost:1/x/"), "x");
    }
}
