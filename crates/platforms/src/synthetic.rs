//! Generated Clerk exports of any size, for benchmarks and crash tests: deterministic for a
//! given seed, realistic in shape (quoted names with commas, Unicode, phones, TOTP secrets,
//! bcrypt digests of known passwords).

use std::io::{BufWriter, Write};
use std::path::Path;

/// The header of Clerk's newer dashboard export.
pub const CLERK_CSV_HEADER: &str = "id,first_name,last_name,username,primary_email_address,primary_phone_number,verified_email_addresses,unverified_email_addresses,verified_phone_numbers,unverified_phone_numbers,totp_secret,password_digest,password_hasher";

/// A small deterministic generator (SplitMix64): the same seed gives the same export.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

const FIRST: &[&str] = &[
    "Ada", "Grace", "Zoë", "José", "Łukasz", "Mei", "Amara", "Søren", "Olu", "Nguyễn",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Hopper",
    "O'Neil",
    "García",
    "\"Jr\", Smith",
    "Okafor",
    "Ødegaard",
    "Tanaka",
    "Müller",
];
const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Passwords of the generated users: user `i` has `synthetic_password(i % DIGESTS)`.
pub const DIGESTS: usize = 8;

pub fn synthetic_password(k: usize) -> String {
    format!("correct-horse-{k}")
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes `users` generated users as a Clerk dashboard CSV. Digests are real bcrypt (cost 4,
/// computed once each and shared, so generation stays fast).
pub fn write_clerk_csv(path: &Path, users: u64, seed: u64) -> std::io::Result<()> {
    let digests: Vec<String> = (0..DIGESTS)
        .map(|k| bcrypt::hash(synthetic_password(k), 4).map_err(std::io::Error::other))
        .collect::<Result<_, _>>()?;
    let mut rng = SplitMix(seed);
    let mut w = BufWriter::with_capacity(1 << 20, authferry_core::io::create_private_file(path)?);
    writeln!(w, "{CLERK_CSV_HEADER}")?;
    for i in 0..users {
        let r = rng.next();
        let first = FIRST[(r % FIRST.len() as u64) as usize];
        let last = LAST[((r >> 8) % LAST.len() as u64) as usize];
        let id = format!("user_{:012x}{:012x}", i, r & 0xffff_ffff_ffff);
        let email = format!(
            "{}.{}{}@example.com",
            first.to_lowercase().replace(' ', ""),
            i,
            if r & 1 == 0 { "" } else { "x" }
        );
        let username = if r.is_multiple_of(2) {
            format!("user{i}")
        } else {
            String::new()
        };
        let phone = if r.is_multiple_of(3) {
            format!("+1555{:07}", i % 10_000_000)
        } else {
            String::new()
        };
        let totp = if r.is_multiple_of(20) {
            (0..32)
                .map(|k| BASE32[((r >> (k % 59)) as usize + k) % 32] as char)
                .collect()
        } else {
            String::new()
        };
        let (digest, hasher) = if r % 10 == 9 {
            ("", "")
        } else {
            (digests[(i % DIGESTS as u64) as usize].as_str(), "bcrypt")
        };
        writeln!(
            w,
            "{id},{},{},{username},{email},{phone},{email},,{phone},,{totp},{digest},{hasher}",
            csv_field(first),
            csv_field(last),
        )?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_file() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
        write_clerk_csv(&a, 50, 7).unwrap();
        write_clerk_csv(&b, 50, 7).unwrap();
        let text = std::fs::read_to_string(&a).unwrap();
        assert_eq!(text.lines().count(), 51);
        assert!(text.starts_with(CLERK_CSV_HEADER));
        // bcrypt salts differ between calls, so compare everything but digests.
        let strip = |s: String| {
            s.lines()
                .map(|l| l.split("$2b$").next().unwrap_or("").to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(text), strip(std::fs::read_to_string(&b).unwrap()));
    }
}
