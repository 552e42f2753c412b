//! The conformance kit every sink passes (as vector's sinks pass its compliance harness):
//! idempotent re-runs, partial batch failures, resume after a crash between the sink's commit
//! and the journal's, the engine end to end with a crash in the middle, and, for sinks behind
//! a rate-limited API, a batch written while the target answers 429.
//!
//! Call [`check_sink`] from a platform's tests with a factory for fresh handles to one empty
//! target and a function that counts the users stored in it.

use crate::engine::{RunOptions, run};
use crate::journal::Journal;
use crate::model::{EmailAddress, PasswordCredential, Secret, Timestamp, User};
use crate::outcome::{ReasonCode, RecordError, WriteOutcome};
use crate::report::Mode;
use crate::traits::{Sink, Source, WriteItem};

/// A fresh handle to the target under test (the same target every call), and a row count.
pub struct Harness<'a> {
    pub open: &'a dyn Fn() -> Box<dyn Sink>,
    pub count_users: &'a dyn Fn() -> u64,
    /// The target refuses a second user with an email it already holds (databases of auth
    /// platforms do; a plain file does not), so the partial-batch check applies.
    pub unique_identifiers: bool,
    /// The target keeps source ids as its own (SQL targets); otherwise it assigns ids (APIs).
    pub keeps_ids: bool,
    /// Rate-limited targets: `throttle(true)` makes the target answer 429 (with `Retry-After`)
    /// to most requests, `throttle(false)` ends that; each returns the number of 429s the
    /// target has answered so far.
    pub throttle: Option<&'a dyn Fn(bool) -> u64>,
    /// A PostgreSQL database the kit may create journal schemas in: the crash-resume check
    /// runs with a SQLite journal and with a PostgreSQL one.
    pub pg_journal: &'a str,
}

/// Users the kit writes: `kit-<i>@example.com`, a bcrypt digest, fixed timestamps.
pub fn kit_user(i: u64) -> User {
    User {
        source_id: format!("kit_user_{i:06}"),
        emails: vec![EmailAddress {
            address: format!("kit-{i}@example.com"),
            verified: i.is_multiple_of(2),
            primary: true,
        }],
        first_name: Some(format!("Kit {i}")),
        password: Some(PasswordCredential {
            hasher: Some("bcrypt".into()),
            // bcrypt("U*U"), Openwall's vector: valid shape, no secret of anyone's.
            digest: Secret::new("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
            params: Default::default(),
        }),
        created_at: Some(Timestamp::from_millis(1_700_000_000_000 + i as i64)),
        ..Default::default()
    }
}

/// `users` as one batch for [`Sink::write_batch`].
pub fn write_items(users: &[User], resumed: bool) -> Vec<WriteItem<'_>> {
    users
        .iter()
        .map(|user| WriteItem { user, resumed })
        .collect()
}

fn write(sink: &mut dyn Sink, users: &[User], resumed: bool) -> Vec<WriteOutcome> {
    let items = write_items(users, resumed);
    let out = sink.write_batch(&items).expect("write_batch");
    assert_eq!(out.len(), users.len(), "one outcome per item");
    out
}

/// Runs every check. Panics with a message naming the check that failed.
pub fn check_sink(h: &Harness<'_>) {
    idempotent_rerun(h);
    if h.unique_identifiers {
        partial_batch(h);
    }
    resumed_batch(h);
    if let Some(throttle) = h.throttle {
        rate_limited_batch(h, throttle);
    }
    engine_crash_resume(h);
}

/// A batch written while the target refuses most requests with 429: every record still
/// arrives exactly once, and the target really did refuse some.
fn rate_limited_batch(h: &Harness<'_>, throttle: &dyn Fn(bool) -> u64) {
    let users: Vec<User> = (300..330).map(kit_user).collect();
    let mut sink = (h.open)();
    sink.prepare().expect("prepare");
    let before = (h.count_users)();
    let refused_before = throttle(true);
    let out = write(sink.as_mut(), &users, false);
    let refused_after = throttle(false);
    assert!(
        refused_after > refused_before,
        "rate_limited_batch: the target answered no 429, so nothing was tested"
    );
    assert!(
        out.iter()
            .all(|o| matches!(o, WriteOutcome::Migrated { .. })),
        "rate_limited_batch: {out:?}"
    );
    assert_eq!(
        (h.count_users)(),
        before + 30,
        "rate_limited_batch: duplicates or losses"
    );
}

/// The same batch twice: the second time nothing is written and every record is reported as
/// already present.
fn idempotent_rerun(h: &Harness<'_>) {
    let mut sink = (h.open)();
    sink.prepare().expect("prepare");
    let users: Vec<User> = (0..50).map(kit_user).collect();
    let before = (h.count_users)();
    let first = write(sink.as_mut(), &users, false);
    assert!(
        first
            .iter()
            .all(|o| matches!(o, WriteOutcome::Migrated { .. })),
        "idempotent_rerun: first write: {first:?}"
    );
    assert_eq!((h.count_users)(), before + 50);
    let mut sink = (h.open)();
    sink.prepare().expect("prepare twice");
    let second = write(sink.as_mut(), &users, false);
    assert!(
        second
            .iter()
            .all(|o| matches!(o, WriteOutcome::AlreadyPresent { .. })),
        "idempotent_rerun: second write must report already present: {second:?}"
    );
    assert_eq!(
        (h.count_users)(),
        before + 50,
        "idempotent_rerun: a re-run wrote rows"
    );
}

