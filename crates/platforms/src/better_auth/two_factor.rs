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

/// The encryption keys for one BETTER_AUTH_SECRET.
pub struct TwoFactorCrypto {
    cipher: XChaCha20Poly1305,
    nonce_key: [u8; 32],
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

impl TwoFactorCrypto {
    pub fn new(better_auth_secret: &str) -> Self {
        let key: [u8; 32] = Sha256::digest(better_auth_secret.as_bytes()).into();
        TwoFactorCrypto {
            cipher: XChaCha20Poly1305::new(Key::from_slice(&key)),
            nonce_key: hmac(better_auth_secret.as_bytes(), &[NONCE_LABEL]),
        }
    }

    fn nonce(&self, user_id: &str, field: &str, plaintext: &[u8]) -> [u8; 32] {
        hmac(
            &self.nonce_key,
            &[&framed(user_id), &framed(field), plaintext],
        )
    }

    /// better-auth's stored form of `plaintext` for `field` of `user_id`.
    pub fn encrypt(&self, user_id: &str, field: &str, plaintext: &str) -> Secret {
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
        Secret::new(hex::encode(out))
    }

    /// Reads a stored value back (the inverse of [`encrypt`](Self::encrypt), and of
    /// better-auth's `symmetricEncrypt` with a plain string key). `None` when it does not
    /// decrypt under this secret.
    pub fn decrypt(&self, stored: &str) -> Option<Secret> {
        self.open(stored).map(|(_, plain)| plain)
    }

    fn open(&self, stored: &str) -> Option<([u8; 24], Secret)> {
        let bytes = hex::decode(stored.trim()).ok()?;
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

    /// The plaintext of a stored `field` of `user_id` when authferry wrote it: it decrypts under
    /// this secret and its nonce is the one [`encrypt`](Self::encrypt) derives for it. `None`
    /// for a value better-auth wrote (random nonce), another secret's, or garbage.
    pub fn our_plaintext(&self, user_id: &str, field: &str, stored: &str) -> Option<Secret> {
        let (nonce, plain) = self.open(stored)?;
        let expected = self.nonce(user_id, field, plain.expose().as_bytes());
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
