//! The fake SuperTokens core (`tests/fake-supertokens/server.py`) as a child process of a test:
//! started on a free port, stopped when dropped, with its admin endpoints (stats, imported
//! users, the bulk-import table, live settings, synchronous processing) one call away, and the
//! few core calls a test checks an import with (sign-in, TOTP, id mapping).
//!
//! The server needs Python with the packages of `tests/fake-supertokens/requirements.txt`;
//! `scripts/test` makes a venv and sets `AUTHFERRY_FAKE_SUPERTOKENS_PYTHON` (and
//! `AUTHFERRY_FAKE_SUPERTOKENS_REQUIRED`, so that a missing interpreter fails the tests instead
//! of skipping them).

use crate::{FakeServer, repo_root};
use serde_json::{Value, json};

/// The `api-key` the server is started with (`--api-key`); requests without it get 401.
pub const API_KEY: &str = "authferry-fake-supertokens-api-key-0123456789";

/// The CDI version the helpers send.
pub const CDI_VERSION: &str = "5.3";

pub struct FakeSupertokens {
    server: FakeServer,
    /// The core's base URL (`http://127.0.0.1:PORT`, no trailing slash).
    pub url: String,
}

impl FakeSupertokens {
    /// The interpreter to run the server with, or `None` (the test should skip) when it is
    /// not set up and not required.
    pub fn python() -> Option<String> {
        crate::fake_python(
            "AUTHFERRY_FAKE_SUPERTOKENS_PYTHON",
            "AUTHFERRY_FAKE_SUPERTOKENS_REQUIRED",
        )
    }

    /// Starts the server with [`API_KEY`] and extra flags (`--roles admin`, `--tenants
    /// public,t1`, `--no-account-linking`, `--firebase-signer-key K`, `--process-rate 0`,
    /// `--fault-rate P`, `--seed N`, …; see the server's README).
    pub fn start(args: &[&str]) -> Option<FakeSupertokens> {
        let python = Self::python()?;
        let dir = repo_root().join("tests/fake-supertokens");
        let mut all: Vec<std::ffi::OsString> = vec![
            "--spec".into(),
            dir.join("spec/supertokens-cdi-5.3.yaml").into(),
        ];
        all.extend(["--port", "0", "--api-key", API_KEY].map(Into::into));
        all.extend(args.iter().map(Into::into));
        let server = FakeServer::spawn(&python, &dir.join("server.py"), &all);
        let url = server.url.clone();
        Some(FakeSupertokens { server, url })
    }

    /// `/__admin/stats`: requests, statuses, spec violations, faults, bulk entries by status,
    /// imported users, processed / failed counts (by error code), duplicate attempts.
    pub fn stats(&self) -> Value {
        self.server.admin_get("/__admin/stats")
    }

    /// A number out of [`stats`](Self::stats), 0 when absent: `stat(&["bulk", "FAILED"])`.
    pub fn stat(&self, path: &[&str]) -> u64 {
        crate::json_u64(&self.stats(), path)
    }

    /// Every imported user with its login methods (password hash and algorithm, recipe user
    /// ids), external id, TOTP devices with their secrets, roles, metadata, verified flags.
    pub fn users(&self) -> Vec<Value> {
        match self.server.admin_get("/__admin/users") {
            Value::Array(a) => a,
            other => panic!("/__admin/users gave {other}"),
        }
    }

    /// Every entry of the bulk-import table (NEW, PROCESSING, FAILED with `errorMessage`), in
    /// the shape `GET /bulk-import/users` answers.
    pub fn bulk(&self) -> Vec<Value> {
        match self.server.admin_get("/__admin/bulk") {
            Value::Array(a) => a,
            other => panic!("/__admin/bulk gave {other}"),
        }
    }

    /// Changes `fault_rate`, `process_rate`, `process_interval`, `chunk_size`, `seed`,
    /// `slow_seconds`, `max_body_bytes`, `account_linking`, `mfa` or `bcrypt_rounds` while
    /// running; answers the settings in force.
    pub fn configure(&self, settings: Value) -> Value {
        let out = self.server.admin_post("/__admin/config", &settings);
        assert!(out.get("error").is_none(), "admin config: {out}");
        out
    }

    /// Processes everything claimable now, round after round, without waiting for the
    /// background cron; answers `{"rounds", "processed", "failed", "bulk"}`.
    pub fn process_now(&self) -> Value {
        self.server.admin_post("/__admin/process", &json!({}))
    }

