//! `authferry migrate --to supertokens:URL` and `plan` as a person runs them, against the fake
//! SuperTokens core (`tests/fake-supertokens`: the CDI spec's bulk-import endpoints with the real
//! core's rules, background processing at a set rate, sign-in with bcrypt / argon2 / Firebase
//! scrypt, TOTP, external-id mapping, injected faults):
//!
//! * a 25 000-user Clerk export ends fully imported, each user once, and users sign in with
//!   their old passwords and their TOTP codes;
//! * SIGKILL while requests are being sent and while the core's import is being followed, then
//!   resume: every user exactly once, nothing re-sent that the core already held;
//! * Firebase users sign in with their passwords through the core's Firebase scrypt;
//! * `plan` names the users the core would refuse, before anything is sent.

use authferry_testkit::fake_supertokens::{API_KEY, FakeSupertokens};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn authferry() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_authferry"));
    c.env("SUPERTOKENS_API_KEY", API_KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn migrate(fs: &FakeSupertokens, from: &str, journal: &Path, extra: &[&str]) -> Command {
    let mut c = authferry();
    c.args(["migrate", "--quiet", "--json", "--poll-interval", "0.2"])
        .args(["--from", from])
        .arg("--to")
        .arg(format!("supertokens:{}", fs.url))
        .arg("--journal")
        .arg(journal)
        .args(extra);
    c
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs to the end; the JSON summary.
fn complete(c: &mut Command) -> Value {
    let out = c.output().unwrap();
    let all = text(&out);
    assert!(!all.contains(API_KEY), "the API key was printed");
    assert_eq!(out.status.code(), Some(0), "{all}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {all}"))
}

/// Imported users by external id; panics on a duplicate.
fn imported(fs: &FakeSupertokens) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for u in fs.users() {
        let x = u["externalUserId"].as_str().unwrap_or_default().to_string();
        assert!(out.insert(x.clone(), u).is_none(), "{x} imported twice");
    }
    out
}

/// The synthetic Clerk export's rows: (id, email, has password, TOTP secret).
fn clerk_rows(csv: &Path) -> Vec<(String, String, bool, String)> {
    let text = std::fs::read_to_string(csv).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records()
        .map(|row| {
            let row = row.unwrap();
            (
                row[0].to_string(),
                row[4].to_string(),
                !row[11].is_empty(),
                row[10].to_string(),
            )
        })
        .collect()
}

fn totp_now(secret: &str) -> String {
    authferry_testkit::fake_supertokens::totp_code(secret, 30)
}

#[test]
fn a_25000_user_clerk_export_is_imported_whole_and_users_sign_in_as_before() {
    let Some(fs) = FakeSupertokens::start(&["--process-rate", "4000", "--process-interval", "0.2"])
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("export.csv");
    let n = 25_000u64;
    authferry_platforms::synthetic::write_clerk_csv(&csv, n, 3).unwrap();
    let from = format!("clerk-csv:{}", csv.display());
    let journal = dir.path().join("journal.sqlite");
    let summary = complete(&mut migrate(&fs, &from, &journal, &[]));
    assert_eq!(summary["counts"]["migrated"], n, "{summary}");

    let users = imported(&fs);
    assert_eq!(users.len() as u64, n);
    assert_eq!(fs.stat(&["spec_violations"]), 0, "{}", fs.stats());
    let rows = clerk_rows(&csv);
    let mut checked = (0, 0, 0);
    for (i, (id, email, has_password, totp)) in rows.iter().enumerate() {
        assert!(users.contains_key(id), "{id} missing");
        if i % 997 == 0 && *has_password {
            let pw = authferry_platforms::synthetic::synthetic_password(
                i % authferry_platforms::synthetic::DIGESTS,
            );
            assert!(
                fs.signin(email, &pw),
                "{id} cannot sign in with its password"
            );
            assert!(
                !fs.signin(email, &format!("{pw}!")),
                "{id}: a wrong password signs in"
            );
            checked.0 += 1;
        }
        if i % 97 == 0 && !totp.is_empty() {
            assert!(
                fs.verify_totp(id, &totp_now(totp)),
                "{id}: its TOTP code is refused"
            );
            checked.1 += 1;
        }
        if i % 101 == 0 && !*has_password {
            assert!(!fs.signin(email, "anything"), "{id} had no password");
            checked.2 += 1;
        }
    }
    assert!(
        checked.0 > 10 && checked.1 > 0 && checked.2 > 0,
        "{checked:?}"
    );
    // The application finds a user by its old id.
    let (id, ..) = &rows[42];
    assert!(fs.mapping(id).is_some(), "{id} has no external-id mapping");
}

