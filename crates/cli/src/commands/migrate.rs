//! `authferry migrate` and `authferry plan`: flags → a validated run → the engine → a report.

use crate::UsageError;
use crate::args::{Endpoints, MigrateArgs, PlanArgs, Policy, SourceOptions, Unverifiable};
use crate::progress::ProgressDisplay;
use anyhow::Context;
use authferry_core::{Journal, Mode, RunOptions, Summary, UnverifiablePolicy};
use authferry_platforms::{SpecError, redact_spec};
use std::io::Write;
use std::path::PathBuf;

/// Everything a run needs, checked before anything is opened for writing.
struct RunPlan {
    from: String,
    to: String,
    source_options: SourceOptions,
    mode: Mode,
    policy: Policy,
    journal: Option<PathBuf>,
    report: Option<PathBuf>,
    failures: Option<PathBuf>,
    json: bool,
    quiet: bool,
    problems: usize,
}

pub fn migrate(a: MigrateArgs) -> anyhow::Result<i32> {
    let plan = RunPlan {
        from: a.endpoints.from,
        to: a.endpoints.to,
        source_options: a.source_options,
        mode: if a.dry_run { Mode::Plan } else { Mode::Migrate },
        policy: a.policy,
        journal: (!a.dry_run).then_some(a.journal),
        report: a.report,
        failures: a.failures,
        json: a.json,
        quiet: a.quiet,
        problems: 20,
    };
    execute(plan)
}

pub fn plan(a: PlanArgs) -> anyhow::Result<i32> {
    let Endpoints { from, to } = a.endpoints;
    execute(RunPlan {
        from,
        to,
        source_options: a.source_options,
        mode: Mode::Plan,
        policy: a.policy,
        journal: None,
        report: None,
        failures: None,
        json: a.json,
        quiet: a.quiet,
        problems: a.problems,
    })
}

fn spec_error(e: SpecError) -> anyhow::Error {
    match e {
        SpecError::Usage(m) => UsageError(m).into(),
        other => anyhow::Error::new(other),
    }
}

/// The local file an endpoint names (`clerk-csv:x.csv`, `better-auth:sqlite:x.db`,
/// `ndjson:x`), if any: what follows its last scheme prefix, when that is not a URL.
fn endpoint_file(spec: &str) -> Option<PathBuf> {
    if spec.contains("://") {
        return None;
    }
    let path = spec.rsplit_once(':').map(|(_, p)| p)?;
    (!path.is_empty()).then(|| PathBuf::from(path))
}

/// Refuses a run whose files overlap: a target, journal, report or failure log that is the
/// source (it would append to its own input and read its output back) or one another.
fn check_distinct_files(plan: &RunPlan) -> Result<(), UsageError> {
    let mut files: Vec<(&str, PathBuf)> = Vec::new();
    if let Some(p) = endpoint_file(&plan.from) {
        files.push(("--from", p));
    }
    if let Some(p) = endpoint_file(&plan.to) {
        files.push(("--to", p));
    }
    for (flag, path) in [
        ("--journal", &plan.journal),
        ("--report", &plan.report),
        ("--failures", &plan.failures),
    ] {
        if let Some(p) = path {
            let p = p.to_string_lossy();
            if !p.contains("://") {
                files.push((flag, PathBuf::from(p.strip_prefix("sqlite:").unwrap_or(&p))));
            }
        }
    }
    for (i, (a_flag, a)) in files.iter().enumerate() {
        for (b_flag, b) in &files[..i] {
            let same = a == b
                || match (
                    authferry_core::io::file_identity(a),
                    authferry_core::io::file_identity(b),
                ) {
                    (Some(x), Some(y)) => x == y,
                    _ => false,
                };
            if same {
                return Err(UsageError(format!(
                    "{b_flag} and {a_flag} name the same file ({}): give each its own file",
                    a.display()
                )));
            }
        }
    }
    Ok(())
}

/// `<journal stem>.<name>` beside a journal file; `authferry.<name>` in the working directory
/// for a journal in PostgreSQL.
fn beside_journal(journal: &std::path::Path, name: &str) -> PathBuf {
    let text = journal.to_string_lossy();
    if text.contains("://") {
        return PathBuf::from(format!("authferry.{name}"));
    }
    let path = std::path::Path::new(text.strip_prefix("sqlite:").unwrap_or(&text));
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "authferry".into());
    path.with_file_name(format!("{stem}.{name}"))
}

