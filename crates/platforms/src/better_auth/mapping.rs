//! A canonical [`User`] as better-auth rows: one `user`, its `account`s (credential and
//! OAuth) and its `twoFactor`. Every value is derived from the record (and the secret) alone,
//! ids included, so that writing the same record twice produces the same bytes.

use super::two_factor::{self, TwoFactorCrypto};
use authferry_core::validate::normalize_phone;
use authferry_core::{Reason, ReasonCode, Secret, Timestamp, User};
use authferry_hash::Format;
use sha2::{Digest, Sha256};

/// One value of a row, independent of the database.
#[derive(Clone, Copy)]
pub(crate) enum Val<'a> {
    Null,
    Text(&'a str),
    Bool(bool),
    Int(i64),
    /// ISO-8601 with milliseconds and `Z`, as better-auth's SQLite adapter writes dates.
    Date(&'a str),
}

/// The identifiers a user takes in the target, as stored there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Identity {
    pub id: String,
    /// Lower-cased: better-auth looks emails up with `email.toLowerCase()`.
    pub email: String,
    /// Lower-cased: the username plugin normalises input before the lookup.
    pub username: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    /// `email` was made from the phone number by the [`TempEmail`] template.
    pub temp_email: bool,
}

impl Identity {
    /// `None` when the user has no email and no phone number a [`TempEmail`] can stand in
    /// for (see [`email_requirement`]).
    pub fn of(user: &User, temp: Option<&TempEmail>) -> Option<Identity> {
        let phone = user.primary_phone().map(|p| normalize_phone(&p.number));
        let (email, temp_email) = match user.primary_email() {
            Some(e) => (e.address.trim().to_lowercase(), false),
            None => (temp?.for_phone(phone.as_deref()?), true),
        };
        Some(Identity {
            id: user.source_id.clone(),
            email,
            username: user
                .username
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_lowercase),
            phone,
            temp_email,
        })
    }
}

/// The email a phone-only user gets (user.email is NOT NULL), made the way the phoneNumber
/// plugin's `signUpOnVerification.getTempEmail(phoneNumber)` makes one for a user who signs up
/// with a phone number: the app configures the matching function ([`TempEmail::js`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TempEmail {
    template: String,
}

impl TempEmail {
    /// `.invalid` is reserved (RFC 2606): no real address can ever collide with it.
    pub const DEFAULT: &'static str = "{digits}@phone.invalid";

    /// A template holding `{phone}` (E.164, with its `+`) or `{digits}` (without it), e.g.
    /// `{digits}@phone.example.com`.
    pub fn parse(template: &str) -> Result<TempEmail, String> {
        let t = template.trim();
        let placeholders = t.matches("{phone}").count() + t.matches("{digits}").count();
        let sample = t
            .replace("{phone}", "+15550000000")
            .replace("{digits}", "15550000000");
        if placeholders == 0 {
            return Err(format!(
                "--temp-email {t}: the template needs {{phone}} or {{digits}}, or every phone-only user gets the same address"
            ));
        }
        let sound = match sample.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && sample
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "@.-_+".contains(c))
                    && !domain.contains(['@', '+'])
            }
            None => false,
        };
        if !sound {
            return Err(format!(
                "--temp-email {t}: not an email template (one `@`, letters, digits and . - _ + around {{phone}} / {{digits}})"
            ));
        }
        Ok(TempEmail {
            template: t.to_ascii_lowercase(),
        })
    }

    pub fn template(&self) -> &str {
        &self.template
    }

    /// The address for an E.164 number.
    pub fn for_phone(&self, e164: &str) -> String {
        self.template
            .replace("{phone}", e164)
            .replace("{digits}", e164.trim_start_matches('+'))
    }

    /// The `getTempEmail` that makes the same addresses, for the app's phoneNumber plugin.
    pub fn js(&self) -> String {
        let body = self
            .template
            .replace("{phone}", "${phoneNumber}")
            .replace("{digits}", "${phoneNumber.replace(/^\\+/, \"\")}");
        format!("(phoneNumber) => `{body}`")
    }
}

