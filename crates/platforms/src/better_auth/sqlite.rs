//! better-auth on SQLite (what its Kysely adapter over better-sqlite3 reads): booleans as 0/1
//! integers, dates as ISO-8601 text with milliseconds and `Z`.

use super::mapping::{UserRows, Val};
use super::schema::{
    ACCOUNT_WRITES, FoundColumn, Inspected, Kind, TABLES, TWO_FACTOR_WRITES, USER_WRITES,
};
use super::store::{
    Decision, LookupKeys, RowFilter, Store, Taken, TextQuery, WriteColumns, outcomes, rejection,
};
use authferry_core::{SinkError, WriteOutcome};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql, TransactionBehavior, params_from_iter};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// SQLite accepts 32766 parameters per statement; a few hundred keep statements small.
const LOOKUP_CHUNK: usize = 500;

pub(crate) struct SqliteStore {
    path: PathBuf,
    /// `None` until the file exists: `open` never creates it, so `plan` leaves no trace.
    conn: Option<Connection>,
    /// The file's mode allowed others to read it when we found it.
    readable_by_others: Option<u32>,
}

impl ToSql for Val<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            Val::Null => ToSqlOutput::Owned(Value::Null),
            Val::Text(s) | Val::Date(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Val::Bool(b) => ToSqlOutput::Owned(Value::Integer(b as i64)),
            Val::Int(i) => ToSqlOutput::Owned(Value::Integer(i)),
        })
    }
}

fn backend(e: rusqlite::Error) -> SinkError {
    SinkError::Backend(format!("SQLite: {e}"))
}

/// A refusal of this row's data, as opposed to a failing database.
fn is_row_error(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::ConstraintViolation | rusqlite::ErrorCode::TypeMismatch)
    )
}

fn insert_sql(table: &str, all: &[&str], positions: &[usize]) -> String {
    let names: Vec<String> = positions
        .iter()
        .map(|&i| format!("\"{}\"", all[i]))
        .collect();
    let marks: Vec<String> = (1..=positions.len()).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO \"{table}\" ({}) VALUES ({})",
        names.join(", "),
        marks.join(", ")
    )
}

struct InsertSql {
    user: String,
    account: String,
    two_factor: String,
}

impl InsertSql {
    fn new(columns: &WriteColumns<'_>) -> Self {
        InsertSql {
            user: insert_sql("user", &USER_WRITES, columns.user),
            account: insert_sql("account", &ACCOUNT_WRITES, columns.account),
            two_factor: insert_sql("twoFactor", &TWO_FACTOR_WRITES, columns.two_factor),
        }
    }
}

fn insert_user(
    conn: &Connection,
    sql: &InsertSql,
    columns: &WriteColumns<'_>,
    rows: &UserRows,
) -> rusqlite::Result<()> {
    let values = rows.user_values();
    conn.prepare_cached(&sql.user)?
        .execute(params_from_iter(columns.user.iter().map(|&i| values[i])))?;
    for account in &rows.accounts {
        let values = rows.account_values(account);
        conn.prepare_cached(&sql.account)?
            .execute(params_from_iter(columns.account.iter().map(|&i| values[i])))?;
    }
    if let Some(tf) = &rows.two_factor
        && !columns.two_factor.is_empty()
    {
        let values = rows.two_factor_values(tf);
        conn.prepare_cached(&sql.two_factor)?
            .execute(params_from_iter(
                columns.two_factor.iter().map(|&i| values[i]),
            ))?;
    }
    Ok(())
}

