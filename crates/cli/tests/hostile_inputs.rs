//! Hostile inputs (issue 9), each run by the real binary under a memory limit (`ulimit -v`)
//! and a time limit, its peak resident memory measured: no panic, no abort, memory bounded
//! whatever the input holds, every physical row accounted for, the damage named, the rest
//! moved. Damaged CSV rows and symbolic links planted at output paths are covered in `cli.rs`.

use serde_json::Value;
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

/// Address space allowed to a run, in KiB: far above what authferry needs, far below what the
/// inputs here used to make it take.
const ADDRESS_SPACE_KIB: u64 = 1024 * 1024;
/// The most resident memory a run here may reach. The record bound is 16 MiB; the inputs hold
/// 200 MiB fields, which used to cost 479 MB.
const MAX_RSS_KIB: u64 = 120 * 1024;

struct Output {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Peak resident memory, KiB.
    max_rss_kib: u64,
}

/// Runs authferry in `dir` within `address_space_kib` of address space and 300 s, and measures
/// its peak resident memory (`wait4`: `sh` execs into `timeout`, which runs authferry as its
/// child; the rusage of the waited process includes its waited children).
#[allow(clippy::zombie_processes)] // reaped by `wait4` below, which also reports the rusage
fn limited_to(dir: &Path, address_space_kib: u64, args: &[&str]) -> Output {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {address_space_kib} && exec timeout 300 \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_authferry"))
        .args(args)
        .current_dir(dir)
        .env_remove("BETTER_AUTH_SECRET")
        .env_remove("AUTH_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run authferry");
    let (mut so, mut se) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        so.read_to_end(&mut b).map(|_| b)
    });
    let mut stderr = Vec::new();
    se.read_to_end(&mut stderr).unwrap();
    let stdout = out_reader.join().unwrap().unwrap();
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid value; wait4 fills it for our own child, which is not
    // waited for elsewhere (the `Child` is dropped without `wait`).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4");
    let out = Output {
        status: ExitStatus::from_raw(status),
        stdout,
        stderr,
        max_rss_kib: usage.ru_maxrss as u64,
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("memory allocation"),
        "authferry {args:?} crashed: {stderr}"
    );
    // 124: timeout; 134/137: abort or kill (the allocator's or the limit's).
    assert!(
        matches!(out.status.code(), Some(0..=3)),
        "authferry {args:?} ended with {}: {stderr}",
        out.status
    );
    assert!(
        out.max_rss_kib > 1024,
        "the measurement works: {} KiB",
        out.max_rss_kib
    );
    assert!(
        out.max_rss_kib < MAX_RSS_KIB,
        "authferry {args:?} reached {} MiB resident",
        out.max_rss_kib >> 10
    );
    out
}

fn limited(dir: &Path, args: &[&str]) -> Output {
    limited_to(dir, ADDRESS_SPACE_KIB, args)
}

fn report(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap()
}

