//! `--to supertokens:URL`: users handed to the core's bulk import (`POST /bulk-import/users`,
//! up to 10 000 a request), then followed until the core has imported or failed each.
//!
//! * Every user is built and checked against the core's own rules before it is sent
//!   ([`super::mapping`]); a user the core still refuses (its answer lists errors by index)
//!   fails with the core's words, and the rest of the request is sent again without it.
//! * A 200 means queued, not imported: each user is answered `Submitted`, its ticket its
//!   `externalUserId` (the source id). [`Sink::settle`] then reads the core's table: an entry
//!   still `NEW`/`PROCESSING` is pending, `FAILED` is mapped back to the record with the core's
//!   message, and an entry the core deleted was imported.
//! * Exactly once: a request whose answer was lost, and every record a crash left in flight,
//!   are first looked up in the core — its bulk-import table, then the external-id mapping —
//!   and only users found in neither are sent (again). Failed entries are removed from the
//!   core's table once the run has recorded them, so that the next run can send them again after a fix.

use super::api::{
    ApiError, Attempt, BulkEntry, CoreApi, MAX_BATCH, MAX_RATE_LIMITED, first_line, mask,
};
use super::mapping::{self, BulkOptions, CoreFeatures};
use authferry_core::{
    Existing, Reason, ReasonCode, Requirement, Sink, SinkCapabilities, SinkError, Ticket, User,
    UserRule, WriteItem, WriteOutcome,
};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

pub struct SupertokensSink {
    api: std::sync::Arc<CoreApi>,
    opts: BulkOptions,
    /// Failed entries already in the core's table when the run began, by external id: removed
    /// before the same user is sent again.
    stale_failed: HashMap<String, Vec<String>>,
    /// Failed entries this run answered: removed from the core's table at the end.
    answered_failed: Vec<String>,
    /// The table's counts at the last settle round (NEW, PROCESSING, FAILED, all), and how
    /// many rounds ago the table was last read whole.
    last_counts: Option<[u64; 4]>,
    rounds_since_read: u32,
    poll: Duration,
    firebase_users: u64,
    unlinked_users: u64,
}

impl SupertokensSink {
    /// Opens the core: checks it answers, speaks a CDI version with bulk import, and reads its
    /// features (account linking, MFA, multi-tenancy), which decide how users are shaped.
    pub fn open(api: CoreApi, poll: Duration) -> Result<Self, ApiError> {
        let features = api.features()?;
        if api.tenant != "public" && !features.multi_tenancy {
            return Err(ApiError::Fatal(format!(
                "--tenant {}: the core does not have multi-tenancy enabled, so users can only go to the public tenant",
                api.tenant
            )));
        }
        Ok(Self::with_features(api, features, poll))
    }

    pub fn with_features(api: CoreApi, features: CoreFeatures, poll: Duration) -> Self {
        let opts = BulkOptions {
            tenant: api.tenant.clone(),
            features,
            now_ms: None,
            roles_from: None,
        };
        SupertokensSink {
            api: std::sync::Arc::new(api),
            opts,
            stale_failed: HashMap::new(),
            answered_failed: Vec::new(),
            last_counts: None,
            rounds_since_read: 0,
            poll,
            firebase_users: 0,
            unlinked_users: 0,
        }
    }

    pub fn features(&self) -> &CoreFeatures {
        &self.opts.features
    }

    /// Takes each user's roles from this metadata key (the roles must exist in the core).
    pub fn with_roles_from(mut self, from: Option<mapping::RolesFrom>) -> Self {
        self.opts.roles_from = from;
        self
    }
}

fn backend(e: ApiError) -> SinkError {
    match e {
        ApiError::Fatal(m) => SinkError::Config(m),
        ApiError::Failed(m) => SinkError::Backend(m),
    }
}

fn failed(code: ReasonCode, message: String) -> WriteOutcome {
    WriteOutcome::Failed {
        reason: Reason::new(code, message),
    }
}

