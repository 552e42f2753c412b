//! Session fallback: Clerk-shaped session JWTs, signed here with RSA keys made at test time and
//! checked against a JWKS served from 127.0.0.1 (which counts its requests and can rotate its
//! keys, fail or stall), or against a PEM. Offline.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use authferry_serve::session::{SessionClaims, SessionConfig, SessionError, SessionVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey, LineEnding};
use rsa::pkcs8::EncodePublicKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

const ISS: &str = "https://clerk.example.com";
const APP: &str = "https://app.example.com";

// ---------------------------------------------------------------------------------------------
// Keys, tokens and the JWKS server.

struct TestKey {
    kid: &'static str,
    signing: EncodingKey,
    /// `-----BEGIN PUBLIC KEY-----`, as Clerk's dashboard shows it.
    spki_pem: String,
    /// `-----BEGIN RSA PUBLIC KEY-----`.
    pkcs1_pem: String,
    private_pem: String,
    n: String,
    e: String,
}

impl TestKey {
    /// The key as Clerk's JWKS lists it.
    fn jwk(&self) -> Value {
        json!({"use": "sig", "kty": "RSA", "kid": self.kid, "alg": "RS256", "n": self.n, "e": self.e})
    }

    fn jwk_with(&self, extra: Value) -> Value {
        let mut jwk = self.jwk();
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                jwk.as_object_mut().unwrap().remove(k);
            } else {
                jwk[k] = v.clone();
            }
        }
        jwk
    }
}

/// Three 2048-bit keys, made once per test binary.
fn keys() -> &'static [TestKey; 3] {
    static KEYS: OnceLock<[TestKey; 3]> = OnceLock::new();
    KEYS.get_or_init(|| ["ins_key_a", "ins_key_b", "ins_key_c"].map(make_key))
}

fn key_a() -> &'static TestKey {
    &keys()[0]
}
fn key_b() -> &'static TestKey {
    &keys()[1]
}
fn key_c() -> &'static TestKey {
    &keys()[2]
}

fn make_key(kid: &'static str) -> TestKey {
    let private = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).expect("generate an RSA key");
    let public = private.to_public_key();
    let der = private.to_pkcs1_der().expect("PKCS#1 DER");
    TestKey {
        kid,
        signing: EncodingKey::from_rsa_der(der.as_bytes()),
        spki_pem: public.to_public_key_pem(LineEnding::LF).unwrap(),
        pkcs1_pem: public.to_pkcs1_pem(LineEnding::LF).unwrap(),
        private_pem: private.to_pkcs1_pem(LineEnding::LF).unwrap().to_string(),
        n: URL_SAFE_NO_PAD.encode(public.n_bytes()),
        e: URL_SAFE_NO_PAD.encode(public.e_bytes()),
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A Clerk v2 session token's claims, valid for a minute.
fn claims() -> Value {
    let t = now();
    json!({
        "azp": APP,
        "exp": t + 60,
        "fva": [0, -1],
        "iat": t,
        "iss": ISS,
        "nbf": t - 5,
        "sid": "sess_2abcSession",
        "sts": "active",
        "sub": "user_2abcUser",
        "v": 2,
    })
}

/// `claims()` with some claims replaced, or removed (null).
fn claims_with(changes: Value) -> Value {
    let mut c = claims();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

/// RS256, signed by `key`, with its kid.
fn sign(key: &TestKey, claims: &Value) -> String {
    sign_as(key, Some(key.kid), Algorithm::RS256, claims)
}

fn sign_as(key: &TestKey, kid: Option<&str>, alg: Algorithm, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key.signing).expect("sign")
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

/// A token put together by hand: any header, payload and signature.
fn raw_token(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header),
        b64(claims),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// HS256 over `header.payload` with `secret`, as an attacker holding the public key would.
fn hs256_token(kid: &str, claims: &Value, secret: &[u8]) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_secret(secret).expect("HMAC key"),
    )
    .expect("sign HS256")
}

struct Reply {
    status: u16,
    body: String,
    delay: Duration,
}

/// A JWKS endpoint on 127.0.0.1: counts the requests it gets; its answer can be changed.
struct JwksServer {
    url: String,
    hits: Arc<AtomicUsize>,
    reply: Arc<Mutex<Reply>>,
}

