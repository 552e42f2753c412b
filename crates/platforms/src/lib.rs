//! authferry's platforms: one module each, every one a [`Source`], a [`Sink`] or both.
//! [`open_source`] and [`open_sink`] turn a `--from`/`--to` spec into one; adding a platform
//! means a module and a line in each match below, never a change to the engine.

pub mod authjs;
pub mod better_auth;
pub mod clerk;
pub mod ndjson;
pub mod openapi;
pub use authferry_pg as pg;
pub mod remote;
pub mod shared;
pub mod synthetic;

pub use shared::redact_spec;

use authferry_core::{Sink, Source};
use std::path::PathBuf;

/// Settings a sink takes from the environment or flags rather than from its spec.
#[derive(Clone, Default)]
pub struct SinkEnv {
    /// `BETTER_AUTH_SECRET`: the key better-auth derives its two-factor encryption key from.
    pub better_auth_secret: Option<String>,
    /// Where generated backup codes are delivered (NDJSON, 0600).
    pub backup_codes_out: Option<PathBuf>,
    /// `CLERK_SECRET_KEY`, `CLERK_API_URL`, `--rate`: for `--to clerk` and `--from clerk-api`.
    pub clerk: clerk::ClerkSettings,
}

impl std::fmt::Debug for SinkEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkEnv")
            .field(
                "better_auth_secret",
                &self.better_auth_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("backup_codes_out", &self.backup_codes_out)
            .field("clerk", &self.clerk)
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
        "authjs:postgres://…",
        "an Auth.js (NextAuth) database: User/Account, user/account or users/accounts tables",
    ),
    (
        "authjs:mysql://…",
        "an Auth.js (NextAuth) MySQL or MariaDB database",
    ),
    (
        "authjs:sqlite:PATH",
        "an Auth.js (NextAuth) SQLite database (opened read-only)",
    ),
    (
        "clerk-api",
        "every user of a Clerk instance through the Backend API (CLERK_SECRET_KEY, CLERK_API_URL; --with-digests clerk-csv:PATH adds passwords and TOTP secrets)",
    ),
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
        "clerk",
        "a Clerk instance through the Backend API (CLERK_SECRET_KEY, CLERK_API_URL, --rate)",
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

/// A `--from` spec, parsed and checked but not opened (so that both specs of a run are
/// checked for usage errors before anything is touched).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    /// `clerk-api`, optionally with `--with-digests clerk-csv:PATH`.
    ClerkApi {
        digests: Option<PathBuf>,
    },
    ClerkCsv(PathBuf),
    ClerkJson(PathBuf),
    ClerkUsersJson(PathBuf),
    Ndjson(PathBuf),
    /// `authjs:postgres://…` / `authjs:mysql://…` / `authjs:sqlite:PATH`, with
    /// `--password-column`/`--hasher`.
    Authjs {
        database: authjs::AuthjsDatabase,
        options: authjs::AuthjsOptions,
    },
}

impl SourceSpec {
    /// Adds `--password-column TABLE.COLUMN` and `--hasher NAME`, which only an `authjs:`
    /// source takes.
    pub fn with_password_column(
        self,
        column: Option<&str>,
        hasher: Option<&str>,
    ) -> Result<SourceSpec, SpecError> {
        if column.is_none() && hasher.is_none() {
            return Ok(self);
        }
        match self {
            SourceSpec::Authjs { database, .. } => {
                let password_column = match column {
                    Some(c) => Some(
                        shared::parse_table_column(c)
                            .map(|tc| (tc.table, tc.column))
                            .map_err(|e| SpecError::Usage(format!("--password-column {e}")))?,
                    ),
                    None => {
                        return Err(SpecError::Usage(
                            "--hasher needs --password-column TABLE.COLUMN".into(),
                        ));
                    }
                };
                Ok(SourceSpec::Authjs {
                    database,
                    options: authjs::AuthjsOptions {
                        password_column,
                        hasher: hasher.map(str::to_owned),
                    },
                })
            }
            _ => Err(SpecError::Usage(
                "--password-column and --hasher apply to an `authjs:` source only".into(),
            )),
        }
    }

