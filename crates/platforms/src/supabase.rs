//! Supabase Auth as a source: `--from supabase:postgres://…`, the project's own PostgreSQL (its
//! database connection string, as the dashboard gives it; `?sslmode=require`, or `verify-full`
//! with `sslrootcert=` the project's CA, as [`crate::pg`] reads them). Use the direct connection
//! or the session pooler: the client prepares its statements, which a transaction-mode pooler
//! may refuse. Supabase Auth (GoTrue) keeps its users in the `auth` schema, and this source
//! reads them straight from there (the role must be able to read it, as `postgres` can):
//!
//! * `auth.users`: `id`, `email`, `encrypted_password`, `email_confirmed_at`, `phone`,
//!   `phone_confirmed_at`, `raw_user_meta_data`, `raw_app_meta_data`, `created_at`,
//!   `updated_at`, `last_sign_in_at`, and where the project's schema has them `banned_until`,
//!   `deleted_at`, `is_anonymous`, `is_sso_user` (older projects lack the later columns, and
//!   before July 2021 `email_confirmed_at` was `confirmed_at`);
//! * `auth.identities`: `user_id`, `provider`, `provider_id` (the provider's id for the user;
//!   `id` before November 2023), `identity_data`, `created_at`, `updated_at`;
//! * `auth.mfa_factors` (when present): `user_id`, `id`, `factor_type`, `status`, `secret`,
//!   `phone` (since July 2024), `created_at`.
//!
//! Users stream in pages of [`PAGE_SIZE`] by keyset pagination on the uuid (`WHERE id > last
//! ORDER BY id`), with the identities and factors of a page in one query each (`user_id =
//! ANY($1)`), so memory is bounded by a page whatever the project's size and the order is
//! stable for resuming by position. Nothing is written to the database.
//!
//! ## The mapping
//!
//! The uuid is the source id (the application's tables reference it). `email` with
//! `email_confirmed_at` set is a verified primary email; `phone` (GoTrue stores it without the
//! `+`) becomes E.164 `+…`, verified when `phone_confirmed_at` is set. `last_sign_in_at` is the
//! last sign-in; a `banned_until` still in the future is `banned` (a ban with an end becomes a
//! ban without one: the canonical model has no end date, so lift it in the target when it
//! expires).
//!
//! Passwords: GoTrue writes bcrypt (`$2a$10$…`), and verifies any digest that is not
//! `$argon2…` or `$fbscrypt$…` as bcrypt. So a digest of any other shape is declared `bcrypt`,
//! and one that is not bcrypt fails its record with the reason (the hasher-name contract: the
//! engine checks the digest against the name, never guesses). `$argon2…` and `$fbscrypt$…`
//! digests, which users imported with a `password_hash` carry, are passed without a name for
//! the engine to identify from their shape. An empty `encrypted_password` (OAuth, magic link
//! and phone-OTP users) is no password.
//!
//! Metadata: `raw_app_meta_data` is the application's (`provider`, `providers` and what the
//! service role sets: roles, plans), never writable by the user, so it becomes **private**
//! metadata. `raw_user_meta_data` is what `auth.updateUser({ data })` lets the signed-in user
//! change (and what OAuth providers fill), so it becomes **unsafe** metadata, the
//! user-editable kind: trusting it would let users grant themselves whatever the app reads
//! from it. Its `full_name` (else `name`) and `avatar_url` (else `picture`), the keys Supabase
//! and the OAuth providers fill, are also the display name and image.
//!
//! Identities: each OAuth identity becomes an external account under the provider's common
//! name (`azure` → `microsoft`, `linkedin_oidc` → `linkedin`, `slack_oidc` → `slack`; the
//! others as Supabase names them: `google`, `github`, `apple`, …), with the provider's id for
//! the user and the identity's email. The `email` and `phone` identities are the user's own
//! login (already the email/phone and password) and are skipped. SSO identities
//! (`sso:<provider uuid>`, SAML) are not linked: the target's single sign-on has its own
//! provider ids, configured there; they are counted in a note.
//!
//! Two-factor: a `verified` `totp` factor's `secret` is the TOTP secret (base32, SHA-1, 6
//! digits, 30 s, which is what GoTrue uses). Unverified factors (an enrollment never finished)
//! are ignored. A user with several verified TOTP factors keeps the first enrolled (the others
//! are counted in a note). A verified `phone` factor's number (digits without `+`, as GoTrue
//! stores it) is an SMS second factor, `mfa_phones` in E.164. WebAuthn factors are bound to
//! the Supabase project's relying party and are not carried (counted in a note).
//! GoTrue stores the secret in plain text unless the project turned on its database encryption
//! (`GOTRUE_SECURITY_DB_ENCRYPTION_ENCRYPT`, self-hosted): then the secret, and the password
//! digests written since, are JSON envelopes (`{"key_id", "alg": "aes-gcm-hkdf", …}`) that only
//! the project's key opens. Such a user fails with a reason naming the key id: moving them
//! without the factor would silently turn their two-factor sign-in off, and without the
//! password would lock them out of the one they know.
//!
//! ## Who is not moved
//!
//! A team leaving Supabase moves the people who can sign in:
//!
//! * **Soft-deleted users** (`deleted_at` set, by `auth.admin.deleteUser(id, true)`) are
//!   skipped: Supabase already overwrote their email and phone and dropped their password, and
//!   moving them would bring deleted accounts back.
//! * **Anonymous users** (`is_anonymous`, from `signInAnonymously()`) are skipped: they have no
//!   email, phone or credential, so no target could ever sign them in again; whatever the app
//!   keeps under their id stays in the app's own tables. An anonymous user who later linked an
//!   email is no longer anonymous and moves.
//!
//! Both are counted, and the run ends with a note saying how many and why (they take no
//! position in the run's numbering, so a resumed run sees the same sequence).
//!
//! SSO users (`is_sso_user`) move with their email and metadata; Supabase lets an SSO user
//! share an email with a password user, and a target that keeps emails unique then reports the
//! second as a duplicate.

