//! `authferry hash …`: identify, verify, convert and benchmark password digests with
//! `authferry-hash`, one NDJSON object per line.
//!
//! Output never contains a password, and `identify`/`verify` never print salt or hash bytes;
//! error lines name the format and what is wrong, never the input.

use crate::UsageError;
use anyhow::Context;
use authferry_hash::{ExtParams, Format, HashError, Support};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufWriter, Write};
use std::sync::{Mutex, mpsc};

#[derive(Subcommand, Debug)]
pub enum HashCommand {
    /// Print the format and public parameters of a digest (or of each NDJSON line of --batch):
    /// `{"format": …, "params": {…}}`, never salt or hash bytes.
    Identify(IdentifyArgs),
    /// Verify passwords: NDJSON lines `{"hash", "password", "hasher"?, "params"?}` in, one line
    /// `{"ok": true}` / `{"ok": false}` / `{"error": "…"}` out per input line, in order.
    Verify(VerifyArgs),
    /// Re-encode digests for a target (`clerk`, `supertokens`, `supabase`, `auth0`, `firebase`,
    /// `better-auth`, `ndjson`) or into a format by name (e.g. `pbkdf2_phc`).
    Convert(ConvertArgs),
    /// Verifications per second per format, on this machine, one JSON line per format.
    Bench(BenchArgs),
}

#[derive(Args, Debug)]
pub struct IdentifyArgs {
    /// The digest (omit with --batch).
    #[arg(value_name = "DIGEST", conflicts_with = "batch")]
    pub digest: Option<String>,
    /// The source's hasher name (a Clerk `password_hasher`, or a format name).
    #[arg(long)]
    pub hasher: Option<String>,
    /// NDJSON input, one `{"hash": …, "hasher": …?, "params": …?}` per line; `-` = stdin.
    #[arg(long, value_name = "FILE|-")]
    pub batch: Option<String>,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// NDJSON input; `-` = stdin.
    #[arg(long, value_name = "FILE|-")]
    pub batch: String,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// A target name, or a format name.
    #[arg(long, value_name = "TARGET|FORMAT")]
    pub to: String,
    /// The digest (omit with --batch).
    #[arg(value_name = "DIGEST", conflicts_with = "batch")]
    pub digest: Option<String>,
    #[arg(long)]
    pub hasher: Option<String>,
    /// NDJSON input, one `{"hash": …, "hasher": …?, "params": …?}` per line; `-` = stdin.
    #[arg(long, value_name = "FILE|-")]
    pub batch: Option<String>,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Seconds to spend per format (at least one verification each).
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// Only these formats (comma-separated bench names; see the output).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
}

pub fn run(cmd: HashCommand) -> anyhow::Result<i32> {
    match cmd {
        HashCommand::Identify(a) => identify(a),
        HashCommand::Verify(a) => verify(a),
        HashCommand::Convert(a) => convert(a),
        HashCommand::Bench(a) => bench(a),
    }
}

fn open_input(path: &str) -> anyhow::Result<Box<dyn BufRead + Send>> {
    if path == "-" {
        return Ok(Box::new(std::io::BufReader::new(std::io::stdin())));
    }
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {path}"))?;
    Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, f)))
}

/// One input object: `hash`, optional `hasher` and `params`, and `password` when asked for.
struct Line {
    hash: String,
    hasher: Option<String>,
    params: ExtParams,
    password: Option<String>,
}

/// Parses a line without ever quoting it back (serde's messages can echo values).
fn parse_line(text: &str, want_password: bool) -> Result<Line, String> {
    let v: Value = serde_json::from_str(text).map_err(|_| "line is not valid JSON".to_string())?;
    let Value::Object(mut o) = v else {
        return Err("line is not a JSON object".into());
    };
    let Some(Value::String(hash)) = o.remove("hash") else {
        return Err("`hash` is missing or not a string".into());
    };
    let hasher = match o.remove("hasher") {
        None | Some(Value::Null) => None,
        Some(Value::String(h)) => Some(h),
        Some(_) => return Err("`hasher` is not a string".into()),
    };
    let params = match o.remove("params") {
        None | Some(Value::Null) => ExtParams::default(),
        Some(Value::Object(m)) => ExtParams::from_json(&m).map_err(|e| format!("`params`: {e}"))?,
        Some(_) => return Err("`params` is not an object".into()),
    };
    let password = if want_password {
        match o.remove("password") {
            Some(Value::String(p)) => Some(p),
            _ => return Err("`password` is missing or not a string".into()),
        }
    } else {
        None
    };
    Ok(Line {
        hash,
        hasher,
        params,
        password,
    })
}

