//! The formats authferry knows: one per *syntax* (the same algorithm written by two platforms is
//! two formats — re-encoding moves a digest between them).

use serde::Serialize;

macro_rules! formats {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal, )*) => {
        /// A password-hash format (a syntax). [`Format::name`] is the stable snake_case name
        /// used in reports, `hash identify` output and as a hasher hint.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub enum Format {
            $( $(#[$doc])* #[serde(rename = $name)] $variant, )*
        }

        impl Format {
            /// Every format, in declaration order.
            pub const ALL: &'static [Format] = &[$(Format::$variant),*];

            pub fn name(self) -> &'static str {
                match self { $(Format::$variant => $name,)* }
            }

            /// The format of that [`Format::name`].
            pub fn from_name(name: &str) -> Option<Format> {
                match name { $($name => Some(Format::$variant),)* _ => None }
            }
        }
    };
}

formats! {
    /// `$2a$`, `$2b$`, `$2x$`, `$2y$` bcrypt, 60 characters.
    Bcrypt => "bcrypt",
    /// Django `bcrypt$` ‖ bcrypt string.
    DjangoBcrypt => "django_bcrypt",
    /// Django `bcrypt_sha256$` ‖ bcrypt(hex(SHA-256(pw))) (Clerk `bcrypt_sha256_django`).
    DjangoBcryptSha256 => "django_bcrypt_sha256",
    /// passlib `$bcrypt-sha256$` v1 (`2a,12`) and v2 (`v=2,t=2b,r=12`).
    PasslibBcryptSha256 => "passlib_bcrypt_sha256",
    /// Clerk `bcrypt_peppered`: bcrypt(pw ‖ pepper), `<bcrypt>$<pepper>`.
    BcryptPeppered => "bcrypt_peppered",
    /// WordPress ≥ 6.8 `$wp$2y$…`: bcrypt over base64(HMAC-SHA384("wp-sha384", pw)).
    WordPressBcrypt => "wordpress_bcrypt",
    /// `$argon2i$` PHC string.
    Argon2i => "argon2i",
    /// `$argon2d$` PHC string.
    Argon2d => "argon2d",
    /// `$argon2id$` PHC string.
    Argon2id => "argon2id",
    /// Django `argon2$` ‖ PHC string.
    DjangoArgon2 => "django_argon2",
    /// Kanidm / 389-DS `{ARGON2}` ‖ PHC string.
    LdapArgon2 => "ldap_argon2",
    /// passlib / RustCrypto `$scrypt$ln=<log2 N>,r=,p=$<B64 salt>$<B64 key>`.
    ScryptPhc => "scrypt_phc",
    /// Ory Kratos `$scrypt$ln=<N itself>,…` with padded standard base64.
    KratosScrypt => "kratos_scrypt",
    /// Django `scrypt$<N>$<salt>$<r>$<p>$<b64 key>`.
    DjangoScrypt => "django_scrypt",
    /// Werkzeug `scrypt:<N>:<r>:<p>$<salt>$<hex key>` (Clerk `scrypt_werkzeug`).
    WerkzeugScrypt => "werkzeug_scrypt",
    /// Better Auth's default: `<32 hex salt>:<128 hex key>`, scrypt N=16384 r=16 p=1 over the
    /// NFKC-normalised password, the salt's hex text used as salt bytes.
    BetterAuthScrypt => "better_auth_scrypt",
    /// crypt(3) scrypt `$7$`.
    ScryptMcf => "scrypt_mcf",
    /// Firebase modified scrypt as Clerk takes it (`scrypt_firebase`):
    /// `<hash>$<salt>$<signer key>$<salt separator>$<rounds>$<mem cost>`.
    ClerkFirebaseScrypt => "scrypt_firebase",
    /// Firebase modified scrypt as SuperTokens stores it:
    /// `$f_scrypt$<hash>$<salt>$m=<mem>$r=<rounds>$s=<sep>` (signer key in the core config).
    SuperTokensFirebaseScrypt => "supertokens_firebase_scrypt",
    /// Firebase modified scrypt as Supabase stores it:
    /// `$fbscrypt$v=1,n=<mem>,r=<rounds>,p=<p>,ss=<sep>,sk=<signer key>$<salt>$<hash>`.
    SupabaseFirebaseScrypt => "supabase_firebase_scrypt",
    /// Firebase modified scrypt as Ory Kratos stores it:
    /// `$firescrypt$ln=<mem>,r=<rounds>,p=<p>$<salt>$<hash>$<sep>$<signer key>`.
    KratosFirebaseScrypt => "kratos_firebase_scrypt",
    /// Firebase's own export: the base64 `passwordHash`, with the user's salt and the project's
    /// signer key, separator, rounds and memory cost given as parameters.
    FirebaseScrypt => "firebase_scrypt",
    /// Django `pbkdf2_sha256$<iter>$<salt>$<b64 key>` (Clerk `pbkdf2_sha256_django`).
    DjangoPbkdf2Sha256 => "django_pbkdf2_sha256",
    /// Django `pbkdf2_sha1$<iter>$<salt>$<b64 key>`.
    DjangoPbkdf2Sha1 => "django_pbkdf2_sha1",
    /// passlib `$pbkdf2[-sha256|-sha512]$<iter>$<ab64 salt>$<ab64 key>`.
    PasslibPbkdf2 => "passlib_pbkdf2",
    /// PHC `$pbkdf2-<digest>$i=<iter>,l=<len>$<B64 salt>$<B64 key>` (Auth0, Kratos, RustCrypto).
    PhcPbkdf2 => "pbkdf2_phc",
    /// OpenLDAP / passlib `{PBKDF2[-SHA1|-SHA256|-SHA512]}<iter>$<ab64 salt>$<ab64 key>`.
    LdapPbkdf2 => "ldap_pbkdf2",
    /// Werkzeug `pbkdf2:<digest>:<iter>$<salt>$<hex key>`.
    WerkzeugPbkdf2 => "werkzeug_pbkdf2",
    /// Clerk `pbkdf2_sha1$<iter>$<salt>$<hex key>[$<key len>]` (hex salt when it is valid hex).
    ClerkPbkdf2Sha1 => "pbkdf2_sha1",
    /// Clerk `pbkdf2_sha256$<iter>$<b64 salt>$<b64 key>` (the salt is used base64-decoded).
    ClerkPbkdf2Sha256 => "pbkdf2_sha256",
    /// Clerk `pbkdf2_sha512$<iter>$<salt>$<hex key>` (raw salt string).
    ClerkPbkdf2Sha512 => "pbkdf2_sha512",
    /// Clerk `pbkdf2_sha512_hex$<iter>$<hex salt>$<hex key>`.
    ClerkPbkdf2Sha512Hex => "pbkdf2_sha512_hex",
    /// Unsalted MD5, 32 hex digits (Clerk `md5`; WordPress legacy).
    Md5Hex => "md5",
    /// Unsalted SHA-1, 40 hex digits.
    Sha1Hex => "sha1",
    /// Unsalted SHA-256, 64 hex digits (Clerk `sha256`).
    Sha256Hex => "sha256",
    /// Unsalted SHA-512, 128 hex digits.
    Sha512Hex => "sha512",
    /// A hex or base64 MD5/SHA-* digest whose salt comes as a parameter (`salt`,
    /// `salt_position` prefix|suffix) — Auth0's and Firebase's salted digests.
    SaltedDigest => "salted_digest",
    /// Clerk `md5_salted`: `<salt>$<md5 hex>`, MD5(salt ‖ pw) unless told `salt_position: suffix`.
    ClerkMd5Salted => "md5_salted",
    /// Clerk `sha256_salted`: `<salt>$<sha256 hex>` (or `<hash>$<salt>`), SHA-256(salt ‖ pw) unless
    /// told `salt_position: suffix`.
    ClerkSha256Salted => "sha256_salted",
    /// Ory Kratos `$md5|sha1|sha256|sha512$pf=<b64 template>$<b64 salt>$<b64 digest>` (template
    /// `{SALT}{PASSWORD}` or `{PASSWORD}{SALT}`) and unsalted `$md5$<b64 digest>`.
    KratosDigest => "kratos_digest",
    /// Django `md5$<salt>$<hex>` (empty salt = unsalted).
    DjangoMd5 => "django_md5",
    /// Django `sha1$<salt>$<hex>` (empty salt = unsalted).
    DjangoSha1 => "django_sha1",
    /// Clerk `sha512_symfony$<iter>$<salt>$<b64>` — Symfony's MessageDigestPasswordHasher.
    SymfonySha512 => "sha512_symfony",
    /// Clerk `hmac_sha256_utf16_b64$<b64 hash>$<key>`: HMAC-SHA256(key, UTF-16LE(pw)).
    ClerkHmacSha256Utf16 => "hmac_sha256_utf16_b64",
    /// Ory Kratos `$hmac-<digest>$<b64(hex(HMAC))>$<b64 key>`.
    KratosHmac => "kratos_hmac",
    /// A hex or base64 HMAC whose key (`hmac_key`, `key_encoding`) and optional salt come as
    /// parameters; the digest function follows from the length (Firebase `HMAC_*`, Auth0 `hmac`).
    Hmac => "hmac",
    /// phpass portable `$P$` / `$H$` (WordPress, phpBB3; Clerk `phpass`, `md5_phpass`).
    Phpass => "phpass",
    /// Drupal 7 `$S$` (and `U$S$`, a Drupal 6 MD5 re-hashed).
    Drupal7 => "drupal7",
    /// md5-crypt `$1$`, Apache `$apr1$`, Kratos `$md5-crypt$`.
    Md5Crypt => "md5_crypt",
    /// SHA-crypt `$5$` (Kratos `$sha256-crypt$`).
    Sha256Crypt => "sha256_crypt",
    /// SHA-crypt `$6$` (Kratos `$sha512-crypt$`).
    Sha512Crypt => "sha512_crypt",
    /// RFC 2307 `{SSHA}` (salted SHA-1; Clerk `ldap_ssha`).
    LdapSsha => "ldap_ssha",
    /// RFC 2307 `{SHA}`, `{SHA256}`, `{SHA384}`, `{SHA512}`, `{SSHA256}`, `{SSHA384}`,
    /// `{SSHA512}`, `{MD5}`, `{SMD5}`.
    LdapDigest => "ldap_digest",
    /// RFC 2307 `{CRYPT}` ‖ md5-crypt / SHA-crypt / bcrypt string.
    LdapCrypt => "ldap_crypt",
    /// NT hash, MD4(UTF-16LE(pw)): 32 hex (with hint), `sambaNTPassword: <hex>`,
    /// `ipaNTHash: <base64url>`.
    NtHash => "nt_hash",
    /// Clerk's `awscognito#…` proxy record: not a hash; only Cognito can check it.
    AwsCognito => "awscognito",
}

