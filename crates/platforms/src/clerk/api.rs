//! Clerk's Backend API over HTTP: the key, the base URL, one pooled agent and one rate
//! limiter shared by the Clerk sink's workers and the Clerk API source.
//!
//! The secret key goes into the `Authorization` header and nowhere else: no error, log line or
//! `Debug` output of this module carries it.

pub(crate) use crate::remote::Attempt;
use crate::remote::{Backoff, RateBudget, SharedLimiter, attempt_of, retry_after, strip_query};
use authferry_core::Secret;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Clerk's production Backend API (the spec's `servers` entry, without the `/v1`).
pub const DEFAULT_API_URL: &str = "https://api.clerk.com";

/// Clerk's published rate limits for the Backend API (per application instance).
pub const LIVE_BUDGET: RateBudget = RateBudget::new(1000, 10);
pub const TEST_BUDGET: RateBudget = RateBudget::new(100, 10);

/// Where to reach Clerk and how fast: from `CLERK_SECRET_KEY`, `CLERK_API_URL` and `--rate`.
#[derive(Clone, Default)]
pub struct ClerkSettings {
    pub secret_key: Option<Secret>,
    pub api_url: Option<String>,
    pub rate: Option<RateBudget>,
    /// Per-request timeout (default 30 s).
    pub timeout: Option<Duration>,
    /// The retry schedule (default [`Backoff::default`]); tests shorten it.
    pub retry: Option<Backoff>,
}

impl std::fmt::Debug for ClerkSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClerkSettings")
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "api_url",
                &self.api_url.as_deref().map(authferry_pg::redact_url),
            )
            .field("rate", &self.rate)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

/// Why a call to Clerk did not give an answer to act on.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The key or the instance is refused: nothing else will work, the run stops.
    #[error("{0}")]
    Fatal(String),
    /// Retries ran out, or Clerk refused the request; the text names the last status.
    #[error("{0}")]
    Failed(String),
}

/// One entry of Clerk's `{"errors": [...]}` body (schema `ClerkError`).
#[derive(Clone, Debug, Default)]
pub struct ClerkError {
    pub code: String,
    pub message: String,
    pub param: Option<String>,
}

impl ClerkError {
    /// The errors of a 4xx body; an unreadable body gives one error naming the status.
    pub fn parse(status: u16, body: &str) -> Vec<ClerkError> {
        let parsed: Option<Vec<ClerkError>> = serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| v.get("errors").and_then(Value::as_array).cloned())
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| ClerkError {
                        code: text(e, "code").unwrap_or_default(),
                        message: text(e, "long_message")
                            .or_else(|| text(e, "message"))
                            .unwrap_or_default(),
                        param: e.get("meta").and_then(|m| text(m, "param_name")),
                    })
                    .collect()
            });
        match parsed {
            Some(v) if !v.is_empty() => v,
            _ => vec![ClerkError {
                code: format!("http_{status}"),
                message: format!("HTTP {status}"),
                param: None,
            }],
        }
    }
}

