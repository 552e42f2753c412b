//! Auth0 as a source: `--from auth0:PATH [--with-password-hashes FILE]`.
//!
//! People leaving Auth0 hold two files:
//!
//! * **The user export** (`auth0:PATH`): what the `POST /api/v2/jobs/users-exports` job writes
//!   with `"format": "json"` — NDJSON, one user object a line, with the fields the job asked for
//!   (`user_id`, `email`, `email_verified`, `username`, `phone_number`, `phone_verified`,
//!   `given_name`, `family_name`, `name`, `nickname`, `picture`, `created_at`, `updated_at`,
//!   `last_login`, `last_password_reset`, `blocked`, `identities[]` of `{provider, user_id,
//!   connection, isSocial, profileData}`, `app_metadata`, `user_metadata`). Auth0 delivers it
//!   gzip-compressed (`.json.gz`): it is read once decompressed, and a compressed file is refused
//!   with that advice. It is streamed: memory stays bounded by one line whatever its size.
//! * **The password-hash export** (`--with-password-hashes FILE`), which Auth0 support provides
//!   on request, PGP-encrypted, for database connections: NDJSON again, one object per database
//!   user, `{"_id": {"$oid": …}, "email", "email_verified", "passwordHash": "$2b$10$…",
//!   "password_set_date": {"$date": …}, "tenant", "connection", …}`, with `alt_id` when the id
//!   was chosen (a custom database or the Management API). Per Auth0's support article on that
//!   export, the user's id is `auth0|<alt_id>` when `alt_id` is present, else `auth0|<_id.$oid>`.
//!
//! ## The join
//!
//! The id a hash entry carries is the id of the user's **database identity**
//! (`identities[].user_id` where `provider` is `auth0`), which is also the user's `user_id`
//! without its `auth0|` prefix when the database identity is the primary one. A user whose
//! primary identity is social (`google-oauth2|…`) with a database account linked to it keeps the
//! linked account's password under the linked identity's id, so the join reads the identities,
//! not the root `user_id` (an export without `identities` falls back to `auth0|<id>` user ids).
//! The connection narrows it when both files name one (`alt_id`s are chosen per connection).
//!
//! The hash export is read whole before the first user, into a map of id → digest: the user
//! export is in Auth0's order, the hash export in another, and the join must find any user's
//! entry at once. Only what the join needs is kept — the id, the digest, its date, the
//! connection (interned), the entry's number — about 200 bytes an entry (a million database
//! users: about 200 MB); the source's description states the figure for the file given.
//! Entries are marked as their user claims them.
//!
//! What a migrating team expects, and what happens:
//!
//! * A database user with an entry: moves with the digest as a `bcrypt` password (Auth0
//!   stores bcrypt, `$2b$10$`). The hasher is declared, so a digest that is not bcrypt fails the
//!   record with the reason (the hasher-name contract; never guessed from its shape).
//! * A database user without an entry, with `--with-password-hashes`: fails, naming the likely
//!   causes (the hash export is older than the user, or covers other connections). Moving them
//!   silently without their password would lock them out of the password they know; a second
//!   run without the flag moves such users without a password when that is what is wanted.
//! * An entry whose digest predates the user's `last_password_reset`: fails. That digest is an
//!   old password the user replaced (perhaps because it leaked); it must not sign them in again.
//! * An entry no user claims (a user deleted since, or an export of other connections): after
//!   the last user, one failed record each, naming the entry and its id, so that the report
//!   lists every password the migration did not carry. Lines of the hash export that cannot
//!   be read are reported the same way.
//!
//! ## The mapping
//!
//! `user_id` is kept whole as the source id (`auth0|…`, `google-oauth2|…`): the application's
//! foreign keys hold it. `blocked` is `banned`. `email`/`email_verified` and
//! `phone_number`/`phone_verified` are the primary email and phone. `given_name`/`family_name`
//! are the first and last name; `name` is the display name unless it is just the email (Auth0
//! fills it with the email when a database signup gave none), else `nickname` unless it is just
//! the email's local part (Auth0's default for it). `picture` is the image. `last_login` is the
//! last sign-in.
//!
//! Metadata: `app_metadata` is the application's own (set through the Management API, never by
//! the user; roles, plans, flags that grant access), so it becomes **private** metadata — not
//! public, which a target may show to the user's browser, and not user-editable. `user_metadata`
//! is what the user may change themselves (preferences, profile extras), so it becomes
//! **unsafe** metadata, the user-editable kind: treating it as trusted would let users grant
//! themselves whatever the application reads from it.
//!
//! Identities: social ones (`isSocial: true`) become external accounts under the provider's
//! common name (`google-oauth2` → `google`, `windowslive` → `microsoft`; `github`, `apple`,
//! `facebook`, `twitter`, `linkedin` as they are; a custom social connection, provider
//! `oauth2`, under its connection's name; other providers keep theirs). The database identity
//! (`auth0`) is the password user. Passwordless identities (`sms`, `email`) need nothing
//! more than the phone or email already moved. Enterprise identities (SAML, OIDC, AD…) are not
//! linked: the target's single sign-on has its own provider ids, configured there.

