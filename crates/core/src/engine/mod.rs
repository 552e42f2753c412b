//! The engine: stream → validate → plan → write → record. It knows the [`Source`] and
//! [`Sink`] traits, the journal and the hash library's capability tables; it knows no platform.

use crate::io::{ByteProgress, write_ndjson_line};
use crate::journal::{Claim, ClaimRecord, IdentifierClaim, Journal, JournalBatch, JournalError};
use crate::model::{Field, User};
use crate::outcome::{Reason, ReasonCode, RecordError, State, WriteOutcome};
use crate::report::{Changed, Estimate, Mode, Problem, Summary};
use crate::traits::{Ack, Answer, Queued, Sink, SinkError, Source, Ticket, Work, answer_each};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::time::Instant;

mod prepare;
use prepare::{Admission, IdentifierKeys};

/// What to do with a user whose password digest the target cannot verify.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnverifiablePolicy {
    /// Skip the user, with the format named in the reason (the default: nobody is moved
    /// with a password that silently stops working).
    #[default]
    Skip,
    /// Move the user without a password; they sign in by reset, OAuth or trickle migration.
    NoPassword,
}

pub struct RunOptions {
    pub mode: Mode,
    pub batch_size: usize,
    pub unverifiable: UnverifiablePolicy,
    /// How many problem records the summary keeps.
    pub max_problems: usize,
    /// NDJSON log of every failed or skipped record: number, source id, reason. Never a secret.
    pub failures: Option<Box<dyn Write + Send>>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            mode: Mode::Migrate,
            batch_size: 2000,
            unverifiable: UnverifiablePolicy::Skip,
            max_problems: 20,
            failures: None,
        }
    }
}

/// Progress after each batch, for a progress bar or periodic lines.
#[derive(Clone, Debug)]
pub struct Progress<'a> {
    pub summary: &'a Summary,
    pub bytes: Option<(u64, u64)>,
    pub elapsed: std::time::Duration,
}

pub trait Observer {
    fn progress(&mut self, _p: &Progress<'_>) {}
}

/// An observer that shows nothing.
pub struct Quiet;
impl Observer for Quiet {}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Sink(#[from] SinkError),
    #[error("cannot write the failure log: {0}")]
    FailureLog(std::io::Error),
    /// Resuming numbers records by their position in the source; a source that now gives
    /// other records at the same positions (a live platform where users were deleted, an edited
    /// file) cannot be resumed with this journal.
    #[error(
        "the source is not what this journal was written from: record #{seq} was {was}, it is now {now}. \
         Start again with a new --journal: the target is written idempotently, so users already \
         there are reported as already present, not written twice"
    )]
    SourceChanged { seq: u64, was: String, now: String },
}

/// What waits for the next journal commit.
enum Unwritten {
    /// A record's final outcome, keyed by its id, or by its position (`by_position`: another
    /// record of the source holds its id).
    Final {
        seq: u64,
        by_position: bool,
        source_id: Option<String>,
        state: State,
        reason: Option<Reason>,
        target_id: Option<String>,
    },
    /// The target accepted a record and will settle it: its ticket.
    Submitted {
        seq: u64,
        source_id: String,
        ticket: String,
    },
}

/// Counts outcomes into the summary and the failure log at once, and keeps them until the
/// journal commit that makes them durable.
struct Recorder<'a> {
    summary: &'a mut Summary,
    opts: &'a mut RunOptions,
    unwritten: Vec<Unwritten>,
}