impl JwksServer {
    fn start(keys: &[Value]) -> JwksServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let url = format!(
            "http://{}/.well-known/jwks.json",
            listener.local_addr().unwrap()
        );
        let hits = Arc::new(AtomicUsize::new(0));
        let reply = Arc::new(Mutex::new(Reply {
            status: 200,
            body: json!({ "keys": keys }).to_string(),
            delay: Duration::ZERO,
        }));
        let (h, r) = (Arc::clone(&hits), Arc::clone(&reply));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (h, r) = (Arc::clone(&h), Arc::clone(&r));
                std::thread::spawn(move || answer(stream, &h, &r));
            }
        });
        JwksServer { url, hits, reply }
    }

    fn set_keys(&self, keys: &[Value]) {
        self.set_body(&json!({ "keys": keys }).to_string());
    }

    fn set_body(&self, body: &str) {
        let mut r = self.reply.lock().unwrap();
        r.status = 200;
        r.body = body.to_string();
    }

    fn set_status(&self, status: u16) {
        self.reply.lock().unwrap().status = status;
    }

    fn set_delay(&self, delay: Duration) {
        self.reply.lock().unwrap().delay = delay;
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn answer(mut stream: TcpStream, hits: &AtomicUsize, reply: &Mutex<Reply>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    hits.fetch_add(1, Ordering::SeqCst);
    let (status, body, delay) = {
        let r = reply.lock().unwrap();
        (r.status, r.body.clone(), r.delay)
    };
    std::thread::sleep(delay);
    let _ = write!(
        stream,
        "HTTP/1.1 {status} Whatever\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
}

/// An address nothing listens on.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/.well-known/jwks.json")
}

/// Clerk-like settings: JWKS at `url`, issuer and one authorized party checked.
fn jwks_config(url: &str) -> SessionConfig {
    SessionConfig {
        jwks_url: Some(url.to_string()),
        issuer: Some(ISS.to_string()),
        authorized_parties: vec![APP.to_string()],
        ..SessionConfig::default()
    }
}

fn verifier(config: SessionConfig) -> SessionVerifier {
    SessionVerifier::new(config).expect("valid configuration")
}

async fn accept(v: &SessionVerifier, token: &str) -> SessionClaims {
    match v.verify(token).await {
        Ok(claims) => claims,
        Err(e) => panic!("refused: {e}"),
    }
}

/// Verifies a token that must be refused; checks that the error shows nothing of the token.
async fn refuse(v: &SessionVerifier, token: &str) -> SessionError {
    match v.verify(token).await {
        Ok(claims) => panic!("accepted: {claims:?}"),
        Err(e) => {
            assert_shows_no_token(&e, token);
            e
        }
    }
}

/// Neither `Display` nor `Debug` contains the token or any of its parts (of 8 characters or
/// more: shorter ones, like `abc`, may occur in any sentence).
fn assert_shows_no_token(e: &SessionError, token: &str) {
    for text in [e.to_string(), format!("{e:?}"), format!("{e:#?}")] {
        assert!(token.len() < 8 || !text.contains(token), "{text}");
        for part in token.split('.').filter(|p| p.len() >= 8) {
            assert!(!text.contains(part), "shows a part of the token: {text}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Accepted.

#[tokio::test]
async fn valid_token_gives_its_claims_and_keys_are_cached() {
    let server = JwksServer::start(&[key_a().jwk(), key_b().jwk()]);
    let v = verifier(jwks_config(&server.url));
    let c = claims();
    let got = accept(&v, &sign(key_a(), &c)).await;
    assert_eq!(
        got,
        SessionClaims {
            user_id: "user_2abcUser".into(),
            session_id: Some("sess_2abcSession".into()),
            expires_at: c["exp"].as_i64().unwrap(),
            issued_at: c["iat"].as_i64(),
            issuer: Some(ISS.into()),
            authorized_party: Some(APP.into()),
        }
    );
    // Both keys of the set are known now: neither token fetches again.
    accept(&v, &sign(key_b(), &claims())).await;
    accept(&v, &sign(key_a(), &claims())).await;
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn no_issuer_nor_authorized_parties_configured_checks_neither() {
    let server = JwksServer::start(&[key_a().jwk()]);
    let v = verifier(SessionConfig {
        jwks_url: Some(server.url.clone()),
        ..SessionConfig::default()
    });
    let got = accept(
        &v,
        &sign(
            key_a(),
            &claims_with(json!({"iss": null, "azp": null, "sid": null, "iat": null})),
        ),
    )
    .await;
    assert_eq!(got.user_id, "user_2abcUser");
    assert_eq!(
        (
            got.issuer,
            got.authorized_party,
            got.session_id,
            got.issued_at
        ),
        (None, None, None, None)
    );
    accept(
        &v,
        &sign(
            key_a(),
            &claims_with(json!({"iss": "https://other.example", "azp": "https://x.example"})),
        ),
    )
    .await;
}

#[tokio::test]
async fn token_without_kid_is_checked_against_a_single_key_only() {
    let server = JwksServer::start(&[key_a().jwk()]);
    let v = verifier(jwks_config(&server.url));
    let token = sign_as(key_a(), None, Algorithm::RS256, &claims());
    accept(&v, &token).await;

    let server = JwksServer::start(&[key_a().jwk(), key_b().jwk()]);
    let v = verifier(jwks_config(&server.url));
    let e = refuse(&v, &token).await;
    assert!(matches!(e, SessionError::UnknownKey { kid: None }), "{e:?}");
    assert!(e.to_string().contains("no kid"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Time.

#[tokio::test]
async fn expired_token_is_refused_beyond_the_leeway() {
    let server = JwksServer::start(&[key_a().jwk()]);
    let v = verifier(jwks_config(&server.url));
    let t = now();
    let old = sign(
        key_a(),
        &claims_with(json!({"exp": t - 60, "iat": t - 120, "nbf": t - 125})),
    );
    let e = refuse(&v, &old).await;
    assert!(matches!(e, SessionError::Expired), "{e:?}");
    assert_eq!(e.to_string(), "the session token has expired");
    assert!(e.is_token_refused());
    // Expired two seconds ago: within the default 5 s leeway.
    accept(&v, &sign(key_a(), &claims_with(json!({"exp": t - 2})))).await;
    // With no leeway it is refused.
    let strict = verifier(SessionConfig {
        leeway: Duration::ZERO,
        ..jwks_config(&server.url)
    });
    let e = refuse(&strict, &sign(key_a(), &claims_with(json!({"exp": t - 2})))).await;
    assert!(matches!(e, SessionError::Expired), "{e:?}");
}

#[tokio::test]
async fn token_not_valid_yet_is_refused_beyond_the_leeway() {
    let server = JwksServer::start(&[key_a().jwk()]);
    let v = verifier(jwks_config(&server.url));
    let t = now();
    let early = sign(
        key_a(),
        &claims_with(json!({"nbf": t + 60, "exp": t + 120})),
    );
    let e = refuse(&v, &early).await;
    assert!(matches!(e, SessionError::NotYetValid), "{e:?}");
    assert!(e.to_string().contains("not valid yet"), "{e}");
    // Two seconds of clock skew pass.
    accept(&v, &sign(key_a(), &claims_with(json!({"nbf": t + 2})))).await;
}

#[tokio::test]
async fn token_without_exp_or_sub_is_refused() {
    let server = JwksServer::start(&[key_a().jwk()]);
    let v = verifier(jwks_config(&server.url));
    let e = refuse(&v, &sign(key_a(), &claims_with(json!({"exp": null})))).await;
    assert!(matches!(e, SessionError::Malformed(_)), "{e:?}");
    let e = refuse(&v, &sign(key_a(), &claims_with(json!({"exp": "tomorrow"})))).await;
    assert!(matches!(e, SessionError::Malformed(_)), "{e:?}");
    let e = refuse(&v, &sign(key_a(), &claims_with(json!({"sub": null})))).await;
    assert!(matches!(e, SessionError::Malformed(_)), "{e:?}");
    assert!(e.to_string().contains("no sub"), "{e}");
    let e = refuse(&v, &sign(key_a(), &claims_with(json!({"sub": ""})))).await;
    assert!(matches!(e, SessionError::Malformed(_)), "{e:?}");
}

// ---------------------------------------------------------------------------------------------
// Issuer and authorized parties.

#[tokio::test]
async fn wrong_or_missing_issuer_is_refused() {
    let server = JwksServer::start(&[key_a().jwk()]);
    let v = verifier(jwks_config(&server.url));
    let e = refuse(
        &v,
        &sign(
            key_a(),
            &claims_with(json!({"iss": "https://evil.example"})),
        ),
    )
    .await;
    match &e {
        SessionError::Issuer { expected, found } => {
            assert_eq!(expected, ISS);
            assert_eq!(found.as_deref(), Some("`https://evil.example`"));
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("https://evil.example"), "{e}");
    let e = refuse(&v, &sign(key_a(), &claims_with(json!({"iss": null})))).await;
    assert!(
        matches!(e, SessionError::Issuer { found: None, .. }),
        "{e:?}"
    );
    let e = refuse(&v, &sign(key_a(), &claims_with(json!({"iss": 42})))).await;
    assert!(matches!(e, SessionError::Issuer { .. }), "{e:?}");
    // A trailing slash on either side does not matter.
    accept(
        &v,
        &sign(key_a(), &claims_with(json!({"iss": format!("{ISS}/")}))),
    )
    .await;
}

#[tokio::test]
async fn wrong_or_missing_azp_is_refused_when_authorized_parties_are_set() {
    let server = JwksServer::start(&[key_a().jwk()]);
    let v = verifier(SessionConfig {
        authorized_parties: vec![APP.into(), "https://admin.example.com/".into()],
        ..jwks_config(&server.url)
    });
    let e = refuse(
        &v,
        &sign(
            key_a(),
            &claims_with(json!({"azp": "https://evil.example"})),
        ),
    )
    .await;
    assert!(
        matches!(&e, SessionError::AuthorizedParty { found: Some(f) } if f.contains("evil")),
        "{e:?}"
    );
    assert!(e.is_token_refused());
    let e = refuse(&v, &sign(key_a(), &claims_with(json!({"azp": null})))).await;
    assert!(
        matches!(e, SessionError::AuthorizedParty { found: None }),
        "{e:?}"
    );
    assert!(e.to_string().contains("no origin (azp)"), "{e}");
    // A prefix or a look-alike is not an origin on the list.
    for azp in [
        "https://app.example.com.evil.example",
        "https://app.example",
        "http://app.example.com",
    ] {
        let e = refuse(&v, &sign(key_a(), &claims_with(json!({ "azp": azp })))).await;
        assert!(matches!(e, SessionError::AuthorizedParty { .. }), "{e:?}");
    }
    accept(
        &v,
        &sign(
            key_a(),
            &claims_with(json!({"azp": "https://admin.example.com"})),
        ),
    )
    .await;
    accept(&v, &sign(key_a(), &claims())).await;
}

// ---------------------------------------------------------------------------------------------
// Key rotation, the cooldown, the TTL and single-flight fetches.

#[tokio::test]
async fn rotated_key_is_found_by_one_refetch_and_unknown_kids_then_wait_for_the_cooldown() {
    let server = JwksServer::start(&[key_a().jwk()]);
    let v = verifier(jwks_config(&server.url));
    accept(&v, &sign(key_a(), &claims())).await;
    assert_eq!(server.hits(), 1);

    // The platform rotates: B replaces A.
    server.set_keys(&[key_b().jwk()]);
    accept(&v, &sign(key_b(), &claims())).await;
    assert_eq!(server.hits(), 2, "one refetch for the unknown kid");

    // Another unknown kid within the cooldown: refused without asking the JWKS again.
    let stranger = sign_as(key_c(), Some("ins_random_kid"), Algorithm::RS256, &claims());
    let e = refuse(&v, &stranger).await;
    match &e {
        SessionError::UnknownKey { kid } => {
            assert_eq!(kid.as_deref(), Some("`ins_random_kid`"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.to_string(),
        "the session token was signed by a key the JWKS does not have (kid `ins_random_kid`)"
    );
    // A flood of them changes nothing.
    for i in 0..20 {
        let t = sign_as(
            key_c(),
            Some(&format!("kid-{i}")),
            Algorithm::RS256,
            &claims(),
        );
        let e = refuse(&v, &t).await;
        assert!(matches!(e, SessionError::UnknownKey { .. }), "{e:?}");
    }
    // A, no longer published, is no longer accepted.
    let e = refuse(&v, &sign(key_a(), &claims())).await;
    assert!(matches!(e, SessionError::UnknownKey { .. }), "{e:?}");
    assert_eq!(server.hits(), 2, "no fetch within the cooldown");
    // B still is.
    accept(&v, &sign(key_b(), &claims())).await;
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn unknown_kid_may_refetch_again_once_the_cooldown_is_over() {
    let server = JwksServer::start(&[key_a().jwk()]);
    let v = verifier(SessionConfig {
        refetch_cooldown: Duration::from_millis(1500),
        ..jwks_config(&server.url)
    });
    accept(&v, &sign(key_a(), &claims())).await;
    refuse(&v, &sign(key_c(), &claims())).await;
    assert_eq!(server.hits(), 2);
    refuse(&v, &sign(key_c(), &claims())).await;
    assert_eq!(server.hits(), 2);
    tokio::time::sleep(Duration::from_millis(1700)).await;
    server.set_keys(&[key_a().jwk(), key_c().jwk()]);
    accept(&v, &sign(key_c(), &claims())).await;
    assert_eq!(server.hits(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_verifications_share_one_fetch() {
    let server = JwksServer::start(&[key_a().jwk()]);
    server.set_delay(Duration::from_millis(300));
    // No cooldown at all: sharing must come from the single flight, not from the cooldown.
    let v = verifier(SessionConfig {
        refetch_cooldown: Duration::ZERO,
        ..jwks_config(&server.url)
    });
    let run = |key: &'static TestKey| {
        let v = v.clone();
        let token = sign(key, &claims());
        tokio::spawn(async move { v.verify(&token).await })
    };

    // The first load, 16 times at once.
    let tasks: Vec<_> = (0..16).map(|_| run(key_a())).collect();
    for t in tasks {
        t.await.unwrap().expect("accepted");
    }
    assert_eq!(server.hits(), 1);

    // A rotation: 16 tokens with the new kid at once.
    server.set_keys(&[key_a().jwk(), key_b().jwk()]);
    let tasks: Vec<_> = (0..16).map(|_| run(key_b())).collect();
    for t in tasks {
        t.await.unwrap().expect("accepted");
    }
    assert_eq!(server.hits(), 2);

    // A failing JWKS: those waiting share the failure too, rather than each trying again.
    let failing = JwksServer::start(&[]);
    failing.set_status(500);
    // Long enough for all 16 to be waiting before it fails, even on a busy machine.
    failing.set_delay(Duration::from_millis(1000));
    let v = verifier(SessionConfig {
        refetch_cooldown: Duration::ZERO,
        ..jwks_config(&failing.url)
    });
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let v = v.clone();
            let token = sign(key_a(), &claims());
            tokio::spawn(async move { v.verify(&token).await })
        })
        .collect();
    for t in tasks {
        let e = t.await.unwrap().unwrap_err();
        assert!(matches!(e, SessionError::KeysUnavailable(_)), "{e:?}");
    }
    assert_eq!(failing.hits(), 1);
}

/// Waits (at most 5 s) until the server has had `n` requests.
async fn wait_for_hits(server: &JwksServer, n: usize) {
    for _ in 0..500 {
        if server.hits() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.hits(), n);
}

#[tokio::test]
async fn keys_are_refreshed_after_the_ttl_and_kept_while_the_jwks_fails() {
    let server = JwksServer::start(&[key_a().jwk()]);
    let v = verifier(SessionConfig {
        keys_ttl: Duration::from_millis(1000),
        ..jwks_config(&server.url)
    });
    accept(&v, &sign(key_a(), &claims())).await;
    accept(&v, &sign(key_a(), &claims())).await;
    assert_eq!(server.hits(), 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // Past the TTL: the known key answers, and a refresh runs in the background.
    server.set_keys(&[key_a().jwk(), key_b().jwk()]);
    accept(&v, &sign(key_a(), &claims())).await;
    wait_for_hits(&server, 2).await;
    // The refresh (which holds the fetch lock from the start) brought B: its token waits for
    // that fetch rather than making another.
    accept(&v, &sign(key_b(), &claims())).await;
    assert_eq!(server.hits(), 2);

    // The JWKS breaks: known keys stay in use, and the failed refresh is not retried within
    // the cooldown.
    server.set_status(503);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    accept(&v, &sign(key_a(), &claims())).await;
    wait_for_hits(&server, 3).await;
    accept(&v, &sign(key_a(), &claims())).await;
    // But a key it never had cannot be had.
    let e = refuse(&v, &sign(key_c(), &claims())).await;
    assert!(matches!(e, SessionError::KeysUnavailable(_)), "{e:?}");
    assert!(!e.is_token_refused());
    accept(&v, &sign(key_b(), &claims())).await;
    assert_eq!(server.hits(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_key_never_waits_for_a_slow_jwks() {
    let server = JwksServer::start(&[key_a().jwk()]);
    let v = verifier(SessionConfig {
        keys_ttl: Duration::from_millis(500),
        ..jwks_config(&server.url)
    });
    accept(&v, &sign(key_a(), &claims())).await;
    server.set_delay(Duration::from_secs(2));
    tokio::time::sleep(Duration::from_millis(700)).await;
    let started = std::time::Instant::now();
    for _ in 0..5 {
        accept(&v, &sign(key_a(), &claims())).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    wait_for_hits(&server, 2).await;
}

#[tokio::test]
async fn load_keys_fetches_now() {
    let server = JwksServer::start(&[
        key_a().jwk(),
        key_b().jwk(),
        key_c().jwk_with(json!({"use": "enc"})),
    ]);
    let v = verifier(jwks_config(&server.url));
    assert_eq!(v.load_keys().await.unwrap(), 2);
    assert_eq!(server.hits(), 1);
    accept(&v, &sign(key_b(), &claims())).await;
    assert_eq!(server.hits(), 1);

    let down = verifier(jwks_config(&closed_port_url()));
    let e = down.load_keys().await.unwrap_err();
    assert!(matches!(e, SessionError::KeysUnavailable(_)), "{e:?}");

    let pem = verifier(SessionConfig {
        public_key_pem: Some(key_a().spki_pem.clone()),
        ..SessionConfig::default()
    });
    assert_eq!(pem.load_keys().await.unwrap(), 1);
}

// ---------------------------------------------------------------------------------------------
// Forgeries.

#[tokio::test]
async fn tampered_payload_is_refused() {
    let server = JwksServer::start(&[key_a().jwk()]);
    let v = verifier(jwks_config(&server.url));
    let token = sign(key_a(), &claims());
    let (header, rest) = token.split_once('.').unwrap();
    let (_payload, signature) = rest.split_once('.').unwrap();
    let forged_claims = claims_with(json!({"sub": "user_2someoneElse"}));
    let forged = format!("{header}.{}.{signature}", b64(&forged_claims));
    let e = refuse(&v, &forged).await;
    assert!(matches!(e, SessionError::Signature), "{e:?}");
    // Even an expired-and-tampered token says only "signature": claims are not looked at.
    let t = now();
    let stale = b64(&claims_with(
        json!({"exp": t - 3600, "iss": "https://evil.example"}),
    ));
    let e = refuse(&v, &format!("{header}.{stale}.{signature}")).await;
    assert!(matches!(e, SessionError::Signature), "{e:?}");
}

#[tokio::test]
async fn tampered_signature_is_refused() {
    let server = JwksServer::start(&[key_a().jwk()]);
    let v = verifier(jwks_config(&server.url));
    let token = sign(key_a(), &claims());
    let cut = token.rfind('.').unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(&token[cut + 1..]).unwrap();
    bytes[100] ^= 0x01;
    let forged = format!("{}.{}", &token[..cut], URL_SAFE_NO_PAD.encode(&bytes));
    let e = refuse(&v, &forged).await;
    assert!(matches!(e, SessionError::Signature), "{e:?}");
    assert!(e.is_token_refused());
    // No signature at all.
    let e = refuse(&v, &format!("{}.", &token[..cut])).await;
    assert!(
        matches!(e, SessionError::Signature | SessionError::Malformed(_)),
        "{e:?}"
    );
    // Signed by another key under the published kid.
    let impostor = sign_as(key_c(), Some(key_a().kid), Algorithm::RS256, &claims());
    let e = refuse(&v, &impostor).await;
    assert!(matches!(e, SessionError::Signature), "{e:?}");
}

#[tokio::test]
async fn alg_none_is_refused_before_any_key_is_fetched() {
    let server = JwksServer::start(&[key_a().jwk()]);
    let v = verifier(jwks_config(&server.url));
    for alg in ["none", "None", "NONE", "nOnE", ""] {
        let header = json!({"alg": alg, "typ": "JWT", "kid": key_a().kid});
        for signature in [&b""[..], b"anything"] {
            let token = raw_token(&header, &claims(), signature);
            let e = refuse(&v, &token).await;
            assert!(matches!(e, SessionError::Algorithm { .. }), "{alg}: {e:?}");
        }
    }
    let e = refuse(&v, &raw_token(&json!({"alg": "none"}), &claims(), b"")).await;
    assert_eq!(
        e.to_string(),
        "the session token's algorithm `none` is not accepted (accepted: RS256)"
    );
    assert_eq!(server.hits(), 0, "refused on the header alone");
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_refused() {
    let server = JwksServer::start(&[key_a().jwk()]);
    let jwks = verifier(jwks_config(&server.url));
    let pem = verifier(SessionConfig {
        public_key_pem: Some(key_a().spki_pem.clone()),
        issuer: Some(ISS.into()),
        ..SessionConfig::default()
    });
    // The classic confusion: the verifier's public key, as text or bytes, as the HMAC secret.
    let k = key_a();
    let modulus = URL_SAFE_NO_PAD.decode(&k.n).unwrap();
    let secrets: [&[u8]; 5] = [
        k.spki_pem.as_bytes(),
        k.spki_pem.trim_end().as_bytes(),
        k.pkcs1_pem.as_bytes(),
        &modulus,
        k.n.as_bytes(),
    ];
    for secret in secrets {
        let token = hs256_token(k.kid, &claims(), secret);
        for v in [&jwks, &pem] {
            let e = refuse(v, &token).await;
            assert!(matches!(e, SessionError::Algorithm { .. }), "{e:?}");
        }
    }
    // An HMAC key slipped into the JWKS under the kid does not help either.
    let server = JwksServer::start(&[
        json!({"kty": "oct", "kid": "hmac", "alg": "HS256", "k": URL_SAFE_NO_PAD.encode(b"secret-secret-secret-secret-1234")}),
        k.jwk(),
    ]);
    let v = verifier(jwks_config(&server.url));
    let e = refuse(
        &v,
        &hs256_token("hmac", &claims(), b"secret-secret-secret-secret-1234"),
    )
    .await;
    assert!(matches!(e, SessionError::Algorithm { .. }), "{e:?}");
    assert_eq!(server.hits(), 0);
    // Nor can HS256 be configured.
    let e = SessionVerifier::new(SessionConfig {
        algorithms: vec![Algorithm::RS256, Algorithm::HS256],
        ..jwks_config(&server.url)
    })
    .unwrap_err();
    assert!(matches!(e, SessionError::Config(_)), "{e:?}");
}

#[tokio::test]
async fn only_the_configured_algorithms_are_accepted() {
    let server = JwksServer::start(&[key_a().jwk_with(json!({"alg": null}))]);
    let rs256 = verifier(jwks_config(&server.url));
    for alg in [Algorithm::RS384, Algorithm::RS512, Algorithm::PS256] {
        let token = sign_as(key_a(), Some(key_a().kid), alg, &claims());
        let e = refuse(&rs256, &token).await;
        assert!(
            matches!(e, SessionError::Algorithm { .. }),
            "{alg:?}: {e:?}"
        );
    }
    let es256 = raw_token(
        &json!({"alg": "ES256", "typ": "JWT", "kid": key_a().kid}),
        &claims(),
        &[7u8; 64],
    );
    let e = refuse(&rs256, &es256).await;
    assert!(matches!(e, SessionError::Algorithm { .. }), "{e:?}");
    assert_eq!(server.hits(), 0);

    let both = verifier(SessionConfig {
        algorithms: vec![Algorithm::RS256, Algorithm::RS384],
        ..jwks_config(&server.url)
    });
    accept(
        &both,
        &sign_as(key_a(), Some(key_a().kid), Algorithm::RS384, &claims()),
    )
    .await;
    accept(&both, &sign(key_a(), &claims())).await;

    // A JWK pinned to RS256 does not verify RS384 tokens, even when RS384 is accepted.
    let pinned = JwksServer::start(&[key_a().jwk()]);
    let both = verifier(SessionConfig {
        algorithms: vec![Algorithm::RS256, Algorithm::RS384],
        ..jwks_config(&pinned.url)
    });
    let e = refuse(
        &both,
        &sign_as(key_a(), Some(key_a().kid), Algorithm::RS384, &claims()),
    )
    .await;
    assert!(matches!(e, SessionError::Algorithm { .. }), "{e:?}");
    accept(&both, &sign(key_a(), &claims())).await;
}

#[tokio::test]
async fn jwks_keys_not_meant_for_signatures_are_ignored() {
    let a = key_a();
    let server = JwksServer::start(&[
        key_b().jwk_with(json!({"use": "enc"})),
        key_c().jwk_with(json!({"key_ops": ["encrypt"]})),
        a.jwk_with(json!({"kid": "ins_es", "kty": "EC", "crv": "P-256", "x": a.n, "y": a.n, "n": null, "e": null, "alg": "ES256"})),
        json!({"kty": "RSA", "kid": "broken"}),
        a.jwk_with(json!({"use": null})), // no `use`: fine
    ]);
    let v = verifier(jwks_config(&server.url));
    accept(&v, &sign(a, &claims())).await;
    for key in [key_b(), key_c()] {
        let e = refuse(&v, &sign(key, &claims())).await;
        assert!(matches!(e, SessionError::UnknownKey { .. }), "{e:?}");
    }

    // A set with no usable key is a failed fetch.
    let server = JwksServer::start(&[a.jwk_with(json!({"use": "enc"}))]);
    let v = verifier(jwks_config(&server.url));
    let e = refuse(&v, &sign(a, &claims())).await;
    assert!(
        matches!(&e, SessionError::KeysUnavailable(why) if why.contains("no RSA signature key")),
        "{e:?}"
    );
}

#[tokio::test]
async fn malformed_tokens_are_refused_without_fetching() {
    let server = JwksServer::start(&[key_a().jwk()]);
    let v = verifier(jwks_config(&server.url));
    let good = sign(key_a(), &claims());
    let (header, _) = good.split_once('.').unwrap();
    let huge = format!("{header}.{}.sig", "A".repeat(20_000));
    let not_json = format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode("not json"),
        b64(&claims())
    );
    let no_alg = raw_token(&json!({"typ": "JWT"}), &claims(), b"sig");
    let kid_number = raw_token(&json!({"alg": "RS256", "kid": 7}), &claims(), b"sig");
    for token in [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "..",
        "!!!.???.###",
        &format!("Bearer {good}"),
        &format!("{good}.x"),
        &huge,
        &not_json,
        &no_alg,
        &kid_number,
    ] {
        let e = refuse(&v, token).await;
        assert!(
            matches!(e, SessionError::Malformed(_)),
            "{token:.40}: {e:?}"
        );
    }
    assert_eq!(server.hits(), 0);
    // A good header over a payload that is not JSON: refused (after the key, before claims).
    let e = refuse(
        &v,
        &format!("{header}.{}.c2ln", URL_SAFE_NO_PAD.encode("{{{")),
    )
    .await;
    assert!(
        matches!(e, SessionError::Signature | SessionError::Malformed(_)),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// PEM.

#[tokio::test]
async fn pem_configured_verifier_needs_no_jwks() {
    for pem in [&key_a().spki_pem, &key_a().pkcs1_pem] {
        let v = verifier(SessionConfig {
            public_key_pem: Some(pem.clone()),
            issuer: Some(ISS.into()),
            authorized_parties: vec![APP.into()],
            ..SessionConfig::default()
        });
        // The kid does not matter: there is one key.
        accept(&v, &sign(key_a(), &claims())).await;
        accept(&v, &sign_as(key_a(), None, Algorithm::RS256, &claims())).await;
        accept(
            &v,
            &sign_as(key_a(), Some("whatever"), Algorithm::RS256, &claims()),
        )
        .await;
        let e = refuse(&v, &sign(key_b(), &claims())).await;
        assert!(matches!(e, SessionError::Signature), "{e:?}");
        let t = now();
        let e = refuse(&v, &sign(key_a(), &claims_with(json!({"exp": t - 60})))).await;
        assert!(matches!(e, SessionError::Expired), "{e:?}");
        let e = refuse(
            &v,
            &sign(
                key_a(),
                &claims_with(json!({"azp": "https://evil.example"})),
            ),
        )
        .await;
        assert!(matches!(e, SessionError::AuthorizedParty { .. }), "{e:?}");
        // Debug shows no key.
        let debug = format!("{v:?}");
        assert!(!debug.contains("MII"), "{debug}");
    }
}

// ---------------------------------------------------------------------------------------------
// The JWKS unavailable.

#[tokio::test]
async fn jwks_endpoint_down_gives_keys_unavailable() {
    let url = closed_port_url();
    let v = verifier(jwks_config(&url));
    let token = sign(key_a(), &claims());
    let e = refuse(&v, &token).await;
    match &e {
        SessionError::KeysUnavailable(why) => {
            assert!(why.contains(&url), "{why}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!e.is_token_refused());
    assert!(
        e.to_string()
            .starts_with("the old platform's session keys are unavailable: "),
        "{e}"
    );

    // An endpoint answering 500, then garbage: refused, and not retried within the cooldown.
    let server = JwksServer::start(&[]);
    server.set_status(500);
    let v = verifier(jwks_config(&server.url));
    let e = refuse(&v, &token).await;
    assert!(
        matches!(&e, SessionError::KeysUnavailable(why) if why.contains("HTTP 500")),
        "{e:?}"
    );
    assert_eq!(server.hits(), 1);
    server.set_keys(&[key_a().jwk()]);
    let e = refuse(&v, &token).await;
    assert!(matches!(e, SessionError::KeysUnavailable(_)), "{e:?}");
    assert_eq!(server.hits(), 1, "no retry within the cooldown");

    let server = JwksServer::start(&[]);
    server.set_body("<html>not a JWKS</html>");
    let v = verifier(jwks_config(&server.url));
    let e = refuse(&v, &token).await;
    assert!(
        matches!(&e, SessionError::KeysUnavailable(why) if why.contains("not JSON")),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_stalled_jwks_times_out() {
    let server = JwksServer::start(&[key_a().jwk()]);
    server.set_delay(Duration::from_secs(3));
    let v = verifier(SessionConfig {
        fetch_timeout: Duration::from_millis(300),
        ..jwks_config(&server.url)
    });
    let started = std::time::Instant::now();
    let e = refuse(&v, &sign(key_a(), &claims())).await;
    assert!(
        matches!(&e, SessionError::KeysUnavailable(why) if why.contains("timed out")),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

// ---------------------------------------------------------------------------------------------
// Configuration, and what errors show.

#[test]
fn configuration_is_checked() {
    let url = "https://clerk.example.com/.well-known/jwks.json";
    let config = |f: &dyn Fn(&mut SessionConfig)| {
        let mut c = SessionConfig {
            jwks_url: Some(url.into()),
            ..SessionConfig::default()
        };
        f(&mut c);
        SessionVerifier::new(c)
    };
    assert!(config(&|_| {}).is_ok());
    assert!(config(&|c| c.jwks_url = Some("http://127.0.0.1:8080/jwks".into())).is_ok());
    assert!(config(&|c| c.jwks_url = Some("http://localhost/jwks".into())).is_ok());
    assert!(config(&|c| c.jwks_url = Some("http://[::1]:9/jwks".into())).is_ok());

    type Change<'a> = &'a dyn Fn(&mut SessionConfig);
    let refused: Vec<(&str, Change)> = vec![
        ("no source", &|c: &mut SessionConfig| c.jwks_url = None),
        ("both sources", &|c: &mut SessionConfig| {
            c.public_key_pem = Some(key_a().spki_pem.clone())
        }),
        ("plain http", &|c: &mut SessionConfig| {
            c.jwks_url = Some("http://clerk.example.com/.well-known/jwks.json".into())
        }),
        ("loopback look-alike", &|c: &mut SessionConfig| {
            c.jwks_url = Some("http://127.0.0.1.evil.example/jwks".into())
        }),
        ("no scheme", &|c: &mut SessionConfig| {
            c.jwks_url = Some("clerk.example.com/jwks".into())
        }),
        ("other scheme", &|c: &mut SessionConfig| {
            c.jwks_url = Some("file:///etc/jwks.json".into())
        }),
        ("no algorithm", &|c: &mut SessionConfig| {
            c.algorithms.clear()
        }),
        ("HS256", &|c: &mut SessionConfig| {
            c.algorithms = vec![Algorithm::HS256]
        }),
        ("ES256", &|c: &mut SessionConfig| {
            c.algorithms = vec![Algorithm::ES256]
        }),
        ("zero timeout", &|c: &mut SessionConfig| {
            c.fetch_timeout = Duration::ZERO
        }),
        ("zero ttl", &|c: &mut SessionConfig| {
            c.keys_ttl = Duration::ZERO
        }),
        ("empty issuer", &|c: &mut SessionConfig| {
            c.issuer = Some(" ".into())
        }),
        ("empty party", &|c: &mut SessionConfig| {
            c.authorized_parties = vec!["".into()]
        }),
    ];
    for (what, f) in refused {
        match config(f) {
            Err(SessionError::Config(msg)) => assert!(!msg.is_empty()),
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn bad_pem_is_refused_without_being_shown() {
    let pem_config = |pem: &str| {
        SessionVerifier::new(SessionConfig {
            public_key_pem: Some(pem.into()),
            ..SessionConfig::default()
        })
    };
    assert!(pem_config(&key_a().spki_pem).is_ok());
    let body_of = |pem: &str| {
        pem.lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>()
    };
    let garbage = "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n";
    for pem in [key_a().private_pem.as_str(), garbage, "not a PEM at all"] {
        let e = pem_config(pem).unwrap_err();
        assert!(matches!(e, SessionError::Config(_)), "{e:?}");
        let body = body_of(pem);
        for text in [e.to_string(), format!("{e:?}")] {
            for line in pem
                .lines()
                .filter(|l| l.len() > 12 && !l.starts_with("-----"))
            {
                assert!(!text.contains(line), "shows the PEM: {text}");
            }
            assert!(body.len() < 12 || !text.contains(&body[..12]), "{text}");
        }
    }
}

#[test]
fn debug_of_config_and_verifier_shows_no_key_nor_url_secrets() {
    let config = SessionConfig {
        public_key_pem: Some(key_a().spki_pem.clone()),
        ..SessionConfig::default()
    };
    let debug = format!("{config:?}");
    assert!(!debug.contains("MII") && debug.contains("<PEM,"), "{debug}");
    let config = SessionConfig {
        jwks_url: Some("https://user:hunter2@clerk.example.com/jwks?token=abc".into()),
        ..SessionConfig::default()
    };
    let debug = format!("{config:?}");
    assert!(
        !debug.contains("hunter2") && !debug.contains("token=abc"),
        "{debug}"
    );
    let v = verifier(config);
    let debug = format!("{v:?}");
    assert!(
        !debug.contains("hunter2") && !debug.contains("token=abc"),
        "{debug}"
    );
    assert!(debug.contains("https://clerk.example.com/jwks"), "{debug}");
}

#[tokio::test]
async fn no_error_shows_the_token() {
    let server = JwksServer::start(&[key_a().jwk()]);
    let v = verifier(jwks_config(&server.url));
    let t = now();
    let good = sign(key_a(), &claims());
    let (header, rest) = good.split_once('.').unwrap();
    let signature = rest.rsplit('.').next().unwrap();
    let tokens = [
        sign(key_a(), &claims_with(json!({"exp": t - 60}))),
        sign(key_a(), &claims_with(json!({"nbf": t + 60}))),
        sign(
            key_a(),
            &claims_with(json!({"iss": "https://evil.example"})),
        ),
        sign(
            key_a(),
            &claims_with(json!({"azp": "https://evil.example"})),
        ),
        sign(key_a(), &claims_with(json!({"sub": null}))),
        sign(key_c(), &claims()),
        sign_as(key_a(), Some(key_a().kid), Algorithm::RS384, &claims()),
        hs256_token(key_a().kid, &claims(), key_a().spki_pem.as_bytes()),
        raw_token(&json!({"alg": "none"}), &claims(), b""),
        format!(
            "{header}.{}.{signature}",
            b64(&claims_with(json!({"sub": "x"})))
        ),
        format!("{header}.{}", &rest[..rest.len() - 4]),
    ];
    let mut kinds = std::collections::BTreeSet::new();
    for token in &tokens {
        let e = refuse(&v, token).await;
        kinds.insert(
            format!("{e:?}")
                .split([' ', '(', '{'])
                .next()
                .unwrap()
                .to_string(),
        );
    }
    for kind in [
        "Expired",
        "NotYetValid",
        "Issuer",
        "AuthorizedParty",
        "Malformed",
        "UnknownKey",
        "Algorithm",
        "Signature",
    ] {
        assert!(kinds.contains(kind), "{kind} not produced: {kinds:?}");
    }
    // A kid made of a whole token is shown shortened, never in full.
    let e = refuse(
        &v,
        &sign_as(key_a(), Some(&good), Algorithm::RS256, &claims()),
    )
    .await;
    assert!(matches!(e, SessionError::UnknownKey { .. }), "{e:?}");
    assert!(!e.to_string().contains(&good) && !format!("{e:?}").contains(&good));
    assert!(e.to_string().len() < 200, "{e}");

    let down = verifier(jwks_config(&closed_port_url()));
    refuse(&down, &good).await;
}

#[test]
fn verifier_is_shareable() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<SessionVerifier>();
    fn error<T: std::error::Error + Send + Sync + 'static>() {}
    error::<SessionError>();
}
