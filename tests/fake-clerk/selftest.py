#!/usr/bin/env python3
"""Self-check of the fake Clerk server: starts it, exercises it over HTTP with
urllib, and prints 'N passed, N failed'. Run with the venv's python:

    python selftest.py [--spec PATH] [--bench]

--bench also measures throughput with 16 keep-alive connections (http.client).
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC_NAME = "clerk-backend-api-2026-05-12.yml"
DEFAULT_SPEC = next((p for p in (
    os.path.join(HERE, "spec", SPEC_NAME),  # the repo's copy, when there is one
    os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "reference", SPEC_NAME)))
    if os.path.exists(p)), os.path.join(HERE, "spec", SPEC_NAME))
sys.dont_write_bytecode = True  # the suite imports server.py
KEY = "sk_test_selftest"

results = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    if cond:
        results["passed"] += 1
        print("ok   " + name)
    else:
        results["failed"] += 1
        print("FAIL " + name + ("  -- " + detail if detail else ""))


class Fake:
    def __init__(self, spec, *extra, key=KEY):
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "server.py"), "--spec", spec,
             *(["--key", key] if key else []), *extra], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        self.startup = time.monotonic() - self.t0
        assert line.startswith("listening on http://127.0.0.1:"), line
        self.base = line.split()[-1]
        self.port = int(self.base.rsplit(":", 1)[1])

    def stop(self):
        self.proc.terminate()
        try:
            return self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None

    def call(self, method, path, body=None, key=KEY, raw=None, ctype="application/json"):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if key is not None:
            req.add_header("Authorization", "Bearer " + key)
        if data is not None and ctype:
            req.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, dict(r.headers), json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), json.loads(e.read() or b"null")
        except (http.client.RemoteDisconnected, ConnectionResetError):
            return "drop", {}, None

    def stats(self):
        return self.call("GET", "/__admin/stats", key=None)[2]

    def config(self, **kw):
        return self.call("POST", "/__admin/config", kw, key=None)

    def reset(self):
        return self.call("POST", "/__admin/reset", {}, key=None)


def user_body(i, **kw):
    b = {"external_id": "ext-%d" % i, "email_address": ["User%d@Example.com" % i],
         "first_name": "F%d" % i, "last_name": "L%d" % i,
         "password_digest": "$2a$10$secretdigestvalue%d" % i, "password_hasher": "bcrypt",
         "skip_password_checks": True,
         "created_at": "2021-01-%02dT10:00:00Z" % (1 + i % 28)}
    b.update(kw)
    return b


def leaks(obj, *secrets):
    s = json.dumps(obj)
    return [x for x in secrets if x in s]


def run(spec):
    fake = Fake(spec)
    check("startup < 3 s (%.2fs)" % fake.startup, fake.startup < 3)
    try:
        suite(fake, spec)
    finally:
        rc = fake.stop()
        check("exits on SIGTERM", rc is not None)
    preload_suite(spec)


def preload_suite(spec):
    import tempfile
    admin_shaped = {"id": "user_preloaded0000000000000000001", "object": "user",
                    "external_id": "old-1", "username": "Bob", "created_at": 1500000000000,
                    "email_addresses": [{"id": "idn_pre1", "object": "email_address",
                                         "email_address": "bob@example.com"}],
                    "_password_digest": "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA",
                    "_password_hasher": "argon2id"}
    plain = {"id": "user_preloaded0000000000000000002", "object": "user",
             "external_id": "old-2", "created_at": 1600000000000}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as tf:
        json.dump([admin_shaped, plain], tf)
    fake = Fake(spec, "--preload", tf.name, key=None)
    try:
        st, _, rows = fake.call("GET", "/v1/users", key="sk_live_anything")
        check("preload: listed newest first", st == 200 and [r["id"] for r in rows] ==
              [plain["id"], admin_shaped["id"]], str(rows)[:200])
        check("preload: secrets not in the API", not leaks(rows, "argon2id"))
        st, _, rows = fake.call("GET", "/v1/users?username=bob", key="sk_test_x")
        check("preload: indexed for lookups", len(rows) == 1 and rows[0]["external_id"] == "old-1")
        st, _, body = fake.call("POST", "/v1/users", {"email_address": ["BOB@example.com"],
                                                      "skip_password_requirement": True},
                                key="sk_test_x")
        check("preload: uniqueness enforced", st == 422 and
              body["errors"][0]["code"] == "form_identifier_exists")
        st, _, au = fake.call("GET", "/__admin/users", key=None)
        check("preload: admin view keeps secrets", au[0]["_password_hasher"] == "argon2id")
        check("default key check: any sk_test_/sk_live_, nothing else",
              fake.call("GET", "/v1/users/count", key="pk_test_x")[0] == 401 and
              fake.call("GET", "/v1/users/count", key="sk_test_")[0] == 401)
    finally:
        fake.stop()
        os.unlink(tf.name)


def suite(f, spec):
    sys.path.insert(0, HERE)
    import jsonschema
    import server
    spec_obj = server.Spec(spec)
    user_validator = jsonschema.Draft4Validator(spec_obj.user_schema)

    # auth
    st, _, body = f.call("GET", "/v1/users", key=None)
    check("no auth -> 401", st == 401 and body["errors"][0]["code"] == "authentication_invalid")
    st, _, _ = f.call("GET", "/v1/users", key="sk_test_other")
    check("wrong key -> 401", st == 401)

    # create
    st, _, u = f.call("POST", "/v1/users", user_body(1, totp_secret="JBSWY3DPEHPK3PXP",
                                                     backup_codes=["bk-111", "bk-222"]))
    check("create -> 200", st == 200, str(st))
    check("user object shape", u and u["object"] == "user" and u["id"].startswith("user_")
          and len(u["id"]) == 32 and u["external_id"] == "ext-1"
          and u["email_addresses"][0]["verification"]["status"] == "verified"
          and u["primary_email_address_id"] == u["email_addresses"][0]["id"]
          and u["password_enabled"] and u["totp_enabled"] and u["backup_code_enabled"]
          and u["created_at"] == 1609581600000, json.dumps(u)[:300])
    errs = [e.message for e in user_validator.iter_errors(u)]
    check("user validates against the spec's User schema", not errs, "; ".join(errs[:3]))
    check("create response has no secrets",
          not leaks(u, "secretdigest", "JBSWY3DP", "bk-111", "bcrypt"))

    # duplicates (case-insensitive email, external_id, username)
    st, _, body = f.call("POST", "/v1/users", user_body(2, email_address=["user1@EXAMPLE.com"]))
    check("duplicate email -> 422 form_identifier_exists",
          st == 422 and body["errors"][0]["code"] == "form_identifier_exists"
          and body["errors"][0]["meta"]["param_name"] == "email_address", json.dumps(body))
    st, _, body = f.call("POST", "/v1/users", user_body(3, external_id="ext-1"))
    check("duplicate external_id -> 422",
          st == 422 and body["errors"][0]["meta"]["param_name"] == "external_id")
    f.call("POST", "/v1/users", user_body(4, username="Alice"))
    st, _, body = f.call("POST", "/v1/users", user_body(5, username="alice"))
    check("duplicate username (case-insensitive) -> 422",
          st == 422 and body["errors"][0]["meta"]["param_name"] == "username")

    # spec violations
    s0 = f.stats()["spec_violations"]
    st, _, body = f.call("POST", "/v1/users", user_body(6, password="hunter2-secret-pw",
                                                        password_digest=None,
                                                        password_hasher=None,
                                                        favourite_colour="blue"))
    codes = {(e["code"], e.get("meta", {}).get("param_name")) for e in body["errors"]}
    check("unknown key -> 422 form_param_unknown",
          st == 422 and ("form_param_unknown", "favourite_colour") in codes, json.dumps(body))
    check("null password_hasher -> form_param_format_invalid",
          ("form_param_format_invalid", "password_hasher") in codes, json.dumps(body))
    check("422 does not echo values", not leaks(body, "hunter2", "blue"))
    st, _, body = f.call("POST", "/v1/users", user_body(7, email_address="x@example.com"))
    check("wrong type -> 422 form_param_format_invalid",
          st == 422 and body["errors"][0]["meta"]["param_name"] == "email_address"
          and "x@example.com" not in json.dumps(body))
    st, _, body = f.call("POST", "/v1/users", user_body(8, password_hasher="sha1_nope"))
    check("unsupported hasher -> 422", st == 422 and
          body["errors"][0]["meta"]["param_name"] == "password_hasher")
    st, _, body = f.call("POST", "/v1/users", {k: v for k, v in user_body(9).items()
                                               if k != "password_hasher"})
    check("digest without hasher -> 422", st == 422 and
          body["errors"][0]["meta"]["param_name"] == "password_hasher")
    st, _, _ = f.call("POST", "/v1/users", raw=b"{not json")
    check("invalid JSON -> 422", st == 422)
    st, _, _ = f.call("GET", "/v1/users?limit=0")
    check("limit=0 -> 422", st == 422)
    st, _, body = f.call("GET", "/v1/users?bogus=1")
    check("unknown query param -> 422 form_param_unknown",
          st == 422 and body["errors"][0]["code"] == "form_param_unknown")
    st, _, _ = f.call("GET", "/v1/users?limit=abc")
    check("limit=abc -> 422", st == 422)
    s1 = f.stats()["spec_violations"]
    check("spec violations counted (%d)" % (s1 - s0), s1 - s0 == 8, str(s1 - s0))

    # instance rules (not spec violations)
    st, _, body = f.call("POST", "/v1/users", {"email_address": ["nopw@example.com"]})
    check("no password -> 422 form_data_missing password",
          st == 422 and body["errors"][0]["code"] == "form_data_missing"
          and body["errors"][0]["meta"]["param_name"] == "password")
    st, _, body = f.call("POST", "/v1/users", {"skip_password_requirement": True})
    check("no identifier -> 422 form_data_missing",
          st == 422 and body["errors"][0]["code"] == "form_data_missing")
    st, _, u2 = f.call("POST", "/v1/users", {"skip_password_requirement": True,
                                             "skip_user_requirement": True})
    check("bare user with skip flags -> 200", st == 200 and not u2["password_enabled"])
    check("instance rules are not spec violations", f.stats()["spec_violations"] == s1)

    # lookups and pagination
    f.reset()
    ids = []
    for i in range(25):
        st, _, u = f.call("POST", "/v1/users", user_body(
            i, created_at="2022-03-%02dT00:00:00.000Z" % (1 + i // 2)))
        ids.append(u["id"])
    st, _, rows = f.call("GET", "/v1/users?external_id=ext-7")
    check("lookup by external_id", st == 200 and len(rows) == 1 and rows[0]["id"] == ids[7])
    st, _, rows = f.call("GET", "/v1/users?external_id=ext-7&external_id=ext-9&external_id=nope")
    check("repeated external_id is OR", {r["external_id"] for r in rows} == {"ext-7", "ext-9"})
    st, _, rows = f.call("GET", "/v1/users?external_id=ext-7&email_address=user9@example.com")
    check("different params are AND", rows == [])
    st, _, rows = f.call("GET", "/v1/users?email_address=USER3@example.COM")
    check("email lookup is case-insensitive", len(rows) == 1 and rows[0]["id"] == ids[3])
    st, _, c = f.call("GET", "/v1/users/count")
    check("count", c == {"object": "total_count", "total_count": 25}, json.dumps(c))
    st, _, c = f.call("GET", "/v1/users/count?external_id=ext-1&external_id=ext-2")
    check("count with filter", c["total_count"] == 2)
    seen = []
    for off in range(0, 30, 10):
        st, _, rows = f.call("GET", "/v1/users?order_by=created_at&limit=10&offset=%d" % off)
        seen += [r["id"] for r in rows]
    check("offset pagination ascending = insertion order (ties stable)", seen == ids,
          "%s..." % seen[:4])
    st, _, rows = f.call("GET", "/v1/users?limit=500")
    exp = sorted(range(25), key=lambda i: -(1 + i // 2))  # -created_at, ties by insertion
    check("default order -created_at, ties by insertion", [r["id"] for r in rows] ==
          [ids[i] for i in exp])
    cur, walked = None, []
    while True:
        q = "/v1/users?limit=7" + ("&starting_after=" + cur if cur else "")
        st, _, rows = f.call("GET", q)
        walked += [r["id"] for r in rows]
        if len(rows) < 7:
            break
        cur = rows[-1]["id"]
    check("starting_after cursor walk", walked == [ids[i] for i in exp])

    # admin users: secrets visible there only
    st, _, au = f.call("GET", "/__admin/users", key=None)
    check("admin users in creation order with secrets",
          [a["id"] for a in au] == ids and au[0]["_password_hasher"] == "bcrypt"
          and au[0]["_password_digest"].startswith("$2a$10$secretdigest")
          and au[0]["_created_at_request"] == "2022-03-01T00:00:00.000Z")

    # rate limit
    f.config(limit=5, window=2)
    got = [f.call("GET", "/v1/users/count") for _ in range(8)]
    sts = [g[0] for g in got]
    check("rate limit: 5 x 200 then 429", sts == [200] * 5 + [429] * 3, str(sts))
    ra = got[-1][1].get("Retry-After")
    check("429 has Retry-After 1..2 and too_many_requests",
          ra is not None and 1 <= int(ra) <= 2
          and got[-1][2]["errors"][0]["code"] == "too_many_requests", str(ra))
    s = f.stats()
    check("max_requests_in_window counts attempts incl. 429", s["max_requests_in_window"] >= 8,
          str(s["max_requests_in_window"]))
    time.sleep(int(ra) + 0.05)
    check("next window accepts again", f.call("GET", "/v1/users/count")[0] == 200)
    f.config(limit=100000, window=10)

    # faults: deterministic per (seed, method, path, key, attempt)
    def fault_run():
        f.reset()
        f.config(fault_rate=0.5, slow_seconds=0.05)
        seq = []
        for i in range(30):
            seq.append(f.call("POST", "/v1/users", user_body(100 + i))[0])
        s = f.stats()
        f.config(fault_rate=0.0)
        return seq, s

    seq1, s1 = fault_run()
    seq2, s2 = fault_run()
    check("fault sequence is deterministic", seq1 == seq2, "%s vs %s" % (seq1, seq2))
    check("faults happen and are counted", sum(s1["faults"].values()) > 0 and
          set(s1["faults"]) == {"500_before", "503_before", "500_after", "slow",
                                "drop_before", "drop_after"}, json.dumps(s1["faults"]))
    n_after = s1["faults"]["500_after"] + s1["faults"]["drop_after"]
    n_ok = seq1.count(200)
    check("after-faults store the user", s1["created"] == n_ok + n_after,
          "created=%d ok=%d after=%d" % (s1["created"], n_ok, n_after))
    check("drops counted", s1["dropped"] == seq1.count("drop"))
    # retrying a 500_after/drop_after POST meets the duplicate check
    f.reset()
    f.config(fault_rate=1.0, slow_seconds=0.05)
    outcomes = []
    for i in range(12):
        b = user_body(200 + i)
        first = f.call("POST", "/v1/users", b)[0]
        f.config(fault_rate=0.0)
        retry = f.call("POST", "/v1/users", b)[0]
        f.config(fault_rate=1.0)
        outcomes.append((first, retry))
    f.config(fault_rate=0.0)
    s = f.stats()
    fl = s["faults"]
    stored_first = fl["500_after"] + fl["drop_after"] + fl["slow"]
    check("retry of a stored-then-failed POST is a duplicate 422",
          [r for _, r in outcomes].count(422) == stored_first == s["duplicate_create_attempts"]
          and all(r == 200 for fst, r in outcomes if fst == 503), "%s %s" % (outcomes, fl))
    check("every request faulted at rate 1", sum(s["faults"].values()) == 12,
          json.dumps(s["faults"]))
    st, _, stats = f.call("GET", "/__admin/stats", key=None)
    check("stats never hold secrets", not leaks(stats, "secretdigest", "Example.com"))


def bench(spec, seconds=5.0, conns=16):
    fake = Fake(spec, "--limit", "100000000")
    counts = [0] * conns
    errors = [0] * conns
    stop_at = time.monotonic() + seconds

    def worker(n):
        c = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=30)
        i = 0
        while time.monotonic() < stop_at:
            i += 1
            if i % 2:
                body = json.dumps(user_body(n * 10000000 + i)).encode()
                c.request("POST", "/v1/users", body, {"Authorization": "Bearer " + KEY,
                                                      "Content-Type": "application/json"})
            else:
                c.request("GET", "/v1/users?external_id=ext-%d" % (n * 10000000 + i - 1),
                          headers={"Authorization": "Bearer " + KEY})
            r = c.getresponse()
            r.read()
            if r.status != 200:
                errors[n] += 1
            counts[n] += 1
        c.close()

    ts = [threading.Thread(target=worker, args=(n,)) for n in range(conns)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    el = time.monotonic() - t0
    total = sum(counts)
    print("bench: %d requests (half POST /v1/users, half GET by external_id) over %d keep-alive "
          "connections in %.1fs = %.0f req/s, %d non-200" % (total, conns, el, total / el,
                                                             sum(errors)))
    fake.stop()
    check("throughput >= 300 req/s (%.0f)" % (total / el), total / el >= 300)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", default=os.environ.get("CLERK_SPEC", DEFAULT_SPEC))
    ap.add_argument("--bench", action="store_true")
    a = ap.parse_args()
    run(a.spec)
    if a.bench:
        bench(a.spec)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
