//! Differential tests of `authferry hash` against the platforms' own libraries.
//!
//! 1. The Python oracles (`oracle.py`: Django, libpass/passlib, pyca/bcrypt, argon2-cffi, Werkzeug,
//!    firebase-scrypt, libxcrypt) and the JavaScript ones (`oracle.mjs`: @better-auth/utils,
//!    firebase-scrypt) hash thousands of random passwords (ASCII, Unicode, empty, past bcrypt's 72
//!    bytes) with random parameters; `authferry hash verify --batch` (the built binary) must accept
//!    each right password and reject each wrong one.
//! 2. The other way: `authferry hash convert` re-encodes oracle hashes into another platform's
//!    syntax, and that platform's library must verify the result (right password yes, wrong no).
//!
//! The oracles are installed by `scripts/test` (a venv under `$HOME/.cache/authferry/` and
//! `npm ci` in tests/oracles). Without them the test is skipped — unless
//! `AUTHFERRY_ORACLES_REQUIRED=1`, which `scripts/test` sets after installing them, where missing
//! oracles fail it. Failures name the format, oracle and case number, never passwords or digests.
//!
//! Knobs: `AUTHFERRY_ORACLE_SEED` (default: from the clock, printed), `AUTHFERRY_ORACLE_SCALE`
//! (case-count multiplier, default 1).

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn oracle_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oracles")
}

fn required() -> bool {
    std::env::var("AUTHFERRY_ORACLES_REQUIRED").is_ok_and(|v| v == "1")
}

/// Skips (or, when required, fails) with `why`.
fn unavailable(why: &str) {
    if required() {
        panic!("AUTHFERRY_ORACLES_REQUIRED=1 but the password-hash oracles are missing: {why}");
    }
    eprintln!(
        "skipping the password-hash oracle differential test: {why} (scripts/test installs the oracles)"
    );
}

fn python() -> Result<PathBuf, String> {
    let py = match std::env::var_os("AUTHFERRY_ORACLE_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => return Err("AUTHFERRY_ORACLE_PYTHON is not set".into()),
    };
    let ok = Command::new(&py)
        .args([
            "-c",
            "import passlib, django, argon2, bcrypt, werkzeug, firebase_scrypt",
        ])
        .status()
        .map_err(|e| format!("cannot run {}: {e}", py.display()))?;
    if !ok.success() {
        return Err(format!("{} lacks the oracle packages", py.display()));
    }
    Ok(py)
}

fn node() -> Result<(), String> {
    if !oracle_dir()
        .join("node_modules/@better-auth/utils")
        .is_dir()
        || !oracle_dir().join("node_modules/firebase-scrypt").is_dir()
    {
        return Err("tests/oracles/node_modules is not installed (npm ci)".into());
    }
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => Ok(()),
        _ => Err("node is not on PATH".into()),
    }
}

/// Runs `cmd` with `input` lines on stdin and returns its stdout lines.
fn pipe(mut cmd: Command, input: Vec<String>) -> Vec<String> {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    // A child that stops early closes its stdin: stop writing, its exit status says why.
    let writer = std::thread::spawn(move || {
        for l in input {
            if stdin.write_all(l.as_bytes()).is_err() || stdin.write_all(b"\n").is_err() {
                break;
            }
        }
    });
    let out = child.wait_with_output().expect("child output");
    writer.join().expect("writer");
    assert!(out.status.success(), "{what} failed: {:?}", out.status);
    String::from_utf8(out.stdout)
        .expect("utf-8 output")
        .lines()
        .map(str::to_string)
        .collect()
}

