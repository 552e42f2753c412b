//! The Clerk sink and the Clerk API source against the fake Clerk Backend API
//! (`tests/fake-clerk/server.py`: spec-validated requests, fixed-window 429s, Clerk's error
//! JSON, deterministic faults including faults after the user was stored).

use authferry_core::conformance::{Harness, check_sink, write_items};
use authferry_core::{
    EmailAddress, Journal, PasswordCredential, PhoneNumber, Quiet, ReasonCode, RecordError,
    RunOptions, Secret, Sink, Source, Timestamp, User, WriteItem, WriteOutcome,
};
use authferry_platforms::clerk::{ClerkApi, ClerkApiSource, ClerkSettings, ClerkSink};
use authferry_testkit::fake_clerk::{FakeClerk, TEST_KEY};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

fn settings(fc: &FakeClerk, rate: &str) -> ClerkSettings {
    ClerkSettings {
        secret_key: Some(Secret::new(TEST_KEY)),
        api_url: Some(format!("{}/v1", fc.url)),
        rate: Some(rate.parse().unwrap()),
        timeout: Some(Duration::from_secs(10)),
        retry: None,
    }
}

fn clerk_sink(fc: &FakeClerk, rate: &str) -> ClerkSink {
    ClerkSink::new(ClerkApi::new(&settings(fc, rate)).unwrap())
}

