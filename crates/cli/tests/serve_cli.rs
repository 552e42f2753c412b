//! `authferry serve` as an operator runs it, in front of a Better Auth database: users of a
//! Clerk export move at their first sign-in with their password re-hashed in better-auth's own
//! scrypt; the second sign-in is `migrated_before`; a wrong password and an unknown identifier
//! get the same 401; 50 concurrent sign-ins of one user create it once (one server, and two
//! servers sharing a PostgreSQL journal); brute force meets the attempt limit; a bulk
//! `migrate` on the same journal afterwards moves only the rest (hybrid); nothing secret in
//! the server's logs.

use authferry_testkit::TempPgDatabase;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const TOKEN: &str = "serve-test-token-0123456789abcdef0123456789";
const SECRET: &str = "serve-test-better-auth-secret-0123456789abcdef";

/// A running `authferry serve`; killed (SIGTERM, then SIGKILL) when dropped.
struct Server {
    child: Option<Child>,
    url: String,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    agent: ureq::Agent,
}

impl Server {
    fn start(config: &Path) -> Server {
        Self::start_with(config, &[])
    }

    /// With extra environment variables (a target's key and address).
    fn start_with(config: &Path, vars: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_authferry"))
            .args(["serve", "--config"])
            .arg(config)
            .envs(vars.iter().copied())
            .env("AUTHFERRY_SERVE_TOKEN", TOKEN)
            .env("BETTER_AUTH_SECRET", SECRET)
            .env_remove("AUTH_SECRET")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        {
            let mut e = child.stderr.take().unwrap();
            let sink = stderr.clone();
            std::thread::spawn(move || {
                let mut buf = String::new();
                let _ = e.read_to_string(&mut buf);
                sink.lock().unwrap().push_str(&buf);
            });
        }
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = match line.trim().strip_prefix("listening on ") {
            Some(u) => u.to_string(),
            None => {
                let _ = child.wait();
                panic!("serve said {line:?}: {}", stderr.lock().unwrap());
            }
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Server {
            child: Some(child),
            url,
            stderr,
            agent,
        }
    }

    /// `POST /v1/login`: status, body, Retry-After.
    fn login_with(
        &self,
        token: Option<&str>,
        identifier: &str,
        password: &str,
    ) -> (u16, Value, Option<String>) {
        let mut req = self.agent.post(&format!("{}/v1/login", self.url));
        if let Some(t) = token {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        let mut resp = req
            .header("Content-Type", "application/json")
            .send(
                json!({"identifier": identifier, "password": password})
                    .to_string()
                    .as_bytes(),
            )
            .unwrap();
        let status = resp.status().as_u16();
        let retry = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp.body_mut().read_to_string().unwrap();
        (
            status,
            serde_json::from_str(&body).unwrap_or(Value::Null),
            retry,
        )
    }

    fn login(&self, identifier: &str, password: &str) -> (u16, Value) {
        let (s, b, _) = self.login_with(Some(TOKEN), identifier, password);
        (s, b)
    }

    fn get(&self, path: &str) -> String {
        self.agent
            .get(&format!("{}{path}", self.url))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap()
    }

    /// Stops it as an operator would (SIGTERM) and returns its logs.
    fn stop(mut self) -> String {
        let mut child = self.child.take().unwrap();
        unsafe {
            libc::kill(child.id() as i32, libc::SIGTERM);
        }
        let status = child.wait().unwrap();
        assert!(status.success(), "serve exited with {status}");
        std::thread::sleep(Duration::from_millis(100));
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The synthetic export's users: (id, email, password or None).
fn users(csv: &Path) -> Vec<(String, String, Option<String>)> {
    let mut r = csv::Reader::from_path(csv).unwrap();
    r.records()
        .enumerate()
        .map(|(i, row)| {
            let row = row.unwrap();
            let pw = (!row[11].is_empty()).then(|| {
                authferry_platforms::synthetic::synthetic_password(
                    i % authferry_platforms::synthetic::DIGESTS,
                )
            });
            (row[0].to_string(), row[4].to_string(), pw)
        })
        .collect()
}

fn write_config(
    dir: &Path,
    name: &str,
    csv: &Path,
    journal: &str,
    to: &str,
    extra: &str,
) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "listen = \"127.0.0.1:0\"\njournal = {journal:?}\n{extra}\n[source]\nfrom = \"clerk-csv:{}\"\n[target]\nto = {to:?}\nflags = {{ backup-codes-out = {:?} }}\n",
            csv.display(),
            dir.join(format!("{name}-codes.ndjson")).display().to_string(),
        ),
    )
    .unwrap();
    path
}

/// better-auth's stored digest of a user's credential account.
fn stored_digest(db: &Path, user_id: &str) -> String {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row(
        "SELECT password FROM account WHERE userId = ?1 AND providerId = 'credential'",
        [user_id],
        |r| r.get(0),
    )
    .unwrap()
}

fn count_users(db: &Path, user_id: &str) -> i64 {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row("SELECT count(*) FROM user WHERE id = ?1", [user_id], |r| {
        r.get(0)
    })
    .unwrap()
}

fn assert_no_secrets(logs: &str, passwords: &[&str]) {
    assert!(!logs.contains(TOKEN), "the token is in the logs");
    assert!(!logs.contains(SECRET), "the app secret is in the logs");
    for p in passwords {
        assert!(!logs.contains(p), "a password is in the logs");
    }
    assert!(
        !logs.contains("$2b$") && !logs.contains("$2a$"),
        "a digest is in the logs"
    );
}

#[test]
fn users_move_at_first_sign_in_once_with_better_auths_own_digest() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("export.csv");
    authferry_platforms::synthetic::write_clerk_csv(&csv, 60, 2).unwrap();
    let all = users(&csv);
    let db = dir.path().join("app.db");
    let journal = dir.path().join("journal.sqlite").display().to_string();
    let to = format!("better-auth:sqlite:{}", db.display());
    let config = write_config(
        dir.path(),
        "a",
        &csv,
        &journal,
        &to,
        "[limits]\nattempts_per_identifier = 4\n",
    );
    let server = Server::start(&config);
    let with_pw: Vec<&(String, String, Option<String>)> =
        all.iter().filter(|u| u.2.is_some()).collect();

