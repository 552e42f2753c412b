//! A parsed digest converts into every format or refuses cleanly; what it writes parses back
//! (`authferry_hash::fuzzing::convert_any`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| authferry_hash::fuzzing::convert_any(data));
