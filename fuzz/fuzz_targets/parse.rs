//! Any bytes, with any hint from the known names, must parse or fail with an error that does
//! not quote the input — never panic.
#![no_main]

use authferry_hash::{ExtParams, Format, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let s = String::from_utf8_lossy(rest);
    let hint = Format::ALL.get(sel as usize).map(|f| f.name());
    for h in [None, hint] {
        if let Err(e) = parse(&s, h, &ExtParams::default()) {
            if s.len() >= 8 {
                assert!(!e.to_string().contains(s.as_ref()));
            }
        }
    }
});
