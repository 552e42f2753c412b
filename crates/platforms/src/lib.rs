//! authferry's platforms: one module each, every one a [`Source`], a [`Sink`] or both.
//! [`open_source`] and [`open_sink`] turn a `--from`/`--to` spec into one; adding a platform
//! means a module and a line in each match below, never a change to the engine.

pub mod better_auth;
pub mod clerk;
pub mod ndjson;
pub mod synthetic;

use authferry_core::{Sink, SinkError, Source};
use std::path::PathBuf;

/// Settings a sink takes from the environment or flags rather than from its spec.
#[derive(Clone, Default)]
pub struct SinkEnv {
    /// `BETTER_AUTH_SECRET`: the key better-auth derives its two-factor encryption key from.
    pub better_auth_secret: Option<String>,
    /// Where generated backup codes are delivered (NDJSON, 0600).
    pub backup_codes_out: Option<PathBuf>,
}

impl std::fmt::Debug for SinkEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkEnv")
            .field(
                "better_auth_secret",
                &self.better_auth_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("backup_codes_out", &self.backup_codes_out)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The spec itself is wrong: a usage error (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The spec is right but the thing it names cannot be opened (exit 1).
    #[error("cannot open {spec}: {message}")]
    Open { spec: String, message: String },
}

impl SpecError {
    fn open(spec: &str, e: impl std::fmt::Display) -> Self {
        SpecError::Open {
            spec: redact_spec(spec),
            message: e.to_string(),
        }
    }
}

pub const SOURCE_KINDS: &[(&str, &str)] = &[
    (
        "clerk-csv:PATH",
        "Clerk dashboard \"export users\" CSV (both header layouts)",
    ),
    (
        "clerk-json:PATH",
        "Clerk Backend API user objects (GET /v1/users), a JSON array or NDJSON",
    ),
    (
        "clerk-users-json:PATH",
        "the Clerk migration script's users.json",
    ),
    (
        "ndjson:PATH",
        "authferry's canonical NDJSON interchange format",
    ),
];

pub const SINK_KINDS: &[(&str, &str)] = &[
    (
        "better-auth:sqlite:PATH",
        "a Better Auth SQLite database (created if absent)",
    ),
    (
        "better-auth:postgres://…",
        "a Better Auth PostgreSQL database",
    ),
    (
        "ndjson:PATH",
        "authferry's canonical NDJSON interchange format (file created 0600)",
    ),
];

fn kinds_help(kinds: &[(&str, &str)]) -> String {
    kinds
        .iter()
        .map(|(k, d)| format!("  {k:<28} {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn split_spec(spec: &str) -> Option<(&str, &str)> {
    spec.split_once(':').filter(|(_, rest)| !rest.is_empty())
}

pub fn open_source(spec: &str) -> Result<Box<dyn Source>, SpecError> {
    let usage = || {
        SpecError::Usage(format!(
            "unknown source `{spec}`; expected one of:\n{}",
            kinds_help(SOURCE_KINDS)
        ))
    };
    let (kind, rest) = split_spec(spec).ok_or_else(usage)?;
    let path = PathBuf::from(rest);
    Ok(match kind {
        "clerk-csv" => {
            Box::new(clerk::ClerkCsvSource::open(&path).map_err(|e| SpecError::open(spec, e))?)
        }
        "clerk-json" => {
            Box::new(clerk::ClerkApiJsonSource::open(&path).map_err(|e| SpecError::open(spec, e))?)
        }
        "clerk-users-json" => Box::new(
            clerk::ClerkUsersJsonSource::open(&path).map_err(|e| SpecError::open(spec, e))?,
        ),
        "ndjson" => {
            Box::new(ndjson::NdjsonSource::open(&path).map_err(|e| SpecError::open(spec, e))?)
        }
        _ => return Err(usage()),
    })
}

pub fn open_sink(spec: &str, env: &SinkEnv) -> Result<Box<dyn Sink>, SpecError> {
    let usage = || {
        SpecError::Usage(format!(
            "unknown target `{spec}`; expected one of:\n{}",
            kinds_help(SINK_KINDS)
        ))
    };
    let (kind, rest) = split_spec(spec).ok_or_else(usage)?;
    Ok(match kind {
        "better-auth" => {
            let target = if let Some(path) = rest.strip_prefix("sqlite:") {
                let path = path.strip_prefix("//").unwrap_or(path);
                if path.is_empty() {
                    return Err(usage());
                }
                better_auth::BetterAuthTarget::Sqlite(PathBuf::from(path))
            } else if rest.starts_with("postgres://") || rest.starts_with("postgresql://") {
                better_auth::BetterAuthTarget::Postgres(rest.to_string())
            } else {
                return Err(SpecError::Usage(format!(
                    "better-auth target `{}` must be `better-auth:sqlite:PATH` or `better-auth:postgres://…`",
                    redact_spec(spec)
                )));
            };
            let opts = better_auth::BetterAuthOptions {
                secret: env.better_auth_secret.clone(),
                backup_codes_out: env.backup_codes_out.clone(),
            };
            Box::new(
                better_auth::BetterAuthSink::open(target, opts)
                    .map_err(|e: SinkError| SpecError::open(spec, e))?,
            )
        }
        "ndjson" => Box::new(
            ndjson::NdjsonSink::create(&PathBuf::from(rest))
                .map_err(|e| SpecError::open(spec, e))?,
        ),
        _ => return Err(usage()),
    })
}

/// A spec fit for logs and reports: a password in a URL (`postgres://u:pw@host`) is masked.
pub fn redact_spec(spec: &str) -> String {
    if let Some(scheme_end) = spec.find("://") {
        let after = &spec[scheme_end + 3..];
        if let Some(at) = after.find('@') {
            let creds = &after[..at];
            if let Some(colon) = creds.find(':') {
                return format!(
                    "{}://{}:***{}",
                    &spec[..scheme_end],
                    &creds[..colon],
                    &after[at..]
                );
            }
        }
    }
    spec.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_url_passwords() {
        assert_eq!(
            redact_spec("better-auth:postgres://u:hunter2@h/db"),
            "better-auth:postgres://u:***@h/db"
        );
        assert_eq!(
            redact_spec("better-auth:postgres://u@h/db"),
            "better-auth:postgres://u@h/db"
        );
        assert_eq!(redact_spec("clerk-csv:a.csv"), "clerk-csv:a.csv");
    }

    #[test]
    fn unknown_specs_are_usage_errors() {
        assert!(matches!(open_source("nope:x"), Err(SpecError::Usage(_))));
        assert!(matches!(open_source("clerk-csv"), Err(SpecError::Usage(_))));
        assert!(matches!(
            open_sink("better-auth:mysql://x", &SinkEnv::default()),
            Err(SpecError::Usage(_))
        ));
    }
}
