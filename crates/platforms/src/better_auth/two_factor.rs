//! TOTP secrets and backup codes, encrypted exactly as better-auth's two-factor plugin stores
//! them (`symmetricEncrypt` in `better-auth/crypto`, 1.7.25):
//!
//! * key = SHA-256(UTF-8(BETTER_AUTH_SECRET));
//! * XChaCha20-Poly1305, no associated data;
//! * stored = lowercase hex of nonce (24 bytes) ‖ ciphertext ‖ tag (16 bytes).
//!
//! better-auth draws the nonce at random. authferry derives it instead (HMAC-SHA256 over the
//! user id, the field and the plaintext, under a key of its own derived from the secret) so
//! that a run resumed after a crash writes byte-identical rows. Equal nonces then only ever
//! encrypt equal plaintexts (the SIV construction), which leaks nothing beyond "this user's
//! field did not change". The derived nonce also marks a row as authferry's own: a value the
//! app wrote later carries a random one.
//!
//! Generated backup codes are drawn from the operating system's CSPRNG, never derived: whoever
//! knows BETTER_AUTH_SECRET (often shared with staging) must not be able to compute them. A
//! resumed run therefore cannot recompute codes it wrote before a crash; it reads the stored
//! row back and decrypts it ([`TwoFactorCrypto::our_plaintext`]).

use authferry_core::Secret;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The prefix better-auth's `decryptTOTPSecret` recognises as "base32 secret imported from
/// elsewhere"; without it the decrypted text's UTF-8 bytes would be the HMAC key.
pub const TOTP_PREFIX: &str = "base32:";

/// How many backup codes better-auth generates, and their length without the dash.
pub const BACKUP_CODE_COUNT: usize = 10;
const BACKUP_CODE_LEN: usize = 10;
/// better-auth's `generateRandomString(10, "a-z", "0-9", "A-Z")` alphabet.
const BACKUP_CODE_ALPHABET: &[u8; 62] =
    b"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

const NONCE_LABEL: &[u8] = b"authferry better-auth two-factor nonce v1";

/// The keys of one secret: better-auth's cipher key and authferry's nonce key.
struct SecretKey {
    cipher: XChaCha20Poly1305,
    nonce_key: [u8; 32],
}

impl SecretKey {
    fn new(secret: &str) -> Self {
        let key: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        SecretKey {
            cipher: XChaCha20Poly1305::new(Key::from_slice(&key)),
            nonce_key: hmac(secret.as_bytes(), &[NONCE_LABEL]),
        }
    }

    fn nonce(&self, user_id: &str, field: &str, plaintext: &[u8]) -> [u8; 32] {
        hmac(
            &self.nonce_key,
            &[&framed(user_id), &framed(field), plaintext],
        )
    }

    fn seal(&self, user_id: &str, field: &str, plaintext: &str) -> String {
        let mac = self.nonce(user_id, field, plaintext.as_bytes());
        let nonce = XNonce::from_slice(&mac[..24]);
        // Encryption with a valid key and nonce cannot fail for in-memory data of this size.
        let sealed = self
            .cipher
            .encrypt(nonce, plaintext.as_bytes())
            .expect("XChaCha20-Poly1305 encryption of a short message");
        let mut out = Vec::with_capacity(24 + sealed.len());
        out.extend_from_slice(nonce);
        out.extend_from_slice(&sealed);
        hex::encode(out)
    }

    fn open(&self, hex_text: &str) -> Option<([u8; 24], Secret)> {
        let bytes = hex::decode(hex_text.trim()).ok()?;
        if bytes.len() < 24 + 16 {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(24);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), sealed)
            .ok()?;
        let plain = String::from_utf8(plain).ok()?;
        Some((nonce.try_into().ok()?, Secret::new(plain)))
    }
}

/// better-auth's envelope for a value encrypted under a versioned secret.
const ENVELOPE_PREFIX: &str = "$ba$";

