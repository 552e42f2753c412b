//! Auth.js (NextAuth.js) as a source (`authjs:postgres://…`, `authjs:mysql://…` for MySQL and
//! MariaDB, `authjs:sqlite:PATH`): the users
//! and OAuth accounts an Auth.js database adapter keeps, read straight from the database.
//!
//! The adapters create the same two models under two namings, and this source finds out which
//! one a database has by inspecting its tables:
//!
//! | adapter                         | user table | account table | columns                          |
//! |---------------------------------|------------|---------------|----------------------------------|
//! | `@auth/prisma-adapter`, Kysely  | `User`     | `Account`     | `emailVerified`, `userId`, …     |
//! | `@auth/drizzle-adapter`         | `user`     | `account`     | `emailVerified`, `userId`, …     |
//! | `@auth/pg-adapter`, D1          | `users`    | `accounts`    | `"emailVerified"`, `"userId"`, … |
//!
//! and the snake_case spellings (`email_verified`, `user_id`, `provider_account_id`) that
//! hand-written or casing-converted schemas use. A user is `id`, `name`, `email`,
//! `emailVerified` (a date: the email is verified iff it is set), `image`; an account row is
//! `userId`, `type`, `provider`, `providerAccountId`, `scope` (tokens are never read).
//!
//! Users stream in pages of [`PAGE_SIZE`] by keyset pagination on the id (`WHERE id > last
//! ORDER BY id`), with the accounts of each page in one query, so memory is bounded by a page
//! and the order is stable for resuming by position.
//!
//! Credentials-provider apps keep a password hash in a column of their own choosing;
//! `--password-column TABLE.COLUMN [--hasher NAME]` names it: a column of the user table, or of
//! another table with a `userId`/`user_id` column.

use crate::SpecError;
use crate::registry::{Endpoint, Flag, Platform, SourcePlan, Spec};
use crate::shared::{parse_date_text, parse_table_column, quote_ident as quote, redact_spec};
use authferry_core::{
    EmailAddress, ExternalAccount, PasswordCredential, RecordError, Secret, Source, Timestamp, User,
};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};

/// Users read per query.
pub const PAGE_SIZE: usize = 1000;

/// Where the Auth.js database is. `Debug` masks a password in a URL.
#[derive(Clone, PartialEq, Eq)]
pub enum AuthjsDatabase {
    /// A `postgres://` / `postgresql://` URL.
    Postgres(String),
    /// A `mysql://` (or `mariadb://`) URL: MySQL or MariaDB.
    Mysql(String),
    Sqlite(PathBuf),
}

impl std::fmt::Debug for AuthjsDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthjsDatabase::Postgres(url) => {
                f.debug_tuple("Postgres").field(&redact_spec(url)).finish()
            }
            AuthjsDatabase::Mysql(url) => f.debug_tuple("Mysql").field(&redact_spec(url)).finish(),
            AuthjsDatabase::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
        }
    }
}

/// What the CLI adds to an `authjs:` spec.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthjsOptions {
    /// `--password-column TABLE.COLUMN`.
    pub password_column: Option<(String, String)>,
    /// `--hasher NAME`: the hash library's name of the digests' algorithm (identified from
    /// each digest's shape when absent).
    pub hasher: Option<String>,
}

/// `authjs:postgres://…`, `authjs:mysql://…`, `authjs:sqlite:PATH`.
pub const PLATFORM: Platform = Platform {
    name: "Auth.js",
    endpoints: &[Endpoint {
        flags: &[&PASSWORD_COLUMN, &HASHER],
        fields: &[
            authferry_core::Field::PrimaryEmail,
            authferry_core::Field::DisplayName,
            authferry_core::Field::ImageUrl,
            authferry_core::Field::Password,
            authferry_core::Field::ExternalAccounts,
            authferry_core::Field::CreatedAt,
            authferry_core::Field::UpdatedAt,
        ],
        ..Endpoint::source(
            "authjs",
            &[
                "authjs:postgres://…",
                "authjs:mysql://…",
                "authjs:sqlite:PATH",
            ],
            "an Auth.js (NextAuth) database: Prisma, Drizzle, Kysely, pg, D1 tables",
            parse_source,
        )
    }],
};

pub static PASSWORD_COLUMN: Flag = Flag::new(
    "password-column",
    "TABLE.COLUMN",
    "`authjs:` sources: where a Credentials-provider app keeps password hashes, as TABLE.COLUMN \
     (the user table, or a table with a userId/user_id column)",
)
.check(|v| parse_table_column(v).map(|_| ()));

pub static HASHER: Flag = Flag::new(
    "hasher",
    "NAME",
    "`authjs:` sources: the algorithm of --password-column's hashes (bcrypt, argon2, …); \
     identified from each digest when absent",
)
.requires("password-column");

/// `--from authjs:…`, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthjsPlan {
    pub database: AuthjsDatabase,
    pub options: AuthjsOptions,
}

fn parse_source(spec: &Spec<'_>) -> Result<Box<dyn SourcePlan>, SpecError> {
    let rest = spec.rest;
    let database = if rest.starts_with("postgres://") || rest.starts_with("postgresql://") {
        AuthjsDatabase::Postgres(rest.to_string())
    } else if let Some(p) = rest.strip_prefix("sqlite:") {
        let p = p.strip_prefix("//").unwrap_or(p);
        if p.is_empty() {
            return Err(spec.unknown());
        }
        AuthjsDatabase::Sqlite(PathBuf::from(p))
    } else if rest.starts_with("mysql://") || rest.starts_with("mariadb://") {
        AuthjsDatabase::Mysql(rest.to_string())
    } else {
        return Err(SpecError::Usage(format!(
            "Auth.js source `{}` must be `authjs:postgres://…`, `authjs:mysql://…` or `authjs:sqlite:PATH`",
            redact_spec(spec.text)
        )));
    };
    let hasher = spec.flag(HASHER.name);
    if let Some(h) = hasher
        && authferry_hash::Format::from_hasher(h).is_none()
    {
        return Err(SpecError::Usage(format!(
            "--hasher {h} names no algorithm authferry knows (a format name as `authferry hash identify` prints it, a Clerk hasher name, or one declared with --hasher-alias {h}=FORMAT)"
        )));
    }
    let password_column = match spec.flag(PASSWORD_COLUMN.name) {
        Some(c) => Some(
            parse_table_column(c)
                .map(|tc| (tc.table, tc.column))
                .map_err(|e| SpecError::Usage(format!("--password-column {e}")))?,
        ),
        None if hasher.is_some() => {
            return Err(SpecError::Usage(
                "--hasher needs --password-column TABLE.COLUMN".into(),
            ));
        }
        None => None,
    };
    Ok(Box::new(AuthjsPlan {
        database,
        options: AuthjsOptions {
            password_column,
            hasher: hasher.map(str::to_owned),
        },
    }))
}

