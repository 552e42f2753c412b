//! The NDJSON sink passes the shared sink conformance kit.

use authferry_core::conformance::{Harness, check_sink};
use authferry_platforms::ndjson::NdjsonSink;

#[test]
fn ndjson_sink_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.ndjson");
    let open = || -> Box<dyn authferry_core::Sink> { Box::new(NdjsonSink::create(&path).unwrap()) };
    let count = || {
        std::fs::read_to_string(&path)
            .map(|s| s.lines().count() as u64)
            .unwrap_or(0)
    };
    let journal_db = authferry_testkit::TempPgDatabase::create("kit");
    check_sink(&Harness {
        open: &open,
        count_users: &count,
        unique_identifiers: false,
        keeps_ids: true,
        throttle: None,
        pg_journal: &journal_db.url(),
    });
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

#[test]
fn a_line_cut_by_a_crash_is_dropped_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.ndjson");
    std::fs::write(
        &path,
        "{\"source_id\":\"a\",\"emails\":[{\"address\":\"a@x.io\"}]}\n{\"source_id\":\"b\",\"ema",
    )
    .unwrap();
    let mut sink = NdjsonSink::create(&path).unwrap();
    authferry_core::Sink::prepare(&mut sink).unwrap();
    drop(sink);
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
}
