//! The SuperTokens sink against the fake core (`tests/fake-supertokens`, which follows the CDI
//! spec and the real core's bulk-import behaviour): the conformance kit, every user once under
//! injected faults (lost answers included), failures mapped back to their records with the
//! core's words, and no request that breaks the published spec.

use authferry_core::conformance::{Harness, check_sink};
use authferry_core::engine::{Quiet, RunOptions, run};
use authferry_core::{
    EmailAddress, Journal, PasswordCredential, ReasonCode, Secret, Sink, Source, State, Summary,
    User,
};
use authferry_platforms::remote::Backoff;
use authferry_platforms::supertokens::{CoreApi, CoreSettings, SupertokensSink};
use authferry_testkit::fake_supertokens::{API_KEY, FakeSupertokens, totp_code};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

fn sink(fs: &FakeSupertokens) -> SupertokensSink {
    let api = CoreApi::new(&CoreSettings {
        url: fs.url.clone(),
        api_key: Some(Secret::new(API_KEY)),
        tenant: "public".into(),
        retry: Some(Backoff {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(200),
            max_attempts: 12,
        }),
        timeout: Some(Duration::from_secs(10)),
        ..Default::default()
    })
    .unwrap();
    SupertokensSink::open(api, Duration::from_millis(100)).expect("open the fake core")
}

/// Imported users by external id.
fn imported(fs: &FakeSupertokens) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for u in fs.users() {
        let x = u["externalUserId"].as_str().unwrap_or_default().to_string();
        assert!(out.insert(x.clone(), u).is_none(), "{x} imported twice");
    }
    out
}

#[test]
fn supertokens_sink_passes_the_conformance_kit() {
    let Some(fs) = FakeSupertokens::start(&["--process-interval", "0.05"]) else {
        return;
    };
    let journal_db = authferry_testkit::TempPgDatabase::create("stkit");
    check_sink(&Harness {
        open: &|| Box::new(sink(&fs)),
        count_users: &|| fs.users().len() as u64,
        unique_identifiers: true,
        keeps_ids: false,
        throttle: Some(&|on| {
            fs.configure(if on {
                json!({"limit": 3, "window": 1})
            } else {
                json!({"limit": 0})
            });
            fs.stat(&["rate_limited"])
        }),
        pg_journal: &journal_db.url(),
    });
    assert_eq!(fs.stat(&["spec_violations"]), 0, "{}", fs.stats());
}

/// `n` users with bcrypt passwords (Openwall's `U*U` vector), a TOTP secret on every tenth.
struct Users {
    next: u64,
    end: u64,
    /// Give user `bad` a role the core does not have.
    bad: Option<u64>,
}