fn error_line(e: impl std::fmt::Display) -> String {
    json!({ "error": e.to_string() }).to_string()
}

fn identify_one(hash: &str, hasher: Option<&str>, params: &ExtParams) -> String {
    match authferry_hash::identify_with(hash, hasher, params) {
        Ok(id) => json!({ "format": id.format.name(), "params": id.params }).to_string(),
        Err(e) => error_line(e),
    }
}

fn verify_one(text: &str) -> String {
    let line = match parse_line(text, true) {
        Ok(l) => l,
        Err(e) => return error_line(e),
    };
    let password = line.password.as_deref().unwrap_or_default();
    match authferry_hash::verify_with(&line.hash, line.hasher.as_deref(), &line.params, password) {
        Ok(ok) => json!({ "ok": ok }).to_string(),
        Err(e) => error_line(e),
    }
}

/// Where a conversion goes: a target's capability table, or one format.
enum Dest {
    Target(&'static str),
    Format(Format),
}

fn convert_one(hash: &str, hasher: Option<&str>, params: &ExtParams, dest: &Dest) -> String {
    let parsed = match authferry_hash::parse(hash, hasher, params) {
        Ok(p) => p,
        Err(e) => return error_line(e),
    };
    match dest {
        Dest::Format(f) => match parsed.convert_encoded(*f).map(|(_, d)| d) {
            Ok(d) => json!({
                "format": parsed.format().name(),
                "to": f.name(),
                "hash": d,
                "hasher": f.clerk_hasher().unwrap_or(f.name()),
            })
            .to_string(),
            Err(e) => error_line(e),
        },
        Dest::Target(t) => match authferry_hash::convert_for(t, &parsed) {
            Ok(p) if p.support == Support::Unverifiable => error_line(match p.note {
                Some(n) => format!("{} cannot be verified by {t}: {n}", p.format.name()),
                None => format!(
                    "{} cannot be verified by {t} (the user needs a password reset or a trickle migration)",
                    p.format.name()
                ),
            }),
            Ok(p) => {
                let (digest, new_hasher) = match p.reencoded {
                    Some((d, h)) => (d, h),
                    None => (hash.to_string(), hasher.map(str::to_string)),
                };
                json!({
                    "format": p.format.name(),
                    "support": p.support,
                    "hash": digest,
                    "hasher": new_hasher,
                })
                .to_string()
            }
            Err(e) => error_line(e),
        },
    }
}

/// Runs `f` over every line of `input` on `threads` workers and writes one output line per input
/// line to standard output, in input order.
fn for_each_line<F>(input: Box<dyn BufRead + Send>, threads: usize, f: F) -> anyhow::Result<()>
where
    F: Fn(&str) -> String + Sync,
{
    for_each_line_to(input, std::io::stdout(), threads, f)
}

fn for_each_line_to<F, W>(
    input: Box<dyn BufRead + Send>,
    out: W,
    threads: usize,
    f: F,
) -> anyhow::Result<()>
where
    F: Fn(&str) -> String + Sync,
    W: Write + Send,
{
    let threads = threads.max(1);
    let (job_tx, job_rx) = mpsc::sync_channel::<(u64, String)>(threads * 64);
    let job_rx = Mutex::new(job_rx);
    let (res_tx, res_rx) = mpsc::sync_channel::<(u64, String)>(threads * 64);
    std::thread::scope(|s| -> anyhow::Result<()> {
        for _ in 0..threads {
            let (job_rx, res_tx, f) = (&job_rx, res_tx.clone(), &f);
            s.spawn(move || {
                // After the writer has gone (e.g. a closed pipe) keep draining the queue so the
                // reader never blocks on a full channel.
                let mut writer_gone = false;
                loop {
                    let job = job_rx.lock().expect("job queue").recv();
                    let Ok((i, line)) = job else { break };
                    if !writer_gone && res_tx.send((i, f(&line))).is_err() {
                        writer_gone = true;
                    }
                }
            });
        }
        drop(res_tx);
        let writer = s.spawn(move || -> std::io::Result<()> {
            let mut out = BufWriter::with_capacity(1 << 16, out);
            let mut pending = BTreeMap::new();
            let mut next = 0u64;
            for (i, line) in res_rx {
                pending.insert(i, line);
                while let Some(line) = pending.remove(&next) {
                    out.write_all(line.as_bytes())?;
                    out.write_all(b"\n")?;
                    next += 1;
                }
            }
            out.flush()
        });
        let mut read_err = None;
        for (i, line) in input.lines().enumerate() {
            match line {
                Ok(l) => {
                    if job_tx.send((i as u64, l)).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    read_err = Some(e);
                    break;
                }
            }
        }
        drop(job_tx);
        writer.join().expect("writer thread")?;
        if let Some(e) = read_err {
            return Err(anyhow::Error::new(e).context("cannot read the input"));
        }
        Ok(())
    })
}

fn threads(n: Option<usize>) -> usize {
    n.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn identify(a: IdentifyArgs) -> anyhow::Result<i32> {
    match (&a.digest, &a.batch) {
        (Some(d), None) => {
            let line = identify_one(d, a.hasher.as_deref(), &ExtParams::default());
            println!("{line}");
            Ok(if line.starts_with("{\"error\"") { 1 } else { 0 })
        }
        (None, Some(b)) => {
            for_each_line(open_input(b)?, threads(None), |text| {
                match parse_line(text, false) {
                    Ok(l) => identify_one(&l.hash, l.hasher.as_deref(), &l.params),
                    Err(e) => error_line(e),
                }
            })?;
            Ok(0)
        }
        _ => Err(UsageError("give a DIGEST or --batch FILE|-".into()).into()),
    }
}

fn verify(a: VerifyArgs) -> anyhow::Result<i32> {
    for_each_line(open_input(&a.batch)?, threads(a.threads), verify_one)?;
    Ok(0)
}

fn convert(a: ConvertArgs) -> anyhow::Result<i32> {
    let dest = if let Some(t) = authferry_hash::known_targets().find(|t| *t == a.to) {
        Dest::Target(t)
    } else if let Some(f) = Format::from_hasher(&a.to) {
        Dest::Format(f)
    } else {
        let targets: Vec<_> = authferry_hash::known_targets().collect();
        return Err(UsageError(format!(
            "unknown --to `{}`: give a target ({}) or a format name",
            a.to,
            targets.join(", ")
        ))
        .into());
    };
    match (&a.digest, &a.batch) {
        (Some(d), None) => {
            let line = convert_one(d, a.hasher.as_deref(), &ExtParams::default(), &dest);
            println!("{line}");
            Ok(if line.starts_with("{\"error\"") { 1 } else { 0 })
        }
        (None, Some(b)) => {
            for_each_line(open_input(b)?, threads(None), |text| {
                match parse_line(text, false) {
                    Ok(l) => convert_one(&l.hash, l.hasher.as_deref(), &l.params, &dest),
                    Err(e) => error_line(e),
                }
            })?;
            Ok(0)
        }
        _ => Err(UsageError("give a DIGEST or --batch FILE|-".into()).into()),
    }
}

fn bench(a: BenchArgs) -> anyhow::Result<i32> {
    use std::time::Instant;
    let password = "password";
    for case in authferry_hash::bench_cases(password) {
        let name = case.name;
        if !a.only.is_empty() && !a.only.iter().any(|o| o == name) {
            continue;
        }
        let parsed = authferry_hash::parse(&case.digest, case.hasher, &case.params)
            .map_err(|e: HashError| anyhow::anyhow!("bench case {name}: {e}"))?;
        anyhow::ensure!(
            parsed.verify(password)?,
            "bench case {name} does not verify"
        );
        let t = Instant::now();
        let mut n = 0u64;
        while n == 0 || t.elapsed().as_secs_f64() < a.seconds {
            // Cheap digests: time batches so the clock is not the bottleneck.
            let batch = if case.cheap { 10_000 } else { 1 };
            for _ in 0..batch {
                std::hint::black_box(parsed.verify(std::hint::black_box(password))?);
            }
            n += batch;
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{}",
            json!({
                "format": name,
                "verifications": n,
                "seconds": (secs * 1000.0).round() / 1000.0,
                "per_second": ((n as f64 / secs) * 10.0).round() / 10.0,
                "threads": 1,
            })
        );
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_lines(lines: &[&str], threads: usize, f: impl Fn(&str) -> String + Sync) -> Vec<String> {
        let input = lines.join("\n") + "\n";
        let mut out = Vec::new();
        for_each_line_to(
            Box::new(std::io::Cursor::new(input.into_bytes())),
            &mut out,
            threads,
            f,
        )
        .unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn output_keeps_input_order_whatever_the_work_takes() {
        let lines: Vec<String> = (0..200).map(|i| i.to_string()).collect();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let out = run_lines(&refs, 4, |l| {
            // Early lines take longest, so workers finish out of order.
            let n: u64 = l.parse().unwrap();
            std::thread::sleep(std::time::Duration::from_micros((200 - n) * 20));
            format!("<{l}>")
        });
        let want: Vec<String> = lines.iter().map(|l| format!("<{l}>")).collect();
        assert_eq!(out, want);
    }

    #[test]
    fn verify_lines_answer_ok_false_or_error_without_echoing() {
        let bcrypt = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
        let lines = [
            json!({"hash": bcrypt, "password": "U*U"}).to_string(),
            json!({"hash": bcrypt, "password": "U*V", "hasher": "bcrypt"}).to_string(),
            "{not json SECRETPW".to_string(),
            json!({"hash": "zz-SECRETDIGEST-zz", "password": "SECRETPW"}).to_string(),
            json!({"hash": bcrypt}).to_string(),
            json!({"hash": bcrypt, "password": "x", "params": {"rounds": "SECRETPW"}}).to_string(),
            String::new(),
        ];
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let out = run_lines(&refs, 2, verify_one);
        assert_eq!(out.len(), lines.len());
        assert_eq!(out[0], r#"{"ok":true}"#);
        assert_eq!(out[1], r#"{"ok":false}"#);
        for l in &out[2..] {
            assert!(l.starts_with(r#"{"error":"#), "{l}");
            assert!(!l.contains("SECRET"), "{l}");
        }
    }

    #[test]
    fn convert_says_why_not() {
        let argon2d =
            "$argon2d$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$lV5dWxY6G2C7o1/DbQSWR0+6T2tZrVNihmbwf7L5Pq8";
        let line = convert_one(argon2d, None, &ExtParams::default(), &Dest::Target("clerk"));
        assert!(
            line.contains("argon2d cannot be verified by clerk"),
            "{line}"
        );
        let django =
            "pbkdf2_sha256$36000$xIEozuZVAoYm$uW1b35DUKyhvQAf1mBqMvoBDcqSD06juzyO/nmyV0+w=";
        let v: Value = serde_json::from_str(&convert_one(
            django,
            None,
            &ExtParams::default(),
            &Dest::Format(Format::PhcPbkdf2),
        ))
        .unwrap();
        assert_eq!(
            v["hash"],
            "$pbkdf2-sha256$i=36000,l=32$eElFb3p1WlZBb1lt$uW1b35DUKyhvQAf1mBqMvoBDcqSD06juzyO/nmyV0+w"
        );
        let v: Value = serde_json::from_str(&convert_one(
            django,
            None,
            &ExtParams::default(),
            &Dest::Target("clerk"),
        ))
        .unwrap();
        assert_eq!(
            (v["support"].as_str(), v["hash"].as_str()),
            (Some("native"), Some(django))
        );
    }
}
