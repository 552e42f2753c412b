//! The tables better-auth 1.7.25 creates for itself (core + the two-factor, username,
//! phone-number and admin plugins), the DDL its own migration compiles for them, and the check
//! of an existing schema against them.
//!
//! The DDL strings equal `getMigrations(config).compileMigrations()` of the real package byte for
//! byte (fixtures in `tests/fixtures/better-auth-1.7.25/`, compared in the tests below), so a
//! database prepared by authferry is one `npx @better-auth/cli migrate` would leave alone.

use authferry_core::Field;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// better-auth's field types, as its schema declares them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Bool,
    Date,
    Int,
}

/// The plugin a column belongs to; `None` columns are better-auth's core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Plugin {
    TwoFactor,
    Username,
    PhoneNumber,
    Admin,
}

#[derive(Debug)]
pub(crate) struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub not_null: bool,
    pub primary_key: bool,
    pub unique: bool,
    /// `references "user" ("id") on delete cascade`.
    pub references_user: bool,
    /// PostgreSQL only: better-auth gives date fields whose default is a function (`now`) a
    /// `default CURRENT_TIMESTAMP`.
    pub default_now: bool,
    pub plugin: Option<Plugin>,
}

#[derive(Debug)]
pub(crate) struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
    /// Non-unique single-column indexes, named `<table>_<column>_idx` as better-auth names them.
    pub indexes: &'static [&'static str],
}

const fn col(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        not_null: false,
        primary_key: false,
        unique: false,
        references_user: false,
        default_now: false,
        plugin: None,
    }
}

impl Column {
    const fn not_null(mut self) -> Self {
        self.not_null = true;
        self
    }
    const fn unique(mut self) -> Self {
        self.unique = true;
        self
    }
    const fn references_user(mut self) -> Self {
        self.references_user = true;
        self
    }
    const fn default_now(mut self) -> Self {
        self.default_now = true;
        self
    }
    const fn plugin(mut self, plugin: Plugin) -> Self {
        self.plugin = Some(plugin);
        self
    }
}

const fn id() -> Column {
    let mut c = col("id", Kind::Text).not_null();
    c.primary_key = true;
    c
}

use Kind::{Bool, Date, Int, Text};

pub(crate) const USER: Table = Table {
    name: "user",
    columns: &[
        id(),
        col("name", Text).not_null(),
        col("email", Text).not_null().unique(),
        col("emailVerified", Bool).not_null(),
        col("image", Text),
        col("createdAt", Date).not_null().default_now(),
        col("updatedAt", Date).not_null().default_now(),
        col("twoFactorEnabled", Bool).plugin(Plugin::TwoFactor),
        col("username", Text).unique().plugin(Plugin::Username),
        col("displayUsername", Text).plugin(Plugin::Username),
        col("phoneNumber", Text)
            .unique()
            .plugin(Plugin::PhoneNumber),
        col("phoneNumberVerified", Bool).plugin(Plugin::PhoneNumber),
        col("role", Text).plugin(Plugin::Admin),
        col("banned", Bool).plugin(Plugin::Admin),
        col("banReason", Text).plugin(Plugin::Admin),
        col("banExpires", Date).plugin(Plugin::Admin),
    ],
    indexes: &[],
};

pub(crate) const SESSION: Table = Table {
    name: "session",
    columns: &[
        id(),
        col("expiresAt", Date).not_null(),
        col("token", Text).not_null().unique(),
        col("createdAt", Date).not_null().default_now(),
        col("updatedAt", Date).not_null(),
        col("ipAddress", Text),
        col("userAgent", Text),
        col("userId", Text).not_null().references_user(),
        col("impersonatedBy", Text).plugin(Plugin::Admin),
    ],
    indexes: &["userId"],
};

pub(crate) const ACCOUNT: Table = Table {
    name: "account",
    columns: &[
        id(),
        col("accountId", Text).not_null(),
        col("providerId", Text).not_null(),
        col("userId", Text).not_null().references_user(),
        col("accessToken", Text),
        col("refreshToken", Text),
        col("idToken", Text),
        col("accessTokenExpiresAt", Date),
        col("refreshTokenExpiresAt", Date),
        col("scope", Text),
        col("password", Text),
        col("createdAt", Date).not_null().default_now(),
        col("updatedAt", Date).not_null(),
    ],
    indexes: &["userId"],
};

