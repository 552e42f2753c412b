//! New digests of a plaintext password, in a target's own format: what the trickle server
//! writes for a user whose old digest it has just verified at sign-in (the target then
//! verifies natively, with no verify module and no legacy format left behind).

use crate::capability::PasswordTarget;
use crate::error::HashError;
use crate::format::Format;
use rand::TryRngCore;

/// bcrypt's cost for new digests: OWASP's floor for bcrypt (10), the cost the targets' own
/// sign-ups use (Clerk, Supabase, Auth0 default to 10).
pub const BCRYPT_COST: u32 = 10;

impl PasswordTarget {
    /// The format a target's own sign-up writes, when authferry can write it too.
    pub fn native_format(self) -> Option<Format> {
        match self {
            PasswordTarget::BetterAuth => Some(Format::BetterAuthScrypt),
            PasswordTarget::Clerk
            | PasswordTarget::Supertokens
            | PasswordTarget::Supabase
            | PasswordTarget::Auth0 => Some(Format::Bcrypt),
            PasswordTarget::Ndjson | PasswordTarget::Firebase => None,
        }
    }
}

/// A new digest of `password` in `format`, with a fresh random salt: better-auth's scrypt
/// (`<hex salt>:<hex key>`, N=16384 r=16 p=1 over the NFKC form, as better-auth's
/// `hashPassword`), bcrypt (`$2b$`, cost [`BCRYPT_COST`]) or Argon2id (the argon2 crate's
/// defaults, OWASP's m=19 MiB t=2 p=1).
pub fn hash_password(format: Format, password: &str) -> Result<String, HashError> {
    match format {
        Format::BetterAuthScrypt => {
            use unicode_normalization::UnicodeNormalization;
            let salt = hex::encode(random_salt(format)?);
            let params = scrypt::Params::new(14, 16, 1, 64).expect("valid scrypt parameters");
            let normalised: String = password.nfkc().collect();
            let mut key = [0u8; 64];
            scrypt::scrypt(normalised.as_bytes(), salt.as_bytes(), &params, &mut key).map_err(
                |e| HashError::UnsupportedParams {
                    format: format.name(),
                    what: e.to_string(),
                },
            )?;
            Ok(format!("{salt}:{}", hex::encode(key)))
        }
        Format::Bcrypt => {
            bcrypt::hash(password, BCRYPT_COST).map_err(|e| HashError::UnsupportedParams {
                format: format.name(),
                what: e.to_string(),
            })
        }
        Format::Argon2id => {
            use argon2::PasswordHasher;
            let salt = argon2::password_hash::SaltString::encode_b64(&random_salt(format)?)
                .map_err(|e| HashError::UnsupportedParams {
                    format: format.name(),
                    what: e.to_string(),
                })?;
            argon2::Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| HashError::UnsupportedParams {
                    format: format.name(),
                    what: e.to_string(),
                })
        }
        other => Err(HashError::Unsupported(other.name())),
    }
}

/// 16 bytes from the operating system's CSPRNG.
fn random_salt(format: Format) -> Result<[u8; 16], HashError> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng
        .try_fill_bytes(&mut salt)
        .map_err(|e| HashError::UnsupportedParams {
            format: format.name(),
            what: format!("no randomness for a salt: {e}"),
        })?;
    Ok(salt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_digests_verify_and_only_for_their_password() {
        for f in [Format::BetterAuthScrypt, Format::Bcrypt, Format::Argon2id] {
            let d = hash_password(f, "correct horse").unwrap();
            let parsed = crate::identify(&d, None).unwrap();
            assert_eq!(parsed.format, f, "{d}");
            assert!(crate::verify(&d, None, "correct horse").unwrap(), "{f:?}");
            assert!(!crate::verify(&d, None, "correct horsE").unwrap(), "{f:?}");
            // A fresh salt each time.
            assert_ne!(d, hash_password(f, "correct horse").unwrap());
        }
        assert!(hash_password(Format::Md5Hex, "x").is_err());
    }

    #[test]
    fn better_auth_digests_are_over_the_nfkc_form() {
        // "ﬁ" (U+FB01) is "fi" in NFKC: better-auth signs the user in with either spelling.
        let d = hash_password(Format::BetterAuthScrypt, "ﬁsh").unwrap();
        assert!(crate::verify(&d, None, "fish").unwrap());
        assert_eq!(d.len(), 161);
    }

    #[test]
    fn every_target_that_takes_passwords_has_a_native_format_authferry_writes() {
        for t in PasswordTarget::ALL {
            if let Some(f) = t.native_format() {
                assert!(hash_password(f, "pw").is_ok(), "{t:?}");
                assert_eq!(
                    crate::capability(t.name(), f),
                    crate::Support::Native,
                    "{t:?} must verify its own format natively"
                );
            }
        }
    }
}
