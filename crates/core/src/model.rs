//! The canonical user: everything the supported platforms hold about one account.
//!
//! Sources translate their records into [`User`]; sinks translate [`User`] into their own
//! shape. The same struct is the NDJSON interchange format (`--to ndjson:FILE`), documented
//! field by field in `docs/canonical-user.md`; keep the two in step.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// A value that must never reach a log, a report, a journal, a panic or `Debug` output:
/// password digests, TOTP secrets, backup codes. Serialises as the plain string because the
/// NDJSON interchange file must carry it (that file is created 0600).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The secret itself. Call sites are the only places a secret leaves this wrapper; keep
    /// them few (a sink's encoder, a hash verifier).
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Milliseconds since the Unix epoch, UTC. Serialises as RFC 3339 with milliseconds
/// (`2023-10-22T06:10:53.486Z`); deserialises from that or from an integer of milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }
    pub fn millis(self) -> i64 {
        self.0
    }
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(d.as_millis() as i64)
    }
    fn offset_datetime(self) -> Option<time::OffsetDateTime> {
        time::OffsetDateTime::from_unix_timestamp_nanos(self.0 as i128 * 1_000_000).ok()
    }
    /// `2023-10-22T06:10:53.486Z`, the shape JavaScript's `Date.toISOString()` gives and
    /// better-auth's SQLite adapter stores.
    pub fn to_rfc3339(self) -> String {
        match self.offset_datetime() {
            Some(dt) => dt
                .format(time::macros::format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
                ))
                .unwrap_or_default(),
            None => String::new(),
        }
    }
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let dt = time::OffsetDateTime::parse(
            text.trim(),
            &time::format_description::well_known::Rfc3339,
        )
        .ok()?;
        Some(Timestamp((dt.unix_timestamp_nanos() / 1_000_000) as i64))
    }
    /// Accepts what exports put in a timestamp field: RFC 3339 text, milliseconds since the
    /// epoch (Clerk), or seconds since the epoch (values too small to be milliseconds after 1973).
    pub fn parse_loose(text: &str) -> Option<Self> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        if let Ok(n) = t.parse::<i64>() {
            return Some(Self::from_number(n));
        }
        Self::parse_rfc3339(t)
    }
    pub fn from_number(n: i64) -> Self {
        // 100_000_000_000 ms is 1973; any seconds value below it is before year 5138.
        if n.abs() < 100_000_000_000 {
            Timestamp(n * 1000)
        } else {
            Timestamp(n)
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => n
                .as_i64()
                .map(Timestamp::from_number)
                .ok_or_else(|| serde::de::Error::custom("timestamp is not an integer")),
            Value::String(s) => Timestamp::parse_loose(&s).ok_or_else(|| {
                serde::de::Error::custom("timestamp is neither RFC 3339 nor a number")
            }),
            _ => Err(serde::de::Error::custom(
                "timestamp must be a string or a number",
            )),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailAddress {
    pub address: String,
    #[serde(default)]
    pub verified: bool,
    #[serde(default)]
    pub primary: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneNumber {
    /// As exported; E.164 (`+15551234567`) when the source had it so.
    pub number: String,
    #[serde(default)]
    pub verified: bool,
    #[serde(default)]
    pub primary: bool,
}

/// A password digest as the source stored it. `hasher` is the source platform's name for the
/// algorithm when it gave one (Clerk's `password_hasher`); `params` carries out-of-band
/// parameters (Firebase signer key, an external salt, a pepper).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordCredential {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hasher: Option<String>,
    pub digest: Secret,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub params: serde_json::Map<String, Value>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalAccount {
    /// Provider without any platform prefix: `google`, `github`, `apple`, … (Clerk's
    /// `oauth_google` becomes `google`).
    pub provider: String,
    pub provider_user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// The user's id in the source platform. Sinks that can keep ids keep this one, so that
    /// foreign keys in the application's database stay valid.
    pub source_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<EmailAddress>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<PhoneNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<PasswordCredential>,
    /// RFC 4648 base32 TOTP secret (SHA-1, 6 digits, 30 s unless the source said otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_secret: Option<Secret>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backup_codes: Vec<Secret>,
    /// Phone numbers enrolled as an SMS second factor (Firebase `mfaInfo`), E.164. Not sign-in
    /// identifiers: a number may be here and not in `phones`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mfa_phones: Vec<PhoneNumber>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_accounts: Vec<ExternalAccount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsafe_metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sign_in_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub banned: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub locked: bool,
}

/// The canonical fields, by name, so the engine can say which ones a target drops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    ExternalId,
    PrimaryEmail,
    SecondaryEmails,
    PrimaryPhone,
    SecondaryPhones,
    Username,
    FirstName,
    LastName,
    DisplayName,
    ImageUrl,
    Password,
    TotpSecret,
    BackupCodes,
    MfaPhones,
    ExternalAccounts,
    PublicMetadata,
    PrivateMetadata,
    UnsafeMetadata,
    CreatedAt,
    UpdatedAt,
    LastSignInAt,
    Banned,
    Locked,
}

impl Field {
    /// Every canonical field, in declaration order.
    pub const ALL: [Field; 23] = [
        Field::ExternalId,
        Field::PrimaryEmail,
        Field::SecondaryEmails,
        Field::PrimaryPhone,
        Field::SecondaryPhones,
        Field::Username,
        Field::FirstName,
        Field::LastName,
        Field::DisplayName,
        Field::ImageUrl,
        Field::Password,
        Field::TotpSecret,
        Field::BackupCodes,
        Field::MfaPhones,
        Field::ExternalAccounts,
        Field::PublicMetadata,
        Field::PrivateMetadata,
        Field::UnsafeMetadata,
        Field::CreatedAt,
        Field::UpdatedAt,
        Field::LastSignInAt,
        Field::Banned,
        Field::Locked,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::ExternalId => "external_id",
            Field::PrimaryEmail => "primary_email",
            Field::SecondaryEmails => "secondary_emails",
            Field::PrimaryPhone => "primary_phone",
            Field::SecondaryPhones => "secondary_phones",
            Field::Username => "username",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::DisplayName => "display_name",
            Field::ImageUrl => "image_url",
            Field::Password => "password",
            Field::TotpSecret => "totp_secret",
            Field::BackupCodes => "backup_codes",
            Field::MfaPhones => "mfa_phones",
            Field::ExternalAccounts => "external_accounts",
            Field::PublicMetadata => "public_metadata",
            Field::PrivateMetadata => "private_metadata",
            Field::UnsafeMetadata => "unsafe_metadata",
            Field::CreatedAt => "created_at",
            Field::UpdatedAt => "updated_at",
            Field::LastSignInAt => "last_sign_in_at",
            Field::Banned => "banned",
            Field::Locked => "locked",
        }
    }
}

impl User {
    /// The primary email: the one flagged primary, else the first.
    pub fn primary_email(&self) -> Option<&EmailAddress> {
        self.emails
            .iter()
            .find(|e| e.primary)
            .or_else(|| self.emails.first())
    }
    pub fn primary_phone(&self) -> Option<&PhoneNumber> {
        self.phones
            .iter()
            .find(|p| p.primary)
            .or_else(|| self.phones.first())
    }
    /// `first last`, else the display name, else the username.
    pub fn full_name(&self) -> Option<String> {
        let parts: Vec<&str> = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if !parts.is_empty() {
            return Some(parts.join(" "));
        }
        self.display_name.clone().filter(|s| !s.trim().is_empty())
    }

    /// Whether this record carries data in `field`.
    pub fn has(&self, field: Field) -> bool {
        match field {
            Field::ExternalId => self.external_id.is_some(),
            Field::PrimaryEmail => !self.emails.is_empty(),
            Field::SecondaryEmails => self.emails.len() > 1,
            Field::PrimaryPhone => !self.phones.is_empty(),
            Field::SecondaryPhones => self.phones.len() > 1,
            Field::Username => self.username.is_some(),
            Field::FirstName => self.first_name.is_some(),
            Field::LastName => self.last_name.is_some(),
            Field::DisplayName => self.display_name.is_some(),
            Field::ImageUrl => self.image_url.is_some(),
            Field::Password => self.password.is_some(),
            Field::TotpSecret => self.totp_secret.is_some(),
            Field::BackupCodes => !self.backup_codes.is_empty(),
            Field::MfaPhones => !self.mfa_phones.is_empty(),
            Field::ExternalAccounts => !self.external_accounts.is_empty(),
            Field::PublicMetadata => has_metadata(&self.public_metadata),
            Field::PrivateMetadata => has_metadata(&self.private_metadata),
            Field::UnsafeMetadata => has_metadata(&self.unsafe_metadata),
            Field::CreatedAt => self.created_at.is_some(),
            Field::UpdatedAt => self.updated_at.is_some(),
            Field::LastSignInAt => self.last_sign_in_at.is_some(),
            Field::Banned => self.banned,
            Field::Locked => self.locked,
        }
    }

    /// Which canonical fields carry data in this record.
    pub fn present_fields(&self) -> Vec<Field> {
        Field::ALL
            .iter()
            .copied()
            .filter(|f| self.has(*f))
            .collect()
    }
}

/// `{}` and `null` carry nothing worth reporting as dropped.
fn has_metadata(v: &Option<Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Object(m)) => !m.is_empty(),
        Some(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_is_redacted() {
        let s = Secret::new("$2b$10$abcdefghijklmnopqrstuv");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        let u = User {
            source_id: "u1".into(),
            totp_secret: Some(Secret::new("JBSWY3DPEHPK3PXP")),
            ..Default::default()
        };
        assert!(!format!("{u:?}").contains("JBSWY3DPEHPK3PXP"));
    }

    #[test]
    fn timestamp_roundtrip() {
        let t = Timestamp::from_millis(1_697_955_053_486);
        assert_eq!(t.to_rfc3339(), "2023-10-22T06:10:53.486Z");
        assert_eq!(
            Timestamp::parse_rfc3339("2023-10-22T06:10:53.486Z"),
            Some(t)
        );
        assert_eq!(Timestamp::parse_loose("1697955053486"), Some(t));
        assert_eq!(
            Timestamp::parse_loose("1697955053"),
            Some(Timestamp(1_697_955_053_000))
        );
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2023-10-22T06:10:53.486Z\"");
        let back: Timestamp = serde_json::from_str("1697955053486").unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn user_roundtrips_through_json() {
        let u = User {
            source_id: "user_1".into(),
            emails: vec![EmailAddress {
                address: "a@example.com".into(),
                verified: true,
                primary: true,
            }],
            password: Some(PasswordCredential {
                hasher: Some("bcrypt".into()),
                digest: Secret::new("$2b$10$x"),
                params: Default::default(),
            }),
            banned: true,
            ..Default::default()
        };
        let line = serde_json::to_string(&u).unwrap();
        let back: User = serde_json::from_str(&line).unwrap();
        assert_eq!(back, u);
        assert!(!line.contains("locked"), "false flags are omitted: {line}");
    }

    #[test]
    fn full_name_prefers_first_last() {
        let mut u = User {
            first_name: Some("Ada".into()),
            last_name: Some(" Lovelace ".into()),
            ..Default::default()
        };
        assert_eq!(u.full_name().as_deref(), Some("Ada Lovelace"));
        u.first_name = None;
        u.last_name = None;
        u.display_name = Some("ada".into());
        assert_eq!(u.full_name().as_deref(), Some("ada"));
    }
}
