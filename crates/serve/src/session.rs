//! Session fallback: verifying the old platform's session tokens while users switch over.
//!
//! During a migration the users' browsers still hold sessions of the old platform. Rather than
//! sign everyone out at the switch, `authferry serve` accepts those sessions for a while: the
//! application hands the old session token to the server, which checks it here and, when it is
//! genuine and current, treats the user as signed in.
//!
//! The old platform is Clerk for now. A Clerk session token is a short-lived JWT (a minute by
//! default) signed RS256 with the instance's private key; its public key is published as a JWKS
//! at `https://<frontend-api>/.well-known/jwks.json` and shown as a PEM in the dashboard. Its
//! claims (<https://clerk.com/docs/backend-requests/resources/session-tokens>):
//!
//! * `sub`: the user's id (`user_…`), which is what the session proves;
//! * `sid`: the session's id (`sess_…`);
//! * `iss`: the instance's Frontend API URL (`https://clerk.example.com`);
//! * `azp`: the `Origin` of the browser request that obtained the token (the application's
//!   URL); Clerk leaves it out when the origin was empty, and its SDKs check it against the
//!   application's "authorized parties" so that a token minted for one site is not replayed
//!   at another;
//! * `exp`, `nbf`, `iat`: expiry, not-before and issue time, in Unix seconds. `nbf` is a few
//!   seconds before `iat` ("allowed clock skew").
//!
//! [`SessionVerifier::verify`] checks, in this order: the token's shape and size; its header's
//! `alg` against the configured list (RS256 only by default, so `none` and every HMAC algorithm
//! are refused before any key is looked at); the key named by its `kid`; the signature; then
//! `exp` and `nbf` (with a small leeway), `iss` when one is configured and `azp` when
//! authorized parties are configured. Claims are only looked at once the signature holds, so a
//! forged token never learns more than "bad signature".
//!
//! The JWKS is fetched lazily and cached. A `kid` the cache lacks (the platform rotated its
//! key) triggers one refetch, but at most one such refetch per cooldown (30 s by default): a
//! flood of tokens with made-up `kid`s cannot make the server hammer the platform. The cache is
//! also refreshed after a TTL (1 h by default), in the background: a token whose key is known
//! never waits for the JWKS, and if the refresh fails the keys already known stay in use, so a
//! JWKS outage does not sign everyone out. Fetches are single-flight: verifications waiting for
//! the same fetch share it.
//!
//! Errors are meant for logs and people. None of them, nor any `Debug` output here, contains
//! the token (a bearer credential), a key, or a claim other than the one the error is about.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyOperations, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, Validation};
use serde_json::{Map, Value};

/// Clock skew tolerated on `exp` and `nbf` by default.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(5);
/// Least time between two JWKS fetches caused by unknown `kid`s (or after a failed fetch).
pub const DEFAULT_REFETCH_COOLDOWN: Duration = Duration::from_secs(30);
/// How long fetched keys are used before the JWKS is fetched again.
pub const DEFAULT_KEYS_TTL: Duration = Duration::from_secs(3600);
/// Timeout of one JWKS fetch (connection, request and body together).
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Longer tokens are refused unread. Clerk's are about 1 KiB and travel in a cookie (4 KiB).
const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Larger JWKS answers are refused (a real one is a few KiB).
const MAX_JWKS_BYTES: u64 = 1 << 20;
/// RSA keys shorter than this are not accepted, from a JWKS or a PEM (Clerk's are 2048 bits).
const MIN_RSA_BITS: usize = 2048;
/// Attacker-chosen strings (a `kid`, an `alg`, an `iss`) are shown in errors at most this long.
const MAX_SHOWN_CHARS: usize = 80;

