//! Command-line flags (clap derive). Parsing only: `commands/*` turn these into validated
//! plans before anything runs.

use crate::UsageError;
use authferry_platforms::registry::{self, Flag};
use clap::{Arg, ArgMatches, Args, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `--help` of `authferry`, `migrate` and `plan`: the registered sources, targets and
/// environment variables, then the exit codes.
fn platforms_help() -> String {
    format!(
        "{}\n\nExit codes: 0 every record migrated or skipped with a reason; 3 some records failed;\n\
         2 usage error; 1 could not run.",
        registry::help()
    )
}

#[derive(Parser, Debug)]
#[command(
    name = "authferry",
    version = env!("AUTHFERRY_LONG_VERSION"),
    about = "Move users, password hashes, MFA secrets and OAuth links between auth platforms — resumable, planned, reported.",
    after_help = platforms_help()
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub hashes: HashArgs,
}

/// How password digests are read: what a source's own hasher names mean, and the most one
/// verification may cost (a digest chooses its own work factor, so a hostile or broken one,
/// `$2b$31$…`, could stall a run for hours or allocate gigabytes).
#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Password hashes")]
pub struct HashArgs {
    /// What a hasher name the source uses means, when it is no name authferry knows (e.g.
    /// `md5_salted_legacy_v0=salted_digest`); FORMAT is a format name (`authferry hash identify`
    /// prints them) or a known hasher name. Repeatable. Without it, a record whose hasher is
    /// unknown fails with the name in the reason: the digest is never guessed from its shape.
    #[arg(long, global = true, value_name = "NAME=FORMAT")]
    pub hasher_alias: Vec<String>,
    /// Most time one verification may take, in seconds of one core (estimated from the
    /// digest's parameters before it runs). Digests over it are not run: `hash verify` answers
    /// an error for them, `migrate`/`plan` count them as unverifiable through the verify
    /// module, and `emit better-auth-verify` writes a module that refuses them.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 10.0)]
    pub max_hash_seconds: f64,
    /// Most memory one verification may allocate, in MiB (Argon2, scrypt).
    #[arg(long, global = true, value_name = "MIB", default_value_t = 1024)]
    pub max_hash_memory: u64,
}

impl HashArgs {
    /// The `--hasher-alias` declarations, checked.
    pub fn aliases(&self) -> Result<Vec<(String, authferry_hash::Format)>, UsageError> {
        self.hasher_alias
            .iter()
            .map(|a| {
                let (name, format) = a.split_once('=').ok_or_else(|| {
                    UsageError(format!("--hasher-alias {a}: expected NAME=FORMAT"))
                })?;
                if name.trim().is_empty() {
                    return Err(UsageError(format!("--hasher-alias {a}: the NAME is empty")));
                }
                let format = authferry_hash::Format::from_hasher(format).ok_or_else(|| {
                    UsageError(format!(
                        "--hasher-alias {a}: `{format}` is no format or hasher name authferry knows (docs/password-hashes.md lists them)"
                    ))
                })?;
                Ok((name.trim().to_string(), format))
            })
            .collect()
    }

