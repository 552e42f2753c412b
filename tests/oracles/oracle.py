"""Python oracles for authferry's password-hash differential tests.

Usage (driven by tests/oracles/differential.rs):
  python oracle.py generate SEED SCALE  → NDJSON cases on stdout:
      {"id", "format", "hash", "password", "hasher"?, "params"?, "expect": bool, "oracle"}
  python oracle.py verify               → NDJSON in: {"id", "check", "hash", "password"}
      out: {"id", "ok": bool} or {"id", "error": "…"}, one line per input line, in order.
  python oracle.py bench SECONDS        → one JSON line per benchmark case (BENCHMARKS.md).

Every hash is produced by the platform's own library (Django's hashers, passlib/libpass,
pyca/bcrypt, argon2-cffi, Werkzeug, firebase-scrypt, libxcrypt through the crypt module);
authferry then has to agree with it.
"""

import base64
import hashlib
import hmac
import json
import os
import random
import sys
import warnings

warnings.filterwarnings("ignore")

import django
from django.conf import settings

settings.configure(
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.BCryptPasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
)
django.setup()

import argon2
import bcrypt
import firebase_scrypt
from django.contrib.auth import hashers as dj
from passlib import hash as ph
from werkzeug import security as wz

try:
    import crypt as _crypt  # libxcrypt (deprecated module, still in 3.11/3.12)
except ImportError:  # pragma: no cover
    _crypt = None

FB_KEY = "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA=="
FB_SEP = "Bw=="

UNICODE_POOL = (
    "éèàüößçñøå"  # Latin-1 range
    "ĀďĘğİłŒšžǅ"  # Latin extended (ǅ has a compatibility decomposition)
    "ﬁﬂ①Ⅻｶﾞ"  # NFKC-sensitive
    "日本語中文한국어"  # CJK
    "Ωπжщ"
    "😀🔑🚀"  # outside the BMP (UTF-16 surrogate pairs)
    "e\u0301a\u0308"  # combining marks
)
ASCII_POOL = [chr(c) for c in range(32, 127)]


def rand_password(rng, kind=None):
    kind = kind or rng.choice(["ascii", "ascii", "unicode", "empty", "long", "mixed"])
    if kind == "empty":
        return ""
    if kind == "ascii":
        return "".join(rng.choice(ASCII_POOL) for _ in range(rng.randint(1, 40)))
    if kind == "unicode":
        return "".join(rng.choice(UNICODE_POOL) for _ in range(rng.randint(1, 20)))
    if kind == "long":  # past bcrypt's 72 bytes
        n = rng.randint(72, 130)
        s = "".join(rng.choice(ASCII_POOL + list(UNICODE_POOL)) for _ in range(n))
        while len(s.encode()) < 73:
            s += rng.choice(ASCII_POOL)
        return s
    return "".join(rng.choice(ASCII_POOL + list(UNICODE_POOL)) for _ in range(rng.randint(1, 30)))


def wrong(pw):
    # Prepending changes the first bytes, so even bcrypt's 72-byte window sees it.
    return "!" + pw


def b64(b):
    return base64.b64encode(b).decode()


class Gen:
    def __init__(self, seed, scale):
        self.rng = random.Random(seed)
        self.scale = scale
        self.n = 0

    def emit(self, fmt, oracle, h, pw, hasher=None, params=None, check=None, wrong_too=True):
        for p, expect in [(pw, True)] + ([(wrong(pw), False)] if wrong_too else []):
            self.n += 1
            rec = {"id": self.n, "format": fmt, "oracle": oracle, "hash": h, "password": p, "expect": expect}
            if hasher:
                rec["hasher"] = hasher
            if params:
                rec["params"] = params
            if check:
                rec["check"] = check  # the oracle that can verify a re-encoding of this hash
            sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")

    def count(self, n):
        return max(1, int(n * self.scale))


def salt_text(rng, n=None):
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(rng.choice(alphabet) for _ in range(n or rng.randint(4, 22)))