#[test]
fn sigkill_while_sending_and_while_following_the_import_then_resume_imports_each_user_once() {
    // A slow core (300 users/s) keeps the run following the import long after the last
    // request; faults lose answers (drop_after, 500_after) along the way.
    let Some(fs) = FakeSupertokens::start(&[
        "--process-rate",
        "300",
        "--process-interval",
        "0.2",
        "--fault-rate",
        "0.05",
        "--seed",
        "5",
    ]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("export.csv");
    let n = 4000u64;
    authferry_platforms::synthetic::write_clerk_csv(&csv, n, 9).unwrap();
    let from = format!("clerk-csv:{}", csv.display());
    let journal = dir.path().join("journal.sqlite");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    eprintln!("kill seed {seed}");
    let mut kills = 0;
    let mut killed_while_following = false;
    for x in authferry_testkit::xorshift(seed).take(5) {
        let after = Duration::from_millis(400 + x % 2500);
        let mut child = migrate(&fs, &from, &journal, &["--batch-size", "700"])
            .spawn()
            .unwrap();
        std::thread::sleep(after);
        if child.try_wait().unwrap().is_none() {
            kills += 1;
            // Entries waiting in the core's table: the run was following the import.
            killed_while_following |= fs.bulk().iter().any(|e| e["status"] == "NEW");
        }
        child.kill().ok();
        child.wait().ok();
    }
    assert!(
        kills >= 3,
        "the run finished before it could be killed (seed {seed})"
    );
    assert!(
        killed_while_following,
        "no kill while the import was followed (seed {seed})"
    );
    let summary = complete(&mut migrate(&fs, &from, &journal, &["--batch-size", "700"]));
    let c = &summary["counts"];
    assert_eq!(
        c["migrated"].as_u64().unwrap() + c["already_present"].as_u64().unwrap(),
        n,
        "seed {seed}: {summary}"
    );
    let users = imported(&fs);
    assert_eq!(users.len() as u64, n, "seed {seed}");
    assert!(
        fs.bulk().is_empty(),
        "seed {seed}: entries left in the core's table"
    );
    assert_eq!(fs.stat(&["spec_violations"]), 0, "{}", fs.stats());
    // Each user went into the core's table once: nothing re-sent that it held.
    assert_eq!(fs.stat(&["accepted"]), n, "seed {seed}: {}", fs.stats());
}

fn firebase_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../platforms/tests/fixtures/firebase")
        .join(name)
}

#[test]
fn firebase_users_sign_in_through_the_cores_firebase_scrypt() {
    // The fixture project's hash parameters, as the core's configuration takes them.
    let config = std::fs::read_to_string(firebase_fixture("hash_config.txt")).unwrap();
    let param = |k: &str| {
        config
            .lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{k}:")))
            .map(|v| v.trim().trim_end_matches(',').to_string())
            .unwrap()
    };
    let Some(fs) = FakeSupertokens::start(&[
        "--process-interval",
        "0.1",
        "--firebase-signer-key",
        &param("base64_signer_key"),
        "--firebase-salt-separator",
        &param("base64_salt_separator"),
    ]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let from = format!("firebase:{}", firebase_fixture("export.json").display());
    let journal = dir.path().join("journal.sqlite");
    let hash_config = firebase_fixture("hash_config.txt");
    let out = migrate(
        &fs,
        &from,
        &journal,
        &["--hash-config", hash_config.to_str().unwrap()],
    )
    .output()
    .unwrap();
    // The fixture's one broken record fails; the rest move.
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["counts"]["failed"], 1, "{summary}");
    assert!(
        summary["notes"]
            .to_string()
            .contains("firebase_password_hashing_signer_key"),
        "{summary}"
    );
    let passwords: BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(firebase_fixture("passwords.json")).unwrap())
            .unwrap();
    let users = imported(&fs);
    let (mut ascii, mut other) = (0, 0);
    for (id, pw) in &passwords {
        let u = users.get(id).unwrap_or_else(|| panic!("{id} missing"));
        let email = u["loginMethods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["recipeId"] == "emailpassword")
            .and_then(|m| m["email"].as_str())
            .unwrap_or_else(|| panic!("{id} has no email-password method: {u}"))
            .to_string();
        // The core reads passwords as US-ASCII: others cannot sign in (the README says so).
        if pw.is_ascii() {
            assert!(fs.signin(&email, pw), "{id} cannot sign in");
            ascii += 1;
        } else {
            assert!(
                !fs.signin(&email, pw),
                "{id}: the core reads passwords as ASCII"
            );
            other += 1;
        }
    }
    assert!(ascii > 50 && other > 0, "{ascii} {other}");
    assert_eq!(fs.stat(&["spec_violations"]), 0, "{}", fs.stats());
}

