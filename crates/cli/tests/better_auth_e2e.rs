//! End-to-end proof against the real better-auth package: users migrated by the built
//! `authferry` binary from a Clerk dashboard CSV sign in through better-auth 1.7.25's own
//! `auth.api.signInEmail`, complete TOTP with a code computed independently, complete a backup
//! code from `--backup-codes-out`, and wrong passwords are refused — in SQLite and PostgreSQL.
//!
//! Needs `npm ci` in `tests/e2e/better-auth/` (see its README). Without `node_modules` the tests
//! skip LOUDLY, unless `AUTHFERRY_E2E_REQUIRED` is set (CI sets it), in which case they fail.
//! PostgreSQL: a throw-away database on the local server (`authferry-testkit`).
//!
//! No password, digest, TOTP secret or backup code is ever printed: every output is scanned for
//! them before any of it is shown.

use authferry_testkit::e2e::{BETTER_AUTH_VERSION, E2e, Secrets, e2e, run, signin_check};
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasher, RandomState};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const USERS: usize = 20;
/// Users with a phone number and no email: Better Auth's phoneNumber plugin holds them.
const PHONE_ONLY: [usize; 2] = [13, 16];

// ---------------------------------------------------------------------------------------------
// environment

// ---------------------------------------------------------------------------------------------
// test data

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn random_u64() -> u64 {
    RandomState::new().hash_one(COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn random_from(alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| alphabet[(random_u64() % alphabet.len() as u64) as usize] as char)
        .collect()
}

fn random_base32(n: usize) -> String {
    random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", n)
}

struct TestUser {
    id: String,
    first: String,
    last: String,
    username: Option<String>,
    /// Primary e-mail exactly as exported (some mixed case); empty for a phone-only user.
    email: String,
    email_verified: bool,
    phone: Option<String>,
    /// None: no password in Clerk (e.g. OAuth-only); must not be able to sign in with one.
    password: Option<String>,
    digest: Option<String>,
    totp: Option<String>,
}

fn make_users() -> Vec<TestUser> {
    let names: [(&str, &str); USERS] = [
        ("Ada", "Lovelace"),
        ("Grace", "Hopper"),
        ("Zoë", "Ångström"),
        ("Jean-Luc", "O\"Neil"),
        ("John", "Smith, Jr."),
        ("Łukasz", "Wiśniewski"),
        ("", ""),
        ("Mary", "Major"),
        ("Ken", "Thompson"),
        ("Dennis", "Ritchie"),
        ("Barbara", "Liskov"),
        ("Edsger", "Dijkstra"),
        ("Frances", "Allen"),
        ("Donald", "Knuth"),
        ("Leslie", "Lamport"),
        ("Radia", "Perlman"),
        ("Niklaus", "Wirth"),
        ("Margaret", "Hamilton"),
        ("Tony", "Hoare"),
        ("Hedy", "Lamarr"),
    ];
    names
        .iter()
        .enumerate()
        .map(|(i, (first, last))| {
            let id = format!(
                "user_2e2e{:04}{}",
                i,
                random_from(b"abcdefghijklmnopqrstuvwxyz0123456789", 12)
            );
            // Phone-only users (issue 10): one with TOTP (13), one without (16).
            let phone_only = PHONE_ONLY.contains(&i);
            let email = if phone_only {
                String::new()
            } else if i % 3 == 1 {
                format!("Mixed.Case{i}@Example.COM")
            } else {
                format!("user{i}@example.com")
            };
            let password = match i {
                7 => None,
                2 => Some(format!("pässwörd-ñ-{i}-{}", random_from(b"abcdefghijk", 6))),
                _ => Some(format!(
                    "Correct-Horse-{i}-{}",
                    random_from(b"abcdefghijkmnpqrstuvwxyz23456789", 10)
                )),
            };
            let digest = password.as_ref().map(|p| {
                let parts = bcrypt::hash_with_result(p, 10).expect("bcrypt");
                // Clerk's exports carry $2a$ and $2b$; one $2y$ for good measure.
                let version = match i % 7 {
                    3 => bcrypt::Version::TwoB,
                    5 => bcrypt::Version::TwoY,
                    _ => bcrypt::Version::TwoA,
                };
                parts.format_for_version(version)
            });
            TestUser {
                id,
                first: first.to_string(),
                last: last.to_string(),
                username: (i % 3 == 0).then(|| format!("Dev_User{i}")),
                email,
                email_verified: i != 9,
                phone: (i % 5 == 2 || phone_only).then(|| format!("+1555555{i:04}")),
                totp: (password.is_some() && i % 4 == 1).then(|| random_base32(32)),
                password,
                digest,
            }
        })
        .collect()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Clerk dashboard export, newer header layout.
fn clerk_csv(users: &[TestUser]) -> String {
    let mut out = String::from(
        "id,first_name,last_name,username,primary_email_address,primary_phone_number,verified_email_addresses,unverified_email_addresses,verified_phone_numbers,unverified_phone_numbers,totp_secret,password_digest,password_hasher\n",
    );
    for u in users {
        let phone = u.phone.clone().unwrap_or_default();
        let row = [
            u.id.clone(),
            u.first.clone(),
            u.last.clone(),
            u.username.clone().unwrap_or_default(),
            u.email.clone(),
            phone.clone(),
            if u.email_verified {
                u.email.clone()
            } else {
                String::new()
            },
            if u.email_verified {
                String::new()
            } else {
                u.email.clone()
            },
            phone,
            String::new(),
            u.totp.clone().unwrap_or_default(),
            u.digest.clone().unwrap_or_default(),
            if u.digest.is_some() {
                "bcrypt".into()
            } else {
                String::new()
            },
        ];
        out.push_str(
            &row.iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------------------------
// running things

fn secrets_of(users: &[TestUser], codes: &BTreeMap<String, Vec<String>>) -> Secrets {
    let mut v = Vec::new();
    for u in users {
        if let Some(d) = &u.digest {
            v.push((format!("{}'s password digest", u.id), d.clone()));
            // The 53 characters after "$2a$10$" alone are just as secret.
            v.push((
                format!("{}'s password digest (salt+hash)", u.id),
                d[7..].to_string(),
            ));
        }
        if let Some(p) = &u.password {
            v.push((format!("{}'s password", u.id), p.clone()));
        }
        if let Some(t) = &u.totp {
            v.push((format!("{}'s TOTP secret", u.id), t.clone()));
            v.push((
                format!("{}'s TOTP secret (lower case)", u.id),
                t.to_lowercase(),
            ));
        }
    }
    for (id, list) in codes {
        for c in list {
            v.push((format!("a backup code of {id}"), c.clone()));
        }
    }
    Secrets(v)
}

/// How the app keeps its secret: one BETTER_AUTH_SECRET, or versioned BETTER_AUTH_SECRETS only
/// (the first current), which makes better-auth read and write two-factor rows in its
/// `$ba$<version>$` envelope.
enum AppSecret {
    Plain(String),
    Versioned(Vec<(u32, String)>),
}

impl AppSecret {
    fn random(versioned: bool) -> AppSecret {
        let one = || {
            random_from(
                b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                48,
            )
        };
        if versioned {
            AppSecret::Versioned(vec![(2, one()), (1, one())])
        } else {
            AppSecret::Plain(one())
        }
    }

    fn values(&self) -> Vec<&str> {
        match self {
            AppSecret::Plain(s) => vec![s],
            AppSecret::Versioned(v) => v.iter().map(|(_, s)| s.as_str()).collect(),
        }
    }

    /// The signin-check config's `secret` / `secrets`.
    fn config(&self) -> serde_json::Value {
        match self {
            AppSecret::Plain(s) => serde_json::json!({ "secret": s }),
            AppSecret::Versioned(v) => serde_json::json!({
                "secrets": v.iter().map(|(n, s)| serde_json::json!({"version": n, "value": s})).collect::<Vec<_>>()
            }),
        }
    }
}

fn authferry(args: &[&str], secret: &AppSecret) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_authferry"));
    c.args(args)
        .env_remove("BETTER_AUTH_SECRET")
        .env_remove("AUTH_SECRET")
        .env_remove("BETTER_AUTH_SECRETS")
        .env("NO_COLOR", "1");
    match secret {
        AppSecret::Plain(s) => c.env("BETTER_AUTH_SECRET", s),
        AppSecret::Versioned(v) => c.env(
            "BETTER_AUTH_SECRETS",
            v.iter()
                .map(|(n, s)| format!("{n}:{s}"))
                .collect::<Vec<_>>()
                .join(","),
        ),
    };
    c
}

/// `{"source_id", "email", "backup_codes": [...]}` per line.
fn read_codes(path: &Path) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(path).expect("--backup-codes-out file was not written");
    let mut map = BTreeMap::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|_| panic!("backup codes line {} is not JSON", n + 1));
        let id = v["source_id"]
            .as_str()
            .unwrap_or_else(|| panic!("backup codes line {} has no source_id", n + 1))
            .to_string();
        assert!(
            v["email"].is_string(),
            "backup codes line {} has no email",
            n + 1
        );
        // The delivery file uses the canonical model's field name.
        let list = v
            .get("backup_codes")
            .unwrap_or_else(|| panic!("backup codes line {} has no `backup_codes`", n + 1));
        let codes: Vec<String> = list
            .as_array()
            .unwrap_or_else(|| panic!("backup codes line {}: the codes are not an array", n + 1))
            .iter()
            .map(|c| {
                c.as_str()
                    .expect("a backup code is not a string")
                    .to_string()
            })
            .collect();
        assert!(
            map.insert(id, codes).is_none(),
            "backup codes line {}: source_id repeated",
            n + 1
        );
    }
    map
}

fn is_backup_code(c: &str) -> bool {
    let b = c.as_bytes();
    b.len() == 11
        && b[5] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, x)| i == 5 || x.is_ascii_alphanumeric())
}

