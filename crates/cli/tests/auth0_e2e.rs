//! End-to-end proof against the real better-auth package for users leaving Auth0: the built
//! `authferry` binary reads the fixtures of `crates/platforms/tests/fixtures/auth0/` (a
//! users-exports job's NDJSON with 224 users and the password-hash export support provides,
//! real bcrypt digests of the passwords in `passwords.json`) with
//! `migrate --from auth0:… --with-password-hashes … --to better-auth:sqlite:…`, and better-auth
//! 1.7.25's own `auth.api.signInEmail` (and `signInUsername`, `signInPhoneNumber`), through
//! `tests/e2e/better-auth/signin-check.mjs`, then signs in every password user with the right
//! password and refuses a wrong one; users without a password (social, sms, passwordless,
//! enterprise) and the users whose records must fail are refused. The same fixtures also go
//! `--to clerk`, against the fake Clerk Backend API (the Clerk leg, at the end).
//!
//! Needs `npm ci` in `tests/e2e/better-auth/`. Without `node_modules` the test skips LOUDLY,
//! unless `AUTHFERRY_E2E_REQUIRED` is set, in which case it fails.
//!
//! No password or digest is ever printed: every output, the report, the failure log and the
//! journal are scanned for them before any of it is shown.

use authferry_testkit::e2e::{
    BETTER_AUTH_VERSION, Secrets, e2e, random_secret, read_ndjson, run, signin_check,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// environment (as crates/cli/tests/better_auth_e2e.rs)

// ---------------------------------------------------------------------------------------------
// the fixtures

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../platforms/tests/fixtures/auth0")
        .join(name)
}

/// One user of the export, as the test needs it.
struct Exported {
    id: String,
    email: Option<String>,
    phone: Option<String>,
    username: Option<String>,
    blocked: bool,
    /// The users' own number in the generator (`userNNN@example.com`), for the special cases.
    number: Option<u32>,
}

fn exported() -> Vec<Exported> {
    std::fs::read_to_string(fixture("users.ndjson"))
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| {
            let text = |k: &str| v[k].as_str().map(str::to_owned);
            let email = text("email");
            Exported {
                id: text("user_id").unwrap(),
                number: email
                    .as_deref()
                    .and_then(|e| e.strip_prefix("user"))
                    .and_then(|e| e.strip_suffix("@example.com"))
                    .and_then(|n| n.parse().ok()),
                email,
                phone: text("phone_number"),
                username: text("username"),
                blocked: v["blocked"] == true,
            }
        })
        .collect()
}

fn secrets_of_fixtures(passwords: &BTreeMap<String, String>) -> Secrets {
    let mut v: Vec<(String, String)> = passwords
        .iter()
        .map(|(id, p)| (format!("{id}'s password"), p.clone()))
        .collect();
    for (n, line) in std::fs::read_to_string(fixture("password-hashes.ndjson"))
        .unwrap()
        .lines()
        .enumerate()
    {
        let Some(h) = serde_json::from_str::<Value>(line)
            .ok()
            .and_then(|e| e["passwordHash"].as_str().map(str::to_owned))
        else {
            continue;
        };
        // The 53 characters after "$2b$10$" alone are just as secret.
        v.push((
            format!("hash entry {}'s digest (salt+hash)", n + 1),
            h[h.len().saturating_sub(53)..].to_string(),
        ));
        v.push((format!("hash entry {}'s digest", n + 1), h));
    }
    Secrets(v)
}

/// The records that must fail (the generator's special cases), with what their reason says.
fn must_fail(users: &[Exported]) -> BTreeMap<String, &'static str> {
    let id_of = |n: u32| {
        users
            .iter()
            .find(|u| u.number == Some(n))
            .map(|u| u.id.clone())
            .unwrap()
    };
    BTreeMap::from([
        (id_of(15), "is not a bcrypt digest"),
        (id_of(16), "no entry in the password-hash export"),
        (id_of(17), "last_password_reset"),
        (id_of(18), "two entries"),
    ])
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

