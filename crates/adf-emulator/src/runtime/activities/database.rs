//! The data activities on PostgreSQL datasets: Lookup's rows of a table or query, and Copy
//! from a table or query into DelimitedText or Json files on a blob store (or another table),
//! and from such files (or a table) into a table. The Script activity is in [`super::script`];
//! the client, the connection settings and the value typing in [`crate::runtime::postgres`].
//!
//! Sources (Microsoft Learn): the two PostgreSQL connector pages cited in
//! [`crate::runtime::postgres`] (source `query`, `queryTimeout`; sink `preCopyScript`,
//! `writeMethod`, `writeBatchSize`, `writeBatchTimeout`), "Copy activity in Azure Database for
//! PostgreSQL" (the Upsert write method and its key columns, defaulting to the primary key),
//! "Lookup activity" (one result set, at most 5,000 rows) and "Schema and data type mapping in
//! copy activity" (mapping by name, `TabularTranslator.mappings`).

use crate::runtime::activities::parse_timespan;
use crate::runtime::context::{ActivityError, Run};
use crate::runtime::datasets::{
    BlobLocation, Dataset, LinkedService, StoreSettings, blob_location, join, not_supported,
    select_blobs, text,
};
use crate::runtime::formats::{self, FileFormat, FileReader, FileWriter, Layout, Row};
use crate::runtime::postgres::{
    self, Cell, Column, Kind, PgConnection, PgError, PgErrorKind, RowStream,
};
use serde_json::{Map, Value, json};
use std::time::Duration;
use tokio::time::Instant;

/// Which side of a Copy (or a Lookup's source) a failure happened on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Source,
    Sink,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Source => "Source",
            Side::Sink => "Sink",
        }
    }
}

/// A PostgreSQL failure as an activity error: settings the emulator lacks are "not supported by
/// the emulator"; everything else is code 2200 with ADF's "Failure happened on 'Source' side"
/// frame around Npgsql's message (UNVERIFIED: ADF's codes and wording for PostgreSQL errors are
/// not documented; the frame is the Copy activity's, the inner message Npgsql's
/// `SQLSTATE: message`).
pub(crate) fn activity_error(error: PgError, side: Option<Side>, service: &str) -> ActivityError {
    if error.message.starts_with("not supported by the emulator") {
        return ActivityError::user("NotSupportedByEmulator", error.message);
    }
    let mut message = match error.kind {
        PgErrorKind::Settings => format!(
            "The linked service '{service}' is invalid: {}.",
            error.message
        ),
        PgErrorKind::Connect => {
            let mut message = error.message.clone();
            if message.contains("refused") || message.contains("no answer") {
                message.push_str(" (is a PostgreSQL server running there? `adfctl test` starts one for tests that need it)");
            }
            message
        }
        PgErrorKind::Statement => error.message.clone(),
    };
    if let Some(side) = side {
        message = format!(
            "Failure happened on '{}' side. 'Type=Npgsql.PostgresException,Message={message},Source=Npgsql,'",
            side.name()
        );
    }
    ActivityError::user("2200", message)
}

/// Connects to a PostgreSQL linked service (its secrets resolved, Key Vault included).
pub(crate) async fn connect(
    run: &Run,
    service: &LinkedService,
    side: Option<Side>,
) -> Result<PgConnection, ActivityError> {
    let settings = postgres::settings(run, &service.kind, &service.properties)?
        .map_err(|e| activity_error(e, side, &service.name))?;
    postgres::connect(&settings)
        .await
        .map_err(|e| activity_error(e, side, &service.name))
}

/// The query a PostgreSQL source reads: `query` (or the legacy `sqlReaderQuery`) of the
/// activity's source, else every row of the dataset's table.
fn source_query(dataset: &Dataset, source: &Value) -> Result<String, ActivityError> {
    let query = text(source.get("query").or_else(|| source.get("sqlReaderQuery")));
    if !query.trim().is_empty() {
        return Ok(query);
    }
    match postgres::dataset_table(&dataset.properties) {
        Some(table) => Ok(format!("SELECT * FROM {table}")),
        None => Err(ActivityError::user(
            "2200",
            format!(
                "The dataset '{}' names no table (schema and table, or tableName) and the source has no query.",
                dataset.name
            ),
        )),
    }
}

