//! From an activity's dataset or linked-service reference to what it points at: the stored
//! entities, their parameters bound and their expressions evaluated. Every activity that reads
//! or writes data goes through here (Copy, Lookup, GetMetadata, Delete, and the database
//! activities), so that parameters, defaults and secrets are resolved one way.
//!
//! Two layers:
//! - store-agnostic: [`dataset`] (any dataset type) and [`linked_service`] return the evaluated
//!   `typeProperties` and the type, for an activity to interpret;
//! - blob stores: [`blob_location`] turns a file dataset on a blob or ADLS Gen2 store into a
//!   [`BlobLocation`] (a Blob REST client, container, folder, file) and [`select_blobs`] lists
//!   what a location plus ADF's `storeSettings` (wildcards, `recursive`) selects.
//!
//! ADLS Gen2 (`AzureBlobFS`) is served through the Blob endpoint of the same account: a
//! filesystem is a container and a directory a blob-name prefix, which is how the two APIs see
//! one hierarchical-namespace account (and the only API Azurite has).

use crate::runtime::blob::{BlobAccount, BlobClient, BlobError, BlobItem};
use crate::runtime::context::{ActivityError, Run};
use crate::runtime::secrets;
use crate::state::EmulatorState;
use crate::store::Scope;
use adf_core::Kind;
use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Azurite's well-known development account (Microsoft's documented default).
const DEV_ACCOUNT: &str = "devstoreaccount1";

