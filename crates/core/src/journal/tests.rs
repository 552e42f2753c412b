//! The journal's contract, run against both stores (PostgreSQL where the local server is up;
//! required under `scripts/test`).

use super::*;
use crate::outcome::{ReasonCode, State};

/// Fresh journal locations: a SQLite file, and a schema in a PostgreSQL database of its own
/// (the tests need the local server, as every PostgreSQL test does).
fn locations(
    tag: &str,
) -> (
    tempfile::TempDir,
    Vec<String>,
    authferry_testkit::TempPgDatabase,
) {
    let dir = tempfile::tempdir().unwrap();
    let db = authferry_testkit::TempPgDatabase::create(tag);
    let out = vec![
        dir.path().join("j.sqlite").display().to_string(),
        format!("{}?schema=journal_{tag}", db.url()),
    ];
    (dir, out, db)
}

#[test]
fn refuses_another_migration_and_keeps_start_time() {
    let (_dir, locs, _db) = locations("bind");
    for p in &locs {
        let started = {
            let j = Journal::open(p, "clerk-csv:a.csv", "better-auth:sqlite:x").unwrap();
            j.started_at()
        };
        std::thread::sleep(std::time::Duration::from_millis(5));
        // Another export of the same kind (a shard, a newer export) shares the journal.
        let j = Journal::open(p, "clerk-csv:b.csv", "better-auth:sqlite:x").unwrap();
        assert_eq!(j.started_at(), started, "{p}");
        drop(j);
        let e = Journal::open(p, "ndjson:b.ndjson", "better-auth:sqlite:x")
            .err()
            .unwrap();
        assert!(e.to_string().contains("another migration"), "{e}");
        let e = Journal::open(p, "clerk-csv:a.csv", "better-auth:sqlite:y")
            .err()
            .unwrap();
        assert!(e.to_string().contains("another migration"), "{e}");
        let mut j = Journal::open(p, "clerk-csv:a.csv", "better-auth:sqlite:x").unwrap();
        j.bind_instance("db at /x (inode 1)", true).unwrap();
        j.bind_instance("db at /x (inode 1)", true).unwrap();
        let e = j.bind_instance("db at /x (inode 2)", false).unwrap_err();
        assert!(e.to_string().contains("target instance"), "{e}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in [&locs[0], &format!("{}.lock", locs[0])] {
            assert_eq!(
                std::fs::metadata(f).unwrap().permissions().mode() & 0o777,
                0o600,
                "{f}"
            );
        }
    }
}

