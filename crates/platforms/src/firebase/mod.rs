//! Firebase Authentication as a source (`--from firebase:PATH`): the file
//! `firebase auth:export` writes, as JSON ([`FirebaseJsonSource`]) or CSV
//! ([`FirebaseCsvSource`]), chosen by the file's extension as `firebase auth:export` chooses
//! it (else by its first character).
//!
//! Passwords are Firebase's modified scrypt: each user's `passwordHash` and `salt`, and the
//! project's parameters, which are not in the export. `--hash-config FILE` gives them, as the
//! console shows them ([`HashConfig`]); every password then carries them in its `params` and
//! can be verified or re-encoded. Without it the records still carry their digests, which
//! nothing can verify: the engine counts them as unverifiable (a missing parameter of the
//! digest) and `--unverifiable` decides whether those users are skipped or moved without it.
//!
//! What a record becomes:
//!
//! * `localId` → the source id; `email`/`emailVerified` → the primary email; `phoneNumber` →
//!   the primary phone, verified (Firebase keeps a number only once an SMS code proved it);
//! * `displayName`, `photoUrl`; `createdAt`, `lastSignedInAt` (milliseconds, as text);
//!   `disabled` → banned;
//! * `customAttributes` (the custom claims, a JSON object written as text) → public metadata;
//! * `providerUserInfo` → OAuth links, the provider without Firebase's domain (`google.com` →
//!   `google`); the `password` and `phone` entries the API lists are sign-in methods, not links;
//! * `mfaInfo` phone enrolments → `mfa_phones`. firebase-tools' exporter drops `mfaInfo` today;
//!   exports made with the Admin SDK or the REST API's `downloadAccount` have it. Enrolments
//!   of other kinds (TOTP, email) come without their secret and are not carried.
//!
//! Both readers stream: memory stays bounded by one record whatever the export's size, and a
//! bad record fails alone, named by its id and field, never showing a value.

mod csv;
mod hash_config;
mod json;

pub use csv::FirebaseCsvSource;
pub use hash_config::{HashConfig, HashConfigError};
pub use json::FirebaseJsonSource;

use crate::SpecError;
use crate::registry::{Endpoint, Flag, Platform, SourcePlan, Spec};
use authferry_core::{PasswordCredential, RecordError, Secret, Source, Timestamp};
use serde_json::{Map, Value};
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};

/// Whose ids the records carry: every Firebase export of one project shares them.
const ID_SPACE: &str = "firebase";

/// The hasher name of Firebase's own export format in `authferry_hash`.
const HASHER: &str = "firebase_scrypt";

pub const PLATFORM: Platform = Platform {
    name: "Firebase",
    endpoints: &[Endpoint {
        flags: &[&HASH_CONFIG],
        fields: {
            use authferry_core::Field::*;
            &[
                PrimaryEmail,
                PrimaryPhone,
                DisplayName,
                ImageUrl,
                Password,
                MfaPhones,
                ExternalAccounts,
                PublicMetadata,
                CreatedAt,
                LastSignInAt,
                Banned,
            ]
        },
        formats: &[authferry_hash::Format::FirebaseScrypt],
        ..Endpoint::source(
            "firebase",
            &["firebase:PATH"],
            "firebase auth:export JSON or CSV (passwords need --hash-config)",
            parse_source,
        )
    }],
};

pub static HASH_CONFIG: Flag = Flag::new(
    "hash-config",
    "FILE",
    "`firebase:` source: the project's password hash parameters, pasted as the Firebase console \
     shows them (hash_config { algorithm: SCRYPT, base64_signer_key: …, … }); without them \
     password digests migrate but cannot be verified",
);

/// `--from firebase:PATH [--hash-config FILE]`, parsed. The hash configuration is read here,
/// so that a wrong one is a usage error before anything runs.
#[derive(Debug)]
struct FirebasePlan {
    path: PathBuf,
    hash: Option<HashConfig>,
}

fn parse_source(spec: &Spec<'_>) -> Result<Box<dyn SourcePlan>, SpecError> {
    let hash = spec
        .flag(HASH_CONFIG.name)
        .map(|file| {
            HashConfig::read(Path::new(file))
                .map_err(|e| SpecError::Usage(format!("--hash-config {file}: {e}")))
        })
        .transpose()?;
    Ok(Box::new(FirebasePlan {
        path: spec.path(),
        hash,
    }))
}

impl SourcePlan for FirebasePlan {
    fn open(&self) -> Result<Box<dyn Source>, SpecError> {
        open_export(&self.path, self.hash.as_ref())
            .map_err(|e| SpecError::open(&format!("firebase:{}", self.path.display()), e))
    }
}

/// The two shapes of `firebase auth:export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Csv,
}

/// The export's format: from the extension, as `firebase auth:export` picks it, else from the
/// first character (`{` or `[` is JSON: a CSV row starts with a user id).
pub fn detect_format(path: &Path) -> io::Result<ExportFormat> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("json") | Some("ndjson") => return Ok(ExportFormat::Json),
        Some("csv") => return Ok(ExportFormat::Csv),
        _ => {}
    }
    let mut reader = io::BufReader::new(std::fs::File::open(path)?);
    loop {
        let buf = reader.fill_buf()?;
        let Some(&first) = buf.first() else {
            return Ok(ExportFormat::Json);
        };
        let skip = if buf.starts_with(b"\xEF\xBB\xBF") {
            3
        } else if first.is_ascii_whitespace() {
            1
        } else {
            return Ok(if matches!(first, b'{' | b'[') {
                ExportFormat::Json
            } else {
                ExportFormat::Csv
            });
        };
        reader.consume(skip);
    }
}

