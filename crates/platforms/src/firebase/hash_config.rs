//! `--hash-config FILE`: the project's "Password hash parameters", pasted as the Firebase
//! console shows them (Authentication > Users > ⋮ > Password hash parameters):
//!
//! ```text
//! hash_config {
//!   algorithm: SCRYPT,
//!   base64_signer_key: <base64>,
//!   base64_salt_separator: <base64>,
//!   rounds: 8,
//!   mem_cost: 14,
//! }
//! ```
//!
//! Read tolerantly, because people paste it through chat windows and editors: any whitespace,
//! trailing commas or none, settings on one line or several, with or without the surrounding
//! `hash_config { … }`, values optionally in double quotes, blank lines and `#`/`//` comment
//! lines. Anything else is refused naming its line. The signer key and the salt separator are
//! secrets (whoever has them can test password guesses offline): no error or `Debug` output
//! ever shows a value, only the setting's name and line.

use data_encoding::BASE64;
use std::fmt;
use std::path::Path;

/// The settings a hash configuration has, in the console's order.
const SETTINGS: [&str; 5] = [
    "algorithm",
    "base64_signer_key",
    "base64_salt_separator",
    "rounds",
    "mem_cost",
];

/// Firebase's accepted ranges (`firebase auth:import` refuses SCRYPT parameters outside them).
const ROUNDS: std::ops::RangeInclusive<u32> = 1..=8;
const MEM_COST: std::ops::RangeInclusive<u32> = 1..=14;

/// A project's Firebase scrypt parameters. The key and separator are kept as standard base64,
/// the form `authferry_hash::ExtParams` reads.
#[derive(Clone, PartialEq, Eq)]
pub struct HashConfig {
    signer_key: String,
    /// `None` when the block has no `base64_salt_separator` (Firebase then uses none).
    salt_separator: Option<String>,
    rounds: u32,
    mem_cost: u32,
}

impl fmt::Debug for HashConfig {
    /// The cost parameters only: the key and separator are secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashConfig")
            .field("algorithm", &"SCRYPT")
            .field("signer_key", &"[redacted]")
            .field(
                "salt_separator",
                &self.salt_separator.as_ref().map(|_| "[redacted]"),
            )
            .field("rounds", &self.rounds)
            .field("mem_cost", &self.mem_cost)
            .finish()
    }
}

/// Why a hash configuration was refused. Never carries a value of the file, only where.
#[derive(Debug, thiserror::Error)]
pub enum HashConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("{0}")]
    Incomplete(String),
}

fn after_block(line: usize) -> HashConfigError {
    at(
        line,
        "text after the closing `}` (the file must hold one hash_config block only)",
    )
}

fn at(line: usize, message: impl Into<String>) -> HashConfigError {
    HashConfigError::Line {
        line,
        message: message.into(),
    }
}

/// Where the parser is relative to the `{ … }` block.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    /// Nothing read yet, or `hash_config` read and its `{` still to come.
    Before { named: Option<usize> },
    /// Inside the block opened on this line.
    Inside(usize),
    /// Settings without braces (the braces are optional).
    Bare,
    /// After the closing `}`: only blank lines and comments may follow.
    After,
}