impl Default for TempEmail {
    fn default() -> Self {
        TempEmail::parse(Self::DEFAULT).expect("the default template is valid")
    }
}

pub(crate) fn email_requirement(phone_ok: bool) -> Reason {
    Reason::new(
        ReasonCode::TargetRequirement,
        if phone_ok {
            "fields `emails`, `phones`: Better Auth needs an email address or a phone number (its user.email column is NOT NULL)"
        } else {
            "field `emails`: Better Auth needs an email address (its user.email column is NOT NULL; \
             phone-only users need the phoneNumber plugin's user.phoneNumber column)"
        },
    )
}

pub(crate) fn secret_requirement() -> Reason {
    Reason::new(
        ReasonCode::TargetRequirement,
        "BETTER_AUTH_SECRET is not set: the user's two-factor secret (field `totp_secret`) must be \
         encrypted with the app's BETTER_AUTH_SECRET; set it (or BETTER_AUTH_SECRETS, when the app \
         runs with versioned secrets) to what the app runs with",
    )
}

#[derive(Debug)]
pub(crate) struct UserRow {
    pub name: String,
    pub email_verified: bool,
    pub image: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub two_factor_enabled: bool,
    pub display_username: Option<String>,
    pub phone_number_verified: Option<bool>,
    pub banned: bool,
}

#[derive(Debug)]
pub(crate) struct AccountRow {
    pub id: String,
    pub account_id: String,
    pub provider_id: String,
    pub scope: Option<String>,
    pub password: Option<Secret>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug)]
pub(crate) struct TwoFactorRow {
    pub id: String,
    pub secret: Secret,
    pub backup_codes: Secret,
}

/// Everything written for one user.
#[derive(Debug)]
pub(crate) struct UserRows {
    pub identity: Identity,
    pub user: UserRow,
    pub accounts: Vec<AccountRow>,
    pub two_factor: Option<TwoFactorRow>,
    /// The backup codes are authferry's (the source had none): to be read back and handed out.
    pub generated_backup_codes: bool,
    /// The password digest's format, for the closing notes.
    pub digest_format: Option<Format>,
}

impl UserRows {
    /// In the order of `schema::USER_WRITES`.
    pub fn user_values(&self) -> [Val<'_>; 14] {
        let u = &self.user;
        let id = &self.identity;
        [
            Val::Text(&id.id),
            Val::Text(&u.name),
            Val::Text(&id.email),
            Val::Bool(u.email_verified),
            opt_text(&u.image),
            Val::Date(&u.created_at),
            Val::Date(&u.updated_at),
            Val::Bool(u.two_factor_enabled),
            opt_text(&id.username),
            opt_text(&u.display_username),
            opt_text(&id.phone),
            u.phone_number_verified.map_or(Val::Null, Val::Bool),
            // What the admin plugin gives every new user.
            Val::Text("user"),
            Val::Bool(u.banned),
        ]
    }

    /// In the order of `schema::ACCOUNT_WRITES`.
    pub fn account_values<'a>(&'a self, a: &'a AccountRow) -> [Val<'a>; 8] {
        [
            Val::Text(&a.id),
            Val::Text(&a.account_id),
            Val::Text(&a.provider_id),
            Val::Text(&self.identity.id),
            opt_text(&a.scope),
            a.password
                .as_ref()
                .map_or(Val::Null, |p| Val::Text(p.expose())),
            Val::Date(&a.created_at),
            Val::Date(&a.updated_at),
        ]
    }

    /// In the order of `schema::TWO_FACTOR_WRITES`.
    pub fn two_factor_values<'a>(&'a self, t: &'a TwoFactorRow) -> [Val<'a>; 6] {
        [
            Val::Text(&t.id),
            Val::Text(t.secret.expose()),
            Val::Text(t.backup_codes.expose()),
            Val::Text(&self.identity.id),
            // better-auth's adapter default; `false` would block sign-in.
            Val::Bool(true),
            Val::Int(0),
        ]
    }
}

fn opt_text(v: &Option<String>) -> Val<'_> {
    v.as_deref().map_or(Val::Null, Val::Text)
}