/// Where the old platform's public keys come from and what a session token must satisfy.
///
/// Exactly one of [`jwks_url`](Self::jwks_url) and [`public_key_pem`](Self::public_key_pem) is
/// set. `Debug` shows neither the PEM nor the JWKS URL's credentials or query.
#[derive(Clone)]
pub struct SessionConfig {
    /// The platform's JWKS, e.g. `https://clerk.example.com/.well-known/jwks.json`. Must be
    /// `https://`; `http://` only to a loopback address (tests, a local proxy), since keys
    /// fetched in clear could be swapped by anyone on the path.
    pub jwks_url: Option<String>,
    /// The platform's RSA public key as PEM (`-----BEGIN PUBLIC KEY-----`, as Clerk's dashboard
    /// shows it, or `-----BEGIN RSA PUBLIC KEY-----`). No network is used then, and the
    /// token's `kid` is not looked at.
    pub public_key_pem: Option<String>,
    /// The expected `iss` (Clerk: the Frontend API URL). `None`: not checked. A trailing `/`
    /// on either side does not matter.
    pub issuer: Option<String>,
    /// Origins a token's `azp` may name (`https://app.example.com`). Empty: `azp` is not
    /// checked; otherwise a token without `azp` is refused too.
    pub authorized_parties: Vec<String>,
    /// Clock skew tolerated on `exp` and `nbf` (whole seconds are used).
    pub leeway: Duration,
    /// Accepted signature algorithms: RSA ones only (RS256/384/512, PS256/384/512). Default:
    /// RS256, which is what Clerk signs with.
    pub algorithms: Vec<Algorithm>,
    /// Least time between two JWKS fetches triggered by unknown `kid`s, and before retrying a
    /// failed fetch.
    pub refetch_cooldown: Duration,
    /// How long fetched keys are used before the JWKS is fetched again (in the background;
    /// they stay in use meanwhile, and while the JWKS cannot be fetched).
    pub keys_ttl: Duration,
    /// Timeout of one JWKS fetch.
    pub fetch_timeout: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            jwks_url: None,
            public_key_pem: None,
            issuer: None,
            authorized_parties: Vec::new(),
            leeway: DEFAULT_LEEWAY,
            algorithms: vec![Algorithm::RS256],
            refetch_cooldown: DEFAULT_REFETCH_COOLDOWN,
            keys_ttl: DEFAULT_KEYS_TTL,
            fetch_timeout: DEFAULT_FETCH_TIMEOUT,
        }
    }
}

impl fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionConfig")
            .field("jwks_url", &self.jwks_url.as_deref().map(shown_url))
            .field(
                "public_key_pem",
                &self
                    .public_key_pem
                    .as_ref()
                    .map(|p| format!("<PEM, {} bytes>", p.len())),
            )
            .field("issuer", &self.issuer)
            .field("authorized_parties", &self.authorized_parties)
            .field("leeway", &self.leeway)
            .field("algorithms", &self.algorithms)
            .field("refetch_cooldown", &self.refetch_cooldown)
            .field("keys_ttl", &self.keys_ttl)
            .field("fetch_timeout", &self.fetch_timeout)
            .finish()
    }
}

/// What a verified session token says: whose session it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClaims {
    /// `sub`: the user's id on the old platform (Clerk: `user_…`).
    pub user_id: String,
    /// `sid`: the session's id (Clerk: `sess_…`), when the token has one.
    pub session_id: Option<String>,
    /// `exp`, Unix seconds.
    pub expires_at: i64,
    /// `iat`, Unix seconds.
    pub issued_at: Option<i64>,
    /// `iss` (Clerk: the Frontend API URL).
    pub issuer: Option<String>,
    /// `azp`: the origin the token was obtained from.
    pub authorized_party: Option<String>,
}

/// Why a session token was refused, or why none could be checked.
///
/// The variants up to [`AuthorizedParty`](Self::AuthorizedParty) are the token's fault (answer
/// 401); [`KeysUnavailable`](Self::KeysUnavailable) is the platform's (503) and
/// [`Config`](Self::Config) the operator's. See [`SessionError::is_token_refused`].
/// Values taken from the token (`kid`, `alg`, `iss`, `azp`) are shortened and escaped.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Not a JWT, or one whose parts do not decode; the reason names the part, never its text.
    #[error("the session token is malformed: {0}")]
    Malformed(&'static str),
    /// The header's `alg` is not one of the configured algorithms (`none`, HS256, …), or not
    /// the one the JWKS gives for the key.
    #[error("the session token's algorithm {found} is not accepted (accepted: {accepted})")]
    Algorithm {
        /// The token's `alg`, shortened and escaped.
        found: String,
        /// The algorithms accepted.
        accepted: String,
    },
    /// The token's `kid` is not in the JWKS, even after a refetch (or within the refetch
    /// cooldown).
    #[error("{}", unknown_key_message(.kid))]
    UnknownKey {
        /// The token's `kid` (not a secret), shortened and escaped; `None` when it has none.
        kid: Option<String>,
    },
    /// The signature does not match the header and payload under the key.
    #[error("the session token's signature is not valid (forged or altered token)")]
    Signature,
    /// `exp` is past, beyond the leeway.
    #[error("the session token has expired")]
    Expired,
    /// `nbf` is in the future, beyond the leeway.
    #[error("the session token is not valid yet (its nbf is in the future)")]
    NotYetValid,
    /// `iss` is missing or is not the configured issuer.
    #[error("{}", issuer_message(.expected, .found))]
    Issuer {
        /// The configured issuer.
        expected: String,
        /// The token's `iss`, shortened and escaped; `None` when missing or not a string.
        found: Option<String>,
    },
    /// `azp` is missing or not one of the configured authorized parties.
    #[error("{}", authorized_party_message(.found))]
    AuthorizedParty {
        /// The token's `azp`, shortened and escaped; `None` when missing or not a string.
        found: Option<String>,
    },
    /// The JWKS could not be fetched or used (and no key known before fits).
    #[error("the old platform's session keys are unavailable: {0}")]
    KeysUnavailable(String),
    /// The configuration cannot work (from [`SessionVerifier::new`]).
    #[error("session fallback configuration: {0}")]
    Config(String),
}