use crate::SpecError;
use crate::registry::{Endpoint, Flag, Platform, SourcePlan, Spec};
use crate::shared::parse_date_text;
use authferry_core::io::{ByteProgress, JsonItem, JsonItems, open_counted};
use authferry_core::{
    EmailAddress, ExternalAccount, PasswordCredential, PhoneNumber, RecordError, Secret, Source,
    Timestamp, User,
};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// `auth0:PATH [--with-password-hashes FILE]`.
pub const PLATFORM: Platform = Platform {
    name: "Auth0",
    endpoints: &[Endpoint {
        flags: &[&WITH_PASSWORD_HASHES],
        fields: {
            use authferry_core::Field::*;
            &[
                PrimaryEmail,
                PrimaryPhone,
                Username,
                FirstName,
                LastName,
                DisplayName,
                ImageUrl,
                Password,
                ExternalAccounts,
                PrivateMetadata,
                UnsafeMetadata,
                CreatedAt,
                UpdatedAt,
                LastSignInAt,
                Banned,
            ]
        },
        formats: &[authferry_hash::Format::Bcrypt],
        ..Endpoint::source(
            "auth0",
            &["auth0:PATH"],
            // The metadata mapping is said here because it decides who may change what; the
            // reasoning is in the module's documentation.
            "Auth0 user export (NDJSON); app_metadata→private, user_metadata→unsafe",
            parse_source,
        )
    }],
};

pub static WITH_PASSWORD_HASHES: Flag = Flag::new(
    "with-password-hashes",
    "FILE",
    "`auth0:` source: the password-hash export from Auth0 support (NDJSON, decrypted), joined \
     on the database identity's id to give users their bcrypt passwords; a database user \
     without an entry fails, an entry without a user is reported",
);

/// `--from auth0:PATH`, parsed.
#[derive(Debug)]
struct Auth0Plan {
    export: PathBuf,
    hashes: Option<PathBuf>,
}

fn parse_source(spec: &Spec<'_>) -> Result<Box<dyn SourcePlan>, SpecError> {
    let hashes = match spec.flag(WITH_PASSWORD_HASHES.name) {
        Some(p) if p.trim().is_empty() => {
            return Err(SpecError::Usage(
                "--with-password-hashes needs the path of the password-hash export".into(),
            ));
        }
        Some(p) => Some(PathBuf::from(p)),
        None => None,
    };
    Ok(Box::new(Auth0Plan {
        export: spec.path(),
        hashes,
    }))
}

impl SourcePlan for Auth0Plan {
    fn open(&self) -> Result<Box<dyn Source>, SpecError> {
        Auth0Source::open(&self.export, self.hashes.as_deref())
            .map(|s| Box::new(s) as Box<dyn Source>)
            .map_err(|e| SpecError::open(&format!("auth0:{}", self.export.display()), e))
    }
}

// ---------------------------------------------------------------------------------------------
// The source

/// `--from auth0:PATH`: the user export, streamed, joined with the password-hash export.
pub struct Auth0Source {
    description: String,
    items: JsonItems<Value>,
    progress: ByteProgress,
    /// Records read so far (numbers records that have no usable id).
    position: u64,
    hashes: Option<HashIndex>,
    /// After the export's last user: what the hash export holds that no user claimed.
    leftovers: Option<std::vec::IntoIter<RecordError>>,
}

impl fmt::Debug for Auth0Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth0Source")
            .field("description", &self.description)
            .field("position", &self.position)
            .field("hashes", &self.hashes)
            .finish_non_exhaustive()
    }
}

impl Auth0Source {
    /// Opens the user export and reads the password-hash export, when given, whole.
    pub fn open(export: &Path, hashes: Option<&Path>) -> io::Result<Self> {
        check_readable_json(export, "the user export")?;
        let index = hashes
            .map(|p| {
                HashIndex::load(p).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("--with-password-hashes {}: {e}", p.display()),
                    )
                })
            })
            .transpose()?;
        let (reader, progress) = open_counted(export)?;
        let mut description = format!("auth0:{} (Auth0 user export)", export.display());
        if let (Some(p), Some(index)) = (hashes, &index) {
            description.push_str(&format!(
                ", password hashes from {} ({} entries, about {} held in memory)",
                p.display(),
                index.entries_read,
                human_bytes(index.memory_estimate())
            ));
        }
        Ok(Auth0Source {
            description,
            items: JsonItems::new(reader, None),
            progress,
            position: 0,
            hashes: index,
            leftovers: None,
        })
    }

    fn read_user(&mut self, value: &Value) -> Result<User, RecordError> {
        let record = user_from_export(self.position, value)?;
        let mut user = record.user;
        let (Some(index), Some(db)) = (self.hashes.as_mut(), record.database) else {
            return Ok(user);
        };
        let id = user.source_id.clone();
        let fail = |message: String| {
            Err(RecordError::invalid(
                Some(id.clone()),
                Some("passwordHash"),
                message,
            ))
        };
        let connection = db
            .connection
            .as_deref()
            .map(|c| format!(" (connection {c})"))
            .unwrap_or_default();
        match index.claim(&db.id, db.connection.as_deref()) {
            Claim::Digest {
                digest,
                set_at,
                entry,
            } => {
                // A reset after the digest was set: the export holds a password the user
                // replaced. A second of slack for the two clocks' rounding.
                if let (Some(reset), Some(set)) = (record.last_password_reset, set_at)
                    && reset.millis() > set.millis() + 1000
                {
                    return fail(format!(
                        "the password-hash export (entry {entry}) holds the password set on {}, \
                         but the user reset it on {} (last_password_reset): that digest is an \
                         old password and must not sign them in; request a newer hash export",
                        set.to_rfc3339(),
                        reset.to_rfc3339()
                    ));
                }
                // Auth0 stores bcrypt. Declared, so that anything else fails the record with
                // the reason instead of being taken for whatever its shape suggests.
                user.password = Some(PasswordCredential {
                    hasher: Some("bcrypt".into()),
                    digest: Secret::new(digest),
                    params: Default::default(),
                });
                Ok(user)
            }
            Claim::Unreadable { entry, why } => fail(format!(
                "its entry in the password-hash export (entry {entry}) cannot be read: {why}"
            )),
            Claim::Duplicate { first, second } => fail(format!(
                "the password-hash export has two entries for this user (entries {first} and \
                 {second}): which password is current cannot be told"
            )),
            Claim::AlreadyClaimed { entry } => fail(format!(
                "its entry in the password-hash export (entry {entry}) already went to an \
                 earlier record of the user export with the same database identity"
            )),
            Claim::Ambiguous { connections } => fail(format!(
                "the password-hash export has entries for database id {} in several \
                 connections ({}) and the user export does not say which is this user's \
                 (export the identities field)",
                db.id,
                connections.join(", ")
            )),
            Claim::None => fail(format!(
                "database user{connection} with no entry in the password-hash export: moving \
                 them would lose the password they know. The hash export is older than this \
                 user, or covers other connections; request a newer one, or run without \
                 --with-password-hashes to move such users without a password"
            )),
        }
    }
}

