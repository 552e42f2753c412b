//! `authferry status`: where a migration stands, from its journal and, for a target that imports
//! in the background, from the target itself. Reads only; safe while a run is going (the
//! journal is opened without taking the run's lock).

use crate::args::StatusArgs;
use authferry_core::Timestamp;
use authferry_core::journal::{Journal, Tally};
use authferry_platforms::{Settings, registry};
use serde_json::{Value, json};

pub fn status(args: StatusArgs) -> anyhow::Result<()> {
    let mut journal = Journal::open_existing(&args.journal)?;
    let tally = journal.tally()?;
    let by_source = journal.moved_by_source()?;
    let target = journal.meta("target")?;
    let instance = journal.meta("target_instance")?;
    let started = journal
        .meta("started_at")?
        .and_then(|s| s.parse::<i64>().ok())
        .map(|ms| Timestamp::from_millis(ms).to_rfc3339());
    let to = args.to.clone().or_else(|| target.clone());
    let queue: Option<Result<Vec<(String, u64)>, String>> = match (&to, args.journal_only) {
        (Some(to), false) => Some(ask_target(to)),
        _ => None,
    };
    if args.json {
        let mut v = json!({
            "journal": journal.location(),
            "target": target,
            "target_instance": instance,
            "started_at": started,
            "counts": tally,
            "moved_by": by_source
                .iter()
                .map(|(spelling, n)| json!({"source": spelling, "path": path_of(spelling), "users": n}))
                .collect::<Vec<_>>(),
        });
        match &queue {
            Some(Ok(lines)) => {
                v["target_queue"] =
                    Value::Object(lines.iter().map(|(k, n)| (k.clone(), json!(n))).collect())
            }
            Some(Err(e)) => v["target_error"] = json!(e),
            None => {}
        }
        println!("{v}");
        return Ok(());
    }
    print!(
        "{}",
        table(
            &journal.location(),
            target.as_deref(),
            instance.as_deref(),
            started.as_deref(),
            &tally,
            &by_source,
            queue.as_ref()
        )
    );
    Ok(())
}

/// The target's own account of unfinished work; an error is shown, not fatal (the journal's
/// part of the answer stands on its own).
fn ask_target(to: &str) -> Result<Vec<(String, u64)>, String> {
    if to.contains("***") {
        return Err(
            "the journal's target has a masked password: give it with --to to ask it".into(),
        );
    }
    let mut sink = registry::parse_target(to, &Settings::from_process_env())
        .and_then(|p| p.open())
        .map_err(|e| e.to_string())?;
    sink.status().map_err(|e| e.to_string())
}

fn table(
    location: &str,
    target: Option<&str>,
    instance: Option<&str>,
    started: Option<&str>,
    t: &Tally,
    by_source: &[(String, u64)],
    queue: Option<&Result<Vec<(String, u64)>, String>>,
) -> String {
    let mut out = String::new();
    let mut line = |k: &str, v: &str| out.push_str(&format!("{k:<10}{v}\n"));
    line("journal", location);
    if let Some(t) = target {
        line("target", t);
    }
    if let Some(i) = instance {
        line("instance", i);
    }
    if let Some(s) = started {
        line("started", s);
    }
    let width = t.records.to_string().len().max(5);
    let rows = [
        ("records", t.records, ""),
        ("  migrated", t.migrated, ""),
        (
            "  already present",
            t.already_present,
            "  (moved by an earlier run)",
        ),
        ("  skipped", t.skipped, ""),
        (
            "  failed",
            t.failed,
            "  (running `migrate` again retries them)",
        ),
        (
            "  submitted",
            t.submitted,
            "  (accepted by the target, being imported; the next run follows them)",
        ),
        (
            "  in flight",
            t.in_flight,
            "  (sent by a run that stopped; the next run checks the target first)",
        ),
    ];
    out.push('\n');
    for (k, n, why) in rows {
        if n == 0 && k.starts_with("  ") && !why.is_empty() && k != "  failed" {
            continue;
        }
        out.push_str(&format!("{k:<20}{n:>width$}{why}\n"));
    }
    if by_source.len() > 1 || by_source.iter().any(|(s, _)| path_of(s) == "trickle") {
        out.push_str("\nmoved by\n");
        for (spelling, n) in by_source {
            let who = match path_of(spelling) {
                "trickle" => "authferry serve (at sign-in)".to_string(),
                _ => format!("migrate from {spelling}"),
            };
            out.push_str(&format!("  {n:>width$}  {who}\n"));
        }
    }
    match queue {
        Some(Ok(lines)) if !lines.is_empty() => {
            out.push_str("\ntarget\n");
            for (k, n) in lines {
                out.push_str(&format!("  {n:>width$}  {k}\n"));
            }
        }
        Some(Err(e)) => out.push_str(&format!("\ntarget: could not ask it: {e}\n")),
        _ => {}
    }
    out
}

/// `trickle` for the records `authferry serve` claims (its source spelling is `serve:…`),
/// `bulk` for a `migrate` run's.
fn path_of(spelling: &str) -> &'static str {
    if spelling.starts_with("serve:") {
        "trickle"
    } else {
        "bulk"
    }
}
