//! The journal: every record's outcome, keyed by the user's identity in the source, durable,
//! so that a run killed at any moment resumes without writing a user twice — and so that any
//! number of runs sharing one journal never move a user twice.
//!
//! Two stores behind one trait, chosen by the location's form (as sqlx picks a driver by URL
//! scheme): a SQLite file (`PATH` or `sqlite:PATH`, the embedded default) and a PostgreSQL
//! schema (`postgres://…`, `?schema=NAME`, default `authferry_journal`).
//!
//! A record's life in the journal:
//! 1. **claimed**: before anything is sent, its row is `pending` under this run's id and its
//!    identifiers (emails, phones, username) are claimed for duplicate detection — committed
//!    before the sink sees it;
//! 2. the sink writes and acknowledges;
//! 3. its outcome replaces `pending` — committed together with the claims of the next batch,
//!    so a steady run costs one commit per batch.
//!
//! A row left `pending` by a run that died is taken over by the next run (`resumed`: the sink
//! counts a target row carrying the record's own id as its own write). A row held by a run that
//! is still alive is left to it. The SQLite store knows liveness by an exclusive lock on
//! `PATH.lock` (a second run on the same file is refused, naming the first's pid); the
//! PostgreSQL store by a session-level advisory lock each run holds until its connection ends,
//! so a killed process releases its rows at once.

mod key_filter;
mod postgres;
mod sqlite;

use crate::model::Timestamp;
use crate::outcome::{Reason, State};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::PathBuf;

pub use self::postgres::PgStore;
pub use self::sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Sqlite {
        path: String,
        source: rusqlite::Error,
    },
    #[error("journal {location}: {message}")]
    Postgres { location: String, message: String },
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
    #[error(
        "journal {path} is in use by another run ({holder}); wait for it to finish, or share a \
         PostgreSQL journal (--journal postgres://…) to run several migrations at once"
    )]
    Locked { path: String, holder: String },
    #[error("journal {path}: {message}")]
    Incompatible { path: String, message: String },
}

/// The final or in-flight state of one record as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stored {
    Pending,
    /// Accepted by a target that settles later; the ticket is in the journal.
    Submitted,
    Done(State),
}

/// The journal's records by where they stand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    pub records: u64,
    pub migrated: u64,
    pub already_present: u64,
    pub skipped: u64,
    pub failed: u64,
    /// Accepted by a target that settles later, not settled yet.
    pub submitted: u64,
    /// Handed to the target by a run that stopped before its answer: the next run looks in
    /// the target before sending any again.
    pub in_flight: u64,
}

/// One row of the journal, for reports and the id map.
#[derive(Clone, Debug)]
pub struct JournalRecord {
    /// The record's position in the source that last handled it.
    pub seq: u64,
    /// `None` for records the source could not name (and duplicates of another record's id).
    pub source_id: Option<String>,
    pub state: Stored,
    pub reason: Option<Reason>,
    pub target_id: Option<String>,
}

/// What the journal answers a run that wants to move a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Never seen: this run holds it now.
    Fresh,
    /// A run that died left it in flight: this run holds it now, and it may be in the target.
    Resumed,
    /// An earlier run skipped or failed it: this run holds it now and tries again.
    Retry,
    /// Moved (migrated or found present) by an earlier run; `version` is the record's version
    /// then (see [`ClaimRecord::version`]).
    Done {
        target_id: Option<String>,
        version: Option<i64>,
    },
    /// A run that is still alive holds it (or settled it while this run was going).
    Elsewhere,
    /// Another record of the same source, numbered `seq`, has the same id.
    DuplicateId { seq: u64 },
    /// Accepted earlier by a target that settles later (a run that ended before it did): this
    /// run holds it now, and settles it with the ticket instead of sending it again.
    Submitted { ticket: String },
}

impl Claim {
    /// Whether this run now holds the record.
    pub fn held(&self) -> bool {
        matches!(
            self,
            Claim::Fresh | Claim::Resumed | Claim::Retry | Claim::Submitted { .. }
        )
    }
}

