//! The journal: every record's outcome, durable, so that a run killed at any moment resumes
//! without writing a user twice.
//!
//! A batch goes through one journal commit before the sink sees it and one after:
//! 1. its range of record numbers is marked in flight and its identifiers are claimed for
//!    duplicate detection — committed before anything is sent;
//! 2. the sink writes and acknowledges;
//! 3. the outcomes are recorded and the in-flight mark removed — committed together with
//!    step 1 of the next batch, so a steady run costs one commit per batch.
//!
//! A crash between 1 and 3 leaves the range in flight: on resume its records are re-sent with
//! `resumed = true`, and the sink counts a row carrying the record's own id as its own write.
//! The journal uses `synchronous=FULL` so that a committed outcome survives power loss.

use crate::io::{precreate_private, restrict_permissions};
use crate::model::Timestamp;
use crate::outcome::{Reason, ReasonCode, State};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Sqlite {
        path: String,
        source: rusqlite::Error,
    },
    #[error("journal {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "journal {path} belongs to another migration ({what}: journal has `{journal}`, this run has `{run}`); \
         pass another --journal to start a new one"
    )]
    Mismatch {
        path: String,
        what: &'static str,
        journal: String,
        run: String,
    },
}

/// The final or in-flight state of one record as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stored {
    Pending,
    Done(State),
}

/// One row of the journal, for reports and the id map.
#[derive(Clone, Debug)]
pub struct JournalRecord {
    pub seq: u64,
    pub source_id: Option<String>,
    pub state: Stored,
    pub reason: Option<Reason>,
    pub target_id: Option<String>,
}

