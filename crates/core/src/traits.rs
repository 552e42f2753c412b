//! The two contracts a platform implements. A platform is a module that provides a [`Source`],
//! a [`Sink`], or both; the engine only ever sees these traits.

use crate::io::ByteProgress;
use crate::model::{Field, User};
use crate::outcome::{Reason, RecordError, WriteOutcome};
use std::fmt;
use std::sync::mpsc::{Receiver, Sender};

/// A stream of users read from an export or a live platform, in a stable order: the engine
/// numbers records by position, and resuming relies on the same file giving the same order.
pub trait Source: Send {
    /// One line for people: what is being read (no secrets, no passwords in URLs).
    fn describe(&self) -> String;
    /// The next record; `None` at the end. A record the source cannot read comes back as an
    /// error naming the record and field; the engine fails that record and asks for the next.
    fn next_user(&mut self) -> Option<Result<User, RecordError>>;
    /// Whose ids the records carry (`clerk` for every Clerk source, an export or the API), so
    /// that a journal is shared by every source of the same ids — a newer export, the live
    /// platform after its export — and refused to another. `None`: the spec's scheme.
    fn id_space(&self) -> Option<&'static str> {
        None
    }
    /// Bytes read so far out of the total, when the source is a file (for the ETA).
    fn progress(&self) -> Option<ByteProgress> {
        None
    }
}

/// What a target can hold, as data the engine and the plan read.
#[derive(Clone, Debug)]
pub struct SinkCapabilities {
    /// The canonical fields the target keeps; the rest are reported as dropped.
    pub holds: Vec<Field>,
    /// This target's capability table in `authferry_hash`.
    pub password_target: authferry_hash::PasswordTarget,
    /// What every user must (or must not) have for this target as configured; checked by the
    /// engine before a record is sent.
    pub requirements: Vec<Requirement>,
}

/// A per-record requirement of a target, as data (the engine checks it while the sink is busy
/// writing the previous batch).
#[derive(Clone, Debug)]
pub enum Requirement {
    /// A user without this field fails with the reason (Better Auth needs an email).
    Needs(Field, Reason),
    /// A user with this field fails with the reason (the target cannot take it as configured,
    /// e.g. two-factor secrets without the key to encrypt them).
    Refuses(Field, Reason),
    /// A user with none of these fields fails with the reason (Better Auth with the
    /// phone-number plugin: an email or a phone number).
    NeedsOneOf(Vec<Field>, Reason),
    /// A rule about the whole user that no field's presence expresses (SuperTokens: an id of
    /// at most 128 characters, a username is not a sign-in method): a pure function of the
    /// user as the source gave it, so that `plan` predicts what the target will refuse.
    Rule(UserRule),
}

/// A target's own check of one user (see [`Requirement::Rule`]), shareable between the
/// engine's worker threads.
#[derive(Clone)]
pub struct UserRule(pub std::sync::Arc<RuleFn>);

/// The function behind a [`UserRule`].
pub type RuleFn = dyn Fn(&User) -> Result<(), Reason> + Send + Sync;

impl UserRule {
    pub fn new(check: impl Fn(&User) -> Result<(), Reason> + Send + Sync + 'static) -> Self {
        UserRule(std::sync::Arc::new(check))
    }
}

impl fmt::Debug for UserRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserRule(..)")
    }
}

impl Requirement {
    pub fn check(&self, user: &User) -> Result<(), Reason> {
        match self {
            Requirement::Needs(field, reason) if !user.has(*field) => Err(reason.clone()),
            Requirement::Refuses(field, reason) if user.has(*field) => Err(reason.clone()),
            Requirement::NeedsOneOf(fields, reason) if !fields.iter().any(|f| user.has(*f)) => {
                Err(reason.clone())
            }
            Requirement::Rule(rule) => (rule.0)(user),
            _ => Ok(()),
        }
    }
}

/// An identifier already taken in the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Existing {
    pub target_id: String,
    /// The target row has this record's own id (kept ids): with a pending journal entry
    /// it is this record, written before a crash.
    pub same_id: bool,
    /// Which identifier collided (`id`, `email`, `username`, `phone`), for the reason text.
    pub identifier: &'static str,
}