/// An identifier of a record already held by another record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Collision {
    /// The holder's position and id (when it has one).
    pub holder_seq: u64,
    pub holder_id: Option<String>,
    /// Which of the wanted keys collided.
    pub index: usize,
}

/// A record a run wants to move.
#[derive(Clone, Copy, Debug)]
pub struct ClaimRecord<'a> {
    /// Its position in this run's source.
    pub seq: u64,
    /// Its id in the source.
    pub key: &'a str,
    /// What the record was when this run read it (its `updated_at`, or a fingerprint): kept
    /// with the row, so that a later run can tell a user that changed since it was moved.
    pub version: Option<i64>,
}

/// One record's wish for its identifier keys.
#[derive(Clone, Debug)]
pub struct IdentifierClaim<'a> {
    pub source_id: &'a str,
    pub keys: &'a [i64],
}

/// One record's final outcome, as the store writes it.
#[derive(Clone, Debug)]
pub struct OutcomeRow {
    pub key: String,
    pub seq: u64,
    /// `migrated`, `already_present`, `skipped`, `failed` or `submitted`.
    pub state: &'static str,
    pub reason: Option<Reason>,
    pub target_id: Option<String>,
    /// With `submitted`: what the target gave to ask for the outcome later.
    pub ticket: Option<String>,
}

/// A journal row as the claim logic sees it.
#[derive(Clone, Debug)]
pub struct Row {
    pub key: String,
    pub source_ref: i64,
    pub seq: u64,
    pub state: String,
    pub owner: i64,
    pub target_id: Option<String>,
    pub ticket: Option<String>,
    pub version: Option<i64>,
}

/// The storage behind a [`Journal`]: one implementation per database.
pub trait JournalStore: Send {
    /// Where the journal is, for messages (a URL's password masked).
    fn location(&self) -> String;
    /// This run's id: rows it holds carry it.
    fn run_id(&self) -> i64;
    fn meta(&mut self, key: &str) -> Result<Option<String>, JournalError>;
    /// Sets `key` unless it is set already; returns the value that is stored (atomic between
    /// concurrent runs: the first one's value wins).
    fn meta_or_insert(&mut self, key: &str, value: &str) -> Result<String, JournalError>;
    /// The number of a source spelling (positions are counted per source).
    fn source_ref(&mut self, spelling: &str) -> Result<i64, JournalError>;
    /// The keys recorded at positions `from..=to` of source `source_ref`.
    fn positions(
        &mut self,
        source_ref: i64,
        from: u64,
        to: u64,
    ) -> Result<HashMap<u64, String>, JournalError>;
    fn begin(&mut self) -> Result<Box<dyn StoreTx + '_>, JournalError>;
    fn for_each_record(&mut self, f: &mut dyn FnMut(JournalRecord)) -> Result<(), JournalError>;
    /// The record keyed `key` (a source id), read without claiming it.
    fn record(&mut self, key: &str) -> Result<Option<JournalRecord>, JournalError>;
    /// Records per source spelling and state: (spelling, state, count).
    fn counts_by_source(&mut self) -> Result<Vec<(String, String, u64)>, JournalError>;
}

