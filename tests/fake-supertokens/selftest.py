#!/usr/bin/env python3
"""Self-check of the fake SuperTokens core: starts it, exercises it over HTTP with urllib, and
prints 'N passed, N failed' (exit status 1 on a failure). Run with the venv's python:

    python selftest.py [--spec PATH] [--bench]

--bench also measures: one POST of 10 000 users (validate + store), and processing 25 000
users (through /__admin/process and through the background cron at full speed).
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request

import argon2
import bcrypt
import firebase_scrypt

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC_NAME = "supertokens-cdi-5.3.yaml"
DEFAULT_SPEC = next((p for p in (
    os.path.join(HERE, "spec", SPEC_NAME),
    os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "reference", SPEC_NAME)))
    if os.path.exists(p)), os.path.join(HERE, "spec", SPEC_NAME))
KEY = "selftest-api-key-0123456789"
# Firebase's published example project key and vector (firebase/scrypt README)
FB_SIGNER = "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA=="
FB_SEP = "Bw=="
FB_KAT = ("$f_scrypt$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198"
          "JAdRuid5lQ==$42xEC+ixf3L2lw==$m=14$r=8$s=Bw==")
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

results = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    if cond:
        results["passed"] += 1
        print("ok   " + name)
    else:
        results["failed"] += 1
        print("FAIL " + name + ("  -- " + str(detail)[:600] if detail != "" else ""))


class Fake:
    def __init__(self, spec, *extra, key=KEY):
        self.key = key
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "server.py"), "--spec", spec,
             *(["--api-key", key] if key else []), *extra], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        self.startup = time.monotonic() - t0
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

    def raw_call(self, method, path, body=None, key="default", raw=None, headers=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method)
        k = self.key if key == "default" else key
        if k is not None:
            req.add_header("api-key", k)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        for h, v in (headers or {}).items():
            req.add_header(h, v)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, http.client.BadStatusLine):
            return "drop", {}, b""

    def call(self, method, path, body=None, **kw):  # noqa: D401
        st, h, data = self.raw_call(method, path, body, **kw)
        try:
            return st, json.loads(data) if data else None
        except ValueError:
            return st, data.decode("utf-8", "replace")

    def admin(self, method, path, body=None):
        return self.call(method, "/__admin/" + path, body, key=None)[1]

    def stats(self):
        return self.admin("GET", "stats")

    def config(self, **kw):
        return self.admin("POST", "config", kw)

    def process(self, **kw):
        return self.admin("POST", "process", kw)

    def post_users(self, users, prefix=""):
        return self.call("POST", prefix + "/bulk-import/users", {"users": users})

    def bulk(self):
        return self.admin("GET", "bulk")

    def users(self):
        return self.admin("GET", "users")


# --------------------------------------------------------------------------- helpers

def ep(email, h=None, alg="bcrypt", **kw):
    lm = {"recipeId": "emailpassword", "email": email}
    if h is not None:
        lm["passwordHash"] = h
        lm["hashingAlgorithm"] = alg
    lm.update(kw)
    return lm


def tp(tp_id, tp_uid, email, **kw):
    return dict({"recipeId": "thirdparty", "thirdPartyId": tp_id, "thirdPartyUserId": tp_uid,
                 "email": email}, **kw)


def pl(email=None, phone=None, **kw):
    lm = {"recipeId": "passwordless"}
    if email is not None:
        lm["email"] = email
    if phone is not None:
        lm["phoneNumber"] = phone
    lm.update(kw)
    return lm


BCRYPT_FAST = bcrypt.hashpw(b"fast-password", bcrypt.gensalt(4)).decode()


def simple_user(i, **kw):
    u = {"externalUserId": "ext-%d" % i,
         "loginMethods": [ep("user%d@example.com" % i, BCRYPT_FAST)]}
    u.update(kw)
    return u


def firebase_hash(password, salt_b64, mem=14, rounds=8, sep=FB_SEP, signer=FB_SIGNER):
    dk = firebase_scrypt.generate_derived_key(password, salt_b64, sep, rounds, mem)
    h = base64.b64encode(firebase_scrypt.encrypt(base64.b64decode(signer), dk)).decode()
    return "$f_scrypt$%s$%s$m=%d$r=%d$s=%s" % (h, salt_b64, mem, rounds, sep)


def totp_now(secret, period=30, offset=0):
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() + offset * period) // period)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def leaks(obj, *secrets):
    s = json.dumps(obj) if not isinstance(obj, str) else obj
    return [x for x in secrets if x in s]


def errors_of(f, user, **kw):
    st, body = f.post_users([user], **kw)
    if st != 400 or not isinstance(body, dict) or "users" not in body:
        return st, body
    return st, body["users"][0]["errors"]


# --------------------------------------------------------------------------- suites

def suite_http(f):
    st, h, data = f.raw_call("GET", "/bulk-import/users/count", key=None)
    check("no api-key -> 401 'Invalid API key' as text",
          st == 401 and data == b"Invalid API key\n" and h["Content-Type"].startswith("text/html"),
          (st, data))
    st, _, _ = f.raw_call("GET", "/bulk-import/users/count", key="wrong")
    check("wrong api-key -> 401", st == 401)
    st, _, _ = f.raw_call("GET", "/bulk-import/users/count", key=None,
                          headers={"Authorization": KEY})
    check("the spec's Authorization header is not the core's api-key -> 401", st == 401)
    st, b = f.call("GET", "/bulk-import/users/count")
    check("count -> OK 0", st == 200 and b == {"status": "OK", "count": 0}, b)
    for v, want in (("5.3", 200), ("5.2", 200), ("4.0", 200), ("2.7", 200), ("5.3.0", 400),
                    ("5.4", 400), ("9.9", 400), ("2.6", 400), ("abc", 500)):
        st, _, data = f.raw_call("GET", "/bulk-import/users/count", headers={"cdi-version": v})
        check("cdi-version %s -> %d" % (v, want), st == want, (st, data))
    st, _, data = f.raw_call("GET", "/bulk-import/users/count", headers={"cdi-version": "9.9"})
    check("cdi-version message", data == b"cdi-version 9.9 not supported\n", data)
    for p in ("/appid-public/bulk-import/users/count", "/appid-public/public/bulk-import/users/count",
              "/public/bulk-import/users/count", "/bulk-import/users/count/"):
        st, b = f.call("GET", p)
        check("prefix %s served" % p, st == 200 and b["status"] == "OK", (st, b))
    st, b = f.call("GET", "/appid-other/bulk-import/users/count")
    check("unknown app -> 400 AppId or tenantId not found",
          st == 400 and b.startswith("AppId or tenantId not found"), b)
    st, b = f.call("GET", "/nope/bulk-import/users/count")
    check("unknown tenant -> 400", st == 400, (st, b))
    st, b = f.call("GET", "/t1/bulk-import/users/count")
    check("app API on a non-public tenant -> 403", st == 403 and "public tenantId" in b, (st, b))
    st, b = f.call("DELETE", "/bulk-import/users")
    check("wrong method -> 405", st == 405 and b.strip() == "Method not supported", (st, b))
    st, b = f.call("GET", "/apiversion", headers={"cdi-version": "abc"})
    check("apiversion lists the CDI versions, no cdi-version check",
          st == 200 and b["versions"][-1] == "5.3" and "5.2" in b["versions"], (st, b))
    st, b = f.call("GET", "/ee/featureflag")
    check("featureflag", st == 200 and b["status"] == "OK" and
          {"account_linking", "multi_tenancy", "mfa"} <= set(b["features"]), b)
    st, b = f.call("GET", "/no/such/api")
    check("unknown path -> 404", st == 404, (st, b))
    st, b = f.call("POST", "/bulk-import/users", raw=b"{nope")
    check("invalid JSON -> 400 Invalid Json Input", st == 400 and b.strip() == "Invalid Json Input")
    st, b = f.call("POST", "/bulk-import/users", {"users": None})
    check("users null -> 400 Field name 'users' is invalid",
          st == 400 and b.strip() == "Field name 'users' is invalid in JSON input", b)


def suite_validation(f):
    s0 = f.stats()["spec_violations"]
    # the >10 000 answer
    st, h, data = f.raw_call("POST", "/bulk-import/users",
                             {"users": [simple_user(i) for i in range(10001)]})
    check("10 001 users -> 400 with the bare error body",
          st == 400 and json.loads(data) == {"error": "You can only add 10000 users at a time."}
          and h["Content-Type"].startswith("text/html"), (st, data[:200]))
    st, b = f.post_users([])
    check("empty list -> OK", st == 200 and b == {"status": "OK"}, b)
    check("nothing stored so far", f.call("GET", "/bulk-import/users/count")[1]["count"] == 0)

    now_ms = int(time.time() * 1000)
    cases = [
        ("null and blank fields are the wrong type",
         {"externalUserId": "", "userMetadata": None, "userRoles": {}, "totpDevices": None,
          "loginMethods": None},
         ["externalUserId should be of type string.", "userMetadata should be of type object.",
          "userRoles should be of type array of object.",
          "totpDevices should be of type array of object.",
          "loginMethods should be of type array of object."]),
        ("loginMethods required", {}, ["loginMethods is required."]),
        ("at least one login method", {"loginMethods": []},
         ["At least one loginMethod is required."]),
        ("login method field types",
         {"loginMethods": [{"recipeId": None, "tenantIds": "public", "isVerified": "yes",
                            "isPrimary": 1, "timeJoinedInMSSinceEpoch": "now"}]},
         ["recipeId should be of type string for a loginMethod.",
          "tenantIds should be of type array of string for a loginMethod.",
          "isVerified should be of type boolean for a loginMethod.",
          "isPrimary should be of type boolean for a loginMethod.",
          "timeJoinedInMSSinceEpoch should be of type integer for a loginMethod"]),
        ("recipe id and time joined",
         {"loginMethods": [{"recipeId": "webauthn", "timeJoinedInMSSinceEpoch": -5}]},
         ["Invalid recipeId for loginMethod. Pass one of emailpassword, thirdparty or, "
          "passwordless!", "timeJoined cannot be < 0 for a loginMethod."]),
        ("time joined in the future",
         {"loginMethods": [ep("a@b.c", BCRYPT_FAST, timeJoinedInMSSinceEpoch=now_ms + 10 ** 9)]},
         ["timeJoined cannot be in future for a loginMethod."]),
        ("emailpassword without email or password",
         {"loginMethods": [{"recipeId": "emailpassword"}]},
         ["email is required for an emailpassword recipe.",
          "Either (passwordHash, hashingAlgorithm) or plainTextPassword is required for an "
          "emailpassword recipe."]),
        ("hash without algorithm",
         {"loginMethods": [ep("a@b.c", None, passwordHash=BCRYPT_FAST)]},
         ["Either (passwordHash, hashingAlgorithm) or plainTextPassword is required for an "
          "emailpassword recipe."]),
        ("bad hashing algorithm", {"loginMethods": [ep("a@b.c", BCRYPT_FAST, alg="md5")]},
         ["Invalid hashingAlgorithm for emailpassword recipe. Pass one of bcrypt, argon2 or, "
          "firebase_scrypt!"]),
        ("bcrypt format", {"loginMethods": [ep("a@b.c", "$argon2id$x", alg="bcrypt")]},
         ["Password hash is in invalid BCrypt format"]),
        ("argon2 format", {"loginMethods": [ep("a@b.c", BCRYPT_FAST, alg=" ARGON2 ")]},
         ["Password hash is in invalid Argon2 format"]),
        ("firebase format", {"loginMethods": [ep("a@b.c", "$f_scrypt$abc$def$m=14$r=8",
                                                 alg="firebase_scrypt")]},
         ["Password hash is in invalid Firebase SCrypt format"]),
        ("hash too long", {"loginMethods": [ep("a@b.c", "$2a$" + "x" * 260)]},
         ["passwordHash is too long. Max length is 256."]),
        ("email too long (fires above 255)",
         {"loginMethods": [ep("a" * 250 + "@b.com", BCRYPT_FAST)]},
         ["email %s is too long. Max length is 256." % ("a" * 250 + "@b.com")]),
        ("thirdparty fields", {"loginMethods": [{"recipeId": "thirdparty"}]},
         ["email is required for a thirdparty recipe.",
          "thirdPartyId is required for a thirdparty recipe.",
          "thirdPartyUserId is required for a thirdparty recipe."]),
        ("thirdparty lengths", {"loginMethods": [tp("g" * 29, "u" * 257, "a@b.c")]},
         ["thirdPartyId %s is too long. Max length is 28." % ("g" * 29),
          "thirdPartyUserId %s is too long. Max length is 256." % ("u" * 257)]),
        ("passwordless needs email or phone", {"loginMethods": [pl()]},
         ["Either email or phoneNumber is required for a passwordless recipe."]),
        ("passwordless types", {"loginMethods": [pl(email=5, phone=True)]},
         ["email should be of type string for a passwordless recipe.",
          "phoneNumber should be of type string for a passwordless recipe.",
          "Either email or phoneNumber is required for a passwordless recipe."]),
        ("role does not exist and too long",
         {"userRoles": [{"role": " ghost ", "tenantIds": ["public"]},
                        {"role": "r" * 256, "tenantIds": ["public"]}],
          "loginMethods": [ep("a@b.c", BCRYPT_FAST)]},
         ["Role ghost does not exist.", "role %s is too long. Max length is 255." % ("r" * 256),
          "Role %s does not exist." % ("r" * 256)]),
        ("role tenantIds", {"userRoles": [{"role": "admin"}], "loginMethods": [ep("a@b.c", BCRYPT_FAST)]},
         ["tenantIds is required for a user role."]),
        ("totp device checks",
         {"totpDevices": [{"period": 0, "skew": -1, "deviceName": "d" * 257},
                          {"secretKey": "S", "period": 1.5, "skew": "1"}],
          "loginMethods": [ep("a@b.c", BCRYPT_FAST)]},
         ["secretKey is required for a totp device.", "period should be > 0 for a totp device.",
          "skew should be >= 0 for a totp device.",
          "TOTP deviceName %s is too long. Max length is 256." % ("d" * 257),
          "skew should be of type integer for a totp device."]),
        ("external id too long", {"externalUserId": "x" * 129, "loginMethods": [ep("a@b.c", BCRYPT_FAST)]},
         ["externalUserId %s is too long. Max length is 128." % ("x" * 129)]),
        ("two primaries", {"loginMethods": [ep("a@b.c", BCRYPT_FAST, isPrimary=True),
                                            tp("google", "1", "a@b.c", isPrimary=True)]},
         ["No two loginMethods can have isPrimary as true."]),
        ("tenant t1 exists, t2 does not, role tenant missing from login methods",
         {"userRoles": [{"role": "admin", "tenantIds": ["T1 "]}],
          "loginMethods": [ep("a@b.c", BCRYPT_FAST, tenantIds=["t2"])]},
         None),  # checked below (contains the LoginMethod@hash text)
    ]
    for name, user, want in cases:
        st, errs = errors_of(f, user)
        if want is None:
            ok = (st == 400 and errs[0] == "Invalid tenantId: t2 for emailpassword recipe." and
                  errs[1] == "TenantId t1 for a user role does not exist in loginMethods." and
                  errs[2].startswith("LoginMethod 'io.supertokens.pluginInterface.bulkimport."
                                     "BulkImportUser$LoginMethod@") and
                  errs[2].endswith("' has no tenantId") and len(errs) == 3)
            check("validation: " + name, ok, errs)
        else:
            check("validation: " + name, st == 400 and errs == want, (st, errs))

    st, errs = errors_of(f, {"totpDevices": [{"secretKey": "S" * 300, "deviceName": "d"}],
                             "loginMethods": [ep("a@b.c", BCRYPT_FAST)]})
    check("a too long TOTP secret is not echoed",
          st == 400 and errs[0].startswith("TOTP secretKey ") and "S" * 300 not in json.dumps(errs),
          errs)
    # whole request: index per bad user, nothing stored
    st, b = f.post_users([simple_user(1), {"loginMethods": []}, simple_user(3),
                          simple_user(4, externalUserId="ext-1")])
    check("400 lists each bad user by index",
          st == 400 and [u["index"] for u in b["users"]] == [1, 3] and
          b["error"] == "Data has missing or invalid fields. Please check the users field for "
                        "more details." and
          b["users"][1]["errors"] == ["externalUserId ext-1 is not unique. It is already used by "
                                      "another user."], b)
    check("nothing stored after a 400", f.call("GET", "/bulk-import/users/count")[1]["count"] == 0)
    st, b = f.post_users([{"userRoles": [{"tenantIds": ["public"]}],
                           "loginMethods": [ep("a@b.c", BCRYPT_FAST)]}])
    check("a user role without role -> HTTP 500", st == 500 and b.strip() == "Internal Error", b)
    st, b = f.post_users(["not an object"])
    check("a user that is not an object -> HTTP 500", st == 500)
    check("spec violations counted for the contract breaks", f.stats()["spec_violations"] > s0)

    # multitenancy off, MFA off, account linking off (a second server)
    g = Fake(f.spec, "--no-mfa", "--no-account-linking", "--roles", "admin")
    try:
        st, errs = errors_of(g, {"totpDevices": [{"secretKey": "S"}],
                                 "loginMethods": [ep("a@b.c", BCRYPT_FAST, tenantIds=["t1"]),
                                                  tp("google", "1", "a@b.c")]})
        check("features off: MFA, account linking, multitenancy messages",
              st == 400 and errs[:3] == ["MFA must be enabled to import totp devices.",
                                         "Account linking must be enabled to import multiple "
                                         "loginMethods.",
                                         "Multitenancy must be enabled before importing users to "
                                         "a different tenant."], errs)
        st, b = g.post_users([{"loginMethods": [ep("a@b.c", firebase_hash("pw", "c2FsdA=="),
                                                   alg="firebase_scrypt")]}])
        check("firebase_scrypt with no signer key -> HTTP 500", st == 500, (st, b))
        # E019: isPrimary passes validation without account linking, the chunk fails
        st, _ = g.post_users([simple_user(1, loginMethods=[ep("p1@x.com", BCRYPT_FAST, isPrimary=True)]),
                              simple_user(2)])
        check("isPrimary without account linking is accepted", st == 200)
        g.process()
        failed = [e for e in g.bulk() if e["status"] == "FAILED"]
        check("E019 fails every user of the chunk",
              len(failed) == 2 and all(e["errorMessage"] == "E019: Account linking feature is not "
                                       "enabled for this app. Please contact support to enable it."
                                       for e in failed), failed)
    finally:
        g.stop()

    # spec-valid requests keep spec_violations at 0
    g = Fake(f.spec, "--roles", "admin", "--process-rate", "0",
             "--firebase-signer-key", FB_SIGNER)
    try:
        users = [
            {"externalUserId": "v1", "userMetadata": {"k": "v"},
             "userRoles": [{"role": "admin", "tenantIds": ["public"]}],
             "totpDevices": [{"secretKey": TOTP_SECRET, "skew": 1, "period": 30, "deviceName": "d"}],
             "loginMethods": [ep("v1@x.com", BCRYPT_FAST, alg="BCRYPT", isVerified=True,
                                 isPrimary=True, timeJoinedInMSSinceEpoch=1600000000000,
                                 tenantIds=["public"]),
                              tp("google", "g-v1", "v1@x.com")]},
            {"loginMethods": [ep("v2@x.com", plainTextPassword="secret-plain")]},
            {"loginMethods": [pl(phone="+14155552671")]},
            {"loginMethods": [pl(email="v4@x.com")]},
            {"loginMethods": [ep("v5@x.com", FB_KAT, alg=" firebase_scrypt ")]},
        ]
        st, b = g.post_users(users)
        s = g.stats()
        check("spec-valid (errata applied) requests: OK and spec_violations 0",
              st == 200 and s["spec_violations"] == 0, (st, b, s["spec_violation_kinds"]))
        st, b = g.post_users([{"userMetadata": [{"k": "v"}],
                               "loginMethods": [ep("v6@x.com", BCRYPT_FAST)]}])
        s = g.stats()
        check("the spec's userMetadata array: 400 from the core, counted as a violation",
              st == 400 and b["users"][0]["errors"] == ["userMetadata should be of type object."]
              and s["spec_violations"] == 1, (st, b, s["spec_violation_kinds"]))
        st, b = g.call("GET", "/bulk-import/users?status=DONE")
        check("bad status -> 400 and a violation",
              st == 400 and b.strip() == "Invalid value for status. Pass one of NEW, PROCESSING, "
                                         "or FAILED!" and g.stats()["spec_violations"] == 2, b)
    finally:
        g.stop()


def suite_listing(f):
    f.admin("POST", "reset")
    f.config(process_rate=0)
    st, _ = f.post_users([simple_user(i) for i in range(150)])
    st2, _ = f.post_users([simple_user(i) for i in range(150, 250)])
    check("250 users stored", st == st2 == 200 and
          f.call("GET", "/bulk-import/users/count")[1]["count"] == 250)
    st, b = f.call("GET", "/bulk-import/users")
    check("default limit 100 with a next token", st == 200 and len(b["users"]) == 100 and
          "nextPaginationToken" in b, (st, len(b.get("users", []))))
    e = b["users"][0]
    check("entry shape: id, status, createdAt, updatedAt, normalised login methods",
          set(e) >= {"id", "status", "createdAt", "updatedAt", "externalUserId", "loginMethods"}
          and e["status"] == "NEW" and e["loginMethods"][0]["hashingAlgorithm"] == "BCRYPT"
          and e["loginMethods"][0]["isPrimary"] is False
          and e["loginMethods"][0]["tenantIds"] == ["public"]
          and e["loginMethods"][0]["superTokensUserId"] == e["id"], e)
    seen, token, pages = [], None, 0
    while True:
        st, b = f.call("GET", "/bulk-import/users?limit=100" +
                       ("&paginationToken=" + token if token else ""))
        pages += 1
        seen += [(u["createdAt"], u["id"]) for u in b["users"]]
        token = b.get("nextPaginationToken")
        if not token:
            break
    check("paging walks every entry once, createdAt desc then id desc",
          pages == 3 and len(seen) == 250 and len(set(seen)) == 250 and
          seen == sorted(seen, reverse=True), (pages, len(seen)))
    for q, msg in (("limit=501", "Max limit allowed is 500"),
                   ("limit=0", "limit must a positive integer with min value 1"),
                   ("limit=ten", "Field name 'limit' must be an int in the GET request"),
                   ("paginationToken=%%%", "invalid pagination token"),
                   ("status=new", "Invalid value for status. Pass one of NEW, PROCESSING, or FAILED!")):
        st, b = f.call("GET", "/bulk-import/users?" + q)
        check("GET %s -> 400 %s" % (q, msg), st == 400 and b.strip() == msg, (st, b))
    st, b = f.call("GET", "/bulk-import/users?limit=500")
    check("limit 500 allowed", st == 200 and len(b["users"]) == 250 and
          "nextPaginationToken" not in b)
    st, b = f.call("GET", "/bulk-import/users/count?status=NEW")
    check("count by status", b == {"status": "OK", "count": 250}, b)
    st, b = f.call("GET", "/bulk-import/users/count?status=FAILED")
    check("count FAILED 0", b == {"status": "OK", "count": 0}, b)
    ids = [u["id"] for u in f.call("GET", "/bulk-import/users?limit=3")[1]["users"]]
    st, b = f.call("POST", "/bulk-import/users/remove", {"ids": ids[:2] + ["nope"]})
    check("remove: deletedIds and invalidIds",
          st == 200 and b == {"deletedIds": ids[:2], "invalidIds": ["nope"]}, b)
    st, b = f.call("POST", "/bulk-import/users/remove", {"ids": []})
    check("remove nothing", st == 200 and b == {"deletedIds": [], "invalidIds": []}, b)
    st, b = f.call("POST", "/bulk-import/users/remove", {"ids": ["x"] * 501})
    check("remove > 500 -> 400", st == 400 and
          b.strip() == "Field name 'ids' cannot contain more than 500 elements", b)
    st, b = f.call("POST", "/bulk-import/users/remove", {"ids": [""]})
    check("remove '' -> 400", st == 400 and
          b.strip() == "Field name 'ids' cannot contain an empty string", b)
    check("count after remove", f.call("GET", "/bulk-import/users/count")[1]["count"] == 248)


def suite_processing(f):
    f.admin("POST", "reset")
    f.config(process_rate=0)
    argon_h = argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash("argon-pw")
    argon_i = argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1,
                                    type=argon2.Type.I).hash("argon-pw-i")
    long_pw = "L" * 80  # bcrypt counts the first 72 bytes only
    b2b = bcrypt.hashpw(long_pw.encode()[:72], bcrypt.gensalt(4)).decode()
    b2y = "$2y$" + bcrypt.hashpw(b"y-password", bcrypt.gensalt(4)).decode()[4:]
    fb = firebase_hash("fire-pw", "c2FsdHNhbHQ=")
    fb_utf8 = firebase_hash("pässwörd", "c2FsdDI=")  # hashed from the UTF-8 bytes
    fb_q = firebase_hash("p?ssw?rd", "c2FsdDM=")      # what the core feeds: US-ASCII, '?'
    users = [
        {"externalUserId": "alice", "userMetadata": {"plan": "pro", "gone": None},
         "userRoles": [{"role": "admin", "tenantIds": ["public", "t1"]}],
         "totpDevices": [{"secretKey": TOTP_SECRET, "deviceName": " phone "}],
         "loginMethods": [ep(" Alice@Example.COM ", b2b, isVerified=True, isPrimary=True,
                             timeJoinedInMSSinceEpoch=1500000000000, tenantIds=["public", "T1"]),
                          tp("google", "g-alice", "alice@example.com", isVerified=True,
                             timeJoinedInMSSinceEpoch=1400000000000),
                          pl(phone=" +1 415 555 2671 ")]},
        {"externalUserId": "bob", "loginMethods": [ep("bob@example.com", argon_h, alg="argon2")]},
        {"loginMethods": [ep("carol@example.com", argon_i, alg="ARGON2")]},
        {"externalUserId": "dave", "loginMethods": [ep("dave@example.com", fb, alg="firebase_scrypt")]},
        {"loginMethods": [ep("erin@example.com", plainTextPassword="plain-erin-pw")]},
        {"loginMethods": [ep("yves@example.com", b2y)]},
        {"loginMethods": [ep("utf@example.com", fb_utf8, alg="firebase_scrypt")]},
        {"loginMethods": [ep("q@example.com", fb_q, alg="firebase_scrypt")]},
        {"externalUserId": "kat", "loginMethods": [ep("kat@example.com", FB_KAT, alg="firebase_scrypt")]},
    ]
    st, b = f.post_users(users)
    check("POST the import set", st == 200 and b == {"status": "OK"}, b)
    out = f.process()
    check("process: all imported, entries deleted",
          out["processed"] == len(users) and out["failed"] == 0 and
          f.call("GET", "/bulk-import/users/count")[1]["count"] == 0, out)
    au = {u["externalUserId"] or u["loginMethods"][0]["email"]: u for u in f.users()}
    a = au.get("alice", {})
    check("alice: one user, 3 linked login methods, primary", a.get("isPrimaryUser") and
          len(a.get("loginMethods", [])) == 3 and a["id"] == [lm for lm in a["loginMethods"]
                                                              if lm["isPrimary"]][0]["recipeUserId"],
          a)
    check("alice: normalised email, tenants, E.164 phone",
          a["loginMethods"][0]["email"] == "alice@example.com" and
          a["loginMethods"][0]["tenantIds"] == ["public", "t1"] and
          a["loginMethods"][2]["phoneNumber"] == "+14155552671", a["loginMethods"])
    check("alice: TOTP device stored verified with its secret, name trimmed",
          a["totpDevices"] == [{"deviceName": "phone", "secretKey": TOTP_SECRET, "period": 30,
                                "skew": 1, "verified": True, "createdAt": a["totpDevices"][0]["createdAt"]}],
          a["totpDevices"])
    check("alice: roles per tenant and metadata under the external id",
          a["roles"] == ["admin"] and a["rolesByTenant"] == {"public": ["admin"], "t1": ["admin"]}
          and a["metadata"] == {"plan": "pro"}, (a["roles"], a["metadata"]))
    e = au.get("erin@example.com", {})
    check("plainTextPassword hashed with bcrypt at processing",
          e["loginMethods"][0]["passwordFromPlainText"] and
          e["loginMethods"][0]["passwordHash"].startswith("$2a$11$"), e)

    def signin(email, pw, tenant=""):
        return f.call("POST", tenant + "/recipe/signin", {"email": email, "password": pw})[1]

    r = signin("ALICE@example.com", long_pw[:72] + "ignored-tail")
    check("signin bcrypt ($2b) with a > 72-byte password: first 72 bytes count",
          r["status"] == "OK" and r["user"]["id"] == "alice" and r["recipeUserId"] == "alice" and
          r["user"]["isPrimaryUser"] and len(r["user"]["loginMethods"]) == 3, r)
    check("signin user shape: login methods sorted by timeJoined, verified flags",
          [lm["recipeId"] for lm in r["user"]["loginMethods"]][0] == "thirdparty" and
          r["user"]["timeJoined"] == 1400000000000 and
          [lm["verified"] for lm in r["user"]["loginMethods"]] == [True, True, False] and
          sorted(r["user"]["tenantIds"]) == ["public", "t1"], r["user"])
    check("signin wrong password", signin("alice@example.com", "nope")["status"] ==
          "WRONG_CREDENTIALS_ERROR")
    check("signin on tenant t1", signin("alice@example.com", long_pw, "/t1")["status"] == "OK")
    check("signin unknown email", signin("zed@example.com", "x")["status"] ==
          "WRONG_CREDENTIALS_ERROR")
    check("signin argon2id", signin("bob@example.com", "argon-pw")["status"] == "OK")
    check("signin argon2i", signin("carol@example.com", "argon-pw-i")["status"] == "OK")
    check("signin argon2 wrong", signin("bob@example.com", "argon-pw!")["status"] ==
          "WRONG_CREDENTIALS_ERROR")
    check("signin firebase scrypt (firebase-scrypt digest)",
          signin("dave@example.com", "fire-pw")["status"] == "OK")
    check("signin firebase scrypt wrong", signin("dave@example.com", "fire-pw2")["status"] ==
          "WRONG_CREDENTIALS_ERROR")
    check("signin firebase scrypt: Firebase's published vector",
          signin("kat@example.com", "user1password")["status"] == "OK")
    check("firebase: a non-ASCII password hashed from UTF-8 does not verify",
          signin("utf@example.com", "pässwörd")["status"] == "WRONG_CREDENTIALS_ERROR")
    check("firebase: the core feeds US-ASCII with '?' for each non-ASCII character",
          signin("q@example.com", "pässwörd")["status"] == "OK")
    check("signin plainTextPassword user", signin("erin@example.com", "plain-erin-pw")["status"] == "OK")
    check("signin $2y$ digest (rewritten to $2a$)",
          signin("yves@example.com", "y-password")["status"] == "OK")

    # lookups
    st, b = f.call("GET", "/recipe/userid/map?userId=alice&userIdType=EXTERNAL")
    sid = b.get("superTokensUserId")
    check("mapping EXTERNAL", b.get("status") == "OK" and b.get("externalUserId") == "alice" and sid, b)
    st, b = f.call("GET", "/recipe/userid/map?userId=%s&userIdType=SUPERTOKENS" % sid)
    check("mapping SUPERTOKENS", b == {"status": "OK", "superTokensUserId": sid,
                                       "externalUserId": "alice"}, b)
    st, b = f.call("GET", "/recipe/userid/map?userId=alice")
    check("mapping ANY", b.get("superTokensUserId") == sid, b)
    st, b = f.call("GET", "/recipe/userid/map?userId=alice&userIdType=SUPERTOKENS")
    check("mapping: wrong type -> UNKNOWN_MAPPING_ERROR", b == {"status": "UNKNOWN_MAPPING_ERROR"}, b)
    st, b = f.call("GET", "/recipe/userid/map?userId=alice&userIdType=ext")
    check("mapping: bad userIdType -> 400", st == 400)
    st, b = f.call("GET", "/user/id?userId=alice")
    st2, b2 = f.call("GET", "/user/id?userId=" + sid)
    check("user by external and by SuperTokens id", b["status"] == "OK" and b == b2 and
          b["user"]["id"] == "alice", (b, b2))
    g_rid = [lm for lm in a["loginMethods"] if lm["recipeId"] == "thirdparty"][0]["recipeUserId"]
    st, b = f.call("GET", "/user/id?userId=" + g_rid)
    check("user by a linked recipe user id -> the primary user", b["user"]["id"] == "alice", b)
    check("user/id unknown", f.call("GET", "/user/id?userId=nobody")[1] ==
          {"status": "UNKNOWN_USER_ID_ERROR"})
    for q in ("email=Alice%40example.com", "phoneNumber=%2B14155552671",
              "thirdPartyId=google&thirdPartyUserId=g-alice"):
        st, b = f.call("GET", "/users/by-accountinfo?doUnionOfAccountInfo=false&" + q)
        check("by-accountinfo " + q.split("=")[0], st == 200 and len(b["users"]) == 1 and
              b["users"][0]["id"] == "alice", b)
    st, b = f.call("GET", "/users/by-accountinfo?email=a%40b.c")
    check("by-accountinfo needs doUnionOfAccountInfo", st == 400)
    st, b = f.call("GET", "/recipe/user/roles?userId=alice")
    st2, b2 = f.call("GET", "/t1/recipe/user/roles?userId=alice")
    check("roles of alice on public and t1", b == b2 == {"status": "OK", "roles": ["admin"]}, (b, b2))
    st, b = f.call("GET", "/recipe/user/metadata?userId=alice")
    check("metadata of alice", b == {"status": "OK", "metadata": {"plan": "pro"}}, b)
    st, b = f.call("GET", "/recipe/user/email/verify?userId=alice&email=alice@example.com")
    check("alice's email verified under the external id", b == {"status": "OK", "isVerified": True}, b)

    # TOTP
    def verify(uid, code):
        return f.call("POST", "/recipe/totp/verify",
                      {"userId": uid, "totp": code, "allowUnverifiedDevices": False})[1]
    r = verify("alice", totp_now(TOTP_SECRET))
    check("totp verify with the external id", r == {"status": "OK"}, r)
    r = verify("alice", totp_now(TOTP_SECRET))
    check("totp: a used code is refused (replay)", r["status"] == "INVALID_TOTP_ERROR", r)
    r = verify(sid, totp_now(TOTP_SECRET, offset=1))
    check("totp verify with the SuperTokens id, next window (skew 1)", r == {"status": "OK"}, r)
    r = verify("alice", "000000" if totp_now(TOTP_SECRET) != "000000" else "111111")
    check("totp wrong code -> INVALID_TOTP_ERROR with counts",
          r["status"] == "INVALID_TOTP_ERROR" and r["maxNumberOfFailedAttempts"] == 5 and
          r["currentNumberOfFailedAttempts"] >= 1, r)
    check("totp unknown user", verify("bob", "123456") == {"status": "UNKNOWN_USER_ID_ERROR"})
    st, b = f.call("POST", "/recipe/totp/verify", {"userId": "alice", "totp": "12345",
                                                   "allowUnverifiedDevices": False})
    check("totp of 5 characters -> 400", st == 400 and b.strip() == "totp must be 6 characters long")
    st, b = f.call("GET", "/recipe/totp/device/list?userId=alice")
    check("totp device list", b == {"status": "OK", "devices": [{"name": "phone", "period": 30,
                                                                 "skew": 1, "verified": True}]}, b)
    check("every digest carried the expected salt separator",
          f.stats()["firebase_separator_mismatch"] == 0)
    f.post_users([{"loginMethods": [ep("sep@example.com", firebase_hash("x", "c2FsdA==", sep="CA=="),
                                       alg="firebase_scrypt")]}])
    check("a digest with another s= is counted", f.stats()["firebase_separator_mismatch"] == 1)
    # secrets never in stats
    s = f.stats()
    check("stats hold no secret", not leaks(s, TOTP_SECRET, "plain-erin-pw", b2b, KEY, "fire-pw"))


def suite_failures(f):
    f.admin("POST", "reset")
    f.config(process_rate=0)
    f.call("PUT", "/recipe/role", {"role": "temp"})
    first = [
        {"externalUserId": "x1", "loginMethods": [ep("dup@example.com", BCRYPT_FAST)]},
        {"loginMethods": [tp("github", "gh-1", "gh@example.com")]},
        {"loginMethods": [pl(email="pl@example.com")]},
        {"loginMethods": [pl(phone="+14155550001")]},
        {"loginMethods": [ep("prim@example.com", BCRYPT_FAST, isPrimary=True)]},
    ]
    f.post_users(first)
    out = f.process()
    check("first batch imported", out["processed"] == 5 and out["failed"] == 0, out)
    second = [
        {"loginMethods": [ep("DUP@example.com", BCRYPT_FAST)]},                      # E003
        {"loginMethods": [tp("github", "gh-1", "other@example.com")]},               # E005
        {"loginMethods": [pl(email="pl@example.com")]},                              # E006
        {"loginMethods": [pl(phone="+1 415 555 0001")]},                             # E007
        {"externalUserId": "x1", "loginMethods": [ep("new1@example.com", BCRYPT_FAST)]},  # E031
        {"userRoles": [{"role": "temp", "tenantIds": ["public"]}],
         "loginMethods": [ep("role@example.com", BCRYPT_FAST)]},                     # E034
        {"loginMethods": [tp("google", "p-1", "prim@example.com", isPrimary=True)]},  # E022
        {"externalUserId": "ok1", "loginMethods": [ep("fine@example.com", BCRYPT_FAST)]},  # fine
    ]
    st, _ = f.post_users(second)
    check("second batch accepted (duplicates are not checked on POST)", st == 200)
    # the role exists when the round starts (validation) and is gone when the roles are written
    f.call("POST", "/recipe/role/remove", {"role": "temp"})
    out = f.process(roles_snapshot=["temp"])
    bulk = f.bulk()
    msgs = sorted(e["errorMessage"] for e in bulk if e["status"] == "FAILED")
    prim_id = [u for u in f.users() if u["loginMethods"][0]["email"] == "prim@example.com"]
    want = sorted([
        "E003: A user with email dup@example.com already exists in emailpassword loginMethod.",
        "E005: A user with thirdPartyId github and thirdPartyUserId gh-1 already exists in "
        "thirdparty loginMethod.",
        "E006: A user with email pl@example.com already exists in passwordless loginMethod.",
        "E007: A user with phoneNumber +14155550001 already exists in passwordless loginMethod.",
        "E031: A user with externalId x1 already exists",
        E034_MSG,
    ])
    e022 = [m for m in msgs if m.startswith("E022")]
    check("E003, E005, E006, E007, E031, E034 each on its user",
          [m for m in msgs if not m.startswith("E022")] == want, msgs)
    check("E022 for the second primary user with the same email",
          len(e022) == 1 and "but the account info is already associated with another primary "
                             "user." in e022[0], (e022, prim_id))
    check("the good user of the chunk went round again and was imported",
          f.call("GET", "/user/id?userId=ok1")[1]["status"] == "OK" and
          f.call("GET", "/bulk-import/users/count?status=FAILED")[1]["count"] == 7 and
          f.call("GET", "/bulk-import/users/count")[1]["count"] == 7, out)
    s = f.stats()
    check("failures by code and duplicate attempts counted",
          s["failed_by_code"].get("E003") == 1 and s["duplicate_attempts"] == 6 and
          s["duplicate_users"] == 0, (s["failed_by_code"], s["duplicate_attempts"]))
    ids = [e["id"] for e in bulk if e["status"] == "FAILED"]
    st, b = f.call("POST", "/bulk-import/users/remove", {"ids": ids})
    check("FAILED rows stay until removed", sorted(b["deletedIds"]) == sorted(ids) and
          f.call("GET", "/bulk-import/users/count")[1]["count"] == 0, b)

    # re-validation at processing: a role removed after the POST
    f.call("PUT", "/recipe/role", {"role": "editor"})
    f.post_users([{"userRoles": [{"role": "editor", "tenantIds": ["public"]}],
                   "loginMethods": [ep("ed@example.com", BCRYPT_FAST)]},
                  {"loginMethods": [ep("ed2@example.com", BCRYPT_FAST)]}])
    f.call("POST", "/recipe/role/remove", {"role": "editor"})
    f.process()
    failed = [e for e in f.bulk() if e["status"] == "FAILED"]
    check("re-validation failure printed as a Java list",
          len(failed) == 1 and failed[0]["errorMessage"] == "[Role editor does not exist.]", failed)
    check("... and the rest of the chunk was imported",
          f.call("POST", "/recipe/signin", {"email": "ed2@example.com",
                                            "password": "fast-password"})[1]["status"] == "OK")
    f.call("POST", "/bulk-import/users/remove", {"ids": [e["id"] for e in failed]})

    # E036: a TOTP device without deviceName fails the whole chunk
    f.post_users([{"totpDevices": [{"secretKey": TOTP_SECRET}],
                   "loginMethods": [ep("t1@example.com", BCRYPT_FAST)]},
                  {"loginMethods": [ep("t2@example.com", BCRYPT_FAST)]}])
    f.process()
    failed = [e for e in f.bulk() if e["status"] == "FAILED"]
    check("E036 fails every user of the chunk",
          len(failed) == 2 and all(e["errorMessage"].startswith("E036: ") and
                                   "device_name" in e["errorMessage"] for e in failed), failed)
    check("E036 message holds no secret", not leaks(failed[0]["errorMessage"], TOTP_SECRET))
    f.call("POST", "/bulk-import/users/remove", {"ids": [e["id"] for e in failed]})

    # same external id twice in one chunk (a blind retry): validation of the chunk
    f.post_users([simple_user(500)])
    f.post_users([simple_user(500, loginMethods=[ep("other500@example.com", BCRYPT_FAST)])])
    s0 = f.stats()
    check("bulk_duplicate_external_ids sees the retry", s0["bulk_duplicate_external_ids"] == 1, s0)
    f.process()
    failed = [e for e in f.bulk() if e["status"] == "FAILED"]
    check("second entry for one externalUserId fails, one user imported",
          len(failed) == 1 and failed[0]["errorMessage"] == "[externalUserId ext-500 is not unique. "
                                                            "It is already used by another user.]"
          and f.call("GET", "/user/id?userId=ext-500")[1]["status"] == "OK", failed)


E034_MSG = "E034: Role does not exist! You need to pre-create the role before assigning it to the user."


def suite_cron(f):
    f.admin("POST", "reset")
    f.config(process_rate=0, chunk_size=50, process_interval=0.25)
    f.post_users([simple_user(i) for i in range(300)])
    time.sleep(0.6)
    check("paused at rate 0", f.call("GET", "/bulk-import/users/count")[1]["count"] == 300)
    t0 = time.monotonic()
    f.config(process_rate=400)
    counts = []
    while time.monotonic() - t0 < 5:
        n = f.call("GET", "/bulk-import/users/count")[1]["count"]
        counts.append(n)
        if n == 0:
            break
        time.sleep(0.1)
    el = time.monotonic() - t0
    check("cron imports at about the configured rate (300 at 400/s in %.2fs)" % el,
          counts[-1] == 0 and 0.4 <= el <= 2.5 and len(set(counts)) > 2, counts)
    f.config(chunk_size=1000, process_interval=1, process_rate=0)


def suite_faults(f):
    def run():
        f.admin("POST", "reset")
        f.config(fault_rate=0.5, slow_seconds=0.05, process_rate=0, seed=7)
        seq = [f.call("POST", "/bulk-import/users", {"users": [simple_user(i)]})[0]
               for i in range(30)]
        seq += [f.call("GET", "/user/id?userId=ext-%d" % i)[0] for i in range(10)]
        s = f.stats()
        f.config(fault_rate=0.0)
        return seq, s

    seq1, s1 = run()
    seq2, s2 = run()
    check("fault sequence is deterministic", seq1 == seq2, (seq1, seq2))
    check("faults of every kind counted", sum(s1["faults"].values()) > 0 and
          set(s1["faults"]) == {"500_before", "503_before", "500_after", "slow", "drop_before",
                                "drop_after"}, s1["faults"])
    after = s1["faults"]["500_after"] + s1["faults"]["drop_after"]
    check("after-faults store the users", s1["bulk_added"] == s1["accepted"] ==
          seq1[:30].count(200) + after,
          (s1["bulk_added"], seq1, s1["faults"]))
    check("drops counted", s1["dropped"] == seq1.count("drop"))
    check("admin never faulted", all(f.stats() for _ in range(20)))
    # a lost answer, a blind retry, then E003 at processing
    f.admin("POST", "reset")
    f.config(fault_rate=1.0, seed=3, process_rate=0)
    outcomes = []
    for i in range(8):
        body = [simple_user(900 + i, loginMethods=[ep("r%d@example.com" % i, BCRYPT_FAST)],
                            externalUserId=None)]
        del body[0]["externalUserId"]
        first = f.call("POST", "/bulk-import/users", {"users": body})[0]
        f.config(fault_rate=0.0)
        f.call("POST", "/bulk-import/users", {"users": body})
        f.config(fault_rate=1.0)
        outcomes.append(first)
    f.config(fault_rate=0.0)
    fl = f.stats()["faults"]
    # handled then lost (500_after, drop_after) or answered late (slow): the retry stores again
    stored_twice = fl["500_after"] + fl["drop_after"] + fl["slow"]
    f.process()
    e003 = [e for e in f.bulk() if e["status"] == "FAILED"]
    check("blind retries after lost answers fail with E003 (%d)" % stored_twice,
          len(e003) == stored_twice and all(e["errorMessage"].startswith("E003") for e in e003),
          (outcomes, [e["errorMessage"] for e in e003]))
    # request size limit
    f.config(max_body_bytes=1000)
    st, b = f.post_users([simple_user(i) for i in range(50)])
    check("body over --max-body-bytes -> 413", st == 413, (st, b))
    f.config(max_body_bytes=32 << 20)
    st, b = f.call("POST", "/__admin/config", {"bogus": 1}, key=None)
    check("admin config rejects unknown keys", st == 400)


def suite_bench(spec):
    f = Fake(spec, "--process-rate", "0", "--roles", "admin")
    try:
        users = [{"externalUserId": "b-%d" % i, "userMetadata": {"n": i},
                  "userRoles": [{"role": "admin", "tenantIds": ["public"]}],
                  "totpDevices": [{"secretKey": TOTP_SECRET, "deviceName": "phone"}],
                  "loginMethods": [ep("b%d@example.com" % i, BCRYPT_FAST, isVerified=True)]}
                 for i in range(25000)]
        size = len(json.dumps({"users": users[:10000]}))
        t0 = time.monotonic()
        st, b = f.post_users(users[:10000])
        t_post = time.monotonic() - t0
        check("bench: POST 10 000 users (%.1f MB) in %.2fs" % (size / 1e6, t_post),
              st == 200 and t_post < 3.0, (st, str(b)[:200]))
        f.post_users(users[10000:20000])
        f.post_users(users[20000:])
        t0 = time.monotonic()
        out = f.process()
        t_proc = time.monotonic() - t0
        rate = out["processed"] / t_proc
        check("bench: /__admin/process 25 000 users in %.2fs = %.0f users/s" % (t_proc, rate),
              out["processed"] == 25000 and rate >= 1000, out)
        f.admin("POST", "reset")
        f.config(process_rate=0)
        for k in range(0, 25000, 10000):
            f.post_users(users[k:k + 10000])
        t0 = time.monotonic()
        f.config(process_rate=1000000, process_interval=0.2)
        while f.call("GET", "/bulk-import/users/count")[1]["count"] > 0:
            time.sleep(0.05)
        t_cron = time.monotonic() - t0
        check("bench: background cron 25 000 users in %.2fs = %.0f users/s"
              % (t_cron, 25000 / t_cron), 25000 / t_cron >= 1000)
        print("bench: POST 10000 users %.2fs (%.1f MB); process 25000 users %.2fs (%.0f/s) "
              "synchronously, %.2fs (%.0f/s) by the cron"
              % (t_post, size / 1e6, t_proc, rate, t_cron, 25000 / t_cron))
    finally:
        f.stop()


def suite_rate_limit(f):
    f.config(limit=2, window=30)
    seen = [f.raw_call("GET", "/bulk-import/users/count") for _ in range(3)]
    check("a limit of 2 answers two requests in a window",
          [s for s, _, _ in seen[:2]] == [200, 200], [s for s, _, _ in seen])
    st, headers, body = seen[2]
    retry = {k.lower(): v for k, v in headers.items()}.get("retry-after")
    check("the third is 429 with Retry-After in whole seconds to the window's end",
          st == 429 and retry is not None and 1 <= int(retry) <= 30, (st, headers))
    check("sign-in is never rate limited (a test checks users through it)",
          f.call("POST", "/recipe/signin", {"email": "nobody@example.com", "password": "x"})[0]
          == 200)
    check("rate_limited counted", f.stats()["rate_limited"] >= 1)
    f.config(limit=0)
    check("limit 0 lifts it", f.raw_call("GET", "/bulk-import/users/count")[0] == 200)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", default=os.environ.get("SUPERTOKENS_SPEC", DEFAULT_SPEC))
    ap.add_argument("--bench", action="store_true")
    a = ap.parse_args()
    f = Fake(a.spec, "--roles", "admin", "--tenants", "public,t1", "--process-rate", "0",
             "--firebase-signer-key", FB_SIGNER, "--firebase-salt-separator", FB_SEP)
    f.spec = a.spec
    check("startup < 3 s (%.2fs)" % f.startup, f.startup < 3)
    try:
        for suite in (suite_http, suite_validation, suite_listing, suite_processing,
                      suite_failures, suite_cron, suite_faults, suite_rate_limit):
            try:
                suite(f)
            except Exception as e:  # a crash in a suite is a failure, the others still run
                import traceback
                traceback.print_exc()
                check(suite.__name__ + " ran to the end", False, repr(e))
    finally:
        rc = f.stop()
        check("exits on SIGTERM", rc is not None)
    if a.bench:
        suite_bench(a.spec)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
