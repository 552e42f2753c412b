//! The `authferry` binary: parses flags, runs one command, reports errors once and maps the
//! outcome to the exit code (0 all done, 3 some records failed, 2 usage, 1 could not run).
//! Everything else lives in the library crates.

mod args;
mod commands;
mod progress;

use clap::Parser;
use std::process::ExitCode;

/// A mistake in how authferry was called (exit 2), as opposed to a failure while running (1).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match (cli.hashes.budget(), cli.hashes.aliases()) {
        (Ok(budget), Ok(aliases)) => {
            authferry_hash::set_budget(budget);
            authferry_hash::set_hasher_aliases(aliases);
        }
        (Err(usage), _) | (_, Err(usage)) => {
            eprintln!("authferry: {usage}");
            return ExitCode::from(2);
        }
    }
    let result = match cli.command {
        args::Command::Migrate(a) => commands::migrate::migrate(a),
        args::Command::Plan(a) => commands::migrate::plan(a),
        args::Command::Status(a) => commands::status::status(a).map(|()| 0),
        args::Command::Serve(a) => authferry_serve::config::Config::load(&a.config)
            .map_err(anyhow::Error::from)
            .and_then(|c| authferry_serve::run_blocking(c).map_err(anyhow::Error::from))
            .map(|()| 0),
        args::Command::Idmap(args::IdmapCommand::Export(a)) => {
            commands::idmap::export(a).map(|()| 0)
        }
        args::Command::Remap(a) => commands::remap::remap(a),
        args::Command::Emit(e) => commands::emit::emit(e).map(|()| 0),
        args::Command::Bench(a) => commands::bench::bench(a).map(|()| 0),
        args::Command::Hash(c) => commands::hash::run(c),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(err) => {
            if let Some(usage) = err.downcast_ref::<UsageError>() {
                eprintln!("authferry: {usage}");
                return ExitCode::from(2);
            }
            if let Some(io) = err.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::BrokenPipe
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("authferry: {}", error_text(&err));
            ExitCode::from(1)
        }
    }
}

/// An error and its causes, each said once: a cause whose text the message before it already
/// holds (errors that name their source, as `thiserror` messages often do) is not repeated.
pub(crate) fn error_text(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}
