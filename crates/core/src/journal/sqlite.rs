//! The embedded journal store: one SQLite file (WAL, `synchronous=FULL` so that a committed
//! outcome survives power loss, a busy timeout for readers), and `PATH.lock`, held
//! exclusively by the one run that writes it.
//!
//! Identifier claims are log-structured. Their keys are random, so inserting each into one
//! B-tree dirties a page of it per key, and once that tree outgrows what a commit can share,
//! every commit writes thousands of 4 KiB pages to the WAL: 7 GB for a million users, the one
//! cost that grew faster than the input. Instead the claims of a commit are appended to
//! `identifier_log` as one row (a blob of key and holder pairs: a few pages, one statement)
//! and kept in an in-memory map of the log; when that map reaches [`MERGE_AT`] keys, one
//! commit moves them into `identifiers` in
//! key order, which touches each of its leaf pages at most once. Only one process writes (the
//! file lock), so the map is the log's exact image; it is reloaded from the log on open. A
//! Bloom filter over `identifiers` ([`KeyFilter`]) spares a new key (the common case) its
//! look-up there.

use super::key_filter::KeyFilter;
use super::{
    Claim, ClaimRecord, Collision, IdentifierClaim, JournalError, JournalRecord, JournalStore,
    OutcomeRow, Row, StoreTx, decide, journal_record,
};
use crate::io::{precreate_private, restrict_permissions};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

const SCHEMA_VERSION: &str = "3";
/// The format before the identifier log: the same tables but `identifier_log`, which
/// opening adds (a journal of format 2 is one of format 3 with an empty log).
const SCHEMA_VERSION_UPGRADABLE: &str = "2";

/// Keys the identifier log's map is made for: as many as 2¹⁹ buckets hold (16 bytes each,
/// 8 MiB). The log is merged at [`MERGE_AT`], leaving room for the claims of one commit, so the
/// map never grows.
const RECENT_CAPACITY: usize = (1 << 19) / 8 * 7;
const MERGE_AT: usize = RECENT_CAPACITY - (1 << 16);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sources (id INTEGER PRIMARY KEY, spelling TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, started_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    n INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    source_ref INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    owner INTEGER NOT NULL,
    reason_code TEXT,
    reason TEXT,
    target_id TEXT,
    ticket TEXT,
    version INTEGER
);
CREATE INDEX IF NOT EXISTS records_position ON records (source_ref, seq);
-- holder: the records row (its number, not its id: the table stays small, so a batch's random
-- keys dirty fewer pages).
CREATE TABLE IF NOT EXISTS identifiers (key INTEGER PRIMARY KEY, holder INTEGER NOT NULL);
-- Identifier claims not yet merged into `identifiers`: per commit, its (key, holder) pairs as
-- 16 little-endian bytes each.
CREATE TABLE IF NOT EXISTS identifier_log (n INTEGER PRIMARY KEY, pairs BLOB NOT NULL);
";

pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    run: i64,
    /// Row numbers of the records this run holds and has not settled: their outcomes update
    /// rows appended moments ago (hot pages) instead of searching the key index again.
    held: HashMap<String, i64>,
    /// The identifier log (`identifier_log`) as a map: key → holder row.
    recent: HashMap<i64, i64>,
    /// The claims of the open transaction, also in `recent`: logged by its commit, taken out
    /// of `recent` again if it never commits.
    recent_uncommitted: Vec<(i64, i64)>,
    /// Which keys `identifiers` may hold; built at the first identifier claim.
    filter: Option<KeyFilter>,
    /// [`MERGE_AT`], smaller in tests.
    merge_at: usize,
    /// Held for the life of the run: the lock file, whose exclusive lock is the run's claim.
    _lock: Option<File>,
}

fn sqlite_err(path: &Path) -> impl Fn(rusqlite::Error) -> JournalError + '_ {
    move |e| JournalError::Sqlite {
        path: path.display().to_string(),
        source: e,
    }
}