impl Source for Users {
    fn describe(&self) -> String {
        "generated".into()
    }
    fn next_user(&mut self) -> Option<Result<User, authferry_core::RecordError>> {
        if self.next >= self.end {
            return None;
        }
        let i = self.next;
        self.next += 1;
        Some(Ok(User {
            source_id: format!("user_{i:06}"),
            emails: vec![EmailAddress {
                address: format!("u{i}@example.com"),
                verified: true,
                primary: true,
            }],
            password: Some(PasswordCredential {
                hasher: Some("bcrypt".into()),
                digest: Secret::new("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
                params: Default::default(),
            }),
            totp_secret: i
                .is_multiple_of(10)
                .then(|| Secret::new("JBSWY3DPEHPK3PXP")),
            public_metadata: Some(if self.bad == Some(i) {
                json!({"roles": ["superadmin"]})
            } else {
                json!({"roles": ["member"]})
            }),
            ..Default::default()
        }))
    }
}

fn migrate(fs: &FakeSupertokens, journal: &str, users: Users, batch: usize) -> Summary {
    let mut journal = Journal::open(journal, "generated", "supertokens").unwrap();
    let mut sink = sink(fs).with_roles_from(Some("public_metadata.roles".parse().unwrap()));
    run(
        Box::new(users),
        &mut sink as &mut dyn Sink,
        &mut journal,
        RunOptions {
            batch_size: batch,
            ..Default::default()
        },
        &mut Quiet,
    )
    .unwrap()
}

#[test]
fn every_user_arrives_once_under_faults_and_a_refused_user_fails_alone() {
    let Some(fs) = FakeSupertokens::start(&[
        "--process-interval",
        "0.05",
        "--fault-rate",
        "0.15",
        "--slow-seconds",
        "0.2",
        "--seed",
        "7",
        "--roles",
        "member",
    ]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.sqlite").display().to_string();
    let n = 3000u64;
    let summary = migrate(
        &fs,
        &journal,
        Users {
            next: 0,
            end: n,
            bad: Some(1234),
        },
        500,
    );
    let c = summary.counts;
    assert_eq!(c.migrated, n - 1, "{c:?}");
    assert_eq!(c.failed, 1, "{c:?}");
    let problem = summary
        .problems
        .iter()
        .find(|p| p.source_id.as_deref() == Some("user_001234"))
        .expect("the refused user is reported");
    assert_eq!(problem.code, ReasonCode::TargetRejected);
    assert!(
        problem.reason.contains("Role superadmin does not exist")
            && problem.reason.starts_with("field `public_metadata.roles`"),
        "{}",
        problem.reason
    );
    let users = imported(&fs);
    assert_eq!(users.len() as u64, n - 1);
    assert!(!users.contains_key("user_001234"));
    let stats = fs.stats();
    assert!(
        stats["faults"].as_object().is_some_and(|f| !f.is_empty()),
        "no fault was injected: {stats}"
    );
    assert_eq!(fs.stat(&["spec_violations"]), 0, "{stats}");
    // Imported as sent: roles, TOTP, the digest, the sign-in.
    let u = &users["user_000010"];
    assert_eq!(u["roles"], json!(["member"]), "{u}");
    assert!(fs.signin("u10@example.com", "U*U"));
    assert!(!fs.signin("u10@example.com", "U*V"));
    let code = totp_code("JBSWY3DPEHPK3PXP", 30);
    assert!(fs.verify_totp("user_000010", &code));

    // A second run sends nothing and finds everything recorded.
    let requests = fs.stat(&["requests"]);
    let again = migrate(
        &fs,
        &journal,
        Users {
            next: 0,
            end: n,
            bad: Some(1234),
        },
        500,
    );
    assert_eq!(again.counts.already_present, n - 1, "{:?}", again.counts);
    assert_eq!(again.counts.failed, 1, "{:?}", again.counts);
    assert!(
        fs.stat(&["requests"]) - requests < 20,
        "a finished run sent again"
    );

    // Fixed in the core (the role created), the next run sends the failed user again.
    fs.create_role("superadmin");
    let fixed = migrate(
        &fs,
        &journal,
        Users {
            next: 0,
            end: n,
            bad: Some(1234),
        },
        500,
    );
    assert_eq!(fixed.counts.migrated, 1, "{:?}", fixed.counts);
    assert_eq!(fixed.counts.failed, 0, "{:?}", fixed.counts);
    assert_eq!(imported(&fs)["user_001234"]["roles"], json!(["superadmin"]));
}

/// `Users`, ids prefixed (another source's users with the same emails).
struct Renamed(Users, &'static str);

impl Source for Renamed {
    fn describe(&self) -> String {
        "renamed".into()
    }
    fn next_user(&mut self) -> Option<Result<User, authferry_core::RecordError>> {
        let prefix = self.1;
        self.0.next_user().map(|r| {
            r.map(|mut u| {
                u.source_id = format!("{prefix}{}", u.source_id);
                u
            })
        })
    }
}

#[test]
fn a_failed_import_is_recorded_with_the_core_message_and_removed_from_its_table() {
    let Some(fs) = FakeSupertokens::start(&["--process-interval", "0.05", "--roles", "member"])
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Another user already holds u3's email in the core: the core fails ours at processing
    // time (E022 with account linking: the email is another primary user's), and the run
    // says who holds it.
    let run_of = |source: Box<dyn Source>, journal: &str| {
        let mut journal = Journal::open(journal, "generated", "supertokens").unwrap();
        let mut s = sink(&fs);
        run(
            source,
            &mut s as &mut dyn Sink,
            &mut journal,
            RunOptions::default(),
            &mut Quiet,
        )
        .unwrap()
    };
    let first = run_of(
        Box::new(Renamed(
            Users {
                next: 3,
                end: 4,
                bad: None,
            },
            "other_",
        )),
        &dir.path().join("a.sqlite").display().to_string(),
    );
    assert_eq!(first.counts.migrated, 1, "{:?}", first.counts);
    let summary = run_of(
        Box::new(Users {
            next: 0,
            end: 10,
            bad: None,
        }),
        &dir.path().join("b.sqlite").display().to_string(),
    );
    assert_eq!(summary.counts.migrated, 9, "{:?}", summary.counts);
    assert_eq!(summary.counts.skipped, 1, "{:?}", summary.counts);
    let p = &summary.problems[0];
    assert_eq!(p.source_id.as_deref(), Some("user_000003"));
    assert_eq!(p.state, State::Skipped);
    assert_eq!(p.code, ReasonCode::ExistsInTarget);
    assert!(p.reason.contains("E022"), "{}", p.reason);
    assert!(p.reason.contains("other_user_000003"), "{}", p.reason);
    // Recorded, so no longer in the core's table.
    assert!(fs.bulk().is_empty(), "{:?}", fs.bulk());
}