/// The 22 Clerk `password_hasher` names, with the format each one is.
pub const CLERK_HASHERS: &[(&str, Format)] = &[
    ("argon2i", Format::Argon2i),
    ("argon2id", Format::Argon2id),
    ("awscognito", Format::AwsCognito),
    ("bcrypt", Format::Bcrypt),
    ("bcrypt_peppered", Format::BcryptPeppered),
    ("bcrypt_sha256_django", Format::DjangoBcryptSha256),
    ("hmac_sha256_utf16_b64", Format::ClerkHmacSha256Utf16),
    ("md5", Format::Md5Hex),
    ("md5_phpass", Format::Phpass),
    ("md5_salted", Format::ClerkMd5Salted),
    ("ldap_ssha", Format::LdapSsha),
    ("pbkdf2_sha1", Format::ClerkPbkdf2Sha1),
    ("pbkdf2_sha256", Format::ClerkPbkdf2Sha256),
    ("pbkdf2_sha256_django", Format::DjangoPbkdf2Sha256),
    ("pbkdf2_sha512", Format::ClerkPbkdf2Sha512),
    ("pbkdf2_sha512_hex", Format::ClerkPbkdf2Sha512Hex),
    ("phpass", Format::Phpass),
    ("scrypt_firebase", Format::ClerkFirebaseScrypt),
    ("scrypt_werkzeug", Format::WerkzeugScrypt),
    ("sha256", Format::Sha256Hex),
    ("sha256_salted", Format::ClerkSha256Salted),
    ("sha512_symfony", Format::SymfonySha512),
];

