//! Generic per-record rules, the same for every source and target. A target's own needs are
//! its sink's `check`.

use crate::model::User;
use crate::outcome::{Reason, ReasonCode};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

/// Field size limits. Generous for real data, small enough to catch a shifted CSV column or
/// a blob pasted into a name.
pub const MAX_ID: usize = 255;

/// An id as reports, failure logs and the journal keep it: at most [`MAX_ID`] bytes. A longer
/// one (which fails validation) is cut on a character boundary and marked with how much was
/// left out, so that a megabyte "id" is not copied into every place that names the record.
pub fn clip_id(id: &str) -> std::borrow::Cow<'_, str> {
    if id.len() <= MAX_ID {
        return std::borrow::Cow::Borrowed(id);
    }
    let mut end = MAX_ID - 40;
    while !id.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!("{}…(+{} bytes)", &id[..end], id.len() - end))
}
pub const MAX_NAME: usize = 256;
pub const MAX_EMAIL: usize = 254;
pub const MAX_URL: usize = 2048;
pub const MAX_DIGEST: usize = 1024;
pub const MAX_METADATA_BYTES: usize = 64 * 1024;

/// The instants every target stores alike: years 1 to 9999 (RFC 3339's four digits; inside
/// JavaScript's `Date` and PostgreSQL's `timestamptz`). SQLite would take any number and
/// better-auth would read it back as nonsense.
pub const MIN_TIMESTAMP_MS: i64 = -62_135_596_800_000;
pub const MAX_TIMESTAMP_MS: i64 = 253_402_300_799_999;