impl SessionError {
    /// True when the token itself was refused (unauthenticated), false when it could not be
    /// checked ([`KeysUnavailable`](Self::KeysUnavailable), [`Config`](Self::Config)).
    pub fn is_token_refused(&self) -> bool {
        !matches!(self, Self::KeysUnavailable(_) | Self::Config(_))
    }
}

fn unknown_key_message(kid: &Option<String>) -> String {
    match kid {
        Some(kid) => {
            format!("the session token was signed by a key the JWKS does not have (kid {kid})")
        }
        None => "the session token names no key (no kid) and the JWKS has several".into(),
    }
}

fn issuer_message(expected: &str, found: &Option<String>) -> String {
    match found {
        Some(found) => {
            format!("the session token was issued by {found}, not by the configured `{expected}`")
        }
        None => format!("the session token has no issuer (iss); `{expected}` is required"),
    }
}

fn authorized_party_message(found: &Option<String>) -> String {
    match found {
        Some(found) => {
            format!("the session token was obtained from {found}, which is not an authorized party")
        }
        None => "the session token names no origin (azp) while authorized parties are \
                 configured"
            .into(),
    }
}

/// Checks the old platform's session tokens. Cheap to clone (the key cache is shared); `Send +
/// Sync`, for the server's tasks.
#[derive(Clone)]
pub struct SessionVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: Option<String>,
    authorized_parties: Vec<String>,
    leeway: u64,
    algorithms: Vec<Algorithm>,
    source: KeySource,
}

enum KeySource {
    Pem(Arc<VerifyKey>),
    Jwks(Arc<JwksSource>),
}

impl fmt::Debug for SessionVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        let keys = match &i.source {
            KeySource::Pem(_) => "PEM public key".to_string(),
            KeySource::Jwks(j) => format!("JWKS {}", j.shown_url),
        };
        f.debug_struct("SessionVerifier")
            .field("keys", &keys)
            .field("issuer", &i.issuer)
            .field("authorized_parties", &i.authorized_parties)
            .field("leeway_secs", &i.leeway)
            .field("algorithms", &i.algorithms)
            .finish()
    }
}

/// One public key and the algorithm its JWK pins it to, if any.
struct VerifyKey {
    key: DecodingKey,
    alg: Option<Algorithm>,
}

impl SessionVerifier {
    /// Checks the configuration (exactly one key source, RSA algorithms only, a usable URL or
    /// PEM). Does no I/O: the JWKS is fetched on the first [`verify`](Self::verify) or
    /// [`load_keys`](Self::load_keys).
    pub fn new(config: SessionConfig) -> Result<Self, SessionError> {
        if config.algorithms.is_empty() {
            return Err(SessionError::Config(
                "no signature algorithm is accepted (algorithms is empty; Clerk signs RS256)"
                    .into(),
            ));
        }
        if let Some(alg) = config
            .algorithms
            .iter()
            .find(|a| a.family() != AlgorithmFamily::Rsa)
        {
            return Err(SessionError::Config(format!(
                "{alg:?} cannot be accepted: only RSA algorithms (RS256, RS384, RS512, PS256, \
                 PS384, PS512) are, since the keys are public RSA keys (an HMAC algorithm would \
                 let anyone holding the public key sign tokens)"
            )));
        }
        if config.fetch_timeout.is_zero() {
            return Err(SessionError::Config(
                "fetch_timeout must not be zero".into(),
            ));
        }
        if config.keys_ttl.is_zero() {
            return Err(SessionError::Config("keys_ttl must not be zero".into()));
        }
        if config
            .authorized_parties
            .iter()
            .any(|p| p.trim().is_empty())
        {
            return Err(SessionError::Config(
                "an authorized party is empty (give origins such as https://app.example.com)"
                    .into(),
            ));
        }
        let issuer = match config.issuer {
            Some(i) if i.trim().is_empty() => {
                return Err(SessionError::Config(
                    "issuer is empty (leave it out not to check iss)".into(),
                ));
            }
            other => other,
        };
        let jwks_url = config.jwks_url.filter(|u| !u.trim().is_empty());
        let pem = config.public_key_pem.filter(|p| !p.trim().is_empty());
        let source = match (jwks_url, pem) {
            (Some(_), Some(_)) => {
                return Err(SessionError::Config(
                    "give either a JWKS URL or a PEM public key, not both".into(),
                ));
            }
            (None, None) => {
                return Err(SessionError::Config(
                    "neither a JWKS URL nor a PEM public key is given".into(),
                ));
            }
            (None, Some(pem)) => KeySource::Pem(Arc::new(pem_key(&pem)?)),
            (Some(url), None) => KeySource::Jwks(Arc::new(JwksSource::new(
                url.trim(),
                &config.algorithms,
                config.refetch_cooldown,
                config.keys_ttl,
                config.fetch_timeout,
            )?)),
        };
        Ok(SessionVerifier {
            inner: Arc::new(Inner {
                issuer,
                authorized_parties: config.authorized_parties,
                leeway: config.leeway.as_secs(),
                algorithms: config.algorithms,
                source,
            }),
        })
    }

