//! The fake Clerk Backend API (`tests/fake-clerk/server.py`) as a child process of a test:
//! started on a free port, stopped when dropped, with its admin endpoints (stats, stored
//! users, live settings) one call away.
//!
//! The server needs Python with the packages of `tests/fake-clerk/requirements.txt`;
//! `scripts/test` makes a venv and sets `AUTHFERRY_FAKE_CLERK_PYTHON` (and
//! `AUTHFERRY_FAKE_CLERK_REQUIRED`, so that a missing interpreter fails the tests instead of
//! skipping them).

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The repository root (this crate lives in `crates/testkit`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The secret key the tests use: a test key, so the default budget would be 100/10 s.
pub const TEST_KEY: &str = "sk_test_authferryFAKEKEY0123456789";

pub struct FakeClerk {
    child: Child,
    pub url: String,
    agent: ureq::Agent,
}

impl FakeClerk {
    /// The interpreter to run the server with, or `None` (the test should skip) when it is
    /// not set up and not required.
    pub fn python() -> Option<String> {
        match std::env::var("AUTHFERRY_FAKE_CLERK_PYTHON") {
            Ok(p) if !p.is_empty() => Some(p),
            _ if std::env::var_os("AUTHFERRY_FAKE_CLERK_REQUIRED").is_some() => {
                panic!(
                    "AUTHFERRY_FAKE_CLERK_REQUIRED is set but AUTHFERRY_FAKE_CLERK_PYTHON is not"
                )
            }
            _ => {
                eprintln!("skipping: AUTHFERRY_FAKE_CLERK_PYTHON not set (scripts/test sets it)");
                None
            }
        }
    }

    /// Starts the server with extra flags (`--limit`, `--window`, `--fault-rate`, …).
    pub fn start(args: &[&str]) -> Option<FakeClerk> {
        let python = Self::python()?;
        let dir = repo_root().join("tests/fake-clerk");
        let mut child = Command::new(python)
            .arg(dir.join("server.py"))
            .arg("--spec")
            .arg(dir.join("spec/clerk-backend-api-2026-05-12.yml"))
            .args(["--port", "0", "--key", TEST_KEY])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the fake Clerk server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the server's first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the fake Clerk server said {line:?}"))
            .to_string();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Some(FakeClerk { child, url, agent })
    }

    /// [`start`](Self::start) with `users` (Clerk user objects) already stored.
    pub fn start_with_users(users: &[Value], args: &[&str]) -> Option<FakeClerk> {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "authferry-fake-clerk-preload-{}-{}.json",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::write(&path, serde_json::to_vec(users).expect("users serialise"))
            .expect("write the preload file");
        let mut all = vec!["--preload", path.to_str().expect("a UTF-8 temp path")];
        all.extend_from_slice(args);
        let started = Self::start(&all);
        // The server has read it by the time it says it listens.
        let _ = std::fs::remove_file(&path);
        started
    }

    fn admin_get(&self, path: &str) -> Value {
        let body = self
            .agent
            .get(&format!("{}{path}", self.url))
            .call()
            .expect("admin request")
            .body_mut()
            .read_to_string()
            .expect("admin body");
        serde_json::from_str(&body).expect("admin JSON")
    }

    /// `/__admin/stats`: requests, statuses, faults, spec violations, the busiest window.
    pub fn stats(&self) -> Value {
        self.admin_get("/__admin/stats")
    }

    /// Every stored user, with its secrets under `_password_digest`, `_totp_secret`, ….
    pub fn users(&self) -> Vec<Value> {
        match self.admin_get("/__admin/users") {
            Value::Array(a) => a,
            other => panic!("/__admin/users gave {other}"),
        }
    }

    /// Changes `fault_rate`, `limit`, `window` or `seed` while running.
    pub fn configure(&self, settings: Value) {
        self.agent
            .post(&format!("{}/__admin/config", self.url))
            .header("Content-Type", "application/json")
            .send(settings.to_string().as_bytes())
            .expect("admin config");
    }

    /// A number out of [`stats`](Self::stats), 0 when absent.
    pub fn stat(&self, path: &[&str]) -> u64 {
        let mut v = self.stats();
        for p in path {
            v = v.get(*p).cloned().unwrap_or(Value::Null);
        }
        v.as_u64().unwrap_or(0)
    }
}

impl Drop for FakeClerk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
