//! Leaving Better Auth again (issue 10 item 3, `better-auth:…` as a source), and the round trip
//! Better Auth → NDJSON → Better Auth losing nothing Better Auth holds: users, credential and
//! OAuth accounts, phone-only users, TOTP secrets and backup codes (decrypted with the app's
//! secret, re-encrypted the same way), in SQLite and PostgreSQL.

use authferry_testkit::TempPgDatabase;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

const SECRET: &str = "round-trip-secret-0123456789abcdef0123";

fn authferry(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_authferry"))
        .current_dir(dir)
        .args(args)
        .env("BETTER_AUTH_SECRET", SECRET)
        .env_remove("BETTER_AUTH_SECRETS")
        .env_remove("AUTH_SECRET")
        // Users of a Clerk CSV have no creation time: pinned, so runs compare row for row.
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("run authferry")
}

fn migrate(dir: &Path, from: &str, to: &str, journal: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "migrate",
        "--quiet",
        "--json",
        "--from",
        from,
        "--to",
        to,
        "--journal",
        journal,
    ];
    args.extend_from_slice(extra);
    authferry(dir, &args)
}

fn summary(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "no JSON summary ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The NDJSON users, by id.
fn users(path: &Path) -> BTreeMap<String, Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["source_id"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

/// Every row of the three tables, as text, sorted.
fn sqlite_rows(db: &Path) -> Vec<Vec<String>> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut out = Vec::new();
    for table in ["user", "account", "twoFactor"] {
        let mut stmt = c.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let n = stmt.column_count();
        let mut rows: Vec<Vec<String>> = stmt
            .query_map([], |r| {
                (0..n)
                    .map(|i| {
                        r.get::<_, rusqlite::types::Value>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect()
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        out.push(vec![format!("== {table}: {} rows", rows.len())]);
        out.extend(rows);
    }
    out
}

/// A Better Auth database of the bundled sample (bcrypt passwords, TOTP users whose backup codes
/// authferry generates, a phone-only user, an OAuth link), and the backup codes delivered.
fn seed(dir: &Path, to: &str) -> BTreeMap<String, Value> {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/clerk-export.csv");
    let out = migrate(
        dir,
        &format!("clerk-csv:{}", sample.display()),
        to,
        "seed-journal.sqlite",
        &[
            "--backup-codes-out",
            "codes.ndjson",
            "--unverifiable",
            "no-password",
        ],
    );
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(
        dir.join("extra.ndjson"),
        "{\"source_id\":\"phone_only\",\"phones\":[{\"number\":\"+15551230001\",\"verified\":true}],\"password\":{\"digest\":\"$2b$04$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy\"}}\n\
         {\"source_id\":\"oauth_user\",\"emails\":[{\"address\":\"o@example.com\",\"verified\":true}],\"external_accounts\":[{\"provider\":\"github\",\"provider_user_id\":\"4242\",\"scopes\":[\"read:user\",\"user:email\"]}]}\n",
    )
    .unwrap();
    let out = migrate(dir, "ndjson:extra.ndjson", to, "extra-journal.sqlite", &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(dir.join("codes.ndjson"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["source_id"].as_str().unwrap().to_string(),
                v["backup_codes"].clone(),
            )
        })
        .collect()
}

/// Reads `from` into `ndjson:NAME` and checks what arrived against what was written.
fn export(
    dir: &Path,
    from: &str,
    name: &str,
    codes: &BTreeMap<String, Value>,
) -> BTreeMap<String, Value> {
    let out = migrate(
        dir,
        from,
        &format!("ndjson:{name}"),
        &format!("{name}.journal"),
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&out);
    assert_eq!(s["counts"]["failed"], 0, "{s}");
    let users = users(&dir.join(name));
    assert_eq!(
        users.len() as u64,
        s["counts"]["migrated"].as_u64().unwrap()
    );
    // Generated backup codes come back as the very codes handed out, TOTP secrets with them.
    assert!(!codes.is_empty());
    for (id, delivered) in codes {
        let u = &users[id];
        assert_eq!(&u["backup_codes"], delivered, "{id}");
        assert!(
            u["totp_secret"].as_str().is_some_and(|s| s.len() >= 16),
            "{id}"
        );
    }
    // The phone-only user has no email (the made-up one stays behind), a password and its number.
    let p = &users["phone_only"];
    assert!(
        p.get("emails")
            .is_none_or(|e| e.as_array().unwrap().is_empty()),
        "{p}"
    );
    assert_eq!(p["phones"][0]["number"], "+15551230001");
    assert_eq!(p["phones"][0]["verified"], true);
    assert!(
        p["password"]["digest"]
            .as_str()
            .unwrap()
            .starts_with("$2b$04$")
    );
    let o = &users["oauth_user"];
    assert_eq!(o["external_accounts"][0]["provider"], "github");
    assert_eq!(o["external_accounts"][0]["provider_user_id"], "4242");
    assert_eq!(
        o["external_accounts"][0]["scopes"],
        serde_json::json!(["read:user", "user:email"])
    );
    users
}

#[test]
fn better_auth_round_trips_through_ndjson_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    let codes = seed(dir.path(), &format!("better-auth:sqlite:{}", a.display()));
    export(
        dir.path(),
        &format!("better-auth:sqlite:{}", a.display()),
        "a.ndjson",
        &codes,
    );

    // Back into a new database: the very same rows, byte for byte.
    let b = dir.path().join("b.db");
    let out = migrate(
        dir.path(),
        "ndjson:a.ndjson",
        &format!("better-auth:sqlite:{}", b.display()),
        "b.journal",
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sqlite_rows(&a), sqlite_rows(&b));

    // Without the secret, two-factor users fail with the reason; the rest still move.
    let out = Command::new(env!("CARGO_BIN_EXE_authferry"))
        .current_dir(dir.path())
        .args(["migrate", "--quiet", "--json", "--from"])
        .arg(format!("better-auth:sqlite:{}", a.display()))
        .args([
            "--to",
            "ndjson:nosecret.ndjson",
            "--journal",
            "nosecret.journal",
            "--failures",
            "nosecret-failures.ndjson",
        ])
        .env_remove("BETTER_AUTH_SECRET")
        .env_remove("BETTER_AUTH_SECRETS")
        .env_remove("AUTH_SECRET")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let s = summary(&out);
    assert_eq!(
        s["counts"]["failed"].as_u64(),
        Some(codes.len() as u64),
        "{s}"
    );
    let failures = std::fs::read_to_string(dir.path().join("nosecret-failures.ndjson")).unwrap();
    assert!(failures.contains("BETTER_AUTH_SECRET"), "{failures}");

    // A database into itself is refused before anything is read.
    let spec = format!("better-auth:sqlite:{}", a.display());
    let out = migrate(dir.path(), &spec, &spec, "self.journal", &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("name the same file"));
}

#[test]
fn better_auth_round_trips_through_ndjson_in_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let a = TempPgDatabase::create("ba_source_a");
    let codes = seed(dir.path(), &format!("better-auth:{}", a.url()));
    let from_pg = export(
        dir.path(),
        &format!("better-auth:{}", a.url()),
        "a.ndjson",
        &codes,
    );

    // Into SQLite and read back from there: the same users, whichever database they were in.
    let b = dir.path().join("b.db");
    let out = migrate(
        dir.path(),
        "ndjson:a.ndjson",
        &format!("better-auth:sqlite:{}", b.display()),
        "b.journal",
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_sqlite = export(
        dir.path(),
        &format!("better-auth:sqlite:{}", b.display()),
        "b.ndjson",
        &codes,
    );
    assert_eq!(from_pg, from_sqlite);

    // A database into itself is refused before anything is read.
    let spec = format!("better-auth:{}", a.url());
    let out = migrate(dir.path(), &spec, &spec, "self.journal", &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("same Better Auth database"));
}
