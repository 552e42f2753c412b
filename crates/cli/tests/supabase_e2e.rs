//! End-to-end proof against the real better-auth package for users leaving Supabase: a
//! PostgreSQL database with Supabase Auth's tables (`crates/platforms/tests/fixtures/supabase/`:
//! `schema.sql` as a project has them, `users.sql` with 220 users and real bcrypt digests of the
//! passwords in `passwords.json`) is read by the built `authferry` binary with
//! `migrate --from supabase:postgres://… --to better-auth:sqlite:…`, and better-auth 1.7.25's
//! own `auth.api.signInEmail` / `signInPhoneNumber`, through `tests/e2e/better-auth/signin-check.mjs`,
//! then signs in every password user with the right password, refuses a wrong one, asks the
//! TOTP users for their second factor and completes it with a code computed from the Supabase
//! factor's secret. Users without a password (OAuth, SSO) are refused; the users whose records
//! must fail, the soft-deleted and the anonymous users are not in the target. The same database
//! also goes `--to clerk`, against the fake Clerk Backend API (the Clerk leg, at the end).
//!
//! Needs `npm ci` in `tests/e2e/better-auth/`. Without `node_modules` the test skips LOUDLY,
//! unless `AUTHFERRY_E2E_REQUIRED` is set, in which case it fails. PostgreSQL: a throw-away
//! database on the local server (`authferry-testkit`).
//!
//! No password, digest or TOTP secret is ever printed: every output, the report, the failure
//! log and the journal are scanned for them before any of it is shown.

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
// fixtures

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../platforms/tests/fixtures/supabase/{name}"))
}