impl HashConfig {
    /// Reads and parses the file `--hash-config` names.
    pub fn read(path: &Path) -> Result<Self, HashConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| HashConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Parses the console's `hash_config { … }` block (see the module's documentation).
    pub fn parse(text: &str) -> Result<Self, HashConfigError> {
        let mut block = Block::Before { named: None };
        let mut values: [Option<(usize, String)>; SETTINGS.len()] = Default::default();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let mut rest = raw.trim_start_matches('\u{feff}').trim();
            if rest.starts_with('#') || rest.starts_with("//") {
                continue;
            }
            while !rest.is_empty() {
                if let Some(after) = rest
                    .strip_prefix("hash_config")
                    .filter(|a| !a.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
                {
                    match block {
                        Block::Before { named: None } => {}
                        Block::After => return Err(after_block(line)),
                        _ => {
                            return Err(at(
                                line,
                                "`hash_config` again: the file must hold one block",
                            ));
                        }
                    }
                    block = Block::Before { named: Some(line) };
                    rest = after.trim_start();
                    // `hash_config: {` and `hash_config = {` are read as `hash_config {`.
                    rest = rest
                        .strip_prefix([':', '='])
                        .map(str::trim_start)
                        .unwrap_or(rest);
                    continue;
                }
                if let Some(after) = rest.strip_prefix('{') {
                    block = match block {
                        Block::Before { .. } => Block::Inside(line),
                        Block::Bare => {
                            return Err(at(
                                line,
                                "`{` after settings: put every setting inside the block",
                            ));
                        }
                        Block::Inside(_) | Block::After => {
                            return Err(at(line, "a second `{`: the file must hold one block"));
                        }
                    };
                    rest = after.trim_start();
                    continue;
                }
                if let Some(after) = rest.strip_prefix('}') {
                    block = match block {
                        Block::Inside(_) => Block::After,
                        _ => return Err(at(line, "`}` without the `{` that it would close")),
                    };
                    rest = after.trim_start();
                    continue;
                }
                if let Some(after) = rest.strip_prefix([',', ';']) {
                    rest = after.trim_start();
                    continue;
                }
                block = match block {
                    Block::After => return Err(after_block(line)),
                    Block::Before { named: Some(_) } => {
                        return Err(at(line, "expected `{` after `hash_config`"));
                    }
                    Block::Before { named: None } => Block::Bare,
                    inside => inside,
                };
                rest = read_setting(line, rest, &mut values)?;
            }
        }
        match block {
            Block::Inside(opened) => {
                return Err(HashConfigError::Incomplete(format!(
                    "the `{{` on line {opened} is never closed with `}}`"
                )));
            }
            Block::Before { named: Some(line) } => {
                return Err(at(line, "`hash_config` without its `{ … }` block"));
            }
            _ => {}
        }
        Self::from_values(values)
    }

    fn from_values(
        values: [Option<(usize, String)>; SETTINGS.len()],
    ) -> Result<Self, HashConfigError> {
        let [algorithm, signer_key, salt_separator, rounds, mem_cost] = values;
        if [&algorithm, &signer_key, &salt_separator, &rounds, &mem_cost]
            .iter()
            .all(|v| v.is_none())
        {
            return Err(HashConfigError::Incomplete(
                "no settings: expected the console's `hash_config { algorithm: SCRYPT, \
                 base64_signer_key: …, base64_salt_separator: …, rounds: …, mem_cost: … }`"
                    .into(),
            ));
        }
        let missing = |name: &str| {
            HashConfigError::Incomplete(format!(
                "no `{name}` setting (copy the whole block the Firebase console shows under \
                 Authentication > Users > Password hash parameters)"
            ))
        };
        let (line, algorithm) = algorithm.ok_or_else(|| missing("algorithm"))?;
        if !algorithm.eq_ignore_ascii_case("SCRYPT") {
            // An algorithm's name is no secret; anything else that landed here might be.
            let shown = if !algorithm.is_empty()
                && algorithm.len() <= 32
                && algorithm
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                format!("`{algorithm}` ")
            } else {
                String::new()
            };
            return Err(at(
                line,
                format!(
                    "algorithm {shown}is not supported: only SCRYPT, Firebase's modified scrypt \
                     (the algorithm of every Firebase project's own passwords), is read"
                ),
            ));
        }
        let (line, key) = signer_key.ok_or_else(|| missing("base64_signer_key"))?;
        let signer_key = standard_base64(&key).ok_or_else(|| {
            at(
                line,
                "base64_signer_key is not base64 (the value is not shown)",
            )
        })?;
        if signer_key.is_empty() {
            return Err(at(line, "base64_signer_key is empty"));
        }
        let salt_separator = match salt_separator {
            None => None,
            Some((line, sep)) => Some(standard_base64(&sep).ok_or_else(|| {
                at(
                    line,
                    "base64_salt_separator is not base64 (the value is not shown)",
                )
            })?),
        };
        let number = |value: Option<(usize, String)>,
                      name: &str,
                      range: std::ops::RangeInclusive<u32>|
         -> Result<u32, HashConfigError> {
            let (line, text) = value.ok_or_else(|| missing(name))?;
            text.parse::<u32>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    at(
                        line,
                        format!(
                            "{name} must be a whole number from {} to {}",
                            range.start(),
                            range.end()
                        ),
                    )
                })
        };
        Ok(HashConfig {
            signer_key,
            salt_separator,
            rounds: number(rounds, "rounds", ROUNDS)?,
            mem_cost: number(mem_cost, "mem_cost", MEM_COST)?,
        })
    }

    pub fn rounds(&self) -> u32 {
        self.rounds
    }

    pub fn mem_cost(&self) -> u32 {
        self.mem_cost
    }

    /// The out-of-band parameters of a `firebase_scrypt` digest (`authferry_hash::ExtParams`'s
    /// names), to which each user's `salt` is added.
    pub fn params(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut params = serde_json::Map::new();
        params.insert("signer_key".into(), self.signer_key.clone().into());
        if let Some(sep) = &self.salt_separator {
            params.insert("salt_separator".into(), sep.clone().into());
        }
        params.insert("rounds".into(), self.rounds.into());
        params.insert("mem_cost".into(), self.mem_cost.into());
        params
    }
}

