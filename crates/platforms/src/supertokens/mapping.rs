//! A canonical user as one entry of SuperTokens' `POST /bulk-import/users`, checked by the
//! rules the core applies before it accepts a request (`BulkImportUserUtils` in supertokens-core;
//! the limits and messages are in `shared/reference/supertokens-bulk-import-notes.md`). A user
//! that breaks one fails here, named by field, and is never sent: one bad user would otherwise
//! make the core refuse its whole request.

use authferry_core::{Field, Reason, ReasonCode, User};
use serde_json::{Map, Value, json};

/// Longest `externalUserId` the core takes.
pub const MAX_EXTERNAL_ID: usize = 128;
/// Longest email (the core says 256, and refuses 256).
const MAX_EMAIL: usize = 255;
const MAX_HASH: usize = 256;
const MAX_THIRD_PARTY_ID: usize = 28;
const MAX_THIRD_PARTY_USER_ID: usize = 256;
const MAX_PHONE: usize = 256;
const MAX_TOTP_SECRET: usize = 256;

/// The TOTP device every migrated secret becomes: the core needs a name (a device without one
/// fails its whole processing round), and the user recognises this one.
pub const TOTP_DEVICE_NAME: &str = "Authenticator app";

/// What the core at hand can take, as its feature flags say (`GET /ee/featureflag`), and the
/// tenant users go to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreFeatures {
    /// Several sign-in methods on one user (linked); without it each user gets one.
    pub account_linking: bool,
    /// TOTP devices (the core refuses them without it).
    pub mfa: bool,
    /// Tenants other than `public`.
    pub multi_tenancy: bool,
}

#[derive(Clone, Debug)]
pub struct BulkOptions {
    pub tenant: String,
    pub features: CoreFeatures,
    /// Now, in milliseconds (the clock when `None`): a `timeJoined` after it is refused by
    /// the core.
    pub now_ms: Option<i64>,
    /// Where a user's roles are (`--roles-from public_metadata.roles`).
    pub roles_from: Option<RolesFrom>,
}

/// A key of the source's metadata holding a user's roles: a string or a list of strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RolesFrom {
    /// `public_metadata`, `private_metadata` or `unsafe_metadata`.
    pub metadata: Field,
    /// The key's path inside it.
    pub path: Vec<String>,
}

impl std::str::FromStr for RolesFrom {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.trim().split('.');
        let metadata = match parts.next() {
            Some("public_metadata") => Field::PublicMetadata,
            Some("private_metadata") => Field::PrivateMetadata,
            Some("unsafe_metadata") => Field::UnsafeMetadata,
            _ => {
                return Err(format!(
                    "`{s}`: write METADATA.KEY, METADATA one of public_metadata, private_metadata, unsafe_metadata (e.g. public_metadata.roles)"
                ));
            }
        };
        let path: Vec<String> = parts.map(str::to_owned).collect();
        if path.is_empty() || path.iter().any(|p| p.is_empty()) {
            return Err(format!(
                "`{s}`: name the key inside the metadata (e.g. public_metadata.roles)"
            ));
        }
        Ok(RolesFrom { metadata, path })
    }
}

const MAX_ROLE: usize = 255;

/// How far past the clock a creation time may be and still count as now (clock skew).
const FUTURE_SKEW_MS: i64 = 10 * 60_000;

/// The user's roles at `from`: none when the key is absent; an error when it holds something
/// other than a string or a list of strings.
fn roles(user: &User, from: &RolesFrom) -> Result<Vec<String>, Reason> {
    let meta = match from.metadata {
        Field::PublicMetadata => &user.public_metadata,
        Field::PrivateMetadata => &user.private_metadata,
        _ => &user.unsafe_metadata,
    };
    let mut v = match meta {
        Some(v) => v,
        None => return Ok(Vec::new()),
    };
    for k in &from.path {
        match v.get(k) {
            Some(next) => v = next,
            None => return Ok(Vec::new()),
        }
    }
    let field = format!("{}.{}", from.metadata.name(), from.path.join("."));
    let bad = || {
        fail(
            ReasonCode::InvalidField,
            format!("field `{field}`: roles must be a string or a list of strings"),
        )
    };
    let list: Vec<String> = match v {
        Value::Null => Vec::new(),
        Value::String(r) => vec![r.clone()],
        Value::Array(a) => a
            .iter()
            .map(|r| r.as_str().map(str::to_owned).ok_or_else(bad))
            .collect::<Result<_, _>>()?,
        _ => return Err(bad()),
    };
    let mut out: Vec<String> = Vec::new();
    for r in list.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        if r.chars().count() > MAX_ROLE {
            return Err(too_long(&field, r.chars().count(), MAX_ROLE));
        }
        if !out.iter().any(|o| o == r) {
            out.push(r.to_string());
        }
    }
    Ok(out)
}

