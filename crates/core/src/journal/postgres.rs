//! The shared journal store: a schema in a PostgreSQL database (`?schema=NAME`, default
//! `authferry_journal`, created on first use), which any number of runs on any number of
//! machines use at once.
//!
//! Each run holds a session-level advisory lock (the journal's namespace, its run id) for as
//! long as its connection lives: a run is alive exactly while its lock is held, so the rows of
//! a killed process are taken over by the next run at once, and never while their owner runs.
//! Statements are set-based (`unnest` of arrays), one round trip per step of a batch.

use super::{
    Claim, ClaimRecord, Collision, IdentifierClaim, JournalError, JournalRecord, JournalStore,
    OutcomeRow, Row, StoreTx, assign_identifiers, decide, journal_record,
};
use std::collections::{HashMap, HashSet};

const SCHEMA_VERSION: &str = "2";
const DEFAULT_SCHEMA: &str = "authferry_journal";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (id SERIAL PRIMARY KEY, spelling TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS runs (
    id SERIAL PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS records (
    key TEXT COLLATE \"C\" PRIMARY KEY, -- compared byte by byte, not by the locale's rules: cheaper, and Rust's order
    source_ref INTEGER NOT NULL,
    seq BIGINT NOT NULL,
    state TEXT NOT NULL,
    owner INTEGER NOT NULL,
    reason_code TEXT,
    reason TEXT,
    target_id TEXT,
    ticket TEXT,
    version BIGINT
) WITH (fillfactor = 70); -- room on each page: a record's outcome updates its claimed row in place (HOT)
CREATE INDEX IF NOT EXISTS records_position ON records (source_ref, seq);
CREATE TABLE IF NOT EXISTS identifiers (key BIGINT PRIMARY KEY, holder TEXT NOT NULL);
";

pub struct PgStore {
    client: postgres::Client,
    location: String,
    run: i64,
    /// The first key of every run's advisory lock in this journal (random per journal).
    namespace: i32,
}

fn pg_err(location: &str) -> impl Fn(postgres::Error) -> JournalError + '_ {
    move |e| JournalError::Postgres {
        location: location.to_string(),
        message: authferry_pg::describe_error(e),
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

impl PgStore {
    /// Connects (sslmode, sslrootcert as libpq does), creates the schema when absent; with
    /// `run`, starts a run and takes its lock.
    pub fn open(url: &str, run: bool) -> Result<PgStore, JournalError> {
        let location = authferry_pg::redact_url(url);
        let open_err = |message: String| JournalError::Postgres {
            location: location.clone(),
            message,
        };
        let mut parsed = authferry_pg::PgUrl::parse(url).map_err(open_err)?;
        let schema = parsed
            .schema
            .take()
            .unwrap_or_else(|| DEFAULT_SCHEMA.to_string());
        let mut client = parsed.connect().map_err(open_err)?;
        let err = pg_err(&location);
        let quoted = format!("\"{}\"", schema.replace('"', "\"\""));
        {
            // Two runs creating one journal at once: one creates, the other waits and finds it.
            let mut tx = client.transaction().map_err(&err)?;
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtext('authferry journal ' || $1))",
                &[&schema],
            )
            .map_err(&err)?;
            let exists: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)",
                    &[&schema],
                )
                .map_err(&err)?
                .get(0);
            if exists {
                let has_meta: bool = tx
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'meta')",
                        &[&schema],
                    )
                    .map_err(&err)?
                    .get(0);
                let has_tables: bool = tx
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1)",
                        &[&schema],
                    )
                    .map_err(&err)?
                    .get(0);
                if has_tables && !has_meta {
                    return Err(JournalError::Incompatible {
                        path: location.clone(),
                        message: format!(
                            "schema `{schema}` is not an authferry journal (it has tables of its own); \
                             name another with ?schema="
                        ),
                    });
                }
            } else if !run {
                return Err(JournalError::Io {
                    path: location.clone(),
                    source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such journal"),
                });
            }
            tx.batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {quoted}; SET LOCAL search_path TO {quoted}; {SCHEMA}"
            ))
            .map_err(&err)?;
            let version: String = tx
                .query_one(
                    &format!(
                        "WITH ins AS (INSERT INTO {quoted}.meta (key, value) VALUES ('schema', $1)
                           ON CONFLICT (key) DO NOTHING RETURNING value)
                         SELECT value FROM ins UNION ALL SELECT value FROM {quoted}.meta WHERE key = 'schema' LIMIT 1"
                    ),
                    &[&SCHEMA_VERSION],
                )
                .map_err(&err)?
                .get(0);
            if version != SCHEMA_VERSION {
                return Err(JournalError::Incompatible {
                    path: location.clone(),
                    message: format!(
                        "this journal has format {version}, this authferry writes format {SCHEMA_VERSION}"
                    ),
                });
            }
            tx.commit().map_err(&err)?;
        }
        authferry_pg::set_search_path(&mut client, &schema).map_err(open_err)?;
        let mut store = PgStore {
            client,
            location: location.clone(),
            run: 0,
            namespace: 0,
        };
        // The first key of every run's advisory lock: drawn once per journal by the server,
        // so that journals in other schemas of one database never share a run's lock.
        store
            .client
            .execute(
                "INSERT INTO meta (key, value) VALUES ('lock_namespace', floor(random() * 2147483647)::int::text)
                 ON CONFLICT (key) DO NOTHING",
                &[],
            )
            .map_err(pg_err(&location))?;
        store.namespace = store
            .meta("lock_namespace")?
            .and_then(|v| v.parse().ok())
            .unwrap_or_default();
        if run {
            let err = pg_err(&location);
            let id: i32 = store
                .client
                .query_one(
                    "INSERT INTO runs (pid, host) VALUES ($1, $2) RETURNING id",
                    &[&(std::process::id() as i32), &host_name()],
                )
                .map_err(&err)?
                .get(0);
            store
                .client
                .execute("SELECT pg_advisory_lock($1, $2)", &[&store.namespace, &id])
                .map_err(&err)?;
            store.run = id as i64;
        }
        Ok(store)
    }
}

