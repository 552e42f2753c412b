//! `--from clerk-api`: every user of a live Clerk instance, page by page through
//! `GET /v1/users` (500 per page, oldest first, each page after the last id of the one before:
//! the spec's `starting_after` cursor, which neither skips nor repeats a user when others are
//! created or deleted meanwhile), under the same limiter as the Clerk sink.
//!
//! The API never returns password digests or TOTP secrets. `--with-digests clerk-csv:PATH`
//! joins the dashboard's CSV export on the user id to add them (the approach of Clerk's own
//! guide for leaving Clerk): OAuth accounts, metadata and timestamps come from the API,
//! passwords from the CSV. The CSV is indexed once into a private temporary SQLite database
//! (SQLite unlinks it at once and removes it on close), so memory stays bounded by one page.
//!
//! Order is `+created_at`, so users created during the move come last and a resumed run reads
//! the same records in the same order. If users were deleted between a crash and the resume,
//! the positions shift and the engine refuses the journal (`SourceChanged`) rather than
//! guessing.

use super::api::{ApiError, ClerkApi};
use super::api_json::user_from_api_object;
use super::csv::ClerkCsvSource;
use authferry_core::lookup::{Identifier, Lookup, LookupError};
use authferry_core::{PasswordCredential, RecordError, Secret, Source, User};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;
use std::path::Path;

const PAGE: u64 = 500;

pub struct ClerkApiSource {
    api: ClerkApi,
    /// Users read so far (for naming records without a usable id).
    read: u64,
    /// The id of the last user of the last page: the next page's cursor.
    after: Option<String>,
    page: std::vec::IntoIter<Value>,
    done: bool,
    digests: Option<DigestIndex>,
    digests_path: Option<String>,
}

impl ClerkApiSource {
    pub fn open(api: ClerkApi, digests: Option<&Path>) -> Result<Self, String> {
        let index = digests
            .map(|p| {
                DigestIndex::build(p).map_err(|e| format!("--with-digests {}: {e}", p.display()))
            })
            .transpose()?;
        Ok(ClerkApiSource {
            api,
            read: 0,
            after: None,
            page: Vec::new().into_iter(),
            done: false,
            digests: index,
            digests_path: digests.map(|p| p.display().to_string()),
        })
    }

    fn next_page(&mut self) -> Result<(), ApiError> {
        let mut path = format!("/v1/users?limit={PAGE}&order_by=%2Bcreated_at");
        if let Some(after) = &self.after {
            path.push_str("&starting_after=");
            path.push_str(&urlencoding::encode(after));
        }
        let users = match self.api.get_json(&path)? {
            Value::Array(users) => users,
            _ => {
                return Err(ApiError::Failed(
                    "Clerk answered GET /v1/users with something other than a list".into(),
                ));
            }
        };
        self.done = (users.len() as u64) < PAGE;
        match users
            .last()
            .and_then(|u| u.get("id"))
            .and_then(Value::as_str)
        {
            Some(id) => self.after = Some(id.to_string()),
            // Without the last id there is no next page to ask for.
            None if !self.done => {
                return Err(ApiError::Failed(
                    "a page of users ends with a user without an id: cannot ask for the next"
                        .into(),
                ));
            }
            None => {}
        }
        self.page = users.into_iter();
        Ok(())
    }
}

impl Source for ClerkApiSource {
    fn id_space(&self) -> Option<&'static str> {
        Some("clerk")
    }
    fn describe(&self) -> String {
        match &self.digests_path {
            Some(p) => format!(
                "Clerk Backend API at {} (digests from clerk-csv:{p})",
                self.api.base_url()
            ),
            None => format!("Clerk Backend API at {}", self.api.base_url()),
        }
    }

    fn next_user(&mut self) -> Option<Result<User, RecordError>> {
        let value = loop {
            if let Some(v) = self.page.next() {
                break v;
            }
            if self.done {
                return None;
            }
            if let Err(e) = self.next_page() {
                return Some(Err(RecordError::fatal(format!(
                    "listing users after {} of them: {e}",
                    self.read
                ))));
            }
        };
        self.read += 1;
        let position = self.read;
        let mut user = match user_from_api_object(position, &value) {
            Ok(u) => u,
            Err(e) => return Some(Err(e)),
        };
        if let Some(index) = &self.digests
            && let Err(e) = index.fill(&mut user)
        {
            return Some(Err(e));
        }
        Some(Ok(user))
    }
}

/// Clerk users by identity, live: `GET /v1/users?email_address=…` (or `phone_number`,
/// `username`, `user_id`) under the run's rate limiter, with the dashboard CSV's digests when
/// `--with-digests` names it — what the trickle server asks at each sign-in.
pub struct ClerkApiLookup {
    api: ClerkApi,
    digests: Option<DigestIndex>,
}