fn execute(plan: RunPlan) -> anyhow::Result<i32> {
    check_distinct_files(&plan)?;
    // Both specs are checked before either is opened: a typo in `--to` is a usage error even
    // when `--from` names a missing file.
    let mut settings = plan.source_options.settings();
    if let (Mode::Migrate, Some(journal)) = (plan.mode, &plan.journal) {
        // Outputs that are never left out (generated backup codes): beside the journal.
        for (flag, name) in authferry_platforms::registry::defaulted_flags(&plan.from, &plan.to) {
            if !plan.source_options.given.iter().any(|(f, _)| *f == flag) {
                let path = beside_journal(journal, name);
                settings = settings.with_flag(flag, path.to_string_lossy().into_owned());
            }
        }
    }
    let (source_spec, sink_spec) =
        authferry_platforms::registry::parse_run(&plan.from, &plan.to, &settings)
            .map_err(spec_error)?;
    // A file of another kind stops here, named, before the journal or the target exists.
    authferry_platforms::registry::check_source_kind(&plan.from, source_spec.as_ref())
        .map_err(spec_error)?;
    let source = source_spec.open().map_err(spec_error)?;
    let mut sink = sink_spec.open().map_err(spec_error)?;
    let failures: Option<Box<dyn Write + Send>> = match &plan.failures {
        Some(p) => Some(Box::new(std::io::BufWriter::new(
            authferry_core::io::create_private_file(p)
                .with_context(|| format!("cannot create {}", p.display()))?,
        ))),
        None => None,
    };
    // Made before anything is written, so that a path that cannot be written stops the run
    // before the target holds anything, not after.
    let mut report = match &plan.report {
        Some(p) => Some(
            authferry_core::io::create_private_file(p)
                .with_context(|| format!("cannot create {}", p.display()))?,
        ),
        None => None,
    };
    let mut journal = match &plan.journal {
        Some(path) => Journal::open_with_ids(
            path,
            source.id_space(),
            &redact_spec(&plan.from),
            &redact_spec(&plan.to),
        )?,
        None => Journal::temporary()?,
    };
    let opts = RunOptions {
        mode: plan.mode,
        batch_size: plan
            .policy
            .batch_size
            .map(|b| b as usize)
            .or(sink.preferred_batch_size())
            .unwrap_or(2000),
        unverifiable: match plan.policy.unverifiable {
            Unverifiable::Skip => UnverifiablePolicy::Skip,
            Unverifiable::NoPassword => UnverifiablePolicy::NoPassword,
        },
        max_problems: plan.problems,
        failures,
    };
    let mut display = LastSnapshot {
        display: ProgressDisplay::new(plan.quiet),
        last: None,
    };
    let result = authferry_core::run(source, sink.as_mut(), &mut journal, opts, &mut display);
    display.display.finish();
    let summary = match result {
        Ok(summary) => summary,
        Err(e) => {
            let err = match e {
                // Its message says what to do instead of resuming.
                e @ authferry_core::EngineError::SourceChanged { .. } => anyhow::Error::new(e),
                e => anyhow::Error::new(e).context(
                    "the run stopped; what was acknowledged is in the journal, re-run the same command to resume",
                ),
            };
            // The report says why the run stopped, with what the journal holds by then.
            if let Some(f) = report.as_mut() {
                let mut value = display
                    .last
                    .as_ref()
                    .and_then(|s| serde_json::to_value(s).ok())
                    .unwrap_or_else(|| serde_json::json!({}));
                value["stopped"] = serde_json::Value::String(crate::error_text(&err));
                let _ = serde_json::to_writer_pretty(&mut *f, &value);
                let _ = f.write_all(b"\n");
            }
            return Err(err);
        }
    };
    print_summary(&summary, plan.json)?;
    if let Some(f) = report.as_mut() {
        serde_json::to_writer_pretty(&mut *f, &summary)?;
        f.write_all(b"\n")?;
    }
    Ok(summary.exit_code())
}

/// The progress display, keeping the engine's last snapshot: the counts so far, for the report
/// of a run that stops.
struct LastSnapshot {
    display: ProgressDisplay,
    last: Option<Summary>,
}

impl authferry_core::Observer for LastSnapshot {
    fn progress(&mut self, p: &authferry_core::Progress<'_>) {
        self.display.progress(p);
        let mut summary = p.summary.clone();
        summary.elapsed_seconds = p.elapsed.as_secs_f64();
        self.last = Some(summary);
    }
}

fn print_summary(summary: &Summary, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, summary)?;
        writeln!(out)?;
    } else {
        write!(out, "{summary}")?;
    }
    Ok(())
}
