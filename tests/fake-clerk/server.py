#!/usr/bin/env python3
"""Test-only fake of Clerk's Backend API (users endpoints) for authferry's tests.

Serves POST /v1/users, GET /v1/users, GET /v1/users/count and GET /v1/instance, validated against
the OpenAPI 3.0 spec given with --spec, with a fixed-window rate limit,
deterministic fault injection and no-auth admin endpoints under /__admin/.
See README.md beside this file.

Never echoes request values (passwords, digests, TOTP secrets, backup codes,
identifiers) in responses, logs or stats: errors only name the parameter.
"""

import argparse
import base64
import copy
import datetime as dt
import hashlib
import json
import math
import os
import random
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import yaml

try:
    _YAML_LOADER = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _YAML_LOADER = yaml.SafeLoader

FAULT_KINDS = ("500_before", "503_before", "500_after", "slow", "drop_before", "drop_after")
GET_FAULT_MAP = {"500_after": "500_before", "drop_after": "drop_before"}
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
MAX_BODY = 1 << 20
GO_BOOL = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
           "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}
# order_by values documented for GET /users (without the +/- prefix)
ORDER_FIELDS = ("created_at", "updated_at", "email_address", "web3wallet", "first_name",
                "last_name", "phone_number", "username", "last_active_at", "last_sign_in_at")


# --------------------------------------------------------------------------- spec

class Spec:
    """The parts of the OpenAPI document the fake needs, converted to JSON Schema."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.doc = yaml.load(f, Loader=_YAML_LOADER)
        self._memo = {}
        paths = self.doc["paths"]
        post = paths["/users"]["post"]
        body = post["requestBody"]["content"]["application/json"]["schema"]
        self.create_user_schema = self.convert(body)
        self.create_user_validator = jsonschema.Draft4Validator(self.create_user_schema)
        self.list_params = self._params(paths["/users"]["get"]["parameters"])
        self.count_params = self._params(paths["/users/count"]["get"]["parameters"])
        self.user_schema = self.convert({"$ref": "#/components/schemas/User"})
        self.hashers = self._hashers(self._target("#/components/schemas/PasswordHasher"))

    def _target(self, ref):
        if not ref.startswith("#/"):
            raise ValueError("only local $refs are supported: " + ref)
        node = self.doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def convert(self, node):
        """Resolve $refs (cycles become shared/cyclic dicts) and turn OpenAPI 3.0
        `nullable: true` into JSON Schema."""
        if isinstance(node, list):
            return [self.convert(x) for x in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:  # OpenAPI 3.0: siblings of $ref are ignored
            ref = node["$ref"]
            if ref in self._memo:
                return self._memo[ref]
            out = {}
            self._memo[ref] = out
            out.update(self.convert(self._target(ref)))
            return out
        out = {}
        for k, v in node.items():
            if k in ("nullable", "discriminator", "example", "examples", "xml", "externalDocs"):
                continue
            if k.startswith("x-"):
                continue
            if k in ("properties", "patternProperties", "definitions"):
                out[k] = {name: self.convert(s) for name, s in v.items()}
            else:
                out[k] = self.convert(v)
        if node.get("nullable") is True:
            if any(k in out for k in ("allOf", "oneOf", "anyOf", "not")) or "type" not in out:
                return {"anyOf": [{"type": "null"}, out]}
            t = out["type"]
            out["type"] = (list(t) if isinstance(t, list) else [t]) + ["null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = list(out["enum"]) + [None]
        return out

    def _params(self, params):
        out = {}
        for p in params:
            p = self._target(p["$ref"]) if "$ref" in p else p
            if p.get("in") != "query":
                continue
            schema = self.convert(p.get("schema", {}))
            m = re.search(r"Accepts up to (\d+)", p.get("description", ""))
            if m and schema.get("type") == "array":
                schema = dict(schema, maxItems=int(m.group(1)))
            out[p["name"]] = (schema, jsonschema.Draft4Validator(schema))
        return out

    @staticmethod
    def _hashers(schema):
        desc = schema.get("description", "")
        if "enum" in schema:
            return list(schema["enum"])
        names = re.findall(r"`([a-z0-9_]+)`", desc)
        # "the [`argon2`](...) variants: `argon2i` and `argon2id`" names a family, not a hasher
        families = set(re.findall(r"the \[`([a-z0-9_]+)`\]\([^)]*\) variants", desc))
        seen = []
        for n in names:
            if n not in families and n not in seen:
                seen.append(n)
        return seen


# --------------------------------------------------------------------------- errors

def trace_id():
    return os.urandom(16).hex()


def err(code, message, long_message, param=None):
    e = {"message": message, "long_message": long_message, "code": code}
    if param is not None:
        e["meta"] = {"param_name": param}
    return e


def errors_body(errs):
    return {"errors": errs, "clerk_trace_id": trace_id()}


TYPE_WORDS = {"string": "a string", "integer": "an integer", "number": "a number",
              "boolean": "a boolean", "array": "an array", "object": "an object", "null": "null"}


def describe_schema_error(e, top_param=None):
    """A Clerk error for one jsonschema ValidationError, naming the parameter but
    never the offending value."""
    path = list(e.absolute_path)
    if e.validator == "additionalProperties" and not path:
        return None  # handled by the caller, one error per unknown key
    param = top_param if top_param is not None else (str(path[0]) if path else None)
    where = param or "request body"
    if len(path) > 1:
        where += "".join("[%s]" % p if isinstance(p, int) else ".%s" % p for p in path[1:])
    v, vv = e.validator, e.validator_value
    if v == "type":
        types = vv if isinstance(vv, list) else [vv]
        what = "must be " + " or ".join(TYPE_WORDS.get(t, t) for t in types)
    elif v == "enum":
        what = "must be one of: " + ", ".join("null" if x is None else str(x) for x in vv)
    elif v == "required":
        what = "is missing a required field"
    elif v == "minimum":
        what = "must be greater than or equal to %s" % vv
    elif v == "maximum":
        what = "must be less than or equal to %s" % vv
    elif v == "maxItems":
        what = "accepts at most %s items" % vv
    elif v == "minItems":
        what = "needs at least %s items" % vv
    elif v in ("minLength", "maxLength", "pattern", "format"):
        what = "has an invalid format (%s)" % v
    elif v == "additionalProperties":
        what = "contains unknown keys"
    else:
        what = "is invalid (%s)" % v
    return err("form_param_format_invalid", "is invalid", "%s %s." % (where, what), param)


def unknown_param(name):
    return err("form_param_unknown", "is unknown",
               "%s is not a valid parameter for this request." % name, name)


def format_invalid(param, reason):
    return err("form_param_format_invalid", "is invalid", "%s %s." % (param, reason), param)


def data_missing(param, long_message):
    return err("form_data_missing", "missing data", long_message, param)


IDENTIFIER_WORDS = {"email_address": "email address", "phone_number": "phone number",
                    "username": "username", "external_id": "external ID",
                    "web3_wallet": "Web3 wallet"}


def identifier_exists(param):
    msg = "That %s is taken. Please try another." % IDENTIFIER_WORDS[param]
    return err("form_identifier_exists", msg, msg, param)


class Reply(Exception):
    """Abort handling with a response (status, json body, extra headers, flags)."""

    def __init__(self, status, body, headers=None, spec_violation=False, duplicate=False):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.spec_violation = spec_violation
        self.duplicate = duplicate


class ClientGone(Exception):
    """The connection ended before the request's body did."""


