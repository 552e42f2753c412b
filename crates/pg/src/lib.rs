//! Connecting to PostgreSQL the way libpq does, so that a URL copied from a hosting provider
//! or an app's `DATABASE_URL` works as it is:
//!
//! * `sslmode` `disable`, `allow`/`prefer` (the default: TLS when the server offers it),
//!   `require` (TLS, certificate not checked — libpq's meaning), `verify-ca` (chain checked
//!   against `sslrootcert` or the public web roots), `verify-full` (and the host name);
//! * `sslrootcert=PATH` (a PEM file: RDS, Supabase and self-hosted servers use their own CA);
//! * Prisma's `schema=NAME`, returned to the caller (the PostgreSQL client refuses it).
//!
//! The `postgres` crate itself knows only `disable`/`prefer`/`require` and no root file; this
//! module turns the rest into a rustls configuration (ring, as the HTTP client uses).

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::PathBuf;
use std::sync::Arc;

/// How the connection is protected, from `sslmode`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tls {
    Off,
    /// Encrypt (when offered, or always with `required`) without checking the certificate.
    Encrypt {
        required: bool,
    },
    /// Encrypt and check the chain (and the host name with `hostname`).
    Verify {
        roots: Option<PathBuf>,
        hostname: bool,
    },
}

/// A PostgreSQL URL split into what the `postgres` crate takes and what this module handles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgUrl {
    /// The URL for the `postgres` crate: `sslmode` one of its three, `sslrootcert` and `schema`
    /// removed.
    url: String,
    tls: Tls,
    /// Prisma's `?schema=NAME`.
    pub schema: Option<String>,
}

impl PgUrl {
    pub fn parse(url: &str) -> Result<PgUrl, String> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut kept = Vec::new();
        let (mut mode, mut roots, mut schema) = (None, None, None);
        for kv in query.split('&').filter(|kv| !kv.is_empty()) {
            match kv.split_once('=') {
                Some(("sslmode", v)) => mode = Some(v.to_string()),
                Some(("sslrootcert", v)) => {
                    roots = Some(PathBuf::from(
                        urlencoding::decode(v)
                            .map_err(|e| e.to_string())?
                            .into_owned(),
                    ))
                }
                Some(("schema", v)) if !v.is_empty() => schema = Some(v.to_string()),
                Some(("sslcert" | "sslkey", _)) => {
                    return Err("client certificates (sslcert/sslkey) are not supported".into());
                }
                _ => kept.push(kv),
            }
        }
        let tls = match mode.as_deref().unwrap_or("prefer") {
            "disable" => Tls::Off,
            "allow" | "prefer" => Tls::Encrypt { required: false },
            "require" if roots.is_none() => Tls::Encrypt { required: true },
            // libpq: `require` with a root file behaves as `verify-ca`.
            "require" | "verify-ca" => Tls::Verify {
                roots,
                hostname: false,
            },
            "verify-full" => Tls::Verify {
                roots,
                hostname: true,
            },
            other => {
                return Err(format!(
                    "sslmode `{other}` is not one of disable, allow, prefer, require, verify-ca, verify-full"
                ));
            }
        };
        // What the `postgres` crate is told; the checking is this module's connector.
        kept.push(match &tls {
            Tls::Off => "sslmode=disable",
            Tls::Encrypt { required: false } => "sslmode=prefer",
            _ => "sslmode=require",
        });
        Ok(PgUrl {
            url: format!("{base}?{}", kept.join("&")),
            tls,
            schema,
        })
    }

    /// Connects; with a `schema`, it goes first on the session's search_path (it must exist).
    pub fn connect(&self) -> Result<postgres::Client, String> {
        let mut client = match &self.tls {
            Tls::Off => postgres::Client::connect(&self.url, postgres::NoTls),
            tls => postgres::Client::connect(&self.url, make_tls(tls)?),
        }
        .map_err(describe_error)?;
        if let Some(s) = &self.schema {
            if !schema_exists(&mut client, s)? {
                return Err(format!(
                    "the URL names schema `{s}`, which the database does not have"
                ));
            }
            set_search_path(&mut client, s)?;
        }
        Ok(client)
    }
}

/// Connects to `url` (see the module's documentation for what it accepts).
pub fn connect(url: &str) -> Result<postgres::Client, String> {
    PgUrl::parse(url)?.connect()
}

/// Puts `schema` first on the session's search_path.
pub fn set_search_path(client: &mut postgres::Client, schema: &str) -> Result<(), String> {
    client
        .batch_execute(&format!(
            "SET search_path TO \"{}\", public",
            schema.replace('"', "\"\"")
        ))
        .map_err(describe_error)
}

