//! SIGKILL a migration at random points, resume it each time, and compare the final target
//! with an uninterrupted run of the same export: no missing user, no duplicate, the very same
//! rows. Then re-run the finished migration: nothing is written, every record is reported as
//! already present.

use authferry_testkit::TempPgDatabase;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "crash-test-secret-0123456789abcdef";
/// The tables compared row for row, and their columns compared. Backup codes authferry
/// generates are random (each run draws its own), so `twoFactor.backupCodes` is compared by
/// [`assert_backup_codes`] instead.
const TABLES: &[(&str, &str)] = &[
    ("user", "*"),
    ("account", "*"),
    ("twoFactor", "\"id\", \"secret\", \"userId\""),
];

fn authferry() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_authferry"));
    c.env("BETTER_AUTH_SECRET", SECRET)
        .env_remove("AUTH_SECRET")
        // Users of a Clerk CSV have no creation time; they get the run's start, pinned here so
        // that two separate migrations can be compared row for row.
        .env("SOURCE_DATE_EPOCH", "1700000000");
    c
}

struct Run<'a> {
    csv: &'a Path,
    to: String,
    /// A SQLite path or a PostgreSQL URL.
    journal: String,
    codes: PathBuf,
}

impl<'a> Run<'a> {
    /// A run named `name` in `dir`: its journal `NAME-journal.sqlite` unless one is given, its
    /// backup codes `NAME-codes.ndjson`.
    fn new(csv: &'a Path, dir: &Path, name: &str, to: String, journal: Option<String>) -> Self {
        Run {
            csv,
            to,
            journal: journal.unwrap_or_else(|| path_of(dir.join(format!("{name}-journal.sqlite")))),
            codes: dir.join(format!("{name}-codes.ndjson")),
        }
    }

    /// The uninterrupted run into `targets[0]` and the one to be killed into `targets[1]`
    /// (with `crashed_journal`, or a SQLite journal of its own).
    fn pair(
        csv: &'a Path,
        dir: &Path,
        targets: [String; 2],
        crashed_journal: Option<String>,
    ) -> (Self, Self) {
        let [reference, crashed] = targets;
        (
            Run::new(csv, dir, "reference", reference, None),
            Run::new(csv, dir, "crashed", crashed, crashed_journal),
        )
    }

    fn command(&self) -> Command {
        let mut c = authferry();
        c.args(["migrate", "--quiet", "--json", "--batch-size", "1000"])
            .arg("--from")
            .arg(format!("clerk-csv:{}", self.csv.display()))
            .arg("--to")
            .arg(&self.to)
            .arg("--journal")
            .arg(&self.journal)
            .arg("--backup-codes-out")
            .arg(&self.codes)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    /// Runs to the end; returns the JSON summary and how long it took.
    fn complete(&self) -> (serde_json::Value, Duration) {
        let t = Instant::now();
        let out = self.command().output().expect("run authferry");
        let took = t.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "migrate failed: {stderr}");
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
        (summary, took)
    }

    /// Starts a run and SIGKILLs it after `after`. Returns whether it was still running.
    fn kill_after(&self, after: Duration) -> bool {
        let mut child = self.command().spawn().expect("spawn authferry");
        std::thread::sleep(after);
        let running = child.try_wait().expect("poll child").is_none();
        child.kill().ok(); // SIGKILL on Unix
        child.wait().ok();
        running
    }
}

/// A small xorshift so the kill points differ between runs yet are reproducible from the
/// printed seed.
fn kill_points(seed: u64, n: usize, max: Duration) -> Vec<Duration> {
    authferry_testkit::xorshift(seed)
        .take(n)
        .map(|x| {
            // Each of five kills lands within the first 5–30 % of a full run's time (of more
            // kills, proportionally earlier), so that kills in a row still hit a run with work
            // left.
            let frac = (0.05 + 0.25 * (x % 1000) as f64 / 1000.0) * 5.0 / n.max(5) as f64;
            Duration::from_millis(30) + max.mul_f64(frac)
        })
        .collect()
}

