//! Identification and verification of digests.

use serde::Serialize;
use subtle::ConstantTimeEq;

/// A password-hash format authferry knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// `$2a$`, `$2b$`, `$2y$` (and `$2x$`) bcrypt, 60 characters.
    Bcrypt,
    /// Better Auth's default: `<32 hex salt>:<128 hex key>`, scrypt N=16384 r=16 p=1 over the
    /// NFKC-normalised password, the salt's hex text used as salt bytes.
    BetterAuthScrypt,
    /// `$argon2id$` / `$argon2i$` / `$argon2d$` PHC strings.
    Argon2,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Bcrypt => "bcrypt",
            Format::BetterAuthScrypt => "better_auth_scrypt",
            Format::Argon2 => "argon2",
        }
    }
}

/// What `identify` found: the format and its non-secret parameters (cost, variant …), never
/// salt or hash bytes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Identified {
    pub format: Format,
    pub params: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HashError {
    /// The digest matches no known shape. The hint is the hasher name the source gave, if any.
    #[error("unrecognised password digest ({len} characters{})", hint.as_ref().map(|h| format!(", source hasher `{h}`")).unwrap_or_default())]
    Unrecognised { len: usize, hint: Option<String> },
    /// The digest has a known prefix but a broken body.
    #[error("malformed {format} digest: {what}")]
    Malformed { format: &'static str, what: String },
    /// The format is known but this build cannot verify it.
    #[error("verification of {0} is not supported")]
    Unsupported(&'static str),
}

fn is_bcrypt(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 60
        && b[0] == b'$'
        && b[1] == b'2'
        && matches!(b[2], b'a' | b'b' | b'x' | b'y')
        && b[3] == b'$'
        && b[4].is_ascii_digit()
        && b[5].is_ascii_digit()
        && b[6] == b'$'
        && b[7..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'.' || *c == b'/')
}

fn is_better_auth_scrypt(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 32 + 1 + 128
        && b[32] == b':'
        && b[..32].iter().all(|c| c.is_ascii_hexdigit())
        && b[33..].iter().all(|c| c.is_ascii_hexdigit())
}

/// Identifies a digest from its shape and the source's hasher name (Clerk's `password_hasher`).
pub fn identify(digest: &str, hasher: Option<&str>) -> Result<Identified, HashError> {
    let mut params = serde_json::Map::new();
    let hint = hasher
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty());
    if is_bcrypt(digest) {
        if let Some(h) = &hint {
            if h != "bcrypt" {
                return Err(HashError::Malformed {
                    format: "bcrypt",
                    what: format!("digest has bcrypt's shape but the source says `{h}`"),
                });
            }
        }
        params.insert("variant".into(), digest[1..3].into());
        params.insert(
            "cost".into(),
            digest[4..6].parse::<u32>().unwrap_or(0).into(),
        );
        return Ok(Identified {
            format: Format::Bcrypt,
            params,
        });
    }
    if hint.as_deref() == Some("bcrypt") {
        return Err(HashError::Malformed {
            format: "bcrypt",
            what: format!("expected 60 characters `$2?$NN$…`, got {}", digest.len()),
        });
    }
    if is_better_auth_scrypt(digest) {
        params.insert("n".into(), 16384.into());
        params.insert("r".into(), 16.into());
        params.insert("p".into(), 1.into());
        return Ok(Identified {
            format: Format::BetterAuthScrypt,
            params,
        });
    }
    for variant in ["argon2id", "argon2i", "argon2d"] {
        if digest.starts_with(&format!("${variant}$")) {
            params.insert("variant".into(), variant.into());
            return Ok(Identified {
                format: Format::Argon2,
                params,
            });
        }
    }
    Err(HashError::Unrecognised {
        len: digest.len(),
        hint,
    })
}

/// Verifies `password` against `digest`. A wrong password is `Ok(false)`; a digest that cannot
/// be used is `Err`.
pub fn verify(digest: &str, hasher: Option<&str>, password: &str) -> Result<bool, HashError> {
    let id = identify(digest, hasher)?;
    match id.format {
        Format::Bcrypt => {
            // The bcrypt crate treats 2a/2b/2y alike and truncates at 72 bytes, like the
            // classic implementations that produced these digests.
            bcrypt::verify(password, digest).map_err(|e| HashError::Malformed {
                format: "bcrypt",
                what: e.to_string(),
            })
        }
        Format::BetterAuthScrypt => {
            use unicode_normalization::UnicodeNormalization;
            let (salt, key_hex) = digest.split_at(32);
            let expected = hex::decode(&key_hex[1..]).map_err(|_| HashError::Malformed {
                format: "better_auth_scrypt",
                what: "key is not hex".into(),
            })?;
            let params = scrypt::Params::new(14, 16, 1, 64).map_err(|e| HashError::Malformed {
                format: "better_auth_scrypt",
                what: e.to_string(),
            })?;
            let normalised: String = password.nfkc().collect();
            let mut out = [0u8; 64];
            scrypt::scrypt(normalised.as_bytes(), salt.as_bytes(), &params, &mut out).map_err(
                |e| HashError::Malformed {
                    format: "better_auth_scrypt",
                    what: e.to_string(),
                },
            )?;
            Ok(out.ct_eq(&expected[..]).into())
        }
        Format::Argon2 => Err(HashError::Unsupported("argon2")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcrypt_known_answers() {
        // Openwall wrapper.c vectors (password-hashes.md §2.1).
        let h = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
        assert_eq!(identify(h, None).unwrap().format, Format::Bcrypt);
        assert!(verify(h, Some("bcrypt"), "U*U").unwrap());
        assert!(!verify(h, None, "U*V").unwrap());
        let clerk = "$2b$10$U4C0ZY8OG8y41F9LusfKyu3HRMBL0rCZcKBVsXhgr.n8Ou6FPhzO2";
        assert!(verify(clerk, Some("bcrypt"), "Kk4aPMeiaRpAs2OeX1NE").unwrap());
    }

    #[test]
    fn better_auth_scrypt_known_answer() {
        // Computed vector from password-hashes.md §2.3.
        let h = "00112233445566778899aabbccddeeff:9a098760abf0e95230464650e1160ecd37c82de7f9aea0c41eee704c90daaac45ce13ec6c244f429e4e4ba505cde11131ed35ef08e55b31c226a2ba87069e3ae";
        assert_eq!(identify(h, None).unwrap().format, Format::BetterAuthScrypt);
        assert!(verify(h, None, "password").unwrap());
        assert!(!verify(h, None, "Password").unwrap());
    }

    #[test]
    fn errors_never_echo_the_digest() {
        let d = "$2b$10$short-and-secret";
        let e = identify(d, Some("bcrypt")).unwrap_err().to_string();
        assert!(!e.contains("short-and-secret"), "{e}");
        let e = identify("zzzz-secret-zzzz", None).unwrap_err().to_string();
        assert!(!e.contains("secret"), "{e}");
    }
}