pub struct Journal {
    conn: Connection,
    path: PathBuf,
    started_at: Timestamp,
    temporary: bool,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    source_id TEXT,
    state TEXT NOT NULL,
    reason_code TEXT,
    reason TEXT,
    target_id TEXT
);
CREATE TABLE IF NOT EXISTS identifiers (key INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS inflight (first INTEGER PRIMARY KEY, last INTEGER NOT NULL);
";

/// When this run started; `SOURCE_DATE_EPOCH` (seconds, the reproducible-builds convention)
/// pins it, so two separate migrations of the same export can be compared row for row.
fn run_start_time() -> Timestamp {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .map(|secs| Timestamp::from_millis(secs * 1000))
        .unwrap_or_else(Timestamp::now)
}

impl Journal {
    /// Opens (or creates, 0600) the journal for the migration `source` → `target`. An existing
    /// journal of another migration is refused rather than mixed.
    pub fn open(path: &Path, source: &str, target: &str) -> Result<Journal, JournalError> {
        precreate_private(path).map_err(|e| JournalError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        let mut j = Self::open_conn(path, false)?;
        j.bind(source, target)?;
        Ok(j)
    }

    /// A throw-away journal for `plan`: same duplicate detection, nothing kept.
    pub fn temporary() -> Result<Journal, JournalError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let path = std::env::temp_dir().join(format!(
            "authferry-plan-{}-{nanos}.sqlite",
            std::process::id()
        ));
        precreate_private(&path).map_err(|e| JournalError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        let mut j = Self::open_conn(&path, true)?;
        j.bind("plan", "plan")?;
        Ok(j)
    }

    /// Opens an existing journal read-only in spirit (for `idmap export`).
    pub fn open_existing(path: &Path) -> Result<Journal, JournalError> {
        if !path.exists() {
            return Err(JournalError::Io {
                path: path.display().to_string(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such journal"),
            });
        }
        let mut j = Self::open_conn(path, false)?;
        j.started_at = j
            .meta("started_at")?
            .and_then(|s| s.parse().ok())
            .map(Timestamp)
            .unwrap_or(j.started_at);
        Ok(j)
    }

    fn open_conn(path: &Path, temporary: bool) -> Result<Journal, JournalError> {
        let p = path.display().to_string();
        let err = |e| JournalError::Sqlite {
            path: p.clone(),
            source: e,
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.execute_batch(if temporary {
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
        } else {
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-16384; PRAGMA wal_autocheckpoint=20000;"
        })
        .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", path.display()));
            if side.exists() {
                let _ = restrict_permissions(&side);
            }
        }
        Ok(Journal {
            conn,
            path: path.to_path_buf(),
            started_at: run_start_time(),
            temporary,
        })
    }

    fn err(&self, e: rusqlite::Error) -> JournalError {
        JournalError::Sqlite {
            path: self.path.display().to_string(),
            source: e,
        }
    }

    fn meta(&self, key: &str) -> Result<Option<String>, JournalError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    fn bind(&mut self, source: &str, target: &str) -> Result<(), JournalError> {
        for (key, value, what) in [("source", source, "source"), ("target", target, "target")] {
            match self.meta(key)? {
                Some(existing) if existing != value => {
                    return Err(JournalError::Mismatch {
                        path: self.path.display().to_string(),
                        what,
                        journal: existing,
                        run: value.to_string(),
                    });
                }
                Some(_) => {}
                None => {
                    self.conn
                        .execute(
                            "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                            params![key, value],
                        )
                        .map_err(|e| self.err(e))?;
                }
            }
        }
        // The first run's start time is the default creation time of users whose export has
        // none, so a resumed run writes exactly what an uninterrupted one would.
        match self.meta("started_at")? {
            Some(s) => self.started_at = Timestamp(s.parse().unwrap_or(self.started_at.0)),
            None => {
                self.conn
                    .execute(
                        "INSERT INTO meta (key, value) VALUES ('started_at', ?1)",
                        [self.started_at.0.to_string()],
                    )
                    .map_err(|e| self.err(e))?;
            }
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn started_at(&self) -> Timestamp {
        self.started_at
    }

    /// Stored states of the records numbered `from..=to`: final outcomes from `records`, and
    /// `Pending` for records of an in-flight batch that have no outcome yet.
    pub fn states(&self, from: u64, to: u64) -> Result<Vec<(u64, Stored)>, JournalError> {
        let mut out: Vec<(u64, Stored)> = Vec::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT seq, state FROM records WHERE seq BETWEEN ?1 AND ?2")
                .map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map(params![from as i64, to as i64], |r| {
                    Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?))
                })
                .map_err(|e| self.err(e))?;
            for row in rows {
                let (seq, s) = row.map_err(|e| self.err(e))?;
                out.push((seq, Stored::Done(State::parse(&s).unwrap_or(State::Failed))));
            }
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT first, last FROM inflight WHERE first <= ?2 AND last >= ?1")
            .map_err(|e| self.err(e))?;
        let ranges: Vec<(u64, u64)> = stmt
            .query_map(params![from as i64, to as i64], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
            })
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        if !ranges.is_empty() {
            let done: std::collections::HashSet<u64> = out.iter().map(|(s, _)| *s).collect();
            for (a, b) in ranges {
                for seq in a.max(from)..=b.min(to) {
                    if !done.contains(&seq) {
                        out.push((seq, Stored::Pending));
                    }
                }
            }
        }
        Ok(out)
    }

    /// The source ids the journal holds for the records numbered `from..=to` (records that
    /// ended with an outcome and had an id).
    pub fn source_ids(
        &self,
        from: u64,
        to: u64,
    ) -> Result<std::collections::HashMap<u64, String>, JournalError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, source_id FROM records WHERE seq BETWEEN ?1 AND ?2 AND source_id IS NOT NULL",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![from as i64, to as i64], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Starts a transaction for one batch's journal writes.
    pub fn batch(&mut self) -> Result<JournalBatch<'_>, JournalError> {
        let path = self.path.display().to_string();
        let tx = self.conn.transaction().map_err(|e| JournalError::Sqlite {
            path: path.clone(),
            source: e,
        })?;
        Ok(JournalBatch { tx, path })
    }

    /// Every record, in order (for `idmap export` and reports).
    pub fn for_each_record(&self, mut f: impl FnMut(JournalRecord)) -> Result<(), JournalError> {
        let mut stmt = self
            .conn
            .prepare("SELECT seq, source_id, state, reason_code, reason, target_id FROM records ORDER BY seq")
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let state: String = r.get(2).map_err(|e| self.err(e))?;
            let code: Option<String> = r.get(3).map_err(|e| self.err(e))?;
            let message: Option<String> = r.get(4).map_err(|e| self.err(e))?;
            f(JournalRecord {
                seq: r.get::<_, i64>(0).map_err(|e| self.err(e))? as u64,
                source_id: r.get(1).map_err(|e| self.err(e))?,
                state: if state == "pending" {
                    Stored::Pending
                } else {
                    Stored::Done(State::parse(&state).unwrap_or(State::Failed))
                },
                reason: code
                    .and_then(|c| ReasonCode::parse(&c))
                    .map(|c| Reason::new(c, message.unwrap_or_default())),
                target_id: r.get(5).map_err(|e| self.err(e))?,
            });
        }
        Ok(())
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The journal writes of one batch, committed together.
pub struct JournalBatch<'a> {
    tx: rusqlite::Transaction<'a>,
    path: String,
}

impl JournalBatch<'_> {
    fn err(&self, e: rusqlite::Error) -> JournalError {
        JournalError::Sqlite {
            path: self.path.clone(),
            source: e,
        }
    }

    /// Claims identifier keys for record `seq`. Returns the earlier record (number, source id,
    /// and the index of the colliding key) that already holds one of them, or `None` when all
    /// are now this record's. On a collision this record claims nothing.
    pub fn claim(
        &mut self,
        seq: u64,
        keys: &[i64],
    ) -> Result<Option<(u64, Option<String>, usize)>, JournalError> {
        // The common case (a new identifier) costs one statement per key; collisions are rare
        // and pay for a look-up and for undoing this record's fresh claims.
        let mut fresh = Vec::with_capacity(keys.len());
        let mut collision = None;
        for (i, key) in keys.iter().enumerate() {
            let inserted = self
                .tx
                .prepare_cached("INSERT OR IGNORE INTO identifiers (key, seq) VALUES (?1, ?2)")
                .and_then(|mut s| s.execute(params![key, seq as i64]))
                .map_err(|e| self.err(e))?;
            if inserted == 1 {
                fresh.push(i);
                continue;
            }
            let holder: i64 = self
                .tx
                .prepare_cached("SELECT seq FROM identifiers WHERE key = ?1")
                .and_then(|mut s| s.query_row([key], |r| r.get(0)))
                .map_err(|e| self.err(e))?;
            if holder as u64 != seq {
                collision = Some((holder as u64, i));
                break;
            }
        }
        let Some((holder, index)) = collision else {
            return Ok(None);
        };
        for i in fresh {
            self.tx
                .prepare_cached("DELETE FROM identifiers WHERE key = ?1")
                .and_then(|mut s| s.execute([keys[i]]))
                .map_err(|e| self.err(e))?;
        }
        let sid: Option<String> = self
            .tx
            .prepare_cached("SELECT source_id FROM records WHERE seq = ?1")
            .and_then(|mut s| s.query_row([holder as i64], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))?
            .flatten();
        Ok(Some((holder, sid, index)))
    }

    /// Marks records `first..=last` as possibly sent: until their outcomes are recorded, a
    /// resumed run treats a target row with their id as their own.
    pub fn mark_inflight(&mut self, first: u64, last: u64) -> Result<(), JournalError> {
        self.tx
            .prepare_cached("INSERT OR REPLACE INTO inflight (first, last) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![first as i64, last as i64]))
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub fn clear_inflight(&mut self, first: u64) -> Result<(), JournalError> {
        self.tx
            .prepare_cached("DELETE FROM inflight WHERE first = ?1")
            .and_then(|mut s| s.execute([first as i64]))
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Drops a record's earlier outcome (a skipped or failed record sent again).
    pub fn forget(&mut self, seq: u64) -> Result<(), JournalError> {
        self.tx
            .prepare_cached("DELETE FROM records WHERE seq = ?1")
            .and_then(|mut s| s.execute([seq as i64]))
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub fn outcome(
        &mut self,
        seq: u64,
        source_id: Option<&str>,
        state: State,
        reason: Option<&Reason>,
        target_id: Option<&str>,
    ) -> Result<(), JournalError> {
        self.tx
            .prepare_cached(
                "INSERT INTO records (seq, source_id, state, reason_code, reason, target_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(seq) DO UPDATE SET source_id = excluded.source_id, state = excluded.state,
                   reason_code = excluded.reason_code, reason = excluded.reason, target_id = excluded.target_id",
            )
            .and_then(|mut s| {
                s.execute(params![
                    seq as i64,
                    source_id,
                    state.as_str(),
                    reason.map(|r| r.code.as_str()),
                    reason.map(|r| r.message.as_str()),
                    target_id
                ])
            })
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub fn commit(self) -> Result<(), JournalError> {
        let path = self.path.clone();
        self.tx
            .commit()
            .map_err(|e| JournalError::Sqlite { path, source: e })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_another_migration_and_keeps_start_time() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.sqlite");
        let started = {
            let j = Journal::open(&p, "clerk-csv:a.csv", "better-auth:sqlite:x").unwrap();
            j.started_at()
        };
        std::thread::sleep(std::time::Duration::from_millis(5));
        let j = Journal::open(&p, "clerk-csv:a.csv", "better-auth:sqlite:x").unwrap();
        assert_eq!(j.started_at(), started);
        drop(j);
        let e = Journal::open(&p, "clerk-csv:b.csv", "better-auth:sqlite:x")
            .err()
            .unwrap();
        assert!(e.to_string().contains("another migration"), "{e}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn claims_detect_duplicates_but_not_self() {
        let j = &mut Journal::temporary().unwrap();
        let mut b = j.batch().unwrap();
        b.outcome(1, Some("a"), State::Failed, None, None).unwrap();
        assert_eq!(b.claim(1, &[1, 2]).unwrap(), None);
        assert_eq!(
            b.claim(1, &[1]).unwrap(),
            None,
            "a record never duplicates itself"
        );
        assert_eq!(b.claim(2, &[3, 2]).unwrap(), Some((1, Some("a".into()), 1)));
        assert_eq!(
            b.claim(3, &[3]).unwrap(),
            None,
            "a duplicate record claims nothing"
        );
        b.outcome(1, Some("a"), State::Migrated, None, Some("t1"))
            .unwrap();
        b.commit().unwrap();
        let states = j.states(1, 10).unwrap();
        assert_eq!(states, vec![(1, Stored::Done(State::Migrated))]);
    }

    #[test]
    fn inflight_records_without_outcome_are_pending() {
        let j = &mut Journal::temporary().unwrap();
        let mut b = j.batch().unwrap();
        b.outcome(11, Some("k"), State::Failed, None, None).unwrap();
        b.mark_inflight(10, 13).unwrap();
        b.commit().unwrap();
        let mut states = j.states(9, 12).unwrap();
        states.sort_by_key(|(s, _)| *s);
        assert_eq!(
            states,
            vec![
                (10, Stored::Pending),
                (11, Stored::Done(State::Failed)),
                (12, Stored::Pending)
            ]
        );
        let mut b = j.batch().unwrap();
        b.clear_inflight(10).unwrap();
        b.forget(11).unwrap();
        b.commit().unwrap();
        assert!(j.states(1, 20).unwrap().is_empty());
    }
}