/// Whether process `pid` of this machine exists (where that can be known; otherwise yes).
fn process_exists(pid: i32) -> bool {
    let proc = std::path::Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Release the run's lock before the connection closes, so that the next run finds
        // this one ended, without waiting for the server to notice.
        if self.run != 0 {
            let _ = self.client.execute("SELECT pg_advisory_unlock_all()", &[]);
        }
    }
}

impl JournalStore for PgStore {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn run_id(&self) -> i64 {
        self.run
    }

    fn meta(&mut self, key: &str) -> Result<Option<String>, JournalError> {
        Ok(self
            .client
            .query_opt("SELECT value FROM meta WHERE key = $1", &[&key])
            .map_err(pg_err(&self.location))?
            .map(|r| r.get(0)))
    }

    fn meta_or_insert(&mut self, key: &str, value: &str) -> Result<String, JournalError> {
        self.client
            .execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                &[&key, &value],
            )
            .map_err(pg_err(&self.location))?;
        Ok(self.meta(key)?.unwrap_or_default())
    }

    fn source_ref(&mut self, spelling: &str) -> Result<i64, JournalError> {
        let err = pg_err(&self.location);
        self.client
            .execute(
                "INSERT INTO sources (spelling) VALUES ($1) ON CONFLICT (spelling) DO NOTHING",
                &[&spelling],
            )
            .map_err(&err)?;
        let id: i32 = self
            .client
            .query_one("SELECT id FROM sources WHERE spelling = $1", &[&spelling])
            .map_err(&err)?
            .get(0);
        Ok(id as i64)
    }

    fn positions(
        &mut self,
        source_ref: i64,
        from: u64,
        to: u64,
    ) -> Result<HashMap<u64, String>, JournalError> {
        let rows = self
            .client
            .query(
                "SELECT seq, key FROM records WHERE source_ref = $1 AND seq BETWEEN $2 AND $3",
                &[&(source_ref as i32), &(from as i64), &(to as i64)],
            )
            .map_err(pg_err(&self.location))?;
        Ok(rows
            .iter()
            .map(|r| (r.get::<_, i64>(0) as u64, r.get::<_, String>(1)))
            .collect())
    }

    fn begin(&mut self) -> Result<Box<dyn StoreTx + '_>, JournalError> {
        let location = self.location.clone();
        let (run, namespace) = (self.run, self.namespace);
        let tx = self.client.transaction().map_err(pg_err(&location))?;
        Ok(Box::new(PgTx {
            tx,
            location,
            run,
            namespace,
            outcomes: Vec::new(),
        }))
    }

    fn counts_by_source(&mut self) -> Result<Vec<(String, String, u64)>, JournalError> {
        let err = pg_err(&self.location);
        let rows = self
            .client
            .query(
                "SELECT s.spelling, r.state, count(*) FROM records r JOIN sources s ON s.id = r.source_ref
                 GROUP BY s.id, s.spelling, r.state ORDER BY s.id, r.state",
                &[],
            )
            .map_err(&err)?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get::<_, i64>(2) as u64))
            .collect())
    }

    fn record(&mut self, key: &str) -> Result<Option<JournalRecord>, JournalError> {
        let err = pg_err(&self.location);
        let row = self
            .client
            .query_opt(
                "SELECT key, seq, state, reason_code, reason, target_id FROM records WHERE key = $1",
                &[&key],
            )
            .map_err(&err)?;
        Ok(row.map(|r| {
            let state: String = r.get(2);
            journal_record(
                r.get(0),
                r.get::<_, i64>(1) as u64,
                &state,
                r.get(3),
                r.get(4),
                r.get(5),
            )
        }))
    }

    fn for_each_record(&mut self, f: &mut dyn FnMut(JournalRecord)) -> Result<(), JournalError> {
        use postgres::fallible_iterator::FallibleIterator;
        let err = pg_err(&self.location);
        let mut tx = self.client.transaction().map_err(&err)?;
        let stmt = "SELECT key, seq, state, reason_code, reason, target_id FROM records ORDER BY source_ref, seq";
        let portal = tx.bind(stmt, &[]).map_err(&err)?;
        loop {
            let mut rows = tx.query_portal_raw(&portal, 10_000).map_err(&err)?;
            let mut n = 0;
            while let Some(r) = rows.next().map_err(&err)? {
                n += 1;
                let state: String = r.get(2);
                f(journal_record(
                    r.get(0),
                    r.get::<_, i64>(1) as u64,
                    &state,
                    r.get(3),
                    r.get(4),
                    r.get(5),
                ));
            }
            if n < 10_000 {
                break;
            }
        }
        tx.commit().map_err(&err)
    }
}

