//! Better Auth as a target (SQLite and PostgreSQL). (Being written.)

use authferry_core::{
    Existing, Reason, Sink, SinkCapabilities, SinkError, User, WriteItem, WriteOutcome,
};
use std::path::PathBuf;

pub enum BetterAuthTarget {
    Sqlite(PathBuf),
    Postgres(String),
}

pub struct BetterAuthOptions {
    pub secret: Option<String>,
    pub backup_codes_out: Option<PathBuf>,
}

pub struct BetterAuthSink;

impl BetterAuthSink {
    pub fn open(_target: BetterAuthTarget, _opts: BetterAuthOptions) -> Result<Self, SinkError> {
        Err(SinkError::Config("not yet implemented".into()))
    }
}

impl Sink for BetterAuthSink {
    fn describe(&self) -> String {
        "better-auth".into()
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities {
            holds: vec![],
            password_target: "better-auth",
        }
    }
    fn check(&self, _user: &User) -> Result<(), Reason> {
        Ok(())
    }
    fn prepare(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
    fn find_existing(&mut self, users: &[&User]) -> Result<Vec<Option<Existing>>, SinkError> {
        Ok(vec![None; users.len()])
    }
    fn write_batch(&mut self, _batch: &[WriteItem<'_>]) -> Result<Vec<WriteOutcome>, SinkError> {
        Err(SinkError::Config("not yet implemented".into()))
    }
}

/// The ES module `authferry emit better-auth-verify` writes.
pub fn verify_module() -> String {
    String::new()
}
