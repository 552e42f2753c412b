//! `firebase auth:export users.json`: `{"users": [ … ]}`, one object per user (firebase-tools
//! writes the wrapper's first line, then each user pretty-printed). A bare array or NDJSON of
//! the same objects (what scripts over the Admin SDK or `downloadAccount` save) is read too.

use super::{
    ID_SPACE, MILLIS_EXPECTED, custom_claims, describe, mfa_number, millis_text, password,
    provider_name,
};
use crate::firebase::HashConfig;
use authferry_core::io::{ByteProgress, JsonItem, JsonItems, open_counted};
use authferry_core::{
    EmailAddress, ExternalAccount, PhoneNumber, RecordError, Source, Timestamp, User,
};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The list key of the export's wrapper object.
const WRAPPER_KEY: &str = "users";

/// `--from firebase:PATH.json`.
pub struct FirebaseJsonSource {
    path: PathBuf,
    items: JsonItems<Value>,
    progress: ByteProgress,
    /// Records read so far, for errors about a record without a usable id.
    position: u64,
    /// The project's hash parameters (`--hash-config`), added to every password.
    hash: Option<Map<String, Value>>,
}

impl FirebaseJsonSource {
    pub fn open(path: &Path, hash: Option<&HashConfig>) -> std::io::Result<Self> {
        let (reader, progress) = open_counted(path)?;
        Ok(FirebaseJsonSource {
            path: path.to_path_buf(),
            items: JsonItems::new(reader, Some(WRAPPER_KEY)),
            progress,
            position: 0,
            hash: hash.map(HashConfig::params),
        })
    }
}

impl Source for FirebaseJsonSource {
    fn describe(&self) -> String {
        describe(&self.path, "JSON", self.hash.as_ref())
    }

    fn next_user(&mut self) -> Option<Result<User, RecordError>> {
        self.position += 1;
        Some(match self.items.next()? {
            JsonItem::Item(value) => user_from_object(self.position, &value, self.hash.as_ref()),
            // A line of NDJSON that is not JSON; the message says which line.
            JsonItem::Invalid(_, message, _) => Err(RecordError::invalid(
                None,
                None,
                crate::shared::redact_serde(&message),
            )),
            JsonItem::Fatal(message) => {
                Err(RecordError::fatal(crate::shared::redact_serde(&message)))
            }
        })
    }

    fn id_space(&self) -> Option<&'static str> {
        Some(ID_SPACE)
    }

    fn progress(&self) -> Option<ByteProgress> {
        Some(self.progress.clone())
    }
}

/// One exported user as a canonical user. `position` (from 1) names a record without an id.
pub(crate) fn user_from_object(
    position: u64,
    value: &Value,
    hash: Option<&Map<String, Value>>,
) -> Result<User, RecordError> {
    let Value::Object(object) = value else {
        return Err(RecordError::invalid(
            None,
            None,
            format!(
                "record {position}: expected a user object, found {}",
                kind_of(value)
            ),
        ));
    };
    let unnamed = Fields {
        object,
        id: "",
        path: String::new(),
    };
    let source_id = match unnamed.get("localId") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        Some(Value::String(_)) | None => {
            return Err(RecordError::invalid(
                None,
                Some("localId"),
                format!("record {position} has no localId"),
            ));
        }
        Some(other) => {
            return Err(RecordError::invalid(
                None,
                Some("localId"),
                format!("record {position}: expected text, found {}", kind_of(other)),
            ));
        }
    };
    let user = Fields {
        id: &source_id,
        ..unnamed
    };

    let emails = match user.text("email")? {
        Some(address) => vec![EmailAddress {
            address,
            verified: user.flag("emailVerified")?.unwrap_or(false),
            primary: true,
        }],
        None => Vec::new(),
    };
    let phones = match user.text("phoneNumber")? {
        Some(number) => vec![PhoneNumber {
            number,
            verified: true,
            primary: true,
        }],
        None => Vec::new(),
    };

    let password = password(
        &source_id,
        ("passwordHash", user.text("passwordHash")?),
        ("salt", user.text("salt")?),
        hash,
    )?;

    let mut external_accounts: Vec<ExternalAccount> = Vec::new();
    for (i, item) in user.list("providerUserInfo")?.iter().enumerate() {
        let info = user.nested("providerUserInfo", i, item)?;
        let provider_id = info
            .text("providerId")?
            .ok_or_else(|| info.error("providerId", "missing: the link cannot be made again"))?;
        let Some(provider) = provider_name(&provider_id) else {
            continue;
        };
        // Without the provider's id for the user the link cannot be made again, and dropping
        // it silently would lock the user out of that sign-in method.
        let provider_user_id = info
            .text("rawId")?
            .ok_or_else(|| info.error("rawId", "missing: the link cannot be made again"))?;
        if external_accounts
            .iter()
            .any(|a| a.provider == provider && a.provider_user_id == provider_user_id)
        {
            continue;
        }
        external_accounts.push(ExternalAccount {
            provider,
            provider_user_id,
            email: info.text("email")?,
            scopes: Vec::new(),
            created_at: None,
            updated_at: None,
        });
    }

    let mut mfa_phones: Vec<PhoneNumber> = Vec::new();
    for (i, item) in user.list("mfaInfo")?.iter().enumerate() {
        let enrolment = user.nested("mfaInfo", i, item)?;
        // The whole number when the API gave it, else what `phoneInfo` shows.
        let (field, number) = match enrolment.text("unobfuscatedPhoneInfo")? {
            Some(n) => ("unobfuscatedPhoneInfo", n),
            None => match enrolment.text("phoneInfo")? {
                Some(n) => ("phoneInfo", n),
                // TOTP and email enrolments come without their secret: nothing to carry.
                None if enrolment.get("totpInfo").is_some()
                    || enrolment.get("emailInfo").is_some() =>
                {
                    continue;
                }
                None => {
                    return Err(enrolment.error(
                        "phoneInfo",
                        "missing: the enrolment has no phone number (nor totpInfo or emailInfo)",
                    ));
                }
            },
        };
        let number = mfa_number(&number).map_err(|why| enrolment.error(field, why))?;
        if !mfa_phones.iter().any(|p| p.number == number) {
            mfa_phones.push(PhoneNumber {
                primary: mfa_phones.is_empty(),
                number,
                verified: true,
            });
        }
    }

    let public_metadata = match user.get("customAttributes") {
        None => None,
        Some(Value::String(text)) if text.trim().is_empty() => None,
        Some(Value::String(text)) => {
            custom_claims(text).map_err(|why| user.error("customAttributes", why))?
        }
        // Already an object (a script saved the claims as JSON rather than as text).
        Some(Value::Object(claims)) if claims.is_empty() => None,
        Some(claims @ Value::Object(_)) => Some(claims.clone()),
        Some(other) => {
            return Err(user.error(
                "customAttributes",
                format!(
                    "expected the custom claims as JSON text, found {}",
                    kind_of(other)
                ),
            ));
        }
    };

    // firebase-tools renames the API's `lastLoginAt` to `lastSignedInAt`; raw API output keeps
    // the API's name.
    let last_sign_in_at = match user.millis("lastSignedInAt")? {
        Some(t) => Some(t),
        None => user.millis("lastLoginAt")?,
    };

    Ok(User {
        emails,
        phones,
        display_name: user.text("displayName")?,
        image_url: user.text("photoUrl")?,
        password,
        mfa_phones,
        external_accounts,
        public_metadata,
        created_at: user.millis("createdAt")?,
        last_sign_in_at,
        banned: user.flag("disabled")?.unwrap_or(false),
        source_id,
        ..Default::default()
    })
}