impl Recorder<'_> {
    fn record(
        &mut self,
        seq: u64,
        source_id: Option<&str>,
        state: State,
        reason: Option<Reason>,
        target_id: Option<String>,
    ) -> Result<(), EngineError> {
        self.record_keyed(seq, false, source_id, state, reason, target_id)
    }

    /// Counts and logs an outcome, and keeps it for the journal (by position when
    /// `by_position`).
    fn record_keyed(
        &mut self,
        seq: u64,
        by_position: bool,
        source_id: Option<&str>,
        state: State,
        reason: Option<Reason>,
        target_id: Option<String>,
    ) -> Result<(), EngineError> {
        let clipped = source_id.map(crate::validate::clip_id);
        let source_id = clipped.as_deref();
        self.summary.counts.add(state);
        if let Some(reason) = &reason {
            *self.summary.reasons.entry(reason.code).or_insert(0) += 1;
            if self.summary.problems.len() < self.opts.max_problems {
                self.summary
                    .problems
                    .push(Problem::new(seq, source_id, state, reason));
            }
            if let Some(w) = self.opts.failures.as_mut() {
                write_ndjson_line(w, &Problem::new(seq, source_id, state, reason))
                    .map_err(EngineError::FailureLog)?;
            }
        }
        self.unwritten.push(Unwritten::Final {
            seq,
            by_position,
            source_id: source_id.map(str::to_owned),
            state,
            reason,
            target_id,
        });
        Ok(())
    }

    /// Keeps a record's ticket until the next journal commit (it counts nowhere yet).
    fn submitted(&mut self, seq: u64, source_id: &str, ticket: &str) {
        self.unwritten.push(Unwritten::Submitted {
            seq,
            source_id: source_id.to_string(),
            ticket: ticket.to_string(),
        });
    }

    fn flush_into(&mut self, batch: &mut JournalBatch<'_>) -> Result<(), EngineError> {
        for u in self.unwritten.drain(..) {
            match u {
                Unwritten::Submitted {
                    seq,
                    source_id,
                    ticket,
                } => batch.submitted(seq, &source_id, &ticket)?,
                Unwritten::Final {
                    seq,
                    by_position: true,
                    state,
                    reason,
                    ..
                } => batch.outcome_at_position(seq, state, reason.as_ref())?,
                Unwritten::Final {
                    seq,
                    source_id,
                    state,
                    reason,
                    target_id,
                    ..
                } => batch.outcome(
                    seq,
                    source_id.as_deref(),
                    state,
                    reason.as_ref(),
                    target_id.as_deref(),
                )?,
            }
        }
        Ok(())
    }
}

/// How often the journal is brought up to date while the engine only waits for answers.
const COMMIT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// Open tickets a run may hold before it stops reading to settle them (at least).
const MIN_OPEN_TICKETS: usize = 50_000;

/// Records handed to the sink and not yet answered, and records the target settles later.
struct Flight {
    /// Record number → source id, and the ticket its journal row holds when it is being
    /// settled, for every record of a [`Work`] not yet acknowledged.
    sent: HashMap<u64, (String, Option<String>)>,
    /// Open tickets not being settled right now: record number → (source id, ticket).
    tickets: BTreeMap<u64, (String, String)>,
    last_settle: Instant,
    interval: std::time::Duration,
}

impl Flight {
    /// Records a sink's answer: final outcomes into the summary and the journal, tickets kept
    /// for settling.
    fn take(&mut self, answer: Answer, rec: &mut Recorder<'_>) -> Result<(), EngineError> {
        for Ack { seq, outcome } in answer? {
            let (sid, journaled) = self.sent.remove(&seq).unwrap_or_else(|| {
                panic!("the sink answered record #{seq}, which it does not hold")
            });
            let id = Some(sid.as_str());
            match outcome {
                WriteOutcome::Submitted { ticket } => {
                    // Journaled once per ticket: a settle round answering "not yet" writes
                    // nothing.
                    if journaled.as_ref() != Some(&ticket) {
                        rec.submitted(seq, &sid, &ticket);
                    }
                    self.tickets.insert(seq, (sid, ticket));
                }
                // (A plan's "would migrate" has no target id yet.)
                WriteOutcome::Migrated { target_id } => rec.record(
                    seq,
                    id,
                    State::Migrated,
                    None,
                    Some(target_id).filter(|t| !t.is_empty()),
                )?,
                WriteOutcome::AlreadyPresent { target_id } => {
                    rec.record(seq, id, State::AlreadyPresent, None, Some(target_id))?
                }
                WriteOutcome::Skipped { reason, target_id } => {
                    rec.record(seq, id, State::Skipped, Some(reason), target_id)?
                }
                WriteOutcome::Failed { reason } => {
                    rec.record(seq, id, State::Failed, Some(reason), None)?
                }
            }
        }
        Ok(())
    }

