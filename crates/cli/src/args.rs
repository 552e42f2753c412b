//! Command-line flags (clap derive). Parsing only: `commands/*` turn these into validated
//! plans before anything runs.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const SOURCES_HELP: &str = "Sources (--from):
  clerk-csv:PATH            Clerk dashboard \"export users\" CSV (both header layouts)
  clerk-json:PATH           Clerk Backend API user objects (GET /v1/users), JSON array or NDJSON
  clerk-users-json:PATH     the Clerk migration script's users.json
  ndjson:PATH               authferry's canonical NDJSON (docs/canonical-user.md)

Targets (--to):
  better-auth:sqlite:PATH   a Better Auth SQLite database (tables created when absent)
  better-auth:postgres://…  a Better Auth PostgreSQL database
  ndjson:PATH               authferry's canonical NDJSON (created 0600)

Environment:
  BETTER_AUTH_SECRET        better-auth's secret; needed to write two-factor rows (AUTH_SECRET is
                            read when it is unset, as better-auth does)

Exit codes: 0 every record migrated or skipped with a reason; 3 some records failed;
2 usage error; 1 could not run.";

#[derive(Parser, Debug)]
#[command(
    name = "authferry",
    version,
    about = "Move users, password hashes, MFA secrets and OAuth links between auth platforms — resumable, planned, reported.",
    after_help = SOURCES_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Move every user from a source to a target; re-run the same command to resume.
    Migrate(MigrateArgs),
    /// Show what `migrate` would do, without writing anything.
    Plan(PlanArgs),
    /// Source-id → target-id maps for updating foreign keys in your own database.
    #[command(subcommand)]
    Idmap(IdmapCommand),
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
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value_t = 2000)]
    pub batch_size: u32,
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

#[derive(Args, Debug, Clone)]
pub struct Policy {
    /// What to do with a user whose password digest the target cannot verify: skip them (with
    /// the reason), or move them without a password (they reset it or sign in with OAuth).
    #[arg(long, value_enum, default_value_t = Unverifiable::Skip)]
    pub unverifiable: Unverifiable,
    /// Users per batch (one transaction each in SQL targets).
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_size: u32,
    /// Where generated two-factor backup codes are delivered (NDJSON, created 0600).
    #[arg(long, value_name = "FILE")]
    pub backup_codes_out: Option<PathBuf>,
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
    pub policy: Policy,
    /// The journal of this migration: every record's outcome, for resuming (created 0600).
    #[arg(long, value_name = "PATH", default_value = "authferry-journal.sqlite")]
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

#[derive(Subcommand, Debug)]
pub enum IdmapCommand {
    /// Print the source-id → target-id map of every migrated user.
    Export(IdmapExportArgs),
}

#[derive(Args, Debug)]
pub struct IdmapExportArgs {
    /// The journal of the migration.
    #[arg(long, value_name = "PATH", default_value = "authferry-journal.sqlite")]
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
