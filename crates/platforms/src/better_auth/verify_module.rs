//! The ES module `authferry emit better-auth-verify --out FILE` writes: a drop-in for
//! better-auth's `emailAndPassword.password` option (`hash`, `verify`) that verifies every
//! format the `better-auth` capability table of `authferry_hash` marks
//! [`Support::VerifyModule`](authferry_hash::Support::VerifyModule) next to better-auth's own
//! scrypt, plus a `rehashOnSignIn()` plugin that replaces a legacy digest with better-auth's
//! scrypt after a successful e-mail sign-in. The JavaScript lives in `verify_module.mjs` beside
//! this file; `crates/cli/tests/better_auth_verify_module.rs` runs it in Node against digests of
//! every such format.

const MODULE: &str = include_str!("verify_module.mjs");

/// The ES module `authferry emit better-auth-verify` writes, with the process's hash-work
/// budget and cost model in place of the defaults between its `authferry:work` markers.
pub fn verify_module() -> String {
    const START: &str = "/*authferry:work*/";
    const END: &str = "/*authferry:end*/";
    let (Some(a), Some(b)) = (MODULE.find(START), MODULE.find(END)) else {
        unreachable!("verify_module.mjs holds the work markers (a unit test checks)")
    };
    format!(
        "{}{START} {} {}",
        &MODULE[..a],
        authferry_hash::work_model_json(),
        &MODULE[b..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The npm packages the module imports, with the exact versions it is tested with.
    const VERIFY_MODULE_PACKAGES: &[(&str, &str)] = &[
        ("better-auth", "1.7.25"),
        ("bcryptjs", "3.0.3"),
        ("hash-wasm", "4.13.0"),
        ("@noble/hashes", "2.4.0"),
    ];

    #[test]
    fn exports_hash_verify_and_the_rehash_plugin_and_names_its_packages() {
        let m = verify_module();
        assert!(m.contains("export async function hash(password)"));
        assert!(m.contains("export async function verify({ hash, password })"));
        assert!(m.contains("export function rehashOnSignIn()"));
        assert!(m.contains("from \"better-auth/crypto\""));
        assert!(m.contains("password: { hash, verify }"));
        assert!(m.contains("plugins: [rehashOnSignIn()"));
        for (name, version) in VERIFY_MODULE_PACKAGES {
            assert!(m.contains(&format!("{name}@{version}")), "{name}");
        }
        // Every imported package is one the header names.
        for line in m.lines().filter(|l| l.starts_with("import ")) {
            let from = line
                .rsplit("from \"")
                .next()
                .unwrap()
                .trim_end_matches("\";");
            if from.starts_with("node:") {
                continue;
            }
            let pkg = if from.starts_with('@') {
                from.splitn(3, '/').take(2).collect::<Vec<_>>().join("/")
            } else {
                from.split('/').next().unwrap().to_string()
            };
            assert!(
                VERIFY_MODULE_PACKAGES
                    .iter()
                    .any(|(n, _)| *n == pkg.as_str()),
                "{pkg} is not in the header"
            );
        }
    }

    /// The module's built-in model is the library's default one, and the emitted module holds
    /// the model of the process (here the default).
    #[test]
    fn the_work_model_is_the_hash_librarys() {
        let m = verify_module();
        let start = m.find("/*authferry:work*/").unwrap() + "/*authferry:work*/".len();
        let end = m.find("/*authferry:end*/").unwrap();
        let emitted: serde_json::Value = serde_json::from_str(m[start..end].trim()).unwrap();
        assert_eq!(emitted, authferry_hash::work_model_json());
        // The literal in the source file, read as JSON5-ish JavaScript: same keys and values.
        let start = MODULE.find("/*authferry:work*/").unwrap() + "/*authferry:work*/".len();
        let end = MODULE.find("/*authferry:end*/").unwrap();
        let literal = MODULE[start..end].trim();
        for (key, value) in emitted.as_object().unwrap() {
            assert!(
                literal.contains(&format!("{key}: {value}")),
                "verify_module.mjs's WORK default for {key} is not {value}: {literal}"
            );
        }
    }

    #[test]
    fn the_e2e_manifest_pins_the_same_versions() {
        let manifest: serde_json::Value = serde_json::from_str(include_str!(
            "../../../../tests/e2e/better-auth/package.json"
        ))
        .unwrap();
        for (name, version) in VERIFY_MODULE_PACKAGES {
            assert_eq!(
                manifest["dependencies"][name].as_str(),
                Some(*version),
                "{name}"
            );
        }
    }
}