    // First sign-in moves the user, with better-auth's own scrypt of the password.
    let (id, email, pw) = with_pw[0];
    let pw = pw.as_deref().unwrap();
    let (s, b) = server.login(email, pw);
    assert_eq!((s, &b["status"]), (200, &json!("migrated_now")), "{b}");
    assert_eq!(b["user_id"], json!(id));
    let digest = stored_digest(&db, id);
    assert_eq!(
        authferry_hash::identify(&digest, None).unwrap().format,
        authferry_hash::Format::BetterAuthScrypt
    );
    assert!(authferry_hash::verify(&digest, None, pw).unwrap());
    // The second is migrated_before, and nothing is written again.
    let (s, b) = server.login(email, pw);
    assert_eq!((s, &b["status"]), (200, &json!("migrated_before")), "{b}");
    assert_eq!(b["user_id"], json!(id));
    assert_eq!(count_users(&db, id), 1);

    // Wrong password and unknown identifier: the same answer.
    let (_, email1, _) = with_pw[1];
    let wrong = server.login(email1, "not-the-password");
    let unknown = server.login("nobody-at-all@example.com", "not-the-password");
    assert_eq!(wrong.0, 401);
    assert_eq!(wrong, unknown);
    assert_eq!(count_users(&db, &with_pw[1].0), 0);

    // Callers without the token are refused.
    let (s, _, _) = server.login_with(None, email, pw);
    assert_eq!(s, 401);
    let (s, b, _) = server.login_with(Some("wrong-token"), email, pw);
    assert_eq!((s, b["status"].as_str()), (401, Some("unauthorized")));