#[test]
fn plan_names_the_users_the_core_would_refuse_and_sends_nothing() {
    let Some(fs) = FakeSupertokens::start(&[]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ndjson = dir.path().join("users.ndjson");
    let lines = [
        r#"{"source_id":"ok_1","emails":[{"address":"a@example.com","verified":true,"primary":true}]}"#,
        r#"{"source_id":"only_username","username":"ada"}"#,
        r#"{"source_id":"future","emails":[{"address":"f@example.com"}],"created_at":"2999-01-01T00:00:00.000Z"}"#,
    ];
    std::fs::write(&ndjson, lines.join("\n") + "\n").unwrap();
    let out = authferry()
        .args(["plan", "--json", "--from"])
        .arg(format!("ndjson:{}", ndjson.display()))
        .arg("--to")
        .arg(format!("supertokens:{}", fs.url))
        .output()
        .unwrap();
    let summary: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    assert_eq!(summary["counts"]["migrated"], 1, "{summary}");
    assert_eq!(summary["counts"]["failed"], 2, "{summary}");
    let problems = summary["problems"].to_string();
    assert!(
        problems.contains("only_username") && problems.contains("username"),
        "{problems}"
    );
    assert!(
        problems.contains("future") && problems.contains("created_at"),
        "{problems}"
    );
    assert_eq!(fs.stat(&["accepted"]), 0, "plan sent users");
}

#[test]
fn each_digest_goes_native_re_encoded_or_without_a_password_as_the_core_can_verify_it() {
    let Some(fs) = FakeSupertokens::start(&["--process-interval", "0.1"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ndjson = dir.path().join("users.ndjson");
    // Known-answer digests of "password" (crates/hash/src/kats.rs), and one the core cannot
    // verify (MD5).
    let user = |id: &str, digest: &str| {
        serde_json::json!({
            "source_id": id,
            "emails": [{"address": format!("{id}@example.com"), "verified": true, "primary": true}],
            "password": {"digest": digest},
        })
        .to_string()
    };
    let lines = [
        user(
            "argon2id",
            "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        ),
        user(
            "argon2i",
            "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA",
        ),
        user(
            "ldap_argon2",
            "{ARGON2}$argon2id$v=19$m=65536,t=2,p=1$IyTQMsvzB2JHDiWx8fq7Ew$VhYOA7AL0kbRXI5g2kOyyp8St1epkNj7WZyUY4pAIQQ",
        ),
        user("md5", "5f4dcc3b5aa765d61d8327deb882cf99"),
    ];
    std::fs::write(&ndjson, lines.join("\n") + "\n").unwrap();
    let from = format!("ndjson:{}", ndjson.display());
    let summary = complete(&mut migrate(
        &fs,
        &from,
        &dir.path().join("j.sqlite"),
        &["--unverifiable", "no-password"],
    ));
    assert_eq!(summary["counts"]["migrated"], 4, "{summary}");
    let formats = &summary["hash_formats"];
    assert_eq!(formats["argon2id"]["support"], "native", "{formats}");
    assert_eq!(formats["ldap_argon2"]["support"], "re_encoded", "{formats}");
    assert_eq!(formats["md5"]["support"], "unverifiable", "{formats}");
    let users = imported(&fs);
    for id in ["argon2id", "argon2i", "ldap_argon2"] {
        let email = format!("{id}@example.com");
        assert!(fs.signin(&email, "password"), "{id} cannot sign in");
        assert!(
            !fs.signin(&email, "Password"),
            "{id}: a wrong password signs in"
        );
        let m = &users[id]["loginMethods"][0];
        assert_eq!(m["recipeId"], "emailpassword", "{id}: {m}");
    }
    // The LDAP digest went as the core's own argon2 form.
    let stored = users["ldap_argon2"]["loginMethods"][0]["passwordHash"].to_string();
    assert!(stored.starts_with("\"$argon2id$"), "{stored}");
    // The MD5 user came without a password: it signs in with an email code.
    let m = &users["md5"]["loginMethods"][0];
    assert_eq!(m["recipeId"], "passwordless", "{m}");
    assert!(!fs.signin("md5@example.com", "password"));
}

fn status(journal: &Path, json: bool) -> (Output, String) {
    let mut c = authferry();
    c.args(["status", "--journal"]).arg(journal);
    if json {
        c.arg("--json");
    }
    let out = c.output().unwrap();
    let t = text(&out);
    assert!(!t.contains(API_KEY), "the API key was printed");
    assert_eq!(out.status.code(), Some(0), "{t}");
    (out, t)
}

#[test]
fn status_shows_the_run_and_the_cores_queue_while_the_import_waits_and_after() {
    // The core imports nothing until told: the run submits everyone and waits.
    let Some(fs) = FakeSupertokens::start(&["--process-rate", "0", "--process-interval", "0.1"])
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("export.csv");
    let n = 1500u64;
    authferry_platforms::synthetic::write_clerk_csv(&csv, n, 4).unwrap();
    let from = format!("clerk-csv:{}", csv.display());
    let journal = dir.path().join("journal.sqlite");
    let child = migrate(&fs, &from, &journal, &[]).spawn().unwrap();
    let waiting = std::time::Instant::now();
    let seen = loop {
        assert!(
            waiting.elapsed() < Duration::from_secs(60),
            "the run never submitted everyone"
        );
        std::thread::sleep(Duration::from_millis(300));
        if !journal.exists() {
            continue;
        }
        let (out, _) = status(&journal, true);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        if v["counts"]["submitted"] == n {
            break v;
        }
    };
    assert_eq!(seen["counts"]["migrated"], 0, "{seen}");
    let queue = seen["target_queue"].as_object().expect("the core's queue");
    let new: u64 = queue
        .iter()
        .filter(|(k, _)| k.contains("NEW"))
        .map(|(_, v)| v.as_u64().unwrap())
        .sum();
    assert_eq!(new, n, "{seen}");
    let (_, human) = status(&journal, false);
    assert!(
        human.contains("submitted") && human.contains(&n.to_string()),
        "{human}"
    );
    assert!(human.contains("NEW"), "{human}");

    // The core gets going; the same run finishes and says so.
    fs.configure(serde_json::json!({"process_rate": 5000}));
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (out, _) = status(&journal, true);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["counts"]["migrated"], n, "{v}");
    assert_eq!(v["counts"]["submitted"], 0, "{v}");
    assert!(
        v["target_queue"]
            .as_object()
            .unwrap()
            .values()
            .all(|c| c == 0),
        "{v}"
    );
}

#[test]
fn the_failure_log_names_each_record_its_field_and_the_cores_words() {
    let Some(fs) = FakeSupertokens::start(&["--process-interval", "0.1", "--roles", "member"])
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ndjson = dir.path().join("users.ndjson");
    let lines = [
        r#"{"source_id":"ok_1","emails":[{"address":"a@example.com","verified":true}],"public_metadata":{"roles":["member"]}}"#,
        r#"{"source_id":"no_such_role","emails":[{"address":"b@example.com","verified":true}],"public_metadata":{"roles":["owner"]}}"#,
        r#"{"source_id":"ok_2","emails":[{"address":"c@example.com","verified":true}]}"#,
    ];
    std::fs::write(&ndjson, lines.join("\n") + "\n").unwrap();
    let failures = dir.path().join("failures.ndjson");
    let out = migrate(
        &fs,
        &format!("ndjson:{}", ndjson.display()),
        &dir.path().join("j.sqlite"),
        &["--roles-from", "public_metadata.roles", "--failures"],
    )
    .arg(&failures)
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let log = std::fs::read_to_string(&failures).unwrap();
    let rows: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "{log}");
    let row = rows[0].to_string();
    assert!(row.contains("no_such_role"), "{row}");
    assert!(row.contains("field `public_metadata.roles`"), "{row}");
    assert!(row.contains("Role owner does not exist."), "{row}");
    assert_eq!(imported(&fs).len(), 2);
}
