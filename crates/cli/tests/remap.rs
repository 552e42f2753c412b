//! `authferry remap` on a real PostgreSQL application database: foreign-key columns holding
//! Auth.js user ids rewritten to the new (Clerk-style) ids the journal recorded.
//!
//! PostgreSQL on 127.0.0.1:5432 (user `postgres`, trust auth); each test creates and drops its
//! own database.

use authferry_core::journal::Journal;
use authferry_core::{Reason, ReasonCode, State};
use authferry_testkit::TempPgDatabase;
use std::path::Path;
use std::process::{Command, Output};

/// The application database of one test (dropped at the end).
struct PgDb(TempPgDatabase);

impl PgDb {
    fn new(schema: &str) -> PgDb {
        PgDb(TempPgDatabase::with_schema("remap", schema))
    }
    fn url(&self) -> String {
        self.0.url()
    }
    fn client(&self) -> postgres::Client {
        self.0.client()
    }
    fn column(&self, sql: &str) -> Vec<Option<String>> {
        self.client()
            .query(sql, &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }
}

fn authferry(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_authferry"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run authferry")
}

/// `authferry remap --journal JOURNAL --db URL REST…`.
fn remap(dir: &Path, journal: &str, url: &str, rest: &[&str]) -> Output {
    authferry(
        dir,
        &[&["remap", "--journal", journal, "--db", url], rest].concat(),
    )
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A journal in which Auth.js users `cl1`…`cl5` became `user_new1`…`user_new5`; `cl6` failed
/// and `cl7` was skipped (no target id: they keep their old id).
fn journal(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("journal.sqlite");
    let mut j = Journal::open(&path, "authjs:postgres://x/app", "clerk").unwrap();
    let mut b = j.batch().unwrap();
    for i in 1..=5u64 {
        let state = if i == 5 {
            State::AlreadyPresent
        } else {
            State::Migrated
        };
        b.outcome(
            i,
            Some(&format!("cl{i}")),
            state,
            None,
            Some(&format!("user_new{i}")),
        )
        .unwrap();
    }
    let reason = Reason::new(ReasonCode::NoIdentifier, "no email");
    b.outcome(6, Some("cl6"), State::Failed, Some(&reason), None)
        .unwrap();
    b.outcome(7, Some("cl7"), State::Skipped, Some(&reason), None)
        .unwrap();
    b.commit().unwrap();
    path
}

const APP_SCHEMA: &str = r#"
CREATE TABLE posts (id SERIAL PRIMARY KEY, title TEXT, author_id TEXT);
CREATE TABLE "Comment" (id SERIAL PRIMARY KEY, "userId" VARCHAR(64), body TEXT);
INSERT INTO posts (title, author_id) VALUES
  ('a', 'cl1'), ('b', 'cl1'), ('c', 'cl2'), ('d', 'cl3'), ('e', 'cl4'), ('f', 'cl5'), ('g', NULL);
INSERT INTO "Comment" ("userId", body) VALUES ('cl2', 'x'), ('cl5', 'y');
"#;

fn posts(db: &PgDb) -> Vec<Option<String>> {
    db.column("SELECT author_id FROM posts ORDER BY id")
}

fn s(v: &[Option<&str>]) -> Vec<Option<String>> {
    v.iter().map(|o| o.map(str::to_owned)).collect()
}

#[test]
fn dry_run_then_batched_rewrite_then_nothing_left() {
    let dir = tempfile::tempdir().unwrap();
    let j = journal(dir.path());
    let db = PgDb::new(APP_SCHEMA);
    let url = db.url();
    let base = [
        "remap",
        "--journal",
        j.to_str().unwrap(),
        "--db",
        &url,
        "--column",
        "posts.author_id",
        "--column",
        "\"Comment\".\"userId\"",
    ];

    let mut args = base.to_vec();
    args.push("--dry-run");
    let out = authferry(dir.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains(
            "posts.author_id: 6 rows to rewrite (5 users), 0 rows already new, 0 rows unknown"
        ),
        "{t}"
    );
    assert!(
        t.contains("\"Comment\".\"userId\": 2 rows to rewrite (2 users)"),
        "{t}"
    );
    assert!(t.contains("dry run"), "{t}");
    assert_eq!(
        posts(&db),
        s(&[
            Some("cl1"),
            Some("cl1"),
            Some("cl2"),
            Some("cl3"),
            Some("cl4"),
            Some("cl5"),
            None
        ])
    );

    let mut args = base.to_vec();
    args.extend(["--batch-size", "2"]);
    let out = authferry(dir.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("posts.author_id: 6 rows rewritten"),
        "{}",
        text(&out)
    );
    assert_eq!(
        posts(&db),
        s(&[
            Some("user_new1"),
            Some("user_new1"),
            Some("user_new2"),
            Some("user_new3"),
            Some("user_new4"),
            Some("user_new5"),
            None
        ])
    );
    assert_eq!(
        db.column(r#"SELECT "userId" FROM "Comment" ORDER BY id"#),
        s(&[Some("user_new2"), Some("user_new5")])
    );

    // Idempotent: a second run finds every value already new and writes nothing.
    let out = authferry(dir.path(), &base);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains(
            "posts.author_id: 0 rows to rewrite (0 users), 6 rows already new, 0 rows unknown"
        ),
        "{}",
        text(&out)
    );
}

#[test]
fn resumes_a_partly_rewritten_table() {
    let dir = tempfile::tempdir().unwrap();
    let j = journal(dir.path());
    let db = PgDb::new(APP_SCHEMA);
    // As an interrupted run leaves it: some batches committed, the rest still old.
    db.client()
        .batch_execute("UPDATE posts SET author_id = 'user_new1' WHERE author_id = 'cl1'")
        .unwrap();
    let url = db.url();
    let out = remap(
        dir.path(),
        j.to_str().unwrap(),
        &url,
        &["--column", "posts.author_id"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("4 rows to rewrite (4 users), 2 rows already new"),
        "{}",
        text(&out)
    );
    assert!(
        posts(&db)
            .iter()
            .flatten()
            .all(|v| v.starts_with("user_new"))
    );
}

#[test]
fn unknown_values_refuse_unless_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let j = journal(dir.path());
    let db = PgDb::new(APP_SCHEMA);
    // cl6 failed to migrate (no new id) and `stranger` was never a user.
    db.client()
        .batch_execute(
            "INSERT INTO posts (title, author_id) VALUES ('h', 'cl6'), ('i', 'stranger')",
        )
        .unwrap();
    let url = db.url();
    let base = [
        "remap",
        "--journal",
        j.to_str().unwrap(),
        "--db",
        &url,
        "--column",
        "posts.author_id",
    ];
    let before = posts(&db);
    let out = authferry(dir.path(), &base);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("neither an old nor a new user id"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("2 rows (2 distinct values"),
        "{}",
        text(&out)
    );
    assert_eq!(posts(&db), before, "nothing written");

    let mut args = base.to_vec();
    args.push("--ignore-unknown");
    let out = authferry(dir.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let after = posts(&db);
    assert_eq!(after[0].as_deref(), Some("user_new1"));
    assert_eq!(after[7].as_deref(), Some("cl6"));
    assert_eq!(after[8].as_deref(), Some("stranger"));
}

#[test]
fn an_integer_column_cannot_take_the_new_ids() {
    let dir = tempfile::tempdir().unwrap();
    // Journal: integer Auth.js ids (pg-adapter SERIAL) → Clerk ids.
    let path = dir.path().join("journal.sqlite");
    {
        let mut j = Journal::open(&path, "authjs:x", "clerk").unwrap();
        let mut b = j.batch().unwrap();
        b.outcome(1, Some("1"), State::Migrated, None, Some("user_abc"))
            .unwrap();
        b.commit().unwrap();
    }
    let db = PgDb::new(
        "CREATE TABLE orders (id SERIAL, user_id INTEGER); INSERT INTO orders (user_id) VALUES (1), (1);",
    );
    let url = db.url();
    let out = remap(
        dir.path(),
        path.to_str().unwrap(),
        &url,
        &["--column", "orders.user_id"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("do not fit the column's type integer"),
        "{}",
        text(&out)
    );
    assert_eq!(
        db.column("SELECT user_id::text FROM orders"),
        s(&[Some("1"), Some("1")])
    );
}

#[test]
fn usage_and_missing_things() {
    let dir = tempfile::tempdir().unwrap();
    let j = journal(dir.path());
    let db = PgDb::new(APP_SCHEMA);
    let url = db.url();
    let jp = j.to_str().unwrap();
    let out = remap(dir.path(), jp, "mysql://x", &["--column", "a.b"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = remap(dir.path(), jp, &url, &["--column", "nodot"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = remap(dir.path(), jp, &url, &["--column", "nope.user_id"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("no table nope"), "{}", text(&out));
    let out = remap(dir.path(), jp, &url, &["--column", "posts.nope"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("has no column nope"), "{}", text(&out));
    // Issue 9 item 13: a name PostgreSQL cannot parse is blamed on the option that held it.
    let out = remap(
        dir.path(),
        jp,
        &url,
        &["--column", "x; DROP TABLE x; --.id"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out)
            .contains("--column x; DROP TABLE x; --.id: `x; DROP TABLE x; --` is not a table name"),
        "{}",
        text(&out)
    );
    assert_eq!(posts(&db).len(), 7, "nothing was dropped");
}

#[test]
fn a_foreign_key_to_the_old_user_table_stops_with_a_hint_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let j = journal(dir.path());
    let db = PgDb::new(
        r#"CREATE TABLE "User" (id TEXT PRIMARY KEY);
           INSERT INTO "User" VALUES ('cl1'), ('cl2');
           CREATE TABLE "Post" (id SERIAL PRIMARY KEY, "authorId" TEXT REFERENCES "User"(id));
           INSERT INTO "Post" ("authorId") VALUES ('cl1'), ('cl2');"#,
    );
    let url = db.url();
    let out = remap(
        dir.path(),
        j.to_str().unwrap(),
        &url,
        &["--column", "\"Post\".\"authorId\""],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("drop that foreign key"),
        "{}",
        text(&out)
    );
    assert_eq!(
        db.column(r#"SELECT "authorId" FROM "Post" ORDER BY id"#),
        s(&[Some("cl1"), Some("cl2")])
    );
}