/// `queryTimeout` of a source (a timespan; the connectors' default is 120 minutes).
fn query_timeout(source: &Value) -> Option<Duration> {
    parse_timespan(&text(source.get("queryTimeout"))).or(Some(Duration::from_secs(120 * 60)))
}

/// A Lookup's rows from a PostgreSQL dataset: the source's query (or the table), at most
/// `limit` rows; the query must give exactly one result set ("Lookup activity":
/// "make sure to return one and exact one result set"), and `bytea` columns are refused
/// ("Source columns with ByteArray type aren't supported").
pub(crate) async fn lookup_rows(
    run: &Run,
    dataset: &Dataset,
    source: &Value,
    limit: usize,
) -> Result<Vec<Map<String, Value>>, ActivityError> {
    let query = source_query(dataset, source)?;
    let statements = postgres::statements(&query, &[]);
    let connection = connect(run, &dataset.linked_service, Some(Side::Source)).await?;
    let timeout = query_timeout(source);
    let mut results = Vec::new();
    for (index, statement) in statements.iter().enumerate() {
        let last = index + 1 == statements.len();
        let outcome = connection
            .execute(statement, limit, last, timeout)
            .await
            .map_err(|e| activity_error(e, Some(Side::Source), &dataset.linked_service.name))?;
        if let Some(result) = outcome.result {
            results.push(result);
        }
    }
    let source_error = |message: String| {
        activity_error(
            PgError {
                kind: PgErrorKind::Statement,
                message,
            },
            Some(Side::Source),
            &dataset.linked_service.name,
        )
    };
    // UNVERIFIED: the wording of both errors (the rule is documented).
    let result = match results.len() {
        1 => results.remove(0),
        0 => {
            return Err(source_error(
                "The query of a Lookup returned no result set; it must return exactly one.".into(),
            ));
        }
        n => {
            return Err(source_error(format!(
                "The query of a Lookup returned {n} result sets; it must return exactly one."
            )));
        }
    };
    if let Some(column) = result.columns.iter().find(|c| c.kind == Kind::Bytes) {
        return Err(source_error(format!(
            "The column \"{}\" is of type bytea (ByteArray), which the Lookup activity does not support.",
            column.name
        )));
    }
    Ok(result.json_rows())
}

// ---- Copy ----

/// Whether a Copy touches a PostgreSQL dataset (and so runs here).
pub(crate) fn handles(source: &Dataset, sink: &Dataset) -> bool {
    postgres::is_dataset(&source.kind) || postgres::is_dataset(&sink.kind)
}

/// Where rows come from.
enum Reader {
    /// A PostgreSQL query, row by row.
    Table(Box<TableSource>),
    /// Files on a blob store, one after the other.
    Files(Box<FileSource>),
}

/// The query a Copy reads.
struct TableSource {
    stream: RowStream,
    /// Whether values go out as PostgreSQL's own text (into another table) or typed.
    raw: bool,
    /// Rows for a DelimitedText sink: booleans as `True`/`False`, numbers as written.
    text_sink: bool,
    /// The linked service, for messages.
    service: String,
    _connection: PgConnection,
}

/// The files a Copy reads, and the one being read.
struct FileSource {
    location: BlobLocation,
    format: FileFormat,
    blobs: Vec<String>,
    skip: usize,
    current: Option<FileReader>,
    bytes: u64,
}