    /// Verifies a session token (the JWT alone, without `Bearer `) and returns whose session it
    /// is. May fetch the JWKS (see the module's documentation); needs a Tokio runtime.
    pub async fn verify(&self, token: &str) -> Result<SessionClaims, SessionError> {
        let inner = &self.inner;
        let header = parse_header(token)?;
        let alg = Algorithm::from_str(&header.alg)
            .ok()
            .filter(|a| inner.algorithms.contains(a))
            .ok_or_else(|| inner.algorithm_error(&header.alg))?;
        let key = match &inner.source {
            KeySource::Pem(key) => Arc::clone(key),
            KeySource::Jwks(jwks) => jwks.key_for(header.kid.as_deref()).await?,
        };
        if key.alg.is_some_and(|pinned| pinned != alg) {
            return Err(inner.algorithm_error(&header.alg));
        }

        let mut validation = Validation::new(alg);
        validation.algorithms = vec![alg];
        validation.leeway = inner.leeway;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        // Clerk's session tokens carry no `aud`; the origin is in `azp`, checked below.
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp"]);
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
            .map_err(|e| inner.decode_error(e, &header.alg))?;
        // From here on, the token is authentic and current.
        let claims = data.claims;

        let issuer = claims.get("iss").and_then(Value::as_str);
        if let Some(expected) = &inner.issuer
            && !issuer.is_some_and(|iss| same_url(iss, expected))
        {
            return Err(SessionError::Issuer {
                expected: expected.clone(),
                found: issuer.map(shown),
            });
        }
        let azp = claims.get("azp").and_then(Value::as_str);
        if !inner.authorized_parties.is_empty()
            && !azp.is_some_and(|azp| inner.authorized_parties.iter().any(|p| same_url(azp, p)))
        {
            return Err(SessionError::AuthorizedParty {
                found: azp.map(shown),
            });
        }
        let user_id = match claims.get("sub").and_then(Value::as_str) {
            Some(sub) if !sub.is_empty() => sub.to_string(),
            _ => return Err(SessionError::Malformed("it names no user (no sub)")),
        };
        let expires_at = claims
            .get("exp")
            .and_then(unix_seconds)
            .ok_or(SessionError::Malformed("its exp is not a time"))?;
        Ok(SessionClaims {
            user_id,
            session_id: claims.get("sid").and_then(Value::as_str).map(str::to_owned),
            expires_at,
            issued_at: claims.get("iat").and_then(unix_seconds),
            issuer: issuer.map(str::to_owned),
            authorized_party: azp.map(str::to_owned),
        })
    }

    /// Fetches the JWKS now (for a server to fail fast at startup, or to refresh on demand) and
    /// returns how many usable keys it has; with a PEM key, `Ok(1)` without I/O. Ignores the
    /// refetch cooldown but joins a fetch already under way.
    pub async fn load_keys(&self) -> Result<usize, SessionError> {
        match &self.inner.source {
            KeySource::Pem(_) => Ok(1),
            KeySource::Jwks(jwks) => jwks.load().await,
        }
    }
}

