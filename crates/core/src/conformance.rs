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
    settle_all(sink, out)
}

/// How long the kit waits for a target that settles later to settle a batch.
const SETTLE_WITHIN: std::time::Duration = std::time::Duration::from_secs(120);

/// A target that queues records (`Submitted`) is asked until each is settled, as the engine
/// would; the checks then judge the final outcomes.
fn settle_all(sink: &mut dyn Sink, mut out: Vec<WriteOutcome>) -> Vec<WriteOutcome> {
    let start = std::time::Instant::now();
    loop {
        let open: Vec<crate::traits::Ticket> = out
            .iter()
            .enumerate()
            .filter_map(|(i, o)| match o {
                WriteOutcome::Submitted { ticket } => Some(crate::traits::Ticket {
                    seq: i as u64,
                    ticket: ticket.clone(),
                }),
                _ => None,
            })
            .collect();
        if open.is_empty() {
            return out;
        }
        assert!(
            start.elapsed() < SETTLE_WITHIN,
            "{} records still not settled after {SETTLE_WITHIN:?}",
            open.len()
        );
        std::thread::sleep(sink.settle_interval());
        let answers = sink.settle(&open).expect("settle");
        assert_eq!(answers.len(), open.len(), "one answer per ticket");
        for (t, a) in open.iter().zip(answers) {
            if let Some(a) = a {
                out[t.seq as usize] = a;
            }
        }
    }
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

/// A target that settles later, for proving the engine's ticket path (the shape of a
/// bulk-import API such as SuperTokens'): `write_batch` queues each record and answers
/// `Submitted`; each queued record settles `delay` settle rounds later; one answer in
/// `lose_every` is lost (a round says "not yet" about a record that did settle); `outage`
/// makes every call fail, as a crash or an unreachable target would stop a run.
pub mod settling {
    use crate::model::{Field, User};
    use crate::outcome::WriteOutcome;
    use crate::traits::{Existing, Sink, SinkCapabilities, SinkError, Ticket, WriteItem};
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    #[derive(Default)]
    pub struct RemoteState {
        next_ticket: u64,
        /// ticket → (source id, settle rounds left)
        queue: HashMap<String, (String, u32)>,
        /// ticket → target id, for tickets that settled
        settled: HashMap<String, String>,
        /// source id → target id
        pub stored: HashMap<String, String>,
        /// source id → ticket, for records queued and not settled
        queued_ids: HashMap<String, String>,
        /// Records handed to `write_batch`, over every run.
        pub sends: u64,
        /// Settle answers lost on purpose.
        pub lost: u64,
        answers: u64,
        pub outage: bool,
    }

    /// The target's side, shared by every sink handle (and so by successive runs).
    #[derive(Clone, Default)]
    pub struct Remote(pub Arc<Mutex<RemoteState>>);

    impl Remote {
        pub fn state(&self) -> std::sync::MutexGuard<'_, RemoteState> {
            self.0.lock().expect("remote state")
        }
    }

    pub struct SettlingSink {
        pub remote: Remote,
        pub delay: u32,
        pub lose_every: u64,
        /// Between two settle rounds.
        pub interval: std::time::Duration,
        /// The first settle round finds the target down (and it stays down).
        pub outage_at_settle: bool,
    }

    fn down() -> SinkError {
        SinkError::Backend("the target is unreachable (simulated outage)".into())
    }

    impl Sink for SettlingSink {
        fn describe(&self) -> String {
            "a target that settles later (test)".into()
        }
        fn capabilities(&self) -> SinkCapabilities {
            SinkCapabilities {
                holds: Field::ALL.to_vec(),
                password_target: authferry_hash::PasswordTarget::Ndjson,
                requirements: Vec::new(),
            }
        }
        fn prepare(&mut self) -> Result<(), SinkError> {
            if self.remote.state().outage {
                return Err(down());
            }
            Ok(())
        }
        fn find_existing(&mut self, users: &[&User]) -> Result<Vec<Option<Existing>>, SinkError> {
            let st = self.remote.state();
            Ok(users
                .iter()
                .map(|u| {
                    st.stored.get(&u.source_id).map(|t| Existing {
                        target_id: t.clone(),
                        same_id: true,
                        identifier: "id",
                    })
                })
                .collect())
        }
        fn write_batch(&mut self, batch: &[WriteItem<'_>]) -> Result<Vec<WriteOutcome>, SinkError> {
            let mut st = self.remote.state();
            if st.outage {
                return Err(down());
            }
            let delay = self.delay;
            Ok(batch
                .iter()
                .map(|item| {
                    st.sends += 1;
                    let id = item.user.source_id.clone();
                    // Idempotent by source id, as an import keyed by external id is.
                    if let Some(t) = st.stored.get(&id) {
                        return WriteOutcome::AlreadyPresent {
                            target_id: t.clone(),
                        };
                    }
                    if let Some(ticket) = st.queued_ids.get(&id) {
                        return WriteOutcome::Submitted {
                            ticket: ticket.clone(),
                        };
                    }
                    st.next_ticket += 1;
                    let ticket = format!("ticket-{}", st.next_ticket);
                    st.queue.insert(ticket.clone(), (id.clone(), delay));
                    st.queued_ids.insert(id, ticket.clone());
                    WriteOutcome::Submitted { ticket }
                })
                .collect())
        }
        fn settle(&mut self, tickets: &[Ticket]) -> Result<Vec<Option<WriteOutcome>>, SinkError> {
            let mut st = self.remote.state();
            st.outage |= self.outage_at_settle;
            if st.outage {
                return Err(down());
            }
            let lose_every = self.lose_every.max(1);
            Ok(tickets
                .iter()
                .map(|t| {
                    if let Some((id, left)) = st.queue.get_mut(&t.ticket) {
                        *left = left.saturating_sub(1);
                        if *left == 0 {
                            let id = id.clone();
                            st.queue.remove(&t.ticket);
                            st.queued_ids.remove(&id);
                            let target_id = format!("settled_{id}");
                            st.stored.insert(id, target_id.clone());
                            st.settled.insert(t.ticket.clone(), target_id);
                        }
                    }
                    let target_id = st.settled.get(&t.ticket).cloned()?;
                    st.answers += 1;
                    if st.answers.is_multiple_of(lose_every) {
                        st.lost += 1;
                        return None;
                    }
                    Some(WriteOutcome::Migrated { target_id })
                })
                .collect())
        }
        fn settle_interval(&self) -> std::time::Duration {
            self.interval
        }
    }
}

/// The engine with a target that settles later, on the journal at `journal_location`: a run
/// stopped by an outage while tickets are open is resumed without sending any record again,
/// settles every ticket (answers lost on the way included), and a third run finds all done.
pub fn check_settling_engine(journal_location: &str) {
    use settling::{Remote, SettlingSink};
    let remote = Remote::default();
    let sink = || SettlingSink {
        remote: remote.clone(),
        delay: 3,
        lose_every: 4,
        interval: std::time::Duration::from_millis(5),
        outage_at_settle: false,
    };
    let (start, end) = (5000u64, 5600u64);
    let users = end - start;
    let opts = || RunOptions {
        mode: Mode::Migrate,
        batch_size: 50,
        ..Default::default()
    };
    let source = || {
        Box::new(DyingSource {
            next: start,
            end,
            die_after: None,
        })
    };

    // Run 1: records are queued; the target goes down at the first settle round, with
    // tickets open (and records not yet read).
    {
        let mut journal = Journal::open(journal_location, "kit", "settling").expect("journal");
        let mut s = SettlingSink {
            outage_at_settle: true,
            ..sink()
        };
        let r = run(
            source(),
            &mut s,
            &mut journal,
            opts(),
            &mut crate::engine::Quiet,
        );
        assert!(
            r.is_err(),
            "settling: the outage must stop the run with tickets open"
        );
    }
    let sent_before = {
        let st = remote.state();
        assert!(st.sends > 0, "settling: run 1 sent nothing");
        assert!(st.stored.is_empty(), "settling: nothing settled in run 1");
        st.sends
    };
    remote.state().outage = false;

    // A run to the end on this journal.
    let run_to_end = |what: &str| {
        let mut journal = Journal::open(journal_location, "kit", "settling").expect("journal");
        run(
            source(),
            &mut sink(),
            &mut journal,
            opts(),
            &mut crate::engine::Quiet,
        )
        .unwrap_or_else(|e| panic!("settling: {what}: {e}"))
    };

    // Run 2: nothing is sent again; every ticket settles.
    let summary = run_to_end("run 2");
    {
        let st = remote.state();
        assert_eq!(
            st.sends, users,
            "settling: a resumed run re-sent records ({sent_before} sent before the stop)"
        );
        assert_eq!(st.stored.len() as u64, users, "settling: not all settled");
        assert!(
            st.lost > 0,
            "settling: no answer was lost, so that path went untested"
        );
    }
    assert_eq!(
        summary.counts.migrated, users,
        "settling: {:?}",
        summary.counts
    );

    // Run 3: all done, nothing sent.
    let summary = run_to_end("run 3");
    assert_eq!(
        summary.counts.already_present, users,
        "settling: {:?}",
        summary.counts
    );
    assert_eq!(remote.state().sends, users);
}
