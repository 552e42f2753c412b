//! Per-target capability tables: data, not code paths.

use crate::format::{Format, HashError, identify};
use serde::Serialize;

/// How a target can verify users' existing digests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Support {
    /// The target verifies the digest as it is.
    Native,
    /// The target verifies it after authferry re-encodes it into the target's syntax.
    ReEncoded,
    /// The target verifies it through the module `authferry emit` writes for it.
    VerifyModule,
    /// The target cannot verify it: the user needs a password reset or a trickle migration.
    Unverifiable,
}

impl Support {
    pub fn describe(self) -> &'static str {
        match self {
            Support::Native => "native",
            Support::ReEncoded => "re-encoded",
            Support::VerifyModule => "with the emitted verify module",
            Support::Unverifiable => "needs trickle or reset",
        }
    }
}

/// One row of a target's table.
#[derive(Clone, Copy, Debug)]
pub struct TargetSupport {
    pub format: Format,
    pub support: Support,
}

const BETTER_AUTH: &[TargetSupport] = &[
    TargetSupport {
        format: Format::BetterAuthScrypt,
        support: Support::Native,
    },
    TargetSupport {
        format: Format::Bcrypt,
        support: Support::VerifyModule,
    },
];

/// NDJSON keeps whatever it is given.
const NDJSON: &[TargetSupport] = &[
    TargetSupport {
        format: Format::BetterAuthScrypt,
        support: Support::Native,
    },
    TargetSupport {
        format: Format::Bcrypt,
        support: Support::Native,
    },
    TargetSupport {
        format: Format::Argon2,
        support: Support::Native,
    },
];

const TARGETS: &[(&str, &[TargetSupport])] = &[("better-auth", BETTER_AUTH), ("ndjson", NDJSON)];

pub fn known_targets() -> impl Iterator<Item = &'static str> {
    TARGETS.iter().map(|(n, _)| *n)
}

/// How `target` handles `format`. Unknown targets and formats are `Unverifiable`.
pub fn capability(target: &str, format: Format) -> Support {
    TARGETS
        .iter()
        .find(|(n, _)| *n == target)
        .and_then(|(_, rows)| rows.iter().find(|r| r.format == format))
        .map(|r| r.support)
        .unwrap_or(Support::Unverifiable)
}

/// A digest made ready for a target: identified, re-encoded where the target needs its own
/// syntax. `digest` is only `Some` when it differs from the input.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub format: Format,
    pub support: Support,
    pub reencoded: Option<(String, Option<String>)>,
}

/// Identifies `digest` and says how `target` can take it. `Err` when the digest is not
/// recognised at all.
pub fn prepare_for_target(
    target: &str,
    hasher: Option<&str>,
    digest: &str,
) -> Result<Prepared, HashError> {
    let id = identify(digest, hasher)?;
    let support = capability(target, id.format);
    Ok(Prepared {
        format: id.format,
        support,
        reencoded: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn better_auth_table() {
        assert_eq!(
            capability("better-auth", Format::BetterAuthScrypt),
            Support::Native
        );
        assert_eq!(
            capability("better-auth", Format::Bcrypt),
            Support::VerifyModule
        );
        assert_eq!(
            capability("better-auth", Format::Argon2),
            Support::Unverifiable
        );
        assert_eq!(capability("nowhere", Format::Bcrypt), Support::Unverifiable);
    }
}