    pub fn parse(spec: &str) -> Result<SourceSpec, SpecError> {
        let usage = || {
            SpecError::Usage(format!(
                "unknown source `{spec}`; expected one of:\n{}",
                kinds_help(SOURCE_KINDS)
            ))
        };
        if spec == "clerk-api" {
            return Ok(SourceSpec::ClerkApi { digests: None });
        }
        let (kind, rest) = split_spec(spec).ok_or_else(usage)?;
        let path = PathBuf::from(rest);
        Ok(match kind {
            "clerk-csv" => SourceSpec::ClerkCsv(path),
            "clerk-json" => SourceSpec::ClerkJson(path),
            "clerk-users-json" => SourceSpec::ClerkUsersJson(path),
            "ndjson" => SourceSpec::Ndjson(path),
            "authjs" => {
                let database = if rest.starts_with("postgres://")
                    || rest.starts_with("postgresql://")
                {
                    authjs::AuthjsDatabase::Postgres(rest.to_string())
                } else if let Some(p) = rest.strip_prefix("sqlite:") {
                    let p = p.strip_prefix("//").unwrap_or(p);
                    if p.is_empty() {
                        return Err(usage());
                    }
                    authjs::AuthjsDatabase::Sqlite(PathBuf::from(p))
                } else if rest.starts_with("mysql://") || rest.starts_with("mariadb://") {
                    authjs::AuthjsDatabase::Mysql(rest.to_string())
                } else {
                    return Err(SpecError::Usage(format!(
                        "Auth.js source `{}` must be `authjs:postgres://…`, `authjs:mysql://…` or `authjs:sqlite:PATH`",
                        redact_spec(spec)
                    )));
                };
                SourceSpec::Authjs {
                    database,
                    options: Default::default(),
                }
            }
            _ => return Err(usage()),
        })
    }

    /// Adds `--with-digests clerk-csv:PATH`, which only a `clerk-api` source takes.
    pub fn with_digests(self, digests: Option<&str>) -> Result<SourceSpec, SpecError> {
        let Some(d) = digests else { return Ok(self) };
        let path = d
            .strip_prefix("clerk-csv:")
            .filter(|p| !p.is_empty())
            .ok_or_else(|| {
                SpecError::Usage(format!(
                    "--with-digests `{d}` must be `clerk-csv:PATH` (the dashboard export)"
                ))
            })?;
        match self {
            SourceSpec::ClerkApi { .. } => Ok(SourceSpec::ClerkApi {
                digests: Some(PathBuf::from(path)),
            }),
            _ => Err(SpecError::Usage(
                "--with-digests applies to a `clerk-api` source only".into(),
            )),
        }
    }

    /// Opens the source; `clerk` settings are read by the `clerk-api` source only.
    pub fn open_with(&self, clerk: &clerk::ClerkSettings) -> Result<Box<dyn Source>, SpecError> {
        if let SourceSpec::ClerkApi { digests } = self {
            let api = clerk::ClerkApi::new(clerk).map_err(|e| SpecError::open("clerk-api", e))?;
            return clerk::ClerkApiSource::open(api, digests.as_deref())
                .map(|s| Box::new(s) as Box<dyn Source>)
                .map_err(|e| SpecError::open("clerk-api", e));
        }
        self.open()
    }

    pub fn open(&self) -> Result<Box<dyn Source>, SpecError> {
        if let SourceSpec::Authjs { database, options } = self {
            let label = match database {
                authjs::AuthjsDatabase::Postgres(url) | authjs::AuthjsDatabase::Mysql(url) => {
                    format!("authjs:{url}")
                }
                authjs::AuthjsDatabase::Sqlite(p) => format!("authjs:sqlite:{}", p.display()),
            };
            return authjs::AuthjsSource::open(database, options)
                .map(|s| Box::new(s) as Box<dyn Source>)
                .map_err(|e| SpecError::open(&label, e));
        }
        let (path, opened): (&PathBuf, std::io::Result<Box<dyn Source>>) = match self {
            SourceSpec::ClerkCsv(p) => (
                p,
                clerk::ClerkCsvSource::open(p).map(|s| Box::new(s) as Box<dyn Source>),
            ),
            SourceSpec::ClerkJson(p) => (
                p,
                clerk::ClerkApiJsonSource::open(p).map(|s| Box::new(s) as Box<dyn Source>),
            ),
            SourceSpec::ClerkUsersJson(p) => (
                p,
                clerk::ClerkUsersJsonSource::open(p).map(|s| Box::new(s) as Box<dyn Source>),
            ),
            SourceSpec::Ndjson(p) => (
                p,
                ndjson::NdjsonSource::open(p).map(|s| Box::new(s) as Box<dyn Source>),
            ),
            SourceSpec::Authjs { .. } => unreachable!("opened above"),
            SourceSpec::ClerkApi { .. } => {
                return Err(SpecError::Usage(
                    "the clerk-api source needs its settings: open it with open_with".into(),
                ));
            }
        };
        opened.map_err(|e| SpecError::open(&path.display().to_string(), e))
    }
}