/// Checks one user. The first problem found is returned; messages name the field and never
/// quote a secret.
pub fn validate(user: &User) -> Result<(), Reason> {
    let fail = |code, msg: String| Err(Reason::new(code, msg));
    if user.source_id.trim().is_empty() {
        return fail(
            ReasonCode::InvalidField,
            "field `source_id` is empty".into(),
        );
    }
    if user.source_id.len() > MAX_ID {
        return fail(
            ReasonCode::OversizedField,
            format!(
                "field `source_id` has {} bytes (limit {MAX_ID})",
                user.source_id.len()
            ),
        );
    }
    if user.emails.is_empty()
        && user.phones.is_empty()
        && user.username.as_deref().is_none_or(|u| u.trim().is_empty())
    {
        return fail(
            ReasonCode::NoIdentifier,
            "no email, phone number or username".into(),
        );
    }
    for (i, e) in user.emails.iter().enumerate() {
        if e.address.len() > MAX_EMAIL {
            return fail(
                ReasonCode::OversizedField,
                format!(
                    "field `emails[{i}]` has {} bytes (limit {MAX_EMAIL})",
                    e.address.len()
                ),
            );
        }
        if let Err(why) = check_email(&e.address) {
            return fail(
                ReasonCode::InvalidEmail,
                format!("field `emails[{i}]` ({:?}): {why}", e.address),
            );
        }
    }
    for (i, p) in user.phones.iter().enumerate() {
        if let Err(why) = check_phone(&p.number) {
            return fail(
                ReasonCode::InvalidPhone,
                format!("field `phones[{i}]` ({:?}): {why}", p.number),
            );
        }
    }
    for (name, value, limit) in [
        ("username", &user.username, MAX_NAME),
        ("first_name", &user.first_name, MAX_NAME),
        ("last_name", &user.last_name, MAX_NAME),
        ("display_name", &user.display_name, MAX_NAME),
        ("external_id", &user.external_id, MAX_ID),
        ("image_url", &user.image_url, MAX_URL),
    ] {
        if let Some(v) = value {
            if v.len() > limit {
                return fail(
                    ReasonCode::OversizedField,
                    format!("field `{name}` has {} bytes (limit {limit})", v.len()),
                );
            }
            if v.chars().any(|c| c.is_control() && c != '\t')
                && name != "first_name"
                && name != "last_name"
                && name != "display_name"
            {
                return fail(
                    ReasonCode::InvalidField,
                    format!("field `{name}` contains control characters"),
                );
            }
        }
    }
    if let Some(u) = &user.username
        && u.chars().any(char::is_whitespace)
    {
        return fail(
            ReasonCode::InvalidField,
            format!("field `username` ({u:?}) contains whitespace"),
        );
    }
    if let Some(pw) = &user.password {
        if pw.digest.is_empty() {
            return fail(
                ReasonCode::InvalidField,
                "field `password.digest` is empty".into(),
            );
        }
        if pw.digest.len() > MAX_DIGEST {
            return fail(
                ReasonCode::OversizedField,
                format!(
                    "field `password.digest` has {} bytes (limit {MAX_DIGEST})",
                    pw.digest.len()
                ),
            );
        }
    }
    if let Some(secret) = &user.totp_secret
        && let Err(why) = check_base32(secret.expose())
    {
        return fail(
            ReasonCode::InvalidField,
            format!("field `totp_secret` is not a base32 secret ({why})"),
        );
    }
    for (i, code) in user.backup_codes.iter().enumerate() {
        if code.is_empty() || code.len() > 64 {
            return fail(
                ReasonCode::InvalidField,
                format!(
                    "field `backup_codes[{i}]` has {} characters (1 to 64 expected)",
                    code.len()
                ),
            );
        }
    }
    for (i, a) in user.external_accounts.iter().enumerate() {
        if a.provider.trim().is_empty() {
            return fail(
                ReasonCode::InvalidField,
                format!("field `external_accounts[{i}].provider` is empty"),
            );
        }
        if a.provider_user_id.trim().is_empty() {
            return fail(
                ReasonCode::InvalidField,
                format!("field `external_accounts[{i}].provider_user_id` is empty"),
            );
        }
    }
    for (name, value) in [
        ("public_metadata", &user.public_metadata),
        ("private_metadata", &user.private_metadata),
        ("unsafe_metadata", &user.unsafe_metadata),
    ] {
        if let Some(v) = value {
            let json = serde_json::to_string(v).unwrap_or_default();
            if json.len() > MAX_METADATA_BYTES {
                return fail(
                    ReasonCode::OversizedField,
                    format!(
                        "field `{name}` has {} bytes of JSON (limit {MAX_METADATA_BYTES})",
                        json.len()
                    ),
                );
            }
            if json.contains("\\u0000") {
                return fail(
                    ReasonCode::InvalidField,
                    format!(
                        "field `{name}` contains a NUL character (\\u0000), which PostgreSQL's JSON refuses"
                    ),
                );
            }
        }
    }
    if let Some(name) = nul_field(user) {
        return fail(
            ReasonCode::InvalidField,
            format!("field `{name}` contains a NUL character, which no target stores as text"),
        );
    }
    let timestamps = [
        ("created_at", user.created_at),
        ("updated_at", user.updated_at),
        ("last_sign_in_at", user.last_sign_in_at),
    ]
    .into_iter()
    .chain(user.external_accounts.iter().flat_map(|a| {
        [
            ("external_accounts[].created_at", a.created_at),
            ("external_accounts[].updated_at", a.updated_at),
        ]
    }));
    for (name, t) in timestamps {
        if let Some(t) = t
            && !(MIN_TIMESTAMP_MS..=MAX_TIMESTAMP_MS).contains(&t.0)
        {
            return fail(
                ReasonCode::InvalidField,
                format!(
                    "field `{name}` ({} ms since 1970) is outside the years 1 to 9999 that every target stores",
                    t.0
                ),
            );
        }
    }
    Ok(())
}

/// The first text field holding a NUL byte: PostgreSQL refuses it, SQLite cuts the text there.
fn nul_field(user: &User) -> Option<&'static str> {
    let has = |s: &str| s.contains('\0');
    let opt = |s: &Option<String>| s.as_deref().is_some_and(has);
    if has(&user.source_id) {
        return Some("source_id");
    }
    for (name, value) in [
        ("external_id", &user.external_id),
        ("username", &user.username),
        ("first_name", &user.first_name),
        ("last_name", &user.last_name),
        ("display_name", &user.display_name),
        ("image_url", &user.image_url),
    ] {
        if opt(value) {
            return Some(name);
        }
    }
    if user.emails.iter().any(|e| has(&e.address)) {
        return Some("emails");
    }
    if user.phones.iter().any(|p| has(&p.number)) {
        return Some("phones");
    }
    if let Some(pw) = &user.password {
        if has(pw.digest.expose()) {
            return Some("password.digest");
        }
        if opt(&pw.hasher) {
            return Some("password.hasher");
        }
    }
    if user.backup_codes.iter().any(|c| has(c.expose())) {
        return Some("backup_codes");
    }
    user.external_accounts
        .iter()
        .any(|a| {
            has(&a.provider)
                || has(&a.provider_user_id)
                || opt(&a.email)
                || a.scopes.iter().any(|s| has(s))
        })
        .then_some("external_accounts")
}

