//! The Better Auth sink against real databases: SQLite in a temporary directory and
//! PostgreSQL on 127.0.0.1:5432 (user `postgres`, trust auth; each test creates and drops its
//! own database). Start PostgreSQL with
//! `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` if it is down.
//!
//! Every test runs once per database through the `both!` macro.

use authferry_core::conformance::write_items as items;
use authferry_core::{
    EmailAddress, Existing, ExternalAccount, Field, Journal, PasswordCredential, PhoneNumber,
    Quiet, ReasonCode, RecordError, RunOptions, Secret, Sink, SinkError, Source, Summary,
    Timestamp, User, WriteOutcome,
};
use authferry_platforms::better_auth::{BetterAuthOptions, BetterAuthSink, BetterAuthTarget};
use authferry_testkit::TempPgDatabase;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const SECRET: &str = "test-better-auth-secret-0123456789abcdef";
const TOTP: &str = "jbswy3dpehpk3pxp";
const TABLES: [&str; 5] = ["user", "session", "account", "verification", "twoFactor"];

// ---------------------------------------------------------------------------------------------
// Databases

enum Db {
    Sqlite {
        dir: tempfile::TempDir,
        path: PathBuf,
    },
    Postgres {
        db: TempPgDatabase,
    },
}

impl Db {
    fn sqlite() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("better-auth.db");
        Db::Sqlite { dir, path }
    }

    fn postgres() -> Db {
        Db::Postgres {
            db: TempPgDatabase::create("ba"),
        }
    }

    fn is_pg(&self) -> bool {
        matches!(self, Db::Postgres { .. })
    }

    fn url(&self) -> String {
        match self {
            Db::Postgres { db } => db.url(),
            Db::Sqlite { .. } => unreachable!("SQLite has no URL"),
        }
    }

    fn sqlite_path(&self) -> &Path {
        match self {
            Db::Sqlite { path, .. } => path,
            Db::Postgres { .. } => unreachable!("not SQLite"),
        }
    }

    fn target(&self) -> BetterAuthTarget {
        match self {
            Db::Sqlite { path, .. } => BetterAuthTarget::Sqlite(path.clone()),
            Db::Postgres { .. } => BetterAuthTarget::Postgres(self.url()),
        }
    }

    /// A file next to the database (or in a temporary directory for PostgreSQL).
    fn scratch(&self, name: &str) -> PathBuf {
        match self {
            Db::Sqlite { dir, .. } => dir.path().join(name),
            Db::Postgres { db } => std::env::temp_dir().join(format!("{}-{name}", db.name())),
        }
    }

    fn open(&self, secret: Option<&str>, codes: Option<&Path>) -> BetterAuthSink {
        BetterAuthSink::open(
            self.target(),
            BetterAuthOptions {
                secret: secret.map(str::to_string),
                versioned_secrets: None,
                backup_codes_out: codes.map(Path::to_path_buf),
                temp_email: None,
            },
        )
        .unwrap_or_else(|e| panic!("open: {e}"))
    }

    /// Opened with the secret and prepared.
    fn prepared(&self) -> BetterAuthSink {
        let mut sink = self.open(Some(SECRET), None);
        sink.prepare().unwrap();
        sink
    }

    fn pg(&self) -> postgres::Client {
        let mut c = postgres::Client::connect(&self.url(), postgres::NoTls).unwrap();
        c.batch_execute("SET TimeZone = 'UTC'").unwrap();
        c
    }

    fn exec(&self, sql: &str) {
        match self {
            Db::Sqlite { path, .. } => rusqlite::Connection::open(path)
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
            Db::Postgres { .. } => self.pg().batch_execute(sql).unwrap(),
        }
    }

    fn table_exists(&self, table: &str) -> bool {
        match self {
            Db::Sqlite { path, .. } => {
                path.exists()
                    && rusqlite::Connection::open(path)
                        .unwrap()
                        .query_row(
                            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                            [table],
                            |r| r.get::<_, i64>(0),
                        )
                        .unwrap()
                        > 0
            }
            Db::Postgres { .. } => self
                .pg()
                .query_one(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = $1",
                    &[&table],
                )
                .map(|r| r.get::<_, i64>(0) > 0)
                .unwrap(),
        }
    }

    /// Every row of `table` ordered by id, as JSON objects (SQLite integers stay numbers;
    /// PostgreSQL values are `to_jsonb`'s).
    fn rows(&self, table: &str) -> Vec<BTreeMap<String, Value>> {
        if !self.table_exists(table) {
            return Vec::new();
        }
        match self {
            Db::Sqlite { path, .. } => {
                let conn = rusqlite::Connection::open(path).unwrap();
                let mut stmt = conn
                    .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY \"id\""))
                    .unwrap();
                let names: Vec<String> =
                    stmt.column_names().iter().map(|s| s.to_string()).collect();
                stmt.query_map([], |row| {
                    let mut m = BTreeMap::new();
                    for (i, n) in names.iter().enumerate() {
                        let v = match row.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => Value::Null,
                            rusqlite::types::ValueRef::Integer(n) => json!(n),
                            rusqlite::types::ValueRef::Real(f) => json!(f),
                            rusqlite::types::ValueRef::Text(t) => {
                                json!(String::from_utf8_lossy(t))
                            }
                            rusqlite::types::ValueRef::Blob(_) => json!("<blob>"),
                        };
                        m.insert(n.clone(), v);
                    }
                    Ok(m)
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
            }
            Db::Postgres { .. } => self
                .pg()
                .query(
                    &format!("SELECT to_jsonb(t)::text FROM \"{table}\" t ORDER BY t.\"id\""),
                    &[],
                )
                .unwrap()
                .iter()
                .map(|r| serde_json::from_str(r.get::<_, &str>(0)).unwrap())
                .collect(),
        }
    }

    fn rows_where(&self, table: &str, column: &str, value: &str) -> Vec<BTreeMap<String, Value>> {
        self.rows(table)
            .into_iter()
            .filter(|r| r.get(column) == Some(&json!(value)))
            .collect()
    }

    fn count(&self, table: &str) -> usize {
        self.rows(table).len()
    }

    fn dump(&self) -> Vec<(String, Vec<BTreeMap<String, Value>>)> {
        TABLES
            .iter()
            .map(|t| (t.to_string(), self.rows(t)))
            .collect()
    }

    /// A boolean as this database stores it.
    fn bool(&self, b: bool) -> Value {
        if self.is_pg() {
            json!(b)
        } else {
            json!(b as i64)
        }
    }

    /// A date (given as `…Z`) as this database stores it.
    fn date(&self, iso: &str) -> Value {
        if self.is_pg() {
            json!(iso.replace('Z', "+00:00"))
        } else {
            json!(iso)
        }
    }
}

