//! PostgreSQL for the run engine: connection settings from ADF's PostgreSQL linked services, a
//! connection (tokio-postgres, no TLS), statements split and parameterised as ADF's Script
//! activity documents, result values typed as ADF returns them, table names from datasets, and
//! rows written into tables. The activities (Lookup, Script, Copy) and the test fixtures build
//! on it; it knows nothing of runs.
//!
//! Sources (Microsoft Learn):
//! - "Copy and transform data in Azure Database for PostgreSQL",
//!   https://learn.microsoft.com/azure/data-factory/connector-azure-database-for-postgresql:
//!   `AzurePostgreSql` version 2.0 (`server`, `port` default 5432, `database`, `username`,
//!   `password`, `sslMode` 0-5 default 2, `schema`, `connectionTimeout`, `commandTimeout`,
//!   `timezone`) and version 1.0 (`connectionString` such as
//!   `host=...;database=...;port=...;uid=...;password=...`, `EncryptionMethod` 0/1/6, the password
//!   possibly beside it as a SecureString or Key Vault reference); dataset
//!   `AzurePostgreSqlTable` (`tableName`); source `AzurePostgreSqlSource` (`query`,
//!   `queryTimeout`); sink `AzurePostgreSQLSink` (`preCopyScript`, `writeMethod` CopyCommand or
//!   BulkInsert, `writeBatchSize` default 1,000,000, `writeBatchTimeout`).
//! - "Copy data from PostgreSQL V2", https://learn.microsoft.com/azure/data-factory/connector-postgresql:
//!   `PostgreSqlV2` (`server`, `port`, `database`, `username`, `password`, `sslMode`
//!   Disabled/Allow/Preferred/Required/Verify_ca/Verify_full or 0-5, `authenticationType`
//!   Basic), dataset `PostgreSqlV2Table` (`schema`, `table`: case-sensitive), source
//!   `PostgreSqlV2Source` (`query`), and the interim data types of "Data type mapping for
//!   PostgreSQL" that [`Kind`] follows.
//! - "Script activity in Data Factory" for Azure Database for PostgreSQL,
//!   https://learn.microsoft.com/azure/postgresql/integration/how-to-data-factory-script-activity-azure:
//!   named parameters `@name`, positional parameters `$1`... (`name` null), output parameters
//!   with a null value taken from the procedure's result.
//!
//! Values are read in PostgreSQL's text format (the simple query protocol) and typed from the
//! statement's column types (a prepared description of the same statement), so every column
//! type reads without a Rust type per PostgreSQL type. Parameters are inlined as quoted literals
//! (`standard_conforming_strings` is forced on for the session, so doubling quotes is the whole
//! escaping), cast to the PostgreSQL type of their ADF type.

use crate::runtime::context::{ActivityError, Run};
use crate::runtime::secrets;
use crate::state::EmulatorState;
use crate::store::Scope;
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_postgres::types::{Kind as PgKind, Type};
use tokio_postgres::{AsyncMessage, Client, NoTls, SimpleQueryMessage, SimpleQueryStream};

/// The PostgreSQL linked service types: `AzurePostgreSql` (versions 1.0 and 2.0),
/// `PostgreSqlV2`, and the legacy `PostgreSql` (a connection string, as version 1.0).
pub(crate) fn is_linked_service(kind: &str) -> bool {
    matches!(kind, "AzurePostgreSql" | "PostgreSqlV2" | "PostgreSql")
}

/// The PostgreSQL dataset types: `AzurePostgreSqlTable`, `PostgreSqlV2Table` and the legacy
/// `PostgreSqlTable`.
pub(crate) fn is_dataset(kind: &str) -> bool {
    matches!(
        kind,
        "AzurePostgreSqlTable" | "PostgreSqlV2Table" | "PostgreSqlTable"
    )
}

/// A failure talking to PostgreSQL. The message never holds a password.
#[derive(Debug, Clone)]
pub(crate) struct PgError {
    pub kind: PgErrorKind,
    pub message: String,
}

/// Where a [`PgError`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PgErrorKind {
    /// The linked service's settings (missing server, TLS required, ...).
    Settings,
    /// The connection (unreachable server, authentication).
    Connect,
    /// A statement (an SQL error, a timeout).
    Statement,
}

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl PgError {
    fn settings(message: impl Into<String>) -> Self {
        PgError {
            kind: PgErrorKind::Settings,
            message: message.into(),
        }
    }

    fn statement(message: impl Into<String>) -> Self {
        PgError {
            kind: PgErrorKind::Statement,
            message: message.into(),
        }
    }
}

/// A server error as Npgsql words it (`42P01: relation "x" does not exist`), or the client's.
fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => {
            let mut text = format!("{}: {}", db.code().code(), db.message());
            if let Some(detail) = db.detail() {
                text.push_str(&format!(" DETAIL: {detail}"));
            }
            if let Some(hint) = db.hint() {
                text.push_str(&format!(" HINT: {hint}"));
            }
            text
        }
        None => {
            // The client's own errors: its Display and its source (an I/O error, say).
            let mut text = error.to_string();
            if let Some(source) = std::error::Error::source(error) {
                let source = source.to_string();
                if !text.contains(&source) {
                    text.push_str(&format!(": {source}"));
                }
            }
            text
        }
    }
}

// ---- connection settings ----

/// `sslMode`, as the connectors name its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    /// A number (0-5) or a name (`Disable`/`Disabled`, `Allow`, `Prefer`/`Preferred`,
    /// `Require`/`Required`, `Verify-ca`/`Verify_ca`, `Verify-full`/`Verify_full`).
    fn parse(value: &Value) -> Option<SslMode> {
        let text = match value {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => return None,
        };
        let folded: String = text
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match folded.as_str() {
            "0" | "disable" | "disabled" => SslMode::Disable,
            "1" | "allow" => SslMode::Allow,
            "2" | "prefer" | "preferred" => SslMode::Prefer,
            "3" | "require" | "required" => SslMode::Require,
            "4" | "verifyca" => SslMode::VerifyCa,
            "5" | "verifyfull" => SslMode::VerifyFull,
            _ => return None,
        })
    }
}

/// How to reach one PostgreSQL database. `Debug` never shows the password.
#[derive(Clone)]
pub(crate) struct PgSettings {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    pub password: Option<String>,
    pub ssl_mode: SslMode,
    /// `schema`: the session's `search_path`.
    pub search_path: Option<String>,
    /// `timezone`: the session's `TimeZone`.
    pub timezone: Option<String>,
    pub connect_timeout: Duration,
    /// `commandTimeout` (seconds; 0 is none).
    pub command_timeout: Option<Duration>,
}

impl std::fmt::Debug for PgSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "**********"))
            .field("ssl_mode", &self.ssl_mode)
            .finish_non_exhaustive()
    }
}

/// A property by name without case (Studio writes `sslMode`, the docs' examples `sslmode`).
fn property<'a>(properties: &'a Value, key: &str) -> Option<&'a Value> {
    let object = properties.as_object()?;
    object.get(key).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn property_text(properties: &Value, key: &str) -> Option<String> {
    match property(properties, key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn seconds(value: Option<String>) -> Option<Duration> {
    value
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .map(Duration::from_secs_f64)
}

/// `key=value;...` pairs (Npgsql's and the DataDirect driver's syntax), keys folded to lower
/// case without spaces; a value may be quoted with `"` or `'`.
fn connection_string_pairs(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = text;
    while !rest.trim().is_empty() {
        let (key, after) = match rest.split_once('=') {
            Some(split) => split,
            None => break,
        };
        let after = after.trim_start();
        let (value, next) = match after.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                let body = &after[1..];
                match body.find(quote) {
                    Some(end) => {
                        let next = body[end + 1..].split_once(';').map_or("", |(_, n)| n);
                        (body[..end].to_owned(), next)
                    }
                    None => (body.to_owned(), ""),
                }
            }
            _ => match after.split_once(';') {
                Some((value, next)) => (value.trim().to_owned(), next),
                None => (after.trim().to_owned(), ""),
            },
        };
        let key: String = key
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        pairs.push((key, value));
        rest = next;
    }
    pairs
}