impl Inner {
    fn algorithm_error(&self, found: &str) -> SessionError {
        SessionError::Algorithm {
            found: shown(found),
            accepted: self
                .algorithms
                .iter()
                .map(|a| format!("{a:?}"))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// jsonwebtoken's errors, in this module's terms. Its messages are not passed on: some
    /// (JSON errors) quote the input.
    fn decode_error(&self, e: jsonwebtoken::errors::Error, alg: &str) -> SessionError {
        use jsonwebtoken::errors::ErrorKind as K;
        match e.kind() {
            K::InvalidSignature => SessionError::Signature,
            K::ExpiredSignature => SessionError::Expired,
            K::ImmatureSignature => SessionError::NotYetValid,
            K::InvalidAlgorithm | K::MissingAlgorithm | K::UnsupportedAlgorithm => {
                self.algorithm_error(alg)
            }
            K::MissingRequiredClaim(_) => SessionError::Malformed("it has no expiry (no exp)"),
            K::InvalidClaimFormat(_) => SessionError::Malformed("its exp or nbf is not a time"),
            K::Base64(_) => SessionError::Malformed("a part is not base64url"),
            K::Json(_) | K::Utf8(_) => SessionError::Malformed("its payload is not a JSON object"),
            K::InvalidToken => SessionError::Malformed("its header is not acceptable"),
            // A key that cannot verify anything (bad modulus): the token cannot be trusted.
            _ => SessionError::Signature,
        }
    }
}

/// The parts of a JWT header looked at before any key.
struct TokenHeader {
    alg: String,
    kid: Option<String>,
}

fn parse_header(token: &str) -> Result<TokenHeader, SessionError> {
    if token.is_empty() {
        return Err(SessionError::Malformed("it is empty"));
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(SessionError::Malformed("it is longer than 16 KiB"));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SessionError::Malformed(
            "a JWT has three parts separated by dots",
        ));
    };
    if header.is_empty() || payload.is_empty() {
        return Err(SessionError::Malformed("its header or payload is empty"));
    }
    let bytes =
        b64url_decode(header).ok_or(SessionError::Malformed("its header is not base64url"))?;
    let fields: Map<String, Value> = serde_json::from_slice(&bytes)
        .map_err(|_| SessionError::Malformed("its header is not a JSON object"))?;
    let alg = match fields.get("alg") {
        Some(Value::String(alg)) => alg.clone(),
        _ => {
            return Err(SessionError::Malformed(
                "its header names no algorithm (alg)",
            ));
        }
    };
    let kid = match fields.get("kid") {
        None | Some(Value::Null) => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(SessionError::Malformed("its header's kid is not a string")),
    };
    Ok(TokenHeader { alg, kid })
}

/// Unpadded base64url (RFC 7515), strictly: no padding, no stray bits (the base64 crate's
/// `URL_SAFE_NO_PAD` refuses both).
fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
}

/// `exp`/`iat` as Unix seconds (JSON numbers, fractions dropped).
fn unix_seconds(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

/// Issuers and origins compare equal whatever their trailing `/`.
fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim().trim_end_matches('/')
}

/// An attacker-chosen value, fit for a log line: quoted, control characters escaped, shortened.
fn shown(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(MAX_SHOWN_CHARS)
        .flat_map(char::escape_debug)
        .collect();
    if s.chars().count() > MAX_SHOWN_CHARS {
        out.push('…');
    }
    format!("`{out}`")
}

/// A URL as shown to people: no credentials, query or fragment.
fn shown_url(url: &str) -> String {
    let url = url.trim();
    let url = url.split(['?', '#']).next().unwrap_or(url);
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit('@').next().unwrap_or(authority);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_string(),
    }
}

/// The bit length of a big-endian unsigned integer.
fn bit_len(n: &[u8]) -> usize {
    match n.iter().position(|&b| b != 0) {
        Some(i) => (n.len() - i - 1) * 8 + (8 - n[i].leading_zeros() as usize),
        None => 0,
    }
}

fn pem_key(pem: &str) -> Result<VerifyKey, SessionError> {
    let refused = || {
        SessionError::Config(
            "public_key_pem is not an RSA public key in PEM (-----BEGIN PUBLIC KEY-----)".into(),
        )
    };
    let key = DecodingKey::from_rsa_pem(pem.trim().as_bytes()).map_err(|_| refused())?;
    // from_rsa_pem only unwraps the PEM; parse the key now rather than on the first token.
    let der = key.try_get_as_bytes().map_err(|_| refused())?;
    let provider = jsonwebtoken::crypto::CryptoProvider::try_get_default().ok_or_else(|| {
        SessionError::Config("jsonwebtoken has no crypto provider (a build problem)".into())
    })?;
    let (n, _e) =
        (provider.key_utils.rsa_pub_components_from_public_key)(der).map_err(|_| refused())?;
    let bits = bit_len(&n);
    if bits < MIN_RSA_BITS {
        return Err(SessionError::Config(format!(
            "public_key_pem is a {bits}-bit RSA key; at least {MIN_RSA_BITS} bits are required"
        )));
    }
    Ok(VerifyKey { key, alg: None })
}