    // Brute force against one identifier meets the limit (4 per window).
    let (_, email2, _) = with_pw[2];
    let mut limited = None;
    for n in 0..8 {
        let (s, _, retry) = server.login_with(Some(TOKEN), email2, &format!("guess-{n}"));
        if s == 429 {
            limited = Some((n, retry));
            break;
        }
        assert_eq!(s, 401);
    }
    let (n, retry) = limited.expect("no attempt limit");
    assert_eq!(n, 4, "the fifth attempt is refused");
    assert!(retry.is_some_and(|r| r.parse::<u64>().unwrap() >= 1));

    // 50 concurrent sign-ins of one user: created once.
    let (id3, email3, pw3) = with_pw[3];
    let pw3 = pw3.clone().unwrap();
    fifty_at_once(&[&server], email3, &pw3);
    assert_eq!(count_users(&db, id3), 1);

    let metrics = server.get("/metrics");
    assert!(
        metrics.contains("authferry_logins_total{outcome=\"migrated_now\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("authferry_login_seconds_bucket"),
        "{metrics}"
    );
    assert_eq!(server.get("/healthz").trim(), "ok");
    let logs = server.stop();
    let passwords: Vec<&str> = with_pw.iter().filter_map(|u| u.2.as_deref()).collect();
    assert_no_secrets(&logs, &passwords);
    assert!(logs.contains("\"outcome\":\"migrated_now\""), "{logs}");

    // Hybrid: a bulk run on the same journal moves only the rest.
    let out = Command::new(env!("CARGO_BIN_EXE_authferry"))
        .args(["migrate", "--json", "--quiet", "--from"])
        .arg(format!("clerk-csv:{}", csv.display()))
        .args(["--to", &to, "--journal", &journal])
        .arg("--backup-codes-out")
        .arg(dir.path().join("bulk-codes.ndjson"))
        .env("BETTER_AUTH_SECRET", SECRET)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["counts"]["already_present"], 2, "{summary}");
    assert_eq!(
        summary["counts"]["migrated"],
        all.len() as u64 - 2,
        "{summary}"
    );
    // `status` tells the two paths apart.
    let out = Command::new(env!("CARGO_BIN_EXE_authferry"))
        .args(["status", "--json", "--journal-only", "--journal", &journal])
        .output()
        .unwrap();
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<(String, u64)> = status["moved_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["path"].as_str().unwrap().to_string(),
                m["users"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        paths,
        vec![
            ("trickle".to_string(), 2),
            ("bulk".to_string(), all.len() as u64 - 2)
        ],
        "{status}"
    );
    // And the server answers migrated_before for a user the bulk run moved.
    let server = Server::start(&config);
    let (id4, email4, pw4) = with_pw[4];
    let (s, b) = server.login(email4, pw4.as_deref().unwrap());
    assert_eq!(
        (s, &b["status"], &b["user_id"]),
        (200, &json!("migrated_before"), &json!(id4))
    );
    server.stop();
}

#[test]
fn two_servers_on_one_postgres_journal_create_a_user_once() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("export.csv");
    authferry_platforms::synthetic::write_clerk_csv(&csv, 20, 8).unwrap();
    let all = users(&csv);
    let target = TempPgDatabase::create("serve_target");
    let journal = TempPgDatabase::create("serve_journal");
    let to = format!("better-auth:{}", target.url());
    let a = Server::start(&write_config(
        dir.path(),
        "a",
        &csv,
        &journal.url(),
        &to,
        "",
    ));
    let b = Server::start(&write_config(
        dir.path(),
        "b",
        &csv,
        &journal.url(),
        &to,
        "",
    ));
    let (id, email, pw) = all.iter().find(|u| u.2.is_some()).unwrap();
    let pw = pw.clone().unwrap();
    fifty_at_once(&[&a, &b], email, &pw);
    let n: i64 = target
        .client()
        .query_one("SELECT count(*) FROM \"user\" WHERE id = $1", &[id])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    a.stop();
    b.stop();
}