/// Runs `$body(db)` once on SQLite and once on PostgreSQL.
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(super::Db::sqlite());
            }
            #[test]
            fn postgres() {
                super::$name(super::Db::postgres());
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Users

fn bcrypt_digest() -> &'static str {
    static DIGEST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DIGEST.get_or_init(|| bcrypt::hash("correct horse battery staple", 4).unwrap())
}

fn user(id: &str, email: &str) -> User {
    User {
        source_id: id.into(),
        emails: vec![EmailAddress {
            address: email.into(),
            verified: true,
            primary: true,
        }],
        created_at: Some(Timestamp::from_millis(1_690_000_000_000)),
        ..Default::default()
    }
}

fn with_password(mut u: User) -> User {
    u.password = Some(PasswordCredential {
        hasher: Some("bcrypt".into()),
        digest: Secret::new(bcrypt_digest()),
        params: Default::default(),
    });
    u
}

fn with_totp(mut u: User) -> User {
    u.totp_secret = Some(Secret::new(TOTP));
    u
}

fn rich_user() -> User {
    User {
        source_id: "user_rich".into(),
        emails: vec![
            EmailAddress {
                address: "Ada.Lovelace@Example.COM".into(),
                verified: true,
                primary: true,
            },
            EmailAddress {
                address: "ada@other.org".into(),
                verified: false,
                primary: false,
            },
        ],
        phones: vec![PhoneNumber {
            number: "+15551234567".into(),
            verified: true,
            primary: true,
        }],
        username: Some("AdaL".into()),
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        image_url: Some("https://img.example.com/ada.png".into()),
        password: Some(PasswordCredential {
            hasher: Some("bcrypt".into()),
            digest: Secret::new(bcrypt_digest()),
            params: Default::default(),
        }),
        totp_secret: Some(Secret::new(TOTP)),
        external_accounts: vec![
            ExternalAccount {
                provider: "google".into(),
                provider_user_id: "g-123".into(),
                email: Some("ada@gmail.com".into()),
                scopes: vec!["email".into(), "profile".into()],
                created_at: Some(Timestamp::from_millis(1_698_000_000_000)),
                updated_at: Some(Timestamp::from_millis(1_699_000_000_000)),
            },
            ExternalAccount {
                provider: "github".into(),
                provider_user_id: "9".into(),
                email: None,
                scopes: vec![],
                created_at: None,
                updated_at: None,
            },
        ],
        created_at: Some(Timestamp::from_millis(1_697_955_053_486)),
        updated_at: Some(Timestamp::from_millis(1_700_000_000_000)),
        banned: true,
        ..Default::default()
    }
}

fn write(sink: &mut BetterAuthSink, users: &[User]) -> Vec<WriteOutcome> {
    sink.write_batch(&items(users, false)).unwrap()
}

fn migrated(id: &str) -> WriteOutcome {
    WriteOutcome::Migrated {
        target_id: id.into(),
    }
}

fn already(id: &str) -> WriteOutcome {
    WriteOutcome::AlreadyPresent {
        target_id: id.into(),
    }
}

/// `(code, message, target id)` of a skipped outcome.
fn skipped(o: &WriteOutcome) -> (ReasonCode, String, Option<String>) {
    match o {
        WriteOutcome::Skipped { reason, target_id } => {
            (reason.code, reason.message.clone(), target_id.clone())
        }
        other => panic!("expected skipped, got {other:?}"),
    }
}

/// better-auth's `symmetricDecrypt`, written out here independently of the sink.
fn decrypt(stored: &Value) -> String {
    let bytes = hex::decode(stored.as_str().expect("text")).expect("hex");
    let key = Sha256::digest(SECRET.as_bytes());
    let cipher = XChaCha20Poly1305::new(Key::from_slice(&key));
    let plain = cipher
        .decrypt(XNonce::from_slice(&bytes[..24]), &bytes[24..])
        .expect("decrypts with SHA-256(BETTER_AUTH_SECRET)");
    String::from_utf8(plain).unwrap()
}

struct VecSource(std::vec::IntoIter<User>);

impl Source for VecSource {
    fn describe(&self) -> String {
        "test users".into()
    }
    fn next_user(&mut self) -> Option<Result<User, RecordError>> {
        self.0.next().map(Ok)
    }
}

fn run_engine(sink: &mut BetterAuthSink, users: Vec<User>) -> Summary {
    let mut journal = Journal::temporary().unwrap();
    authferry_core::run(
        Box::new(VecSource(users.into_iter())),
        sink,
        &mut journal,
        RunOptions::default(),
        &mut Quiet,
    )
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Schema

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/better-auth-1.7.25")
            .join(name),
    )
    .unwrap()
}

fn sqlite_schema(path: &Path) -> Vec<Vec<String>> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut out = Vec::new();
    let mut master = conn
        .prepare("SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY name")
        .unwrap();
    out.extend(
        master
            .query_map([], |r| Ok(vec![r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?]))
            .unwrap()
            .map(Result::unwrap),
    );
    for t in TABLES {
        let mut info = conn
            .prepare("SELECT name, type, \"notnull\", pk, coalesce(dflt_value, '') FROM pragma_table_info(?1)")
            .unwrap();
        out.extend(
            info.query_map([t], |r| {
                Ok(vec![
                    t.to_string(),
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?.to_string(),
                    r.get::<_, i64>(3)?.to_string(),
                    r.get::<_, String>(4)?,
                ])
            })
            .unwrap()
            .map(Result::unwrap),
        );
    }
    out
}

fn pg_schema(client: &mut postgres::Client, schema: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = client
        .query(
            "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, coalesce(column_default, '')::text \
             FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position",
            &[&schema],
        )
        .unwrap()
        .iter()
        .map(|r| (0..5).map(|i| r.get::<_, String>(i)).collect())
        .collect();
    out.extend(
        client
            .query(
                "SELECT tablename::text, indexname::text, replace(indexdef, $1 || '.', '') FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname",
                &[&schema],
            )
            .unwrap()
            .iter()
            .map(|r| (0..3).map(|i| r.get::<_, String>(i)).collect()),
    );
    out.extend(
        client
            .query(
                "SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
                 WHERE connamespace = $1::text::regnamespace ORDER BY conname",
                &[&schema],
            )
            .unwrap()
            .iter()
            .map(|r| {
                (0..3)
                    .map(|i| r.get::<_, String>(i).replace(&format!("{schema}."), ""))
                    .collect()
            }),
    );
    out
}

