//! Per-target capability tables: data, not code paths.
//!
//! Each target has a table of rows `format [when conditions] → support [into format, hasher]`.
//! The first row whose format and conditions match a parsed digest decides; a format with no
//! matching row gets the table's `otherwise`. Sources: §3 and §3.1 of
//! `shared/reference/password-hashes.md` (import matrix); where the reference says "?" the
//! table says `Unverifiable` (reset or trickle migration) rather than guess.
//!
//! ## Better Auth and its verify module
//! Better Auth verifies only its own `salt:key` scrypt natively. Everything else goes through the
//! `password.verify` callback of the ES module `authferry emit better-auth-verify` writes
//! (`crates/platforms/src/better_auth/verify_module.mjs`: `node:crypto`, `bcryptjs`, `hash-wasm`
//! and `@noble/hashes`). It sees only the stored string — no hasher name, no out-of-band parameters
//! — so a format is `VerifyModule` here when the module reads its syntax, or when authferry
//! re-encodes it (the row's `into`) into a syntax the module reads and that carries everything:
//! bcrypt and all its wrappers (not `$2x$`), Argon2 i/d/id v=19 and v=16, with or without `data`,
//! not with a `keyid` (PHC, Django, `{ARGON2}`), scrypt (PHC/passlib, Kratos, Django, Werkzeug,
//! `$7$`), Firebase scrypt (as Supabase's `$fbscrypt$`, which carries the signer key: SuperTokens
//! and Firebase-export hashes qualify only when the `signer_key` parameter is given, else the
//! re-encode fails and the user is unverifiable), PBKDF2 with MD5/SHA-1/SHA-2 (PHC, passlib, LDAP,
//! Django, Werkzeug, Clerk's four — three of them as PHC), plain and salted
//! MD5/SHA-1/SHA-256/SHA-512 (salted ones as Kratos' `pf=` syntax), Django md5/sha1, Symfony,
//! Clerk's UTF-16 HMAC, Kratos HMAC and keyed HMACs without salt (as Kratos HMAC), phpass, Drupal
//! 7, md5-crypt, SHA-crypt, LDAP `{SHA*}`/`{SSHA*}`/ `{MD5}`/`{SMD5}`/`{CRYPT}`, NT hash. Not:
//! `$2x$`, Argon2 with a `keyid`, MD4-based PBKDF2/HMAC, salted or UTF-16 keyed HMACs, Cognito. The
//! test `crates/cli/tests/better_auth_verify_module.rs` checks that the module verifies a digest of
//! every `VerifyModule` format here, after the same re-encode the engine does.

use crate::algo::DigestAlg;
use crate::error::HashError;
use crate::format::Format;
use crate::params::ExtParams;
use crate::{ParsedHash, parse};
use serde::Serialize;

/// How a target can verify users' existing digests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Support {
    /// The target verifies the digest as it is.
    Native,
    /// The target verifies it after authferry re-encodes it into the target's syntax.
    ReEncoded,
    /// The target verifies it through the module `authferry emit` writes for it.
    VerifyModule,
    /// The target cannot verify it: the user needs a password reset or a trickle migration.
    Unverifiable,
}

impl Support {
    pub fn describe(self) -> &'static str {
        match self {
            Support::Native => "native",
            Support::ReEncoded => "re-encoded",
            Support::VerifyModule => "with the emitted verify module",
            Support::Unverifiable => "needs trickle or reset",
        }
    }
}

/// A condition a row puts on the parsed digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    /// bcrypt version letter is one of these.
    BcryptMinor(&'static [u8]),
    /// Argon2 v=19 without `keyid`/`data`.
    Argon2Plain,
    /// Argon2 without a `keyid` (which names a secret key only the source has).
    Argon2NoKeyid,
    /// The Argon2 variant is this one (`Format::Argon2i` / `Argon2d` / `Argon2id`).
    Argon2Variant(Format),
    /// The digest function is this one.
    Digest(DigestAlg),
    /// A plain digest without salt.
    Unsalted,
    /// A salted digest whose salt comes first.
    SaltFirst,
}

impl Condition {
    fn holds(self, p: &ParsedHash) -> bool {
        match self {
            Condition::BcryptMinor(m) => p.bcrypt_minor().is_some_and(|x| m.contains(&x)),
            Condition::Argon2Plain => p.argon2_variant().is_some_and(|(_, plain)| plain),
            Condition::Argon2NoKeyid => {
                p.argon2_variant().is_some()
                    && p.params().get("keyid") == Some(&serde_json::Value::Bool(false))
            }
            Condition::Argon2Variant(f) => p.argon2_variant().is_some_and(|(v, _)| v == f),
            Condition::Digest(d) => p.digest_alg() == Some(d),
            Condition::Unsalted => p.salt_position().is_none(),
            Condition::SaltFirst => p.salt_position() == Some("prefix"),
        }
    }
}

/// One row of a target's table.
#[derive(Clone, Copy, Debug)]
pub struct TargetSupport {
    pub format: Format,
    /// All must hold for the row to apply.
    pub when: &'static [Condition],
    pub support: Support,
    /// The format to re-encode into before handing the digest to the target.
    pub into: Option<Format>,
    /// The hasher name the target expects beside a re-encoded digest.
    pub hasher: Option<&'static str>,
    /// Rewrite bcrypt's version letter (`$2y$` → `$2b$`).
    pub bcrypt_minor: Option<u8>,
}