    /// Hands `work` to the sink thread. A sink that stopped (it answered an error) takes no
    /// more: its error is the run's.
    fn hand(
        to_sink: &std::sync::mpsc::SyncSender<Work>,
        from_sink: &std::sync::mpsc::Receiver<Answer>,
        work: Work,
    ) -> Result<(), EngineError> {
        if to_sink.send(work).is_ok() {
            return Ok(());
        }
        for answer in from_sink.try_iter() {
            answer?;
        }
        Err(EngineError::Sink(SinkError::Backend(
            "the target's writer stopped without saying why".into(),
        )))
    }

    /// Hands every open ticket to the sink when the settle interval has passed.
    fn settle_if_due(
        &mut self,
        to_sink: &std::sync::mpsc::SyncSender<Work>,
        from_sink: &std::sync::mpsc::Receiver<Answer>,
    ) -> Result<bool, EngineError> {
        if self.tickets.is_empty() || self.last_settle.elapsed() < self.interval {
            return Ok(false);
        }
        let tickets: Vec<Ticket> = std::mem::take(&mut self.tickets)
            .into_iter()
            .map(|(seq, (sid, ticket))| {
                self.sent.insert(seq, (sid, Some(ticket.clone())));
                Ticket { seq, ticket }
            })
            .collect();
        self.last_settle = Instant::now();
        Self::hand(to_sink, from_sink, Work::Settle(tickets))?;
        Ok(true)
    }

    /// Takes the next answer, or — when only tickets are open — waits for the settle interval
    /// and asks the sink about them.
    fn wait_or_settle(
        &mut self,
        to_sink: &std::sync::mpsc::SyncSender<Work>,
        from_sink: &std::sync::mpsc::Receiver<Answer>,
        rec: &mut Recorder<'_>,
    ) -> Result<(), EngineError> {
        if self.settle_if_due(to_sink, from_sink)? {
            return Ok(());
        }
        if self.sent.is_empty() {
            let due = self.last_settle + self.interval;
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            return Ok(());
        }
        if self.tickets.is_empty() {
            let answer = from_sink.recv().expect("the sink answers every record");
            return self.take(answer, rec);
        }
        let wait = (self.last_settle + self.interval).saturating_duration_since(Instant::now());
        match from_sink.recv_timeout(wait.max(std::time::Duration::from_millis(10))) {
            Ok(answer) => self.take(answer, rec),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Ok(()),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                panic!("the sink thread ended with records unanswered")
            }
        }
    }
}