fn read_fixture(name: &str) -> String {
    let p = fixture(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn json_fixture(name: &str) -> BTreeMap<String, Value> {
    serde_json::from_str(&read_fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every bcrypt digest in users.sql (`$2a$10$` + 53 characters).
fn digests(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = sql;
    while let Some(at) = rest.find("'$2") {
        let d = &rest[at + 1..];
        if let Some(end) = d.find('\'') {
            out.push(d[..end].to_string());
        }
        rest = &d[1..];
    }
    out
}

/// Every secret of the fixtures (and `app_secret`), to scan outputs for.
fn fixture_secrets(
    app_secret: &str,
    users_sql: &str,
    passwords: &BTreeMap<String, Value>,
    expected: &BTreeMap<String, Value>,
) -> Secrets {
    let mut secrets = Secrets(vec![("the app secret".into(), app_secret.to_owned())]);
    for (id, pw) in passwords {
        secrets
            .0
            .push((format!("{id}'s password"), pw.as_str().unwrap().to_string()));
    }
    for (n, d) in digests(users_sql).into_iter().enumerate() {
        assert_eq!(d.len(), 60, "a bcrypt digest in users.sql");
        secrets
            .0
            .push((format!("digest {n} (salt+hash)"), d[7..].to_string()));
    }
    for (id, e) in expected {
        if let Some(t) = e["totp"].as_str() {
            secrets
                .0
                .push((format!("{id}'s TOTP secret"), t.to_string()));
        }
    }
    secrets
}

/// Who must fail, and with what in the reason; who moves (neither failing nor left out as
/// soft-deleted or anonymous).
fn who_moves(expected: &BTreeMap<String, Value>) -> (BTreeMap<&String, &str>, BTreeSet<&String>) {
    let must_fail: BTreeMap<&String, &str> = expected
        .iter()
        .filter_map(|(id, e)| {
            e.get("source_error")
                .or_else(|| e.get("engine_error"))
                .and_then(Value::as_str)
                .map(|why| (id, why))
        })
        .collect();
    assert_eq!(must_fail.len(), 3, "{must_fail:?}");
    let left_out: BTreeSet<&String> = expected
        .iter()
        .filter(|(_, e)| e.get("skip").is_some())
        .map(|(id, _)| id)
        .collect();
    let migrated: BTreeSet<&String> = expected
        .keys()
        .filter(|id| !must_fail.contains_key(id) && !left_out.contains(id))
        .collect();
    (must_fail, migrated)
}

// ---------------------------------------------------------------------------------------------
// running things

fn authferry(args: &[&str], secret: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_authferry"));
    c.args(args)
        .env_remove("BETTER_AUTH_SECRET")
        .env_remove("AUTH_SECRET")
        .env_remove("BETTER_AUTH_SECRETS")
        .env("BETTER_AUTH_SECRET", secret)
        .env("NO_COLOR", "1");
    c
}

// ---------------------------------------------------------------------------------------------
// the proof

#[test]
fn supabase_users_sign_in_through_real_better_auth() {
    let Some(e2e) = e2e("supabase_e2e") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let secret = random_secret();
    let expected = json_fixture("expected.json");
    let passwords = json_fixture("passwords.json");
    let users_sql = read_fixture("users.sql");
    assert!(expected.len() >= 200, "the fixture has at least 200 users");

    // The Supabase project's database.
    let pg =
        authferry_testkit::TempPgDatabase::with_schema("supabase_e2e", &read_fixture("schema.sql"));
    pg.client()
        .batch_execute(&users_sql)
        .expect("load users.sql");

    let secrets = fixture_secrets(&secret, &users_sql, &passwords, &expected);
    let (must_fail, migrated) = who_moves(&expected);

    // (a) migrate
    let db = tmp.path().join("ba.db");
    let journal = tmp.path().join("journal.sqlite");
    let report = tmp.path().join("report.json");
    let failures = tmp.path().join("failures.ndjson");
    let path = |p: &Path| p.display().to_string();
    let from = format!("supabase:{}", pg.url());
    let to = format!("better-auth:sqlite:{}", db.display());
    let migrate = run(
        authferry(
            &[
                "migrate",
                "--from",
                &from,
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
    eprintln!(
        "authferry migrate:\n{}\n{}",
        migrate.stdout.trim_end(),
        migrate.stderr.trim_end()
    );
    // (b) exactly the records that must fail failed, each with its reason; the soft-deleted
    // and anonymous accounts are skipped records, each with its reason.
    let logged = read_ndjson(&failures);
    let inactive: Vec<&Value> = logged.iter().filter(|f| f["state"] == "skipped").collect();
    assert_eq!(inactive.len(), 3, "one deleted, two anonymous: {logged:#?}");
    for f in &inactive {
        let reason = f.to_string();
        assert!(
            reason.contains("inactive_in_source") && reason.contains("not moved"),
            "{reason}"
        );
    }
    let failed: Vec<Value> = logged
        .iter()
        .filter(|f| f["state"] == "failed")
        .cloned()
        .collect();
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
            .get(*id)
            .unwrap_or_else(|| panic!("{id} did not fail: {failed:#?}"));
        assert!(reason.contains(why), "{id}: {reason}");
    }
    assert_eq!(
        by_id.len(),
        failed.len(),
        "every failure names its user: {failed:#?}"
    );
    assert_eq!(by_id.len(), must_fail.len(), "only those fail: {failed:#?}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(
        report["counts"]["migrated"],
        migrated.len() as u64,
        "{report:#}"
    );

    // (c) what the target holds
    let conn = rusqlite::Connection::open(&db).unwrap();
    let ids = |sql: &str| -> BTreeSet<String> {
        conn.prepare(sql)
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        ids("SELECT id FROM \"user\""),
        migrated.iter().map(|s| s.to_string()).collect(),
        "the target keeps Supabase's uuids, for exactly the users moved"
    );
    assert_eq!(
        ids("SELECT \"userId\" FROM account WHERE \"providerId\" = 'credential'"),
        passwords.keys().cloned().collect(),
        "one credential account per bcrypt password user"
    );
    let totp_users: BTreeSet<String> = expected
        .iter()
        .filter(|(id, e)| e["totp"].is_string() && migrated.contains(id))
        .map(|(id, _)| id.clone())
        .collect();
    assert!(totp_users.len() >= 15, "the fixture has TOTP users");
    assert_eq!(ids("SELECT \"userId\" FROM \"twoFactor\""), totp_users);
    let banned: BTreeSet<String> = expected
        .iter()
        .filter(|(_, e)| e["banned"] == true)
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(ids("SELECT id FROM \"user\" WHERE banned = 1"), banned);
    assert_eq!(banned.len(), 1);
    let providers = ids("SELECT DISTINCT \"providerId\" FROM account");
    assert_eq!(
        providers,
        ["credential", "github", "google", "microsoft"]
            .map(String::from)
            .into(),
        "Supabase's azure is Microsoft; email/phone/SSO identities are no accounts"
    );
    let phone_only: BTreeSet<String> = expected
        .iter()
        .filter(|(id, e)| e["email"].is_null() && migrated.contains(id))
        .map(|(id, _)| id.clone())
        .collect();
    assert!(phone_only.len() >= 10);
    assert_eq!(
        ids(
            "SELECT id FROM \"user\" WHERE \"phoneNumber\" IS NOT NULL AND email LIKE '%@phone.invalid'"
        ),
        phone_only,
        "phone-only users are the phone plugin's, E.164"
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

    // (e) the checks: every password user signs in with the right password (the banned one is
    // refused by better-auth's admin plugin whatever the password, so only its wrong password
    // is checked), TOTP users through the challenge, and every one is refused with a wrong
    // password; users without a password are refused with any.
    let mut checks = Vec::new();
    let mut ok = 0;
    for id in &migrated {
        let e = &expected[*id];
        let login = |password: &str, expect: &str| match (e["email"].as_str(), e["phone"].as_str())
        {
            (Some(email), _) => json!({"email": email, "password": password, "expect": expect}),
            (None, Some(phone)) => {
                json!({"phoneNumber": phone, "password": password, "expect": expect})
            }
            (None, None) => panic!("{id} has neither email nor phone"),
        };
        let Some(password) = passwords.get(*id).and_then(Value::as_str) else {
            checks.push(login("Any-Password-1", "refused"));
            continue;
        };
        if e["banned"] != true {
            let mut right = login(password, "ok");
            if let Some(t) = e["totp"].as_str() {
                right["totpSecret"] = t.into();
            }
            checks.push(right);
            ok += 1;
        }
        checks.push(login(&format!("{password}!"), "refused"));
    }
    // The users that failed are not there to sign in (the not-bcrypt user's password is known).
    for id in must_fail.keys() {
        if let Some(email) = expected[*id]["email"].as_str() {
            checks
                .push(json!({"email": email, "password": "Correct-Horse-0", "expect": "refused"}));
        }
    }
    assert!(ok >= 190, "the password users sign in");
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
        "supabase",
    );
    let signed_in = lines.iter().filter(|l| l["expect"] == "ok").count();
    let with_totp = lines
        .iter()
        .filter(|l| {
            l["detail"]
                .as_str()
                .unwrap_or("")
                .contains("TOTP completed")
        })
        .count();
    let by_phone = lines
        .iter()
        .filter(|l| l["expect"] == "ok" && l["phoneNumber"].is_string())
        .count();
    assert_eq!(signed_in, ok);
    assert_eq!(
        with_totp,
        totp_users
            .iter()
            .filter(|id| expected[*id]["banned"] != true)
            .count(),
        "every TOTP user completed the challenge"
    );
    assert_eq!(
        by_phone,
        phone_only.len(),
        "phone-only users sign in by phone"
    );
    eprintln!(
        "better-auth {BETTER_AUTH_VERSION}: {} checks passed ({signed_in} users signed in with their Supabase password, {with_totp} through TOTP, {by_phone} by phone number; {} refusals)",
        lines.len(),
        lines.len() - signed_in
    );
}

// ---------------------------------------------------------------------------------------------
// the Clerk leg

/// `--to clerk` against the fake Clerk Backend API (every request body validated against
/// Clerk's OpenAPI spec): the Supabase users that move arrive once each under their uuid as
/// `external_id`, each bcrypt `encrypted_password` stored as it is under Clerk's `bcrypt`
/// hasher, and authferry's hash crate verifies every fixture password against what Clerk stored
/// (a wrong one fails); TOTP factors arrive as Clerk TOTP secrets; the records that must fail
/// fail for the same reasons as into Better Auth, the soft-deleted and anonymous users stay
/// behind; emails and phones with their confirmation, `raw_app_meta_data` (private),
/// `raw_user_meta_data` (unsafe), the full name, creation times and bans come along. Skips
/// unless the fake server's Python is set up (`AUTHFERRY_FAKE_CLERK_PYTHON`, which
/// `scripts/test` sets; `AUTHFERRY_FAKE_CLERK_REQUIRED` makes a missing one a failure).
#[test]
fn supabase_users_arrive_in_clerk_with_verifiable_passwords() {
    use authferry_testkit::fake_clerk::{FakeClerk, TEST_KEY};
    let Some(fc) = FakeClerk::start(&["--limit", "1000", "--window", "1"]) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let expected = json_fixture("expected.json");
    let passwords = json_fixture("passwords.json");
    let users_sql = read_fixture("users.sql");
    assert!(expected.len() >= 200, "the fixture has at least 200 users");
    let pg = authferry_testkit::TempPgDatabase::with_schema(
        "supabase_clerk",
        &read_fixture("schema.sql"),
    );
    pg.client()
        .batch_execute(&users_sql)
        .expect("load users.sql");
    let mut secrets = fixture_secrets(TEST_KEY, &users_sql, &passwords, &expected);
    let url = pg.url();
    if let Some((_, pw)) = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(user, _)| user.split_once(':'))
    {
        secrets.push("the database password", pw);
    }
    let (must_fail, migrated) = who_moves(&expected);

    let path = |p: &Path| p.display().to_string();
    let journal = tmp.path().join("journal.sqlite");
    let report = tmp.path().join("report.json");
    let failures = tmp.path().join("failures.ndjson");
    let from = format!("supabase:{url}");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_authferry"));
    cmd.args([
        "migrate",
        "--from",
        &from,
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

    // Exactly the records that must fail failed, each with its reason.
    let logged = read_ndjson(&failures);
    let by_id: BTreeMap<String, String> = logged
        .iter()
        .filter(|f| f["state"] == "failed")
        .filter_map(|f| {
            Some((
                f["source_id"].as_str()?.to_string(),
                f["reason"].as_str().unwrap_or_default().to_string(),
            ))
        })
        .collect();
    for (id, why) in &must_fail {
        let reason = by_id
            .get(*id)
            .unwrap_or_else(|| panic!("{id} did not fail: {logged:#?}"));
        assert!(reason.contains(why), "{id}: {reason}");
    }
    assert_eq!(by_id.len(), must_fail.len(), "only those fail: {logged:#?}");

    // Every user that moves is in Clerk, once, under its Supabase uuid.
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
    assert_eq!(
        stored.keys().collect::<BTreeSet<_>>(),
        migrated,
        "every moved user is in Clerk by external_id, and nothing else"
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(
        report["counts"]["migrated"],
        migrated.len() as u64,
        "{report:#}"
    );

    let mut to_verify = Vec::new();
    let (mut totp, mut phone_only, mut unverified, mut banned) = (0, 0, 0, 0);
    for id in &migrated {
        let (c, e) = (&stored[*id], &expected[*id]);
        assert_eq!(c["banned"] == true, e["banned"] == true, "{id}: banned");
        banned += usize::from(e["banned"] == true);
        assert_eq!(c["first_name"], e["display_name"], "{id}: the full name");
        assert!(c["last_name"].is_null(), "{id}");
        let or_empty = |v: &Value| if v.is_null() { json!({}) } else { v.clone() };
        assert_eq!(
            c["private_metadata"],
            or_empty(&e["app_metadata"]),
            "{id}: raw_app_meta_data is private"
        );
        assert_eq!(
            c["unsafe_metadata"],
            or_empty(&e["user_metadata"]),
            "{id}: raw_user_meta_data is unsafe"
        );
        assert_eq!(c["public_metadata"], json!({}), "{id}: nothing is public");
        assert_eq!(c["created_at"], e["created_at"], "{id}: created_at");
        for (list, key, value, verified) in [
            (
                "email_addresses",
                "email_address",
                "email",
                "email_verified",
            ),
            ("phone_numbers", "phone_number", "phone", "phone_verified"),
        ] {
            match e[value].as_str() {
                Some(v) => {
                    let held = &c[list][0];
                    assert_eq!(held[key], v, "{id}: {value}");
                    let verified = e[verified] == true;
                    assert_eq!(
                        held["verification"]["status"] == "verified",
                        verified,
                        "{id}: {value} confirmed"
                    );
                    assert_eq!(held["reserved"] == true, !verified, "{id}");
                    unverified += usize::from(!verified);
                }
                None => assert_eq!(c[list], json!([]), "{id}: no {value}"),
            }
        }
        phone_only += usize::from(e["email"].is_null());
        match e["totp"].as_str() {
            Some(secret) => {
                assert!(c["_totp_secret"] == secret, "{id}: the TOTP secret");
                assert_eq!(c["totp_enabled"], true, "{id}");
                totp += 1;
            }
            None => assert!(c["_totp_secret"].is_null(), "{id}: no TOTP secret"),
        }
        match passwords.get(*id).and_then(Value::as_str) {
            None => assert!(c["_password_digest"].is_null(), "{id}: no password"),
            Some(password) => {
                assert_eq!(c["_password_hasher"], "bcrypt", "{id}");
                let digest = c["_password_digest"].as_str().unwrap().to_owned();
                assert!(
                    users_sql.contains(&format!("'{digest}'")),
                    "{id}: the digest is users.sql's, as it is"
                );
                to_verify.push((id.to_string(), digest, password.to_owned()));
            }
        }
    }
    assert!(totp >= 15 && phone_only >= 10 && unverified > 0 && banned == 1);
    assert_eq!(to_verify.len(), passwords.len(), "every password user");
    authferry_testkit::e2e::verify_each(&to_verify, "bcrypt");
    eprintln!(
        "Clerk (fake, spec-validated): {} Supabase users, {} passwords verified in Clerk's bcrypt form, {totp} TOTP secrets, {phone_only} phone-only users",
        stored.len(),
        to_verify.len(),
    );
}
