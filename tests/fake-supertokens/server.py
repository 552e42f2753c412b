#!/usr/bin/env python3
"""Test-only fake of the SuperTokens core (Core Driver Interface 5.3) for authferry's tests.

Serves the bulk-import API (POST/GET /bulk-import/users, /count, /remove) with the real core's
validation, a background "cron" that imports the accepted users at a chosen rate with the core's
chunk and failure semantics (E003/E005/E006/E007/E019/E022/E031/E034/E036), and the lookups a
migration checks afterwards: sign-in with bcrypt / argon2 / Firebase-scrypt digests, TOTP verify,
user-id mapping, user by id, users by account info, roles, metadata. Deterministic fault injection,
no-auth admin endpoints under /__admin/. See README.md beside this file for what comes from where.

Never writes request values that are secrets (passwords, password hashes, TOTP secrets, the api
key) to logs, stats or error messages; the admin endpoints return them (tests need them).
"""

import argparse
import base64
import copy
import hashlib
import hmac
import json
import os
import random
import re
import signal
import struct
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import argon2
import bcrypt
import fastjsonschema
import phonenumbers
import yaml
from Crypto.Cipher import AES

try:
    _YAML_LOADER = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _YAML_LOADER = yaml.SafeLoader

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SPEC = os.path.join(HERE, "spec", "supertokens-cdi-5.3.yaml")

FAULT_KINDS = ("500_before", "503_before", "500_after", "slow", "drop_before", "drop_after")
GET_FAULT_MAP = {"500_after": "500_before", "drop_after": "drop_before"}

# io.supertokens.bulkimport.BulkImport
MAX_USERS_TO_ADD = 10000
GET_USERS_PAGINATION_MAX_LIMIT = 500
GET_USERS_DEFAULT_LIMIT = 100
DELETE_USERS_MAX_LIMIT = 500
# io.supertokens.utils.SemVer / WebserverAPI.supportedVersions (HashSet: "5.3.0" is not "5.3")
CDI_VERSIONS = ["2.%d" % i for i in range(7, 22)] + ["3.0", "3.1", "4.0", "5.0", "5.1", "5.2", "5.3"]
LATEST_CDI = "5.3"
DEFAULT_TENANT = "public"
LM_CLASS = "io.supertokens.pluginInterface.bulkimport.BulkImportUser$LoginMethod"
E019 = ("E019: Account linking feature is not enabled for this app. Please contact support to "
        "enable it.")
E034 = "E034: Role does not exist! You need to pre-create the role before assigning it to the user."
E036_NULL = ('E036: org.postgresql.util.PSQLException: ERROR: null value in column "device_name" '
             'of relation "totp_user_devices" violates not-null constraint')
E036_DUP = ('E036: org.postgresql.util.PSQLException: ERROR: duplicate key value violates unique '
            'constraint "totp_user_devices_pkey"')
FIREBASE_KEY_NULL = "'firebase_password_hashing_signer_key' cannot be null"
JSON_TYPE = "application/json; charset=UTF-8"
TEXT_TYPE = "text/html; charset=UTF-8"


def now_ms():
    return int(time.time() * 1000)


def jlen(s):
    """Java String.length(): UTF-16 code units."""
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def java_list(items):
    """String.valueOf(List<String>)."""
    return "[" + ", ".join(items) + "]"


def wrap(v, bits):
    m = 1 << bits
    v %= m
    return v - m if v >= m >> 1 else v


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# --------------------------------------------------------------------------- spec contract