/// Where a user stands in the core.
#[derive(Debug, PartialEq)]
enum Found {
    /// In the bulk-import table (any status): settle it, never send it again.
    Queued,
    /// Imported (the external id is mapped).
    Imported,
    /// Neither: (still) to send.
    Absent,
}

/// A user ready to send: its position in the batch, its external id, its entry as JSON text.
type Built = (usize, String, String);

/// `{"users":[…]}` from entries already serialised.
fn request_body(users: &[Built]) -> Vec<u8> {
    let len: usize = users.iter().map(|(_, _, b)| b.len() + 1).sum();
    let mut out = Vec::with_capacity(len + 12);
    out.extend_from_slice(b"{\"users\":[");
    for (n, (_, _, b)) in users.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b.as_bytes());
    }
    out.extend_from_slice(b"]}");
    out
}

/// Entries by external id.
fn by_external_id(entries: &[BulkEntry]) -> HashMap<&str, Vec<&BulkEntry>> {
    let mut m: HashMap<&str, Vec<&BulkEntry>> = HashMap::new();
    for e in entries {
        if let Some(x) = &e.external_user_id {
            m.entry(x.as_str()).or_default().push(e);
        }
    }
    m
}

/// Runs `f` over `items` on a few threads (lookups of one user each), in order.
fn parallel<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<R, ApiError> + Sync,
) -> Result<Vec<R>, ApiError> {
    const WORKERS: usize = 8;
    if items.len() < 2 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(WORKERS);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(|| c.iter().map(&f).collect::<Result<Vec<R>, ApiError>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            out.extend(h.join().expect("lookup thread")?);
        }
        Ok(out)
    })
}

/// The core's `{"error", "users": [{"index", "errors"}]}` answer to a refused request:
/// errors by index, or `None` when the answer is not of that shape.
fn errors_by_index(body: &str) -> Option<Vec<(usize, Vec<String>)>> {
    let v: Value = serde_json::from_str(body.trim()).ok()?;
    let users = v.get("users")?.as_array()?;
    users
        .iter()
        .map(|u| {
            let i = u.get("index")?.as_u64()? as usize;
            let errors = u
                .get("errors")?
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            Some((i, errors))
        })
        .collect()
}

/// The canonical field a message of the core is about (its messages name the bulk-import
/// field), so that a failure says which of the record's fields to fix.
fn field_of(message: &str, roles: Option<&mapping::RolesFrom>) -> Option<String> {
    let m = message;
    let field = if m.contains("externalUserId") {
        "source_id".to_string()
    } else if m.contains("Role ") || m.contains("role ") || m.contains("userRoles") {
        match roles {
            Some(r) => format!("{}.{}", r.metadata.name(), r.path.join(".")),
            None => "roles".to_string(),
        }
    } else if m.contains("TOTP") || m.contains("totp") || m.contains("MFA") {
        "totp_secret".to_string()
    } else if m.contains("assword") || m.contains("hashingAlgorithm") || m.contains("BCrypt") {
        "password".to_string()
    } else if m.contains("thirdParty") {
        "external_accounts".to_string()
    } else if m.contains("phoneNumber") {
        "primary_phone".to_string()
    } else if m.contains("timeJoined") {
        "created_at".to_string()
    } else if m.contains("userMetadata") {
        "metadata".to_string()
    } else if m.contains("email") {
        "primary_email".to_string()
    } else {
        return None;
    };
    Some(field)
}

/// `field `X`: ` before a reason about field X, when the message names one.
fn about_field(message: &str, roles: Option<&mapping::RolesFrom>) -> String {
    match field_of(message, roles) {
        Some(f) => format!("field `{f}`: "),
        None => String::new(),
    }
}

/// Messages of failed imports that mean "an account with this identifier already exists".
const CONFLICT_CODES: &[&str] = &[
    "E003", "E005", "E006", "E007", "E020", "E021", "E022", "E031",
];