def generate(seed, scale):
    g = Gen(seed, scale)
    r = g.rng

    # --- bcrypt (pyca/bcrypt; libxcrypt for $2x$/$2a$ quirks) --------------------------------
    for _ in range(g.count(150)):
        pw = rand_password(r)
        prefix = r.choice([b"2a", b"2b"])
        h = bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=4, prefix=prefix)).decode()
        g.emit("bcrypt", "pyca/bcrypt", h, pw, hasher=r.choice([None, "bcrypt"]), check="bcrypt")
    for _ in range(g.count(40)):
        pw = rand_password(r)
        h = ph.bcrypt.using(rounds=4, ident="2y").hash(pw)
        g.emit("bcrypt", "passlib bcrypt 2y", h, pw, check="bcrypt")
    if _crypt is not None:
        for _ in range(g.count(40)):
            # High bytes: where $2x$ (sign-extension bug) and crypt_blowfish's $2a$ differ.
            pw = "".join(r.choice("\u00a3\u00ff\u00e9abc") for _ in range(r.randint(1, 12)))
            for ident in ("2x", "2a", "2y"):
                salt = bcrypt.gensalt(rounds=4).decode()[7:29]
                h = _crypt.crypt(pw, f"${ident}$04${salt}")
                if h and h.startswith(f"${ident}$"):
                    g.emit("bcrypt", f"libxcrypt ${ident}$", h, pw)
    for _ in range(g.count(60)):
        pw = rand_password(r)
        h = dj.make_password(pw, hasher=LowCost.bcrypt_sha256)
        g.emit("django_bcrypt_sha256", "django", h, pw, hasher=r.choice([None, "bcrypt_sha256_django"]), check="django")
    for _ in range(g.count(40)):
        pw = rand_password(r)
        h = dj.make_password(pw, hasher=LowCost.bcrypt)
        g.emit("django_bcrypt", "django", h, pw, check="django")
    for _ in range(g.count(60)):
        pw = rand_password(r)
        h = ph.bcrypt_sha256.using(rounds=4, version=r.choice([1, 2])).hash(pw)
        g.emit("passlib_bcrypt_sha256", "libpass", h, pw)
    for _ in range(g.count(40)):
        pw = rand_password(r)
        pre = base64.b64encode(hmac.new(b"wp-sha384", pw.encode(), hashlib.sha384).digest())
        h = bcrypt.hashpw(pre, bcrypt.gensalt(rounds=4)).decode().replace("$2b$", "$2y$", 1)
        g.emit("wordpress_bcrypt", "pyca/bcrypt + wp_check_password construction", "$wp" + h, pw)
    for _ in range(g.count(40)):
        pw, pepper = rand_password(r), salt_text(r, 16)
        h = bcrypt.hashpw((pw + pepper).encode(), bcrypt.gensalt(rounds=4)).decode() + "$" + pepper
        g.emit("bcrypt_peppered", "pyca/bcrypt + Devise pepper", h, pw, hasher="bcrypt_peppered")

    # --- Argon2 (argon2-cffi, Django) ---------------------------------------------------------
    for _ in range(g.count(120)):
        pw = rand_password(r)
        t = r.choice([argon2.Type.ID, argon2.Type.I, argon2.Type.D])
        hasher = argon2.PasswordHasher(
            time_cost=r.randint(1, 3),
            memory_cost=r.choice([16, 64, 256]),
            parallelism=r.randint(1, 2),
            hash_len=r.choice([16, 32, 64]),
            salt_len=r.choice([8, 16, 32]),
            type=t,
        )
        h = hasher.hash(pw)
        name = {argon2.Type.ID: "argon2id", argon2.Type.I: "argon2i", argon2.Type.D: "argon2d"}[t]
        g.emit(name, "argon2-cffi", h, pw, hasher=r.choice([None, name]), check="argon2")
    for _ in range(g.count(60)):
        pw = rand_password(r)
        h = dj.make_password(pw, hasher=LowCost.argon2)
        g.emit("django_argon2", "django", h, pw, check="django")

    # --- scrypt -------------------------------------------------------------------------------
    for _ in range(g.count(50)):
        pw = rand_password(r)
        h = ph.scrypt.using(rounds=r.randint(4, 10), block_size=r.randint(1, 8)).hash(pw)
        g.emit("scrypt_phc", "libpass scrypt", h, pw, check="passlib_scrypt")
    for _ in range(g.count(50)):
        pw = rand_password(r)
        h = dj.make_password(pw, hasher=LowCost.scrypt)
        g.emit("django_scrypt", "django", h, pw, check="django")
    for _ in range(g.count(50)):
        pw = rand_password(r)
        n = 2 ** r.randint(8, 11)
        h = wz.generate_password_hash(pw, method=f"scrypt:{n}:{r.randint(4, 8)}:{r.randint(1, 2)}")
        g.emit("werkzeug_scrypt", "werkzeug", h, pw, hasher=r.choice([None, "scrypt_werkzeug"]), check="werkzeug")

    # --- Firebase scrypt (firebase-scrypt), in Clerk's syntax and Firebase's own export ---------
    for _ in range(g.count(40)):
        pw = rand_password(r)
        salt = b64(os.urandom(r.choice([8, 10, 16])))
        rounds, mem = r.randint(1, 8), r.randint(6, 12)
        dk = firebase_scrypt.generate_derived_key(pw, salt, FB_SEP, rounds, mem)
        h = b64(firebase_scrypt.encrypt(base64.b64decode(FB_KEY), dk))
        clerk = f"{h}${salt}${FB_KEY}${FB_SEP}${rounds}${mem}"
        g.emit("scrypt_firebase", "firebase-scrypt (py)", clerk, pw, hasher=r.choice([None, "scrypt_firebase"]), check="firebase")
        params = {"signer_key": FB_KEY, "salt_separator": FB_SEP, "rounds": rounds, "mem_cost": mem, "salt": salt}
        g.emit("firebase_scrypt", "firebase-scrypt (py)", h, pw, hasher="firebase_scrypt", params=params,
               # The npm firebase-scrypt refuses the empty password; it checks the others.
               check="firebase_npm" if pw else None)

    # --- PBKDF2 -------------------------------------------------------------------------------
    for _ in range(g.count(60)):
        pw = rand_password(r)
        h = dj.make_password(pw, salt=salt_text(r), hasher=r.choice([LowCost.pbkdf2_sha256, LowCost.pbkdf2_sha1]))
        fmt = "django_pbkdf2_sha256" if h.startswith("pbkdf2_sha256$") else "django_pbkdf2_sha1"
        g.emit(fmt, "django", h, pw, check="django")
    for _ in range(g.count(60)):
        pw = rand_password(r)
        handler = r.choice([ph.pbkdf2_sha1, ph.pbkdf2_sha256, ph.pbkdf2_sha512])
        h = handler.using(rounds=r.randint(1, 2000), salt_size=r.randint(0, 24)).hash(pw)
        g.emit("passlib_pbkdf2", "libpass", h, pw, check="passlib_pbkdf2")
    for _ in range(g.count(60)):
        pw = rand_password(r)
        handler = r.choice([ph.ldap_pbkdf2_sha1, ph.ldap_pbkdf2_sha256, ph.ldap_pbkdf2_sha512])
        h = handler.using(rounds=r.randint(1, 2000)).hash(pw)
        g.emit("ldap_pbkdf2", "libpass", h, pw)
    for _ in range(g.count(50)):
        pw = rand_password(r)
        h = wz.generate_password_hash(pw, method=f"pbkdf2:{r.choice(['sha1', 'sha256', 'sha512'])}:{r.randint(1, 3000)}")
        g.emit("werkzeug_pbkdf2", "werkzeug", h, pw, check="werkzeug")

    # --- plain / salted digests ---------------------------------------------------------------
    for _ in range(g.count(40)):
        pw = rand_password(r)
        for handler, fmt, hint in [
            (ph.hex_md5, "md5", "md5"),
            (ph.hex_sha1, "sha1", None),
            (ph.hex_sha256, "sha256", "sha256"),
            (ph.hex_sha512, "sha512", None),
        ]:
            g.emit(fmt, "libpass", handler.hash(pw), pw, hasher=r.choice([None, hint]))
    for _ in range(g.count(40)):
        pw = rand_password(r)
        h = dj.make_password(pw, salt=salt_text(r), hasher="md5")
        g.emit("django_md5", "django", h, pw, check="django")
        h = ph.django_salted_sha1.hash(pw)
        g.emit("django_sha1", "libpass", h, pw)
    for _ in range(g.count(60)):
        pw = rand_password(r)
        alg = r.choice(["md5", "sha1", "sha256", "sha512"])
        salt = salt_text(r)
        pos = r.choice(["prefix", "suffix"])
        m = (salt + pw) if pos == "prefix" else (pw + salt)
        d = hashlib.new(alg, m.encode()).digest()
        enc = r.choice(["hex", "base64"])
        h = d.hex() if enc == "hex" else b64(d)
        g.emit("salted_digest", "hashlib", h, pw, hasher=alg, params={"salt": salt, "salt_position": pos, "salt_encoding": "utf8"})
    for _ in range(g.count(40)):
        pw = rand_password(r)
        salt = salt_text(r)
        g.emit("md5_salted", "hashlib", f"{salt}${hashlib.md5((salt + pw).encode()).hexdigest()}", pw, hasher="md5_salted")
        g.emit("sha256_salted", "hashlib", f"{salt}${hashlib.sha256((salt + pw).encode()).hexdigest()}", pw, hasher="sha256_salted")

    # --- LDAP ---------------------------------------------------------------------------------
    for _ in range(g.count(40)):
        pw = rand_password(r)
        for handler, fmt in [
            (ph.ldap_salted_sha1, "ldap_ssha"),
            (ph.ldap_sha1, "ldap_digest"),
            (ph.ldap_md5, "ldap_digest"),
            (ph.ldap_salted_md5, "ldap_digest"),
            (ph.ldap_salted_sha256, "ldap_digest"),
            (ph.ldap_salted_sha512, "ldap_digest"),
        ]:
            g.emit(fmt, "libpass", handler.hash(pw), pw)

    # --- HMAC (Kratos layout over the stdlib) --------------------------------------------------
    for _ in range(g.count(40)):
        pw = rand_password(r)
        alg = r.choice(["md5", "sha1", "sha224", "sha256", "sha384", "sha512"])
        key = os.urandom(r.randint(1, 40))
        mac = hmac.new(key, pw.encode(), alg).hexdigest()
        g.emit("kratos_hmac", "hmac", f"$hmac-{alg}${b64(mac.encode())}${b64(key)}", pw)

    # --- HMAC with the key and salt as parameters (Firebase HMAC_*, Auth0 hmac) ----------------
    for _ in range(g.count(40)):
        pw = rand_password(r)
        alg = r.choice(["md5", "sha1", "sha256", "sha512"])
        key = os.urandom(r.randint(1, 64))
        salt = salt_text(r) if r.random() < 0.5 else ""
        pos = r.choice(["prefix", "suffix"])
        msg = (salt + pw) if pos == "prefix" else (pw + salt)
        d = hmac.new(key, msg.encode(), alg).digest()
        params = {"hmac_key": b64(key), "key_encoding": "base64", "salt_position": pos}
        if salt:
            params["salt"] = salt
        g.emit("hmac", "hmac", r.choice([d.hex(), b64(d)]), pw, hasher=f"hmac_{alg}", params=params)

    # --- crypt(3) family, phpass, NT hash -------------------------------------------------------
    for _ in range(g.count(40)):
        pw = rand_password(r)
        g.emit("md5_crypt", "libpass", ph.md5_crypt.hash(pw), pw, check="crypt")
        g.emit("md5_crypt", "libpass", ph.apr_md5_crypt.hash(pw), pw)
        g.emit("sha256_crypt", "libpass", ph.sha256_crypt.using(rounds=r.randint(1000, 3000)).hash(pw), pw, check="crypt")
        g.emit("sha512_crypt", "libpass", ph.sha512_crypt.using(rounds=r.choice([1000, 5000])).hash(pw), pw, check="crypt")
        g.emit("ldap_crypt", "libpass", ph.ldap_md5_crypt.hash(pw), pw)
    for _ in range(g.count(60)):
        pw = rand_password(r)
        h = ph.phpass.using(rounds=r.randint(7, 9), ident=r.choice(["P", "H"])).hash(pw)
        g.emit("phpass", "libpass", h, pw, hasher=r.choice([None, "phpass", "md5_phpass"]))
    for _ in range(g.count(40)):
        pw = rand_password(r)
        g.emit("nt_hash", "libpass nthash", ph.nthash.hash(pw), pw, hasher="nt_hash")


