//! The fakes' own self-checks (`tests/fake-*/selftest.py`), run by CI: a fake that drifts from
//! the behaviour its README promises (the spec checks, the core's messages, the rate limit, the
//! fault model) fails here before it can make a sink's test pass for the wrong reason.

use authferry_testkit::{fake_python, repo_root};
use std::process::Command;

fn selftest(python_var: &str, required_var: &str, dir: &str) {
    let Some(python) = fake_python(python_var, required_var) else {
        return;
    };
    let out = Command::new(python)
        .arg(repo_root().join(dir).join("selftest.py"))
        .output()
        .expect("run the selftest");
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default();
    assert!(
        out.status.success() && last.ends_with(" 0 failed"),
        "{dir}: {last}\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn fake_clerk_selftest_passes() {
    selftest(
        "AUTHFERRY_FAKE_CLERK_PYTHON",
        "AUTHFERRY_FAKE_CLERK_REQUIRED",
        "tests/fake-clerk",
    );
}

#[test]
fn fake_supertokens_selftest_passes() {
    selftest(
        "AUTHFERRY_FAKE_SUPERTOKENS_PYTHON",
        "AUTHFERRY_FAKE_SUPERTOKENS_REQUIRED",
        "tests/fake-supertokens",
    );
}