use crate::SpecError;
use crate::registry::{Endpoint, Platform, SourcePlan, Spec};
use crate::shared::redact_spec;
use authferry_core::validate::normalize_phone;
use authferry_core::{
    EmailAddress, ExternalAccount, PasswordCredential, PhoneNumber, RecordError, Secret, Source,
    Timestamp, User,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// Users read per query.
pub const PAGE_SIZE: usize = 1000;

/// Whose ids the records carry: Supabase's user uuids.
pub const ID_SPACE: &str = "supabase";

/// `supabase:postgres://…`.
pub const PLATFORM: Platform = Platform {
    name: "Supabase",
    endpoints: &[Endpoint {
        fields: {
            use authferry_core::Field::*;
            &[
                PrimaryEmail,
                PrimaryPhone,
                DisplayName,
                ImageUrl,
                Password,
                TotpSecret,
                MfaPhones,
                ExternalAccounts,
                PrivateMetadata,
                UnsafeMetadata,
                CreatedAt,
                UpdatedAt,
                LastSignInAt,
                Banned,
            ]
        },
        // GoTrue's own choice by prefix: bcrypt, unless the digest says argon2 or Firebase scrypt.
        formats: &[
            authferry_hash::Format::Bcrypt,
            authferry_hash::Format::Argon2id,
            authferry_hash::Format::SupabaseFirebaseScrypt,
        ],
        ..Endpoint::source(
            "supabase",
            &["supabase:postgres://…"],
            // The metadata mapping is said here because it decides who may change what.
            "Supabase auth tables; app_metadata→private, user_metadata→unsafe",
            parse_source,
        )
    }],
};

/// `--from supabase:…`, parsed. `Debug` masks a password in the URL.
#[derive(Clone, PartialEq, Eq)]
pub struct SupabasePlan {
    pub url: String,
}

impl std::fmt::Debug for SupabasePlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupabasePlan")
            .field("url", &redact_spec(&self.url))
            .finish()
    }
}

fn parse_source(spec: &Spec<'_>) -> Result<Box<dyn SourcePlan>, SpecError> {
    let rest = spec.rest;
    if !(rest.starts_with("postgres://") || rest.starts_with("postgresql://")) {
        return Err(SpecError::Usage(format!(
            "Supabase source `{}` must be `supabase:postgres://…`: the project's database \
             connection string",
            redact_spec(spec.text)
        )));
    }
    // An sslmode this cannot honour is a mistake in the spec, said before anything is opened.
    crate::pg::PgUrl::parse(rest)
        .map_err(|e| SpecError::Usage(format!("`{}`: {e}", redact_spec(spec.text))))?;
    Ok(Box::new(SupabasePlan {
        url: rest.to_string(),
    }))
}

impl SourcePlan for SupabasePlan {
    fn open(&self) -> Result<Box<dyn Source>, SpecError> {
        SupabaseSource::open(&self.url)
            .map(|s| Box::new(s) as Box<dyn Source>)
            .map_err(|e| SpecError::open(&format!("supabase:{}", self.url), e))
    }
}

/// What was left out, and why, counted as the source reads (the run's closing note says it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Users with `deleted_at` set.
    pub deleted_users: u64,
    /// Users with `is_anonymous`.
    pub anonymous_users: u64,
    /// `sso:…` identities (SAML single sign-on links).
    pub sso_identities: u64,
    /// Verified TOTP factors beyond each user's first.
    pub extra_totp_factors: u64,
    /// Verified factors that are not carried (`webauthn`, a `phone` factor without a number),
    /// by type.
    pub other_factors: BTreeMap<String, u64>,
}

