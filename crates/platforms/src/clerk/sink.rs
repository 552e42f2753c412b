//! `--to clerk`: users created through Clerk's Backend API, one `POST /v1/users` each, at the
//! instance's published rate limit, exactly once.
//!
//! * Every body is built from the canonical user as the published spec's CreateUser schema
//!   defines it and checked against that schema (embedded, extracted from the spec by
//!   `scripts/extract-clerk-schema`) before it is sent; a body that does not fit fails its
//!   record and is never sent.
//! * Workers share one limiter (see [`crate::remote`]); a 429 pauses all of them for its
//!   `Retry-After`. 5xx, timeouts and resets are retried with jittered exponential backoff.
//! * Exactly once: `external_id` is the record's source id. A request whose outcome is unknown
//!   (a timeout, a reset after sending, a 5xx that may have come after the user was stored)
//!   is resolved by `GET /v1/users?external_id=…` before any retry, and so is every record a
//!   crash left in flight (the journal marks them `resumed`), in one lookup per 50 records.
//!   A `form_identifier_exists` refusal is resolved the same way: the user holding the
//!   identifier is this record when it carries this record's external id.
//! * Batches overlap ([`Sink::pipeline_depth`]): workers take the next batch's records while a
//!   slow request of the previous one is still out, so the budget is used to the end.

use super::api::{ApiError, Attempt, ClerkApi, ClerkError, fatal_message, is_fatal};
use authferry_core::{
    Ack, Answer, Existing, Field, Queued, Reason, ReasonCode, RequestBudget, Sink,
    SinkCapabilities, SinkError, User, Work, WriteItem, WriteOutcome,
};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};

/// CreateUser's request body schema, from Clerk's published Backend API spec (2026-05-12).
const CREATE_USER_SCHEMA: &str = include_str!("create_user.schema.json");

fn create_user_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA
        .get_or_init(|| serde_json::from_str(CREATE_USER_SCHEMA).expect("embedded schema is JSON"))
}

/// What Clerk's CreateUser can hold of a canonical user (a display name only when there is
/// no first or last name: it becomes the first name). Not here: OAuth links (Clerk links
/// them again on the user's first OAuth sign-in with the same verified email), image URLs,
/// update and last-sign-in times, and the source's own external id (the
/// record's source id takes its place, for exactly-once and foreign keys).
pub(super) const HOLDS: &[Field] = &[
    Field::PrimaryEmail,
    Field::SecondaryEmails,
    Field::PrimaryPhone,
    Field::SecondaryPhones,
    Field::Username,
    Field::FirstName,
    Field::LastName,
    Field::DisplayName,
    Field::Password,
    Field::TotpSecret,
    Field::BackupCodes,
    Field::PublicMetadata,
    Field::PrivateMetadata,
    Field::UnsafeMetadata,
    Field::CreatedAt,
    Field::Banned,
    Field::Locked,
];

pub struct ClerkSink {
    api: Arc<ClerkApi>,
    workers: usize,
    /// The instance the key opens, as `prepare` found it.
    instance: Option<String>,
}

impl ClerkSink {
    pub fn new(api: ClerkApi) -> Self {
        // Enough requests in flight to keep the budget busy through slow answers (Clerk
        // answers in ~100-300 ms; a slow one takes seconds), bounded so a small budget does
        // not open a crowd of idle connections.
        let workers = (api.limiter().per_second() as usize).clamp(16, 64);
        ClerkSink {
            api: Arc::new(api),
            workers,
            instance: None,
        }
    }
}