/// One transaction of a [`JournalStore`].
pub trait StoreTx {
    /// Claims `records` (position, key) of source `source_ref` for this run; one answer each.
    fn claim_records(
        &mut self,
        source_ref: i64,
        records: &[ClaimRecord<'_>],
    ) -> Result<Vec<Claim>, JournalError>;
    /// Claims identifier keys for records this run holds, in order: a record one of whose keys
    /// another record holds claims none of them.
    fn claim_identifiers(
        &mut self,
        wants: &[IdentifierClaim<'_>],
    ) -> Result<Vec<Option<Collision>>, JournalError>;
    fn outcome(&mut self, source_ref: i64, row: OutcomeRow) -> Result<(), JournalError>;
    fn commit(self: Box<Self>) -> Result<(), JournalError>;
}

/// The key of a record that has no id of its own (or whose id another record of the same
/// source has): its position in its source.
pub(crate) fn positional_key(source_ref: i64, seq: u64) -> String {
    format!("#{source_ref}:{seq}")
}

pub(crate) fn is_positional(key: &str) -> bool {
    key.starts_with('#')
}

fn is_done(state: &str) -> bool {
    matches!(state, "migrated" | "already_present")
}

/// Decides what a run gets for a record whose key has a row already. `alive` says whether a
/// run id other than this one still runs.
pub(crate) fn decide(
    row: &Row,
    me: i64,
    source_ref: i64,
    seq: u64,
    alive: &dyn Fn(i64) -> bool,
) -> Claim {
    let same_source = row.source_ref == source_ref;
    if same_source && row.seq != seq && (row.owner == me || is_done(&row.state)) {
        // The same id twice in one source: the first record keeps it.
        return Claim::DuplicateId { seq: row.seq };
    }
    if is_done(&row.state) {
        return Claim::Done {
            target_id: row.target_id.clone(),
            version: row.version,
        };
    }
    // This run already holds it (at this very position: not a duplicate), or a live run does.
    if row.owner == me || alive(row.owner) {
        return Claim::Elsewhere;
    }
    if row.state == "submitted" {
        return Claim::Submitted {
            ticket: row.ticket.clone().unwrap_or_default(),
        };
    }
    if row.state == "pending" {
        Claim::Resumed
    } else {
        Claim::Retry
    }
}

/// Per want: the holder (its source id) and the index of the first key another record holds.
pub(crate) type Collisions = Vec<Option<(String, usize)>>;

/// Assigns identifier keys to `wants` in order, given the holders already stored. Returns per
/// want its collision, and the fresh (key, want index) pairs to store.
pub(crate) fn assign_identifiers(
    wants: &[IdentifierClaim<'_>],
    existing: &HashMap<i64, String>,
) -> (Collisions, Vec<(i64, usize)>) {
    let mut holders: HashMap<i64, &str> = existing.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut collisions = Vec::with_capacity(wants.len());
    let mut fresh = Vec::new();
    for (w, want) in wants.iter().enumerate() {
        let collision = want.keys.iter().enumerate().find_map(|(i, k)| {
            holders
                .get(k)
                .filter(|h| **h != want.source_id)
                .map(|h| (h.to_string(), i))
        });
        if collision.is_none() {
            for k in want.keys {
                if !holders.contains_key(k) {
                    holders.insert(*k, want.source_id);
                    fresh.push((*k, w));
                }
            }
        }
        collisions.push(collision);
    }
    (collisions, fresh)
}

/// When this run started; `SOURCE_DATE_EPOCH` (seconds, the reproducible-builds convention)
/// pins it, so two separate migrations of the same export can be compared row for row.
fn run_start_time() -> Timestamp {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .map(|secs| Timestamp::from_millis(secs * 1000))
        .unwrap_or_else(Timestamp::now)
}

/// Where a journal lives, from `--journal`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JournalLocation {
    Sqlite(PathBuf),
    Postgres(String),
}

impl JournalLocation {
    pub fn parse(location: &OsStr) -> JournalLocation {
        match location.to_str() {
            Some(s) if s.starts_with("postgres://") || s.starts_with("postgresql://") => {
                JournalLocation::Postgres(s.to_string())
            }
            Some(s) if s.starts_with("sqlite:") => {
                let p = &s["sqlite:".len()..];
                JournalLocation::Sqlite(PathBuf::from(p.strip_prefix("//").unwrap_or(p)))
            }
            _ => JournalLocation::Sqlite(PathBuf::from(location)),
        }
    }
}

/// What a journal is bound to; the part of a source spelling before its first `:` (the kind
/// of ids it gives), so that several exports of one platform (shards, a newer export) share a
/// journal, and the target's spelling.
fn source_kind(source: &str) -> &str {
    source.split_once(':').map(|(k, _)| k).unwrap_or(source)
}

pub struct Journal {
    store: Box<dyn JournalStore>,
    started_at: Timestamp,
    source_ref: i64,
    temporary: Option<PathBuf>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("location", &self.store.location())
            .field("run", &self.store.run_id())
            .finish()
    }
}

impl Journal {
    /// Opens (or creates) the journal at `location` (a path, `sqlite:PATH` or a PostgreSQL URL)
    /// for a run of `source` → `target`, and starts this run in it. A journal of another
    /// migration is refused rather than mixed; a SQLite journal another run holds is refused.
    pub fn open(
        location: impl AsRef<OsStr>,
        source: &str,
        target: &str,
    ) -> Result<Journal, JournalError> {
        Self::open_with_ids(location, None, source, target)
    }

