//! The journal as runs share it: several `migrate` processes on one PostgreSQL journal, a
//! second run on a SQLite journal, a journal taken to another target instance.

use authferry_testkit::TempPgDatabase;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const SECRET: &str = "journal-test-secret-0123456789abcdef";

fn authferry(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_authferry"));
    c.current_dir(dir)
        .env("BETTER_AUTH_SECRET", SECRET)
        .env_remove("AUTH_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Writes rows `from..to` of the synthetic export `all` (header kept) to `path`.
fn shard(all: &Path, path: &Path, from: usize, to: usize) {
    let text = std::fs::read_to_string(all).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let body: Vec<&str> = lines.skip(from).take(to - from).collect();
    std::fs::write(path, format!("{header}\n{}\n", body.join("\n"))).unwrap();
}

/// A directory with `in.ndjson`: one user, `a`.
fn one_user() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("in.ndjson"),
        "{\"source_id\":\"a\",\"emails\":[{\"address\":\"a@example.com\"}]}\n",
    )
    .unwrap();
    dir
}

/// `migrate --from ndjson:in.ndjson --to TO --journal j.sqlite` in `dir`.
fn migrate_in(dir: &Path, to: &str) -> Output {
    authferry(dir)
        .args(["migrate", "--from", "ndjson:in.ndjson"])
        .args(["--to", to, "--journal", "j.sqlite"])
        .output()
        .unwrap()
}

fn count(v: &serde_json::Value, key: &str) -> u64 {
    v["counts"][key].as_u64().unwrap_or(0)
}

/// Two processes, started together on one PostgreSQL journal, over the same export and then
/// over two overlapping shards of another: every user is in the target once, and the two
/// reports add up to what happened (each record migrated by exactly one of them).
#[test]
fn concurrent_runs_on_one_postgres_journal_move_each_user_once() {
    let dir = tempfile::tempdir().unwrap();
    let users = 6000usize;
    let all = dir.path().join("export.csv");
    authferry_platforms::synthetic::write_clerk_csv(&all, users as u64, 7).unwrap();
    let target = TempPgDatabase::create("conc_target");
    let journal = TempPgDatabase::create("conc_journal");
    let to = format!("better-auth:{}", target.url());
    let run = |csv: &Path, codes: &str| {
        authferry(dir.path())
            .args(["migrate", "--quiet", "--json", "--batch-size", "250"])
            .arg("--from")
            .arg(format!("clerk-csv:{}", csv.display()))
            .args(["--to", &to, "--journal", &journal.url()])
            .args(["--backup-codes-out", codes])
            .spawn()
            .unwrap()
    };
    let finish = |child: std::process::Child| {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let users_in_target = || -> i64 {
        target
            .client()
            .query_one("SELECT count(*) FROM \"user\"", &[])
            .unwrap()
            .get(0)
    };

    // The same export twice, at once.
    let (a, b) = (run(&all, "a.ndjson"), run(&all, "b.ndjson"));
    let (a, b) = (finish(a), finish(b));
    for s in [&a, &b] {
        assert_eq!(s["records"], users as u64, "{s}");
        assert_eq!(
            count(s, "migrated")
                + count(s, "already_present")
                + count(s, "in_other_run")
                + count(s, "skipped")
                + count(s, "failed"),
            users as u64,
            "every record read is counted once: {s}"
        );
        assert_eq!(count(s, "failed") + count(s, "skipped"), 0, "{s}");
    }
    assert_eq!(
        count(&a, "migrated") + count(&b, "migrated"),
        users as u64,
        "the two reports add up to the truth: {a} {b}"
    );
    assert!(
        count(&a, "in_other_run") + count(&b, "in_other_run") > 0,
        "the runs did overlap (else this proved nothing): {a} {b}"
    );
    assert_eq!(users_in_target() as usize, users);

    // Overlapping shards of a newer export (the first 6000 users again, 2000 new): rows
    // 0..5000 and 3000..8000, at once.
    let newer = dir.path().join("newer.csv");
    authferry_platforms::synthetic::write_clerk_csv(&newer, 8000, 7).unwrap();
    let (s1, s2) = (dir.path().join("s1.csv"), dir.path().join("s2.csv"));
    shard(&newer, &s1, 0, 5000);
    shard(&newer, &s2, 3000, 8000);
    let (a, b) = (run(&s1, "c.ndjson"), run(&s2, "d.ndjson"));
    let (a, b) = (finish(a), finish(b));
    assert_eq!(
        count(&a, "migrated") + count(&b, "migrated"),
        2000,
        "only the new users are written, once: {a} {b}"
    );
    assert_eq!(users_in_target(), 8000);
    let ids: i64 = target
        .client()
        .query_one("SELECT count(DISTINCT id) FROM \"user\"", &[])
        .unwrap()
        .get(0);
    assert_eq!(ids, 8000);
}

/// A second run on a SQLite journal that a run holds is refused, naming the holder; the
/// target is not touched.
#[test]
fn a_second_run_on_a_sqlite_journal_is_refused() {
    let dir = one_user();
    let holder = authferry_core::Journal::open(
        dir.path().join("j.sqlite"),
        "ndjson:in.ndjson",
        "ndjson:out.ndjson",
    )
    .unwrap();
    let migrate = || migrate_in(dir.path(), "ndjson:out.ndjson");
    let out = migrate();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&format!(
            "in use by another run (pid {}",
            std::process::id()
        )),
        "{}",
        text(&out)
    );
    assert!(!dir.path().join("out.ndjson").exists());
    drop(holder);
    let out = migrate();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// A journal taken to another instance of the same target spelling (the target file deleted
