//! The SuperTokens core over HTTP (the Core Driver Interface): the address, the optional API key,
//! one pooled agent, retries. The key goes into the `api-key` header and nowhere else.

use super::mapping::CoreFeatures;
pub(crate) use crate::remote::Attempt;
use crate::remote::{Backoff, RateBudget, SharedLimiter, attempt_of, retry_after, strip_query};
use authferry_core::Secret;
use serde_json::{Value, json};
use std::time::Duration;

/// The CDI version authferry speaks (the spec in `shared/reference`); bulk import needs 5.2+.
pub const CDI_VERSION: &str = "5.3";
/// Entries per `GET /bulk-import/users` page (the core's maximum).
pub const PAGE: usize = 500;
/// 429s in a row one request waits out before it gives up.
pub(crate) const MAX_RATE_LIMITED: u32 = 60;
/// Users per `POST /bulk-import/users` (the core's maximum).
pub const MAX_BATCH: usize = 10_000;

#[derive(Clone, Default)]
pub struct CoreSettings {
    /// `http(s)://host:port`, optionally with the app's path (`/appid-<id>`).
    pub url: String,
    pub api_key: Option<Secret>,
    pub rate: Option<RateBudget>,
    pub timeout: Option<Duration>,
    pub retry: Option<Backoff>,
    pub tenant: String,
}

impl std::fmt::Debug for CoreSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoreSettings")
            .field("url", &authferry_pg::redact_url(&self.url))
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("rate", &self.rate)
            .field("tenant", &self.tenant)
            .finish()
    }
}

/// Why a call did not give an answer to act on.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The key is refused or the core is not one that can import: the run stops.
    #[error("{0}")]
    Fatal(String),
    /// Retries ran out, or the core refused the request.
    #[error("{0}")]
    Failed(String),
}

/// One entry of the core's bulk-import table, as much as authferry needs of it.
#[derive(Clone, Debug)]
pub struct BulkEntry {
    pub id: String,
    /// `NEW`, `PROCESSING` or `FAILED`.
    pub status: String,
    pub external_user_id: Option<String>,
    /// The core's message for a `FAILED` entry, secrets of the entry masked.
    pub error_message: Option<String>,
    /// The account identifiers its sign-in methods carry, as `by-accountinfo` queries (to
    /// find who holds one when the core's message names none).
    pub identifiers: Vec<String>,
}

pub struct CoreApi {
    base: String,
    api_key: Option<Secret>,
    agent: ureq::Agent,
    limiter: Option<SharedLimiter>,
    pub(crate) backoff: Backoff,
    pub(crate) tenant: String,
}