impl SourcePlan for AuthjsPlan {
    fn open(&self) -> Result<Box<dyn Source>, SpecError> {
        let label = match &self.database {
            AuthjsDatabase::Postgres(url) | AuthjsDatabase::Mysql(url) => format!("authjs:{url}"),
            AuthjsDatabase::Sqlite(p) => format!("authjs:sqlite:{}", p.display()),
        };
        AuthjsSource::open(&self.database, &self.options)
            .map(|s| Box::new(s) as Box<dyn Source>)
            .map_err(|e| SpecError::open(&label, e))
    }
}

/// The naming a database uses, as found by inspecting it.
#[derive(Clone, Debug)]
struct Layout {
    user_table: String,
    account_table: String,
    user_id: Column,
    name: Option<Column>,
    email: Option<Column>,
    email_verified: Option<Column>,
    image: Option<Column>,
    created_at: Option<Column>,
    updated_at: Option<Column>,
    account_user_id: Column,
    account_type: Option<Column>,
    provider: Column,
    provider_account_id: Column,
    scope: Option<Column>,
    password: Option<PasswordLayout>,
}

#[derive(Clone, Debug)]
struct PasswordLayout {
    table: String,
    /// The column holding the user id in `table` (`id` when it is the user table).
    key: Column,
    column: Column,
    /// `TABLE.COLUMN` as the user wrote it, for messages.
    label: String,
}

/// A column as found: its real name and its type as the database declares it (lower case).
#[derive(Clone, Debug)]
struct Column {
    name: String,
    ty: String,
}

impl Column {
    fn is_bool(&self) -> bool {
        // MySQL's BOOLEAN is TINYINT(1).
        self.ty.contains("bool") || self.ty == "tinyint(1)"
    }
    fn is_timestamp(&self) -> bool {
        self.ty.starts_with("timestamp") || self.ty == "date"
    }
}

/// Table name → its columns (real name, lower-case declared type).
type Catalog = BTreeMap<String, Vec<(String, String)>>;

const USER_TABLES: &[(&str, &str)] = &[
    ("User", "Account"),
    ("user", "account"),
    ("users", "accounts"),
];

fn find_table<'a>(
    catalog: &'a Catalog,
    name: &str,
    case_insensitive: bool,
) -> Option<(&'a String, &'a Vec<(String, String)>)> {
    catalog.get_key_value(name).or_else(|| {
        if case_insensitive {
            catalog.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))
        } else {
            None
        }
    })
}

fn find_column(
    columns: &[(String, String)],
    candidates: &[&str],
    case_insensitive: bool,
) -> Option<Column> {
    candidates.iter().find_map(|cand| {
        columns
            .iter()
            .find(|(n, _)| n == cand || (case_insensitive && n.eq_ignore_ascii_case(cand)))
            .map(|(n, t)| Column {
                name: n.clone(),
                ty: t.to_ascii_lowercase(),
            })
    })
}

const USER_ID_COLUMNS: &[&str] = &["userId", "user_id"];

fn detect_layout(
    catalog: &Catalog,
    case_insensitive: bool,
    opts: &AuthjsOptions,
) -> Result<Layout, String> {
    let mut tried = Vec::new();
    for (user_name, account_name) in USER_TABLES {
        let (Some((user_table, ucols)), Some((account_table, acols))) = (
            find_table(catalog, user_name, case_insensitive),
            find_table(catalog, account_name, case_insensitive),
        ) else {
            continue;
        };
        let col = |cols: &[(String, String)], c: &[&str]| find_column(cols, c, case_insensitive);
        let (Some(user_id), Some(account_user_id), Some(provider), Some(provider_account_id)) = (
            col(ucols, &["id"]),
            col(acols, USER_ID_COLUMNS),
            col(acols, &["provider"]),
            col(acols, &["providerAccountId", "provider_account_id"]),
        ) else {
            tried.push(format!("`{user_table}`/`{account_table}`"));
            continue;
        };
        let mut layout = Layout {
            user_table: user_table.clone(),
            account_table: account_table.clone(),
            user_id,
            name: col(ucols, &["name"]),
            email: col(ucols, &["email"]),
            email_verified: col(ucols, &["emailVerified", "email_verified"]),
            image: col(ucols, &["image"]),
            created_at: col(ucols, &["createdAt", "created_at"]),
            updated_at: col(ucols, &["updatedAt", "updated_at"]),
            account_user_id,
            account_type: col(acols, &["type"]),
            provider,
            provider_account_id,
            scope: col(acols, &["scope"]),
            password: None,
        };
        if let Some((table, column)) = &opts.password_column {
            let label = format!("{table}.{column}");
            let (ptable, pcols) = find_table(catalog, table, case_insensitive)
                .or_else(|| catalog.get_key_value(table.as_str()))
                .ok_or_else(|| format!("--password-column {label}: there is no table `{table}`"))?;
            let pcolumn = col(pcols, &[column.as_str()]).ok_or_else(|| {
                format!("--password-column {label}: table `{ptable}` has no column `{column}`")
            })?;
            let key = if *ptable == layout.user_table {
                layout.user_id.clone()
            } else {
                col(pcols, USER_ID_COLUMNS).ok_or_else(|| {
                    format!(
                        "--password-column {label}: `{ptable}` is not the user table `{}` and has no userId/user_id column",
                        layout.user_table
                    )
                })?
            };
            layout.password = Some(PasswordLayout {
                table: ptable.clone(),
                key,
                column: pcolumn,
                label,
            });
        }
        return Ok(layout);
    }
    let mut message = String::from(
        "no Auth.js tables found: expected `User`/`Account` (Prisma, Kysely), `user`/`account` (Drizzle) or `users`/`accounts` (pg, D1 adapters)",
    );
    if !tried.is_empty() {
        message.push_str(&format!(
            "; {} lack the id, userId, provider or providerAccountId column",
            tried.join(", ")
        ));
    }
    Err(message)
}

