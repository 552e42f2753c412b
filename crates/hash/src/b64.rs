//! The base64 flavours password hashes use.
//!
//! * standard (RFC 4648) with or without `=` padding — decoded leniently, encoded either way;
//! * URL-safe (Kanidm `ipaNTHash`);
//! * passlib's "adapted base64" (`ab64`): standard alphabet with `.` for `+`, no padding;
//! * bcrypt's `./A-Za-z0-9` alphabet (big-endian groups, like standard base64);
//! * crypt's `h64` (`./0-9A-Za-z`, little-endian 24-bit groups) of md5-crypt, sha-crypt, phpass,
//!   Drupal and `$7$` scrypt — written by hand, no crate does it.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_encode_padding(false)
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);

const STD_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);
const BCRYPT: GeneralPurpose = GeneralPurpose::new(&alphabet::BCRYPT, LENIENT);

/// Standard alphabet, padding optional, trailing bits tolerated.
pub fn std_decode(s: &str) -> Option<Vec<u8>> {
    STD_LENIENT.decode(s.trim_end_matches('=')).ok()
}

/// Standard alphabet with `=` padding.
pub fn std_encode(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// Standard alphabet without padding (PHC strings).
pub fn std_encode_nopad(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(b)
}

/// URL-safe alphabet, padding optional.
pub fn url_decode(s: &str) -> Option<Vec<u8>> {
    URL_LENIENT.decode(s.trim_end_matches('=')).ok()
}

/// passlib's adapted base64: `.` stands for `+`, no padding.
pub fn ab64_decode(s: &str) -> Option<Vec<u8>> {
    if s.contains('+') {
        return None;
    }
    std_decode(&s.replace('.', "+"))
}

pub fn ab64_encode(b: &[u8]) -> String {
    std_encode_nopad(b).replace('+', ".")
}

/// bcrypt's alphabet (`./A-Za-z0-9`), no padding.
pub fn bcrypt_decode(s: &str) -> Option<Vec<u8>> {
    BCRYPT.decode(s).ok()
}

#[cfg(test)]
pub fn bcrypt_encode(b: &[u8]) -> String {
    BCRYPT.encode(b)
}

/// The crypt(3) alphabet.
pub const ITOA64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Index of `c` in [`ITOA64`].
pub fn itoa64_index(c: u8) -> Option<u32> {
    match c {
        b'.' => Some(0),
        b'/' => Some(1),
        b'0'..=b'9' => Some((c - b'0') as u32 + 2),
        b'A'..=b'Z' => Some((c - b'A') as u32 + 12),
        b'a'..=b'z' => Some((c - b'a') as u32 + 38),
        _ => None,
    }
}

/// phpass's `encode64`: little-endian 24-bit groups, the last group shortened (phpass, Drupal).
pub fn h64_encode(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    let mut i = 0;
    let count = input.len();
    while i < count {
        let mut value = input[i] as u32;
        i += 1;
        out.push(ITOA64[(value & 0x3f) as usize] as char);
        if i < count {
            value |= (input[i] as u32) << 8;
        }
        out.push(ITOA64[((value >> 6) & 0x3f) as usize] as char);
        if i >= count {
            break;
        }
        i += 1;
        if i < count {
            value |= (input[i] as u32) << 16;
        }
        out.push(ITOA64[((value >> 12) & 0x3f) as usize] as char);
        if i >= count {
            break;
        }
        i += 1;
        out.push(ITOA64[((value >> 18) & 0x3f) as usize] as char);
    }
    out
}

/// crypt's `b64_from_24bit`: `n` characters of the 24-bit value `(b2 << 16) | (b1 << 8) | b0`,
/// least significant 6 bits first (md5-crypt, sha-crypt).
pub fn h64_push_24(out: &mut String, b2: u8, b1: u8, b0: u8, n: usize) {
    let mut w = ((b2 as u32) << 16) | ((b1 as u32) << 8) | b0 as u32;
    for _ in 0..n {
        out.push(ITOA64[(w & 0x3f) as usize] as char);
        w >>= 6;
    }
}

/// Decodes an unsigned little-endian integer of `s.len()` crypt characters (the `$7$` fields).
pub fn h64_decode_uint(s: &[u8]) -> Option<u64> {
    let mut v: u64 = 0;
    for (i, &c) in s.iter().enumerate() {
        v |= (itoa64_index(c)? as u64) << (6 * i);
    }
    Some(v)
}

pub fn h64_encode_uint(mut v: u64, chars: usize) -> String {
    let mut out = String::with_capacity(chars);
    for _ in 0..chars {
        out.push(ITOA64[(v & 0x3f) as usize] as char);
        v >>= 6;
    }
    out
}

/// Decodes the `$7$` hash encoding (libsodium `encode64`: 24-bit little-endian groups of
/// little-endian bytes, i.e. the inverse of [`h64_encode`]).
pub fn h64_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len() * 3 / 4);
    for chunk in b.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut v: u32 = 0;
        for (i, &c) in chunk.iter().enumerate() {
            v |= itoa64_index(c)? << (6 * i);
        }
        let bytes = chunk.len() * 6 / 8;
        for i in 0..bytes {
            out.push((v >> (8 * i)) as u8);
        }
    }
    Some(out)
}

/// Lower-case or upper-case hex.
pub fn hex_decode(s: &str) -> Option<Vec<u8>> {
    hex::decode(s).ok()
}

pub fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h64_round_trip() {
        for n in 0..40u8 {
            let data: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37).wrapping_add(n)).collect();
            assert_eq!(h64_decode(&h64_encode(&data)).unwrap(), data);
        }
    }

    #[test]
    fn bcrypt_alphabet_round_trip() {
        let salt: Vec<u8> = (0..16u8).collect();
        let e = bcrypt_encode(&salt);
        assert_eq!(e.len(), 22);
        assert_eq!(bcrypt_decode(&e).unwrap(), salt);
    }

    #[test]
    fn ab64_uses_dot() {
        let e = ab64_encode(&[0xfb, 0xef, 0xbe]);
        assert_eq!(e, "....");
        assert_eq!(ab64_decode(&e).unwrap(), vec![0xfb, 0xef, 0xbe]);
        assert!(ab64_decode("++").is_none());
    }

    #[test]
    fn std_decode_is_lenient_about_padding() {
        assert_eq!(std_decode("Bw==").unwrap(), vec![7]);
        assert_eq!(std_decode("Bw").unwrap(), vec![7]);
        assert!(std_decode("B*").is_none());
    }
}
