//! Sources that answer by identity: the trickle server asks one for the user who is signing
//! in (by the email, phone or username typed), a delta asks it by id. A live platform answers
//! from its API or database; an export file is indexed once, when opened
//! ([`IndexedExport`]), and answered from the index.

use crate::model::User;
use crate::traits::Source;
use crate::validate::{normalize_identifier, normalize_phone};
use rusqlite::{Connection, params};
use std::path::PathBuf;

/// What identifies a user: the source's own id, or what a person types at sign-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identifier {
    Id(String),
    Email(String),
    Phone(String),
    Username(String),
}

impl Identifier {
    /// The form two spellings of one identifier share (case and width of emails and
    /// usernames, punctuation of phone numbers), as duplicate detection compares them.
    pub fn normalized(&self) -> (&'static str, String) {
        match self {
            Identifier::Id(v) => ("id", v.clone()),
            Identifier::Email(v) => ("email", normalize_identifier(v)),
            Identifier::Phone(v) => ("phone", normalize_phone(v)),
            Identifier::Username(v) => ("username", normalize_identifier(v)),
        }
    }

    /// Every identifier of `user`.
    pub fn all_of(user: &User) -> Vec<Identifier> {
        let mut out = vec![Identifier::Id(user.source_id.clone())];
        out.extend(
            user.emails
                .iter()
                .map(|e| Identifier::Email(e.address.clone())),
        );
        out.extend(
            user.phones
                .iter()
                .map(|p| Identifier::Phone(p.number.clone())),
        );
        out.extend(
            user.username
                .iter()
                .map(|u| Identifier::Username(u.clone())),
        );
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// The source could not be asked (unreachable, refused); the text says why.
    #[error("{0}")]
    Source(String),
}

/// A source that finds users by identity.
pub trait Lookup: Send {
    /// What is asked (no secrets).
    fn describe(&self) -> String;
    /// The users holding `identifier` — usually one, none when nobody does, several when the
    /// source itself holds duplicates (the caller decides).
    fn find(&mut self, identifier: &Identifier) -> Result<Vec<User>, LookupError>;
}

/// An export file indexed for lookups: every readable record in a private SQLite file (0600,
/// deleted when dropped; it holds what the export holds, digests included), keyed by each of
/// its identifiers. Memory stays bounded by one record whatever the export's size.
pub struct IndexedExport {
    conn: Connection,
    path: PathBuf,
    describe: String,
    /// Records the source could not read (they cannot be found).
    pub unreadable: u64,
    pub users: u64,
}

impl IndexedExport {
    /// Reads `source` to its end into the index.
    pub fn build(mut source: Box<dyn Source>) -> Result<IndexedExport, LookupError> {
        let describe = source.describe();
        let path = crate::io::unique_temp_path("lookup", ".sqlite");
        let err = |e: rusqlite::Error| LookupError::Source(format!("lookup index: {e}"));
        crate::io::precreate_private(&path)
            .map_err(|e| LookupError::Source(format!("lookup index: {e}")))?;
        let conn = Connection::open(&path).map_err(err)?;
        let mut index = IndexedExport {
            conn,
            path,
            describe,
            unreadable: 0,
            users: 0,
        };
        index
            .conn
            .execute_batch(
                "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
                 CREATE TABLE users (n INTEGER PRIMARY KEY, record TEXT NOT NULL);
                 CREATE TABLE keys (kind TEXT NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL);",
            )
            .map_err(err)?;
        let tx = index.conn.transaction().map_err(err)?;
        {
            let mut put_user = tx
                .prepare("INSERT INTO users (n, record) VALUES (?1, ?2)")
                .map_err(err)?;
            let mut put_key = tx
                .prepare("INSERT INTO keys (kind, value, n) VALUES (?1, ?2, ?3)")
                .map_err(err)?;
            let mut n = 0i64;
            while let Some(item) = source.next_user() {
                let user = match item {
                    Ok(u) => u,
                    Err(e) if e.fatal => {
                        return Err(LookupError::Source(format!("{}: {e}", index.describe)));
                    }
                    Err(_) => {
                        index.unreadable += 1;
                        continue;
                    }
                };
                n += 1;
                let record = serde_json::to_string(&user)
                    .map_err(|e| LookupError::Source(format!("lookup index: {e}")))?;
                put_user.execute(params![n, record]).map_err(err)?;
                for id in Identifier::all_of(&user) {
                    let (kind, value) = id.normalized();
                    put_key.execute(params![kind, value, n]).map_err(err)?;
                }
            }
            index.users = n as u64;
        }
        tx.execute_batch("CREATE INDEX keys_by_value ON keys (kind, value);")
            .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(index)
    }
}

impl Drop for IndexedExport {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Lookup for IndexedExport {
    fn describe(&self) -> String {
        format!("{} (indexed)", self.describe)
    }