impl Reader {
    /// The next row, `None` at the end; `bytes` counts what was read.
    async fn next(&mut self, bytes: &mut u64) -> Result<Option<Row>, ActivityError> {
        match self {
            Reader::Table(table) => {
                let TableSource {
                    stream,
                    raw,
                    text_sink,
                    service,
                    ..
                } = table.as_mut();
                let Some(values) = stream
                    .next()
                    .await
                    .map_err(|e| activity_error(e, Some(Side::Source), service))?
                else {
                    return Ok(None);
                };
                *bytes += values
                    .iter()
                    .map(|v| v.as_ref().map_or(0, |s| s.len() as u64))
                    .sum::<u64>();
                Ok(Some(table_row(&stream.columns, values, *raw, *text_sink)))
            }
            Reader::Files(files) => loop {
                let FileSource {
                    location,
                    format,
                    blobs,
                    skip,
                    current,
                    bytes: file_bytes,
                } = files.as_mut();
                if let Some(reader) = current.as_mut() {
                    if let Some(row) = reader.next().await? {
                        return Ok(Some(row));
                    }
                    *file_bytes += reader.bytes;
                    *bytes = *file_bytes;
                    *current = None;
                }
                if blobs.is_empty() {
                    return Ok(None);
                }
                let blob = blobs.remove(0);
                *current = Some(
                    FileReader::open(&location.client, &location.container, &blob, format, *skip)
                        .await?,
                );
            },
        }
    }
}

/// A PostgreSQL row for a Copy's sink: PostgreSQL's text into another table; for a
/// DelimitedText file, numbers as PostgreSQL writes them (a numeric keeps its scale) and
/// booleans as .NET writes them (`True`/`False`, UNVERIFIED; the `treatBooleanAsNumber` type
/// conversion setting exists because of it); else typed as a Lookup returns them.
fn table_row(columns: &[Column], values: Vec<Option<String>>, raw: bool, text_sink: bool) -> Row {
    columns
        .iter()
        .zip(values)
        .map(|(column, value)| {
            let value = match value {
                None => Value::Null,
                Some(text) if raw => Value::String(text),
                Some(text) if text_sink => match column.kind {
                    Kind::Integer | Kind::Decimal | Kind::Float => Value::String(text),
                    Kind::Bool => {
                        Value::String(if text == "t" { "True" } else { "False" }.to_owned())
                    }
                    kind => match postgres::json_value(kind, &text) {
                        Value::String(s) => Value::String(s),
                        other => Value::String(other.to_string()),
                    },
                },
                Some(text) => postgres::json_value(column.kind, &text),
            };
            (column.name.clone(), value)
        })
        .collect()
}

/// Where rows go.
enum Writer {
    Table(Box<TableWriter>),
    File(Box<FileWriter>),
}

/// Rows into a PostgreSQL table, in batches.
struct TableWriter {
    connection: PgConnection,
    service: String,
    table: String,
    columns: Vec<Column>,
    /// Source column → table column, fixed by the first row.
    targets: Option<Vec<(String, usize)>>,
    batch: Vec<Vec<Cell>>,
    batch_size: usize,
    upsert_keys: Option<Vec<String>>,
    timeout: Option<Duration>,
    written: u64,
    bytes: u64,
}

impl TableWriter {
    /// Maps a row's columns onto the table's: by name, exactly, else without case; columns a
    /// headerless file names `Prop_0`, `Prop_1`... go by position when the table has no such
    /// names (UNVERIFIED: ADF's default mapping is by name, "case-sensitive"; the emulator is
    /// lenient).
    fn plan(&self, row: &Row) -> Result<Vec<(String, usize)>, ActivityError> {
        let mut targets = Vec::new();
        for (position, name) in row.keys().enumerate() {
            let found = self
                .columns
                .iter()
                .position(|c| &c.name == name)
                .or_else(|| {
                    self.columns
                        .iter()
                        .position(|c| c.name.eq_ignore_ascii_case(name))
                })
                .or_else(|| {
                    (name.strip_prefix("Prop_") == Some(&position.to_string()))
                        .then_some(position)
                        .filter(|p| *p < self.columns.len())
                });
            match found {
                Some(index) => targets.push((name.clone(), index)),
                None => {
                    return Err(activity_error(
                        PgError {
                            kind: PgErrorKind::Statement,
                            message: format!(
                                "The column '{name}' of the source is not a column of the sink table {}.",
                                self.table
                            ),
                        },
                        Some(Side::Sink),
                        &self.service,
                    ));
                }
            }
        }
        Ok(targets)
    }

