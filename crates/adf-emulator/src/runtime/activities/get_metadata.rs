//! The GetMetadata activity on blob stores (Azure Blob Storage and ADLS Gen2 through its Blob
//! endpoint).
//!
//! Source: https://learn.microsoft.com/azure/data-factory/control-flow-get-metadata-activity
//! - fields: `itemName`, `itemType` (`File`/`Folder`), `size` (files), `created` (not for Azure
//!   Blob: "x/x" in the connector table), `lastModified` ("applies to the container and the blob
//!   but not to the virtual folder"), `childItems` (folders: `[{name, type}]`), `contentMD5`
//!   (files), `structure` and `columnCount` (files; "not supported when getting metadata from
//!   Binary, JSON, or XML files"; for delimited text the header row gives the names), `exists`;
//! - "If `exists` is specified in the Get Metadata field list, the activity won't fail even if
//!   the file, folder, or table doesn't exist. Instead, `exists: false` is returned";
//! - "Wildcard filter on folders/files is not supported";
//! - `modifiedDatetimeStart`/`modifiedDatetimeEnd` filter `childItems` to files modified in the
//!   window ("but not folders");
//! - the output shapes of its "Sample output" section (one property per requested field).
//!
//! The childItems error on a file is the one quoted in MicrosoftDocs/azure-docs#29538 (code
//! 3500). Other errors' codes and wordings are UNVERIFIED.

use crate::runtime::activities::lookup::runtime_fields;
use crate::runtime::activities::{evaluated, property};
use crate::runtime::blob::{BlobError, BlobItem};
use crate::runtime::context::{ActivityError, Run};
use crate::runtime::datasets::{
    BlobLocation, Dataset, StoreSettings, blob_location, dataset, has_wildcard, iso_time,
    not_supported, split_dir, text,
};
use crate::runtime::formats::{FileFormat, FileReader};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The fields ADF's GetMetadata knows.
const FIELDS: &[&str] = &[
    "exists",
    "itemName",
    "itemType",
    "size",
    "created",
    "lastModified",
    "childItems",
    "contentMD5",
    "structure",
    "columnCount",
];

/// A failure of one requested field, in ADF's words (code 3500, azure-docs#29538).
fn field_error(field: &str, message: impl std::fmt::Display) -> ActivityError {
    ActivityError::user(
        "3500",
        format!(
            "Field '{field}' failed with error: 'Type=Microsoft.DataTransfer.Common.Shared.HybridDeliveryException,Message={message},Source=Microsoft.DataTransfer.ClientLibrary,'."
        ),
    )
}

/// Runs a GetMetadata activity; returns ADF's output object.
pub(crate) async fn execute(
    run: Arc<Run>,
    activity: &Value,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    let started = std::time::Instant::now();
    let fields: Vec<String> = match evaluated(&run, activity, "fieldList", item)? {
        Value::Array(items) => items.iter().map(|f| text(Some(f))).collect(),
        Value::Null => Vec::new(),
        other => vec![text(Some(&other))],
    };
    if fields.is_empty() {
        // UNVERIFIED wording; the page says fieldList is required.
        return Err(ActivityError::user(
            "2200",
            "The GetMetadata activity has no fieldList.",
        ));
    }
    if let Some(unknown) = fields.iter().find(|f| !FIELDS.contains(&f.as_str())) {
        return Err(ActivityError::user(
            "2200",
            format!(
                "The field '{unknown}' in fieldList is not a metadata field; use {}.",
                FIELDS.join(", ")
            ),
        ));
    }
    let store_settings = evaluated(&run, activity, "storeSettings", item)?;
    let reference = property(activity, "dataset")
        .ok_or_else(|| ActivityError::user("2200", "The GetMetadata activity has no dataset."))?;
    let dataset = dataset(&run, reference, item)?;
    let mut output = match dataset.kind.as_str() {
        "AzureBlob" | "Binary" | "DelimitedText" | "Json" | "Parquet" | "Avro" | "Orc" | "Xml"
        | "Excel" => blob_metadata(&run, &dataset, &fields, &store_settings).await?,
        // Database datasets add their arms here (structure, columnCount, exists of a table).
        other => {
            return Err(not_supported(format_args!(
                "GetMetadata on dataset type {other}"
            )));
        }
    };
    runtime_fields(&mut output, started.elapsed());
    Ok(output)
}