/// One user row as read, before mapping.
#[derive(Default)]
struct UserRow {
    id: String,
    name: Option<String>,
    email: Option<String>,
    verified: bool,
    image: Option<String>,
    created_at: Option<Timestamp>,
    updated_at: Option<Timestamp>,
}

struct AccountRow {
    kind: Option<String>,
    provider: Option<String>,
    provider_account_id: Option<String>,
    scope: Option<String>,
}

/// A column value that could not be read, named by column (never by value).
struct BadValue {
    column: String,
    message: String,
}

type RowResult<T> = Result<T, (Option<String>, BadValue)>;

/// Adds one row of the password table to `map` (user id → digest). Rows without a password
/// never hide one; a second password for the same user fails that user, and a failed user
/// stays failed whatever rows follow.
fn merge_password(
    map: &mut HashMap<String, RowResult<Option<Secret>>>,
    user: String,
    digest: RowResult<Option<Secret>>,
    p: &PasswordLayout,
) {
    let entry = match (map.get(&user), digest) {
        (Some(Err(_)), _) | (Some(Ok(Some(_))), Ok(None)) => return,
        (Some(Ok(Some(_))), Ok(Some(_))) => Err((
            Some(user.clone()),
            BadValue {
                column: p.label.clone(),
                message: format!(
                    "more than one row of {} holds a password for this user",
                    p.table
                ),
            },
        )),
        (_, d) => d,
    };
    map.insert(user, entry);
}

/// The database side: pages of users, and the accounts/passwords of a page.
trait Backend: Send {
    /// The next page after `after` (the last id of the previous page as the backend keeps it).
    fn page(&mut self, layout: &Layout) -> Result<Vec<RowResult<UserRow>>, String>;
    /// Accounts of the users of the current page, by user id (text).
    fn accounts(
        &mut self,
        layout: &Layout,
        ids: &[String],
    ) -> Result<HashMap<String, Vec<RowResult<AccountRow>>>, String>;
    /// Password digests of the users of the current page, by user id.
    fn passwords(
        &mut self,
        layout: &Layout,
        ids: &[String],
    ) -> Result<HashMap<String, RowResult<Option<Secret>>>, String>;
}

/// Account types that are not OAuth links and are skipped: `credentials` (passwords, read with
/// `--password-column`), `email` (magic links: the email address is the identity) and
/// `webauthn` (passkeys, bound to the old relying party).
const NON_OAUTH_TYPES: &[&str] = &["credentials", "email", "webauthn"];

pub struct AuthjsSource {
    backend: Box<dyn Backend>,
    layout: Layout,
    description: String,
    queue: VecDeque<Result<User, RecordError>>,
    done: bool,
    hasher: Option<String>,
    skipped: BTreeMap<String, u64>,
    noted: bool,
}

impl AuthjsSource {
    pub fn open(db: &AuthjsDatabase, opts: &AuthjsOptions) -> Result<Self, String> {
        if opts.hasher.is_some() && opts.password_column.is_none() {
            return Err("--hasher needs --password-column".into());
        }
        let (backend, catalog, case_insensitive, what): (Box<dyn Backend>, Catalog, bool, String) =
            match db {
                AuthjsDatabase::Postgres(url) => {
                    let (mut pg, schema) = PgBackend::connect(url)?;
                    let mut catalog = pg.catalog()?;
                    // The Supabase adapter keeps its tables in schema `next_auth`, off the
                    // default search_path; look there when the path has none of them.
                    if schema.is_none()
                        && detect_layout(&catalog, false, opts).is_err()
                        && pg.use_schema_if_present(SUPABASE_SCHEMA)?
                    {
                        catalog = pg.catalog()?;
                    }
                    (Box::new(pg), catalog, false, redact_spec(url))
                }
                AuthjsDatabase::Mysql(url) => {
                    let mut my = MysqlBackend::connect(url)?;
                    let catalog = my.catalog()?;
                    (Box::new(my), catalog, true, redact_spec(url))
                }
                AuthjsDatabase::Sqlite(path) => {
                    let sq = SqliteBackend::open(path)?;
                    let catalog = sq.catalog()?;
                    (
                        Box::new(sq),
                        catalog,
                        true,
                        format!("sqlite:{}", path.display()),
                    )
                }
            };
        let layout = detect_layout(&catalog, case_insensitive, opts)?;
        let description = format!(
            "authjs:{what} (Auth.js tables `{}`/`{}`{})",
            layout.user_table,
            layout.account_table,
            layout
                .password
                .as_ref()
                .map(|p| format!(", passwords from {}", p.label))
                .unwrap_or_default()
        );
        Ok(AuthjsSource {
            backend,
            layout,
            description,
            queue: VecDeque::new(),
            done: false,
            hasher: opts.hasher.clone(),
            skipped: BTreeMap::new(),
            noted: false,
        })
    }

    /// Account rows skipped so far because they are not OAuth links, by type.
    pub fn skipped_account_types(&self) -> &BTreeMap<String, u64> {
        &self.skipped
    }

    /// The user and account tables found.
    pub fn tables(&self) -> (&str, &str) {
        (&self.layout.user_table, &self.layout.account_table)
    }

    fn fill(&mut self) -> Result<(), String> {
        let rows = self.backend.page(&self.layout)?;
        if rows.len() < PAGE_SIZE {
            self.done = true;
        }
        let ids: Vec<String> = rows
            .iter()
            .filter_map(|r| match r {
                Ok(u) => Some(u.id.clone()),
                Err((Some(id), _)) => Some(id.clone()),
                Err(_) => None,
            })
            .collect();
        if ids.is_empty() {
            self.done = true;
            for r in rows {
                if let Err((id, bad)) = r {
                    self.queue.push_back(Err(self.bad(id, bad)));
                }
            }
            return Ok(());
        }
        let mut accounts = self.backend.accounts(&self.layout, &ids)?;
        let mut passwords = match self.layout.password {
            Some(_) => self.backend.passwords(&self.layout, &ids)?,
            None => HashMap::new(),
        };
        for row in rows {
            let result = match row {
                Err((id, bad)) => Err(self.bad(id, bad)),
                Ok(u) => {
                    let acc = accounts.remove(&u.id).unwrap_or_default();
                    let pw = passwords.remove(&u.id);
                    self.map_user(u, acc, pw)
                }
            };
            self.queue.push_back(result);
        }
        Ok(())
    }