/// The CreateUser body for `user`. `Err` names the field Clerk cannot take as it is.
pub fn create_user_body(user: &User) -> Result<Value, Reason> {
    let mut b = Map::new();
    b.insert("external_id".into(), json!(user.source_id));
    // Primary first: Clerk makes the first address (and phone) the primary one.
    let primary_email = user.primary_email();
    put_identifiers(
        &mut b,
        "email_address",
        primary_first(&user.emails, primary_email)
            .map(|e| (e.address.as_str(), e.verified))
            .collect(),
    );
    let primary_phone = user.primary_phone();
    put_identifiers(
        &mut b,
        "phone_number",
        primary_first(&user.phones, primary_phone)
            .map(|p| (p.number.as_str(), p.verified))
            .collect(),
    );
    for (key, value) in [
        ("username", &user.username),
        ("first_name", &user.first_name),
        ("last_name", &user.last_name),
    ] {
        if let Some(v) = value {
            b.insert(key.into(), json!(v));
        }
    }
    // A single display name (Auth.js `name`) goes whole into first_name: splitting it would
    // guess wrong for many names, and nothing of it is lost this way.
    if user.first_name.is_none()
        && user.last_name.is_none()
        && let Some(name) = user
            .display_name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
    {
        b.insert("first_name".into(), json!(name));
    }
    match &user.password {
        Some(pw) => {
            let params = authferry_hash::ExtParams::from_json(&pw.params).unwrap_or_default();
            let hasher =
                authferry_hash::identify_with(pw.digest.expose(), pw.hasher.as_deref(), &params)
                    .ok()
                    .and_then(|id| id.format.clerk_hasher())
                    .ok_or_else(|| {
                        Reason::new(
                            ReasonCode::UnverifiableHash,
                            "field `password`: Clerk has no password_hasher for this digest"
                                .to_string(),
                        )
                    })?;
            b.insert("password_digest".into(), json!(pw.digest.expose()));
            b.insert("password_hasher".into(), json!(hasher));
        }
        None => {
            b.insert("skip_password_requirement".into(), json!(true));
        }
    }
    if let Some(t) = &user.totp_secret {
        b.insert("totp_secret".into(), json!(t.expose()));
    }
    if !user.backup_codes.is_empty() {
        b.insert(
            "backup_codes".into(),
            json!(
                user.backup_codes
                    .iter()
                    .map(|c| c.expose())
                    .collect::<Vec<_>>()
            ),
        );
    }
    for (key, value) in [
        ("public_metadata", &user.public_metadata),
        ("private_metadata", &user.private_metadata),
        ("unsafe_metadata", &user.unsafe_metadata),
    ] {
        if let Some(v) = value.as_ref().filter(|v| !v.is_null()) {
            b.insert(key.into(), v.clone());
        }
    }
    if let Some(c) = user.created_at {
        b.insert("created_at".into(), json!(c.to_rfc3339()));
    }
    if user.banned {
        b.insert("banned".into(), json!(true));
    }
    if user.locked {
        b.insert("locked".into(), json!(true));
    }
    let body = Value::Object(b);
    crate::openapi::validate(&body, create_user_schema()).map_err(|why| {
        Reason::new(
            ReasonCode::InvalidField,
            format!("{why} (Clerk's CreateUser schema); not sent"),
        )
    })?;
    Ok(body)
}

/// `items` with `primary` (one of them) first, the rest in their order.
fn primary_first<'a, T>(items: &'a [T], primary: Option<&'a T>) -> impl Iterator<Item = &'a T> {
    let is_primary = move |t: &&T| primary.is_some_and(|p| std::ptr::eq(*t, p));
    items
        .iter()
        .filter(is_primary)
        .chain(items.iter().filter(move |t| !is_primary(t)))
}

/// `key` = the values, and `key_identification_status` when any is unverified: "reserved" is
/// Clerk's usable-but-unverified state, so an unverified address does not become verified.
fn put_identifiers(b: &mut Map<String, Value>, key: &str, values: Vec<(&str, bool)>) {
    if values.is_empty() {
        return;
    }
    b.insert(
        key.into(),
        json!(values.iter().map(|(v, _)| *v).collect::<Vec<_>>()),
    );
    if values.iter().any(|(_, verified)| !verified) {
        let status: Vec<&str> = values
            .iter()
            .map(|(_, verified)| if *verified { "verified" } else { "reserved" })
            .collect();
        b.insert(format!("{key}_identification_status"), json!(status));
    }
}

/// One record's request, ready to send. Holds the body (digests, secrets): never printed.
struct Job {
    seq: u64,
    external_id: String,
    body: Vec<u8>,
    /// The identifiers a `form_identifier_exists` may be about.
    emails: Vec<String>,
    phones: Vec<String>,
    username: Option<String>,
    /// An earlier attempt (before a crash) may have stored the user already.
    resumed: bool,
}

impl Job {
    fn new(seq: u64, user: &User, body: &Value, resumed: bool) -> Self {
        Job {
            seq,
            external_id: user.source_id.clone(),
            body: serde_json::to_vec(body).expect("a JSON value serialises"),
            emails: user.emails.iter().map(|e| e.address.clone()).collect(),
            phones: user.phones.iter().map(|p| p.number.clone()).collect(),
            username: user.username.clone(),
            resumed,
        }
    }
}