#[cfg(unix)]
fn assert_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode & 0o077,
        0,
        "{} is readable by others (mode {mode:o})",
        path.display()
    );
}
#[cfg(not(unix))]
fn assert_private(_: &Path) {}

/// What the target database holds, read back for a few structural assertions.
struct Stored {
    users: i64,
    credential_accounts: i64,
    /// (secret, backupCodes) of every twoFactor row.
    two_factor: Vec<(String, String)>,
}

fn stored_sqlite(db: &Path) -> Stored {
    let c = rusqlite::Connection::open(db).expect("open the migrated SQLite database");
    let n = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    let mut st = c
        .prepare("SELECT secret, \"backupCodes\" FROM \"twoFactor\"")
        .unwrap();
    let two_factor = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    Stored {
        users: n("SELECT count(*) FROM \"user\""),
        credential_accounts: n(
            "SELECT count(*) FROM account WHERE \"providerId\" = 'credential' AND \"accountId\" = \"userId\"",
        ),
        two_factor,
    }
}

fn stored_postgres(url: &str) -> Stored {
    let mut c =
        postgres::Client::connect(url, postgres::NoTls).expect("connect to the migrated database");
    let mut n = |sql: &str| c.query_one(sql, &[]).unwrap().get::<_, i64>(0);
    let users = n("SELECT count(*) FROM \"user\"");
    let credential_accounts = n(
        "SELECT count(*) FROM account WHERE \"providerId\" = 'credential' AND \"accountId\" = \"userId\"",
    );
    let two_factor = c
        .query("SELECT secret, \"backupCodes\" FROM \"twoFactor\"", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    Stored {
        users,
        credential_accounts,
        two_factor,
    }
}

/// The whole proof for one target. `target` is the `--to` spec; `database` the checker's
/// `{"sqlite": PATH}` / `{"postgres": URL}`.
fn prove(
    e2e: &E2e,
    label: &str,
    target: &str,
    database: serde_json::Value,
    stored: impl Fn() -> Stored,
    versioned: bool,
) {
    let tmp = tempfile::tempdir().unwrap();
    let users = make_users();
    let secret = AppSecret::random(versioned);
    let totp_ids: BTreeSet<String> = users
        .iter()
        .filter(|u| u.totp.is_some())
        .map(|u| u.id.clone())
        .collect();
    assert!(
        totp_ids.len() >= 4,
        "test data should have several TOTP users"
    );

    let csv = tmp.path().join("clerk-export.csv");
    std::fs::write(&csv, clerk_csv(&users)).unwrap();
    let journal = tmp.path().join("journal.sqlite");
    let codes_path = tmp.path().join("backup-codes.ndjson");

    // (b) migrate
    let from = format!("clerk-csv:{}", csv.display());
    let journal_s = journal.display().to_string();
    let codes_s = codes_path.display().to_string();
    let migrate = run(
        authferry(
            &[
                "migrate",
                "--from",
                &from,
                "--to",
                target,
                "--journal",
                &journal_s,
                "--backup-codes-out",
                &codes_s,
            ],
            &secret,
        ),
        Duration::from_secs(300),
    );
    // (d) backup codes, needed for the full secret list before any output is shown
    let codes = if codes_path.exists() {
        read_codes(&codes_path)
    } else {
        BTreeMap::new()
    };
    let mut secrets = secrets_of(&users, &codes);
    for (i, value) in secret.values().into_iter().enumerate() {
        secrets
            .0
            .push((format!("app secret {i}"), value.to_string()));
    }
    secrets.assert_absent("authferry migrate's stdout", &migrate.stdout);
    secrets.assert_absent("authferry migrate's stderr", &migrate.stderr);
    assert!(
        migrate.status.success(),
        "[{label}] authferry migrate exited with {}\n--- stdout\n{}\n--- stderr\n{}",
        migrate.status,
        migrate.stdout,
        migrate.stderr
    );
    assert!(
        migrate.stdout.contains(&format!(
            "{} phone-only users got a temporary email ({{digits}}@phone.invalid)",
            PHONE_ONLY.len()
        )) && migrate.stdout.contains("getTempEmail: (phoneNumber) =>"),
        "[{label}] the run tells how phone-only users were written:\n{}",
        migrate.stdout
    );
    eprintln!(
        "[{label}] authferry migrate:\n{}",
        migrate.stdout.trim_end()
    );

    assert!(
        codes_path.exists(),
        "[{label}] --backup-codes-out was not written"
    );
    assert_private(&codes_path);
    assert_eq!(
        codes.keys().cloned().collect::<BTreeSet<_>>(),
        totp_ids,
        "[{label}] backup codes must be delivered for exactly the TOTP users"
    );
    for (id, list) in &codes {
        assert_eq!(
            list.len(),
            10,
            "[{label}] {id}: better-auth generates 10 backup codes"
        );
        assert!(
            list.iter().all(|c| is_backup_code(c)),
            "[{label}] {id}: backup codes must look like better-auth's (xxxxx-xxxxx)"
        );
    }

    // Secrets never reach the journal, and TOTP secrets / backup codes are stored encrypted.
    secrets.assert_absent_in_files(tmp.path(), |n| n.starts_with("journal.sqlite"));
    let st = stored();
    assert_eq!(
        st.users, USERS as i64,
        "[{label}] every exported user is in the target"
    );
    assert_eq!(
        st.credential_accounts,
        users.iter().filter(|u| u.digest.is_some()).count() as i64,
        "[{label}] one credential account (accountId = userId) per user with a password"
    );
    assert_eq!(
        st.two_factor.len(),
        totp_ids.len(),
        "[{label}] one twoFactor row per TOTP user"
    );
    for (s, b) in &st.two_factor {
        secrets.assert_absent(&format!("[{label}] a stored twoFactor.secret"), s);
        secrets.assert_absent(&format!("[{label}] a stored twoFactor.backupCodes"), b);
        assert!(
            !b.trim_start().starts_with('['),
            "[{label}] twoFactor.backupCodes is stored as plain JSON, not encrypted"
        );
        // Versioned secrets: better-auth's envelope of the current version; else bare hex.
        let envelope = matches!(secret, AppSecret::Versioned(_));
        for value in [s, b] {
            assert_eq!(
                value.starts_with("$ba$2$"),
                envelope,
                "[{label}] a twoFactor value is not in the form the app reads"
            );
        }
    }

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
        "[{label}] authferry emit better-auth-verify exited with {}\n{}",
        emit.status,
        emit.stderr
    );
    assert!(
        verify.exists(),
        "[{label}] emit wrote no {}",
        verify.display()
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        e2e.dir.join("node_modules"),
        tmp.path().join("node_modules"),
    )
    .unwrap();
    #[cfg(not(unix))]
    panic!("the e2e test needs a node_modules symlink (unix only)");

    // (e) the checks
    let mut checks = Vec::new();
    for u in &users {
        // Who signs in: the email, or the phone number of a phone-only user.
        let login = |password: &str, expect: &str| match &u.phone {
            Some(phone) if u.email.is_empty() => {
                serde_json::json!({"phoneNumber": phone, "password": password, "expect": expect})
            }
            _ => serde_json::json!({"email": u.email, "password": password, "expect": expect}),
        };
        let Some(password) = &u.password else {
            checks.push(login("Any-Password-1", "refused"));
            continue;
        };
        let mut ok = login(password, "ok");
        if let Some(t) = &u.totp {
            ok["totpSecret"] = t.clone().into();
            ok["backupCode"] = codes[&u.id][(random_u64() % 10) as usize].clone().into();
        }
        if let Some(name) = &u.username {
            ok["username"] = name.clone().into();
        }
        checks.push(ok);
        let wrong = format!("{password}!");
        checks.push(login(&wrong, "refused"));
    }
    checks.push(serde_json::json!({"email": "nobody@example.com", "password": "Correct-Horse-0", "expect": "refused"}));
    let mut config = serde_json::json!({
        "database": database,
        "verifyModule": verify_s,
        "checks": checks,
    });
    for (k, v) in secret.config().as_object().unwrap() {
        config[k] = v.clone();
    }
    let lines = signin_check(
        e2e,
        tmp.path(),
        &config,
        &secrets,
        Duration::from_secs(600),
        label,
    );
    let with_totp = lines
        .iter()
        .filter(|l| {
            l["detail"]
                .as_str()
                .unwrap_or("")
                .contains("TOTP completed")
        })
        .count();
    let with_backup = lines
        .iter()
        .filter(|l| {
            l["detail"]
                .as_str()
                .unwrap_or("")
                .contains("backup code completed")
        })
        .count();
    assert_eq!(
        with_totp,
        totp_ids.len(),
        "[{label}] every TOTP user completed TOTP"
    );
    assert_eq!(
        with_backup,
        totp_ids.len(),
        "[{label}] every TOTP user completed a backup code"
    );
    eprintln!(
        "[{label}] better-auth {BETTER_AUTH_VERSION}: {} checks passed ({} users, {} with TOTP + backup code)",
        lines.len(),
        USERS,
        totp_ids.len()
    );
}

