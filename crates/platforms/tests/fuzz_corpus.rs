//! The fuzz corpora of the export readers (`fuzz/seeds/source_*`: the fixtures they started
//! from and what the fuzzer kept, minimised), replayed through the very function the fuzz
//! targets run. A corpus file that panics here is a regression of a fixed finding.

use authferry_platforms::fuzzing::{Reader, read_all};
use std::path::Path;

#[test]
fn every_reader_reads_its_whole_corpus() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds");
    for reader in Reader::ALL {
        let dir = seeds.join(reader.name());
        let mut files = 0;
        let mut records = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let result = std::panic::catch_unwind(|| read_all(reader, &bytes));
            match result {
                Ok(n) => records += n,
                Err(_) => panic!("{}: {} panics", reader.name(), path.display()),
            }
            files += 1;
        }
        assert!(files > 0, "{} has no corpus", reader.name());
        assert!(
            records > 0,
            "{}: no corpus file gives a record",
            reader.name()
        );
    }
}
