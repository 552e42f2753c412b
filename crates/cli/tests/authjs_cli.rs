//! `--from authjs:…` through the binary: an Auth.js SQLite database created with the D1
//! adapter's schema (`crates/platforms/tests/fixtures/authjs/d1-sqlite.sql`), with a
//! Credentials password table, migrated to NDJSON and to a Better Auth SQLite database.

use std::path::Path;
use std::process::{Command, Output};

fn authferry(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_authferry"))
        .current_dir(dir)
        .args(args)
        .env_remove("BETTER_AUTH_SECRET")
        .env_remove("AUTH_SECRET")
        .output()
        .expect("run authferry")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Returns the bcrypt digest stored for user 3.
fn authjs_db(path: &Path) -> String {
    let schema = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../platforms/tests/fixtures/authjs/d1-sqlite.sql"
    ))
    .unwrap();
    let digest = bcrypt::hash("carol's password", 4).unwrap();
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(&schema).unwrap();
    conn.execute_batch(
        r#"INSERT INTO users (id, name, email, emailVerified, image) VALUES
             ('u1', 'Alice Liddell', 'alice@example.com', '2024-01-15T10:00:00.000Z', 'https://img.example/a.png'),
             ('u2', NULL, 'bob@example.com', NULL, NULL),
             ('u3', 'Carol', 'carol@example.com', '2024-01-15T10:00:00.000Z', NULL),
             ('u4', NULL, NULL, NULL, NULL);
           INSERT INTO accounts (id, userId, type, provider, providerAccountId, scope) VALUES
             ('a1', 'u1', 'oauth', 'google', 'g-alice', 'openid email'),
             ('a2', 'u1', 'oauth', 'github', 'gh-alice', 'read:user'),
             ('a3', 'u2', 'oidc', 'auth0', 'auth0|bob', NULL),
             ('a4', 'u3', 'credentials', 'credentials', 'carol@example.com', NULL);
           CREATE TABLE credentials ("userId" text PRIMARY KEY, hash text);"#,
    )
    .unwrap();
    conn.execute("INSERT INTO credentials VALUES ('u3', ?1)", [&digest])
        .unwrap();
    digest
}

