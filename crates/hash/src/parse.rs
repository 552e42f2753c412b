//! From strings to [`Kdf`]s and back: shape detection, one parser and one encoder per format.
//!
//! Error messages name the format and what is wrong, never the digest or a part of it.

use crate::algo::DigestAlg;
use crate::b64;
use crate::error::HashError;
use crate::format::Format;
use crate::kdf::*;
use crate::params::ExtParams;

type R<T> = Result<T, HashError>;

fn bad<T>(f: Format, what: impl Into<String>) -> R<T> {
    Err(HashError::malformed(f.name(), what))
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
    {
        Some(&s[prefix.len()..])
    } else {
        None
    }
}

fn is_b64ish(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
}

fn is_bcrypt_shape(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 60
        && b.starts_with(b"$2")
        && matches!(b[2], b'a' | b'b' | b'x' | b'y')
        && b[3] == b'$'
        && b[4].is_ascii_digit()
        && b[5].is_ascii_digit()
        && b[6] == b'$'
        && b[7..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'.' || *c == b'/')
}

/// The format a digest's shape says, without any hint.
pub fn detect(s: &str) -> Option<Format> {
    use Format::*;
    let b = s.as_bytes();
    if is_bcrypt_shape(s) {
        return Some(Bcrypt);
    }
    if b.len() > 61 && b[60] == b'$' && s.is_char_boundary(60) && is_bcrypt_shape(&s[..60]) {
        return Some(BcryptPeppered);
    }
    let prefixed: &[(&str, Format)] = &[
        ("$wp$2", WordPressBcrypt),
        ("bcrypt$$2", DjangoBcrypt),
        ("bcrypt_sha256$$2", DjangoBcryptSha256),
        ("$bcrypt-sha256$", PasslibBcryptSha256),
        ("$argon2id$", Argon2id),
        ("$argon2i$", Argon2i),
        ("$argon2d$", Argon2d),
        ("argon2$argon2", DjangoArgon2),
        ("$7$", ScryptMcf),
        ("$fbscrypt$", SupabaseFirebaseScrypt),
        ("$f_scrypt$", SuperTokensFirebaseScrypt),
        ("$firescrypt$", KratosFirebaseScrypt),
        ("scrypt:", WerkzeugScrypt),
        ("pbkdf2:", WerkzeugPbkdf2),
        ("pbkdf2_sha256$", DjangoPbkdf2Sha256),
        ("pbkdf2_sha1$", DjangoPbkdf2Sha1),
        ("pbkdf2_sha512_hex$", ClerkPbkdf2Sha512Hex),
        ("pbkdf2_sha512$", ClerkPbkdf2Sha512),
        ("$P$", Phpass),
        ("$H$", Phpass),
        ("$S$", Drupal7),
        ("U$S$", Drupal7),
        ("$1$", Md5Crypt),
        ("$apr1$", Md5Crypt),
        ("$md5-crypt$", Md5Crypt),
        ("$5$", Sha256Crypt),
        ("$sha256-crypt$", Sha256Crypt),
        ("$6$", Sha512Crypt),
        ("$sha512-crypt$", Sha512Crypt),
        ("md5$", DjangoMd5),
        ("sha1$", DjangoSha1),
        ("sha512_symfony$", SymfonySha512),
        ("hmac_sha256_utf16_b64$", ClerkHmacSha256Utf16),
        ("$hmac-", KratosHmac),
        ("$md5$", KratosDigest),
        ("$sha1$pf=", KratosDigest),
        ("$sha256$pf=", KratosDigest),
        ("$sha512$pf=", KratosDigest),
        ("ipaNTHash:", NtHash),
        ("sambaNTPassword:", NtHash),
        ("awscognito#", AwsCognito),
    ];
    for (p, f) in prefixed {
        if s.starts_with(p) {
            return Some(*f);
        }
    }
    if let Some(rest) = s.strip_prefix("$scrypt$ln=") {
        let ln: u64 = rest.split([',', '$']).next()?.parse().ok()?;
        return Some(if ln > 63 { KratosScrypt } else { ScryptPhc });
    }
    if s.starts_with("scrypt$") && s.as_bytes().get(7).is_some_and(|c| c.is_ascii_digit()) {
        return Some(DjangoScrypt);
    }
    if s.starts_with("$pbkdf2-") && s.contains("$i=") {
        return Some(PhcPbkdf2);
    }
    if s.starts_with("$pbkdf2$") || s.starts_with("$pbkdf2-") {
        return Some(PasslibPbkdf2);
    }
    if let Some(rest) = s.strip_prefix('{') {
        let scheme = rest.split('}').next()?.to_ascii_uppercase();
        return match scheme.as_str() {
            "ARGON2" => Some(LdapArgon2),
            "SSHA" => Some(LdapSsha),
            "CRYPT" => Some(LdapCrypt),
            "SHA" | "SHA256" | "SHA384" | "SHA512" | "SSHA256" | "SSHA384" | "SSHA512" | "MD5"
            | "SMD5" => Some(LdapDigest),
            s if s.starts_with("PBKDF2") => Some(LdapPbkdf2),
            _ => None,
        };
    }
    if b.len() == 161
        && b[32] == b':'
        && b[..32].iter().all(|c| c.is_ascii_hexdigit())
        && b[33..].iter().all(|c| c.is_ascii_hexdigit())
    {
        return Some(BetterAuthScrypt);
    }
    let parts: Vec<&str> = s.split('$').collect();
    if parts.len() == 6
        && parts[..3].iter().all(|p| is_b64ish(p))
        && (parts[3].is_empty() || is_b64ish(parts[3]))
        && parts[4..]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
    {
        return Some(ClerkFirebaseScrypt);
    }
    if b64::is_hex(s) {
        return match s.len() {
            32 => Some(Md5Hex),
            40 => Some(Sha1Hex),
            64 => Some(Sha256Hex),
            128 => Some(Sha512Hex),
            _ => None,
        };
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Parsers

fn parse_u32(f: Format, s: &str, what: &str) -> R<u32> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return bad(f, format!("{what} is not a number"));
    }
    s.parse()
        .or_else(|_| bad(f, format!("{what} is too large")))
}

fn need_b64(f: Format, s: &str, what: &str) -> R<Vec<u8>> {
    b64::std_decode(s).map_or_else(|| bad(f, format!("{what} is not base64")), Ok)
}

fn need_hex(f: Format, s: &str, what: &str) -> R<Vec<u8>> {
    if s.is_empty() {
        return bad(f, format!("{what} is empty"));
    }
    b64::hex_decode(s).map_or_else(|| bad(f, format!("{what} is not hex")), Ok)
}

fn need_nonempty(f: Format, v: Vec<u8>, what: &str) -> R<Vec<u8>> {
    if v.is_empty() {
        bad(f, format!("{what} is empty"))
    } else {
        Ok(v)
    }
}

/// `n` must be a power of two ≥ 2; returns log2.
fn log2_of(f: Format, n: u64) -> R<u8> {
    if n < 2 || !n.is_power_of_two() {
        return bad(f, "scrypt N is not a power of two");
    }
    Ok(n.trailing_zeros() as u8)
}

fn parse_bcrypt_str(f: Format, s: &str) -> R<BcryptHash> {
    let b = s.as_bytes();
    if b.len() != 60 {
        return bad(
            f,
            format!("bcrypt string has {} characters, expected 60", b.len()),
        );
    }
    if !s.is_ascii() {
        return bad(f, "bcrypt string has non-ASCII characters");
    }
    if !(b.starts_with(b"$2") && b[3] == b'$' && b[6] == b'$') {
        return bad(f, "expected `$2?$NN$` followed by 53 characters");
    }
    let minor = b[2];
    if !matches!(minor, b'a' | b'b' | b'x' | b'y') {
        return bad(f, "unknown bcrypt version letter");
    }
    let cost = parse_u32(f, &s[4..6], "cost")?;
    if !(4..=31).contains(&cost) {
        return bad(f, format!("cost {cost} is outside 4–31"));
    }
    let (salt_str, hash_str) = (&s[7..29], &s[29..]);
    let salt = b64::bcrypt_decode(salt_str)
        .filter(|v| v.len() == 16)
        .map_or_else(|| bad(f, "salt is not 22 bcrypt-base64 characters"), Ok)?;
    let hash = b64::bcrypt_decode(hash_str)
        .filter(|v| v.len() == 23)
        .map_or_else(|| bad(f, "checksum is not 31 bcrypt-base64 characters"), Ok)?;
    Ok(BcryptHash {
        minor,
        cost,
        salt_str: salt_str.to_string(),
        salt: salt.try_into().expect("16 bytes"),
        hash_str: hash_str.to_string(),
        hash: hash.try_into().expect("23 bytes"),
        prehash: Prehash::None,
    })
}