/// The identifier a conflict message names, as a `by-accountinfo` query.
fn conflict_query(message: &str) -> Option<String> {
    let after = |key: &str| -> Option<&str> {
        let start = message.find(key)? + key.len();
        let rest = &message[start..];
        rest.split(' ').next()
    };
    if message.contains("thirdPartyId") {
        let id = after("thirdPartyId ")?;
        let uid = after("thirdPartyUserId ")?;
        return Some(format!(
            "thirdPartyId={}&thirdPartyUserId={}",
            urlencoding::encode(id),
            urlencoding::encode(uid)
        ));
    }
    if let Some(p) = after("phoneNumber ") {
        return Some(format!("phoneNumber={}", urlencoding::encode(p)));
    }
    after("email ").map(|e| format!("email={}", urlencoding::encode(e)))
}

impl SupertokensSink {
    /// Where each of `ids` stands in the core: one read of the bulk-import table, then one
    /// mapping look-up per id not in it.
    fn locate(&self, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let entries = self.api.bulk_entries()?;
        let queued = by_external_id(&entries);
        let api = &self.api;
        parallel(ids, |id| {
            Ok(if queued.contains_key(id) {
                Found::Queued
            } else if api.mapped(id)?.is_some() {
                Found::Imported
            } else {
                Found::Absent
            })
        })
    }

