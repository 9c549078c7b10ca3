//! The embedded SQLite store.
//!
//! Durability: WAL journal with `synchronous=FULL`, so every acknowledged write is committed
//! and synced before the response leaves: a kill -9 (or a power cut) never loses an
//! acknowledged write and never corrupts the file. NORMAL would survive kill -9 too, but could
//! drop the last writes on power loss; ARM's own write throttle (10/s) makes FULL's cost moot.
//!
//! Connections: one writer ([`Store::open`]), used under the state's mutex, so writes stay
//! serialised; and read-only connections ([`Store::open_reader`], `query_only`), which WAL lets
//! read concurrently with each other and with the writer. A reader sees every transaction
//! committed before its read transaction ([`Store::read`]) began: a write acknowledged before a
//! read starts is visible to it.
//!
//! Exclusivity: the writer holds the write lock of a second, tiny SQLite database,
//! `emulator.lock`, opened with `locking_mode=EXCLUSIVE`, for its life. That lock is an OS
//! file lock, so the kernel releases it when the process dies, even by kill -9: a stale lock
//! cannot block a restart. A second emulator on the same directory gets SQLITE_BUSY taking it
//! and is refused with the pid that the holder recorded in `emulator.pid` (informational only).
//! The store itself cannot be opened that way: in WAL mode `locking_mode=EXCLUSIVE` also shuts
//! out the emulator's own readers. (`std::fs::File::try_lock` would do, but needs Rust 1.89,
//! above the workspace's MSRV.)

use crate::error::EmulatorError;
use adf_core::Kind;
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

const DATABASE_FILE: &str = "emulator.sqlite3";
const PID_FILE: &str = "emulator.pid";
const LOCK_FILE: &str = "emulator.lock";

/// How long a connection waits for SQLite's own locks. The writer is alone, so waits are rare
/// and short (a reader opening while the writer recovers the WAL after a crash, say).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements kept per connection (the hot paths prepare a dozen).
const STATEMENT_CACHE: usize = 64;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('seq', 0);
CREATE TABLE IF NOT EXISTS resource_groups(
  subscription TEXT NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL, location TEXT NOT NULL,
  tags TEXT, managed_by TEXT, deleting INTEGER NOT NULL DEFAULT 0, seq INTEGER NOT NULL,
  PRIMARY KEY(subscription, key));
CREATE TABLE IF NOT EXISTS entities(
  subscription TEXT NOT NULL, grp TEXT NOT NULL, factory TEXT NOT NULL, kind TEXT NOT NULL,
  key TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, etag TEXT NOT NULL,
  seq INTEGER NOT NULL, shown TEXT,
  PRIMARY KEY(subscription, grp, factory, kind, key));