    async fn write(&mut self, row: &Row) -> Result<(), ActivityError> {
        if self.targets.is_none() {
            self.targets = Some(self.plan(row)?);
        }
        let targets = self.targets.as_deref().unwrap_or_default();
        let cells: Vec<Cell> = targets
            .iter()
            .map(|(name, index)| match row.get(name) {
                None => Cell::Null,
                Some(value) => {
                    if let Value::String(s) = value {
                        self.bytes += s.len() as u64;
                    }
                    Cell::from_json(value, self.columns.get(*index))
                }
            })
            .collect();
        self.batch.push(cells);
        if self.batch.len() >= self.batch_size {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), ActivityError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = self
            .targets
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|(_, index)| self.columns[*index].name.clone())
            .collect();
        let rows = std::mem::take(&mut self.batch);
        self.written += self
            .connection
            .insert(
                &self.table,
                &names,
                &rows,
                1000,
                self.upsert_keys.as_deref(),
                self.timeout,
            )
            .await
            .map_err(|e| activity_error(e, Some(Side::Sink), &self.service))?;
        Ok(())
    }
}

impl Writer {
    async fn write(&mut self, row: &Row) -> Result<(), ActivityError> {
        match self {
            Writer::Table(table) => table.write(row).await,
            Writer::File(file) => file.write(row).await,
        }
    }

    /// Rows written and bytes written.
    async fn finish(self) -> Result<(u64, u64), ActivityError> {
        match self {
            Writer::Table(mut table) => {
                table.flush().await?;
                Ok((table.written, table.bytes))
            }
            Writer::File(file) => file.finish().await,
        }
    }
}

fn file_location(run: &Run, dataset: &Dataset) -> Result<BlobLocation, ActivityError> {
    match dataset.kind.as_str() {
        "DelimitedText" | "Json" => blob_location(run, dataset, "a Copy"),
        other => Err(not_supported(format_args!(
            "a Copy between PostgreSQL and a {other} dataset (DelimitedText, Json and PostgreSQL tables are supported)"
        ))),
    }
}

async fn open_reader(
    run: &Run,
    dataset: &Dataset,
    source: &Value,
    sink_is_table: bool,
    sink_is_text: bool,
) -> Result<(Reader, usize), ActivityError> {
    if postgres::is_dataset(&dataset.kind) {
        let query = source_query(dataset, source)?;
        let connection = connect(run, &dataset.linked_service, Some(Side::Source)).await?;
        let service = &dataset.linked_service.name;
        let mut statements = postgres::statements(&query, &[]);
        let last = statements.pop().unwrap_or_default();
        for statement in &statements {
            connection
                .execute(statement, 0, false, query_timeout(source))
                .await
                .map_err(|e| activity_error(e, Some(Side::Source), service))?;
        }
        let stream = connection
            .stream(&last)
            .await
            .map_err(|e| activity_error(e, Some(Side::Source), service))?;
        return Ok((
            Reader::Table(Box::new(TableSource {
                stream,
                raw: sink_is_table,
                text_sink: sink_is_text,
                service: service.clone(),
                _connection: connection,
            })),
            0,
        ));
    }
    let location = file_location(run, dataset)?;
    let format = FileFormat::of(&location)?;
    let settings = StoreSettings::read(source.get("storeSettings").unwrap_or(&Value::Null), true)?;
    let selection = select_blobs(&location, &settings).await.map_err(|e| {
        ActivityError::user(
            "2200",
            format!(
                "Failure happened on 'Source' side. ErrorCode=UserErrorFailedBlobFSOperation,'Message=The blob operation failed: {e}.'"
            ),
        )
    })?;
    if !selection.container_exists || (selection.single_file && selection.blobs.is_empty()) {
        return Err(formats::missing_source(
            &location,
            &selection.prefix,
            selection.container_exists,
        ));
    }
    let mut blobs: Vec<String> = selection.blobs.into_iter().map(|(b, _)| b.name).collect();
    blobs.sort();
    let files = blobs.len();
    Ok((
        Reader::Files(Box::new(FileSource {
            location,
            format,
            blobs,
            skip: formats::skip_line_count(source),
            current: None,
            bytes: 0,
        })),
        files,
    ))
}