/// Settings from a linked service's type and evaluated `typeProperties`, in a run: its
/// secret-bearing properties (`connectionString`, `password`) resolved with
/// [`secrets::resolve`] (plain, SecureString or Key Vault reference).
pub(crate) fn settings(
    run: &Run,
    kind: &str,
    properties: &Value,
) -> Result<Result<PgSettings, PgError>, ActivityError> {
    let connection_string = secrets::resolve(
        run,
        property(properties, "connectionString"),
        "connectionString",
    )?;
    let password = secrets::resolve(run, property(properties, "password"), "password")?;
    Ok(settings_from(kind, properties, connection_string, password))
}

/// [`settings`] outside a run, for test fixtures: `scope` is the factory whose Key Vault linked
/// services name the vaults (see [`secrets::resolve_in`]). Errors are messages, never holding
/// a secret.
// Called by the test endpoints (`test_api.rs`).
pub(crate) fn settings_in(
    state: &EmulatorState,
    scope: Option<&Scope>,
    kind: &str,
    properties: &Value,
) -> Result<PgSettings, String> {
    let resolve = |key: &str| {
        secrets::resolve_in(state, scope, property(properties, key), key).map_err(|e| e.message)
    };
    let connection_string = resolve("connectionString")?;
    let password = resolve("password")?;
    settings_from(kind, properties, connection_string, password).map_err(|e| e.message)
}

/// The settings of a PostgreSQL linked service of a factory, by name, for test fixtures: its
/// `typeProperties` evaluated with its parameters' defaults, its secrets resolved (Key Vault
/// references through the factory's Key Vault linked services).
// Called by the test endpoints (`test_api.rs`).
pub(crate) fn settings_for(
    state: &EmulatorState,
    scope: &Scope,
    linked_service: &str,
) -> Result<PgSettings, String> {
    let body = state
        .with_store(|_, store| store.entity(scope, adf_core::Kind::LinkedService, linked_service))
        .map_err(|e| e.to_string())?
        .map(|row| row.body)
        .ok_or_else(|| format!("the linked service '{linked_service}' does not exist"))?;
    let kind = body.get("type").and_then(Value::as_str).unwrap_or_default();
    let mut bindings = adf_expr::Bindings::new(state.config().clock.now());
    if let Some(declared) = body.get("parameters").and_then(Value::as_object) {
        for (key, declaration) in declared {
            let value = declaration
                .get("defaultValue")
                .cloned()
                .unwrap_or(Value::Null);
            bindings
                .linked_service_parameters
                .insert(key.clone(), value);
        }
    }
    let properties = adf_expr::evaluate_value(
        body.get("typeProperties").unwrap_or(&Value::Null),
        &bindings,
    )
    .map_err(|e| format!("linked service '{linked_service}': {e}"))?;
    settings_in(state, Some(scope), kind, &properties)
}

fn settings_from(
    kind: &str,
    properties: &Value,
    connection_string: Option<String>,
    password: Option<String>,
) -> Result<PgSettings, PgError> {
    if !is_linked_service(kind) {
        return Err(PgError::settings(format!(
            "a {kind} linked service is not a PostgreSQL linked service"
        )));
    }
    let mut settings = PgSettings {
        host: String::new(),
        port: 5432,
        database: String::new(),
        user: String::new(),
        password: None,
        ssl_mode: SslMode::Prefer,
        search_path: None,
        timezone: None,
        connect_timeout: Duration::from_secs(15),
        command_timeout: None,
    };
    if let Some(text) = connection_string {
        // Version 1.0 (and the legacy PostgreSql): everything in the connection string.
        settings.ssl_mode = SslMode::Disable;
        for (key, value) in connection_string_pairs(&text) {
            match key.as_str() {
                "host" | "server" | "hostname" => settings.host = value,
                "port" => {
                    settings.port = value.trim().parse().map_err(|_| {
                        PgError::settings(format!("the port `{value}` is not a number"))
                    })?;
                }
                "database" | "db" | "initialcatalog" => settings.database = value,
                "uid" | "user" | "userid" | "username" => settings.user = value,
                "password" | "pwd" | "psw" => settings.password = Some(value),
                // The DataDirect driver's EncryptionMethod: 0 none (default), 1 SSL, 6
                // RequestSSL (SSL when the server offers it).
                "encryptionmethod" | "em" => {
                    settings.ssl_mode = match value.trim() {
                        "1" => SslMode::Require,
                        "6" => SslMode::Prefer,
                        _ => SslMode::Disable,
                    };
                }
                "sslmode" => {
                    settings.ssl_mode = SslMode::parse(&json!(value))
                        .ok_or_else(|| PgError::settings(format!("unknown SSL mode `{value}`")))?;
                }
                "searchpath" => settings.search_path = Some(value),
                "timezone" => settings.timezone = Some(value),
                "timeout" => {
                    if let Some(timeout) = seconds(Some(value)) {
                        settings.connect_timeout = timeout;
                    }
                }
                "commandtimeout" => settings.command_timeout = seconds(Some(value)),
                _ => {}
            }
        }
    } else {
        // Version 2.0 and PostgreSqlV2: one property each.
        let server = property_text(properties, "server")
            .or_else(|| property_text(properties, "host"))
            .unwrap_or_default();
        // "the host name and optionally port": `host:port` (not an IPv6 address).
        match server.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') && port.parse::<u16>().is_ok() => {
                settings.host = host.to_owned();
                settings.port = port.parse().unwrap_or(5432);
            }
            _ => settings.host = server,
        }
        if let Some(port) = property_text(properties, "port") {
            settings.port = port
                .trim()
                .parse()
                .map_err(|_| PgError::settings(format!("the port `{port}` is not a number")))?;
        }
        settings.database = property_text(properties, "database").unwrap_or_default();
        settings.user = property_text(properties, "username")
            .or_else(|| property_text(properties, "userName"))
            .unwrap_or_default();
        if let Some(mode) = property(properties, "sslMode").filter(|v| !v.is_null()) {
            settings.ssl_mode = SslMode::parse(mode)
                .ok_or_else(|| PgError::settings(format!("unknown sslMode {mode}")))?;
        }
        settings.search_path = property_text(properties, "schema");
        settings.timezone = property_text(properties, "timezone");
        if let Some(timeout) = seconds(property_text(properties, "connectionTimeout")) {
            settings.connect_timeout = timeout;
        }
        settings.command_timeout = seconds(property_text(properties, "commandTimeout"));
        if let Some(authentication) = property_text(properties, "authenticationType")
            && !authentication.eq_ignore_ascii_case("Basic")
        {
            return Err(PgError::settings(format!(
                "not supported by the emulator: authenticationType {authentication} (use Basic)"
            )));
        }
    }
    if password.is_some() {
        settings.password = password;
    }
    if settings.host.is_empty() {
        return Err(PgError::settings("the linked service names no server"));
    }
    if settings.database.is_empty() {
        return Err(PgError::settings("the linked service names no database"));
    }
    if settings.user.is_empty() {
        return Err(PgError::settings("the linked service names no user name"));
    }
    if matches!(
        settings.ssl_mode,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull
    ) {
        return Err(PgError::settings(format!(
            "not supported by the emulator: sslMode {:?} (the emulator's PostgreSQL client has no TLS; use sslMode 0, 1 or 2 against a local server)",
            settings.ssl_mode
        )));
    }
    Ok(settings)
}

// ---- the connection ----

/// An open connection; notices (`RAISE NOTICE`) are kept for the Script activity's logs.
pub(crate) struct PgConnection {
    client: Client,
    notices: Arc<Mutex<Vec<String>>>,
    command_timeout: Option<Duration>,
}