/// One user as the core's bulk import takes it.
#[derive(Debug)]
pub struct BulkUser {
    pub body: Value,
    /// Sign-in methods left out because the core cannot link them (kept in the metadata).
    pub unlinked: usize,
    /// The password went as a Firebase scrypt digest: the core verifies it only with the
    /// project's signer key in its configuration.
    pub firebase_scrypt: bool,
}

fn fail(code: ReasonCode, message: impl Into<String>) -> Reason {
    Reason::new(code, message.into())
}

fn too_long(field: &str, len: usize, max: usize) -> Reason {
    fail(
        ReasonCode::OversizedField,
        format!("field `{field}` has {len} characters; SuperTokens takes at most {max}"),
    )
}

/// SuperTokens' `thirdPartyId` for a canonical provider name: the ids of the core's built-in
/// providers where they differ from the name other platforms use.
pub fn third_party_id(provider: &str) -> String {
    let p = provider.trim().to_ascii_lowercase();
    match p.as_str() {
        "linkedin_oidc" => "linkedin".into(),
        "microsoft" | "azure" | "azuread" | "entra" => "active-directory".into(),
        "x" => "twitter".into(),
        "google_one_tap" => "google".into(),
        _ => p,
    }
}

/// The core's `hashingAlgorithm` for a digest the engine prepared for SuperTokens (its
/// capability table only lets these three through).
pub fn hashing_algorithm(digest: &str) -> Option<&'static str> {
    if ["$2a$", "$2b$", "$2x$", "$2y$"]
        .iter()
        .any(|p| digest.starts_with(p))
    {
        Some("bcrypt")
    } else if ["$argon2id$", "$argon2i$", "$argon2d$"]
        .iter()
        .any(|p| digest.starts_with(p))
    {
        Some("argon2")
    } else if digest.starts_with("$f_scrypt$") && digest.split('$').count() == 7 {
        Some("firebase_scrypt")
    } else {
        None
    }
}

/// What a user keeps in SuperTokens' user metadata: everything the sign-in methods do not
/// hold (names, the username, secondary identifiers, the source's metadata, flags).
fn metadata(user: &User, unlinked: &[Value]) -> Map<String, Value> {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v.filter(|v| !v.is_null()) {
            m.insert(k.to_string(), v);
        }
    };
    put("first_name", user.first_name.clone().map(Value::from));
    put("last_name", user.last_name.clone().map(Value::from));
    put("display_name", user.display_name.clone().map(Value::from));
    put("username", user.username.clone().map(Value::from));
    put("image_url", user.image_url.clone().map(Value::from));
    put("external_id", user.external_id.clone().map(Value::from));
    let primary = user.primary_email().map(|e| e.address.as_str());
    let secondary_emails: Vec<&str> = user
        .emails
        .iter()
        .map(|e| e.address.as_str())
        .filter(|a| Some(*a) != primary)
        .collect();
    if !secondary_emails.is_empty() {
        put("secondary_emails", Some(json!(secondary_emails)));
    }
    let primary_phone = user.primary_phone().map(|p| p.number.as_str());
    let secondary_phones: Vec<&str> = user
        .phones
        .iter()
        .map(|p| p.number.as_str())
        .filter(|n| Some(*n) != primary_phone)
        .collect();
    if !secondary_phones.is_empty() {
        put("secondary_phones", Some(json!(secondary_phones)));
    }
    if !user.mfa_phones.is_empty() {
        let numbers: Vec<&str> = user.mfa_phones.iter().map(|p| p.number.as_str()).collect();
        put("mfa_phones", Some(json!(numbers)));
    }
    if !unlinked.is_empty() {
        put(
            "unlinked_login_methods",
            Some(Value::Array(unlinked.to_vec())),
        );
    }
    put("public_metadata", user.public_metadata.clone());
    put("private_metadata", user.private_metadata.clone());
    put("unsafe_metadata", user.unsafe_metadata.clone());
    put(
        "updated_at",
        user.updated_at.map(|t| Value::from(t.to_rfc3339())),
    );
    put(
        "last_sign_in_at",
        user.last_sign_in_at.map(|t| Value::from(t.to_rfc3339())),
    );
    if user.banned {
        put("banned", Some(Value::Bool(true)));
    }
    if user.locked {
        put("locked", Some(Value::Bool(true)));
    }
    m
}

