//! `authferry serve --config FILE`: TOML, every secret from the environment (the config names
//! no key, token or password; a URL's password is the exception the platforms' specs allow).

use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The environment variable holding the bearer token callers present.
pub const TOKEN_VAR: &str = "AUTHFERRY_SERVE_TOKEN";

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where to listen (loopback unless the config says otherwise).
    #[serde(default = "default_listen")]
    pub listen: String,
    /// The migration's journal: a SQLite path or a PostgreSQL URL shared by every replica (and
    /// by bulk `migrate` runs: the hybrid move).
    #[serde(default = "default_journal")]
    pub journal: String,
    pub source: Endpoint,
    pub target: Endpoint,
    #[serde(default)]
    pub limits: Limits,
    /// Session fallback: the old platform's session tokens (`POST /v1/session`).
    #[serde(default)]
    pub session: Option<Session>,
}

/// `[session]`: how the old platform's session tokens are verified.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// The platform's JWKS (Clerk: `https://<frontend api>/.well-known/jwks.json`).
    pub jwks_url: Option<String>,
    /// Or a file with its public key as PEM (Clerk's dashboard shows it).
    pub public_key_file: Option<std::path::PathBuf>,
    /// The expected `iss` (Clerk: the Frontend API URL).
    pub issuer: Option<String>,
    /// Origins a token's `azp` may name; empty: not checked.
    #[serde(default)]
    pub authorized_parties: Vec<String>,
    /// Clock skew tolerated on `exp`/`nbf`, seconds (default 5).
    pub leeway_seconds: Option<u64>,
}

impl Session {
    pub fn verifier_config(&self) -> Result<crate::session::SessionConfig, String> {
        let pem = match &self.public_key_file {
            Some(p) => Some(
                std::fs::read_to_string(p)
                    .map_err(|e| format!("[session] public_key_file {}: {e}", p.display()))?,
            ),
            None => None,
        };
        let mut c = crate::session::SessionConfig {
            jwks_url: self.jwks_url.clone(),
            public_key_pem: pem,
            issuer: self.issuer.clone(),
            authorized_parties: self.authorized_parties.clone(),
            ..Default::default()
        };
        if let Some(l) = self.leeway_seconds {
            c.leeway = Duration::from_secs(l);
        }
        Ok(c)
    }
}

/// A source (`from`) or a target (`to`) as `migrate` takes them, with the platform flags
/// `migrate` would get on its command line (`flags = { hash-config = "hash.txt" }`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    #[serde(alias = "to")]
    pub from: String,
    #[serde(default)]
    pub flags: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Failed sign-ins one identifier may have per `attempt_window_seconds` (brute force
    /// against one account); then every attempt is refused (429) until the window ends.
    pub attempts_per_identifier: u32,
    /// Failed sign-ins one client address may have per `attempt_window_seconds` (password
    /// spraying across accounts).
    pub attempts_per_client: u32,
    pub attempt_window_seconds: u64,
    /// Password verifications and hashings running at once (default: the machine's cores).
    pub hash_workers: usize,
    /// Verifications waiting for a worker before the server answers 503.
    pub hash_queue: usize,
    /// How long a sign-in waits for another replica that is moving the same user.
    pub wait_for_other_replica_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            attempts_per_identifier: 10,
            attempts_per_client: 100,
            attempt_window_seconds: 300,
            hash_workers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            hash_queue: 64,
            wait_for_other_replica_seconds: 10,
        }
    }
}

impl Limits {
    pub fn window(&self) -> Duration {
        Duration::from_secs(self.attempt_window_seconds.max(1))
    }
}

fn default_listen() -> String {
    "127.0.0.1:8787".into()
}

fn default_journal() -> String {
    "authferry-journal.sqlite".into()
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl Config {
    pub fn load(path: &std::path::Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::parse(&text).map_err(|message| ConfigError::Invalid {
            path: shown,
            message,
        })
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        let c: Config = toml::from_str(text).map_err(|e| e.message().to_string())?;
        c.listen
            .parse::<std::net::SocketAddr>()
            .map_err(|_| format!("listen `{}` is not an address:port", c.listen))?;
        let l = &c.limits;
        if l.attempts_per_identifier == 0 || l.attempts_per_client == 0 {
            return Err("limits: attempts must be at least 1".into());
        }
        if l.hash_workers == 0 {
            return Err("limits: hash_workers must be at least 1".into());
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_s_example_parses_with_defaults() {
        let c = Config::parse(
            r#"
listen  = "127.0.0.1:8787"
journal = "authferry-journal.sqlite"
[source]
from = "clerk-csv:export.csv"
[target]
to = "better-auth:sqlite:app.db"
"#,
        )
        .unwrap();
        assert_eq!(c.source.from, "clerk-csv:export.csv");
        assert_eq!(c.target.from, "better-auth:sqlite:app.db");
        assert_eq!(c.limits.attempts_per_identifier, 10);
        let c = Config::parse(
            "[source]\nfrom = \"x:y\"\nflags = { hash-config = \"h.txt\" }\n[target]\nto = \"z:w\"\n",
        )
        .unwrap();
        assert_eq!(c.listen, "127.0.0.1:8787");
        assert_eq!(c.source.flags["hash-config"], "h.txt");
    }

    #[test]
    fn mistakes_are_named() {
        let e = Config::parse("[source]\nfrom = \"x\"\n").unwrap_err();
        assert!(e.contains("target"), "{e}");
        let e =
            Config::parse("lisen = \"1\"\n[source]\nfrom=\"x\"\n[target]\nto=\"y\"\n").unwrap_err();
        assert!(e.contains("lisen"), "{e}");
        let e = Config::parse("listen = \"nowhere\"\n[source]\nfrom=\"x\"\n[target]\nto=\"y\"\n")
            .unwrap_err();
        assert!(e.contains("nowhere"), "{e}");
    }
}