impl Source for Auth0Source {
    fn id_space(&self) -> Option<&'static str> {
        Some("auth0")
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn next_user(&mut self) -> Option<Result<User, RecordError>> {
        if let Some(rest) = self.leftovers.as_mut() {
            return rest.next().map(Err);
        }
        match self.items.next() {
            Some(JsonItem::Item(value)) => {
                self.position += 1;
                Some(self.read_user(&value))
            }
            // Only a line that is not JSON at all comes here (every JSON value is a `Value`);
            // the message says which line, and never quotes it.
            Some(JsonItem::Invalid(_, message, _)) => {
                self.position += 1;
                Some(Err(RecordError::invalid(
                    None,
                    None,
                    crate::shared::redact_serde(&message),
                )))
            }
            Some(JsonItem::Fatal(message)) => Some(Err(RecordError::fatal(
                crate::shared::redact_serde(&message),
            ))),
            None => {
                let rest = self
                    .hashes
                    .as_mut()
                    .map(HashIndex::unclaimed)
                    .unwrap_or_default();
                let mut rest = rest.into_iter();
                let first = rest.next();
                self.leftovers = Some(rest);
                first.map(Err)
            }
        }
    }

    fn progress(&self) -> Option<ByteProgress> {
        Some(self.progress.clone())
    }
}

/// Refuses, before any reading, a file that cannot be the JSON export: Auth0 delivers the user
/// export gzip-compressed and the hash export PGP-encrypted, and a `csv` export job gives CSV.
/// An empty file passes (no users).
fn check_readable_json(path: &Path, what: &str) -> io::Result<()> {
    let mut head = Vec::with_capacity(512);
    std::fs::File::open(path)?
        .take(512)
        .read_to_end(&mut head)?;
    let invalid = |msg: String| Err(io::Error::new(io::ErrorKind::InvalidData, msg));
    if head.starts_with(&[0x1f, 0x8b]) {
        return invalid(format!(
            "{what} is gzip-compressed (Auth0 delivers exports as .json.gz): decompress it first \
             (gunzip)"
        ));
    }
    if head.starts_with(b"-----BEGIN PGP") {
        return invalid(format!(
            "{what} is PGP-encrypted: decrypt it first (gpg --decrypt)"
        ));
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        None | Some(b'{') | Some(b'[') => Ok(()),
        // OpenPGP's binary packets start with a byte that has its high bit set.
        Some(b) if *b >= 0x80 => invalid(format!(
            "{what} is not text (a PGP-encrypted file must be decrypted first: gpg --decrypt)"
        )),
        Some(_) => invalid(format!(
            "{what} does not start with a JSON object: expected NDJSON, one object a line (the \
             users-exports job's \"json\" format; its \"csv\" format cannot be read)"
        )),
    }
}

fn human_bytes(bytes: u64) -> String {
    if bytes < 1 << 20 {
        format!("{} KiB", bytes.div_ceil(1024))
    } else {
        format!("{} MiB", bytes.div_ceil(1 << 20))
    }
}

// ---------------------------------------------------------------------------------------------
// The password-hash export

/// The hash export's entries by database id: only what the join needs.
struct HashIndex {
    /// Connection names, interned (a handful for a whole tenant).
    connections: Vec<Box<str>>,
    entries: HashMap<Box<str>, HashEntry>,
    /// Lines that could not be read at all (no id to file them under), reported after the last
    /// user: the first [`KEPT_UNREADABLE`], and how many more.
    unreadable: Vec<(u64, String)>,
    unreadable_more: u64,
    /// Entries read (lines holding JSON), for the description.
    entries_read: u64,
    /// Bytes of ids and digests held, for the memory estimate.
    text_bytes: u64,
}

/// Unreadable hash-export lines listed one by one; more are counted.
const KEPT_UNREADABLE: usize = 1000;

/// One entry of the hash export. Holds a digest: no `Debug`.
struct HashEntry {
    connection: u32,
    /// Its number in the file (the n-th entry), for reasons.
    entry: u32,
    set_at: Option<Timestamp>,
    slot: Slot,
    /// Another entry with the same id in another connection (`alt_id`s are chosen per
    /// connection); rare, so a chain.
    other: Option<Box<HashEntry>>,
}