fn creates_better_auths_schema(db: Db) {
    let sink = db.open(None, None);
    let holds = sink.capabilities().holds;
    for f in [
        Field::PrimaryEmail,
        Field::Password,
        Field::ExternalAccounts,
        Field::Username,
        Field::PrimaryPhone,
        Field::TotpSecret,
        Field::BackupCodes,
        Field::Banned,
    ] {
        assert!(holds.contains(&f), "an empty target holds {f:?}");
    }
    for f in [
        Field::SecondaryEmails,
        Field::PrivateMetadata,
        Field::Locked,
    ] {
        assert!(!holds.contains(&f), "better-auth has no place for {f:?}");
    }
    drop(sink);
    let mut sink = db.open(None, None);
    sink.prepare().unwrap();
    sink.prepare().expect("prepare is idempotent");
    drop(sink);

    match &db {
        Db::Sqlite { dir, path } => {
            // The same DDL better-auth's own migration compiles, run into a second file.
            let reference = dir.path().join("reference.db");
            rusqlite::Connection::open(&reference)
                .unwrap()
                .execute_batch(&fixture("schema-sqlite.sql"))
                .unwrap();
            let ours = sqlite_schema(path);
            assert_eq!(ours, sqlite_schema(&reference));
            assert!(ours.contains(&vec![
                "user".into(),
                "emailVerified".into(),
                "INTEGER".into(),
                "1".into(),
                "0".into(),
                "".into()
            ]));
            assert!(ours.contains(&vec![
                "twoFactor".into(),
                "lockedUntil".into(),
                "date".into(),
                "0".into(),
                "0".into(),
                "".into()
            ]));
        }
        Db::Postgres { .. } => {
            let mut client = db.pg();
            client
                .batch_execute(&format!(
                    "CREATE SCHEMA reference; SET search_path TO reference; {}",
                    fixture("schema-postgres.sql")
                ))
                .unwrap();
            let ours = pg_schema(&mut client, "public");
            assert_eq!(ours, pg_schema(&mut client, "reference"));
            let col = |t: &str, c: &str| {
                ours.iter()
                    .find(|r| r[0] == t && r[1] == c)
                    .cloned()
                    .unwrap_or_else(|| panic!("{t}.{c}"))
            };
            assert_eq!(col("user", "emailVerified")[2..4], ["boolean", "NO"]);
            assert_eq!(
                col("user", "createdAt")[2..],
                ["timestamp with time zone", "NO", "CURRENT_TIMESTAMP"]
            );
            assert_eq!(
                col("twoFactor", "failedVerificationCount")[2..4],
                ["integer", "YES"]
            );
        }
    }
}
both!(creates_better_auths_schema);

fn refuses_an_incompatible_table(db: Db) {
    let (bool_type, date_type, expected) = if db.is_pg() {
        ("boolean", "timestamptz", "expected boolean")
    } else {
        ("integer", "date", "expected integer")
    };
    db.exec(&format!(
        "create table \"user\" (\"id\" text not null primary key, \"name\" text not null, \
         \"email\" text not null unique, \"emailVerified\" text not null, \"image\" text, \
         \"createdAt\" {date_type} not null, \"updatedAt\" {date_type} not null); \
         create table \"account\" (\"id\" text not null primary key, \"accountId\" text not null, \
         \"userId\" text not null, \"banned\" {bool_type})"
    ));
    let mut sink = db.open(Some(SECRET), None);
    let err = sink.prepare().expect_err("incompatible schema");
    assert!(matches!(err, SinkError::Schema(_)), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("table \"user\" column \"emailVerified\""),
        "{msg}"
    );
    assert!(msg.contains(expected), "{msg}");
    assert!(msg.to_lowercase().contains("found text"), "{msg}");
    assert!(
        msg.contains("table \"account\" has no column \"providerId\""),
        "{msg}"
    );
    assert!(!db.table_exists("session"), "nothing is created on refusal");
    assert!(!db.table_exists("twoFactor"));
    let user = user("u1", "a@example.com");
    assert!(matches!(
        sink.find_existing(&[&user]),
        Err(SinkError::Schema(_))
    ));
}
both!(refuses_an_incompatible_table);

fn missing_plugin_columns_drop_their_data(db: Db) {
    let (b, d) = if db.is_pg() {
        ("boolean", "timestamptz")
    } else {
        ("integer", "date")
    };
    db.exec(&format!(
        "create table \"user\" (\"id\" text not null primary key, \"name\" text not null, \
         \"email\" text not null unique, \"emailVerified\" {b} not null, \"image\" text, \
         \"createdAt\" {d} not null, \"updatedAt\" {d} not null)"
    ));
    // No secret: without the two-factor plugin's columns nothing needs it.
    let mut sink = db.open(None, None);
    let holds = sink.capabilities().holds;
    for f in [
        Field::Username,
        Field::PrimaryPhone,
        Field::TotpSecret,
        Field::BackupCodes,
        Field::Banned,
    ] {
        assert!(!holds.contains(&f), "{f:?} has no column");
    }
    assert!(holds.contains(&Field::Password));
    let mut u = with_totp(with_password(user("u1", "A@Example.com")));
    u.username = Some("ada".into());
    u.banned = true;
    assert_eq!(sink.check(&u), Ok(()));
    sink.prepare().unwrap();
    assert!(
        !db.table_exists("twoFactor"),
        "no twoFactor table without user.twoFactorEnabled"
    );
    assert!(db.table_exists("account") && db.table_exists("session"));
    assert_eq!(write(&mut sink, &[u]), vec![migrated("u1")]);
    let row = &db.rows("user")[0];
    assert_eq!(row.len(), 7, "only the core columns: {row:?}");
    assert_eq!(row["email"], json!("a@example.com"));
    assert_eq!(db.count("account"), 1);
    // Without a phoneNumber column a phone-only user has nowhere to keep the number.
    let mut p = user("p1", "x@example.com");
    p.emails.clear();
    p.phones = vec![PhoneNumber {
        number: "+15551110000".into(),
        verified: true,
        primary: true,
    }];
    let reason = sink.check(&p).unwrap_err();
    assert!(
        reason.message.contains("phoneNumber plugin"),
        "{}",
        reason.message
    );
}
both!(missing_plugin_columns_drop_their_data);

fn without_unique_constraints_the_lookup_still_guards(db: Db) {
    let (b, d) = if db.is_pg() {
        ("boolean", "timestamptz")
    } else {
        ("integer", "date")
    };
    // A hand-made `user` table without better-auth's unique constraint on email.
    db.exec(&format!(
        "create table \"user\" (\"id\" text not null primary key, \"name\" text not null, \
         \"email\" text not null, \"emailVerified\" {b} not null, \"image\" text, \
         \"createdAt\" {d} not null, \"updatedAt\" {d} not null)"
    ));
    let mut sink = db.prepared();
    let users = vec![user("a", "a@example.com"), user("b", "b@example.com")];
    assert_eq!(write(&mut sink, &users), vec![migrated("a"), migrated("b")]);
    let clash = vec![user("c", "A@example.com"), user("d", "d@example.com")];
    let outcomes = write(&mut sink, &clash);
    assert_eq!(
        skipped(&outcomes[0]).1,
        "email already in the target as user a"
    );
    assert_eq!(outcomes[1], migrated("d"));
    assert_eq!(
        sink.write_batch(&items(&users, true)).unwrap(),
        vec![migrated("a"), migrated("b")]
    );
    assert_eq!(db.count("user"), 3);
}
both!(without_unique_constraints_the_lookup_still_guards);

