//! The Better Auth verify module (`authferry emit better-auth-verify`, source
//! `crates/platforms/src/better_auth/verify_module.mjs`) run in Node against real digests:
//!
//! * **Agreement with the capability table.** For every format the `better-auth` table of
//!   `authferry_hash` marks `VerifyModule`, there must be at least one digest whose right password
//!   the module accepts — after the same re-encode the engine does before writing
//!   `account.password` (`convert_for("better-auth", …)`). The digests come from the published
//!   known-answer vectors of `crates/hash/src/kats.rs` (copied below), from re-encoding those into
//!   every other `VerifyModule` syntax with authferry's own encoders, and — when the oracles of
//!   `tests/oracles/` are installed — from Django, libpass, pyca/bcrypt, argon2-cffi, Werkzeug,
//!   firebase-scrypt, @better-auth/utils and drupal-hash hashing random passwords (and their
//!   re-encodings).
//! * **Differential.** Every digest is first checked with authferry's Rust verifier (so a vector
//!   is real); then the module must accept the right password and refuse wrong ones (the oracle's
//!   own wrong passwords, one with a byte appended, one with its first character changed).
//! * Digests the module cannot read (malformed, truncated, unknown) give `false`, never a throw;
//!   digests the table says are unverifiable are not handed to it.
//!
//! Needs `npm ci` in tests/e2e/better-auth (bcryptjs, hash-wasm, better-auth). Without it the test
//! skips loudly, unless `AUTHFERRY_E2E_REQUIRED` is set (scripts/test and CI set it): then it
//! fails. The oracle part follows `AUTHFERRY_ORACLE_PYTHON` / `AUTHFERRY_ORACLES_REQUIRED` like
//! the `hash_oracles` test. Failures name the format, the source and the case number, never a
//! password or a digest.

use authferry_hash::{ExtParams, Format, Support, capability, convert_for, parse};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BETTER_AUTH: &str = "better-auth";
const PINNED: &[(&str, &str)] = &[
    ("better-auth", "1.7.25"),
    ("bcryptjs", "3.0.3"),
    ("hash-wasm", "4.13.0"),
    ("@noble/hashes", "2.4.0"),
];

// ---------------------------------------------------------------------------------------------
// environment

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

fn e2e_dir() -> Option<PathBuf> {
    let why = |what: &str| -> Option<PathBuf> {
        if flag("AUTHFERRY_E2E_REQUIRED") {
            panic!(
                "AUTHFERRY_E2E_REQUIRED is set, but {what}.\n\
                 Run `npm ci` in tests/e2e/better-auth (see tests/e2e/better-auth/README.md)."
            );
        }
        let bar = "!".repeat(78);
        let _ = write!(
            std::io::stderr(),
            "\n{bar}\n!! SKIPPED better_auth_verify_module: {what}.\n!! The emitted verify module was not run.\n\
             !! Run `npm ci` in tests/e2e/better-auth; set AUTHFERRY_E2E_REQUIRED=1 to make this a failure.\n{bar}\n"
        );
        None
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e/better-auth");
    let Ok(dir) = dir.canonicalize() else {
        return why("tests/e2e/better-auth does not exist");
    };
    for (name, version) in PINNED {
        let Ok(text) =
            std::fs::read_to_string(dir.join("node_modules").join(name).join("package.json"))
        else {
            return why(&format!(
                "tests/e2e/better-auth/node_modules/{name} is missing (npm ci was not run)"
            ));
        };
        let v: Value = serde_json::from_str(&text).unwrap_or_default();
        // A stale install is never skipped: it would prove the wrong thing.
        assert_eq!(
            v["version"].as_str(),
            Some(*version),
            "tests/e2e/better-auth/node_modules/{name} is not the pinned {version}: run npm ci"
        );
    }
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => Some(dir),
        _ => why("`node` is not on PATH"),
    }
}

// ---------------------------------------------------------------------------------------------
// vectors