enum Slot {
    Digest(Box<str>),
    /// The entry has an id but no usable digest: why.
    Unreadable(Box<str>),
    /// A second entry with the same id and connection (its number).
    Duplicate(u32),
    /// A user took it.
    Claimed,
}

/// What the join found for a user.
enum Claim {
    Digest {
        digest: String,
        set_at: Option<Timestamp>,
        entry: u32,
    },
    Unreadable {
        entry: u32,
        why: String,
    },
    Duplicate {
        first: u32,
        second: u32,
    },
    AlreadyClaimed {
        entry: u32,
    },
    Ambiguous {
        connections: Vec<String>,
    },
    None,
}

impl fmt::Debug for HashIndex {
    /// Counts only: the entries hold digests.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashIndex")
            .field("connections", &self.connections)
            .field("entries", &self.entries.len())
            .field(
                "unreadable",
                &(self.unreadable.len() as u64 + self.unreadable_more),
            )
            .finish()
    }
}

impl HashIndex {
    fn load(path: &Path) -> io::Result<HashIndex> {
        check_readable_json(path, "the password-hash export")?;
        let (reader, _) = open_counted(path)?;
        let mut index = HashIndex {
            connections: Vec::new(),
            entries: HashMap::new(),
            unreadable: Vec::new(),
            unreadable_more: 0,
            entries_read: 0,
            text_bytes: 0,
        };
        let mut position = 0u32;
        for item in JsonItems::<Value>::new(reader, None) {
            position = position.saturating_add(1);
            match item {
                JsonItem::Item(value) => {
                    index.entries_read += 1;
                    index.add(position, &value);
                }
                JsonItem::Invalid(_, message, _) => {
                    index.note_unreadable(position, crate::shared::redact_serde(&message))
                }
                JsonItem::Fatal(message) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        crate::shared::redact_serde(&message),
                    ));
                }
            }
        }
        Ok(index)
    }

    fn note_unreadable(&mut self, entry: u32, message: String) {
        if self.unreadable.len() < KEPT_UNREADABLE {
            self.unreadable.push((entry as u64, message));
        } else {
            self.unreadable_more += 1;
        }
    }

    /// Files one entry; an entry without an id is noted as unreadable (no user can claim it).
    fn add(&mut self, number: u32, value: &Value) {
        let Value::Object(object) = value else {
            return self.note_unreadable(
                number,
                format!(
                    "entry {number}: expected an object, found {}",
                    kind_of(value)
                ),
            );
        };
        let fields = Fields::new(object);
        let id = match hash_entry_id(&fields) {
            Ok(Some(id)) => id,
            Ok(None) => {
                return self.note_unreadable(
                    number,
                    format!(
                        "entry {number} has neither `alt_id` nor `_id`: no user can be found for it"
                    ),
                );
            }
            Err(e) => return self.note_unreadable(number, format!("entry {number}: {e}")),
        };
        let connection = match fields.text("connection") {
            Ok(c) => self.intern(c.as_deref().unwrap_or("")),
            Err(e) => {
                return self.note_unreadable(number, format!("entry {number} ({id}): {e}"));
            }
        };
        let slot = match fields.get("passwordHash") {
            Some(Value::String(s)) if !s.trim().is_empty() => {
                self.text_bytes += s.trim().len() as u64;
                Slot::Digest(s.trim().into())
            }
            Some(Value::String(_)) => Slot::Unreadable("its `passwordHash` is empty".into()),
            None => Slot::Unreadable("it has no `passwordHash`".into()),
            Some(other) => Slot::Unreadable(
                format!("its `passwordHash` is {}, not text", kind_of(other)).into(),
            ),
        };
        // A date that cannot be read only loses the staleness check.
        let set_at = fields.date("password_set_date").ok().flatten();
        let entry = HashEntry {
            connection,
            entry: number,
            set_at,
            slot,
            other: None,
        };
        self.text_bytes += id.len() as u64;
        match self.entries.get_mut(id.as_str()) {
            None => {
                self.entries.insert(id.into_boxed_str(), entry);
            }
            Some(head) => {
                let mut node = head;
                loop {
                    if node.connection == connection {
                        // Two entries for one account: neither can be trusted to be current.
                        node.slot = Slot::Duplicate(number);
                        return;
                    }
                    if node.other.is_none() {
                        node.other = Some(Box::new(entry));
                        return;
                    }
                    node = node.other.as_deref_mut().expect("checked above");
                }
            }
        }
    }

    fn intern(&mut self, connection: &str) -> u32 {
        match self.connections.iter().position(|c| &**c == connection) {
            Some(i) => i as u32,
            None => {
                self.connections.push(connection.into());
                (self.connections.len() - 1) as u32
            }
        }
    }

    fn connection_name(&self, index: u32) -> &str {
        self.connections
            .get(index as usize)
            .map(|c| &**c)
            .unwrap_or("")
    }

    /// A rough figure of what the index holds: per entry the map's slot, the entry, two heap
    /// allocations and their allocator overhead, plus the text itself.
    fn memory_estimate(&self) -> u64 {
        let per_entry =
            (std::mem::size_of::<Box<str>>() + std::mem::size_of::<HashEntry>()) as u64 * 8 / 7
                + 2 * 16;
        self.entries.len() as u64 * per_entry + self.text_bytes
    }

    /// The entry of database id `id` for a user of `connection` (when the export says), marked
    /// as claimed. An entry of another named connection is another account; an entry or user
    /// without a connection matches when it is the only candidate.
    fn claim(&mut self, id: &str, connection: Option<&str>) -> Claim {
        let wanted = connection.and_then(|c| {
            self.connections
                .iter()
                .position(|n| &**n == c)
                .map(|i| i as u32)
        });
        let unnamed = self
            .connections
            .iter()
            .position(|n| n.is_empty())
            .map(|i| i as u32);
        let names: Vec<String> = self.connections.iter().map(|c| c.to_string()).collect();
        let Some(head) = self.entries.get_mut(id) else {
            return Claim::None;
        };
        // Candidates: the exact connection if there is one; else entries without a connection,
        // or every entry when the user's connection is not known. Found by position in the
        // chain first, then taken mutably.
        let mut exact = None;
        let mut loose: Vec<(usize, u32)> = Vec::new();
        let mut node = Some(&*head);
        let mut at = 0;
        while let Some(n) = node {
            if wanted.is_some() && Some(n.connection) == wanted {
                exact = Some(at);
            } else if connection.is_none() || Some(n.connection) == unnamed {
                loose.push((at, n.connection));
            }
            node = n.other.as_deref();
            at += 1;
        }
        let at = match (exact, loose.as_slice()) {
            (Some(at), _) => at,
            (None, [(at, _)]) => *at,
            (None, []) => return Claim::None,
            (None, many) => {
                return Claim::Ambiguous {
                    connections: many
                        .iter()
                        .map(|(_, c)| match names.get(*c as usize) {
                            Some(name) if !name.is_empty() => name.clone(),
                            _ => "(none)".to_string(),
                        })
                        .collect(),
                };
            }
        };
        let mut found = head;
        for _ in 0..at {
            found = found.other.as_deref_mut().expect("walked above");
        }
        let entry = found.entry;
        // Claimed whatever it held: the digest's memory goes, and the entry is not reported as
        // unclaimed at the end.
        match std::mem::replace(&mut found.slot, Slot::Claimed) {
            Slot::Digest(digest) => Claim::Digest {
                digest: digest.into(),
                set_at: found.set_at,
                entry,
            },
            Slot::Unreadable(why) => Claim::Unreadable {
                entry,
                why: why.into(),
            },
            Slot::Duplicate(second) => Claim::Duplicate {
                first: entry,
                second,
            },
            Slot::Claimed => Claim::AlreadyClaimed { entry },
        }
    }

    /// After the last user: every entry no user claimed and every line that could not be read,
    /// as failed records in the file's order, and the index emptied.
    fn unclaimed(&mut self) -> Vec<RecordError> {
        let mut found: Vec<(u64, String)> = Vec::new();
        for (id, head) in std::mem::take(&mut self.entries) {
            let mut node = Some(head);
            while let Some(mut n) = node {
                node = n.other.take().map(|b| *b);
                if matches!(n.slot, Slot::Claimed) {
                    continue;
                }
                let connection = match self.connection_name(n.connection) {
                    "" => String::new(),
                    c => format!(", connection {c}"),
                };
                found.push((
                    n.entry as u64,
                    format!(
                        "password-hash export entry {} (database id {id}{connection}) belongs to \
                         no user of the user export: that user is not migrated. The user export \
                         is older than the hash export or was taken for other connections, or \
                         the user was deleted since",
                        n.entry
                    ),
                ));
            }
        }
        found.extend(std::mem::take(&mut self.unreadable).into_iter().map(|(n, why)| {
            (
                n,
                format!(
                    "password-hash export: {why}; if it was a user's, that user fails for want of an entry"
                ),
            )
        }));
        found.sort_by_key(|(n, _)| *n);
        let mut out: Vec<RecordError> = found
            .into_iter()
            .map(|(_, message)| RecordError::invalid(None, Some("passwordHash"), message))
            .collect();
        if self.unreadable_more > 0 {
            out.push(RecordError::invalid(
                None,
                Some("passwordHash"),
                format!(
                    "password-hash export: {} more lines cannot be read (the first {KEPT_UNREADABLE} are listed)",
                    self.unreadable_more
                ),
            ));
        }
        out
    }
}

