//! What the end-to-end tests against the real better-auth share: finding its pinned install
//! (skipping loudly, or failing under `AUTHFERRY_E2E_REQUIRED`), running a process with a time
//! limit, scanning outputs for secrets, and reading NDJSON.

use serde_json::Value;
use std::hash::{BuildHasher, RandomState};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The better-auth version `tests/e2e/better-auth/package-lock.json` pins.
pub const BETTER_AUTH_VERSION: &str = "1.7.25";

/// `tests/e2e/better-auth`, with its packages installed.
pub struct E2e {
    pub dir: PathBuf,
}

fn required() -> bool {
    std::env::var("AUTHFERRY_E2E_REQUIRED").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn skip_or_fail(test: &str, what: &str) -> Option<E2e> {
    if required() {
        panic!(
            "AUTHFERRY_E2E_REQUIRED is set, but {what}.\n\
             Run `npm ci` in tests/e2e/better-auth (see tests/e2e/better-auth/README.md)."
        );
    }
    let bar = "!".repeat(78);
    // Straight to the process's stderr: libtest captures eprintln! of passing tests, and a
    // skip must be seen.
    use std::io::Write;
    let _ = write!(
        std::io::stderr(),
        "\n{bar}\n!! SKIPPED {test}: {what}.\n!! Nothing was proven against the real better-auth.\n\
         !! Run `npm ci` in tests/e2e/better-auth; set AUTHFERRY_E2E_REQUIRED=1 to make this a failure.\n{bar}\n"
    );
    None
}

/// The e2e directory, when better-auth is installed there at the pinned version and `node`
/// runs; `None` (after a loud notice) otherwise. A stale install is never skipped.
pub fn e2e(test: &str) -> Option<E2e> {
    let dir = crate::fake_clerk::repo_root().join("tests/e2e/better-auth");
    let dir = match dir.canonicalize() {
        Ok(d) => d,
        Err(_) => return skip_or_fail(test, "tests/e2e/better-auth does not exist"),
    };
    let pkg = dir.join("node_modules/better-auth/package.json");
    let Ok(text) = std::fs::read_to_string(&pkg) else {
        return skip_or_fail(
            test,
            "tests/e2e/better-auth/node_modules is missing (npm ci was not run)",
        );
    };
    let version = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v["version"].as_str().map(str::to_owned))
        .unwrap_or_default();
    assert_eq!(
        version, BETTER_AUTH_VERSION,
        "tests/e2e/better-auth/node_modules has better-auth {version}, the lockfile pins {BETTER_AUTH_VERSION}: run npm ci"
    );
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        _ => return skip_or_fail(test, "`node` is not on PATH"),
    }
    Some(E2e { dir })
}

