# Sourced by scripts/test: the venv of the fake SuperTokens core (tests/fake-supertokens/server.py:
# PyYAML + fastjsonschema for the CDI spec, bcrypt / argon2-cffi / pycryptodome for sign-in,
# phonenumbers for the core's phone normalisation, pinned in its requirements.txt), keyed by
# that file's hash, created once. Sets FAKE_SUPERTOKENS_PYTHON.
setup_fake_supertokens() {
  local req=tests/fake-supertokens/requirements.txt key venv
  key=$(sha256sum "$req" | cut -c1-16)
  venv="$HOME/.cache/authferry/fake-supertokens-$key"
  if ! "$venv/bin/python" -c 'import yaml, fastjsonschema, bcrypt, argon2, Crypto, phonenumbers, firebase_scrypt' 2>/dev/null; then
    echo "installing the fake SuperTokens core's packages into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$req"
  fi
  FAKE_SUPERTOKENS_PYTHON="$venv/bin/python"
}