class LowCost:
    """Django's hashers with costs low enough for thousands of cases."""

    class pbkdf2_sha256(dj.PBKDF2PasswordHasher):
        iterations = 1000

    class pbkdf2_sha1(dj.PBKDF2SHA1PasswordHasher):
        iterations = 1000

    class argon2(dj.Argon2PasswordHasher):
        time_cost = 1
        memory_cost = 64
        parallelism = 2

    class bcrypt_sha256(dj.BCryptSHA256PasswordHasher):
        rounds = 4

    class bcrypt(dj.BCryptPasswordHasher):
        rounds = 4

    class scrypt(dj.ScryptPasswordHasher):
        work_factor = 2**10
        block_size = 4


for _name in ("pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256", "bcrypt", "scrypt"):
    setattr(LowCost, _name, getattr(LowCost, _name)())


def check(kind, h, pw):
    """Verify `pw` against a (re-encoded) hash `h` with the library that owns its syntax."""
    if kind == "django":
        return dj.check_password(pw, h)
    if kind == "bcrypt":
        return bcrypt.checkpw(pw.encode(), h.encode())
    if kind == "argon2":
        try:
            return argon2.PasswordHasher().verify(h, pw)
        except argon2.exceptions.VerifyMismatchError:
            return False
    if kind == "passlib_pbkdf2":
        for handler in (ph.pbkdf2_sha1, ph.pbkdf2_sha256, ph.pbkdf2_sha512, ph.ldap_pbkdf2_sha1, ph.ldap_pbkdf2_sha256, ph.ldap_pbkdf2_sha512):
            if handler.identify(h):
                return handler.verify(pw, h)
        raise ValueError("not a passlib pbkdf2 hash")
    if kind == "passlib_scrypt":
        return ph.scrypt.verify(pw, h)
    if kind == "werkzeug":
        return wz.check_password_hash(h, pw)
    if kind == "crypt":
        for handler in (ph.md5_crypt, ph.sha256_crypt, ph.sha512_crypt, ph.ldap_md5_crypt, ph.ldap_sha512_crypt, ph.ldap_sha256_crypt):
            if handler.identify(h):
                return handler.verify(pw, h)
        raise ValueError("not a crypt hash")
    if kind == "fbscrypt":
        # Supabase `$fbscrypt$v=1,n=,r=,p=,ss=,sk=$salt$hash` read field by field, checked by
        # firebase-scrypt.
        _, _, params, salt, hsh = h.split("$")
        kv = dict(p.split("=", 1) for p in params.split(","))
        return firebase_scrypt.verify_password(pw, hsh, salt, kv["ss"], kv["sk"], int(kv["r"]), int(kv["n"]))
    if kind == "f_scrypt":
        # SuperTokens `$f_scrypt$hash$salt$m=$r=$s=` with the project signer key.
        _, _, hsh, salt, m, rr, s = h.split("$")
        return firebase_scrypt.verify_password(pw, hsh, salt, s[2:], FB_KEY, int(rr[2:]), int(m[2:]))
    raise ValueError(f"unknown check {kind}")


