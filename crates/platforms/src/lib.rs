//! authferry's platforms: one module each, every one a [`Source`], a [`Sink`] or both, and each
//! described by a [`registry::Platform`] that [`registry::PLATFORMS`] lists. [`open_source`] and
//! [`open_sink`] turn a `--from`/`--to` spec into one; adding a platform means a module and a
//! line in that list, never a change to the engine or the CLI.

pub mod auth0;
pub mod authjs;
pub mod better_auth;
pub mod clerk;
pub mod fidelity;
pub mod firebase;
#[doc(hidden)]
pub mod fuzzing;
pub mod ndjson;
pub mod openapi;
pub use authferry_pg as pg;
pub mod registry;
pub mod remote;
pub mod shared;
pub mod supabase;
pub mod supertokens;
pub mod synthetic;

pub use registry::Settings;
pub use shared::redact_spec;

use authferry_core::{Sink, Source};

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
    /// The spec (a password in it masked) could not be opened.
    pub fn open(spec: &str, e: impl std::fmt::Display) -> Self {
        SpecError::Open {
            spec: redact_spec(spec),
            message: e.to_string(),
        }
    }
}

/// Opens a `--from` spec without flags, reading the process environment.
pub fn open_source(spec: &str) -> Result<Box<dyn Source>, SpecError> {
    registry::parse_source(spec, &Settings::from_process_env())?.open()
}

/// Opens a `--to` spec with these flags and environment.
pub fn open_sink(spec: &str, settings: &Settings) -> Result<Box<dyn Sink>, SpecError> {
    registry::parse_target(spec, settings)?.open()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_specs_are_usage_errors() {
        assert!(matches!(open_source("nope:x"), Err(SpecError::Usage(_))));
        assert!(matches!(open_source("clerk-csv"), Err(SpecError::Usage(_))));
        assert!(matches!(
            open_sink("better-auth:mysql://x", &Settings::default()),
            Err(SpecError::Usage(_))
        ));
    }
}