/// A PostgreSQL error for people: the server's message and SQLSTATE, or the client's cause
/// (TLS problems included), never the URL's password.
pub fn describe_error(e: postgres::Error) -> String {
    format!("PostgreSQL: {}", describe(&e))
}

/// [`describe_error`] without the "PostgreSQL:" prefix. A server error names its constraint or
/// column but leaves out its DETAIL, which quotes the row's values (digests among them).
pub fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = format!("{} ({})", db.message(), db.code().code());
            if let Some(c) = db.constraint() {
                text.push_str(&format!(", constraint {c}"));
            }
            if let Some(c) = db.column() {
                text.push_str(&format!(", column {c}"));
            }
            text
        }
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            text
        }
    }
}

/// Whether the database has a schema of that name.
pub fn schema_exists(client: &mut postgres::Client, schema: &str) -> Result<bool, String> {
    Ok(client
        .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])
        .map_err(describe_error)?
        .is_some())
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn make_tls(tls: &Tls) -> Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let config = match tls {
        Tls::Off => unreachable!("no TLS connector without TLS"),
        Tls::Encrypt { .. } => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider())))
            .with_no_client_auth(),
        Tls::Verify { roots, hostname } => {
            let mut store = RootCertStore::empty();
            match roots {
                Some(path) => {
                    let certs = CertificateDer::pem_file_iter(path)
                        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                        .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
                    let (added, _) = store.add_parsable_certificates(certs);
                    if added == 0 {
                        return Err(format!(
                            "sslrootcert {}: no certificate in it",
                            path.display()
                        ));
                    }
                }
                None => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            }
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider())
                .build()
                .map_err(|e| e.to_string())?;
            let verifier: Arc<dyn ServerCertVerifier> = if *hostname {
                webpki
            } else {
                Arc::new(ChainOnly(webpki))
            };
            builder
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth()
        }
    };
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// libpq's `require`/`prefer`: encrypted, the certificate not checked (signatures still are,
/// so the session is bound to the key the server showed).
#[derive(Debug)]
struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// libpq's `verify-ca`: the chain must lead to a trusted root; the name may differ.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// A URL fit for messages, reports and journals: the password of its userinfo (even one
/// holding an unencoded `@`) and any `password=` parameter are masked.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let (head, rest) = url.split_at(scheme_end + 3);
    let (before_query, query) = match rest.find('?') {
        Some(q) => rest.split_at(q),
        None => (rest, ""),
    };
    let mut out = head.to_string();
    match before_query.rfind('@') {
        Some(at) => {
            let creds = &before_query[..at];
            match creds.find(':') {
                Some(colon) => {
                    out.push_str(&creds[..colon]);
                    out.push_str(":***");
                }
                None => out.push_str(creds),
            }
            out.push_str(&before_query[at..]);
        }
        None => out.push_str(before_query),
    }
    if let Some(q) = query.strip_prefix('?') {
        out.push('?');
        let params: Vec<String> = q
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => kv.to_string(),
            })
            .collect();
        out.push_str(&params.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_parameters_become_what_the_client_takes() {
        let p = PgUrl::parse("postgres://u:pw@h/db").unwrap();
        assert_eq!(p.url, "postgres://u:pw@h/db?sslmode=prefer");
        assert_eq!(p.tls, Tls::Encrypt { required: false });
        let p = PgUrl::parse("postgres://h/db?sslmode=verify-full&sslrootcert=%2Fca.pem&connect_timeout=5&schema=app")
            .unwrap();
        assert_eq!(p.url, "postgres://h/db?connect_timeout=5&sslmode=require");
        assert_eq!(
            p.tls,
            Tls::Verify {
                roots: Some("/ca.pem".into()),
                hostname: true
            }
        );
        assert_eq!(p.schema.as_deref(), Some("app"));
        assert_eq!(
            PgUrl::parse("postgres://h/db?sslmode=disable").unwrap().tls,
            Tls::Off
        );
        assert_eq!(
            PgUrl::parse("postgres://h/db?sslmode=require").unwrap().tls,
            Tls::Encrypt { required: true }
        );
        assert!(PgUrl::parse("postgres://h/db?sslmode=sometimes").is_err());
        assert!(PgUrl::parse("postgres://h/db?sslcert=/c.pem").is_err());
    }

    #[test]
    fn redacts_every_password_in_a_url() {
        assert_eq!(
            redact_url("postgres://u:hunter2@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            redact_url("postgres://u:p@ss@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            redact_url("postgres://u@h/db?sslmode=require&password=hunter2"),
            "postgres://u@h/db?sslmode=require&password=***"
        );
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
        assert_eq!(redact_url("journal.sqlite"), "journal.sqlite");
    }
}
