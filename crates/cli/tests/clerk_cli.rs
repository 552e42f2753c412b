//! `authferry migrate --to clerk`, `plan --to clerk` and `--from clerk-api` as a person runs
//! them, against the fake Clerk Backend API: SIGKILL at random points and resume under
//! injected faults ends with every user in Clerk exactly once and the journal's id map equal
//! to Clerk's; the secret key never shows in any output; the plan gives the duration at the
//! budget.

use authferry_testkit::fake_clerk::{FakeClerk, TEST_KEY};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn authferry(fc: &FakeClerk, key: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_authferry"));
    c.env("CLERK_SECRET_KEY", key)
        .env("CLERK_API_URL", &fc.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn migrate(fc: &FakeClerk, csv: &Path, journal: &Path, rate: &str) -> Command {
    let mut c = authferry(fc, TEST_KEY);
    c.args([
        "migrate", "--quiet", "--json", "--to", "clerk", "--rate", rate,
    ])
    .arg("--from")
    .arg(format!("clerk-csv:{}", csv.display()))
    .arg("--journal")
    .arg(journal);
    c
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Kill points: differ per seed, reproducible from it.
fn kill_points(seed: u64, n: usize) -> Vec<Duration> {
    authferry_testkit::xorshift(seed)
        .take(n)
        .map(|x| Duration::from_millis(300 + x % 1500))
        .collect()
}

#[test]
fn sigkill_and_resume_under_faults_moves_every_user_exactly_once() {
    let Some(fc) = FakeClerk::start(&[
        "--limit",
        "400",
        "--window",
        "1",
        "--fault-rate",
        "0.1",
        "--slow-seconds",
        "1",
        "--seed",
        "11",
    ]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("export.csv");
    let n = 2000u64;
    authferry_platforms::synthetic::write_clerk_csv(&csv, n, 5).unwrap();
    let journal = dir.path().join("journal.sqlite");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    eprintln!("kill seed {seed}");
    let mut kills = 0;
    for after in kill_points(seed, 4) {
        let mut child = migrate(&fc, &csv, &journal, "400/1s").spawn().unwrap();
        std::thread::sleep(after);
        if child.try_wait().unwrap().is_none() {
            kills += 1;
        }
        child.kill().ok();
        child.wait().ok();
    }
    assert!(
        kills >= 2,
        "the run finished before it could be killed (seed {seed})"
    );
    let out = migrate(&fc, &csv, &journal, "400/1s").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &summary["counts"];
    let done = c["migrated"].as_u64().unwrap() + c["already_present"].as_u64().unwrap();
    assert_eq!(done, n, "seed {seed}: {summary}");

    // Clerk holds each source id once, and nothing else.
    let stored = fc.users();
    let clerk: BTreeMap<String, String> = stored
        .iter()
        .map(|u| {
            (
                u["external_id"].as_str().unwrap().to_string(),
                u["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(stored.len() as u64, n, "seed {seed}");
    assert_eq!(clerk.len() as u64, n, "seed {seed}: duplicates");
    assert_eq!(fc.stat(&["spec_violations"]), 0);

    // The journal's id map is Clerk's.
    let out = Command::new(env!("CARGO_BIN_EXE_authferry"))
        .args(["idmap", "export", "--format", "csv", "--journal"])
        .arg(&journal)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let map: BTreeMap<String, String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let (a, b) = l.split_once(',').unwrap();
            (a.to_string(), b.to_string())
        })
        .collect();
    assert_eq!(map, clerk, "seed {seed}");

    // A re-run sends nothing.
    let before = fc.stat(&["requests"]);
    let out = migrate(&fc, &csv, &journal, "400/1s").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["counts"]["already_present"], n);
    assert!(
        fc.stat(&["requests"]) - before <= 1,
        "a finished migration sent requests again"
    );
}

#[test]
fn the_secret_key_never_shows_and_the_plan_gives_the_duration_at_the_budget() {
    const LIVE_KEY: &str = "sk_live_AUTHFERRYsecretKEYvalue42";
    let Some(fc) = FakeClerk::start(&["--limit", "1000", "--window", "1", "--key", LIVE_KEY])
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sample = authferry_testkit::fake_clerk::repo_root().join("samples/clerk-export.csv");
    let journal = dir.path().join("j.sqlite");
    let report = dir.path().join("report.json");
    let failures = dir.path().join("failures.ndjson");

    // The plan: the sample's 23 good users would go, at 1000 / 10 s (the sk_live_ budget).
    let out = authferry(&fc, LIVE_KEY)
        .args(["plan", "--to", "clerk"])
        .arg(format!("--from=clerk-csv:{}", sample.display()))
        .output()
        .unwrap();
    let plan = text(&out);
    assert!(
        plan.contains("Estimated duration at the target's budget (1000 requests / 10 s (Clerk's limit for sk_live_ keys))"),
        "{plan}"
    );
    assert!(plan.contains("under 1 s for 23 requests"), "{plan}");
    assert!(
        !plan.contains(LIVE_KEY) && !plan.contains("AUTHFERRYsecret"),
        "{plan}"
    );

    let out = authferry(&fc, LIVE_KEY)
        .args(["migrate", "--to", "clerk", "--journal"])
        .arg(&journal)
        .arg("--report")
        .arg(&report)
        .arg("--failures")
        .arg(&failures)
        .arg(format!("--from=clerk-csv:{}", sample.display()))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "the sample has a bad record: {}",
        text(&out)
    );
    let mut everything = text(&out).into_bytes();
    for f in [&journal, &report, &failures] {
        everything.extend(std::fs::read(f).unwrap());
    }
    let haystack = String::from_utf8_lossy(&everything);
    assert!(!haystack.contains("AUTHFERRYsecret"), "the key leaked");
    assert!(!haystack.contains("$2b$10$"), "a digest leaked");

    // A wrong key stops the run before anything is sent (exit 1), without echoing the key.
    let out = authferry(&fc, "sk_live_WRONGwrongWRONG")
        .args(["migrate", "--quiet", "--to", "clerk", "--journal"])
        .arg(dir.path().join("j2.sqlite"))
        .arg(format!("--from=clerk-csv:{}", sample.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("CLERK_SECRET_KEY"), "{}", text(&out));
    assert!(!text(&out).contains("WRONGwrong"), "{}", text(&out));

    // No key at all: a clear error, exit 1.
    let out = authferry(&fc, "")
        .args(["plan", "--to", "clerk"])
        .arg(format!("--from=clerk-csv:{}", sample.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("CLERK_SECRET_KEY is not set"),
        "{}",
        text(&out)
    );
}

#[test]
fn clerk_to_clerk_with_digests_moves_passwords_from_the_csv() {
    use authferry_core::Source;
    let dir = tempfile::tempdir().unwrap();
    let sample = authferry_testkit::fake_clerk::repo_root().join("samples/clerk-export.csv");
    // The "source instance": the sample's readable users, with the sample's ids, as the API
    // returns them (no digests).
    let mut csv = authferry_platforms::clerk::ClerkCsvSource::open(&sample).unwrap();
    let mut digests = BTreeMap::new();
    let mut preload = Vec::new();
    while let Some(u) = csv.next_user() {
        let Ok(u) = u else { continue };
        if let Some(p) = &u.password {
            digests.insert(u.source_id.clone(), p.digest.expose().to_string());
        }
        preload.push(serde_json::json!({
            "id": u.source_id,
            "object": "user",
            "first_name": u.first_name,
            "email_addresses": u.emails.iter().enumerate().map(|(i, e)| serde_json::json!({
                "id": format!("idn_{}_{i}", u.source_id), "object": "email_address",
                "email_address": e.address,
                "verification": {"status": "verified", "strategy": "admin"}, "linked_to": []
            })).collect::<Vec<_>>(),
            "private_metadata": {"from": "api"},
        }));
    }
    let Some(fc) = FakeClerk::start_with_users(&preload, &["--limit", "1000", "--window", "1"])
    else {
        return;
    };
    let Some(target) = FakeClerk::start(&["--limit", "1000", "--window", "1"]) else {
        return;
    };
    // Clerk → Clerk with one key for both sides names one instance: refused.
    let journal = dir.path().join("j.sqlite");
    let clerk_to_clerk = |source_key: Option<&str>| {
        let mut c = authferry(&target, TEST_KEY);
        if let Some(k) = source_key {
            c.env("CLERK_SOURCE_SECRET_KEY", k)
                .env("CLERK_SOURCE_API_URL", &fc.url);
        }
        c.args([
            "migrate",
            "--quiet",
            "--json",
            "--from",
            "clerk-api",
            "--to",
            "clerk",
            "--with-digests",
        ])
        .arg(format!("clerk-csv:{}", sample.display()))
        .arg("--journal")
        .arg(&journal)
        .output()
        .unwrap()
    };
    let out = clerk_to_clerk(None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("CLERK_SOURCE_SECRET_KEY"),
        "{}",
        text(&out)
    );

    let out = clerk_to_clerk(Some(TEST_KEY));
    // The sample's invalid and duplicate addresses fail or skip as from any source.
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let moved = target.users();
    assert!(
        moved.len() + 3 >= preload.len() && moved.len() >= 20,
        "{}",
        text(&out)
    );
    let mut with_digest = 0;
    for u in &moved {
        let id = u["external_id"].as_str().unwrap();
        // Metadata from the source instance's API, digest from the CSV.
        assert_eq!(
            u["private_metadata"],
            serde_json::json!({"from": "api"}),
            "{id}"
        );
        match digests.get(id) {
            Some(d) => {
                assert_eq!(u["_password_digest"].as_str(), Some(d.as_str()), "{id}");
                with_digest += 1;
            }
            None => assert!(u["_password_digest"].is_null(), "{id}"),
        }
    }
    assert!(with_digest >= 15, "{with_digest}");
    assert_eq!(
        fc.stat(&["created"]),
        0,
        "the source instance was written to"
    );
}