impl ClerkError {
    /// `code (param): message; …` for a reason or an error message.
    pub fn describe_all(errors: &[ClerkError]) -> String {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl std::fmt::Display for ClerkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(p) = &self.param {
            write!(f, " ({p})")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Clerk's Backend API client shared by a run's workers.
pub struct ClerkApi {
    base: String,
    authorization: Secret,
    agent: ureq::Agent,
    pub(crate) limiter: Arc<SharedLimiter>,
    pub(crate) backoff: Backoff,
    budget_source: &'static str,
}

impl ClerkApi {
    pub fn new(settings: &ClerkSettings) -> Result<Self, String> {
        let key = settings
            .secret_key
            .as_ref()
            .filter(|k| !k.is_empty())
            .ok_or("CLERK_SECRET_KEY is not set: the Clerk Backend API needs your instance's secret key (sk_live_… or sk_test_…)")?;
        let (budget, budget_source) = match (settings.rate, key.expose()) {
            (Some(r), _) => (r, "--rate"),
            (None, k) if k.starts_with("sk_live_") => {
                (LIVE_BUDGET, "Clerk's limit for sk_live_ keys")
            }
            (None, _) => (TEST_BUDGET, "Clerk's limit for sk_test_ keys"),
        };
        let mut base = settings
            .api_url
            .clone()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_API_URL.to_string());
        while base.ends_with('/') {
            base.pop();
        }
        // The SDKs' CLERK_API_URL has no version; accept one with it too.
        if let Some(stripped) = base.strip_suffix("/v1") {
            base = stripped.to_string();
        }
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(format!(
                "CLERK_API_URL `{}` must start with https:// (or http:// for a local server)",
                authferry_pg::redact_url(&base)
            ));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(settings.timeout.unwrap_or(Duration::from_secs(30))))
            .timeout_connect(Some(Duration::from_secs(10)))
            .max_idle_connections(128)
            .max_idle_connections_per_host(128)
            .user_agent(concat!("authferry/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(ClerkApi {
            base,
            authorization: Secret::new(format!("Bearer {}", key.expose())),
            agent,
            limiter: Arc::new(SharedLimiter::new(budget)),
            backoff: settings.retry.unwrap_or_default(),
            budget_source,
        })
    }

    /// Which Clerk instance the key opens, for the journal: the API's URL and the instance id
    /// (`GET /v1/instance`), never the key.
    pub fn instance(&self) -> Result<String, ApiError> {
        let v = self.get_json("/v1/instance")?;
        let id = v.get("id").and_then(Value::as_str).ok_or_else(|| {
            ApiError::Failed("Clerk answered GET /v1/instance without an id".into())
        })?;
        Ok(format!(
            "Clerk {} instance {id}",
            authferry_pg::redact_url(&self.base)
        ))
    }

    /// The API's address as shown to people: a password in it (`https://u:p@host`) masked.
    pub fn base_url(&self) -> String {
        authferry_pg::redact_url(&self.base)
    }

    /// `1000 requests / 10 s (Clerk's limit for sk_live_ keys)`.
    pub fn describe_budget(&self) -> String {
        format!("{} ({})", self.limiter.budget(), self.budget_source)
    }

    pub fn limiter(&self) -> &SharedLimiter {
        &self.limiter
    }

    /// One request under the limiter, no retry. `path` starts with `/v1/`.
    pub(crate) fn attempt(&self, method: &str, path: &str, body: Option<&[u8]>) -> Attempt {
        self.limiter.acquire();
        let url = format!("{}{}", self.base, path);
        let result = match (method, body) {
            ("POST", Some(b)) => self
                .agent
                .post(&url)
                .header("Authorization", self.authorization.expose())
                .header("Content-Type", "application/json")
                .send(b),
            _ => self
                .agent
                .get(&url)
                .header("Authorization", self.authorization.expose())
                .call(),
        };
        attempt_of(result, 64 << 20)
    }

    /// After a 429: pauses every worker for the `Retry-After` Clerk gave (1 s when it gave
    /// none), counting the request's 429s in `count`; `Err` once there were too many.
    pub(crate) fn wait_after_429(
        &self,
        count: &mut u32,
        retry: Option<&str>,
    ) -> Result<(), String> {
        *count += 1;
        if *count > MAX_RATE_LIMITED {
            return Err(format!(
                "still rate limited (429) after {MAX_RATE_LIMITED} waits"
            ));
        }
        self.limiter
            .pause_for(retry_after(retry, Duration::from_secs(1)));
        Ok(())
    }

    /// `GET path` with retries (reads are idempotent): 429 waits out `Retry-After`, 5xx,
    /// timeouts and resets back off and retry; other statuses end the call.
    pub fn get_json(&self, path: &str) -> Result<Value, ApiError> {
        let mut failures = 0u32;
        let mut limited = 0u32;
        loop {
            let last = match self.attempt("GET", path, None) {
                Attempt::Reply {
                    status: 200, body, ..
                } => {
                    return serde_json::from_str(&body).map_err(|e| {
                        ApiError::Failed(format!(
                            "Clerk answered GET {} with unreadable JSON: {e}",
                            strip_query(path)
                        ))
                    });
                }
                Attempt::Reply {
                    status: 429,
                    retry_after,
                    ..
                } => {
                    self.wait_after_429(&mut limited, retry_after.as_deref())
                        .map_err(|m| ApiError::Failed(format!("GET {}: {m}", strip_query(path))))?;
                    continue;
                }
                Attempt::Reply { status, .. } if status >= 500 => format!("HTTP {status}"),
                Attempt::Reply { status, body, .. } => {
                    let text = ClerkError::describe_all(&ClerkError::parse(status, &body));
                    let msg = format!("GET {} refused (HTTP {status}): {text}", strip_query(path));
                    return Err(if is_fatal(status) {
                        ApiError::Fatal(fatal_message(status, &text))
                    } else {
                        ApiError::Failed(msg)
                    });
                }
                Attempt::NotSent(m) | Attempt::Unknown(m) => m,
            };
            failures += 1;
            if failures >= self.backoff.max_attempts {
                return Err(ApiError::Failed(format!(
                    "GET {} failed {failures} times; last: {last}",
                    strip_query(path)
                )));
            }
            std::thread::sleep(self.backoff.delay(failures));
        }
    }

    /// Users whose `param` (`external_id`, `email_address`, `phone_number`, `username`) is
    /// one of `values`, as Clerk's user objects.
    pub fn users_where(&self, param: &str, values: &[&str]) -> Result<Vec<Value>, ApiError> {
        let mut out = Vec::new();
        // Long URLs are refused by proxies; 50 values per request stays far below 8 KB.
        for chunk in values.chunks(50) {
            let mut path = String::from("/v1/users?limit=500");
            for v in chunk {
                path.push('&');
                path.push_str(param);
                path.push('=');
                path.push_str(&urlencoding::encode(v));
            }
            match self.get_json(&path)? {
                Value::Array(users) => out.extend(users),
                _ => {
                    return Err(ApiError::Failed(
                        "Clerk answered GET /v1/users with something other than a list".into(),
                    ));
                }
            }
        }
        Ok(out)
    }
}

/// Clerk answers at most this many 429s in a row for one request before the record fails.
const MAX_RATE_LIMITED: u32 = 60;

/// 401/403: the key is wrong or lacks access; 402: the instance's plan refuses the feature.
pub(crate) fn is_fatal(status: u16) -> bool {
    matches!(status, 401..=403)
}

pub(crate) fn fatal_message(status: u16, detail: &str) -> String {
    match status {
        401 | 403 => format!(
            "Clerk refused the secret key (HTTP {status}: {detail}); check CLERK_SECRET_KEY and CLERK_API_URL"
        ),
        _ => format!("Clerk refused the request for this instance (HTTP {status}: {detail})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_follows_the_key_unless_a_rate_is_given() {
        let with = |key: &str, rate: Option<RateBudget>| {
            ClerkApi::new(&ClerkSettings {
                secret_key: Some(Secret::new(key)),
                api_url: Some("http://127.0.0.1:9/v1/".into()),
                rate,
                ..Default::default()
            })
            .unwrap()
        };
        assert_eq!(with("sk_live_abc", None).limiter.budget(), LIVE_BUDGET);
        assert_eq!(with("sk_test_abc", None).limiter.budget(), TEST_BUDGET);
        let r = RateBudget::new(5, 1);
        assert_eq!(with("sk_live_abc", Some(r)).limiter.budget(), r);
        assert_eq!(with("sk_test_abc", None).base_url(), "http://127.0.0.1:9");
    }

    /// Issue 9 item 7: a password in CLERK_API_URL (a proxy's) is never shown.
    #[test]
    fn a_password_in_the_api_url_is_masked_wherever_the_url_is_shown() {
        let settings = ClerkSettings {
            secret_key: Some(Secret::new("sk_test_abc")),
            api_url: Some("http://proxyuser:pr0xy-pa55@127.0.0.1:9/v1".into()),
            ..Default::default()
        };
        let api = ClerkApi::new(&settings).unwrap();
        assert_eq!(api.base_url(), "http://proxyuser:***@127.0.0.1:9");
        assert!(!format!("{settings:?}").contains("pr0xy-pa55"));
        let err = ClerkApi::new(&ClerkSettings {
            api_url: Some("ftp://u:pr0xy-pa55@x".into()),
            ..settings
        })
        .err()
        .unwrap();
        assert!(!err.contains("pr0xy-pa55"), "{err}");
    }

    #[test]
    fn a_missing_key_or_a_bad_url_is_refused_without_echoing_the_key() {
        let err = ClerkApi::new(&ClerkSettings::default()).err().unwrap();
        assert!(err.contains("CLERK_SECRET_KEY"), "{err}");
        let err = ClerkApi::new(&ClerkSettings {
            secret_key: Some(Secret::new("sk_test_SECRETVALUE")),
            api_url: Some("ftp://x".into()),
            ..Default::default()
        })
        .err()
        .unwrap();
        assert!(!err.contains("SECRETVALUE"), "{err}");
        let dbg = format!(
            "{:?}",
            ClerkSettings {
                secret_key: Some(Secret::new("sk_test_SECRETVALUE")),
                ..Default::default()
            }
        );
        assert!(!dbg.contains("SECRETVALUE"), "{dbg}");
    }

    #[test]
    fn parses_clerk_errors() {
        let body = r#"{"errors":[{"message":"That email address is taken. Please try another.","long_message":"That email address is taken.","code":"form_identifier_exists","meta":{"param_name":"email_address"}}],"clerk_trace_id":"x"}"#;
        let e = &ClerkError::parse(422, body)[0];
        assert_eq!(e.code, "form_identifier_exists");
        assert_eq!(e.param.as_deref(), Some("email_address"));
        assert_eq!(
            e.to_string(),
            "form_identifier_exists (email_address): That email address is taken."
        );
        assert_eq!(
            ClerkError::parse(502, "<html>").first().unwrap().code,
            "http_502"
        );
    }
}