impl Skipped {
    /// The closing notes, one per kind of thing left out.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        // Deleted and anonymous users are reported one by one, as skipped records.
        if self.sso_identities > 0 {
            notes.push(format!(
                "SSO (SAML) identities not linked: {} (set up single sign-on in the target; those \
                 users move with their email)",
                self.sso_identities
            ));
        }
        if self.extra_totp_factors > 0 {
            notes.push(format!(
                "verified TOTP factors beyond a user's first, not moved: {} (each such user keeps \
                 the authenticator they enrolled first)",
                self.extra_totp_factors
            ));
        }
        if !self.other_factors.is_empty() {
            let list: Vec<String> = self
                .other_factors
                .iter()
                .map(|(kind, n)| format!("{n} {kind}"))
                .collect();
            notes.push(format!(
                "verified Supabase MFA factors not moved: {} (those users enroll them again in \
                 the target)",
                list.join(", ")
            ));
        }
        notes
    }
}

/// Which of the columns that arrived over Supabase Auth's history this database has.
#[derive(Clone, Debug)]
struct Layout {
    /// `email_confirmed_at`, or `confirmed_at` before July 2021.
    email_confirmed: &'static str,
    phone: bool,
    phone_confirmed_at: bool,
    banned_until: bool,
    deleted_at: bool,
    is_anonymous: bool,
    /// `auth.identities` and the column holding the provider's id for the user (`provider_id`,
    /// `id` before November 2023); `None` without the table.
    identities: Option<&'static str>,
    /// `auth.mfa_factors` is there.
    factors: bool,
    /// `auth.mfa_factors.phone` is there (phone factors, since July 2024).
    factor_phone: bool,
}

/// `auth` table → its column names.
type Catalog = BTreeMap<String, BTreeSet<String>>;

const USER_COLUMNS: &[&str] = &[
    "id",
    "email",
    "encrypted_password",
    "raw_user_meta_data",
    "raw_app_meta_data",
    "created_at",
    "updated_at",
    "last_sign_in_at",
];
const IDENTITY_COLUMNS: &[&str] = &["user_id", "provider", "identity_data"];
const FACTOR_COLUMNS: &[&str] = &["id", "user_id", "factor_type", "status", "secret"];

fn missing(columns: Option<&BTreeSet<String>>, wanted: &[&str]) -> Vec<String> {
    wanted
        .iter()
        .filter(|c| !columns.is_some_and(|have| have.contains(**c)))
        .map(|c| (*c).to_owned())
        .collect()
}

fn detect_layout(catalog: &Catalog) -> Result<Layout, String> {
    let Some(users) = catalog.get("users") else {
        return Err(
            "no table auth.users: this is not a Supabase project's database (its connection string \
             names database `postgres`; the user must be able to read the `auth` schema)"
                .into(),
        );
    };
    let absent = missing(Some(users), USER_COLUMNS);
    let email_confirmed = if users.contains("email_confirmed_at") {
        "email_confirmed_at"
    } else if users.contains("confirmed_at") {
        "confirmed_at"
    } else {
        return Err("auth.users has neither email_confirmed_at nor confirmed_at".into());
    };
    if !absent.is_empty() {
        return Err(format!(
            "auth.users lacks the column(s) {} that Supabase Auth creates",
            absent.join(", ")
        ));
    }
    let identities = match catalog.get("identities") {
        None => None,
        Some(cols) => {
            let absent = missing(Some(cols), IDENTITY_COLUMNS);
            if !absent.is_empty() {
                return Err(format!(
                    "auth.identities lacks the column(s) {}",
                    absent.join(", ")
                ));
            }
            Some(if cols.contains("provider_id") {
                "provider_id"
            } else if cols.contains("id") {
                "id"
            } else {
                return Err("auth.identities has neither provider_id nor id".into());
            })
        }
    };
    let (factors, factor_phone) = match catalog.get("mfa_factors") {
        None => (false, false),
        Some(cols) => {
            let absent = missing(Some(cols), FACTOR_COLUMNS);
            if !absent.is_empty() {
                return Err(format!(
                    "auth.mfa_factors lacks the column(s) {}",
                    absent.join(", ")
                ));
            }
            (true, cols.contains("phone"))
        }
    };
    Ok(Layout {
        email_confirmed,
        phone: users.contains("phone"),
        phone_confirmed_at: users.contains("phone_confirmed_at"),
        banned_until: users.contains("banned_until"),
        deleted_at: users.contains("deleted_at"),
        is_anonymous: users.contains("is_anonymous"),
        identities,
        factors,
        factor_phone,
    })
}