#[test]
fn authjs_sqlite_to_ndjson_and_better_auth() {
    let dir = tempfile::tempdir().unwrap();
    let digest = authjs_db(&dir.path().join("authjs.sqlite"));
    let from = "authjs:sqlite:authjs.sqlite";

    // The plan reads the source and writes nothing; it never shows a digest. User u4 has
    // nothing but an id and fails (no email, phone or username): exit 3.
    let out = authferry(
        dir.path(),
        &[
            "plan",
            "--from",
            from,
            "--to",
            "ndjson:out.ndjson",
            "--password-column",
            "credentials.hash",
            "--hasher",
            "bcrypt",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no_identifier"));
    assert!(!dir.path().join("out.ndjson").exists());
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(!all.contains(&digest));
    assert!(
        stderr(&out).contains("1 of type credentials"),
        "{}",
        stderr(&out)
    );

    // → NDJSON
    let out = authferry(
        dir.path(),
        &[
            "migrate",
            "--from",
            from,
            "--to",
            "ndjson:out.ndjson",
            "--journal",
            "j1.sqlite",
            "--password-column",
            "credentials.hash",
            "--hasher",
            "bcrypt",
            "--quiet",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains(&digest) && !String::from_utf8_lossy(&out.stdout).contains(&digest)
    );
    let text = std::fs::read_to_string(dir.path().join("out.ndjson")).unwrap();
    let users: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: Vec<&str> = users
        .iter()
        .map(|u| u["source_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["u1", "u2", "u3"]);
    assert_eq!(users[0]["display_name"], "Alice Liddell");
    assert_eq!(users[0]["emails"][0]["verified"], true);
    assert_eq!(users[0]["image_url"], "https://img.example/a.png");
    assert_eq!(users[0]["external_accounts"].as_array().unwrap().len(), 2);
    assert_eq!(users[0]["external_accounts"][0]["provider"], "github");
    assert_eq!(
        users[0]["external_accounts"][1]["scopes"],
        serde_json::json!(["openid", "email"])
    );
    assert_eq!(users[1]["emails"][0]["verified"], false);
    assert!(users[1].get("display_name").is_none());
    assert_eq!(
        users[1]["external_accounts"][0]["provider_user_id"],
        "auth0|bob"
    );
    assert_eq!(users[2]["password"]["hasher"], "bcrypt");
    assert_eq!(users[2]["password"]["digest"], digest.as_str());
    assert!(users[2].get("external_accounts").is_none());

    // Flags that do not fit the source are usage errors.
    let out = authferry(
        dir.path(),
        &[
            "plan",
            "--from",
            "ndjson:out.ndjson",
            "--to",
            "ndjson:x",
            "--password-column",
            "a.b",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = authferry(
        dir.path(),
        &[
            "plan", "--from", from, "--to", "ndjson:x", "--hasher", "bcrypt",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // → Better Auth: u4 fails again; the rest arrive with their OAuth links and Carol's
    // password (without --hasher: identified from the digest).
    let out = authferry(
        dir.path(),
        &[
            "migrate",
            "--from",
            from,
            "--to",
            "better-auth:sqlite:ba.sqlite",
            "--journal",
            "j2.sqlite",
            "--password-column",
            "credentials.hash",
            "--quiet",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let ba = rusqlite::Connection::open(dir.path().join("ba.sqlite")).unwrap();
    let mut stmt = ba
        .prepare(r#"SELECT u.email, u.emailVerified, a.providerId, a.accountId, a.password IS NOT NULL
                      FROM "user" u JOIN account a ON a.userId = u.id ORDER BY u.email, a.providerId"#)
        .unwrap();
    let rows: Vec<(String, bool, String, String, bool)> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let expect = |e: &str, v: bool, p: &str, a: &str, pw: bool| {
        (e.to_string(), v, p.to_string(), a.to_string(), pw)
    };
    assert_eq!(
        rows,
        [
            expect("alice@example.com", true, "github", "gh-alice", false),
            expect("alice@example.com", true, "google", "g-alice", false),
            expect("bob@example.com", false, "auth0", "auth0|bob", false),
            expect("carol@example.com", true, "credential", "u3", true),
        ]
    );

    // A re-run resumes to nothing new.
    let out = authferry(
        dir.path(),
        &[
            "migrate",
            "--from",
            from,
            "--to",
            "better-auth:sqlite:ba.sqlite",
            "--journal",
            "j2.sqlite",
            "--password-column",
            "credentials.hash",
            "--quiet",
            "--json",
        ],
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    assert_eq!(summary["counts"]["migrated"], 0);
    assert_eq!(summary["counts"]["already_present"], 3);
    assert_eq!(summary["counts"]["failed"], 1);
    let text = summary.to_string();
    assert!(!text.contains(&digest));
}

/// Seed 004's move: Auth.js → Clerk through the Backend API (the fake under tests), the old id
/// kept as `external_id`, the Credentials hash as Clerk's bcrypt digest, the `name` whole as
/// the first name, and the id map for the application's foreign keys.
#[test]
fn authjs_sqlite_to_clerk_keeps_old_ids_as_external_ids() {
    use authferry_testkit::fake_clerk::{FakeClerk, TEST_KEY};
    let Some(fc) = FakeClerk::start(&["--limit", "1000", "--window", "1"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let digest = authjs_db(&dir.path().join("authjs.sqlite"));
    let out = Command::new(env!("CARGO_BIN_EXE_authferry"))
        .current_dir(dir.path())
        .env("CLERK_SECRET_KEY", TEST_KEY)
        .env("CLERK_API_URL", &fc.url)
        .args([
            "migrate",
            "--quiet",
            "--from",
            "authjs:sqlite:authjs.sqlite",
            "--to",
            "clerk",
        ])
        .args([
            "--password-column",
            "credentials.hash",
            "--hasher",
            "bcrypt",
        ])
        .output()
        .unwrap();
    // u4 has no identifier at all: failed, exit 3.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let users = fc.users();
    let by_old: std::collections::BTreeMap<&str, &serde_json::Value> = users
        .iter()
        .map(|u| (u["external_id"].as_str().unwrap(), u))
        .collect();
    assert_eq!(
        by_old.keys().copied().collect::<Vec<_>>(),
        ["u1", "u2", "u3"]
    );
    assert_eq!(by_old["u1"]["first_name"], "Alice Liddell");
    assert_eq!(by_old["u3"]["_password_hasher"], "bcrypt");
    assert_eq!(by_old["u3"]["_password_digest"], digest.as_str());
    assert!(by_old["u1"]["_password_digest"].is_null());
    // bob's address was never verified in Auth.js: Clerk holds it reserved, not verified.
    assert_eq!(by_old["u2"]["email_addresses"][0]["reserved"], true);
    assert_eq!(by_old["u1"]["email_addresses"][0]["reserved"], false);

    let out = authferry(dir.path(), &["idmap", "export", "--format", "csv"]);
    let map = String::from_utf8_lossy(&out.stdout).into_owned();
    for (old, u) in &by_old {
        assert!(
            map.contains(&format!("{old},{}", u["id"].as_str().unwrap())),
            "{map}"
        );
    }
}