/// Takes `PATH.lock` exclusively and writes this process's pid into it; refuses when another
/// process holds it, naming that process.
fn lock(path: &Path) -> Result<File, JournalError> {
    let lock_path = PathBuf::from(format!("{}.lock", path.display()));
    let io = |e| JournalError::Io {
        path: lock_path.display().to_string(),
        source: e,
    };
    let mut file = crate::io::open_private(
        &lock_path,
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
    )
    .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(JournalError::Locked {
                path: path.display().to_string(),
                holder: if holder.is_empty() {
                    "a process that has not written its pid yet".into()
                } else {
                    holder.to_string()
                },
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    writeln!(file, "pid {} since {}", std::process::id(), now_utc()).map_err(io)?;
    file.flush().map_err(io)?;
    Ok(file)
}

/// Creates the journal file owner-only when absent, before SQLite opens it.
fn create_private(path: &Path) -> Result<(), JournalError> {
    precreate_private(path).map_err(|e| JournalError::Io {
        path: path.display().to_string(),
        source: e,
    })
}

fn now_utc() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl SqliteStore {
    /// Opens (creating it 0600 when absent) the journal at `path`; with `run`, takes the lock
    /// and starts a run in it.
    pub fn open(path: &Path, run: bool) -> Result<SqliteStore, JournalError> {
        if run {
            create_private(path)?;
        }
        let lock = if run { Some(lock(path)?) } else { None };
        // 8 MiB of page cache: what a run touches is the tail of `records` and the pages a
        // merge or a filter's false positive reaches (the identifier log is in memory).
        let mut store = SqliteStore::connect(
            path,
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-8192; PRAGMA wal_autocheckpoint=20000;",
            lock,
        )?;
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", path.display()));
            if side.exists() {
                let _ = restrict_permissions(&side);
            }
        }
        if run {
            store
                .conn
                .execute(
                    "INSERT INTO runs (pid, started_at) VALUES (?1, ?2)",
                    params![std::process::id() as i64, crate::model::Timestamp::now().0],
                )
                .map_err(sqlite_err(path))?;
            store.run = store.conn.last_insert_rowid();
        }
        Ok(store)
    }

    /// A journal for one plan: no durability, no lock, deleted by its owner.
    pub fn open_temporary(path: &Path) -> Result<SqliteStore, JournalError> {
        create_private(path)?;
        let mut store = SqliteStore::connect(
            path,
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;",
            None,
        )?;
        store.run = 1;
        Ok(store)
    }

    /// Opens the database with `pragmas` and makes sure it is a journal of this format.
    fn connect(
        path: &Path,
        pragmas: &str,
        lock: Option<File>,
    ) -> Result<SqliteStore, JournalError> {
        let conn = Connection::open(path).map_err(sqlite_err(path))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(sqlite_err(path))?;
        conn.execute_batch(pragmas).map_err(sqlite_err(path))?;
        let mut store = SqliteStore {
            conn,
            path: path.to_path_buf(),
            run: 0,
            held: HashMap::new(),
            recent: HashMap::with_capacity(RECENT_CAPACITY),
            recent_uncommitted: Vec::new(),
            filter: None,
            merge_at: MERGE_AT,
            _lock: lock,
        };
        store.create_schema()?;
        store.load_recent()?;
        Ok(store)
    }

    /// Creates the tables in a new journal; refuses a database that is not a journal of this
    /// format (an application's database given as --journal, or an older journal).
    fn create_schema(&mut self) -> Result<(), JournalError> {
        let err = sqlite_err(&self.path);
        let tables: Vec<String> = self
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(&err)?;
        let incompatible = |message: &str| JournalError::Incompatible {
            path: self.path.display().to_string(),
            message: message.to_string(),
        };
        if !tables.is_empty() {
            if !tables.iter().any(|t| t == "meta") {
                return Err(incompatible(
                    "this database is not an authferry journal (it has tables of its own); pass another --journal",
                ));
            }
            let version: Option<String> = self
                .conn
                .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(&err)?;
            if version.as_deref() != Some(SCHEMA_VERSION)
                && version.as_deref() != Some(SCHEMA_VERSION_UPGRADABLE)
            {
                return Err(incompatible(
                    "this journal was written by an earlier authferry, which numbered records by position; \
                     finish that migration with the version that started it, or start a new --journal \
                     (targets are written idempotently, so users already there are reported as already present)",
                ));
            }
        }
        self.conn.execute_batch(SCHEMA).map_err(&err)?;
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES ('schema', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [SCHEMA_VERSION],
            )
            .map_err(&err)?;
        Ok(())
    }

    /// Reads the identifier log into its map.
    fn load_recent(&mut self) -> Result<(), JournalError> {
        let err = sqlite_err(&self.path);
        let mut stmt = self
            .conn
            .prepare("SELECT pairs FROM identifier_log")
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, Vec<u8>>(0))
            .map_err(&err)?;
        for row in rows {
            for pair in row.map_err(&err)?.chunks_exact(16) {
                let (key, holder) = pair.split_at(8);
                self.recent.insert(
                    i64::from_le_bytes(key.try_into().expect("8 bytes")),
                    i64::from_le_bytes(holder.try_into().expect("8 bytes")),
                );
            }
        }
        Ok(())
    }
}

