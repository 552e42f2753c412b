//! The HTTP service: `POST /v1/login` (trickle migration), `POST /v1/session` (session
//! fallback), `/healthz`, `/metrics`.
//!
//! * Callers (the application's backend) present `Authorization: Bearer $AUTHFERRY_SERVE_TOKEN`.
//! * Wrong password and unknown identifier get the same 401 after the same work: an unknown
//!   identifier is verified against a dummy digest of the source's usual kind.
//! * Password work runs on a bounded pool (`limits.hash_workers`); when `limits.hash_queue`
//!   sign-ins already wait for it, the server answers 503 with `Retry-After` instead of queueing
//!   without end.
//! * Failed attempts are limited per identifier and per client address (429 with
//!   `Retry-After`); correct sign-ins never count.
//! * Logs are one JSON object per line on stderr, with no password, digest, token or secret
//!   (identifiers appear as a short hash).

use crate::config::Limits;
use crate::migrator::{Found, MigratorThread, Moved};
use authferry_core::{Secret, User};
use authferry_hash::Format;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Everything a request handler shares.
pub struct AppState {
    pub migrator: MigratorThread,
    pub token: Secret,
    pub native: Option<Format>,
    pub dummy: Option<(String, Option<String>)>,
    hash_permits: Arc<Semaphore>,
    hash_waiting: AtomicUsize,
    hash_queue: usize,
    by_identifier: FailureWindow<String>,
    by_client: FailureWindow<IpAddr>,
    wait_for_replica: Duration,
    pub metrics: Metrics,
    /// The old platform's session tokens, when `[session]` is configured.
    pub session: Option<crate::session::SessionVerifier>,
}

impl AppState {
    pub fn new(
        migrator: MigratorThread,
        token: Secret,
        native: Option<Format>,
        dummy: Option<(String, Option<String>)>,
        limits: &Limits,
    ) -> AppState {
        AppState {
            migrator,
            token,
            native,
            dummy,
            hash_permits: Arc::new(Semaphore::new(limits.hash_workers.max(1))),
            hash_waiting: AtomicUsize::new(0),
            hash_queue: limits.hash_queue,
            by_identifier: FailureWindow::new(limits.attempts_per_identifier, limits.window()),
            by_client: FailureWindow::new(limits.attempts_per_client, limits.window()),
            wait_for_replica: Duration::from_secs(limits.wait_for_other_replica_seconds),
            metrics: Metrics::default(),
            session: None,
        }
    }

    /// Forgets the failures of windows that have ended (bounded memory).
    pub fn forget_idle_limits(&self) {
        self.by_identifier.forget_ended();
        self.by_client.forget_ended();
    }
}

/// Failed sign-ins per key (an identifier, a client address) in fixed windows: `limit`
/// failures per window, then every attempt is refused until the window ends. Only failures
/// count, so a user signing in correctly (or 50 requests of one sign-in) is never limited.
pub struct FailureWindow<K> {
    limit: u32,
    window: Duration,
    seen: std::sync::Mutex<HashMap<K, (Instant, u32)>>,
}

impl<K: Hash + Eq + Clone> FailureWindow<K> {
    pub fn new(limit: u32, window: Duration) -> Self {
        FailureWindow {
            limit: limit.max(1),
            window,
            seen: Default::default(),
        }
    }

    /// `Err(seconds to wait)` when `key` has used up its failures in the current window.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        let seen = self.seen.lock().expect("limits lock");
        match seen.get(key) {
            Some((start, n)) if *n >= self.limit && start.elapsed() < self.window => {
                Err(self.window - start.elapsed())
            }
            _ => Ok(()),
        }
    }

    pub fn failed(&self, key: &K) {
        let mut seen = self.seen.lock().expect("limits lock");
        let e = seen.entry(key.clone()).or_insert((Instant::now(), 0));
        if e.0.elapsed() >= self.window {
            *e = (Instant::now(), 0);
        }
        e.1 += 1;
    }

    fn forget_ended(&self) {
        let window = self.window;
        self.seen
            .lock()
            .expect("limits lock")
            .retain(|_, (start, _)| start.elapsed() < window);
    }
}

/// Counters and latency histograms, rendered in Prometheus' text format.
#[derive(Default)]
pub struct Metrics {
    pub logins: [AtomicU64; Outcome::COUNT],
    /// Session checks: valid, refused, unavailable (keys could not be fetched).
    pub sessions: [AtomicU64; 3],
    latency: Histogram,
    hash: Histogram,
    pub moved: AtomicU64,
}