/// Published or computed known-answer vectors of `crates/hash/src/kats.rs` (format, hasher,
/// digest, password), plus a few computed here with Python's hashlib/hmac.
const KATS: &[(Format, Option<&str>, &str, &str)] = &[
    (
        Format::Bcrypt,
        None,
        "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K",
        "hello",
    ),
    (
        Format::Bcrypt,
        None,
        "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
        "U*U",
    ),
    (
        Format::Bcrypt,
        Some("bcrypt"),
        "$2a$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6",
        "test",
    ),
    (
        Format::Bcrypt,
        Some("bcrypt"),
        "$2b$10$U4C0ZY8OG8y41F9LusfKyu3HRMBL0rCZcKBVsXhgr.n8Ou6FPhzO2",
        "Kk4aPMeiaRpAs2OeX1NE",
    ),
    (
        Format::DjangoBcrypt,
        None,
        "bcrypt$$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K",
        "hello",
    ),
    (
        Format::PasslibBcryptSha256,
        None,
        "$bcrypt-sha256$2a,12$LrmaIX5x4TRtAwEfwJZa1.$2ehnw6LvuIUTM0iz4iz9hTxv21B6KFO",
        "password",
    ),
    (
        Format::WordPressBcrypt,
        None,
        "$wp$2y$04$abcdefghijklmnopqrstuuvVcN26Qszf/bgHTEy5wqn1LFLMIFXUq",
        "password",
    ),
    (
        Format::BcryptPeppered,
        Some("bcrypt_peppered"),
        "$2b$04$abcdefghijklmnopqrstuuplyOA/yggp3uDOFweBlaokYQ36s6xTW$pepper",
        "password",
    ),
    (
        Format::Argon2id,
        None,
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "password",
    ),
    (
        Format::Argon2i,
        Some("argon2i"),
        "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA",
        "password",
    ),
    (
        Format::Argon2i,
        None,
        "$argon2i$v=16$m=65536,t=2,p=1$c29tZXNhbHQ$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ",
        "password",
    ),
    (
        Format::Argon2i,
        None,
        "$argon2i$m=65536,t=2,p=1$c29tZXNhbHQ$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ",
        "password",
    ),
    (
        Format::Argon2i,
        None,
        "$argon2i$v=19$m=16,t=2,p=1$bGJRWThNOHJJTVBSdHl2dQ$NfEnUOuUpb7F2fQkgFUG4g",
        "test",
    ),
    (
        Format::Argon2id,
        Some("argon2id"),
        "$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",
        "test",
    ),
    (
        Format::DjangoArgon2,
        None,
        "argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q",
        "secret",
    ),
    (
        Format::DjangoArgon2,
        None,
        "argon2$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw",
        "secret",
    ),
    (
        Format::LdapArgon2,
        None,
        "{ARGON2}$argon2id$v=19$m=65536,t=2,p=1$IyTQMsvzB2JHDiWx8fq7Ew$VhYOA7AL0kbRXI5g2kOyyp8St1epkNj7WZyUY4pAIQQ",
        "password",
    ),
    (
        Format::Argon2d,
        None,
        "$argon2d$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$lV5dWxY6G2C7o1/DbQSWR0+6T2tZrVNihmbwf7L5Pq8",
        "password",
    ),
    (
        Format::Argon2id,
        None,
        "$argon2id$v=19$m=7168,t=5,p=1$AAECAwQFBgcICQoLDA0ODw$kANRj3W5M/rs6SMRJTOyVfEe37rWnRLDRk5QwL4tETk",
        "password",
    ),
    (
        Format::ScryptPhc,
        None,
        "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
        "password",
    ),
    (
        Format::KratosScrypt,
        None,
        "$scrypt$ln=16384,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
        "test",
    ),
    (
        Format::DjangoScrypt,
        None,
        "scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==",
        "lètmein",
    ),
    (
        Format::WerkzeugScrypt,
        Some("scrypt_werkzeug"),
        "scrypt:32768:8:1$LhXTOPk2o0jq9Vxp$41a30013f3676d7df73e63b512fdc1b0c5a646c8363794b0e238116a73bea4bda547c7b3897483965a6c0ddd0991d3d30f61d1a4e58150aa894be25ac6ced81c",
        "password",
    ),
    (
        Format::BetterAuthScrypt,
        None,
        "00112233445566778899aabbccddeeff:9a098760abf0e95230464650e1160ecd37c82de7f9aea0c41eee704c90daaac45ce13ec6c244f429e4e4ba505cde11131ed35ef08e55b31c226a2ba87069e3ae",
        "password",
    ),
    (
        Format::SupabaseFirebaseScrypt,
        None,
        "$fbscrypt$v=1,n=14,r=8,p=1,ss=Bw==,sk=ou9tdYTGyYm8kuR6Dt0Bp0kDuAYoXrK16mbZO4yGwAn3oLspjnN0/c41v8xZnO1n14J3MjKj1b2g6AUCAlFwMw==$C0sHCg9ek77hsg==$zKVTMvnWVw5BBOZNUdnsalx4c4c7y/w7IS5p6Ut2+CfEFFlz37J9huyQfov4iizN8dbjvEJlM5tQaJP84+hfTw==",
        "mytestpassword",
    ),
    (
        Format::KratosFirebaseScrypt,
        None,
        "$firescrypt$ln=14,r=8,p=1$sPtDhWcd1MfdAw==$xbSou7FOl6mChCyzpCPIQ7tku7nsQMTFtyOZSXXd7tjBa4NtimOx7v42Gv2SfzPQu1oxM2/k4SsbOu73wlKe1A==$Bw==$YE0dO4bwD4JnJafh6lZZfkp1MtKzuKAXQcDCJNJNyeCHairWHKENOkbh3dzwaCdizzOspwr/FITUVlnOAwPKyw==",
        "8x4WjoDbSxJZdR",
    ),
    (
        Format::DjangoPbkdf2Sha256,
        None,
        "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=",
        "lètmein",
    ),
    (
        Format::DjangoPbkdf2Sha1,
        None,
        "pbkdf2_sha1$390000$seasalt2$aDapRanzW8aHTz97v2TcfHzWD+I=",
        "lètmein",
    ),
    (
        Format::DjangoPbkdf2Sha256,
        Some("pbkdf2_sha256_django"),
        "pbkdf2_sha256$36000$xIEozuZVAoYm$uW1b35DUKyhvQAf1mBqMvoBDcqSD06juzyO/nmyV0+w=",
        "eicieY7ahchaoCh0eeTa",
    ),
    (
        Format::PasslibPbkdf2,
        None,
        "$pbkdf2-sha256$6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M",
        "password",
    ),
    (
        Format::PasslibPbkdf2,
        None,
        "$pbkdf2-sha256$8000$XAuBMIYQQogxRg$tRRlz8hYn63B9LYiCd6PRo6FMiunY9ozmMMI3srxeRE",
        "password",
    ),
    (
        Format::PhcPbkdf2,
        None,
        "$pbkdf2-sha256$i=100000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI",
        "test",
    ),
    (
        Format::PhcPbkdf2,
        None,
        "$pbkdf2-sha256$i=4096,l=40$c2FsdFNBTFRzYWx0U0FMVHNhbHRTQUxUc2FsdFNBTFRzYWx0$NIyJ28vTKy8y2BS4EW6EzysXNH68GAAYHE4qH7jdU+HGNVGMfaxH6Q",
        "passwordPASSWORDpassword",
    ),
    (
        Format::LdapPbkdf2,
        None,
        "{PBKDF2-SHA256}10000$henZGfPWw79Cs8ORDeVNrQ$1dTJy73v6n3bnTmTZFghxHXHLsAzKaAy8SksDfZBPIw",
        "password",
    ),
    (
        Format::LdapPbkdf2,
        None,
        "{PBKDF2-SHA512}10000$Je1Uw19Bfv5lArzZ6V3EPw$g4T/1sqBUYWl9o93MVnyQ/8zKGSkPbKaXXsT8WmysXQJhWy8MRP2JFudSL.N9RklQYgDPxPjnfum/F2f/TrppA",
        "password",
    ),
    (
        Format::LdapPbkdf2,
        None,
        "{PBKDF2}10000$IlfapjA351LuDSwYC0IQ8Q$saHqQTuYnjJN/tmAndT.8mJt.6w",
        "password",
    ),
    (
        Format::WerkzeugPbkdf2,
        None,
        "pbkdf2:sha256:600000$salt1234$6b3e8c5f7535d7bf9eb987347b7b4d51f934f19e447d7e8107b95c88ddcd38f7",
        "password",
    ),
    (
        Format::ClerkPbkdf2Sha1,
        Some("pbkdf2_sha1"),
        "pbkdf2_sha1$4096$73616c74$4b007901b765489abead49d926f721d065a429c1$20",
        "password",
    ),
    (
        Format::Md5Hex,
        None,
        "5f4dcc3b5aa765d61d8327deb882cf99",
        "password",
    ),
    (
        Format::Md5Hex,
        Some("md5"),
        "5f4dcc3b5aa765d61d8327deb882cf99",
        "password",
    ),
    (
        Format::Sha256Hex,
        Some("sha256"),
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "test",
    ),
    (
        Format::Md5Hex,
        None,
        "88a434c88cca4e900f7874cd98123f43",
        "lètmein",
    ),
    (
        Format::DjangoMd5,
        None,
        "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3",
        "lètmein",
    ),
    (
        Format::DjangoSha1,
        None,
        "sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8",
        "lètmein",
    ),
    (
        Format::DjangoSha1,
        None,
        "sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b",
        "lètmein",
    ),
    (
        Format::ClerkMd5Salted,
        Some("md5_salted"),
        "salt$67a1e09bb1f83f5007dc119c14d663aa",
        "password",
    ),
    (
        Format::KratosDigest,
        None,
        "$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ=",
        "test",
    ),
    (
        Format::KratosDigest,
        None,
        "$md5$CY9rzUYh03PK3k6DJie09g==",
        "test",
    ),
    (
        Format::SymfonySha512,
        Some("sha512_symfony"),
        "sha512_symfony$5000$salt$iKw+yyYDAaIE9cknw6XdfjaVtHJ7Gqh+o/GYWoVpWN1wNDQcSjc8uqXSBC+yj0KOMwA7RpCKH9weKfJT+7AEHQ==",
        "password",
    ),
    (
        Format::KratosHmac,
        None,
        "$hmac-sha1$NDMyNjcxZTUyY2Y2YTBmYjZjZDE2NjQxYjAwNjFiZjAwOGEzNWM5MA==$MTIzNDU=",
        "test",
    ),
    (
        Format::KratosHmac,
        None,
        "$hmac-md5$ZmU4Njk3Zjc0MmQwODA0MDVkMTI3MGU2MTYzMzE2Zjk=$MTIzNDU=",
        "test",
    ),
    (
        Format::KratosHmac,
        None,
        "$hmac-md4$MWQ5ZTI4Nzc2Zjg4YmE2MTQ5YjQ0OTMyOGE4NWU4YjA=$MTIzNDU=",
        "test",
    ),
    (
        Format::Phpass,
        None,
        "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0",
        "test12345",
    ),
    (
        Format::Phpass,
        Some("phpass"),
        "$H$9aaaaaSXBjgypwqm.JsMssPLiS8YQ00",
        "test1",
    ),
    (
        Format::Phpass,
        Some("md5_phpass"),
        "$H$9PE8jEklgZhgLmZl5.HYJAzfGCQtzi1",
        "123456",
    ),
    (
        Format::Drupal7,
        None,
        "$S$ErandomsaOpYrAZqwxGynirQbWYCb3ejW4BwGH81LJcOzbzeVd02",
        "password",
    ),
    (
        Format::Drupal7,
        None,
        "$S$DeIZ1KTE.VzRvudZ5.xgOakipuMFrVyPmRdWTjAdYieWj27NMglI",
        "password1234",
    ),
    (
        Format::Drupal7,
        None,
        "$S$5FIcboyzv1ZD/OZDb4w/4HSlnsPlwbr/PWLWrHPWrJp8eXOQQaWJ",
        "DifficultPassword123",
    ),
    (
        Format::Md5Crypt,
        None,
        "$1$zaRIAsoe$7887GzjDTrst0XbDPpF5m.",
        "password",
    ),
    (
        Format::Md5Crypt,
        None,
        "$1$kJ4QkJaQ$3EbD/pJddrq5HW3mpZ4KZ1",
        "password",
    ),
    (
        Format::Md5Crypt,
        None,
        "$md5-crypt$TVEiiKNb$SN6/pUaRQS/E8Jh46As2C/",
        "test",
    ),
    (
        Format::Sha256Crypt,
        None,
        "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
        "Hello world!",
    ),
    (
        Format::Sha512Crypt,
        None,
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
        "Hello world!",
    ),
    (
        Format::Sha256Crypt,
        None,
        "$5$3UzV7Sut8EHCUxlN$41V.jtMQmFAOucqI4ImFV43r.bRLjPlN.hyfoCdmGE2",
        "password",
    ),
    (
        Format::Sha512Crypt,
        None,
        "$6$aXn8azL8DXUyuMvj$9aJJC/KEUwygIpf2MTqjQa.f0MEXNg2cGFc62Fet8XpuDVDedM05CweAlxW6GWxnmHqp14CRf6zU7OQoE/bCu0",
        "password",
    ),
    (
        Format::Sha256Crypt,
        None,
        "$sha256-crypt$rounds=535000$05R.9KB6UC2kLI3w$Q/zslzx./JjkAVPTwp6th7nW5l7JU91Gte/UmIh.U78",
        "test",
    ),
    (
        Format::LdapSsha,
        None,
        "{SSHA}EyzbBiP4u4zxOrLpKTORI/RX3HC6TCTJtnVOCQ==",
        "password",
    ),
    (
        Format::LdapSsha,
        Some("ldap_ssha"),
        "{SSHA}JFZFs0oHzxbMwkSJmYVeI8MnTDy/276a",
        "test123",
    ),
    (
        Format::LdapDigest,
        None,
        "{SSHA512}xPUl/px+1cG55rUH4rzcwxdOIPSB2TingLpiJJumN2xyDWN4Ix1WQG3ihnvHaWUE8MYNkvMi5rf0C9NYixHsE6Yh59M=",
        "test123",
    ),
    (
        Format::LdapDigest,
        None,
        "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
        "password",
    ),
    (
        Format::LdapCrypt,
        None,
        "{CRYPT}$6$aXn8azL8DXUyuMvj$9aJJC/KEUwygIpf2MTqjQa.f0MEXNg2cGFc62Fet8XpuDVDedM05CweAlxW6GWxnmHqp14CRf6zU7OQoE/bCu0",
        "password",
    ),
    (
        Format::NtHash,
        Some("nt_hash"),
        "8846f7eaee8fb117ad06bdd830b7586c",
        "password",
    ),
    (
        Format::NtHash,
        None,
        "sambaNTPassword: 8846F7EAEE8FB117AD06BDD830B7586C",
        "password",
    ),
    (
        Format::NtHash,
        None,
        "ipaNTHash: iEb36u6PsRetBr3YMLdYbA",
        "password",
    ),
    (
        Format::ScryptMcf,
        None,
        "$7$CU..../....Mq4YHD2syxYT.MsH1Ek0n1$JyHIxez0DOwm0r6.kAIohc8UFBOLU4xX8a1wGBpLrw7",
        "pleaseletmein",
    ),
    (
        Format::DjangoBcryptSha256,
        None,
        "bcrypt_sha256$$2b$04$abcdefghijklmnopqrstuuavYyybW8SwBYgHrVfEOHIljvgCGgHr2",
        "password",
    ),
    // Computed with libargon2 (argon2-cffi's argon2_ctx): associated data, version 1.0, p=2.
    (
        Format::Argon2id,
        None,
        "$argon2id$v=19$m=64,t=2,p=1,data=YXNzb2M$c2FsdHNhbHRzYWx0$XWlnDlrpY3WRHmXslVN+x0pXQeL+EczOTpgt6BVqXXY",
        "data pw",
    ),
    (
        Format::Argon2d,
        None,
        "$argon2d$v=16$m=64,t=2,p=2,data=YXNzb2M$c2FsdHNhbHRzYWx0$9nniIJng7X/nn/gtQukxc3wpYlj8tAk1MZa6HgYf190",
        "data pw",
    ),
    // Computed with Python's hashlib / hmac.
    (
        Format::ClerkPbkdf2Sha512,
        Some("pbkdf2_sha512"),
        "pbkdf2_sha512$1000$NaClNaCl$657376363af471d7387d515e4eade630d28ea715798e22a9cf4d254d4c8a7e95c43dbdb9cccc43282d95ab961e13b19a974de92f88899763ce9c2dea39ceda35",
        "pässword",
    ),
    (
        Format::Sha1Hex,
        None,
        "2f9e53523b62abc141a2b4d6019d23cba835dbd0",
        "correct horse",
    ),
    (
        Format::Sha512Hex,
        None,
        "145a2961a52690083bb6149fd248fb06e3e79e32a576eb1c4cb98455652167761e587ba9e943b0e8a489fd8e5db0892516c8d10b81829f0089be2191c2b34a08",
        "correct horse ü",
    ),
    (
        Format::ClerkHmacSha256Utf16,
        Some("hmac_sha256_utf16_b64"),
        "hmac_sha256_utf16_b64$6LqDTvZ+vSaO+yxblNPNN7fz2kIMznNQt/gFOupYPmw=$k3y",
        "pässword",
    ),
    // password-hashes.md (Clerk `scrypt_firebase`, Firebase's published test user).
    (
        Format::ClerkFirebaseScrypt,
        Some("scrypt_firebase"),
        "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==$Bw==$8$14",
        "user1password",
    ),
];

