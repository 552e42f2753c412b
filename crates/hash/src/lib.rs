//! Password-hash formats: the one place in authferry that knows them.
//!
//! A digest is identified from its shape plus the source platform's hasher name (several
//! formats collide without the hint), parsed into a [`ParsedHash`] (a [`Format`] — the syntax —
//! and the algorithm with its parameters, salt and hash), verified against a plaintext, and
//! re-encoded for a target that knows the same algorithm under another syntax.
//! [`capability`] says, per target, which formats it verifies natively, after a re-encode,
//! through authferry's emitted verify module, or not at all (those users need a reset or a
//! trickle migration).
//!
//! Nothing here ever puts a digest, a salt, a key or a password into an error message or a
//! `Debug` output.

mod algo;
mod b64;
mod bench;
mod capability;
mod cost;
mod error;
mod format;
#[doc(hidden)]
pub mod fuzzing;
mod kdf;
mod legacy;
mod new;
mod params;
mod parse;

pub use algo::DigestAlg;
pub use bench::{BenchCase, bench_cases};
pub use capability::{
    Condition, PasswordTarget, Prepared, Support, TargetName, TargetSupport, TargetTable,
    capability, capability_of, convert_for, known_targets, prepare_for_target,
    prepare_for_target_with, table,
};
pub use cost::{Budget, Cost, set_budget, work_model_json};
pub use error::HashError;
pub use format::{CLERK_HASHERS, Format, set_hasher_aliases};
pub use new::{BCRYPT_COST, hash_password};
pub use params::ExtParams;

use kdf::Kdf;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// What `identify` found: the format and its non-secret parameters (cost, variant …), never
/// salt or hash bytes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Identified {
    pub format: Format,
    pub params: Map<String, Value>,
}

/// A parsed digest: its format and the algorithm's parameters, salt and hash.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedHash {
    format: Format,
    kdf: Kdf,
}

impl std::fmt::Debug for ParsedHash {
    /// Format and public parameters only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedHash")
            .field("format", &self.format)
            .field("params", &Value::Object(self.params()))
            .finish_non_exhaustive()
    }
}

/// Which formats are the same kind of algorithm (a hint and a shape of the same family agree).
fn family(f: Format) -> &'static str {
    use Format::*;
    match f {
        Bcrypt | DjangoBcrypt | DjangoBcryptSha256 | PasslibBcryptSha256 | BcryptPeppered
        | WordPressBcrypt => "bcrypt",
        Argon2i | Argon2d | Argon2id | DjangoArgon2 | LdapArgon2 => "argon2",
        ScryptPhc | KratosScrypt | DjangoScrypt | WerkzeugScrypt | BetterAuthScrypt | ScryptMcf => {
            "scrypt"
        }
        ClerkFirebaseScrypt
        | SuperTokensFirebaseScrypt
        | SupabaseFirebaseScrypt
        | KratosFirebaseScrypt
        | FirebaseScrypt => "firebase_scrypt",
        DjangoPbkdf2Sha256 | DjangoPbkdf2Sha1 | PasslibPbkdf2 | PhcPbkdf2 | LdapPbkdf2
        | WerkzeugPbkdf2 | ClerkPbkdf2Sha1 | ClerkPbkdf2Sha256 | ClerkPbkdf2Sha512
        | ClerkPbkdf2Sha512Hex => "pbkdf2",
        Md5Hex | Sha1Hex | Sha256Hex | Sha512Hex | SaltedDigest | KratosDigest | ClerkMd5Salted
        | ClerkSha256Salted | DjangoMd5 | DjangoSha1 => "digest",
        LdapSsha | LdapDigest => "ldap",
        SymfonySha512 => "symfony",
        ClerkHmacSha256Utf16 | KratosHmac | Hmac => "hmac",
        Phpass => "phpass",
        Drupal7 => "drupal",
        Md5Crypt | Sha256Crypt | Sha512Crypt | LdapCrypt => "crypt",
        NtHash => "nt",
        AwsCognito => "cognito",
    }
}

/// A source's hasher name as messages show it: printable, at most 64 characters.
fn shown_name(name: &str) -> String {
    let mut shown: String = name
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(64)
        .collect();
    if name.chars().count() > 64 {
        shown.push('…');
    }
    shown
}

fn resolve_hint(hasher: Option<&str>) -> (Option<String>, Option<Format>) {
    let hint = hasher.map(str::trim).filter(|h| !h.is_empty());
    (
        hint.map(|h| h.to_ascii_lowercase()),
        hint.and_then(Format::from_hasher),
    )
}

