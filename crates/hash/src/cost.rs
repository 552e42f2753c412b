//! What one verification costs, and the budget it must fit in.
//!
//! A digest chooses its own work factor: `$2b$31$…`, `pbkdf2_sha256$4000000000$…`,
//! `$6$rounds=999999999$…` or Argon2 `t=4294967295` would each keep a thread busy for hours,
//! and Argon2 `m=4194304` or scrypt `N=2^30` would allocate gigabytes. So every digest's cost
//! is estimated from its parameters before anything runs ([`Cost`]), and a verification whose
//! estimate exceeds the [`Budget`] is refused ([`HashError::OverBudget`]) — by `hash verify`
//! (that line answers an error, the others go on), by `migrate`/`plan` (such digests are
//! counted as unverifiable for a verify-module target), and by the emitted better-auth verify
//! module, which receives the same model ([`work_model_json`]).
//!
//! The estimate is in nanoseconds of one core of the reference machine (BENCHMARKS.md,
//! "Session 2026-12-05": `authferry hash bench` there gave bcrypt cost 10 in 59 ms, Argon2id
//! 19 MiB t=2 in 14 ms, PBKDF2-SHA256 600 000 in 62 ms, scrypt N=2^14 r=8 in 29 ms, salted
//! SHA-256 in 0.1 µs; the SHA-512 rate is scaled, not measured). It only has to be right within a small factor: the default budget (10 s, 1 GiB) is
//! ten times what the most expensive setting any platform ships needs, and a hostile digest
//! asks for a thousand times more.

use crate::algo::DigestAlg;
use crate::error::HashError;
use crate::kdf::Kdf;
use std::sync::OnceLock;

/// One verification's memory and estimated time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cost {
    /// Bytes it allocates (beyond a few kilobytes).
    pub memory_bytes: u64,
    /// Estimated nanoseconds on one core of the reference machine.
    pub nanos: u64,
}

/// The most one verification may cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub memory_bytes: u64,
    pub nanos: u64,
}

impl Budget {
    /// 1 GiB and 10 s: above every setting a platform ships (Argon2 RFC 9106's second choice
    /// 64 MiB, Kratos 128 MiB, bcrypt 14 ≈ 1 s, PBKDF2-SHA1 1 300 000 ≈ 0.3 s).
    pub const DEFAULT: Budget = Budget {
        memory_bytes: 1 << 30,
        nanos: 10_000_000_000,
    };

    /// The budget in effect: [`Budget::DEFAULT`] unless [`set_budget`] changed it.
    pub fn current() -> Budget {
        *CURRENT.get().unwrap_or(&Budget::DEFAULT)
    }

    /// Whether `cost` fits; the error names the format and what is over.
    pub fn admit(&self, format: &'static str, cost: Cost) -> Result<(), HashError> {
        if cost.memory_bytes > self.memory_bytes {
            return Err(HashError::OverBudget {
                format,
                what: format!(
                    "{} of memory, above the {} allowed",
                    bytes(cost.memory_bytes),
                    bytes(self.memory_bytes)
                ),
            });
        }
        if cost.nanos > self.nanos {
            return Err(HashError::OverBudget {
                format,
                what: format!(
                    "about {} of computing, above the {} allowed",
                    seconds(cost.nanos),
                    seconds(self.nanos)
                ),
            });
        }
        Ok(())
    }
}

static CURRENT: OnceLock<Budget> = OnceLock::new();

/// Sets the process's budget (the binary's `--max-hash-seconds` / `--max-hash-memory`), once,
/// before any verification. `false` when it was already set.
pub fn set_budget(budget: Budget) -> bool {
    CURRENT.set(budget).is_ok()
}

fn bytes(n: u64) -> String {
    if n >= 1 << 30 {
        format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64)
    } else {
        format!("{} MiB", n.div_ceil(1 << 20))
    }
}

fn seconds(nanos: u64) -> String {
    let s = nanos as f64 / 1e9;
    if s >= 3600.0 * 48.0 {
        format!("{:.0} days", s / 86400.0)
    } else if s >= 3600.0 {
        format!("{:.1} hours", s / 3600.0)
    } else {
        format!("{s:.1} s")
    }
}