/// `$argon2<x>$[v=NN$]m=..,t=..,p=..[,keyid=..][,data=..]$salt$hash`
fn parse_argon2_phc(f: Format, s: &str) -> R<Argon2Hash> {
    let parts: Vec<&str> = s.split('$').collect();
    if parts.len() < 5 || !parts[0].is_empty() {
        return bad(
            f,
            "expected `$argon2<variant>$v=..$m=..,t=..,p=..$salt$hash`",
        );
    }
    let alg = match parts[1] {
        "argon2id" => Argon2Alg::Id,
        "argon2i" => Argon2Alg::I,
        "argon2d" => Argon2Alg::D,
        _ => return bad(f, "unknown Argon2 variant"),
    };
    let (version, version_explicit, rest) = match parts[2].strip_prefix("v=") {
        Some(v) => (parse_u32(f, v, "version")?, true, &parts[3..]),
        None => (0x10, false, &parts[2..]),
    };
    if version != 0x10 && version != 0x13 {
        return bad(f, format!("version {version} is neither 16 nor 19"));
    }
    if rest.len() != 3 {
        return bad(f, "expected parameters, salt and hash after the variant");
    }
    let (mut m, mut t, mut p, mut keyid, mut data) = (None, None, None, None, None);
    for kv in rest[0].split(',') {
        let Some((k, v)) = kv.split_once('=') else {
            return bad(f, "parameter without `=`");
        };
        match k {
            "m" => m = Some(parse_u32(f, v, "m")?),
            "t" => t = Some(parse_u32(f, v, "t")?),
            "p" => p = Some(parse_u32(f, v, "p")?),
            "keyid" => keyid = Some(need_b64(f, v, "keyid")?),
            "data" => data = Some(need_b64(f, v, "data")?),
            _ => return bad(f, "unknown parameter"),
        }
    }
    let (Some(m), Some(t), Some(p)) = (m, t, p) else {
        return bad(f, "m, t and p are all required");
    };
    if t == 0 || p == 0 || m < 8 * p {
        return bad(f, "m must be at least 8·p, t and p at least 1");
    }
    let salt = need_nonempty(f, need_b64(f, rest[1], "salt")?, "salt")?;
    let hash = need_b64(f, rest[2], "hash")?;
    if hash.len() < 4 {
        return bad(f, "hash is shorter than 4 bytes");
    }
    Ok(Argon2Hash {
        alg,
        version,
        version_explicit,
        m,
        t,
        p,
        keyid,
        data,
        salt,
        hash,
    })
}

fn argon2_format(a: &Argon2Hash) -> Format {
    match a.alg {
        Argon2Alg::I => Format::Argon2i,
        Argon2Alg::D => Format::Argon2d,
        Argon2Alg::Id => Format::Argon2id,
    }
}

/// The signer key and salt separator given as parameters.
type KeyAndSeparator = (Option<Vec<u8>>, Option<Vec<u8>>);

fn parse_firebase_common(f: Format, ext: &ExtParams) -> R<KeyAndSeparator> {
    let key = ext
        .signer_key
        .as_deref()
        .map(|k| need_b64(f, k, "signer_key parameter"))
        .transpose()?;
    let sep = ext
        .salt_separator
        .as_deref()
        .map(|k| need_b64(f, k, "salt_separator parameter"))
        .transpose()?;
    Ok((key, sep))
}

fn check_firebase(f: Format, h: &FirebaseHash) -> R<()> {
    if !(1..=32).contains(&h.rounds) {
        return bad(f, "rounds must be 1–32");
    }
    if !(1..=30).contains(&h.mem_cost) {
        return bad(f, "memory cost must be 1–30");
    }
    if h.p == 0 {
        return bad(f, "p must be at least 1");
    }
    if h.hash.is_empty() {
        return bad(f, "hash is empty");
    }
    Ok(())
}

fn ext_salt(f: Format, ext: &ExtParams, default_encoding: &str) -> R<Option<Vec<u8>>> {
    let Some(s) = &ext.salt else { return Ok(None) };
    let enc = ext.salt_encoding.as_deref().unwrap_or(default_encoding);
    Ok(Some(match enc.to_ascii_lowercase().as_str() {
        "base64" | "b64" => need_b64(f, s, "salt parameter")?,
        "hex" => need_hex(f, s, "salt parameter")?,
        "utf8" | "utf-8" | "ascii" | "raw" => s.as_bytes().to_vec(),
        _ => return bad(f, "salt_encoding must be base64, hex or utf8"),
    }))
}

fn ext_position(f: Format, ext: &ExtParams) -> R<SaltPosition> {
    match ext
        .salt_position
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("prefix") | Some("salt_first") | Some("before") => Ok(SaltPosition::Prefix),
        Some("suffix") | Some("password_first") | Some("after") => Ok(SaltPosition::Suffix),
        Some(_) => bad(f, "salt_position must be prefix or suffix"),
    }
}

/// A digest given as hex or as base64 of `len` bytes.
fn digest_bytes(f: Format, s: &str, alg: DigestAlg) -> R<Vec<u8>> {
    let v = if s.len() == alg.len() * 2 && b64::is_hex(s) {
        b64::hex_decode(s)
    } else {
        b64::std_decode(s)
    };
    match v {
        Some(v) if v.len() == alg.len() => Ok(v),
        _ => bad(
            f,
            format!(
                "expected a {} digest of {} bytes in hex or base64",
                alg.name(),
                alg.len()
            ),
        ),
    }
}

fn parse_pbkdf2_iter_salt_hash(
    f: Format,
    alg: DigestAlg,
    rest: &str,
    salt_dec: impl Fn(&str) -> Option<Vec<u8>>,
    hash_dec: impl Fn(&str) -> Option<Vec<u8>>,
) -> R<Kdf> {
    let parts: Vec<&str> = rest.split('$').collect();
    if parts.len() != 3 {
        return bad(f, "expected `<iterations>$<salt>$<hash>`");
    }
    let iterations = parse_u32(f, parts[0], "iteration count")?;
    if iterations == 0 {
        return bad(f, "iteration count is 0");
    }
    let salt = salt_dec(parts[1]).map_or_else(|| bad(f, "salt does not decode"), Ok)?;
    let hash = hash_dec(parts[2])
        .filter(|h| !h.is_empty())
        .map_or_else(|| bad(f, "hash does not decode"), Ok)?;
    Ok(Kdf::Pbkdf2(Pbkdf2Hash {
        alg,
        iterations,
        salt,
        hash,
    }))
}

/// Parses `s` as `f`. `ext` supplies what the source keeps outside the digest.
pub fn parse_as(f: Format, s: &str, ext: &ExtParams) -> R<Kdf> {
    let mut kdf = parse_as_inner(f, s, ext)?;
    // An unsalted digest has no salt position: one canonical form.
    match &mut kdf {
        Kdf::Digest(d) if d.salt.is_empty() => d.position = SaltPosition::Prefix,
        Kdf::Hmac(h) if h.salt.is_empty() => h.position = SaltPosition::Prefix,
        _ => {}
    }
    Ok(kdf)
}

