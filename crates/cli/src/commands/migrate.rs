//! `authferry migrate` and `authferry plan`: flags → a validated run → the engine → a report.

use crate::UsageError;
use crate::args::{Endpoints, MigrateArgs, PlanArgs, Policy, SourceOptions, Unverifiable};
use crate::progress::ProgressDisplay;
use anyhow::Context;
use authferry_core::Secret;
use authferry_core::{Journal, Mode, RunOptions, Summary, UnverifiablePolicy};
use authferry_platforms::clerk::{ClerkSettings, DEFAULT_API_URL};
use authferry_platforms::remote::RateBudget;
use authferry_platforms::{SinkEnv, SinkSpec, SourceSpec, SpecError, redact_spec};
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

/// `CLERK_{prefix}SECRET_KEY` and `CLERK_{prefix}API_URL`; a source without its own falls
/// back to the target's variables (most moves have one Clerk side).
fn clerk_settings(prefix: &str, rate: Option<RateBudget>) -> ClerkSettings {
    let var = |name: &str| {
        std::env::var(format!("CLERK_{prefix}{name}"))
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| {
                std::env::var(format!("CLERK_{name}"))
                    .ok()
                    .filter(|v| !v.is_empty())
            })
    };
    ClerkSettings {
        secret_key: var("SECRET_KEY").map(Secret::new),
        api_url: var("API_URL"),
        rate,
        ..Default::default()
    }
}

fn same_clerk_instance(a: &ClerkSettings, b: &ClerkSettings) -> bool {
    a.secret_key == b.secret_key
        && a.api_url
            .as_deref()
            .unwrap_or(DEFAULT_API_URL)
            .trim_end_matches('/')
            == b.api_url
                .as_deref()
                .unwrap_or(DEFAULT_API_URL)
                .trim_end_matches('/')
}

/// better-auth reads `BETTER_AUTH_SECRET`, then `AUTH_SECRET`.
fn better_auth_secret() -> Option<String> {
    ["BETTER_AUTH_SECRET", "AUTH_SECRET"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty())
}

fn execute(plan: RunPlan) -> anyhow::Result<i32> {
    if let (Some(r), Some(f)) = (&plan.report, &plan.failures)
        && r == f
    {
        return Err(UsageError("--report and --failures must be different files".into()).into());
    }
    let env = SinkEnv {
        better_auth_secret: better_auth_secret(),
        backup_codes_out: plan.policy.backup_codes_out.clone(),
        clerk: clerk_settings("", plan.policy.rate),
    };
    // A Clerk → Clerk move reads another instance: CLERK_SOURCE_SECRET_KEY/_API_URL name it.
    let clerk_source = clerk_settings("SOURCE_", plan.policy.rate);
    // Both specs are checked before either is opened: a typo in `--to` is a usage error even
    // when `--from` names a missing file.
    let source_spec = SourceSpec::parse(&plan.from)
        .and_then(|s| {
            s.with_password_column(
                plan.source_options.password_column.as_deref(),
                plan.source_options.hasher.as_deref(),
            )
        })
        .and_then(|s| s.with_digests(plan.source_options.with_digests.as_deref()))
        .map_err(spec_error)?;
    let sink_spec = SinkSpec::parse(&plan.to).map_err(spec_error)?;
    if matches!(source_spec, SourceSpec::ClerkApi { .. })
        && sink_spec == SinkSpec::Clerk
        && same_clerk_instance(&clerk_source, &env.clerk)
    {
        return Err(UsageError(
            "--from clerk-api and --to clerk name the same Clerk instance: set CLERK_SOURCE_SECRET_KEY \
             (and CLERK_SOURCE_API_URL if needed) for the instance users come from"
                .into(),
        )
        .into());
    }
    let source = source_spec.open_with(&clerk_source).map_err(spec_error)?;
    let mut sink = sink_spec.open(&env).map_err(spec_error)?;
    let mut journal = match &plan.journal {
        Some(path) => Journal::open(path, &redact_spec(&plan.from), &redact_spec(&plan.to))?,
        None => Journal::temporary()?,
    };
    let failures: Option<Box<dyn Write + Send>> = match &plan.failures {
        Some(p) => Some(Box::new(std::io::BufWriter::new(
            authferry_core::io::create_private_file(p)
                .with_context(|| format!("cannot create {}", p.display()))?,
        ))),
        None => None,
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
    let mut display = ProgressDisplay::new(plan.quiet);
    let result = authferry_core::run(source, sink.as_mut(), &mut journal, opts, &mut display);
    display.finish();
    let summary = match result {
        Ok(summary) => summary,
        // Its message says what to do instead of resuming.
        Err(e @ authferry_core::EngineError::SourceChanged { .. }) => return Err(e.into()),
        Err(e) => {
            return Err(anyhow::Error::new(e).context(
                "the run stopped; what was acknowledged is in the journal, re-run the same command to resume",
            ));
        }
    };
    print_summary(&summary, plan.json)?;
    if let Some(path) = &plan.report {
        let mut f = authferry_core::io::create_private_file(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        serde_json::to_writer_pretty(&mut f, &summary)?;
        f.write_all(b"\n")?;
    }
    Ok(summary.exit_code())
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
