//! The fidelity table's descriptors are true: what each file source's fixtures carry is among
//! the fields it declares (the table never hides a field a source brings), and what each sink
//! keeps is what its target declares.

use authferry_core::{Field, Sink, Source};
use authferry_platforms::registry::{self, Settings};
use std::collections::BTreeSet;
use std::path::Path;

fn fixture(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
        .display()
        .to_string()
}

fn declared(scheme: &str, source: bool) -> BTreeSet<Field> {
    let e = registry::endpoints()
        .find(|e| e.scheme == scheme && e.is_source() == source)
        .unwrap_or_else(|| panic!("{scheme} is not registered"));
    e.fields.iter().copied().collect()
}

/// The fields the records of `spec` carry.
fn carried(spec: &str, settings: &Settings) -> BTreeSet<Field> {
    let mut source: Box<dyn Source> = registry::parse_source(spec, settings)
        .unwrap()
        .open()
        .unwrap_or_else(|e| panic!("{spec}: {e}"));
    let mut fields = BTreeSet::new();
    while let Some(item) = source.next_user() {
        if let Ok(user) = item {
            fields.extend(Field::ALL.iter().copied().filter(|f| user.has(*f)));
        }
    }
    fields
}

#[test]
fn file_sources_declare_every_field_their_records_carry() {
    let cases: Vec<(&str, String, Settings)> = vec![
        (
            "clerk-csv",
            format!("clerk-csv:{}", fixture("clerk/dashboard.csv")),
            Settings::default(),
        ),
        (
            "clerk-csv",
            format!("clerk-csv:{}", fixture("clerk/legacy.csv")),
            Settings::default(),
        ),
        (
            "clerk-json",
            format!("clerk-json:{}", fixture("clerk/api_users.json")),
            Settings::default(),
        ),
        (
            "clerk-users-json",
            format!("clerk-users-json:{}", fixture("clerk/users.json")),
            Settings::default(),
        ),
        (
            "auth0",
            format!("auth0:{}", fixture("auth0/users.ndjson")),
            Settings::default().with_flag(
                "with-password-hashes",
                fixture("auth0/password-hashes.ndjson"),
            ),
        ),
        (
            "firebase",
            format!("firebase:{}", fixture("firebase/export.json")),
            Settings::default().with_flag("hash-config", fixture("firebase/hash_config.txt")),
        ),
        (
            "firebase",
            format!("firebase:{}", fixture("firebase/export.csv")),
            Settings::default().with_flag("hash-config", fixture("firebase/hash_config.txt")),
        ),
    ];
    for (scheme, spec, settings) in cases {
        let carried = carried(&spec, &settings);
        let declared = declared(scheme, true);
        let hidden: Vec<&Field> = carried.difference(&declared).collect();
        assert!(
            hidden.is_empty(),
            "{spec} carries {hidden:?}, which `{scheme}` does not declare (it carries {carried:?})"
        );
    }
}

#[test]
fn sinks_keep_what_their_targets_declare() {
    let dir = tempfile::tempdir().unwrap();
    let open = |spec: &str| -> Box<dyn Sink> {
        registry::parse_target(spec, &Settings::default())
            .unwrap()
            .open()
            .unwrap()
    };
    for (scheme, spec) in [
        (
            "better-auth",
            format!("better-auth:sqlite:{}", dir.path().join("new.db").display()),
        ),
        (
            "ndjson",
            format!("ndjson:{}", dir.path().join("out.ndjson").display()),
        ),
    ] {
        let kept: BTreeSet<Field> = open(&spec).capabilities().holds.into_iter().collect();
        assert_eq!(kept, declared(scheme, false), "{spec}");
    }
}