impl TargetSupport {
    const fn new(format: Format, support: Support) -> Self {
        TargetSupport {
            format,
            when: &[],
            support,
            into: None,
            hasher: None,
            bcrypt_minor: None,
        }
    }
    const fn when(mut self, c: &'static [Condition]) -> Self {
        self.when = c;
        self
    }
    const fn into(mut self, f: Format, hasher: Option<&'static str>) -> Self {
        self.into = Some(f);
        self.hasher = hasher;
        self
    }
    const fn minor(mut self, m: u8) -> Self {
        self.bcrypt_minor = Some(m);
        self
    }
}

/// A platform that receives password digests: the key of its capability table. Platforms name
/// theirs with this type, so a typo is a compile error rather than a table that verifies nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PasswordTarget {
    BetterAuth,
    /// authferry's NDJSON interchange format: keeps any digest as it is.
    Ndjson,
    Clerk,
    Supertokens,
    Supabase,
    Auth0,
    Firebase,
}

impl PasswordTarget {
    pub const ALL: [PasswordTarget; 7] = [
        PasswordTarget::BetterAuth,
        PasswordTarget::Ndjson,
        PasswordTarget::Clerk,
        PasswordTarget::Supertokens,
        PasswordTarget::Supabase,
        PasswordTarget::Auth0,
        PasswordTarget::Firebase,
    ];

    /// The name people type (`authferry hash convert --to better-auth`).
    pub const fn name(self) -> &'static str {
        match self {
            PasswordTarget::BetterAuth => "better-auth",
            PasswordTarget::Ndjson => "ndjson",
            PasswordTarget::Clerk => "clerk",
            PasswordTarget::Supertokens => "supertokens",
            PasswordTarget::Supabase => "supabase",
            PasswordTarget::Auth0 => "auth0",
            PasswordTarget::Firebase => "firebase",
        }
    }

    pub fn from_name(name: &str) -> Option<PasswordTarget> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// This target's capability table.
    pub fn table(self) -> &'static TargetTable {
        TARGETS
            .iter()
            .find(|t| t.target == self)
            .expect("every PasswordTarget has a table (test: every_target_has_a_table)")
    }
}