/// A finished process.
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` to the end, killing it (and failing) after `timeout`.
pub fn run(mut cmd: Command, timeout: Duration) -> Run {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", cmd.get_program()));
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let t_out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{:?} did not finish within {timeout:?}", cmd.get_program());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Run {
        status,
        stdout: String::from_utf8_lossy(&t_out.join().expect("stdout reader")).into_owned(),
        stderr: String::from_utf8_lossy(&t_err.join().expect("stderr reader")).into_owned(),
    }
}

/// Everything that must never appear in output, each with a label that says what it is
/// (never the value).
#[derive(Default)]
pub struct Secrets(pub Vec<(String, String)>);

impl Secrets {
    pub fn push(&mut self, label: impl Into<String>, value: impl Into<String>) {
        self.0.push((label.into(), value.into()));
    }

    /// Panics (without showing the text) when `text` contains any secret.
    pub fn assert_absent(&self, what: &str, text: &str) {
        let found: Vec<&str> = self
            .0
            .iter()
            .filter(|(_, s)| text.contains(s.as_str()))
            .map(|(l, _)| l.as_str())
            .collect();
        assert!(
            found.is_empty(),
            "{what} contains {} secret value(s): {}",
            found.len(),
            found.join(", ")
        );
    }

    /// [`Secrets::assert_absent`] on every file in `dir` whose name `pick` accepts (journals,
    /// reports, failure logs a run left there).
    pub fn assert_absent_in_files(&self, dir: &Path, pick: impl Fn(&str) -> bool) {
        for entry in std::fs::read_dir(dir).expect("read the test directory") {
            let path = entry.expect("a directory entry").path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if path.is_file() && pick(&name) {
                let bytes = std::fs::read(&path).expect("read a file the run left");
                self.assert_absent(
                    &format!("the file {name}"),
                    &String::from_utf8_lossy(&bytes),
                );
            }
        }
    }
}

/// Each `(id, digest, password)`: the password verifies against the digest the target stored
/// (with the target's hasher name) and a wrong one does not — on two threads, as the digests
/// are slow on purpose. Messages name the id, never the digest or the password.
pub fn verify_each(items: &[(String, String, String)], hasher: &str) {
    let check = |items: &[(String, String, String)]| {
        for (id, digest, password) in items {
            assert_eq!(
                authferry_hash::verify(digest, Some(hasher), password).ok(),
                Some(true),
                "{id}: the password verifies against what the target stored"
            );
            assert_eq!(
                authferry_hash::verify(digest, Some(hasher), &format!("{password}!")).ok(),
                Some(false),
                "{id}: a wrong password does not"
            );
        }
    };
    let (a, b) = items.split_at(items.len() / 2);
    std::thread::scope(|s| {
        s.spawn(|| check(a));
        s.spawn(|| check(b));
    });
}

/// 48 random letters and digits: an app secret for one test.
pub fn random_secret() -> String {
    let alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let state = RandomState::new();
    (0..48u64)
        .map(|i| alphabet[(state.hash_one(i) % alphabet.len() as u64) as usize] as char)
        .collect()
}

/// The JSON lines of a file (a failure log, an NDJSON target).
pub fn read_ndjson(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("an NDJSON line"))
        .collect()
}

/// Writes `value` to a new owner-only file (a sign-in config holds passwords).
pub fn write_private(path: &Path, value: &Value) {
    let mut f = std::fs::OpenOptions::new();
    f.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut f, 0o600);
    use std::io::Write;
    f.open(path)
        .and_then(|mut file| {
            file.write_all(serde_json::to_string(value).unwrap_or_default().as_bytes())
        })
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Runs `signin-check.mjs` (the real better-auth signing users in) with `config`, written
/// owner-only into `dir`, and returns its lines, after asserting that its output holds none of
/// `secrets` nor the app secret(s) of the config, that it reported on every check and that
/// every check passed. `label` starts its messages.
pub fn signin_check(
    e2e: &E2e,
    dir: &Path,
    config: &Value,
    secrets: &Secrets,
    timeout: Duration,
    label: &str,
) -> Vec<Value> {
    let config_path = dir.join("signin-config.json");
    write_private(&config_path, config);
    let mut node = Command::new("node");
    node.arg(e2e.dir.join("signin-check.mjs"))
        .arg(&config_path)
        .current_dir(dir)
        .env_remove("BETTER_AUTH_SECRET")
        .env_remove("BETTER_AUTH_SECRETS")
        .env_remove("AUTH_SECRET");
    let check = run(node, timeout);
    secrets.assert_absent("signin-check.mjs's stdout", &check.stdout);
    secrets.assert_absent("signin-check.mjs's stderr", &check.stderr);
    let app_secrets = config["secret"].as_str().into_iter().chain(
        config["secrets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["value"].as_str()),
    );
    for value in app_secrets {
        assert!(
            !check.stdout.contains(value) && !check.stderr.contains(value),
            "[{label}] signin-check.mjs printed an app secret"
        );
    }
    let lines: Vec<Value> = check
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|_| panic!("[{label}] signin-check printed a non-JSON line: {l}"))
        })
        .collect();
    for l in &lines {
        eprintln!("[{label}] {l}");
    }
    eprintln!("[{label}] {}", check.stderr.trim_end());
    let failed: Vec<&Value> = lines.iter().filter(|l| l["ok"] != true).collect();
    assert!(
        failed.is_empty() && check.status.success(),
        "[{label}] {} of {} sign-in checks failed (exit {}):\n{}\n{}",
        failed.len(),
        lines.len(),
        check.status,
        failed
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        check.stderr
    );
    let checks = config["checks"].as_array().map_or(0, Vec::len);
    assert_eq!(
        lines.len(),
        checks,
        "[{label}] signin-check reported on every check"
    );
    lines
}