/// One record handed to [`Sink::write_batch`].
#[derive(Debug)]
pub struct WriteItem<'a> {
    pub user: &'a User,
    /// The journal shows an earlier attempt of this record that may have reached the target
    /// before a crash: a target row with this record's id is then its own, and counts as
    /// migrated rather than as a conflict.
    pub resumed: bool,
}

/// A record handed to [`Sink::write_stream`]: owned, so that a sink may keep several batches
/// in flight. `seq` is the record's number in the source, and names it in the [`Ack`].
#[derive(Debug)]
pub struct Queued {
    pub seq: u64,
    pub user: User,
    /// As [`WriteItem::resumed`].
    pub resumed: bool,
}

/// A record the target accepted earlier and settles later ([`WriteOutcome::Submitted`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticket {
    pub seq: u64,
    pub ticket: String,
}

/// What the engine hands a sink's [`Sink::write_stream`].
#[derive(Debug)]
pub enum Work {
    /// Records to write.
    Write(Vec<Queued>),
    /// Records submitted earlier (in this run, or by a run that ended before they settled),
    /// to settle.
    Settle(Vec<Ticket>),
}

/// A sink's answer for one record: its outcome, or `Submitted` again while it is not settled.
#[derive(Debug)]
pub struct Ack {
    pub seq: u64,
    pub outcome: WriteOutcome,
}

/// What [`Sink::write_stream`] sends back, as records are answered, in any order. Every record
/// of every [`Work`] gets exactly one [`Ack`]; an `Err` stops the run (records not answered
/// stay in flight in the journal and are resumed by the next run).
pub type Answer = Result<Vec<Ack>, SinkError>;

/// The request budget of a remote target, for the plan's duration estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestBudget {
    /// Requests per second the sink will send at most.
    pub per_second: f64,
    /// Requests one migrated user costs when nothing goes wrong.
    pub requests_per_user: f64,
    /// How people know this budget (`1000 requests / 10 s, from the sk_live_ key`).
    pub describe: String,
}