    /// Sends `users` (built entries, with their positions in the batch) in requests of at most
    /// [`MAX_BATCH`], answering each position.
    fn send(
        &mut self,
        users: Vec<Built>,
        out: &mut [Option<WriteOutcome>],
    ) -> Result<(), SinkError> {
        let mut rest = users;
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(MAX_BATCH));
            let chunk = std::mem::replace(&mut rest, tail);
            self.send_request(chunk, out)?;
        }
        Ok(())
    }

    fn send_request(
        &mut self,
        mut pending: Vec<Built>,
        out: &mut [Option<WriteOutcome>],
    ) -> Result<(), SinkError> {
        let mut failures = 0u32;
        let mut limited = 0u32;
        while !pending.is_empty() {
            let bytes = request_body(&pending);
            let last = match self.api.attempt("POST", "/bulk-import/users", Some(&bytes)) {
                Attempt::Reply { status: 200, .. } => {
                    // The table changed: the next settle round reads it, whatever its counts.
                    self.last_counts = None;
                    for (i, id, _) in pending.drain(..) {
                        out[i] = Some(WriteOutcome::Submitted { ticket: id });
                    }
                    return Ok(());
                }
                Attempt::Reply {
                    status: 400, body, ..
                } => {
                    let Some(errors) = errors_by_index(&body) else {
                        return Err(SinkError::Backend(format!(
                            "the core refused a bulk-import request as a whole (HTTP 400): {}",
                            first_line(&body)
                        )));
                    };
                    if errors.is_empty() {
                        return Err(SinkError::Backend(format!(
                            "the core refused a bulk-import request without naming a user: {}",
                            first_line(&body)
                        )));
                    }
                    // Those users fail with the core's words; the others go again.
                    let bad: HashMap<usize, Vec<String>> = errors.into_iter().collect();
                    let mut keep = Vec::with_capacity(pending.len());
                    for (n, (i, id, body)) in pending.into_iter().enumerate() {
                        match bad.get(&n) {
                            Some(errs) => {
                                let body: Value =
                                    serde_json::from_str(&body).unwrap_or(Value::Null);
                                let secrets = super::api::entry_secrets(&body);
                                let text = errs
                                    .iter()
                                    .map(|e| mask(e, &secrets))
                                    .collect::<Vec<_>>()
                                    .join("; ");
                                let field = about_field(&text, self.opts.roles_from.as_ref());
                                out[i] = Some(failed(
                                    ReasonCode::TargetRejected,
                                    format!("{field}the SuperTokens core refused the user: {text}"),
                                ));
                            }
                            None => keep.push((i, id, body)),
                        }
                    }
                    pending = keep;
                    continue;
                }
                Attempt::Reply {
                    status: 401, body, ..
                } => {
                    return Err(SinkError::Config(format!(
                        "the SuperTokens core refused the API key (HTTP 401: {}); check SUPERTOKENS_API_KEY",
                        first_line(&body)
                    )));
                }
                Attempt::Reply {
                    status: 429,
                    retry_after,
                    ..
                } => {
                    limited += 1;
                    if limited > MAX_RATE_LIMITED {
                        return Err(SinkError::Backend(format!(
                            "POST /bulk-import/users: still rate limited (429) after {MAX_RATE_LIMITED} waits"
                        )));
                    }
                    self.api.wait_after_429(retry_after.as_deref());
                    continue;
                }
                Attempt::Reply { status, body, .. } if status >= 500 => {
                    // The core may have stored the request before failing (or failed before):
                    // look before sending again.
                    self.resolve_unknown(&mut pending, out)?;
                    let text = first_line(&body);
                    if text.contains("firebase_password_hashing_signer_key") {
                        return Err(SinkError::Config(
                            "the core has no Firebase signer key: set firebase_password_hashing_signer_key in its configuration to the Firebase project's key (hash config `base64_signer_key`) before importing Firebase scrypt digests".into(),
                        ));
                    }
                    format!("HTTP {status}: {text}")
                }
                Attempt::Reply { status, body, .. } => {
                    return Err(SinkError::Backend(format!(
                        "the core refused POST /bulk-import/users (HTTP {status}): {}",
                        first_line(&body)
                    )));
                }
                Attempt::Unknown(m) => {
                    self.resolve_unknown(&mut pending, out)
                        .map_err(|e| SinkError::Backend(format!("{m}, and then: {e}")))?;
                    m
                }
                Attempt::NotSent(m) => m,
            };
            if pending.is_empty() {
                return Ok(());
            }
            failures += 1;
            if failures >= self.api.backoff.max_attempts {
                return Err(SinkError::Backend(format!(
                    "POST /bulk-import/users failed {failures} times; last: {last}"
                )));
            }
            std::thread::sleep(self.api.backoff.delay(failures));
        }
        Ok(())
    }

    /// After a request whose outcome is unknown: users the core holds are answered, the rest
    /// stay to send.
    fn resolve_unknown(
        &mut self,
        pending: &mut Vec<Built>,
        out: &mut [Option<WriteOutcome>],
    ) -> Result<(), SinkError> {
        // The request may have reached the table.
        self.last_counts = None;
        let ids: Vec<&str> = pending.iter().map(|(_, id, _)| id.as_str()).collect();
        let found = self.locate(&ids).map_err(backend)?;
        let mut keep = Vec::new();
        for ((i, id, body), f) in std::mem::take(pending).into_iter().zip(found) {
            match f {
                Found::Queued => out[i] = Some(WriteOutcome::Submitted { ticket: id }),
                Found::Imported => out[i] = Some(WriteOutcome::Migrated { target_id: id }),
                Found::Absent => keep.push((i, id, body)),
            }
        }
        *pending = keep;
        Ok(())
    }

    /// A `FAILED` entry as the record's outcome.
    fn outcome_of_failure(
        &self,
        entry: &BulkEntry,
        message: &str,
    ) -> Result<WriteOutcome, ApiError> {
        let external_id = entry.external_user_id.as_deref().unwrap_or_default();
        let code = message.get(..4).unwrap_or("");
        if CONFLICT_CODES.contains(&code) {
            // This user, imported before (by an earlier run, or an answer that was lost)?
            if self.api.mapped(external_id)?.is_some() {
                return Ok(WriteOutcome::AlreadyPresent {
                    target_id: external_id.to_string(),
                });
            }
            // Who holds the identifier: the one the message names, else (E020–E022 name a
            // user id) each of the entry's own.
            let mut queries: Vec<String> = conflict_query(message).into_iter().collect();
            queries.extend(entry.identifiers.iter().cloned());
            let mut holder = None;
            for q in &queries {
                if let Some(h) = self.api.holder(q)? {
                    holder = Some(h);
                    break;
                }
            }
            if let Some(holder) = holder {
                return Ok(WriteOutcome::Skipped {
                    reason: Reason::new(
                        ReasonCode::ExistsInTarget,
                        format!(
                            "the SuperTokens core holds this identifier for user {holder}: {message}"
                        ),
                    ),
                    target_id: Some(holder),
                });
            }
        }
        let field = about_field(message, self.opts.roles_from.as_ref());
        Ok(failed(
            ReasonCode::TargetRejected,
            format!("{field}the SuperTokens core failed the import: {message}"),
        ))
    }

    /// The table's counts: NEW, PROCESSING, FAILED, all.
    fn counts(&self) -> Result<[u64; 4], ApiError> {
        Ok([
            self.api.bulk_count(Some("NEW"))?,
            self.api.bulk_count(Some("PROCESSING"))?,
            self.api.bulk_count(Some("FAILED"))?,
            self.api.bulk_count(None)?,
        ])
    }
}