/// A user with everything CreateUser takes: two emails (one unverified), a phone, a bcrypt
/// digest, a TOTP secret, backup codes, metadata.
fn full_user(i: u64) -> User {
    User {
        source_id: format!("src_{i:05}"),
        emails: vec![
            EmailAddress {
                address: format!("user{i}@example.com"),
                verified: true,
                primary: true,
            },
            EmailAddress {
                address: format!("alt{i}@example.org"),
                verified: false,
                primary: false,
            },
        ],
        phones: vec![PhoneNumber {
            number: format!("+1555{:07}", i),
            verified: true,
            primary: true,
        }],
        username: Some(format!("user_{i}")),
        first_name: Some("Ada".into()),
        last_name: Some(format!("Number{i}")),
        password: Some(PasswordCredential {
            hasher: Some("bcrypt".into()),
            digest: Secret::new("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
            params: Default::default(),
        }),
        totp_secret: Some(Secret::new("JBSWY3DPEHPK3PXP")),
        backup_codes: vec![
            Secret::new(format!("code-{i}-a")),
            Secret::new(format!("code-{i}-b")),
        ],
        public_metadata: Some(json!({"plan": "pro", "n": i})),
        private_metadata: Some(json!({"crm": format!("c{i}")})),
        created_at: Some(Timestamp::from_millis(1_600_000_000_000 + i as i64 * 1000)),
        ..Default::default()
    }
}

fn all_migrated(out: &[WriteOutcome]) -> bool {
    out.iter()
        .all(|o| matches!(o, WriteOutcome::Migrated { .. }))
}

struct VecSource(std::vec::IntoIter<User>);
impl Source for VecSource {
    fn describe(&self) -> String {
        "test users".into()
    }
    fn next_user(&mut self) -> Option<Result<User, RecordError>> {
        self.0.next().map(Ok)
    }
}

fn run_engine(sink: &mut dyn Sink, users: Vec<User>) -> (authferry_core::Summary, Journal) {
    let mut journal = Journal::temporary().unwrap();
    let batch_size = sink.preferred_batch_size().unwrap();
    let summary = authferry_core::run(
        Box::new(VecSource(users.into_iter())),
        sink,
        &mut journal,
        RunOptions {
            batch_size,
            ..Default::default()
        },
        &mut Quiet,
    )
    .unwrap();
    (summary, journal)
}

fn external_ids(fc: &FakeClerk) -> Vec<String> {
    fc.users()
        .iter()
        .map(|u| u["external_id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn clerk_sink_passes_the_conformance_kit() {
    let Some(fc) = FakeClerk::start(&["--limit", "2000", "--window", "1"]) else {
        return;
    };
    let journal_db = authferry_testkit::TempPgDatabase::create("kit");
    check_sink(&Harness {
        open: &|| Box::new(clerk_sink(&fc, "1000/1s")),
        count_users: &|| fc.users().len() as u64,
        unique_identifiers: true,
        keeps_ids: false,
        throttle: Some(&|on| {
            fc.configure(if on {
                json!({"limit": 4, "window": 1})
            } else {
                json!({"limit": 2000, "window": 1})
            });
            fc.stat(&["by_status", "429"])
        }),
        pg_journal: &journal_db.url(),
    });
    assert_eq!(fc.stat(&["spec_violations"]), 0);
}

#[test]
fn every_user_arrives_once_under_ten_percent_faults() {
    let Some(fc) = FakeClerk::start(&[
        "--limit",
        "2000",
        "--window",
        "1",
        "--fault-rate",
        "0.1",
        "--slow-seconds",
        "1",
        "--seed",
        "7",
    ]) else {
        return;
    };
    let n = 600;
    let users: Vec<User> = (0..n).map(full_user).collect();
    let mut sink = clerk_sink(&fc, "1000/1s");
    let (summary, mut journal) = run_engine(&mut sink, users.clone());
    assert_eq!(summary.counts.migrated, n, "{summary}");
    assert_eq!(
        summary.counts.failed + summary.counts.skipped,
        0,
        "{summary}"
    );

    // Exactly once: every source id once in Clerk, nothing else.
    let ids = external_ids(&fc);
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(ids.len() as u64, n, "users stored");
    assert_eq!(distinct.len() as u64, n, "duplicates stored");
    let want: BTreeSet<String> = users.iter().map(|u| u.source_id.clone()).collect();
    assert_eq!(distinct.into_iter().cloned().collect::<BTreeSet<_>>(), want);

    // The faults really happened, including after the user was stored.
    let stats = fc.stats();
    let faults = &stats["faults"];
    let after = faults["500_after"].as_u64().unwrap() + faults["drop_after"].as_u64().unwrap();
    assert!(after > 0, "no fault after storing: {stats}");
    assert!(faults["slow"].as_u64().unwrap() > 0, "{stats}");
    assert_eq!(stats["spec_violations"], 0, "{stats}");

    // The journal holds each record's Clerk id, the one Clerk gave.
    let by_external: HashMap<String, String> = fc
        .users()
        .iter()
        .map(|u| {
            (
                u["external_id"].as_str().unwrap().to_string(),
                u["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut seen = 0;
    journal
        .for_each_record(|r| {
            let sid = r.source_id.clone().unwrap();
            assert_eq!(r.target_id.as_ref(), by_external.get(&sid), "{sid}");
            seen += 1;
        })
        .unwrap();
    assert_eq!(seen, n);

    // What arrived is what was sent: identifiers, status, secrets, metadata.
    let stored = fc.users();
    let u7 = stored
        .iter()
        .find(|u| u["external_id"] == "src_00007")
        .unwrap();
    assert_eq!(
        u7["email_addresses"][0]["email_address"],
        "user7@example.com"
    );
    assert_eq!(
        u7["email_addresses"][1]["email_address"],
        "alt7@example.org"
    );
    assert_eq!(u7["email_addresses"][0]["reserved"], false);
    assert_eq!(u7["email_addresses"][1]["reserved"], true);
    assert_eq!(u7["phone_numbers"][0]["phone_number"], "+15550000007");
    assert_eq!(u7["username"], "user_7");
    assert_eq!(u7["_password_hasher"], "bcrypt");
    assert_eq!(
        u7["_password_digest"],
        users[7].password.as_ref().unwrap().digest.expose()
    );
    assert_eq!(u7["_totp_secret"], "JBSWY3DPEHPK3PXP");
    assert_eq!(u7["_backup_codes"], json!(["code-7-a", "code-7-b"]));
    assert_eq!(u7["public_metadata"], json!({"plan": "pro", "n": 7}));
    assert_eq!(u7["private_metadata"], json!({"crm": "c7"}));
    assert_eq!(u7["created_at"], json!(1_600_000_007_000i64));
}

#[test]
fn a_body_that_violates_the_spec_is_failed_and_never_sent() {
    let Some(fc) = FakeClerk::start(&["--limit", "1000", "--window", "1"]) else {
        return;
    };
    let mut bad = full_user(1);
    bad.public_metadata = Some(json!("not an object"));
    let good = full_user(2);
    let mut sink = clerk_sink(&fc, "500/1s");
    sink.prepare().unwrap();
    let before = fc.stat(&["requests"]);
    let out = sink
        .write_batch(&[
            WriteItem {
                user: &bad,
                resumed: false,
            },
            WriteItem {
                user: &good,
                resumed: false,
            },
        ])
        .unwrap();
    match &out[0] {
        WriteOutcome::Failed { reason } => {
            assert_eq!(reason.code, ReasonCode::InvalidField);
            assert!(
                reason.message.contains("public_metadata"),
                "{}",
                reason.message
            );
            assert!(
                !reason.message.contains("not an object"),
                "{}",
                reason.message
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(out[1], WriteOutcome::Migrated { .. }),
        "{:?}",
        out[1]
    );
    assert_eq!(
        fc.stat(&["requests"]) - before,
        1,
        "only the valid body is sent"
    );
    assert_eq!(fc.stat(&["spec_violations"]), 0);
    assert_eq!(external_ids(&fc), vec!["src_00002".to_string()]);
}

#[test]
fn the_limiter_keeps_every_window_within_the_limit() {
    let Some(fc) = FakeClerk::start(&["--limit", "100", "--window", "1"]) else {
        return;
    };
    let n = 350;
    let users: Vec<User> = (0..n).map(full_user).collect();
    let mut sink = clerk_sink(&fc, "100/1s");
    let (summary, _) = run_engine(&mut sink, users);
    assert_eq!(summary.counts.migrated, n, "{summary}");
    let stats = fc.stats();
    let requests = stats["requests"].as_u64().unwrap();
    let limited = stats["by_status"]["429"].as_u64().unwrap_or(0);
    assert!(
        stats["max_requests_in_window"].as_u64().unwrap() <= 100,
        "a window saw more than the limit: {stats}"
    );
    assert!(limited * 100 < requests, "429s: {limited} of {requests}");
}

#[test]
fn a_taken_identifier_is_skipped_with_the_holder_and_a_key_failure_stops_the_run() {
    let Some(fc) = FakeClerk::start(&["--limit", "1000", "--window", "1"]) else {
        return;
    };
    let mut sink = clerk_sink(&fc, "500/1s");
    let first = full_user(1);
    let out = sink
        .write_batch(&[WriteItem {
            user: &first,
            resumed: false,
        }])
        .unwrap();
    let WriteOutcome::Migrated { target_id } = &out[0] else {
        panic!("{out:?}")
    };
    // Another record, same email in other case: skipped, naming the holder.
    let mut other = full_user(2);
    other.emails[0].address = "USER1@example.com".into();
    let out = sink
        .write_batch(&[WriteItem {
            user: &other,
            resumed: false,
        }])
        .unwrap();
    match &out[0] {
        WriteOutcome::Skipped {
            reason,
            target_id: holder,
        } => {
            assert_eq!(reason.code, ReasonCode::ExistsInTarget);
            assert_eq!(holder.as_ref(), Some(target_id));
        }
        other => panic!("{other:?}"),
    }
    // A plan sees the same.
    let found = sink
        .find_existing(&[&first, &other, &full_user(3)])
        .unwrap();
    assert!(
        found[0]
            .as_ref()
            .is_some_and(|e| e.same_id && &e.target_id == target_id)
    );
    assert!(
        found[1]
            .as_ref()
            .is_some_and(|e| !e.same_id && &e.target_id == target_id)
    );
    assert!(found[2].is_none());

    // A wrong key: prepare refuses, and the message does not carry the key.
    let mut s = settings(&fc, "500/1s");
    s.secret_key = Some(Secret::new("sk_test_WRONGKEYvalue"));
    let mut wrong = ClerkSink::new(ClerkApi::new(&s).unwrap());
    let err = wrong.prepare().unwrap_err().to_string();
    assert!(err.contains("401"), "{err}");
    assert!(!err.contains("WRONGKEYvalue"), "{err}");
    let err = wrong
        .write_batch(&[WriteItem {
            user: &full_user(4),
            resumed: false,
        }])
        .unwrap_err()
        .to_string();
    assert!(err.contains("secret key"), "{err}");
    assert!(!err.contains("WRONGKEYvalue"), "{err}");
}

#[test]
fn clerk_api_source_lists_every_user_and_joins_digests_from_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let n = 1203u64; // three pages of 500
    let preload: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "id": format!("user_{i:05}"),
                "object": "user",
                "first_name": "Lin",
                "email_addresses": [{
                    "id": format!("idn_{i}"), "object": "email_address",
                    "email_address": format!("lin{i}@example.com"),
                    "verification": {"status": "verified", "strategy": "admin"}, "linked_to": []
                }],
                "primary_email_address_id": format!("idn_{i}"),
                "public_metadata": {"i": i},
                "created_at": 1_500_000_000_000i64 + i as i64,
            })
        })
        .collect();
    let csv_path = dir.path().join("export.csv");
    // user_00002's row has a first name that is not UTF-8: unreadable.
    let csv = "id,first_name,last_name,username,primary_email_address,primary_phone_number,verified_email_addresses,unverified_email_addresses,verified_phone_numbers,unverified_phone_numbers,totp_secret,password_digest,password_hasher\n\
         user_00001,Lin,,,lin1@example.com,,lin1@example.com,,,,JBSWY3DPEHPK3PXP,$2b$10$w6CdUAvRvqa1CsZN3pyl5uLE71UeeIwlSZ4oLHPOePJOvD7Bgh1z.,bcrypt\n\
         user_00002,L~n,,,lin2@example.com,,,,,,,$2b$10$w6CdUAvRvqa1CsZN3pyl5uLE71UeeIwlSZ4oLHPOePJOvD7Bgh1z.,bcrypt\n\
         user_99999,Gone,,,gone@example.com,,gone@example.com,,,,,$2b$10$w6CdUAvRvqa1CsZN3pyl5uLE71UeeIwlSZ4oLHPOePJOvD7Bgh1z.,bcrypt\n";
    let bytes: Vec<u8> = csv
        .bytes()
        .map(|b| if b == b'~' { 0xff } else { b })
        .collect();
    std::fs::write(&csv_path, bytes).unwrap();
    let Some(fc) = FakeClerk::start_with_users(&preload, &["--limit", "1000", "--window", "1"])
    else {
        return;
    };
    let api = ClerkApi::new(&settings(&fc, "500/1s")).unwrap();
    let mut source = ClerkApiSource::open(api, Some(&csv_path)).unwrap();
    let mut users = Vec::new();
    while let Some(item) = source.next_user() {
        users.push(item);
    }
    assert_eq!(users.len() as u64, n);
    // Oldest first, every user once.
    let ids: Vec<String> = users
        .iter()
        .map(|u| match u {
            Ok(u) => u.source_id.clone(),
            Err(e) => e.source_id.clone().unwrap(),
        })
        .collect();
    let want: Vec<String> = (0..n).map(|i| format!("user_{i:05}")).collect();
    assert_eq!(ids, want);
    let u1 = users[1].as_ref().unwrap();
    assert_eq!(
        u1.password.as_ref().unwrap().hasher.as_deref(),
        Some("bcrypt")
    );
    assert_eq!(
        u1.totp_secret.as_ref().unwrap().expose(),
        "JBSWY3DPEHPK3PXP"
    );
    assert_eq!(u1.public_metadata, Some(json!({"i": 1})));
    // The user whose CSV row is unreadable fails with the reason instead of losing its password.
    let e2 = users[2].as_ref().unwrap_err();
    assert_eq!(e2.field.as_deref(), Some("password_digest"));
    assert!(users[3].as_ref().unwrap().password.is_none());
    // Three pages (500, 500, 203), each after the last id of the one before.
    assert_eq!(fc.stat(&["requests"]), 3);
    assert_eq!(fc.stat(&["spec_violations"]), 0);
    assert_eq!(fc.stat(&["by_status", "429"]), 0);
}

#[test]
fn a_resumed_batch_looks_up_before_sending_and_sends_nothing_twice() {
    let Some(fc) = FakeClerk::start(&["--limit", "1000", "--window", "1"]) else {
        return;
    };
    let users: Vec<User> = (0..40).map(full_user).collect();
    let mut sink = clerk_sink(&fc, "500/1s");
    let items = write_items(&users[..25], false);
    sink.write_batch(&items).unwrap();
    let posts_before = fc.stat(&["by_status", "200"]);
    let items = write_items(&users, true);
    let out = sink.write_batch(&items).unwrap();
    assert!(all_migrated(&out), "{out:?}");
    assert_eq!(fc.users().len(), 40);
    assert_eq!(
        fc.stat(&["duplicate_create_attempts"]),
        0,
        "a stored user was sent again"
    );
    // 15 creates and one lookup for the 40 (chunks of 50).
    assert_eq!(fc.stat(&["by_status", "200"]) - posts_before, 15 + 1);
    // Resumed, none of them arrived before: still one lookup, then only creates.
    let more: Vec<User> = (40..50).map(full_user).collect();
    let before = fc.stat(&["requests"]);
    let items = write_items(&more, true);
    let out = sink.write_batch(&items).unwrap();
    assert!(all_migrated(&out), "{out:?}");
    assert_eq!(fc.stat(&["requests"]) - before, 10 + 1);
}

#[test]
fn exhausted_retries_fail_with_the_last_status_and_a_later_run_resolves_them_once() {
    let Some(fc) = FakeClerk::start(&[
        "--limit",
        "2000",
        "--window",
        "1",
        "--fault-rate",
        "1.0",
        "--slow-seconds",
        "0.05",
    ]) else {
        return;
    };
    let mut s = settings(&fc, "1000/1s");
    s.retry = Some(authferry_platforms::remote::Backoff {
        base: Duration::from_millis(1),
        cap: Duration::from_millis(4),
        max_attempts: 3,
    });
    let dir = tempfile::tempdir().unwrap();
    let journal_path = dir.path().join("journal.sqlite");
    let users: Vec<User> = (0..30).map(full_user).collect();
    let run = |fc_users: Vec<User>| {
        let mut sink = ClerkSink::new(ClerkApi::new(&s).unwrap());
        let mut journal = Journal::open(&journal_path, "test", "clerk").unwrap();
        authferry_core::run(
            Box::new(VecSource(fc_users.into_iter())),
            &mut sink,
            &mut journal,
            RunOptions {
                batch_size: 10,
                ..Default::default()
            },
            &mut Quiet,
        )
    };
    // Every request faulted: `prepare` itself cannot get through.
    let err = run(users.clone()).expect_err("no request can succeed");
    assert!(err.to_string().contains("failed 3 times"), "{err}");

    // Half the requests faulted: records end migrated or failed with the last status.
    fc.configure(json!({"fault_rate": 0.5}));
    let summary = run(users.clone()).unwrap();
    assert_eq!(summary.counts.total(), 30, "{summary}");
    assert!(summary.counts.failed > 0, "{summary}");
    for p in &summary.problems {
        assert!(
            p.reason.contains("gave up after 3 attempts; last: ")
                || p.reason
                    .contains("could not tell whether Clerk stored the user"),
            "{}",
            p.reason
        );
    }
    // Faults over: the re-run finishes every record, and Clerk holds each user once.
    fc.configure(json!({"fault_rate": 0.0}));
    let summary = run(users.clone()).unwrap();
    let c = summary.counts;
    assert_eq!(c.migrated + c.already_present, 30, "{summary}");
    let ids = external_ids(&fc);
    assert_eq!(ids.len(), 30);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 30);
}

/// The schema the sink embeds is the published spec's CreateUser body, `$ref`s inlined.
#[test]
fn create_user_schema_matches_the_spec() {
    let Some(python) = FakeClerk::python() else {
        return;
    };
    let root = authferry_testkit::fake_clerk::repo_root();
    let out = std::process::Command::new(python)
        .arg(root.join("scripts/extract-clerk-schema"))
        .arg(root.join("tests/fake-clerk/spec/clerk-backend-api-2026-05-12.yml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_spec: Value = serde_json::from_slice(&out.stdout).unwrap();
    let embedded: Value =
        serde_json::from_str(include_str!("../src/clerk/create_user.schema.json")).unwrap();
    assert_eq!(embedded, from_spec);
    assert_eq!(embedded["additionalProperties"], false);
    assert!(embedded["properties"].get("password_digest").is_some());
}

/// `clerk-api` as a lookup (the trickle server's question): users found by email, phone,
/// username and id through `GET /v1/users`, with the dashboard CSV's digests joined.
#[test]
fn clerk_api_lookup_finds_users_by_identity() {
    use authferry_core::lookup::Identifier;
    let dir = tempfile::tempdir().unwrap();
    let preload: Vec<Value> = (0..3)
        .map(|i| {
            json!({
                "id": format!("user_l{i}"),
                "object": "user",
                "username": format!("lin{i}"),
                "email_addresses": [{
                    "id": format!("idn_{i}"), "object": "email_address",
                    "email_address": format!("lin{i}@example.com"),
                    "verification": {"status": "verified", "strategy": "admin"}, "linked_to": []
                }],
                "primary_email_address_id": format!("idn_{i}"),
                "phone_numbers": [{
                    "id": format!("idp_{i}"), "object": "phone_number",
                    "phone_number": format!("+1555010000{i}"),
                    "verification": {"status": "verified", "strategy": "admin"}, "linked_to": []
                }],
                "primary_phone_number_id": format!("idp_{i}"),
                "created_at": 1_500_000_000_000i64 + i as i64,
            })
        })
        .collect();
    let csv_path = dir.path().join("export.csv");
    std::fs::write(
        &csv_path,
        "id,first_name,last_name,username,primary_email_address,primary_phone_number,verified_email_addresses,unverified_email_addresses,verified_phone_numbers,unverified_phone_numbers,totp_secret,password_digest,password_hasher\n\
         user_l1,Lin,,lin1,lin1@example.com,,lin1@example.com,,,,,$2b$10$w6CdUAvRvqa1CsZN3pyl5uLE71UeeIwlSZ4oLHPOePJOvD7Bgh1z.,bcrypt\n",
    )
    .unwrap();
    let Some(fc) = FakeClerk::start_with_users(&preload, &["--limit", "1000", "--window", "1"])
    else {
        return;
    };
    let api = ClerkApi::new(&settings(&fc, "500/1s")).unwrap();
    let mut lookup =
        authferry_platforms::clerk::ClerkApiLookup::open(api, Some(&csv_path)).unwrap();
    use authferry_core::lookup::Lookup;
    let ids =
        |found: Vec<User>| -> Vec<String> { found.into_iter().map(|u| u.source_id).collect() };
    let by_email = lookup
        .find(&Identifier::Email("lin1@example.com".into()))
        .unwrap();
    assert_eq!(
        by_email[0].password.as_ref().unwrap().hasher.as_deref(),
        Some("bcrypt"),
        "the digest comes from the CSV"
    );
    assert_eq!(ids(by_email), ["user_l1"]);
    assert_eq!(
        ids(lookup.find(&Identifier::Username("lin2".into())).unwrap()),
        ["user_l2"]
    );
    assert_eq!(
        ids(lookup
            .find(&Identifier::Phone("+15550100000".into()))
            .unwrap()),
        ["user_l0"]
    );
    assert_eq!(
        ids(lookup.find(&Identifier::Id("user_l0".into())).unwrap()),
        ["user_l0"]
    );
    assert!(
        lookup
            .find(&Identifier::Email("nobody@example.com".into()))
            .unwrap()
            .is_empty()
    );
    assert_eq!(fc.stat(&["spec_violations"]), 0);
}

/// Any export as a lookup, through the registry: the bundled sample indexed once.
#[test]
fn an_export_is_a_lookup_through_the_registry() {
    use authferry_core::lookup::Identifier;
    let sample = authferry_testkit::fake_clerk::repo_root().join("samples/clerk-export.csv");
    let plan = authferry_platforms::registry::parse_source(
        &format!("clerk-csv:{}", sample.display()),
        &Default::default(),
    )
    .unwrap();
    let mut lookup = plan.open_lookup().unwrap();
    let found = lookup
        .find(&Identifier::Email("Amara.Okafor@Example.com".into()))
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].source_id, "user_2RcQ3JyQU9BhcD5vivTpjxJSxLT");
    assert!(found[0].password.is_some());
    assert!(
        lookup
            .find(&Identifier::Id("user_nobody".into()))
            .unwrap()
            .is_empty()
    );
}