/// The id of the Clerk user whose `external_id` is `external_id`, if there is one.
fn find_own(api: &ClerkApi, external_id: &str) -> Result<Option<String>, ApiError> {
    Ok(api
        .users_where("external_id", &[external_id])?
        .iter()
        .find(|u| u.get("external_id").and_then(Value::as_str) == Some(external_id))
        .and_then(|u| u.get("id").and_then(Value::as_str).map(str::to_owned)))
}

fn failed(message: String) -> WriteOutcome {
    WriteOutcome::Failed {
        reason: Reason::new(ReasonCode::TargetRejected, message),
    }
}

/// Sends one record until Clerk gives a final answer. `Err` only for what stops the run.
fn deliver(api: &ClerkApi, job: &Job) -> Result<WriteOutcome, SinkError> {
    let to_sink_error = |e: ApiError| match e {
        ApiError::Fatal(m) => Err(SinkError::Backend(m)),
        ApiError::Failed(m) => Ok(failed(format!(
            "could not tell whether Clerk stored the user ({m}); re-run to resolve it"
        ))),
    };
    // Whether the user may already be in Clerk because of this record: a crash left it in
    // flight, or an answer was lost.
    let mut unknown = job.resumed;
    let mut sent_this_run = false;
    let mut failures = 0u32;
    let mut limited = 0u32;
    loop {
        if unknown {
            match find_own(api, &job.external_id) {
                Ok(Some(id)) => return Ok(WriteOutcome::Migrated { target_id: id }),
                Ok(None) => unknown = false,
                Err(e) => return to_sink_error(e),
            }
        }
        let last = match api.attempt("POST", "/v1/users", Some(&job.body)) {
            Attempt::Reply {
                status: 200, body, ..
            } => {
                return Ok(match serde_json::from_str::<Value>(&body)
                    .ok()
                    .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_owned))
                {
                    Some(id) => WriteOutcome::Migrated { target_id: id },
                    // Stored, but without an id we cannot record it; the lookup finds it.
                    None => match find_own(api, &job.external_id) {
                        Ok(Some(id)) => WriteOutcome::Migrated { target_id: id },
                        Ok(None) => failed("Clerk answered 200 without a user id, and no user carries this record's external id".into()),
                        Err(e) => return to_sink_error(e),
                    },
                });
            }
            Attempt::Reply {
                status: 429,
                retry_after,
                ..
            } => {
                if let Err(m) = api.wait_after_429(&mut limited, retry_after.as_deref()) {
                    return Ok(failed(m));
                }
                continue;
            }
            Attempt::Reply { status, .. } if status >= 500 => {
                // Clerk may have stored the user before failing.
                unknown = true;
                sent_this_run = true;
                format!("HTTP {status}")
            }
            Attempt::Reply { status, body, .. } => {
                let errors = ClerkError::parse(status, &body);
                let text = ClerkError::describe_all(&errors);
                if is_fatal(status) {
                    return Err(SinkError::Backend(fatal_message(status, &text)));
                }
                if let Some(e) = errors.iter().find(|e| e.code == "form_identifier_exists") {
                    match resolve_conflict(
                        api,
                        job,
                        e.param.as_deref(),
                        sent_this_run || job.resumed,
                    ) {
                        Ok(Some(outcome)) => return Ok(outcome),
                        // The holder is gone again (deleted meanwhile): try once more.
                        Ok(None) => format!("HTTP {status} {text}"),
                        Err(e) => return to_sink_error(e),
                    }
                } else {
                    return Ok(failed(format!(
                        "Clerk refused the user (HTTP {status}): {text}"
                    )));
                }
            }
            Attempt::NotSent(m) => m,
            Attempt::Unknown(m) => {
                unknown = true;
                sent_this_run = true;
                m
            }
        };
        failures += 1;
        if failures >= api.backoff.max_attempts {
            if unknown {
                // The last attempt may still have stored the user: look once more.
                match find_own(api, &job.external_id) {
                    Ok(Some(id)) => return Ok(WriteOutcome::Migrated { target_id: id }),
                    Ok(None) => {}
                    Err(e) => return to_sink_error(e),
                }
            }
            return Ok(failed(format!(
                "gave up after {failures} attempts; last: {last}"
            )));
        }
        std::thread::sleep(api.backoff.delay(failures));
    }
}

