# Sourced by scripts/test and scripts/bench-clerk: the venv of the fake Clerk Backend API
# (tests/fake-clerk/server.py validates requests against Clerk's published OpenAPI spec with
# PyYAML + jsonschema, pinned in its requirements.txt), keyed by that file's hash, created once.
# Sets FAKE_CLERK_PYTHON.
setup_fake_clerk() {
  local req=tests/fake-clerk/requirements.txt key venv
  key=$(sha256sum "$req" | cut -c1-16)
  venv="$HOME/.cache/authferry/fake-clerk-$key"
  if ! "$venv/bin/python" -c 'import yaml, jsonschema' 2>/dev/null; then
    echo "installing the fake Clerk server's packages into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$req"
  fi
  FAKE_CLERK_PYTHON="$venv/bin/python"
}
