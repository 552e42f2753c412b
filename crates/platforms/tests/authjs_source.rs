//! The Auth.js source against real databases whose tables are created exactly as the adapters
//! create them (`tests/fixtures/authjs/*.sql`): PostgreSQL (`@auth/pg-adapter`, Prisma, Prisma
//! with snake_case @map), MariaDB (Prisma, Drizzle) and SQLite (Drizzle, D1).
//!
//! PostgreSQL on 127.0.0.1:5432 (user `postgres`, trust auth) and MariaDB/MySQL on
//! 127.0.0.1:3306 (user `root` without a password over TCP; `AUTHFERRY_TEST_MYSQL_URL`
//! overrides); each test creates and drops its own database. Start PostgreSQL with
//! `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` if it is down.

use authferry_core::{RecordError, Source, User};
use authferry_platforms::SpecError;
use authferry_platforms::authjs::{AuthjsDatabase, AuthjsOptions, AuthjsPlan, AuthjsSource};
use authferry_platforms::registry::{Settings, SourcePlan, parse_source};
use authferry_testkit::TempPgDatabase;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/authjs/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// An Auth.js database of one test (dropped at the end).
struct PgDb(TempPgDatabase);

impl PgDb {
    fn new(schema: &str) -> PgDb {
        PgDb(TempPgDatabase::with_schema("authjs_src", schema))
    }
    fn url(&self) -> String {
        self.0.url()
    }
    fn client(&self) -> postgres::Client {
        self.0.client()
    }
}

/// How one adapter names things, for the seed SQL.
struct Naming {
    user: &'static str,
    account: &'static str,
    email_verified: &'static str,
    user_id: &'static str,
    provider_account_id: &'static str,
    /// The account table has a text `id` without a default (Prisma, D1).
    account_text_id: bool,
    /// An `emailVerified` value as an SQL literal.
    verified_literal: &'static str,
    /// Extra user columns and their values (Prisma's createdAt/updatedAt).
    extra_user: (&'static str, &'static str),
    /// Ids are integers (pg-adapter's SERIAL): ordered 1, 2, 3, 4, 10 rather than as text.
    integer_ids: bool,
}

const PG_ADAPTER: Naming = Naming {
    user: "users",
    account: "accounts",
    email_verified: "emailVerified",
    user_id: "userId",
    provider_account_id: "providerAccountId",
    account_text_id: false,
    verified_literal: "'2024-01-15 10:00:00+00'",
    extra_user: ("", ""),
    integer_ids: true,
};

const PRISMA: Naming = Naming {
    user: "User",
    account: "Account",
    email_verified: "emailVerified",
    user_id: "userId",
    provider_account_id: "providerAccountId",
    account_text_id: true,
    verified_literal: "'2024-01-15 10:00:00'",
    extra_user: (
        r#", "createdAt", "updatedAt""#,
        ", '2024-01-01 00:00:00', '2024-02-01 00:00:00'",
    ),
    integer_ids: false,
};

const PRISMA_SNAKE: Naming = Naming {
    user: "users",
    account: "accounts",
    email_verified: "email_verified",
    user_id: "user_id",
    provider_account_id: "provider_account_id",
    account_text_id: true,
    verified_literal: "'2024-01-15 10:00:00'",
    extra_user: ("", ""),
    integer_ids: false,
};

const DRIZZLE_SQLITE: Naming = Naming {
    user: "user",
    account: "account",
    email_verified: "emailVerified",
    user_id: "userId",
    provider_account_id: "providerAccountId",
    account_text_id: false,
    verified_literal: "1705312800000",
    extra_user: ("", ""),
    integer_ids: false,
};

const D1: Naming = Naming {
    user: "users",
    account: "accounts",
    email_verified: "emailVerified",
    user_id: "userId",
    provider_account_id: "providerAccountId",
    account_text_id: true,
    verified_literal: "'2024-01-15T10:00:00.000Z'",
    extra_user: ("", ""),
    integer_ids: false,
};