    fn core_post(&self, path: &str, body: &Value) -> (u16, Value) {
        let mut resp = self
            .server
            .agent()
            .post(&format!("{}{path}", self.url))
            .header("api-key", API_KEY)
            .header("cdi-version", CDI_VERSION)
            .header("Content-Type", "application/json")
            .send(body.to_string().as_bytes())
            .expect("core request");
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().expect("core body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    fn core_get(&self, path_and_query: &str) -> (u16, Value) {
        let mut resp = self
            .server
            .agent()
            .get(&format!("{}{path_and_query}", self.url))
            .header("api-key", API_KEY)
            .header("cdi-version", CDI_VERSION)
            .call()
            .expect("core request");
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().expect("core body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// `POST /recipe/signin` on the public tenant: does the core accept this password?
    pub fn signin(&self, email: &str, password: &str) -> bool {
        let (status, body) = self.core_post(
            "/recipe/signin",
            &json!({ "email": email, "password": password }),
        );
        assert_eq!(status, 200, "signin: {body}");
        body["status"] == "OK"
    }

    /// `POST /recipe/totp/verify` with the user's SuperTokens or external id.
    pub fn verify_totp(&self, user_id_or_external: &str, code: &str) -> bool {
        let (status, body) = self.core_post(
            "/recipe/totp/verify",
            &json!({ "userId": user_id_or_external, "totp": code, "allowUnverifiedDevices": false }),
        );
        assert_eq!(status, 200, "totp verify: {body}");
        body["status"] == "OK"
    }

    /// `GET /recipe/userid/map` for an external id: the SuperTokens user id it maps to.
    pub fn mapping(&self, external_id: &str) -> Option<String> {
        let (status, body) = self.core_get(&format!(
            "/recipe/userid/map?userIdType=EXTERNAL&userId={}",
            encode_query(external_id)
        ));
        assert_eq!(status, 200, "userid map: {body}");
        if body["status"] == "OK" {
            body["superTokensUserId"].as_str().map(str::to_owned)
        } else {
            None
        }
    }

    /// `POST /bulk-import/users` with `users`: the status and the answer, parsed as JSON when
    /// it is JSON (the core's 400 for invalid users is JSON sent as text/html), else the text.
    pub fn add_users(&self, users: &[Value]) -> (u16, Value) {
        self.core_post("/bulk-import/users", &json!({ "users": users }))
    }

    /// `PUT /recipe/role`: creates a role (bulk import only accepts existing roles).
    pub fn create_role(&self, role: &str) {
        let mut resp = self
            .server
            .agent()
            .put(&format!("{}/recipe/role", self.url))
            .header("api-key", API_KEY)
            .header("cdi-version", CDI_VERSION)
            .header("Content-Type", "application/json")
            .send(json!({ "role": role }).to_string().as_bytes())
            .expect("core request");
        assert_eq!(resp.status().as_u16(), 200, "create role");
        let _ = resp.body_mut().read_to_string();
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
fn encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The current RFC 6238 code (HMAC-SHA-1, 6 digits) of a base32 secret, for tests that verify
/// an imported TOTP device. Period in seconds.
pub fn totp_code(secret_base32: &str, period: u64) -> String {
    let key = base32_decode(secret_base32);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let mac = hmac_sha1(&key, &(now / period).to_be_bytes());
    let o = (mac[19] & 0x0f) as usize;
    let v = u32::from_be_bytes([mac[o], mac[o + 1], mac[o + 2], mac[o + 3]]) & 0x7fff_ffff;
    format!("{:06}", v % 1_000_000)
}

fn base32_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut n, mut out) = (0u64, 0u32, Vec::new());
    for c in s.bytes().map(|c| c.to_ascii_uppercase()) {
        let Some(i) = ALPHABET.iter().position(|&a| a == c) else {
            continue;
        };
        bits = (bits << 5) | i as u64;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

fn hmac_sha1(key: &[u8], msg: &[u8]) -> [u8; 20] {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_and_base32_known_answers() {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        // RFC 2202 test case 2
        assert_eq!(
            hex(&hmac_sha1(b"Jefe", b"what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        assert_eq!(base32_decode("MZXW6YTBOI======"), b"foobar");
    }
}