async fn open_writer(run: &Run, dataset: &Dataset, sink: &Value) -> Result<Writer, ActivityError> {
    if postgres::is_dataset(&dataset.kind) {
        let service = dataset.linked_service.name.clone();
        let Some(table) = postgres::dataset_table(&dataset.properties) else {
            return Err(ActivityError::user(
                "2200",
                format!(
                    "The sink dataset '{}' names no table (schema and table, or tableName).",
                    dataset.name
                ),
            ));
        };
        let connection = connect(run, &dataset.linked_service, Some(Side::Sink)).await?;
        let sink_error = |e| activity_error(e, Some(Side::Sink), &service);
        let timeout = parse_timespan(&text(sink.get("writeBatchTimeout")))
            .or(Some(Duration::from_secs(30 * 60)));
        let pre_copy = text(sink.get("preCopyScript"));
        if !pre_copy.trim().is_empty() {
            for statement in postgres::statements(&pre_copy, &[]) {
                connection
                    .execute(&statement, 0, false, timeout)
                    .await
                    .map_err(sink_error)?;
            }
        }
        let columns = connection.table_columns(&table).await.map_err(sink_error)?;
        let method = text(sink.get("writeMethod"));
        let upsert_keys = match method.as_str() {
            "" | "CopyCommand" | "BulkInsert" => None,
            "Upsert" => {
                // UNVERIFIED: where ADF keeps the key columns; `upsertSettings.keys` as the SQL
                // sinks do. Without keys, the table's primary key (the PostgreSQL Copy page).
                let keys: Vec<String> = sink
                    .pointer("/upsertSettings/keys")
                    .and_then(Value::as_array)
                    .map(|keys| keys.iter().map(|k| text(Some(k))).collect())
                    .unwrap_or_default();
                let keys = if keys.is_empty() {
                    connection.primary_key(&table).await.map_err(sink_error)?
                } else {
                    keys
                };
                if keys.is_empty() {
                    return Err(ActivityError::user(
                        "2200",
                        format!(
                            "The Upsert into {table} needs key columns: the sink names none and the table has no primary key."
                        ),
                    ));
                }
                Some(keys)
            }
            other => {
                return Err(not_supported(format_args!("writeMethod {other}")));
            }
        };
        let batch_size = match sink.get("writeBatchSize") {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(1_000_000) as usize,
            Some(Value::String(s)) => s.trim().parse().unwrap_or(1_000_000),
            _ => 1_000_000,
        }
        // Memory bound: a batch is held before it is written.
        .clamp(1, 10_000);
        return Ok(Writer::Table(Box::new(TableWriter {
            connection,
            service,
            table,
            columns,
            targets: None,
            batch: Vec::new(),
            batch_size,
            upsert_keys,
            timeout,
            written: 0,
            bytes: 0,
        })));
    }
    let location = file_location(run, dataset)?;
    let format = FileFormat::of(&location)?;
    let write_settings = sink.get("formatSettings").cloned().unwrap_or(json!({}));
    let file = if location.file.is_empty() {
        // UNVERIFIED: the name ADF gives a file written from a table when the dataset names
        // none; `fileExtension` is the sink's documented setting.
        let extension = text(write_settings.get("fileExtension"));
        let extension = if extension.is_empty() {
            if matches!(format.layout, Layout::Json) {
                ".json".to_owned()
            } else {
                ".txt".to_owned()
            }
        } else {
            extension
        };
        format!("data_{}{extension}", uuid::Uuid::new_v4())
    } else {
        location.file.clone()
    };
    let blob = join(&location.folder, &file);
    location
        .client
        .create_container(&location.container)
        .await
        .map_err(|e| {
            ActivityError::user(
                "2200",
                format!(
                    "Failure happened on 'Sink' side. ErrorCode=UserErrorFailedBlobFSOperation,'Message=Cannot create the container '{}': {e}.'",
                    location.container
                ),
            )
        })?;
    let block_size = run.state.config().copy_block_size.max(64 * 1024);
    let writer = FileWriter::new(
        &location.client,
        &location.container,
        &blob,
        &format,
        &write_settings,
        None,
        block_size,
    )?;
    Ok(Writer::File(Box::new(writer)))
}

