//! What happened to one record, and why.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Every input record ends as exactly one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Written to the target by this run.
    Migrated,
    /// Written by an earlier run of the same journal; nothing was sent this time.
    AlreadyPresent,
    Skipped,
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Migrated => "migrated",
            State::AlreadyPresent => "already_present",
            State::Skipped => "skipped",
            State::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<State> {
        Some(match s {
            "migrated" => State::Migrated,
            "already_present" => State::AlreadyPresent,
            "skipped" => State::Skipped,
            "failed" => State::Failed,
            _ => return None,
        })
    }
}

/// Why a record was skipped or failed: a stable code for counting, plus a message for people.
/// Messages name the record's field and what is wrong; they never carry a digest or a secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// The source could not turn the record into a user (bad CSV row, bad JSON, bad field).
    Unreadable,
    NoIdentifier,
    InvalidEmail,
    InvalidPhone,
    InvalidField,
    OversizedField,
    DuplicateInExport,
    ExistsInTarget,
    UnverifiableHash,
    /// The target needs something this record does not have (Better Auth needs an email).
    TargetRequirement,
    /// The target refused the record when it was written.
    TargetRejected,
    /// The source marks the account as not in use (deleted, anonymous): not moved.
    InactiveInSource,
}

impl ReasonCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::Unreadable => "unreadable",
            ReasonCode::NoIdentifier => "no_identifier",
            ReasonCode::InvalidEmail => "invalid_email",
            ReasonCode::InvalidPhone => "invalid_phone",
            ReasonCode::InvalidField => "invalid_field",
            ReasonCode::OversizedField => "oversized_field",
            ReasonCode::DuplicateInExport => "duplicate_in_export",
            ReasonCode::ExistsInTarget => "exists_in_target",
            ReasonCode::UnverifiableHash => "unverifiable_hash",
            ReasonCode::TargetRequirement => "target_requirement",
            ReasonCode::TargetRejected => "target_rejected",
            ReasonCode::InactiveInSource => "inactive_in_source",
        }
    }
    pub fn parse(s: &str) -> Option<ReasonCode> {
        use ReasonCode::*;
        [
            Unreadable,
            NoIdentifier,
            InvalidEmail,
            InvalidPhone,
            InvalidField,
            OversizedField,
            DuplicateInExport,
            ExistsInTarget,
            UnverifiableHash,
            TargetRequirement,
            TargetRejected,
            InactiveInSource,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: ReasonCode,
    pub message: String,
}

impl Reason {
    pub fn new(code: ReasonCode, message: impl Into<String>) -> Self {
        Reason {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

/// A record the source could not read. `fatal` stops the run (the file became unreadable);
/// otherwise the record fails and the run goes on — or, with `skip`, is skipped: the source
/// read it and says it is no user to move (a deleted or anonymous account), with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordError {
    pub source_id: Option<String>,
    pub field: Option<String>,
    pub message: String,
    pub fatal: bool,
    pub skip: bool,
}

impl RecordError {
    pub fn invalid(
        source_id: Option<String>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        RecordError {
            source_id,
            field: field.map(str::to_owned),
            message: message.into(),
            fatal: false,
            skip: false,
        }
    }
    /// A record the source read and does not move (reason code `inactive_in_source`).
    pub fn skipped(source_id: Option<String>, message: impl Into<String>) -> Self {
        RecordError {
            source_id,
            field: None,
            message: message.into(),
            fatal: false,
            skip: true,
        }
    }
    pub fn fatal(message: impl Into<String>) -> Self {
        RecordError {
            source_id: None,
            field: None,
            message: message.into(),
            fatal: true,
            skip: false,
        }
    }
    pub fn to_reason(&self) -> Reason {
        let msg = match &self.field {
            Some(f) => format!("field `{f}`: {}", self.message),
            None => self.message.clone(),
        };
        let code = if self.skip {
            ReasonCode::InactiveInSource
        } else {
            ReasonCode::Unreadable
        };
        Reason::new(code, msg)
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(id) = &self.source_id {
            write!(f, "record {id}: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for RecordError {}

/// What a sink reports for one record of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    Migrated {
        target_id: String,
    },
    /// The target already holds this very record (same id and same primary identifier) and it
    /// was not written by an interrupted attempt of this journal: a re-run without the journal.
    AlreadyPresent {
        target_id: String,
    },
    Skipped {
        reason: Reason,
        target_id: Option<String>,
    },
    Failed {
        reason: Reason,
    },
    /// Accepted by a target that settles later (a bulk-import queue): `ticket` is what the
    /// sink needs to learn the outcome ([`crate::Sink::settle`]). Not final: the journal keeps
    /// the ticket, and a resumed run settles it instead of sending the record again.
    Submitted {
        ticket: String,
    },
}