/// The real better-auth, its email sign-in calling the server first (the README's hook):
/// legacy users with bcrypt, Argon2id and Firebase scrypt digests sign in, end with
/// better-auth's own scrypt, and sign in natively once the server is gone.
#[test]
fn legacy_users_sign_in_through_better_auth_then_natively_without_the_server() {
    use authferry_testkit::e2e::{Secrets, e2e, run};
    let Some(kit) =
        e2e("legacy_users_sign_in_through_better_auth_then_natively_without_the_server")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut secrets = Secrets::default();
    secrets.push("the server token", TOKEN);
    secrets.push("the app secret", SECRET);
    let mut lines: Vec<String> = Vec::new();
    let mut checks: Vec<Value> = Vec::new();
    // bcrypt (cost 4) and Argon2id ("password", RFC 9106-style KAT of the hash crate).
    for i in 0..3 {
        let pw = format!("legacy-bcrypt-{i}-Pässword");
        let digest = bcrypt::hash(&pw, 4).unwrap();
        secrets.push("a bcrypt digest", digest.clone());
        secrets.push("a password", pw.clone());
        let email = format!("bcrypt{i}@example.com");
        lines.push(json!({"source_id": format!("bc_{i}"), "emails": [{"address": email, "verified": true}],
            "password": {"hasher": "bcrypt", "digest": digest}}).to_string());
        checks.push(json!({"email": email, "password": pw}));
    }
    let argon =
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
    lines.push(
        json!({"source_id": "ar_0", "emails": [{"address": "argon@example.com", "verified": true}],
        "password": {"digest": argon}})
        .to_string(),
    );
    checks.push(json!({"email": "argon@example.com", "password": "password"}));
    // Firebase scrypt: the fixture project's users, as the Firebase source reads them (digest,
    // salt and the project's parameters in the canonical record).
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../platforms/tests/fixtures/firebase");
    let firebase = dir.path().join("firebase.ndjson");
    let out = Command::new(env!("CARGO_BIN_EXE_authferry"))
        .args(["migrate", "--quiet", "--from"])
        .arg(format!(
            "firebase:{}",
            fixture.join("export.json").display()
        ))
        .arg("--hash-config")
        .arg(fixture.join("hash_config.txt"))
        .arg("--to")
        .arg(format!("ndjson:{}", firebase.display()))
        .arg("--journal")
        .arg(dir.path().join("fb-journal.sqlite"))
        .output()
        .unwrap();
    assert!(out.status.code() == Some(3) || out.status.success());
    let passwords: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(fixture.join("passwords.json")).unwrap())
            .unwrap();
    let mut taken = 0;
    for line in std::fs::read_to_string(&firebase).unwrap().lines() {
        let u: Value = serde_json::from_str(line).unwrap();
        let id = u["source_id"].as_str().unwrap();
        let (Some(pw), Some(email)) = (passwords.get(id), u["emails"][0]["address"].as_str())
        else {
            continue;
        };
        if taken == 3 {
            break;
        }
        taken += 1;
        secrets.push(
            "a Firebase digest",
            u["password"]["digest"].as_str().unwrap(),
        );
        secrets.push("a password", pw.clone());
        lines.push(line.to_string());
        checks.push(json!({"email": email, "password": pw}));
    }
    assert_eq!(taken, 3);
    let source = dir.path().join("legacy.ndjson");
    std::fs::write(&source, lines.join("\n") + "\n").unwrap();

    let db = dir.path().join("app.db");
    let config = dir.path().join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\njournal = {:?}\n[source]\nfrom = \"ndjson:{}\"\n[target]\nto = \"better-auth:sqlite:{}\"\nflags = {{ backup-codes-out = {:?} }}\n",
            dir.path().join("journal.sqlite").display().to_string(),
            source.display(),
            db.display(),
            dir.path().join("codes.ndjson").display().to_string(),
        ),
    )
    .unwrap();
    let server = Server::start(&config);
    let check = |phase: &str, url: &str| {
        let cfg = dir.path().join(format!("{phase}.json"));
        authferry_testkit::e2e::write_private(
            &cfg,
            &json!({"sqlite": db, "secret": SECRET, "phase": phase,
                    "serve": {"url": url, "token": TOKEN}, "checks": checks}),
        );
        let mut cmd = Command::new("node");
        cmd.arg(kit.dir.join("trickle-check.mjs")).arg(&cfg);
        let r = run(cmd, Duration::from_secs(180));
        secrets.assert_absent("trickle-check's output", &r.stdout);
        secrets.assert_absent("trickle-check's errors", &r.stderr);
        let results: Vec<Value> = r
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(results.len(), checks.len(), "{}", r.stderr);
        for res in &results {
            assert_eq!(res["ok"], true, "{phase}: {res}");
        }
        assert!(r.status.success(), "{phase}: {}", r.stderr);
    };
    check("through-server", &server.url);
    let url = server.url.clone();
    let logs = server.stop();
    secrets.assert_absent("the server's logs", &logs);
    assert_eq!(
        logs.matches("\"outcome\":\"migrated_now\"").count(),
        checks.len(),
        "one move each"
    );
    check("native", &url);
}