/// A pragmatic address check: what every platform here would accept, without DNS.
pub fn check_email(addr: &str) -> Result<(), &'static str> {
    let Some((local, domain)) = addr.rsplit_once('@') else {
        return Err("no `@`");
    };
    if local.is_empty() {
        return Err("nothing before `@`");
    }
    if local.len() > 64 {
        return Err("part before `@` longer than 64 bytes");
    }
    if domain.is_empty() {
        return Err("nothing after `@`");
    }
    if addr.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains whitespace");
    }
    if local.contains('@') && !(local.starts_with('"') && local.ends_with('"')) {
        return Err("more than one `@`");
    }
    if !domain.contains('.') {
        return Err("domain has no dot");
    }
    if domain
        .split('.')
        .any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-'))
    {
        return Err("domain has an empty or malformed label");
    }
    if domain
        .chars()
        .any(|c| !(c.is_alphanumeric() || c == '-' || c == '.'))
    {
        return Err("domain has characters other than letters, digits, `-` and `.`");
    }
    Ok(())
}

/// E.164: `+`, then 7 to 15 digits; spaces, dashes, dots and parentheses are tolerated as
/// separators (they are stripped by [`normalize_phone`]).
pub fn check_phone(number: &str) -> Result<(), &'static str> {
    let n = normalize_phone(number);
    let Some(digits) = n.strip_prefix('+') else {
        return Err("not in international form (E.164 `+` and country code)");
    };
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("contains characters other than digits and separators");
    }
    if digits.len() < 7 || digits.len() > 15 {
        return Err("E.164 numbers have 7 to 15 digits");
    }
    if digits.starts_with('0') {
        return Err("country code cannot start with 0");
    }
    Ok(())
}

pub fn normalize_phone(number: &str) -> String {
    number
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}'))
        .collect()
}

fn check_base32(secret: &str) -> Result<(), &'static str> {
    let s: String = secret
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let s = s.trim_end_matches('=');
    if s.len() < 16 {
        return Err("shorter than 16 characters (80 bits)");
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphabetic() || ('2'..='7').contains(&c))
    {
        return Err("characters outside A-Z and 2-7");
    }
    Ok(())
}

/// Identifiers compared for duplicates: NFKC, then Unicode lower case, trimmed. `Straße@X.com`
/// and `strasse@x.com` differ; `ADA@example.com` and `ada@example.com` do not; full-width
/// `ａ` and `a` do not.
pub fn normalize_identifier(value: &str) -> String {
    value.trim().nfkc().flat_map(char::to_lowercase).collect()
}