/// What the dataset points at.
enum Item {
    File(BlobItem),
    /// A container (no folder) with its `Last-Modified`.
    Container(String),
    /// A virtual folder (a blob-name prefix with blobs under it).
    Folder,
}

fn blob_error(e: BlobError) -> ActivityError {
    ActivityError::user(
        "2200",
        format!(
            "ErrorCode=UserErrorFailedBlobFSOperation,'Message=The blob operation failed: {e}.'"
        ),
    )
}

async fn blob_metadata(
    run: &Run,
    dataset: &Dataset,
    fields: &[String],
    store_settings: &Value,
) -> Result<Value, ActivityError> {
    let location = blob_location(run, dataset, "GetMetadata")?;
    let settings = StoreSettings::read(store_settings, false)?;
    if has_wildcard(&location.file) || has_wildcard(&location.folder) {
        return Err(ActivityError::user(
            "2200",
            "Wildcard filter on folders/files is not supported for Get Metadata activity.",
        ));
    }
    let client = &location.client;
    let found = if !location.file.is_empty() {
        let name = location.path();
        match client.list(&location.container, &name).await {
            Ok(listed) => listed.into_iter().find(|b| b.name == name).map(Item::File),
            Err(e) if e.status == 404 => None,
            Err(e) => return Err(blob_error(e)),
        }
    } else if location.folder.is_empty() {
        client
            .container_last_modified(&location.container)
            .await
            .map_err(blob_error)?
            .map(Item::Container)
    } else {
        let prefix = format!("{}/", location.folder);
        match client.list_children(&location.container, &prefix).await {
            Ok(children) if !children.blobs.is_empty() || !children.prefixes.is_empty() => {
                Some(Item::Folder)
            }
            Ok(_) => None,
            Err(e) if e.status == 404 => None,
            Err(e) => return Err(blob_error(e)),
        }
    };
    let Some(found) = found else {
        if fields.iter().any(|f| f == "exists") {
            return Ok(json!({"exists": false}));
        }
        return Err(missing(&location));
    };
    let mut output = Map::new();
    for field in fields {
        let value = match (field.as_str(), &found) {
            ("exists", _) => json!(true),
            ("itemName", Item::File(_)) => json!(split_dir(&location.file).1),
            ("itemName", Item::Container(_)) => json!(location.container),
            ("itemName", Item::Folder) => json!(split_dir(&location.folder).1),
            ("itemType", Item::File(_)) => json!("File"),
            ("itemType", _) => json!("Folder"),
            ("size", Item::File(blob)) => json!(blob.size),
            ("created", _) => {
                // The connector table: `created` is "x/x" for Azure Blob storage and ADLS Gen2.
                return Err(field_error(
                    "created",
                    "The metadata 'created' is not supported by Azure Blob Storage.",
                ));
            }
            ("lastModified", Item::File(blob)) => {
                json!(blob.last_modified.as_deref().and_then(iso_time))
            }
            ("lastModified", Item::Container(modified)) => json!(iso_time(modified)),
            ("childItems", Item::File(_)) => {
                return Err(field_error(
                    "childItems",
                    "Cannot navigate through the provided data source. Make sure the provided data source is a directory that can do navigation.",
                ));
            }
            ("childItems", _) => json!(child_items(&location, &settings).await?),
            ("contentMD5", Item::File(blob)) => json!(blob.content_md5),
            ("structure" | "columnCount", Item::File(blob)) => {
                let columns = structure(&location, dataset, field, blob).await?;
                if field == "columnCount" {
                    json!(columns.len())
                } else {
                    json!(columns)
                }
            }
            // Fields that apply to files only, on a folder, and `lastModified` of a virtual
            // folder ("not to the virtual folder"): left out (UNVERIFIED: ADF may fail).
            _ => continue,
        };
        output.insert(field.clone(), value);
    }
    Ok(Value::Object(output))
}