/// Runs a migration (or a plan) to the end of the source. Per-record problems are outcomes in
/// the summary; an `Err` means the run could not go on (the journal or the target failed) and
/// everything acknowledged so far is in the journal.
///
/// The stages overlap on threads of their own: the source parses; workers validate, prepare
/// passwords, work out versions and digest identifiers (see [`prepare`]); this thread claims
/// and journals batch N+1 while the sink writes batch N and answers record by record.
/// Journal traffic is one commit per batch: the outcomes answered so far, and the record and
/// identifier claims of the next batch, durable before that batch is handed to the sink.
pub fn run(
    source: Box<dyn Source>,
    sink: &mut dyn Sink,
    journal: &mut Journal,
    mut opts: RunOptions,
    observer: &mut dyn Observer,
) -> Result<Summary, EngineError> {
    let start = Instant::now();
    let mut summary = Summary::new(opts.mode, source.describe(), sink.describe());
    let caps = sink.capabilities();
    let dropped: Vec<Field> = Field::ALL
        .into_iter()
        .filter(|f| !caps.holds.contains(f))
        .collect();
    let mode = opts.mode;
    // The journal belongs to one target instance: an existing target is checked before
    // anything is written to it (tables created in another database), and bound once
    // prepared; a plan checks without binding.
    if let Some(instance) = sink.instance() {
        journal.bind_instance(&instance, false)?;
    }
    if mode == Mode::Migrate {
        sink.prepare()?;
        if let Some(instance) = sink.instance() {
            journal.bind_instance(&instance, true)?;
        }
    }
    let progress = source.progress();
    let batch_size = opts.batch_size.max(1);
    // Parsed, validated and converted on other threads, a few chunks ahead.
    let mut stream = prepare::spawn(source, &caps, opts.unverifiable);
    let default_created = journal.started_at();
    let mut seq = 0u64;
    let mut no_password = 0u64;
    let mut stopped = None;
    let mut rec = Recorder {
        summary: &mut summary,
        opts: &mut opts,
        unwritten: Vec::new(),
    };

    // A remote target keeps several batches in flight; a plan asks one batch at a time.
    let depth = match mode {
        Mode::Migrate => sink.pipeline_depth().max(1),
        Mode::Plan => 1,
    };
    // Records handed to the sink and not yet answered, at most.
    let window = depth * batch_size;
    let settle_interval = sink.settle_interval();
    let budget = sink.request_budget();

    let result: Result<(), EngineError> = std::thread::scope(|scope| {
        let (to_sink, sink_rx) = std::sync::mpsc::sync_channel::<Work>(0);
        let (sink_tx, from_sink) = std::sync::mpsc::channel::<Answer>();
        let sink_ref: &mut dyn Sink = sink;
        let writer = scope.spawn(move || {
            match mode {
                Mode::Migrate => sink_ref.write_stream(sink_rx, sink_tx),
                Mode::Plan => plan_stream(sink_ref, sink_rx, sink_tx),
            }
            sink_ref
        });
        let mut flight = Flight {
            sent: HashMap::new(),
            tickets: BTreeMap::new(),
            last_settle: Instant::now(),
            interval: settle_interval,
        };

        let outcome = (|| -> Result<(), EngineError> {
            loop {
                let mut items: Vec<(u64, Result<User, RecordError>)> =
                    Vec::with_capacity(batch_size);
                let mut versions: Vec<Option<i64>> = Vec::with_capacity(batch_size);
                let mut admissions: Vec<(Option<Admission>, IdentifierKeys)> =
                    Vec::with_capacity(batch_size);
                while items.len() < batch_size {
                    let Some(p) = stream.recv() else { break };
                    seq += 1;
                    if matches!(&p.item, Err(e) if e.fatal) {
                        stopped = p.item.err();
                        break;
                    }
                    items.push((seq, p.item));
                    versions.push(p.version);
                    admissions.push((p.admission, p.keys));
                }
                if items.is_empty() {
                    break;
                }
                rec.summary.records += items.len() as u64;
                let (first, last) = (items[0].0, items[items.len() - 1].0);
                // A resume of the same source: the records must be the ones the journal saw
                // at these positions.
                let known = journal.source_ids(first, last)?;
                if !known.is_empty() {
                    for (seq, item) in &items {
                        let now = match item {
                            Ok(user) => Some(user.source_id.as_str()),
                            Err(e) => e.source_id.as_deref(),
                        }
                        // The journal keeps ids clipped.
                        .map(crate::validate::clip_id);
                        if let (Some(was), Some(now)) = (known.get(seq), now.as_deref())
                            && was != now
                        {
                            return Err(EngineError::SourceChanged {
                                seq: *seq,
                                was: was.clone(),
                                now: now.to_string(),
                            });
                        }
                    }
                }

                let mut ready: Vec<Queued> = Vec::with_capacity(items.len());
                let mut batch = journal.batch()?;
                rec.flush_into(&mut batch)?;
                // Every record with an id is claimed by it before anything else: one that an
                // earlier run moved, or a live run holds, is not touched.
                let keyed: Vec<ClaimRecord<'_>> = items
                    .iter()
                    .zip(&versions)
                    .filter_map(|((seq, item), version)| {
                        record_key(item).map(|key| ClaimRecord {
                            seq: *seq,
                            key,
                            version: *version,
                        })
                    })
                    .collect();
                let mut claims = batch.claim(&keyed)?.into_iter();
                // Outcomes are recorded in record order (the problem list and the failure log
                // read in the source's order), after the identifier claims of the batch.
                let mut steps: Vec<Step> = Vec::with_capacity(items.len());
                let mut admitted: Vec<(u64, User, bool)> = Vec::with_capacity(items.len());
                let mut keys: Vec<IdentifierKeys> = Vec::with_capacity(items.len());
                for (((seq, item), version), (admission, user_keys)) in
                    items.into_iter().zip(versions).zip(admissions)
                {
                    let claim = match record_key(&item) {
                        Some(_) => claims.next().expect("one claim per keyed record"),
                        None => Claim::Fresh,
                    };
                    let resumed = match claim {
                        Claim::Fresh | Claim::Retry => false,
                        Claim::Resumed => true,
                        Claim::Submitted { ticket } => {
                            // Accepted by the target before: settled, never sent again.
                            let id = record_key(&item).unwrap_or_default().to_string();
                            flight.tickets.insert(seq, (id, ticket));
                            continue;
                        }
                        Claim::Done {
                            version: before, ..
                        } => {
                            rec.summary.counts.add(State::AlreadyPresent);
                            // A delta: the user was moved, and has changed in the source since.
                            if let (Some(before), Some(now)) = (before, version)
                                && before != now
                            {
                                let id = record_key(&item).unwrap_or_default();
                                rec.summary.changed.count += 1;
                                if rec.summary.changed.records.len() < rec.opts.max_problems {
                                    rec.summary.changed.records.push(Changed {
                                        record: seq,
                                        source_id: id.to_string(),
                                    });
                                }
                            }
                            continue;
                        }
                        Claim::Elsewhere => {
                            rec.summary.counts.in_other_run += 1;
                            continue;
                        }
                        Claim::DuplicateId { seq: holder } => {
                            let id = record_key(&item).unwrap_or_default().to_string();
                            let reason = Reason::new(
                                ReasonCode::DuplicateInExport,
                                format!("id {id} duplicates record #{holder}"),
                            );
                            steps.push(Step::Outcome {
                                seq,
                                source_id: Some(id),
                                state: State::Skipped,
                                reason,
                                by_position: true,
                            });
                            continue;
                        }
                    };
                    let user = match item {
                        Ok(u) => u,
                        Err(e) => {
                            steps.push(Step::Outcome {
                                seq,
                                reason: e.to_reason(),
                                state: if e.skip {
                                    State::Skipped
                                } else {
                                    State::Failed
                                },
                                source_id: e.source_id,
                                by_position: false,
                            });
                            continue;
                        }
                    };
                    let admission = admission.expect("a readable user is assessed");
                    match admission.apply(rec.summary) {
                        Ok(dropped_password) => no_password += dropped_password as u64,
                        Err((state, reason)) => {
                            steps.push(Step::Outcome {
                                seq,
                                source_id: Some(user.source_id),
                                state,
                                reason,
                                by_position: false,
                            });
                            continue;
                        }
                    }
                    steps.push(Step::Admitted(admitted.len()));
                    admitted.push((seq, user, resumed));
                    keys.push(user_keys);
                }
                let raw: Vec<Vec<i64>> = keys
                    .iter()
                    .map(|k| k.iter().map(|(k, _)| *k).collect())
                    .collect();
                let wants: Vec<IdentifierClaim<'_>> = admitted
                    .iter()
                    .zip(&raw)
                    .map(|((_, user, _), keys)| IdentifierClaim {
                        source_id: &user.source_id,
                        keys,
                    })
                    .collect();
                let collisions = batch.claim_identifiers(&wants)?;
                drop(wants);
                let mut admitted: Vec<Option<(u64, User, bool)>> =
                    admitted.into_iter().map(Some).collect();
                for step in steps {
                    let (seq, source_id, state, reason, by_position) = match step {
                        Step::Outcome {
                            seq,
                            source_id,
                            state,
                            reason,
                            by_position,
                        } => (seq, source_id, state, reason, by_position),
                        Step::Admitted(i) => {
                            let (seq, mut user, resumed) =
                                admitted[i].take().expect("each admitted record once");
                            if let Some(c) = &collisions[i] {
                                let reason = Reason::new(
                                    ReasonCode::DuplicateInExport,
                                    format!(
                                        "{} duplicates record #{}{}",
                                        keys[i][c.index].1,
                                        c.holder_seq,
                                        c.holder_id
                                            .as_ref()
                                            .map(|h| format!(" ({h})"))
                                            .unwrap_or_default()
                                    ),
                                );
                                (seq, Some(user.source_id), State::Skipped, reason, false)
                            } else {
                                if user.created_at.is_none() {
                                    user.created_at = Some(default_created);
                                }
                                count_dropped(&user, &dropped, rec.summary);
                                ready.push(Queued { seq, user, resumed });
                                continue;
                            }
                        }
                    };
                    rec.record_keyed(
                        seq,
                        by_position,
                        source_id.as_deref(),
                        state,
                        Some(reason),
                        None,
                    )?;
                }
                // (A plan writes to a throw-away journal, so it records the same way.)
                batch.commit()?;

                // Records in flight stay within the window: wait for answers to make room.
                while !flight.sent.is_empty() && flight.sent.len() + ready.len() > window {
                    let answer = from_sink.recv().expect("the sink answers every record");
                    flight.take(answer, &mut rec)?;
                }
                while let Ok(answer) = from_sink.try_recv() {
                    flight.take(answer, &mut rec)?;
                }
                // So do open tickets: settle before reading further.
                while flight.tickets.len() >= window.max(MIN_OPEN_TICKETS) {
                    flight.wait_or_settle(&to_sink, &from_sink, &mut rec)?;
                }
                if !ready.is_empty() {
                    for q in &ready {
                        flight.sent.insert(q.seq, (q.user.source_id.clone(), None));
                    }
                    Flight::hand(&to_sink, &from_sink, Work::Write(ready))?;
                }
                flight.settle_if_due(&to_sink, &from_sink)?;
                report_progress(observer, &rec, &progress, start);
                if stopped.is_some() {
                    break;
                }
            }
            // The source is done: every record sent is answered, every ticket settled. The
            // journal is brought up to date as answers come, not only at the end.
            let mut last_commit = Instant::now();
            while !flight.sent.is_empty() || !flight.tickets.is_empty() {
                flight.wait_or_settle(&to_sink, &from_sink, &mut rec)?;
                if rec.unwritten.len() >= batch_size || last_commit.elapsed() >= COMMIT_EVERY {
                    let mut batch = journal.batch()?;
                    rec.flush_into(&mut batch)?;
                    batch.commit()?;
                    last_commit = Instant::now();
                    report_progress(observer, &rec, &progress, start);
                }
            }
            Ok(())
        })();
        drop(to_sink);
        let _ = writer.join();
        // What was answered is made durable even when the run stops on an error: those
        // records need not be sent again.
        let mut batch = journal.batch()?;
        rec.flush_into(&mut batch)?;
        batch.commit()?;
        if outcome.is_err() {
            // The last word the observer gets: everything the journal now holds, for a
            // report of a run that stopped.
            report_progress(observer, &rec, &progress, start);
        }
        outcome
    });
    result?;

    if let Some(e) = stopped {
        summary.aborted = Some(format!(
            "the source could not be read past record {seq}: {e}"
        ));
    }
    if no_password > 0 {
        summary.notes.push(format!(
            "{no_password} users were moved without their password (the target cannot verify their digest): \
             they need a password reset or a trickle migration."
        ));
    }
    if let (Mode::Plan, Some(b)) = (mode, budget) {
        let requests = summary.counts.migrated as f64 * b.requests_per_user;
        summary.estimate = Some(Estimate {
            seconds: requests / b.per_second.max(f64::MIN_POSITIVE),
            requests: requests.ceil() as u64,
            budget: b.describe,
        });
    }
    match mode {
        Mode::Migrate => {
            let notes = sink.finish()?;
            summary.notes.extend(notes);
        }
        Mode::Plan => summary.notes.extend(sink.plan_notes()),
    }
    if let Some(w) = opts.failures.as_mut() {
        w.flush().map_err(EngineError::FailureLog)?;
    }
    summary.elapsed_seconds = start.elapsed().as_secs_f64();
    Ok(summary)
}