impl CoreApi {
    pub fn new(settings: &CoreSettings) -> Result<Self, String> {
        let mut base = settings.url.trim().to_string();
        while base.ends_with('/') {
            base.pop();
        }
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(format!(
                "the core's address `{}` must start with http:// or https://",
                authferry_pg::redact_url(&base)
            ));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(settings.timeout.unwrap_or(Duration::from_secs(120))))
            .timeout_connect(Some(Duration::from_secs(10)))
            .max_idle_connections(16)
            .user_agent(concat!("authferry/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(CoreApi {
            base,
            api_key: settings.api_key.clone().filter(|k| !k.is_empty()),
            agent,
            limiter: settings.rate.map(SharedLimiter::new),
            backoff: settings.retry.unwrap_or_default(),
            tenant: if settings.tenant.trim().is_empty() {
                "public".into()
            } else {
                settings.tenant.trim().to_ascii_lowercase()
            },
        })
    }

    /// The core's address as shown to people and remembered by the journal.
    pub fn base_url(&self) -> String {
        authferry_pg::redact_url(&self.base)
    }

    /// A path under the run's tenant (`/<tenant>/…`; the public tenant needs no prefix).
    pub fn tenant_path(&self, path: &str) -> String {
        if self.tenant == "public" {
            path.to_string()
        } else {
            format!("/{}{path}", self.tenant)
        }
    }

    pub(crate) fn attempt(&self, method: &str, path: &str, body: Option<&[u8]>) -> Attempt {
        if let Some(l) = &self.limiter {
            l.acquire();
        }
        let url = format!("{}{}", self.base, path);
        let result = match body {
            Some(b) => {
                let mut req = match method {
                    "PUT" => self.agent.put(&url),
                    _ => self.agent.post(&url),
                }
                .header("cdi-version", CDI_VERSION)
                .header("Content-Type", "application/json");
                if let Some(k) = &self.api_key {
                    req = req.header("api-key", k.expose());
                }
                req.send(b)
            }
            None => {
                let mut req = self.agent.get(&url).header("cdi-version", CDI_VERSION);
                if let Some(k) = &self.api_key {
                    req = req.header("api-key", k.expose());
                }
                req.call()
            }
        };
        attempt_of(result, 256 << 20)
    }

    /// After a 429: waits out `Retry-After` (1 s when absent), for every caller.
    pub(crate) fn wait_after_429(&self, retry: Option<&str>) {
        let d = retry_after(retry, Duration::from_secs(1));
        match &self.limiter {
            Some(l) => l.pause_for(d),
            None => std::thread::sleep(d),
        }
    }

    /// A request whose repetition does no harm (reads, removals, role creation), retried on
    /// 429, 5xx and transport errors. `Ok` carries a 200's JSON body.
    pub fn call_idempotent(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        let bytes = body.map(|b| serde_json::to_vec(b).expect("JSON serialises"));
        let mut failures = 0u32;
        let mut limited = 0u32;
        let shown = strip_query(path);
        loop {
            let last = match self.attempt(method, path, bytes.as_deref()) {
                Attempt::Reply {
                    status: 200, body, ..
                } => {
                    return serde_json::from_str(&body).map_err(|e| {
                        ApiError::Failed(format!(
                            "the core answered {method} {shown} with unreadable JSON: {e}"
                        ))
                    });
                }
                Attempt::Reply {
                    status: 429,
                    retry_after,
                    ..
                } => {
                    limited += 1;
                    if limited > MAX_RATE_LIMITED {
                        return Err(ApiError::Failed(format!(
                            "{method} {shown}: still rate limited (429) after {MAX_RATE_LIMITED} waits"
                        )));
                    }
                    self.wait_after_429(retry_after.as_deref());
                    continue;
                }
                Attempt::Reply { status, body, .. } if status >= 500 => {
                    format!("HTTP {status}: {}", first_line(&body))
                }
                Attempt::Reply { status, body, .. } => {
                    return Err(refused(method, shown, status, &body));
                }
                Attempt::NotSent(m) | Attempt::Unknown(m) => m,
            };
            failures += 1;
            if failures >= self.backoff.max_attempts {
                return Err(ApiError::Failed(format!(
                    "{method} {shown} failed {failures} times; last: {last}"
                )));
            }
            std::thread::sleep(self.backoff.delay(failures));
        }
    }

    pub fn get_json(&self, path: &str) -> Result<Value, ApiError> {
        self.call_idempotent("GET", path, None)
    }

    /// Checks the core answers and speaks a CDI version with bulk import, and reads which
    /// enterprise features it has.
    pub fn features(&self) -> Result<CoreFeatures, ApiError> {
        let versions = self.get_json("/apiversion")?;
        let speaks = versions
            .get("versions")
            .and_then(Value::as_array)
            .is_some_and(|v| {
                v.iter().filter_map(Value::as_str).any(|v| {
                    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
                    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
                    (major, minor) >= (5, 2)
                })
            });
        if !speaks {
            return Err(ApiError::Fatal(format!(
                "the SuperTokens core at {} does not speak CDI 5.2 or later (it has no bulk import); upgrade the core",
                self.base_url()
            )));
        }
        let flags = self.get_json("/ee/featureflag")?;
        let on: Vec<&str> = flags
            .get("features")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        Ok(CoreFeatures {
            account_linking: on.contains(&"account_linking"),
            mfa: on.contains(&"mfa") || on.contains(&"totp"),
            multi_tenancy: on.contains(&"multi_tenancy"),
        })
    }

    /// Every entry of the bulk-import table (all statuses, in the core's order). Listing without
    /// a status filter matters: an entry that changes status between two pages is still seen
    /// once, and only an entry the core deleted (imported) is missing.
    pub fn bulk_entries(&self) -> Result<Vec<BulkEntry>, ApiError> {
        self.bulk_entries_in(None)
    }

    /// The entries in one status (only safe for `FAILED` while nothing is being processed:
    /// entries that change status while pages are read can be missed).
    pub fn bulk_entries_in(&self, status: Option<&str>) -> Result<Vec<BulkEntry>, ApiError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut path = format!("/bulk-import/users?limit={PAGE}");
            if let Some(s) = status {
                path.push_str("&status=");
                path.push_str(s);
            }
            if let Some(t) = &token {
                path.push_str("&paginationToken=");
                path.push_str(&urlencoding::encode(t));
            }
            let page = self.get_json(&path)?;
            let users = page.get("users").and_then(Value::as_array).ok_or_else(|| {
                ApiError::Failed("the core answered GET /bulk-import/users without users".into())
            })?;
            out.extend(users.iter().filter_map(entry));
            match page.get("nextPaginationToken").and_then(Value::as_str) {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(out),
            }
        }
    }

    /// How many entries the table holds in `status`.
    pub fn bulk_count(&self, status: Option<&str>) -> Result<u64, ApiError> {
        let path = match status {
            Some(s) => format!("/bulk-import/users/count?status={s}"),
            None => "/bulk-import/users/count".to_string(),
        };
        let v = self.get_json(&path)?;
        v.get("count").and_then(Value::as_u64).ok_or_else(|| {
            ApiError::Failed("the core answered /bulk-import/users/count without a count".into())
        })
    }

    /// Removes entries from the bulk-import table (recorded failures), in the core's chunks.
    pub fn remove_entries(&self, ids: &[String]) -> Result<(), ApiError> {
        for chunk in ids.chunks(PAGE) {
            self.call_idempotent(
                "POST",
                "/bulk-import/users/remove",
                Some(&json!({ "ids": chunk })),
            )?;
        }
        Ok(())
    }

    /// The SuperTokens user id mapped to `external_id`, if any.
    pub fn mapped(&self, external_id: &str) -> Result<Option<String>, ApiError> {
        let v = self.get_json(&format!(
            "/recipe/userid/map?userIdType=EXTERNAL&userId={}",
            urlencoding::encode(external_id)
        ))?;
        Ok(match v.get("status").and_then(Value::as_str) {
            Some("OK") => v
                .get("superTokensUserId")
                .and_then(Value::as_str)
                .map(str::to_owned),
            _ => None,
        })
    }

    /// The user that holds an account identifier (`email=…`, `phoneNumber=…`,
    /// `thirdPartyId=…&thirdPartyUserId=…`) in the run's tenant: its id.
    pub fn holder(&self, query: &str) -> Result<Option<String>, ApiError> {
        let v = self.get_json(&self.tenant_path(&format!(
            "/users/by-accountinfo?doUnionOfAccountInfo=false&{query}"
        )))?;
        Ok(v.get("users")
            .and_then(Value::as_array)
            .and_then(|u| u.first())
            .and_then(|u| u.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned))
    }
}