fn failures(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("failures.ndjson"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Writes `head`, then `len` bytes of `fill`, then `tail`, without holding them in memory.
fn write_with_huge_middle(path: &Path, head: &str, fill: u8, len: usize, tail: &str) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    f.write_all(head.as_bytes()).unwrap();
    let chunk = vec![fill; 1 << 20];
    for _ in 0..len >> 20 {
        f.write_all(&chunk).unwrap();
    }
    f.write_all(tail.as_bytes()).unwrap();
    f.flush().unwrap();
}

fn migrate_args(from: &str) -> Vec<&str> {
    vec![
        "migrate",
        "--quiet",
        "--from",
        from,
        "--to",
        "ndjson:out.ndjson",
        "--report",
        "report.json",
        "--failures",
        "failures.ndjson",
    ]
}

/// Migrates `from` (three records, the middle one hostile) under the limits: every physical
/// row is a record, two move, one fails; returns the failure log.
fn two_of_three_move(dir: &Path, from: &str) -> Vec<Value> {
    let out = limited(dir, &migrate_args(from));
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(dir);
    assert_eq!(r["records"], 3, "every physical row is a record: {r}");
    assert_eq!(r["counts"]["migrated"], 2, "{r}");
    assert_eq!(r["counts"]["failed"], 1, "{r}");
    let f = failures(dir);
    assert_eq!(f.len(), 1);
    f
}

/// A 200 MiB cell used to take 479 MB of memory; `/dev/zero` aborted on a 2 GiB allocation.
#[test]
fn a_huge_csv_cell_fails_its_row_and_dev_zero_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_with_huge_middle(
        &dir.path().join("export.csv"),
        "id,first_name,primary_email_address\nuser_1,Al,al@example.com\nuser_2,",
        b'x',
        200 << 20,
        ",bea@example.com\nuser_3,Cy,cy@example.com\n",
    );
    let f = two_of_three_move(dir.path(), "clerk-csv:export.csv");
    assert!(
        f[0].to_string()
            .contains("row 2 (line 3) runs on for more than 16 MiB"),
        "{}",
        f[0]
    );

    let out = limited(
        dir.path(),
        &[
            "migrate",
            "--from",
            "clerk-csv:/dev/zero",
            "--to",
            "ndjson:zero.ndjson",
            "--journal",
            "zero.sqlite",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/dev/zero") && stderr.contains("header is longer than 16 MiB"),
        "{stderr}"
    );
}

/// A 200 MiB NDJSON line fails as one record; the lines around it arrive.
#[test]
fn a_huge_json_line_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let user =
        |id: &str| format!(r#"{{"source_id":"{id}","emails":[{{"address":"{id}@example.com"}}]}}"#);
    write_with_huge_middle(
        &dir.path().join("in.ndjson"),
        &format!("{}\n{{\"source_id\":\"big\",\"first_name\":\"", user("a")),
        b'y',
        200 << 20,
        &format!("\"}}\n{}\n", user("c")),
    );
    assert!(
        two_of_three_move(dir.path(), "ndjson:in.ndjson")[0]
            .to_string()
            .contains("line 2 is longer than 16 MiB")
    );
}

/// An id of a megabyte fails validation, and is named clipped to 255 bytes in the failure log,
/// the report and the journal — also when the run is repeated.
#[test]
fn a_megabyte_id_is_named_clipped_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let long_id = "u".repeat(1 << 20);
    std::fs::write(
        dir.path().join("in.ndjson"),
        format!(
            "{{\"source_id\":\"{long_id}\",\"emails\":[{{\"address\":\"long@example.com\"}}]}}\n\
             {{\"source_id\":\"short\",\"emails\":[{{\"address\":\"short@example.com\"}}]}}\n"
        ),
    )
    .unwrap();
    let mut args = migrate_args("ndjson:in.ndjson");
    args.extend(["--journal", "journal.sqlite"]);
    for run in 0..2 {
        let out = limited(dir.path(), &args);
        assert_eq!(
            out.status.code(),
            Some(3),
            "run {run}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let f = failures(dir.path());
        let id = f[0]["source_id"].as_str().unwrap();
        assert!(id.len() <= 255, "run {run}: {} bytes", id.len());
        assert!(
            id.ends_with(&format!("…(+{} bytes)", (1 << 20) - 215)),
            "{id}"
        );
        assert!(
            f[0].to_string().contains("has 1048576 bytes (limit 255)"),
            "{}",
            f[0]
        );
        let r = report(dir.path());
        assert_eq!(r["counts"]["failed"], 1, "{r}");
        assert!(!r.to_string().contains(&"u".repeat(256)));
    }
    // No file authferry wrote holds the id whole.
    let needle = "u".repeat(256);
    for name in [
        "journal.sqlite",
        "report.json",
        "failures.ndjson",
        "out.ndjson",
    ] {
        let bytes = std::fs::read(dir.path().join(name)).unwrap_or_default();
        assert!(
            !bytes.windows(256).any(|w| w == needle.as_bytes()),
            "{name} holds the whole id"
        );
    }
}

/// One `$2b$31$…`, `pbkdf2_sha256$4000000000$…`, `$6$rounds=999999999$…` or Argon2
/// `t=2^32−1` line used to stall `hash verify --batch` for hours, and an Argon2 `m=4 GiB`
/// line aborted the process under a memory limit, losing every other line's answer. Each now
/// answers an error at once, in order, and the lines around them are verified.
#[test]
fn hash_verify_answers_every_line_whatever_its_digest_asks() {
    let dir = tempfile::tempdir().unwrap();
    let good = "$2b$04$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
    let lines = [
        (good, "ok"),
        (
            "$2b$31$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
            "hours of computing",
        ),
        (
            "pbkdf2_sha256$4000000000$c29tZXNhbHQ$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZWV4YW0=",
            "s of computing",
        ),
        (
            "$6$rounds=999999999$somesalt$yTHu7TjwBq6uhmS86azFYGlTRS5C4LPnlrLCzWb0xv5HHXiWjK5LFC0ETx8ri4AGM4Zx8/A3Ppp37QDUpyvAj/",
            "s of computing",
        ),
        (
            "$argon2id$v=19$m=65536,t=4294967295,p=1$c29tZXNhbHRzb21lc2FsdA$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZQ",
            "days of computing",
        ),
        (
            "$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZQ",
            "4.0 GiB of memory",
        ),
        // Within the budget, but not within this process's memory limit (512 MiB).
        (
            "$argon2id$v=19$m=614400,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZQ",
            "could not allocate the 600 MiB",
        ),
        (
            "$scrypt$ln=30,r=8,p=1$c29tZXNhbHQ$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZWV4YW0",
            "GiB of memory",
        ),
        (
            "$scrypt$ln=19,r=9,p=1$c29tZXNhbHQ$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZWV4YW0",
            "could not allocate",
        ),
        (good, "ok"),
    ];
    let input: String = lines
        .iter()
        .map(|(h, _)| serde_json::json!({"hash": h, "password": "x"}).to_string() + "\n")
        .collect();
    std::fs::write(dir.path().join("in.ndjson"), input).unwrap();
    let out = limited_to(
        dir.path(),
        512 * 1024,
        &["hash", "verify", "--batch", "in.ndjson"],
    );
    assert_eq!(out.status.code(), Some(0));
    let answers: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), lines.len(), "{answers:?}");
    for ((digest, want), got) in lines.iter().zip(&answers) {
        if *want == "ok" {
            assert_eq!(got["ok"], false, "{got}");
        } else {
            let err = got["error"].as_str().unwrap_or_else(|| panic!("{got}"));
            assert!(err.contains(want), "{err} (wanted {want:?})");
            assert!(
                !err.contains(&digest[digest.len() - 20..]),
                "{err} echoes the digest"
            );
        }
    }

    // The budget is the operator's to change.
    let out = limited(
        dir.path(),
        &[
            "--max-hash-seconds",
            "0.0001",
            "hash",
            "verify",
            "--batch",
            "in.ndjson",
        ],
    );
    let first: Value = serde_json::from_str(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert!(
        first["error"]
            .as_str()
            .is_some_and(|e| e.contains("above the 0.0 s allowed")),
        "{first}"
    );
    let out = limited(
        dir.path(),
        &[
            "--max-hash-seconds",
            "-1",
            "hash",
            "verify",
            "--batch",
            "in.ndjson",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
}