impl std::fmt::Display for PasswordTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A target as the functions below take it: a [`PasswordTarget`], or its name (a name no
/// table has verifies nothing).
pub trait TargetName {
    fn password_target(&self) -> Option<PasswordTarget>;
}

impl TargetName for PasswordTarget {
    fn password_target(&self) -> Option<PasswordTarget> {
        Some(*self)
    }
}

impl TargetName for str {
    fn password_target(&self) -> Option<PasswordTarget> {
        PasswordTarget::from_name(self)
    }
}

impl<T: TargetName + ?Sized> TargetName for &T {
    fn password_target(&self) -> Option<PasswordTarget> {
        (**self).password_target()
    }
}

/// A target's table.
#[derive(Clone, Copy, Debug)]
pub struct TargetTable {
    pub target: PasswordTarget,
    pub rows: &'static [TargetSupport],
    /// Support for formats without a matching row.
    pub otherwise: Support,
}

use Condition::*;
use Format as F;
use Support::*;

const fn n(f: Format) -> TargetSupport {
    TargetSupport::new(f, Native)
}
const fn re(f: Format) -> TargetSupport {
    TargetSupport::new(f, ReEncoded)
}
const fn vm(f: Format) -> TargetSupport {
    TargetSupport::new(f, VerifyModule)
}

const AB: &[Condition] = &[BcryptMinor(b"ab")];
const ABY: &[Condition] = &[BcryptMinor(b"aby")];
const Y: &[Condition] = &[BcryptMinor(b"y")];

/// PBKDF2 / HMAC digest functions Node's `crypto` computes (MD4 is not in OpenSSL 3's default
/// provider).
const NODE_DIGESTS: [&[Condition]; 6] = [
    &[Digest(DigestAlg::Md5)],
    &[Digest(DigestAlg::Sha1)],
    &[Digest(DigestAlg::Sha224)],
    &[Digest(DigestAlg::Sha256)],
    &[Digest(DigestAlg::Sha384)],
    &[Digest(DigestAlg::Sha512)],
];
const ARGON2_NO_KEYID: &[Condition] = &[Argon2NoKeyid];
const X: &[Condition] = &[BcryptMinor(b"x")];
const UNSALTED: &[Condition] = &[Unsalted];

const fn no(f: Format) -> TargetSupport {
    TargetSupport::new(f, Unverifiable)
}

/// Better Auth: its own scrypt natively; every other row is a syntax `verify_module.mjs` (in
/// crates/platforms, written by `authferry emit better-auth-verify`) reads, or a format that
/// authferry re-encodes into one of those before it goes into `account.password` (the module
/// gets no hasher name and no out-of-band parameters, only the stored string).
const BETTER_AUTH: &[TargetSupport] = &[
    n(F::BetterAuthScrypt),
    // bcrypt (bcryptjs). `$2x$` (crypt_blowfish's sign-extension bug) is not in bcryptjs.
    vm(F::Bcrypt).when(ABY),
    vm(F::DjangoBcrypt).when(ABY).into(F::Bcrypt, None),
    vm(F::DjangoBcryptSha256).when(ABY),
    vm(F::PasslibBcryptSha256).when(ABY),
    vm(F::BcryptPeppered).when(ABY),
    vm(F::WordPressBcrypt).when(ABY),
    vm(F::LdapCrypt).when(ABY).into(F::Bcrypt, None),
    no(F::LdapCrypt).when(X),
    // `{CRYPT}` with md5-crypt or SHA-crypt inside.
    vm(F::LdapCrypt),
    // Argon2 (hash-wasm; @noble/hashes for v=16, `data=` and the empty password), not with a
    // `keyid` (a secret key only the source has).
    vm(F::Argon2i).when(ARGON2_NO_KEYID),
    vm(F::Argon2d).when(ARGON2_NO_KEYID),
    vm(F::Argon2id).when(ARGON2_NO_KEYID),
    vm(F::DjangoArgon2).when(ARGON2_NO_KEYID),
    vm(F::LdapArgon2).when(ARGON2_NO_KEYID),
    // scrypt (node:crypto).
    vm(F::ScryptPhc),
    // Kratos writes N itself as `ln=`: a small N would read as passlib's log2 N.
    vm(F::KratosScrypt).into(F::ScryptPhc, None),
    vm(F::DjangoScrypt),
    vm(F::WerkzeugScrypt),
    vm(F::ScryptMcf),
    // Firebase scrypt: Supabase's spelling carries the signer key; the others become it (a
    // SuperTokens or Firebase-export hash only when the `signer_key` parameter is given).
    vm(F::SupabaseFirebaseScrypt),
    vm(F::ClerkFirebaseScrypt).into(F::SupabaseFirebaseScrypt, None),
    vm(F::SuperTokensFirebaseScrypt).into(F::SupabaseFirebaseScrypt, None),
    vm(F::KratosFirebaseScrypt).into(F::SupabaseFirebaseScrypt, None),
    vm(F::FirebaseScrypt).into(F::SupabaseFirebaseScrypt, None),
    // PBKDF2 (node:crypto). Clerk's sha1/sha256/sha512_hex spellings collide with Django's or
    // need the hasher name: they become PHC strings.
    vm(F::PhcPbkdf2).when(NODE_DIGESTS[0]),
    vm(F::PhcPbkdf2).when(NODE_DIGESTS[1]),
    vm(F::PhcPbkdf2).when(NODE_DIGESTS[2]),
    vm(F::PhcPbkdf2).when(NODE_DIGESTS[3]),
    vm(F::PhcPbkdf2).when(NODE_DIGESTS[4]),
    vm(F::PhcPbkdf2).when(NODE_DIGESTS[5]),
    vm(F::PasslibPbkdf2).when(NODE_DIGESTS[0]),
    vm(F::PasslibPbkdf2).when(NODE_DIGESTS[1]),
    vm(F::PasslibPbkdf2).when(NODE_DIGESTS[2]),
    vm(F::PasslibPbkdf2).when(NODE_DIGESTS[3]),
    vm(F::PasslibPbkdf2).when(NODE_DIGESTS[4]),
    vm(F::PasslibPbkdf2).when(NODE_DIGESTS[5]),
    vm(F::WerkzeugPbkdf2).when(NODE_DIGESTS[0]),
    vm(F::WerkzeugPbkdf2).when(NODE_DIGESTS[1]),
    vm(F::WerkzeugPbkdf2).when(NODE_DIGESTS[2]),
    vm(F::WerkzeugPbkdf2).when(NODE_DIGESTS[3]),
    vm(F::WerkzeugPbkdf2).when(NODE_DIGESTS[4]),
    vm(F::WerkzeugPbkdf2).when(NODE_DIGESTS[5]),
    vm(F::LdapPbkdf2),
    vm(F::DjangoPbkdf2Sha256),
    vm(F::DjangoPbkdf2Sha1),
    vm(F::ClerkPbkdf2Sha512),
    vm(F::ClerkPbkdf2Sha1).into(F::PhcPbkdf2, None),
    vm(F::ClerkPbkdf2Sha256).into(F::PhcPbkdf2, None),
    vm(F::ClerkPbkdf2Sha512Hex).into(F::PhcPbkdf2, None),
    // Plain and salted digests: bare hex when unsalted; a salt kept beside the digest (or in a
    // Clerk `salt$hash`) moves into Kratos' `$<digest>$pf=<template>$<salt>$<hash>`.
    vm(F::Md5Hex).when(UNSALTED),
    vm(F::Sha1Hex).when(UNSALTED),
    vm(F::Sha256Hex).when(UNSALTED),
    vm(F::Sha512Hex).when(UNSALTED),
    vm(F::Md5Hex).into(F::KratosDigest, None),
    vm(F::Sha1Hex).into(F::KratosDigest, None),
    vm(F::Sha256Hex).into(F::KratosDigest, None),
    vm(F::Sha512Hex).into(F::KratosDigest, None),
    vm(F::SaltedDigest).into(F::KratosDigest, None),
    vm(F::ClerkMd5Salted).into(F::KratosDigest, None),
    vm(F::ClerkSha256Salted).into(F::KratosDigest, None),
    vm(F::KratosDigest),
    vm(F::DjangoMd5),
    vm(F::DjangoSha1),
    vm(F::SymfonySha512),
    // HMAC: Clerk's UTF-16 one and Kratos' carry their key; a key kept beside the digest moves
    // into Kratos' syntax (not with a salt or UTF-16).
    vm(F::ClerkHmacSha256Utf16),
    vm(F::KratosHmac).when(NODE_DIGESTS[0]),
    vm(F::KratosHmac).when(NODE_DIGESTS[1]),
    vm(F::KratosHmac).when(NODE_DIGESTS[2]),
    vm(F::KratosHmac).when(NODE_DIGESTS[3]),
    vm(F::KratosHmac).when(NODE_DIGESTS[4]),
    vm(F::KratosHmac).when(NODE_DIGESTS[5]),
    vm(F::Hmac).when(NODE_DIGESTS[0]).into(F::KratosHmac, None),
    vm(F::Hmac).when(NODE_DIGESTS[1]).into(F::KratosHmac, None),
    vm(F::Hmac).when(NODE_DIGESTS[2]).into(F::KratosHmac, None),
    vm(F::Hmac).when(NODE_DIGESTS[3]).into(F::KratosHmac, None),
    vm(F::Hmac).when(NODE_DIGESTS[4]).into(F::KratosHmac, None),
    vm(F::Hmac).when(NODE_DIGESTS[5]).into(F::KratosHmac, None),
    // LDAP and crypt(3).
    vm(F::LdapSsha),
    vm(F::LdapDigest),
    vm(F::Phpass),
    vm(F::Drupal7),
    vm(F::Md5Crypt),
    vm(F::Sha256Crypt),
    vm(F::Sha512Crypt),
    // NT hash (hash-wasm's MD4). Bare 32 hex stays bare: the module tries MD5, then MD4.
    vm(F::NtHash),
];

const CLERK: &[TargetSupport] = &[
    n(F::Bcrypt).when(AB),
    re(F::Bcrypt)
        .when(Y)
        .into(F::Bcrypt, Some("bcrypt"))
        .minor(b'b'),
    re(F::DjangoBcrypt).when(AB).into(F::Bcrypt, Some("bcrypt")),
    re(F::DjangoBcrypt)
        .when(Y)
        .into(F::Bcrypt, Some("bcrypt"))
        .minor(b'b'),
    re(F::LdapCrypt).when(AB).into(F::Bcrypt, Some("bcrypt")),
    n(F::BcryptPeppered).when(AB),
    n(F::DjangoBcryptSha256),
    n(F::Argon2i),
    n(F::Argon2id),
    re(F::DjangoArgon2)
        .when(&[Argon2Variant(F::Argon2i)])
        .into(F::Argon2i, Some("argon2i")),
    re(F::DjangoArgon2)
        .when(&[Argon2Variant(F::Argon2id)])
        .into(F::Argon2id, Some("argon2id")),
    re(F::LdapArgon2).into(F::Argon2id, Some("argon2id")),
    n(F::AwsCognito),
    n(F::ClerkHmacSha256Utf16),
    n(F::Md5Hex),
    re(F::DjangoMd5)
        .when(&[Unsalted])
        .into(F::Md5Hex, Some("md5")),
    re(F::DjangoMd5)
        .when(&[SaltFirst])
        .into(F::ClerkMd5Salted, Some("md5_salted")),
    n(F::ClerkMd5Salted),
    re(F::SaltedDigest)
        .when(&[Digest(DigestAlg::Md5), SaltFirst])
        .into(F::ClerkMd5Salted, Some("md5_salted")),
    n(F::Sha256Hex),
    n(F::ClerkSha256Salted),
    re(F::SaltedDigest)
        .when(&[Digest(DigestAlg::Sha256), SaltFirst])
        .into(F::ClerkSha256Salted, Some("sha256_salted")),
    n(F::SymfonySha512),
    n(F::Phpass),
    n(F::LdapSsha),
    n(F::ClerkPbkdf2Sha1),
    n(F::ClerkPbkdf2Sha256),
    n(F::ClerkPbkdf2Sha512),
    n(F::ClerkPbkdf2Sha512Hex),
    n(F::DjangoPbkdf2Sha256),
    re(F::DjangoPbkdf2Sha1).into(F::ClerkPbkdf2Sha1, Some("pbkdf2_sha1")),
    // PBKDF2 from other syntaxes: SHA-1 and SHA-512 into Clerk's hex forms (salt hex-encoded, so
    // any salt bytes survive); SHA-256 into `pbkdf2_sha256` (base64 salt — Clerk documents it as
    // base64-encoded; that Clerk decodes it before use is the reference's reading, unconfirmed).
    re(F::PasslibPbkdf2)
        .when(&[Digest(DigestAlg::Sha1)])
        .into(F::ClerkPbkdf2Sha1, Some("pbkdf2_sha1")),
    re(F::PasslibPbkdf2)
        .when(&[Digest(DigestAlg::Sha256)])
        .into(F::ClerkPbkdf2Sha256, Some("pbkdf2_sha256")),
    re(F::PasslibPbkdf2)
        .when(&[Digest(DigestAlg::Sha512)])
        .into(F::ClerkPbkdf2Sha512Hex, Some("pbkdf2_sha512_hex")),
    re(F::PhcPbkdf2)
        .when(&[Digest(DigestAlg::Sha1)])
        .into(F::ClerkPbkdf2Sha1, Some("pbkdf2_sha1")),
    re(F::PhcPbkdf2)
        .when(&[Digest(DigestAlg::Sha256)])
        .into(F::ClerkPbkdf2Sha256, Some("pbkdf2_sha256")),
    re(F::PhcPbkdf2)
        .when(&[Digest(DigestAlg::Sha512)])
        .into(F::ClerkPbkdf2Sha512Hex, Some("pbkdf2_sha512_hex")),
    re(F::LdapPbkdf2)
        .when(&[Digest(DigestAlg::Sha1)])
        .into(F::ClerkPbkdf2Sha1, Some("pbkdf2_sha1")),
    re(F::LdapPbkdf2)
        .when(&[Digest(DigestAlg::Sha256)])
        .into(F::ClerkPbkdf2Sha256, Some("pbkdf2_sha256")),
    re(F::LdapPbkdf2)
        .when(&[Digest(DigestAlg::Sha512)])
        .into(F::ClerkPbkdf2Sha512Hex, Some("pbkdf2_sha512_hex")),
    re(F::WerkzeugPbkdf2)
        .when(&[Digest(DigestAlg::Sha1)])
        .into(F::ClerkPbkdf2Sha1, Some("pbkdf2_sha1")),
    re(F::WerkzeugPbkdf2)
        .when(&[Digest(DigestAlg::Sha256)])
        .into(F::ClerkPbkdf2Sha256, Some("pbkdf2_sha256")),
    re(F::WerkzeugPbkdf2)
        .when(&[Digest(DigestAlg::Sha512)])
        .into(F::ClerkPbkdf2Sha512Hex, Some("pbkdf2_sha512_hex")),
    n(F::ClerkFirebaseScrypt),
    re(F::SuperTokensFirebaseScrypt).into(F::ClerkFirebaseScrypt, Some("scrypt_firebase")),
    re(F::SupabaseFirebaseScrypt).into(F::ClerkFirebaseScrypt, Some("scrypt_firebase")),
    re(F::KratosFirebaseScrypt).into(F::ClerkFirebaseScrypt, Some("scrypt_firebase")),
    re(F::FirebaseScrypt).into(F::ClerkFirebaseScrypt, Some("scrypt_firebase")),
    n(F::WerkzeugScrypt),
];

/// SuperTokens: `bcrypt`, `argon2`, `firebase_scrypt` (`$f_scrypt$`; the signer key lives in the
/// core's `firebase_password_hashing_signer_key`, one per app — re-encoded Firebase hashes drop it,
/// so every such user must come from the project whose key is configured).
const SUPERTOKENS: &[TargetSupport] = &[
    n(F::Bcrypt).when(ABY),
    re(F::DjangoBcrypt)
        .when(ABY)
        .into(F::Bcrypt, Some("bcrypt")),
    re(F::LdapCrypt).when(ABY).into(F::Bcrypt, Some("bcrypt")),
    n(F::Argon2i),
    n(F::Argon2d),
    n(F::Argon2id),
    re(F::DjangoArgon2)
        .when(&[Argon2Variant(F::Argon2i)])
        .into(F::Argon2i, Some("argon2")),
    re(F::DjangoArgon2)
        .when(&[Argon2Variant(F::Argon2d)])
        .into(F::Argon2d, Some("argon2")),
    re(F::DjangoArgon2)
        .when(&[Argon2Variant(F::Argon2id)])
        .into(F::Argon2id, Some("argon2")),
    re(F::LdapArgon2).into(F::Argon2id, Some("argon2")),
    n(F::SuperTokensFirebaseScrypt),
    re(F::ClerkFirebaseScrypt).into(F::SuperTokensFirebaseScrypt, Some("firebase_scrypt")),
    re(F::SupabaseFirebaseScrypt).into(F::SuperTokensFirebaseScrypt, Some("firebase_scrypt")),
    re(F::KratosFirebaseScrypt).into(F::SuperTokensFirebaseScrypt, Some("firebase_scrypt")),
    re(F::FirebaseScrypt).into(F::SuperTokensFirebaseScrypt, Some("firebase_scrypt")),
];

/// Supabase (GoTrue `password_hash`): Go bcrypt (any version letter), `$argon2i$`/`$argon2id$`
/// v=19 without keyid/data, `$fbscrypt$`.
const SUPABASE: &[TargetSupport] = &[
    n(F::Bcrypt).when(ABY),
    re(F::DjangoBcrypt).when(ABY).into(F::Bcrypt, None),
    re(F::LdapCrypt).when(ABY).into(F::Bcrypt, None),
    n(F::Argon2i).when(&[Argon2Plain]),
    n(F::Argon2id).when(&[Argon2Plain]),
    re(F::DjangoArgon2)
        .when(&[Argon2Plain, Argon2Variant(F::Argon2i)])
        .into(F::Argon2i, None),
    re(F::DjangoArgon2)
        .when(&[Argon2Plain, Argon2Variant(F::Argon2id)])
        .into(F::Argon2id, None),
    re(F::LdapArgon2)
        .when(&[Argon2Plain])
        .into(F::Argon2id, None),
    n(F::SupabaseFirebaseScrypt),
    re(F::ClerkFirebaseScrypt).into(F::SupabaseFirebaseScrypt, None),
    re(F::SuperTokensFirebaseScrypt).into(F::SupabaseFirebaseScrypt, None),
    re(F::KratosFirebaseScrypt).into(F::SupabaseFirebaseScrypt, None),
    re(F::FirebaseScrypt).into(F::SupabaseFirebaseScrypt, None),
];

/// Auth0 bulk import. Top-level `password_hash` takes `$2a$`/`$2b$` only; every other row is a
/// `custom_password_hash` the Auth0 sink builds from the parsed fields (algorithm, digest,
/// salt and its position, key, encodings) — these rows say what Auth0 can check, the JSON
/// object is the sink's job. PBKDF2 goes in as its PHC string.
const AUTH0: &[TargetSupport] = &[
    n(F::Bcrypt).when(AB),
    re(F::Bcrypt).when(Y).into(F::Bcrypt, None).minor(b'b'),
    re(F::DjangoBcrypt).when(AB).into(F::Bcrypt, None),
    re(F::DjangoBcrypt)
        .when(Y)
        .into(F::Bcrypt, None)
        .minor(b'b'),
    re(F::LdapCrypt).when(AB).into(F::Bcrypt, None),
    n(F::Argon2i),
    n(F::Argon2id),
    re(F::DjangoArgon2)
        .when(&[Argon2Variant(F::Argon2i)])
        .into(F::Argon2i, None),
    re(F::DjangoArgon2)
        .when(&[Argon2Variant(F::Argon2id)])
        .into(F::Argon2id, None),
    re(F::LdapArgon2).into(F::Argon2id, None),
    n(F::PhcPbkdf2),
    re(F::DjangoPbkdf2Sha256).into(F::PhcPbkdf2, None),
    re(F::DjangoPbkdf2Sha1).into(F::PhcPbkdf2, None),
    re(F::PasslibPbkdf2).into(F::PhcPbkdf2, None),
    re(F::LdapPbkdf2).into(F::PhcPbkdf2, None),
    re(F::WerkzeugPbkdf2).into(F::PhcPbkdf2, None),
    re(F::ClerkPbkdf2Sha1).into(F::PhcPbkdf2, None),
    re(F::ClerkPbkdf2Sha256).into(F::PhcPbkdf2, None),
    re(F::ClerkPbkdf2Sha512).into(F::PhcPbkdf2, None),
    re(F::ClerkPbkdf2Sha512Hex).into(F::PhcPbkdf2, None),
    n(F::Md5Hex),
    n(F::Sha1Hex),
    n(F::Sha256Hex),
    n(F::Sha512Hex),
    n(F::SaltedDigest),
    n(F::KratosDigest),
    n(F::ClerkMd5Salted),
    n(F::ClerkSha256Salted),
    n(F::DjangoMd5),
    n(F::DjangoSha1),
    n(F::LdapSsha),
    n(F::LdapDigest),
    n(F::KratosHmac),
    n(F::ClerkHmacSha256Utf16),
    n(F::Hmac),
    n(F::NtHash),
];

/// Firebase Auth `importUsers`: one hash configuration per import call, so the Firebase sink
/// batches users by algorithm and parameters; the rows say what Firebase can check.
const FIREBASE: &[TargetSupport] = &[
    n(F::FirebaseScrypt),
    n(F::ClerkFirebaseScrypt),
    n(F::SuperTokensFirebaseScrypt),
    n(F::SupabaseFirebaseScrypt),
    n(F::KratosFirebaseScrypt),
    n(F::ScryptPhc),
    n(F::KratosScrypt),
    n(F::DjangoScrypt),
    n(F::WerkzeugScrypt),
    n(F::Bcrypt).when(ABY),
    re(F::DjangoBcrypt).when(ABY).into(F::Bcrypt, None),
    n(F::KratosHmac).when(&[Digest(DigestAlg::Sha512)]),
    n(F::KratosHmac).when(&[Digest(DigestAlg::Sha256)]),
    n(F::KratosHmac).when(&[Digest(DigestAlg::Sha1)]),
    n(F::KratosHmac).when(&[Digest(DigestAlg::Md5)]),
    n(F::Hmac).when(&[Digest(DigestAlg::Sha512)]),
    n(F::Hmac).when(&[Digest(DigestAlg::Sha256)]),
    n(F::Hmac).when(&[Digest(DigestAlg::Sha1)]),
    n(F::Hmac).when(&[Digest(DigestAlg::Md5)]),
    n(F::Md5Hex),
    n(F::Sha1Hex),
    n(F::Sha256Hex),
    n(F::Sha512Hex),
    n(F::SaltedDigest),
    n(F::KratosDigest),
    n(F::ClerkMd5Salted),
    n(F::ClerkSha256Salted),
    n(F::DjangoMd5),
    n(F::DjangoSha1),
    n(F::DjangoPbkdf2Sha256),
    n(F::DjangoPbkdf2Sha1),
    n(F::PasslibPbkdf2).when(&[Digest(DigestAlg::Sha1)]),
    n(F::PasslibPbkdf2).when(&[Digest(DigestAlg::Sha256)]),
    n(F::PhcPbkdf2).when(&[Digest(DigestAlg::Sha1)]),
    n(F::PhcPbkdf2).when(&[Digest(DigestAlg::Sha256)]),
    n(F::LdapPbkdf2).when(&[Digest(DigestAlg::Sha1)]),
    n(F::LdapPbkdf2).when(&[Digest(DigestAlg::Sha256)]),
    n(F::WerkzeugPbkdf2).when(&[Digest(DigestAlg::Sha1)]),
    n(F::WerkzeugPbkdf2).when(&[Digest(DigestAlg::Sha256)]),
    n(F::ClerkPbkdf2Sha1),
    n(F::ClerkPbkdf2Sha256),
];

const TARGETS: &[TargetTable] = &[
    TargetTable {
        target: PasswordTarget::BetterAuth,
        rows: BETTER_AUTH,
        otherwise: Unverifiable,
    },
    // NDJSON keeps whatever it is given.
    TargetTable {
        target: PasswordTarget::Ndjson,
        rows: &[],
        otherwise: Native,
    },
    TargetTable {
        target: PasswordTarget::Clerk,
        rows: CLERK,
        otherwise: Unverifiable,
    },
    TargetTable {
        target: PasswordTarget::Supertokens,
        rows: SUPERTOKENS,
        otherwise: Unverifiable,
    },
    TargetTable {
        target: PasswordTarget::Supabase,
        rows: SUPABASE,
        otherwise: Unverifiable,
    },
    TargetTable {
        target: PasswordTarget::Auth0,
        rows: AUTH0,
        otherwise: Unverifiable,
    },
    TargetTable {
        target: PasswordTarget::Firebase,
        rows: FIREBASE,
        otherwise: Unverifiable,
    },
];

pub fn known_targets() -> impl Iterator<Item = &'static str> {
    TARGETS.iter().map(|t| t.target.name())
}

