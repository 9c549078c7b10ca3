//! The embedded SQLite store.
//!
//! Durability: WAL journal with `synchronous=FULL`, so every acknowledged write is committed
//! and synced before the response leaves: a kill -9 (or a power cut) never loses an
//! acknowledged write and never corrupts the file. NORMAL would survive kill -9 too, but could
//! drop the last writes on power loss; ARM's own write throttle (10/s) makes FULL's cost moot.
//!
//! Exclusivity: the connection uses `locking_mode=EXCLUSIVE` and takes a write lock at open,
//! which it holds until it closes. SQLite's lock is an OS file lock, so the kernel releases it
//! when the process dies, even by kill -9: a stale lock cannot block a restart. A second
//! emulator on the same directory gets SQLITE_BUSY at open and is refused with the pid that
//! the holder recorded in `emulator.pid` (informational only; the lock is SQLite's).

use crate::error::EmulatorError;
use adf_core::Kind;
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

const DATABASE_FILE: &str = "emulator.sqlite3";
const PID_FILE: &str = "emulator.pid";

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
  seq INTEGER NOT NULL,
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

/// The SQLite store; one connection, used under the state's mutex.
pub(crate) struct Store {
    conn: Connection,
    dir: PathBuf,
}

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(e, _)
        if matches!(e.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

fn read_pid(dir: &Path) -> Option<u32> {
    std::fs::read_to_string(dir.join(PID_FILE))
        .ok()?
        .trim()
        .parse()
        .ok()
}

impl Store {
    /// Opens (creating if needed) the store in `dir` and takes its exclusive lock.
    pub fn open(dir: &Path) -> Result<Store, EmulatorError> {
        std::fs::create_dir_all(dir).map_err(|source| EmulatorError::Io {
            context: format!("cannot create the data directory {}", dir.display()),
            source,
        })?;
        let path = dir.join(DATABASE_FILE);
        let conn = Connection::open(&path).map_err(EmulatorError::store(format!(
            "cannot open {}",
            path.display()
        )))?;
        let setup = || -> rusqlite::Result<()> {
            conn.busy_timeout(Duration::ZERO)?;
            conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            // A write transaction takes the exclusive lock now, not at the first request.
            conn.execute_batch(&format!("BEGIN EXCLUSIVE; {SCHEMA} COMMIT;"))
        };
        if let Err(error) = setup() {
            if is_busy(&error) {
                return Err(EmulatorError::DataDirInUse {
                    dir: dir.to_owned(),
                    pid: read_pid(dir),
                });
            }
            return Err(EmulatorError::Store {
                context: format!("cannot initialise {}", path.display()),
                source: error,
            });
        }
        std::fs::write(dir.join(PID_FILE), std::process::id().to_string()).map_err(|source| {
            EmulatorError::Io {
                context: format!("cannot write {}", dir.join(PID_FILE).display()),
                source,
            }
        })?;
        Ok(Store {
            conn,
            dir: dir.to_owned(),
        })
    }

    /// The next value of the store-wide sequence (list order and etags).
    pub fn next_seq(&self) -> rusqlite::Result<i64> {
        self.conn.query_row(
            "UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value",
            [],
            |row| row.get(0),
        )
    }

    /// Runs `f` in one transaction (committed when it returns `Ok`).
    pub fn transaction<T, E: From<rusqlite::Error>>(
        &mut self,
        f: impl FnOnce(&Store) -> Result<T, E>,
    ) -> Result<T, E> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        match f(self) {
            Ok(value) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(value)
            }
            Err(error) => {
                // The rollback error, if any, is secondary to the original one.
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(error)
            }
        }
    }

    // ---- resource groups ----

    pub fn group(&self, subscription: &str, name: &str) -> rusqlite::Result<Option<GroupRow>> {
        self.conn
            .query_row(
                "SELECT name, location, tags, managed_by, deleting FROM resource_groups
                 WHERE subscription = ?1 AND key = ?2",
                params![subscription, fold(name)],
                group_row,
            )
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
        let mut statement = self.conn.prepare(
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
            .query_row(
                "SELECT name, body, etag FROM entities
                 WHERE subscription = ?1 AND grp = ?2 AND factory = ?3 AND kind = ?4 AND key = ?5",
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

    /// One page of a factory's entities of a kind (in creation order), and how many there are
    /// in all: a list page costs its own rows, not the whole collection.
    pub fn entities_page(
        &self,
        scope: &Scope,
        kind: Kind,
        offset: usize,
        limit: usize,
    ) -> rusqlite::Result<(Vec<EntityRow>, usize)> {
        let total: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM entities
             WHERE subscription = ?1 AND grp = ?2 AND factory = ?3 AND kind = ?4",
            params![
                scope.subscription,
                scope.group,
                scope.factory,
                kind.address_prefix()
            ],
            |row| row.get(0),
        )?;
        let mut statement = self.conn.prepare(
            "SELECT name, body, etag FROM entities
             WHERE subscription = ?1 AND grp = ?2 AND factory = ?3 AND kind = ?4
             ORDER BY seq LIMIT ?5 OFFSET ?6",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let rows = statement.query_map(
            params![
                scope.subscription,
                scope.group,
                scope.factory,
                kind.address_prefix(),
                limit,
                offset
            ],
            entity_row,
        )?;
        let rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((rows, usize::try_from(total).unwrap_or(0)))
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
        self.conn.execute(
            "INSERT INTO entities(subscription, grp, factory, kind, key, name, body, etag, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT(subscription, grp, factory, kind, key) DO UPDATE SET
               body = excluded.body, etag = excluded.etag",
            params![
                scope.subscription,
                scope.group,
                scope.factory,
                kind.address_prefix(),
                fold(name),
                name,
                body.to_string(),
                etag,
                seq
            ],
        )?;
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
        // Informational only; a leftover file after kill -9 is harmless (the lock is SQLite's).
        let pid_file = self.dir.join(PID_FILE);
        if read_pid(&self.dir) == Some(std::process::id()) {
            let _ = std::fs::remove_file(pid_file);
        }
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

fn entity_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<EntityRow> {
    Ok(EntityRow {
        name: row.get(0)?,
        body: json_column(row, 1)?,
        etag: row.get(2)?,
    })
}
