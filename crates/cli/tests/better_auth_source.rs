//! Leaving Better Auth again (issue 10 item 3, `better-auth:…` as a source), and the round trip
//! Better Auth → NDJSON → Better Auth losing nothing Better Auth holds: users, credential and
//! OAuth accounts, phone-only users, TOTP secrets and backup codes (decrypted with the app's
//! secret, re-encrypted the same way), in SQLite and PostgreSQL; and Better Auth → Clerk (the
//! fake Backend API).

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

/// Every row of the three tables of a PostgreSQL database, as JSON text, sorted.
fn pg_rows(db: &TempPgDatabase) -> Vec<String> {
    let mut c = db.client();
    let mut out = Vec::new();
    for table in ["user", "account", "twoFactor"] {
        let mut rows: Vec<String> = c
            .query(
                &format!("SELECT row_to_json(t)::text FROM \"{table}\" t"),
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        rows.sort();
        out.push(format!("== {table}: {} rows", rows.len()));
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
    // Compared without printing: the rows hold digests and encrypted two-factor secrets.
    let (ra, rb) = (sqlite_rows(&a), sqlite_rows(&b));
    assert_eq!(ra.len(), rb.len(), "row counts differ");
    let differing = ra.iter().zip(&rb).filter(|(x, y)| x != y).count();
    assert_eq!(differing, 0, "{differing} rows differ after the round trip");

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

    // Back into a new PostgreSQL database: the very same rows.
    let c = TempPgDatabase::create("ba_source_c");
    let out = migrate(
        dir.path(),
        "ndjson:a.ndjson",
        &format!("better-auth:{}", c.url()),
        "c.journal",
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = pg_rows(&a);
    assert!(rows.len() > 20, "{}", rows.len());
    assert!(
        pg_rows(&c) == rows,
        "PostgreSQL → NDJSON → PostgreSQL changed rows (not shown: they hold secrets)"
    );

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

// ---------------------------------------------------------------------------------------------
// Better Auth → Clerk

/// One user of the synthetic Clerk export the Better Auth database is seeded from.
struct Seeded {
    email: Option<String>,
    phone: Option<String>,
    username: Option<String>,
    totp: Option<String>,
    password: Option<String>,
    digest: Option<String>,
}

/// The synthetic export's users by id (passwords from the generator's rule: user `i` has
/// `synthetic_password(i % DIGESTS)`, `i` being the id's first 12 hex digits).
fn seeded(csv_path: &Path) -> BTreeMap<String, Seeded> {
    use authferry_platforms::synthetic::{DIGESTS, synthetic_password};
    let mut r = csv::Reader::from_path(csv_path).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let cell = |name: &str| {
                let i = headers.iter().position(|h| h == name).unwrap();
                Some(rec[i].to_owned()).filter(|s| !s.is_empty())
            };
            let id = cell("id").unwrap();
            let i = u64::from_str_radix(&id["user_".len().."user_".len() + 12], 16).unwrap();
            let digest = cell("password_digest");
            let user = Seeded {
                email: cell("primary_email_address"),
                phone: cell("primary_phone_number"),
                username: cell("username"),
                totp: cell("totp_secret"),
                password: digest
                    .as_ref()
                    .map(|_| synthetic_password((i % DIGESTS as u64) as usize)),
                digest,
            };
            (id, user)
        })
        .collect()
}

/// A Better Auth database of 220 synthetic Clerk users (bcrypt digests of known passwords,
/// usernames, phones, TOTP users with generated backup codes) and a few made here: a
/// phone-only user, an OAuth-only user, a banned user with an unverified email, and a user
/// who signed up in Better Auth itself (its own scrypt) → `--to clerk` against the fake Clerk
/// Backend API (every body validated against Clerk's OpenAPI spec). Every user Clerk can hold
/// arrives once under its Better Auth id as `external_id`; each stored bcrypt digest verifies
/// with the user's password (a wrong one does not); TOTP secrets (decrypted with the app's
/// secret) and the very backup codes handed out arrive; the phone-only user arrives without
/// the phoneNumber plugin's made-up email; the Better Auth scrypt user, whose digest Clerk has
/// no hasher for, is skipped with that reason, never moved with a guess. No secret in any
/// output.
#[test]
fn better_auth_users_arrive_in_clerk_with_verifiable_passwords() {
    use authferry_testkit::e2e::Secrets;
    use authferry_testkit::fake_clerk::{FakeClerk, TEST_KEY};
    let Some(fc) = FakeClerk::start(&["--limit", "1000", "--window", "1"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("clerk.csv");
    authferry_platforms::synthetic::write_clerk_csv(&csv_path, 220, 10).unwrap();
    let users = seeded(&csv_path);

    // The Better Auth database.
    let db = dir.path().join("ba.db");
    let to = format!("better-auth:sqlite:{}", db.display());
    let out = migrate(
        dir.path(),
        &format!("clerk-csv:{}", csv_path.display()),
        &to,
        "seed.journal",
        &["--backup-codes-out", "codes.ndjson"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let phone_password = "Phone-Only-Password-7";
    let banned_password = "Banned-User-Password-8";
    let phone_digest = bcrypt::hash(phone_password, 4).unwrap();
    let banned_digest = bcrypt::hash(banned_password, 4).unwrap();
    // Better Auth's own scrypt of "password" (salt:key, hex; the hash crate's test vector).
    let native_digest = "00112233445566778899aabbccddeeff:9a098760abf0e95230464650e1160ecd37c82de7f9aea0c41eee704c90daaac45ce13ec6c244f429e4e4ba505cde11131ed35ef08e55b31c226a2ba87069e3ae";
    assert_eq!(
        authferry_hash::identify(native_digest, None)
            .unwrap()
            .format,
        authferry_hash::Format::BetterAuthScrypt
    );
    let extra = [
        serde_json::json!({"source_id": "phone_only", "phones": [{"number": "+15551230001", "verified": true}], "password": {"digest": phone_digest}}),
        serde_json::json!({"source_id": "oauth_user", "first_name": "Octo", "emails": [{"address": "octo@example.com", "verified": true}], "external_accounts": [{"provider": "github", "provider_user_id": "4242"}]}),
        serde_json::json!({"source_id": "banned_user", "emails": [{"address": "banned@example.com", "verified": false}], "banned": true, "password": {"digest": banned_digest}}),
        serde_json::json!({"source_id": "native_user", "emails": [{"address": "native@example.com", "verified": true}], "password": {"digest": native_digest}}),
    ];
    std::fs::write(
        dir.path().join("extra.ndjson"),
        extra.iter().map(|v| format!("{v}\n")).collect::<String>(),
    )
    .unwrap();
    let out = migrate(dir.path(), "ndjson:extra.ndjson", &to, "extra.journal", &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let codes: BTreeMap<String, Value> = std::fs::read_to_string(dir.path().join("codes.ndjson"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["source_id"].as_str().unwrap().to_string(),
                v["backup_codes"].clone(),
            )
        })
        .collect();
    let names: BTreeMap<String, String> = {
        let c = rusqlite::Connection::open(&db).unwrap();
        let mut stmt = c.prepare("SELECT id, name FROM \"user\"").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(names.len(), users.len() + extra.len());

    let mut secrets = Secrets(vec![
        ("the app secret".into(), SECRET.into()),
        ("the Clerk secret key".into(), TEST_KEY.into()),
        (
            "the phone-only user's password".into(),
            phone_password.into(),
        ),
        ("the phone-only user's digest".into(), phone_digest.clone()),
        ("the banned user's password".into(), banned_password.into()),
        ("the banned user's digest".into(), banned_digest.clone()),
        ("the native user's digest".into(), native_digest.into()),
    ]);
    for (id, u) in &users {
        for (what, value) in [
            ("password", &u.password),
            ("digest", &u.digest),
            ("TOTP secret", &u.totp),
        ] {
            if let Some(v) = value {
                secrets.push(format!("{id}'s {what}"), v.clone());
            }
        }
    }
    for (id, list) in &codes {
        for c in list.as_array().unwrap() {
            secrets.push(format!("{id}'s backup code"), c.as_str().unwrap());
        }
    }

    // Better Auth → Clerk.
    let out = Command::new(env!("CARGO_BIN_EXE_authferry"))
        .current_dir(dir.path())
        .args(["migrate", "--json", "--from"])
        .arg(format!("better-auth:sqlite:{}", db.display()))
        .args([
            "--to",
            "clerk",
            "--rate",
            "1000/1s",
            "--journal",
            "clerk.journal",
            "--report",
            "clerk-report.json",
            "--failures",
            "clerk-failures.ndjson",
        ])
        .env("BETTER_AUTH_SECRET", SECRET)
        .env_remove("BETTER_AUTH_SECRETS")
        .env_remove("AUTH_SECRET")
        .env("CLERK_SECRET_KEY", TEST_KEY)
        .env("CLERK_API_URL", &fc.url)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    secrets.assert_absent("authferry migrate's stdout", &stdout);
    secrets.assert_absent("authferry migrate's stderr", &stderr);
    for name in ["clerk-report.json", "clerk-failures.ndjson"] {
        secrets.assert_absent(
            name,
            &std::fs::read_to_string(dir.path().join(name)).unwrap_or_default(),
        );
    }
    secrets.assert_absent_in_files(dir.path(), |n| n.starts_with("clerk.journal"));
    assert_eq!(fc.stat(&["spec_violations"]), 0, "{}", fc.stats());
    let s = summary(&out);
    assert_eq!(s["counts"]["failed"], 0, "{s}\n{stderr}");
    assert_eq!(s["counts"]["skipped"], 1, "{s}\n{stderr}");
    assert_eq!(
        out.status.code(),
        Some(0),
        "skipped with a reason is no failure: {stderr}"
    );
    let failures =
        std::fs::read_to_string(dir.path().join("clerk-failures.ndjson")).unwrap_or_default();
    let skipped: Vec<Value> = failures
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(skipped.len(), 1, "{failures}");
    assert_eq!(skipped[0]["source_id"], "native_user", "{failures}");
    assert!(
        skipped[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("password")),
        "{failures}"
    );

    // Clerk holds every other user once, under its Better Auth id.
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
    let mut expected: Vec<&str> = users.keys().map(String::as_str).collect();
    expected.extend(["phone_only", "oauth_user", "banned_user"]);
    expected.sort_unstable();
    assert_eq!(
        stored.keys().map(String::as_str).collect::<Vec<_>>(),
        expected,
        "every user Clerk can hold is in Clerk by external_id, and nothing else"
    );

    let mut to_verify: Vec<(String, String, String)> = Vec::new();
    let (mut totp, mut with_codes) = (0, 0);
    for (id, u) in &users {
        let c = &stored[id];
        // Better Auth's one `name`, whole, as the first name.
        assert_eq!(c["first_name"].as_str(), Some(names[id].as_str()), "{id}");
        assert_eq!(c["username"].as_str(), u.username.as_deref(), "{id}");
        let email = &c["email_addresses"][0];
        assert_eq!(email["email_address"].as_str(), u.email.as_deref(), "{id}");
        assert_eq!(email["verification"]["status"], "verified", "{id}");
        assert_eq!(c["email_addresses"].as_array().unwrap().len(), 1, "{id}");
        match &u.phone {
            Some(p) => {
                assert_eq!(c["phone_numbers"][0]["phone_number"], p.as_str(), "{id}");
                assert_eq!(
                    c["phone_numbers"][0]["verification"]["status"], "verified",
                    "{id}"
                );
            }
            None => assert_eq!(c["phone_numbers"], serde_json::json!([]), "{id}"),
        }
        // Not assert_eq!: a failure must not print secrets.
        assert!(
            c["_totp_secret"].as_str() == u.totp.as_deref(),
            "{id}: the TOTP secret"
        );
        totp += usize::from(u.totp.is_some());
        match codes.get(id) {
            Some(delivered) => {
                assert!(
                    &c["_backup_codes"] == delivered,
                    "{id}: the codes handed out"
                );
                with_codes += 1;
            }
            None => assert!(c["_backup_codes"].is_null(), "{id}"),
        }
        assert_eq!(c["banned"], false, "{id}");
        match (&u.password, &u.digest) {
            (Some(password), Some(digest)) => {
                assert_eq!(c["_password_hasher"], "bcrypt", "{id}");
                assert!(
                    c["_password_digest"].as_str() == Some(digest.as_str()),
                    "{id}: the digest as it is"
                );
                to_verify.push((id.clone(), digest.clone(), password.clone()));
            }
            _ => assert!(c["_password_digest"].is_null(), "{id}: no password"),
        }
    }
    assert!(
        totp >= 5 && with_codes == totp,
        "{totp} TOTP users, {with_codes} with codes"
    );
    assert!(to_verify.len() >= 150, "{}", to_verify.len());

    let p = &stored["phone_only"];
    assert_eq!(
        p["email_addresses"],
        serde_json::json!([]),
        "the phoneNumber plugin's made-up email stays behind"
    );
    assert_eq!(p["phone_numbers"][0]["phone_number"], "+15551230001");
    assert_eq!(p["phone_numbers"][0]["verification"]["status"], "verified");
    to_verify.push((
        "phone_only".into(),
        p["_password_digest"].as_str().unwrap().into(),
        phone_password.into(),
    ));
    let b = &stored["banned_user"];
    assert_eq!(b["banned"], true);
    assert_eq!(
        b["email_addresses"][0]["email_address"],
        "banned@example.com"
    );
    assert_eq!(
        b["email_addresses"][0]["reserved"], true,
        "unverified stays so"
    );
    assert!(b["email_addresses"][0]["verification"].is_null());
    to_verify.push((
        "banned_user".into(),
        b["_password_digest"].as_str().unwrap().into(),
        banned_password.into(),
    ));
    let o = &stored["oauth_user"];
    assert!(o["_password_digest"].is_null());
    assert_eq!(o["email_addresses"][0]["email_address"], "octo@example.com");
    assert_eq!(o["first_name"], "Octo");

    for (id, digest, password) in &to_verify {
        assert_eq!(
            authferry_hash::verify(digest, Some("bcrypt"), password).ok(),
            Some(true),
            "{id}: the password verifies against what Clerk stored"
        );
        assert_eq!(
            authferry_hash::verify(digest, Some("bcrypt"), &format!("{password}!")).ok(),
            Some(false),
            "{id}: a wrong password does not"
        );
    }
    eprintln!(
        "Clerk (fake, spec-validated): {} Better Auth users, {} passwords verified, {totp} TOTP secrets with their backup codes; the Better Auth scrypt user skipped",
        stored.len(),
        to_verify.len()
    );
}