fn parse_as_inner(f: Format, s: &str, ext: &ExtParams) -> R<Kdf> {
    use Format::*;
    match f {
        Bcrypt => Ok(Kdf::Bcrypt(parse_bcrypt_str(f, s)?)),
        DjangoBcrypt | DjangoBcryptSha256 | WordPressBcrypt => {
            let (prefix, prehash) = match f {
                DjangoBcrypt => ("bcrypt$", Prehash::None),
                DjangoBcryptSha256 => ("bcrypt_sha256$", Prehash::DjangoSha256Hex),
                _ => ("$wp", Prehash::WordPress),
            };
            let Some(rest) = s.strip_prefix(prefix) else {
                return bad(f, format!("expected the `{prefix}` prefix"));
            };
            let mut b = parse_bcrypt_str(f, rest)?;
            b.prehash = prehash;
            Ok(Kdf::Bcrypt(b))
        }
        PasslibBcryptSha256 => {
            let Some(rest) = s.strip_prefix("$bcrypt-sha256$") else {
                return bad(f, "expected the `$bcrypt-sha256$` prefix");
            };
            let parts: Vec<&str> = rest.split('$').collect();
            if parts.len() != 3 {
                return bad(f, "expected `<ident>$<salt>$<checksum>`");
            }
            let (minor, cost, prehash) = if let Some(v2) = parts[0].strip_prefix("v=2,") {
                let (mut t, mut r) = (None, None);
                for kv in v2.split(',') {
                    match kv.split_once('=') {
                        Some(("t", v)) => t = Some(v),
                        Some(("r", v)) => r = Some(parse_u32(f, v, "rounds")?),
                        _ => return bad(f, "unknown v2 parameter"),
                    }
                }
                match (t, r) {
                    (Some(t), Some(r)) if t.len() == 2 && t.starts_with('2') => {
                        (t.as_bytes()[1], r, Prehash::PasslibV2)
                    }
                    _ => return bad(f, "v2 needs t=2a|2b and r=<cost>"),
                }
            } else {
                let Some((t, r)) = parts[0].split_once(',') else {
                    return bad(f, "expected `2a,<cost>` or `v=2,t=..,r=..`");
                };
                if t.len() != 2 || !t.starts_with('2') {
                    return bad(f, "unknown bcrypt version");
                }
                (
                    t.as_bytes()[1],
                    parse_u32(f, r, "rounds")?,
                    Prehash::PasslibV1,
                )
            };
            if !(4..=31).contains(&cost) {
                return bad(f, "cost is outside 4–31");
            }
            let inner = format!("$2{}${:02}${}{}", minor as char, cost, parts[1], parts[2]);
            let mut b = parse_bcrypt_str(f, &inner)?;
            b.prehash = prehash;
            Ok(Kdf::Bcrypt(b))
        }
        BcryptPeppered => {
            let (head, pepper) =
                if s.len() > 60 && s.is_char_boundary(60) && s.as_bytes()[60] == b'$' {
                    (&s[..60], s[61..].to_string())
                } else if let Some(p) = &ext.pepper {
                    (s, p.clone())
                } else {
                    return bad(f, "expected `<60-character bcrypt>$<pepper>`");
                };
            let mut b = parse_bcrypt_str(f, head)?;
            b.prehash = Prehash::Pepper(pepper);
            Ok(Kdf::Bcrypt(b))
        }
        Argon2i | Argon2d | Argon2id => {
            let a = parse_argon2_phc(f, s)?;
            if argon2_format(&a) != f {
                return bad(f, "the string names another Argon2 variant");
            }
            Ok(Kdf::Argon2(a))
        }
        DjangoArgon2 => match s.strip_prefix("argon2") {
            Some(rest) if rest.starts_with("$argon2") => {
                Ok(Kdf::Argon2(parse_argon2_phc(f, rest)?))
            }
            _ => bad(f, "expected `argon2$argon2<variant>$…`"),
        },
        LdapArgon2 => match strip_prefix_ci(s, "{ARGON2}") {
            Some(rest) => Ok(Kdf::Argon2(parse_argon2_phc(f, rest)?)),
            None => bad(f, "expected the `{ARGON2}` scheme"),
        },
        ScryptPhc | KratosScrypt => {
            let Some(rest) = s.strip_prefix("$scrypt$") else {
                return bad(f, "expected the `$scrypt$` prefix");
            };
            let parts: Vec<&str> = rest.split('$').collect();
            if parts.len() != 3 {
                return bad(f, "expected `ln=..,r=..,p=..$<salt>$<hash>`");
            }
            let (mut ln, mut r, mut p) = (None, None, None);
            for kv in parts[0].split(',') {
                match kv.split_once('=') {
                    Some(("ln", v)) => ln = Some(parse_u32(f, v, "ln")?),
                    Some(("r", v)) => r = Some(parse_u32(f, v, "r")?),
                    Some(("p", v)) => p = Some(parse_u32(f, v, "p")?),
                    _ => return bad(f, "unknown parameter"),
                }
            }
            let (Some(ln), Some(r), Some(p)) = (ln, r, p) else {
                return bad(f, "ln, r and p are all required");
            };
            let log_n = if f == KratosScrypt {
                log2_of(f, ln as u64)?
            } else if (1..64).contains(&ln) {
                ln as u8
            } else {
                return bad(f, "ln must be 1–63");
            };
            if r == 0 || p == 0 {
                return bad(f, "r and p must be at least 1");
            }
            let salt = need_b64(f, parts[1], "salt")?;
            let hash = need_nonempty(f, need_b64(f, parts[2], "hash")?, "hash")?;
            Ok(Kdf::Scrypt(ScryptHash {
                log_n,
                r,
                p,
                salt,
                hash,
                nfkc: false,
            }))
        }
        DjangoScrypt => {
            let parts: Vec<&str> = s.split('$').collect();
            if parts.len() != 6 || parts[0] != "scrypt" {
                return bad(f, "expected `scrypt$<N>$<salt>$<r>$<p>$<hash>`");
            }
            let log_n = log2_of(f, parse_u32(f, parts[1], "N")? as u64)?;
            let r = parse_u32(f, parts[3], "r")?;
            let p = parse_u32(f, parts[4], "p")?;
            if r == 0 || p == 0 {
                return bad(f, "r and p must be at least 1");
            }
            let hash = need_nonempty(f, need_b64(f, parts[5], "hash")?, "hash")?;
            Ok(Kdf::Scrypt(ScryptHash {
                log_n,
                r,
                p,
                salt: parts[2].as_bytes().to_vec(),
                hash,
                nfkc: false,
            }))
        }
        WerkzeugScrypt | WerkzeugPbkdf2 => {
            let parts: Vec<&str> = s.split('$').collect();
            if parts.len() != 3 {
                return bad(f, "expected `<method>$<salt>$<hex hash>`");
            }
            let method: Vec<&str> = parts[0].split(':').collect();
            let salt = parts[1].as_bytes().to_vec();
            let hash = need_hex(f, parts[2], "hash")?;
            if f == WerkzeugScrypt {
                if method[0] != "scrypt" {
                    return bad(f, "method is not scrypt");
                }
                let (n, r, p) = match method.len() {
                    1 => (1u64 << 15, 8, 1),
                    4 => (
                        parse_u32(f, method[1], "N")? as u64,
                        parse_u32(f, method[2], "r")?,
                        parse_u32(f, method[3], "p")?,
                    ),
                    _ => return bad(f, "expected `scrypt:<N>:<r>:<p>`"),
                };
                if r == 0 || p == 0 {
                    return bad(f, "r and p must be at least 1");
                }
                Ok(Kdf::Scrypt(ScryptHash {
                    log_n: log2_of(f, n)?,
                    r,
                    p,
                    salt,
                    hash,
                    nfkc: false,
                }))
            } else {
                if method[0] != "pbkdf2" || method.len() != 3 {
                    return bad(f, "expected `pbkdf2:<digest>:<iterations>`");
                }
                let alg =
                    DigestAlg::from_name(method[1]).map_or_else(|| bad(f, "unknown digest"), Ok)?;
                let iterations = parse_u32(f, method[2], "iteration count")?;
                if iterations == 0 {
                    return bad(f, "iteration count is 0");
                }
                Ok(Kdf::Pbkdf2(Pbkdf2Hash {
                    alg,
                    iterations,
                    salt,
                    hash,
                }))
            }
        }
        BetterAuthScrypt => {
            let b = s.as_bytes();
            if !(b.len() == 161 && b[32] == b':') {
                return bad(f, "expected `<32 hex salt>:<128 hex key>`");
            }
            if !b64::is_hex(&s[..32]) {
                return bad(f, "salt is not hex");
            }
            let hash = need_hex(f, &s[33..], "key")?;
            Ok(Kdf::Scrypt(ScryptHash {
                log_n: 14,
                r: 16,
                p: 1,
                salt: s.as_bytes()[..32].to_vec(),
                hash,
                nfkc: true,
            }))
        }
        ScryptMcf => {
            let Some(rest) = s.strip_prefix("$7$") else {
                return bad(f, "expected the `$7$` prefix");
            };
            let Some((setting, hash)) = rest.rsplit_once('$') else {
                return bad(f, "expected `$7$<params><salt>$<hash>`");
            };
            let sb = setting.as_bytes();
            if sb.len() < 11 {
                return bad(f, "parameters are shorter than 11 characters");
            }
            let log_n = b64::itoa64_index(sb[0]).map_or_else(|| bad(f, "bad N character"), Ok)?;
            let r = b64::h64_decode_uint(&sb[1..6]).map_or_else(|| bad(f, "bad r"), Ok)? as u32;
            let p = b64::h64_decode_uint(&sb[6..11]).map_or_else(|| bad(f, "bad p"), Ok)? as u32;
            if log_n == 0 || r == 0 || p == 0 {
                return bad(f, "N, r and p must be at least 1");
            }
            let hash = b64::h64_decode(hash)
                .filter(|h| h.len() == 32)
                .map_or_else(|| bad(f, "hash is not 43 crypt-base64 characters"), Ok)?;
            Ok(Kdf::Scrypt(ScryptHash {
                log_n: log_n as u8,
                r,
                p,
                salt: sb[11..].to_vec(),
                hash,
                nfkc: false,
            }))
        }
        ClerkFirebaseScrypt | FirebaseScrypt => {
            let parts: Vec<&str> = s.split('$').collect();
            let (key_ext, sep_ext) = parse_firebase_common(f, ext)?;
            let h = if parts.len() == 6 {
                FirebaseHash {
                    hash: need_b64(f, parts[0], "hash")?,
                    salt: need_b64(f, parts[1], "salt")?,
                    signer_key: Some(need_nonempty(
                        f,
                        need_b64(f, parts[2], "signer key")?,
                        "signer key",
                    )?),
                    separator: Some(need_b64(f, parts[3], "salt separator")?),
                    rounds: parse_u32(f, parts[4], "rounds")?,
                    mem_cost: parse_u32(f, parts[5], "memory cost")?,
                    p: 1,
                }
            } else if parts.len() == 1 {
                FirebaseHash {
                    hash: need_b64(f, parts[0], "hash")?,
                    salt: ext_salt(f, ext, "base64")?.ok_or(HashError::MissingParam {
                        format: f.name(),
                        param: "salt",
                    })?,
                    signer_key: key_ext,
                    separator: sep_ext,
                    rounds: ext.rounds.ok_or(HashError::MissingParam {
                        format: f.name(),
                        param: "rounds",
                    })?,
                    mem_cost: ext.mem_cost.ok_or(HashError::MissingParam {
                        format: f.name(),
                        param: "mem_cost",
                    })?,
                    p: 1,
                }
            } else {
                return bad(
                    f,
                    "expected `<hash>$<salt>$<signer key>$<salt separator>$<rounds>$<memory cost>`",
                );
            };
            check_firebase(f, &h)?;
            Ok(Kdf::FirebaseScrypt(h))
        }
        SuperTokensFirebaseScrypt => {
            let Some(rest) = s.strip_prefix("$f_scrypt$") else {
                return bad(f, "expected the `$f_scrypt$` prefix");
            };
            let parts: Vec<&str> = rest.split('$').collect();
            if parts.len() != 5 {
                return bad(
                    f,
                    "expected `$f_scrypt$<hash>$<salt>$m=<mem>$r=<rounds>$s=<separator>`",
                );
            }
            let (key_ext, _) = parse_firebase_common(f, ext)?;
            let field = |p: &str, k: &str| -> R<String> {
                p.strip_prefix(k)
                    .map(str::to_string)
                    .map_or_else(|| bad(f, format!("expected `{k}…`")), Ok)
            };
            let h = FirebaseHash {
                hash: need_b64(f, parts[0], "hash")?,
                salt: need_b64(f, parts[1], "salt")?,
                mem_cost: parse_u32(f, &field(parts[2], "m=")?, "memory cost")?,
                rounds: parse_u32(f, &field(parts[3], "r=")?, "rounds")?,
                separator: Some(need_b64(f, &field(parts[4], "s=")?, "salt separator")?),
                signer_key: key_ext,
                p: 1,
            };
            check_firebase(f, &h)?;
            Ok(Kdf::FirebaseScrypt(h))
        }
        SupabaseFirebaseScrypt => {
            let Some(rest) = s.strip_prefix("$fbscrypt$") else {
                return bad(f, "expected the `$fbscrypt$` prefix");
            };
            let parts: Vec<&str> = rest.split('$').collect();
            if parts.len() != 3 {
                return bad(
                    f,
                    "expected `$fbscrypt$v=1,n=..,r=..,p=..,ss=..,sk=..$<salt>$<hash>`",
                );
            }
            let (mut n, mut r, mut p, mut ss, mut sk, mut v) = (None, None, None, None, None, None);
            for kv in parts[0].split(',') {
                match kv.split_once('=') {
                    Some(("v", x)) => v = Some(parse_u32(f, x, "v")?),
                    Some(("n", x)) => n = Some(parse_u32(f, x, "n")?),
                    Some(("r", x)) => r = Some(parse_u32(f, x, "r")?),
                    Some(("p", x)) => p = Some(parse_u32(f, x, "p")?),
                    Some(("ss", x)) => ss = Some(need_b64(f, x, "salt separator")?),
                    Some(("sk", x)) => sk = Some(need_b64(f, x, "signer key")?),
                    _ => return bad(f, "unknown parameter"),
                }
            }
            if v != Some(1) {
                return bad(f, "only v=1 is known");
            }
            let (Some(n), Some(r), Some(p), Some(sk)) = (n, r, p, sk) else {
                return bad(f, "n, r, p and sk are all required");
            };
            let h = FirebaseHash {
                salt: need_b64(f, parts[1], "salt")?,
                hash: need_b64(f, parts[2], "hash")?,
                mem_cost: n,
                rounds: r,
                p,
                separator: ss,
                signer_key: Some(need_nonempty(f, sk, "signer key")?),
            };
            check_firebase(f, &h)?;
            Ok(Kdf::FirebaseScrypt(h))
        }
        KratosFirebaseScrypt => {
            let Some(rest) = s.strip_prefix("$firescrypt$") else {
                return bad(f, "expected the `$firescrypt$` prefix");
            };
            let parts: Vec<&str> = rest.split('$').collect();
            if parts.len() != 5 {
                return bad(
                    f,
                    "expected `$firescrypt$ln=..,r=..,p=..$<salt>$<hash>$<separator>$<signer key>`",
                );
            }
            let (mut ln, mut r, mut p) = (None, None, None);
            for kv in parts[0].split(',') {
                match kv.split_once('=') {
                    Some(("ln", x)) => ln = Some(parse_u32(f, x, "ln")?),
                    Some(("r", x)) => r = Some(parse_u32(f, x, "r")?),
                    Some(("p", x)) => p = Some(parse_u32(f, x, "p")?),
                    _ => return bad(f, "unknown parameter"),
                }
            }
            let (Some(ln), Some(r), Some(p)) = (ln, r, p) else {
                return bad(f, "ln, r and p are all required");
            };
            let h = FirebaseHash {
                salt: need_b64(f, parts[1], "salt")?,
                hash: need_b64(f, parts[2], "hash")?,
                separator: Some(need_b64(f, parts[3], "salt separator")?),
                signer_key: Some(need_nonempty(
                    f,
                    need_b64(f, parts[4], "signer key")?,
                    "signer key",
                )?),
                mem_cost: ln,
                rounds: r,
                p,
            };
            check_firebase(f, &h)?;
            Ok(Kdf::FirebaseScrypt(h))
        }
        DjangoPbkdf2Sha256 | DjangoPbkdf2Sha1 => {
            let (prefix, alg) = if f == DjangoPbkdf2Sha256 {
                ("pbkdf2_sha256$", DigestAlg::Sha256)
            } else {
                ("pbkdf2_sha1$", DigestAlg::Sha1)
            };
            let Some(rest) = s.strip_prefix(prefix) else {
                return bad(f, format!("expected the `{prefix}` prefix"));
            };
            parse_pbkdf2_iter_salt_hash(
                f,
                alg,
                rest,
                |x| Some(x.as_bytes().to_vec()),
                b64::std_decode,
            )
        }
        PasslibPbkdf2 => {
            let (alg, rest) = if let Some(r) = s.strip_prefix("$pbkdf2$") {
                (DigestAlg::Sha1, r)
            } else if let Some(r) = s.strip_prefix("$pbkdf2-") {
                let Some((d, rest)) = r.split_once('$') else {
                    return bad(f, "expected `$pbkdf2-<digest>$…`");
                };
                (
                    DigestAlg::from_name(d).map_or_else(|| bad(f, "unknown digest"), Ok)?,
                    rest,
                )
            } else {
                return bad(f, "expected the `$pbkdf2` prefix");
            };
            parse_pbkdf2_iter_salt_hash(f, alg, rest, b64::ab64_decode, b64::ab64_decode)
        }
        PhcPbkdf2 => {
            let Some(r) = s.strip_prefix("$pbkdf2-") else {
                return bad(f, "expected the `$pbkdf2-` prefix");
            };
            let parts: Vec<&str> = r.split('$').collect();
            if parts.len() != 4 {
                return bad(f, "expected `$pbkdf2-<digest>$i=..,l=..$<salt>$<hash>`");
            }
            let alg =
                DigestAlg::from_name(parts[0]).map_or_else(|| bad(f, "unknown digest"), Ok)?;
            let (mut i, mut l) = (None, None);
            for kv in parts[1].split(',') {
                match kv.split_once('=') {
                    Some(("i", x)) => i = Some(parse_u32(f, x, "i")?),
                    Some(("l", x)) => l = Some(parse_u32(f, x, "l")?),
                    _ => return bad(f, "unknown parameter"),
                }
            }
            let Some(iterations) = i.filter(|i| *i > 0) else {
                return bad(f, "i is required and at least 1");
            };
            let salt = need_b64(f, parts[2], "salt")?;
            let hash = need_nonempty(f, need_b64(f, parts[3], "hash")?, "hash")?;
            if l.is_some_and(|l| l as usize != hash.len()) {
                return bad(f, "l does not match the hash length");
            }
            Ok(Kdf::Pbkdf2(Pbkdf2Hash {
                alg,
                iterations,
                salt,
                hash,
            }))
        }
        LdapPbkdf2 => {
            let Some(rest) = s.strip_prefix('{') else {
                return bad(f, "expected `{PBKDF2…}`");
            };
            let Some((scheme, rest)) = rest.split_once('}') else {
                return bad(f, "unterminated scheme");
            };
            let alg = match scheme.to_ascii_uppercase().as_str() {
                "PBKDF2" | "PBKDF2-SHA1" => DigestAlg::Sha1,
                "PBKDF2-SHA256" => DigestAlg::Sha256,
                "PBKDF2-SHA512" => DigestAlg::Sha512,
                _ => return bad(f, "unknown PBKDF2 scheme"),
            };
            parse_pbkdf2_iter_salt_hash(f, alg, rest, b64::ab64_decode, b64::ab64_decode)
        }
        ClerkPbkdf2Sha1 => {
            let Some(rest) = s.strip_prefix("pbkdf2_sha1$") else {
                return bad(f, "expected the `pbkdf2_sha1$` prefix");
            };
            let parts: Vec<&str> = rest.split('$').collect();
            if parts.len() != 3 && parts.len() != 4 {
                return bad(
                    f,
                    "expected `pbkdf2_sha1$<iterations>$<salt>$<hex hash>[$<key length>]`",
                );
            }
            let iterations = parse_u32(f, parts[0], "iteration count")?;
            if iterations == 0 {
                return bad(f, "iteration count is 0");
            }
            let salt = if b64::is_hex(parts[1]) && parts[1].len().is_multiple_of(2) {
                need_hex(f, parts[1], "salt")?
            } else {
                parts[1].as_bytes().to_vec()
            };
            let hash = need_hex(f, parts[2], "hash")?;
            if parts.len() == 4 && parse_u32(f, parts[3], "key length")? as usize != hash.len() {
                return bad(f, "key length does not match the hash");
            }
            Ok(Kdf::Pbkdf2(Pbkdf2Hash {
                alg: DigestAlg::Sha1,
                iterations,
                salt,
                hash,
            }))
        }
        ClerkPbkdf2Sha256 => match s.strip_prefix("pbkdf2_sha256$") {
            Some(rest) => parse_pbkdf2_iter_salt_hash(
                f,
                DigestAlg::Sha256,
                rest,
                b64::std_decode,
                b64::std_decode,
            ),
            None => bad(f, "expected the `pbkdf2_sha256$` prefix"),
        },
        ClerkPbkdf2Sha512 => match s.strip_prefix("pbkdf2_sha512$") {
            Some(rest) => parse_pbkdf2_iter_salt_hash(
                f,
                DigestAlg::Sha512,
                rest,
                |x| Some(x.as_bytes().to_vec()),
                b64::hex_decode,
            ),
            None => bad(f, "expected the `pbkdf2_sha512$` prefix"),
        },
        ClerkPbkdf2Sha512Hex => match s.strip_prefix("pbkdf2_sha512_hex$") {
            Some(rest) => parse_pbkdf2_iter_salt_hash(
                f,
                DigestAlg::Sha512,
                rest,
                b64::hex_decode,
                b64::hex_decode,
            ),
            None => bad(f, "expected the `pbkdf2_sha512_hex$` prefix"),
        },
        Md5Hex | Sha1Hex | Sha256Hex | Sha512Hex | SaltedDigest => {
            let alg = match f {
                Md5Hex => DigestAlg::Md5,
                Sha1Hex => DigestAlg::Sha1,
                Sha256Hex => DigestAlg::Sha256,
                Sha512Hex => DigestAlg::Sha512,
                _ => {
                    let guess = if b64::is_hex(s) {
                        s.len() / 2
                    } else {
                        b64::std_decode(s).map_or(0, |v| v.len())
                    };
                    DigestAlg::from_len(guess)
                        .map_or_else(|| bad(f, "digest length matches no MD5/SHA-* size"), Ok)?
                }
            };
            let hash = if f == SaltedDigest {
                digest_bytes(f, s, alg)?
            } else {
                if s.len() != alg.len() * 2 {
                    return bad(
                        f,
                        format!("expected {} hex digits, got {}", alg.len() * 2, s.len()),
                    );
                }
                need_hex(f, s, "digest")?
            };
            let salt = ext_salt(f, ext, "utf8")?.unwrap_or_default();
            if f == SaltedDigest && salt.is_empty() {
                return Err(HashError::MissingParam {
                    format: f.name(),
                    param: "salt",
                });
            }
            Ok(Kdf::Digest(DigestHash {
                alg,
                salt,
                position: ext_position(f, ext)?,
                hash,
            }))
        }
        ClerkMd5Salted | ClerkSha256Salted => {
            let alg = if f == ClerkMd5Salted {
                DigestAlg::Md5
            } else {
                DigestAlg::Sha256
            };
            let hexlen = alg.len() * 2;
            let is_h = |x: &str| x.len() == hexlen && b64::is_hex(x);
            let (salt, hash) = match s.split_once('$') {
                Some((a, b)) if is_h(b) => (a, b),
                Some((a, b)) if is_h(a) => (b, a),
                Some(_) => return bad(f, format!("neither side of `$` is {hexlen} hex digits")),
                None => match ext.salt.as_deref() {
                    Some(salt) if is_h(s) => (salt, s),
                    _ => return bad(f, "expected `<salt>$<hex digest>`"),
                },
            };
            Ok(Kdf::Digest(DigestHash {
                alg,
                salt: salt.as_bytes().to_vec(),
                position: ext_position(f, ext)?,
                hash: need_hex(f, hash, "digest")?,
            }))
        }
        DjangoMd5 | DjangoSha1 => {
            let (prefix, alg) = if f == DjangoMd5 {
                ("md5$", DigestAlg::Md5)
            } else {
                ("sha1$", DigestAlg::Sha1)
            };
            let parts: Vec<&str> = s.strip_prefix(prefix).unwrap_or("").split('$').collect();
            if !s.starts_with(prefix) || parts.len() != 2 {
                return bad(f, format!("expected `{prefix}<salt>$<hex>`"));
            }
            let hash = need_hex(f, parts[1], "digest")?;
            if hash.len() != alg.len() {
                return bad(f, "digest has the wrong length");
            }
            Ok(Kdf::Digest(DigestHash {
                alg,
                salt: parts[0].as_bytes().to_vec(),
                position: SaltPosition::Prefix,
                hash,
            }))
        }
        SymfonySha512 => {
            let parts: Vec<&str> = s.split('$').collect();
            if parts.len() != 4 || parts[0] != "sha512_symfony" {
                return bad(
                    f,
                    "expected `sha512_symfony$<iterations>$<salt>$<base64 hash>`",
                );
            }
            let iterations = parse_u32(f, parts[1], "iteration count")?;
            if iterations == 0 {
                return bad(f, "iteration count is 0");
            }
            if parts[2].contains(['{', '}']) {
                return bad(f, "salt contains braces");
            }
            let hash = digest_bytes(f, parts[3], DigestAlg::Sha512)?;
            Ok(Kdf::Symfony(SymfonyHash {
                alg: DigestAlg::Sha512,
                iterations,
                salt: parts[2].to_string(),
                hash,
            }))
        }
        ClerkHmacSha256Utf16 => {
            let parts: Vec<&str> = s.splitn(3, '$').collect();
            if parts.len() != 3 || parts[0] != "hmac_sha256_utf16_b64" {
                return bad(f, "expected `hmac_sha256_utf16_b64$<base64 hash>$<key>`");
            }
            let hash = digest_bytes(f, parts[1], DigestAlg::Sha256)?;
            Ok(Kdf::Hmac(HmacHash {
                alg: DigestAlg::Sha256,
                key: parts[2].as_bytes().to_vec(),
                utf16: true,
                salt: Vec::new(),
                position: SaltPosition::Prefix,
                hash,
            }))
        }
        KratosHmac => {
            let Some(rest) = s.strip_prefix("$hmac-") else {
                return bad(f, "expected the `$hmac-` prefix");
            };
            let parts: Vec<&str> = rest.split('$').collect();
            if parts.len() != 3 {
                return bad(f, "expected `$hmac-<digest>$<hash>$<key>`");
            }
            let alg =
                DigestAlg::from_name(parts[0]).map_or_else(|| bad(f, "unknown digest"), Ok)?;
            let hex_text = need_b64(f, parts[1], "hash")?;
            let hash = std::str::from_utf8(&hex_text)
                .ok()
                .and_then(b64::hex_decode)
                .filter(|h| h.len() == alg.len())
                .map_or_else(|| bad(f, "hash is not base64 of the hex MAC"), Ok)?;
            let key = need_b64(f, parts[2], "key")?;
            Ok(Kdf::Hmac(HmacHash {
                alg,
                key,
                utf16: false,
                salt: Vec::new(),
                position: SaltPosition::Prefix,
                hash,
            }))
        }
        KratosDigest => {
            let parts: Vec<&str> = s.split('$').collect();
            if parts.len() < 3 || !parts[0].is_empty() {
                return bad(
                    f,
                    "expected `$<digest>$pf=<template>$<salt>$<hash>` or `$md5$<hash>`",
                );
            }
            let alg = match parts[1] {
                "md5" => DigestAlg::Md5,
                "sha1" => DigestAlg::Sha1,
                "sha256" => DigestAlg::Sha256,
                "sha512" => DigestAlg::Sha512,
                _ => return bad(f, "unknown digest"),
            };
            let (salt, position, hash) = match parts.len() {
                3 if alg == DigestAlg::Md5 => (Vec::new(), SaltPosition::Prefix, parts[2]),
                5 => {
                    let Some(t) = parts[2].strip_prefix("pf=") else {
                        return bad(f, "expected `pf=<template>`");
                    };
                    let position = match need_b64(f, t, "template")?.as_slice() {
                        b"{SALT}{PASSWORD}" => SaltPosition::Prefix,
                        b"{PASSWORD}{SALT}" => SaltPosition::Suffix,
                        _ => {
                            return Err(HashError::UnsupportedParams {
                                format: f.name(),
                                what: "only the {SALT}{PASSWORD} and {PASSWORD}{SALT} templates are supported".into(),
                            });
                        }
                    };
                    (need_b64(f, parts[3], "salt")?, position, parts[4])
                }
                _ => {
                    return bad(
                        f,
                        "expected `$<digest>$pf=<template>$<salt>$<hash>` or `$md5$<hash>`",
                    );
                }
            };
            let hash = need_b64(f, hash, "hash")?;
            if hash.len() != alg.len() {
                return bad(f, "hash has the wrong length for its digest");
            }
            Ok(Kdf::Digest(DigestHash {
                alg,
                salt,
                position,
                hash,
            }))
        }
        Hmac => {
            let len = if b64::is_hex(s) {
                s.len() / 2
            } else {
                b64::std_decode(s).map_or(0, |v| v.len())
            };
            let alg = DigestAlg::from_len(len)
                .map_or_else(|| bad(f, "MAC length matches no MD5/SHA-* size"), Ok)?;
            let key = match (
                &ext.hmac_key,
                ext.key_encoding
                    .as_deref()
                    .map(str::to_ascii_lowercase)
                    .as_deref(),
            ) {
                (None, _) => {
                    return Err(HashError::MissingParam {
                        format: f.name(),
                        param: "hmac_key",
                    });
                }
                (Some(k), None | Some("utf8") | Some("utf-8")) => k.as_bytes().to_vec(),
                (Some(k), Some("hex")) => need_hex(f, k, "hmac_key parameter")?,
                (Some(k), Some("base64")) => need_b64(f, k, "hmac_key parameter")?,
                _ => return bad(f, "key_encoding must be utf8, hex or base64"),
            };
            Ok(Kdf::Hmac(HmacHash {
                alg,
                key,
                utf16: false,
                salt: ext_salt(f, ext, "utf8")?.unwrap_or_default(),
                position: ext_position(f, ext)?,
                hash: digest_bytes(f, s, alg)?,
            }))
        }
        Phpass => {
            let b = s.as_bytes();
            if b.len() != 34 || !(s.starts_with("$P$") || s.starts_with("$H$")) {
                return bad(f, "expected 34 characters `$P$` or `$H$`");
            }
            let log2 = b64::itoa64_index(b[3]).map_or_else(|| bad(f, "bad count character"), Ok)?;
            if !(7..=30).contains(&log2) {
                return bad(f, "iteration count is outside 2^7–2^30");
            }
            if !b[4..].iter().all(|c| b64::itoa64_index(*c).is_some()) {
                return bad(
                    f,
                    "salt or checksum has characters outside the crypt alphabet",
                );
            }
            Ok(Kdf::Phpass(PhpassHash {
                marker: b[1],
                log2,
                salt: b[4..12].to_vec(),
                hash_str: s[12..].to_string(),
            }))
        }
        Drupal7 => {
            let (md5_prehash, body) = match s.strip_prefix('U') {
                Some(r) => (true, r),
                None => (false, s),
            };
            let b = body.as_bytes();
            if b.len() != 55 || !body.starts_with("$S$") {
                return bad(f, "expected 55 characters `$S$`");
            }
            let log2 = b64::itoa64_index(b[3]).map_or_else(|| bad(f, "bad count character"), Ok)?;
            if !(7..=30).contains(&log2) {
                return bad(f, "iteration count is outside 2^7–2^30");
            }
            if !b[4..].iter().all(|c| b64::itoa64_index(*c).is_some()) {
                return bad(
                    f,
                    "salt or checksum has characters outside the crypt alphabet",
                );
            }
            Ok(Kdf::Drupal7(DrupalHash {
                log2,
                salt: b[4..12].to_vec(),
                hash_str: body[12..].to_string(),
                md5_prehash,
            }))
        }
        Md5Crypt => {
            let (magic, rest) = if let Some(r) = s.strip_prefix("$1$") {
                (Md5CryptMagic::One, r)
            } else if let Some(r) = s.strip_prefix("$apr1$") {
                (Md5CryptMagic::Apr1, r)
            } else if let Some(r) = s.strip_prefix("$md5-crypt$") {
                (Md5CryptMagic::Kratos, r)
            } else {
                return bad(f, "expected `$1$`, `$apr1$` or `$md5-crypt$`");
            };
            let Some((salt, hash)) = rest.split_once('$') else {
                return bad(f, "expected `<salt>$<checksum>`");
            };
            if salt.len() > 8 || salt.contains(['$', ':', '\n']) {
                return bad(f, "salt is longer than 8 characters");
            }
            if hash.len() != 22 || !hash.bytes().all(|c| b64::itoa64_index(c).is_some()) {
                return bad(f, "checksum is not 22 crypt-base64 characters");
            }
            Ok(Kdf::Md5Crypt(Md5CryptHash {
                magic,
                salt: salt.as_bytes().to_vec(),
                hash_str: hash.to_string(),
            }))
        }
        Sha256Crypt | Sha512Crypt => {
            let sha512 = f == Sha512Crypt;
            let (std_p, kratos_p) = if sha512 {
                ("$6$", "$sha512-crypt$")
            } else {
                ("$5$", "$sha256-crypt$")
            };
            let (kratos, rest) = if let Some(r) = s.strip_prefix(std_p) {
                (false, r)
            } else if let Some(r) = s.strip_prefix(kratos_p) {
                (true, r)
            } else {
                return bad(f, format!("expected the `{std_p}` prefix"));
            };
            let (rounds, rest) = match rest.strip_prefix("rounds=") {
                Some(r) => {
                    let Some((n, rest)) = r.split_once('$') else {
                        return bad(f, "expected `rounds=<n>$`");
                    };
                    (Some(parse_u32(f, n, "rounds")?), rest)
                }
                None => (None, rest),
            };
            let Some((salt, hash)) = rest.rsplit_once('$') else {
                return bad(f, "expected `<salt>$<checksum>`");
            };
            let want = if sha512 { 86 } else { 43 };
            if hash.len() != want || !hash.bytes().all(|c| b64::itoa64_index(c).is_some()) {
                return bad(f, format!("checksum is not {want} crypt-base64 characters"));
            }
            if salt.len() > 16 || salt.contains(['$', ':', '\n']) {
                return bad(f, "salt is longer than 16 characters");
            }
            Ok(Kdf::ShaCrypt(ShaCryptHash {
                sha512,
                rounds,
                salt: salt.as_bytes().to_vec(),
                hash_str: hash.to_string(),
                kratos,
            }))
        }
        LdapSsha | LdapDigest => {
            let Some(rest) = s.strip_prefix('{') else {
                return bad(f, "expected `{SCHEME}`");
            };
            let Some((scheme, body)) = rest.split_once('}') else {
                return bad(f, "unterminated scheme");
            };
            let scheme = scheme.to_ascii_uppercase();
            let (salted, alg) = match scheme.as_str() {
                "SSHA" => (true, DigestAlg::Sha1),
                "SHA" => (false, DigestAlg::Sha1),
                "SHA256" => (false, DigestAlg::Sha256),
                "SSHA256" => (true, DigestAlg::Sha256),
                "SHA384" => (false, DigestAlg::Sha384),
                "SSHA384" => (true, DigestAlg::Sha384),
                "SHA512" => (false, DigestAlg::Sha512),
                "SSHA512" => (true, DigestAlg::Sha512),
                "MD5" => (false, DigestAlg::Md5),
                "SMD5" => (true, DigestAlg::Md5),
                _ => return bad(f, "unknown LDAP scheme"),
            };
            if (f == LdapSsha) != (scheme == "SSHA") {
                return bad(f, "scheme belongs to the other LDAP format");
            }
            let raw = need_b64(f, body, "value")?;
            if raw.len() < alg.len() || (!salted && raw.len() != alg.len()) {
                return bad(f, "value has the wrong length for its digest");
            }
            let (hash, salt) = raw.split_at(alg.len());
            if salted && salt.is_empty() {
                return bad(f, "salted scheme without a salt");
            }
            Ok(Kdf::Digest(DigestHash {
                alg,
                salt: salt.to_vec(),
                position: SaltPosition::Suffix,
                hash: hash.to_vec(),
            }))
        }
        LdapCrypt => {
            let Some(rest) = strip_prefix_ci(s, "{CRYPT}") else {
                return bad(f, "expected the `{CRYPT}` scheme");
            };
            match detect(rest) {
                Some(inner @ (Md5Crypt | Sha256Crypt | Sha512Crypt | Bcrypt)) => {
                    parse_as(inner, rest, ext).map_err(|e| match e {
                        HashError::Malformed { what, .. } => HashError::malformed(f.name(), what),
                        e => e,
                    })
                }
                _ => bad(f, "the crypt string is not md5-crypt, SHA-crypt or bcrypt"),
            }
        }
        NtHash => {
            let (spelling, body) = if let Some(r) = s.strip_prefix("ipaNTHash:") {
                (NtSpelling::Ipa, r.trim())
            } else if let Some(r) = s.strip_prefix("sambaNTPassword:") {
                (NtSpelling::Samba, r.trim())
            } else {
                (NtSpelling::Hex, s)
            };
            let hash = match spelling {
                NtSpelling::Ipa => b64::url_decode(body).or_else(|| b64::std_decode(body)),
                _ if body.len() == 32 => b64::hex_decode(body),
                _ => None,
            };
            match hash.and_then(|h| <[u8; 16]>::try_from(h).ok()) {
                Some(hash) => Ok(Kdf::NtHash { hash, spelling }),
                None => bad(f, "expected 16 bytes (32 hex digits or base64url)"),
            }
        }
        AwsCognito => {
            if s.starts_with("awscognito#") && s.split('#').count() >= 3 {
                Ok(Kdf::Cognito {
                    record: s.to_string(),
                })
            } else {
                bad(f, "expected `awscognito#<pool>#<client>#<identifier>`")
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Encoders

fn no(from: Format, to: Format, why: impl Into<String>) -> HashError {
    HashError::NotConvertible {
        from: from.name(),
        to: to.name(),
        why: why.into(),
    }
}

fn is_text_salt(salt: &[u8], forbidden: &[u8]) -> bool {
    salt.iter()
        .all(|c| c.is_ascii_graphic() && !forbidden.contains(c))
}

fn bcrypt_core(b: &BcryptHash, minor: u8) -> String {
    format!(
        "$2{}${:02}${}{}",
        minor as char, b.cost, b.salt_str, b.hash_str
    )
}

fn argon2_phc(a: &Argon2Hash) -> String {
    let mut s = format!(
        "${}$",
        match a.alg {
            Argon2Alg::D => "argon2d",
            Argon2Alg::I => "argon2i",
            Argon2Alg::Id => "argon2id",
        }
    );
    if a.version_explicit {
        s.push_str(&format!("v={}$", a.version));
    }
    s.push_str(&format!("m={},t={},p={}", a.m, a.t, a.p));
    if let Some(k) = &a.keyid {
        s.push_str(&format!(",keyid={}", b64::std_encode_nopad(k)));
    }
    if let Some(d) = &a.data {
        s.push_str(&format!(",data={}", b64::std_encode_nopad(d)));
    }
    s.push_str(&format!(
        "${}${}",
        b64::std_encode_nopad(&a.salt),
        b64::std_encode_nopad(&a.hash)
    ));
    s
}

/// Writes `kdf` in the syntax of `to`. `from` is only used to word errors.
pub fn encode_as(from: Format, to: Format, kdf: &Kdf) -> R<String> {
    use Format::*;
    let wrong = || no(from, to, "different algorithm or construction");
    match (to, kdf) {
        (
            Bcrypt | DjangoBcrypt | DjangoBcryptSha256 | PasslibBcryptSha256 | BcryptPeppered
            | WordPressBcrypt,
            Kdf::Bcrypt(b),
        ) => match (to, &b.prehash) {
            (Bcrypt, Prehash::None) => Ok(bcrypt_core(b, b.minor)),
            (DjangoBcrypt, Prehash::None) => Ok(format!("bcrypt${}", bcrypt_core(b, b.minor))),
            (DjangoBcryptSha256, Prehash::DjangoSha256Hex) => {
                Ok(format!("bcrypt_sha256${}", bcrypt_core(b, b.minor)))
            }
            (WordPressBcrypt, Prehash::WordPress) => Ok(format!("$wp{}", bcrypt_core(b, b.minor))),
            (BcryptPeppered, Prehash::Pepper(p)) => {
                Ok(format!("{}${}", bcrypt_core(b, b.minor), p))
            }
            (PasslibBcryptSha256, Prehash::PasslibV1) => Ok(format!(
                "$bcrypt-sha256$2{},{}${}${}",
                b.minor as char, b.cost, b.salt_str, b.hash_str
            )),
            (PasslibBcryptSha256, Prehash::PasslibV2) => Ok(format!(
                "$bcrypt-sha256$v=2,t=2{},r={}${}${}",
                b.minor as char, b.cost, b.salt_str, b.hash_str
            )),
            _ => Err(wrong()),
        },
        (Argon2i | Argon2d | Argon2id, Kdf::Argon2(a)) if argon2_format(a) == to => {
            Ok(argon2_phc(a))
        }
        (DjangoArgon2, Kdf::Argon2(a)) => Ok(format!("argon2{}", argon2_phc(a))),
        (LdapArgon2, Kdf::Argon2(a)) if a.alg == Argon2Alg::Id => {
            Ok(format!("{{ARGON2}}{}", argon2_phc(a)))
        }
        (
            ScryptPhc | KratosScrypt | DjangoScrypt | WerkzeugScrypt | BetterAuthScrypt | ScryptMcf,
            Kdf::Scrypt(s),
        ) => {
            if s.nfkc != (to == BetterAuthScrypt) {
                return Err(no(
                    from,
                    to,
                    "Better Auth normalises passwords to NFKC first; the other scrypt formats do not",
                ));
            }
            let n = 1u64 << s.log_n;
            match to {
                ScryptPhc => Ok(format!(
                    "$scrypt$ln={},r={},p={}${}${}",
                    s.log_n,
                    s.r,
                    s.p,
                    b64::std_encode_nopad(&s.salt),
                    b64::std_encode_nopad(&s.hash)
                )),
                KratosScrypt => Ok(format!(
                    "$scrypt$ln={},r={},p={}${}${}",
                    n,
                    s.r,
                    s.p,
                    b64::std_encode(&s.salt),
                    b64::std_encode(&s.hash)
                )),
                DjangoScrypt if is_text_salt(&s.salt, b"$") && !s.salt.is_empty() => Ok(format!(
                    "scrypt${}${}${}${}${}",
                    n,
                    String::from_utf8_lossy(&s.salt),
                    s.r,
                    s.p,
                    b64::std_encode(&s.hash)
                )),
                WerkzeugScrypt if is_text_salt(&s.salt, b"$") && !s.salt.is_empty() => Ok(format!(
                    "scrypt:{}:{}:{}${}${}",
                    n,
                    s.r,
                    s.p,
                    String::from_utf8_lossy(&s.salt),
                    hex::encode(&s.hash)
                )),
                BetterAuthScrypt
                    if s.log_n == 14
                        && s.r == 16
                        && s.p == 1
                        && s.hash.len() == 64
                        && s.salt.len() == 32
                        && s.salt.iter().all(|c| c.is_ascii_hexdigit()) =>
                {
                    Ok(format!(
                        "{}:{}",
                        String::from_utf8_lossy(&s.salt),
                        hex::encode(&s.hash)
                    ))
                }
                ScryptMcf if s.hash.len() == 32 && is_text_salt(&s.salt, b"$") && s.log_n < 64 => {
                    Ok(format!(
                        "$7${}{}{}{}${}",
                        b64::ITOA64[s.log_n as usize] as char,
                        b64::h64_encode_uint(s.r as u64, 5),
                        b64::h64_encode_uint(s.p as u64, 5),
                        String::from_utf8_lossy(&s.salt),
                        b64::h64_encode(&s.hash)
                    ))
                }
                _ => Err(no(
                    from,
                    to,
                    "the salt, key length or parameters do not fit that syntax",
                )),
            }
        }
        (
            ClerkFirebaseScrypt
            | SuperTokensFirebaseScrypt
            | SupabaseFirebaseScrypt
            | KratosFirebaseScrypt
            | FirebaseScrypt,
            Kdf::FirebaseScrypt(h),
        ) => {
            let sep = b64::std_encode(h.separator.as_deref().unwrap_or_default());
            let key = || {
                h.signer_key.as_deref().map(b64::std_encode).ok_or_else(|| {
                    no(
                        from,
                        to,
                        "the signer key is not known (give it as the `signer_key` parameter)",
                    )
                })
            };
            if h.p != 1
                && matches!(
                    to,
                    ClerkFirebaseScrypt | SuperTokensFirebaseScrypt | FirebaseScrypt
                )
            {
                return Err(no(from, to, "that syntax has no place for p ≠ 1"));
            }
            let (hash, salt) = (b64::std_encode(&h.hash), b64::std_encode(&h.salt));
            match to {
                ClerkFirebaseScrypt => Ok(format!(
                    "{hash}${salt}${}${sep}${}${}",
                    key()?,
                    h.rounds,
                    h.mem_cost
                )),
                SuperTokensFirebaseScrypt => Ok(format!(
                    "$f_scrypt${hash}${salt}$m={}$r={}$s={sep}",
                    h.mem_cost, h.rounds
                )),
                SupabaseFirebaseScrypt => Ok(format!(
                    "$fbscrypt$v=1,n={},r={},p={},ss={sep},sk={}${salt}${hash}",
                    h.mem_cost,
                    h.rounds,
                    h.p,
                    key()?
                )),
                KratosFirebaseScrypt => Ok(format!(
                    "$firescrypt$ln={},r={},p={}${salt}${hash}${sep}${}",
                    h.mem_cost,
                    h.rounds,
                    h.p,
                    key()?
                )),
                _ => Ok(hash),
            }
        }
        (
            DjangoPbkdf2Sha256 | DjangoPbkdf2Sha1 | PasslibPbkdf2 | PhcPbkdf2 | LdapPbkdf2
            | WerkzeugPbkdf2 | ClerkPbkdf2Sha1 | ClerkPbkdf2Sha256 | ClerkPbkdf2Sha512
            | ClerkPbkdf2Sha512Hex,
            Kdf::Pbkdf2(p),
        ) => {
            let text_salt = is_text_salt(&p.salt, b"$") && !p.salt.is_empty();
            let salt_txt = || String::from_utf8_lossy(&p.salt).into_owned();
            let digest_is = |d: DigestAlg| {
                if p.alg == d {
                    Ok(())
                } else {
                    Err(no(
                        from,
                        to,
                        format!("the digest is {}, not {}", p.alg.name(), d.name()),
                    ))
                }
            };
            let full_len = p.hash.len() == p.alg.len();
            match to {
                DjangoPbkdf2Sha256 | DjangoPbkdf2Sha1 => {
                    let (d, name) = if to == DjangoPbkdf2Sha256 {
                        (DigestAlg::Sha256, "pbkdf2_sha256")
                    } else {
                        (DigestAlg::Sha1, "pbkdf2_sha1")
                    };
                    digest_is(d)?;
                    if !text_salt || !full_len {
                        return Err(no(
                            from,
                            to,
                            "Django needs a printable salt and a full-length key",
                        ));
                    }
                    Ok(format!(
                        "{name}${}${}${}",
                        p.iterations,
                        salt_txt(),
                        b64::std_encode(&p.hash)
                    ))
                }
                PasslibPbkdf2 | LdapPbkdf2 => {
                    if !full_len {
                        return Err(no(from, to, "that syntax implies a full-length key"));
                    }
                    let scheme = match (to, p.alg) {
                        (PasslibPbkdf2, DigestAlg::Sha1) => "$pbkdf2$",
                        (PasslibPbkdf2, DigestAlg::Sha256) => "$pbkdf2-sha256$",
                        (PasslibPbkdf2, DigestAlg::Sha512) => "$pbkdf2-sha512$",
                        (LdapPbkdf2, DigestAlg::Sha1) => "{PBKDF2}",
                        (LdapPbkdf2, DigestAlg::Sha256) => "{PBKDF2-SHA256}",
                        (LdapPbkdf2, DigestAlg::Sha512) => "{PBKDF2-SHA512}",
                        _ => return Err(no(from, to, "that syntax has no such digest")),
                    };
                    Ok(format!(
                        "{scheme}{}${}${}",
                        p.iterations,
                        b64::ab64_encode(&p.salt),
                        b64::ab64_encode(&p.hash)
                    ))
                }
                PhcPbkdf2 => Ok(format!(
                    "$pbkdf2-{}$i={},l={}${}${}",
                    p.alg.name(),
                    p.iterations,
                    p.hash.len(),
                    b64::std_encode_nopad(&p.salt),
                    b64::std_encode_nopad(&p.hash)
                )),
                WerkzeugPbkdf2 if text_salt && full_len => Ok(format!(
                    "pbkdf2:{}:{}${}${}",
                    p.alg.name(),
                    p.iterations,
                    salt_txt(),
                    hex::encode(&p.hash)
                )),
                ClerkPbkdf2Sha1 => {
                    digest_is(DigestAlg::Sha1)?;
                    Ok(format!(
                        "pbkdf2_sha1${}${}${}${}",
                        p.iterations,
                        hex::encode(&p.salt),
                        hex::encode(&p.hash),
                        p.hash.len()
                    ))
                }
                ClerkPbkdf2Sha256 => {
                    digest_is(DigestAlg::Sha256)?;
                    Ok(format!(
                        "pbkdf2_sha256${}${}${}",
                        p.iterations,
                        b64::std_encode(&p.salt),
                        b64::std_encode(&p.hash)
                    ))
                }
                ClerkPbkdf2Sha512 if text_salt => {
                    digest_is(DigestAlg::Sha512)?;
                    Ok(format!(
                        "pbkdf2_sha512${}${}${}",
                        p.iterations,
                        salt_txt(),
                        hex::encode(&p.hash)
                    ))
                }
                ClerkPbkdf2Sha512Hex => {
                    digest_is(DigestAlg::Sha512)?;
                    Ok(format!(
                        "pbkdf2_sha512_hex${}${}${}",
                        p.iterations,
                        hex::encode(&p.salt),
                        hex::encode(&p.hash)
                    ))
                }
                _ => Err(no(
                    from,
                    to,
                    "the salt or key length does not fit that syntax",
                )),
            }
        }
        (Md5Hex | Sha1Hex | Sha256Hex | Sha512Hex, Kdf::Digest(d)) => {
            let want = match to {
                Md5Hex => DigestAlg::Md5,
                Sha1Hex => DigestAlg::Sha1,
                Sha256Hex => DigestAlg::Sha256,
                _ => DigestAlg::Sha512,
            };
            if d.alg != want || !d.salt.is_empty() {
                return Err(no(from, to, "not an unsalted digest of that kind"));
            }
            Ok(hex::encode(&d.hash))
        }
        (SaltedDigest, Kdf::Digest(d)) => Ok(hex::encode(&d.hash)),
        (KratosDigest, Kdf::Digest(d)) => {
            if d.salt.is_empty() && d.alg == DigestAlg::Md5 {
                return Ok(format!("$md5${}", b64::std_encode(&d.hash)));
            }
            let template: &[u8] = match d.position {
                SaltPosition::Prefix => b"{SALT}{PASSWORD}",
                SaltPosition::Suffix => b"{PASSWORD}{SALT}",
            };
            match d.alg {
                DigestAlg::Md5 | DigestAlg::Sha1 | DigestAlg::Sha256 | DigestAlg::Sha512 => {
                    Ok(format!(
                        "${}$pf={}${}${}",
                        d.alg.name(),
                        b64::std_encode(template),
                        b64::std_encode(&d.salt),
                        b64::std_encode(&d.hash)
                    ))
                }
                _ => Err(no(from, to, "Kratos has no such digest")),
            }
        }
        (ClerkMd5Salted | ClerkSha256Salted, Kdf::Digest(d)) => {
            let want = if to == ClerkMd5Salted {
                DigestAlg::Md5
            } else {
                DigestAlg::Sha256
            };
            if d.alg != want || d.position != SaltPosition::Prefix || !is_text_salt(&d.salt, b"$") {
                return Err(no(
                    from,
                    to,
                    "needs a printable salt placed before the password",
                ));
            }
            Ok(format!(
                "{}${}",
                String::from_utf8_lossy(&d.salt),
                hex::encode(&d.hash)
            ))
        }
        (DjangoMd5 | DjangoSha1, Kdf::Digest(d)) => {
            let (want, name) = if to == DjangoMd5 {
                (DigestAlg::Md5, "md5")
            } else {
                (DigestAlg::Sha1, "sha1")
            };
            if d.alg != want || d.position != SaltPosition::Prefix || !is_text_salt(&d.salt, b"$") {
                return Err(no(
                    from,
                    to,
                    "needs a printable salt placed before the password",
                ));
            }
            Ok(format!(
                "{name}${}${}",
                String::from_utf8_lossy(&d.salt),
                hex::encode(&d.hash)
            ))
        }
        (LdapSsha | LdapDigest, Kdf::Digest(d)) => {
            if !d.salt.is_empty() && d.position != SaltPosition::Suffix {
                return Err(no(from, to, "LDAP salts follow the password"));
            }
            let salted = !d.salt.is_empty();
            let scheme = match (d.alg, salted) {
                (DigestAlg::Sha1, true) => "SSHA",
                (DigestAlg::Sha1, false) => "SHA",
                (DigestAlg::Sha256, s) => {
                    if s {
                        "SSHA256"
                    } else {
                        "SHA256"
                    }
                }
                (DigestAlg::Sha384, s) => {
                    if s {
                        "SSHA384"
                    } else {
                        "SHA384"
                    }
                }
                (DigestAlg::Sha512, s) => {
                    if s {
                        "SSHA512"
                    } else {
                        "SHA512"
                    }
                }
                (DigestAlg::Md5, s) => {
                    if s {
                        "SMD5"
                    } else {
                        "MD5"
                    }
                }
                _ => return Err(no(from, to, "no LDAP scheme for that digest")),
            };
            if (to == LdapSsha) != (scheme == "SSHA") {
                return Err(no(from, to, "scheme belongs to the other LDAP format"));
            }
            Ok(format!(
                "{{{scheme}}}{}",
                b64::std_encode(&[&d.hash[..], &d.salt[..]].concat())
            ))
        }
        (SymfonySha512, Kdf::Symfony(s)) => Ok(format!(
            "sha512_symfony${}${}${}",
            s.iterations,
            s.salt,
            b64::std_encode(&s.hash)
        )),
        (ClerkHmacSha256Utf16, Kdf::Hmac(h))
            if h.utf16 && h.alg == DigestAlg::Sha256 && h.salt.is_empty() =>
        {
            match std::str::from_utf8(&h.key) {
                Ok(k) => Ok(format!(
                    "hmac_sha256_utf16_b64${}${k}",
                    b64::std_encode(&h.hash)
                )),
                Err(_) => Err(no(from, to, "the key is not text")),
            }
        }
        (Hmac, Kdf::Hmac(h)) if !h.utf16 => Ok(hex::encode(&h.hash)),
        (KratosHmac, Kdf::Hmac(h)) if !h.utf16 && h.salt.is_empty() => Ok(format!(
            "$hmac-{}${}${}",
            h.alg.name(),
            b64::std_encode(hex::encode(&h.hash).as_bytes()),
            b64::std_encode(&h.key)
        )),
        (Phpass, Kdf::Phpass(p)) => Ok(format!(
            "${}${}{}{}",
            p.marker as char,
            b64::ITOA64[p.log2 as usize] as char,
            String::from_utf8_lossy(&p.salt),
            p.hash_str
        )),
        (Drupal7, Kdf::Drupal7(d)) => Ok(format!(
            "{}$S${}{}{}",
            if d.md5_prehash { "U" } else { "" },
            b64::ITOA64[d.log2 as usize] as char,
            String::from_utf8_lossy(&d.salt),
            d.hash_str
        )),
        (Md5Crypt, Kdf::Md5Crypt(m)) => Ok(format!(
            "{}{}${}",
            match m.magic {
                Md5CryptMagic::One => "$1$",
                Md5CryptMagic::Apr1 => "$apr1$",
                Md5CryptMagic::Kratos => "$md5-crypt$",
            },
            String::from_utf8_lossy(&m.salt),
            m.hash_str
        )),
        (Sha256Crypt | Sha512Crypt, Kdf::ShaCrypt(s)) if s.sha512 == (to == Sha512Crypt) => {
            let prefix = match (s.sha512, s.kratos) {
                (false, false) => "$5$",
                (false, true) => "$sha256-crypt$",
                (true, false) => "$6$",
                (true, true) => "$sha512-crypt$",
            };
            let rounds = s.rounds.map(|r| format!("rounds={r}$")).unwrap_or_default();
            Ok(format!(
                "{prefix}{rounds}{}${}",
                String::from_utf8_lossy(&s.salt),
                s.hash_str
            ))
        }
        (LdapCrypt, Kdf::Md5Crypt(_) | Kdf::ShaCrypt(_) | Kdf::Bcrypt(_)) => {
            let inner = match kdf {
                Kdf::Md5Crypt(m) => {
                    let mut m = m.clone();
                    if m.magic == Md5CryptMagic::Kratos {
                        m.magic = Md5CryptMagic::One;
                    }
                    encode_as(from, Md5Crypt, &Kdf::Md5Crypt(m))?
                }
                Kdf::ShaCrypt(s) => {
                    let mut s = s.clone();
                    s.kratos = false;
                    encode_as(
                        from,
                        if s.sha512 { Sha512Crypt } else { Sha256Crypt },
                        &Kdf::ShaCrypt(s),
                    )?
                }
                _ => encode_as(from, Bcrypt, kdf)?,
            };
            Ok(format!("{{CRYPT}}{inner}"))
        }
        (NtHash, Kdf::NtHash { hash, spelling }) => Ok(match spelling {
            NtSpelling::Hex => hex::encode(hash),
            NtSpelling::Samba => format!("sambaNTPassword: {}", hex::encode_upper(hash)),
            NtSpelling::Ipa => {
                use base64::Engine as _;
                format!(
                    "ipaNTHash: {}",
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hash)
                )
            }
        }),
        (AwsCognito, Kdf::Cognito { record }) => Ok(record.clone()),
        _ => Err(wrong()),
    }
}