/// A row's id: its user's id, then 16 hex characters from the parts that make the row unique.
/// The same record always gets the same ids, so a resumed run cannot leave a second copy; and
/// because the ids start with the user's id, a batch's rows land next to each other in the
/// primary-key index instead of all over it (exports come roughly in id order).
pub(crate) fn row_id(owner: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    format!("{owner}-{}", hex::encode(&h.finalize()[..8]))
}

pub(crate) struct MappingContext<'a> {
    pub crypto: Option<&'a TwoFactorCrypto>,
    /// Phone-only users' email, when the target holds phone numbers.
    pub temp_email: Option<&'a TempEmail>,
    /// Whether the target has the two-factor plugin's columns.
    pub holds_totp: bool,
    /// `createdAt` when the record has none (the engine always fills it from the journal;
    /// this only serves direct callers).
    pub fallback_created: Timestamp,
}

pub(crate) fn map_user(user: &User, cx: &MappingContext<'_>) -> Result<UserRows, Reason> {
    let identity = Identity::of(user, cx.temp_email)
        .ok_or_else(|| email_requirement(cx.temp_email.is_some()))?;
    let created = user.created_at.unwrap_or(cx.fallback_created);
    let created_at = created.to_rfc3339();
    let updated_at = user.updated_at.unwrap_or(created).to_rfc3339();
    let name = user
        .full_name()
        .or_else(|| user.username.clone().filter(|u| !u.trim().is_empty()))
        // The phoneNumber plugin's default `getTempName`: the number itself.
        .or_else(|| {
            identity
                .temp_email
                .then(|| identity.phone.clone())
                .flatten()
        })
        .unwrap_or_else(|| {
            identity
                .email
                .split('@')
                .next()
                .unwrap_or_default()
                .to_string()
        });
    let phone = user.primary_phone();
    let totp = user.totp_secret.as_ref().filter(|_| cx.holds_totp);

    let mut accounts = Vec::with_capacity(1 + user.external_accounts.len());
    let mut digest_format = None;
    if let Some(pw) = &user.password {
        digest_format = authferry_hash::identify(pw.digest.expose(), pw.hasher.as_deref())
            .ok()
            .map(|i| i.format);
        accounts.push(AccountRow {
            id: row_id(
                &identity.id,
                &["account", &identity.id, "credential", &identity.id],
            ),
            // better-auth finds the credential account by providerId = 'credential' and
            // accountId = user id.
            account_id: identity.id.clone(),
            provider_id: "credential".to_string(),
            scope: None,
            password: Some(pw.digest.clone()),
            created_at: created_at.clone(),
            updated_at: updated_at.clone(),
        });
    }
    for ext in &user.external_accounts {
        let provider = ext.provider.trim();
        let account_id = ext.provider_user_id.trim();
        // `credential` is the password's own row; a second one would shadow it.
        if provider.eq_ignore_ascii_case("credential") {
            continue;
        }
        let id = row_id(
            &identity.id,
            &["account", &identity.id, provider, account_id],
        );
        if accounts.iter().any(|a| a.id == id) {
            continue;
        }
        let account_created = ext.created_at.unwrap_or(created);
        let scopes: Vec<&str> = ext
            .scopes
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        accounts.push(AccountRow {
            id,
            account_id: account_id.to_string(),
            provider_id: provider.to_string(),
            scope: (!scopes.is_empty()).then(|| scopes.join(",")),
            password: None,
            created_at: account_created.to_rfc3339(),
            updated_at: ext.updated_at.unwrap_or(account_created).to_rfc3339(),
        });
    }

    let mut generated_backup_codes = false;
    let two_factor = match totp {
        None => None,
        Some(secret) => {
            let crypto = cx.crypto.ok_or_else(secret_requirement)?;
            let codes = if user.backup_codes.is_empty() {
                generated_backup_codes = true;
                two_factor::generate_backup_codes().map_err(|e| {
                    Reason::new(
                        ReasonCode::TargetRequirement,
                        format!(
                            "no backup codes: the operating system's random source failed: {e}"
                        ),
                    )
                })?
            } else {
                user.backup_codes.clone()
            };
            Some(TwoFactorRow {
                id: row_id(&identity.id, &["twoFactor", &identity.id]),
                secret: crypto.encrypt(
                    &identity.id,
                    "secret",
                    two_factor::totp_plaintext(secret.expose()).expose(),
                ),
                backup_codes: crypto.encrypt(
                    &identity.id,
                    "backupCodes",
                    two_factor::backup_codes_plaintext(&codes).expose(),
                ),
            })
        }
    };

    Ok(UserRows {
        user: UserRow {
            name,
            // A made-up address is never verified.
            email_verified: !identity.temp_email
                && user.primary_email().is_some_and(|e| e.verified),
            image: user.image_url.clone().filter(|s| !s.trim().is_empty()),
            created_at,
            updated_at,
            two_factor_enabled: two_factor.is_some(),
            display_username: identity.username.as_ref().and(user.username.clone()),
            phone_number_verified: phone.map(|p| p.verified),
            banned: user.banned,
        },
        identity,
        accounts,
        two_factor,
        generated_backup_codes,
        digest_format,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use authferry_core::{EmailAddress, ExternalAccount, PasswordCredential, PhoneNumber};

    fn cx(crypto: Option<&TwoFactorCrypto>) -> MappingContext<'_> {
        MappingContext {
            crypto,
            temp_email: None,
            holds_totp: true,
            fallback_created: Timestamp::from_millis(0),
        }
    }

    fn user() -> User {
        User {
            source_id: "user_1".into(),
            emails: vec![EmailAddress {
                address: " Ada@Example.COM".into(),
                verified: true,
                primary: true,
            }],
            phones: vec![PhoneNumber {
                number: "+1 555 123 4567".into(),
                verified: false,
                primary: true,
            }],
            username: Some("AdaL".into()),
            password: Some(PasswordCredential {
                hasher: Some("bcrypt".into()),
                digest: Secret::new("$2b$10$abcdefghijklmnopqrstuu5Yd4D0YV8o2dTpyXzPfdNCFvtUUb7Ge"),
                params: Default::default(),
            }),
            external_accounts: vec![
                ExternalAccount {
                    provider: "google".into(),
                    provider_user_id: "g-1".into(),
                    email: None,
                    scopes: vec!["email".into(), "profile".into()],
                    created_at: Some(Timestamp::from_millis(1_000)),
                    updated_at: None,
                },
                ExternalAccount {
                    provider: "google".into(),
                    provider_user_id: "g-1".into(),
                    email: None,
                    scopes: vec![],
                    created_at: None,
                    updated_at: None,
                },
            ],
            created_at: Some(Timestamp::from_millis(1_697_955_053_486)),
            ..Default::default()
        }
    }

    #[test]
    fn maps_identity_and_defaults() {
        let rows = map_user(&user(), &cx(None)).unwrap();
        assert_eq!(rows.identity.email, "ada@example.com");
        assert_eq!(rows.identity.username.as_deref(), Some("adal"));
        assert_eq!(rows.user.display_username.as_deref(), Some("AdaL"));
        assert_eq!(rows.identity.phone.as_deref(), Some("+15551234567"));
        assert_eq!(rows.user.name, "AdaL", "no name: the username");
        assert_eq!(rows.user.created_at, "2023-10-22T06:10:53.486Z");
        assert_eq!(rows.user.updated_at, rows.user.created_at);
        assert_eq!(
            rows.accounts.len(),
            2,
            "the duplicate OAuth account is dropped"
        );
        assert_eq!(rows.accounts[0].provider_id, "credential");
        assert_eq!(rows.accounts[0].account_id, "user_1");
        assert_eq!(rows.accounts[1].scope.as_deref(), Some("email,profile"));
        assert_eq!(rows.accounts[1].created_at, "1970-01-01T00:00:01.000Z");
        assert!(
            rows.accounts[0].id.starts_with("user_1-"),
            "{}",
            rows.accounts[0].id
        );
        assert_ne!(rows.accounts[0].id, rows.accounts[1].id);
        assert_eq!(rows.digest_format, Some(Format::Bcrypt));
        assert!(rows.two_factor.is_none());
    }

    #[test]
    fn name_falls_back_to_the_email_local_part() {
        let mut u = user();
        u.username = None;
        assert_eq!(map_user(&u, &cx(None)).unwrap().user.name, "ada");
        u.first_name = Some("Ada".into());
        u.last_name = Some("Lovelace".into());
        assert_eq!(map_user(&u, &cx(None)).unwrap().user.name, "Ada Lovelace");
    }

    #[test]
    fn totp_needs_the_secret_and_is_deterministic() {
        let mut u = user();
        u.totp_secret = Some(Secret::new("JBSWY3DPEHPK3PXP"));
        let err = map_user(&u, &cx(None)).unwrap_err();
        assert_eq!(err.code, ReasonCode::TargetRequirement);
        assert!(err.message.contains("BETTER_AUTH_SECRET"));
        let crypto = TwoFactorCrypto::new("s".repeat(32).as_str());
        let a = map_user(&u, &cx(Some(&crypto))).unwrap();
        let b = map_user(&u, &cx(Some(&crypto))).unwrap();
        let (ta, tb) = (a.two_factor.unwrap(), b.two_factor.unwrap());
        assert_eq!(ta.secret, tb.secret);
        // Generated codes are random: a second mapping draws others.
        assert_ne!(ta.backup_codes, tb.backup_codes);
        assert!(a.user.two_factor_enabled);
        assert!(a.generated_backup_codes);
        let codes = crypto.decrypt(ta.backup_codes.expose()).unwrap();
        assert_eq!(two_factor::parse_backup_codes(&codes).unwrap().len(), 10);
        let plain = crypto.decrypt(ta.secret.expose()).unwrap();
        assert_eq!(plain.expose(), "base32:JBSWY3DPEHPK3PXP");
    }

    #[test]
    fn no_email_is_a_target_requirement() {
        let mut u = user();
        u.emails.clear();
        let err = map_user(&u, &cx(None)).unwrap_err();
        assert_eq!(err.code, ReasonCode::TargetRequirement);
        assert!(err.message.contains("`emails`"));
    }

    /// Issue 10 item 1: a phone-only user gets the template's email, unverified, the number
    /// as the name (the plugin's default `getTempName`), the number and its verified flag.
    #[test]
    fn a_phone_only_user_gets_a_temporary_email() {
        let mut u = user();
        u.emails.clear();
        u.first_name = None;
        u.last_name = None;
        u.username = None;
        u.phones = vec![PhoneNumber {
            number: "+1 (555) 123-0001".into(),
            verified: true,
            primary: true,
        }];
        let temp = TempEmail::default();
        let mut c = cx(None);
        c.temp_email = Some(&temp);
        let rows = map_user(&u, &c).unwrap();
        assert_eq!(rows.identity.email, "15551230001@phone.invalid");
        assert!(rows.identity.temp_email);
        assert_eq!(rows.identity.phone.as_deref(), Some("+15551230001"));
        assert!(!rows.user.email_verified);
        assert_eq!(rows.user.phone_number_verified, Some(true));
        assert_eq!(rows.user.name, "+15551230001");
        // Without a phone number there is nothing to stand in for the email.
        u.phones.clear();
        let err = map_user(&u, &c).unwrap_err();
        assert!(
            err.message.contains("an email address or a phone number"),
            "{}",
            err.message
        );
    }

    #[test]
    fn temp_email_templates() {
        let t = TempEmail::parse("{phone}@Phones.Example.com").unwrap();
        assert_eq!(
            t.for_phone("+4915112345678"),
            "+4915112345678@phones.example.com"
        );
        assert_eq!(
            t.js(),
            "(phoneNumber) => `${phoneNumber}@phones.example.com`"
        );
        assert_eq!(
            TempEmail::default().js(),
            r#"(phoneNumber) => `${phoneNumber.replace(/^\+/, "")}@phone.invalid`"#
        );
        for bad in [
            "user@example.com",
            "{digits}",
            "{digits}@a@b",
            "{digits}@x y.com",
            "@{digits}",
            "{digits}`@x.com",
        ] {
            assert!(TempEmail::parse(bad).is_err(), "{bad}");
        }
    }
}