CREATE INDEX IF NOT EXISTS entities_in_order ON entities(subscription, grp, factory, kind, seq);
CREATE TABLE IF NOT EXISTS operations(
  id TEXT PRIMARY KEY, subscription TEXT NOT NULL, grp TEXT NOT NULL,
  polls_left INTEGER NOT NULL, deadline_ms INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS pipeline_runs(
  run_id TEXT PRIMARY KEY, subscription TEXT NOT NULL, grp TEXT NOT NULL, factory TEXT NOT NULL,
  seq INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS activity_runs(
  id TEXT PRIMARY KEY, run_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trigger_runs(
  id TEXT PRIMARY KEY, subscription TEXT NOT NULL, grp TEXT NOT NULL, factory TEXT NOT NULL,
  seq INTEGER NOT NULL, body TEXT NOT NULL);
";

/// The key a name is stored under: ADF's one name-equality rule.
pub(crate) use adf_core::naming::fold;

/// A resource group row.
#[derive(Debug, Clone)]
pub(crate) struct GroupRow {
    pub name: String,
    pub location: String,
    pub tags: Option<Value>,
    pub managed_by: Option<String>,
    pub deleting: bool,
}

/// A factory or child entity row. `body` is the stored document (secrets in clear).
#[derive(Debug, Clone)]
pub(crate) struct EntityRow {
    pub name: String,
    pub body: Value,
    pub etag: String,
}

/// An entity as a list page shows it: its name, etag and the properties ARM returns, as the
/// JSON text the store keeps beside the body ([`crate::shown`]).
#[derive(Debug, Clone)]
pub(crate) struct ShownRow {
    pub name: String,
    pub etag: String,
    pub properties: String,
}

/// Which factory (or, with `factory` empty, which resource group) an entity lives in.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub subscription: String,
    pub group: String,
    pub factory: String,
}

impl Scope {
    pub fn new(subscription: &str, group: &str, factory: &str) -> Self {
        Scope {
            subscription: subscription.to_owned(),
            group: fold(group),
            factory: fold(factory),
        }
    }
}

/// A pending resource-group deletion.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub subscription: String,
    pub group: String,
    pub polls_left: u32,
    pub deadline_ms: i64,
    pub done: bool,
}

/// One connection to the SQLite store: the writer (which holds the data directory's lock) or
/// a read-only reader. Each is used under its own mutex in the state.
pub(crate) struct Store {
    conn: Connection,
    dir: PathBuf,
    /// The writer's lock on the data directory, held for its life; `None` for a reader.
    lock: Option<Connection>,
}

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(e, _)
        if matches!(e.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

/// Takes the data directory's lock: the write lock of `emulator.lock`, kept until the returned
/// connection closes (`locking_mode=EXCLUSIVE` never releases a lock once taken).
fn lock_directory(dir: &Path) -> Result<Connection, EmulatorError> {
    let path = dir.join(LOCK_FILE);
    let lock = Connection::open(&path).map_err(EmulatorError::store(format!(
        "cannot open {}",
        path.display()
    )))?;
    let take = || -> rusqlite::Result<()> {
        lock.busy_timeout(Duration::ZERO)?;
        lock.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
        lock.execute_batch(
            "BEGIN EXCLUSIVE;
             CREATE TABLE IF NOT EXISTS holder(pid INTEGER NOT NULL);
             DELETE FROM holder;
             COMMIT;",
        )?;
        lock.execute("INSERT INTO holder(pid) VALUES (?1)", [std::process::id()])?;
        Ok(())
    };
    match take() {
        Ok(()) => Ok(lock),
        Err(error) if is_busy(&error) => Err(EmulatorError::DataDirInUse {
            dir: dir.to_owned(),
            pid: read_pid(dir),
        }),
        Err(source) => Err(EmulatorError::Store {
            context: format!("cannot lock {}", path.display()),
            source,
        }),
    }
}

fn read_pid(dir: &Path) -> Option<u32> {
    std::fs::read_to_string(dir.join(PID_FILE))
        .ok()?
        .trim()
        .parse()
        .ok()
}

impl Store {
    /// Opens (creating if needed) the store in `dir` as its writer, and takes the directory's
    /// lock.
    pub fn open(dir: &Path) -> Result<Store, EmulatorError> {
        std::fs::create_dir_all(dir).map_err(|source| EmulatorError::Io {
            context: format!("cannot create the data directory {}", dir.display()),
            source,
        })?;
        let lock = lock_directory(dir)?;
        let path = dir.join(DATABASE_FILE);
        let conn = Connection::open(&path).map_err(EmulatorError::store(format!(
            "cannot open {}",
            path.display()
        )))?;
        let setup = || -> rusqlite::Result<()> {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.execute_batch(&format!("BEGIN IMMEDIATE; {SCHEMA} COMMIT;"))?;
            // A store written before `shown` was kept: its rows are rendered when read.
            let has_shown = conn
                .prepare("SELECT 1 FROM pragma_table_info('entities') WHERE name = 'shown'")?
                .exists([])?;
            if !has_shown {
                conn.execute_batch("ALTER TABLE entities ADD COLUMN shown TEXT")?;
            }
            Ok(())
        };
        setup().map_err(EmulatorError::store(format!(
            "cannot initialise {}",
            path.display()
        )))?;
        std::fs::write(dir.join(PID_FILE), std::process::id().to_string()).map_err(|source| {
            EmulatorError::Io {
                context: format!("cannot write {}", dir.join(PID_FILE).display()),
                source,
            }
        })?;
        Ok(Store {
            conn,
            dir: dir.to_owned(),
            lock: Some(lock),
        })
    }

    /// A read-only connection to the same store (`query_only`: a write through it fails).
    pub fn open_reader(&self) -> Result<Store, EmulatorError> {
        let path = self.dir.join(DATABASE_FILE);
        let conn = Connection::open(&path).map_err(EmulatorError::store(format!(
            "cannot open {} for reading",
            path.display()
        )))?;
        let setup = || -> rusqlite::Result<()> {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            conn.pragma_update(None, "query_only", true)
        };
        setup().map_err(EmulatorError::store(format!(
            "cannot set up a reader of {}",
            path.display()
        )))?;
        Ok(Store {
            conn,
            dir: self.dir.clone(),
            lock: None,
        })
    }

    /// Runs `f` in one read transaction: every query of `f` sees the same snapshot, that of the
    /// writer's last commit when `f`'s first query ran. Inside another transaction, part of it.
    pub fn read<T, E: From<rusqlite::Error>>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, E>,
    ) -> Result<T, E> {
        if !self.conn.is_autocommit() {
            return f(self);
        }
        self.conn.execute_batch("BEGIN DEFERRED")?;
        let open = Open::new(&self.conn, "ROLLBACK");
        let value = f(self)?;
        // Nothing was written: ending the transaction only releases the snapshot.
        open.end("COMMIT")?;
        Ok(value)
    }

    /// Runs `f` with all its writes committed together when it returns, whatever it returns
    /// (an error reply keeps what was written before it, as separate statements would): one
    /// sync per request instead of one per statement, and readers see all of a request's writes
    /// or none. Transactions inside `f` ([`Store::transaction`]) become savepoints; a batch
    /// inside another transaction is part of it.
    pub fn batch<T>(&self, f: impl FnOnce(&Store) -> T) -> rusqlite::Result<T> {
        if !self.conn.is_autocommit() {
            return Ok(f(self));
        }
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let open = Open::new(&self.conn, "ROLLBACK");
        let value = f(self);
        open.end("COMMIT")?;
        Ok(value)
    }

    /// The next value of the store-wide sequence (list order and etags).
    pub fn next_seq(&self) -> rusqlite::Result<i64> {
        self.conn
            .prepare_cached("UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value")?
            .query_row([], |row| row.get(0))
    }

    /// Runs `f` in one transaction (committed when it returns `Ok`, rolled back otherwise);
    /// inside a [`Store::batch`] (or another transaction), a savepoint.
    pub fn transaction<T, E: From<rusqlite::Error>>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, E>,
    ) -> Result<T, E> {
        let (begin, commit, rollback) = if self.conn.is_autocommit() {
            ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")
        } else {
            (
                "SAVEPOINT nested",
                "RELEASE nested",
                "ROLLBACK TO nested; RELEASE nested",
            )
        };
        self.conn.execute_batch(begin)?;
        // On an error (or a panic), the guard rolls back; a rollback error is secondary to the
        // original one.
        let open = Open::new(&self.conn, rollback);
        let value = f(self)?;
        open.end(commit)?;
        Ok(value)
    }

    // ---- resource groups ----

    pub fn group(&self, subscription: &str, name: &str) -> rusqlite::Result<Option<GroupRow>> {
        self.conn
            .prepare_cached(
                "SELECT name, location, tags, managed_by, deleting FROM resource_groups
                 WHERE subscription = ?1 AND key = ?2",
            )?
            .query_row(params![subscription, fold(name)], group_row)
            .optional()
    }

    pub fn groups(&self, subscription: &str) -> rusqlite::Result<Vec<GroupRow>> {
        let mut statement = self.conn.prepare(
            "SELECT name, location, tags, managed_by, deleting FROM resource_groups
             WHERE subscription = ?1 ORDER BY seq",
        )?;
        let rows = statement.query_map(params![subscription], group_row)?;
        rows.collect()
    }

    pub fn put_group(&self, subscription: &str, group: &GroupRow) -> rusqlite::Result<()> {
        let seq = self.next_seq()?;
        self.conn.execute(
            "INSERT INTO resource_groups(subscription, key, name, location, tags, managed_by, deleting, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(subscription, key) DO UPDATE SET
               tags = excluded.tags, managed_by = excluded.managed_by, deleting = excluded.deleting",
            params![
                subscription,
                fold(&group.name),
                group.name,
                group.location,
                group.tags.as_ref().map(Value::to_string),
                group.managed_by,
                group.deleting,
                seq
            ],
        )?;
        Ok(())
    }

    /// Deletes a group and everything in it.
    pub fn delete_group_contents(&self, subscription: &str, group: &str) -> rusqlite::Result<()> {
        let key = fold(group);
        self.conn.execute(
            "DELETE FROM activity_runs WHERE run_id IN
               (SELECT run_id FROM pipeline_runs WHERE subscription = ?1 AND grp = ?2)",
            params![subscription, key],
        )?;
        for table in ["pipeline_runs", "trigger_runs", "entities"] {
            self.conn.execute(
                &format!("DELETE FROM {table} WHERE subscription = ?1 AND grp = ?2"),
                params![subscription, key],
            )?;
        }
        self.conn.execute(
            "DELETE FROM resource_groups WHERE subscription = ?1 AND key = ?2",
            params![subscription, key],
        )?;
        Ok(())
    }

    // ---- deletion operations ----

    pub fn insert_operation(&self, id: &str, operation: &Operation) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO operations(id, subscription, grp, polls_left, deadline_ms, done)
             VALUES (?1, ?2, ?3, ?4, ?5, 0)",
            params![
                id,
                operation.subscription,
                fold(&operation.group),
                operation.polls_left,
                operation.deadline_ms
            ],
        )?;
        Ok(())
    }

    pub fn operation(&self, id: &str) -> rusqlite::Result<Option<Operation>> {
        self.conn
            .query_row(
                "SELECT subscription, grp, polls_left, deadline_ms, done FROM operations WHERE id = ?1",
                params![id],
                operation_row,
            )
            .optional()
    }

    pub fn pending_operations(&self) -> rusqlite::Result<Vec<(String, Operation)>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT subscription, grp, polls_left, deadline_ms, done, id FROM operations WHERE done = 0",
        )?;
        let rows = statement.query_map([], |row| Ok((row.get(5)?, operation_row(row)?)))?;
        rows.collect()
    }

    pub fn set_operation(&self, id: &str, polls_left: u32, done: bool) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE operations SET polls_left = ?2, done = ?3 WHERE id = ?1",
            params![id, polls_left, done],
        )?;
        Ok(())
    }

    // ---- factories and child entities ----

    pub fn entity(
        &self,
        scope: &Scope,
        kind: Kind,
        name: &str,
    ) -> rusqlite::Result<Option<EntityRow>> {
        self.conn
            .prepare_cached(
                "SELECT name, body, etag FROM entities
                 WHERE subscription = ?1 AND grp = ?2 AND factory = ?3 AND kind = ?4 AND key = ?5",
            )?
            .query_row(
                params![
                    scope.subscription,
                    scope.group,
                    scope.factory,
                    kind.address_prefix(),
                    fold(name)
                ],
                entity_row,
            )
            .optional()
    }

    pub fn entities(&self, scope: &Scope, kind: Kind) -> rusqlite::Result<Vec<EntityRow>> {
        let mut statement = self.conn.prepare(
            "SELECT name, body, etag FROM entities
             WHERE subscription = ?1 AND grp = ?2 AND factory = ?3 AND kind = ?4 ORDER BY seq",
        )?;
        let rows = statement.query_map(
            params![
                scope.subscription,
                scope.group,
                scope.factory,
                kind.address_prefix()
            ],
            entity_row,
        )?;
        rows.collect()
    }

    /// The factory's entities (of every kind, as `(kind, row)`) that may reference `name`:
    /// those whose body holds it, compared without ASCII case, and every body with non-ASCII
    /// text (SQLite's `lower` folds ASCII only, and `K` (Kelvin) is `k` to ADF). A superset
    /// of the referrers, found without reading every body; a name with non-ASCII letters reads
    /// them all.
    pub fn entities_mentioning(
        &self,
        scope: &Scope,
        name: &str,
    ) -> rusqlite::Result<Vec<(Kind, EntityRow)>> {
        let needle = if name.is_ascii() { name } else { "" };
        let mut statement = self.conn.prepare(
            "SELECT name, body, etag, kind FROM entities
             WHERE subscription = ?1 AND grp = ?2 AND factory = ?3
               AND (instr(lower(body), lower(?4)) > 0
                    OR length(CAST(body AS BLOB)) != length(body))
             ORDER BY kind, seq",
        )?;
        let rows = statement.query_map(
            params![scope.subscription, scope.group, scope.factory, needle],
            |row| {
                let kind: String = row.get(3)?;
                // Only the store writes this column, with a kind's address prefix.
                let kind = Kind::from_address_prefix(&kind).unwrap_or(Kind::Factory);
                Ok((kind, entity_row(row)?))
            },
        )?;
        rows.collect()
    }

    /// One page of a factory's entities of a kind, in creation order: the first `limit` after
    /// the list position `after` (0: from the start), and the position to continue after when
    /// more follow. A keyset over the `entities_in_order` index: a page reads its own rows (and
    /// one more, to know whether more follow), however deep into the collection it is.
    pub fn entities_page(
        &self,
        scope: &Scope,
        kind: Kind,
        after: i64,
        limit: usize,
    ) -> rusqlite::Result<(Vec<ShownRow>, Option<i64>)> {
        // The limit is written into the statement, not bound: SQLite (built with STAT4) plans a
        // bound LIMIT for its value, so a new value would re-prepare the statement at every
        // page. The page size is the emulator's setting, so this is one cached statement.
        let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT name, shown, etag, seq, body FROM entities
             WHERE subscription = ?1 AND grp = ?2 AND factory = ?3 AND kind = ?4 AND seq > ?5
             ORDER BY seq LIMIT {fetch}"
        ))?;
        let rows = statement.query_map(
            params![
                scope.subscription,
                scope.group,
                scope.factory,
                kind.address_prefix(),
                after
            ],
            |row| Ok((shown_row(row)?, row.get::<_, i64>(3)?)),
        )?;
        let mut page = Vec::new();
        let mut last = after;
        let mut more = false;
        for row in rows {
            let (row, seq) = row?;
            if page.len() == limit {
                more = true;
                break;
            }
            page.push(row);
            last = seq;
        }
        Ok((page, more.then_some(last)))
    }

    /// Every factory of a subscription (and, if `group` is given, of one group), with the
    /// (stored, folded) group key each lives in.
    pub fn factories(
        &self,
        subscription: Option<&str>,
        group: Option<&str>,
    ) -> rusqlite::Result<Vec<(String, String, EntityRow)>> {
        let mut statement = self.conn.prepare(
            "SELECT name, body, etag, subscription, grp FROM entities
             WHERE kind = 'factory' AND (?1 IS NULL OR subscription = ?1) AND (?2 IS NULL OR grp = ?2)
             ORDER BY seq",
        )?;
        let rows = statement.query_map(params![subscription, group.map(fold)], |row| {
            Ok((
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                entity_row(row)?,
            ))
        })?;
        rows.collect()
    }

    /// Inserts or replaces an entity, keeping the original casing and list position.
    pub fn put_entity(
        &self,
        scope: &Scope,
        kind: Kind,
        name: &str,
        body: &Value,
        etag: &str,
    ) -> rusqlite::Result<()> {
        let seq = self.next_seq()?;
        self.conn
            .prepare_cached(
                "INSERT INTO entities(subscription, grp, factory, kind, key, name, body, etag, seq, shown)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT(subscription, grp, factory, kind, key) DO UPDATE SET
               body = excluded.body, etag = excluded.etag, shown = excluded.shown",
            )?
            .execute(params![
                scope.subscription,
                scope.group,
                scope.factory,
                kind.address_prefix(),
                fold(name),
                name,
                body.to_string(),
                etag,
                seq,
                crate::shown::properties_text(body)
            ])?;
        Ok(())
    }

    pub fn delete_entity(&self, scope: &Scope, kind: Kind, name: &str) -> rusqlite::Result<bool> {
        let deleted = self.conn.execute(
            "DELETE FROM entities
             WHERE subscription = ?1 AND grp = ?2 AND factory = ?3 AND kind = ?4 AND key = ?5",
            params![
                scope.subscription,
                scope.group,
                scope.factory,
                kind.address_prefix(),
                fold(name)
            ],
        )?;
        Ok(deleted > 0)
    }

    /// Deletes a factory, its children and its runs.
    pub fn delete_factory(&self, scope: &Scope, name: &str) -> rusqlite::Result<bool> {
        let key = fold(name);
        self.conn.execute(
            "DELETE FROM activity_runs WHERE run_id IN (SELECT run_id FROM pipeline_runs
               WHERE subscription = ?1 AND grp = ?2 AND factory = ?3)",
            params![scope.subscription, scope.group, key],
        )?;
        for table in ["pipeline_runs", "trigger_runs", "entities"] {
            self.conn.execute(
                &format!(
                    "DELETE FROM {table} WHERE subscription = ?1 AND grp = ?2 AND factory = ?3"
                ),
                params![scope.subscription, scope.group, key],
            )?;
        }
        self.delete_entity(scope, Kind::Factory, name)
    }

    /// The subscription and group key of the factory named `name`, anywhere (names are global).
    pub fn factory_anywhere(&self, name: &str) -> rusqlite::Result<Option<(String, String)>> {
        self.conn
            .query_row(
                "SELECT subscription, grp FROM entities WHERE kind = 'factory' AND key = ?1",
                params![fold(name)],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
    }

    // ---- runs ----

    pub fn insert_pipeline_run(
        &self,
        scope: &Scope,
        run_id: &str,
        body: &Value,
    ) -> rusqlite::Result<()> {
        let seq = self.next_seq()?;
        self.conn.execute(
            "INSERT INTO pipeline_runs(run_id, subscription, grp, factory, seq, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                run_id,
                scope.subscription,
                scope.group,
                scope.factory,
                seq,
                body.to_string()
            ],
        )?;
        Ok(())
    }

    pub fn update_pipeline_run(&self, run_id: &str, body: &Value) -> rusqlite::Result<bool> {
        let updated = self.conn.execute(
            "UPDATE pipeline_runs SET body = ?2 WHERE run_id = ?1",
            params![run_id, body.to_string()],
        )?;
        Ok(updated > 0)
    }

    /// A pipeline run by id, with its scope.
    pub fn pipeline_run(&self, run_id: &str) -> rusqlite::Result<Option<(Scope, Value)>> {
        self.conn
            .query_row(
                "SELECT subscription, grp, factory, body FROM pipeline_runs WHERE run_id = ?1",
                params![run_id],
                |row| {
                    let scope = Scope {
                        subscription: row.get(0)?,
                        group: row.get(1)?,
                        factory: row.get(2)?,
                    };
                    Ok((scope, json_column(row, 3)?))
                },
            )
            .optional()
    }

    pub fn pipeline_runs(&self, scope: Option<&Scope>) -> rusqlite::Result<Vec<Value>> {
        self.scoped_bodies("pipeline_runs", scope)
    }

    pub fn trigger_runs(&self, scope: &Scope) -> rusqlite::Result<Vec<Value>> {
        self.scoped_bodies("trigger_runs", Some(scope))
    }

    fn scoped_bodies(&self, table: &str, scope: Option<&Scope>) -> rusqlite::Result<Vec<Value>> {
        let mut statement = self.conn.prepare(&format!(
            "SELECT body FROM {table} WHERE ?1 IS NULL OR (subscription = ?1 AND grp = ?2 AND factory = ?3)
             ORDER BY seq"
        ))?;
        let rows = statement.query_map(
            params![
                scope.map(|s| s.subscription.as_str()),
                scope.map(|s| s.group.as_str()),
                scope.map(|s| s.factory.as_str())
            ],
            |row| json_column(row, 0),
        )?;
        rows.collect()
    }

    pub fn insert_trigger_run(
        &self,
        scope: &Scope,
        id: &str,
        body: &Value,
    ) -> rusqlite::Result<()> {
        let seq = self.next_seq()?;
        self.conn.execute(
            "INSERT INTO trigger_runs(id, subscription, grp, factory, seq, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, scope.subscription, scope.group, scope.factory, seq, body.to_string()],
        )?;
        Ok(())
    }

    pub fn insert_activity_run(
        &self,
        id: &str,
        run_id: &str,
        body: &Value,
    ) -> rusqlite::Result<()> {
        let seq = self.next_seq()?;
        self.conn.execute(
            "INSERT INTO activity_runs(id, run_id, seq, body) VALUES (?1, ?2, ?3, ?4)",
            params![id, run_id, seq, body.to_string()],
        )?;
        Ok(())
    }

    pub fn update_activity_run(&self, id: &str, body: &Value) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE activity_runs SET body = ?2 WHERE id = ?1",
            params![id, body.to_string()],
        )?;
        Ok(())
    }

    /// An activity run's pipeline run id and document.
    pub fn activity_run(&self, id: &str) -> rusqlite::Result<Option<(String, Value)>> {
        self.conn
            .query_row(
                "SELECT run_id, body FROM activity_runs WHERE id = ?1",
                params![id],
                |row| Ok((row.get(0)?, json_column(row, 1)?)),
            )
            .optional()
    }

    /// Every entity of `kind` in every factory, with its scope.
    pub fn all_entities(&self, kind: Kind) -> rusqlite::Result<Vec<(Scope, EntityRow)>> {
        let mut statement = self.conn.prepare(
            "SELECT name, body, etag, subscription, grp, factory FROM entities WHERE kind = ?1 ORDER BY seq",
        )?;
        let rows = statement.query_map(params![kind.address_prefix()], |row| {
            Ok((
                Scope {
                    subscription: row.get(3)?,
                    group: row.get(4)?,
                    factory: row.get(5)?,
                },
                entity_row(row)?,
            ))
        })?;
        rows.collect()
    }

    pub fn activity_runs(&self, run_id: &str) -> rusqlite::Result<Vec<Value>> {
        let mut statement = self
            .conn
            .prepare("SELECT body FROM activity_runs WHERE run_id = ?1 ORDER BY seq")?;
        let rows = statement.query_map(params![run_id], |row| json_column(row, 0))?;
        rows.collect()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // Only the writer records its pid. Informational only; a leftover file after kill -9
        // is harmless (the lock is the kernel's). The lock file stays: removing it while locked
        // would let a second emulator lock a new file of the same name. (The lock itself goes
        // when `lock` closes, after this.)
        if self.lock.is_none() {
            return;
        }
        let pid_file = self.dir.join(PID_FILE);
        if read_pid(&self.dir) == Some(std::process::id()) {
            let _ = std::fs::remove_file(pid_file);
        }
    }
}