/// Opens an export in the format it has.
pub fn open_export(path: &Path, hash: Option<&HashConfig>) -> io::Result<Box<dyn Source>> {
    Ok(match detect_format(path)? {
        ExportFormat::Json => Box::new(FirebaseJsonSource::open(path, hash)?),
        ExportFormat::Csv => Box::new(FirebaseCsvSource::open(path, hash)?),
    })
}

/// One line for people: what is read, and whether passwords will be verifiable.
fn describe(path: &Path, format: &str, hash: Option<&Map<String, Value>>) -> String {
    let passwords = if hash.is_some() {
        "with the project's hash parameters"
    } else {
        "no --hash-config: password digests cannot be verified"
    };
    format!(
        "firebase:{} (auth:export {format}; {passwords})",
        path.display()
    )
}

/// A record's password: Firebase scrypt's base64 hash and the user's salt, with the project's
/// parameters when known. `None` without a hash (OAuth, phone and email-link users).
fn password(
    source_id: &str,
    hash: (&str, Option<String>),
    salt: (&str, Option<String>),
    project: Option<&Map<String, Value>>,
) -> Result<Option<PasswordCredential>, RecordError> {
    let (hash_field, Some(digest)) = hash else {
        return Ok(None);
    };
    let not_base64 = |field: &str| {
        RecordError::invalid(
            Some(source_id.to_owned()),
            Some(field),
            "not base64 (Firebase exports password hashes and salts in base64; the value is not shown)",
        )
    };
    let digest = hash_config::standard_base64(&digest).ok_or_else(|| not_base64(hash_field))?;
    let mut params = project.cloned().unwrap_or_default();
    // Without a salt the digest cannot be checked: the engine says so (a missing parameter),
    // as it does without the project's parameters. Guessing is never better.
    if let (salt_field, Some(salt)) = salt {
        let salt = hash_config::standard_base64(&salt).ok_or_else(|| not_base64(salt_field))?;
        params.insert("salt".into(), salt.into());
    }
    Ok(Some(PasswordCredential {
        hasher: Some(HASHER.into()),
        digest: Secret::new(digest),
        params,
    }))
}

/// Firebase's provider ids are domains (`google.com`); the canonical model names the provider
/// (`google`), as Clerk's `oauth_google` becomes `google`. `None` for the entries that are
/// sign-in methods of the account itself, not links to another identity.
fn provider_name(provider_id: &str) -> Option<String> {
    let id = provider_id.trim();
    match id {
        "" | "password" | "phone" | "emailLink" | "anonymous" => None,
        _ => Some(match id.strip_suffix(".com") {
            Some(name) if !name.contains('.') => name.to_owned(),
            // `oidc.acme`, `saml.corp`, `playgames.google.com`: kept whole, nothing to strip.
            _ => id.to_owned(),
        }),
    }
}

/// Firebase's times: milliseconds since the epoch, which the exporter writes as text.
fn millis_text(text: &str) -> Option<Timestamp> {
    let t = text.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse::<i64>().ok().map(Timestamp::from_millis)
}

const MILLIS_EXPECTED: &str =
    "expected milliseconds since the epoch (Firebase writes them as text, e.g. \"1600000000000\")";

/// Custom claims: a JSON object, which Firebase keeps as text. An empty object is no claims.
fn custom_claims(text: &str) -> Result<Option<Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(claims)) if claims.is_empty() => Ok(None),
        Ok(claims @ Value::Object(_)) => Ok(Some(claims)),
        Ok(Value::Null) => Ok(None),
        Ok(_) => Err("expected a JSON object of custom claims".into()),
        Err(e) => Err(format!(
            "not valid JSON ({})",
            crate::shared::redact_serde(&e.to_string())
        )),
    }
}

/// An enrolled second-factor number as Firebase lists it. An obfuscated one (`+*******1234`,
/// what the API returns after a first-factor sign-in) cannot be enrolled again.
fn mfa_number(text: &str) -> Result<String, &'static str> {
    let number = text.trim();
    if number.contains('*') {
        return Err(
            "the number is obfuscated: export with the Admin SDK or downloadAccount, \
                    which give the whole number",
        );
    }
    let digits: String = number
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let e164 = digits
        .strip_prefix('+')
        .is_some_and(|d| (7..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()));
    if !e164 {
        return Err("not an E.164 phone number (+ and 7 to 15 digits)");
    }
    Ok(number.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_lose_their_domain() {
        assert_eq!(provider_name("google.com").as_deref(), Some("google"));
        assert_eq!(provider_name("apple.com").as_deref(), Some("apple"));
        assert_eq!(provider_name("oidc.acme").as_deref(), Some("oidc.acme"));
        assert_eq!(
            provider_name("playgames.google.com").as_deref(),
            Some("playgames.google.com")
        );
        assert_eq!(provider_name("password"), None);
        assert_eq!(provider_name("phone"), None);
    }

    #[test]
    fn millis_are_digits_only() {
        assert_eq!(
            millis_text("1600000000000"),
            Some(Timestamp::from_millis(1_600_000_000_000))
        );
        assert_eq!(millis_text("yesterday"), None);
        assert_eq!(millis_text("-5"), None);
        assert_eq!(millis_text("99999999999999999999999"), None);
    }

    #[test]
    fn mfa_numbers() {
        assert_eq!(mfa_number(" +15551234567 ").as_deref(), Ok("+15551234567"));
        assert!(mfa_number("+1*******4567").is_err());
        assert!(mfa_number("5551234567").is_err());
    }

    #[test]
    fn claims_must_be_an_object() {
        assert_eq!(custom_claims("{}"), Ok(None));
        assert!(custom_claims("[1]").is_err());
        assert!(custom_claims("{\"a\":").is_err());
        assert_eq!(
            custom_claims("{\"role\":\"admin\"}"),
            Ok(Some(serde_json::json!({"role": "admin"})))
        );
    }
}
