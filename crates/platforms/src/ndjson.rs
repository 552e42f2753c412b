//! authferry's canonical NDJSON interchange format: one [`User`] a line, documented field by
//! field in `docs/canonical-user.md`. A source and a sink, so an export can be inspected,
//! edited, split or replayed between any two platforms.

use crate::SpecError;
use crate::registry::{Endpoint, FileSource, Platform, SinkPlan, Spec};
use authferry_core::io::{ByteProgress, JsonItem, JsonItems, open_counted, write_ndjson_line};
use authferry_core::{
    Existing, Field, RecordError, Sink, SinkCapabilities, SinkError, Source, User, WriteItem,
    WriteOutcome,
};
use authferry_hash::PasswordTarget;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// `ndjson:PATH`, as a source and as a target.
pub const PLATFORM: Platform = Platform {
    name: "authferry NDJSON",
    endpoints: &[
        Endpoint {
            fields: &authferry_core::Field::ALL,
            ..Endpoint::source(
                "ndjson",
                &["ndjson:PATH"],
                "authferry's canonical NDJSON (docs/canonical-user.md)",
                |spec| FileSource::plan(spec, |p| Ok(Box::new(NdjsonSource::open(p)?))),
            )
        },
        Endpoint {
            fields: &authferry_core::Field::ALL,
            ..Endpoint::target(
                "ndjson",
                &["ndjson:PATH"],
                "authferry's canonical NDJSON (created 0600)",
                parse_target,
                PASSWORD,
            )
        },
    ],
};

/// NDJSON keeps any digest as it is.
const PASSWORD: PasswordTarget = PasswordTarget::Ndjson;

/// `--to ndjson:PATH`.
#[derive(Debug)]
struct NdjsonTarget(PathBuf);

fn parse_target(spec: &Spec<'_>) -> Result<Box<dyn SinkPlan>, SpecError> {
    Ok(Box::new(NdjsonTarget(spec.path())))
}

impl SinkPlan for NdjsonTarget {
    fn open(&self) -> Result<Box<dyn Sink>, SpecError> {
        NdjsonSink::create(&self.0)
            .map(|s| Box::new(s) as Box<dyn Sink>)
            .map_err(|e| SpecError::open(&format!("ndjson:{}", self.0.display()), e))
    }
}

pub struct NdjsonSource {
    path: PathBuf,
    items: JsonItems<User>,
    progress: ByteProgress,
}

impl NdjsonSource {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let (reader, progress) = open_counted(path)?;
        Ok(NdjsonSource {
            path: path.to_path_buf(),
            items: JsonItems::new(reader, None),
            progress,
        })
    }
}

impl Source for NdjsonSource {
    fn describe(&self) -> String {
        format!("ndjson:{}", self.path.display())
    }
    fn next_user(&mut self) -> Option<Result<User, RecordError>> {
        Some(match self.items.next()? {
            JsonItem::Item(u) => Ok(u),
            JsonItem::Invalid(_, msg, value) => {
                let id = value
                    .get("source_id")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned);
                // The message names the line (and the item of a wrapper) already.
                Err(RecordError::invalid(
                    id,
                    None,
                    crate::shared::redact_serde(&msg),
                ))
            }
            JsonItem::Fatal(msg) => Err(RecordError::fatal(msg)),
        })
    }
    fn progress(&self) -> Option<ByteProgress> {
        Some(self.progress.clone())
    }
}

/// Writes users as NDJSON. The file holds digests and TOTP secrets: it is created 0600.
///
/// Like every sink it is keyed by the record's id: an existing file is appended to, and users
/// already in it are not written again, so a run resumed after a crash (or re-run) leaves one
/// line per user. A line cut short by a crash is removed on open.
///
/// Only the ids the file held when opened are remembered (8 bytes each, sorted): within one
/// run the journal hands each id over once, so a fresh file of any size costs no memory.
pub struct NdjsonSink {
    path: PathBuf,
    /// Opened by `prepare`: a plan never creates the file.
    out: Option<BufWriter<std::fs::File>>,
    /// Ids (as [`id_key`]) of the users the file held when opened, sorted.
    present: Vec<u64>,
    /// Bytes of complete lines in an existing file; a crash may have left a partial line after.
    complete_len: u64,
}