/// The error for a file or folder that does not exist, without `exists` in the field list
/// (UNVERIFIED: code and wording; ADLS Gen2's is the one quoted in
/// microsoft/finops-toolkit#2088).
fn missing(location: &BlobLocation) -> ActivityError {
    let path = location.path();
    let message = if location.store_type == "AzureBlobFS" {
        format!(
            "ErrorCode=AdlsGen2OperationFailed,'Type=Microsoft.DataTransfer.Common.Shared.HybridDeliveryException,Message=ADLS Gen2 operation failed for: Operation returned an invalid status code 'NotFound'. Account: '{}'. FileSystem: '{}'. Path: '{path}'. ErrorCode: 'PathNotFound'. Message: 'The specified path does not exist.'.,Source=Microsoft.DataTransfer.ClientLibrary,'",
            crate::runtime::datasets::account_of(location.client.endpoint()),
            location.container,
        )
    } else {
        format!(
            "ErrorCode=UserErrorSourceBlobNotExist,'Type=Microsoft.DataTransfer.Common.Shared.HybridDeliveryException,Message=The required Blob is missing. ContainerName: {}/{}, path: {path}.,Source=Microsoft.DataTransfer.ClientLibrary,'",
            location.client.endpoint(),
            location.container,
        )
    };
    ActivityError::user("2200", message)
}

/// A folder's children, `[{name, type}]`, files and folders in name order; with a
/// last-modified window, files in the window only and no folders.
async fn child_items(
    location: &BlobLocation,
    settings: &StoreSettings,
) -> Result<Vec<Value>, ActivityError> {
    let prefix = if location.folder.is_empty() {
        String::new()
    } else {
        format!("{}/", location.folder)
    };
    let children = location
        .client
        .list_children(&location.container, &prefix)
        .await
        .map_err(blob_error)?;
    let filtered = settings.modified_start.is_some() || settings.modified_end.is_some();
    let mut items: Vec<(String, &str)> = Vec::new();
    for blob in &children.blobs {
        let name = &blob.name[prefix.len()..];
        if !name.is_empty() && settings.in_window(blob) {
            items.push((name.to_owned(), "File"));
        }
    }
    if !filtered {
        for folder in &children.prefixes {
            let name = folder[prefix.len()..].trim_end_matches('/');
            if !name.is_empty() {
                items.push((name.to_owned(), "Folder"));
            }
        }
    }
    items.sort();
    Ok(items
        .into_iter()
        .map(|(name, kind)| json!({"name": name, "type": kind}))
        .collect())
}

/// The columns of a DelimitedText file: the header row's names (with `firstRowAsHeader`),
/// else `Prop_0`, `Prop_1`... for the first row's fields; typed `String`, or as the dataset's
/// schema types a column of that name (UNVERIFIED: the page's sample shows typed columns).
async fn structure(
    location: &BlobLocation,
    dataset: &Dataset,
    field: &str,
    blob: &BlobItem,
) -> Result<Vec<Value>, ActivityError> {
    if location.format != "DelimitedText" {
        // "structure and columnCount are not supported when getting metadata from Binary,
        // JSON, or XML files"; Parquet, Avro, ORC and Excel are readable by ADF but not by the
        // emulator.
        return if matches!(
            location.format.as_str(),
            "Binary" | "Json" | "Xml" | "AzureBlob"
        ) {
            Err(field_error(
                field,
                format_args!(
                    "The metadata '{field}' is not supported for the {} format.",
                    location.format
                ),
            ))
        } else {
            Err(not_supported(format_args!(
                "GetMetadata {field} of a {} file",
                location.format
            )))
        };
    }
    let format = FileFormat::of(location)?;
    let mut reader = FileReader::open(
        &location.client,
        &location.container,
        &blob.name,
        &format,
        0,
    )
    .await?;
    let first = reader.next().await?;
    let names: Vec<String> = match (reader.columns(), &first) {
        (Some(header), _) => header.to_vec(),
        (None, Some(row)) => row.keys().cloned().collect(),
        (None, None) => Vec::new(),
    };
    let schema_type = |name: &str| {
        dataset
            .schema
            .as_array()
            .and_then(|columns| {
                columns
                    .iter()
                    .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
            })
            .and_then(|c| c.get("type").and_then(Value::as_str))
            .filter(|t| !t.is_empty())
            .unwrap_or("String")
            .to_owned()
    };
    Ok(names
        .into_iter()
        .map(|name| {
            let kind = schema_type(&name);
            json!({"name": name, "type": kind})
        })
        .collect())
}
