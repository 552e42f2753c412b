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
                // An input can be a piece of a message's fixed text (`awscognito#`, a format's
                // name, " digest: expected "): that is not quoting. Quoting follows the input:
                // the same input with the letters and digits of its second half rotated (its
                // prefix, which picks the format, kept) shows up rotated.
                if s.len() >= 8 && e.to_string().contains(s.as_ref()) {
                    let turned = rotate(&s);
                    let again = parse(&turned, h, &ExtParams::default())
                        .err()
                        .map(|e| e.to_string())
                        .unwrap_or_default();
                    assert!(!again.contains(&turned), "an error quotes the input");
                }
            }
        }
    }
}

/// The second half's letters by 13 and digits by 5: text of the same shape that no message
/// holds.
fn rotate(s: &str) -> String {
    let half = s.chars().count() / 2;
    s.chars()
        .enumerate()
        .map(|(i, c)| match c {
            _ if i < half => c,
            'a'..='z' => (((c as u8 - b'a') + 13) % 26 + b'a') as char,
            'A'..='Z' => (((c as u8 - b'A') + 13) % 26 + b'A') as char,
            '0'..='9' => (((c as u8 - b'0') + 5) % 10 + b'0') as char,
            c => c,
        })
        .collect()
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

/// Would catch a message that quotes a digest (checked by the test below).
#[cfg(test)]
mod tests {
    #[test]
    fn the_invariant_sees_quoting_and_ignores_fixed_text() {
        let fixed = "malformed bcrypt digest: expected 60 characters";
        let quoting = |input: &str| format!("malformed bcrypt digest `x`: {input}");
        let input = "$2b$10$abcdefghijklmnopqrstuv";
        let turned = super::rotate(input);
        assert!(turned.starts_with("$2b$10$abcd") && turned != input);
        assert!(
            quoting(&turned).contains(&turned),
            "quoting follows the input"
        );
        let piece = " digest: expected ";
        assert!(fixed.contains(piece) && !fixed.contains(&super::rotate(piece)));
    }
}
