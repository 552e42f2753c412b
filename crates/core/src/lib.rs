//! authferry's engine. It streams users from a [`Source`], validates them, plans what the
//! target can take, writes through a [`Sink`] in batches and records every record's outcome
//! in the [`Journal`], so a run killed at any moment resumes without a duplicate.
//!
//! Nothing in this crate names a platform: platforms live in `authferry-platforms`, one
//! module each, behind the two traits.

pub mod conformance;
pub mod engine;
pub mod io;
pub mod journal;
pub mod lookup;
pub mod model;
pub mod outcome;
pub mod report;
pub mod traits;
pub mod validate;

pub use engine::{EngineError, Observer, Progress, Quiet, RunOptions, UnverifiablePolicy, run};
pub use journal::{Journal, JournalError};
pub use model::{
    EmailAddress, ExternalAccount, Field, PasswordCredential, PhoneNumber, Secret, Timestamp, User,
};
pub use outcome::{Reason, ReasonCode, RecordError, State, WriteOutcome};
pub use report::{Counts, Estimate, Mode, Summary, human_duration};
pub use traits::{
    Ack, Answer, Existing, Queued, RequestBudget, Requirement, Sink, SinkCapabilities, SinkError,
    Source, Ticket, UserRule, Work, WriteItem,
};