/// [`prove`] against a fresh Better Auth SQLite database.
fn prove_sqlite(label: &str, versioned: bool) {
    let Some(e2e) = e2e("better_auth_e2e") else {
        return;
    };
    let dbdir = tempfile::tempdir().unwrap();
    let db = dbdir.path().join("better-auth.sqlite");
    let target = format!("better-auth:sqlite:{}", db.display());
    let database = serde_json::json!({"sqlite": db.display().to_string()});
    prove(
        &e2e,
        label,
        &target,
        database,
        || stored_sqlite(&db),
        versioned,
    );
}

#[test]
fn clerk_csv_users_sign_in_through_real_better_auth_sqlite() {
    prove_sqlite("sqlite", false);
}

/// The app runs with versioned secrets only (`BETTER_AUTH_SECRETS`, no legacy secret): the
/// two-factor rows are in better-auth's `$ba$<version>$` envelope, or it could not read them.
#[test]
fn clerk_csv_users_sign_in_through_real_better_auth_with_versioned_secrets() {
    prove_sqlite("versioned", true);
}

#[test]
fn clerk_csv_users_sign_in_through_real_better_auth_postgres() {
    let Some(e2e) = e2e("better_auth_e2e") else {
        return;
    };
    let pg = authferry_testkit::TempPgDatabase::create("e2e");
    let url = pg.url();
    let target = format!("better-auth:{url}");
    let database = serde_json::json!({"postgres": url});
    prove(
        &e2e,
        "postgres",
        &target,
        database,
        || stored_postgres(&url),
        false,
    );
}