/// Five users: Alice (verified, two OAuth accounts), Bob (unverified, NULL name, one OIDC
/// account), Carol (a Credentials account row), Dan (an email account row), user 10 (nothing
/// but an id).
fn seed_sql(n: &Naming) -> String {
    let v = n.verified_literal;
    let (extra_cols, extra_vals) = n.extra_user;
    let mut sql = format!(
        r#"INSERT INTO "{u}" (id, name, email, "{ev}", image{extra_cols}) VALUES
           ('1', 'Alice Liddell', 'alice@example.com', {v}, 'https://img.example/alice.png'{extra_vals}),
           ('2', NULL, 'bob@example.com', NULL, NULL{extra_vals}),
           ('3', 'Carol', 'carol@example.com', {v}, NULL{extra_vals}),
           ('4', 'Dan', 'dan@example.com', {v}, NULL{extra_vals}),
           ('10', NULL, NULL, NULL, NULL{extra_vals});
"#,
        u = n.user,
        ev = n.email_verified,
    );
    let accounts = [
        ("1", "oauth", "google", "g-alice", "'openid email profile'"),
        ("1", "oauth", "github", "gh-alice", "'read:user,user:email'"),
        ("2", "oidc", "auth0", "auth0|bob", "NULL"),
        (
            "3",
            "credentials",
            "credentials",
            "carol@example.com",
            "NULL",
        ),
        ("4", "email", "email", "dan@example.com", "NULL"),
    ];
    for (i, (user, kind, provider, pai, scope)) in accounts.iter().enumerate() {
        let (id_col, id_val) = if n.account_text_id {
            ("id, ", format!("'acc{i}', "))
        } else {
            ("", String::new())
        };
        sql.push_str(&format!(
            r#"INSERT INTO "{a}" ({id_col}"{uid}", type, provider, "{pai_col}", scope, access_token)
               VALUES ({id_val}'{user}', '{kind}', '{provider}', '{pai}', {scope}, 'secret-access-token');
"#,
            a = n.account,
            uid = n.user_id,
            pai_col = n.provider_account_id,
        ));
    }
    sql
}

fn drain(source: &mut dyn Source) -> Vec<Result<User, RecordError>> {
    let mut out = Vec::new();
    while let Some(r) = source.next_user() {
        out.push(r);
    }
    out
}

fn users(source: &mut dyn Source) -> Vec<User> {
    drain(source)
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("unexpected record error: {e}")))
        .collect()
}