/// The id a hash entry files under: `alt_id` when present (a chosen id), else `_id.$oid`
/// (or `_id` as plain text, as some tools rewrite it).
fn hash_entry_id(fields: &Fields<'_>) -> Result<Option<String>, RecordError> {
    if let Some(alt) = fields.id_text("alt_id")? {
        return Ok(Some(alt));
    }
    match fields.get("_id") {
        None => Ok(None),
        Some(Value::Object(oid)) => Fields::new(oid).at("_id").text("$oid"),
        Some(_) => fields.id_text("_id"),
    }
}

// ---------------------------------------------------------------------------------------------
// One user of the export

/// A user of the export, and what the join needs.
struct ExportedUser {
    user: User,
    /// The database identity, when the user has one.
    database: Option<DatabaseIdentity>,
    last_password_reset: Option<Timestamp>,
}

struct DatabaseIdentity {
    /// Its id: what the hash export files the digest under.
    id: String,
    connection: Option<String>,
}

/// The common names of Auth0's social providers. Others keep Auth0's name.
fn provider_name(provider: &str, connection: Option<&str>) -> String {
    match provider {
        "google-oauth2" => "google".into(),
        "windowslive" => "microsoft".into(),
        // A custom social connection: its provider is the generic `oauth2`, its connection
        // names the service.
        "oauth2" => connection.unwrap_or(provider).to_string(),
        other => other.to_string(),
    }
}