/// One `auth.users` row as read.
struct UserRow {
    id: String,
    email: Option<String>,
    encrypted_password: Option<String>,
    email_confirmed: bool,
    phone: Option<String>,
    phone_confirmed: bool,
    user_meta: Option<String>,
    app_meta: Option<String>,
    created_at: Option<Timestamp>,
    updated_at: Option<Timestamp>,
    last_sign_in_at: Option<Timestamp>,
    banned: bool,
    deleted: bool,
    anonymous: bool,
}

struct IdentityRow {
    provider: String,
    provider_user_id: Option<String>,
    identity_data: Option<String>,
    created_at: Option<Timestamp>,
    updated_at: Option<Timestamp>,
}

struct FactorRow {
    id: String,
    kind: String,
    /// Never printed: the TOTP secret.
    secret: Option<String>,
    /// A phone factor's number.
    phone: Option<String>,
}

/// Reads a Supabase project's users. Holds a database connection, no secret beyond one page of
/// rows being mapped.
pub struct SupabaseSource {
    client: postgres::Client,
    layout: Layout,
    description: String,
    /// The last user id of the previous page.
    last: Option<String>,
    queue: VecDeque<Result<User, RecordError>>,
    done: bool,
    skipped: Skipped,
    noted: bool,
}

impl std::fmt::Debug for SupabaseSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupabaseSource")
            .field("description", &self.description)
            .field("last", &self.last)
            .field("skipped", &self.skipped)
            .finish_non_exhaustive()
    }
}

use crate::pg::describe_error as pg_error;

/// Epoch milliseconds of a timestamp column, or NULL.
fn millis(column: &str) -> String {
    format!("(EXTRACT(EPOCH FROM {column}) * 1000)::bigint")
}

impl SupabaseSource {
    /// Connects (TLS as [`crate::pg`] reads the URL) and checks the `auth` tables.
    pub fn open(url: &str) -> Result<Self, String> {
        let mut client = crate::pg::PgUrl::parse(url)?.connect()?;
        let rows = client
            .query(
                "SELECT c.relname::text, a.attname::text
                   FROM pg_class c
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   JOIN pg_attribute a ON a.attrelid = c.oid
                  WHERE n.nspname = 'auth' AND c.relname IN ('users', 'identities', 'mfa_factors')
                    AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped",
                &[],
            )
            .map_err(pg_error)?;
        let mut catalog = Catalog::new();
        for r in rows {
            catalog
                .entry(r.get::<_, String>(0))
                .or_default()
                .insert(r.get(1));
        }
        let layout = detect_layout(&catalog)?;
        let mut tables = vec!["auth.users"];
        if layout.identities.is_some() {
            tables.push("auth.identities");
        }
        if layout.factors {
            tables.push("auth.mfa_factors");
        }
        Ok(SupabaseSource {
            client,
            description: format!(
                "supabase:{} (Supabase Auth: {})",
                redact_spec(url),
                tables.join(", ")
            ),
            layout,
            last: None,
            queue: VecDeque::new(),
            done: false,
            skipped: Skipped::default(),
            noted: false,
        })
    }

    /// What was left out so far, and why.
    pub fn skipped(&self) -> &Skipped {
        &self.skipped
    }