/// Latency buckets in seconds (a cumulative histogram).
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Histogram {
    counts: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        let i = BUCKETS
            .iter()
            .position(|b| s <= *b)
            .unwrap_or(BUCKETS.len());
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    fn render(&self, name: &str, help: &str, out: &mut String) {
        use std::fmt::Write;
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, b) in BUCKETS.iter().enumerate() {
            cumulative += self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {cumulative}");
        }
        cumulative += self.counts[BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {cumulative}");
    }
}

/// How a sign-in ended (the metric's label and the log's `outcome`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    MigratedBefore,
    MigratedNow,
    InvalidCredentials,
    RateLimited,
    Busy,
    TargetRefused,
    Unauthorized,
    Error,
}

impl Outcome {
    const COUNT: usize = 8;
    const ALL: [Outcome; Outcome::COUNT] = [
        Outcome::MigratedBefore,
        Outcome::MigratedNow,
        Outcome::InvalidCredentials,
        Outcome::RateLimited,
        Outcome::Busy,
        Outcome::TargetRefused,
        Outcome::Unauthorized,
        Outcome::Error,
    ];
    fn name(self) -> &'static str {
        match self {
            Outcome::MigratedBefore => "migrated_before",
            Outcome::MigratedNow => "migrated_now",
            Outcome::InvalidCredentials => "invalid_credentials",
            Outcome::RateLimited => "too_many_attempts",
            Outcome::Busy => "busy",
            Outcome::TargetRefused => "target_refused",
            Outcome::Unauthorized => "unauthorized",
            Outcome::Error => "error",
        }
    }
}

impl Metrics {
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        out.push_str("# HELP authferry_logins_total Sign-ins by outcome.\n# TYPE authferry_logins_total counter\n");
        for o in Outcome::ALL {
            let _ = writeln!(
                out,
                "authferry_logins_total{{outcome=\"{}\"}} {}",
                o.name(),
                self.logins[o as usize].load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP authferry_users_moved_total Users this server moved to the target.\n# TYPE authferry_users_moved_total counter\nauthferry_users_moved_total {}",
            self.moved.load(Ordering::Relaxed)
        );
        out.push_str("# HELP authferry_sessions_total Old-platform session checks by outcome.\n# TYPE authferry_sessions_total counter\n");
        for (i, name) in ["valid", "refused", "unavailable"].iter().enumerate() {
            let _ = writeln!(
                out,
                "authferry_sessions_total{{outcome=\"{name}\"}} {}",
                self.sessions[i].load(Ordering::Relaxed)
            );
        }
        self.latency
            .render("authferry_login_seconds", "Sign-in latency.", &mut out);
        self.hash.render(
            "authferry_hash_seconds",
            "Password verification and hashing time.",
            &mut out,
        );
        out
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/login", post(login))
        .route("/v1/session", post(session))
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            "/metrics",
            get(|State(s): State<Arc<AppState>>| async move {
                (
                    [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                    s.metrics.render(),
                )
            }),
        )
        // A sign-in is two short strings.
        .layer(DefaultBodyLimit::max(16 * 1024))
        .with_state(state)
}

#[derive(Deserialize)]
pub struct LoginRequest {
    identifier: String,
    password: String,
}

fn answer(status: StatusCode, body: serde_json::Value, retry_after: Option<u64>) -> Response {
    let mut r = (status, Json(body)).into_response();
    if let Some(s) = retry_after {
        r.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_str(&s.max(1).to_string()).expect("digits"),
        );
    }
    r
}

/// The one answer to a wrong password and to an unknown identifier.
fn invalid_credentials() -> Response {
    answer(
        StatusCode::UNAUTHORIZED,
        json!({"status": "invalid_credentials"}),
        None,
    )
}

fn bearer_ok(headers: &HeaderMap, token: &Secret) -> bool {
    use subtle::ConstantTimeEq;
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    given.as_bytes().ct_eq(token.expose().as_bytes()).into()
}

/// A short, non-reversible name for an identifier in logs.
fn log_name(identifier: &str) -> String {
    use sha2::Digest;
    let h = sha2::Sha256::digest(identifier.trim().to_lowercase().as_bytes());
    hex::encode(&h[..6])
}