/// Providers that are social when an export has no `isSocial`.
const SOCIAL: &[&str] = &[
    "google-oauth2",
    "github",
    "windowslive",
    "apple",
    "facebook",
    "twitter",
    "linkedin",
    "oauth2",
    "bitbucket",
    "amazon",
    "dropbox",
    "paypal",
    "salesforce",
    "yahoo",
    "box",
    "line",
    "vkontakte",
    "weibo",
    "baidu",
    "instagram",
];

fn user_from_export(position: u64, value: &Value) -> Result<ExportedUser, RecordError> {
    let Value::Object(object) = value else {
        return Err(RecordError::invalid(
            None,
            None,
            format!(
                "record {position}: expected a user object, found {}",
                kind_of(value)
            ),
        ));
    };
    let source_id = Fields::new(object).text("user_id")?.ok_or_else(|| {
        RecordError::invalid(
            None,
            Some("user_id"),
            format!("record {position} has no user_id"),
        )
    })?;
    let user = Fields::new(object).with_source_id(&source_id);

    let email = user.text("email")?;
    let email_verified = user.flag("email_verified")?.unwrap_or(false);
    let mut emails = Vec::new();
    if let Some(address) = &email {
        emails.push(EmailAddress {
            address: address.clone(),
            verified: email_verified,
            primary: true,
        });
    }
    let mut phones = Vec::new();
    if let Some(number) = user.text("phone_number")? {
        phones.push(PhoneNumber {
            number,
            verified: user.flag("phone_verified")?.unwrap_or(false),
            primary: true,
        });
    }

    let mut database = None;
    let mut external_accounts = Vec::new();
    let identities = user.list("identities")?;
    for (i, item) in identities.iter().enumerate() {
        let identity = user.nested("identities", i, item)?;
        let provider = identity.text("provider")?.ok_or_else(|| {
            identity.error(
                "provider",
                "missing: which sign-in method this is cannot be told",
            )
        })?;
        let connection = identity.text("connection")?;
        let social = identity
            .flag("isSocial")?
            .unwrap_or_else(|| SOCIAL.contains(&provider.as_str()));
        if provider == "auth0" {
            // The first database identity: the primary one when it is, else the linked one.
            if database.is_none() {
                let id = identity.id_text("user_id")?.ok_or_else(|| {
                    identity.error(
                        "user_id",
                        "missing: the password-hash export cannot be joined without it",
                    )
                })?;
                database = Some(DatabaseIdentity { id, connection });
            }
            continue;
        }
        if !social {
            // Passwordless (`sms`, `email`) or enterprise: see the module's documentation.
            continue;
        }
        // Without the provider's id for the user the link cannot be made again, and dropping
        // it silently would lock the user out of that sign-in method.
        let provider_user_id = identity.id_text("user_id")?.ok_or_else(|| {
            identity.error(
                "user_id",
                "missing: the sign-in link cannot be made again without it",
            )
        })?;
        // A custom social connection's identity id is `<connection>|<id>`; the service knows
        // the user by `<id>`.
        let provider_user_id = match (provider.as_str(), connection.as_deref()) {
            ("oauth2", Some(c)) => provider_user_id
                .strip_prefix(&format!("{c}|"))
                .map(str::to_owned)
                .unwrap_or(provider_user_id),
            _ => provider_user_id,
        };
        // The primary identity's profile is the user's root profile; a linked one carries its
        // own in `profileData`.
        let profile_email = match identity.get("profileData") {
            Some(Value::Object(profile)) => Fields::new(profile)
                .with_source_id(&source_id)
                .at(&identity.field_path("profileData"))
                .text("email")?,
            Some(other) => {
                return Err(identity.error(
                    "profileData",
                    format!("expected an object, found {}", kind_of(other)),
                ));
            }
            None => None,
        };
        external_accounts.push(ExternalAccount {
            provider: provider_name(&provider, connection.as_deref()),
            provider_user_id,
            email: profile_email.or_else(|| (i == 0).then(|| email.clone()).flatten()),
            scopes: Vec::new(),
            created_at: None,
            updated_at: None,
        });
    }
    // An export that did not ask for `identities`: the user id says the primary identity's
    // provider (`auth0|…`, `google-oauth2|…`).
    if identities.is_empty()
        && let Some((provider, id)) = source_id.split_once('|')
        && !id.is_empty()
    {
        if provider == "auth0" {
            database = Some(DatabaseIdentity {
                id: id.to_string(),
                connection: None,
            });
        } else if SOCIAL.contains(&provider) {
            let (connection, id) = match (provider, id.split_once('|')) {
                ("oauth2", Some((connection, rest))) => (Some(connection), rest),
                _ => (None, id),
            };
            external_accounts.push(ExternalAccount {
                provider: provider_name(provider, connection),
                provider_user_id: id.to_string(),
                email: email.clone(),
                scopes: Vec::new(),
                created_at: None,
                updated_at: None,
            });
        }
    }

    // Auth0 fills `name` with the email and `nickname` with its local part when a signup gave
    // neither: those are not names anyone chose.
    let local_part = email
        .as_deref()
        .and_then(|e| e.split('@').next())
        .map(str::to_owned);
    let display_name = user
        .text("name")?
        .filter(|n| Some(n) != email.as_ref())
        .or(user
            .text("nickname")?
            .filter(|n| Some(n) != local_part.as_ref() && Some(n) != email.as_ref()));

    Ok(ExportedUser {
        user: User {
            emails,
            phones,
            username: user.text("username")?,
            first_name: user.text("given_name")?,
            last_name: user.text("family_name")?,
            display_name,
            image_url: user.text("picture")?,
            external_accounts,
            // The application's own data, never the user's to change: private.
            private_metadata: user.metadata("app_metadata")?,
            // The user's own, editable by them: unsafe (never trusted for access).
            unsafe_metadata: user.metadata("user_metadata")?,
            created_at: user.date("created_at")?,
            updated_at: user.date("updated_at")?,
            last_sign_in_at: user.date("last_login")?,
            banned: user.flag("blocked")?.unwrap_or(false),
            source_id: source_id.clone(),
            ..Default::default()
        },
        database,
        last_password_reset: user.date("last_password_reset")?,
    })
}