impl ClerkApiLookup {
    pub fn open(api: ClerkApi, digests: Option<&Path>) -> Result<Self, String> {
        let digests = digests
            .map(|p| {
                DigestIndex::build(p).map_err(|e| format!("--with-digests {}: {e}", p.display()))
            })
            .transpose()?;
        Ok(ClerkApiLookup { api, digests })
    }
}

impl Lookup for ClerkApiLookup {
    fn describe(&self) -> String {
        format!("Clerk Backend API at {}", self.api.base_url())
    }

    fn find(&mut self, identifier: &Identifier) -> Result<Vec<User>, LookupError> {
        let (param, value) = match identifier {
            Identifier::Id(v) => ("user_id", v),
            Identifier::Email(v) => ("email_address", v),
            Identifier::Phone(v) => ("phone_number", v),
            Identifier::Username(v) => ("username", v),
        };
        let found = self
            .api
            .users_where(param, &[value.as_str()])
            .map_err(|e| LookupError::Source(e.to_string()))?;
        found
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let mut user = user_from_api_object(i as u64 + 1, v)
                    .map_err(|e| LookupError::Source(e.to_string()))?;
                if let Some(index) = &self.digests {
                    index
                        .fill(&mut user)
                        .map_err(|e| LookupError::Source(e.to_string()))?;
                }
                Ok(user)
            })
            .collect()
    }
}

/// The dashboard CSV's secrets by user id, in a temporary SQLite database.
struct DigestIndex {
    db: Connection,
}

impl DigestIndex {
    fn build(path: &Path) -> Result<Self, String> {
        let mut csv = ClerkCsvSource::open(path).map_err(|e| e.to_string())?;
        // "" = a private temporary database that SQLite deletes itself.
        let mut db = Connection::open("").map_err(|e| e.to_string())?;
        db.execute_batch(
            "CREATE TABLE secrets (id TEXT PRIMARY KEY, password TEXT, totp TEXT, backup TEXT, unreadable TEXT)",
        )
        .map_err(|e| e.to_string())?;
        let tx = db.transaction().map_err(|e| e.to_string())?;
        {
            let mut insert = tx
                .prepare("INSERT OR REPLACE INTO secrets VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(|e| e.to_string())?;
            while let Some(row) = csv.next_user() {
                let result = match row {
                    Ok(u) => {
                        let password = u
                            .password
                            .as_ref()
                            .map(|p| serde_json::to_string(p).expect("serialisable"));
                        let backup = (!u.backup_codes.is_empty())
                            .then(|| serde_json::to_string(&u.backup_codes).expect("serialisable"));
                        insert.execute(params![
                            u.source_id,
                            password,
                            u.totp_secret.as_ref().map(Secret::expose),
                            backup,
                            None::<String>
                        ])
                    }
                    Err(e) if e.fatal => return Err(e.message),
                    // The API user with this id fails with this reason instead of moving
                    // without the password it had.
                    Err(e) => match &e.source_id {
                        Some(id) => insert.execute(params![
                            id,
                            None::<String>,
                            None::<String>,
                            None::<String>,
                            e.message
                        ]),
                        None => continue,
                    },
                };
                result.map_err(|e| e.to_string())?;
            }
        }
        tx.commit().map_err(|e| e.to_string())?;
        Ok(DigestIndex { db })
    }

    fn fill(&self, user: &mut User) -> Result<(), RecordError> {
        let row = self
            .db
            .query_row(
                "SELECT password, totp, backup, unreadable FROM secrets WHERE id = ?1",
                [&user.source_id],
                |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| RecordError::fatal(format!("digest index: {e}")))?;
        let Some((password, totp, backup, unreadable)) = row else {
            return Ok(());
        };
        if let Some(why) = unreadable {
            return Err(RecordError::invalid(
                Some(user.source_id.clone()),
                Some("password_digest"),
                format!("its row in the --with-digests CSV could not be read: {why}"),
            ));
        }
        if let Some(p) = password {
            let p: PasswordCredential = serde_json::from_str(&p)
                .map_err(|e| RecordError::fatal(format!("digest index: {e}")))?;
            user.password = Some(p);
        }
        if let Some(t) = totp {
            user.totp_secret = Some(Secret::new(t));
        }
        if let Some(b) = backup {
            user.backup_codes = serde_json::from_str(&b)
                .map_err(|e| RecordError::fatal(format!("digest index: {e}")))?;
        }
        Ok(())
    }
}
