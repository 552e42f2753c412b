//! The algorithms behind the formats, with their parameters, salt and hash, and how each one
//! verifies a password. Kanidm's model: one variant per algorithm; the [`Format`](crate::Format)
//! says how it is written.
//!
//! Nothing here implements `Debug` in a way that shows salts, hashes, keys or peppers.

use crate::algo::DigestAlg;
use crate::error::HashError;
use crate::legacy;
use subtle::ConstantTimeEq;

/// What is fed to bcrypt instead of the bare password.
#[derive(Clone, PartialEq, Eq)]
pub enum Prehash {
    /// The password itself.
    None,
    /// Django `bcrypt_sha256`: lowercase hex of SHA-256(pw).
    DjangoSha256Hex,
    /// passlib `bcrypt_sha256` v1: base64 of SHA-256(pw).
    PasslibV1,
    /// passlib `bcrypt_sha256` v2: base64 of HMAC-SHA256(key = the 22-char salt, pw).
    PasslibV2,
    /// WordPress 6.8 `$wp$`: base64 of HMAC-SHA384(key = "wp-sha384", pw).
    WordPress,
    /// Clerk `bcrypt_peppered`: pw ‖ pepper.
    Pepper(String),
}

#[derive(Clone, PartialEq, Eq)]
pub struct BcryptHash {
    /// `a`, `b`, `x` or `y`.
    pub minor: u8,
    pub cost: u32,
    /// The 22 salt characters as written (the 22nd carries 2 significant bits).
    pub salt_str: String,
    pub salt: [u8; 16],
    /// The 31 checksum characters as written.
    pub hash_str: String,
    pub hash: [u8; 23],
    pub prehash: Prehash,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Argon2Alg {
    D,
    I,
    Id,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Argon2Hash {
    pub alg: Argon2Alg,
    /// 0x10 or 0x13.
    pub version: u32,
    /// Whether the string said `v=`.
    pub version_explicit: bool,
    pub m: u32,
    pub t: u32,
    pub p: u32,
    pub keyid: Option<Vec<u8>>,
    pub data: Option<Vec<u8>>,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct ScryptHash {
    pub log_n: u8,
    pub r: u32,
    pub p: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
    /// Better Auth NFKC-normalises the password first.
    pub nfkc: bool,
}

#[derive(Clone, PartialEq, Eq)]
pub struct FirebaseHash {
    pub salt: Vec<u8>,
    pub separator: Option<Vec<u8>>,
    pub signer_key: Option<Vec<u8>>,
    pub rounds: u32,
    pub mem_cost: u32,
    pub p: u32,
    pub hash: Vec<u8>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Pbkdf2Hash {
    pub alg: DigestAlg,
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SaltPosition {
    /// H(salt ‖ pw)
    Prefix,
    /// H(pw ‖ salt)
    Suffix,
}

impl SaltPosition {
    pub fn name(self) -> &'static str {
        match self {
            SaltPosition::Prefix => "prefix",
            SaltPosition::Suffix => "suffix",
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct DigestHash {
    pub alg: DigestAlg,
    /// Empty = unsalted.
    pub salt: Vec<u8>,
    pub position: SaltPosition,
    pub hash: Vec<u8>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct SymfonyHash {
    pub alg: DigestAlg,
    pub iterations: u32,
    pub salt: String,
    pub hash: Vec<u8>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct HmacHash {
    pub alg: DigestAlg,
    pub key: Vec<u8>,
    /// The message is UTF-16LE of the password (Clerk `hmac_sha256_utf16_b64`).
    pub utf16: bool,
    /// Salt joined to the password before the MAC (Firebase/Auth0 HMAC with a salt); empty if none.
    pub salt: Vec<u8>,
    pub position: SaltPosition,
    pub hash: Vec<u8>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct PhpassHash {
    /// `P` or `H`.
    pub marker: u8,
    pub log2: u32,
    pub salt: Vec<u8>,
    /// The 22 checksum characters.
    pub hash_str: String,
}

#[derive(Clone, PartialEq, Eq)]
pub struct DrupalHash {
    pub log2: u32,
    pub salt: Vec<u8>,
    /// The 43 checksum characters.
    pub hash_str: String,
    /// `U$S$`: the password is first replaced by its MD5 hex (Drupal 6 upgrade).
    pub md5_prehash: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Md5CryptMagic {
    /// `$1$`
    One,
    /// `$apr1$`
    Apr1,
    /// Kratos' `$md5-crypt$` (computed as `$1$`).
    Kratos,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Md5CryptHash {
    pub magic: Md5CryptMagic,
    pub salt: Vec<u8>,
    /// The 22 checksum characters.
    pub hash_str: String,
}

#[derive(Clone, PartialEq, Eq)]
pub struct ShaCryptHash {
    pub sha512: bool,
    /// `rounds=` as written (None = the default 5000, omitted).
    pub rounds: Option<u32>,
    pub salt: Vec<u8>,
    pub hash_str: String,
    /// Kratos spelling `$sha256-crypt$` / `$sha512-crypt$`.
    pub kratos: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NtSpelling {
    Hex,
    Samba,
    Ipa,
}

/// An algorithm with its parameters, salt and hash.
#[derive(Clone, PartialEq, Eq)]
pub enum Kdf {
    Bcrypt(BcryptHash),
    Argon2(Argon2Hash),
    Scrypt(ScryptHash),
    FirebaseScrypt(FirebaseHash),
    Pbkdf2(Pbkdf2Hash),
    Digest(DigestHash),
    Symfony(SymfonyHash),
    Hmac(HmacHash),
    Phpass(PhpassHash),
    Drupal7(DrupalHash),
    Md5Crypt(Md5CryptHash),
    ShaCrypt(ShaCryptHash),
    NtHash {
        hash: [u8; 16],
        spelling: NtSpelling,
    },
    /// Clerk's `awscognito#<pool>#<client>#<identifier>` record, kept verbatim.
    Cognito {
        record: String,
    },
}

/// Memory and work ceilings: a digest asking for more is refused rather than run (a hostile
/// digest must not take the machine down).
pub const MAX_SCRYPT_BYTES: u64 = 2 << 30;
pub const MAX_ARGON2_KIB: u32 = 4 << 20;

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

fn utf16le(password: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(password)
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect()
}

impl Kdf {
    /// Verifies `password` (its UTF-8 bytes, or raw bytes) against this hash, when its
    /// [cost](Kdf::cost) fits `budget`.
    pub fn verify(
        &self,
        format: &'static str,
        password: &[u8],
        budget: &crate::cost::Budget,
    ) -> Result<bool, HashError> {
        budget.admit(format, self.cost())?;
        match self {
            Kdf::Bcrypt(b) => {
                use base64::Engine as _;
                let key: Vec<u8> = match &b.prehash {
                    Prehash::None => password.to_vec(),
                    Prehash::DjangoSha256Hex => {
                        hex::encode(DigestAlg::Sha256.digest(&[password])).into_bytes()
                    }
                    Prehash::PasslibV1 => base64::engine::general_purpose::STANDARD
                        .encode(DigestAlg::Sha256.digest(&[password]))
                        .into_bytes(),
                    Prehash::PasslibV2 => base64::engine::general_purpose::STANDARD
                        .encode(DigestAlg::Sha256.hmac(b.salt_str.as_bytes(), &[password]))
                        .into_bytes(),
                    Prehash::WordPress => base64::engine::general_purpose::STANDARD
                        .encode(DigestAlg::Sha384.hmac(b"wp-sha384", &[password]))
                        .into_bytes(),
                    Prehash::Pepper(p) => [password, p.as_bytes()].concat(),
                };
                let out = legacy::bcrypt_raw(b.minor, b.cost, &b.salt, &key);
                Ok(ct_eq(&out[..23], &b.hash))
            }
            Kdf::Argon2(a) => {
                if a.keyid.is_some() {
                    return Err(HashError::UnsupportedParams {
                        format,
                        what: "a `keyid` names a secret key that is not available".into(),
                    });
                }
                if a.m > MAX_ARGON2_KIB {
                    return Err(HashError::UnsupportedParams {
                        format,
                        what: format!(
                            "memory cost {} KiB is above the {} KiB ceiling",
                            a.m, MAX_ARGON2_KIB
                        ),
                    });
                }
                let mut b = argon2::ParamsBuilder::new();
                b.m_cost(a.m)
                    .t_cost(a.t)
                    .p_cost(a.p)
                    .output_len(a.hash.len());
                if let Some(d) = &a.data {
                    b.data(argon2::AssociatedData::new(d).map_err(|e| {
                        HashError::UnsupportedParams {
                            format,
                            what: format!("associated data: {e}"),
                        }
                    })?);
                }
                let params = b.build().map_err(|e| HashError::UnsupportedParams {
                    format,
                    what: e.to_string(),
                })?;
                let alg = match a.alg {
                    Argon2Alg::D => argon2::Algorithm::Argon2d,
                    Argon2Alg::I => argon2::Algorithm::Argon2i,
                    Argon2Alg::Id => argon2::Algorithm::Argon2id,
                };
                let version = if a.version == 0x10 {
                    argon2::Version::V0x10
                } else {
                    argon2::Version::V0x13
                };
                let mut out = vec![0u8; a.hash.len()];
                // Allocated here, fallibly: under a memory limit this digest fails alone
                // instead of aborting the process.
                let mut blocks: Vec<argon2::Block> = Vec::new();
                blocks
                    .try_reserve_exact(params.block_count())
                    .map_err(|_| out_of_memory(format, params.block_count() as u64 * 1024))?;
                blocks.resize(params.block_count(), argon2::Block::default());
                argon2::Argon2::new(alg, version, params)
                    .hash_password_into_with_memory(password, &a.salt, &mut out, &mut blocks)
                    .map_err(|e| HashError::UnsupportedParams {
                        format,
                        what: e.to_string(),
                    })?;
                Ok(ct_eq(&out, &a.hash))
            }
            Kdf::Scrypt(s) => {
                check_scrypt_memory(format, s.log_n, s.r, s.p)?;
                let params = scrypt::Params::new(s.log_n, s.r, s.p, 32).map_err(|_| {
                    HashError::UnsupportedParams {
                        format,
                        what: format!("scrypt N=2^{} r={} p={} out of range", s.log_n, s.r, s.p),
                    }
                })?;
                let normalised;
                let pw = if s.nfkc {
                    use unicode_normalization::UnicodeNormalization;
                    normalised = String::from_utf8_lossy(password).nfkc().collect::<String>();
                    normalised.as_bytes()
                } else {
                    password
                };
                let mut out = vec![0u8; s.hash.len()];
                scrypt::scrypt(pw, &s.salt, &params, &mut out).map_err(|e| {
                    HashError::UnsupportedParams {
                        format,
                        what: e.to_string(),
                    }
                })?;
                Ok(ct_eq(&out, &s.hash))
            }
            Kdf::FirebaseScrypt(f) => {
                let key = f.signer_key.as_ref().ok_or(HashError::MissingParam {
                    format,
                    param: "signer_key",
                })?;
                check_scrypt_memory(format, f.mem_cost.min(255) as u8, f.rounds, f.p)?;
                let out = legacy::firebase_scrypt(
                    password,
                    &f.salt,
                    f.separator.as_deref().unwrap_or_default(),
                    key,
                    f.rounds,
                    f.mem_cost,
                    f.p,
                )
                .map_err(|what| HashError::UnsupportedParams { format, what })?;
                Ok(ct_eq(&out, &f.hash))
            }
            Kdf::Pbkdf2(p) => {
                let mut out = vec![0u8; p.hash.len()];
                p.alg.pbkdf2(password, &p.salt, p.iterations, &mut out);
                Ok(ct_eq(&out, &p.hash))
            }
            Kdf::Digest(d) => {
                let out = match d.position {
                    SaltPosition::Prefix => d.alg.digest(&[&d.salt, password]),
                    SaltPosition::Suffix => d.alg.digest(&[password, &d.salt]),
                };
                Ok(ct_eq(&out, &d.hash))
            }
            Kdf::Symfony(s) => {
                let mut m = password.to_vec();
                if !s.salt.is_empty() {
                    m.push(b'{');
                    m.extend_from_slice(s.salt.as_bytes());
                    m.push(b'}');
                }
                let mut d = s.alg.digest(&[&m]);
                for _ in 1..s.iterations {
                    d = s.alg.digest(&[&d, &m]);
                }
                Ok(ct_eq(&d, &s.hash))
            }
            Kdf::Hmac(h) => {
                let msg = if h.utf16 {
                    utf16le(password)
                } else {
                    password.to_vec()
                };
                let mac = match h.position {
                    SaltPosition::Prefix => h.alg.hmac(&h.key, &[&h.salt, &msg]),
                    SaltPosition::Suffix => h.alg.hmac(&h.key, &[&msg, &h.salt]),
                };
                Ok(ct_eq(&mac, &h.hash))
            }
            Kdf::Phpass(p) => {
                let h = legacy::phpass(password, &p.salt, p.log2);
                let enc = crate::b64::h64_encode(&h);
                Ok(ct_eq(enc.as_bytes(), p.hash_str.as_bytes()))
            }
            Kdf::Drupal7(d) => {
                let pre;
                let pw = if d.md5_prehash {
                    pre = hex::encode(DigestAlg::Md5.digest(&[password]));
                    pre.as_bytes()
                } else {
                    password
                };
                let enc = legacy::drupal7(pw, &d.salt, d.log2);
                Ok(ct_eq(enc.as_bytes(), d.hash_str.as_bytes()))
            }
            Kdf::Md5Crypt(m) => {
                let magic: &[u8] = match m.magic {
                    Md5CryptMagic::Apr1 => b"$apr1$",
                    _ => b"$1$",
                };
                let enc = legacy::md5_crypt_encode(&legacy::md5_crypt(password, magic, &m.salt));
                Ok(ct_eq(enc.as_bytes(), m.hash_str.as_bytes()))
            }
            Kdf::ShaCrypt(s) => {
                let rounds = s
                    .rounds
                    .unwrap_or(5000)
                    .clamp(sha_crypt::ROUNDS_MIN as u32, sha_crypt::ROUNDS_MAX as u32)
                    as usize;
                let enc = if s.sha512 {
                    let p = sha_crypt::Sha512Params::new(rounds).map_err(|_| {
                        HashError::UnsupportedParams {
                            format,
                            what: "rounds out of range".into(),
                        }
                    })?;
                    sha_crypt::sha512_crypt_b64(password, &s.salt, &p)
                } else {
                    let p = sha_crypt::Sha256Params::new(rounds).map_err(|_| {
                        HashError::UnsupportedParams {
                            format,
                            what: "rounds out of range".into(),
                        }
                    })?;
                    sha_crypt::sha256_crypt_b64(password, &s.salt, &p)
                }
                .map_err(|_| HashError::UnsupportedParams {
                    format,
                    what: "sha-crypt failed".into(),
                })?;
                Ok(ct_eq(enc.as_bytes(), s.hash_str.as_bytes()))
            }
            Kdf::NtHash { hash, .. } => {
                let out = DigestAlg::Md4.digest(&[&utf16le(password)]);
                Ok(ct_eq(&out, hash))
            }
            Kdf::Cognito { .. } => Err(HashError::Unsupported(
                "awscognito (only Cognito itself can check these passwords; use a trickle migration)",
            )),
        }
    }

    /// Whether a target should re-hash after a successful sign-in: the algorithm is weak or
    /// its parameters are below current guidance (OWASP password storage cheat sheet).
    pub fn needs_upgrade(&self) -> bool {
        match self {
            Kdf::Bcrypt(b) => b.cost < 10 || b.minor == b'x',
            Kdf::Argon2(a) => a.alg != Argon2Alg::Id || a.m < 19 * 1024 || a.version != 0x13,
            Kdf::Scrypt(s) => ((1u64 << s.log_n.min(63)) * (s.r as u64) * (s.p as u64)) < (1 << 17),
            Kdf::FirebaseScrypt(f) => {
                (1u64 << f.mem_cost.min(63)) * f.rounds as u64 * f.p as u64 <= 1 << 17
            }
            Kdf::Pbkdf2(p) => {
                p.iterations
                    < match p.alg {
                        DigestAlg::Sha512 => 210_000,
                        DigestAlg::Sha256 | DigestAlg::Sha224 | DigestAlg::Sha384 => 600_000,
                        _ => 1_300_000,
                    }
            }
            _ => true,
        }
    }
}

fn out_of_memory(format: &'static str, bytes: u64) -> HashError {
    HashError::OutOfMemory {
        format,
        what: format!(
            "could not allocate the {} MiB it needs",
            bytes.div_ceil(1 << 20)
        ),
    }
}

/// The scrypt crate allocates its V array infallibly: reserve the same amount first, so that
/// under a memory limit the digest fails alone instead of aborting the process.
fn check_scrypt_memory(format: &'static str, log_n: u8, r: u32, p: u32) -> Result<(), HashError> {
    let bytes = 128u64
        .saturating_mul(r as u64)
        .saturating_mul(1u64.checked_shl(log_n as u32).unwrap_or(u64::MAX))
        .saturating_add(128u64.saturating_mul(r as u64).saturating_mul(p as u64));
    if log_n >= 64 || bytes > MAX_SCRYPT_BYTES {
        return Err(HashError::UnsupportedParams {
            format,
            what: format!("scrypt N=2^{log_n} r={r} p={p} needs more than 2 GiB"),
        });
    }
    let mut probe: Vec<u8> = Vec::new();
    probe
        .try_reserve_exact(bytes as usize)
        .map_err(|_| out_of_memory(format, bytes))?;
    drop(probe);
    Ok(())
}