fn log(outcome: Outcome, identifier: &str, started: Instant, extra: Option<&str>) {
    let mut line = json!({
        "event": "login",
        "outcome": outcome.name(),
        "identifier": log_name(identifier),
        "ms": (started.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0,
    });
    if let Some(e) = extra {
        line["detail"] = json!(e);
    }
    eprintln!("{line}");
}

async fn login(
    State(s): State<Arc<AppState>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Option<Json<LoginRequest>>,
) -> Response {
    let started = Instant::now();
    let (outcome, response) = login_inner(&s, client.ip(), &headers, body, started).await;
    s.metrics.logins[outcome as usize].fetch_add(1, Ordering::Relaxed);
    s.metrics.latency.observe(started.elapsed());
    response
}

async fn login_inner(
    s: &AppState,
    client: IpAddr,
    headers: &HeaderMap,
    body: Option<Json<LoginRequest>>,
    started: Instant,
) -> (Outcome, Response) {
    if !bearer_ok(headers, &s.token) {
        return (
            Outcome::Unauthorized,
            answer(
                StatusCode::UNAUTHORIZED,
                json!({"status": "unauthorized"}),
                None,
            ),
        );
    }
    let Some(Json(req)) = body else {
        return (
            Outcome::Error,
            answer(
                StatusCode::BAD_REQUEST,
                json!({"status": "bad_request", "message": "expected {\"identifier\", \"password\"}"}),
                None,
            ),
        );
    };
    let key = req.identifier.trim().to_lowercase();
    let limited = s
        .by_client
        .check(&client)
        .and_then(|()| s.by_identifier.check(&key));
    if let Err(wait) = limited {
        log(Outcome::RateLimited, &key, started, None);
        return (
            Outcome::RateLimited,
            answer(
                StatusCode::TOO_MANY_REQUESTS,
                json!({"status": "too_many_attempts"}),
                Some(wait.as_secs_f64().ceil() as u64),
            ),
        );
    }
    let outcome = sign_in(s, &req).await;
    let (o, response) = match outcome {
        Ok(SignIn::Before(id)) => (
            Outcome::MigratedBefore,
            answer(
                StatusCode::OK,
                json!({"status": "migrated_before", "user_id": id}),
                None,
            ),
        ),
        Ok(SignIn::Now(id)) => {
            s.metrics.moved.fetch_add(1, Ordering::Relaxed);
            (
                Outcome::MigratedNow,
                answer(
                    StatusCode::OK,
                    json!({"status": "migrated_now", "user_id": id}),
                    None,
                ),
            )
        }
        Ok(SignIn::Invalid) => {
            s.by_identifier.failed(&key);
            s.by_client.failed(&client);
            (Outcome::InvalidCredentials, invalid_credentials())
        }
        Ok(SignIn::Saturated) => (
            Outcome::Busy,
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"status": "busy"}),
                Some(1),
            ),
        ),
        Ok(SignIn::Refused(reason)) => (
            Outcome::TargetRefused,
            answer(
                StatusCode::BAD_GATEWAY,
                json!({"status": "target_refused", "reason": reason.to_string()}),
                None,
            ),
        ),
        Err(e) => {
            log(Outcome::Error, &key, started, Some(&e));
            return (
                Outcome::Error,
                answer(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"status": "error"}),
                    None,
                ),
            );
        }
    };
    log(o, &key, started, None);
    (o, response)
}

enum SignIn {
    Before(String),
    Now(String),
    Invalid,
    Saturated,
    Refused(authferry_core::Reason),
}

/// Runs `f` (password work) on the bounded pool, or `None` when the queue is full.
async fn hash_work<T: Send + 'static>(
    s: &AppState,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    if s.hash_waiting.fetch_add(1, Ordering::AcqRel)
        >= s.hash_queue + s.hash_permits.available_permits()
    {
        s.hash_waiting.fetch_sub(1, Ordering::AcqRel);
        return None;
    }
    let permit = s.hash_permits.clone().acquire_owned().await;
    s.hash_waiting.fetch_sub(1, Ordering::AcqRel);
    let permit = permit.ok()?;
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        let out = f();
        drop(permit);
        out
    })
    .await
    .ok()?;
    s.metrics.hash.observe(started.elapsed());
    Some(out)
}

/// The same work as a real verification (the dummy digest), then the same answer as a wrong
/// password: no timing or answer tells an unknown identifier from a known one.
async fn refuse_after_dummy_work(s: &AppState, req: &LoginRequest) -> SignIn {
    let dummy = s.dummy.clone();
    let password = req.password.clone();
    let done = hash_work(s, move || {
        if let Some((d, h)) = dummy {
            let _ = authferry_hash::verify(&d, h.as_deref(), &password);
        }
    })
    .await;
    match done {
        Some(()) => SignIn::Invalid,
        None => SignIn::Saturated,
    }
}