/// A `--to` spec, parsed and checked but not opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SinkSpec {
    Clerk,
    BetterAuthSqlite(PathBuf),
    BetterAuthPostgres(String),
    Ndjson(PathBuf),
}

impl SinkSpec {
    pub fn parse(spec: &str) -> Result<SinkSpec, SpecError> {
        let usage = || {
            SpecError::Usage(format!(
                "unknown target `{}`; expected one of:\n{}",
                redact_spec(spec),
                kinds_help(SINK_KINDS)
            ))
        };
        if spec == "clerk" {
            return Ok(SinkSpec::Clerk);
        }
        let (kind, rest) = split_spec(spec).ok_or_else(usage)?;
        Ok(match kind {
            "better-auth" => {
                if let Some(path) = rest.strip_prefix("sqlite:") {
                    let path = path.strip_prefix("//").unwrap_or(path);
                    if path.is_empty() {
                        return Err(usage());
                    }
                    SinkSpec::BetterAuthSqlite(PathBuf::from(path))
                } else if rest.starts_with("postgres://") || rest.starts_with("postgresql://") {
                    SinkSpec::BetterAuthPostgres(rest.to_string())
                } else {
                    return Err(SpecError::Usage(format!(
                        "better-auth target `{}` must be `better-auth:sqlite:PATH` or `better-auth:postgres://…`",
                        redact_spec(spec)
                    )));
                }
            }
            "ndjson" => SinkSpec::Ndjson(PathBuf::from(rest)),
            _ => return Err(usage()),
        })
    }

    pub fn open(&self, env: &SinkEnv) -> Result<Box<dyn Sink>, SpecError> {
        let better_auth = |target| {
            let opts = better_auth::BetterAuthOptions {
                secret: env.better_auth_secret.clone(),
                backup_codes_out: env.backup_codes_out.clone(),
            };
            better_auth::BetterAuthSink::open(target, opts).map(|s| Box::new(s) as Box<dyn Sink>)
        };
        match self {
            SinkSpec::Clerk => clerk::ClerkApi::new(&env.clerk)
                .map(|api| Box::new(clerk::ClerkSink::new(api)) as Box<dyn Sink>)
                .map_err(|e| SpecError::open("clerk", e)),
            SinkSpec::BetterAuthSqlite(p) => {
                better_auth(better_auth::BetterAuthTarget::Sqlite(p.clone()))
                    .map_err(|e| SpecError::open(&format!("better-auth:sqlite:{}", p.display()), e))
            }
            SinkSpec::BetterAuthPostgres(url) => {
                better_auth(better_auth::BetterAuthTarget::Postgres(url.clone()))
                    .map_err(|e| SpecError::open(&format!("better-auth:{url}"), e))
            }
            SinkSpec::Ndjson(p) => ndjson::NdjsonSink::create(p)
                .map(|s| Box::new(s) as Box<dyn Sink>)
                .map_err(|e| SpecError::open(&format!("ndjson:{}", p.display()), e)),
        }
    }
}

pub fn open_source(spec: &str) -> Result<Box<dyn Source>, SpecError> {
    SourceSpec::parse(spec)?.open()
}

pub fn open_sink(spec: &str, env: &SinkEnv) -> Result<Box<dyn Sink>, SpecError> {
    SinkSpec::parse(spec)?.open(env)
}

#[cfg(test)]
mod tests {
    use super::*;

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