/// `TabularTranslator.mappings`: `[{source: {name | ordinal}, sink: {name}}]` (ordinals from
/// 1); `None` without mappings.
fn mappings(translator: &Value) -> Option<Vec<(Value, String)>> {
    let list = translator.get("mappings")?.as_array()?;
    let pairs: Vec<(Value, String)> = list
        .iter()
        .map(|mapping| {
            let source = mapping.get("source").cloned().unwrap_or(Value::Null);
            let sink = text(
                mapping
                    .pointer("/sink/name")
                    .or_else(|| mapping.pointer("/sink/path")),
            );
            (source, sink)
        })
        .collect();
    (!pairs.is_empty()).then_some(pairs)
}

fn map_row(row: Row, mappings: &[(Value, String)]) -> Row {
    let mut out = Map::new();
    for (source, sink) in mappings {
        let by_name = source.get("name").and_then(Value::as_str).and_then(|name| {
            row.get(name).or_else(|| {
                row.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v)
            })
        });
        let by_ordinal = || {
            let ordinal = match source.get("ordinal") {
                Some(Value::Number(n)) => n.as_u64(),
                Some(Value::String(s)) => s.parse().ok(),
                _ => None,
            }?;
            row.values()
                .nth(usize::try_from(ordinal).ok()?.checked_sub(1)?)
        };
        let value = by_name.or_else(by_ordinal).cloned().unwrap_or(Value::Null);
        let name = if sink.is_empty() {
            text(source.get("name"))
        } else {
            sink.clone()
        };
        out.insert(name, value);
    }
    out
}