/// The app's secrets and how better-auth uses them: one `BETTER_AUTH_SECRET` (values stored as
/// bare hex), or versioned `BETTER_AUTH_SECRETS` (`"2:new,1:old"`: values stored as
/// `$ba$<version>$<hex>` under the first, the current one; bare hex read with the legacy
/// `BETTER_AUTH_SECRET` when the app still sets it).
pub struct TwoFactorCrypto {
    current: SecretKey,
    /// `None`: a single unversioned secret.
    version: Option<u32>,
    /// The other versions, for reading back.
    older: Vec<(u32, SecretKey)>,
    /// BETTER_AUTH_SECRET next to versioned secrets: reads bare hex.
    legacy: Option<SecretKey>,
}

impl std::fmt::Debug for TwoFactorCrypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TwoFactorCrypto([redacted])")
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Length-prefixed, so that (`ab`, `c`) and (`a`, `bc`) never feed the MAC the same bytes.
fn framed(value: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + value.len());
    v.extend_from_slice(&(value.len() as u64).to_be_bytes());
    v.extend_from_slice(value.as_bytes());
    v
}

/// `BETTER_AUTH_SECRETS`, read as better-auth reads it (`parseSecretsEnv`, then the checks of
/// `validateSecretsArray`): `<version>:<secret>` entries, comma-separated, the first current.
/// Errors name the entry's position, never a secret.
pub fn parse_versioned_secrets(text: &str) -> Result<Vec<(u32, String)>, String> {
    let mut out: Vec<(u32, String)> = Vec::new();
    for (i, entry) in text.split(',').enumerate() {
        let entry = entry.trim();
        let (version, value) = entry.split_once(':').ok_or_else(|| {
            format!(
                "BETTER_AUTH_SECRETS entry {} is not `<version>:<secret>`",
                i + 1
            )
        })?;
        let version: u32 = version.trim().parse().map_err(|_| {
            format!(
                "BETTER_AUTH_SECRETS entry {}: the version is not a non-negative integer",
                i + 1
            )
        })?;
        let value = value.trim();
        if value.is_empty() {
            return Err(format!(
                "BETTER_AUTH_SECRETS: version {version} has an empty secret"
            ));
        }
        if out.iter().any(|(v, _)| *v == version) {
            return Err(format!(
                "BETTER_AUTH_SECRETS: version {version} appears twice"
            ));
        }
        out.push((version, value.to_string()));
    }
    Ok(out)
}

impl TwoFactorCrypto {
    /// One unversioned BETTER_AUTH_SECRET.
    pub fn new(better_auth_secret: &str) -> Self {
        TwoFactorCrypto {
            current: SecretKey::new(better_auth_secret),
            version: None,
            older: Vec::new(),
            legacy: None,
        }
    }

    /// Versioned secrets (the first is current) and the legacy BETTER_AUTH_SECRET, if set.
    /// `None` for an empty list.
    pub fn versioned(secrets: &[(u32, String)], legacy: Option<&str>) -> Option<Self> {
        let ((version, current), older) = secrets.split_first()?;
        Some(TwoFactorCrypto {
            current: SecretKey::new(current),
            version: Some(*version),
            older: older.iter().map(|(v, s)| (*v, SecretKey::new(s))).collect(),
            legacy: legacy.filter(|s| !s.is_empty()).map(SecretKey::new),
        })
    }

    /// The version values are written under; `None` for an unversioned secret.
    pub fn version(&self) -> Option<u32> {
        self.version
    }

    /// better-auth's stored form of `plaintext` for `field` of `user_id`.
    pub fn encrypt(&self, user_id: &str, field: &str, plaintext: &str) -> Secret {
        let hex_text = self.current.seal(user_id, field, plaintext);
        Secret::new(match self.version {
            Some(v) => format!("{ENVELOPE_PREFIX}{v}${hex_text}"),
            None => hex_text,
        })
    }

    /// Reads a stored value back (the inverse of [`encrypt`](Self::encrypt), and of
    /// better-auth's `symmetricDecrypt`). `None` when it does not decrypt under these secrets.
    pub fn decrypt(&self, stored: &str) -> Option<Secret> {
        self.open(stored).map(|(_, _, plain)| plain)
    }

