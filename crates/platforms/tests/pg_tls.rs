//! PostgreSQL connections as libpq makes them (`authferry_platforms::pg`), against the test
//! server, which runs with TLS on and a self-signed certificate for `localhost` (the one
//! `scripts/test` generates for its throw-away server, or Debian's "snakeoil" one):
//! `prefer` and `require` encrypt without checking it, `verify-full` refuses it unless
//! `sslrootcert` names it and the host is `localhost`, `verify-ca` ignores the name.

use authferry_platforms::pg;
use authferry_testkit::{pg_certificate, pg_url};

/// Skips, or fails when `scripts/test` says the local server has TLS (AUTHFERRY_PG_TLS_REQUIRED).
fn skip(why: &str) {
    if std::env::var_os("AUTHFERRY_PG_TLS_REQUIRED").is_some() {
        panic!("AUTHFERRY_PG_TLS_REQUIRED is set but {why}");
    }
    eprintln!("!! SKIPPED pg_tls: {why}");
}

fn encrypted(url: &str) -> Result<bool, String> {
    let mut c = pg::connect(url)?;
    let row = c
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .map_err(pg::describe_error)?;
    Ok(row.get(0))
}

/// The server's TLS setting; the test needs it on (Debian's default, and this machine's).
fn server_tls_on() -> bool {
    let mut c = pg::connect(&format!("{}?sslmode=disable", pg_url("127.0.0.1", "test"))).unwrap();
    let on: String = c.query_one("SHOW ssl", &[]).unwrap().get(0);
    on == "on"
}

#[test]
fn sslmodes_behave_as_libpq() {
    if !server_tls_on() {
        skip("the local PostgreSQL runs without TLS");
        return;
    }
    let base = pg_url("127.0.0.1", "test");
    let cert = pg_certificate();
    assert_eq!(encrypted(&format!("{base}?sslmode=disable")), Ok(false));
    assert_eq!(
        encrypted(&base),
        Ok(true),
        "prefer (the default) uses TLS when offered"
    );
    assert_eq!(encrypted(&format!("{base}?sslmode=require")), Ok(true));

    // The public roots do not know a self-signed certificate.
    let err = encrypted(&format!("{base}?sslmode=verify-full")).unwrap_err();
    assert!(err.to_lowercase().contains("certificate"), "{err}");

    if std::fs::metadata(&cert).is_err() {
        skip(&format!("there is no {cert} for the sslrootcert part"));
        return;
    }
    let local = pg_url("localhost", "test");
    assert_eq!(
        encrypted(&format!("{local}?sslmode=verify-full&sslrootcert={cert}")),
        Ok(true)
    );
    // Right certificate, wrong name: verify-full refuses, verify-ca accepts.
    let err = encrypted(&format!("{base}?sslmode=verify-full&sslrootcert={cert}")).unwrap_err();
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    assert_eq!(
        encrypted(&format!("{base}?sslmode=verify-ca&sslrootcert={cert}")),
        Ok(true)
    );
    let err = encrypted(&format!(
        "{base}?sslmode=verify-ca&sslrootcert=/nonexistent.pem"
    ))
    .unwrap_err();
    assert!(err.contains("/nonexistent.pem"), "{err}");
}