/// Parses `digest`, using the source's hasher name (any Clerk `password_hasher`, a
/// [`Format::name`]) to settle shapes that collide, and `params` for what the source keeps
/// outside the digest.
pub fn parse(
    digest: &str,
    hasher: Option<&str>,
    params: &ExtParams,
) -> Result<ParsedHash, HashError> {
    use Format::*;
    let (hint_text, hinted) = resolve_hint(hasher);
    if let (Some(name), None) = (&hint_text, hinted) {
        return Err(HashError::UnknownHasher {
            name: shown_name(name),
        });
    }
    let shape = parse::detect(digest);
    let mut wanted = match (hinted, shape) {
        (Some(h), _) => h,
        (None, Some(f)) => f,
        (None, None) if params.salt.is_some() && hint_text.is_none() => SaltedDigest,
        (None, None) => {
            return Err(HashError::Unrecognised {
                len: digest.len(),
                hint: hint_text,
            });
        }
    };
    // A bare digest (named by its algorithm or recognised by its length) with the salt beside
    // it is a salted digest, whichever way it was identified.
    if matches!(wanted, Md5Hex | Sha1Hex | Sha256Hex | Sha512Hex) && params.salt.is_some() {
        wanted = SaltedDigest;
    }
    // A 32-hex digest the source calls an NT hash is one, not MD5; other shapes follow the hint.
    match parse::parse_as(wanted, digest, params) {
        Ok(kdf) => Ok(ParsedHash {
            format: wanted,
            kdf,
        }),
        Err(e) => match shape {
            Some(s) if hinted.is_some() && s != wanted && family(s) == family(wanted) => {
                Ok(ParsedHash {
                    format: s,
                    kdf: parse::parse_as(s, digest, params)?,
                })
            }
            _ => match (e, hint_text) {
                (
                    e @ (HashError::Malformed { .. } | HashError::Unrecognised { .. }),
                    Some(name),
                ) => Err(HashError::MismatchedHasher {
                    hasher: shown_name(&name),
                    format: wanted.name(),
                    why: e.to_string(),
                }),
                (e, _) => Err(e),
            },
        },
    }
}

/// Identifies a digest from its shape and the source's hasher name (Clerk's `password_hasher`).
pub fn identify(digest: &str, hasher: Option<&str>) -> Result<Identified, HashError> {
    identify_with(digest, hasher, &ExtParams::default())
}

/// [`identify`] with out-of-band parameters.
pub fn identify_with(
    digest: &str,
    hasher: Option<&str>,
    params: &ExtParams,
) -> Result<Identified, HashError> {
    let p = parse(digest, hasher, params)?;
    Ok(Identified {
        format: p.format,
        params: p.params(),
    })
}

/// Verifies `password` against `digest`. A wrong password is `Ok(false)`; a digest that cannot
/// be used is `Err`.
pub fn verify(digest: &str, hasher: Option<&str>, password: &str) -> Result<bool, HashError> {
    parse(digest, hasher, &ExtParams::default())?.verify(password)
}

/// [`verify`] with out-of-band parameters.
pub fn verify_with(
    digest: &str,
    hasher: Option<&str>,
    params: &ExtParams,
    password: &str,
) -> Result<bool, HashError> {
    parse(digest, hasher, params)?.verify(password)
}

impl ParsedHash {
    pub fn format(&self) -> Format {
        self.format
    }

    /// Checks a password (its UTF-8 bytes) within the process's [`Budget`]. Comparisons are
    /// constant-time.
    pub fn verify(&self, password: &str) -> Result<bool, HashError> {
        self.verify_within(password.as_bytes(), &Budget::current())
    }

    /// Checks a password given as raw bytes (for sources whose passwords were not UTF-8).
    pub fn verify_bytes(&self, password: &[u8]) -> Result<bool, HashError> {
        self.verify_within(password, &Budget::current())
    }

    /// Checks a password when the digest's [`cost`](Self::cost) fits `budget`
    /// ([`HashError::OverBudget`] otherwise, before any work is done).
    pub fn verify_within(&self, password: &[u8], budget: &Budget) -> Result<bool, HashError> {
        self.kdf.verify(self.format.name(), password, budget)
    }

    /// What verifying this digest costs: memory and estimated time, from its parameters.
    pub fn cost(&self) -> Cost {
        self.kdf.cost()
    }

    /// Whether the hash should be replaced by a modern one after the next successful sign-in.
    pub fn needs_upgrade(&self) -> bool {
        self.kdf.needs_upgrade()
    }

    /// The digest in its own syntax (canonical spelling: e.g. base64 padding as the format
    /// writes it).
    pub fn encode(&self) -> Result<String, HashError> {
        parse::encode_as(self.format, self.format, &self.kdf)
    }

    /// The same hash in another format's syntax, or why that is impossible.
    pub fn convert(&self, to: Format) -> Result<ParsedHash, HashError> {
        self.convert_encoded(to).map(|(p, _)| p)
    }