fn id_key(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    // Collisions only matter inside one file; 64 bits keep the set small for large exports.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

impl NdjsonSink {
    /// Reads the ids an existing file already holds; creates nothing (see `prepare`).
    pub fn create(path: &Path) -> std::io::Result<Self> {
        let mut present = Vec::new();
        let mut complete_len = 0u64;
        let mut lines = 0u64;
        if path.exists() {
            use std::io::{BufRead, BufReader};
            let mut reader = BufReader::new(std::fs::File::open(path)?);
            let mut line = String::new();
            loop {
                line.clear();
                let n = reader.read_line(&mut line)?;
                if n == 0 || !line.ends_with('\n') {
                    break;
                }
                complete_len += n as u64;
                lines += 1;
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<serde_json::Value>(&line)
                    .ok()
                    .and_then(|v| v.get("source_id")?.as_str().map(id_key))
                {
                    Some(key) => present.push(key),
                    // Appending users to somebody else's data would mix the two for good.
                    None => {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!(
                                "{} already holds data that is not users written by authferry (line {lines}): \
                                 choose a new file for the target",
                                path.display()
                            ),
                        ));
                    }
                }
            }
        }
        present.sort_unstable();
        present.dedup();
        Ok(NdjsonSink {
            path: path.to_path_buf(),
            out: None,
            present,
            complete_len,
        })
    }

    /// Opens the file for appending (0600), first cutting a last line a crash left unfinished.
    fn open_for_append(&self) -> std::io::Result<BufWriter<std::fs::File>> {
        let file = authferry_core::io::open_private(
            &self.path,
            std::fs::OpenOptions::new().append(true).create(true),
        )?;
        file.set_len(self.complete_len)?;
        Ok(BufWriter::with_capacity(256 * 1024, file))
    }
}

impl Sink for NdjsonSink {
    fn describe(&self) -> String {
        format!("ndjson:{}", self.path.display())
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities {
            holds: Field::ALL.to_vec(),
            password_target: PASSWORD,
            requirements: Vec::new(),
        }
    }
    fn instance(&mut self) -> Option<String> {
        authferry_core::io::file_identity(&self.path)
    }
    fn prepare(&mut self) -> Result<(), SinkError> {
        if self.out.is_none() {
            self.out = Some(self.open_for_append().map_err(|e| {
                std::io::Error::new(e.kind(), format!("{}: {e}", self.path.display()))
            })?);
        }
        Ok(())
    }
    fn find_existing(&mut self, users: &[&User]) -> Result<Vec<Option<Existing>>, SinkError> {
        Ok(users
            .iter()
            .map(|u| {
                self.present
                    .binary_search(&id_key(&u.source_id))
                    .is_ok()
                    .then(|| Existing {
                        target_id: u.source_id.clone(),
                        same_id: true,
                        identifier: "id",
                    })
            })
            .collect())
    }
    fn write_batch(&mut self, batch: &[WriteItem<'_>]) -> Result<Vec<WriteOutcome>, SinkError> {
        let mut outcomes = Vec::with_capacity(batch.len());
        for item in batch {
            let target_id = item.user.source_id.clone();
            if self.present.binary_search(&id_key(&target_id)).is_ok() {
                outcomes.push(if item.resumed {
                    WriteOutcome::Migrated { target_id }
                } else {
                    WriteOutcome::AlreadyPresent { target_id }
                });
                continue;
            }
            let out = self
                .out
                .as_mut()
                .ok_or_else(|| SinkError::Config("write_batch before prepare".into()))?;
            write_ndjson_line(out, item.user)?;
            outcomes.push(WriteOutcome::Migrated { target_id });
        }
        // A batch is acknowledged only once it is on disk.
        if let Some(out) = self.out.as_mut() {
            out.flush()?;
        }
        Ok(outcomes)
    }
    fn finish(&mut self) -> Result<Vec<String>, SinkError> {
        if let Some(out) = self.out.as_mut() {
            out.flush()?;
            out.get_ref().sync_all()?;
        }
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 9 item 13: a bad line is named once, by its line, with the column within it.
    #[test]
    fn a_bad_line_is_named_once_by_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.ndjson");
        std::fs::write(
            &path,
            "{\"source_id\":\"a\",\"emails\":[{\"address\":\"a@x.io\"}]}\n{\"source_id\":\"b\", oops\n{\"source_id\":3}\n",
        )
        .unwrap();
        let mut source = NdjsonSource::open(&path).unwrap();
        assert!(source.next_user().unwrap().is_ok());
        let bad = source.next_user().unwrap().unwrap_err();
        assert!(
            bad.message.starts_with("line 2: not JSON (") && bad.message.contains("at column 19"),
            "{}",
            bad.message
        );
        assert!(!bad.message.contains("line 1") && bad.message.matches("line ").count() == 1);
        let wrong = source.next_user().unwrap().unwrap_err();
        assert!(wrong.message.starts_with("line 3: "), "{}", wrong.message);
        assert!(source.next_user().is_none());
    }
}