/// A target's table.
pub fn table(target: impl TargetName) -> Option<&'static TargetTable> {
    target.password_target().map(PasswordTarget::table)
}

/// How `target` handles `format` in general (its first unconditional row, else its first row).
/// Unknown targets are `Unverifiable` for everything. For a particular digest, whose parameters
/// may matter (`$2y$`, Argon2 `keyid`), use [`capability_of`].
pub fn capability(target: impl TargetName, format: Format) -> Support {
    let Some(t) = table(target) else {
        return Unverifiable;
    };
    let mut rows = t.rows.iter().filter(|r| r.format == format);
    let first = rows.clone().next();
    rows.find(|r| r.when.is_empty())
        .or(first)
        .map_or(t.otherwise, |r| r.support)
}

/// The row of `target`'s table that applies to this digest (None: the table's `otherwise`).
pub fn capability_of(
    target: impl TargetName,
    parsed: &ParsedHash,
) -> (Support, Option<&'static TargetSupport>) {
    let Some(t) = table(target) else {
        return (Unverifiable, None);
    };
    match t
        .rows
        .iter()
        .find(|r| r.format == parsed.format() && r.when.iter().all(|c| c.holds(parsed)))
    {
        Some(r) => (r.support, Some(r)),
        None if t.rows.iter().any(|r| r.format == parsed.format()) => (Unverifiable, None),
        None => (t.otherwise, None),
    }
}