/// 50 concurrent sign-ins of one user, spread over `servers`: exactly one moves it.
fn fifty_at_once(servers: &[&Server], email: &str, password: &str) {
    let statuses: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|n| {
                let server = servers[n % servers.len()];
                s.spawn(move || {
                    server.login(email, password).1["status"]
                        .as_str()
                        .unwrap_or("?")
                        .to_string()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| *s == "migrated_now").count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| *s == "migrated_before").count(),
        49,
        "{statuses:?}"
    );
}

fn api_config(dir: &Path, csv: &Path, to: &str) -> PathBuf {
    let path = dir.join("api.toml");
    std::fs::write(
        &path,
        format!(
            "listen = \"127.0.0.1:0\"\njournal = {:?}\n[source]\nfrom = \"clerk-csv:{}\"\n[target]\nto = {to:?}\n",
            dir.join("journal.sqlite").display().to_string(),
            csv.display()
        ),
    )
    .unwrap();
    path
}

#[test]
fn into_clerk_the_first_sign_in_creates_the_user_once_with_a_bcrypt_digest() {
    use authferry_testkit::fake_clerk::{FakeClerk, TEST_KEY};
    let Some(fc) = FakeClerk::start(&["--limit", "1000", "--window", "1"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("export.csv");
    authferry_platforms::synthetic::write_clerk_csv(&csv, 30, 6).unwrap();
    let with_pw: Vec<_> = users(&csv).into_iter().filter(|u| u.2.is_some()).collect();
    let server = Server::start_with(
        &api_config(dir.path(), &csv, "clerk"),
        &[
            ("CLERK_SECRET_KEY", TEST_KEY),
            ("CLERK_API_URL", fc.url.as_str()),
        ],
    );
    let (id, email, pw) = &with_pw[0];
    let pw = pw.as_deref().unwrap();
    let (s, b) = server.login(email, pw);
    assert_eq!((s, &b["status"]), (200, &json!("migrated_now")), "{b}");
    assert_eq!(server.login(email, pw).1["status"], "migrated_before");
    let stored = fc.users();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["external_id"], json!(id));
    assert_eq!(stored[0]["_password_hasher"], "bcrypt");
    let digest = stored[0]["_password_digest"].as_str().unwrap();
    assert!(authferry_hash::verify(digest, Some("bcrypt"), pw).unwrap());
    assert_eq!(b["user_id"], stored[0]["id"], "the answer names Clerk's id");
    let (_, email1, pw1) = &with_pw[1];
    fifty_at_once(&[&server], email1, pw1.as_deref().unwrap());
    assert_eq!(fc.users().len(), 2);
    assert_eq!(fc.stat(&["spec_violations"]), 0);
    let logs = server.stop();
    assert_no_secrets(&logs, &[pw]);
    assert!(!logs.contains(TEST_KEY));
}

#[test]
fn into_supertokens_the_first_sign_in_imports_the_user_once_and_it_signs_in_there() {
    use authferry_testkit::fake_supertokens::{API_KEY, FakeSupertokens};
    let Some(fs) = FakeSupertokens::start(&["--process-interval", "0.05"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("export.csv");
    authferry_platforms::synthetic::write_clerk_csv(&csv, 30, 7).unwrap();
    let with_pw: Vec<_> = users(&csv).into_iter().filter(|u| u.2.is_some()).collect();
    let server = Server::start_with(
        &api_config(dir.path(), &csv, &format!("supertokens:{}", fs.url)),
        &[("SUPERTOKENS_API_KEY", API_KEY)],
    );
    let (id, email, pw) = &with_pw[0];
    let pw = pw.as_deref().unwrap();
    let (s, b) = server.login(email, pw);
    assert_eq!(
        (s, &b["status"], &b["user_id"]),
        (200, &json!("migrated_now"), &json!(id)),
        "{b}"
    );
    assert_eq!(server.login(email, pw).1["status"], "migrated_before");
    assert!(
        fs.signin(email, pw),
        "the imported user cannot sign in at the core"
    );

    // The second user's import is seen at once, though the core's table counts are the same
    // before and after it (a stale settle round would keep 49 sign-ins waiting into 503s).
    let (_, email1, pw1) = &with_pw[1];
    fifty_at_once(&[&server], email1, pw1.as_deref().unwrap());
    assert_eq!(fs.users().len(), 2);
    assert_eq!(fs.stat(&["accepted"]), 2, "a user was sent twice");
    assert_eq!(fs.stat(&["spec_violations"]), 0);
    server.stop();
}

/// Session fallback: tokens the old platform issued (RS256, its public key configured) are
/// accepted during the switch and answered with the old id and, once moved, the new one;
/// expired, wrong-audience and tampered tokens are refused; no token shows in the logs.
#[test]
fn old_platform_sessions_are_accepted_during_the_switch() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    let private = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).unwrap();
    let signing = EncodingKey::from_rsa_der(private.to_pkcs1_der().unwrap().as_bytes());
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("clerk.pem");
    std::fs::write(
        &pem,
        private
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap(),
    )
    .unwrap();
    let csv = dir.path().join("export.csv");
    authferry_platforms::synthetic::write_clerk_csv(&csv, 10, 3).unwrap();
    let with_pw: Vec<_> = users(&csv).into_iter().filter(|u| u.2.is_some()).collect();
    let db = dir.path().join("app.db");
    let config = write_config(
        dir.path(),
        "s",
        &csv,
        &dir.path().join("journal.sqlite").display().to_string(),
        &format!("better-auth:sqlite:{}", db.display()),
        &format!(
            "[session]\npublic_key_file = {:?}\nissuer = \"https://clerk.example.test\"\nauthorized_parties = [\"https://app.example.test\"]\n",
            pem.display().to_string()
        ),
    );
    let server = Server::start(&config);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (id, email, pw) = &with_pw[0];
    let token = |claims: Value| {
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &signing).unwrap()
    };
    let claims = |exp: i64, azp: &str| {
        json!({"sub": id, "sid": "sess_1", "iss": "https://clerk.example.test", "azp": azp,
               "exp": exp, "nbf": now - 10, "iat": now - 10})
    };
    let good = token(claims(now + 60, "https://app.example.test"));
    let check = |t: &str, with_token: bool| -> (u16, Value) {
        let mut req = server.agent.post(&format!("{}/v1/session", server.url));
        if with_token {
            req = req.header("Authorization", &format!("Bearer {TOKEN}"));
        }
        let mut r = req
            .header("Content-Type", "application/json")
            .send(json!({"token": t}).to_string().as_bytes())
            .unwrap();
        let status = r.status().as_u16();
        let body = r.body_mut().read_to_string().unwrap();
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    };
    // Before the user moved: valid, old id, no new id yet.
    let (s, b) = check(&good, true);
    assert_eq!(
        (s, &b["status"], &b["old_user_id"]),
        (200, &json!("valid"), &json!(id)),
        "{b}"
    );
    assert_eq!(b["user_id"], Value::Null);
    assert_eq!(b["session_id"], "sess_1");
    // After: the new id.
    assert_eq!(
        server.login(email, pw.as_deref().unwrap()).1["status"],
        "migrated_now"
    );
    let (s, b) = check(&good, true);
    assert_eq!((s, &b["user_id"]), (200, &json!(id)), "{b}");
    // Refused: expired, another origin, tampered, and callers without the server's token.
    let expired = token(claims(now - 120, "https://app.example.test"));
    let other_origin = token(claims(now + 60, "https://evil.example.test"));
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    parts[1] = {
        use base64::Engine;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut payload: Value = serde_json::from_slice(&e.decode(&parts[1]).unwrap()).unwrap();
        payload["sub"] = json!("user_someone_else");
        e.encode(payload.to_string())
    };
    let tampered = parts.join(".");
    for bad in [&expired, &other_origin, &tampered] {
        let (s, b) = check(bad, true);
        assert_eq!((s, &b["status"]), (401, &json!("invalid_session")), "{b}");
    }
    let (s, b) = check(&good, false);
    assert_eq!((s, &b["status"]), (401, &json!("unauthorized")));
    let metrics = server.get("/metrics");
    assert!(
        metrics.contains("authferry_sessions_total{outcome=\"valid\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("authferry_sessions_total{outcome=\"refused\"} 3"),
        "{metrics}"
    );
    let logs = server.stop();
    for t in [&good, &expired, &other_origin, &tampered] {
        assert!(!logs.contains(t.as_str()), "a session token is in the logs");
    }
    assert_no_secrets(&logs, &[pw.as_deref().unwrap()]);
}

/// Password work runs on a bounded pool: beyond its queue the server answers 503 with
/// Retry-After at once, instead of queueing sign-ins without end.
#[test]
fn a_saturated_hashing_pool_answers_503_instead_of_queueing() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("users.ndjson");
    // bcrypt cost 12: a quarter of a second or so per verification.
    let digest = bcrypt::hash("the-password", 12).unwrap();
    std::fs::write(
        &source,
        json!({"source_id": "slow_1", "emails": [{"address": "slow@example.com"}],
               "password": {"hasher": "bcrypt", "digest": digest}})
        .to_string()
            + "\n",
    )
    .unwrap();
    let config = dir.path().join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\njournal = {:?}\n[source]\nfrom = \"ndjson:{}\"\n[target]\nto = \"ndjson:{}\"\n[limits]\nhash_workers = 1\nhash_queue = 1\nattempts_per_identifier = 1000\nattempts_per_client = 1000\n",
            dir.path().join("journal.sqlite").display().to_string(),
            source.display(),
            dir.path().join("out.ndjson").display(),
        ),
    )
    .unwrap();
    let server = Server::start(&config);
    let answers: Vec<(u16, Option<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                s.spawn(|| {
                    let (status, _, retry) =
                        server.login_with(Some(TOKEN), "slow@example.com", "wrong");
                    (status, retry)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let refused = answers.iter().filter(|(s, _)| *s == 401).count();
    let busy: Vec<_> = answers.iter().filter(|(s, _)| *s == 503).collect();
    assert!(refused >= 1, "{answers:?}");
    assert!(
        !busy.is_empty(),
        "the pool never said it was full: {answers:?}"
    );
    assert!(
        busy.iter().all(|(_, r)| r.as_deref() == Some("1")),
        "{answers:?}"
    );
    assert_eq!(refused + busy.len(), 16, "{answers:?}");
    let metrics = server.get("/metrics");
    assert!(
        metrics.contains(&format!(
            "authferry_logins_total{{outcome=\"busy\"}} {}",
            busy.len()
        )),
        "{metrics}"
    );
    server.stop();
}
