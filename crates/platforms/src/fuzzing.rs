//! What the fuzz targets of `fuzz/` run, and the corpus replay test runs again on every
//! `cargo test` (`tests/fuzz_corpus.rs`): any bytes as an export file, read to the end by a
//! source reader, each record validated. A panic anywhere, or a broken invariant checked here,
//! is a finding.

use authferry_core::Source;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// The file-export readers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    ClerkCsv,
    ClerkApiJson,
    ClerkUsersJson,
    Ndjson,
}

impl Reader {
    pub const ALL: [Reader; 4] = [
        Reader::ClerkCsv,
        Reader::ClerkApiJson,
        Reader::ClerkUsersJson,
        Reader::Ndjson,
    ];

    /// The fuzz target's name (and its corpus directory's).
    pub fn name(self) -> &'static str {
        match self {
            Reader::ClerkCsv => "source_clerk_csv",
            Reader::ClerkApiJson => "source_clerk_json",
            Reader::ClerkUsersJson => "source_users_json",
            Reader::Ndjson => "source_ndjson",
        }
    }

    fn open(self, path: &std::path::Path) -> std::io::Result<Box<dyn Source>> {
        Ok(match self {
            Reader::ClerkCsv => Box::new(crate::clerk::ClerkCsvSource::open(path)?),
            Reader::ClerkApiJson => Box::new(crate::clerk::ClerkApiJsonSource::open(path)?),
            Reader::ClerkUsersJson => Box::new(crate::clerk::ClerkUsersJsonSource::open(path)?),
            Reader::Ndjson => Box::new(crate::ndjson::NdjsonSource::open(path)?),
        })
    }
}

/// A file of its own per call (fuzzers and tests run on several threads).
struct ScratchFile(PathBuf);

impl ScratchFile {
    fn new(bytes: &[u8]) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "authferry-fuzz-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, bytes).expect("write the scratch export");
        ScratchFile(path)
    }
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Reads `bytes` as an export with `reader`; returns how many records it gave. Panics when an
/// invariant breaks:
///
/// * a CSV export gives at most one record per physical row (LF, CRLF or a lone CR ends one):
///   no row is read twice;
/// * every failed record says why (a non-empty message);
/// * nothing comes after a fatal error.
pub fn read_all(reader: Reader, bytes: &[u8]) -> usize {
    let file = ScratchFile::new(bytes);
    let Ok(mut source) = reader.open(&file.0) else {
        return 0;
    };
    let mut records = 0usize;
    while let Some(item) = source.next_user() {
        records += 1;
        match item {
            Ok(user) => {
                let _ = authferry_core::validate::validate(&user);
            }
            Err(e) => {
                assert!(
                    !e.message.trim().is_empty(),
                    "a record error without a reason"
                );
                // Ids longer than 255 bytes are clipped by the engine where they are echoed
                // (reports, journal): the hostile-input suite tests that, not this.
                if e.fatal {
                    assert!(source.next_user().is_none(), "a record after a fatal error");
                    break;
                }
            }
        }
        assert!(
            records <= 1_000_000,
            "a small input gives a million records"
        );
    }
    if reader == Reader::ClerkCsv {
        // A CSV row ends at LF, CRLF or a lone CR.
        let rows = bytes
            .iter()
            .enumerate()
            .filter(|&(i, b)| *b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
            .count()
            + 1;
        assert!(records <= rows, "{records} records from {rows} rows");
    }
    records
}