    fn bad(&self, id: Option<String>, bad: BadValue) -> RecordError {
        let message = match &id {
            Some(id) => format!("user {id}: {}", bad.message),
            None => bad.message,
        };
        RecordError::invalid(id, Some(&bad.column), message)
    }

    fn map_user(
        &mut self,
        row: UserRow,
        accounts: Vec<RowResult<AccountRow>>,
        password: Option<RowResult<Option<Secret>>>,
    ) -> Result<User, RecordError> {
        let id = row.id;
        let mut external_accounts = Vec::new();
        let acc_col = |c: &Column| format!("{}.{}", self.layout.account_table, c.name);
        for account in accounts {
            let a = account.map_err(|(_, bad)| self.bad(Some(id.clone()), bad))?;
            let kind = a
                .kind
                .as_deref()
                .map(str::trim)
                .unwrap_or("oauth")
                .to_ascii_lowercase();
            if kind != "oauth" && kind != "oidc" {
                let key = if NON_OAUTH_TYPES.contains(&kind.as_str()) {
                    kind
                } else {
                    format!("{kind} (unknown)")
                };
                *self.skipped.entry(key).or_default() += 1;
                continue;
            }
            let provider = a.provider.as_deref().map(str::trim).unwrap_or_default();
            if provider.is_empty() {
                let column = acc_col(&self.layout.provider);
                return Err(RecordError::invalid(
                    Some(id.clone()),
                    Some(&column),
                    format!("user {id}: an account has an empty {column}"),
                ));
            }
            let provider_user_id = a
                .provider_account_id
                .as_deref()
                .map(str::trim)
                .unwrap_or_default();
            if provider_user_id.is_empty() {
                let column = acc_col(&self.layout.provider_account_id);
                return Err(RecordError::invalid(
                    Some(id.clone()),
                    Some(&column),
                    format!("user {id}: the {provider} account has an empty {column}"),
                ));
            }
            external_accounts.push(ExternalAccount {
                provider: provider.to_owned(),
                provider_user_id: provider_user_id.to_owned(),
                email: None,
                scopes: a
                    .scope
                    .as_deref()
                    .unwrap_or_default()
                    .split([' ', ','])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                created_at: None,
                updated_at: None,
            });
        }
        let password = match password {
            None => None,
            Some(Err((_, bad))) => return Err(self.bad(Some(id.clone()), bad)),
            Some(Ok(None)) => None,
            Some(Ok(Some(digest))) => Some(PasswordCredential {
                hasher: self.hasher.clone(),
                digest,
                params: Default::default(),
            }),
        };
        let non_empty =
            |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(User {
            emails: non_empty(row.email)
                .map(|address| {
                    vec![EmailAddress {
                        address,
                        verified: row.verified,
                        primary: true,
                    }]
                })
                .unwrap_or_default(),
            display_name: non_empty(row.name),
            image_url: non_empty(row.image),
            external_accounts,
            password,
            created_at: row.created_at,
            updated_at: row.updated_at,
            source_id: id,
            ..Default::default()
        })
    }
}

