//! Clerk as a source: the dashboard CSV export, Backend API user JSON, and the migration
//! script's users.json. (Being written.)

use authferry_core::{RecordError, Source, User};
use std::path::Path;

pub struct ClerkCsvSource;
impl ClerkCsvSource {
    pub fn open(_path: &Path) -> std::io::Result<Self> {
        Err(std::io::Error::other("not yet implemented"))
    }
}
impl Source for ClerkCsvSource {
    fn describe(&self) -> String {
        "clerk-csv".into()
    }
    fn next_user(&mut self) -> Option<Result<User, RecordError>> {
        None
    }
}

pub struct ClerkApiJsonSource;
impl ClerkApiJsonSource {
    pub fn open(_path: &Path) -> std::io::Result<Self> {
        Err(std::io::Error::other("not yet implemented"))
    }
}
impl Source for ClerkApiJsonSource {
    fn describe(&self) -> String {
        "clerk-json".into()
    }
    fn next_user(&mut self) -> Option<Result<User, RecordError>> {
        None
    }
}

pub struct ClerkUsersJsonSource;
impl ClerkUsersJsonSource {
    pub fn open(_path: &Path) -> std::io::Result<Self> {
        Err(std::io::Error::other("not yet implemented"))
    }
}
impl Source for ClerkUsersJsonSource {
    fn describe(&self) -> String {
        "clerk-users-json".into()
    }
    fn next_user(&mut self) -> Option<Result<User, RecordError>> {
        None
    }
}