/// `(key, value)` pairs of `SELECT key, value FROM table WHERE key IN (…)`.
fn select_in(
    conn: &Connection,
    sql_prefix: &str,
    keys: &[String],
    into: &mut HashMap<String, String>,
) -> rusqlite::Result<()> {
    for chunk in keys.chunks(LOOKUP_CHUNK) {
        let marks = vec!["?"; chunk.len()].join(",");
        let mut stmt = conn.prepare_cached(&format!("{sql_prefix} IN ({marks})"))?;
        let mut rows = stmt.query(params_from_iter(chunk.iter()))?;
        while let Some(row) = rows.next()? {
            let (k, v): (Option<String>, Option<String>) = (row.get(0)?, row.get(1)?);
            if let (Some(k), Some(v)) = (k, v) {
                into.insert(k, v);
            }
        }
    }
    Ok(())
}

fn lookup(conn: &Connection, keys: &LookupKeys) -> rusqlite::Result<Taken> {
    let mut taken = Taken::default();
    select_in(
        conn,
        "SELECT \"id\", \"email\" FROM \"user\" WHERE \"id\"",
        &keys.ids,
        &mut taken.ids,
    )?;
    select_in(
        conn,
        "SELECT \"email\", \"id\" FROM \"user\" WHERE \"email\"",
        &keys.emails,
        &mut taken.emails,
    )?;
    if !keys.usernames.is_empty() {
        select_in(
            conn,
            "SELECT \"username\", \"id\" FROM \"user\" WHERE \"username\"",
            &keys.usernames,
            &mut taken.usernames,
        )?;
    }
    if !keys.phones.is_empty() {
        select_in(
            conn,
            "SELECT \"phoneNumber\", \"id\" FROM \"user\" WHERE \"phoneNumber\"",
            &keys.phones,
            &mut taken.phones,
        )?;
    }
    Ok(taken)
}

/// One transaction (IMMEDIATE: the write lock is ours from the lookup on, so nobody inserts in
/// between): the decisions (from the lookup of `keys`, or from nothing taken), the inserts,
/// the commit. `None` when the database refused a row: the transaction is then rolled back (on
/// drop) and nothing of it is written.
fn bulk<'m>(
    conn: &mut Connection,
    sql: &InsertSql,
    keys: Option<&LookupKeys>,
    columns: &WriteColumns<'_>,
    decide: &mut dyn FnMut(&Taken) -> Vec<Decision<'m>>,
) -> Result<Option<Vec<WriteOutcome>>, SinkError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    let taken = match keys {
        Some(keys) => lookup(&tx, keys).map_err(backend)?,
        None => Taken::default(),
    };
    let decisions = decide(&taken);
    for d in &decisions {
        if let Decision::Insert(rows) = d {
            match insert_user(&tx, sql, columns, rows) {
                Ok(()) => {}
                Err(e) if is_row_error(&e) => return Ok(None),
                Err(e) => return Err(backend(e)),
            }
        }
    }
    tx.commit().map_err(backend)?;
    Ok(Some(outcomes(decisions, |_| None)))
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<Self, SinkError> {
        let mut readable_by_others = None;
        let conn = if path.exists() {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    readable_by_others = Some(mode);
                }
            }
            // Read-write without CREATE: opening changes nothing until we write.
            Some(open_connection(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?)
        } else {
            None
        };
        Ok(SqliteStore {
            path: path.to_path_buf(),
            conn,
            readable_by_others,
        })
    }

    fn conn(&mut self) -> Result<&mut Connection, SinkError> {
        self.conn.as_mut().ok_or_else(|| {
            SinkError::Config("the target is not prepared (prepare() creates it)".into())
        })
    }
}