impl Source for AuthjsSource {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn next_user(&mut self) -> Option<Result<User, RecordError>> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            if self.done {
                if !self.noted && !self.skipped.is_empty() {
                    self.noted = true;
                    let list: Vec<String> = self
                        .skipped
                        .iter()
                        .map(|(k, n)| format!("{n} of type {k}"))
                        .collect();
                    eprintln!(
                        "authferry: note: Auth.js account rows that are not OAuth links were not carried over: {} \
                         (credentials: use --password-column; email: the address itself is kept)",
                        list.join(", ")
                    );
                }
                return None;
            }
            if let Err(message) = self.fill() {
                self.done = true;
                return Some(Err(RecordError::fatal(format!(
                    "Auth.js database: {message}"
                ))));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

struct PgBackend {
    client: postgres::Client,
    /// The last user id of the previous page, as text (cast back to the id's type in SQL).
    last: Option<String>,
}

use crate::pg::describe_error as pg_error;

/// The schema of `@auth/supabase-adapter`'s tables.
const SUPABASE_SCHEMA: &str = "next_auth";

impl PgBackend {
    /// Connects (TLS and Prisma's `?schema=NAME` as [`crate::pg`] handles them); returns the
    /// schema named in the URL, if any.
    fn connect(url: &str) -> Result<(Self, Option<String>), String> {
        let url = crate::pg::PgUrl::parse(url)?;
        let client = url.connect()?;
        Ok((PgBackend { client, last: None }, url.schema))
    }

    /// Puts `schema` first on the session's search_path when it exists.
    fn use_schema_if_present(&mut self, schema: &str) -> Result<bool, String> {
        let exists = crate::pg::schema_exists(&mut self.client, schema)?;
        if exists {
            crate::pg::set_search_path(&mut self.client, schema)?;
        }
        Ok(exists)
    }

    fn catalog(&mut self) -> Result<Catalog, String> {
        let rows = self
            .client
            .query(
                "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod)
                   FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
                  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND pg_table_is_visible(c.oid)
                    AND a.attnum > 0 AND NOT a.attisdropped
                  ORDER BY c.relname, a.attnum",
                &[],
            )
            .map_err(pg_error)?;
        let mut catalog = Catalog::new();
        for r in rows {
            catalog
                .entry(r.get::<_, String>(0))
                .or_default()
                .push((r.get(1), r.get(2)));
        }
        Ok(catalog)
    }
}

fn pg_text(c: &Option<Column>) -> String {
    match c {
        Some(c) => format!("{}::text", quote(&c.name)),
        None => "NULL::text".into(),
    }
}

fn pg_millis(c: &Option<Column>) -> String {
    match c {
        Some(c) if c.is_timestamp() => {
            format!("(EXTRACT(EPOCH FROM {}) * 1000)::bigint", quote(&c.name))
        }
        Some(c) if c.ty.contains("int") => format!("{}::bigint", quote(&c.name)),
        _ => "NULL::bigint".into(),
    }
}

impl Backend for PgBackend {
    fn page(&mut self, l: &Layout) -> Result<Vec<RowResult<UserRow>>, String> {
        let id = quote(&l.user_id.name);
        let verified = match &l.email_verified {
            Some(c) if c.is_bool() => format!("COALESCE({}, false)", quote(&c.name)),
            Some(c) => format!("({} IS NOT NULL)", quote(&c.name)),
            None => "false".into(),
        };
        // Output columns are aliased so that ORDER BY sorts by the id itself (an integer id
        // ordered as its text would put 10 before 2 and break the keyset).
        let select = format!(
            "SELECT {id}::text AS af_id, {}, {}, {verified}, {}, {}, {} FROM {}",
            pg_text(&l.name),
            pg_text(&l.email),
            pg_text(&l.image),
            pg_millis(&l.created_at),
            pg_millis(&l.updated_at),
            quote(&l.user_table)
        );
        let rows = match &self.last {
            None => self
                .client
                .query(&format!("{select} ORDER BY {id} LIMIT {PAGE_SIZE}"), &[]),
            Some(last) => self.client.query(
                &format!(
                    "{select} WHERE {id} > CAST($1::text AS {}) ORDER BY {id} LIMIT {PAGE_SIZE}",
                    l.user_id.ty
                ),
                &[last],
            ),
        }
        .map_err(pg_error)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: Option<String> = r.get(0);
            let Some(id) = id else {
                return Err(format!("a row of {} has a NULL id", l.user_table));
            };
            self.last = Some(id.clone());
            out.push(Ok(UserRow {
                id,
                name: r.get(1),
                email: r.get(2),
                verified: r.get(3),
                image: r.get(4),
                created_at: r.get::<_, Option<i64>>(5).map(Timestamp::from_millis),
                updated_at: r.get::<_, Option<i64>>(6).map(Timestamp::from_millis),
            }));
        }
        Ok(out)
    }

    fn accounts(
        &mut self,
        l: &Layout,
        ids: &[String],
    ) -> Result<HashMap<String, Vec<RowResult<AccountRow>>>, String> {
        let uid = quote(&l.account_user_id.name);
        let sql = format!(
            "SELECT {uid}::text AS af_user, {}, {}, {}, {} FROM {} WHERE {uid} = ANY(CAST($1::text[] AS {}[])) ORDER BY 1, 3, 4",
            pg_text(&l.account_type),
            pg_text(&Some(l.provider.clone())),
            pg_text(&Some(l.provider_account_id.clone())),
            pg_text(&l.scope),
            quote(&l.account_table),
            l.account_user_id.ty,
        );
        let rows = self.client.query(&sql, &[&ids]).map_err(pg_error)?;
        let mut map: HashMap<String, Vec<RowResult<AccountRow>>> = HashMap::new();
        for r in rows {
            let uid: String = r.get(0);
            map.entry(uid).or_default().push(Ok(AccountRow {
                kind: r.get(1),
                provider: r.get(2),
                provider_account_id: r.get(3),
                scope: r.get(4),
            }));
        }
        Ok(map)
    }

    fn passwords(
        &mut self,
        l: &Layout,
        ids: &[String],
    ) -> Result<HashMap<String, RowResult<Option<Secret>>>, String> {
        let Some(p) = &l.password else {
            return Ok(HashMap::new());
        };
        let key = quote(&p.key.name);
        let sql = format!(
            "SELECT {key}::text, {}::text FROM {} WHERE {key} = ANY(CAST($1::text[] AS {}[])) AND {} IS NOT NULL",
            quote(&p.column.name),
            quote(&p.table),
            p.key.ty,
            quote(&p.column.name),
        );
        let rows = self.client.query(&sql, &[&ids]).map_err(pg_error)?;
        let mut map = HashMap::new();
        for r in rows {
            let uid: String = r.get(0);
            let digest: Option<String> = r.get(1);
            let digest = digest
                .map(|d| d.trim().to_owned())
                .filter(|d| !d.is_empty());
            merge_password(&mut map, uid, Ok(digest.map(Secret::new)), p);
        }
        Ok(map)
    }
}

// ---------------------------------------------------------------------------------------------
// MySQL / MariaDB

struct MysqlBackend {
    conn: mysql::Conn,
    /// The last user id of the previous page, as the server gave it.
    last: Option<mysql::Value>,
}

fn my_error(e: mysql::Error) -> String {
    match e {
        mysql::Error::MySqlError(m) => format!("MySQL: {} ({})", m.message, m.code),
        mysql::Error::UrlError(_) => "MySQL: the URL is not valid".to_string(),
        other => format!("MySQL: {other}"),
    }
}

/// Every value is selected `CAST(… AS CHAR)`, so it arrives as text or NULL.
fn my_text(c: &Option<Column>) -> String {
    match c {
        Some(c) => format!("CAST({} AS CHAR)", quote(&c.name)),
        None => "NULL".into(),
    }
}

fn my_row_text(row: &mut mysql::Row, i: usize, column: &str) -> Result<Option<String>, BadValue> {
    match row.take_opt::<Option<String>, usize>(i) {
        Some(Ok(v)) => Ok(v),
        _ => Err(BadValue {
            column: column.to_owned(),
            message: format!("{column} is not text"),
        }),
    }
}

impl MysqlBackend {
    fn connect(url: &str) -> Result<Self, String> {
        use mysql::prelude::Queryable;
        let url = match url.strip_prefix("mariadb://") {
            Some(rest) => format!("mysql://{rest}"),
            None => url.to_string(),
        };
        let opts =
            mysql::Opts::from_url(&url).map_err(|_| "MySQL: the URL is not valid".to_string())?;
        let mut conn = mysql::Conn::new(opts).map_err(my_error)?;
        // Double-quoted identifiers (the SQL below is shared with PostgreSQL and SQLite), and
        // dates read as UTC.
        conn.query_drop("SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',ANSI_QUOTES'), time_zone = '+00:00'")
            .map_err(my_error)?;
        Ok(MysqlBackend { conn, last: None })
    }

    fn catalog(&mut self) -> Result<Catalog, String> {
        use mysql::prelude::Queryable;
        let rows: Vec<(String, String, String)> = self
            .conn
            .query(
                "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR)
                   FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
                  ORDER BY TABLE_NAME, ORDINAL_POSITION",
            )
            .map_err(my_error)?;
        let mut catalog = Catalog::new();
        for (table, column, ty) in rows {
            catalog.entry(table).or_default().push((column, ty));
        }
        Ok(catalog)
    }