/// The keys a user claims in the export: every email, phone and the username. Stored as
/// 64-bit digests, so the journal keeps no addresses and its key index stays small (a
/// collision between two different identifiers among a few million is ~10⁻⁷ likely, and
/// would show as a reported duplicate, never as a lost user).
pub fn identifier_keys(user: &User) -> Vec<(i64, &'static str)> {
    let mut keys = Vec::new();
    let mut add = |kind: &'static str, value: &str| {
        let mut h = Sha256::new();
        h.update(kind.as_bytes());
        h.update([0u8]);
        h.update(value.as_bytes());
        let d = h.finalize();
        let mut k = [0u8; 8];
        k.copy_from_slice(&d[..8]);
        let k = i64::from_le_bytes(k);
        if !keys.iter().any(|(x, _)| *x == k) {
            keys.push((k, kind));
        }
    };
    for e in &user.emails {
        add("email", &normalize_identifier(&e.address));
    }
    for p in &user.phones {
        add("phone", &normalize_phone(&p.number));
    }
    if let Some(u) = &user.username {
        add("username", &normalize_identifier(u));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EmailAddress, PhoneNumber, Secret};

    fn user_with_email(e: &str) -> User {
        User {
            source_id: "u".into(),
            emails: vec![EmailAddress {
                address: e.into(),
                verified: true,
                primary: true,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn emails() {
        assert!(validate(&user_with_email("ada@example.com")).is_ok());
        assert!(validate(&user_with_email("zoë.ñandú@bücher.example")).is_ok());
        for bad in [
            "ada",
            "@example.com",
            "ada@",
            "ada@localhost",
            "a da@example.com",
            "ada@exa_mple.com",
            "ada@.com",
        ] {
            let r = validate(&user_with_email(bad)).unwrap_err();
            assert_eq!(r.code, ReasonCode::InvalidEmail, "{bad}");
            assert!(r.message.contains("emails[0]"), "{}", r.message);
        }
    }

    #[test]
    fn phones() {
        assert!(check_phone("+1 (555) 123-4567").is_ok());
        assert!(check_phone("+447911123456").is_ok());
        assert!(check_phone("5551234567").is_err());
        assert!(check_phone("+1555abc4567").is_err());
        assert!(check_phone("+12").is_err());
        let u = User {
            source_id: "u".into(),
            phones: vec![PhoneNumber {
                number: "0800 FLOWERS".into(),
                verified: false,
                primary: true,
            }],
            ..Default::default()
        };
        assert_eq!(validate(&u).unwrap_err().code, ReasonCode::InvalidPhone);
    }

    /// Issue 9 item 6: what PostgreSQL refuses, SQLite used to take (a NUL cut the text,
    /// year −1199 was stored): now every target gets the same answer, naming the field.
    #[test]
    fn nul_bytes_and_out_of_range_timestamps_fail_for_every_target() {
        let mut u = user_with_email("ada@example.com");
        u.first_name = Some("Ada\0Lovelace".into());
        let r = validate(&u).unwrap_err();
        assert!(
            r.message.contains("`first_name`") && r.message.contains("NUL"),
            "{}",
            r.message
        );

        let mut u = user_with_email("ada@example.com");
        u.public_metadata = Some(serde_json::json!({"note": "a\u{0}b"}));
        assert!(
            validate(&u)
                .unwrap_err()
                .message
                .contains("`public_metadata`")
        );

        let mut u = user_with_email("ada@example.com");
        u.created_at = Some(crate::model::Timestamp(-99_999_999_999_999));
        let r = validate(&u).unwrap_err();
        assert!(
            r.message.contains("`created_at`") && r.message.contains("years 1 to 9999"),
            "{}",
            r.message
        );
        u.created_at = Some(crate::model::Timestamp(MAX_TIMESTAMP_MS + 1));
        assert!(validate(&u).is_err());
        u.created_at = Some(crate::model::Timestamp(MAX_TIMESTAMP_MS));
        u.last_sign_in_at = Some(crate::model::Timestamp(MIN_TIMESTAMP_MS));
        assert!(validate(&u).is_ok(), "the edges are stored");
    }

    #[test]
    fn identifiers_and_sizes() {
        let u = User {
            source_id: "u".into(),
            ..Default::default()
        };
        assert_eq!(validate(&u).unwrap_err().code, ReasonCode::NoIdentifier);
        let mut u = user_with_email("a@example.com");
        u.first_name = Some("x".repeat(300));
        let r = validate(&u).unwrap_err();
        assert_eq!(r.code, ReasonCode::OversizedField);
        assert!(r.message.contains("first_name"));
        let mut u = user_with_email("a@example.com");
        u.totp_secret = Some(Secret::new("not-base32-at-all!!"));
        let r = validate(&u).unwrap_err();
        assert_eq!(r.code, ReasonCode::InvalidField);
        assert!(
            !r.message.contains("not-base32"),
            "never echo a secret: {}",
            r.message
        );
        let mut u = user_with_email("a@example.com");
        u.public_metadata = Some(serde_json::json!({"blob": "x".repeat(70_000)}));
        assert_eq!(validate(&u).unwrap_err().code, ReasonCode::OversizedField);
    }

    #[test]
    fn duplicates_ignore_case_and_width() {
        let a = identifier_keys(&user_with_email("ADA@Example.com"));
        let b = identifier_keys(&user_with_email("ada@example.com"));
        let c = identifier_keys(&user_with_email("ａｄａ@example.com"));
        let d = identifier_keys(&user_with_email("ada2@example.com"));
        assert_eq!(a[0].0, b[0].0);
        assert_eq!(a[0].0, c[0].0);
        assert_ne!(a[0].0, d[0].0);
    }
}