    /// [`Journal::open`] for a source whose records carry the ids of `ids` (see
    /// [`crate::Source::id_space`]); `None`: the source spelling's scheme.
    pub fn open_with_ids(
        location: impl AsRef<OsStr>,
        ids: Option<&str>,
        source: &str,
        target: &str,
    ) -> Result<Journal, JournalError> {
        let store: Box<dyn JournalStore> = match JournalLocation::parse(location.as_ref()) {
            JournalLocation::Sqlite(path) => Box::new(SqliteStore::open(&path, true)?),
            JournalLocation::Postgres(url) => Box::new(PgStore::open(&url, true)?),
        };
        let mut j = Journal {
            store,
            started_at: run_start_time(),
            source_ref: 0,
            temporary: None,
        };
        j.bind(ids, source, target)?;
        Ok(j)
    }

    /// A throw-away journal for `plan`: same duplicate detection, nothing kept.
    pub fn temporary() -> Result<Journal, JournalError> {
        let path = crate::io::unique_temp_path("plan", ".sqlite");
        let store = SqliteStore::open_temporary(&path)?;
        let mut j = Journal {
            store: Box::new(store),
            started_at: run_start_time(),
            source_ref: 0,
            temporary: Some(path),
        };
        j.bind(None, "plan", "plan")?;
        Ok(j)
    }

    /// Opens an existing journal to read it (`idmap export`, `remap`): no run is started and
    /// no lock taken.
    pub fn open_existing(location: impl AsRef<OsStr>) -> Result<Journal, JournalError> {
        let store: Box<dyn JournalStore> = match JournalLocation::parse(location.as_ref()) {
            JournalLocation::Sqlite(path) => {
                if !path.exists() {
                    return Err(JournalError::Io {
                        path: path.display().to_string(),
                        source: std::io::Error::new(
                            std::io::ErrorKind::NotFound,
                            "no such journal",
                        ),
                    });
                }
                Box::new(SqliteStore::open(&path, false)?)
            }
            JournalLocation::Postgres(url) => Box::new(PgStore::open(&url, false)?),
        };
        let mut j = Journal {
            store,
            started_at: run_start_time(),
            source_ref: 0,
            temporary: None,
        };
        if let Some(s) = j.store.meta("started_at")?
            && let Ok(ms) = s.parse()
        {
            j.started_at = Timestamp(ms);
        }
        Ok(j)
    }

    fn bind(&mut self, ids: Option<&str>, source: &str, target: &str) -> Result<(), JournalError> {
        for (key, value, what) in [
            (
                "source_ids",
                ids.unwrap_or(source_kind(source)),
                "source ids",
            ),
            ("target", target, "target"),
        ] {
            let stored = self.store.meta_or_insert(key, value)?;
            if stored != value {
                return Err(JournalError::Mismatch {
                    path: self.store.location(),
                    what,
                    journal: stored,
                    run: value.to_string(),
                });
            }
        }
        // The first run's start time is the default creation time of users whose export has
        // none, so a resumed run writes exactly what an uninterrupted one would.
        let stored = self
            .store
            .meta_or_insert("started_at", &self.started_at.0.to_string())?;
        self.started_at = Timestamp(stored.parse().unwrap_or(self.started_at.0));
        self.source_ref = self.store.source_ref(source)?;
        Ok(())
    }