const FB_KEY: &str =
    "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==";

/// A digest with the hasher name and out-of-band parameters the source gave beside it.
#[derive(Clone)]
struct Vector {
    source: String,
    hasher: Option<String>,
    params: ExtParams,
    digest: String,
    password: String,
    /// `None`: a right password (authferry must accept it); `Some(e)`: the oracle's verdict.
    expect: Option<bool>,
}

fn kat_vectors() -> Vec<Vector> {
    let mut v: Vec<Vector> = KATS
        .iter()
        .map(|(f, h, d, p)| Vector {
            source: format!("kat {}", f.name()),
            hasher: h.map(str::to_string),
            params: ExtParams::default(),
            digest: d.to_string(),
            password: p.to_string(),
            expect: None,
        })
        .collect();
    // Keyed HMAC with the key beside it (kats.rs, Kratos' vector as Firebase/Auth0 give it).
    v.push(Vector {
        source: "kat hmac".into(),
        hasher: Some("hmac_sha1".into()),
        params: ext(&json!({"hmac_key": "12345"})),
        digest: "432671e52cf6a0fb6cd16641b0061bf008a35c90".into(),
        password: "test".into(),
        expect: None,
    });
    // SuperTokens' `$f_scrypt$` has no signer key; with the project's key as a parameter it
    // becomes Supabase's spelling.
    v.push(Vector {
        source: "kat supertokens_firebase_scrypt".into(),
        hasher: None,
        params: ext(&json!({"signer_key": FB_KEY})),
        digest: "$f_scrypt$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$m=14$r=8$s=Bw==".into(),
        password: "user1password".into(),
        expect: None,
    });
    // authferry's own benchmark encoders (bcrypt, Argon2id, a Firebase export with its
    // parameters, PBKDF2-SHA256, better-auth scrypt, salted SHA-256) over fresh passwords.
    for pw in ["bench pässword ✓", ""] {
        // PBKDF2-SHA256 at 600 000 rounds would add a minute; the PBKDF2 vectors above cover it.
        for c in authferry_hash::bench_cases(pw)
            .into_iter()
            .filter(|c| !c.name.starts_with("pbkdf2"))
        {
            v.push(Vector {
                source: format!("bench {}", c.name),
                hasher: c.hasher.map(str::to_string),
                params: c.params,
                digest: c.digest,
                password: pw.to_string(),
                expect: None,
            });
        }
    }
    v
}

