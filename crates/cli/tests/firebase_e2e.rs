//! End-to-end proof that users leaving Firebase keep their passwords: the built `authferry`
//! binary migrates the Firebase fixture export (`firebase auth:export` JSON, 210 users and one
//! broken record, digests made by the `firebase-scrypt` package with known passwords) with
//! `--hash-config` into a Better Auth SQLite database, and the real better-auth 1.7.25 signs
//! every password user in through the emitted verify module, refuses each one's wrong
//! password, and refuses OAuth-only and phone-only users (who never had a password).
//!
//! Needs `npm ci` in `tests/e2e/better-auth/` (see its README). Without `node_modules` the test
//! skips LOUDLY, unless `AUTHFERRY_E2E_REQUIRED` is set, in which case it fails.
//!
//! No password, digest, salt or signer key is ever printed: every output is scanned for them
//! before any of it is shown.

use authferry_testkit::e2e::{BETTER_AUTH_VERSION, Secrets, e2e, random_secret, run, signin_check};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The fixture's broken record (its `createdAt` is not milliseconds).
const BROKEN_ID: &str = "fbBROKENcreatedAt0000000000";

// ---------------------------------------------------------------------------------------------
// environment (as crates/cli/tests/better_auth_e2e.rs)

// ---------------------------------------------------------------------------------------------
// the fixture

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../platforms/tests/fixtures/firebase")
        .join(name)
}

/// One exported user, as the test needs it.
struct FixtureUser {
    id: String,
    email: Option<String>,
    phone: Option<String>,
    password: Option<String>,
    digest: Option<String>,
    salt: Option<String>,
    disabled: bool,
    providers: Vec<String>,
}

fn fixture_users() -> Vec<FixtureUser> {
    let passwords: BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(fixture("passwords.json")).unwrap()).unwrap();
    let export: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("export.json")).unwrap()).unwrap();
    let text = |u: &Value, k: &str| u[k].as_str().map(str::to_owned);
    export["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["localId"] != BROKEN_ID)
        .map(|u| {
            let id = text(u, "localId").unwrap();
            FixtureUser {
                email: text(u, "email"),
                phone: text(u, "phoneNumber"),
                password: passwords.get(&id).cloned(),
                digest: text(u, "passwordHash"),
                salt: text(u, "salt"),
                disabled: u["disabled"] == true,
                providers: u["providerUserInfo"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|p| p["providerId"].as_str())
                            .filter(|p| p.ends_with(".com"))
                            .map(|p| p.trim_end_matches(".com").to_owned())
                            .collect()
                    })
                    .unwrap_or_default(),
                id,
            }
        })
        .collect()
}

/// The made-up project's signer key, as the fixture's hash_config.txt gives it.
fn signer_key() -> String {
    std::fs::read_to_string(fixture("hash_config.txt"))
        .unwrap()
        .lines()
        .find_map(|l| l.trim().strip_prefix("base64_signer_key:"))
        .map(|v| v.trim().trim_end_matches(',').to_owned())
        .expect("the fixture's signer key")
}

// ---------------------------------------------------------------------------------------------
// running things (as crates/cli/tests/better_auth_e2e.rs)

fn secrets_of(users: &[FixtureUser], app_secret: &str) -> Secrets {
    let mut v = vec![
        ("the project's signer key".to_owned(), signer_key()),
        ("the app secret".to_owned(), app_secret.to_owned()),
    ];
    for u in users {
        if let Some(p) = &u.password {
            v.push((format!("{}'s password", u.id), p.clone()));
        }
        if let Some(d) = &u.digest {
            v.push((format!("{}'s password digest", u.id), d.clone()));
        }
        if let Some(s) = &u.salt {
            v.push((format!("{}'s salt", u.id), s.clone()));
        }
    }
    Secrets(v)
}

fn authferry(args: &[&str], secret: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_authferry"));
    c.args(args)
        .env_remove("AUTH_SECRET")
        .env_remove("BETTER_AUTH_SECRETS")
        .env("BETTER_AUTH_SECRET", secret)
        .env("NO_COLOR", "1");
    c
}

// ---------------------------------------------------------------------------------------------
// the proof