/// A property as text: strings as they are, `null`/absent as empty, anything else as JSON.
pub(crate) fn text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A boolean property, given as a JSON boolean or as the strings `true`/`false` (expressions
/// and Studio's JSON both produce either).
pub(crate) fn flag(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The error of a feature the emulator does not have: "not supported by the emulator: ...".
pub(crate) fn not_supported(what: impl std::fmt::Display) -> ActivityError {
    ActivityError::user(
        "NotSupportedByEmulator",
        format!("not supported by the emulator: {what}"),
    )
}

/// A stored entity's body; a missing one fails the activity (code 2200, UNVERIFIED wording).
pub(crate) fn entity(run: &Run, kind: Kind, name: &str) -> Result<Value, ActivityError> {
    run.state
        .with_store(|_, store| store.entity(&run.scope, kind, name))
        .map_err(|e| ActivityError::system("InternalError", e.to_string()))?
        .map(|row| row.body)
        .ok_or_else(|| ActivityError::user("2200", format!("The {kind} '{name}' does not exist.")))
}

/// A linked service with its parameters bound and its `typeProperties` evaluated.
#[derive(Debug, Clone)]
pub(crate) struct LinkedService {
    pub name: String,
    /// `type`, e.g. `AzureBlobStorage`, `AzureBlobFS`, `AzurePostgreSql`.
    pub kind: String,
    /// The evaluated `typeProperties` (secrets as written: read them with
    /// [`crate::runtime::secrets::resolve`]).
    pub properties: Value,
}

/// A dataset with its parameters bound and its `typeProperties` evaluated, and its linked
/// service resolved.
#[derive(Debug, Clone)]
pub(crate) struct Dataset {
    pub name: String,
    /// `type`, e.g. `DelimitedText`, `Json`, `Binary`, `AzureBlob`, `AzurePostgreSqlTable`.
    pub kind: String,
    /// The evaluated `typeProperties`.
    pub properties: Value,
    /// The dataset's `schema` (or legacy `structure`), as written; `null` when absent.
    pub schema: Value,
    pub linked_service: LinkedService,
}

/// Binds declared parameters to the given values, or their defaults.
fn bind(declared: Option<&Value>, given: &Value) -> Map<String, Value> {
    let mut parameters = Map::new();
    if let Some(declared) = declared.and_then(Value::as_object) {
        for (key, declaration) in declared {
            let value = given
                .get(key)
                .cloned()
                .or_else(|| declaration.get("defaultValue").cloned())
                .unwrap_or(Value::Null);
            parameters.insert(key.clone(), value);
        }
    }
    parameters
}

/// Resolves a `{referenceName, parameters}` linked-service reference (an activity's
/// `linkedServiceName`, e.g. Script's). The reference's parameters are evaluated in the
/// activity's context.
#[allow(dead_code)] // The database activities' entry point (Script's `linkedServiceName`).
pub(crate) fn linked_service(
    run: &Run,
    reference: &Value,
    item: Option<&Value>,
) -> Result<LinkedService, ActivityError> {
    let given = match reference.get("parameters") {
        Some(p) => run.eval(p, item)?,
        None => json!({}),
    };
    linked_service_with(run, &text(reference.get("referenceName")), &given, item)
}

/// A linked service by name with already evaluated parameter values.
fn linked_service_with(
    run: &Run,
    name: &str,
    given: &Value,
    item: Option<&Value>,
) -> Result<LinkedService, ActivityError> {
    let service = entity(run, Kind::LinkedService, name)?;
    let mut bindings = run.context(item);
    bindings.linked_service_parameters = bind(service.get("parameters"), given);
    let properties = adf_expr::evaluate_value(
        &service.get("typeProperties").cloned().unwrap_or(json!({})),
        &bindings,
    )
    .map_err(|e| ActivityError::user("InvalidTemplate", format!("linked service '{name}': {e}")))?;
    Ok(LinkedService {
        name: name.to_owned(),
        kind: text(service.get("type")),
        properties,
    })
}

/// Resolves a `{referenceName, parameters}` dataset reference, whatever its type: the dataset's
/// parameters (given, else defaults) bound for `dataset().x`, its `typeProperties` evaluated,
/// and its linked service resolved with the parameters the dataset passes it.
pub(crate) fn dataset(
    run: &Run,
    reference: &Value,
    item: Option<&Value>,
) -> Result<Dataset, ActivityError> {
    let name = text(reference.get("referenceName"));
    let body = entity(run, Kind::Dataset, &name)?;
    let given = match reference.get("parameters") {
        Some(p) => run.eval(p, item)?,
        None => json!({}),
    };
    let mut bindings = run.context(item);
    bindings.dataset_parameters = bind(body.get("parameters"), &given);
    let evaluate = |value: &Value| {
        adf_expr::evaluate_value(value, &bindings)
            .map_err(|e| ActivityError::user("InvalidTemplate", format!("dataset '{name}': {e}")))
    };
    let properties = evaluate(&body.get("typeProperties").cloned().unwrap_or(json!({})))?;
    let service_parameters = evaluate(
        &body
            .pointer("/linkedServiceName/parameters")
            .cloned()
            .unwrap_or(json!({})),
    )?;
    let service_name = text(body.pointer("/linkedServiceName/referenceName"));
    let linked_service = linked_service_with(run, &service_name, &service_parameters, item)?;
    Ok(Dataset {
        kind: text(body.get("type")),
        properties,
        schema: body
            .get("schema")
            .or_else(|| body.get("structure"))
            .cloned()
            .unwrap_or(Value::Null),
        linked_service,
        name,
    })
}

/// Where a file dataset on a blob store points: the store, container, folder and optional file
/// name (or pattern), and the dataset's format settings.
#[derive(Debug, Clone)]
pub(crate) struct BlobLocation {
    pub client: BlobClient,
    /// The store type as ADF's Copy output names it (`AzureBlobStorage`, `AzureBlobFS`).
    pub store_type: String,
    pub container: String,
    /// Without leading or trailing `/`.
    pub folder: String,
    pub file: String,
    /// The dataset type (`DelimitedText`, `Json`, `Binary`, `AzureBlob`, ...).
    pub format: String,
    /// The dataset's evaluated `typeProperties` (format settings: delimiters, compression...).
    pub settings: Value,
}

impl BlobLocation {
    /// The blob name of the location's folder plus file (either may be empty).
    pub fn path(&self) -> String {
        join(&self.folder, &self.file)
    }
}

/// The dataset types whose data sits in files of a `location` (ADF's "format" datasets).
const FILE_FORMATS: &[&str] = &[
    "Binary",
    "DelimitedText",
    "Json",
    "Parquet",
    "Avro",
    "Orc",
    "Xml",
    "Excel",
    "Iceberg",
];

/// A file dataset on a blob store as a [`BlobLocation`]: `AzureBlob` (legacy: `folderPath` =
/// `container/path`, `fileName`), and the format datasets on an `AzureBlobStorageLocation`
/// (`container`) or `AzureBlobFSLocation` (`fileSystem`), with `folderPath` and `fileName`.
/// `activity` names the activity in messages.
pub(crate) fn blob_location(
    run: &Run,
    dataset: &Dataset,
    activity: &str,
) -> Result<BlobLocation, ActivityError> {
    let properties = &dataset.properties;
    let format = dataset.kind.clone();
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
        kind if FILE_FORMATS.contains(&kind) => {
            let location = properties.get("location").cloned().unwrap_or(json!({}));
            let container = match text(location.get("type")).as_str() {
                "AzureBlobStorageLocation" => text(location.get("container")),
                "AzureBlobFSLocation" => text(location.get("fileSystem")),
                other => {
                    return Err(not_supported(format_args!(
                        "{activity} on a {format} dataset on a {} location",
                        if other.is_empty() { "missing" } else { other }
                    )));
                }
            };
            (
                container,
                text(location.get("folderPath")),
                text(location.get("fileName")),
            )
        }
        other => {
            return Err(not_supported(format_args!(
                "{activity} on dataset type {other}"
            )));
        }
    };
    if container.is_empty() {
        return Err(ActivityError::user(
            "2200",
            format!("The dataset '{}' names no container.", dataset.name),
        ));
    }
    let (client, store_type) = blob_client(run, &dataset.linked_service, activity)?;
    Ok(BlobLocation {
        client,
        store_type,
        container,
        folder: folder.trim_matches('/').to_owned(),
        file,
        format,
        settings: properties.clone(),
    })
}

/// A Blob REST client for a storage linked service: `AzureStorage` and `AzureBlobStorage`
/// (connection string, `serviceEndpoint` + `accountKey`, `sasUri` + `sasToken`) and
/// `AzureBlobFS` (`url` + `accountKey` or `sasUri`/`sasToken`, or a connection string), the
/// latter through the blob endpoint of its account ([`blob_endpoint_of_dfs`]). Returns the
/// client and the store type as Copy's output names it.
pub(crate) fn blob_client(
    run: &Run,
    service: &LinkedService,
    activity: &str,
) -> Result<(BlobClient, String), ActivityError> {
    blob_client_in(&run.state, &run.scope, &run.http, service, activity)
}

/// [`blob_client`] outside a run (a linked service's connection test): Key Vault references
/// are resolved through `scope`'s Key Vault linked services, as in a run.
pub(crate) fn blob_client_in(
    state: &EmulatorState,
    scope: &Scope,
    http: &reqwest::Client,
    service: &LinkedService,
    activity: &str,
) -> Result<(BlobClient, String), ActivityError> {
    let name = &service.name;
    let properties = &service.properties;
    let development = &state.config().development_blob_endpoint;
    let invalid = |e: BlobError| {
        ActivityError::user(
            "2200",
            format!("The linked service '{name}' is invalid: {}", e.message),
        )
    };
    // Plain strings, SecureStrings or Key Vault references (runtime::secrets).
    let secret = |key: &str| secrets::resolve_in(state, Some(scope), properties.get(key), key);
    let connection = secret("connectionString")?;
    let account_key = secret("accountKey")?;
    let sas_uri = secret("sasUri")?;
    let sas_token = secret("sasToken")?;
    let account = match service.kind.as_str() {
        "AzureStorage" | "AzureBlobStorage" => {
            if let Some(connection) = connection {
                let connection = with_account_key(&connection, account_key.as_deref());
                BlobAccount::from_connection_string(&connection, development).map_err(invalid)?
            } else if let Some(uri) = sas_uri {
                BlobAccount::from_sas_uri(&uri, sas_token.as_deref()).map_err(invalid)?
            } else if let (Some(endpoint), Some(key)) = (
                properties.get("serviceEndpoint").and_then(Value::as_str),
                account_key,
            ) {
                BlobAccount::with_key(endpoint, &account_of(endpoint), &key).map_err(invalid)?
            } else {
                return Err(not_supported(format_args!(
                    "the authentication of linked service '{name}' (use a connection string, an account key or a SAS URI)"
                )));
            }
        }
        "AzureBlobFS" => {
            let url = text(properties.get("url"));
            if let Some(connection) = connection {
                let connection = with_account_key(&connection, account_key.as_deref());
                BlobAccount::from_connection_string(&connection, development).map_err(invalid)?
            } else if let Some(uri) = sas_uri {
                let (base, query) = uri.split_once('?').unwrap_or((&uri, ""));
                let endpoint = blob_endpoint_of_dfs(base, development);
                let uri = format!("{endpoint}?{query}");
                BlobAccount::from_sas_uri(&uri, sas_token.as_deref()).map_err(invalid)?
            } else if let (false, Some(key)) = (url.is_empty(), account_key) {
                let account = account_of(&url);
                let endpoint = blob_endpoint_of_dfs(&url, development);
                BlobAccount::with_key(&endpoint, &account, &key).map_err(invalid)?
            } else {
                return Err(not_supported(format_args!(
                    "the authentication of linked service '{name}' (use url with an account key, a SAS URI or a connection string)"
                )));
            }
        }
        other => {
            return Err(not_supported(format_args!(
                "{activity} through a {other} linked service"
            )));
        }
    };
    let store_type = if service.kind == "AzureBlobFS" {
        "AzureBlobFS"
    } else {
        "AzureBlobStorage"
    };
    Ok((
        BlobClient::new(http.clone(), account),
        store_type.to_owned(),
    ))
}

/// A connection string with `AccountKey` added from a separate `accountKey` property (ADF's
/// linked services may keep the key out of the string), unless it already has one.
fn with_account_key(connection: &str, key: Option<&str>) -> String {
    match key {
        Some(key) if !connection.to_ascii_lowercase().contains("accountkey=") => {
            format!("{};AccountKey={key}", connection.trim_end_matches(';'))
        }
        _ => connection.to_owned(),
    }
}

/// The Blob endpoint that serves an ADLS Gen2 (`dfs`) URL's account:
/// - `https://ACCOUNT.dfs.core.windows.net` → `https://ACCOUNT.blob.core.windows.net` (an
///   account's two endpoints differ only in that label, also in sovereign clouds' suffixes);
/// - the development account (`https://devstoreaccount1.dfs.core.windows.net`, or any
///   `http(s)://devstoreaccount1.dfs...` host) → the emulator's `--blob-endpoint`, as
///   `UseDevelopmentStorage=true` does: Azurite has no dfs endpoint;
/// - a loopback or path-style URL (`http://127.0.0.1:10000/devstoreaccount1`) is already a blob
///   endpoint and is used as it is.
pub(crate) fn blob_endpoint_of_dfs(url: &str, development: &str) -> String {
    let url = url.trim_end_matches('/');
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut labels = host.split('.');
    let account = labels.next().unwrap_or_default();
    if account.eq_ignore_ascii_case(DEV_ACCOUNT) && path.is_empty() {
        return development.trim_end_matches('/').to_owned();
    }
    let labels: Vec<&str> = labels.collect();
    match labels.first() {
        Some(label) if label.eq_ignore_ascii_case("dfs") => {
            let suffix = labels[1..].join(".");
            let mut endpoint = format!("{scheme}://{account}.blob.{suffix}");
            if !path.is_empty() {
                endpoint.push('/');
                endpoint.push_str(path);
            }
            endpoint
        }
        _ => url.to_owned(),
    }
}

/// The account name of a blob (or dfs) endpoint: the first label of the host, or the first
/// path segment of a path-style (emulator) endpoint.
pub(crate) fn account_of(endpoint: &str) -> String {
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

pub(crate) fn has_wildcard(text: &str) -> bool {
    text.contains('*') || text.contains('?')
}

/// `folder/name`, either part possibly empty.
pub(crate) fn join(folder: &str, name: &str) -> String {
    match (folder.is_empty(), name.is_empty()) {
        (true, _) => name.to_owned(),
        (_, true) => folder.to_owned(),
        _ => format!("{folder}/{name}"),
    }
}

/// `(folder, file)` of a blob name.
pub(crate) fn split_dir(name: &str) -> (&str, &str) {
    name.rsplit_once('/').unwrap_or(("", name))
}

/// A file store's read settings (`storeSettings`) that select files.
#[derive(Debug, Clone, Default)]
pub(crate) struct StoreSettings {
    pub recursive: bool,
    pub wildcard_folder: String,
    pub wildcard_file: String,
    /// `modifiedDatetimeStart` (inclusive) and `modifiedDatetimeEnd` (exclusive), ADF's
    /// last-modified filter.
    pub modified_start: Option<OffsetDateTime>,
    pub modified_end: Option<OffsetDateTime>,
}

impl StoreSettings {
    /// Reads `storeSettings`; `recursive` defaults to `default_recursive` (true for Copy and
    /// Lookup, false for Delete, as ADF documents each).
    pub fn read(settings: &Value, default_recursive: bool) -> Result<Self, ActivityError> {
        let time = |key: &str| -> Result<Option<OffsetDateTime>, ActivityError> {
            let value = text(settings.get(key));
            if value.is_empty() {
                return Ok(None);
            }
            OffsetDateTime::parse(&value, &Rfc3339)
                .or_else(|_| OffsetDateTime::parse(&format!("{value}Z"), &Rfc3339))
                .map(Some)
                .map_err(|_| {
                    ActivityError::user(
                        "2200",
                        format!("The value '{value}' of '{key}' is not a valid date time."),
                    )
                })
        };
        Ok(StoreSettings {
            recursive: flag(settings.get("recursive")).unwrap_or(default_recursive),
            wildcard_folder: text(settings.get("wildcardFolderPath")),
            wildcard_file: text(settings.get("wildcardFileName")),
            modified_start: time("modifiedDatetimeStart")?,
            modified_end: time("modifiedDatetimeEnd")?,
        })
    }

    /// Whether a blob passes the last-modified filter (a blob without a time passes).
    pub fn in_window(&self, blob: &BlobItem) -> bool {
        let Some(modified) = blob.last_modified.as_deref().and_then(parse_rfc1123) else {
            return true;
        };
        self.modified_start.is_none_or(|start| modified >= start)
            && self.modified_end.is_none_or(|end| modified < end)
    }

    pub fn uses_wildcards(&self, location: &BlobLocation) -> bool {
        !self.wildcard_folder.is_empty()
            || !self.wildcard_file.is_empty()
            || has_wildcard(&location.file)
    }
}

/// An RFC 1123 time (Blob's `Last-Modified`: `Thu, 23 Feb 2017 06:17:09 GMT`).
pub(crate) fn parse_rfc1123(text: &str) -> Option<OffsetDateTime> {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    PrimitiveDateTime::parse(text.trim(), format)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// A Blob `Last-Modified` as ADF's outputs print times: `2017-02-23T06:17:09Z`.
pub(crate) fn iso_time(rfc1123: &str) -> Option<String> {
    let time = parse_rfc1123(rfc1123)?;
    time.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .ok()
}

/// What a selection found: the blobs, each with its path relative to the selection's base
/// folder, and whether the container exists.
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    pub blobs: Vec<(BlobItem, String)>,
    /// The blob prefix that was looked for (for ADF's "BlobPrefix" in messages).
    pub prefix: String,
    pub container_exists: bool,
    /// Whether the location named one file (no folder, no wildcard).
    pub single_file: bool,
    pub wildcard: bool,
}

/// What a location plus `storeSettings` select: one file; a folder (every blob under it, or
/// only those directly in it when not `recursive`); or wildcards (`wildcardFolderPath`/
/// `wildcardFileName`, or `*`/`?` in the dataset's file name); then the last-modified filter.
/// A missing container or file gives an empty selection: each activity decides what that means.
pub(crate) async fn select_blobs(
    location: &BlobLocation,
    settings: &StoreSettings,
) -> Result<Selection, BlobError> {
    let recursive = settings.recursive;
    let client = &location.client;
    let container_exists = client.container_exists(&location.container).await?;
    let wildcard = settings.uses_wildcards(location);
    let empty = |prefix: String, single_file: bool| Selection {
        blobs: Vec::new(),
        prefix,
        container_exists,
        single_file,
        wildcard,
    };
    let mut selection = if wildcard {
        let folder_glob = if settings.wildcard_folder.is_empty() {
            location.folder.clone()
        } else {
            settings.wildcard_folder.trim_matches('/').to_owned()
        };
        let file_glob = if !settings.wildcard_file.is_empty() {
            settings.wildcard_file.clone()
        } else if !location.file.is_empty() {
            location.file.clone()
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
        if !container_exists {
            return Ok(empty(join(&folder_glob, &file_glob), false));
        }
        let prefix = if base.is_empty() {
            String::new()
        } else {
            format!("{base}/")
        };
        let listed = client.list(&location.container, &prefix).await?;
        let mut blobs = Vec::new();
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
            blobs.push((blob, relative));
        }
        Selection {
            blobs,
            prefix: join(&folder_glob, &file_glob),
            container_exists,
            single_file: false,
            wildcard,
        }
    } else if !location.file.is_empty() {
        let name = location.path();
        if !container_exists {
            return Ok(empty(name, true));
        }
        let listed = client.list(&location.container, &name).await?;
        let blobs = listed
            .into_iter()
            .find(|b| b.name == name)
            .map(|blob| vec![(blob, location.file.clone())])
            .unwrap_or_default();
        Selection {
            blobs,
            prefix: name,
            container_exists,
            single_file: true,
            wildcard,
        }
    } else {
        if !container_exists {
            return Ok(empty(location.folder.clone(), false));
        }
        let prefix = if location.folder.is_empty() {
            String::new()
        } else {
            format!("{}/", location.folder)
        };
        let listed = client.list(&location.container, &prefix).await?;
        let blobs = listed
            .into_iter()
            .filter(|b| !b.name.ends_with('/'))
            .filter_map(|b| {
                let relative = b.name[prefix.len()..].to_owned();
                (recursive || !relative.contains('/')).then_some((b, relative))
            })
            .collect();
        Selection {
            blobs,
            prefix: location.folder.clone(),
            container_exists,
            single_file: false,
            wildcard,
        }
    };
    selection.blobs.retain(|(blob, _)| settings.in_window(blob));
    Ok(selection)
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
        assert_eq!(account_of("https://acct.dfs.core.windows.net/"), "acct");
        assert_eq!(
            account_of("http://127.0.0.1:10000/devstoreaccount1"),
            "devstoreaccount1"
        );
        assert_eq!(account_of("http://localhost:1/x/"), "x");
    }

    #[test]
    fn dfs_urls_map_to_the_accounts_blob_endpoint() {
        let dev = "http://127.0.0.1:10000/devstoreaccount1";
        for (url, expected) in [
            (
                "https://acct.dfs.core.windows.net",
                "https://acct.blob.core.windows.net",
            ),
            (
                "https://acct.dfs.core.windows.net/",
                "https://acct.blob.core.windows.net",
            ),
            (
                "https://acct.dfs.core.chinacloudapi.cn",
                "https://acct.blob.core.chinacloudapi.cn",
            ),
            ("https://devstoreaccount1.dfs.core.windows.net", dev),
            (
                "http://127.0.0.1:9/devstoreaccount1",
                "http://127.0.0.1:9/devstoreaccount1",
            ),
            (
                "https://acct.blob.core.windows.net",
                "https://acct.blob.core.windows.net",
            ),
        ] {
            assert_eq!(blob_endpoint_of_dfs(url, dev), expected, "{url}");
        }
    }

    #[test]
    fn account_keys_join_connection_strings() {
        assert_eq!(
            with_account_key("AccountName=a;", Some("k")),
            "AccountName=a;AccountKey=k"
        );
        assert_eq!(
            with_account_key("AccountName=a;AccountKey=x", Some("k")),
            "AccountName=a;AccountKey=x"
        );
        assert_eq!(with_account_key("AccountName=a", None), "AccountName=a");
    }

    #[test]
    fn blob_times_print_as_adf_does() {
        assert_eq!(
            iso_time("Thu, 23 Feb 2017 06:17:09 GMT").as_deref(),
            Some("2017-02-23T06:17:09Z")
        );
        assert_eq!(iso_time("yesterday"), None);
    }

    #[test]
    fn last_modified_windows() {
        let settings = StoreSettings::read(
            &json!({"modifiedDatetimeStart": "2017-01-01T00:00:00Z", "modifiedDatetimeEnd": "2017-03-01T00:00:00.000Z"}),
            false,
        )
        .unwrap();
        let blob = |time: &str| BlobItem {
            name: "a".into(),
            size: 1,
            last_modified: Some(time.into()),
            content_md5: None,
        };
        assert!(settings.in_window(&blob("Thu, 23 Feb 2017 06:17:09 GMT")));
        assert!(!settings.in_window(&blob("Wed, 01 Mar 2017 00:00:00 GMT")));
        assert!(!settings.in_window(&blob("Sat, 31 Dec 2016 23:59:59 GMT")));
        assert!(!settings.recursive);
        assert!(StoreSettings::read(&json!({"modifiedDatetimeStart": "soon"}), true).is_err());
    }

    #[test]
    fn flags() {
        assert_eq!(flag(Some(&json!(true))), Some(true));
        assert_eq!(flag(Some(&json!("False"))), Some(false));
        assert_eq!(flag(Some(&json!(1))), None);
        assert_eq!(flag(None), None);
    }
}