/// The mapped values every naming must give.
fn check_seeded(users: &[User], n: &Naming) {
    let ids: Vec<&str> = users.iter().map(|u| u.source_id.as_str()).collect();
    if n.integer_ids {
        assert_eq!(ids, ["1", "2", "3", "4", "10"]);
    } else {
        assert_eq!(ids, ["1", "10", "2", "3", "4"]);
    }
    let by_id: BTreeMap<&str, &User> = users.iter().map(|u| (u.source_id.as_str(), u)).collect();

    let alice = by_id["1"];
    assert_eq!(alice.display_name.as_deref(), Some("Alice Liddell"));
    assert_eq!(alice.first_name, None, "names are not split");
    assert_eq!(alice.emails.len(), 1);
    assert_eq!(alice.emails[0].address, "alice@example.com");
    assert!(alice.emails[0].verified && alice.emails[0].primary);
    assert_eq!(
        alice.image_url.as_deref(),
        Some("https://img.example/alice.png")
    );
    let accounts: Vec<(&str, &str, Vec<&str>)> = alice
        .external_accounts
        .iter()
        .map(|a| {
            (
                a.provider.as_str(),
                a.provider_user_id.as_str(),
                a.scopes.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        accounts,
        [
            ("github", "gh-alice", vec!["read:user", "user:email"]),
            ("google", "g-alice", vec!["openid", "email", "profile"]),
        ]
    );
    assert!(alice.password.is_none());

    let bob = by_id["2"];
    assert_eq!(bob.display_name, None);
    assert_eq!(bob.emails[0].address, "bob@example.com");
    assert!(!bob.emails[0].verified, "NULL emailVerified is unverified");
    assert_eq!(bob.external_accounts.len(), 1);
    assert_eq!(bob.external_accounts[0].provider, "auth0");
    assert_eq!(bob.external_accounts[0].provider_user_id, "auth0|bob");
    assert!(bob.external_accounts[0].scopes.is_empty());

    for id in ["3", "4"] {
        assert!(
            by_id[id].external_accounts.is_empty(),
            "credentials/email rows are not OAuth links"
        );
        assert!(by_id[id].emails[0].verified);
    }
    let nobody = by_id["10"];
    assert!(
        nobody.emails.is_empty()
            && nobody.display_name.is_none()
            && nobody.external_accounts.is_empty()
    );

    let json = serde_json::to_string(users).unwrap();
    assert!(
        !json.contains("secret-access-token"),
        "OAuth tokens are never read"
    );
}

fn open(db: AuthjsDatabase, opts: AuthjsOptions) -> AuthjsSource {
    AuthjsSource::open(&db, &opts).unwrap_or_else(|e| panic!("open: {e}"))
}

fn skipped(source: &AuthjsSource) -> Vec<(String, u64)> {
    source
        .skipped_account_types()
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

fn bcrypt_digest(password: &str) -> String {
    bcrypt::hash(password, 4).unwrap()
}

#[test]
fn postgres_pg_adapter_naming() {
    let db = PgDb::new(&fixture("pg-adapter.sql"));
    db.client().batch_execute(&seed_sql(&PG_ADAPTER)).unwrap();
    let mut source = open(AuthjsDatabase::Postgres(db.url()), AuthjsOptions::default());
    assert_eq!(source.tables(), ("users", "accounts"));
    let users = users(&mut source);
    check_seeded(&users, &PG_ADAPTER);
    assert_eq!(
        skipped(&source),
        [("credentials".to_string(), 1), ("email".to_string(), 1)]
    );
    assert!(source.describe().starts_with("authjs:postgres://"));
}

#[test]
fn postgres_prisma_naming_with_a_credentials_password_column() {
    let db = PgDb::new(&fixture("prisma-postgres.sql"));
    let mut c = db.client();
    c.batch_execute(&seed_sql(&PRISMA)).unwrap();
    // A Credentials-provider app keeps its own hash column on the user model.
    c.batch_execute(r#"ALTER TABLE "User" ADD COLUMN "password" TEXT"#)
        .unwrap();
    let carol = bcrypt_digest("carol's password");
    let alice = bcrypt_digest("alice's password");
    c.execute(
        r#"UPDATE "User" SET "password" = $1 WHERE id = '3'"#,
        &[&carol],
    )
    .unwrap();
    c.execute(
        r#"UPDATE "User" SET "password" = $1 WHERE id = '1'"#,
        &[&alice],
    )
    .unwrap();
    c.execute(r#"UPDATE "User" SET "password" = '' WHERE id = '4'"#, &[])
        .unwrap();

    let opts = AuthjsOptions {
        password_column: Some(("User".into(), "password".into())),
        hasher: Some("bcrypt".into()),
    };
    let mut source = open(AuthjsDatabase::Postgres(db.url()), opts);
    assert_eq!(source.tables(), ("User", "Account"));
    let users = users(&mut source);
    let by_id: BTreeMap<&str, &User> = users.iter().map(|u| (u.source_id.as_str(), u)).collect();
    let pw = by_id["3"].password.as_ref().expect("carol's digest");
    assert_eq!(pw.digest.expose(), carol);
    assert_eq!(pw.hasher.as_deref(), Some("bcrypt"));
    assert!(bcrypt::verify("carol's password", pw.digest.expose()).unwrap());
    assert_eq!(by_id["1"].password.as_ref().unwrap().digest.expose(), alice);
    assert!(
        by_id["4"].password.is_none(),
        "an empty password cell is no password"
    );
    assert!(by_id["2"].password.is_none());
    assert!(
        !format!("{:?}", by_id["3"]).contains(&carol),
        "Debug never shows a digest"
    );

    // Prisma's timestamps become created_at/updated_at.
    assert_eq!(
        by_id["1"].created_at.unwrap().to_rfc3339(),
        "2024-01-01T00:00:00.000Z"
    );
    assert_eq!(
        by_id["1"].updated_at.unwrap().to_rfc3339(),
        "2024-02-01T00:00:00.000Z"
    );

    // The rest maps as without the password column.
    let without: Vec<User> = users
        .iter()
        .cloned()
        .map(|mut u| {
            u.password = None;
            u
        })
        .collect();
    check_seeded(&without, &PRISMA);
}

#[test]
fn postgres_snake_case_naming() {
    let db = PgDb::new(&fixture("prisma-snake-postgres.sql"));
    db.client().batch_execute(&seed_sql(&PRISMA_SNAKE)).unwrap();
    let mut source = open(AuthjsDatabase::Postgres(db.url()), AuthjsOptions::default());
    assert_eq!(source.tables(), ("users", "accounts"));
    check_seeded(&users(&mut source), &PRISMA_SNAKE);
}

#[test]
fn postgres_pages_by_integer_id_and_fetches_each_pages_accounts() {
    let db = PgDb::new(&fixture("pg-adapter.sql"));
    db.client()
        .batch_execute(
            r#"INSERT INTO users (name, email, "emailVerified")
                 SELECT 'User ' || g, 'user' || g || '@example.com', CASE WHEN g % 2 = 0 THEN now() END
                   FROM generate_series(1, 2500) g;
               INSERT INTO accounts ("userId", type, provider, "providerAccountId", scope)
                 SELECT g, 'oauth', 'github', 'gh-' || g, 'read:user' FROM generate_series(1, 2500) g;
               INSERT INTO accounts ("userId", type, provider, "providerAccountId")
                 SELECT g, 'oauth', 'google', 'g-' || g FROM generate_series(1000, 1001) g;"#,
        )
        .unwrap();
    let mut source = open(AuthjsDatabase::Postgres(db.url()), AuthjsOptions::default());
    let users = users(&mut source);
    assert_eq!(users.len(), 2500);
    for (i, u) in users.iter().enumerate() {
        let n = i + 1;
        assert_eq!(u.source_id, n.to_string(), "numeric id order across pages");
        assert_eq!(u.emails[0].verified, n % 2 == 0);
        let expected = if n == 1000 || n == 1001 { 2 } else { 1 };
        assert_eq!(u.external_accounts.len(), expected, "user {n}");
        assert_eq!(u.external_accounts[0].provider_user_id, format!("gh-{n}"));
    }
}

#[test]
fn postgres_password_in_another_table_and_errors_name_the_column() {
    let db = PgDb::new(&fixture("prisma-snake-postgres.sql"));
    let mut c = db.client();
    c.batch_execute(&seed_sql(&PRISMA_SNAKE)).unwrap();
    c.batch_execute("CREATE TABLE user_passwords (user_id TEXT PRIMARY KEY, hash TEXT)")
        .unwrap();
    let digest = bcrypt_digest("pw");
    c.execute("INSERT INTO user_passwords VALUES ('2', $1)", &[&digest])
        .unwrap();
    let opts = AuthjsOptions {
        password_column: Some(("user_passwords".into(), "hash".into())),
        hasher: None,
    };
    let mut source = open(AuthjsDatabase::Postgres(db.url()), opts);
    let users = users(&mut source);
    let bob = users.iter().find(|u| u.source_id == "2").unwrap();
    let pw = bob.password.as_ref().unwrap();
    assert_eq!(pw.digest.expose(), digest);
    assert_eq!(
        pw.hasher, None,
        "identified from the digest when --hasher is absent"
    );
    assert_eq!(users.iter().filter(|u| u.password.is_some()).count(), 1);

    // A column that is not there is refused when the source is opened, with its name.
    let err = AuthjsSource::open(
        &AuthjsDatabase::Postgres(db.url()),
        &AuthjsOptions {
            password_column: Some(("users".into(), "nope".into())),
            hasher: None,
        },
    )
    .err()
    .unwrap();
    assert!(
        err.contains("users.nope") && err.contains("no column"),
        "{err}"
    );
}

#[test]
fn postgres_without_authjs_tables_is_refused() {
    let db = PgDb::new("CREATE TABLE something (id int)");
    let err = AuthjsSource::open(
        &AuthjsDatabase::Postgres(db.url()),
        &AuthjsOptions::default(),
    )
    .err()
    .unwrap();
    assert!(err.contains("no Auth.js tables found"), "{err}");
}

fn sqlite_db(dir: &tempfile::TempDir, schema: &str, seed: &str) -> std::path::PathBuf {
    let path = dir.path().join("authjs.sqlite");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(schema).unwrap();
    conn.execute_batch(seed).unwrap();
    path
}

#[test]
fn sqlite_drizzle_naming() {
    let dir = tempfile::tempdir().unwrap();
    let path = sqlite_db(
        &dir,
        &fixture("drizzle-sqlite.sql"),
        &seed_sql(&DRIZZLE_SQLITE),
    );
    let mut source = open(AuthjsDatabase::Sqlite(path), AuthjsOptions::default());
    assert_eq!(source.tables(), ("user", "account"));
    check_seeded(&users(&mut source), &DRIZZLE_SQLITE);
    assert_eq!(
        skipped(&source),
        [("credentials".to_string(), 1), ("email".to_string(), 1)]
    );
}

#[test]
fn sqlite_d1_naming_with_a_password_table() {
    let dir = tempfile::tempdir().unwrap();
    let digest = bcrypt_digest("carol's password");
    let seed = format!(
        r#"{}
           CREATE TABLE credentials ("userId" text PRIMARY KEY, "passwordHash" text);
           INSERT INTO credentials VALUES ('3', '{digest}'), ('4', NULL);"#,
        seed_sql(&D1)
    );
    let path = sqlite_db(&dir, &fixture("d1-sqlite.sql"), &seed);
    let opts = AuthjsOptions {
        password_column: Some(("credentials".into(), "passwordHash".into())),
        hasher: Some("bcrypt".into()),
    };
    let mut source = open(AuthjsDatabase::Sqlite(path), opts);
    assert_eq!(source.tables(), ("users", "accounts"));
    let mut users = users(&mut source);
    let carol = users.iter_mut().find(|u| u.source_id == "3").unwrap();
    assert_eq!(carol.password.as_ref().unwrap().digest.expose(), digest);
    carol.password = None;
    check_seeded(&users, &D1);
}

#[test]
fn sqlite_pages_and_keeps_integer_order() {
    // Integer ids in SQLite (a hand-made schema in the pg-adapter naming).
    let dir = tempfile::tempdir().unwrap();
    let schema = r#"CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT, "emailVerified" TEXT, image TEXT);
                    CREATE TABLE accounts (id INTEGER PRIMARY KEY, "userId" INTEGER NOT NULL, type TEXT NOT NULL,
                        provider TEXT NOT NULL, "providerAccountId" TEXT NOT NULL, scope TEXT);"#;
    let seed = r#"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 2345)
                  INSERT INTO users (id, email) SELECT n, 'u' || n || '@example.com' FROM g;
                  WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 2345)
                  INSERT INTO accounts ("userId", type, provider, "providerAccountId") SELECT n, 'oauth', 'github', 'gh' || n FROM g;"#;
    let path = sqlite_db(&dir, schema, seed);
    let mut source = open(AuthjsDatabase::Sqlite(path), AuthjsOptions::default());
    let users = users(&mut source);
    assert_eq!(users.len(), 2345);
    for (i, u) in users.iter().enumerate() {
        assert_eq!(u.source_id, (i + 1).to_string());
        assert_eq!(u.external_accounts.len(), 1);
        assert_eq!(
            u.external_accounts[0].provider_user_id,
            format!("gh{}", i + 1)
        );
    }
}

#[test]
fn sqlite_unreadable_values_fail_their_record_only_and_never_echo_a_digest() {
    let dir = tempfile::tempdir().unwrap();
    let seed = format!(
        r#"{}
           ALTER TABLE "user" ADD COLUMN "password" text;
           UPDATE "user" SET "password" = X'2432622431302473656372657464696765737476616c7565' WHERE id = '1';
           UPDATE "user" SET "email" = X'00ff' WHERE id = '2';"#,
        seed_sql(&DRIZZLE_SQLITE)
    );
    let path = sqlite_db(&dir, &fixture("drizzle-sqlite.sql"), &seed);
    let opts = AuthjsOptions {
        password_column: Some(("user".into(), "password".into())),
        hasher: None,
    };
    let mut source = open(AuthjsDatabase::Sqlite(path), opts);
    let results = drain(&mut source);
    assert_eq!(results.len(), 5);
    let errors: Vec<&RecordError> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    let alice = errors
        .iter()
        .find(|e| e.source_id.as_deref() == Some("1"))
        .unwrap();
    assert_eq!(alice.field.as_deref(), Some("user.password"));
    assert!(!alice.fatal);
    let bob = errors
        .iter()
        .find(|e| e.source_id.as_deref() == Some("2"))
        .unwrap();
    assert_eq!(bob.field.as_deref(), Some("user.email"));
    for e in &errors {
        let text = format!("{e} {e:?}");
        assert!(!text.contains("$2b$10$secret"), "{text}");
    }
}

/// `--from SPEC` with platform flags, parsed through the registry.
fn parse(spec: &str, flags: &[(&str, &str)]) -> Result<Box<dyn SourcePlan>, SpecError> {
    let settings = flags
        .iter()
        .fold(Settings::default(), |s, (k, v)| s.with_flag(k, *v));
    parse_source(spec, &settings)
}

fn authjs(plan: &dyn SourcePlan) -> Option<&AuthjsPlan> {
    let plan: &dyn std::any::Any = plan;
    plan.downcast_ref()
}

#[test]
fn specs() {
    let spec = parse("authjs:sqlite:/tmp/x.db", &[]).unwrap();
    assert!(
        matches!(authjs(spec.as_ref()), Some(AuthjsPlan { database: AuthjsDatabase::Sqlite(p), .. }) if p.to_str() == Some("/tmp/x.db"))
    );
    let spec = parse(
        "authjs:sqlite:/tmp/x.db",
        &[("password-column", "User.password"), ("hasher", "bcrypt")],
    )
    .unwrap();
    let Some(AuthjsPlan { options, .. }) = authjs(spec.as_ref()) else {
        unreachable!()
    };
    assert_eq!(
        options.password_column,
        Some(("User".into(), "password".into()))
    );
    assert_eq!(options.hasher.as_deref(), Some("bcrypt"));

    assert!(matches!(
        parse("authjs:postgresql://u:pw@h/db", &[])
            .as_deref()
            .map(authjs),
        Ok(Some(AuthjsPlan {
            database: AuthjsDatabase::Postgres(_),
            ..
        }))
    ));
    assert!(matches!(
        parse("authjs:mariadb://u:pw@h/db", &[])
            .as_deref()
            .map(authjs),
        Ok(Some(AuthjsPlan {
            database: AuthjsDatabase::Mysql(_),
            ..
        }))
    ));
    for bad in ["authjs:/tmp/x.db", "authjs:sqlite:", "authjs:oracle://h"] {
        assert!(matches!(parse(bad, &[]), Err(SpecError::Usage(_))), "{bad}");
    }
    assert!(matches!(
        parse("ndjson:x", &[("password-column", "a.b")]),
        Err(SpecError::Usage(_))
    ));
    assert!(matches!(
        parse("authjs:sqlite:x", &[("hasher", "bcrypt")]),
        Err(SpecError::Usage(_))
    ));
    assert!(matches!(
        parse("authjs:sqlite:x", &[("password-column", "nodot")]),
        Err(SpecError::Usage(_))
    ));

    // An unreachable database is an open error whose text hides the URL's password.
    let err = parse("authjs:postgres://postgres:hunter2@127.0.0.1:1/none", &[])
        .unwrap()
        .open()
        .err()
        .unwrap();
    let text = err.to_string();
    assert!(!text.contains("hunter2"), "{text}");
    let spec = parse("authjs:mysql://root:hunter2@h/db", &[]).unwrap();
    assert!(!format!("{spec:?}").contains("hunter2"), "{spec:?}");
    for url in [
        "authjs:mysql://root:hunter2@127.0.0.1:1/none",
        "authjs:mysql://root:hunter2@127.0.0.1:3306/no_such_database_here",
    ] {
        let err = parse(url, &[]).unwrap().open().err().unwrap();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// MariaDB / MySQL

fn mysql_admin_url() -> String {
    std::env::var("AUTHFERRY_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

struct MyDb {
    name: String,
}

impl MyDb {
    fn new(schema: &str) -> MyDb {
        use mysql::prelude::Queryable;
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "authjs_src_{}_{}_{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = mysql::Conn::new(mysql::Opts::from_url(&mysql_admin_url()).unwrap())
            .unwrap_or_else(|e| panic!("MariaDB/MySQL at {} is needed: {e}", mysql_admin_url()));
        admin.query_drop(format!("CREATE DATABASE {name}")).unwrap();
        let db = MyDb { name };
        db.run(schema, false);
        db
    }
    fn url(&self) -> String {
        format!("{}/{}", mysql_admin_url(), self.name)
    }
    /// Runs `;`-separated statements (with ANSI_QUOTES for the seed SQL shared with PostgreSQL).
    fn run(&self, sql: &str, ansi_quotes: bool) {
        use mysql::prelude::Queryable;
        let mut c = mysql::Conn::new(mysql::Opts::from_url(&self.url()).unwrap()).unwrap();
        if ansi_quotes {
            c.query_drop("SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',ANSI_QUOTES')")
                .unwrap();
        }
        let without_comments: String = sql
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        for stmt in without_comments
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            c.query_drop(stmt).unwrap_or_else(|e| panic!("{stmt}: {e}"));
        }
    }
}

impl Drop for MyDb {
    fn drop(&mut self) {
        use mysql::prelude::Queryable;
        if let Ok(mut admin) = mysql::Conn::new(mysql::Opts::from_url(&mysql_admin_url()).unwrap())
        {
            let _ = admin.query_drop(format!("DROP DATABASE IF EXISTS {}", self.name));
        }
    }
}

const DRIZZLE_MYSQL: Naming = Naming {
    user: "user",
    account: "account",
    email_verified: "emailVerified",
    user_id: "userId",
    provider_account_id: "providerAccountId",
    account_text_id: false,
    verified_literal: "'2024-01-15 10:00:00.000'",
    extra_user: ("", ""),
    integer_ids: false,
};

#[test]
fn mariadb_prisma_naming_with_a_credentials_password_column() {
    let db = MyDb::new(&fixture("prisma-mysql.sql"));
    let digest = bcrypt_digest("carol's password");
    db.run(
        &format!(
            "{}\nALTER TABLE \"User\" ADD COLUMN \"password\" VARCHAR(191) NULL;\nUPDATE \"User\" SET \"password\" = '{digest}' WHERE id = '3';\n",
            seed_sql(&PRISMA)
        ),
        true,
    );
    let opts = AuthjsOptions {
        password_column: Some(("User".into(), "password".into())),
        hasher: Some("bcrypt".into()),
    };
    let mut source = open(AuthjsDatabase::Mysql(db.url()), opts);
    assert_eq!(source.tables(), ("User", "Account"));
    let mut users = users(&mut source);
    let carol = users.iter_mut().find(|u| u.source_id == "3").unwrap();
    let pw = carol.password.take().expect("carol's digest");
    assert_eq!(pw.digest.expose(), digest);
    assert_eq!(pw.hasher.as_deref(), Some("bcrypt"));
    assert_eq!(
        users[0].created_at.unwrap().to_rfc3339(),
        "2024-01-01T00:00:00.000Z"
    );
    check_seeded(&users, &PRISMA);
    assert_eq!(
        skipped(&source),
        [("credentials".to_string(), 1), ("email".to_string(), 1)]
    );
    assert!(source.describe().starts_with("authjs:mysql://"));
}

#[test]
fn mariadb_drizzle_naming() {
    let db = MyDb::new(&fixture("drizzle-mysql.sql"));
    db.run(&seed_sql(&DRIZZLE_MYSQL), true);
    let mut source = open(AuthjsDatabase::Mysql(db.url()), AuthjsOptions::default());
    assert_eq!(source.tables(), ("user", "account"));
    check_seeded(&users(&mut source), &DRIZZLE_MYSQL);
}

#[test]
fn mariadb_pages_by_integer_id() {
    let db = MyDb::new(
        "CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255), email VARCHAR(255), emailVerified TIMESTAMP(3) NULL, image TEXT);
         CREATE TABLE accounts (id INT AUTO_INCREMENT PRIMARY KEY, userId INT NOT NULL, type VARCHAR(255) NOT NULL,
           provider VARCHAR(255) NOT NULL, providerAccountId VARCHAR(255) NOT NULL, scope TEXT)",
    );
    // Recursive CTEs of 50 rows (MariaDB stops recursion at 1000), not MariaDB's seq_ engine,
    // so that MySQL runs it too.
    db.run(
        "CREATE TABLE g AS WITH RECURSIVE d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < 49)
           SELECT a.n * 50 + b.n + 1 AS n FROM d a, d b WHERE a.n * 50 + b.n + 1 <= 2100;
         INSERT INTO users (id, email) SELECT n, CONCAT('u', n, '@example.com') FROM g;
         INSERT INTO accounts (userId, type, provider, providerAccountId) SELECT n, 'oauth', 'github', CONCAT('gh', n) FROM g",
        false,
    );
    let mut source = open(AuthjsDatabase::Mysql(db.url()), AuthjsOptions::default());
    let users = users(&mut source);
    assert_eq!(users.len(), 2100);
    for (i, u) in users.iter().enumerate() {
        assert_eq!(u.source_id, (i + 1).to_string());
        assert_eq!(u.external_accounts.len(), 1);
        assert_eq!(
            u.external_accounts[0].provider_user_id,
            format!("gh{}", i + 1)
        );
    }
}

/// `@auth/supabase-adapter` keeps its tables in schema `next_auth`, off the search_path;
/// Prisma apps name their schema in the URL (`?schema=…`), which the PostgreSQL client itself
/// would refuse.
#[test]
fn postgres_tables_in_the_supabase_schema_or_a_prisma_url_schema() {
    let db = PgDb::new("CREATE SCHEMA next_auth; CREATE SCHEMA app;");
    let mut c = db.client();
    c.batch_execute(&format!(
        "SET search_path TO next_auth; {} {}",
        fixture("pg-adapter.sql"),
        seed_sql(&PG_ADAPTER)
    ))
    .unwrap();
    let mut source = open(AuthjsDatabase::Postgres(db.url()), AuthjsOptions::default());
    assert_eq!(source.tables(), ("users", "accounts"));
    check_seeded(&users(&mut source), &PG_ADAPTER);

    c.batch_execute(&format!(
        "SET search_path TO app; {} {}",
        fixture("prisma-postgres.sql"),
        seed_sql(&PRISMA)
    ))
    .unwrap();
    let url = format!("{}?schema=app", db.url());
    let mut source = open(
        AuthjsDatabase::Postgres(url.clone()),
        AuthjsOptions::default(),
    );
    assert_eq!(source.tables(), ("User", "Account"));
    check_seeded(&users(&mut source), &PRISMA);

    let missing = format!("{}?schema=nope", db.url());
    let err = AuthjsSource::open(
        &AuthjsDatabase::Postgres(missing),
        &AuthjsOptions::default(),
    )
    .err()
    .unwrap();
    assert!(err.contains("schema `nope`"), "{err}");
}