struct PgTx<'a> {
    tx: postgres::Transaction<'a>,
    location: String,
    run: i64,
    namespace: i32,
    outcomes: Vec<(i64, OutcomeRow)>,
}

impl PgTx<'_> {
    fn err(&self) -> impl Fn(postgres::Error) -> JournalError + '_ {
        pg_err(&self.location)
    }

    /// Run ids of this journal whose session still holds its lock — less those of this
    /// machine whose process is gone (a killed process's session may hold its lock for a few
    /// moments more).
    fn alive_runs(&mut self) -> Result<HashSet<i64>, JournalError> {
        let rows = self
            .tx
            .query(
                "SELECT r.id::int8, r.pid, r.host FROM pg_locks l JOIN runs r ON r.id::int8 = l.objid::int8
                 WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted
                   AND l.classid::int8 = $1::int8
                   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                &[&(self.namespace as i64)],
            )
            .map_err(pg_err(&self.location))?;
        let here = host_name();
        Ok(rows
            .iter()
            .filter(|r| {
                let (pid, host): (i32, String) = (r.get(1), r.get(2));
                host != here || process_exists(pid)
            })
            .map(|r| r.get::<_, i64>(0))
            .collect())
    }

    /// The stored rows of `keys`.
    fn rows(&mut self, keys: &[&str]) -> Result<HashMap<String, Row>, JournalError> {
        Ok(self
            .tx
            .query(
                "SELECT key, source_ref, seq, state, owner, target_id, ticket, version FROM records WHERE key = ANY($1)",
                &[&keys],
            )
            .map_err(pg_err(&self.location))?
            .iter()
            .map(|r| {
                let row = Row {
                    key: r.get(0),
                    source_ref: r.get::<_, i32>(1) as i64,
                    seq: r.get::<_, i64>(2) as u64,
                    state: r.get(3),
                    owner: r.get::<_, i32>(4) as i64,
                    target_id: r.get(5),
                    ticket: r.get(6),
                    version: r.get(7),
                };
                (row.key.clone(), row)
            })
            .collect())
    }
}