async fn sign_in(s: &AppState, req: &LoginRequest) -> Result<SignIn, String> {
    let deadline = Instant::now() + s.wait_for_replica;
    loop {
        let found = s
            .migrator
            .find(req.identifier.clone())
            .await
            .map_err(|e| e.to_string())?;
        let user: User = match found {
            Found::Moved { target_id } => return Ok(SignIn::Before(target_id)),
            Found::NotMoved { user } => *user,
            Found::Unknown | Found::Ambiguous => return Ok(refuse_after_dummy_work(s, req).await),
        };
        let Some(pw) = user.password.clone() else {
            // Nothing to verify against: the user cannot sign in with a password here.
            return Ok(refuse_after_dummy_work(s, req).await);
        };
        let password = req.password.clone();
        let native = s.native;
        let verified = hash_work(s, move || {
            let params = authferry_hash::ExtParams::from_json(&pw.params).unwrap_or_default();
            let ok = authferry_hash::verify_with(
                pw.digest.expose(),
                pw.hasher.as_deref(),
                &params,
                &password,
            )
            .unwrap_or(false);
            // The target's own digest of the password, made while the password is at hand.
            ok.then(|| native.map(|f| authferry_hash::hash_password(f, &password)))
        })
        .await;
        let digest = match verified {
            None => return Ok(SignIn::Saturated),
            Some(None) => return Ok(SignIn::Invalid),
            Some(Some(None)) => None,
            Some(Some(Some(Ok(d)))) => Some(Secret::new(d)),
            Some(Some(Some(Err(e)))) => return Err(format!("hashing the password: {e}")),
        };
        match s
            .migrator
            .migrate(user, digest)
            .await
            .map_err(|e| e.to_string())?
        {
            Moved::Now { target_id } => return Ok(SignIn::Now(target_id)),
            Moved::Before { target_id } => return Ok(SignIn::Before(target_id)),
            Moved::Refused { reason } => return Ok(SignIn::Refused(reason)),
            Moved::Busy if Instant::now() < deadline => {
                // Another replica is moving this user: its outcome is in the journal shortly.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Moved::Busy => return Ok(SignIn::Saturated),
        }
    }
}

#[derive(Deserialize)]
pub struct SessionRequest {
    token: String,
}

/// `POST /v1/session {"token"}`: a session token the old platform issued, verified (signature,
/// `exp`/`nbf`, `iss`, `azp`), answered with the user's old id and, once moved, the new one —
/// so the application accepts old sessions during the switch.
async fn session(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Option<Json<SessionRequest>>,
) -> Response {
    if !bearer_ok(&headers, &s.token) {
        return answer(
            StatusCode::UNAUTHORIZED,
            json!({"status": "unauthorized"}),
            None,
        );
    }
    let Some(verifier) = &s.session else {
        return answer(
            StatusCode::NOT_FOUND,
            json!({"status": "not_configured", "message": "no [session] section in the configuration"}),
            None,
        );
    };
    let Some(Json(req)) = body else {
        return answer(
            StatusCode::BAD_REQUEST,
            json!({"status": "bad_request", "message": "expected {\"token\"}"}),
            None,
        );
    };
    match verifier.verify(&req.token).await {
        Ok(claims) => {
            let moved = match s.migrator.moved_id(claims.user_id.clone()).await {
                Ok(m) => m,
                Err(e) => {
                    eprintln!(
                        "{}",
                        json!({"event": "session", "outcome": "error", "detail": e.to_string()})
                    );
                    return answer(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        json!({"status": "error"}),
                        None,
                    );
                }
            };
            s.metrics.sessions[0].fetch_add(1, Ordering::Relaxed);
            answer(
                StatusCode::OK,
                json!({
                    "status": "valid",
                    "old_user_id": claims.user_id,
                    "user_id": moved,
                    "session_id": claims.session_id,
                    "expires_at": claims.expires_at,
                }),
                None,
            )
        }
        Err(e) if e.is_token_refused() => {
            s.metrics.sessions[1].fetch_add(1, Ordering::Relaxed);
            eprintln!(
                "{}",
                json!({"event": "session", "outcome": "refused", "detail": e.to_string()})
            );
            answer(
                StatusCode::UNAUTHORIZED,
                json!({"status": "invalid_session"}),
                None,
            )
        }
        Err(e) => {
            s.metrics.sessions[2].fetch_add(1, Ordering::Relaxed);
            eprintln!(
                "{}",
                json!({"event": "session", "outcome": "unavailable", "detail": e.to_string()})
            );
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"status": "unavailable"}),
                Some(5),
            )
        }
    }
}