    fn page(&mut self) -> Result<Vec<UserRow>, String> {
        let l = &self.layout;
        let or_false = |present: bool, expr: String| if present { expr } else { "false".into() };
        let select = format!(
            "SELECT id::text, email::text, encrypted_password::text, ({} IS NOT NULL), {}, {},
                    raw_user_meta_data::text, raw_app_meta_data::text, {}, {}, {}, {}, {}, {}
               FROM auth.users",
            l.email_confirmed,
            if l.phone { "phone::text" } else { "NULL::text" },
            or_false(
                l.phone_confirmed_at,
                "(phone_confirmed_at IS NOT NULL)".into()
            ),
            millis("created_at"),
            millis("updated_at"),
            millis("last_sign_in_at"),
            or_false(
                l.banned_until,
                "COALESCE(banned_until > now(), false)".into()
            ),
            or_false(l.deleted_at, "(deleted_at IS NOT NULL)".into()),
            or_false(l.is_anonymous, "COALESCE(is_anonymous, false)".into()),
        );
        let rows = match &self.last {
            None => self
                .client
                .query(&format!("{select} ORDER BY id LIMIT {PAGE_SIZE}"), &[]),
            Some(last) => self.client.query(
                &format!(
                    "{select} WHERE id > CAST($1::text AS uuid) ORDER BY id LIMIT {PAGE_SIZE}"
                ),
                &[last],
            ),
        }
        .map_err(pg_error)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            // The primary key: never NULL.
            let id: String = r.get(0);
            self.last = Some(id.clone());
            out.push(UserRow {
                id,
                email: r.get(1),
                encrypted_password: r.get(2),
                email_confirmed: r.get(3),
                phone: r.get(4),
                phone_confirmed: r.get(5),
                user_meta: r.get(6),
                app_meta: r.get(7),
                created_at: r.get::<_, Option<i64>>(8).map(Timestamp::from_millis),
                updated_at: r.get::<_, Option<i64>>(9).map(Timestamp::from_millis),
                last_sign_in_at: r.get::<_, Option<i64>>(10).map(Timestamp::from_millis),
                banned: r.get(11),
                deleted: r.get(12),
                anonymous: r.get(13),
            });
        }
        Ok(out)
    }

    /// The OAuth/SSO identities of these users (not their own `email`/`phone` ones).
    fn identities(&mut self, ids: &[String]) -> Result<HashMap<String, Vec<IdentityRow>>, String> {
        let Some(pid) = self.layout.identities else {
            return Ok(HashMap::new());
        };
        let sql = format!(
            "SELECT user_id::text, provider, {pid}::text, identity_data::text, {}, {}
               FROM auth.identities
              WHERE user_id = ANY(CAST($1::text[] AS uuid[])) AND provider NOT IN ('email', 'phone')
              ORDER BY 1, 2, 3",
            millis("created_at"),
            millis("updated_at"),
        );
        let rows = self.client.query(&sql, &[&ids]).map_err(pg_error)?;
        let mut map: HashMap<String, Vec<IdentityRow>> = HashMap::new();
        for r in rows {
            map.entry(r.get(0)).or_default().push(IdentityRow {
                provider: r.get(1),
                provider_user_id: r.get(2),
                identity_data: r.get(3),
                created_at: r.get::<_, Option<i64>>(4).map(Timestamp::from_millis),
                updated_at: r.get::<_, Option<i64>>(5).map(Timestamp::from_millis),
            });
        }
        Ok(map)
    }

    /// The verified factors of these users, first enrolled first.
    fn factors(&mut self, ids: &[String]) -> Result<HashMap<String, Vec<FactorRow>>, String> {
        if !self.layout.factors {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT user_id::text, id::text, factor_type::text, secret::text, {}
               FROM auth.mfa_factors
              WHERE user_id = ANY(CAST($1::text[] AS uuid[])) AND status::text = 'verified'
              ORDER BY user_id, created_at, id",
            if self.layout.factor_phone {
                "phone::text"
            } else {
                "NULL::text"
            }
        );
        let rows = self.client.query(&sql, &[&ids]).map_err(pg_error)?;
        let mut map: HashMap<String, Vec<FactorRow>> = HashMap::new();
        for r in rows {
            map.entry(r.get(0)).or_default().push(FactorRow {
                id: r.get(1),
                kind: r.get(2),
                secret: r.get(3),
                phone: r.get(4),
            });
        }
        Ok(map)
    }

    fn fill(&mut self) -> Result<(), String> {
        let rows = self.page()?;
        if rows.len() < PAGE_SIZE {
            self.done = true;
        }
        // Deleted and anonymous accounts are records too: each is reported as skipped with
        // its reason, in id order with the rest.
        let mut kept = Vec::with_capacity(rows.len());
        for row in rows {
            let why = if row.deleted {
                self.skipped.deleted_users += 1;
                Some(
                    "soft-deleted in Supabase (deleted_at is set: Supabase already overwrote the \
                     email and phone and removed the password); not moved",
                )
            } else if row.anonymous {
                self.skipped.anonymous_users += 1;
                Some(
                    "anonymous in Supabase (is_anonymous: no email, phone or password to sign in with); not moved",
                )
            } else {
                None
            };
            kept.push((row, why));
        }
        let ids: Vec<String> = kept
            .iter()
            .filter(|(_, why)| why.is_none())
            .map(|(r, _)| r.id.clone())
            .collect();
        let (mut identities, mut factors) = if ids.is_empty() {
            Default::default()
        } else {
            (self.identities(&ids)?, self.factors(&ids)?)
        };
        for (row, why) in kept {
            if let Some(why) = why {
                self.queue
                    .push_back(Err(RecordError::skipped(Some(row.id.clone()), why)));
                continue;
            }
            let idents = identities.remove(&row.id).unwrap_or_default();
            let facts = factors.remove(&row.id).unwrap_or_default();
            let user = map_user(row, idents, facts, &mut self.skipped);
            self.queue.push_back(user);
        }
        Ok(())
    }
}