// ---------------------------------------------------------------------------------------------
// Mapping

fn maps_a_rich_user(db: Db) {
    let codes_path = db.scratch("codes.ndjson");
    let mut sink = db.open(Some(SECRET), Some(&codes_path));
    sink.prepare().unwrap();
    let mut with_own_codes = with_totp(user("user_codes", "codes@example.com"));
    with_own_codes.backup_codes = vec![Secret::new("aaaaa-11111"), Secret::new("bbbbb-22222")];
    let outcomes = write(&mut sink, &[rich_user(), with_own_codes]);
    assert_eq!(
        outcomes,
        vec![migrated("user_rich"), migrated("user_codes")]
    );

    let u = &db.rows_where("user", "id", "user_rich")[0];
    let expected_user: BTreeMap<String, Value> = [
        ("id", json!("user_rich")),
        ("name", json!("Ada Lovelace")),
        ("email", json!("ada.lovelace@example.com")),
        ("emailVerified", db.bool(true)),
        ("image", json!("https://img.example.com/ada.png")),
        ("createdAt", db.date("2023-10-22T06:10:53.486Z")),
        ("updatedAt", db.date("2023-11-14T22:13:20.000Z")),
        ("twoFactorEnabled", db.bool(true)),
        ("username", json!("adal")),
        ("displayUsername", json!("AdaL")),
        ("phoneNumber", json!("+15551234567")),
        ("phoneNumberVerified", db.bool(true)),
        ("role", json!("user")),
        ("banned", db.bool(true)),
        ("banReason", Value::Null),
        ("banExpires", Value::Null),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if db.is_pg() {
        // to_jsonb drops the milliseconds' trailing zeros.
        let mut expected = expected_user.clone();
        expected.insert("updatedAt".into(), json!("2023-11-14T22:13:20+00:00"));
        assert_eq!(u, &expected);
    } else {
        assert_eq!(u, &expected_user);
    }

    let accounts = db.rows_where("account", "userId", "user_rich");
    assert_eq!(accounts.len(), 3);
    let by_provider = |p: &str| {
        accounts
            .iter()
            .find(|a| a["providerId"] == json!(p))
            .unwrap_or_else(|| panic!("{p} account"))
            .clone()
    };
    let credential = by_provider("credential");
    assert_eq!(credential["accountId"], json!("user_rich"));
    assert_eq!(credential["password"], json!(bcrypt_digest()));
    assert_eq!(credential["scope"], Value::Null);
    assert_eq!(credential["createdAt"], db.date("2023-10-22T06:10:53.486Z"));
    let google = by_provider("google");
    assert_eq!(google["accountId"], json!("g-123"));
    assert_eq!(google["scope"], json!("email,profile"));
    assert_eq!(google["password"], Value::Null);
    let github = by_provider("github");
    assert_eq!(github["accountId"], json!("9"));
    assert_eq!(github["scope"], Value::Null);
    assert_eq!(github["createdAt"], db.date("2023-10-22T06:10:53.486Z"));
    for a in &accounts {
        for k in [
            "accessToken",
            "refreshToken",
            "idToken",
            "accessTokenExpiresAt",
        ] {
            assert_eq!(a[k], Value::Null);
        }
        let id = a["id"].as_str().unwrap();
        let suffix = id
            .strip_prefix("user_rich-")
            .unwrap_or_else(|| panic!("{id} starts with its user's id"));
        assert!(
            suffix.len() == 16 && suffix.chars().all(|c| c.is_ascii_hexdigit()),
            "{id}"
        );
    }

    let tf = &db.rows_where("twoFactor", "userId", "user_rich")[0];
    assert_eq!(decrypt(&tf["secret"]), "base32:JBSWY3DPEHPK3PXP");
    let codes: Vec<String> = serde_json::from_str(&decrypt(&tf["backupCodes"])).unwrap();
    assert_eq!(codes.len(), 10);
    for c in &codes {
        assert_eq!(c.len(), 11, "{c}");
        assert_eq!(&c[5..6], "-");
        assert!(
            c.chars()
                .filter(|&ch| ch != '-')
                .all(|ch| ch.is_ascii_alphanumeric())
        );
    }
    assert_eq!(tf["verified"], db.bool(true));
    assert_eq!(tf["failedVerificationCount"], json!(0));
    assert_eq!(tf["lockedUntil"], Value::Null);

    let own = &db.rows_where("twoFactor", "userId", "user_codes")[0];
    assert_eq!(
        decrypt(&own["backupCodes"]),
        r#"["aaaaa-11111","bbbbb-22222"]"#,
        "the source's own codes are kept"
    );

    // Generated codes reach the file (0600); the source's own are not repeated there.
    let lines: Vec<Value> = std::fs::read_to_string(&codes_path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        vec![
            json!({"source_id": "user_rich", "email": "ada.lovelace@example.com", "backup_codes": codes})
        ]
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&codes_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let notes = sink.finish().unwrap().join("\n");
    assert!(
        notes.contains("authferry emit better-auth-verify"),
        "{notes}"
    );
    assert!(notes.contains("1 bcrypt"), "{notes}");
    assert!(notes.contains("BETTER_AUTH_SECRET"), "{notes}");
    let _ = std::fs::remove_file(&codes_path);
}
both!(maps_a_rich_user);

// ---------------------------------------------------------------------------------------------
// Idempotence, resume, conflicts

fn batch_of_three() -> Vec<User> {
    vec![
        with_totp(with_password(user("u1", "one@example.com"))),
        with_password(user("u2", "two@example.com")),
        {
            let mut u = user("u3", "three@example.com");
            u.username = Some("Three".into());
            u
        },
    ]
}

fn rewriting_is_idempotent(db: Db) {
    let mut sink = db.prepared();
    let users = batch_of_three();
    assert_eq!(
        write(&mut sink, &users),
        vec![migrated("u1"), migrated("u2"), migrated("u3")]
    );
    let before = db.dump();
    assert_eq!(
        write(&mut sink, &users),
        vec![already("u1"), already("u2"), already("u3")]
    );
    drop(sink);
    // A new run without the journal finds them too.
    let mut sink = db.prepared();
    assert_eq!(
        write(&mut sink, &users),
        vec![already("u1"), already("u2"), already("u3")]
    );
    assert_eq!(db.dump(), before);
    assert_eq!(db.count("user"), 3);
    assert_eq!(db.count("account"), 2);
    assert_eq!(db.count("twoFactor"), 1);
}
both!(rewriting_is_idempotent);

fn resumed_records_are_their_own_rows(db: Db) {
    let users = batch_of_three();
    let codes_path = db.scratch("resumed-codes.ndjson");
    let _ = std::fs::remove_file(&codes_path);
    let mut sink = db.open(Some(SECRET), Some(&codes_path));
    sink.prepare().unwrap();
    // A crash after the first two were committed but before the journal heard of it (and
    // before the backup codes reached the file).
    write(&mut sink, &users[..2]);
    drop(sink);
    let _ = std::fs::remove_file(&codes_path);
    let stored_before = decrypt(&db.rows("twoFactor")[0]["backupCodes"]);
    let mut sink = db.open(Some(SECRET), Some(&codes_path));
    sink.prepare().unwrap();
    let outcomes = sink.write_batch(&items(&users, true)).unwrap();
    assert_eq!(
        outcomes,
        vec![migrated("u1"), migrated("u2"), migrated("u3")]
    );
    // The generated codes are random: the resumed run hands out the ones the crashed run
    // stored, read back, not codes of its own.
    let line: Value =
        serde_json::from_str(std::fs::read_to_string(&codes_path).unwrap().trim()).unwrap();
    assert_eq!(line["source_id"], "u1");
    assert_eq!(
        line["backup_codes"],
        serde_json::from_str::<Value>(&stored_before).unwrap()
    );
    assert_eq!(
        decrypt(&db.rows("twoFactor")[0]["backupCodes"]),
        stored_before
    );
    let _ = std::fs::remove_file(&codes_path);

    // The same tables as a run that never crashed, but for the codes drawn.
    let uninterrupted = if db.is_pg() {
        Db::postgres()
    } else {
        Db::sqlite()
    };
    let mut other = uninterrupted.prepared();
    write(&mut other, &users);
    let without_codes = |db: &Db| {
        let mut dump = db.dump();
        for (table, rows) in &mut dump {
            if table == "twoFactor" {
                for row in rows {
                    assert!(row.remove("backupCodes").is_some());
                }
            }
        }
        dump
    };
    assert_eq!(without_codes(&db), without_codes(&uninterrupted));
    assert_ne!(
        decrypt(&uninterrupted.rows("twoFactor")[0]["backupCodes"]),
        stored_before,
        "two runs draw different codes"
    );
}
both!(resumed_records_are_their_own_rows);

fn email_taken_by_another_id_is_skipped(db: Db) {
    let mut sink = db.prepared();
    write(&mut sink, &[user("other", "ada@example.com")]);
    let mine = user("mine", "ADA@Example.com");
    let outcome = &write(&mut sink, std::slice::from_ref(&mine))[0];
    let (code, message, target) = skipped(outcome);
    assert_eq!(code, ReasonCode::ExistsInTarget);
    assert_eq!(message, "email already in the target as user other");
    assert_eq!(target.as_deref(), Some("other"));
    assert_eq!(
        sink.find_existing(&[&mine]).unwrap(),
        vec![Some(Existing {
            target_id: "other".into(),
            same_id: false,
            identifier: "email",
        })]
    );
    let same = user("other", "ada@example.com");
    assert_eq!(
        sink.find_existing(&[&same]).unwrap(),
        vec![Some(Existing {
            target_id: "other".into(),
            same_id: true,
            identifier: "id",
        })]
    );
    assert_eq!(db.count("user"), 1);
}
both!(email_taken_by_another_id_is_skipped);

fn a_partial_batch_inserts_what_it_can(db: Db) {
    let mut sink = db.prepared();
    let mut with_username = user("holder_u", "holder_u@example.com");
    with_username.username = Some("taken".into());
    let mut with_phone = user("holder_p", "holder_p@example.com");
    with_phone.phones = vec![PhoneNumber {
        number: "+15550000001".into(),
        verified: true,
        primary: true,
    }];
    write(
        &mut sink,
        &[
            user("holder_e", "taken@example.com"),
            user("same", "same@example.com"),
            with_username,
            with_phone,
        ],
    );

    let mut username_conflict = user("n_user", "n_user@example.com");
    username_conflict.username = Some("TAKEN".into());
    let mut phone_conflict = user("n_phone", "n_phone@example.com");
    phone_conflict.phones = vec![PhoneNumber {
        number: "+1 555 000 0001".into(),
        verified: false,
        primary: true,
    }];
    let batch = vec![
        with_password(user("new1", "new1@example.com")),
        with_password(user("n_email", "Taken@example.com")),
        user("same", "different@example.com"),
        user("same", "same@example.com"),
        username_conflict,
        phone_conflict,
        with_totp(with_password(user("new2", "new2@example.com"))),
        user("new3", "NEW2@example.com"),
        user("new2", "new4@example.com"),
    ];
    let outcomes = write(&mut sink, &batch);
    assert_eq!(outcomes.len(), batch.len());
    assert_eq!(outcomes[0], migrated("new1"));
    let (code, msg, target) = skipped(&outcomes[1]);
    assert_eq!(
        (code, msg.as_str(), target.as_deref()),
        (
            ReasonCode::ExistsInTarget,
            "email already in the target as user holder_e",
            Some("holder_e")
        )
    );
    let (_, msg, target) = skipped(&outcomes[2]);
    assert!(msg.starts_with("id already in the target"), "{msg}");
    assert_eq!(target.as_deref(), Some("same"));
    assert_eq!(outcomes[3], already("same"));
    let (_, msg, target) = skipped(&outcomes[4]);
    assert_eq!(msg, "username already in the target as user holder_u");
    assert_eq!(target.as_deref(), Some("holder_u"));
    let (_, msg, _) = skipped(&outcomes[5]);
    assert_eq!(msg, "phone already in the target as user holder_p");
    assert_eq!(outcomes[6], migrated("new2"));
    let (_, msg, target) = skipped(&outcomes[7]);
    assert_eq!(
        msg,
        "email already taken by user new2 earlier in this batch"
    );
    assert_eq!(target.as_deref(), Some("new2"));
    let (_, msg, _) = skipped(&outcomes[8]);
    assert_eq!(msg, "id already taken by user new2 earlier in this batch");

    assert_eq!(db.count("user"), 4 + 2);
    assert_eq!(db.count("account"), 2);
    assert_eq!(db.count("twoFactor"), 1);
    assert_eq!(
        db.rows_where("user", "id", "same")[0]["email"],
        json!("same@example.com")
    );
}
both!(a_partial_batch_inserts_what_it_can);

fn a_row_the_database_refuses_fails_alone(db: Db) {
    let mut sink = db.prepared();
    // A rule of the app's own that the lookup cannot foresee.
    if db.is_pg() {
        db.exec("ALTER TABLE account ADD CONSTRAINT no_boom CHECK (\"accountId\" <> 'boom')");
    } else {
        db.exec(
            "CREATE TRIGGER no_boom BEFORE INSERT ON account WHEN NEW.accountId = 'boom' \
             BEGIN SELECT RAISE(ABORT, 'boom accounts are refused'); END",
        );
    }
    let mut boom = with_password(user("boom_user", "boom@example.com"));
    boom.external_accounts = vec![ExternalAccount {
        provider: "google".into(),
        provider_user_id: "boom".into(),
        email: None,
        scopes: vec![],
        created_at: None,
        updated_at: None,
    }];
    let batch = vec![
        with_password(user("ok1", "ok1@example.com")),
        boom,
        with_totp(user("ok2", "ok2@example.com")),
    ];
    let outcomes = write(&mut sink, &batch);
    assert_eq!(outcomes[0], migrated("ok1"));
    match &outcomes[1] {
        WriteOutcome::Failed { reason } => {
            assert_eq!(reason.code, ReasonCode::TargetRejected);
            assert!(
                reason.message.starts_with("the target refused the row"),
                "{}",
                reason.message
            );
            assert!(!reason.message.contains(bcrypt_digest()));
        }
        other => panic!("expected failed, got {other:?}"),
    }
    assert_eq!(outcomes[2], migrated("ok2"));
    assert!(
        db.rows_where("user", "id", "boom_user").is_empty(),
        "the whole user is rolled back"
    );
    assert!(db.rows_where("account", "userId", "boom_user").is_empty());
    assert_eq!(db.count("user"), 2);
    assert_eq!(db.count("twoFactor"), 1);
}
both!(a_row_the_database_refuses_fails_alone);

// ---------------------------------------------------------------------------------------------
// Secrets

fn a_totp_user_without_the_secret_fails_alone(db: Db) {
    let mut sink = db.open(None, None);
    let users = vec![
        with_password(user("plain1", "plain1@example.com")),
        with_totp(user("totp", "totp@example.com")),
        user("plain2", "plain2@example.com"),
    ];
    let summary = run_engine(&mut sink, users.clone());
    assert_eq!(summary.counts.migrated, 2, "{summary:?}");
    assert_eq!(summary.counts.failed, 1);
    let problem = &summary.problems[0];
    assert_eq!(problem.source_id.as_deref(), Some("totp"));
    assert_eq!(problem.code, ReasonCode::TargetRequirement);
    assert!(
        problem.reason.contains("BETTER_AUTH_SECRET is not set"),
        "{}",
        problem.reason
    );
    assert_eq!(db.count("user"), 2);
    assert_eq!(db.count("twoFactor"), 0);

    // Straight to write_batch, past `check`: the same refusal.
    let outcomes = sink.write_batch(&items(&users[1..2], false)).unwrap();
    assert!(
        matches!(&outcomes[0], WriteOutcome::Failed { reason } if reason.code == ReasonCode::TargetRequirement),
        "{outcomes:?}"
    );
}
both!(a_totp_user_without_the_secret_fails_alone);

fn a_user_without_email_is_a_target_requirement(db: Db) {
    let mut sink = db.open(Some(SECRET), None);
    let mut u = with_password(user("phone_only", "x@example.com"));
    u.emails.clear();
    u.first_name = None;
    u.last_name = None;
    u.phones = vec![PhoneNumber {
        number: "+15551110000".into(),
        verified: true,
        primary: true,
    }];
    // A phone number stands in for the email (the phoneNumber plugin's temporary email).
    assert_eq!(sink.check(&u), Ok(()));
    sink.prepare().unwrap();
    assert_eq!(write(&mut sink, &[u.clone()]), vec![migrated("phone_only")]);
    let row = &db.rows("user")[0];
    assert_eq!(row["email"], json!("15551110000@phone.invalid"));
    assert_eq!(row["emailVerified"], db.bool(false));
    assert_eq!(row["phoneNumber"], json!("+15551110000"));
    assert_eq!(row["phoneNumberVerified"], db.bool(true));
    assert_eq!(row["name"], json!("+15551110000"));
    assert_eq!(db.count("account"), 1);
    // The same user again is already present (its temporary email matches).
    assert_eq!(write(&mut sink, &[u.clone()]), vec![already("phone_only")]);
    // Neither an email nor a phone number: nothing to sign in with.
    u.phones.clear();
    let reason = sink.check(&u).unwrap_err();
    assert_eq!(reason.code, ReasonCode::TargetRequirement);
    assert!(
        reason
            .message
            .contains("an email address or a phone number"),
        "{}",
        reason.message
    );
}
both!(a_user_without_email_is_a_target_requirement);

fn backup_codes_are_delivered_again_to_a_rerun(db: Db) {
    let users = vec![with_totp(user("t1", "t1@example.com"))];
    let mut sink = db.prepared();
    write(&mut sink, &users);
    let notes = sink.finish().unwrap().join("\n");
    assert!(
        notes.contains("1 users got new two-factor backup codes"),
        "{notes}"
    );
    assert!(notes.contains("--backup-codes-out FILE"), "{notes}");
    drop(sink);

    let codes_path = db.scratch("again.ndjson");
    let mut sink = db.open(Some(SECRET), Some(&codes_path));
    sink.prepare().unwrap();
    assert_eq!(write(&mut sink, &users), vec![already("t1")]);
    let line: Value =
        serde_json::from_str(std::fs::read_to_string(&codes_path).unwrap().trim()).unwrap();
    let stored = decrypt(&db.rows("twoFactor")[0]["backupCodes"]);
    assert_eq!(
        line["backup_codes"],
        serde_json::from_str::<Value>(&stored).unwrap()
    );
    let _ = std::fs::remove_file(&codes_path);

    // With another secret the stored codes are not these: nothing is handed out.
    let other_path = db.scratch("other.ndjson");
    let mut sink = db.open(
        Some("another secret entirely, 0123456789"),
        Some(&other_path),
    );
    sink.prepare().unwrap();
    assert_eq!(write(&mut sink, &users), vec![already("t1")]);
    assert!(!other_path.exists() || std::fs::read_to_string(&other_path).unwrap().is_empty());
    let _ = std::fs::remove_file(&other_path);
}
both!(backup_codes_are_delivered_again_to_a_rerun);

fn no_secret_reaches_a_message(db: Db) {
    let codes_path = db.scratch("codes-secret-check.ndjson");
    let mut sink = db.open(Some(SECRET), Some(&codes_path));
    let mut users = vec![
        rich_user(),
        with_totp(with_password(user("dupe", "ada.lovelace@example.com"))),
        with_totp(with_password(user("x2", "x2@example.com"))),
    ];
    users[2].emails.clear();
    users[2].username = Some("x2".into());
    let summary = run_engine(&mut sink, users.clone());
    let mut texts = vec![
        serde_json::to_string(&summary).unwrap(),
        format!("{summary:?}"),
        format!(
            "{:?}",
            BetterAuthOptions {
                secret: Some(SECRET.into()),
                versioned_secrets: None,
                backup_codes_out: None,
                temp_email: None,
            }
        ),
        format!("{:?}", db.target()),
    ];
    texts.push(format!(
        "{:?}",
        sink.write_batch(&items(&users, false)).unwrap()
    ));
    texts.extend(sink.finish().unwrap());
    let generated: Vec<String> = std::fs::read_to_string(&codes_path)
        .unwrap()
        .lines()
        .flat_map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["backup_codes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    // The second write finds the rich user already present and hands its codes out again.
    assert_eq!(generated.len(), 20);
    assert_eq!(generated[..10], generated[10..]);
    let all = texts.join("\n");
    for secret in [bcrypt_digest(), TOTP, "JBSWY3DPEHPK3PXP", SECRET]
        .into_iter()
        .map(str::to_string)
        .chain(generated)
    {
        assert!(!all.contains(&secret), "a secret leaked into:\n{all}");
    }
    assert!(summary.counts.migrated == 1 && summary.counts.skipped + summary.counts.failed == 2);
    let _ = std::fs::remove_file(&codes_path);
}
both!(no_secret_reaches_a_message);

// ---------------------------------------------------------------------------------------------
// Target files and plans

#[test]
fn sqlite_target_is_created_owner_only_and_not_by_a_plan() {
    let db = Db::sqlite();
    let path = db.sqlite_path().to_path_buf();
    let mut sink = db.open(Some(SECRET), None);
    let u = user("u1", "u1@example.com");
    assert_eq!(sink.find_existing(&[&u]).unwrap(), vec![None]);
    assert!(!path.exists(), "a plan leaves no file behind");
    sink.prepare().unwrap();
    write(&mut sink, &[with_password(u)]);
    sink.finish().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(
        sink.describe(),
        format!("better-auth:sqlite:{}", path.display())
    );
}

#[test]
fn postgres_plan_changes_nothing_and_hides_the_password() {
    let db = Db::postgres();
    let mut sink = db.open(None, None);
    let u = user("u1", "u1@example.com");
    assert_eq!(sink.find_existing(&[&u]).unwrap(), vec![None]);
    assert!(!db.table_exists("user"));
    let with_password_url = db.url().replace("postgres@", "postgres:hunter2@");
    let sink = BetterAuthSink::open(
        BetterAuthTarget::Postgres(with_password_url),
        BetterAuthOptions {
            secret: None,
            versioned_secrets: None,
            backup_codes_out: None,
            temp_email: None,
        },
    )
    .unwrap();
    assert!(!sink.describe().contains("hunter2"), "{}", sink.describe());
}

#[test]
fn an_unreachable_postgres_is_a_connect_error() {
    let err = BetterAuthSink::open(
        BetterAuthTarget::Postgres("postgres://postgres:hunter2@127.0.0.1:1/none".into()),
        BetterAuthOptions {
            secret: None,
            versioned_secrets: None,
            backup_codes_out: None,
            temp_email: None,
        },
    )
    .err()
    .expect("nothing listens on port 1");
    assert!(matches!(err, SinkError::Connect(_)), "{err:?}");
    assert!(!err.to_string().contains("hunter2"));
}

// ---------------------------------------------------------------------------------------------
// better-auth itself

/// better-auth's scrypt of `password` (salt `00112233445566778899aabbccddeeff`), from
/// `shared/reference/password-hashes.md` §2.3.
const SCRYPT_OF_PASSWORD: &str = "00112233445566778899aabbccddeeff:9a098760abf0e95230464650e1160ecd37c82de7f9aea0c41eee704c90daaac45ce13ec6c244f429e4e4ba505cde11131ed35ef08e55b31c226a2ba87069e3ae";

/// The pinned npm install of `tests/e2e/better-auth` (`npm ci` there; `scripts/test` runs it).
/// Missing: a loud skip, or a failure when `AUTHFERRY_E2E_REQUIRED` is set (CI sets it).
fn better_auth_node_modules() -> Option<PathBuf> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e/better-auth/node_modules");
    let required = std::env::var("AUTHFERRY_E2E_REQUIRED").is_ok_and(|v| !v.is_empty() && v != "0");
    match std::fs::read_to_string(dir.join("better-auth/package.json")) {
        Ok(pkg) => {
            let version = serde_json::from_str::<Value>(&pkg).unwrap()["version"].clone();
            assert_eq!(
                version,
                json!("1.7.25"),
                "run npm ci in tests/e2e/better-auth"
            );
            Some(dir)
        }
        Err(_) if required => {
            panic!(
                "AUTHFERRY_E2E_REQUIRED is set, but tests/e2e/better-auth/node_modules is missing"
            )
        }
        Err(_) => {
            eprintln!(
                "!! SKIPPED better_auth_itself_signs_the_users_in: tests/e2e/better-auth/node_modules is \
                 missing (run npm ci there). Nothing was proven against the real better-auth."
            );
            None
        }
    }
}

/// Writes users through the engine, then has better-auth 1.7.25 sign each of them in with
/// `fixtures/better-auth-1.7.25/signin-check.mjs` and the emitted verify module: email, username
/// and phone number with bcrypt (`$2b$`, `$2y$`) and scrypt digests, TOTP and backup codes
/// (generated and the source's own), OAuth accounts listed.
fn better_auth_itself_signs_the_users_in(db: Db) {
    let Some(node_modules) = better_auth_node_modules() else {
        return;
    };
    let codes_path = db.scratch("e2e-codes.ndjson");
    let mut sink = db.open(Some(SECRET), Some(&codes_path));
    let mut scrypt = user("scrypt_user", "Scrypt@Example.com");
    scrypt.password = Some(PasswordCredential {
        hasher: None,
        digest: Secret::new(SCRYPT_OF_PASSWORD),
        params: Default::default(),
    });
    let mut php = user("php_user", "php@example.com");
    let y = bcrypt::hash("hunter22", 4)
        .unwrap()
        .replacen("$2b$", "$2y$", 1);
    php.password = Some(PasswordCredential {
        hasher: Some("bcrypt".into()),
        digest: Secret::new(y),
        params: Default::default(),
    });
    let mut own_codes = with_totp(with_password(user("own_codes", "own@example.com")));
    own_codes.username = Some("Owner".into());
    own_codes.backup_codes = vec![Secret::new("aaaaa-11111"), Secret::new("bbbbb-22222")];
    let mut rich = rich_user();
    rich.banned = false;
    let banned = with_password(User {
        banned: true,
        ..user("banned_user", "banned@example.com")
    });
    let summary = run_engine(&mut sink, vec![rich, scrypt, php, own_codes, banned]);
    assert_eq!(summary.counts.migrated, 5, "{summary:?}");
    drop(sink);

    let generated: Value = serde_json::from_str(
        std::fs::read_to_string(&codes_path)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let expectations = json!({
        "secret": SECRET,
        "users": [
            {
                "email": "Ada.Lovelace@Example.COM",
                "username": "AdaL",
                "phone": "+15551234567",
                "password": "correct horse battery staple",
                "totp": TOTP,
                "backup_code": generated["backup_codes"][3],
                "accounts": ["credential", "github", "google"],
            },
            { "email": "scrypt@example.com", "password": "password", "accounts": ["credential"] },
            { "email": "php@example.com", "password": "hunter22" },
            {
                "email": "own@example.com",
                "username": "owner",
                "password": "correct horse battery staple",
                "totp": TOTP,
                "backup_code": "bbbbb-22222",
            },
            { "email": "banned@example.com", "password": "correct horse battery staple", "banned": true },
        ],
    });
    // The scripts' imports resolve through a node_modules next to them.
    let work_dir = tempfile::tempdir().unwrap();
    let work = work_dir.path();
    std::os::unix::fs::symlink(&node_modules, work.join("node_modules")).unwrap();
    std::fs::write(
        work.join("auth-verify.mjs"),
        authferry_platforms::better_auth::verify_module(),
    )
    .unwrap();
    std::fs::write(work.join("signin-check.mjs"), fixture("signin-check.mjs")).unwrap();
    std::fs::write(work.join("expectations.json"), expectations.to_string()).unwrap();
    let target = match &db {
        Db::Sqlite { path, .. } => format!("sqlite:{}", path.display()),
        Db::Postgres { .. } => db.url(),
    };
    let out = std::process::Command::new("node")
        .arg(work.join("signin-check.mjs"))
        .arg(&target)
        .arg(work.join("expectations.json"))
        .output()
        .expect("node runs");
    let _ = std::fs::remove_file(&codes_path);
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{output}");
    assert!(
        out.status.success(),
        "better-auth refused a migrated user (or node failed):\n{output}"
    );
}

both!(better_auth_itself_signs_the_users_in);

fn awkward_text_survives(db: Db) {
    let mut sink = db.prepared();
    let mut u = user("odd\\id\t1", "odd@example.com");
    u.first_name = Some("Back\\slash\tTab".into());
    u.last_name = Some("New\nLine\r\"Quote'".into());
    u.image_url = Some("https://example.com/a b\\c.png".into());
    assert_eq!(
        write(&mut sink, std::slice::from_ref(&u)),
        vec![migrated("odd\\id\t1")]
    );
    let row = &db.rows("user")[0];
    assert_eq!(row["id"], json!("odd\\id\t1"));
    assert_eq!(row["name"], json!("Back\\slash\tTab New\nLine\r\"Quote'"));
    assert_eq!(row["image"], json!("https://example.com/a b\\c.png"));
    assert_eq!(write(&mut sink, &[u]), vec![already("odd\\id\t1")]);
}
both!(awkward_text_survives);

/// Rough throughput through the engine (validation, journal, sink), printed in users/s:
/// `cargo test --release -p authferry-platforms --test better_auth_sink throughput -- --ignored --nocapture`.
/// `AUTHFERRY_BENCH_USERS=N` changes the number of users (100 000); `AUTHFERRY_BENCH_SINK_ONLY=1`
/// times the sink alone, in batches of 2000.
fn throughput(db: Db) {
    let count: usize = std::env::var("AUTHFERRY_BENCH_USERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let users: Vec<User> = (0..count)
        .map(|i| {
            let mut u = with_password(user(
                &format!("user_{i:07}"),
                &format!("user{i}@example.com"),
            ));
            if i % 2 == 0 {
                u.external_accounts = vec![ExternalAccount {
                    provider: "google".into(),
                    provider_user_id: format!("g{i}"),
                    email: None,
                    scopes: vec!["email".into()],
                    created_at: None,
                    updated_at: None,
                }];
            }
            if i % 10 == 0 {
                u.totp_secret = Some(Secret::new(TOTP));
            }
            u
        })
        .collect();
    let codes = db.scratch("throughput-codes.ndjson");
    if std::env::var("AUTHFERRY_BENCH_SINK_ONLY").is_ok() {
        let mut sink = db.open(Some(SECRET), Some(&codes));
        sink.prepare().unwrap();
        let start = std::time::Instant::now();
        for chunk in users.chunks(2000) {
            sink.write_batch(&items(chunk, false)).unwrap();
        }
        sink.finish().unwrap();
        let secs = start.elapsed().as_secs_f64();
        println!(
            "sink only: {count} users in {secs:.2} s = {:.0} users/s",
            count as f64 / secs
        );
        return;
    }
    let mut sink = db.open(Some(SECRET), Some(&codes));
    let start = std::time::Instant::now();
    let summary = run_engine(&mut sink, users);
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(summary.counts.migrated as usize, count);
    println!(
        "{}: {count} users in {secs:.2} s = {:.0} users/s",
        if db.is_pg() { "PostgreSQL" } else { "SQLite" },
        count as f64 / secs
    );
    let _ = std::fs::remove_file(&codes);
}

mod throughput {
    #[test]
    #[ignore = "a benchmark: run with --release -- --ignored --nocapture"]
    fn sqlite() {
        super::throughput(super::Db::sqlite());
    }
    #[test]
    #[ignore = "a benchmark: run with --release -- --ignored --nocapture"]
    fn postgres() {
        super::throughput(super::Db::postgres());
    }
}

// ---------------------------------------------------------------------------------------------
// The shared sink conformance kit

fn passes_the_sink_conformance_kit(db: Db) {
    let open = || -> Box<dyn Sink> { Box::new(db.open(Some(SECRET), None)) };
    let count = || db.count("user") as u64;
    let journal_db = authferry_testkit::TempPgDatabase::create("kit");
    authferry_core::conformance::check_sink(&authferry_core::conformance::Harness {
        open: &open,
        count_users: &count,
        unique_identifiers: true,
        keeps_ids: true,
        throttle: None,
        pg_journal: &journal_db.url(),
    });
}
both!(passes_the_sink_conformance_kit);