#[test]
fn claims_detect_duplicates_but_not_self() {
    let (_dir, locs, _db) = locations("claims");
    for p in &locs {
        let mut j = Journal::open(p, "k:1", "t").unwrap();
        let mut b = j.batch().unwrap();
        let claims = b
            .claim_records(&[(1, "a"), (2, "b"), (3, "c"), (4, "a")])
            .unwrap();
        assert_eq!(
            claims,
            vec![
                Claim::Fresh,
                Claim::Fresh,
                Claim::Fresh,
                Claim::DuplicateId { seq: 1 }
            ],
            "{p}"
        );
        assert_eq!(b.claim_identifier("a", &[1, 2]).unwrap(), None);
        assert_eq!(
            b.claim_identifier("a", &[1]).unwrap(),
            None,
            "a record never duplicates itself"
        );
        assert_eq!(
            b.claim_identifier("b", &[3, 2]).unwrap(),
            Some(Collision {
                holder_seq: 1,
                holder_id: Some("a".into()),
                index: 1
            })
        );
        assert_eq!(
            b.claim_identifier("c", &[3]).unwrap(),
            None,
            "a duplicate record claims nothing"
        );
        // In one call, in order: the second of two records sharing a new key collides.
        b.claim_records(&[(5, "e"), (6, "f")]).unwrap();
        let got = b
            .claim_identifiers(&[
                IdentifierClaim {
                    source_id: "e",
                    keys: &[50],
                },
                IdentifierClaim {
                    source_id: "f",
                    keys: &[51, 50],
                },
            ])
            .unwrap();
        assert_eq!(got[0], None);
        assert_eq!(got[1].as_ref().map(|c| c.index), Some(1), "{p}");
        b.outcome(1, Some("a"), State::Migrated, None, Some("t1"))
            .unwrap();
        let reason = Reason::new(ReasonCode::NoIdentifier, "no email");
        b.outcome(2, Some("b"), State::Failed, Some(&reason), None)
            .unwrap();
        b.outcome_at_position(4, State::Skipped, Some(&reason))
            .unwrap();
        b.commit().unwrap();
        drop(j);

        // The next run: done stays done, failures are tried again, the pending one (never
        // given an outcome: its run "died") is resumed.
        let mut j = Journal::open(p, "k:1", "t").unwrap();
        let mut b = j.batch().unwrap();
        let claims = b
            .claim_records(&[(1, "a"), (2, "b"), (3, "c"), (4, "a"), (9, "z")])
            .unwrap();
        assert_eq!(
            claims,
            vec![
                Claim::Done {
                    target_id: Some("t1".into()),
                    version: None
                },
                Claim::Retry,
                Claim::Resumed,
                Claim::DuplicateId { seq: 1 },
                Claim::Fresh
            ],
            "{p}"
        );
        b.commit().unwrap();
        let ids = j.source_ids(1, 4).unwrap();
        assert_eq!(ids.get(&1).map(String::as_str), Some("a"));
        assert_eq!(ids.get(&4), None, "a duplicate is kept by position");
        let mut records = Vec::new();
        j.for_each_record(|r| records.push((r.seq, r.source_id, r.state)))
            .unwrap();
        assert!(records.contains(&(1, Some("a".into()), Stored::Done(State::Migrated))));
        assert!(records.contains(&(4, None, Stored::Done(State::Skipped))));
        assert!(records.contains(&(9, Some("z".into()), Stored::Pending)));
    }
}

#[test]
fn a_second_run_on_one_sqlite_journal_is_refused_naming_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("j.sqlite");
    let first = Journal::open(&p, "k:1", "t").unwrap();
    let e = Journal::open(&p, "k:1", "t").unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains(&format!("pid {}", std::process::id())) && text.contains("in use"),
        "{text}"
    );
    // Reading (idmap, remap) is not a run.
    Journal::open_existing(&p).unwrap();
    drop(first);
    Journal::open(&p, "k:1", "t").unwrap();
}

#[test]
fn a_database_that_is_not_a_journal_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("app.db");
    rusqlite::Connection::open(&p)
        .unwrap()
        .execute_batch("CREATE TABLE user (id TEXT PRIMARY KEY);")
        .unwrap();
    let e = Journal::open(&p, "k:1", "t").unwrap_err();
    assert!(e.to_string().contains("not an authferry journal"), "{e}");
}

/// Two live runs on one PostgreSQL journal never hold the same record; the rows of a run whose
/// connection ended are taken over at once.
#[test]
fn postgres_runs_share_a_journal() {
    let db = authferry_testkit::TempPgDatabase::create("share");
    let url = db.url();
    let mut a = Journal::open(&url, "k:1", "t").unwrap();
    let mut b = Journal::open(&url, "k:2", "t").unwrap();
    let mut tx = a.batch().unwrap();
    assert_eq!(
        tx.claim_records(&[(1, "x"), (2, "y")]).unwrap(),
        vec![Claim::Fresh, Claim::Fresh]
    );
    tx.commit().unwrap();
    let mut tx = b.batch().unwrap();
    assert_eq!(
        tx.claim_records(&[(7, "y"), (8, "w")]).unwrap(),
        vec![Claim::Elsewhere, Claim::Fresh],
        "a live run's record is left to it"
    );
    tx.commit().unwrap();
    let mut tx = a.batch().unwrap();
    tx.outcome(1, Some("x"), State::Failed, None, None).unwrap();
    tx.commit().unwrap();
    let mut tx = b.batch().unwrap();
    assert_eq!(
        tx.claim_records(&[(6, "x")]).unwrap(),
        vec![Claim::Elsewhere],
        "a live run's failure is its own to report"
    );
    tx.commit().unwrap();
    drop(a); // its connection ends: its lock goes with it
    let mut tx = b.batch().unwrap();
    assert_eq!(
        tx.claim_records(&[(6, "x"), (7, "y")]).unwrap(),
        vec![Claim::Retry, Claim::Resumed]
    );
    tx.commit().unwrap();
}

