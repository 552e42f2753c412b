//! The binary as a user meets it: exit codes, plan output, reports, the failure log, the id
//! map, journal refusal and file modes. Uses the NDJSON source and target so that these tests
//! exercise the CLI and the engine, not a platform.

use std::path::Path;
use std::process::{Command, Output};

fn authferry(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_authferry"))
        .current_dir(dir)
        .args(args)
        .env_remove("BETTER_AUTH_SECRET")
        .env_remove("AUTH_SECRET")
        .output()
        .expect("run authferry")
}

const BCRYPT: &str = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";

fn input(dir: &Path) {
    let lines = [
        format!(r#"{{"source_id":"u1","emails":[{{"address":"Ada@Example.com","verified":true,"primary":true}}],"password":{{"hasher":"bcrypt","digest":"{BCRYPT}"}}}}"#),
        r#"{"source_id":"u2","emails":[{"address":"ada@example.com"}]}"#.to_string(),
        r#"{"source_id":"u3","emails":[{"address":"not-an-email"}]}"#.to_string(),
        r#"{"source_id":"u4","phones":[{"number":"+15551234567"}],"username":"grace"}"#.to_string(),
        r#"{"source_id":"u5","emails":[{"address":"u5@example.com"}],"password":{"digest":"zz-unknown-format-zz"}}"#.to_string(),
    ];
    std::fs::write(dir.join("in.ndjson"), lines.join("\n") + "\n").unwrap();
}

/// `authferry migrate --from ndjson:in.ndjson ARGS…` in `dir`: its exit code and stderr.
fn migrate_in(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["migrate", "--from", "ndjson:in.ndjson"];
    all.extend_from_slice(args);
    let out = authferry(dir, &all);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn usage_errors_exit_2_and_unreadable_inputs_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = authferry(
        dir.path(),
        &["migrate", "--from", "nowhere:x", "--to", "ndjson:o"],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("clerk-csv:PATH"),
        "lists the valid sources"
    );
    let out = authferry(dir.path(), &["migrate", "--from", "ndjson:in.ndjson"]);
    assert_eq!(out.status.code(), Some(2), "missing --to is a usage error");
    let out = authferry(
        dir.path(),
        &[
            "migrate",
            "--from",
            "ndjson:missing.ndjson",
            "--to",
            "ndjson:o",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.ndjson"));
    let out = authferry(
        dir.path(),
        &[
            "migrate",
            "--from",
            "ndjson:missing.ndjson",
            "--to",
            "nowhere:o",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bad --to is a usage error even when --from is missing"
    );
}

#[test]
fn plan_reports_outcomes_formats_and_problems_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    input(dir.path());
    let out = authferry(
        dir.path(),
        &[
            "plan",
            "--from",
            "ndjson:in.ndjson",
            "--to",
            "ndjson:out.ndjson",
            "--json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "a plan with failing records exits 3"
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["mode"], "plan");
    assert_eq!(plan["records"], 5);
    assert_eq!(plan["counts"]["migrated"], 2, "{plan}");
    assert_eq!(
        plan["counts"]["skipped"], 2,
        "duplicate + unverifiable: {plan}"
    );
    assert_eq!(plan["counts"]["failed"], 1);
    assert_eq!(plan["reasons"]["duplicate_in_export"], 1);
    assert_eq!(plan["reasons"]["unverifiable_hash"], 1);
    assert_eq!(plan["reasons"]["invalid_email"], 1);
    assert_eq!(plan["hash_formats"]["bcrypt"]["support"], "native");
    assert_eq!(
        plan["hash_formats"]["unrecognised"]["support"],
        "unverifiable"
    );
    let problems = plan["problems"].as_array().unwrap();
    assert_eq!(problems[0]["record"], 2);
    assert!(
        problems[0]["reason"]
            .as_str()
            .unwrap()
            .contains("record #1 (u1)"),
        "{problems:?}"
    );
    assert!(
        !dir.path().join("out.ndjson").exists(),
        "plan wrote the target"
    );
    assert!(
        !dir.path().join("authferry-journal.sqlite").exists(),
        "plan wrote a journal"
    );

    let text = authferry(
        dir.path(),
        &[
            "migrate",
            "--dry-run",
            "--from",
            "ndjson:in.ndjson",
            "--to",
            "ndjson:out.ndjson",
        ],
    );
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("would migrate"), "{text}");
    assert!(text.contains("needs trickle or reset"), "{text}");
}

#[test]
fn migrate_records_every_outcome_then_resumes_to_nothing() {
    let dir = tempfile::tempdir().unwrap();
    input(dir.path());
    let args = [
        "migrate",
        "--from",
        "ndjson:in.ndjson",
        "--to",
        "ndjson:out.ndjson",
        "--report",
        "report.json",
        "--failures",
        "failures.ndjson",
        "--unverifiable",
        "no-password",
    ];
    let out = authferry(dir.path(), &args);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = read_json(&dir.path().join("report.json"));
    assert_eq!(report["counts"]["migrated"], 3, "{report}");
    assert!(
        report["notes"][0]
            .as_str()
            .unwrap()
            .contains("without their password")
    );
    let failures = std::fs::read_to_string(dir.path().join("failures.ndjson")).unwrap();
    let lines: Vec<serde_json::Value> = failures
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["source_id"], "u3");
    assert_eq!(lines[1]["code"], "invalid_email");
    for f in [
        "report.json",
        "failures.ndjson",
        "out.ndjson",
        "authferry-journal.sqlite",
    ] {
        assert_eq!(mode(&dir.path().join(f)), 0o600, "{f} must be private");
    }
    let written = std::fs::read_to_string(dir.path().join("out.ndjson")).unwrap();
    assert_eq!(written.lines().count(), 3);
    assert!(
        !written.contains("zz-unknown"),
        "the unverifiable digest was dropped"
    );

    // The same command again: nothing written, migrated users reported as already present.
    let out = authferry(
        dir.path(),
        &[&args[..5], &["--json", "--unverifiable", "no-password"]].concat(),
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["counts"]["already_present"], 3, "{summary}");
    assert_eq!(summary["counts"]["migrated"], 0);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.ndjson")).unwrap(),
        written
    );

    // A journal belongs to one migration.
    let out = authferry(
        dir.path(),
        &[
            "migrate",
            "--from",
            "ndjson:out.ndjson",
            "--to",
            "ndjson:other.ndjson",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("another migration"));

    // The id map of what was migrated.
    let out = authferry(dir.path(), &["idmap", "export", "--format", "csv"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "source_id,target_id\nu1,u1\nu4,u4\nu5,u5\n"
    );
    let out = authferry(dir.path(), &["idmap", "export", "--format", "json"]);
    let map: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(map.as_array().unwrap().len(), 3);
    let out = authferry(
        dir.path(),
        &["idmap", "export", "--format", "sql", "--table", "old_new"],
    );
    let sql = String::from_utf8_lossy(&out.stdout);
    assert!(sql.contains("CREATE TABLE IF NOT EXISTS old_new"), "{sql}");
    assert!(sql.contains("('u4', 'u4')"));
}

#[test]
fn nothing_secret_reaches_output_reports_or_journal() {
    let dir = tempfile::tempdir().unwrap();
    let totp = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let bad_totp = "not!base32!secret!0189";
    let weird_digest = "sha1$weird$0123456789abcdef";
    let lines = [
        format!(
            r#"{{"source_id":"s1","emails":[{{"address":"s1@example.com"}}],"password":{{"digest":"{BCRYPT}"}},"totp_secret":"{totp}","backup_codes":["aaaaa-bbbbb"]}}"#
        ),
        format!(
            r#"{{"source_id":"s2","emails":[{{"address":"s2@example.com"}}],"totp_secret":"{bad_totp}"}}"#
        ),
        format!(
            r#"{{"source_id":"s3","emails":[{{"address":"s3@example.com"}}],"password":{{"digest":"{weird_digest}"}}}}"#
        ),
        format!(
            r#"{{"source_id":"s4","emails":[{{"address":"s4@example.com"}}],"password":{{"digest":17}},"totp_secret":"{totp}"}}"#
        ),
    ];
    std::fs::write(dir.path().join("in.ndjson"), lines.join("\n") + "\n").unwrap();
    let mut seen = Vec::new();
    for args in [
        vec![
            "plan",
            "--from",
            "ndjson:in.ndjson",
            "--to",
            "ndjson:out.ndjson",
            "--json",
        ],
        vec![
            "migrate",
            "--from",
            "ndjson:in.ndjson",
            "--to",
            "ndjson:out.ndjson",
            "--report",
            "r.json",
            "--failures",
            "f.ndjson",
        ],
    ] {
        let out = authferry(dir.path(), &args);
        seen.extend(out.stdout);
        seen.extend(out.stderr);
    }
    seen.extend(std::fs::read(dir.path().join("r.json")).unwrap());
    seen.extend(std::fs::read(dir.path().join("f.ndjson")).unwrap());
    seen.extend(std::fs::read(dir.path().join("authferry-journal.sqlite")).unwrap());
    let seen = String::from_utf8_lossy(&seen);
    for secret in [
        BCRYPT,
        "CCCCCCCCCCCCCCCCCCCCC",
        totp,
        bad_totp,
        weird_digest,
        "aaaaa-bbbbb",
    ] {
        assert!(
            !seen.contains(secret),
            "a secret leaked into output, report or journal"
        );
    }
    // The records were really processed (so the check above had something to find).
    assert!(
        seen.contains("totp_secret"),
        "the bad TOTP secret is reported by field name"
    );
    assert!(seen.contains("s3"));
}

/// A journal numbers records by position: a source that gives other records at the same
/// positions on a resume (users deleted from a live platform, an edited export) is refused with
/// what to do, instead of taking record N for the one the journal knew.
#[test]
fn a_source_that_changed_under_its_journal_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let line = |id: &str| {
        format!("{{\"source_id\":\"{id}\",\"emails\":[{{\"address\":\"{id}@example.com\"}}]}}\n")
    };
    std::fs::write(
        dir.path().join("in.ndjson"),
        ["a", "b", "c"].map(line).concat(),
    )
    .unwrap();
    let run = || {
        authferry(
            dir.path(),
            &[
                "migrate",
                "-q",
                "--from",
                "ndjson:in.ndjson",
                "--to",
                "ndjson:out.ndjson",
                "--journal",
                "j.sqlite",
            ],
        )
    };
    assert_eq!(run().status.code(), Some(0));
    assert_eq!(run().status.code(), Some(0), "an unchanged source resumes");
    // "b" was deleted: "c" now sits where "b" was.
    std::fs::write(dir.path().join("in.ndjson"), ["a", "c"].map(line).concat()).unwrap();
    let out = run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("record #2 was b, it is now c"), "{stderr}");
    assert!(stderr.contains("new --journal"), "{stderr}");
    assert!(!stderr.contains("re-run the same command"), "{stderr}");
}

/// Issue 9 items 1 and 2 end to end: a Clerk export with a stray quote and a row cut short
/// accounts for every row — the report reads as many records as the file has rows, the two
/// damaged rows fail with their reason, the rest move.
#[test]
fn every_row_of_a_damaged_csv_is_accounted_for() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("users.csv"),
        "id,first_name,last_name,primary_email_address\n\
         user_1,\"Al,Smith,al@example.com\n\
         user_2,Bea,Jones,bea@example.com\n\
         user_3,Cy,cy@example.com\n\
         user_4,Di,Ng,di@example.com\n",
    )
    .unwrap();
    let out = authferry(
        dir.path(),
        &[
            "migrate",
            "--from",
            "clerk-csv:users.csv",
            "--to",
            "ndjson:out.ndjson",
            "--report",
            "report.json",
            "--failures",
            "failures.ndjson",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = read_json(&dir.path().join("report.json"));
    assert_eq!(report["records"], 4, "{report}");
    assert_eq!(report["counts"]["migrated"], 2, "{report}");
    assert_eq!(report["counts"]["failed"], 2, "{report}");
    let failures = std::fs::read_to_string(dir.path().join("failures.ndjson")).unwrap();
    let failed: Vec<serde_json::Value> = failures
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(failed[0]["source_id"], "user_1", "{failures}");
    assert!(
        failed[0]["reason"]
            .as_str()
            .unwrap()
            .contains("quoted cell"),
        "{failures}"
    );
    assert_eq!(failed[1]["source_id"], "user_3", "{failures}");
    assert!(
        failed[1]["reason"]
            .as_str()
            .unwrap()
            .contains("has 3 cells"),
        "{failures}"
    );
    let written = std::fs::read_to_string(dir.path().join("out.ndjson")).unwrap();
    assert!(written.contains("\"user_2\"") && written.contains("\"user_4\""));
}

/// Issue 9 item 5: a target, journal or report that is the source (or a link to it) is
/// refused before anything is written; so is an NDJSON target already holding other data.
#[test]
fn overlapping_files_and_a_foreign_ndjson_target_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    input(dir.path());
    let source = std::fs::read(dir.path().join("in.ndjson")).unwrap();
    std::os::unix::fs::symlink("in.ndjson", dir.path().join("link.ndjson")).unwrap();
    for args in [
        vec!["--to", "ndjson:in.ndjson"],
        vec!["--to", "ndjson:link.ndjson"],
        vec!["--to", "ndjson:out.ndjson", "--report", "in.ndjson"],
        vec!["--to", "ndjson:out.ndjson", "--journal", "sqlite:in.ndjson"],
        vec![
            "--to",
            "ndjson:out.ndjson",
            "--report",
            "r.json",
            "--failures",
            "r.json",
        ],
    ] {
        let (code, stderr) = migrate_in(dir.path(), &args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("name the same file"), "{args:?}: {stderr}");
    }
    assert_eq!(std::fs::read(dir.path().join("in.ndjson")).unwrap(), source);
    assert!(!dir.path().join("out.ndjson").exists());

    std::fs::write(dir.path().join("other.ndjson"), "{\"order\":1}\n").unwrap();
    let (code, stderr) = migrate_in(dir.path(), &["--to", "ndjson:other.ndjson"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("already holds data that is not users"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("other.ndjson")).unwrap(),
        "{\"order\":1}\n"
    );
}

/// Issue 9 item 9: an output path that is a symbolic link (planted to send the users' digests
/// elsewhere) is refused, and what it points to is left alone.
#[test]
fn outputs_are_never_written_through_a_symbolic_link() {
    let dir = tempfile::tempdir().unwrap();
    input(dir.path());
    // (Shaped like a target's line, so that it is the link that is refused.)
    let precious = "{\"source_id\":\"precious\"}\n";
    std::fs::write(dir.path().join("elsewhere"), precious).unwrap();
    for (i, flag) in ["--report", "--failures", "--to", "--journal"]
        .iter()
        .enumerate()
    {
        let link = format!("link{i}");
        std::os::unix::fs::symlink("elsewhere", dir.path().join(&link)).unwrap();
        let to = format!("ndjson:{link}");
        let args = match *flag {
            "--to" => vec!["--to", &to],
            other => vec!["--to", "ndjson:out.ndjson", other, &link],
        };
        let (code, stderr) = migrate_in(dir.path(), &args);
        assert_ne!(code, Some(0), "{flag}: {stderr}");
        assert!(stderr.contains("symbolic link"), "{flag}: {stderr}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("elsewhere")).unwrap(),
            precious,
            "{flag}"
        );
        let _ = std::fs::remove_file(dir.path().join("out.ndjson"));
        let _ = std::fs::remove_file(dir.path().join("authferry-journal.sqlite"));
        let _ = std::fs::remove_file(dir.path().join("authferry-journal.sqlite.lock"));
    }
}

/// Issue 9 item 13: outputs are checked before the first write (a report path that cannot be
/// written stops the run before the target holds anything); a run that stops says why in its
/// report; a cause is said once.
#[test]
fn outputs_are_checked_first_and_a_stopped_run_still_reports() {
    let dir = tempfile::tempdir().unwrap();
    input(dir.path());
    let (code, stderr) = migrate_in(
        dir.path(),
        &["--to", "ndjson:out.ndjson", "--report", "nodir/r.json"],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("cannot create nodir/r.json"), "{stderr}");
    assert!(
        !dir.path().join("out.ndjson").exists(),
        "the target was written first"
    );

    let (code, stderr) = migrate_in(
        dir.path(),
        &["--to", "ndjson:out.ndjson", "--journal", "nodir/j.sqlite"],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        stderr.matches("No such file or directory").count(),
        1,
        "{stderr}"
    );

    let (code, stderr) = migrate_in(
        dir.path(),
        &[
            "--to",
            "better-auth:sqlite:ba.db",
            "--backup-codes-out",
            "nodir/codes.txt",
            "--report",
            "report.json",
            "--unverifiable",
            "no-password",
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("--backup-codes-out nodir/codes.txt"),
        "{stderr}"
    );
    let report = read_json(&dir.path().join("report.json"));
    assert!(
        report["stopped"]
            .as_str()
            .unwrap()
            .contains("--backup-codes-out"),
        "{report}"
    );
}

/// Issue 9 item 13: a run that stops midway (here its PostgreSQL connection is cut after 1500
/// users) writes a report with the counts the journal holds and why it stopped; the same
/// command then resumes to the end.
#[test]
fn a_run_stopped_midway_reports_what_the_journal_holds() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("export.csv");
    authferry_platforms::synthetic::write_clerk_csv(&csv, 5000, 3).unwrap();
    let target = authferry_testkit::TempPgDatabase::create("stopped_run");
    let to = format!("better-auth:{}", target.url());
    let from = format!("clerk-csv:{}", csv.display());
    let args = [
        "migrate",
        "--quiet",
        "--from",
        &from,
        "--to",
        &to,
        "--batch-size",
        "500",
        "--report",
        "report.json",
        "--unverifiable",
        "no-password",
    ];
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_authferry"))
            .current_dir(dir.path())
            .args(args)
            .env("BETTER_AUTH_SECRET", "stopped-run-secret-0123456789abcdef")
            .output()
            .unwrap()
    };
    // The tables, made by a run over an export without users, to hang the cut on.
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "id,primary_email_address\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_authferry"))
        .current_dir(dir.path())
        .args(["migrate", "--quiet", "--from"])
        .arg(format!("clerk-csv:{}", empty.display()))
        .args(["--to", &to, "--journal", "empty-journal.sqlite"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    target
        .client()
        .batch_execute(
            r#"CREATE FUNCTION cut() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN
                 IF (SELECT count(*) FROM "user") >= 1500 THEN
                   PERFORM pg_terminate_backend(pg_backend_pid());
                 END IF;
                 RETURN NEW;
               END $$;
               CREATE TRIGGER cut BEFORE INSERT ON "user" FOR EACH ROW EXECUTE FUNCTION cut();"#,
        )
        .unwrap();

    let out = run();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = read_json(&dir.path().join("report.json"));
    assert!(
        report["stopped"]
            .as_str()
            .is_some_and(|s| s.contains("re-run the same command to resume")),
        "{report}"
    );
    let migrated = report["counts"]["migrated"]
        .as_u64()
        .expect("counts in the report");
    assert_eq!(
        migrated, 1500,
        "the batches committed before the cut: {report}"
    );
    assert!(report["records"].as_u64().unwrap() >= 1500, "{report}");

    target
        .client()
        .batch_execute(r#"DROP TRIGGER cut ON "user""#)
        .unwrap();
    let out = run();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = read_json(&dir.path().join("report.json"));
    assert!(report.get("stopped").is_none(), "{report}");
    assert_eq!(report["counts"]["migrated"], 3500, "{report}");
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Issue 10 item 2: a hasher name is a contract. A custom name is not guessed from the digest's
/// shape (`md5_salted_legacy_v0` used to become plain MD5, a user who could never sign in), a
/// digest that is not what its name says fails, both with the name in the reason — in a Clerk
/// CSV and in users.json; `--hasher-alias` says what a custom name means; Auth.js `--hasher`
/// with an unknown name is a usage error.
#[test]
fn hasher_names_are_a_contract() {
    let dir = tempfile::tempdir().unwrap();
    let md5 = "5f4dcc3b5aa765d61d8327deb882cf99";
    let sha512_crypt = "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/";
    std::fs::write(
        dir.path().join("export.csv"),
        format!(
            "id,primary_email_address,password_digest,password_hasher\n\
             u_md5,a@example.com,{md5},md5_salted_legacy_v0\n\
             u_sha,b@example.com,{sha512_crypt},sha512_crypt_custom\n\
             u_mismatch,c@example.com,{md5},bcrypt\n\
             u_ok,d@example.com,{BCRYPT},bcrypt\n"
        ),
    )
    .unwrap();
    let run = |extra: &[&str], journal: &str| {
        let mut args = vec![
            "migrate",
            "--quiet",
            "--from",
            "clerk-csv:export.csv",
            "--to",
            "ndjson:out.ndjson",
            "--journal",
            journal,
            "--failures",
            "failures.ndjson",
        ];
        args.extend_from_slice(extra);
        let _ = std::fs::remove_file(dir.path().join("out.ndjson"));
        let out = authferry(dir.path(), &args);
        let failures: Vec<serde_json::Value> =
            std::fs::read_to_string(dir.path().join("failures.ndjson"))
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
        (out.status.code(), failures)
    };
    let (code, failures) = run(&[], "j1.sqlite");
    assert_eq!(code, Some(3));
    let reasons: Vec<(String, String)> = failures
        .iter()
        .map(|f| {
            (
                f["source_id"].as_str().unwrap().to_string(),
                f["reason"].to_string(),
            )
        })
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert_eq!(reasons[0].0, "u_md5");
    assert!(
        reasons[0]
            .1
            .contains("`md5_salted_legacy_v0` names no algorithm"),
        "{}",
        reasons[0].1
    );
    assert_eq!(reasons[1].0, "u_sha");
    assert!(
        reasons[1].1.contains("`sha512_crypt_custom`"),
        "{}",
        reasons[1].1
    );
    assert_eq!(reasons[2].0, "u_mismatch");
    assert!(
        reasons[2]
            .1
            .contains("not a bcrypt digest, as password hasher `bcrypt` says"),
        "{}",
        reasons[2].1
    );
    for (_, r) in &reasons {
        assert!(!r.contains(md5) && !r.contains("qFmFH"), "{r}");
    }

    // Declared, the custom names are read as what they mean.
    let (code, failures) = run(
        &[
            "--hasher-alias",
            "md5_salted_legacy_v0=md5",
            "--hasher-alias",
            "SHA512_crypt_custom=sha512_crypt",
        ],
        "j2.sqlite",
    );
    assert_eq!(code, Some(3));
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["source_id"], "u_mismatch");
    let out = std::fs::read_to_string(dir.path().join("out.ndjson")).unwrap();
    assert!(out.contains("\"u_md5\"") && out.contains("\"u_sha\""));

    let out = authferry(
        dir.path(),
        &["--hasher-alias", "x=nothing", "hash", "identify", md5],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`nothing` is no format"));

    // users.json, the migration script's schema.
    std::fs::write(
        dir.path().join("users.json"),
        format!(r#"[{{"userId":"j1","email":"j1@example.com","password":"{md5}","passwordHasher":"md5_salted_legacy_v0"}}]"#),
    )
    .unwrap();
    let out = authferry(
        dir.path(),
        &[
            "migrate",
            "--quiet",
            "--from",
            "clerk-users-json:users.json",
            "--to",
            "ndjson:u.ndjson",
            "--journal",
            "j3.sqlite",
            "--failures",
            "f3.ndjson",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        std::fs::read_to_string(dir.path().join("f3.ndjson"))
            .unwrap()
            .contains("`md5_salted_legacy_v0` names no algorithm")
    );

    // Auth.js: the operator's --hasher is checked before anything is read.
    let out = authferry(
        dir.path(),
        &[
            "plan",
            "--from",
            "authjs:sqlite:none.db",
            "--password-column",
            "user.password",
            "--hasher",
            "mystery",
            "--to",
            "ndjson:a.ndjson",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--hasher mystery names no algorithm"));
}

/// Issue 10 item 1: a plan into Better Auth counts the phone-only users and says how they
/// are written; `--temp-email` changes the address, a template without the number is refused.
#[test]
fn a_plan_counts_phone_only_users() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("in.ndjson"),
        "{\"source_id\":\"p1\",\"phones\":[{\"number\":\"+15551230001\",\"verified\":true}]}\n\
         {\"source_id\":\"p2\",\"phones\":[{\"number\":\"+15551230002\"}]}\n\
         {\"source_id\":\"e1\",\"emails\":[{\"address\":\"e1@example.com\"}]}\n",
    )
    .unwrap();
    let plan = |extra: &[&str]| {
        let mut args = vec![
            "plan",
            "--json",
            "--from",
            "ndjson:in.ndjson",
            "--to",
            "better-auth:sqlite:ba.db",
        ];
        args.extend_from_slice(extra);
        authferry(dir.path(), &args)
    };
    let out = plan(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["counts"]["migrated"], 3, "{summary}");
    let notes = summary["notes"].to_string();
    assert!(
        notes.contains("2 phone-only users would get a temporary email ({digits}@phone.invalid)"),
        "{notes}"
    );
    let out = plan(&["--temp-email", "{phone}@sms.example.com"]);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        summary["notes"]
            .to_string()
            .contains("`${phoneNumber}@sms.example.com`"),
        "{summary}"
    );
    let out = plan(&["--temp-email", "everyone@example.com"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("needs {phone} or {digits}"));
}

/// Issue 13 item 5: generated backup codes are never delivered nowhere. Without
/// `--backup-codes-out` they go to an owner-only file beside the journal, and the run says so.
#[test]
fn backup_codes_land_beside_the_journal_by_default() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("state")).unwrap();
    std::fs::write(
        dir.path().join("in.ndjson"),
        format!(
            "{{\"source_id\":\"t1\",\"emails\":[{{\"address\":\"t1@example.com\"}}],\"password\":{{\"digest\":\"{BCRYPT}\"}},\"totp_secret\":\"JBSWY3DPEHPK3PXP\"}}\n"
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_authferry"))
        .current_dir(dir.path())
        .args([
            "migrate",
            "--from",
            "ndjson:in.ndjson",
            "--to",
            "better-auth:sqlite:ba.db",
            "--journal",
            "state/run.sqlite",
        ])
        .env("BETTER_AUTH_SECRET", "beside-the-journal-secret-0123456789")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let codes = dir.path().join("state/run.backup-codes.ndjson");
    let line: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&codes).unwrap().trim()).unwrap();
    assert_eq!(line["source_id"], "t1");
    assert_eq!(line["backup_codes"].as_array().unwrap().len(), 10);
    assert_eq!(mode(&codes), 0o600);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("are in state/run.backup-codes.ndjson"),
        "{}",
        text(&out)
    );
}

/// Issue 13 item 4: a file given as the wrong kind stops at once with one error naming the kind
/// it looks like — no journal, no target, exit 2.
#[test]
fn a_file_of_another_kind_stops_before_anything_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let firebase = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../platforms/tests/fixtures/firebase/export.json");
    let from = format!("ndjson:{}", firebase.display());
    let out = authferry(
        dir.path(),
        &[
            "migrate",
            "--from",
            &from,
            "--to",
            "ndjson:out.ndjson",
            "--journal",
            "j.sqlite",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("try --from firebase:"), "{err}");
    assert_eq!(err.lines().count(), 1, "one error: {err}");
    assert!(
        !dir.path().join("j.sqlite").exists(),
        "a journal was created"
    );
    assert!(
        !dir.path().join("out.ndjson").exists(),
        "the target was created"
    );
}
