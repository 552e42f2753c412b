//! Test support shared by authferry's test suites. Only tests depend on this crate.

pub mod e2e;
pub mod fake_clerk;

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