    /// The key that reads `stored` (by its envelope's version, or the bare-hex key), the nonce
    /// and the plaintext.
    fn open(&self, stored: &str) -> Option<(&SecretKey, [u8; 24], Secret)> {
        let stored = stored.trim();
        let (key, hex_text) = match stored.strip_prefix(ENVELOPE_PREFIX) {
            Some(rest) => {
                let (version, hex_text) = rest.split_once('$')?;
                let version: u32 = version.parse().ok()?;
                let key = if self.version == Some(version) {
                    &self.current
                } else {
                    &self.older.iter().find(|(v, _)| *v == version)?.1
                };
                (key, hex_text)
            }
            None if self.version.is_none() => (&self.current, stored),
            None => (self.legacy.as_ref()?, stored),
        };
        let (nonce, plain) = key.open(hex_text)?;
        Some((key, nonce, plain))
    }

    /// The plaintext of a stored `field` of `user_id` when authferry wrote it: it decrypts under
    /// these secrets and its nonce is the one [`encrypt`](Self::encrypt) derives for it. `None`
    /// for a value better-auth wrote (random nonce), another secret's, or garbage.
    pub fn our_plaintext(&self, user_id: &str, field: &str, stored: &str) -> Option<Secret> {
        let (key, nonce, plain) = self.open(stored)?;
        let expected = key.nonce(user_id, field, plain.expose().as_bytes());
        (expected[..24] == nonce[..]).then_some(plain)
    }
}

/// Ten `xxxxx-xxxxx` codes from the operating system's CSPRNG, in better-auth's alphabet.
pub fn generate_backup_codes() -> Result<Vec<Secret>, rand::rand_core::OsError> {
    use rand::TryRngCore;
    let mut chars = Vec::with_capacity(BACKUP_CODE_COUNT * BACKUP_CODE_LEN);
    let mut block = [0u8; 64];
    while chars.len() < BACKUP_CODE_COUNT * BACKUP_CODE_LEN {
        rand::rngs::OsRng.try_fill_bytes(&mut block)?;
        for &byte in &block {
            // 248 = 4 × 62: rejecting the top bytes keeps every character equally likely.
            if byte < 248 && chars.len() < BACKUP_CODE_COUNT * BACKUP_CODE_LEN {
                chars.push(BACKUP_CODE_ALPHABET[(byte % 62) as usize]);
            }
        }
    }
    block.fill(0);
    let codes = chars
        .chunks(BACKUP_CODE_LEN)
        .map(|c| {
            let (a, b) = c.split_at(BACKUP_CODE_LEN / 2);
            Secret::new(format!(
                "{}-{}",
                String::from_utf8_lossy(a),
                String::from_utf8_lossy(b)
            ))
        })
        .collect();
    chars.fill(0);
    Ok(codes)
}

/// The codes of a decrypted `backupCodes` value (`JSON.stringify(codes)`); `None` when it is
/// not a JSON array of strings.
pub fn parse_backup_codes(plaintext: &Secret) -> Option<Vec<Secret>> {
    let codes: Vec<String> = serde_json::from_str(plaintext.expose()).ok()?;
    Some(codes.into_iter().map(Secret::new).collect())
}

/// `base32:` + the secret upper-cased, without padding, spaces or dashes.
pub fn totp_plaintext(base32_secret: &str) -> Secret {
    let cleaned: String = base32_secret
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    Secret::new(format!(
        "{TOTP_PREFIX}{}",
        cleaned.trim_end_matches('=').to_ascii_uppercase()
    ))
}