class Spec:
    """The bulk-import request contract from the CDI spec, with the errata the real core imposes
    (see the notes in README.md), compiled with fastjsonschema."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.doc = yaml.load(f, Loader=_YAML_LOADER)
        self.version = str(self.doc.get("info", {}).get("version"))
        paths = self.doc["paths"]
        post = paths["/appid-<appId>/bulk-import/users"]["post"]
        body = self.convert(post["requestBody"]["content"]["application/json"]["schema"])
        user = body["properties"]["users"]["items"]
        self.apply_errata(user)
        body["properties"]["users"]["maxItems"] = MAX_USERS_TO_ADD  # "Maximum 10000 users"
        self.request_schema = body
        self.user_schema = user
        self.check_user = fastjsonschema.compile(user)
        self.check_envelope = fastjsonschema.compile(
            {"type": "object", "properties": {"users": {"type": "array",
                                                        "maxItems": MAX_USERS_TO_ADD}},
             "required": ["users"]})
        remove = paths["/appid-<appId>/bulk-import/users/remove"]["post"]
        self.check_remove = fastjsonschema.compile(
            self.convert(remove["requestBody"]["content"]["application/json"]["schema"]))
        self.statuses = list(self.convert(
            {"$ref": "#/components/schemas/bulkImportUserStatus"})["enum"])

    def target(self, ref):
        node = self.doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def convert(self, node):
        if isinstance(node, list):
            return [self.convert(x) for x in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return self.convert(self.target(node["$ref"]))
        return {k: self.convert(v) for k, v in node.items()
                if k not in ("example", "examples", "description", "nullable")}

    @staticmethod
    def apply_errata(user):
        """Patch the published bulkImportUser schema into the contract the core accepts. Each
        step asserts the shape it patches, so a changed spec fails loudly here."""
        props = user["properties"]
        # 1. userMetadata: an object, not an array of objects
        assert props["userMetadata"]["type"] == "array", "spec changed: userMetadata"
        props["userMetadata"] = props["userMetadata"]["items"]
        assert props["userMetadata"]["type"] == "object"
        # 5. loginMethods is required
        user.setdefault("required", [])
        if "loginMethods" not in user["required"]:
            user["required"].append("loginMethods")
        alts = props["loginMethods"]["items"]["anyOf"]
        assert len(alts) == 3, "spec changed: loginMethods alternatives"
        ep, _tp, pl = alts
        ep_obj = ep["allOf"][1]
        # 2. plainTextPassword alone is enough
        assert ep_obj["required"] == ["email", "passwordHash", "hashingAlgorithm"]
        ep_obj["required"] = ["email"]
        ep_obj["anyOf"] = [{"required": ["passwordHash", "hashingAlgorithm"]},
                           {"required": ["plainTextPassword"]}]
        # 3. hashingAlgorithm: trimmed and upper-cased by the core
        algs = ep_obj["properties"]["hashingAlgorithm"].pop("enum")
        ep_obj["properties"]["hashingAlgorithm"]["pattern"] = (
            r"^\s*(" + "|".join("".join("[%s%s]" % (c.upper(), c.lower()) if c.isalpha() else
                                        re.escape(c) for c in a) for a in algs) + r")\s*$")
        # 4. passwordless: email and/or phoneNumber fields (the spec's oneOf of two string
        #    schemas can match no object)
        assert "oneOf" in pl, "spec changed: passwordless login method"
        del pl["oneOf"]
        pl_obj = pl["allOf"][1]
        pl_obj["properties"]["email"] = {"type": "string"}
        pl_obj["properties"]["phoneNumber"] = {"type": "string"}
        pl_obj["anyOf"] = [{"required": ["email"]}, {"required": ["phoneNumber"]}]


# --------------------------------------------------------------------------- errors

class Reply(Exception):
    """Abort handling with a response."""

    def __init__(self, status, body, text=False, violation=None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.text = text
        self.violation = violation


def bad_request(msg, violation=None):
    return Reply(400, msg, text=True, violation=violation)


def internal_error():
    return Reply(500, "Internal Error", text=True)


class Crash(Exception):
    """A Java exception the core does not catch: HTTP 500 'Internal Error'."""


class Invalid(Exception):
    def __init__(self, errors):
        super().__init__("invalid")
        self.errors = errors


# --------------------------------------------------------------------------- core helpers

def normalise_email(e):
    """io.supertokens.utils.Utils.normaliseEmail: trim + lower case."""
    return e.strip().lower()


def normalise_phone(p):
    """Utils.normalizeIfPhoneNumber: libphonenumber parse with region ZZ, E.164, else trimmed."""
    if p is None:
        return None
    t = p.strip()
    try:
        return phonenumbers.format_number(phonenumbers.parse(t, "ZZ"),
                                          phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return t


def parse_firebase(h):
    """ParsedFirebaseSCryptResponse for `$f_scrypt$<hash>$<salt>$m=<m>$r=<r>$s=<sep>`."""
    if not isinstance(h, str) or not h.startswith("$f_scrypt$"):
        return None
    parts = h[len("$f_scrypt"):].split("$")
    while parts and parts[-1] == "":  # Java's split drops trailing empty strings
        parts.pop()
    if len(parts) < 3:
        return None
    out = {"hash": parts[1], "salt": parts[2]}
    try:
        for p in parts[3:]:
            if p.startswith("m="):
                out["m"] = int(p[2:])
            elif p.startswith("r="):
                out["r"] = int(p[2:])
            elif p.startswith("s="):
                if not p[2:]:
                    return None
                out["s"] = p[2:]
    except ValueError:
        return None
    if not out["hash"] or not out["salt"] or not all(k in out for k in ("m", "r", "s")):
        return None
    return out


def is_bcrypt(h):
    return h.startswith(("$2a", "$2x", "$2y", "$2b"))


def is_argon2(h):
    return h.startswith(("$argon2id", "$argon2i", "$argon2d"))


def is_firebase_format(h):
    return h.count("$") == 6 and len(h.split("$")) == 7 and parse_firebase(h) is not None


# --------------------------------------------------------------------------- validation
# A port of io.supertokens.bulkimport.BulkImportUserUtils (createBulkImportUserFromJSON) and
# io.supertokens.utils.JsonValidatorUtils: same checks, same messages, same order.

STRING, INTEGER, LONG, BOOLEAN, OBJECT, ARRAY_OF_STRING, ARRAY_OF_OBJECT = range(7)
TYPE_WORD = {STRING: "string", INTEGER: "integer", LONG: "integer", BOOLEAN: "boolean",
             OBJECT: "object", ARRAY_OF_STRING: "array of string",
             ARRAY_OF_OBJECT: "array of object"}


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def type_ok(v, t):
    if t == STRING:
        return isinstance(v, str) and v != ""
    if t in (INTEGER, LONG):
        return _is_num(v)
    if t == BOOLEAN:
        return isinstance(v, bool)
    if t == OBJECT:
        return isinstance(v, dict)
    if t == ARRAY_OF_OBJECT:
        return isinstance(v, list) and all(isinstance(x, dict) for x in v)
    if t == ARRAY_OF_STRING:
        return isinstance(v, list) and all(isinstance(x, str) and x != "" for x in v)
    return False


def field(obj, key, t, required, errors, suffix):
    if key in obj:
        v = obj[key]  # JSON null is present with the wrong type
        if type_ok(v, t):
            if t == INTEGER:
                return wrap(int(v), 32)  # Gson getAsNumber().intValue()
            if t == LONG:
                return wrap(int(v), 64)
            return v
        errors.append("%s should be of type %s%s" % (key, TYPE_WORD[t], suffix))
    elif required:
        errors.append("%s is required%s" % (key, suffix))
    return None


class Validator:
    """One BulkImportUserUtils: remembers the external ids it has seen (per request or per
    processing chunk)."""

    def __init__(self, store, roles, read_stored=False):
        self.st = store
        self.roles = roles
        self.read_stored = read_stored
        self.external_ids = set()

    def user(self, data, now):
        """Returns the normalised BulkImportUser (the core's Gson shape, without id/status) or
        raises Invalid / Crash."""
        errors = []
        ext = field(data, "externalUserId", STRING, False, errors, ".")
        meta = field(data, "userMetadata", OBJECT, False, errors, ".")
        roles = self._roles(data, errors)
        totp = self._totp(data, errors)
        lms = self._login_methods(data, errors, now)
        if ext is not None:
            if jlen(ext) > 128:
                errors.append("externalUserId %s is too long. Max length is 128." % ext)
            if ext in self.external_ids:
                errors.append("externalUserId %s is not unique. It is already used by another "
                              "user." % ext)
            self.external_ids.add(ext)
            ext = ext.strip()
        self._tenants_for_roles_and_lms(roles, lms, errors)
        if errors:
            raise Invalid(errors)
        out = {}
        if ext is not None:
            out["externalUserId"] = ext
        if meta is not None:
            out["userMetadata"] = meta
        if roles is not None:
            out["userRoles"] = roles
        if totp is not None:
            out["totpDevices"] = totp
        out["loginMethods"] = lms
        return out

    def _roles(self, data, errors):
        arr = field(data, "userRoles", ARRAY_OF_OBJECT, False, errors, ".")
        if arr is None:
            return None
        out = []
        for r in arr:
            role = field(r, "role", STRING, True, errors, " for a user role.")
            tids = field(r, "tenantIds", ARRAY_OF_STRING, True, errors, " for a user role.")
            if role is None:
                # role.length() on null: NullPointerException, the whole request is a 500
                raise Crash("NullPointerException")
            if jlen(role) > 255:
                errors.append("role %s is too long. Max length is 255." % role)
            role = role.strip()
            if role not in self.roles:
                errors.append("Role %s does not exist." % role)
            norm = self._tenant_ids(tids, errors, " for a user role.")
            out.append({"role": role, "tenantIds": norm})
        return out

    def _totp(self, data, errors):
        arr = field(data, "totpDevices", ARRAY_OF_OBJECT, False, errors, ".")
        if arr is None:
            return None
        if not self.st.mfa:
            errors.append("MFA must be enabled to import totp devices.")
            return None
        out = []
        for d in arr:
            sfx = " for a totp device."
            secret = field(d, "secretKey", STRING, True, errors, sfx)
            period = field(d, "period", INTEGER, False, errors, sfx)
            skew = field(d, "skew", INTEGER, False, errors, sfx)
            name = field(d, "deviceName", STRING, False, errors, sfx)
            if secret is not None and jlen(secret) > 256:
                # the core prints the secret here; the fake never echoes a secret
                errors.append("TOTP secretKey %s is too long. Max length is 256." % redact(secret))
            if period is None:
                period = 30
            elif period < 1:
                errors.append("period should be > 0 for a totp device.")
                period = None
            if skew is None:
                skew = 1
            elif skew < 0:
                errors.append("skew should be >= 0 for a totp device.")
                skew = None
            if name is not None:
                if jlen(name) > 256:
                    errors.append("TOTP deviceName %s is too long. Max length is 256." % name)
                name = name.strip()
            if secret is not None and period is not None and skew is not None:
                dev = {"secretKey": secret, "period": period, "skew": skew}
                if name is not None:
                    dev["deviceName"] = name
                out.append(dev)
        return out

    def _tenant_ids(self, arr, errors, suffix):
        if arr is None:
            return [DEFAULT_TENANT]
        out = []
        for t in arr:
            if t == DEFAULT_TENANT:
                out.append(t)
                continue
            if not self.st.multitenancy:
                errors.append("Multitenancy must be enabled before importing users to a "
                              "different tenant.")
                continue
            n = t.strip().lower()
            if n not in self.st.tenants:
                errors.append("Invalid tenantId: %s%s" % (t, suffix))
                continue
            out.append(n)
        return out

    def _login_methods(self, data, errors, now):
        arr = field(data, "loginMethods", ARRAY_OF_OBJECT, True, errors, ".")
        if arr is None:
            return []
        if not arr:
            errors.append("At least one loginMethod is required.")
            return []
        if len(arr) > 1 and not self.st.account_linking:
            errors.append("Account linking must be enabled to import multiple loginMethods.")
        seen_primary = False
        for lm in arr:
            if type_ok(lm.get("isPrimary"), BOOLEAN) and "isPrimary" in lm and lm["isPrimary"]:
                if seen_primary:
                    errors.append("No two loginMethods can have isPrimary as true.")
                seen_primary = True
        out = []
        for lm in arr:
            sfx = " for a loginMethod."
            recipe = field(lm, "recipeId", STRING, True, errors, sfx)
            tids = field(lm, "tenantIds", ARRAY_OF_STRING, False, errors, sfx)
            verified = field(lm, "isVerified", BOOLEAN, False, errors, sfx)
            primary = field(lm, "isPrimary", BOOLEAN, False, errors, sfx)
            joined = field(lm, "timeJoinedInMSSinceEpoch", LONG, False, errors, " for a loginMethod")
            if recipe is not None and recipe not in ("emailpassword", "thirdparty", "passwordless"):
                errors.append("Invalid recipeId for loginMethod. Pass one of emailpassword, "
                              "thirdparty or, passwordless!")
            norm_tids = self._tenant_ids(tids, errors, " for %s recipe." % (
                recipe if recipe is not None else "null"))
            primary = bool(primary)
            verified = bool(verified)
            if joined is None:
                joined = now
            else:
                if joined > now:
                    errors.append("timeJoined cannot be in future for a loginMethod.")
                if joined < 0:
                    errors.append("timeJoined cannot be < 0 for a loginMethod.")
            if self.read_stored:
                st_id = field(lm, "superTokensUserId", STRING, True, errors, " for a loginMethod")
            else:
                st_id = self.st.new_uuid()
            base = {"tenantIds": norm_tids, "isVerified": verified, "isPrimary": primary,
                    "timeJoinedInMSSinceEpoch": joined, "recipeId": recipe}
            if recipe == "emailpassword":
                s = " for an emailpassword recipe."
                email = field(lm, "email", STRING, True, errors, s)
                phash = field(lm, "passwordHash", STRING, False, errors, s)
                alg = field(lm, "hashingAlgorithm", STRING, False, errors, s)
                plain = field(lm, "plainTextPassword", STRING, False, errors, s)
                if (phash is None or alg is None) and plain is None:
                    errors.append("Either (passwordHash, hashingAlgorithm) or plainTextPassword "
                                  "is required for an emailpassword recipe.")
                email = self._email(email, errors)
                norm_alg = None
                if alg is not None:
                    norm_alg = alg.strip().upper()
                    if norm_alg not in ("ARGON2", "BCRYPT", "FIREBASE_SCRYPT"):
                        errors.append("Invalid hashingAlgorithm for emailpassword recipe. Pass one "
                                      "of bcrypt, argon2 or, firebase_scrypt!")
                        norm_alg = None
                alg = norm_alg if norm_alg is not None else alg
                if norm_alg is not None and phash is not None:
                    if jlen(phash) > 256:
                        errors.append("passwordHash is too long. Max length is 256.")
                    phash = phash.strip()
                    msg = self.st.hash_format_error(phash, norm_alg, count=not self.read_stored)
                    if msg:
                        errors.append(msg)
                rec = dict(base, email=email)
                for k, v in (("passwordHash", phash), ("hashingAlgorithm", alg),
                             ("plainTextPassword", plain)):
                    if v is not None:
                        rec[k] = v
            elif recipe == "thirdparty":
                s = " for a thirdparty recipe."
                email = field(lm, "email", STRING, True, errors, s)
                tp_id = field(lm, "thirdPartyId", STRING, True, errors, s)
                tp_uid = field(lm, "thirdPartyUserId", STRING, True, errors, s)
                email = self._email(email, errors)
                if tp_id is not None and jlen(tp_id) > 28:
                    errors.append("thirdPartyId %s is too long. Max length is 28." % tp_id)
                if tp_uid is not None and jlen(tp_uid) > 256:
                    errors.append("thirdPartyUserId %s is too long. Max length is 256." % tp_uid)
                rec = dict(base)
                for k, v in (("email", email), ("thirdPartyId", tp_id),
                             ("thirdPartyUserId", tp_uid)):
                    if v is not None:
                        rec[k] = v
            elif recipe == "passwordless":
                s = " for a passwordless recipe."
                email = field(lm, "email", STRING, False, errors, s)
                phone = field(lm, "phoneNumber", STRING, False, errors, s)
                email = self._email(email, errors)
                if phone is not None:
                    if jlen(phone) > 256:
                        errors.append("phoneNumber %s is too long. Max length is 256." % phone)
                    phone = normalise_phone(phone)
                if email is None and phone is None:
                    errors.append("Either email or phoneNumber is required for a passwordless "
                                  "recipe.")
                rec = dict(base)
                for k, v in (("email", email), ("phoneNumber", phone)):
                    if v is not None:
                        rec[k] = v
            else:
                continue
            if st_id is not None:
                rec["superTokensUserId"] = st_id
            out.append(rec)
        return out

    @staticmethod
    def _email(email, errors):
        if email is None:
            return None
        if jlen(email) > 255:
            errors.append("email %s is too long. Max length is 256." % email)
        return normalise_email(email)

    def _tenants_for_roles_and_lms(self, roles, lms, errors):
        for r in roles or []:
            for t in r["tenantIds"]:
                if t != DEFAULT_TENANT and not any(t in lm["tenantIds"] for lm in lms):
                    errors.append("TenantId %s for a user role does not exist in loginMethods." % t)
        for lm in lms:
            if not lm["tenantIds"]:
                errors.append("LoginMethod '%s@%s' has no tenantId" % (LM_CLASS, self.st.java_hash()))
        # one database for every tenant: "All tenants for a user must share the same database"
        # cannot happen here


def redact(_secret):
    return "<redacted>"


def primary_lm(lms):
    """BulkImportUserUtils.getPrimaryLoginMethod: the isPrimary one, else the oldest."""
    oldest = lms[0]
    for lm in lms:
        if lm["isPrimary"]:
            return lm
        if lm["timeJoinedInMSSinceEpoch"] < oldest["timeJoinedInMSSinceEpoch"]:
            oldest = lm
    return oldest


# --------------------------------------------------------------------------- passwords

def verify_password(store, password, h):
    """PasswordHashing.verifyPasswordWithHash. Raises Crash for a Firebase hash without the
    signer key (the core rethrows that IllegalStateException)."""
    if is_argon2(h):
        try:
            return argon2.PasswordHasher().verify(h, password)
        except Exception:  # VerifyMismatchError, InvalidHashError, ...
            return False
    if is_bcrypt(h):
        if h.startswith(("$2b", "$2x", "$2y")):
            h = "$2a" + h[3:]  # jBCrypt knows only $2a
        pw = password.encode("utf-8")[:72]  # jBCrypt: only the first 72 bytes count
        try:
            return bcrypt.checkpw(pw, h.encode("utf-8"))
        except (ValueError, TypeError):
            return False
    fb = parse_firebase(h)
    if fb is not None:
        if store.firebase_signer_key is None:
            raise Crash(FIREBASE_KEY_NULL)
        try:
            salt = base64.b64decode(fb["salt"])
            sep = base64.b64decode(fb["s"])
            signer = base64.b64decode(store.firebase_signer_key)
            n = 1 << fb["m"]
            # password.getBytes(US_ASCII): every non-ASCII character becomes '?'
            pw = password.encode("ascii", "replace")
            dk = hashlib.scrypt(pw, salt=salt + sep, n=n, r=fb["r"], p=1, dklen=64,
                                maxmem=256 * 1024 * 1024)
            ct = AES.new(dk[:32], AES.MODE_CTR, nonce=b"", initial_value=bytes(16)).encrypt(signer)
            return base64.b64encode(ct).decode("ascii") == fb["hash"]
        except Exception:
            return False
    return False


# --------------------------------------------------------------------------- TOTP

B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b32decode_lenient(s):
    """commons-codec Base32.decode: unknown characters ignored, leftover bits dropped."""
    bits, n, out = 0, 0, bytearray()
    for c in s.upper():
        i = B32.find(c)
        if i < 0:
            continue
        bits = (bits << 5) | i
        n += 5
        if n >= 8:
            n -= 8
            out.append((bits >> n) & 0xFF)
    return bytes(out)


def totp_code(secret, counter):
    key = b32decode_lenient(secret)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = mac[-1] & 0x0F
    v = struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF
    return "%06d" % (v % 1000000)


def check_code(device, code, now_s):
    period, skew = device["period"], device["skew"]
    for i in range(-skew, skew + 1):
        if totp_code(device["secretKey"], int((now_s + i * period) // period)) == code:
            return True
    return False


# --------------------------------------------------------------------------- state

class Store:
    """All mutable state; every access goes through self.lock."""

    def __init__(self, args):
        self.lock = threading.RLock()
        self.process_lock = threading.Lock()
        self.wake = threading.Event()
        self.args = args
        self.seed = args.seed
        self.fault_rate = args.fault_rate
        self.slow_seconds = args.slow_seconds
        self.process_rate = args.process_rate
        self.process_interval = args.process_interval
        self.chunk_size = args.chunk_size
        self.max_body_bytes = args.max_body_bytes
        self.mfa = args.mfa
        self.account_linking = args.account_linking
        tenants = [t.strip().lower() for t in (args.tenants or "").split(",") if t.strip()]
        self.multitenancy = bool(tenants)
        self.tenants = {DEFAULT_TENANT} | set(tenants)
        self.firebase_signer_key = args.firebase_signer_key
        self.firebase_salt_separator = args.firebase_salt_separator
        self.api_keys = [k.strip() for k in (args.api_key or "").split(",") if k.strip()] or None
        self.bcrypt_rounds = args.bcrypt_rounds
        # A rate limit in front of the core (SuperTokens' managed service, a proxy): at most
        # `limit` requests to the migration endpoints per fixed `window`; 0 = none.
        self.limit = args.limit
        self.window = args.window
        self.window_start = time.monotonic()
        self.window_index = 0
        self.window_count = 0
        self.reset()

    def reset(self):
        self.rng = random.Random(self.seed)
        self.roles = {r.strip(): [] for r in (self.args.roles or "").split(",") if r.strip()}
        self.bulk = {}            # id -> entry, insertion order = claim order
        self.seq = 0
        self.recipe_users = {}    # recipeUserId -> login method record
        self.users = {}           # user id (primary / only recipe user id) -> user record
        self.user_of = {}         # recipeUserId -> user id
        self.idx_ep = {}          # (tenant, email) -> recipeUserId
        self.idx_tp = {}          # (tenant, thirdPartyId, thirdPartyUserId) -> recipeUserId
        self.idx_pl_email = {}    # (tenant, email) -> recipeUserId
        self.idx_pl_phone = {}    # (tenant, phone) -> recipeUserId
        self.reserved = {}        # (tenant, kind, value) -> primary user id
        self.st_to_ext = {}
        self.ext_to_st = {}
        self.verified = set()     # (userId as stored, email)
        self.totp = {}            # userId -> [device]
        self.used_codes = {}      # userId -> [used code], newest last
        self.metadata = {}        # userId -> dict
        self.user_roles = {}      # (tenant, userId) -> [role]
        self.attempts = {}
        self.reset_stats()

    def reset_stats(self):
        self.stats = {"requests": 0, "by_status": {}, "spec_violations": 0,
                      "spec_violation_kinds": {}, "faults": {k: 0 for k in FAULT_KINDS},
                      "dropped": 0, "unauthorized": 0, "bulk_added": 0, "bulk_add_requests": 0,
                      "processed": 0, "failed": 0, "failed_by_code": {}, "rounds": 0,
                      "chunks": 0, "claimed": 0, "removed": 0, "duplicate_attempts": 0,
                      "signin_ok": 0, "signin_wrong": 0, "totp_ok": 0, "totp_invalid": 0,
                      "firebase_separator_mismatch": 0, "too_large": 0,
                      "rate_limited": 0}

    def over_limit(self):
        """Counts one request in the current window: None when within the limit, else the
        whole seconds (at least 1) to the window's end, for Retry-After. Caller holds the lock."""
        if not self.limit:
            return None
        now = time.monotonic()
        w = int((now - self.window_start) // self.window)
        if w != self.window_index:
            self.window_index, self.window_count = w, 0
        self.window_count += 1
        if self.window_count <= self.limit:
            return None
        end = self.window_start + (w + 1) * self.window
        return max(1, int(end - now + 0.999))

    # -- ids
    def new_uuid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def java_hash(self):
        return "%x" % self.rng.getrandbits(31)

    def count_status(self, status):
        s = str(status)
        self.stats["by_status"][s] = self.stats["by_status"].get(s, 0) + 1

    def violation(self, kind):
        self.stats["spec_violations"] += 1
        k = self.stats["spec_violation_kinds"]
        k[kind] = k.get(kind, 0) + 1

    # -- faults
    def fault_for(self, method, path, key):
        if self.fault_rate <= 0:
            return None
        k = (method, path, key)
        n = self.attempts.get(k, 0) + 1
        self.attempts[k] = n
        h = hashlib.sha256(("%s|%s|%s|%s|%d" % (self.seed, method, path, key, n))
                           .encode("utf-8", "surrogatepass")).digest()
        if int.from_bytes(h[:8], "big") / 2.0 ** 64 >= self.fault_rate:
            return None
        kind = FAULT_KINDS[int.from_bytes(h[8:16], "big") % len(FAULT_KINDS)]
        if method != "POST":
            kind = GET_FAULT_MAP.get(kind, kind)
        return kind

    # -- hash formats (PasswordHashingUtils.assertSuperTokensSupportInputPasswordHashFormat)
    def hash_format_error(self, h, alg, count=True):
        if alg == "ARGON2":
            return None if is_argon2(h) else "Password hash is in invalid Argon2 format"
        if alg == "BCRYPT":
            return None if is_bcrypt(h) else "Password hash is in invalid BCrypt format"
        if alg == "FIREBASE_SCRYPT":
            if self.firebase_signer_key is None:
                raise Crash("java.lang.IllegalStateException: " + FIREBASE_KEY_NULL)
            if not is_firebase_format(h):
                return "Password hash is in invalid Firebase SCrypt format"
            fb = parse_firebase(h)
            if count and self.firebase_salt_separator is not None and \
                    fb["s"] != self.firebase_salt_separator:
                self.stats["firebase_separator_mismatch"] += 1
        return None

    # -- lookups
    def resolve_any(self, uid):
        """A user id as the core resolves it with UserIdType.ANY: external -> SuperTokens."""
        if uid in self.st_to_ext:
            return uid
        return self.ext_to_st.get(uid, uid)

    def shown_id(self, rid):
        return self.st_to_ext.get(rid, rid)

    def user_json(self, uid):
        u = self.users[uid]
        lms = sorted((self.recipe_users[r] for r in u["loginMethods"]),
                     key=lambda lm: lm["timeJoined"])
        tenants, emails, phones, tps = [], [], [], []
        for lm in lms:
            for t in lm["tenantIds"]:
                if t not in tenants:
                    tenants.append(t)
            if lm["email"] is not None and lm["email"] not in emails:
                emails.append(lm["email"])
            if lm["phoneNumber"] is not None and lm["phoneNumber"] not in phones:
                phones.append(lm["phoneNumber"])
            if lm["thirdParty"] is not None:
                tp = {"id": lm["thirdParty"][0], "userId": lm["thirdParty"][1]}
                if tp not in tps:
                    tps.append(tp)
        out = {"id": self.shown_id(uid), "isPrimaryUser": u["isPrimaryUser"],
               "tenantIds": tenants, "timeJoined": min(lm["timeJoined"] for lm in lms),
               "emails": emails, "phoneNumbers": phones, "thirdParty": tps,
               "webauthn": {"credentialIds": []}, "loginMethods": []}
        for lm in lms:
            shown = self.shown_id(lm["recipeUserId"])
            j = {"tenantIds": list(lm["tenantIds"]), "recipeUserId": shown,
                 "verified": lm["email"] is not None and (shown, lm["email"]) in self.verified,
                 "timeJoined": lm["timeJoined"], "recipeId": lm["recipeId"]}
            if lm["email"] is not None:
                j["email"] = lm["email"]
            if lm["phoneNumber"] is not None:
                j["phoneNumber"] = lm["phoneNumber"]
            if lm["thirdParty"] is not None:
                j["thirdParty"] = {"id": lm["thirdParty"][0], "userId": lm["thirdParty"][1]}
            out["loginMethods"].append(j)
        return out

    def admin_user(self, uid):
        u = self.users[uid]
        ext = self.st_to_ext.get(uid)
        key = ext or uid
        lms = []
        for r in u["loginMethods"]:
            lm = self.recipe_users[r]
            shown = self.shown_id(r)
            lms.append({"recipeUserId": r, "shownRecipeUserId": shown,
                        "recipeId": lm["recipeId"], "email": lm["email"],
                        "phoneNumber": lm["phoneNumber"],
                        "thirdParty": ({"id": lm["thirdParty"][0], "userId": lm["thirdParty"][1]}
                                       if lm["thirdParty"] else None),
                        "passwordHash": lm["passwordHash"],
                        "hashingAlgorithm": lm["hashingAlgorithm"],
                        "passwordFromPlainText": lm["fromPlainText"],
                        "tenantIds": list(lm["tenantIds"]), "timeJoined": lm["timeJoined"],
                        "isPrimary": lm["isPrimary"],
                        "verified": lm["email"] is not None and (shown, lm["email"]) in self.verified})
        by_tenant, roles = {}, []
        for (t, who), rs in self.user_roles.items():
            if who == key:
                by_tenant[t] = list(rs)
                roles += [r for r in rs if r not in roles]
        return {"id": uid, "externalUserId": ext, "isPrimaryUser": u["isPrimaryUser"],
                "bulkId": u["bulkId"], "importedAt": u["importedAt"],
                "timeJoined": min(self.recipe_users[r]["timeJoined"] for r in u["loginMethods"]),
                "loginMethods": lms,
                "totpDevices": [dict(d) for d in self.totp.get(key, [])],
                "roles": roles, "rolesByTenant": by_tenant, "metadata": self.metadata.get(key)}

    # -- bulk entries
    def entry_json(self, e):
        """BulkImportUser.toJsonObject(): Gson, null fields left out, in field order."""
        out = {"id": e["id"]}
        out.update(e["raw"])
        out["status"] = e["status"]
        if e.get("primaryUserId") is not None:
            out["primaryUserId"] = e["primaryUserId"]
        if e.get("errorMessage") is not None:
            out["errorMessage"] = e["errorMessage"]
        out["createdAt"] = e["createdAt"]
        out["updatedAt"] = e["updatedAt"]
        return out

    def bulk_counts(self):
        c = {"NEW": 0, "PROCESSING": 0, "FAILED": 0}
        for e in self.bulk.values():
            c[e["status"]] += 1
        return c

    def duplicate_report(self):
        """Invariants a migration must keep: 0 unless the fake itself is broken, plus bulk
        entries that share an externalUserId with an imported user or with each other."""
        dup_users = 0
        seen = {}
        for rid in self.st_to_ext:
            ext = self.st_to_ext[rid]
            seen[ext] = seen.get(ext, 0) + 1
        dup_users += sum(1 for v in seen.values() if v > 1)
        ext_in_bulk = {}
        for e in self.bulk.values():
            x = e["raw"].get("externalUserId")
            if x is not None:
                ext_in_bulk[x] = ext_in_bulk.get(x, 0) + 1
        bulk_dups = sum(v - 1 for v in ext_in_bulk.values() if v > 1)
        bulk_dups += sum(1 for x in ext_in_bulk if x in self.ext_to_st)
        return dup_users, bulk_dups

    def fail(self, e, msg):
        e["status"] = "FAILED"
        e["errorMessage"] = msg
        e["updatedAt"] = now_ms()
        self.stats["failed"] += 1
        m = re.match(r"^(E\d{3}):", msg)
        code = m.group(1) if m else ("validation" if msg.startswith("[") else "other")
        fb = self.stats["failed_by_code"]
        fb[code] = fb.get(code, 0) + 1
        if code in ("E003", "E005", "E006", "E007", "E022", "E031") or "is not unique" in msg:
            self.stats["duplicate_attempts"] += 1


# --------------------------------------------------------------------------- processing

class Importer:
    """One chunk of ProcessBulkUsersImportWorker.processMultipleUsers + BulkImport
    .processUsersImportSteps, all or nothing (the transaction)."""

    def __init__(self, st):
        self.st = st

    def run_round(self, limit, roles_snapshot=None, hashes=None):
        """Claim up to `limit` NEW/PROCESSING entries and process them as one chunk.
        Returns the number claimed. Called with process_lock held (not st.lock)."""
        st = self.st
        with st.lock:
            ids = []
            for e in st.bulk.values():
                if e["status"] in ("NEW", "PROCESSING"):
                    ids.append(e["id"])
                    if len(ids) >= limit:
                        break
            if not ids:
                return 0
            t = now_ms()
            todo = []
            for i in ids:
                e = st.bulk[i]
                e["status"] = "PROCESSING"
                e["updatedAt"] = t
                for lm in e["raw"]["loginMethods"]:
                    if (lm.get("recipeId") == "emailpassword" and lm.get("passwordHash") is None
                            and lm.get("plainTextPassword") is not None):
                        todo.append((lm["superTokensUserId"], lm["plainTextPassword"]))
            roles = set(st.roles) if roles_snapshot is None else set(roles_snapshot)
            st.stats["rounds"] += 1
            st.stats["claimed"] += len(ids)
        # plainTextPassword: hashed with the core's password_hashing_alg (bcrypt, 11 rounds)
        # outside the lock, it is slow on purpose
        hashes = dict(hashes or {})
        for rid, pw in todo:
            if rid not in hashes:
                hashes[rid] = bcrypt.hashpw(pw.encode("utf-8")[:72],
                                            bcrypt.gensalt(st.bcrypt_rounds, b"2a")).decode()
        with st.lock:
            entries = [st.bulk[i] for i in ids if i in st.bulk and
                       st.bulk[i]["status"] == "PROCESSING"]
            if entries:
                st.stats["chunks"] += 1
                self._chunk(entries, roles, hashes)
        return len(ids)

    def _chunk(self, entries, roles, hashes):
        st = self.st
        v = Validator(st, roles, read_stored=True)
        valid, verrs = [], {}
        now = now_ms()
        for e in entries:
            try:
                valid.append((e, v.user(e["raw"], now)))
            except Invalid as ex:
                verrs[e["id"]] = java_list(ex.errors)
            except Crash as ex:
                verrs[e["id"]] = str(ex)
        if verrs:
            # BulkImportBatchInsertException("Invalid input data"): only these fail; the rest
            # stay PROCESSING and go round again
            for e in entries:
                if e["id"] in verrs:
                    st.fail(e, verrs[e["id"]])
            return
        outcome = self._import([u for _, u in valid], [e for e, _ in valid], hashes)
        if outcome[0] == "ok":
            for e, _ in valid:
                del st.bulk[e["id"]]
                st.stats["processed"] += 1
        elif outcome[0] == "batch":
            for e, _ in valid:
                if e["id"] in outcome[1]:
                    st.fail(e, outcome[1][e["id"]])
        else:  # one message for every user of the chunk
            for e, _ in valid:
                st.fail(e, outcome[1])

    def _import(self, users, entries, hashes):
        st = self.st
        by_rid = {}
        for e, u in zip(entries, users):
            for lm in u["loginMethods"]:
                by_rid[lm["superTokensUserId"]] = e["id"]

        # 1. reserve account infos for primary users
        primaries = []
        for e, u in zip(entries, users):
            lms = u["loginMethods"]
            if any(lm["isPrimary"] for lm in lms) or len(lms) > 1:
                primaries.append((e, u))
        if any(any(lm["isPrimary"] for lm in u["loginMethods"]) for _, u in primaries):
            if not st.account_linking:
                return ("all", E019)
        errs, local = {}, {}
        for e, u in primaries:
            pid = primary_lm(u["loginMethods"])["superTokensUserId"]
            infos = self._account_infos(u)
            if any(st.reserved.get(k, pid) != pid or local.get(k, pid) != pid for k in infos):
                errs[e["id"]] = ("E022: We tried to create the primary user for the userId %s but "
                                 "the account info is already associated with another primary "
                                 "user." % pid)
                continue
            for k in infos:
                local[k] = pid
        if errs:
            return ("batch", errs)

        # 2. login methods: primary ones first, then the others; per recipe in a batch
        ins_ep, ins_tp, ins_ple, ins_plp = set(), set(), set(), set()
        all_lms = [lm for u in users for lm in u["loginMethods"]]
        for want_primary in (True, False):
            for recipe in ("emailpassword", "thirdparty", "passwordless"):
                errs = {}
                for lm in all_lms:
                    if lm["isPrimary"] != want_primary or lm["recipeId"] != recipe:
                        continue
                    bid = by_rid[lm["superTokensUserId"]]
                    ts = lm["tenantIds"]
                    if recipe == "emailpassword":
                        keys = [(t, lm["email"]) for t in ts]
                        if any(k in st.idx_ep or k in ins_ep for k in keys):
                            errs[bid] = ("E003: A user with email %s already exists in "
                                         "emailpassword loginMethod." % lm["email"])
                        else:
                            ins_ep.update(keys)
                    elif recipe == "thirdparty":
                        keys = [(t, lm["thirdPartyId"], lm["thirdPartyUserId"]) for t in ts]
                        if any(k in st.idx_tp or k in ins_tp for k in keys):
                            errs[bid] = ("E005: A user with thirdPartyId %s and thirdPartyUserId "
                                         "%s already exists in thirdparty loginMethod."
                                         % (lm["thirdPartyId"], lm["thirdPartyUserId"]))
                        else:
                            ins_tp.update(keys)
                    else:
                        ek = [(t, lm.get("email")) for t in ts] if lm.get("email") else []
                        pk = [(t, lm.get("phoneNumber")) for t in ts] if lm.get("phoneNumber") else []
                        if any(k in st.idx_pl_email or k in ins_ple for k in ek):
                            errs[bid] = ("E006: A user with email %s already exists in "
                                         "passwordless loginMethod." % lm["email"])
                        elif any(k in st.idx_pl_phone or k in ins_plp for k in pk):
                            errs[bid] = ("E007: A user with phoneNumber %s already exists in "
                                         "passwordless loginMethod." % lm["phoneNumber"])
                        else:
                            ins_ple.update(ek)
                            ins_plp.update(pk)
                if errs:
                    return ("batch", errs)

        # 3. user id mappings
        errs, new_ext = {}, set()
        for e, u in zip(entries, users):
            x = u.get("externalUserId")
            if x is None:
                continue
            if x in st.ext_to_st or x in new_ext:
                errs[e["id"]] = "E031: A user with externalId %s already exists" % x
            new_ext.add(x)
        if errs:
            return ("batch", errs)

        # 4. verified emails: nothing can fail here

        # 5. TOTP devices (stored verified, under the external id if any)
        for u in users:
            key = u.get("externalUserId") or primary_lm(u["loginMethods"])["superTokensUserId"]
            names = set(d["deviceName"] for d in st.totp.get(key, []))
            for d in u.get("totpDevices") or []:
                if d.get("deviceName") is None:
                    return ("all", E036_NULL)
                if d["deviceName"] in names:
                    return ("all", E036_DUP)
                names.add(d["deviceName"])

        # 6. metadata: nothing can fail here

        # 7. roles (under the external id if any, else the bulk user id)
        errs = {}
        for e, u in zip(entries, users):
            for r in u.get("userRoles") or []:
                if r["role"] not in st.roles:
                    errs[e["id"]] = E034
        if errs:
            return ("batch", errs)

        self._apply(users, entries, hashes)
        return ("ok",)

    @staticmethod
    def _account_infos(u):
        tenants, infos = set(), set()
        for lm in u["loginMethods"]:
            tenants.update(lm["tenantIds"])
            if lm.get("email") is not None:
                infos.add(("email", lm["email"]))
            if lm.get("phoneNumber") is not None:
                infos.add(("phone", lm["phoneNumber"]))
            if lm.get("thirdPartyId") is not None:
                infos.add(("thirdparty", lm["thirdPartyId"] + "::" + lm["thirdPartyUserId"]))
        return [(t,) + i for t in tenants for i in infos]

    def _apply(self, users, entries, hashes):
        st = self.st
        t_now = now_ms()
        for e, u in zip(entries, users):
            lms = u["loginMethods"]
            plm = primary_lm(lms)
            pid = plm["superTokensUserId"]
            is_primary_user = any(lm["isPrimary"] for lm in lms) or len(lms) > 1
            ext = u.get("externalUserId")
            for lm in lms:
                rid = lm["superTokensUserId"]
                phash = lm.get("passwordHash")
                from_plain = False
                if lm["recipeId"] == "emailpassword" and phash is None:
                    phash = hashes.get(rid)
                    from_plain = True
                rec = {"recipeUserId": rid, "recipeId": lm["recipeId"],
                       "email": lm.get("email"), "phoneNumber": lm.get("phoneNumber"),
                       "thirdParty": ((lm["thirdPartyId"], lm["thirdPartyUserId"])
                                      if lm["recipeId"] == "thirdparty" else None),
                       "passwordHash": phash,
                       "hashingAlgorithm": ("BCRYPT" if from_plain else lm.get("hashingAlgorithm")),
                       "fromPlainText": from_plain,
                       "tenantIds": list(lm["tenantIds"]),
                       "timeJoined": lm["timeJoinedInMSSinceEpoch"], "isPrimary": lm["isPrimary"]}
                st.recipe_users[rid] = rec
                st.user_of[rid] = pid
                for t in lm["tenantIds"]:
                    if lm["recipeId"] == "emailpassword":
                        st.idx_ep[(t, lm["email"])] = rid
                    elif lm["recipeId"] == "thirdparty":
                        st.idx_tp[(t, lm["thirdPartyId"], lm["thirdPartyUserId"])] = rid
                    else:
                        if lm.get("email"):
                            st.idx_pl_email[(t, lm["email"])] = rid
                        if lm.get("phoneNumber"):
                            st.idx_pl_phone[(t, lm["phoneNumber"])] = rid
            st.users[pid] = {"id": pid, "isPrimaryUser": is_primary_user,
                             "loginMethods": [lm["superTokensUserId"] for lm in lms],
                             "bulkId": e["id"], "importedAt": t_now}
            if is_primary_user:
                for k in self._account_infos(u):
                    st.reserved[k] = pid
            if ext is not None:
                st.ext_to_st[ext] = pid
                st.st_to_ext[pid] = ext
            for lm in lms:
                if lm["isVerified"] and lm.get("email") is not None:
                    who = ext if (ext is not None and lm is plm) else lm["superTokensUserId"]
                    st.verified.add((who, lm["email"]))
            key = ext or pid
            for d in u.get("totpDevices") or []:
                st.totp.setdefault(key, []).append(
                    {"deviceName": d["deviceName"], "secretKey": d["secretKey"],
                     "period": d["period"], "skew": d["skew"], "verified": True,
                     "createdAt": t_now})
            if u.get("userMetadata") is not None:
                cur = dict(st.metadata.get(key) or {})
                for k, v in u["userMetadata"].items():
                    if v is None:
                        cur.pop(k, None)
                    else:
                        cur[k] = v
                st.metadata[key] = cur
            # roles under user.externalUserId, else user.id (the bulk user id, which the core
            # set to the primary login method's id)
            rkey = ext if ext is not None else e["id"]
            for r in u.get("userRoles") or []:
                for t in r["tenantIds"]:
                    lst = st.user_roles.setdefault((t, rkey), [])
                    if r["role"] not in lst:
                        lst.append(r["role"])
                    if rkey not in st.roles[r["role"]]:
                        st.roles[r["role"]].append(rkey)


def worker(st, importer):
    """The ProcessBulkImportUsers cron, at a chosen rate: every process_interval seconds, claim
    chunks of chunk_size until process_rate * interval users were claimed or none is left."""
    budget = 0.0
    while True:
        interval = max(0.01, float(st.process_interval))
        st.wake.wait(interval)
        st.wake.clear()
        rate = st.process_rate
        if rate <= 0:
            budget = 0.0
            continue
        budget = min(budget + rate * interval, max(1.0, rate * interval))
        with st.process_lock:
            while budget >= 1 and st.process_rate > 0:
                try:
                    n = importer.run_round(int(min(st.chunk_size, budget)))
                except Exception as e:  # keep the cron alive; no values in the message
                    sys.stderr.write("fake-supertokens: processing error: %s\n" % type(e).__name__)
                    n = 0
                if n == 0:
                    break
                budget -= n


# --------------------------------------------------------------------------- HTTP

APP_APIS = {"/bulk-import/users", "/bulk-import/users/count", "/bulk-import/users/remove",
            "/user/id", "/recipe/userid/map", "/recipe/role", "/recipe/role/remove",
            "/recipe/roles", "/recipe/user/metadata", "/recipe/totp/device/list",
            "/apiversion", "/ee/featureflag"}
NO_CDI_VERSION = {"/apiversion"}  # ApiVersionAPI.versionNeeded() is false
TENANT_APIS = {"/recipe/signin", "/recipe/totp/verify", "/users/by-accountinfo",
               "/recipe/user/roles", "/recipe/user/email/verify"}
# Faults hit what a migration tool calls; the sign-in, TOTP, role and metadata endpoints a test
# uses to check imported users always answer.
FAULTED = {"/bulk-import/users", "/bulk-import/users/count", "/bulk-import/users/remove",
           "/user/id", "/recipe/userid/map", "/users/by-accountinfo"}
ALL_APIS = sorted(APP_APIS | TENANT_APIS, key=len, reverse=True)
_SEG = r"[a-z0-9-]+"


def split_path(path):
    """(appId, tenantId, api) the way WebserverAPI.getAppId/getTenantId read the servlet path
    (lower-cased); api None when no known API matches."""
    p = path.lower()
    if len(p) > 1 and p.endswith("/"):
        p = p[:-1]
    for api in ALL_APIS:
        if p == api:
            return None, None, api
        if not p.endswith(api):
            continue
        head = p[:-len(api)]
        m = re.fullmatch(r"/appid-([a-z0-9-]*)(?:/(%s))?" % _SEG, head)
        if m:
            return m.group(1), m.group(2), api
        m = re.fullmatch(r"/(%s)" % _SEG, head)
        if m and not m.group(1).startswith("appid-"):
            return None, m.group(1), api
    return None, None, None


class ClientGone(Exception):
    pass


class TooLarge(Exception):
    pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-supertokens/1"
    sys_version = ""
    disable_nagle_algorithm = True
    wbufsize = 1 << 16
    timeout = 120

    st = None
    spec = None
    importer = None
    verbose = False

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        pass

    def _log(self, status, started):
        if self.verbose:
            sys.stderr.write("%s %s %s %.1fms\n" % (self.command, urlsplit(self.path).path, status,
                                                    (time.monotonic() - started) * 1000))

    def _read_body(self):
        limit = self.st.max_body_bytes
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ClientGone()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > limit:
                    raise TooLarge()
                chunk = self.rfile.read(size)
                if len(chunk) < size:
                    raise ClientGone()
                chunks.append(chunk)
                self.rfile.readline(65537)
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        if n > limit:
            raise TooLarge()
        raw = self.rfile.read(n) if n > 0 else b""
        if len(raw) < n:
            raise ClientGone()
        return raw

    def _send(self, status, body, text=False, retry_after=None):
        if isinstance(body, bytes):
            data = body
        elif text:
            data = (body + "\n").encode("utf-8")  # resp.getWriter().println(message)
        else:
            data = (dumps(body) + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", TEXT_TYPE if text else JSON_TYPE)
        self.send_header("Content-Length", str(len(data)))
        if retry_after is not None:
            self.send_header("Retry-After", str(retry_after))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def _dispatch(self):
        started = time.monotonic()
        st = self.st
        try:
            raw = self._read_body()
        except ClientGone:
            self.close_connection = True
            return
        except (TooLarge, ValueError):
            self.close_connection = True
            with st.lock:
                st.stats["requests"] += 1
                st.stats["too_large"] += 1
                st.count_status(413)
            self._send(413, "Request Entity Too Large", text=True)
            self._log(413, started)
            return
        parts = urlsplit(self.path)
        if parts.path.startswith("/__admin/"):
            status = self._admin(parts.path, raw)
        else:
            status = self._api(parts.path, parts.query, raw)
        self._log(status, started)

    # -- admin (no auth, no faults)
    def _admin(self, path, raw):
        st, m = self.st, self.command
        try:
            body = json.loads(raw.decode("utf-8") or "{}") if raw else {}
        except (ValueError, UnicodeDecodeError):
            self._send(400, {"error": "invalid JSON"})
            return 400
        if path == "/__admin/stats" and m == "GET":
            with st.lock:
                s = copy.deepcopy(st.stats)
                counts = st.bulk_counts()
                dup_users, bulk_dups = st.duplicate_report()
                s.update({"accepted": s["bulk_added"],
                          "bulk": dict(counts, total=sum(counts.values())),
                          "imported_users": len(st.users),
                          "login_methods": len(st.recipe_users),
                          "user_id_mappings": len(st.ext_to_st),
                          "totp_devices": sum(len(v) for v in st.totp.values()),
                          "duplicate_users": dup_users,
                          "bulk_duplicate_external_ids": bulk_dups,
                          "roles": sorted(st.roles),
                          "config": self._config_view()})
            self._send(200, s)
            return 200
        if path == "/__admin/users" and m == "GET":
            with st.lock:
                out = [st.admin_user(uid) for uid in st.users]
            self._send(200, out)
            return 200
        if path == "/__admin/bulk" and m == "GET":
            with st.lock:
                out = [st.entry_json(e) for e in st.bulk.values()]
            self._send(200, out)
            return 200
        if path == "/__admin/reset" and m == "POST":
            with st.process_lock, st.lock:
                st.reset()
            self._send(200, {"ok": True})
            return 200
        if path == "/__admin/process" and m == "POST":
            if not isinstance(body, dict):
                self._send(400, {"error": "expected a JSON object"})
                return 400
            snap = body.get("roles_snapshot")
            rounds = 0
            with st.process_lock:
                with st.lock:
                    before = (st.stats["processed"], st.stats["failed"])
                while True:
                    n = self.importer.run_round(st.chunk_size, roles_snapshot=snap)
                    if n == 0:
                        break
                    rounds += 1
                with st.lock:
                    out = {"rounds": rounds, "processed": st.stats["processed"] - before[0],
                           "failed": st.stats["failed"] - before[1], "bulk": st.bulk_counts()}
            self._send(200, out)
            return 200
        if path == "/__admin/config" and m == "POST":
            try:
                changes = self._parse_config(body)
            except ValueError as e:
                self._send(400, {"error": str(e)})
                return 400
            with st.lock:
                for k, v in changes.items():
                    setattr(st, k, v)
                    if k in ("limit", "window"):
                        # A new budget starts a new window now.
                        st.window_start = time.monotonic()
                        st.window_index = 0
                        st.window_count = 0
                    if k == "seed":
                        st.attempts = {}
                        st.rng = random.Random(v)
                out = self._config_view()
            st.wake.set()
            self._send(200, out)
            return 200
        self._send(404, {"error": "unknown admin endpoint"})
        return 404

    CONFIG_KEYS = {"fault_rate": (float, 0, 1), "process_rate": (float, 0, None),
                   "process_interval": (float, 0.01, None), "seed": (int, None, None),
                   "slow_seconds": (float, 0, None), "chunk_size": (int, 1, None),
                   "max_body_bytes": (int, 1, None), "account_linking": (bool, None, None),
                   "mfa": (bool, None, None), "bcrypt_rounds": (int, 4, 31),
                   "limit": (int, 0, None), "window": (float, 0.01, None)}

    def _parse_config(self, cfg):
        if not isinstance(cfg, dict):
            raise ValueError("expected a JSON object")
        unknown = set(cfg) - set(self.CONFIG_KEYS)
        if unknown:
            raise ValueError("unknown keys: " + ", ".join(sorted(unknown)))
        out = {}
        for k, v in cfg.items():
            t, lo, hi = self.CONFIG_KEYS[k]
            if t is bool:
                if not isinstance(v, bool):
                    raise ValueError("%s must be a boolean" % k)
            elif isinstance(v, bool) or not isinstance(v, (int, float)) or \
                    (t is int and not isinstance(v, int)):
                raise ValueError("%s must be a number" % k)
            elif (lo is not None and v < lo) or (hi is not None and v > hi):
                raise ValueError("%s out of range" % k)
            out[k] = t(v)
        return out

    def _config_view(self):
        st = self.st
        return {"fault_rate": st.fault_rate, "process_rate": st.process_rate,
                "process_interval": st.process_interval, "seed": st.seed,
                "slow_seconds": st.slow_seconds, "chunk_size": st.chunk_size,
                "max_body_bytes": st.max_body_bytes, "account_linking": st.account_linking,
                "mfa": st.mfa, "multitenancy": st.multitenancy, "tenants": sorted(st.tenants),
                "bcrypt_rounds": st.bcrypt_rounds, "limit": st.limit, "window": st.window,
                "firebase_signer_key_set": st.firebase_signer_key is not None,
                "firebase_salt_separator": st.firebase_salt_separator,
                "api_key_required": st.api_keys is not None}

    # -- the core's API
    def _api(self, path, query, raw):
        st = self.st
        app, tenant, api = split_path(path)
        with st.lock:
            st.stats["requests"] += 1
        try:
            if api is None:
                raise Reply(404, "Not found", text=True)
            if app not in (None, "", "public"):
                raise bad_request("AppId or tenantId not found => Tenant with the following "
                                  "connectionURIDomain, appId and tenantId combination not found: "
                                  "(null, %s, %s)" % (app, tenant or DEFAULT_TENANT))
            tenant = tenant or DEFAULT_TENANT
            if tenant not in st.tenants:
                raise bad_request("AppId or tenantId not found => Tenant with the following "
                                  "connectionURIDomain, appId and tenantId combination not found: "
                                  "(null, %s, %s)" % (app or "public", tenant))
            self._check_api_key()
            version = self._cdi_version() if api not in NO_CDI_VERSION else LATEST_CDI
            if tuple(int(x) for x in version.split(".")) < (3, 0) and tenant != DEFAULT_TENANT:
                raise Reply(404, "Not found", text=True)
            route = self._route_for(api)
            if route is None:
                raise Reply(405, "Method not supported", text=True)
            if api in APP_APIS and tenant != DEFAULT_TENANT:
                raise Reply(403, "Only public tenantId can call this app specific API", text=True)
        except Reply as r:
            return self._finish(r.status, r.body, r.text, r.violation)

        if api in FAULTED:
            with st.lock:
                retry = st.over_limit()
                if retry is not None:
                    st.stats["rate_limited"] += 1
            if retry is not None:
                return self._finish(429, "Too many requests", True, retry_after=retry)

        fault = None
        if api in FAULTED:
            fkey = ("sha256=" + hashlib.sha256(raw).hexdigest()) if self.command == "POST" \
                else "?" + query
            with st.lock:
                fault = st.fault_for(self.command, path, fkey)
                if fault:
                    st.stats["faults"][fault] += 1
                slow = st.slow_seconds
        if fault == "500_before":
            return self._finish(500, "Internal Error", True)
        if fault == "503_before":
            return self._finish(503, "Service Unavailable", True)
        if fault == "drop_before":
            return self._drop()
        if fault == "slow":
            time.sleep(slow)

        try:
            q = dict(parse_qsl(query, keep_blank_values=True))
            status, body, text = route(tenant, q, raw, version)
            violation = None
        except Reply as r:
            status, body, text, violation = r.status, r.body, r.text, r.violation
        except Crash:
            status, body, text, violation = 500, "Internal Error", True, None

        if fault == "drop_after":
            return self._drop()
        if fault == "500_after":
            return self._finish(500, "Internal Error", True)
        return self._finish(status, body, text, violation)

    def _finish(self, status, body, text=False, violation=None, retry_after=None):
        st = self.st
        with st.lock:
            st.count_status(status)
            if status == 401:
                st.stats["unauthorized"] += 1
            if violation:
                st.violation(violation)
        self._send(status, body, text, retry_after)
        return status

    def _drop(self):
        with self.st.lock:
            self.st.stats["dropped"] += 1
        self.close_connection = True
        return "drop"

    def _check_api_key(self):
        keys = self.st.api_keys
        if keys is None:
            return
        k = self.headers.get("api-key")
        if k is None or k.strip() not in keys:
            raise Reply(401, "Invalid API key", text=True)

    def _cdi_version(self):
        maxv = self.st.args.max_cdi_version or LATEST_CDI
        v = self.headers.get("cdi-version")
        if v is None:
            return maxv
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)*", v):
            raise internal_error()  # new SemVer(...) throws IllegalArgumentException
        key = lambda s: [int(x) for x in s.split(".")]  # noqa: E731
        a, b = key(v), key(maxv)
        n = max(len(a), len(b))
        if a + [0] * (n - len(a)) > b + [0] * (n - len(b)) or v not in CDI_VERSIONS:
            raise bad_request("cdi-version %s not supported" % v)
        return v

    def _route_for(self, api):
        m = self.command
        table = {
            ("/bulk-import/users", "POST"): self.bulk_add,
            ("/bulk-import/users", "GET"): self.bulk_list,
            ("/bulk-import/users/count", "GET"): self.bulk_count,
            ("/bulk-import/users/remove", "POST"): self.bulk_remove,
            ("/recipe/signin", "POST"): self.signin,
            ("/recipe/totp/verify", "POST"): self.totp_verify,
            ("/recipe/totp/device/list", "GET"): self.totp_devices,
            ("/recipe/userid/map", "GET"): self.userid_map,
            ("/user/id", "GET"): self.user_by_id,
            ("/users/by-accountinfo", "GET"): self.by_account_info,
            ("/recipe/role", "PUT"): self.role_put,
            ("/recipe/role/remove", "POST"): self.role_remove,
            ("/recipe/roles", "GET"): self.roles_list,
            ("/recipe/user/roles", "GET"): self.user_roles,
            ("/recipe/user/metadata", "GET"): self.user_metadata,
            ("/recipe/user/email/verify", "GET"): self.email_verified,
            ("/apiversion", "GET"): self.api_version,
            ("/ee/featureflag", "GET"): self.feature_flags,
        }
        return table.get((api, m))

    # -- input helpers (io.supertokens.webserver.InputParser)
    @staticmethod
    def _json_object(raw, violation="invalid_json"):
        try:
            v = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise bad_request("Invalid Json Input", violation)
        if not isinstance(v, dict):
            raise bad_request("Invalid Json Input", violation)
        return v

    @staticmethod
    def _string(obj, name):
        v = obj.get(name)
        if not isinstance(v, str):
            raise bad_request("Field name '%s' is invalid in JSON input" % name)
        return v

    @staticmethod
    def _query(q, name, required=True):
        v = q.get(name)
        if v is None and required:
            raise bad_request("Field name '%s' is missing in GET request" % name)
        return v

    # -- probes
    def api_version(self, tenant, q, raw, version):
        maxv = [int(x) for x in (self.st.args.max_cdi_version or LATEST_CDI).split(".")]
        return 200, {"versions": [v for v in CDI_VERSIONS
                                  if [int(x) for x in v.split(".")] <= maxv]}, False

    def feature_flags(self, tenant, q, raw, version):
        st = self.st
        on = []
        if st.account_linking:
            on.append("account_linking")
        if st.multitenancy:
            on.append("multi_tenancy")
        if st.mfa:
            on += ["mfa", "totp"]
        return 200, {"status": "OK", "features": on, "usageStats": {}}, False

    # -- bulk import
    def bulk_add(self, tenant, q, raw, version):
        st, spec = self.st, self.spec
        body = self._json_object(raw)
        users = body.get("users")
        if not isinstance(users, list):
            raise bad_request("Field name 'users' is invalid in JSON input", "users_not_array")
        try:
            spec.check_envelope(body)
            bad_contract = [i for i, u in enumerate(users) if not self._contract_ok(u)]
        except fastjsonschema.JsonSchemaException:
            bad_contract = ["envelope"]
        violation = "bulk_user_schema" if bad_contract else None
        if not users:
            with st.lock:
                if violation:
                    st.violation(violation)
            return 200, {"status": "OK"}, False
        if len(users) > MAX_USERS_TO_ADD:
            raise bad_request(dumps({"error": "You can only add %d users at a time."
                                     % MAX_USERS_TO_ADD}), "more_than_10000_users")
        with st.lock:
            st.stats["bulk_add_requests"] += 1
            v = Validator(st, set(st.roles))
            now = now_ms()
            errors, ok = [], []
            for i, u in enumerate(users):
                if not isinstance(u, dict):
                    # users.get(i).getAsJsonObject(): IllegalStateException
                    if violation:
                        st.violation(violation)
                    raise internal_error()
                try:
                    ok.append(v.user(u, now))
                except Invalid as e:
                    errors.append({"index": i, "errors": e.errors})
                except Crash:
                    if violation:
                        st.violation(violation)
                    raise internal_error()
            if errors:
                raise bad_request(dumps({"error": "Data has missing or invalid fields. Please "
                                                  "check the users field for more details.",
                                         "users": errors}), violation)
            t = now_ms()
            for u in ok:
                bid = primary_lm(u["loginMethods"])["superTokensUserId"]
                while bid in st.bulk:  # DuplicateUserIdException: new ids, retry
                    bid = st.new_uuid()
                st.seq += 1
                st.bulk[bid] = {"id": bid, "raw": u, "status": "NEW", "createdAt": t,
                                "updatedAt": t, "seq": st.seq}
            st.stats["bulk_added"] += len(ok)
            if violation:
                st.violation(violation)
        return 200, {"status": "OK"}, False

    def _contract_ok(self, u):
        try:
            self.spec.check_user(u)
            return True
        except fastjsonschema.JsonSchemaException:
            return False

    def bulk_list(self, tenant, q, raw, version):
        st = self.st
        status = q.get("status")
        token = q.get("paginationToken")
        limit = q.get("limit")
        if limit is not None:
            try:
                limit = int(limit)
                if not re.fullmatch(r"[+-]?[0-9]+", q["limit"]):
                    raise ValueError
            except ValueError:
                raise bad_request("Field name 'limit' must be an int in the GET request",
                                  "limit_not_int")
            if limit > GET_USERS_PAGINATION_MAX_LIMIT:
                raise bad_request("Max limit allowed is %d" % GET_USERS_PAGINATION_MAX_LIMIT)
            if limit < 1:
                raise bad_request("limit must a positive integer with min value 1")
        else:
            limit = GET_USERS_DEFAULT_LIMIT
        if status is not None and status not in ("NEW", "PROCESSING", "FAILED"):
            raise bad_request("Invalid value for status. Pass one of NEW, PROCESSING, or FAILED!",
                              "bad_status")
        cursor = None
        if token is not None:
            try:
                dec = base64.b64decode(token, validate=True).decode("utf-8").split(";")
                if len(dec) != 2:
                    raise ValueError
                cursor = (int(dec[1]), dec[0])
            except (ValueError, UnicodeDecodeError):
                raise bad_request("invalid pagination token")
        with st.lock:
            rows = [e for e in st.bulk.values() if status is None or e["status"] == status]
            rows.sort(key=lambda e: (e["createdAt"], e["id"]), reverse=True)
            if cursor is not None:
                rows = [e for e in rows if e["createdAt"] < cursor[0] or
                        (e["createdAt"] == cursor[0] and e["id"] <= cursor[1])]
            page = rows[:limit + 1]
            out = {"status": "OK", "users": [st.entry_json(e) for e in page[:limit]]}
            if len(page) == limit + 1:
                nxt = page[limit]
                out["nextPaginationToken"] = base64.b64encode(
                    ("%s;%d" % (nxt["id"], nxt["createdAt"])).encode()).decode()
            data = (dumps(out) + "\n").encode("utf-8")
        return 200, data, False

    def bulk_count(self, tenant, q, raw, version):
        st = self.st
        status = q.get("status")
        if status is not None and status not in ("NEW", "PROCESSING", "FAILED"):
            raise bad_request("Invalid value for status. Pass one of NEW, PROCESSING, or FAILED!")
        with st.lock:
            n = sum(1 for e in st.bulk.values() if status is None or e["status"] == status)
        return 200, {"status": "OK", "count": n}, False

    def bulk_remove(self, tenant, q, raw, version):
        st = self.st
        body = self._json_object(raw)
        ids = body.get("ids")
        if not isinstance(ids, list):
            raise bad_request("Field name 'ids' is invalid in JSON input", "ids_not_array")
        if not ids:
            return 200, {"deletedIds": [], "invalidIds": []}, False
        if len(ids) > DELETE_USERS_MAX_LIMIT:
            raise bad_request("Field name 'ids' cannot contain more than %d elements"
                              % DELETE_USERS_MAX_LIMIT)
        for i in ids:
            if not isinstance(i, str):
                raise bad_request("Field name 'ids' is invalid in JSON input", "ids_not_strings")
            if i == "":
                raise bad_request("Field name 'ids' cannot contain an empty string")
        deleted, invalid = [], []
        with st.lock:
            gone = set()
            for i in ids:
                if i in st.bulk:
                    del st.bulk[i]
                    gone.add(i)
            for i in ids:
                (deleted if i in gone else invalid).append(i)
            st.stats["removed"] += len(gone)
        return 200, {"deletedIds": deleted, "invalidIds": invalid}, False

    # -- lookups
    def signin(self, tenant, q, raw, version):
        st = self.st
        body = self._json_object(raw)
        email = normalise_email(self._string(body, "email"))
        password = self._string(body, "password")
        with st.lock:
            rid = st.idx_ep.get((tenant, email))
            h = st.recipe_users[rid]["passwordHash"] if rid else None
        ok = h is not None and verify_password(st, password, h)  # outside the lock: slow
        with st.lock:
            if not ok:
                st.stats["signin_wrong"] += 1
                return 200, {"status": "WRONG_CREDENTIALS_ERROR"}, False
            st.stats["signin_ok"] += 1
            uid = st.user_of[rid]
            return 200, {"status": "OK", "user": st.user_json(uid),
                         "recipeUserId": st.shown_id(rid)}, False

    def _totp_key(self, user_id):
        """Devices are stored under the external id when there is one (bulk import); the fake
        accepts either id of the user."""
        st = self.st
        for k in (user_id, st.st_to_ext.get(user_id), st.ext_to_st.get(user_id)):
            if k is not None and st.totp.get(k):
                return k
        return user_id

    def totp_verify(self, tenant, q, raw, version):
        st = self.st
        body = self._json_object(raw)
        user_id = self._string(body, "userId")
        code = self._string(body, "totp")
        allow = body.get("allowUnverifiedDevices")
        if not isinstance(allow, bool):
            raise bad_request("Field name 'allowUnverifiedDevices' is invalid in JSON input")
        if user_id == "":
            raise bad_request("userId cannot be empty")
        if jlen(code) != 6:
            raise bad_request("totp must be 6 characters long")
        if not st.mfa:
            raise Reply(402, "TOTP feature is not enabled. Please subscribe to a SuperTokens core "
                             "license key to enable this feature.", text=True)
        maxn = st.args.totp_max_attempts
        cooldown = st.args.totp_cooldown_seconds * 1000
        with st.lock:
            key = self._totp_key(user_id)
            devices = st.totp.get(key) or []
            if not devices:
                return 200, {"status": "UNKNOWN_USER_ID_ERROR"}, False
            if not allow:
                devices = [d for d in devices if d["verified"]]
            used = st.used_codes.setdefault(key, [])
            now = now_ms()
            recent = list(reversed(used))[:maxn]
            invalid_run = 0
            for u in recent:
                if u["isValid"]:
                    break
                invalid_run += 1
            if invalid_run == maxn and now - recent[0]["created"] < cooldown:
                return 200, {"status": "LIMIT_REACHED_ERROR",
                             "retryAfterMs": cooldown - (now - recent[0]["created"]),
                             "currentNumberOfFailedAttempts": invalid_run,
                             "maxNumberOfFailedAttempts": maxn}, False
            match = None
            for d in devices:
                if check_code(d, code, now / 1000.0):
                    match = d
                    break
            ok = match is not None
            if ok and any(u["code"] == code and u["isValid"] and u["expiry"] > now for u in used):
                ok = False  # a replayed code
            exp_s = (match["period"] * (2 * match["skew"] + 1)) if match else \
                max([d["period"] * (2 * d["skew"] + 1) for d in devices] or [0])
            used.append({"code": code, "isValid": ok, "expiry": now + 1000 * exp_s, "created": now})
            if ok:
                st.stats["totp_ok"] += 1
                return 200, {"status": "OK"}, False
            st.stats["totp_invalid"] += 1
            run = 0
            for u in reversed(used):
                if u["isValid"]:
                    break
                run += 1
            return 200, {"status": "INVALID_TOTP_ERROR", "currentNumberOfFailedAttempts": run,
                         "maxNumberOfFailedAttempts": maxn}, False

    def totp_devices(self, tenant, q, raw, version):
        st = self.st
        user_id = self._query(q, "userId")
        with st.lock:
            devs = st.totp.get(self._totp_key(user_id)) or []
            out = [{"name": d["deviceName"], "period": d["period"], "skew": d["skew"],
                    "verified": d["verified"]} for d in devs]
        return 200, {"status": "OK", "devices": out}, False

    def userid_map(self, tenant, q, raw, version):
        st = self.st
        user_id = self._query(q, "userId").strip()
        if not user_id:
            raise bad_request("Field name 'userId' cannot be an empty String")
        t = q.get("userIdType")
        t = "ANY" if t is None else t.strip()
        if t not in ("SUPERTOKENS", "EXTERNAL", "ANY"):
            raise bad_request("Field name 'userIdType' should be one of 'SUPERTOKENS', 'EXTERNAL' "
                              "or 'ANY'", "bad_user_id_type")
        with st.lock:
            sid = None
            if t in ("SUPERTOKENS", "ANY") and user_id in st.st_to_ext:
                sid = user_id
            elif t in ("EXTERNAL", "ANY") and user_id in st.ext_to_st:
                sid = st.ext_to_st[user_id]
            if sid is None:
                return 200, {"status": "UNKNOWN_MAPPING_ERROR"}, False
            return 200, {"status": "OK", "superTokensUserId": sid,
                         "externalUserId": st.st_to_ext[sid]}, False

    def user_by_id(self, tenant, q, raw, version):
        st = self.st
        user_id = self._query(q, "userId")
        with st.lock:
            rid = st.resolve_any(user_id)
            uid = st.user_of.get(rid)
            if uid is None:
                return 200, {"status": "UNKNOWN_USER_ID_ERROR"}, False
            return 200, {"status": "OK", "user": st.user_json(uid)}, False

    def by_account_info(self, tenant, q, raw, version):
        st = self.st
        email, phone = q.get("email"), q.get("phoneNumber")
        tp_id, tp_uid = q.get("thirdPartyId"), q.get("thirdPartyUserId")
        union = self._query(q, "doUnionOfAccountInfo")
        if union not in ("true", "false"):
            raise bad_request("'doUnionOfAccountInfo' should be either 'true' or 'false'",
                              "bad_boolean")
        if email is not None:
            email = normalise_email(email)
        if phone is not None:
            phone = normalise_phone(phone)
        if (tp_id is None) != (tp_uid is None):
            raise bad_request("If 'thirdPartyId' is provided, 'thirdPartyUserId' must also be "
                              "provided, and vice versa")
        wanted = [w for w in (("email", email), ("phone", phone),
                              ("tp", (tp_id, tp_uid) if tp_id is not None else None))
                  if w[1] is not None]
        with st.lock:
            out = []
            for uid, u in st.users.items():
                lms = [st.recipe_users[r] for r in u["loginMethods"]]
                lms = [lm for lm in lms if tenant in lm["tenantIds"]]
                if not lms:
                    continue

                def has(w):
                    kind, val = w
                    if kind == "email":
                        return any(lm["email"] == val for lm in lms)
                    if kind == "phone":
                        return any(lm["phoneNumber"] == val for lm in lms)
                    return any(lm["thirdParty"] == val for lm in lms)
                hits = [has(w) for w in wanted]
                if wanted and (any(hits) if union == "true" else all(hits)):
                    out.append(st.user_json(uid))
        return 200, {"status": "OK", "users": out}, False

    def role_put(self, tenant, q, raw, version):
        st = self.st
        body = self._json_object(raw)
        role = self._string(body, "role").strip()
        if not role:
            raise bad_request("Field name 'role' cannot be an empty String")
        with st.lock:
            created = role not in st.roles
            st.roles.setdefault(role, [])
        return 200, {"status": "OK", "createdNewRole": created}, False

    def role_remove(self, tenant, q, raw, version):
        st = self.st
        body = self._json_object(raw)
        role = self._string(body, "role").strip()
        with st.lock:
            existed = st.roles.pop(role, None) is not None
            for k in list(st.user_roles):
                if role in st.user_roles[k]:
                    st.user_roles[k].remove(role)
        return 200, {"status": "OK", "didRoleExist": existed}, False

    def roles_list(self, tenant, q, raw, version):
        with self.st.lock:
            return 200, {"status": "OK", "roles": sorted(self.st.roles)}, False

    def user_roles(self, tenant, q, raw, version):
        st = self.st
        user_id = self._query(q, "userId")
        with st.lock:
            return 200, {"status": "OK",
                         "roles": list(st.user_roles.get((tenant, user_id), []))}, False

    def user_metadata(self, tenant, q, raw, version):
        st = self.st
        user_id = self._query(q, "userId")
        with st.lock:
            return 200, {"status": "OK", "metadata": dict(st.metadata.get(user_id) or {})}, False

    def email_verified(self, tenant, q, raw, version):
        st = self.st
        user_id = self._query(q, "userId")
        email = normalise_email(self._query(q, "email"))
        with st.lock:
            return 200, {"status": "OK", "isVerified": (user_id, email) in st.verified}, False


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


# --------------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake SuperTokens core (bulk import) for tests.")
    ap.add_argument("--spec", default=DEFAULT_SPEC, help="CDI 5.3 OpenAPI YAML")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    ap.add_argument("--api-key", help="required api-key header value(s), comma-separated")
    ap.add_argument("--max-cdi-version", help="supertokens_max_cdi_version (default 5.3)")
    ap.add_argument("--roles", help="roles that exist at start, comma-separated")
    ap.add_argument("--tenants", help="tenants besides public; turns multitenancy on")
    ap.add_argument("--mfa", action=argparse.BooleanOptionalAction, default=True,
                    help="MFA feature (TOTP import and verify)")
    ap.add_argument("--account-linking", action=argparse.BooleanOptionalAction, default=True,
                    help="account linking feature")
    ap.add_argument("--firebase-signer-key", help="firebase_password_hashing_signer_key")
    ap.add_argument("--firebase-salt-separator",
                    help="expected s= of Firebase scrypt hashes (counted when different)")
    ap.add_argument("--process-interval", type=float, default=1.0, help="seconds between cron runs")
    ap.add_argument("--process-rate", type=float, default=1000,
                    help="users claimed per second (0: paused)")
    ap.add_argument("--chunk-size", type=int, default=1000,
                    help="users per chunk (bulk_migration_batch_size / parallelism)")
    ap.add_argument("--bcrypt-rounds", type=int, default=11,
                    help="bcrypt_log_rounds for plainTextPassword")
    ap.add_argument("--totp-max-attempts", type=int, default=5)
    ap.add_argument("--totp-cooldown-seconds", type=int, default=900)
    ap.add_argument("--fault-rate", type=float, default=0.0, help="fault probability per request")
    ap.add_argument("--limit", type=int, default=0,
                    help="requests to the migration endpoints per --window (0: no limit)")
    ap.add_argument("--window", type=float, default=1.0, help="rate-limit window, seconds")
    ap.add_argument("--seed", type=int, default=1, help="seed for ids and faults")
    ap.add_argument("--slow-seconds", type=float, default=3, help="delay of the 'slow' fault")
    ap.add_argument("--max-body-bytes", type=int, default=32 << 20,
                    help="larger request bodies get 413")
    ap.add_argument("--verbose", action="store_true", help="one line per request on stderr")
    args = ap.parse_args(argv)
    if not 0 <= args.fault_rate <= 1 or args.process_rate < 0 or args.chunk_size < 1 \
            or args.process_interval <= 0 or not 4 <= args.bcrypt_rounds <= 31:
        ap.error("need 0 <= --fault-rate <= 1, --process-rate >= 0, --chunk-size >= 1, "
                 "--process-interval > 0, 4 <= --bcrypt-rounds <= 31")
    if args.firebase_signer_key is not None:
        try:
            base64.b64decode(args.firebase_signer_key, validate=True)
        except ValueError:
            ap.error("--firebase-signer-key must be base64")

    spec = Spec(args.spec)
    st = Store(args)
    importer = Importer(st)
    Handler.st = st
    Handler.spec = spec
    Handler.importer = importer
    Handler.verbose = args.verbose

    httpd = Server(("127.0.0.1", args.port), Handler)
    threading.Thread(target=worker, args=(st, importer), daemon=True).start()

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stdout.write("listening on http://127.0.0.1:%d\n" % httpd.server_address[1])
    sys.stdout.flush()
    try:
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