def violation(*errs):
    return Reply(422, errors_body(list(errs)), spec_violation=True)


def unprocessable(*errs, duplicate=False):
    return Reply(422, errors_body(list(errs)), duplicate=duplicate)


# --------------------------------------------------------------------------- state

def now_ms():
    return int(time.time() * 1000)


def rfc3339_ms(value):
    """RFC 3339 timestamp → unix ms, or None if unparsable."""
    if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}", value):
        return None
    v = value.strip()
    if v[-1:] in ("z", "Z"):
        v = v[:-1] + "+00:00"
    try:
        t = dt.datetime.fromisoformat(v)
    except ValueError:
        return None
    if t.tzinfo is None:
        return None  # RFC 3339 requires an offset
    return int(round(t.timestamp() * 1000))


class Store:
    """All mutable state; every access goes through self.lock."""

    def __init__(self, args):
        self.lock = threading.Lock()
        self.limit = args.limit
        self.window = float(args.window)
        self.fault_rate = args.fault_rate
        self.slow_seconds = args.slow_seconds
        self.seed = args.seed
        self.reset()

    def reset(self):
        self.rng = random.Random(self.seed)
        self.users = []          # records in insertion order
        self.by_id = {}
        self.idx_email = {}      # lowercased email -> record
        self.idx_phone = {}
        self.idx_username = {}   # lowercased
        self.idx_external = {}
        self.idx_web3 = {}       # lowercased
        self.seq = 0
        self._sorted = {}        # cache: "asc"/"desc" -> list of records
        self.attempts = {}       # fault key -> attempts so far
        self.reset_stats()
        self.reset_windows()

    def reset_stats(self):
        self.stats = {"requests": 0, "by_status": {}, "created": 0, "spec_violations": 0,
                      "faults": {k: 0 for k in FAULT_KINDS}, "duplicate_create_attempts": 0,
                      "rate_limited": 0, "dropped": 0, "unauthorized": 0}
        self.max_in_window = 0

    def reset_windows(self):
        self.window_start = time.monotonic()
        self.window_index = 0
        self.window_count = 0

    # -- ids
    def new_id(self, prefix):
        return prefix + "".join(self.rng.choice(BASE62) for _ in range(27))

    # -- rate limit: fixed windows aligned to start; returns Retry-After seconds or None
    def rate_check(self):
        now = time.monotonic()
        idx = int((now - self.window_start) // self.window)
        if idx != self.window_index:
            self.window_index = idx
            self.window_count = 0
        self.window_count += 1
        if self.window_count > self.max_in_window:
            self.max_in_window = self.window_count
        if self.window_count > self.limit:
            end = self.window_start + (idx + 1) * self.window
            return max(1, int(math.ceil(end - now)))
        return None

    # -- deterministic faults
    def fault_for(self, method, path, key):
        if self.fault_rate <= 0:
            return None
        k = (method, path, key)
        n = self.attempts.get(k, 0) + 1
        self.attempts[k] = n
        h = hashlib.sha256(("%s|%s|%s|%s|%d" % (self.seed, method, path, key, n))
                           .encode("utf-8", "surrogatepass")).digest()
        u = int.from_bytes(h[:8], "big") / 2.0 ** 64
        if u >= self.fault_rate:
            return None
        kind = FAULT_KINDS[int.from_bytes(h[8:16], "big") % len(FAULT_KINDS)]
        if method != "POST":
            kind = GET_FAULT_MAP.get(kind, kind)
        return kind

    def count_status(self, status):
        s = str(status)
        self.stats["by_status"][s] = self.stats["by_status"].get(s, 0) + 1

    # -- users
    def conflicts(self, req):
        """First identifier of the request already owned by a stored user."""
        for e in req["emails"]:
            if e.lower() in self.idx_email:
                return "email_address"
        for p in req["phones"]:
            if p in self.idx_phone:
                return "phone_number"
        for w in req["wallets"]:
            if w.lower() in self.idx_web3:
                return "web3_wallet"
        if req["username"] is not None and req["username"].lower() in self.idx_username:
            return "username"
        if req["external_id"] is not None and req["external_id"] in self.idx_external:
            return "external_id"
        return None

    def insert(self, rec):
        self.seq += 1
        rec["seq"] = self.seq
        u = rec["user"]
        self.users.append(rec)
        self.by_id[u["id"]] = rec
        for e in u.get("email_addresses") or []:
            self.idx_email.setdefault(str(e.get("email_address", "")).lower(), rec)
        for p in u.get("phone_numbers") or []:
            self.idx_phone.setdefault(p.get("phone_number"), rec)
        for w in u.get("web3_wallets") or []:
            self.idx_web3.setdefault(str(w.get("web3_wallet", "")).lower(), rec)
        if u.get("username") is not None:
            self.idx_username.setdefault(str(u["username"]).lower(), rec)
        if u.get("external_id") is not None:
            self.idx_external.setdefault(u["external_id"], rec)
        self._sorted = {}

    def sorted_all(self, desc):
        key = "desc" if desc else "asc"
        lst = self._sorted.get(key)
        if lst is None:
            lst = sort_created(self.users, desc)
            self._sorted[key] = lst
        return lst


def created_key(rec):
    c = rec["user"].get("created_at")
    return c if isinstance(c, (int, float)) else 0


def sort_created(recs, desc):
    # recs are in insertion order; Python's sort is stable even with reverse=True,
    # so ties keep insertion order in both directions.
    return sorted(recs, key=created_key, reverse=desc)


# --------------------------------------------------------------------------- users

def build_user(store, body, received_ms):
    """Clerk User object + admin-only secrets for a validated CreateUser body.
    Called under the lock (draws ids from the seeded RNG)."""
    ts = received_ms
    created_at = rfc3339_ms(body.get("created_at")) if body.get("created_at") else None
    if created_at is None:
        created_at = ts
    legal = rfc3339_ms(body.get("legal_accepted_at")) if body.get("legal_accepted_at") else None
    uid = store.new_id("user_")

    def statuses(key, n):
        st = body.get(key) or []
        return [st[i] if i < len(st) else "verified" for i in range(n)]

    emails = []
    for addr, st in zip(body.get("email_address") or [],
                        statuses("email_address_identification_status",
                                 len(body.get("email_address") or []))):
        emails.append({
            "id": store.new_id("idn_"), "object": "email_address", "email_address": addr,
            "reserved": st == "reserved",
            "verification": None if st == "reserved" else
            {"object": "verification_admin", "status": "verified", "strategy": "admin",
             "attempts": None, "expire_at": None},
            "linked_to": [], "matches_sso_connection": False,
            "created_at": ts, "updated_at": ts})
    phones = []
    for num, st in zip(body.get("phone_number") or [],
                       statuses("phone_number_identification_status",
                                len(body.get("phone_number") or []))):
        phones.append({
            "id": store.new_id("idn_"), "object": "phone_number", "phone_number": num,
            "reserved_for_second_factor": False, "default_second_factor": False,
            "reserved": st == "reserved",
            "verification": None if st == "reserved" else
            {"object": "verification_admin", "status": "verified", "strategy": "admin",
             "attempts": None, "expire_at": None},
            "linked_to": [], "backup_codes": None, "created_at": ts, "updated_at": ts})
    wallets = []
    for w in body.get("web3_wallet") or []:
        wallets.append({
            "id": store.new_id("idn_"), "object": "web3_wallet", "web3_wallet": w,
            "verification": {"object": "verification_admin", "status": "verified",
                             "strategy": "admin", "attempts": None, "expire_at": None},
            "created_at": ts, "updated_at": ts})
    has_password = bool(body.get("password") or body.get("password_digest"))
    totp = bool(body.get("totp_secret"))
    backup = bool(body.get("backup_codes"))
    user = {
        "id": uid, "object": "user",
        "external_id": body.get("external_id"),
        "primary_email_address_id": emails[0]["id"] if emails else None,
        "primary_phone_number_id": phones[0]["id"] if phones else None,
        "primary_web3_wallet_id": wallets[0]["id"] if wallets else None,
        "username": body.get("username"),
        "first_name": body.get("first_name"),
        "last_name": body.get("last_name"),
        "locale": body.get("locale"),
        "profile_image_url": "https://www.gravatar.com/avatar?d=mp",
        "image_url": "https://img.clerk.com/fake-default-avatar",
        "has_image": False,
        "public_metadata": body.get("public_metadata") or {},
        "private_metadata": body.get("private_metadata") or {},
        "unsafe_metadata": body.get("unsafe_metadata") or {},
        "email_addresses": emails, "phone_numbers": phones, "web3_wallets": wallets,
        "passkeys": [],
        "password_enabled": has_password,
        "two_factor_enabled": totp,
        "totp_enabled": totp,
        "backup_code_enabled": backup,
        "mfa_enabled_at": ts if totp else None,
        "mfa_disabled_at": None,
        "password_last_updated_at": ts if has_password else None,
        "external_accounts": [], "saml_accounts": [], "enterprise_accounts": [],
        "organization_memberships": [],
        "last_sign_in_at": None,
        "banned": bool(body.get("banned")),
        "locked": bool(body.get("locked")),
        "deprovisioned": False,
        "lockout_expires_in_seconds": None,
        "verification_attempts_remaining": None,
        "updated_at": ts, "created_at": created_at,
        "delete_self_enabled": body.get("delete_self_enabled") is not False,
        "create_organization_enabled": body.get("create_organization_enabled") is not False,
        "create_organizations_limit": body.get("create_organizations_limit"),
        "last_active_at": None,
        "legal_accepted_at": legal,
        "bypass_client_trust": bool(body.get("bypass_client_trust")),
    }
    return {
        "user": user,
        "password_digest": body.get("password_digest"),
        "password_hasher": body.get("password_hasher"),
        "password_given": body.get("password") is not None,
        "totp_secret": body.get("totp_secret"),
        "backup_codes": body.get("backup_codes"),
        "created_at_request": body.get("created_at"),
        "received_at": received_ms,
    }


def admin_view(rec):
    out = dict(rec["user"])
    out["_password_digest"] = rec.get("password_digest")
    out["_password_hasher"] = rec.get("password_hasher")
    out["_password_given"] = rec.get("password_given", False)
    out["_totp_secret"] = rec.get("totp_secret")
    out["_backup_codes"] = rec.get("backup_codes")
    out["_created_at_request"] = rec.get("created_at_request")
    out["_received_at"] = rec.get("received_at")
    return out


USER_DEFAULTS = {
    "object": "user", "external_id": None, "primary_email_address_id": None,
    "primary_phone_number_id": None, "primary_web3_wallet_id": None, "username": None,
    "first_name": None, "last_name": None, "has_image": False, "public_metadata": {},
    "private_metadata": {}, "unsafe_metadata": {}, "email_addresses": [], "phone_numbers": [],
    "web3_wallets": [], "passkeys": [], "password_enabled": False, "two_factor_enabled": False,
    "totp_enabled": False, "backup_code_enabled": False, "mfa_enabled_at": None,
    "mfa_disabled_at": None, "external_accounts": [], "saml_accounts": [],
    "enterprise_accounts": [], "last_sign_in_at": None, "banned": False, "locked": False,
    "lockout_expires_in_seconds": None, "verification_attempts_remaining": None,
    "delete_self_enabled": True, "create_organization_enabled": True, "last_active_at": None,
    "legal_accepted_at": None,
}


def preload(store, path):
    with open(path, "rb") as f:
        data = json.load(f)
    if not isinstance(data, list):
        raise SystemExit("--preload: expected a JSON array of users")
    ts = now_ms()
    for obj in data:
        if not isinstance(obj, dict):
            raise SystemExit("--preload: every entry must be a JSON object")
        user = copy.deepcopy({k: v for k, v in obj.items() if not k.startswith("_")})
        for k, v in USER_DEFAULTS.items():
            user.setdefault(k, copy.deepcopy(v))
        user.setdefault("id", store.new_id("user_"))
        user.setdefault("created_at", ts)
        user.setdefault("updated_at", user["created_at"])
        if user["primary_email_address_id"] is None and user["email_addresses"]:
            user["primary_email_address_id"] = user["email_addresses"][0].get("id")
        if user["primary_phone_number_id"] is None and user["phone_numbers"]:
            user["primary_phone_number_id"] = user["phone_numbers"][0].get("id")
        store.insert({
            "user": user,
            "password_digest": obj.get("_password_digest"),
            "password_hasher": obj.get("_password_hasher"),
            "password_given": bool(obj.get("_password_given", False)),
            "totp_secret": obj.get("_totp_secret"),
            "backup_codes": obj.get("_backup_codes"),
            "created_at_request": obj.get("_created_at_request"),
            "received_at": obj.get("_received_at"),
        })


# --------------------------------------------------------------------------- API logic

class Api:
    def __init__(self, spec, store, key, instance_id="ins_fake"):
        self.spec = spec
        self.store = store
        self.key = key
        self.instance_id = instance_id

    # -- GET /v1/instance: the spec's Instance object (required fields only)
    def instance(self):
        return {"object": "instance", "id": self.instance_id,
                "environment_type": "development", "allowed_origins": None,
                "workspace_id": None}

    # -- auth
    def auth_ok(self, header):
        if not header or not header.startswith("Bearer "):
            return False
        tok = header[len("Bearer "):].strip()
        if self.key is not None:
            return tok == self.key
        return re.match(r"^sk_(test|live)_[A-Za-z0-9_\-]+$", tok) is not None

    # -- POST /v1/users: validation outside the lock
    def validate_create(self, content_type, raw):
        ctype = (content_type or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise violation(err("request_body_invalid", "invalid request body",
                                "The request body must be JSON with Content-Type "
                                "application/json."))
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise violation(err("request_body_invalid", "invalid request body",
                                "The request body is not valid JSON."))
        if not isinstance(body, dict):
            raise violation(err("request_body_invalid", "invalid request body",
                                "The request body must be a JSON object."))
        props = self.spec.create_user_schema.get("properties", {})
        errs = [unknown_param(k) for k in sorted(body) if k not in props]
        seen = set()
        for e in sorted(self.spec.create_user_validator.iter_errors(body),
                        key=lambda e: [str(p) for p in e.absolute_path]):
            ce = describe_schema_error(e)
            if ce is None:
                continue
            k = (ce.get("meta") or {}).get("param_name")
            if k in seen:
                continue  # one error per parameter
            seen.add(k)
            errs.append(ce)
        if errs:
            raise violation(*errs)

        # documented constraints the schema does not encode
        hasher, digest = body.get("password_hasher"), body.get("password_digest")
        if hasher is not None and hasher not in self.spec.hashers:
            raise violation(format_invalid("password_hasher", "is not a supported password "
                                           "hasher (supported: %s)" % ", ".join(self.spec.hashers)))
        if digest is not None and hasher is None:
            raise violation(format_invalid("password_hasher", "is required when "
                                           "password_digest is given"))
        if hasher is not None and digest is None:
            raise violation(data_missing("password_digest", "password_digest is required when "
                                         "password_hasher is given."))
        for key, ids in (("email_address_identification_status", "email_address"),
                         ("phone_number_identification_status", "phone_number")):
            st = body.get(key)
            if st and len(st) != len(body.get(ids) or []):
                raise violation(format_invalid(key, "must contain exactly one item per %s" % ids))
        for key in ("created_at", "legal_accepted_at"):
            v = body.get(key)
            if v is not None and v != "" and rfc3339_ms(v) is None:
                raise violation(format_invalid(key, "must be an RFC3339 date-time, e.g. "
                                               "2012-10-20T07:15:20.902Z"))

        # instance rules (not spec violations)
        for e in body.get("email_address") or []:
            local, at, domain = e.partition("@")
            if not at or not local or "." not in domain or " " in e:
                raise unprocessable(format_invalid("email_address",
                                                   "must be a valid email address"))
        for p in body.get("phone_number") or []:
            if not E164.match(p):
                raise unprocessable(format_invalid("phone_number", "must be a valid phone "
                                                   "number in E.164 format, e.g. +15555550100"))
        pw = body.get("password")
        if not (pw or digest) and body.get("skip_password_requirement") is not True:
            raise unprocessable(data_missing("password", "password must be included."))
        if pw is not None and len(pw) < 8 and body.get("skip_password_checks") is not True:
            raise unprocessable(err("form_password_length_too_short",
                                    "Passwords must be 8 characters or more.",
                                    "Passwords must be 8 characters or more.", "password"))
        if not (body.get("email_address") or body.get("phone_number") or body.get("username")
                or body.get("web3_wallet")) and body.get("skip_user_requirement") is not True:
            raise unprocessable(data_missing(
                "email_address", "You need to provide at least one identifier (email_address, "
                "phone_number, username or web3_wallet), or set skip_user_requirement."))
        return body

    def create(self, body, received_ms):
        """Under the lock: uniqueness, then store. Returns the public user."""
        st = self.store
        req = {"emails": body.get("email_address") or [], "phones": body.get("phone_number") or [],
               "wallets": body.get("web3_wallet") or [], "username": body.get("username"),
               "external_id": body.get("external_id")}
        # identifiers repeated inside one request
        for key, vals, fold in (("email_address", req["emails"], True),
                                ("phone_number", req["phones"], False),
                                ("web3_wallet", req["wallets"], True)):
            norm = [v.lower() if fold else v for v in vals]
            if len(set(norm)) != len(norm):
                raise unprocessable(identifier_exists(key), duplicate=True)
        clash = st.conflicts(req)
        if clash:
            raise unprocessable(identifier_exists(clash), duplicate=True)
        rec = build_user(st, body, received_ms)
        st.insert(rec)
        st.stats["created"] += 1
        return rec["user"]

    # -- GET query validation (outside the lock)
    def parse_query(self, query, params):
        pairs = parse_qsl(query, keep_blank_values=True)
        grouped = {}
        for k, v in pairs:
            grouped.setdefault(k, []).append(v)
        errs = [unknown_param(k) for k in grouped if k not in params]
        out = {}
        for name, vals in grouped.items():
            if name not in params:
                continue
            schema, validator = params[name]
            t = schema.get("type")
            if t == "array":
                itype = (schema.get("items") or {}).get("type", "string")
                value, bad = [], False
                for v in vals:
                    c = coerce(v, itype)
                    bad = bad or c is _BAD
                    value.append(c)
            else:
                value = coerce(vals[0], t or "string")  # only the first is kept
                bad = value is _BAD
            if bad:
                errs.append(format_invalid(name, "must be %s" % TYPE_WORDS.get(
                    t if t != "array" else (schema.get("items") or {}).get("type", "string"),
                    "valid")))
                continue
            e = next(iter(validator.iter_errors(value)), None)
            if e is not None:
                errs.append(describe_schema_error(e, top_param=name))
                continue
            out[name] = value
        if errs:
            raise violation(*errs)
        return out

    def query_users(self, q, paginate):
        """Under the lock. Returns the filtered list (and pagination applied)."""
        st = self.store
        desc = True
        order_field = "created_at"
        if paginate:
            ob = q.get("order_by", "-created_at")
            desc = ob.startswith("-")
            order_field = ob.lstrip("+-")
            if order_field not in ORDER_FIELDS:
                raise violation(format_invalid("order_by", "must be one of %s, optionally "
                                               "prefixed with + or -" % ", ".join(ORDER_FIELDS)))
            if "starting_after" in q:
                if order_field != "created_at":
                    raise violation(format_invalid("starting_after", "requires ordering by "
                                                   "created_at"))
                if q.get("offset", 0) != 0:
                    raise violation(format_invalid("starting_after", "cannot be combined with "
                                                   "a non-zero offset"))

        def split_pm(vals):
            inc, exc = set(), set()
            for v in vals:
                if v.startswith("-"):
                    exc.add(v[1:])
                elif v.startswith("+"):
                    inc.add(v[1:])
                else:
                    inc.add(v)
            return inc, exc

        uid_inc, uid_exc = split_pm(q.get("user_id", []))
        ext_inc, ext_exc = split_pm(q.get("external_id", []))
        emails = {v.lower() for v in q.get("email_address", [])}
        phones = set(q.get("phone_number", []))
        unames = {v.lower() for v in q.get("username", [])}
        wallets = {v.lower() for v in q.get("web3_wallet", [])}
        org_inc, _ = split_pm(q.get("organization_id", []))

        # candidate set from an index when possible (all in insertion order)
        cand = None
        for present, idx, keys in ((uid_inc, st.by_id, uid_inc), (ext_inc, st.idx_external, ext_inc),
                                   (emails, st.idx_email, emails), (phones, st.idx_phone, phones),
                                   (unames, st.idx_username, unames),
                                   (wallets, st.idx_web3, wallets)):
            if present:
                hit = {id(idx[k]): idx[k] for k in keys if k in idx}
                cand = sorted(hit.values(), key=lambda r: r["seq"])
                break
        if cand is None:
            cand = st.users

        def lower_all(u, listkey, field):
            return [str(x.get(field, "")).lower() for x in (u.get(listkey) or [])]

        def pred(rec):
            u = rec["user"]
            if uid_inc and u["id"] not in uid_inc:
                return False
            if u["id"] in uid_exc:
                return False
            if ext_inc and u.get("external_id") not in ext_inc:
                return False
            if u.get("external_id") in ext_exc:
                return False
            if emails and not emails.intersection(lower_all(u, "email_addresses", "email_address")):
                return False
            if phones and not phones.intersection(
                    x.get("phone_number") for x in u.get("phone_numbers") or []):
                return False
            if unames and str(u.get("username") or "").lower() not in unames:
                return False
            if wallets and not wallets.intersection(lower_all(u, "web3_wallets", "web3_wallet")):
                return False
            if org_inc:
                return False  # the fake has no organization memberships
            if "provider" in q or "provider_user_id" in q:
                return False  # nor external accounts
            if "banned" in q and bool(u.get("banned")) != q["banned"]:
                return False
            ca = u.get("created_at") or 0
            if "created_at_before" in q and not ca < q["created_at_before"]:
                return False
            if "created_at_after" in q and not ca > q["created_at_after"]:
                return False
            for k, field, before in (("last_active_at_before", "last_active_at", True),
                                     ("last_active_at_after", "last_active_at", False),
                                     ("last_active_at_since", "last_active_at", False),
                                     ("last_sign_in_at_before", "last_sign_in_at", True),
                                     ("last_sign_in_at_after", "last_sign_in_at", False)):
                if k in q:
                    v = u.get(field)
                    if v is None or (v >= q[k] if before else v < q[k]):
                        return False
            if "email_address_query" in q and not any(
                    q["email_address_query"].lower() in e
                    for e in lower_all(u, "email_addresses", "email_address")):
                return False
            if "phone_number_query" in q and not any(
                    q["phone_number_query"].lower() in p
                    for p in lower_all(u, "phone_numbers", "phone_number")):
                return False
            if "username_query" in q and q["username_query"].lower() not in \
                    str(u.get("username") or "").lower():
                return False
            if "name_query" in q:
                full = ("%s %s" % (u.get("first_name") or "", u.get("last_name") or "")).lower()
                if q["name_query"].lower() not in full:
                    return False
            if "query" in q:
                needle = q["query"].lower()
                hay = lower_all(u, "email_addresses", "email_address") + \
                    lower_all(u, "phone_numbers", "phone_number") + \
                    lower_all(u, "web3_wallets", "web3_wallet") + \
                    [str(u.get(k) or "").lower() for k in ("username", "id", "first_name",
                                                           "last_name")]
                if not any(needle in h for h in hay):
                    return False
            return True

        filtering = any(k not in ("limit", "offset", "order_by", "starting_after") for k in q)
        if not paginate:
            return [r for r in cand if pred(r)] if filtering else cand

        if order_field == "created_at":
            if not filtering and cand is st.users:
                rows = st.sorted_all(desc)
            else:
                rows = sort_created([r for r in cand if pred(r)], desc)
        else:
            rows = [r for r in cand if pred(r)] if filtering else list(cand)
            rows = sort_by_field(rows, order_field, desc)

        if "starting_after" in q:
            cur = st.by_id.get(q["starting_after"])
            if cur is None:
                raise unprocessable(format_invalid("starting_after", "does not match any user"))
            ck = (created_key(cur), cur["seq"])
            if desc:
                # ties keep insertion order, so "after" = smaller created_at, or same and later seq
                rows = [r for r in rows if created_key(r) < ck[0] or
                        (created_key(r) == ck[0] and r["seq"] > ck[1])]
            else:
                rows = [r for r in rows if created_key(r) > ck[0] or
                        (created_key(r) == ck[0] and r["seq"] > ck[1])]
        off = q.get("offset", 0)
        lim = q.get("limit", 10)
        return rows[off:off + lim]


_BAD = object()


def coerce(v, t):
    if t == "integer":
        return int(v) if re.fullmatch(r"[+-]?[0-9]+", v) else _BAD
    if t == "number":
        try:
            return float(v)
        except ValueError:
            return _BAD
    if t == "boolean":
        return GO_BOOL.get(v, _BAD)
    return v


def sort_by_field(rows, field, desc):
    def val(rec):
        u = rec["user"]
        if field == "email_address":
            pid = u.get("primary_email_address_id")
            v = next((e.get("email_address") for e in u.get("email_addresses") or []
                      if e.get("id") == pid), None)
        elif field == "phone_number":
            pid = u.get("primary_phone_number_id")
            v = next((p.get("phone_number") for p in u.get("phone_numbers") or []
                      if p.get("id") == pid), None)
        elif field == "web3wallet":
            pid = u.get("primary_web3_wallet_id")
            v = next((w.get("web3_wallet") for w in u.get("web3_wallets") or []
                      if w.get("id") == pid), None)
        else:
            v = u.get(field)
        return v

    present = [r for r in rows if val(r) is not None]
    missing = [r for r in rows if val(r) is None]
    present = sorted(present, key=lambda r: (str(val(r)).lower() if isinstance(val(r), str)
                                             else val(r)), reverse=desc)
    return present + missing  # nulls last


# --------------------------------------------------------------------------- HTTP

def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-clerk/1"
    sys_version = ""
    disable_nagle_algorithm = True
    wbufsize = 1 << 16   # headers + body leave in one write on flush
    timeout = 120        # idle keep-alive connections are closed after this

    # set on the class by main()
    api = None
    verbose = False

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):  # default access log would print the query string
        pass

    def _log(self, status, started):
        if self.verbose:
            path = urlsplit(self.path).path
            sys.stderr.write("%s %s %s %.1fms\n" % (self.command, path, status,
                                                    (time.monotonic() - started) * 1000))

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                chunk = self.rfile.read(size)
                if len(chunk) < size:
                    raise ClientGone()
                chunks.append(chunk)
                self.rfile.readline(65537)
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > MAX_BODY:
            raise ValueError("body too large")
        raw = self.rfile.read(n) if n else b""
        if len(raw) < n:
            # The client went away mid-request (a killed process): nothing was asked.
            raise ClientGone()
        return raw

    def _send(self, status, body, headers=None):
        data = body if isinstance(body, bytes) else dumps(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def _drop(self):
        # no response at all; the connection is closed after this request
        self.close_connection = True

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _dispatch(self):
        started = time.monotonic()
        try:
            raw = self._read_body()
        except ClientGone:
            self.close_connection = True
            return
        except (ValueError, OSError):
            self.close_connection = True
            self._send(413, errors_body([err("request_body_too_large", "request too large",
                                             "The request body is too large.")]))
            return
        parts = urlsplit(self.path)
        path = parts.path
        if path.startswith("/__admin/"):
            status = self._admin(path, raw)
        elif path == "/v1" or path.startswith("/v1/"):
            status = self._v1(path, parts.query, raw)
        else:
            status = 404
            self._send(404, errors_body([err("resource_not_found", "not found",
                                             "The requested resource was not found.")]))
        self._log(status, started)

    # -- admin (no auth, no rate limit, no faults)
    def _admin(self, path, raw):
        api, st = self.api, self.api.store
        m = self.command
        if path == "/__admin/stats" and m == "GET":
            with st.lock:
                s = st.stats
                body = {"requests": s["requests"], "by_status": dict(s["by_status"]),
                        "created": s["created"], "stored": len(st.users),
                        "spec_violations": s["spec_violations"], "faults": dict(s["faults"]),
                        "dropped": s["dropped"], "rate_limited": s["rate_limited"],
                        "unauthorized": s["unauthorized"],
                        "max_requests_in_window": st.max_in_window,
                        "limit": st.limit, "window_seconds": st.window,
                        "fault_rate": st.fault_rate, "slow_seconds": st.slow_seconds,
                        "seed": st.seed,
                        "duplicate_create_attempts": s["duplicate_create_attempts"]}
            self._send(200, body)
            return 200
        if path == "/__admin/users" and m == "GET":
            with st.lock:
                body = [admin_view(r) for r in st.users]
            self._send(200, body)
            return 200
        if path == "/__admin/reset" and m == "POST":
            with st.lock:
                st.reset()
            self._send(200, {"ok": True})
            return 200
        if path == "/__admin/config" and m == "POST":
            try:
                cfg = json.loads(raw.decode("utf-8") or "{}")
                if not isinstance(cfg, dict):
                    raise ValueError("expected a JSON object")
                unknown = set(cfg) - {"fault_rate", "limit", "window", "slow_seconds", "seed"}
                if unknown:
                    raise ValueError("unknown keys: " + ", ".join(sorted(unknown)))
                fr = cfg.get("fault_rate")
                if fr is not None and not (isinstance(fr, (int, float)) and 0 <= fr <= 1):
                    raise ValueError("fault_rate must be in [0, 1]")
                lim = cfg.get("limit")
                if lim is not None and not (isinstance(lim, int) and lim >= 0):
                    raise ValueError("limit must be an integer >= 0")
                win = cfg.get("window")
                if win is not None and not (isinstance(win, (int, float)) and win > 0):
                    raise ValueError("window must be > 0")
                slow = cfg.get("slow_seconds")
                if slow is not None and not (isinstance(slow, (int, float)) and slow >= 0):
                    raise ValueError("slow_seconds must be >= 0")
                seed = cfg.get("seed")
                if seed is not None and not isinstance(seed, int):
                    raise ValueError("seed must be an integer")
            except (ValueError, UnicodeDecodeError) as e:
                self._send(400, {"error": str(e)})
                return 400
            with st.lock:
                if fr is not None:
                    st.fault_rate = float(fr)
                if slow is not None:
                    st.slow_seconds = float(slow)
                if seed is not None:
                    st.seed = seed
                    st.attempts = {}
                if lim is not None:
                    st.limit = lim
                if win is not None:
                    st.window = float(win)
                if lim is not None or win is not None:
                    st.reset_windows()  # a new window starts now
                body = {"fault_rate": st.fault_rate, "limit": st.limit, "window": st.window,
                        "slow_seconds": st.slow_seconds, "seed": st.seed}
            self._send(200, body)
            return 200
        self._send(404, {"error": "unknown admin endpoint"})
        return 404

    # -- /v1
    def _v1(self, path, query, raw):
        api, st = self.api, self.api.store
        m = self.command
        received = now_ms()

        if not api.auth_ok(self.headers.get("Authorization")):
            with st.lock:
                st.stats["requests"] += 1
                st.stats["unauthorized"] += 1
                st.count_status(401)
            self._send(401, errors_body([err(
                "authentication_invalid", "Invalid authentication",
                "Unable to authenticate the request: provide a valid secret key as "
                "'Authorization: Bearer <secret key>'.")]))
            return 401

        route = None
        if path == "/v1/users":
            route = {"POST": "create", "GET": "list"}.get(m, "method")
        elif path == "/v1/users/count":
            route = "count" if m == "GET" else "method"
        elif path == "/v1/instance":
            route = "instance" if m == "GET" else "method"

        if route in ("create", "list", "count", "instance"):
            if m == "POST":
                fkey = _fault_key_body(raw)
            elif route == "instance":
                fkey = ""  # no query, no body
            else:
                fkey = "?" + query
        with st.lock:
            st.stats["requests"] += 1
            retry = st.rate_check()
            if retry is not None:
                st.stats["rate_limited"] += 1
                st.count_status(429)
                fault = None
            elif route in ("create", "list", "count", "instance"):
                fault = st.fault_for(m, path, fkey)
                if fault:
                    st.stats["faults"][fault] += 1
            else:
                fault = None
            slow = st.slow_seconds
        if retry is not None:
            self._send(429, errors_body([err("too_many_requests", "Too many requests",
                                             "Too many requests, please try again later.")]),
                       {"Retry-After": str(retry)})
            return 429

        if fault == "500_before":
            return self._fault_status(500)
        if fault == "503_before":
            return self._fault_status(503)
        if fault == "drop_before":
            with st.lock:
                st.stats["dropped"] += 1
            self._drop()
            return "drop"
        if fault == "slow":
            time.sleep(slow)

        if route is None:
            status, body, headers = 404, errors_body([err(
                "resource_not_found", "not found",
                "The requested resource was not found (this fake only serves the users "
                "list, count and create endpoints).")]), {}
        elif route == "method":
            status, body, headers = 405, errors_body([err(
                "method_not_allowed", "method not allowed",
                "This method is not allowed on this endpoint.")]), {}
        else:
            status, body, headers = self._route(route, query, raw, received)

        if fault in ("500_after", "drop_after"):
            # the work is done (a user may have been stored); the response is lost
            if fault == "drop_after":
                with st.lock:
                    st.stats["dropped"] += 1
                self._drop()
                return "drop"
            return self._fault_status(500)

        with st.lock:
            st.count_status(status)
        self._send(status, body, headers)
        return status

    def _fault_status(self, status):
        st = self.api.store
        with st.lock:
            st.count_status(status)
        if status == 503:
            e = err("service_unavailable", "Service unavailable",
                    "The service is temporarily unavailable, please try again later.")
        else:
            e = err("internal_clerk_error", "Oops, an unexpected error occurred",
                    "There was an internal error on our servers. We've been notified and are "
                    "working on fixing it.")
        self._send(status, errors_body([e]))
        return status

    def _route(self, route, query, raw, received):
        api, st = self.api, self.api.store
        try:
            if route == "create":
                if query:
                    raise violation(*[unknown_param(k) for k, _ in
                                      parse_qsl(query, keep_blank_values=True)])
                body = api.validate_create(self.headers.get("Content-Type"), raw)
                with st.lock:
                    user = api.create(body, received)
                    data = dumps(user)  # serialise under the lock: stored dicts are shared
                return 200, data, {}
            if route == "list":
                q = api.parse_query(query, api.spec.list_params)
                with st.lock:
                    rows = api.query_users(q, paginate=True)
                    data = dumps([r["user"] for r in rows])
                return 200, data, {}
            if route == "instance":
                if query:
                    raise violation(*[unknown_param(k) for k, _ in
                                      parse_qsl(query, keep_blank_values=True)])
                return 200, api.instance(), {}
            if route == "count":
                q = api.parse_query(query, api.spec.count_params)
                with st.lock:
                    n = len(api.query_users(q, paginate=False))
                return 200, {"object": "total_count", "total_count": n}, {}
        except Reply as r:
            with st.lock:
                if r.spec_violation:
                    st.stats["spec_violations"] += 1
                if r.duplicate:
                    st.stats["duplicate_create_attempts"] += 1
            return r.status, r.body, r.headers
        raise AssertionError(route)


def _fault_key_body(raw):
    """Key of a POST for the fault hash: its external_id, else a digest of the body."""
    try:
        body = json.loads(raw.decode("utf-8"))
        if isinstance(body, dict) and isinstance(body.get("external_id"), str):
            return "external_id=" + body["external_id"]
    except (UnicodeDecodeError, ValueError):
        pass
    return "sha256=" + base64.b64encode(hashlib.sha256(raw).digest()).decode()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


# --------------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake Clerk Backend API (users) for tests.")
    ap.add_argument("--spec", required=True, help="Clerk Backend API OpenAPI 3.0 YAML")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    ap.add_argument("--limit", type=int, default=1000, help="requests per window")
    ap.add_argument("--window", type=float, default=10, help="rate-limit window, seconds")
    ap.add_argument("--fault-rate", type=float, default=0.0, help="fault probability per request")
    ap.add_argument("--seed", type=int, default=1, help="seed for ids and faults")
    ap.add_argument("--slow-seconds", type=float, default=3, help="delay of the 'slow' fault")
    ap.add_argument("--preload", help="JSON array of users to load at start")
    ap.add_argument("--key", help="the one accepted secret key (default: any sk_test_/sk_live_)")
    ap.add_argument("--verbose", action="store_true", help="one line per request on stderr")
    ap.add_argument("--instance-id", default="ins_fake", help="the id GET /v1/instance answers")
    args = ap.parse_args(argv)
    if args.window <= 0 or args.limit < 0 or not 0 <= args.fault_rate <= 1:
        ap.error("need --window > 0, --limit >= 0, 0 <= --fault-rate <= 1")

    spec = Spec(args.spec)
    store = Store(args)
    if args.preload:
        preload(store, args.preload)
    Handler.api = Api(spec, store, args.key, args.instance_id)
    Handler.verbose = args.verbose

    httpd = Server(("127.0.0.1", args.port), Handler)

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    store.reset_windows()  # windows are aligned to the moment the server is ready
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