fn ext(params: &Value) -> ExtParams {
    match params {
        Value::Object(m) => ExtParams::from_json(m).expect("valid parameters"),
        _ => ExtParams::default(),
    }
}

/// Random passwords hashed by the platforms' own libraries (tests/oracles), a few per format.
fn oracle_vectors() -> Vec<Vector> {
    let oracles = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oracles");
    let required = std::env::var("AUTHFERRY_ORACLES_REQUIRED").is_ok_and(|v| v == "1");
    let unavailable = |why: &str| {
        if required {
            panic!("AUTHFERRY_ORACLES_REQUIRED=1 but the password-hash oracles are missing: {why}");
        }
        eprintln!(
            "better_auth_verify_module: no oracle vectors ({why}); known-answer vectors only"
        );
        Vec::new()
    };
    let Some(py) = std::env::var_os("AUTHFERRY_ORACLE_PYTHON") else {
        return unavailable("AUTHFERRY_ORACLE_PYTHON is not set");
    };
    if !oracles.join("node_modules/@better-auth/utils").is_dir() {
        return unavailable("tests/oracles/node_modules is not installed");
    }
    let seed: u64 = std::env::var("AUTHFERRY_ORACLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
                % 1_000_000
        });
    eprintln!("better_auth_verify_module: oracle seed {seed} (AUTHFERRY_ORACLE_SEED)");
    let mut lines = Vec::new();
    for (prog, script) in [(py.clone(), "oracle.py"), ("node".into(), "oracle.mjs")] {
        let out = Command::new(&prog)
            .arg(script)
            .args(["generate", &seed.to_string(), "1"])
            .current_dir(&oracles)
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("cannot run the {script} oracle: {e}"));
        assert!(out.status.success(), "{script} generate failed");
        lines.extend(
            String::from_utf8(out.stdout)
                .expect("utf-8")
                .lines()
                .map(str::to_string),
        );
    }
    // At most 6 right and 6 wrong cases per (format, oracle).
    let mut taken: BTreeMap<(String, String, bool), usize> = BTreeMap::new();
    let mut v = Vec::new();
    for line in lines {
        let r: Value = serde_json::from_str(&line).expect("oracle output is JSON");
        let (fmt, oracle) = (
            r["format"].as_str().unwrap_or("?").to_string(),
            r["oracle"].as_str().unwrap_or("?").to_string(),
        );
        let expect = r["expect"].as_bool().expect("expect");
        let n = taken
            .entry((fmt.clone(), oracle.clone(), expect))
            .or_default();
        if *n >= 6 {
            continue;
        }
        *n += 1;
        v.push(Vector {
            source: format!("oracle {fmt} ({oracle}) #{}", r["id"]),
            hasher: r["hasher"].as_str().map(str::to_string),
            params: ext(r.get("params").unwrap_or(&json!({}))),
            digest: r["hash"].as_str().expect("hash").to_string(),
            password: r["password"].as_str().expect("password").to_string(),
            expect: Some(expect),
        });
    }
    v
}

