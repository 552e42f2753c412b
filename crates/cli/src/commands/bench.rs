//! `authferry bench`: generate a Clerk export of N users, migrate it into a target, and print
//! users per second and peak memory as one JSON line (BENCHMARKS.md is made from these).

use crate::args::BenchArgs;
use anyhow::Context;
use authferry_core::{Journal, Mode, Quiet, RunOptions};
use authferry_platforms::{Settings, open_sink, open_source, synthetic};
use std::time::Instant;

/// Peak resident set size of this process so far, in bytes (Linux `VmHWM`).
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU time (user + system) this process has used so far, in seconds (Linux
/// `/proc/self/stat`, in USER_HZ = 100 ticks a second): authferry's own share when the target
/// does the heavy work elsewhere (a SuperTokens core importing in the background).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

pub fn bench(a: BenchArgs) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("authferry-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("clerk-export.csv");
    let journal_path = dir.join("journal.sqlite");
    let t0 = Instant::now();
    synthetic::write_clerk_csv(&csv, a.users, a.seed).context("cannot generate the export")?;
    let generate_seconds = t0.elapsed().as_secs_f64();
    let rss_before = peak_rss_bytes();

    let from = format!("clerk-csv:{}", csv.display());
    // A two-factor key and a file for backup codes, for targets that read them.
    let settings = Settings::from_process_env()
        .with_var(
            "BETTER_AUTH_SECRET",
            "authferry-bench-secret-not-for-production",
        )
        .with_flag(
            "backup-codes-out",
            dir.join("backup-codes.ndjson").display().to_string(),
        );
    let source = open_source(&from)?;
    let mut sink = open_sink(&a.to, &settings)?;
    let mut journal = match &a.journal {
        Some(url) if url.starts_with("postgres") => {
            // A fresh journal each time: the default schema is dropped first.
            let mut client = authferry_pg::connect(url).map_err(anyhow::Error::msg)?;
            client
                .batch_execute("DROP SCHEMA IF EXISTS authferry_journal CASCADE")
                .map_err(|e| anyhow::Error::msg(authferry_pg::describe_error(e)))?;
            Journal::open(url, &from, &a.to)?
        }
        Some(path) => Journal::open(path, &from, &a.to)?,
        None => Journal::open(&journal_path, &from, &a.to)?,
    };
    let opts = RunOptions {
        mode: Mode::Migrate,
        batch_size: a.batch_size as usize,
        ..Default::default()
    };
    let journal_location = journal.location();
    let cpu_before = cpu_seconds();
    let t1 = Instant::now();
    let summary = authferry_core::run(source, sink.as_mut(), &mut journal, opts, &mut Quiet)?;
    let seconds = t1.elapsed().as_secs_f64();
    let cpu = cpu_seconds()
        .zip(cpu_before)
        .map(|(a, b)| ((a - b) * 100.0).round() / 100.0);
    drop(journal);
    drop(sink);
    let _ = std::fs::remove_dir_all(&dir);
    let line = serde_json::json!({
        "users": a.users,
        "target": authferry_platforms::redact_spec(&a.to),
        "journal": journal_location,
        "seconds": (seconds * 100.0).round() / 100.0,
        "users_per_second": (a.users as f64 / seconds).round(),
        "peak_rss_mb": peak_rss_bytes().map(|b| (b as f64 / 1048576.0 * 10.0).round() / 10.0),
        "peak_rss_mb_before_run": rss_before.map(|b| (b as f64 / 1048576.0 * 10.0).round() / 10.0),
        "generate_seconds": (generate_seconds * 100.0).round() / 100.0,
        "cpu_seconds": cpu,
        "migrated": summary.counts.migrated,
        "skipped": summary.counts.skipped,
        "failed": summary.counts.failed,
    });
    println!("{line}");
    Ok(())
}