    fn find(&mut self, identifier: &Identifier) -> Result<Vec<User>, LookupError> {
        let (kind, value) = identifier.normalized();
        let err = |e: rusqlite::Error| LookupError::Source(format!("lookup index: {e}"));
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT u.n, u.record FROM keys k JOIN users u ON u.n = k.n
                 WHERE k.kind = ?1 AND k.value = ?2 ORDER BY u.n",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![kind, value], |r| r.get::<_, String>(1))
            .map_err(err)?;
        let mut out = Vec::new();
        for row in rows {
            let text = row.map_err(err)?;
            out.push(
                serde_json::from_str(&text)
                    .map_err(|e| LookupError::Source(format!("lookup index: {e}")))?,
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EmailAddress, PhoneNumber};
    use crate::outcome::RecordError;

    struct Users(std::vec::IntoIter<Result<User, RecordError>>);
    impl Source for Users {
        fn describe(&self) -> String {
            "test users".into()
        }
        fn next_user(&mut self) -> Option<Result<User, RecordError>> {
            self.0.next()
        }
    }

    fn user(id: &str, email: &str, phone: Option<&str>, username: Option<&str>) -> User {
        User {
            source_id: id.into(),
            emails: vec![EmailAddress {
                address: email.into(),
                verified: true,
                primary: true,
            }],
            phones: phone
                .map(|p| {
                    vec![PhoneNumber {
                        number: p.into(),
                        verified: true,
                        primary: true,
                    }]
                })
                .unwrap_or_default(),
            username: username.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn an_indexed_export_finds_users_by_each_identifier() {
        let users = vec![
            Ok(user(
                "u1",
                "Ada@Example.com",
                Some("+1 555 010 0001"),
                Some("ada"),
            )),
            Err(RecordError {
                source_id: Some("u2".into()),
                field: Some("emails".into()),
                message: "broken".into(),
                fatal: false,
                skip: false,
            }),
            Ok(user("u3", "grace@example.com", None, Some("Grace"))),
            Ok(user("u4", "GRACE@example.com", None, None)),
        ];
        let mut index = IndexedExport::build(Box::new(Users(users.into_iter()))).unwrap();
        assert_eq!((index.users, index.unreadable), (3, 1));
        let ids =
            |found: Vec<User>| -> Vec<String> { found.into_iter().map(|u| u.source_id).collect() };
        let mut find = |i: Identifier| ids(index.find(&i).unwrap());
        assert_eq!(find(Identifier::Email("ada@example.com".into())), ["u1"]);
        assert_eq!(find(Identifier::Phone("+15550100001".into())), ["u1"]);
        assert_eq!(find(Identifier::Username("ADA".into())), ["u1"]);
        assert_eq!(find(Identifier::Id("u3".into())), ["u3"]);
        assert_eq!(
            find(Identifier::Email("grace@EXAMPLE.com".into())),
            ["u3", "u4"],
            "duplicates in the source are all returned"
        );
        assert!(find(Identifier::Email("nobody@example.com".into())).is_empty());
        assert!(find(Identifier::Id("u2".into())).is_empty(), "unreadable");
        let path = index.path.clone();
        assert!(path.exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        drop(index);
        assert!(!path.exists(), "the index is deleted with the lookup");
    }
}
