//! The engine's side of a sign-in: find the user in the source, ask the journal whether it was
//! moved (by this server, another replica or a bulk run), and move it — claim, write at the
//! target, record — exactly once.
//!
//! Everything here blocks (SQLite, the PostgreSQL client, the target's client): the server runs
//! it on a thread of its own ([`MigratorThread`]), never on the async runtime's workers.

use authferry_core::journal::{Claim, Journal, Stored};
use authferry_core::lookup::{Identifier, Lookup};
use authferry_core::{
    PasswordCredential, Reason, ReasonCode, Secret, Sink, SinkCapabilities, State, Ticket,
    Timestamp, User, WriteItem, WriteOutcome,
};
use authferry_hash::Format;
use authferry_platforms::{Settings, registry};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What the journal and the source say of an identifier typed at sign-in.
#[derive(Debug)]
pub enum Found {
    /// No user of the source holds it.
    Unknown,
    /// Several users of the source hold it (a dirty export): none is moved on a guess.
    Ambiguous,
    /// Moved before (by this server, another replica or a bulk run): the target's id.
    Moved { target_id: String },
    /// Not moved yet: the source's user, with its digest.
    NotMoved { user: Box<User> },
}

/// What moving a user came to.
#[derive(Debug)]
pub enum Moved {
    /// Written by this call.
    Now { target_id: String },
    /// Moved by someone else meanwhile (a concurrent sign-in, a replica, a bulk run).
    Before { target_id: String },
    /// Another live replica holds the user right now: ask again shortly.
    Busy,
    /// The target refused the user (recorded in the journal).
    Refused { reason: Reason },
}