/// `JSON.stringify(codes)`, the plaintext better-auth encrypts for `backupCodes`.
pub fn backup_codes_plaintext(codes: &[Secret]) -> Secret {
    let plain: Vec<&str> = codes.iter().map(Secret::expose).collect();
    Secret::new(serde_json::to_string(&plain).unwrap_or_else(|_| "[]".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made by better-auth 1.7.25 itself:
    /// `symmetricEncrypt({ key: "authferry-known-answer-secret-0123456789", data: "base32:JBSWY3DPEHPK3PXP" })`.
    const KAT_SECRET: &str = "authferry-known-answer-secret-0123456789";
    const KAT_TOTP: &str = include_str!("testdata/kat-totp.hex");
    /// The same key over `JSON.stringify(["abcde-12345","ABCDE-67890"])`.
    const KAT_CODES: &str = include_str!("testdata/kat-backup-codes.hex");

    #[test]
    fn decrypts_what_better_auth_encrypted() {
        let c = TwoFactorCrypto::new(KAT_SECRET);
        assert_eq!(
            c.decrypt(KAT_TOTP.trim()).map(|s| s.expose().to_string()),
            Some("base32:JBSWY3DPEHPK3PXP".to_string())
        );
        assert_eq!(
            c.decrypt(KAT_CODES.trim()).map(|s| s.expose().to_string()),
            Some(r#"["abcde-12345","ABCDE-67890"]"#.to_string())
        );
        assert!(
            TwoFactorCrypto::new("another secret")
                .decrypt(KAT_TOTP.trim())
                .is_none()
        );
    }

    #[test]
    fn encryption_is_deterministic_and_round_trips() {
        let c = TwoFactorCrypto::new(KAT_SECRET);
        let a = c.encrypt("user_1", "secret", "base32:JBSWY3DPEHPK3PXP");
        let b = c.encrypt("user_1", "secret", "base32:JBSWY3DPEHPK3PXP");
        assert_eq!(a, b);
        // 24-byte nonce + 23-byte plaintext + 16-byte tag.
        assert_eq!(a.len(), 2 * (24 + 23 + 16));
        assert!(
            a.expose()
                .chars()
                .all(|ch| matches!(ch, '0'..='9' | 'a'..='f'))
        );
        assert_ne!(a, c.encrypt("user_2", "secret", "base32:JBSWY3DPEHPK3PXP"));
        assert_ne!(
            a,
            c.encrypt("user_1", "backupCodes", "base32:JBSWY3DPEHPK3PXP")
        );
        assert_eq!(
            c.decrypt(a.expose())
                .map(|s| s.expose().to_string())
                .as_deref(),
            Some("base32:JBSWY3DPEHPK3PXP")
        );
    }

    #[test]
    fn backup_codes_have_better_auths_shape_and_are_random() {
        let codes = generate_backup_codes().unwrap();
        assert_eq!(codes.len(), 10);
        for code in &codes {
            let s = code.expose();
            assert_eq!(s.len(), 11);
            assert_eq!(&s[5..6], "-");
            assert!(
                s.chars()
                    .enumerate()
                    .all(|(i, ch)| i == 5 || ch.is_ascii_alphanumeric())
            );
        }
        // 10 × 10 characters of 62: two equal draws would mean no randomness at all.
        assert_ne!(codes, generate_backup_codes().unwrap());
        let distinct: std::collections::HashSet<&str> = codes.iter().map(|c| c.expose()).collect();
        assert_eq!(distinct.len(), 10);
    }

    #[test]
    fn only_our_own_rows_are_read_back() {
        let c = TwoFactorCrypto::new(KAT_SECRET);
        let codes = generate_backup_codes().unwrap();
        let plain = backup_codes_plaintext(&codes);
        let stored = c.encrypt("user_1", "backupCodes", plain.expose());
        let back = c
            .our_plaintext("user_1", "backupCodes", stored.expose())
            .unwrap();
        assert_eq!(parse_backup_codes(&back).unwrap(), codes);
        // Another user's row, another field, another secret: not ours.
        assert!(
            c.our_plaintext("user_2", "backupCodes", stored.expose())
                .is_none()
        );
        assert!(
            c.our_plaintext("user_1", "secret", stored.expose())
                .is_none()
        );
        assert!(
            TwoFactorCrypto::new("other")
                .our_plaintext("user_1", "backupCodes", stored.expose())
                .is_none()
        );
        // better-auth's own encryption (random nonce) decrypts but is not ours.
        assert!(c.decrypt(KAT_CODES.trim()).is_some());
        assert!(
            c.our_plaintext("user_1", "backupCodes", KAT_CODES.trim())
                .is_none()
        );
        assert!(c.our_plaintext("user_1", "backupCodes", "zz").is_none());
    }

    /// Made by better-auth 1.7.25 with versioned secrets (current version 2):
    /// `symmetricEncrypt({ key: { keys: {2: KAT_SECRET_V2, 1: KAT_SECRET}, currentVersion: 2 }, data })`.
    const KAT_TOTP_V2: &str = include_str!("testdata/kat-totp-v2.txt");
    const KAT_SECRET_V2: &str = "authferry-known-answer-secret-v2-0123456789";

    #[test]
    fn versioned_secrets_read_and_write_better_auths_envelope() {
        let secrets =
            parse_versioned_secrets(&format!(" 2:{KAT_SECRET_V2} , 1:{KAT_SECRET}")).unwrap();
        assert_eq!(secrets.iter().map(|(v, _)| *v).collect::<Vec<_>>(), [2, 1]);
        let c = TwoFactorCrypto::versioned(&secrets, None).unwrap();
        // What better-auth wrote, authferry reads.
        assert_eq!(
            c.decrypt(KAT_TOTP_V2.trim())
                .map(|s| s.expose().to_string()),
            Some("base32:JBSWY3DPEHPK3PXP".to_string())
        );
        // What authferry writes carries the current version and reads back.
        let stored = c.encrypt("user_1", "secret", "base32:JBSWY3DPEHPK3PXP");
        assert!(
            stored.expose().starts_with("$ba$2$"),
            "envelope of the current version"
        );
        assert!(
            c.our_plaintext("user_1", "secret", stored.expose())
                .is_some()
        );
        // The older version reads values written under it; bare hex needs the legacy secret.
        let old = TwoFactorCrypto::versioned(&[(1, KAT_SECRET.to_string())], None).unwrap();
        let v1 = old.encrypt("user_1", "secret", "base32:ABC");
        assert!(v1.expose().starts_with("$ba$1$"));
        assert_eq!(c.decrypt(v1.expose()).unwrap().expose(), "base32:ABC");
        assert!(
            c.decrypt(KAT_TOTP.trim()).is_none(),
            "bare hex without a legacy secret"
        );
        let with_legacy = TwoFactorCrypto::versioned(&secrets, Some(KAT_SECRET)).unwrap();
        assert!(with_legacy.decrypt(KAT_TOTP.trim()).is_some());
        // A retired version is unreadable.
        let only_v2 = TwoFactorCrypto::versioned(&secrets[..1], None).unwrap();
        assert!(only_v2.decrypt(v1.expose()).is_none());
    }

    #[test]
    fn versioned_secrets_are_checked_as_better_auth_checks_them() {
        for (bad, why) in [
            ("nocolon", "entry 1 is not"),
            ("2:a,x:b", "entry 2: the version"),
            ("-1:a", "entry 1: the version"),
            ("2: ", "version 2 has an empty secret"),
            ("2:a,2:b", "version 2 appears twice"),
        ] {
            let e = parse_versioned_secrets(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        let e = parse_versioned_secrets("3:hunter2-secret,x").unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn plaintexts() {
        assert_eq!(
            totp_plaintext("jbsw y3dp-ehpk3pxp==").expose(),
            "base32:JBSWY3DPEHPK3PXP"
        );
        let codes = vec![Secret::new("abcde-12345"), Secret::new("ABCDE-67890")];
        assert_eq!(
            backup_codes_plaintext(&codes).expose(),
            r#"["abcde-12345","ABCDE-67890"]"#
        );
    }

    #[test]
    fn debug_is_redacted() {
        assert_eq!(
            format!("{:?}", TwoFactorCrypto::new(KAT_SECRET)),
            "TwoFactorCrypto([redacted])"
        );
    }
}