#[test]
fn firebase_users_sign_in_through_real_better_auth() {
    let Some(e2e) = e2e("firebase_e2e") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let users = fixture_users();
    assert_eq!(users.len(), 210);
    let secret = random_secret();
    let secrets = secrets_of(&users, &secret);
    let with_password = users.iter().filter(|u| u.password.is_some()).count();
    assert!(with_password >= 150, "most fixture users have a password");

    // (a) migrate
    let db = tmp.path().join("ba.db");
    let journal = tmp.path().join("journal.sqlite");
    let from = format!("firebase:{}", fixture("export.json").display());
    let to = format!("better-auth:sqlite:{}", db.display());
    let hash_config = fixture("hash_config.txt").display().to_string();
    let journal_s = journal.display().to_string();
    let migrate = run(
        authferry(
            &[
                "migrate",
                "--from",
                &from,
                "--hash-config",
                &hash_config,
                "--to",
                &to,
                "--journal",
                &journal_s,
            ],
            &secret,
        ),
        Duration::from_secs(300),
    );
    secrets.assert_absent("authferry migrate's stdout", &migrate.stdout);
    secrets.assert_absent("authferry migrate's stderr", &migrate.stderr);
    eprintln!("authferry migrate:\n{}", migrate.stdout.trim_end());
    // Exit 3: the run finished and one record failed — the broken one, alone.
    assert_eq!(
        migrate.status.code(),
        Some(3),
        "authferry migrate exited with {}\n--- stdout\n{}\n--- stderr\n{}",
        migrate.status,
        migrate.stdout,
        migrate.stderr
    );
    let count = |label: &str| {
        migrate
            .stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no `{label}` count in:\n{}", migrate.stdout))
    };
    assert_eq!(count("records read"), 211);
    assert_eq!(count("migrated"), 210);
    assert_eq!(count("failed"), 1);
    assert!(
        migrate
            .stdout
            .lines()
            .any(|l| l.contains(BROKEN_ID) && l.contains("field `createdAt`")),
        "the broken record is reported with its field:\n{}",
        migrate.stdout
    );
    assert!(
        migrate.stdout.lines().any(|l| {
            let mut words = l.split_whitespace();
            words.next() == Some("firebase_scrypt")
                && words.next() == Some(with_password.to_string().as_str())
        }),
        "every digest is recognised as Firebase scrypt:\n{}",
        migrate.stdout
    );
    assert!(
        migrate.stdout.contains("mfa_phones"),
        "second-factor phones are reported as dropped (Better Auth has no SMS second factor):\n{}",
        migrate.stdout
    );

    // Secrets never reach the journal.
    secrets.assert_absent_in_files(tmp.path(), |n| n.starts_with("journal.sqlite"));

    // (b) what the database holds
    let c = rusqlite::Connection::open(&db).expect("open the migrated database");
    let n = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(n("SELECT count(*) FROM \"user\""), 210);
    assert_eq!(
        n("SELECT count(*) FROM account WHERE \"providerId\" = 'credential'") as usize,
        with_password,
        "one credential account per password user"
    );
    assert_eq!(
        n(
            "SELECT count(*) FROM account WHERE \"providerId\" = 'credential' AND password NOT LIKE '$fbscrypt$%'"
        ),
        0,
        "Firebase digests are stored in the form the verify module reads, with their parameters"
    );
    for provider in ["google", "github", "facebook", "twitter", "apple"] {
        let expected = users
            .iter()
            .filter(|u| u.providers.iter().any(|p| p == provider))
            .count();
        let stored: i64 = c
            .query_row(
                "SELECT count(*) FROM account WHERE \"providerId\" = ?1",
                [provider],
                |r| r.get(0),
            )
            .unwrap();
        assert!(expected > 0, "the fixture links someone with {provider}");
        assert_eq!(stored as usize, expected, "{provider} links");
    }
    let disabled: Vec<&FixtureUser> = users.iter().filter(|u| u.disabled).collect();
    assert!(!disabled.is_empty());
    assert_eq!(
        n("SELECT count(*) FROM \"user\" WHERE banned = 1") as usize,
        disabled.len(),
        "disabled Firebase users are banned"
    );
    for u in &disabled {
        let banned: i64 = c
            .query_row(
                "SELECT banned FROM \"user\" WHERE id = ?1",
                [u.id.as_str()],
                |r| r.get(0),
            )
            .unwrap_or_else(|_| panic!("{} kept its id", u.id));
        assert_eq!(banned, 1, "{}", u.id);
    }
    drop(c);

    // (c) the verify module, where its imports resolve
    let verify = tmp.path().join("auth-verify.mjs");
    let verify_s = verify.display().to_string();
    let emit = run(
        authferry(&["emit", "better-auth-verify", "--out", &verify_s], &secret),
        Duration::from_secs(60),
    );
    secrets.assert_absent(
        "authferry emit's output",
        &(emit.stdout.clone() + &emit.stderr),
    );
    assert!(
        emit.status.success(),
        "authferry emit better-auth-verify exited with {}\n{}",
        emit.status,
        emit.stderr
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        e2e.dir.join("node_modules"),
        tmp.path().join("node_modules"),
    )
    .unwrap();
    #[cfg(not(unix))]
    panic!("the e2e test needs a node_modules symlink (unix only)");

    // (d) the checks: every password user signs in and is refused with a wrong password;
    // users without a password are refused whatever they give.
    let mut checks = Vec::new();
    let mut expected_ok = 0;
    for u in &users {
        let login = |password: &str, expect: &str| match (&u.email, &u.phone) {
            (Some(email), _) => json!({"email": email, "password": password, "expect": expect}),
            (None, Some(phone)) => {
                json!({"phoneNumber": phone, "password": password, "expect": expect})
            }
            (None, None) => panic!("{} has no identifier", u.id),
        };
        match &u.password {
            None => checks.push(login("Any-Password-1", "refused")),
            Some(password) => {
                // A disabled user's right password meets the admin plugin's ban (403), which
                // signin-check does not model; the ban itself is checked in the database above.
                if !u.disabled {
                    checks.push(login(password, "ok"));
                    expected_ok += 1;
                }
                checks.push(login(&format!("{password}!"), "refused"));
            }
        }
    }
    checks.push(
        json!({"email": "nobody@example.com", "password": "Correct-Horse-0", "expect": "refused"}),
    );
    assert!(expected_ok >= 140);
    let config = json!({
        "database": {"sqlite": db.display().to_string()},
        "secret": secret,
        "verifyModule": verify_s,
        "checks": checks,
    });
    let lines = signin_check(
        &e2e,
        tmp.path(),
        &config,
        &secrets,
        Duration::from_secs(900),
        "firebase",
    );
    let signed_in = lines
        .iter()
        .filter(|l| {
            l["expect"] == "ok"
                && l["detail"]
                    .as_str()
                    .unwrap_or("")
                    .contains("session resolves to the user")
        })
        .count();
    assert_eq!(signed_in, expected_ok, "every password user signed in");
    eprintln!(
        "better-auth {BETTER_AUTH_VERSION}: {} checks passed ({signed_in} Firebase password users signed in, {} refusals)",
        lines.len(),
        lines.len() - signed_in
    );
}