/// After `form_identifier_exists`: the user holding the identifier is this record when it
/// carries this record's external id (stored by a lost attempt of this run, a crashed run, or
/// an earlier run whose journal is gone); any other holder makes this record a skip. `None`
/// when no holder can be found.
fn resolve_conflict(
    api: &ClerkApi,
    job: &Job,
    param: Option<&str>,
    ours_this_run: bool,
) -> Result<Option<WriteOutcome>, ApiError> {
    let lowered: Vec<String> = job.emails.iter().map(|e| e.to_lowercase()).collect();
    let mut emails: Vec<&str> = job.emails.iter().map(String::as_str).collect();
    emails.extend(
        lowered
            .iter()
            .map(String::as_str)
            .filter(|l| !job.emails.iter().any(|e| e == l)),
    );
    let phones: Vec<&str> = job.phones.iter().map(String::as_str).collect();
    let username: Vec<&str> = job.username.iter().map(String::as_str).collect();
    let own = [job.external_id.as_str()];
    let all: [(&str, &[&str]); 4] = [
        ("external_id", &own),
        ("email_address", &emails),
        ("phone_number", &phones),
        ("username", &username),
    ];
    // The parameter Clerk named first, then the others.
    let order = all
        .iter()
        .filter(|(p, _)| Some(*p) == param)
        .chain(all.iter().filter(|(p, _)| Some(*p) != param));
    for (p, values) in order {
        if values.is_empty() {
            continue;
        }
        let Some(holder) = api.users_where(p, values)?.into_iter().next() else {
            continue;
        };
        let id = holder
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if holder.get("external_id").and_then(Value::as_str) == Some(job.external_id.as_str()) {
            return Ok(Some(if ours_this_run {
                WriteOutcome::Migrated { target_id: id }
            } else {
                WriteOutcome::AlreadyPresent { target_id: id }
            }));
        }
        return Ok(Some(WriteOutcome::Skipped {
            reason: Reason::new(
                ReasonCode::ExistsInTarget,
                format!("{p} already in Clerk as user {id}"),
            ),
            target_id: Some(id),
        }));
    }
    Ok(None)
}