/// An open transaction (or savepoint): rolled back when dropped before [`Open::end`], so that
/// neither an error nor a panic (the mutex around a connection survives panics) leaves one
/// open behind.
struct Open<'a> {
    conn: &'a Connection,
    rollback: &'static str,
}

impl<'a> Open<'a> {
    fn new(conn: &'a Connection, rollback: &'static str) -> Self {
        Open { conn, rollback }
    }

    /// Ends it with `sql` (COMMIT, RELEASE); if that fails, it is rolled back.
    fn end(self, sql: &str) -> rusqlite::Result<()> {
        self.conn.execute_batch(sql)?;
        std::mem::forget(self);
        Ok(())
    }
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        let _ = self.conn.execute_batch(self.rollback);
    }
}

fn json_column(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Value> {
    let text: String = row.get(index)?;
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn group_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<GroupRow> {
    let tags: Option<String> = row.get(2)?;
    let tags = match tags {
        Some(text) => Some(serde_json::from_str(&text).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e))
        })?),
        None => None,
    };
    Ok(GroupRow {
        name: row.get(0)?,
        location: row.get(1)?,
        tags,
        managed_by: row.get(3)?,
        deleting: row.get(4)?,
    })
}

fn operation_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Operation> {
    Ok(Operation {
        subscription: row.get(0)?,
        group: row.get(1)?,
        polls_left: row.get(2)?,
        deadline_ms: row.get(3)?,
        done: row.get(4)?,
    })
}