/// A target. `write_batch` must be idempotent per record (keyed by the record's id in the
/// target), because the engine re-sends a batch whose outcome a crash left unknown.
pub trait Sink: Send {
    fn describe(&self) -> String;
    fn capabilities(&self) -> SinkCapabilities;
    /// What this target needs of a user beyond the generic rules: its
    /// [`SinkCapabilities::requirements`], checked in order.
    fn check(&self, user: &User) -> Result<(), Reason> {
        self.capabilities()
            .requirements
            .iter()
            .try_for_each(|r| r.check(user))
    }
    /// Which instance of the platform this sink writes to, as the journal remembers it: a
    /// database's host, port and name, a file's identity, an API's URL and instance id — never
    /// a credential. A journal that wrote to one instance refuses another. Called before
    /// [`Sink::prepare`] (an existing target is checked before anything is written to it) and
    /// after it (to bind a new journal); `None` when not known (yet).
    fn instance(&mut self) -> Option<String> {
        None
    }
    /// Creates the target's tables when absent; refuses an incompatible existing schema.
    /// Never called by `plan`, which must not change the target.
    fn prepare(&mut self) -> Result<(), SinkError>;
    /// Read-only: for each user, the first identifier already taken in the target.
    fn find_existing(&mut self, users: &[&User]) -> Result<Vec<Option<Existing>>, SinkError>;
    /// Writes the batch (in one transaction where the target has them) and returns one
    /// outcome per item, in order. An `Err` means nothing of the batch is known written.
    fn write_batch(&mut self, batch: &[WriteItem<'_>]) -> Result<Vec<WriteOutcome>, SinkError>;
    /// How many batches of records the engine may have handed to [`Sink::write_stream`] and
    /// not had answered (the bound on records in flight). A remote API target keeps several in
    /// flight so that its workers never wait for a batch's slowest request; 1 for targets that
    /// write a batch in one transaction.
    fn pipeline_depth(&self) -> usize {
        1
    }
    /// The batch size this target works best with, when the person did not choose one.
    fn preferred_batch_size(&self) -> Option<usize> {
        None
    }
    /// The request budget of a rate-limited target (the plan shows the duration it implies).
    fn request_budget(&self) -> Option<RequestBudget> {
        None
    }
    /// Asks the target for the outcome of records it accepted earlier, one answer per ticket:
    /// `None` while the target has not settled it. Only sinks that answer
    /// [`WriteOutcome::Submitted`] are asked.
    fn settle(&mut self, tickets: &[Ticket]) -> Result<Vec<Option<WriteOutcome>>, SinkError> {
        let _ = tickets;
        Err(SinkError::Config(
            "this target answered with a ticket but cannot settle tickets".into(),
        ))
    }
    /// How long the engine waits between two rounds of [`Sink::settle`].
    fn settle_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(1)
    }
    /// Answers every [`Work`] received until `work` closes: one [`Ack`] per record, sent as soon
    /// as it is known, in any order; stops after the first `Err` answer. The default writes one
    /// batch at a time with [`Sink::write_batch`] and settles with [`Sink::settle`]; a sink
    /// that keeps several requests in flight (a remote API) overrides it.
    fn write_stream(&mut self, work: Receiver<Work>, answers: Sender<Answer>) {
        answer_each(work, answers, |w| match w {
            Work::Write(batch) => {
                if batch.is_empty() {
                    return Ok(Vec::new());
                }
                let outcomes = self.write_batch(&write_items(batch))?;
                Ok(acks(batch, outcomes))
            }
            Work::Settle(tickets) => {
                let outcomes = self.settle(tickets)?;
                assert_eq!(
                    outcomes.len(),
                    tickets.len(),
                    "the sink settled a wrong number of tickets"
                );
                Ok(tickets
                    .iter()
                    .zip(outcomes)
                    .map(|(t, o)| Ack {
                        seq: t.seq,
                        outcome: o.unwrap_or_else(|| WriteOutcome::Submitted {
                            ticket: t.ticket.clone(),
                        }),
                    })
                    .collect())
            }
        })
    }
    /// What a plan should tell about the records it saw (`find_existing` has seen them all),
    /// e.g. how many users the target takes in a special way. Plans only.
    fn plan_notes(&mut self) -> Vec<String> {
        Vec::new()
    }
    /// What the target reports of work it has accepted and not finished (a bulk-import queue:
    /// entries by status), for `authferry status`. Read-only. Empty for targets that finish
    /// each write before answering.
    fn status(&mut self) -> Result<Vec<(String, u64)>, SinkError> {
        Ok(Vec::new())
    }
    /// After the last batch: notes for the person running the migration.
    fn finish(&mut self) -> Result<Vec<String>, SinkError> {
        Ok(Vec::new())
    }
}

/// Answers every [`Work`] received with `answer` until `work` closes or an answer is an `Err`
/// (the run stops there).
pub fn answer_each(
    work: Receiver<Work>,
    answers: Sender<Answer>,
    mut answer: impl FnMut(&Work) -> Answer,
) {
    for w in work {
        let result = answer(&w);
        let failed = result.is_err();
        if answers.send(result).is_err() || failed {
            break;
        }
    }
}

/// A batch as [`Sink::write_batch`] takes it.
pub fn write_items(batch: &[Queued]) -> Vec<WriteItem<'_>> {
    batch
        .iter()
        .map(|q| WriteItem {
            user: &q.user,
            resumed: q.resumed,
        })
        .collect()
}

/// Pairs a batch's records with its outcomes (in the batch's order). A sink that answers a
/// wrong number of outcomes is a bug that would leave records waiting forever.
pub fn acks(batch: &[Queued], outcomes: Vec<WriteOutcome>) -> Vec<Ack> {
    assert_eq!(
        outcomes.len(),
        batch.len(),
        "the sink returned a wrong number of outcomes"
    );
    batch
        .iter()
        .zip(outcomes)
        .map(|(q, outcome)| Ack {
            seq: q.seq,
            outcome,
        })
        .collect()
}

/// A sink-level failure that stops the run (the target is unreachable or refuses the schema).
/// Per-record problems are [`WriteOutcome`]s, not errors.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("cannot connect to the target: {0}")]
    Connect(String),
    #[error("the target's schema is not compatible: {0}")]
    Schema(String),
    #[error("the target failed: {0}")]
    Backend(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl SinkError {
    pub fn backend(e: impl fmt::Display) -> Self {
        SinkError::Backend(e.to_string())
    }
}