pub(crate) const VERIFICATION: Table = Table {
    name: "verification",
    columns: &[
        id(),
        col("identifier", Text).not_null(),
        col("value", Text).not_null(),
        col("expiresAt", Date).not_null(),
        col("createdAt", Date).not_null().default_now(),
        col("updatedAt", Date).not_null().default_now(),
    ],
    indexes: &["identifier"],
};

pub(crate) const TWO_FACTOR: Table = Table {
    name: "twoFactor",
    columns: &[
        id(),
        col("secret", Text).not_null(),
        col("backupCodes", Text).not_null(),
        col("userId", Text).not_null().references_user(),
        col("verified", Bool),
        col("failedVerificationCount", Int),
        col("lockedUntil", Date),
    ],
    indexes: &["secret", "userId"],
};

/// In the order better-auth's migration creates them (`user` first: the others reference it).
pub(crate) const TABLES: [&Table; 5] = [&USER, &SESSION, &ACCOUNT, &VERIFICATION, &TWO_FACTOR];

/// The columns authferry writes, per table, in the order the row values come in
/// (`mapping::UserRow::values` and friends). The rest stay NULL, as after a fresh sign-up.
pub(crate) const USER_WRITES: [&str; 14] = [
    "id",
    "name",
    "email",
    "emailVerified",
    "image",
    "createdAt",
    "updatedAt",
    "twoFactorEnabled",
    "username",
    "displayUsername",
    "phoneNumber",
    "phoneNumberVerified",
    "role",
    "banned",
];
pub(crate) const ACCOUNT_WRITES: [&str; 8] = [
    "id",
    "accountId",
    "providerId",
    "userId",
    "scope",
    "password",
    "createdAt",
    "updatedAt",
];
pub(crate) const TWO_FACTOR_WRITES: [&str; 6] = [
    "id",
    "secret",
    "backupCodes",
    "userId",
    "verified",
    "failedVerificationCount",
];

fn type_name(dialect: Dialect, kind: Kind) -> &'static str {
    match (dialect, kind) {
        (Dialect::Sqlite, Text) => "text",
        (Dialect::Sqlite, Bool) => "integer",
        (Dialect::Sqlite, Date) => "date",
        (Dialect::Sqlite, Int) => "integer",
        (Dialect::Postgres, Text) => "text",
        (Dialect::Postgres, Bool) => "boolean",
        (Dialect::Postgres, Date) => "timestamptz",
        (Dialect::Postgres, Int) => "integer",
    }
}

/// The column types better-auth's own schema check (`matchType` in `db/get-migration.mjs`)
/// accepts for a kind, lower-case, without length. PostgreSQL `uuid` is left out on purpose:
/// authferry keeps the source's user ids, which are not UUIDs.
fn accepted_types(dialect: Dialect, kind: Kind) -> &'static [&'static str] {
    match (dialect, kind) {
        (Dialect::Sqlite, Text) => &["text"],
        (Dialect::Sqlite, Bool) => &["integer", "boolean"],
        (Dialect::Sqlite, Date) => &["date", "integer"],
        (Dialect::Sqlite, Int) => &["integer", "real", "bigint"],
        (Dialect::Postgres, Text) => &["text", "varchar", "character varying"],
        (Dialect::Postgres, Bool) => &["bool", "boolean"],
        (Dialect::Postgres, Date) => &["timestamptz", "timestamp", "date"],
        (Dialect::Postgres, Int) => &[
            "int2",
            "int4",
            "int8",
            "smallint",
            "integer",
            "bigint",
            "numeric",
            "real",
            "float4",
            "float8",
            "double precision",
        ],
    }
}