/// A `-c name=value` startup option, spaces and backslashes escaped as libpq expects.
fn startup_option(name: &str, value: &str) -> String {
    let escaped: String = value
        .chars()
        .flat_map(|c| match c {
            ' ' | '\\' => vec!['\\', c],
            _ => vec![c],
        })
        .collect();
    format!("-c {name}={escaped}")
}

/// Connects. The session reads dates in ISO order and writes them as ISO (`DateStyle`),
/// quotes strings the standard way (`standard_conforming_strings`, on which literal quoting
/// relies), and takes `schema` as its `search_path` and `timezone` as its `TimeZone`.
pub(crate) async fn connect(settings: &PgSettings) -> Result<PgConnection, PgError> {
    let mut config = tokio_postgres::Config::new();
    config
        .host(&settings.host)
        .port(settings.port)
        .dbname(&settings.database)
        .user(&settings.user)
        .application_name("adfctl emulator")
        .connect_timeout(settings.connect_timeout)
        .ssl_mode(tokio_postgres::config::SslMode::Disable);
    if let Some(password) = &settings.password {
        config.password(password.as_bytes());
    }
    let mut options = vec![
        startup_option("DateStyle", "ISO, YMD"),
        startup_option("IntervalStyle", "postgres"),
        startup_option("standard_conforming_strings", "on"),
        startup_option("extra_float_digits", "1"),
    ];
    if let Some(path) = &settings.search_path {
        options.push(startup_option("search_path", path));
    }
    if let Some(zone) = &settings.timezone {
        options.push(startup_option("TimeZone", zone));
    }
    config.options(options.join(" "));
    let target = format!("{}:{}/{}", settings.host, settings.port, settings.database);
    let connecting = config.connect(NoTls);
    let (client, mut connection) = match tokio::time::timeout(
        settings.connect_timeout + Duration::from_secs(1),
        connecting,
    )
    .await
    {
        Ok(Ok(pair)) => pair,
        Ok(Err(error)) => {
            return Err(PgError {
                kind: PgErrorKind::Connect,
                message: format!(
                    "cannot connect to PostgreSQL at {target} as '{}': {}",
                    settings.user,
                    describe(&error)
                ),
            });
        }
        Err(_) => {
            return Err(PgError {
                kind: PgErrorKind::Connect,
                message: format!(
                    "cannot connect to PostgreSQL at {target}: no answer within {} s",
                    settings.connect_timeout.as_secs()
                ),
            });
        }
    };
    let notices = Arc::new(Mutex::new(Vec::new()));
    let collected = notices.clone();
    tokio::spawn(async move {
        // Drives the connection until the client is dropped; keeps the notices.
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(AsyncMessage::Notice(notice)) => {
                    if let Ok(mut notices) = collected.lock() {
                        notices.push(notice.message().to_owned());
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::debug!("PostgreSQL connection ended: {error}");
                    break;
                }
            }
        }
    });
    Ok(PgConnection {
        client,
        notices,
        command_timeout: settings.command_timeout,
    })
}

/// A column of a result: its name, its PostgreSQL type's name and how its values are typed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Column {
    pub name: String,
    pub type_name: String,
    pub kind: Kind,
    /// A PostgreSQL array type.
    pub array: bool,
}

/// How a column's text values become JSON, after the PostgreSQL V2 connector's interim types
/// ("Data type mapping for PostgreSQL").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `boolean` → Boolean.
    Bool,
    /// `smallint`, `integer`, `bigint` (and `oid`) → Int16/32/64.
    Integer,
    /// `real`, `double precision` → Single, Double.
    Float,
    /// `numeric`, `decimal`, `money` → Decimal.
    Decimal,
    /// `money` → Decimal (its text carries a currency format).
    Money,
    /// `timestamp` → DateTime.
    Timestamp,
    /// `timestamp with time zone` → DateTime (in UTC).
    TimestampTz,
    /// `date` → DateTime.
    Date,
    /// `bytea` → Byte[].
    Bytes,
    /// Everything else → String (text, uuid, json, arrays, time, interval, ...).
    Text,
}

impl Kind {
    fn of(ty: &Type) -> Kind {
        if let PgKind::Domain(base) = ty.kind() {
            return Kind::of(base);
        }
        match ty.name() {
            "bool" => Kind::Bool,
            "int2" | "int4" | "int8" | "oid" => Kind::Integer,
            "float4" | "float8" => Kind::Float,
            "numeric" => Kind::Decimal,
            "money" => Kind::Money,
            "timestamp" => Kind::Timestamp,
            "timestamptz" => Kind::TimestampTz,
            "date" => Kind::Date,
            "bytea" => Kind::Bytes,
            _ => Kind::Text,
        }
    }
}

fn columns_of(statement: &tokio_postgres::Statement) -> Vec<Column> {
    statement
        .columns()
        .iter()
        .map(|column| Column {
            name: column.name().to_owned(),
            type_name: column.type_().name().to_owned(),
            kind: Kind::of(column.type_()),
            array: matches!(column.type_().kind(), PgKind::Array(_)),
        })
        .collect()
}

/// What one statement did.
#[derive(Debug, Clone, Default)]
pub(crate) struct StatementResult {
    /// The rows it returned (a `SELECT`, `RETURNING`, a `CALL` with output parameters), if it
    /// returns rows at all: the columns and up to `keep` rows of text values (`None` is NULL).
    pub result: Option<ResultSet>,
    /// The count of its command tag: rows inserted, updated, deleted, selected.
    pub count: u64,
}

/// Rows a statement returned.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResultSet {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Option<String>>>,
    /// Rows the statement returned (more than `rows.len()` when they were cut).
    pub total: u64,
}

impl ResultSet {
    /// The rows as JSON objects, typed after their columns.
    pub fn json_rows(&self) -> Vec<Map<String, Value>> {
        self.rows
            .iter()
            .map(|row| json_row(&self.columns, row))
            .collect()
    }
}

/// A row of text values as a JSON object typed after its columns.
pub(crate) fn json_row(columns: &[Column], row: &[Option<String>]) -> Map<String, Value> {
    columns
        .iter()
        .zip(row)
        .map(|(column, value)| {
            let value = match value {
                None => Value::Null,
                Some(text) => json_value(column.kind, text),
            };
            (column.name.clone(), value)
        })
        .collect()
}

async fn next_message(
    stream: &mut std::pin::Pin<Box<SimpleQueryStream>>,
) -> Option<Result<SimpleQueryMessage, tokio_postgres::Error>> {
    use futures_core::Stream as _;
    std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await
}

impl PgConnection {
    /// Notices received so far (`RAISE NOTICE`), taken.
    pub fn take_notices(&self) -> Vec<String> {
        self.notices
            .lock()
            .map(|mut n| std::mem::take(&mut *n))
            .unwrap_or_default()
    }

    /// Runs `future` within `timeout` (else the connection's `commandTimeout`); a statement
    /// that outlives it is cancelled on the server.
    async fn bounded<T>(
        &self,
        timeout: Option<Duration>,
        future: impl std::future::Future<Output = Result<T, PgError>>,
    ) -> Result<T, PgError> {
        let Some(limit) = timeout.or(self.command_timeout) else {
            return future.await;
        };
        match tokio::time::timeout(limit, future).await {
            Ok(result) => result,
            Err(_) => {
                let _ = self.client.cancel_token().cancel_query(NoTls).await;
                Err(PgError::statement(format!(
                    "the statement did not finish within its timeout ({} s) and was cancelled",
                    limit.as_secs_f64()
                )))
            }
        }
    }