/// and made again; another Clerk instance behind the same `--to clerk`) is refused instead of
/// reporting everyone "already present".
#[test]
fn a_journal_refuses_another_target_instance() {
    let dir = one_user();
    let migrate = || {
        authferry(dir.path())
            .args(["migrate", "--json", "--from", "ndjson:in.ndjson"])
            .args(["--to", "ndjson:out.ndjson", "--journal", "j.sqlite"])
            .output()
            .unwrap()
    };
    assert_eq!(migrate().status.code(), Some(0));
    let again = migrate();
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    std::fs::remove_file(dir.path().join("out.ndjson")).unwrap();
    let out = migrate();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("target instance"), "{}", text(&out));
    // Nothing was reported as present, nothing written to the new file.
    assert!(!String::from_utf8_lossy(&out.stdout).contains("already_present"));
}

#[test]
fn a_journal_refuses_another_clerk_instance() {
    use authferry_testkit::fake_clerk::{FakeClerk, TEST_KEY};
    let (Some(one), Some(other)) = (
        FakeClerk::start(&["--instance-id", "ins_one"]),
        FakeClerk::start(&["--instance-id", "ins_other"]),
    ) else {
        return;
    };
    let dir = one_user();
    let migrate = |fc: &FakeClerk| {
        authferry(dir.path())
            .env("CLERK_SECRET_KEY", TEST_KEY)
            .env("CLERK_API_URL", &fc.url)
            .args(["migrate", "--from", "ndjson:in.ndjson", "--to", "clerk"])
            .args(["--journal", "j.sqlite"])
            .output()
            .unwrap()
    };
    let out = migrate(&one);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = migrate(&other);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("ins_one") && text(&out).contains("ins_other"),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains(TEST_KEY));
    assert_eq!(other.users().len(), 0, "nothing sent to the other instance");
}