impl Source for SupabaseSource {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn id_space(&self) -> Option<&'static str> {
        Some(ID_SPACE)
    }

    fn next_user(&mut self) -> Option<Result<User, RecordError>> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            if self.done {
                if !self.noted {
                    self.noted = true;
                    for note in self.skipped.notes() {
                        eprintln!("authferry: note: {note}");
                    }
                }
                return None;
            }
            if let Err(message) = self.fill() {
                self.done = true;
                // The counts so far would mislead after a stop.
                self.noted = true;
                return Some(Err(RecordError::fatal(format!(
                    "Supabase database: {message}"
                ))));
            }
        }
    }

    // A database has no byte count to show: the progress display counts records instead.
}

/// A text column as a trimmed value; empty is absent.
fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// GoTrue stores phone numbers as digits without the `+` (`15555550100`); the canonical model
/// wants E.164.
pub fn e164(phone: &str) -> Option<String> {
    let n = normalize_phone(phone.trim());
    if n.is_empty() {
        None
    } else if n.starts_with('+') {
        Some(n)
    } else {
        Some(format!("+{n}"))
    }
}

/// The common name of a Supabase OAuth provider; `None` for identities that are not OAuth
/// links (`sso:…`).
pub fn provider_name(provider: &str) -> Option<String> {
    let p = provider.trim().to_ascii_lowercase();
    if p.starts_with("sso:") {
        return None;
    }
    Some(
        match p.as_str() {
            "azure" => "microsoft",
            "linkedin_oidc" => "linkedin",
            "slack_oidc" => "slack",
            other => other,
        }
        .to_owned(),
    )
}

/// The key id of GoTrue's encrypted-column envelope (`{"key_id": …, "alg": "aes-gcm-hkdf",
/// "data": …, "nonce": …}`), if `value` is one. The key id names a key, it is no secret.
fn encryption_key_id(value: &str) -> Option<String> {
    if !value.starts_with('{') {
        return None;
    }
    let v: Value = serde_json::from_str(value).ok()?;
    let object = v.as_object()?;
    if !(object.contains_key("alg") && object.contains_key("data")) {
        return None;
    }
    Some(
        object
            .get("key_id")
            .and_then(Value::as_str)
            .unwrap_or("unnamed")
            .to_owned(),
    )
}

const ENCRYPTION_ADVICE: &str = "Supabase Auth's database encryption \
    (GOTRUE_SECURITY_DB_ENCRYPTION_*) sealed it with the project's key, which authferry does not have";

/// `encrypted_password` as a credential: bcrypt unless GoTrue itself reads it otherwise.
fn password(id: &str, raw: Option<String>) -> Result<Option<PasswordCredential>, RecordError> {
    let Some(digest) = non_empty(raw) else {
        return Ok(None);
    };
    if let Some(key) = encryption_key_id(&digest) {
        return Err(RecordError::invalid(
            Some(id.to_owned()),
            Some("auth.users.encrypted_password"),
            format!(
                "user {id}: the password digest is encrypted (key id `{key}`): {ENCRYPTION_ADVICE}; \
                 the user moves only without a password (a reset in the target), once their \
                 encrypted_password is emptied"
            ),
        ));
    }
    // GoTrue's own dispatch (crypto.CompareHashAndPassword): these two prefixes are verified as
    // what they say; everything else as bcrypt.
    let hasher = if digest.starts_with("$argon2") || digest.starts_with("$fbscrypt$") {
        None
    } else {
        Some("bcrypt".to_owned())
    };
    Ok(Some(PasswordCredential {
        hasher,
        digest: Secret::new(digest),
        params: Default::default(),
    }))
}

/// The second factors of a user's verified factors: the TOTP secret of the first enrolled TOTP
/// factor, and the phone factors' numbers; what else is left out is counted.
fn second_factors(
    id: &str,
    factors: Vec<FactorRow>,
    skipped: &mut Skipped,
) -> Result<(Option<Secret>, Vec<PhoneNumber>), RecordError> {
    let mut first = None;
    let mut phones: Vec<PhoneNumber> = Vec::new();
    for f in factors {
        match f.kind.as_str() {
            "totp" if first.is_none() => first = Some(f),
            "totp" => skipped.extra_totp_factors += 1,
            "phone" => match f.phone.as_deref().and_then(e164) {
                Some(number) => {
                    if !phones.iter().any(|p| p.number == number) {
                        phones.push(PhoneNumber {
                            primary: phones.is_empty(),
                            number,
                            verified: true,
                        });
                    }
                }
                None => *skipped.other_factors.entry(f.kind).or_default() += 1,
            },
            _ => *skipped.other_factors.entry(f.kind).or_default() += 1,
        }
    }
    let totp = match first {
        Some(factor) => Some(totp_secret(id, factor)?),
        None => None,
    };
    Ok((totp, phones))
}