fn open_connection(path: &Path, flags: OpenFlags) -> Result<Connection, SinkError> {
    let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| SinkError::Connect(format!("{}: {e}", path.display())))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(backend)?;
    // Lookups in chunks of several sizes plus the three inserts: room for all of them.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl Store for SqliteStore {
    fn instance(&mut self) -> Option<String> {
        authferry_core::io::file_identity(&self.path)
    }

    fn inspect(&mut self) -> Result<Inspected, SinkError> {
        let mut inspected = Inspected::new();
        let Some(conn) = self.conn.as_ref() else {
            return Ok(inspected);
        };
        let mut stmt = conn
            .prepare(
                "SELECT name, type, \"notnull\", dflt_value IS NOT NULL, pk FROM pragma_table_info(?1)",
            )
            .map_err(backend)?;
        // Columns with a unique index of their own (not partial, one column).
        let mut unique_stmt = conn
            .prepare(
                "SELECT ii.name FROM pragma_index_list(?1) AS il \
                 JOIN pragma_index_info(il.name) AS ii \
                 WHERE il.\"unique\" = 1 AND il.partial = 0 \
                   AND (SELECT count(*) FROM pragma_index_info(il.name)) = 1",
            )
            .map_err(backend)?;
        for table in TABLES {
            let unique: Vec<String> = unique_stmt
                .query_map([table.name], |row| row.get(0))
                .and_then(|rows| rows.collect())
                .map_err(backend)?;
            let columns: Vec<FoundColumn> = stmt
                .query_map([table.name], |row| {
                    let name: String = row.get(0)?;
                    let pk: i64 = row.get(4)?;
                    let has_default: bool = row.get(3)?;
                    Ok(FoundColumn {
                        unique: unique.iter().any(|u| u.eq_ignore_ascii_case(&name)),
                        name,
                        type_name: row.get(1)?,
                        not_null: row.get(2)?,
                        // An INTEGER PRIMARY KEY is the rowid: SQLite fills it.
                        filled_by_database: has_default || pk > 0,
                    })
                })
                .and_then(|rows| rows.collect())
                .map_err(backend)?;
            if !columns.is_empty() {
                inspected.insert(table.name.to_string(), columns);
            }
        }
        Ok(inspected)
    }

    fn create_tables(&mut self, statements: &[String]) -> Result<(), SinkError> {
        if self.conn.is_none() {
            // The file will hold password digests: owner-only from its first byte.
            authferry_core::io::precreate_private(&self.path)?;
            self.conn = Some(open_connection(
                &self.path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
            )?);
        }
        let conn = self.conn()?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(backend)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(backend)?;
        // 16 MiB of page cache (the default is 2 MiB): more of the unique indexes stay in
        // memory between batches.
        conn.pragma_update(None, "cache_size", -16384)
            .map_err(backend)?;
        // Each batch dirties index pages all over the file (emails and row ids are random), so
        // the WAL is copied back far less often than SQLite's default of every 1000 pages:
        // a page rewritten by many batches is checkpointed once (1M users: 56 s → 37 s here).
        // `finish` checkpoints and truncates the WAL.
        conn.pragma_update(None, "wal_autocheckpoint", 50_000)
            .map_err(backend)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend)?;
        for statement in statements {
            tx.execute_batch(statement).map_err(backend)?;
        }
        tx.commit().map_err(backend)
    }

    fn lookup(&mut self, keys: &LookupKeys) -> Result<Taken, SinkError> {
        match self.conn.as_ref() {
            None => Ok(Taken::default()),
            Some(conn) => lookup(conn, keys).map_err(backend),
        }
    }

    fn write<'m>(
        &mut self,
        keys: &LookupKeys,
        columns: &WriteColumns<'_>,
        decide: &mut dyn FnMut(&Taken) -> Vec<Decision<'m>>,
    ) -> Result<Vec<WriteOutcome>, SinkError> {
        let sql = InsertSql::new(columns);
        let conn = self.conn()?;
        // A first run meets an empty target: when the unique constraints would refuse any
        // identifier already taken, inserts that go through prove every record new, and the
        // lookup is only needed when they do not.
        if columns.conflicts_fail_inserts
            && let Some(done) = bulk(conn, &sql, None, columns, decide)?
        {
            return Ok(done);
        }
        if let Some(done) = bulk(conn, &sql, Some(keys), columns, decide)? {
            return Ok(done);
        }
        // A row the lookup could not foresee (a constraint or trigger of the app's own): row by
        // row, each in a savepoint, so that it fails alone.
        let mut tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend)?;
        let decisions = decide(&lookup(&tx, keys).map_err(backend)?);
        let mut refusals = HashMap::new();
        for (i, d) in decisions.iter().enumerate() {
            if let Decision::Insert(rows) = d {
                let sp = tx.savepoint().map_err(backend)?;
                match insert_user(&sp, &sql, columns, rows) {
                    Ok(()) => sp.commit().map_err(backend)?,
                    Err(e) if is_row_error(&e) => {
                        refusals.insert(i, rejection(&e.to_string()));
                        // Dropping the savepoint rolls this row back.
                    }
                    Err(e) => return Err(backend(e)),
                }
            }
        }
        tx.commit().map_err(backend)?;
        Ok(outcomes(decisions, |i| refusals.remove(&i)))
    }

    fn stored_backup_codes(
        &mut self,
        user_ids: &[&str],
    ) -> Result<HashMap<String, String>, SinkError> {
        let mut out = HashMap::new();
        if let Some(conn) = self.conn.as_ref() {
            let ids: Vec<String> = user_ids.iter().map(|s| s.to_string()).collect();
            select_in(
                conn,
                "SELECT \"userId\", \"backupCodes\" FROM \"twoFactor\" WHERE \"userId\"",
                &ids,
                &mut out,
            )
            .map_err(backend)?;
        }
        Ok(out)
    }

    fn read_text(&mut self, query: &TextQuery<'_>) -> Result<Vec<Vec<Option<String>>>, SinkError> {
        let conn = self.conn()?;
        let select: Vec<String> = query
            .columns
            .iter()
            .map(|(name, kind)| match kind {
                Kind::Bool => format!(
                    "CASE WHEN \"{name}\" IS NULL THEN NULL WHEN \"{name}\" THEN 'true' ELSE 'false' END"
                ),
                _ => format!("CAST(\"{name}\" AS TEXT)"),
            })
            .collect();
        let base = format!("SELECT {} FROM \"{}\"", select.join(", "), query.table);
        let width = query.columns.len();
        let collect = |stmt: &mut rusqlite::Statement<'_>, params: Vec<&str>| {
            let mut out = Vec::new();
            let mut rows = stmt.query(params_from_iter(params))?;
            while let Some(row) = rows.next()? {
                out.push(
                    (0..width)
                        .map(|i| row.get::<_, Option<String>>(i))
                        .collect::<rusqlite::Result<Vec<_>>>()?,
                );
            }
            Ok::<_, rusqlite::Error>(out)
        };
        let rows = match &query.rows {
            RowFilter::Page { after, limit } => {
                let sql = match after {
                    Some(_) => format!("{base} WHERE \"id\" > ?1 ORDER BY \"id\" LIMIT {limit}"),
                    None => format!("{base} ORDER BY \"id\" LIMIT {limit}"),
                };
                let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
                collect(&mut stmt, after.iter().copied().collect()).map_err(backend)?
            }
            RowFilter::OfUsers(ids) => {
                let mut out = Vec::new();
                for chunk in ids.chunks(LOOKUP_CHUNK) {
                    let marks = vec!["?"; chunk.len()].join(",");
                    let sql = format!("{base} WHERE \"userId\" IN ({marks}) ORDER BY \"id\"");
                    let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
                    out.extend(
                        collect(&mut stmt, chunk.iter().map(String::as_str).collect())
                            .map_err(backend)?,
                    );
                }
                out
            }
        };
        Ok(rows)
    }

    fn finish(&mut self) -> Result<Vec<String>, SinkError> {
        let mut notes = Vec::new();
        if let Some(conn) = self.conn.as_ref() {
            // Fold the WAL into the main file, so the database is complete on its own.
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .map_err(backend)?;
        }
        if let Some(mode) = self.readable_by_others {
            notes.push(format!(
                "{} has mode {mode:o}: other users of this machine can read it, and it now holds password digests (chmod 600 it)",
                self.path.display()
            ));
        }
        Ok(notes)
    }
}