/// A digest made ready for a target: identified, re-encoded where the target needs its own
/// syntax. `reencoded` is `Some((digest, hasher))` only when the digest changes.
#[derive(Clone)]
pub struct Prepared {
    pub format: Format,
    pub support: Support,
    pub reencoded: Option<(String, Option<String>)>,
    /// Why the support is `Unverifiable` when the table alone does not say (a re-encode that
    /// failed, e.g. a missing signer key).
    pub note: Option<String>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("format", &self.format)
            .field("support", &self.support)
            .field(
                "reencoded",
                &self.reencoded.as_ref().map(|(_, h)| ("<digest>", h)),
            )
            .field("note", &self.note)
            .finish()
    }
}

/// Identifies `digest` and says how `target` can take it. `Err` when the digest is not
/// recognised or does not parse.
pub fn prepare_for_target(
    target: impl TargetName,
    hasher: Option<&str>,
    digest: &str,
) -> Result<Prepared, HashError> {
    prepare_for_target_with(target, hasher, digest, &ExtParams::default())
}

/// [`prepare_for_target`] with out-of-band parameters (e.g. a Firebase signer key).
pub fn prepare_for_target_with(
    target: impl TargetName,
    hasher: Option<&str>,
    digest: &str,
    params: &ExtParams,
) -> Result<Prepared, HashError> {
    let parsed = parse(digest, hasher, params)?;
    convert_for(target, &parsed)
}

