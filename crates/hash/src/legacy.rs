//! The algorithms no maintained crate provides: md5-crypt, phpass, Drupal 7, Firebase's modified
//! scrypt glue, and bcrypt's crypt_blowfish quirks (`$2x$` and the `$2a$` countermeasure).

use crate::b64;
use md5::{Digest, Md5};
use sha2::Sha512;

// ---------------------------------------------------------------------------------------------
// bcrypt

/// bcrypt's key: the password bytes and a NUL, at most 72 bytes.
pub fn bcrypt_key(password: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(password.len().min(71) + 1);
    key.extend_from_slice(&password[..password.len().min(72)]);
    key.push(0);
    key.truncate(72);
    key
}

/// Raw bcrypt (23 significant bytes of the 24 computed) as crypt_blowfish computes it for the
/// version letter `minor`: `b`/`y` (and `a` on inputs the countermeasure does not touch) are the
/// correct algorithm; `x` reproduces the pre-1.1 sign-extension bug; `a` applies crypt_blowfish's
/// countermeasure (Openwall crypt_blowfish 1.3 `BF_set_key`).
pub fn bcrypt_raw(minor: u8, cost: u32, salt: &[u8; 16], password: &[u8]) -> [u8; 24] {
    let key = bcrypt_key(password);
    let high = key.iter().any(|&c| c >= 0x80);
    if !high || matches!(minor, b'b' | b'y') {
        return bcrypt::bcrypt(cost, *salt, &key);
    }
    // crypt_blowfish reads the key as 18 big-endian words, cycling over the NUL-terminated key.
    let mut correct = [0u32; 18];
    let mut buggy = [0u32; 18];
    let (mut sign, mut diff) = (0u32, 0u32);
    let mut pos = 0usize;
    for i in 0..18 {
        let (mut t0, mut t1) = (0u32, 0u32);
        for j in 0..4 {
            let c = key[pos];
            t0 = (t0 << 8) | c as u32;
            t1 = (t1 << 8) | (c as i8 as i32 as u32);
            if j > 0 {
                sign |= t1 & 0x80;
            }
            pos = if c == 0 { 0 } else { pos + 1 };
        }
        diff |= t0 ^ t1;
        correct[i] = t0;
        buggy[i] = t1;
    }
    let words = if minor == b'x' { buggy } else { correct };
    let mut first = words;
    if minor == b'a' {
        diff |= diff >> 16;
        diff &= 0xffff;
        diff = diff.wrapping_add(0xffff);
        sign <<= 9;
        sign &= !diff & 0x10000;
        first[0] ^= sign;
    }
    let to_bytes = |w: &[u32; 18]| -> Vec<u8> { w.iter().flat_map(|x| x.to_be_bytes()).collect() };
    let (key_first, key_rest) = (to_bytes(&first), to_bytes(&words));
    // A 72-byte key is exactly one pass over the 18 P-array words, so the crate's key schedule
    // consumes these words verbatim.
    let mut state = blowfish::Blowfish::bc_init_state();
    state.salted_expand_key(salt, &key_first);
    for _ in 0..1u64 << cost {
        state.bc_expand_key(&key_rest);
        state.bc_expand_key(salt);
    }
    let mut ctext: [u32; 6] = [
        0x4f727068, 0x65616e42, 0x65686f6c, 0x64657253, 0x63727944, 0x6f756274,
    ];
    let mut out = [0u8; 24];
    for i in (0..6).step_by(2) {
        for _ in 0..64 {
            let [l, r] = state.bc_encrypt([ctext[i], ctext[i + 1]]);
            ctext[i] = l;
            ctext[i + 1] = r;
        }
        out[i * 4..i * 4 + 4].copy_from_slice(&ctext[i].to_be_bytes());
        out[(i + 1) * 4..(i + 1) * 4 + 4].copy_from_slice(&ctext[i + 1].to_be_bytes());
    }
    out
}

// ---------------------------------------------------------------------------------------------
// md5-crypt (`$1$`, `$apr1$`) — Poul-Henning Kamp's algorithm, as in kanidm crypt_md5.rs.