    /// Executes one statement (text without parameters); keeps up to `keep` of the rows it
    /// returns and, with `stop_after_keep`, stops reading there. Types come from describing the
    /// statement afterwards (when rows are kept); when it cannot be described, values stay
    /// strings.
    pub async fn execute(
        &self,
        sql: &str,
        keep: usize,
        stop_after_keep: bool,
        timeout: Option<Duration>,
    ) -> Result<StatementResult, PgError> {
        let run = async {
            let stream = self
                .client
                .simple_query_raw(sql)
                .await
                .map_err(|e| PgError::statement(describe(&e)))?;
            let mut stream = Box::pin(stream);
            let mut names: Option<Vec<String>> = None;
            let mut rows = Vec::new();
            let mut total = 0u64;
            let mut count = 0u64;
            while let Some(message) = next_message(&mut stream).await {
                match message.map_err(|e| PgError::statement(describe(&e)))? {
                    SimpleQueryMessage::RowDescription(columns) => {
                        names = Some(columns.iter().map(|c| c.name().to_owned()).collect());
                    }
                    SimpleQueryMessage::Row(row) => {
                        total += 1;
                        if rows.len() < keep {
                            rows.push(
                                (0..row.len())
                                    .map(|i| row.get(i).map(str::to_owned))
                                    .collect(),
                            );
                        } else if stop_after_keep {
                            break;
                        }
                    }
                    SimpleQueryMessage::CommandComplete(n) => count = n,
                    _ => {}
                }
            }
            Ok::<_, PgError>((names, rows, total, count))
        };
        let (names, rows, total, count) = self.bounded(timeout, run).await?;
        let result = match names {
            None => None,
            Some(names) => {
                // Rows nobody keeps need no types.
                let described = match keep {
                    0 => Vec::new(),
                    _ => match self.client.prepare(sql).await {
                        Ok(statement) => columns_of(&statement),
                        Err(_) => Vec::new(),
                    },
                };
                let columns = if described.len() == names.len() {
                    described
                } else {
                    names
                        .into_iter()
                        .map(|name| Column {
                            name,
                            type_name: "unknown".into(),
                            kind: Kind::Text,
                            array: false,
                        })
                        .collect()
                };
                Some(ResultSet {
                    columns,
                    rows,
                    total,
                })
            }
        };
        Ok(StatementResult { result, count })
    }

    /// Opens a query whose rows are read one by one ([`RowStream`]): the statement is
    /// described first, so the columns are known before the first row.
    pub async fn stream(&self, sql: &str) -> Result<RowStream, PgError> {
        let statement = self
            .client
            .prepare(sql)
            .await
            .map_err(|e| PgError::statement(describe(&e)))?;
        let columns = columns_of(&statement);
        drop(statement);
        let stream = self
            .client
            .simple_query_raw(sql)
            .await
            .map_err(|e| PgError::statement(describe(&e)))?;
        Ok(RowStream {
            stream: Box::pin(stream),
            columns,
        })
    }

    /// The columns of a table (or any relation the text names), without reading a row.
    pub async fn table_columns(&self, table: &str) -> Result<Vec<Column>, PgError> {
        let statement = self
            .client
            .prepare(&format!("SELECT * FROM {table} LIMIT 0"))
            .await
            .map_err(|e| PgError::statement(describe(&e)))?;
        Ok(columns_of(&statement))
    }

