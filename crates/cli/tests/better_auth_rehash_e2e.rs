//! End-to-end proof of the verify module's rehash-on-login plugin against the real better-auth
//! 1.7.25: users exported from Clerk with legacy digests (Argon2id, Django and Clerk PBKDF2,
//! Firebase scrypt, phpass, salted MD5, Symfony) are migrated by the built `authferry` binary into
//! a better-auth SQLite database; through `tests/e2e/better-auth/rehash-check.mjs` each one signs
//! in with `auth.api.signInEmail` using the module `authferry emit better-auth-verify` wrote, plus
//! its `rehashOnSignIn()` plugin — after which `account.password` is better-auth's own scrypt,
//! a wrong password never signs in nor changes the stored digest, and later sign-ins are native.
//!
//! Needs `npm ci` in tests/e2e/better-auth; without it the test skips loudly, unless
//! `AUTHFERRY_E2E_REQUIRED` is set, which makes it fail. No password or digest is printed.

use authferry_hash::{ExtParams, Format, parse};
use std::path::Path;
use std::process::{Command, Stdio};

fn e2e_dir() -> Option<std::path::PathBuf> {
    let why = |what: &str| {
        if std::env::var("AUTHFERRY_E2E_REQUIRED").is_ok_and(|v| !v.is_empty() && v != "0") {
            panic!(
                "AUTHFERRY_E2E_REQUIRED is set, but {what}.\n\
                 Run `npm ci` in tests/e2e/better-auth (see tests/e2e/better-auth/README.md)."
            );
        }
        let bar = "!".repeat(78);
        use std::io::Write;
        let _ = write!(
            std::io::stderr(),
            "\n{bar}\n!! SKIPPED better_auth_rehash_e2e: {what}.\n!! The rehash-on-login plugin was not run.\n\
             !! Run `npm ci` in tests/e2e/better-auth; set AUTHFERRY_E2E_REQUIRED=1 to make this a failure.\n{bar}\n"
        );
        None
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e/better-auth");
    let Ok(dir) = dir.canonicalize() else {
        return why("tests/e2e/better-auth does not exist");
    };
    for name in [
        "better-auth",
        "bcryptjs",
        "hash-wasm",
        "@noble/hashes",
        "better-sqlite3",
    ] {
        if !dir
            .join("node_modules")
            .join(name)
            .join("package.json")
            .is_file()
        {
            return why(&format!(
                "tests/e2e/better-auth/node_modules/{name} is missing (npm ci was not run)"
            ));
        }
    }
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => Some(dir),
        _ => why("`node` is not on PATH"),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[test]
fn legacy_digests_sign_in_and_are_rehashed_to_better_auth_scrypt() {
    let Some(dir) = e2e_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();

    // (Clerk password_hasher, digest, password): known answers of crates/hash/src/kats.rs and
    // digests made by authferry's own encoders.
    let argon_pw = "argon pässword 1";
    let argon = authferry_hash::bench_cases(argon_pw)
        .into_iter()
        .find(|c| c.name.starts_with("argon2id"))
        .unwrap()
        .digest;
    let django = "pbkdf2_sha256$36000$xIEozuZVAoYm$uW1b35DUKyhvQAf1mBqMvoBDcqSD06juzyO/nmyV0+w=";
    let clerk_pbkdf2 = parse(django, None, &ExtParams::default())
        .unwrap()
        .convert(Format::ClerkPbkdf2Sha256)
        .unwrap()
        .encode()
        .unwrap();
    let users: Vec<(&str, String, &str)> = vec![
        ("argon2id", argon, argon_pw),
        ("pbkdf2_sha256_django", django.into(), "eicieY7ahchaoCh0eeTa"),
        ("pbkdf2_sha256", clerk_pbkdf2, "eicieY7ahchaoCh0eeTa"),
        (
            "scrypt_firebase",
            "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==$Bw==$8$14".into(),
            "user1password",
        ),
        ("phpass", "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0".into(), "test12345"),
        ("md5_salted", "salt$67a1e09bb1f83f5007dc119c14d663aa".into(), "password"),
        (
            "sha512_symfony",
            "sha512_symfony$5000$salt$iKw+yyYDAaIE9cknw6XdfjaVtHJ7Gqh+o/GYWoVpWN1wNDQcSjc8uqXSBC+yj0KOMwA7RpCKH9weKfJT+7AEHQ==".into(),
            "password",
        ),
    ];
    let mut csv = String::from(
        "id,first_name,last_name,username,primary_email_address,primary_phone_number,verified_email_addresses,unverified_email_addresses,verified_phone_numbers,unverified_phone_numbers,totp_secret,password_digest,password_hasher\n",
    );
    let mut checks = Vec::new();
    for (i, (hasher, digest, pw)) in users.iter().enumerate() {
        let email = format!("legacy{i}@example.com");
        let row = [
            format!("user_legacy{i}"),
            "Legacy".into(),
            format!("User{i}"),
            String::new(),
            email.clone(),
            String::new(),
            email.clone(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            digest.clone(),
            hasher.to_string(),
        ];
        csv.push_str(
            &row.iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        csv.push('\n');
        checks.push(serde_json::json!({"email": email, "password": pw}));
    }
    let csv_path = tmp.path().join("clerk-export.csv");
    std::fs::write(&csv_path, csv).unwrap();
    let db = tmp.path().join("better-auth.sqlite");
    let secret = "rehash-e2e-secret-0123456789abcdefghijklmnopqrstuv";
    let authferry = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_authferry"))
            .args(args)
            .env("BETTER_AUTH_SECRET", secret)
            .env_remove("AUTH_SECRET")
            .env_remove("BETTER_AUTH_SECRETS")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let from = format!("clerk-csv:{}", csv_path.display());
    let to = format!("better-auth:sqlite:{}", db.display());
    let journal = tmp.path().join("journal.sqlite").display().to_string();
    let out = authferry(&[
        "migrate",
        "--from",
        &from,
        "--to",
        &to,
        "--journal",
        &journal,
    ]);
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    // ("password" itself is a word the output may use; the other passwords are distinctive.)
    let leaks = |t: &str| {
        users
            .iter()
            .any(|(_, d, p)| t.contains(d.as_str()) || (*p != "password" && t.contains(p)))
    };
    assert!(!leaks(&text), "authferry printed a secret");
    assert!(out.status.success(), "authferry migrate failed:\n{text}");
    assert!(
        !text.contains("needs trickle or reset"),
        "every legacy format must be verifiable through the module:\n{text}"
    );

    let module = tmp.path().join("auth-verify.mjs");
    let out = authferry(&[
        "emit",
        "better-auth-verify",
        "--out",
        &module.display().to_string(),
    ]);
    assert!(out.status.success(), "authferry emit failed");
    let config = tmp.path().join("rehash.json");
    std::fs::write(
        &config,
        serde_json::json!({
            "sqlite": db.display().to_string(),
            "secret": secret,
            "verifyModule": module.display().to_string(),
            "checks": checks,
        })
        .to_string(),
    )
    .unwrap();
    // The module imports resolve from tests/e2e/better-auth's node_modules.
    std::os::unix::fs::symlink(dir.join("node_modules"), tmp.path().join("node_modules")).unwrap();
    let out = Command::new("node")
        .arg(dir.join("rehash-check.mjs"))
        .arg(&config)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !leaks(&stdout) && !leaks(&stderr),
        "rehash-check printed a secret"
    );
    eprintln!("{stdout}{stderr}");
    assert!(out.status.success(), "rehash-check failed:\n{stdout}");
    assert_eq!(
        stdout.lines().filter(|l| l.contains("\"ok\":true")).count(),
        users.len()
    );
}