/// The secret of a verified TOTP factor, as GoTrue stores it (base32).
fn totp_secret(id: &str, factor: FactorRow) -> Result<Secret, RecordError> {
    let field = Some("auth.mfa_factors.secret");
    let Some(secret) = non_empty(factor.secret) else {
        return Err(RecordError::invalid(
            Some(id.to_owned()),
            field,
            format!(
                "user {id}: verified TOTP factor {} has no secret: unenroll it in Supabase to move \
                 the user without it, then have them enroll again in the target",
                factor.id
            ),
        ));
    };
    if let Some(key) = encryption_key_id(&secret) {
        return Err(RecordError::invalid(
            Some(id.to_owned()),
            field,
            format!(
                "user {id}: the secret of TOTP factor {} is encrypted (key id `{key}`): \
                 {ENCRYPTION_ADVICE}; moving the user without it would turn their two-factor \
                 sign-in off: unenroll the factor in Supabase to move them without it, then have \
                 them enroll again in the target",
                factor.id
            ),
        ));
    }
    Ok(Secret::new(secret))
}

/// A jsonb column read as text; `null` and `{}` carry nothing.
fn metadata(id: &str, column: &str, text: Option<String>) -> Result<Option<Value>, RecordError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        RecordError::invalid(
            Some(id.to_owned()),
            Some(column),
            format!(
                "user {id}: {column} is not JSON ({})",
                crate::shared::redact_serde(&e.to_string())
            ),
        )
    })?;
    Ok(match &value {
        Value::Null => None,
        Value::Object(m) if m.is_empty() => None,
        _ => Some(value),
    })
}