pub fn md5_crypt(password: &[u8], magic: &[u8], salt: &[u8]) -> [u8; 16] {
    let salt = &salt[..salt.len().min(8)];
    let b = Md5::new()
        .chain_update(password)
        .chain_update(salt)
        .chain_update(password)
        .finalize();
    let mut a = Md5::new();
    a.update(password);
    a.update(magic);
    a.update(salt);
    let mut left = password.len();
    while left > 0 {
        let n = left.min(16);
        a.update(&b[..n]);
        left -= n;
    }
    let mut i = password.len();
    while i > 0 {
        if i & 1 == 1 {
            a.update([0u8]);
        } else {
            a.update(&password[..password.len().min(1)]);
        }
        i >>= 1;
    }
    let mut fin: [u8; 16] = a.finalize().into();
    for i in 0..1000 {
        let mut c = Md5::new();
        if i & 1 == 1 {
            c.update(password);
        } else {
            c.update(fin);
        }
        if i % 3 != 0 {
            c.update(salt);
        }
        if i % 7 != 0 {
            c.update(password);
        }
        if i & 1 == 1 {
            c.update(fin);
        } else {
            c.update(password);
        }
        fin = c.finalize().into();
    }
    fin
}

/// The 22 characters of an md5-crypt checksum.
pub fn md5_crypt_encode(f: &[u8; 16]) -> String {
    let mut s = String::with_capacity(22);
    b64::h64_push_24(&mut s, f[0], f[6], f[12], 4);
    b64::h64_push_24(&mut s, f[1], f[7], f[13], 4);
    b64::h64_push_24(&mut s, f[2], f[8], f[14], 4);
    b64::h64_push_24(&mut s, f[3], f[9], f[15], 4);
    b64::h64_push_24(&mut s, f[4], f[10], f[5], 4);
    b64::h64_push_24(&mut s, 0, 0, f[11], 2);
    s
}

// ---------------------------------------------------------------------------------------------
// phpass portable hashes and Drupal 7

/// phpass: `h = MD5(salt ‖ pw)`, then `2^log2` times `h = MD5(h ‖ pw)`.
pub fn phpass(password: &[u8], salt: &[u8], log2: u32) -> [u8; 16] {
    let mut h: [u8; 16] = Md5::new()
        .chain_update(salt)
        .chain_update(password)
        .finalize()
        .into();
    for _ in 0..1u64 << log2 {
        h = Md5::new()
            .chain_update(h)
            .chain_update(password)
            .finalize()
            .into();
    }
    h
}

/// Drupal 7: phpass with SHA-512; the result is the first 43 h64 characters.
pub fn drupal7(password: &[u8], salt: &[u8], log2: u32) -> String {
    let mut h: [u8; 64] = Sha512::new()
        .chain_update(salt)
        .chain_update(password)
        .finalize()
        .into();
    for _ in 0..1u64 << log2 {
        h = Sha512::new()
            .chain_update(h)
            .chain_update(password)
            .finalize()
            .into();
    }
    let mut s = b64::h64_encode(&h);
    s.truncate(43);
    s
}

// ---------------------------------------------------------------------------------------------
// Firebase's modified scrypt

/// `AES-256-CTR(key = scrypt(pw, salt ‖ sep, 2^mem_cost, rounds, p)[..32], iv = 0, signer_key)`.
pub fn firebase_scrypt(
    password: &[u8],
    salt: &[u8],
    separator: &[u8],
    signer_key: &[u8],
    rounds: u32,
    mem_cost: u32,
    p: u32,
) -> Result<Vec<u8>, String> {
    use aes::cipher::{KeyIvInit, StreamCipher};
    let mut full_salt = Vec::with_capacity(salt.len() + separator.len());
    full_salt.extend_from_slice(salt);
    full_salt.extend_from_slice(separator);
    let params = scrypt::Params::new(mem_cost as u8, rounds, p, 32).map_err(|_| {
        format!("scrypt parameters out of range (rounds {rounds}, memory cost {mem_cost})")
    })?;
    let mut key = [0u8; 32];
    scrypt::scrypt(password, &full_salt, &params, &mut key).map_err(|e| e.to_string())?;
    let mut out = signer_key.to_vec();
    let mut cipher = ctr::Ctr128BE::<aes::Aes256>::new(&key.into(), &[0u8; 16].into());
    cipher.apply_keystream(&mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_crypt_known_answers() {
        // password-hashes.md §2.10 (Kanidm, zitadel/passwap).
        assert_eq!(
            md5_crypt_encode(&md5_crypt(b"password", b"$1$", b"zaRIAsoe")),
            "7887GzjDTrst0XbDPpF5m."
        );
        assert_eq!(
            md5_crypt_encode(&md5_crypt(b"password", b"$1$", b"kJ4QkJaQ")),
            "3EbD/pJddrq5HW3mpZ4KZ1"
        );
    }

    #[test]
    fn bcrypt_key_is_nul_terminated_and_capped() {
        assert_eq!(bcrypt_key(b"ab"), b"ab\0");
        assert_eq!(bcrypt_key(&[b'x'; 100]).len(), 72);
        assert_eq!(bcrypt_key(&[b'x'; 71]).len(), 72);
    }
}