    /// The primary key columns of a table, in key order (for an upsert without key columns).
    pub async fn primary_key(&self, table: &str) -> Result<Vec<String>, PgError> {
        let sql = format!(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = {}::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)",
            literal(table)
        );
        let result = self.execute(&sql, usize::MAX, false, None).await?;
        Ok(result
            .result
            .map(|set| {
                set.rows
                    .into_iter()
                    .filter_map(|mut r| r.remove(0))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Inserts rows of cells into `columns` of `table` (a multi-row `INSERT` per chunk of at
    /// most `chunk` rows, each committed on its own); with `upsert_keys`, rows whose keys exist
    /// update the other columns (`ON CONFLICT (keys) DO UPDATE`). Returns the rows written.
    pub async fn insert(
        &self,
        table: &str,
        columns: &[String],
        rows: &[Vec<Cell>],
        chunk: usize,
        upsert_keys: Option<&[String]>,
        timeout: Option<Duration>,
    ) -> Result<u64, PgError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let column_list = columns
            .iter()
            .map(|c| identifier(c))
            .collect::<Vec<_>>()
            .join(", ");
        let conflict = match upsert_keys {
            None => String::new(),
            Some(keys) => {
                let updates: Vec<String> = columns
                    .iter()
                    .filter(|c| !keys.iter().any(|k| k == *c))
                    .map(|c| format!("{0} = EXCLUDED.{0}", identifier(c)))
                    .collect();
                let keys = keys
                    .iter()
                    .map(|k| identifier(k))
                    .collect::<Vec<_>>()
                    .join(", ");
                if updates.is_empty() {
                    format!(" ON CONFLICT ({keys}) DO NOTHING")
                } else {
                    format!(" ON CONFLICT ({keys}) DO UPDATE SET {}", updates.join(", "))
                }
            }
        };
        let mut written = 0u64;
        for group in rows.chunks(chunk.max(1)) {
            let values: Vec<String> = group
                .iter()
                .map(|row| {
                    let cells: Vec<String> = row.iter().map(Cell::sql).collect();
                    format!("({})", cells.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO {table} ({column_list}) VALUES {}{conflict}",
                values.join(", ")
            );
            let result = self.execute(&sql, 0, false, timeout).await?;
            written += result.count;
        }
        Ok(written)
    }
}

/// Rows of a query, read one at a time (for a Copy: memory does not grow with the table).
pub(crate) struct RowStream {
    stream: std::pin::Pin<Box<SimpleQueryStream>>,
    pub columns: Vec<Column>,
}

impl RowStream {
    /// The next row's text values, `None` at the end.
    pub async fn next(&mut self) -> Result<Option<Vec<Option<String>>>, PgError> {
        while let Some(message) = next_message(&mut self.stream).await {
            if let SimpleQueryMessage::Row(row) =
                message.map_err(|e| PgError::statement(describe(&e)))?
            {
                return Ok(Some(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_owned))
                        .collect(),
                ));
            }
        }
        Ok(None)
    }
}

// ---- values ----

/// A value to insert.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    /// The column's default (a serial, `now()`...).
    Default,
    /// Text PostgreSQL converts to the column's type.
    Text(String),
}

impl Cell {
    fn sql(&self) -> String {
        match self {
            Cell::Null => "NULL".into(),
            Cell::Default => "DEFAULT".into(),
            Cell::Text(text) => literal(text),
        }
    }

    /// A JSON value for a column: strings as they are, numbers and booleans as their text,
    /// arrays as a PostgreSQL array literal for an array column (else as JSON text, like
    /// objects: for `json`/`jsonb` columns).
    pub fn from_json(value: &Value, column: Option<&Column>) -> Cell {
        match value {
            Value::Null => Cell::Null,
            Value::String(s) => Cell::Text(s.clone()),
            Value::Bool(b) => Cell::Text(b.to_string()),
            Value::Number(n) => Cell::Text(n.to_string()),
            Value::Array(items) if column.is_some_and(|c| c.array) => {
                Cell::Text(array_literal(items))
            }
            other => Cell::Text(other.to_string()),
        }
    }
}

/// `{a,"b c",NULL}` from a JSON array (nested arrays nest).
fn array_literal(items: &[Value]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|item| match item {
            Value::Null => "NULL".into(),
            Value::Array(inner) => array_literal(inner),
            Value::String(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
            other => {
                let text = other.to_string();
                format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
            }
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

/// A quoted string literal (`standard_conforming_strings` on: only `'` is doubled). A NUL
/// character, which PostgreSQL text cannot hold, is dropped.
pub(crate) fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\0' => {}
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A quoted identifier (case kept, `"` doubled).
pub(crate) fn identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A PostgreSQL text value as ADF's JSON (UNVERIFIED in part: how ADF serialises each interim
/// type in an activity output is not documented; the choices follow .NET's JSON of those
/// types, as the Lookup page's examples show them):
/// - Boolean: `true`/`false`; Int16/32/64, Single, Double, Decimal: JSON numbers (a `NaN` or
///   an infinity, and a numeric too large for a double, stay strings; money's currency format
///   is stripped);
/// - DateTime (`timestamp`, `date`) as ISO 8601 with a `Z` (`2024-01-02T03:04:05Z`), and
///   `timestamp with time zone` converted to UTC (`...Z`); fractions as PostgreSQL gives them;
/// - Byte[] (`bytea`) as base64; everything else as PostgreSQL's text (uuid, json, arrays,
///   time, interval, ...).
pub(crate) fn json_value(kind: Kind, text: &str) -> Value {
    match kind {
        Kind::Bool => match text {
            "t" | "true" => Value::Bool(true),
            "f" | "false" => Value::Bool(false),
            other => Value::String(other.to_owned()),
        },
        Kind::Integer | Kind::Float => number(text),
        Kind::Decimal => decimal(text),
        Kind::Money => {
            let digits: String = text
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
                .collect();
            let negative = text.contains('(') && !digits.starts_with('-');
            let digits = if negative {
                format!("-{digits}")
            } else {
                digits
            };
            decimal(&digits)
        }
        Kind::Timestamp => Value::String(iso_timestamp(text).unwrap_or_else(|| text.to_owned())),
        Kind::TimestampTz => Value::String(utc_timestamp(text).unwrap_or_else(|| text.to_owned())),
        Kind::Date => Value::String(if is_plain_date(text) {
            format!("{text}T00:00:00Z")
        } else {
            text.to_owned()
        }),
        Kind::Bytes => Value::String(bytea_base64(text).unwrap_or_else(|| text.to_owned())),
        Kind::Text => Value::String(text.to_owned()),
    }
}

fn number(text: &str) -> Value {
    if let Ok(n) = text.parse::<i64>() {
        return json!(n);
    }
    if let Ok(n) = text.parse::<u64>() {
        return json!(n);
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(text.to_owned())),
        _ => Value::String(text.to_owned()),
    }
}

/// A decimal: a number, an integral one as an integer (`20.00` → `20`: JSON has no scale, and
/// `20.0` would read as a double; UNVERIFIED: .NET writes a decimal with its scale).
fn decimal(text: &str) -> Value {
    match number(text) {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => json!(f as i64),
            _ => Value::Number(n),
        },
        other => other,
    }
}

fn is_plain_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && text.chars().all(|c| c.is_ascii_digit() || c == '-')
}

/// `2024-01-02 03:04:05.5` → `2024-01-02T03:04:05.5Z` (a BC date or an infinity: `None`).
fn iso_timestamp(text: &str) -> Option<String> {
    let (date, time) = text.split_once(' ')?;
    if !is_plain_date(date) || time.contains(' ') {
        return None;
    }
    Some(format!("{date}T{time}Z"))
}

/// `2024-01-02 03:04:05.5+05:30` → `2024-01-01T21:34:05.5Z`.
fn utc_timestamp(text: &str) -> Option<String> {
    let (date, rest) = text.split_once(' ')?;
    if !is_plain_date(date) || rest.contains(' ') {
        return None;
    }
    let cut = rest.find(['+', '-'])?;
    let (clock, offset) = rest.split_at(cut);
    let (clock, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut clock = clock.split(':').map(|p| p.parse::<u8>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    let sign: i32 = if offset.starts_with('-') { -1 } else { 1 };
    let mut parts = offset[1..].split(':').map(|p| p.parse::<i32>().ok());
    let offset_hours = parts.next()??;
    let offset_minutes = parts.next().flatten().unwrap_or(0);
    let offset_seconds = parts.next().flatten().unwrap_or(0);
    let offset_total = sign * (offset_hours * 3600 + offset_minutes * 60 + offset_seconds);
    let year: i32 = date[..4].parse().ok()?;
    let month: u8 = date[5..7].parse().ok()?;
    let day: u8 = date[8..10].parse().ok()?;
    let month = time::Month::try_from(month).ok()?;
    let local = time::PrimitiveDateTime::new(
        time::Date::from_calendar_date(year, month, day).ok()?,
        time::Time::from_hms(hour, minute, second).ok()?,
    );
    let utc = local - time::Duration::seconds(i64::from(offset_total));
    let fraction = if fraction.is_empty() {
        String::new()
    } else {
        format!(".{fraction}")
    };
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    ))
}

/// `\x0102ff` (bytea's hex output) as base64.
fn bytea_base64(text: &str) -> Option<String> {
    use base64::Engine as _;
    let hex = text.strip_prefix("\\x")?;
    if hex.len() % 2 != 0 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    Some(base64::engine::general_purpose::STANDARD.encode(bytes?))
}

// ---- statements ----

/// A piece of SQL text, as the splitter and the parameter substitution see it.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    /// Code, strings, quoted identifiers.
    Text,
    /// A comment.
    Comment,
    /// A `;` ending a statement.
    End,
    /// `@name`.
    Named(String),
    /// `$n`.
    Positional(usize),
}

fn is_identifier_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Cuts SQL into pieces, skipping over string literals (`'...'`, `E'...'` with backslash
/// escapes), quoted identifiers, dollar-quoted bodies (`$$...$$`, `$tag$...$tag$`) and
/// comments (`--`, nested `/* */`), so that a `;`, `@` or `$1` inside them is left alone.
fn lex(sql: &str) -> Vec<(std::ops::Range<usize>, Piece)> {
    let b = sql.as_bytes();
    let mut pieces: Vec<(std::ops::Range<usize>, Piece)> = Vec::new();
    let mut text_start = 0usize;
    let mut i = 0usize;
    let flush = |pieces: &mut Vec<_>, start: usize, end: usize| {
        if end > start {
            pieces.push((start..end, Piece::Text));
        }
    };
    while i < b.len() {
        let previous = if i > 0 { Some(b[i - 1]) } else { None };
        match b[i] {
            b'\'' => {
                let backslashes = matches!(previous, Some(b'E' | b'e'))
                    && (i < 2 || !is_identifier_byte(b[i - 2]));
                i += 1;
                while i < b.len() {
                    match b[i] {
                        b'\\' if backslashes => i += 2,
                        b'\'' if b.get(i + 1) == Some(&b'\'') => i += 2,
                        b'\'' => {
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
            }
            b'"' => {
                i += 1;
                while i < b.len() {
                    if b[i] == b'"' {
                        if b.get(i + 1) == Some(&b'"') {
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    i += 1;
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                flush(&mut pieces, text_start, i);
                let start = i;
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                pieces.push((start..i, Piece::Comment));
                text_start = i;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                flush(&mut pieces, text_start, i);
                let start = i;
                let mut depth = 0usize;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                pieces.push((start..i.min(b.len()), Piece::Comment));
                text_start = i.min(b.len());
            }
            b'$' if previous.is_none_or(|p| !is_identifier_byte(p)) => {
                let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
                if digits > 0 {
                    flush(&mut pieces, text_start, i);
                    let end = i + 1 + digits;
                    let n = sql[i + 1..end].parse().unwrap_or(0);
                    pieces.push((i..end, Piece::Positional(n)));
                    i = end;
                    text_start = i;
                    continue;
                }
                // A dollar quote: `$` + optional tag (not starting with a digit) + `$`.
                let tag_len = b[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c >= 0x80)
                    .count();
                if b.get(i + 1 + tag_len) == Some(&b'$') {
                    let tag = &sql[i..i + tag_len + 2];
                    let body = i + tag.len();
                    i = match sql[body..].find(tag) {
                        Some(at) => body + at + tag.len(),
                        None => b.len(),
                    };
                } else {
                    i += 1;
                }
            }
            b';' => {
                flush(&mut pieces, text_start, i);
                pieces.push((i..i + 1, Piece::End));
                i += 1;
                text_start = i;
            }
            b'@' if previous.is_none_or(|p| !is_identifier_byte(p) && p != b'@' && p != b'<')
                && b.get(i + 1)
                    .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') =>
            {
                flush(&mut pieces, text_start, i);
                let length = b[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                let end = i + 1 + length;
                pieces.push((i..end, Piece::Named(sql[i + 1..end].to_owned())));
                i = end;
                text_start = i;
            }
            _ => i += 1,
        }
    }
    flush(&mut pieces, text_start, b.len().max(text_start));
    pieces
}

/// A Script parameter (`typeProperties.scripts[].parameters[]`), its value evaluated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parameter {
    /// `None` for a positional parameter (`name` null or empty).
    pub name: Option<String>,
    /// ADF's logical type: Boolean, DateTime, DateTimeOffset, Decimal, Double, Guid, Int16,
    /// Int32, Int64, Single, String, Timespan (without case).
    pub kind: String,
    pub value: Value,
    /// Input (default), Output, InputOutput.
    pub direction: String,
}

impl Parameter {
    /// Output parameters send no value (the docs: "The value is ignored if the direction is
    /// Output").
    pub fn is_output(&self) -> bool {
        self.direction.eq_ignore_ascii_case("Output")
            || self.direction.eq_ignore_ascii_case("InputOutput")
    }

    /// The value as SQL: a quoted literal cast to the PostgreSQL type of the ADF type, or
    /// `NULL`. A String stays an untyped literal, so PostgreSQL types it from its context as it
    /// would a parameter (UNVERIFIED: Npgsql would send `text`).
    fn sql(&self) -> String {
        let cast = match self.kind.to_ascii_lowercase().as_str() {
            "boolean" => "::boolean",
            "int16" => "::int2",
            "int32" => "::int4",
            "int64" => "::int8",
            "single" => "::float4",
            "double" => "::float8",
            "decimal" => "::numeric",
            "datetime" => "::timestamp",
            "datetimeoffset" => "::timestamptz",
            "guid" => "::uuid",
            "timespan" => "::interval",
            _ => "",
        };
        let value = if self.direction.eq_ignore_ascii_case("Output") {
            &Value::Null
        } else {
            &self.value
        };
        match value {
            Value::Null => format!("NULL{cast}"),
            Value::String(s) => format!("{}{cast}", literal(s)),
            Value::Bool(b) => format!("{}{cast}", literal(&b.to_string())),
            Value::Number(n) => format!("{}{cast}", literal(&n.to_string())),
            other => format!("{}{cast}", literal(&other.to_string())),
        }
    }
}

/// The statements of a script block, `@name` and `$n` replaced by their parameters' values
/// (named parameters match without case; a placeholder with no parameter is left as written,
/// for PostgreSQL to report). Empty statements (only blanks and comments) are dropped.
pub(crate) fn statements(sql: &str, parameters: &[Parameter]) -> Vec<String> {
    let positional: Vec<&Parameter> = parameters
        .iter()
        .filter(|p| p.name.as_deref().is_none_or(str::is_empty))
        .collect();
    let named = |name: &str| {
        parameters.iter().find(|p| {
            p.name
                .as_deref()
                .is_some_and(|n| n.trim_start_matches('@').eq_ignore_ascii_case(name))
        })
    };
    let mut out = Vec::new();
    let mut current = String::new();
    let mut has_code = false;
    for (range, piece) in lex(sql) {
        let text = &sql[range];
        match piece {
            Piece::End => {
                if has_code {
                    out.push(current.trim().to_owned());
                }
                current.clear();
                has_code = false;
            }
            Piece::Comment => current.push_str(text),
            Piece::Text => {
                has_code |= !text.trim().is_empty();
                current.push_str(text);
            }
            Piece::Named(name) => {
                has_code = true;
                match named(&name) {
                    Some(parameter) => current.push_str(&parameter.sql()),
                    None => current.push_str(text),
                }
            }
            Piece::Positional(n) => {
                has_code = true;
                match n.checked_sub(1).and_then(|i| positional.get(i)) {
                    Some(parameter) => current.push_str(&parameter.sql()),
                    None => current.push_str(text),
                }
            }
        }
    }
    if has_code {
        out.push(current.trim().to_owned());
    }
    out
}

/// The first keyword of a statement (comments and opening parentheses skipped), upper-cased.
pub(crate) fn first_keyword(statement: &str) -> String {
    let mut code = String::new();
    for (range, piece) in lex(statement) {
        if piece != Piece::Comment {
            code.push_str(&statement[range]);
        }
    }
    code.trim_start_matches(|c: char| c.is_whitespace() || c == '(')
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase()
}

/// Whether a statement's command count is "records affected" (rows inserted, updated,
/// deleted, merged or copied; a `SELECT`'s count is not).
pub(crate) fn changes_rows(statement: &str) -> bool {
    matches!(
        first_keyword(statement).as_str(),
        "INSERT" | "UPDATE" | "DELETE" | "MERGE" | "COPY"
    ) || (first_keyword(statement) == "WITH"
        && ["INSERT", "UPDATE", "DELETE", "MERGE"].iter().any(|k| {
            statement
                .to_ascii_uppercase()
                .split(|c: char| !c.is_ascii_alphabetic())
                .any(|w| w == *k)
        }))
}

// ---- datasets ----

/// The table a PostgreSQL dataset names, as SQL: `schema` + `table` (PostgreSqlV2Table, and
/// AzurePostgreSqlTable as Studio writes it: quoted, so case-sensitive as the V2 page says), or
/// `tableName` as written (AzurePostgreSqlTable: unquoted names fold to lower case, as the
/// connector page notes). `None` when the dataset names none.
pub(crate) fn dataset_table(properties: &Value) -> Option<String> {
    let text = |key: &str| property_text(properties, key).filter(|s| !s.trim().is_empty());
    match (text("schema"), text("table"), text("tableName")) {
        (schema, Some(table), _) => Some(match schema {
            Some(schema) => format!("{}.{}", identifier(&schema), identifier(&table)),
            None => identifier(&table),
        }),
        (_, None, Some(name)) => Some(name),
        _ => None,
    }
}

// ---- test fixtures ----

/// Runs SQL statements (a test fixture: `CREATE TABLE ...`), one transaction per text.
pub(crate) async fn run_statements(settings: &PgSettings, sql: &str) -> Result<(), PgError> {
    let connection = connect(settings).await?;
    connection.execute(sql, 0, false, None).await.map(|_| ())
}

/// Inserts JSON objects into a table (a test fixture): keys are column names, a missing key
/// takes the column's default, `null` is NULL, arrays fill array columns. `settings` come from
/// a linked service ([`settings_in`]); `table` is SQL (`public.orders`, `"Sales"."Orders"`).
/// Returns the rows inserted.
// Called by the test endpoints (`test_api.rs`).
pub(crate) async fn load_rows(
    settings: &PgSettings,
    table: &str,
    rows: &[Map<String, Value>],
) -> Result<u64, PgError> {
    let connection = connect(settings).await?;
    let table_columns = connection.table_columns(table).await?;
    let mut names: Vec<String> = Vec::new();
    for row in rows {
        for key in row.keys() {
            if !names.contains(key) {
                names.push(key.clone());
            }
        }
    }
    let columns: Vec<Option<&Column>> = names
        .iter()
        .map(|name| table_columns.iter().find(|c| &c.name == name))
        .collect();
    if let Some(missing) = names
        .iter()
        .zip(&columns)
        .find_map(|(name, column)| column.is_none().then_some(name))
    {
        return Err(PgError::statement(format!(
            "the table {table} has no column \"{missing}\""
        )));
    }
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|row| {
            names
                .iter()
                .zip(&columns)
                .map(|(name, column)| match row.get(name) {
                    None => Cell::Default,
                    Some(value) => Cell::from_json(value, *column),
                })
                .collect()
        })
        .collect();
    if names.is_empty() {
        // Rows of defaults only.
        let mut written = 0;
        for _ in rows {
            written += connection
                .execute(
                    &format!("INSERT INTO {table} DEFAULT VALUES"),
                    0,
                    false,
                    None,
                )
                .await?
                .count;
        }
        return Ok(written);
    }
    connection
        .insert(table, &names, &cells, 1000, None, None)
        .await
}

/// A table's rows as JSON objects typed as a Lookup returns them (see [`json_value`]), in the
/// order `order_by` gives (SQL, e.g. `id`), else as the table returns them.
// Called by the test endpoints (`test_api.rs`).
pub(crate) async fn read_rows(
    settings: &PgSettings,
    table: &str,
    order_by: Option<&str>,
) -> Result<Vec<Map<String, Value>>, PgError> {
    let connection = connect(settings).await?;
    let sql = match order_by {
        Some(order) => format!("SELECT * FROM {table} ORDER BY {order}"),
        None => format!("SELECT * FROM {table}"),
    };
    let result = connection.execute(&sql, usize::MAX, false, None).await?;
    Ok(result.result.map(|r| r.json_rows()).unwrap_or_default())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parameter(name: Option<&str>, kind: &str, value: Value) -> Parameter {
        Parameter {
            name: name.map(str::to_owned),
            kind: kind.into(),
            value,
            direction: "Input".into(),
        }
    }

    #[test]
    fn version_1_connection_strings() {
        let settings = settings_from(
            "AzurePostgreSql",
            &json!({}),
            Some("host=db.example.com;port=5433;database=sales;uid=adf;password='p;w';EncryptionMethod=0".into()),
            None,
        )
        .unwrap();
        assert_eq!(settings.host, "db.example.com");
        assert_eq!(settings.port, 5433);
        assert_eq!(settings.database, "sales");
        assert_eq!(settings.user, "adf");
        assert_eq!(settings.password.as_deref(), Some("p;w"));
        assert!(!format!("{settings:?}").contains("p;w"));
        // The password beside the connection string wins (a SecureString or Key Vault secret).
        let settings = settings_from(
            "AzurePostgreSql",
            &json!({}),
            Some("Server=h;Database=d;User Id=u".into()),
            Some("kv".into()),
        )
        .unwrap();
        assert_eq!((settings.host.as_str(), settings.user.as_str()), ("h", "u"));
        assert_eq!(settings.password.as_deref(), Some("kv"));
        // SSL required: refused, the client has no TLS.
        let error = settings_from(
            "AzurePostgreSql",
            &json!({}),
            Some("host=h;database=d;uid=u;EncryptionMethod=1".into()),
            None,
        )
        .unwrap_err();
        assert!(error.message.contains("no TLS"), "{error}");
    }

    #[test]
    fn version_2_properties() {
        let settings = settings_from(
            "PostgreSqlV2",
            &json!({"server": "127.0.0.1", "port": 6543, "database": "d", "username": "u",
                    "sslmode": 0, "authenticationType": "Basic", "schema": "sales",
                    "connectionTimeout": 5, "commandTimeout": "30"}),
            None,
            Some("pw".into()),
        )
        .unwrap();
        assert_eq!(settings.host, "127.0.0.1");
        assert_eq!(settings.port, 6543);
        assert_eq!(settings.ssl_mode, SslMode::Disable);
        assert_eq!(settings.search_path.as_deref(), Some("sales"));
        assert_eq!(settings.connect_timeout, Duration::from_secs(5));
        assert_eq!(settings.command_timeout, Some(Duration::from_secs(30)));
        let settings = settings_from(
            "AzurePostgreSql",
            &json!({"server": "h:7000", "database": "d", "username": "u", "sslMode": "Preferred"}),
            None,
            None,
        )
        .unwrap();
        assert_eq!((settings.host.as_str(), settings.port), ("h", 7000));
        assert_eq!(settings.ssl_mode, SslMode::Prefer);
        for missing in [
            json!({"database": "d", "username": "u"}),
            json!({"server": "h", "username": "u"}),
        ] {
            assert!(settings_from("PostgreSqlV2", &missing, None, None).is_err());
        }
        assert!(
            settings_from(
                "PostgreSqlV2",
                &json!({"server": "h", "database": "d", "username": "u", "sslMode": 4}),
                None,
                None
            )
            .is_err()
        );
    }

    #[test]
    fn statements_split_outside_quotes_and_comments() {
        let sql = "CREATE TABLE t (a text); -- one; two\nINSERT INTO t VALUES ('x;y'), (E'\\';z');\n/* c; /* nested; */ */ DO $$ BEGIN RAISE NOTICE 'a;b'; END $$; ;  -- trailing";
        let statements = statements(sql, &[]);
        assert_eq!(statements.len(), 3, "{statements:#?}");
        assert_eq!(statements[0], "CREATE TABLE t (a text)");
        assert!(statements[1].ends_with("(E'\\';z')"), "{}", statements[1]);
        assert!(statements[2].ends_with("END $$"), "{}", statements[2]);
    }

    #[test]
    fn named_and_positional_parameters() {
        let parameters = [
            parameter(Some("name"), "String", json!("O'Brien")),
            parameter(Some("age"), "INT32", json!(52)),
        ];
        assert_eq!(
            statements(
                "SELECT * FROM c WHERE n = @Name AND age = @age AND note = '@name' AND tags <@ ARRAY['a'] AND @missing",
                &parameters
            ),
            [
                "SELECT * FROM c WHERE n = 'O''Brien' AND age = '52'::int4 AND note = '@name' AND tags <@ ARRAY['a'] AND @missing"
            ]
        );
        let positional = [
            parameter(None, "String", json!("John")),
            parameter(Some(""), "Int64", Value::Null),
        ];
        assert_eq!(
            statements("SELECT $1, $2, $3, '$1', $$ $1 $$", &positional),
            ["SELECT 'John', NULL::int8, $3, '$1', $$ $1 $$"]
        );
        let mut output = parameter(Some("out"), "Int32", json!(5));
        output.direction = "Output".into();
        assert_eq!(
            statements("CALL p(@out)", &[output]),
            ["CALL p(NULL::int4)"]
        );
    }

    #[test]
    fn keywords() {
        assert_eq!(first_keyword("  -- x\n (SELECT 1)"), "SELECT");
        assert!(changes_rows("insert into t values (1)"));
        assert!(changes_rows(
            "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x"
        ));
        assert!(!changes_rows("SELECT 1"));
        assert!(!changes_rows("CREATE TABLE t (a int)"));
    }

    #[test]
    fn values_are_typed_as_adf_returns_them() {
        assert_eq!(json_value(Kind::Bool, "t"), json!(true));
        assert_eq!(json_value(Kind::Integer, "-42"), json!(-42));
        assert_eq!(json_value(Kind::Decimal, "12.50"), json!(12.5));
        assert_eq!(json_value(Kind::Decimal, "20.00"), json!(20));
        assert_eq!(json_value(Kind::Float, "20"), json!(20));
        assert_eq!(json_value(Kind::Decimal, "NaN"), json!("NaN"));
        assert_eq!(json_value(Kind::Float, "Infinity"), json!("Infinity"));
        assert_eq!(json_value(Kind::Money, "$1,234.56"), json!(1234.56));
        assert_eq!(
            json_value(Kind::Timestamp, "2024-01-02 03:04:05.25"),
            json!("2024-01-02T03:04:05.25Z")
        );
        assert_eq!(
            json_value(Kind::TimestampTz, "2024-01-02 03:04:05+05:30"),
            json!("2024-01-01T21:34:05Z")
        );
        assert_eq!(
            json_value(Kind::TimestampTz, "2024-12-31 23:30:00.5-01"),
            json!("2025-01-01T00:30:00.5Z")
        );
        assert_eq!(json_value(Kind::Timestamp, "infinity"), json!("infinity"));
        assert_eq!(
            json_value(Kind::Date, "2024-02-29"),
            json!("2024-02-29T00:00:00Z")
        );
        assert_eq!(json_value(Kind::Bytes, "\\x48690a"), json!("SGkK"));
        assert_eq!(json_value(Kind::Text, "{1,2}"), json!("{1,2}"));
    }

    #[test]
    fn cells_and_tables() {
        let array = Column {
            name: "tags".into(),
            type_name: "_text".into(),
            kind: Kind::Text,
            array: true,
        };
        assert_eq!(
            Cell::from_json(&json!(["a", "b \"c\"", null]), Some(&array)),
            Cell::Text("{\"a\",\"b \\\"c\\\"\",NULL}".into())
        );
        assert_eq!(
            Cell::from_json(&json!({"k": 1}), None),
            Cell::Text("{\"k\":1}".into())
        );
        assert_eq!(Cell::Text("it's".into()).sql(), "'it''s'");
        assert_eq!(
            dataset_table(&json!({"schema": "Sales", "table": "Orders"})).as_deref(),
            Some("\"Sales\".\"Orders\"")
        );
        assert_eq!(
            dataset_table(&json!({"tableName": "public.orders"})).as_deref(),
            Some("public.orders")
        );
        assert_eq!(dataset_table(&json!({})), None);
    }

    /// Settings for the test server's test user.
    fn server_settings(server: &adf_testkit::Postgres) -> PgSettings {
        settings_from(
            "PostgreSqlV2",
            &json!({"server": server.host(), "port": server.port(), "database": adf_testkit::Postgres::DATABASE,
                    "username": adf_testkit::Postgres::USER, "sslMode": 2}),
            None,
            Some(adf_testkit::Postgres::PASSWORD.into()),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn a_real_server_types_values_and_takes_fixtures() {
        let Some(server) = adf_testkit::Postgres::start(module_path!()) else {
            return;
        };
        let settings = server_settings(&server);
        let connection = connect(&settings).await.unwrap();
        connection
            .execute(
                "CREATE TABLE t (id serial PRIMARY KEY, name text, amount numeric(10,2), ok boolean, at timestamp, at_tz timestamptz, day date, tags text[], doc jsonb, raw bytea, f float8)",
                0,
                false,
                None,
            )
            .await
            .unwrap();
        let rows: Vec<Map<String, Value>> = serde_json::from_value(json!([
            {"name": "a'b", "amount": 12.5, "ok": true, "at": "2024-01-02T03:04:05Z",
             "at_tz": "2024-01-02 03:04:05+02", "day": "2024-02-29", "tags": ["x", "y z"],
             "doc": {"k": [1, 2]}, "raw": "\\x4869", "f": 1.5},
            {"name": null},
        ]))
        .unwrap();
        assert_eq!(load_rows(&settings, "t", &rows).await.unwrap(), 2);
        let read = read_rows(&settings, "public.t", Some("id")).await.unwrap();
        assert_eq!(
            Value::Object(read[0].clone()),
            json!({"id": 1, "name": "a'b", "amount": 12.5, "ok": true, "at": "2024-01-02T03:04:05Z",
                   "at_tz": "2024-01-02T01:04:05Z", "day": "2024-02-29T00:00:00Z", "tags": "{x,\"y z\"}",
                   "doc": "{\"k\": [1, 2]}", "raw": "SGk=", "f": 1.5})
        );
        assert_eq!(read[1]["id"], json!(2));
        assert_eq!(read[1]["name"], Value::Null);
        let error = load_rows(
            &settings,
            "t",
            &[serde_json::from_value(json!({"nope": 1})).unwrap()],
        )
        .await
        .unwrap_err();
        assert!(error.message.contains("no column \"nope\""), "{error}");

        // A statement's count, a row-returning statement's columns, rows cut at `keep`.
        let result = connection
            .execute("UPDATE t SET ok = false", 0, false, None)
            .await
            .unwrap();
        assert_eq!(result.count, 2);
        assert!(result.result.is_none());
        let result = connection
            .execute("SELECT generate_series(1, 10) AS n", 3, false, None)
            .await
            .unwrap();
        let set = result.result.unwrap();
        assert_eq!((set.rows.len(), set.total), (3, 10));
        assert_eq!(set.columns[0].kind, Kind::Integer);

        // Upsert on the primary key.
        assert_eq!(connection.primary_key("t").await.unwrap(), ["id"]);
        let written = connection
            .insert(
                "t",
                &["id".into(), "name".into()],
                &[vec![Cell::Text("1".into()), Cell::Text("new".into())]],
                10,
                Some(&["id".into()]),
                None,
            )
            .await
            .unwrap();
        assert_eq!(written, 1);
        assert_eq!(server.psql("SELECT name FROM t WHERE id = 1"), "new");

        // Notices, SQL errors as Npgsql words them, timeouts that cancel.
        connection
            .execute("DO $$ BEGIN RAISE NOTICE 'hello'; END $$", 0, false, None)
            .await
            .unwrap();
        assert_eq!(connection.take_notices(), ["hello"]);
        let error = connection
            .execute("SELECT * FROM missing", 0, false, None)
            .await
            .unwrap_err();
        assert_eq!(error.message, "42P01: relation \"missing\" does not exist");
        let error = connection
            .execute(
                "SELECT pg_sleep(5)",
                0,
                false,
                Some(Duration::from_millis(200)),
            )
            .await
            .unwrap_err();
        assert!(error.message.contains("timeout"), "{error}");
        // The connection is still usable after a cancelled statement.
        let result = connection
            .execute("SELECT 1 AS one", 1, false, None)
            .await
            .unwrap();
        assert_eq!(result.result.unwrap().json_rows()[0]["one"], json!(1));
    }

    #[tokio::test]
    async fn a_wrong_password_fails_without_showing_it() {
        let Some(server) = adf_testkit::Postgres::start(module_path!()) else {
            return;
        };
        let mut settings = server_settings(&server);
        settings.password = Some("wrong-secret".into());
        let error = connect(&settings).await.err().unwrap();
        assert_eq!(error.kind, PgErrorKind::Connect);
        assert!(
            error.message.contains("28P01") && !error.message.contains("wrong-secret"),
            "{error}"
        );
        settings.port = 1;
        let error = connect(&settings).await.err().unwrap();
        assert!(error.message.contains("cannot connect"), "{error}");
    }

    #[test]
    fn a_factory_linked_service_with_a_key_vault_password() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::config::EmulatorConfig::new(dir.path());
        config.run_engine = false;
        config
            .key_vault_secrets
            .insert(Some("kv-sales"), "pg-password", "from-the-vault");
        let state = EmulatorState::open(config).unwrap();
        let scope = Scope::new("sub", "rg", "factory");
        state.with_store(|_, store| {
            store
                .put_entity(
                    &scope,
                    adf_core::Kind::LinkedService,
                    "kv",
                    &json!({"type": "AzureKeyVault", "typeProperties": {"baseUrl": "https://@{linkedService().vault}.vault.azure.net/"},
                            "parameters": {"vault": {"type": "String", "defaultValue": "kv-sales"}}}),
                    "1",
                )
                .unwrap();
            store
                .put_entity(
                    &scope,
                    adf_core::Kind::LinkedService,
                    "pg",
                    &json!({"type": "PostgreSqlV2", "parameters": {"db": {"type": "String", "defaultValue": "sales"}},
                            "typeProperties": {"server": "localhost", "database": "@linkedService().db", "username": "u",
                              "password": {"type": "AzureKeyVaultSecret", "store": {"referenceName": "kv", "type": "LinkedServiceReference"}, "secretName": "pg-password"}}}),
                    "1",
                )
                .unwrap();
        });
        let settings = settings_for(&state, &scope, "pg").unwrap();
        assert_eq!(settings.database, "sales");
        assert_eq!(settings.password.as_deref(), Some("from-the-vault"));
        assert!(settings_for(&state, &scope, "missing").is_err());
    }
}