impl JournalStore for SqliteStore {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn run_id(&self) -> i64 {
        self.run
    }

    fn meta(&mut self, key: &str) -> Result<Option<String>, JournalError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(sqlite_err(&self.path))
    }

    fn meta_or_insert(&mut self, key: &str, value: &str) -> Result<String, JournalError> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
                params![key, value],
            )
            .map_err(sqlite_err(&self.path))?;
        Ok(self.meta(key)?.unwrap_or_default())
    }

    fn source_ref(&mut self, spelling: &str) -> Result<i64, JournalError> {
        let err = sqlite_err(&self.path);
        self.conn
            .execute(
                "INSERT OR IGNORE INTO sources (spelling) VALUES (?1)",
                [spelling],
            )
            .map_err(&err)?;
        self.conn
            .query_row(
                "SELECT id FROM sources WHERE spelling = ?1",
                [spelling],
                |r| r.get(0),
            )
            .map_err(&err)
    }

    fn positions(
        &mut self,
        source_ref: i64,
        from: u64,
        to: u64,
    ) -> Result<HashMap<u64, String>, JournalError> {
        let err = sqlite_err(&self.path);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, key FROM records WHERE source_ref = ?1 AND seq BETWEEN ?2 AND ?3",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(params![source_ref, from as i64, to as i64], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?))
            })
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(&err)
    }

    fn begin(&mut self) -> Result<Box<dyn StoreTx + '_>, JournalError> {
        let path = self.path.clone();
        // A transaction that ended without committing took its log rows with it.
        for (key, _) in self.recent_uncommitted.drain(..) {
            self.recent.remove(&key);
        }
        let tx = self.conn.transaction().map_err(sqlite_err(&path))?;
        Ok(Box::new(SqliteTx {
            tx,
            path,
            run: self.run,
            held: &mut self.held,
            recent: &mut self.recent,
            recent_uncommitted: &mut self.recent_uncommitted,
            filter: &mut self.filter,
            merge_at: self.merge_at,
        }))
    }

    fn counts_by_source(&mut self) -> Result<Vec<(String, String, u64)>, JournalError> {
        let err = sqlite_err(&self.path);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT s.spelling, r.state, count(*) FROM records r JOIN sources s ON s.id = r.source_ref
                 GROUP BY s.id, r.state ORDER BY s.id, r.state",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64))
            })
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(&err)
    }

    fn record(&mut self, key: &str) -> Result<Option<JournalRecord>, JournalError> {
        let err = sqlite_err(&self.path);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT key, seq, state, reason_code, reason, target_id FROM records WHERE key = ?1",
            )
            .map_err(&err)?;
        let mut rows = stmt.query([key]).map_err(&err)?;
        let Some(r) = rows.next().map_err(&err)? else {
            return Ok(None);
        };
        let state: String = r.get(2).map_err(&err)?;
        Ok(Some(journal_record(
            r.get(0).map_err(&err)?,
            r.get::<_, i64>(1).map_err(&err)? as u64,
            &state,
            r.get(3).map_err(&err)?,
            r.get(4).map_err(&err)?,
            r.get(5).map_err(&err)?,
        )))
    }

    fn for_each_record(&mut self, f: &mut dyn FnMut(JournalRecord)) -> Result<(), JournalError> {
        let err = sqlite_err(&self.path);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT key, seq, state, reason_code, reason, target_id FROM records ORDER BY source_ref, seq",
            )
            .map_err(&err)?;
        let mut rows = stmt.query([]).map_err(&err)?;
        while let Some(r) = rows.next().map_err(&err)? {
            let state: String = r.get(2).map_err(&err)?;
            f(journal_record(
                r.get(0).map_err(&err)?,
                r.get::<_, i64>(1).map_err(&err)? as u64,
                &state,
                r.get(3).map_err(&err)?,
                r.get(4).map_err(&err)?,
                r.get(5).map_err(&err)?,
            ));
        }
        Ok(())
    }
}

struct SqliteTx<'a> {
    tx: rusqlite::Transaction<'a>,
    path: PathBuf,
    run: i64,
    held: &'a mut HashMap<String, i64>,
    recent: &'a mut HashMap<i64, i64>,
    recent_uncommitted: &'a mut Vec<(i64, i64)>,
    filter: &'a mut Option<KeyFilter>,
    merge_at: usize,
}