// ---------------------------------------------------------------------------------------------
// The JWKS cache.

struct JwksSource {
    url: String,
    shown_url: String,
    agent: ureq::Agent,
    algorithms: Vec<Algorithm>,
    cooldown: Duration,
    ttl: Duration,
    /// The keys in use; replaced whole by each successful fetch. Never held across an await.
    keys: RwLock<Arc<KeySet>>,
    /// Held for the whole of a fetch (by the blocking task doing it): one fetch at a time.
    fetch: Arc<tokio::sync::Mutex<FetchState>>,
    /// Fetches completed so far: a task that read this before waiting for the lock and sees it
    /// changed once it has the lock knows a fetch ran meanwhile, and takes its outcome instead
    /// of fetching again.
    attempts: AtomicU64,
}

/// A JWKS key and its `kid`, if it has one.
type KidKey = (Option<String>, Arc<VerifyKey>);

#[derive(Default)]
struct KeySet {
    keys: Vec<KidKey>,
    /// When these keys were fetched; `None` until the first successful fetch.
    fetched_at: Option<Instant>,
}

impl KeySet {
    fn find(&self, kid: Option<&str>) -> Option<Arc<VerifyKey>> {
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|(k, _)| k.as_deref() == Some(kid))
                .map(|(_, key)| Arc::clone(key)),
            // A token without kid: only unambiguous with a single key.
            None if self.keys.len() == 1 => Some(Arc::clone(&self.keys[0].1)),
            None => None,
        }
    }

    fn is_fresh(&self, now: Instant, ttl: Duration) -> bool {
        self.fetched_at
            .is_some_and(|at| now.saturating_duration_since(at) < ttl)
    }
}

#[derive(Default)]
struct FetchState {
    /// The last failed fetch and why, until a fetch succeeds.
    last_failure: Option<(Instant, String)>,
    /// The last fetch caused by an unknown kid.
    last_kid_refetch: Option<Instant>,
}

impl FetchState {
    fn recent_failure(&self, now: Instant, cooldown: Duration) -> Option<&str> {
        self.last_failure
            .as_ref()
            .filter(|(at, _)| now.saturating_duration_since(*at) < cooldown)
            .map(|(_, why)| why.as_str())
    }
}

impl JwksSource {
    fn new(
        url: &str,
        algorithms: &[Algorithm],
        cooldown: Duration,
        ttl: Duration,
        timeout: Duration,
    ) -> Result<Self, SessionError> {
        let shown = shown_url(url);
        let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host_port = authority.rsplit('@').next().unwrap_or(authority);
        let host = if let Some(v6) = host_port.strip_prefix('[') {
            v6.split(']').next().unwrap_or("")
        } else {
            host_port.split(':').next().unwrap_or("")
        };
        if host.is_empty() {
            return Err(SessionError::Config(format!(
                "jwks_url {shown} is not an http(s) URL with a host"
            )));
        }
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        match scheme.to_ascii_lowercase().as_str() {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                return Err(SessionError::Config(format!(
                    "jwks_url {shown} must use https:// (http:// only to a loopback address): \
                     keys fetched in clear could be replaced on the way"
                )));
            }
            _ => {
                return Err(SessionError::Config(format!(
                    "jwks_url {shown} must start with https://"
                )));
            }
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            // A JWKS answers where it is; a redirect could lead to plain http.
            .max_redirects(0)
            .user_agent(concat!("authferry/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(JwksSource {
            url: url.to_string(),
            shown_url: shown,
            agent,
            algorithms: algorithms.to_vec(),
            cooldown,
            ttl,
            keys: RwLock::new(Arc::new(KeySet::default())),
            fetch: Arc::new(tokio::sync::Mutex::new(FetchState::default())),
            attempts: AtomicU64::new(0),
        })
    }