/// A delta: an export is migrated, then a newer one (5 % new users, 5 % changed) against the
/// same journal: only the new users are written, and the changed ones are listed.
#[test]
fn a_newer_export_moves_only_new_users_and_lists_changed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full.csv");
    authferry_platforms::synthetic::write_clerk_csv(&full, 2100, 9).unwrap();
    let content = std::fs::read_to_string(&full).unwrap();
    let mut lines: Vec<String> = content.lines().map(str::to_owned).collect();
    let header = lines.remove(0);
    // The first export: the first 2000 users.
    std::fs::write(
        dir.path().join("old.csv"),
        format!("{header}\n{}\n", lines[..2000].join("\n")),
    )
    .unwrap();
    // The newer one: every 20th of them renamed, and 100 users more.
    let mut changed = Vec::new();
    for (i, line) in lines.iter_mut().take(2000).enumerate() {
        if i % 20 == 7 {
            let mut cells: Vec<&str> = line.split(',').collect();
            changed.push(cells[0].to_string());
            cells[1] = "Renamed";
            *line = cells.join(",");
        }
    }
    std::fs::write(
        dir.path().join("new.csv"),
        format!("{header}\n{}\n", lines.join("\n")),
    )
    .unwrap();
    let run = |csv: &str| {
        let out = authferry(dir.path())
            .args(["migrate", "--quiet", "--json", "--from"])
            .arg(format!("clerk-csv:{csv}"))
            .args(["--to", "ndjson:out.ndjson", "--journal", "j.sqlite"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let first = run("old.csv");
    assert_eq!(count(&first, "migrated"), 2000, "{first}");
    let second = run("new.csv");
    assert_eq!(
        count(&second, "migrated"),
        100,
        "only the new users: {second}"
    );
    assert_eq!(count(&second, "already_present"), 2000, "{second}");
    assert_eq!(second["changed"]["count"], 100, "{second}");
    let listed: Vec<&str> = second["changed"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["source_id"].as_str().unwrap())
        .collect();
    assert!(!listed.is_empty());
    for id in &listed {
        assert!(changed.iter().any(|c| c == id), "{id} did not change");
    }
    let written = std::fs::read_to_string(dir.path().join("out.ndjson")).unwrap();
    assert_eq!(written.lines().count(), 2100);
    // The same newer export again: nothing new, the same users still listed as changed.
    let third = run("new.csv");
    assert_eq!(count(&third, "migrated"), 0);
    assert_eq!(third["changed"]["count"], 100);
}

/// Another existing database at the target's path is refused before anything is written to
/// it: no Better Auth table is created in it.
#[test]
fn another_database_at_the_target_path_is_refused_untouched() {
    let dir = one_user();
    let migrate = || migrate_in(dir.path(), "better-auth:sqlite:app.db");
    let out = migrate();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The app's database is replaced by another one at the same path.
    std::fs::rename(dir.path().join("app.db"), dir.path().join("moved.db")).unwrap();
    rusqlite::Connection::open(dir.path().join("app.db"))
        .unwrap()
        .execute_batch("CREATE TABLE other (x INTEGER);")
        .unwrap();
    let out = migrate();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("target instance"), "{}", text(&out));
    let tables: Vec<String> = rusqlite::Connection::open(dir.path().join("app.db"))
        .unwrap()
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        tables,
        ["other"],
        "nothing was created in the other database"
    );
}

/// A PostgreSQL journal serves `idmap export` as a SQLite one does, and its URL's password
/// never shows.
#[test]
fn a_postgres_journal_gives_the_id_map() {
    let dir = tempfile::tempdir().unwrap();
    let journal = TempPgDatabase::create("idmap_journal");
    std::fs::write(
        dir.path().join("in.ndjson"),
        "{\"source_id\":\"a\",\"emails\":[{\"address\":\"a@example.com\"}]}\n\
         {\"source_id\":\"b\",\"emails\":[{\"address\":\"b@example.com\"}]}\n",
    )
    .unwrap();
    // A password in the URL (trust authentication ignores it): it must never be printed.
    let url = journal
        .url()
        .replace("postgres@", "postgres:hunter2secret@");
    let out = authferry(dir.path())
        .args([
            "migrate",
            "--from",
            "ndjson:in.ndjson",
            "--to",
            "ndjson:out.ndjson",
        ])
        .args(["--journal", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains("hunter2secret"));
    let out = authferry(dir.path())
        .args(["idmap", "export", "--format", "csv", "--journal", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let csv = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows, ["a,a", "b,b"], "{csv}");
    // A journal that does not exist is an error, not an empty map.
    let out = authferry(dir.path())
        .args(["idmap", "export", "--journal"])
        .arg(format!("{}?schema=nothing_here", journal.url()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}
