//! `authferry migrate --to clerk`, `plan --to clerk` and `--from clerk-api` as a person runs
//! them, against the fake Clerk Backend API: SIGKILL at random points and resume under
//! injected faults ends with every user in Clerk exactly once and the journal's id map equal
//! to Clerk's; the secret key never shows in any output; the plan gives the duration at the
//! budget; Clerk → NDJSON → Clerk (two fake instances) loses nothing Clerk holds.

use authferry_testkit::fake_clerk::{FakeClerk, TEST_KEY};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn authferry(fc: &FakeClerk, key: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_authferry"));
    c.env("CLERK_SECRET_KEY", key)
        .env("CLERK_API_URL", &fc.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn migrate(fc: &FakeClerk, csv: &Path, journal: &Path, rate: &str) -> Command {
    let mut c = authferry(fc, TEST_KEY);
    c.args([
        "migrate", "--quiet", "--json", "--to", "clerk", "--rate", rate,
    ])
    .arg("--from")
    .arg(format!("clerk-csv:{}", csv.display()))
    .arg("--journal")
    .arg(journal);
    c
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Kill points: differ per seed, reproducible from it.
fn kill_points(seed: u64, n: usize) -> Vec<Duration> {
    authferry_testkit::xorshift(seed)
        .take(n)
        .map(|x| Duration::from_millis(300 + x % 1500))
        .collect()
}

#[test]
fn sigkill_and_resume_under_faults_moves_every_user_exactly_once() {
    let Some(fc) = FakeClerk::start(&[
        "--limit",
        "400",
        "--window",
        "1",
        "--fault-rate",
        "0.1",
        "--slow-seconds",
        "1",
        "--seed",
        "11",
    ]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("export.csv");
    let n = 2000u64;
    authferry_platforms::synthetic::write_clerk_csv(&csv, n, 5).unwrap();
    let journal = dir.path().join("journal.sqlite");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    eprintln!("kill seed {seed}");
    let mut kills = 0;
    for after in kill_points(seed, 4) {
        let mut child = migrate(&fc, &csv, &journal, "400/1s").spawn().unwrap();
        std::thread::sleep(after);
        if child.try_wait().unwrap().is_none() {
            kills += 1;
        }
        child.kill().ok();
        child.wait().ok();
    }
    assert!(
        kills >= 2,
        "the run finished before it could be killed (seed {seed})"
    );
    let out = migrate(&fc, &csv, &journal, "400/1s").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &summary["counts"];
    let done = c["migrated"].as_u64().unwrap() + c["already_present"].as_u64().unwrap();
    assert_eq!(done, n, "seed {seed}: {summary}");

    // Clerk holds each source id once, and nothing else.
    let stored = fc.users();
    let clerk: BTreeMap<String, String> = stored
        .iter()
        .map(|u| {
            (
                u["external_id"].as_str().unwrap().to_string(),
                u["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(stored.len() as u64, n, "seed {seed}");
    assert_eq!(clerk.len() as u64, n, "seed {seed}: duplicates");
    assert_eq!(fc.stat(&["spec_violations"]), 0);

    // The journal's id map is Clerk's.
    let out = Command::new(env!("CARGO_BIN_EXE_authferry"))
        .args(["idmap", "export", "--format", "csv", "--journal"])
        .arg(&journal)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let map: BTreeMap<String, String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let (a, b) = l.split_once(',').unwrap();
            (a.to_string(), b.to_string())
        })
        .collect();
    assert_eq!(map, clerk, "seed {seed}");

    // A re-run sends nothing.
    let before = fc.stat(&["requests"]);
    let out = migrate(&fc, &csv, &journal, "400/1s").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["counts"]["already_present"], n);
    assert!(
        fc.stat(&["requests"]) - before <= 1,
        "a finished migration sent requests again"
    );
}

#[test]
fn the_secret_key_never_shows_and_the_plan_gives_the_duration_at_the_budget() {
    const LIVE_KEY: &str = "sk_live_AUTHFERRYsecretKEYvalue42";
    let Some(fc) = FakeClerk::start(&["--limit", "1000", "--window", "1", "--key", LIVE_KEY])
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sample = authferry_testkit::fake_clerk::repo_root().join("samples/clerk-export.csv");
    let journal = dir.path().join("j.sqlite");
    let report = dir.path().join("report.json");
    let failures = dir.path().join("failures.ndjson");

    // The plan: the sample's 23 good users would go, at 1000 / 10 s (the sk_live_ budget).
    let out = authferry(&fc, LIVE_KEY)
        .args(["plan", "--to", "clerk"])
        .arg(format!("--from=clerk-csv:{}", sample.display()))
        .output()
        .unwrap();
    let plan = text(&out);
    assert!(
        plan.contains("Estimated duration at the target's budget (1000 requests / 10 s (Clerk's limit for sk_live_ keys))"),
        "{plan}"
    );
    assert!(plan.contains("under 1 s for 23 requests"), "{plan}");
    assert!(
        !plan.contains(LIVE_KEY) && !plan.contains("AUTHFERRYsecret"),
        "{plan}"
    );

    let out = authferry(&fc, LIVE_KEY)
        .args(["migrate", "--to", "clerk", "--journal"])
        .arg(&journal)
        .arg("--report")
        .arg(&report)
        .arg("--failures")
        .arg(&failures)
        .arg(format!("--from=clerk-csv:{}", sample.display()))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "the sample has a bad record: {}",
        text(&out)
    );
    let mut everything = text(&out).into_bytes();
    for f in [&journal, &report, &failures] {
        everything.extend(std::fs::read(f).unwrap());
    }
    let haystack = String::from_utf8_lossy(&everything);
    assert!(!haystack.contains("AUTHFERRYsecret"), "the key leaked");
    assert!(!haystack.contains("$2b$10$"), "a digest leaked");

    // A wrong key stops the run before anything is sent (exit 1), without echoing the key.
    let out = authferry(&fc, "sk_live_WRONGwrongWRONG")
        .args(["migrate", "--quiet", "--to", "clerk", "--journal"])
        .arg(dir.path().join("j2.sqlite"))
        .arg(format!("--from=clerk-csv:{}", sample.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("CLERK_SECRET_KEY"), "{}", text(&out));
    assert!(!text(&out).contains("WRONGwrong"), "{}", text(&out));

    // No key at all: a clear error, exit 1.
    let out = authferry(&fc, "")
        .args(["plan", "--to", "clerk"])
        .arg(format!("--from=clerk-csv:{}", sample.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("CLERK_SECRET_KEY is not set"),
        "{}",
        text(&out)
    );
}

#[test]
fn clerk_to_clerk_with_digests_moves_passwords_from_the_csv() {
    use authferry_core::Source;
    let dir = tempfile::tempdir().unwrap();
    let sample = authferry_testkit::fake_clerk::repo_root().join("samples/clerk-export.csv");
    // The "source instance": the sample's readable users, with the sample's ids, as the API
    // returns them (no digests).
    let mut csv = authferry_platforms::clerk::ClerkCsvSource::open(&sample).unwrap();
    let mut digests = BTreeMap::new();
    let mut preload = Vec::new();
    while let Some(u) = csv.next_user() {
        let Ok(u) = u else { continue };
        if let Some(p) = &u.password {
            digests.insert(u.source_id.clone(), p.digest.expose().to_string());
        }
        preload.push(serde_json::json!({
            "id": u.source_id,
            "object": "user",
            "first_name": u.first_name,
            "email_addresses": u.emails.iter().enumerate().map(|(i, e)| serde_json::json!({
                "id": format!("idn_{}_{i}", u.source_id), "object": "email_address",
                "email_address": e.address,
                "verification": {"status": "verified", "strategy": "admin"}, "linked_to": []
            })).collect::<Vec<_>>(),
            "private_metadata": {"from": "api"},
        }));
    }
    let Some(fc) = FakeClerk::start_with_users(&preload, &["--limit", "1000", "--window", "1"])
    else {
        return;
    };
    let Some(target) = FakeClerk::start(&["--limit", "1000", "--window", "1"]) else {
        return;
    };
    // Clerk → Clerk with one key for both sides names one instance: refused.
    let journal = dir.path().join("j.sqlite");
    let clerk_to_clerk = |source_key: Option<&str>| {
        let mut c = authferry(&target, TEST_KEY);
        if let Some(k) = source_key {
            c.env("CLERK_SOURCE_SECRET_KEY", k)
                .env("CLERK_SOURCE_API_URL", &fc.url);
        }
        c.args([
            "migrate",
            "--quiet",
            "--json",
            "--from",
            "clerk-api",
            "--to",
            "clerk",
            "--with-digests",
        ])
        .arg(format!("clerk-csv:{}", sample.display()))
        .arg("--journal")
        .arg(&journal)
        .output()
        .unwrap()
    };
    let out = clerk_to_clerk(None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("CLERK_SOURCE_SECRET_KEY"),
        "{}",
        text(&out)
    );

    let out = clerk_to_clerk(Some(TEST_KEY));
    // The sample's invalid and duplicate addresses fail or skip as from any source.
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let moved = target.users();
    assert!(
        moved.len() + 3 >= preload.len() && moved.len() >= 20,
        "{}",
        text(&out)
    );
    let mut with_digest = 0;
    for u in &moved {
        let id = u["external_id"].as_str().unwrap();
        // Metadata from the source instance's API, digest from the CSV.
        assert_eq!(
            u["private_metadata"],
            serde_json::json!({"from": "api"}),
            "{id}"
        );
        match digests.get(id) {
            Some(d) => {
                // Compared without printing the digest.
                assert!(
                    u["_password_digest"].as_str() == Some(d.as_str()),
                    "{id}: the digest in Clerk is not the CSV's"
                );
                with_digest += 1;
            }
            None => assert!(u["_password_digest"].is_null(), "{id}"),
        }
    }
    assert!(with_digest >= 15, "{with_digest}");
    assert_eq!(
        fc.stat(&["created"]),
        0,
        "the source instance was written to"
    );
}

// ---------------------------------------------------------------------------------------------
// Clerk → NDJSON → Clerk

/// Password digests of known passwords in Clerk's `password_hasher` forms (the hash crate's
/// known-answer vectors): (hasher, digest, password). Every hasher the Backend API's published
/// spec names, but `pbkdf2_sha256` and `md5_phpass` (written as `phpass`, the same format).
const HASHED: &[(&str, &str, &str)] = &[
    (
        "bcrypt",
        "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K",
        "hello",
    ),
    (
        "argon2id",
        "$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",
        "test",
    ),
    (
        "argon2i",
        "$argon2i$v=19$m=16,t=2,p=1$bGJRWThNOHJJTVBSdHl2dQ$NfEnUOuUpb7F2fQkgFUG4g",
        "test",
    ),
    (
        "bcrypt_sha256_django",
        "bcrypt_sha256$$2b$04$abcdefghijklmnopqrstuuavYyybW8SwBYgHrVfEOHIljvgCGgHr2",
        "password",
    ),
    (
        "pbkdf2_sha256_django",
        "pbkdf2_sha256$36000$xIEozuZVAoYm$uW1b35DUKyhvQAf1mBqMvoBDcqSD06juzyO/nmyV0+w=",
        "eicieY7ahchaoCh0eeTa",
    ),
    (
        "pbkdf2_sha1",
        "pbkdf2_sha1$4096$73616c74$4b007901b765489abead49d926f721d065a429c1$20",
        "password",
    ),
    (
        "pbkdf2_sha512",
        "pbkdf2_sha512$1000$salt$afe6c5530785b6cc6b1c6453384731bd5ee432ee549fd42fb6695779ad8a1c5bf59de69c48f774efc4007d5298f9033c0241d5ab69305e7b64eceeb8d834cfec",
        "password",
    ),
    (
        "pbkdf2_sha512_hex",
        "pbkdf2_sha512_hex$1000$73616c74$afe6c5530785b6cc6b1c6453384731bd5ee432ee549fd42fb6695779ad8a1c5bf59de69c48f774efc4007d5298f9033c0241d5ab69305e7b64eceeb8d834cfec",
        "password",
    ),
    (
        "scrypt_firebase",
        "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==$Bw==$8$14",
        "user1password",
    ),
    (
        "scrypt_werkzeug",
        "scrypt:32768:8:1$LhXTOPk2o0jq9Vxp$41a30013f3676d7df73e63b512fdc1b0c5a646c8363794b0e238116a73bea4bda547c7b3897483965a6c0ddd0991d3d30f61d1a4e58150aa894be25ac6ced81c",
        "password",
    ),
    ("md5", "5f4dcc3b5aa765d61d8327deb882cf99", "password"),
    (
        "sha256",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "test",
    ),
    (
        "sha512_symfony",
        "sha512_symfony$5000$salt$iKw+yyYDAaIE9cknw6XdfjaVtHJ7Gqh+o/GYWoVpWN1wNDQcSjc8uqXSBC+yj0KOMwA7RpCKH9weKfJT+7AEHQ==",
        "password",
    ),
    ("phpass", "$H$9aaaaaSXBjgypwqm.JsMssPLiS8YQ00", "test1"),
    (
        "ldap_ssha",
        "{SSHA}JFZFs0oHzxbMwkSJmYVeI8MnTDy/276a",
        "test123",
    ),
];

/// Canonical users with everything Clerk holds, spread over several records: each of
/// [`HASHED`]'s digests; several emails and phones, verified and not, the primary not always
/// the first listed; usernames, names, a display name alone; TOTP secrets with backup codes; the
/// three metadata objects; creation times; banned and locked users; a phone-only user, a
/// username-only user and a user without a password.
fn rich_users() -> Vec<Value> {
    use serde_json::json;
    let mut users: Vec<Value> = HASHED
        .iter()
        .enumerate()
        .map(|(i, (hasher, digest, _))| {
            let first = ["Zoë", "José", "Łukasz", "Mei"][i % 4];
            let last = ["O'Neil, Jr.", "Ødegaard", "García | Pérez", "Tanaka"][i % 4];
            let plan = ["free", "pro", "team"][i % 3];
            let created = format!(
                "2021-{:02}-{:02}T08:{:02}:17.{:03}Z",
                1 + i % 12,
                1 + i,
                i,
                7 * i
            );
            let mut u = json!({
                "source_id": format!("rt_{hasher}"),
                "emails": [
                    {"address": format!("old.{i}@example.com"), "verified": i % 3 == 0},
                    {"address": format!("Rt.{i}@Example.com"), "verified": i % 4 != 1, "primary": true},
                    {"address": format!("work.{i}@example.org"), "verified": true},
                ],
                "first_name": first,
                "last_name": last,
                "password": {"hasher": hasher, "digest": digest},
                "public_metadata": {"plan": plan, "seats": i},
                "private_metadata": {"stripe": {"customer": format!("cus_{i:04}"), "flags": [i, "ü"]}},
                "unsafe_metadata": {"theme": if i % 2 == 0 { "dark" } else { "light" }},
                "created_at": created,
            });
            if i % 2 == 0 {
                u["username"] = json!(format!("rt_user_{i:02}"));
            }
            if i % 3 != 2 {
                u["phones"] = json!([
                    {"number": format!("+4477009{i:05}"), "verified": i % 2 == 0},
                    {"number": format!("+1555800{i:04}"), "verified": true, "primary": true},
                ]);
            }
            if i % 4 == 0 {
                let secret: String = (0..32)
                    .map(|k| b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[(k * 7 + i * 5) % 32] as char)
                    .collect();
                u["totp_secret"] = json!(secret);
                u["backup_codes"] = json!((0..8).map(|k| format!("rt{i:02}{k}code{}", 31 * i + k)).collect::<Vec<_>>());
            }
            u["banned"] = json!(i % 5 == 3);
            u["locked"] = json!(i % 6 == 4);
            u
        })
        .collect();
    users.extend([
        json!({"source_id": "rt_phone_only", "phones": [{"number": "+15558009999", "verified": true}],
               "password": {"hasher": "bcrypt", "digest": HASHED[0].1}, "created_at": "2019-12-31T23:59:59.999Z"}),
        json!({"source_id": "rt_username_only", "username": "only_a_name", "banned": true, "locked": true,
               "display_name": "Just A Display Name"}),
        json!({"source_id": "rt_no_password", "emails": [{"address": "oauth.person@example.com", "verified": true}],
               "first_name": "Octo", "public_metadata": {"nested": {"deep": [1, 2, {"three": null}]}}}),
    ]);
    users
}

/// A Clerk instance's dashboard export ("Export users"), as `fc` holds its users: the
/// dashboard's columns, plus `backup_codes`, one cell of `|`-separated values each.
fn dashboard_export(users: &[Value], path: &Path) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record([
        "id",
        "first_name",
        "last_name",
        "username",
        "primary_email_address",
        "primary_phone_number",
        "verified_email_addresses",
        "unverified_email_addresses",
        "verified_phone_numbers",
        "unverified_phone_numbers",
        "totp_secret",
        "password_digest",
        "password_hasher",
        "backup_codes",
    ])
    .unwrap();
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    for u in users {
        let split = |list: &str, key: &str, primary: &str| {
            let (mut main, mut verified, mut unverified) = (String::new(), vec![], vec![]);
            for item in u[list].as_array().unwrap() {
                let value = text(&item[key]);
                if item["id"] == u[primary] {
                    main = value.clone();
                }
                if item["verification"]["status"] == "verified" {
                    verified.push(value);
                } else {
                    unverified.push(value);
                }
            }
            (main, verified.join("|"), unverified.join("|"))
        };
        let (email, verified_emails, unverified_emails) = split(
            "email_addresses",
            "email_address",
            "primary_email_address_id",
        );
        let (phone, verified_phones, unverified_phones) =
            split("phone_numbers", "phone_number", "primary_phone_number_id");
        let codes = u["_backup_codes"]
            .as_array()
            .map(|c| c.iter().map(text).collect::<Vec<_>>().join("|"))
            .unwrap_or_default();
        w.write_record([
            text(&u["id"]),
            text(&u["first_name"]),
            text(&u["last_name"]),
            text(&u["username"]),
            email,
            phone,
            verified_emails,
            unverified_emails,
            verified_phones,
            unverified_phones,
            text(&u["_totp_secret"]),
            text(&u["_password_digest"]),
            text(&u["_password_hasher"]),
            codes,
        ])
        .unwrap();
    }
    w.flush().unwrap();
}

/// The secrets a stored Clerk user holds (compared without being shown).
const SECRET_KEYS: [&str; 3] = ["_password_digest", "_totp_secret", "_backup_codes"];

/// What a stored Clerk user holds that a migration must carry, without the ids and times
/// the instance makes itself and without its secrets ([`SECRET_KEYS`]): emails and phones in
/// order with their verification and which is primary, username, names, password hasher, the
/// three metadata objects, created_at, banned, locked, and whether it has a password, TOTP and
/// backup codes.
fn held(u: &Value) -> Value {
    let identifications = |list: &str, key: &str, primary: &str| -> Value {
        u[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                serde_json::json!({
                    "value": i[key],
                    "verified": i["verification"]["status"] == "verified",
                    "reserved": i["reserved"],
                    "primary": i["id"] == u[primary],
                })
            })
            .collect()
    };
    let mut h = serde_json::json!({
        "emails": identifications("email_addresses", "email_address", "primary_email_address_id"),
        "phones": identifications("phone_numbers", "phone_number", "primary_phone_number_id"),
    });
    for key in [
        "username",
        "first_name",
        "last_name",
        "_password_hasher",
        "public_metadata",
        "private_metadata",
        "unsafe_metadata",
        "created_at",
        "banned",
        "locked",
        "password_enabled",
        "totp_enabled",
        "backup_code_enabled",
    ] {
        h[key] = u[key].clone();
    }
    h
}

/// Round trip Clerk → NDJSON → Clerk, with two fake Clerk instances: a first instance filled
/// with 200 synthetic dashboard-export users and users carrying everything Clerk holds (15
/// password hashers, several emails and phones verified or reserved, TOTP and backup codes,
/// metadata, creation times, bans and locks) is read with `--from clerk-api --with-digests
/// clerk-csv:` (its own dashboard export, for the secrets the API never returns) into
/// `ndjson:`, and that file is migrated `--to clerk` into the second instance. Every user
/// arrives once, under the first instance's user id as `external_id`, holding exactly what it
/// held in the first; every known password verifies against the second instance's digest; the
/// first instance is only read; a second run with a new journal creates nothing; no secret
/// shows in any output.
#[test]
fn clerk_round_trips_through_ndjson_losing_nothing_clerk_holds() {
    use authferry_testkit::e2e::Secrets;
    let Some(first) = FakeClerk::start(&["--limit", "1000", "--window", "1"]) else {
        return;
    };
    let Some(second) = FakeClerk::start(&["--limit", "1000", "--window", "1"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    authferry_platforms::synthetic::write_clerk_csv(&p("seed.csv"), 200, 21).unwrap();
    let rich = rich_users();
    std::fs::write(
        p("rich.ndjson"),
        rich.iter().map(|u| format!("{u}\n")).collect::<String>(),
    )
    .unwrap();

    // Every secret of the users: no output may show one (each is scanned before anything of
    // it is shown).
    let mut secrets = Secrets(vec![("the secret key".into(), TEST_KEY.into())]);
    for u in &rich {
        let id = u["source_id"].as_str().unwrap();
        for (what, v) in [
            ("digest", &u["password"]["digest"]),
            ("TOTP secret", &u["totp_secret"]),
        ] {
            if let Some(v) = v.as_str() {
                secrets.push(format!("{id}'s {what}"), v);
            }
        }
        for c in u["backup_codes"].as_array().into_iter().flatten() {
            secrets.push(format!("{id}'s backup code"), c.as_str().unwrap());
        }
    }
    let mut seed = csv::Reader::from_path(p("seed.csv")).unwrap();
    let headers = seed.headers().unwrap().clone();
    for row in seed.records() {
        let row = row.unwrap();
        for (name, cell) in headers.iter().zip(row.iter()) {
            if matches!(name, "password_digest" | "totp_secret") && !cell.is_empty() {
                secrets.push(format!("{} of {}", name, &row[0]), cell);
            }
        }
    }
    for k in 0..authferry_platforms::synthetic::DIGESTS {
        secrets.push(
            format!("synthetic password {k}"),
            authferry_platforms::synthetic::synthetic_password(k),
        );
    }
    let run = |mut c: Command, what: &str| -> (Output, Value) {
        c.current_dir(dir.path()).env("NO_COLOR", "1");
        let out = c.output().unwrap();
        secrets.assert_absent(&format!("{what}: the output"), &text(&out));
        let summary = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{what}: no JSON summary: {}", text(&out)));
        (out, summary)
    };
    let into = |fc: &FakeClerk, from: &str, journal: &str| {
        let mut c = authferry(fc, TEST_KEY);
        c.args([
            "migrate", "--quiet", "--json", "--rate", "1000/1s", "--to", "clerk",
        ])
        .args(["--from", from, "--journal", journal]);
        c
    };

    // (a) The first instance's users.
    for (from, journal, n) in [
        ("clerk-csv:seed.csv", "seed.journal", 200),
        ("ndjson:rich.ndjson", "rich.journal", rich.len()),
    ] {
        let (out, s) = run(into(&first, from, journal), from);
        assert_eq!(out.status.code(), Some(0), "{from}: {}", text(&out));
        assert_eq!(s["counts"]["migrated"], n as u64, "{from}: {s}");
    }
    let one = first.users();
    assert_eq!(one.len(), 200 + rich.len());

    // (b) Its dashboard export.
    dashboard_export(&one, &p("instance1.csv"));

    // (c) Out of the first instance, into NDJSON: every user, nothing written there.
    let created = first.stat(&["created"]);
    let mut c = Command::new(env!("CARGO_BIN_EXE_authferry"));
    c.env_remove("CLERK_SECRET_KEY")
        .env_remove("CLERK_API_URL")
        .env("CLERK_SOURCE_SECRET_KEY", TEST_KEY)
        .env("CLERK_SOURCE_API_URL", &first.url)
        .args([
            "migrate",
            "--quiet",
            "--json",
            "--rate",
            "1000/1s",
            "--from",
            "clerk-api",
            "--with-digests",
            "clerk-csv:instance1.csv",
            "--to",
            "ndjson:users.ndjson",
            "--journal",
            "export.journal",
            "--report",
            "export-report.json",
        ]);
    let (out, s) = run(c, "clerk-api → ndjson");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(s["counts"]["migrated"], one.len() as u64, "{s}");
    assert_eq!(
        first.stat(&["created"]),
        created,
        "the source was written to"
    );

    // (d) Into the second instance.
    let (out, s) = run(
        into(&second, "ndjson:users.ndjson", "import.journal"),
        "→ clerk",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(s["counts"]["migrated"], one.len() as u64, "{s}");
    assert_eq!(first.stat(&["spec_violations"]), 0, "{}", first.stats());
    assert_eq!(second.stat(&["spec_violations"]), 0, "{}", second.stats());

    // (e) The second instance holds each user once, under the first's id, as it was there.
    let two = second.users();
    let by_origin: BTreeMap<&str, &Value> = two
        .iter()
        .map(|u| (u["external_id"].as_str().unwrap_or_default(), u))
        .collect();
    assert_eq!(
        by_origin.len(),
        two.len(),
        "a user twice in the second instance"
    );
    assert_eq!(two.len(), one.len());
    let mut to_verify: Vec<(String, String, Option<String>, String)> = Vec::new();
    let rich_passwords: BTreeMap<String, &str> = HASHED
        .iter()
        .map(|(hasher, _, password)| (format!("rt_{hasher}"), *password))
        .chain([("rt_phone_only".to_string(), HASHED[0].2)])
        .collect();
    let (mut totp, mut codes, mut reserved, mut hashers) =
        (0, 0, 0, std::collections::BTreeSet::new());
    for u in &one {
        let id = u["id"].as_str().unwrap();
        let arrived = by_origin
            .get(id)
            .unwrap_or_else(|| panic!("{id} is not in the second instance"));
        assert_eq!(held(arrived), held(u), "{id} ({})", u["external_id"]);
        for key in SECRET_KEYS {
            // Not assert_eq!: a failure must not print the values.
            assert!(
                arrived[key] == u[key],
                "{id} ({}): {key} differs (values not shown)",
                u["external_id"]
            );
        }
        totp += usize::from(u["_totp_secret"].is_string());
        codes += usize::from(u["_backup_codes"].is_array());
        reserved += held(u)["emails"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["reserved"] == true)
            .count();
        let origin = u["external_id"].as_str().unwrap();
        let password = match rich_passwords.get(origin) {
            Some(p) => Some(p.to_string()),
            None if origin.starts_with("user_") && u["_password_digest"].is_string() => {
                let i = u64::from_str_radix(&origin[5..17], 16).unwrap();
                Some(authferry_platforms::synthetic::synthetic_password(
                    (i % authferry_platforms::synthetic::DIGESTS as u64) as usize,
                ))
            }
            None => None,
        };
        if let Some(password) = password {
            let hasher = arrived["_password_hasher"].as_str().map(str::to_owned);
            hashers.insert(hasher.clone().unwrap_or_default());
            let digest = arrived["_password_digest"].as_str().unwrap().to_owned();
            to_verify.push((id.to_owned(), digest, hasher, password));
        }
    }
    let rich_codes = rich.iter().filter(|u| u["backup_codes"].is_array()).count();
    assert!(totp >= 10 && reserved >= 5, "{totp} {reserved}");
    assert_eq!(codes, rich_codes, "every user with backup codes has them");
    assert_eq!(hashers.len(), HASHED.len(), "{hashers:?}");
    assert!(to_verify.len() >= 190, "{}", to_verify.len());
    for (id, digest, hasher, password) in &to_verify {
        assert_eq!(
            authferry_hash::verify(digest, hasher.as_deref(), password).ok(),
            Some(true),
            "{id}: the password verifies against the second instance's {hasher:?} digest"
        );
        assert_eq!(
            authferry_hash::verify(digest, hasher.as_deref(), &format!("{password}!")).ok(),
            Some(false),
            "{id}: a wrong password does not"
        );
    }

    // A second run with a journal of its own finds every user there already: nothing twice.
    let before = second.stat(&["created"]);
    let (out, s) = run(
        into(&second, "ndjson:users.ndjson", "again.journal"),
        "again",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(s["counts"]["migrated"], 0, "{s}");
    assert_eq!(s["counts"]["already_present"], one.len() as u64, "{s}");
    assert_eq!(second.stat(&["created"]), before, "{s}");
    assert_eq!(second.users().len(), one.len());

    secrets.assert_absent_in_files(dir.path(), |n| {
        n.contains("journal") || n.contains("report")
    });
    eprintln!(
        "Clerk → NDJSON → Clerk: {} users, {} passwords verified ({} hashers), {totp} TOTP secrets, {codes} with backup codes",
        two.len(),
        to_verify.len(),
        hashers.len()
    );
}