/// Every `VerifyModule` format of the better-auth table.
fn module_formats() -> BTreeSet<Format> {
    authferry_hash::table(BETTER_AUTH)
        .expect("better-auth table")
        .rows
        .iter()
        .filter(|r| r.support == Support::VerifyModule)
        .map(|r| r.format)
        .collect()
}

/// One question for the module: does `password` match `stored` (what the engine would write)?
struct Case {
    label: String,
    /// The format authferry identified before re-encoding for better-auth.
    format: Format,
    stored: String,
    password: String,
    expect: bool,
}

fn wrong_passwords(pw: &str) -> Vec<String> {
    let mut out = vec![format!("{pw}x")];
    let mut chars: Vec<char> = pw.chars().collect();
    if let Some(c) = chars.first_mut() {
        *c = if *c == 'a' { 'b' } else { 'a' };
        out.push(chars.into_iter().collect());
    }
    out
}

/// The cases of one vector: the digest (and its re-encodings into every other syntax the
/// module reads) as the engine prepares it for better-auth, with the right and wrong passwords;
/// the expected answer is authferry's Rust verifier's.
fn cases_of(
    v: &Vector,
    formats: &BTreeSet<Format>,
    stats: &mut BTreeMap<String, usize>,
) -> Vec<Case> {
    let params = v.params.clone();
    let Ok(parsed) = parse(&v.digest, v.hasher.as_deref(), &params) else {
        assert!(
            v.expect.is_some(),
            "{}: a known-answer vector does not parse",
            v.source
        );
        *stats
            .entry("oracle digests authferry does not parse".into())
            .or_default() += 1;
        return Vec::new();
    };
    let rust = parsed.verify(&v.password).ok();
    match v.expect {
        None => assert_eq!(
            rust,
            Some(true),
            "{}: authferry rejects a known answer",
            v.source
        ),
        Some(e) if rust != Some(e) => {
            // The hash_oracles test reports these; here the vector is simply not used.
            *stats
                .entry("oracle cases authferry disagrees with".into())
                .or_default() += 1;
            return Vec::new();
        }
        Some(_) => {}
    }
    let mut variants = vec![(parsed.clone(), v.source.clone())];
    // The same hash in every other syntax the module reads (authferry's own encoders), read back
    // as the engine would read it (with the syntax's name as the hasher).
    if rust == Some(true) {
        for &to in formats {
            if to == parsed.format() {
                continue;
            }
            let Ok(text) = parsed.convert(to).and_then(|c| c.encode()) else {
                continue;
            };
            match parse(&text, Some(to.name()), &params) {
                // Not re-verified here (PBKDF2 at 600 000 rounds is slow in a debug build): a
                // wrong re-encoding shows up as the module refusing the right password.
                Ok(p) if p.format() == to => {
                    variants.push((p, format!("{} → {}", v.source, to.name())));
                }
                _ => {
                    *stats
                        .entry("re-encodings that do not read back".into())
                        .or_default() += 1
                }
            }
        }
    }
    // Every variant is the same hash: the verdicts on the altered passwords are computed once.
    let mut pws = vec![(v.password.clone(), v.expect.unwrap_or(true))];
    if v.expect != Some(false) {
        for w in wrong_passwords(&v.password) {
            let e = parsed.verify(&w).expect("verify");
            pws.push((w, e));
        }
    }
    let mut out = Vec::new();
    for (p, label) in variants {
        let prepared = convert_for(BETTER_AUTH, &p).expect("convert_for");
        // With the module configured, better-auth hands it every digest, its own scrypt too.
        if !matches!(prepared.support, Support::VerifyModule | Support::Native) {
            *stats
                .entry(format!("kept from the module: {}", p.format().name()))
                .or_default() += 1;
            continue;
        }
        let stored = prepared
            .reencoded
            .map(|(d, _)| d)
            .unwrap_or_else(|| v.digest.clone());
        let stored = if label == v.source {
            stored
        } else {
            // A variant: its own text, re-encoded again if the table says so.
            match convert_for(BETTER_AUTH, &p).expect("convert_for").reencoded {
                Some((d, _)) => d,
                None => p.encode().expect("encode"),
            }
        };
        for (i, (pw, expect)) in pws.iter().cloned().enumerate() {
            out.push(Case {
                label: format!(
                    "{label} [{}]",
                    if i == 0 {
                        "given password"
                    } else {
                        "altered password"
                    }
                ),
                format: p.format(),
                stored: stored.clone(),
                password: pw,
                expect,
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// running the module

const DRIVER: &str = r#"
import { verify, hash, isNativeHash, rehashOnSignIn } from "./auth-verify.mjs";
import { createInterface } from "node:readline";

// Shape checks that need no digest.
const plugin = rehashOnSignIn();
if (plugin.id !== "authferry-rehash-on-sign-in") throw new Error("plugin id");
const after = plugin.hooks?.after?.[0];
if (!after || !after.matcher({ path: "/sign-in/email" }) || !after.matcher({ path: "/sign-in/username" }) || after.matcher({ path: "/sign-up/email" })) {
  throw new Error("plugin matcher");
}
if (typeof after.handler !== "function") throw new Error("plugin handler");
for (const bad of [null, undefined, 42, {}]) {
  if ((await verify({ hash: bad, password: "x" })) !== false) throw new Error("non-string hash");
  if ((await verify({ hash: "$2b$04$abcdefghijklmnopqrstuu", password: bad })) !== false) throw new Error("non-string password");
}
const native = await hash("a password");
if (!isNativeHash(native) || !(await verify({ hash: native, password: "a password" }))) throw new Error("native");
if (await verify({ hash: native, password: "another" })) throw new Error("native wrong");

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
const jobs = [];
for await (const line of rl) if (line) jobs.push(JSON.parse(line));
const results = new Array(jobs.length);
let next = 0;
async function worker() {
  while (next < jobs.length) {
    const i = next++;
    const { id, hash: h, password } = jobs[i];
    try {
      const ok = await verify({ hash: h, password });
      results[i] = typeof ok === "boolean" ? { id, ok } : { id, notBoolean: true };
    } catch {
      results[i] = { id, threw: true };
    }
  }
}
// node:crypto's scrypt and pbkdf2 run on libuv's thread pool: a few at once.
await Promise.all([worker(), worker(), worker(), worker()]);
process.stdout.write(results.map((r) => JSON.stringify(r)).join("\n") + "\n");
"#;

/// Writes the module with the built binary and runs every `(digest, password)` through it.
/// A directory holding the module `authferry … emit better-auth-verify` writes (as
/// `auth-verify.mjs`, with `emit_args` before `emit`) and the e2e packages beside it.
fn emitted_module(dir: &Path, emit_args: &[&str]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    let module = tmp.path().join("auth-verify.mjs");
    let out = Command::new(env!("CARGO_BIN_EXE_authferry"))
        .args(emit_args)
        .args(["emit", "better-auth-verify", "--out"])
        .arg(&module)
        .output()
        .expect("run authferry emit");
    assert!(
        out.status.success(),
        "authferry emit better-auth-verify failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::os::unix::fs::symlink(dir.join("node_modules"), tmp.path().join("node_modules"))
        .expect("symlink node_modules");
    tmp
}

fn run_module(dir: &Path, inputs: &[(String, String)]) -> Vec<Value> {
    let tmp = emitted_module(dir, &[]);
    std::fs::write(tmp.path().join("driver.mjs"), DRIVER).expect("write driver");
    let mut child = Command::new("node")
        .arg("driver.mjs")
        .current_dir(tmp.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn node");
    let mut stdin = child.stdin.take().expect("stdin");
    let input: String = inputs
        .iter()
        .enumerate()
        .map(|(i, (h, p))| json!({"id": i, "hash": h, "password": p}).to_string() + "\n")
        .collect();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("node");
    writer.join().expect("writer");
    // The driver prints no secret; its stderr could (a stack trace), so only its status and
    // first line are shown, with anything that looks like an input removed.
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let mut first = err
            .lines()
            .find(|l| l.contains("Error"))
            .unwrap_or("")
            .to_string();
        for (h, p) in inputs {
            for s in [h, p] {
                if s.len() >= 4 {
                    first = first.replace(s.as_str(), "[redacted]");
                }
            }
        }
        panic!(
            "the verify module's driver failed ({}): {first}",
            out.status
        );
    }
    let results: Vec<Value> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("driver output is JSON"))
        .collect();
    assert_eq!(results.len(), inputs.len(), "one answer per question");
    results
}

// ---------------------------------------------------------------------------------------------
// the test

/// Digests the module cannot read: each must be `false`, never an exception.
fn unreadable() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        "$",
        "$$$$",
        "{SSHA}",
        "{SSHA}!!!!",
        "{CRYPT}",
        "{PBKDF2}x$y$z",
        "$2b$04$short",
        "$2b$99$abcdefghijklmnopqrstuuplyOA/yggp3uDOFweBlaokYQ36s6xTW",
        "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA",
        "$argon2id$v=19$m=99999999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
        "$scrypt$ln=99,r=8,p=1$c2FsdA$aGFzaA",
        "$scrypt$ln=40,r=8,p=1$c2FsdA$aGFzaA",
        "$scrypt$ln=x,r=8,p=1$c2FsdA$aGFzaA",
        "scrypt:3:8:1$salt$abcd",
        "$fbscrypt$v=1,n=99,r=8,p=1,ss=,sk=AA==$AA==$AA==",
        "$fbscrypt$v=2$x$y",
        "$pbkdf2-sha256$i=0,l=32$c2FsdA$aGFzaA",
        "$pbkdf2-md4$i=1,l=16$c2FsdA$aGFzaA",
        "$pbkdf2-nope$i=1,l=4$c2FsdA$aGFzaA",
        "pbkdf2:sha999:1000$salt$abcd",
        "pbkdf2_sha256$abc$salt$aGFzaA==",
        "$P$Bshort",
        "$S$short",
        "$1$",
        "$5$rounds=abc$salt$hash",
        "$6$salt",
        "$hmac-sha256$!!$!!",
        "$sha256$pf=e1NBTFR9$c2FsdA==$aGFzaA==",
        "sambaNTPassword: zz",
        "ipaNTHash: ****",
        "sha512_symfony$0$salt$aGFzaA==",
        "hmac_sha256_utf16_b64$",
        "0123456789abcdef0123456789abcdef0",
        "awscognito#pool#client#id",
        "$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e",
        "not a digest at all",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("x".repeat(100_000));
    v
}

#[test]
fn the_module_verifies_every_format_the_capability_table_gives_it() {
    let Some(dir) = e2e_dir() else { return };
    let formats = module_formats();
    let t0 = std::time::Instant::now();
    let mut vectors = kat_vectors();
    vectors.extend(oracle_vectors());
    // Both cores: every other vector to each thread (the slow PBKDF2 ones sit together).
    let (cases, stats) = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..2)
            .map(|k| {
                let (vectors, formats) = (&vectors, &formats);
                scope.spawn(move || {
                    let mut stats = BTreeMap::new();
                    let cases: Vec<Case> = vectors
                        .iter()
                        .skip(k)
                        .step_by(2)
                        .flat_map(|v| cases_of(v, formats, &mut stats))
                        .collect();
                    (cases, stats)
                })
            })
            .collect();
        let mut cases = Vec::new();
        let mut stats: BTreeMap<String, usize> = BTreeMap::new();
        for t in threads {
            let (c, s) = t.join().expect("preparing cases");
            cases.extend(c);
            for (k, n) in s {
                *stats.entry(k).or_default() += n;
            }
        }
        (cases, stats)
    });
    eprintln!(
        "better_auth_verify_module: {} cases prepared in {:.1}s",
        cases.len(),
        t0.elapsed().as_secs_f64()
    );
    let mut inputs: Vec<(String, String)> = cases
        .iter()
        .map(|c| (c.stored.clone(), c.password.clone()))
        .collect();
    let bad = unreadable();
    inputs.extend(bad.iter().map(|d| (d.clone(), "password".to_string())));
    let started = std::time::Instant::now();
    let results = run_module(&dir, &inputs);
    eprintln!(
        "better_auth_verify_module: node answered {} questions in {:.1}s",
        inputs.len(),
        started.elapsed().as_secs_f64()
    );

    let mut failures = Vec::new();
    let mut verified: BTreeMap<Format, usize> = BTreeMap::new();
    let mut refused: BTreeMap<Format, usize> = BTreeMap::new();
    for (i, c) in cases.iter().enumerate() {
        let r = &results[i];
        if r["threw"] == true || r["notBoolean"] == true {
            failures.push(format!(
                "{} ({}): the module threw or returned a non-boolean",
                c.label,
                c.format.name()
            ));
            continue;
        }
        let ok = r["ok"].as_bool().expect("ok");
        if ok != c.expect {
            failures.push(format!(
                "{} ({}): module says {ok}, authferry says {}",
                c.label,
                c.format.name(),
                c.expect
            ));
        } else if ok {
            *verified.entry(c.format).or_default() += 1;
        } else {
            *refused.entry(c.format).or_default() += 1;
        }
    }
    for (i, _) in bad.iter().enumerate() {
        let r = &results[cases.len() + i];
        if r["ok"] != false {
            failures.push(format!(
                "unreadable digest #{i}: the module did not answer false"
            ));
        }
    }
    // The table and the module agree: every VerifyModule format has a digest the module
    // verified, and a wrong password it refused.
    for f in &formats {
        if !verified.contains_key(f) {
            failures.push(format!(
                "{}: marked VerifyModule, but no digest of it verified",
                f.name()
            ));
        }
        if !refused.contains_key(f) {
            failures.push(format!(
                "{}: marked VerifyModule, but no wrong password was refused",
                f.name()
            ));
        }
    }
    eprintln!(
        "better_auth_verify_module: {} cases over {} formats, {} unreadable digests; {:?}",
        cases.len(),
        verified.len(),
        bad.len(),
        stats
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn formats_outside_the_table_are_not_given_to_the_module() {
    // What the module cannot do, the table must not promise (these users need a reset or a
    // trickle migration; `authferry plan` says so).
    for (digest, hasher, params) in [
        (
            "$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e",
            None,
            json!({}),
        ),
        (
            "$argon2id$v=19$m=65536,t=2,p=1,keyid=a2V5$c29tZXNhbHQ$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ",
            None,
            json!({}),
        ),
        (
            "$hmac-md4$MWQ5ZTI4Nzc2Zjg4YmE2MTQ5YjQ0OTMyOGE4NWU4YjA=$MTIzNDU=",
            None,
            json!({}),
        ),
        ("awscognito#eu-west-1_abc#client#user", None, json!({})),
        // A SuperTokens Firebase hash without the project's signer key.
        (
            "$f_scrypt$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$m=14$r=8$s=Bw==",
            None,
            json!({}),
        ),
        // A keyed HMAC with a salt: no syntax the module reads carries both.
        (
            "c5ba28a34e5d8db5c6e5d5b1f6a1c5b2b1a7cfc5e0f5a2c8b6d7e4f3a2b1c0d9",
            Some("hmac_sha256"),
            json!({"hmac_key": "k", "salt": "NaCl", "salt_position": "suffix"}),
        ),
    ] {
        let p = parse(digest, hasher, &ext(&params)).expect("parses");
        let prepared = convert_for(BETTER_AUTH, &p).expect("convert_for");
        assert_eq!(
            prepared.support,
            Support::Unverifiable,
            "{} must not be given to the module",
            p.format().name()
        );
    }
    assert_eq!(
        capability(BETTER_AUTH, Format::AwsCognito),
        Support::Unverifiable
    );
}

/// Runs `script` (an ES module importing `./auth-verify.mjs`) next to a module emitted with
/// `emit_args`, with a 120 s limit; returns its standard output.
fn run_script(dir: &Path, emit_args: &[&str], script: &str) -> String {
    let tmp = emitted_module(dir, emit_args);
    std::fs::write(tmp.path().join("script.mjs"), script).expect("write script");
    let out = Command::new("timeout")
        .args(["120", "node", "script.mjs"])
        .current_dir(tmp.path())
        .output()
        .expect("node");
    assert!(
        out.status.success(),
        "node failed or ran over 120 s ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .find(|l| l.contains("Error"))
            .unwrap_or("")
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Issue 9 item 10: digests asking for days of work or gigabytes are refused at once (the
/// budget authferry emitted the module with), and an expensive digest within the budget
/// leaves the event loop free while it is checked (other callbacks run meanwhile).
#[test]
fn expensive_digests_are_refused_or_checked_without_blocking_the_event_loop() {
    let Some(dir) = e2e_dir() else { return };
    const SHA512_CRYPT_200K: &str = "$6$rounds=200000$saltsaltsaltsalt$5olQkjlHnSU2GCn9H9k/q51jDosazfVxQRge5aPQKmZad2FVsnJEHgb5sa67aeQUfkUbre3GfyJv4AlJ0UYHD.";
    // The vector is real: authferry's own verifier agrees.
    assert_eq!(
        authferry_hash::verify(SHA512_CRYPT_200K, None, "hello"),
        Ok(true)
    );
    let hostile = [
        "$2b$31$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
        "$6$rounds=999999999$somesalt$yTHu7TjwBq6uhmS86azFYGlTRS5C4LPnlrLCzWb0xv5HHXiWjK5LFC0ETx8ri4AGM4Zx8/A3Ppp37QDUpyvAj/",
        "$argon2id$v=19$m=65536,t=4294967295,p=1$c29tZXNhbHRzb21lc2FsdA$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZQ",
        "$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZQ",
        "$P$S12345678KgQEaGyjbH2CMNDYJt8S51",
        "pbkdf2_sha256$4000000000$c29tZXNhbHQ$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZWV4YW0=",
        "sha512_symfony$4000000000$salt$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZWV4YW1wbGVleGFtcGxl",
        "$scrypt$ln=30,r=8,p=1$c29tZXNhbHQ$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZWV4YW0",
    ];
    let script = format!(
        r#"
import {{ verify }} from "./auth-verify.mjs";
import {{ argon2id }} from "hash-wasm";
// Counts how often the event loop gets to run something else while `work` is pending.
async function ticksDuring(work) {{
  let ticks = 0, done = false;
  const spin = () => {{ if (!done) {{ ticks++; setImmediate(spin); }} }};
  setImmediate(spin);
  const ok = await work;
  done = true;
  return {{ ok, ticks }};
}}
const out = {{}};
out.hostile = [];
for (const hash of {hostile}) out.hostile.push(await verify({{ hash, password: "hello" }}));
out.shaCrypt = await ticksDuring(verify({{ hash: {sha}, password: "hello" }}));
const argon = await argon2id({{ password: "hello", salt: new Uint8Array(16).fill(7), iterations: 3, parallelism: 1, memorySize: 65536, hashLength: 32, outputType: "encoded" }});
out.argon2 = await ticksDuring(verify({{ hash: argon, password: "hello" }}));
out.argon2Wrong = await verify({{ hash: argon, password: "hellO" }});
out.bcrypt10 = await verify({{ hash: "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K", password: "hello" }});
console.log(JSON.stringify(out));
"#,
        hostile = serde_json::to_string(&hostile).unwrap(),
        sha = serde_json::to_string(SHA512_CRYPT_200K).unwrap(),
    );
    let out: Value = serde_json::from_str(run_script(&dir, &[], &script).trim()).unwrap();
    assert_eq!(out["hostile"], json!(vec![false; hostile.len()]), "{out}");
    assert_eq!(out["shaCrypt"]["ok"], true, "{out}");
    // 200 000 rounds yield every 16 384: a blocking loop would let nothing run meanwhile.
    assert!(out["shaCrypt"]["ticks"].as_u64().unwrap() >= 10, "{out}");
    assert_eq!(out["argon2"]["ok"], true, "{out}");
    assert!(out["argon2"]["ticks"].as_u64().unwrap() >= 2, "{out}");
    assert_eq!(out["argon2Wrong"], false, "{out}");
    assert_eq!(out["bcrypt10"], true, "{out}");

    // The budget is the one authferry was run with: 1 ms refuses even bcrypt cost 10.
    let tight = run_script(
        &dir,
        &["--max-hash-seconds", "0.001"],
        r#"
import { verify } from "./auth-verify.mjs";
console.log(JSON.stringify(await verify({ hash: "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K", password: "hello" })));
"#,
    );
    assert_eq!(tight.trim(), "false");
}