    fn exec(&mut self, sql: &str, params: Vec<mysql::Value>) -> Result<Vec<mysql::Row>, String> {
        use mysql::prelude::Queryable;
        let params = if params.is_empty() {
            mysql::Params::Empty
        } else {
            mysql::Params::Positional(params)
        };
        self.conn.exec(sql, params).map_err(my_error)
    }
}

impl Backend for MysqlBackend {
    fn page(&mut self, l: &Layout) -> Result<Vec<RowResult<UserRow>>, String> {
        let id = quote(&l.user_id.name);
        let verified = match &l.email_verified {
            Some(c) if c.is_bool() => format!("CAST(COALESCE({}, 0) <> 0 AS CHAR)", quote(&c.name)),
            Some(c) => format!("CAST({} IS NOT NULL AS CHAR)", quote(&c.name)),
            None => "'0'".into(),
        };
        let sql = format!(
            "SELECT {id}, CAST({id} AS CHAR), {}, {}, {verified}, {}, {}, {} FROM {} {} ORDER BY {id} LIMIT {PAGE_SIZE}",
            my_text(&l.name),
            my_text(&l.email),
            my_text(&l.image),
            my_text(&l.created_at),
            my_text(&l.updated_at),
            quote(&l.user_table),
            if self.last.is_some() {
                format!("WHERE {id} > ?")
            } else {
                String::new()
            },
        );
        let params = self.last.clone().into_iter().collect();
        let rows = self.exec(&sql, params)?;
        let table = &l.user_table;
        let name_of = |c: &Option<Column>| {
            format!(
                "{table}.{}",
                c.as_ref().map(|c| c.name.as_str()).unwrap_or("")
            )
        };
        let mut out = Vec::with_capacity(rows.len());
        for mut r in rows {
            let raw: mysql::Value = r.take(0).unwrap_or(mysql::Value::NULL);
            let Ok(Some(id)) = my_row_text(&mut r, 1, "id") else {
                return Err(format!("a row of {table} has a NULL id"));
            };
            self.last = Some(raw);
            let row = (|| -> Result<UserRow, BadValue> {
                let date = |v: Option<String>,
                            c: &Option<Column>|
                 -> Result<Option<Timestamp>, BadValue> {
                    match v {
                        None => Ok(None),
                        Some(t) if t.trim().is_empty() => Ok(None),
                        Some(t) => parse_date_text(&t).map(Some).ok_or_else(|| BadValue {
                            column: name_of(c),
                            message: format!("{} is not a date", name_of(c)),
                        }),
                    }
                };
                Ok(UserRow {
                    id: id.clone(),
                    name: my_row_text(&mut r, 2, &name_of(&l.name))?,
                    email: my_row_text(&mut r, 3, &name_of(&l.email))?,
                    verified: my_row_text(&mut r, 4, &name_of(&l.email_verified))?.as_deref()
                        == Some("1"),
                    image: my_row_text(&mut r, 5, &name_of(&l.image))?,
                    created_at: date(
                        my_row_text(&mut r, 6, &name_of(&l.created_at))?,
                        &l.created_at,
                    )?,
                    updated_at: date(
                        my_row_text(&mut r, 7, &name_of(&l.updated_at))?,
                        &l.updated_at,
                    )?,
                })
            })();
            out.push(row.map_err(|bad| (Some(id), bad)));
        }
        Ok(out)
    }

    fn accounts(
        &mut self,
        l: &Layout,
        ids: &[String],
    ) -> Result<HashMap<String, Vec<RowResult<AccountRow>>>, String> {
        let uid = quote(&l.account_user_id.name);
        let placeholders = vec!["?"; ids.len()].join(",");
        let sql = format!(
            "SELECT CAST({uid} AS CHAR), {}, {}, {}, {} FROM {} WHERE {uid} IN ({placeholders}) ORDER BY {uid}, 3, 4",
            my_text(&l.account_type),
            my_text(&Some(l.provider.clone())),
            my_text(&Some(l.provider_account_id.clone())),
            my_text(&l.scope),
            quote(&l.account_table),
        );
        let rows = self.exec(
            &sql,
            ids.iter().map(|i| mysql::Value::from(i.as_str())).collect(),
        )?;
        let t = &l.account_table;
        let name = |c: Option<&Column>, default: &str| {
            format!("{t}.{}", c.map(|c| c.name.as_str()).unwrap_or(default))
        };
        let mut map: HashMap<String, Vec<RowResult<AccountRow>>> = HashMap::new();
        for mut r in rows {
            let Ok(Some(user)) = my_row_text(&mut r, 0, "userId") else {
                continue;
            };
            let row = (|| -> Result<AccountRow, BadValue> {
                Ok(AccountRow {
                    kind: my_row_text(&mut r, 1, &name(l.account_type.as_ref(), "type"))?,
                    provider: my_row_text(&mut r, 2, &name(Some(&l.provider), ""))?,
                    provider_account_id: my_row_text(
                        &mut r,
                        3,
                        &name(Some(&l.provider_account_id), ""),
                    )?,
                    scope: my_row_text(&mut r, 4, &name(l.scope.as_ref(), "scope"))?,
                })
            })();
            map.entry(user.clone())
                .or_default()
                .push(row.map_err(|b| (Some(user), b)));
        }
        Ok(map)
    }

    fn passwords(
        &mut self,
        l: &Layout,
        ids: &[String],
    ) -> Result<HashMap<String, RowResult<Option<Secret>>>, String> {
        let Some(p) = &l.password else {
            return Ok(HashMap::new());
        };
        let key = quote(&p.key.name);
        let placeholders = vec!["?"; ids.len()].join(",");
        let sql = format!(
            "SELECT CAST({key} AS CHAR), CAST({col} AS CHAR) FROM {} WHERE {key} IN ({placeholders}) AND {col} IS NOT NULL",
            quote(&p.table),
            col = quote(&p.column.name),
        );
        let rows = self.exec(
            &sql,
            ids.iter().map(|i| mysql::Value::from(i.as_str())).collect(),
        )?;
        let mut map: HashMap<String, RowResult<Option<Secret>>> = HashMap::new();
        for mut r in rows {
            let Ok(Some(user)) = my_row_text(&mut r, 0, "userId") else {
                continue;
            };
            let digest = my_row_text(&mut r, 1, &p.label)
                .map(|d| {
                    d.map(|d| d.trim().to_owned())
                        .filter(|d| !d.is_empty())
                        .map(Secret::new)
                })
                .map_err(|b| (Some(user.clone()), b));
            merge_password(&mut map, user, digest, p);
        }
        Ok(map)
    }
}

// ---------------------------------------------------------------------------------------------
// SQLite

struct SqliteBackend {
    conn: rusqlite::Connection,
    last: Option<rusqlite::types::Value>,
}

impl SqliteBackend {
    fn open(path: &Path) -> Result<Self, String> {
        if !path.exists() {
            return Err(format!("{}: no such file", path.display()));
        }
        let conn = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| format!("SQLite: {e}"))?;
        Ok(SqliteBackend { conn, last: None })
    }