/// The first of `keys` that holds a non-empty string.
fn meta_text(meta: Option<&Value>, keys: &[&str]) -> Option<String> {
    let meta = meta?;
    keys.iter().find_map(|k| {
        meta.get(*k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    })
}

fn map_user(
    row: UserRow,
    identities: Vec<IdentityRow>,
    factors: Vec<FactorRow>,
    skipped: &mut Skipped,
) -> Result<User, RecordError> {
    let id = row.id;
    let mut external_accounts = Vec::new();
    for identity in identities {
        let Some(provider) = provider_name(&identity.provider) else {
            skipped.sso_identities += 1;
            continue;
        };
        let Some(provider_user_id) = non_empty(identity.provider_user_id) else {
            return Err(RecordError::invalid(
                Some(id.clone()),
                Some("auth.identities.provider_id"),
                format!("user {id}: the {provider} identity has an empty provider_id"),
            ));
        };
        let data = identity
            .identity_data
            .and_then(|t| serde_json::from_str::<Value>(&t).ok());
        external_accounts.push(ExternalAccount {
            provider,
            provider_user_id,
            email: meta_text(data.as_ref(), &["email"]),
            // Supabase keeps no granted scopes (nor tokens) for an identity.
            scopes: Vec::new(),
            created_at: identity.created_at,
            updated_at: identity.updated_at,
        });
    }
    let password = password(&id, row.encrypted_password)?;
    let (totp_secret, mfa_phones) = second_factors(&id, factors, skipped)?;
    let unsafe_metadata = metadata(&id, "auth.users.raw_user_meta_data", row.user_meta)?;
    let private_metadata = metadata(&id, "auth.users.raw_app_meta_data", row.app_meta)?;
    Ok(User {
        emails: non_empty(row.email)
            .map(|address| {
                vec![EmailAddress {
                    address,
                    verified: row.email_confirmed,
                    primary: true,
                }]
            })
            .unwrap_or_default(),
        phones: row
            .phone
            .as_deref()
            .and_then(e164)
            .map(|number| {
                vec![PhoneNumber {
                    number,
                    verified: row.phone_confirmed,
                    primary: true,
                }]
            })
            .unwrap_or_default(),
        display_name: meta_text(unsafe_metadata.as_ref(), &["full_name", "name"]),
        image_url: meta_text(unsafe_metadata.as_ref(), &["avatar_url", "picture"]),
        password,
        totp_secret,
        mfa_phones,
        external_accounts,
        unsafe_metadata,
        private_metadata,
        created_at: row.created_at,
        updated_at: row.updated_at,
        last_sign_in_at: row.last_sign_in_at,
        banned: row.banned,
        source_id: id,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_become_e164() {
        assert_eq!(e164("15555550100").as_deref(), Some("+15555550100"));
        assert_eq!(e164("+44 20 7946 0958").as_deref(), Some("+442079460958"));
        assert_eq!(e164("  "), None);
    }

    #[test]
    fn providers_get_their_common_names() {
        assert_eq!(provider_name("azure").as_deref(), Some("microsoft"));
        assert_eq!(provider_name("linkedin_oidc").as_deref(), Some("linkedin"));
        assert_eq!(provider_name("google").as_deref(), Some("google"));
        assert_eq!(provider_name("GitHub").as_deref(), Some("github"));
        assert_eq!(
            provider_name("sso:0b5c1a2e-0000-4000-8000-000000000000"),
            None
        );
    }

    #[test]
    fn digests_are_declared_as_gotrue_reads_them() {
        let pw = |d: &str| password("u1", Some(d.to_owned()));
        let bcrypt = pw("$2a$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234")
            .unwrap()
            .unwrap();
        assert_eq!(bcrypt.hasher.as_deref(), Some("bcrypt"));
        // Not bcrypt, but GoTrue would read it as bcrypt: declared so, and the engine fails it.
        let hex = pw(&"ab".repeat(32)).unwrap().unwrap();
        assert_eq!(hex.hasher.as_deref(), Some("bcrypt"));
        let argon = pw("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA")
            .unwrap()
            .unwrap();
        assert_eq!(argon.hasher, None);
        assert!(pw("   ").unwrap().is_none());
        assert!(password("u1", None).unwrap().is_none());
    }

    #[test]
    fn encrypted_columns_fail_the_record_without_their_content() {
        let sealed = r#"{"key_id":"k1","alg":"aes-gcm-hkdf","data":"SEALEDDATA","nonce":"NONCE"}"#;
        let e = password("u1", Some(sealed.to_owned())).unwrap_err();
        assert!(!e.fatal);
        assert!(e.message.contains("`k1`"), "{}", e.message);
        assert!(!e.message.contains("SEALEDDATA"), "{}", e.message);
        let mut skipped = Skipped::default();
        let factor = |id: &str, kind: &str, secret: Option<&str>| FactorRow {
            id: id.into(),
            kind: kind.into(),
            secret: secret.map(str::to_owned),
            phone: None,
        };
        let e = second_factors("u1", vec![factor("f1", "totp", Some(sealed))], &mut skipped)
            .unwrap_err();
        assert!(e.message.contains("f1") && !e.message.contains("SEALEDDATA"));
        let e = second_factors("u1", vec![factor("f1", "totp", None)], &mut skipped).unwrap_err();
        assert!(e.message.contains("no secret"), "{}", e.message);
    }

    #[test]
    fn the_first_totp_factor_and_phone_factors_move_and_the_rest_is_counted() {
        let mut skipped = Skipped::default();
        let factor = |id: &str, kind: &str, secret: &str, phone: Option<&str>| FactorRow {
            id: id.into(),
            kind: kind.into(),
            secret: Some(secret.into()),
            phone: phone.map(str::to_owned),
        };
        let (s, phones) = second_factors(
            "u1",
            vec![
                factor("f1", "phone", "", Some("15551230001")),
                factor("f2", "totp", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", None),
                factor("f3", "totp", "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU", None),
                factor("f4", "phone", "", None),
                factor("f5", "webauthn", "", None),
            ],
            &mut skipped,
        )
        .unwrap();
        assert_eq!(s.unwrap().expose(), "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
        assert_eq!(
            phones,
            [PhoneNumber {
                number: "+15551230001".into(),
                verified: true,
                primary: true
            }]
        );
        assert_eq!(skipped.extra_totp_factors, 1);
        assert_eq!(
            skipped.other_factors,
            BTreeMap::from([("phone".into(), 1), ("webauthn".into(), 1)])
        );
        assert!(format!("{skipped:?}").contains("extra_totp_factors"));
    }

    #[test]
    fn old_schemas_are_read() {
        let cols = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let mut catalog = Catalog::new();
        let mut users = USER_COLUMNS.to_vec();
        users.push("confirmed_at");
        catalog.insert("users".into(), cols(&users));
        catalog.insert(
            "identities".into(),
            cols(&["id", "user_id", "provider", "identity_data"]),
        );
        let l = detect_layout(&catalog).unwrap();
        assert_eq!(l.email_confirmed, "confirmed_at");
        assert_eq!(l.identities, Some("id"));
        assert!(!l.factors && !l.phone && !l.deleted_at && !l.is_anonymous);
        catalog
            .get_mut("users")
            .unwrap()
            .remove("raw_app_meta_data");
        let e = detect_layout(&catalog).unwrap_err();
        assert!(e.contains("raw_app_meta_data"), "{e}");
        assert!(
            detect_layout(&Catalog::new())
                .unwrap_err()
                .contains("auth.users")
        );
    }
}