/// Reads one `name: value` setting at the start of `rest`; returns what follows it.
fn read_setting<'a>(
    line: usize,
    rest: &'a str,
    values: &mut [Option<(usize, String)>; SETTINGS.len()],
) -> Result<&'a str, HashConfigError> {
    let name_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let (name, after) = rest.split_at(name_len);
    let Some(after) = after.trim_start().strip_prefix(':') else {
        // Not `name:` — perhaps a key pasted on a line of its own: never echo it.
        return Err(at(line, "expected `name: value` (e.g. `rounds: 8,`)"));
    };
    let Some(slot) = SETTINGS.iter().position(|s| s.eq_ignore_ascii_case(name)) else {
        return Err(at(
            line,
            format!("unknown setting (expected one of {})", SETTINGS.join(", ")),
        ));
    };
    let after = after.trim_start();
    // A value runs to the next `,`, `;` or `}` (base64 has none of them), or is quoted.
    let (value, rest) = if let Some(quoted) = after.strip_prefix('"') {
        let Some(end) = quoted.find('"') else {
            return Err(at(
                line,
                format!("{} opens a quote it never closes", SETTINGS[slot]),
            ));
        };
        (&quoted[..end], &quoted[end + 1..])
    } else {
        let end = after.find([',', ';', '}']).unwrap_or(after.len());
        (after[..end].trim_end(), &after[end..])
    };
    if value.is_empty() {
        return Err(at(line, format!("{} has no value", SETTINGS[slot])));
    }
    if let Some((first, _)) = &values[slot] {
        return Err(at(
            line,
            format!("{} again (first given on line {first})", SETTINGS[slot]),
        ));
    }
    values[slot] = Some((line, value.to_owned()));
    Ok(rest.trim_start())
}

/// `text` as standard padded base64, accepting the URL-safe alphabet and missing padding
/// (both appear when the value went through Firebase's APIs); `None` when it is not base64.
pub(crate) fn standard_base64(text: &str) -> Option<String> {
    let mut s: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !s.len().is_multiple_of(4) {
        s.push('=');
    }
    BASE64.decode(s.as_bytes()).ok().map(|_| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "c2VjcmV0LXNpZ25lci1rZXktZm9yLWEtdGVzdA==";

    #[test]
    fn one_line_without_braces() {
        let c = HashConfig::parse(&format!(
            "algorithm: SCRYPT, base64_signer_key: {KEY}, rounds: 8, mem_cost: 14"
        ))
        .unwrap();
        assert_eq!((c.rounds(), c.mem_cost()), (8, 14));
        assert!(!c.params().contains_key("salt_separator"));
        assert!(!format!("{c:?}").contains(KEY));
    }

    #[test]
    fn base64_is_normalised() {
        assert_eq!(standard_base64("Bw").as_deref(), Some("Bw=="));
        assert_eq!(standard_base64("-_8=").as_deref(), Some("+/8="));
        assert_eq!(standard_base64("not base64!"), None);
    }
}
