//! The stage before the journal: the source parses on its own thread, then worker threads
//! validate each user, prepare its password for the target, work out its version and digest
//! its identifiers — in parallel, in order — so that the engine's thread does nothing per
//! record but journal and dispatch.

use super::UnverifiablePolicy;
use crate::model::User;
use crate::outcome::{Reason, ReasonCode, RecordError, State};
use crate::report::{FormatCount, Summary};
use crate::traits::{SinkCapabilities, Source};
use crate::validate::{identifier_keys, validate};
use authferry_hash::Support;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Records per piece of work handed to a worker.
const CHUNK: usize = 256;
/// Workers: the cores left beside the source, journal and sink threads, at least one; more
/// than four only wait for the journal.
fn workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .saturating_sub(1)
        .clamp(1, 4)
}

/// A user's identifier keys and their kinds (see [`identifier_keys`]).
pub(super) type IdentifierKeys = Vec<(i64, &'static str)>;

/// One record as the engine takes it.
pub(super) struct Prepared {
    pub item: Result<User, RecordError>,
    /// What the user is, for deltas (see [`record_version`]).
    pub version: Option<i64>,
    /// For a readable user: its admission, applied only if the journal lets the record through.
    pub admission: Option<Admission>,
    /// For an admitted user: its identifier keys and their kinds.
    pub keys: IdentifierKeys,
}

/// What admission decided for one user, before anything is counted.
pub(super) struct Admission {
    /// Admitted (and whether its password was dropped), or the record's outcome.
    verdict: Result<bool, (State, Reason)>,
    /// The password format seen, for the summary's table.
    format: Option<(String, Support)>,
}

impl Admission {
    /// Counts the user's password format and gives the verdict.
    pub(super) fn apply(self, summary: &mut Summary) -> Result<bool, (State, Reason)> {
        if let Some((name, support)) = self.format {
            summary
                .hash_formats
                .entry(name)
                .or_insert(FormatCount { users: 0, support })
                .users += 1;
        }
        self.verdict
    }
}

/// The records of a source, prepared, in the source's order.
pub(super) struct PreparedStream {
    /// One queue per worker; chunk *i* comes from worker *i* mod *n*.
    outputs: Vec<Receiver<Vec<Prepared>>>,
    next: usize,
    current: std::vec::IntoIter<Prepared>,
}

impl PreparedStream {
    /// The next record, or `None` at the end of the source (after a fatal error, that error
    /// is the last record).
    pub(super) fn recv(&mut self) -> Option<Prepared> {
        loop {
            if let Some(p) = self.current.next() {
                return Some(p);
            }
            let chunk = self.outputs[self.next].recv().ok()?;
            self.next = (self.next + 1) % self.outputs.len();
            self.current = chunk.into_iter();
        }
    }
}

/// Starts the source thread and the workers. Queues are bounded (two chunks per worker each
/// way): that is the backpressure, and all the memory the stage holds.
pub(super) fn spawn(
    mut source: Box<dyn Source>,
    caps: &SinkCapabilities,
    unverifiable: UnverifiablePolicy,
) -> PreparedStream {
    let n = workers();
    let mut inputs: Vec<SyncSender<Vec<Result<User, RecordError>>>> = Vec::with_capacity(n);
    let mut outputs = Vec::with_capacity(n);
    for w in 0..n {
        let (in_tx, in_rx) = sync_channel::<Vec<Result<User, RecordError>>>(2);
        let (out_tx, out_rx) = sync_channel::<Vec<Prepared>>(2);
        let caps = caps.clone();
        std::thread::Builder::new()
            .name(format!("prepare-{w}"))
            .spawn(move || {
                for chunk in in_rx {
                    let prepared = chunk
                        .into_iter()
                        .map(|item| prepare(item, &caps, unverifiable))
                        .collect();
                    if out_tx.send(prepared).is_err() {
                        break;
                    }
                }
            })
            .expect("spawn a worker thread");
        inputs.push(in_tx);
        outputs.push(out_rx);
    }
    std::thread::Builder::new()
        .name("source".into())
        .spawn(move || {
            let mut chunk = Vec::with_capacity(CHUNK);
            let mut to = 0;
            while let Some(item) = source.next_user() {
                let fatal = matches!(&item, Err(e) if e.fatal);
                chunk.push(item);
                if chunk.len() == CHUNK || fatal {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                    if inputs[to].send(full).is_err() {
                        return;
                    }
                    to = (to + 1) % inputs.len();
                }
                if fatal {
                    return;
                }
            }
            if !chunk.is_empty() {
                let _ = inputs[to].send(chunk);
            }
        })
        .expect("spawn the source thread");
    PreparedStream {
        outputs,
        next: 0,
        current: Vec::new().into_iter(),
    }
}

fn prepare(
    mut item: Result<User, RecordError>,
    caps: &SinkCapabilities,
    unverifiable: UnverifiablePolicy,
) -> Prepared {
    let Ok(user) = item.as_mut() else {
        return Prepared {
            item,
            version: None,
            admission: None,
            keys: Vec::new(),
        };
    };
    // The version is of the record as read, before admission changes it.
    let version = Some(record_version(user));
    let admission = assess(user, caps, unverifiable);
    let keys = if admission.verdict.is_ok() {
        identifier_keys(user)
    } else {
        Vec::new()
    };
    Prepared {
        item,
        version,
        admission: Some(admission),
        keys,
    }
}

/// What a record is, for noticing later that it changed: its `updated_at` (milliseconds) where
/// the source has one, else a 64-bit fingerprint of its fields. Two-factor secrets and backup codes are left out
/// of the fingerprint (a short code could be found again from it); the password digest, a
/// salted hash already, is in.
fn record_version(user: &mut User) -> i64 {
    if let Some(t) = user.updated_at {
        return t.0;
    }
    use sha2::Digest;
    /// Feeds what serde writes straight into the hash (no copy of the record).
    struct Hashing(sha2::Sha256);
    impl std::io::Write for Hashing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let totp = user.totp_secret.take();
    let codes = std::mem::take(&mut user.backup_codes);
    let mut h = Hashing(sha2::Sha256::new());
    let _ = serde_json::to_writer(&mut h, &*user);
    user.totp_secret = totp;
    user.backup_codes = codes;
    let digest = h.0.finalize();
    i64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// Generic rules, the target's own requirements and the password policy: the verdict (on
/// success, whether the password was dropped under `--unverifiable no-password`) and the
/// password format seen. Changes the user as the target will get it (a re-encoded digest, a
/// dropped password).
fn assess(user: &mut User, caps: &SinkCapabilities, unverifiable: UnverifiablePolicy) -> Admission {
    let verdict = |verdict| Admission {
        verdict,
        format: None,
    };
    if let Err(r) = validate(user) {
        return verdict(Err((State::Failed, r)));
    }
    if let Err(r) = caps.requirements.iter().try_for_each(|r| r.check(user)) {
        return verdict(Err((State::Failed, r)));
    }
    let Some(pw) = &user.password else {
        return verdict(Ok(false));
    };
    // Out-of-band parameters (a Firebase signer key, an external salt, a pepper) travel in
    // `password.params`; a malformed set is reported like an unusable digest.
    let prepared = authferry_hash::ExtParams::from_json(&pw.params).and_then(|params| {
        authferry_hash::prepare_for_target_with(
            caps.password_target,
            pw.hasher.as_deref(),
            pw.digest.expose(),
            &params,
        )
    });
    // The source named the hasher: a name that means nothing, or a digest that is not what it
    // names, is bad data in that record — never guessed from the digest's shape.
    if let Err(
        e @ (authferry_hash::HashError::UnknownHasher { .. }
        | authferry_hash::HashError::MismatchedHasher { .. }),
    ) = &prepared
    {
        return verdict(Err((
            State::Failed,
            Reason::new(ReasonCode::InvalidField, format!("field `password`: {e}")),
        )));
    }
    let (format_name, support, why) = match &prepared {
        Ok(p) => (p.format.name().to_string(), p.support, p.note.clone()),
        Err(e) => (
            match &pw.hasher {
                Some(h) => format!("unrecognised ({h})"),
                None => "unrecognised".to_string(),
            },
            Support::Unverifiable,
            Some(e.to_string()),
        ),
    };
    let format = Some((format_name.clone(), support));
    if support != Support::Unverifiable {
        if let Ok(authferry_hash::Prepared {
            reencoded: Some((digest, hasher)),
            ..
        }) = prepared
        {
            let pw = user.password.as_mut().expect("checked above");
            pw.digest = crate::model::Secret::new(digest);
            pw.hasher = hasher;
        }
        return Admission {
            verdict: Ok(false),
            format,
        };
    }
    let verdict = match unverifiable {
        UnverifiablePolicy::NoPassword => {
            user.password = None;
            Ok(true)
        }
        UnverifiablePolicy::Skip => Err((
            State::Skipped,
            Reason::new(
                ReasonCode::UnverifiableHash,
                match why {
                    Some(w) => format!(
                        "field `password`: {w}; the target cannot verify it (use --unverifiable no-password to move the user without it)"
                    ),
                    None => format!(
                        "field `password`: {format_name} digests cannot be verified by {} (use --unverifiable no-password to move the user without it)",
                        caps.password_target
                    ),
                },
            ),
        )),
    };
    Admission { verdict, format }
}