/// What kind of JSON value this is, for messages that must not quote it.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The fields of one object of a record (the user, or an entry of one of its lists), with the
/// path that names them in errors (`providerUserInfo[1].rawId`).
struct Fields<'a> {
    object: &'a Map<String, Value>,
    id: &'a str,
    path: String,
}

impl<'a> Fields<'a> {
    fn error(&self, key: &str, message: impl Into<String>) -> RecordError {
        let field = if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        };
        RecordError::invalid(Some(self.id.to_owned()), Some(&field), message)
    }

    fn expected(&self, key: &str, what: &str, found: &Value) -> RecordError {
        self.error(key, format!("expected {what}, found {}", kind_of(found)))
    }

    /// The value of `key`; absent and `null` are `None`.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.object.get(key).filter(|v| !v.is_null())
    }

    /// Text, trimmed; absent, `null` and blank are `None`.
    fn text(&self, key: &str) -> Result<Option<String>, RecordError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => {
                let s = s.trim();
                Ok((!s.is_empty()).then(|| s.to_owned()))
            }
            Some(other) => Err(self.expected(key, "text", other)),
        }
    }

    /// `true`/`false`, also as text (a spreadsheet round trip turns them into text).
    fn flag(&self, key: &str) -> Result<Option<bool>, RecordError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "" => Ok(None),
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                _ => Err(self.error(key, "expected true or false")),
            },
            Some(other) => Err(self.expected(key, "true or false", other)),
        }
    }

    /// Milliseconds since the epoch: text of digits (what Firebase writes) or a whole number.
    fn millis(&self, key: &str) -> Result<Option<Timestamp>, RecordError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => millis_text(s)
                .map(Some)
                .ok_or_else(|| self.error(key, MILLIS_EXPECTED)),
            Some(Value::Number(n)) => n
                .as_i64()
                .filter(|ms| *ms >= 0)
                .map(|ms| Some(Timestamp::from_millis(ms)))
                .ok_or_else(|| self.error(key, MILLIS_EXPECTED)),
            Some(other) => Err(self.expected(key, "milliseconds since the epoch", other)),
        }
    }

    /// A list; absent and `null` are empty.
    fn list(&self, key: &str) -> Result<&'a [Value], RecordError> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(self.expected(key, "a list", other)),
        }
    }

    /// The `index`th object of the list under `key`.
    fn nested(&self, key: &str, index: usize, item: &'a Value) -> Result<Fields<'a>, RecordError> {
        let path = if self.path.is_empty() {
            format!("{key}[{index}]")
        } else {
            format!("{}.{key}[{index}]", self.path)
        };
        match item {
            Value::Object(object) => Ok(Fields {
                object,
                id: self.id,
                path,
            }),
            other => Err(RecordError::invalid(
                Some(self.id.to_owned()),
                Some(&path),
                format!("expected an object, found {}", kind_of(other)),
            )),
        }
    }
}
