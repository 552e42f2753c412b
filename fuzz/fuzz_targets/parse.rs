//! Any bytes, with any hint from the known names, must parse or fail with an error that does
//! not quote the input — never panic (`authferry_hash::fuzzing::parse_any`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| authferry_hash::fuzzing::parse_any(data));
