//! Any bytes as an export, read to the end by the Ndjson reader (see
//! `authferry_platforms::fuzzing::read_all` for the invariants checked).
#![no_main]

use authferry_platforms::fuzzing::{Reader, read_all};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    read_all(Reader::Ndjson, data);
});