/// A plan's sink thread: asks the target which identifiers it already holds, one batch at a
/// time, and answers in the shape of a write (`Migrated` = would be migrated).
fn plan_stream(
    sink: &mut dyn Sink,
    work: std::sync::mpsc::Receiver<Work>,
    answers: std::sync::mpsc::Sender<Answer>,
) {
    answer_each(work, answers, |w| {
        let Work::Write(batch) = w else {
            return Ok(Vec::new());
        };
        let users: Vec<&User> = batch.iter().map(|q| &q.user).collect();
        let existing = sink.find_existing(&users)?;
        Ok(batch
            .iter()
            .zip(existing)
            .map(|(q, ex)| Ack {
                seq: q.seq,
                outcome: match ex {
                    None => WriteOutcome::Migrated {
                        target_id: String::new(),
                    },
                    Some(e) => WriteOutcome::Skipped {
                        reason: Reason::new(
                            ReasonCode::ExistsInTarget,
                            format!(
                                "{} already in the target as user {}",
                                e.identifier, e.target_id
                            ),
                        ),
                        target_id: None,
                    },
                },
            })
            .collect())
    })
}

fn report_progress(
    observer: &mut dyn Observer,
    rec: &Recorder<'_>,
    progress: &Option<ByteProgress>,
    start: Instant,
) {
    let mut snapshot_elapsed = start.elapsed();
    if snapshot_elapsed.is_zero() {
        snapshot_elapsed = std::time::Duration::from_nanos(1);
    }
    observer.progress(&Progress {
        summary: rec.summary,
        bytes: progress.as_ref().map(|p| (p.read(), p.total)),
        elapsed: snapshot_elapsed,
    });
}

/// One record of a batch between its claim and its outcome.
enum Step {
    Outcome {
        seq: u64,
        source_id: Option<String>,
        state: State,
        reason: Reason,
        by_position: bool,
    },
    /// Admitted: index into the batch's admitted records.
    Admitted(usize),
}

/// The id a record is journaled by: its source id, when it has one.
/// The id a record is claimed by in the journal. An id over [`MAX_ID`](crate::validate::MAX_ID)
/// bytes fails validation: such a record is kept by its position, not claimed by a key of
/// megabytes.
fn record_key(item: &Result<User, RecordError>) -> Option<&str> {
    match item {
        Ok(u) => Some(u.source_id.as_str()),
        Err(e) => e.source_id.as_deref(),
    }
    .filter(|id| !id.trim().is_empty() && id.len() <= crate::validate::MAX_ID)
}

/// Counts, per field the target cannot hold, the users who lose it. `dropped` is worked out
/// once per run from the target's capabilities.
fn count_dropped(user: &User, dropped: &[Field], summary: &mut Summary) {
    for f in dropped.iter().copied().filter(|f| user.has(*f)) {
        *summary
            .dropped_fields
            .entry(f.name().to_string())
            .or_insert(0) += 1;
    }
}