/// Other platforms' names for formats (SuperTokens' `hashingAlgorithm`, Firebase's
/// `hash.algorithm`, short names).
const ALIASES: &[(&str, Format)] = &[
    ("firebase_scrypt", Format::FirebaseScrypt),
    ("scrypt_firebase", Format::ClerkFirebaseScrypt),
    ("nt", Format::NtHash),
    ("nthash", Format::NtHash),
    ("ntlm", Format::NtHash),
    ("md4", Format::NtHash),
    ("md5_crypt", Format::Md5Crypt),
    ("md5crypt", Format::Md5Crypt),
    ("sha256_crypt", Format::Sha256Crypt),
    ("sha512_crypt", Format::Sha512Crypt),
    ("drupal", Format::Drupal7),
    ("wordpress", Format::Phpass),
    ("better_auth", Format::BetterAuthScrypt),
    ("hmac_md5", Format::Hmac),
    ("hmac_sha1", Format::Hmac),
    ("hmac_sha256", Format::Hmac),
    ("hmac_sha512", Format::Hmac),
];

/// The operator's own hasher names (`--hasher-alias NAME=FORMAT`), set once per process.
static USER_ALIASES: std::sync::OnceLock<Vec<(String, Format)>> = std::sync::OnceLock::new();

/// Declares what the source's own hasher names mean (a custom `password_hasher` such as
/// `md5_salted_legacy_v0`), before any digest is parsed; they take precedence over the built-in
/// names. `false` when they were already set.
pub fn set_hasher_aliases(aliases: Vec<(String, Format)>) -> bool {
    USER_ALIASES
        .set(
            aliases
                .into_iter()
                .map(|(n, f)| (n.trim().to_ascii_lowercase(), f))
                .collect(),
        )
        .is_ok()
}