def verify_stream():
    for line in sys.stdin:
        rec = json.loads(line)
        try:
            out = {"id": rec["id"], "ok": bool(check(rec["check"], rec["hash"], rec["password"]))}
        except Exception as e:  # noqa: BLE001 — reported per line
            out = {"id": rec["id"], "error": type(e).__name__}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


def bench(seconds):
    import time

    pw = "password"
    salt16 = b"somesaltsomesalt"

    def run(name, lib, fn):
        fn()
        n, t0 = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            el = time.perf_counter() - t0
            if el >= seconds:
                break
        print(json.dumps({"format": name, "oracle": lib, "verifications": n, "seconds": round(el, 3), "per_second": round(n / el, 1)}))

    bh = bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=10))
    run("bcrypt_cost10", f"pyca/bcrypt {bcrypt.__version__}", lambda: bcrypt.checkpw(pw.encode(), bh))
    a = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    ah = a.hash(pw)
    run("argon2id_m19456_t2_p1", f"argon2-cffi {argon2.__version__}", lambda: a.verify(ah, pw))
    salt = "42xEC+ixf3L2lw=="
    fh = b64(firebase_scrypt.encrypt(base64.b64decode(FB_KEY), firebase_scrypt.generate_derived_key(pw, salt, FB_SEP, 8, 14)))
    run("firebase_scrypt_r8_m14", "firebase-scrypt 0.1.0 (hashlib.scrypt/OpenSSL + pycryptodome)",
        lambda: firebase_scrypt.verify_password(pw, fh, salt, FB_SEP, FB_KEY, 8, 14))
    dk = hashlib.pbkdf2_hmac("sha256", pw.encode(), salt16, 600000)
    run("pbkdf2_sha256_600k", "hashlib.pbkdf2_hmac (OpenSSL)",
        lambda: hmac.compare_digest(hashlib.pbkdf2_hmac("sha256", pw.encode(), salt16, 600000), dk))
    sd = hashlib.sha256(b"0123456789abcdef" + pw.encode()).hexdigest()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for _ in range(10000):
            hmac.compare_digest(hashlib.sha256(("0123456789abcdef" + pw).encode()).hexdigest(), sd)
        n += 10000
    el = time.perf_counter() - t0
    print(json.dumps({"format": "salted_sha256", "oracle": "hashlib.sha256 (OpenSSL)", "verifications": n, "seconds": round(el, 3), "per_second": round(n / el, 1)}))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "generate":
        generate(int(sys.argv[2]), float(sys.argv[3]))
    elif cmd == "verify":
        verify_stream()
    elif cmd == "bench":
        bench(float(sys.argv[2]))
    else:
        sys.exit(f"unknown command {cmd}")