    fn snapshot(&self) -> Arc<KeySet> {
        Arc::clone(&self.keys.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The key for a token's `kid`. A known key is returned at once (past the TTL too, while a
    /// refresh runs in the background); otherwise the JWKS is fetched when it is not loaded
    /// yet, stale, or lacks the kid (subject to the cooldown), and the lookup waits for it.
    async fn key_for(self: &Arc<Self>, kid: Option<&str>) -> Result<Arc<VerifyKey>, SessionError> {
        let seen = self.attempts.load(Ordering::Acquire);
        let keys = self.snapshot();
        if let Some(key) = keys.find(kid) {
            if !keys.is_fresh(Instant::now(), self.ttl) {
                self.refresh_in_background();
            }
            return Ok(key);
        }

        let mut state = Arc::clone(&self.fetch).lock_owned().await;
        let keys = self.snapshot();
        let now = Instant::now();
        if let Some(key) = keys.find(kid) {
            return Ok(key); // fetched by another task between the two looks
        }
        if self.attempts.load(Ordering::Acquire) != seen {
            // A fetch ran while this task waited: its outcome is this task's too.
            return self.settle(&keys, kid, state.recent_failure(now, Duration::MAX));
        }
        let failed_recently = state.recent_failure(now, self.cooldown).is_some();
        let fetch = if !keys.is_fresh(now, self.ttl) {
            // Not loaded yet, or past the TTL: load, unless the last try failed just now.
            !failed_recently
        } else {
            // Loaded and fresh, but the kid is unknown: one refetch per cooldown.
            let cooled = state
                .last_kid_refetch
                .is_none_or(|at| now.saturating_duration_since(at) >= self.cooldown);
            if cooled && !failed_recently {
                state.last_kid_refetch = Some(now);
                true
            } else {
                false
            }
        };
        if !fetch {
            return self.settle(&keys, kid, state.recent_failure(now, self.cooldown));
        }
        let failure = self
            .start_fetch(state)
            .await
            .map_err(|_| SessionError::KeysUnavailable("the JWKS fetch task failed".into()))?;
        self.settle(&self.snapshot(), kid, failure.as_deref())
    }

    /// Past the TTL: starts a refresh nobody waits for, unless one is under way or the last
    /// one failed within the cooldown.
    fn refresh_in_background(self: &Arc<Self>) {
        let Ok(state) = Arc::clone(&self.fetch).try_lock_owned() else {
            return; // a fetch is under way
        };
        let now = Instant::now();
        if self.snapshot().is_fresh(now, self.ttl)
            || state.recent_failure(now, self.cooldown).is_some()
        {
            return;
        }
        drop(self.start_fetch(state));
    }

    /// Fetches now (under the lock), unless a fetch ran while waiting for it.
    async fn load(self: &Arc<Self>) -> Result<usize, SessionError> {
        let seen = self.attempts.load(Ordering::Acquire);
        let state = Arc::clone(&self.fetch).lock_owned().await;
        let failure = if self.attempts.load(Ordering::Acquire) != seen {
            state
                .recent_failure(Instant::now(), Duration::MAX)
                .map(str::to_owned)
        } else {
            self.start_fetch(state)
                .await
                .map_err(|_| SessionError::KeysUnavailable("the JWKS fetch task failed".into()))?
        };
        match failure {
            Some(why) => Err(SessionError::KeysUnavailable(why)),
            None => Ok(self.snapshot().keys.len()),
        }
    }

    /// Starts one fetch on the blocking pool. The lock's guard goes with it, so that the fetch
    /// finishes, updates the cache and releases the lock even if nobody awaits it (a refresh
    /// in the background, or a request dropped meanwhile). Its result: why it failed, if it
    /// did.
    fn start_fetch(
        self: &Arc<Self>,
        mut state: tokio::sync::OwnedMutexGuard<FetchState>,
    ) -> tokio::task::JoinHandle<Option<String>> {
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let failure = match this.fetch_keys() {
                Ok(keys) => {
                    let set = KeySet {
                        keys,
                        fetched_at: Some(Instant::now()),
                    };
                    *this.keys.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(set);
                    state.last_failure = None;
                    None
                }
                Err(why) => {
                    state.last_failure = Some((Instant::now(), why.clone()));
                    Some(why)
                }
            };
            // Counted once done, before the lock is released (`state` dropped): whoever saw
            // the old count before waiting for the lock knows this fetch's outcome is theirs.
            this.attempts.fetch_add(1, Ordering::AcqRel);
            drop(state);
            failure
        })
    }

    /// What a lookup ends with once no (further) fetch is to be made.
    fn settle(
        &self,
        keys: &KeySet,
        kid: Option<&str>,
        failure: Option<&str>,
    ) -> Result<Arc<VerifyKey>, SessionError> {
        if let Some(key) = keys.find(kid) {
            // Possibly past the TTL: known keys stay in use while the JWKS cannot be fetched.
            return Ok(key);
        }
        match (keys.fetched_at, failure) {
            (_, Some(why)) => Err(SessionError::KeysUnavailable(why.to_string())),
            (None, None) => Err(SessionError::KeysUnavailable(format!(
                "the JWKS at {} has not been fetched yet",
                self.shown_url
            ))),
            (Some(_), None) => Err(SessionError::UnknownKey {
                kid: kid.map(shown),
            }),
        }
    }