    /// Binds the journal to the target instance this run writes to (a database, an API
    /// instance: never a credential). A journal that wrote to another instance is refused: its
    /// "already present" would be about users that are not there. With `record` false (a
    /// plan) a first binding is not stored.
    pub fn bind_instance(&mut self, instance: &str, record: bool) -> Result<(), JournalError> {
        let stored = if record {
            Some(self.store.meta_or_insert("target_instance", instance)?)
        } else {
            self.store.meta("target_instance")?
        };
        match stored {
            Some(s) if s != instance => Err(JournalError::Mismatch {
                path: self.store.location(),
                what: "target instance",
                journal: s,
                run: instance.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// Where the journal is (a URL's password masked).
    pub fn location(&self) -> String {
        self.store.location()
    }

    pub fn started_at(&self) -> Timestamp {
        self.started_at
    }

    /// The ids recorded at positions `from..=to` of this run's source (records that had an id
    /// of their own), for noticing a source that changed under its journal.
    pub fn source_ids(&mut self, from: u64, to: u64) -> Result<HashMap<u64, String>, JournalError> {
        let mut map = self.store.positions(self.source_ref, from, to)?;
        map.retain(|_, k| !is_positional(k));
        Ok(map)
    }

    /// Starts a transaction for one batch's journal writes.
    pub fn batch(&mut self) -> Result<JournalBatch<'_>, JournalError> {
        let source_ref = self.source_ref;
        Ok(JournalBatch {
            tx: self.store.begin()?,
            source_ref,
        })
    }

    /// A value the journal keeps about its migration: `target` (the target as spelt, its
    /// password masked), `target_instance`, `source_ids`, `started_at`.
    pub fn meta(&mut self, key: &str) -> Result<Option<String>, JournalError> {
        self.store.meta(key)
    }

    /// Where the record of source id `key` stands, read without claiming it (the trickle
    /// server asks before it verifies a password: a claim would hold the user against a bulk
    /// run for as long as the server lives).
    pub fn record(&mut self, key: &str) -> Result<Option<JournalRecord>, JournalError> {
        self.store.record(key)
    }

    /// Users moved (migrated or found present) per source spelling, in the order the
    /// spellings were first used: which path moved how many (a bulk run's source, or the
    /// trickle server's `serve:…`).
    pub fn moved_by_source(&mut self) -> Result<Vec<(String, u64)>, JournalError> {
        let mut out: Vec<(String, u64)> = Vec::new();
        for (spelling, state, n) in self.store.counts_by_source()? {
            if !matches!(state.as_str(), "migrated" | "already_present") {
                continue;
            }
            match out.iter_mut().find(|(s, _)| *s == spelling) {
                Some((_, m)) => *m += n,
                None => out.push((spelling, n)),
            }
        }
        Ok(out)
    }

    /// Every record counted by where it stands (`authferry status`).
    pub fn tally(&mut self) -> Result<Tally, JournalError> {
        let mut t = Tally::default();
        self.store.for_each_record(&mut |r: JournalRecord| {
            t.records += 1;
            match r.state {
                Stored::Pending => t.in_flight += 1,
                Stored::Submitted => t.submitted += 1,
                Stored::Done(State::Migrated) => t.migrated += 1,
                Stored::Done(State::AlreadyPresent) => t.already_present += 1,
                Stored::Done(State::Skipped) => t.skipped += 1,
                Stored::Done(State::Failed) => t.failed += 1,
            }
        })?;
        Ok(t)
    }

    /// Every record (for `idmap export` and reports).
    pub fn for_each_record(
        &mut self,
        mut f: impl FnMut(JournalRecord),
    ) -> Result<(), JournalError> {
        self.store.for_each_record(&mut f)
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        if let Some(p) = &self.temporary {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The journal writes of one batch, committed together.
pub struct JournalBatch<'a> {
    tx: Box<dyn StoreTx + 'a>,
    source_ref: i64,
}

impl JournalBatch<'_> {
    /// Claims records (position, source id) for this run; one answer each, in order.
    pub fn claim_records(&mut self, records: &[(u64, &str)]) -> Result<Vec<Claim>, JournalError> {
        let records: Vec<ClaimRecord<'_>> = records
            .iter()
            .map(|(seq, key)| ClaimRecord {
                seq: *seq,
                key,
                version: None,
            })
            .collect();
        self.claim(&records)
    }

    /// Claims records for this run, with their versions; one answer each, in order.
    pub fn claim(&mut self, records: &[ClaimRecord<'_>]) -> Result<Vec<Claim>, JournalError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        self.tx.claim_records(self.source_ref, records)
    }

    /// Claims identifier keys for records this run holds; see [`StoreTx::claim_identifiers`].
    pub fn claim_identifiers(
        &mut self,
        wants: &[IdentifierClaim<'_>],
    ) -> Result<Vec<Option<Collision>>, JournalError> {
        if wants.is_empty() {
            return Ok(Vec::new());
        }
        self.tx.claim_identifiers(wants)
    }

    /// Claims identifier keys for one record (see [`JournalBatch::claim_identifiers`]).
    pub fn claim_identifier(
        &mut self,
        source_id: &str,
        keys: &[i64],
    ) -> Result<Option<Collision>, JournalError> {
        Ok(self
            .claim_identifiers(&[IdentifierClaim { source_id, keys }])?
            .pop()
            .flatten())
    }

    /// Records a record's final outcome, keyed by its source id (by its position when it has
    /// none).
    pub fn outcome(
        &mut self,
        seq: u64,
        source_id: Option<&str>,
        state: State,
        reason: Option<&Reason>,
        target_id: Option<&str>,
    ) -> Result<(), JournalError> {
        let key = match source_id {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => positional_key(self.source_ref, seq),
        };
        self.write(key, seq, state, reason, target_id)
    }

    /// Records the outcome of a record that is not keyed by its id (another record of the
    /// same source holds that id).
    pub fn outcome_at_position(
        &mut self,
        seq: u64,
        state: State,
        reason: Option<&Reason>,
    ) -> Result<(), JournalError> {
        let key = positional_key(self.source_ref, seq);
        self.write(key, seq, state, reason, None)
    }

    /// Records that the target accepted a record and will settle it later: `ticket` asks for
    /// its outcome, in this run or a later one.
    pub fn submitted(
        &mut self,
        seq: u64,
        source_id: &str,
        ticket: &str,
    ) -> Result<(), JournalError> {
        self.tx.outcome(
            self.source_ref,
            OutcomeRow {
                key: source_id.to_string(),
                seq,
                state: "submitted",
                reason: None,
                target_id: None,
                ticket: Some(ticket.to_string()),
            },
        )
    }

    fn write(
        &mut self,
        key: String,
        seq: u64,
        state: State,
        reason: Option<&Reason>,
        target_id: Option<&str>,
    ) -> Result<(), JournalError> {
        self.tx.outcome(
            self.source_ref,
            OutcomeRow {
                key,
                seq,
                state: state.as_str(),
                reason: reason.cloned(),
                target_id: target_id.map(str::to_owned),
                ticket: None,
            },
        )
    }

    pub fn commit(self) -> Result<(), JournalError> {
        self.tx.commit()
    }
}

/// Parses a stored row's state.
fn stored_state(state: &str) -> Stored {
    if state == "pending" {
        Stored::Pending
    } else if state == "submitted" {
        Stored::Submitted
    } else {
        Stored::Done(State::parse(state).unwrap_or(State::Failed))
    }
}

/// A stored row as a [`JournalRecord`].
fn journal_record(
    key: String,
    seq: u64,
    state: &str,
    code: Option<String>,
    message: Option<String>,
    target_id: Option<String>,
) -> JournalRecord {
    JournalRecord {
        seq,
        source_id: (!is_positional(&key)).then_some(key),
        state: stored_state(state),
        reason: code
            .and_then(|c| crate::outcome::ReasonCode::parse(&c))
            .map(|c| Reason::new(c, message.unwrap_or_default())),
        target_id,
    }
}

#[cfg(test)]
mod tests;
