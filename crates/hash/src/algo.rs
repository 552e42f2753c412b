//! Digest, HMAC and PBKDF2 over a runtime-chosen hash function.

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Digest;

/// A message digest used by one of the formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DigestAlg {
    Md4,
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

/// Runs `$body` with the type alias `$D` bound to the concrete digest type of `$alg`.
macro_rules! with_alg {
    ($alg:expr, $D:ident => $body:expr) => {
        match $alg {
            DigestAlg::Md4 => {
                type $D = md4::Md4;
                $body
            }
            DigestAlg::Md5 => {
                type $D = md5::Md5;
                $body
            }
            DigestAlg::Sha1 => {
                type $D = sha1::Sha1;
                $body
            }
            DigestAlg::Sha224 => {
                type $D = sha2::Sha224;
                $body
            }
            DigestAlg::Sha256 => {
                type $D = sha2::Sha256;
                $body
            }
            DigestAlg::Sha384 => {
                type $D = sha2::Sha384;
                $body
            }
            DigestAlg::Sha512 => {
                type $D = sha2::Sha512;
                $body
            }
        }
    };
}

impl DigestAlg {
    pub fn name(self) -> &'static str {
        match self {
            DigestAlg::Md4 => "md4",
            DigestAlg::Md5 => "md5",
            DigestAlg::Sha1 => "sha1",
            DigestAlg::Sha224 => "sha224",
            DigestAlg::Sha256 => "sha256",
            DigestAlg::Sha384 => "sha384",
            DigestAlg::Sha512 => "sha512",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().replace('-', "").as_str() {
            "md4" => DigestAlg::Md4,
            "md5" => DigestAlg::Md5,
            "sha1" | "sha" => DigestAlg::Sha1,
            "sha224" => DigestAlg::Sha224,
            "sha256" => DigestAlg::Sha256,
            "sha384" => DigestAlg::Sha384,
            "sha512" => DigestAlg::Sha512,
            _ => return None,
        })
    }

    /// Output size in bytes.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(self) -> usize {
        match self {
            DigestAlg::Md4 | DigestAlg::Md5 => 16,
            DigestAlg::Sha1 => 20,
            DigestAlg::Sha224 => 28,
            DigestAlg::Sha256 => 32,
            DigestAlg::Sha384 => 48,
            DigestAlg::Sha512 => 64,
        }
    }

    pub fn from_len(n: usize) -> Option<Self> {
        Some(match n {
            16 => DigestAlg::Md5,
            20 => DigestAlg::Sha1,
            28 => DigestAlg::Sha224,
            32 => DigestAlg::Sha256,
            48 => DigestAlg::Sha384,
            64 => DigestAlg::Sha512,
            _ => return None,
        })
    }

    pub fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        with_alg!(self, D => {
            let mut h = D::new();
            for p in parts {
                Digest::update(&mut h, p);
            }
            h.finalize().to_vec()
        })
    }

    pub fn hmac(self, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        with_alg!(self, D => {
            let mut m = <Hmac<D> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        })
    }

    pub fn pbkdf2(self, password: &[u8], salt: &[u8], rounds: u32, out: &mut [u8]) {
        with_alg!(self, D => pbkdf2::pbkdf2_hmac::<D>(password, salt, rounds, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6070_pbkdf2_sha1() {
        let mut out = [0u8; 20];
        DigestAlg::Sha1.pbkdf2(b"password", b"salt", 4096, &mut out);
        assert_eq!(hex::encode(out), "4b007901b765489abead49d926f721d065a429c1");
    }

    #[test]
    fn plain_digests() {
        assert_eq!(
            hex::encode(DigestAlg::Md5.digest(&[b"pass", b"word"])),
            "5f4dcc3b5aa765d61d8327deb882cf99"
        );
        assert_eq!(
            hex::encode(DigestAlg::Sha256.digest(&[b"test"])),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        );
    }
}