// ---------------------------------------------------------------------------------------------
// the Clerk leg

/// `--to clerk` against the fake Clerk Backend API (every request body validated against
/// Clerk's OpenAPI spec): each Firebase digest arrives re-encoded as Clerk's `scrypt_firebase`
/// with the project's parameters inside, and authferry's hash crate verifies every fixture
/// password against what Clerk stored (a wrong one fails); ids, claims and bans come along.
/// Skips unless the fake server's Python is set up (`AUTHFERRY_FAKE_CLERK_PYTHON`, which
/// `scripts/test` sets; `AUTHFERRY_FAKE_CLERK_REQUIRED` makes a missing one a failure).
#[test]
fn firebase_users_arrive_in_clerk_with_verifiable_passwords() {
    use authferry_testkit::fake_clerk::{FakeClerk, TEST_KEY};
    let Some(fc) = FakeClerk::start(&["--limit", "1000", "--window", "1"]) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let users = fixture_users();
    let secrets = secrets_of(&users, TEST_KEY);
    let from = format!("firebase:{}", fixture("export.json").display());
    let hash_config = fixture("hash_config.txt").display().to_string();
    let journal = tmp.path().join("journal.sqlite").display().to_string();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_authferry"));
    cmd.args([
        "migrate",
        "--from",
        &from,
        "--hash-config",
        &hash_config,
        "--to",
        "clerk",
        "--rate",
        "1000/1s",
        "--journal",
        &journal,
    ])
    .env("CLERK_SECRET_KEY", TEST_KEY)
    .env("CLERK_API_URL", &fc.url)
    .env("NO_COLOR", "1");
    let migrate = run(cmd, Duration::from_secs(300));
    secrets.assert_absent("authferry migrate's stdout", &migrate.stdout);
    secrets.assert_absent("authferry migrate's stderr", &migrate.stderr);
    assert_eq!(
        migrate.status.code(),
        Some(3),
        "one record (the broken one) fails\n--- stdout\n{}\n--- stderr\n{}",
        migrate.stdout,
        migrate.stderr
    );
    assert_eq!(fc.stat(&["spec_violations"]), 0, "{}", fc.stats());

    let stored: BTreeMap<String, Value> = fc
        .users()
        .into_iter()
        .map(|u| (u["external_id"].as_str().unwrap_or_default().to_owned(), u))
        .collect();
    assert_eq!(stored.len(), users.len(), "every user is in Clerk once");
    let export: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("export.json")).unwrap()).unwrap();
    let claims: BTreeMap<&str, Value> = export["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| {
            let text = u["customAttributes"].as_str()?;
            Some((u["localId"].as_str()?, serde_json::from_str(text).ok()?))
        })
        .collect();
    let mut to_verify = Vec::new();
    for u in &users {
        let c = stored
            .get(&u.id)
            .unwrap_or_else(|| panic!("{} is not in Clerk (by external_id)", u.id));
        assert_eq!(c["banned"] == true, u.disabled, "{}: banned", u.id);
        let expected_claims = claims.get(u.id.as_str()).cloned().unwrap_or(json!({}));
        assert_eq!(
            c["public_metadata"], expected_claims,
            "{}: custom claims",
            u.id
        );
        match &u.password {
            None => assert!(c["_password_digest"].is_null(), "{}", u.id),
            Some(password) => {
                assert_eq!(c["_password_hasher"], "scrypt_firebase", "{}", u.id);
                let digest = c["_password_digest"].as_str().unwrap().to_owned();
                to_verify.push((u.id.clone(), digest, password.clone()));
            }
        }
    }
    assert!(to_verify.len() >= 150);
    authferry_testkit::e2e::verify_each(&to_verify, "scrypt_firebase");
    eprintln!(
        "Clerk (fake, spec-validated): {} users, {} Firebase passwords verified in Clerk's scrypt_firebase form",
        stored.len(),
        to_verify.len()
    );
}