impl StoreTx for PgTx<'_> {
    fn claim_records(
        &mut self,
        source_ref: i64,
        records: &[ClaimRecord<'_>],
    ) -> Result<Vec<Claim>, JournalError> {
        let me = self.run;
        // Rows are locked in key order by every run, so that two runs never wait for each
        // other in a cycle.
        let mut order: Vec<usize> = (0..records.len()).collect();
        order.sort_by(|a, b| records[*a].key.cmp(records[*b].key));
        let keys: Vec<&str> = order.iter().map(|i| records[*i].key).collect();
        let seqs: Vec<i64> = order.iter().map(|i| records[*i].seq as i64).collect();
        let versions: Vec<Option<i64>> = order.iter().map(|i| records[*i].version).collect();
        let src = source_ref as i32;
        let fresh: HashSet<String> = self
            .tx
            .query(
                "INSERT INTO records (key, source_ref, seq, state, owner, version)
                 SELECT k, $3, s, 'pending', $4, v FROM unnest($1::text[], $2::int8[], $5::int8[]) AS t(k, s, v)
                 ON CONFLICT (key) DO NOTHING RETURNING key",
                &[&keys, &seqs, &src, &(me as i32), &versions],
            )
            .map_err(self.err())?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut out: Vec<Claim> = vec![Claim::Fresh; records.len()];
        let others: Vec<&str> = keys
            .iter()
            .copied()
            .filter(|k| !fresh.contains(*k))
            .collect();
        let (alive, rows) = if others.is_empty() {
            (HashSet::new(), HashMap::new())
        } else {
            (self.alive_runs()?, self.rows(&others)?)
        };

        // A key twice in this batch (the same id twice in the source): the first position
        // keeps it, the later ones are duplicates of it.
        let mut first_here: HashMap<&str, u64> = HashMap::new();
        let mut take: Vec<(usize, String, i64, i32, Option<i64>)> = Vec::new();
        for (i, r) in records.iter().enumerate() {
            let (seq, key) = (&r.seq, &r.key);
            if let Some(first) = first_here.get(*key) {
                out[i] = Claim::DuplicateId { seq: *first };
                continue;
            }
            first_here.insert(key, *seq);
            if fresh.contains(*key) {
                continue;
            }
            out[i] = match rows.get(*key) {
                // Deleted meanwhile (journals are not pruned while runs go on): leave it.
                None => Claim::Elsewhere,
                Some(row) => {
                    let claim = decide(row, me, source_ref, *seq, &|o| alive.contains(&o));
                    if claim.held() {
                        take.push((i, key.to_string(), *seq as i64, row.owner as i32, r.version));
                    }
                    claim
                }
            };
        }
        if !take.is_empty() {
            // Take over only rows still as they were read: a row another run took meanwhile
            // (its owner changed) or holds in an open transaction (locked) is left to it.
            take.sort_by(|a, b| a.1.cmp(&b.1));
            let tk: Vec<&str> = take.iter().map(|t| t.1.as_str()).collect();
            let ts: Vec<i64> = take.iter().map(|t| t.2).collect();
            let to: Vec<i32> = take.iter().map(|t| t.3).collect();
            let tv: Vec<Option<i64>> = take.iter().map(|t| t.4).collect();
            let taken: HashSet<String> = self
                .tx
                .query(
                    "WITH want AS (
                        SELECT r.key, t.s, t.v FROM records r
                        JOIN unnest($1::text[], $2::int8[], $3::int4[], $6::int8[]) AS t(k, s, o, v)
                          ON r.key = t.k AND r.owner = t.o
                        WHERE r.state NOT IN ('migrated', 'already_present')
                        ORDER BY r.key
                        FOR UPDATE OF r SKIP LOCKED
                     )
                     UPDATE records SET owner = $4, source_ref = $5, seq = want.s, version = want.v,
                        state = CASE records.state WHEN 'submitted' THEN 'submitted' ELSE 'pending' END,
                        ticket = CASE records.state WHEN 'submitted' THEN records.ticket END,
                        reason_code = NULL, reason = NULL, target_id = NULL
                     FROM want WHERE records.key = want.key
                     RETURNING records.key",
                    &[&tk, &ts, &to, &(me as i32), &src, &tv],
                )
                .map_err(self.err())?
                .iter()
                .map(|r| r.get(0))
                .collect();
            for (i, key, ..) in &take {
                if !taken.contains(key) {
                    out[*i] = Claim::Elsewhere;
                }
            }
        }
        Ok(out)
    }

    fn claim_identifiers(
        &mut self,
        wants: &[IdentifierClaim<'_>],
    ) -> Result<Vec<Option<Collision>>, JournalError> {
        // Optimistic, one statement in the common case: every key, for the earliest record
        // that wants it, inserted in key order (a lock order every run shares).
        let mut first: HashMap<i64, usize> = HashMap::new();
        for (w, want) in wants.iter().enumerate() {
            for k in want.keys {
                first.entry(*k).or_insert(w);
            }
        }
        let mut pairs: Vec<(i64, usize)> = first.iter().map(|(k, w)| (*k, *w)).collect();
        pairs.sort_by_key(|(k, _)| *k);
        let pk: Vec<i64> = pairs.iter().map(|(k, _)| *k).collect();
        let ph: Vec<&str> = pairs.iter().map(|(_, w)| wants[*w].source_id).collect();
        let inserted: HashSet<i64> = self
            .tx
            .query(
                "INSERT INTO identifiers (key, holder) SELECT * FROM unnest($1::int8[], $2::text[])
                 ON CONFLICT (key) DO NOTHING RETURNING key",
                &[&pk, &ph],
            )
            .map_err(self.err())?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let shared_in_batch = wants
            .iter()
            .enumerate()
            .any(|(w, want)| want.keys.iter().any(|k| first.get(k) != Some(&w)));
        if inserted.len() == pairs.len() && !shared_in_batch {
            return Ok(vec![None; wants.len()]);
        }
        // Some key was taken (before, or by another run meanwhile) or wanted twice: the
        // records are decided in order against the holders stored, and the keys inserted above
        // are given to the records that keep them.
        let taken: Vec<i64> = pk
            .iter()
            .copied()
            .filter(|k| !inserted.contains(k))
            .collect();
        let existing: HashMap<i64, String> = if taken.is_empty() {
            HashMap::new()
        } else {
            self.tx
                .query(
                    "SELECT key, holder FROM identifiers WHERE key = ANY($1)",
                    &[&taken],
                )
                .map_err(self.err())?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect()
        };
        let (collisions, fresh) = assign_identifiers(wants, &existing);
        let kept: HashMap<i64, usize> = fresh.into_iter().collect();
        let (mut moved_keys, mut moved_to, mut dropped) = (Vec::new(), Vec::new(), Vec::new());
        for (k, w) in &pairs {
            if !inserted.contains(k) {
                continue;
            }
            match kept.get(k) {
                Some(owner) if owner == w => {}
                Some(owner) => {
                    moved_keys.push(*k);
                    moved_to.push(wants[*owner].source_id);
                }
                None => dropped.push(*k),
            }
        }
        if !moved_keys.is_empty() {
            self.tx
                .execute(
                    "UPDATE identifiers SET holder = u.h FROM unnest($1::int8[], $2::text[]) AS u(k, h)
                     WHERE identifiers.key = u.k",
                    &[&moved_keys, &moved_to],
                )
                .map_err(self.err())?;
        }
        if !dropped.is_empty() {
            self.tx
                .execute("DELETE FROM identifiers WHERE key = ANY($1)", &[&dropped])
                .map_err(self.err())?;
        }
        let holders: Vec<&str> = collisions
            .iter()
            .flatten()
            .map(|(h, _)| h.as_str())
            .collect();
        let seqs: HashMap<String, i64> = if holders.is_empty() {
            HashMap::new()
        } else {
            self.tx
                .query(
                    "SELECT key, seq FROM records WHERE key = ANY($1)",
                    &[&holders],
                )
                .map_err(self.err())?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect()
        };
        Ok(collisions
            .into_iter()
            .map(|c| {
                c.map(|(holder, index)| Collision {
                    holder_seq: seqs.get(&holder).copied().unwrap_or(0) as u64,
                    holder_id: Some(holder),
                    index,
                })
            })
            .collect())
    }

    fn outcome(&mut self, source_ref: i64, row: OutcomeRow) -> Result<(), JournalError> {
        self.outcomes.push((source_ref, row));
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<(), JournalError> {
        if !self.outcomes.is_empty() {
            let mut rows = std::mem::take(&mut self.outcomes);
            rows.sort_by(|a, b| a.1.key.cmp(&b.1.key));
            rows.dedup_by(|b, a| {
                // The later outcome of one key wins.
                if a.1.key == b.1.key {
                    std::mem::swap(a, b);
                    true
                } else {
                    false
                }
            });
            let keys: Vec<&str> = rows.iter().map(|r| r.1.key.as_str()).collect();
            let srcs: Vec<i32> = rows.iter().map(|r| r.0 as i32).collect();
            let seqs: Vec<i64> = rows.iter().map(|r| r.1.seq as i64).collect();
            let states: Vec<&str> = rows.iter().map(|r| r.1.state).collect();
            let codes: Vec<Option<&str>> = rows
                .iter()
                .map(|r| r.1.reason.as_ref().map(|x| x.code.as_str()))
                .collect();
            let reasons: Vec<Option<&str>> = rows
                .iter()
                .map(|r| r.1.reason.as_ref().map(|x| x.message.as_str()))
                .collect();
            let targets: Vec<Option<&str>> =
                rows.iter().map(|r| r.1.target_id.as_deref()).collect();
            let tickets: Vec<Option<&str>> = rows.iter().map(|r| r.1.ticket.as_deref()).collect();
            self.tx
                .execute(
                    "INSERT INTO records (key, source_ref, seq, state, owner, reason_code, reason, target_id, ticket)
                     SELECT k, src, s, st, $8, c, r, t, tk
                     FROM unnest($1::text[], $2::int4[], $3::int8[], $4::text[], $5::text[], $6::text[], $7::text[], $9::text[])
                       AS u(k, src, s, st, c, r, t, tk)
                     ON CONFLICT (key) DO UPDATE SET source_ref = excluded.source_ref, seq = excluded.seq,
                       state = excluded.state, owner = excluded.owner, reason_code = excluded.reason_code,
                       reason = excluded.reason, target_id = excluded.target_id, ticket = excluded.ticket",
                    &[
                        &keys,
                        &srcs,
                        &seqs,
                        &states,
                        &codes,
                        &reasons,
                        &targets,
                        &(self.run as i32),
                        &tickets,
                    ],
                )
                .map_err(pg_err(&self.location))?;
        }
        let location = self.location.clone();
        self.tx.commit().map_err(pg_err(&location))
    }
}