/// Runs a Copy with a PostgreSQL source or sink; returns ADF's Copy output.
pub(crate) async fn copy(
    run: &Run,
    properties: &Value,
    source_dataset: &Dataset,
    sink_dataset: &Dataset,
) -> Result<Value, ActivityError> {
    let started = Instant::now();
    let start_time = run.now();
    let source = properties.get("source").cloned().unwrap_or(json!({}));
    let sink = properties.get("sink").cloned().unwrap_or(json!({}));
    let sink_is_table = postgres::is_dataset(&sink_dataset.kind);
    let sink_is_text = sink_dataset.kind == "DelimitedText";
    let mut writer = open_writer(run, sink_dataset, &sink).await?;
    let (mut reader, files_read) =
        open_reader(run, source_dataset, &source, sink_is_table, sink_is_text).await?;
    let mappings = properties.get("translator").and_then(mappings);
    let mut rows_read = 0u64;
    let mut bytes_read = 0u64;
    let transfer_started = Instant::now();
    while let Some(row) = reader.next(&mut bytes_read).await? {
        rows_read += 1;
        let row = match &mappings {
            Some(mappings) => map_row(row, mappings),
            None => row,
        };
        writer.write(&row).await?;
    }
    if let Reader::Files(files) = &reader {
        bytes_read = files.bytes;
    }
    let files_written = usize::from(matches!(writer, Writer::File(..)));
    let (rows_written, bytes_written) = writer.finish().await?;
    let transfer = transfer_started.elapsed().as_secs_f64();
    let elapsed = started.elapsed().as_secs_f64();
    let store = |dataset: &Dataset| {
        if postgres::is_dataset(&dataset.kind) {
            dataset.linked_service.kind.clone()
        } else {
            "AzureBlobStorage".to_owned()
        }
    };
    let (source_type, sink_type) = (store(source_dataset), store(sink_dataset));
    let round3 = |x: f64| (x * 1000.0).round() / 1000.0;
    let seconds = elapsed.ceil() as u64;
    let mut output = json!({
        "dataRead": bytes_read,
        "dataWritten": if sink_is_table { bytes_read } else { bytes_written },
    });
    if files_read > 0 {
        output["filesRead"] = json!(files_read);
    }
    if files_written > 0 {
        output["filesWritten"] = json!(files_written);
    }
    let rest = json!({
        "sourcePeakConnections": 1,
        "sinkPeakConnections": 1,
        "rowsRead": rows_read,
        "rowsCopied": if sink_is_table { rows_written.min(rows_read) } else { rows_written },
        "copyDuration": seconds,
        "throughput": if elapsed > 0.0 { round3(bytes_read as f64 / 1024.0 / elapsed) } else { 0.0 },
        "errors": [],
        "effectiveIntegrationRuntime": "AutoResolveIntegrationRuntime (Local emulator)",
        "usedDataIntegrationUnits": 4,
        "billingReference": {
            "activityType": "DataMovement",
            "billableDuration": [{"meterType": "AzureIR", "duration": round3(4.0 * elapsed / 3600.0), "unit": "DIUHours"}],
        },
        "usedParallelCopies": 1,
        "executionDetails": [{
            "source": {"type": source_type},
            "sink": {"type": sink_type},
            "status": "Succeeded",
            "start": crate::wire::timestamp(start_time),
            "duration": seconds,
            "usedDataIntegrationUnits": 4,
            "usedParallelCopies": 1,
            "profile": {
                "queue": {"status": "Completed", "duration": 0},
                "transfer": {
                    "status": "Completed",
                    "duration": seconds,
                    "details": {
                        "readingFromSource": {"type": source_type, "workingDuration": round3(transfer)},
                        "writingToSink": {"type": sink_type, "workingDuration": round3(transfer)},
                    },
                },
            },
            "detailedDurations": {"queuingDuration": 0, "transferDuration": seconds},
        }],
        "dataConsistencyVerification": {"VerificationResult": "NotVerified"},
        "durationInQueue": {"integrationRuntimeQueue": 0},
    });
    if let (Some(out), Some(more)) = (output.as_object_mut(), rest.as_object()) {
        for (key, value) in more {
            out.insert(key.clone(), value.clone());
        }
    }
    Ok(output)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn column(name: &str, kind: Kind) -> Column {
        Column {
            name: name.into(),
            type_name: String::new(),
            kind,
            array: false,
        }
    }

    #[test]
    fn table_rows_for_each_sink() {
        let columns = [
            column("n", Kind::Decimal),
            column("ok", Kind::Bool),
            column("at", Kind::Timestamp),
            column("none", Kind::Text),
        ];
        let values = || {
            vec![
                Some("12.50".to_owned()),
                Some("t".to_owned()),
                Some("2024-01-02 03:04:05".to_owned()),
                None,
            ]
        };
        let typed = table_row(&columns, values(), false, false);
        assert_eq!(
            Value::Object(typed),
            json!({"n": 12.5, "ok": true, "at": "2024-01-02T03:04:05Z", "none": null})
        );
        let text = table_row(&columns, values(), false, true);
        assert_eq!(
            Value::Object(text),
            json!({"n": "12.50", "ok": "True", "at": "2024-01-02T03:04:05Z", "none": null})
        );
        let raw = table_row(&columns, values(), true, false);
        assert_eq!(raw["at"], json!("2024-01-02 03:04:05"));
    }

    #[test]
    fn translator_mappings() {
        let translator = json!({"type": "TabularTranslator", "mappings": [
            {"source": {"name": "Id"}, "sink": {"name": "id"}},
            {"source": {"ordinal": 2}, "sink": {"name": "label"}},
        ]});
        let mappings = mappings(&translator).unwrap();
        let mut row = Map::new();
        row.insert("id".into(), json!("1"));
        row.insert("name".into(), json!("a"));
        assert_eq!(
            Value::Object(map_row(row, &mappings)),
            json!({"id": "1", "label": "a"})
        );
        assert!(super::mappings(&json!({"type": "TabularTranslator"})).is_none());
    }
}