/// Reads the whole table every this many settle rounds even when its counts did not move.
const READ_AT_LEAST_EVERY: u32 = 10;

impl Sink for SupertokensSink {
    fn describe(&self) -> String {
        format!(
            "SuperTokens core {} (tenant {}, bulk import)",
            self.api.base_url(),
            self.opts.tenant
        )
    }

    fn capabilities(&self) -> SinkCapabilities {
        let opts = self.opts.clone();
        SinkCapabilities {
            holds: mapping::HOLDS.to_vec(),
            password_target: authferry_hash::PasswordTarget::Supertokens,
            requirements: vec![Requirement::Rule(UserRule::new(move |u: &User| {
                mapping::bulk_user(u, &opts, false).map(|_| ())
            }))],
        }
    }

    fn instance(&mut self) -> Option<String> {
        Some(format!("SuperTokens core {}", self.api.base_url()))
    }

    fn prepare(&mut self) -> Result<(), SinkError> {
        // Failed entries a finished run did not remove (it stopped first): the same users are
        // removed from the table before they are sent again.
        let entries = self.api.bulk_entries().map_err(backend)?;
        self.stale_failed.clear();
        for e in entries.into_iter().filter(|e| e.status == "FAILED") {
            if let Some(x) = e.external_user_id {
                self.stale_failed.entry(x).or_default().push(e.id);
            }
        }
        Ok(())
    }