fn generate(program: &str, script: &str, seed: u64, scale: f64) -> Vec<Value> {
    let out = Command::new(program)
        .arg(oracle_dir().join(script))
        .args(["generate", &seed.to_string(), &scale.to_string()])
        .current_dir(oracle_dir())
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
    assert!(out.status.success(), "{script} generate failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("oracle case"))
        .collect()
}

fn authferry(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_authferry"));
    c.args(args);
    c
}

/// The request line for authferry: hash, password, hasher, params — nothing else.
fn request(case: &Value, with_password: bool) -> String {
    let mut o = serde_json::Map::new();
    for k in ["hash", "hasher", "params"] {
        if let Some(v) = case.get(k) {
            o.insert(k.into(), v.clone());
        }
    }
    if with_password {
        o.insert("password".into(), case["password"].clone());
    }
    Value::Object(o).to_string()
}

fn describe(case: &Value) -> String {
    format!(
        "format {} (oracle {}), case {}, password of {} bytes, expected {}",
        case["format"],
        case["oracle"],
        case["id"],
        case["password"].as_str().map_or(0, str::len),
        case["expect"]
    )
}

/// authferry verifies every oracle-made hash: right passwords pass, wrong ones fail.
fn check_oracle_hashes(cases: &[Value]) -> BTreeMap<String, usize> {
    let out = pipe(
        authferry(&["hash", "verify", "--batch", "-"]),
        cases.iter().map(|c| request(c, true)).collect(),
    );
    assert_eq!(out.len(), cases.len(), "one output line per input line");
    let mut per_format = BTreeMap::new();
    let mut failures = Vec::new();
    for (case, line) in cases.iter().zip(&out) {
        let got: Value = serde_json::from_str(line).expect("authferry output is JSON");
        *per_format
            .entry(case["format"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
        if got.get("ok") != Some(&case["expect"]) {
            failures.push(format!("{}: authferry said {got}", describe(case)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} oracle cases disagree with authferry:\n{}",
        failures.len(),
        cases.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    per_format
}

/// (source format, `hash convert --to` argument, the oracle check that verifies the result)
const CONVERSIONS: &[(&str, &str, &str)] = &[
    ("django_pbkdf2_sha256", "passlib_pbkdf2", "passlib_pbkdf2"),
    ("django_pbkdf2_sha256", "ldap_pbkdf2", "passlib_pbkdf2"),
    ("django_pbkdf2_sha256", "werkzeug_pbkdf2", "werkzeug"),
    ("django_pbkdf2_sha1", "passlib_pbkdf2", "passlib_pbkdf2"),
    ("django_pbkdf2_sha1", "werkzeug_pbkdf2", "werkzeug"),
    ("werkzeug_pbkdf2", "passlib_pbkdf2", "passlib_pbkdf2"),
    ("werkzeug_pbkdf2", "django_pbkdf2_sha256", "django"),
    ("passlib_pbkdf2", "ldap_pbkdf2", "passlib_pbkdf2"),
    ("django_scrypt", "scrypt_phc", "passlib_scrypt"),
    ("django_scrypt", "werkzeug_scrypt", "werkzeug"),
    ("werkzeug_scrypt", "django_scrypt", "django"),
    ("werkzeug_scrypt", "scrypt_phc", "passlib_scrypt"),
    ("django_argon2", "argon2id", "argon2"),
    ("argon2id", "django_argon2", "django"),
    ("argon2i", "django_argon2", "django"),
    ("bcrypt", "django_bcrypt", "django"),
    ("django_bcrypt", "bcrypt", "bcrypt"),
    ("bcrypt", "auth0", "bcrypt"),
    ("md5_crypt", "ldap_crypt", "crypt"),
    ("sha512_crypt", "ldap_crypt", "crypt"),
    ("sha256_crypt", "ldap_crypt", "crypt"),
    ("scrypt_firebase", "supabase_firebase_scrypt", "fbscrypt"),
    ("scrypt_firebase", "supertokens_firebase_scrypt", "f_scrypt"),
    ("scrypt_firebase", "supabase", "fbscrypt"),
    ("firebase_scrypt", "scrypt_firebase", "firebase_npm"),
];

/// authferry re-encodes oracle hashes; the library owning the new syntax must verify them.
fn check_conversions(py: &Path, with_node: bool, cases: &[Value]) -> BTreeMap<String, usize> {
    let mut done = BTreeMap::new();
    let mut failures = Vec::new();
    for (from, to, check) in CONVERSIONS {
        if *check == "firebase_npm" && !with_node {
            continue;
        }
        let src: Vec<&Value> = cases
            .iter()
            // Only hashes the generator marks as checkable after a re-encode (`check`): not, e.g.,
            // libxcrypt's `$2x$` (no other library computes it) or `$apr1$` (no `{CRYPT}` form).
            .filter(|c| c["format"] == *from && c["expect"] == true && c.get("check").is_some())
            .collect();
        assert!(!src.is_empty(), "the oracles made no {from} hashes");
        let out = pipe(
            authferry(&["hash", "convert", "--to", to, "--batch", "-"]),
            src.iter().map(|c| request(c, false)).collect(),
        );
        assert_eq!(out.len(), src.len());
        let mut checks = Vec::new();
        let mut not_convertible = 0;
        for (case, line) in src.iter().zip(&out) {
            let got: Value = serde_json::from_str(line).unwrap();
            let Some(h) = got["hash"].as_str() else {
                // Some hashes legitimately do not fit the other syntax (a binary salt where
                // Django needs text, SHA-512 where Django has only SHA-1/SHA-256).
                not_convertible += 1;
                continue;
            };
            let pw = case["password"].as_str().unwrap();
            for (p, expect) in [(pw.to_string(), true), (format!("!{pw}"), false)] {
                checks.push((
                    json!({"id": checks.len(), "check": check, "hash": h, "password": p}),
                    expect,
                    case,
                ));
            }
        }
        assert!(
            !checks.is_empty(),
            "{from} → {to}: authferry converted none of {} hashes",
            src.len()
        );
        let (program, script) = if *check == "firebase_npm" {
            (PathBuf::from("node"), "oracle.mjs")
        } else {
            (py.to_path_buf(), "oracle.py")
        };
        let mut cmd = Command::new(program);
        cmd.arg(oracle_dir().join(script))
            .arg("verify")
            .current_dir(oracle_dir());
        let results = pipe(cmd, checks.iter().map(|(j, _, _)| j.to_string()).collect());
        assert_eq!(results.len(), checks.len());
        for ((_, expect, case), line) in checks.iter().zip(&results) {
            let r: Value = serde_json::from_str(line).unwrap();
            if r.get("ok") != Some(&Value::Bool(*expect)) {
                failures.push(format!(
                    "{from} → {to}, checked by {check}: {} — oracle said {r}, expected {expect}",
                    describe(case)
                ));
            }
        }
        eprintln!(
            "  {from} → {to}: {} re-encoded and verified by {check} ({not_convertible} not convertible)",
            checks.len() / 2
        );
        done.insert(format!("{from} → {to}"), checks.len() / 2);
    }
    assert!(
        failures.is_empty(),
        "{} re-encoded hashes fail their platform's library:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    done
}

#[test]
fn authferry_agrees_with_the_platforms_libraries() {
    let py = match python() {
        Ok(p) => p,
        Err(why) => return unavailable(&why),
    };
    let node_ok = node();
    if let Err(why) = &node_ok {
        if required() {
            return unavailable(why);
        }
        eprintln!("JavaScript oracles unavailable ({why}); running the Python ones only");
    }
    let seed: u64 = std::env::var("AUTHFERRY_ORACLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
                % 1_000_000
        });
    let scale: f64 = std::env::var("AUTHFERRY_ORACLE_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    eprintln!(
        "password-hash oracles: seed {seed} (AUTHFERRY_ORACLE_SEED={seed} reproduces), scale {scale}"
    );

    let mut cases = generate(py.to_str().unwrap(), "oracle.py", seed, scale);
    if node_ok.is_ok() {
        let mut js = generate("node", "oracle.mjs", seed, scale);
        let base = cases.len() as u64;
        for c in &mut js {
            c["id"] = json!(base + c["id"].as_u64().unwrap());
        }
        cases.extend(js);
    }
    let per_format = check_oracle_hashes(&cases);
    let mut expected: BTreeSet<&str> = [
        "bcrypt",
        "django_bcrypt",
        "django_bcrypt_sha256",
        "passlib_bcrypt_sha256",
        "wordpress_bcrypt",
        "bcrypt_peppered",
        "argon2i",
        "argon2d",
        "argon2id",
        "django_argon2",
        "scrypt_phc",
        "django_scrypt",
        "werkzeug_scrypt",
        "scrypt_firebase",
        "firebase_scrypt",
        "django_pbkdf2_sha256",
        "django_pbkdf2_sha1",
        "passlib_pbkdf2",
        "ldap_pbkdf2",
        "werkzeug_pbkdf2",
        "md5",
        "sha1",
        "sha256",
        "sha512",
        "salted_digest",
        "md5_salted",
        "sha256_salted",
        "django_md5",
        "django_sha1",
        "ldap_ssha",
        "ldap_digest",
        "kratos_hmac",
        "hmac",
        "md5_crypt",
        "sha256_crypt",
        "sha512_crypt",
        "ldap_crypt",
        "phpass",
        "nt_hash",
    ]
    .into_iter()
    .collect();
    if node_ok.is_ok() {
        expected.insert("better_auth_scrypt");
        expected.insert("drupal7");
    }
    for f in &expected {
        assert!(
            per_format.get(*f).is_some_and(|n| *n >= 4),
            "the oracles made too few {f} cases"
        );
    }
    eprintln!(
        "authferry agrees with the oracles on {} cases: {}",
        cases.len(),
        per_format
            .iter()
            .map(|(f, n)| format!("{f} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    check_conversions(&py, node_ok.is_ok(), &cases);
}