impl Format {
    /// The format a source's hasher name stands for: a Clerk `password_hasher`, a
    /// [`Format::name`], or one of a few other platforms' names. Case-insensitive.
    pub fn from_hasher(hasher: &str) -> Option<Format> {
        let h = hasher.trim().to_ascii_lowercase();
        if let Some((_, f)) = USER_ALIASES
            .get()
            .into_iter()
            .flatten()
            .find(|(n, _)| *n == h)
        {
            return Some(*f);
        }
        CLERK_HASHERS
            .iter()
            .chain(ALIASES)
            .find(|(n, _)| *n == h)
            .map(|(_, f)| *f)
            .or_else(|| Format::from_name(&h))
    }

    /// The Clerk `password_hasher` name of this format, if Clerk takes it.
    pub fn clerk_hasher(self) -> Option<&'static str> {
        CLERK_HASHERS
            .iter()
            .find(|(n, f)| *f == self && *n != "md5_phpass")
            .map(|(n, _)| *n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(*f));
            assert_eq!(Format::from_hasher(f.name()), Some(*f));
        }
    }

    #[test]
    fn every_clerk_hasher_is_known() {
        assert_eq!(CLERK_HASHERS.len(), 22);
        for (name, f) in CLERK_HASHERS {
            assert_eq!(Format::from_hasher(name), Some(*f), "{name}");
            assert_eq!(
                Format::from_hasher(&name.to_uppercase()),
                Some(*f),
                "{name}"
            );
        }
    }
}