    fn find_existing(&mut self, users: &[&User]) -> Result<Vec<Option<Existing>>, SinkError> {
        let api = &self.api;
        parallel(users, |u| {
            if let Some(st) = api.mapped(&u.source_id)? {
                return Ok(Some(Existing {
                    target_id: st,
                    same_id: true,
                    identifier: "id",
                }));
            }
            let mut queries: Vec<(&'static str, String)> = Vec::new();
            if let Some(e) = u.primary_email() {
                queries.push((
                    "email",
                    format!(
                        "email={}",
                        urlencoding::encode(&e.address.trim().to_lowercase())
                    ),
                ));
            }
            if let Some(p) = u.primary_phone() {
                queries.push((
                    "phone",
                    format!("phoneNumber={}", urlencoding::encode(p.number.trim())),
                ));
            }
            for (identifier, q) in queries {
                if let Some(holder) = api.holder(&q)? {
                    return Ok(Some(Existing {
                        target_id: holder,
                        same_id: false,
                        identifier,
                    }));
                }
            }
            Ok(None)
        })
        .map_err(backend)
    }

    fn write_batch(&mut self, batch: &[WriteItem<'_>]) -> Result<Vec<WriteOutcome>, SinkError> {
        let mut out: Vec<Option<WriteOutcome>> = (0..batch.len()).map(|_| None).collect();
        let mut built: Vec<Built> = Vec::new();
        let mut resumed: Vec<usize> = Vec::new();
        for (i, item) in batch.iter().enumerate() {
            match mapping::bulk_user(item.user, &self.opts, true) {
                Err(reason) => out[i] = Some(WriteOutcome::Failed { reason }),
                Ok(b) => {
                    self.firebase_users += b.firebase_scrypt as u64;
                    self.unlinked_users += (b.unlinked > 0) as u64;
                    if item.resumed {
                        resumed.push(built.len());
                    }
                    // Kept as JSON text: a tenth of a `Value`'s memory, for 10 000 users a batch.
                    built.push((
                        i,
                        item.user.source_id.trim().to_string(),
                        b.body.to_string(),
                    ));
                }
            }
        }
        // Records a crash left in flight may be in the core already.
        if !resumed.is_empty() {
            let ids: Vec<&str> = resumed.iter().map(|&n| built[n].1.as_str()).collect();
            let found = self.locate(&ids).map_err(backend)?;
            let mut done = HashSet::new();
            for (&n, f) in resumed.iter().zip(found) {
                let (i, id, _) = &built[n];
                match f {
                    Found::Queued => {
                        out[*i] = Some(WriteOutcome::Submitted { ticket: id.clone() });
                        done.insert(n);
                    }
                    Found::Imported => {
                        out[*i] = Some(WriteOutcome::Migrated {
                            target_id: id.clone(),
                        });
                        done.insert(n);
                    }
                    Found::Absent => {}
                }
            }
            built = built
                .into_iter()
                .enumerate()
                .filter(|(n, _)| !done.contains(n))
                .map(|(_, b)| b)
                .collect();
        }
        // A failure recorded by an earlier run is cleared before the user goes again.
        let stale: Vec<String> = built
            .iter()
            .filter_map(|(_, id, _)| self.stale_failed.remove(id))
            .flatten()
            .collect();
        if !stale.is_empty() {
            self.api.remove_entries(&stale).map_err(backend)?;
        }
        self.send(built, &mut out)?;
        Ok(out
            .into_iter()
            .map(|o| o.expect("every record of the batch is answered"))
            .collect())
    }

    fn preferred_batch_size(&self) -> Option<usize> {
        Some(MAX_BATCH)
    }

    fn settle(&mut self, tickets: &[Ticket]) -> Result<Vec<Option<WriteOutcome>>, SinkError> {
        let counts = self.counts().map_err(backend)?;
        self.rounds_since_read += 1;
        if self.last_counts == Some(counts) && self.rounds_since_read < READ_AT_LEAST_EVERY {
            // Nothing moved in the core's table since it was last read: the same answers.
            return Ok(tickets.iter().map(|_| None).collect());
        }
        let [new, processing, _, _] = counts;
        let entries = if new + processing == 0 {
            // Nothing left to process: failures are all there is to read (they stay put).
            self.api.bulk_entries_in(Some("FAILED")).map_err(backend)?
        } else {
            self.api.bulk_entries().map_err(backend)?
        };
        self.last_counts = Some(counts);
        self.rounds_since_read = 0;
        let by_id = by_external_id(&entries);
        let mut answers = Vec::with_capacity(tickets.len());
        for t in tickets {
            let found = by_id.get(t.ticket.as_str());
            let answer = match found {
                None => Some(WriteOutcome::Migrated {
                    target_id: t.ticket.clone(),
                }),
                Some(es) if es.iter().any(|e| e.status != "FAILED") => None,
                Some(es) => {
                    let message = es
                        .iter()
                        .find_map(|e| e.error_message.clone())
                        .unwrap_or_else(|| "failed, without a message".into());
                    self.answered_failed.extend(es.iter().map(|e| e.id.clone()));
                    Some(self.outcome_of_failure(es[0], &message).map_err(backend)?)
                }
            };
            answers.push(answer);
        }
        Ok(answers)
    }

    fn settle_interval(&self) -> Duration {
        self.poll
    }

    fn plan_notes(&mut self) -> Vec<String> {
        self.notes()
    }

    fn status(&mut self) -> Result<Vec<(String, u64)>, SinkError> {
        let [new, processing, failed, _] = self.counts().map_err(backend)?;
        Ok(vec![
            ("waiting in the core's bulk-import queue (NEW)".into(), new),
            ("being imported by the core (PROCESSING)".into(), processing),
            (
                "failed in the core, not yet recorded by a run (FAILED)".into(),
                failed,
            ),
        ])
    }

    fn finish(&mut self) -> Result<Vec<String>, SinkError> {
        // Recorded now: the core's table need not keep them (a retry sends them afresh).
        let ids = std::mem::take(&mut self.answered_failed);
        if !ids.is_empty() {
            self.api.remove_entries(&ids).map_err(backend)?;
        }
        let mut notes = self.notes();
        notes.push(
            "Users keep their old id as SuperTokens' externalUserId: the core answers with it wherever a user id appears, so the application's foreign keys stay valid.".into(),
        );
        Ok(notes)
    }
}

impl SupertokensSink {
    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.firebase_users > 0 {
            notes.push(format!(
                "{} users have Firebase scrypt passwords: the core verifies them only with the Firebase project's signer key as firebase_password_hashing_signer_key (and its salt separator) in its configuration.",
                self.firebase_users
            ));
        }
        if self.unlinked_users > 0 {
            notes.push(format!(
                "{} users have more than one sign-in method and the core has no account linking: each got one method, the others are listed in its metadata (unlinked_login_methods).",
                self.unlinked_users
            ));
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_request_is_the_entries_as_sent() {
        let users = vec![
            (0, "a".to_string(), r#"{"externalUserId":"a"}"#.to_string()),
            (3, "b".to_string(), r#"{"externalUserId":"b"}"#.to_string()),
        ];
        let v: Value = serde_json::from_slice(&request_body(&users)).unwrap();
        assert_eq!(
            v,
            json!({"users": [{"externalUserId": "a"}, {"externalUserId": "b"}]})
        );
    }

    #[test]
    fn refusals_by_index_are_read() {
        let body = r#"{"error":"Data has missing or invalid fields. Please check the users field for more details.","users":[{"index":1,"errors":["Role admin does not exist."]}]}"#;
        assert_eq!(
            errors_by_index(body),
            Some(vec![(1, vec!["Role admin does not exist.".to_string()])])
        );
        assert_eq!(
            errors_by_index(r#"{"error":"You can only add 10000 users at a time."}"#),
            None
        );
    }

    #[test]
    fn the_cores_messages_name_the_records_field() {
        let roles: mapping::RolesFrom = "public_metadata.roles".parse().unwrap();
        assert_eq!(
            about_field("Role superadmin does not exist.", Some(&roles)),
            "field `public_metadata.roles`: "
        );
        assert_eq!(
            about_field("Password hash is in invalid BCrypt format", None),
            "field `password`: "
        );
        assert_eq!(
            about_field(
                "E034: Role does not exist! You need to pre-create the role",
                None
            ),
            "field `roles`: "
        );
        assert_eq!(about_field("Internal Error", None), "");
    }

    #[test]
    fn conflicts_name_the_identifier_to_look_up() {
        assert_eq!(
            conflict_query(
                "E003: A user with email kit-0@example.com already exists in emailpassword loginMethod."
            )
            .as_deref(),
            Some("email=kit-0%40example.com")
        );
        assert_eq!(
            conflict_query("E007: A user with phoneNumber +15551234567 already exists in passwordless loginMethod.").as_deref(),
            Some("phoneNumber=%2B15551234567")
        );
        assert_eq!(
            conflict_query("E005: A user with thirdPartyId google and thirdPartyUserId g-1 already exists in thirdparty loginMethod.").as_deref(),
            Some("thirdPartyId=google&thirdPartyUserId=g-1")
        );
    }
}
