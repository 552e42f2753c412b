//! Test support shared by authferry's test suites. Only tests depend on this crate.

pub mod e2e;
pub mod fake_clerk;
pub mod fake_supertokens;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The repository root (this crate lives in `crates/testkit`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The interpreter of a fake server's venv from `python_var` (which `scripts/test` sets), or
/// `None` (the test should skip, after a notice) when it is unset and `required_var` is not set
/// either; panics when `required_var` is set without it.
pub fn fake_python(python_var: &str, required_var: &str) -> Option<String> {
    match std::env::var(python_var) {
        Ok(p) if !p.is_empty() => Some(p),
        _ if std::env::var_os(required_var).is_some() => {
            panic!("{required_var} is set but {python_var} is not")
        }
        _ => {
            eprintln!("skipping: {python_var} not set (scripts/test sets it)");
            None
        }
    }
}

/// A fake server (`tests/fake-*/server.py`) run as a child process: started on a free port, its
/// URL read from the one line it prints when ready, killed when dropped. Its admin endpoints
/// (`/__admin/...`) take no auth.
pub struct FakeServer {
    child: Child,
    pub url: String,
    agent: ureq::Agent,
}

impl FakeServer {
    /// Runs `python script args...` and waits for `listening on http://127.0.0.1:PORT`.
    pub fn spawn(python: &str, script: &Path, args: &[std::ffi::OsString]) -> FakeServer {
        let mut child = Command::new(python)
            .arg(script)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", script.display()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the server's first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("{} said {line:?}", script.display()))
            .to_string();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        FakeServer { child, url, agent }
    }

    /// An agent that does not turn HTTP error statuses into errors.
    pub fn agent(&self) -> &ureq::Agent {
        &self.agent
    }

    /// `GET {url}{path}` as JSON.
    pub fn admin_get(&self, path: &str) -> Value {
        let body = self
            .agent
            .get(&format!("{}{path}", self.url))
            .call()
            .expect("admin request")
            .body_mut()
            .with_config()
            // Every stored user of a large test (25 000 with their methods) is tens of MB.
            .limit(1 << 30)
            .read_to_string()
            .expect("admin body");
        serde_json::from_str(&body).expect("admin JSON")
    }

    /// `POST {url}{path}` with a JSON body; the answer as JSON.
    pub fn admin_post(&self, path: &str, body: &Value) -> Value {
        let text = self
            .agent
            .post(&format!("{}{path}", self.url))
            .header("Content-Type", "application/json")
            .send(body.to_string().as_bytes())
            .expect("admin request")
            .body_mut()
            .read_to_string()
            .expect("admin body");
        serde_json::from_str(&text).expect("admin JSON")
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A number out of a JSON document by path, 0 when absent.
pub fn json_u64(doc: &Value, path: &[&str]) -> u64 {
    let mut v = doc;
    for p in path {
        match v.get(*p) {
            Some(x) => v = x,
            None => return 0,
        }
    }
    v.as_u64().unwrap_or(0)
}

/// A small xorshift: pseudo-random numbers reproducible from a printed seed (kill points of the
/// crash tests).
pub fn xorshift(seed: u64) -> impl Iterator<Item = u64> {
    let mut x = seed | 1;
    std::iter::repeat_with(move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    })
}

use std::sync::atomic::{AtomicU32, Ordering};

/// The port of the PostgreSQL server the tests use: `AUTHFERRY_TEST_PG_PORT`, which
/// `scripts/test` sets to the throw-away server it starts, else 5432 (a local server with trust
/// auth for `postgres` on loopback).
pub fn pg_port() -> u16 {
    std::env::var("AUTHFERRY_TEST_PG_PORT")
        .ok()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(5432)
}

/// `postgres://postgres@HOST:PORT/DATABASE` on the test server (`host` is `127.0.0.1` or
/// `localhost`, which the TLS tests tell apart).
pub fn pg_url(host: &str, database: &str) -> String {
    format!("postgres://postgres@{host}:{}/{database}", pg_port())
}

/// The test server's administrative database (`test`, which `scripts/test` creates).
pub fn pg_admin_url() -> String {
    pg_url("127.0.0.1", "test")
}

/// The certificate the test server presents (`AUTHFERRY_TEST_PG_CERT`, set by `scripts/test`
/// to the one it generated), else Debian's snakeoil certificate (CN and SAN `localhost`).
pub fn pg_certificate() -> String {
    std::env::var("AUTHFERRY_TEST_PG_CERT")
        .unwrap_or_else(|_| "/etc/ssl/certs/ssl-cert-snakeoil.pem".to_string())
}

/// A PostgreSQL database of its own for one test, created on the local server and dropped
/// (with `FORCE`, so leftover connections do not keep it) when the value goes out of scope.
pub struct TempPgDatabase {
    name: String,
}

impl TempPgDatabase {
    /// Creates `authferry_<tag>_<pid>_<n>_<nanos>`: unique across parallel tests and processes.
    pub fn create(tag: &str) -> TempPgDatabase {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let name = format!(
            "authferry_{tag}_{}_{}_{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let admin_url = pg_admin_url();
        let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is needed: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the test database");
        TempPgDatabase { name }
    }

    /// [`create`](Self::create), then runs `schema` in the new database.
    pub fn with_schema(tag: &str, schema: &str) -> TempPgDatabase {
        let db = Self::create(tag);
        db.client()
            .batch_execute(schema)
            .expect("create the test schema");
        db
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn url(&self) -> String {
        pg_url("127.0.0.1", &self.name)
    }

    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url(), postgres::NoTls)
            .expect("connect to the test database")
    }
}

impl Drop for TempPgDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&pg_admin_url(), postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
