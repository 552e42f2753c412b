//! What the `parse` and `convert` fuzz targets of `fuzz/` run, and `tests/fuzz_corpus.rs`
//! runs again over the checked-in corpora on every `cargo test`. A panic is a finding.

use crate::{ExtParams, Format, parse};

/// Any bytes (the first selects a hasher hint) parse or fail with an error that does not
/// quote the input; a parsed digest has a cost and parameters.
pub fn parse_any(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let s = String::from_utf8_lossy(rest);
    let hint = Format::ALL.get(sel as usize).map(|f| f.name());
    for h in [None, hint] {
        match parse(&s, h, &ExtParams::default()) {
            Ok(p) => {
                let _ = p.cost();
                let _ = p.params();
                let _ = p.needs_upgrade();
            }
            Err(e) => {
                // Syntax descriptions are in backticks (`awscognito#<pool>#…`): an input that is
                // just a format's fixed prefix shows up there without being quoted from the input.
                let text = e.to_string();
                let mut unquoted: String = text.split('`').step_by(2).collect();
                // Messages name formats: an input that is a format's name is not quoted.
                for f in Format::ALL {
                    unquoted = unquoted.replace(f.name(), "");
                }
                if s.len() >= 8 {
                    assert!(!unquoted.contains(s.as_ref()), "an error quotes the input");
                }
            }
        }
    }
}

/// A parsed digest converts into every format or refuses cleanly; what it writes parses back.
pub fn convert_any(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let none = ExtParams::default();
    let Ok(p) = parse(&s, None, &none) else {
        return;
    };
    let _ = p.encode();
    for &to in Format::ALL {
        if let Ok(c) = p.convert(to) {
            let out = c.encode().expect("a converted hash encodes");
            if !matches!(
                to,
                Format::FirebaseScrypt | Format::SaltedDigest | Format::Hmac
            ) {
                parse(&out, Some(to.name()), &none).expect("a converted hash parses back");
            }
        }
    }
    for t in crate::known_targets() {
        let _ = crate::convert_for(t, &p);
    }
}
