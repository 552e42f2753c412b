//! The cases `authferry hash bench` times and BENCHMARKS.md compares with the oracle libraries
//! (`tests/oracles/bench.py` does the same work with them).

use crate::algo::DigestAlg;
use crate::b64;
use crate::params::ExtParams;

/// One benchmark case: a digest of `password` and how to read it.
pub struct BenchCase {
    pub name: &'static str,
    pub digest: String,
    pub hasher: Option<&'static str>,
    pub params: ExtParams,
    /// Microseconds per verification or less: time in batches.
    pub cheap: bool,
}

impl std::fmt::Debug for BenchCase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BenchCase")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn better_auth_key(pw: &[u8]) -> [u8; 64] {
    use unicode_normalization::UnicodeNormalization;
    let n: String = String::from_utf8_lossy(pw).nfkc().collect();
    let mut out = [0u8; 64];
    scrypt::scrypt(
        n.as_bytes(),
        b"00112233445566778899aabbccddeeff",
        &scrypt::Params::new(14, 16, 1, 64).expect("valid"),
        &mut out,
    )
    .expect("valid");
    out
}

/// bcrypt cost 10, Argon2id m=19 MiB t=2 p=1, Firebase scrypt (rounds 8, mem cost 14),
/// PBKDF2-SHA256 600 000, Better Auth's scrypt (N=16384 r=16), salted SHA-256 — each a digest
/// of `password`.
pub fn bench_cases(password: &str) -> Vec<BenchCase> {
    let pw = password.as_bytes();
    let salt16 = *b"somesaltsomesalt";
    let bcrypt = bcrypt::hash_with_salt(pw, 10, salt16)
        .expect("cost 10 is valid")
        .format_for_version(bcrypt::Version::TwoB);
    let mut tag = [0u8; 32];
    argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(19 * 1024, 2, 1, Some(32)).expect("valid"),
    )
    .hash_password_into(pw, &salt16, &mut tag)
    .expect("valid");
    let argon2 = format!(
        "$argon2id$v=19$m=19456,t=2,p=1${}${}",
        b64::std_encode_nopad(&salt16),
        b64::std_encode_nopad(&tag)
    );
    let signer_key =
        "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==";
    let fb_salt = b64::std_decode("42xEC+ixf3L2lw==").expect("b64");
    let fb_hash = crate::legacy::firebase_scrypt(
        pw,
        &fb_salt,
        &[7],
        &b64::std_decode(signer_key).expect("b64"),
        8,
        14,
        1,
    )
    .expect("valid");
    let mut dk = [0u8; 32];
    DigestAlg::Sha256.pbkdf2(pw, &salt16, 600_000, &mut dk);
    let pbkdf2 = format!(
        "$pbkdf2-sha256$i=600000,l=32${}${}",
        b64::std_encode_nopad(&salt16),
        b64::std_encode_nopad(&dk)
    );
    let salted = hex::encode(DigestAlg::Sha256.digest(&[b"0123456789abcdef", pw]));
    vec![
        BenchCase {
            name: "bcrypt_cost10",
            digest: bcrypt,
            hasher: None,
            params: ExtParams::default(),
            cheap: false,
        },
        BenchCase {
            name: "argon2id_m19456_t2_p1",
            digest: argon2,
            hasher: None,
            params: ExtParams::default(),
            cheap: false,
        },
        BenchCase {
            name: "firebase_scrypt_r8_m14",
            digest: b64::std_encode(&fb_hash),
            hasher: Some("firebase_scrypt"),
            params: ExtParams {
                signer_key: Some(signer_key.into()),
                salt_separator: Some("Bw==".into()),
                rounds: Some(8),
                mem_cost: Some(14),
                salt: Some("42xEC+ixf3L2lw==".into()),
                ..Default::default()
            },
            cheap: false,
        },
        BenchCase {
            name: "pbkdf2_sha256_600k",
            digest: pbkdf2,
            hasher: None,
            params: ExtParams::default(),
            cheap: false,
        },
        BenchCase {
            name: "better_auth_scrypt",
            digest: format!(
                "00112233445566778899aabbccddeeff:{}",
                hex::encode(better_auth_key(pw))
            ),
            hasher: None,
            params: ExtParams::default(),
            cheap: false,
        },
        BenchCase {
            name: "salted_sha256",
            digest: salted,
            hasher: Some("sha256"),
            params: ExtParams {
                salt: Some("0123456789abcdef".into()),
                salt_position: Some("prefix".into()),
                ..Default::default()
            },
            cheap: true,
        },
    ]
}