impl SqliteTx<'_> {
    /// The filter over `identifiers`, built from the table when this run has none yet.
    fn filter(&mut self) -> Result<&KeyFilter, JournalError> {
        if self.filter.is_none() {
            let err = sqlite_err(&self.path);
            let count: i64 = self
                .tx
                .query_row("SELECT count(*) FROM identifiers", [], |r| r.get(0))
                .map_err(&err)?;
            let mut filter = KeyFilter::for_keys(count as usize);
            let mut stmt = self
                .tx
                .prepare("SELECT key FROM identifiers")
                .map_err(&err)?;
            let mut rows = stmt.query([]).map_err(&err)?;
            while let Some(row) = rows.next().map_err(&err)? {
                filter.insert(row.get(0).map_err(&err)?);
            }
            *self.filter = Some(filter);
        }
        Ok(self.filter.as_ref().expect("built above"))
    }

    fn err(&self, e: rusqlite::Error) -> JournalError {
        JournalError::Sqlite {
            path: self.path.display().to_string(),
            source: e,
        }
    }
}

impl StoreTx for SqliteTx<'_> {
    fn claim_records(
        &mut self,
        source_ref: i64,
        records: &[ClaimRecord<'_>],
    ) -> Result<Vec<Claim>, JournalError> {
        let me = self.run;
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            let (seq, key, version) = (&r.seq, r.key, r.version);
            // The common case, a record never seen, is one statement.
            let inserted = self
                .tx
                .prepare_cached(
                    "INSERT INTO records (key, source_ref, seq, state, owner, version) VALUES (?1, ?2, ?3, 'pending', ?4, ?5)
                     ON CONFLICT(key) DO NOTHING",
                )
                .and_then(|mut s| s.execute(params![key, source_ref, *seq as i64, me, version]))
                .map_err(|e| self.err(e))?;
            if inserted == 1 {
                self.held
                    .insert(key.to_string(), self.tx.last_insert_rowid());
                out.push(Claim::Fresh);
                continue;
            }
            let row = self
                .tx
                .prepare_cached(
                    "SELECT source_ref, seq, state, owner, target_id, ticket, version, n FROM records WHERE key = ?1",
                )
                .and_then(|mut s| {
                    s.query_row([key], |r| {
                        Ok((r.get::<_, i64>(7)?, Row {
                            key: key.to_string(),
                            source_ref: r.get(0)?,
                            seq: r.get::<_, i64>(1)? as u64,
                            state: r.get(2)?,
                            owner: r.get(3)?,
                            target_id: r.get(4)?,
                            ticket: r.get(5)?,
                            version: r.get(6)?,
                        }))
                    })
                })
                .map_err(|e| self.err(e))?;
            let (n, row) = row;
            // The file lock means no other run is alive.
            let claim = decide(&row, me, source_ref, *seq, &|_| false);
            if claim.held() {
                self.tx
                    .prepare_cached(
                        "UPDATE records SET owner = ?2, source_ref = ?3, seq = ?4, version = ?5,
                           state = CASE state WHEN 'submitted' THEN 'submitted' ELSE 'pending' END,
                           ticket = CASE state WHEN 'submitted' THEN ticket END,
                           reason_code = NULL, reason = NULL, target_id = NULL WHERE n = ?1",
                    )
                    .and_then(|mut s| s.execute(params![n, me, source_ref, *seq as i64, version]))
                    .map_err(|e| self.err(e))?;
                self.held.insert(key.to_string(), n);
            }
            out.push(claim);
        }
        Ok(out)
    }

    fn claim_identifiers(
        &mut self,
        wants: &[IdentifierClaim<'_>],
    ) -> Result<Vec<Option<Collision>>, JournalError> {
        // One writer (the file lock): each record in turn, the common case (a new identifier)
        // one statement per key; a collision pays for a look-up and gives back the record's
        // fresh claims. Same answers as `assign_identifiers`.
        let mut collisions = Vec::with_capacity(wants.len());
        for want in wants {
            let me = match self.held.get(want.source_id) {
                Some(n) => *n,
                None => self
                    .tx
                    .prepare_cached("SELECT n FROM records WHERE key = ?1")
                    .and_then(|mut s| s.query_row([want.source_id], |r| r.get(0)))
                    .map_err(|e| self.err(e))?,
            };
            let mut fresh = Vec::with_capacity(want.keys.len());
            let mut collision = None;
            for (i, key) in want.keys.iter().enumerate() {
                let holder = match self.recent.get(key).copied() {
                    Some(holder) => Some(holder),
                    None if !self.filter()?.may_contain(*key) => None,
                    None => self
                        .tx
                        .prepare_cached("SELECT holder FROM identifiers WHERE key = ?1")
                        .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
                        .map_err(|e| self.err(e))?,
                };
                match holder {
                    None => {
                        self.recent.insert(*key, me);
                        self.recent_uncommitted.push((*key, me));
                        fresh.push(*key);
                    }
                    Some(holder) if holder != me => {
                        collision = Some((holder, i));
                        break;
                    }
                    Some(_) => {}
                }
            }
            if collision.is_some() {
                // (The last claims of the transaction are this record's.)
                let kept = self.recent_uncommitted.len() - fresh.len();
                self.recent_uncommitted.truncate(kept);
                for key in fresh {
                    self.recent.remove(&key);
                }
            }
            collisions.push(match collision {
                None => None,
                Some((holder, index)) => {
                    let (key, seq): (String, i64) = self
                        .tx
                        .prepare_cached("SELECT key, seq FROM records WHERE n = ?1")
                        .and_then(|mut s| s.query_row([holder], |r| Ok((r.get(0)?, r.get(1)?))))
                        .map_err(|e| self.err(e))?;
                    Some(Collision {
                        holder_seq: seq as u64,
                        holder_id: (!super::is_positional(&key)).then_some(key),
                        index,
                    })
                }
            });
        }
        Ok(collisions)
    }

    fn outcome(&mut self, source_ref: i64, row: OutcomeRow) -> Result<(), JournalError> {
        let code = row.reason.as_ref().map(|r| r.code.as_str());
        let message = row.reason.as_ref().map(|r| r.message.as_str());
        let seq = row.seq as i64;
        // One list of values for both statements: ?1 is the key, ?10 the row number.
        let values: [&dyn rusqlite::ToSql; 9] = [
            &row.key,
            &source_ref,
            &seq,
            &row.state,
            &self.run,
            &code,
            &message,
            &row.target_id,
            &row.ticket,
        ];
        if let Some(n) = self.held.get(&row.key).copied() {
            if row.state != "submitted" {
                self.held.remove(&row.key);
            }
            let [a, b, c, d, e, f, g, h, i] = values;
            let by_number: [&dyn rusqlite::ToSql; 10] = [a, b, c, d, e, f, g, h, i, &n];
            let updated = self
                .tx
                .prepare_cached(
                    "UPDATE records SET source_ref = ?2, seq = ?3, state = ?4, owner = ?5,
                       reason_code = ?6, reason = ?7, target_id = ?8, ticket = ?9
                     WHERE n = ?10 AND key = ?1",
                )
                .and_then(|mut s| s.execute(by_number))
                .map_err(|e| self.err(e))?;
            if updated == 1 {
                return Ok(());
            }
        }
        self.tx
            .prepare_cached(
                "INSERT INTO records (key, source_ref, seq, state, owner, reason_code, reason, target_id, ticket)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT(key) DO UPDATE SET source_ref = excluded.source_ref, seq = excluded.seq,
                   state = excluded.state, owner = excluded.owner, reason_code = excluded.reason_code,
                   reason = excluded.reason, target_id = excluded.target_id, ticket = excluded.ticket",
            )
            .and_then(|mut s| s.execute(values))
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<(), JournalError> {
        let merge = self.recent.len() >= self.merge_at;
        // A merge takes this commit's claims with the rest of the map: no log row for them.
        if !merge && !self.recent_uncommitted.is_empty() {
            let pairs: Vec<u8> = self
                .recent_uncommitted
                .iter()
                .flat_map(|(key, holder)| key.to_le_bytes().into_iter().chain(holder.to_le_bytes()))
                .collect();
            self.tx
                .prepare_cached("INSERT INTO identifier_log (pairs) VALUES (?1)")
                .and_then(|mut s| s.execute([pairs]))
                .map_err(|e| self.err(e))?;
        }
        if merge {
            // In key order, so that each leaf page of `identifiers` is written once.
            let mut rows: Vec<(i64, i64)> = self
                .recent
                .iter()
                .map(|(k, holder)| (*k, *holder))
                .collect();
            rows.sort_unstable();
            {
                let mut insert = self
                    .tx
                    .prepare_cached("INSERT INTO identifiers (key, holder) VALUES (?1, ?2)")
                    .map_err(|e| self.err(e))?;
                for (key, holder) in &rows {
                    insert.execute([key, holder]).map_err(|e| self.err(e))?;
                }
            }
            self.tx
                .execute("DELETE FROM identifier_log", [])
                .map_err(|e| self.err(e))?;
            // Before the commit: a key in the filter that the table lacks (if the commit
            // fails) costs only a look-up.
            match self.filter.as_mut() {
                Some(filter) if filter.has_room_for(rows.len()) => {
                    rows.iter().for_each(|(key, _)| filter.insert(*key))
                }
                _ => *self.filter = None,
            }
        }
        let path = self.path.display().to_string();
        self.tx
            .commit()
            .map_err(|e| JournalError::Sqlite { path, source: e })?;
        self.recent_uncommitted.clear();
        if merge {
            self.recent.clear();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(
        tx: &mut dyn StoreTx,
        source_ref: i64,
        seq: u64,
        id: &str,
        keys: &[i64],
    ) -> Option<Collision> {
        let claims = tx
            .claim_records(
                source_ref,
                &[ClaimRecord {
                    seq,
                    key: id,
                    version: None,
                }],
            )
            .unwrap();
        assert_eq!(claims, vec![Claim::Fresh], "{id}");
        tx.claim_identifiers(&[IdentifierClaim {
            source_id: id,
            keys,
        }])
        .unwrap()
        .remove(0)
    }

    fn count(store: &SqliteStore, table: &str) -> i64 {
        store
            .conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    /// Keys in the identifier log (16 bytes each).
    fn logged_keys(store: &SqliteStore) -> i64 {
        store
            .conn
            .query_row(
                "SELECT coalesce(sum(length(pairs)), 0) / 16 FROM identifier_log",
                [],
                |r| r.get(0),
            )
            .unwrap()
    }

    /// The identifier log merges into `identifiers`, forgets what a transaction that never
    /// committed claimed, and is read back by the next run: collisions are found wherever the
    /// earlier claim lives (merged, in the log, in the same transaction).
    #[test]
    fn identifier_log_merges_rolls_back_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let mut seq = 0;
        {
            let mut store = SqliteStore::open(&path, true).unwrap();
            store.merge_at = 10;
            let source = store.source_ref("k:1").unwrap();
            for c in 0..5i64 {
                let mut tx = store.begin().unwrap();
                for i in 0..4i64 {
                    seq += 1;
                    let keys = [c * 100 + i, c * 100 + i + 50];
                    assert_eq!(
                        claim(tx.as_mut(), source, seq, &format!("u{seq}"), &keys),
                        None
                    );
                }
                tx.commit().unwrap();
            }
            assert!(count(&store, "identifiers") >= 10, "a merge happened");
            assert!(logged_keys(&store) > 0, "the last claims are in the log");
            assert!(logged_keys(&store) < 10);

            // Claimed, then the transaction is abandoned: the keys are free again.
            let mut tx = store.begin().unwrap();
            assert_eq!(
                claim(tx.as_mut(), source, 100, "gone", &[7_000, 7_001]),
                None
            );
            drop(tx);
            let mut tx = store.begin().unwrap();
            seq += 1;
            assert_eq!(claim(tx.as_mut(), source, seq, "kept", &[7_001]), None);
            // Within one transaction, a key claimed a moment ago collides.
            let c = claim(tx.as_mut(), source, 200, "dup-now", &[9_000, 7_001]).unwrap();
            assert_eq!((c.holder_id.as_deref(), c.index), (Some("kept"), 1));
            tx.commit().unwrap();
        }
        // The next run reads the log back; merged and logged keys both collide.
        let mut store = SqliteStore::open(&path, true).unwrap();
        store.merge_at = 10;
        let source = store.source_ref("k:1").unwrap();
        let mut tx = store.begin().unwrap();
        let merged = claim(tx.as_mut(), source, 300, "dup-merged", &[1]).unwrap();
        assert_eq!(
            (merged.holder_id.as_deref(), merged.holder_seq),
            (Some("u2"), 2)
        );
        let logged = claim(tx.as_mut(), source, 301, "dup-logged", &[7_001]).unwrap();
        assert_eq!(logged.holder_id.as_deref(), Some("kept"));
        assert_eq!(
            claim(tx.as_mut(), source, 302, "free", &[9_000]),
            None,
            "a collision claims nothing"
        );
        tx.commit().unwrap();
        assert_eq!(
            count(&store, "identifiers") + logged_keys(&store),
            5 * 4 * 2 + 2,
            "every claimed key once"
        );
    }
}