fn seed() -> u64 {
    std::env::var("AUTHFERRY_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

fn journal_states(journal: &str) -> Vec<(String, i64)> {
    if journal.starts_with("postgres://") {
        // The default schema of a PostgreSQL journal.
        let mut client = postgres::Client::connect(journal, postgres::NoTls).unwrap();
        return client
            .query(
                "SELECT state, count(*) FROM authferry_journal.records GROUP BY state ORDER BY state",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    }
    let conn = rusqlite::Connection::open(journal).unwrap();
    let mut stmt = conn
        .prepare("SELECT state, count(*) FROM records GROUP BY state ORDER BY state")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn path_of(p: PathBuf) -> String {
    p.display().to_string()
}

fn crash_users() -> u64 {
    std::env::var("AUTHFERRY_CRASH_USERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

/// Migrates `csv` into `reference` uninterrupted, then into `crashed` with `kills` SIGKILLs at
/// random points and a final run to the end; checks that every record ended migrated exactly
/// once and that no batch is left in flight. Comparing the targets is the caller's part.
fn migrate_with_kills(
    label: &str,
    users: u64,
    kills: usize,
    reference: &Run<'_>,
    crashed: &Run<'_>,
) {
    let (summary, took) = reference.complete();
    assert_eq!(summary["counts"]["migrated"], users, "{summary}");
    let seed = seed();
    eprintln!(
        "crash test ({label}): {users} users, uninterrupted run {took:?}, kill seed {seed} (AUTHFERRY_CRASH_SEED)"
    );
    let killed_mid_run = kill_points(seed, kills, took)
        .into_iter()
        .filter(|p| crashed.kill_after(*p))
        .count();
    assert!(
        killed_mid_run >= kills * 3 / 5,
        "only {killed_mid_run} of {kills} kills landed mid-run; the test proved too little"
    );
    let (summary, _) = crashed.complete();
    let c = &summary["counts"];
    assert_eq!(
        c["migrated"].as_u64().unwrap() + c["already_present"].as_u64().unwrap(),
        users,
        "every record ends migrated exactly once: {summary}"
    );
    assert_eq!(c["failed"], 0);
    assert_eq!(c["skipped"], 0);
    assert_eq!(
        journal_states(&crashed.journal),
        vec![("migrated".to_string(), users as i64)],
        "no pending left"
    );
}

#[test]
fn sqlite_sigkill_resume_matches_uninterrupted_run() {
    let users = crash_users();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("export.csv");
    authferry_platforms::synthetic::write_clerk_csv(&csv, users, 42).unwrap();

    let crashed_db = dir.path().join("crashed.db");
    let (reference, crashed) = Run::pair(
        &csv,
        dir.path(),
        [
            format!(
                "better-auth:sqlite:{}",
                dir.path().join("reference.db").display()
            ),
            format!("better-auth:sqlite:{}", crashed_db.display()),
        ],
        None,
    );
    migrate_with_kills("SQLite", users, 5, &reference, &crashed);

    // Same rows, byte for byte (ids, timestamps, encrypted two-factor values included).
    let conn = rusqlite::Connection::open(dir.path().join("reference.db")).unwrap();
    conn.execute(
        "ATTACH DATABASE ?1 AS crashed",
        [crashed_db.to_str().unwrap()],
    )
    .unwrap();
    for &(table, columns) in TABLES {
        let count = |db: &str| -> i64 {
            conn.query_row(&format!("SELECT count(*) FROM {db}.\"{table}\""), [], |r| {
                r.get(0)
            })
            .unwrap()
        };
        assert_eq!(count("main"), count("crashed"), "row count of {table}");
        let diff: i64 = conn
            .query_row(
                &format!(
                    "SELECT count(*) FROM (SELECT {columns} FROM main.\"{table}\" EXCEPT SELECT {columns} FROM crashed.\"{table}\")"
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        if diff > 0 && table == "user" {
            // Show one differing user row (the user table holds no secrets).
            let row = |db: &str| -> String {
                conn.query_row(
                    &format!("SELECT id, name, email, createdAt, updatedAt, twoFactorEnabled FROM {db}.\"user\" ORDER BY id LIMIT 1"),
                    [],
                    |r| Ok(format!("{:?} {:?} {:?} {:?} {:?} {:?}", r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get::<_, String>(4)?, r.get::<_, Option<i64>>(5)?)),
                )
                .unwrap()
            };
            eprintln!("reference: {}\nresumed:   {}", row("main"), row("crashed"));
        }
        assert_eq!(
            diff, 0,
            "{table}: {diff} rows of the uninterrupted run differ in the resumed one"
        );
    }
    let users_in_db: i64 = conn
        .query_row("SELECT count(*) FROM crashed.\"user\"", [], |r| r.get(0))
        .unwrap();
    assert_eq!(users_in_db as u64, users);
    let stored_codes = |db: &str| -> Vec<(String, String)> {
        let mut stmt = conn
            .prepare(&format!(
                "SELECT \"userId\", \"backupCodes\" FROM {db}.\"twoFactor\""
            ))
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_backup_codes(
        (&stored_codes("main"), &reference.codes),
        (&stored_codes("crashed"), &crashed.codes),
    );

    // A finished migration re-run writes nothing and reports everything as already present.
    let before = std::fs::metadata(&crashed_db).unwrap().len();
    let (summary, _) = crashed.complete();
    assert_eq!(summary["counts"]["already_present"], users, "{summary}");
    assert_eq!(summary["counts"]["migrated"], 0);
    let after: i64 = conn
        .query_row("SELECT count(*) FROM crashed.\"user\"", [], |r| r.get(0))
        .unwrap();
    assert_eq!(after as u64, users);
    assert_eq!(before, std::fs::metadata(&crashed_db).unwrap().len());
}

/// `{source_id → [lines' codes]}` of a `--backup-codes-out` file.
fn delivered_codes(path: &Path) -> std::collections::HashMap<String, Vec<Vec<String>>> {
    let mut out: std::collections::HashMap<String, Vec<Vec<String>>> = Default::default();
    for line in std::fs::read_to_string(path).unwrap_or_default().lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let codes = serde_json::from_value(v["backup_codes"].clone()).expect("codes");
        out.entry(v["source_id"].as_str().unwrap().to_string())
            .or_default()
            .push(codes);
    }
    out
}

/// The backup codes stored for every two-factor user (`(userId, backupCodes)` rows) decrypt;
/// those authferry generated are the ones the run's `--backup-codes-out` handed out — every
/// line for the user, also from before a crash — and the same users got generated codes in
/// both runs; codes from the source are the same in both.
fn assert_backup_codes(
    reference: (&[(String, String)], &Path),
    crashed: (&[(String, String)], &Path),
) {
    let crypto = authferry_platforms::better_auth::two_factor::TwoFactorCrypto::new(SECRET);
    let decrypt = |stored: &str| -> Vec<String> {
        let plain = crypto
            .decrypt(stored)
            .expect("backupCodes decrypt under the secret");
        serde_json::from_str(plain.expose()).expect("backupCodes hold a JSON array")
    };
    let (ref_delivered, crashed_delivered) =
        (delivered_codes(reference.1), delivered_codes(crashed.1));
    assert!(
        !crashed_delivered.is_empty(),
        "the export has two-factor users"
    );
    let mut ref_keys: Vec<&String> = ref_delivered.keys().collect();
    let mut crashed_keys: Vec<&String> = crashed_delivered.keys().collect();
    ref_keys.sort();
    crashed_keys.sort();
    assert_eq!(ref_keys, crashed_keys, "the same users got generated codes");
    let reference_rows: std::collections::HashMap<&str, &str> = reference
        .0
        .iter()
        .map(|(u, c)| (u.as_str(), c.as_str()))
        .collect();
    assert_eq!(reference.0.len(), crashed.0.len());
    for (user, stored) in crashed.0 {
        let codes = decrypt(stored);
        assert_eq!(codes.len(), 10, "{user}");
        match crashed_delivered.get(user) {
            Some(lines) => {
                for line in lines {
                    assert_eq!(
                        line, &codes,
                        "{user}: codes handed out are not the stored ones"
                    );
                }
            }
            None => assert_eq!(
                codes,
                decrypt(reference_rows[user.as_str()]),
                "{user}: codes from the source differ"
            ),
        }
    }
}

fn pg_stored_codes(db: &TempPgDatabase) -> Vec<(String, String)> {
    db.client()
        .query("SELECT \"userId\", \"backupCodes\" FROM \"twoFactor\"", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// Row count and a digest of every row's text (the compared columns), per table.
fn fingerprint(db: &TempPgDatabase, table: &str, columns: &str) -> (i64, String) {
    let row = db
        .client()
        .query_one(
            &format!("SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM (SELECT {columns} FROM \"{table}\") t"),
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

/// Every table of the two Better Auth databases holds the very same rows, and each run handed
/// out the backup codes it stored.
fn assert_same_rows(
    (reference_db, reference): (&TempPgDatabase, &Run<'_>),
    (crashed_db, crashed): (&TempPgDatabase, &Run<'_>),
) {
    assert_backup_codes(
        (&pg_stored_codes(reference_db), &reference.codes),
        (&pg_stored_codes(crashed_db), &crashed.codes),
    );
    for &(table, columns) in TABLES {
        let (a, b) = (
            fingerprint(reference_db, table, columns),
            fingerprint(crashed_db, table, columns),
        );
        assert_eq!(a.0, b.0, "{table}: row counts differ");
        assert_eq!(
            a.1, b.1,
            "{table}: the resumed run's rows differ from the uninterrupted run's"
        );
    }
}

#[test]
fn postgres_sigkill_resume_matches_uninterrupted_run() {
    let users = crash_users();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("export.csv");
    authferry_platforms::synthetic::write_clerk_csv(&csv, users, 43).unwrap();
    let (reference_db, crashed_db) = (
        TempPgDatabase::create("crash_ref"),
        TempPgDatabase::create("crash_kill"),
    );
    let (reference, crashed) = Run::pair(
        &csv,
        dir.path(),
        [
            format!("better-auth:{}", reference_db.url()),
            format!("better-auth:{}", crashed_db.url()),
        ],
        None,
    );
    migrate_with_kills("PostgreSQL", users, 5, &reference, &crashed);
    assert_same_rows((&reference_db, &reference), (&crashed_db, &crashed));
    assert_eq!(fingerprint(&reference_db, "user", "*").0 as u64, users);
}

/// The same with the journal in PostgreSQL (another database than the target), killed 20
/// times: a killed run's rows are taken over by the next run at once.
#[test]
fn postgres_journal_sigkill_20_times_resume_matches_uninterrupted_run() {
    let users = crash_users();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("export.csv");
    authferry_platforms::synthetic::write_clerk_csv(&csv, users, 44).unwrap();
    let (reference_db, crashed_db, journal_db) = (
        TempPgDatabase::create("pgj_ref"),
        TempPgDatabase::create("pgj_kill"),
        TempPgDatabase::create("pgj_journal"),
    );
    let (reference, crashed) = Run::pair(
        &csv,
        dir.path(),
        [
            format!("better-auth:{}", reference_db.url()),
            format!("better-auth:{}", crashed_db.url()),
        ],
        Some(journal_db.url()),
    );
    migrate_with_kills("PostgreSQL journal", users, 20, &reference, &crashed);
    assert_same_rows((&reference_db, &reference), (&crashed_db, &crashed));
    // Finished: a re-run writes nothing.
    let (summary, _) = crashed.complete();
    assert_eq!(summary["counts"]["already_present"], users, "{summary}");
}