fn normalize_type(declared: &str) -> String {
    declared
        .split('(')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn column_ddl(dialect: Dialect, c: &Column) -> String {
    let mut s = format!("\"{}\" {}", c.name, type_name(dialect, c.kind));
    if c.default_now && dialect == Dialect::Postgres {
        s.push_str(" default CURRENT_TIMESTAMP");
    }
    if c.not_null {
        s.push_str(" not null");
    }
    if c.primary_key {
        s.push_str(" primary key");
    }
    if c.references_user {
        s.push_str(" references \"user\" (\"id\") on delete cascade");
    }
    if c.unique {
        s.push_str(" unique");
    }
    s
}

/// `create table` for each of `tables`, then their indexes, as better-auth's migration orders
/// them (tables in [`TABLES`] order, indexes deferred to the end).
pub(crate) fn create_statements(dialect: Dialect, tables: &[&Table]) -> Vec<String> {
    let mut ordered: Vec<&Table> = TABLES
        .iter()
        .copied()
        .filter(|t| tables.iter().any(|x| x.name == t.name))
        .collect();
    ordered.dedup_by(|a, b| a.name == b.name);
    let mut out = Vec::new();
    for t in &ordered {
        let cols: Vec<String> = t.columns.iter().map(|c| column_ddl(dialect, c)).collect();
        out.push(format!("create table \"{}\" ({})", t.name, cols.join(", ")));
    }
    for t in &ordered {
        for column in t.indexes {
            out.push(format!(
                "create index \"{t}_{column}_idx\" on \"{t}\" (\"{column}\")",
                t = t.name
            ));
        }
    }
    out
}

/// One column of an existing table, as the database describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FoundColumn {
    pub name: String,
    /// As declared (SQLite) or the `udt_name` (PostgreSQL).
    pub type_name: String,
    pub not_null: bool,
    /// A default, identity or generated value: the database fills it when we do not.
    pub filled_by_database: bool,
    /// The column has a unique index (or primary key) of its own.
    pub unique: bool,
}

/// The known tables that exist, with their columns. A table absent from the map is absent.
pub(crate) type Inspected = BTreeMap<String, Vec<FoundColumn>>;

/// What the sink will do with the target's schema.
#[derive(Clone, Debug)]
pub(crate) struct SchemaPlan {
    pub dialect: Dialect,
    /// Tables `prepare` creates.
    pub create: Vec<&'static Table>,
    /// For `user`, `account`, `twoFactor`: which of `*_WRITES` exist (or will), by position.
    pub user_columns: Vec<usize>,
    pub account_columns: Vec<usize>,
    pub two_factor_columns: Vec<usize>,
    /// `user.id`, `email` and the written `username`/`phoneNumber` are unique-constrained (as
    /// better-auth creates them): an insert of a taken identifier fails.
    pub unique_identifiers: bool,
    /// Why the existing schema cannot be written to, if it cannot.
    pub problem: Option<String>,
}

impl SchemaPlan {
    pub fn new(dialect: Dialect, inspected: &Inspected) -> SchemaPlan {
        let mut problems = Vec::new();
        let mut create = Vec::new();
        for table in TABLES {
            match inspected.get(table.name) {
                None => create.push(table),
                Some(found) => problems.extend(check_table(dialect, table, found)),
            }
        }
        let user_exists = inspected.contains_key(USER.name);
        let has_two_factor_flag =
            !user_exists || column_exists(inspected, &USER, "twoFactorEnabled");
        // A `twoFactor` table is only useful next to `user.twoFactorEnabled`: without the flag
        // the app has no two-factor plugin, and a table it does not know would only confuse.
        if !has_two_factor_flag {
            create.retain(|t| t.name != TWO_FACTOR.name);
        }
        let columns = |table: &Table, writes: &[&str]| -> Vec<usize> {
            writes
                .iter()
                .enumerate()
                .filter(|(_, name)| {
                    !inspected.contains_key(table.name) || column_exists(inspected, table, name)
                })
                .map(|(i, _)| i)
                .collect()
        };
        let two_factor_available = has_two_factor_flag
            && (inspected.contains_key(TWO_FACTOR.name)
                || create.iter().any(|t| t.name == TWO_FACTOR.name));
        let user_columns = columns(&USER, &USER_WRITES);
        let unique = |column: &str| match inspected.get(USER.name) {
            None => true,
            Some(found) => find(found, column).is_some_and(|c| c.unique),
        };
        let writes = |column: &str| user_columns.iter().any(|&i| USER_WRITES[i] == column);
        let unique_identifiers = unique("id")
            && unique("email")
            && (!writes("username") || unique("username"))
            && (!writes("phoneNumber") || unique("phoneNumber"));
        SchemaPlan {
            dialect,
            create,
            unique_identifiers,
            user_columns,
            account_columns: columns(&ACCOUNT, &ACCOUNT_WRITES),
            two_factor_columns: if two_factor_available {
                columns(&TWO_FACTOR, &TWO_FACTOR_WRITES)
            } else {
                Vec::new()
            },
            problem: (!problems.is_empty()).then(|| problems.join("; ")),
        }
    }

    /// After `prepare` created the absent tables: every column of those is there.
    pub fn after_creation(&self) -> SchemaPlan {
        let mut inspected_like = self.clone();
        inspected_like.create.clear();
        inspected_like
    }