#[test]
fn auth0_users_sign_in_through_real_better_auth() {
    let Some(e2e) = e2e("auth0_e2e") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let secret = random_secret();
    let passwords: BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(fixture("passwords.json")).unwrap()).unwrap();
    let users = exported();
    assert!(users.len() >= 200, "the fixture has at least 200 users");
    let must_fail = must_fail(&users);

    // (a) migrate
    let db = tmp.path().join("ba.db");
    let journal = tmp.path().join("journal.sqlite");
    let report = tmp.path().join("report.json");
    let failures = tmp.path().join("failures.ndjson");
    let from = format!("auth0:{}", fixture("users.ndjson").display());
    let hashes = fixture("password-hashes.ndjson").display().to_string();
    let to = format!("better-auth:sqlite:{}", db.display());
    let path = |p: &Path| p.display().to_string();
    let migrate = run(
        authferry(
            &[
                "migrate",
                "--from",
                &from,
                "--with-password-hashes",
                &hashes,
                "--to",
                &to,
                "--journal",
                &path(&journal),
                "--report",
                &path(&report),
                "--failures",
                &path(&failures),
            ],
            &secret,
        ),
        Duration::from_secs(300),
    );
    let secrets = secrets_of_fixtures(&passwords);
    secrets.assert_absent("authferry migrate's stdout", &migrate.stdout);
    secrets.assert_absent("authferry migrate's stderr", &migrate.stderr);
    for file in [&report, &failures] {
        secrets.assert_absent(
            &file.display().to_string(),
            &std::fs::read_to_string(file).unwrap_or_default(),
        );
    }
    secrets.assert_absent_in_files(tmp.path(), |n| n.starts_with("journal.sqlite"));
    assert_eq!(
        migrate.status.code(),
        Some(3),
        "some records fail by design (exit 3)\n--- stdout\n{}\n--- stderr\n{}",
        migrate.stdout,
        migrate.stderr
    );
    eprintln!("authferry migrate:\n{}", migrate.stdout.trim_end());

    // (b) exactly the records that must fail failed, each with its reason
    let failed = read_ndjson(&failures);
    let by_id: BTreeMap<String, String> = failed
        .iter()
        .filter_map(|f| {
            Some((
                f["source_id"].as_str()?.to_string(),
                f["reason"].as_str().unwrap_or_default().to_string(),
            ))
        })
        .collect();
    for (id, why) in &must_fail {
        let reason = by_id
            .get(id)
            .unwrap_or_else(|| panic!("{id} did not fail: {failed:#?}"));
        assert!(reason.contains(why), "{id}: {reason}");
    }
    assert_eq!(by_id.len(), must_fail.len(), "only those fail: {failed:#?}");
    let anonymous: Vec<&str> = failed
        .iter()
        .filter(|f| f["source_id"].is_null())
        .map(|f| f["reason"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(anonymous.len(), 3, "{anonymous:#?}");
    let broken_line = std::fs::read_to_string(fixture("users.ndjson"))
        .unwrap()
        .lines()
        .position(|l| serde_json::from_str::<Value>(l).is_err())
        .expect("the fixture has a broken line")
        + 1;
    assert!(
        anonymous
            .iter()
            .any(|r| r.contains(&format!("line {broken_line}: not JSON"))
                && !r.contains("password-hash")),
        "the broken user line: {anonymous:#?}"
    );
    assert!(
        anonymous.iter().any(|r| r.contains("belongs to no user")),
        "the orphan hash entry: {anonymous:#?}"
    );
    assert!(
        anonymous
            .iter()
            .any(|r| r.contains("password-hash export") && r.contains("not JSON")),
        "the broken hash line: {anonymous:#?}"
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let migrated_users = users.len() - must_fail.len();
    assert_eq!(
        report["counts"]["migrated"], migrated_users as u64,
        "{report:#}"
    );

    // (c) what the target holds
    let conn = rusqlite::Connection::open(&db).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(
        count("SELECT count(*) FROM \"user\""),
        migrated_users as i64
    );
    let with_password: BTreeSet<&String> = passwords
        .keys()
        .filter(|id| !must_fail.contains_key(*id))
        .collect();
    assert_eq!(
        count(
            "SELECT count(*) FROM account WHERE \"providerId\" = 'credential' AND \"accountId\" = \"userId\""
        ),
        with_password.len() as i64,
        "one credential account per password user"
    );
    let banned: BTreeSet<String> = conn
        .prepare("SELECT id FROM \"user\" WHERE banned = 1")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let blocked: BTreeSet<String> = users
        .iter()
        .filter(|u| u.blocked && !must_fail.contains_key(&u.id))
        .map(|u| u.id.clone())
        .collect();
    assert_eq!(banned, blocked, "blocked users are banned");
    assert!(!blocked.is_empty());
    let providers: BTreeSet<String> = conn
        .prepare("SELECT DISTINCT \"providerId\" FROM account")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for p in [
        "credential",
        "google",
        "github",
        "microsoft",
        "apple",
        "facebook",
        "twitter",
        "linkedin",
        "acme-sso",
        "bitbucket",
    ] {
        assert!(providers.contains(p), "no {p} account in {providers:?}");
    }
    assert!(
        !providers
            .iter()
            .any(|p| p.contains("oauth2") || p == "auth0" || p == "sms"),
        "{providers:?}"
    );
    drop(conn);

    // (d) the verify module, where its imports resolve
    let verify = tmp.path().join("auth-verify.mjs");
    let emit = run(
        authferry(
            &["emit", "better-auth-verify", "--out", &path(&verify)],
            &secret,
        ),
        Duration::from_secs(60),
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

    // (e) the checks: every password user signs in with the right password (a blocked one is
    // refused as better-auth's admin plugin refuses banned users, so only its wrong password is
    // checked) and is refused with a wrong one; users without a password are refused; the
    // users whose records failed are not there to sign in at all.
    let mut checks = Vec::new();
    let mut ok = 0;
    for u in &users {
        let login = |password: &str, expect: &str| match (&u.email, &u.phone) {
            (Some(email), _) => json!({"email": email, "password": password, "expect": expect}),
            (None, Some(phone)) => {
                json!({"phoneNumber": phone, "password": password, "expect": expect})
            }
            (None, None) => panic!("{} has neither email nor phone", u.id),
        };
        let Some(password) = passwords.get(&u.id) else {
            checks.push(login("Any-Password-1", "refused"));
            continue;
        };
        if must_fail.contains_key(&u.id) {
            checks.push(login(password, "refused"));
            continue;
        }
        if !u.blocked {
            let mut right = login(password, "ok");
            if let Some(name) = &u.username {
                right["username"] = name.clone().into();
            }
            checks.push(right);
            ok += 1;
        }
        checks.push(login(&format!("{password}!"), "refused"));
    }
    checks.push(json!({"email": "deleted-before-the-user-export@example.com", "password": "Orphan-Password-1", "expect": "refused"}));
    checks.push(
        json!({"email": "nobody@example.com", "password": "Correct-Horse-0", "expect": "refused"}),
    );
    assert!(ok > 100, "most password users sign in");
    let config = json!({
        "database": {"sqlite": path(&db)},
        "secret": secret,
        "verifyModule": path(&verify),
        "checks": checks,
    });
    let lines = signin_check(
        &e2e,
        tmp.path(),
        &config,
        &secrets,
        Duration::from_secs(900),
        "auth0",
    );
    let signed_in = lines.iter().filter(|l| l["expect"] == "ok").count();
    let by_username = lines
        .iter()
        .filter(|l| {
            l["detail"]
                .as_str()
                .unwrap_or("")
                .contains("username sign-in accepted")
        })
        .count();
    assert_eq!(signed_in, ok);
    assert!(by_username > 0, "usernames sign in too");
    eprintln!(
        "better-auth {BETTER_AUTH_VERSION}: {} checks passed ({signed_in} users signed in with their Auth0 password, {by_username} also by username; {} refusals)",
        lines.len(),
        lines.len() - signed_in
    );
}

// ---------------------------------------------------------------------------------------------
// the Clerk leg

/// `--to clerk` against the fake Clerk Backend API (every request body validated against
/// Clerk's OpenAPI spec): the Auth0 users arrive once each under their Auth0 `user_id` as
/// `external_id`, each joined bcrypt digest stored as it is under Clerk's `bcrypt` hasher, and
/// authferry's hash crate verifies every fixture password against what Clerk stored (a wrong
/// one fails); the records that must fail fail for the same reasons as into Better Auth;
/// emails with their verification, phones, usernames, names, `app_metadata` (private),
/// `user_metadata` (unsafe), creation times and blocks come along. Skips unless the fake
/// server's Python is set up (`AUTHFERRY_FAKE_CLERK_PYTHON`, which `scripts/test` sets;
/// `AUTHFERRY_FAKE_CLERK_REQUIRED` makes a missing one a failure).
#[test]
fn auth0_users_arrive_in_clerk_with_verifiable_passwords() {
    use authferry_testkit::fake_clerk::{FakeClerk, TEST_KEY};
    let Some(fc) = FakeClerk::start(&["--limit", "1000", "--window", "1"]) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let passwords: BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(fixture("passwords.json")).unwrap()).unwrap();
    let users = exported();
    assert!(users.len() >= 200, "the fixture has at least 200 users");
    let must_fail = must_fail(&users);
    let mut secrets = secrets_of_fixtures(&passwords);
    secrets.push("the Clerk secret key", TEST_KEY);
    let raw: BTreeMap<String, Value> = std::fs::read_to_string(fixture("users.ndjson"))
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| (v["user_id"].as_str().unwrap().to_owned(), v))
        .collect();
    let fixture_digests: BTreeSet<String> =
        std::fs::read_to_string(fixture("password-hashes.ndjson"))
            .unwrap()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|e| e["passwordHash"].as_str().map(str::to_owned))
            .collect();

    let path = |p: &Path| p.display().to_string();
    let journal = tmp.path().join("journal.sqlite");
    let report = tmp.path().join("report.json");
    let failures = tmp.path().join("failures.ndjson");
    let from = format!("auth0:{}", fixture("users.ndjson").display());
    let hashes = fixture("password-hashes.ndjson").display().to_string();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_authferry"));
    cmd.args([
        "migrate",
        "--from",
        &from,
        "--with-password-hashes",
        &hashes,
        "--to",
        "clerk",
        "--rate",
        "1000/1s",
        "--journal",
        &path(&journal),
        "--report",
        &path(&report),
        "--failures",
        &path(&failures),
    ])
    .env("CLERK_SECRET_KEY", TEST_KEY)
    .env("CLERK_API_URL", &fc.url)
    .env("NO_COLOR", "1");
    let migrate = run(cmd, Duration::from_secs(300));
    secrets.assert_absent("authferry migrate's stdout", &migrate.stdout);
    secrets.assert_absent("authferry migrate's stderr", &migrate.stderr);
    secrets.assert_absent_in_files(tmp.path(), |_| true);
    assert_eq!(
        migrate.status.code(),
        Some(3),
        "some records fail by design (exit 3)\n--- stdout\n{}\n--- stderr\n{}",
        migrate.stdout,
        migrate.stderr
    );
    assert_eq!(fc.stat(&["spec_violations"]), 0, "{}", fc.stats());

    // Exactly the records that must fail failed, with the same reasons as into Better Auth.
    let failed = read_ndjson(&failures);
    let by_id: BTreeMap<String, String> = failed
        .iter()
        .filter_map(|f| {
            Some((
                f["source_id"].as_str()?.to_string(),
                f["reason"].as_str().unwrap_or_default().to_string(),
            ))
        })
        .collect();
    for (id, why) in &must_fail {
        let reason = by_id
            .get(id)
            .unwrap_or_else(|| panic!("{id} did not fail: {failed:#?}"));
        assert!(reason.contains(why), "{id}: {reason}");
    }
    assert_eq!(by_id.len(), must_fail.len(), "only those fail: {failed:#?}");

    // Every other user is in Clerk, once, under its Auth0 id.
    let all = fc.users();
    let stored: BTreeMap<String, Value> = all
        .iter()
        .map(|u| {
            (
                u["external_id"].as_str().unwrap_or_default().to_owned(),
                u.clone(),
            )
        })
        .collect();
    assert_eq!(stored.len(), all.len(), "an external_id twice in Clerk");
    let expected: BTreeSet<String> = users
        .iter()
        .filter(|u| !must_fail.contains_key(&u.id))
        .map(|u| u.id.clone())
        .collect();
    assert_eq!(
        stored.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "every migrated user is in Clerk by external_id, and nothing else"
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(
        report["counts"]["migrated"],
        expected.len() as u64,
        "{report:#}"
    );

    let mut to_verify = Vec::new();
    let (mut blocked, mut with_phone, mut unverified) = (0, 0, 0);
    for id in &expected {
        let (c, a) = (&stored[id], &raw[id]);
        assert_eq!(c["banned"] == true, a["blocked"] == true, "{id}: banned");
        blocked += usize::from(a["blocked"] == true);
        assert_eq!(c["username"], a["username"], "{id}: username");
        if a["given_name"].is_null() && a["family_name"].is_null() {
            // Only a display name (`name`, else `nickname`): whole into first_name, and never
            // the email Auth0 fills `name` with.
            assert!(
                c["first_name"].is_null()
                    || c["first_name"] == a["name"]
                    || c["first_name"] == a["nickname"],
                "{id}: first name {}",
                c["first_name"]
            );
            assert_ne!(c["first_name"], a["email"], "{id}: the email is no name");
            assert!(c["last_name"].is_null(), "{id}");
        } else {
            assert_eq!(c["first_name"], a["given_name"], "{id}: first name");
            assert_eq!(c["last_name"], a["family_name"], "{id}: last name");
        }
        let or_empty = |v: &Value| if v.is_null() { json!({}) } else { v.clone() };
        assert_eq!(
            c["private_metadata"],
            or_empty(&a["app_metadata"]),
            "{id}: app_metadata is private"
        );
        assert_eq!(
            c["unsafe_metadata"],
            or_empty(&a["user_metadata"]),
            "{id}: user_metadata is unsafe"
        );
        assert_eq!(c["public_metadata"], json!({}), "{id}: nothing is public");
        let created = a["created_at"].as_str().unwrap();
        let created = authferry_platforms::shared::parse_date_text(created)
            .unwrap_or_else(|| panic!("{id}: {created}"));
        assert_eq!(
            c["created_at"].as_i64(),
            Some(created.millis()),
            "{id}: created_at"
        );
        // The primary email with its verification (Clerk's "reserved" is unverified).
        match a["email"].as_str() {
            Some(email) => {
                let e = &c["email_addresses"][0];
                assert_eq!(e["email_address"], email, "{id}");
                assert_eq!(c["primary_email_address_id"], e["id"], "{id}");
                let verified = a["email_verified"] == true;
                assert_eq!(e["verification"]["status"] == "verified", verified, "{id}");
                assert_eq!(e["reserved"] == true, !verified, "{id}");
                unverified += usize::from(!verified);
            }
            None => assert_eq!(c["email_addresses"], json!([]), "{id}"),
        }
        match a["phone_number"].as_str() {
            Some(phone) => {
                assert_eq!(c["phone_numbers"][0]["phone_number"], phone, "{id}");
                with_phone += 1;
            }
            None => assert_eq!(c["phone_numbers"], json!([]), "{id}"),
        }
        match passwords.get(id) {
            None => assert!(c["_password_digest"].is_null(), "{id}: no password"),
            Some(password) => {
                assert_eq!(c["_password_hasher"], "bcrypt", "{id}");
                let digest = c["_password_digest"].as_str().unwrap().to_owned();
                assert!(
                    fixture_digests.contains(&digest),
                    "{id}: the digest is the export's, as it is"
                );
                to_verify.push((id.clone(), digest, password.clone()));
            }
        }
    }
    assert!(blocked > 0 && with_phone > 0 && unverified > 0);
    assert_eq!(
        to_verify.len(),
        passwords
            .keys()
            .filter(|id| !must_fail.contains_key(*id))
            .count(),
        "every database user that moved has its password in Clerk"
    );
    assert!(to_verify.len() > 100, "{}", to_verify.len());
    authferry_testkit::e2e::verify_each(&to_verify, "bcrypt");
    eprintln!(
        "Clerk (fake, spec-validated): {} Auth0 users, {} passwords verified in Clerk's bcrypt form, {} records failed as they must",
        stored.len(),
        to_verify.len(),
        must_fail.len()
    );
}