/// The secrets a bulk-import entry carries (TOTP secrets, password digests or plaintexts), to
/// mask out of the core's messages about it.
pub fn entry_secrets(v: &Value) -> Vec<&str> {
    let list = |k: &str| v.get(k).and_then(Value::as_array).into_iter().flatten();
    let mut secrets: Vec<&str> = list("totpDevices")
        .filter_map(|d| d.get("secretKey").and_then(Value::as_str))
        .collect();
    for m in list("loginMethods") {
        for k in ["passwordHash", "plainTextPassword"] {
            secrets.extend(m.get(k).and_then(Value::as_str));
        }
    }
    secrets
}

/// A listed entry; secrets the entry carries are masked out of its error message (the core's
/// messages may quote a value, e.g. `TOTP secretKey X is too long`).
fn entry(v: &Value) -> Option<BulkEntry> {
    let secrets = entry_secrets(v);
    let mut identifiers = Vec::new();
    for m in v
        .get("loginMethods")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let text = |k: &str| m.get(k).and_then(Value::as_str);
        if let (Some(id), Some(uid)) = (text("thirdPartyId"), text("thirdPartyUserId")) {
            identifiers.push(format!(
                "thirdPartyId={}&thirdPartyUserId={}",
                urlencoding::encode(id),
                urlencoding::encode(uid)
            ));
        }
        if let Some(e) = text("email") {
            identifiers.push(format!("email={}", urlencoding::encode(e)));
        }
        if let Some(p) = text("phoneNumber") {
            identifiers.push(format!("phoneNumber={}", urlencoding::encode(p)));
        }
    }
    identifiers.dedup();
    Some(BulkEntry {
        identifiers,
        id: v.get("id")?.as_str()?.to_string(),
        status: v.get("status")?.as_str()?.to_string(),
        external_user_id: v
            .get("externalUserId")
            .and_then(Value::as_str)
            .map(str::to_owned),
        error_message: v
            .get("errorMessage")
            .and_then(Value::as_str)
            .map(|m| mask(m, &secrets)),
    })
}