/// A target that settles later, stopped with tickets open, resumed: nothing sent again, on
/// both stores.
#[test]
fn tickets_survive_a_stop_on_both_stores() {
    let (_dir, locs, _db) = locations("tickets");
    for p in &locs {
        crate::conformance::check_settling_engine(p);
    }
}

/// Sources of the same ids share a journal (the live platform after its export); another
/// platform's are refused.
#[test]
fn sources_of_the_same_ids_share_a_journal() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("j.sqlite");
    drop(Journal::open_with_ids(&p, Some("clerk"), "clerk-csv:export.csv", "t").unwrap());
    drop(Journal::open_with_ids(&p, Some("clerk"), "clerk-api", "t").unwrap());
    let e = Journal::open(&p, "ndjson:x.ndjson", "t").unwrap_err();
    assert!(e.to_string().contains("journal has `clerk`"), "{e}");
}

#[test]
fn records_are_read_without_claims_and_counted_by_the_path_that_moved_them() {
    let (_dir, locs, _db) = locations("bypath");
    for p in &locs {
        // A trickle server's records and a bulk run's, in one journal.
        let mut serve = Journal::open_with_ids(
            p,
            Some("clerk"),
            "serve:clerk-csv:a.csv",
            "better-auth:sqlite:x",
        )
        .unwrap();
        assert!(serve.record("u1").unwrap().is_none(), "{p}");
        let mut b = serve.batch().unwrap();
        assert_eq!(b.claim_records(&[(0, "u1")]).unwrap(), vec![Claim::Fresh]);
        b.outcome(0, Some("u1"), State::Migrated, None, Some("t1"))
            .unwrap();
        b.commit().unwrap();
        let r = serve.record("u1").unwrap().unwrap();
        assert_eq!(r.state, Stored::Done(State::Migrated), "{p}");
        assert_eq!(r.target_id.as_deref(), Some("t1"));
        drop(serve);
        let mut bulk =
            Journal::open_with_ids(p, Some("clerk"), "clerk-csv:a.csv", "better-auth:sqlite:x")
                .unwrap();
        // Reading does not claim: the bulk run gets what the server left.
        let mut b = bulk.batch().unwrap();
        let claims = b.claim_records(&[(0, "u1"), (1, "u2"), (2, "u3")]).unwrap();
        assert!(matches!(claims[0], Claim::Done { .. }), "{claims:?}");
        assert_eq!(claims[1], Claim::Fresh);
        b.outcome(1, Some("u2"), State::Migrated, None, Some("t2"))
            .unwrap();
        let reason = crate::outcome::Reason::new(ReasonCode::InvalidEmail, "bad");
        b.outcome(2, Some("u3"), State::Failed, Some(&reason), None)
            .unwrap();
        b.commit().unwrap();
        assert_eq!(
            bulk.moved_by_source().unwrap(),
            vec![
                ("serve:clerk-csv:a.csv".to_string(), 1),
                ("clerk-csv:a.csv".to_string(), 1)
            ],
            "{p}"
        );
        assert_eq!(
            bulk.record("u3").unwrap().unwrap().state,
            Stored::Done(State::Failed)
        );
    }
}