// ---------------------------------------------------------------------------------------------
// Reading fields by name

/// One JSON object of a record (the record, or an object nested in it), read by field name
/// so that a value that cannot be read names its record and field (`identities[1].user_id`),
/// and never what the value was.
struct Fields<'a> {
    object: &'a Map<String, Value>,
    source_id: Option<&'a str>,
    /// Where `object` sits in the record: empty for the record itself.
    path: String,
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl<'a> Fields<'a> {
    fn new(object: &'a Map<String, Value>) -> Self {
        Fields {
            object,
            source_id: None,
            path: String::new(),
        }
    }

    fn with_source_id(mut self, source_id: &'a str) -> Self {
        self.source_id = Some(source_id);
        self
    }

    fn at(mut self, path: &str) -> Self {
        self.path = path.to_owned();
        self
    }

    fn field_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn error(&self, key: &str, message: impl Into<String>) -> RecordError {
        RecordError::invalid(
            self.source_id.map(str::to_owned),
            Some(&self.field_path(key)),
            message,
        )
    }

    fn expected(&self, key: &str, what: &str, found: &Value) -> RecordError {
        self.error(key, format!("expected {what}, found {}", kind_of(found)))
    }

    /// The value of `key`; absent and `null` are `None`.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.object.get(key).filter(|v| !v.is_null())
    }

    /// Text, trimmed; absent, `null` and blank are `None`.
    fn text(&self, key: &str) -> Result<Option<String>, RecordError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => {
                let s = s.trim();
                Ok((!s.is_empty()).then(|| s.to_owned()))
            }
            Some(other) => Err(self.expected(key, "text", other)),
        }
    }

    /// An identifier: text, or a whole number (GitHub's ids are numbers in `identities`).
    fn id_text(&self, key: &str) -> Result<Option<String>, RecordError> {
        match self.get(key) {
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
            Some(other @ Value::Number(_)) => {
                Err(self.expected(key, "text or a whole number", other))
            }
            _ => self.text(key),
        }
    }

    fn flag(&self, key: &str) -> Result<Option<bool>, RecordError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.expected(key, "true or false", other)),
        }
    }

    /// A date: RFC 3339 text (the export), a number of (milli)seconds, or MongoDB's extended
    /// JSON `{"$date": …}` (the hash export).
    fn date(&self, key: &str) -> Result<Option<Timestamp>, RecordError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => parse_date_text(s).map(Some).ok_or_else(|| {
                self.error(
                    key,
                    "not a date (expected RFC 3339 text, e.g. 2024-01-15T10:00:00.000Z)",
                )
            }),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(|n| Some(Timestamp::from_number(n)))
                .ok_or_else(|| self.error(key, "expected a whole number of milliseconds")),
            Some(Value::Object(o)) if o.contains_key("$date") => Fields::new(o)
                .with_source_id_of(self)
                .at(&self.field_path(key))
                .date("$date"),
            Some(other) => Err(self.expected(key, "a date", other)),
        }
    }

    fn with_source_id_of(mut self, other: &Fields<'a>) -> Self {
        self.source_id = other.source_id;
        self
    }

    /// Metadata: whatever JSON the field holds (Auth0 keeps objects); `null` is none.
    fn metadata(&self, key: &str) -> Result<Option<Value>, RecordError> {
        Ok(self.get(key).cloned())
    }

    /// A list: absent and `null` are empty.
    fn list(&self, key: &str) -> Result<&'a [Value], RecordError> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(self.expected(key, "a list", other)),
        }
    }

    /// The `index`th object of the list under `key`, as fields of its own.
    fn nested(&self, key: &str, index: usize, item: &'a Value) -> Result<Fields<'a>, RecordError> {
        let path = self.field_path(&format!("{key}[{index}]"));
        match item {
            Value::Object(object) => Ok(Fields {
                object,
                source_id: self.source_id,
                path,
            }),
            other => Err(RecordError::invalid(
                self.source_id.map(str::to_owned),
                Some(&path),
                format!("expected an object, found {}", kind_of(other)),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn convert(v: Value) -> Result<ExportedUser, RecordError> {
        user_from_export(1, &v)
    }

    #[test]
    fn providers_get_their_common_names() {
        assert_eq!(provider_name("google-oauth2", None), "google");
        assert_eq!(
            provider_name("windowslive", Some("windowslive")),
            "microsoft"
        );
        assert_eq!(provider_name("github", None), "github");
        assert_eq!(provider_name("oauth2", Some("acme-sso")), "acme-sso");
        assert_eq!(provider_name("bitbucket", None), "bitbucket");
    }

    #[test]
    fn names_auth0_made_up_are_not_display_names() {
        let u = convert(json!({"user_id": "auth0|1", "email": "jo@x.com", "name": "jo@x.com", "nickname": "jo"}))
            .unwrap()
            .user;
        assert_eq!(u.display_name, None);
        let u = convert(json!({"user_id": "auth0|1", "email": "jo@x.com", "name": "jo@x.com", "nickname": "Jojo"}))
            .unwrap()
            .user;
        assert_eq!(u.display_name.as_deref(), Some("Jojo"));
        let u = convert(json!({"user_id": "auth0|1", "email": "jo@x.com", "name": "Jo March"}))
            .unwrap()
            .user;
        assert_eq!(u.display_name.as_deref(), Some("Jo March"));
    }

    #[test]
    fn without_identities_the_user_id_says_the_provider() {
        let r = convert(json!({"user_id": "auth0|abc", "email": "a@x.com"})).unwrap();
        assert_eq!(r.database.map(|d| d.id).as_deref(), Some("abc"));
        let r = convert(json!({"user_id": "google-oauth2|123", "email": "a@x.com"})).unwrap();
        assert!(r.database.is_none());
        assert_eq!(r.user.external_accounts[0].provider, "google");
        assert_eq!(r.user.external_accounts[0].provider_user_id, "123");
        let r = convert(json!({"user_id": "oauth2|acme|u1"})).unwrap();
        assert_eq!(r.user.external_accounts[0].provider, "acme");
        assert_eq!(r.user.external_accounts[0].provider_user_id, "u1");
        let r = convert(json!({"user_id": "sms|1", "phone_number": "+15550001"})).unwrap();
        assert!(r.database.is_none() && r.user.external_accounts.is_empty());
    }

    #[test]
    fn bad_fields_name_the_field_and_not_the_value() {
        let e = convert(json!({"user_id": "auth0|1", "identities": [{"provider": "github", "isSocial": true, "user_id": 1.5}]}))
            .err()
            .unwrap();
        assert_eq!(e.field.as_deref(), Some("identities[0].user_id"));
        assert_eq!(e.source_id.as_deref(), Some("auth0|1"));
        let e = convert(json!({"user_id": "auth0|1", "email_verified": "$2b$10$secretsecret"}))
            .err()
            .unwrap();
        assert_eq!(e.field.as_deref(), Some("email_verified"));
        assert!(!e.to_string().contains("secret"), "{e}");
        let e = convert(json!({"email": "a@x.com"})).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("user_id"));
    }

    fn index(lines: &[Value]) -> HashIndex {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.ndjson");
        let text: Vec<String> = lines.iter().map(Value::to_string).collect();
        std::fs::write(&path, text.join("\n")).unwrap();
        HashIndex::load(&path).unwrap()
    }

    #[test]
    fn connections_tell_apart_chosen_ids() {
        let d = |c: &str| json!({"_id": {"$oid": "aaaaaaaaaaaaaaaaaaaaaaaa"}, "alt_id": "u1", "connection": c, "passwordHash": format!("$2b$10${c}")});
        let mut ix = index(&[d("one"), d("two")]);
        assert!(matches!(
            ix.claim("u1", Some("two")),
            Claim::Digest { entry: 2, .. }
        ));
        assert!(matches!(ix.claim("u1", Some("three")), Claim::None));
        let mut ix = index(&[d("one"), d("two")]);
        assert!(matches!(ix.claim("u1", None), Claim::Ambiguous { .. }));
        assert!(matches!(ix.claim("u2", None), Claim::None));
        // Claimed entries are not reported; the other connection's is.
        let mut ix = index(&[d("one"), d("two")]);
        assert!(matches!(ix.claim("u1", Some("one")), Claim::Digest { .. }));
        let left = ix.unclaimed();
        assert_eq!(left.len(), 1);
        assert!(left[0].message.contains("entry 2") && left[0].message.contains("connection two"));
        assert!(!left[0].message.contains("$2b$"), "{}", left[0].message);
    }

    #[test]
    fn duplicates_and_unreadable_entries_are_reasons_not_digests() {
        let mut ix = index(&[
            json!({"_id": {"$oid": "a1"}, "connection": "db", "passwordHash": "$2b$10$one"}),
            json!({"_id": {"$oid": "a1"}, "connection": "db", "passwordHash": "$2b$10$two"}),
            json!({"_id": "a2", "connection": "db", "passwordHash": 7}),
            json!({"connection": "db", "passwordHash": "$2b$10$three"}),
        ]);
        assert!(matches!(
            ix.claim("a1", Some("db")),
            Claim::Duplicate {
                first: 1,
                second: 2
            }
        ));
        assert!(matches!(
            ix.claim("a2", Some("db")),
            Claim::Unreadable { entry: 3, .. }
        ));
        assert!(matches!(
            ix.claim("a2", Some("db")),
            Claim::AlreadyClaimed { entry: 3 }
        ));
        let left = ix.unclaimed();
        assert_eq!(left.len(), 1, "{left:?}");
        assert!(
            left[0].message.contains("entry 4 has neither"),
            "{}",
            left[0].message
        );
    }
}