/// Nanoseconds per unit of work on the reference machine.
mod rate {
    /// One of bcrypt's 2^cost expensive key-schedule rounds.
    pub const BCRYPT_ROUND: u64 = 57_000;
    /// One 1 KiB Argon2 block, one pass.
    pub const ARGON2_BLOCK_PASS: u64 = 410;
    /// scrypt, per N·r·p.
    pub const SCRYPT_UNIT: u64 = 300;
    /// One compression of a 64-byte (MD4/MD5/SHA-1/SHA-256) block.
    pub const COMPRESS_64: u64 = 50;
    /// One compression of a 128-byte (SHA-384/SHA-512) block.
    pub const COMPRESS_128: u64 = 120;
}

fn compress(alg: DigestAlg) -> u64 {
    match alg {
        DigestAlg::Sha384 | DigestAlg::Sha512 => rate::COMPRESS_128,
        _ => rate::COMPRESS_64,
    }
}

fn pow2(exp: u64) -> u64 {
    1u64.checked_shl(exp.min(63) as u32).unwrap_or(u64::MAX)
}

/// scrypt's V array (128·r·N bytes) and its time (N·r·p units).
fn scrypt_cost(log_n: u64, r: u64, p: u64) -> Cost {
    let n = if log_n >= 64 { u64::MAX } else { pow2(log_n) };
    Cost {
        memory_bytes: 128u64
            .saturating_mul(r)
            .saturating_mul(n)
            .saturating_add(128u64.saturating_mul(r).saturating_mul(p)),
        nanos: n
            .saturating_mul(r)
            .saturating_mul(p)
            .saturating_mul(rate::SCRYPT_UNIT),
    }
}

/// Hash-iteration loops: `iterations` × `per` compressions.
fn iterated(alg: DigestAlg, iterations: u64, per: u64) -> Cost {
    Cost {
        memory_bytes: 0,
        nanos: iterations.saturating_mul(per).saturating_mul(compress(alg)),
    }
}

impl Kdf {
    /// The cost of one verification, from the parameters alone.
    pub fn cost(&self) -> Cost {
        let cheap = Cost {
            memory_bytes: 0,
            nanos: 10 * rate::COMPRESS_128,
        };
        match self {
            Kdf::Bcrypt(b) => Cost {
                memory_bytes: 0,
                nanos: pow2(b.cost as u64).saturating_mul(rate::BCRYPT_ROUND),
            },
            Kdf::Argon2(a) => Cost {
                memory_bytes: (a.m as u64) << 10,
                nanos: (a.m as u64)
                    .saturating_mul(a.t as u64)
                    .saturating_mul(rate::ARGON2_BLOCK_PASS),
            },
            Kdf::Scrypt(s) => scrypt_cost(s.log_n as u64, s.r as u64, s.p as u64),
            Kdf::FirebaseScrypt(f) => scrypt_cost(f.mem_cost as u64, f.rounds as u64, f.p as u64),
            // HMAC with its pads precomputed: two compressions per iteration and output block.
            Kdf::Pbkdf2(p) => {
                let blocks = (p.hash.len() as u64).div_ceil(p.alg.len() as u64);
                iterated(p.alg, p.iterations as u64, 2 * blocks.max(1))
            }
            Kdf::Symfony(s) => iterated(s.alg, s.iterations as u64, 2),
            Kdf::Phpass(p) => iterated(DigestAlg::Md5, pow2(p.log2 as u64), 1),
            Kdf::Drupal7(d) => iterated(DigestAlg::Sha512, pow2(d.log2 as u64), 1),
            Kdf::ShaCrypt(s) => iterated(
                if s.sha512 {
                    DigestAlg::Sha512
                } else {
                    DigestAlg::Sha256
                },
                s.rounds.unwrap_or(5000) as u64,
                2,
            ),
            Kdf::Md5Crypt(_) => iterated(DigestAlg::Md5, 1000, 2),
            Kdf::Digest(_) | Kdf::Hmac(_) | Kdf::NtHash { .. } | Kdf::Cognito { .. } => cheap,
        }
    }
}