    fn catalog(&self) -> Result<Catalog, String> {
        let err = |e: rusqlite::Error| format!("SQLite: {e}");
        let mut stmt = self
            .conn
            .prepare(
                "SELECT m.name, p.name, p.type FROM sqlite_master m, pragma_table_info(m.name) p
                  WHERE m.type IN ('table', 'view') ORDER BY m.name, p.cid",
            )
            .map_err(err)?;
        let mut rows = stmt.query([]).map_err(err)?;
        let mut catalog = Catalog::new();
        while let Some(r) = rows.next().map_err(err)? {
            catalog
                .entry(r.get::<_, String>(0).map_err(err)?)
                .or_default()
                .push((r.get(1).map_err(err)?, r.get(2).map_err(err)?));
        }
        Ok(catalog)
    }
}

use rusqlite::types::Value as SqlValue;

fn sq_col(c: &Option<Column>) -> String {
    match c {
        Some(c) => quote(&c.name),
        None => "NULL".into(),
    }
}

/// A text column's value: text, or a number written as text (ids are often integers).
fn sq_text(v: SqlValue, column: &str) -> Result<Option<String>, BadValue> {
    match v {
        SqlValue::Null => Ok(None),
        SqlValue::Text(s) => Ok(Some(s)),
        SqlValue::Integer(i) => Ok(Some(i.to_string())),
        SqlValue::Real(f) => Ok(Some(f.to_string())),
        SqlValue::Blob(_) => Err(BadValue {
            column: column.to_owned(),
            message: format!("{column} holds a blob, not text"),
        }),
    }
}

/// A date as the adapters store it in SQLite: milliseconds (Drizzle `timestamp_ms`, Prisma),
/// seconds, or text (`datetime` columns of the D1 adapter, ISO strings).
fn sq_date(v: SqlValue, column: &str) -> Result<Option<Timestamp>, BadValue> {
    let bad = |what: &str| BadValue {
        column: column.to_owned(),
        message: format!("{column} is not a date ({what})"),
    };
    match v {
        SqlValue::Null => Ok(None),
        SqlValue::Integer(i) => Ok(Some(Timestamp::from_number(i))),
        SqlValue::Real(f) => Ok(Some(Timestamp::from_number(f as i64))),
        SqlValue::Text(s) if s.trim().is_empty() => Ok(None),
        SqlValue::Text(s) => parse_date_text(&s)
            .map(Some)
            .ok_or_else(|| bad("unrecognised text")),
        SqlValue::Blob(_) => Err(bad("a blob")),
    }
}