    /// GET the JWKS and keep its RSA signature keys. Blocking.
    fn fetch_keys(&self) -> Result<Vec<KidKey>, String> {
        let at = &self.shown_url;
        let mut response = self
            .agent
            .get(&self.url)
            .header("Accept", "application/json")
            .call()
            .map_err(|e| format!("fetching the JWKS at {at}: {}", describe(&e)))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(format!("the JWKS at {at} answered HTTP {status}"));
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_JWKS_BYTES)
            .read_to_vec()
            .map_err(|e| format!("reading the JWKS at {at}: {}", describe(&e)))?;
        let set: Map<String, Value> =
            serde_json::from_slice(&body).map_err(|_| format!("the JWKS at {at} is not JSON"))?;
        let Some(Value::Array(entries)) = set.get("keys") else {
            return Err(format!("the JWKS at {at} has no `keys` list"));
        };
        // Each key on its own: one of a kind jsonwebtoken does not know must not spoil the rest.
        let keys: Vec<_> = entries
            .iter()
            .filter_map(|entry| serde_json::from_value::<Jwk>(entry.clone()).ok())
            .filter_map(|jwk| self.usable(&jwk))
            .collect();
        if keys.is_empty() {
            return Err(format!(
                "the JWKS at {at} has no RSA signature key of {MIN_RSA_BITS} bits or more"
            ));
        }
        Ok(keys)
    }

    /// An RSA key meant for signatures (`use` absent or `sig`; `key_ops`, if any, with
    /// `verify`), for an accepted algorithm, long enough.
    fn usable(&self, jwk: &Jwk) -> Option<KidKey> {
        let AlgorithmParameters::RSA(rsa) = &jwk.algorithm else {
            return None;
        };
        let common = &jwk.common;
        if !matches!(common.public_key_use, None | Some(PublicKeyUse::Signature)) {
            return None;
        }
        if common
            .key_operations
            .as_ref()
            .is_some_and(|ops| !ops.contains(&KeyOperations::Verify))
        {
            return None;
        }
        let alg = match common.key_algorithm {
            None => None,
            Some(ka) => Some(
                Algorithm::try_from(ka)
                    .ok()
                    .filter(|a| self.algorithms.contains(a))?,
            ),
        };
        let key = DecodingKey::from_rsa_components(&rsa.n, &rsa.e).ok()?;
        let DecodingKeyKind::RsaModulusExponent { n, .. } = key.kind() else {
            return None;
        };
        if bit_len(n) < MIN_RSA_BITS {
            return None;
        }
        Some((common.key_id.clone(), Arc::new(VerifyKey { key, alg })))
    }
}

fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::Io(io) => format!("connection error: {}", io.kind()),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::BodyExceedsLimit(_) => format!("larger than {MAX_JWKS_BYTES} bytes"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_is_strict() {
        assert_eq!(b64url_decode("").unwrap(), b"");
        assert_eq!(b64url_decode("YQ").unwrap(), b"a");
        assert_eq!(b64url_decode("YWI").unwrap(), b"ab");
        assert_eq!(b64url_decode("YWJj").unwrap(), b"abc");
        assert_eq!(b64url_decode("-_8").unwrap(), [0xfb, 0xff]);
        assert!(b64url_decode("YQ==").is_none(), "padding");
        assert!(b64url_decode("YR").is_none(), "stray bits");
        assert!(b64url_decode("Y").is_none(), "impossible length");
        assert!(b64url_decode("YW+j").is_none(), "standard alphabet");
    }

    #[test]
    fn urls_are_shown_without_credentials_or_query() {
        assert_eq!(
            shown_url("https://u:p@clerk.example.com/.well-known/jwks.json?key=s#x"),
            "https://clerk.example.com/.well-known/jwks.json"
        );
        assert_eq!(shown_url("https://h"), "https://h");
    }

    #[test]
    fn shown_values_are_escaped_and_short() {
        assert_eq!(shown("ab\ncd"), "`ab\\ncd`");
        let long = "k".repeat(500);
        let s = shown(&long);
        assert!(s.chars().count() < MAX_SHOWN_CHARS + 4, "{s}");
        assert!(s.ends_with("…`"));
    }

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_len(&[0, 0, 1]), 1);
        assert_eq!(bit_len(&[0x80, 0]), 16);
        assert_eq!(bit_len(&[]), 0);
    }
}