/// The identifiers a Clerk user object holds, as `find_existing` compares them (emails and
/// usernames lower-cased: Clerk treats them case-insensitively).
fn held_identifiers(u: &Value) -> Vec<(&'static str, String)> {
    let mut keys = Vec::new();
    if let Some(ext) = u.get("external_id").and_then(Value::as_str) {
        keys.push(("external_id", ext.to_string()));
    }
    let list = |field: &str, inner: &str| -> Vec<String> {
        u.get(field)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.get(inner).and_then(Value::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    for e in list("email_addresses", "email_address") {
        keys.push(("email_address", e.to_lowercase()));
    }
    for p in list("phone_numbers", "phone_number") {
        keys.push(("phone_number", p));
    }
    if let Some(n) = u.get("username").and_then(Value::as_str) {
        keys.push(("username", n.to_lowercase()));
    }
    keys
}

impl Sink for ClerkSink {
    fn describe(&self) -> String {
        format!("Clerk Backend API at {}", self.api.base_url())
    }

    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities {
            holds: HOLDS.to_vec(),
            password_target: super::platform::PASSWORD,
            requirements: Vec::new(),
        }
    }

    /// Known once `prepare` asked (so that a re-run costs one request, not two).
    fn instance(&mut self) -> Option<String> {
        self.instance.clone()
    }

    fn prepare(&mut self) -> Result<(), SinkError> {
        // One cheap read, which names the instance for the journal: a wrong key or URL stops
        // the run before any record is sent.
        match self.api.instance() {
            Ok(instance) => self.instance = Some(instance),
            Err(e @ ApiError::Fatal(_)) => return Err(SinkError::Connect(e.to_string())),
            // Not answered this time (or not served by this server): the instance stays
            // unknown for this run, which then neither binds nor checks the journal's.
            Err(ApiError::Failed(_)) => {
                self.api
                    .get_json("/v1/users?limit=1")
                    .map_err(|e| SinkError::Connect(e.to_string()))?;
            }
        }
        Ok(())
    }

    fn find_existing(&mut self, users: &[&User]) -> Result<Vec<Option<Existing>>, SinkError> {
        let mut holders: HashMap<(&'static str, String), (String, Option<String>)> = HashMap::new();
        let lists: [(&'static str, Vec<String>); 4] = [
            (
                "external_id",
                users.iter().map(|u| u.source_id.clone()).collect(),
            ),
            (
                "email_address",
                users
                    .iter()
                    .flat_map(|u| u.emails.iter().map(|e| e.address.to_lowercase()))
                    .collect(),
            ),
            (
                "phone_number",
                users
                    .iter()
                    .flat_map(|u| u.phones.iter().map(|p| p.number.clone()))
                    .collect(),
            ),
            (
                "username",
                users
                    .iter()
                    .filter_map(|u| u.username.as_ref().map(|n| n.to_lowercase()))
                    .collect(),
            ),
        ];
        for (param, values) in &lists {
            if values.is_empty() {
                continue;
            }
            let refs: Vec<&str> = values.iter().map(String::as_str).collect();
            for u in self
                .api
                .users_where(param, &refs)
                .map_err(|e| SinkError::Backend(e.to_string()))?
            {
                let id = u
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let ext = u
                    .get("external_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                for key in held_identifiers(&u) {
                    holders.entry(key).or_insert((id.clone(), ext.clone()));
                }
            }
        }
        Ok(users
            .iter()
            .map(|u| {
                let mine = u.source_id.as_str();
                let keys = std::iter::once(("external_id", mine.to_string()))
                    .chain(
                        u.emails
                            .iter()
                            .map(|e| ("email_address", e.address.to_lowercase())),
                    )
                    .chain(u.phones.iter().map(|p| ("phone_number", p.number.clone())))
                    .chain(u.username.iter().map(|n| ("username", n.to_lowercase())));
                keys.into_iter().find_map(|(param, value)| {
                    holders.get(&(param, value)).map(|(id, ext)| Existing {
                        target_id: id.clone(),
                        same_id: ext.as_deref() == Some(mine),
                        identifier: param,
                    })
                })
            })
            .collect())
    }

    fn write_batch(&mut self, batch: &[WriteItem<'_>]) -> Result<Vec<WriteOutcome>, SinkError> {
        let owned: Vec<Queued> = batch
            .iter()
            .enumerate()
            .map(|(i, w)| Queued {
                seq: i as u64,
                user: w.user.clone(),
                resumed: w.resumed,
            })
            .collect();
        let (to_stream, work) = std::sync::mpsc::sync_channel(1);
        let (answers, from_stream) = std::sync::mpsc::channel();
        to_stream
            .send(Work::Write(owned))
            .expect("the receiver is alive");
        drop(to_stream);
        self.write_stream(work, answers);
        let mut outcomes: Vec<Option<WriteOutcome>> = (0..batch.len()).map(|_| None).collect();
        for answer in from_stream {
            for Ack { seq, outcome } in answer? {
                outcomes[seq as usize] = Some(outcome);
            }
        }
        outcomes
            .into_iter()
            .map(|o| {
                o.ok_or_else(|| {
                    SinkError::Backend("the Clerk writer stopped without an answer".into())
                })
            })
            .collect()
    }

    fn pipeline_depth(&self) -> usize {
        // ~30 s of requests ahead: a record whose retries take that long (slow answers,
        // backoff, lookups) never holds the workers back. A crash leaves these in flight; a
        // resume finds them with one lookup per 50.
        32
    }

    fn preferred_batch_size(&self) -> Option<usize> {
        // About a second of requests: progress and journal commits stay frequent, and a crash
        // leaves few records to look up.
        Some((self.api.limiter().per_second().ceil() as usize).clamp(10, 500))
    }

    fn request_budget(&self) -> Option<RequestBudget> {
        Some(RequestBudget {
            per_second: self.api.limiter().per_second(),
            requests_per_user: 1.0,
            describe: self.api.describe_budget(),
        })
    }

    /// Workers answer each record as its request ends, in any order; the engine bounds how
    /// many are in flight.
    fn write_stream(&mut self, work: Receiver<Work>, answers: Sender<Answer>) {
        let api = &*self.api;
        // A fatal error happened: workers drop their jobs, the feeder takes no more work.
        let stopped = AtomicBool::new(false);
        let stop = |e: SinkError| {
            if !stopped.swap(true, Ordering::SeqCst) {
                let _ = answers.send(Err(e));
            }
        };
        // Bounded: the feeder waits when workers are behind, and so does the engine.
        let (jobs, job_rx) = std::sync::mpsc::sync_channel::<Job>(self.workers * 2);
        let job_rx = Mutex::new(job_rx);
        std::thread::scope(|scope| {
            for _ in 0..self.workers {
                scope.spawn(|| {
                    loop {
                        let job = match job_rx.lock().expect("job queue").recv() {
                            Ok(job) => job,
                            Err(_) => return,
                        };
                        if stopped.load(Ordering::SeqCst) {
                            continue;
                        }
                        match deliver(api, &job) {
                            Ok(outcome) => {
                                let _ = answers.send(Ok(vec![Ack {
                                    seq: job.seq,
                                    outcome,
                                }]));
                            }
                            Err(e) => stop(e),
                        }
                    }
                });
            }
            for w in work {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let batch = match w {
                    Work::Write(batch) => batch,
                    Work::Settle(_) => {
                        stop(SinkError::Config(
                            "Clerk answers every record at once: it has no tickets to settle"
                                .into(),
                        ));
                        break;
                    }
                };
                let mut answered: Vec<Ack> = Vec::new();
                let mut pending: Vec<Job> = Vec::new();
                // Records a crash left in flight: one lookup per 50 finds those that arrived.
                let resumed: Vec<&str> = batch
                    .iter()
                    .filter(|q| q.resumed)
                    .map(|q| q.user.source_id.as_str())
                    .collect();
                let mut lookup_failed = false;
                let arrived: HashMap<String, String> =
                    match api.users_where("external_id", &resumed) {
                        Ok(users) => users
                            .iter()
                            .filter_map(|u| {
                                Some((
                                    u.get("external_id")?.as_str()?.to_string(),
                                    u.get("id")?.as_str()?.to_string(),
                                ))
                            })
                            .collect(),
                        // Each record then looks itself up before it is sent.
                        Err(ApiError::Failed(_)) => {
                            lookup_failed = true;
                            HashMap::new()
                        }
                        Err(ApiError::Fatal(m)) => {
                            stop(SinkError::Backend(m));
                            break;
                        }
                    };
                for q in &batch {
                    if let Some(target_id) = arrived.get(&q.user.source_id) {
                        answered.push(Ack {
                            seq: q.seq,
                            outcome: WriteOutcome::Migrated {
                                target_id: target_id.clone(),
                            },
                        });
                        continue;
                    }
                    match create_user_body(&q.user) {
                        // A resumed record not found above was not stored (unless the lookup
                        // failed; then it looks itself up).
                        Ok(body) => pending.push(Job::new(
                            q.seq,
                            &q.user,
                            &body,
                            q.resumed && lookup_failed,
                        )),
                        Err(reason) => answered.push(Ack {
                            seq: q.seq,
                            outcome: WriteOutcome::Failed { reason },
                        }),
                    }
                }
                if !answered.is_empty() {
                    let _ = answers.send(Ok(answered));
                }
                for job in pending {
                    if jobs.send(job).is_err() {
                        break;
                    }
                }
            }
            drop(jobs);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use authferry_core::{EmailAddress, PasswordCredential, Secret};

    #[test]
    fn body_puts_the_primary_first_and_keeps_unverified_reserved() {
        let user = User {
            source_id: "u1".into(),
            emails: vec![
                EmailAddress {
                    address: "old@example.com".into(),
                    verified: false,
                    primary: false,
                },
                EmailAddress {
                    address: "main@example.com".into(),
                    verified: true,
                    primary: true,
                },
            ],
            display_name: Some("Ada Lovelace".into()),
            password: Some(PasswordCredential {
                hasher: None,
                digest: Secret::new("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
                params: Default::default(),
            }),
            ..Default::default()
        };
        let body = create_user_body(&user).unwrap();
        assert_eq!(
            body["email_address"],
            json!(["main@example.com", "old@example.com"])
        );
        assert_eq!(
            body["email_address_identification_status"],
            json!(["verified", "reserved"])
        );
        assert_eq!(body["external_id"], "u1");
        assert_eq!(body["first_name"], "Ada Lovelace");
        // The hasher comes from the digest when the source named none.
        assert_eq!(body["password_hasher"], "bcrypt");
        assert!(body.get("skip_password_requirement").is_none());
        assert!(body.get("phone_number").is_none());

        let bare = User {
            source_id: "u2".into(),
            username: Some("ada".into()),
            ..Default::default()
        };
        let body = create_user_body(&bare).unwrap();
        assert_eq!(body["skip_password_requirement"], true);
        assert!(body.get("email_address_identification_status").is_none());
    }
}