/// [`prepare_for_target`] for an already parsed digest.
pub fn convert_for(target: impl TargetName, parsed: &ParsedHash) -> Result<Prepared, HashError> {
    let (support, row) = capability_of(target, parsed);
    let mut out = Prepared {
        format: parsed.format(),
        support,
        reencoded: None,
        note: None,
    };
    if support == VerifyModule {
        // The module refuses what is over the budget (it is given the same one): such a user
        // could never sign in through it.
        if let Err(e) = crate::Budget::current().admit(parsed.format().name(), parsed.cost()) {
            out.support = Unverifiable;
            out.note = Some(e.to_string());
            return Ok(out);
        }
    }
    let Some(row) = row else { return Ok(out) };
    if row.into.is_none() && row.bcrypt_minor.is_none() {
        return Ok(out);
    }
    let step = || -> Result<String, HashError> {
        let mut p = parsed.clone();
        if let Some(m) = row.bcrypt_minor {
            p = p.with_bcrypt_minor(m)?;
        }
        match row.into {
            Some(f) => Ok(p.convert_encoded(f)?.1),
            None => p.encode(),
        }
    };
    match step() {
        Ok(d) => out.reencoded = Some((d, row.hasher.map(str::to_string))),
        Err(e) => {
            out.support = Unverifiable;
            out.note = Some(e.to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn better_auth_table() {
        assert_eq!(capability("better-auth", F::BetterAuthScrypt), Native);
        assert_eq!(capability("better-auth", F::Bcrypt), VerifyModule);
        assert_eq!(capability("better-auth", F::Argon2id), VerifyModule);
        assert_eq!(capability("better-auth", F::AwsCognito), Unverifiable);
        let x = "$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e";
        let p = prepare_for_target("better-auth", None, x).unwrap();
        assert_eq!(p.support, Unverifiable);
        assert_eq!(capability("nowhere", F::Bcrypt), Unverifiable);
        assert_eq!(capability("ndjson", F::Drupal7), Native);
    }

    /// What the verify module would refuse (over the budget it is given) is not called
    /// verifiable; a pass-through target keeps it as it is.
    #[test]
    fn over_budget_digests_are_unverifiable_through_the_module() {
        for d in [
            "$2b$31$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
            "$scrypt$ln=30,r=8,p=1$c29tZXNhbHQ$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZWV4YW0",
        ] {
            let p = prepare_for_target("better-auth", None, d).unwrap();
            assert_eq!(p.support, Unverifiable, "{d}");
            assert!(
                p.note.as_deref().unwrap().contains("allowed"),
                "{:?}",
                p.note
            );
            assert_eq!(
                prepare_for_target("ndjson", None, d).unwrap().support,
                Native
            );
        }
        let ok = "$2b$12$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
        assert_eq!(
            prepare_for_target("better-auth", None, ok).unwrap().support,
            VerifyModule
        );
    }

    #[test]
    fn every_target_has_a_table() {
        for t in PasswordTarget::ALL {
            assert_eq!(t.table().target, t);
            assert_eq!(PasswordTarget::from_name(t.name()), Some(t));
            assert_eq!(table(t.name()).map(|x| x.target), Some(t));
        }
        assert_eq!(TARGETS.len(), PasswordTarget::ALL.len());
        assert_eq!(PasswordTarget::from_name("nowhere"), None);
        assert_eq!(
            capability(PasswordTarget::BetterAuth, F::Bcrypt),
            capability("better-auth", F::Bcrypt)
        );
    }

    #[test]
    fn every_target_row_reencodes_into_a_format_that_accepts_it() {
        for t in TARGETS {
            for r in t.rows {
                if r.support == ReEncoded {
                    assert!(
                        r.into.is_some() || r.bcrypt_minor.is_some(),
                        "{} {:?}",
                        t.target,
                        r.format
                    );
                }
                if let Some(into) = r.into {
                    // The target format itself must be native (or the module's) for that target.
                    let s = capability(t.target, into);
                    assert!(
                        matches!(s, Native | VerifyModule),
                        "{} {:?} -> {:?}",
                        t.target,
                        r.format,
                        into
                    );
                }
            }
        }
    }

    #[test]
    fn y_becomes_b_for_auth0_and_clerk() {
        let y = "$2y$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq";
        for target in ["auth0", "clerk"] {
            let p = prepare_for_target(target, None, y).unwrap();
            assert_eq!(p.support, ReEncoded);
            let (d, _) = p.reencoded.unwrap();
            assert!(d.starts_with("$2b$05$"), "{target}");
            assert_eq!(&d[4..], &y[4..]);
        }
        let p = prepare_for_target("supabase", None, y).unwrap();
        assert_eq!((p.support, p.reencoded.is_none()), (Native, true));
        let x = "$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e";
        assert_eq!(
            prepare_for_target("auth0", None, x).unwrap().support,
            Unverifiable
        );
    }

    #[test]
    fn firebase_scrypt_moves_between_clerk_supertokens_and_supabase() {
        let clerk = "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==$Bw==$8$14";
        let p = prepare_for_target("supabase", Some("scrypt_firebase"), clerk).unwrap();
        assert_eq!(p.support, ReEncoded);
        let (supa, hasher) = p.reencoded.unwrap();
        assert!(supa.starts_with("$fbscrypt$v=1,n=14,r=8,p=1,ss=Bw==,sk=jxspr8"));
        assert_eq!(hasher, None);
        let p = prepare_for_target("supertokens", None, &supa).unwrap();
        let (st, hasher) = p.reencoded.unwrap();
        assert!(st.starts_with("$f_scrypt$lSrfV15"));
        assert!(st.ends_with("$m=14$r=8$s=Bw=="));
        assert_eq!(hasher.as_deref(), Some("firebase_scrypt"));
        // Back to Clerk from SuperTokens needs the signer key, which `$f_scrypt$` lacks.
        let p = prepare_for_target("clerk", None, &st).unwrap();
        assert_eq!(p.support, Unverifiable);
        assert!(p.note.unwrap().contains("signer key"));
        let with_key = ExtParams {
            signer_key: Some("jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==".into()),
            ..Default::default()
        };
        let p = prepare_for_target_with("clerk", None, &st, &with_key).unwrap();
        assert_eq!(p.reencoded.unwrap().0, clerk);
        assert!(crate::verify(clerk, Some("scrypt_firebase"), "user1password").unwrap());
    }

    #[test]
    fn django_pbkdf2_becomes_phc_for_auth0() {
        let d = "pbkdf2_sha256$36000$xIEozuZVAoYm$uW1b35DUKyhvQAf1mBqMvoBDcqSD06juzyO/nmyV0+w=";
        let p = prepare_for_target("auth0", None, d).unwrap();
        let (phc, _) = p.reencoded.unwrap();
        assert!(phc.starts_with("$pbkdf2-sha256$i=36000,l=32$"));
        assert!(crate::verify(&phc, None, "eicieY7ahchaoCh0eeTa").unwrap());
        assert!(!crate::verify(&phc, None, "eicieY7ahchaoCh0eeTb").unwrap());
    }
}

#[cfg(test)]
mod salted_bare_digest {
    use super::*;
    use crate::ExtParams;

    /// MD5("password") with a salt beside it is a salted digest whether or not the source named
    /// the algorithm: taken for plain MD5, Clerk would drop the salt and nobody could sign in.
    #[test]
    fn is_salted_with_or_without_a_hint() {
        let params = ExtParams {
            salt: Some("x".into()),
            ..Default::default()
        };
        let md5 = "5f4dcc3b5aa765d61d8327deb882cf99";
        for hint in [None, Some("md5")] {
            let p = prepare_for_target_with("clerk", hint, md5, &params).unwrap();
            assert_eq!(p.format, F::SaltedDigest, "{hint:?}");
            assert_ne!(p.support, Native, "{hint:?}");
        }
        let plain = prepare_for_target_with("clerk", None, md5, &ExtParams::default()).unwrap();
        assert_eq!((plain.format, plain.support), (F::Md5Hex, Native));
    }
}
