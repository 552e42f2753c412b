//! The help text and the README name what the registry holds, and nothing else: every source
//! and target spelling, every platform flag and every environment variable of every registered
//! endpoint (`crates/platforms/src/registry.rs`).

use authferry_platforms::registry::{self, Endpoint};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_authferry"))
        .args(args)
        .output()
        .expect("run authferry");
    assert_eq!(out.status.code(), Some(0), "authferry {args:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The first word of each entry of the `title` section of a help text (entries are indented by
/// two spaces; the section ends at a blank line).
fn section_entries(text: &str, title: &str) -> Vec<String> {
    let start = text
        .find(&format!("\n{title}\n"))
        .unwrap_or_else(|| panic!("no {title} section in:\n{text}"));
    text[start + title.len() + 2..]
        .lines()
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

fn forms(list: impl Iterator<Item = &'static Endpoint>) -> BTreeSet<String> {
    list.flat_map(|e| e.forms.iter().map(|f| f.to_string()))
        .collect()
}

fn env_names() -> BTreeSet<String> {
    registry::env_vars()
        .iter()
        .map(|v| v.name.to_string())
        .collect()
}

#[test]
fn help_lists_every_registered_scheme_flag_and_variable() {
    assert!(registry::endpoints().count() >= 9, "the registry is empty?");
    for args in [&["--help"][..], &["migrate", "--help"], &["plan", "--help"]] {
        let text = help(args);
        for e in registry::endpoints() {
            assert!(
                text.contains(e.scheme),
                "{args:?} lacks {}:\n{text}",
                e.scheme
            );
            for form in e.forms {
                assert!(text.contains(form), "{args:?} lacks {form}:\n{text}");
            }
            for f in e.flags {
                let flag = format!("--{}", f.name);
                assert!(text.contains(&flag), "{args:?} lacks {flag}:\n{text}");
            }
            for v in e.env {
                assert!(text.contains(v.name), "{args:?} lacks {}:\n{text}", v.name);
            }
        }
        // The sections list exactly what is registered.
        let listed = |title| BTreeSet::from_iter(section_entries(&text, title));
        assert_eq!(
            listed("Sources (--from):"),
            forms(registry::sources()),
            "{args:?}"
        );
        assert_eq!(
            listed("Targets (--to):"),
            forms(registry::targets()),
            "{args:?}"
        );
        assert_eq!(listed("Environment:"), env_names(), "{args:?}");
    }
    // Where `--from` and `--to` say "see below", below has the lists, and the platform flags
    // are options of the command.
    for command in ["migrate", "plan"] {
        let text = help(&[command, "--help"]);
        assert!(text.contains(r#"see "Sources" below"#), "{text}");
        for f in registry::flags() {
            let option = format!("--{} <{}>", f.name, f.value_name);
            assert!(text.contains(&option), "{command} lacks {option}:\n{text}");
        }
    }
}

const BEGIN: &str = "<!-- registry:";
const END: &str = "<!-- /registry -->";

fn readme_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md")
}

/// The README's generated list: what stands between its markers.
fn readme_section(readme: &str) -> (usize, usize) {
    let begin = readme.find(BEGIN).expect("README has a registry: marker");
    let begin = begin + readme[begin..].find('\n').unwrap() + 1;
    let end = readme.find(END).expect("README has a /registry marker");
    (begin, end)
}

/// Each `code span` of a text.
fn code_spans(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

#[test]
fn readme_lists_every_registered_source_target_and_variable() {
    let path = readme_path();
    let readme = std::fs::read_to_string(&path).unwrap();
    let (begin, end) = readme_section(&readme);
    let expected = registry::markdown();
    let found = &readme[begin..end];
    if found != expected {
        assert!(
            std::env::var_os("AUTHFERRY_BLESS").is_some(),
            "README.md's list of sources and targets is not the registry's; run this test with \
             AUTHFERRY_BLESS=1 to rewrite it. Expected:\n{expected}\nFound:\n{found}"
        );
        let updated = format!("{}{expected}{}", &readme[..begin], &readme[end..]);
        std::fs::write(&path, updated).unwrap();
    }
    let section = expected.as_str();
    // Whatever renders it: every spelling and variable is there, under its heading.
    let targets_at = section.find("**Targets**").expect("a Targets entry");
    let (sources, targets) = section.split_at(targets_at);
    for (part, list) in [
        (sources, registry::sources().collect::<Vec<_>>()),
        (targets, registry::targets().collect()),
    ] {
        let spans: BTreeSet<&str> = code_spans(part).into_iter().collect();
        for e in list {
            for form in e.forms {
                assert!(spans.contains(form), "README lacks `{form}`");
            }
            for v in e.env {
                assert!(
                    spans.contains(v.name),
                    "README lacks `{}` for {}",
                    v.name,
                    e.scheme
                );
            }
        }
    }
    // … and nothing that is not registered.
    let known: BTreeSet<String> = forms(registry::endpoints())
        .into_iter()
        .chain(env_names())
        .chain(
            registry::flags()
                .iter()
                .map(|f| format!("--{} {}", f.name, f.value_name)),
        )
        .chain(["--from".to_string(), "--to".to_string()])
        .collect();
    for span in code_spans(section) {
        assert!(
            known.contains(span),
            "README lists `{span}`, which is not registered"
        );
    }
}

/// `--version` names the commit when built from a git checkout (issue 13 item 2).
#[test]
fn version_names_the_commit() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_authferry"))
        .arg("--version")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let text = text.trim();
    let rest = text
        .strip_prefix(&format!("authferry {}", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{text}"));
    let in_git = std::process::Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match in_git {
        Some(commit) => assert!(rest.starts_with(&format!(" ({commit} ")), "{text}"),
        None => assert_eq!(rest, "", "{text}"),
    }
}

/// `docs/fidelity.md` is what the platforms' descriptors say (issue 10 item 5); the
/// descriptors themselves are checked against the sources' fixtures and the sinks in
/// `crates/platforms/tests/fidelity.rs`.
#[test]
fn the_fidelity_table_is_the_descriptors() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/fidelity.md");
    let expected = authferry_platforms::fidelity::markdown();
    let found = std::fs::read_to_string(&path).unwrap_or_default();
    if found != expected {
        assert!(
            std::env::var_os("AUTHFERRY_BLESS").is_some(),
            "docs/fidelity.md is not what the descriptors say; run this test with \
             AUTHFERRY_BLESS=1 to rewrite it"
        );
        std::fs::write(&path, &expected).unwrap();
    }
    // Every source and target has its place.
    for source in registry::sources() {
        assert!(
            expected.contains(&format!("## `{}`", source.forms[0])),
            "{}",
            source.scheme
        );
    }
    for target in registry::targets() {
        assert!(
            expected.contains(&format!("→ `{}`", target.scheme)),
            "{}",
            target.scheme
        );
    }
}