/// The budget and the rates, for the emitted better-auth verify module, which estimates the
/// same costs before it runs anything (`WORK` in `verify_module.mjs`).
pub fn work_model_json() -> serde_json::Value {
    let b = Budget::current();
    serde_json::json!({
        "maxBytes": b.memory_bytes,
        "maxNanos": b.nanos,
        "bcryptRound": rate::BCRYPT_ROUND,
        "argon2BlockPass": rate::ARGON2_BLOCK_PASS,
        "scryptUnit": rate::SCRYPT_UNIT,
        "compress64": rate::COMPRESS_64,
        "compress128": rate::COMPRESS_128,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ExtParams;

    fn cost(digest: &str, hasher: Option<&str>) -> Cost {
        crate::parse(digest, hasher, &ExtParams::default())
            .unwrap()
            .cost()
    }

    /// What platforms ship fits with room to spare; what the hardening report found does not.
    #[test]
    fn real_settings_fit_and_hostile_ones_do_not() {
        let budget = Budget::DEFAULT;
        let fits = [
            // bcrypt cost 14.
            "$2b$14$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
            // Argon2id 128 MiB t=3 (Kratos' default).
            "$argon2id$v=19$m=131072,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZQ",
            // Django's PBKDF2 default of 2025.
            "pbkdf2_sha256$1200000$c29tZXNhbHQ$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZWV4YW0=",
            "$6$rounds=656000$somesalt$yTHu7TjwBq6uhmS86azFYGlTRS5C4LPnlrLCzWb0xv5HHXiWjK5LFC0ETx8ri4AGM4Zx8/A3Ppp37QDUpyvAj/",
            "$P$B12345678KgQEaGyjbH2CMNDYJt8S51",
        ];
        for d in fits {
            let c = cost(d, None);
            assert!(budget.admit("x", c).is_ok(), "{d}: {c:?}");
            // Ten times the budget's margin at least.
            assert!(c.nanos * 5 < budget.nanos, "{d}: {c:?}");
        }
        let hostile = [
            "$2b$31$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
            "pbkdf2_sha256$4000000000$c29tZXNhbHQ$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZWV4YW0=",
            "$6$rounds=999999999$somesalt$yTHu7TjwBq6uhmS86azFYGlTRS5C4LPnlrLCzWb0xv5HHXiWjK5LFC0ETx8ri4AGM4Zx8/A3Ppp37QDUpyvAj/",
            "$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZQ",
            "$argon2id$v=19$m=65536,t=4294967295,p=1$c29tZXNhbHRzb21lc2FsdA$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZQ",
            "$scrypt$ln=30,r=8,p=1$c29tZXNhbHQ$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZWV4YW0",
            "$P$S12345678KgQEaGyjbH2CMNDYJt8S51",
        ];
        for d in hostile {
            let c = cost(d, None);
            let err = budget
                .admit("x", c)
                .err()
                .unwrap_or_else(|| panic!("{d}: {c:?} fits"))
                .to_string();
            assert!(err.contains("allowed"), "{d}: {err}");
        }
    }

    #[test]
    fn messages_name_the_resource() {
        let b = Budget {
            memory_bytes: 64 << 20,
            nanos: 1_000_000_000,
        };
        let m = b
            .admit(
                "argon2id",
                Cost {
                    memory_bytes: 4 << 30,
                    nanos: 0,
                },
            )
            .unwrap_err()
            .to_string();
        assert!(
            m.contains("4.0 GiB of memory, above the 64 MiB allowed"),
            "{m}"
        );
        let t = b
            .admit(
                "bcrypt",
                Cost {
                    memory_bytes: 0,
                    nanos: 3 * 86_400 * 1_000_000_000,
                },
            )
            .unwrap_err()
            .to_string();
        assert!(
            t.contains("about 3 days of computing, above the 1.0 s allowed"),
            "{t}"
        );
    }
}