    pub fn writes_user(&self, column: &str) -> bool {
        self.user_columns.iter().any(|&i| USER_WRITES[i] == column)
    }

    /// Whether two-factor rows are written: the flag on `user` and the `twoFactor` table.
    pub fn holds_totp(&self) -> bool {
        self.writes_user("twoFactorEnabled") && !self.two_factor_columns.is_empty()
    }

    /// The canonical fields this schema keeps.
    pub fn holds(&self) -> Vec<Field> {
        // `name` takes `first last`, else the display name: all three are kept in it.
        let mut holds = vec![
            Field::PrimaryEmail,
            Field::FirstName,
            Field::LastName,
            Field::DisplayName,
            Field::ImageUrl,
            Field::Password,
            Field::ExternalAccounts,
            Field::CreatedAt,
            Field::UpdatedAt,
        ];
        if self.writes_user("username") {
            holds.push(Field::Username);
        }
        if self.writes_user("phoneNumber") {
            holds.push(Field::PrimaryPhone);
        }
        if self.holds_totp() {
            holds.push(Field::TotpSecret);
            holds.push(Field::BackupCodes);
        }
        if self.writes_user("banned") {
            holds.push(Field::Banned);
        }
        holds
    }

    pub fn create_statements(&self) -> Vec<String> {
        create_statements(self.dialect, &self.create)
    }
}

fn find<'a>(found: &'a [FoundColumn], name: &str) -> Option<&'a FoundColumn> {
    // SQLite column names are case-insensitive; PostgreSQL's quoted ones are not, but a
    // case-only difference there is a missing column all the same.
    match found.iter().find(|c| c.name == name) {
        Some(c) => Some(c),
        None => found.iter().find(|c| c.name.eq_ignore_ascii_case(name)),
    }
}

fn column_exists(inspected: &Inspected, table: &Table, column: &str) -> bool {
    inspected
        .get(table.name)
        .is_some_and(|found| find(found, column).is_some())
}