    /// [`convert`](Self::convert) and the converted digest's text, encoded once.
    pub fn convert_encoded(&self, to: Format) -> Result<(ParsedHash, String), HashError> {
        if to == self.format {
            return Ok((self.clone(), self.encode()?));
        }
        let mut kdf = self.kdf.clone();
        if let (Kdf::Scrypt(s), Format::ScryptPhc) = (&mut kdf, to) {
            // passlib insists on a 32-byte key. scrypt's last step is PBKDF2 with one
            // iteration, so the first 32 bytes of a longer key (Django, Werkzeug: 64) are exactly
            // the 32-byte key: the re-encoding keeps that prefix.
            s.hash.truncate(32);
        }
        let text = parse::encode_as(self.format, to, &kdf)?;
        // What is written must read back as what it claims to be: a parameter the source
        // syntax allows may be out of the target syntax's range (scrypt N = 2^32 as Kratos
        // writes N). Formats that need parameters from outside the digest are left out.
        if !matches!(
            to,
            Format::FirebaseScrypt | Format::SaltedDigest | Format::Hmac
        ) && let Err(e) = parse(&text, Some(to.name()), &ExtParams::default())
        {
            return Err(HashError::NotConvertible {
                from: self.format.name(),
                to: to.name(),
                why: format!("the result would not read back ({e})"),
            });
        }
        Ok((ParsedHash { format: to, kdf }, text))
    }

    /// The same bcrypt hash with another version letter: lossless between `b` and `y` (the
    /// same algorithm), refused otherwise.
    pub fn with_bcrypt_minor(&self, minor: u8) -> Result<ParsedHash, HashError> {
        match &self.kdf {
            Kdf::Bcrypt(b) if b.minor == minor => Ok(self.clone()),
            Kdf::Bcrypt(b) if matches!((b.minor, minor), (b'y', b'b') | (b'b', b'y')) => {
                let mut b = b.clone();
                b.minor = minor;
                Ok(ParsedHash {
                    format: self.format,
                    kdf: Kdf::Bcrypt(b),
                })
            }
            _ => Err(HashError::NotConvertible {
                from: self.format.name(),
                to: self.format.name(),
                why: "only `$2y$` ⇄ `$2b$` is a lossless version change".into(),
            }),
        }
    }

    /// bcrypt's version letter, if this is a bcrypt-family hash.
    pub fn bcrypt_minor(&self) -> Option<u8> {
        match &self.kdf {
            Kdf::Bcrypt(b) => Some(b.minor),
            _ => None,
        }
    }

    /// Argon2 variant name (`argon2i`, `argon2d`, `argon2id`) and whether the string is the
    /// plain v=19 form without `keyid`/`data`.
    pub fn argon2_variant(&self) -> Option<(Format, bool)> {
        match &self.kdf {
            Kdf::Argon2(a) => Some((
                match a.alg {
                    kdf::Argon2Alg::I => Format::Argon2i,
                    kdf::Argon2Alg::D => Format::Argon2d,
                    kdf::Argon2Alg::Id => Format::Argon2id,
                },
                a.version == 0x13 && a.keyid.is_none() && a.data.is_none(),
            )),
            _ => None,
        }
    }

    /// The digest function of PBKDF2 / plain / salted / HMAC digests.
    pub fn digest_alg(&self) -> Option<DigestAlg> {
        match &self.kdf {
            Kdf::Pbkdf2(p) => Some(p.alg),
            Kdf::Digest(d) => Some(d.alg),
            Kdf::Symfony(s) => Some(s.alg),
            Kdf::Hmac(h) => Some(h.alg),
            _ => None,
        }
    }

