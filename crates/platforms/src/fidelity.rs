//! The fidelity table (`docs/fidelity.md`): for every source → target pair, which canonical
//! fields arrive and which are dropped, and how the target can check each password format the
//! source brings — natively, re-encoded, through the emitted verify module, or only by a
//! trickle migration or a reset. Generated from the platforms' descriptors
//! ([`Endpoint::fields`], [`Endpoint::formats`] and the targets' capability tables); the tests
//! check the descriptors against what the sources read and the sinks keep, and the file against
//! this generator.

use crate::registry::{Endpoint, Role, sources, targets};
use authferry_core::Field;
use authferry_hash::{Support, capability};
use std::fmt::Write as _;

fn forms(e: &Endpoint) -> String {
    e.forms
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn target_column(e: &Endpoint) -> String {
    format!("→ `{}`", e.scheme)
}

/// The markdown of `docs/fidelity.md`.
pub fn markdown() -> String {
    let targets: Vec<&Endpoint> = targets().collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# What arrives: every source → target pair\n\n\
         <!-- Generated from the platforms' descriptors (crates/platforms/src/fidelity.rs); \
         crates/cli/tests/help.rs checks it and rewrites it with AUTHFERRY_BLESS=1. -->\n\n\
         For each source: the canonical fields ([canonical-user.md](canonical-user.md)) its \
         records can carry, and whether each target keeps them (✓) or drops them (the run \
         counts the users who lose each one); then the password formats it brings and how each \
         target can check them — *native*, *re-encoded* (authferry rewrites the digest into the \
         target's syntax), *verify module* (`authferry emit` writes the code the target runs), or \
         *trickle or reset* (the target cannot check it: migrate those users on their next \
         sign-in, or have them reset their password). A database target is counted with the \
         tables and plugins authferry creates; digests whose parameters exceed the \
         verification budget are refused whatever the table says \
         ([password-hashes.md](password-hashes.md)).\n"
    );
    for source in sources() {
        let _ = writeln!(out, "## {}\n\n{}\n", forms(source), source.help);
        // Fields.
        let _ = write!(out, "| field |");
        for t in &targets {
            let _ = write!(out, " {} |", target_column(t));
        }
        let _ = write!(out, "\n|---|");
        for _ in &targets {
            let _ = write!(out, "---|");
        }
        out.push('\n');
        for field in Field::ALL.iter().filter(|f| source.fields.contains(f)) {
            let _ = write!(out, "| `{}` |", field.name());
            for t in &targets {
                let kept = t.fields.contains(field);
                let _ = write!(out, " {} |", if kept { "✓" } else { "dropped" });
            }
            out.push('\n');
        }
        // Passwords.
        out.push('\n');
        if !source.fields.contains(&Field::Password) {
            let _ = writeln!(out, "No passwords.\n");
            continue;
        }
        if source.formats.is_empty() {
            let _ = writeln!(
                out,
                "Passwords: any format authferry identifies; each target's table is in \
                 [password-hashes.md](password-hashes.md).\n"
            );
            continue;
        }
        let _ = write!(out, "| password format |");
        for t in &targets {
            let _ = write!(out, " {} |", target_column(t));
        }
        let _ = write!(out, "\n|---|");
        for _ in &targets {
            let _ = write!(out, "---|");
        }
        out.push('\n');
        for format in source.formats {
            let _ = write!(out, "| `{}` |", format.name());
            for t in &targets {
                let Role::Target { password, .. } = t.role else {
                    continue;
                };
                let support = capability(password, *format);
                let _ = write!(
                    out,
                    " {} |",
                    match support {
                        Support::Native => "native",
                        Support::ReEncoded => "re-encoded",
                        Support::VerifyModule => "verify module",
                        Support::Unverifiable => "trickle or reset",
                    }
                );
            }
            out.push('\n');
        }
        out.push('\n');
    }
    out.trim_end().to_string() + "\n"
}