/// The fields [`bulk_user`] keeps (sign-in methods, TOTP, metadata).
pub const HOLDS: &[Field] = &[
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

/// The user as one bulk-import entry. `check_password`: the password is the one the engine
/// prepared for SuperTokens (false when the rules run before that, in the plan's checks).
pub fn bulk_user(user: &User, o: &BulkOptions, check_password: bool) -> Result<BulkUser, Reason> {
    let external_id = user.source_id.trim();
    if external_id.is_empty() {
        return Err(fail(ReasonCode::InvalidField, "field `source_id` is empty"));
    }
    let n = external_id.chars().count();
    if n > MAX_EXTERNAL_ID {
        return Err(too_long("source_id (externalUserId)", n, MAX_EXTERNAL_ID));
    }
    // The core refuses a join time after its own clock. A time a little ahead of ours is a
    // clock skew (or the run's start, which the engine gives users without one) and goes as
    // a minute ago; far ahead is bad data.
    let now = o
        .now_ms
        .unwrap_or_else(|| authferry_core::Timestamp::now().millis());
    let joined = match user.created_at.map(|t| t.millis()) {
        Some(ms) if ms < 0 => {
            return Err(fail(
                ReasonCode::InvalidField,
                "field `created_at` is before 1970; SuperTokens refuses a negative timeJoined",
            ));
        }
        Some(ms) if ms > now + FUTURE_SKEW_MS => {
            return Err(fail(
                ReasonCode::InvalidField,
                "field `created_at` is in the future; SuperTokens refuses it",
            ));
        }
        Some(ms) => Some(ms.min(now - 60_000)),
        None => None,
    };
    let tenants = json!([o.tenant]);
    let common = |m: &mut Map<String, Value>, verified: bool| {
        m.insert("tenantIds".into(), tenants.clone());
        m.insert("isVerified".into(), Value::Bool(verified));
        if let Some(ms) = joined {
            m.insert("timeJoinedInMSSinceEpoch".into(), json!(ms));
        }
    };
    let email = user.primary_email();
    if let Some(e) = email {
        let n = e.address.trim().chars().count();
        if n > MAX_EMAIL {
            return Err(too_long("primary_email", n, MAX_EMAIL));
        }
    }
    // Sign-in methods, the one that makes the user primary first.
    let mut methods: Vec<Value> = Vec::new();
    let mut firebase_scrypt = false;
    match (&user.password, email) {
        (Some(pw), Some(e)) => {
            let mut m = Map::new();
            m.insert("recipeId".into(), json!("emailpassword"));
            m.insert("email".into(), json!(e.address.trim()));
            let digest = pw.digest.expose().trim();
            if check_password {
                let Some(alg) = hashing_algorithm(digest) else {
                    return Err(fail(
                        ReasonCode::UnverifiableHash,
                        "field `password`: SuperTokens takes bcrypt, argon2 or Firebase scrypt digests only",
                    ));
                };
                if digest.chars().count() > MAX_HASH {
                    return Err(too_long("password", digest.chars().count(), MAX_HASH));
                }
                firebase_scrypt = alg == "firebase_scrypt";
                m.insert("hashingAlgorithm".into(), json!(alg));
            }
            m.insert("passwordHash".into(), json!(digest));
            common(&mut m, e.verified);
            methods.push(Value::Object(m));
        }
        (Some(_), None) => {
            // A password with no email to sign in with (a username or a phone number and a
            // password): SuperTokens' email-password recipe has no other identifier.
            if user.phones.is_empty() && user.external_accounts.is_empty() {
                return Err(fail(
                    ReasonCode::TargetRequirement,
                    "SuperTokens' bulk import cannot take this user: it signs in with a username (or without an email) and a password, and SuperTokens' password sign-in needs an email",
                ));
            }
        }
        (None, _) => {}
    }
    for a in &user.external_accounts {
        let id = third_party_id(&a.provider);
        if id.is_empty() || a.provider_user_id.trim().is_empty() {
            return Err(fail(
                ReasonCode::InvalidField,
                "field `external_accounts`: an account without a provider or a provider user id",
            ));
        }
        if id.chars().count() > MAX_THIRD_PARTY_ID {
            return Err(too_long(
                "external_accounts.provider",
                id.chars().count(),
                MAX_THIRD_PARTY_ID,
            ));
        }
        let n = a.provider_user_id.chars().count();
        if n > MAX_THIRD_PARTY_USER_ID {
            return Err(too_long(
                "external_accounts.provider_user_id",
                n,
                MAX_THIRD_PARTY_USER_ID,
            ));
        }
        // The core needs the account's email; the user's own when the provider gave none.
        let account_email = a
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .or(email.map(|e| e.address.trim()));
        let Some(account_email) = account_email else {
            return Err(fail(
                ReasonCode::TargetRequirement,
                format!(
                    "field `external_accounts`: the {} account has no email, and SuperTokens' third-party sign-in needs one",
                    a.provider
                ),
            ));
        };
        if account_email.chars().count() > MAX_EMAIL {
            return Err(too_long(
                "external_accounts.email",
                account_email.chars().count(),
                MAX_EMAIL,
            ));
        }
        let verified = email
            .filter(|e| e.address.trim().eq_ignore_ascii_case(account_email))
            .is_some_and(|e| e.verified);
        let mut m = Map::new();
        m.insert("recipeId".into(), json!("thirdparty"));
        m.insert("thirdPartyId".into(), json!(id));
        m.insert("thirdPartyUserId".into(), json!(a.provider_user_id));
        m.insert("email".into(), json!(account_email));
        common(&mut m, verified);
        methods.push(Value::Object(m));
    }
    // Passwordless: the email when no method above signs in with it (an email-code user),
    // and the primary phone number.
    if let Some(e) = email
        && methods.is_empty()
    {
        let mut m = Map::new();
        m.insert("recipeId".into(), json!("passwordless"));
        m.insert("email".into(), json!(e.address.trim()));
        common(&mut m, e.verified);
        methods.push(Value::Object(m));
    }
    if let Some(p) = user.primary_phone() {
        let n = p.number.trim().chars().count();
        if n > MAX_PHONE {
            return Err(too_long("primary_phone", n, MAX_PHONE));
        }
        let mut m = Map::new();
        m.insert("recipeId".into(), json!("passwordless"));
        m.insert("phoneNumber".into(), json!(p.number.trim()));
        common(&mut m, p.verified);
        methods.push(Value::Object(m));
    }
    if methods.is_empty() {
        return Err(fail(
            ReasonCode::TargetRequirement,
            "SuperTokens' bulk import cannot take this user: its only identifier is a username, which no SuperTokens sign-in method uses",
        ));
    }
    // Without account linking the core takes one method per user; the others are kept in
    // the metadata, where the application (or a later linking) finds them.
    let mut unlinked = Vec::new();
    if o.features.account_linking {
        if let Some(Value::Object(first)) = methods.first_mut() {
            first.insert("isPrimary".into(), Value::Bool(true));
        }
    } else if methods.len() > 1 {
        unlinked = methods.split_off(1);
        for m in &mut unlinked {
            if let Value::Object(m) = m {
                // Never a digest in the metadata (the application can read it).
                m.remove("passwordHash");
                m.remove("hashingAlgorithm");
                m.remove("tenantIds");
            }
        }
    }
    let mut body = Map::new();
    body.insert("externalUserId".into(), json!(external_id));
    body.insert("loginMethods".into(), Value::Array(methods));
    if let Some(secret) = &user.totp_secret {
        let s = secret.expose().trim();
        if !o.features.mfa {
            return Err(fail(
                ReasonCode::TargetRequirement,
                "field `totp_secret`: the core does not have the MFA feature enabled and refuses TOTP devices; enable it, or the user's second factor would be lost",
            ));
        }
        if s.is_empty() {
            return Err(fail(
                ReasonCode::InvalidField,
                "field `totp_secret` is empty",
            ));
        }
        if s.chars().count() > MAX_TOTP_SECRET {
            return Err(too_long("totp_secret", s.chars().count(), MAX_TOTP_SECRET));
        }
        body.insert(
            "totpDevices".into(),
            json!([{ "secretKey": s, "deviceName": TOTP_DEVICE_NAME, "period": 30, "skew": 1 }]),
        );
    }
    if let Some(from) = &o.roles_from {
        let roles = roles(user, from)?;
        if !roles.is_empty() {
            body.insert(
                "userRoles".into(),
                Value::Array(
                    roles
                        .into_iter()
                        .map(|r| json!({ "role": r, "tenantIds": [o.tenant] }))
                        .collect(),
                ),
            );
        }
    }
    let meta = metadata(user, &unlinked);
    if !meta.is_empty() {
        body.insert("userMetadata".into(), Value::Object(meta));
    }
    Ok(BulkUser {
        body: Value::Object(body),
        unlinked: unlinked.len(),
        firebase_scrypt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use authferry_core::{EmailAddress, ExternalAccount, PasswordCredential, PhoneNumber, Secret};

    fn opts(linking: bool) -> BulkOptions {
        BulkOptions {
            tenant: "public".into(),
            features: CoreFeatures {
                account_linking: linking,
                mfa: true,
                multi_tenancy: false,
            },
            now_ms: Some(1_900_000_000_000),
            roles_from: None,
        }
    }

    fn user() -> User {
        User {
            source_id: "user_1".into(),
            emails: vec![
                EmailAddress {
                    address: "a@example.com".into(),
                    verified: true,
                    primary: true,
                },
                EmailAddress {
                    address: "b@example.com".into(),
                    verified: false,
                    primary: false,
                },
            ],
            phones: vec![PhoneNumber {
                number: "+15551234567".into(),
                verified: true,
                primary: true,
            }],
            password: Some(PasswordCredential {
                hasher: Some("bcrypt".into()),
                digest: Secret::new("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
                params: Default::default(),
            }),
            totp_secret: Some(Secret::new("JBSWY3DPEHPK3PXP")),
            external_accounts: vec![ExternalAccount {
                provider: "google".into(),
                provider_user_id: "g-1".into(),
                email: None,
                scopes: vec![],
                created_at: None,
                updated_at: None,
            }],
            first_name: Some("Ada".into()),
            created_at: Some(authferry_core::Timestamp::from_millis(1_700_000_000_000)),
            ..Default::default()
        }
    }

    #[test]
    fn with_linking_every_method_is_linked_under_the_email_password_one() {
        let b = bulk_user(&user(), &opts(true), true).unwrap();
        let m = b.body["loginMethods"].as_array().unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m[0]["recipeId"], "emailpassword");
        assert_eq!(m[0]["hashingAlgorithm"], "bcrypt");
        assert_eq!(m[0]["isPrimary"], true);
        assert_eq!(m[0]["timeJoinedInMSSinceEpoch"], 1_700_000_000_000i64);
        assert_eq!(m[1]["recipeId"], "thirdparty");
        assert_eq!(m[1]["email"], "a@example.com");
        assert_eq!(m[1]["isVerified"], true);
        assert_eq!(m[2]["phoneNumber"], "+15551234567");
        assert!(m[1].get("isPrimary").is_none());
        assert_eq!(b.body["externalUserId"], "user_1");
        assert_eq!(b.body["totpDevices"][0]["deviceName"], TOTP_DEVICE_NAME);
        assert_eq!(b.body["userMetadata"]["first_name"], "Ada");
        assert_eq!(
            b.body["userMetadata"]["secondary_emails"],
            json!(["b@example.com"])
        );
        assert_eq!(b.unlinked, 0);
    }

    #[test]
    fn without_linking_one_method_signs_in_and_the_rest_are_kept_without_secrets() {
        let b = bulk_user(&user(), &opts(false), true).unwrap();
        let m = b.body["loginMethods"].as_array().unwrap();
        assert_eq!(m.len(), 1);
        assert!(m[0].get("isPrimary").is_none(), "E019 without linking");
        assert_eq!(b.unlinked, 2);
        let kept = b.body["userMetadata"]["unlinked_login_methods"].to_string();
        assert!(
            kept.contains("g-1") && kept.contains("+15551234567"),
            "{kept}"
        );
        assert!(!kept.contains("$2a$"), "{kept}");
    }

    #[test]
    fn users_the_core_cannot_take_fail_by_name() {
        let mut u = user();
        u.source_id = "x".repeat(129);
        let r = bulk_user(&u, &opts(true), true).unwrap_err();
        assert!(r.message.contains("externalUserId"), "{r}");

        let only_username = User {
            source_id: "u".into(),
            username: Some("ada".into()),
            ..Default::default()
        };
        let r = bulk_user(&only_username, &opts(true), true).unwrap_err();
        assert!(r.message.contains("username"), "{r}");
        let with_password = User {
            password: user().password,
            ..only_username
        };
        let r = bulk_user(&with_password, &opts(true), true).unwrap_err();
        assert!(r.message.contains("username"), "{r}");

        let mut u = user();
        u.created_at = Some(authferry_core::Timestamp::from_millis(1_950_000_000_000));
        assert!(bulk_user(&u, &opts(true), true).is_err());

        let mut u = user();
        u.password.as_mut().unwrap().digest = Secret::new("5f4dcc3b5aa765d61d8327deb882cf99");
        let r = bulk_user(&u, &opts(true), true).unwrap_err();
        assert_eq!(r.code, ReasonCode::UnverifiableHash);
        // Before the engine prepares the password, only the rest is checked.
        assert!(bulk_user(&u, &opts(true), false).is_ok());

        let mut no_mfa = opts(true);
        no_mfa.features.mfa = false;
        let r = bulk_user(&user(), &no_mfa, true).unwrap_err();
        assert!(r.message.contains("MFA"), "{r}");
        assert!(!r.message.contains("JBSWY3DPEHPK3PXP"));
    }

    #[test]
    fn roles_come_from_the_named_metadata_key() {
        let mut o = opts(true);
        o.roles_from = Some("public_metadata.auth.roles".parse().unwrap());
        let mut u = user();
        u.public_metadata = Some(json!({"auth": {"roles": ["admin", "editor", "admin"]}}));
        let b = bulk_user(&u, &o, true).unwrap();
        assert_eq!(
            b.body["userRoles"],
            json!([{"role": "admin", "tenantIds": ["public"]}, {"role": "editor", "tenantIds": ["public"]}])
        );
        u.public_metadata = Some(json!({"auth": {"roles": "viewer"}}));
        assert_eq!(
            bulk_user(&u, &o, true).unwrap().body["userRoles"][0]["role"],
            "viewer"
        );
        u.public_metadata = Some(json!({"auth": {"roles": 3}}));
        let r = bulk_user(&u, &o, true).unwrap_err();
        assert!(r.message.contains("public_metadata.auth.roles"), "{r}");
        u.public_metadata = None;
        assert!(
            bulk_user(&u, &o, true)
                .unwrap()
                .body
                .get("userRoles")
                .is_none()
        );
        assert!("roles".parse::<RolesFrom>().is_err());
        assert!("public_metadata".parse::<RolesFrom>().is_err());
    }

    #[test]
    fn an_email_code_user_is_passwordless() {
        let mut u = user();
        u.password = None;
        u.external_accounts.clear();
        u.phones.clear();
        let b = bulk_user(&u, &opts(true), true).unwrap();
        let m = &b.body["loginMethods"][0];
        assert_eq!(m["recipeId"], "passwordless");
        assert_eq!(m["email"], "a@example.com");
    }

    #[test]
    fn algorithms_follow_the_digest() {
        assert_eq!(hashing_algorithm("$2y$10$abc"), Some("bcrypt"));
        assert_eq!(
            hashing_algorithm("$argon2id$v=19$m=1,t=1,p=1$a$b"),
            Some("argon2")
        );
        assert_eq!(
            hashing_algorithm("$f_scrypt$hash$salt$m=14$r=8$s=Bw=="),
            Some("firebase_scrypt")
        );
        assert_eq!(hashing_algorithm("$f_scrypt$hash$salt"), None);
        assert_eq!(hashing_algorithm("pbkdf2_sha256$1$a$b"), None);
        assert_eq!(third_party_id("linkedin_oidc"), "linkedin");
        assert_eq!(third_party_id("Google"), "google");
    }
}