fn check_table(dialect: Dialect, table: &Table, found: &[FoundColumn]) -> Vec<String> {
    let mut problems = Vec::new();
    for c in table.columns {
        match find(found, c.name) {
            None if c.plugin.is_none() => problems.push(format!(
                "table \"{}\" has no column \"{}\" (a better-auth core column: {}{})",
                table.name,
                c.name,
                type_name(dialect, c.kind),
                if c.not_null { " not null" } else { "" }
            )),
            None => {}
            Some(f) => {
                let found_type = normalize_type(&f.type_name);
                let accepted = accepted_types(dialect, c.kind);
                if !accepted.contains(&found_type.as_str()) {
                    let why = if found_type == "uuid" {
                        " (authferry keeps the source's user ids, which are not UUIDs)"
                    } else {
                        ""
                    };
                    problems.push(format!(
                        "table \"{}\" column \"{}\": expected {} (one of {}), found {}{why}",
                        table.name,
                        c.name,
                        type_name(dialect, c.kind),
                        accepted.join(", "),
                        if f.type_name.is_empty() {
                            "no declared type"
                        } else {
                            f.type_name.as_str()
                        }
                    ));
                }
            }
        }
    }
    // A NOT NULL column better-auth does not know, without a default, makes every insert fail.
    for f in found {
        let known = table
            .columns
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(&f.name));
        if !known && f.not_null && !f.filled_by_database {
            problems.push(format!(
                "table \"{}\" column \"{}\" is NOT NULL without a default and is not a better-auth column: authferry cannot fill it",
                table.name, f.name
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(dialect: Dialect) -> String {
        let all: Vec<&Table> = TABLES.to_vec();
        create_statements(dialect, &all).join(";\n\n") + ";"
    }

    #[test]
    fn sqlite_ddl_is_better_auths_own() {
        let real = include_str!("../../tests/fixtures/better-auth-1.7.25/schema-sqlite.sql");
        assert_eq!(compiled(Dialect::Sqlite), real.trim_end());
    }

    #[test]
    fn postgres_ddl_is_better_auths_own() {
        let real = include_str!("../../tests/fixtures/better-auth-1.7.25/schema-postgres.sql");
        assert_eq!(compiled(Dialect::Postgres), real.trim_end());
    }

    fn found(cols: &[(&str, &str, bool)]) -> Vec<FoundColumn> {
        cols.iter()
            .map(|(n, t, nn)| FoundColumn {
                name: n.to_string(),
                type_name: t.to_string(),
                not_null: *nn,
                filled_by_database: false,
                unique: *n == "id" || *n == "email",
            })
            .collect()
    }

    #[test]
    fn empty_database_creates_everything_and_holds_every_plugin_field() {
        let plan = SchemaPlan::new(Dialect::Sqlite, &Inspected::new());
        assert_eq!(plan.create.len(), 5);
        assert!(plan.problem.is_none());
        assert_eq!(plan.user_columns.len(), USER_WRITES.len());
        assert!(plan.holds_totp());
        let holds = plan.holds();
        for f in [
            Field::Username,
            Field::PrimaryPhone,
            Field::TotpSecret,
            Field::Banned,
        ] {
            assert!(holds.contains(&f), "{f:?}");
        }
    }

    #[test]
    fn core_user_table_without_plugins_drops_plugin_fields() {
        let mut inspected = Inspected::new();
        inspected.insert(
            "user".into(),
            found(&[
                ("id", "text", true),
                ("name", "text", true),
                ("email", "text", true),
                ("emailVerified", "integer", true),
                ("image", "text", false),
                ("createdAt", "date", true),
                ("updatedAt", "date", true),
            ]),
        );
        let plan = SchemaPlan::new(Dialect::Sqlite, &inspected);
        assert!(plan.problem.is_none(), "{:?}", plan.problem);
        assert!(!plan.holds_totp());
        assert!(
            !plan.create.iter().any(|t| t.name == "twoFactor"),
            "no twoFactor table without the flag"
        );
        assert_eq!(plan.user_columns, vec![0, 1, 2, 3, 4, 5, 6]);
        let holds = plan.holds();
        assert!(!holds.contains(&Field::Username));
        assert!(!holds.contains(&Field::TotpSecret));
        assert!(holds.contains(&Field::Password));
    }

    #[test]
    fn inserts_go_first_only_where_unique_constraints_catch_conflicts() {
        assert!(SchemaPlan::new(Dialect::Sqlite, &Inspected::new()).unique_identifiers);
        let mut cols = found(&[
            ("id", "text", true),
            ("name", "text", true),
            ("email", "text", true),
            ("emailVerified", "integer", true),
            ("image", "text", false),
            ("createdAt", "date", true),
            ("updatedAt", "date", true),
            ("username", "text", false),
        ]);
        let mut inspected = Inspected::new();
        inspected.insert("user".into(), cols.clone());
        assert!(
            !SchemaPlan::new(Dialect::Sqlite, &inspected).unique_identifiers,
            "username written but not unique"
        );
        cols.retain(|c| c.name != "username");
        inspected.insert("user".into(), cols.clone());
        assert!(SchemaPlan::new(Dialect::Sqlite, &inspected).unique_identifiers);
        cols.iter_mut()
            .filter(|c| c.name == "email")
            .for_each(|c| c.unique = false);
        inspected.insert("user".into(), cols);
        assert!(!SchemaPlan::new(Dialect::Sqlite, &inspected).unique_identifiers);
    }

    #[test]
    fn wrong_type_and_missing_column_are_named() {
        let mut inspected = Inspected::new();
        inspected.insert(
            "user".into(),
            found(&[
                ("id", "text", true),
                ("name", "text", true),
                ("email", "text", true),
                ("emailVerified", "boolean", true),
                ("createdAt", "timestamptz", true),
                ("updatedAt", "text", true),
                ("tenant", "text", true),
            ]),
        );
        let plan = SchemaPlan::new(Dialect::Postgres, &inspected);
        let p = plan.problem.expect("incompatible");
        assert!(p.contains("table \"user\" has no column \"image\""), "{p}");
        assert!(
            p.contains("table \"user\" column \"updatedAt\": expected timestamptz"),
            "{p}"
        );
        assert!(p.contains("found text"), "{p}");
        assert!(
            p.contains("\"tenant\" is NOT NULL without a default"),
            "{p}"
        );
    }

    #[test]
    fn types_are_compared_like_better_auth_does() {
        assert_eq!(normalize_type("VARCHAR(255)"), "varchar");
        let mut inspected = Inspected::new();
        inspected.insert(
            "verification".into(),
            found(&[
                ("id", "character varying", true),
                ("identifier", "varchar", true),
                ("value", "text", true),
                ("expiresAt", "timestamp", true),
                ("createdAt", "timestamptz", true),
                ("updatedAt", "timestamptz", true),
            ]),
        );
        assert!(
            SchemaPlan::new(Dialect::Postgres, &inspected)
                .problem
                .is_none()
        );
    }
}
