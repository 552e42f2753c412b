//! A parsed digest converts into every format or refuses cleanly; what it writes parses back.
#![no_main]

use authferry_hash::{ExtParams, Format, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let none = ExtParams::default();
    let Ok(p) = parse(&s, None, &none) else {
        return;
    };
    let _ = p.encode();
    let _ = p.params();
    for &to in Format::ALL {
        if let Ok(c) = p.convert(to) {
            let out = c.encode().expect("a converted hash encodes");
            if !matches!(to, Format::FirebaseScrypt | Format::SaltedDigest | Format::Hmac) {
                parse(&out, Some(to.name()), &none).expect("a converted hash parses back");
            }
        }
    }
    for t in authferry_hash::known_targets() {
        let _ = authferry_hash::convert_for(t, &p);
    }
});
