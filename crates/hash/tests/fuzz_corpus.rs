//! The `parse` and `convert` fuzz corpora (`fuzz/seeds/`), replayed through the functions the
//! fuzz targets run: a corpus file that panics here is a regression of a fixed finding.

use std::path::Path;

fn replay(name: &str, f: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(name);
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        if std::panic::catch_unwind(|| f(&bytes)).is_err() {
            panic!("{name}: {} panics", path.display());
        }
        files += 1;
    }
    assert!(files > 0, "{name} has no corpus");
}

#[test]
fn parse_corpus() {
    replay("parse", authferry_hash::fuzzing::parse_any);
}

#[test]
fn convert_corpus() {
    replay("convert", authferry_hash::fuzzing::convert_any);
}