    /// Whether a plain digest carries a salt, and where.
    pub fn salt_position(&self) -> Option<&'static str> {
        match &self.kdf {
            Kdf::Digest(d) if !d.salt.is_empty() => Some(d.position.name()),
            _ => None,
        }
    }

    /// The non-secret parameters: algorithm, costs, lengths. Never salt, hash, key or pepper.
    pub fn params(&self) -> Map<String, Value> {
        use kdf::*;
        let v = match &self.kdf {
            Kdf::Bcrypt(b) => json!({
                "algorithm": "bcrypt",
                "variant": format!("2{}", b.minor as char),
                "cost": b.cost,
                "prehash": match &b.prehash {
                    Prehash::None => "none",
                    Prehash::DjangoSha256Hex => "sha256_hex",
                    Prehash::PasslibV1 => "sha256_base64",
                    Prehash::PasslibV2 => "hmac_sha256_base64",
                    Prehash::WordPress => "hmac_sha384_base64",
                    Prehash::Pepper(_) => "pepper",
                },
            }),
            Kdf::Argon2(a) => json!({
                "algorithm": "argon2",
                "variant": match a.alg { Argon2Alg::D => "argon2d", Argon2Alg::I => "argon2i", Argon2Alg::Id => "argon2id" },
                "version": a.version,
                "m": a.m, "t": a.t, "p": a.p,
                "hash_len": a.hash.len(),
                "keyid": a.keyid.is_some(),
                "data": a.data.is_some(),
            }),
            Kdf::Scrypt(s) => json!({
                "algorithm": "scrypt",
                "n": 1u64 << s.log_n, "r": s.r, "p": s.p,
                "hash_len": s.hash.len(),
                "nfkc": s.nfkc,
            }),
            Kdf::FirebaseScrypt(f) => json!({
                "algorithm": "firebase_scrypt",
                "rounds": f.rounds, "mem_cost": f.mem_cost, "p": f.p,
                "signer_key": f.signer_key.is_some(),
            }),
            Kdf::Pbkdf2(p) => json!({
                "algorithm": "pbkdf2",
                "digest": p.alg.name(),
                "iterations": p.iterations,
                "hash_len": p.hash.len(),
            }),
            Kdf::Digest(d) => json!({
                "algorithm": "digest",
                "digest": d.alg.name(),
                "salted": !d.salt.is_empty(),
                "salt_position": if d.salt.is_empty() { Value::Null } else { d.position.name().into() },
            }),
            Kdf::Symfony(s) => {
                json!({"algorithm": "symfony", "digest": s.alg.name(), "iterations": s.iterations})
            }
            Kdf::Hmac(h) => json!({
                "algorithm": "hmac",
                "digest": h.alg.name(),
                "utf16": h.utf16,
                "salted": !h.salt.is_empty(),
                "salt_position": if h.salt.is_empty() { Value::Null } else { h.position.name().into() },
            }),
            Kdf::Phpass(p) => json!({"algorithm": "phpass", "iterations": 1u64 << p.log2}),
            Kdf::Drupal7(d) => {
                json!({"algorithm": "drupal7", "iterations": 1u64 << d.log2, "md5_prehash": d.md5_prehash})
            }
            Kdf::Md5Crypt(m) => {
                json!({"algorithm": "md5_crypt", "variant": match m.magic { Md5CryptMagic::Apr1 => "apr1", _ => "1" }})
            }
            Kdf::ShaCrypt(s) => json!({
                "algorithm": if s.sha512 { "sha512_crypt" } else { "sha256_crypt" },
                "rounds": s.rounds.unwrap_or(5000),
            }),
            Kdf::NtHash { .. } => json!({"algorithm": "nt_hash"}),
            Kdf::Cognito { .. } => json!({"algorithm": "awscognito"}),
        };
        let Value::Object(mut m) = v else {
            unreachable!("json! object")
        };
        m.insert("needs_upgrade".into(), self.needs_upgrade().into());
        m
    }
}

#[cfg(test)]
mod kats;

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing (`fuzz/seeds/convert/scrypt-crypt-n-2-32`): a crypt(3) scrypt digest with
    /// N = 2^32 converted to Kratos' syntax (which writes N itself) gave text that does not
    /// parse back. A conversion now refuses what would not read back.
    #[test]
    fn conversions_refuse_what_would_not_read_back() {
        let d = "$7$U.C...2....Mq4YHD2syxH1Ek0n1$JyHIxez0DOwm0r7.kAIohc8UFBOLU48X8a1wGBpLrw7";
        let p = parse(d, None, &ExtParams::default()).unwrap();
        let e = p.convert(Format::KratosScrypt).unwrap_err();
        assert!(
            matches!(&e, HashError::NotConvertible { to: "kratos_scrypt", why, .. } if why.contains("would not read back")),
            "{e:?}"
        );
    }

    /// A hasher name is a contract: an unknown one is refused (not guessed from the shape),
    /// and a digest that is not what its name says fails with both in the message.
    #[test]
    fn hasher_names_are_a_contract() {
        let md5 = "5f4dcc3b5aa765d61d8327deb882cf99";
        let none = ExtParams::default();
        assert_eq!(parse(md5, None, &none).unwrap().format(), Format::Md5Hex);
        let e = parse(md5, Some("md5_salted_legacy_v0"), &none).unwrap_err();
        assert!(
            matches!(&e, HashError::UnknownHasher { name } if name == "md5_salted_legacy_v0"),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .contains("--hasher-alias md5_salted_legacy_v0=FORMAT"),
            "{e}"
        );
        let e = parse(md5, Some("bcrypt"), &none).unwrap_err();
        assert!(
            matches!(
                &e,
                HashError::MismatchedHasher {
                    format: "bcrypt",
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(!e.to_string().contains(md5), "{e}");
        let long = format!("x{}\n", "y".repeat(200));
        let e = parse(md5, Some(&long), &none).unwrap_err().to_string();
        assert!(
            e.contains(&format!("x{}…", "y".repeat(63))) && !e.contains('\n'),
            "{e}"
        );
    }
}