fn id_text(v: &SqlValue) -> Option<String> {
    match v {
        SqlValue::Text(s) => Some(s.clone()),
        SqlValue::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

impl Backend for SqliteBackend {
    fn page(&mut self, l: &Layout) -> Result<Vec<RowResult<UserRow>>, String> {
        let err = |e: rusqlite::Error| format!("SQLite: {e}");
        let id = quote(&l.user_id.name);
        let sql = format!(
            "SELECT {id}, {}, {}, {}, {}, {}, {} FROM {} {} ORDER BY {id} LIMIT {PAGE_SIZE}",
            sq_col(&l.name),
            sq_col(&l.email),
            sq_col(&l.email_verified),
            sq_col(&l.image),
            sq_col(&l.created_at),
            sq_col(&l.updated_at),
            quote(&l.user_table),
            if self.last.is_some() {
                format!("WHERE {id} > ?1")
            } else {
                String::new()
            },
        );
        let mut stmt = self.conn.prepare(&sql).map_err(err)?;
        let mut rows = match &self.last {
            Some(last) => stmt.query([last]),
            None => stmt.query([]),
        }
        .map_err(err)?;
        let table = &l.user_table;
        let name_of = |c: &Option<Column>| {
            format!(
                "{table}.{}",
                c.as_ref().map(|c| c.name.as_str()).unwrap_or("")
            )
        };
        let mut out = Vec::new();
        let mut last = None;
        while let Some(r) = rows.next().map_err(err)? {
            let get = |i: usize| r.get::<_, SqlValue>(i).map_err(err);
            let raw_id = get(0)?;
            let Some(id) = id_text(&raw_id) else {
                return Err(format!(
                    "a row of {table} has an id that is neither text nor an integer"
                ));
            };
            last = Some(raw_id);
            let verified = match (get(3)?, &l.email_verified) {
                (SqlValue::Null, _) => false,
                (SqlValue::Integer(i), Some(c)) if c.is_bool() => i != 0,
                (SqlValue::Text(s), Some(c)) if c.is_bool() => {
                    matches!(s.trim(), "1" | "true" | "t")
                }
                _ => true,
            };
            let row = (|| -> Result<UserRow, BadValue> {
                Ok(UserRow {
                    id: id.clone(),
                    name: sq_text(get_v(r, 1), &name_of(&l.name))?,
                    email: sq_text(get_v(r, 2), &name_of(&l.email))?,
                    verified,
                    image: sq_text(get_v(r, 4), &name_of(&l.image))?,
                    created_at: sq_date(get_v(r, 5), &name_of(&l.created_at))?,
                    updated_at: sq_date(get_v(r, 6), &name_of(&l.updated_at))?,
                })
            })();
            out.push(row.map_err(|bad| (Some(id), bad)));
        }
        if last.is_some() {
            self.last = last;
        }
        Ok(out)
    }

    fn accounts(
        &mut self,
        l: &Layout,
        ids: &[String],
    ) -> Result<HashMap<String, Vec<RowResult<AccountRow>>>, String> {
        let err = |e: rusqlite::Error| format!("SQLite: {e}");
        let uid = quote(&l.account_user_id.name);
        let uid_match = sq_match(&l.account_user_id);
        let placeholders = vec!["?"; ids.len()].join(",");
        let sql = format!(
            "SELECT {uid}, {}, {}, {}, {} FROM {} WHERE {uid_match} IN ({placeholders}) ORDER BY {uid}, 3, 4",
            sq_col(&l.account_type),
            quote(&l.provider.name),
            quote(&l.provider_account_id.name),
            sq_col(&l.scope),
            quote(&l.account_table),
        );
        let mut stmt = self.conn.prepare(&sql).map_err(err)?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(ids.iter()))
            .map_err(err)?;
        let t = &l.account_table;
        let name = |c: &str| format!("{t}.{c}");
        let mut map: HashMap<String, Vec<RowResult<AccountRow>>> = HashMap::new();
        while let Some(r) = rows.next().map_err(err)? {
            let Some(user) = id_text(&get_v(r, 0)) else {
                continue;
            };
            let row = (|| -> Result<AccountRow, BadValue> {
                Ok(AccountRow {
                    kind: sq_text(
                        get_v(r, 1),
                        &name(
                            l.account_type
                                .as_ref()
                                .map(|c| c.name.as_str())
                                .unwrap_or("type"),
                        ),
                    )?,
                    provider: sq_text(get_v(r, 2), &name(&l.provider.name))?,
                    provider_account_id: sq_text(get_v(r, 3), &name(&l.provider_account_id.name))?,
                    scope: sq_text(
                        get_v(r, 4),
                        &name(l.scope.as_ref().map(|c| c.name.as_str()).unwrap_or("scope")),
                    )?,
                })
            })();
            map.entry(user.clone())
                .or_default()
                .push(row.map_err(|b| (Some(user), b)));
        }
        Ok(map)
    }

    fn passwords(
        &mut self,
        l: &Layout,
        ids: &[String],
    ) -> Result<HashMap<String, RowResult<Option<Secret>>>, String> {
        let Some(p) = &l.password else {
            return Ok(HashMap::new());
        };
        let err = |e: rusqlite::Error| format!("SQLite: {e}");
        let key = quote(&p.key.name);
        let key_match = sq_match(&p.key);
        let placeholders = vec!["?"; ids.len()].join(",");
        let sql = format!(
            "SELECT {key}, {} FROM {} WHERE {key_match} IN ({placeholders}) AND {} IS NOT NULL",
            quote(&p.column.name),
            quote(&p.table),
            quote(&p.column.name),
        );
        let mut stmt = self.conn.prepare(&sql).map_err(err)?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(ids.iter()))
            .map_err(err)?;
        let mut map: HashMap<String, RowResult<Option<Secret>>> = HashMap::new();
        while let Some(r) = rows.next().map_err(err)? {
            let Some(user) = id_text(&get_v(r, 0)) else {
                continue;
            };
            let digest = match get_v(r, 1) {
                SqlValue::Text(s) => Ok(Some(s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .map(Secret::new)),
                SqlValue::Null => Ok(None),
                _ => Err((
                    Some(user.clone()),
                    BadValue {
                        column: p.label.clone(),
                        message: format!("{} is not text", p.label),
                    },
                )),
            };
            merge_password(&mut map, user, digest, p);
        }
        Ok(map)
    }
}

/// The id column as compared with the page's ids (bound as text). A typed column converts
/// them itself (type affinity) and keeps its index; only an untyped one needs a cast, which
/// would make SQLite scan the whole table for every page.
fn sq_match(c: &Column) -> String {
    if c.ty.trim().is_empty() {
        format!("CAST({} AS TEXT)", quote(&c.name))
    } else {
        quote(&c.name)
    }
}

fn get_v(r: &rusqlite::Row<'_>, i: usize) -> SqlValue {
    r.get::<_, SqlValue>(i).unwrap_or(SqlValue::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_password_row_fails_the_user_and_a_third_does_not_undo_it() {
        let p = PasswordLayout {
            table: "credentials".into(),
            key: Column {
                name: "userId".into(),
                ty: "text".into(),
            },
            column: Column {
                name: "hash".into(),
                ty: "text".into(),
            },
            label: "credentials.hash".into(),
        };
        let mut map = HashMap::new();
        let row = |d: Option<&str>| Ok(d.map(Secret::new));
        merge_password(&mut map, "u1".into(), row(None), &p);
        merge_password(&mut map, "u1".into(), row(Some("$2b$a")), &p);
        merge_password(&mut map, "u1".into(), row(None), &p);
        assert!(matches!(map.get("u1"), Some(Ok(Some(_)))));
        merge_password(&mut map, "u1".into(), row(Some("$2b$b")), &p);
        merge_password(&mut map, "u1".into(), row(Some("$2b$c")), &p);
        match map.get("u1") {
            Some(Err((_, bad))) => {
                assert!(bad.message.contains("more than one row"), "{}", bad.message)
            }
            other => panic!("{:?}", other.map(|r| r.is_ok())),
        }
    }

    fn catalog(tables: &[(&str, &[&str])]) -> Catalog {
        tables
            .iter()
            .map(|(t, cols)| {
                (
                    t.to_string(),
                    cols.iter()
                        .map(|c| (c.to_string(), "text".to_string()))
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn better_auth_tables_are_not_taken_for_authjs() {
        let c = catalog(&[
            ("user", &["id", "name", "email", "emailVerified", "image"]),
            (
                "account",
                &["id", "userId", "providerId", "accountId", "password"],
            ),
        ]);
        let e = detect_layout(&c, false, &AuthjsOptions::default()).unwrap_err();
        assert!(e.contains("`user`/`account`"), "{e}");
    }

    #[test]
    fn snake_case_columns_are_found() {
        let c = catalog(&[
            (
                "users",
                &[
                    "id",
                    "name",
                    "email",
                    "email_verified",
                    "image",
                    "password_hash",
                ],
            ),
            (
                "accounts",
                &[
                    "id",
                    "user_id",
                    "type",
                    "provider",
                    "provider_account_id",
                    "scope",
                ],
            ),
        ]);
        let opts = AuthjsOptions {
            password_column: Some(("users".into(), "password_hash".into())),
            hasher: None,
        };
        let l = detect_layout(&c, false, &opts).unwrap();
        assert_eq!(l.account_user_id.name, "user_id");
        assert_eq!(l.email_verified.unwrap().name, "email_verified");
        assert_eq!(l.password.unwrap().key.name, "id");
    }
}