/// `text` with every non-empty `secret` in it replaced.
pub fn mask(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().map(|s| s.trim()).filter(|s| s.len() >= 4) {
        out = out.replace(s, "[redacted]");
    }
    out
}

fn refused(method: &str, path: &str, status: u16, body: &str) -> ApiError {
    let text = first_line(body);
    match status {
        401 => ApiError::Fatal(format!(
            "the SuperTokens core refused the API key (HTTP 401: {text}); check SUPERTOKENS_API_KEY"
        )),
        404 => ApiError::Fatal(format!(
            "the core answered {method} {path} with 404 ({text}): is the URL the core's (with /appid-<id> for an app other than the default), and is the tenant right?"
        )),
        _ => ApiError::Failed(format!("{method} {path} refused (HTTP {status}): {text}")),
    }
}

/// The first line of a body, at most 300 characters (Java stack traces are long).
pub(crate) fn first_line(body: &str) -> String {
    let line = body.lines().next().unwrap_or("").trim();
    let mut s: String = line.chars().take(300).collect();
    if line.chars().count() > 300 {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_mask_their_own_secrets_in_messages() {
        let v = json!({
            "id": "b1", "status": "FAILED", "externalUserId": "user_1",
            "errorMessage": "[TOTP secretKey JBSWY3DPEHPK3PXPJBSWY3DP is too long. Max length is 256.]",
            "totpDevices": [{"secretKey": "JBSWY3DPEHPK3PXPJBSWY3DP"}],
            "loginMethods": [{"recipeId": "emailpassword", "passwordHash": "$2a$10$xyz"}]
        });
        let e = entry(&v).unwrap();
        assert_eq!(e.external_user_id.as_deref(), Some("user_1"));
        let m = e.error_message.unwrap();
        assert!(!m.contains("JBSWY3DP"), "{m}");
        assert!(m.contains("[redacted]"), "{m}");
    }

    #[test]
    fn settings_debug_hides_the_key() {
        let s = CoreSettings {
            url: "http://u:pw@127.0.0.1:3567".into(),
            api_key: Some(Secret::new("st-key-SECRETVALUE")),
            ..Default::default()
        };
        let d = format!("{s:?}");
        assert!(!d.contains("SECRETVALUE") && !d.contains(":pw@"), "{d}");
        let api = CoreApi::new(&s).unwrap();
        assert_eq!(api.tenant_path("/users"), "/users");
        assert!(
            CoreApi::new(&CoreSettings {
                url: "localhost:3567".into(),
                ..Default::default()
            })
            .is_err()
        );
    }
}