/// A batch where some records collide with the target: those are skipped with the existing
/// user's id; the rest are written.
fn partial_batch(h: &Harness<'_>) {
    let mut sink = (h.open)();
    sink.prepare().expect("prepare");
    let mut users: Vec<User> = (100..110).map(kit_user).collect();
    // Same email as kit user 0 (written by idempotent_rerun), another id; upper case, because
    // targets compare emails case-insensitively.
    users[3].emails[0].address = "KIT-0@example.com".into();
    users[7].emails[0].address = "kit-1@example.com".into();
    let before = (h.count_users)();
    let out = write(sink.as_mut(), &users, false);
    for (i, o) in out.iter().enumerate() {
        match (i, o) {
            (3 | 7, WriteOutcome::Skipped { reason, target_id }) => {
                assert_eq!(
                    reason.code,
                    ReasonCode::ExistsInTarget,
                    "partial_batch: {reason}"
                );
                // The existing user's id: kit user 0 or 1's own id where ids are kept.
                assert!(
                    target_id.as_deref().is_some_and(|t| if h.keeps_ids {
                        t.starts_with("kit_user_00000")
                    } else {
                        !t.is_empty()
                    }),
                    "partial_batch: {target_id:?}"
                );
            }
            (3 | 7, other) => panic!("partial_batch: record {i} collides yet got {other:?}"),
            (_, WriteOutcome::Migrated { .. }) => {}
            (_, other) => panic!("partial_batch: record {i} should be written, got {other:?}"),
        }
    }
    assert_eq!((h.count_users)(), before + 8);
}

/// A batch whose earlier attempt reached the target before a crash (the journal still says
/// pending): re-sent with `resumed`, its records count as migrated and nothing is duplicated.
fn resumed_batch(h: &Harness<'_>) {
    let users: Vec<User> = (200..220).map(kit_user).collect();
    let mut sink = (h.open)();
    sink.prepare().expect("prepare");
    write(sink.as_mut(), &users[..12], false);
    drop(sink); // the "crash": the journal never heard of these 12
    let before = (h.count_users)();
    let mut sink = (h.open)();
    sink.prepare().expect("prepare");
    let out = write(sink.as_mut(), &users, true);
    assert!(
        out.iter()
            .all(|o| matches!(o, WriteOutcome::Migrated { .. })),
        "resumed_batch: {out:?}"
    );
    assert_eq!(
        (h.count_users)(),
        before + 8,
        "resumed_batch: duplicates or losses"
    );
}

/// A source that dies (fatally) after `die_after` records, like a killed process.
struct DyingSource {
    next: u64,
    end: u64,
    die_after: Option<u64>,
}

impl Source for DyingSource {
    fn describe(&self) -> String {
        "kit".into()
    }
    fn next_user(&mut self) -> Option<Result<User, RecordError>> {
        if self.next >= self.end {
            return None;
        }
        if self.die_after == Some(self.next) {
            return Some(Err(RecordError::fatal("simulated crash")));
        }
        let u = kit_user(self.next);
        self.next += 1;
        Some(Ok(u))
    }
}

/// The engine, a journal and this sink: a run that dies half way, then resumes, ends with
/// every user written exactly once.
fn engine_crash_resume(h: &Harness<'_>) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("authferry-kit-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("kit dir");
    let sep = if h.pg_journal.contains('?') { '&' } else { '?' };
    let journals = [
        dir.join("journal.sqlite").display().to_string(),
        format!("{}{sep}schema=kit_{nanos}", h.pg_journal),
    ];
    for (n, journal_location) in journals.iter().enumerate() {
        let before = (h.count_users)();
        // Each store gets users of its own.
        let (start, end) = (1000 + n as u64 * 1000, 1500 + n as u64 * 1000);
        for die_after in [Some(start + 230), None] {
            let mut journal =
                Journal::open(journal_location, "kit", "kit-target").expect("journal");
            let mut sink = (h.open)();
            let opts = RunOptions {
                mode: Mode::Migrate,
                batch_size: 64,
                ..Default::default()
            };
            let summary = run(
                Box::new(DyingSource {
                    next: start,
                    end,
                    die_after,
                }),
                sink.as_mut(),
                &mut journal,
                opts,
                &mut crate::engine::Quiet,
            )
            .expect("engine run");
            if die_after.is_some() {
                assert!(
                    summary.aborted.is_some(),
                    "engine_crash_resume: the dying source must abort the run"
                );
            } else {
                let c = summary.counts;
                assert_eq!(
                    c.migrated + c.already_present,
                    end - start,
                    "engine_crash_resume ({journal_location}): {c:?}"
                );
                assert_eq!(c.failed + c.skipped, 0, "engine_crash_resume: {c:?}");
            }
        }
        assert_eq!(
            (h.count_users)(),
            before + (end - start),
            "engine_crash_resume ({journal_location}): rows in target"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