/// `name, shown, etag, _, body`: the stored rendering, or (a row written before the store kept
/// one) the rendering of the body.
fn shown_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ShownRow> {
    let shown: Option<String> = row.get(1)?;
    let properties = match shown {
        Some(text) => text,
        None => crate::shown::properties_text(&json_column(row, 4)?),
    };
    Ok(ShownRow {
        name: row.get(0)?,
        etag: row.get(2)?,
        properties,
    })
}

fn entity_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<EntityRow> {
    Ok(EntityRow {
        name: row.get(0)?,
        body: json_column(row, 1)?,
        etag: row.get(2)?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope() -> Scope {
        Scope::new("sub", "rg", "fac")
    }

    #[test]
    fn a_page_shows_what_arm_shows_also_for_rows_of_a_store_written_before_the_rendering() {
        let dir = tempfile::tempdir().unwrap();
        let secret = json!({"password": {"type": "SecureString", "value": "hunter2"}});
        {
            // A store as an earlier emulator left it: no `shown` column.
            let conn = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
            conn.execute_batch(
                "CREATE TABLE entities(
                  subscription TEXT NOT NULL, grp TEXT NOT NULL, factory TEXT NOT NULL,
                  kind TEXT NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
                  etag TEXT NOT NULL, seq INTEGER NOT NULL,
                  PRIMARY KEY(subscription, grp, factory, kind, key));",
            )
            .unwrap();
            conn.execute(
                "INSERT INTO entities VALUES ('sub', 'rg', 'fac', ?1, 'old', 'old', ?2, 'e1', 1)",
                params![Kind::LinkedService.address_prefix(), secret.to_string()],
            )
            .unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        store
            .put_entity(&scope(), Kind::LinkedService, "new", &secret, "e2")
            .unwrap();
        let (rows, next) = store
            .entities_page(&scope(), Kind::LinkedService, 0, 10)
            .unwrap();
        assert_eq!(next, None);
        let shown: Vec<(&str, Value)> = rows
            .iter()
            .map(|row| {
                (
                    row.name.as_str(),
                    serde_json::from_str(&row.properties).unwrap(),
                )
            })
            .collect();
        let masked = crate::shown::properties(&secret);
        assert_eq!(masked["password"]["value"], "**********");
        assert_eq!(shown, [("old", masked.clone()), ("new", masked)]);
    }

    #[test]
    fn a_reader_reads_beside_an_open_write_transaction_and_sees_only_commits() {
        let dir = tempfile::tempdir().unwrap();
        let writer = Store::open(dir.path()).unwrap();
        let reader = writer.open_reader().unwrap();
        writer
            .put_entity(&scope(), Kind::Pipeline, "p", &json!({"v": 1}), "e1")
            .unwrap();
        let version = |reader: &Store| {
            reader
                .read(|store| store.entity(&scope(), Kind::Pipeline, "p"))
                .unwrap()
                .map(|row| row.body["v"].clone())
        };
        writer
            .batch(|writer| {
                writer
                    .put_entity(&scope(), Kind::Pipeline, "p", &json!({"v": 2}), "e2")
                    .unwrap();
                // The write transaction is open and holds SQLite's write lock: the reader is
                // not blocked, and sees the last commit.
                assert_eq!(version(&reader), Some(json!(1)));
            })
            .unwrap();
        assert_eq!(version(&reader), Some(json!(2)), "committed, so visible");
    }

    #[test]
    fn a_reader_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let writer = Store::open(dir.path()).unwrap();
        let reader = writer.open_reader().unwrap();
        let written = reader.put_entity(&scope(), Kind::Pipeline, "p", &json!({}), "e");
        assert!(written.is_err(), "a reader is query_only");
        assert!(
            writer
                .entity(&scope(), Kind::Pipeline, "p")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_transaction_inside_a_batch_is_a_savepoint() {
        let dir = tempfile::tempdir().unwrap();
        let writer = Store::open(dir.path()).unwrap();
        writer
            .batch(|writer| {
                writer
                    .put_entity(&scope(), Kind::Pipeline, "kept", &json!({}), "e")
                    .unwrap();
                let failed: Result<(), rusqlite::Error> = writer.transaction(|writer| {
                    writer.put_entity(&scope(), Kind::Pipeline, "undone", &json!({}), "e")?;
                    Err(rusqlite::Error::QueryReturnedNoRows)
                });
                assert!(failed.is_err());
            })
            .unwrap();
        let reader = writer.open_reader().unwrap();
        let names: Vec<String> = reader
            .read(|store| store.entities(&scope(), Kind::Pipeline))
            .unwrap()
            .into_iter()
            .map(|row| row.name)
            .collect();
        assert_eq!(names, ["kept"]);
    }

    #[test]
    fn pages_continue_after_their_last_row() {
        let dir = tempfile::tempdir().unwrap();
        let writer = Store::open(dir.path()).unwrap();
        for i in 0..5 {
            writer
                .put_entity(&scope(), Kind::Pipeline, &format!("p{i}"), &json!({}), "e")
                .unwrap();
        }
        let mut after = 0;
        let mut pages = Vec::new();
        loop {
            let (rows, next) = writer
                .entities_page(&scope(), Kind::Pipeline, after, 2)
                .unwrap();
            pages.push(rows.into_iter().map(|row| row.name).collect::<Vec<_>>());
            match next {
                Some(next) => after = next,
                None => break,
            }
        }
        assert_eq!(pages, [vec!["p0", "p1"], vec!["p2", "p3"], vec!["p4"]]);
        let (rows, next) = writer
            .entities_page(&scope(), Kind::Pipeline, 0, 5)
            .unwrap();
        assert_eq!(
            (rows.len(), next),
            (5, None),
            "a full last page says no more"
        );
    }
}
