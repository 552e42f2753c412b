//! The fake Clerk Backend API (`tests/fake-clerk/server.py`) as a child process of a test:
//! started on a free port, stopped when dropped, with its admin endpoints (stats, stored
//! users, live settings) one call away.
//!
//! The server needs Python with the packages of `tests/fake-clerk/requirements.txt`;
//! `scripts/test` makes a venv and sets `AUTHFERRY_FAKE_CLERK_PYTHON` (and
//! `AUTHFERRY_FAKE_CLERK_REQUIRED`, so that a missing interpreter fails the tests instead of
//! skipping them).

use crate::FakeServer;
use serde_json::Value;

/// The repository root; kept here for the tests that name it through this module.
pub use crate::repo_root;

/// The secret key the tests use: a test key, so the default budget would be 100/10 s.
pub const TEST_KEY: &str = "sk_test_authferryFAKEKEY0123456789";

pub struct FakeClerk {
    server: FakeServer,
    pub url: String,
}

impl FakeClerk {
    /// The interpreter to run the server with, or `None` (the test should skip) when it is
    /// not set up and not required.
    pub fn python() -> Option<String> {
        crate::fake_python(
            "AUTHFERRY_FAKE_CLERK_PYTHON",
            "AUTHFERRY_FAKE_CLERK_REQUIRED",
        )
    }

    /// Starts the server with extra flags (`--limit`, `--window`, `--fault-rate`, …).
    pub fn start(args: &[&str]) -> Option<FakeClerk> {
        let python = Self::python()?;
        let dir = repo_root().join("tests/fake-clerk");
        let mut all: Vec<std::ffi::OsString> = vec![
            "--spec".into(),
            dir.join("spec/clerk-backend-api-2026-05-12.yml").into(),
        ];
        all.extend(["--port", "0", "--key", TEST_KEY].map(Into::into));
        all.extend(args.iter().map(Into::into));
        let server = FakeServer::spawn(&python, &dir.join("server.py"), &all);
        let url = server.url.clone();
        Some(FakeClerk { server, url })
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
        self.server.admin_get(path)
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
        self.server.admin_post("/__admin/config", &settings);
    }

    /// A number out of [`stats`](Self::stats), 0 when absent.
    pub fn stat(&self, path: &[&str]) -> u64 {
        crate::json_u64(&self.stats(), path)
    }
}