    pub fn budget(&self) -> Result<authferry_hash::Budget, UsageError> {
        if !(self.max_hash_seconds.is_finite() && self.max_hash_seconds > 0.0) {
            return Err(UsageError(
                "--max-hash-seconds must be a positive number of seconds".into(),
            ));
        }
        if self.max_hash_memory == 0 || self.max_hash_memory > 1 << 40 {
            return Err(UsageError(
                "--max-hash-memory must be between 1 and 1099511627776 MiB".into(),
            ));
        }
        Ok(authferry_hash::Budget {
            memory_bytes: self.max_hash_memory << 20,
            nanos: (self.max_hash_seconds * 1e9).min(u64::MAX as f64) as u64,
        })
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Move every user from a source to a target; re-run the same command to resume.
    #[command(after_help = platforms_help())]
    Migrate(MigrateArgs),
    /// Show what `migrate` would do, without writing anything.
    #[command(after_help = platforms_help())]
    Plan(PlanArgs),
    /// Where a migration stands: its journal's records by state and, for a target that imports
    /// in the background (SuperTokens), the target's own queue. Safe while a run is going.
    Status(StatusArgs),
    /// Move users when they next sign in (trickle migration): an HTTP service your sign-in
    /// calls with the identifier and password (`POST /v1/login`). See README.
    Serve(ServeArgs),
    /// Source-id → target-id maps for updating foreign keys in your own database.
    #[command(subcommand)]
    Idmap(IdmapCommand),
    /// Rewrite old user ids to the new ones in your application's PostgreSQL tables, from the
    /// journal's id map (batched transactions, resumable, --dry-run for counts).
    Remap(RemapArgs),
    /// Write a helper file a target needs.
    #[command(subcommand)]
    Emit(EmitCommand),
    /// Benchmark: migrate N generated Clerk users into TARGET; prints users/s and peak RSS.
    Bench(BenchArgs),
    /// Password hashes: identify, verify, convert and benchmark digests (NDJSON in and out).
    #[command(subcommand)]
    Hash(crate::commands::hash::HashCommand),
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// How many users to generate.
    #[arg(long, default_value_t = 100_000)]
    pub users: u64,
    /// An empty target (a new SQLite path, or a fresh PostgreSQL database).
    #[arg(long, value_name = "TARGET")]
    pub to: String,
    /// Seed of the generated export (the same seed gives the same users).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Users per batch.
    #[arg(long, default_value_t = 2000)]
    pub batch_size: u32,
    /// The journal: a fresh SQLite file in a temporary directory by default, or a PostgreSQL
    /// URL (give a database of its own: its journal schema is dropped first).
    #[arg(long, value_name = "PATH|URL")]
    pub journal: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct Endpoints {
    /// Where users come from (see "Sources" below).
    #[arg(long, value_name = "SOURCE")]
    pub from: String,
    /// Where users go (see "Targets" below).
    #[arg(long, value_name = "TARGET")]
    pub to: String,
}

/// Settings beyond the `--from`/`--to` specs: every registered platform's flags
/// (`--password-column`, `--with-digests`, `--rate`, …), generated from the registry and handed
/// back to it by name.
#[derive(Debug, Clone, Default)]
pub struct SourceOptions {
    /// (flag name without dashes, value), for the flags given.
    pub given: Vec<(&'static str, String)>,
}

fn platform_flag(f: &'static Flag) -> Arg {
    let mut arg = Arg::new(f.name)
        .long(f.name)
        .value_name(f.value_name)
        .help(f.help);
    if let Some(other) = f.requires {
        arg = arg.requires(other);
    }
    if let Some(check) = f.check {
        arg = arg.value_parser(move |v: &str| check(v).map(|()| v.to_string()));
    }
    arg
}

impl Args for SourceOptions {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        registry::flags()
            .into_iter()
            .fold(cmd, |cmd, f| cmd.arg(platform_flag(f)))
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for SourceOptions {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let given = registry::flags()
            .into_iter()
            .filter_map(|f| Some((f.name, matches.get_one::<String>(f.name)?.clone())))
            .collect();
        Ok(SourceOptions { given })
    }
    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl SourceOptions {
    /// The flags given and the process environment, as the registry reads them.
    pub fn settings(&self) -> registry::Settings {
        self.given.iter().fold(
            registry::Settings::from_process_env(),
            |s, (name, value)| s.with_flag(name, value),
        )
    }
}

#[derive(Args, Debug, Clone)]
pub struct Policy {
    /// What to do with a user whose password digest the target cannot verify: skip them (with
    /// the reason), or move them without a password (they reset it or sign in with OAuth).
    #[arg(long, value_enum, default_value_t = Unverifiable::Skip)]
    pub unverifiable: Unverifiable,
    /// Users per batch (one transaction each in SQL targets; one journal commit each) [default:
    /// 2000, or about one second of requests for an API target].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_size: Option<u32>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Unverifiable {
    Skip,
    NoPassword,
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub endpoints: Endpoints,
    #[command(flatten)]
    pub source_options: SourceOptions,
    #[command(flatten)]
    pub policy: Policy,
    /// The journal of this migration: every record's outcome, keyed by user, for resuming. A
    /// SQLite file (PATH or sqlite:PATH, created 0600; one run at a time), or a PostgreSQL URL
    /// (postgres://…[?schema=NAME], default schema authferry_journal) that runs on several
    /// machines share without moving a user twice.
    #[arg(
        long,
        value_name = "PATH|URL",
        default_value = "authferry-journal.sqlite"
    )]
    pub journal: PathBuf,
    /// Plan only: same as `authferry plan`.
    #[arg(long)]
    pub dry_run: bool,
    /// Write the summary as JSON to FILE (counts per outcome and per reason).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Write every failed or skipped record (number, source id, reason) as NDJSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub failures: Option<PathBuf>,
    /// Print the summary as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    pub endpoints: Endpoints,
    #[command(flatten)]
    pub source_options: SourceOptions,
    #[command(flatten)]
    pub policy: Policy,
    /// Print the plan as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// How many problem records to list.
    #[arg(long, default_value_t = 20)]
    pub problems: usize,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct RemapArgs {
    /// The journal of the migration whose ids to apply; a SQLite path or a PostgreSQL URL.
    #[arg(
        long,
        value_name = "PATH|URL",
        default_value = "authferry-journal.sqlite"
    )]
    pub journal: PathBuf,
    /// The application's database (postgres://…).
    #[arg(long, value_name = "URL")]
    pub db: String,
    /// A column holding user ids, as TABLE.COLUMN (repeat for several).
    #[arg(long, value_name = "TABLE.COLUMN", required = true)]
    pub column: Vec<String>,
    /// Print the counts and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Leave values that are neither an old nor a new user id as they are, instead of refusing.
    #[arg(long)]
    pub ignore_unknown: bool,
    /// Old ids rewritten per transaction.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_size: u32,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The TOML configuration (listen, journal, [source] from, [target] to, [limits]).
    /// Secrets come from the environment: AUTHFERRY_SERVE_TOKEN and the platforms' variables.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// The journal of the migration; a SQLite path or a PostgreSQL URL.
    #[arg(
        long,
        value_name = "PATH|URL",
        default_value = "authferry-journal.sqlite"
    )]
    pub journal: PathBuf,
    /// The target to ask about its queue, when the journal's spelling of it cannot be opened
    /// again (a password in it is masked). Default: the journal's target.
    #[arg(long, value_name = "TARGET")]
    pub to: Option<String>,
    /// Only the journal: do not ask the target.
    #[arg(long)]
    pub journal_only: bool,
    /// One JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum IdmapCommand {
    /// Print the source-id → target-id map of every migrated user.
    Export(IdmapExportArgs),
}

#[derive(Args, Debug)]
pub struct IdmapExportArgs {
    /// The journal of the migration; a SQLite path or a PostgreSQL URL.
    #[arg(
        long,
        value_name = "PATH|URL",
        default_value = "authferry-journal.sqlite"
    )]
    pub journal: PathBuf,
    #[arg(long, value_enum, default_value_t = IdmapFormat::Csv)]
    pub format: IdmapFormat,
    /// Table name used by `--format sql`.
    #[arg(long, default_value = "authferry_idmap")]
    pub table: String,
    /// Write to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum IdmapFormat {
    Csv,
    Json,
    Sql,
}

#[derive(Subcommand, Debug)]
pub enum EmitCommand {
    /// The ES module for better-auth's `emailAndPassword.password` option that verifies every
    /// digest format authferry writes (bcrypt, better-auth scrypt).
    BetterAuthVerify {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}