#[derive(Debug, thiserror::Error)]
pub enum MigratorError {
    #[error("{0}")]
    Open(String),
    #[error("journal: {0}")]
    Journal(#[from] authferry_core::JournalError),
    #[error("target: {0}")]
    Sink(#[from] authferry_core::SinkError),
    #[error("source: {0}")]
    Lookup(#[from] authferry_core::lookup::LookupError),
    #[error("the migrator stopped")]
    Stopped,
}

pub struct Migrator {
    lookup: Box<dyn Lookup>,
    journal: Journal,
    sink: Box<dyn Sink>,
    caps: SinkCapabilities,
    native: Option<Format>,
    default_created: Timestamp,
    /// Positions of the records this server claims, under a source spelling of its own
    /// (`serve:<from>`), so that they never meet a bulk run's positions.
    next_seq: u64,
    /// A digest of the source's usual kind, verified (and failing) for identifiers nobody
    /// holds, so that an unknown identifier costs what a wrong password costs.
    pub dummy_digest: Option<(String, Option<String>)>,
}

/// The spelling a trickle server's records are claimed under in the journal; `status` tells
/// the two paths apart by it.
pub fn serve_spelling(from: &str) -> String {
    format!("serve:{}", authferry_platforms::redact_spec(from))
}

impl Migrator {
    /// Opens the source as a lookup, the target (tables created when absent) and the journal
    /// (bound to the target's instance), and picks the dummy digest.
    pub fn open(
        from: &str,
        to: &str,
        journal: &str,
        settings: &Settings,
    ) -> Result<Migrator, MigratorError> {
        let open = |e: authferry_platforms::SpecError| MigratorError::Open(e.to_string());
        let (source_plan, sink_plan) = registry::parse_run(from, to, settings).map_err(open)?;
        let mut sink = sink_plan.open().map_err(open)?;
        let caps = sink.capabilities();
        let source = source_plan.open().map_err(open)?;
        // Whose ids the records carry, as `migrate` binds the journal: the source's id space,
        // else its scheme (never the server's own `serve:` spelling, which a bulk run of the
        // same source would not share).
        let scheme = from.split_once(':').map(|(k, _)| k).unwrap_or(from);
        let ids = Some(source.id_space().unwrap_or(scheme).to_string());
        let dummy_digest = representative_digest(source);
        let lookup = source_plan.open_lookup().map_err(open)?;
        let mut journal = Journal::open_with_ids(
            journal,
            ids.as_deref(),
            &serve_spelling(from),
            &authferry_platforms::redact_spec(to),
        )?;
        if let Some(instance) = sink.instance() {
            journal.bind_instance(&instance, false)?;
        }
        sink.prepare()?;
        if let Some(instance) = sink.instance() {
            journal.bind_instance(&instance, true)?;
        }
        let default_created = journal.started_at();
        Ok(Migrator {
            native: caps.password_target.native_format(),
            lookup,
            journal,
            sink,
            caps,
            default_created,
            next_seq: 0,
            dummy_digest,
        })
    }

    /// The format new digests are written in at the target (`None`: the source's digest goes
    /// as it is, for targets such as NDJSON that keep any).
    pub fn native_format(&self) -> Option<Format> {
        self.native
    }

    /// The target's id of the user whose old id is `old_id`, when it was moved.
    pub fn moved_id(&mut self, old_id: &str) -> Result<Option<String>, MigratorError> {
        Ok(match self.journal.record(old_id)? {
            Some(r)
                if matches!(
                    r.state,
                    Stored::Done(State::Migrated | State::AlreadyPresent)
                ) =>
            {
                r.target_id
            }
            _ => None,
        })
    }

    pub fn find(&mut self, typed: &str) -> Result<Found, MigratorError> {
        let users = self.lookup.find(&classify(typed))?;
        let user = match users.len() {
            0 => return Ok(Found::Unknown),
            1 => users.into_iter().next().expect("one"),
            _ => return Ok(Found::Ambiguous),
        };
        Ok(match self.journal.record(&user.source_id)? {
            Some(r)
                if matches!(
                    r.state,
                    Stored::Done(State::Migrated | State::AlreadyPresent)
                ) =>
            {
                Found::Moved {
                    target_id: r.target_id.unwrap_or_default(),
                }
            }
            _ => Found::NotMoved {
                user: Box::new(user),
            },
        })
    }

    /// Moves `user`, whose password was just verified; `digest` is the password hashed in the
    /// target's own format (see [`Migrator::native_format`]).
    pub fn migrate(
        &mut self,
        mut user: User,
        digest: Option<Secret>,
    ) -> Result<Moved, MigratorError> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut batch = self.journal.batch()?;
        let claim = batch
            .claim_records(&[(seq, user.source_id.as_str())])?
            .pop()
            .expect("one claim");
        // Durable before the target sees anything: a crash leaves the record resumable.
        batch.commit()?;
        let resumed = match claim {
            Claim::Done { target_id, .. } => {
                return Ok(Moved::Before {
                    target_id: target_id.unwrap_or_default(),
                });
            }
            Claim::Elsewhere | Claim::DuplicateId { .. } => return Ok(Moved::Busy),
            Claim::Resumed | Claim::Submitted { .. } => true,
            Claim::Fresh | Claim::Retry => false,
        };
        if user.created_at.is_none() {
            user.created_at = Some(self.default_created);
        }
        if let Some(d) = digest {
            user.password = Some(PasswordCredential {
                hasher: None,
                digest: d,
                params: Default::default(),
            });
        }
        let admitted = authferry_core::validate::validate(&user).and_then(|()| {
            self.caps
                .requirements
                .iter()
                .try_for_each(|r| r.check(&user))
        });
        let outcome = match admitted {
            Err(reason) => WriteOutcome::Failed { reason },
            Ok(()) => self.write(&user, seq, resumed)?,
        };
        let mut batch = self.journal.batch()?;
        let sid = Some(user.source_id.as_str());
        let moved = match outcome {
            WriteOutcome::Migrated { target_id } => {
                batch.outcome(seq, sid, State::Migrated, None, Some(&target_id))?;
                Moved::Now { target_id }
            }
            WriteOutcome::AlreadyPresent { target_id } => {
                batch.outcome(seq, sid, State::AlreadyPresent, None, Some(&target_id))?;
                Moved::Before { target_id }
            }
            WriteOutcome::Skipped { reason, target_id } => {
                batch.outcome(
                    seq,
                    sid,
                    State::Skipped,
                    Some(&reason),
                    target_id.as_deref(),
                )?;
                Moved::Refused { reason }
            }
            WriteOutcome::Failed { reason } => {
                batch.outcome(seq, sid, State::Failed, Some(&reason), None)?;
                Moved::Refused { reason }
            }
            WriteOutcome::Submitted { ticket } => {
                // Still settling after the wait: kept as submitted, the next sign-in or run
                // follows it.
                batch.submitted(seq, &user.source_id, &ticket)?;
                Moved::Busy
            }
        };
        batch.commit()?;
        Ok(moved)
    }

    /// Writes one user; a target that settles later is followed for up to a minute.
    fn write(
        &mut self,
        user: &User,
        seq: u64,
        resumed: bool,
    ) -> Result<WriteOutcome, MigratorError> {
        let mut outcome = self
            .sink
            .write_batch(&[WriteItem { user, resumed }])?
            .pop()
            .unwrap_or(WriteOutcome::Failed {
                reason: Reason::new(ReasonCode::TargetRejected, "the target gave no answer"),
            });
        let until = Instant::now() + Duration::from_secs(60);
        // A person is waiting: ask soon, then less often, up to the target's own interval.
        let mut wait = Duration::from_millis(50);
        while let WriteOutcome::Submitted { ticket } = &outcome {
            if Instant::now() >= until {
                break;
            }
            std::thread::sleep(wait);
            wait = (wait * 2).min(self.sink.settle_interval());
            let t = Ticket {
                seq,
                ticket: ticket.clone(),
            };
            if let Some(Some(o)) = self.sink.settle(std::slice::from_ref(&t))?.pop() {
                outcome = o;
            }
        }
        Ok(outcome)
    }
}

/// What a person typed, as an identifier: an email has an `@`, a phone number is digits with
/// an optional `+` and punctuation, anything else a username.
pub fn classify(typed: &str) -> Identifier {
    let t = typed.trim();
    if t.contains('@') {
        Identifier::Email(t.to_string())
    } else if t.starts_with('+')
        && t.len() > 4
        && t[1..]
            .chars()
            .all(|c| c.is_ascii_digit() || " -().".contains(c))
    {
        Identifier::Phone(t.to_string())
    } else {
        Identifier::Username(t.to_string())
    }
}

/// The first digest among the first thousand users of the source (with its hasher name): what
/// an unknown identifier's dummy verification checks against.
fn representative_digest(
    mut source: Box<dyn authferry_core::Source>,
) -> Option<(String, Option<String>)> {
    for _ in 0..1000 {
        match source.next_user()? {
            Ok(User {
                password: Some(pw), ..
            }) => return Some((pw.digest.expose().to_string(), pw.hasher)),
            _ => continue,
        }
    }
    None
}

/// A job for the migrator's thread, answered on a oneshot channel.
pub enum Job {
    Find(
        String,
        tokio::sync::oneshot::Sender<Result<Found, MigratorError>>,
    ),
    MovedId(
        String,
        tokio::sync::oneshot::Sender<Result<Option<String>, MigratorError>>,
    ),
    Migrate(
        Box<User>,
        Option<Secret>,
        tokio::sync::oneshot::Sender<Result<Moved, MigratorError>>,
    ),
}

/// The migrator on a thread of its own; jobs in order.
#[derive(Clone)]
pub struct MigratorThread {
    jobs: mpsc::Sender<Job>,
}

impl MigratorThread {
    pub fn spawn(mut m: Migrator) -> MigratorThread {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("authferry-migrator".into())
            .spawn(move || {
                for job in rx {
                    match job {
                        Job::Find(typed, reply) => {
                            let _ = reply.send(m.find(&typed));
                        }
                        Job::MovedId(id, reply) => {
                            let _ = reply.send(m.moved_id(&id));
                        }
                        Job::Migrate(user, digest, reply) => {
                            let _ = reply.send(m.migrate(*user, digest));
                        }
                    }
                }
            })
            .expect("spawn the migrator thread");
        MigratorThread { jobs: tx }
    }

    pub async fn find(&self, typed: String) -> Result<Found, MigratorError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Job::Find(typed, tx))
            .map_err(|_| MigratorError::Stopped)?;
        rx.await.map_err(|_| MigratorError::Stopped)?
    }

    pub async fn moved_id(&self, old_id: String) -> Result<Option<String>, MigratorError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Job::MovedId(old_id, tx))
            .map_err(|_| MigratorError::Stopped)?;
        rx.await.map_err(|_| MigratorError::Stopped)?
    }

    pub async fn migrate(
        &self,
        user: User,
        digest: Option<Secret>,
    ) -> Result<Moved, MigratorError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Job::Migrate(Box::new(user), digest, tx))
            .map_err(|_| MigratorError::Stopped)?;
        rx.await.map_err(|_| MigratorError::Stopped)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_identifiers_are_told_apart() {
        assert_eq!(
            classify(" Ada@Example.com "),
            Identifier::Email("Ada@Example.com".into())
        );
        assert_eq!(
            classify("+1 555 123-4567"),
            Identifier::Phone("+1 555 123-4567".into())
        );
        assert_eq!(classify("ada"), Identifier::Username("ada".into()));
        assert_eq!(classify("+ada"), Identifier::Username("+ada".into()));
    }
}
